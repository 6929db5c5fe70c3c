"""The Python API: what `import legacy_dnn` gives a notebook or a program.

  import legacy_dnn
  result = legacy_dnn.train(variant='dropout', dataset='fashion_mnist',
                            epochs=5)
  result.plot()                                # the learning curves
  scores = legacy_dnn.evaluate(result.model_dir)
  scores.accuracy, scores.confusion, scores.plot()
  legacy_dnn.predict(result.model_dir, ['shoe.png']).classes
  legacy_dnn.export(result.model_dir, format='tflite', quantize='int8')

Keyword arguments are named as the scripts' flags and checked by the same
declarations (settings.py), naming the keyword. A bad value, bad data or an unusable
model_dir raises one legacy_dnn.UserError with the scripts' one-line message;
nothing here parses sys.argv or calls sys.exit. The scripts print what these
functions return: one code path.

Each call builds its own graph and closes its session, writers and threads,
even when it raises, so a notebook cell can be run again. train() in the
main thread turns SIGINT (a kernel's interrupt) into a checkpoint, then
raises legacy_dnn.Interrupted, a KeyboardInterrupt that carries the Result:
the cell ends as interrupted (so "Run All" stops there), and calling train()
again continues, bit for bit.
"""

import contextlib
import dataclasses
import os
from typing import List, Tuple

import numpy as np

from legacy_dnn import cli
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import reporting
from legacy_dnn import scores
from legacy_dnn import settings as settings_lib
from legacy_dnn.errors import UserError
from legacy_dnn.results import Interrupted

# What train() and sweep() raise when a kernel's interrupt (SIGINT)
# stopped them.
INTERRUPTED = ('legacy_dnn.train: interrupted in epoch %d, its checkpoint '
               'saved; run the cell again to continue')
SWEEP_INTERRUPTED = ('legacy_dnn.sweep: interrupted, the unfinished trial '
                     'saved; run the cell again to resume')
VERBOSITIES = (0, 1, 2)


def _check_verbose(api, verbose):
  if verbose not in VERBOSITIES:
    raise UserError('%s: verbose=%r: must be 0 (silent), 1 (progress bar '
                    'and a line per epoch) or 2 (a line per epoch)'
                    % (api, verbose))


@contextlib.contextmanager
def _output(verbose):
  """Where a call's reports go (reporting.for_verbose): verbose 0 nowhere,
  1 the lines and a progress bar (a widget in a Jupyter kernel), 2 the
  lines alone; in this call's context only. TensorFlow is imported first,
  without its start-up chatter."""
  cli.import_tensorflow()
  with reporting.reporting_to(reporting.for_verbose(verbose)):
    yield


def train(variant='dropout', *, verbose=1, **settings):
  """Trains, or resumes, a seed network; the same run as scripts/train.py.

  Args:
    variant: the preset (scripts/train.py --variant): dropout, xavier,
      batchnorm, lenet, deep_cnn, homl, regression, wide_deep, ...
    verbose: 0 silent, 1 a progress bar (a widget in Jupyter) and a line per
      epoch, 2 the lines without the bar.
    **settings: train.py's flags as keyword arguments: dataset='fashion_mnist',
      epochs=5, model_dir=..., data_dir=..., hidden_units=(300, 100),
      learning_rate=0.01, train_limit=2000, ... (docs/flags.md). Lists may
      be tuples or lists.

  Returns:
    A Result: test_accuracy (test_mse), best_epoch, history, model_dir,
    run_dir; plot() draws the learning curves. A model_dir that holds a
    finished run is evaluated again, not retrained.

  Raises:
    UserError: a bad setting, bad data, or a model_dir of another run.
    Interrupted: SIGINT (a kernel's interrupt) stopped training; the
      checkpoint is saved, and the exception's result is the Result so far.
  """
  _check_verbose('legacy_dnn.train', verbose)
  cfg = config.from_settings(variant=variant, **settings)
  if cfg.cluster is not None:  # Not reachable from keywords; for safety.
    raise UserError('legacy_dnn.train: trains in this process; run '
                    'scripts/train.py for a cluster\'s task')
  with _output(verbose):
    # pylint: disable=g-import-not-at-top
    from legacy_dnn import training
    result = training.train(cfg, on_interrupt=None)
  if result.interrupted:
    raise Interrupted(INTERRUPTED % (result.epochs + 1), result)
  return result


def _locate(api, model_dir, settings, group=settings_lib.MODEL +
            settings_lib.DATA):
  """(TrainConfig, checkpoint prefix, checked settings) of the model that
  model_dir, or model flags named as keyword settings, describe."""
  values = settings_lib.check(api, group, dict(settings, model_dir=model_dir))
  if model_dir is None and values.get('checkpoint') is None:
    raise UserError('%s(model_dir=None): name a run\'s folder, or pass '
                    'checkpoint= for a checkpoint that other TF1 code wrote'
                    % api)
  with _output(0):
    # pylint: disable=g-import-not-at-top
    from legacy_dnn import evaluation
  cfg, checkpoint = evaluation.locate_model(
      data_dir=values.get('data_dir'), mirror=values.get('mirror'),
      **config.model_settings(values, [n for n, v in values.items()
                                       if v is not None]))
  return cfg, checkpoint, values


def load(model_dir, **settings):
  """A trained model, to evaluate, predict with and export; its checkpoint
  is restored once, on first use, however often it is called.

    model = legacy_dnn.load('models/dropout-mnist')
    model.predict(images).classes      # restores the checkpoint
    model.predict(more_images)         # the same session
    model.evaluate().accuracy

  Args:
    model_dir: a run's folder; its run.json says the network, the data
      folder and the split. None with checkpoint= for a checkpoint that
      other TF1 code wrote.
    **settings: evaluate.py's model and data flags: checkpoint=... (any
      checkpoint prefix, another TF1 script's too), variant=, dataset=,
      hidden_units=, filters= (for a checkpoint without run.json),
      data_dir=, mirror=.

  Returns:
    A Model. Its session lives until close(), the end of a `with` block, or
    the Model's garbage collection.

  Raises:
    UserError: a bad setting, or nothing to restore there.
  """
  cfg, checkpoint, _ = _locate('legacy_dnn.load', model_dir, settings)
  return Model(cfg, checkpoint)


class Model:
  """A trained model (legacy_dnn.load): its network restored once."""

  def __init__(self, cfg, checkpoint):
    self.config = cfg  # The TrainConfig of its network and data.
    self.checkpoint = checkpoint  # The checkpoint prefix it restores.
    self._restored = None

  def _session(self):
    """The restored network (evaluation.SavedModel), built on first use."""
    if self._restored is None:
      with _output(0):
        # pylint: disable=g-import-not-at-top
        from legacy_dnn import evaluation
        self._restored = evaluation.restore(self.config, self.checkpoint)
    return self._restored

  def evaluate(self, verbose=1):
    """Scores the model on its dataset's test set, as evaluate.py does.

    Returns:
      An Evaluation: loss, accuracy, per_class_accuracy, confusion,
      predicted, probabilities, labels (a regressor's metrics); plot().
    """
    _check_verbose('legacy_dnn.Model.evaluate', verbose)
    with _output(verbose):
      return scores.score(self.config, self.checkpoint,
                          scores.test_split(self.config), self._session())

  def predict(self, images_or_paths, max_pixels=config.MAX_IMAGE_PIXELS,
              verbose=1):
    """The classes the model gives images (legacy_dnn.predict's Args)."""
    _check_verbose('legacy_dnn.Model.predict', verbose)
    dataset = data.DATASETS[self.config.dataset]
    if dataset.is_regression:
      raise UserError('legacy_dnn.predict: %s: a %s model predicts from '
                      'rows of features, not from images; see '
                      'legacy_dnn.evaluate' % (self.checkpoint,
                                               self.config.variant))
    with _output(verbose):
      rows, paths, skipped = _rows(images_or_paths, dataset, max_pixels)
      probabilities = self._session().predict(rows)
    return Prediction(probabilities.argmax(axis=1), probabilities,
                      tuple(dataset.class_names), paths, skipped)

  def export(self, format='savedmodel', verbose=1, **settings):  # pylint: disable=redefined-builtin
    """Writes the model for serving (legacy_dnn.export's Args)."""
    _check_verbose('legacy_dnn.Model.export', verbose)
    values = settings_lib.check('legacy_dnn.Model.export',
                                settings_lib.EXPORT,
                                dict(settings, format=format))
    with _output(verbose):
      return _export(self.config, self.checkpoint, values)

  def compare(self, tflite=None, onnx=None, verbose=1):
    """Scores a LiteRT (tflite=) or ONNX (onnx=) file of this model on the
    test set against the model itself, as evaluate.py --tflite/--onnx does:
    its figures beside the float model's, how often it agrees, its size and
    speed.

    Returns:
      The lines evaluate.py prints.

    Raises:
      UserError: the file cannot be read, is refused before it runs (an
        ONNX file with custom ops), or is not a file of this model.
    """
    _check_verbose('legacy_dnn.Model.compare', verbose)
    if bool(tflite) == bool(onnx):
      raise UserError('legacy_dnn.Model.compare: give one file, tflite= or '
                      'onnx=')
    with _output(verbose):
      rows, targets = scores.test_split(self.config).test
      return scores.compare_file(self.config, self.checkpoint,
                                 self._session(), rows, targets, tflite, onnx)

  def project(self, count, layer=None, logdir=config.DEFAULT_LOGDIR,
              verbose=1):
    """Writes a layer's activations for the first count test images, with
    their labels and a sprite, for TensorBoard's Projector tab, into the
    run's folder under logdir (evaluate.py --projector).

    Args:
      count: test images, from the first.
      layer: conv1, ..., hidden1, ...; default the last before outputs.
      logdir: the TensorBoard root train() wrote the run's logs under.

    Returns:
      (the folder written, the layer shown, the images shown).

    Raises:
      UserError: a regressor (it shows images), or no such layer.
    """
    _check_verbose('legacy_dnn.Model.project', verbose)
    # pylint: disable=g-import-not-at-top
    with _output(verbose):
      from legacy_dnn import evaluation
      evaluation.check_projectable(self.config)
      layer = evaluation.projector_layer(self.config, layer)
      images, labels = scores.test_split(self.config).test
      images, labels = images[:count], labels[:count]
      activations = self._session().activations(images, layer)
      folder = evaluation.write_projector(self.config, logdir, layer,
                                          activations, images, labels)
    return folder, layer, len(images)

  def close(self):
    """Closes its session; a later call restores the checkpoint again."""
    if self._restored is not None:
      self._restored.close()
      self._restored = None

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    self.close()

  def __del__(self):
    try:
      self.close()
    except Exception:  # pylint: disable=broad-except
      pass  # At interpreter exit TensorFlow may be gone before the Model.

  def __repr__(self):
    return 'Model(%s on %s, checkpoint=%r)' % (
        self.config.variant, self.config.dataset, self.checkpoint)


def evaluate(model_dir, *, verbose=1, **settings):
  """Scores a trained model on its dataset's test set, as evaluate.py does.

  Args:
    model_dir: a run's folder; its run.json says the network, the data
      folder and the split, so nothing else is needed. None with
      checkpoint= for a checkpoint that other TF1 code wrote.
    verbose: 0 prints nothing; 1 or 2 what the data's loading says.
    **settings: load()'s model and data settings.

  Returns:
    An Evaluation: loss, accuracy, per_class_accuracy, confusion,
    predicted, probabilities, labels (a regressor's metrics); plot().
  """
  _check_verbose('legacy_dnn.evaluate', verbose)
  cfg, checkpoint, _ = _locate('legacy_dnn.evaluate', model_dir, settings)
  with Model(cfg, checkpoint) as model:
    return model.evaluate(verbose)


@dataclasses.dataclass(frozen=True)
class Prediction:
  """legacy_dnn.predict's answer for each image."""
  classes: np.ndarray  # int [n].
  probabilities: np.ndarray  # float32 [n, 10].
  class_names: Tuple[str, ...]
  paths: Tuple[str, ...] = ()  # Where the images came from, if files.
  # The files that gave no prediction, as (path, why): unreadable, blank,
  # too large. predict.py says the same of each on stderr.
  skipped: Tuple[Tuple[str, str], ...] = ()

  @property
  def names(self):
    """The predicted class of each image, by name."""
    return [self.class_names[c] for c in self.classes]


def predict(model_dir, images_or_paths, max_pixels=config.MAX_IMAGE_PIXELS, *,
            verbose=1, **settings):
  """The classes a trained classifier gives images. To predict again and
  again, load() the model once and call its predict().

  Args:
    model_dir: a run's folder (or None with checkpoint= in settings).
    images_or_paths: image files (a list of paths: PNG, JPEG, ...; each
      header is checked, then the image prepared as predict.py does), or a
      numpy array of the dataset's images: [n, 28, 28] or [n, 784] (CIFAR-10:
      [n, 32, 32, 3] or [n, 3072]), uint8 0-255 or float in [0, 1].
    max_pixels: the most pixels an image file may have (predict.py's
      --max_pixels).
    verbose: 0 prints nothing; 1 or 2 what an image's decoding says.
    **settings: load()'s model and data settings.

  Returns:
    A Prediction: classes, probabilities, class_names, names, and the
    files skipped (unreadable, blank, too large), with why.
  """
  _check_verbose('legacy_dnn.predict', verbose)
  cfg, checkpoint, _ = _locate('legacy_dnn.predict', model_dir, settings)
  with Model(cfg, checkpoint) as model:
    return model.predict(images_or_paths, max_pixels, verbose)


def _rows(images_or_paths, dataset, max_pixels):
  """(float32 [n, features] in [0, 1], the paths, the skipped files) of
  predict()'s input: files that cannot be read or hold a blank image are
  skipped, as predict.py skips them, with why."""
  size = int(np.prod(dataset.input_shape))
  if isinstance(images_or_paths, (str, os.PathLike)):
    images_or_paths = [images_or_paths]
  if isinstance(images_or_paths, np.ndarray):
    array = images_or_paths
    if array.size % size or not array.size:
      raise UserError('legacy_dnn.predict: images of shape %s: %s takes '
                      'images of %d values (%s)' % (
                          list(array.shape), dataset.name, size,
                          'x'.join(map(str, dataset.image_shape))))
    rows = array.reshape(-1, size)
    if rows.dtype == np.uint8:
      return data.to_float(rows), (), ()
    rows = rows.astype(np.float32)
    if rows.min() < 0 or rows.max() > 1:
      raise UserError('legacy_dnn.predict: float images must be in [0, 1] '
                      '(uint8 ones in 0-255)')
    return rows, (), ()
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import images
  rows, paths, skipped = [], [], []
  for path in map(os.fspath, images_or_paths):
    try:
      with cli.without_lines(images.LIBJPEG_CHATTER):
        rows.append(images.prepare(images.decode(path, max_pixels),
                                   images.PREPARATIONS[dataset.name]))
      paths.append(path)
    except images.BlankImageError as e:
      skipped.append((path, '%s: %s; no prediction' % (path, e)))
    except UserError as e:
      skipped.append((path, str(e)))
  return (np.reshape(rows, (len(rows), size)).astype(np.float32),
          tuple(paths), tuple(skipped))


class _Settings(dict):
  """Settings by attribute: fv.format."""
  __getattr__ = dict.__getitem__


@dataclasses.dataclass(frozen=True)
class Exported:
  """What legacy_dnn.export wrote."""
  path: str  # The version folder, or the file.
  format: str
  lines: Tuple[str, ...]  # What export.py prints about it.

  def __str__(self):
    return '\n'.join(self.lines)


def _default_output(cfg, fmt, quantize):
  name = os.path.basename(os.path.normpath(cfg.model_dir))
  if quantize != 'none':
    name += '-' + quantize
  return os.path.join('serving', name + config.EXPORT_SUFFIXES[fmt])


def export(model_dir, format='savedmodel', *, verbose=1, **settings):  # pylint: disable=redefined-builtin
  """Writes a trained model for serving, as export.py does.

  Args:
    model_dir: a run's folder; int8 calibration uses its own training data.
      None with checkpoint= for a checkpoint that other TF1 code wrote.
    format: savedmodel, keras, weights, tflite or onnx.
    verbose: 0 prints nothing; 1 or 2 what the converters say.
    **settings: export.py's flags: output=, export_dir=, quantize=
      (none, float16, dynamic, int8), calibration_examples=, seed=, opset=,
      and load()'s model settings (checkpoint=, ...).

  Returns:
    An Exported: the path written and export.py's lines about it.
  """
  _check_verbose('legacy_dnn.export', verbose)
  cfg, checkpoint, values = _locate(
      'legacy_dnn.export', model_dir, dict(settings, format=format), _EXPORT)
  with _output(verbose):
    return _export(cfg, checkpoint, values)


# export()'s settings: the model's, its data's, and what to write.
_EXPORT = settings_lib.MODEL + settings_lib.DATA + settings_lib.EXPORT


def export_from_flags(fv):
  """export()'s work on export.py's parsed flags."""
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import evaluation
  cfg, checkpoint = evaluation.locate_model(
      data_dir=fv.data_dir, mirror=fv.mirror, **config.model_flags(fv))
  return _export(cfg, checkpoint, config.flag_settings(fv, _EXPORT))


def _export(cfg, checkpoint, values):
  """export()'s work: writes cfg's checkpoint as values of settings.EXPORT
  say (None: a setting's default)."""
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import savedmodel
  fv = _Settings({s.name: s.default if values.get(s.name) is None
                  else values[s.name] for s in settings_lib.EXPORT.settings})
  described = '%s (%s on %s)' % (checkpoint, cfg.variant, cfg.dataset)
  signature = 'Signature %r: %s' % (savedmodel.SIGNATURE,
                                    savedmodel.describe(cfg))
  if fv.format == 'savedmodel':
    export_dir = fv.export_dir or os.path.join(
        'serving', os.path.basename(os.path.normpath(cfg.model_dir)))
    version_dir = savedmodel.export(cfg, checkpoint, export_dir)
    return Exported(version_dir, fv.format, (
        'Exported %s to %s' % (described, version_dir), signature))
  output = fv.output or _default_output(cfg, fv.format, fv.quantize)
  if fv.format == 'tflite':
    from legacy_dnn import lite
    rows = None
    if fv.quantize == 'int8':
      rows = lite.calibration_rows(data.run_splits(cfg).train[0],
                                   fv.calibration_examples, fv.seed)
    contents = lite.convert(cfg, checkpoint, fv.quantize, rows)
    lite.write(contents, output)
    return Exported(output, fv.format, (
        'Exported %s to %s (%s bytes, LiteRT, quantize %s%s)' % (
            described, output, format(len(contents), ','), fv.quantize,
            '' if rows is None else ', calibrated on %d training examples'
            % len(rows)), signature))
  if fv.format == 'onnx':
    from legacy_dnn import lite
    from legacy_dnn import onnx_export
    contents = onnx_export.convert(cfg, checkpoint, fv.opset)
    lite.write(contents, output)
    model = onnx_export.load(output, '--output')
    return Exported(output, fv.format, (
        'Exported %s to %s (%s bytes, ONNX opset %d)' % (
            described, output, format(len(contents), ','), model.opset),
        'Inputs and outputs: %s' % onnx_export.describe(model)))
  from legacy_dnn import keras_export
  net = keras_export.keras_model(cfg, checkpoint)
  keras_export.save(net, output, weights_only=fv.format == 'weights')
  return Exported(output, fv.format, (
      'Exported %s to %s (%s bytes, Keras %s)' % (
          described, output, format(os.path.getsize(output), ','),
          'weights' if fv.format == 'weights' else 'model'),
      'Layers: %s' % ', '.join(l.name for l in net.layers)))


@dataclasses.dataclass(frozen=True)
class SweepResult:
  """What legacy_dnn.sweep did: each trial's record, and the ranked table
  sweep.py prints (empty while trials remain)."""
  sweep_dir: str
  results: List[dict]
  table: str
  interrupted: bool

  def __str__(self):
    return self.table


def sweep(variant='dropout', *, grid=None, random=None, verbose=1,
          **settings):
  """Runs a hyperparameter sweep in this process, as sweep.py does.

  Args:
    variant: the preset every trial starts from.
    grid: {setting: [values]}, every combination a trial, each value
      checked as train()'s keyword: {'hidden_units': [(256, 256), (512,
      512)], 'learning_rate': [0.001, 0.01]}; depth=, units= and
      filters1=, ... vary the layers' count and sizes. Or sweep.py's --grid
      text, "hidden_units=256,256|512,512;learning_rate=0.001,0.01". Or
      random=N trials drawn from ranges=.
    verbose: as train()'s, for every trial.
    **settings: sweep.py's flags: ranges=, seed=, sweep_dir=, and every
      train() setting, given to every trial.

  Returns:
    A SweepResult: its results' params are Python values, as given.

  Raises:
    Interrupted: SIGINT stopped a trial; its result is the SweepResult so
      far. Run it again: finished trials are skipped, the unfinished one
      resumes.
  """
  _check_verbose('legacy_dnn.sweep', verbose)
  if grid is not None and not isinstance(grid, str):
    grid = settings_lib.check_grid('legacy_dnn.sweep', grid, config.PER_RUN)
  fv = config.parse_settings(
      'legacy_dnn.sweep', settings_lib.TRAIN + settings_lib.SWEEP,
      dict(settings, variant=variant, grid=grid, random=random))
  if fv.parallel != 1:
    raise UserError('legacy_dnn.sweep: parallel=%d: trials run one after '
                    'another in this process; scripts/sweep.py --parallel '
                    'runs them in processes of their own' % fv.parallel)
  with _output(verbose):
    from legacy_dnn import sweeps  # pylint: disable=g-import-not-at-top
    run = sweeps.from_flags(fv)
    base = sweeps.start(run, 'sweep_dir')
    status = sweeps.run_sequentially(run, base)
    results, csv_path = run.report()
  table = (sweeps.table(results, list(run.trials[0].params), run.head)
           if csv_path else '')
  if table and verbose:
    with _output(verbose):
      reporting.say(table)
  swept = SweepResult(run.sweep_dir, [
      dict(r, params={name: settings_lib.from_text(name, text)
                      for name, text in r['params'].items()})
      for r in results], table, bool(status))
  if swept.interrupted:
    raise Interrupted(SWEEP_INTERRUPTED, swept)
  return swept


def load_data(dataset='mnist', data_dir=None, validation_size=None,
              mirror=None):
  """A dataset as training splits it: float32 images in [0, 1] (rows of
  features for a regression dataset), int labels.

  Args:
    dataset: mnist, fashion_mnist, cifar10, california_housing or cosine.
    data_dir, mirror: where its files are (train.py's flags); by default
      the cache, Debian's Fashion-MNIST, then a download.
    validation_size: training images held out from the front; default the
      dataset's (5,000).

  Returns:
    data.Splits: train, validation and test as (inputs, labels), and
    source, the folder read.
  """
  values = settings_lib.check('legacy_dnn.load_data', settings_lib.TRAIN,
                              dict(dataset=dataset, data_dir=data_dir,
                                   mirror=mirror,
                                   validation_size=validation_size))
  chosen = data.DATASETS[values['dataset'] or 'mnist']
  return data.load(chosen, values['data_dir'], mirror=values['mirror'],
                   validation_size=values['validation_size'] or
                   chosen.validation_size)
