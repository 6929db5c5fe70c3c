"""Numerical gradients, as the seeds compute them, against TensorFlow's.

The seeds teach two lessons: a forward difference with a tiny h rounds to
nothing (numerical_diff with h = 1e-50 returns 0), and a central difference
with h = 1e-4 is accurate. check_gradients() applies the central difference to
every parameter of a network built by model.inference(), in float64, and
compares it with tf.gradients.
"""

import collections

import numpy as np
import tensorflow as tf

from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import heads
from legacy_dnn import model
from legacy_dnn import presets
from legacy_dnn import shapes

H = 1e-4
# For networks with convolutions: each holds hundreds of pre-activations per
# example, and a ReLU or max-pool kink within h of one of them puts an O(1)
# error in a central difference. At 1e-4 LeNet's first kernel crosses one for
# every seed tried; at 1e-6 none does, and float64 rounding stays ~1e-10.
CONV_H = 1e-6

Check = collections.namedtuple('Check', ['name', 'shape', 'max_rel_error'])


def forward_difference(f, x, h):
  """(f(x + h) - f(x)) / h: the seed's first, naive numerical derivative."""
  return (f(x + h) - f(x)) / h


def central_difference(f, x, h=H):
  """(f(x + h) - f(x - h)) / 2h: the seed's numerical_diff."""
  return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x, h=H):
  """The seed's numerical_gradient: a central difference per element of x.

  Args:
    f: a function of the whole array x returning a scalar.
    x: float64 array; changed in place during the call, restored after.
    h: the step.

  Returns:
    An array shaped like x.
  """
  grad = np.zeros_like(x)
  for idx in np.ndindex(*x.shape):
    saved = x[idx]
    x[idx] = saved + h
    f_plus = f(x)
    x[idx] = saved - h
    f_minus = f(x)
    x[idx] = saved
    grad[idx] = (f_plus - f_minus) / (2 * h)
  return grad


def relative_error(analytic, numeric):
  """max |a - n| over the elements, relative to the largest |a| or |n|.

  Elementwise ratios are useless where a saturated softmax makes a gradient
  element tiny (1e-10, say): the central difference's own O(h^2) error is of
  that size there. Scaling by the variable's largest gradient keeps the check
  strict where it matters, and a wrong backward pass still shows as O(1).
  """
  scale = max(np.max(np.abs(analytic)), np.max(np.abs(numeric)), 1e-300)
  return float(np.max(np.abs(analytic - numeric)) / scale)


def check_gradients(sess, loss, variables, gradients, feed, h=H):
  """Compares gradients with numerical gradients of loss, variable by variable.

  Args:
    sess: a session in which the variables are initialized.
    loss: scalar tensor.
    variables: the variables to perturb.
    gradients: one analytic gradient tensor per variable.
    feed: feed_dict for loss and gradients.
    h: the central-difference step.

  Returns:
    A Check per variable.
  """
  with sess.graph.as_default():
    values = [tf.compat.v1.placeholder(v.dtype.base_dtype, v.shape)
              for v in variables]
    assigns = [v.assign(p) for v, p in zip(variables, values)]
  checks = []
  for variable, gradient, value, assign in zip(variables, gradients, values,
                                                assigns):
    analytic = sess.run(gradient, feed)
    original = sess.run(variable)

    def f(x, value=value, assign=assign):
      sess.run(assign, {value: x})
      return sess.run(loss, feed)

    numeric = numerical_gradient(f, original.copy(), h)
    sess.run(assign, {value: original})
    checks.append(Check(variable.op.name, tuple(original.shape),
                        relative_error(analytic, numeric)))
  return checks


@tf.custom_gradient
def _relu_with_identity_gradient(x):
  """ReLU forward, but the gradient of the identity: a broken backward pass."""
  return tf.nn.relu(x), lambda upstream: upstream


def small_config(variant, width, seed=0):
  """variant's network with every hidden layer and conv block `width` wide."""
  preset = presets.PRESETS[variant]
  # Lab 11's conv kernels (stddev 0.01) shrink the signal a hundredfold per
  # convolution: after three, the kernels' gradients are far below what a
  # central difference of a loss near 2.3 resolves in float64. The check is
  # of the layers' backward passes, so they get Glorot kernels here.
  return config.for_variant(
      variant, seed=seed, hidden_units=(width,) * len(preset.hidden_units),
      filters=(width,) * len(preset.filters),
      conv_kernel_init=presets.GLOROT_UNIFORM)


def default_h(cfg):
  """The central-difference step for cfg's network: H, or CONV_H."""
  return CONV_H if cfg.filters else H


def input_shape(cfg, inputs):
  """The image shape of a small check of cfg's network.

  Without convolutions: `inputs` features, as one row of pixels, or as
  many as a network's named slices of a row need (wide & deep's). With
  convolutions, the smallest square image of the dataset's channels that
  every layer leaves at least one pixel of, so the check stays quick.
  """
  if cfg.inputs:
    return (1, 1, max(stop for _, _, stop in cfg.inputs))
  if not cfg.filters:
    return (1, 1, inputs)
  channels = data.DATASETS[cfg.dataset].image_shape[-1]
  side = 2
  while min(min(shape) for _, shape in shapes.layer_shapes(
      cfg, (side, side, channels))) < 1:
    side += 1
  return (side, side, channels)


def small_network(cfg, image_shape, n_examples, activation_grad_bug=False):
  """A float64 network of cfg's kind, with data, ready for check_gradients.

  Args:
    cfg: a TrainConfig: its layers, initializers and seed are used; dropout
      is left out, as a gradient check needs a deterministic loss. Batch
      norm normalizes by the batch's moments, as in training.
    image_shape: of the random input images (input_shape()).
    n_examples: rows of random input, with random labels.
    activation_grad_bug: give ReLU the wrong gradient (that of the identity),
      to show that the check catches a broken backward pass.

  Returns:
    (graph, loss, variables, gradients, feed).
  """
  graph = tf.Graph()
  n_inputs = int(np.prod(image_shape))
  with graph.as_default():
    tf.compat.v1.set_random_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    head = heads.of(cfg)
    regression = head.target_dtype.is_floating
    X = tf.compat.v1.placeholder(tf.float64, [None, n_inputs], name='X')
    y = tf.compat.v1.placeholder(tf.float64 if regression else tf.int64,
                                 [None], name='y')
    # A wide & deep network's slices of the row, as model.feed() feeds them.
    inputs = [X[:, start:stop] for _, start, stop in cfg.inputs] or X
    layer_outputs = {}
    logits = model.inference(inputs, cfg, image_shape, cfg.seed,
                             training=tf.constant(True),
                             activation=(_relu_with_identity_gradient
                                         if activation_grad_bug
                                         else tf.nn.relu),
                             layer_outputs=layer_outputs)
    # A regressor's loss weighs in its auxiliary head's MSE.
    loss, _, _ = head.losses(
        logits, [layer_outputs[scope] for scope in presets.aux_scopes(cfg)],
        y, cfg.loss_weights)
    variables = tf.compat.v1.trainable_variables()
    gradients = tf.gradients(loss, variables)
  feed = {X: rng.normal(size=(n_examples, n_inputs)),
          y: (rng.normal(size=n_examples) if regression else
              rng.integers(0, 10, size=n_examples))}
  return graph, loss, variables, gradients, feed
