"""Bad model_dir states: each ends in a clear message and loses at most one
checkpoint interval of training."""

import glob
import os
import re
import shutil
import signal
import subprocess

import pytest

from conftest import Proc, error_lines, run_script, script_command, script_env
from legacy_dnn import checkpoints
from legacy_dnn import training
from legacy_dnn.errors import CheckpointError
from test_training import (assert_same_tensors, checkpoint_tensors,
                           small_config)

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.


@pytest.fixture
def two_runs(tmp_path, dataset_dir):
  """A 4-epoch run, and the same run stopped after 3 epochs."""
  straight = small_config(tmp_path / 'straight', dataset_dir, epochs=4)
  training.train(straight)
  stopped = small_config(tmp_path / 'stopped', dataset_dir, epochs=3)
  training.train(stopped)
  return straight, small_config(tmp_path / 'stopped', dataset_dir, epochs=4)


@pytest.mark.slow
def test_each_kept_checkpoint_has_its_savers_meta_graph(two_runs):
  """Every kept checkpoint has the .meta a tf Saver writes beside it: a
  MetaGraphDef of the whole graph with that Saver's restore op. The rolling
  checkpoints' are one graph's, byte for byte (written from the first
  save's bytes while the graph, finalized, does not change)."""
  from tensorflow.core.protobuf import meta_graph_pb2  # pylint: disable=g-import-not-at-top
  straight, _ = two_runs
  prefixes = sorted(p[:-len('.index')] for p in glob.glob(
      os.path.join(straight.model_dir, '*.ckpt*.index')))
  assert [os.path.basename(p) for p in prefixes] == [
      'best.ckpt', 'model.ckpt-30', 'model.ckpt-40']
  metas = {}
  for prefix in prefixes:
    with open(prefix + '.meta', 'rb') as f:
      metas[prefix] = f.read()
    meta = meta_graph_pb2.MetaGraphDef.FromString(metas[prefix])
    nodes = {node.name for node in meta.graph_def.node}
    assert {'hidden1/kernel', 'outputs/bias', 'global_step'} <= nodes
    assert meta.saver_def.restore_op_name.split(':')[0] in nodes
  assert metas[prefixes[1]] == metas[prefixes[2]] != metas[prefixes[0]]


@pytest.mark.slow
def test_truncated_latest_checkpoint_falls_back_to_the_previous(two_runs,
                                                                capsys):
  straight, resumed = two_runs
  (data_file,) = glob.glob(os.path.join(resumed.model_dir,
                                        'model.ckpt-30.data-*'))
  with open(data_file, 'r+b') as f:
    f.truncate(100)
  training.train(resumed)
  captured = capsys.readouterr()
  # A line that says what went wrong, without the frames of the code that
  # built the node, which TensorFlow wraps a graph's errors in; then the
  # epoch file's warning.
  line, epoch_file = captured.err.splitlines()
  assert 'model.ckpt.epoch says' in epoch_file
  assert re.fullmatch(r'warning: %s: cannot restore: .*\S.*; falling back '
                      r'to model\.ckpt-20' % re.escape(os.path.join(
                          resumed.model_dir, 'model.ckpt-30')), line), line
  assert 'Graph execution error' not in line, line
  assert 'Continuing at epoch 3' in captured.out
  assert_same_tensors(checkpoint_tensors(straight.model_dir),
                      checkpoint_tensors(resumed.model_dir))


@pytest.mark.slow
def test_files_of_killed_saves_are_never_restored_and_then_removed(
    two_runs, capsys):
  """The names are those TensorFlow 2.21's Saver and tf.io write (strace)."""
  straight, resumed = two_runs
  folder = resumed.model_dir
  (data_file,) = glob.glob(os.path.join(folder, 'model.ckpt-30.data-*'))
  real = {'data': data_file, 'index': os.path.join(folder,
                                                   'model.ckpt-30.index')}
  # A newer checkpoint killed at each point of its save: bundle files not
  # yet renamed, its data renamed but not its index, index files half
  # written; and the same for the best model, the epoch file and run.json.
  orphans = {
      'model.ckpt-40.data-00000-of-00001.tempstate1245612406602803433': 'data',
      'model.ckpt-40.index.tempstate11841296739167954356': 'index',
      'model.ckpt-50.data-00000-of-00001': 'data',
      'model.ckpt-50.meta': 'index',
      'checkpoint.tmpc618d407a4534a5da7dfa0e251efdfdb': 'index',
      'model.ckpt-40.meta.tmpfbeb803f06764d8bb5c6b2e65042bd29': 'index',
      'best.ckpt.index.tempstate99': 'index',
      'best_checkpoint.tmp0123456789abcdef0123456789abcdef': 'index',
      '.model.ckpt.epochx8_3kq': 'index',
      '.run.jsonab12cd': 'index',
  }
  for name, kind in orphans.items():
    shutil.copy(real[kind], os.path.join(folder, name))
  os.makedirs(os.path.join(folder, 'model.ckpt-60_temp'))
  shutil.copy(data_file, os.path.join(folder, 'model.ckpt-60_temp', 'part'))
  # Files of the user's own, which look alike but are not ours.
  users = ['notes_temp', 'notes.tmp0123456789abcdef0123456789abcdef']
  os.makedirs(os.path.join(folder, users[0]))
  shutil.copy(real['index'], os.path.join(folder, users[1]))

  training.train(resumed)
  captured = capsys.readouterr()
  assert captured.err == ''
  assert 'Continuing at epoch 4' in captured.out
  assert_same_tensors(checkpoint_tensors(straight.model_dir),
                      checkpoint_tensors(folder))
  left = set(os.listdir(folder))
  assert not left & (set(orphans) | {'model.ckpt-60_temp'})
  assert set(users) <= left


@pytest.mark.slow
def test_checkpoint_index_naming_a_missing_file(two_runs, capsys):
  straight, resumed = two_runs
  with open(os.path.join(resumed.model_dir, 'checkpoint'), 'w') as f:
    f.write('model_checkpoint_path: "model.ckpt-999"\n'
            'all_model_checkpoint_paths: "model.ckpt-999"\n')
  training.train(resumed)
  assert 'Continuing at epoch 4' in capsys.readouterr().out
  assert_same_tensors(checkpoint_tensors(straight.model_dir),
                      checkpoint_tensors(resumed.model_dir))


@pytest.mark.slow
def test_garbage_epoch_file_is_reported_and_ignored(two_runs, capsys):
  straight, resumed = two_runs
  epoch_file = os.path.join(resumed.model_dir, checkpoints.EPOCH_FILE)
  with open(epoch_file, 'wb') as f:
    f.write(b'\x00garbage')
  training.train(resumed)
  captured = capsys.readouterr()
  assert ("warning: %s says '\\x00garbage' but the checkpoint holds epoch 3; "
          'using the checkpoint' % epoch_file) in captured.err
  assert 'Continuing at epoch 4' in captured.out
  with open(epoch_file) as f:
    assert f.read() == '4'
  assert_same_tensors(checkpoint_tensors(straight.model_dir),
                      checkpoint_tensors(resumed.model_dir))


@pytest.mark.slow
def test_no_readable_checkpoint_is_an_error_that_deletes_nothing(two_runs):
  _, resumed = two_runs
  for path in glob.glob(os.path.join(resumed.model_dir, 'model.ckpt-*.data-*')):
    with open(path, 'r+b') as f:
      f.truncate(10)
  before = sorted(os.listdir(resumed.model_dir))
  with pytest.raises(CheckpointError, match=r'none of its checkpoints can be '
                     r'read .*pass --restart to move it aside'):
    training.train(resumed)
  assert sorted(os.listdir(resumed.model_dir)) == before


@pytest.mark.slow
@pytest.mark.parametrize('content', [b'{not json', b'\xff\xfe\x00binary'])
def test_unreadable_run_record(two_runs, content):
  _, resumed = two_runs
  with open(os.path.join(resumed.model_dir, checkpoints.RUN_FILE), 'wb') as f:
    f.write(content)
  with pytest.raises(CheckpointError, match=r'run.json: unreadable .*pass '
                     r'--restart'):
    training.train(resumed)


def test_model_dir_locked_in_this_process(tmp_path, dataset_dir):
  cfg = small_config(tmp_path, dataset_dir)
  with checkpoints.lock(cfg.model_dir):
    with pytest.raises(CheckpointError, match=r'--model_dir=.* is in use by '
                       r'another training process \(pid %d\)' % os.getpid()):
      training.train(cfg)


def script_args(data_dir, model_dir, logdir, *extra):
  return ('--variant=homl', '--data_dir=' + data_dir, '--validation_size=100',
          '--hidden_units=32', '--model_dir=' + model_dir,
          '--logdir=' + logdir) + extra


@pytest.mark.slow
def test_second_process_on_a_model_dir_fails_and_the_first_goes_on(
    tmp_path, dataset_dir):
  # Far more epochs than the test waits for; it ends the run with SIGTERM.
  args = script_args(dataset_dir, str(tmp_path / 'm'), str(tmp_path / 'l'),
                     '--epochs=100000', '--patience=0')
  first = Proc('train.py', *args)
  first.wait_for_line('TensorBoard logs')
  second = run_script('train.py', *args)
  assert second.returncode == 1
  lines = error_lines(second.stderr)
  assert lines == ['train.py: error: --model_dir=%s is in use by another '
                   'training process (pid %d)' % (tmp_path / 'm',
                                                  first.pid)]
  assert first.popen.poll() is None
  # The first trains on: two more epochs after the second gave up.
  done = len([l for l in first.lines if l.startswith('Epoch: ')])
  first.wait_for_line('Epoch: %04d' % (done + 2))
  first.send_signal(signal.SIGTERM)
  assert first.wait() == 128 + signal.SIGTERM, first.stderr
  assert first.stderr == ''
  assert 'Interrupted by SIGTERM' in first.output


@pytest.mark.slow
def test_read_only_model_dir_is_one_clear_line(tmp_path, dataset_dir):
  """The directory is made read-only by a bind mount, since root ignores
  permission bits; unshare gives the process a mount namespace of its own."""
  model_dir, logdir = str(tmp_path / 'm'), str(tmp_path / 'l')
  args = script_args(dataset_dir, model_dir, logdir, '--epochs=2')
  assert run_script('train.py', *args).returncode == 0
  before = {n: os.path.getmtime(os.path.join(model_dir, n))
            for n in os.listdir(model_dir)}
  mount = ('mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && '
           'shift && exec "$@"')
  result = subprocess.run(
      ['unshare', '--map-root-user', '--mount', 'sh', '-c', mount, 'sh',
       model_dir] + script_command('train.py', *args, '--epochs=3'),
      env=script_env(), capture_output=True, text=True, timeout=300)
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'train.py: error: --model_dir=%s: cannot write there: Read-only file '
      'system' % model_dir]
  assert {n: os.path.getmtime(os.path.join(model_dir, n))
          for n in os.listdir(model_dir)} == before


def epoch_lines(output):
  """The epoch lines of a run's output, without their times."""
  return [re.sub(r' \([\d.]+ s\)', '', line) for line in output.splitlines()
          if line.startswith('Epoch: ')]


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_the_run_resumes_once_there_is_room(
    tmp_path, dataset_dir):
  """model_dir on a 9 MB tmpfs, which root can mount: a checkpoint of this
  network takes 3.4 MB, so the second epoch's saves find no room."""
  disk = tmp_path / 'disk'
  disk.mkdir()
  subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=9m', 'tmpfs',
                  str(disk)], check=True)
  try:
    model_dir = str(disk / 'm')
    args = ('--variant=xavier', '--data_dir=' + dataset_dir,
            '--validation_size=100', '--epochs=4', '--seed=3',
            '--logdir=' + str(tmp_path / 'logs'))
    full = run_script('train.py', *args, '--model_dir=' + model_dir)
    assert full.returncode == 1
    (line,) = error_lines(full.stderr)
    match = re.fullmatch(
        r'train\.py: error: %s: cannot save (a checkpoint|the best model): '
        r'no space left on device; a checkpoint of this run takes about '
        r'([\d.]+) MB, and a run keeps 2 of them and the best model, with '
        r'room for one more while it saves' % re.escape(model_dir), line)
    assert match, line
    assert len(epoch_lines(full.stdout)) == 1
    # What the failed save left: epoch 1's checkpoints, whole, no parts.
    kept = sorted(os.listdir(model_dir))
    assert not [n for n in kept if 'temp' in n], kept
    written = sum(os.path.getsize(p) for p in
                  glob.glob(os.path.join(model_dir, 'model.ckpt-*')))
    assert abs(float(match.group(2)) * 1e6 - written) < 0.1 * written
    subprocess.run(['mount', '-o', 'remount,size=40m', str(disk)], check=True)
    resumed = run_script('train.py', *args, '--model_dir=' + model_dir)
    assert resumed.returncode == 0, resumed.stderr
  finally:
    subprocess.run(['umount', '-l', str(disk)], check=False)
  straight_dir = str(tmp_path / 'straight')
  straight = run_script('train.py', *args, '--model_dir=' + straight_dir)
  assert straight.returncode == 0, straight.stderr
  assert (epoch_lines(full.stdout) + epoch_lines(resumed.stdout) ==
          epoch_lines(straight.stdout))
  assert resumed.stdout.splitlines()[-3:] == straight.stdout.splitlines()[-3:]
