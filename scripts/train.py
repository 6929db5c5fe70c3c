"""Trains (or resumes) one of the seed networks.

  python scripts/train.py --variant=dropout --dataset=fashion_mnist

Run the same command again to resume an interrupted run; --helpfull lists
every flag.
"""

import logging
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import tensorflow as tf

from legacy_dnn import config
from legacy_dnn import errors
from legacy_dnn import training

FLAGS = flags.FLAGS
config.define_flags(FLAGS)
flags.adopt_module_key_flags(config)  # So --help lists them.


def main(argv):
  if len(argv) > 1:
    raise app.UsageError('Too many command-line arguments: %s' % argv[1:])
  # TensorFlow's Python logger would add lines per Saver call.
  tf.get_logger().setLevel(logging.ERROR)
  try:
    result = training.train(config.from_flags(FLAGS))
  except errors.UserError as e:
    print('train.py: error: %s' % e, file=sys.stderr)
    return 1
  if result.interrupted_by is not None:
    return 128 + result.interrupted_by
  return 0


if __name__ == '__main__':
  app.run(main, flags_parser=lambda argv: config.parse_or_exit(argv, FLAGS))
