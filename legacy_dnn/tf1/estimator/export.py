"""tf.estimator.export of TensorFlow 1.15: what a SavedModel's serving
signature receives (ServingInputReceiver and the functions that build one)
and serves (PredictOutput, ClassificationOutput, RegressionOutput, which
are TensorFlow's own), and the exporters train_and_evaluate calls."""

import collections
import os
import shutil

import tensorflow as tf

from tensorflow.python.saved_model.model_utils import export_output  # pylint: disable=g-direct-tensorflow-import

PredictOutput = export_output.PredictOutput
ClassificationOutput = export_output.ClassificationOutput
RegressionOutput = export_output.RegressionOutput
ExportOutput = export_output.ExportOutput

# The names TF 1.15 gave a lone tensor.
_SINGLE_FEATURE = 'feature'
_SINGLE_RECEIVER = 'input'


def _tensor_dict(value, single_key, what):
  if value is None:
    return None
  if not isinstance(value, dict):
    value = {single_key: value}
  for name, tensor in value.items():
    if not isinstance(name, str):
      raise ValueError('%s keys must be strings: %r' % (what, name))
    if not isinstance(tensor, (tf.Tensor, tf.SparseTensor)):
      raise ValueError('%s %r must be a Tensor or SparseTensor, given %r'
                       % (what, name, tensor))
  return value


class ServingInputReceiver(collections.namedtuple(
    'ServingInputReceiver',
    ['features', 'receiver_tensors', 'receiver_tensors_alternatives'])):
  """What a serving_input_receiver_fn returns: the features the model_fn
  gets, and the tensors a request feeds (receiver_tensors)."""

  def __new__(cls, features, receiver_tensors,
              receiver_tensors_alternatives=None):
    if features is None:
      raise ValueError('features must be defined.')
    features = _tensor_dict(features, _SINGLE_FEATURE, 'feature')
    receiver_tensors = _tensor_dict(receiver_tensors, _SINGLE_RECEIVER,
                                    'receiver_tensor')
    if receiver_tensors_alternatives is not None:
      if not isinstance(receiver_tensors_alternatives, dict):
        raise ValueError('receiver_tensors_alternatives must be a dict: %r'
                         % (receiver_tensors_alternatives,))
      receiver_tensors_alternatives = {
          name: _tensor_dict(tensors, _SINGLE_RECEIVER, 'receiver_tensor')
          for name, tensors in receiver_tensors_alternatives.items()}
    return super().__new__(cls, features, receiver_tensors,
                           receiver_tensors_alternatives)


class TensorServingInputReceiver(collections.namedtuple(
    'TensorServingInputReceiver',
    ['features', 'receiver_tensors', 'receiver_tensors_alternatives'])):
  """A ServingInputReceiver whose features the model_fn gets as one tensor,
  not a dict."""

  def __new__(cls, features, receiver_tensors,
              receiver_tensors_alternatives=None):
    if not isinstance(features, (tf.Tensor, tf.SparseTensor)):
      raise ValueError('features must be a Tensor or SparseTensor, given %r'
                       % (features,))
    receiver = ServingInputReceiver(features, receiver_tensors,
                                    receiver_tensors_alternatives)
    return super().__new__(cls, features, receiver.receiver_tensors,
                           receiver.receiver_tensors_alternatives)


def build_raw_serving_input_receiver_fn(features, default_batch_size=None):
  """A serving_input_receiver_fn that feeds placeholders of the dtypes and
  shapes of features (a dict of tensors) straight to the model_fn."""

  def serving_input_receiver_fn():
    receivers = {}
    for name, tensor in features.items():
      shape = [default_batch_size] + tensor.get_shape().as_list()[1:]
      receivers[name] = tf.compat.v1.placeholder(
          tensor.dtype, shape=shape, name=tensor.op.name)
    return ServingInputReceiver(receivers, receivers.copy())

  return serving_input_receiver_fn


def build_parsing_serving_input_receiver_fn(feature_spec,
                                            default_batch_size=None):
  """A serving_input_receiver_fn that parses serialized tf.Example protos
  (the request's 'examples') with feature_spec."""

  def serving_input_receiver_fn():
    serialized = tf.compat.v1.placeholder(
        tf.string, shape=[default_batch_size], name='input_example_tensor')
    features = tf.compat.v1.io.parse_example(serialized, feature_spec)
    return ServingInputReceiver(features, {'examples': serialized})

  return serving_input_receiver_fn


class Exporter:
  """What train_and_evaluate calls after each evaluation."""

  name = None

  def export(self, estimator, export_path, checkpoint_path, eval_result,
             is_the_final_export):
    raise NotImplementedError


class FinalExporter(Exporter):
  """Exports the model once, after the last evaluation of training."""

  def __init__(self, name, serving_input_receiver_fn, assets_extra=None,
               as_text=False):
    self.name = name
    self._receiver_fn = serving_input_receiver_fn
    self._assets_extra = assets_extra
    self._as_text = as_text

  def export(self, estimator, export_path, checkpoint_path, eval_result,
             is_the_final_export):
    del eval_result
    if not is_the_final_export:
      return None
    return estimator.export_saved_model(
        export_path, self._receiver_fn, assets_extra=self._assets_extra,
        as_text=self._as_text, checkpoint_path=checkpoint_path)


class LatestExporter(FinalExporter):
  """Exports the model after every evaluation, keeping the newest
  exports_to_keep (None: all)."""

  def __init__(self, name, serving_input_receiver_fn, assets_extra=None,
               as_text=False, exports_to_keep=5):
    super().__init__(name, serving_input_receiver_fn, assets_extra, as_text)
    if exports_to_keep is not None and exports_to_keep <= 0:
      raise ValueError('`exports_to_keep`, if provided, must be a positive '
                       'number. Got %s' % exports_to_keep)
    self._exports_to_keep = exports_to_keep

  def export(self, estimator, export_path, checkpoint_path, eval_result,
             is_the_final_export):
    del eval_result, is_the_final_export
    path = estimator.export_saved_model(
        export_path, self._receiver_fn, assets_extra=self._assets_extra,
        as_text=self._as_text, checkpoint_path=checkpoint_path)
    if self._exports_to_keep:
      exports = sorted(name for name in os.listdir(export_path)
                       if name.isdigit())
      for name in exports[:-self._exports_to_keep]:
        shutil.rmtree(os.path.join(export_path, name), ignore_errors=True)
    return path
