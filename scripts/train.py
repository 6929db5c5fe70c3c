# scripts/train.py: the train command, whose flags, --help and code live in
# legacy_dnn/commands/train.py, where `legacy-dnn train` runs them too.
from absl import flags

from legacy_dnn.commands import train as command

__doc__ = command.__doc__  # What --help prints.
flags.adopt_module_key_flags(command)

if __name__ == '__main__':
  command.run()
