"""Checks TensorFlow's gradients of a seed network against the seed's
central-difference numerical_gradient, in float64.

  python scripts/gradcheck.py --variant=deep

The network has the variant's layers (dense, convolution, max-pooling, batch
norm), initializers and softmax cross-entropy, with small layers (--width)
and inputs (--inputs, or for a convolutional network the smallest image its
pools leave a pixel of) so that perturbing every parameter stays quick;
dropout is off, as a gradient check needs a fixed loss, and batch norm uses
the batch's moments, as in training.
Exit status 1 if any variable's error is above --tolerance.
"""

from absl import flags

from legacy_dnn import cli
from legacy_dnn import presets

FLAGS = flags.FLAGS
flags.DEFINE_enum('variant', 'dropout', sorted(presets.PRESETS),
                  'Seed network whose layer types to check.')
flags.DEFINE_integer('width', 6, 'Units in each hidden layer, filters in each '
                     'convolution.', lower_bound=1)
flags.DEFINE_integer('inputs', 8, 'Input features of a network without '
                     'convolutions.', lower_bound=1)
flags.DEFINE_integer('examples', 4, 'Random examples in the loss.',
                     lower_bound=1)
flags.DEFINE_integer('seed', 0, 'Seed for weights and data.', lower_bound=0)
flags.DEFINE_float('h', None, 'Central-difference step. Default: the seeds\' '
                   '1e-4, or 1e-6 for a network with convolutions, where a '
                   'ReLU or max-pool kink within 1e-4 of one of hundreds of '
                   'pre-activations is likely.')
flags.DEFINE_float('tolerance', 1e-6, 'Largest relative error that passes.')
flags.register_validator('h', lambda v: v is None or v > 0,
                         message='must be positive')


def main():
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from legacy_dnn import gradcheck
  cfg = gradcheck.small_config(FLAGS.variant, FLAGS.width, FLAGS.seed)
  image_shape = gradcheck.input_shape(cfg, FLAGS.inputs)
  graph, loss, variables, gradients, feed = gradcheck.small_network(
      cfg, image_shape, FLAGS.examples)
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(tf.compat.v1.variables_initializer(variables))
    h = FLAGS.h or gradcheck.default_h(cfg)
    checks = gradcheck.check_gradients(sess, loss, variables, gradients, feed,
                                       h)
  print('%s network, %d conv and %d hidden layers of %d, %s inputs, '
        'float64, h = %g' % (FLAGS.variant, len(cfg.filters),
                             len(cfg.hidden_units), FLAGS.width,
                             'x'.join(map(str, image_shape)), h))
  width = max(len(v.op.name) for v in variables) + 2
  print('%-*s %-10s %s' % (width, 'Variable', 'Shape', 'Max relative error'))
  failed = 0
  for check in checks:
    ok = check.max_rel_error <= FLAGS.tolerance
    failed += not ok
    print('%-*s %-10s %.3e %s' % (width, check.name,
                                  'x'.join(map(str, check.shape)),
                                  check.max_rel_error, 'ok' if ok else 'FAIL'))
  print('%d of %d variables within %g' % (len(checks) - failed, len(checks),
                                          FLAGS.tolerance))
  return 1 if failed else 0


if __name__ == '__main__':
  cli.run(main)
