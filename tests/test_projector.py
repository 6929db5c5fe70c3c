"""evaluate.py --projector: a layer's activations for TensorBoard's Projector
tab, read back through the real `tensorboard` program's HTTP API."""

import os
import urllib.parse

import numpy as np
import pytest
import tensorflow as tf

from conftest import TensorBoard, error_lines, run_script, write_dataset
from legacy_dnn import checkpoints
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import evaluation
from legacy_dnn import projector
from legacy_dnn import training

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.

PROJECTED = 150


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
  """{'mlp', 'cnn': TrainConfig} of two short runs sharing one logdir."""
  root = tmp_path_factory.mktemp('projector')
  data_dir = write_dataset(str(root / 'data'), n_test=PROJECTED + 50)
  shared = dict(epochs=1, validation_size=100, data_dir=data_dir,
                logdir=str(root / 'logs'))
  trained = {
      'mlp': config.for_variant('homl', hidden_units=(24, 16),
                                model_dir=str(root / 'mlp'), **shared),
      'cnn': config.for_variant('lenet', filters=(4, 8), hidden_units=(20,),
                                model_dir=str(root / 'cnn'), **shared)}
  for cfg in trained.values():
    training.train(cfg)
  return trained


def project(cfg, *flags):
  result = run_script('evaluate.py', '--model_dir=' + cfg.model_dir,
                      '--data_dir=' + cfg.data_dir, '--logdir=' + cfg.logdir,
                      '--projector=%d' % PROJECTED, *flags)
  assert result.returncode == 0, result.stderr
  run = checkpoints.read_run_record(cfg.model_dir)['run_name']
  return result, '%s/%s' % (run, projector.FOLDER)


def test_sprite_tiles_the_images_row_by_row():
  images = np.stack([np.full((3, 3, 1), k / 10, np.float32)
                     for k in range(5)])
  grid = projector.sprite(images)
  assert grid.shape == (9, 9, 1) and grid.dtype == np.uint8  # 3 per row.
  for k in range(5):
    row, col = divmod(k, 3)
    assert (grid[3 * row:3 * row + 3, 3 * col:3 * col + 3] ==
            round(k / 10 * 255)).all()
  assert (grid[6:, 3:] == 0).all()  # The grid's unused cells stay black.
  with pytest.raises(ValueError, match='over 8192 pixels'):
    projector.sprite(np.zeros((300 * 300, 28, 28, 1), np.float32))


@pytest.mark.slow
def test_tensorboard_shows_the_activations_labels_and_sprites(runs):
  mlp, cnn = runs['mlp'], runs['cnn']
  result, mlp_run = project(mlp)
  assert ('Projector: hidden2 activations of %d test images in %s'
          % (PROJECTED, os.path.join(mlp.logdir, mlp_run))) in result.stdout
  _, cnn_run = project(cnn, '--projector_layer=conv2')
  images, labels = data.load(data.DATASETS['mnist'], mlp.data_dir,
                             validation_size=0).test
  images, labels = images[:PROJECTED], labels[:PROJECTED]

  # The MLP's last hidden layer, computed here from the checkpoint's weights.
  reader = tf.train.load_checkpoint(checkpoints.best_model(mlp.model_dir))
  hidden = images
  for layer in ('hidden1', 'hidden2'):
    hidden = np.maximum(0, hidden @ reader.get_tensor(layer + '/kernel') +
                        reader.get_tensor(layer + '/bias'))
  saved = evaluation.restore(cnn, checkpoints.best_model(cnn.model_dir))
  try:
    conv2 = saved.activations(images, 'conv2')
  finally:
    saved.close()
  assert conv2.shape == (PROJECTED, 4 * 4 * 8)  # 28 -> 24 -> 12 -> 8 -> 4.

  with TensorBoard(mlp.logdir) as tensorboard:
    tensorboard.wait_for(
        lambda: {mlp_run, cnn_run} <= set(
            tensorboard.get('plugin/projector/runs')), 'the projector runs')
    for run, layer, expected in ((mlp_run, 'hidden2', hidden),
                                 (cnn_run, 'conv2', conv2)):
      query = lambda **more: urllib.parse.urlencode(dict(run=run, **more))
      (embedding,) = tensorboard.get('plugin/projector/info?' + query())[
          'embeddings']
      name = projector.tensor_name(layer)
      assert embedding['tensorName'] == name
      assert embedding['tensorShape'] == list(expected.shape)
      assert embedding['sprite']['singleImageDim'] == [28, 28]
      tensor = np.frombuffer(tensorboard.read(
          'plugin/projector/tensor?' + query(name=name)), np.float32)
      np.testing.assert_allclose(tensor.reshape(expected.shape), expected,
                                 rtol=1e-5, atol=1e-6)
      metadata = tensorboard.read(
          'plugin/projector/metadata?' + query(name=name)).decode()
      assert metadata.splitlines() == ['label\tclass'] + [
          '%d\t%d' % (label, label) for label in labels]
      sprite = tf.io.decode_png(tensorboard.read(
          'plugin/projector/sprite_image?' + query(name=name))).numpy()
      assert sprite.shape == (13 * 28, 13 * 28, 1)  # 150 images, 13 a row.
      np.testing.assert_array_equal(
          sprite[28:56, 28 * 3:28 * 4, 0],  # Image 16: row 1, column 3.
          np.round(images[16].reshape(28, 28) * 255))


def test_fashion_class_names_go_into_the_metadata(tmp_path):
  labels = np.array([0, 9, 3])
  projector.write(str(tmp_path), 'hidden1', np.ones((3, 2), np.float32),
                  np.zeros((3, 28, 28, 1), np.float32), labels,
                  data.DATASETS['fashion_mnist'].class_names)
  with open(tmp_path / projector.METADATA_FILE) as f:
    assert f.read() == ('label\tclass\n0\tT-shirt/top\n9\tAnkle boot\n'
                        '3\tDress\n')


@pytest.mark.slow
def test_an_unknown_layer_or_too_many_images_is_one_line(runs):
  mlp = runs['mlp']
  result = run_script('evaluate.py', '--model_dir=' + mlp.model_dir,
                      '--data_dir=' + mlp.data_dir, '--projector=10',
                      '--projector_layer=hidden7',
                      '--logdir=' + mlp.logdir)
  assert result.returncode == 1
  assert result.stdout == ''  # Found before anything is evaluated.
  assert error_lines(result.stderr) == [
      'evaluate.py: error: --projector_layer=hidden7: the network has no '
      'layer hidden7 (it has hidden1, hidden2, outputs)']
  result = run_script('evaluate.py', '--projector=10001')
  assert result.returncode == 2
  assert error_lines(result.stderr) == [
      'evaluate.py: error: flag --projector=10001: 10001 is not an integer '
      'in the range [0, 10000] (see --help)']


@pytest.mark.slow
def test_an_unwritable_logdir_is_one_line(runs, tmp_path):
  mlp = runs['mlp']
  blocked = tmp_path / 'file'
  blocked.write_text('not a folder')
  result = run_script('evaluate.py', '--model_dir=' + mlp.model_dir,
                      '--data_dir=' + mlp.data_dir, '--projector=10',
                      '--logdir=' + str(blocked))
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  assert line.startswith('evaluate.py: error: --projector: cannot write %s/'
                         % blocked), line
  assert blocked.read_text() == 'not a folder'
