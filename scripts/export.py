"""Exports a trained model as a SavedModel for TensorFlow Serving.

  python scripts/export.py --variant=dropout --dataset=fashion_mnist \\
      --export_dir=serving/dropout
  saved_model_cli show --dir serving/dropout/1 --all

Writes the best model (or --checkpoint) into the next numbered version folder
of --export_dir, <export_dir>/1, 2, ..., never over an existing one. The
signature `serving_default` takes `images`, float32 [-1, 784] in [0, 1], and
returns `probabilities` (float32 [-1, 10]) and `classes` (int64 [-1]).
"""

import os

from absl import flags

from legacy_dnn import cli
from legacy_dnn import config

FLAGS = flags.FLAGS
config.define_model_flags(FLAGS)
flags.DEFINE_string(
    'export_dir', None,
    'The model\'s base path for TensorFlow Serving; each export adds the '
    'next version folder under it. Default: serving/<the model_dir\'s name>.')


def main():
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import evaluation
  from legacy_dnn import export
  cfg, checkpoint = evaluation.locate_model(**config.model_flags(FLAGS))
  export_dir = FLAGS.export_dir or os.path.join(
      'serving', os.path.basename(os.path.normpath(cfg.model_dir)))
  version_dir = export.export(cfg, checkpoint, export_dir)
  print('Exported %s (%s on %s) to %s' % (checkpoint, cfg.variant,
                                          cfg.dataset, version_dir))
  print('Signature %r: %s' % (export.SIGNATURE, export.describe(cfg)))
  return 0


if __name__ == '__main__':
  cli.run(main)
