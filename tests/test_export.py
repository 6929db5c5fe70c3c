"""SavedModel export, checked with the real saved_model_cli and TF2 loading."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from conftest import (error_lines, run_python, run_script, write_dataset,
                      write_housing)
from legacy_dnn import checkpoints
from legacy_dnn import cifar
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import evaluation
from legacy_dnn import savedmodel
from legacy_dnn import presets
from legacy_dnn import training
from legacy_dnn.errors import CheckpointError

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.

SAVED_MODEL_CLI = os.path.join(os.path.dirname(sys.executable),
                               'saved_model_cli')


def saved_model_cli(*args):
  """The real saved_model_cli program, run to its end: TensorFlow's own
  script, forked from the zygote (conftest.run_python), so that its process
  does not import TensorFlow again."""
  return run_python([sys.executable, SAVED_MODEL_CLI, *args])


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
  return write_dataset(str(tmp_path_factory.mktemp('data')), n_test=300)


@pytest.fixture(scope='module')
def cifar_dir(tmp_path_factory):
  folder = tmp_path_factory.mktemp('cifar')
  cifar.write_random(str(folder / cifar.ARCHIVE), 200, 300)
  return str(folder)


def trained(root, data_dir, variant):
  """A one-epoch run of variant's kind of network, small layers."""
  preset = presets.PRESETS[variant]
  cfg = config.for_variant(
      variant, hidden_units=(16,) * len(preset.hidden_units),
      filters=(4,) * len(preset.filters), epochs=1, validation_size=100,
      data_dir=data_dir, model_dir=str(root / 'model'),
      logdir=str(root / 'logs'))
  training.train(cfg)
  return cfg


def held_out_images(cfg):
  return data.load(data.DATASETS[cfg.dataset], cfg.data_dir,
                   validation_size=100).test[0]


def restored_probabilities(cfg, images):
  """What evaluate.py computes: the best model restored, then predict()."""
  saved = evaluation.restore(cfg, checkpoints.best_model(cfg.model_dir))
  try:
    return saved.predict(images)
  finally:
    saved.close()


CLASSIFIERS = sorted(v for v, p in presets.PRESETS.items()
                     if p.head == presets.CLASSES)


@pytest.mark.slow
@pytest.mark.parametrize('variant', CLASSIFIERS)
def test_export_agrees_with_evaluate_in_saved_model_cli_and_tf2(
    tmp_path, data_dir, cifar_dir, variant):
  cfg = trained(tmp_path, cifar_dir if variant == 'cifar_cnn' else data_dir,
                variant)
  images = held_out_images(cfg)
  expected = restored_probabilities(cfg, images)
  version = savedmodel.export(cfg, checkpoints.best_model(cfg.model_dir),
                          str(tmp_path / 'serving'))
  assert version == str(tmp_path / 'serving' / '1')

  # The real saved_model_cli, fed from a .npy file.
  np.save(str(tmp_path / 'images.npy'), images)
  result = saved_model_cli(
      'run', '--dir', version, '--tag_set', 'serve',
      '--signature_def', 'serving_default',
      '--inputs', 'images=%s' % (tmp_path / 'images.npy'),
      '--outdir', str(tmp_path / 'out'))
  assert result.returncode == 0, result.stderr
  from_cli = np.load(str(tmp_path / 'out' / 'probabilities.npy'))
  np.testing.assert_allclose(from_cli, expected, rtol=1e-5, atol=1e-7)
  np.testing.assert_array_equal(
      np.load(str(tmp_path / 'out' / 'classes.npy')), expected.argmax(1))

  # TensorFlow 2, eagerly, through the signature.
  loaded = tf.saved_model.load(version)
  outputs = loaded.signatures['serving_default'](images=tf.constant(images))
  np.testing.assert_allclose(outputs['probabilities'].numpy(), expected,
                             rtol=1e-5, atol=1e-7)
  assert outputs['classes'].dtype == tf.int64
  np.testing.assert_array_equal(outputs['classes'].numpy(),
                                expected.argmax(1))


@pytest.mark.slow
@pytest.mark.parametrize('variant', ['regression', 'wide_deep'])
def test_a_regressor_takes_raw_features_and_returns_predictions(tmp_path,
                                                                variant):
  folder = write_housing(str(tmp_path / 'housing'))
  cfg = config.for_variant(variant, epochs=2, data_dir=folder,
                           model_dir=str(tmp_path / 'model'),
                           logdir=str(tmp_path / 'logs'))
  training.train(cfg)
  splits = data.load(data.DATASETS[cfg.dataset], folder)
  rows = splits.test[0]  # Raw: the scaler is in the graph.
  saved = evaluation.restore(cfg, checkpoints.best_model(cfg.model_dir))
  try:
    expected = saved.predict(rows)[:, None]
    aux = saved.activations(rows, 'aux_output') if cfg.inputs else None
  finally:
    saved.close()
  version = savedmodel.export(cfg, checkpoints.best_model(cfg.model_dir),
                          str(tmp_path / 'serving'))
  if cfg.inputs:  # The book's two inputs, each its slice of a row.
    feeds = {'wide_input': rows[:, :5], 'deep_input': rows[:, 2:]}
  else:
    feeds = {'features': rows}
  for name, value in feeds.items():
    np.save(str(tmp_path / (name + '.npy')), value)
  result = saved_model_cli(
      'run', '--dir', version, '--tag_set', 'serve',
      '--signature_def', 'serving_default', '--inputs',
      ';'.join('%s=%s' % (n, tmp_path / (n + '.npy')) for n in feeds),
      '--outdir', str(tmp_path / 'out'))
  assert result.returncode == 0, result.stderr
  from_cli = np.load(str(tmp_path / 'out' / 'predictions.npy'))
  assert from_cli.shape == (len(rows), 1) and from_cli.dtype == np.float32
  np.testing.assert_allclose(from_cli, expected, rtol=1e-5, atol=1e-6)

  loaded = tf.saved_model.load(version)
  signature = loaded.signatures['serving_default']
  assert {k: v.shape.as_list() for k, v in
          signature.structured_input_signature[1].items()} == {
              n: [None, v.shape[1]] for n, v in feeds.items()}
  outputs = signature(**{n: tf.constant(v) for n, v in feeds.items()})
  np.testing.assert_allclose(outputs['predictions'].numpy(), expected,
                             rtol=1e-5, atol=1e-6)
  if cfg.inputs:
    np.testing.assert_allclose(outputs['aux_output'].numpy(), aux,
                               rtol=1e-5, atol=1e-6)
  else:
    assert sorted(outputs) == ['predictions']
  # The training split's statistics travel in the SavedModel.
  mean = [v for v in loaded.variables if v.name.startswith('scaler/mean')]
  np.testing.assert_allclose(mean[0].numpy(), data.scaler(splits.train[0])[0],
                             rtol=1e-6)


@pytest.mark.slow
def test_the_export_holds_an_inference_graph_only(tmp_path, data_dir):
  cfg = trained(tmp_path, data_dir, 'dropout')
  version = savedmodel.export(cfg, checkpoints.best_model(cfg.model_dir),
                          str(tmp_path / 'serving'))
  variables = dict(tf.train.list_variables(
      os.path.join(version, 'variables', 'variables')))
  assert sorted(variables) == [
      'hidden%d/%s' % (i, kind) for i in range(1, 5)
      for kind in ('bias', 'kernel')] + ['outputs/bias', 'outputs/kernel']
  meta = tf.compat.v1.saved_model.load(
      tf.compat.v1.Session(graph=tf.Graph()), ['serve'], version)
  op_types = {node.op for node in meta.graph_def.node}
  assert not op_types & {'StatelessRandomUniformV2', 'Bitcast',
                         'ResourceApplyAdam'}, op_types


@pytest.mark.slow
def test_export_script_numbers_versions_and_never_overwrites(tmp_path,
                                                            data_dir):
  cfg = trained(tmp_path, data_dir, 'homl')
  serving = tmp_path / 'serving'
  # A version from elsewhere, and an export that died half-way.
  os.makedirs(str(serving / '1'))
  (serving / '1' / 'keep').write_text('mine')
  os.makedirs(str(serving / '.2.incomplete-999'))
  args = ['--model_dir=' + cfg.model_dir, '--export_dir=%s' % serving]
  for expected in ('2', '3'):
    result = run_script('export.py', *args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ''
    assert 'Exported %s (homl on mnist) to %s' % (
        checkpoints.best_model(cfg.model_dir), serving / expected) in (
            result.stdout)
  assert (serving / '1' / 'keep').read_text() == 'mine'
  assert sorted(os.listdir(str(serving))) == ['.2.incomplete-999', '1', '2',
                                             '3']

  shown = saved_model_cli('show', '--dir', str(serving / '3'), '--all')
  assert shown.returncode == 0, shown.stderr
  for line in ["signature_def['serving_default']:",
               "inputs['images'] tensor_info:", 'dtype: DT_FLOAT',
               'shape: (-1, 784)', "outputs['probabilities'] tensor_info:",
               'shape: (-1, 10)', "outputs['classes'] tensor_info:",
               'dtype: DT_INT64', 'shape: (-1)',
               'Method name is: tensorflow/serving/predict']:
    assert line in shown.stdout, line


@pytest.mark.slow
def test_unusable_export_dir_is_one_line(tmp_path, data_dir):
  cfg = trained(tmp_path, data_dir, 'homl')
  (tmp_path / 'file').write_text('')
  result = run_script('export.py', '--model_dir=' + cfg.model_dir,
                      '--export_dir=%s' % (tmp_path / 'file'))
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'export.py: error: --export_dir=%s: cannot write there: File exists'
      % (tmp_path / 'file')]
  assert (tmp_path / 'file').read_text() == ''


@pytest.mark.slow
def test_a_checkpoint_that_does_not_fit_writes_nothing(tmp_path, data_dir):
  cfg = trained(tmp_path, data_dir, 'homl')
  other = config.for_variant('homl', hidden_units=(4, 4),
                             model_dir=cfg.model_dir)
  serving = str(tmp_path / 'serving')
  with pytest.raises(CheckpointError, match='variable hidden1/kernel has '
                     r'shape \[784, 16\], the model needs \[784, 4\]'):
    savedmodel.export(other, checkpoints.best_model(cfg.model_dir), serving)
  assert not os.path.exists(serving)


def test_next_version_ignores_what_is_not_a_version(tmp_path):
  for name in ('3', '10', '.11.incomplete-5', 'notes', '7a'):
    os.makedirs(str(tmp_path / name))
  assert savedmodel.next_version(str(tmp_path)) == 11
  assert savedmodel.next_version(str(tmp_path / 'notes')) == 1
