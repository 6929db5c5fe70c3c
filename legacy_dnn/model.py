"""The seed networks as a TF1 graph: inference, training, the whole graph.

inference() walks a preset's layers; the head (heads.py) turns the outputs
into the loss and the metric; training() adds the optimizer step, and
training_loop() the same step K times in one session call.

Layers are built by TF 1.15's tf.layers functions, which Keras 3 took away
and legacy_dnn.tf1.layers rebuilds on variable scopes and get_variable:
variables named ``hidden1/kernel``, ``hidden1/bias``, ..., ``outputs/kernel``,
so checkpoints move between this code and TF1-era code unchanged.
"""

import collections

import numpy as np
import tensorflow as tf

from legacy_dnn import data
from legacy_dnn import heads
from legacy_dnn import presets
from legacy_dnn.tf1 import layers as tf1_layers

# tf.compat.v1.layers.batch_normalization's default, and contrib's.
BATCH_NORM_EPSILON = 1e-3
# Seed offsets (added to seed * 1000) of the layers' initializers and dropout
# masks; the dense layers use 10 * index and the dense dropout 999, as the
# lab 10 networks always did.
CONV_SEED_OFFSET = 500
CONV_DROPOUT_SEED_OFFSET = 900
DENSE_DROPOUT_SEED_OFFSET = 999

# Seed offsets of the auxiliary heads' initializers.
AUX_SEED_OFFSET = 700
# The collection of the scaler's variables, which network_variables() holds.
SCALER_VARIABLES = 'scaler_variables'
# The batch norms' non-trainable variables, which network_variables() holds
# too (TF1 put them in GLOBAL_VARIABLES alone).
MOVING_STATISTICS = ('moving_mean', 'moving_variance')

Model = collections.namedtuple('Model', [
    # The placeholder of the whole row (images, or features), or None when
    # the network takes its features in named slices (inputs).
    'X',
    'y', 'keep_prob', 'training',
    # The output layer's values: a classifier's logits [batch, classes], a
    # regressor's outputs [batch, 1].
    'outputs',
    'loss', 'train_op',
    # The head's metric of a batch: a classifier's accuracy, a regressor's
    # mean squared error of its output (for wide & deep, of main_output
    # alone).
    'metric',
    'global_step',
    # Scope of each conv and dense layer -> the output of its block (after
    # its activation, pooling and dropout): what the projector shows. An
    # auxiliary head's scope maps to the head's output.
    'layer_outputs',
    # (placeholder, start, stop) per input: the columns of a row each takes,
    # or (X, None, None); feed() slices rows so.
    'inputs',
    # Head scope -> its mean squared error, for a regressor with an auxiliary
    # head (main_output, aux_output); else empty.
    'head_losses',
    # The heads.py object that says what the outputs are and how they are
    # scored and reported.
    'head',
    # A Loop that trains several batches in one session call; None unless
    # build() was asked for it.
    'loop'])

Loop = collections.namedtuple('Loop', [
    # Placeholder [None, ...] of the call's batches, one after another: whole
    # rows (images, or raw features), as Model.X takes them.
    'rows',
    # Placeholder [None] of their targets.
    'targets',
    # int32 placeholder [K + 1]: batch i is rows[offsets[i]:offsets[i + 1]].
    'offsets',
    # float64 placeholder [2]: the epoch's sums of the batches' losses and
    # metrics before the call,
    'sums_in',
    # and float64 [2], those sums after its K steps.
    'sums'])


def input_rows(m, rows):
  """rows (images, or raw features; arrays or tensors) cut into m's inputs,
  in order: a wide & deep network takes two slices of the same features.
  uint8 pixels are converted as data.as_float() does."""
  if isinstance(rows, np.ndarray):
    rows = data.as_float(rows)
  return [rows if start is None else rows[:, start:stop]
          for _, start, stop in m.inputs]


def feed(m, rows):
  """{placeholder: value} feeding rows to m."""
  return dict(zip([p for p, _, _ in m.inputs], input_rows(m, rows)))


def initializer(name, seed):
  """The tf.compat.v1 initializer a preset names."""
  if name == presets.RANDOM_NORMAL:
    # The labs' tf.random_normal: mean 0, stddev 1.
    return tf.compat.v1.random_normal_initializer(stddev=1.0, seed=seed)
  if name == presets.RANDOM_NORMAL_SMALL:
    # Lab 11's conv kernels: tf.random_normal(..., stddev=0.01).
    return tf.compat.v1.random_normal_initializer(stddev=0.01, seed=seed)
  if name == presets.GLOROT_UNIFORM:
    # tf.contrib.layers.xavier_initializer() and tf.layers.dense's default.
    return tf.compat.v1.glorot_uniform_initializer(seed=seed)
  if name == presets.ZEROS:
    return tf.compat.v1.zeros_initializer()
  raise ValueError('unknown initializer %r' % name)


def dense(inputs, units, name, kernel_init, bias_init, activation=None):
  """A fully connected layer: tf.layers.dense of TF 1.15 (tf1.layers).

  Args:
    inputs: float [batch, n_in]; the variables take its dtype.
    units: n_out.
    name: the variable scope, e.g. 'hidden1': hidden1/kernel, hidden1/bias.
    kernel_init, bias_init: tf.compat.v1 initializers; bias_init None builds
      no bias, as use_bias=False does.
    activation: applied to the output, or None for a linear layer.

  Returns:
    [batch, units], of the dtype of inputs.
  """
  return tf1_layers.dense(inputs, units, activation=activation,
                          use_bias=bias_init is not None,
                          kernel_initializer=kernel_init,
                          bias_initializer=bias_init, name=name)


def conv2d(inputs, filters, size, padding, name, kernel_init, bias_init):
  """A stride-1 convolution: tf.layers.conv2d of TF 1.15 (tf1.layers).

  Args:
    inputs: float [batch, height, width, channels].
    filters: output channels.
    size: the kernel is size x size.
    padding: 'SAME' or 'VALID'.
    name: the variable scope, e.g. 'conv1': conv1/kernel, conv1/bias.
    kernel_init, bias_init: initializers; bias_init None builds no bias.
  """
  return tf1_layers.conv2d(inputs, filters, size, padding=padding,
                           use_bias=bias_init is not None,
                           kernel_initializer=kernel_init,
                           bias_initializer=bias_init, name=name)


def batch_norm(inputs, decay, scale, training, epsilon=BATCH_NORM_EPSILON):
  """TF1's batch normalization over every axis but the last:
  tf.layers.batch_normalization of TF 1.15 (tf1.layers), unfused.

  Variables under batch_normalization/ in the current scope: beta (and
  gamma when scale), and the non-trainable moving_mean and moving_variance.
  With training True it normalizes by the batch's moments and adds the
  moving-average updates to UPDATE_OPS, which training() runs with every
  step; otherwise it uses the moving averages.

  Args:
    inputs: float [batch, ..., channels].
    decay: the moving averages' momentum.
    scale: learn gamma too.
    training: bool scalar tensor.
  """
  return tf1_layers.batch_normalization(
      inputs, momentum=decay, epsilon=epsilon, scale=scale,
      training=training, name='batch_normalization', fused=False)


def _uniform16(shape, seed):
  """uint16 samples uniform in [0, 2^16), [..., 2 * ceil(last / 2)].

  One 32-bit Philox output makes two samples: half the draws of 32-bit
  uniforms, and no float copy (see dropout_masks).
  """
  pairs = tf.concat([shape[:-1], [(shape[-1] + 1) // 2]], 0)
  bits = tf.random.stateless_uniform(pairs, seed=seed, minval=None,
                                     maxval=None, dtype=tf.uint32)
  return tf.reshape(tf.bitcast(bits, tf.uint16),
                    tf.concat([shape[:-1], [2 * ((shape[-1] + 1) // 2)]], 0))


def _keep(samples, keep_prob):
  """Inverted-dropout mask: 0, or 1 / keep_prob where a sample is kept.

  A unit is kept when its sample, in [0, 1) in steps of 2^-16, is below
  keep_prob, so keep_prob = 1 keeps every unit exactly. sample < keep_prob *
  2^16 exactly when sample <= ceil(keep_prob * 2^16) - 1, which fits in 16
  bits: compared so, the samples need no float copy.
  """
  threshold = tf.cast(tf.math.ceil(keep_prob * 65536.0) - 1.0, tf.uint16)
  return tf.cast(samples <= threshold, tf.float32) / keep_prob


def dropout_masks(batch, hidden_units, keep_prob, seed):
  """Inverted-dropout masks for every hidden layer, from one stateless draw.

  One draw of 16-bit uniforms for all layers costs about half of what a
  tf.nn.experimental.stateless_dropout per layer does (one 32-bit Philox
  output makes two samples, and there is one op instead of four); see
  docs/speed.md.

  Args:
    batch: int32 scalar tensor, the batch size.
    hidden_units: the hidden layer sizes.
    keep_prob: float32 scalar tensor.
    seed: int64 [2] tensor; the masks are a function of it alone.

  Returns:
    float32 [layers, batch, max(hidden_units)]: 0 or 1 / keep_prob.
  """
  with tf.name_scope('dropout'):
    return _keep(_uniform16(tf.stack([len(hidden_units), batch,
                                      max(hidden_units)]), seed), keep_prob)


def feature_map_mask(inputs, keep_prob, seed):
  """An inverted-dropout mask shaped like inputs [batch, h, w, c]."""
  shape = tf.shape(inputs)
  return _keep(_uniform16(shape, seed), keep_prob)[..., :inputs.shape[-1]]


class _Builder:
  """Builds a network layer by layer, one method per layer kind.

  The seeds of a layer's initializers and dropout masks derive from the run's
  seed, the layer's kind and its index among the layers of its kind, so the
  graph is reproducible op by op, and the dense layers of the lab 10 networks
  draw what they always drew.
  """

  def __init__(self, net, seed, keep_prob, global_step, training,
               activation, wide=()):
    self.net, self.seed, self.keep_prob = net, seed, keep_prob
    self.wide = list(wide)  # The inputs a concat layer joins.
    self.global_step, self.training = global_step, training
    self.activation = activation
    self.dense_dropouts = []  # The dropouts after dense layers, in order,
    self.dense_masks = None  # and their masks, drawn at the first of them.

  def _init(self, name, offset):
    return None if name is None else initializer(name, self.seed * 1000 +
                                                 offset)

  def conv(self, x, layer):
    offset = CONV_SEED_OFFSET + 10 * layer.index
    return conv2d(x, layer.size, self.net.kernel_size,
                  self.net.conv_padding, layer.scope,
                  self._init(self.net.conv_kernel_init, offset),
                  self._init(self.net.conv_bias_init, offset + 1))

  def pool(self, x, layer):
    del layer
    return tf.nn.max_pool2d(x, 2, 2, self.net.pool_padding)

  def dense(self, x, layer):
    if x.shape.rank > 2:  # After convolutions: NHWC flattened, as lab 11.
      x = tf.reshape(x, [-1, int(np.prod(x.shape[1:]))])
    offset = 10 * layer.index
    return dense(x, layer.size, layer.scope,
                 self._init(self.net.kernel_init, offset),
                 self._init(self.net.bias_init, offset + 1))

  def batch_norm(self, x, layer):
    # Back in the scope of the layer it normalizes, for its variables' names.
    with tf.compat.v1.variable_scope(layer.scope, auxiliary_name_scope=False):
      return batch_norm(x, self.net.batch_norm_decay,
                        self.net.batch_norm_scale, self.training)

  def relu(self, x, layer):
    del layer
    return self.activation(x)

  def concat(self, x, layer):
    del layer
    return concat(self.wide + [x])

  def aux(self, x, layer):
    offset = AUX_SEED_OFFSET + 10 * layer.index
    self.layer_outputs[layer.scope] = auxiliary_head(
        x, layer.size, layer.scope,
        self._init(self.net.kernel_init, offset),
        self._init(self.net.bias_init, offset + 1))
    return x

  def dropout(self, x, layer):
    if self.keep_prob is None:
      return x
    step_seed = lambda offset: tf.stack(
        [tf.constant(self.seed * 1000 + offset, tf.int64), self.global_step])
    if x.shape.rank > 2:
      mask = feature_map_mask(x, self.keep_prob,
                              step_seed(CONV_DROPOUT_SEED_OFFSET + layer.index))
    else:
      if self.dense_masks is None:
        self.dense_masks = dropout_masks(
            tf.shape(x)[0], [l.size for l in self.dense_dropouts],
            self.keep_prob, step_seed(DENSE_DROPOUT_SEED_OFFSET))
      i = self.dense_dropouts.index(layer)
      mask = self.dense_masks[i, :, :x.shape[-1]]
    return tf.multiply(x, mask, name='dropout%d' % (layer.index + 1))

  def build(self, x, layers, layer_outputs):
    self.layer_outputs = layer_outputs
    self.dense_dropouts = [l for l in layers if l.kind == presets.DROPOUT and
                           _after_dense(layers, l)]
    scope = None
    for layer in layers:
      x = getattr(self, layer.kind)(x, layer)
      if layer.kind in (presets.CONV, presets.DENSE):
        scope = layer.scope
      if layer.kind not in (presets.CONCAT, presets.AUX):
        layer_outputs[scope] = x
    return x


def _after_dense(layers, dropout):
  """True if the nearest conv or dense layer before dropout is dense."""
  before = layers[:layers.index(dropout)]
  return [l.kind for l in before if l.kind in (presets.CONV, presets.DENSE)
          ][-1] == presets.DENSE


def concat(tensors):
  """Joins [batch, n_i] tensors along the features, in order, as Keras's
  concatenate([input_A, hidden2]) does."""
  return tf.concat(tensors, axis=1, name='concat')


def auxiliary_head(inputs, units, name, kernel_init, bias_init):
  """A second, linear output on inputs: <name>/kernel, <name>/bias."""
  return dense(inputs, units, name, kernel_init, bias_init)


def standardize(inputs, slices, n_features, scaler=None):
  """inputs standardized by the training split's mean and deviation.

  The statistics are the non-trainable variables scaler/mean and
  scaler/stddev [n_features], which every checkpoint holds, so a restored
  model or a SavedModel takes raw features.

  Args:
    inputs: float32 tensors, each the columns [start, stop) of a row.
    slices: (start, stop) of each input; None for the whole row.
    n_features: the row's length.
    scaler: (mean, stddev) arrays to initialize the variables with (a fresh
      run's training split); None initializes them to 0 and 1, for a graph
      that restores them.

  Returns:
    (x - mean) / stddev of each input, over its columns.
  """
  mean, stddev = scaler if scaler is not None else (np.zeros(n_features),
                                                    np.ones(n_features))
  with tf.compat.v1.variable_scope('scaler'):
    mean, stddev = (
        tf.compat.v1.get_variable(
            name, [n_features], tf.float32,
            tf.compat.v1.constant_initializer(np.asarray(value, np.float32)),
            trainable=False,
            collections=[tf.compat.v1.GraphKeys.GLOBAL_VARIABLES,
                         SCALER_VARIABLES])
        for name, value in (('mean', mean), ('stddev', stddev)))
    # A whole row takes the variables as they are: no slice ops a step.
    return [(x - mean) / stddev if s is None else
            (x - mean[s[0]:s[1]]) / stddev[s[0]:s[1]]
            for x, s in zip(inputs, slices)]


def input_slices(net):
  """(name, start, stop) of each input a network's placeholders take;
  [(None, None, None)] for one placeholder of the whole row."""
  return list(net.inputs) or [(None, None, None)]


def inference(X, net, image_shape, seed, keep_prob=None, global_step=None,
              training=None, activation=tf.nn.relu, layer_outputs=None,
              standardized=False, scaler=None):
  """Builds the network up to its logits (a regressor's outputs).

  Args:
    X: float placeholder [batch, ...] of the dataset's images: [batch, 784]
      for the MNIST kind, [batch, 32, 32, 3] for CIFAR-10. Convolutions see
      it as [batch] + image_shape, dense layers as flat rows. For a network
      with named inputs (net.inputs), a list of their placeholders.
    net: the network's description: a TrainConfig or presets.Preset (its
      layer blocks, sizes, initializers and batch-norm settings).
    image_shape: (height, width, channels) of one image.
    seed: int; each layer's initializers and dropout derive their seeds
      from it, so the graph is reproducible op by op.
    keep_prob: float32 scalar tensor, or None for a network without dropout.
    global_step: int64 variable; with keep_prob, the dropout masks are a
      stateless function of (seed, layer, global_step), so a resumed run draws
      the masks an uninterrupted run would have drawn.
    training: bool scalar tensor that switches batch norm to the batch's
      moments; needed only by networks with batch norm.
    activation: of the hidden layers; ReLU in every seed.
    layer_outputs: a dict to fill, if given, with the scope of each conv and
      dense layer (conv1, hidden1, ..., outputs) -> the output of its block.
    standardized: standardize the features first (standardize()), with
      scaler's statistics.

  Returns:
    [batch, 10] logits, or a regressor's [batch, 1], of the dtype of X.
  """
  layers = presets.layers(net, data.NUM_CLASSES)
  inputs = list(X) if isinstance(X, (list, tuple)) else [X]
  if standardized:
    inputs = standardize(
        inputs, [s[1:] if s[0] else None for s in input_slices(net)],
        int(np.prod(image_shape)), scaler)
  with tf.name_scope('dnn'):
    x = inputs[-1]  # The dense blocks read the last (deep) input.
    if layers[0].kind == presets.CONV:
      x = tf.reshape(x, [-1] + list(image_shape))
    elif x.shape.rank != 2:
      x = tf.reshape(x, [-1, int(np.prod(image_shape))])
    builder = _Builder(net, seed, keep_prob, global_step, training,
                       activation, wide=inputs[:-1])
    return builder.build(x, layers, {} if layer_outputs is None
                         else layer_outputs)


def network_variables():
  """The variables that define what a trained network computes.

  The trainable ones, the batch norms' moving averages and the features'
  scaler: what evaluation, export and warm start restore. Optimizer slots
  and run state are left out.
  """
  return tf.compat.v1.trainable_variables() + [
      v for v in tf.compat.v1.global_variables()
      if v.op.name.rsplit('/', 1)[-1] in MOVING_STATISTICS
  ] + tf.compat.v1.get_collection(SCALER_VARIABLES)


def has_batch_norm(net):
  return presets.BATCH_NORM in net.dense_block + net.output_block + (
      net.conv_block if net.filters else ())


def layer_variables(layers, variables=None):
  """The variables (default: network_variables()) of the named layers."""
  if variables is None:
    variables = network_variables()
  return [v for v in variables if v.op.name.split('/')[0] in layers]


# tf.compat.v1.train.AdamOptimizer's default epsilon; Keras's is 1e-7.
ADAM_EPSILON = 1e-8


def optimizer(name, learning_rate, adam_epsilon=ADAM_EPSILON):
  """The tf.compat.v1.train optimizer a preset names."""
  if name == presets.ADAM:
    return tf.compat.v1.train.AdamOptimizer(learning_rate,
                                            epsilon=adam_epsilon)
  if name == presets.SGD:
    return tf.compat.v1.train.GradientDescentOptimizer(learning_rate)
  raise ValueError('unknown optimizer %r' % name)


def training(loss_op, opt, global_step, var_list=None, update_ops=None):
  """The op that takes one optimizer step and increments global_step.

  opt: a tf.compat.v1.train optimizer. Its slots are made at its first
    minimize(); a later one (training_loop's) uses the same.
  var_list: the variables to train; default every trainable one.
  update_ops: run before the step, as TF1 ran UPDATE_OPS (the batch norms'
    moving averages); default the graph's UPDATE_OPS.
  """
  if update_ops is None:
    update_ops = tf.compat.v1.get_collection(
        tf.compat.v1.GraphKeys.UPDATE_OPS)
  with tf.control_dependencies(update_ops):
    return opt.minimize(loss_op, global_step=global_step, var_list=var_list)


def network(config, head, inputs, y, keep_prob, global_step, training_mode,
            scaler=None):
  """config's network on inputs, scored by head against y: what build() and
  each step of training_loop() make.

  Args:
    inputs: one tensor per input of config (Model.inputs), a batch each.
    keep_prob, global_step, training_mode: as Model holds them.
    scaler: as build() takes it; None where the variables exist already.

  Returns:
    (outputs, {scope: output} of every layer, loss, metric, [the auxiliary
    heads' losses]).
  """
  dataset = data.DATASETS[config.dataset]
  layer_outputs = {}
  outputs = inference(
      inputs, config, dataset.image_shape, config.seed,
      keep_prob if config.keep_prob < 1 else None, global_step, training_mode,
      layer_outputs=layer_outputs, standardized=dataset.standardize,
      scaler=scaler)
  loss, metric, aux_losses = head.losses(
      outputs, [layer_outputs[scope] for scope in presets.aux_scopes(config)],
      y, config.loss_weights)
  return outputs, layer_outputs, loss, metric, aux_losses


def training_loop(config, m, opt, var_list):
  """The training step of m, taken once for each of K batches fed at once.

  A tf.while_loop (as TPUEstimator's iterations_per_loop and Keras's
  steps_per_execution run several steps in one call) whose body builds the
  network again on the variables of m, so each iteration runs the same
  kernels on the same values as one sess.run of m.train_op: the variables,
  optimizer slots and global step end the same, bit for bit, and the sums
  come out as a Python loop adding each step's float32 loss to a float64 sum
  would make them. Iterations run one after another (parallel_iterations=1):
  each reads the variables, and the global step of its dropout masks, after
  the previous one's update.

  Args:
    config: the TrainConfig m was built from.
    m: the Model; the loop creates no variables of its own.
    opt: the optimizer of m.train_op.
    var_list: the variables m.train_op trains.

  Returns:
    A Loop.
  """
  dataset = data.DATASETS[config.dataset]
  with tf.name_scope('train_loop'):
    rows = tf.compat.v1.placeholder(
        tf.float32, [None] + list(dataset.input_shape), name='rows')
    targets = tf.compat.v1.placeholder(m.y.dtype, [None], name='targets')
    offsets = tf.compat.v1.placeholder(tf.int32, [None], name='offsets')
    sums_in = tf.compat.v1.placeholder(tf.float64, [2], name='sums_in')

    def step(i, sums):
      batch = rows[offsets[i]:offsets[i + 1]]
      inputs = input_rows(m, batch)
      before = len(tf.compat.v1.get_collection(
          tf.compat.v1.GraphKeys.UPDATE_OPS))
      with tf.compat.v1.variable_scope(tf.compat.v1.get_variable_scope(),
                                       reuse=True):
        _, _, loss, metric, _ = network(
            config, m.head, inputs, targets[offsets[i]:offsets[i + 1]],
            m.keep_prob, m.global_step, m.training)
      train_op = training(loss, opt, m.global_step, var_list,
                          tf.compat.v1.get_collection(
                              tf.compat.v1.GraphKeys.UPDATE_OPS)[before:])
      with tf.control_dependencies([train_op]):
        return i + 1, sums + tf.cast(tf.stack([loss, metric]), tf.float64)

    _, sums = tf.compat.v1.while_loop(
        lambda i, sums: i < tf.size(offsets) - 1, step,
        [tf.constant(0), sums_in], parallel_iterations=1)
  return Loop(rows, targets, offsets, sums_in, sums)


def placeholders(net, dataset):
  """(X or None, [(placeholder, start, stop)]): the placeholders of a
  network's inputs, named X or as net.inputs names them."""
  if not net.inputs:
    X = tf.compat.v1.placeholder(
        tf.float32, [None] + list(dataset.input_shape), name='X')
    return X, [(X, None, None)]
  return None, [(tf.compat.v1.placeholder(tf.float32, [None, stop - start],
                                          name=name), start, stop)
                for name, start, stop in net.inputs]


def build(config, wrap_optimizer=None, scaler=None, loop=False):
  """Builds the whole training graph for a TrainConfig in the default graph.

  wrap_optimizer: optimizer -> optimizer, e.g. a SyncReplicasOptimizer
    around it in a cluster.
  scaler: (mean, stddev) of the training features, for a dataset whose
    features the network standardizes; see standardize().
  loop: build training_loop() too, as Model.loop.
  """
  tf.compat.v1.set_random_seed(config.seed)
  dataset = data.DATASETS[config.dataset]
  head = heads.of(config)
  X, inputs = placeholders(config, dataset)
  y = tf.compat.v1.placeholder(head.target_dtype, [None], name='y')
  keep_prob = tf.compat.v1.placeholder_with_default(1.0, [], name='keep_prob')
  # Batch norm uses the batch's moments while training, the moving averages
  # otherwise; only training steps feed True.
  training_mode = tf.compat.v1.placeholder_with_default(False, [],
                                                        name='training')
  global_step = tf.compat.v1.train.get_or_create_global_step()
  logits, layer_outputs, loss_op, metric, aux_losses = network(
      config, head, [p for p, _, _ in inputs], y, keep_prob, global_step,
      training_mode, scaler)
  aux = presets.aux_scopes(config)
  head_losses = dict(zip([config.output_name] + aux, [metric] + aux_losses)
                     ) if aux else {}
  trainable = tf.compat.v1.trainable_variables()
  frozen = layer_variables(config.freeze, trainable)
  var_list = [v for v in trainable if v not in frozen]
  with tf.name_scope('train'):
    opt = optimizer(config.optimizer, config.learning_rate,
                    config.adam_epsilon)
    if wrap_optimizer is not None:
      opt = wrap_optimizer(opt)
    train_op = training(loss_op, opt, global_step, var_list)
  m = Model(X, y, keep_prob, training_mode, logits, loss_op, train_op,
            metric, global_step, layer_outputs, inputs, head_losses, head,
            None)
  if loop:
    m = m._replace(loop=training_loop(config, m, opt, var_list))
  return m
