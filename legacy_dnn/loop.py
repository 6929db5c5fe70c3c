"""The parts every training loop is made of.

training.py's one-process loop, and shares.py's loops of a cluster's chief
and of its other workers, are short loops over these parts:
  Run         what lives as long as the run's session: the session, the
              model, the checkpointer, the writers, the data, the config;
  a step      its feed (mode_feed) and its loss check (check_loss), and the
              epoch's progress bar;
  end_epoch   validation, summaries, the best model, a checkpoint, the
              epoch's line, and the early-stopping decision;
  finish      the best model scored on the test set, in the seeds' words.
"""

import dataclasses
import functools
import math
import sys
import time
from typing import Any, Optional

import numpy as np
import tqdm

from legacy_dnn import checkpoints
from legacy_dnn import data
from legacy_dnn import model
from legacy_dnn import reporting
from legacy_dnn import shapes
from legacy_dnn import summaries
from legacy_dnn.errors import TrainingError
# What a run reports, in a module without TensorFlow (legacy_dnn.Result).
from legacy_dnn.results import Epoch, Result, Timing  # pylint: disable=unused-import

# Examples per session call in validation and test passes, at most; fewer
# where the widest layer's activations for them would pass EVAL_BUDGET_BYTES
# (cifar_cnn's first convolution: 170 images).
EVAL_CHUNK = 1000
EVAL_BUDGET_BYTES = 64 << 20

# How a training loop reports a line: to the current reporter.
say = reporting.say


def should_stop_early(wait, patience):
  """True once `wait` epochs have passed without a better validation loss."""
  return patience is not None and wait >= patience


def is_finished(state, config):
  return (state.epoch >= config.epochs or
          should_stop_early(state.wait, config.patience))




def in_kernel():
  """Whether this process is a Jupyter (IPython) kernel."""
  shell = sys.modules.get('IPython') and sys.modules['IPython'].get_ipython()
  return bool(shell) and 'IPKernelApp' in getattr(shell, 'config', {})


@functools.lru_cache(maxsize=None)
def _without_monitor(bar):
  """bar's class without tqdm's monitor thread, which outlives the bar: a
  notebook that trains again would find one more thread each time."""
  return type(bar.__name__, (bar,), {'monitor_interval': 0})


def _kernel_tqdm():
  """tqdm.auto's class: a widget where ipywidgets is installed, else the
  text bar; tqdm.auto's warning when it falls back is left out, since the
  text bar is a fine bar."""
  import warnings  # pylint: disable=g-import-not-at-top
  with warnings.catch_warnings():
    warnings.simplefilter('ignore', tqdm.TqdmWarning)
    from tqdm import auto  # pylint: disable=g-import-not-at-top
  return _without_monitor(auto.tqdm)


def progress_bar(epoch, total, done):
  """tqdm's bar over one epoch's examples: examples per second, time left.

  On a terminal only: with stdout a file or a pipe there is no bar, so logs
  stay clean; in a Jupyter kernel, under legacy_dnn.train's verbose=1, a
  widget (or the text bar without ipywidgets). It leaves no trace; the
  epoch's line takes its place.

  Args:
    epoch: 1-based, for the label.
    total: the epoch's examples.
    done: those already trained on (by an interrupted run).
  """
  mode = reporting.current().progress
  bar = _without_monitor(tqdm.tqdm)
  shown = mode != reporting.NONE and sys.stdout.isatty()
  if mode == reporting.KERNEL and in_kernel():
    bar, shown = _kernel_tqdm(), True
  return bar(total=total, initial=done, desc='Epoch %04d' % epoch,
             unit=' examples', leave=False, file=sys.stdout,
             disable=not shown, mininterval=0.5)


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


@dataclasses.dataclass(frozen=True)
class Run:
  """What lives as long as a run's session, handed to every loop whole.

  A cluster's workers other than the chief write nothing: no writers, no
  run_dir. replication is None for one process.
  """
  sess: Any  # tf.compat.v1.Session
  model: Any  # model.Model
  ckpt: checkpoints.Checkpointer
  splits: data.Splits
  config: Any  # config.TrainConfig
  timing: Timing
  histogram_op: Any = None
  run_dir: Optional[str] = None
  replication: Any = None  # distributed.Replication
  writers: Optional[summaries.Writers] = None
  interrupts: Any = None  # An entered interrupts.Interrupts.

  @property
  def n_batches(self):
    """Batches in an epoch."""
    return data.batches_per_epoch(len(self.splits.train[0]),
                                  self.config.batch_size)

  def save(self):
    """A rolling checkpoint of what the session holds now, run state and
    all, under the global step."""
    self.ckpt.save(self.sess, int(self.sess.run(self.model.global_step)))


def eval_chunk(config):
  """Examples per session call of evaluate() for config's network."""
  widest = shapes.widest_layer(config,
                              data.DATASETS[config.dataset].image_shape)
  return max(1, min(EVAL_CHUNK, EVAL_BUDGET_BYTES // (4 * widest)))


def evaluate(sess, m, split, chunk_size=EVAL_CHUNK):
  """Mean loss and accuracy (a regressor's MSE) of the model on
  (inputs, targets), no dropout.

  The pass runs in chunks so that its memory stays bounded: the training
  graph draws dropout masks for every example even at keep_prob 1, and a
  whole test set's masks and activations cost a few hundred MB. The loss is
  the chunks' means weighted by their sizes, equal to one pass's up to
  float32 rounding; the accuracy counts the right answers exactly.
  """
  images, labels = split
  loss_sum, metric_sum = 0.0, 0.0
  for start in range(0, len(images), chunk_size):
    feed = {**model.feed(m, images[start:start + chunk_size]),
            m.y: labels[start:start + chunk_size]}
    loss, metric = sess.run([m.loss, m.metric], feed)
    n = len(feed[m.y])
    loss_sum += float(loss) * n
    metric_sum += m.head.metric_sum(float(metric), n)
  if not len(images):
    return math.nan, math.nan
  return loss_sum / len(images), metric_sum / len(images)


def next_state(state, epoch, val_loss):
  """The State after `epoch` (1-based) ended with validation loss val_loss."""
  improved = val_loss < state.best_loss
  return checkpoints.State(
      epoch=epoch, loss_sum=0.0, metric_sum=0.0,
      best_loss=val_loss if improved else state.best_loss,
      best_epoch=epoch if improved else state.best_epoch,
      wait=0 if improved else state.wait + 1)


def head_losses(m, config, loss, mse):
  """{head scope: MSE} of a regressor with an auxiliary head, from its mean
  loss and its output's MSE: the loss is w0 * MSE(main) + w1 * MSE(aux), so
  aux's is (loss - w0 * mse) / w1. Empty for other networks."""
  if not m.head_losses:
    return {}
  (main, aux), (w_main, w_aux) = m.head_losses, config.loss_weights
  return {main: mse, aux: (loss - w_main * mse) / w_aux}


def checkpoint_due(epoch_no, config):
  """Whether epoch epoch_no (1-based) ends with a rolling checkpoint."""
  return epoch_no % config.checkpoint_every == 0 or epoch_no == config.epochs


def end_epoch(run, state, epoch_no, sums, start):
  """Validation, summaries, the best model, a checkpoint, the epoch's line.

  Args:
    run: the Run, with its writers.
    state: the State before the epoch ended.
    epoch_no: the epoch, 1-based.
    sums: (loss sum, metric sum) of the epoch's steps.
    start: time.time() when the epoch began.
  A rolling checkpoint is saved when checkpoint_due(), when training stops
  early, and when a signal has come.

  Returns:
    (the State after the epoch, whether to stop early, whether it saved a
    checkpoint).
  """
  sess, m, config = run.sess, run.model, run.config
  train_loss, train_metric = (s / run.n_batches for s in sums)
  val_loss, val_metric = evaluate(sess, m, run.splits.validation,
                                  eval_chunk(config))
  if not math.isfinite(val_loss):
    raise TrainingError(
        'epoch %d: the validation loss became %s; the last good checkpoint '
        'in %s is kept' % (epoch_no, val_loss, config.model_dir))
  for split, loss, metric in ((summaries.TRAIN, train_loss, train_metric),
                              (summaries.VALIDATION, val_loss, val_metric)):
    run.writers.scalars(split, epoch_no, loss, m.head.summary_metric(metric),
                        head_losses(m, config, loss, metric))
  run.writers.add_summary(summaries.TRAIN, sess.run(run.histogram_op),
                          epoch_no)
  run.writers.flush()

  state = next_state(state, epoch_no, val_loss)
  run.ckpt.run_state.write(sess, state)
  if state.best_epoch == epoch_no:
    run.ckpt.save_best(sess)
  stop_early = should_stop_early(state.wait, config.patience)
  saved = (checkpoint_due(epoch_no, config) or stop_early or
           run.interrupts.signum is not None)
  if saved:
    run.save()
  run.timing.epoch_seconds.append(time.time() - start)
  epoch = Epoch(epoch_no, float(train_loss), float(val_loss),
                float(val_metric), m.head.metric_name,
                run.timing.epoch_seconds[-1], state.best_epoch == epoch_no)
  checkpoints.record_epoch(config.model_dir, epoch.as_record())
  reporting.current().on_epoch_end(epoch, (
      'Epoch: %04d cost = %.9f validation loss = %.6f %s = %.4f (%.1f s)%s'
      % (epoch_no, train_loss, val_loss, m.head.metric_name, val_metric,
         run.timing.epoch_seconds[-1],
         ' *' if state.best_epoch == epoch_no else '')))
  if stop_early:
    say('Early stopping: no better validation loss for %d epochs since '
        'epoch %d' % (state.wait, state.best_epoch))
  return state, stop_early, saved


def finish(run, state):
  """Scores the best model on the test set, in the seeds' words; returns
  the Result."""
  sess, m, config = run.sess, run.model, run.config
  run.ckpt.restore_best(sess)
  test_loss, test_metric = evaluate(sess, m, run.splits.test,
                                    eval_chunk(config))
  test_metrics = m.head.test_metrics(test_loss, test_metric)
  say('Learning Finished!')
  say('Best model: epoch %d of %d (validation loss %.6f); test loss %.6f'
      % (state.best_epoch, state.epoch, state.best_loss, test_loss))
  for line in m.head.report(test_metrics, data.DATASETS[config.dataset]):
    say(line)
  images, labels = run.splits.test
  r = int(np.random.default_rng(config.seed).integers(len(images)))
  outputs = sess.run(m.outputs, model.feed(m, images[r:r + 1]))
  for line in m.head.example(labels[r], outputs[0]):
    say(line)
  return Result(state.epoch, state.best_epoch, test_loss,
                should_stop_early(state.wait, config.patience), None,
                run.run_dir, run.timing, test_metrics)
