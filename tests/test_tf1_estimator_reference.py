"""legacy_dnn.v1's tf.estimator against the real one: tensorflow-estimator
2.15 on TensorFlow 2.15, the last that runs it, in a virtual environment of
its own (tf215_python below; .ci/run builds it beside the README's command,
as it builds its other TensorFlows).

One program (estimator_program.py), unmodified, runs on both: a dense
model_fn, a small CNN with dropout, train_and_evaluate, and the four canned
estimators, each 50 steps of numpy_input_fn in row order from
RunConfig(tf_random_seed=1). What TF 2.15 wrote is the expectation: the
losses of every step, the variables of the first and last checkpoints,
model_dir's files and event tags, evaluate's dict, the predictions, and
what the exported SavedModel serves.
"""

import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import REPO, run_python

pytestmark = pytest.mark.slow

PROGRAM = os.path.join(REPO, 'tests', 'estimator_program.py')
CUSTOM = ('dense', 'cnn', 'train_and_evaluate')
CANNED = ('dnn_classifier', 'dnn_regressor', 'linear_classifier',
          'linear_regressor', 'feature_columns')
# Those with a two-class head, whose training parts from TF 2.15's by an
# ulp: TensorFlow's own gradient of its sigmoid cross-entropy does
# (test_tensorflow_2_15_and_2_21_differ_in_the_sigmoid_gradient).
TWO_CLASS = ('linear_classifier', 'feature_columns')
# The reference's packages: TensorFlow 2.15 and its Estimator and Keras 2.
PACKAGES = ('tensorflow==2.15.*', 'tensorflow-estimator==2.15.*',
            'tf-keras==2.15.*')
EIGEN = {'TF_ENABLE_ONEDNN_OPTS': '0'}
# Where .ci/run builds it (LEGACY_DNN_TF215_VENV), or else a cache of the
# user's, built on first use (about 3 minutes, 1.8 GB).
VENV = os.environ.get('LEGACY_DNN_TF215_VENV') or os.path.join(
    os.path.expanduser('~'), '.cache', 'legacy_dnn', 'tf2.15-venv')


def tf215_python():
  """The reference environment's python. .ci/run writes VENV.status (pip's
  exit status) when its build ends; without one, the venv is built here."""
  status = VENV + '.status'
  if os.environ.get('LEGACY_DNN_TF215_VENV'):
    deadline = time.monotonic() + 1200
    while not os.path.exists(status):
      assert time.monotonic() < deadline, 'no %s after 20 minutes' % status
      time.sleep(1)  # Waits on .ci/run's build, not on a guess.
  elif not os.path.exists(status):
    shutil.rmtree(VENV, ignore_errors=True)
    build = subprocess.run(
        '"%s" -m venv "%s" && "%s/bin/python" -m pip install -q %s'
        % (sys.executable, VENV, VENV, ' '.join("'%s'" % p for p in PACKAGES)),
        shell=True, capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stderr[-3000:]
    with open(status, 'w') as f:
      f.write('0\n')
  with open(status) as f:
    assert f.read().strip() == '0', 'building %s failed' % VENV
  return os.path.join(VENV, 'bin', 'python')


def run_program(python, base, *cases):
  """The program's cases under python (the reference's) or, for None,
  legacy_dnn.v1; their reports. Both with TensorFlow's Eigen kernels
  (oneDNN off), whose rounding TF 2.15 and 2.21 share on every CPU kind;
  ours in a fresh interpreter, not the zygote's (which has oneDNN on)."""
  os.makedirs(base, exist_ok=True)
  if python is None:
    command = [sys.executable, '-m', 'legacy_dnn.v1', PROGRAM, base]
    result = run_python(command + list(cases), timeout=600, env=EIGEN)
  else:
    result = subprocess.run([python, PROGRAM, base] + list(cases),
                            capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2',
                                     **EIGEN))
  assert result.returncode == 0, result.stderr[-3000:]
  reports = {}
  for case in cases:
    with open(os.path.join(base, case + '.json')) as f:
      reports[case] = json.load(f)
  return reports


@pytest.fixture(scope='module')
def both(tmp_path_factory):
  base = tmp_path_factory.mktemp('estimators')
  cases = CUSTOM + CANNED
  theirs = run_program(tf215_python(), str(base / 'theirs'), *cases)
  ours = run_program(None, str(base / 'ours'), *cases)
  return base, theirs, ours


def assert_same_variables(theirs, ours, names=None):
  names = sorted(theirs) if names is None else names
  for name in names:
    np.testing.assert_array_equal(np.array(ours[name]),
                                  np.array(theirs[name]), err_msg=name)


def event_tags(report):
  return {folder: sorted(tags) for folder, tags in report['events'].items()}


@pytest.mark.parametrize('case', CUSTOM)
def test_a_model_fn_trains_evaluates_and_predicts_bit_for_bit(both, case):
  _, theirs, ours = both
  theirs, ours = theirs[case], ours[case]
  assert ours['losses'] == theirs['losses']
  assert len(ours['losses']) == 50
  assert sorted(ours['first']) == sorted(theirs['first'])
  assert_same_variables(theirs['first'], ours['first'])
  assert_same_variables(theirs['final'], ours['final'])
  assert ours['eval'] == theirs['eval']
  assert ours['predict'] == theirs['predict']
  assert ours['files'] == theirs['files']
  assert event_tags(ours) == event_tags(theirs)
  # An evaluation's summaries: the same values at the same step.
  assert ours['events']['eval'] == theirs['events']['eval']
  if case == 'train_and_evaluate':
    assert ours['train_and_evaluate'] == theirs['train_and_evaluate']


def test_model_dir_holds_what_an_estimator_wrote(both):
  _, theirs, _ = both
  # What TF 2.15 wrote, spelled out, so a change of the reference shows.
  assert theirs['dense']['files'] == [
      'checkpoint', 'eval/events.out', 'events.out', 'graph.pbtxt'] + [
          'model.ckpt-%d.%s' % (step, suffix) for step in (0, 20, 40, 50)
          for suffix in ('data-00000-of-00001', 'index', 'meta')]
  tags = event_tags(theirs['dense'])
  assert tags['eval'] == ['accuracy', 'checkpoint_path', 'loss']
  assert 'loss' in tags[''] and 'global_step/sec' in tags['']
  assert sorted(theirs['dense']['eval']) == ['accuracy', 'global_step',
                                             'loss']


def test_the_export_serves_the_same_signature(both):
  _, theirs, ours = both
  assert ours['dense']['served'] == theirs['dense']['served']
  assert ours['dense']['served']['method'] == 'tensorflow/serving/predict'


def slot_names(variables):
  return sorted(name for name in variables
                if name.endswith(('Adagrad', 'Ftrl', 'Ftrl_1')))


@pytest.mark.parametrize('case', CANNED)
def test_a_canned_estimator_matches_its_model_and_metrics(both, case):
  _, theirs, ours = both
  theirs, ours = theirs[case], ours[case]
  model = [name for name in theirs['final'] if name not in
           slot_names(theirs['final'])]
  # TF 2.15 partitioned each variable into one part: its optimizer slots
  # are named .../t_0/Adagrad (DNN) or .../part_0/Ftrl (linear); ours are
  # .../Adagrad and .../Ftrl (docs/tf1-code.md).
  assert [name.replace('/t_0/', '/').replace('/part_0/', '/')
          for name in slot_names(theirs['final'])] == slot_names(
              ours['final'])
  assert sorted(model) == sorted(set(ours['final']) -
                                 set(slot_names(ours['final'])))
  assert event_tags(ours) == event_tags(theirs)
  assert sorted(ours['eval']) == sorted(theirs['eval'])
  assert [sorted(p) for p in ours['predict']] == [
      sorted(p) for p in theirs['predict']]
  assert_same_variables(theirs['first'], ours['first'], model)
  if case in TWO_CLASS:
    # From the same start, an ulp apart after a few steps; within a
    # millionth after 50 (docs/tf1-code.md).
    assert ours['losses'] != theirs['losses']
    np.testing.assert_allclose(ours['losses'], theirs['losses'], rtol=1e-6)
    for name in model:
      np.testing.assert_allclose(ours['final'][name], theirs['final'][name],
                                 rtol=1e-6, atol=1e-7)
    for key in theirs['eval']:
      np.testing.assert_allclose(ours['eval'][key], theirs['eval'][key],
                                 rtol=1e-6, err_msg=key)
    assert [p['classes'] for p in ours['predict']] == [
        p['classes'] for p in theirs['predict']]
    return
  assert ours['losses'] == theirs['losses']
  assert_same_variables(theirs['final'], ours['final'], model)
  assert ours['eval'] == theirs['eval']
  assert ours['predict'] == theirs['predict']


def test_a_checkpoint_of_theirs_trains_on_in_ours(both):
  base, theirs, _ = both
  # Their model_dir after 50 steps, twice: each Estimator trains 50 more.
  for kind in ('theirs-resume', 'ours-resume'):
    shutil.copytree(base / 'theirs' / 'dense', base / kind / 'resume')
  theirs_resumed = run_program(tf215_python(), str(base / 'theirs-resume'),
                               'resume')['resume']
  ours_resumed = run_program(None, str(base / 'ours-resume'),
                             'resume')['resume']
  assert ours_resumed['final']['global_step'] == 100
  assert ours_resumed['losses'] == theirs_resumed['losses']
  assert_same_variables(theirs_resumed['final'], ours_resumed['final'])
  assert ours_resumed['eval'] == theirs_resumed['eval']
  assert ours_resumed['files'] == theirs_resumed['files']
  assert theirs['dense']['final'] != ours_resumed['final']


def test_tensorflow_2_15_serves_our_export(both):
  """Our SavedModel, as TensorFlow Serving reads it: TF 2.15's own
  saved_model_cli shows and runs its serving signature."""
  base, _, ours = both
  export_base = base / 'ours' / 'dense-export'
  (export_dir,) = os.listdir(export_base)
  cli = os.path.join(os.path.dirname(tf215_python()), 'saved_model_cli')
  show = subprocess.run(
      [cli, 'show', '--dir', str(export_base / export_dir), '--all'],
      capture_output=True, text=True, timeout=300,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))
  assert show.returncode == 0, show.stderr[-3000:]
  assert "signature_def['serving_default']:" in show.stdout
  assert 'Method name is: tensorflow/serving/predict' in show.stdout
  assert "inputs['x'] tensor_info:" in show.stdout
  for output in ('classes', 'probabilities'):
    assert "outputs['%s'] tensor_info:" % output in show.stdout
  rows = np.random.RandomState(0).normal(size=(200, 4))[:5].astype(
      np.float32)
  served = subprocess.run(
      [cli, 'run', '--dir', str(export_base / export_dir), '--tag_set',
       'serve', '--signature_def', 'serving_default', '--input_exprs',
       'x=%r' % rows.tolist()],
      capture_output=True, text=True, timeout=300,
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2'))
  assert served.returncode == 0, served.stderr[-3000:]
  classes = ours['dense']['served']['outputs']['classes']
  assert 'Result for output key classes:\n%s' % (
      str(np.array(classes)).replace(',', '')) in served.stdout


SIGMOID_GRADIENT = """
import sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
rng = np.random.RandomState(0)
logits = tf.constant(3 * rng.normal(size=(2000, 1)).astype(np.float32))
labels = tf.constant((rng.uniform(size=(2000, 1)) > 0.5).astype(np.float32))
loss = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
    labels=labels, logits=logits))
with tf.Session() as session:
  np.save(sys.argv[1], session.run(tf.gradients(loss, logits)[0]))
"""


def test_tensorflow_2_15_and_2_21_differ_in_the_sigmoid_gradient(tmp_path):
  """Why the two-class heads are an ulp apart: plain TensorFlow, without
  legacy_dnn, computes the gradient of tf.nn.sigmoid_cross_entropy_with_
  logits differently in its last bit on 2.15 and on 2.21."""
  (tmp_path / 'gradient.py').write_text(SIGMOID_GRADIENT)
  gradients = []
  for python in (tf215_python(), sys.executable):
    path = str(tmp_path / ('%d.npy' % len(gradients)))
    result = subprocess.run([python, str(tmp_path / 'gradient.py'), path],
                            capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2',
                                     **EIGEN))
    assert result.returncode == 0, result.stderr[-3000:]
    gradients.append(np.load(path))
  theirs, ours = gradients
  assert not np.array_equal(theirs, ours)
  np.testing.assert_allclose(ours, theirs, rtol=0, atol=2 ** -23)
