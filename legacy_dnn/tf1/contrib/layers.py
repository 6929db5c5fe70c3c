"""tf.contrib.layers of TensorFlow 1.15: the part the teaching networks use.

Initializers and regularizers as TF 1.15 computed them; fully_connected,
batch_norm, dropout and flatten built on legacy_dnn.tf1.layers, with
contrib's own variable names (fully_connected/weights, .../biases,
BatchNorm/beta, ...), its MODEL_VARIABLES collection and its defaults
(relu after fully_connected; batch_norm's decay 0.999, no gamma, training
on). Each takes its defaults from arg_scope. What differs from TF 1.15 is in
docs/tf1-code.md; batch_norm's renorm, batch_weights, adjustment and
zero_debias_moving_mean raise a one-line NotProvidedError.
"""

import functools
import math
import re

import tensorflow as tf

from legacy_dnn.tf1 import layers as core
from legacy_dnn.tf1 import removed
from legacy_dnn.tf1.contrib.framework import add_arg_scope
from legacy_dnn.tf1.contrib.optimizers import OPTIMIZER_CLS_NAMES
from legacy_dnn.tf1.contrib.optimizers import OPTIMIZER_SUMMARIES
from legacy_dnn.tf1.contrib.optimizers import optimize_loss

UPDATE_OPS = tf.compat.v1.GraphKeys.UPDATE_OPS
NHWC, NCHW = 'NHWC', 'NCHW'
# tf.contrib.layers.<name> that TF 1.15 had and this module does not.
REPLACEMENTS = {
    'linear': 'fully_connected(..., activation_fn=None)',
    'adaptive_clipping_fn': 'optimize_loss\'s clip_gradients with a float '
                            '(tf.clip_by_global_norm), or a function of your '
                            'own',
}


def variance_scaling_initializer(factor=2.0, mode='FAN_IN', uniform=False,
                                 seed=None, dtype=tf.float32):
  """contrib's variance scaling of TF 1.15: stddev sqrt(1.3 * factor / n)
  truncated normal, or uniform within sqrt(3 * factor / n), n the fan-in,
  fan-out or their mean of the variable's shape."""
  if mode not in ('FAN_IN', 'FAN_OUT', 'FAN_AVG'):
    raise TypeError('mode must be FAN_IN, FAN_OUT or FAN_AVG, not %r'
                    % (mode,))
  if not tf.as_dtype(dtype).is_floating:
    raise TypeError('variance_scaling_initializer needs a float dtype, not '
                    '%s' % tf.as_dtype(dtype).name)

  def initializer(shape, dtype=dtype, partition_info=None):
    del partition_info
    shape = [int(d) for d in shape]
    fan_in = float(shape[-2] if len(shape) > 1 else shape[-1]) if shape else 1.0
    fan_out = float(shape[-1]) if shape else 1.0
    for dim in shape[:-2]:  # A convolution's receptive field.
      fan_in *= dim
      fan_out *= dim
    n = {'FAN_IN': fan_in, 'FAN_OUT': fan_out,
         'FAN_AVG': (fan_in + fan_out) / 2.0}[mode]
    if uniform:
      limit = math.sqrt(3.0 * factor / n)
      return tf.random.uniform(shape, -limit, limit, dtype, seed=seed)
    return tf.random.truncated_normal(shape, 0.0, math.sqrt(1.3 * factor / n),
                                      dtype, seed=seed)

  return initializer


def xavier_initializer(uniform=True, seed=None, dtype=tf.float32):
  """Glorot and Bengio's initializer as contrib computed it: variance
  scaling with factor 1 over the mean of fan-in and fan-out."""
  return variance_scaling_initializer(1.0, 'FAN_AVG', uniform, seed, dtype)


xavier_initializer_conv2d = xavier_initializer


def _regularizer(kind, scale, loss):
  if isinstance(scale, (int, float)):
    if scale < 0.0:
      raise ValueError('%s: setting a scale less than 0 on a regularizer: %g'
                       % (kind, scale))
    if scale == 0.0:
      return lambda _: None

  def regularize(weights):
    with tf.name_scope(kind) as name:
      scale_ = tf.convert_to_tensor(scale, weights.dtype.base_dtype,
                                    name='scale')
      return tf.multiply(scale_, loss(weights), name=name)

  return regularize


def l2_regularizer(scale, scope=None):
  """scale * sum(w ** 2) / 2 of a variable (tf.nn.l2_loss), as TF 1.15."""
  del scope
  return _regularizer('l2_regularizer', scale, tf.nn.l2_loss)


def l1_regularizer(scale, scope=None):
  """scale * sum(|w|) of a variable, as TF 1.15."""
  del scope
  return _regularizer('l1_regularizer', scale,
                      lambda w: tf.reduce_sum(tf.abs(w)))


def apply_regularization(regularizer, weights_list=None):
  """contrib's apply_regularization of TF 1.15: the sum of regularizer over
  weights_list (default: the WEIGHTS collection), also put in
  REGULARIZATION_LOSSES. A regularizer's None counts 0."""
  if not weights_list:
    weights_list = tf.compat.v1.get_collection(
        tf.compat.v1.GraphKeys.WEIGHTS)
  if not weights_list:
    raise ValueError('apply_regularization: no weights to regularize (none '
                     'given, and the WEIGHTS collection is empty)')
  with tf.compat.v1.name_scope('get_regularization_penalty',
                               values=weights_list) as scope:
    penalties = [regularizer(w) for w in weights_list]
    penalties = [tf.constant(0.0) if p is None else p for p in penalties]
    for penalty in penalties:
      if penalty.shape.rank != 0:
        raise ValueError('apply_regularization: regularizer must return a '
                         'scalar, not a tensor of rank %d'
                         % penalty.shape.rank)
    summed = tf.add_n(penalties, name=scope)
    tf.compat.v1.add_to_collection(
        tf.compat.v1.GraphKeys.REGULARIZATION_LOSSES, summed)
    return summed


def _collections_of(variables_collections, alias):
  if isinstance(variables_collections, dict):
    return list(variables_collections.get(alias) or [])
  return list(variables_collections or [])


def _model_variables(rename, variables_collections, aliases=None):
  """A custom getter: contrib's variable names, MODEL_VARIABLES, and the
  collections the caller asked for each variable. Where rename is given
  (fully_connected, the convolutions), only the renamed variables, the
  layer's own weights and biases, go into the caller's collections, not
  a normalizer_fn's, as TF 1.15 added them. aliases: the key of a
  variables_collections dict that a renamed variable goes by, where not
  its name (separable_conv2d's depthwise_weights: 'weights')."""

  def custom_getter(getter, name, *args, **kwargs):
    scope, _, short = name.rpartition('/')
    short = rename.get(short, short)
    collections = list(kwargs.pop('collections', None) or
                       [tf.compat.v1.GraphKeys.GLOBAL_VARIABLES])
    if not rename or short in rename.values():
      collections += _collections_of(variables_collections,
                                     (aliases or {}).get(short, short))
    kwargs['collections'] = collections + [
        tf.compat.v1.GraphKeys.MODEL_VARIABLES]
    return getter((scope + '/' if scope else '') + short, *args, **kwargs)

  return custom_getter


def _named_outputs(collections, outputs):
  if collections:
    tf.compat.v1.add_to_collections(collections, outputs)
  return outputs


@add_arg_scope
def fully_connected(inputs, num_outputs, activation_fn=tf.nn.relu,
                    normalizer_fn=None, normalizer_params=None,
                    weights_initializer=None, weights_regularizer=None,
                    biases_initializer=tf.compat.v1.zeros_initializer(),
                    biases_regularizer=None, reuse=None,
                    variables_collections=None, outputs_collections=None,
                    trainable=True, scope=None):
  """tf.contrib.layers.fully_connected of TF 1.15.

  Variables <scope>/weights (default xavier_initializer()) and
  <scope>/biases, none when a normalizer_fn follows; then
  normalizer_fn(outputs, **normalizer_params) and activation_fn (relu).
  """
  if weights_initializer is None:
    weights_initializer = xavier_initializer()
  with tf.compat.v1.variable_scope(
      scope, 'fully_connected', [inputs], reuse=reuse,
      custom_getter=_model_variables({'kernel': 'weights', 'bias': 'biases'},
                                     variables_collections)):
    outputs = core.dense_here(
        inputs, num_outputs,
        use_bias=not normalizer_fn and biases_initializer is not None,
        kernel_initializer=weights_initializer,
        bias_initializer=biases_initializer,
        kernel_regularizer=weights_regularizer,
        bias_regularizer=biases_regularizer, trainable=trainable)
    if normalizer_fn is not None:
      outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    if activation_fn is not None:
      outputs = activation_fn(outputs)
    return _named_outputs(outputs_collections, outputs)



def _conv(here, default_scope, inputs, num_outputs, kernel_size, stride,
          padding, data_format, activation_fn, normalizer_fn,
          normalizer_params, weights_initializer, weights_regularizer,
          biases_initializer, biases_regularizer, reuse,
          variables_collections, outputs_collections, trainable, scope,
          formats=(NHWC, NCHW), **options):
  """contrib's convolutions: tf.layers' op under contrib's names (weights,
  biases, in MODEL_VARIABLES), then normalizer_fn and activation_fn.
  formats: the data_formats the inputs' rank allows, channels last
  first."""
  if data_format not in (None,) + tuple(formats):
    raise ValueError('data_format has to be either %s or %s.' % formats)
  if weights_initializer is None:
    weights_initializer = xavier_initializer()
  with tf.compat.v1.variable_scope(
      scope, default_scope, [inputs], reuse=reuse,
      custom_getter=_model_variables({'kernel': 'weights', 'bias': 'biases'},
                                     variables_collections)):
    outputs = here(
        inputs, num_outputs, kernel_size, stride, padding,
        'channels_first' if data_format == formats[1] else 'channels_last',
        use_bias=not normalizer_fn and biases_initializer is not None,
        kernel_initializer=weights_initializer,
        bias_initializer=biases_initializer,
        kernel_regularizer=weights_regularizer,
        bias_regularizer=biases_regularizer, trainable=trainable, **options)
    if normalizer_fn is not None:
      outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    if activation_fn is not None:
      outputs = activation_fn(outputs)
    return _named_outputs(outputs_collections, outputs)


@add_arg_scope
def convolution(inputs, num_outputs, kernel_size, stride=1, padding='SAME',
                data_format=None, rate=1, activation_fn=tf.nn.relu,
                normalizer_fn=None, normalizer_params=None,
                weights_initializer=None, weights_regularizer=None,
                biases_initializer=tf.compat.v1.zeros_initializer(),
                biases_regularizer=None, reuse=None,
                variables_collections=None, outputs_collections=None,
                trainable=True, scope=None, conv_dims=None):
  """tf.contrib.layers.convolution of TF 1.15: a 1-D, 2-D or 3-D
  convolution as the inputs' rank (3, 4 or 5) says.

  Variables <scope>/weights [k..., in, num_outputs] (default
  xavier_initializer()) and <scope>/biases, scope Conv by default, none
  when a normalizer_fn follows; 'SAME' padding and relu by default.
  data_format: None (channels last), NWC/NCW, NHWC/NCHW or NDHWC/NCDHW.
  """
  rank = tf.convert_to_tensor(inputs).shape.rank
  if rank not in (3, 4, 5) or conv_dims not in (None, rank - 2):
    raise ValueError('convolution: inputs of rank %s; a %sconvolution takes '
                     'rank %s' % (rank, '%d-D ' % conv_dims if conv_dims
                                  else '', conv_dims + 2 if conv_dims
                                  else '3, 4 or 5'))
  return _conv(functools.partial(core.convolution_here, rank - 2), 'Conv',
               inputs, num_outputs, kernel_size, stride, padding,
               data_format, activation_fn, normalizer_fn, normalizer_params,
               weights_initializer, weights_regularizer, biases_initializer,
               biases_regularizer, reuse, variables_collections,
               outputs_collections, trainable, scope,
               formats=core.FORMATS[rank - 2], dilation_rate=rate)


def _convolution_of(conv_dims):
  """contrib's convolution1d/2d/3d: convolution() for inputs of one rank."""

  @add_arg_scope
  def convolution_nd(inputs, num_outputs, kernel_size, stride=1,
                     padding='SAME', data_format=None, rate=1,
                     activation_fn=tf.nn.relu, normalizer_fn=None,
                     normalizer_params=None, weights_initializer=None,
                     weights_regularizer=None,
                     biases_initializer=tf.compat.v1.zeros_initializer(),
                     biases_regularizer=None, reuse=None,
                     variables_collections=None, outputs_collections=None,
                     trainable=True, scope=None):
    return convolution(
        inputs, num_outputs, kernel_size, stride, padding, data_format, rate,
        activation_fn, normalizer_fn, normalizer_params, weights_initializer,
        weights_regularizer, biases_initializer, biases_regularizer, reuse,
        variables_collections, outputs_collections, trainable, scope,
        conv_dims=conv_dims)

  convolution_nd.__name__ = convolution_nd.__qualname__ = (
      'convolution%dd' % conv_dims)
  convolution_nd.__doc__ = (
      """tf.contrib.layers.conv%dd (convolution%dd) of TF 1.15: convolution()
      for inputs of rank %d.""" % (conv_dims, conv_dims, conv_dims + 2))
  return convolution_nd


conv1d = convolution1d = _convolution_of(1)
conv2d = convolution2d = _convolution_of(2)
conv3d = convolution3d = _convolution_of(3)


@add_arg_scope
def conv2d_transpose(inputs, num_outputs, kernel_size, stride=1,
                     padding='SAME', data_format=NHWC,
                     activation_fn=tf.nn.relu, normalizer_fn=None,
                     normalizer_params=None, weights_initializer=None,
                     weights_regularizer=None,
                     biases_initializer=tf.compat.v1.zeros_initializer(),
                     biases_regularizer=None, reuse=None,
                     variables_collections=None, outputs_collections=None,
                     trainable=True, scope=None):
  """tf.contrib.layers.conv2d_transpose (convolution2d_transpose) of TF
  1.15: tf.layers.conv2d_transpose under contrib's names, scope
  Conv2d_transpose by default."""
  return _conv(core.conv2d_transpose_here, 'Conv2d_transpose', inputs,
               num_outputs, kernel_size, stride, padding, data_format,
               activation_fn, normalizer_fn, normalizer_params,
               weights_initializer, weights_regularizer, biases_initializer,
               biases_regularizer, reuse, variables_collections,
               outputs_collections, trainable, scope)


convolution2d_transpose = conv2d_transpose


@add_arg_scope
def separable_conv2d(inputs, num_outputs, kernel_size, depth_multiplier=1,
                     stride=1, padding='SAME', data_format=NHWC, rate=1,
                     activation_fn=tf.nn.relu, normalizer_fn=None,
                     normalizer_params=None, weights_initializer=None,
                     pointwise_initializer=None, weights_regularizer=None,
                     biases_initializer=tf.compat.v1.zeros_initializer(),
                     biases_regularizer=None, reuse=None,
                     variables_collections=None, outputs_collections=None,
                     trainable=True, scope=None):
  """tf.contrib.layers.separable_conv2d (separable_convolution2d) of TF
  1.15: a depthwise convolution, <scope>/depthwise_weights [kh, kw, in,
  depth_multiplier], then, unless num_outputs is None, a 1x1 convolution
  to num_outputs, <scope>/pointwise_weights; <scope>/biases unless a
  normalizer_fn follows. Scope SeparableConv2d by default, 'SAME' padding
  and relu; both kernels count as 'weights' in a variables_collections
  dict."""
  if data_format not in (NHWC, NCHW):
    raise ValueError('data_format has to be either NCHW or NHWC.')
  if weights_initializer is None:
    weights_initializer = xavier_initializer()
  use_bias = not normalizer_fn and biases_initializer is not None
  channels_first = data_format == NCHW
  with tf.compat.v1.variable_scope(
      scope, 'SeparableConv2d', [inputs], reuse=reuse,
      custom_getter=_model_variables(
          {'depthwise_kernel': 'depthwise_weights',
           'pointwise_kernel': 'pointwise_weights', 'bias': 'biases'},
          variables_collections,
          {'depthwise_weights': 'weights', 'pointwise_weights': 'weights'})):
    inputs = tf.convert_to_tensor(inputs)
    if num_outputs is not None:
      outputs = core.separable_conv2d_here(
          inputs, num_outputs, kernel_size, stride, padding,
          'channels_first' if channels_first else 'channels_last', rate,
          depth_multiplier, use_bias=use_bias,
          depthwise_initializer=weights_initializer,
          pointwise_initializer=pointwise_initializer or weights_initializer,
          bias_initializer=biases_initializer,
          depthwise_regularizer=weights_regularizer,
          pointwise_regularizer=weights_regularizer,
          bias_regularizer=biases_regularizer, trainable=trainable)
    else:
      # The depthwise convolution alone: in x depth_multiplier channels.
      channels = inputs.shape[1 if channels_first else -1]
      depthwise = tf.compat.v1.get_variable(
          'depthwise_kernel', list(core.pair(kernel_size, 'kernel_size')) +
          [channels, depth_multiplier], initializer=weights_initializer,
          regularizer=weights_regularizer, trainable=trainable)
      sh, sw = core.pair(stride, 'stride')
      outputs = tf.compat.v1.nn.depthwise_conv2d(
          inputs, depthwise,
          (1, 1, sh, sw) if channels_first else (1, sh, sw, 1),
          padding.upper(), rate=core.pair(rate, 'rate'),
          data_format=data_format)
      if use_bias:
        biases = tf.compat.v1.get_variable(
            'bias', [channels * depth_multiplier],
            initializer=biases_initializer, regularizer=biases_regularizer,
            trainable=trainable)
        outputs = tf.nn.bias_add(outputs, biases, data_format=data_format)
    if normalizer_fn is not None:
      outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    if activation_fn is not None:
      outputs = activation_fn(outputs)
    return _named_outputs(outputs_collections, outputs)


separable_convolution2d = separable_conv2d


def _pool2d(op, default_scope, inputs, kernel_size, stride, padding,
            data_format, outputs_collections, scope):
  if data_format not in (NHWC, NCHW):
    raise ValueError('data_format has to be either NCHW or NHWC.')
  with tf.compat.v1.name_scope(scope, default_scope, [inputs]):
    outputs = op(tf.convert_to_tensor(inputs),
                 core.pair(kernel_size, 'kernel_size'),
                 core.pair(stride, 'stride'), padding.upper(),
                 data_format=data_format)
    return _named_outputs(outputs_collections, outputs)


@add_arg_scope
def max_pool2d(inputs, kernel_size, stride=2, padding='VALID',
               data_format=NHWC, outputs_collections=None, scope=None):
  """tf.contrib.layers.max_pool2d of TF 1.15: stride 2 and 'VALID' by
  default."""
  return _pool2d(tf.nn.max_pool2d, 'MaxPool2D', inputs, kernel_size, stride,
                 padding, data_format, outputs_collections, scope)


@add_arg_scope
def avg_pool2d(inputs, kernel_size, stride=2, padding='VALID',
               data_format=NHWC, outputs_collections=None, scope=None):
  """tf.contrib.layers.avg_pool2d of TF 1.15: stride 2 and 'VALID' by
  default."""
  return _pool2d(tf.nn.avg_pool2d, 'AvgPool2D', inputs, kernel_size, stride,
                 padding, data_format, outputs_collections, scope)


@add_arg_scope
def layer_norm(inputs, center=True, scale=True, activation_fn=None,
               reuse=None, variables_collections=None,
               outputs_collections=None, trainable=True, begin_norm_axis=1,
               begin_params_axis=-1, scope=None):
  """tf.contrib.layers.layer_norm of TF 1.15 (Ba et al., 2016).

  Each example normalized over its axes from begin_norm_axis on (by
  default all but the batch's), with epsilon 1e-12 (1e-3 for float16);
  then times <scope>/gamma (ones) plus <scope>/beta (zeros), of the
  inputs' shape from begin_params_axis on (the last axis), scope LayerNorm.
  """
  with tf.compat.v1.variable_scope(
      scope, 'LayerNorm', [inputs], reuse=reuse,
      custom_getter=_model_variables({}, variables_collections)):
    inputs = tf.convert_to_tensor(inputs)
    shape = inputs.shape
    rank = shape.rank
    if rank is None:
      raise ValueError('Inputs %s has undefined rank.' % inputs.name)
    dtype = inputs.dtype.base_dtype
    if begin_norm_axis < 0:
      begin_norm_axis += rank
    if begin_params_axis >= rank or begin_norm_axis >= rank:
      raise ValueError('begin_params_axis (%d) and begin_norm_axis (%d) must '
                       'be < rank(inputs) (%d)'
                       % (begin_params_axis, begin_norm_axis, rank))
    params_shape = shape[begin_params_axis:]
    if not params_shape.is_fully_defined():
      raise ValueError('Inputs %s: shape[begin_params_axis:] is not fully '
                       'defined: %s' % (inputs.name, params_shape))
    beta = (tf.compat.v1.get_variable(
        'beta', params_shape, dtype, tf.compat.v1.zeros_initializer(),
        trainable=trainable) if center else None)
    gamma = (tf.compat.v1.get_variable(
        'gamma', params_shape, dtype, tf.compat.v1.ones_initializer(),
        trainable=trainable) if scale else None)
    mean, variance = tf.nn.moments(inputs, list(range(begin_norm_axis, rank)),
                                   keepdims=True)
    outputs = tf.nn.batch_normalization(
        inputs, mean, variance, offset=beta, scale=gamma,
        variance_epsilon=1e-3 if dtype == tf.float16 else 1e-12)
    outputs.set_shape(shape)
    if activation_fn is not None:
      outputs = activation_fn(outputs)
    return _named_outputs(outputs_collections, outputs)

@add_arg_scope
def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001,
               activation_fn=None, param_initializers=None,
               param_regularizers=None, updates_collections=UPDATE_OPS,
               is_training=True, reuse=None, variables_collections=None,
               outputs_collections=None, trainable=True, batch_weights=None,
               fused=None, data_format=NHWC, zero_debias_moving_mean=False,
               scope=None, renorm=False, renorm_clipping=None,
               renorm_decay=0.99, adjustment=None):
  """tf.contrib.layers.batch_norm of TF 1.15.

  Variables <scope>/beta (if center), gamma (if scale), moving_mean and
  moving_variance, scope BatchNorm by default. As TF 1.15 chose: 2-D and
  4-D inputs go through the fused kernel unless fused=False, except 4-D
  ones with the default updates_collections, which tf.layers'
  batch_normalization takes (fused too). updates_collections=None updates
  the moving statistics with the step itself (contrib's fused path keeps
  the kernel's variance, with Bessel's correction, as TF 1.15 did);
  otherwise the updates go into updates_collections for the train op.
  """
  del renorm_clipping, renorm_decay
  for argument, value in (('renorm', renorm),
                          ('batch_weights', batch_weights is not None),
                          ('adjustment', adjustment is not None),
                          ('zero_debias_moving_mean', zero_debias_moving_mean)):
    if value:
      raise removed.NotProvidedError(
          'tf.contrib.layers.batch_norm(%s=...)' % argument,
          'batch_norm without it, or Keras 3\'s BatchNormalization')
  if data_format not in (NHWC, NCHW):
    raise ValueError('data_format has to be either NCHW or NHWC.')
  inputs = tf.convert_to_tensor(inputs)
  rank = inputs.shape.rank
  fused = True if fused is None else fused
  initializers = param_initializers or {}
  regularizers = param_regularizers or {}
  with tf.compat.v1.variable_scope(
      scope, 'BatchNorm', [inputs], reuse=reuse,
      custom_getter=_model_variables({}, variables_collections)):
    if fused and rank in (2, 4) and (rank == 2 or
                                     updates_collections is not UPDATE_OPS):
      outputs = _fused(inputs, decay, center, scale, epsilon, initializers,
                       regularizers, updates_collections, is_training,
                       trainable, data_format)
    elif updates_collections is UPDATE_OPS:
      outputs = core.batch_normalization_here(
          inputs, axis=1 if data_format == NCHW else -1, momentum=decay,
          epsilon=epsilon, center=center, scale=scale,
          **{name + '_initializer': initializers[name]
             for name in ('beta', 'gamma', 'moving_mean', 'moving_variance')
             if name in initializers},
          beta_regularizer=regularizers.get('beta'),
          gamma_regularizer=regularizers.get('gamma'), training=is_training,
          trainable=trainable, fused=None if fused and rank == 4 else False)
    else:
      outputs = _unfused(inputs, decay, center, scale, epsilon, initializers,
                         regularizers, updates_collections, is_training,
                         trainable, data_format)
    if activation_fn is not None:
      outputs = activation_fn(outputs)
    return _named_outputs(outputs_collections, outputs)


def _parameters(n, dtype, center, scale, initializers, regularizers,
                trainable):
  """beta and gamma (constants where not learned; their regularizers'
  losses into REGULARIZATION_LOSSES), then the moving statistics, created
  in that order as contrib created them."""
  beta = (tf.compat.v1.get_variable(
      'beta', [n], dtype, initializers.get('beta', tf.zeros_initializer()),
      regularizer=regularizers.get('beta'), trainable=trainable)
          if center else tf.constant(0.0, dtype, [n]))
  gamma = (tf.compat.v1.get_variable(
      'gamma', [n], dtype, initializers.get('gamma', tf.ones_initializer()),
      regularizer=regularizers.get('gamma'), trainable=trainable)
           if scale else tf.constant(1.0, dtype, [n]))
  moving = core.moving_statistics(
      n, dtype, initializers.get('moving_mean', tf.zeros_initializer()),
      initializers.get('moving_variance', tf.ones_initializer()))
  return (beta, gamma) + moving


def _updated(outputs, moving, batch, decay, updates_collections,
             is_training):
  """outputs, with the moving statistics updated from the batch's where
  is_training: at once (updates_collections None) or by the ops put into
  updates_collections."""
  if core.known(is_training) is False:
    return outputs
  assign = lambda: tuple(core.assign_moving_average(v, b, 1.0 - decay)
                         for v, b in zip(moving, batch))
  if updates_collections is None:

    def forced():
      with tf.control_dependencies(assign()):
        return tf.identity(outputs)

    return core.smart_cond(is_training, forced, lambda: outputs)
  for update in core.smart_cond(is_training, assign, lambda: moving):
    tf.compat.v1.add_to_collections(updates_collections, update)
  return outputs


def _fused(inputs, decay, center, scale, epsilon, initializers, regularizers,
           updates_collections, is_training, trainable, data_format):
  original = inputs
  if inputs.shape.rank == 2:
    channels = inputs.shape[-1]
    inputs = tf.reshape(inputs, [-1, 1, 1, channels] if data_format == NHWC
                        else [-1, channels, 1, 1])
  n = inputs.shape[-1 if data_format == NHWC else 1]
  beta, gamma, moving_mean, moving_variance = _parameters(
      n, inputs.dtype.base_dtype, center, scale, initializers, regularizers,
      trainable)
  outputs, mean, variance = core.fused_normalize(
      inputs, gamma, beta, moving_mean, moving_variance, epsilon,
      is_training, data_format)
  outputs = _updated(outputs, (moving_mean, moving_variance),
                     (mean, variance), decay, updates_collections,
                     is_training)
  outputs.set_shape(inputs.shape)
  if original.shape.rank == 2:
    outputs = tf.reshape(outputs, tf.shape(original))
  return outputs


def _unfused(inputs, decay, center, scale, epsilon, initializers,
             regularizers, updates_collections, is_training, trainable,
             data_format):
  rank = inputs.shape.rank
  axis = 1 if data_format == NCHW and rank > 2 else rank - 1
  beta, gamma, moving_mean, moving_variance = _parameters(
      inputs.shape[axis], inputs.dtype.base_dtype, center, scale,
      initializers, regularizers, trainable)
  batch = tf.nn.moments(inputs, [i for i in range(rank) if i != axis])
  mean, variance = core.smart_cond(is_training, lambda: batch,
                                   lambda: (moving_mean, moving_variance))
  broadcast = lambda v: core.per_channel(v, axis, rank)
  outputs = tf.nn.batch_normalization(
      inputs, broadcast(mean), broadcast(variance), broadcast(beta),
      broadcast(gamma), epsilon)
  return _updated(outputs, (moving_mean, moving_variance), batch, decay,
                  updates_collections, is_training)


@add_arg_scope
def dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True,
            outputs_collections=None, scope=None, seed=None):
  """tf.contrib.layers.dropout of TF 1.15: keep_prob kept (a float or a
  tensor), only while is_training (default on)."""
  with tf.compat.v1.variable_scope(scope, 'Dropout', [inputs]):
    return _named_outputs(outputs_collections, core.dropout_here(
        inputs, 1 - keep_prob, noise_shape, seed, is_training))


@add_arg_scope
def flatten(inputs, outputs_collections=None, scope=None):
  """tf.contrib.layers.flatten of TF 1.15: [batch, ...] to [batch, k]."""
  with tf.compat.v1.name_scope(scope, 'Flatten', [inputs]):
    return _named_outputs(outputs_collections, core.flatten_here(inputs))



def embed_sequence(ids, vocab_size=None, embed_dim=None, unique=False,
                   initializer=None, regularizer=None, trainable=True,
                   scope=None, reuse=None):
  """contrib's embed_sequence of TF 1.15: ids [batch, length] to their rows
  of <scope>/embeddings [vocab_size, embed_dim] (scope EmbedSequence, a
  model variable), [batch, length, embed_dim]. unique: each distinct id
  looked up once. Reusing, the sizes may be left out."""
  if not (reuse or (vocab_size and embed_dim)):
    raise ValueError('embed_sequence: vocab_size and embed_dim are needed '
                     'unless reusing; got vocab_size=%s and embed_dim=%s'
                     % (vocab_size, embed_dim))
  with tf.compat.v1.variable_scope(scope, 'EmbedSequence', [ids],
                                   reuse=reuse):
    shape = [vocab_size, embed_dim]
    if reuse and vocab_size is None or embed_dim is None:
      shape = None
    embeddings = tf.compat.v1.get_variable(
        'embeddings', shape, initializer=initializer, regularizer=regularizer,
        trainable=trainable,
        collections=[tf.compat.v1.GraphKeys.GLOBAL_VARIABLES,
                     tf.compat.v1.GraphKeys.MODEL_VARIABLES])
    if not unique:
      return tf.nn.embedding_lookup(embeddings, ids)
    ids = tf.convert_to_tensor(ids)
    distinct, where = tf.unique(tf.reshape(ids, [-1]))
    rows = tf.gather(tf.nn.embedding_lookup(embeddings, distinct), where)
    outputs = tf.reshape(rows, tf.concat([tf.shape(ids),
                                          tf.shape(embeddings)[1:]], 0))
    outputs.set_shape(ids.shape.concatenate(embeddings.shape[1:]))
    return outputs


def _scalar(tensor, tag):
  tensor.get_shape().assert_has_rank(0)
  return tf.compat.v1.summary.scalar(
      tag or '%s_summary' % tensor.op.name, tensor)


def _histogram(tensor, tag):
  return tf.compat.v1.summary.histogram(
      tag or '%s_summary' % tensor.op.name, tensor)


def summarize_tensor(tensor, tag=None):
  """tf.contrib.layers.summarize_tensor of TF 1.15: a scalar summary for a
  scalar, a histogram for anything else, tagged '<op name>_summary' unless
  tag is given; None for string and bool tensors."""
  if (tensor.dtype.is_compatible_with(tf.string) or
      tensor.dtype.base_dtype == tf.bool):
    return None
  if tensor.get_shape().ndims == 0:
    return _scalar(tensor, tag)
  return _histogram(tensor, tag)


def summarize_activation(op):
  """tf.contrib.layers.summarize_activation of TF 1.15: a histogram
  '<op>/activation'; for a relu, softplus or relu6, the share of its inputs
  below 0 as '<op>/zeros', and for relu6 of those above 6 as '<op>/sixes'."""
  if op.op.type in ('Relu', 'Softplus', 'Relu6'):
    below = op.op.inputs[0]
    _scalar(tf.reduce_mean(tf.cast(tf.less(below, tf.cast(0.0, below.dtype)),
                                   tf.float32)), '%s/zeros' % op.op.name)
  if op.op.type == 'Relu6':
    above = op.op.inputs[0]
    _scalar(tf.reduce_mean(tf.cast(
        tf.greater(above, tf.cast(6.0, above.dtype)), tf.float32)),
            '%s/sixes' % op.op.name)
  return _histogram(op, '%s/activation' % op.op.name)


def summarize_tensors(tensors, summarizer=summarize_tensor):
  """summarizer(tensor) for each tensor."""
  return [summarizer(tensor) for tensor in tensors]


def summarize_collection(collection, name_filter=None,
                         summarizer=summarize_tensor):
  """The tensors of a graph collection whose op names match name_filter
  (a regular expression, from the name's start), summarized."""
  return summarize_tensors(
      [t for t in tf.compat.v1.get_collection(collection)
       if name_filter is None or re.match(name_filter, t.op.name)],
      summarizer)


summarize_variables = functools.partial(
    summarize_collection, tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
summarize_weights = functools.partial(summarize_collection,
                                      tf.compat.v1.GraphKeys.WEIGHTS)
summarize_biases = functools.partial(summarize_collection,
                                     tf.compat.v1.GraphKeys.BIASES)


def summarize_activations(name_filter=None, summarizer=summarize_activation):
  """The ACTIVATIONS collection summarized with summarize_activation."""
  return summarize_collection(tf.compat.v1.GraphKeys.ACTIVATIONS,
                              name_filter, summarizer)

# What else tf.contrib.layers held in TF 1.15: each a NotProvidedError; any
# other name an AttributeError offering the closest.
TF1_NAMES = (
    'GDN', 'RevBlock', 'avg_pool3d', 'bias_add', 'bow_encoder',
    'bucketized_column', 'check_feature_columns', 'conv1d', 'conv2d_in_plane',
    'conv2d_transpose', 'conv3d', 'conv3d_transpose', 'convolution',
    'convolution1d', 'convolution2d_in_plane', 'convolution2d_transpose',
    'convolution3d', 'convolution3d_transpose',
    'create_feature_spec_for_parsing', 'crossed_column', 'dense_to_sparse',
    'elu', 'embedding_column', 'embedding_lookup_unique', 'gdn',
    'group_norm', 'images_to_sequence', 'infer_real_valued_columns',
    'input_from_feature_columns', 'instance_norm',
    'joint_weighted_sum_from_feature_columns', 'l1_l2_regularizer',
    'legacy_fully_connected', 'legacy_linear', 'legacy_relu',
    'make_place_holder_tensors_for_base_features', 'max_pool3d', 'maxout',
    'multi_class_target', 'one_hot_column', 'one_hot_encoding',
    'parse_feature_columns_from_examples',
    'parse_feature_columns_from_sequence_examples', 'real_valued_column',
    'recompute_grad', 'regression_target', 'relu', 'relu6', 'repeat',
    'rev_block', 'safe_embedding_lookup_sparse', 'scale_gradient',
    'scattered_embedding_column', 'separable_conv2d',
    'separable_convolution2d', 'sequence_input_from_feature_columns',
    'sequence_to_images', 'shared_embedding_columns', 'softmax',
    'sparse_column_with_hash_bucket', 'sparse_column_with_integerized_feature',
    'sparse_column_with_keys', 'sparse_column_with_vocabulary_file',
    'spatial_softmax', 'stack', 'sum_regularizer', 'transform_features',
    'unit_norm',
    'weighted_sparse_column', 'weighted_sum_from_feature_columns')


def __getattr__(name):
  raise removed.attribute(
      'tf.contrib.layers', REPLACEMENTS, name,
      'the tf.layers functions, which legacy_dnn.v1 provides',
      TF1_NAMES + tuple(n for n in globals() if not n.startswith('_')))
