"""Heads: what a network predicts, and how its outputs become a loss, a
metric, the lines a run prints, the test figures a sweep ranks, and the
outputs a SavedModel serves.

A preset names its head (presets.CLASSES or presets.REGRESSION); of() gives
the object that knows it, so the training loop, evaluation, export and
sweeps ask the head, and never ask "is this a regressor". (Estimator heads
in tensorflow_estimator/python/estimator/head/ play the same part.)
"""

import math

import numpy as np
import tensorflow as tf

from legacy_dnn import presets


def softmax_cross_entropy(logits, y):
  """Mean softmax cross-entropy of logits against int64 labels y [batch].

  With op determinism on, tf.nn.sparse_softmax_cross_entropy_with_logits
  swaps its fused kernel for about thirty ops (log-softmax, gather, label
  checks, and their gradients), because the GPU kernel is not deterministic.
  The CPU kernel is: each row's loss and gradient come from that row alone.
  So on a machine without a GPU the fused op is used directly, which makes
  homl's step 5-8% faster (docs/speed.md).
  """
  with tf.name_scope('loss'):
    if tf.config.list_physical_devices('GPU'):
      xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=y, logits=logits)
    else:
      xentropy, _ = tf.raw_ops.SparseSoftmaxCrossEntropyWithLogits(
          features=logits, labels=y, name='SparseSoftmaxCrossEntropyWithLogits')
    return tf.reduce_mean(xentropy, name='loss')


def accuracy(logits, y):
  """Fraction of examples whose highest logit is the label (float32 scalar)."""
  with tf.name_scope('eval'):
    correct = tf.equal(tf.argmax(logits, 1), y)
    return tf.reduce_mean(tf.cast(correct, tf.float32), name='accuracy')


def mse(outputs, y):
  """Mean squared error of a regressor's outputs [batch, 1] against float32
  targets y [batch], as Keras's MeanSquaredError computes it."""
  with tf.name_scope('mse'):
    return tf.reduce_mean(tf.square(y - outputs[:, 0]), name='mse')


def weighted_mse(outputs, aux_outputs, y, weights):
  """The loss a regressor minimizes: the weighted MSEs of its output and its
  auxiliary heads, as Keras's loss_weights weigh them.

  Args:
    outputs: [batch, 1], the output layer's.
    aux_outputs: [batch, 1] each, the auxiliary heads', in order.
    y: float32 [batch].
    weights: one per output, the main first.

  Returns:
    (loss, MSE of outputs, [MSE of each auxiliary head]).
  """
  main = mse(outputs, y)
  aux_losses = [mse(h, y) for h in aux_outputs]
  if not aux_outputs and weights[0] == 1:
    return main, main, []
  with tf.name_scope('loss'):
    return tf.add_n([w * l for w, l in zip(weights, [main] + aux_losses)],
                    name='loss'), main, aux_losses


class Classes:
  """Softmax over the dataset's classes, scored by cross-entropy."""
  metric_name = 'accuracy'  # Of the epoch line.
  target_dtype = tf.int64
  # The test figure a sweep ranks by, and whether higher is better.
  rank_metric, higher_is_better = 'test_accuracy', True
  # (tag, display name) of the test figures, and of the validation curves.
  test_metric_names = (('test_accuracy', 'test accuracy'),
                       ('test_loss', 'test loss'))
  validation_metric_names = (('accuracy', 'validation accuracy'),
                             ('loss', 'validation loss'))
  serving_input = 'images'
  # What an exported model applies to the output layer, as the serving
  # signature's probabilities do (a Keras activation's name).
  output_activation = 'softmax'
  # The serving output that evaluation reads, as predictions() gives it.
  served_output = 'probabilities'
  # Whether the outputs are classes: evaluate.py reports per-class accuracy
  # and a confusion matrix, and can project the images they were given.
  per_class = True

  def losses(self, logits, aux_outputs, y, weights):
    """(loss, metric, [auxiliary heads' losses]) of a batch."""
    del aux_outputs, weights  # A classifier has one head.
    return softmax_cross_entropy(logits, y), accuracy(logits, y), []

  def metric_sum(self, metric, n):
    """A chunk's share of a split's metric: its right answers, counted."""
    return round(metric * n)

  def summary_metric(self, metric):
    """The metric as TensorBoard's `accuracy` tag shows it."""
    return metric

  def test_metrics(self, test_loss, test_metric):
    return {'test_accuracy': test_metric, 'test_loss': test_loss}

  def report(self, test_metrics, dataset):
    """The lines after `Best model:`."""
    del dataset
    return ['Accuracy: %.4f' % test_metrics['test_accuracy']]

  def example(self, label, output):
    """The labs' "get one and predict" for one test example."""
    return ['Label: [%d]' % label,
            'Prediction: [%d]' % output.argmax()]

  def predictions(self, logits):
    """What evaluation reads: softmax probabilities [batch, classes]."""
    return tf.nn.softmax(logits, name='probabilities')

  def compare(self, outputs, reference, targets):
    """Lines scoring outputs, another runtime's served_output for the test
    examples, against targets and against reference, ours."""
    classes, ours = outputs.argmax(1), reference.argmax(1)
    return ['Test accuracy: %.4f (the float model: %.4f)'
            % (np.mean(classes == targets), np.mean(ours == targets)),
            'Same class as the float model: %.2f%% of %d test examples'
            % (100 * np.mean(classes == ours), len(targets)),
            'Largest probability difference: %.2e'
            % np.abs(outputs - reference).max()]

  def serving_outputs(self, logits, aux_outputs):
    del aux_outputs
    return {'probabilities': tf.nn.softmax(logits, name='probabilities'),
            'classes': tf.argmax(logits, 1, output_type=tf.int64,
                                 name='classes')}


class Regression:
  """One linear output unit (and any auxiliary heads), scored by MSE."""
  metric_name = 'MSE'
  target_dtype = tf.float32
  rank_metric, higher_is_better = 'test_mse', False
  test_metric_names = (('test_mse', 'test MSE'), ('test_rmse', 'test RMSE'),
                       ('test_loss', 'test loss'))
  validation_metric_names = (('loss', 'validation loss'),)
  serving_input = 'features'
  output_activation = None
  served_output = 'predictions'
  per_class = False

  def losses(self, outputs, aux_outputs, y, weights):
    return weighted_mse(outputs, aux_outputs, y, weights)

  def metric_sum(self, metric, n):
    """A chunk's share: its MSE weighted by its size."""
    return metric * n

  def summary_metric(self, metric):
    """None: the MSE is the loss's, or a head's curve (head_losses)."""
    del metric

  def test_metrics(self, test_loss, test_metric):
    return {'test_mse': test_metric, 'test_rmse': math.sqrt(test_metric),
            'test_loss': test_loss}

  def report(self, test_metrics, dataset):
    unit = (' (in units of %s)' % dataset.target_unit if dataset.target_unit
            else '')
    return ['Test RMSE: %.4f%s' % (test_metrics['test_rmse'], unit),
            'Test MSE: %.4f' % test_metrics['test_mse']]

  def example(self, label, output):
    return ['Label: %.3f' % label, 'Prediction: %.3f' % output[0]]

  def predictions(self, outputs):
    """What evaluation reads: the predictions [batch]."""
    return tf.identity(outputs[:, 0], name='predictions')

  def compare(self, outputs, reference, targets):
    outputs = outputs.reshape(-1)
    mse, ours = (np.mean((o - targets)**2) for o in (outputs, reference))
    return ['Test MSE: %.4f (the float model: %.4f, %+.2f%%)'
            % (mse, ours, 100 * (mse / ours - 1)),
            'Largest prediction difference: %.2e'
            % np.abs(outputs - reference).max()]

  def serving_outputs(self, outputs, aux_outputs):
    served = {'predictions': tf.identity(outputs, name='predictions')}
    for scope, output in aux_outputs.items():
      served[scope] = tf.identity(output, name=scope)
    return served


HEADS = {presets.CLASSES: Classes(), presets.REGRESSION: Regression()}


def of(net):
  """The head of a network: a Preset or a TrainConfig."""
  return HEADS[net.head]
