"""TensorFlow 1.x on today's TensorFlow: `import legacy_dnn.v1 as tf`.

This module is tf.compat.v1 with TensorFlow 2's behaviour turned off (graphs
and sessions, as TF1 ran), plus what TensorFlow 2.16+ with Keras 3 took
away, rebuilt with TF 1.15's semantics (legacy_dnn.tf1):

- tf.layers: dense, conv1d/2d/3d, conv2d_transpose, separable_conv2d, the
  1-, 2- and 3-D poolings, batch_normalization, dropout, flatten, and their
  classes (Dense, Conv2D, ..., on Layer);
- tf.contrib.layers (xavier_initializer, variance_scaling_initializer,
  l1/l2_regularizer, fully_connected, the convolutions and pools,
  batch_norm, layer_norm, dropout, flatten, embed_sequence,
  apply_regularization, optimize_loss, summarize_*) and
  tf.contrib.framework.arg_scope;
- tf.nn.rnn_cell and tf.contrib.rnn (BasicRNNCell, BasicLSTMCell, LSTMCell,
  GRUCell, MultiRNNCell, DropoutWrapper, ResidualWrapper, DeviceWrapper,
  LSTMStateTuple), which TensorFlow's own tf.nn.dynamic_rnn and its kin
  run (Keras 3's cells too, adapted), and tf.contrib.seq2seq.sequence_loss;
- tf.estimator: Estimator, EstimatorSpec, RunConfig, train_and_evaluate,
  inputs.numpy_input_fn and pandas_input_fn, export, and the canned
  DNN/Linear Classifier/Regressor, on TensorFlow's MonitoredTrainingSession
  (and tf.contrib.learn.datasets' MNIST reader, which its tutorial read);
- tf.examples.tutorials.mnist: input_data.read_data_sets, and mnist, the
  model of TF 1's "Mechanics 101" tutorial (inference, loss, training,
  evaluation).

A removed API not provided here (tf.contrib.slim, tf.contrib.learn's
Estimators, ...) is a
NotProvidedError of one line naming it and what replaced it.

`python -m legacy_dnn.v1 SCRIPT.py [ARGS...]` runs a TF1 script unmodified,
its own `import tensorflow` giving this module; `%load_ext legacy_dnn.v1`
does the same for the cells of a notebook (runner.py). docs/tf1-code.md
lists what is provided and how it differs from TF 1.15.
"""

import sys
import types

from legacy_dnn import cli

# Quietly, as the scripts do (docs/tf1-code.md): TensorFlow's start-up
# chatter, its INFO and WARNING log lines and deprecation notices hidden;
# TF_CPP_MIN_LOG_LEVEL=0 shows them. oneDNN as TensorFlow has it for this
# CPU (TF_ENABLE_ONEDNN_OPTS=1 turns it on everywhere): on CPUs without
# AVX-512 it changes a TF1 script's rounding, and one with N(0, 1) weights
# overflowed to NaN more often with it (docs/tf1-code.md).
_tf = cli.import_tensorflow(onednn=False)

# pylint: disable=g-import-not-at-top,wrong-import-position
from legacy_dnn.tf1 import contrib
from legacy_dnn.tf1 import estimator
from legacy_dnn.tf1 import input_data
from legacy_dnn.tf1 import layers
from legacy_dnn.tf1 import mnist_tutorial
from legacy_dnn.tf1 import removed
from legacy_dnn.tf1 import rnn
from legacy_dnn.tf1 import rnn_cell
from legacy_dnn.v1.runner import load_ipython_extension
from legacy_dnn.v1.runner import unload_ipython_extension

# pylint: enable=g-import-not-at-top,wrong-import-position

_tf.compat.v1.disable_v2_behavior()


def _module(name, doc, **attributes):
  module = types.ModuleType(name, doc)
  module.__dict__.update(attributes)
  return module


# tf.examples.tutorials.mnist's input_data and mnist, as TF1 reached them.
examples = _module(
    __name__ + '.examples', 'tensorflow.examples of TensorFlow 1.15.',
    tutorials=_module(
        __name__ + '.examples.tutorials', None,
        mnist=_module(__name__ + '.examples.tutorials.mnist', None,
                      input_data=input_data, mnist=mnist_tutorial)))


def _nn_getattr(name):
  return getattr(_tf.compat.v1.nn, name)


# tf.nn is TensorFlow's, but for its cells (Keras 3 took TensorFlow's away)
# and the RNN functions, which also take Keras 3's cells.
nn = _module(__name__ + '.nn', 'tf.nn of TensorFlow 1.15.',
             rnn_cell=rnn_cell, __getattr__=_nn_getattr,
             **{name: getattr(rnn, name) for name in rnn.FUNCTIONS})


def _compat_getattr(name):
  return getattr(_tf.compat, name)


# tf.compat.v1 is this module again, so `import tensorflow.compat.v1 as tf`
# and `tf.compat.v1.layers` find the layers above; the rest is TensorFlow's.
compat = _module(__name__ + '.compat', 'tf.compat, with v1 this module.',
                 v1=sys.modules[__name__], v2=_tf.compat.v2,
                 __getattr__=_compat_getattr)


def __getattr__(name):
  if name in removed.TOP_LEVEL:
    raise removed.attribute('tf', removed.TOP_LEVEL, name, '')
  try:
    return getattr(_tf.compat.v1, name)
  except AttributeError:
    raise AttributeError('module %r has no attribute %r (nor has '
                         'tf.compat.v1)' % (__name__, name)) from None


def __dir__():
  return sorted(set(dir(_tf.compat.v1)) | set(globals()))


nn.__dir__ = lambda: sorted(set(dir(_tf.compat.v1.nn)) | {'rnn_cell'})
