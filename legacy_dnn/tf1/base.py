"""tf.layers.Layer of TensorFlow 1.15, on tf.compat.v1 variable scopes.

The object behind TF 1.15's RNN cells (rnn_cell.py): a layer that makes its
variables with get_variable in a variable scope of its own, chosen at its
first call and kept for every later one, so that a layer called twice shares
its variables, as TF1's did. Keras 3 took TensorFlow's version away (it was
Keras 2's Layer underneath); this one has no Keras in it.

What differs from TF 1.15:
- No Keras side: no get_config, input_spec, masking, eager mode,
  functional-model tracking or `losses` (a regularizer's loss goes into
  REGULARIZATION_LOSSES, as get_variable puts it).
- Op names inside the layer's scope may differ; variable names do not.
"""

import inspect
import re

import tensorflow as tf

_UPDATE_OPS = tf.compat.v1.GraphKeys.UPDATE_OPS


def snake_case(name):
  """A class name as TF1 named a layer after it: 'BasicLSTMCell' ->
  'basic_lstm_cell'."""
  name = re.sub(r'(.)([A-Z][a-z0-9]+)', r'\1_\2', name)
  return re.sub(r'([a-z])([A-Z])', r'\1_\2', name).lower()


class Layer:
  """tf.layers.Layer of TF 1.15: build() on the first call, inside the
  layer's variable scope; call() on every call, reusing that scope.

  Args:
    trainable: whether the layer's variables go into TRAINABLE_VARIABLES.
    name: the layer's variable scope (default: the class name in snake case,
      made unique as tf.layers made it: 'dense', 'dense_1', ...).
    dtype: its variables' dtype (default: its first input's).
    _reuse: TF1's reuse of an existing scope of that name.
  """

  def __init__(self, trainable=True, name=None, dtype=None, _reuse=None,
               _scope=None):
    self.trainable = trainable
    self.built = False
    self._base_name = name or snake_case(type(self).__name__)
    self._name = self._base_name
    self._dtype = None if dtype is None else tf.as_dtype(dtype)
    self._reuse = _reuse
    self._scope = None
    if _scope is not None:
      with tf.compat.v1.variable_scope(_scope) as captured:
        self._scope = captured
    self._trainable_weights = []
    self._non_trainable_weights = []
    self._updates = []

  @property
  def name(self):
    return self._name

  @property
  def dtype(self):
    return None if self._dtype is None else self._dtype.name

  @property
  def scope_name(self):
    if self._scope is None:
      raise ValueError('No name available for layer scope because the layer '
                       '"%s" has not been used yet. The scope name is '
                       'determined the first time the layer instance is '
                       'called.' % self._name)
    return self._scope.name

  @property
  def trainable_weights(self):
    return list(self._trainable_weights) if self.trainable else []

  @property
  def non_trainable_weights(self):
    if self.trainable:
      return list(self._non_trainable_weights)
    return self._trainable_weights + self._non_trainable_weights

  @property
  def weights(self):
    return self.trainable_weights + self.non_trainable_weights

  trainable_variables = trainable_weights
  non_trainable_variables = non_trainable_weights
  variables = weights

  @property
  def updates(self):
    return list(self._updates)

  def _set_scope(self, scope=None):
    """Captures the layer's variable scope at its first call (TF1's
    Layer._set_scope)."""
    if self._scope is not None:
      return
    if self._reuse:
      with tf.compat.v1.variable_scope(
          scope if scope is not None else self._base_name) as captured:
        self._scope = captured
    else:
      with tf.compat.v1.variable_scope(
          scope, default_name=self._base_name) as captured:
        self._scope = captured
    self._name = self._scope.name.split('/')[-1]

  def build(self, input_shape):
    del input_shape
    self.built = True

  def call(self, inputs, *args, **kwargs):
    del args, kwargs
    return inputs

  def __call__(self, inputs, *args, **kwargs):
    scope = kwargs.pop('scope', None)
    self._set_scope(scope)
    # Every variable made in a call counts among the layer's weights, made
    # with add_weight in build() or with tf.get_variable in call().
    with tf.compat.v1.variable_scope(
        self._scope, reuse=True if self.built else self._reuse,
        auxiliary_name_scope=False,
        custom_getter=self._tracking_getter) as captured:
      with tf.name_scope(captured.original_name_scope):
        if not self.built:
          if self._dtype is None:
            first = tf.nest.flatten(inputs)[0]
            first_dtype = getattr(first, 'dtype', None)
            first_dtype = None if first_dtype is None else tf.as_dtype(
                first_dtype)
            self._dtype = (first_dtype.base_dtype if first_dtype is not None
                           and first_dtype.is_floating else tf.float32)
          self.build(tf.nest.map_structure(_shape, inputs))
          self.built = True
        if 'scope' in inspect.signature(self.call).parameters:
          kwargs['scope'] = captured
        updates = tf.compat.v1.get_collection(_UPDATE_OPS)
        outputs = self.call(inputs, *args, **kwargs)
        # What the call put into UPDATE_OPS (a batch norm's moving
        # averages) is the layer's updates, as TF1's layers added theirs
        # there.
        self._updates.extend(
            tf.compat.v1.get_collection(_UPDATE_OPS)[len(updates):])
        return outputs

  def _tracking_getter(self, getter, *args, **kwargs):
    variable = getter(*args, **kwargs)
    self._track(variable)
    return variable

  def add_weight(self, name, shape, dtype=None, initializer=None,
                 regularizer=None, trainable=True, constraint=None,
                 partitioner=None, use_resource=None):
    """A variable <layer scope>/<name>, made or (reusing) found with
    get_variable; the scope's initializer when initializer is None, and
    get_variable's default (Glorot uniform for floats) when that is None
    too."""
    dtype = tf.as_dtype(dtype or self._dtype or tf.float32)
    trainable = trainable and self.trainable
    with tf.compat.v1.variable_scope(
        self._scope, reuse=True if self.built else self._reuse,
        auxiliary_name_scope=False) as scope:
      if initializer is None:
        initializer = scope.initializer
      variable = tf.compat.v1.get_variable(
          name, shape, dtype, initializer, regularizer=regularizer,
          trainable=trainable, constraint=constraint,
          partitioner=partitioner, use_resource=use_resource)
    self._track(variable)
    return variable

  def _track(self, variable):
    """Counts variable (each part of a partitioned one) among the layer's
    trainable or non-trainable weights, as TensorFlow's collection has it (a
    custom getter may have changed what was asked for)."""
    parts = (variable._get_variable_list()  # pylint: disable=protected-access
             if hasattr(variable, '_get_variable_list') else [variable])
    trainables = tf.compat.v1.trainable_variables()
    for part in parts:
      trainable = any(part is v for v in trainables)
      weights = (self._trainable_weights if trainable
                 else self._non_trainable_weights)
      if all(part is not v for v in weights):
        weights.append(part)

  add_variable = add_weight

  def apply(self, inputs, *args, **kwargs):
    return self.__call__(inputs, *args, **kwargs)


def _shape(value):
  shape = getattr(value, 'shape', None)
  return tf.TensorShape(shape) if shape is not None else tf.TensorShape(
      tf.convert_to_tensor(value).shape)

