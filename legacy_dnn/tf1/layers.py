"""tf.layers of TensorFlow 1.15, on tf.compat.v1 variables.

Keras 3 took tf.compat.v1.layers away (each call raises "not available with
Keras 3" unless tf-keras is installed and TF_USE_LEGACY_KERAS set). These
functions, and the classes that call them in a scope of their own (Dense,
Conv2D, ..., on legacy_dnn.tf1.base.Layer: an object called twice shares its
variables), build the same variables, under the same names and in the same
collections, and compute the same values: tests/test_tf1_layers.py builds
each graph with TensorFlow's own layers (tf-keras, in a subprocess) and
compares names, shapes, collections, outputs, gradients and moving
statistics, and restores one's checkpoint into the other.

What differs from TF 1.15 (docs/tf1-code.md):
- batch_normalization has no renorm, virtual_batch_size or adjustment.
- Op names inside a layer's scope may differ; variable names do not. An
  unnamed layer object's .name is its scope's last part.
"""

import numpy as np
import tensorflow as tf

from legacy_dnn.tf1 import base
from legacy_dnn.tf1 import removed

_ZEROS = tf.compat.v1.zeros_initializer()
_ONES = tf.compat.v1.ones_initializer()


def layer_scope(name, default_name, reuse=None):
  """The variable scope a TF1 layer makes its variables in.

  As tf.layers.Layer._set_scope: the name itself when given (a second layer
  of the same name fails unless reuse is set, as in TF1); without one,
  default_name made unique in the current scope ('dense', 'dense_1', ...),
  or default_name itself when reusing.
  """
  if name or reuse:
    return tf.compat.v1.variable_scope(name or default_name, reuse=reuse)
  return tf.compat.v1.variable_scope(None, default_name=default_name)


def known(pred):
  """pred's value where the graph's building knows it (a Python bool, a
  constant), else None."""
  value = pred if isinstance(pred, (bool, np.bool_)) else (
      tf.get_static_value(pred))
  return None if value is None else bool(value)


def smart_cond(pred, true_fn, false_fn):
  """true_fn() or false_fn() where pred is known (known()), else a tf.cond:
  TF1's smart_cond."""
  value = known(pred)
  if value is None:
    return tf.cond(pred, true_fn, false_fn)
  return true_fn() if value else false_fn()


def _dtype(inputs):
  """The dtype a TF1 layer gives its variables: its inputs' (float32 for
  integer inputs, which it casts)."""
  return inputs.dtype.base_dtype if inputs.dtype.is_floating else tf.float32


def _activity(outputs, regularizer):
  if regularizer is not None:
    with tf.name_scope('ActivityRegularizer'):
      tf.compat.v1.add_to_collection(
          tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES,
          regularizer(outputs) / tf.cast(tf.shape(outputs)[0], outputs.dtype))
  return outputs


def _get(name, shape, dtype, initializer, regularizer=None, trainable=True,
         constraint=None):
  # get_variable puts regularizer(variable) into REGULARIZATION_LOSSES under
  # <scope>/<name>/Regularizer/, as TF1's layers did.
  return tf.compat.v1.get_variable(
      name, shape, dtype, initializer, regularizer=regularizer,
      trainable=trainable, constraint=constraint)


def dense(inputs, units, activation=None, use_bias=True,
          kernel_initializer=None, bias_initializer=_ZEROS,
          kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None,
          bias_constraint=None, trainable=True, name=None, reuse=None):
  """tf.layers.dense of TF 1.15: activation(inputs @ kernel + bias).

  Variables <scope>/kernel [in, units] (kernel_initializer None: the scope's
  initializer, else Glorot uniform) and <scope>/bias [units]. Inputs of rank
  above 2 are multiplied along their last axis.
  """
  with layer_scope(name, 'dense', reuse):
    return dense_here(inputs, units, activation, use_bias, kernel_initializer,
                      bias_initializer, kernel_regularizer, bias_regularizer,
                      activity_regularizer, kernel_constraint,
                      bias_constraint, trainable)


def dense_here(inputs, units, activation=None, use_bias=True,
               kernel_initializer=None, bias_initializer=_ZEROS,
               kernel_regularizer=None, bias_regularizer=None,
               activity_regularizer=None, kernel_constraint=None,
               bias_constraint=None, trainable=True):
  """dense() with its variables in the current variable scope, as
  tf.contrib.layers.fully_connected builds it."""
  inputs = tf.convert_to_tensor(inputs)
  dtype = _dtype(inputs)
  inputs = tf.cast(inputs, dtype)
  kernel = _get('kernel', [inputs.shape[-1], units], dtype,
                kernel_initializer, kernel_regularizer, trainable,
                kernel_constraint)
  if inputs.shape.rank > 2:
    outputs = tf.tensordot(inputs, kernel, [[inputs.shape.rank - 1], [0]])
  else:
    outputs = tf.matmul(inputs, kernel)
  if use_bias:
    bias = _get('bias', [units], dtype, bias_initializer, bias_regularizer,
                trainable, bias_constraint)
    outputs = tf.nn.bias_add(outputs, bias)
  if activation is not None:
    outputs = activation(outputs)
  return _activity(outputs, activity_regularizer)


def pair(value, what):
  if isinstance(value, int):
    return (value, value)
  value = tuple(value)
  if len(value) != 2:
    raise ValueError('%s must be an int or a pair of ints, not %r'
                     % (what, value))
  return value


def _data_format(data_format):
  """TF1's 'channels_last'/'channels_first' as an op's NHWC/NCHW."""
  formats = {'channels_last': 'NHWC', 'channels_first': 'NCHW'}
  if data_format not in formats:
    raise ValueError('data_format must be channels_last or channels_first, '
                     'not %r' % (data_format,))
  return formats[data_format]


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding='valid',
           data_format='channels_last', dilation_rate=(1, 1),
           activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer=_ZEROS, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None,
           kernel_constraint=None, bias_constraint=None, trainable=True,
           name=None, reuse=None):
  """tf.layers.conv2d of TF 1.15.

  Variables <scope>/kernel [kh, kw, in_channels, filters] and <scope>/bias
  [filters]. padding: 'valid' or 'same', in either case.
  """
  _data_format(data_format)
  with layer_scope(name, 'conv2d', reuse):
    return conv2d_here(inputs, filters, kernel_size, strides, padding,
                       data_format, dilation_rate, activation, use_bias,
                       kernel_initializer, bias_initializer,
                       kernel_regularizer, bias_regularizer,
                       activity_regularizer, kernel_constraint,
                       bias_constraint, trainable)


def conv2d_here(inputs, filters, kernel_size, strides=(1, 1),
                padding='valid', data_format='channels_last',
                dilation_rate=(1, 1), activation=None, use_bias=True,
                kernel_initializer=None, bias_initializer=_ZEROS,
                kernel_regularizer=None, bias_regularizer=None,
                activity_regularizer=None, kernel_constraint=None,
                bias_constraint=None, trainable=True):
  """conv2d() with its variables in the current variable scope."""
  inputs = tf.convert_to_tensor(inputs)
  fmt = _data_format(data_format)
  dtype = _dtype(inputs)
  inputs = tf.cast(inputs, dtype)
  channels = inputs.shape[-1 if fmt == 'NHWC' else 1]
  kernel = _get('kernel', list(pair(kernel_size, 'kernel_size')) +
                [channels, filters], dtype, kernel_initializer,
                kernel_regularizer, trainable, kernel_constraint)
  outputs = tf.nn.convolution(
      inputs, kernel, strides=list(pair(strides, 'strides')),
      padding=padding.upper(),
      dilations=list(pair(dilation_rate, 'dilation_rate')),
      data_format=fmt)
  return _bias_and_activation(outputs, filters, dtype, fmt, use_bias,
                              bias_initializer, bias_regularizer,
                              bias_constraint, activation,
                              activity_regularizer, trainable)



def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1),
                     padding='valid', data_format='channels_last',
                     activation=None, use_bias=True, kernel_initializer=None,
                     bias_initializer=_ZEROS, kernel_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None,
                     kernel_constraint=None, bias_constraint=None,
                     trainable=True, name=None, reuse=None):
  """tf.layers.conv2d_transpose of TF 1.15 (a "deconvolution").

  Variables <scope>/kernel [kh, kw, filters, in_channels] and <scope>/bias
  [filters]. Each spatial side grows to side * stride ('same') or side *
  stride + max(kernel - stride, 0) ('valid'). Channels-first inputs are
  transposed to channels-last and back around the op, as TF1's Keras did
  on a CPU.
  """
  _data_format(data_format)
  with layer_scope(name, 'conv2d_transpose', reuse):
    return conv2d_transpose_here(
        inputs, filters, kernel_size, strides, padding, data_format,
        activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint, trainable)


def _deconv_length(length, kernel, stride, padding):
  if length is None:
    return None
  if padding == 'valid':
    return length * stride + max(kernel - stride, 0)
  return length * stride


def conv2d_transpose_here(inputs, filters, kernel_size, strides=(1, 1),
                          padding='valid', data_format='channels_last',
                          activation=None, use_bias=True,
                          kernel_initializer=None, bias_initializer=_ZEROS,
                          kernel_regularizer=None, bias_regularizer=None,
                          activity_regularizer=None, kernel_constraint=None,
                          bias_constraint=None, trainable=True):
  """conv2d_transpose() with its variables in the current variable
  scope."""
  inputs = tf.convert_to_tensor(inputs)
  fmt = _data_format(data_format)
  padding = padding.lower()
  if padding not in ('valid', 'same'):
    raise ValueError('padding must be valid or same, not %r' % (padding,))
  dtype = _dtype(inputs)
  inputs = tf.cast(inputs, dtype)
  (kh, kw), (sh, sw) = (pair(kernel_size, 'kernel_size'),
                        pair(strides, 'strides'))
  channels = inputs.shape[-1 if fmt == 'NHWC' else 1]
  kernel = _get('kernel', [kh, kw, filters, channels], dtype,
                kernel_initializer, kernel_regularizer, trainable,
                kernel_constraint)
  if fmt == 'NCHW':
    inputs = tf.transpose(inputs, [0, 2, 3, 1])
  shape = tf.shape(inputs)
  out_h = _deconv_length(shape[1], kh, sh, padding)
  out_w = _deconv_length(shape[2], kw, sw, padding)
  outputs = tf.nn.conv2d_transpose(
      inputs, kernel, tf.stack([shape[0], out_h, out_w, filters]),
      strides=(1, sh, sw, 1), padding=padding.upper(), data_format='NHWC')
  if fmt == 'NCHW':
    outputs = tf.transpose(outputs, [0, 3, 1, 2])
  static = inputs.shape
  static_hw = [_deconv_length(static[1], kh, sh, padding),
               _deconv_length(static[2], kw, sw, padding)]
  outputs.set_shape([static[0]] + ([filters] + static_hw if fmt == 'NCHW'
                                   else static_hw + [filters]))
  return _bias_and_activation(outputs, filters, dtype, fmt, use_bias,
                              bias_initializer, bias_regularizer,
                              bias_constraint, activation,
                              activity_regularizer, trainable)


def _bias_and_activation(outputs, filters, dtype, fmt, use_bias,
                         bias_initializer, bias_regularizer, bias_constraint,
                         activation, activity_regularizer, trainable):
  """A convolution's <scope>/bias [filters] added, then activation."""
  if use_bias:
    bias = _get('bias', [filters], dtype, bias_initializer,
                bias_regularizer, trainable, bias_constraint)
    outputs = tf.nn.bias_add(outputs, bias, data_format=fmt)
  if activation is not None:
    outputs = activation(outputs)
  return _activity(outputs, activity_regularizer)


def _pool(op, default_name, inputs, pool_size, strides, padding, data_format,
          name):
  fmt = _data_format(data_format)
  with tf.compat.v1.name_scope(name, default_name):
    return op(inputs, pair(pool_size, 'pool_size'),
              pair(strides, 'strides'), padding.upper(), data_format=fmt)


def max_pooling2d(inputs, pool_size, strides, padding='valid',
                  data_format='channels_last', name=None):
  """tf.layers.max_pooling2d of TF 1.15."""
  return _pool(tf.nn.max_pool2d, 'max_pooling2d', inputs, pool_size, strides,
               padding, data_format, name)


def average_pooling2d(inputs, pool_size, strides, padding='valid',
                      data_format='channels_last', name=None):
  """tf.layers.average_pooling2d of TF 1.15."""
  return _pool(tf.nn.avg_pool2d, 'average_pooling2d', inputs, pool_size,
               strides, padding, data_format, name)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False,
            name=None):
  """tf.layers.dropout of TF 1.15: inputs unchanged unless training.

  rate is the fraction dropped (contrib's dropout takes keep_prob). With
  training, tf.nn.dropout with the op seed given; training may be a bool
  tensor.
  """
  with tf.compat.v1.name_scope(name, 'dropout'):
    return dropout_here(inputs, rate, noise_shape, seed, training)


def dropout_here(inputs, rate, noise_shape, seed, training):
  """dropout() in the current name scope."""
  inputs = tf.convert_to_tensor(inputs)
  if isinstance(rate, (int, float)) and rate == 0:
    return tf.identity(inputs)
  return smart_cond(
      training,
      lambda: tf.nn.dropout(inputs, rate=rate, noise_shape=noise_shape,
                            seed=seed),
      lambda: tf.identity(inputs))


def flatten(inputs, name=None, data_format='channels_last'):
  """tf.layers.flatten of TF 1.15: [batch, ...] to [batch, the rest]."""
  with tf.compat.v1.name_scope(name, 'flatten'):
    return flatten_here(inputs, data_format)


def flatten_here(inputs, data_format='channels_last'):
  """flatten() in the current name scope."""
  inputs = tf.convert_to_tensor(inputs)
  if _data_format(data_format) == 'NCHW' and inputs.shape.rank > 2:
    # TF1 flattens channels-first inputs as if channels were last.
    inputs = tf.transpose(inputs, [0] + list(range(2, inputs.shape.rank))
                          + [1])
  rest = inputs.shape[1:]
  if rest.is_fully_defined():
    shape = tf.constant([-1, int(np.prod(rest))])
  else:
    shape = [tf.shape(inputs)[0], -1]
  return tf.reshape(inputs, shape)


def fused_normalize(inputs, gamma, beta, moving_mean, moving_variance,
                    epsilon, training, fmt):
  """The fused kernel as TF 1.15's layers, core and contrib, ran it:
  (outputs, the batch's mean, its variance). The kernel's variance, which
  the moving variance follows, has Bessel's correction (n / (n - 1)), where
  the unfused path's has not: TF1 left it so."""
  return smart_cond(
      training,
      lambda: tf.compat.v1.nn.fused_batch_norm(
          inputs, gamma, beta, epsilon=epsilon, is_training=True,
          data_format=fmt),
      lambda: tf.compat.v1.nn.fused_batch_norm(
          inputs, gamma, beta, mean=moving_mean, variance=moving_variance,
          epsilon=epsilon, is_training=False, data_format=fmt))


def assign_moving_average(variable, value, decay):
  """variable -= (variable - value) * decay, as TF 1.15's batch norm layer
  updates its moving statistics."""
  with tf.compat.v1.name_scope(None, 'AssignMovingAvg') as scope:
    with tf.compat.v1.colocate_with(variable):
      return tf.compat.v1.assign_sub(
          variable, (variable - tf.cast(value, variable.dtype)) * decay,
          name=scope)


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3,
                        center=True, scale=True,
                        beta_initializer=_ZEROS, gamma_initializer=_ONES,
                        moving_mean_initializer=_ZEROS,
                        moving_variance_initializer=_ONES,
                        beta_regularizer=None, gamma_regularizer=None,
                        beta_constraint=None, gamma_constraint=None,
                        training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None,
                        renorm_momentum=0.99, fused=None,
                        virtual_batch_size=None, adjustment=None):
  """tf.layers.batch_normalization of TF 1.15.

  Variables <scope>/gamma (if scale) and beta (if center), trainable, and
  moving_mean and moving_variance, in GLOBAL_VARIABLES only. training (a
  bool or a bool tensor) normalizes by the batch's moments and puts the
  moving averages' updates into UPDATE_OPS, which the caller runs with its
  train op, as TF1 required; otherwise the moving averages normalize.

  fused=None or True uses the fused kernel for 4-D inputs normalized along
  their channels, as TF1 did (its moving variance then follows the batch's
  variance with Bessel's correction, the unfused path's without), and the
  unfused ops otherwise: TF 1.15's tf.layers fell back where the fused
  kernel could not be used, even when asked for it.
  """
  del renorm_clipping, renorm_momentum
  _refuse_batch_normalization_extras(renorm, virtual_batch_size, adjustment)
  with layer_scope(name, 'batch_normalization', reuse):
    return batch_normalization_here(
        inputs, axis, momentum, epsilon, center, scale, beta_initializer,
        gamma_initializer, moving_mean_initializer,
        moving_variance_initializer, beta_regularizer, gamma_regularizer,
        beta_constraint, gamma_constraint, training, trainable, fused)


def _refuse_batch_normalization_extras(renorm, virtual_batch_size,
                                       adjustment):
  for argument, value in (('renorm', renorm),
                          ('virtual_batch_size', virtual_batch_size),
                          ('adjustment', adjustment)):
    if value:
      raise removed.NotProvidedError(
          'tf.layers.batch_normalization(%s=...)' % argument,
          'batch_normalization without it, or tf.keras.layers.'
          'BatchNormalization in Keras 3')


def batch_normalization_here(inputs, axis=-1, momentum=0.99, epsilon=1e-3,
                             center=True, scale=True,
                             beta_initializer=_ZEROS,
                             gamma_initializer=_ONES,
                             moving_mean_initializer=_ZEROS,
                             moving_variance_initializer=_ONES,
                             beta_regularizer=None, gamma_regularizer=None,
                             beta_constraint=None, gamma_constraint=None,
                             training=False, trainable=True, fused=None):
  """batch_normalization() with its variables in the current variable
  scope, as tf.contrib.layers.batch_norm builds it."""
  inputs = tf.convert_to_tensor(inputs)
  rank = inputs.shape.rank
  axis = axis % rank
  fmt = {3: 'NHWC', 1: 'NCHW'}.get(axis) if rank == 4 else None
  fused = fmt is not None and fused is not False
  dtype = _dtype(inputs)
  n = inputs.shape[axis]
  gamma = (_get('gamma', [n], dtype, gamma_initializer, gamma_regularizer,
                trainable, gamma_constraint) if scale else None)
  beta = (_get('beta', [n], dtype, beta_initializer, beta_regularizer,
               trainable, beta_constraint) if center else None)
  moving_mean, moving_variance = moving_statistics(
      n, dtype, moving_mean_initializer, moving_variance_initializer)
  if fused:
    return _fused_batch_norm(inputs, gamma, beta, moving_mean,
                             moving_variance, momentum, epsilon, training,
                             fmt)
  return _batch_norm(inputs, axis, gamma, beta, moving_mean,
                     moving_variance, momentum, epsilon, training)


def moving_statistics(n, dtype, mean_initializer=_ZEROS,
                      variance_initializer=_ONES):
  """The non-trainable moving_mean and moving_variance [n] of a batch norm,
  in GLOBAL_VARIABLES alone (with a scope's custom getter, where it puts
  them)."""
  return tuple(
      tf.compat.v1.get_variable(
          name, [n], dtype, init, trainable=False,
          collections=[tf.compat.v1.GraphKeys.GLOBAL_VARIABLES])
      for name, init in (('moving_mean', mean_initializer),
                         ('moving_variance', variance_initializer)))


def _fused_batch_norm(inputs, gamma, beta, moving_mean, moving_variance,
                      momentum, epsilon, training, fmt):
  n, dtype = moving_mean.shape[0], moving_mean.dtype
  outputs, mean, variance = fused_normalize(
      inputs, gamma if gamma is not None else tf.ones([n], dtype),
      beta if beta is not None else tf.zeros([n], dtype), moving_mean,
      moving_variance, epsilon, training, fmt)
  if known(training) is False:
    return outputs
  # TF1 updates with decay 0 (momentum 1) where training is False.
  decay = 1.0 - smart_cond(training, lambda: tf.constant(momentum),
                           lambda: tf.constant(1.0))
  for variable, value in ((moving_mean, mean), (moving_variance, variance)):
    tf.compat.v1.add_to_collection(
        tf.compat.v1.GraphKeys.UPDATE_OPS,
        assign_moving_average(variable, value, tf.cast(decay, dtype)))
  return outputs


def per_channel(vector, axis, rank):
  """A batch norm's per-channel vector (or None) shaped to broadcast along
  axis of rank-D inputs: as it is for the last axis, else reshaped."""
  if vector is None or axis == rank - 1:
    return vector
  return tf.reshape(vector, [1] * axis + [-1] + [1] * (rank - axis - 1))


def _batch_norm(inputs, axis, gamma, beta, moving_mean, moving_variance,
                momentum, epsilon, training):
  rank = inputs.shape.rank
  reduction = [i for i in range(rank) if i != axis]
  broadcast = lambda v: per_channel(v, axis, rank)
  if known(training) is False:
    mean, variance = moving_mean, moving_variance
  else:
    batch_mean, batch_variance = tf.nn.moments(inputs, reduction)
    mean = smart_cond(training, lambda: batch_mean,
                      lambda: tf.convert_to_tensor(moving_mean))
    variance = smart_cond(training, lambda: batch_variance,
                          lambda: tf.convert_to_tensor(moving_variance))
    decay = 1.0 - momentum
    for variable, value in ((moving_mean, mean),
                            (moving_variance, variance)):
      tf.compat.v1.add_to_collection(
          tf.compat.v1.GraphKeys.UPDATE_OPS,
          smart_cond(
              training,
              lambda v=variable, x=value: assign_moving_average(v, x, decay),
              lambda v=variable: v))
  return tf.nn.batch_normalization(
      inputs, broadcast(tf.convert_to_tensor(mean)),
      broadcast(tf.convert_to_tensor(variance)), broadcast(beta),
      broadcast(gamma), epsilon)



Layer = base.Layer


class _Weights:
  """A layer's variables by their last name, as TF1's layers kept them in
  attributes (layer.kernel, layer.moving_mean, ...): None before the first
  call."""

  def _weight(self, name):
    for variable in self.weights:
      if variable.op.name.rsplit('/', 1)[-1] == name:
        return variable
    return None


class _KernelAndBias(_Weights):
  kernel = property(lambda self: self._weight('kernel'))
  bias = property(lambda self: self._weight('bias'))


class Dense(base.Layer, _KernelAndBias):
  """tf.layers.Dense of TF 1.15: dense() as an object; called again, it
  uses the same kernel and bias."""

  def __init__(self, units, activation=None, use_bias=True,
               kernel_initializer=None, bias_initializer=_ZEROS,
               kernel_regularizer=None, bias_regularizer=None,
               activity_regularizer=None, kernel_constraint=None,
               bias_constraint=None, trainable=True, name=None, **kwargs):
    super().__init__(trainable=trainable, name=name, **kwargs)
    self.units = units
    self.activation = activation
    self.use_bias = use_bias
    self._arguments = (kernel_initializer, bias_initializer,
                       kernel_regularizer, bias_regularizer,
                       activity_regularizer, kernel_constraint,
                       bias_constraint)

  def call(self, inputs):
    return dense_here(inputs, self.units, self.activation, self.use_bias,
                      *self._arguments, trainable=self.trainable)


class Conv2D(base.Layer, _KernelAndBias):
  """tf.layers.Conv2D of TF 1.15: conv2d() as an object; called again, it
  uses the same kernel and bias."""

  def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid',
               data_format='channels_last', dilation_rate=(1, 1),
               activation=None, use_bias=True, kernel_initializer=None,
               bias_initializer=_ZEROS, kernel_regularizer=None,
               bias_regularizer=None, activity_regularizer=None,
               kernel_constraint=None, bias_constraint=None, trainable=True,
               name=None, **kwargs):
    super().__init__(trainable=trainable, name=name, **kwargs)
    _data_format(data_format)
    self.filters = filters
    self._arguments = (kernel_size, strides, padding, data_format,
                       dilation_rate, activation, use_bias,
                       kernel_initializer, bias_initializer,
                       kernel_regularizer, bias_regularizer,
                       activity_regularizer, kernel_constraint,
                       bias_constraint)

  def call(self, inputs):
    return conv2d_here(inputs, self.filters, *self._arguments,
                       trainable=self.trainable)



class Conv2DTranspose(base.Layer, _KernelAndBias):
  """tf.layers.Conv2DTranspose of TF 1.15: conv2d_transpose() as an
  object; called again, it uses the same kernel and bias."""

  def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid',
               data_format='channels_last', activation=None, use_bias=True,
               kernel_initializer=None, bias_initializer=_ZEROS,
               kernel_regularizer=None, bias_regularizer=None,
               activity_regularizer=None, kernel_constraint=None,
               bias_constraint=None, trainable=True, name=None, **kwargs):
    super().__init__(trainable=trainable, name=name, **kwargs)
    _data_format(data_format)
    self.filters = filters
    self._arguments = (kernel_size, strides, padding, data_format,
                       activation, use_bias, kernel_initializer,
                       bias_initializer, kernel_regularizer, bias_regularizer,
                       activity_regularizer, kernel_constraint,
                       bias_constraint)

  def call(self, inputs):
    return conv2d_transpose_here(inputs, self.filters, *self._arguments,
                                 trainable=self.trainable)

class _Pooling2D(base.Layer):
  _op = None

  def __init__(self, pool_size, strides, padding='valid',
               data_format='channels_last', name=None, **kwargs):
    super().__init__(name=name, **kwargs)
    self._arguments = (pair(pool_size, 'pool_size'),
                       pair(strides, 'strides'), padding.upper())
    self._format = _data_format(data_format)

  def call(self, inputs):
    return type(self)._op(inputs, *self._arguments, data_format=self._format)


class MaxPooling2D(_Pooling2D):
  """tf.layers.MaxPooling2D of TF 1.15."""
  _op = tf.nn.max_pool2d


class AveragePooling2D(_Pooling2D):
  """tf.layers.AveragePooling2D of TF 1.15."""
  _op = tf.nn.avg_pool2d


class Dropout(base.Layer):
  """tf.layers.Dropout of TF 1.15: called with training=True (a bool or a
  bool tensor) it drops rate of its inputs; otherwise it passes them."""

  def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None,
               **kwargs):
    super().__init__(name=name, **kwargs)
    self.rate = rate
    self.noise_shape = noise_shape
    self.seed = seed

  def call(self, inputs, training=False):
    return dropout_here(inputs, self.rate, self.noise_shape, self.seed,
                        training)


class Flatten(base.Layer):
  """tf.layers.Flatten of TF 1.15."""

  def __init__(self, data_format='channels_last', name=None, **kwargs):
    super().__init__(name=name, **kwargs)
    _data_format(data_format)
    self.data_format = data_format

  def call(self, inputs):
    return flatten_here(inputs, self.data_format)


class BatchNormalization(base.Layer, _Weights):
  """tf.layers.BatchNormalization of TF 1.15: batch_normalization() as an
  object, whose moving averages' updates are also its `updates`."""

  def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True,
               scale=True, beta_initializer=_ZEROS, gamma_initializer=_ONES,
               moving_mean_initializer=_ZEROS,
               moving_variance_initializer=_ONES, beta_regularizer=None,
               gamma_regularizer=None, beta_constraint=None,
               gamma_constraint=None, renorm=False, renorm_clipping=None,
               renorm_momentum=0.99, fused=None, trainable=True,
               virtual_batch_size=None, adjustment=None, name=None,
               **kwargs):
    super().__init__(trainable=trainable, name=name, **kwargs)
    del renorm_clipping, renorm_momentum
    _refuse_batch_normalization_extras(renorm, virtual_batch_size,
                                       adjustment)
    self._arguments = (axis, momentum, epsilon, center, scale,
                       beta_initializer, gamma_initializer,
                       moving_mean_initializer, moving_variance_initializer,
                       beta_regularizer, gamma_regularizer, beta_constraint,
                       gamma_constraint)
    self.fused = fused

  gamma = property(lambda self: self._weight('gamma'))
  beta = property(lambda self: self._weight('beta'))
  moving_mean = property(lambda self: self._weight('moving_mean'))
  moving_variance = property(lambda self: self._weight('moving_variance'))

  def call(self, inputs, training=False):
    return batch_normalization_here(inputs, *self._arguments,
                                    training=training,
                                    trainable=self.trainable,
                                    fused=self.fused)


# tf.layers of TF 1.15 that this module does not provide -> what to use.
NOT_PROVIDED = {
    name: 'tf.nn.%s%s, or Keras 3\'s layer' % (
        op, ' with variables of your own (tf.get_variable)'
        if 'conv' in op else '') for name, op in (
            ('conv1d', 'conv1d'), ('conv3d', 'conv3d'), ('conv3d_transpose', 'conv3d_transpose'),
            ('separable_conv1d', 'separable_conv2d'),
            ('separable_conv2d', 'separable_conv2d'),
            ('max_pooling1d', 'max_pool1d'), ('max_pooling3d', 'max_pool3d'),
            ('average_pooling1d', 'avg_pool1d'),
            ('average_pooling3d', 'avg_pool3d'))}
NOT_PROVIDED.update({
    name: replacement for names, replacement in (
        (('Conv1D', 'Conv3D', 'Conv3DTranspose',
          'SeparableConv1D', 'SeparableConv2D', 'MaxPooling1D',
          'MaxPooling3D', 'AveragePooling1D', 'AveragePooling3D',
          'InputSpec'),
         'the classes legacy_dnn.v1 provides (Layer, Dense, Conv2D, '
         'Conv2DTranspose, MaxPooling2D, AveragePooling2D, Dropout, '
         'Flatten, BatchNormalization), or Keras 3\'s layer'),
        (('experimental',), 'Keras 3'))
    for name in names})


def __getattr__(name):
  # What TF 1.15's tf.layers had: one line naming it; a typo: Python's
  # answer, under TF1's name, with the closest name there is.
  provided = ('average_pooling2d', 'batch_normalization', 'conv2d',
              'conv2d_transpose', 'dense', 'dropout', 'flatten',
              'max_pooling2d', 'Layer', 'Dense', 'Conv2D', 'Conv2DTranspose',
              'MaxPooling2D', 'AveragePooling2D', 'Dropout', 'Flatten',
              'BatchNormalization')
  raise removed.attribute('tf.layers', NOT_PROVIDED, name, '',
                          tf1_names=provided)
