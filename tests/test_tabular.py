"""California housing's archive and the exam's cosine series: reading,
checks, features, splits, resolution and the download, against 127.0.0.1."""

import dataclasses
import hashlib
import os
import shutil

import numpy as np
import pytest

from conftest import error_lines, run_script, serve_folder
from legacy_dnn import data
from legacy_dnn import tabular
from legacy_dnn.errors import DataError

HOUSING = data.DATASETS['california_housing']


def archive(folder, rows):
  os.makedirs(folder, exist_ok=True)
  return tabular.write_housing_archive(
      os.path.join(folder, tabular.HOUSING_ARCHIVE), rows)


def test_features_are_scikit_learns():
  # Two rows of cal_housing.data, the first as the real file holds it.
  raw = np.array([
      [-122.23, 37.88, 41, 880, 129, 322, 126, 8.3252, 452600],
      [-118.0, 34.0, 10, 1000, 250, 900, 300, 2.5, 150000]])
  features, target = tabular.housing_features(raw)
  np.testing.assert_allclose(features, [
      [8.3252, 41, 880 / 126, 129 / 126, 322, 322 / 126, 37.88, -122.23],
      [2.5, 10, 1000 / 300, 250 / 300, 900, 3, 34.0, -118.0]], rtol=1e-6)
  np.testing.assert_allclose(target, [4.526, 1.5], rtol=1e-6)
  assert features.dtype == target.dtype == np.float32


def test_the_split_is_hands_on_mls_and_no_seed_changes_it():
  n = 20640
  features = np.arange(n, dtype=np.float32)[:, None]
  parts = tabular.housing_splits(features, np.zeros(n, np.float32))
  sizes = [len(parts[s][0]) for s in ('train', 'validation', 'test')]
  assert sizes == [11610, 3870, 5160]
  rows = np.concatenate([parts[s][0][:, 0] for s in parts])
  assert sorted(rows) == list(range(n))  # Every row once.
  # scikit-learn's ShuffleSplit(random_state=42): the first 5,160 of
  # RandomState(42).permutation(20640) are the test rows.
  np.testing.assert_array_equal(
      parts['test'][0][:, 0], np.random.RandomState(42).permutation(n)[:5160])
  again = tabular.housing_splits(features, np.zeros(n, np.float32))
  np.testing.assert_array_equal(again['train'][0], parts['train'][0])


def test_load_reads_the_archive_in_place(tmp_path):
  folder = str(tmp_path / 'd')
  archive(folder, tabular.random_housing(400))
  splits = data.load(HOUSING, data_dir=folder)
  assert splits.source == os.path.join(folder, tabular.HOUSING_ARCHIVE)
  assert [len(s[0]) for s in (splits.train, splits.validation,
                              splits.test)] == [225, 75, 100]
  assert splits.train[0].shape[1] == 8
  assert os.listdir(folder) == [tabular.HOUSING_ARCHIVE]  # Nothing extracted.


@pytest.mark.parametrize('text, message', [
    ('1,2,3\n', r'row 1 has 3 values, expected 9'),
    ('1,2,3,4,5,6,7,8,abc\n', r"row 1: 'abc' is not a number"),
    ('1,2,3,4,5,6,7,8,9\n1,2,3,4,5,6,0,8,9\n',
     r'row 2: households is 0'),
    ('1,2,3,4,5,6,7,8,inf\n', r'row 1 holds a value that is not finite'),
    ('', r'no rows'),
])
def test_a_bad_row_is_one_error_naming_the_file_and_row(tmp_path, text,
                                                         message):
  path = archive(str(tmp_path), text)
  with pytest.raises(DataError, match=message) as e:
    tabular.read_housing_archive(path)
  assert str(e.value).startswith(path + ':' + tabular.HOUSING_MEMBER)


def test_a_file_that_is_not_the_archive_is_named(tmp_path):
  path = str(tmp_path / tabular.HOUSING_ARCHIVE)
  with open(path, 'wb') as f:
    f.write(b'not a tar at all')
  with pytest.raises(DataError, match='not a readable .tgz archive'):
    tabular.read_housing_archive(path)
  good = archive(str(tmp_path / 'good'), tabular.random_housing(50))
  with open(good, 'rb') as f:
    payload = f.read()
  with open(path, 'wb') as f:
    f.write(payload[:len(payload) // 2])
  with pytest.raises(DataError, match=path):
    tabular.read_housing_archive(path)


def test_an_archive_without_the_member_says_which(tmp_path):
  import tarfile  # pylint: disable=g-import-not-at-top
  path = str(tmp_path / tabular.HOUSING_ARCHIVE)
  with tarfile.open(path, 'w:gz') as f:
    f.add(__file__, 'CaliforniaHousing/other.txt')
  with pytest.raises(DataError, match='no member ' + tabular.HOUSING_MEMBER):
    tabular.read_housing_archive(path)


def test_too_few_rows_to_split_is_an_error(tmp_path):
  folder = str(tmp_path / 'd')
  archive(folder, tabular.random_housing(2))
  with pytest.raises(DataError, match='2 rows are too few'):
    data.load(HOUSING, data_dir=folder)


@pytest.fixture
def housing_mirror(tmp_path):
  folder = str(tmp_path / 'mirror')
  path = archive(folder, tabular.random_housing(300))
  with open(path, 'rb') as f:
    digest = hashlib.sha256(f.read()).hexdigest()
  server = serve_folder(folder)
  yield 'http://127.0.0.1:%d/' % server.server_address[1], folder, digest
  server.shutdown()
  server.server_close()


def test_download_checks_the_sha256_then_reads_the_cache(housing_mirror,
                                                          tmp_path):
  url, folder, digest = housing_mirror
  # As the real dataset: figshare's file number under the canonical URL.
  os.rename(os.path.join(folder, tabular.HOUSING_ARCHIVE),
            os.path.join(folder, '5976036'))
  dataset = dataclasses.replace(
      HOUSING, url=url, checksums={tabular.HOUSING_ARCHIVE: digest})
  cache = str(tmp_path / 'cache' / 'h')
  splits = data.load(dataset, cache_dir=cache)
  assert splits.source == os.path.join(cache, tabular.HOUSING_ARCHIVE)
  assert os.listdir(cache) == [tabular.HOUSING_ARCHIVE]
  shutil.rmtree(folder)  # The server has nothing now: the cache answers.
  again = data.load(dataset, cache_dir=cache)
  np.testing.assert_array_equal(again.test[0], splits.test[0])


def test_a_checksum_mismatch_is_named_and_leaves_nothing(housing_mirror,
                                                         tmp_path):
  url, _, _ = housing_mirror
  cache = str(tmp_path / 'cache' / 'h')
  with pytest.raises(DataError, match=r'cal_housing.tgz: SHA-256 [0-9a-f]{64}'
                     r', expected aaa5c9a6'):
    data.load(HOUSING, cache_dir=cache, mirror=url)  # The real checksum.
  assert os.listdir(cache) == []


def test_the_cosine_series_is_the_exams():
  t, features, y = tabular.cosine()
  assert features.shape == (1000, 5) and y.shape == (1000,)
  np.testing.assert_allclose(features[:, 4], np.cos(5 * t), atol=1e-6)
  np.random.seed(43052)  # As the exam drew it.
  noise = np.random.randn(1000)
  np.testing.assert_allclose(
      y, -2 + 3 * np.cos(t) + np.cos(2 * t) + 0.5 * np.cos(5 * t) +
      0.2 * noise, atol=1e-5)
  splits = data.load(data.DATASETS['cosine'])
  np.testing.assert_array_equal(splits.train[1], y[:550])
  np.testing.assert_array_equal(splits.validation[1], y[550:])
  np.testing.assert_array_equal(splits.test[1], y[550:])


# The scripts: one line naming the file or flag, no traceback.


@pytest.mark.slow
def test_train_names_a_bad_archive_in_one_line(tmp_path):
  folder = str(tmp_path / 'd')
  archive(folder, '1,2,3\n')
  result = run_script('train.py', '--variant=regression',
                      '--data_dir=' + folder,
                      '--model_dir=' + str(tmp_path / 'm'))
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  assert tabular.HOUSING_ARCHIVE in line and 'row 1 has 3 values' in line


@pytest.mark.slow
@pytest.mark.parametrize('args, message', [
    (['--variant=regression', '--dataset=mnist'],
     '--dataset=mnist: mnist is a classification dataset, and '
     '--variant=regression a regression network'),
    (['--variant=dropout', '--dataset=cosine'],
     'pick a regression variant (cosine, regression, wide_deep)'),
    (['--variant=cosine', '--validation_size=100'],
     "--validation_size=100: cosine's split is fixed (450 validation rows)"),
    (['--variant=cosine', '--classes=1,2'],
     '--classes: cosine is a regression dataset'),
])
def test_train_refuses_a_dataset_the_network_cannot_learn(tmp_path, args,
                                                          message):
  result = run_script('train.py', '--model_dir=' + str(tmp_path / 'm'),
                      '--logdir=' + str(tmp_path / 'l'), *args)
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  assert message in line
  assert not os.path.exists(str(tmp_path / 'l'))
