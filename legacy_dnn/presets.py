"""The seed networks as data.

Each preset is one of the classic scripts this project ports, with the settings
that script ran with:

* ``plain``, ``xavier``, ``deep``, ``dropout``: "deep learning for everyone"
  lab 10 (``lab-10-1`` ... ``lab-10-5``), Adam 0.001, 15 epochs of batch 100.
* ``homl``: Hands-On Machine Learning, chapter 10, exercise 9: two hidden
  layers, plain gradient descent, checkpoints every 5 epochs, early stopping.
"""

import dataclasses
from typing import Optional, Tuple

# Initializer names understood by model.initializer().
RANDOM_NORMAL = 'random_normal'
GLOROT_UNIFORM = 'glorot_uniform'
ZEROS = 'zeros'

ADAM = 'adam'
SGD = 'sgd'


@dataclasses.dataclass(frozen=True)
class Preset:
  """Everything that distinguishes one seed network from another."""
  hidden_units: Tuple[int, ...]
  kernel_init: str
  bias_init: str
  optimizer: str
  learning_rate: float
  epochs: int
  batch_size: int
  keep_prob: float = 1.0
  # Epochs without a better validation loss before training stops;
  # None trains for all the epochs, as the lab scripts did.
  patience: Optional[int] = None
  checkpoint_every: int = 1


PRESETS = {
    'plain': Preset(
        hidden_units=(256, 256), kernel_init=RANDOM_NORMAL,
        bias_init=RANDOM_NORMAL, optimizer=ADAM, learning_rate=0.001,
        epochs=15, batch_size=100),
    'xavier': Preset(
        hidden_units=(256, 256), kernel_init=GLOROT_UNIFORM,
        bias_init=RANDOM_NORMAL, optimizer=ADAM, learning_rate=0.001,
        epochs=15, batch_size=100),
    'deep': Preset(
        hidden_units=(512, 512, 512, 512), kernel_init=GLOROT_UNIFORM,
        bias_init=RANDOM_NORMAL, optimizer=ADAM, learning_rate=0.001,
        epochs=15, batch_size=100),
    'dropout': Preset(
        hidden_units=(512, 512, 512, 512), kernel_init=GLOROT_UNIFORM,
        bias_init=RANDOM_NORMAL, optimizer=ADAM, learning_rate=0.001,
        epochs=15, batch_size=100, keep_prob=0.7),
    'homl': Preset(
        hidden_units=(300, 100), kernel_init=GLOROT_UNIFORM,
        bias_init=ZEROS, optimizer=SGD, learning_rate=0.01,
        epochs=1001, batch_size=50, patience=50, checkpoint_every=5),
}
