"""The regression data: California housing, read from scikit-learn's archive,
and the Fashion-MNIST exam's noisy cosine series, generated.

California housing is the archive that scikit-learn's
fetch_california_housing downloads, cal_housing.tgz, read in place: its
member CaliforniaHousing/cal_housing.data holds 20,640 rows of 9
comma-separated numbers (RAW_COLUMNS). The 8 features and the target are
derived from them exactly as scikit-learn derives them, and split as
Hands-On ML splits them: train_test_split(random_state=42) twice.
"""

import io
import math
import tarfile
import zlib

import numpy as np

from legacy_dnn import archives
from legacy_dnn.errors import DataError

HOUSING_ARCHIVE = 'cal_housing.tgz'
HOUSING_MEMBER = 'CaliforniaHousing/cal_housing.data'
# The real member is 4,664,640 bytes (20,640 rows of 9 numbers written with
# '%.18e'); one many times that is not the data this reader knows.
MAX_HOUSING_BYTES = 64 << 20
RAW_COLUMNS = ('longitude', 'latitude', 'housingMedianAge', 'totalRooms',
               'totalBedrooms', 'population', 'households', 'medianIncome',
               'medianHouseValue')
HOUSING_FEATURES = ('MedInc', 'HouseAge', 'AveRooms', 'AveBedrms',
                    'Population', 'AveOccup', 'Latitude', 'Longitude')
# scikit-learn's target is the median house value in units of $100,000.
TARGET_SCALE = 100000.0
# Hands-On ML: train_test_split(..., random_state=42), test_size 0.25, then
# the same on the rest for validation: 11,610 / 3,870 / 5,160 rows.
SPLIT_SEED = 42
TEST_FRACTION = 0.25

# The exam's Q4.
COSINE_SEED = 43052
COSINE_POINTS = 1000
COSINE_TERMS = 5  # Features cos(k t), k = 1..5.
COSINE_BETA = (-2.0, 3.0, 1.0, 0.0, 0.0, 0.5)  # b0, then b1..b5.
COSINE_NOISE = 0.2
# Keras's validation_split=0.45 holds out the last 450 points.
COSINE_VALIDATION_SPLIT = 0.45


def parse_housing(text, name):
  """float64 [n, 9] of cal_housing.data's rows.

  Raises:
    DataError: naming the file and the row, for a short row, a non-number,
      a non-finite value, households <= 0, or no rows at all.
  """
  rows = []
  for number, line in enumerate(text.splitlines(), 1):
    if not line.strip():
      continue
    cells = line.split(',')
    if len(cells) != len(RAW_COLUMNS):
      raise DataError('%s: row %d has %d values, expected %d (%s)' % (
          name, number, len(cells), len(RAW_COLUMNS), ', '.join(RAW_COLUMNS)))
    try:
      values = [float(c) for c in cells]
    except ValueError:
      bad = next(c for c in cells if not _is_float(c))
      raise DataError('%s: row %d: %r is not a number' % (
          name, number, bad.strip())) from None
    if not all(math.isfinite(v) for v in values):
      raise DataError('%s: row %d holds a value that is not finite'
                      % (name, number))
    if values[RAW_COLUMNS.index('households')] <= 0:
      raise DataError('%s: row %d: households is %g; the per-household '
                      'features need it > 0' % (
                          name, number,
                          values[RAW_COLUMNS.index('households')]))
    rows.append(values)
  if not rows:
    raise DataError('%s: no rows' % name)
  return np.array(rows, np.float64)


def _is_float(text):
  try:
    float(text)
  except ValueError:
    return False
  return True


def read_housing_archive(path):
  """The raw rows, float64 [n, 9], of a cal_housing.tgz, read in place.

  Raises:
    DataError: naming path, if it is not a gzipped tar, lacks the member, or
      the member's rows are bad.
  """
  name = '%s:%s' % (path, HOUSING_MEMBER)
  try:
    found = archives.read_members(
        path, lambda m: m.name if m.name == HOUSING_MEMBER else None,
        MAX_HOUSING_BYTES, MAX_HOUSING_BYTES)
  except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
    raise DataError('%s: not a readable .tgz archive (%s)' % (path, e)
                    ) from None
  if HOUSING_MEMBER not in found:
    raise DataError('%s: no member %s (as a regular file); not the archive '
                    'scikit-learn\'s fetch_california_housing downloads'
                    % (path, HOUSING_MEMBER))
  raw = found[HOUSING_MEMBER]
  try:
    text = raw.decode('ascii')
  except UnicodeDecodeError:
    raise DataError('%s: not text' % name) from None
  return parse_housing(text, name)


def housing_features(raw):
  """(float32 features [n, 8], float32 target [n]) as scikit-learn derives
  them from cal_housing.data's raw columns."""
  col = {c: raw[:, i] for i, c in enumerate(RAW_COLUMNS)}
  households = col['households']
  features = np.stack([
      col['medianIncome'], col['housingMedianAge'],
      col['totalRooms'] / households, col['totalBedrooms'] / households,
      col['population'], col['population'] / households, col['latitude'],
      col['longitude']], axis=1)
  return (features.astype(np.float32),
          (col['medianHouseValue'] / TARGET_SCALE).astype(np.float32))


def _train_test_split(n, seed=SPLIT_SEED, test_fraction=TEST_FRACTION):
  """(train rows, test rows) as scikit-learn's train_test_split picks them:
  ShuffleSplit's permutation from RandomState(seed), the test rows first,
  ceil(test_fraction * n) of them."""
  n_test = int(math.ceil(test_fraction * n))
  permutation = np.random.RandomState(seed).permutation(n)
  return permutation[n_test:], permutation[:n_test]


def housing_splits(features, target):
  """{'train', 'validation', 'test'}: (features, target), Hands-On ML's split.

  The permutation is fixed, never --seed's, so runs with different seeds are
  scored on the same rows.
  """
  train_full, test = _train_test_split(len(features))
  train, validation = _train_test_split(len(train_full))
  train, validation = train_full[train], train_full[validation]
  return {name: (features[rows], target[rows]) for name, rows in
          (('train', train), ('validation', validation), ('test', test))}


def write_housing_archive(path, raw):
  """Writes raw rows [n, 9] as a cal_housing.tgz (for tests and mirrors).

  raw may also be the member's text itself, to write bad rows.
  """
  text = raw if isinstance(raw, str) else ''.join(
      ','.join('%.18e' % v for v in row) + '\n' for row in raw)
  payload = text.encode('ascii')
  with tarfile.open(path, 'w:gz') as archive:
    info = tarfile.TarInfo(HOUSING_MEMBER)
    info.size = len(payload)
    archive.addfile(info, io.BytesIO(payload))
  return path


def random_housing(n, seed=0):
  """n plausible raw cal_housing.data rows, float64 [n, 9]."""
  rng = np.random.default_rng(seed)
  households = rng.integers(50, 2000, n).astype(np.float64)
  rooms = households * rng.uniform(3, 8, n)
  income = rng.uniform(0.5, 15, n)
  return np.stack([
      rng.uniform(-124.3, -114.3, n), rng.uniform(32.5, 42, n),
      rng.integers(1, 53, n).astype(np.float64), np.round(rooms),
      np.round(rooms * rng.uniform(0.15, 0.3, n)),
      np.round(households * rng.uniform(2, 4, n)), households, income,
      np.clip(income * 40000 + rng.normal(0, 30000, n), 15000, 500001)],
                  axis=1)


def cosine():
  """The exam's series: (t [1000], features cos(k t) float32 [1000, 5],
  y float32 [1000]), from np.random.seed(43052) as the exam drew it."""
  t = np.linspace(0, 5, COSINE_POINTS)
  noise = np.random.RandomState(COSINE_SEED).randn(COSINE_POINTS)
  features = np.stack([np.cos(k * t) for k in range(1, COSINE_TERMS + 1)],
                      axis=1)
  y = (COSINE_BETA[0] + features @ np.array(COSINE_BETA[1:]) +
       COSINE_NOISE * noise)
  return t, features.astype(np.float32), y.astype(np.float32)


def cosine_splits():
  """{'train', 'validation'}: Keras's validation_split=0.45 of the series,
  the first 550 points and the last 450."""
  _, features, y = cosine()
  n_train = int(COSINE_POINTS * (1 - COSINE_VALIDATION_SPLIT))
  return {'train': (features[:n_train], y[:n_train]),
          'validation': (features[n_train:], y[n_train:])}
