"""tensorflow.examples.tutorials.mnist.input_data of TensorFlow 1.15.

read_data_sets() returns train, validation and test DataSets whose
next_batch() gives the batches TF1 gave: each epoch starts with a shuffle
drawn from numpy's global random state, which DataSet seeds as TF1 did (from
seed, or else from the graph's seed: tf.set_random_seed(777) before
read_data_sets makes the order repeat), and a batch that runs past the end
of an epoch takes the rest of it and the start of the next.

Files come from train_dir when the four IDX files are there (gzipped or
not), as TF1 read them; otherwise from the library's own data finder (its
cache, Debian's Fashion-MNIST for a folder named for Fashion-MNIST, then a
download checked against its MD5), where TF1 downloaded into train_dir.
Every file is checked before it is decoded (data.read_idx).
"""

import collections
import os

import numpy as np
import tensorflow as tf

from legacy_dnn import data
from legacy_dnn.errors import DataError
from legacy_dnn.tf1 import removed

Datasets = collections.namedtuple('Datasets', ['train', 'validation', 'test'])
# What TF1's reader printed as it read each file.
EXTRACTING = 'Extracting %s'


def dense_to_one_hot(labels, num_classes):
  """[n] class indices as float64 [n, num_classes] rows of 0s and a 1."""
  one_hot = np.zeros((len(labels), num_classes))
  one_hot[np.arange(len(labels)), labels] = 1
  return one_hot


def _numpy_seed(seed):
  """The seed TF1's DataSet gave numpy's global random state: seed, else
  the graph's (or eager context's) seed, else None."""
  try:
    graph_seed, op_seed = tf.compat.v1.random.get_seed(seed)
  except RuntimeError:
    # Op determinism on, and no seed anywhere: TensorFlow refuses to choose
    # one; TF1 had no such mode, and seeded numpy from nothing.
    return None
  return graph_seed if seed is None else op_seed


class DataSet:
  """One split: images, labels and TF1's next_batch().

  Args:
    images: uint8 [n, rows, cols, 1] pixels.
    labels: uint8 [n] classes, or [n, classes] one-hot rows.
    dtype: tf.float32 scales the pixels to [0, 1] (by 1/255, as TF1);
      tf.uint8 keeps them.
    reshape: images become [n, rows * cols].
    seed: numpy's global random state is seeded from it, as TF1 did.
  """

  def __init__(self, images, labels, fake_data=False, one_hot=False,
               dtype=tf.float32, reshape=True, seed=None):
    del one_hot  # The labels come one-hot already, or not.
    if fake_data:
      raise removed.NotProvidedError('DataSet(fake_data=True)',
                                     'a few real or generated images')
    np.random.seed(_numpy_seed(seed))
    dtype = tf.as_dtype(dtype).base_dtype
    if dtype not in (tf.uint8, tf.float32):
      raise TypeError('Invalid image dtype %r, expected uint8 or float32'
                      % dtype)
    if len(images) != len(labels):
      raise ValueError('images.shape: %s labels.shape: %s'
                       % (images.shape, labels.shape))
    if reshape:
      images = images.reshape(images.shape[0], -1)
    if dtype == tf.float32:
      images = np.multiply(images.astype(np.float32), 1.0 / 255.0)
    self._images, self._labels = images, labels
    self._num_examples = len(images)
    self._epochs_completed = 0
    self._index_in_epoch = 0

  @property
  def images(self):
    return self._images

  @property
  def labels(self):
    return self._labels

  @property
  def num_examples(self):
    return self._num_examples

  @property
  def epochs_completed(self):
    return self._epochs_completed

  def _shuffle(self):
    order = np.arange(self._num_examples)
    np.random.shuffle(order)
    self._images, self._labels = self._images[order], self._labels[order]

  def next_batch(self, batch_size, fake_data=False, shuffle=True):
    """The next batch_size (images, labels).

    The first call shuffles (with shuffle); a batch that passes the end of
    the epoch is its last examples followed by the first of the next epoch,
    shuffled anew.
    """
    if fake_data:
      raise removed.NotProvidedError('next_batch(fake_data=True)',
                                     'next_batch()')
    start = self._index_in_epoch
    if shuffle and self._epochs_completed == 0 and start == 0:
      self._shuffle()
    end = start + batch_size
    if end <= self._num_examples:
      self._index_in_epoch = end
      return self._images[start:end], self._labels[start:end]
    self._epochs_completed += 1
    rest = self._images[start:], self._labels[start:]
    if shuffle:
      self._shuffle()
    self._index_in_epoch = batch_size - len(rest[0])
    head = (self._images[:self._index_in_epoch],
            self._labels[:self._index_in_epoch])
    return tuple(np.concatenate(pair, axis=0) for pair in zip(rest, head))


def _dataset_for(train_dir):
  """Fashion-MNIST for a folder named for it (TF1 users pointed the MNIST
  reader at 'data/fashion'; a link named MNIST_data to Debian's
  fashion-mnist folder counts too), else MNIST. The folder's own name
  only: 'fashion' in a parent's name ('~/fashion-project/MNIST_data') says
  nothing of what the folder is for."""
  name = os.path.basename(os.path.realpath(train_dir))
  return data.DATASETS['fashion_mnist' if 'fashion' in name.lower()
                       else 'mnist']


def _locate(train_dir, source_url):
  dataset = _dataset_for(train_dir)
  if os.path.isdir(train_dir):
    try:
      return data.locate(dataset, data_dir=train_dir)[1]
    except DataError:
      pass  # Not all four files there: look where the library keeps them.
  try:
    return data.locate(dataset, mirror=source_url)[1]
  except DataError as e:
    raise DataError('input_data.read_data_sets(%r): the four IDX files are '
                    'not in that folder, and %s' % (train_dir, str(e).replace(
                        'pass --data_dir', 'pass their folder as train_dir'))
                    ) from None


def read_data_sets(train_dir, fake_data=False, one_hot=False,
                   dtype=tf.float32, reshape=True, validation_size=5000,
                   seed=None, source_url=None):
  """TF1's MNIST reader: Datasets(train, validation, test) of DataSets.

  Args:
    train_dir: where the four IDX files are (train-images-idx3-ubyte.gz,
      ...); where they are not, the library's data finder fetches them.
    one_hot: labels as float64 one-hot rows instead of uint8 classes.
    dtype: tf.float32 (pixels in [0, 1]) or tf.uint8.
    reshape: images as [n, 784] rows instead of [n, 28, 28, 1].
    validation_size: the first this many training images are validation.
    seed: seeds numpy's global random state, as DataSet does.
    source_url: a mirror to download from instead of the dataset's own.

  Raises:
    DataError: the files cannot be found, fetched or read, or
      validation_size is out of range; one line naming the cause.
  """
  if fake_data:
    raise removed.NotProvidedError('read_data_sets(fake_data=True)',
                                   'a few real or generated images')
  found = _locate(train_dir, source_url)
  splits = {}
  for split, (images_name, labels_name) in data.FILES.items():
    for name in (images_name, labels_name):
      print(EXTRACTING % found[name])
    images = data.read_idx(found[images_name], data.IDX_IMAGES_MAGIC)
    labels = data.read_idx(found[labels_name], data.IDX_LABELS_MAGIC)
    if len(images) != len(labels):
      raise DataError('%s holds %d images but %s holds %d labels'
                      % (found[images_name], len(images), found[labels_name],
                         len(labels)))
    if labels.size and labels.max() >= data.NUM_CLASSES:
      raise DataError('%s: label %d is out of range 0-%d'
                      % (found[labels_name], labels.max(),
                         data.NUM_CLASSES - 1))
    if one_hot:
      labels = dense_to_one_hot(labels, data.NUM_CLASSES)
    splits[split] = images[..., np.newaxis], labels
  train_images, train_labels = splits['train']
  if not 0 <= validation_size <= len(train_images):
    raise DataError('input_data.read_data_sets(validation_size=%d): must be '
                    'between 0 and %d, the training images in %s'
                    % (validation_size, len(train_images),
                       found[data.FILES['train'][0]]))
  options = dict(dtype=dtype, reshape=reshape, seed=seed)
  return Datasets(
      train=DataSet(train_images[validation_size:],
                    train_labels[validation_size:], **options),
      validation=DataSet(train_images[:validation_size],
                         train_labels[:validation_size], **options),
      test=DataSet(*splits['test'], **options))


def load_mnist(train_dir='MNIST-data'):
  """TF1's shorthand: read_data_sets(train_dir)."""
  return read_data_sets(train_dir)
