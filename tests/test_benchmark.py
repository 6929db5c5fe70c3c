"""scripts/benchmark.py: a --quick run whose table and JSON parse. No timing is asserted: speed lives in docs/speed.md."""

import json
import re

from conftest import run_script
import pytest

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.


def quick_run(tmp_path, preset, *args):
  """A --quick run of preset in all three loops: (the process, its JSON
  summary of preset)."""
  out = str(tmp_path / 'bench.json')
  result = run_script('benchmark.py', '--quick', '--presets=' + preset,
                      '--contenders=ours,keras,torch', '--json=' + out,
                      *args, timeout=600)
  assert result.returncode == 0, result.stderr
  with open(out) as f:
    return result, json.load(f)[preset]


@pytest.mark.slow
def test_quick_run_prints_a_table_and_writes_json(tmp_path):
  result, summary = quick_run(tmp_path, 'homl')
  (row,) = [l for l in result.stdout.splitlines() if l.startswith('| homl |')
            and l.count('|') == 14]
  cells = [c.strip() for c in row.strip('|').split('|')]
  assert cells[1] == '50'
  for cell in cells[2:3] + cells[5:9] + cells[10:11]:
    assert re.fullmatch(r'\d+\.\d+', cell), row
  # The limit says what it multiplies in: float32, as the run.
  assert re.fullmatch(r'\d+\.\d+ float32', cells[11]), row
  assert summary['limit_dtype'] == 'float32'
  # ours_nondeterministic and ours_float32 were not asked for.
  assert cells[3] == cells[4] == cells[9] == '—'
  assert re.fullmatch(r'\d+%', cells[12])
  for key in ('ours_epoch_s', 'keras_epoch_s', 'torch_epoch_s',
              'ours_over_keras', 'ours_over_torch', 'limit_pct',
              'first_step_s', 'eval_s', 'save_s', 'restore_s', 'peak_rss_mb'):
    assert summary[key] > 0, key
  assert summary['ours_over_keras'] == summary['ours_epoch_s'] / summary[
      'keras_epoch_s']


@pytest.mark.slow
def test_a_conv_network_races_its_keras_and_pytorch_twins(tmp_path):
  """lenet in all three, and the limit with convolutions in it."""
  _, summary = quick_run(tmp_path, 'lenet')
  for key in ('ours_epoch_s', 'keras_epoch_s', 'torch_epoch_s',
              'limit_gflops', 'limit_pct'):
    assert summary[key] > 0, key
  # Two 5x5 convolutions dominate lenet's FLOPs, so they are counted.
  assert summary['gflop_per_example'] > 1e-3  # The dense layers: 0.19e-3.


@pytest.mark.slow
def test_the_regressors_race_the_books_keras_code_and_a_pytorch_twin(
    tmp_path):
  """wide_deep's two inputs and heads in all three, on random housing rows,
  with the per-step times that tell the story of a tiny network."""
  result, summary = quick_run(tmp_path, 'wide_deep')
  assert summary['batch_size'] == 32
  assert summary['examples'] == 1161  # 2,064 rows, Hands-On ML's split.
  assert summary['steps_per_epoch'] == 36
  for key in ('ours_step_ms', 'keras_step_ms', 'torch_step_ms',
              'ours_over_keras', 'ours_over_torch', 'limit_gflops'):
    assert summary[key] > 0, key
  (row,) = [l for l in result.stdout.splitlines()
            if l.startswith('| wide_deep | 32 | 36 |')]
  assert len(re.findall(r'\d+\.\d{3}', row)) == 3


def test_cifar_cnn_is_not_offered(tmp_path):
  result = run_script('benchmark.py', '--presets=cifar_cnn')
  assert result.returncode == 2
  assert 'must be among' in result.stderr and 'cifar_cnn' not in (
      result.stderr.split('must be among')[1])


@pytest.mark.slow
def test_bfloat16_races_keras_and_pytorch_in_bfloat16_and_ours_in_float32(
    tmp_path):
  """--precision=bfloat16: every contender in its own bfloat16, and ours
  at float32 beside them, for the column that says what bfloat16 gains."""
  from legacy_dnn import precision  # pylint: disable=g-import-not-at-top
  result, summary = quick_run(
      tmp_path, 'small', '--precision=bfloat16',
      '--contenders=ours,ours_float32,keras,torch')
  assert precision.notice(precision.BFLOAT16, precision.cpu_flags()) in (
      result.stdout.splitlines())
  for key in ('ours_epoch_s', 'ours_float32_epoch_s', 'keras_epoch_s',
              'torch_epoch_s'):
    assert summary[key] > 0, key
  assert summary['ours_over_ours_float32'] == (
      summary['ours_epoch_s'] / summary['ours_float32_epoch_s'])
  # The "% of limit" roof multiplies as the bfloat16 run does: bfloat16
  # where this CPU has its instructions, float32 where TensorFlow leaves the
  # run float32 (an AMX Xeon read 103-152% against a float32 roof).
  computes = precision.computes_bfloat16(precision.BFLOAT16,
                                         precision.cpu_flags())
  assert summary['limit_dtype'] == ('bfloat16' if computes else 'float32')
  assert re.search(r'^small limit repetition 1: [\d.]+ GFLOP/s \(%s\)$'
                   % summary['limit_dtype'], result.stdout, re.MULTILINE)
