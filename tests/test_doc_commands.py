"""Every command in README.md and docs/*.md runs as written (the sweeps on
fewer epochs and smaller networks: SMALLER).

A page's ```sh blocks run in order, each with bash, in a fresh folder that
holds what a reader's would: `scripts/`, synthetic IDX files, a CIFAR-10
archive and a housing archive in the data cache (and the housing archive in
../shared/data, where regression.md looks), and a few image files. A block
that cannot run here says why on the line before it:

  <!-- not run by the tests: REASON -->

(a browser, a cluster of terminals, Docker, a checkpoint of the reader's own,
a benchmark of minutes). What a page takes for granted, a model trained
before it, is in PREREQUISITES.
"""

import glob
import os
import re
import shlex
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO, forked, script_env, write_dataset, write_housing
from legacy_dnn import cifar
import zygote

PAGES = [os.path.join(REPO, 'README.md')] + sorted(
    glob.glob(os.path.join(REPO, 'docs', '*.md')))
NOT_RUN = re.compile(r'^<!-- not run by the tests: (.+) -->$')
# The images the pages' predict.py commands name.
IMAGES = ('mine/coat.png', 'mine/boot.png', 'shoe.png', 'shoe.jpg',
          'shirt.png', 'digit.png', 'photo.jpg')
# Runs a page's commands assume have happened (the README's, mostly).
TRAIN_DROPOUT = ('python3 scripts/train.py --variant=dropout '
                 '--dataset=fashion_mnist')
PREREQUISITES = {
    'inspecting.md': [
        TRAIN_DROPOUT,
        'python3 scripts/train.py --variant=dropout',
        'python3 scripts/train.py --variant=lenet --dataset=fashion_mnist',
        'python3 scripts/train.py --variant=homl --epochs=3',
        'python3 scripts/export.py --variant=dropout --dataset=fashion_mnist '
        '--export_dir=serving/dropout'],
    'serving.md': [TRAIN_DROPOUT],
}


# The pages' sweeps and grids, run on the fewest epochs and smallest
# networks that still run every part of their commands (each flag, a grid of
# the same shape, a random search of the same draws, --parallel): the
# figures beside them were measured on the real data, with the commands as
# written. {page: [(text as written, what the test runs instead)]}; each
# text must be in the page once.
SMALLER = {
    'experiments.md': [
        ('--random=8 --seed=1 \\\n', '--random=8 --seed=1 --epochs=1 \\\n'),
        ("--epochs=3 \\\n    --grid='filters1=6,64,128;filters2=16,256' "
         '--intra_op_threads=0',
         "--epochs=1 \\\n    --grid='filters1=6,8,10;filters2=16,20' "
         '--intra_op_threads=0'),
        ("--grid='batch_size=100,5000' --variant=dropout",
         "--grid='batch_size=100,5000' --epochs=1 --variant=dropout"),
    ],
    'tf1-code.md': [
        ('estimator_cnn.py --steps=2000', 'estimator_cnn.py --steps=20'),
    ],
    'regression.md': [
        ('--random=10 ', '--random=4 '),
        ('--epochs=100 --patience=10 --parallel=2',
         '--epochs=5 --patience=10 --parallel=2'),
    ],
}


def smaller(name, blocks):
  """blocks, with SMALLER's changes for page name made."""
  blocks = list(blocks)
  for written, instead in SMALLER.get(name, []):
    found = [i for i, (_, reason, text) in enumerate(blocks)
             if reason is None and written in text]
    assert len(found) == 1, '%s: %r is in %d blocks' % (name, written,
                                                          len(found))
    line, reason, text = blocks[found[0]]
    assert text.count(written) == 1, '%s:%d: %r twice' % (name, line, written)
    blocks[found[0]] = (line, reason, text.replace(written, instead))
  return blocks


def sh_blocks(path):
  """[(line number, reason it is not run or None, text)] of path's ```sh
  blocks."""
  with open(path) as f:
    lines = f.read().split('\n')
  blocks = []
  for i, line in enumerate(lines):
    if line.strip() != '```sh':
      continue
    end = next(j for j in range(i + 1, len(lines))
               if lines[j].strip() == '```')
    reason = NOT_RUN.match(lines[i - 1].strip()) if i else None
    blocks.append((i + 1, reason and reason.group(1),
                   textwrap.dedent('\n'.join(lines[i + 1:end]))))
  return blocks


def test_every_sh_block_runs_or_says_why_not():
  """The marker sits right before its block, and every block either has
  one or holds a command the folder below can run."""
  for path in PAGES:
    with open(path) as f:
      text = f.read()
    markers = len(re.findall(r'^\s*<!-- not run by the tests', text, re.M))
    marked = [b for b in sh_blocks(path) if b[1]]
    assert markers == len(marked), '%s: a marker not right before ```sh' % path
    smaller(os.path.basename(path), sh_blocks(path))  # Each change applies.
    for line, reason, block in sh_blocks(path):
      if reason is None:
        assert re.search(r'^\s*(python3? |saved_model_cli )', block, re.M), (
            '%s:%d runs no command' % (path, line))


def reader_folder(root):
  """A folder set up as a reader's, with synthetic data; its environment."""
  work = os.path.join(root, 'work')
  cache = os.path.join(root, 'cache', 'legacy_dnn')
  for name in ('mnist', 'fashion_mnist'):
    # 5,000 validation images, as the seeds split them, and 600 to train.
    write_dataset(os.path.join(cache, name), n_train=5600, n_test=200)
  os.makedirs(os.path.join(cache, 'cifar10'))
  cifar.write_random(os.path.join(cache, 'cifar10', cifar.ARCHIVE), 5200, 100)
  write_housing(os.path.join(cache, 'california_housing'))
  write_housing(os.path.join(root, 'shared', 'data'))
  os.makedirs(os.path.join(work, 'docs'))
  for folder in ('scripts', 'examples'):
    os.symlink(os.path.join(REPO, folder), os.path.join(work, folder))
  rng = np.random.default_rng(0)
  for name in IMAGES:
    path = os.path.join(work, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pixels = rng.integers(0, 256, (28, 28, 1), np.uint8)
    encode = tf.io.encode_png if name.endswith('.png') else tf.io.encode_jpeg
    with open(path, 'wb') as f:
      f.write(encode(pixels).numpy())
  bin_dir = os.path.join(root, 'bin')
  os.makedirs(bin_dir)
  env = script_env({'XDG_CACHE_HOME': os.path.dirname(cache),
                    'PATH': bin_dir + os.pathsep + os.environ['PATH']})
  # The reader's python3: the zygote's where there is one (it forks
  # `python3 scripts/X.py ...` and `python3 -m legacy_dnn.v1 ...`, and runs
  # anything else, or a command whose environment it cannot serve, in the
  # real interpreter).
  served = forked(env)
  for name in ('python', 'python3'):
    os.symlink(sys.executable if served is None else
               zygote.python_path(served.socket), os.path.join(bin_dir, name))
  # Its saved_model_cli: TensorFlow's, run by that python3.
  real = os.path.join(os.path.dirname(sys.executable), 'saved_model_cli')
  with open(os.path.join(bin_dir, 'saved_model_cli'), 'w') as f:
    f.write('#!/bin/bash\nexec python3 %s "$@"\n' % shlex.quote(real))
  os.chmod(os.path.join(bin_dir, 'saved_model_cli'), 0o755)
  return work, env


def run_block(text, work, env, where):
  started = time.monotonic()
  result = subprocess.run(['bash', '-euo', 'pipefail', '-c', text], cwd=work,
                          env=env, capture_output=True, text=True,
                          timeout=900)
  assert result.returncode == 0, '%s:\n%s\n%s' % (where, text, result.stderr)
  assert 'Traceback' not in result.stderr, '%s: %s' % (where, result.stderr)
  assert result.stdout.strip(), '%s printed nothing' % where
  print('%s: %.1f s' % (where, time.monotonic() - started))
  return result


@pytest.mark.slow
@pytest.mark.parametrize(
    'page', [p for p in PAGES if any(r is None for _, r, _ in sh_blocks(p))],
    ids=os.path.basename)
def test_the_pages_commands_run_on_synthetic_data(page, tmp_path):
  work, env = reader_folder(str(tmp_path))
  name = os.path.basename(page)
  for command in PREREQUISITES.get(name, []):
    run_block(command, work, env, 'before %s' % name)
  for line, reason, text in smaller(name, sh_blocks(page)):
    if reason is None:
      run_block(text, work, env, '%s:%d' % (name, line))
