"""CIFAR-10's binary version: records, the archive, resolution, downloads."""

import dataclasses
import hashlib
import os
import tarfile

import numpy as np
import pytest

from conftest import error_lines, run_script, serve_folder
from legacy_dnn import cifar
from legacy_dnn import data
from legacy_dnn.errors import DataError


def test_a_record_is_a_label_then_red_green_blue_planes():
  record = bytes([7]) + bytes(range(256)) * 12  # 3,072 pixel bytes.
  images, labels = cifar.parse_batch(record, 'x.bin')
  assert labels.tolist() == [7] and labels.dtype == np.int64
  assert images.shape == (1, 32, 32, 3)
  plane = np.frombuffer(record[1:], np.uint8).reshape(3, 32, 32)
  for channel in range(3):
    np.testing.assert_array_equal(images[0, :, :, channel], plane[channel])
  # Row 1, column 0 of the red plane is the 33rd pixel byte.
  assert images[0, 1, 0, 0] == record[1 + 32]


def test_archive_round_trip_and_the_seeds_split(tmp_path):
  rng = np.random.default_rng(0)
  train = (rng.integers(0, 256, (60, 32, 32, 3)), rng.integers(0, 10, 60))
  test = (rng.integers(0, 256, (20, 32, 32, 3)), rng.integers(0, 10, 20))
  folder = tmp_path / 'd'
  folder.mkdir()
  cifar.write_archive(str(folder / cifar.ARCHIVE), train, test)
  splits = data.load(data.CIFAR10, data_dir=str(folder), validation_size=10)
  assert splits.train[0].shape == (50, 32, 32, 3)
  assert splits.train[0].dtype == np.float32
  # Validation is the first images of data_batch_1.
  np.testing.assert_array_equal(splits.validation[0],
                                train[0][:10].astype(np.float32) / 255)
  np.testing.assert_array_equal(splits.train[1], train[1][10:])
  np.testing.assert_array_equal(splits.test[1], test[1])


def test_extracted_batches_read_as_the_archive(tmp_path):
  archive = cifar.write_random(str(tmp_path / cifar.ARCHIVE), 50, 10)
  with tarfile.open(archive) as tar:
    tar.extractall(str(tmp_path / 'x'), filter='data')
  a = data.load(data.CIFAR10, data_dir=str(tmp_path), validation_size=5)
  for folder in (tmp_path / 'x', tmp_path / 'x' / cifar.FOLDER):
    b = data.load(data.CIFAR10, data_dir=str(folder), validation_size=5)
    np.testing.assert_array_equal(a.train[0], b.train[0])
    np.testing.assert_array_equal(a.test[1], b.test[1])


def _broken(tmp_path, **batches):
  rng = np.random.default_rng(1)
  split = lambda n: (rng.integers(0, 256, (n, 32, 32, 3)),
                     rng.integers(0, 10, n))
  folder = tmp_path / 'broken'
  folder.mkdir()
  cifar.write_archive(str(folder / cifar.ARCHIVE), split(50), split(10),
                      batches)
  return str(folder)


@pytest.mark.parametrize('batches, message', [
    (dict(data_batch_3=b'\0' * 3072),
     r'data_batch_3.bin: 3072 bytes, not a whole number of 3073-byte'),
    (dict(test_batch=bytes([10]) + b'\0' * 3072),
     r'test_batch.bin: label 10 is out of range 0-9 \(record 0\)'),
    (dict(data_batch_5=None), r'has no cifar-10-batches-bin/data_batch_5.bin'),
])
def test_broken_batches_are_one_line_naming_the_file(tmp_path, batches,
                                                     message):
  folder = _broken(tmp_path, **{k + '.bin': v for k, v in batches.items()})
  with pytest.raises(DataError, match=message) as e:
    data.load(data.CIFAR10, data_dir=folder, validation_size=5)
  assert cifar.ARCHIVE in str(e.value)


@pytest.mark.slow
def test_corrupt_archive_through_train_py_is_one_line(tmp_path):
  folder = _broken(tmp_path)
  path = os.path.join(folder, cifar.ARCHIVE)
  with open(path, 'rb') as f:
    payload = f.read()
  with open(path, 'wb') as f:
    f.write(payload[:len(payload) // 2])
  result = run_script('train.py', '--variant=cifar_cnn', '--data_dir=' + folder,
                      '--model_dir=' + str(tmp_path / 'm'))
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'train.py: error: %s: corrupt or truncated archive (%s)'
      % (path, 'Compressed file ended before the end-of-stream marker was '
         'reached')]


def test_missing_files_say_what_is_wanted(tmp_path):
  with pytest.raises(DataError, match=r'--data_dir=.*: no cifar-10-binary'
                     r'.tar.gz, and no data_batch_1.bin, .* \(or '
                     r'cifar-10-batches-bin/\) with its six batches'):
    data.load(data.CIFAR10, data_dir=str(tmp_path))


@pytest.fixture
def mirror(tmp_path):
  """A 127.0.0.1 mirror serving a generated archive: (URL, its MD5)."""
  folder = tmp_path / 'mirror'
  folder.mkdir()
  path = cifar.write_random(str(folder / cifar.ARCHIVE), 40, 10, seed=2)
  with open(path, 'rb') as f:
    md5 = hashlib.md5(f.read()).hexdigest()
  server = serve_folder(str(folder))
  yield 'http://127.0.0.1:%d/' % server.server_address[1], md5
  server.shutdown()
  server.server_close()


def test_download_checks_the_md5_and_then_reads_the_cache(mirror, tmp_path):
  url, md5 = mirror
  dataset = dataclasses.replace(data.CIFAR10, url=url,
                                checksums={cifar.ARCHIVE: md5})
  cache = str(tmp_path / 'cache' / 'cifar10')
  splits = data.load(dataset, cache_dir=cache, validation_size=5)
  assert os.listdir(cache) == [cifar.ARCHIVE]
  assert len(splits.train[0]) == 35 and len(splits.test[0]) == 10
  # Found in the cache from now on: the server is not asked again.
  again = data.load(dataclasses.replace(dataset, url='http://127.0.0.1:9/'),
                    cache_dir=cache, validation_size=5)
  np.testing.assert_array_equal(again.train[0], splits.train[0])


@pytest.mark.slow
def test_download_with_the_wrong_md5_leaves_nothing_in_the_cache(mirror,
                                                                  tmp_path):
  """Through train.py: the archive's published MD5 cannot match ours."""
  url, _ = mirror
  cache = tmp_path / 'cache' / 'legacy_dnn' / 'cifar10'
  result = run_script('train.py', '--variant=cifar_cnn', '--mirror=' + url,
                      '--model_dir=' + str(tmp_path / 'm'))
  assert result.returncode == 1
  [line] = error_lines(result.stderr)
  assert line.startswith('train.py: error: no cifar10 files in %s' % cache)
  assert ('%s%s: MD5 ' % (url, cifar.ARCHIVE)) in line
  assert 'expected c32a1d4ab5d03f1284b67883e8d87530' in line
  assert os.listdir(cache) == []


@pytest.mark.slow
def test_a_conv_network_trains_on_cifar_shaped_data(tmp_path):
  """training.md's `train.py --variant=cifar_cnn`, the archive in the data
  cache as a download leaves it, on a smaller network and data."""
  folder = tmp_path / 'cache' / 'legacy_dnn' / 'cifar10'
  folder.mkdir(parents=True)
  cifar.write_random(str(folder / cifar.ARCHIVE), 120, 20)
  result = run_script(
      'train.py', '--variant=cifar_cnn',
      '--validation_size=20', '--epochs=1', '--filters=4,4',
      '--hidden_units=8', '--model_dir=' + str(tmp_path / 'm'),
      '--logdir=' + str(tmp_path / 'logs'))
  assert result.returncode == 0, result.stderr
  assert 'conv4/kernel' in result.stdout and '(2, 2, 4, 4)' in result.stdout
  assert 'Data: %s (100 train, 20 validation, 20 test images)' % folder in (
      result.stdout)
  assert 'Accuracy: ' in result.stdout
