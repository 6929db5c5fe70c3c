"""Sweeps: spec parsing, trials as real runs, HParams summaries read back
with TensorBoard's own reader, failures recorded, interrupted sweeps resumed."""

import csv
import json
import os
import re
import signal

import pytest
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import metadata

from conftest import (Proc, TensorBoard, error_lines, run_script, wait_until,
                      write_housing)
from legacy_dnn import checkpoints
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import interrupts
from legacy_dnn import loop
from legacy_dnn import sweeps
from legacy_dnn import training

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.


def test_grid_is_every_combination_in_order():
  trials = sweeps.grid('hidden_units=256,256|512,512;learning_rate=0.001,0.01')
  assert [t.trial_id for t in trials] == ['trial-000', 'trial-001',
                                          'trial-002', 'trial-003']
  assert [t.params for t in trials] == [
      {'hidden_units': '256,256', 'learning_rate': '0.001'},
      {'hidden_units': '256,256', 'learning_rate': '0.01'},
      {'hidden_units': '512,512', 'learning_rate': '0.001'},
      {'hidden_units': '512,512', 'learning_rate': '0.01'}]
  assert trials[3].args(config.for_variant('deep')) == [
      '--hidden_units=512,512', '--learning_rate=0.01']


def test_the_exams_filter_grid():
  trials = sweeps.grid('filters1=6,64,128;filters2=16,256')
  assert len(trials) == 6
  lenet = config.for_variant('lenet')
  assert [t.args(lenet) for t in trials[:2]] == [
      ['--filters=6,16'], ['--filters=6,256']]
  assert trials[5].args(lenet) == ['--filters=128,256']
  with pytest.raises(sweeps.SpecError, match='filters1: dropout has 0 '
                     'convolutional blocks'):
    trials[0].args(config.for_variant('dropout'))


@pytest.mark.parametrize('spec, message', [
    ('hidden_layers=1,2', 'hidden_layers is not a train.py setting'),
    ('model_dir=a,b', 'model_dir is not a train.py setting'),
    ('batch_size', "'batch_size' is not name=values"),
    ('', 'no parameters'),
])
def test_bad_grid(spec, message):
  with pytest.raises(sweeps.SpecError, match=re.escape(message)):
    sweeps.grid(spec)


def test_random_draws_are_reproducible_and_in_range():
  spec = 'learning_rate=loguniform:3e-4:3e-2;depth=1..4;optimizer=choice:adam|sgd'
  a = sweeps.random_trials(spec, 20, seed=1)
  assert a == sweeps.random_trials(spec, 20, seed=1)
  assert a != sweeps.random_trials(spec, 20, seed=2)
  rates = [float(t.params['learning_rate']) for t in a]
  assert all(3e-4 <= r <= 3e-2 for r in rates)
  assert min(rates) < 3e-3 < max(rates)  # Spread over the log range.
  assert {t.params['depth'] for t in a} == {'1', '2', '3', '4'}
  assert {t.params['optimizer'] for t in a} == {'adam', 'sgd'}
  deep = config.for_variant('deep')
  assert sweeps.Trial('t', {'depth': '3', 'units': '64'}).args(deep) == [
      '--hidden_units=64,64,64']
  assert sweeps.Trial('t', {'depth': '2'}).args(deep) == [
      '--hidden_units=512,512']


@pytest.mark.parametrize('spec', ['lr=loguniform:0:1', 'depth=4..1',
                                  'learning_rate=uniform:1', 'depth=a..b'])
def test_bad_ranges(spec):
  with pytest.raises(sweeps.SpecError):
    sweeps.ranges(spec)


def hparams_content(folder):
  accumulator = event_accumulator.EventAccumulator(folder)
  accumulator.Reload()
  return accumulator, accumulator.PluginTagToContent(metadata.PLUGIN_NAME)


def common_args(tmp_path, data_dir):
  return ['--variant=homl', '--data_dir=' + data_dir, '--validation_size=100',
          '--hidden_units=16', '--epochs=2', '--sweep_dir=%s' % (
              tmp_path / 'sweep')]


@pytest.mark.slow
def test_a_regression_sweep_ranks_by_test_mse_lowest_first(tmp_path):
  folder = write_housing(str(tmp_path / 'housing'))
  # depth=0 is linear regression: no hidden layer at all.
  result = run_script(
      'sweep.py', '--variant=regression', '--data_dir=' + folder,
      '--epochs=2', '--sweep_dir=%s' % (tmp_path / 'sweep'),
      '--grid=depth=0,1;learning_rate=0.0003,0.01')
  assert result.returncode == 0, result.stderr
  with open(tmp_path / 'sweep' / 'results.csv') as f:
    rows = list(csv.DictReader(f))
  assert len(rows) == 4 and {r['status'] for r in rows} == {'finished'}
  mses = [float(r['test_mse']) for r in rows]
  assert mses == sorted(mses) and len(set(mses)) == 4
  assert {r['ranked_by'] for r in rows} == {'test_mse, lower first'}
  for r in rows:
    assert float(r['test_rmse']) == pytest.approx(float(r['test_mse'])**0.5)
  assert '| test MSE | test RMSE | test loss |' in result.stdout
  _, experiment = hparams_content(str(tmp_path / 'sweep' / 'logs'))
  info = metadata.parse_experiment_plugin_data(
      experiment[metadata.EXPERIMENT_TAG])
  assert [m.name.tag for m in info.metric_infos] == [
      'test_mse', 'test_rmse', 'test_loss', 'loss']
  accumulator, _ = hparams_content(str(tmp_path / 'sweep' / 'logs' /
                                       rows[0]['trial']))
  (mse,) = accumulator.Scalars('test_mse')
  assert mse.value == pytest.approx(mses[0])
  linear = [r for r in rows if r['depth'] == '0']
  with open(tmp_path / 'sweep' / 'trials' / linear[0]['trial'] /
            'run.json') as f:
    assert json.load(f)['settings']['hidden_units'] == []


@pytest.mark.slow
def test_two_by_two_grid(tmp_path, dataset_dir):
  args = common_args(tmp_path, dataset_dir) + [
      '--grid=batch_size=25,50;learning_rate=0.01,0.1']
  result = run_script('sweep.py', *args)
  assert result.returncode == 0, result.stderr
  sweep_dir = tmp_path / 'sweep'
  with open(sweep_dir / 'results.csv') as f:
    rows = list(csv.DictReader(f))
  assert len(rows) == 4 and {r['status'] for r in rows} == {'finished'}
  accuracies = [float(r['test_accuracy']) for r in rows]
  assert accuracies == sorted(accuracies, reverse=True)
  assert [r['rank'] for r in rows] == ['1', '2', '3', '4']
  assert '| rank | trial | batch_size | learning_rate | test accuracy |' in (
      result.stdout)

  _, experiment = hparams_content(str(sweep_dir / 'logs'))
  info = metadata.parse_experiment_plugin_data(
      experiment[metadata.EXPERIMENT_TAG])
  assert [h.name for h in info.hparam_infos] == ['batch_size',
                                                 'learning_rate']
  assert [v.number_value for v in info.hparam_infos[0].domain_discrete.values
          ] == [25.0, 50.0]
  assert [m.name.tag for m in info.metric_infos] == [
      'test_accuracy', 'test_loss', 'accuracy', 'loss']
  for row in rows:
    folder = str(sweep_dir / 'logs' / row['trial'])
    accumulator, content = hparams_content(folder)
    start = metadata.parse_session_start_info_plugin_data(
        content[metadata.SESSION_START_INFO_TAG])
    assert start.hparams['batch_size'].number_value == float(
        row['batch_size'])
    assert start.hparams['learning_rate'].number_value == float(
        row['learning_rate'])
    (test_accuracy,) = accumulator.Scalars('test_accuracy')
    assert test_accuracy.value == pytest.approx(float(row['test_accuracy']))
    assert sorted(os.listdir(folder)) == sorted(
        ['train', 'validation'] + [n for n in os.listdir(folder)
                                   if n.startswith('events.')])

  # What the HParams dashboard of the real TensorBoard shows.
  query = {'experimentName': '', 'startIndex': 0, 'sliceSize': 10,
           'allowedStatuses': ['STATUS_SUCCESS', 'STATUS_FAILURE'],
           'colParams': [{'metric': {'tag': 'test_accuracy'}}]}
  with TensorBoard(str(sweep_dir / 'logs')) as tensorboard:
    tensorboard.wait_for(lambda: len(tensorboard.get(
        'plugin/hparams/session_groups', query)['sessionGroups']) == 4,
                         'four trials in the HParams dashboard')
    groups = tensorboard.get('plugin/hparams/session_groups',
                             query)['sessionGroups']
    experiment = tensorboard.get('plugin/hparams/experiment',
                                 {'experimentName': ''})
  assert [(h['name'], h['type'], h['domainDiscrete'])
          for h in experiment['hparamInfos']] == [
              ('batch_size', 'DATA_TYPE_FLOAT64', [25.0, 50.0]),
              ('learning_rate', 'DATA_TYPE_FLOAT64', [0.01, 0.1])]
  shown = {g['name']: (g['hparams'], {
      m['name']['tag']: m['value'] for m in g['metricValues']
      if not m['name'].get('group')}) for g in groups}
  for row in rows:
    hparams, metrics = shown[row['trial']]
    assert hparams == {'batch_size': float(row['batch_size']),
                       'learning_rate': float(row['learning_rate'])}
    assert metrics['test_accuracy'] == pytest.approx(
        float(row['test_accuracy']))

  again = run_script('sweep.py', *args)
  assert again.returncode == 0
  assert again.stdout.count('finished already') == 4


@pytest.mark.slow
def test_random_sweep_of_three(tmp_path, dataset_dir):
  args = common_args(tmp_path, dataset_dir) + [
      '--random=3', '--seed=4',
      '--ranges=learning_rate=loguniform:3e-3:3e-1;depth=1..3;units=8..16']
  result = run_script('sweep.py', *args)
  assert result.returncode == 0, result.stderr
  expected = sweeps.random_trials(
      'learning_rate=loguniform:3e-3:3e-1;depth=1..3;units=8..16', 3, 4)
  for trial in expected:
    base = config.for_variant('homl', hidden_units=(16, 16))
    assert '=== %s: %s' % (trial.trial_id, ' '.join(trial.args(base))) in (
        result.stdout)
  with open(tmp_path / 'sweep' / 'results.csv') as f:
    assert len(list(csv.DictReader(f))) == 3


@pytest.mark.slow
def test_failed_trials_are_recorded_and_the_sweep_goes_on(tmp_path,
                                                          dataset_dir):
  args = common_args(tmp_path, dataset_dir) + [
      '--grid=keep_prob=1.5,1;learning_rate=0.01,1e30']
  result = run_script('sweep.py', *args)
  assert result.returncode == 0, result.stderr
  with open(tmp_path / 'sweep' / 'results.csv') as f:
    rows = {(r['keep_prob'], r['learning_rate']): r
            for r in csv.DictReader(f)}
  assert rows[('1', '0.01')]['status'] == 'finished'
  assert 'bad flags: flag --keep_prob=1.5: must be in (0, 1]' in (
      rows[('1.5', '0.01')]['error'])
  assert re.match(r'epoch 1: the training loss became (nan|inf)',
                  rows[('1', '1e30')]['error'])
  assert rows[('1', '1e30')]['status'] == 'failed'


@pytest.mark.slow
def test_interrupted_sweep_resumes_the_unfinished_trial(tmp_path,
                                                        dataset_dir):
  args = common_args(tmp_path, dataset_dir)
  args[args.index('--epochs=2')] = '--epochs=60'
  args += ['--patience=0', '--grid=learning_rate=0.01,0.02,0.03']
  proc = Proc('sweep.py', *args)
  proc.wait_for_line('=== trial-001')
  proc.wait_for_line('Epoch: 0005')
  proc.send_signal(signal.SIGTERM)
  assert proc.wait() == 128 + signal.SIGTERM
  assert 'Sweep interrupted in trial-001; run the same command again' in (
      proc.output)
  again = run_script('sweep.py', *args)
  assert again.returncode == 0, again.stderr
  assert 'trial-000: finished already' in again.stdout
  assert re.search(r'Training was interrupted\. Continuing at epoch \d+',
                   again.stdout)
  assert '(resumed)' in again.stdout


@pytest.mark.slow
def test_another_sweep_in_the_same_folder_is_refused(tmp_path, dataset_dir):
  args = common_args(tmp_path, dataset_dir)
  assert run_script('sweep.py', *args, '--grid=epochs=1').returncode == 0
  result = run_script('sweep.py', *args, '--grid=epochs=2')
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'sweep.py: error: --sweep_dir=%s holds another sweep (see %s); use '
      'another --sweep_dir' % (tmp_path / 'sweep',
                               tmp_path / 'sweep' / 'sweep.json')]


def test_grid_and_random_together_is_a_usage_error(tmp_path):
  result = run_script('sweep.py', '--grid=epochs=1', '--random=2',
                      '--sweep_dir=%s' % tmp_path)
  assert result.returncode == 2
  assert error_lines(result.stderr) == [
      'sweep.py: error: flags grid=epochs=1, random=2: pass exactly one of '
      '--grid and --random (see --help)']


def _rows(sweep_dir):
  with open(os.path.join(str(sweep_dir), 'results.csv')) as f:
    return list(csv.DictReader(f))


@pytest.mark.slow
def test_a_claimed_trial_is_left_to_its_process(tmp_path, dataset_dir):
  """Another process (here, this test) holds trial-001's claim: the sweep
  runs the others, and leaves the ranked results to whoever ends the last."""
  args = common_args(tmp_path, dataset_dir) + [
      '--grid=learning_rate=0.01,0.02,0.03']
  trial_dir = str(tmp_path / 'sweep' / 'trials' / 'trial-001')
  with checkpoints.lock(trial_dir, name=sweeps.CLAIM_FILE):
    result = run_script('sweep.py', *args)
  assert result.returncode == 0, result.stderr
  assert 'trial-001: running in another sweep process' in result.stdout
  assert '=== trial-000' in result.stdout and '=== trial-002' in result.stdout
  assert ('2 of 3 trials have ended; the sweep process that ends the last '
          'one writes %s' % (tmp_path / 'sweep' / 'results.csv')
          ) in result.stdout
  assert not os.path.exists(str(tmp_path / 'sweep' / 'results.csv'))
  last = run_script('sweep.py', *args)
  assert last.returncode == 0, last.stderr
  assert '=== trial-001' in last.stdout and '=== trial-000' not in last.stdout
  assert len(_rows(tmp_path / 'sweep')) == 3


@pytest.mark.slow
def test_two_sweep_processes_divide_one_folder(tmp_path, dataset_dir):
  args = common_args(tmp_path, dataset_dir) + [
      '--grid=learning_rate=0.01,0.02;batch_size=25,50']
  procs = [Proc('sweep.py', *args) for _ in range(2)]
  for proc in procs:
    assert proc.wait() == 0, proc.stderr
  ran = [re.findall(r'^=== (trial-\d+)', p.output, re.M) for p in procs]
  # No trial ran twice, and every one ran.
  assert sorted(ran[0] + ran[1]) == ['trial-%03d' % i for i in range(4)]
  rows = _rows(tmp_path / 'sweep')
  assert len(rows) == 4 and {r['status'] for r in rows} == {'finished'}
  assert any('Wrote %s' % (tmp_path / 'sweep' / 'results.csv') in p.output
             for p in procs)


@pytest.mark.slow
def test_parallel_trials_in_their_own_processes_match_one_by_one(
    tmp_path, dataset_dir):
  grid = '--grid=learning_rate=0.01,0.1;batch_size=25,50'
  one = common_args(tmp_path / 'one', dataset_dir) + [grid]
  two = common_args(tmp_path / 'two', dataset_dir) + [grid, '--parallel=2']
  assert run_script('sweep.py', *one).returncode == 0
  result = run_script('sweep.py', *two)
  assert result.returncode == 0, result.stderr
  for i in range(4):
    log = tmp_path / 'two' / 'sweep' / 'trials' / ('trial-%03d' % i) / (
        'train.log')
    assert '=== trial-%03d: ' % i in result.stdout
    assert re.search(r'^trial-%03d: finished, test accuracy \d\.\d{4} ' % i,
                     result.stdout, re.M)
    assert 'Accuracy: ' in log.read_text()
  # Each trial computes what it computes alone: thread counts change no bit.
  key = lambda r: (r['trial'], r['test_accuracy'], r['test_loss'])
  assert sorted(map(key, _rows(tmp_path / 'two' / 'sweep'))) == sorted(
      map(key, _rows(tmp_path / 'one' / 'sweep')))


def process_status(pid):
  """The fields of /proc/<pid>/status, by name."""
  with open('/proc/%d/status' % pid) as f:
    return dict(line.rstrip('\n').split(':\t', 1) for line in f)


def stop_at_epoch(trial_dir, epoch):
  """SIGSTOPs the --run_trial process of trial_dir once its log shows epoch;
  returns its pid (which its claim file holds) once it has stopped.

  Until it has, a SIGTERM sent next could reach its handler first, and then
  would never show as pending.
  """
  log = trial_dir / sweeps.LOG_FILE
  wait_until(lambda: log.exists() and 'Epoch: %04d' % epoch in log.read_text(),
             '%s at epoch %d' % (trial_dir.name, epoch))
  pid = int((trial_dir / sweeps.CLAIM_FILE).read_text())
  os.kill(pid, signal.SIGSTOP)
  wait_until(lambda: process_status(pid)['State'].startswith('T'),
             '%s stopped' % trial_dir.name)
  assert not (trial_dir / sweeps.RESULT_FILE).exists(), (
      '%s finished before the test could stop it' % trial_dir.name)
  return pid


def stopped_with_sigterm_pending(pid):
  """True if process pid is stopped with a SIGTERM waiting for it."""
  status = process_status(pid)
  return (status['State'].startswith('T') and
          int(status['ShdPnd'], 16) & (1 << (signal.SIGTERM - 1)) != 0)


@pytest.mark.slow
def test_an_interrupted_parallel_sweep_resumes_every_unfinished_trial(
    tmp_path, dataset_dir):
  args = common_args(tmp_path, dataset_dir)
  args[args.index('--epochs=2')] = '--epochs=600'
  # Two trials, both running when the signal comes (a trial that never
  # started, and runs on the second command, is the next test's trial-002).
  args += ['--patience=0', '--grid=learning_rate=0.01,0.02', '--parallel=2']
  proc = Proc('sweep.py', *args)
  trials = tmp_path / 'sweep' / 'trials'
  proc.wait_for_line('=== trial-001')
  # Both running trials are well into training before the signal. The two
  # start TensorFlow seconds apart on a busy machine, so each is stopped
  # (SIGSTOP) at its epoch 5 until the signal has been passed on: without
  # that, one could finish before the other reached epoch 5. A trial's 600
  # epochs take about 10 s, so the test, polling its log, stops it long
  # before it ends even on a loaded machine (with 60, CI once saw a trial
  # end before it was stopped, which then never got the signal).
  pids = []
  try:
    for t in ('trial-000', 'trial-001'):
      pids.append(stop_at_epoch(trials / t, 5))
    proc.send_signal(signal.SIGTERM)
    wait_until(lambda: all(stopped_with_sigterm_pending(p) for p in pids),
               'SIGTERM passed on to both trials')
  finally:  # A failed check leaves no stopped process behind.
    for pid in pids:
      os.kill(pid, signal.SIGCONT)
  assert proc.wait() == 128 + signal.SIGTERM
  assert 'Sweep interrupted; run the same command again to resume.' in (
      proc.output)
  again = run_script('sweep.py', *args)
  assert again.returncode == 0, again.stderr
  for t in ('trial-000', 'trial-001'):
    assert re.search(r'Training was interrupted\. Continuing at epoch \d+',
                     (trials / t / 'train.log').read_text()), t
  rows = _rows(tmp_path / 'sweep')
  assert len(rows) == 2 and {r['status'] for r in rows} == {'finished'}


@pytest.mark.slow
def test_a_sigterm_while_trials_start_interrupts_them(tmp_path, dataset_dir):
  """The signal comes while the trial processes start, before they could
  have installed their handlers: none of them may go on to train."""
  args = common_args(tmp_path, dataset_dir)
  args[args.index('--epochs=2')] = '--epochs=60'
  args += ['--patience=0', '--grid=learning_rate=0.01,0.02,0.03',
           '--parallel=2']
  proc = Proc('sweep.py', *args)
  proc.wait_for_line('=== trial-001')
  proc.send_signal(signal.SIGTERM)
  assert proc.wait() == 128 + signal.SIGTERM, proc.stderr
  for t in ('trial-000', 'trial-001'):
    assert '%s: interrupted; it resumes where it stopped' % t in proc.output
    assert not (tmp_path / 'sweep' / 'trials' / t / sweeps.RESULT_FILE).exists()
  assert 'exited with status' not in proc.output
  assert 'trial-002' not in proc.output
  again = run_script('sweep.py', *args)
  assert again.returncode == 0, again.stderr
  rows = _rows(tmp_path / 'sweep')
  assert len(rows) == 3 and {r['status'] for r in rows} == {'finished'}


def in_process_sweep(tmp_path, dataset_dir):
  args = common_args(tmp_path, dataset_dir)
  args.remove('--sweep_dir=%s' % (tmp_path / 'sweep'))
  trials = sweeps.grid('learning_rate=0.01')
  run = sweeps.Sweep(str(tmp_path / 'sweep'), trials, args)
  run.prepare()
  return run, trials[0]


@pytest.mark.slow
def test_a_signal_before_training_stops_the_trial_after_one_step(
    tmp_path, dataset_dir, monkeypatch, capsys):
  """A SIGTERM while the trial loads its data is kept for the loop."""
  run, trial = in_process_sweep(tmp_path, dataset_dir)
  real_load = data.load
  def load_then_signal(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    return real_load(*args, **kwargs)
  monkeypatch.setattr(data, 'load', load_then_signal)
  with interrupts.Interrupts() as caught:
    result = run.run_trial(trial, interrupts=caught)
  assert caught.signum == signal.SIGTERM
  assert result['status'] == sweeps.INTERRUPTED
  assert 'Interrupted by SIGTERM during epoch 1; saved a checkpoint' in (
      capsys.readouterr().out)
  assert run.result(trial) is None
  monkeypatch.undo()
  assert run.run_trial(trial)['status'] == sweeps.FINISHED
  assert 'Training was interrupted. Continuing at epoch 1' in (
      capsys.readouterr().out)


@pytest.mark.slow
def test_a_signal_after_training_lets_the_trial_record_its_result(
    tmp_path, dataset_dir, monkeypatch):
  """A SIGTERM while the trial scores its test set: the run is over, so it
  is recorded as finished, and the caller sees the signal."""
  run, trial = in_process_sweep(tmp_path, dataset_dir)
  real_finish = loop.finish
  def signal_then_finish(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    return real_finish(*args, **kwargs)
  monkeypatch.setattr(loop, 'finish', signal_then_finish)
  with interrupts.Interrupts() as caught:
    result = run.run_trial(trial, interrupts=caught)
  assert caught.signum == signal.SIGTERM
  assert result['status'] == sweeps.FINISHED
  assert run.result(trial)['status'] == sweeps.FINISHED


def test_hparams_values_are_numbers_where_every_trial_has_one():
  trials = sweeps.grid('hidden_units=8|16,16;optimizer=adam,sgd;epochs=1,2')
  values = sweeps.hparams_values(trials[0], trials)
  assert values == {'hidden_units': '8', 'optimizer': 'adam', 'epochs': 1.0}
  domain = {h.name: h for h in sweeps.hparams_domain(trials)}
  assert [v.string_value for v in domain['hidden_units'].domain_discrete.values
          ] == ['16,16', '8']


@pytest.mark.slow
def test_bad_grid_on_the_command_line_is_one_line(tmp_path):
  result = run_script('sweep.py', '--grid=layers=1,2',
                      '--sweep_dir=%s' % (tmp_path / 's'))
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'sweep.py: error: --grid: layers is not a train.py setting']
  assert not (tmp_path / 's').exists()
