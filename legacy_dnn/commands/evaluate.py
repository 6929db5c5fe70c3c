"""Scores a trained model on the test set; predicts and draws test images.

  python scripts/evaluate.py --variant=dropout --dataset=fashion_mnist \\
      --predict=3 --plot=predictions.png
  python scripts/evaluate.py --checkpoint=/tmp/my_model_final.ckpt \\
      --variant=homl --dataset=mnist

A model_dir's run.json says which network and dataset it holds, so --variant
and --dataset only pick the default model_dir, as train.py does
(models/<variant>-<dataset>). A checkpoint written by other TF1 code, with no
run.json beside it, is described by --variant, --dataset, --hidden_units and
--filters.

  python scripts/evaluate.py --variant=dropout --projector=2000
  tensorboard --logdir tf_logs

--projector=N writes the last hidden layer's activations for the first N test
images into the run's log folder (<logdir>/<run>/projector), with their
labels and a sprite of the images, for TensorBoard's Projector tab.

A regressor (regression, wide_deep, cosine) reports the test MSE, RMSE, MAE
and R²; --predict=N shows N test rows' label and prediction, and --plot
draws predicted against actual (for cosine, the exam's fitted curve over t).

  python scripts/evaluate.py --variant=dropout --tflite=dropout-int8.tflite

--tflite scores a LiteRT file that export.py made of the model in LiteRT's
interpreter (pip install -e '.[lite]'): its test accuracy (a regressor's
MSE) beside the float model's, how often it gives the float model's class,
its size, and its examples per second. --onnx does the same for an ONNX
file in onnxruntime (pip install -e '.[onnx]'), once the file is checked.
"""

from absl import flags

from legacy_dnn import cli
from legacy_dnn import config
from legacy_dnn import plots

FLAGS = flags.FLAGS
# As the TF1 embedding tutorial's 10,000 test images: a sprite of them stays
# within the Projector's 8192 pixels a side.
MAX_PROJECTED = 10000
config.define_model_flags(FLAGS)
flags.DEFINE_integer('predict', 0, 'Also show this many random test images '
                     'with label, prediction and probability.', lower_bound=0)
flags.DEFINE_integer('seed', 0, 'Seed for choosing the images that --predict '
                     'and --plot show.', lower_bound=0)
flags.DEFINE_string('plot', None, 'Write a PNG of %d test images with labels '
                    'and predictions (mistakes in red) and the confusion '
                    'matrix; for a regressor, predicted against actual '
                    'with the diagonal (cosine: the series, the fitted '
                    'curve and the train/validation boundary).'
                    % plots.GRID_SIDE ** 2)
flags.register_validator('plot', lambda v: v is None or v.endswith('.png'),
                         message='must name a .png file')
flags.DEFINE_integer(
    'projector', 0, 'Write the activations of --projector_layer for this '
    'many test images (the first ones; at most %d) into the run\'s log '
    'folder, with labels, class names and a sprite of the images, for '
    'TensorBoard\'s Projector tab (PCA, t-SNE). 0 writes none.'
    % MAX_PROJECTED, lower_bound=0, upper_bound=MAX_PROJECTED)
flags.DEFINE_string(
    'projector_layer', None, 'The layer whose activations --projector '
    'shows: conv1, ..., hidden1, ..., outputs. Default: the last before '
    'outputs.')
flags.DEFINE_string(
    'logdir', config.DEFAULT_LOGDIR, 'The TensorBoard root that --projector '
    'writes into, as train.py\'s --logdir: the run of the model_dir is '
    'found there by its name.')
flags.DEFINE_string(
    'tflite', None, 'Score this LiteRT file (export.py --format=tflite) of '
    'the model in LiteRT\'s interpreter, against the float model.')
flags.DEFINE_string(
    'onnx', None, 'Score this ONNX file (export.py --format=onnx) of the '
    'model in onnxruntime, against the float model. A file that needs '
    'custom ops or other files is refused before it runs.')
flags.register_multi_flags_validator(
    ['tflite', 'onnx'], lambda v: not (v['tflite'] and v['onnx']),
    message='--tflite and --onnx each score one file; give one of them')
config.define_data_flags(FLAGS)
flags.adopt_module_key_flags(config)


def main():
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import api
  from legacy_dnn import evaluation
  cfg, checkpoint = evaluation.locate_model(
      data_dir=FLAGS.data_dir, mirror=FLAGS.mirror, **config.model_flags(FLAGS))
  if FLAGS.projector:  # A bad --projector_layer, before anything runs.
    evaluation.projector_layer(cfg, FLAGS.projector_layer)
  with api.Model(cfg, checkpoint) as model:
    if FLAGS.tflite or FLAGS.onnx:
      print('\n'.join(model.compare(FLAGS.tflite, FLAGS.onnx)))
      return 0
    if FLAGS.projector:
      evaluation.check_projectable(cfg)
    scores = model.evaluate()
    print('\n'.join(scores.lines(FLAGS.predict, FLAGS.seed)))
    if FLAGS.plot:
      size = scores.write_plot(FLAGS.plot, FLAGS.seed, '--plot=' + FLAGS.plot)
      print('Wrote %s (%dx%d)' % ((FLAGS.plot,) + size))
    if FLAGS.projector:
      folder, layer, shown = model.project(
          FLAGS.projector, FLAGS.projector_layer, FLAGS.logdir)
      print('Projector: %s activations of %d test images in %s; run '
            'tensorboard --logdir %s' % (layer, shown, folder, FLAGS.logdir))
  return 0


def run():
  """Parses the flags in sys.argv and runs main(), as cli.run does."""
  cli.run(main)
