"""What every script in scripts/ does around its main(): quiet TensorFlow,
one-line errors.

A script defines its flags on absl's FLAGS and calls cli.run(main); main()
takes no arguments and returns an exit status.
"""

import logging
import os
import sys

from absl import app
from absl import flags
from absl import logging as absl_logging

from legacy_dnn import config
from legacy_dnn import errors


def run(main):
  """absl.app.run(main) with a one-line flag error and one-line UserErrors."""
  prog = os.path.basename(sys.argv[0])

  def wrapped(argv):
    if len(argv) > 1:
      raise app.UsageError('Too many command-line arguments: %s' % argv[1:])
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    # Library INFO lines (TensorBoard's file watcher, say) are not for users;
    # TensorFlow's own logger would also warn of deprecations per Saver call.
    absl_logging.set_verbosity(absl_logging.WARNING)
    tf.get_logger().setLevel(logging.ERROR)
    try:
      return main()
    except errors.UserError as e:
      print('%s: error: %s' % (prog, e), file=sys.stderr)
      return 1

  app.run(wrapped,
          flags_parser=lambda argv: config.parse_or_exit(argv, flags.FLAGS))
