"""A process's place in a TensorFlow cluster: ClusterConfig, and the flags
of TensorFlow's mnist_replica.py (--ps_hosts, --worker_hosts, --job_name,
--task_index, ...) that scripts/train.py builds it from, with TF_CONFIG's
description (tf_config.py) where a scheduler gives one.
"""

import dataclasses
import os
import re
from typing import Optional, Tuple

from absl import flags

from legacy_dnn.errors import UserError

# How long a worker waits, by default, for the ps tasks to answer and for
# the chief to make the model ready.
DEFAULT_CLUSTER_TIMEOUT = 120.0
# How long the chief waits, by default, for a worker that trains nothing
# before it trains the rest of that worker's share itself.
DEFAULT_WORKER_TIMEOUT = 60.0
PS, WORKER = 'ps', 'worker'
# The environment variable in which Kubeflow's TFJob, Vertex AI and
# SageMaker describe a cluster to its tasks (tf_config.py reads it).
TF_CONFIG = 'TF_CONFIG'


@dataclasses.dataclass(frozen=True)
class ClusterConfig:
  """This process's place in a between-graph replicated cluster.

  As TensorFlow's mnist_replica.py: parameter servers hold the variables,
  workers each build the whole graph and train on their share of every
  epoch, and worker 0, the chief, initializes, evaluates and writes.
  """
  ps_hosts: Tuple[str, ...]
  worker_hosts: Tuple[str, ...]
  job_name: str  # PS or WORKER.
  task_index: int
  sync_replicas: bool = False
  # Gradients SyncReplicasOptimizer aggregates per step; default one per
  # worker.
  replicas_to_aggregate: Optional[int] = None
  # Seconds to wait for the ps tasks, and a worker for the chief's model.
  timeout: float = DEFAULT_CLUSTER_TIMEOUT
  # Seconds without a batch from a worker before the chief gives up on it
  # and trains the rest of its share (shares.py); 0 waits forever.
  worker_timeout: float = 0.0
  # What told this task its place: 'flags' or TF_CONFIG.
  described_by: str = 'flags'

  @property
  def num_workers(self):
    return len(self.worker_hosts)

  @property
  def is_chief(self):
    return self.job_name == WORKER and self.task_index == 0

  @property
  def address(self):
    """This task's host:port."""
    return (self.ps_hosts if self.job_name == PS
            else self.worker_hosts)[self.task_index]

  def spec(self):
    """The tf.train.ClusterSpec dict."""
    return {PS: list(self.ps_hosts), WORKER: list(self.worker_hosts)}


def is_host_list(value):
  return all(re.fullmatch(r'[^\s:,]+:\d{1,5}', v) and
             0 < int(v.rsplit(':', 1)[1]) < 65536 for v in value)


def _check_hosts(ps, workers, job, task_index):
  if not ps or not workers:
    raise flags.ValidationError('--job_name=%s needs both --ps_hosts and '
                                '--worker_hosts' % job)
  hosts = {PS: ps, WORKER: workers}[job]
  if task_index >= len(hosts):
    raise flags.ValidationError(
        '--task_index=%d is out of range: --%s_hosts lists %d %s task%s '
        '(0 to %d)' % (task_index, job, len(hosts), job,
                       's' if len(hosts) > 1 else '', len(hosts) - 1))
  seen = set()
  for host in list(ps) + list(workers):
    if host in seen:
      raise flags.ValidationError('--ps_hosts and --worker_hosts list %s '
                                  'twice; every task needs a port of its own'
                                  % host)
    seen.add(host)


def _check_cluster(v):
  """The cluster flags' consistency; raises flags.ValidationError."""
  ps, workers, job = v['ps_hosts'], v['worker_hosts'], v['job_name']
  if job is None:
    if ps or workers:
      raise flags.ValidationError('--ps_hosts and --worker_hosts need '
                                  '--job_name=ps or --job_name=worker')
    if v['task_index']:
      raise flags.ValidationError('--task_index needs --job_name')
    if not os.environ.get(TF_CONFIG, '').strip():
      for name in ('sync_replicas', 'replicas_to_aggregate',
                   'worker_timeout'):
        if v[name] is not None and v[name] is not False:
          raise flags.ValidationError(
              '--%s needs a cluster: --ps_hosts, --worker_hosts and '
              '--job_name, or TF_CONFIG' % name)
  else:
    _check_hosts(ps, workers, job, v['task_index'])
  if v['replicas_to_aggregate'] and not v['sync_replicas']:
    raise flags.ValidationError('--replicas_to_aggregate needs '
                                '--sync_replicas')
  if v['worker_timeout'] and v['sync_replicas']:
    raise flags.ValidationError(
        '--worker_timeout=%g: with --sync_replicas the chief cannot train a '
        'lost worker\'s share (the gradients of a step are aggregated); pass '
        '--worker_timeout=0' % v['worker_timeout'])
  return True


def define_flags(flag_values):
  """Defines mnist_replica.py's flags, which put train.py in a cluster."""
  fv = flag_values
  flags.DEFINE_list(
      'ps_hosts', [],
      'Parameter server tasks, host:port,...; they hold the variables. '
      'With --worker_hosts and --job_name, trains in a TensorFlow cluster.',
      flag_values=fv)
  flags.DEFINE_list(
      'worker_hosts', [],
      'Worker tasks, host:port,...; each trains on its share of every '
      'epoch, and task 0 (the chief) also evaluates and writes.',
      flag_values=fv)
  flags.DEFINE_enum(
      'job_name', None, [PS, WORKER],
      'This process\'s job in the cluster: ps serves variables until '
      'stopped, worker trains.', flag_values=fv)
  flags.DEFINE_integer(
      'task_index', 0, 'This process\'s index in its job\'s host list.',
      lower_bound=0, flag_values=fv)
  flags.DEFINE_boolean(
      'sync_replicas', False,
      'Aggregate the workers\' gradients with SyncReplicasOptimizer '
      'instead of applying each as it comes.', flag_values=fv)
  flags.DEFINE_integer(
      'replicas_to_aggregate', None,
      'Gradients to aggregate per step with --sync_replicas. Default: the '
      'number of workers.', lower_bound=1, flag_values=fv)
  flags.DEFINE_float(
      'cluster_timeout', DEFAULT_CLUSTER_TIMEOUT,
      'Seconds a worker waits for the ps tasks to answer, and a non-chief '
      'worker for the chief to make the model ready, before it stops.',
      lower_bound=0.1, flag_values=fv)
  flags.DEFINE_float(
      'worker_timeout', None,
      'Seconds without a batch from a worker before the chief gives up on '
      'it and trains the rest of its share of the epoch; the worker joins '
      'again at the next epoch if it comes back. Default %g; 0 waits '
      'forever, as --sync_replicas must.' % DEFAULT_WORKER_TIMEOUT,
      lower_bound=0, flag_values=fv)
  for name in ('ps_hosts', 'worker_hosts'):
    flags.register_validator(
        name, is_host_list,
        message='must be host:port pairs separated by commas, e.g. '
        'localhost:2222,localhost:2223', flag_values=fv)
  flags.register_multi_flags_validator(
      ['ps_hosts', 'worker_hosts', 'job_name', 'task_index', 'sync_replicas',
       'replicas_to_aggregate', 'worker_timeout'], _check_cluster,
      flag_values=fv)
  if 'trace_every' in fv:
    flags.register_multi_flags_validator(
        ['trace_every', 'job_name'],
        lambda v: not (v['trace_every'] and v['job_name']),
        message='--trace_every traces a single process\'s steps; a cluster '
        'task does not trace', flag_values=fv)


def from_flags(fv, described=None):
  """The ClusterConfig of define_flags()' flags, or None.

  described: (ps_hosts, worker_hosts, job_name, task_index) as TF_CONFIG
    describes them (tf_config.place()), or None. Cluster flags given as well
    must describe the same.

  Raises:
    UserError: the flags and TF_CONFIG disagree, or a cluster's flag is
      given where TF_CONFIG describes no cluster.
  """
  named = None
  if 'job_name' in fv and fv.job_name is not None:
    named = (tuple(fv.ps_hosts), tuple(fv.worker_hosts), fv.job_name,
             fv.task_index)
  if named and described and named != described:
    raise UserError(_disagreement(named, described))
  place = named or described
  if place is None:
    if 'sync_replicas' in fv and (fv.sync_replicas or fv.worker_timeout
                                  is not None):
      raise UserError('--%s needs a cluster, and TF_CONFIG describes a '
                      'lone task' % ('sync_replicas' if fv.sync_replicas
                                     else 'worker_timeout'))
    return None
  ps_hosts, worker_hosts, job_name, task_index = place
  return ClusterConfig(
      ps_hosts=ps_hosts, worker_hosts=worker_hosts, job_name=job_name,
      task_index=task_index, sync_replicas=fv.sync_replicas,
      replicas_to_aggregate=fv.replicas_to_aggregate,
      timeout=fv.cluster_timeout,
      worker_timeout=(fv.worker_timeout if fv.worker_timeout is not None
                      else 0.0 if fv.sync_replicas
                      else DEFAULT_WORKER_TIMEOUT),
      described_by=TF_CONFIG if described and not named else 'flags')


def _disagreement(named, described):
  """The error line for cluster flags that TF_CONFIG contradicts."""
  names = ('--ps_hosts', '--worker_hosts', '--job_name', '--task_index')
  for name, flag_value, value in zip(names, named, described):
    if flag_value != value:
      if isinstance(value, tuple):
        flag_value, value = ','.join(flag_value), ','.join(value)
      return ('%s=%s, but %s says %s; give the cluster by flags or by %s, '
              'not both' % (name, flag_value, TF_CONFIG, value, TF_CONFIG))
  raise AssertionError('no disagreement')
