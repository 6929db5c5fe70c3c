"""The `legacy-dnn` command (and `python -m legacy_dnn`): the scripts of
scripts/, for an installed package that has no scripts/ folder.

  legacy-dnn train --variant=xavier --epochs=1
  legacy-dnn evaluate --variant=xavier
  legacy-dnn COMMAND --help

Each command is a module here whose flags, --help and output are the same
script's: scripts/train.py is a shell over legacy_dnn.commands.train.
"""

import importlib
import sys

PROG = 'legacy-dnn'
# The commands, and what each does, in the order --help lists them.
COMMANDS = {
    'train': 'Trains (or resumes) one of the seed networks.',
    'evaluate': 'Scores a trained model on the test set; predicts and draws '
                'test images.',
    'predict': 'Predicts the class of your own images.',
    'export': 'Exports a trained model: SavedModel, Keras 3, LiteRT or '
              'ONNX.',
    'sweep': 'Runs a hyperparameter sweep of train runs.',
}


def usage():
  return '\n'.join(
      ['usage: %s COMMAND [--flag=value ...]' % PROG, '', 'Commands:'] +
      ['  %-9s %s' % item for item in COMMANDS.items()] +
      ['', '%s COMMAND --help lists a command\'s flags (docs/flags.md has '
       'them all).' % PROG])


def main(argv=None):
  """Runs the command argv[1] names with the flags after it."""
  argv = list(sys.argv if argv is None else argv)
  if len(argv) < 2:
    print(usage(), file=sys.stderr)
    return 2
  if argv[1] in ('-h', '--help', 'help'):
    print(usage())
    return 0
  name = argv[1]
  if name not in COMMANDS:
    print('%s: error: no command %r; the commands are %s (see --help)' % (
        PROG, name, ', '.join(COMMANDS)), file=sys.stderr)
    return 2
  # pylint: disable=g-import-not-at-top
  from absl import flags
  command = importlib.import_module('legacy_dnn.commands.' + name)
  # absl's --help prints the main module's docstring and the flags keyed to
  # sys.argv[0]; here those are the command's.
  sys.argv = ['%s %s' % (PROG, name)] + argv[2:]
  sys.modules['__main__'].__doc__ = command.__doc__.replace(
      'python scripts/%s.py' % name, sys.argv[0])
  for flag in flags.FLAGS.get_key_flags_for_module(command.__name__):
    flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)
  command.run()
  return 0


def console():
  """The legacy-dnn program's entry point (setup.py)."""
  sys.exit(main())
