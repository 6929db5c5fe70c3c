"""tf.contrib.layers.optimize_loss of TensorFlow 1.15.

A loss, a global step, a learning rate and an optimizer (a name, an
Optimizer class, an instance, or a function of the learning rate) become
one training tensor: the loss, computed after UPDATE_OPS and the update of
the variables. In the scope OptimizeLoss: the learning rate's variable
(when a float is given), the summaries asked for (loss, learning_rate,
gradients, gradient_norm, global_gradient_norm: tags
OptimizeLoss/loss, OptimizeLoss/global_norm/gradient_norm, ...), gradient
noise, multipliers and clipping. Written after TF 1.15's
contrib/layers/python/layers/optimizers.py; its adaptive_clipping_fn is
not provided.
"""

import tensorflow as tf

v1 = tf.compat.v1

OPTIMIZER_CLS_NAMES = {
    'Adagrad': v1.train.AdagradOptimizer,
    'Adam': v1.train.AdamOptimizer,
    'Ftrl': v1.train.FtrlOptimizer,
    'Momentum': lambda learning_rate: v1.train.MomentumOptimizer(
        learning_rate, momentum=0.9),
    'RMSProp': v1.train.RMSPropOptimizer,
    'SGD': v1.train.GradientDescentOptimizer,
}

OPTIMIZER_SUMMARIES = ['learning_rate', 'loss', 'gradients', 'gradient_norm',
                       'global_gradient_norm']


def _learning_rate(learning_rate):
  """learning_rate as the tensor the optimizer is given: a scalar tensor as
  it is, a float as the variable <scope>/learning_rate."""
  if learning_rate is None:
    return None
  if isinstance(learning_rate, tf.Tensor) and learning_rate.shape.rank == 0:
    return learning_rate
  if isinstance(learning_rate, float):
    if learning_rate < 0.0:
      raise ValueError('optimize_loss: learning_rate must not be negative, '
                       'not %r' % (learning_rate,))
    return v1.get_variable(
        'learning_rate', [], trainable=False,
        initializer=v1.constant_initializer(learning_rate))
  raise ValueError('optimize_loss: learning_rate must be a float or a '
                   'scalar tensor, not %r of type %s'
                   % (learning_rate, type(learning_rate).__name__))


def _optimizer(optimizer, lr):
  """The Optimizer instance optimizer names."""
  if isinstance(optimizer, str):
    if lr is None:
      raise ValueError('optimize_loss: optimizer %r needs a learning_rate'
                       % (optimizer,))
    if optimizer not in OPTIMIZER_CLS_NAMES:
      raise ValueError('optimize_loss: optimizer must be one of %s, not %r'
                       % (', '.join(OPTIMIZER_CLS_NAMES), optimizer))
    return OPTIMIZER_CLS_NAMES[optimizer](learning_rate=lr)
  if isinstance(optimizer, type) and issubclass(optimizer,
                                                v1.train.Optimizer):
    if lr is None:
      raise ValueError('optimize_loss: optimizer %s needs a learning_rate'
                       % (optimizer.__name__,))
    return optimizer(learning_rate=lr)
  if isinstance(optimizer, v1.train.Optimizer):
    return optimizer
  if callable(optimizer):
    made = optimizer(lr) if lr is not None else optimizer()
    if not isinstance(made, v1.train.Optimizer):
      raise ValueError('optimize_loss: optimizer function returned %r, not '
                       'a tf.train.Optimizer' % (made,))
    return made
  raise ValueError('optimize_loss: optimizer must be a name, an Optimizer '
                   'class or instance, or a function of the learning rate, '
                   'not %r' % (optimizer,))


def _values(gradient):
  return gradient.values if isinstance(gradient, tf.IndexedSlices) else (
      gradient)


def _scaled(gradient, factor):
  """gradient * factor, an IndexedSlices kept one."""
  if isinstance(gradient, tf.IndexedSlices):
    return tf.IndexedSlices(gradient.values * factor, gradient.indices,
                            gradient.dense_shape)
  return gradient * factor


def _add_noise(gradients, scale):
  noisy = []
  for gradient, variable in gradients:
    if gradient is not None:
      shape = (gradient.dense_shape if isinstance(gradient, tf.IndexedSlices)
               else gradient.shape)
      gradient = gradient + v1.truncated_normal(shape) * scale
    noisy.append((gradient, variable))
  return noisy


def _multiply(gradients, multipliers):
  multiplied = []
  for gradient, variable in gradients:
    key = (variable if variable in multipliers else
           variable.name if variable.name in multipliers else None)
    if gradient is not None and key is not None:
      gradient = _scaled(gradient, tf.constant(multipliers[key],
                                               dtype=tf.float32))
    multiplied.append((gradient, variable))
  return multiplied


def _global_norm(gradients):
  return tf.linalg.global_norm([g for g, _ in gradients])


def optimize_loss(loss, global_step, learning_rate, optimizer,
                  gradient_noise_scale=None, gradient_multipliers=None,
                  clip_gradients=None, learning_rate_decay_fn=None,
                  update_ops=None, variables=None, name=None, summaries=None,
                  colocate_gradients_with_ops=False,
                  increment_global_step=True):
  """tf.contrib.layers.optimize_loss of TF 1.15: the training tensor (loss,
  after one update of variables, default every trainable one) of
  optimizer, global_step (default the graph's) incremented.

  clip_gradients: a float (clip by global norm) or a function of the
  (gradient, variable) pairs. learning_rate_decay_fn(lr, global_step) gives
  the rate used. summaries: of OPTIMIZER_SUMMARIES; default loss,
  learning_rate and global_gradient_norm.
  """
  loss = tf.convert_to_tensor(loss)
  if loss.shape.rank != 0:
    raise ValueError('optimize_loss: loss must be a scalar, not of shape %s'
                     % (loss.shape,))
  if global_step is None:
    global_step = v1.train.get_global_step()
  else:
    v1.train.assert_global_step(global_step)
  with v1.variable_scope(name, 'OptimizeLoss', [loss, global_step]):
    if update_ops is None:
      update_ops = set(v1.get_collection(v1.GraphKeys.UPDATE_OPS))
    if update_ops:
      with tf.control_dependencies(list(update_ops)):
        loss = tf.identity(loss)
    lr = _learning_rate(learning_rate)
    if summaries is None:
      summaries = ['loss', 'learning_rate', 'global_gradient_norm']
    unknown = [s for s in summaries if s not in OPTIMIZER_SUMMARIES]
    if unknown:
      raise ValueError('optimize_loss: summaries must be of %s, not %r'
                       % (', '.join(OPTIMIZER_SUMMARIES), unknown[0]))
    if learning_rate is not None and learning_rate_decay_fn is not None:
      if global_step is None:
        raise ValueError('optimize_loss: learning_rate_decay_fn needs a '
                         'global_step')
      lr = learning_rate_decay_fn(lr, global_step)
      if 'learning_rate' in summaries:
        v1.summary.scalar('learning_rate', lr)
    opt = _optimizer(optimizer, lr)
    if variables is None:
      variables = v1.trainable_variables()
    gradients = opt.compute_gradients(
        loss, variables,
        colocate_gradients_with_ops=colocate_gradients_with_ops)
    if gradient_noise_scale is not None:
      gradients = _add_noise(gradients, gradient_noise_scale)
    if gradient_multipliers is not None:
      gradients = _multiply(gradients, gradient_multipliers)
      if not gradients:
        raise ValueError('optimize_loss: no (gradient, variable) pairs left '
                         'after gradient_multipliers')
    norms = 'global_gradient_norm' in summaries or (
        'gradient_norm' in summaries)
    if norms:
      v1.summary.scalar('global_norm/gradient_norm', _global_norm(gradients))
    if isinstance(clip_gradients, float):
      clipped, _ = tf.clip_by_global_norm([g for g, _ in gradients],
                                          clip_gradients)
      gradients = list(zip(clipped, [v for _, v in gradients]))
    elif callable(clip_gradients):
      gradients = clip_gradients(gradients)
    elif clip_gradients is not None:
      raise ValueError('optimize_loss: clip_gradients must be a float or a '
                       'function, not %s' % type(clip_gradients).__name__)
    if 'loss' in summaries:
      v1.summary.scalar('loss', loss)
    for gradient, variable in gradients:
      if gradient is None:
        continue
      tag = variable.name.replace(':', '_')
      if 'gradients' in summaries:
        v1.summary.histogram('gradients/%s' % tag, _values(gradient))
      if 'gradient_norm' in summaries:
        v1.summary.scalar('gradient_norm/%s' % tag,
                          tf.linalg.global_norm([_values(gradient)]))
    if clip_gradients is not None and norms:
      v1.summary.scalar('global_norm/clipped_gradient_norm',
                        _global_norm(gradients))
    update = opt.apply_gradients(
        gradients, global_step=global_step if increment_global_step else None,
        name='train')
    with tf.control_dependencies([update]):
      return tf.identity(loss)
