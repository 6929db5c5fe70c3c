"""tf.contrib.rnn of TensorFlow 1.15: the core cells (legacy_dnn.tf1.rnn_cell,
the same classes as tf.nn.rnn_cell) and the static RNN functions, which are
TensorFlow's own. The rest of contrib.rnn (LayerNormBasicLSTMCell,
AttentionCellWrapper, the fused and cuDNN cells, ...) is a one-line
NotProvidedError.
"""

from legacy_dnn.tf1 import removed
# pylint: disable=unused-import
from legacy_dnn.tf1.rnn import static_bidirectional_rnn
from legacy_dnn.tf1.rnn import static_rnn
from legacy_dnn.tf1.rnn import static_state_saving_rnn
from legacy_dnn.tf1.rnn_cell import BasicLSTMCell
from legacy_dnn.tf1.rnn_cell import BasicRNNCell
from legacy_dnn.tf1.rnn_cell import DeviceWrapper
from legacy_dnn.tf1.rnn_cell import DropoutWrapper
from legacy_dnn.tf1.rnn_cell import GRUCell
from legacy_dnn.tf1.rnn_cell import LayerRNNCell
from legacy_dnn.tf1.rnn_cell import LSTMCell
from legacy_dnn.tf1.rnn_cell import LSTMStateTuple
from legacy_dnn.tf1.rnn_cell import MultiRNNCell
from legacy_dnn.tf1.rnn_cell import ResidualWrapper
from legacy_dnn.tf1.rnn_cell import RNNCell
# pylint: enable=unused-import


# What else tf.contrib.rnn held in TF 1.15: each a NotProvidedError; any other
# name an AttributeError offering the closest.
TF1_NAMES = (
    'AttentionCellWrapper', 'BidirectionalGridLSTMCell', 'CompiledWrapper',
    'Conv1DLSTMCell', 'Conv2DLSTMCell', 'Conv3DLSTMCell', 'ConvLSTMCell',
    'CoupledInputForgetGateLSTMCell', 'CudnnCompatibleGRUCell',
    'CudnnCompatibleLSTMCell', 'EmbeddingWrapper', 'FusedRNNCell',
    'FusedRNNCellAdaptor', 'GLSTMCell', 'GRUBlockCell', 'GRUBlockCellV2',
    'GridLSTMCell', 'HighwayWrapper', 'IndRNNCell', 'IndyGRUCell',
    'IndyLSTMCell', 'InputProjectionWrapper', 'IntersectionRNNCell',
    'LayerNormBasicLSTMCell', 'LayerNormLSTMCell', 'LSTMBlockCell',
    'LSTMBlockFusedCell', 'LSTMBlockWrapper', 'MinimalRNNCell', 'NASCell',
    'NTMCell', 'OutputProjectionWrapper', 'PhasedLSTMCell', 'SRUCell',
    'TimeFreqLSTMCell', 'TimeReversedFusedRNN', 'UGRNNCell',
    'best_effort_input_batch_size', 'stack_bidirectional_dynamic_rnn',
    'stack_bidirectional_rnn', 'transpose_batch_time')


def __getattr__(name):
  raise removed.attribute(
      'tf.contrib.rnn', {}, name,
      'the cells legacy_dnn.v1 provides in tf.nn.rnn_cell and '
      'tf.contrib.rnn (BasicRNNCell, BasicLSTMCell, LSTMCell, GRUCell, '
      'MultiRNNCell, DropoutWrapper, ResidualWrapper), or Keras 3\'s RNN '
      'layers',
      TF1_NAMES + tuple(n for n in globals() if not n.startswith('_')))
