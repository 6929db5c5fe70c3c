"""Flags: validation at parse time, and the TrainConfig built from them."""

import json
import os
import re

import pytest
from absl import flags

from conftest import error_lines, run_script
from legacy_dnn import config
from legacy_dnn import presets


def parse(*args):
  fv = flags.FlagValues()
  config.define_flags(fv)
  fv(['train.py'] + list(args))
  return config.from_flags(fv)


def test_defaults_are_the_dropout_preset():
  cfg = parse()
  preset = presets.PRESETS['dropout']
  assert cfg.variant == 'dropout'
  assert cfg.hidden_units == preset.hidden_units == (512, 512, 512, 512)
  assert (cfg.keep_prob, cfg.epochs, cfg.batch_size) == (0.7, 15, 100)
  assert cfg.model_dir == 'models/dropout-mnist' and cfg.logdir == 'tf_logs'
  assert cfg.patience is None and cfg.checkpoint_every == 1


def test_default_model_dirs_tell_datasets_apart(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  assert parse('--dataset=fashion_mnist').model_dir == (
      'models/dropout-fashion_mnist')
  assert parse().model_dir == 'models/dropout-mnist'


def _old_default_run(dataset):
  os.makedirs('models/dropout')
  with open('models/dropout/run.json', 'w') as f:
    json.dump({'settings': {'dataset': dataset}, 'run_name': 'r'}, f)


def test_a_run_in_the_old_default_model_dir_is_still_found(tmp_path,
                                                          monkeypatch):
  monkeypatch.chdir(tmp_path)
  _old_default_run('fashion_mnist')
  assert parse('--dataset=fashion_mnist').model_dir == 'models/dropout'
  # ... only for its own dataset, and only until the new folder exists.
  assert parse().model_dir == 'models/dropout-mnist'
  os.makedirs('models/dropout-fashion_mnist')
  assert parse('--dataset=fashion_mnist').model_dir == (
      'models/dropout-fashion_mnist')


def test_homl_preset():
  cfg = parse('--variant=homl')
  assert (cfg.optimizer, cfg.learning_rate, cfg.batch_size) == ('sgd', 0.01, 50)
  assert (cfg.patience, cfg.checkpoint_every, cfg.epochs) == (50, 5, 1001)
  assert cfg.bias_init == presets.ZEROS


def test_every_preset_value_can_be_overridden():
  cfg = parse('--variant=homl', '--epochs=3', '--batch_size=7',
              '--learning_rate=0.5', '--optimizer=adam', '--keep_prob=0.5',
              '--hidden_units=16,8', '--seed=9', '--patience=0',
              '--checkpoint_every=2', '--validation_size=100',
              '--model_dir=/x', '--logdir=/y')
  assert (cfg.epochs, cfg.batch_size, cfg.learning_rate, cfg.optimizer,
          cfg.keep_prob, cfg.hidden_units, cfg.seed, cfg.patience,
          cfg.checkpoint_every, cfg.validation_size, cfg.model_dir,
          cfg.logdir) == (3, 7, 0.5, 'adam', 0.5, (16, 8), 9, None, 2, 100,
                          '/x', '/y')


@pytest.mark.parametrize('args, message', [
    (['--variant=alexnet'], 'value should be one of'),
    (['--batch_size=0'], 'batch_size'),
    (['--keep_prob=0'], 'must be in (0, 1]'),
    (['--keep_prob=1.5'], 'must be in (0, 1]'),
    (['--hidden_units=512,x'], 'comma-separated positive integers'),
    (['--hidden_units=512,0'], 'comma-separated positive integers'),
    (['--learning_rate=-1'], 'must be a positive number'),
    (['--optimizer=rmsprop'], 'value should be one of'),
    (['--dataset=cifar'], 'value should be one of'),
    (['--mirror=ftp://x/'], 'must be an http:// or https:// URL'),
    (['--intra_op_threads=-1'], 'not a non-negative integer'),
    (['--inter_op_threads=-2'], 'not a non-negative integer'),
])
def test_bad_flags_are_rejected_at_parse_time(args, message):
  fv = flags.FlagValues()
  config.define_flags(fv)
  with pytest.raises(flags.IllegalFlagValueError, match=re.escape(message)):
    fv(['train.py'] + args)


def test_usage_error_is_one_line_and_exit_2(tmp_path):
  result = run_script('train.py', '--keep_prob=1.5',
                      '--model_dir=%s' % (tmp_path / 'm'))
  assert result.returncode == 2
  lines = error_lines(result.stderr)
  assert len(lines) == 1, result.stderr
  assert lines[0].startswith('train.py: error: flag --keep_prob=1.5: ')
  assert 'Traceback' not in result.stderr
  assert not (tmp_path / 'm').exists()


def test_extra_argument_is_a_usage_error():
  result = run_script('train.py', 'dropout')
  assert result.returncode != 0
  assert 'Too many command-line arguments' in result.stderr
  assert 'Traceback' not in result.stderr


def test_help_lists_the_flags():
  result = run_script('train.py', '--help')
  for flag in ('--variant', '--dataset', '--data_dir', '--epochs',
               '--batch_size', '--learning_rate', '--optimizer', '--keep_prob',
               '--hidden_units', '--seed', '--validation_size', '--model_dir',
               '--logdir', '--[no]restart', '--patience', '--checkpoint_every',
               '--mirror', '--[no]deterministic', '--intra_op_threads',
               '--inter_op_threads'):
    assert flag in result.stdout


def test_thread_counts_are_not_run_settings():
  # They change speed only, so a run may be resumed with other counts.
  plain = config.for_variant('homl')
  threaded = config.for_variant('homl', intra_op_threads=3,
                                inter_op_threads=0)
  assert threaded.settings() == plain.settings()
  assert 'intra_op_threads' not in plain.settings()
