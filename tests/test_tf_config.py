"""TF_CONFIG, as Kubeflow's TFJob, Vertex AI and SageMaker write it, read
into train.py's cluster; what it cannot mean is one error line."""

import json

import pytest

from conftest import error_lines, run_script
from legacy_dnn import cluster_config
from legacy_dnn import config
from legacy_dnn import tf_config
from legacy_dnn.errors import UserError

KUBEFLOW = {'chief': ['job-chief-0:2222'],
            'worker': ['job-worker-0:2222', 'job-worker-1:2222'],
            'ps': ['job-ps-0:2222']}
PS = ('job-ps-0:2222',)
WORKERS = ('job-chief-0:2222', 'job-worker-0:2222', 'job-worker-1:2222')


def described(monkeypatch, value):
  monkeypatch.setenv('TF_CONFIG', value if isinstance(value, str)
                     else json.dumps(value))
  return tf_config.place()


@pytest.mark.parametrize('task, place', [
    # The chief is worker 0, the chief of train.py's cluster; Kubeflow's
    # workers follow it.
    ({'type': 'chief', 'index': 0}, (PS, WORKERS, 'worker', 0)),
    ({'type': 'worker', 'index': 0}, (PS, WORKERS, 'worker', 1)),
    ({'type': 'worker', 'index': 1}, (PS, WORKERS, 'worker', 2)),
    ({'type': 'ps', 'index': 0}, (PS, WORKERS, 'ps', 0)),
])
def test_kubeflows_chief_is_worker_0_and_its_workers_follow(
    monkeypatch, task, place):
  assert described(monkeypatch, {'cluster': KUBEFLOW, 'task': task}) == place


def test_master_is_the_older_name_of_the_chief_and_without_one_worker_0_is(
    monkeypatch):
  cluster = {'master': ['m:1'], 'worker': ['w:2'], 'ps': ['p:3']}
  assert described(monkeypatch, {'cluster': cluster, 'task': {
      'type': 'master', 'index': 0}}) == (('p:3',), ('m:1', 'w:2'), 'worker', 0)
  del cluster['master']
  assert described(monkeypatch, {'cluster': cluster, 'task': {
      'type': 'worker', 'index': 0}}) == (('p:3',), ('w:2',), 'worker', 0)


def test_unset_or_empty_or_a_lone_task_trains_in_one_process(monkeypatch):
  monkeypatch.delenv('TF_CONFIG', raising=False)
  assert tf_config.place() is None
  assert described(monkeypatch, '  ') is None
  # Vertex AI's single replica: a chief alone, no ps.
  assert described(monkeypatch, {'cluster': {'chief': ['c:1']}, 'task': {
      'type': 'chief', 'index': 0}}) is None


@pytest.mark.parametrize('value, message', [
    ('{"cluster": ', 'TF_CONFIG: not JSON: Expecting value: line 1'),
    ({'task': {'type': 'worker', 'index': 0}},
     'TF_CONFIG: it has no "cluster" with this task\'s jobs'),
    ({'cluster': KUBEFLOW, 'task': {'type': 'worker', 'index': 2}},
     'TF_CONFIG: task worker 2 is outside the worker job, which lists 2 '
     'tasks'),
    ({'cluster': KUBEFLOW, 'task': {'type': 'chief', 'index': 1}},
     'TF_CONFIG: task chief 1 is outside the chief job, which lists 1 task'),
    ({'cluster': KUBEFLOW, 'task': {'type': 'evaluator', 'index': 0}},
     'TF_CONFIG: task type evaluator is not supported: the chief evaluates'),
    ({'cluster': KUBEFLOW}, 'TF_CONFIG: its "task" must have a "type" (ps, '
     'worker, chief, master) and an "index"; it has none'),
    ({'cluster': KUBEFLOW, 'task': {'type': 'trainer', 'index': 0}},
     'TF_CONFIG: its "task" must have a "type" (ps, worker, chief, master) '
     'and an "index"; it has "trainer"'),
    ({'cluster': {'worker': ['a:1', 'b:2']}, 'task': {'type': 'worker',
                                                     'index': 0}},
     'TF_CONFIG: the cluster has no ps job'),
    ({'cluster': {'worker': ['a:1'], 'ps': ['a:1']},
      'task': {'type': 'ps', 'index': 0}},
     'TF_CONFIG: the cluster lists a:1 twice'),
    ({'cluster': {'worker': ['a'], 'ps': ['b:1']},
      'task': {'type': 'ps', 'index': 0}},
     'TF_CONFIG: the worker job must list host:port addresses'),
    ({'cluster': {'worker': 'a:1', 'ps': ['b:1']},
      'task': {'type': 'ps', 'index': 0}},
     "TF_CONFIG: The tasks for job 'worker' must be a list"),
    ({'cluster': {'chief': ['a:1'], 'master': ['b:1'], 'ps': ['c:1']},
      'task': {'type': 'ps', 'index': 0}},
     'TF_CONFIG: the cluster has both a chief and a master job'),
    ({'cluster': {'worker': ['a:1'], 'ps': ['c:1'], 'scheduler': ['d:1']},
      'task': {'type': 'ps', 'index': 0}},
     'TF_CONFIG: the cluster has a scheduler job'),
])
def test_what_tf_config_cannot_mean_is_a_user_error(monkeypatch, value,
                                                     message):
  with pytest.raises(UserError) as raised:
    described(monkeypatch, value)
  assert str(raised.value).startswith(message), raised.value
  assert '\n' not in str(raised.value)


def flags_and(described, *args):
  fv = config.flags.FlagValues()
  config.define_flags(fv)
  cluster_config.define_flags(fv)
  fv(['train.py', *args])
  return config.from_flags(fv, described)


def test_flags_that_agree_with_tf_config_are_allowed_and_others_an_error(
    monkeypatch):
  place = described(monkeypatch, {'cluster': KUBEFLOW,
                                  'task': {'type': 'worker', 'index': 0}})
  same = ['--ps_hosts=' + ','.join(PS), '--worker_hosts=' + ','.join(WORKERS),
          '--job_name=worker', '--task_index=1']
  cluster = flags_and(place, *same).cluster
  assert (cluster.ps_hosts, cluster.worker_hosts, cluster.job_name,
          cluster.task_index, cluster.described_by) == place + ('flags',)
  cluster = flags_and(place, '--worker_timeout=5').cluster
  assert (cluster.task_index, cluster.worker_timeout,
          cluster.described_by) == (1, 5, 'TF_CONFIG')
  with pytest.raises(UserError) as raised:
    flags_and(place, *same[:3], '--task_index=2')
  assert str(raised.value) == (
      '--task_index=2, but TF_CONFIG says 1; give the cluster by flags or by '
      'TF_CONFIG, not both')
  with pytest.raises(UserError) as raised:
    flags_and(place, '--ps_hosts=x:1', *same[1:])
  assert str(raised.value).startswith(
      '--ps_hosts=x:1, but TF_CONFIG says job-ps-0:2222;')


def test_a_clusters_flag_with_a_lone_task_in_tf_config_is_an_error(
    monkeypatch):
  place = described(monkeypatch, {'cluster': {'chief': ['c:1']},
                                  'task': {'type': 'chief', 'index': 0}})
  assert flags_and(place).cluster is None
  with pytest.raises(UserError) as raised:
    flags_and(place, '--worker_timeout=5')
  assert str(raised.value) == ('--worker_timeout needs a cluster, and '
                               'TF_CONFIG describes a lone task')


@pytest.mark.slow
def test_train_py_says_a_bad_tf_config_in_one_line(tmp_path):
  result = run_script('train.py', '--model_dir=' + str(tmp_path / 'm'),
                      env={'TF_CONFIG': json.dumps({
                          'cluster': KUBEFLOW,
                          'task': {'type': 'evaluator', 'index': 0}})})
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  assert line.startswith('train.py: error: TF_CONFIG: task type evaluator '
                         'is not supported'), line
  assert not (tmp_path / 'm').exists()
