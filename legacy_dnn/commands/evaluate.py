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

import numpy as np
from absl import flags

from legacy_dnn import cli
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import plots
from legacy_dnn.errors import CheckpointError

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
  from legacy_dnn import heads
  cfg, checkpoint = evaluation.locate_model(
      data_dir=FLAGS.data_dir, mirror=FLAGS.mirror, **config.model_flags(FLAGS))
  layer = (evaluation.projector_layer(cfg, FLAGS.projector_layer)
           if FLAGS.projector else None)
  dataset = data.DATASETS[cfg.dataset]
  splits = api.test_split(cfg)
  images, labels = splits.test
  if FLAGS.tflite or FLAGS.onnx:
    return _report_file(evaluation, cfg, checkpoint, images, labels)
  if not heads.of(cfg).per_class:
    if FLAGS.projector:
      raise CheckpointError('--projector: shows images; %s is a regression '
                            'dataset' % cfg.dataset)
    return _report_regression(evaluation, cfg, checkpoint, dataset, splits)
  scores = api.score(cfg, checkpoint, splits)
  predicted, probabilities = scores.predicted, scores.probabilities
  if FLAGS.projector:
    saved = evaluation.restore(cfg, checkpoint)
    try:
      projected = saved.activations(images[:FLAGS.projector], layer)
    finally:
      saved.close()
  confusion = scores.confusion

  print('Model: %s (%s on %s)' % (checkpoint, cfg.variant, cfg.dataset))
  print('Test loss: %.6f' % scores.loss)
  print('Accuracy: %.4f' % scores.accuracy)
  print('Per-class accuracy:')
  for i, class_accuracy in enumerate(scores.per_class_accuracy):
    print('  %d %-12s %.4f' % (i, dataset.class_names[i], class_accuracy))
  print('Confusion matrix (rows: label, columns: prediction):')
  print(evaluation.format_confusion(confusion, dataset.class_names))

  for index in evaluation.sample(len(images), FLAGS.predict, FLAGS.seed):
    print('Test image %d (%s):' % (index, dataset.class_names[labels[index]]))
    print('Label: [%d]' % labels[index])
    print('Prediction: [%d] (probability %.4f)'
          % (predicted[index], probabilities[index, predicted[index]]))

  if FLAGS.plot:
    shown = evaluation.sample(len(images), plots.GRID_SIDE ** 2, FLAGS.seed)
    try:
      size = plots.predictions(FLAGS.plot, images[shown], labels[shown],
                               predicted[shown], confusion, dataset.class_names)
    except OSError as e:
      raise CheckpointError('--plot=%s: cannot write: %s'
                            % (FLAGS.plot, e.strerror)) from None
    print('Wrote %s (%dx%d)' % ((FLAGS.plot,) + size))

  if FLAGS.projector:
    folder = evaluation.write_projector(
        cfg, FLAGS.logdir, layer, projected, images[:FLAGS.projector],
        labels[:FLAGS.projector])
    print('Projector: %s activations of %d test images in %s; run '
          'tensorboard --logdir %s' % (layer, len(projected), folder,
                                       FLAGS.logdir))
  return 0


def _load_file(cfg, rows):
  """(the --tflite or --onnx model, its outputs for rows, examples/s, its
  runtime's name, the flag)."""
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import lite
  inputs = lite.signature_inputs(cfg, rows)
  if FLAGS.tflite:
    with cli.without_lines(lite.LITERT_CHATTER):
      model = lite.load(FLAGS.tflite)
      outputs, rate = model.timed_run(inputs)
    return model, outputs, rate, 'LiteRT', '--tflite'
  from legacy_dnn import onnx_export
  model = onnx_export.load(FLAGS.onnx)
  onnx_export.check_inputs(model, {name: value.shape[1:]
                                   for name, value in inputs.items()})
  outputs, rate = model.timed_run(inputs)
  return model, outputs, rate, 'onnxruntime', '--onnx'


def _report_file(evaluation, cfg, checkpoint, rows, targets):
  """The LiteRT or ONNX file's test figures beside the float model's."""
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import heads
  from legacy_dnn import lite
  head = heads.of(cfg)
  model, outputs, rate, runtime, flag = _load_file(cfg, rows)
  if head.served_output not in outputs:
    raise CheckpointError('%s=%s: gives %s, not %r: not a file of this '
                          'model' % (flag, model.path,
                                     ', '.join(sorted(outputs)),
                                     head.served_output))
  saved = evaluation.restore(cfg, checkpoint)
  try:
    reference = saved.predict(rows)
  finally:
    saved.close()
  print('Model: %s (%s, %s bytes), of %s (%s on %s)' % (
      model.path, 'LiteRT' if runtime == 'LiteRT' else
      'ONNX opset %d' % model.opset, format(model.size, ','), checkpoint,
      cfg.variant, cfg.dataset))
  for line in head.compare(outputs[head.served_output], reference, targets):
    print(line)
  print('Speed: %s examples/s (%s, batches of %d)'
        % (format(round(rate), ','), runtime, lite.BATCH))
  return 0


def _report_regression(evaluation, cfg, checkpoint, dataset, splits):
  """A regressor's figures, rows and plot."""
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import tabular
  features, labels = splits.test
  saved = evaluation.restore(cfg, checkpoint)
  try:
    loss, _ = saved.loss_and_accuracy(features, labels)
    predicted = saved.predict(features)
    beta = (np.concatenate([saved.variable(cfg.output_name + '/bias'),
                            saved.variable(cfg.output_name + '/kernel')[:, 0]])
            if cfg.dataset == 'cosine' and not cfg.hidden_units else None)
    if FLAGS.plot and cfg.dataset == 'cosine':
      t, all_features, y = tabular.cosine()
      fitted = saved.predict(all_features)
  finally:
    saved.close()
  metrics = evaluation.regression_metrics(labels, predicted)
  unit = ' (in units of %s)' % dataset.target_unit if dataset.target_unit \
      else ''
  print('Model: %s (%s on %s)' % (saved.checkpoint, cfg.variant, cfg.dataset))
  if dataset.test_is:
    print('Test rows: %s' % dataset.test_is)
  print('Test loss: %.6f' % loss)
  print('Test MSE: %.4f' % metrics['mse'])
  print('Test RMSE: %.4f%s' % (metrics['rmse'], unit))
  print('Test MAE: %.4f%s' % (metrics['mae'], unit))
  print('Test R²: %.4f' % metrics['r2'])
  if beta is not None:
    print('Learned b0..b5: %s' % ' '.join('%.4f' % b for b in beta))
    print('True b0..b5:    %s' % ' '.join('%.4f' % b
                                           for b in tabular.COSINE_BETA))
  for index in evaluation.sample(len(labels), FLAGS.predict, FLAGS.seed):
    print('Test row %d: Label: %.3f Prediction: %.3f'
          % (index, labels[index], predicted[index]))
  if FLAGS.plot:
    try:
      if cfg.dataset == 'cosine':
        size = plots.cosine_fit(
            FLAGS.plot, t, y, fitted, len(splits.train[0]),
            '%s: validation MSE %.4f' % (cfg.variant, metrics['mse']))
      else:
        size = plots.regression(
            FLAGS.plot, labels, predicted, '%s on %s: test RMSE %.4f' % (
                cfg.variant, cfg.dataset, metrics['rmse']),
            dataset.target_unit)
    except OSError as e:
      raise CheckpointError('--plot=%s: cannot write: %s'
                            % (FLAGS.plot, e.strerror)) from None
    print('Wrote %s (%dx%d)' % ((FLAGS.plot,) + size))
  return 0


def run():
  """Parses the flags in sys.argv and runs main(), as cli.run does."""
  cli.run(main)
