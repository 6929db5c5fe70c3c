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
config.define_sweep_flags(FLAGS)
flags.adopt_module_key_flags(config)  # So --help lists them.
flags.DEFINE_string('run_trial', None, 'Internal: run this one trial.')



# The status of a --run_trial process whose trial another process holds.
CLAIMED_ELSEWHERE = 3


def main():
  from legacy_dnn import sweeps  # pylint: disable=g-import-not-at-top
  run = sweeps.from_flags(FLAGS)
  if FLAGS.run_trial:
    return _run_one(run, FLAGS.run_trial)
  base = sweeps.start(run, '--sweep_dir')
  if FLAGS.parallel > 1:
    status = _run_parallel(run, FLAGS.parallel)
  else:
    status = sweeps.run_sequentially(run, base)
  if status:
    return status
  return _report(run)


def _run_one(run, trial_id):
  """--run_trial: one trial, in this process, if no other process has it.

  The handler goes in before anything else: a SIGTERM that the parent
  passes on while this process claims the trial or builds its graph stops
  the trial after its first step, with a checkpoint. One that comes after
  training lets the trial record its result first.
  """
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import interrupts
  from legacy_dnn import sweeps
  with interrupts.Interrupts() as caught:
    (trial,) = [t for t in run.trials if t.trial_id == trial_id]
    claim = run.claim(trial)
    if claim is None:
      return CLAIMED_ELSEWHERE
    with claim:
      if run.result(trial) is not None:
        return 0
      result = run.run_trial(trial, interrupts=caught)
  return 128 + result['signal'] if result['status'] == sweeps.INTERRUPTED else 0


def _run_parallel(run, parallel):
  """Runs up to `parallel` trials at once, each in a --run_trial process
  of its own (so TensorFlow sizes each one's threads for its own
  network), its output in the trial's folder.

  SIGINT or SIGTERM stops starting trials and passes SIGTERM on to the
  running ones, which save a checkpoint; the same command resumes them. Each
  further signal is passed on again: a trial's second one stops it at once.
  """
  from legacy_dnn import interrupts  # pylint: disable=g-import-not-at-top
  argv = [a for a in sys.argv[1:] if not a.startswith('--parallel')]
  pending = collections.deque(run.pending())
  for trial in run.trials:
    if trial not in pending:
      print('%s: %s already' % (trial.trial_id, run.result(trial)['status']))
  running = {}  # pid -> (Popen, trial, log file)
  with interrupts.Supervisor() as supervisor:
    while running or (pending and supervisor.signum is None):
      while pending and len(running) < parallel and supervisor.signum is None:
        trial = pending.popleft()
        popen, log = _start_trial(run, trial, argv)
        running[popen.pid] = popen, trial, log
      # A signal that came while a trial started is seen here, with that
      # trial already in `running`.
      pid = supervisor.wait_child(list(running))
      if pid is None:
        for popen, _, _ in running.values():
          popen.send_signal(signal.SIGTERM)
        continue
      popen, trial, log = running.pop(pid)
      _report_trial(run, trial, popen.wait(), log)
  if supervisor.signum is not None:
    print('Sweep interrupted; run the same command again to resume.')
    return 128 + supervisor.signum
  return 0


def _start_trial(run, trial, argv):
  """Starts `python -m legacy_dnn sweep --run_trial` for trial (the same
  command whether this one is scripts/sweep.py or legacy-dnn sweep); returns
  (Popen, its log file)."""
  from legacy_dnn import sweeps  # pylint: disable=g-import-not-at-top
  log_path = os.path.join(run.trial_dir(trial), sweeps.LOG_FILE)
  os.makedirs(run.trial_dir(trial), exist_ok=True)
  log = open(log_path, 'a')
  popen = subprocess.Popen(
      [sys.executable, '-m', 'legacy_dnn', 'sweep'] + argv +
      ['--run_trial=' + trial.trial_id], stdout=log,
      stderr=subprocess.STDOUT, start_new_session=True)
  print('=== %s: %s (output: %s)' % (
      trial.trial_id, ' '.join(trial.args(run.base_config())), log_path),
        flush=True)
  return popen, log


# How a --run_trial process that a signal stopped exits: through its handler
# (128 + the signal), or killed by it before its handler was installed.
INTERRUPTED_STATUSES = {128 + signal.SIGTERM, 128 + signal.SIGINT,
                        -signal.SIGTERM, -signal.SIGINT}


def _report_trial(run, trial, returncode, log):
  """Prints how a --run_trial process ended."""
  from legacy_dnn import sweeps  # pylint: disable=g-import-not-at-top
  log.close()
  result = run.result(trial)
  if returncode == CLAIMED_ELSEWHERE:
    print('%s: running in another sweep process' % trial.trial_id)
  elif result is not None and result['status'] == sweeps.FINISHED:
    metric = run.head.rank_metric
    print('%s: finished, %s %.4f (%.1f s)' % (
        trial.trial_id, sweeps.heading(run.head, metric), result[metric],
        result['wall_s']), flush=True)
  elif result is not None:
    print('%s: failed: %s' % (trial.trial_id, result['error']), flush=True)
  elif returncode in INTERRUPTED_STATUSES:
    print('%s: interrupted; it resumes where it stopped' % trial.trial_id,
          flush=True)
  else:
    print('%s: its process exited with status %d; see %s' % (
        trial.trial_id, returncode, log.name), flush=True)


def _report(run):
  """The ranked table and results.csv, once every trial has ended."""
  from legacy_dnn import sweeps  # pylint: disable=g-import-not-at-top
  results, csv_path = run.report()
  if csv_path is None:
    print('%d of %d trials have ended; the sweep process that ends the last '
          'one writes %s' % (len(results), len(run.trials),
                             os.path.join(run.sweep_dir, sweeps.CSV_FILE)))
    return 0
  print()
  print(sweeps.table(results, list(run.trials[0].params), run.head))
  print('Wrote %s' % csv_path)
  return 0


def run():
  """Parses the flags in sys.argv and runs main(), as cli.run does."""
  cli.run(main)
