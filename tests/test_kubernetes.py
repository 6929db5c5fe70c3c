"""docs/kubernetes/'s manifests: their structure, their train.py flags, and
the TF_CONFIG each pod is given, read as train.py reads it. Kubernetes is
not on these machines: nothing here runs a pod."""

import json
import os
import shlex
import subprocess

import yaml
from absl import flags

from conftest import REPO
from legacy_dnn import cluster_config
from legacy_dnn import config
from legacy_dnn import tf_config

KUBERNETES = os.path.join(REPO, 'docs', 'kubernetes')
PORT = 2222


def documents(name):
  with open(os.path.join(KUBERNETES, name)) as f:
    return {(d['kind'], d['metadata']['name']): d
            for d in yaml.safe_load_all(f)}


def train_flags(command):
  """Parses a `python3 scripts/train.py ...` command's flags as train.py
  does; returns the FlagValues."""
  assert command[:2] == ['python3', 'scripts/train.py'], command
  fv = flags.FlagValues()
  config.define_flags(fv)
  cluster_config.define_flags(fv)
  fv(['train.py', *command[2:]])
  return fv


def place(monkeypatch, value):
  monkeypatch.setenv('TF_CONFIG', value)
  return tf_config.place()


def test_the_statefulsets_pods_build_the_tf_config_of_their_ordinal(
    monkeypatch, tmp_path):
  found = documents('statefulset.yaml')
  service = found['Service', 'legacy-dnn']
  assert service['spec']['clusterIP'] == 'None'
  assert [p['port'] for p in service['spec']['ports']] == [PORT]
  sets = {name: d for (kind, name), d in found.items()
          if kind == 'StatefulSet'}
  assert sorted(sets) == ['legacy-dnn-ps', 'legacy-dnn-worker']
  # Every pod's DNS name: <set>-<ordinal>.<service>.
  hosts = {job: ['%s-%d.legacy-dnn:%d' % (name, i, PORT)
                 for i in range(sets[name]['spec']['replicas'])]
           for job, name in (('ps', 'legacy-dnn-ps'),
                             ('worker', 'legacy-dnn-worker'))}
  policy = found['NetworkPolicy', 'legacy-dnn']['spec']
  for job, name in (('ps', 'legacy-dnn-ps'), ('worker', 'legacy-dnn-worker')):
    spec = sets[name]['spec']
    labels = spec['template']['metadata']['labels']
    assert spec['serviceName'] == 'legacy-dnn'
    assert spec['selector']['matchLabels'].items() <= labels.items()
    assert service['spec']['selector'].items() <= labels.items()
    assert policy['podSelector']['matchLabels'].items() <= labels.items()
    (container,) = spec['template']['spec']['containers']
    assert [p['containerPort'] for p in container['ports']] == [PORT]
    assert container['command'] == ['/bin/sh', '-c']
    (script,) = container['args']
    launch = script.strip().splitlines()[-1]
    command = shlex.split(launch)
    assert command[0] == 'exec'
    fv = train_flags(command[1:])
    assert fv.job_name is None and not fv.ps_hosts  # TF_CONFIG says it.
    if job == 'worker':
      mounts = {m['mountPath'] for m in container['volumeMounts']}
      assert {fv.data_dir, os.path.dirname(fv.model_dir),
              os.path.dirname(fv.logdir)} <= mounts
    # The script as a pod runs it, its last line printing TF_CONFIG instead
    # of training.
    shown = script.replace(launch, 'printenv TF_CONFIG')
    for i in range(spec['replicas']):
      result = subprocess.run(
          ['/bin/sh', '-c', shown], capture_output=True, text=True,
          check=True, env={'HOSTNAME': '%s-%d' % (name, i),
                           'PATH': os.environ['PATH']})
      described = json.loads(result.stdout)
      assert described == {'cluster': hosts,
                           'task': {'type': job, 'index': i}}
      assert place(monkeypatch, result.stdout) == (
          tuple(hosts['ps']), tuple(hosts['worker']), job, i)


def test_the_tfjob_runs_train_py_as_the_operator_describes_it(monkeypatch):
  found = documents('tfjob.yaml')
  job = found['TFJob', 'legacy-dnn']
  assert job['apiVersion'] == 'kubeflow.org/v1'
  replicas = job['spec']['tfReplicaSpecs']
  assert sorted(replicas) == ['Chief', 'PS', 'Worker']
  claims = {name for kind, name in found if kind == 'PersistentVolumeClaim'}
  policy = found['NetworkPolicy', 'legacy-dnn']['spec']
  for kind, spec in replicas.items():
    template = spec['template']
    assert policy['podSelector']['matchLabels'].items() <= (
        template['metadata']['labels'].items())
    (container,) = template['spec']['containers']
    # The training operator finds its container and port by these names.
    assert container['name'] == 'tensorflow'
    assert container['ports'] == [{'containerPort': PORT,
                                   'name': 'tfjob-port'}]
    fv = train_flags(container['command'])
    assert fv.job_name is None
    volumes = {v['name']: v for v in template['spec'].get('volumes', [])}
    mounts = {m['mountPath']: m['name']
              for m in container.get('volumeMounts', [])}
    if kind != 'PS':
      assert mounts[fv.data_dir] in volumes
    if kind == 'Chief':
      runs = volumes[mounts[os.path.dirname(fv.model_dir)]]
      assert runs['persistentVolumeClaim']['claimName'] in claims
      assert os.path.dirname(fv.logdir) == os.path.dirname(fv.model_dir)
  # The TF_CONFIG the operator gives each pod: task types in lower case,
  # hosts named <job>-<type>-<index>.<namespace>.svc.
  cluster = {kind.lower(): ['legacy-dnn-%s-%d.default.svc:%d'
                            % (kind.lower(), i, PORT)
                            for i in range(spec['replicas'])]
             for kind, spec in replicas.items()}
  workers = tuple(cluster['chief'] + cluster['worker'])
  for kind, spec in replicas.items():
    for i in range(spec['replicas']):
      described = place(monkeypatch, json.dumps({
          'cluster': cluster, 'task': {'type': kind.lower(), 'index': i}}))
      expected_job, index = (('ps', i) if kind == 'PS' else
                             ('worker', 0) if kind == 'Chief' else
                             ('worker', 1 + i))
      assert described == (tuple(cluster['ps']), workers, expected_job,
                           index)
