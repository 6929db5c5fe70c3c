"""Checkpoints this project did not write: the Hands-On ML notebook's, run as
written with the real tf.compat.v1.layers, and the lab 10 scripts'."""

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from conftest import (REPO, error_lines, run_keras_only, run_onnx_only,
                      run_python, run_script, write_dataset)
from legacy_dnn import checkpoints
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import evaluation
from legacy_dnn import training
from test_transfer import warm_started

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.

# Hands-On ML (1st edition), chapter 10, "Training a DNN Using Plain
# TensorFlow", as the notebook writes it; data from our IDX reader, which
# scales pixels as the notebook does (float32, / 255). tf.compat.v1.layers
# needs Keras 2, so this runs in a subprocess with tf-keras.
NOTEBOOK = textwrap.dedent('''
    import sys
    import numpy as np
    import tensorflow as tf
    from legacy_dnn import data
    tf.compat.v1.disable_eager_execution()
    tf = tf.compat.v1
    mode, data_dir, path = sys.argv[1:]

    n_inputs = 28*28  # MNIST
    n_hidden1 = 300
    n_hidden2 = 100
    n_outputs = 10

    X = tf.placeholder(tf.float32, shape=(None, n_inputs), name="X")
    y = tf.placeholder(tf.int32, shape=(None), name="y")

    with tf.name_scope("dnn"):
        hidden1 = tf.layers.dense(X, n_hidden1, name="hidden1",
                                  activation=tf.nn.relu)
        hidden2 = tf.layers.dense(hidden1, n_hidden2, name="hidden2",
                                  activation=tf.nn.relu)
        logits = tf.layers.dense(hidden2, n_outputs, name="outputs")

    with tf.name_scope("loss"):
        xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                  logits=logits)
        loss = tf.reduce_mean(xentropy, name="loss")

    learning_rate = 0.01

    with tf.name_scope("train"):
        optimizer = tf.train.GradientDescentOptimizer(learning_rate)
        training_op = optimizer.minimize(loss)

    with tf.name_scope("eval"):
        correct = tf.nn.in_top_k(logits, y, 1)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))

    init = tf.global_variables_initializer()
    saver = tf.train.Saver()

    splits = data.load(data.DATASETS["mnist"], data_dir, validation_size=100)
    (X_train, y_train), (X_test, y_test) = splits.train, splits.test

    def shuffle_batch(X, y, batch_size):
        rnd_idx = np.random.permutation(len(X))
        n_batches = len(X) // batch_size
        for batch_idx in np.array_split(rnd_idx, n_batches):
            X_batch, y_batch = X[batch_idx], y[batch_idx]
            yield X_batch, y_batch

    n_epochs = 3
    batch_size = 50

    with tf.Session() as sess:
        if mode == "train":
            np.random.seed(42)
            tf.set_random_seed(42)
            init.run()
            for epoch in range(n_epochs):
                for X_batch, y_batch in shuffle_batch(X_train, y_train,
                                                      batch_size):
                    sess.run(training_op, feed_dict={X: X_batch, y: y_batch})
            save_path = saver.save(sess, path)
        else:
            saver.restore(sess, path)
        acc_test = accuracy.eval(feed_dict={X: X_test, y: y_test})
        print("Test accuracy:", repr(float(acc_test)))
''')


def run_notebook(mode, data_dir, path):
  """The notebook's test accuracy after training (and saving) or restoring."""
  env = dict(os.environ, TF_USE_LEGACY_KERAS='1', TF_CPP_MIN_LOG_LEVEL='2',
             PYTHONPATH=REPO)
  result = subprocess.run(
      [sys.executable, '-c', NOTEBOOK, mode, data_dir, path], env=env,
      capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr
  return float(re.search(r'^Test accuracy: (\S+)$', result.stdout,
                         re.M).group(1))


def write_hard_dataset(folder):
  """IDX files where each class's band is faint under strong noise, so a
  few epochs score well short of 100% and every weight shows in the count."""
  write_dataset(folder, n_train=1000, n_test=300, gz=False)
  for name in ('train-images-idx3-ubyte', 't10k-images-idx3-ubyte'):
    path = os.path.join(folder, name)
    images = data.read_idx(path, data.IDX_IMAGES_MAGIC)
    noise = np.random.default_rng(len(name)).integers(0, 128, images.shape)
    data.write_idx(path, images // 2 + noise, data.IDX_IMAGES_MAGIC)
  return folder


@pytest.fixture(scope='module')
def notebook(tmp_path_factory):
  """The notebook's own final checkpoint, and the accuracy it computed."""
  root = tmp_path_factory.mktemp('notebook')
  data_dir = write_hard_dataset(str(root / 'data'))
  prefix = str(root / 'my_model_final.ckpt')
  return data_dir, prefix, run_notebook('train', data_dir, prefix)


def accuracy_line(stdout):
  return re.search(r'^Accuracy: \d\.\d{4}$', stdout, re.M).group(0)


@pytest.mark.slow
def test_evaluate_scores_the_notebooks_checkpoint_as_the_notebook_did(
    notebook):
  data_dir, prefix, accuracy = notebook
  assert 0.5 < accuracy < 1  # It learned, and not trivially.
  assert not os.path.exists(os.path.join(os.path.dirname(prefix),
                                         checkpoints.RUN_FILE))
  result = run_script('evaluate.py', '--checkpoint=' + prefix,
                      '--variant=homl', '--dataset=mnist',
                      '--data_dir=' + data_dir)
  assert result.returncode == 0, result.stderr
  assert result.stderr == ''
  assert 'Model: %s (homl on mnist)' % prefix in result.stdout
  assert accuracy_line(result.stdout) == 'Accuracy: %.4f' % accuracy


@pytest.mark.slow
def test_the_notebooks_checkpoint_becomes_a_keras_model_that_scores_alike(
    notebook, tmp_path):
  data_dir, prefix, accuracy = notebook
  path = str(tmp_path / 'notebook.keras')
  result = run_script('export.py', '--checkpoint=' + prefix, '--variant=homl',
                      '--dataset=mnist', '--format=keras', '--output=' + path)
  assert result.returncode == 0, result.stderr
  assert result.stdout.splitlines()[1] == ('Layers: images, hidden1, '
                                           'hidden1_relu, hidden2, '
                                           'hidden2_relu, outputs, '
                                           'probabilities')
  images, labels = data.load(data.DATASETS['mnist'], data_dir,
                             validation_size=100).test
  np.savez(str(tmp_path / 'inputs.npz'), x=images)
  (outputs,) = run_keras_only([dict(model=path,
                                    inputs=str(tmp_path / 'inputs.npz'),
                                    outputs=str(tmp_path / 'outputs.npz'))])
  probabilities = outputs['out0']
  # The notebook's own test accuracy, from its own graph, to the example.
  assert np.mean(probabilities.argmax(1) == labels) == pytest.approx(
      accuracy, abs=1e-6)
  cfg, _ = evaluation.locate_model(None, prefix, 'homl', 'mnist')
  saved = evaluation.restore(cfg, prefix)
  try:
    np.testing.assert_allclose(probabilities, saved.predict(images),
                               rtol=0, atol=1e-5)
  finally:
    saved.close()


@pytest.mark.slow
def test_the_notebooks_checkpoint_becomes_an_onnx_file_that_scores_alike(
    notebook, tmp_path):
  data_dir, prefix, accuracy = notebook
  path = str(tmp_path / 'notebook.onnx')
  result = run_script('export.py', '--checkpoint=' + prefix, '--variant=homl',
                      '--dataset=mnist', '--format=onnx', '--output=' + path)
  assert result.returncode == 0, result.stderr
  assert result.stdout.splitlines()[1] == (
      'Inputs and outputs: images float32 [-1, 784] -> classes int64 [-1], '
      'probabilities float32 [-1, 10]')
  images, labels = data.load(data.DATASETS['mnist'], data_dir,
                             validation_size=100).test
  np.savez(str(tmp_path / 'inputs.npz'), images=images)
  (outputs,) = run_onnx_only([dict(model=path,
                                   inputs=str(tmp_path / 'inputs.npz'),
                                   outputs=str(tmp_path / 'outputs.npz'))])
  # The notebook's own test accuracy, in onnxruntime alone, to the example.
  assert np.mean(outputs['classes'] == labels) == pytest.approx(accuracy,
                                                                abs=1e-6)


@pytest.mark.slow
def test_fine_tuning_starts_from_the_notebooks_weights(notebook, tmp_path):
  data_dir, prefix, _ = notebook
  cfg = config.for_variant(
      'homl', epochs=1, validation_size=100, data_dir=data_dir,
      model_dir=str(tmp_path / 'tuned'), logdir=str(tmp_path / 'logs'),
      warm_start_from=prefix,
      warm_start_layers=('hidden1', 'hidden2', 'outputs'))
  reader = tf.train.load_checkpoint(prefix)
  used, values = warm_started(cfg)
  assert used == prefix
  held = reader.get_variable_to_shape_map()
  assert sorted(held) == ['hidden1/bias', 'hidden1/kernel', 'hidden2/bias',
                          'hidden2/kernel', 'outputs/bias', 'outputs/kernel']
  for name in held:
    np.testing.assert_array_equal(values[name], reader.get_tensor(name), name)

  # And train.py takes the prefix as it is.
  result = run_script('train.py', '--variant=homl', '--epochs=1',
                      '--validation_size=100', '--data_dir=' + data_dir,
                      '--warm_start_from=' + prefix,
                      '--model_dir=%s' % (tmp_path / 'script'),
                      '--logdir=%s' % (tmp_path / 'logs'))
  assert result.returncode == 0, result.stderr
  assert 'Warm start: hidden1,hidden2 from %s' % prefix in result.stdout


@pytest.mark.slow
def test_our_best_model_restores_into_the_notebook_graph(notebook, tmp_path):
  data_dir = notebook[0]
  cfg = config.for_variant('homl', epochs=2, validation_size=100,
                           data_dir=data_dir, model_dir=str(tmp_path / 'm'),
                           logdir=str(tmp_path / 'logs'))
  training.train(cfg)
  result = run_script('evaluate.py', '--model_dir=' + cfg.model_dir,
                      '--data_dir=' + data_dir)
  assert result.returncode == 0, result.stderr
  in_notebook = run_notebook('restore', data_dir,
                             checkpoints.best_model(cfg.model_dir))
  assert accuracy_line(result.stdout) == 'Accuracy: %.4f' % in_notebook


def lab10_checkpoint(prefix):
  """lab-10-2's variables: W1..W3 by name, biases unnamed (Variable, ...)."""
  with tf.Graph().as_default():
    initializer = tf.compat.v1.glorot_uniform_initializer(seed=1)
    sizes = [784, 256, 256, 10]
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
      tf.compat.v1.get_variable('W%d' % (i + 1), [n_in, n_out],
                                initializer=initializer)
      tf.compat.v1.Variable(tf.random.normal([n_out], seed=i))
    saver = tf.compat.v1.train.Saver()
    with tf.compat.v1.Session() as sess:
      sess.run(tf.compat.v1.global_variables_initializer())
      saver.save(sess, prefix)


def test_lab10_names_are_one_line_that_lists_them(tmp_path, dataset_dir):
  prefix = str(tmp_path / 'lab10' / 'model.ckpt')
  lab10_checkpoint(prefix)
  result = run_script('evaluate.py', '--checkpoint=' + prefix,
                      '--variant=xavier', '--data_dir=' + dataset_dir)
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'evaluate.py: error: %s: has no variable hidden1/kernel (the model '
      'needs shape [784, 256]); it holds Variable [256], Variable_1 [256], '
      'Variable_2 [10], W1 [784, 256], W2 [256, 256], W3 [256, 10]; to map '
      'other names, see docs/foreign-checkpoints.md' % prefix]


def readme_recipe():
  """The name-mapping example of docs/foreign-checkpoints.md, as it shows
  it."""
  with open(os.path.join(REPO, 'docs', 'foreign-checkpoints.md')) as f:
    text = f.read()
  return re.search(r'<!-- tests/test_foreign\.py runs this -->\n```python\n'
                   r'(.*?)```', text, re.S).group(1)


@pytest.mark.slow
def test_the_guides_name_mapping_recipe_works(tmp_path, dataset_dir,
                                               monkeypatch):
  monkeypatch.chdir(tmp_path)
  lab10_checkpoint('lab10/model.ckpt')
  (tmp_path / 'recipe.py').write_text(readme_recipe())
  recipe = run_python([sys.executable, str(tmp_path / 'recipe.py')])
  assert recipe.returncode == 0, recipe.stderr
  reader = tf.train.load_checkpoint('lab10/model.ckpt')
  converted = tf.train.load_checkpoint('lab10/converted.ckpt')
  for old, new in (('W1', 'hidden1/kernel'), ('Variable', 'hidden1/bias'),
                   ('W3', 'outputs/kernel'), ('Variable_2', 'outputs/bias')):
    np.testing.assert_array_equal(converted.get_tensor(new),
                                  reader.get_tensor(old))
  result = run_script('evaluate.py', '--checkpoint=%s' % (
      tmp_path / 'lab10' / 'converted.ckpt'), '--variant=xavier',
                      '--data_dir=' + dataset_dir)
  assert result.returncode == 0, result.stderr
  assert accuracy_line(result.stdout)
