"""`python -m legacy_dnn.v1 SCRIPT.py` and `%load_ext legacy_dnn.v1`: TF1
code run as written, in real processes and a real IPython kernel.

The scripts are examples/tf1/'s, unmodified, on a small generated dataset in
the MNIST_data/ folder they read (learnable: a class lights its own band),
so each must learn to well above chance within its own epochs.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, error_lines, run_python, script_env, write_dataset

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.

EXAMPLES = os.path.join(REPO, 'examples', 'tf1')
SCRIPTS = sorted(f for f in os.listdir(EXAMPLES) if f.endswith('.py'))
# Those that read MNIST_data/ in a session loop; the others have tests of
# their own (the recurrent ones in test_tf1_rnn.py, the Estimators' in
# test_tf1_estimator.py).
MNIST_SCRIPTS = [f for f in SCRIPTS if f not in (
    'char_rnn.py', 'csv_queue.py', 'lstm_series.py', 'dnn_classifier.py',
    'estimator_cnn.py', 'train_and_evaluate.py')]


def run_v1(*args, cwd, timeout=300):
  """`python3 -m legacy_dnn.v1 ARGS...` in cwd, forked from the zygote."""
  return run_python([sys.executable, '-m', 'legacy_dnn.v1'] + list(args),
                    cwd=cwd, timeout=timeout)


def reader_with(tmp_path_factory, n_train):
  """A reader's folder with MNIST_data/: 5,000 validation images, as
  read_data_sets holds out by default, and the rest of n_train to train
  on."""
  folder = tmp_path_factory.mktemp('reader')
  write_dataset(str(folder / 'MNIST_data'), n_train=n_train, n_test=300)
  return folder


@pytest.fixture(scope='module')
def reader(tmp_path_factory):
  return reader_with(tmp_path_factory, 5500)


@pytest.fixture(scope='module')
def large_reader(tmp_path_factory):
  # Softmax regression from N(0, 1) weights needs more steps than 15 epochs
  # of 500 images give it.
  return reader_with(tmp_path_factory, 25000)


def test_every_example_is_listed():
  assert SCRIPTS == ['batch_norm.py', 'char_rnn.py', 'cnn.py',
                     'cnn_classes.py', 'cnn_layers.py', 'csv_queue.py',
                     'deep_dropout.py', 'dnn_classifier.py',
                     'ensemble.py', 'estimator_cnn.py', 'homl_ch10.py',
                     'lstm_series.py', 'nn.py', 'softmax.py',
                     'train_and_evaluate.py', 'xavier.py']
  assert os.listdir(os.path.join(EXAMPLES, 'feed')) in (
      ['model.py', 'train.py'], ['train.py', 'model.py'])


@pytest.mark.slow
@pytest.mark.parametrize('script', MNIST_SCRIPTS)
def test_an_unmodified_tf1_script_runs_and_learns(request, script):
  folder = request.getfixturevalue(
      'large_reader' if script == 'softmax.py' else 'reader')
  result = run_v1(os.path.join(EXAMPLES, script), cwd=folder)
  assert result.returncode == 0, result.stderr[-3000:]
  assert error_lines(result.stderr) == []
  lines = result.stdout.splitlines()
  assert lines[:4] == ['Extracting MNIST_data/' + name + '.gz'
                       for name in ('train-images-idx3-ubyte',
                                    'train-labels-idx1-ubyte',
                                    't10k-images-idx3-ubyte',
                                    't10k-labels-idx1-ubyte')]
  (accuracy,) = [float(l.split()[-1]) for l in lines
                 if l.startswith('Accuracy:')]
  # Chance is 0.1.
  assert accuracy > 0.9, lines[-5:]


@pytest.mark.slow
def test_flags_reach_a_script_through_tf_app_run(reader):
  result = run_v1(os.path.join(EXAMPLES, 'deep_dropout.py'), '--epochs=1',
                  '--keep_prob=1', cwd=reader)
  assert result.returncode == 0, result.stderr[-3000:]
  assert [l for l in result.stdout.splitlines() if l.startswith('Epoch:')
          ] == [l for l in result.stdout.splitlines()
                if l.startswith('Epoch: 0001')]
  bad = run_v1(os.path.join(EXAMPLES, 'deep_dropout.py'), '--epochs=x',
               cwd=reader)
  assert bad.returncode == 1
  assert "Illegal value for flag --epochs" in bad.stderr or (
      "flag --epochs" in bad.stderr), bad.stderr


def write(folder, name, source):
  path = folder / name
  path.write_text(source)
  return str(path)


@pytest.mark.slow
def test_tensorflows_own_modules_see_the_real_tensorflow(tmp_path):
  # The program's own modules and packages, in the script's folder, see
  # TF1; a module from elsewhere, or an environment kept in that folder,
  # TensorFlow 2.
  # Both ways of importing: the statement and importlib.import_module.
  source = ('import importlib, tensorflow\n'
            'NAME = tensorflow.__name__ + " " + importlib.import_module(\n'
            '    "tensorflow").__name__\n')
  write(tmp_path, 'helper.py', source)
  (tmp_path / 'nets').mkdir()
  write(tmp_path / 'nets', '__init__.py', '')
  write(tmp_path / 'nets', 'deep.py',
        source + 'from tensorflow.examples.tutorials.mnist import mnist\n'
        'from tensorflow.contrib import rnn\n'
        'from importlib import import_module\n'
        'NAME += " " + mnist.__name__ + " " + rnn.__name__ + " " + \\\n'
        '    import_module("tensorflow.contrib.rnn").__name__\n')
  elsewhere = tmp_path.parent / (tmp_path.name + '_lib')
  elsewhere.mkdir()
  write(elsewhere, 'library.py', source)
  site = tmp_path / '.venv' / 'lib' / 'site-packages'
  site.mkdir(parents=True)
  write(site, 'installed.py', source)
  script = write(
      tmp_path, 'probe.py',
      'import sys\n'
      'sys.path[1:1] = [%r, %r]\n'
      'import tensorflow as tf\n'
      'import tensorflow.compat.v1 as v1\n'
      'from tensorflow.contrib.layers import fully_connected\n'
      'from tensorflow.examples.tutorials.mnist import input_data\n'
      'import helper, library, installed\n'
      'from nets import deep\n'
      'print(tf.__name__, v1.__name__, fully_connected.__module__,\n'
      '      input_data.__name__)\n'
      'print(helper.NAME, "|", deep.NAME)\n'
      'print(library.NAME, installed.NAME)\n'
      'print(sys.modules["tensorflow"].__name__, tf.executing_eagerly())\n'
      'print(tf.layers.dense.__module__, tf.compat.v1.layers is tf.layers)\n'
      'print(sys.argv)\n' % (str(elsewhere), str(site)))
  result = run_v1(script, 'a', '--b=1', cwd=tmp_path)
  assert result.returncode == 0, result.stderr
  assert result.stdout.splitlines() == [
      'legacy_dnn.v1 legacy_dnn.v1 legacy_dnn.tf1.contrib.layers '
      'legacy_dnn.tf1.input_data',
      'legacy_dnn.v1 legacy_dnn.v1 | legacy_dnn.v1 legacy_dnn.v1 '
      'legacy_dnn.tf1.mnist_tutorial legacy_dnn.tf1.contrib.rnn '
      'legacy_dnn.tf1.contrib.rnn',
      'tensorflow tensorflow tensorflow tensorflow',
      'tensorflow False',
      'legacy_dnn.tf1.layers True',
      str([script, 'a', '--b=1'])]


def test_which_modules_are_the_programs_own(tmp_path):
  # In a process of its own: importing legacy_dnn.v1 turns TensorFlow 2's
  # behaviour off for the whole process.
  probe = write(tmp_path, 'probe.py', """
import os, sys
from legacy_dnn.v1 import runner
folder, repo = sys.argv[1], sys.argv[2]
namespace = {}
tf1 = runner._TF1Import(namespace, __import__, folder)._is_tf1_code
checkout = runner._TF1Import(namespace, __import__, repo)._is_tf1_code
print([tf1(namespace),
       tf1({'__file__': os.path.join(folder, 'model.py')}),
       tf1({'__file__': os.path.join(folder, 'nets', 'deep.py')}),
       tf1({'__file__': os.path.join(os.path.dirname(folder), 'other.py')}),
       tf1({'__file__': os.path.join(folder, '.venv', 'lib',
                                     'site-packages', 'tensorflow', 'x.py')}),
       tf1({'__name__': 'no_file'}), tf1(None),
       # A script beside this package, in its checkout: the package's own
       # modules are not the script's.
       checkout({'__file__': os.path.join(repo, 'probe.py')}),
       checkout({'__file__': os.path.join(repo, 'legacy_dnn', 'api.py')})])
""")
  result = run_python([sys.executable, probe, str(tmp_path), REPO])
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout == str([True, True, True, False, False, False, False,
                               True, False]) + '\n'


@pytest.mark.slow
def test_a_queue_runner_reads_a_csv_file_and_the_regression_learns(
    tmp_path):
  # examples/tf1/csv_queue.py: string_input_producer, TextLineReader,
  # decode_csv, tf.train.batch and queue runner threads.
  rng = np.random.default_rng(1)
  x = rng.random((100, 3))
  rows = np.column_stack([x, x @ [2.0, -1.0, 0.5] + 3.0])
  np.savetxt(tmp_path / 'scores.csv', rows, delimiter=',', fmt='%.6f')
  result = run_v1(os.path.join(EXAMPLES, 'csv_queue.py'), '--steps=801',
                  cwd=tmp_path)
  assert result.returncode == 0, result.stderr[-3000:]
  lines = result.stdout.splitlines()
  (weights,) = [l.split()[1:] for l in lines if l.startswith('Weights:')]
  (bias,) = [float(l.split()[1]) for l in lines if l.startswith('Bias:')]
  np.testing.assert_allclose([float(w) for w in weights], [2.0, -1.0, 0.5],
                             atol=0.01)
  assert bias == pytest.approx(3.0, abs=0.01)


@pytest.mark.slow
def test_a_program_of_two_files_runs_and_learns(reader):
  # examples/tf1/feed: train.py imports model.py beside it, which builds
  # the graph on tensorflow.examples.tutorials.mnist.mnist.
  result = run_v1(os.path.join(EXAMPLES, 'feed', 'train.py'),
                  '--max_steps=300', '--log_dir=feed_logs', cwd=reader)
  assert result.returncode == 0, result.stderr[-3000:]
  lines = result.stdout.splitlines()
  assert 'Step 200: loss = ' in '\n'.join(lines)
  (precision,) = [float(l.split()[-1]) for l in lines
                  if l.startswith('Test precision @ 1:')]
  assert precision > 0.9, lines[-5:]
  logs = sorted(os.listdir(os.path.join(reader, 'feed_logs')))
  assert 'model.ckpt-300.index' in logs
  assert any(name.startswith('events.out.tfevents.') for name in logs)


@pytest.mark.slow
@pytest.mark.parametrize('source, message', [
    ('import tensorflow as tf\nx = 1\ntf.estimator.DNNLinearCombinedClassifier\n',
     r'probe\.py:3: error: tf\.estimator\.DNNLinearCombinedClassifier is not '
     r'available on TensorFlow 2 and legacy_dnn\.v1 does not provide it; use '
     r'an Estimator with a model_fn of its own$'),
    ('from tensorflow.contrib import slim\n',
     r'probe\.py:1: error: tf\.contrib\.slim is not available .*; use '
     r'tf\.contrib\.layers and tf\.contrib\.framework\.arg_scope'),
    ('import tensorflow.contrib.learn as learn\nlearn.Experiment\n',
     r'probe\.py:2: error: tf\.contrib\.learn\.Experiment is not available '
     r'.*; use tf\.estimator \(Estimator, DNNClassifier, \.\.\.\), which '
     r'legacy_dnn\.v1 provides$'),
    ('import tensorflow as tf\ntf.contrib.rnn.LayerNormBasicLSTMCell(4)\n',
     r'probe\.py:2: error: tf\.contrib\.rnn\.LayerNormBasicLSTMCell is not '
     r'available .*; use the cells legacy_dnn\.v1 provides in '
     r'tf\.nn\.rnn_cell and tf\.contrib\.rnn'),
    ('from tensorflow.contrib.seq2seq import BasicDecoder\n',
     r'probe\.py:1: error: tf\.contrib\.seq2seq\.BasicDecoder is not '
     r'available .*; use Keras 3\'s layers \(legacy_dnn\.v1 provides '
     r'tf\.contrib\.seq2seq\'s sequence_loss only\)$'),
    ('from tensorflow.contrib.layers import linear\n',
     r'probe\.py:1: error: tf\.contrib\.layers\.linear is not '
     r'available .*; use fully_connected\(\.\.\., activation_fn=None\)$'),
    ('from tensorflow.examples.tutorials.mnist import input_data\n'
     'input_data.read_data_sets("nowhere/",\n'
     '                          source_url="http://127.0.0.1:9/")\n',
     r"probe\.py:2: error: input_data\.read_data_sets\('nowhere/'\): the "
     r'four IDX files are not in that folder, and '),
])
def test_a_removed_api_or_missing_data_is_one_line(tmp_path, source,
                                                   message):
  script = write(tmp_path, 'probe.py', source)
  result = run_v1(script, cwd=tmp_path)
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  assert re.match(re.escape(str(tmp_path)) + '/' + message, line), line
  # Nothing written beside it (the data cache is the test's own).
  assert sorted(os.listdir(tmp_path)) in (['probe.py'], ['cache', 'probe.py'])


@pytest.mark.slow
def test_a_scripts_own_error_keeps_its_own_traceback(tmp_path):
  script = write(tmp_path, 'probe.py', 'import tensorflow as tf\n\n'
                 'def f():\n  return 1 / 0\n\nf()\n')
  result = run_v1(script, cwd=tmp_path)
  assert result.returncode == 1
  assert result.stderr.splitlines() == [
      'Traceback (most recent call last):',
      '  File "%s", line 6, in <module>' % script, '    f()',
      '  File "%s", line 4, in f' % script, '    return 1 / 0',
      '           ~~^~~', 'ZeroDivisionError: division by zero']


def test_the_runners_own_usage_errors(tmp_path):
  missing = run_v1(str(tmp_path / 'nowhere.py'), cwd=tmp_path)
  assert missing.returncode == 2
  assert error_lines(missing.stderr) == [
      'python -m legacy_dnn.v1: error: %s: no such file'
      % (tmp_path / 'nowhere.py')]
  bare = run_v1(cwd=tmp_path)
  assert bare.returncode == 2
  assert bare.stderr.startswith('usage: python -m legacy_dnn.v1 SCRIPT.py')
  helped = run_v1('--help', cwd=tmp_path)
  assert helped.returncode == 0 and 'docs/tf1-code.md' in helped.stdout


@pytest.mark.slow
def test_load_ext_runs_tf1_cells_in_a_real_kernel(reader):
  # Here, not at the top: the quick tests on other TensorFlows collect this
  # module without the test extra's notebook packages.
  import nbclient  # pylint: disable=import-outside-toplevel
  import nbformat  # pylint: disable=import-outside-toplevel
  cells = [
      '%load_ext legacy_dnn.v1',
      'import tensorflow as tf\n'
      'from tensorflow.examples.tutorials.mnist import input_data\n'
      'mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)\n'
      'X = tf.placeholder(tf.float32, [None, 784])\n'
      'Y = tf.placeholder(tf.float32, [None, 10])\n'
      'logits = tf.layers.dense(X, 10)\n'
      'cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(\n'
      '    logits=logits, labels=Y))\n'
      'train = tf.train.AdamOptimizer(0.01).minimize(cost)\n'
      'sess = tf.Session()\n'
      'sess.run(tf.global_variables_initializer())\n'
      'for _ in range(100):\n'
      '  xs, ys = mnist.train.next_batch(50)\n'
      '  sess.run(train, {X: xs, Y: ys})\n'
      'accuracy = tf.reduce_mean(tf.cast(tf.equal(\n'
      '    tf.argmax(logits, 1), tf.argmax(Y, 1)), tf.float32))\n'
      'print("Accuracy:", sess.run(accuracy, {X: mnist.test.images,\n'
      '                                       Y: mnist.test.labels}))',
      'import sys\n'
      'import legacy_dnn.v1\n'
      'print(tf is legacy_dnn.v1, sys.modules["tensorflow"].__name__)',
      # A module beside the notebook, in the kernel's working folder.
      'import beside\n'
      'print(beside.tf.__name__, beside.tf.layers.Dense.__module__)',
  ]
  (reader / 'beside.py').write_text('import tensorflow as tf\n')
  notebook = nbformat.v4.new_notebook(
      cells=[nbformat.v4.new_code_cell(c) for c in cells])
  nbclient.NotebookClient(notebook, timeout=240, kernel_name='python3',
                          resources={'metadata': {'path': str(reader)}}
                          ).execute()
  outputs = [''.join(o.get('text', '') for o in c.outputs)
             for c in notebook.cells]
  assert outputs[0].startswith('TF1 code runs here: `import tensorflow as tf`'
                               ' gives legacy_dnn.v1')
  (accuracy,) = [float(l.split()[-1]) for l in outputs[1].splitlines()
                 if l.startswith('Accuracy:')]
  assert accuracy > 0.9
  assert outputs[2] == 'True tensorflow\n'
  assert outputs[3] == 'legacy_dnn.v1 legacy_dnn.tf1.layers\n'


@pytest.mark.slow
def test_ctrl_c_in_a_script_is_130_and_one_line(tmp_path):
  # A real SIGINT, sent by the script to itself once it is running: Python
  # turns it into a KeyboardInterrupt where the script is.
  script = write(tmp_path, 'probe.py',
                 'import os, signal, time\n'
                 'import tensorflow as tf\n'
                 'print("running", flush=True)\n'
                 'os.kill(os.getpid(), signal.SIGINT)\n'
                 'time.sleep(60)\n')
  result = run_v1(script, cwd=tmp_path)
  assert result.returncode == 130, result.stderr[-3000:]
  assert result.stdout == 'running\n'
  # Python runs the handler at the kill's line, or at the next one's start.
  (line,) = error_lines(result.stderr)
  assert re.fullmatch(re.escape(script) + ':[45]: interrupted', line), line


@pytest.mark.slow
def test_a_tf1_name_we_lack_is_one_line_and_a_typo_is_pythons_error(
    tmp_path):
  script = write(tmp_path, 'probe.py',
                 'import tensorflow as tf\n'
                 'for module, name in ((tf.layers, "denze"),\n'
                 '                     (tf.contrib.layers, "fully_conected"),\n'
                 '                     (tf.contrib.layers, "linear")):\n'
                 '  try:\n'
                 '    getattr(module, name)\n'
                 '  except AttributeError as e:\n'
                 '    print(type(e).__name__, e)\n'
                 'x = tf.placeholder(tf.float32, [None, 4, 4, 4, 1])\n'
                 'tf.layers.conv3d_transpose(x, 4, 3)\n')
  result = run_v1(script, cwd=tmp_path)
  assert result.returncode == 1
  assert result.stdout.splitlines() == [
      "AttributeError module 'tf.layers' has no attribute 'denze'; did you "
      "mean 'dense'?",
      "AttributeError module 'tf.contrib.layers' has no attribute "
      "'fully_conected'; did you mean 'fully_connected'?",
      'NotProvidedError tf.contrib.layers.linear is not available on '
      'TensorFlow 2 and legacy_dnn.v1 does not provide it; use '
      'fully_connected(..., activation_fn=None)']
  assert error_lines(result.stderr) == [
      '%s:10: error: tf.layers.conv3d_transpose is not available on '
      'TensorFlow 2 and legacy_dnn.v1 does not provide it; use '
      'tf.nn.conv3d_transpose with variables of your own (tf.get_variable), '
      'or Keras 3\'s layer' % script]


@pytest.mark.slow
def test_the_runner_leaves_onednn_to_tensorflow_unless_asked(tmp_path):
  # TF1 code runs as TensorFlow would run it on this CPU (oneDNN on only
  # where TensorFlow turns it on), where the project's own scripts turn it
  # on (cli.import_tensorflow); TF_ENABLE_ONEDNN_OPTS=1 asks for it. Fresh
  # interpreters: the tests' own environment has it set.
  script = write(tmp_path, 'probe.py',
                 'import os, tensorflow as tf\n'
                 'print(os.environ.get("TF_ENABLE_ONEDNN_OPTS"))\n')
  env = {k: v for k, v in script_env().items()
         if k != 'TF_ENABLE_ONEDNN_OPTS'}
  outputs = []
  for extra in ({}, {'TF_ENABLE_ONEDNN_OPTS': '1'}):
    result = subprocess.run(
        [sys.executable, '-m', 'legacy_dnn.v1', script], env={**env, **extra},
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    outputs.append(result.stdout)
  assert outputs == ['None\n', '1\n']
