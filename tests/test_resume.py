"""Real training processes killed with real signals, then resumed.

Each variant's fixture trains one run straight through and the same command
again under interruptions: SIGKILL just after an epoch line, SIGTERM and then
SIGKILL at random moments (drawn from KILL_SEED), and a last run to the end.
Both runs log into one folder, which the TensorBoard test serves with the real
`tensorboard` program.

The moments are waits on printed lines plus a random part of one epoch's
time, never fractions of a whole run: on a loaded machine a run's speed
changes, and a signal meant for mid-run must not arrive after the end.
"""

import json
import os
import random
import re
import signal
import time
import urllib.parse

import numpy as np
import pytest
import tensorflow as tf

from conftest import Proc, TensorBoard, write_dataset, write_housing
from legacy_dnn import checkpoints

# Starts processes, clusters or tensorboard, or trains for long (setup.cfg).
pytestmark = pytest.mark.slow

EPOCHS = 30
KILL_SEED = 20261122
# Small networks of each variant's kind, so 2 x 30 epochs take seconds.
SIZES = {'dropout': ['--hidden_units=64,64'], 'homl': ['--hidden_units=64,64'],
         'batchnorm': ['--hidden_units=64,64'],
         'deep_cnn': ['--filters=4,4,4', '--hidden_units=16'],
         'cnn': ['--filters=4,4'],
         'wide_deep': []}
# The last line of a run's figures, which the final run must repeat.
FINAL_LINE = {'wide_deep': 'Test MSE: '}
# The scalars TensorBoard shows for each split.
TAGS = {'wide_deep': ('loss', 'main_output_loss', 'aux_output_loss')}


def newest_checkpoint(model_dir):
  reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(model_dir))
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()}


def accuracy_line(output, prefix='Accuracy: '):
  (line,) = [l for l in output.splitlines() if l.startswith(prefix)]
  return line


class Runs:
  """What the fixture did: the two model_dirs and each process's story."""

  def __init__(self, root, variant, extra=()):
    self.root, self.variant, self.extra = root, variant, list(extra)
    if variant == 'wide_deep':  # California housing's archive, generated.
      self.data_dir = write_housing(str(root / 'data'), 2100, seed=3)
      self.split_flags = []
    else:
      self.data_dir = write_dataset(str(root / 'data'), n_train=2100,
                                    n_test=200)
      self.split_flags = ['--validation_size=100']
    self.logdir = str(root / 'logs')
    self.straight_dir = str(root / 'straight')
    self.killed_dir = str(root / 'killed')
    self.interruptions = []  # (signal, returncode, output) per process.

  def args(self, model_dir):
    return ['--variant=' + self.variant, '--data_dir=' + self.data_dir
            ] + self.split_flags + SIZES[self.variant] + [
            '--epochs=%d' % EPOCHS, '--seed=5', '--logdir=' + self.logdir,
            '--model_dir=' + model_dir] + self.extra

  def start(self):
    return Proc('train.py', *self.args(self.killed_dir))

  def interrupt(self, proc, signum):
    proc.send_signal(signum)
    self.interruptions.append((signum, proc.wait(), proc.output))


def interrupted_and_straight(variant, tmp_path_factory, extra=()):
  """Runs variant straight through, and again under interruptions; extra:
  more train.py flags for every run."""
  runs = Runs(tmp_path_factory.mktemp(variant), variant, extra)
  straight = Proc('train.py', *runs.args(runs.straight_dir))
  straight.wait_for_line('TensorBoard logs')
  started = time.monotonic()
  assert straight.wait() == 0, straight.stderr
  epoch_seconds = (time.monotonic() - started) / EPOCHS
  runs.straight_output = straight.output

  rng = random.Random(KILL_SEED)
  proc = runs.start()
  proc.wait_for_line('Epoch: 0007')
  runs.interrupt(proc, signal.SIGKILL)
  for signum in (signal.SIGTERM, signal.SIGKILL, signal.SIGKILL):
    proc = runs.start()
    proc.wait_for_line('Training was interrupted')
    # SIGTERM is handled once training runs; before, it would just kill.
    # A SIGKILL may land anywhere, start-up included.
    if signum == signal.SIGTERM:
      proc.wait_for_line('Epoch: ')
    time.sleep(rng.uniform(0, 1.5) * epoch_seconds)
    runs.interrupt(proc, signum)
  final = runs.start()
  assert final.wait() == 0, final.stderr
  runs.final_output = final.output
  return runs


@pytest.fixture(scope='module', params=['dropout', 'homl', 'wide_deep'])
def runs(request, tmp_path_factory):
  return interrupted_and_straight(request.param, tmp_path_factory)


def test_resumed_run_ends_bit_for_bit_equal(runs):
  straight = newest_checkpoint(runs.straight_dir)
  killed = newest_checkpoint(runs.killed_dir)
  assert sorted(straight) == sorted(killed)
  assert straight['run_state/epoch'] == EPOCHS
  for name in straight:
    np.testing.assert_array_equal(straight[name], killed[name], err_msg=name)
  # The scaler's variables too: the features are standardized in the graph.
  if runs.variant == 'wide_deep':
    assert {'scaler/mean', 'scaler/stddev'} <= set(killed)
  prefix = FINAL_LINE.get(runs.variant, 'Accuracy: ')
  assert accuracy_line(runs.straight_output, prefix) == accuracy_line(
      runs.final_output, prefix)


def test_each_resume_says_where_it_continues(runs):
  outputs = [output for _, _, output in runs.interruptions[1:]]
  outputs.append(runs.final_output)
  epochs = [int(re.search(r'Training was interrupted\. Continuing at epoch '
                          r'(\d+)', output).group(1)) for output in outputs]
  assert epochs == sorted(epochs)
  if runs.variant == 'homl':
    assert epochs[0] == 6  # Killed after epoch 7; checkpoints every 5.
  else:
    assert epochs[0] >= 8  # Killed after epoch 7; checkpoints every epoch.


def test_every_interruption_landed_while_the_run_trained(runs):
  """Each signal stopped a process that had begun to train and not yet
  finished: the first after epoch 7, the others after they said where they
  continue. A kill that missed would leave nothing to resume."""
  assert [signum for signum, _, _ in runs.interruptions] == [
      signal.SIGKILL, signal.SIGTERM, signal.SIGKILL, signal.SIGKILL]
  for i, (signum, returncode, output) in enumerate(runs.interruptions):
    assert returncode == (128 + signum if signum == signal.SIGTERM
                          else -signum), output
    assert ('Epoch: 0007' if i == 0 else 'Training was interrupted') in output
    assert FINAL_LINE.get(runs.variant, 'Accuracy: ') not in output


def test_sigterm_saves_a_checkpoint_and_exits_cleanly(runs):
  (sigterm,) = [r for r in runs.interruptions if r[0] == signal.SIGTERM]
  _, returncode, output = sigterm
  assert returncode == 128 + signal.SIGTERM
  match = re.search(r'Interrupted by SIGTERM during epoch (\d+); saved a '
                    r'checkpoint in .*\. Run the same command again to '
                    r'resume\.', output)
  assert match
  # The next process starts inside that epoch, not at a checkpoint before it.
  sigterm_index = runs.interruptions.index(sigterm)
  following = (runs.interruptions[sigterm_index + 1][2]
               if sigterm_index + 1 < len(runs.interruptions)
               else runs.final_output)
  assert 'Continuing at epoch %s' % match.group(1) in following


def test_tensorboard_shows_each_epoch_once(runs):
  names = {}
  for key, model_dir in (('straight', runs.straight_dir),
                         ('killed', runs.killed_dir)):
    with open(os.path.join(model_dir, checkpoints.RUN_FILE)) as f:
      names[key] = json.load(f)['run_name']
  expected_runs = {'%s/%s' % (names[k], split) for k in names
                   for split in ('train', 'validation')}
  with TensorBoard(runs.logdir) as tensorboard:
    tensorboard.wait_for(
        lambda: expected_runs <= set(tensorboard.get('runs')), 'the runs')
    for split in ('train', 'validation'):
      for tag in TAGS.get(runs.variant, ('loss', 'accuracy')):
        series = {}
        for key, name in names.items():
          query = urllib.parse.urlencode({'run': '%s/%s' % (name, split),
                                          'tag': tag})
          points = tensorboard.get('plugin/scalars/scalars?' + query)
          series[key] = [(step, value) for _, step, value in points]
        steps = [step for step, _ in series['killed']]
        assert steps == list(range(1, EPOCHS + 1)), (split, tag)
        assert series['killed'] == series['straight'], (split, tag)
