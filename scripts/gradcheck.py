"""Checks TensorFlow's gradients of a seed network against the seed's
central-difference numerical_gradient, in float64.

  python scripts/gradcheck.py --variant=deep

The network has the variant's depth, initializers and softmax cross-entropy,
with small layers (--width) and inputs (--inputs) so that perturbing every
parameter stays quick; dropout is off, as a gradient check needs a fixed loss.
Exit status 1 if any variable's error is above --tolerance.
"""

from absl import flags

from legacy_dnn import cli
from legacy_dnn import config
from legacy_dnn import presets

FLAGS = flags.FLAGS
flags.DEFINE_enum('variant', 'dropout', sorted(presets.PRESETS),
                  'Seed network whose layer types to check.')
flags.DEFINE_integer('width', 6, 'Units in each hidden layer.', lower_bound=1)
flags.DEFINE_integer('inputs', 8, 'Input features.', lower_bound=1)
flags.DEFINE_integer('examples', 4, 'Random examples in the loss.',
                     lower_bound=1)
flags.DEFINE_integer('seed', 0, 'Seed for weights and data.', lower_bound=0)
flags.DEFINE_float('h', 1e-4, 'Central-difference step (the seeds\' 1e-4, '
                   'gradcheck.H).')
flags.DEFINE_float('tolerance', 1e-6, 'Largest relative error that passes.')
flags.register_validator('h', lambda v: v > 0, message='must be positive')


def main():
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from legacy_dnn import gradcheck
  preset = presets.PRESETS[FLAGS.variant]
  cfg = config.for_variant(
      FLAGS.variant, seed=FLAGS.seed,
      hidden_units=(FLAGS.width,) * len(preset.hidden_units))
  graph, loss, variables, gradients, feed = gradcheck.small_network(
      cfg, FLAGS.inputs, FLAGS.examples)
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(tf.compat.v1.variables_initializer(variables))
    checks = gradcheck.check_gradients(sess, loss, variables, gradients, feed,
                                       FLAGS.h)
  print('%s network, %d hidden layers of %d, float64, h = %g'
        % (FLAGS.variant, len(cfg.hidden_units), FLAGS.width, FLAGS.h))
  print('%-16s %-10s %s' % ('Variable', 'Shape', 'Max relative error'))
  failed = 0
  for check in checks:
    ok = check.max_rel_error <= FLAGS.tolerance
    failed += not ok
    print('%-16s %-10s %.3e %s' % (check.name, 'x'.join(map(str, check.shape)),
                                   check.max_rel_error, 'ok' if ok else 'FAIL'))
  print('%d of %d variables within %g' % (len(checks) - failed, len(checks),
                                          FLAGS.tolerance))
  return 1 if failed else 0


if __name__ == '__main__':
  cli.run(main)
