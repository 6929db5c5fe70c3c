"""The event files of a run, read back with TensorBoard's own reader."""

import os

import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from legacy_dnn import summaries
from legacy_dnn import training
from test_training import small_config


def read(run_dir, split):
  accumulator = event_accumulator.EventAccumulator(
      os.path.join(run_dir, split),
      size_guidance={event_accumulator.HISTOGRAMS: 0})
  accumulator.Reload()
  return accumulator


def test_train_and_validation_curves_share_tags(tmp_path, dataset_dir):
  result = training.train(small_config(tmp_path, dataset_dir, epochs=3))
  train, validation = (read(result.run_dir, 'train'),
                       read(result.run_dir, 'validation'))
  for accumulator in (train, validation):
    assert sorted(accumulator.Tags()['scalars']) == ['accuracy', 'loss']
    for tag in ('loss', 'accuracy'):
      assert [e.step for e in accumulator.Scalars(tag)] == [1, 2, 3]
  assert sorted(train.Tags()['histograms']) == sorted(
      '%s/%s' % (layer, part) for layer in ('hidden1', 'hidden2', 'outputs')
      for part in ('kernel', 'bias'))
  assert [e.step for e in train.Histograms('hidden1/kernel')] == [1, 2, 3]
  assert train.Tags()['graph'] and not validation.Tags()['graph']
  assert not validation.Tags()['histograms']
  final_accuracy = validation.Scalars('accuracy')[-1].value
  assert 0.0 < final_accuracy <= 1.0


def test_resumed_run_writes_into_its_first_folder(tmp_path, dataset_dir):
  first = training.train(small_config(tmp_path, dataset_dir, epochs=2))
  second = training.train(small_config(tmp_path, dataset_dir, epochs=3))
  assert second.run_dir == first.run_dir
  assert os.listdir(str(tmp_path / 'logs')) == [os.path.basename(
      first.run_dir)]
  validation = read(first.run_dir, 'validation')
  assert [e.step for e in validation.Scalars('loss')] == [1, 2, 3]
  # The graph is written by the first process only.
  assert len(os.listdir(os.path.join(first.run_dir, 'train'))) == 2


def test_writers_opened_in_the_same_second_keep_both_files(tmp_path):
  """TensorFlow names event files by the second; a quick resume must not
  overwrite the file of the process before it."""
  run_dir = str(tmp_path / 'run')
  with tf.Graph().as_default():
    first = summaries.Writers(run_dir, 1)
    for step in (1, 2, 3):
      first.scalars(summaries.VALIDATION, step, 1.0 / step, 0.5)
    first.close()
    second = summaries.Writers(run_dir, 3)
    second.scalars(summaries.VALIDATION, 3, 0.25, 0.75)
    second.close()
  validation = read(run_dir, 'validation')
  assert [(e.step, e.value) for e in validation.Scalars('loss')] == [
      (1, 1.0), (2, 0.5), (3, 0.25)]
