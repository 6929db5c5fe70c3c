"""A TF1 Estimator program, run by tests/test_tf1_estimator_reference.py
both with tensorflow-estimator 2.15 on TensorFlow 2.15 (`python ...`) and
with legacy_dnn.v1 (`python -m legacy_dnn.v1 ...`), and by
tests/test_tf1_estimator.py with legacy_dnn.v1 alone:
`estimator_program.py BASE CASE...` trains, evaluates and predicts each
CASE in BASE/CASE and writes what it saw to BASE/CASE.json (the variables
of the first and last checkpoints, losses per logged step, evaluation,
predictions, model_dir's files, event tags). CASE 'resume' trains on in
BASE/resume, which the test fills with a checkpoint of the other kind's.
"""

import glob
import json
import os
import shutil
import sys

import numpy as np
import tensorflow.compat.v1 as tf

from tensorflow.python.summary.summary_iterator import summary_iterator

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)
rng = np.random.RandomState(0)
X = rng.normal(size=(200, 4)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int32)
IMAGES = rng.uniform(size=(60, 8, 8, 1)).astype(np.float32)
IMAGE_LABELS = (IMAGES[:, :4].mean(axis=(1, 2, 3)) >
                IMAGES[:, 4:].mean(axis=(1, 2, 3))).astype(np.int32)
CONFIG = dict(tf_random_seed=1, save_summary_steps=10,
              log_step_count_steps=10, save_checkpoints_steps=20)


def dense_model_fn(features, labels, mode, params):
  hidden = tf.layers.dense(features['x'], 8, activation=tf.nn.relu)
  logits = tf.layers.dense(hidden, 2)
  predictions = {'classes': tf.argmax(logits, 1),
                 'probabilities': tf.nn.softmax(logits)}
  if mode == tf.estimator.ModeKeys.PREDICT:
    return tf.estimator.EstimatorSpec(mode, predictions=predictions)
  loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
  if mode == tf.estimator.ModeKeys.TRAIN:
    train_op = tf.train.GradientDescentOptimizer(params['lr']).minimize(
        loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
  return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
      'accuracy': tf.metrics.accuracy(labels, predictions['classes'])})


def cnn_model_fn(features, labels, mode):
  net = tf.layers.conv2d(features['x'], 4, [3, 3], padding='same',
                         activation=tf.nn.relu)
  net = tf.layers.max_pooling2d(net, [2, 2], 2)
  net = tf.layers.dense(tf.reshape(net, [-1, 4 * 4 * 4]), 16,
                        activation=tf.nn.relu)
  net = tf.layers.dropout(net, rate=0.4,
                          training=mode == tf.estimator.ModeKeys.TRAIN)
  logits = tf.layers.dense(net, 2)
  predictions = {'classes': tf.argmax(logits, 1),
                 'probabilities': tf.nn.softmax(logits, name='softmax')}
  if mode == tf.estimator.ModeKeys.PREDICT:
    return tf.estimator.EstimatorSpec(mode, predictions=predictions)
  loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
  if mode == tf.estimator.ModeKeys.TRAIN:
    train_op = tf.train.AdamOptimizer(0.01).minimize(
        loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
  return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops={
      'accuracy': tf.metrics.accuracy(labels, predictions['classes'])})


class LossPerStep(tf.train.SessionRunHook):
  """The loss of every training step: the model_fn's, which the Estimator
  adds last to the LOSSES collection."""

  def __init__(self):
    self.losses = []

  def begin(self):
    self._loss = tf.get_collection(tf.GraphKeys.LOSSES)[-1]

  def before_run(self, run_context):
    return tf.train.SessionRunArgs(self._loss)

  def after_run(self, run_context, run_values):
    self.losses.append(float(run_values.results))


def numpy_fn(x, y=None, batch_size=20, num_epochs=None):
  return tf.estimator.inputs.numpy_input_fn(
      x, y, batch_size=batch_size, num_epochs=num_epochs, shuffle=False)


COLUMNS = [tf.feature_column.numeric_column('x', shape=[4])]
COLOR = tf.feature_column.categorical_column_with_vocabulary_list(
    'color', ['red', 'green', 'blue'])
SIZE = tf.feature_column.numeric_column('size')
# Columns of every kind a tutorial used: one-hot, embedded, bucketized,
# crossed, numeric.
MIXED_COLUMNS = [
    tf.feature_column.indicator_column(COLOR),
    tf.feature_column.embedding_column(COLOR, 2),
    tf.feature_column.indicator_column(tf.feature_column.crossed_column(
        [tf.feature_column.bucketized_column(SIZE, [-1.0, 0.0, 1.0]), COLOR],
        12)),
    SIZE]
Y_REAL = (X[:, 0] - 2 * X[:, 1]).astype(np.float32)


def estimator_of(case, model_dir):
  config = tf.estimator.RunConfig(**CONFIG)
  if case in ('dense', 'resume', 'train_and_evaluate'):
    return tf.estimator.Estimator(dense_model_fn, model_dir=model_dir,
                                  config=config, params={'lr': 0.1})
  if case == 'cnn':
    return tf.estimator.Estimator(cnn_model_fn, model_dir=model_dir,
                                  config=config)
  if case == 'feature_columns':
    return tf.estimator.DNNClassifier([8], MIXED_COLUMNS, model_dir=model_dir,
                                      config=config)
  canned = {'dnn_classifier': (tf.estimator.DNNClassifier, [8, 4]),
            'dnn_regressor': (tf.estimator.DNNRegressor, [8]),
            'linear_classifier': (tf.estimator.LinearClassifier, None),
            'linear_regressor': (tf.estimator.LinearRegressor, None)}
  cls, hidden_units = canned[case]
  arguments = dict(feature_columns=COLUMNS, model_dir=model_dir,
                   config=config)
  if hidden_units:
    arguments['hidden_units'] = hidden_units
  if case.endswith('classifier'):
    arguments['n_classes'] = 3 if case == 'dnn_classifier' else 2
  return cls(**arguments)


def data_of(case):
  if case == 'feature_columns':
    color = np.array(['red', 'green', 'blue'])[
        (X[:, 2] > 0).astype(int) + (X[:, 3] > 1)]
    return {'color': color, 'size': X[:, 0]}, (
        (color == 'red') ^ (X[:, 0] > 0)).astype(np.int32)
  if case == 'cnn':
    return {'x': IMAGES}, IMAGE_LABELS
  if case == 'dnn_classifier':
    return {'x': X}, (Y + (X[:, 2] > 1)).astype(np.int32)
  if case.endswith('regressor'):
    return {'x': X}, Y_REAL
  return {'x': X}, Y


def events_of(model_dir):
  found = {}
  for path in sorted(glob.glob(os.path.join(model_dir, '**',
                                            'events.out.tfevents.*'),
                               recursive=True)):
    tags = found.setdefault(os.path.dirname(os.path.relpath(path, model_dir)),
                            {})
    for event in summary_iterator(path):
      for value in event.summary.value:
        number = value.simple_value if value.HasField('simple_value') else None
        tags.setdefault(value.tag, []).append([event.step, number])
  return found


def variables_of(checkpoint):
  return {name: tf.train.load_variable(checkpoint, name).tolist()
          for name, _ in tf.train.list_variables(checkpoint)}


def export_and_serve(estimator, export_base, x):
  """Exports for serving, then runs the default signature of the export
  on x in a graph of its own: its inputs, outputs and values."""
  shutil.rmtree(export_base, ignore_errors=True)
  receiver_fn = tf.estimator.export.build_raw_serving_input_receiver_fn(
      {'x': tf.placeholder(tf.float32, [None, 4])})
  export_dir = os.fsdecode(
      estimator.export_saved_model(export_base, receiver_fn))
  with tf.Graph().as_default(), tf.Session() as session:
    meta_graph = tf.saved_model.loader.load(session, ['serve'], export_dir)
    signature = meta_graph.signature_def['serving_default']
    outputs = session.run(
        {key: value.name for key, value in signature.outputs.items()},
        {signature.inputs['x'].name: x})
  return {'export_dir': os.path.relpath(export_dir, export_base).isdigit(),
          'signatures': sorted(meta_graph.signature_def),
          'method': signature.method_name,
          'inputs': sorted(signature.inputs),
          'outputs': {key: value.tolist() for key, value in outputs.items()}}


def run(case, model_dir):
  if case != 'resume':
    shutil.rmtree(model_dir, ignore_errors=True)
  estimator = estimator_of(case, model_dir)
  x, y = data_of(case)
  report = {}
  losses = LossPerStep()
  if case == 'train_and_evaluate':
    result, exports = tf.estimator.train_and_evaluate(
        estimator, tf.estimator.TrainSpec(numpy_fn(x, y), max_steps=50,
                                          hooks=[losses]),
        tf.estimator.EvalSpec(numpy_fn(x, y, 50, 1), steps=None,
                              throttle_secs=0))
    report['train_and_evaluate'] = {k: float(v) for k, v in result.items()}
    report['exports'] = exports
  else:
    estimator.train(numpy_fn(x, y), steps=50, hooks=[losses])
  report['losses'] = losses.losses
  if case != 'resume':
    report['first'] = variables_of(os.path.join(model_dir, 'model.ckpt-0'))
  report['eval'] = {key: float(value) for key, value in estimator.evaluate(
      numpy_fn(x, y, 50, 1)).items()}
  report['predict'] = [
      {key: np.asarray(value).tolist() for key, value in one.items()}
      for one in estimator.predict(numpy_fn(
          {key: value[:5] for key, value in x.items()}, None, 5, 1))]
  report['final'] = {name: estimator.get_variable_value(name).tolist()
                     for name in estimator.get_variable_names()}
  report['files'] = sorted(
      os.path.relpath(os.path.join(root, name), model_dir).split('.tfevents')[0]
      for root, _, names in os.walk(model_dir) for name in names)
  report['events'] = events_of(model_dir)
  if case == 'dense':
    report['served'] = export_and_serve(estimator, model_dir + '-export',
                                        x['x'][:5])
  with open(model_dir + '.json', 'w') as f:
    json.dump(report, f, default=bytes.decode)


if __name__ == '__main__':
  for name in sys.argv[2:]:
    run(name, os.path.join(sys.argv[1], name))
