"""Transfer learning: warm start, frozen layers, class subsets."""

import os

import numpy as np
from absl import flags
import pytest
import tensorflow as tf

from legacy_dnn import checkpoints
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import model
from legacy_dnn import training
from legacy_dnn.errors import CheckpointError, UserError
from test_training import checkpoint_tensors, small_config


@pytest.fixture
def source(tmp_path, dataset_dir):
  """A model trained on classes 0-4."""
  cfg = small_config(tmp_path / 'source', dataset_dir, 'xavier', epochs=2,
                     classes=(0, 1, 2, 3, 4))
  training.train(cfg)
  reader = tf.train.load_checkpoint(checkpoints.best_model(cfg.model_dir))
  return cfg, {name: reader.get_tensor(name)
               for name in reader.get_variable_to_shape_map()}


def test_frozen_layers_stay_bit_for_bit_and_the_rest_trains(
    tmp_path, dataset_dir, source, capsys):
  source_cfg, source_tensors = source
  target = small_config(
      tmp_path / 'target', dataset_dir, 'xavier', epochs=2,
      classes=(5, 6, 7, 8, 9), train_limit=100,
      warm_start_from=source_cfg.model_dir,
      warm_start_layers=('hidden1', 'hidden2'), freeze=('hidden1',))
  training.train(target)
  out = capsys.readouterr().out
  assert 'Warm start: hidden1,hidden2 from %s' % (
      checkpoints.best_model(source_cfg.model_dir)) in out
  assert 'Total trainable parameters: 26,506 (25,120 frozen)' in out
  after = checkpoint_tensors(target.model_dir)
  for name in ('hidden1/kernel', 'hidden1/bias'):
    np.testing.assert_array_equal(after[name], source_tensors[name])
    assert name + '/Adam' not in after  # Not even an optimizer slot.
  for name in ('hidden2/kernel', 'outputs/kernel'):
    assert not np.array_equal(after[name], source_tensors[name]), name


def warm_started(cfg):
  """(the checkpoint used, {name: value} of every variable) at step 0 of a
  fresh run of cfg, after its warm start."""
  with tf.Graph().as_default() as graph:
    model.build(cfg)
    ckpt = checkpoints.Checkpointer(
        cfg.model_dir, checkpoints.RunState(),
        model.layer_variables(cfg.warm_start_layers))
    init_op = tf.compat.v1.global_variables_initializer()
    variables = {v.op.name: v for v in tf.compat.v1.global_variables()}
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(init_op)
    prefix = ckpt.warm_start(sess, cfg.warm_start_from)
    return prefix, sess.run(variables)


def test_warm_started_variables_equal_the_source_at_step_0(
    tmp_path, dataset_dir, source):
  source_cfg, source_tensors = source
  target = small_config(tmp_path / 'target', dataset_dir, 'xavier',
                        warm_start_from=source_cfg.model_dir,
                        warm_start_layers=('hidden1', 'hidden2'))
  _, values = warm_started(target)
  assert values['global_step'] == 0
  for name in ('hidden1/kernel', 'hidden1/bias', 'hidden2/kernel',
               'hidden2/bias'):
    np.testing.assert_array_equal(values[name], source_tensors[name])
  assert not np.array_equal(values['outputs/kernel'],
                            source_tensors['outputs/kernel'])


def test_warm_start_with_other_shapes_names_the_variable(tmp_path,
                                                         dataset_dir, source):
  source_cfg, _ = source
  target = small_config(tmp_path / 'target', dataset_dir, 'xavier',
                        hidden_units=(16, 32),
                        warm_start_from=source_cfg.model_dir,
                        warm_start_layers=('hidden1',))
  with pytest.raises(CheckpointError, match=r'best.ckpt: variable '
                     r'hidden1/kernel has shape \[784, 32\], the model needs '
                     r'\[784, 16\]'):
    training.train(target)


def test_warm_start_from_a_folder_without_a_model(tmp_path, dataset_dir):
  target = small_config(tmp_path / 'target', dataset_dir,
                        warm_start_from=str(tmp_path),
                        warm_start_layers=('hidden1',))
  with pytest.raises(CheckpointError, match=r'--warm_start_from=.*: a folder '
                     r'with no checkpoint in it'):
    training.train(target)


def test_warm_start_from_a_path_that_is_no_checkpoint(tmp_path, dataset_dir):
  target = small_config(tmp_path / 'target', dataset_dir,
                        warm_start_from=str(tmp_path / 'nothing'),
                        warm_start_layers=('hidden1',))
  with pytest.raises(CheckpointError, match=r'--warm_start_from=.*nothing: no '
                     r'such checkpoint \(no nothing.index\) or folder'):
    training.train(target)


@pytest.mark.parametrize('freeze, message', [
    (('hidden7',), 'the network has no layer hidden7'),
    (('hidden1', 'hidden2', 'outputs'), 'leaves nothing to train'),
])
def test_bad_freeze(tmp_path, dataset_dir, freeze, message):
  with pytest.raises(UserError, match=message):
    training.train(small_config(tmp_path, dataset_dir, freeze=freeze))


def test_subset_keeps_labels_and_limits_training(dataset_dir):
  splits = data.load(data.DATASETS['mnist'], dataset_dir, validation_size=100)
  small = data.subset(splits, classes=(5, 6, 7, 8, 9), train_limit=40)
  assert len(small.train[1]) == 40
  for images, labels in (small.train, small.validation, small.test):
    assert set(labels) <= {5, 6, 7, 8, 9} and len(images) == len(labels)
  everything = splits.test[1]
  assert len(small.test[1]) == np.isin(everything, [5, 6, 7, 8, 9]).sum()


def test_flags_for_transfer():
  cfg = config.from_args(['--warm_start_from=models/a', '--freeze=hidden1',
                          '--classes=7,5', '--train_limit=500',
                          '--hidden_units=8,8'])
  assert cfg.warm_start_layers == ('hidden1', 'hidden2')
  assert cfg.freeze == ('hidden1',) and cfg.classes == (5, 7)
  assert cfg.train_limit == 500


def test_classes_without_examples(tmp_path):
  folder = str(tmp_path / 'zeros')
  os.makedirs(folder)
  for split, n in (('train', 120), ('test', 10)):  # Every label is 0.
    images_name, labels_name = data.FILES[split]
    data.write_idx(os.path.join(folder, images_name), np.zeros((n, 28, 28)),
                   data.IDX_IMAGES_MAGIC)
    data.write_idx(os.path.join(folder, labels_name), np.zeros(n),
                   data.IDX_LABELS_MAGIC)
  with pytest.raises(UserError, match=r'--classes=5,6: no training examples '
                     r'of those classes'):
    training.train(small_config(tmp_path, folder, classes=(5, 6)))


def test_warm_start_layers_need_a_source():
  with pytest.raises(flags.IllegalFlagValueError,
                     match='--warm_start_layers needs --warm_start_from'):
    config.from_args(['--warm_start_layers=hidden1'])
