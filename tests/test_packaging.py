"""A wheel of the project ships every module of the package, subpackages
(legacy_dnn.tf1, legacy_dnn.v1) included: an editable install would hide a
setup.py that lists too few."""

import glob
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow


def test_the_wheel_holds_every_module_of_the_package(tmp_path):
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
  with zipfile.ZipFile(wheel) as f:
    shipped = {n for n in f.namelist() if n.endswith('.py')}
  modules = {os.path.relpath(p, REPO) for p in glob.glob(
      os.path.join(REPO, 'legacy_dnn', '**', '*.py'), recursive=True)}
  assert {'legacy_dnn/v1/__main__.py',
          'legacy_dnn/tf1/contrib/layers.py'} <= modules
  assert modules - shipped == set()
