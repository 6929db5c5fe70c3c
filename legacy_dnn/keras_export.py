"""A trained network as a Keras 3 model: one Keras layer per layer of ours.

Keras 3 reads .keras and .weights.h5 files only; a TF1 checkpoint it cannot
load at all. So the network is built again from its preset's layers as data
(presets.layers), each Keras layer named as our variable scope (hidden1,
conv1, outputs; a layer without variables after its scope: hidden1_relu,
conv1_pool), and the checkpoint's tensors are copied in by name. Only Keras's
own layers are used, so the file loads where legacy_dnn is not installed.

What our graph computes, Keras computes the same way: Dense and Conv2D
(with the preset's padding, and no bias where the preset has none),
MaxPooling2D, BatchNormalization with TF1's epsilon and the preset's
momentum and moving statistics, Dropout at 1 - keep_prob (inactive in
predict), a classifier's softmax, and a regressor's in-graph scaler as a
Normalization layer of its mean and variance.
"""

import keras
import numpy as np
import tensorflow as tf

from legacy_dnn import checkpoints
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import savedmodel
from legacy_dnn import heads
from legacy_dnn import model
from legacy_dnn import presets
from legacy_dnn.errors import UserError

SCALER = 'scaler'


class _Builder:
  """Adds our layers to a Keras functional graph, one method per kind, as
  model._Builder adds them to a TF1 graph."""

  def __init__(self, cfg, wide):
    self.cfg = cfg
    self.wide = list(wide)  # What a concat layer joins, in order.
    self.aux_outputs = []
    # The block's conv or dense layer, after which the layers without
    # variables (scope '') are named.
    self.scope = ''

  def conv(self, x, layer):
    return keras.layers.Conv2D(
        layer.size, self.cfg.kernel_size,
        padding=self.cfg.conv_padding.lower(),
        use_bias=self.cfg.conv_bias_init is not None, name=layer.scope)(x)

  def pool(self, x, layer):
    return keras.layers.MaxPooling2D(
        2, 2, padding=self.cfg.pool_padding.lower(),
        name=self.scope + '_pool')(x)

  def dense(self, x, layer):
    if len(x.shape) > 2:  # After convolutions: NHWC flattened, as ours.
      x = keras.layers.Flatten(name=layer.scope + '_flatten')(x)
    return keras.layers.Dense(layer.size,
                              use_bias=self.cfg.bias_init is not None,
                              name=layer.scope)(x)

  def batch_norm(self, x, layer):
    return keras.layers.BatchNormalization(
        momentum=self.cfg.batch_norm_decay,
        epsilon=model.BATCH_NORM_EPSILON, scale=self.cfg.batch_norm_scale,
        name=layer.scope + '_batch_normalization')(x)

  def relu(self, x, layer):
    return keras.layers.Activation('relu', name=self.scope + '_relu')(x)

  def dropout(self, x, layer):
    if self.cfg.keep_prob >= 1:  # As ours: none without dropout.
      return x
    return keras.layers.Dropout(1 - self.cfg.keep_prob,
                                name=self.scope + '_dropout')(x)

  def concat(self, x, layer):
    del layer
    return keras.layers.Concatenate(name='concat')(self.wide + [x])

  def aux(self, x, layer):
    self.aux_outputs.append(keras.layers.Dense(
        layer.size, use_bias=self.cfg.bias_init is not None,
        name=layer.scope)(x))
    return x


def _scope_of(keras_layer_name):
  """The variable scope of a Keras layer with variables: hidden1 for
  hidden1 and hidden1_batch_normalization."""
  return keras_layer_name.split('_batch_normalization')[0]


def build(cfg, scaler=None):
  """cfg's network as a Keras functional model, weights not yet copied.

  Args:
    cfg: a TrainConfig.
    scaler: a regressor's (mean, stddev) float32 [n_features], for its
      Normalization layers.

  Raises:
    UserError: a layer kind without a Keras counterpart, naming the layer.
  """
  dataset = data.DATASETS[cfg.dataset]
  head = heads.of(cfg)
  if cfg.inputs:
    inputs = [keras.Input((stop - start,), name=name)
              for name, start, stop in cfg.inputs]
    slices = [(start, stop) for _, start, stop in cfg.inputs]
  else:
    inputs = [keras.Input(dataset.input_shape, name=head.serving_input)]
    slices = [(0, int(np.prod(dataset.input_shape)))]
  features = inputs
  if dataset.standardize:
    mean, stddev = scaler
    features = [keras.layers.Normalization(
        mean=mean[start:stop], variance=np.square(stddev[start:stop]),
        name=SCALER if len(inputs) == 1 else '%s_%s' % (x.name, SCALER))(x)
                for x, (start, stop) in zip(inputs, slices)]
  layers = presets.layers(cfg, data.NUM_CLASSES)
  x = features[-1]  # The dense blocks read the last (deep) input.
  if layers[0].kind == presets.CONV and len(x.shape) == 2:
    x = keras.layers.Reshape(dataset.image_shape, name='reshape')(x)
  elif layers[0].kind != presets.CONV and len(x.shape) > 2:
    x = keras.layers.Flatten(name='flatten')(x)
  builder = _Builder(cfg, features[:-1])
  for layer in layers:
    add = getattr(builder, layer.kind, None)
    if add is None:
      raise UserError('layer %s (%s) has no Keras counterpart; a Keras model '
                      'cannot be written' % (layer.scope, layer.kind))
    if layer.kind in (presets.CONV, presets.DENSE):
      builder.scope = layer.scope
    x = add(x, layer)
  if head.output_activation:
    # Named as the SavedModel's output.
    x = keras.layers.Activation(head.output_activation,
                                name=savedmodel.PROBABILITIES)(x)
  outputs = [x] + builder.aux_outputs
  return keras.Model(inputs if len(inputs) > 1 else inputs[0],
                     outputs if len(outputs) > 1 else outputs[0],
                     name='%s_%s' % (cfg.variant, cfg.dataset))


def _weights(layer, reader):
  """The checkpoint's tensors for a Keras layer, in the order of its
  weights."""
  scope = _scope_of(layer.name)
  if isinstance(layer, keras.layers.BatchNormalization):
    names = (['gamma'] if layer.scale else []) + [
        'beta', 'moving_mean', 'moving_variance']
    return [reader.get_tensor('%s/batch_normalization/%s' % (scope, n))
            for n in names]
  return [reader.get_tensor('%s/%s' % (scope, n)) for n in
          (['kernel', 'bias'] if layer.use_bias else ['kernel'])]


def keras_model(cfg, checkpoint):
  """cfg's network with checkpoint's weights, as a Keras 3 model.

  Raises:
    CheckpointError: the checkpoint does not hold cfg's variables, shaped
      alike (checked first, naming the first that does not fit).
    UserError: a layer kind without a Keras counterpart.
  """
  _, _, _, variables = savedmodel.inference_graph(cfg)
  checkpoints.check_shapes(checkpoint, variables)
  reader = tf.train.load_checkpoint(checkpoint)
  scaler = None
  if data.DATASETS[cfg.dataset].standardize:
    scaler = (reader.get_tensor(SCALER + '/mean'),
              reader.get_tensor(SCALER + '/stddev'))
  net = build(cfg, scaler)
  for layer in net.layers:
    if layer.weights and not isinstance(layer, keras.layers.Normalization):
      layer.set_weights(_weights(layer, reader))
  return net


def save(net, path, weights_only=False):
  """Writes net to path (.keras, or .weights.h5 with weights_only), whole
  or not at all: a file already there is replaced only once the new one is
  written.

  Raises:
    UserError: path cannot be written.
  """
  if weights_only:
    return savedmodel.write_file(
        path, lambda staging: net.save_weights(staging, overwrite=True),
        config.EXPORT_SUFFIXES['weights'])
  return savedmodel.write_file(
      path, lambda staging: net.save(staging, overwrite=True),
      config.EXPORT_SUFFIXES['keras'])
