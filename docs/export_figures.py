"""The figures of docs/serving.md's "Keras 3" and "LiteRT": each preset trained, then
its Keras 3 model and LiteRT files against our graph on the whole test set.

  python docs/export_figures.py --presets=xavier,dropout,lenet --epochs=2 \\
      --root=/tmp/figures
  python docs/export_figures.py --presets=regression,wide_deep \\
      --data_dir=../shared/data --root=/tmp/figures

Each preset trains --epochs epochs (its own with 0) into <root>/<preset>,
or resumes what is there. Then, on the test set: our graph's accuracy (a
regressor's MSE); how far the Keras model's probabilities (outputs) are
from ours, and how often its class is ours; float32 LiteRT likewise; and
int8 LiteRT's accuracy (MSE) and size against float32 LiteRT's.
"""

import os
import sys

from absl import app
from absl import flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
# pylint: disable=g-import-not-at-top,wrong-import-position
from legacy_dnn import cli

FLAGS = flags.FLAGS
flags.DEFINE_list('presets', ['plain', 'xavier', 'deep', 'dropout',
                              'batchnorm', 'homl', 'small', 'cnn',
                              'deep_cnn', 'lenet'], 'Presets to measure.')
flags.DEFINE_string('dataset', None, 'Dataset of the classifiers; default '
                    'fashion_mnist (the regressors keep their own).')
flags.DEFINE_string('data_dir', None, 'Where the dataset is.')
flags.DEFINE_integer('epochs', 0, 'Epochs to train; 0: the preset\'s.')
flags.DEFINE_string('root', '/tmp/export_figures', 'Where the runs go.')


def trained(variant):
  """(cfg, its best checkpoint, its data.Splits, the test split's rows and
  targets, our graph's outputs for them): the preset trained --epochs into
  <root>/<preset> (or resumed there)."""
  from legacy_dnn import checkpoints
  from legacy_dnn import config
  from legacy_dnn import data
  from legacy_dnn import evaluation
  from legacy_dnn import training
  overrides = dict(model_dir=os.path.join(FLAGS.root, variant),
                   logdir=os.path.join(FLAGS.root, 'logs'),
                   data_dir=FLAGS.data_dir)
  preset_dataset = config.for_variant(variant).dataset
  if not data.DATASETS[preset_dataset].is_regression:
    overrides['dataset'] = FLAGS.dataset or 'fashion_mnist'
  if FLAGS.epochs:
    overrides['epochs'] = FLAGS.epochs
  cfg = config.for_variant(variant, **overrides)
  training.train(cfg)
  checkpoint = checkpoints.best_model(cfg.model_dir)
  splits = data.run_splits(cfg)
  rows, targets = splits.test
  ours = evaluation.restore(cfg, checkpoint)
  try:
    reference = ours.predict(rows)
  finally:
    ours.close()
  return cfg, checkpoint, splits, rows, targets, reference


def measure(variant):
  import numpy as np
  from legacy_dnn import config
  from legacy_dnn import heads
  from legacy_dnn import keras_export
  from legacy_dnn import lite
  cfg, checkpoint, splits, rows, targets, reference = trained(variant)
  head = heads.of(cfg)
  net = keras_export.keras_model(cfg, checkpoint)
  feed = lite.signature_inputs(cfg, rows)
  keras_out = net.predict(feed if cfg.inputs else rows, batch_size=1000,
                          verbose=0)
  keras_out = keras_out[0] if isinstance(keras_out, list) else keras_out
  keras_out = keras_out if reference.ndim == 2 else keras_out[:, 0]
  results = {}
  calibration = lite.calibration_rows(splits.train[0], 500, 0)
  for quantize in ('none', 'int8'):
    contents = lite.convert(cfg, checkpoint, quantize, calibration)
    path = lite.write(contents, os.path.join(
        cfg.model_dir, quantize + config.EXPORT_SUFFIXES['tflite']))
    with cli.without_lines(lite.LITERT_CHATTER):
      got = lite.load(path).run(feed)[head.served_output]
    results[quantize] = (got if reference.ndim == 2 else got[:, 0],
                         len(contents))
  if reference.ndim == 2:
    score = lambda p: np.mean(p.argmax(1) == targets)
    same = lambda p: '%.2f%%' % (100 * np.mean(p.argmax(1) ==
                                               reference.argmax(1)))
  else:
    score = lambda p: np.mean((p - targets) ** 2)
    same = lambda p: '—'
  diff = lambda p: '%.1e' % np.abs(p - reference).max()
  (lite_float, float_size), (lite_int8, int8_size) = (results['none'],
                                                       results['int8'])
  return ('| %s | %s | %.4f | %s | %s | %s | %s | %.4f | %.4f | %s | %s | '
          '%.2f |' % (variant, cfg.dataset, score(reference), diff(keras_out),
                      same(keras_out), diff(lite_float), same(lite_float),
                      score(lite_float), score(lite_int8),
                      format(float_size, ','), format(int8_size, ','),
                      int8_size / float_size))


def main(argv):
  del argv
  cli.import_tensorflow()
  rows = [measure(variant) for variant in FLAGS.presets]
  print('| preset | dataset | ours | Keras max diff | Keras same class | '
        'LiteRT f32 max diff | LiteRT f32 same class | LiteRT f32 | '
        'LiteRT int8 | f32 bytes | int8 bytes | int8/f32 |')
  print('|---' * 12 + '|')
  print('\n'.join(rows))


if __name__ == '__main__':
  app.run(main)
