"""Runs a hyperparameter sweep: every combination of --grid, or --random
draws from --ranges; each trial a normal train.py run.

  python scripts/sweep.py --variant=xavier --dataset=fashion_mnist --epochs=5 \\
      --grid='hidden_units=256,256|512,512;learning_rate=0.001,0.01'
  python scripts/sweep.py --random=8 --seed=1 --dataset=fashion_mnist \\
      --sweep_dir=sweeps/random
  tensorboard --logdir sweeps/xavier/logs     # the HParams tab

Every train.py flag given here applies to every trial. Run the same command
again after an interruption: finished trials are skipped and the unfinished
one resumes.
"""

import os

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
flags.register_multi_flags_validator(
    ['grid', 'random'], lambda v: (v['grid'] is None) != (v['random'] is None),
    message='pass exactly one of --grid and --random')



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
  with checkpoints.lock(sweep_dir, '--sweep_dir', 'sweep'):
    return _run(sweep.Sweep(sweep_dir, trials, base_args))


def _run(run):
  """Runs the trials that have not ended, then reports them all."""
  from legacy_dnn import sweep  # pylint: disable=g-import-not-at-top
  run.prepare()
  base = run.base_config()
  for trial in run.trials:  # A filters<N> the network lacks fails up front.
    trial.args(base)
  sweep_dir = run.sweep_dir
  print('Sweep: %d trials in %s; tensorboard --logdir %s'
        % (len(run.trials), sweep_dir, run.logdir), flush=True)
  results = []
  for trial in run.trials:
    result = run.result(trial)
    if result is not None:
      print('%s: %s already' % (trial.trial_id, result['status']))
    else:
      print('=== %s: %s' % (trial.trial_id, ' '.join(
          trial.args(base))), flush=True)
      result = run.run_trial(trial)
      if result['status'] == sweep.INTERRUPTED:
        print('Sweep interrupted in %s; run the same command again to resume.'
              % trial.trial_id)
        return 128 + result['signal']
    results.append(result)
  names = list(run.trials[0].params)
  print()
  print(sweep.table(results, names))
  csv_path = os.path.join(sweep_dir, sweep.CSV_FILE)
  sweep.write_csv(csv_path, results, names)
  print('Wrote %s' % csv_path)
  return 0


if __name__ == '__main__':
  cli.run(main)
