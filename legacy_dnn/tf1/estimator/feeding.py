"""tf.estimator.inputs of TensorFlow 1.15: numpy_input_fn and
pandas_input_fn.

Each input_fn builds what TF 1.15's built: a queue under the name scope
enqueue_input (a FIFOQueue in row order, or with shuffle a
RandomShuffleQueue of capacity queue_capacity that keeps a quarter of it
after each dequeue), fed batch_size rows at a time by a queue-runner thread
from the arrays, and the summary of how full it is
(enqueue_input/queue/..._fraction_over_M_of_N_full). With num_epochs=None
it dequeues whole batches for ever; with a number, up to batch_size rows,
and then OutOfRange ends the loop that reads it (an evaluation, a
prediction). As in TF 1.15, a shuffled input starts at a random row and
shuffles with an unseeded queue: its order differs from run to run;
shuffle=False gives the rows in order, every time.
"""

import collections
import random

import numpy as np
import tensorflow as tf

from tensorflow.python.util import deprecation  # pylint: disable=g-direct-tensorflow-import

# The key under which y travels with x's columns, as TF 1.15 named it.
_TARGET_KEY = '__target_key__'
_ARRAY_KEY = '__direct_np_input__'


class _Rows:
  """The row numbers of batch after batch: epochs of n rows from a start
  row, stopping after num_epochs (the last batch may be short)."""

  def __init__(self, n, batch_size, start, num_epochs):
    self._n = n
    self._batch_size = batch_size
    self._next = start
    self._epoch_end = (start - 1) % n
    self._epochs = 0
    self._num_epochs = num_epochs

  def __call__(self):
    if self._num_epochs is not None and self._epochs >= self._num_epochs:
      raise tf.errors.OutOfRangeError(
          None, None, 'Already emitted %s epochs.' % self._epochs)
    rows = [(self._next + i) % self._n for i in range(self._batch_size)]
    for i, row in enumerate(rows):
      if row == self._epoch_end:
        self._epochs += 1
        if self._num_epochs is not None and self._epochs >= self._num_epochs:
          rows = rows[:i + 1]
          break
    self._next = (rows[-1] + 1) % self._n
    return rows


class _FeedingQueueRunner(tf.compat.v1.train.queue_runner.QueueRunner):
  """A queue runner whose threads feed each enqueue op from a function:
  {placeholder: rows} for one batch, OutOfRangeError when there are no
  more."""

  def __init__(self, queue, enqueue_ops, feed_fns):
    super().__init__(queue, enqueue_ops, queue_closed_exception_types=(
        tf.errors.OutOfRangeError, tf.errors.CancelledError))
    self._feed_fns = dict(zip(enqueue_ops, feed_fns))

  def _run(self, sess, enqueue_op, coord=None):
    feed_fn = self._feed_fns[enqueue_op]
    closed = False
    try:
      while not (coord and coord.should_stop()):
        try:
          sess.run(enqueue_op, feed_dict=feed_fn())
        except self._queue_closed_exception_types:  # pylint: disable=catching-non-exception
          closed = True
          with self._lock:
            self._runs_per_session[sess] -= 1
            if self._runs_per_session[sess] == 0:
              try:
                sess.run(self._close_op)
              except tf.errors.OpError:
                pass  # Closed already, or the session is going.
          return
    except Exception as e:  # pylint: disable=broad-except
      if not coord:
        raise
      coord.request_stop(e)
    finally:
      if not closed:
        with self._lock:
          self._runs_per_session[sess] -= 1


def _enqueue(columns, capacity, shuffle, num_threads, batch_size,
             num_epochs):
  """A queue of the rows of columns (an OrderedDict of equally long
  arrays, the row numbers or index first), filled by num_threads threads."""
  arrays = list(columns.values())
  types = [tf.as_dtype(array.dtype) for array in arrays]
  shapes = [array.shape[1:] for array in arrays]
  with tf.compat.v1.name_scope('enqueue_input'):
    if shuffle:
      min_after_dequeue = int(capacity / 4)
      queue = tf.queue.RandomShuffleQueue(capacity, min_after_dequeue,
                                          dtypes=types, shapes=shapes)
    else:
      min_after_dequeue = 0
      queue = tf.queue.FIFOQueue(capacity, dtypes=types, shapes=shapes)
    enqueue_ops, feed_fns = [], []
    n = len(arrays[0])
    for _ in range(num_threads):
      placeholders = [tf.compat.v1.placeholder(t) for t in types]
      enqueue_ops.append(queue.enqueue_many(placeholders))
      start = random.Random().randrange(n) if shuffle else 0
      rows = _Rows(n, batch_size, start, num_epochs)
      feed_fns.append(_feed_fn(placeholders, arrays, rows))
    with deprecation.silence():  # What TF1 code asked for: not its to fix.
      tf.compat.v1.train.queue_runner.add_queue_runner(
          _FeedingQueueRunner(queue, enqueue_ops, feed_fns))
    full = tf.cast(tf.maximum(0, queue.size() - min_after_dequeue),
                   tf.float32) * (1. / (capacity - min_after_dequeue))
    tf.compat.v1.summary.scalar(
        'queue/%sfraction_over_%d_of_%d_full' % (
            queue.name, min_after_dequeue, capacity - min_after_dequeue),
        full)
  return queue


def _feed_fn(placeholders, arrays, rows):
  """The feed of one thread: its next rows of each array."""
  def feed():
    indices = rows()
    return {placeholder: array[indices]
            for placeholder, array in zip(placeholders, arrays)}
  return feed


def _check_common(shuffle, batch_size, num_epochs, queue_capacity,
                  num_threads, api):
  if not isinstance(shuffle, bool):
    raise ValueError('%s: shuffle must be provided and explicitly set as '
                     'boolean (it is recommended to set it as True for '
                     'training); got %r' % (api, shuffle))
  for name, value in (('batch_size', batch_size),
                      ('queue_capacity', queue_capacity),
                      ('num_threads', num_threads)):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
      raise ValueError('%s: %s must be a positive int, given: %r'
                       % (api, name, value))
  if num_epochs is not None and (isinstance(num_epochs, bool) or
                                 not isinstance(num_epochs, int) or
                                 num_epochs < 1):
    raise ValueError('%s: num_epochs must be a positive int or None, given: '
                     '%r' % (api, num_epochs))
  if shuffle and queue_capacity < 2:
    raise ValueError('%s: queue_capacity must be at least 2 to shuffle'
                     % api)


def _batch(queue, batch_size, num_epochs):
  batch = (queue.dequeue_many(batch_size) if num_epochs is None
           else queue.dequeue_up_to(batch_size))
  return list(batch)[1:]  # Without the row numbers (or the index).


def numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None,
                   queue_capacity=1000, num_threads=1):
  """An input_fn of numpy arrays: x an array or a dict of them, y an array,
  a dict of them, or None (prediction).

  Returns:
    input_fn() -> features, or (features, labels): features an array's
    batch or a dict of batches (its keys sorted, as TF 1.15 fed them).
  """
  api = 'tf.estimator.inputs.numpy_input_fn'
  _check_common(shuffle, batch_size, num_epochs, queue_capacity, num_threads,
                api)

  def input_fn():
    if isinstance(x, dict):
      if not x:
        raise ValueError('x cannot be an empty dict')
      columns = collections.OrderedDict(sorted(x.items()))
    elif isinstance(x, np.ndarray):
      if not x.size:
        raise ValueError('x cannot be an empty array')
      columns = collections.OrderedDict([(_ARRAY_KEY, x)])
    else:
      raise TypeError('x must be a dict or array; got %s'
                      % type(x).__name__)
    feature_keys = list(columns)
    if y is None:
      target_keys = None
    elif isinstance(y, dict):
      if not y:
        raise ValueError('y cannot be empty dict, use None instead.')
      target_keys = sorted(y)
      duplicates = set(feature_keys) & set(target_keys)
      if duplicates:
        raise ValueError('%d duplicate keys are found in both x and y: %s'
                         % (len(duplicates), sorted(duplicates)))
      columns.update((key, y[key]) for key in target_keys)
    else:
      target_keys = _TARGET_KEY
      while target_keys in columns:
        target_keys += '_n'
      columns[target_keys] = y
    columns = collections.OrderedDict(
        (key, np.asarray(value)) for key, value in columns.items())
    lengths = {key: value.shape[0] if value.ndim else None
               for key, value in columns.items()}
    if len(set(lengths.values())) != 1:
      raise ValueError('Length of tensors in x and y is mismatched. All '
                       'elements in x and y must have the same length: %s'
                       % lengths)
    n = next(iter(lengths.values()))
    columns = collections.OrderedDict(
        [('__row__', np.arange(n, dtype=np.int64))] + list(columns.items()))
    queue = _enqueue(columns, queue_capacity, shuffle, num_threads,
                     batch_size, num_epochs)
    batch = _batch(queue, batch_size, num_epochs)
    if isinstance(x, np.ndarray):
      features = batch[0]
    else:
      features = dict(zip(feature_keys, batch[:len(feature_keys)]))
    if target_keys is None:
      return features
    if isinstance(target_keys, str):
      return features, batch[-1]
    return features, dict(zip(target_keys, batch[-len(target_keys):]))

  return input_fn


def pandas_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None,
                    queue_capacity=1000, num_threads=1, target_column='target'):
  """An input_fn of a pandas DataFrame x (its columns the features) and a
  Series y (the labels), as TF 1.15's."""
  api = 'tf.estimator.inputs.pandas_input_fn'
  try:
    import pandas as pd  # pylint: disable=g-import-not-at-top
  except ImportError:
    raise TypeError('%s needs pandas (pip install pandas)' % api) from None
  _check_common(shuffle, batch_size, num_epochs, queue_capacity, num_threads,
                api)
  if not isinstance(x, pd.DataFrame):
    raise TypeError('%s: x must be a pandas DataFrame, given %s'
                    % (api, type(x).__name__))
  if y is not None:
    if target_column in x:
      raise ValueError('Cannot use name %s for target column: DataFrame '
                       'already has a column with that name: %s'
                       % (target_column, list(x.columns)))
    if not np.array_equal(x.index, y.index):
      raise ValueError('Index for x and y are mismatched.\nIndex for x: %s\n'
                       'Index for y: %s\n' % (x.index, y.index))

  def input_fn():
    columns = collections.OrderedDict([('__index__', np.asarray(x.index))])
    columns.update((name, np.asarray(x[name])) for name in x.columns)
    if y is not None:
      columns[target_column] = np.asarray(y)
    queue = _enqueue(columns, queue_capacity, shuffle, num_threads,
                     batch_size, num_epochs)
    batch = _batch(queue, batch_size, num_epochs)
    features = dict(zip(list(x.columns), batch[:len(x.columns)]))
    if y is None:
      return features
    return features, batch[-1]

  return input_fn
