"""The benchmark's race (scripts/benchmark.py): each preset's network
trained by each contender (bench.py: ours, Keras 3, PyTorch, the matmul and
convolution limit) in a process of its own, interleaved A B C A B C over
the repetitions; the medians, the per-repetition ratios, and the tables.

Lines go to the reporter (reporting.py) as each run ends; race() returns
the summaries, and the script prints table() of them.
"""

import importlib.util
import json
import os
import statistics
import subprocess
import tempfile
import time

from legacy_dnn import data
from legacy_dnn import precision
from legacy_dnn import presets
from legacy_dnn import shapes
from legacy_dnn import tabular
from legacy_dnn.errors import UserError
from legacy_dnn.reporting import say

# cifar_cnn needs CIFAR-10, which this benchmark does not generate; cosine
# is six steps an epoch.
HOUSING = 'california_housing'
BENCHMARKED = sorted(p for p, v in presets.PRESETS.items()
                     if v.dataset in ('mnist', HOUSING))
# What a child prints before its report's JSON.
REPORT_PREFIX = 'BENCH '


def spawn(child_command, contender, preset, epochs, data_dir, dataset,
          precision_name):
  """Runs one contender in a process of its own; its report (a dict).

  child_command: the program that runs one contender, given --child=,
    --presets=, --epochs=, --data_dir=, --dataset=, --precision= and
    --spawned_at=, and prints REPORT_PREFIX and its report as JSON
    (scripts/benchmark.py --child).
  """
  command = list(child_command) + [
      '--child=' + contender, '--presets=' + preset, '--epochs=%d' % epochs,
      '--data_dir=' + data_dir, '--dataset=' + dataset,
      '--precision=' + precision_name, '--spawned_at=%r' % time.time()]
  result = subprocess.run(command, capture_output=True, text=True)
  reports = [line[len(REPORT_PREFIX):] for line in result.stdout.splitlines()
             if line.startswith(REPORT_PREFIX)]
  if result.returncode or not reports:
    tail = (result.stderr.strip().splitlines() or ['no output'])[-1]
    raise UserError('%s on %s failed: %s' % (contender, preset, tail))
  return json.loads(reports[-1])


def available(contender):
  """Whether contender can run here; says why not."""
  if contender == 'torch' and importlib.util.find_spec('torch') is None:
    say('torch is not installed (pip install -e .[bench]); leaving it out')
    return False
  return True


def steady(report):
  """A report's median seconds per epoch, the first left out."""
  return statistics.median(report['train_s'][1:])


def summarize(preset, runs):
  """Medians and ratios of one preset's repetitions, as a dict."""
  cfg = presets.PRESETS[preset]
  examples = runs['examples']
  steps = max(1, examples // cfg.batch_size)
  summary = {'examples': examples, 'batch_size': cfg.batch_size,
             'steps_per_epoch': steps}
  epoch_s = {c: [steady(r) for r in reports]
             for c, reports in runs['reports'].items()}
  for contender, times in epoch_s.items():
    summary['%s_epoch_s' % contender] = statistics.median(times)
    summary['%s_step_ms' % contender] = 1000 * statistics.median(
        times) / steps
  for peer in ('keras', 'torch', 'ours_nondeterministic', 'ours_float32'):
    if 'ours' in epoch_s and peer in epoch_s:
      ratios = [a / b for a, b in zip(epoch_s['ours'], epoch_s[peer])]
      summary['ours_over_%s' % peer] = statistics.median(ratios)
      summary['ours_over_%s_each' % peer] = ratios
  flops = shapes.flops_per_example(cfg, runs['image_shape'])
  summary['gflop_per_example'] = flops / 1e9
  summary['limit_gflops'] = statistics.median(runs['limits'])
  # bfloat16 where the bfloat16 run multiplies in it (bench.run_limit).
  summary['limit_dtype'] = runs['limit_dtype']
  if 'ours' in epoch_s:
    ours = runs['reports']['ours']
    summary['ours_gflops'] = flops * examples / summary['ours_epoch_s'] / 1e9
    pcts = [100 * flops * examples / seconds / 1e9 / limit
            for seconds, limit in zip(epoch_s['ours'], runs['limits'])]
    summary['limit_pct'] = statistics.median(pcts)
    summary['limit_pct_each'] = pcts
    for key in ('first_step_s', 'eval_s', 'save_s', 'restore_s',
                'peak_rss_mb'):
      summary[key] = statistics.median(r[key] for r in ours)
    summary['startup_s'] = {
        part: statistics.median(r['startup_s'][part] for r in ours)
        for part in ours[0]['startup_s']}
    summary['ours_full_epoch_s'] = statistics.median(
        statistics.median(r['epoch_s'][1:]) for r in ours)
  return summary


def table(summaries):
  """The summaries as the markdown tables the benchmark prints."""
  def cell(summary, key, fmt):
    return fmt % summary[key] if key in summary else '—'

  lines = [
      '| preset | batch | ours s/epoch | ours, no determinism | ours float32 | '
      'Keras 3 fit | PyTorch | ours/Keras | ours/PyTorch | ours/ours float32 '
      '| ours GFLOP/s | matmul+conv limit GFLOP/s | % of limit |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
  for preset, s in summaries.items():
    lines.append('| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s '
                 '| %s |' % (
        preset, s['batch_size'], cell(s, 'ours_epoch_s', '%.2f'),
        cell(s, 'ours_nondeterministic_epoch_s', '%.2f'),
        cell(s, 'ours_float32_epoch_s', '%.2f'),
        cell(s, 'keras_epoch_s', '%.2f'), cell(s, 'torch_epoch_s', '%.2f'),
        cell(s, 'ours_over_keras', '%.2f'), cell(s, 'ours_over_torch', '%.2f'),
        cell(s, 'ours_over_ours_float32', '%.2f'),
        cell(s, 'ours_gflops', '%.1f'),
        cell(s, 'limit_gflops', '%.1f') + ' ' + s['limit_dtype'],
        cell(s, 'limit_pct', '%.0f%%')))
  lines += [
      '',
      '| preset | start to first step s | ours epoch with validation, '
      'summaries, checkpoint s | test-set eval s | checkpoint save s | '
      'restore s | peak RSS MB |',
      '|---|---|---|---|---|---|---|']
  for preset, s in summaries.items():
    if 'ours_epoch_s' in s:
      lines.append('| %s | %.2f | %.2f | %.3f | %.3f | %.3f | %.0f |' % (
          preset, s['first_step_s'], s['ours_full_epoch_s'], s['eval_s'],
          s['save_s'], s['restore_s'], s['peak_rss_mb']))
  lines += [
      '',
      '| preset | start to first step s | Python and import s | data s | '
      'graph s | session s | first call s |',
      '|---|---|---|---|---|---|---|']
  for preset, s in summaries.items():
    if 'startup_s' in s:
      lines.append('| %s | %.2f | %s |' % (
          preset, s['first_step_s'], ' | '.join(
              '%.2f' % s['startup_s'][part] for part in (
                  'import', 'data', 'graph', 'session', 'first_call'))))
  # On the tiny networks a step is almost all per-step overhead.
  lines += [
      '',
      '| preset | batch | steps/epoch | ours ms/step | Keras 3 ms/step | '
      'PyTorch ms/step |',
      '|---|---|---|---|---|---|']
  for preset, s in summaries.items():
    lines.append('| %s | %d | %d | %s | %s | %s |' % (
        preset, s['batch_size'], s['steps_per_epoch'],
        cell(s, 'ours_step_ms', '%.3f'), cell(s, 'keras_step_ms', '%.3f'),
        cell(s, 'torch_step_ms', '%.3f')))
  return '\n'.join(lines)


def _housing_dir(scratch, quick, housing_dir):
  """Where the regression presets' cal_housing.tgz is: housing_dir, the
  cache, or random rows written into scratch (2,064 for quick)."""
  if housing_dir:
    return housing_dir
  found = None if quick else data.find_local(data.DATASETS[HOUSING])
  if found:
    return found
  folder = os.path.join(scratch, 'housing')
  os.makedirs(folder)
  tabular.write_housing_archive(
      os.path.join(folder, tabular.HOUSING_ARCHIVE),
      tabular.random_housing(2064 if quick else 20640))
  return folder


def race(child_command, preset_names, contender_names, repetitions, epochs,
         precision_name=precision.FLOAT32, quick=False, housing_dir=None,
         contenders_given=True):
  """Times each preset's contenders, interleaved A B C A B C over
  repetitions, each in a process of its own; says each run's time as it
  comes.

  Args:
    child_command: how to start one contender (spawn()).
    preset_names, contender_names: what to time.
    repetitions, epochs: rounds, and epochs per run (the first is excluded).
    precision_name: what every contender computes in.
    quick: a smoke run: 1 repetition, 2 epochs, random examples.
    housing_dir: cal_housing.tgz's folder for the regressors.
    contenders_given: False adds ours_float32 beside ours in bfloat16.

  Returns:
    {preset: its summary (summarize())}.
  """
  with tempfile.TemporaryDirectory() as scratch:
    data_dir = data.find_local(data.DATASETS['fashion_mnist'])
    dataset = 'fashion_mnist'
    if quick:
      repetitions, epochs = 1, 2
      data_dir = data.write_random(os.path.join(scratch, 'data'),
                                   n_train=10000, n_test=1000)
    elif data_dir is None:
      data_dir = data.write_random(os.path.join(scratch, 'data'),
                                   n_train=60000, n_test=10000)
    if data_dir.startswith(scratch):
      dataset = 'mnist'
    sources = {'mnist': (data_dir, dataset)}
    if any(presets.PRESETS[p].dataset == HOUSING for p in preset_names):
      sources[HOUSING] = (_housing_dir(scratch, quick, housing_dir), HOUSING)
    say('%d repetitions of %d epochs' % (repetitions, epochs))
    for kind, (folder, name) in sources.items():
      say('Data: %s, %d training examples' % (
          folder if not folder.startswith(scratch) else 'random ' + (
              'rows' if kind == HOUSING else 'images'),
          len(data.load(data.DATASETS[name], folder).train[0])))
    contenders = [c for c in contender_names if available(c)]
    if (precision_name == precision.BFLOAT16 and
        not contenders_given):  # The default list has ours.
      contenders.insert(contenders.index('ours') + 1, 'ours_float32')
    line = precision.notice(precision_name, precision.cpu_flags())
    if line:
      say(line)
    summaries = {}
    for preset in preset_names:
      data_dir, dataset = sources[presets.PRESETS[preset].dataset]
      runs = {'examples': len(data.load(data.DATASETS[dataset],
                                        data_dir).train[0]),
              'image_shape': data.DATASETS[dataset].image_shape,
              'reports': {c: [] for c in contenders}, 'limits': []}
      for rep in range(repetitions):
        for contender in contenders:
          report = spawn(child_command, contender, preset, epochs, data_dir,
                         dataset, precision_name)
          runs['reports'][contender].append(report)
          say('%s %s repetition %d: %.2f s/epoch' % (
              preset, contender, rep + 1, steady(report)))
        # The limit is as noisy as the loops, so it is timed beside them.
        limit = spawn(child_command, 'limit', preset, epochs, data_dir,
                      dataset, precision_name)
        runs['limits'].append(limit['gflops'])
        runs['limit_dtype'] = limit['dtype']
        say('%s limit repetition %d: %.1f GFLOP/s (%s)' % (
            preset, rep + 1, runs['limits'][-1], limit['dtype']))
      summaries[preset] = summarize(preset, runs)
  return summaries


def write_json(path, summaries):
  """Writes the summaries, per preset, as JSON (benchmark.py --json)."""
  with open(path, 'w') as f:
    json.dump(summaries, f, indent=2, sort_keys=True)
