"""Keras 3 model files of every preset: keras_export.py and export.py
--format=keras|weights, checked in a process with Keras and no legacy_dnn."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import error_lines, run_keras_only, run_script
from legacy_dnn import checkpoints
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import evaluation
from legacy_dnn import savedmodel
from legacy_dnn import keras_export
from legacy_dnn import presets
from legacy_dnn import training
from test_training import small_config

# Starts processes, clusters or tensorboard, or trains for long (setup.cfg).
pytestmark = pytest.mark.slow

EXAMPLES = 300


def random_checkpoint(cfg, folder, seed=0):
  """A checkpoint of cfg's network where every variable, the batch norms'
  moving statistics and the scaler's too, holds random values of a trained
  network's size (kernels ~ 1/sqrt(fan in)), so that no layer is trivial."""
  rng = np.random.default_rng(seed)
  graph, _, _, variables = savedmodel.inference_graph(cfg)
  with tf.compat.v1.Session(graph=graph) as sess:
    for v in variables:
      shape, name = v.shape.as_list(), v.op.name
      if name.endswith(('moving_variance', 'stddev')):
        value = rng.uniform(0.5, 2.0, shape)
      elif name.endswith('kernel'):
        value = rng.normal(0, 1 / np.sqrt(np.prod(shape[:-1])), shape)
      else:  # Biases, beta, gamma's offset, means.
        value = rng.normal(0, 0.3, shape) + name.endswith('gamma')
      v.load(value.astype(np.float32), sess)
    with graph.as_default():
      return tf.compat.v1.train.Saver(variables).save(
          sess, os.path.join(folder, 'random'))


def random_rows(cfg, n, seed=0):
  """n rows as cfg's network takes them: images in [0, 1], or raw
  features."""
  dataset = data.DATASETS[cfg.dataset]
  rng = np.random.default_rng(seed)
  if dataset.standardize:
    return rng.normal(1, 3, (n,) + dataset.input_shape).astype(np.float32)
  return rng.uniform(0, 1, (n,) + dataset.input_shape).astype(np.float32)


def keras_inputs(cfg, rows):
  """The .npz arrays the Keras model takes: x, or one per named input."""
  if cfg.inputs:
    return {name: rows[:, start:stop] for name, start, stop in cfg.inputs}
  return {'x': rows}


def ours(cfg, checkpoint, rows):
  """What our graph predicts: probabilities, or a regressor's outputs."""
  saved = evaluation.restore(cfg, checkpoint)
  try:
    return saved.predict(rows)
  finally:
    saved.close()


def assert_agrees(cfg, keras_outputs, expected, regression_atol=1e-7):
  got = keras_outputs['out0']
  if cfg.head == presets.CLASSES:
    np.testing.assert_array_equal(got.argmax(1), expected.argmax(1))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
  else:
    np.testing.assert_allclose(got[:, 0], expected, rtol=1e-5,
                               atol=regression_atol)


@pytest.mark.next_tensorflow
def test_every_presets_file_loads_without_legacy_dnn_and_predicts_as_ours(
    tmp_path):
  jobs, expected, cfgs = [], [], []
  for variant in sorted(presets.PRESETS):
    folder = str(tmp_path / variant)
    os.makedirs(folder)
    cfg = config.for_variant(variant, model_dir=folder)
    checkpoint = random_checkpoint(cfg, folder)
    rows = random_rows(cfg, EXAMPLES)
    net = keras_export.keras_model(cfg, checkpoint)
    # Our scopes name the layers that hold our variables; a scaler becomes
    # a Normalization layer of each input.
    assert {l.name for l in net.layers if l.weights} == set(
        presets.layer_names(cfg)) | {
            '%s_batch_normalization' % l.scope for l in presets.layers(cfg)
            if l.kind == presets.BATCH_NORM}
    assert len([l for l in net.layers if isinstance(
        l, keras.layers.Normalization)]) == (
            data.DATASETS[cfg.dataset].standardize * max(1, len(cfg.inputs)))
    path = keras_export.save(net, os.path.join(folder, variant + '.keras'))
    np.savez(os.path.join(folder, 'inputs.npz'), **keras_inputs(cfg, rows))
    job = dict(model=path, inputs=os.path.join(folder, 'inputs.npz'),
               outputs=os.path.join(folder, 'outputs.npz'))
    if variant in ('batchnorm', 'wide_deep'):  # Weights into a fresh copy.
      weights = keras_export.save(net, os.path.join(folder, 'w.weights.h5'),
                                  weights_only=True)
      jobs.append(dict(job, weights=weights,
                       outputs=os.path.join(folder, 'from_weights.npz')))
      expected.append(ours(cfg, checkpoint, rows))
      cfgs.append(cfg)
    jobs.append(job)
    expected.append(ours(cfg, checkpoint, rows))
    cfgs.append(cfg)
  for cfg, outputs, want in zip(cfgs, run_keras_only(jobs), expected):
    assert_agrees(cfg, outputs, want)
    if cfg.variant == 'wide_deep':  # Its auxiliary output comes second.
      assert outputs['out1'].shape == (EXAMPLES, 1)


@pytest.mark.next_tensorflow
@pytest.mark.parametrize('variant, sizes', [
    ('xavier', ['--hidden_units=64,32']),
    ('lenet', ['--filters=4,8', '--hidden_units=32']),
])
def test_a_trained_model_exported_by_the_script_trains_on_in_keras(
    tmp_path, dataset_dir, variant, sizes):
  model_dir = str(tmp_path / 'model')
  trained = run_script('train.py', '--variant=' + variant,
                       '--data_dir=' + dataset_dir, '--validation_size=100',
                       '--epochs=1', '--model_dir=' + model_dir,
                       '--logdir=' + str(tmp_path / 'logs'), *sizes)
  assert trained.returncode == 0, trained.stderr
  path = str(tmp_path / 'out' / 'model.keras')
  result = run_script('export.py', '--model_dir=' + model_dir,
                      '--format=keras', '--output=' + path)
  assert result.returncode == 0, result.stderr
  assert result.stderr == ''
  assert result.stdout.startswith('Exported %s (%s on mnist) to %s ('
                                  % (os.path.join(model_dir, 'best.ckpt'),
                                     variant, path))
  cfg = evaluation.run_config(model_dir)
  splits = data.load(data.DATASETS['mnist'], dataset_dir, validation_size=100)
  images, labels = splits.train
  np.savez(str(tmp_path / 'inputs.npz'), x=images)
  np.save(str(tmp_path / 'labels.npy'), labels)
  (outputs,) = run_keras_only([dict(
      model=path, inputs=str(tmp_path / 'inputs.npz'),
      outputs=str(tmp_path / 'outputs.npz'),
      fit=str(tmp_path / 'labels.npy'))])
  assert_agrees(cfg, outputs, ours(cfg, checkpoints.best_model(model_dir),
                                   images))
  before, after = outputs['losses']
  assert after < before, (before, after)


# Keras 3 runs a .keras file on other backends: an MLP, a CNN whose
# convolutions are batch-normalized, and wide & deep's two inputs and outputs.
OTHER_BACKEND_NETWORKS = [
    ('xavier', dict(hidden_units=(64, 32))),
    ('cnn', dict(filters=(4, 8), conv_block=(
        presets.CONV, presets.BATCH_NORM, presets.RELU, presets.POOL))),
    ('wide_deep', {}),
]


@pytest.mark.parametrize('backend', ['torch', 'jax'])
def test_the_keras_file_predicts_and_trains_on_another_backend(tmp_path,
                                                              backend):
  jobs, expected, cfgs = [], [], []
  for variant, overrides in OTHER_BACKEND_NETWORKS:
    folder = str(tmp_path / variant)
    os.makedirs(folder)
    cfg = config.for_variant(variant, model_dir=folder, **overrides)
    checkpoint = random_checkpoint(cfg, folder)
    rows = random_rows(cfg, EXAMPLES)
    path = keras_export.save(keras_export.keras_model(cfg, checkpoint),
                             os.path.join(folder, variant + '.keras'))
    np.savez(os.path.join(folder, 'inputs.npz'), **keras_inputs(cfg, rows))
    # Targets another network of the same kind computes: learnable, and far
    # from this one's outputs.
    other = os.path.join(folder, 'other')
    os.makedirs(other)
    targets = ours(cfg, random_checkpoint(cfg, other, seed=1), rows)
    if cfg.head == presets.CLASSES:
      targets, loss = targets.argmax(1), 'sparse_categorical_crossentropy'
    else:
      targets, loss = targets.astype(np.float32), 'mse'
    np.save(os.path.join(folder, 'targets.npy'), targets)
    jobs.append(dict(model=path, inputs=os.path.join(folder, 'inputs.npz'),
                     outputs=os.path.join(folder, 'outputs.npz'),
                     fit=os.path.join(folder, 'targets.npy'), loss=loss))
    expected.append(ours(cfg, checkpoint, rows))
    cfgs.append(cfg)
  outputs, lines = run_keras_only(jobs, backend=backend)
  module = {'torch': 'torch.nn.modules.module.Module',
            'jax': ''}[backend]
  assert lines == ['backend %s, module: %s' % (backend, module)] * len(jobs)
  for cfg, got, want in zip(cfgs, outputs, expected):
    # Within 1e-5 of the largest output for a regressor: JAX's XLA kernels
    # sum in another order, and an output near 0 has no relative precision.
    assert_agrees(cfg, got, want, 1e-5 * np.abs(want).max())
    before, after = got['losses']
    assert after < before, (cfg.variant, before, after)


@pytest.mark.next_tensorflow
def test_bad_output_and_a_checkpoint_that_does_not_fit_are_one_line(
    tmp_path, dataset_dir):
  cfg = small_config(tmp_path / 'm', dataset_dir, epochs=1)
  training.train(cfg)
  for args, line in [
      (['--format=keras', '--output=m.h5'],
       'export.py: error: --output must end in .keras for --format=keras, '
       '.weights.h5 for weights, .tflite for tflite and .onnx for onnx (see '
       '--help)'),
      (['--output=m.keras'],
       'export.py: error: --output names the file of --format=keras, weights, '
       'tflite or onnx; a SavedModel goes to --export_dir (see --help)'),
      (['--format=keras', '--export_dir=x'],
       'export.py: error: --export_dir is where --format=savedmodel writes; '
       'the other formats write --output (see --help)'),
  ]:
    result = run_script('export.py', '--model_dir=' + cfg.model_dir, *args)
    assert result.returncode == 2
    assert error_lines(result.stderr) == [line]
  blocked = tmp_path / 'file'
  blocked.write_text('a file where a folder should be')
  result = run_script('export.py', '--model_dir=' + cfg.model_dir,
                      '--format=keras', '--output=%s/m.keras' % blocked)
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'export.py: error: --output=%s/m.keras: cannot write: File exists'
      % blocked]
  result = run_script('export.py', '--checkpoint=' + checkpoints.best_model(
      cfg.model_dir), '--variant=xavier', '--format=keras',
                      '--output=' + str(tmp_path / 'x.keras'))
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  assert line.startswith('export.py: error: --variant=xavier, but')
  assert not os.path.exists(tmp_path / 'x.keras')
