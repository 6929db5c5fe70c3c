"""scripts/evaluate.py, gradcheck.py and plot_curves.py on a small trained
model, checked against the graph evaluated directly."""

import os
import re
import shutil
import struct

import numpy as np
import pytest
import tensorflow as tf

from conftest import error_lines, run_script, write_dataset, write_housing
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import gradcheck
from legacy_dnn import model
from legacy_dnn import presets
from legacy_dnn import training


def png_size(path):
  """(width, height) from a PNG's IHDR chunk; fails if it is not a PNG."""
  with open(path, 'rb') as f:
    head = f.read(24)
  assert head[:8] == b'\x89PNG\r\n\x1a\n' and head[12:16] == b'IHDR'
  return struct.unpack('>II', head[16:24])


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """A dropout-preset run of one epoch on small synthetic data."""
  root = tmp_path_factory.mktemp('trained')
  cfg = config.for_variant(
      'dropout', hidden_units=(32, 32), epochs=1, validation_size=100,
      data_dir=write_dataset(str(root / 'data'), n_test=300),
      model_dir=str(root / 'model'), logdir=str(root / 'logs'))
  training.train(cfg)
  return cfg


def direct(cfg):
  """Test loss, accuracy and logits from the best model, restored by hand."""
  images, labels = data.load(data.DATASETS['mnist'], cfg.data_dir,
                             validation_size=cfg.validation_size).test
  with tf.Graph().as_default() as graph:
    m = model.build(cfg)
    saver = tf.compat.v1.train.Saver()  # The global step too, for dropout.
  with tf.compat.v1.Session(graph=graph) as sess:
    saver.restore(sess, os.path.join(cfg.model_dir, 'best.ckpt'))
    loss, accuracy, logits = sess.run([m.loss, m.metric, m.outputs],
                                      {m.X: images, m.y: labels})
  return loss, accuracy, logits, labels


@pytest.mark.slow
def test_evaluate_prints_what_the_graph_computes(trained, tmp_path):
  plot = str(tmp_path / 'predictions.png')
  result = run_script('evaluate.py', '--model_dir=' + trained.model_dir,
                      '--data_dir=' + trained.data_dir, '--predict=3',
                      '--plot=' + plot)
  assert result.returncode == 0, result.stderr
  out = result.stdout
  loss, accuracy, logits, labels = direct(trained)
  assert 'Test loss: %.6f\n' % loss in out
  assert 'Accuracy: %.4f\n' % accuracy in out

  predicted = logits.argmax(axis=1)
  for i in range(10):
    mine = labels == i
    row = np.bincount(predicted[mine], minlength=10)
    assert re.search(r'^%d %s +%s$' % (i, i, ' +'.join(map(str, row))), out,
                     re.M), 'row %d' % i
    assert re.search(r'^  %d %-12s %.4f$' % (
        i, i, (predicted[mine] == i).mean()), out, re.M)

  probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
  probabilities /= probabilities.sum(axis=1, keepdims=True)
  shown = re.findall(r'^Test image (\d+) \(\d\):\nLabel: \[(\d)\]\n'
                     r'Prediction: \[(\d)\] \(probability (\d\.\d{4})\)$',
                     out, re.M)
  assert len(shown) == 3
  for index, label, prediction, probability in shown:
    index = int(index)
    assert int(label) == labels[index]
    assert int(prediction) == predicted[index]
    assert float(probability) == pytest.approx(
        probabilities[index].max(), abs=1e-4)
  assert png_size(plot) == (1400, 700)
  assert 'Wrote %s (1400x700)' % plot in out


@pytest.mark.slow
def test_evaluate_a_rolling_checkpoint(trained):
  (prefix,) = [p[:-len('.index')] for p in os.listdir(trained.model_dir)
               if p.startswith('model.ckpt-') and p.endswith('.index')]
  result = run_script('evaluate.py', '--model_dir=' + trained.model_dir,
                      '--data_dir=' + trained.data_dir, '--checkpoint=' +
                      os.path.join(trained.model_dir, prefix))
  assert result.returncode == 0, result.stderr
  # One epoch: the rolling checkpoint is the best model.
  assert 'Accuracy: %.4f\n' % direct(trained)[1] in result.stdout


def evaluate_error(trained, *args):
  """Runs evaluate.py on the trained model; returns its one error line."""
  result = run_script('evaluate.py', '--model_dir=' + trained.model_dir,
                      '--data_dir=' + trained.data_dir, *args)
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  return line


@pytest.mark.slow
def test_evaluate_a_checkpoint_of_other_shapes(trained, tmp_path):
  other = config.for_variant(
      'dropout', hidden_units=(16, 32), epochs=1, validation_size=100,
      data_dir=trained.data_dir, model_dir=str(tmp_path / 'other'),
      logdir=str(tmp_path / 'logs'))
  training.train(other)
  best = os.path.join(other.model_dir, 'best.ckpt')
  line = evaluate_error(trained, '--checkpoint=' + best)
  assert line.startswith(
      'evaluate.py: error: %s: variable hidden1/kernel has shape [784, 16], '
      'the model needs [784, 32]; it holds global_step [], hidden1/bias [16], '
      'hidden1/bias/Adam [16], ' % best), line
  assert 'outputs/kernel [32, 10]' in line


@pytest.mark.slow
def test_evaluate_without_a_model(tmp_path):
  os.makedirs(str(tmp_path / 'empty'))
  result = run_script('evaluate.py', '--model_dir=%s' % (tmp_path / 'empty'))
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'evaluate.py: error: --model_dir=%s: no run.json, so not a model_dir '
      'that scripts/train.py wrote' % (tmp_path / 'empty')]


@pytest.mark.slow
def test_evaluate_with_the_wrong_variant(trained):
  assert evaluate_error(trained, '--variant=homl') == (
      'evaluate.py: error: --variant=homl, but --model_dir=%s holds a dropout '
      'run' % trained.model_dir)


@pytest.mark.slow
def test_plot_curves(trained, tmp_path):
  out = str(tmp_path / 'curves.png')
  result = run_script('plot_curves.py', '--logdir=' + trained.logdir,
                      '--out=' + out)
  assert result.returncode == 0, result.stderr
  (run,) = os.listdir(trained.logdir)
  from tensorboard.backend.event_processing import event_accumulator
  accumulator = event_accumulator.EventAccumulator(
      os.path.join(trained.logdir, run, 'validation'))
  accumulator.Reload()
  (event,) = accumulator.Scalars('loss')
  assert ('%s: 1 epochs; best validation loss %.6f at epoch 1'
          % (run, event.value)) in result.stdout
  assert png_size(out) == (1200, 350)


@pytest.mark.slow
def test_plot_curves_with_a_corrupt_event_file_warns(trained, tmp_path):
  logdir = str(tmp_path / 'logs')
  shutil.copytree(trained.logdir, logdir)
  (run,) = os.listdir(logdir)
  folder = os.path.join(logdir, run, 'validation')
  (events,) = os.listdir(folder)
  with open(os.path.join(folder, events), 'r+b') as f:
    head = bytearray(f.read(120))
    f.seek(40)
    f.write(bytes(b ^ 0xff for b in head[40:]))
  result = run_script('plot_curves.py', '--logdir=' + logdir,
                      '--out=%s' % (tmp_path / 'c.png'))
  assert result.returncode == 0, result.stderr
  assert error_lines(result.stderr) == [
      'warning: %s: no loss values could be read (a corrupt or truncated '
      'event file?)' % folder]
  assert '%s: 0 epochs;' % run in result.stdout


@pytest.mark.slow
def test_plot_curves_without_runs(tmp_path):
  result = run_script('plot_curves.py', '--logdir=%s' % tmp_path,
                      '--out=%s' % (tmp_path / 'c.png'))
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'plot_curves.py: error: --logdir=%s: no runs (folders with train/ or '
      'validation/ event files)' % tmp_path]
  assert not (tmp_path / 'c.png').exists()


# A regressor's report.


@pytest.mark.slow
def test_evaluate_reports_a_regressors_figures_rows_and_plot(tmp_path):
  folder = write_housing(str(tmp_path / 'housing'))
  cfg = config.for_variant('wide_deep', epochs=2, data_dir=folder,
                           model_dir=str(tmp_path / 'model'),
                           logdir=str(tmp_path / 'logs'))
  training.train(cfg)
  plot = str(tmp_path / 'fit.png')
  result = run_script('evaluate.py', '--model_dir=' + cfg.model_dir,
                      '--data_dir=' + folder, '--predict=2', '--plot=' + plot)
  assert result.returncode == 0, result.stderr
  # The main output's predictions, from a graph restored by hand.
  features, labels = data.load(data.DATASETS[cfg.dataset], folder).test
  with tf.Graph().as_default() as graph:
    m = model.build(cfg)
    saver = tf.compat.v1.train.Saver(model.network_variables())
  with tf.compat.v1.Session(graph=graph) as sess:
    saver.restore(sess, os.path.join(cfg.model_dir, 'best.ckpt'))
    predicted = sess.run(m.outputs, model.feed(m, features))[:, 0]
  error = predicted.astype(np.float64) - labels
  mse = np.mean(error**2)
  out = result.stdout
  assert 'Test MSE: %.4f\n' % mse in out
  assert 'Test RMSE: %.4f (in units of $100,000)\n' % np.sqrt(mse) in out
  assert 'Test MAE: %.4f' % np.mean(np.abs(error)) in out
  r2 = 1 - np.sum(error**2) / np.sum((labels - labels.mean())**2)
  assert 'Test R²: %.4f\n' % r2 in out
  rows = re.findall(r'^Test row (\d+): Label: (-?\d+\.\d{3}) Prediction: '
                    r'(-?\d+\.\d{3})$', out, re.M)
  assert len(rows) == 2
  for index, label, prediction in rows:
    assert label == '%.3f' % labels[int(index)]
    assert prediction == '%.3f' % predicted[int(index)]
  assert png_size(plot) == (700, 700)


@pytest.mark.slow
def test_evaluate_draws_the_exams_cosine_fit_and_its_coefficients(tmp_path):
  cfg = config.for_variant('cosine', epochs=3, model_dir=str(tmp_path / 'm'),
                           logdir=str(tmp_path / 'logs'))
  training.train(cfg)
  plot = str(tmp_path / 'cosine.png')
  result = run_script('evaluate.py', '--model_dir=' + cfg.model_dir,
                      '--plot=' + plot)
  assert result.returncode == 0, result.stderr
  assert 'Test rows: the validation points: the exam has no test set' in (
      result.stdout)
  reader = tf.train.load_checkpoint(os.path.join(cfg.model_dir, 'best.ckpt'))
  beta = np.concatenate([reader.get_tensor('outputs/bias'),
                         reader.get_tensor('outputs/kernel')[:, 0]])
  assert ('Learned b0..b5: %s\n' % ' '.join('%.4f' % b for b in beta) in
          result.stdout)
  assert 'True b0..b5:    -2.0000 3.0000 1.0000 0.0000 0.0000 0.5000' in (
      result.stdout)
  assert png_size(plot) == (1000, 500)


# Gradient checks.


@pytest.mark.parametrize('variant', sorted(presets.PRESETS))
def test_tensorflow_gradients_match_numerical_ones(variant):
  cfg = gradcheck.small_config(variant, 6)
  image_shape = gradcheck.input_shape(cfg, 8)
  graph, loss, variables, gradients, feed = gradcheck.small_network(
      cfg, image_shape, 4)
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(tf.compat.v1.variables_initializer(variables))
    checks = gradcheck.check_gradients(sess, loss, variables, gradients, feed,
                                       gradcheck.default_h(cfg))
  assert [c.name for c in checks] == [v.op.name for v in variables]
  for check in checks:
    assert check.max_rel_error < 1e-6, check


def test_a_wrong_backward_pass_is_caught():
  cfg = config.for_variant('xavier', hidden_units=(6, 6))
  graph, loss, variables, gradients, feed = gradcheck.small_network(
      cfg, (1, 1, 8), 4, activation_grad_bug=True)
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(tf.compat.v1.variables_initializer(variables))
    checks = gradcheck.check_gradients(sess, loss, variables, gradients, feed)
  errors = {c.name: c.max_rel_error for c in checks}
  assert errors['hidden1/kernel'] > 1e-2 and errors['hidden2/bias'] > 1e-2
  # Above the last ReLU, the backward pass is still right.
  assert errors['outputs/kernel'] < 1e-6


def test_numerical_gradient_of_a_known_function():
  x = np.array([3.0, 4.0])
  grad = gradcheck.numerical_gradient(lambda v: v[0] ** 2 + v[1] ** 2, x)
  np.testing.assert_allclose(grad, [6.0, 8.0], atol=1e-6)
  np.testing.assert_array_equal(x, [3.0, 4.0])


def test_the_seeds_numeric_lessons():
  def f(x):
    return 2 * x ** 2 + 2
  assert gradcheck.forward_difference(f, 4.0, 1e-50) == 0.0
  assert gradcheck.central_difference(f, 4.0, 1e-4) == pytest.approx(
      16.0, abs=1e-6)


def test_a_wrong_pooling_gradient_is_caught():
  """Max-pooling's gradient routed to every input instead of the maximum."""
  real_pool = tf.nn.max_pool2d

  @tf.custom_gradient
  def average_gradient_pool(x):
    def grad(upstream):
      return tf.image.resize(upstream, tf.shape(x)[1:3], 'nearest') / 4
    return real_pool(x, 2, 2, 'VALID'), grad

  cfg = gradcheck.small_config('lenet', 6)
  try:
    tf.nn.max_pool2d = lambda x, *args: average_gradient_pool(x)
    graph, loss, variables, gradients, feed = gradcheck.small_network(
        cfg, gradcheck.input_shape(cfg, 8), 4)
  finally:
    tf.nn.max_pool2d = real_pool
  with tf.compat.v1.Session(graph=graph) as sess:
    sess.run(tf.compat.v1.variables_initializer(variables))
    checks = gradcheck.check_gradients(sess, loss, variables, gradients, feed,
                                       gradcheck.CONV_H)
  errors = {c.name: c.max_rel_error for c in checks}
  assert errors['conv1/kernel'] > 1e-2 and errors['conv2/bias'] > 1e-2
  assert errors['hidden1/kernel'] < 1e-6


@pytest.mark.slow
def test_gradcheck_script_passes_and_can_fail():
  result = run_script('gradcheck.py', '--variant=deep')
  assert result.returncode == 0, result.stderr
  assert '10 of 10 variables within 1e-06' in result.stdout
  strict = run_script('gradcheck.py', '--variant=deep', '--tolerance=0')
  assert strict.returncode == 1
  assert 'FAIL' in strict.stdout
  bn = run_script('gradcheck.py', '--variant=batchnorm')
  assert bn.returncode == 0, bn.stderr
  assert 'hidden1/batch_normalization/beta' in bn.stdout
  conv = run_script('gradcheck.py', '--variant=deep_cnn')
  assert conv.returncode == 0, conv.stderr
  assert '3 conv and 1 hidden layers of 6' in conv.stdout
  assert 'h = 1e-06' in conv.stdout and 'conv3/kernel' in conv.stdout


@pytest.mark.slow
def test_evaluate_plot_to_an_unwritable_place(trained, tmp_path):
  plot = str(tmp_path / 'no' / 'such' / 'dir' / 'p.png')
  assert evaluate_error(trained, '--plot=' + plot) == (
      'evaluate.py: error: --plot=%s: cannot write: No such file or '
      'directory' % plot)


@pytest.mark.slow
def test_plot_curves_to_an_unwritable_place(trained, tmp_path):
  out = str(tmp_path / 'no' / 'c.png')
  result = run_script('plot_curves.py', '--logdir=' + trained.logdir,
                      '--out=' + out)
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'plot_curves.py: error: --out=%s: cannot write: No such file or '
      'directory' % out]


@pytest.mark.slow
def test_evaluate_with_the_wrong_dataset(trained):
  assert evaluate_error(trained, '--dataset=fashion_mnist') == (
      'evaluate.py: error: --dataset=fashion_mnist, but --model_dir=%s holds '
      'a mnist run' % trained.model_dir)


@pytest.mark.slow
def test_evaluate_a_foreign_conv_checkpoint_described_by_flags(trained,
                                                                tmp_path):
  """A lenet checkpoint with no run.json beside it: --filters and
  --hidden_units say its sizes, and the scores are those of its model_dir."""
  cfg = config.for_variant(
      'lenet', filters=(4, 8), hidden_units=(16,), epochs=1,
      validation_size=100, data_dir=trained.data_dir,
      model_dir=str(tmp_path / 'lenet'), logdir=str(tmp_path / 'logs'))
  training.train(cfg)
  foreign = tmp_path / 'foreign'
  foreign.mkdir()
  for name in os.listdir(cfg.model_dir):
    if name.startswith('best.ckpt.'):
      shutil.copy(os.path.join(cfg.model_dir, name), str(foreign))
  ours = run_script('evaluate.py', '--model_dir=' + cfg.model_dir,
                    '--data_dir=' + trained.data_dir)
  theirs = run_script('evaluate.py', '--checkpoint=%s' % (
      foreign / 'best.ckpt'), '--variant=lenet', '--filters=4,8',
                      '--hidden_units=16', '--dataset=mnist',
                      '--data_dir=' + trained.data_dir)
  assert theirs.returncode == 0, theirs.stderr
  score = lambda out: [l for l in out.splitlines()
                       if l.startswith(('Test loss', 'Accuracy'))]
  assert score(theirs.stdout) == score(ours.stdout) and score(ours.stdout)
  unsized = run_script('evaluate.py', '--checkpoint=%s' % (
      foreign / 'best.ckpt'), '--variant=lenet', '--data_dir=' +
                       trained.data_dir)
  assert unsized.returncode == 1
  assert ('variable conv1/kernel has shape [5, 5, 1, 4], the model needs '
          '[5, 5, 1, 6]') in unsized.stderr
