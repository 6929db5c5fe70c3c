"""CIFAR-10's binary version: records of 1 label byte and 3,072 pixel bytes.

The archive cifar-10-binary.tar.gz holds cifar-10-batches-bin/ with five
training batches (data_batch_1.bin ... data_batch_5.bin) and test_batch.bin.
Each image is 1,024 red, then 1,024 green, then 1,024 blue bytes, each plane
32 rows of 32. The python version of the dataset is never read: unpickling a
downloaded file runs whatever code it holds.
"""

import io
import os
import tarfile
import zlib

import numpy as np

from legacy_dnn import archives
from legacy_dnn.errors import DataError

ARCHIVE = 'cifar-10-binary.tar.gz'
FOLDER = 'cifar-10-batches-bin'
TRAIN_BATCHES = tuple('data_batch_%d.bin' % i for i in range(1, 6))
TEST_BATCHES = ('test_batch.bin',)
SIDE, CHANNELS = 32, 3
RECORD_BYTES = 1 + SIDE * SIDE * CHANNELS  # 3,073.
NUM_CLASSES = 10
# A batch file holds 10,000 records; the archive the six batches and a few
# small files (batches.meta.txt, readme.html).
MAX_BATCH_BYTES = 10_000 * RECORD_BYTES
MAX_ARCHIVE_BYTES = 6 * MAX_BATCH_BYTES + (1 << 20)


def parse_batch(raw, name):
  """(uint8 images [n, 32, 32, 3], int64 labels [n]) of one batch file.

  Raises:
    DataError: naming the file, if its size is not a whole number of records
      or a label is outside 0-9.
  """
  if not raw or len(raw) % RECORD_BYTES:
    raise DataError('%s: %d bytes, not a whole number of %d-byte CIFAR-10 '
                    'records' % (name, len(raw), RECORD_BYTES))
  records = np.frombuffer(raw, np.uint8).reshape(-1, RECORD_BYTES)
  labels = records[:, 0].astype(np.int64)
  if labels.max() >= NUM_CLASSES:
    raise DataError('%s: label %d is out of range 0-%d (record %d)'
                    % (name, labels.max(), NUM_CLASSES - 1,
                       int(np.argmax(labels >= NUM_CLASSES))))
  images = records[:, 1:].reshape(-1, CHANNELS, SIDE, SIDE).transpose(
      0, 2, 3, 1)
  return images, labels


def find_batches(folder):
  """Where folder holds the dataset: the archive's path, the folder of
  extracted batches (folder itself or its cifar-10-batches-bin), or None."""
  archive = os.path.join(folder, ARCHIVE)
  if os.path.isfile(archive):
    return archive
  for candidate in (folder, os.path.join(folder, FOLDER)):
    if all(os.path.isfile(os.path.join(candidate, name))
           for name in TRAIN_BATCHES + TEST_BATCHES):
      return candidate
  return None


def _read_archive(path):
  """{batch file name: bytes} of the six batches in the archive at path."""
  wanted = set(TRAIN_BATCHES + TEST_BATCHES)
  try:
    found = archives.read_members(
        path, lambda m: (os.path.basename(m.name)
                         if os.path.basename(m.name) in wanted else None),
        MAX_BATCH_BYTES, MAX_ARCHIVE_BYTES)
  except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
    raise DataError('%s: corrupt or truncated archive (%s)' % (path, e)
                    ) from None
  missing = sorted(wanted - set(found))
  if missing:
    raise DataError('%s: has no %s' % (path, ', '.join(
        '%s/%s' % (FOLDER, m) for m in missing)))
  return {name: (found[name], '%s:%s/%s' % (path, FOLDER, name))
          for name in found}


def _read_folder(folder):
  result = {}
  for name in TRAIN_BATCHES + TEST_BATCHES:
    path = os.path.join(folder, name)
    try:
      with open(path, 'rb') as f:
        result[name] = (f.read(), path)
    except OSError as e:
      raise DataError('%s: cannot read: %s' % (path, e.strerror)) from None
  return result


def read(source):
  """The training and test batches at source (an archive or a folder).

  Returns:
    ((train images, train labels), (test images, test labels)): uint8
    [n, 32, 32, 3] and int64 [n], training batches in order 1 to 5.
  """
  batches = (_read_archive(source) if os.path.isfile(source)
             else _read_folder(source))

  def concat(names):
    parts = [parse_batch(*batches[name]) for name in names]
    return (np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]))

  return concat(TRAIN_BATCHES), concat(TEST_BATCHES)


def batch_bytes(images, labels):
  """The binary records of uint8 images [n, 32, 32, 3] and their labels."""
  images = np.asarray(images, np.uint8).transpose(0, 3, 1, 2).reshape(
      len(images), -1)
  return np.concatenate([np.asarray(labels, np.uint8)[:, None], images],
                        axis=1).tobytes()


def write_archive(path, train, test, batches=None):
  """Writes a cifar-10-binary.tar.gz of (images, labels) train and test.

  The training set is split into the five batches. batches, if given, maps
  batch file names to the bytes to store instead (to write broken archives).
  """
  contents = {}
  for name, part in zip(TRAIN_BATCHES, np.array_split(np.arange(len(
      train[1])), len(TRAIN_BATCHES))):
    contents[name] = batch_bytes(train[0][part], train[1][part])
  contents[TEST_BATCHES[0]] = batch_bytes(*test)
  contents.update(batches or {})
  with tarfile.open(path, 'w:gz') as tar:
    for name, payload in contents.items():
      if payload is None:
        continue
      info = tarfile.TarInfo('%s/%s' % (FOLDER, name))
      info.size = len(payload)
      tar.addfile(info, io.BytesIO(payload))
  return path


def write_random(path, n_train, n_test, seed=0):
  """A cifar-10-binary.tar.gz of random images and labels."""
  rng = np.random.default_rng(seed)
  split = lambda n: (rng.integers(0, 256, (n, SIDE, SIDE, CHANNELS)),
                     rng.integers(0, NUM_CLASSES, n))
  return write_archive(path, split(n_train), split(n_test))
