# scripts/evaluate.py: the evaluate command, whose flags, --help and code live in
# legacy_dnn/commands/evaluate.py, where `legacy-dnn evaluate` runs them too.
from absl import flags

from legacy_dnn.commands import evaluate as command

__doc__ = command.__doc__  # What --help prints.
flags.adopt_module_key_flags(command)

if __name__ == '__main__':
  command.run()
