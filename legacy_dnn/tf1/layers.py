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

import functools

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


def ntuple(value, n, what):
  """value as n ints: an int repeated, or a sequence of n."""
  if isinstance(value, int):
    return (value,) * n
  value = tuple(value)
  if len(value) != n:
    raise ValueError('%s must be an int or %d ints, not %r'
                     % (what, n, value))
  return value


def pair(value, what):
  return ntuple(value, 2, what)


# An op's data_format for TF1's 'channels_last'/'channels_first', by the
# number of spatial axes.
FORMATS = {1: ('NWC', 'NCW'), 2: ('NHWC', 'NCHW'), 3: ('NDHWC', 'NCDHW')}


def _data_format(data_format, rank=2):
  """TF1's 'channels_last'/'channels_first' as an op's NHWC/NCHW (NWC/NCW
  for rank 1, NDHWC/NCDHW for rank 3)."""
  formats = dict(zip(('channels_last', 'channels_first'), FORMATS[rank]))
  if data_format not in formats:
    raise ValueError('data_format must be channels_last or channels_first, '
                     'not %r' % (data_format,))
  return formats[data_format]


def _channels(inputs, fmt):
  return inputs.shape[-1 if fmt.endswith('C') else 1]


def convolution_here(rank, inputs, filters, kernel_size, strides=1,
                     padding='valid', data_format='channels_last',
                     dilation_rate=1, activation=None, use_bias=True,
                     kernel_initializer=None, bias_initializer=_ZEROS,
                     kernel_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True):
  """A convolution of rank spatial axes (conv1d, conv2d, conv3d) with its
  variables in the current variable scope: <scope>/kernel [k..., in
  channels, filters] and <scope>/bias [filters]."""
  inputs = tf.convert_to_tensor(inputs)
  fmt = _data_format(data_format, rank)
  dtype = _dtype(inputs)
  inputs = tf.cast(inputs, dtype)
  kernel = _get('kernel', list(ntuple(kernel_size, rank, 'kernel_size')) +
                [_channels(inputs, fmt), filters], dtype, kernel_initializer,
                kernel_regularizer, trainable, kernel_constraint)
  outputs = tf.nn.convolution(
      inputs, kernel, strides=list(ntuple(strides, rank, 'strides')),
      padding=padding.upper(),
      dilations=list(ntuple(dilation_rate, rank, 'dilation_rate')),
      data_format=fmt)
  return _bias_and_activation(outputs, filters, dtype, fmt, use_bias,
                              bias_initializer, bias_regularizer,
                              bias_constraint, activation,
                              activity_regularizer, trainable)


conv2d_here = functools.partial(convolution_here, 2)


def _convolution(rank):
  """tf.layers.conv1d, conv2d or conv3d of TF 1.15, for rank spatial
  axes."""
  default_name = 'conv%dd' % rank

  def convolution(inputs, filters, kernel_size, strides=1, padding='valid',
                  data_format='channels_last', dilation_rate=1,
                  activation=None, use_bias=True, kernel_initializer=None,
                  bias_initializer=_ZEROS, kernel_regularizer=None,
                  bias_regularizer=None, activity_regularizer=None,
                  kernel_constraint=None, bias_constraint=None,
                  trainable=True, name=None, reuse=None):
    _data_format(data_format, rank)
    with layer_scope(name, default_name, reuse):
      return convolution_here(
          rank, inputs, filters, kernel_size, strides, padding, data_format,
          dilation_rate, activation, use_bias, kernel_initializer,
          bias_initializer, kernel_regularizer, bias_regularizer,
          activity_regularizer, kernel_constraint, bias_constraint,
          trainable)

  convolution.__name__ = convolution.__qualname__ = default_name
  convolution.__doc__ = (
      """tf.layers.%s of TF 1.15.

      Variables <scope>/kernel [%s, in_channels, filters] and <scope>/bias
      [filters]. padding: 'valid' or 'same', in either case; strides,
      kernel_size and dilation_rate an int or %d ints.
      """ % (default_name, ', '.join(('kd', 'kh', 'kw')[3 - rank:]), rank))
  return convolution


conv1d = _convolution(1)
conv2d = _convolution(2)
conv3d = _convolution(3)


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1),
                     padding='valid', data_format='channels_last',
                     dilation_rate=(1, 1), depth_multiplier=1,
                     activation=None, use_bias=True,
                     depthwise_initializer=None, pointwise_initializer=None,
                     bias_initializer=_ZEROS, depthwise_regularizer=None,
                     pointwise_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, depthwise_constraint=None,
                     pointwise_constraint=None, bias_constraint=None,
                     trainable=True, name=None, reuse=None):
  """tf.layers.separable_conv2d of TF 1.15: a depthwise convolution of each
  channel, depth_multiplier filters each, then a 1x1 convolution mixing
  them.

  Variables <scope>/depthwise_kernel [kh, kw, in_channels,
  depth_multiplier], <scope>/pointwise_kernel [1, 1, in_channels *
  depth_multiplier, filters] and <scope>/bias [filters].
  """
  _data_format(data_format)
  with layer_scope(name, 'separable_conv2d', reuse):
    return separable_conv2d_here(
        inputs, filters, kernel_size, strides, padding, data_format,
        dilation_rate, depth_multiplier, activation, use_bias,
        depthwise_initializer, pointwise_initializer, bias_initializer,
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
        activity_regularizer, depthwise_constraint, pointwise_constraint,
        bias_constraint, trainable)


def separable_conv2d_here(inputs, filters, kernel_size, strides=(1, 1),
                          padding='valid', data_format='channels_last',
                          dilation_rate=(1, 1), depth_multiplier=1,
                          activation=None, use_bias=True,
                          depthwise_initializer=None,
                          pointwise_initializer=None,
                          bias_initializer=_ZEROS, depthwise_regularizer=None,
                          pointwise_regularizer=None, bias_regularizer=None,
                          activity_regularizer=None,
                          depthwise_constraint=None,
                          pointwise_constraint=None, bias_constraint=None,
                          trainable=True):
  """separable_conv2d() with its variables in the current variable
  scope."""
  inputs = tf.convert_to_tensor(inputs)
  fmt = _data_format(data_format)
  dtype = _dtype(inputs)
  inputs = tf.cast(inputs, dtype)
  channels = _channels(inputs, fmt)
  depthwise = _get('depthwise_kernel',
                   list(pair(kernel_size, 'kernel_size')) +
                   [channels, depth_multiplier], dtype, depthwise_initializer,
                   depthwise_regularizer, trainable, depthwise_constraint)
  pointwise = _get('pointwise_kernel',
                   [1, 1, channels * depth_multiplier, filters], dtype,
                   pointwise_initializer, pointwise_regularizer, trainable,
                   pointwise_constraint)
  sh, sw = pair(strides, 'strides')
  outputs = tf.compat.v1.nn.separable_conv2d(
      inputs, depthwise, pointwise,
      strides=(1, sh, sw, 1) if fmt == 'NHWC' else (1, 1, sh, sw),
      padding=padding.upper(), rate=pair(dilation_rate, 'dilation_rate'),
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
  channels = _channels(inputs, fmt)
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


# TensorFlow's pooling ops by kind and number of spatial axes.
_POOLS = {('max', 1): tf.nn.max_pool1d, ('max', 2): tf.nn.max_pool2d,
          ('max', 3): tf.nn.max_pool3d, ('average', 1): tf.nn.avg_pool1d,
          ('average', 2): tf.nn.avg_pool2d, ('average', 3): tf.nn.avg_pool3d}


def pool_here(kind, rank, inputs, pool_size, strides, padding='valid',
              data_format='channels_last'):
  """A max or average pooling of rank spatial axes in the current name
  scope."""
  return _POOLS[kind, rank](
      inputs, ntuple(pool_size, rank, 'pool_size'),
      ntuple(strides, rank, 'strides'), padding.upper(),
      data_format=_data_format(data_format, rank))


def _pooling(kind, rank):
  """tf.layers.max_pooling1d, ..., average_pooling3d of TF 1.15."""
  default_name = '%s_pooling%dd' % (kind, rank)

  def pooling(inputs, pool_size, strides, padding='valid',
              data_format='channels_last', name=None):
    _data_format(data_format, rank)
    with tf.compat.v1.name_scope(name, default_name):
      return pool_here(kind, rank, inputs, pool_size, strides, padding,
                       data_format)

  pooling.__name__ = pooling.__qualname__ = default_name
  pooling.__doc__ = (
      """tf.layers.%s of TF 1.15: the %s of each window of pool_size (an
      int or %d ints), moved by strides.""" % (default_name, kind, rank))
  return pooling


max_pooling1d = _pooling('max', 1)
max_pooling2d = _pooling('max', 2)
max_pooling3d = _pooling('max', 3)
average_pooling1d = _pooling('average', 1)
average_pooling2d = _pooling('average', 2)
average_pooling3d = _pooling('average', 3)


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


class _Convolution(base.Layer, _KernelAndBias):
  """conv1d(), conv2d() or conv3d() as an object (rank spatial axes);
  called again, it uses the same kernel and bias."""
  rank = None

  def __init__(self, filters, kernel_size, strides=1, padding='valid',
               data_format='channels_last', dilation_rate=1,
               activation=None, use_bias=True, kernel_initializer=None,
               bias_initializer=_ZEROS, kernel_regularizer=None,
               bias_regularizer=None, activity_regularizer=None,
               kernel_constraint=None, bias_constraint=None, trainable=True,
               name=None, **kwargs):
    super().__init__(trainable=trainable, name=name, **kwargs)
    _data_format(data_format, self.rank)
    self.filters = filters
    self._arguments = (kernel_size, strides, padding, data_format,
                       dilation_rate, activation, use_bias,
                       kernel_initializer, bias_initializer,
                       kernel_regularizer, bias_regularizer,
                       activity_regularizer, kernel_constraint,
                       bias_constraint)

  def call(self, inputs):
    return convolution_here(self.rank, inputs, self.filters,
                            *self._arguments, trainable=self.trainable)


class Conv1D(_Convolution):
  """tf.layers.Conv1D of TF 1.15: conv1d() as an object."""
  rank = 1


class Conv2D(_Convolution):
  """tf.layers.Conv2D of TF 1.15: conv2d() as an object."""
  rank = 2


class Conv3D(_Convolution):
  """tf.layers.Conv3D of TF 1.15: conv3d() as an object."""
  rank = 3


class SeparableConv2D(base.Layer, _Weights):
  """tf.layers.SeparableConv2D of TF 1.15: separable_conv2d() as an
  object; called again, it uses the same kernels and bias."""

  def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid',
               data_format='channels_last', dilation_rate=(1, 1),
               depth_multiplier=1, activation=None, use_bias=True,
               depthwise_initializer=None, pointwise_initializer=None,
               bias_initializer=_ZEROS, depthwise_regularizer=None,
               pointwise_regularizer=None, bias_regularizer=None,
               activity_regularizer=None, depthwise_constraint=None,
               pointwise_constraint=None, bias_constraint=None,
               trainable=True, name=None, **kwargs):
    super().__init__(trainable=trainable, name=name, **kwargs)
    _data_format(data_format)
    self.filters = filters
    self._arguments = (kernel_size, strides, padding, data_format,
                       dilation_rate, depth_multiplier, activation, use_bias,
                       depthwise_initializer, pointwise_initializer,
                       bias_initializer, depthwise_regularizer,
                       pointwise_regularizer, bias_regularizer,
                       activity_regularizer, depthwise_constraint,
                       pointwise_constraint, bias_constraint)

  depthwise_kernel = property(lambda self: self._weight('depthwise_kernel'))
  pointwise_kernel = property(lambda self: self._weight('pointwise_kernel'))
  bias = property(lambda self: self._weight('bias'))

  def call(self, inputs):
    return separable_conv2d_here(inputs, self.filters, *self._arguments,
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

class _Pooling(base.Layer):
  """A pooling function as an object: kind 'max' or 'average', rank
  spatial axes."""
  kind = rank = None

  def __init__(self, pool_size, strides, padding='valid',
               data_format='channels_last', name=None, **kwargs):
    super().__init__(name=name, **kwargs)
    _data_format(data_format, self.rank)
    self._arguments = (pool_size, strides, padding, data_format)

  def call(self, inputs):
    return pool_here(self.kind, self.rank, inputs, *self._arguments)


class MaxPooling1D(_Pooling):
  """tf.layers.MaxPooling1D of TF 1.15."""
  kind, rank = 'max', 1


class MaxPooling2D(_Pooling):
  """tf.layers.MaxPooling2D of TF 1.15."""
  kind, rank = 'max', 2


class MaxPooling3D(_Pooling):
  """tf.layers.MaxPooling3D of TF 1.15."""
  kind, rank = 'max', 3


class AveragePooling1D(_Pooling):
  """tf.layers.AveragePooling1D of TF 1.15."""
  kind, rank = 'average', 1


class AveragePooling2D(_Pooling):
  """tf.layers.AveragePooling2D of TF 1.15."""
  kind, rank = 'average', 2


class AveragePooling3D(_Pooling):
  """tf.layers.AveragePooling3D of TF 1.15."""
  kind, rank = 'average', 3


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
    'conv3d_transpose': 'tf.nn.conv3d_transpose with variables of your own '
                        '(tf.get_variable), or Keras 3\'s layer',
    'separable_conv1d': 'separable_conv2d on inputs given a spatial axis of '
                        '1 (tf.expand_dims), or Keras 3\'s layer',
    'Conv3DTranspose': 'conv3d_transpose\'s replacement, or Keras 3\'s layer',
    'SeparableConv1D': 'SeparableConv2D on inputs given a spatial axis of 1 '
                       '(tf.expand_dims), or Keras 3\'s layer',
    'InputSpec': 'checks of your own in a Layer\'s build()',
    'experimental': 'Keras 3',
}
# What this module provides of TF 1.15's tf.layers.
PROVIDED = (
    'average_pooling1d', 'average_pooling2d', 'average_pooling3d',
    'batch_normalization', 'conv1d', 'conv2d', 'conv2d_transpose', 'conv3d',
    'dense', 'dropout', 'flatten', 'max_pooling1d', 'max_pooling2d',
    'max_pooling3d', 'separable_conv2d', 'AveragePooling1D',
    'AveragePooling2D', 'AveragePooling3D', 'BatchNormalization', 'Conv1D',
    'Conv2D', 'Conv2DTranspose', 'Conv3D', 'Dense', 'Dropout', 'Flatten',
    'Layer', 'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D',
    'SeparableConv2D')


def __getattr__(name):
  # What TF 1.15's tf.layers had: one line naming it; a typo: Python's
  # answer, under TF1's name, with the closest name there is.
  raise removed.attribute('tf.layers', NOT_PROVIDED, name, '',
                          tf1_names=PROVIDED)
