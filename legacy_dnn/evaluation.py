"""Scoring a saved model: restore into a fresh graph, predict, summarize.

A model_dir records its run's settings (run.json), so a model is restored
from the model_dir alone. A checkpoint without one, written by other TF1
code, is described by the flags instead. The Saver covers the network's
variables only (the trainable ones and the batch norms' moving averages), so
any checkpoint holding them works: best model, rolling checkpoint, or the
Hands-On ML notebook's `saver.save(sess, path)`.
"""

import dataclasses
import datetime
import os

import numpy as np
import tensorflow as tf
# The loader behind tf.compat.v1.saved_model.load, as an object: the graph
# it parsed can be checked before it loads it.
from tensorflow.python.saved_model import loader_impl

from legacy_dnn import checkpoints
from legacy_dnn import config as config_lib
from legacy_dnn import data
from legacy_dnn import savedmodel
from legacy_dnn import loop
from legacy_dnn import model
from legacy_dnn import precision
from legacy_dnn import presets
from legacy_dnn import projector
from legacy_dnn import summaries
from legacy_dnn import untrusted
from legacy_dnn import errors
from legacy_dnn.errors import CheckpointError, UserError


@dataclasses.dataclass
class SavedModel:
  """A restored model, ready to score images."""
  config: config_lib.TrainConfig
  checkpoint: str
  sess: tf.compat.v1.Session
  model: model.Model
  # float32 [batch, 10], softmax of the logits; a regressor's predictions,
  # float32 [batch].
  probabilities: tf.Tensor

  def _in_chunks(self, tensor, images):
    """tensor's values for images, one session call per evaluation chunk."""
    chunk = loop.eval_chunk(self.config)
    return [self.sess.run(tensor, model.feed(self.model,
                                             images[start:start + chunk]))
            for start in range(0, len(images), chunk)]

  def predict(self, images):
    """Softmax probabilities, float32 [n, 10], for float32 [n, 784] images;
    a regressor's predictions, float32 [n], for raw feature rows."""
    return np.concatenate(
        self._in_chunks(self.probabilities, images) or
        [np.zeros((0,) + tuple(self.probabilities.shape[1:]), np.float32)])

  def activations(self, images, layer):
    """The output of a layer's block for images, float32 [n, units] (a
    convolutional block's feature maps flattened)."""
    return np.concatenate(self._in_chunks(self.model.layer_outputs[layer],
                                          images)).reshape(len(images), -1)

  def loss_and_accuracy(self, images, labels):
    """Mean loss and accuracy, computed as training computes them."""
    return loop.evaluate(self.sess, self.model, (images, labels),
                         loop.eval_chunk(self.config))

  def variable(self, name):
    """The restored value of a network variable, e.g. 'outputs/kernel'."""
    (variable,) = [v for v in self.sess.graph.get_collection(
        tf.compat.v1.GraphKeys.GLOBAL_VARIABLES) if v.op.name == name]
    return self.sess.run(variable)

  def close(self):
    self.sess.close()


@dataclasses.dataclass
class ServingModel:
  """A SavedModel's serving_default signature, loaded to predict."""
  path: str  # The version folder.
  dataset: data.Dataset
  sess: tf.compat.v1.Session
  images: tf.Tensor
  probabilities: tf.Tensor

  def predict(self, images):
    """Probabilities, float32 [n, 10], for images of the input's shape."""
    return self.sess.run(self.probabilities, {self.images: images})

  def close(self):
    self.sess.close()


def load_export(export_dir, dataset=None, trust=False):
  """Loads a SavedModel of ours (or any with our signature) to predict.

  Its graph is checked before any of it runs (untrusted.check_meta_graph),
  unless trust.

  Args:
    export_dir: a version folder, or a base path whose highest numbered
      version is loaded, as TensorFlow Serving would.
    dataset: the dataset's name, if not the one the export records; for an
      export without a record, a [32, 32, 3] input is taken as CIFAR-10's,
      any other as MNIST's.
    trust: run its graph whatever ops it holds.

  Raises:
    CheckpointError: no SavedModel there, or not one with our signature.
    UntrustedGraphError: its graph holds an op that our models never run.
  """
  version_dir = savedmodel.latest_version(export_dir)
  if version_dir is None:
    raise CheckpointError('--saved_model=%s: no saved_model.pb there or in a '
                          'numbered version folder' % export_dir)
  what = '--saved_model=%s' % version_dir
  graph = tf.Graph()
  sess = tf.compat.v1.Session(graph=graph)
  try:
    # The loader parses the file once; the graph checked is the one it
    # loads.
    loader = loader_impl.SavedModelLoader(version_dir)
    meta_graph = loader.get_meta_graph_def_from_tags([savedmodel.TAG])
    if not trust:
      untrusted.check_meta_graph(meta_graph, what, savedmodel.SIGNATURE)
    with graph.as_default():
      loader.load(sess, [savedmodel.TAG])
    signature = meta_graph.signature_def.get(savedmodel.SIGNATURE)
    if (signature is None or savedmodel.INPUTS not in signature.inputs or
        savedmodel.PROBABILITIES not in signature.outputs):
      raise CheckpointError(
          '%s: its %r signature does not take %r and return %r, as '
          'scripts/export.py writes it' % (what, savedmodel.SIGNATURE,
                                           savedmodel.INPUTS,
                                           savedmodel.PROBABILITIES))
  except (tf.errors.OpError, RuntimeError, OSError) as e:
    sess.close()
    raise CheckpointError('%s: cannot load: %s' % (
        what, errors.tensorflow_message(e))) from None
  except UserError:
    sess.close()
    raise
  images = graph.get_tensor_by_name(signature.inputs[savedmodel.INPUTS].name)
  if dataset is None:
    description = savedmodel.read_description(version_dir) or {}
    dataset = description.get('dataset')
  return ServingModel(
      version_dir, served_dataset(dataset, images.shape[1:].as_list()), sess,
      images,
      graph.get_tensor_by_name(
          signature.outputs[savedmodel.PROBABILITIES].name))


def served_dataset(dataset, input_shape):
  """The Dataset of an exported model: the one named, if any; else, by
  its input shape (without the batch), CIFAR-10's or MNIST's."""
  if dataset in data.DATASETS:
    return data.DATASETS[dataset]
  return (data.CIFAR10 if list(input_shape) == list(data.CIFAR10.input_shape)
          else data.DATASETS['mnist'])


def run_config(model_dir, data_dir=None, mirror=None):
  """The TrainConfig recorded in model_dir, on the run's own data unless
  data_dir or mirror say otherwise (config.from_record)."""
  record = checkpoints.read_run_record(model_dir)
  if record is None:
    raise CheckpointError(
        '--model_dir=%s: no %s, so not a model_dir that scripts/train.py '
        'wrote' % (model_dir, checkpoints.RUN_FILE))
  return config_lib.from_record(record['settings'], model_dir, data_dir,
                                mirror, record.get('data'))


def locate_model(model_dir, checkpoint, variant, dataset, hidden_units=None,
                 data_dir=None, mirror=None, given=(), filters=None):
  """The TrainConfig and checkpoint prefix of the model a user asks for.

  Args:
    model_dir: a model_dir of ours, or None.
    checkpoint: a checkpoint prefix (or a folder holding one), or None.
    variant, dataset, hidden_units, filters: describe the network and its
      data when the checkpoint has no run.json beside it; variant and
      dataset also pick the default model_dir. Sizes None are the preset's.
    data_dir, mirror: where the data comes from.
    given: the names among variant, dataset and hidden_units that the user
      gave; a run.json that says otherwise is an error.

  Returns:
    (TrainConfig, checkpoint prefix).

  Raises:
    CheckpointError: nothing to restore there, or a run of another kind.
  """
  if checkpoint is not None:
    checkpoint = checkpoints.resolve_prefix(checkpoint, '--checkpoint')
    if model_dir is None:
      beside = os.path.dirname(checkpoint) or '.'
      if checkpoints.read_run_record(beside) is None:
        described = dict(dataset=dataset, data_dir=data_dir, mirror=mirror,
                         model_dir=beside)
        if hidden_units:
          described['hidden_units'] = tuple(hidden_units)
        if filters:
          described['filters'] = tuple(filters)
        return config_lib.for_variant(variant, **described), checkpoint
      model_dir = beside
  model_dir = model_dir or config_lib.default_model_dir(variant, dataset)
  cfg = run_config(model_dir, data_dir, mirror)
  asked = dict(variant=variant, dataset=dataset,
               hidden_units=tuple(hidden_units or ()),
               filters=tuple(filters or ()))
  for name in given:
    if asked[name] != getattr(cfg, name):
      raise CheckpointError('--%s=%s, but --model_dir=%s holds a %s run'
                            % (name, _flag_text(asked[name]), model_dir,
                               _flag_text(getattr(cfg, name))))
  return cfg, checkpoint or checkpoints.best_model(model_dir)


def _flag_text(value):
  return ','.join(map(str, value)) if isinstance(value, tuple) else value


def restore(cfg, checkpoint):
  """Builds cfg's network in a fresh graph and restores a checkpoint into it.

  Args:
    cfg: the TrainConfig that describes the network.
    checkpoint: a checkpoint prefix.

  Returns:
    A SavedModel; close() it when done.

  Raises:
    CheckpointError: its variables do not fit cfg.
  """
  with tf.Graph().as_default() as graph:
    # Evaluation keeps every unit, so the graph needs no dropout ops (which
    # would read the global step, absent from a plain TF1 checkpoint).
    m = model.build(dataclasses.replace(cfg, keep_prob=1.0))
    probabilities = m.head.predictions(m.outputs)
    variables = model.network_variables()
    checkpoints.check_shapes(checkpoint, variables)
    saver = tf.compat.v1.train.Saver(variables)
    graph.finalize()
  sess = tf.compat.v1.Session(graph=graph, config=precision.session_config(
      cfg.precision))
  try:
    checkpoints.restore(sess, saver, checkpoint)
  except CheckpointError:
    sess.close()
    raise
  return SavedModel(cfg, checkpoint, sess, m, probabilities)


def check_projectable(cfg):
  """Raises UserError unless cfg's model takes images, which the Projector
  shows beside their activations."""
  if data.DATASETS[cfg.dataset].is_regression:
    raise UserError('--projector: shows images; %s is a regression '
                    'dataset' % cfg.dataset)


def projector_layer(cfg, layer):
  """The layer whose activations the Projector shows: layer, or by default
  the last before outputs.

  Raises:
    UserError: the network has no such layer.
  """
  layers = presets.layer_names(cfg)
  if layer is None:
    return layers[-2] if len(layers) > 1 else layers[-1]
  if layer not in layers:
    raise UserError('--projector_layer=%s: the network has no layer %s (it '
                    'has %s)' % (layer, layer, ', '.join(layers)))
  return layer


def write_projector(cfg, logdir, layer, activations, images, labels):
  """Writes a layer's activations for images into the Projector's files.

  Args:
    cfg: the model's TrainConfig, as locate_model() returns it.
    logdir: the TensorBoard root; the files go into <logdir>/<the run of
      cfg's model_dir>/projector, or, for a checkpoint without a run.json, a
      new run folder named as train.py names them.
    layer: conv1, ..., hidden1, ..., outputs, as projector_layer() returns.
    activations: float32 [n, units], SavedModel.activations() of images.
    images: float32 [n, ...] as the dataset's arrays hold them.
    labels: int [n].

  Returns:
    The folder written.

  Raises:
    UserError: the folder cannot be written.
  """
  record = checkpoints.read_run_record(cfg.model_dir)
  run_name = record['run_name'] if record else summaries.run_name(
      logdir, config_lib.run_label(cfg.variant, cfg.dataset),
      datetime.datetime.now(datetime.timezone.utc))
  folder = os.path.join(logdir, run_name, projector.FOLDER)
  dataset = data.DATASETS[cfg.dataset]
  projector.write(folder, layer, activations,
                  images.reshape((-1,) + dataset.image_shape), labels,
                  dataset.class_names)
  return folder


def confusion_matrix(labels, predictions, n_classes=data.NUM_CLASSES):
  """int64 [n_classes, n_classes]: rows are labels, columns predictions."""
  counts = np.bincount(n_classes * np.asarray(labels) + predictions,
                       minlength=n_classes * n_classes)
  return counts.reshape(n_classes, n_classes)


def per_class_accuracy(confusion):
  """The fraction of each label's examples predicted right (nan if none)."""
  totals = confusion.sum(axis=1)
  with np.errstate(invalid='ignore', divide='ignore'):
    return np.diag(confusion) / totals


def format_confusion(confusion, class_names):
  """The confusion matrix as text, one row per label."""
  width = max(6, len(str(confusion.max())) + 1)
  label_width = max(len(n) for n in class_names) + 4
  lines = [' ' * label_width + ''.join('%*d' % (width, j)
                                       for j in range(len(class_names)))]
  for i, row in enumerate(confusion):
    lines.append('%-*s' % (label_width, '%d %s' % (i, class_names[i])) +
                 ''.join('%*d' % (width, c) for c in row))
  return '\n'.join(lines)


def regression_metrics(labels, predicted):
  """{'mse', 'rmse', 'mae', 'r2'} of predictions against float targets, in
  float64; R² is 1 - SSE / the targets' sum of squares about their mean."""
  labels = np.asarray(labels, np.float64)
  error = np.asarray(predicted, np.float64) - labels
  mse = float(np.mean(error**2))
  total = float(np.sum((labels - labels.mean())**2))
  return {'mse': mse, 'rmse': float(np.sqrt(mse)),
          'mae': float(np.mean(np.abs(error))),
          'r2': 1 - float(np.sum(error**2)) / total if total else float('nan')}


def sample(n_images, count, seed):
  """count distinct indices into n_images, drawn from seed."""
  rng = np.random.default_rng(seed)
  return rng.choice(n_images, size=min(count, n_images), replace=False)
