"""legacy_dnn's Python API (api.py): its settings are the flags, its runs
are the scripts' runs, its errors are one UserError, and a run's model_dir
is all that evaluate, predict and export need."""

import json
import os
import re
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
import tensorflow as tf

import legacy_dnn
from conftest import (REPO, error_lines, run_python, run_script, script_env,
                      wait_until, write_dataset)
from legacy_dnn import checkpoints
from legacy_dnn import config
from legacy_dnn import presets
from legacy_dnn import reporting
from legacy_dnn import settings as settings_lib
from legacy_dnn import training


SMALL = dict(dataset='mnist', validation_size=100, hidden_units=(64, 64),
             epochs=2, batch_size=50)


def small_settings(root, name, **more):
  return dict(SMALL, data_dir=str(root / 'data'),
              model_dir=str(root / name), logdir=str(root / 'logs'), **more)


# --- Settings: the flags' definitions, as keyword arguments -------------


def test_import_legacy_dnn_names_the_api_without_importing_tensorflow():
  code = ('import sys, legacy_dnn\n'
          'print(sorted(legacy_dnn.__all__))\n'
          'print("tensorflow" in sys.modules)\n'
          'legacy_dnn.UserError\n'
          'print("tensorflow" in sys.modules)\n'
          'import pydoc\n'
          'text = pydoc.render_doc(legacy_dnn, renderer=pydoc.plaintext)\n'
          'print("tensorflow" in sys.modules, "    load(model_dir, " in text)\n')
  result = subprocess.run([sys.executable, '-c', code], env=script_env(),
                          capture_output=True, text=True, check=True)
  names, before, after, helped = result.stdout.splitlines()
  for name in ('train', 'evaluate', 'predict', 'export', 'sweep',
               'load_data', 'load', 'Model', 'Result', 'Interrupted',
               'UserError'):
    assert repr(name) in names
  # help(legacy_dnn) shows the functions without TensorFlow or its lines.
  assert (before, after, helped) == ('False', 'False', 'False True')
  assert error_lines(result.stderr) == []
  with pytest.raises(AttributeError):
    legacy_dnn.no_such_function  # pylint: disable=pointless-statement


@pytest.mark.parametrize('args, settings', [
    ([], {}),
    (['--variant=homl', '--patience=0'], dict(variant='homl', patience=0)),
    (['--classes=7,2,5'], dict(classes=(7, 2, 5))),
    (['--warm_start_from=/x', '--hidden_units=30,20'],
     dict(warm_start_from='/x', hidden_units=[30, 20])),
    (['--variant=lenet', '--filters=4,8', '--keep_prob=0.5', '--epochs=3',
      '--learning_rate=0.01', '--dataset=fashion_mnist'],
     dict(variant='lenet', filters=(4, 8), keep_prob=0.5, epochs=3,
          learning_rate=0.01, dataset='fashion_mnist')),
])
def test_keyword_settings_build_the_config_the_flags_build(args, settings):
  assert config.from_settings(**settings) == config.from_args(args)


def test_every_train_flag_is_a_keyword_setting():
  for name in config.train_flag_names():
    config.from_settings(**{name: None})  # Known: no error.


def test_patience_zero_trains_every_epoch_on_both_paths():
  # The review found for_variant(patience=0) stopping at once.
  assert config.for_variant('homl', patience=0).patience is None
  assert config.from_settings(variant='homl', patience=0).patience is None


# A wrong type and a wrong value for each kind of setting.
WRONG = {settings_lib.Integer: ('3', -1), settings_lib.Number: ('0.1', -1.0),
         settings_lib.Boolean: ('no', 1), settings_lib.Text: (3, b'x'),
         settings_lib.Choice: (3, 'nonesuch'),
         settings_lib.Items: ('4,8', [0.5])}


@pytest.mark.parametrize('name', sorted(config.train_flag_names()))
def test_every_train_keyword_refuses_a_wrong_type_or_value_naming_itself(
    name):
  kind = type(settings_lib.TRAIN[name].kind)
  for bad in WRONG[kind]:
    with pytest.raises(legacy_dnn.UserError) as raised:
      legacy_dnn.train(**{name: bad})
    message = str(raised.value)
    assert isinstance(raised.value, ValueError)
    assert message.startswith('legacy_dnn.train(%s=%r): %s must be '
                              % (name, bad, name)), message
    assert '\n' not in message and 'flag' not in message.lower(), message


def test_a_sweep_and_load_data_check_their_keywords_as_train_does():
  with pytest.raises(legacy_dnn.UserError, match=r"^legacy_dnn.sweep\("
                     r"restart='no'\): restart must be True or False$"):
    legacy_dnn.sweep(random=2, restart='no')
  with pytest.raises(legacy_dnn.UserError, match=r"^legacy_dnn.load_data\("
                     r"validation_size='9'\): validation_size must be an "
                     r'integer >= 1$'):
    legacy_dnn.load_data('mnist', validation_size='9')


@pytest.mark.parametrize('name', sorted(config.train_flag_names() -
                                         set(config.PER_RUN)))
def test_a_sweeps_grid_checks_each_value_as_its_keyword(name):
  kind = type(settings_lib.TRAIN[name].kind)
  for bad in WRONG[kind]:
    with pytest.raises(legacy_dnn.UserError) as raised:
      legacy_dnn.sweep(grid={name: [bad]})
    message = str(raised.value)
    assert message == 'legacy_dnn.sweep(grid={%r: [..., %r, ...]}): %s ' \
        'must be %s' % (name, bad, name, message.split(' must be ')[1])
    assert 'flag' not in message.lower(), message
  with pytest.raises(legacy_dnn.UserError, match=r"^legacy_dnn.sweep\(grid="
                     r"\{'model_dir': \.\.\.\}\): 'model_dir' is not a "
                     'setting a trial can vary'):
    legacy_dnn.sweep(grid={'model_dir': ['a', 'b']})


def test_presets_and_foreign_checkpoints_meet_the_same_check():
  for variant in presets.PRESETS:
    cfg = config.for_variant(variant)
    settings_lib.check('test', settings_lib.TRAIN,
                       {name: getattr(cfg, name) for name in
                        settings_lib.TRAIN.names()
                        if name not in ('patience',)})
  with pytest.raises(legacy_dnn.UserError, match=r'^config.for_variant\('
                     r'keep_prob=7.0\): keep_prob must be a number in '
                     r'\(0, 1\]$'):
    config.for_variant('homl', keep_prob=7.0)
  with pytest.raises(legacy_dnn.UserError, match=r'^legacy_dnn.evaluate\('
                     r'hidden_units=\(0,\)\): hidden_units must be a list '
                     'of positive integers'):
    legacy_dnn.evaluate(None, checkpoint='/nonesuch/model.ckpt',
                        variant='homl', hidden_units=(0,))


@pytest.mark.parametrize('settings, message', [
    (dict(epochs=0), 'legacy_dnn.train(epochs=0): epochs must be an integer '
     '>= 1'),
    (dict(keep_prob=1.5), 'legacy_dnn.train(keep_prob=1.5): keep_prob must '
     'be a number in (0, 1]'),
    (dict(hidden_units=(512, 'x')), "legacy_dnn.train(hidden_units=(512, "
     "'x')): hidden_units must be a list of positive integers, e.g. (512, "
     '512) (empty: no such layers)'),
    (dict(restart='no'), "legacy_dnn.train(restart='no'): restart must be "
     'True or False'),
    (dict(warm_start_layers=['hidden1']), 'legacy_dnn.train: '
     'warm_start_layers needs warm_start_from'),
    (dict(variant='resnet'), "legacy_dnn.train(variant='resnet'): variant "
     'must be one of batchnorm, '),
    (dict(epoch=3), 'legacy_dnn.train(epoch=3): unknown setting epoch (it '
     'takes batch_size, '),
    (dict(verbose=3), 'legacy_dnn.train: verbose=3: must be 0 (silent), 1'),
    # Settings that do not go together name keywords too, not flags.
    (dict(variant='regression', dataset='mnist'), 'legacy_dnn.train: '
     'dataset=mnist: mnist is a classification dataset, and '
     'variant=regression a regression network; pick a classification '
     'variant (batchnorm, '),
])
def test_a_bad_setting_is_one_user_error_naming_it(settings, message):
  with pytest.raises(legacy_dnn.UserError) as raised:
    legacy_dnn.train(**settings)
  assert str(raised.value).startswith(message)
  assert '\n' not in str(raised.value)


def test_other_functions_check_their_settings_too(tmp_path):
  with pytest.raises(legacy_dnn.UserError, match=r'^legacy_dnn.export: '
                     'quantize is for format=tflite$'):
    legacy_dnn.export(str(tmp_path), format='onnx', quantize='int8')
  with pytest.raises(legacy_dnn.UserError, match=r"^legacy_dnn.export\("
                     r"format='pdf'\): format must be one of savedmodel, "):
    legacy_dnn.export(str(tmp_path), format='pdf')
  with pytest.raises(legacy_dnn.UserError, match=r'^legacy_dnn.sweep: pass '
                     'exactly one of grid and random$'):
    legacy_dnn.sweep()
  with pytest.raises(legacy_dnn.UserError, match=r'^legacy_dnn.sweep: '
                     'parallel=2: trials run one after another'):
    legacy_dnn.sweep(random=2, parallel=2)
  with pytest.raises(legacy_dnn.UserError, match=r"^legacy_dnn.load_data\("
                     r"dataset='imagenet'\): dataset must be one of "):
    legacy_dnn.load_data('imagenet')


def test_evaluate_of_a_folder_without_a_run_is_one_user_error(tmp_path):
  with pytest.raises(legacy_dnn.UserError) as raised:
    legacy_dnn.evaluate(str(tmp_path))
  assert str(raised.value) == (
      '--model_dir=%s: no run.json, so not a model_dir that scripts/train.py '
      'wrote' % tmp_path)


@pytest.mark.parametrize('call', [
    lambda: legacy_dnn.evaluate(None), lambda: legacy_dnn.load(None),
    lambda: legacy_dnn.predict(None, np.zeros((1, 784))),
    lambda: legacy_dnn.export(None, format='onnx')])
def test_model_dir_is_required_and_none_needs_a_checkpoint(call):
  # No quiet default: evaluate() once scored ./models/dropout-mnist.
  with pytest.raises(legacy_dnn.UserError, match=r'^legacy_dnn\.\w+\('
                     r'model_dir=None\): name a run\'s folder, or pass '
                     'checkpoint='):
    call()
  with pytest.raises(TypeError, match='model_dir'):
    legacy_dnn.evaluate()  # pylint: disable=no-value-for-parameter


@pytest.mark.parametrize('call', [
    lambda d: legacy_dnn.evaluate(d, verbose=5),
    lambda d: legacy_dnn.predict(d, np.zeros((1, 784)), verbose=5),
    lambda d: legacy_dnn.export(d, verbose=5)])
def test_every_function_takes_verbose(call, tmp_path):
  with pytest.raises(legacy_dnn.UserError, match=r'verbose=5: must be 0'):
    call(str(tmp_path))


def test_load_data_gives_the_splits_training_uses(tmp_path):
  folder = write_dataset(str(tmp_path / 'data'), n_train=300, n_test=50)
  splits = legacy_dnn.load_data('mnist', data_dir=folder,
                                validation_size=100)
  assert [len(s[0]) for s in (splits.train, splits.validation,
                              splits.test)] == [200, 100, 50]
  assert splits.train[0].dtype == np.float32
  assert 0 <= splits.train[0].min() and splits.train[0].max() <= 1


# --- Runs --------------------------------------------------------------


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """A small dropout run trained through the API, on data that only its
  run.json records, with a validation_size no default would guess."""
  root = tmp_path_factory.mktemp('api')
  write_dataset(str(root / 'data'), n_train=700, n_test=100)
  result = legacy_dnn.train('dropout', verbose=0,
                            **small_settings(root, 'model'))
  return root, result


@pytest.mark.slow
def test_train_returns_the_run_with_its_history(trained, capsys):
  root, result = trained
  assert (result.epochs, result.best_epoch) == (2, result.best_epoch)
  assert result.model_dir == str(root / 'model')
  assert result.run_dir.startswith(str(root / 'logs'))
  assert not result.interrupted
  assert [e.epoch for e in result.history] == [1, 2]
  assert [e.best for e in result.history][0]
  assert all(e.metric == 'accuracy' and e.seconds > 0 and
             0 <= e.validation_metric <= 1 for e in result.history)
  assert result.test_accuracy > 0.5
  png = result.plot()._repr_png_()
  assert png.startswith(b'\x89PNG')
  # A finished run is evaluated again, not retrained, with the same history.
  again = legacy_dnn.train('dropout', verbose=2,
                           **small_settings(root, 'model'))
  assert again.history == result.history
  assert again.test_accuracy == result.test_accuracy
  assert 'This run already finished after 2 epochs' in capsys.readouterr().out


@pytest.mark.slow
def test_evaluate_predict_and_export_need_only_the_model_dir(
    trained, tmp_path, monkeypatch):
  root, result = trained
  monkeypatch.chdir(tmp_path)  # Nowhere near the data.
  scores = legacy_dnn.evaluate(result.model_dir)
  assert scores.accuracy == pytest.approx(result.test_accuracy)
  assert scores.confusion.shape == (10, 10)
  assert scores.confusion.sum() == 100
  np.testing.assert_allclose(
      scores.per_class_accuracy,
      np.diag(scores.confusion) / np.maximum(scores.confusion.sum(1), 1))
  assert len(scores.mistakes) == round(100 * (1 - scores.accuracy))
  assert scores.plot()._repr_png_().startswith(b'\x89PNG')

  prediction = legacy_dnn.predict(result.model_dir, scores.images[:7])
  np.testing.assert_array_equal(prediction.classes, scores.predicted[:7])
  np.testing.assert_allclose(prediction.probabilities,
                             scores.probabilities[:7], rtol=1e-6)
  as_bytes = legacy_dnn.predict(
      result.model_dir,
      (scores.images[:7] * 255).round().astype(np.uint8).reshape(7, 28, 28))
  np.testing.assert_array_equal(as_bytes.classes, prediction.classes)

  exported = legacy_dnn.export(result.model_dir, format='tflite',
                               quantize='int8', calibration_examples=50)
  assert exported.path == os.path.join('serving', 'model-int8.tflite')
  assert os.path.getsize(exported.path) > 0
  assert 'calibrated on 50 training examples' in exported.lines[0]


@pytest.mark.slow
def test_a_loaded_model_restores_once_for_a_hundred_predictions(
    trained, monkeypatch):
  from legacy_dnn import evaluation  # pylint: disable=import-outside-toplevel
  _, result = trained
  restores = []
  restore = evaluation.restore
  monkeypatch.setattr(evaluation, 'restore',
                      lambda *args: restores.append(args) or restore(*args))
  images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), np.uint8)
  once = legacy_dnn.predict(result.model_dir, images, verbose=0)
  assert len(restores) == 1
  model = legacy_dnn.load(result.model_dir)
  assert len(restores) == 1  # Restored on first use, not before.
  for _ in range(100):
    prediction = model.predict(images, verbose=0)
  np.testing.assert_array_equal(prediction.probabilities, once.probabilities)
  scores = model.evaluate(verbose=0)
  assert scores.accuracy == pytest.approx(result.test_accuracy)
  assert len(restores) == 2
  model.close()
  model.predict(images, verbose=0)
  assert len(restores) == 3
  model.close()
  assert repr(model) == 'Model(dropout on mnist, checkpoint=%r)' % (
      model.checkpoint,)


@pytest.mark.slow
def test_predict_reads_files_as_predict_py_does(trained, tmp_path):
  _, result = trained
  scores = legacy_dnn.evaluate(result.model_dir)
  paths = []
  for k in range(5):
    path = str(tmp_path / ('%d.png' % k))
    pixels = (scores.images[k] * 255).round().astype(np.uint8)
    tf.io.write_file(path, tf.io.encode_png(pixels.reshape(28, 28, 1)))
    paths.append(path)
  prediction = legacy_dnn.predict(result.model_dir, paths)
  script = run_script('predict.py', '--model_dir=' + result.model_dir,
                      *paths)
  assert script.returncode == 0, script.stderr
  printed = [line.split(': ')[1].split(' (')[0]
             for line in script.stdout.splitlines() if line.startswith(
                 tuple(paths))]
  assert printed == prediction.names
  # A bad file is skipped and reported, in the API as in predict.py.
  bad = str(tmp_path / 'bad.png')
  with open(bad, 'wb') as f:
    f.write(b'\x89PNG\r\n\x1a\n not really')
  blank = str(tmp_path / 'blank.png')
  tf.io.write_file(blank, tf.io.encode_png(np.zeros((28, 28, 1), np.uint8)))
  mixed = legacy_dnn.predict(result.model_dir, [paths[0], bad, blank,
                                                paths[1]])
  assert mixed.paths == (paths[0], paths[1])
  assert mixed.names == prediction.names[:2]
  assert [path for path, _ in mixed.skipped] == [bad, blank]
  assert mixed.skipped[0][1].startswith(bad + ': ')
  script = run_script('predict.py', '--model_dir=' + result.model_dir,
                      paths[0], bad, blank, paths[1])
  assert script.returncode == 1
  assert [why for _, why in mixed.skipped] == [
      line.replace('predict.py: error: ', '')
      for line in script.stderr.splitlines()]
  with pytest.raises(legacy_dnn.UserError, match='images of shape \\[3, 5\\]'):
    legacy_dnn.predict(result.model_dir, np.zeros((3, 5), np.float32))


@pytest.mark.slow
def test_the_scripts_need_only_the_model_dir_of_a_run_on_its_own_data(
    tmp_path):
  """train.py with --data_dir and --validation_size; then evaluate.py and
  export.py --quantize=int8 from elsewhere with --model_dir alone."""
  data_dir = write_dataset(str(tmp_path / 'data'), n_train=400, n_test=100)
  model_dir = str(tmp_path / 'model')
  trained = run_script('train.py', '--variant=dropout', '--dataset=mnist',
                       '--hidden_units=32', '--epochs=1',
                       '--data_dir=' + data_dir, '--validation_size=100',
                       '--model_dir=' + model_dir,
                       '--logdir=' + str(tmp_path / 'logs'))
  assert trained.returncode == 0, trained.stderr
  with open(os.path.join(model_dir, checkpoints.RUN_FILE)) as f:
    assert json.load(f)['data'] == {'data_dir': data_dir, 'mirror': None}
  elsewhere = tmp_path / 'elsewhere'
  elsewhere.mkdir()
  env = {'XDG_CACHE_HOME': str(tmp_path / 'empty-cache')}
  for script, args in (('evaluate.py', []),
                       ('export.py', ['--format=tflite', '--quantize=int8',
                                      '--calibration_examples=50'])):
    result = run_python(
        [sys.executable, os.path.join(REPO, 'scripts', script),
         '--model_dir=' + model_dir] + args, env=env, cwd=str(elsewhere))
    assert result.returncode == 0, result.stderr
    assert error_lines(result.stderr) == []
  assert (elsewhere / 'serving' / 'model-int8.tflite').exists()


@pytest.mark.slow
def test_a_sweep_returns_the_table_sweep_py_prints(tmp_path):
  write_dataset(str(tmp_path / 'data'), n_train=300, n_test=50)
  settings = dict(SMALL, epochs=1, data_dir=str(tmp_path / 'data'),
                  sweep_dir=str(tmp_path / 'sweep'))
  swept = legacy_dnn.sweep('dropout', grid={'learning_rate': [0.001, 0.01]},
                           verbose=0, **settings)
  assert not swept.interrupted
  assert sorted(r['status'] for r in swept.results) == ['finished'] * 2
  # The trials' parameters come back as the Python values they were.
  assert sorted(r['params']['learning_rate'] for r in swept.results) == [
      0.001, 0.01]
  script = run_script('sweep.py', '--variant=dropout',
                      '--grid=learning_rate=0.001,0.01',
                      *['--%s=%s' % (k, ','.join(map(str, v))
                                     if isinstance(v, tuple) else v)
                        for k, v in settings.items()])
  assert script.returncode == 0, script.stderr
  # The script finds the sweep finished, and prints the same table.
  assert swept.table in script.stdout


@pytest.mark.slow
def test_a_run_reports_to_its_reporter_and_verbose_0_prints_nothing(
    tmp_path, capfd):
  """The library reports; the caller prints (reporting.py)."""
  write_dataset(str(tmp_path / 'data'), n_train=300, n_test=50)

  class Recorder(reporting.Reporter):

    def __init__(self):
      self.lines, self.epochs = [], []

    def on_line(self, text):
      self.lines.append(text)

    def on_epoch_end(self, epoch, line):
      self.epochs.append((epoch, line))

  recorder = Recorder()
  with reporting.reporting_to(recorder):
    result = training.train(config.from_settings(
        variant='dropout', **small_settings(tmp_path, 'reported')))
  assert [epoch for epoch, _ in recorder.epochs] == list(result.history)
  assert recorder.epochs[0][1].startswith('Epoch: 0001 cost = ')
  assert 'Learning Finished!' in recorder.lines
  assert capfd.readouterr() == ('', '')
  quiet = legacy_dnn.train('dropout', verbose=0,
                           **small_settings(tmp_path, 'quiet'))
  assert quiet.history[-1].epoch == 2
  assert capfd.readouterr().out == ''
  # Outside any call the scripts' Printer reports, as before.
  assert isinstance(reporting.current(), reporting.Printer)


@pytest.mark.slow
def test_train_in_another_thread_sets_no_signal_handler(tmp_path):
  write_dataset(str(tmp_path / 'data'), n_train=300, n_test=50)
  handler = signal.getsignal(signal.SIGINT)
  results, errors = [], []

  def work():
    try:
      results.append(legacy_dnn.train('dropout', verbose=0, **small_settings(
          tmp_path, 'model', epochs=1)))
    except BaseException as e:  # pylint: disable=broad-except
      errors.append(e)

  thread = threading.Thread(target=work)
  thread.start()
  thread.join(timeout=300)
  assert not thread.is_alive() and errors == []
  assert results[0].epochs == 1 and not results[0].interrupted
  assert signal.getsignal(signal.SIGINT) is handler


INTERRUPTED_PROGRAM = """
import legacy_dnn
settings = %r
try:
  legacy_dnn.train('dropout', verbose=0, **settings)
except legacy_dnn.Interrupted as e:
  print(isinstance(e, KeyboardInterrupt), e.result.interrupted)
  print(e)
result = legacy_dnn.train('dropout', verbose=0, **settings)
print([e.epoch for e in result.history], result.interrupted)
"""


@pytest.mark.slow
def test_an_interrupted_train_raises_a_keyboard_interrupt_with_its_result(
    tmp_path):
  """SIGINT (a kernel's interrupt) ends train() with legacy_dnn.Interrupted,
  which carries the Result; the next call continues to the end."""
  write_dataset(str(tmp_path / 'data'), n_train=700, n_test=50)
  settings = small_settings(tmp_path, 'model', epochs=30, batch_size=10,
                            steps_per_call=1)
  program = subprocess.Popen(
      [sys.executable, '-c', INTERRUPTED_PROGRAM % settings],
      env=script_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      text=True)
  history = tmp_path / 'model' / checkpoints.HISTORY_FILE
  wait_until(lambda: history.exists() or program.poll() is not None,
             'epoch 1', interval=0.01)
  program.send_signal(signal.SIGINT)
  out, err = program.communicate(timeout=300)
  assert program.returncode == 0, err
  caught, message, finished = out.splitlines()
  assert caught == 'True True'
  assert re.fullmatch(r'legacy_dnn.train: interrupted in epoch \d+, its '
                      r'checkpoint saved; run the cell again to continue',
                      message), message
  assert finished == '%s False' % list(range(1, 31))


@pytest.mark.slow
def test_verbose_1_draws_no_bar_into_a_pipe(tmp_path):
  write_dataset(str(tmp_path / 'data'), n_train=300, n_test=50)
  code = ('import legacy_dnn\n'
          'legacy_dnn.train("dropout", verbose=1, **%r)\n'
          % small_settings(tmp_path, 'model', epochs=1))
  result = subprocess.run([sys.executable, '-c', code], env=script_env(),
                          capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr
  assert 'Epoch: 0001 cost' in result.stdout
  assert '\r' not in result.stdout and 'examples/s' not in result.stdout
  assert error_lines(result.stderr) == []
