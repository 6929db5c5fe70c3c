"""The canned estimators of TensorFlow 1.15 that tutorials used:
DNNClassifier, DNNRegressor, LinearClassifier, LinearRegressor, on
tf.feature_column (TensorFlow 2.21 still builds its input_layer and
linear_model in graphs).

As TF 1.15's tf.estimator (the v1 classes): the loss is the SUM over the
batch (loss_reduction), Adagrad at 0.05 for a DNN and FTRL at 0.2 for a
linear model; variables
dnn/hiddenlayer_N/{kernel,bias} and dnn/logits/..., or
linear/linear_model/<column>/weights and .../bias_weights; predictions
logits, probabilities, class_ids, classes, all_class_ids and
all_classes (and logistic for two classes), or predictions for a regressor; metrics accuracy, average_loss
and loss (and for two classes auc, precision, recall and the rest), or
average_loss and loss.
"""

import tensorflow as tf

from legacy_dnn.tf1 import removed
from legacy_dnn.tf1.estimator import estimator as estimator_lib
from legacy_dnn.tf1.estimator import export as export_lib
from legacy_dnn.tf1.estimator.model_fn import DEFAULT_SERVING_KEY
from legacy_dnn.tf1.estimator.model_fn import EstimatorSpec
from legacy_dnn.tf1.estimator.model_fn import ModeKeys

_OPTIMIZERS = {
    'Adagrad': tf.compat.v1.train.AdagradOptimizer,
    'Adam': tf.compat.v1.train.AdamOptimizer,
    'Ftrl': tf.compat.v1.train.FtrlOptimizer,
    'RMSProp': tf.compat.v1.train.RMSPropOptimizer,
    'SGD': tf.compat.v1.train.GradientDescentOptimizer,
}
# The learning rates of an optimizer given by name, as TF 1.15's v1 canned
# estimators had them ('Adagrad', 'Ftrl', ...).
_DNN_LEARNING_RATE = 0.05
_LINEAR_LEARNING_RATE = 0.2


def _optimizer(optimizer, learning_rate):
  """An optimizer of a name (at learning_rate), an instance, or a
  function that returns one."""
  if isinstance(optimizer, str):
    if optimizer not in _OPTIMIZERS:
      raise ValueError('Unsupported optimizer name: %s. Supported names '
                       'are: %s' % (optimizer, sorted(_OPTIMIZERS)))
    return _OPTIMIZERS[optimizer](learning_rate=learning_rate)
  if callable(optimizer) and not isinstance(
      optimizer, tf.compat.v1.train.Optimizer):
    optimizer = optimizer()
  if not isinstance(optimizer, tf.compat.v1.train.Optimizer):
    raise ValueError('The given object is not an Optimizer instance. Given: '
                     '%r' % (optimizer,))
  return optimizer


class _Head:
  """What a canned estimator predicts, its loss and its metrics."""

  def __init__(self, n_classes=None, label_dimension=1, weight_column=None,
               label_vocabulary=None, loss_reduction=None):
    self.n_classes = n_classes
    self.label_dimension = label_dimension
    self.weight_column = weight_column
    self.label_vocabulary = label_vocabulary
    self.loss_reduction = loss_reduction or tf.compat.v1.losses.Reduction.SUM
    if loss_reduction == tf.compat.v1.losses.Reduction.NONE:
      raise ValueError('Invalid loss_reduction: none')
    if n_classes is not None and n_classes < 2:
      raise ValueError('n_classes must be > 1 for classification: %s'
                       % n_classes)
    if label_vocabulary is not None and (
        n_classes is None or len(label_vocabulary) != n_classes):
      raise ValueError('label_vocabulary must be a list of n_classes '
                       'strings, given %r' % (label_vocabulary,))

  @property
  def logits_dimension(self):
    if self.n_classes is None:
      return self.label_dimension
    return 1 if self.n_classes == 2 else self.n_classes

  def _weights(self, features):
    if self.weight_column is None:
      return 1.
    key = getattr(self.weight_column, 'key', self.weight_column)
    return tf.reshape(tf.cast(features[key], tf.float32), [-1, 1])

  def _class_ids(self, labels):
    labels = tf.reshape(labels, [-1, 1])
    if self.label_vocabulary is not None:
      table = tf.compat.v1.lookup.StaticHashTable(
          tf.lookup.KeyValueTensorInitializer(
              list(self.label_vocabulary),
              list(range(len(self.label_vocabulary))), value_dtype=tf.int64),
          -1)
      return table.lookup(labels)
    return tf.cast(labels, tf.int64)

  def _predictions(self, logits):
    if self.n_classes is None:
      return {'predictions': logits}
    if self.n_classes == 2:
      logistic = tf.sigmoid(logits, name='logistic')
      two_class_logits = tf.concat([tf.zeros_like(logits), logits], axis=-1,
                                   name='two_class_logits')
      probabilities = tf.nn.softmax(two_class_logits, name='probabilities')
      class_ids = tf.argmax(two_class_logits, axis=-1, name='class_ids')
      predictions = {'logits': logits, 'logistic': logistic}
    else:
      probabilities = tf.nn.softmax(logits, name='probabilities')
      class_ids = tf.argmax(logits, axis=-1, name='class_ids')
      predictions = {'logits': logits}
    class_ids = tf.expand_dims(class_ids, axis=-1)
    if self.label_vocabulary is not None:
      classes = tf.gather(tf.constant(list(self.label_vocabulary)),
                          class_ids, name='classes')
    else:
      classes = tf.strings.as_string(class_ids, name='str_classes')
    batch = tf.shape(logits)[0]
    predictions.update(
        probabilities=probabilities, class_ids=class_ids, classes=classes,
        all_class_ids=tf.tile(tf.expand_dims(tf.range(self.n_classes), 0),
                              [batch, 1]),
        all_classes=tf.tile(tf.expand_dims(self._class_names(), 0),
                            [batch, 1]))
    return predictions

  def _class_names(self):
    if self.label_vocabulary is not None:
      return tf.constant(list(self.label_vocabulary))
    return tf.strings.as_string(tf.range(self.n_classes))

  def _export_outputs(self, predictions):
    outputs = {'predict': export_lib.PredictOutput(predictions)}
    if self.n_classes is None:
      regression = export_lib.RegressionOutput(predictions['predictions'])
      outputs.update({DEFAULT_SERVING_KEY: regression,
                      'regression': regression})
      return outputs
    batch = tf.shape(predictions['probabilities'])[0]
    classes = tf.tile(tf.expand_dims(self._class_names(), 0), [batch, 1])
    classification = export_lib.ClassificationOutput(
        scores=predictions['probabilities'], classes=classes)
    outputs.update({DEFAULT_SERVING_KEY: classification,
                    'classification': classification})
    if self.n_classes == 2:
      outputs['regression'] = export_lib.RegressionOutput(
          predictions['logistic'])
    return outputs

  def _unreduced_loss(self, labels, logits):
    if self.n_classes is None:
      labels = tf.reshape(tf.cast(labels, tf.float32),
                          [-1, self.label_dimension])
      return labels, tf.compat.v1.losses.mean_squared_error(
          labels, logits, reduction=tf.compat.v1.losses.Reduction.NONE)
    class_ids = self._class_ids(labels)
    if self.n_classes == 2:
      return class_ids, tf.nn.sigmoid_cross_entropy_with_logits(
          labels=tf.cast(class_ids, tf.float32), logits=logits)
    return class_ids, tf.expand_dims(
        tf.compat.v1.losses.sparse_softmax_cross_entropy(
            class_ids, logits, reduction=tf.compat.v1.losses.Reduction.NONE),
        axis=-1)

  def _metrics(self, labels, predictions, unreduced, weights):
    metrics = {'average_loss': tf.compat.v1.metrics.mean(unreduced, weights)}
    if self.n_classes is None:
      metrics['label/mean'] = tf.compat.v1.metrics.mean(labels, weights)
      metrics['prediction/mean'] = tf.compat.v1.metrics.mean(
          predictions['predictions'], weights)
      return metrics
    metrics['accuracy'] = tf.compat.v1.metrics.accuracy(
        labels, predictions['class_ids'], weights)
    if self.n_classes == 2:
      real = tf.cast(labels, tf.float32)
      logistic = predictions['logistic']
      metrics.update({
          'prediction/mean': tf.compat.v1.metrics.mean(logistic, weights),
          'label/mean': tf.compat.v1.metrics.mean(real, weights),
          'precision': tf.compat.v1.metrics.precision(
              real, predictions['class_ids'], weights),
          'recall': tf.compat.v1.metrics.recall(
              real, predictions['class_ids'], weights),
          'auc': tf.compat.v1.metrics.auc(real, logistic, weights,
                                          curve='ROC'),
          'auc_precision_recall': tf.compat.v1.metrics.auc(
              real, logistic, weights, curve='PR'),
      })
      mean, update = metrics['label/mean']
      metrics['accuracy_baseline'] = (tf.maximum(mean, 1. - mean), update)
    return metrics

  def spec(self, features, mode, logits, labels, optimizer):
    """The EstimatorSpec of logits in mode."""
    with tf.compat.v1.name_scope('head'):
      predictions = self._predictions(logits)
      if mode == ModeKeys.PREDICT:
        return EstimatorSpec(mode, predictions=predictions,
                             export_outputs=self._export_outputs(predictions))
      labels, unreduced = self._unreduced_loss(labels, logits)
      weights = self._weights(features)
      loss = tf.compat.v1.losses.compute_weighted_loss(
          unreduced, weights, reduction=self.loss_reduction)
      if mode == ModeKeys.EVAL:
        return EstimatorSpec(mode, predictions=predictions, loss=loss,
                             eval_metric_ops=self._metrics(
                                 labels, predictions, unreduced, weights))
      train_op = optimizer.minimize(
          loss, global_step=tf.compat.v1.train.get_global_step())
      update_ops = tf.compat.v1.get_collection(
          tf.compat.v1.GraphKeys.UPDATE_OPS)
      if update_ops:
        train_op = tf.group(train_op, *update_ops)
      mean_loss = None
      if self.loss_reduction == tf.compat.v1.losses.Reduction.SUM:
        mean_loss = loss / tf.reduce_sum(weights * tf.ones_like(unreduced))
    # The summaries' tags are loss and average_loss, as TF 1.15's (a loss
    # summary of the model_fn's own keeps the Estimator from adding one).
    with tf.compat.v1.name_scope(''):
      tf.compat.v1.summary.scalar('loss', loss)
      if mean_loss is not None:
        tf.compat.v1.summary.scalar('average_loss', mean_loss)
    return EstimatorSpec(mode, predictions=predictions, loss=loss,
                         train_op=train_op)


def _check_features(features):
  if not isinstance(features, dict):
    raise ValueError('features should be a dictionary of `Tensor`s. Given '
                     'type: %s' % type(features))


def _layer_summary(value, tag):
  tf.compat.v1.summary.scalar('%s/fraction_of_zero_values' % tag,
                              tf.math.zero_fraction(value))
  tf.compat.v1.summary.histogram('%s/activation' % tag, value)


def _dense(inputs, units, activation, scope):
  """A layer of the DNN, its summaries tagged dnn/<scope> in the name
  scope dnn/, as TF 1.15's were (dnn/dnn/hiddenlayer_0/activation)."""
  with tf.compat.v1.variable_scope(scope) as variable_scope:
    kernel = tf.compat.v1.get_variable(
        'kernel', [inputs.shape[-1], units],
        initializer=tf.compat.v1.glorot_uniform_initializer())
    bias = tf.compat.v1.get_variable(
        'bias', [units], initializer=tf.compat.v1.zeros_initializer())
    outputs = tf.nn.bias_add(tf.matmul(inputs, kernel), bias)
    if activation is not None:
      outputs = activation(outputs)
  _layer_summary(outputs, variable_scope.name)
  return outputs


def _dnn_model_fn(head, hidden_units, feature_columns, optimizer,
                  activation_fn, dropout, batch_norm):
  def model_fn(features, labels, mode):
    _check_features(features)
    with tf.compat.v1.variable_scope('dnn'):
      with tf.compat.v1.variable_scope('input_from_feature_columns'):
        net = tf.compat.v1.feature_column.input_layer(features,
                                                      feature_columns)
      training = mode == ModeKeys.TRAIN
      for i, units in enumerate(hidden_units):
        net = _dense(net, units, activation_fn, 'hiddenlayer_%d' % i)
        if dropout is not None and training:
          net = tf.nn.dropout(net, rate=dropout)
        if batch_norm:
          net = tf.compat.v1.layers.batch_normalization(
              net, momentum=0.999, training=training,
              name='batchnorm_%d' % i)
      logits = _dense(net, head.logits_dimension, None, 'logits')
    return head.spec(features, mode, logits, labels,
                     _optimizer(optimizer, _DNN_LEARNING_RATE)
                     if mode == ModeKeys.TRAIN else None)
  return model_fn


def _fraction_of_zero(columns_to_variables):
  """The fraction of the linear model's weights (not its bias) that are
  zero."""
  variables = [part for parts in columns_to_variables.values()
               for part in parts]
  sizes = [tf.size(v, out_type=tf.int64) for v in variables]
  zeros = [tf.math.zero_fraction(v) * tf.cast(size, tf.float32)
           for v, size in zip(variables, sizes)]
  return tf.add_n(zeros) / tf.cast(tf.add_n(sizes), tf.float32)


def _linear_model_fn(head, feature_columns, optimizer, sparse_combiner):
  def model_fn(features, labels, mode):
    _check_features(features)
    with tf.compat.v1.variable_scope('linear'):
      columns_to_variables = {}
      logits = tf.compat.v1.feature_column.linear_model(
          features, feature_columns, units=head.logits_dimension,
          sparse_combiner=sparse_combiner,
          cols_to_vars=columns_to_variables)
      bias = columns_to_variables.pop('bias')
      if head.logits_dimension > 1:
        tf.compat.v1.summary.histogram('bias', bias)
      else:
        tf.compat.v1.summary.scalar('bias', bias[0][0])
      tf.compat.v1.summary.scalar('fraction_of_zero_weights',
                                  _fraction_of_zero(columns_to_variables))
    return head.spec(features, mode, logits, labels,
                     _optimizer(optimizer, _LINEAR_LEARNING_RATE)
                     if mode == ModeKeys.TRAIN else None)
  return model_fn


def _columns(feature_columns, api):
  columns = tuple(feature_columns or ())
  if not columns:
    raise ValueError('%s: feature_columns must not be empty' % api)
  return columns


def _given(name, value):
  """(name, value) where value is not None: an argument to refuse."""
  return None if value is None else (name, value)


class _Canned(estimator_lib.Estimator):
  """An Estimator of a canned model_fn; what each canned class refuses."""

  def __init__(self, model_fn, partitioner, model_dir, config,
               warm_start_from, unsupported):
    api = 'tf.estimator.' + type(self).__name__
    estimator_lib.refuse_arguments(api, unsupported)
    if partitioner is not None:
      raise removed.NotProvidedError(
          '%s(%s=...)' % (api, partitioner[0]),
          'no partitioner: legacy_dnn.v1 trains in one process')
    super().__init__(model_fn, model_dir=model_dir, config=config,
                     warm_start_from=warm_start_from)


class DNNClassifier(_Canned):
  """A feed-forward classifier of hidden_units ReLU layers (by default) on
  feature_columns, as TF 1.15's tf.estimator.DNNClassifier."""

  def __init__(self, hidden_units, feature_columns, model_dir=None,
               n_classes=2, weight_column=None, label_vocabulary=None,
               optimizer='Adagrad', activation_fn=tf.nn.relu, dropout=None,
               input_layer_partitioner=None, config=None,
               warm_start_from=None,
               loss_reduction=tf.compat.v1.losses.Reduction.SUM,
               batch_norm=False, **unsupported):
    head = _Head(n_classes=n_classes, weight_column=weight_column,
                 label_vocabulary=label_vocabulary,
                 loss_reduction=loss_reduction)
    super().__init__(
        _dnn_model_fn(head, tuple(hidden_units),
                      _columns(feature_columns, 'DNNClassifier'), optimizer,
                      activation_fn, dropout, batch_norm),
        _given('input_layer_partitioner', input_layer_partitioner),
        model_dir, config, warm_start_from, unsupported)


class DNNRegressor(_Canned):
  """A feed-forward regressor (mean squared error), as TF 1.15's
  tf.estimator.DNNRegressor."""

  def __init__(self, hidden_units, feature_columns, model_dir=None,
               label_dimension=1, weight_column=None, optimizer='Adagrad',
               activation_fn=tf.nn.relu, dropout=None,
               input_layer_partitioner=None, config=None,
               warm_start_from=None,
               loss_reduction=tf.compat.v1.losses.Reduction.SUM,
               batch_norm=False, **unsupported):
    head = _Head(label_dimension=label_dimension, weight_column=weight_column,
                 loss_reduction=loss_reduction)
    super().__init__(
        _dnn_model_fn(head, tuple(hidden_units),
                      _columns(feature_columns, 'DNNRegressor'), optimizer,
                      activation_fn, dropout, batch_norm),
        _given('input_layer_partitioner', input_layer_partitioner),
        model_dir, config, warm_start_from, unsupported)


class LinearClassifier(_Canned):
  """A linear (logistic or softmax) classifier on feature_columns, trained
  with FTRL by default, as TF 1.15's tf.estimator.LinearClassifier."""

  def __init__(self, feature_columns, model_dir=None, n_classes=2,
               weight_column=None, label_vocabulary=None, optimizer='Ftrl',
               config=None, partitioner=None, warm_start_from=None,
               loss_reduction=tf.compat.v1.losses.Reduction.SUM,
               sparse_combiner='sum', **unsupported):
    head = _Head(n_classes=n_classes, weight_column=weight_column,
                 label_vocabulary=label_vocabulary,
                 loss_reduction=loss_reduction)
    super().__init__(
        _linear_model_fn(head, _columns(feature_columns, 'LinearClassifier'),
                         optimizer, sparse_combiner),
        _given('partitioner', partitioner), model_dir, config,
        warm_start_from, unsupported)


class LinearRegressor(_Canned):
  """A linear regressor (mean squared error) on feature_columns, as TF
  1.15's tf.estimator.LinearRegressor."""

  def __init__(self, feature_columns, model_dir=None, label_dimension=1,
               weight_column=None, optimizer='Ftrl', config=None,
               partitioner=None, warm_start_from=None,
               loss_reduction=tf.compat.v1.losses.Reduction.SUM,
               sparse_combiner='sum', **unsupported):
    head = _Head(label_dimension=label_dimension, weight_column=weight_column,
                 loss_reduction=loss_reduction)
    super().__init__(
        _linear_model_fn(head, _columns(feature_columns, 'LinearRegressor'),
                         optimizer, sparse_combiner),
        _given('partitioner', partitioner), model_dir, config,
        warm_start_from, unsupported)
