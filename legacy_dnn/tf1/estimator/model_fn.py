"""tf.estimator's ModeKeys and EstimatorSpec, with TF 1.15's checks: what
a model_fn returns for each mode."""

import collections

import numpy as np
import tensorflow as tf

from tensorflow.python.saved_model.model_utils import export_output  # pylint: disable=g-direct-tensorflow-import


class ModeKeys:
  """The three modes an Estimator calls its model_fn in."""
  TRAIN = 'train'
  EVAL = 'eval'
  PREDICT = 'infer'


# The key of the metric every evaluation reports: the mean of the loss.
LOSS_METRIC_KEY = 'loss'
# The signature a SavedModel's serving uses unless told otherwise.
DEFAULT_SERVING_KEY = (
    tf.compat.v1.saved_model.signature_constants
    .DEFAULT_SERVING_SIGNATURE_DEF_KEY)

_FIELDS = ('mode', 'predictions', 'loss', 'train_op', 'eval_metric_ops',
           'export_outputs', 'training_chief_hooks', 'training_hooks',
           'scaffold', 'evaluation_hooks', 'prediction_hooks')


def _tensor(value, what):
  if not isinstance(value, (tf.Tensor, tf.Variable, tf.Operation)):
    raise TypeError('%s must be a Tensor, given: %r' % (what, value))
  return value


def check_steps(what, name, value):
  """A ValueError naming what and name unless value is None or a positive
  int (numpy's too): the steps and max_steps of train, evaluate and the
  specs."""
  if value is not None and (isinstance(value, bool) or
                            not isinstance(value, (int, np.integer)) or
                            value <= 0):
    raise ValueError('%s: Must specify %s > 0, given: %r'
                     % (what, name, value))


def check_hooks(hooks, what):
  """hooks (None or an iterable) as a tuple of SessionRunHooks; a
  TypeError naming what for any other."""
  hooks = tuple(hooks or ())
  for hook in hooks:
    if not isinstance(hook, tf.compat.v1.train.SessionRunHook):
      raise TypeError('%s: all hooks must be SessionRunHook instances, '
                      'given: %r' % (what, hook))
  return hooks


def _metric_ops(eval_metric_ops):
  """{name: (value, update_op)}, a tf.metrics pair or a Keras metric."""
  checked = {}
  for name, metric in (eval_metric_ops or {}).items():
    if isinstance(metric, (tuple, list)) and len(metric) == 2:
      checked[name] = (_tensor(metric[0], 'eval_metric_ops[%r][0]' % name),
                       _tensor(metric[1], 'eval_metric_ops[%r][1]' % name))
    else:
      raise TypeError('eval_metric_ops[%r] must be a (metric_tensor, '
                      'update_op) tuple, as tf.metrics.* return, given: %r'
                      % (name, metric))
  return checked


def _export_outputs(export_outputs, predictions):
  """What a SavedModel serves: export_outputs, or else the predictions
  under the default serving key, as TF 1.15 made them."""
  if export_outputs is None:
    return {DEFAULT_SERVING_KEY: export_output.PredictOutput(predictions)}
  if not isinstance(export_outputs, dict):
    raise TypeError('export_outputs must be a dict, given: %r'
                    % (export_outputs,))
  for key, value in export_outputs.items():
    if not isinstance(value, export_output.ExportOutput):
      raise TypeError('Values in export_outputs must be ExportOutput '
                      'objects (tf.estimator.export.PredictOutput, ...); '
                      'export_outputs[%r] is %r' % (key, value))
  return dict(export_outputs)


class EstimatorSpec(collections.namedtuple('EstimatorSpec', _FIELDS)):
  """What a model_fn returns: the ops and objects of one mode.

  TRAIN needs loss and train_op, EVAL loss, PREDICT predictions; loss is a
  scalar. As TF 1.15's.
  """

  def __new__(cls, mode, predictions=None, loss=None, train_op=None,
              eval_metric_ops=None, export_outputs=None,
              training_chief_hooks=None, training_hooks=None, scaffold=None,
              evaluation_hooks=None, prediction_hooks=None):
    if mode not in (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT):
      raise ValueError('mode must be one of tf.estimator.ModeKeys '
                       '(train, eval, infer), given: %r' % (mode,))
    if mode == ModeKeys.TRAIN and train_op is None:
      raise ValueError('Missing train_op.')
    if mode in (ModeKeys.TRAIN, ModeKeys.EVAL) and loss is None:
      raise ValueError('Missing loss.')
    if loss is not None:
      loss = _tensor(loss, 'loss')
      if loss.shape.ndims not in (None, 0) and loss.shape.num_elements() != 1:
        raise ValueError('Loss must be scalar, given: %r' % (loss,))
      loss = tf.reshape(loss, []) if loss.shape.ndims else loss
    if mode == ModeKeys.PREDICT and predictions is None:
      raise ValueError('Missing predictions.')
    if isinstance(predictions, dict):
      predictions = {key: _tensor(value, 'predictions[%r]' % key)
                     for key, value in predictions.items()}
    elif predictions is not None:
      predictions = _tensor(predictions, 'predictions')
    if train_op is not None:
      train_op = _tensor(train_op, 'train_op')
    if mode == ModeKeys.PREDICT:
      export_outputs = _export_outputs(export_outputs, predictions)
    scaffold = scaffold or tf.compat.v1.train.Scaffold()
    if not isinstance(scaffold, tf.compat.v1.train.Scaffold):
      raise TypeError('scaffold must be tf.train.Scaffold, given: %r'
                      % (scaffold,))
    return super().__new__(
        cls, mode=mode, predictions=predictions, loss=loss,
        train_op=train_op, eval_metric_ops=_metric_ops(eval_metric_ops),
        export_outputs=export_outputs,
        training_chief_hooks=check_hooks(training_chief_hooks,
                                         'training_chief_hooks'),
        training_hooks=check_hooks(training_hooks, 'training_hooks'),
        scaffold=scaffold,
        evaluation_hooks=check_hooks(evaluation_hooks,
                                     'evaluation_hooks'),
        prediction_hooks=check_hooks(prediction_hooks,
                                     'prediction_hooks'))
