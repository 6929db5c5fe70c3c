"""tf.contrib of TensorFlow 1.15, as far as the teaching networks used it:
tf.contrib.layers (initializers, regularizers, fully_connected, the
convolutions and pools, batch_norm, layer_norm, dropout, flatten,
embed_sequence, optimize_loss, the summaries, ...),
tf.contrib.framework.arg_scope, tf.contrib.rnn's cells
and static RNNs, tf.contrib.seq2seq.sequence_loss and tf.contrib.learn.datasets' MNIST
reader. Any other part of
tf.contrib is a one-line NotProvidedError naming what replaced it.
"""

from legacy_dnn.tf1 import removed
from legacy_dnn.tf1.contrib import framework
from legacy_dnn.tf1.contrib import layers
from legacy_dnn.tf1.contrib import learn
from legacy_dnn.tf1.contrib import rnn
from legacy_dnn.tf1.contrib import seq2seq


def __getattr__(name):
  raise removed.attribute('tf.contrib', removed.CONTRIB, name,
                          removed.TOP_LEVEL['contrib'])
