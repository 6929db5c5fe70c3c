# scripts/sweep.py: the sweep command, whose flags, --help and code live in
# legacy_dnn/commands/sweep.py, where `legacy-dnn sweep` runs them too.
from absl import flags

from legacy_dnn.commands import sweep as command

__doc__ = command.__doc__  # What --help prints.
flags.adopt_module_key_flags(command)

if __name__ == '__main__':
  command.run()
