"""tf.nn.rnn_cell of TensorFlow 1.15 (also tf.contrib.rnn's cells), without
Keras.

On TensorFlow 2.16+ with Keras 3, tf.compat.v1.nn.rnn_cell.BasicLSTMCell and
its kin raise "not available with Keras 3": TF 1.15's cells were Keras 2
layers. These are the same cells on legacy_dnn.tf1.base.Layer: the same
variables under the same names ('rnn/basic_lstm_cell/kernel',
'rnn/multi_rnn_cell/cell_0/gru_cell/gates/bias', ...) with the same
initializers, the same arithmetic in the same order, and the same seeds for
DropoutWrapper's masks. They work with TensorFlow's own tf.nn.dynamic_rnn,
static_rnn, bidirectional_dynamic_rnn and static_bidirectional_rnn, which
still take any object shaped like an RNNCell. tests/test_tf1_rnn.py builds
each graph with TensorFlow's own cells (tf-keras, in a process of its own)
and compares variables, outputs, gradients and trained weights bit for bit.

What differs from TF 1.15 (docs/tf1-code.md): no get_config/from_config and
no eager mode; op names inside a cell's scope may differ.
"""

import collections
import contextlib
import difflib
import hashlib
import numbers

import tensorflow as tf

from legacy_dnn.tf1.base import Layer

_nest = tf.__internal__.nest


def _concat(prefix, suffix, static=False):
  """[prefix, *suffix]: a shape as a Tensor, or (static) as a list whose
  unknown dimensions are None; prefix an int or a scalar Tensor, suffix an
  int or a TensorShape."""
  if isinstance(prefix, tf.Tensor):
    prefix_static = tf.get_static_value(prefix)
    prefix_static = [None if prefix_static is None else int(prefix_static)]
    prefix_dynamic = tf.reshape(prefix, [1])
  else:
    prefix_static = [int(prefix)]
    prefix_dynamic = tf.constant(prefix_static, tf.int32)
  suffix = tf.TensorShape(suffix)
  if static:
    return prefix_static + suffix.as_list()
  if not suffix.is_fully_defined():
    raise ValueError('Provided a suffix of unknown shape: %s' % suffix)
  return tf.concat(
      [tf.cast(prefix_dynamic, tf.int32),
       tf.constant(suffix.as_list(), tf.int32)], 0)


def _zero_state_tensors(state_size, batch_size, dtype):
  def zeros(size):
    value = tf.zeros(_concat(batch_size, size), dtype=dtype)
    value.set_shape(_concat(batch_size, size, static=True))
    return value
  return tf.nest.map_structure(zeros, state_size)


def _check_input_dtypes(values):
  for value in tf.nest.flatten(values):
    dtype = tf.as_dtype(value.dtype)
    if not (dtype.is_floating or dtype.is_complex):
      raise ValueError('RNN cell only supports floating point inputs, but '
                       'saw dtype: %s' % dtype.name)


def _input_depth(inputs_shape):
  depth = tf.TensorShape(inputs_shape)[-1]
  if depth is None:
    raise ValueError('Expected inputs.shape[-1] to be known, saw shape: %s'
                     % inputs_shape)
  return int(depth)


class RNNCell(Layer):
  """tf.nn.rnn_cell.RNNCell of TF 1.15: `output, new_state = cell(inputs,
  state)`, with `state_size`, `output_size` and `zero_state`.

  A subclass implements call(inputs, state), or, as older TF1 code did,
  __call__(inputs, state, scope=None) itself. Every variable made inside a
  call, with add_weight or with tf.get_variable, counts among the cell's
  weights.
  """

  def __call__(self, inputs, state, scope=None):
    # Layer.__call__ counts the variables made in the call among the
    # cell's weights.
    if scope is not None:
      with tf.compat.v1.variable_scope(scope) as scope:
        return super().__call__(inputs, state, scope=scope)
    # The scope the cell was first called in, kept for every later call
    # (static_rnn calls it once a time step).
    if getattr(self, '_rnncell_scope', None) is None:
      self._rnncell_scope = tf.compat.v1.variable_scope(
          tf.compat.v1.get_variable_scope())
    with self._rnncell_scope:
      return super().__call__(inputs, state)

  @property
  def state_size(self):
    raise NotImplementedError('Abstract method')

  @property
  def output_size(self):
    raise NotImplementedError('Abstract method')

  def build(self, input_shape):
    del input_shape
    self.built = True

  def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
    """zero_state(), the batch size and dtype read from inputs where given."""
    if inputs is not None:
      inputs = tf.convert_to_tensor(inputs, name='inputs')
      if batch_size is not None:
        static = (tf.get_static_value(batch_size)
                  if tf.is_tensor(batch_size) else batch_size)
        if inputs.shape[0] is not None and inputs.shape[0] != static:
          raise ValueError('batch size from input tensor is different from '
                           'the input param. Input tensor batch: %s, '
                           'batch_size: %s' % (inputs.shape[0], batch_size))
      if dtype is not None and inputs.dtype != dtype:
        raise ValueError('dtype from input tensor is different from the '
                         'input param. Input tensor dtype: %s, dtype: %s'
                         % (inputs.dtype, dtype))
      batch_size = inputs.shape[0] or tf.shape(inputs)[0]
      dtype = inputs.dtype
    if batch_size is None or dtype is None:
      raise ValueError('batch_size and dtype cannot be None while '
                       'constructing initial state: batch_size=%s, dtype=%s'
                       % (batch_size, dtype))
    return self.zero_state(batch_size, dtype)

  def zero_state(self, batch_size, dtype):
    """Zeros of [batch_size, s] for each s in state_size, in its
    structure."""
    with tf.name_scope(type(self).__name__ + 'ZeroState'):
      return _zero_state_tensors(self.state_size, batch_size, dtype)


class LayerRNNCell(RNNCell):
  """An RNNCell whose variables are made in build(), as a tf.layers layer's
  are (TF 1.15's LayerRNNCell)."""


class _UnitsCell(LayerRNNCell):
  """A cell whose output and state are both num_units wide."""

  @property
  def state_size(self):
    return self._num_units

  @property
  def output_size(self):
    return self._num_units


class BasicRNNCell(_UnitsCell):
  """tf.nn.rnn_cell.BasicRNNCell: output = new_state =
  activation([inputs, state] @ kernel + bias)."""

  def __init__(self, num_units, activation=None, reuse=None, name=None,
               dtype=None):
    super().__init__(name=name, dtype=dtype, _reuse=reuse)
    self._num_units = num_units
    self._activation = activation or tf.tanh

  def build(self, input_shape):
    depth = _input_depth(input_shape)
    self._kernel = self.add_weight(
        'kernel', [depth + self._num_units, self._num_units])
    self._bias = self.add_weight(
        'bias', [self._num_units],
        initializer=tf.compat.v1.zeros_initializer(dtype=self._dtype))
    self.built = True

  def call(self, inputs, state):
    _check_input_dtypes([inputs, state])
    gate_inputs = tf.matmul(tf.concat([inputs, state], 1), self._kernel)
    gate_inputs = tf.nn.bias_add(gate_inputs, self._bias)
    output = self._activation(gate_inputs)
    return output, output


class GRUCell(_UnitsCell):
  """tf.nn.rnn_cell.GRUCell (Cho et al., 2014): gates/kernel, gates/bias
  (initialized to 1), candidate/kernel and candidate/bias."""

  def __init__(self, num_units, activation=None, reuse=None,
               kernel_initializer=None, bias_initializer=None, name=None,
               dtype=None):
    super().__init__(name=name, dtype=dtype, _reuse=reuse)
    self._num_units = num_units
    self._activation = activation or tf.tanh
    self._kernel_initializer = kernel_initializer
    self._bias_initializer = bias_initializer

  def build(self, input_shape):
    depth = _input_depth(input_shape)
    units = self._num_units
    self._gate_kernel = self.add_weight(
        'gates/kernel', [depth + units, 2 * units],
        initializer=self._kernel_initializer)
    self._gate_bias = self.add_weight(
        'gates/bias', [2 * units],
        initializer=self._bias_initializer or
        tf.compat.v1.constant_initializer(1.0, dtype=self._dtype))
    self._candidate_kernel = self.add_weight(
        'candidate/kernel', [depth + units, units],
        initializer=self._kernel_initializer)
    self._candidate_bias = self.add_weight(
        'candidate/bias', [units],
        initializer=self._bias_initializer or
        tf.compat.v1.zeros_initializer(dtype=self._dtype))
    self.built = True

  def call(self, inputs, state):
    _check_input_dtypes([inputs, state])
    gate_inputs = tf.matmul(tf.concat([inputs, state], 1), self._gate_kernel)
    gate_inputs = tf.nn.bias_add(gate_inputs, self._gate_bias)
    r, u = tf.split(tf.sigmoid(gate_inputs), 2, axis=1)
    candidate = tf.matmul(tf.concat([inputs, r * state], 1),
                          self._candidate_kernel)
    candidate = tf.nn.bias_add(candidate, self._candidate_bias)
    c = self._activation(candidate)
    new_h = u * state + (1 - u) * c
    return new_h, new_h


class LSTMStateTuple(collections.namedtuple('LSTMStateTuple', ('c', 'h'))):
  """An LSTM's state: c, the cell, and h, the output."""
  __slots__ = ()

  @property
  def dtype(self):
    c, h = self
    if c.dtype != h.dtype:
      raise TypeError('Inconsistent internal state: %s vs %s'
                      % (c.dtype, h.dtype))
    return c.dtype


class BasicLSTMCell(LayerRNNCell):
  """tf.nn.rnn_cell.BasicLSTMCell: one kernel for the four gates (i, j, f, o
  in that order), forget_bias added to f; no peepholes, no clipping."""

  def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True,
               activation=None, reuse=None, name=None, dtype=None):
    super().__init__(name=name, dtype=dtype, _reuse=reuse)
    self._num_units = num_units
    self._forget_bias = forget_bias
    self._state_is_tuple = state_is_tuple
    self._activation = activation or tf.tanh

  @property
  def state_size(self):
    if self._state_is_tuple:
      return LSTMStateTuple(self._num_units, self._num_units)
    return 2 * self._num_units

  @property
  def output_size(self):
    return self._num_units

  def build(self, input_shape):
    depth = _input_depth(input_shape)
    self._kernel = self.add_weight(
        'kernel', [depth + self._num_units, 4 * self._num_units])
    self._bias = self.add_weight(
        'bias', [4 * self._num_units],
        initializer=tf.compat.v1.zeros_initializer(dtype=self._dtype))
    self.built = True

  def call(self, inputs, state):
    _check_input_dtypes([inputs, state])
    one = tf.constant(1, dtype=tf.int32)
    if self._state_is_tuple:
      c, h = state
    else:
      c, h = tf.split(state, 2, axis=one)
    gate_inputs = tf.matmul(tf.concat([inputs, h], 1), self._kernel)
    gate_inputs = tf.nn.bias_add(gate_inputs, self._bias)
    i, j, f, o = tf.split(gate_inputs, 4, axis=one)
    forget_bias = tf.constant(self._forget_bias, dtype=f.dtype)
    new_c = tf.add(tf.multiply(c, tf.sigmoid(tf.add(f, forget_bias))),
                   tf.multiply(tf.sigmoid(i), self._activation(j)))
    new_h = tf.multiply(self._activation(new_c), tf.sigmoid(o))
    if self._state_is_tuple:
      return new_h, LSTMStateTuple(new_c, new_h)
    return new_h, tf.concat([new_c, new_h], 1)


class LSTMCell(LayerRNNCell):
  """tf.nn.rnn_cell.LSTMCell: BasicLSTMCell's gates, plus peepholes
  (w_f_diag, w_i_diag, w_o_diag), cell clipping and a projection of the
  output (projection/kernel) with its own clipping."""

  def __init__(self, num_units, use_peepholes=False, cell_clip=None,
               initializer=None, num_proj=None, proj_clip=None,
               num_unit_shards=None, num_proj_shards=None, forget_bias=1.0,
               state_is_tuple=True, activation=None, reuse=None, name=None,
               dtype=None):
    super().__init__(name=name, dtype=dtype, _reuse=reuse)
    self._num_units = num_units
    self._use_peepholes = use_peepholes
    self._cell_clip = cell_clip
    self._initializer = initializer
    self._num_proj = num_proj
    self._proj_clip = proj_clip
    self._num_unit_shards = num_unit_shards
    self._num_proj_shards = num_proj_shards
    self._forget_bias = forget_bias
    self._state_is_tuple = state_is_tuple
    self._activation = activation or tf.tanh

  @property
  def state_size(self):
    h = self._num_proj or self._num_units
    if self._state_is_tuple:
      return LSTMStateTuple(self._num_units, h)
    return self._num_units + h

  @property
  def output_size(self):
    return self._num_proj or self._num_units

  def build(self, input_shape):
    depth = _input_depth(input_shape)
    h_depth = self._num_proj or self._num_units
    self._kernel = self.add_weight(
        'kernel', [depth + h_depth, 4 * self._num_units],
        initializer=self._initializer,
        partitioner=_shards(self._num_unit_shards))
    self._bias = self.add_weight(
        'bias', [4 * self._num_units],
        initializer=tf.compat.v1.zeros_initializer(dtype=self._dtype))
    if self._use_peepholes:
      self._w_f_diag, self._w_i_diag, self._w_o_diag = (
          self.add_weight(name, [self._num_units],
                          initializer=self._initializer)
          for name in ('w_f_diag', 'w_i_diag', 'w_o_diag'))
    if self._num_proj is not None:
      self._proj_kernel = self.add_weight(
          'projection/kernel', [self._num_units, self._num_proj],
          initializer=self._initializer,
          partitioner=_shards(self._num_proj_shards))
    self.built = True

  def call(self, inputs, state):
    _check_input_dtypes([inputs, state])
    sigmoid = tf.sigmoid
    num_proj = self._num_proj or self._num_units
    if self._state_is_tuple:
      c_prev, m_prev = state
    else:
      c_prev = tf.slice(state, [0, 0], [-1, self._num_units])
      m_prev = tf.slice(state, [0, self._num_units], [-1, num_proj])
    lstm_matrix = tf.matmul(tf.concat([inputs, m_prev], 1), self._kernel)
    lstm_matrix = tf.nn.bias_add(lstm_matrix, self._bias)
    i, j, f, o = tf.split(lstm_matrix, 4, axis=1)
    if self._use_peepholes:
      c = (sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev
           + sigmoid(i + self._w_i_diag * c_prev) * self._activation(j))
    else:
      c = (sigmoid(f + self._forget_bias) * c_prev
           + sigmoid(i) * self._activation(j))
    if self._cell_clip is not None:
      c = tf.clip_by_value(c, -self._cell_clip, self._cell_clip)
    if self._use_peepholes:
      m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
    else:
      m = sigmoid(o) * self._activation(c)
    if self._num_proj is not None:
      m = tf.matmul(m, self._proj_kernel)
      if self._proj_clip is not None:
        m = tf.clip_by_value(m, -self._proj_clip, self._proj_clip)
    if self._state_is_tuple:
      return m, LSTMStateTuple(c, m)
    return m, tf.concat([c, m], 1)


def _shards(count):
  return (None if count is None
          else tf.compat.v1.fixed_size_partitioner(count))


@contextlib.contextmanager
def _v2_shapes():
  """TensorFlow 2's TensorShape (ints, not TF1's Dimensions) within, as
  Keras 3's code expects (GRUCell splits its bias by bias.shape[0])."""
  was_v2 = isinstance(tf.TensorShape([1])[0], int)
  tf.compat.v1.enable_v2_tensorshape()
  try:
    yield
  finally:
    if not was_v2:
      tf.compat.v1.disable_v2_tensorshape()


class KerasCell:
  """A Keras 3 recurrent cell (tf.keras.layers.SimpleRNNCell, GRUCell,
  LSTMCell) as TF 1.15's RNN functions took tf.keras's cells: called with a
  state tensor, or a list of them (LSTMCell's [h, c]), it returns its state
  in the same form, and has zero_state and get_initial_state as TF1's
  cells do. Its variables are Keras's, named by the name scope they are
  made in (rnn/while/simple_rnn_cell/kernel, as TF 1.15 named
  tf.keras's)."""

  def __init__(self, cell):
    self.cell = cell

  @property
  def state_size(self):
    size = self.cell.state_size
    return list(size) if isinstance(size, (list, tuple)) else size

  @property
  def output_size(self):
    return getattr(self.cell, 'output_size', None) or self.cell.units

  def zero_state(self, batch_size, dtype):
    with tf.name_scope(type(self.cell).__name__ + 'ZeroState'):
      return _zero_state_tensors(self.state_size, batch_size, dtype)

  def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
    if inputs is not None:
      inputs = tf.convert_to_tensor(inputs)
      batch_size = tf.shape(inputs)[0] if batch_size is None else batch_size
      dtype = dtype or inputs.dtype
    return self.zero_state(batch_size, dtype)

  def __call__(self, inputs, state, scope=None):
    del scope  # Keras names its variables by the name scope.
    nested = isinstance(state, (list, tuple))
    with _v2_shapes():
      output, new_state = self.cell(inputs,
                                    list(state) if nested else [state])
    new_state = (list(new_state) if isinstance(new_state, (list, tuple))
                 else [new_state])
    return output, new_state if nested else new_state[0]


def keras_cell(cell):
  """cell, a Keras 3 cell adapted (KerasCell) to TF1's RNN functions, which
  take anything else as it is."""
  if (type(cell).__module__.startswith('keras.') and
      hasattr(cell, 'state_size') and callable(cell)):
    return KerasCell(cell)
  return cell


class MultiRNNCell(RNNCell):
  """tf.nn.rnn_cell.MultiRNNCell: cells stacked, cell i's variables under
  multi_rnn_cell/cell_<i>/."""

  def __init__(self, cells, state_is_tuple=True):
    super().__init__()
    if not cells:
      raise ValueError('Must specify at least one cell for MultiRNNCell.')
    if not tf.nest.is_nested(cells):
      raise TypeError('cells must be a list or tuple, but saw: %s.' % cells)
    self._cells = list(cells)
    self._state_is_tuple = state_is_tuple
    if not state_is_tuple and any(tf.nest.is_nested(cell.state_size)
                                  for cell in self._cells):
      raise ValueError('Some cells return tuples of states, but the flag '
                       'state_is_tuple is not set. State sizes are: %s'
                       % [cell.state_size for cell in self._cells])

  @property
  def state_size(self):
    if self._state_is_tuple:
      return tuple(cell.state_size for cell in self._cells)
    return sum(cell.state_size for cell in self._cells)

  @property
  def output_size(self):
    return self._cells[-1].output_size

  def zero_state(self, batch_size, dtype):
    with tf.name_scope(type(self).__name__ + 'ZeroState'):
      if self._state_is_tuple:
        return tuple(cell.zero_state(batch_size, dtype)
                     for cell in self._cells)
      return super().zero_state(batch_size, dtype)

  @property
  def trainable_weights(self):
    if not self.trainable:
      return []
    return [w for cell in self._cells if isinstance(cell, Layer)
            for w in cell.trainable_weights]

  @property
  def non_trainable_weights(self):
    weights = [w for cell in self._cells if isinstance(cell, Layer)
               for w in cell.non_trainable_weights]
    if not self.trainable:
      weights = [w for cell in self._cells if isinstance(cell, Layer)
                 for w in cell.trainable_weights] + weights
    return weights

  trainable_variables = trainable_weights
  non_trainable_variables = non_trainable_weights

  def call(self, inputs, state):
    position = 0
    output = inputs
    new_states = []
    for i, cell in enumerate(self._cells):
      with tf.compat.v1.variable_scope('cell_%d' % i):
        if self._state_is_tuple:
          if not tf.nest.is_nested(state):
            raise ValueError('Expected state to be a tuple of length %d, but '
                             'received: %s' % (len(self.state_size), state))
          cell_state = state[i]
        else:
          cell_state = tf.slice(state, [0, position], [-1, cell.state_size])
          position += cell.state_size
        try:
          output, new_state = cell(output, cell_state)
        except ValueError as e:
          first = self._cells.index(cell)
          if first == i:
            raise
          # As on TF 1.15 (TF 1.0 made new variables for each layer), but
          # saying why.
          raise ValueError(
              'MultiRNNCell: layer %d is the cell object of layer %d, whose '
              'weights were made for layer %d\'s inputs; make a cell for '
              'each layer: MultiRNNCell([%s(...) for _ in range(%d)]), not '
              '[cell] * %d (%s)' % (i, first, first, type(cell).__name__,
                                    len(self._cells), len(self._cells),
                                    str(e).splitlines()[0])) from e
        new_states.append(new_state)
    if self._state_is_tuple:
      return output, tuple(new_states)
    return output, tf.concat(new_states, 1)


class _Wrapper(RNNCell):
  """A cell around another, whose variables stay where the wrapped cell
  puts them (TF 1.15's _RNNCellWrapperV1: no scope of the wrapper's own)."""

  def __init__(self, cell):
    super().__init__()
    if not all(hasattr(cell, a) for a in ('output_size', 'state_size')) or (
        not callable(cell)):
      raise TypeError('The argument \'cell\' (%s) is not an RNNCell.' % cell)
    self.cell = cell

  def __call__(self, inputs, state, scope=None):
    return self._call_wrapped_cell(inputs, state, self.cell.__call__,
                                   scope=scope)

  def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
    raise NotImplementedError

  @property
  def state_size(self):
    return self.cell.state_size

  @property
  def output_size(self):
    return self.cell.output_size

  def zero_state(self, batch_size, dtype):
    with tf.name_scope(type(self).__name__ + 'ZeroState'):
      return self.cell.zero_state(batch_size, dtype)

  @property
  def trainable_weights(self):
    return getattr(self.cell, 'trainable_weights', [])

  @property
  def non_trainable_weights(self):
    return getattr(self.cell, 'non_trainable_weights', [])

  trainable_variables = trainable_weights
  non_trainable_variables = non_trainable_weights


def _enumerated_map_up_to(shallow, fn, *structures):
  """map_structure_up_to(shallow, fn(i, ...)), i counting the leaves of
  shallow in order."""
  counter = [0]

  def numbered(*values):
    result = fn(counter[0], *values)
    counter[0] += 1
    return result
  return _nest.map_structure_up_to(shallow, numbered, *structures)


def _default_dropout_state_filter(substate):
  """Which parts of a state DropoutWrapper drops: all but an LSTM's c."""
  if isinstance(substate, LSTMStateTuple):
    return LSTMStateTuple(c=False, h=True)
  if isinstance(substate, tf.TensorArray):
    return False
  return True


class DropoutWrapper(_Wrapper):
  """tf.nn.rnn_cell.DropoutWrapper: dropout on a cell's inputs, outputs and
  (but for an LSTM's c) its state, with a new mask every step, or one mask
  for the whole sequence (variational_recurrent). With seed, each mask's
  op seed is TF 1.15's (an MD5 of the seed and the part dropped), so the
  masks are TensorFlow's own for the same graph seed."""

  def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0,
               state_keep_prob=1.0, variational_recurrent=False,
               input_size=None, dtype=None, seed=None,
               dropout_state_filter_visitor=None):
    super().__init__(cell)
    if (dropout_state_filter_visitor is not None and
        not callable(dropout_state_filter_visitor)):
      raise TypeError('dropout_state_filter_visitor must be callable')
    self._dropout_state_filter = (dropout_state_filter_visitor or
                                  _default_dropout_state_filter)
    with tf.name_scope('DropoutWrapperInit'):
      for prob, attr in ((input_keep_prob, 'input_keep_prob'),
                         (state_keep_prob, 'state_keep_prob'),
                         (output_keep_prob, 'output_keep_prob')):
        tensor = tf.convert_to_tensor(prob)
        constant = tf.get_static_value(tensor)
        if constant is not None:
          if constant < 0 or constant > 1:
            raise ValueError('Parameter %s must be between 0 and 1: %s'
                             % (attr, constant))
          setattr(self, '_' + attr, float(constant))
        else:
          setattr(self, '_' + attr, tensor)
    self._variational_recurrent = variational_recurrent
    self._seed = seed
    self._recurrent_input_noise = None
    self._recurrent_state_noise = None
    self._recurrent_output_noise = None
    if variational_recurrent:
      if dtype is None:
        raise ValueError('When variational_recurrent=True, dtype must be '
                         'provided')

      def batch_noise(size, seed):
        shape = tf.concat(([1], tf.TensorShape(size).as_list()), 0)
        return tf.random.uniform(shape, seed=seed, dtype=dtype)

      def noise(prefix, sizes):
        return _enumerated_map_up_to(
            sizes, lambda i, s: batch_noise(s, self._gen_seed(prefix, i)),
            sizes)

      if (not isinstance(self._input_keep_prob, numbers.Real) or
          self._input_keep_prob < 1.0):
        if input_size is None:
          raise ValueError('When variational_recurrent=True and '
                           'input_keep_prob < 1.0 or is unknown, input_size '
                           'must be provided')
        self._recurrent_input_noise = noise('input', input_size)
      self._recurrent_state_noise = noise('state', cell.state_size)
      self._recurrent_output_noise = noise('output', cell.output_size)

  @property
  def wrapped_cell(self):
    return self.cell

  def _gen_seed(self, salt_prefix, index):
    if self._seed is None:
      return None
    text = (str(self._seed) + '%s_%d' % (salt_prefix, index)).encode('utf-8')
    return int(hashlib.md5(text).hexdigest()[:8], 16) & 0x7FFFFFFF

  def _dropout(self, values, salt_prefix, recurrent_noise, keep_prob,
               shallow=None):
    if shallow is None:
      shallow = values
    if not self._variational_recurrent:
      def drop(i, do_dropout, value):
        if not isinstance(do_dropout, bool) or do_dropout:
          return tf.nn.dropout(value, rate=1.0 - keep_prob,
                               seed=self._gen_seed(salt_prefix, i))
        return value
      return _enumerated_map_up_to(shallow, drop, shallow, values)

    def drop_variational(i, do_dropout, value, noise):
      del i
      if not isinstance(do_dropout, bool) or do_dropout:
        # floor of U[keep_prob, 1 + keep_prob): 1 with probability keep_prob.
        kept = tf.floor(keep_prob + noise)
        dropped = tf.divide(value, keep_prob) * kept
        dropped.set_shape(value.get_shape())
        return dropped
      return value
    return _enumerated_map_up_to(shallow, drop_variational, shallow, values,
                                 recurrent_noise)

  def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
    def should_drop(p):
      return (not isinstance(p, float)) or p < 1

    if should_drop(self._input_keep_prob):
      inputs = self._dropout(inputs, 'input', self._recurrent_input_noise,
                             self._input_keep_prob)
    output, new_state = cell_call_fn(inputs, state, **kwargs)
    if should_drop(self._state_keep_prob):
      shallow = _nest.get_traverse_shallow_structure(
          self._dropout_state_filter, new_state)
      new_state = self._dropout(new_state, 'state',
                                self._recurrent_state_noise,
                                self._state_keep_prob, shallow)
    if should_drop(self._output_keep_prob):
      output = self._dropout(output, 'output', self._recurrent_output_noise,
                             self._output_keep_prob)
    return output, new_state


class ResidualWrapper(_Wrapper):
  """tf.nn.rnn_cell.ResidualWrapper: the cell's output plus its input (or
  residual_fn(inputs, outputs))."""

  def __init__(self, cell, residual_fn=None):
    super().__init__(cell)
    self._residual_fn = residual_fn

  def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
    outputs, new_state = cell_call_fn(inputs, state, **kwargs)

    def add(inputs, outputs):
      tf.nest.assert_same_structure(inputs, outputs)
      tf.nest.map_structure(
          lambda i, o: i.get_shape().assert_is_compatible_with(o.get_shape()),
          inputs, outputs)
      return tf.nest.map_structure(lambda i, o: i + o, inputs, outputs)
    return (self._residual_fn or add)(inputs, outputs), new_state


class DeviceWrapper(_Wrapper):
  """tf.nn.rnn_cell.DeviceWrapper: the cell's ops on one device."""

  def __init__(self, cell, device):
    super().__init__(cell)
    self._device = device

  def zero_state(self, batch_size, dtype):
    with tf.name_scope(type(self).__name__ + 'ZeroState'):
      with tf.device(self._device):
        return self.cell.zero_state(batch_size, dtype)

  def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
    with tf.device(self._device):
      return cell_call_fn(inputs, state, **kwargs)


# Every name tf.nn.rnn_cell had in TF 1.15.
TF1_NAMES = ('BasicLSTMCell', 'BasicRNNCell', 'DeviceWrapper', 'DropoutWrapper',
             'GRUCell', 'LSTMCell', 'LSTMStateTuple', 'MultiRNNCell',
             'RNNCell', 'ResidualWrapper')


def __getattr__(name):
  # A typo gets Python's answer under TF1's name, not this module's.
  close = difflib.get_close_matches(name, TF1_NAMES, n=1)
  raise AttributeError("module 'tf.nn.rnn_cell' has no attribute %r%s" % (
      name, '; did you mean %r?' % close[0] if close else ''))
