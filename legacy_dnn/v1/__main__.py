"""python -m legacy_dnn.v1 SCRIPT.py [ARGS...]: runs a TensorFlow 1.x script
unmodified on today's TensorFlow; its `import tensorflow` gives
legacy_dnn.v1 (docs/tf1-code.md)."""

import os
import sys

from legacy_dnn import errors

USAGE = ('usage: python -m legacy_dnn.v1 SCRIPT.py [ARGS...]\n\n'
         'Runs a TensorFlow 1.x script as written: inside it, `import '
         'tensorflow as tf`\ngives tf.compat.v1 with TensorFlow 2\'s '
         'behaviour off, plus tf.layers,\ntf.contrib.layers, '
         'tf.contrib.framework.arg_scope, the RNN cells of\ntf.nn.rnn_cell '
         'and tf.contrib.rnn, tf.contrib.seq2seq.sequence_loss,\n'
         'tensorflow.examples.tutorials.mnist.input_data and tf.estimator '
         '(Estimator,\nRunConfig, numpy_input_fn, train_and_evaluate, the '
         'canned DNN and linear\nestimators; docs/tf1-code.md). ARGS go to '
         'the script (sys.argv[1:],\ntf.app.flags).\n\n'
         'TensorFlow picks its CPU kernels as it would for the script: '
         'oneDNN where it\nturns it on for the CPU. TF_ENABLE_ONEDNN_OPTS=1 '
         'asks for oneDNN everywhere,\n=0 for Eigen everywhere.\n')
PROG = 'python -m legacy_dnn.v1'


def main(argv):
  if len(argv) < 2 or argv[1] in ('-h', '--help'):
    print(USAGE, end='', file=sys.stdout if len(argv) > 1 else sys.stderr)
    return 0 if len(argv) > 1 else 2
  path = argv[1]
  if not os.path.isfile(path):
    print('%s: error: %s: no such file' % (PROG, path), file=sys.stderr)
    return 2
  try:
    from legacy_dnn.v1 import runner  # pylint: disable=g-import-not-at-top
    return runner.run_script(path, argv[2:])
  except errors.UserError as e:
    print('%s: error: %s' % (PROG, e), file=sys.stderr)
    return 1
  except KeyboardInterrupt:  # While TensorFlow loads, before the script.
    print('%s: interrupted' % PROG, file=sys.stderr)
    return 130


if __name__ == '__main__':
  sys.exit(main(sys.argv))
