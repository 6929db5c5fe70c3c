"""The datasets: IDX parsing, finding or downloading the files, batches.

The four IDX files of MNIST and Fashion-MNIST, CIFAR-10's binary archive
(read by cifar.py) and California housing's cal_housing.tgz (tabular.py) are
looked for, in order, in --data_dir, the per-user cache, the dataset's system
folders (Debian's dataset-fashion-mnist), and are otherwise downloaded into
the cache and checked against the published MD5 (SHA-256) sums. The exam's
cosine series is generated, never downloaded.
"""

import collections
import dataclasses
import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from typing import Dict, Tuple

import numpy as np

from legacy_dnn import cifar
from legacy_dnn import tabular
from legacy_dnn.errors import DataError

IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions.
IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension.
GZIP_MAGIC = b'\x1f\x8b'
IMAGE_SIDE = 28
IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE
NUM_CLASSES = 10
VALIDATION_SIZE = 5000
DOWNLOAD_TIMEOUT_S = 60

# File formats of the datasets.
IDX, CIFAR_BINARY = 'idx', 'cifar_binary'
HOUSING_ARCHIVE = 'housing_archive'  # scikit-learn's cal_housing.tgz.
GENERATED = 'generated'  # Made by code, no file: the exam's cosine series.
# What a dataset's examples are for.
CLASSIFICATION, REGRESSION = 'classification', 'regression'

# Split name -> (images file, labels file), without the .gz suffix.
FILES = collections.OrderedDict([
    ('train', ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte')),
    ('test', ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')),
])


@dataclasses.dataclass(frozen=True)
class Dataset:
  """Where one dataset's files can be found or fetched."""
  name: str
  url: str  # Base URL; the file name plus '.gz' is appended.
  # File name without .gz -> hash_name digest of the file downloaded.
  checksums: Dict[str, str]
  system_dirs: Tuple[str, ...] = ()
  install_hint: str = ''
  class_names: Tuple[str, ...] = tuple(str(i) for i in range(10))
  # One image: (height, width, channels). The X placeholder and the arrays
  # take input_shape: flat rows of pixels for the MNIST kind, as the seeds fed
  # them; convolutions reshape them to image_shape.
  image_shape: Tuple[int, int, int] = (IMAGE_SIDE, IMAGE_SIDE, 1)
  input_shape: Tuple[int, ...] = (IMAGE_PIXELS,)
  format: str = IDX
  hash_name: str = 'md5'  # The hashlib algorithm of checksums.
  # File name -> its name under url, where the host names it otherwise
  # (figshare's numbered files); a --mirror serves the file names.
  remote_names: Dict[str, str] = dataclasses.field(default_factory=dict)
  task: str = CLASSIFICATION
  # Examples held out for validation by default; a dataset with a fixed
  # split (split_fixed) always holds out this many.
  validation_size: int = VALIDATION_SIZE
  split_fixed: bool = False
  # Regression: the features' names, what the target is and its unit, and
  # whether the network standardizes the features (by the training split's
  # mean and standard deviation, as StandardScaler does).
  feature_names: Tuple[str, ...] = ()
  target_name: str = ''
  target_unit: str = ''
  standardize: bool = False
  # What the final "test" figures are computed on, when not a test set.
  test_is: str = ''

  @property
  def downloads(self):
    """(file name, digest) of each file fetched from url."""
    suffix = '.gz' if self.format == IDX else ''
    return [(name + suffix, digest) for name, digest in
            self.checksums.items()]

  @property
  def is_regression(self):
    return self.task == REGRESSION


DATASETS = {
    'mnist': Dataset(
        name='mnist',
        # The mirror TensorFlow's read_data_sets() downloaded from.
        url='https://storage.googleapis.com/cvdf-datasets/mnist/',
        checksums={
            'train-images-idx3-ubyte': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
            'train-labels-idx1-ubyte': 'd53e105ee54ea40749a09fcbcd1e9432',
            't10k-images-idx3-ubyte': '9fb629c4189551a2d022fa330f9573f3',
            't10k-labels-idx1-ubyte': 'ec29112dd5afa0611ce80d1b7f02629c',
        }),
    'fashion_mnist': Dataset(
        name='fashion_mnist',
        url=('https://github.com/zalandoresearch/fashion-mnist/raw/master/'
             'data/fashion/'),
        checksums={
            'train-images-idx3-ubyte': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
            'train-labels-idx1-ubyte': '25c81989df183df01b3e8a0aad5dffbe',
            't10k-images-idx3-ubyte': 'bef4ecab320f06d8554ea6380940ec79',
            't10k-labels-idx1-ubyte': 'bb300cfdad3c16e7a12a480ee83cd310',
        },
        system_dirs=('/usr/share/datasets/fashion-mnist',),
        install_hint='apt-get install dataset-fashion-mnist',
        class_names=('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
                     'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')),
}


CIFAR10 = Dataset(
    name='cifar10',
    # The dataset's home page at the University of Toronto: the binary
    # version, which needs no unpickling (unpickling a download runs code).
    url='https://www.cs.toronto.edu/~kriz/',
    checksums={cifar.ARCHIVE: 'c32a1d4ab5d03f1284b67883e8d87530'},
    format=CIFAR_BINARY,
    class_names=('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog',
                 'frog', 'horse', 'ship', 'truck'),
    image_shape=(32, 32, 3), input_shape=(32, 32, 3))
DATASETS['cifar10'] = CIFAR10

DATASETS['california_housing'] = Dataset(
    name='california_housing',
    # Where scikit-learn's fetch_california_housing downloads it from.
    url='https://ndownloader.figshare.com/files/',
    checksums={tabular.HOUSING_ARCHIVE: ('aaa5c9a6afe2225cc2aed2723682ae4032'
                                         '80c4a3695a2ddda4ffb5d8215ea681')},
    hash_name='sha256', remote_names={tabular.HOUSING_ARCHIVE: '5976036'},
    format=HOUSING_ARCHIVE, class_names=(), image_shape=(8,),
    input_shape=(8,), task=REGRESSION, validation_size=3870,
    split_fixed=True, feature_names=tabular.HOUSING_FEATURES,
    target_name='median house value', target_unit='$100,000',
    standardize=True)
DATASETS['cosine'] = Dataset(
    name='cosine', url='', checksums={}, format=GENERATED, class_names=(),
    image_shape=(tabular.COSINE_TERMS,), input_shape=(tabular.COSINE_TERMS,),
    task=REGRESSION, validation_size=450, split_fixed=True,
    feature_names=tuple('cos(%dt)' % k for k in
                        range(1, tabular.COSINE_TERMS + 1)),
    target_name='y',
    test_is='the validation points: the exam has no test set')


@dataclasses.dataclass(frozen=True)
class Splits:
  """Each split is (inputs, targets). Images are float32 [n, 784] (or
  [n, 32, 32, 3]) in [0, 1], or their uint8 bytes (load(pixels=True)), with
  int64 labels [n]; a regression dataset's rows are float32 [n, features],
  raw, with float32 targets [n]."""
  train: Tuple[np.ndarray, np.ndarray]
  validation: Tuple[np.ndarray, np.ndarray]
  test: Tuple[np.ndarray, np.ndarray]
  source: str  # The folder the files were read from.


def cache_root():
  base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
      os.path.expanduser('~'), '.cache')
  return os.path.join(base, 'legacy_dnn')


# The most bytes deflate can make of one byte: a match of 258 bytes in the
# fewest bits it has (RFC 1951), so 1032 to 1 and a little under.
MAX_DEFLATE_RATIO = 1032


def read_idx(path, magic):
  """Reads an IDX file of unsigned bytes and checks its header.

  A gzipped file is decompressed as it is read, and no further than its
  header promises: a stream that runs past it is refused without
  decompressing the rest, and a header that promises more than the gzip's
  size can hold is refused before anything past it is decompressed.

  Args:
    path: the file, raw or gzipped (by its .gz suffix).
    magic: IDX_IMAGES_MAGIC or IDX_LABELS_MAGIC.

  Returns:
    A uint8 array of shape [n, 28, 28] for images, [n] for labels.

  Raises:
    DataError: naming path, if the header or size is not what it should be.
  """
  try:
    f = open(path, 'rb')
  except OSError as e:
    raise DataError('%s: cannot read: %s' % (path, e.strerror)) from None
  with f:
    size = os.fstat(f.fileno()).st_size
    gzipped = path.endswith('.gz')
    if gzipped:
      if f.read(len(GZIP_MAGIC)) != GZIP_MAGIC:
        raise DataError('%s: named .gz but is not gzip data' % path)
      f.seek(0)
    stream = gzip.GzipFile(fileobj=f) if gzipped else f
    try:
      return _read_idx_stream(path, magic, stream, size, gzipped)
    except (EOFError, OSError, zlib.error) as e:  # BadGzipFile is an OSError.
      if not gzipped:
        raise DataError('%s: cannot read: %s' % (path, e)) from None
      raise DataError('%s: corrupt or truncated gzip data (%s)'
                      % (path, e)) from None


def _read_idx_stream(path, magic, stream, size, gzipped):
  """read_idx() of an open stream of the file's (decompressed) bytes."""
  ndim = magic & 0xff
  header_size = 4 * (1 + ndim)
  raw_header = stream.read(header_size)
  if len(raw_header) < header_size:
    raise DataError('%s: truncated: %d bytes, shorter than its header'
                    % (path, len(raw_header)))
  header = np.frombuffer(raw_header, dtype='>u4')
  if header[0] != magic:
    raise DataError('%s: bad magic %d, expected %d'
                    % (path, header[0], magic))
  shape = tuple(int(d) for d in header[1:])
  if magic == IDX_IMAGES_MAGIC and shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
    raise DataError('%s: images are %dx%d, expected %dx%d'
                    % ((path,) + shape[1:] + (IMAGE_SIDE, IMAGE_SIDE)))
  expected = header_size + int(np.prod(shape))
  if gzipped and expected > MAX_DEFLATE_RATIO * size:
    raise DataError('%s: the header promises %d bytes, more than %d bytes '
                    'of gzip data can hold' % (path, expected, size))
  payload = stream.read(expected - header_size)
  if header_size + len(payload) < expected:
    raise DataError('%s: truncated: %d bytes, the header promises %d'
                    % (path, header_size + len(payload), expected))
  if stream.read(1):
    raise DataError('%s: trailing data: more than the %d bytes the header '
                    'promises' % (path, expected))
  return np.frombuffer(payload, dtype=np.uint8).reshape(shape)


def write_idx(path, array, magic):
  """Writes a uint8 array as an IDX file, gzipped if path ends in .gz."""
  array = np.asarray(array, dtype=np.uint8)
  payload = (np.array([magic] + list(array.shape), dtype='>u4').tobytes() +
             array.tobytes())
  opener = gzip.open if path.endswith('.gz') else open
  with opener(path, 'wb') as f:
    f.write(payload)


def write_random(folder, n_train, n_test, seed=0):
  """Writes the four IDX files of random images and labels into folder."""
  rng = np.random.default_rng(seed)
  os.makedirs(folder, exist_ok=True)
  for split, n in (('train', n_train), ('test', n_test)):
    images_name, labels_name = FILES[split]
    write_idx(os.path.join(folder, images_name),
              rng.integers(0, 256, (n, IMAGE_SIDE, IMAGE_SIDE)),
              IDX_IMAGES_MAGIC)
    write_idx(os.path.join(folder, labels_name),
              rng.integers(0, NUM_CLASSES, n), IDX_LABELS_MAGIC)
  return folder


def find_local(dataset, cache_dir=None):
  """The folder holding dataset's files in the cache or system dirs, or None.

  Unlike locate(), never downloads.
  """
  found = _find_local(dataset, cache_dir)
  return found and found[0]


def _find_local(dataset, cache_dir):
  """(folder, {name: path}) of the first cache or system dir with the files."""
  cache_dir = cache_dir or os.path.join(cache_root(), dataset.name)
  for folder in (cache_dir,) + dataset.system_dirs:
    found = _find_in(folder, dataset)
    if found is not None:
      return folder, found
  return None


def load_split(images_path, labels_path, pixels=False):
  """Reads one images/labels pair: float32 [n, 784] in [0, 1] (with pixels,
  the uint8 bytes as they are), int64 [n]."""
  images = read_idx(images_path, IDX_IMAGES_MAGIC)
  labels = read_idx(labels_path, IDX_LABELS_MAGIC)
  if len(images) != len(labels):
    raise DataError('%s holds %d images but %s holds %d labels'
                    % (images_path, len(images), labels_path, len(labels)))
  if labels.size and labels.max() >= NUM_CLASSES:
    raise DataError('%s: label %d is out of range 0-%d'
                    % (labels_path, labels.max(), NUM_CLASSES - 1))
  images = images.reshape(-1, IMAGE_PIXELS)
  return images if pixels else to_float(images), labels.astype(np.int64)


def to_float(pixels):
  """uint8 pixels as float32 in [0, 1], with no float temporary.

  Bit for bit pixels.astype(np.float32) / 255.0, which would hold two float
  copies of the dataset at once (60,000 MNIST images: 188 MB each).
  """
  return np.divide(pixels, np.float32(255.0), dtype=np.float32,
                   out=np.empty(pixels.shape, np.float32))


def as_float(rows):
  """rows as the networks take them: uint8 pixels (load(pixels=True)) as
  to_float() makes them, float rows as they are.

  A batch converted so holds the same bits as the same rows of a dataset
  converted whole: the division is per element.
  """
  return to_float(rows) if rows.dtype == np.uint8 else rows


def _find_in(folder, dataset):
  """Maps each file name to its path in folder, or returns None if any lacks.

  A raw file wins over its .gz twin: it reads faster and is what the user
  unpacked on purpose. CIFAR-10 is one entry, cifar.ARCHIVE, whose path is
  the archive or the folder of its extracted batches.
  """
  if dataset.format == CIFAR_BINARY:
    source = cifar.find_batches(folder)
    return source and {cifar.ARCHIVE: source}
  if dataset.format == HOUSING_ARCHIVE:
    path = os.path.join(folder, tabular.HOUSING_ARCHIVE)
    return {tabular.HOUSING_ARCHIVE: path} if os.path.isfile(path) else None
  found = {}
  for pair in FILES.values():
    for name in pair:
      for candidate in (name, name + '.gz'):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
          found[name] = path
          break
      else:
        return None
  return found


def _download_file(url, dest, expected, hash_name='md5'):
  """Downloads url to dest through a temporary file, checking its digest.

  Nothing is left at dest, or beside it, unless the whole file arrived and
  its digest (hashlib's hash_name) matched.
  """
  tmp = None
  try:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), suffix='.part',
                               prefix='.' + os.path.basename(dest))
    digest = hashlib.new(hash_name)
    with os.fdopen(fd, 'wb') as out:
      with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        while True:
          chunk = response.read(1 << 20)
          if not chunk:
            break
          digest.update(chunk)
          out.write(chunk)
    if digest.hexdigest() != expected:
      raise DataError('%s: %s %s, expected %s (a corrupt download, or the '
                      'wrong file)' % (url, hash_name.upper().replace(
                          'SHA', 'SHA-'), digest.hexdigest(), expected))
    os.replace(tmp, dest)
  except (urllib.error.URLError, http.client.HTTPException, OSError,
          ValueError) as e:
    reason = getattr(e, 'reason', None) or e
    raise DataError('%s: download failed: %s' % (url, reason)) from None
  finally:
    if tmp is not None and os.path.exists(tmp):
      os.remove(tmp)


def download(dataset, folder, base_url=None):
  """Fetches dataset's files into folder; returns _find_in()'s map."""
  remote_names = {} if base_url else dataset.remote_names
  base_url = base_url or dataset.url
  if not base_url.endswith('/'):
    base_url += '/'
  try:
    os.makedirs(folder, exist_ok=True)
  except OSError as e:
    raise DataError('%s: cannot create the data cache: %s'
                    % (folder, e.strerror)) from None
  for name, digest in dataset.downloads:
    dest = os.path.join(folder, name)
    if not os.path.isfile(dest):
      _download_file(base_url + remote_names.get(name, name), dest, digest,
                     dataset.hash_name)
  return _find_in(folder, dataset)


def locate(dataset, data_dir=None, cache_dir=None, mirror=None):
  """Finds dataset's files, downloading them if need be.

  Args:
    dataset: a Dataset.
    data_dir: if given, the only folder looked in.
    cache_dir: the per-user cache; default cache_root()/<dataset name>.
    mirror: base URL to download from instead of dataset.url.

  Returns:
    (folder, {file name without .gz: path}).

  Raises:
    DataError: saying where files were looked for and how to provide them.
  """
  if data_dir is not None:
    found = _find_in(data_dir, dataset)
    if found is None:
      raise DataError('--data_dir=%s: %s' % (data_dir, _what_is_missing(
          dataset)))
    return data_dir, found
  cache_dir = cache_dir or os.path.join(cache_root(), dataset.name)
  found = _find_local(dataset, cache_dir)
  if found is not None:
    return found
  try:
    return cache_dir, download(dataset, cache_dir, mirror)
  except DataError as e:
    looked = ', '.join((cache_dir,) + dataset.system_dirs)
    hint = (' or ' + dataset.install_hint) if dataset.install_hint else ''
    files = ('the four IDX files' if dataset.format == IDX else
             ' '.join(dataset.checksums))
    raise DataError(
        'no %s files in %s, and %s. Put %s in one of those folders or pass '
        '--data_dir%s' % (dataset.name, looked, e, files, hint)) from None


def _what_is_missing(dataset):
  if dataset.format == HOUSING_ARCHIVE:
    return 'no %s there' % tabular.HOUSING_ARCHIVE
  if dataset.format == CIFAR_BINARY:
    return 'no %s, and no %s (or %s/) with its six batches' % (
        cifar.ARCHIVE, ', '.join(cifar.TRAIN_BATCHES + cifar.TEST_BATCHES),
        cifar.FOLDER)
  return 'missing some of the IDX files %s (gzipped or raw)' % ', '.join(
      n for p in FILES.values() for n in p)


def load(dataset, data_dir=None, cache_dir=None, mirror=None,
         validation_size=VALIDATION_SIZE, pixels=False):
  """Loads train/validation/test as the seeds split them.

  Validation is the first validation_size training images, train the rest,
  test the t10k files. The regression datasets' splits are fixed:
  tabular.py says how.
  pixels: keep images as their uint8 bytes, a quarter of the memory of
  float32 (Fashion-MNIST: 55 MB, not 220), for the caller to convert a batch
  at a time with as_float().
  """
  if dataset.format == GENERATED:
    parts = tabular.cosine_splits()
    # No test set: the final figures are the validation points'.
    return Splits(parts['train'], parts['validation'], parts['validation'],
                  'generated: the exam\'s noisy cosine series')
  folder, found = locate(dataset, data_dir, cache_dir, mirror)
  if dataset.format == HOUSING_ARCHIVE:
    path = found[tabular.HOUSING_ARCHIVE]
    parts = tabular.housing_splits(*tabular.housing_features(
        tabular.read_housing_archive(path)))
    if not all(len(parts[name][0]) for name in parts):
      raise DataError('%s: %d rows are too few to split into train, '
                      'validation and test' % (
                          path, sum(len(p[0]) for p in parts.values())))
    return Splits(parts['train'], parts['validation'], parts['test'], path)
  if dataset.format == CIFAR_BINARY:
    train, test = cifar.read(found[cifar.ARCHIVE])
    convert = (lambda images: images) if pixels else to_float
    train_images, train_labels = convert(train[0]), train[1]
    test = convert(test[0]), test[1]
    train_source = found[cifar.ARCHIVE]
  else:
    train_images, train_labels = load_split(
        *(found[n] for n in FILES['train']), pixels=pixels)
    test = load_split(*(found[n] for n in FILES['test']), pixels=pixels)
    train_source = found[FILES['train'][0]]
  if validation_size >= len(train_images):
    raise DataError(
        '--validation_size=%d leaves no training examples: %s holds %d'
        % (validation_size, train_source, len(train_images)))
  return Splits(
      train=(train_images[validation_size:], train_labels[validation_size:]),
      validation=(train_images[:validation_size],
                  train_labels[:validation_size]),
      test=test,
      source=folder)


def describe(dataset, splits, classes=None):
  """The "Data: ..." line a run prints: where the data came from and the
  sizes of its splits."""
  if dataset.is_regression:
    return 'Data: %s (%d train, %d validation, %d test rows%s)' % (
        splits.source, len(splits.train[0]), len(splits.validation[0]),
        len(splits.test[0]), '; the test rows are ' + dataset.test_is
        if dataset.test_is else '')
  return 'Data: %s (%d train, %d validation, %d test images%s)' % (
      splits.source, len(splits.train[0]), len(splits.validation[0]),
      len(splits.test[0]), '' if classes is None else
      ' of classes %s' % ','.join(map(str, classes)))


def scaler(features):
  """(mean, standard deviation) of each feature, float64, as StandardScaler
  computes them (population deviation; 1 where a feature is constant)."""
  features = np.asarray(features, np.float64)
  std = features.std(axis=0)
  return features.mean(axis=0), np.where(std > 0, std, 1.0)


def epoch_rng(seed, epoch):
  """The generator for one epoch's order: a function of (seed, epoch) alone."""
  return np.random.default_rng([seed, epoch])


def batches_per_epoch(n_examples, batch_size):
  """How many batches shuffle_batch cuts an epoch into: at least one."""
  return max(1, n_examples // batch_size)


def batch_indices(n_examples, batch_size, rng):
  """One shuffled epoch's batches, as index arrays, as Hands-On ML cuts them.

  Every example appears exactly once; np.array_split spreads the remainder,
  so batches hold batch_size or batch_size + 1 examples.
  """
  return np.array_split(rng.permutation(n_examples),
                        batches_per_epoch(n_examples, batch_size))


def shuffle_batch(X, y, batch_size, rng):
  """Yields (X_batch, y_batch) over one shuffled epoch, as Hands-On ML does:
  the batches of batch_indices()."""
  for batch_idx in batch_indices(len(X), batch_size, rng):
    yield X[batch_idx], y[batch_idx]


def examples_in_batches(n_examples, batch_size, batches):
  """How many examples the first `batches` batches of shuffle_batch hold."""
  size, extra = divmod(n_examples, batches_per_epoch(n_examples, batch_size))
  return batches * size + min(batches, extra)


def run_splits(config, pixels=False):
  """The splits a run trains on: its dataset, held out as its
  validation_size says, of its classes, its training split cut to its
  train_limit (a TrainConfig's fields). pixels: as load()'s."""
  return subset(load(DATASETS[config.dataset], config.data_dir,
                     mirror=config.mirror,
                     validation_size=config.validation_size, pixels=pixels),
                config.classes, config.train_limit)


def subset(splits, classes=None, train_limit=None):
  """splits restricted to examples of classes, and to train_limit of training.

  Labels keep their numbers, so a network still has 10 outputs and a model
  trained on classes 0-4 can be warm-started for 5-9.
  """
  def keep(split):
    images, labels = split
    if classes is None:
      return split
    mask = np.isin(labels, classes)
    return images[mask], labels[mask]

  train = keep(splits.train)
  if train_limit is not None:
    train = (train[0][:train_limit], train[1][:train_limit])
  return dataclasses.replace(splits, train=train,
                             validation=keep(splits.validation),
                             test=keep(splits.test))
