"""The seed networks as a TF1 graph: inference, loss, training, evaluation.

Layers are built by dense(), which creates its variables exactly as
tf.compat.v1.layers.dense names them (``hidden1/kernel``, ``hidden1/bias``,
..., ``outputs/kernel``), so checkpoints move between this code and TF1-era
code unchanged. On TensorFlow 2.16+ with Keras 3, tf.compat.v1.layers itself
is gone; variable scopes and get_variable are not.
"""

import collections

import numpy as np
import tensorflow as tf

from legacy_dnn import data
from legacy_dnn import presets

Model = collections.namedtuple('Model', [
    'X', 'y', 'keep_prob', 'logits', 'loss', 'train_op', 'accuracy',
    'global_step'])


def initializer(name, seed):
  """The tf.compat.v1 initializer a preset names."""
  if name == presets.RANDOM_NORMAL:
    # The labs' tf.random_normal: mean 0, stddev 1.
    return tf.compat.v1.random_normal_initializer(stddev=1.0, seed=seed)
  if name == presets.GLOROT_UNIFORM:
    # tf.contrib.layers.xavier_initializer() and tf.layers.dense's default.
    return tf.compat.v1.glorot_uniform_initializer(seed=seed)
  if name == presets.ZEROS:
    return tf.compat.v1.zeros_initializer()
  raise ValueError('unknown initializer %r' % name)


def dense(inputs, units, name, kernel_init, bias_init, activation=None):
  """A fully connected layer named as tf.compat.v1.layers.dense names it.

  Args:
    inputs: float [batch, n_in]; the variables take its dtype.
    units: n_out.
    name: the variable scope, e.g. 'hidden1'.
    kernel_init, bias_init: tf.compat.v1 initializers.
    activation: applied to the output, or None for a linear layer.

  Returns:
    [batch, units], of the dtype of inputs.
  """
  with tf.compat.v1.variable_scope(name):
    kernel = tf.compat.v1.get_variable(
        'kernel', [inputs.shape[-1], units], inputs.dtype, kernel_init)
    bias = tf.compat.v1.get_variable('bias', [units], inputs.dtype, bias_init)
    outputs = tf.nn.bias_add(tf.matmul(inputs, kernel), bias)
    return activation(outputs) if activation else outputs


def dropout_masks(batch, hidden_units, keep_prob, seed):
  """Inverted-dropout masks for every hidden layer, from one stateless draw.

  One draw of 16-bit uniforms for all layers costs about half of what a
  tf.nn.experimental.stateless_dropout per layer does (one 32-bit Philox
  output makes two samples, and there is one op instead of four); see
  docs/benchmarks.md. A unit is kept when its sample, in [0, 1) in steps of
  2^-16, is below keep_prob, so keep_prob = 1 keeps every unit exactly.

  Args:
    batch: int32 scalar tensor, the batch size.
    hidden_units: the hidden layer sizes.
    keep_prob: float32 scalar tensor.
    seed: int64 [2] tensor; the masks are a function of it alone.

  Returns:
    float32 [layers, batch, max(hidden_units)]: 0 or 1 / keep_prob.
  """
  with tf.name_scope('dropout'):
    pairs = (max(hidden_units) + 1) // 2
    bits = tf.random.stateless_uniform(
        tf.stack([len(hidden_units), batch, pairs]), seed=seed, minval=None,
        maxval=None, dtype=tf.uint32)
    samples = tf.reshape(tf.bitcast(bits, tf.uint16),
                         tf.stack([len(hidden_units), batch, 2 * pairs]))
    # sample < keep_prob * 2^16 exactly when sample <= ceil(keep_prob * 2^16)
    # - 1, which fits in 16 bits: compared so, the samples need no float copy.
    threshold = tf.cast(tf.math.ceil(keep_prob * 65536.0) - 1.0, tf.uint16)
    return tf.cast(samples <= threshold, tf.float32) / keep_prob


def inference(X, hidden_units, kernel_init, bias_init, seed, keep_prob=None,
              global_step=None, activation=tf.nn.relu):
  """Builds the network up to its logits.

  Args:
    X: float [batch, n_in] placeholder: float32 [batch, 784] for training.
    hidden_units: sizes of the ReLU hidden layers.
    kernel_init, bias_init: initializer names from presets.
    seed: int; each layer's initializers and dropout derive their seeds
      from it, so the graph is reproducible op by op.
    keep_prob: float32 scalar tensor, or None for a network without dropout.
    global_step: int64 variable; with keep_prob, the dropout masks are a
      stateless function of (seed, layer, global_step), so a resumed run draws
      the masks an uninterrupted run would have drawn.
    activation: of the hidden layers; ReLU in every seed.

  Returns:
    [batch, 10] logits, of the dtype of X.
  """
  hidden = X
  with tf.name_scope('dnn'):
    if keep_prob is not None:
      masks = dropout_masks(tf.shape(X)[0], hidden_units, keep_prob,
                            tf.stack([tf.constant(seed * 1000 + 999, tf.int64),
                                      global_step]))
    for i, units in enumerate(hidden_units):
      layer_seed = seed * 1000 + 10 * i
      hidden = dense(hidden, units, 'hidden%d' % (i + 1),
                     initializer(kernel_init, layer_seed),
                     initializer(bias_init, layer_seed + 1), activation)
      if keep_prob is not None:
        hidden = tf.multiply(hidden, masks[i, :, :units],
                             name='dropout%d' % (i + 1))
    out_seed = seed * 1000 + 10 * len(hidden_units)
    return dense(hidden, data.NUM_CLASSES, 'outputs',
                 initializer(kernel_init, out_seed),
                 initializer(bias_init, out_seed + 1))


def loss(logits, y):
  """Mean softmax cross-entropy of logits against int64 labels y [batch].

  With op determinism on, tf.nn.sparse_softmax_cross_entropy_with_logits
  swaps its fused kernel for about thirty ops (log-softmax, gather, label
  checks, and their gradients), because the GPU kernel is not deterministic.
  The CPU kernel is: each row's loss and gradient come from that row alone.
  So on a machine without a GPU the fused op is used directly, which makes
  homl's step 5-8% faster (docs/benchmarks.md).
  """
  with tf.name_scope('loss'):
    if tf.config.list_physical_devices('GPU'):
      xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=y, logits=logits)
    else:
      xentropy, _ = tf.raw_ops.SparseSoftmaxCrossEntropyWithLogits(
          features=logits, labels=y, name='SparseSoftmaxCrossEntropyWithLogits')
    return tf.reduce_mean(xentropy, name='loss')


def layer_names(hidden_units):
  """The variable scopes of a network's layers: hidden1, ..., outputs."""
  return ['hidden%d' % (i + 1) for i in range(len(hidden_units))] + [
      'outputs']


def layer_variables(layers, variables=None):
  """The variables (default: all trainable ones) of the named layers."""
  if variables is None:
    variables = tf.compat.v1.trainable_variables()
  return [v for v in variables if v.op.name.split('/')[0] in layers]


def training(loss_op, optimizer, learning_rate, global_step, var_list=None):
  """The op that takes one optimizer step and increments global_step.

  var_list: the variables to train; default every trainable one.
  """
  with tf.name_scope('train'):
    if optimizer == presets.ADAM:
      opt = tf.compat.v1.train.AdamOptimizer(learning_rate)
    elif optimizer == presets.SGD:
      opt = tf.compat.v1.train.GradientDescentOptimizer(learning_rate)
    else:
      raise ValueError('unknown optimizer %r' % optimizer)
    return opt.minimize(loss_op, global_step=global_step, var_list=var_list)


def evaluation(logits, y):
  """Fraction of examples whose highest logit is the label (float32 scalar)."""
  with tf.name_scope('eval'):
    correct = tf.equal(tf.argmax(logits, 1), y)
    return tf.reduce_mean(tf.cast(correct, tf.float32), name='accuracy')


def build(config):
  """Builds the whole training graph for a TrainConfig in the default graph."""
  tf.compat.v1.set_random_seed(config.seed)
  X = tf.compat.v1.placeholder(tf.float32, [None, data.IMAGE_PIXELS], name='X')
  y = tf.compat.v1.placeholder(tf.int64, [None], name='y')
  keep_prob = tf.compat.v1.placeholder_with_default(1.0, [], name='keep_prob')
  global_step = tf.compat.v1.train.get_or_create_global_step()
  logits = inference(
      X, config.hidden_units, config.kernel_init, config.bias_init,
      config.seed, keep_prob if config.keep_prob < 1 else None, global_step)
  loss_op = loss(logits, y)
  trainable = tf.compat.v1.trainable_variables()
  frozen = layer_variables(config.freeze, trainable)
  train_op = training(loss_op, config.optimizer, config.learning_rate,
                      global_step, [v for v in trainable if v not in frozen])
  return Model(X, y, keep_prob, logits, loss_op, train_op,
               evaluation(logits, y), global_step)


def gemm_shapes(hidden_units, batch_size):
  """The (m, k, n) of every matmul in one training step of the network.

  Per dense layer: the forward product, the kernel gradient and, except for
  the first layer (whose input needs no gradient), the input gradient.
  """
  sizes = [data.IMAGE_PIXELS] + list(hidden_units) + [data.NUM_CLASSES]
  shapes = []
  for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
    shapes.append((batch_size, n_in, n_out))  # X W
    shapes.append((n_in, batch_size, n_out))  # X^T dY
    if i:
      shapes.append((batch_size, n_out, n_in))  # dY W^T
  return shapes


def flops_per_example(hidden_units):
  """Multiply-add FLOPs (2 per MAC) of the matmuls of one example's step."""
  return sum(2 * m * k * n for m, k, n in gemm_shapes(hidden_units, 1))


def parameter_count(variables):
  return sum(int(np.prod(v.shape)) for v in variables)
