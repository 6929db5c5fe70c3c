"""The regression presets: faithful to their sources' Keras code, step for
step, and the cosine fit against least squares.

Each comparison starts our TF1 graph from the Keras model's initial weights
and feeds it the batches model.fit(shuffle=False) takes, in order.
"""

import dataclasses
import math
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from conftest import run_script, write_housing
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import keras_book
from legacy_dnn import loop
from legacy_dnn import model
from legacy_dnn import summaries
from legacy_dnn import tabular
from legacy_dnn import training

# float32 rounding of the same arithmetic in another order.
RTOL, ATOL = 2e-5, 2e-6


class OurGraph:
  """A variant's training graph, started from given weights."""

  def __init__(self, variant, weights, scaler=None, **overrides):
    self.cfg = config.for_variant(variant, model_dir='unused', **overrides)
    with tf.Graph().as_default() as graph:
      self.m = model.build(self.cfg, scaler=scaler)
      init = tf.compat.v1.global_variables_initializer()
      variables = tf.compat.v1.trainable_variables()
      assert sorted(v.op.name for v in variables) == sorted(weights)
      assigns = [v.assign(weights[v.op.name]) for v in variables]
      self.variables = {v.op.name: v for v in variables}
    self.sess = tf.compat.v1.Session(graph=graph)
    self.sess.run(init)
    self.sess.run(assigns)

  def epoch(self, X, y, batch_size):
    """One epoch over X in order; the mean of the batch losses, weighted by
    the batches' sizes as Keras 3's loss tracker weighs them."""
    losses, sizes = [], []
    for start in range(0, len(X), batch_size):
      _, loss = self.sess.run([self.m.train_op, self.m.loss], {
          **model.feed(self.m, X[start:start + batch_size]),
          self.m.y: y[start:start + batch_size]})
      losses.append(loss)
      sizes.append(len(X[start:start + batch_size]))
    return float(np.average(losses, weights=sizes))

  def loss(self, X, y):
    return loop.evaluate(self.sess, self.m, (X, y))[0]

  def weights(self):
    return self.sess.run(self.variables)


def housing_rows(n, seed):
  return tabular.housing_features(tabular.random_housing(n, seed))


def assert_same_weights(ours, keras_weights):
  assert sorted(ours) == sorted(keras_weights)
  for name in ours:
    np.testing.assert_allclose(ours[name], keras_weights[name], rtol=RTOL,
                               atol=ATOL, err_msg=name)


@pytest.mark.parametrize('variant', ['regression', 'wide_deep'])
def test_one_epoch_equals_the_books_keras_model_fit(variant):
  import keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(7)
  X, y = housing_rows(320, seed=1)  # 10 batches of 32.
  X_valid, y_valid = housing_rows(96, seed=2)
  X_std, X_valid_std = keras_book.standardized(X, X_valid)
  if variant == 'regression':
    net = keras_book.sequential_regressor()
    inputs, valid_inputs = X_std, X_valid_std
    targets, valid_targets = y, y_valid
  else:
    net = keras_book.wide_and_deep()
    # The book's X_train_A = X_train[:, :5], X_train_B = X_train[:, 2:].
    inputs = (X_std[:, :5], X_std[:, 2:])
    valid_inputs = (X_valid_std[:, :5], X_valid_std[:, 2:])
    targets, valid_targets = (y, y), (y_valid, y_valid)
  start = keras_book.weights(net)
  ours = OurGraph(variant, start, data.scaler(X))
  history = net.fit(inputs, targets, batch_size=32, epochs=1, shuffle=False,
                    validation_data=(valid_inputs, valid_targets), verbose=0)

  train_loss = ours.epoch(X, y, 32)
  assert_same_weights(ours.weights(), keras_book.weights(net))
  np.testing.assert_allclose(train_loss, history.history['loss'][0],
                             rtol=RTOL)
  np.testing.assert_allclose(ours.loss(X_valid, y_valid),
                             history.history['val_loss'][0], rtol=RTOL)
  # The epoch moved every variable by more than the tolerance, so the
  # comparison above could tell a step from none.
  for name, value in keras_book.weights(net).items():
    assert np.abs(value - start[name]).max() > 10 * ATOL, name


def test_wide_deep_takes_its_slices_and_weighs_its_heads():
  # Half the check above by hand: the losses of a graph whose main and aux
  # heads answer differently.
  X, y = housing_rows(64, seed=4)
  rng = np.random.default_rng(0)
  weights = {
      'hidden1/kernel': rng.normal(size=(6, 30)).astype(np.float32),
      'hidden1/bias': np.zeros(30, np.float32),
      'hidden2/kernel': rng.normal(size=(30, 30)).astype(np.float32) / 5,
      'hidden2/bias': np.zeros(30, np.float32),
      'main_output/kernel': rng.normal(size=(35, 1)).astype(np.float32),
      'main_output/bias': np.ones(1, np.float32),
      'aux_output/kernel': rng.normal(size=(30, 1)).astype(np.float32),
      'aux_output/bias': np.zeros(1, np.float32),
  }
  ours = OurGraph('wide_deep', weights, data.scaler(X))
  Xs = keras_book.standardized(X)[0].astype(np.float64)
  relu = lambda v: np.maximum(v, 0)
  hidden2 = relu(relu(Xs[:, 2:] @ weights['hidden1/kernel']) @
                 weights['hidden2/kernel'])
  main = np.concatenate([Xs[:, :5], hidden2], 1) @ weights[
      'main_output/kernel'] + 1
  aux = hidden2 @ weights['aux_output/kernel']
  expected = (0.9 * np.mean((main[:, 0] - y)**2) +
              0.1 * np.mean((aux[:, 0] - y)**2))
  np.testing.assert_allclose(ours.loss(X, y), expected, rtol=1e-4)
  loss, mse = loop.evaluate(ours.sess, ours.m, (X, y))
  np.testing.assert_allclose(mse, np.mean((main[:, 0] - y)**2), rtol=1e-4)
  assert loop.head_losses(ours.m, ours.cfg, loss, mse) == pytest.approx(
      {'main_output': mse, 'aux_output': np.mean((aux[:, 0] - y)**2)},
      rel=1e-3)


@pytest.mark.slow
def test_cosine_ends_500_epochs_where_the_exams_net_fit_does():
  import keras  # pylint: disable=g-import-not-at-top
  keras.utils.set_random_seed(43052)
  splits = tabular.cosine_splits()
  (X, y), (X_valid, y_valid) = splits['train'], splits['validation']
  assert (len(X), len(X_valid)) == (550, 450)
  net = keras_book.cosine_net()
  ours = OurGraph('cosine', keras_book.weights(net))
  # validation_split=0.45 on the whole series, shuffle off: the batches of
  # the first 550 points in order, 100 at a time. They come from one
  # repeating dataset, not fit(X, y, batch_size=100, shuffle=False): the
  # same batches in the same order, and weights equal to the bit, but one
  # iterator for the 500 epochs instead of one each (50 ms an epoch: 25 s
  # of this test's 30).
  batches = tf.data.Dataset.from_tensor_slices((X, y)).batch(100).repeat()
  history = net.fit(batches, epochs=500, steps_per_epoch=math.ceil(
      len(X) / 100), verbose=0)
  for _ in range(500):
    train_loss = ours.epoch(X, y, 100)
  assert_same_weights(ours.weights(), keras_book.weights(net))
  np.testing.assert_allclose(train_loss, history.history['loss'][-1],
                             rtol=1e-4)
  np.testing.assert_allclose(ours.loss(X_valid, y_valid),
                             net.evaluate(X_valid, y_valid, verbose=0),
                             rtol=1e-4)


def test_cosine_with_a_higher_learning_rate_reaches_least_squares():
  X, y = tabular.cosine_splits()['train']
  design = np.concatenate([np.ones((len(X), 1)), X], 1).astype(np.float64)
  beta, *_ = np.linalg.lstsq(design, y.astype(np.float64), rcond=None)
  ours = OurGraph('cosine', {'outputs/kernel': np.zeros((5, 1), np.float32),
                             'outputs/bias': np.zeros(1, np.float32)},
                  learning_rate=0.1)
  for _ in range(2000):  # Full batches: Adam settles on the minimum.
    ours.epoch(X, y, len(X))
  w = ours.weights()
  learned = np.concatenate([w['outputs/bias'], w['outputs/kernel'][:, 0]])
  np.testing.assert_allclose(learned, beta, atol=0.01)
  # Least squares itself lands near the exam's true coefficients.
  np.testing.assert_allclose(beta, tabular.COSINE_BETA, atol=0.05)


@pytest.fixture(scope='module')
def housing_dir(tmp_path_factory):
  return write_housing(str(tmp_path_factory.mktemp('housing')), 600, seed=5)


@pytest.mark.slow
def test_a_wide_deep_run_prints_and_logs_its_heads(housing_dir, tmp_path):
  result = run_script('train.py', '--variant=wide_deep', '--epochs=3',
                      '--data_dir=' + housing_dir,
                      '--model_dir=' + str(tmp_path / 'model'),
                      '--logdir=' + str(tmp_path / 'logs'))
  assert result.returncode == 0, result.stderr
  out = result.stdout
  assert re.search(r'^Data: .*cal_housing.tgz \(337 train, 113 validation, '
                   r'150 test rows\)$', out, re.M)
  epochs = re.findall(r'^Epoch: (\d{4}) cost = (\d+\.\d{9}) validation loss '
                      r'= (\d+\.\d{6}) MSE = (\d+\.\d{4}) \(\d+\.\d s\)( \*)?$',
                      out, re.M)
  assert [e[0] for e in epochs] == ['0001', '0002', '0003']
  lines = out.splitlines()
  rmse, mse = lines[-4], lines[-3]
  assert re.fullmatch(r'Test MSE: \d+\.\d{4}', mse)
  assert re.fullmatch(r'Test RMSE: \d+\.\d{4} \(in units of \$100,000\)',
                      rmse)
  assert abs(float(rmse.split()[2]) - math.sqrt(float(mse.split()[2]))) < 1e-3
  assert re.fullmatch(r'Label: -?\d+\.\d{3}', lines[-2])
  assert re.fullmatch(r'Prediction: -?\d+\.\d{3}', lines[-1])
  assert 'Accuracy' not in out

  (run,) = summaries.find_runs(str(tmp_path / 'logs'))
  curves = summaries.read_curves(str(tmp_path / 'logs' / run))
  for split in ('train', 'validation'):
    assert sorted(curves[split]) == ['aux_output_loss', 'loss',
                                     'main_output_loss']
    steps, losses = curves[split]['loss']
    _, mains = curves[split]['main_output_loss']
    _, auxes = curves[split]['aux_output_loss']
    assert steps == [1, 2, 3]
    # The logged heads add up to the loss with the book's weights.
    np.testing.assert_allclose(0.9 * np.array(mains) + 0.1 * np.array(auxes),
                               losses, rtol=1e-5)
    assert not np.allclose(mains, auxes)
  np.testing.assert_allclose(curves['validation']['main_output_loss'][1],
                             [float(e[3]) for e in epochs], atol=6e-5)


def test_warm_start_and_freeze_a_regressors_layers(housing_dir, tmp_path):
  source = config.for_variant('regression', epochs=2, data_dir=housing_dir,
                              model_dir=str(tmp_path / 'a'),
                              logdir=str(tmp_path / 'logs'))
  training.train(source)
  target = dataclasses.replace(source, model_dir=str(tmp_path / 'b'),
                               warm_start_from=source.model_dir,
                               warm_start_layers=('hidden1',),
                               freeze=('hidden1',), seed=1)
  training.train(target)
  a, b = (tf.train.load_checkpoint(os.path.join(d, 'best.ckpt'))
          for d in (source.model_dir, target.model_dir))
  np.testing.assert_array_equal(a.get_tensor('hidden1/kernel'),
                                b.get_tensor('hidden1/kernel'))
  assert not np.array_equal(a.get_tensor('outputs/kernel'),
                            b.get_tensor('outputs/kernel'))
