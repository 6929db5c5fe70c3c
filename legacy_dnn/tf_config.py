"""Clusters described by the TF_CONFIG environment variable.

Kubeflow's TFJob, Vertex AI and SageMaker tell each task of a cluster where
it stands in TF_CONFIG, not in flags:

  {"cluster": {"chief": ["trainer-chief-0:2222"],
               "worker": ["trainer-worker-0:2222", "trainer-worker-1:2222"],
               "ps": ["trainer-ps-0:2222"]},
   "task": {"type": "worker", "index": 1}}

TensorFlow's TFConfigClusterResolver reads it; place() maps what it read
onto train.py's cluster of ps tasks and workers, in which worker 0 is the
chief: a "chief" task (or "master", its older name) is worker 0, and the
"worker" tasks follow it. Without a chief, worker 0 is the chief, as with
flags.
"""

import json
import os

import tensorflow as tf

from legacy_dnn import cluster_config
from legacy_dnn.errors import UserError

CHIEF_JOBS = ('chief', 'master')
EVALUATOR = 'evaluator'
TASK_TYPES = (cluster_config.PS, cluster_config.WORKER) + CHIEF_JOBS


def _error(message):
  return UserError('%s: %s' % (cluster_config.TF_CONFIG, message))


def _addresses(spec, job):
  """The job's host:port list, checked as --ps_hosts is."""
  if job not in spec.jobs:
    return []
  tasks = spec.job_tasks(job)
  if None in tasks:
    raise _error('the %s job leaves task %d out; list every task'
                 % (job, tasks.index(None)))
  if not cluster_config.is_host_list(tasks):
    raise _error('the %s job must list host:port addresses, e.g. '
                 '"trainer-%s-0:2222"; it has %s'
                 % (job, job, json.dumps(tasks)))
  return tasks


def place():
  """This task's (ps_hosts, worker_hosts, job_name, task_index) as
  TF_CONFIG describes them, or None where TF_CONFIG is unset or empty, or
  describes a lone task with no ps (Vertex AI's single replica), which
  trains in its process alone.

  Raises:
    UserError: TF_CONFIG is not JSON, has no cluster, or names a task that
      the cluster does not have or train.py does not run.
  """
  if not os.environ.get(cluster_config.TF_CONFIG, '').strip():
    return None
  try:
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
    spec = resolver.cluster_spec()
    task_type, task_index = resolver.task_type, resolver.task_id
  except json.JSONDecodeError as e:
    raise _error('not JSON: %s' % e) from None
  except (TypeError, ValueError) as e:
    raise _error(str(e)) from None
  if not spec.jobs:
    raise _error('it has no "cluster" with this task\'s jobs; see '
                 'docs/distributed.md for its form')
  unknown = sorted(set(spec.jobs) - set(TASK_TYPES) - {EVALUATOR})
  if unknown:
    raise _error('the cluster has a %s job; train.py runs %s'
                 % (unknown[0], ', '.join(TASK_TYPES)))
  jobs = {job: _addresses(spec, job) for job in TASK_TYPES}
  chiefs = [job for job in CHIEF_JOBS if job in spec.jobs]
  if len(chiefs) > 1:
    raise _error('the cluster has both a chief and a master job; give one')
  chief = jobs[chiefs[0]] if chiefs else []
  if len(chief) > 1:
    raise _error('the %s job lists %d tasks; it has one'
                 % (chiefs[0], len(chief)))
  workers = chief + jobs[cluster_config.WORKER]
  ps = jobs[cluster_config.PS]
  if task_type == EVALUATOR:
    raise _error('task type evaluator is not supported: the chief '
                 'evaluates the model after every epoch itself; leave the '
                 'evaluator out')
  if task_type not in TASK_TYPES:
    raise _error('its "task" must have a "type" (%s) and an "index"; it has '
                 '%s' % (', '.join(TASK_TYPES),
                         json.dumps(task_type) if task_type else 'none'))
  if task_index is None or not 0 <= task_index < len(jobs[task_type]):
    raise _error('task %s %s is outside the %s job, which lists %d task%s'
                 % (task_type, task_index, task_type, len(jobs[task_type]),
                    '' if len(jobs[task_type]) == 1 else 's'))
  if not ps:
    if len(workers) == 1:
      return None
    raise _error('the cluster has no ps job: train.py\'s workers keep '
                 'their variables on ps tasks; add one')
  if not workers:
    raise _error('the cluster has no chief or worker job')
  every = ps + workers
  twice = [host for i, host in enumerate(every) if host in every[:i]]
  if twice:
    raise _error('the cluster lists %s twice; every task needs a port of '
                 'its own' % twice[0])
  if task_type == cluster_config.PS:
    return tuple(ps), tuple(workers), cluster_config.PS, task_index
  first = 0 if task_type in CHIEF_JOBS else len(chief)
  return tuple(ps), tuple(workers), cluster_config.WORKER, first + task_index

