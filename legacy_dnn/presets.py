"""The seed networks as data.

Each preset is one of the classic scripts this project ports, with the settings
that script ran with:

* ``plain``, ``xavier``, ``deep``, ``dropout``: "deep learning for everyone"
  lab 10 (``lab-10-1`` ... ``lab-10-5``), Adam 0.001, 15 epochs of batch 100.
* ``batchnorm``: lab 10-7, four batch-normalized layers of 512, Adam 0.01.
* ``cnn``, ``deep_cnn``: lab 11 (``lab-11-1``, ``lab-11-2``), the course's
  convolutional networks.
* ``homl``: Hands-On Machine Learning, chapter 10, exercise 9: two hidden
  layers, plain gradient descent, checkpoints every 5 epochs, early stopping.
* ``small``, ``lenet``, ``cifar_cnn``: the Fashion-MNIST exam's Keras models
  (Q1(5), Q2(1), Q3), with Keras's defaults made explicit.
* ``regression``, ``wide_deep``: Hands-On ML, chapter 10, the California
  housing regressors: the Sequential MLP, and the ``WideAndDeepModel``
  subclass with two inputs and an auxiliary output.
* ``cosine``: the Fashion-MNIST exam's Q4, ``y = b0 + sum bk cos(k t)`` fitted
  by one linear unit.

A network is read from its preset in this order: one convolutional block per
entry of ``filters``, one dense block per entry of ``hidden_units``, then the
output block: 10 units for a classifier's softmax, one linear unit for a
regressor. A block is a tuple of layer kinds, built in order by model.py, one
small function per kind.

A preset with ``inputs`` splits a row of features into named slices, one
placeholder each: the dense blocks read the last one, and a ``concat`` layer
joins the others (the wide part of a wide & deep network) to what reaches it.
"""

import dataclasses
from typing import Optional, Tuple

# Initializer names understood by model.initializer().
RANDOM_NORMAL = 'random_normal'  # tf.random_normal: stddev 1.
RANDOM_NORMAL_SMALL = 'random_normal_0.01'  # lab 11's conv kernels.
GLOROT_UNIFORM = 'glorot_uniform'
ZEROS = 'zeros'

ADAM = 'adam'
SGD = 'sgd'

# Heads: what the output block computes and how the loss scores it.
CLASSES = 'classes'  # Logits of the dataset's classes; softmax cross-entropy.
REGRESSION = 'regression'  # One linear unit; mean squared error.

# Layer kinds.
CONV = 'conv'  # A 2-D convolution, stride 1; conv1/kernel, conv1/bias.
POOL = 'pool'  # 2x2 max-pooling, stride 2.
DENSE = 'dense'  # Fully connected; hidden1/kernel ... outputs/bias.
BATCH_NORM = 'batch_norm'  # Of the layer before: <layer>/batch_normalization.
RELU = 'relu'
DROPOUT = 'dropout'  # Built only when keep_prob < 1.
# Joins the preset's other inputs (the wide part), in order, before what
# reaches it: concat([wide_input, hidden2]), as Keras's concatenate.
CONCAT = 'concat'
# A second, auxiliary head on what reaches it: a linear dense layer of the
# output's size, aux_output/kernel, whose loss is weighted in; what reaches
# it passes on unchanged.
AUX = 'aux'
LAYER_KINDS = (CONV, POOL, DENSE, BATCH_NORM, RELU, DROPOUT, CONCAT, AUX)
AUX_SCOPE = 'aux_output'

SAME, VALID = 'SAME', 'VALID'


@dataclasses.dataclass(frozen=True)
class Preset:
  """Everything that distinguishes one seed network from another."""
  hidden_units: Tuple[int, ...]
  kernel_init: str
  # None: the dense layers have no bias (a batch norm's beta replaces it).
  bias_init: Optional[str]
  optimizer: str
  learning_rate: float
  epochs: int
  batch_size: int
  keep_prob: float = 1.0
  # Epochs without a better validation loss before training stops;
  # None trains for all the epochs, as the lab scripts did.
  patience: Optional[int] = None
  checkpoint_every: int = 1
  dataset: str = 'mnist'  # What --dataset defaults to.
  dense_block: Tuple[str, ...] = (DENSE, RELU, DROPOUT)
  output_block: Tuple[str, ...] = (DENSE,)
  # Convolutional blocks, before the dense ones: one per filter count.
  filters: Tuple[int, ...] = ()
  conv_block: Tuple[str, ...] = (CONV, RELU, POOL)
  kernel_size: int = 3
  conv_padding: str = SAME
  pool_padding: str = SAME
  conv_kernel_init: str = RANDOM_NORMAL_SMALL
  conv_bias_init: Optional[str] = None  # None: no bias, as in lab 11.
  # TF1's batch norm: moving averages with this decay, and a learned shift
  # (beta); a learned scale (gamma) too if batch_norm_scale.
  batch_norm_decay: float = 0.9
  batch_norm_scale: bool = False
  head: str = CLASSES
  # Named slices [start, stop) of a row's features, one placeholder each, as
  # (name, start, stop); () is one placeholder X of the whole row.
  inputs: Tuple[Tuple[str, int, int], ...] = ()
  # The scope of the output layer: tf.compat.v1.layers' dense names, or the
  # Keras model's name for it.
  output_name: str = 'outputs'
  # The loss is these weights times the losses of the output and, with an
  # aux layer, of the auxiliary head (Keras's loss_weights).
  loss_weights: Tuple[float, ...] = (1.0,)
  # Adam's epsilon: TF1's default, or Keras's 1e-7 where a Keras source is
  # matched step for step.
  adam_epsilon: float = 1e-8


_LAB10 = dict(kernel_init=GLOROT_UNIFORM, bias_init=RANDOM_NORMAL,
              optimizer=ADAM, learning_rate=0.001, epochs=15, batch_size=100)
# Keras's defaults: Glorot uniform kernels, zero biases, VALID convolutions
# and pools.
_KERAS = dict(kernel_init=GLOROT_UNIFORM, bias_init=ZEROS, optimizer=ADAM,
              learning_rate=0.001, conv_kernel_init=GLOROT_UNIFORM,
              conv_bias_init=ZEROS, conv_padding=VALID, pool_padding=VALID)

PRESETS = {
    'plain': Preset(**dict(_LAB10, kernel_init=RANDOM_NORMAL),
                    hidden_units=(256, 256)),
    'xavier': Preset(**_LAB10, hidden_units=(256, 256)),
    'deep': Preset(**_LAB10, hidden_units=(512,) * 4),
    'dropout': Preset(**_LAB10, hidden_units=(512,) * 4, keep_prob=0.7),
    # lab-10-7: contrib's fully_connected under an arg_scope that gives every
    # layer, the output one too, batch norm instead of a bias.
    'batchnorm': Preset(
        **dict(_LAB10, bias_init=None, learning_rate=0.01),
        hidden_units=(512,) * 4, keep_prob=0.7,
        dense_block=(DENSE, BATCH_NORM, RELU, DROPOUT),
        output_block=(DENSE, BATCH_NORM)),
    'cnn': Preset(**_LAB10, hidden_units=(), filters=(32, 64)),
    'deep_cnn': Preset(**_LAB10, hidden_units=(625,), keep_prob=0.7,
                       filters=(32, 64, 128),
                       conv_block=(CONV, RELU, POOL, DROPOUT)),
    'homl': Preset(
        hidden_units=(300, 100), kernel_init=GLOROT_UNIFORM,
        bias_init=ZEROS, optimizer=SGD, learning_rate=0.01,
        epochs=1001, batch_size=50, patience=50, checkpoint_every=5),
    'small': Preset(**_KERAS, hidden_units=(20, 30), epochs=50,
                    batch_size=200, patience=3),
    'lenet': Preset(**_KERAS, hidden_units=(120,), epochs=5, batch_size=32,
                    keep_prob=0.8, filters=(6, 16), kernel_size=5),
    'cifar_cnn': Preset(**_KERAS, dataset='cifar10', hidden_units=(256,),
                        epochs=5,
                        batch_size=32, keep_prob=0.8, filters=(98, 256),
                        kernel_size=2,
                        conv_block=(CONV, RELU, CONV, RELU, POOL)),
    # Hands-On ML's housing regressors: Keras's SGD(learning_rate=1e-3),
    # model.fit(epochs=20) at its default batch of 32.
    'regression': Preset(
        **dict(_KERAS, optimizer=SGD), dataset='california_housing',
        head=REGRESSION, hidden_units=(30,), epochs=20, batch_size=32),
    # WideAndDeepModel: the wide input is features 0-4, the deep one 2-7;
    # main_output reads concat(wide, hidden2), aux_output hidden2.
    'wide_deep': Preset(
        **dict(_KERAS, optimizer=SGD), dataset='california_housing',
        head=REGRESSION, hidden_units=(30, 30), epochs=20, batch_size=32,
        inputs=(('wide_input', 0, 5), ('deep_input', 2, 8)),
        output_block=(AUX, CONCAT, DENSE), output_name='main_output',
        loss_weights=(0.9, 0.1)),
    # The exam's Q4: Dense(1) on cos(k t), k = 1..5; Adam, 500 epochs of 100.
    'cosine': Preset(
        **_KERAS, dataset='cosine', head=REGRESSION, hidden_units=(),
        epochs=500, batch_size=100, adam_epsilon=1e-7),
}


@dataclasses.dataclass(frozen=True)
class Layer:
  """One layer of a network, as model.py builds it."""
  kind: str  # One of LAYER_KINDS.
  scope: str  # The variable scope: conv1, hidden1, outputs; '' if none.
  size: int = 0  # Filters of a conv, units of a dense layer.
  index: int = 0  # Of the layers of its kind, from 0; seeds derive from it.


def output_units(net, n_classes=10):
  """Units of the output layer: one per class, or one for a regressor."""
  return 1 if net.head == REGRESSION else n_classes


def layers(net, n_classes=10):
  """The layers of a network in order.

  Args:
    net: a Preset, or anything with its fields (a TrainConfig).
    n_classes: the dataset's classes, for a classifier's output layer.

  Returns:
    A list of Layer. Kinds that carry variables (conv, dense, batch norm) name
    their scope; a batch norm takes the scope of the layer it follows.
  """
  result, counts, scope = [], dict.fromkeys(LAYER_KINDS, 0), ''
  blocks = ([(net.conv_block, f) for f in net.filters] +
            [(net.dense_block, u) for u in net.hidden_units] +
            [(net.output_block, output_units(net, n_classes))])
  for b, (block, size) in enumerate(blocks):
    for kind in block:
      if kind == CONV:
        scope = 'conv%d' % (counts[CONV] + 1)
      elif kind == DENSE:
        scope = (net.output_name if b == len(blocks) - 1 else
                 'hidden%d' % (counts[DENSE] + 1))
      result.append(Layer(
          kind, AUX_SCOPE if kind == AUX else
          scope if kind in (CONV, DENSE, BATCH_NORM) else '', size,
          counts[kind]))
      counts[kind] += 1
  return result


def aux_scopes(net):
  """The scopes of a network's auxiliary heads, in order (aux_output)."""
  return [l.scope for l in layers(net) if l.kind == AUX]


def layer_names(net):
  """The variable scopes of a network's layers: conv1, ..., hidden1, ...,
  outputs (and aux_output): what --warm_start_layers and --freeze name. The
  output layer comes last."""
  names = [l.scope for l in layers(net) if l.kind in (CONV, DENSE, AUX)]
  return [n for n in names if n != net.output_name] + [net.output_name]
