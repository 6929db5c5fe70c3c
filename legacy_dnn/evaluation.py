"""Scoring a saved model: restore into a fresh graph, predict, summarize.

A model_dir records its run's settings (run.json), so a model is restored
from the model_dir alone; the Saver covers the trainable variables only, so
any checkpoint holding them works, best model or rolling checkpoint.
"""

import dataclasses
import os

import numpy as np
import tensorflow as tf

from legacy_dnn import checkpoints
from legacy_dnn import config as config_lib
from legacy_dnn import data
from legacy_dnn import model
from legacy_dnn import training
from legacy_dnn.errors import CheckpointError


@dataclasses.dataclass
class SavedModel:
  """A restored model, ready to score images."""
  config: config_lib.TrainConfig
  checkpoint: str
  sess: tf.compat.v1.Session
  model: model.Model
  probabilities: tf.Tensor  # float32 [batch, 10], softmax of the logits.

  def predict(self, images):
    """Softmax probabilities, float32 [n, 10], for float32 [n, 784] images."""
    chunk = training.EVAL_CHUNK
    return np.concatenate(
        [self.sess.run(self.probabilities,
                       {self.model.X: images[start:start + chunk]})
         for start in range(0, len(images), chunk)] or
        [np.zeros((0, data.NUM_CLASSES), np.float32)])

  def loss_and_accuracy(self, images, labels):
    """Mean loss and accuracy, computed as training computes them."""
    return training.evaluate(self.sess, self.model, (images, labels))

  def close(self):
    self.sess.close()


def run_config(model_dir, data_dir=None, mirror=None):
  """The TrainConfig recorded in model_dir."""
  record = checkpoints.read_run_record(model_dir)
  if record is None:
    raise CheckpointError(
        '--model_dir=%s: no %s, so not a model_dir that scripts/train.py '
        'wrote' % (model_dir, checkpoints.RUN_FILE))
  return config_lib.from_record(record['settings'], model_dir, data_dir,
                                mirror)


def restore(cfg, checkpoint=None):
  """Builds cfg's network in a fresh graph and restores a checkpoint into it.

  Args:
    cfg: the run's TrainConfig.
    checkpoint: a checkpoint prefix; default the best model in cfg.model_dir.

  Returns:
    A SavedModel; close() it when done.

  Raises:
    CheckpointError: no such checkpoint, or its variables do not fit cfg.
  """
  checkpoint = checkpoint or checkpoints.best_model(cfg.model_dir)
  if not os.path.exists(checkpoint + '.index'):
    raise CheckpointError('--checkpoint=%s: no such checkpoint (no %s.index)'
                          % (checkpoint, os.path.basename(checkpoint)))
  with tf.Graph().as_default() as graph:
    # Evaluation keeps every unit, so the graph needs no dropout ops (which
    # would read the global step, absent from a plain TF1 checkpoint).
    m = model.build(dataclasses.replace(cfg, keep_prob=1.0))
    probabilities = tf.nn.softmax(m.logits, name='probabilities')
    variables = tf.compat.v1.trainable_variables()
    checkpoints.check_shapes(checkpoint, variables)
    saver = tf.compat.v1.train.Saver(variables)
    graph.finalize()
  sess = tf.compat.v1.Session(graph=graph)
  try:
    checkpoints.restore(sess, saver, checkpoint)
  except CheckpointError:
    sess.close()
    raise
  return SavedModel(cfg, checkpoint, sess, m, probabilities)


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


def sample(n_images, count, seed):
  """count distinct indices into n_images, drawn from seed."""
  rng = np.random.default_rng(seed)
  return rng.choice(n_images, size=min(count, n_images), replace=False)
