"""IDX parsing, dataset resolution, downloads, and shuffle_batch."""

import gzip
import hashlib
import os
import socket

import numpy as np
import pytest

from conftest import (error_lines, idx_bytes, run_script, serve_folder,
                      write_dataset)
from legacy_dnn import data
from legacy_dnn.errors import DataError

ALL_NAMES = [n for pair in data.FILES.values() for n in pair]


def test_reads_gzipped_and_raw_files_alike(tmp_path):
  gz = write_dataset(str(tmp_path / 'gz'), gz=True, seed=3)
  raw = write_dataset(str(tmp_path / 'raw'), gz=False, seed=3)
  a = data.load(data.DATASETS['mnist'], data_dir=gz, validation_size=100)
  b = data.load(data.DATASETS['mnist'], data_dir=raw, validation_size=100)
  for x, y in zip((a.train, a.validation, a.test), (b.train, b.validation,
                                                   b.test)):
    np.testing.assert_array_equal(x[0], y[0])
    np.testing.assert_array_equal(x[1], y[1])


def test_split_is_the_seeds(tmp_path):
  folder = write_dataset(str(tmp_path / 'd'), n_train=600, n_test=200)
  splits = data.load(data.DATASETS['mnist'], data_dir=folder,
                     validation_size=100)
  images, labels = data.load_split(
      os.path.join(folder, 'train-images-idx3-ubyte.gz'),
      os.path.join(folder, 'train-labels-idx1-ubyte.gz'))
  np.testing.assert_array_equal(splits.validation[0], images[:100])
  np.testing.assert_array_equal(splits.train[1], labels[100:])
  assert splits.train[0].shape == (500, 784)
  assert splits.test[0].shape == (200, 784)
  assert splits.train[0].dtype == np.float32
  assert splits.train[1].dtype == np.int64
  assert 0.0 <= splits.train[0].min() and splits.train[0].max() == 1.0


def _write(path, payload):
  with open(path, 'wb') as f:
    f.write(payload)
  return str(path)


def test_bad_magic_names_the_file(tmp_path):
  path = _write(tmp_path / 'x-idx3-ubyte',
                idx_bytes(np.zeros((2, 28, 28)), data.IDX_LABELS_MAGIC))
  with pytest.raises(DataError, match=r'x-idx3-ubyte: bad magic 2049, '
                     r'expected 2051'):
    data.read_idx(path, data.IDX_IMAGES_MAGIC)


def test_truncated_file_names_the_file(tmp_path):
  payload = idx_bytes(np.zeros((3, 28, 28)), data.IDX_IMAGES_MAGIC)
  path = _write(tmp_path / 'short', payload[:-10])
  with pytest.raises(DataError, match=r'short: truncated: 2358 bytes, the '
                     r'header promises 2368'):
    data.read_idx(path, data.IDX_IMAGES_MAGIC)


def test_file_shorter_than_its_header(tmp_path):
  path = _write(tmp_path / 'tiny', b'\x00\x00\x08')
  with pytest.raises(DataError, match='tiny: truncated'):
    data.read_idx(path, data.IDX_LABELS_MAGIC)


def test_trailing_data_is_an_error(tmp_path):
  payload = idx_bytes(np.zeros(5), data.IDX_LABELS_MAGIC)
  path = _write(tmp_path / 'long', payload + b'junk')
  with pytest.raises(DataError, match='long: trailing data'):
    data.read_idx(path, data.IDX_LABELS_MAGIC)


def test_wrong_image_size(tmp_path):
  path = _write(tmp_path / 'img',
                idx_bytes(np.zeros((2, 32, 32)), data.IDX_IMAGES_MAGIC))
  with pytest.raises(DataError, match='img: images are 32x32, expected 28x28'):
    data.read_idx(path, data.IDX_IMAGES_MAGIC)


def test_not_gzip_when_named_gz(tmp_path):
  path = _write(tmp_path / 'labels.gz',
                idx_bytes(np.zeros(5), data.IDX_LABELS_MAGIC))
  with pytest.raises(DataError, match=r'labels.gz: named .gz but is not gzip'):
    data.read_idx(path, data.IDX_LABELS_MAGIC)


def test_truncated_gzip(tmp_path):
  packed = gzip.compress(idx_bytes(np.arange(1000) % 10,
                                   data.IDX_LABELS_MAGIC))
  path = _write(tmp_path / 'labels.gz', packed[:len(packed) // 2])
  with pytest.raises(DataError, match='labels.gz: corrupt or truncated gzip'):
    data.read_idx(path, data.IDX_LABELS_MAGIC)


def test_corrupt_gzip_stream_with_a_valid_header(tmp_path):
  packed = bytearray(gzip.compress(idx_bytes(np.arange(1000) % 10,
                                             data.IDX_LABELS_MAGIC)))
  packed[20:60] = bytes(b ^ 0x5a for b in packed[20:60])  # Past the header.
  path = _write(tmp_path / 'labels.gz', bytes(packed))
  with pytest.raises(DataError, match=r'labels.gz: corrupt or truncated gzip '
                     r'data \(Error -3 while decompressing'):
    data.read_idx(path, data.IDX_LABELS_MAGIC)


@pytest.mark.slow
def test_corrupt_gzip_through_train_py_is_one_line(tmp_path):
  folder = write_dataset(str(tmp_path / 'data'), n_train=200, n_test=50)
  path = os.path.join(folder, 't10k-images-idx3-ubyte.gz')
  with open(path, 'rb') as f:
    packed = bytearray(f.read())
  packed[30:90] = bytes(b ^ 0x5a for b in packed[30:90])
  with open(path, 'wb') as f:
    f.write(packed)
  result = run_script('train.py', '--data_dir=' + folder,
                      '--model_dir=%s' % (tmp_path / 'm'),
                      '--logdir=%s' % (tmp_path / 'l'))
  assert result.returncode == 1, result.stderr
  (line,) = error_lines(result.stderr)
  assert line.startswith('train.py: error: %s: corrupt or truncated gzip '
                         'data (Error -3 while decompressing' % path), line


def test_image_label_count_mismatch(tmp_path):
  images = _write(tmp_path / 'i', idx_bytes(np.zeros((3, 28, 28)),
                                            data.IDX_IMAGES_MAGIC))
  labels = _write(tmp_path / 'l', idx_bytes(np.zeros(4), data.IDX_LABELS_MAGIC))
  with pytest.raises(DataError, match=r'/i holds 3 images but .*/l holds 4 '
                     'labels'):
    data.load_split(images, labels)


def test_label_out_of_range(tmp_path):
  images = _write(tmp_path / 'i', idx_bytes(np.zeros((2, 28, 28)),
                                            data.IDX_IMAGES_MAGIC))
  labels = _write(tmp_path / 'l', idx_bytes([1, 12], data.IDX_LABELS_MAGIC))
  with pytest.raises(DataError, match='/l: label 12 is out of range'):
    data.load_split(images, labels)


def test_validation_size_must_leave_training_examples(dataset_dir):
  with pytest.raises(DataError, match='--validation_size=600 leaves no'):
    data.load(data.DATASETS['mnist'], data_dir=dataset_dir,
              validation_size=600)


def test_data_dir_missing_files(tmp_path):
  with pytest.raises(DataError, match=r'--data_dir=.*empty: missing some of '
                     'the IDX files'):
    data.locate(data.DATASETS['mnist'], data_dir=str(tmp_path / 'empty'))


def test_cache_comes_before_system_dirs(tmp_path):
  cache = write_dataset(str(tmp_path / 'cache'))
  system = write_dataset(str(tmp_path / 'system'))
  dataset = data.Dataset('t', 'http://127.0.0.1:9/', {}, (system,))
  assert data.locate(dataset, cache_dir=cache)[0] == cache
  assert data.locate(dataset, cache_dir=str(tmp_path / 'none'))[0] == system


# The download path, against a real HTTP server on 127.0.0.1.


@pytest.fixture
def mirror(tmp_path):
  """A local mirror of a small dataset: (base URL, folder, MD5 by name)."""
  folder = write_dataset(str(tmp_path / 'mirror'))
  md5 = {}
  for name in ALL_NAMES:
    with open(os.path.join(folder, name + '.gz'), 'rb') as f:
      md5[name] = hashlib.md5(f.read()).hexdigest()
  server = serve_folder(folder)
  yield 'http://127.0.0.1:%d/' % server.server_address[1], folder, md5
  server.shutdown()
  server.server_close()


def test_download_with_right_checksums(mirror, tmp_path):
  url, _, md5 = mirror
  cache = str(tmp_path / 'cache' / 'toy')
  dataset = data.Dataset('toy', url, md5)
  splits = data.load(dataset, cache_dir=cache, validation_size=100)
  assert splits.source == cache
  assert sorted(os.listdir(cache)) == sorted(n + '.gz' for n in ALL_NAMES)
  assert len(splits.train[0]) == 500


def test_download_with_wrong_checksum_leaves_nothing(mirror, tmp_path):
  url, _, md5 = mirror
  bad = dict(md5, **{'t10k-images-idx3-ubyte': '0' * 32})
  cache = str(tmp_path / 'cache' / 'toy')
  with pytest.raises(DataError, match=r't10k-images-idx3-ubyte.gz: MD5 [0-9a-f]'
                     r'{32}, expected 0{32}'):
    data.load(data.Dataset('toy', url, bad), cache_dir=cache)
  assert 't10k-images-idx3-ubyte.gz' not in os.listdir(cache)
  assert not [n for n in os.listdir(cache) if n.startswith('.')]


def test_download_of_truncated_file_leaves_nothing(mirror, tmp_path):
  url, folder, md5 = mirror
  path = os.path.join(folder, 'train-labels-idx1-ubyte.gz')
  with open(path, 'rb') as f:
    payload = f.read()
  with open(path, 'wb') as f:
    f.write(payload[:len(payload) // 2])
  cache = str(tmp_path / 'cache' / 'toy')
  with pytest.raises(DataError, match='train-labels-idx1-ubyte.gz: MD5'):
    data.load(data.Dataset('toy', url, md5), cache_dir=cache)
  assert 'train-labels-idx1-ubyte.gz' not in os.listdir(cache)
  assert not [n for n in os.listdir(cache) if n.startswith('.')]


def _closed_port():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def test_server_down_says_where_it_looked_and_what_to_do(tmp_path):
  url = 'http://127.0.0.1:%d/' % _closed_port()
  dataset = data.Dataset('toy', url, {n: '0' * 32 for n in ALL_NAMES},
                         (str(tmp_path / 'system'),), 'apt-get install toy')
  cache = str(tmp_path / 'cache' / 'toy')
  with pytest.raises(DataError) as e:
    data.load(dataset, cache_dir=cache)
  message = str(e.value)
  assert 'no toy files in %s, %s' % (cache, tmp_path / 'system') in message
  assert url + 'train-images-idx3-ubyte.gz: download failed' in message
  assert '--data_dir or apt-get install toy' in message
  assert os.listdir(cache) == []


def test_mirror_overrides_the_canonical_url(mirror, tmp_path):
  url, _, md5 = mirror
  dataset = data.Dataset('toy', 'http://127.0.0.1:%d/' % _closed_port(), md5)
  folder, _ = data.locate(dataset, cache_dir=str(tmp_path / 'c'), mirror=url)
  assert folder == str(tmp_path / 'c')


# shuffle_batch.


def test_shuffle_batch_yields_every_example_once():
  X = np.arange(1003, dtype=np.float32)[:, None]
  y = np.arange(1003)
  batches = list(data.shuffle_batch(X, y, 100, np.random.default_rng(0)))
  assert len(batches) == 10
  assert {len(b[1]) for b in batches} == {100, 101}
  seen = np.concatenate([b[1] for b in batches])
  np.testing.assert_array_equal(np.sort(seen), y)
  assert not np.array_equal(seen, y)
  for X_batch, y_batch in batches:
    np.testing.assert_array_equal(X_batch[:, 0], y_batch)


def test_epoch_order_depends_on_seed_and_epoch_only():
  X, y = np.zeros((50, 1)), np.arange(50)

  def order(seed, epoch):
    return np.concatenate([b[1] for b in data.shuffle_batch(
        X, y, 10, data.epoch_rng(seed, epoch))])

  np.testing.assert_array_equal(order(1, 7), order(1, 7))
  assert not np.array_equal(order(1, 7), order(1, 8))
  assert not np.array_equal(order(1, 7), order(2, 7))


def test_batch_larger_than_the_data_is_one_batch():
  batches = list(data.shuffle_batch(np.zeros((5, 1)), np.arange(5), 100,
                                    np.random.default_rng(0)))
  assert [len(b[1]) for b in batches] == [5]


def test_write_idx_matches_the_format(tmp_path):
  images = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
  for name in ('raw', 'packed.gz'):
    path = str(tmp_path / name)
    data.write_idx(path, images, data.IDX_IMAGES_MAGIC)
    opener = gzip.open if name.endswith('.gz') else open
    with opener(path, 'rb') as f:
      assert f.read() == idx_bytes(images, data.IDX_IMAGES_MAGIC)


def test_write_random_is_loadable(tmp_path):
  folder = data.write_random(str(tmp_path / 'r'), n_train=120, n_test=30)
  splits = data.load(data.DATASETS['mnist'], data_dir=folder,
                     validation_size=20)
  assert splits.train[0].shape == (100, 784) and len(splits.test[1]) == 30


def test_find_local_never_downloads(tmp_path):
  dataset = data.Dataset('t', 'http://127.0.0.1:9/', {}, ())
  assert data.find_local(dataset, cache_dir=str(tmp_path / 'none')) is None
  assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize('name', ['fashion_mnist', 'cifar10'])
def test_pixels_held_as_bytes_become_the_same_floats_a_batch_at_a_time(
    name, tmp_path):
  """Training holds images as uint8 (a quarter of the memory) and converts
  each batch it feeds: the bits are those of the dataset converted whole."""
  folder = str(tmp_path / name)
  if name == 'cifar10':
    from legacy_dnn import cifar  # pylint: disable=g-import-not-at-top
    os.makedirs(folder)
    cifar.write_random(os.path.join(folder, cifar.ARCHIVE), 300, 50)
  else:
    write_dataset(folder)
  dataset = data.DATASETS[name]
  floats = data.load(dataset, folder, validation_size=100)
  pixels = data.load(dataset, folder, validation_size=100, pixels=True)
  for whole, held in zip((floats.train, floats.validation, floats.test),
                         (pixels.train, pixels.validation, pixels.test)):
    assert held[0].dtype == np.uint8 and whole[0].dtype == np.float32
    assert held[0].nbytes * 4 == whole[0].nbytes
    np.testing.assert_array_equal(held[1], whole[1])
    batch = np.random.default_rng(0).permutation(len(held[0]))[:37]
    converted = data.as_float(held[0][batch])
    assert converted.dtype == np.float32
    assert converted.tobytes() == whole[0][batch].tobytes()
  # Rows already float pass as they are.
  assert data.as_float(floats.test[0]) is floats.test[0]
