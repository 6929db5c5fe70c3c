"""A trained model's scores: its Evaluation on the test set (evaluate.py's
figures, lines and plot), and a LiteRT or ONNX file of it scored against it.

api.py's evaluate() and Model return these; scripts print their lines.
"""

import dataclasses
from typing import Dict, Optional, Tuple

import numpy as np

from legacy_dnn import data
from legacy_dnn import tabular
from legacy_dnn.errors import UserError

# TensorFlow (evaluation, heads) and matplotlib (plots) load on first use,
# so that `import legacy_dnn` and help() need neither.
# pylint: disable=g-import-not-at-top


@dataclasses.dataclass(frozen=True)
class Evaluation:
  """A trained model's figures on its test set (legacy_dnn.evaluate)."""
  checkpoint: str
  variant: str
  dataset: str
  loss: float
  labels: np.ndarray  # int [n] (a regressor's targets: float32 [n]).
  # A classifier's: float32 [n, 10] softmax outputs, int [n] classes; a
  # regressor's: its float32 [n] predictions as `predicted`, no
  # probabilities.
  predicted: np.ndarray
  probabilities: Optional[np.ndarray] = None
  accuracy: Optional[float] = None
  per_class_accuracy: Optional[np.ndarray] = None  # float [10].
  confusion: Optional[np.ndarray] = None  # int [10, 10]: label x prediction.
  class_names: Tuple[str, ...] = ()
  # A regressor's mse, rmse, mae and r2.
  metrics: Dict[str, float] = dataclasses.field(default_factory=dict)
  images: Optional[np.ndarray] = None  # The test images, float32.
  # The cosine series' (t, y, the model's curve, training points): the
  # exam's fit.
  curve: Optional[Tuple[np.ndarray, np.ndarray, np.ndarray, int]] = None
  target_unit: str = ''
  # A linear cosine fit's b0..b5 (its bias, then its kernel); else None.
  coefficients: Optional[np.ndarray] = None

  @property
  def mistakes(self):
    """The indices of the test images the model gets wrong."""
    return np.flatnonzero(self.predicted != self.labels)

  def plot(self, mistakes=True):
    """A matplotlib Figure: test images (the misclassified ones, with
    mistakes=True) with label and prediction, beside the confusion matrix;
    a regressor's predicted against actual values (cosine: the fitted
    curve over the series)."""
    from legacy_dnn import plots
    if self.curve is not None:
      return plots.cosine_fit_figure(
          *self.curve, '%s: validation MSE %.4f' % (self.variant,
                                                    self.metrics['mse']))
    if self.confusion is None:
      return plots.regression_figure(
          self.labels, self.predicted, '%s on %s: test RMSE %.4f' % (
              self.variant, self.dataset, self.metrics['rmse']),
          self.target_unit)
    shown = (self.mistakes if mistakes else np.arange(len(self.labels)))
    shown = shown[:plots.GRID_SIDE ** 2]
    return plots.predictions_figure(
        self.images[shown], self.labels[shown], self.predicted[shown],
        self.confusion, self.class_names,
        title='%s on %s: %s%d of %d test images wrong' % (
            self.variant, self.dataset, 'the first %d of the ' % len(shown)
            if mistakes else '', len(self.mistakes), len(self.labels)))

  def lines(self, predict=0, seed=0):
    """What evaluate.py prints of it: the figures, a classifier's per-class
    accuracy and confusion matrix, and `predict` test examples drawn from
    seed with their label and prediction."""
    from legacy_dnn import evaluation
    dataset = data.DATASETS[self.dataset]
    lines = ['Model: %s (%s on %s)' % (self.checkpoint, self.variant,
                                      self.dataset)]
    shown = evaluation.sample(len(self.labels), predict, seed)
    if self.confusion is None:
      unit = ' (in units of %s)' % self.target_unit if self.target_unit \
          else ''
      if dataset.test_is:
        lines.append('Test rows: %s' % dataset.test_is)
      lines += ['Test loss: %.6f' % self.loss,
                'Test MSE: %.4f' % self.metrics['mse'],
                'Test RMSE: %.4f%s' % (self.metrics['rmse'], unit),
                'Test MAE: %.4f%s' % (self.metrics['mae'], unit),
                'Test R²: %.4f' % self.metrics['r2']]
      if self.coefficients is not None:
        lines += ['Learned b0..b5: %s' % ' '.join(
            '%.4f' % b for b in self.coefficients),
                  'True b0..b5:    %s' % ' '.join(
                      '%.4f' % b for b in tabular.COSINE_BETA)]
      return lines + ['Test row %d: Label: %.3f Prediction: %.3f' % (
          i, self.labels[i], self.predicted[i]) for i in shown]
    lines += ['Test loss: %.6f' % self.loss,
              'Accuracy: %.4f' % self.accuracy, 'Per-class accuracy:']
    lines += ['  %d %-12s %.4f' % (i, self.class_names[i], accuracy)
              for i, accuracy in enumerate(self.per_class_accuracy)]
    lines += ['Confusion matrix (rows: label, columns: prediction):',
              evaluation.format_confusion(self.confusion, self.class_names)]
    for i in shown:
      predicted = self.predicted[i]
      lines += ['Test image %d (%s):' % (i, self.class_names[self.labels[i]]),
                'Label: [%d]' % self.labels[i],
                'Prediction: [%d] (probability %.4f)' % (
                    predicted, self.probabilities[i, predicted])]
    return lines

  def write_plot(self, path, seed=0, what=None):
    """Writes evaluate.py --plot's PNG: a grid of test images drawn from
    seed, with label and prediction, beside the confusion matrix; a
    regressor's predicted against actual values (cosine: the fitted curve).

    what: how the message of a failed write names path (--plot=...).

    Returns:
      (width, height) in pixels.

    Raises:
      UserError: path cannot be written.
    """
    from legacy_dnn import evaluation
    from legacy_dnn import plots
    try:
      if self.curve is not None:
        return plots.cosine_fit(path, *self.curve, '%s: validation MSE %.4f'
                                % (self.variant, self.metrics['mse']))
      if self.confusion is None:
        return plots.regression(
            path, self.labels, self.predicted, '%s on %s: test RMSE %.4f' % (
                self.variant, self.dataset, self.metrics['rmse']),
            self.target_unit)
      shown = evaluation.sample(len(self.labels), plots.GRID_SIDE ** 2, seed)
      return plots.predictions(path, self.images[shown], self.labels[shown],
                               self.predicted[shown], self.confusion,
                               self.class_names)
    except OSError as e:
      raise UserError('%s: cannot write: %s' % (what or path, e.strerror)
                      ) from None

  def __repr__(self):
    figures = ('accuracy=%.4f' % self.accuracy if self.accuracy is not None
               else ', '.join('%s=%.4f' % kv
                              for kv in sorted(self.metrics.items())))
    return 'Evaluation(%s on %s, %s, loss=%.6f, checkpoint=%r)' % (
        self.variant, self.dataset, figures, self.loss, self.checkpoint)


def test_split(cfg):
  """The splits a model is scored on: cfg's dataset and classes (only the
  test files matter, so no validation images are held out)."""
  return data.subset(data.load(data.DATASETS[cfg.dataset], cfg.data_dir,
                               mirror=cfg.mirror, validation_size=0),
                     cfg.classes)


def score(cfg, checkpoint, splits, saved=None):
  """evaluate()'s work, evaluate.py's too: an Evaluation of the checkpoint
  on splits.test.

  saved: the checkpoint already restored (evaluation.SavedModel), or None
    to restore it here and close it after.
  """
  from legacy_dnn import evaluation
  dataset = data.DATASETS[cfg.dataset]
  images, labels = splits.test
  curve = None
  owned = saved is None
  if owned:
    saved = evaluation.restore(cfg, checkpoint)
  try:
    loss, metric = saved.loss_and_accuracy(images, labels)
    outputs = saved.predict(images)
    coefficients = None
    if cfg.dataset == 'cosine':
      t, features, y = tabular.cosine()
      curve = (t, y, saved.predict(features), len(splits.train[0]))
      if not cfg.hidden_units:
        coefficients = np.concatenate([
            saved.variable(cfg.output_name + '/bias'),
            saved.variable(cfg.output_name + '/kernel')[:, 0]])
  finally:
    if owned:
      saved.close()
  common = dict(checkpoint=checkpoint, variant=cfg.variant,
                dataset=cfg.dataset, loss=float(loss), labels=labels)
  if dataset.is_regression:
    return Evaluation(predicted=outputs, images=None, curve=curve,
                      coefficients=coefficients,
                      metrics=evaluation.regression_metrics(labels, outputs),
                      target_unit=dataset.target_unit or '', **common)
  predicted = outputs.argmax(axis=1)
  confusion = evaluation.confusion_matrix(labels, predicted)
  return Evaluation(
      predicted=predicted, probabilities=outputs, accuracy=float(metric),
      per_class_accuracy=evaluation.per_class_accuracy(confusion),
      confusion=confusion, class_names=tuple(dataset.class_names),
      images=images, **common)


def compare_file(cfg, checkpoint, saved, rows, targets, tflite=None,
                 onnx=None):
  """evaluate.py --tflite/--onnx: the file's test figures beside the float
  model's, its size and examples per second, as lines.

  Args:
    cfg, checkpoint: the model the file was exported from.
    saved: that model restored (evaluation.SavedModel).
    rows, targets: the test split.
    tflite, onnx: the file, one of them.

  Raises:
    UserError: the file cannot be read, is refused, or is of another model.
  """
  from legacy_dnn import cli
  from legacy_dnn import heads
  from legacy_dnn import lite
  head = heads.of(cfg)
  inputs = lite.signature_inputs(cfg, rows)
  if tflite:
    with cli.without_lines(lite.LITERT_CHATTER):
      model = lite.load(tflite)
      outputs, rate = model.timed_run(inputs)
    runtime, flag, kind = 'LiteRT', '--tflite', 'LiteRT'
  else:
    from legacy_dnn import onnx_export
    model = onnx_export.load(onnx)
    onnx_export.check_inputs(model, {name: value.shape[1:]
                                     for name, value in inputs.items()})
    outputs, rate = model.timed_run(inputs)
    runtime, flag, kind = 'onnxruntime', '--onnx', 'ONNX opset %d' % (
        model.opset)
  if head.served_output not in outputs:
    raise UserError('%s=%s: gives %s, not %r: not a file of this model' % (
        flag, model.path, ', '.join(sorted(outputs)), head.served_output))
  reference = saved.predict(rows)
  return (['Model: %s (%s, %s bytes), of %s (%s on %s)' % (
      model.path, kind, format(model.size, ','), checkpoint, cfg.variant,
      cfg.dataset)] +
          list(head.compare(outputs[head.served_output], reference, targets)) +
          ['Speed: %s examples/s (%s, batches of %d)' % (
              format(round(rate), ','), runtime, lite.BATCH)])
