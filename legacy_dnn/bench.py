"""The contenders of scripts/benchmark.py, each run in a process of its own.

Every contender trains the same network (a preset: layers, initializers,
optimizer, learning rate, batch size) on the same in-memory examples and
reports seconds per epoch. `ours` is training.train() itself, as
scripts/train.py runs it; `keras` is keras.Sequential with model.fit;
`torch` is a standard PyTorch loop. `limit` times tf.matmul alone at the
network's GEMM shapes, the work no training loop can avoid.
"""

import contextlib
import io
import os
import resource
import statistics
import tempfile
import time

import numpy as np

from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import model
from legacy_dnn import presets

MATMUL_REPEATS = 50


def run_ours(cfg, spawned_at, work_dir):
  """training.train() for cfg; returns its timings and the extra figures."""
  from legacy_dnn import checkpoints  # pylint: disable=g-import-not-at-top
  from legacy_dnn import evaluation  # pylint: disable=g-import-not-at-top
  from legacy_dnn import training  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with contextlib.redirect_stdout(io.StringIO()):
    result = training.train(cfg)
  timing = result.timing
  report = {
      'train_s': timing.train_seconds,
      'epoch_s': timing.epoch_seconds,
      'first_step_s': timing.first_step_at - spawned_at,
  }
  saved = evaluation.restore(cfg, checkpoints.best_model(cfg.model_dir))
  images, labels = data.load(data.DATASETS[cfg.dataset], cfg.data_dir,
                             validation_size=cfg.validation_size).test
  report['eval_s'] = _median_time(
      lambda: saved.loss_and_accuracy(images, labels))
  saved.close()
  with tf.Graph().as_default() as graph:
    model.build(cfg)  # Everything a training checkpoint holds but run state.
    saver = tf.compat.v1.train.Saver()
    init_op = tf.compat.v1.global_variables_initializer()
  prefix = os.path.join(work_dir, 'timing.ckpt')
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(init_op)
    report['save_s'] = _median_time(lambda: saver.save(sess, prefix))
    report['restore_s'] = _median_time(lambda: saver.restore(sess, prefix))
  report['peak_rss_mb'] = resource.getrusage(
      resource.RUSAGE_SELF).ru_maxrss / 1024
  return report


def _median_time(fn, repeats=5):
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def _examples(cfg):
  splits = data.load(data.DATASETS[cfg.dataset], cfg.data_dir,
                     validation_size=cfg.validation_size)
  return splits.train


def run_keras(cfg):
  """The same network as keras.Sequential, trained with model.fit."""
  import keras  # pylint: disable=g-import-not-at-top
  X, y = _examples(cfg)
  keras.utils.set_random_seed(cfg.seed)

  def init(name):
    return {presets.RANDOM_NORMAL: keras.initializers.RandomNormal(stddev=1.0),
            presets.GLOROT_UNIFORM: keras.initializers.GlorotUniform(),
            presets.ZEROS: keras.initializers.Zeros()}[name]

  layers = [keras.Input((data.IMAGE_PIXELS,))]
  for units in cfg.hidden_units:
    layers.append(keras.layers.Dense(
        units, activation='relu', kernel_initializer=init(cfg.kernel_init),
        bias_initializer=init(cfg.bias_init)))
    if cfg.keep_prob < 1:
      layers.append(keras.layers.Dropout(1 - cfg.keep_prob))
  layers.append(keras.layers.Dense(
      data.NUM_CLASSES, kernel_initializer=init(cfg.kernel_init),
      bias_initializer=init(cfg.bias_init)))
  model = keras.Sequential(layers)
  optimizer = (keras.optimizers.Adam(cfg.learning_rate)
               if cfg.optimizer == presets.ADAM
               else keras.optimizers.SGD(cfg.learning_rate))
  model.compile(optimizer=optimizer,
                loss=keras.losses.SparseCategoricalCrossentropy(
                    from_logits=True),
                metrics=['accuracy'])

  class EpochTimes(keras.callbacks.Callback):
    times = []

    def on_epoch_begin(self, epoch, logs=None):
      self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
      self.times.append(time.perf_counter() - self.start)

  model.fit(X, y, batch_size=cfg.batch_size, epochs=cfg.epochs, shuffle=True,
            verbose=0, callbacks=[EpochTimes()])
  return {'train_s': EpochTimes.times,
          'jit_compile': bool(model.jit_compile)}


def run_torch(cfg):
  """The same network in PyTorch, with a standard loop over index batches."""
  import torch  # pylint: disable=g-import-not-at-top
  X, y = _examples(cfg)
  torch.manual_seed(cfg.seed)
  X, y = torch.from_numpy(X), torch.from_numpy(y)

  def initialize(tensor, name):
    if name == presets.RANDOM_NORMAL:
      torch.nn.init.normal_(tensor, std=1.0)
    elif name == presets.GLOROT_UNIFORM:
      torch.nn.init.xavier_uniform_(tensor)
    else:
      torch.nn.init.zeros_(tensor)

  layers, n_in = [], data.IMAGE_PIXELS
  for units in list(cfg.hidden_units) + [data.NUM_CLASSES]:
    linear = torch.nn.Linear(n_in, units)
    initialize(linear.weight, cfg.kernel_init)
    initialize(linear.bias, cfg.bias_init)
    layers.append(linear)
    if units != data.NUM_CLASSES:
      layers.append(torch.nn.ReLU())
      if cfg.keep_prob < 1:
        layers.append(torch.nn.Dropout(1 - cfg.keep_prob))
    n_in = units
  model = torch.nn.Sequential(*layers)
  optimizer = (torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
               if cfg.optimizer == presets.ADAM
               else torch.optim.SGD(model.parameters(), lr=cfg.learning_rate))
  n_batches = len(X) // cfg.batch_size
  times = []
  model.train()
  for _ in range(cfg.epochs):
    start = time.perf_counter()
    order = torch.randperm(len(X))
    loss_sum = accuracy_sum = 0.0
    for i in range(n_batches):
      idx = order[i * cfg.batch_size:(i + 1) * cfg.batch_size]
      logits = model(X[idx])
      loss = torch.nn.functional.cross_entropy(logits, y[idx])
      optimizer.zero_grad(set_to_none=True)
      loss.backward()
      optimizer.step()
      loss_sum += loss.item()
      accuracy_sum += (logits.argmax(1) == y[idx]).float().mean().item()
    times.append(time.perf_counter() - start)
  return {'train_s': times, 'threads': torch.get_num_threads()}


def run_limit(cfg):
  """GFLOP/s of tf.matmul alone at the network's GEMM shapes.

  Each shape runs MATMUL_REPEATS times inside one graph-mode while loop (so
  no per-call overhead is counted); each iteration's input depends on the
  last, so nothing is hoisted out of the loop.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  total_flops = total_seconds = 0.0
  for m, k, n in model.gemm_shapes(cfg, cfg.batch_size):
    graph = tf.Graph()
    with graph.as_default():
      a = tf.constant(np.random.default_rng(0).random((m, k), np.float32))
      b = tf.constant(np.random.default_rng(1).random((k, n), np.float32))

      def body(i, acc, a=a, b=b):
        product = tf.matmul(a + acc * 1e-30, b)
        return i + 1, product[0, 0]

      loop = tf.while_loop(lambda i, acc: i < MATMUL_REPEATS, body,
                           (tf.constant(0), tf.constant(0.0)))
    with tf.compat.v1.Session(graph=graph) as sess:
      sess.run(loop)  # Warm-up.
      seconds = _median_time(lambda: sess.run(loop), repeats=5)
    total_flops += 2.0 * m * k * n * MATMUL_REPEATS
    total_seconds += seconds
  return {'gflops': total_flops / total_seconds / 1e9}


# Training loops that scripts/benchmark.py can time; 'limit' runs with them.
OURS = ('ours', 'ours_nondeterministic')
PEERS = {'keras': run_keras, 'torch': run_torch, 'limit': run_limit}
CONTENDERS = OURS + ('keras', 'torch')


def child_config(preset, epochs, data_dir, dataset, contender, work_dir,
                 seed=0):
  return config.for_variant(
      preset, epochs=epochs, data_dir=data_dir, dataset=dataset, seed=seed,
      patience=None, model_dir=os.path.join(work_dir, 'model'),
      logdir=os.path.join(work_dir, 'logs'),
      deterministic=contender != 'ours_nondeterministic')


def run_child(contender, preset, epochs, data_dir, dataset, spawned_at):
  """Runs one contender in this process; returns its report dict."""
  with tempfile.TemporaryDirectory() as work_dir:
    cfg = child_config(preset, epochs, data_dir, dataset, contender, work_dir)
    if contender in OURS:
      return run_ours(cfg, spawned_at, work_dir)
    return PEERS[contender](cfg)
