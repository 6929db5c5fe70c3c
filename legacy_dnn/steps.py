"""What every training loop shares: a step's feed and loss check, the stop
decision, the progress bar, and where the time went.

training.py's one-process loop and shares.py's cluster loops both use it.
"""

import dataclasses
import functools
import math
import sys
from typing import List, Optional

import tqdm

from legacy_dnn import model
from legacy_dnn.errors import TrainingError

# How a training loop prints a line: at once, even to a pipe.
say = functools.partial(print, flush=True)


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


def should_stop_early(wait, patience):
  """True once `wait` epochs have passed without a better validation loss."""
  return patience is not None and wait >= patience


def is_finished(state, config):
  return (state.epoch >= config.epochs or
          should_stop_early(state.wait, config.patience))


def progress_bar(epoch, total, done):
  """tqdm's bar over one epoch's examples: examples per second, time left.

  On a terminal only: with stdout a file or a pipe there is no bar, so logs
  stay clean. It leaves no trace; the epoch's line takes its place.

  Args:
    epoch: 1-based, for the label.
    total: the epoch's examples.
    done: those already trained on (by an interrupted run).
  """
  return tqdm.tqdm(total=total, initial=done, desc='Epoch %04d' % epoch,
                   unit=' examples', leave=False, file=sys.stdout,
                   disable=not sys.stdout.isatty(), mininterval=0.5)


def mode_feed(m, config):
  """What training steps feed besides the batch.

  Only dropout reads keep_prob, and only batch norm the training switch;
  feeding either anyway costs ~20 us a step.
  """
  feed = {m.keep_prob: config.keep_prob} if config.keep_prob < 1 else {}
  if model.has_batch_norm(config):
    feed[m.training] = True
  return feed


def check_loss(loss, epoch_no, config):
  """Raises TrainingError once a step's loss is no longer a number."""
  if not math.isfinite(loss):
    raise TrainingError(
        'epoch %d: the training loss became %s (is --learning_rate=%g too '
        'high?); the last good checkpoint in %s is kept'
        % (epoch_no, loss, config.learning_rate, config.model_dir))
