"""--trace_every: full traces of training steps for TensorBoard's Graph tab,
read back by the real `tensorboard` program."""

import contextlib
import io
import re
import urllib.parse

import pytest
import tensorflow as tf

from google.protobuf import text_format

from conftest import TensorBoard, error_lines, run_script, write_dataset
from legacy_dnn import config
from legacy_dnn import summaries
from legacy_dnn import training
from test_training import assert_same_tensors, checkpoint_tensors, small_config

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.

TRACE_EVERY = 7


def epoch_lines(out):
  """The epoch lines and what follows them, without their timings."""
  return [re.sub(r' \(\d+\.\d s\)', '', line) for line in out.splitlines()
          if line.startswith(('Epoch:', 'Best model:', 'Accuracy:', 'Label:',
                              'Prediction:'))]


@pytest.fixture(scope='module')
def traced_and_plain(tmp_path_factory):
  """The same batch norm network trained with and without traced steps:
  {'traced' or 'plain': (config, Result, what it printed)}."""
  root = tmp_path_factory.mktemp('tracing')
  data_dir = write_dataset(str(root / 'data'))
  runs = {}
  for name, trace_every in (('traced', TRACE_EVERY), ('plain', 0)):
    cfg = small_config(root / name, data_dir, 'batchnorm', epochs=2,
                       trace_every=trace_every)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
      result = training.train(cfg)
    runs[name] = (cfg, result, out.getvalue())
  return runs


@pytest.mark.slow
def test_traced_steps_change_no_bit(traced_and_plain):
  (traced, _, traced_lines), (plain, _, plain_lines) = (
      traced_and_plain['traced'], traced_and_plain['plain'])
  assert_same_tensors(checkpoint_tensors(traced.model_dir),
                      checkpoint_tensors(plain.model_dir))
  assert epoch_lines(traced_lines) == epoch_lines(plain_lines)
  assert len(epoch_lines(traced_lines)) == 6  # 2 epochs, the final lines.


@pytest.mark.slow
def test_tensorboard_lists_the_traced_steps_with_their_kernels(
    traced_and_plain):
  cfg, result, _ = traced_and_plain['traced']
  steps = 2 * (500 // cfg.batch_size)
  expected = {summaries.trace_tag(s) for s in range(TRACE_EVERY, steps + 1,
                                                     TRACE_EVERY)}
  assert expected == {'step7', 'step14'}
  run = '%s/%s' % (result.run_dir.split('/')[-1], summaries.TRAIN)
  with TensorBoard(cfg.logdir) as tensorboard:
    tensorboard.wait_for(
        lambda: set(tensorboard.get('plugin/graphs/info')[run]['tags']) ==
        expected, 'the traced steps')
    info = tensorboard.get('plugin/graphs/info')[run]
    assert info['run_graph']  # The Graph tab draws the graph itself too.
    assert all(info['tags'][tag]['profile'] for tag in expected)
    metadata = tf.compat.v1.RunMetadata()
    text_format.Parse(tensorboard.read(
        'plugin/graphs/run_metadata?' + urllib.parse.urlencode(
            {'run': run, 'tag': 'step14'})).decode(), metadata)
  nodes = {node.node_name for device in metadata.step_stats.dev_stats
           for node in device.node_stats}
  # The step's own kernels, with their times: a matmul, batch norm's
  # moments, the optimizer's update.
  assert {'dnn/hidden1/MatMul', 'dnn/batch_normalization/moments/mean',
          'train/Adam/update_hidden1/kernel/ResourceApplyAdam'} <= nodes, (
              sorted(nodes))
  assert any(node.all_end_rel_micros > 0
             for device in metadata.step_stats.dev_stats
             for node in device.node_stats)


def test_traced_steps_are_not_run_settings():
  assert (config.for_variant('homl', trace_every=100).settings() ==
          config.for_variant('homl').settings())


def test_a_cluster_task_does_not_trace(tmp_path):
  result = run_script('train.py', '--trace_every=10', '--job_name=worker',
                      '--ps_hosts=localhost:1', '--worker_hosts=localhost:2',
                      '--model_dir=%s' % (tmp_path / 'm'))
  assert result.returncode == 2
  assert error_lines(result.stderr) == [
      'train.py: error: --trace_every traces a single process\'s steps; a '
      'cluster task does not trace (see --help)']
