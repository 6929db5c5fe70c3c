"""Several training steps in one session call: how one process trains.

A session call costs TensorFlow and Python about a quarter of a millisecond
however little it computes: the feed, the executor's start and end, the
fetches. On the small networks that is most of a step (docs/speed.md).
So training.py's loop feeds K batches at once to model.training_loop(),
which takes the K steps inside the graph, as TPUEstimator's
iterations_per_loop and Keras's steps_per_execution do. The steps are the
same steps, bit for bit; only the calls are fewer. With K = 1 the graph has
no loop, and each step is a call of the model's train_op, as TF1 code ran
it; so is a step traced for --trace_every.
"""

import math

import numpy as np
import tensorflow as tf

from legacy_dnn import config as config_lib
from legacy_dnn import data
from legacy_dnn import loop
from legacy_dnn import model
from legacy_dnn import shapes


def steps_per_call(config):
  """K: --steps_per_call, or enough steps for config_lib.EXAMPLES_PER_CALL
  examples, as long as their matmuls and convolutions stay under
  config_lib.FLOPS_PER_CALL."""
  if config.steps_per_call:
    return config.steps_per_call
  image_shape = data.DATASETS[config.dataset].image_shape
  step_flops = config.batch_size * shapes.flops_per_example(
      config, image_shape)
  return max(1, min(math.ceil(config_lib.EXAMPLES_PER_CALL /
                              config.batch_size),
                    int(config_lib.FLOPS_PER_CALL // max(step_flops, 1))))


def calls(batches, first_step, k, trace_every=0):
  """Groups batches into session calls of at most k consecutive ones.

  Args:
    batches: the batches to train, in order (anything; they are passed on).
    first_step: the global step before the first of them.
    k: steps a call.
    trace_every: a step whose global step (after it) is a multiple of it
      gets a call of its own; 0 traces none.

  Yields:
    (traced, [batches]) per call.
  """
  group = []
  for step, batch in enumerate(batches, first_step + 1):
    if trace_every and step % trace_every == 0:
      if group:
        yield False, group
        group = []
      yield True, [batch]
      continue
    group.append(batch)
    if len(group) == k:
      yield False, group
      group = []
  if group:
    yield False, group


def offsets(batches):
  """[0, n0, n0 + n1, ...]: where each batch starts in their concatenation."""
  ends = np.zeros(len(batches) + 1, np.int32)
  np.cumsum([len(b) for b in batches], out=ends[1:])
  return ends


class Trainer:
  """Takes training steps of a Model on a session: through its loop, K a
  call, or, for a Model built without one, through its train_op, one a
  call."""

  def __init__(self, sess, m, config):
    self._sess, self._m = sess, m
    self._mode_feed = loop.mode_feed(m, config)
    self._mode = list(self._mode_feed.values())
    if m.loop is None:
      self._step = sess.make_callable(
          [m.train_op, m.loss, m.metric],
          feed_list=[p for p, _, _ in m.inputs] + [m.y] + list(
              self._mode_feed))
    else:
      graph_loop = m.loop
      self._call = sess.make_callable(
          graph_loop.sums,
          feed_list=[graph_loop.rows, graph_loop.targets, graph_loop.offsets,
                     graph_loop.sums_in] + list(self._mode_feed))

  def train(self, X, y, batches, sums):
    """Trains on batches (index arrays into X and y), one step each.

    Args:
      X, y: the training split.
      batches: int arrays, each one batch's examples.
      sums: (loss sum, metric sum) of the epoch so far.

    Returns:
      The sums with these steps' losses and metrics added, in order.
    """
    if self._m.loop is None:
      for batch in batches:
        rows = X[batch]
        _, loss, metric = self._step(*model.input_rows(self._m, rows),
                                     y[batch], *self._mode)
        sums = sums[0] + float(loss), sums[1] + float(metric)
      return sums
    rows = np.concatenate(batches) if len(batches) > 1 else batches[0]
    return tuple(self._call(data.as_float(X[rows]), y[rows], offsets(batches),
                            np.asarray(sums, np.float64), *self._mode))

  def traced(self, X, y, batch, sums, writers, global_step):
    """One step on batch, fully traced into writers as global_step (the
    step's number after it); returns the sums as train() does."""
    rows = X[batch]
    run_metadata = tf.compat.v1.RunMetadata()
    _, loss, metric = self._sess.run(
        [self._m.train_op, self._m.loss, self._m.metric],
        {**model.feed(self._m, rows), self._m.y: y[batch],
         **self._mode_feed},
        options=tf.compat.v1.RunOptions(
            trace_level=tf.compat.v1.RunOptions.FULL_TRACE),
        run_metadata=run_metadata)
    writers.trace(run_metadata, global_step)
    return sums[0] + float(loss), sums[1] + float(metric)
