"""Exports a trained model: a SavedModel for TensorFlow Serving, a Keras 3
model file, a LiteRT model for phones and small boards, or an ONNX file.

  python scripts/export.py --variant=dropout --dataset=fashion_mnist \\
      --export_dir=serving/dropout
  saved_model_cli show --dir serving/dropout/1 --all
  python scripts/export.py --variant=dropout --format=keras \\
      --output=dropout.keras
  python scripts/export.py --variant=dropout --format=tflite --quantize=int8 \\
      --output=dropout-int8.tflite
  python scripts/export.py --variant=dropout --format=onnx \\
      --output=dropout.onnx

The model is the best model of a model_dir (or --checkpoint, from this
project or other TF1 code, described by --variant, --dataset,
--hidden_units and --filters), as evaluate.py picks it.

--format=savedmodel (the default) writes the next numbered version folder of
--export_dir, <export_dir>/1, 2, ..., never over an existing one. The
signature `serving_default` takes `images`, float32 [-1, 784] in [0, 1], and
returns `probabilities` (float32 [-1, 10]) and `classes` (int64 [-1]).

--format=keras writes a .keras file that keras.saving.load_model reads where
legacy_dnn is not installed: one Keras layer per layer of ours, named as our
variable scopes, ending in softmax (`probabilities`). --format=weights writes
the same model's .weights.h5.

--format=tflite converts the SavedModel with TensorFlow's own converter:
--quantize=none, float16, dynamic (int8 weights), or int8 (weights and
activations, calibrated on --calibration_examples training examples chosen
by --seed). scripts/evaluate.py --tflite=FILE scores it in LiteRT.

--format=onnx converts the SavedModel with tf2onnx (pip install -e
'.[onnx]') at --opset (17 by default), with the signature's input and output
names. scripts/evaluate.py --onnx=FILE scores it in onnxruntime.
"""

import os

from absl import flags

from legacy_dnn import cli
from legacy_dnn import config

FLAGS = flags.FLAGS
FORMATS = ('savedmodel', 'keras', 'weights', 'tflite', 'onnx')
config.define_model_flags(FLAGS)
config.define_data_flags(FLAGS)
flags.DEFINE_enum('format', 'savedmodel', FORMATS,
                  'What to write: a SavedModel version folder under '
                  '--export_dir; a Keras 3 .keras file; its .weights.h5; a '
                  'LiteRT .tflite file; or an .onnx file.')
flags.DEFINE_string(
    'export_dir', None,
    'The model\'s base path for TensorFlow Serving; each export adds the '
    'next version folder under it. Default: serving/<the model_dir\'s name>. '
    '(--format=savedmodel.)')
flags.DEFINE_string(
    'output', None,
    'The file to write with --format=keras (.keras), weights (.weights.h5), '
    'tflite (.tflite) or onnx (.onnx); one already there is replaced once '
    'the new one is whole. Default: serving/<the model_dir\'s '
    'name>[-<quantize>]<ending>.')
flags.DEFINE_enum('quantize', 'none', config.QUANTIZATIONS,
                  'With --format=tflite: none (float32), float16 weights, '
                  'dynamic (int8 weights), or int8 weights and activations '
                  '(calibrated on --calibration_examples).')
flags.DEFINE_integer(
    'calibration_examples', 500,
    'With --quantize=int8: the training examples whose activations set the '
    'int8 ranges, drawn from the run\'s own training split.', lower_bound=1)
flags.DEFINE_integer('seed', 0, 'Seed of the choice of calibration examples.',
                     lower_bound=0)
flags.DEFINE_integer('opset', config.ONNX_OPSET, 'With --format=onnx: the '
                     'ONNX opset to convert to.',
                     lower_bound=config.ONNX_OPSETS[0],
                     upper_bound=config.ONNX_OPSETS[1])
flags.register_multi_flags_validator(
    ['format', 'output'],
    lambda v: v['output'] is None or v['format'] != 'savedmodel',
    message='--output names the file of --format=keras, weights, tflite or '
    'onnx; a SavedModel goes to --export_dir')
flags.register_multi_flags_validator(
    ['format', 'export_dir'],
    lambda v: v['export_dir'] is None or v['format'] == 'savedmodel',
    message='--export_dir is where --format=savedmodel writes; the other '
    'formats write --output')
flags.register_multi_flags_validator(
    ['format', 'quantize'],
    lambda v: v['quantize'] == 'none' or v['format'] == 'tflite',
    message='--quantize is for --format=tflite')
flags.register_multi_flags_validator(
    ['format', 'opset'],
    lambda v: v['opset'] == config.ONNX_OPSET or v['format'] == 'onnx',
    message='--opset is for --format=onnx')
flags.register_multi_flags_validator(
    ['format', 'output'],
    lambda v: v['output'] is None or v['format'] not in config.EXPORT_SUFFIXES
    or v['output'].endswith(config.EXPORT_SUFFIXES[v['format']]),
    message='--output must end in .keras for --format=keras, .weights.h5 for '
    'weights, .tflite for tflite and .onnx for onnx')
flags.adopt_module_key_flags(config)


def _default_output(cfg):
  name = os.path.basename(os.path.normpath(cfg.model_dir))
  if FLAGS.quantize != 'none':
    name += '-' + FLAGS.quantize
  return os.path.join('serving',
                      name + config.EXPORT_SUFFIXES[FLAGS.format])


def main():
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import evaluation
  from legacy_dnn import export
  cfg, checkpoint = evaluation.locate_model(
      data_dir=FLAGS.data_dir, mirror=FLAGS.mirror, **config.model_flags(FLAGS))
  described = '%s (%s on %s)' % (checkpoint, cfg.variant, cfg.dataset)
  if FLAGS.format == 'savedmodel':
    export_dir = FLAGS.export_dir or os.path.join(
        'serving', os.path.basename(os.path.normpath(cfg.model_dir)))
    version_dir = export.export(cfg, checkpoint, export_dir)
    print('Exported %s to %s' % (described, version_dir))
    print('Signature %r: %s' % (export.SIGNATURE, export.describe(cfg)))
    return 0
  output = FLAGS.output or _default_output(cfg)
  if FLAGS.format == 'tflite':
    return _tflite(cfg, checkpoint, described, output)
  if FLAGS.format == 'onnx':
    return _onnx(cfg, checkpoint, described, output)
  from legacy_dnn import keras_export
  net = keras_export.keras_model(cfg, checkpoint)
  keras_export.save(net, output, weights_only=FLAGS.format == 'weights')
  print('Exported %s to %s (%s bytes, Keras %s)' % (
      described, output, format(os.path.getsize(output), ','),
      'weights' if FLAGS.format == 'weights' else 'model'))
  print('Layers: %s' % ', '.join(l.name for l in net.layers))
  return 0


def _tflite(cfg, checkpoint, described, output):
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import data
  from legacy_dnn import export
  from legacy_dnn import lite
  rows = None
  if FLAGS.quantize == 'int8':
    rows = lite.calibration_rows(data.run_splits(cfg).train[0],
                                 FLAGS.calibration_examples, FLAGS.seed)
  contents = lite.convert(cfg, checkpoint, FLAGS.quantize, rows)
  lite.write(contents, output)
  print('Exported %s to %s (%s bytes, LiteRT, quantize %s%s)' % (
      described, output, format(len(contents), ','), FLAGS.quantize,
      '' if rows is None else ', calibrated on %d training examples'
      % len(rows)))
  print('Signature %r: %s' % (export.SIGNATURE, export.describe(cfg)))
  return 0


def _onnx(cfg, checkpoint, described, output):
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import lite
  from legacy_dnn import onnx_export
  contents = onnx_export.convert(cfg, checkpoint, FLAGS.opset)
  lite.write(contents, output)
  model = onnx_export.load(output, '--output')
  print('Exported %s to %s (%s bytes, ONNX opset %d)' % (
      described, output, format(len(contents), ','), model.opset))
  print('Inputs and outputs: %s' % onnx_export.describe(model))
  return 0


if __name__ == '__main__':
  cli.run(main)
