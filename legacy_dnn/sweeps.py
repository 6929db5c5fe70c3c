"""Hyperparameter sweeps: each trial a normal training run, results in
TensorBoard's HParams dashboard, a ranked table and a CSV.

A sweep folder holds:
  sweep.json              the trials (id and flags), written once
  trials/<trial id>/      each trial's model_dir, with result.json when done
  logs/                   the TensorBoard logdir: the HParams config, and a
                          folder per trial with its hparams, test metrics and
                          train/ and validation/ curves
  results.csv             the ranked results
"""

import csv
import dataclasses
import io
import itertools
import json
import math
import os
import time
from typing import Dict

import numpy as np
import tensorflow as tf
from absl import flags
from google.protobuf import struct_pb2
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import summary as hparams_summary

from legacy_dnn import checkpoints
from legacy_dnn import config as config_lib
from legacy_dnn import heads
from legacy_dnn import interrupts as interrupts_lib
from legacy_dnn import loop
from legacy_dnn import summaries
from legacy_dnn import training
from legacy_dnn import settings as settings_lib
from legacy_dnn.errors import UserError
# Pseudo-parameters (settings.py): the hidden layers are depth x units;
# filters<N> is the filter count of the Nth convolutional block (the exam's
# n1, n2).
from legacy_dnn.settings import DEPTH, FILTERS_N, UNITS

SPEC_FILE = 'sweep.json'
RESULT_FILE = 'result.json'
# A trial is claimed by an flock on this file in its folder: one process runs
# it, whichever sweep process on whichever machine that is.
CLAIM_FILE = '.claim'
LOG_FILE = 'train.log'  # A trial's output when it runs in a process of its own.
CSV_FILE = 'results.csv'
FINISHED, FAILED, INTERRUPTED = 'finished', 'failed', 'interrupted'


def ranked_by(head):
  """What results.csv says trials are ranked by: 'test_mse, lower first'."""
  return '%s, %s first' % (head.rank_metric,
                           'higher' if head.higher_is_better else 'lower')


def heading(head, metric):
  """The table's heading of one of head's test figures: 'test MSE'."""
  return dict(head.test_metric_names)[metric]


@dataclasses.dataclass(frozen=True)
class Trial:
  trial_id: str
  params: Dict[str, str]  # Flag name (or depth/units) -> value as typed.

  def args(self, base):
    """The train.py flags that set this trial's parameters.

    base: the TrainConfig of the sweep's other flags, whose layer sizes the
      pseudo-parameters start from.

    Raises:
      SpecError: a filters<N> beyond the network's convolutional blocks.
    """
    params = dict(self.params)
    if DEPTH in params or UNITS in params:
      depth = int(params.pop(DEPTH, 1))
      units = params.pop(UNITS, str(base.hidden_units[0]
                                    if base.hidden_units else 100))
      params['hidden_units'] = ','.join([units] * depth)
    filters = [str(f) for f in base.filters]
    filter_names = [n for n in params if FILTERS_N.fullmatch(n)]
    for name in filter_names:
      n = int(FILTERS_N.fullmatch(name).group(1))
      if n > len(filters):
        raise SpecError('%s: %s has %d convolutional blocks' % (
            name, base.variant, len(filters)))
      filters[n - 1] = params.pop(name)
    if filter_names:
      params['filters'] = ','.join(filters)
    return ['--%s=%s' % item for item in params.items()]


class SpecError(UserError):
  """A --grid or --ranges spec that cannot be parsed."""


def _split_params(spec, flag):
  params = []
  for part in filter(None, (p.strip() for p in spec.split(';'))):
    name, sep, values = part.partition('=')
    if not sep or not name.strip() or not values.strip():
      raise SpecError('%s: %r is not name=values' % (flag, part))
    params.append((name.strip(), values.strip()))
  if not params:
    raise SpecError('%s: no parameters' % flag)
  return params


def _check_names(names, flag):
  for name in names:
    if settings_lib.sweep_kind(name, per_run=config_lib.PER_RUN) is None:
      raise SpecError('%s: %s is not a train.py setting' % (flag, name))


def grid(spec):
  """Every combination of --grid='a=1,2;b=x|y' (| when values hold commas)."""
  params = _split_params(spec, '--grid')
  _check_names([n for n, _ in params], '--grid')
  names = [n for n, _ in params]
  value_lists = [v.split('|') if '|' in v else v.split(',') for _, v in params]
  return [Trial('trial-%03d' % i, dict(zip(names, combo)))
            for i, combo in enumerate(itertools.product(*value_lists))]


@dataclasses.dataclass(frozen=True)
class Range:
  """One --ranges entry: how to draw a parameter."""
  kind: str  # loguniform, uniform, int, choice.
  low: float = 0.0
  high: float = 0.0
  choices: tuple = ()

  def draw(self, rng):
    if self.kind == 'loguniform':
      return '%.4g' % math.exp(rng.uniform(math.log(self.low),
                                           math.log(self.high)))
    if self.kind == 'uniform':
      return '%.4g' % rng.uniform(self.low, self.high)
    if self.kind == 'int':
      return str(int(rng.integers(self.low, self.high + 1)))
    return self.choices[int(rng.integers(len(self.choices)))]


def ranges(spec):
  """Parses --ranges='lr=loguniform:3e-4:3e-2;depth=1..4;optimizer=choice:adam|sgd'."""
  parsed = {}
  params = _split_params(spec, '--ranges')
  _check_names([n for n, _ in params], '--ranges')
  for name, value in params:
    try:
      if value.startswith(('loguniform:', 'uniform:')):
        kind, low, high = value.split(':')
        low, high = float(low), float(high)
        if not low < high or (kind == 'loguniform' and low <= 0):
          raise ValueError
        parsed[name] = Range(kind, low, high)
      elif value.startswith('choice:'):
        parsed[name] = Range('choice', choices=tuple(
            value[len('choice:'):].split('|')))
      else:
        low, high = (int(v) for v in value.split('..'))
        if low > high:
          raise ValueError
        parsed[name] = Range('int', low, high)
    except ValueError:
      raise SpecError(
          '--ranges: %s=%s is not loguniform:LOW:HIGH, uniform:LOW:HIGH, '
          'LOW..HIGH or choice:A|B' % (name, value)) from None
  return parsed


def random_trials(spec, count, seed):
  """count trials drawn from --ranges spec with numpy's generator of seed."""
  parsed = ranges(spec)
  rng = np.random.default_rng(seed)
  return [Trial('trial-%03d' % i, {name: r.draw(rng)
                                   for name, r in parsed.items()})
          for i in range(count)]


def _number(value):
  try:
    return float(value)
  except ValueError:
    return None


def _is_numeric(name, trials):
  return all(_number(t.params[name]) is not None for t in trials)


def hparams_values(trial, trials):
  """The trial's parameters as HParams values: numbers where every trial's
  value of that parameter is one, so TensorBoard draws a numeric axis."""
  return {name: _number(value) if _is_numeric(name, trials) else value
          for name, value in trial.params.items()}


def hparams_domain(trials):
  """api_pb2.HParamInfo per parameter: the discrete values the trials hold."""
  infos = []
  for name in trials[0].params:
    if _is_numeric(name, trials):
      values = sorted({_number(t.params[name]) for t in trials})
      kind, field = api_pb2.DATA_TYPE_FLOAT64, 'number_value'
    else:
      values = sorted({t.params[name] for t in trials})
      kind, field = api_pb2.DATA_TYPE_STRING, 'string_value'
    infos.append(api_pb2.HParamInfo(
        name=name, type=kind, domain_discrete=struct_pb2.ListValue(
            values=[struct_pb2.Value(**{field: v}) for v in values])))
  return infos


def hparams_metrics(head):
  """api_pb2.MetricInfo of the HParams table's columns: head's test
  figures, then its validation curves' last values."""
  return [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=tag),
                             display_name=name)
          for tag, name in head.test_metric_names] + [
              api_pb2.MetricInfo(name=api_pb2.MetricName(
                  group=summaries.VALIDATION, tag=tag), display_name=name)
              for tag, name in head.validation_metric_names]


def _write_summaries(folder, name, *summary_protos, step=0):
  """Writes summary protos to a new event file in folder.

  TensorFlow names event files by the second, so each file gets a name (and
  the pid) in its suffix, or a second file of the same second would replace
  the first.
  """
  with tf.Graph().as_default():
    writer = tf.compat.v1.summary.FileWriter(
        folder, filename_suffix='.%s.%d' % (name, os.getpid()))
    for proto in summary_protos:
      writer.add_summary(proto, step)
    writer.close()


class Sweep:
  """A sweep folder and the trials it runs."""

  def __init__(self, sweep_dir, trials, base_args):
    self.sweep_dir = sweep_dir
    self.trials = trials
    self.base_args = list(base_args)
    self.logdir = os.path.join(sweep_dir, 'logs')

  def trial_dir(self, trial):
    return os.path.join(self.sweep_dir, 'trials', trial.trial_id)

  def prepare(self):
    """Records the sweep, or checks that the folder holds this very sweep."""
    spec = {'base_args': self.base_args,
            'trials': [dataclasses.asdict(t) for t in self.trials]}
    path = os.path.join(self.sweep_dir, SPEC_FILE)
    if os.path.exists(path):
      try:
        with open(path) as f:
          recorded = json.load(f)
      except (OSError, ValueError) as e:
        raise UserError('%s: unreadable (%s)' % (path, e)) from None
      if recorded != spec:
        raise UserError(
            '--sweep_dir=%s holds another sweep (see %s); use another '
            '--sweep_dir' % (self.sweep_dir, path))
      return
    try:
      os.makedirs(self.logdir, exist_ok=True)
    except OSError as e:
      raise UserError('--sweep_dir=%s: cannot write there: %s'
                      % (self.sweep_dir, e.strerror)) from None
    _write_summaries(self.logdir, '0-experiment', hparams_summary.experiment_pb(
        hparam_infos=hparams_domain(self.trials),
        metric_infos=hparams_metrics(self.head)))
    checkpoints.atomic_write(path, json.dumps(spec, indent=2) + '\n')

  def claim(self, trial):
    """Claims trial for this process: a file to close when done with it, or
    None if another process holds it."""
    try:
      return checkpoints.lock(self.trial_dir(trial), '--sweep_dir', 'sweep',
                              name=CLAIM_FILE)
    except checkpoints.LockedError:
      return None

  @property
  def head(self):
    """The heads.py head of the sweep's network: what its trials report."""
    return heads.of(self.base_config())

  def pending(self):
    """The trials that have not ended, in order."""
    return [t for t in self.trials if self.result(t) is None]

  def report(self):
    """Writes results.csv if every trial has ended; returns (results, path)
    or (ended results, None) when some are still to run."""
    results = [self.result(t) for t in self.trials]
    ended = [r for r in results if r is not None]
    if len(ended) < len(results):
      return ended, None
    path = os.path.join(self.sweep_dir, CSV_FILE)
    write_csv(path, results, list(self.trials[0].params), self.head)
    return results, path

  def result(self, trial):
    """The trial's recorded result dict, or None if it has not ended."""
    try:
      with open(os.path.join(self.trial_dir(trial), RESULT_FILE)) as f:
        return json.load(f)
    except FileNotFoundError:
      return None

  def run_trial(self, trial, say=print, interrupts=None):
    """Trains one trial (resuming it if need be) and records its result.

    interrupts: as training.train takes it; the caller's, so that a signal
    that comes while the trial starts or ends is not lost.

    Returns:
      The result dict; its status is INTERRUPTED, and nothing is recorded,
      if a signal stopped the trial.
    """
    model_dir = self.trial_dir(trial)
    os.makedirs(model_dir, exist_ok=True)
    session_dir = os.path.join(self.logdir, trial.trial_id)
    record = {'trial': trial.trial_id, 'params': trial.params}
    start = time.time()
    fresh = not os.path.exists(os.path.join(model_dir,
                                            checkpoints.RUN_FILE))
    if fresh:  # Failed trials, too, belong in the HParams table.
      _write_summaries(session_dir, '1-start', hparams_summary.session_start_pb(
          hparams=hparams_values(trial, self.trials),
          group_name=trial.trial_id))
    try:
      cfg = config_lib.from_args(
          self.base_args + trial.args(self.base_config()) +
          ['--model_dir=' + model_dir, '--logdir=' + self.logdir])
    except flags.Error as e:
      return self._record_failure(trial, record, 'bad flags: %s' % e, say)
    cfg = dataclasses.replace(cfg, run_name=trial.trial_id)
    try:
      result = training.train(cfg, interrupts)
    except UserError as e:
      return self._record_failure(trial, record, str(e), say)
    if result.interrupted_by is not None:
      return dict(record, status=INTERRUPTED, signal=result.interrupted_by)
    record.update(status=FINISHED, epochs=result.epochs,
                  best_epoch=result.best_epoch, wall_s=time.time() - start,
                  resumed=not fresh, **result.test_metrics)
    _write_summaries(
        session_dir, '2-end',
        tf.compat.v1.Summary(value=[
            tf.compat.v1.Summary.Value(tag=tag, simple_value=value)
            for tag, value in result.test_metrics.items()]),
        hparams_summary.session_end_pb(api_pb2.STATUS_SUCCESS),
        step=result.epochs)
    self._save_result(trial, record)
    return record

  def base_config(self):
    """The TrainConfig of the sweep's flags without a trial's."""
    return config_lib.from_args(self.base_args)

  def _record_failure(self, trial, record, error, say):
    say('%s failed: %s' % (trial.trial_id, error))
    record.update(status=FAILED, error=error)
    _write_summaries(os.path.join(self.logdir, trial.trial_id), '2-end',
                     hparams_summary.session_end_pb(api_pb2.STATUS_FAILURE))
    self._save_result(trial, record)
    return record

  def _save_result(self, trial, record):
    checkpoints.atomic_write(os.path.join(self.trial_dir(trial), RESULT_FILE),
                             json.dumps(record, indent=2) + '\n')


def ranked(results, head):
  """Finished trials by head's rank metric, best first (the highest test
  accuracy, the lowest test MSE), then the failed ones."""
  done = [r for r in results if r['status'] == FINISHED]
  failed = [r for r in results if r['status'] != FINISHED]
  return sorted(done, key=lambda r: r[head.rank_metric],
                reverse=head.higher_is_better) + failed


def table(results, param_names, head):
  """The ranked results as a markdown table."""
  figures = [tag for tag, _ in head.test_metric_names]
  header = ['rank', 'trial'] + list(param_names) + [
      name for _, name in head.test_metric_names] + ['epochs', 'wall s',
                                                      'status']
  lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
  for rank, r in enumerate(ranked(results, head), 1):
    if r['status'] == FINISHED:
      cells = ['%.4f' % r[f] for f in figures] + [
               str(r['epochs']), '%.1f%s' % (r['wall_s'],
                                             ' (resumed)' if r['resumed']
                                             else ''), FINISHED]
    else:
      cells = [''] * (len(figures) + 2) + ['failed: ' + r['error']]
    lines.append('| ' + ' | '.join(
        [str(rank), r['trial']] + [r['params'].get(n, '') for n in
                                   param_names] + cells) + ' |')
  return '\n'.join(lines)


def write_csv(path, results, param_names, head):
  """The ranked results as CSV, replaced atomically (several processes may
  write it at once)."""
  columns = ['rank', 'trial'] + list(param_names) + ['status'] + [
      tag for tag, _ in head.test_metric_names] + [
          'epochs', 'best_epoch', 'wall_s', 'error', 'ranked_by']
  text = io.StringIO(newline='')
  writer = csv.DictWriter(text, columns, extrasaction='ignore')
  writer.writeheader()
  for rank, r in enumerate(ranked(results, head), 1):
    writer.writerow(dict(r, rank=rank, ranked_by=ranked_by(head),
                         **r['params']))
  checkpoints.atomic_write(path, text.getvalue())


def from_flags(fv):
  """The Sweep that sweep.py's flags (legacy_dnn.sweep's settings) describe:
  its trials, and the train.py flags given here, for every trial."""
  trials = (grid(fv.grid) if fv.grid is not None else
            random_trials(fv.ranges, fv.random, fv.seed))
  base_args = [fv[name].serialize() for name in sorted(
      config_lib.train_flag_names()) if fv[name].present and
               name not in config_lib.PER_RUN]
  return Sweep(fv.sweep_dir or os.path.join('sweeps', fv.variant), trials,
               base_args)


def start(run, flag, say=loop.say):
  """Records run in its folder (or checks that the folder holds it), checks
  every trial's flags, and says where it runs.

  flag: how the caller names the folder in an error (--sweep_dir).

  Returns:
    The run's base_config().
  """
  # Several sweep processes may share the folder: the lock is held only
  # while the sweep is recorded, never while trials run.
  with checkpoints.lock(run.sweep_dir, flag, 'sweep', blocking=True):
    run.prepare()
  base = run.base_config()
  for trial in run.trials:  # A filters<N> the network lacks fails up front.
    trial.args(base)
  say('Sweep: %d trials in %s; tensorboard --logdir %s'
      % (len(run.trials), run.sweep_dir, run.logdir))
  return base


def run_sequentially(run, base, say=loop.say):
  """Runs run's unclaimed, unfinished trials in this process, in order.

  One handler catches SIGINT and SIGTERM for the whole sweep: a signal that
  comes between two trials, or while one starts, stops the sweep there.

  Args:
    run: a prepared Sweep.
    base: its base_config().
    say: how a line is printed.

  Returns:
    0, or 128 + the signal that stopped the sweep.
  """
  with interrupts_lib.Interrupts() as caught:
    for trial in run.trials:
      result = run.result(trial)
      if result is not None:
        say('%s: %s already' % (trial.trial_id, result['status']))
        continue
      if caught.signum is not None:
        break
      claim = run.claim(trial)
      if claim is None:
        say('%s: running in another sweep process' % trial.trial_id)
        continue
      with claim:
        if run.result(trial) is not None:  # It ended while we looked.
          continue
        say('=== %s: %s' % (trial.trial_id, ' '.join(trial.args(base))))
        result = run.run_trial(trial, say, interrupts=caught)
      if result['status'] == INTERRUPTED:
        say('Sweep interrupted in %s; run the same command again to '
            'resume.' % trial.trial_id)
        return 128 + result['signal']
  if caught.signum is not None:
    say('Sweep interrupted; run the same command again to resume.')
    return 128 + caught.signum
  return 0
