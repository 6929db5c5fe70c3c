"""legacy_dnn.tf1.rnn_cell against TensorFlow's own tf.compat.v1.nn.rnn_cell.

The same graph is built twice, each in a process of its own: with
TensorFlow's cells (tf-keras with TF_USE_LEGACY_KERAS=1, test-only, v2
behaviour off as TF1 ran) and with ours through legacy_dnn.v1. It runs every
cell under TensorFlow's own dynamic_rnn, bidirectional_dynamic_rnn,
static_rnn and static_bidirectional_rnn, the wrappers with seeded dropout
masks, and both state layouts. Each process loads the same weights, chosen
by variable name, and reports its variables, collections, each cell's
weights, outputs, final states, gradients and the variables after three
training steps, which must be TensorFlow's bit for bit; each also restores
the checkpoint the other wrote.
"""

import os
import sys

import numpy as np
import pytest

from conftest import build_both_ways, run_python

pytestmark = pytest.mark.slow

# How each build script starts: TensorFlow's own TF1 API (impl 'tf') or
# ours.
START = r'''
import json, os, sys
import numpy as np
impl, folder = sys.argv[1], sys.argv[2]
if impl == 'tf':
  import tensorflow.compat.v1 as tf
  tf.disable_v2_behavior()
else:
  import legacy_dnn.v1 as tf
'''

BUILD = START + r'''
rnn = tf.nn.rnn_cell
tf.set_random_seed(7)

x = tf.placeholder(tf.float32, [4, 6, 5], name='x')
lengths = tf.placeholder(tf.int32, [4], name='lengths')
cells, results = {}, {}

with tf.variable_scope('basic'):
  cells['basic'] = rnn.BasicLSTMCell(7, forget_bias=0.5)
  state = cells['basic'].zero_state(4, tf.float32)
  results['basic'] = tf.nn.dynamic_rnn(cells['basic'], x,
                                       initial_state=state)
with tf.variable_scope('stack'):
  cells['stack'] = rnn.MultiRNNCell([
      rnn.LSTMCell(6, use_peepholes=True, cell_clip=0.8, num_proj=4,
                   proj_clip=0.5),
      rnn.GRUCell(5),
      rnn.BasicRNNCell(3, activation=tf.nn.relu)])
  results['stack'] = tf.nn.dynamic_rnn(cells['stack'], x, lengths,
                                       dtype=tf.float32)
with tf.variable_scope('flat'):
  cells['flat'] = rnn.MultiRNNCell(
      [rnn.BasicLSTMCell(4, state_is_tuple=False),
       rnn.LSTMCell(3, state_is_tuple=False)], state_is_tuple=False)
  results['flat'] = tf.nn.dynamic_rnn(cells['flat'], x, dtype=tf.float32,
                                      time_major=False)
with tf.variable_scope('bidi'):
  # No dropout of a new mask each step inside a while loop: TensorFlow's own
  # cells draw those masks in an order that differs from one run to the next
  # (the loop runs iterations in parallel). static_rnn's cells below have
  # them; variational dropout draws its masks once, outside the loop.
  cells['fw'] = rnn.DeviceWrapper(rnn.BasicLSTMCell(5), '/cpu:0')
  cells['bw'] = rnn.ResidualWrapper(rnn.GRUCell(5))
  results['bidi'] = tf.nn.bidirectional_dynamic_rnn(
      cells['fw'], cells['bw'], x, lengths, dtype=tf.float32)
with tf.variable_scope('variational'):
  cells['variational'] = rnn.DropoutWrapper(
      rnn.LSTMCell(4), input_keep_prob=0.8, output_keep_prob=0.6,
      state_keep_prob=0.7, variational_recurrent=True, input_size=5,
      dtype=tf.float32, seed=5)
  results['variational'] = tf.nn.dynamic_rnn(cells['variational'], x,
                                             dtype=tf.float32)
steps = tf.unstack(x, axis=1)
with tf.variable_scope('static'):
  cells['static'] = rnn.DropoutWrapper(
      rnn.BasicLSTMCell(3, state_is_tuple=False), input_keep_prob=0.6,
      output_keep_prob=0.7, state_keep_prob=0.8, seed=3)
  results['static'] = tf.nn.static_rnn(cells['static'], steps,
                                       dtype=tf.float32)
with tf.variable_scope('static_bidi'):
  cells['static_fw'] = rnn.DropoutWrapper(rnn.LSTMCell(3),
                                          state_keep_prob=0.5, seed=9)
  cells['static_bw'] = rnn.GRUCell(2)
  results['static_bidi'] = tf.nn.static_bidirectional_rnn(
      cells['static_fw'], cells['static_bw'], steps, dtype=tf.float32,
      sequence_length=lengths)

# A cell of the program's own, as TF1 code subclassed RNNCell.
class MinimalCell(rnn.RNNCell):
  def __init__(self, units):
    super(MinimalCell, self).__init__()
    self._units = units

  @property
  def state_size(self):
    return self._units

  @property
  def output_size(self):
    return self._units

  def build(self, inputs_shape):
    self._w = self.add_variable(
        'w', [int(inputs_shape[-1]) + self._units, self._units])
    self.built = True

  def call(self, inputs, state):
    output = tf.tanh(tf.matmul(tf.concat([inputs, state], 1), self._w))
    return output, output


with tf.variable_scope('own'):
  cells['own'] = MinimalCell(3)
  results['own'] = tf.nn.dynamic_rnn(cells['own'], x, dtype=tf.float32)

tensors = {name: tf.nest.flatten(value) for name, value in results.items()}
loss = tf.add_n([tf.reduce_sum(tf.square(t)) * (i + 1.0) for i, t in
                 enumerate(t for name in sorted(tensors)
                           for t in tensors[name])])
optimizer = tf.train.GradientDescentOptimizer(0.01)
gradients_and_variables = optimizer.compute_gradients(loss)
gradients = [g for g, _ in gradients_and_variables]
step = optimizer.apply_gradients(gradients_and_variables)

keys = [tf.GraphKeys.GLOBAL_VARIABLES, tf.GraphKeys.TRAINABLE_VARIABLES]
report = {
    'variables': [[v.op.name, v.shape.as_list()]
                  for v in tf.global_variables()],
    'collections': {k: [v.op.name for v in tf.get_collection(k)]
                    for k in keys},
    'cell_weights': {name: [v.op.name for v in cell.trainable_weights]
                     for name, cell in cells.items()},
    'sizes': {name: [str(cell.state_size), str(cell.output_size)]
              for name, cell in cells.items()},
    'structures': {name: str(tf.nest.map_structure(lambda t: t.shape, value))
                   for name, value in results.items()},
}
rng = np.random.default_rng(0)
feed = {x: rng.normal(size=(4, 6, 5)).astype(np.float32),
        lengths: [6, 2, 5, 1]}
saver = tf.train.Saver()
arrays = {}
# Grappler off, in both processes: with nine while loops it took 6 of this
# script's 20 s, optimizing each new set of fetches, and it rewrites both
# graphs alike.
config = tf.ConfigProto()
config.graph_options.rewrite_options.disable_meta_optimizer = True
with tf.Session(config=config) as sess:
  for v in tf.global_variables():
    value = np.random.default_rng(sum(v.op.name.encode())).normal(
        size=v.shape.as_list()) * 0.5
    v.load(value.astype(np.float32), sess)
  # Twice: dropout's masks change from one run to the next, as TF1's did.
  for run in range(2):
    for name, values in zip(tensors, sess.run(list(tensors.values()), feed)):
      for i, value in enumerate(values):
        arrays['%s/%d/%d' % (name, i, run)] = value
  for i, g in enumerate(sess.run(gradients, feed)):
    arrays['gradient_%d' % i] = g
  for _ in range(3):
    sess.run(step, feed)
  for v in tf.global_variables():
    arrays['after/' + v.op.name] = sess.run(v)
  arrays['loss_after'] = sess.run(loss, feed)
  saver.save(sess, os.path.join(folder, impl, 'model.ckpt'))
  other = os.path.join(folder, 'tf' if impl == 'ours' else 'ours',
                       'model.ckpt')
  if os.path.exists(other + '.index'):
    saver.restore(sess, other)
    arrays['restored'] = sess.run(tensors['stack'][0], feed)
    arrays['restored_from_self'] = np.float32(0)
  else:
    arrays['restored_from_self'] = sess.run(tensors['stack'][0], feed)
np.savez(os.path.join(folder, impl + '.npz'), **arrays)
with open(os.path.join(folder, impl + '.json'), 'w') as f:
  json.dump(report, f)
'''


def build(impl, folder):
  return build_both_ways(BUILD, impl, folder)


@pytest.fixture(scope='module')
def built(tmp_path_factory):
  folder = tmp_path_factory.mktemp('tf1_rnn')
  # Ours first, then TensorFlow's, which restores ours.
  return {impl: build(impl, folder) for impl in ('ours', 'tf')}


# tf-keras's wrappers list no weights of their own; ours list the wrapped
# cell's, as MultiRNNCell lists its cells'.
WRAPPERS = ('fw', 'bw', 'variational', 'static', 'static_fw')


def test_variables_collections_and_cell_weights_are_tensorflows(built):
  theirs, _ = built['tf']
  ours, _ = built['ours']
  wrapped = {name: ours['cell_weights'].pop(name) for name in WRAPPERS}
  assert {name: theirs['cell_weights'].pop(name) for name in WRAPPERS} == {
      name: [] for name in WRAPPERS}
  assert ours == theirs
  assert wrapped == {
      'fw': ['bidi/bidirectional_rnn/fw/basic_lstm_cell/kernel',
             'bidi/bidirectional_rnn/fw/basic_lstm_cell/bias'],
      'bw': ['bidi/bidirectional_rnn/bw/gru_cell/%s/%s' % (part, kind)
             for part in ('gates', 'candidate')
             for kind in ('kernel', 'bias')],
      'variational': ['variational/rnn/lstm_cell/kernel',
                      'variational/rnn/lstm_cell/bias'],
      'static': ['static/rnn/basic_lstm_cell/kernel',
                 'static/rnn/basic_lstm_cell/bias'],
      'static_fw': ['static_bidi/bidirectional_rnn/fw/lstm_cell/kernel',
                    'static_bidi/bidirectional_rnn/fw/lstm_cell/bias']}
  # What the comparison covers, as TensorFlow named it.
  names = [name for name, _ in theirs['variables']]
  for name in ('basic/rnn/basic_lstm_cell/kernel',
               'stack/rnn/multi_rnn_cell/cell_0/lstm_cell/w_f_diag',
               'stack/rnn/multi_rnn_cell/cell_0/lstm_cell/projection/kernel',
               'stack/rnn/multi_rnn_cell/cell_1/gru_cell/gates/bias',
               'stack/rnn/multi_rnn_cell/cell_2/basic_rnn_cell/kernel',
               'bidi/bidirectional_rnn/fw/basic_lstm_cell/kernel',
               'bidi/bidirectional_rnn/bw/gru_cell/candidate/kernel',
               'static/rnn/basic_lstm_cell/bias',
               'static_bidi/bidirectional_rnn/bw/gru_cell/gates/kernel',
               'own/rnn/minimal_cell/w'):
    assert name in names, name
  assert len(theirs['cell_weights']['stack']) == 6 + 4 + 2
  assert theirs['sizes']['stack'][0] == (
      '(LSTMStateTuple(c=6, h=4), 5, 3)')


def test_outputs_states_gradients_and_training_are_tensorflows(built):
  _, theirs = built['tf']
  _, ours = built['ours']
  compared = [k for k in theirs if not k.startswith('restored')]
  assert sorted(compared) == sorted(
      k for k in ours if not k.startswith('restored'))
  for key in compared:
    np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)
  # The comparison covers dropout that dropped, differently on each run:
  # static_rnn's outputs (a list of 6), and the state of static
  # bidirectional RNN's forward cell (c kept, h dropped).
  static_outputs = np.stack([theirs['static/%d/0' % t] for t in range(6)])
  assert (static_outputs == 0).mean() > 0.2
  assert not np.array_equal(theirs['static/0/0'], theirs['static/0/1'])
  c, h = theirs['static_bidi/6/0'], theirs['static_bidi/7/0']
  assert (c != 0).all() and (h == 0).any()
  # Variational dropout keeps one mask for the whole sequence: a unit
  # dropped at the first step is dropped at every step.
  variational = theirs['variational/0/0']
  dropped = variational[:, 0, :] == 0
  assert dropped.any()
  assert (variational[:, :, :][np.broadcast_to(
      dropped[:, None, :], variational.shape)] == 0).all()
  # 35 variables, trained: the gradients were not all zero.
  gradients = [k for k in theirs if k.startswith('gradient_')]
  assert len(gradients) == 35
  assert all(np.abs(theirs[k]).sum() > 0 for k in gradients)


def test_a_checkpoint_restores_into_the_other_implementation(built):
  # TensorFlow's cells, given our checkpoint, compute what ours computed
  # with those weights.
  _, ours = built['ours']
  _, theirs = built['tf']
  np.testing.assert_array_equal(theirs['restored'],
                                ours['restored_from_self'])


# Keras's cells in TF1's RNN functions (lab-12-0 puts a
# tf.keras.layers.SimpleRNNCell in tf.nn.dynamic_rnn): TF 1.x took tf.keras's
# cells; legacy_dnn.v1 adapts Keras 3's (rnn_cell.KerasCell). TensorFlow's
# own with tf-keras (Keras 2) is the reference. The LSTM and GRU cells are
# given the arguments on which Keras 2's v1 cells and Keras 3's agree
# (their defaults differ: docs/tf1-code.md).
KERAS_BUILD = START + r'''
K = tf.keras.layers
x = tf.placeholder(tf.float32, [3, 5, 4], name='x')
lengths = tf.placeholder(tf.int32, [3], name='lengths')
results = {}
with tf.variable_scope('simple'):
  results['simple'] = tf.nn.dynamic_rnn(K.SimpleRNNCell(3), x,
                                        dtype=tf.float32)
with tf.variable_scope('lstm'):
  results['lstm'] = tf.nn.dynamic_rnn(K.LSTMCell(2, recurrent_activation='sigmoid'), x,
                                      lengths,                                      dtype=tf.float32)
with tf.variable_scope('bidi'):
  results['bidi'] = tf.nn.bidirectional_dynamic_rnn(
      K.GRUCell(2, recurrent_activation='sigmoid', reset_after=True), K.GRUCell(2, recurrent_activation='sigmoid', reset_after=True), x, dtype=tf.float32)
with tf.variable_scope('static'):
  results['static'] = tf.nn.static_rnn(K.LSTMCell(2, recurrent_activation='sigmoid'), tf.unstack(x, axis=1),
                                       dtype=tf.float32)
trainable = sorted(tf.trainable_variables(), key=lambda v: v.op.name)
flat = tf.nest.flatten(results)
loss = tf.add_n([tf.reduce_sum(t) for t in flat])
gradients = tf.gradients(loss, trainable + [x])
rng = np.random.default_rng(0)
feed = {x: rng.normal(size=(3, 5, 4)).astype(np.float32),
        lengths: [5, 2, 4]}
arrays = {}
with tf.Session() as sess:
  sess.run(tf.global_variables_initializer())
  for v in trainable:
    value = np.random.default_rng(sum(v.op.name.encode())).normal(
        size=v.shape.as_list()) * 0.5
    v.load(value.astype(np.float32), sess)
  for name in sorted(results):
    for i, value in enumerate(sess.run(tf.nest.flatten(results[name]),
                                       feed)):
      arrays['%s_%d' % (name, i)] = value
  for v, g in zip(trainable + [x], sess.run(gradients, feed)):
    arrays['gradient/' + v.op.name] = g
np.savez(os.path.join(folder, impl + '.npz'), **arrays)
with open(os.path.join(folder, impl + '.json'), 'w') as f:
  json.dump({'trainable': [[v.op.name, v.shape.as_list()] for v in trainable],
             'shapes': [t.shape.as_list() for t in flat]}, f)
'''


def test_keras_cells_run_in_tf1s_rnn_functions_as_tf_keras_cells_did(
    tmp_path):
  theirs, their_arrays = build_both_ways(KERAS_BUILD, 'tf', tmp_path)
  ours, our_arrays = build_both_ways(KERAS_BUILD, 'ours', tmp_path)
  # The variables Keras made, named by the scope the cell ran in, and the
  # outputs and states, in TF1's structures (LSTMCell's state a list).
  assert ours == theirs
  assert ['simple/rnn/while/simple_rnn_cell/recurrent_kernel', [3, 3]] in (
      theirs['trainable'])
  assert theirs['shapes'][2:4] == [[3, 2], [3, 2]]  # lstm's [h, c].
  assert our_arrays.keys() == their_arrays.keys()
  for key, value in their_arrays.items():
    if 'simple' in key or key.startswith('lstm_'):
      # SimpleRNNCell's arithmetic is Keras 2's op for op, as is LSTMCell's
      # forward pass.
      np.testing.assert_array_equal(our_arrays[key], value, err_msg=key)
    # Keras 3's GRU and LSTM order a few ops otherwise: float32 rounding.
    np.testing.assert_allclose(our_arrays[key], value, rtol=1e-5, atol=1e-5,
                               err_msg=key)


def run_v1(*args, cwd):
  """`python3 -m legacy_dnn.v1 ARGS...` in cwd, forked from the zygote."""
  return run_python([sys.executable, '-m', 'legacy_dnn.v1'] + list(args),
                    cwd=cwd)


def test_tf1_imports_of_the_cells_find_ours(tmp_path):
  script = tmp_path / 'probe.py'
  script.write_text(
      'import tensorflow as tf\n'
      'from tensorflow.contrib import rnn\n'
      'import tensorflow.contrib.rnn as contrib_rnn\n'
      'from tensorflow.nn import rnn_cell\n'
      'from tensorflow.contrib.seq2seq import sequence_loss\n'
      'from tensorflow.contrib.rnn import static_rnn\n'
      'print(tf.nn.rnn_cell.BasicLSTMCell is rnn.BasicLSTMCell is\n'
      '      contrib_rnn.BasicLSTMCell is rnn_cell.BasicLSTMCell,\n'
      '      tf.compat.v1.nn.rnn_cell is rnn_cell,\n'
      '      static_rnn is tf.nn.static_rnn,\n'
      '      sequence_loss is tf.contrib.seq2seq.sequence_loss)\n'
      'print(tf.nn.rnn_cell.BasicLSTMCell.__module__, tf.nn.relu.__name__)\n'
      'for module, name in ((tf.nn.rnn_cell, "BasicLSTMcell"),\n'
      '                     (rnn, "GRUcell")):\n'
      '  try:\n'
      '    getattr(module, name)\n'
      '  except AttributeError as e:\n'
      '    print(type(e).__name__, e)\n')
  result = run_v1(str(script), cwd=tmp_path)
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.splitlines() == [
      'True True True True',
      'legacy_dnn.tf1.rnn_cell relu',
      "AttributeError module 'tf.nn.rnn_cell' has no attribute "
      "'BasicLSTMcell'; did you mean 'BasicLSTMCell'?",
      "AttributeError module 'tf.contrib.rnn' has no attribute 'GRUcell'; "
      "did you mean 'GRUCell'?"]


EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'examples', 'tf1')


# The cells run inside TensorFlow's own dynamic_rnn, whose internals a new
# TensorFlow may change first.
@pytest.mark.next_tensorflow
def test_the_char_rnn_example_writes_its_paragraph_back(tmp_path):
  text = 'every window of ten letters tells the next one.'
  result = run_v1(os.path.join(EXAMPLES, 'char_rnn.py'), '--text=' + text,
                  '--steps=200', cwd=tmp_path)
  assert result.returncode == 0, result.stderr[-3000:]
  lines = result.stdout.splitlines()
  (written,) = [l[len('Written: '):] for l in lines
                if l.startswith('Written: ')]
  (accuracy,) = [float(l.split()[-1]) for l in lines
                 if l.startswith('Accuracy:')]
  # The first character of each window is the text's own; after it, all but
  # at most two of 46 are the network's right guesses.
  assert accuracy >= 0.95, lines
  assert len(written) == len(text)
  assert sum(a != b for a, b in zip(written, text)) <= 2, written


def test_the_lstm_series_example_learns_the_price(tmp_path):
  # A CSV as lab 12-5 read it, oldest day first: a generated series.
  days = np.arange(300)
  close = 50 + 3 * np.sin(days / 5.0) + 0.02 * days
  rows = np.stack([close - 0.5, close + 1, close - 1,
                   1000 + 10 * np.cos(days / 5.0), close], axis=1)
  np.savetxt(tmp_path / 'prices.csv', rows, delimiter=',')
  result = run_v1(os.path.join(EXAMPLES, 'lstm_series.py'),
                  '--csv=prices.csv', '--steps=300', cwd=tmp_path)
  assert result.returncode == 0, result.stderr[-3000:]
  lines = result.stdout.splitlines()
  (rmse,) = [float(l.split()[-1]) for l in lines
             if l.startswith('Test RMSE:')]
  (baseline,) = [float(l.split()[-1]) for l in lines
                 if l.startswith('Mean-price RMSE:')]
  # Scaled to [0, 1]: always guessing the mean is off by about 0.3.
  assert baseline > 0.2
  assert rmse < baseline / 4, lines


def test_one_cell_object_stacked_twice_fails_saying_how_to_stack():
  # lab-12-0's MultiRNNCell([cell] * 3), written for TF 1.0: TF 1.15 builds
  # the cell once, for the first layer's input depth, and fails at the
  # second; so does ours, saying what to write instead.
  import tensorflow as tf  # pylint: disable=import-outside-toplevel
  from legacy_dnn.tf1 import rnn_cell  # pylint: disable=import-outside-toplevel
  with tf.Graph().as_default():
    # Seeded: op determinism, which a test that trains in this process turns
    # on, refuses a random op without a seed.
    tf.compat.v1.set_random_seed(0)
    x = tf.compat.v1.placeholder(tf.float32, [3, 5, 3])
    cell = rnn_cell.BasicLSTMCell(5)
    with pytest.raises(ValueError, match=(
        r'^MultiRNNCell: layer 1 is the cell object of layer 0, whose '
        r'weights were made for layer 0\'s inputs; make a cell for each '
        r'layer: MultiRNNCell\(\[BasicLSTMCell\(\.\.\.\) for _ in '
        r'range\(3\)\]\), not \[cell\] \* 3 \(')):
      tf.compat.v1.nn.dynamic_rnn(rnn_cell.MultiRNNCell([cell] * 3), x,
                                  dtype=tf.float32)
