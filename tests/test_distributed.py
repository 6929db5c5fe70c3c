"""Clusters of real train.py processes on TensorFlow's gRPC runtime.

Every task is its own process on a free port of 127.0.0.1: ps tasks and
workers, started with the commands the README gives, killed with real
signals. The tests read the cluster's global step the way a worker does,
from a session on the ps task.
"""

import json
import os
import re
import signal
import socket
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_multiplexer

from conftest import (Proc, TensorBoard, error_lines, run_python, run_script,
                      wait_until, write_dataset, write_housing)
from legacy_dnn import checkpoints

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.

EPOCHS = 8
# 1,800 training images in batches of 5: 360 batches an epoch, 180 a worker,
# so a worker's share takes long enough to kill it in the middle.
SMALL = ['--variant=small', '--validation_size=300', '--batch_size=5',
         '--patience=0']


def free_ports(n):
  sockets = [socket.socket() for _ in range(n)]
  for s in sockets:
    s.bind(('127.0.0.1', 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


class Cluster:
  """One ps task and some workers, as the README starts them."""

  def __init__(self, root, data_dir, workers, *flags):
    ports = free_ports(1 + workers)
    self.ps_host = '127.0.0.1:%d' % ports[0]
    self.worker_hosts = ['127.0.0.1:%d' % p for p in ports[1:]]
    self.model_dir = str(root / 'model')
    self.logdir = str(root / 'logs')
    self.args = ['--data_dir=' + data_dir, '--model_dir=' + self.model_dir,
                 '--logdir=' + self.logdir, '--ps_hosts=' + self.ps_host,
                 '--worker_hosts=' + ','.join(self.worker_hosts)]
    self.args += list(flags)
    self.workers = workers

  def ps(self):
    return Proc('train.py', *self.args, '--job_name=ps')

  def worker(self, index):
    return Proc('train.py', *self.args, '--job_name=worker',
                '--task_index=%d' % index)

  def start(self):
    """Starts every task; returns (ps, [workers])."""
    return self.ps(), [self.worker(i) for i in range(self.workers)]

  def global_step(self):
    """The cluster's global step, read from the ps task as a worker does."""
    graph = tf.Graph()
    with graph.as_default(), tf.compat.v1.device('/job:ps/task:0'):
      step = tf.compat.v1.train.get_or_create_global_step()
    # Filtered to the ps job, or the session waits for every task of the
    # cluster, a killed one too.
    session_config = tf.compat.v1.ConfigProto(device_filters=['/job:ps'])
    with tf.compat.v1.Session('grpc://' + self.ps_host, graph=graph,
                              config=session_config) as sess:
      return int(sess.run(step))

  def stop_ps(self, ps):
    """SIGTERM, as a user's Ctrl-C would; the ps task must exit cleanly."""
    ps.send_signal(signal.SIGTERM)
    assert ps.wait() == 0, ps.stderr
    assert ps.lines[-1] == 'ps task 0 stopped', ps.output


class TfConfigCluster(Cluster):
  """The same cluster, described to each task by TF_CONFIG alone, as
  Kubeflow's TFJob does; with chief=True, in its form with a chief: worker
  0 is the "chief" task, workers 1, 2, ... its "worker" tasks 0, 1, ..."""

  def __init__(self, root, data_dir, workers, *flags, chief=False):
    super().__init__(root, data_dir, workers, *flags)
    self.args = [a for a in self.args
                 if not a.startswith(('--ps_hosts=', '--worker_hosts='))]
    self.jobs = {'ps': [self.ps_host]}
    if chief:
      self.jobs['chief'] = self.worker_hosts[:1]
      if workers > 1:
        self.jobs['worker'] = self.worker_hosts[1:]
    else:
      self.jobs['worker'] = self.worker_hosts
    self.chief = chief

  def tf_config(self, task_type, index):
    return {'TF_CONFIG': json.dumps({
        'cluster': self.jobs, 'task': {'type': task_type, 'index': index}})}

  def ps(self):
    return Proc('train.py', *self.args, env=self.tf_config('ps', 0))

  def worker(self, index):
    if not self.chief:
      task = ('worker', index)
    else:
      task = ('chief', 0) if index == 0 else ('worker', index - 1)
    return Proc('train.py', *self.args, env=self.tf_config(*task))


def kill(*procs):
  for proc in procs:
    proc.kill()
  for proc in procs:
    proc.wait()


def accuracy(output):
  return float(re.search(r'^Accuracy: ([\d.]+)$', output, re.M).group(1))


def epochs_in_tensorboard(logdir, model_dir):
  """{(split, tag): [steps]} of the run's scalars, read as TensorBoard does."""
  with open(os.path.join(model_dir, checkpoints.RUN_FILE)) as f:
    run_name = json.load(f)['run_name']
  multiplexer = event_multiplexer.EventMultiplexer()
  multiplexer.AddRunsFromDirectory(logdir)
  multiplexer.Reload()
  return {(split, tag): [e.step for e in multiplexer.Scalars(
      '%s/%s' % (run_name, split), tag)]
          for split in ('train', 'validation') for tag in ('loss', 'accuracy')}


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
  return write_dataset(str(tmp_path_factory.mktemp('data')), n_train=2100,
                       n_test=200)


@pytest.fixture(scope='module')
def async_cluster(tmp_path_factory, data_dir):
  """1 ps + 2 async workers: worker 1 killed and restarted, then all killed.

  Returns the Cluster and what was seen: the global step while worker 1 was
  down, and every process's output.
  """
  cluster = Cluster(tmp_path_factory.mktemp('async'), data_dir, 2, *SMALL,
                    '--epochs=%d' % EPOCHS)
  seen = {}
  ps, (chief, worker) = cluster.start()
  chief.wait_for_line('Epoch: 0002 ')
  kill(worker)
  seen['step_at_kill'] = cluster.global_step()
  wait_until(lambda: cluster.global_step() > seen['step_at_kill'] + 20,
             'the chief training on while worker 1 is down')
  worker = cluster.worker(1)
  seen['rejoined'] = worker.wait_for_line('Worker 1: epoch ')
  chief.wait_for_line('Epoch: 0005 ')
  kill(ps, chief, worker)
  seen['killed'] = chief.output

  ps, (chief, worker) = cluster.start()
  assert chief.wait() == 0, chief.stderr
  assert worker.wait() == 0, worker.stderr
  cluster.stop_ps(ps)
  seen['chief'], seen['worker'] = chief.output, worker.output
  return cluster, seen


@pytest.mark.slow
def test_async_workers_go_on_without_a_killed_worker_that_rejoins(
    async_cluster):
  _, seen = async_cluster
  # Killed after epoch 2's line, so it rejoins in epoch 3 or later and
  # trains its share of it.
  assert int(re.search(r'epoch (\d+) done', seen['rejoined']).group(1)) >= 3


@pytest.mark.slow
def test_a_killed_cluster_continues_from_the_chiefs_checkpoint(async_cluster):
  _, seen = async_cluster
  continued = int(re.search(r'Continuing at epoch (\d+)',
                            seen['chief']).group(1))
  done_when_killed = max(int(n) for n in re.findall(r'^Epoch: (\d+) ',
                                                    seen['killed'], re.M))
  # A checkpoint every epoch: none of the epochs the chief finished is lost.
  assert continued == done_when_killed + 1
  assert 'Worker 1: the run finished after %d epochs' % EPOCHS in (
      seen['worker'])


@pytest.mark.slow
def test_async_cluster_checkpoints_epoch_file_and_accuracy(async_cluster):
  cluster, seen = async_cluster
  assert accuracy(seen['chief']) >= 0.9
  with open(os.path.join(cluster.model_dir, checkpoints.EPOCH_FILE)) as f:
    assert f.read() == str(EPOCHS)
  reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(
      cluster.model_dir))
  assert reader.get_tensor('run_state/epoch') == EPOCHS
  assert tf.train.latest_checkpoint(cluster.model_dir,
                                    checkpoints.BEST_INDEX)
  # Of the cluster's own bookkeeping, a checkpoint holds only how far the
  # epoch got: who owns which share is the live cluster's business.
  assert sorted(n for n in reader.get_variable_to_shape_map()
                if n.startswith('cluster/')) == ['cluster/batches',
                                                 'cluster/open_epoch']
  # Every batch of every epoch once, through a killed worker and a killed
  # cluster: the ps took one global step a batch.
  assert reader.get_tensor('global_step') == EPOCHS * 360


@pytest.mark.slow
def test_tensorboard_shows_each_epoch_of_a_killed_cluster_once(async_cluster):
  cluster, _ = async_cluster
  with open(os.path.join(cluster.model_dir, checkpoints.RUN_FILE)) as f:
    run_name = json.load(f)['run_name']
  with TensorBoard(cluster.logdir) as tensorboard:
    tensorboard.wait_for(
        lambda: {run_name + '/train', run_name + '/validation'} <= set(
            tensorboard.get('runs')), 'the runs')
    for split in ('train', 'validation'):
      for tag in ('loss', 'accuracy'):
        points = tensorboard.get('plugin/scalars/scalars?run=%s/%s&tag=%s'
                                 % (run_name, split, tag))
        assert [step for _, step, _ in points] == list(
            range(1, EPOCHS + 1)), (split, tag)


# The three faults a preemptible cluster meets (#19): 1 ps + 2 workers of
# the small network, EPOCHS epochs of 360 batches, every kill in the middle
# of epoch 3.
MID_EPOCH_3 = 2 * 360 + 60


def kept_checkpoints_are_epoch_ends_or_stops(model_dir):
  """Every rolling checkpoint left holds the state its global step says:
  an epoch's end (step = epochs * 360), or a stop inside the epoch whose
  counts add up to the step. None is an older state saved under a newer
  step."""
  found = sorted(
      p[:-len('.index')] for p in os.listdir(model_dir)
      if re.fullmatch(r'model\.ckpt-\d+\.index', p))
  assert found
  for name in found:
    reader = tf.train.load_checkpoint(os.path.join(model_dir, name))
    step = int(name.rsplit('-', 1)[1])
    assert reader.get_tensor('global_step') == step, name
    epoch = reader.get_tensor('run_state/epoch')
    counts = reader.get_tensor('cluster/batches')
    if reader.get_tensor('cluster/open_epoch') == epoch:  # A stop.
      assert step == epoch * 360 + counts.sum(), name
    else:
      assert step == epoch * 360, name


def assert_whole_run(cluster, chief_output, epochs=EPOCHS):
  """The run trained every epoch, each batch once, and shows each once."""
  with open(os.path.join(cluster.model_dir, checkpoints.EPOCH_FILE)) as f:
    assert f.read() == str(epochs)
  reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(
      cluster.model_dir))
  assert reader.get_tensor('run_state/epoch') == epochs
  assert reader.get_tensor('global_step') == epochs * 360
  kept_checkpoints_are_epoch_ends_or_stops(cluster.model_dir)
  assert epochs_in_tensorboard(cluster.logdir, cluster.model_dir) == {
      (split, tag): list(range(1, epochs + 1))
      for split in ('train', 'validation') for tag in ('loss', 'accuracy')}
  assert re.findall(r'^Epoch: (\d+) ', chief_output, re.M)[-1] == (
      '%04d' % epochs)


@pytest.fixture(scope='module')
def undisturbed(tmp_path_factory, data_dir):
  """The accuracy of a 1 ps + 2 workers run that nothing disturbs."""
  cluster = Cluster(tmp_path_factory.mktemp('undisturbed'), data_dir, 2,
                    *SMALL, '--epochs=%d' % EPOCHS)
  ps, workers = cluster.start()
  for worker in workers:
    assert worker.wait() == 0, worker.stderr
  cluster.stop_ps(ps)
  return accuracy(workers[0].output)


@pytest.mark.slow
def test_the_chief_takes_over_a_lost_workers_share(tmp_path, data_dir,
                                                   undisturbed):
  cluster = Cluster(tmp_path, data_dir, 2, *SMALL, '--epochs=%d' % EPOCHS,
                    '--worker_timeout=2')
  ps, (chief, worker) = cluster.start()
  chief.wait_for_line('Epoch: 0002 ')
  wait_until(lambda: cluster.global_step() > MID_EPOCH_3, 'epoch 3 begin')
  kill(worker)
  gave_up = chief.wait_for_line('Gave up on worker 1: ')
  epoch = int(re.search(r'in epoch (\d+)', gave_up).group(1))
  assert 3 <= epoch <= EPOCHS - 2
  assert ('no batch of its share for 2 s (--worker_timeout). Worker 0 (the '
          'chief) trains the' in gave_up)
  # Back later, it joins at an epoch's start: the next one, or the one
  # after if the chief ended this one before it was held still until the
  # worker is back.
  chief.send_signal(signal.SIGSTOP)
  try:
    worker = cluster.worker(1)
    back = worker.wait_for_line('Worker 1: the chief gave up on me')
  finally:
    chief.send_signal(signal.SIGCONT)
  joins = int(re.search(r'I join at epoch (\d+)', back).group(1))
  assert joins in (epoch + 1, epoch + 2)
  assert chief.wait() == 0, chief.stderr
  assert worker.wait() == 0, worker.stderr
  cluster.stop_ps(ps)
  assert_whole_run(cluster, chief.output)
  assert abs(accuracy(chief.output) - undisturbed) <= 0.01
  trained = [int(n) for n in re.findall(r'^Worker 1: epoch (\d+) done',
                                        worker.output, re.M)]
  assert trained == list(range(joins, EPOCHS + 1)), worker.output


@pytest.mark.slow
def test_a_restarted_chief_rejoins_the_running_cluster(tmp_path, data_dir):
  cluster = Cluster(tmp_path, data_dir, 2, *SMALL, '--epochs=%d' % EPOCHS)
  ps, (chief, worker) = cluster.start()
  chief.wait_for_line('Epoch: 0002 ')
  wait_until(lambda: cluster.global_step() > MID_EPOCH_3, 'epoch 3 begin')
  kill(chief)
  at_kill = cluster.global_step()
  chief = cluster.worker(0)
  rejoined = chief.wait_for_line('Rejoined the running cluster: ')
  # Nothing rolled back: the ps's step only grows.
  assert cluster.global_step() >= at_kill
  assert 'nothing is restored or initialized' in rejoined
  assert chief.wait() == 0, chief.stderr
  assert worker.wait() == 0, worker.stderr
  cluster.stop_ps(ps)
  assert 'Training was interrupted' not in chief.output
  assert_whole_run(cluster, chief.output)
  assert accuracy(chief.output) >= 0.9


@pytest.mark.slow
def test_sigterm_to_the_chief_saves_inside_the_epoch(tmp_path, data_dir):
  cluster = Cluster(tmp_path, data_dir, 2, *SMALL, '--epochs=%d' % EPOCHS)
  ps, (chief, worker) = cluster.start()
  chief.wait_for_line('Epoch: 0002 ')
  wait_until(lambda: cluster.global_step() > MID_EPOCH_3, 'epoch 3 begin')
  chief.send_signal(signal.SIGTERM)
  assert chief.wait() == 128 + signal.SIGTERM, chief.stderr
  assert ('stopped the workers and saved a checkpoint in %s'
          % cluster.model_dir) in chief.lines[-1]
  stopped = worker.wait_for_line('Worker 1: the chief stopped the cluster '
                                 'during epoch ')
  reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(
      cluster.model_dir))
  epoch = reader.get_tensor('run_state/epoch')
  counts = reader.get_tensor('cluster/batches')
  assert 'during epoch %d' % (epoch + 1) in stopped
  assert reader.get_tensor('cluster/open_epoch') == epoch >= 2
  assert 0 < counts.sum() < 360
  assert reader.get_tensor('global_step') == epoch * 360 + counts.sum()
  kill(ps, worker)

  ps, (chief, worker) = cluster.start()
  assert chief.wait() == 0, chief.stderr
  assert worker.wait() == 0, worker.stderr
  cluster.stop_ps(ps)
  assert ('The checkpoint was saved during epoch %d, after %d of its 360 '
          'batches; the cluster trains the rest' % (epoch + 1, counts.sum())
          ) in chief.output
  assert_whole_run(cluster, chief.output)
  assert accuracy(chief.output) >= 0.9


@pytest.mark.slow
def test_sync_replicas_aggregate_the_workers_gradients(tmp_path, data_dir):
  epochs = 3
  cluster = Cluster(tmp_path, data_dir, 2, *SMALL, '--epochs=%d' % epochs,
                    '--sync_replicas')
  ps, workers = cluster.start()
  for worker in workers:
    assert worker.wait() == 0, worker.stderr
  cluster.stop_ps(ps)
  chief = workers[0].output
  assert 'synchronous: SyncReplicasOptimizer aggregates 2 gradients' in chief
  assert accuracy(chief) >= 0.9
  with open(os.path.join(cluster.model_dir, checkpoints.EPOCH_FILE)) as f:
    assert f.read() == str(epochs)
  # Asynchronous workers take one global step a batch; synchronous ones one
  # for every two batches, or fewer where a late gradient was dropped: a
  # few (526 and 536 of 540 here), never most of them.
  reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(
      cluster.model_dir))
  steps = reader.get_tensor('global_step')
  assert epochs * 360 // 2 * 3 // 4 <= steps <= epochs * 360 // 2, steps
  assert epochs_in_tensorboard(cluster.logdir, cluster.model_dir) == {
      (split, tag): [1, 2, 3] for split in ('train', 'validation')
      for tag in ('loss', 'accuracy')}


@pytest.mark.slow
@pytest.mark.parametrize('variant, described_by', [
    ('dropout', 'flags'), ('wide_deep', 'flags'), ('dropout', 'TF_CONFIG')])
def test_one_worker_with_one_ps_ends_equal_to_one_process(
    tmp_path, data_dir, variant, described_by):
  if variant == 'wide_deep':  # Two inputs, two heads, the scaler on the ps.
    data_dir = write_housing(str(tmp_path / 'housing'), 1000)
    args = ['--variant=wide_deep', '--epochs=2', '--data_dir=' + data_dir]
  else:
    args = ['--variant=dropout', '--hidden_units=64,64', '--epochs=2',
            '--validation_size=300', '--data_dir=' + data_dir]
  cluster = (TfConfigCluster if described_by == 'TF_CONFIG' else Cluster)(
      tmp_path / 'cluster', data_dir, 1, *args)
  ps, (worker,) = cluster.start()
  assert worker.wait() == 0, worker.stderr
  cluster.stop_ps(ps)
  if described_by == 'TF_CONFIG':
    assert not any('_hosts' in arg for arg in cluster.args)
    assert ('Cluster: worker 0 of 1 (chief), 1 ps task (%s)'
            % cluster.ps_host) in worker.output
  alone = str(tmp_path / 'alone')
  single = run_script('train.py', *args, '--model_dir=' + alone,
                      '--logdir=' + str(tmp_path / 'logs'))
  assert single.returncode == 0, single.stderr
  readers = [tf.train.load_checkpoint(tf.train.latest_checkpoint(d))
             for d in (cluster.model_dir, alone)]
  names = sorted(readers[1].get_variable_to_shape_map())
  # Besides the model, the cluster saves which batches of the epoch it had
  # trained: here, at the last epoch's end, all of them.
  assert sorted(readers[0].get_variable_to_shape_map()) == sorted(
      names + ['cluster/batches', 'cluster/open_epoch'])
  n_batches = readers[1].get_tensor('global_step') // 2
  assert list(readers[0].get_tensor('cluster/batches')) == [n_batches]
  assert readers[0].get_tensor('cluster/open_epoch') == 1
  for name in names:
    np.testing.assert_array_equal(readers[0].get_tensor(name),
                                  readers[1].get_tensor(name), err_msg=name)
  if variant == 'wide_deep':
    assert 'scaler/mean' in names
    assert re.findall(r'^Test MSE: .*$', worker.output, re.M) == re.findall(
        r'^Test MSE: .*$', single.stdout, re.M) != []
  else:
    assert accuracy(worker.output) == accuracy(single.stdout)


@pytest.mark.slow
def test_a_kubeflow_cluster_finishes_without_a_worker_killed_for_good(
    tmp_path, data_dir):
  """1 ps + a chief + 1 worker, as Kubeflow's TFJob describes them."""
  epochs = 4
  cluster = TfConfigCluster(tmp_path, data_dir, 2, *SMALL,
                            '--epochs=%d' % epochs, '--worker_timeout=2',
                            chief=True)
  ps, (chief, worker) = cluster.start()
  assert 'Cluster: worker 1 of 2, 1 ps task' in worker.wait_for_line(
      'Cluster: ')
  chief.wait_for_line('Epoch: 0001 ')
  wait_until(lambda: cluster.global_step() > 360 + 60, 'epoch 2 begin')
  kill(worker)
  assert 'Gave up on worker 1: ' in chief.wait_for_line('Gave up on worker 1')
  assert chief.wait() == 0, chief.stderr
  cluster.stop_ps(ps)
  assert_whole_run(cluster, chief.output, epochs)
  assert accuracy(chief.output) >= 0.9


@pytest.mark.slow
def test_a_worker_with_other_settings_is_told_which(tmp_path, data_dir):
  cluster = Cluster(tmp_path, data_dir, 2, *SMALL, '--epochs=3',
                    '--worker_timeout=2')
  ps, chief = cluster.ps(), cluster.worker(0)
  # The model is ready once the chief says where it logs.
  chief.wait_for_line('TensorBoard logs: ')
  for flag, line in [
      ('--variant=xavier', '--variant: this worker has xavier, the cluster '
       'has small'),
      ('--batch_size=10', '--batch_size: this worker has 10, the cluster '
       'has 5')]:
    # The chief's timeout would be the line after --cluster_timeout.
    misfit = Proc('train.py', *cluster.args, '--job_name=worker',
                  '--task_index=1', '--cluster_timeout=600', flag)
    assert misfit.wait() == 1, misfit.output
    assert error_lines(misfit.stderr) == [
        'train.py: error: this worker\'s settings are not the cluster\'s: '
        '%s. Start it with the flags the chief has' % line]
  assert chief.wait() == 0, chief.stderr
  cluster.stop_ps(ps)
  assert_whole_run(cluster, chief.output, 3)


@pytest.mark.slow
def test_a_chief_restarted_with_other_settings_is_told_which(tmp_path,
                                                            data_dir):
  cluster = Cluster(tmp_path, data_dir, 1, *SMALL, '--epochs=%d' % EPOCHS)
  ps, (chief,) = cluster.start()
  chief.wait_for_line('Epoch: 0001 ')
  kill(chief)
  # Another model_dir, or its run record would refuse the settings first.
  args = [a for a in cluster.args if not a.startswith('--model_dir=')]
  misfit = Proc('train.py', *args, '--model_dir=' + str(tmp_path / 'other'),
                '--job_name=worker', '--batch_size=10')
  try:
    assert misfit.wait() == 1, misfit.output
  finally:
    kill(ps)
  assert error_lines(misfit.stderr) == [
      'train.py: error: this chief\'s settings are not the cluster\'s: '
      '--batch_size: this chief has 10, the cluster has 5. Start it with the '
      'flags the cluster runs with, or stop every task to change them']


@pytest.mark.slow
def test_a_lost_ps_stops_workers_with_one_line_and_a_restart_resumes(
    tmp_path, data_dir):
  cluster = Cluster(tmp_path, data_dir, 1, *SMALL, '--epochs=%d' % EPOCHS)
  ps, (worker,) = cluster.start()
  worker.wait_for_line('Epoch: 0002 ')
  kill(ps)
  assert worker.wait() == 1
  lines = error_lines(worker.stderr)
  assert len(lines) == 1, worker.stderr
  (line,) = lines
  assert line.startswith('train.py: error: lost ps task 0 at %s '
                         % cluster.ps_host), line
  assert 'checkpoints in %s are kept' % cluster.model_dir in line
  with open(os.path.join(cluster.model_dir, checkpoints.EPOCH_FILE)) as f:
    saved = int(f.read())
  assert saved >= 2

  ps, (worker,) = cluster.start()
  assert worker.wait() == 0, worker.stderr
  cluster.stop_ps(ps)
  assert 'Continuing at epoch %d' % (saved + 1) in worker.output


# A chief's session, on this process's own worker server, with its variables
# on a real ps task, which the probe SIGKILLs; then a save, and an error
# inside distributed.closing(). The probe ends with os._exit: deleting a
# session whose ps task is gone can wait forever.
LOST_DURING_SAVE = """
import os, signal, sys, time
from legacy_dnn import cli
tf = cli.import_tensorflow()
from legacy_dnn import checkpoints, cluster_config, distributed
ps_pid, ps_host, worker_host, model_dir = sys.argv[1:]
cluster = cluster_config.ClusterConfig(ps_hosts=(ps_host,),
                                       worker_hosts=(worker_host,),
                                       job_name='worker', task_index=0)
server = distributed.start_server(cluster)
graph = tf.Graph()
with graph.as_default(), tf.compat.v1.device('/job:ps/task:0'):
  tf.compat.v1.train.get_or_create_global_step()
  ckpt = checkpoints.Checkpointer(model_dir, checkpoints.RunState())
  init = tf.compat.v1.global_variables_initializer()
sess = tf.compat.v1.Session(server.target, graph=graph,
                            config=distributed.session_config(cluster))
with graph.as_default():
  sess.run(init)
  ckpt.save(sess, 1)
  os.kill(int(ps_pid), signal.SIGKILL)
  while not distributed.unreachable(cluster):
    time.sleep(0.05)
  try:
    ckpt.save(sess, 2)
  except Exception as e:
    print('save:', type(e).__name__, flush=True)
  start = time.monotonic()
  try:
    with distributed.closing(sess, cluster):
      raise ValueError('an error while the ps task is gone')
  except Exception as e:
    print('closing:', type(e).__name__, flush=True)
  print('returned within 10 s:', time.monotonic() - start < 10, flush=True)
os._exit(0)
"""


@pytest.mark.slow
def test_a_ps_lost_during_a_save_is_a_lost_task_and_nothing_waits_for_it(
    tmp_path, data_dir):
  # A CI run lost its ps task in the middle of the chief's save: the save's
  # error hid the lost task, and closing the session waited forever.
  cluster = Cluster(tmp_path, data_dir, 1)
  ps = cluster.ps()
  ps.wait_for_line('ps task 0 of 1 serving at ')
  probe = tmp_path / 'probe.py'
  probe.write_text(LOST_DURING_SAVE)
  try:
    result = run_python(
        [sys.executable, str(probe), str(ps.pid), cluster.ps_host,
         cluster.worker_hosts[0], cluster.model_dir], timeout=120)
  finally:
    kill(ps)
  warning, *lines = result.stdout.splitlines()
  assert warning.startswith('Warning: worker task 0 listens on port ')
  assert lines == ['save: UnavailableError', 'closing: UnavailableError',
                   'returned within 10 s: True'], result.stderr
  # The first save is on disk; the second left nothing behind.
  assert tf.train.latest_checkpoint(cluster.model_dir).endswith('-1')


@pytest.mark.slow
@pytest.mark.next_tensorflow
def test_a_worker_without_its_ps_stops_after_the_timeout(tmp_path, data_dir):
  (port,) = free_ports(1)
  result = run_script('train.py', *SMALL, '--data_dir=' + data_dir,
                      '--model_dir=' + str(tmp_path / 'model'),
                      '--ps_hosts=127.0.0.1:%d' % port,
                      '--worker_hosts=127.0.0.1:%d' % free_ports(1)[0],
                      '--job_name=worker', '--cluster_timeout=1')
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'train.py: error: ps task 0 at 127.0.0.1:%d did not answer within 1 s;'
      ' start it (train.py --job_name=ps --task_index=0 with the same hosts)'
      ' or fix --ps_hosts' % port]


@pytest.mark.next_tensorflow
@pytest.mark.parametrize('flags, message', [
    (['--job_name=worker', '--ps_hosts=127.0.0.1:2222'],
     '--job_name=worker needs both --ps_hosts and --worker_hosts'),
    (['--ps_hosts=127.0.0.1:2222', '--worker_hosts=127.0.0.1:2223'],
     '--ps_hosts and --worker_hosts need --job_name=ps or --job_name=worker'),
    (['--job_name=worker', '--task_index=2', '--ps_hosts=127.0.0.1:2222',
      '--worker_hosts=127.0.0.1:2223,127.0.0.1:2224'],
     '--task_index=2 is out of range: --worker_hosts lists 2 worker tasks '
     '(0 to 1)'),
    (['--job_name=ps', '--ps_hosts=127.0.0.1:2222',
      '--worker_hosts=127.0.0.1:2223,127.0.0.1:2222'],
     '--ps_hosts and --worker_hosts list 127.0.0.1:2222 twice'),
    (['--job_name=ps', '--ps_hosts=localhost', '--worker_hosts=b:1'],
     "flag --ps_hosts=['localhost']: must be host:port pairs"),
    (['--sync_replicas'], '--sync_replicas needs a cluster'),
    (['--job_name=worker', '--ps_hosts=127.0.0.1:2222',
      '--worker_hosts=127.0.0.1:2223', '--replicas_to_aggregate=2'],
     '--replicas_to_aggregate needs --sync_replicas'),
])
def test_bad_cluster_flags_are_one_line_usage_errors(flags, message):
  result = run_script('train.py', *flags)
  assert result.returncode == 2
  (line,) = error_lines(result.stderr)
  assert line.startswith('train.py: error: ' + message), line


@pytest.mark.slow
@pytest.mark.next_tensorflow
def test_a_port_in_use_is_one_line(tmp_path, data_dir):
  with socket.socket() as taken:
    taken.bind(('127.0.0.1', 0))
    taken.listen()
    host = '127.0.0.1:%d' % taken.getsockname()[1]
    result = run_script('train.py', '--job_name=ps', '--ps_hosts=' + host,
                        '--worker_hosts=127.0.0.1:%d' % free_ports(1)[0])
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  assert line.startswith('train.py: error: --ps_hosts: ps task 0 cannot '
                         'listen on %s' % host), line
