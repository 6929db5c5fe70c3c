"""--precision: the session option, what a CPU without bfloat16 is told, and
a bfloat16 run that is recorded, refused a float32 resume, and evaluated."""

import json
import os

import pytest

from conftest import error_lines, run_script
from legacy_dnn import checkpoints
from legacy_dnn import precision


def test_bfloat16_turns_on_onednns_rewrite_and_float32_leaves_it_off():
  on = precision.session_config(precision.BFLOAT16,
                                intra_op_parallelism_threads=1)
  off = precision.session_config(precision.FLOAT32)
  rewrite = 'auto_mixed_precision_onednn_bfloat16'
  assert getattr(on.graph_options.rewrite_options, rewrite) == 1  # ON
  assert on.intra_op_parallelism_threads == 1
  assert getattr(off.graph_options.rewrite_options, rewrite) == 0  # DEFAULT


def test_cpu_flags_come_from_cpuinfo(tmp_path):
  cpuinfo = tmp_path / 'cpuinfo'
  cpuinfo.write_text('processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16'
                     '\n\nprocessor\t: 1\nflags\t\t: fpu\n')
  assert precision.cpu_flags(str(cpuinfo)) == {'fpu', 'avx2', 'avx512f',
                                               'avx512_bf16'}
  assert precision.cpu_flags(str(tmp_path / 'absent')) == set()


@pytest.mark.parametrize('flags, says', [
    ({'avx2', 'fma'}, 'this run computes in float32'),
    ({'avx512f', 'avx512_bf16'}, 'Precision: bfloat16 matmuls and '
     'convolutions (avx512_bf16)'),
    ({'amx_bf16', 'amx_tile', 'avx512_bf16'}, '(avx512_bf16, amx_bf16)'),
])
def test_the_line_says_what_the_cpu_will_compute(flags, says):
  assert precision.notice(precision.FLOAT32, flags) is None
  line = precision.notice(precision.BFLOAT16, flags, environ={})
  assert says in line and '\n' not in line


def test_onednn_turned_off_computes_float32_whatever_the_cpu():
  line = precision.notice(precision.BFLOAT16, {'amx_bf16'},
                          environ={'TF_ENABLE_ONEDNN_OPTS': '0'})
  assert 'TF_ENABLE_ONEDNN_OPTS=0' in line and 'float32' in line


@pytest.mark.parametrize('asked, flags, environ, computes', [
    (precision.BFLOAT16, {'avx512_bf16'}, {}, True),
    (precision.BFLOAT16, {'amx_bf16', 'amx_tile'}, {}, True),
    (precision.BFLOAT16, {'avx2', 'avx512f'}, {}, False),
    (precision.BFLOAT16, {'amx_bf16'}, {'TF_ENABLE_ONEDNN_OPTS': '0'}, False),
    (precision.FLOAT32, {'amx_bf16'}, {}, False),
])
def test_what_a_run_really_multiplies_in(asked, flags, environ, computes):
  # The benchmark's roof multiplies in it too (bench.run_limit).
  assert precision.computes_bfloat16(asked, flags, environ) is computes


@pytest.mark.slow
def test_a_bfloat16_run_is_recorded_kept_apart_and_evaluated(
    tmp_path, dataset_dir):
  args = ['--variant=xavier', '--data_dir=' + dataset_dir,
          '--validation_size=100', '--hidden_units=16', '--epochs=1',
          '--logdir=' + str(tmp_path / 'logs'),
          '--model_dir=' + str(tmp_path / 'model')]
  result = run_script('train.py', *args, '--precision=bfloat16')
  assert result.returncode == 0, result.stderr
  line = precision.notice(precision.BFLOAT16, precision.cpu_flags())
  assert line in result.stdout.splitlines()
  with open(str(tmp_path / 'model' / checkpoints.RUN_FILE)) as f:
    assert json.load(f)['settings']['precision'] == 'bfloat16'
  # The same run_dir at float32 is another experiment: one line, exit 1.
  result = run_script('train.py', *args, '--epochs=2')
  assert result.returncode == 1
  (error,) = error_lines(result.stderr)
  assert 'precision' in error and 'bfloat16' in error
  assert os.path.exists(str(tmp_path / 'model' / checkpoints.RUN_FILE))
  result = run_script('evaluate.py', '--model_dir=' + str(tmp_path / 'model'),
                      '--data_dir=' + dataset_dir)
  assert result.returncode == 0, result.stderr
  assert 'Accuracy: ' in result.stdout
