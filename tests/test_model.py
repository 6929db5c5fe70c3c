"""The graph: layer names, parameter counts, XOR, and TF1 checkpoint naming."""

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from legacy_dnn import config
from legacy_dnn import heads
from legacy_dnn import model
from legacy_dnn import presets
from legacy_dnn import shapes

PARAMETERS = {'plain': 269322, 'xavier': 269322, 'deep': 1195018,
              'dropout': 1195018, 'homl': 266610,
              # 784x512 + 3 x 512x512 + 512x10 kernels and a beta per unit.
              'batchnorm': 1195018,
              # 3x3x1x32 + 3x3x32x64 kernels, no conv bias; 7x7x64x10 + 10.
              'cnn': 50090,
              # + 3x3x64x128; 4x4x128x625 + 625; 625x10 + 10.
              'deep_cnn': 1379333,
              # 5x5x1x6+6, 5x5x6x16+16; 4x4x16x120+120; 120x10+10.
              'lenet': 34622,
              'small': 16640,
              # On 32x32x3: 2x2 convs of 98, 98, 256, 256 with biases; 6x6x256
              # after two VALID pools; 256; 10.
              'cifar_cnn': 2764918}


def _kernels_and_biases(*layers):
  return ['%s/%s' % (layer, part) for layer in layers
          for part in ('kernel', 'bias')]


def _batch_normalized(*layers):
  return [name for layer in layers for name in (
      layer + '/kernel', layer + '/batch_normalization/beta')]


NAMES = {
    'cnn': ['conv1/kernel', 'conv2/kernel', 'outputs/kernel', 'outputs/bias'],
    'deep_cnn': ['conv1/kernel', 'conv2/kernel', 'conv3/kernel'] +
                _kernels_and_biases('hidden1', 'outputs'),
    'batchnorm': _batch_normalized('hidden1', 'hidden2', 'hidden3', 'hidden4',
                                   'outputs'),
    'lenet': _kernels_and_biases('conv1', 'conv2', 'hidden1', 'outputs'),
    'cifar_cnn': _kernels_and_biases('conv1', 'conv2', 'conv3', 'conv4',
                                     'hidden1', 'outputs'),
}


CLASSIFIERS = sorted(v for v, p in presets.PRESETS.items()
                     if p.head == presets.CLASSES)


@pytest.mark.parametrize('variant', CLASSIFIERS)
def test_trainable_parameters_and_names(variant):
  cfg = config.for_variant(variant)
  with tf.Graph().as_default():
    m = model.build(cfg)
    variables = tf.compat.v1.trainable_variables()
    assert shapes.parameter_count(variables) == PARAMETERS[variant]
    layers = ['hidden%d' % (i + 1) for i in range(len(cfg.hidden_units))]
    assert [v.op.name for v in variables] == NAMES.get(
        variant, _kernels_and_biases(*layers, 'outputs'))
    assert m.X.op.name == 'X' and m.y.op.name == 'y'
    assert m.outputs.op.name.startswith('dnn/')
    assert m.loss.op.name == 'loss/loss'
    assert m.metric.op.name == 'eval/accuracy'
    assert m.train_op.name.startswith('train/')
    assert m.outputs.shape.as_list() == [None, 10]
    assert m.X.shape.as_list() == (
        [None, 32, 32, 3] if variant == 'cifar_cnn' else [None, 784])


REGRESSORS = {
    # 8x30 + 30, 30x1 + 1.
    'regression': (301, _kernels_and_biases('hidden1', 'outputs'),
                   {'X': [None, 8]}),
    # 6x30 + 30, 30x30 + 30; aux 30x1 + 1; main (5 + 30)x1 + 1.
    'wide_deep': (1207, _kernels_and_biases('hidden1', 'hidden2',
                                            'aux_output', 'main_output'),
                  {'wide_input': [None, 5], 'deep_input': [None, 6]}),
    'cosine': (6, _kernels_and_biases('outputs'), {'X': [None, 5]}),
}


@pytest.mark.parametrize('variant', sorted(REGRESSORS))
def test_regressors_parameters_names_and_inputs(variant):
  count, names, inputs = REGRESSORS[variant]
  cfg = config.for_variant(variant)
  with tf.Graph().as_default():
    m = model.build(cfg)
    variables = tf.compat.v1.trainable_variables()
    assert shapes.parameter_count(variables) == count
    assert [v.op.name for v in variables] == names
    assert {p.op.name: p.shape.as_list() for p, _, _ in m.inputs} == inputs
    assert (m.X is None) == (variant == 'wide_deep')
    assert m.y.dtype == tf.float32 and m.outputs.shape.as_list() == [None, 1]
    scaler = [v.op.name for v in model.network_variables()
              if v.op.name.startswith('scaler/')]
    # Housing's features are standardized in the graph; the cosines are not.
    assert scaler == ([] if variant == 'cosine' else
                      ['scaler/mean', 'scaler/stddev'])
    assert not set(scaler) & {v.op.name for v in variables}
    assert bool(m.head_losses) == (variant == 'wide_deep')


def test_batch_norm_keeps_moving_averages_outside_the_trainables():
  with tf.Graph().as_default():
    model.build(config.for_variant('batchnorm'))
    averages = [v.op.name for v in tf.compat.v1.global_variables()
                if 'moving' in v.op.name]
    assert averages == [
        '%s/batch_normalization/%s' % (layer, name)
        for layer in ('hidden1', 'hidden2', 'hidden3', 'hidden4', 'outputs')
        for name in ('moving_mean', 'moving_variance')]
    assert [v.op.name for v in model.network_variables()][-10:] == averages


def test_optimizer_follows_the_preset():
  def optimizer_ops(variant):
    with tf.Graph().as_default() as g:
      model.build(config.for_variant(variant))
      return {op.type for op in g.get_operations()}
  assert 'ResourceApplyAdam' in optimizer_ops('dropout')
  assert 'ResourceApplyGradientDescent' in optimizer_ops('homl')
  assert 'ResourceApplyAdam' not in optimizer_ops('homl')


def test_dropout_only_where_the_preset_asks():
  def dropout_ops(variant):
    with tf.Graph().as_default() as g:
      model.build(config.for_variant(variant))
      return [op for op in g.get_operations()
              if op.type.startswith('StatelessRandomUniform')]
  assert len(dropout_ops('dropout')) == 1  # One draw for all four layers.
  assert not dropout_ops('deep')


def _session_with(cfg):
  graph = tf.Graph()
  with graph.as_default():
    m = model.build(cfg)
    init = tf.compat.v1.global_variables_initializer()
  sess = tf.compat.v1.Session(graph=graph)
  sess.run(init)
  return sess, m


def test_dropout_is_a_function_of_the_global_step():
  sess, m = _session_with(config.for_variant('dropout', seed=3))
  x = np.random.default_rng(0).random((4, 784), dtype=np.float32)
  feed = {m.X: x, m.keep_prob: 0.7}
  first, again = sess.run(m.outputs, feed), sess.run(m.outputs, feed)
  np.testing.assert_array_equal(first, again)
  with sess.graph.as_default():
    sess.run(m.global_step.assign(5))
  assert not np.array_equal(first, sess.run(m.outputs, feed))
  evaluation = sess.run(m.outputs, {m.X: x})
  np.testing.assert_array_equal(evaluation, sess.run(m.outputs, {m.X: x}))
  assert not np.array_equal(evaluation, first)


def test_initializers_are_seeded():
  def kernel(seed):
    sess, _ = _session_with(config.for_variant('plain', seed=seed))
    with sess.graph.as_default():
      var = [v for v in tf.compat.v1.trainable_variables()
             if v.op.name == 'hidden1/kernel'][0]
    return sess.run(var)
  a, b, c = kernel(1), kernel(1), kernel(2)
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)
  assert abs(a.std() - 1.0) < 0.01  # random_normal, stddev 1, as the lab.


def test_two_layer_network_learns_xor():
  graph = tf.Graph()
  with graph.as_default():
    tf.compat.v1.set_random_seed(0)
    X = tf.compat.v1.placeholder(tf.float32, [None, 2])
    y = tf.compat.v1.placeholder(tf.int64, [None])
    hidden = model.dense(X, 8, 'hidden1',
                         tf.compat.v1.glorot_uniform_initializer(seed=1),
                         tf.compat.v1.zeros_initializer(), tf.nn.relu)
    logits = model.dense(hidden, 2, 'outputs',
                         tf.compat.v1.glorot_uniform_initializer(seed=2),
                         tf.compat.v1.zeros_initializer())
    loss = heads.softmax_cross_entropy(logits, y)
    step = tf.compat.v1.train.GradientDescentOptimizer(0.5).minimize(loss)
    accuracy = heads.accuracy(logits, y)
    init = tf.compat.v1.global_variables_initializer()
  x_data = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
  y_data = np.array([0, 1, 1, 0])
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(init)
    for _ in range(2000):
      sess.run(step, {X: x_data, y: y_data})
    assert sess.run(accuracy, {X: x_data, y: y_data}) == 1.0


LEGACY_SCRIPT = textwrap.dedent('''
    import os, sys
    import numpy as np
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    X = tf.compat.v1.placeholder(tf.float32, [None, 784], name='X')
    with tf.name_scope('dnn'):
      h = X
      for i, units in enumerate(%(hidden)r):
        h = tf.compat.v1.layers.dense(h, units, activation=tf.nn.relu,
                                      name='hidden%%d' %% (i + 1),
                                      bias_initializer=tf.random_normal_initializer())
      logits = tf.compat.v1.layers.dense(h, 10, name='outputs')
    saver = tf.compat.v1.train.Saver()
    x = np.random.default_rng(7).random((5, 784), dtype=np.float32)
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      np.save(sys.argv[2], sess.run(logits, {X: x}))
      saver.save(sess, sys.argv[1])
''')


@pytest.mark.slow
def test_checkpoint_of_real_layers_dense_restores_without_renaming(tmp_path):
  """Our names are tf.compat.v1.layers.dense's: prove it with the real one.

  tf.compat.v1.layers needs Keras 2, so the checkpoint is written in a
  subprocess with tf-keras and TF_USE_LEGACY_KERAS=1.
  """
  cfg = config.for_variant('deep')
  prefix, logits_file = str(tmp_path / 'legacy.ckpt'), str(tmp_path / 'l.npy')
  env = dict(os.environ, TF_USE_LEGACY_KERAS='1', TF_CPP_MIN_LOG_LEVEL='2')
  subprocess.run(
      [sys.executable, '-c', LEGACY_SCRIPT % {'hidden': cfg.hidden_units},
       prefix, logits_file], env=env, check=True, timeout=300)
  _assert_restores_to_logits(prefix, logits_file, cfg,
                             tf.compat.v1.trainable_variables, rtol=1e-5)


def _assert_restores_to_logits(prefix, logits_file, cfg, variables, rtol):
  """Our graph for cfg restores exactly the checkpoint's variables, with no
  renaming, and gives the logits the real layers saved for the same input.

  variables: () -> the variables of our graph that the checkpoint holds.
  """
  expected = np.load(logits_file)
  reader = tf.train.load_checkpoint(prefix)
  with tf.Graph().as_default() as graph:
    m = model.build(cfg)
    restored = variables()
    assert sorted(v.op.name for v in restored) == sorted(
        reader.get_variable_to_shape_map())
    saver = tf.compat.v1.train.Saver(restored)
  with tf.compat.v1.Session(graph=graph) as sess:
    saver.restore(sess, prefix)
    x = np.random.default_rng(7).random((5, 784), dtype=np.float32)
    np.testing.assert_allclose(sess.run(m.outputs, {m.X: x}), expected,
                               rtol=rtol, atol=1e-5)


LEGACY_LAYERS_SCRIPT = textwrap.dedent('''
    import json, sys
    import numpy as np
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    layers = tf.compat.v1.layers
    spec, image_shape = json.loads(sys.argv[3]), json.loads(sys.argv[4])
    X = tf.compat.v1.placeholder(tf.float32, [None, 784], name='X')
    h = tf.reshape(X, [-1] + image_shape)
    for kind, scope, args in spec:
      if kind == 'conv':
        filters, size, padding, bias = args
        h = layers.conv2d(h, filters, size, padding=padding, use_bias=bias,
                          name=scope)
      elif kind == 'pool':
        h = layers.max_pooling2d(h, 2, 2, padding=args[0])
      elif kind == 'dense':
        units, bias = args
        if h.shape.rank > 2:
          h = layers.flatten(h)
        h = layers.dense(h, units, use_bias=bias, name=scope)
      elif kind == 'batch_norm':
        momentum, scale = args
        with tf.compat.v1.variable_scope(scope):
          h = layers.batch_normalization(h, momentum=momentum, scale=scale,
                                         training=False)
      elif kind == 'relu':
        h = tf.nn.relu(h)
    rng = np.random.default_rng(5)
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      for v in tf.compat.v1.global_variables():
        value = rng.normal(0, 0.1, v.shape.as_list())
        if 'moving_variance' in v.op.name:
          value = np.abs(value) + 0.5  # A variance, and not the initial 1.
        sess.run(v.assign(value.astype(np.float32)))
      x = np.random.default_rng(7).random((5, 784), dtype=np.float32)
      np.save(sys.argv[2], sess.run(h, {X: x}))
      tf.compat.v1.train.Saver().save(sess, sys.argv[1])
''')


def _legacy_spec(cfg):
  """cfg's layers as the arguments of tf.compat.v1.layers' functions."""
  spec = []
  for layer in presets.layers(cfg):
    args = {
        presets.CONV: [layer.size, cfg.kernel_size, cfg.conv_padding.lower(),
                       cfg.conv_bias_init is not None],
        presets.POOL: [cfg.pool_padding.lower()],
        presets.DENSE: [layer.size, cfg.bias_init is not None],
        presets.BATCH_NORM: [cfg.batch_norm_decay, cfg.batch_norm_scale],
    }.get(layer.kind, [])
    spec.append([layer.kind, layer.scope, args])
  return spec


@pytest.mark.slow
@pytest.mark.parametrize('variant', ['deep_cnn', 'lenet', 'batchnorm'])
def test_checkpoint_of_real_conv2d_and_batch_norm_restores(variant, tmp_path):
  """conv2d, max_pooling2d and batch_normalization of tf.compat.v1.layers
  name their variables as ours do, and compute the same logits from them:
  batch norm in inference, with moving averages that are not the initial
  ones."""
  cfg = config.for_variant(variant)
  prefix, logits_file = str(tmp_path / 'legacy.ckpt'), str(tmp_path / 'l.npy')
  env = dict(os.environ, TF_USE_LEGACY_KERAS='1', TF_CPP_MIN_LOG_LEVEL='2')
  subprocess.run(
      [sys.executable, '-c', LEGACY_LAYERS_SCRIPT, prefix, logits_file,
       json.dumps(_legacy_spec(cfg)), json.dumps([28, 28, 1])],
      env=env, check=True, timeout=300)
  # As evaluation builds it: no dropout, which reads the global step.
  _assert_restores_to_logits(prefix, logits_file,
                             dataclasses.replace(cfg, keep_prob=1.0),
                             model.network_variables, rtol=1e-4)


def test_dropout_masks_keep_about_keep_prob_and_scale():
  with tf.Graph().as_default() as graph:
    masks = model.dropout_masks(tf.constant(1000), (512, 300), 0.7,
                                tf.constant([3, 4], tf.int64))
    everything = model.dropout_masks(tf.constant(10), (512,), 1.0,
                                     tf.constant([3, 4], tf.int64))
  with tf.compat.v1.Session(graph=graph) as sess:
    values, ones = sess.run([masks, everything])
  assert values.shape == (2, 1000, 512)
  assert set(np.unique(values)) == {0.0, np.float32(1 / 0.7)}
  assert abs((values > 0).mean() - 0.7) < 0.005
  assert not np.array_equal(values[0], values[1])
  np.testing.assert_array_equal(ones, 1.0)


def test_loss_is_the_fused_op_with_the_public_apis_values():
  tf.config.experimental.enable_op_determinism()
  rng = np.random.default_rng(0)
  logits_value = rng.normal(0, 5, (64, 10)).astype(np.float32)
  labels_value = rng.integers(0, 10, 64)
  with tf.Graph().as_default() as graph:
    logits = tf.constant(logits_value)
    labels = tf.constant(labels_value)
    ours = heads.softmax_cross_entropy(logits, labels)
    public = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits))
    ours_grad, = tf.gradients(ours, logits)
    public_grad, = tf.gradients(public, logits)
  op_types = [op.type for op in graph.get_operations()
              if op.name.startswith('loss/')]
  # Determinism made the public API fall back to log-softmax and a gather.
  assert op_types.count('SparseSoftmaxCrossEntropyWithLogits') == 1
  assert 'GatherV2' not in op_types
  with tf.compat.v1.Session(graph=graph) as sess:
    values = sess.run([ours, public, ours_grad, public_grad])
  np.testing.assert_allclose(values[0], values[1], rtol=1e-6)
  np.testing.assert_allclose(values[2], values[3], rtol=1e-5, atol=1e-8)
