"""SavedModels we did not build are checked before any of their ops runs:
untrusted.py, evaluation.load_export and predict.py --saved_model."""

import gc
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.saved_model import loader_impl

from conftest import error_lines, run_script
from legacy_dnn import config
from legacy_dnn import evaluation
from legacy_dnn import savedmodel
from legacy_dnn import presets
from legacy_dnn import untrusted
from test_images import stroke

# The ops a TF1-era export holds that ours, with resource variables, do not.
REFERENCE_VARIABLE_OPS = {'Assign', 'IsVariableInitialized', 'VariableV2'}


def fresh_checkpoint(cfg, folder):
  """A checkpoint of cfg's network with its initial weights."""
  graph, _, _, variables = savedmodel.inference_graph(cfg)
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(tf.compat.v1.variables_initializer(variables))
    with graph.as_default():
      return tf.compat.v1.train.Saver(variables).save(
          sess, os.path.join(folder, 'initial'))


def meta_graph_of(version_dir):
  return loader_impl.SavedModelLoader(version_dir).get_meta_graph_def_from_tags(
      [savedmodel.TAG])


def op_types(meta_graph):
  return {n.op for n in meta_graph.graph_def.node} | {
      n.op for f in meta_graph.graph_def.library.function for n in f.node_def}


@pytest.mark.slow
def test_every_presets_own_export_passes_and_needs_every_allowed_op(tmp_path):
  held = set()
  for variant in sorted(presets.PRESETS):
    folder = str(tmp_path / variant)
    cfg = config.for_variant(variant, model_dir=folder)
    version = savedmodel.export(cfg, fresh_checkpoint(cfg, folder),
                            os.path.join(folder, 'serving'))
    meta_graph = meta_graph_of(version)
    untrusted.check_meta_graph(meta_graph, variant, savedmodel.SIGNATURE)
    held |= op_types(meta_graph)
    # Every export's Saver can write a checkpoint; nothing that loading or
    # serving runs depends on it.
    assert untrusted.SAVE_OPS & op_types(meta_graph)
  # The list holds nothing that our exports do not need, but for a TF1-era
  # export's reference variables and what our earlier exports held.
  assert untrusted.EARLIER_EXPORT_OPS <= untrusted.ALLOWED_OPS
  assert untrusted.ALLOWED_OPS - held == (REFERENCE_VARIABLE_OPS |
                                          untrusted.EARLIER_EXPORT_OPS)
  assert held - untrusted.ALLOWED_OPS == {'SaveV2', 'MergeV2Checkpoints'}


def hostile_export(folder, dangerous, on_load=False):
  """A SavedModel with our classifier's signature and description, whose
  probabilities depend on the ops dangerous() makes (or, with on_load,
  whose init op, run as it loads, is them); returns its version folder."""
  version = os.path.join(folder, '1')
  with tf.Graph().as_default():
    images = tf.compat.v1.placeholder(tf.float32, [None, 784], name='images')
    # Initialized as ours are, so that only dangerous() is foreign; seeded,
    # as op determinism (on once any test in the process trained) demands.
    kernel = tf.compat.v1.get_variable(
        'outputs/kernel', [784, 10],
        initializer=tf.compat.v1.random_uniform_initializer(seed=1))
    ops = dangerous()
    with tf.control_dependencies([] if on_load else ops):
      probabilities = tf.nn.softmax(tf.matmul(images, kernel))
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      builder = tf.compat.v1.saved_model.Builder(version)
      builder.add_meta_graph_and_variables(
          sess, [savedmodel.TAG], signature_def_map={
              savedmodel.SIGNATURE:
                  tf.compat.v1.saved_model.predict_signature_def(
                      inputs={savedmodel.INPUTS: images},
                      outputs={savedmodel.PROBABILITIES: probabilities})},
          main_op=tf.group(*ops) if on_load else None)
      builder.save()
  os.makedirs(os.path.join(version, savedmodel.EXTRA_DIR))
  with open(os.path.join(version, savedmodel.EXTRA_DIR,
                         savedmodel.DESCRIPTION_FILE), 'w') as f:
    json.dump({'variant': 'homl', 'dataset': 'mnist'}, f)
  return version


def write_file(path):
  return lambda: [tf.io.write_file(path, 'written by a model')]


def save_v2(path):
  def ops():
    weights = tf.constant([1.0])
    return [tf.raw_ops.SaveV2(prefix=path, tensor_names=['w'],
                              shape_and_slices=[''], tensors=[weights])]
  return ops


# TensorFlow's registry of py_func callbacks holds them weakly, for as long
# as the graph that made them lives; the trusted load of a model, after that
# graph is gone, finds its callback only while this holds it.
_CALLBACKS = []


def py_func(path):
  def write():
    with open(path, 'w') as f:
      f.write('written by a Python function')
    return 0
  _CALLBACKS.append(write)
  return lambda: [tf.compat.v1.py_func(write, [], tf.int64)]


def print_to(path):
  return lambda: [tf.print('written by a model',
                           output_stream='file://' + path)]


def dataset_ops():
  return [tf.raw_ops.RangeDataset(start=0, stop=3, step=1,
                                  output_types=[tf.int64],
                                  output_shapes=[[]])]


def queue_ops():
  queue = tf.queue.FIFOQueue(3, tf.float32)
  return [queue.enqueue(1.0)]


# (name, maker of the ops given the path they would write, on_load, the op
# the refusal names, whether the ops write the path).
HOSTILE = [
    ('write_file', write_file, False, 'WriteFile', True),
    ('write_file_on_load', write_file, True, 'WriteFile', True),
    ('save_v2', save_v2, False, 'SaveV2', True),
    ('py_func', py_func, False, 'PyFunc', True),
    # tf.print's first op, which formats what PrintV2 then writes.
    ('print_to_file', print_to, False, 'StringFormat', True),
    ('read_file', lambda p: lambda: [tf.io.read_file(__file__)], False,
     'ReadFile', False),
    ('matching_files', lambda p: lambda: [tf.io.matching_files('/etc/*')],
     False, 'MatchingFiles', False),
    ('dataset', lambda p: dataset_ops, False, 'RangeDataset', False),
    ('queue', lambda p: queue_ops, False, 'FIFOQueueV2', False),
]


@pytest.mark.parametrize('name, maker, on_load, op, writes', HOSTILE,
                         ids=[h[0] for h in HOSTILE])
def test_a_hostile_saved_model_is_refused_and_writes_nothing(
    tmp_path, name, maker, on_load, op, writes):
  target = str(tmp_path / 'written')
  version = hostile_export(str(tmp_path / name), maker(target), on_load)
  with pytest.raises(untrusted.UntrustedGraphError) as e:
    evaluation.load_export(version)
  message = str(e.value)
  assert message.startswith('--saved_model=%s: ' % version)
  assert message.endswith('; pass --trust_model only if you trust where it '
                          'came from: loading a model runs its graph')
  assert '\n' not in message
  assert ' a %s op ' % op in message, message
  written = lambda: [p for p in os.listdir(tmp_path)
                     if p.startswith('written')]
  assert not written()
  if writes:  # What the refusal kept from happening.
    gc.collect()  # The graph that built the model is gone, always.
    served = evaluation.load_export(version, trust=True)
    try:
      served.predict(np.zeros((1, 784), np.float32))
    finally:
      served.close()
    assert written()


def test_a_save_op_that_serving_runs_is_named_as_writing_files(tmp_path):
  version = hostile_export(str(tmp_path), save_v2(str(tmp_path / 'w')))
  with pytest.raises(untrusted.UntrustedGraphError,
                     match=r'loading or serving it runs a SaveV2 op \(node '
                     r'SaveV2\), which writes files'):
    evaluation.load_export(version)


@pytest.mark.slow
@pytest.mark.parametrize('on_load', [False, True], ids=['serving', 'loading'])
def test_predict_refuses_a_model_that_writes_a_file_unless_trusted(
    tmp_path, on_load):
  target = str(tmp_path / 'written')
  version = hostile_export(str(tmp_path / 'serving'), write_file(target),
                           on_load)
  image = str(tmp_path / 'seven.png')
  with open(image, 'wb') as f:
    f.write(tf.io.encode_png(stroke()).numpy())
  refused = run_script('predict.py', '--saved_model=' + version, image)
  assert refused.returncode == 1
  assert error_lines(refused.stderr) == [
      'predict.py: error: --saved_model=%s: its graph holds a WriteFile op '
      '(node WriteFile), which no model of ours holds and which may read or '
      'write files or run code; pass --trust_model only if you trust where '
      'it came from: loading a model runs its graph' % version]
  assert refused.stdout == '' and not os.path.exists(target)
  # The file it refused is what the model really does when trusted.
  trusted = run_script('predict.py', '--saved_model=' + version,
                       '--trust_model', image)
  assert trusted.returncode == 0, trusted.stderr
  assert trusted.stdout.splitlines()[-1].startswith(image + ': ')
  with open(target) as f:
    assert f.read() == 'written by a model'
