"""The session loop on small synthetic data, in process."""

import datetime
import math
import os
import signal

import numpy as np
import pytest
import tensorflow as tf

from conftest import write_dataset
from legacy_dnn import checkpoints
from legacy_dnn import data
from legacy_dnn import config
from legacy_dnn import loop
from legacy_dnn import model
from legacy_dnn import multistep
from legacy_dnn import summaries
from legacy_dnn import training
from legacy_dnn.errors import CheckpointError, TrainingError, UserError


def small_config(tmp_path, data_dir, variant='dropout', **overrides):
  values = dict(hidden_units=(32, 32), epochs=3, batch_size=50,
                validation_size=100, data_dir=data_dir, seed=1,
                model_dir=str(tmp_path / 'model'),
                logdir=str(tmp_path / 'logs'))
  values.update(overrides)
  return config.for_variant(variant, **values)


def checkpoint_tensors(model_dir):
  """Every tensor of the newest rolling checkpoint, by name."""
  reader = tf.train.load_checkpoint(
      tf.train.latest_checkpoint(model_dir))
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()}


def assert_same_tensors(a, b):
  assert sorted(a) == sorted(b)
  for name in a:
    np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_short_run_learns_and_writes_everything(tmp_path, dataset_dir,
                                                capsys):
  cfg = small_config(tmp_path, dataset_dir)
  result = training.train(cfg)
  out = capsys.readouterr().out
  assert result.epochs == 3 and result.interrupted_by is None
  assert result.test_accuracy > 0.6  # Chance is 0.1.
  assert 'Total trainable parameters: 26,506' in out
  assert 'Epoch: 0003 cost = ' in out
  assert 'Learning Finished!' in out
  assert 'Accuracy: %.4f' % result.test_accuracy in out
  assert 'Label: [' in out and 'Prediction: [' in out
  files = os.listdir(cfg.model_dir)
  assert 'model.ckpt-30.index' in files  # 3 epochs of 500 // 50 steps.
  assert 'best.ckpt.index' in files and 'run.json' in files
  with open(os.path.join(cfg.model_dir, checkpoints.EPOCH_FILE)) as f:
    assert f.read() == '3'
  (run,) = os.listdir(cfg.logdir)
  assert run.startswith('dropout-mnist-run-') and run == os.path.basename(
      result.run_dir)
  assert sorted(os.listdir(result.run_dir)) == ['train', 'validation']


def test_only_the_last_two_checkpoints_are_kept(tmp_path, dataset_dir):
  cfg = small_config(tmp_path, dataset_dir, epochs=4)
  training.train(cfg)
  ckpt = checkpoints.Checkpointer.__new__(checkpoints.Checkpointer)
  ckpt._prefix = os.path.join(cfg.model_dir, checkpoints.CHECKPOINT_PREFIX)
  assert [os.path.basename(p) for p in ckpt.checkpoints()] == [
      'model.ckpt-40', 'model.ckpt-30']


@pytest.mark.parametrize('variant', ['dropout', 'homl'])
def test_resumed_run_equals_uninterrupted_run(tmp_path, dataset_dir, variant):
  straight = small_config(tmp_path / 'a', dataset_dir, variant, epochs=4,
                          checkpoint_every=1)
  training.train(straight)
  resumed = small_config(tmp_path / 'b', dataset_dir, variant, epochs=2,
                         checkpoint_every=1)
  first = training.train(resumed)
  second = training.train(small_config(tmp_path / 'b', dataset_dir, variant,
                                       epochs=4, checkpoint_every=1))
  assert first.epochs == 2 and second.epochs == 4
  assert_same_tensors(checkpoint_tensors(straight.model_dir),
                      checkpoint_tensors(resumed.model_dir))


def test_finished_run_is_reported_not_retrained(tmp_path, dataset_dir,
                                                capsys):
  cfg = small_config(tmp_path, dataset_dir, epochs=2)
  first = training.train(cfg)
  before = checkpoint_tensors(cfg.model_dir)
  capsys.readouterr()
  again = training.train(cfg)
  out = capsys.readouterr().out
  assert 'This run already finished after 2 epochs' in out
  assert 'Epoch: ' not in out
  assert again.test_accuracy == first.test_accuracy
  assert_same_tensors(before, checkpoint_tensors(cfg.model_dir))


def test_other_settings_in_the_same_model_dir_are_refused(tmp_path,
                                                          dataset_dir):
  training.train(small_config(tmp_path, dataset_dir, epochs=1))
  before = checkpoint_tensors(str(tmp_path / 'model'))
  with pytest.raises(CheckpointError, match=r'holds a run with other '
                     r'settings: batch_size=25 \(the run has 50\)'):
    training.train(small_config(tmp_path, dataset_dir, epochs=1,
                                batch_size=25))
  assert_same_tensors(before, checkpoint_tensors(str(tmp_path / 'model')))


def test_restart_moves_the_old_run_aside(tmp_path, dataset_dir, capsys):
  cfg = small_config(tmp_path, dataset_dir, epochs=1)
  training.train(cfg)
  before = checkpoint_tensors(cfg.model_dir)
  training.train(small_config(tmp_path, dataset_dir, epochs=1, batch_size=25,
                              restart=True))
  out = capsys.readouterr().out
  (old,) = [n for n in os.listdir(tmp_path) if n.startswith('model.old-')]
  assert '--restart: moved the previous run in %s to %s' % (
      cfg.model_dir, tmp_path / old) in out
  assert_same_tensors(before, checkpoint_tensors(str(tmp_path / old)))
  assert 'model.ckpt-20.index' in os.listdir(cfg.model_dir)


def test_diverging_loss_stops_with_the_epoch_and_saves_nothing(tmp_path,
                                                               dataset_dir):
  cfg = small_config(tmp_path, dataset_dir, 'homl', learning_rate=1e4)
  with pytest.raises(TrainingError, match=r'epoch 1: the training loss became '
                     r'(nan|inf) \(is --learning_rate=10000 too high\?\); the '
                     r'last good checkpoint in .*/model is kept'):
    training.train(cfg)
  assert not [n for n in os.listdir(cfg.model_dir) if n.startswith('model.')]


@pytest.mark.parametrize('variant, sizes', [
    ('dropout', dict(hidden_units=(16, 16))),
    ('deep_cnn', dict(filters=(4, 4, 4), hidden_units=(16,))),
    ('batchnorm', dict(hidden_units=(16, 16)))])
def test_chunked_evaluation_equals_one_pass(variant, sizes):
  """With dropout, whose masks the chunks bound, in the graph; batch norm's
  moving averages are moved off their initial values first."""
  cfg = config.for_variant(variant, seed=2, **sizes)
  rng = np.random.default_rng(0)
  images = rng.random((1234, data.IMAGE_PIXELS), dtype=np.float32)
  labels = rng.integers(0, data.NUM_CLASSES, 1234)
  with tf.Graph().as_default() as graph:
    m = model.build(cfg)
    init = tf.compat.v1.global_variables_initializer()
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(init)
    sess.run(m.train_op, {m.X: images[:100], m.y: labels[:100],
                          m.training: True})
    whole = sess.run([m.loss, m.metric], {m.X: images, m.y: labels})
    chunked = loop.evaluate(sess, m, (images, labels), chunk_size=100)
  assert chunked[0] == pytest.approx(float(whole[0]), rel=1e-6)
  assert chunked[1] * len(labels) == round(float(whole[1]) * len(labels))
  assert 0 < chunked[1] < 1


def test_evaluation_chunks_shrink_for_wide_activations():
  assert loop.eval_chunk(config.for_variant('dropout')) == 1000
  # cifar_cnn's first convolution: 31x31x98 floats an image.
  assert loop.eval_chunk(config.for_variant('cifar_cnn')) == (
      loop.EVAL_BUDGET_BYTES // (4 * 31 * 31 * 98))


def test_early_stopping():
  assert not loop.should_stop_early(49, 50)
  assert loop.should_stop_early(50, 50)
  assert not loop.should_stop_early(10 ** 6, None)


def test_next_state_tracks_the_best_epoch():
  state = checkpoints.INITIAL_STATE._replace(loss_sum=3.0, metric_sum=1.0)
  state = loop.next_state(state, 1, 0.5)
  assert state == checkpoints.State(1, 0.0, 0.0, 0.5, 1, 0)
  state = loop.next_state(state, 2, 0.6)
  assert state == checkpoints.State(2, 0.0, 0.0, 0.5, 1, 1)
  state = loop.next_state(state, 3, 0.4)
  assert state == checkpoints.State(3, 0.0, 0.0, 0.4, 3, 0)
  assert math.isinf(checkpoints.INITIAL_STATE.best_loss)


def test_early_stopping_ends_a_run(tmp_path, capsys):
  # Labels unrelated to the images: validation loss rises once the network
  # starts memorising the training set.
  data_dir = write_dataset(str(tmp_path / 'noise'), learnable=False)
  cfg = small_config(tmp_path, data_dir, 'homl', epochs=50, patience=2,
                     optimizer='adam', learning_rate=0.01)
  result = training.train(cfg)
  out = capsys.readouterr().out
  assert result.stopped_early and result.epochs < 50
  assert result.best_epoch == result.epochs - 2
  assert ('Early stopping: no better validation loss for 2 epochs since '
          'epoch %d' % result.best_epoch) in out


def sigterm_in_epoch_2_then_resume(tmp_path, dataset_dir, monkeypatch,
                                   capsys, send_sigterm, global_step,
                                   **overrides):
  """Trains straight through, then with send_sigterm() patched in, then on.

  send_sigterm makes training signal itself during epoch 2 (10 batches an
  epoch); the interrupted run must save a checkpoint at global_step, and
  the resumed one must end equal to the straight run.
  """
  straight = small_config(tmp_path / 'a', dataset_dir, **overrides)
  training.train(straight)

  send_sigterm()
  cfg = small_config(tmp_path / 'b', dataset_dir, **overrides)
  result = training.train(cfg)
  out = capsys.readouterr().out
  assert result.interrupted_by == signal.SIGTERM and result.epochs == 1
  assert ('Interrupted by SIGTERM during epoch 2; saved a checkpoint in %s'
          % cfg.model_dir) in out
  assert checkpoint_tensors(cfg.model_dir)['global_step'] == global_step
  with open(os.path.join(cfg.model_dir, checkpoints.EPOCH_FILE)) as f:
    assert f.read() == '1'
  assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL

  monkeypatch.undo()
  training.train(cfg)
  assert 'Training was interrupted. Continuing at epoch 2' in (
      capsys.readouterr().out)
  assert_same_tensors(checkpoint_tensors(straight.model_dir),
                      checkpoint_tensors(cfg.model_dir))


@pytest.mark.parametrize('steps_per_call, saved_at', [
    (1, 14),
    # The call that holds batch 4 of epoch 2 is batches 4-6 (steps 14-16);
    # the signal is seen when it returns.
    (3, 16),
])
def test_sigterm_mid_epoch_saves_there_and_resumes_exactly(
    tmp_path, dataset_dir, monkeypatch, capsys, steps_per_call, saved_at):
  """A real SIGTERM, sent to this process as the call that trains batch 4
  of epoch 2 (global step 14; epochs have 10 batches) begins."""
  real_train = multistep.Trainer.train
  def train_then_signal(self, X, y, batches, sums):
    first = len(calls) + 1
    calls.extend(batches)
    if first <= 14 <= len(calls):
      os.kill(os.getpid(), signal.SIGTERM)
    return real_train(self, X, y, batches, sums)
  calls = []
  sigterm_in_epoch_2_then_resume(
      tmp_path, dataset_dir, monkeypatch, capsys,
      lambda: monkeypatch.setattr(multistep.Trainer, 'train',
                                  train_then_signal),
      global_step=saved_at, epochs=3, steps_per_call=steps_per_call)


def test_sigterm_during_an_epochs_end_still_saves_that_epoch(
    tmp_path, dataset_dir, monkeypatch, capsys):
  """A SIGTERM that lands while epoch 1 is validated, which is no checkpoint
  epoch: the checkpoint the message promises holds epoch 1's end."""
  real_evaluate = loop.evaluate
  def evaluate_then_signal(*args):
    if not calls:
      os.kill(os.getpid(), signal.SIGTERM)
    calls.append(args)
    return real_evaluate(*args)
  calls = []
  sigterm_in_epoch_2_then_resume(
      tmp_path, dataset_dir, monkeypatch, capsys,
      lambda: monkeypatch.setattr(loop, 'evaluate', evaluate_then_signal),
      global_step=10, checkpoint_every=2)


def test_runs_started_in_the_same_second_get_their_own_folders(tmp_path):
  now = datetime.datetime(2026, 11, 22, 19, 5, 28)
  names = []
  for _ in range(3):
    names.append(summaries.run_name(str(tmp_path), 'homl', now))
    os.makedirs(os.path.join(str(tmp_path), names[-1]))
  assert names == ['homl-run-20261122190528', 'homl-run-20261122190528-2',
                   'homl-run-20261122190528-3']


def test_unwritable_logdir_is_a_user_error(tmp_path, dataset_dir):
  (tmp_path / 'file').write_text('')
  cfg = small_config(tmp_path, dataset_dir, logdir=str(tmp_path / 'file'))
  with pytest.raises(UserError, match=r'--logdir: cannot create .*file/'
                     r'dropout-mnist-run-\d+/train: Not a directory'):
    training.train(cfg)


@pytest.mark.parametrize('variant, overrides, threads', [
    ('homl', {}, (1, 1)),  # 50 x 784 activations, 56 MFLOPs a step.
    ('plain', {}, (1, 0)),  # 100 x 784, 121 MFLOPs: overlap the gradients.
    ('dropout', {}, (1, 0)),
    ('dropout', {'batch_size': 5000}, (0, 0)),  # Big ops: split them.
    ('homl', {'intra_op_threads': 3, 'inter_op_threads': 0}, (3, 0)),
    ('dropout', {'batch_size': 5000, 'intra_op_threads': 1}, (1, 0)),
])
def test_session_threads(variant, overrides, threads):
  cfg = config.for_variant(variant, **overrides)
  assert training.session_threads(cfg) == threads
