"""tf.estimator in legacy_dnn.v1: its checks (in this process, on
legacy_dnn.tf1.estimator, which changes no global state), and TF1
Estimator programs run as written with `python -m legacy_dnn.v1`: the
examples learn, a SIGKILLed train() continues from its last checkpoint to
the variables of a run never killed, Ctrl-C saves the step it reached and
says so, and what is not provided is one line.

tests/test_tf1_estimator_reference.py proves the same programs against
tensorflow-estimator 2.15 on TensorFlow 2.15.
"""

import os
import re
import signal
import subprocess
import sys
import textwrap
import urllib.parse

import numpy as np
import pytest
import tensorflow as tf

from conftest import (REPO, TensorBoard, run_python, script_env,
                      start_python, wait_until, write_dataset)
from legacy_dnn.tf1 import estimator
from legacy_dnn.tf1 import removed
from legacy_dnn.tf1.estimator import feeding

EXAMPLES = os.path.join(REPO, 'examples', 'tf1')


def run_v1(*args, cwd, timeout=300, env=None):
  """`python3 -m legacy_dnn.v1 ARGS...` in cwd, forked from the zygote."""
  return run_python([sys.executable, '-m', 'legacy_dnn.v1'] + list(args),
                    cwd=cwd, timeout=timeout, env=env)


def test_numpy_input_fn_batches_epochs_as_tf1_did():
  # TF 1.15's feeding: batch after batch from the start row, an epoch
  # ending at the row before it; with num_epochs the last batch stops at
  # that epoch's end.
  rows = feeding._Rows(5, 3, start=0, num_epochs=2)
  assert [rows(), rows(), rows(), rows()] == [[0, 1, 2], [3, 4, 0],
                                              [1, 2, 3], [4]]
  with pytest.raises(tf.errors.OutOfRangeError):
    rows()
  rows = feeding._Rows(5, 2, start=3, num_epochs=1)
  assert [rows(), rows(), rows()] == [[3, 4], [0, 1], [2]]
  rows = feeding._Rows(4, 3, start=0, num_epochs=None)
  assert [rows() for _ in range(4)] == [[0, 1, 2], [3, 0, 1], [2, 3, 0],
                                        [1, 2, 3]]


@pytest.mark.parametrize('arguments, message', [
    (dict(shuffle=None), 'shuffle must be provided and explicitly set as '
                         'boolean'),
    (dict(shuffle=False, batch_size=0), 'batch_size must be a positive int'),
    (dict(shuffle=True, num_epochs=0), 'num_epochs must be a positive int '
                                       'or None'),
])
def test_numpy_input_fn_checks_its_arguments(arguments, message):
  with pytest.raises(ValueError, match=message):
    feeding.numpy_input_fn({'x': np.zeros((4, 2))}, **arguments)


def test_numpy_input_fn_refuses_mismatched_lengths():
  input_fn = feeding.numpy_input_fn({'x': np.zeros((4, 2))}, np.zeros(3),
                                   shuffle=False)
  with tf.Graph().as_default():
    with pytest.raises(ValueError, match='Length of tensors in x and y is '
                                         'mismatched'):
      input_fn()


def test_estimator_spec_checks_each_mode():
  with tf.Graph().as_default():
    loss = tf.constant(1.0)
    with pytest.raises(ValueError, match='Missing train_op'):
      estimator.EstimatorSpec(estimator.ModeKeys.TRAIN, loss=loss)
    with pytest.raises(ValueError, match='Missing loss'):
      estimator.EstimatorSpec(estimator.ModeKeys.EVAL)
    with pytest.raises(ValueError, match='Missing predictions'):
      estimator.EstimatorSpec(estimator.ModeKeys.PREDICT)
    with pytest.raises(ValueError, match='Loss must be scalar'):
      estimator.EstimatorSpec(estimator.ModeKeys.EVAL,
                              loss=tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"eval_metric_ops\['a'\] must be"):
      estimator.EstimatorSpec(estimator.ModeKeys.EVAL, loss=loss,
                              eval_metric_ops={'a': loss})
    spec = estimator.EstimatorSpec(estimator.ModeKeys.PREDICT,
                                   predictions={'y': loss})
    assert list(spec.export_outputs) == ['serving_default']


def test_run_config_keeps_tf1_defaults_and_refuses_a_cluster(monkeypatch):
  config = estimator.RunConfig()
  assert (config.save_summary_steps, config.save_checkpoints_secs,
          config.save_checkpoints_steps, config.keep_checkpoint_max,
          config.log_step_count_steps) == (100, 600, None, 5, 100)
  replaced = config.replace(save_checkpoints_steps=10)
  assert (replaced.save_checkpoints_steps,
          replaced.save_checkpoints_secs) == (10, None)
  with pytest.raises(removed.NotProvidedError,
                     match=r'^tf.estimator.RunConfig\(train_distribute=...\) '
                           'is not available'):
    estimator.RunConfig(train_distribute=object())
  with pytest.raises(ValueError, match='cannot both be set'):
    estimator.RunConfig(save_checkpoints_steps=1, save_checkpoints_secs=1)
  with pytest.raises(ValueError, match=r'RunConfig\(keep_checkpoint_max=-1\)'):
    estimator.RunConfig(keep_checkpoint_max=-1)
  monkeypatch.setenv('TF_CONFIG', '{"cluster": {"worker": ["a:1", "b:2"]}}')
  with pytest.raises(removed.NotProvidedError, match='cluster of 2 tasks'):
    estimator.RunConfig()


def test_estimator_refuses_what_it_does_not_do(tmp_path):
  def model_fn(features, labels, mode):
    del features, labels, mode
  with pytest.raises(removed.NotProvidedError,
                     match=r'^tf.estimator.Estimator\(distribute=...\)'):
    estimator.Estimator(model_fn, str(tmp_path), distribute=object())
  with pytest.raises(removed.NotProvidedError,
                     match=r'^tf.estimator.DNNClassifier\(experimental_'):
    estimator.DNNClassifier([4], [tf.feature_column.numeric_column('x')],
                            experimental_optimizer=object())
  with pytest.raises(TypeError, match="unexpected keyword argument 'modeldir'"):
    estimator.Estimator(model_fn, modeldir=str(tmp_path))
  with pytest.raises(ValueError, match='does not include params argument'):
    estimator.Estimator(model_fn, str(tmp_path), params={'a': 1})
  with pytest.raises(removed.NotProvidedError,
                     match='^tf.estimator.BoostedTreesClassifier is not '):
    getattr(estimator, 'BoostedTreesClassifier')
  with pytest.raises(AttributeError, match="did you mean 'BaselineRegressor'"):
    getattr(estimator, 'BaselineRegresor')
  assert estimator.LoggingTensorHook is tf.compat.v1.train.LoggingTensorHook


# A TF1 program of the era: a dense model_fn on numpy_input_fn in row
# order, a checkpoint every 10 steps, 10 steps an epoch. STALL_AT=N makes
# a hook stop at global step N (writing the file STALLED) until a signal
# comes; the final variables go to final.npz.
STALLING_PROGRAM = textwrap.dedent('''\
    import os
    import sys
    import threading

    import numpy as np
    import tensorflow as tf

    rng = np.random.RandomState(0)
    x = rng.normal(size=(200, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int32)


    def model_fn(features, labels, mode):
      hidden = tf.layers.dense(features["x"], 8, activation=tf.nn.relu)
      logits = tf.layers.dense(hidden, 2)
      loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
      train_op = tf.train.AdamOptimizer(0.01).minimize(
          loss, global_step=tf.train.get_global_step())
      return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


    class Stall(tf.train.SessionRunHook):
      def __init__(self, step):
        self._step = step

      def begin(self):
        self._global_step = tf.train.get_global_step()

      def after_run(self, run_context, run_values):
        # Read after the step (the fetch above may run before its increment).
        if run_context.session.run(self._global_step) == self._step:
          open("STALLED", "w").close()
          threading.Event().wait()


    model_dir = sys.argv[1]
    config = tf.estimator.RunConfig(tf_random_seed=3,
                                    save_checkpoints_steps=10)
    estimator = tf.estimator.Estimator(model_fn, model_dir, config=config)
    hooks = [Stall(int(os.environ["STALL_AT"]))] if "STALL_AT" in os.environ else []
    estimator.train(tf.estimator.inputs.numpy_input_fn(
        {"x": x}, y, batch_size=20, num_epochs=None, shuffle=False),
        max_steps=60, hooks=hooks)
    np.savez(os.path.join(model_dir, "final.npz"), **{
        name.replace("/", "."): estimator.get_variable_value(name)
        for name in estimator.get_variable_names()})
''')


def final_variables(model_dir):
  with np.load(os.path.join(model_dir, 'final.npz')) as arrays:
    return dict(arrays)


def stall(tmp_path, model_dir, step):
  """The program, started and stalled at global step step: the Popen and
  the program's pid."""
  (tmp_path / 'STALLED').unlink(missing_ok=True)
  popen, pid = start_python(
      [sys.executable, '-m', 'legacy_dnn.v1', str(tmp_path / 'program.py'),
       model_dir], script_env({'STALL_AT': str(step)}), cwd=str(tmp_path),
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  wait_until(lambda: (tmp_path / 'STALLED').exists() or
             popen.poll() is not None, 'the program at step %d' % step)
  assert popen.poll() is None, popen.communicate()[1][-3000:]
  return popen, pid


def run_program(tmp_path, model_dir):
  result = run_v1(str(tmp_path / 'program.py'), model_dir, cwd=tmp_path)
  assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
def test_a_killed_train_continues_from_its_last_checkpoint(tmp_path):
  (tmp_path / 'program.py').write_text(STALLING_PROGRAM)
  run_program(tmp_path, 'never_killed')
  popen, pid = stall(tmp_path, 'killed', 25)
  os.kill(pid, signal.SIGKILL)
  popen.communicate(timeout=60)
  assert tf.train.latest_checkpoint(str(tmp_path / 'killed')).endswith(
      'model.ckpt-20')
  # Again: from step 20, which starts an epoch, as the input does anew.
  run_program(tmp_path, 'killed')
  never_killed = final_variables(tmp_path / 'never_killed')
  killed = final_variables(tmp_path / 'killed')
  assert never_killed['global_step'] == killed['global_step'] == 60
  assert sorted(killed) == sorted(never_killed)
  for name, value in never_killed.items():
    np.testing.assert_array_equal(killed[name], value, err_msg=name)


@pytest.mark.slow
def test_ctrl_c_saves_the_step_it_reached_and_says_so(tmp_path):
  (tmp_path / 'program.py').write_text(STALLING_PROGRAM)
  popen, pid = stall(tmp_path, 'interrupted', 25)
  os.kill(pid, signal.SIGINT)
  _, stderr = popen.communicate(timeout=60)
  assert popen.returncode == 130, stderr[-3000:]
  assert 'Traceback' not in stderr
  (line,) = [l for l in stderr.splitlines() if 'interrupted' in l]
  assert re.fullmatch(
      r'.*program\.py:\d+: interrupted: Estimator\.train interrupted at '
      r'step 25: saved interrupted/model\.ckpt-25; train again to continue '
      r'from there', line), line
  assert tf.train.latest_checkpoint(
      str(tmp_path / 'interrupted')).endswith('model.ckpt-25')
  run_program(tmp_path, 'interrupted')
  assert final_variables(tmp_path / 'interrupted')['global_step'] == 60


@pytest.fixture(scope='module')
def mnist_folder(tmp_path_factory):
  """MNIST_data/ (input_data's folder) and MNIST-data/
  (tf.contrib.learn.datasets.load_dataset's), small and learnable."""
  folder = tmp_path_factory.mktemp('estimator_examples')
  write_dataset(str(folder / 'MNIST_data'), n_train=5500, n_test=300)
  write_dataset(str(folder / 'MNIST-data'), n_train=5500, n_test=300)
  return folder


@pytest.mark.slow
def test_the_layers_tutorial_cnn_learns_and_trains_on(mnist_folder):
  script = os.path.join(EXAMPLES, 'estimator_cnn.py')
  for steps in (60, 120):
    result = run_v1(script, '--steps=60', cwd=mnist_folder)
    assert result.returncode == 0, result.stderr[-3000:]
    # TensorFlow's INFO lines, which the script asked for: no traceback.
    assert 'Traceback' not in result.stderr
    metrics = result.stdout.splitlines()[-1]
    assert 'np.int64(%d)' % steps in metrics, metrics
  accuracy = float(re.search(r"'accuracy': np.float32\(([\d.]+)\)",
                             metrics).group(1))
  assert accuracy > 0.9, metrics
  # TF1's progress: the loss and the softmax, every 500 steps or at the
  # first, as the script asked.
  assert 'INFO:tensorflow:loss = ' in result.stderr
  assert 'INFO:tensorflow:probabilities = ' in result.stderr


@pytest.mark.slow
def test_a_premade_dnn_classifier_learns_from_a_dataset(mnist_folder):
  result = run_v1(os.path.join(EXAMPLES, 'dnn_classifier.py'),
                  '--train_steps=300', cwd=mnist_folder)
  assert result.returncode == 0, result.stderr[-3000:]
  accuracy = float(re.search(r'Test set accuracy: ([\d.]+)',
                             result.stdout).group(1))
  assert accuracy > 0.9, result.stdout
  predictions = re.findall(r'Prediction is "(\w+)" \([\d.]+%\), expected '
                           r'"(\w+)"', result.stdout)
  assert len(predictions) == 3
  assert all(got == expected for got, expected in predictions), predictions


@pytest.mark.slow
def test_train_and_evaluate_learns_and_exports(mnist_folder):
  result = run_v1(os.path.join(EXAMPLES, 'train_and_evaluate.py'),
                  '--max_steps=200', cwd=mnist_folder)
  assert result.returncode == 0, result.stderr[-3000:]
  accuracy, steps = re.search(r'Test accuracy: ([\d.]+) after (\d+) steps',
                              result.stdout).groups()
  assert float(accuracy) > 0.9 and steps == '200', result.stdout
  (export,) = re.findall(r'Exported: (\S+)', result.stdout)
  assert re.fullmatch(r'mnist_estimator/export/mnist/\d+', export)
  assert (mnist_folder / export / 'saved_model.pb').exists()
  # TensorBoard shows what it showed of an Estimator: the training loss
  # and its speed in model_dir, and an evaluation after each checkpoint
  # but the first (steps 100 and 200) in eval/.
  with TensorBoard(str(mnist_folder / 'mnist_estimator')) as tensorboard:
    tensorboard.wait_for(
        lambda: {'.', 'eval'} <= set(tensorboard.get('runs')), 'the runs')

    def steps(run, tag):
      query = urllib.parse.urlencode({'run': run, 'tag': tag})
      return [step for _, step, _ in
              tensorboard.get('plugin/scalars/scalars?' + query)]
    assert steps('eval', 'accuracy') == [100, 200]
    assert steps('eval', 'loss') == [100, 200]
    assert steps('.', 'loss')[0] == 1
    assert steps('.', 'global_step/sec')


# Input functions of other kinds: pandas_input_fn, and a Dataset of
# features alone for predict; tf.contrib.learn's reader; and what is not
# provided, each one line.
INPUTS_PROGRAM = textwrap.dedent('''\
    import os

    import numpy as np
    import pandas as pd
    import tensorflow as tf

    rng = np.random.RandomState(1)
    frame = pd.DataFrame({"a": rng.normal(size=300).astype(np.float32),
                          "b": rng.normal(size=300).astype(np.float32)})
    target = pd.Series(3 * frame["a"] - frame["b"] + 0.5)
    columns = [tf.feature_column.numeric_column("a"),
               tf.feature_column.numeric_column("b")]
    regressor = tf.estimator.LinearRegressor(
        columns, "linear", config=tf.estimator.RunConfig(tf_random_seed=1),
        optimizer=tf.train.GradientDescentOptimizer(0.002))
    regressor.train(tf.estimator.inputs.pandas_input_fn(
        frame, target, batch_size=30, num_epochs=None, shuffle=True),
        steps=300)
    metrics = regressor.evaluate(tf.estimator.inputs.pandas_input_fn(
        frame, target, num_epochs=1, shuffle=False))
    print("average_loss %.5f" % metrics["average_loss"])
    new = {"a": np.float32([1, 0]), "b": np.float32([0, 1])}
    predictions = regressor.predict(
        lambda: tf.data.Dataset.from_tensor_slices(new).batch(2))
    print("predictions", [round(float(p["predictions"][0]), 2)
                          for p in predictions])
    mnist = tf.contrib.learn.datasets.load_dataset("mnist")
    print("mnist", mnist.train.images.shape, mnist.test.labels.shape)

    # Warm-started from the trained model, scored with a metric added, on a
    # named evaluation; batches of predictions of one key.
    warm = tf.estimator.LinearRegressor(
        columns, "warm", warm_start_from=tf.estimator.WarmStartSettings(
            "linear", vars_to_warm_start="linear/linear_model/[ab]/weights"),
        optimizer=tf.train.GradientDescentOptimizer(1e-9))
    warm.train(lambda: tf.data.Dataset.from_tensor_slices(
        (dict(frame), target)).batch(30), steps=1)
    warm = tf.estimator.add_metrics(warm, lambda labels, predictions: {
        "mae": tf.metrics.mean_absolute_error(labels,
                                              predictions["predictions"])})
    metrics = warm.evaluate(tf.estimator.inputs.pandas_input_fn(
        frame, target, num_epochs=1, shuffle=False), name="holdout")
    print("warm", sorted(metrics), "%.2f" % metrics["average_loss"])
    batches = list(warm.predict(
        lambda: tf.data.Dataset.from_tensor_slices(new).batch(2),
        predict_keys=["predictions"], yield_single_examples=False))
    print("batches", [sorted(b) for b in batches], batches[0]["predictions"].shape)

    # Exported with a parsing receiver: the SavedModel takes tf.Examples.
    spec = tf.feature_column.make_parse_example_spec(columns)
    path = regressor.export_saved_model(
        "export", tf.estimator.export.build_parsing_serving_input_receiver_fn(spec),
        assets_extra={"notes/inputs.py": "inputs.py"})
    print("assets", os.path.isfile(os.path.join(
        path, b"assets.extra", b"notes", b"inputs.py")))
    example = tf.train.Example(features=tf.train.Features(feature={
        "a": tf.train.Feature(float_list=tf.train.FloatList(value=[1.0])),
        "b": tf.train.Feature(float_list=tf.train.FloatList(value=[0.0]))}))
    with tf.Graph().as_default(), tf.Session() as session:
      meta_graph = tf.saved_model.loader.load(session, ["serve"], path)
      signature = meta_graph.signature_def["serving_default"]
      served = session.run(signature.outputs["outputs"].name, {
          signature.inputs["inputs"].name: [example.SerializeToString()]})
    print("served", sorted(meta_graph.signature_def), round(float(served[0][0]), 2))
''')


@pytest.mark.slow
def test_pandas_and_dataset_input_fns_and_the_mnist_reader(mnist_folder):
  (mnist_folder / 'inputs.py').write_text(INPUTS_PROGRAM)
  result = run_v1('inputs.py', cwd=mnist_folder)
  assert result.returncode == 0, result.stderr[-3000:]
  loss = float(re.search(r'average_loss ([\d.]+)', result.stdout).group(1))
  assert loss < 0.01, result.stdout
  assert 'predictions [3.5, -0.5]' in result.stdout
  # read_data_sets keeps 5,000 of the 5,500 for validation, as TF1's did.
  assert 'mnist (500, 784) (300,)' in result.stdout
  # The weights came from the trained model; its bias, not warm-started,
  # from zeros.
  warm = re.search(r"warm \[(.*)\] ([\d.]+)", result.stdout)
  assert warm.group(1) == ("'average_loss', 'global_step', 'label/mean', "
                           "'loss', 'mae', 'prediction/mean'")
  assert 0.2 < float(warm.group(2)) < 0.3, result.stdout  # 0.5 squared.
  assert (mnist_folder / 'warm' / 'eval_holdout').is_dir()
  assert "batches [['predictions']] (2, 1)" in result.stdout
  assert ("served ['predict', 'regression', 'serving_default'] 3.5"
          in result.stdout)
  assert 'assets True' in result.stdout


@pytest.mark.parametrize('line, message', [
    ('tf.estimator.RunConfig(train_distribute=tf.distribute.MirroredStrategy())',
     'tf.estimator.RunConfig(train_distribute=...) is not available on '
     'TensorFlow 2 and legacy_dnn.v1 does not provide it; use RunConfig '
     'without it'),
    ('tf.estimator.BoostedTreesClassifier([], 1)',
     'tf.estimator.BoostedTreesClassifier is not available on TensorFlow 2 '
     'and legacy_dnn.v1 does not provide it; use TensorFlow Decision Forests'),
    ('tf.contrib.learn.Experiment',
     'tf.contrib.learn.Experiment is not available on TensorFlow 2 and '
     'legacy_dnn.v1 does not provide it; use tf.estimator'),
    ('tf.contrib.learn.datasets.load_dataset("iris")',
     'tf.contrib.learn.datasets.load_dataset(\'iris\') is not available on '
     'TensorFlow 2 and legacy_dnn.v1 does not provide it; use '
     'sklearn.datasets.load_iris()'),
])
@pytest.mark.slow
def test_what_is_not_provided_is_one_line(tmp_path, line, message):
  (tmp_path / 'refused.py').write_text('import tensorflow as tf\n\n' + line +
                                       '\n')
  result = run_v1('refused.py', cwd=tmp_path)
  assert result.returncode == 1
  assert result.stderr.strip().splitlines() == [
      result.stderr.strip().splitlines()[0]]
  assert result.stderr.startswith('refused.py:3: error: ' + message), (
      result.stderr)
