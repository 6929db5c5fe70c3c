"""Between-graph replication on TensorFlow's gRPC runtime.

As TensorFlow's mnist_replica.py taught it: every task runs
tf.distribute.Server; ps tasks only serve; each worker builds the whole
graph under replica_device_setter, so the variables (the run state and the
global step among them) live on the ps tasks and every worker's steps update
them. Worker 0, the chief, initializes or restores, evaluates and writes.

What the workers share besides the model, in variables on the ps tasks:
  cluster/batches     [workers] int64: batches of the open epoch trained,
                      per share; saved with checkpoints, with
  cluster/open_epoch  the epoch (0-based) the chief has opened for training;
  cluster/owner       [workers]: who trains each share now;
  cluster/given_up    [workers]: 1 for a worker the chief gave up on;
  cluster/pause       1 while the chief stops the workers to save;
  cluster/stopped     [workers]: 1 for a worker that has stopped for it;
  cluster/settings    the chief's settings (fingerprint()), which a task
                      that joins compares with its own.
shares.py says how an epoch is shared out and kept whole. Each step also
adds its loss and accuracy to the run state's partial sums, so the chief's
epoch line covers every worker.
"""

import contextlib
import json
import re
import socket
import time

import tensorflow as tf

from legacy_dnn import checkpoints
from legacy_dnn import cli
from legacy_dnn import cluster_config
from legacy_dnn import precision as precision_lib
from legacy_dnn import reporting
from legacy_dnn import shares
from legacy_dnn import errors
from legacy_dnn.errors import LostTaskError, UserError

# How often a worker knocks on a ps task that does not answer yet.
CONNECT_POLL_SECONDS = 0.25
# What TensorFlow's C++ side logs when a server cannot listen; the error
# start_server raises says it in one line.
SERVER_FAILURE = re.compile(r'E\d{4} [\d:.]+ +\d+ (add_port\.cc:\d+\] Failed '
                            r'to add port|grpc_server_lib\.cc:\d+\] UNKNOWN: '
                            r'Could not start gRPC server)')
# What losing a task looks like to a session on the gRPC runtime.
LOST_TASK_ERRORS = checkpoints.LOST_TASK_ERRORS
# What TensorFlow logs when a task goes away between steps: after each step
# the master cleans it up on every task, in the background, and logs a
# cleanup that fails, with gRPC's details on the lines after. The run stops
# with its own line (lost_task_error) at its next step; cli.filter_stderr
# drops these.
LOST_TASK_CHATTER = re.compile(
    r'E\d{4} [\d:.]+ +\d+ master_session\.cc:\d+\] Cleanup partition error: '
    r'(UNAVAILABLE|ABORTED|DEADLINE_EXCEEDED): '
    r'|Additional GRPC error information from remote target /job:'
    r'|:\w+:Error received from peer ')


def start_server(cluster, threads=(0, 0)):
  """Starts this task's tf.distribute.Server.

  threads: (intra-op, inter-op) counts for the ops this task runs; on the
  gRPC runtime a worker's devices are the server's, so a session's counts
  would not apply.

  Raises:
    UserError: it cannot listen on its host:port.
  """
  session_config = tf.compat.v1.ConfigProto(
      intra_op_parallelism_threads=threads[0],
      inter_op_parallelism_threads=threads[1])
  try:
    with cli.without_lines(SERVER_FAILURE):
      server = tf.distribute.Server(
          tf.train.ClusterSpec(cluster.spec()), job_name=cluster.job_name,
          task_index=cluster.task_index, config=session_config)
  except (tf.errors.OpError, ValueError) as e:
    raise UserError(
        '%s: %s task %d cannot listen on %s (%s): the port is in use, or the '
        'host is not this machine'
        % (_hosts_source(cluster, cluster.job_name), cluster.job_name,
           cluster.task_index, cluster.address,
           errors.tensorflow_message(e))) from None
  reporting.say(open_port_warning(cluster))
  return server


def open_port_warning(cluster):
  """The line every task prints once its server listens.

  TensorFlow's gRPC server listens on 0.0.0.0 whatever host the cluster
  names for the task (grpc_server_lib.cc; a ServerDef has a port but no
  address), so a cluster on 127.0.0.1 is open to the network too, and its
  servers run any graph sent to them, with no authentication.
  """
  host, port = cluster.address.rsplit(':', 1)
  return ('Warning: %s task %d listens on port %s of every network '
          'interface, not only %s, and runs any graph sent to it, '
          'unauthenticated (TensorFlow\'s server cannot be bound to one '
          'address): keep the cluster on a trusted network, or firewall the '
          'port to the cluster\'s hosts (docs/distributed.md)'
          % (cluster.job_name, cluster.task_index, port, host))


def _hosts_source(cluster, job):
  """What the user fixes to change a job's hosts."""
  if cluster.described_by == cluster_config.TF_CONFIG:
    return '%s\'s %s job' % (cluster_config.TF_CONFIG, job)
  return '--%s_hosts' % job


def serve(cluster, interrupts, deterministic=True):
  """Runs a ps task until interrupts catches SIGINT or SIGTERM.

  deterministic: turn on op determinism for the updates the ps task runs.
  """
  if deterministic:
    tf.config.experimental.enable_op_determinism()
  server = start_server(cluster)
  reporting.say('ps task %d of %d serving at %s (%s); Ctrl-C or SIGTERM '
                'stops it' % (cluster.task_index, len(cluster.ps_hosts),
                              cluster.address, server.target))
  signum = interrupts.wait()
  reporting.say('ps task %d stopped' % cluster.task_index)
  return signum


def device_scope(cluster):
  """Where a worker's ops go: variables on the ps tasks, the rest here."""
  return tf.compat.v1.device(tf.compat.v1.train.replica_device_setter(
      worker_device='/job:%s/task:%d' % (cluster_config.WORKER,
                                         cluster.task_index),
      cluster=tf.train.ClusterSpec(cluster.spec())))


def session_config(cluster, precision=precision_lib.FLOAT32):
  """A worker's session talks to the ps tasks and itself, no other worker;
  its graph is rewritten for precision (precision.py)."""
  return precision_lib.session_config(precision, device_filters=[
      '/job:%s' % cluster_config.PS,
      '/job:%s/task:%d' % (cluster_config.WORKER, cluster.task_index)])


def unreachable(cluster, timeout=1.0):
  """The ps hosts that refuse a TCP connection now."""
  down = []
  for host in cluster.ps_hosts:
    name, port = host.rsplit(':', 1)
    try:
      socket.create_connection((name, int(port)), timeout=timeout).close()
    except OSError:
      down.append(host)
  return down


def wait_for_ps(cluster):
  """Waits until every ps task accepts connections, at most the timeout.

  A session on the gRPC runtime would wait for them forever.

  Raises:
    UserError: one did not answer in time.
  """
  deadline = time.monotonic() + cluster.timeout
  while True:
    down = unreachable(cluster)
    if not down:
      return
    if time.monotonic() > deadline:
      index = cluster.ps_hosts.index(down[0])
      raise UserError(
          'ps task %d at %s did not answer within %g s; start it (%s) or '
          'fix %s' % (index, down[0], cluster.timeout,
                      'train.py --job_name=ps --task_index=%d with the same '
                      'hosts' % index if cluster.described_by == 'flags'
                      else 'train.py with TF_CONFIG\'s task ps %d' % index,
                      _hosts_source(cluster, cluster_config.PS)))
    time.sleep(CONNECT_POLL_SECONDS)


def lost_task_error(cluster, error, model_dir):
  """The UserError for a session error that means a task went away."""
  down = unreachable(cluster)
  what = ('ps task %d at %s' % (cluster.ps_hosts.index(down[0]), down[0])
          if down else 'a task of the cluster')
  return LostTaskError(
      'lost %s (%s); nothing on disk was lost: the chief\'s checkpoints in %s '
      'are kept. Start the cluster again with the same commands to resume'
      % (what, type(error).__name__, model_dir))


@contextlib.contextmanager
def closing(sess, cluster):
  """Closes sess afterwards, unless a ps task is gone.

  Closing (or deleting) a session whose ps task is gone can wait for it
  forever, so the process must stop without it (cli.run does, for a
  LostTaskError). An error raised while a ps task is gone, whatever it says
  (a save's, say), is raised as the lost task's UnavailableError.
  """
  try:
    with sess.graph.as_default(), sess.as_default():
      yield sess
  except LOST_TASK_ERRORS:
    raise
  except BaseException as e:
    down = unreachable(cluster)
    if down:
      raise tf.errors.UnavailableError(
          None, None, 'ps task at %s unreachable after: %s' % (down[0], e)
      ) from e
    sess.close()
    raise
  sess.close()


def describe(cluster, n_batches):
  """The lines every worker prints at start: its place, and the split."""
  sizes = shares.shares(n_batches, cluster.num_workers)
  mode = ('synchronous: SyncReplicasOptimizer aggregates %d gradients a step'
          % replicas_to_aggregate(cluster) if cluster.sync_replicas
          else 'asynchronous: each worker applies its own gradients')
  return ('Cluster: worker %d of %d%s, %d ps task%s (%s); %s\n'
          'Each epoch\'s %d batches are shared out: worker i trains batches '
          'i, i+%d, i+%d, ... (%s)'
          % (cluster.task_index, cluster.num_workers,
             ' (chief)' if cluster.is_chief else '', len(cluster.ps_hosts),
             '' if len(cluster.ps_hosts) == 1 else 's',
             ', '.join(cluster.ps_hosts), mode, n_batches,
             cluster.num_workers, 2 * cluster.num_workers,
             ', '.join('worker %d: %d' % (i, n)
                       for i, n in enumerate(sizes))))


# The settings of a cluster's tasks that may differ: those a resumed run
# may change, which only the chief uses.
TASK_SETTINGS = checkpoints.MUTABLE_SETTINGS


def fingerprint(config):
  """What every task of config's cluster must share, as JSON: the run's
  settings and the cluster's shape."""
  cluster = config.cluster
  settings = {k: v for k, v in config.settings().items()
              if k not in TASK_SETTINGS}
  settings.update(ps_hosts=list(cluster.ps_hosts),
                  worker_hosts=list(cluster.worker_hosts),
                  sync_replicas=cluster.sync_replicas,
                  replicas_to_aggregate=cluster.replicas_to_aggregate)
  return json.dumps(settings, sort_keys=True)


def _flag_value(value):
  if isinstance(value, list):
    return ','.join(map(str, value))
  return str(value)


def differences(mine, theirs, who):
  """The settings in which fingerprints mine and theirs differ, as flags:
  '--batch_size: this worker has 10, the cluster has 5; ...'. Where the
  variants differ, only they are named: each preset sets the rest."""
  mine, theirs = json.loads(mine), json.loads(theirs)
  keys = [k for k in sorted(set(mine) | set(theirs))
          if mine.get(k) != theirs.get(k)]
  named = ['variant'] if 'variant' in keys else keys
  return '; '.join('--%s: this %s has %s, the cluster has %s'
                   % (k, who, _flag_value(mine.get(k)),
                      _flag_value(theirs.get(k))) for k in named)


def replicas_to_aggregate(cluster):
  return cluster.replicas_to_aggregate or cluster.num_workers


class _SyncReplicas(tf.compat.v1.train.SyncReplicasOptimizer):
  """SyncReplicasOptimizer whose own ops do not wait for a batch.

  model.training builds the step under the batch norms' update ops, as TF1
  code did; apply_gradients would put its init ops, token queue and chief
  queue runner under them too, and those would then need a fed batch. The
  step still runs after the updates: its gradients were built under them.
  """

  def apply_gradients(self, *args, **kwargs):
    with tf.control_dependencies(None):
      return super().apply_gradients(*args, **kwargs)


class Replication:
  """A worker's part of the cluster, built in its graph under device_scope().

  Build it before the model, hand wrap_optimizer to model.build, then call
  build() with the model and the run state. shares.py runs the epochs on it.
  """

  def __init__(self, cluster, settings, precision=precision_lib.FLOAT32):
    """settings: this task's fingerprint(); precision: its sessions'."""
    self.cluster = cluster
    self.fingerprint = settings
    self.precision = precision
    self.sync = None  # The SyncReplicasOptimizer, with --sync_replicas.
    workers = cluster.num_workers
    with tf.compat.v1.variable_scope('cluster'):
      zeros = tf.compat.v1.zeros_initializer()
      # Saved with every checkpoint: a mid-epoch checkpoint says which
      # batches of its epoch are trained.
      saved = dict(trainable=False, initializer=zeros)
      self.batches = tf.compat.v1.get_variable('batches', [workers],
                                               tf.int64, **saved)
      self.open_epoch = tf.compat.v1.get_variable('open_epoch', [],
                                                  tf.int64, **saved)
      local = dict(trainable=False, initializer=zeros,
                   collections=[tf.compat.v1.GraphKeys.LOCAL_VARIABLES])
      self.owner = tf.compat.v1.get_variable('owner', [workers], tf.int64,
                                             **local)
      self.given_up = tf.compat.v1.get_variable('given_up', [workers],
                                                tf.int64, **local)
      self.pause = tf.compat.v1.get_variable('pause', [], tf.int64, **local)
      self.stopped = tf.compat.v1.get_variable('stopped', [workers],
                                               tf.int64, **local)
      # Made first by the chief's start(), with its settings.
      self._settings_in = tf.compat.v1.placeholder(tf.string, [])
      self.settings = tf.compat.v1.get_variable(
          'settings', initializer=self._settings_in, trainable=False,
          collections=[tf.compat.v1.GraphKeys.LOCAL_VARIABLES])
    self._local = [self.owner, self.given_up, self.pause, self.stopped,
                   self.settings]
    self._settings_told = tf.identity(  # Used by workers only: see ready_op.
        tf.compat.v1.is_variable_initialized(self.settings))
    self._epoch = tf.compat.v1.placeholder(tf.int64, [])
    self._counts = tf.compat.v1.placeholder(tf.int64, [workers])
    self._owners = tf.compat.v1.placeholder(tf.int64, [workers])
    # The epoch opens last, so a worker that sees it also sees its counts.
    with tf.control_dependencies([
        self.batches.assign(self._counts), self.owner.assign(self._owners),
        self.stopped.assign(tf.zeros([workers], tf.int64)),
        self.pause.assign(0)]):
      self._open = self.open_epoch.assign(self._epoch)
    # The share a step trains: this worker's own, or one it took over.
    self.share = tf.compat.v1.placeholder_with_default(
        tf.constant(cluster.task_index, tf.int64), [], name='share')
    me = tf.constant([cluster.task_index], tf.int64)
    self._give_up = tf.group(
        tf.compat.v1.scatter_update(self.given_up, [self.share], [1]),
        tf.compat.v1.scatter_update(self.owner, [self.share], me))
    self._come_back = tf.compat.v1.scatter_update(self.given_up,
                                                  me, [0])
    self._ack = tf.compat.v1.scatter_update(self.stopped, me, [1])
    self._set_pause = self.pause.assign(1)
    with tf.control_dependencies([self.stopped.assign(
        tf.zeros([workers], tf.int64))]):
      self._resume = self.pause.assign(0)
    # What a worker reads with every step: whether the chief stops the
    # cluster, and who owns the share now.
    self._flags = tf.stack([self.pause.read_value(),
                            tf.gather(self.owner, self.share)])

  def wrap_optimizer(self, optimizer):
    """model.build's hook: SyncReplicasOptimizer with --sync_replicas."""
    if not self.cluster.sync_replicas:
      return optimizer
    self.sync = _SyncReplicas(
        optimizer, replicas_to_aggregate=replicas_to_aggregate(self.cluster),
        total_num_replicas=self.cluster.num_workers)
    return self.sync

  def build(self, m, run_state):
    """The train op that also counts the step; the ready and init ops.

    The count runs on the ps, after the step's update there, so a worker
    killed mid-step leaves a batch either counted or, at worst, applied
    without its count; the ps never counts a batch it did not see.
    """
    sums = run_state.variables
    with tf.control_dependencies([m.train_op]):
      with tf.compat.v1.colocate_with(self.batches):
        count = tf.compat.v1.scatter_add(
            self.batches, tf.reshape(self.share, [1]),
            tf.ones([1], tf.int64))
      self.train_op = tf.group(
          count,
          sums.loss_sum.assign_add(tf.cast(m.loss, tf.float64)),
          sums.metric_sum.assign_add(tf.cast(m.metric, tf.float64)))
    self.step_fetches = [self.train_op, m.loss, self._flags]
    self._init = tf.compat.v1.variables_initializer(self._local)
    # Ready once the chief has initialized or restored the model and opened
    # an epoch.
    # (tf.identity, because the chief never runs it, and TensorFlow warns
    # of an unused report_uninitialized_variables.)
    self.ready_op = tf.identity(tf.compat.v1.report_uninitialized_variables(
        tf.compat.v1.global_variables() + self._local))
    if self.sync:
      # It builds a readiness op for MonitoredTrainingSession that nothing
      # here runs; consuming it quiets TensorFlow's warning of an unused op.
      tf.identity(self.sync.ready_for_local_init_op)
      self._chief_queue_runner = self.sync.get_chief_queue_runner()
      self._init_tokens = self.sync.get_init_tokens_op()
      # A worker blocked on its token while the others wait at the epoch's
      # end gets one from whoever waits: see wait().
      self._top_up = self.sync.get_init_tokens_op(num_tokens=1)
      self._tokens_left = self.sync._sync_token_queue.size()  # pylint: disable=protected-access

  def session(self, server, graph):
    """The chief's session on the cluster, once the ps tasks answer."""
    wait_for_ps(self.cluster)
    return tf.compat.v1.Session(
        server.target, graph=graph,
        config=session_config(self.cluster, self.precision))

  def join(self, server, graph):
    """A non-chief worker's session, once the chief's model is ready.

    Raises:
      UserError: the chief did not make it ready within the timeout, or
        runs with other settings.
    """
    wait_for_ps(self.cluster)
    sess = tf.compat.v1.Session(
        server.target, graph=graph,
        config=session_config(self.cluster, self.precision))
    deadline = time.monotonic() + self.cluster.timeout
    try:
      while not self._ready(sess, 'worker'):
        if time.monotonic() > deadline:
          raise UserError(
              'the chief (worker task 0 at %s) did not make the model ready '
              'within %g s; start it, or raise --cluster_timeout'
              % (self.cluster.worker_hosts[0], self.cluster.timeout))
        time.sleep(CONNECT_POLL_SECONDS)
      if self.sync:
        sess.run(self.sync.local_step_init_op)
    except BaseException:
      if not unreachable(self.cluster):  # Closing would wait for it.
        sess.close()
      raise
    return sess

  def _ready(self, sess, who):
    """Whether the ps tasks hold a ready model: one the chief initialized or
    restored, with an epoch open.

    Raises:
      UserError: the chief's settings, on the ps tasks, are not this
        task's. They are compared before anything else of this task's graph
        runs there: its variables need not match theirs.
    """
    if not sess.run(self._settings_told):
      return False
    theirs = sess.run(self.settings).decode()
    if theirs != self.fingerprint:
      raise UserError(
          'this %s\'s settings are not the cluster\'s: %s. %s' % (
              who, differences(self.fingerprint, theirs, who),
              'Start it with the flags the chief has' if who == 'worker'
              else 'Start it with the flags the cluster runs with, or stop '
              'every task to change them'))
    return not len(sess.run(self.ready_op))

  def running(self, sess):
    """Whether the ps tasks already hold a running cluster's variables: a
    chief that was restarted while they lived finds them so.

    Raises:
      UserError: that cluster runs with other settings.
    """
    return self._ready(sess, 'chief')

  def start(self, sess, epoch, counts=None):
    """The chief's part once the model is restored: open `epoch` (0-based),
    with counts of its batches already trained per share (default none)."""
    sess.run(self._init, {self._settings_in: self.fingerprint})
    if self.sync:
      sess.run(self.sync.chief_init_op)
      sess.run(self._init_tokens)
      self._chief_queue_runner.create_threads(
          sess, coord=tf.train.Coordinator(), daemon=True, start=True)
    self.open(sess, epoch, counts)

  def open(self, sess, epoch, counts=None):
    """Lets the workers train on epoch (0-based): each its own share, but
    the shares of workers given up on go to this one (the chief)."""
    workers = self.cluster.num_workers
    given_up = sess.run(self.given_up)
    owners = [self.cluster.task_index if given_up[i] else i
              for i in range(workers)]
    sess.run(self._open, {self._epoch: epoch, self._owners: owners,
                          self._counts: ([0] * workers if counts is None
                                         else counts)})

  def done(self, sess):
    """Batches of the open epoch trained, per share."""
    return sess.run(self.batches)

  def owners(self, sess):
    return [int(o) for o in sess.run(self.owner)]

  def give_up(self, sess, share):
    """Marks share's worker as lost and takes its share over."""
    sess.run(self._give_up, {self.share: share})

  def come_back(self, sess):
    """A worker that was given up on is back: it trains from the next epoch
    the chief opens."""
    was_given_up = bool(sess.run(self.given_up)[self.cluster.task_index])
    if was_given_up:
      sess.run(self._come_back)
    return was_given_up

  def stop_workers(self, sess):
    """The chief asks the workers to stop after their current step."""
    sess.run(self._set_pause)

  def acknowledge(self, sess):
    """A worker says it has stopped for the chief."""
    sess.run(self._ack)

  def resume(self, sess):
    """Lets stopped workers go on (a chief that rejoined)."""
    sess.run(self._resume)

  def paused(self, sess):
    return bool(sess.run(self.pause))

  def acknowledged(self, sess):
    return [bool(a) for a in sess.run(self.stopped)]

  def top_up(self, sess):
    """With --sync_replicas, a token for a worker blocked on one."""
    if self.sync and sess.run(self._tokens_left) == 0:
      sess.run(self._top_up)
