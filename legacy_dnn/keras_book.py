"""The sources' own Keras code for the regression presets, as they wrote it.

Hands-On ML, chapter 10: the Sequential regressor and the WideAndDeepModel
subclass, trained on features that StandardScaler standardized; the
Fashion-MNIST exam's Q4: Dense(1) on cos(k t). The tests start our graphs
from these models' weights and compare them step for step, and docs/regression.md's
reference figures and scripts/benchmark.py's Keras rows train them.

Keras is imported when a model is built, never by importing this module.
"""

import numpy as np

from legacy_dnn import data


def _keras():
  import keras  # pylint: disable=g-import-not-at-top
  return keras


def sequential_regressor(n_features=8, units=30, learning_rate=1e-3):
  """The book's keras.models.Sequential: Dense(30, relu), Dense(1), SGD."""
  keras = _keras()
  model = keras.models.Sequential([
      keras.Input((n_features,)),
      keras.layers.Dense(units, activation='relu'),
      keras.layers.Dense(1)
  ])
  model.compile(loss='mean_squared_error',
                optimizer=keras.optimizers.SGD(learning_rate=learning_rate))
  return model


def wide_and_deep(units=30, learning_rate=1e-3, wide=5, deep=6):
  """The book's WideAndDeepModel, compiled with loss_weights=[0.9, 0.1].

  Built on inputs of wide and deep features, so its weights exist.
  """
  keras = _keras()

  class WideAndDeepModel(keras.models.Model):
    """Hands-On ML's subclassed model, as the book wrote it."""

    def __init__(self, units=30, activation='relu', **kwargs):
      super().__init__(**kwargs)
      self.hidden1 = keras.layers.Dense(units, activation=activation)
      self.hidden2 = keras.layers.Dense(units, activation=activation)
      self.main_output = keras.layers.Dense(1)
      self.aux_output = keras.layers.Dense(1)

    def call(self, inputs):
      input_a, input_b = inputs
      hidden1 = self.hidden1(input_b)
      hidden2 = self.hidden2(hidden1)
      concat = keras.layers.concatenate([input_a, hidden2])
      main_output = self.main_output(concat)
      aux_output = self.aux_output(hidden2)
      return main_output, aux_output

  model = WideAndDeepModel(units, activation='relu')
  model((np.zeros((1, wide), np.float32), np.zeros((1, deep), np.float32)))
  # The book's second edition passed loss='mse', which Keras 3 refuses for
  # two outputs ("loss_weights must match the number of losses"); its third
  # edition's loss=('mse', 'mse') is the same loss.
  model.compile(loss=('mse', 'mse'), loss_weights=(0.9, 0.1),
                optimizer=keras.optimizers.SGD(learning_rate=learning_rate))
  return model


def cosine_net(n_features=5):
  """The exam's net: tf.keras.Sequential([Dense(1)]), mse, Adam."""
  keras = _keras()
  net = keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(1)])
  net.compile(loss='mse', optimizer='adam')
  return net


def weights(model):
  """{our variable name: value} of one of the models above, named as our
  graph names them (hidden1/kernel, ..., outputs/bias or main_output/...,
  aux_output/...)."""
  if hasattr(model, 'main_output'):  # The subclass names its layers.
    layers = {name: getattr(model, name) for name in
              ('hidden1', 'hidden2', 'main_output', 'aux_output')}
  else:
    dense = [l for l in model.layers if l.weights]
    names = ['hidden%d' % (i + 1) for i in range(len(dense) - 1)] + [
        'outputs']
    layers = dict(zip(names, dense))
  return {'%s/%s' % (name, part): w.numpy() for name, layer in layers.items()
          for part, w in zip(('kernel', 'bias'), (layer.kernel, layer.bias))}


def standardized(train, *others):
  """StandardScaler's fit_transform on train, transform on the others,
  in float64 as scikit-learn computes it, cast to float32 as Keras feeds
  it."""
  mean, std = data.scaler(train)
  return [((np.asarray(x, np.float64) - mean) / std).astype(np.float32)
          for x in (train,) + others]
