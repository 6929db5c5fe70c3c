"""scripts/benchmark.py: a --quick run whose table and JSON parse. No timing is asserted: speed lives in docs/benchmarks.md."""

import json
import re

from conftest import run_script


def test_quick_run_prints_a_table_and_writes_json(tmp_path):
  out = str(tmp_path / 'bench.json')
  result = run_script('benchmark.py', '--quick', '--presets=homl',
                      '--contenders=ours,keras,torch', '--json=' + out,
                      timeout=600)
  assert result.returncode == 0, result.stderr
  (row,) = [l for l in result.stdout.splitlines() if l.startswith('| homl |')
            and l.count('|') == 12]
  cells = [c.strip() for c in row.strip('|').split('|')]
  assert cells[1] == '50'
  for cell in cells[2:3] + cells[4:10]:
    assert re.fullmatch(r'\d+\.\d+', cell), row
  assert cells[3] == '—'  # ours_nondeterministic was not asked for.
  assert re.fullmatch(r'\d+%', cells[10])
  with open(out) as f:
    summary = json.load(f)['homl']
  for key in ('ours_epoch_s', 'keras_epoch_s', 'torch_epoch_s',
              'ours_over_keras', 'ours_over_torch', 'limit_pct',
              'first_step_s', 'eval_s', 'save_s', 'restore_s', 'peak_rss_mb'):
    assert summary[key] > 0, key
  assert summary['ours_over_keras'] == summary['ours_epoch_s'] / summary[
      'keras_epoch_s']
