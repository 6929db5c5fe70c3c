"""A wheel of the project ships every module of the package, subpackages
(legacy_dnn.tf1, legacy_dnn.v1) included: an editable install would hide a
setup.py that lists too few."""

import glob
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from conftest import REPO, process_gone, write_dataset

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.


def build_wheel(tmp_path):
  """The path of a wheel built from the repository's package."""
  # Built from a copy of what a build reads: a build/ folder left in the
  # checkout by an earlier build would lend the wheel its files.
  source = tmp_path / 'source'
  source.mkdir()
  for name in ('setup.py', 'setup.cfg', 'README.md'):
    shutil.copy(os.path.join(REPO, name), source / name)
  shutil.copytree(os.path.join(REPO, 'legacy_dnn'), source / 'legacy_dnn',
                  ignore=shutil.ignore_patterns('__pycache__'))
  result = subprocess.run(
      [sys.executable, '-m', 'pip', 'wheel', '--no-deps',
       '--no-build-isolation', '-q', '-w', str(tmp_path), str(source)],
      capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
  assert result.returncode == 0, result.stderr[-3000:]
  (wheel,) = glob.glob(str(tmp_path / 'legacy_dnn-*.whl'))
  return wheel


@pytest.mark.slow
def test_the_wheel_holds_every_module_of_the_package(tmp_path):
  wheel = build_wheel(tmp_path)
  with zipfile.ZipFile(wheel) as f:
    shipped = {n for n in f.namelist() if n.endswith('.py')}
  modules = {os.path.relpath(p, REPO) for p in glob.glob(
      os.path.join(REPO, 'legacy_dnn', '**', '*.py'), recursive=True)}
  assert {'legacy_dnn/v1/__main__.py',
          'legacy_dnn/tf1/contrib/layers.py'} <= modules
  assert modules - shipped == set()


@pytest.mark.slow
def test_the_wheel_in_a_fresh_venv_trains_and_evaluates_with_its_command(
    tmp_path):
  """legacy-dnn, installed from a wheel, with no scripts/ and no checkout
  anywhere on its path."""
  wheel = build_wheel(tmp_path)
  venv = tmp_path / 'venv'
  subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True,
                 timeout=300)
  # TensorFlow and the other dependencies from this interpreter's
  # site-packages, as a plain folder on the path: its .pth files, this
  # checkout's editable install among them, are not read.
  (site_packages,) = glob.glob(str(venv / 'lib' / 'python3*' /
                                   'site-packages'))
  with open(os.path.join(site_packages, 'dependencies.pth'), 'w') as f:
    f.write(sysconfig.get_paths()['purelib'] + '\n')
  subprocess.run([str(venv / 'bin' / 'python'), '-m', 'pip', 'install', '-q',
                  '--no-deps', '--no-index', wheel], check=True, timeout=300)
  env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
  work = tmp_path / 'work'
  data_dir = write_dataset(str(work / 'data'), n_train=600, n_test=100)
  where = subprocess.run(
      [str(venv / 'bin' / 'python'), '-c',
       'import legacy_dnn.commands; print(legacy_dnn.commands.__file__)'],
      env=env, cwd=work, capture_output=True, text=True, timeout=120)
  assert where.stdout.startswith(site_packages), where.stdout + where.stderr
  command = str(venv / 'bin' / 'legacy-dnn')
  trained = subprocess.run(
      [command, 'train', '--variant=xavier', '--epochs=1',
       '--data_dir=' + data_dir, '--validation_size=100'],
      env=env, cwd=work, capture_output=True, text=True, timeout=600)
  assert trained.returncode == 0, trained.stderr
  assert 'Epoch: 0001 cost' in trained.stdout
  assert os.path.exists(work / 'models' / 'xavier-mnist' / 'run.json')
  scored = subprocess.run(
      [command, 'evaluate', '--variant=xavier'], env=env, cwd=work,
      capture_output=True, text=True, timeout=600)
  assert scored.returncode == 0, scored.stderr
  assert re.search(r'^Accuracy: 0\.\d{4}$', scored.stdout, re.M), scored.stdout


def test_ci_run_removes_its_virtual_environments_however_it_ends(tmp_path):
  # .ci/run builds three virtual environments in the background while the
  # README's command runs (the oldest TensorFlow, the nightly, and
  # TensorFlow 2.15 for the real tf.estimator). Here that command fails once
  # all three builds have started; the builds' stand-in python3 makes its venv folder, then blocks
  # as a long pip install would. The run must end red, leave nothing in
  # TMPDIR and stop the builds' processes.
  repo = tmp_path / 'repo'
  (repo / '.ci').mkdir(parents=True)
  shutil.copy(os.path.join(REPO, '.ci', 'run'), repo / '.ci' / 'run')
  for name in ('setup.py', 'setup.cfg'):
    shutil.copy(os.path.join(REPO, name), repo / name)
  (repo / 'legacy_dnn').mkdir()
  started = tmp_path / 'started'
  started.mkdir()
  (repo / 'README.md').write_text(
      '<!-- .ci/run runs the next command exactly as it stands here. -->\n'
      '```sh\n'
      f'until [ "$(ls {started} | wc -l)" = 3 ]; do sleep 0.1; done; exit 3\n'
      '```\n')
  bin_dir = tmp_path / 'bin'
  bin_dir.mkdir()
  python3 = bin_dir / 'python3'
  python3.write_text(
      '#!/bin/sh\n'
      '# python3 -m venv DIR: makes DIR, says so, and blocks.\n'
      'mkdir -p "$3/bin"\n'
      f'echo $$ > {started}/$$\n'
      'exec sleep 600\n')
  python3.chmod(0o755)
  scratch = tmp_path / 'tmp'
  scratch.mkdir()
  env = dict(os.environ, TMPDIR=str(scratch),
             PATH=f'{bin_dir}:{os.environ["PATH"]}')
  result = subprocess.run(['bash', '.ci/run'], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=60)
  assert result.returncode == 3, result.stderr
  assert list(scratch.iterdir()) == []
  pids = [int(p.read_text()) for p in started.iterdir()]
  assert len(pids) == 3
  for pid in pids:
    assert process_gone(pid), pid
