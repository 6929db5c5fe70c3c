"""Predicts the class of your own images: a digit you drew, a photo.

  python scripts/predict.py --variant=dropout digit.png photo.jpg
  python scripts/predict.py --saved_model=serving/dropout-mnist seven.png
  python scripts/predict.py --tflite=dropout-int8.tflite seven.png
  python scripts/predict.py --onnx=dropout.onnx seven.png
  python scripts/predict.py --model_dir=models/lenet-fashion_mnist \\
      --show_input=seen.png shoe.jpg

Each PNG, JPEG, GIF or BMP, of any size, in colour or grey, is prepared as
the dataset's own images were: for MNIST, made grey, inverted if its
background is light (MNIST is white on black), cropped to the ink, scaled to
fit 20x20 and centred by its centre of mass in 28x28; for Fashion-MNIST the
same, scaled to fit 28x28; for CIFAR-10, scaled to 32x32 in colour. One line
per file:

  digit.png: 7 (probability 0.9731); next: 1 (0.0112)

A file that cannot be read, a blank image, or one whose header promises more
than --max_pixels, gets one line on stderr, and the others are still
predicted; the exit status is then 1.
"""

import contextlib
import sys

from absl import flags

from legacy_dnn import cli
from legacy_dnn import config

FLAGS = flags.FLAGS
config.define_model_flags(FLAGS)
flags.DEFINE_string(
    'saved_model', None,
    'A SavedModel that scripts/export.py wrote: a version folder, or the '
    'export_dir whose highest version is used, as TensorFlow Serving does. '
    'In place of --model_dir or --checkpoint.')
flags.DEFINE_string(
    'tflite', None,
    'A LiteRT file that scripts/export.py --format=tflite wrote, run in '
    'LiteRT\'s interpreter (pip install -e \'.[lite]\'). In place of '
    '--model_dir, --checkpoint or --saved_model; --dataset names its dataset '
    '(by default MNIST, or CIFAR-10 for a [-1, 32, 32, 3] input).')
flags.DEFINE_string(
    'onnx', None,
    'An ONNX file that scripts/export.py --format=onnx wrote, run in '
    'onnxruntime (pip install -e \'.[onnx]\') once it is checked. In place '
    'of --model_dir, --checkpoint, --saved_model or --tflite; --dataset as '
    'for --tflite.')
flags.DEFINE_bool(
    'trust_model', False,
    'Run a --saved_model\'s graph whatever ops it holds. Without it, a '
    'SavedModel whose graph holds an op that our own exports never hold '
    '(file reads and writes, Python calls, ...) is refused before any of it '
    'runs: loading a model runs its graph.')
flags.DEFINE_string(
    'show_input', None,
    'Also write a PNG of each image beside the image the network saw (28x28, '
    'or 32x32 in colour for CIFAR-10).')
flags.DEFINE_integer(
    'max_pixels', config.MAX_IMAGE_PIXELS,
    'The most pixels (width x height) an image file may have. Its header is '
    'read first, and a larger file is refused without being decoded: a few '
    'hundred kilobytes of PNG can hold gigabytes of pixels. The default is '
    'PIL\'s own limit.', lower_bound=1)
flags.register_validator('show_input',
                         lambda v: v is None or v.endswith('.png'),
                         message='must name a .png file')
flags.register_multi_flags_validator(
    ['saved_model', 'tflite', 'onnx', 'model_dir', 'checkpoint'],
    lambda v: sum(bool(v[k]) for k in ('saved_model', 'tflite', 'onnx')) +
    bool(v['model_dir'] or v['checkpoint']) <= 1,
    message='--saved_model, --tflite and --onnx are in place of --model_dir '
    'and --checkpoint, and of each other; give one of them')
flags.adopt_module_key_flags(config)

USAGE = 'FILE [FILE ...]'


def _load_model():
  """(predict: images -> probabilities, close, data.Dataset, description)."""
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import data
  from legacy_dnn import evaluation
  if FLAGS.tflite or FLAGS.onnx:
    return _load_file(evaluation)
  if FLAGS.saved_model:
    served = evaluation.load_export(FLAGS.saved_model, FLAGS.dataset,
                                    trust=FLAGS.trust_model)
    return (served.predict, served.close, served.dataset,
            '%s (%s)' % (served.path, served.dataset.name))
  from legacy_dnn.errors import UserError
  cfg, checkpoint = evaluation.locate_model(**config.model_flags(FLAGS))
  if data.DATASETS[cfg.dataset].is_regression:
    raise UserError(
        '%s: a %s model predicts from rows of %s features, not from images; '
        'see evaluate.py --predict, or export.py\'s SavedModel'
        % (checkpoint, cfg.variant, cfg.dataset))
  saved = evaluation.restore(cfg, checkpoint)
  return (saved.predict, saved.close, data.DATASETS[cfg.dataset],
          '%s (%s on %s)' % (checkpoint, cfg.variant, cfg.dataset))


def _load_file(evaluation):
  """_load_model() of a --tflite or --onnx file."""
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import savedmodel
  from legacy_dnn import lite
  from legacy_dnn.errors import UserError
  if FLAGS.tflite:
    flag, runtime = '--tflite', 'LiteRT'
    quiet = lambda: cli.without_lines(lite.LITERT_CHATTER)
    with quiet():
      model = lite.load(FLAGS.tflite)
  else:
    from legacy_dnn import onnx_export
    flag, runtime, quiet = '--onnx', 'onnxruntime', contextlib.nullcontext
    model = onnx_export.load(FLAGS.onnx)
  inputs = {name: shape[1:] for name, shape in model.inputs.items()}
  if (savedmodel.INPUTS not in inputs or
      savedmodel.PROBABILITIES not in model.outputs):
    raise UserError('%s=%s: takes %s and gives %s, not %r and %r: not '
                    'a classifier of images' % (
                        flag, model.path, ', '.join(sorted(inputs)),
                        ', '.join(sorted(model.outputs)), savedmodel.INPUTS,
                        savedmodel.PROBABILITIES))
  dataset = evaluation.served_dataset(
      FLAGS['dataset'].present and FLAGS.dataset, inputs[savedmodel.INPUTS])
  if tuple(inputs[savedmodel.INPUTS]) != tuple(dataset.input_shape):
    raise UserError('%s=%s: takes images of shape %s, not %s as %s\'s' % (
        flag, model.path, list(inputs[savedmodel.INPUTS]),
        list(dataset.input_shape), dataset.name))

  def predict(images):
    with quiet():
      return model.run({savedmodel.INPUTS: images})[savedmodel.PROBABILITIES]

  return (predict, lambda: None, dataset,
          '%s (%s, %s)' % (model.path, runtime, dataset.name))


def main(paths):
  # pylint: disable=g-import-not-at-top
  import numpy as np
  from legacy_dnn import images
  from legacy_dnn import plots
  from legacy_dnn.errors import UserError
  predict, close, dataset, description = _load_model()
  try:
    preparation = images.PREPARATIONS[dataset.name]
    shown, failed = [], 0
    print('Model: %s' % description)
    for path in paths:
      try:
        with cli.without_lines(images.LIBJPEG_CHATTER):
          original = images.decode(path, FLAGS.max_pixels)
        seen = images.prepare(original, preparation)
      except images.BlankImageError as e:
        print('%s: %s; no prediction' % (path, e), file=sys.stderr)
        failed += 1
        continue
      except UserError as e:
        print('predict.py: error: %s' % e, file=sys.stderr)
        failed += 1
        continue
      probabilities = predict(seen.reshape((1,) + dataset.input_shape))[0]
      first, second = np.argsort(-probabilities)[:2]
      print('%s: %s (probability %.4f); next: %s (%.4f)' % (
          path, dataset.class_names[first], probabilities[first],
          dataset.class_names[second], probabilities[second]), flush=True)
      shown.append((path, original, seen, dataset.class_names[first]))
  finally:
    close()
  if FLAGS.show_input and shown:
    try:
      size = plots.inputs(FLAGS.show_input, shown)
    except OSError as e:
      print('predict.py: error: --show_input=%s: cannot write: %s'
            % (FLAGS.show_input, e.strerror), file=sys.stderr)
      return 1
    print('Wrote %s (%dx%d)' % ((FLAGS.show_input,) + size))
  return 1 if failed else 0


def run():
  """Parses the flags in sys.argv and runs main(), as cli.run does."""
  cli.run(main, USAGE)
