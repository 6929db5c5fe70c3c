"""The contenders of scripts/benchmark.py, each run in a process of its own.

Every contender trains the same network (a preset: layers, initializers,
optimizer, learning rate, batch size) on the same in-memory examples and
reports seconds per epoch. `ours` is training.train() itself, as
scripts/train.py runs it; `keras` is keras.Sequential with model.fit;
`torch` is a standard PyTorch loop. `limit` times tf.matmul and tf.nn.conv2d
alone at the network's shapes, the work no training loop can avoid.
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
from legacy_dnn import precision as precision_lib
from legacy_dnn import presets
from legacy_dnn import shapes

MATMUL_REPEATS = 50


def run_ours(cfg, spawned_at, work_dir):
  """training.train() for cfg; returns its timings and the extra figures."""
  from legacy_dnn import checkpoints  # pylint: disable=g-import-not-at-top
  from legacy_dnn import evaluation  # pylint: disable=g-import-not-at-top
  from legacy_dnn import training  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  # TensorFlow is imported (cli.run does it before main) and flags parsed.
  started = time.time()
  with contextlib.redirect_stdout(io.StringIO()):
    result = training.train(cfg)
  timing = result.timing
  report = {
      'train_s': timing.train_seconds,
      'epoch_s': timing.epoch_seconds,
      'first_step_s': timing.first_step_at - spawned_at,
      # Where the time to the first step went: Python and importing
      # TensorFlow, reading the data, building the graph, the session with
      # its variables initialized, the first training call.
      'startup_s': {
          'import': started - spawned_at,
          'data': timing.data_at - started,
          'graph': timing.graph_at - timing.data_at,
          'session': timing.session_at - timing.graph_at,
          'first_call': timing.first_step_at - timing.session_at},
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


def _epoch_timer(keras):
  """A Keras callback class whose `times` collects each epoch's seconds."""

  class EpochTimes(keras.callbacks.Callback):
    times = []

    def on_epoch_begin(self, epoch, logs=None):
      self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
      self.times.append(time.perf_counter() - self.start)

  return EpochTimes


def run_keras_regressor(cfg):
  """The book's own Keras code (keras_book.py): the Sequential regressor or
  the WideAndDeepModel, on StandardScaler-standardized rows."""
  import keras  # pylint: disable=g-import-not-at-top
  from legacy_dnn import keras_book  # pylint: disable=g-import-not-at-top
  _keras_precision(keras, cfg)
  X, y = _examples(cfg)
  (X,) = keras_book.standardized(X)
  keras.utils.set_random_seed(cfg.seed)
  if cfg.inputs:
    (_, a, b), (_, c, d) = cfg.inputs
    net = keras_book.wide_and_deep(cfg.hidden_units[0], cfg.learning_rate,
                                   b - a, d - c)
    X, y = (X[:, a:b], X[:, c:d]), (y, y)
  else:
    net = keras_book.sequential_regressor(X.shape[1], cfg.hidden_units[0],
                                          cfg.learning_rate)
  timer = _epoch_timer(keras)
  net.fit(X, y, batch_size=cfg.batch_size, epochs=cfg.epochs, shuffle=True,
          verbose=0, callbacks=[timer()])
  return {'train_s': timer.times, 'jit_compile': bool(net.jit_compile)}


def _keras_precision(keras, cfg):
  """Keras's own bfloat16: the mixed_bfloat16 policy (float32 variables,
  bfloat16 compute), as its guide sets it."""
  if cfg.precision == precision_lib.BFLOAT16:
    keras.mixed_precision.set_global_policy('mixed_bfloat16')


def run_keras(cfg):
  """The same network as keras.Sequential, trained with model.fit."""
  if cfg.head == presets.REGRESSION:
    return run_keras_regressor(cfg)
  import keras  # pylint: disable=g-import-not-at-top
  _keras_precision(keras, cfg)
  X, y = _examples(cfg)
  keras.utils.set_random_seed(cfg.seed)

  def init(name):
    return {presets.RANDOM_NORMAL: keras.initializers.RandomNormal(stddev=1.0),
            presets.RANDOM_NORMAL_SMALL: keras.initializers.RandomNormal(
                stddev=0.01),
            presets.GLOROT_UNIFORM: keras.initializers.GlorotUniform(),
            presets.ZEROS: keras.initializers.Zeros(), None: 'zeros'}[name]

  dataset = data.DATASETS[cfg.dataset]
  layers = [keras.Input(dataset.input_shape)]
  if cfg.filters:
    layers.append(keras.layers.Reshape(dataset.image_shape))
  spec = presets.layers(cfg)
  for i, layer in enumerate(spec):
    # A ReLU right after its layer is that layer's activation, as written
    # in Keras code.
    relu = i + 1 < len(spec) and spec[i + 1].kind == presets.RELU
    activation = 'relu' if relu else None
    if layer.kind == presets.CONV:
      layers.append(keras.layers.Conv2D(
          layer.size, cfg.kernel_size, padding=cfg.conv_padding.lower(),
          activation=activation, use_bias=cfg.conv_bias_init is not None,
          kernel_initializer=init(cfg.conv_kernel_init),
          bias_initializer=init(cfg.conv_bias_init)))
    elif layer.kind == presets.POOL:
      layers.append(keras.layers.MaxPooling2D(
          2, 2, padding=cfg.pool_padding.lower()))
    elif layer.kind == presets.DENSE:
      if cfg.filters and not any(l.kind == presets.DENSE for l in spec[:i]):
        layers.append(keras.layers.Flatten())
      layers.append(keras.layers.Dense(
          layer.size, activation=activation,
          use_bias=cfg.bias_init is not None,
          kernel_initializer=init(cfg.kernel_init),
          bias_initializer=init(cfg.bias_init)))
    elif layer.kind == presets.BATCH_NORM:
      layers.append(keras.layers.BatchNormalization(
          momentum=cfg.batch_norm_decay, epsilon=model.BATCH_NORM_EPSILON,
          scale=cfg.batch_norm_scale))
    elif layer.kind == presets.RELU and spec[i - 1].kind not in (
        presets.CONV, presets.DENSE):
      layers.append(keras.layers.ReLU())
    elif layer.kind == presets.DROPOUT and cfg.keep_prob < 1:
      layers.append(keras.layers.Dropout(1 - cfg.keep_prob))
  net = keras.Sequential(layers)
  optimizer = (keras.optimizers.Adam(cfg.learning_rate)
               if cfg.optimizer == presets.ADAM
               else keras.optimizers.SGD(cfg.learning_rate))
  net.compile(optimizer=optimizer,
                loss=keras.losses.SparseCategoricalCrossentropy(
                    from_logits=True),
                metrics=['accuracy'])

  timer = _epoch_timer(keras)
  net.fit(X, y, batch_size=cfg.batch_size, epochs=cfg.epochs, shuffle=True,
            verbose=0, callbacks=[timer()])
  return {'train_s': timer.times,
          'jit_compile': bool(net.jit_compile)}


def _torch_regressor(torch, cfg, n_features):
  """The regressor's PyTorch twin: (module, loss of (outputs, y))."""
  mse = torch.nn.functional.mse_loss

  def linear(n_in, n_out):
    layer = torch.nn.Linear(n_in, n_out)
    torch.nn.init.xavier_uniform_(layer.weight)
    torch.nn.init.zeros_(layer.bias)
    return layer

  if not cfg.inputs:
    layers, n_in = [], n_features
    for units in cfg.hidden_units:
      layers += [linear(n_in, units), torch.nn.ReLU()]
      n_in = units
    net = torch.nn.Sequential(*layers, linear(n_in, 1))
    return net, lambda out, y: mse(out[:, 0], y)
  (_, a, b), (_, c, d) = cfg.inputs
  units = cfg.hidden_units[0]

  class WideAndDeep(torch.nn.Module):
    """hidden1, hidden2 on the deep slice; main on concat(wide, hidden2)."""

    def __init__(self):
      super().__init__()
      self.hidden1, self.hidden2 = linear(d - c, units), linear(units, units)
      self.main_output = linear(b - a + units, 1)
      self.aux_output = linear(units, 1)

    def forward(self, x):
      hidden2 = torch.relu(self.hidden2(torch.relu(self.hidden1(x[:, c:d]))))
      return (self.main_output(torch.cat([x[:, a:b], hidden2], 1)),
              self.aux_output(hidden2))

  weights = cfg.loss_weights
  return WideAndDeep(), lambda out, y: (weights[0] * mse(out[0][:, 0], y) +
                                        weights[1] * mse(out[1][:, 0], y))


def run_torch(cfg):
  """The same network in PyTorch, with a standard loop over index batches."""
  import torch  # pylint: disable=g-import-not-at-top
  X, y = _examples(cfg)
  if cfg.head == presets.REGRESSION:
    from legacy_dnn import keras_book  # pylint: disable=g-import-not-at-top
    (X,) = keras_book.standardized(X)
  torch.manual_seed(cfg.seed)
  X, y = torch.from_numpy(X), torch.from_numpy(y)

  def initialize(tensor, name):
    if name == presets.RANDOM_NORMAL:
      torch.nn.init.normal_(tensor, std=1.0)
    elif name == presets.RANDOM_NORMAL_SMALL:
      torch.nn.init.normal_(tensor, std=0.01)
    elif name == presets.GLOROT_UNIFORM:
      torch.nn.init.xavier_uniform_(tensor)
    else:
      torch.nn.init.zeros_(tensor)

  # PyTorch's images are channels first: 28x28x1 becomes 1x28x28.
  height, width, channels = (1, 1, 1) if cfg.head == presets.REGRESSION else (
      data.DATASETS[cfg.dataset].image_shape)
  layers = [torch.nn.Unflatten(1, (channels, height, width))
            ] if cfg.filters else []
  shape = (channels, height, width) if cfg.filters else (
      int(np.prod(X.shape[1:])),)
  for (layer, out_shape) in ([] if cfg.head == presets.REGRESSION else
                             shapes.layer_shapes(
                                 cfg, data.DATASETS[cfg.dataset].image_shape)):
    if layer.kind == presets.CONV:
      conv = torch.nn.Conv2d(shape[0], layer.size, cfg.kernel_size,
                             padding=cfg.conv_padding.lower(),
                             bias=cfg.conv_bias_init is not None)
      initialize(conv.weight, cfg.conv_kernel_init)
      if conv.bias is not None:
        initialize(conv.bias, cfg.conv_bias_init)
      layers.append(conv)
    elif layer.kind == presets.POOL:
      # TF's SAME pooling of an odd side keeps the last row: ceil_mode.
      layers.append(torch.nn.MaxPool2d(
          2, 2, ceil_mode=cfg.pool_padding == presets.SAME))
    elif layer.kind == presets.DENSE:
      if len(shape) == 3:
        layers.append(torch.nn.Flatten())
      linear = torch.nn.Linear(int(np.prod(shape)), layer.size,
                               bias=cfg.bias_init is not None)
      initialize(linear.weight, cfg.kernel_init)
      if linear.bias is not None:
        initialize(linear.bias, cfg.bias_init)
      layers.append(linear)
    elif layer.kind == presets.BATCH_NORM:
      norm = (torch.nn.BatchNorm2d if len(shape) == 3 else
              torch.nn.BatchNorm1d)
      layers.append(norm(layer.size, eps=model.BATCH_NORM_EPSILON,
                         momentum=1 - cfg.batch_norm_decay))
    elif layer.kind == presets.RELU:
      layers.append(torch.nn.ReLU())
    elif layer.kind == presets.DROPOUT and cfg.keep_prob < 1:
      layers.append(torch.nn.Dropout(1 - cfg.keep_prob))
    if layer.kind in (presets.CONV, presets.POOL):
      shape = (out_shape[2], out_shape[0], out_shape[1])
    elif layer.kind == presets.DENSE:
      shape = (layer.size,)
  model_ = torch.nn.Sequential(*layers)
  if cfg.head == presets.REGRESSION:
    model_, loss_of = _torch_regressor(torch, cfg, X.shape[1])
  else:
    loss_of = torch.nn.functional.cross_entropy
  optimizer = (torch.optim.Adam(model_.parameters(), lr=cfg.learning_rate)
               if cfg.optimizer == presets.ADAM
               else torch.optim.SGD(model_.parameters(), lr=cfg.learning_rate))
  n_batches = len(X) // cfg.batch_size
  bfloat16 = cfg.precision == precision_lib.BFLOAT16
  times = []
  model_.train()
  for _ in range(cfg.epochs):
    start = time.perf_counter()
    order = torch.randperm(len(X))
    loss_sum = accuracy_sum = 0.0
    for i in range(n_batches):
      idx = order[i * cfg.batch_size:(i + 1) * cfg.batch_size]
      # PyTorch's own bfloat16: autocast around the forward pass and loss.
      with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bfloat16):
        logits = model_(X[idx])
        loss = loss_of(logits, y[idx])
      optimizer.zero_grad(set_to_none=True)
      loss.backward()
      optimizer.step()
      loss_sum += loss.item()
      if cfg.head != presets.REGRESSION:
        accuracy_sum += (logits.argmax(1) == y[idx]).float().mean().item()
    times.append(time.perf_counter() - start)
  return {'train_s': times, 'threads': torch.get_num_threads()}


def _loop_seconds(tf, graph, op_of):
  """Seconds of MATMUL_REPEATS runs of op_of(acc) in one while loop.

  op_of(acc) returns a scalar that depends on its run; acc feeds the next
  iteration's input, so nothing is hoisted out of the loop.
  """
  with graph.as_default():
    loop = tf.while_loop(lambda i, acc: i < MATMUL_REPEATS,
                         lambda i, acc: (i + 1, op_of(acc)),
                         (tf.constant(0), tf.constant(0.0)))
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(loop)  # Warm-up.
    return _median_time(lambda: sess.run(loop), repeats=5)


def conv_ops(cfg, batch_size):
  """(input NHWC, kernel HWIO, output NHWC, padding, first) per convolution
  of cfg's network, for one step of batch_size examples."""
  image_shape = data.DATASETS[cfg.dataset].image_shape
  ops, shape = [], tuple(image_shape)
  for i, (layer, out_shape) in enumerate(shapes.layer_shapes(cfg,
                                                            image_shape)):
    if layer.kind == presets.CONV:
      ops.append(((batch_size,) + shape,
                  (cfg.kernel_size, cfg.kernel_size, shape[-1], layer.size),
                  (batch_size,) + out_shape, cfg.conv_padding, i == 0))
    shape = out_shape
  return ops


def run_limit(cfg):
  """GFLOP/s of tf.matmul and tf.nn.conv2d alone at the network's shapes.

  Every GEMM of a training step (shapes.gemm_shapes), and every convolution's
  forward pass, kernel gradient and (but for the first) input gradient, runs
  MATMUL_REPEATS times inside one graph-mode while loop, so no per-call
  overhead is counted. The limit is their FLOPs over their summed time.
  They multiply in the dtype the run computes in: bfloat16 where a
  --precision=bfloat16 run does (precision.computes_bfloat16), else float32;
  against a float32 limit a bfloat16 run read 103-152% on an AMX Xeon.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  dtype = (tf.bfloat16 if precision_lib.computes_bfloat16(
      cfg.precision, precision_lib.cpu_flags()) else tf.float32)
  rng = np.random.default_rng(0)
  constant = lambda shape: tf.constant(rng.random(shape, np.float32),
                                       dtype=dtype)
  # The loop's accumulator stays float32; it nudges each input so that
  # nothing is hoisted out of the loop.
  nudge = lambda acc: tf.cast(acc * 1e-30, dtype)
  scalar = lambda value: tf.cast(value, tf.float32)
  total_flops = total_seconds = 0.0
  for m, k, n in shapes.gemm_shapes(cfg, cfg.batch_size,
                                   data.DATASETS[cfg.dataset].image_shape):
    graph = tf.Graph()
    with graph.as_default():
      a, b = constant((m, k)), constant((k, n))
    total_seconds += _loop_seconds(
        tf, graph, lambda acc, a=a, b=b: scalar(
            tf.matmul(a + nudge(acc), b)[0, 0]))
    total_flops += 2.0 * m * k * n * MATMUL_REPEATS
  for x_shape, w_shape, y_shape, padding, first in conv_ops(cfg,
                                                            cfg.batch_size):
    graph = tf.Graph()
    with graph.as_default():
      x, w, dy = constant(x_shape), constant(w_shape), constant(y_shape)
    kernels = [
        lambda acc: tf.nn.conv2d(x + nudge(acc), w, 1, padding),
        lambda acc: tf.raw_ops.Conv2DBackpropFilter(
            input=x + nudge(acc), filter_sizes=w_shape, out_backprop=dy,
            strides=[1, 1, 1, 1], padding=padding)]
    if not first:
      kernels.append(lambda acc: tf.raw_ops.Conv2DBackpropInput(
          input_sizes=x_shape, filter=w, out_backprop=dy + nudge(acc),
          strides=[1, 1, 1, 1], padding=padding))
    for kernel in kernels:
      total_seconds += _loop_seconds(
          tf, graph, lambda acc, kernel=kernel: scalar(
              tf.reshape(kernel(acc), [-1])[0]))
      total_flops += 2.0 * np.prod(y_shape) * np.prod(w_shape[:3]) * (
          MATMUL_REPEATS)
  return {'gflops': total_flops / total_seconds / 1e9, 'dtype': dtype.name}


# Training loops that scripts/benchmark.py can time; 'limit' runs with them.
# ours_float32 is ours at float32 whatever --precision says: the bfloat16
# run's own float32 peer.
OURS = ('ours', 'ours_nondeterministic', 'ours_float32')
PEERS = {'keras': run_keras, 'torch': run_torch, 'limit': run_limit}
CONTENDERS = OURS + ('keras', 'torch')


def child_config(preset, epochs, data_dir, dataset, contender, work_dir,
                 precision=precision_lib.FLOAT32, seed=0):
  return config.for_variant(
      preset, epochs=epochs, data_dir=data_dir, dataset=dataset, seed=seed,
      patience=None, model_dir=os.path.join(work_dir, 'model'),
      logdir=os.path.join(work_dir, 'logs'),
      deterministic=contender != 'ours_nondeterministic',
      precision=(precision_lib.FLOAT32 if contender == 'ours_float32'
                 else precision))


def run_child(contender, preset, epochs, data_dir, dataset, spawned_at,
              precision=precision_lib.FLOAT32):
  """Runs one contender in this process; returns its report dict."""
  with tempfile.TemporaryDirectory() as work_dir:
    cfg = child_config(preset, epochs, data_dir, dataset, contender, work_dir,
                       precision)
    if contender in OURS:
      return run_ours(cfg, spawned_at, work_dir)
    return PEERS[contender](cfg)
