"""Runs a hyperparameter sweep: every combination of --grid, or --random
draws from --ranges; each trial a normal train.py run.

  python scripts/sweep.py --variant=xavier --dataset=fashion_mnist --epochs=5 \\
      --grid='hidden_units=256,256|512,512;learning_rate=0.001,0.01'
  python scripts/sweep.py --random=8 --seed=1 --dataset=fashion_mnist \\
      --sweep_dir=sweeps/random
  tensorboard --logdir sweeps/xavier/logs     # the HParams tab

Every train.py flag given here applies to every trial. Run the same command
again after an interruption: finished trials are skipped and the unfinished
ones resume. --parallel=N runs N trials at once, each in its own process.
Several sweep processes (on one machine, or on several sharing the folder)
divide one sweep's trials between them: each trial is claimed by a lock on
its own folder, and whichever process ends the last trial writes the ranked
table and results.csv.
"""

import collections
import os
import signal
import subprocess
import sys

from absl import flags

from legacy_dnn import cli
from legacy_dnn import config

FLAGS = flags.FLAGS
config.define_flags(FLAGS)
flags.adopt_module_key_flags(config)
flags.DEFINE_string(
    'grid', None, 'Parameters and their values, every combination tried: '
    '"hidden_units=256,256|512,512;learning_rate=0.001,0.01" (values split on '
    '| when any holds a comma, else on ,).')
flags.DEFINE_integer('random', None, 'Number of trials drawn from --ranges, '
                     'reproducibly from --seed.', lower_bound=1)
flags.DEFINE_string(
    'ranges', 'learning_rate=loguniform:3e-4:3e-2;depth=1..4',
    'Where --random draws: NAME=loguniform:LOW:HIGH, uniform:LOW:HIGH, '
    'LOW..HIGH (integers) or choice:A|B, separated by ;. depth and units '
    'make the hidden layers depth x units (units default: the preset\'s '
    'first layer).')
flags.DEFINE_string('sweep_dir', None, 'Where trials, logs and results.csv '
                    'go. Default: sweeps/<variant>.')
flags.DEFINE_integer(
    'parallel', 1, 'Trials run at once, each in a process of its own (so '
    'each one\'s thread pools are sized for its own network). With 1, '
    'trials run one after another in this process.', lower_bound=1)
flags.DEFINE_string('run_trial', None, 'Internal: run this one trial.')
flags.register_multi_flags_validator(
    ['grid', 'random'], lambda v: (v['grid'] is None) != (v['random'] is None),
    message='pass exactly one of --grid and --random')



# The status of a --run_trial process whose trial another process holds.
CLAIMED_ELSEWHERE = 3


def main():
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import checkpoints
  from legacy_dnn import sweep
  if FLAGS.grid is not None:
    trials = sweep.grid(FLAGS.grid)
  else:
    trials = sweep.random_trials(FLAGS.ranges, FLAGS.random, FLAGS.seed)
  # The train.py flags given here, for every trial.
  base_args = [FLAGS[name].serialize() for name in sorted(
      config.train_flag_names()) if FLAGS[name].present and
               name not in config.PATH_FLAG_NAMES]
  sweep_dir = FLAGS.sweep_dir or os.path.join('sweeps', FLAGS.variant)
  run = sweep.Sweep(sweep_dir, trials, base_args)
  if FLAGS.run_trial:
    return _run_one(run, FLAGS.run_trial)
  # Several sweep processes may share the folder: the lock is held only
  # while the sweep is recorded, never while trials run.
  with checkpoints.lock(sweep_dir, '--sweep_dir', 'sweep', blocking=True):
    run.prepare()
  base = run.base_config()
  for trial in run.trials:  # A filters<N> the network lacks fails up front.
    trial.args(base)
  print('Sweep: %d trials in %s; tensorboard --logdir %s'
        % (len(run.trials), sweep_dir, run.logdir), flush=True)
  if FLAGS.parallel > 1:
    status = _run_parallel(run, FLAGS.parallel)
  else:
    status = _run_sequentially(run, base)
  if status:
    return status
  return _report(run)


def _run_sequentially(run, base):
  """Runs the unclaimed, unfinished trials in this process, in order."""
  from legacy_dnn import sweep  # pylint: disable=g-import-not-at-top
  for trial in run.trials:
    result = run.result(trial)
    if result is not None:
      print('%s: %s already' % (trial.trial_id, result['status']))
      continue
    claim = run.claim(trial)
    if claim is None:
      print('%s: running in another sweep process' % trial.trial_id)
      continue
    with claim:
      if run.result(trial) is not None:  # It ended while we looked.
        continue
      print('=== %s: %s' % (trial.trial_id, ' '.join(trial.args(base))),
            flush=True)
      result = run.run_trial(trial)
    if result['status'] == sweep.INTERRUPTED:
      print('Sweep interrupted in %s; run the same command again to resume.'
            % trial.trial_id)
      return 128 + result['signal']
  return 0


def _run_one(run, trial_id):
  """--run_trial: one trial, in this process, if no other process has it."""
  from legacy_dnn import sweep  # pylint: disable=g-import-not-at-top
  (trial,) = [t for t in run.trials if t.trial_id == trial_id]
  claim = run.claim(trial)
  if claim is None:
    return CLAIMED_ELSEWHERE
  with claim:
    if run.result(trial) is not None:
      return 0
    result = run.run_trial(trial)
  return 128 + result['signal'] if result['status'] == sweep.INTERRUPTED else 0


def _run_parallel(run, parallel):
  """Runs up to `parallel` trials at once, each in a sweep.py --run_trial
  process of its own (so TensorFlow sizes each one's threads for its own
  network), its output in the trial's folder.

  SIGINT or SIGTERM stops starting trials and passes SIGTERM on to the
  running ones, which save a checkpoint; the same command resumes them.
  """
  from legacy_dnn import sweep  # pylint: disable=g-import-not-at-top
  argv = [a for a in sys.argv[1:] if not a.startswith('--parallel')]
  pending = collections.deque(run.pending())
  for trial in run.trials:
    if trial not in pending:
      print('%s: %s already' % (trial.trial_id, run.result(trial)['status']))
  running = {}  # pid -> (Popen, trial, log file)
  stopped = []

  def stop(signum, frame):
    del frame
    stopped.append(signum)
    for popen, _, _ in running.values():
      popen.send_signal(signal.SIGTERM)

  previous = {s: signal.signal(s, stop) for s in (signal.SIGINT,
                                                  signal.SIGTERM)}
  try:
    while running or (pending and not stopped):
      while pending and len(running) < parallel and not stopped:
        trial = pending.popleft()
        log_path = os.path.join(run.trial_dir(trial), sweep.LOG_FILE)
        os.makedirs(run.trial_dir(trial), exist_ok=True)
        log = open(log_path, 'a')
        popen = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__)] + argv +
            ['--run_trial=' + trial.trial_id], stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
        running[popen.pid] = popen, trial, log
        print('=== %s: %s (output: %s)' % (
            trial.trial_id, ' '.join(trial.args(run.base_config())),
            log_path), flush=True)
      # Reaped by Popen.wait below, so that it keeps the exit status.
      pid = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT).si_pid
      popen, trial, log = running.pop(pid)
      returncode = popen.wait()
      log.close()
      result = run.result(trial)
      if returncode == CLAIMED_ELSEWHERE:
        print('%s: running in another sweep process' % trial.trial_id)
      elif result is not None and result['status'] == sweep.FINISHED:
        print('%s: finished, test accuracy %.4f (%.1f s)' % (
            trial.trial_id, result['test_accuracy'], result['wall_s']),
              flush=True)
      elif result is not None:
        print('%s: failed: %s' % (trial.trial_id, result['error']), flush=True)
      elif returncode in (128 + signal.SIGTERM, 128 + signal.SIGINT):
        print('%s: interrupted; it resumes where it stopped' % trial.trial_id)
      else:
        print('%s: its process exited with status %d; see %s' % (
            trial.trial_id, returncode, log.name), flush=True)
  finally:
    for s, handler in previous.items():
      signal.signal(s, handler)
  if stopped:
    print('Sweep interrupted; run the same command again to resume.')
    return 128 + stopped[0]
  return 0


def _report(run):
  """The ranked table and results.csv, once every trial has ended."""
  from legacy_dnn import sweep  # pylint: disable=g-import-not-at-top
  results, csv_path = run.report()
  if csv_path is None:
    print('%d of %d trials have ended; the sweep process that ends the last '
          'one writes %s' % (len(results), len(run.trials),
                             os.path.join(run.sweep_dir, sweep.CSV_FILE)))
    return 0
  print()
  print(sweep.table(results, list(run.trials[0].params)))
  print('Wrote %s' % csv_path)
  return 0


if __name__ == '__main__':
  cli.run(main)
