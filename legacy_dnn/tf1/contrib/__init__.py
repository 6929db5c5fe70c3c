"""tf.contrib of TensorFlow 1.15, as far as the teaching networks used it:
tf.contrib.layers (initializers, regularizers, fully_connected, batch_norm,
dropout, flatten) and tf.contrib.framework.arg_scope. Any other part of
tf.contrib is a one-line NotProvidedError naming what replaced it.
"""

from legacy_dnn.tf1 import removed
from legacy_dnn.tf1.contrib import framework
from legacy_dnn.tf1.contrib import layers


def __getattr__(name):
  raise removed.attribute('tf.contrib', removed.CONTRIB, name,
                          removed.TOP_LEVEL['contrib'])
