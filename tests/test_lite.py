"""LiteRT models: lite.py, export.py --format=tflite, and evaluate.py and
predict.py --tflite, run in LiteRT's own interpreter (ai-edge-litert)."""

import os
import re
import subprocess

import numpy as np
import pytest
import tensorflow as tf

from conftest import (error_lines, run_script, script_command, script_env,
                      write_dataset)
from legacy_dnn import checkpoints
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import evaluation
from legacy_dnn import heads
from legacy_dnn import lite
from legacy_dnn.errors import UserError
from test_keras_export import ours, random_checkpoint, random_rows
from test_images import stroke
from test_predict import render

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """A small dropout network trained 3 epochs on learnable images."""
  root = tmp_path_factory.mktemp('lite')
  data_dir = str(root / 'data')
  write_dataset(data_dir, n_train=1100, n_test=500)
  model_dir = str(root / 'model')
  result = run_script('train.py', '--variant=dropout', '--data_dir=' +
                      data_dir, '--hidden_units=128,64', '--epochs=3',
                      '--validation_size=100', '--model_dir=' + model_dir,
                      '--logdir=' + str(root / 'logs'))
  assert result.returncode == 0, result.stderr
  return data_dir, model_dir


def export_tflite(model_dir, path, quantize, *extra):
  result = run_script('export.py', '--model_dir=' + model_dir,
                      '--format=tflite', '--quantize=' + quantize,
                      '--output=' + path, *extra)
  assert result.returncode == 0, result.stderr
  assert result.stderr == ''
  return result.stdout


@pytest.mark.slow
def test_each_quantization_runs_in_litert_as_our_graph_does(trained,
                                                            tmp_path):
  data_dir, model_dir = trained
  cfg = evaluation.run_config(model_dir, data_dir)
  checkpoint = checkpoints.best_model(model_dir)
  images, labels = data.load(data.DATASETS['mnist'], data_dir,
                             validation_size=0).test
  want = ours(cfg, checkpoint, images)
  calibration = lite.calibration_rows(data.run_splits(cfg).train[0], 500, 0)
  sizes = {}
  for quantize in config.QUANTIZATIONS:
    path = lite.write(lite.convert(cfg, checkpoint, quantize, calibration),
                      str(tmp_path / (quantize + '.tflite')))
    sizes[quantize] = os.path.getsize(path)
    got = lite.load(path).run({'images': images})
    assert got['probabilities'].shape == (len(images), 10)
    np.testing.assert_array_equal(got['classes'],
                                  got['probabilities'].argmax(1))
    agree = np.mean(got['probabilities'].argmax(1) == want.argmax(1))
    if quantize == 'none':  # Float32 LiteRT is our graph to rounding.
      np.testing.assert_allclose(got['probabilities'], want, atol=1e-5)
    elif quantize == 'int8':
      assert agree >= 0.95, agree
      accuracy = np.mean(got['probabilities'].argmax(1) == labels)
      assert accuracy >= np.mean(want.argmax(1) == labels) - 0.02
    else:
      assert agree >= 0.99, agree
  # int8 and dynamic hold a byte a weight, float16 two: of the float file
  # (784x128 + 128x64 + 64x10 weights, 420 KB), what is left is overhead.
  assert sizes['int8'] < 0.3 * sizes['none']
  assert sizes['dynamic'] < 0.3 * sizes['none']
  assert sizes['float16'] < 0.55 * sizes['none']


@pytest.mark.slow
def test_the_script_calibrates_on_the_examples_its_seed_draws(trained,
                                                              tmp_path):
  data_dir, model_dir = trained
  cfg = evaluation.run_config(model_dir, data_dir)
  train_rows = data.run_splits(cfg).train[0]
  path = str(tmp_path / 'script.tflite')
  stdout = export_tflite(model_dir, path, 'int8', '--data_dir=' + data_dir,
                         '--seed=2', '--calibration_examples=50')
  size = os.path.getsize(path)
  assert stdout.splitlines() == [
      'Exported %s (dropout on mnist) to %s (%s bytes, LiteRT, quantize int8, '
      'calibrated on 50 training examples)' % (
          checkpoints.best_model(model_dir), path, format(size, ',')),
      "Signature 'serving_default': images float32 [-1, 784] -> "
      'probabilities float32 [-1, 10], classes int64 [-1]']
  convert = lambda seed, n: lite.convert(
      cfg, checkpoints.best_model(model_dir), 'int8',
      lite.calibration_rows(train_rows, n, seed))
  with open(path, 'rb') as f:
    assert f.read() == convert(2, 50)  # The same draw, the same file,
  assert convert(2, 50) != convert(3, 50)  # and another draw another.


@pytest.mark.slow
def test_evaluate_scores_a_tflite_file_against_the_float_model(trained,
                                                               tmp_path):
  data_dir, model_dir = trained
  path = str(tmp_path / 'm.tflite')
  export_tflite(model_dir, path, 'none')
  assert_file_report(data_dir, model_dir, '--tflite', path, 'LiteRT',
                     'LiteRT')


def assert_file_report(data_dir, model_dir, flag, path, kind, runtime):
  """evaluate.py's report of a --tflite or --onnx file of the trained
  dropout network: its accuracy the float model's, its classes ours."""
  result = run_script('evaluate.py', '--model_dir=' + model_dir,
                      '--data_dir=' + data_dir, '%s=%s' % (flag, path))
  assert result.returncode == 0, result.stderr
  assert result.stderr == ''
  lines = result.stdout.splitlines()
  size = format(os.path.getsize(path), ',')
  assert lines[0] == ('Model: %s (%s, %s bytes), of %s (dropout on mnist)'
                      % (path, kind, size, checkpoints.best_model(model_dir)))
  accuracy = re.fullmatch(r'Test accuracy: (\S+) \(the float model: (\S+)\)',
                          lines[1])
  assert accuracy and accuracy.group(1) == accuracy.group(2), lines[1]
  assert lines[2] == ('Same class as the float model: 100.00% of 500 test '
                      'examples')
  assert re.fullmatch(r'Largest probability difference: \S+e-0[6-9]',
                      lines[3]), lines[3]
  assert re.fullmatch(r'Speed: [\d,]+ examples/s \(%s, batches of 1000\)'
                      % runtime, lines[4]), lines[4]


@pytest.mark.slow
def test_a_regressor_with_two_inputs_converts_and_reports_its_mse(tmp_path):
  cfg = config.for_variant('wide_deep', model_dir=str(tmp_path))
  checkpoint = random_checkpoint(cfg, str(tmp_path))
  rows = random_rows(cfg, 400)
  want = ours(cfg, checkpoint, rows)
  for quantize in ('none', 'int8'):
    path = lite.write(lite.convert(cfg, checkpoint, quantize, rows),
                      str(tmp_path / (quantize + '.tflite')))
    got = lite.load(path).run(lite.signature_inputs(cfg, rows))
    assert sorted(got) == ['aux_output', 'predictions']
    if quantize == 'none':
      np.testing.assert_allclose(got['predictions'][:, 0], want, rtol=1e-5,
                                 atol=1e-6)
    else:  # Off by a twentieth of the predictions' spread, typically.
      error = np.abs(got['predictions'][:, 0] - want)
      assert np.median(error) < 0.05 * want.std(), (np.median(error),
                                                     want.std())
    targets = want + np.random.default_rng(0).normal(0, 1, len(want))
    lines = heads.of(cfg).compare(got['predictions'], want, targets)
    assert re.fullmatch(r'Test MSE: \S+ \(the float model: \S+, [+-]\d+\.\d\d%'
                        r'\)', lines[0]), lines[0]


@pytest.mark.slow
def test_predict_with_a_tflite_file_names_the_classes_our_graph_does(
    trained, tmp_path):
  data_dir, model_dir = trained
  path = str(tmp_path / 'm.tflite')
  export_tflite(model_dir, path, 'none')
  images = data.load(data.DATASETS['mnist'], data_dir,
                     validation_size=0).test[0][:6]
  files = [render(image, k, str(tmp_path)) for k, image in enumerate(images)]
  from_dir = run_script('predict.py', '--model_dir=' + model_dir, *files)
  from_lite = run_script('predict.py', '--tflite=' + path, *files)
  assert from_lite.returncode == 0, from_lite.stderr
  assert from_lite.stderr == ''
  assert from_lite.stdout.splitlines()[0] == 'Model: %s (LiteRT, mnist)' % path
  # The same classes, and probabilities to the fourth decimal but for
  # rounding in the last digit.
  strip = lambda out: [re.sub(r'\d\)', ')', l) for l in out.splitlines()[1:]]
  assert strip(from_lite.stdout) == strip(from_dir.stdout)


@pytest.mark.slow
def test_without_litert_installed_the_line_names_the_extra(trained, tmp_path):
  data_dir, model_dir = trained
  path = str(tmp_path / 'm.tflite')
  export_tflite(model_dir, path, 'none')
  # A package that fails to import stands in for one not installed.
  shadow = tmp_path / 'shadow' / 'ai_edge_litert'
  shadow.mkdir(parents=True)
  (shadow / '__init__.py').write_text('raise ImportError("not installed")\n')
  env = script_env()
  env['PYTHONPATH'] = str(tmp_path / 'shadow') + os.pathsep + env['PYTHONPATH']
  for script, args in (('evaluate.py', ['--model_dir=' + model_dir,
                                        '--data_dir=' + data_dir]),
                       ('predict.py', [path + '.png'])):
    result = subprocess.run(script_command(script, '--tflite=' + path, *args),
                            env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1
    assert error_lines(result.stderr) == [
        "%s: error: --tflite=%s: LiteRT's Python interpreter is not "
        "installed; pip install -e '.[lite]' (the ai-edge-litert package)"
        % (script, path)]


class _WritesAFile(tf.Module):
  """A model whose serving signature also writes a file: converted with
  allow_custom_ops, the write becomes a custom op LiteRT has no kernel
  for."""

  def __init__(self, target):
    super().__init__()
    self.target = target

  @tf.function(input_signature=[tf.TensorSpec([None, 784], tf.float32,
                                              name='images')])
  def serve(self, images):
    with tf.control_dependencies([tf.io.write_file(self.target, 'x')]):
      return {'probabilities': tf.nn.softmax(images[:, :10])}


def test_a_file_litert_cannot_run_is_one_line_before_anything_runs(tmp_path):
  target = str(tmp_path / 'written')
  module = _WritesAFile(target)
  tf.saved_model.save(module, str(tmp_path / 'saved'),
                      signatures={'serving_default': module.serve})
  converter = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / 'saved'))
  converter.allow_custom_ops = True
  custom = lite.write(converter.convert(), str(tmp_path / 'custom.tflite'))
  with pytest.raises(UserError, match=r'^--tflite=%s: LiteRT cannot prepare '
                     r'it: Encountered unresolved custom op: WriteFile\.$'
                     % re.escape(custom)):
    lite.load(custom)
  garbage = tmp_path / 'notes.tflite'
  garbage.write_bytes(b'a shopping list')
  with pytest.raises(UserError, match=r'notes.tflite: not a LiteRT model '
                     r'\(The model is not a valid Flatbuffer buffer\)$'):
    lite.load(str(garbage))
  image = tmp_path / 'seven.png'
  image.write_bytes(tf.io.encode_png(stroke()).numpy())
  result = run_script('predict.py', '--tflite=' + custom, str(image))
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'predict.py: error: --tflite=%s: LiteRT cannot prepare it: Encountered '
      'unresolved custom op: WriteFile.' % custom]
  assert not os.path.exists(target)
