"""input_data.read_data_sets and DataSet, against TF 1.15's behaviour.

TF1's DataSet seeded numpy's global random state in its constructor (from
its seed, else the graph's seed) and shuffled with it at each epoch's start;
a batch that ran past the end took the rest of the epoch, then the start of
the next. The expected orders below are computed from those rules alone.
"""

import os
import re

import numpy as np
import pytest
import tensorflow as tf

from conftest import serve_folder, write_dataset
from legacy_dnn import data
from legacy_dnn.errors import DataError
from legacy_dnn.tf1 import input_data


def small_set(n=10):
  images = np.arange(n * 4, dtype=np.uint8).reshape(n, 2, 2, 1)
  return input_data.DataSet(images, np.arange(n, dtype=np.uint8),
                            dtype=tf.uint8, seed=5)


def test_next_batch_shuffles_each_epoch_and_carries_the_remainder():
  dataset = small_set()
  batches = [dataset.next_batch(4)[1] for _ in range(3)]
  # DataSet seeded numpy with its seed; each epoch's order is one shuffle.
  np.random.seed(5)
  first = np.arange(10)
  np.random.shuffle(first)
  second = np.arange(10)
  np.random.shuffle(second)
  assert [list(b) for b in batches[:2]] == [list(first[:4]),
                                            list(first[4:8])]
  # The third batch: the first epoch's last two, then the second's first
  # two (TF1 shuffled the already shuffled order).
  assert list(batches[2]) == list(first[8:]) + list(first[second][:2])
  assert dataset.epochs_completed == 1
  assert dataset.images.shape == (10, 4)  # reshape: [n, rows * cols].


def test_the_graph_seed_fixes_the_order_when_no_seed_is_given():
  orders = []
  for _ in range(2):
    with tf.Graph().as_default():
      tf.compat.v1.set_random_seed(777)
      dataset = input_data.DataSet(
          np.zeros((10, 1, 1, 1), np.uint8), np.arange(10, dtype=np.uint8))
      orders.append(list(dataset.next_batch(10)[1]))
  assert orders[0] == orders[1] and orders[0] != list(range(10))


def test_op_determinism_without_a_seed_leaves_the_order_to_chance():
  # TensorFlow refuses get_seed(None) when op determinism is on and no seed
  # is set (any test that trained in this process turns it on); TF1 had no
  # such mode, and DataSet still reads.
  tf.config.experimental.enable_op_determinism()
  try:
    with tf.Graph().as_default():
      dataset = input_data.DataSet(np.zeros((10, 1, 1, 1), np.uint8),
                                   np.arange(10, dtype=np.uint8))
      assert sorted(dataset.next_batch(10)[1]) == list(range(10))
  finally:
    # pylint: disable=g-import-not-at-top
    from tensorflow.python.framework import config as tf_config
    tf_config.disable_op_determinism()  # Only tf.config's enable is public.


def test_without_shuffle_batches_run_in_order_across_epochs():
  dataset = small_set()
  got = [list(dataset.next_batch(4, shuffle=False)[1]) for _ in range(3)]
  assert got == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]


def test_read_data_sets_reads_train_dir_as_tf1_did(tmp_path, capsys):
  folder = write_dataset(str(tmp_path / 'MNIST_data'), n_train=60,
                         n_test=20)
  sets = input_data.read_data_sets(folder, one_hot=True, validation_size=10)
  out = capsys.readouterr().out.splitlines()
  assert out == ['Extracting %s' % os.path.join(folder, name + '.gz')
                 for pair in data.FILES.values() for name in pair]
  images = data.read_idx(os.path.join(folder, 'train-images-idx3-ubyte.gz'),
                         data.IDX_IMAGES_MAGIC)
  labels = data.read_idx(os.path.join(folder, 'train-labels-idx1-ubyte.gz'),
                         data.IDX_LABELS_MAGIC)
  assert (sets.train.num_examples, sets.validation.num_examples,
          sets.test.num_examples) == (50, 10, 20)
  # Validation is the first validation_size images; pixels times 1/255.
  np.testing.assert_array_equal(
      sets.validation.images,
      images[:10].reshape(10, 784).astype(np.float32) * (1.0 / 255.0))
  assert sets.validation.images.dtype == np.float32
  assert sets.train.labels.dtype == np.float64
  np.testing.assert_array_equal(sets.train.labels.argmax(1), labels[10:])
  assert (sets.train.labels.sum(1) == 1).all()
  raw = input_data.read_data_sets(folder, dtype=tf.uint8, reshape=False,
                                  validation_size=10)
  assert raw.test.images.shape == (20, 28, 28, 1)
  assert raw.test.images.dtype == np.uint8
  assert raw.test.labels.dtype == np.uint8


def test_a_fashion_folder_without_files_reads_debians_fashion_mnist(
    tmp_path, capsys):
  if not os.path.isdir(data.DATASETS['fashion_mnist'].system_dirs[0]):
    pytest.fail('the README\'s set-up installs dataset-fashion-mnist')
  sets = input_data.read_data_sets(str(tmp_path / 'data' / 'fashion'))
  assert capsys.readouterr().out.startswith(
      'Extracting /usr/share/datasets/fashion-mnist/')
  assert (sets.train.num_examples, sets.test.num_examples) == (55000, 10000)


def test_only_the_folders_own_name_says_fashion(tmp_path):
  # pylint: disable=protected-access
  def dataset(path):
    return input_data._dataset_for(str(path)).name
  project = tmp_path / 'fashion-project'
  assert dataset(project / 'MNIST_data') == 'mnist'
  assert dataset(project / 'MNIST_data' / '') == 'mnist'
  assert dataset(tmp_path / 'data' / 'fashion') == 'fashion_mnist'
  assert dataset(tmp_path / 'Fashion_MNIST') == 'fashion_mnist'
  # A link named MNIST_data to a Fashion-MNIST folder, as docs/tf1-code.md
  # makes one to Debian's.
  (tmp_path / 'fashion-mnist').mkdir()
  (tmp_path / 'MNIST_data').symlink_to(tmp_path / 'fashion-mnist')
  assert dataset(tmp_path / 'MNIST_data') == 'fashion_mnist'


def test_a_train_dir_without_the_files_is_one_line(tmp_path):
  empty = tmp_path / 'served'
  empty.mkdir()
  server = serve_folder(str(empty))
  try:
    with pytest.raises(DataError) as raised:
      input_data.read_data_sets(
          str(tmp_path / 'MNIST_data'),
          source_url='http://127.0.0.1:%d/' % server.server_address[1])
  finally:
    server.shutdown()
  message = str(raised.value)
  assert '\n' not in message
  assert re.match(r"input_data\.read_data_sets\('.*/MNIST_data'\): the four "
                  r'IDX files are not in that folder, and no mnist files in ',
                  message), message
  assert message.endswith('pass their folder as train_dir')
  assert not os.path.exists(tmp_path / 'MNIST_data')


def test_a_corrupt_file_and_a_bad_validation_size_are_one_line(tmp_path):
  folder = write_dataset(str(tmp_path / 'd'), n_train=30, n_test=10)
  with pytest.raises(DataError, match=r'validation_size=31\): must be '
                                      r'between 0 and 30'):
    input_data.read_data_sets(folder, validation_size=31)
  with open(os.path.join(folder, 't10k-labels-idx1-ubyte.gz'), 'wb') as f:
    f.write(b'not gzip')
  with pytest.raises(DataError, match='t10k-labels-idx1-ubyte.gz: named .gz '
                                      'but is not gzip data'):
    input_data.read_data_sets(folder)


def test_the_mechanics_101_model_is_tf_1_15s():
  # tensorflow.examples.tutorials.mnist.mnist of TF 1.15: its variables'
  # names, shapes and initial values, its loss, train op and hit count.
  from legacy_dnn.tf1 import mnist_tutorial as mnist  # pylint: disable=g-import-not-at-top
  v1 = tf.compat.v1
  with tf.Graph().as_default():
    v1.set_random_seed(0)
    images = v1.placeholder(tf.float32, [None, mnist.IMAGE_PIXELS])
    labels = v1.placeholder(tf.int32, [None])
    logits = mnist.inference(images, 40, 20)
    loss = mnist.loss(logits, labels)
    train_op = mnist.training(loss, 0.05)
    hits = mnist.evaluation(logits, labels)
    assert [(v.op.name, v.shape.as_list()) for v in v1.global_variables()] == [
        ('hidden1/weights', [784, 40]), ('hidden1/biases', [40]),
        ('hidden2/weights', [40, 20]), ('hidden2/biases', [20]),
        ('softmax_linear/weights', [20, 10]), ('softmax_linear/biases', [10]),
        ('global_step', [])]
    assert [s.op.name for s in v1.get_collection(v1.GraphKeys.SUMMARIES)
            ] == ['loss']
    rng = np.random.default_rng(0)
    x = rng.random((50, 784)).astype(np.float32)
    y = rng.integers(0, 10, 50).astype(np.int32)
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      variables = sess.run(v1.trainable_variables())
      for weights, fan_in in zip(variables[::2], (784, 40, 20)):
        # Truncated normal: within two standard deviations of 0.
        stddev = 1 / np.sqrt(fan_in)
        assert np.abs(weights).max() <= 2 * stddev
        assert weights.std() == pytest.approx(0.88 * stddev, rel=0.1)
      assert all((b == 0).all() for b in variables[1::2])
      value, count, out = sess.run([loss, hits, logits],
                                   {images: x, labels: y})
      shifted = out - out.max(1, keepdims=True)
      log_softmax = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
      assert value == pytest.approx(-log_softmax[np.arange(50), y].mean(),
                                    rel=1e-5)
      assert count == (out.argmax(1) == y).sum()
      for _ in range(3):
        sess.run(train_op, {images: x, labels: y})
      assert sess.run(v1.global_variables()[-1]) == 3  # global_step.
      assert sess.run(loss, {images: x, labels: y}) < value
