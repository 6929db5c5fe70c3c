# scripts/predict.py: the predict command, whose flags, --help and code live in
# legacy_dnn/commands/predict.py, where `legacy-dnn predict` runs them too.
from absl import flags

from legacy_dnn.commands import predict as command

__doc__ = command.__doc__  # What --help prints.
flags.adopt_module_key_flags(command)

if __name__ == '__main__':
  command.run()
