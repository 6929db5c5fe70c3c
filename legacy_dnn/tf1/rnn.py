"""TF 1.15's RNN functions (tf.nn.dynamic_rnn, bidirectional_dynamic_rnn,
raw_rnn, static_rnn, static_bidirectional_rnn, static_state_saving_rnn):
TensorFlow's own, which run legacy_dnn.tf1.rnn_cell's cells as they are,
given a Keras 3 cell (tf.keras.layers.SimpleRNNCell, ...) adapted
(rnn_cell.KerasCell), as TF 1.15's took tf.keras's cells.
"""

import functools

import tensorflow as tf

from legacy_dnn.tf1.rnn_cell import keras_cell


def _adapting(function, *cells):
  """function with its cell arguments (cells: (position, keyword) pairs)
  passed through keras_cell."""

  @functools.wraps(function)
  def adapted(*args, **kwargs):
    args = list(args)
    for position, keyword in cells:
      if position < len(args):
        args[position] = keras_cell(args[position])
      elif keyword in kwargs:
        kwargs[keyword] = keras_cell(kwargs[keyword])
    return function(*args, **kwargs)

  return adapted


_nn = tf.compat.v1.nn
dynamic_rnn = _adapting(_nn.dynamic_rnn, (0, 'cell'))
bidirectional_dynamic_rnn = _adapting(_nn.bidirectional_dynamic_rnn,
                                      (0, 'cell_fw'), (1, 'cell_bw'))
raw_rnn = _adapting(_nn.raw_rnn, (0, 'cell'))
static_rnn = _adapting(_nn.static_rnn, (0, 'cell'))
static_bidirectional_rnn = _adapting(_nn.static_bidirectional_rnn,
                                     (0, 'cell_fw'), (1, 'cell_bw'))
static_state_saving_rnn = _adapting(_nn.static_state_saving_rnn,
                                    (0, 'cell'))

# What this module gives tf.nn (legacy_dnn.v1) and tf.contrib.rnn.
FUNCTIONS = ('dynamic_rnn', 'bidirectional_dynamic_rnn', 'raw_rnn',
             'static_rnn', 'static_bidirectional_rnn',
             'static_state_saving_rnn')
