"""Times the graph-mode training loop against Keras 3 and PyTorch.

  python scripts/benchmark.py --presets=deep,dropout --json=bench.json

Each contender trains each preset's network (same layers, initializers,
optimizer, learning rate and batch size) on the same 55,000 in-memory
examples (Fashion-MNIST when installed, else random images; the regressors
California housing's 11,610 training rows, from --housing_dir or the cache,
else 20,640 random rows), in a process of its own, interleaved A B C A B C over --repetitions, and reports the median
steady-state seconds per epoch (the first epoch excluded). Ratios are taken
per repetition, then their median, so both sides of a ratio ran minutes apart
at most on a shared machine. `limit`, timed in every repetition too, runs
tf.matmul and tf.nn.conv2d alone at the network's shapes: the percent of it
that a loop reaches is how close it comes to what this CPU can do.
"""

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from absl import flags

from legacy_dnn import cli

# The contenders' table (bench.CONTENDERS) and FLOP counts (model) need
# TensorFlow even for --help; imported so, its start-up stays quiet.
cli.import_tensorflow()

# pylint: disable=g-import-not-at-top,wrong-import-position
from legacy_dnn import bench
from legacy_dnn import data
from legacy_dnn import precision
from legacy_dnn import presets
from legacy_dnn import shapes
from legacy_dnn.errors import UserError

FLAGS = flags.FLAGS
# cifar_cnn needs CIFAR-10, which this benchmark does not generate; cosine
# is six steps an epoch.
HOUSING = 'california_housing'
BENCHMARKED = sorted(p for p, v in presets.PRESETS.items()
                     if v.dataset in ('mnist', HOUSING))
flags.DEFINE_list('presets', BENCHMARKED, 'Presets to time.')
flags.DEFINE_list('contenders', [c for c in bench.CONTENDERS
                                 if c != 'ours_float32'],
                  'Loops to time: ours, ours_nondeterministic (op determinism '
                  'off), ours_float32 (ours at float32 whatever --precision '
                  'says; added by default with --precision=bfloat16), keras, '
                  'torch.')
flags.DEFINE_enum('precision', precision.FLOAT32, precision.PRECISIONS,
                  'What every contender computes in: bfloat16 is ours with '
                  'train.py\'s --precision=bfloat16, Keras 3 with the '
                  'mixed_bfloat16 policy, PyTorch under torch.autocast.')
flags.DEFINE_integer('repetitions', 3, 'Rounds of A B C ...', lower_bound=1)
flags.DEFINE_integer('epochs', 3, 'Epochs per run; the first is excluded.',
                     lower_bound=2)
flags.DEFINE_boolean('quick', False, 'A smoke run of about a minute per '
                     'preset: 1 repetition, 2 epochs, 5,000 random examples.')
flags.DEFINE_string('json', None, 'Also write the medians, per preset, here.')
flags.DEFINE_string('housing_dir', None, 'Folder holding cal_housing.tgz for '
                    'the regression presets. Default: the data cache, else '
                    'random rows.')
flags.DEFINE_string('child', None, 'Internal: run one contender and print '
                    'its report as JSON.')
flags.DEFINE_string('data_dir', None, 'Internal: the IDX files children read.')
flags.DEFINE_string('dataset', 'fashion_mnist', 'Internal: their dataset.')
flags.DEFINE_float('spawned_at', None, 'Internal: time.time() at spawn.')
flags.register_validator(
    'presets', lambda v: v and set(v) <= set(BENCHMARKED),
    message='must be among %s' % ','.join(BENCHMARKED))
flags.register_validator(
    'contenders', lambda v: v and set(v) <= set(bench.CONTENDERS),
    message='must be among %s' % ','.join(bench.CONTENDERS))

REPORT_PREFIX = 'BENCH '


def _spawn(contender, preset, epochs, data_dir, dataset):
  command = [sys.executable, os.path.abspath(__file__), '--child=' + contender,
             '--presets=' + preset, '--epochs=%d' % epochs,
             '--data_dir=' + data_dir, '--dataset=' + dataset,
             '--precision=' + FLAGS.precision,
             '--spawned_at=%r' % time.time()]
  result = subprocess.run(command, capture_output=True, text=True)
  reports = [line[len(REPORT_PREFIX):] for line in result.stdout.splitlines()
             if line.startswith(REPORT_PREFIX)]
  if result.returncode or not reports:
    tail = (result.stderr.strip().splitlines() or ['no output'])[-1]
    raise UserError('%s on %s failed: %s' % (contender, preset, tail))
  return json.loads(reports[-1])


def _available(contender):
  if contender == 'torch' and importlib.util.find_spec('torch') is None:
    print('torch is not installed (pip install -e .[bench]); leaving it out')
    return False
  return True


def _steady(report):
  return statistics.median(report['train_s'][1:])


def _summarize(preset, runs):
  """Medians and ratios of one preset's repetitions, as a dict."""
  cfg = presets.PRESETS[preset]
  examples = runs['examples']
  steps = max(1, examples // cfg.batch_size)
  summary = {'examples': examples, 'batch_size': cfg.batch_size,
             'steps_per_epoch': steps}
  epoch_s = {c: [_steady(r) for r in reports]
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


def _table(summaries):
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


def _housing_dir(scratch, quick):
  """Where the regression presets' cal_housing.tgz is: --housing_dir, the
  cache, or random rows written into scratch (2,064 for --quick)."""
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import tabular
  if FLAGS.housing_dir:
    return FLAGS.housing_dir
  found = None if quick else data.find_local(data.DATASETS[HOUSING])
  if found:
    return found
  folder = os.path.join(scratch, 'housing')
  os.makedirs(folder)
  tabular.write_housing_archive(
      os.path.join(folder, tabular.HOUSING_ARCHIVE),
      tabular.random_housing(2064 if quick else 20640))
  return folder


def main():
  if FLAGS.child:
    report = bench.run_child(FLAGS.child, FLAGS.presets[0], FLAGS.epochs,
                             FLAGS.data_dir, FLAGS.dataset, FLAGS.spawned_at,
                             FLAGS.precision)
    print(REPORT_PREFIX + json.dumps(report))
    return 0

  repetitions, epochs = FLAGS.repetitions, FLAGS.epochs
  with tempfile.TemporaryDirectory() as scratch:
    data_dir = data.find_local(data.DATASETS['fashion_mnist'])
    dataset = 'fashion_mnist'
    if FLAGS.quick:
      repetitions, epochs = 1, 2
      data_dir = data.write_random(os.path.join(scratch, 'data'),
                                   n_train=10000, n_test=1000)
    elif data_dir is None:
      data_dir = data.write_random(os.path.join(scratch, 'data'),
                                   n_train=60000, n_test=10000)
    if data_dir.startswith(scratch):
      dataset = 'mnist'
    sources = {'mnist': (data_dir, dataset)}
    if any(presets.PRESETS[p].dataset == HOUSING for p in FLAGS.presets):
      sources[HOUSING] = (_housing_dir(scratch, FLAGS.quick), HOUSING)
    print('%d repetitions of %d epochs' % (repetitions, epochs))
    for kind, (folder, name) in sources.items():
      print('Data: %s, %d training examples' % (
          folder if not folder.startswith(scratch) else 'random ' + (
              'rows' if kind == HOUSING else 'images'),
          len(data.load(data.DATASETS[name], folder).train[0])), flush=True)
    contenders = [c for c in FLAGS.contenders if _available(c)]
    if (FLAGS.precision == precision.BFLOAT16 and
        not FLAGS['contenders'].present):  # The default list has ours.
      contenders.insert(contenders.index('ours') + 1, 'ours_float32')
    line = precision.notice(FLAGS.precision, precision.cpu_flags())
    if line:
      print(line)
    summaries = {}
    for preset in FLAGS.presets:
      data_dir, dataset = sources[presets.PRESETS[preset].dataset]
      runs = {'examples': len(data.load(data.DATASETS[dataset],
                                        data_dir).train[0]),
              'image_shape': data.DATASETS[dataset].image_shape,
              'reports': {c: [] for c in contenders}, 'limits': []}
      for rep in range(repetitions):
        for contender in contenders:
          report = _spawn(contender, preset, epochs, data_dir, dataset)
          runs['reports'][contender].append(report)
          print('%s %s repetition %d: %.2f s/epoch' % (
              preset, contender, rep + 1, _steady(report)), flush=True)
        # The limit is as noisy as the loops, so it is timed beside them.
        limit = _spawn('limit', preset, epochs, data_dir, dataset)
        runs['limits'].append(limit['gflops'])
        runs['limit_dtype'] = limit['dtype']
        print('%s limit repetition %d: %.1f GFLOP/s (%s)' % (
            preset, rep + 1, runs['limits'][-1], limit['dtype']), flush=True)
      summaries[preset] = _summarize(preset, runs)
  print()
  print(_table(summaries))
  if FLAGS.json:
    with open(FLAGS.json, 'w') as f:
      json.dump(summaries, f, indent=2, sort_keys=True)
  return 0


if __name__ == '__main__':
  cli.run(main)
