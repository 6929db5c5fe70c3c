"""legacy_dnn.tf1.layers against TensorFlow's own tf.compat.v1.layers.

The same graph is built three times, each in a process of its own:
TensorFlow's layers (tf-keras with TF_USE_LEGACY_KERAS=1, test-only, v2
behaviour off as TF1 ran), ours through legacy_dnn.v1 (v2 behaviour off),
and ours in a tf.Graph with TensorFlow 2's behaviour on (as model.py builds
its networks). Each loads the same weights, chosen by variable name, and
reports its variables, collections, outputs, gradients and the moving
statistics after three training steps, which must be TensorFlow's bit for
bit; each also restores the checkpoint the others wrote.
"""

import numpy as np
import pytest

from conftest import build_both_ways

pytestmark = pytest.mark.slow

BUILD = r'''
import json, os, sys
import numpy as np
impl, folder = sys.argv[1], sys.argv[2]
if impl == 'tf':
  import tensorflow.compat.v1 as tf
  tf.disable_v2_behavior()
  L = tf.layers
elif impl == 'ours':
  import legacy_dnn.v1 as tf
  L = tf.layers
else:  # ours, TensorFlow 2's behaviour on, as model.py builds.
  import tensorflow as tf2
  from legacy_dnn.tf1 import layers as L
  tf = tf2.compat.v1
  graph_context = tf2.Graph().as_default()
  graph_context.__enter__()

images = tf.placeholder(tf.float32, [None, 8, 8, 3], name='images')
labels = tf.placeholder(tf.int64, [None], name='labels')
training = tf.placeholder(tf.bool, [], name='training')
l2 = lambda w: 0.01 * tf.reduce_sum(tf.square(w))
h = L.conv2d(images, 4, 3, padding='same', activation=tf.nn.relu,
             kernel_regularizer=l2)
h = L.batch_normalization(h, training=training, momentum=0.9)  # Fused.
h = L.max_pooling2d(h, 2, 2)
h = L.conv2d(h, 5, [2, 2], padding='valid', name='c2')
h = L.average_pooling2d(h, 2, 1, padding='same')
h = L.flatten(h)
h = L.dropout(h, 0.5, training=False)
with tf.variable_scope('block'):
  d = L.dense(h, 6, activation=tf.nn.relu)
  d = L.batch_normalization(d, training=training, scale=False)  # Unfused.
  d = L.dense(d, 6)
with tf.variable_scope('block', reuse=True):
  again = L.dense(h, 6, activation=tf.nn.relu, name='dense')
# A layer of the program's own, on tf.layers.Layer: build() and add_weight.
class Scale(L.Layer):
  def build(self, input_shape):
    self.factor = self.add_weight('factor', [int(input_shape[-1])],
                                  initializer=tf.ones_initializer())
    super(Scale, self).build(input_shape)

  def call(self, inputs):
    return inputs * self.factor


scaled = Scale(name='scale')(h)
# The classes: a layer object called twice shares its variables.
shared = L.Dense(5, activation=tf.nn.tanh, name='shared')
twice = shared(h) + shared(h * 0.5)
conv = L.Conv2D(2, 3, padding='same', name='conv_layer')
c = L.MaxPooling2D(2, 2)(conv(images))
c = L.AveragePooling2D(2, 2, padding='same')(c)
c = L.Dropout(0.5)(L.Flatten()(c), training=False)
normalize = L.BatchNormalization(momentum=0.8)
c = normalize(L.Dense(5)(c), training=training)
# Transposed convolutions, both paddings, a stride and channels first.
up = L.conv2d_transpose(images, 2, 3, strides=2, padding='same',
                        activation=tf.nn.relu)
up = L.Conv2DTranspose(3, [2, 3], strides=(1, 2), name='up')(up)
first = L.conv2d_transpose(tf.transpose(images, [0, 3, 1, 2]), 2, 2,
                           strides=2, data_format='channels_first',
                           use_bias=False)
c = c + tf.reduce_sum(up) + tf.reduce_sum(first)
# Sequences and volumes: the 1-D and 3-D convolutions and poolings, and the
# separable convolution, as functions and as objects.
seq = tf.reshape(images, [-1, 8, 24])
s = L.conv1d(seq, 4, 3, padding='same', activation=tf.nn.relu)
s = L.average_pooling1d(L.max_pooling1d(s, 2, 2), 2, 1, padding='same')
s = L.Conv1D(3, 2, dilation_rate=2, name='conv1d_layer')(s)
s = L.AveragePooling1D(2, 1)(L.MaxPooling1D(2, 1, padding='same')(s))
volume = tf.reshape(images, [-1, 4, 4, 4, 3])
v = L.max_pooling3d(L.conv3d(volume, 2, 2, padding='same'), 2, 2)
v = L.Conv3D(2, (1, 2, 2), name='conv3d_layer')(L.AveragePooling3D(1, 1)(v))
v = L.MaxPooling3D(1, 1)(L.average_pooling3d(v, (2, 1, 1), 1))
separable = L.SeparableConv2D(2, 2, strides=2, name='separable_layer')
sep = separable(L.separable_conv2d(images, 4, 3, depth_multiplier=2,
                                   padding='same', activation=tf.nn.relu))
c = c + tf.reduce_sum(s) + tf.reduce_sum(v) + tf.reduce_sum(sep)
logits = (L.dense(d, 3, name='out', use_bias=False) + tf.reduce_sum(again)
          + tf.reduce_sum(twice) + tf.reduce_sum(c) + tf.reduce_sum(scaled))
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
    labels=labels, logits=logits)) + tf.add_n(
        tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
gradients = tf.gradients(loss, tf.trainable_variables())
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
  step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)

keys = [tf.GraphKeys.GLOBAL_VARIABLES, tf.GraphKeys.TRAINABLE_VARIABLES,
        tf.GraphKeys.MOVING_AVERAGE_VARIABLES, tf.GraphKeys.MODEL_VARIABLES]
report = {
    'variables': [[v.op.name, v.shape.as_list()]
                  for v in tf.global_variables()],
    'collections': {k: [v.op.name for v in tf.get_collection(k)]
                    for k in keys},
    'regularization_losses': len(tf.get_collection(
        tf.GraphKeys.REGULARIZATION_LOSSES)),
    'update_ops': len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)),
    'objects': {
        # An unnamed layer object's .name is unique among Keras's layer
        # objects in TF1, which ours do not count: its scope is compared.
        'names': [shared.name, conv.name, normalize.scope_name],
        'shared': [v.op.name for v in shared.trainable_weights],
        'kernels': [shared.kernel.op.name, conv.kernel.op.name],
        'normalize': [v.op.name for v in normalize.non_trainable_weights],
        'statistics': [normalize.moving_mean.op.name,
                       normalize.moving_variance.op.name],
        'updates': len(normalize.updates),
        'separable': [separable.depthwise_kernel.op.name,
                      separable.pointwise_kernel.op.name,
                      separable.bias.op.name],
        'shapes': [up.shape.as_list(), first.shape.as_list(),
                   s.shape.as_list(), v.shape.as_list(),
                   sep.shape.as_list()],
    },
}
rng = np.random.default_rng(0)
x = rng.normal(size=(16, 8, 8, 3)).astype(np.float32)
y = rng.integers(0, 3, 16)
feed = {images: x, labels: y}
saver = tf.train.Saver()
with tf.Session() as sess:
  for v in tf.global_variables():
    seed = sum(v.op.name.encode())
    value = np.random.default_rng(seed).normal(size=v.shape.as_list())
    if v.op.name.endswith('moving_variance'):
      value = np.abs(value) + 0.5
    v.load(value.astype(np.float32), sess)
  results = {
      'logits_eval': sess.run(logits, {**feed, training: False}),
      'logits_train': sess.run(logits, {**feed, training: True}),
  }
  for i, g in enumerate(sess.run(gradients, {**feed, training: True})):
    results['gradient_%d' % i] = g
  for _ in range(3):
    sess.run(step, {**feed, training: True})
  for v in tf.global_variables():
    results['after/' + v.op.name] = sess.run(v)
  results['logits_after'] = sess.run(logits, {**feed, training: False})
  saver.save(sess, os.path.join(folder, impl, 'model.ckpt'))
  for other in ('tf', 'ours', 'ours_v2'):
    checkpoint = os.path.join(folder, other, 'model.ckpt')
    if other != impl and os.path.exists(checkpoint + '.index'):
      saver.restore(sess, checkpoint)
      results['restored/' + other] = sess.run(
          logits, {**feed, training: False})
np.savez(os.path.join(folder, impl + '.npz'), **results)
with open(os.path.join(folder, impl + '.json'), 'w') as f:
  json.dump(report, f)
'''


def build(impl, folder):
  return build_both_ways(BUILD, impl, folder)


@pytest.fixture(scope='module')
def built(tmp_path_factory):
  folder = tmp_path_factory.mktemp('tf1_layers')
  # Ours first, then TensorFlow's (which restores ours), then ours with v2
  # behaviour on (which restores both).
  return {impl: build(impl, folder) for impl in ('ours', 'tf', 'ours_v2')}


@pytest.mark.parametrize('impl', ['ours', 'ours_v2'])
def test_variables_and_collections_are_tensorflows(built, impl):
  theirs, _ = built['tf']
  ours, _ = built[impl]
  assert ours == theirs
  # What the comparison covers, as TensorFlow made it.
  assert ['batch_normalization/moving_mean', [4]] in theirs['variables']
  assert ['block/dense_1/kernel', [6, 6]] in theirs['variables']
  assert ['conv_layer/kernel', [3, 3, 3, 2]] in theirs['variables']
  assert ['scale/factor', [45]] in theirs['variables']
  assert theirs['regularization_losses'] == 1
  assert theirs['update_ops'] == 6
  assert theirs['objects'] == {
      'names': ['shared', 'conv_layer', 'batch_normalization_1'],
      'shared': ['shared/kernel', 'shared/bias'],
      'kernels': ['shared/kernel', 'conv_layer/kernel'],
      'normalize': ['batch_normalization_1/moving_mean',
                    'batch_normalization_1/moving_variance'],
      'statistics': ['batch_normalization_1/moving_mean',
                     'batch_normalization_1/moving_variance'],
      'updates': 2,
      'separable': ['separable_layer/depthwise_kernel',
                    'separable_layer/pointwise_kernel',
                    'separable_layer/bias'],
      # 8 -> 16 (same, stride 2) -> 17 by 33 (valid, strides 1 and 2); 8
      # steps -> 4 (pooled) -> 2 (dilated) -> 1; 4^3 -> 2^3 -> 2x1x1 ->
      # 1x1x1; 8x8 -> 4x4 (stride 2).
      'shapes': [[None, 17, 33, 3], [None, 2, 16, 16], [None, 1, 3],
                 [None, 1, 1, 1, 2], [None, 4, 4, 2]]}
  assert ['conv1d/kernel', [3, 24, 4]] in theirs['variables']
  assert ['conv3d_layer/kernel', [1, 2, 2, 2, 2]] in theirs['variables']
  assert ['separable_conv2d/pointwise_kernel', [1, 1, 6, 4]] in (
      theirs['variables'])


@pytest.mark.parametrize('impl', ['ours', 'ours_v2'])
def test_outputs_gradients_and_moving_statistics_are_tensorflows(built,
                                                                  impl):
  _, theirs = built['tf']
  _, ours = built[impl]
  compared = [k for k in theirs if not k.startswith('restored/')]
  # Logits before and after, 40 gradients, 46 variables after.
  assert len(compared) == 3 + 40 + 46
  for key in compared:
    np.testing.assert_array_equal(ours[key], theirs[key],
                                  err_msg=key)
  # Three steps moved the moving statistics of both kinds of batch norm
  # from the values loaded (BUILD's), so the comparison covers the updates.
  for name in ('batch_normalization', 'block/batch_normalization'):
    for statistic in ('moving_mean', 'moving_variance'):
      variable = '%s/%s' % (name, statistic)
      loaded = np.random.default_rng(sum(variable.encode())).normal(
          size=theirs['after/' + variable].shape)
      if statistic == 'moving_variance':
        loaded = np.abs(loaded) + 0.5
      assert not np.allclose(theirs['after/' + variable], loaded), variable


@pytest.mark.parametrize('writer, reader', [
    ('ours', 'tf'), ('tf', 'ours_v2'), ('ours', 'ours_v2')])
def test_a_checkpoint_restores_into_the_other_implementation(built, writer,
                                                             reader):
  # The reader, given the writer's checkpoint, computes what the writer
  # computed with those weights.
  _, written = built[writer]
  _, read = built[reader]
  np.testing.assert_array_equal(read['restored/' + writer],
                                written['logits_after'])
