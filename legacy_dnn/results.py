"""What a training run reports: its epochs, its Result, where its time
went, and the interrupt that stopped it.

No TensorFlow here, so that `import legacy_dnn` and `help(legacy_dnn)` stay
free of it.
"""

import dataclasses
from typing import Dict, List, Optional, Tuple


@dataclasses.dataclass
class Timing:
  """Where this call's time went; scripts/benchmark.py reads it."""
  # time.time() when the data was loaded, the graph built, and the session
  # ready (variables restored or initialized) before training.
  data_at: Optional[float] = None
  graph_at: Optional[float] = None
  session_at: Optional[float] = None
  # time.time() when the first training call of this run returned.
  first_step_at: Optional[float] = None
  # Per epoch trained in this call: seconds in the batch loop alone (feeding,
  # shuffling, the steps and their fetched cost), and the whole epoch with
  # validation, summaries and checkpoints.
  train_seconds: List[float] = dataclasses.field(default_factory=list)
  epoch_seconds: List[float] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Epoch:
  """One finished epoch's figures, as its line prints them."""
  epoch: int  # 1-based.
  cost: float  # The mean training loss of its steps.
  validation_loss: float
  validation_metric: float  # Accuracy, or a regressor's MSE.
  metric: str  # 'accuracy' or 'mse'.
  seconds: float
  best: bool  # The best validation loss so far.

  def as_record(self):
    return dataclasses.asdict(self)

  @classmethod
  def from_records(cls, records):
    """The Epochs of history.json's records, those of another form left
    out."""
    names = {f.name for f in dataclasses.fields(cls)}
    return tuple(cls(**r) for r in records if set(r) == names)


@dataclasses.dataclass(frozen=True)
class Result:
  """What a call of training.train() (legacy_dnn.train) did."""
  epochs: int  # Epochs completed.
  best_epoch: int  # The epoch whose model was evaluated; 0 if none yet.
  test_loss: Optional[float]  # None when interrupted.
  stopped_early: bool
  interrupted_by: Optional[int]  # The signal number that stopped training.
  run_dir: Optional[str]
  timing: Timing
  # The head's test figures (heads.py): test_accuracy and test_loss, or a
  # regressor's test_mse, test_rmse and test_loss. Empty when interrupted.
  test_metrics: Dict[str, float] = dataclasses.field(default_factory=dict)
  model_dir: Optional[str] = None
  # Every finished epoch of the run, resumed ones too (history.json).
  history: Tuple[Epoch, ...] = ()

  @property
  def test_accuracy(self):
    return self.test_metrics.get('test_accuracy')

  @property
  def test_mse(self):
    return self.test_metrics.get('test_mse')

  @property
  def interrupted(self):
    """Whether a signal (a kernel's interrupt) stopped training."""
    return self.interrupted_by is not None

  def plot(self):
    """The learning curves: a matplotlib Figure of the training cost and
    validation loss, and the validation metric, per epoch."""
    from legacy_dnn import plots  # pylint: disable=g-import-not-at-top
    return plots.history(self.history)

  def __repr__(self):
    figures = ', '.join('%s=%.4f' % item
                        for item in sorted(self.test_metrics.items()))
    return ('Result(epochs=%d, best_epoch=%d%s, interrupted=%s, '
            'model_dir=%r)' % (self.epochs, self.best_epoch,
                               ', ' + figures if figures else '',
                               self.interrupted, self.model_dir))




class Interrupted(KeyboardInterrupt):
  """legacy_dnn.train (or sweep) stopped by an interrupt: a kernel's, or
  Ctrl-C. What it trained is saved; calling it again continues, bit for bit.

  A KeyboardInterrupt, so a notebook's "Run All" stops at its cell as it
  would for any interrupted cell; IPython shows _render_traceback_'s one
  line in place of a traceback.

  Attributes:
    result: what the call did up to the interrupt: a Result (train) or a
      SweepResult (sweep).
  """

  def __init__(self, message, result):
    super().__init__(message)
    self.result = result

  def _render_traceback_(self):
    return ['KeyboardInterrupt: %s' % self]
