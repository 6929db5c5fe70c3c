"""scripts/train.py as a user runs it: real Fashion-MNIST, and its errors."""

import os
import re

import numpy as np

from conftest import error_lines, run_script, serve_folder
from legacy_dnn import data
from test_data import _closed_port
from test_training import assert_same_tensors, checkpoint_tensors
import pytest

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.

FASHION = data.DATASETS['fashion_mnist'].system_dirs[0]


@pytest.mark.slow
def test_one_epoch_on_real_fashion_mnist(tmp_path):
  assert os.path.isdir(FASHION), (
      '%s is missing: apt-get install dataset-fashion-mnist' % FASHION)
  result = run_script('train.py', '--variant=xavier', '--epochs=1',
                      '--dataset=fashion_mnist',
                      '--model_dir=%s' % (tmp_path / 'm'),
                      '--logdir=%s' % (tmp_path / 'l'))
  assert result.returncode == 0, result.stderr
  out = result.stdout
  assert 'Data: %s (55000 train, 5000 validation, 10000 test images)' % (
      FASHION) in out
  assert 'Total trainable parameters: 269,322' in out
  assert 'Threads: intra-op 1, inter-op 0 (0 is one per core)' in out
  assert re.search(r'^Epoch: 0001 cost = \d+\.\d{9} ', out, re.M)
  accuracy = float(re.search(r'^Accuracy: (\d\.\d{4})$', out, re.M).group(1))
  assert accuracy > 0.80  # One epoch; 15 reach 0.88.
  assert re.search(r'^Label: \[\d\]\nPrediction: \[\d\]$', out, re.M)


@pytest.mark.slow
def test_thread_counts_change_the_speed_not_the_results(tmp_path,
                                                       dataset_dir):
  # TensorFlow keeps a process's first thread pools, so one process each.
  runs = {'default': [], 'flags': ['--intra_op_threads=2',
                                   '--inter_op_threads=2']}
  threads = {}
  for name, flags in runs.items():
    result = run_script('train.py', '--variant=dropout', '--epochs=2',
                        '--hidden_units=64,64', '--validation_size=100',
                        '--data_dir=' + dataset_dir, *flags,
                        '--model_dir=%s' % (tmp_path / name),
                        '--logdir=%s' % (tmp_path / 'logs'))
    assert result.returncode == 0, result.stderr
    threads[name] = re.search('^Threads: .*$', result.stdout, re.M).group(0)
  assert threads == {
      'default': 'Threads: intra-op 1, inter-op 1 (0 is one per core)',
      'flags': 'Threads: intra-op 2, inter-op 2 (0 is one per core)'}
  default, flags = (checkpoint_tensors(str(tmp_path / name))
                    for name in ('default', 'flags'))
  if cpu_has('avx512f'):
    assert_same_tensors(default, flags)
  else:
    # Without AVX-512 (an AMD EPYC Zen 3, 2026-12-03) oneDNN's matmuls
    # split their sums by the thread count: the last bits differ.
    assert sorted(default) == sorted(flags)
    for name in default:
      np.testing.assert_allclose(default[name], flags[name], rtol=1e-4,
                                 atol=1e-9, err_msg=name)


def cpu_has(flag):
  """Whether /proc/cpuinfo lists flag for this machine's CPU."""
  with open('/proc/cpuinfo') as f:
    return any(line.startswith('flags') and flag in line.split()
               for line in f)


@pytest.mark.slow
def test_diverging_loss_is_one_line_and_non_zero(tmp_path, dataset_dir):
  result = run_script('train.py', '--variant=homl', '--learning_rate=1e4',
                      '--data_dir=' + dataset_dir, '--validation_size=100',
                      '--model_dir=%s' % (tmp_path / 'm'),
                      '--logdir=%s' % (tmp_path / 'l'))
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  assert re.match(r'train.py: error: epoch 1: the training loss became '
                  r'(nan|inf) \(is --learning_rate=10000 too high\?\)', line)


def test_no_data_and_no_network_is_one_line(tmp_path):
  result = run_script('train.py', '--dataset=mnist',
                      '--mirror=http://127.0.0.1:%d/' % _closed_port(),
                      '--model_dir=%s' % (tmp_path / 'm'),
                      '--logdir=%s' % (tmp_path / 'l'))
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  assert line.startswith('train.py: error: no mnist files in %s' % (
      tmp_path / 'cache' / 'legacy_dnn' / 'mnist'))
  assert 'download failed' in line and 'pass --data_dir' in line


@pytest.mark.slow
def test_download_with_the_wrong_checksum_is_one_line(tmp_path,
                                                      dataset_dir):
  server = serve_folder(dataset_dir)
  try:
    result = run_script(
        'train.py', '--dataset=mnist',
        '--mirror=http://127.0.0.1:%d/' % server.server_address[1],
        '--model_dir=%s' % (tmp_path / 'm'), '--logdir=%s' % (tmp_path / 'l'))
  finally:
    server.shutdown()
    server.server_close()
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  assert re.search(r'train-images-idx3-ubyte.gz: MD5 [0-9a-f]{32}, expected '
                   r'f68b3c2dcbeaaa9fbdd348bbdeb94873', line)
  cache = tmp_path / 'cache' / 'legacy_dnn' / 'mnist'
  assert os.listdir(cache) == []


@pytest.mark.slow
def test_bad_data_file_is_one_line_naming_it(tmp_path, dataset_dir):
  path = os.path.join(dataset_dir, 't10k-labels-idx1-ubyte.gz')
  with open(path, 'wb') as f:
    f.write(b'not gzip')
  result = run_script('train.py', '--data_dir=' + dataset_dir,
                      '--model_dir=%s' % (tmp_path / 'm'),
                      '--logdir=%s' % (tmp_path / 'l'))
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'train.py: error: %s: named .gz but is not gzip data' % path]
