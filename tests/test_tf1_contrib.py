"""tf.contrib.layers, arg_scope and seq2seq.sequence_loss of TF 1.15
(legacy_dnn.tf1.contrib).

No TensorFlow that runs tf.contrib installs on today's Python, and tf-slim
fails on TensorFlow 2.21, so these check TF 1.15's documented behaviour:
variable names and collections, the initializers' ranges, the regularizers'
values, batch_norm's moving averages in both of its update modes,
arg_scope's defaults, and sequence_loss's reductions against numpy. Each graph is built in a tf.Graph of its own, seeded:
op determinism, which any test that trains in this process turns on, refuses
a random op with no seed.
"""

import contextlib
import math

import numpy as np
import pytest
import tensorflow as tf

from legacy_dnn.tf1 import removed
from legacy_dnn.tf1.contrib import framework
from legacy_dnn.tf1.contrib import layers

v1 = tf.compat.v1
GLOBAL, TRAINABLE, MODEL, UPDATE_OPS = (
    v1.GraphKeys.GLOBAL_VARIABLES, v1.GraphKeys.TRAINABLE_VARIABLES,
    v1.GraphKeys.MODEL_VARIABLES, v1.GraphKeys.UPDATE_OPS)


@contextlib.contextmanager
def graph():
  with tf.Graph().as_default() as g:
    v1.set_random_seed(0)
    yield g


def names(key):
  return [v.op.name for v in v1.get_collection(key)]


def test_fully_connected_names_and_collections_are_contribs():
  with graph():
    x = v1.placeholder(tf.float32, [None, 4])
    h = layers.fully_connected(x, 3)
    layers.fully_connected(h, 2, scope='out', variables_collections=['mine'],
                           activation_fn=None)
    layers.fully_connected(h, 2, normalizer_fn=layers.batch_norm)
    expected = ['fully_connected/weights', 'fully_connected/biases',
                'out/weights', 'out/biases',
                # With a normalizer_fn, no biases.
                'fully_connected_1/weights', 'fully_connected_1/BatchNorm/beta',
                'fully_connected_1/BatchNorm/moving_mean',
                'fully_connected_1/BatchNorm/moving_variance']
    assert names(GLOBAL) == expected
    assert names(MODEL) == expected
    assert names(TRAINABLE) == [n for n in expected if 'moving' not in n]
    assert names('mine') == ['out/weights', 'out/biases']
    # relu by default: no negative output.
    assert h.op.type == 'Relu'


def test_xavier_and_variance_scaling_draw_within_tf1s_limits():
  with graph():
    uniform = v1.get_variable('u', [300, 100],
                              initializer=layers.xavier_initializer(seed=1))
    normal = v1.get_variable(
        'n', [3, 3, 16, 32],
        initializer=layers.variance_scaling_initializer(seed=2))
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      u, n = sess.run([uniform, normal])
  limit = math.sqrt(6.0 / (300 + 100))  # sqrt(3 * 1 / ((300 + 100) / 2))
  assert np.abs(u).max() <= limit and np.abs(u).max() > 0.99 * limit
  # Truncated normal of stddev sqrt(1.3 * 2 / fan_in), fan_in = 3 * 3 * 16:
  # within two of its stddevs, and as wide as a truncated normal is.
  stddev = math.sqrt(1.3 * 2.0 / (3 * 3 * 16))
  assert np.abs(n).max() <= 2 * stddev
  assert 0.8 * stddev < n.std() < 0.95 * stddev


def test_regularizers_compute_tf1s_values_and_refuse_a_negative_scale():
  w = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
  with graph():
    l2 = layers.l2_regularizer(0.1)(tf.constant(w))
    l1 = layers.l1_regularizer(0.1)(tf.constant(w))
    with v1.Session() as sess:
      assert sess.run(l2) == pytest.approx(0.1 * (w ** 2).sum() / 2)
      assert sess.run(l1) == pytest.approx(0.1 * np.abs(w).sum())
  assert layers.l2_regularizer(0.0)(None) is None
  with pytest.raises(ValueError, match='less than 0'):
    layers.l2_regularizer(-1.0)


@pytest.mark.parametrize('shape, updates', [
    ((32, 5), None), ((32, 5), UPDATE_OPS), ((8, 4, 4, 5), None),
    ((8, 4, 4, 5), UPDATE_OPS)])
def test_batch_norm_moving_averages_follow_tf1(shape, updates):
  x = np.random.default_rng(0).normal(3.0, 2.0, shape).astype(np.float32)
  with graph():
    inputs = tf.constant(x)
    training = v1.placeholder(tf.bool, [])
    outputs = layers.batch_norm(inputs, decay=0.9, is_training=training,
                                updates_collections=updates)
    updates_ops = v1.get_collection(UPDATE_OPS)
    assert len(updates_ops) == (2 if updates else 0)
    variables = {v.op.name: v for v in v1.global_variables()}
    mean, variance = (variables['BatchNorm/' + n]
                      for n in ('moving_mean', 'moving_variance'))
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      sess.run([outputs] + updates_ops, {training: True})
      m, v = sess.run([mean, variance])
      # Not training: no update, and the moving averages normalize.
      evaluated = sess.run([outputs] + updates_ops, {training: False})[0]
      assert np.array_equal(sess.run(mean), m)
  axes = tuple(range(len(shape) - 1))
  n = x.size / 5
  np.testing.assert_allclose(m, 0.1 * x.mean(axes), rtol=1e-4)
  # The fused kernel's variance has Bessel's correction, as TF1's had, and
  # contrib's fused path fed it to the moving variance as it was.
  np.testing.assert_allclose(v, 0.9 + 0.1 * x.var(axes) * n / (n - 1),
                             rtol=1e-4)
  np.testing.assert_allclose(evaluated, (x - m) / np.sqrt(v + 1e-3),
                             rtol=1e-4, atol=1e-4)


def test_batch_norm_refuses_what_is_not_provided_in_one_line():
  with graph():
    with pytest.raises(removed.NotProvidedError,
                       match=r'^tf.contrib.layers.batch_norm\(renorm=...\) '
                             r'is not available'):
      layers.batch_norm(tf.zeros([2, 3]), renorm=True)


def test_dropout_keeps_keep_prob_only_while_training_and_flatten_flattens():
  with graph():
    x = tf.ones([1000, 10])
    training = v1.placeholder(tf.bool, [])
    dropped = layers.dropout(x, keep_prob=0.7, is_training=training, seed=3)
    flat = layers.flatten(tf.zeros([2, 3, 4, 5]))
    assert flat.shape.as_list() == [2, 60]
    with v1.Session() as sess:
      on, off = (sess.run(dropped, {training: t}) for t in (True, False))
  assert set(np.unique(on)) == {0.0, np.float32(1 / 0.7)}
  assert 0.68 < (on > 0).mean() < 0.72
  assert (off == 1).all()


def test_arg_scope_gives_defaults_that_calls_and_inner_scopes_override():
  with graph():
    x = v1.placeholder(tf.float32, [None, 4])
    with framework.arg_scope([layers.fully_connected], activation_fn=None,
                             biases_initializer=None) as outer:
      a = layers.fully_connected(x, 3, scope='a')
      with framework.arg_scope([layers.fully_connected],
                               activation_fn=tf.nn.relu):
        b = layers.fully_connected(x, 3, scope='b')
      c = layers.fully_connected(x, 3, scope='c', activation_fn=tf.nn.tanh)
    with framework.arg_scope(outer):
      d = layers.fully_connected(x, 3, scope='d')
    e = layers.fully_connected(x, 3, scope='e')
    assert [t.op.type for t in (a, b, c, d, e)] == [
        'MatMul', 'Relu', 'Tanh', 'MatMul', 'Relu']
    # biases_initializer=None held in every scope: no biases but e's.
    assert [n for n in names(GLOBAL) if n.endswith('biases')] == ['e/biases']
  assert framework.has_arg_scope(layers.batch_norm)
  assert 'keep_prob' in framework.arg_scoped_arguments(layers.dropout)
  with pytest.raises(ValueError, match='not decorated with @add_arg_scope'):
    with framework.arg_scope([tf.nn.relu], name='x'):
      pass


def test_contrib_parts_not_provided_name_their_replacement():
  from legacy_dnn.tf1 import contrib  # pylint: disable=import-outside-toplevel
  with pytest.raises(removed.NotProvidedError,
                     match=r'^tf.contrib.slim is not available .* use '
                           r'tf.contrib.layers'):
    contrib.slim  # pylint: disable=pointless-statement
  with pytest.raises(removed.NotProvidedError,
                     match=r'^tf.contrib.layers.linear .* use '
                           r'fully_connected\(\.\.\., activation_fn=None\)$'):
    layers.linear  # pylint: disable=pointless-statement
  assert not hasattr(contrib, 'opt')  # An AttributeError, for hasattr.
  # TF 1.5's eager API: TensorFlow 2's default, outside the runner.
  with pytest.raises(removed.NotProvidedError,
                     match=r'^tf.contrib.eager .* use TensorFlow 2\'s eager '
                           r'mode, which is its default: run the script with '
                           r'plain python'):
    contrib.eager  # pylint: disable=pointless-statement


def _sequence_loss_by_hand(logits, targets, weights):
  """Each step's softmax cross-entropy times its weight, [batch, time]."""
  shifted = logits - logits.max(axis=2, keepdims=True)
  log_softmax = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
  picked = np.take_along_axis(log_softmax, targets[..., None], 2)[..., 0]
  return -picked * weights


@pytest.mark.parametrize('options, reduce', [
    ({}, lambda c, w: c.sum() / w.sum()),
    ({'average_across_batch': False}, lambda c, w: c.sum(1) / w.sum(1)),
    ({'average_across_timesteps': False}, lambda c, w: c.sum(0) / w.sum(0)),
    ({'average_across_timesteps': False, 'average_across_batch': False},
     lambda c, w: c),
    ({'average_across_timesteps': False, 'average_across_batch': False,
      'sum_over_timesteps': True, 'sum_over_batch': True},
     lambda c, w: c.sum() / (w != 0).sum()),
    ({'average_across_timesteps': False, 'sum_over_timesteps': True},
     lambda c, w: c.sum(0) / w.sum(0)),
    ({'average_across_batch': False, 'average_across_timesteps': False,
      'sum_over_batch': True}, lambda c, w: c.sum(0) / (w != 0).sum(0)),
])
def test_sequence_loss_reduces_as_tf_1_15_documents(options, reduce):
  # tf.contrib.seq2seq.sequence_loss of TF 1.15: weighted cross-entropy,
  # averaged over the weights' sum, or summed over the count of non-zero
  # weights.
  from legacy_dnn.tf1.contrib import seq2seq  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(3)
  logits = rng.normal(size=(3, 4, 5)).astype(np.float32)
  targets = rng.integers(0, 5, (3, 4)).astype(np.int32)
  weights = rng.integers(0, 3, (3, 4)).astype(np.float32)
  weights[:, 0] = 1  # No step of all-zero weights (div_no_nan aside).
  with graph():
    loss = seq2seq.sequence_loss(tf.constant(logits), tf.constant(targets),
                                 tf.constant(weights), **options)
    with v1.Session() as sess:
      value = sess.run(loss)
  expected = reduce(_sequence_loss_by_hand(logits, targets, weights),
                    weights)
  np.testing.assert_allclose(value, expected, rtol=1e-5)


def test_sequence_loss_refuses_what_tf_1_15_refused():
  from legacy_dnn.tf1.contrib import seq2seq  # pylint: disable=g-import-not-at-top
  with graph():
    logits = tf.zeros([2, 3, 4])
    targets = tf.zeros([2, 3], tf.int32)
    weights = tf.ones([2, 3])
    with pytest.raises(ValueError, match=r'Logits must be a \[batch_size x '
                       r'sequence_length x logits\] tensor'):
      seq2seq.sequence_loss(logits[0], targets, weights)
    with pytest.raises(ValueError, match='Targets must be'):
      seq2seq.sequence_loss(logits, targets[0], weights)
    with pytest.raises(ValueError, match='average_across_timesteps and '
                       'sum_over_timesteps cannot be set to True'):
      seq2seq.sequence_loss(logits, targets, weights,
                            sum_over_timesteps=True)
    # All weights zero: 0, not NaN (div_no_nan).
    with v1.Session() as sess:
      assert sess.run(seq2seq.sequence_loss(logits, targets,
                                            tf.zeros([2, 3]))) == 0


def test_batch_normalization_fused_falls_back_where_the_kernel_cannot_run():
  # TF 1.15's tf.layers.batch_normalization(fused=True) on a 2-D input, or on
  # a 4-D one normalized along a non-channel axis, used the unfused ops.
  from legacy_dnn.tf1 import layers as core  # pylint: disable=g-import-not-at-top
  with graph():
    flat = v1.placeholder(tf.float32, [None, 4])
    image = v1.placeholder(tf.float32, [None, 5, 5, 3])
    ops = lambda: {op.type for op in v1.get_default_graph().get_operations()}
    core.batch_normalization(flat, fused=True, training=True)
    core.batch_normalization(image, axis=2, fused=True, training=True)
    assert not {t for t in ops() if t.startswith('FusedBatchNorm')}
    core.batch_normalization(image, fused=True, training=True)
    assert {t for t in ops() if t.startswith('FusedBatchNorm')}
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    out = core.batch_normalization(flat, fused=True, training=True,
                                   name='again')
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      np.testing.assert_allclose(sess.run(out, {flat: x}),
                                 (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3),
                                 rtol=1e-5)


@pytest.mark.parametrize('fused, updates_collections, rank', [
    (True, None, 4), (True, UPDATE_OPS, 2), (False, None, 2),
    (True, UPDATE_OPS, 4)])
def test_batch_norm_puts_param_regularizers_losses_on_every_path(
    fused, updates_collections, rank):
  # TF 1.15's contrib batch_norm: param_regularizers={'beta': f, 'gamma': g}
  # adds f(beta) and g(gamma) to REGULARIZATION_LOSSES, fused or not.
  with graph():
    x = v1.placeholder(tf.float32, [None, 3] if rank == 2 else
                       [None, 2, 2, 3])
    layers.batch_norm(
        x, scale=True, fused=fused, updates_collections=updates_collections,
        param_initializers={'beta': v1.constant_initializer(2.0),
                            'gamma': v1.constant_initializer(3.0)},
        param_regularizers={'beta': layers.l2_regularizer(0.5),
                            'gamma': layers.l1_regularizer(0.25)})
    losses = v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 2
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      # l2: 0.5 * sum(beta^2) / 2; l1: 0.25 * sum(|gamma|).
      assert sorted(sess.run(losses)) == pytest.approx(
          sorted([0.5 * 3 * 4.0 / 2, 0.25 * 3 * 3.0]))


def test_conv2d_is_tf_layers_conv_under_contribs_names():
  # contrib's conv2d of TF 1.15: scope Conv, weights and biases in
  # MODEL_VARIABLES, 'SAME' padding and relu by default; no biases before
  # a normalizer_fn; the same arithmetic as tf.layers.conv2d.
  with graph():
    x = v1.placeholder(tf.float32, [None, 5, 5, 2])
    y = layers.conv2d(x, 3, [3, 3])
    layers.conv2d(y, 4, 2, stride=2, padding='VALID', scope='down',
                  normalizer_fn=layers.batch_norm, variables_collections=['mine'])
    up = layers.conv2d_transpose(y, 2, 3, stride=2)
    assert names(GLOBAL) == [
        'Conv/weights', 'Conv/biases', 'down/weights', 'down/BatchNorm/beta',
        'down/BatchNorm/moving_mean', 'down/BatchNorm/moving_variance',
        'Conv2d_transpose/weights', 'Conv2d_transpose/biases']
    assert names(MODEL) == names(GLOBAL)
    assert names('mine') == ['down/weights']
    assert y.shape.as_list() == [None, 5, 5, 3]
    assert up.shape.as_list() == [None, 10, 10, 2]
    weights, biases = v1.global_variables()[:2]
    value = np.random.default_rng(0).normal(size=(4, 5, 5, 2)).astype(
        np.float32)
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      expected = tf.nn.relu(tf.nn.conv2d(value, weights, 1, 'SAME') + biases)
      got, want = sess.run([y, expected], {x: value})
      np.testing.assert_array_equal(got, want)
      assert (got >= 0).all() and (got > 0).any()


def test_the_pools_default_to_stride_2_valid():
  with graph():
    x = v1.placeholder(tf.float32, [None, 7, 7, 1])
    assert layers.max_pool2d(x, 2).shape.as_list() == [None, 3, 3, 1]
    assert layers.avg_pool2d(x, [3, 3], stride=1, padding='SAME').shape[1] == 7
    value = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    with v1.Session() as sess:
      got = sess.run([layers.max_pool2d(value, 2), layers.avg_pool2d(value, 2)])
    np.testing.assert_array_equal(got[0][0, :, :, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(got[1][0, :, :, 0],
                                  [[2.5, 4.5], [10.5, 12.5]])
    with pytest.raises(ValueError, match='data_format has to be either'):
      layers.max_pool2d(x, 2, data_format='NWHC')


def test_layer_norm_normalizes_each_example_as_tf_1_15_did():
  with graph():
    x = v1.placeholder(tf.float32, [None, 3, 4])
    y = layers.layer_norm(x)
    layers.layer_norm(x, begin_norm_axis=-1, center=False, scope='last',
                      variables_collections=['mine'])
    assert [(v.op.name, v.shape.as_list()) for v in v1.global_variables()
            ] == [('LayerNorm/beta', [4]), ('LayerNorm/gamma', [4]),
                  ('last/gamma', [4])]
    assert names(MODEL) == ['LayerNorm/beta', 'LayerNorm/gamma',
                            'last/gamma']
    assert names('mine') == ['last/gamma']
    beta, gamma = v1.global_variables()[:2]
    value = np.random.default_rng(1).normal(size=(2, 3, 4)).astype(
        np.float32)
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      beta.load(np.full(4, 0.5, np.float32), sess)
      gamma.load(np.arange(1, 5, dtype=np.float32), sess)
      got = sess.run(y, {x: value})
    mean = value.mean(axis=(1, 2), keepdims=True)
    std = np.sqrt(value.var(axis=(1, 2), keepdims=True) + 1e-12)
    np.testing.assert_allclose(got, (value - mean) / std * np.arange(1, 5)
                               + 0.5, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match='must be < rank'):
      layers.layer_norm(x, begin_norm_axis=3)


def test_summarize_functions_tag_as_tf_1_15_did():
  with graph():
    x = v1.placeholder(tf.float32, [None, 3])
    hidden = tf.nn.relu(x - 1.0, name='hidden')
    capped = tf.nn.relu6(x * 4.0, name='capped')
    loss = tf.reduce_mean(hidden, name='loss')
    v1.add_to_collection(v1.GraphKeys.ACTIVATIONS, hidden)
    v1.add_to_collection(v1.GraphKeys.ACTIVATIONS, capped)
    assert layers.summarize_tensor(tf.constant('text')) is None
    layers.summarize_tensors([loss, x])
    layers.summarize_activations(name_filter='hid')
    layers.summarize_activation(capped)
    merged = v1.summary.merge_all()
    value = np.array([[0.0, 1.5, 2.0], [3.0, 0.5, -1.0]], np.float32)
    with v1.Session() as sess:
      summary = v1.Summary.FromString(sess.run(merged, {x: value}))
  got = {v.tag: (v.simple_value if v.WhichOneof('value') == 'simple_value'
                 else 'histogram') for v in summary.value}
  assert got == {
      'loss_summary': pytest.approx(np.maximum(value - 1, 0).mean()),
      'Placeholder_summary': 'histogram',
      # Of hidden's inputs (x - 1), 3 of 6 are below 0.
      'hidden/zeros': pytest.approx(3 / 6),
      'hidden/activation': 'histogram',
      'capped/zeros': pytest.approx(1 / 6),
      # Of capped's inputs (4x), 8 and 12 are above 6.
      'capped/sixes': pytest.approx(2 / 6),
      'capped/activation': 'histogram'}


def test_convolution_takes_its_rank_from_the_inputs():
  # contrib's convolution (and conv1d, conv3d): a 3-D input is a 1-D
  # convolution, a 5-D one a 3-D convolution, all under scope Conv; conv2d
  # refuses an input of another rank; the data_format names the rank's.
  with graph():
    sequence = v1.placeholder(tf.float32, [None, 6, 2])
    volume = v1.placeholder(tf.float32, [None, 4, 4, 4, 1])
    y = layers.conv1d(sequence, 3, 2, activation_fn=None)
    z = layers.convolution(volume, 2, [1, 2, 2], stride=2, padding='VALID')
    layers.convolution3d(volume, 2, 1, scope='three',
                         variables_collections={'weights': ['mine']})
    assert [[v.op.name, v.shape.as_list()] for v in v1.global_variables()] == [
        ['Conv/weights', [2, 2, 3]], ['Conv/biases', [3]],
        ['Conv_1/weights', [1, 2, 2, 1, 2]], ['Conv_1/biases', [2]],
        ['three/weights', [1, 1, 1, 1, 2]], ['three/biases', [2]]]
    assert names(MODEL) == names(GLOBAL)
    assert names('mine') == ['three/weights']
    assert y.shape.as_list() == [None, 6, 3]
    assert z.shape.as_list() == [None, 2, 2, 2, 2]
    assert layers.conv1d.__name__ == 'convolution1d'
    with pytest.raises(ValueError, match='rank 3; a 2-D convolution takes '
                                         'rank 4'):
      layers.conv2d(sequence, 3, 2)
    with pytest.raises(ValueError, match='either NWC or NCW'):
      layers.conv1d(sequence, 3, 2, data_format='NHWC')
    weights, biases = v1.global_variables()[:2]
    value = np.random.default_rng(1).normal(size=(2, 6, 2)).astype(np.float32)
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      expected = tf.nn.conv1d(value, weights, 1, 'SAME') + biases
      got, want = sess.run([y, expected], {sequence: value})
    np.testing.assert_array_equal(got, want)


def test_embed_sequence_looks_up_rows_of_one_model_variable():
  with graph():
    ids = v1.placeholder(tf.int32, [None, 3])
    embedded = layers.embed_sequence(ids, vocab_size=5, embed_dim=2)
    unique = layers.embed_sequence(ids, scope='EmbedSequence', reuse=True,
                                   unique=True)
    layers.embed_sequence(ids, 4, 2, trainable=False, scope='frozen')
    assert names(GLOBAL) == ['EmbedSequence/embeddings', 'frozen/embeddings']
    assert names(MODEL) == names(GLOBAL)
    assert names(TRAINABLE) == ['EmbedSequence/embeddings']
    assert embedded.shape.as_list() == unique.shape.as_list() == [None, 3, 2]
    with pytest.raises(ValueError, match='vocab_size and embed_dim are '
                                         'needed unless reusing'):
      layers.embed_sequence(ids, vocab_size=5)
    value = np.array([[0, 4, 4], [2, 0, 1]])
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      table = sess.run(v1.global_variables()[0])
      got, got_unique = sess.run([embedded, unique], {ids: value})
    np.testing.assert_array_equal(got, table[value])
    np.testing.assert_array_equal(got_unique, table[value])


def test_apply_regularization_sums_over_the_weights_collection():
  with graph():
    x = v1.placeholder(tf.float32, [None, 3])
    layers.fully_connected(x, 2, variables_collections={'weights': [
        v1.GraphKeys.WEIGHTS]})
    layers.fully_connected(x, 2, variables_collections={'weights': [
        v1.GraphKeys.WEIGHTS]})
    penalty = layers.apply_regularization(layers.l2_regularizer(0.5))
    only_first = layers.apply_regularization(
        layers.l1_regularizer(0.0), v1.global_variables()[:1])
    assert v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES) == [
        penalty, only_first]
    assert penalty.op.name == 'get_regularization_penalty'
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      weights = sess.run(v1.get_collection(v1.GraphKeys.WEIGHTS))
      got, zero = sess.run([penalty, only_first])
    assert len(weights) == 2
    np.testing.assert_allclose(
        got, sum(0.5 * (w ** 2).sum() / 2 for w in weights), rtol=1e-6)
    assert zero == 0.0  # A scale of 0 regularizes nothing: None counts 0.
  with graph(), pytest.raises(ValueError, match='no weights to regularize'):
    layers.apply_regularization(layers.l2_regularizer(0.5))


def _tags(serialized):
  """A merged summary's scalars and histograms by tag."""
  return {v.tag: (v.simple_value if v.WhichOneof('value') == 'simple_value'
                  else 'histogram')
          for v in v1.Summary.FromString(serialized).value}


def _least_squares():
  """A linear model's squared error and its global step, in the current
  graph."""
  step = v1.train.get_or_create_global_step()
  w = v1.get_variable('w', [2], initializer=v1.constant_initializer([1., 2.]))
  loss = tf.reduce_sum(tf.square(w * [3., 4.] - [1., 1.]))
  return step, w, loss


def test_optimize_loss_trains_steps_and_summarizes_as_tf_1_15():
  # The training tensor is the loss before the update; one SGD step moves
  # w by 0.1 * the gradient, 2 * (w * a - 1) * a = [12, 56]; the step
  # counts; the summaries are OptimizeLoss/'s defaults.
  with graph():
    step, w, loss = _least_squares()
    train = layers.optimize_loss(loss, step, 0.1, 'SGD')
    assert [v.op.name for v in v1.global_variables()] == [
        'global_step', 'w', 'OptimizeLoss/learning_rate']
    merged = v1.summary.merge_all()
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      assert _tags(sess.run(merged)) == {
          'OptimizeLoss/global_norm/gradient_norm': pytest.approx(
              math.hypot(12, 56)),
          'OptimizeLoss/loss': 2 ** 2 + 7 ** 2}
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      first = sess.run(train)
      np.testing.assert_allclose(sess.run(w), [1 - 1.2, 2 - 5.6], rtol=1e-6)
      assert first == 2 ** 2 + 7 ** 2
      assert sess.run(step) == 1


def test_optimize_loss_clips_decays_and_refuses_in_one_line():
  with graph():
    step, w, loss = _least_squares()
    halved = lambda lr, global_step: lr * 0.5
    train = layers.optimize_loss(
        loss, None, 0.1, v1.train.GradientDescentOptimizer,
        clip_gradients=1.0, learning_rate_decay_fn=halved,
        summaries=['learning_rate', 'gradients'], name='fit',
        increment_global_step=False)
    merged = v1.summary.merge_all()
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      # Tags are name scopes: the summary's follows the rate's variable, as
      # TF 1.15's did.
      assert _tags(sess.run(merged)) == {
          'fit/learning_rate_1': pytest.approx(0.05),
          'fit/gradients/w_0': 'histogram'}
      sess.run(train)
      # The gradient [12, 56] clipped to norm 1, times 0.05.
      moved = np.array([1., 2.]) - sess.run(w)
      np.testing.assert_allclose(moved, 0.05 * np.array([12, 56]) /
                                 math.hypot(12, 56), rtol=1e-5)
      assert sess.run(step) == 0
    for arguments, message in (
        ((loss, step, 0.1, 'Sgd'), 'optimizer must be one of Adagrad, Adam'),
        ((loss, step, None, 'SGD'), "optimizer 'SGD' needs a learning_rate"),
        ((loss, step, -1.0, 'SGD'), 'learning_rate must not be negative'),
        ((tf.stack([loss, loss]), step, 0.1, 'SGD'), 'loss must be a scalar'),
        ((loss, step, 0.1, 'SGD', None, None, 'big'),
         'clip_gradients must be a float or a function, not str')):
      with pytest.raises(ValueError, match=message):
        layers.optimize_loss(*arguments)


def test_separable_conv2d_is_depthwise_then_pointwise_under_contribs_names():
  with graph():
    x = v1.placeholder(tf.float32, [None, 6, 6, 3])
    y = layers.separable_conv2d(x, 4, 3, depth_multiplier=2,
                                variables_collections={'weights': ['mine']})
    # num_outputs None: the depthwise convolution alone, 3 x 2 channels.
    z = layers.separable_convolution2d(x, None, [2, 2], 2, stride=2,
                                       padding='VALID', scope='depth',
                                       activation_fn=None)
    assert [[v.op.name, v.shape.as_list()] for v in v1.global_variables()] == [
        ['SeparableConv2d/depthwise_weights', [3, 3, 3, 2]],
        ['SeparableConv2d/pointwise_weights', [1, 1, 6, 4]],
        ['SeparableConv2d/biases', [4]],
        ['depth/depthwise_weights', [2, 2, 3, 2]], ['depth/biases', [6]]]
    assert names(MODEL) == names(GLOBAL)
    assert names('mine') == ['SeparableConv2d/depthwise_weights',
                             'SeparableConv2d/pointwise_weights']
    assert y.shape.as_list() == [None, 6, 6, 4]
    assert z.shape.as_list() == [None, 3, 3, 6]
    value = np.random.default_rng(2).normal(size=(2, 6, 6, 3)).astype(
        np.float32)
    depthwise, pointwise, biases, alone, alone_biases = v1.global_variables()
    with v1.Session() as sess:
      sess.run(v1.global_variables_initializer())
      sess.run([biases.assign([0.1, -0.2, 0.3, -0.4]),
                alone_biases.assign(np.arange(6, dtype=np.float32) / 10)])
      got = sess.run([y, z], {x: value})
      want = sess.run([
          tf.nn.relu(tf.nn.separable_conv2d(value, depthwise, pointwise,
                                            [1, 1, 1, 1], 'SAME') + biases),
          tf.nn.depthwise_conv2d(value, alone, [1, 2, 2, 1], 'VALID') +
          alone_biases])
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert (got[0] == 0).any() and (got[0] > 0).any()
