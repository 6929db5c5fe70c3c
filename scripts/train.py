"""Trains (or resumes) one of the seed networks.

  python scripts/train.py --variant=dropout --dataset=fashion_mnist

Run the same command again to resume an interrupted run; --helpfull lists
every flag.
"""

from absl import flags

from legacy_dnn import cli
from legacy_dnn import config

FLAGS = flags.FLAGS
config.define_flags(FLAGS)
flags.adopt_module_key_flags(config)  # So --help lists them.


def main():
  from legacy_dnn import training  # pylint: disable=g-import-not-at-top
  result = training.train(config.from_flags(FLAGS))
  if result.interrupted_by is not None:
    return 128 + result.interrupted_by
  return 0


if __name__ == '__main__':
  cli.run(main)
