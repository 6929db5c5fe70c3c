"""Shared test helpers: small real IDX files, and running the scripts."""

import functools
import gzip
import http.server
import importlib.metadata
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import numpy as np
import pytest

from legacy_dnn import cli
from legacy_dnn import data
from legacy_dnn import tabular
import zygote as zygote_lib

# The tests import TensorFlow themselves, and run saved_model_cli: with the
# numerics the scripts give it (oneDNN on), set before any test module
# imports it.
os.environ.setdefault(cli.ONEDNN_VARIABLE, cli.ONEDNN_ON)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(REPO, 'scripts')


def idx_bytes(array, magic):
  """The IDX encoding of a uint8 array, written by hand: magic, big-endian
  dims, then data (data.write_idx is checked against it)."""
  array = np.asarray(array, dtype=np.uint8)
  header = struct.pack('>I', magic) + struct.pack(
      '>%dI' % array.ndim, *array.shape)
  return header + array.tobytes()


def learnable_images(labels, rng):
  """28x28 uint8 images where class k lights its own horizontal band."""
  images = rng.integers(0, 60, size=(len(labels), 28, 28), dtype=np.uint8)
  for i, label in enumerate(labels):
    images[i, 2 * label + 4:2 * label + 6, 4:24] = 255
  return images


def write_dataset(folder, n_train=600, n_test=200, gz=True, seed=0,
                  learnable=True):
  """Writes the four IDX files of a small dataset into folder.

  With learnable=False the labels are independent of the images: a network
  can only memorise the training set, so its validation loss soon rises.
  """
  rng = np.random.default_rng(seed)
  os.makedirs(folder, exist_ok=True)
  for split, n in (('train', n_train), ('test', n_test)):
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    image_labels = labels if learnable else rng.permutation(labels)
    images_name, labels_name = data.FILES[split]
    for name, payload in (
        (images_name, idx_bytes(learnable_images(image_labels, rng),
                                data.IDX_IMAGES_MAGIC)),
        (labels_name, idx_bytes(labels, data.IDX_LABELS_MAGIC))):
      if gz:
        with gzip.open(os.path.join(folder, name + '.gz'), 'wb') as f:
          f.write(payload)
      else:
        with open(os.path.join(folder, name), 'wb') as f:
          f.write(payload)
  return folder


def write_housing(folder, n_rows=400, seed=0):
  """Writes a cal_housing.tgz of n_rows generated rows into folder (made if
  need be); returns the folder, for --data_dir."""
  os.makedirs(folder, exist_ok=True)
  tabular.write_housing_archive(
      os.path.join(folder, tabular.HOUSING_ARCHIVE),
      tabular.random_housing(n_rows, seed))
  return folder


@pytest.fixture
def dataset_dir(tmp_path):
  return write_dataset(str(tmp_path / 'data'))


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
  """Keeps every test away from the real per-user data cache."""
  monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))


@pytest.fixture(scope='session', autouse=True)
def matplotlib_cache(tmp_path_factory):
  """One matplotlib font cache for every script a test runs, built first.

  Matplotlib keeps it under XDG_CACHE_HOME, which each test sets afresh, so
  each script would build it again, and warn on stderr if that took over
  5 s, as it can on a loaded machine.
  """
  folder = str(tmp_path_factory.mktemp('matplotlib'))
  os.environ['MPLCONFIGDIR'] = folder
  subprocess.run([sys.executable, '-c', 'import matplotlib.font_manager'],
                 check=True, timeout=300)
  return folder


# The environment the scripts run in, but for what a test adds: set once the
# session has begun. The zygote (zygote.py) imports TensorFlow in it.
_BASE_ENV = None
_zygote = None
# Set (to anything), every script run gets a fresh interpreter: to see
# whether the zygote is at fault.
FRESH_VARIABLE = 'LEGACY_DNN_TESTS_FRESH'


@pytest.fixture(scope='session', autouse=True)
def zygote_environment(matplotlib_cache):
  """Fixes the environment this worker's zygote starts in, once
  matplotlib's cache is set, and starts it in the background, the quick
  loop's too: its script runs that import TensorFlow (usage errors found
  after the import, a model file checked) cost more than the zygote's one
  import. Stops it at the end."""
  global _BASE_ENV, _zygote
  folder = None
  if not os.environ.get(FRESH_VARIABLE):
    # Jupyter kernels too: the zygote's folder holds, once it listens, a
    # python3 kernel spec that forks ipykernel (zygote.kernel_spec_path).
    folder = tempfile.mkdtemp(prefix='zygote')
    os.environ['JUPYTER_PATH'] = os.pathsep.join(
        [folder] + os.environ.get('JUPYTER_PATH', '').split(os.pathsep)
    ).rstrip(os.pathsep)
  _BASE_ENV = script_env()
  if folder is not None:
    _zygote = zygote_lib.Zygote(_BASE_ENV, folder)
  yield
  if _zygote is not None:
    _zygote.close()


def forked(env):
  """This worker's zygote, once it listens, where there is one and a run in
  env can be forked from it; else None."""
  if _zygote is None or not _zygote.serves(env):
    return None
  _zygote.wait_until_ready()
  return _zygote


def serve_folder(folder):
  """A real HTTP server on 127.0.0.1 serving folder, in a daemon thread."""
  handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                              directory=folder)
  handler.log_message = lambda *args: None
  server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
  threading.Thread(target=server.serve_forever, daemon=True).start()
  return server


# TF_CPP_MIN_LOG_LEVEL as the suite was started with: importing JAX (which
# `import keras` does wherever JAX is installed) sets it to 1 in this
# process, and the scripts must not inherit that.
_LOG_LEVEL = os.environ.get(cli.LOG_LEVEL_VARIABLE)


def script_env(extra=None):
  """The environment scripts run in; extra adds variables to it."""
  env = dict(os.environ)
  env.pop(cli.LOG_LEVEL_VARIABLE, None)
  if _LOG_LEVEL is not None:
    env[cli.LOG_LEVEL_VARIABLE] = _LOG_LEVEL
  env['PYTHONUNBUFFERED'] = '1'
  env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
  env.update(extra or {})
  return env


def script_command(script, *args):
  return [sys.executable, os.path.join(SCRIPTS, script)] + list(args)


def run_script(script, *args, timeout=300, env=None):
  """Runs one of scripts/ to completion; returns the CompletedProcess.

  env: variables to add to its environment. The process is forked from a
  zygote that has imported TensorFlow (zygote.py) where env lets it be.
  """
  return run_python(script_command(script, *args), timeout=timeout, env=env)


def run_python(command, timeout=300, env=None, cwd=None):
  """subprocess.run(command, ...) for command = [sys.executable, SCRIPT,
  ARGS...] or [sys.executable, -m, MODULE, ARGS...], output captured as
  text, in script_env(env): forked from the zygote where env lets it be."""
  env = script_env(env)
  zygote = forked(env)
  if zygote is not None:
    return zygote.run(command, env, timeout, cwd=cwd)
  return subprocess.run(command, env=env, capture_output=True, text=True,
                        timeout=timeout, cwd=cwd)


def build_both_ways(source, impl, folder):
  """Runs source as `build.py IMPL FOLDER` in folder, the way the tests
  that compare a TF1 API with TensorFlow's own build one graph: impl 'tf'
  in a fresh interpreter with TF_USE_LEGACY_KERAS=1 (Keras 2 is chosen as
  TensorFlow loads), any other forked from the zygote. Returns (the
  FOLDER/IMPL.json report, the FOLDER/IMPL.npz arrays)."""
  env = {'TF_USE_LEGACY_KERAS': '1'} if impl == 'tf' else None
  (folder / 'build.py').write_text(source)
  result = run_python([sys.executable, str(folder / 'build.py'), impl,
                       str(folder)], env=env)
  assert result.returncode == 0, result.stderr[-3000:]
  with open(folder / (impl + '.json')) as f:
    return json.load(f), dict(np.load(folder / (impl + '.npz')))


def run_script_measured(script, *args, timeout=300):
  """run_script(), and the process's own resource usage, as the kernel
  counts it when the process is reaped (os.wait4): ru_maxrss is its peak
  resident memory in KiB, ru_utime + ru_stime its CPU seconds."""
  with tempfile.TemporaryFile('w+') as out, \
      tempfile.TemporaryFile('w+') as err:
    command = script_command(script, *args)
    popen = subprocess.Popen(command, env=script_env(), stdout=out,
                             stderr=err, text=True)
    killer = threading.Timer(timeout, popen.kill)
    killer.start()
    try:
      _, status, usage = os.wait4(popen.pid, 0)
    finally:
      killer.cancel()
    popen.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    return subprocess.CompletedProcess(command, popen.returncode, out.read(),
                                       err.read()), usage


def error_lines(stderr):
  """The non-blank lines of stderr; TensorFlow's start-up chatter is hidden
  by the scripts themselves, so it would show here."""
  return [line for line in stderr.splitlines() if line.strip()]


def start_python(command, env, prefix=(), **popen_args):
  """subprocess.Popen(prefix + command, env=env, **popen_args) for command =
  [sys.executable, SCRIPT, ARGS...]: (the Popen, the script's pid).

  Without a prefix, the script is forked from a zygote that has imported
  TensorFlow (zygote.py) where env lets it be; the Popen is then a client
  that waits for it, passes signals on and exits as it does.
  """
  zygote = None if prefix else forked(env)
  if zygote is None:
    popen = subprocess.Popen(list(prefix) + command, env=env, **popen_args)
    return popen, popen.pid
  read, write = os.pipe()
  popen = subprocess.Popen(
      [sys.executable, '-S', zygote_lib.__file__, '--client', zygote.socket,
       '--pid_fd=%d' % write] + command,
      env=env, pass_fds=(write,), **popen_args)
  os.close(write)
  with os.fdopen(read) as pid:
    pid = int(pid.read() or -1)
  assert pid > 0, 'the zygote started no %s' % command[1]
  return popen, pid


class Proc:
  """A script running in its own process, its stdout read line by line.

  env: variables to add to its environment; prefix: a command that runs
  the script (`ip netns exec NAME`, say). Without a prefix, the process is
  forked from a zygote that has imported TensorFlow (zygote.py) where env
  lets it be; popen is then the client that waits for it, which passes
  signals on and exits as it does, and pid (which send_signal and kill
  signal) is the script's own.
  """

  def __init__(self, script, *args, env=None, prefix=()):
    self.lines = []
    self._new_line = threading.Condition()
    self.popen, self.pid = start_python(
        script_command(script, *args), script_env(env), prefix=prefix,
        text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    self._reader = threading.Thread(target=self._read, daemon=True)
    self._reader.start()
    self.stderr = ''
    self._cursor = 0  # Lines before it were matched by wait_for_line.

  def _read(self):
    for line in self.popen.stdout:
      with self._new_line:
        self.lines.append(line.rstrip('\n'))
        self._new_line.notify_all()

  def wait_for_line(self, prefix, timeout=120):
    """Blocks until a line starting with prefix is printed; returns it.

    Only lines after the one the previous call matched count.
    """
    deadline = time.monotonic() + timeout
    with self._new_line:
      while True:
        for i in range(self._cursor, len(self.lines)):
          if self.lines[i].startswith(prefix):
            self._cursor = i + 1
            return self.lines[i]
        left = deadline - time.monotonic()
        if left <= 0 or (self.popen.poll() is not None and
                         not self._reader.is_alive()):
          raise AssertionError('no line %r; output so far:\n%s' % (
              prefix, '\n'.join(self.lines)))
        self._new_line.wait(min(left, 0.5))

  def send_signal(self, signum):
    """Popen.send_signal's, to the script: nothing once it has ended."""
    if self.pid == self.popen.pid:
      self.popen.send_signal(signum)
      return
    try:
      os.kill(self.pid, signum)
    except ProcessLookupError:
      pass  # Ended, and reaped at once by the zygote's supervisor.

  def kill(self):
    self.send_signal(signal.SIGKILL)

  def wait(self, timeout=300):
    self.popen.wait(timeout)
    self._reader.join(timeout)
    self.stderr = self.popen.stderr.read()
    return self.popen.returncode

  @property
  def output(self):
    return '\n'.join(self.lines)


def wait_until(ready, what, timeout=120, interval=0.2):
  """Polls ready() every interval s until it is true; fails naming what
  after timeout s."""
  deadline = time.monotonic() + timeout
  while not ready():
    assert time.monotonic() < deadline, 'never saw ' + what
    time.sleep(interval)


def process_gone(pid):
  """Whether process pid has exited: gone from /proc, or a zombie nobody has
  waited on yet. Reading its stat may race with its reaping, so a process
  that vanishes between looking and reading counts as gone."""
  try:
    with open('/proc/%d/stat' % int(pid)) as f:
      return f.read().rsplit(') ', 1)[1].split()[0] == 'Z'
  except (FileNotFoundError, ProcessLookupError):
    return True


class TensorBoard:
  """The real `tensorboard` program serving logdir on a free local port."""

  def __init__(self, logdir):
    with socket.socket() as s:
      s.bind(('127.0.0.1', 0))
      port = s.getsockname()[1]
    self.base = 'http://127.0.0.1:%d/data/' % port
    # TensorBoard's own program, forked from the zygote where there is one
    # (it imports TensorFlow, as the zygote has).
    self._popen, _ = start_python(
        [sys.executable,
         os.path.join(os.path.dirname(sys.executable), 'tensorboard'),
         '--logdir', logdir, '--host', '127.0.0.1', '--port', str(port)],
        script_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    self._popen.terminate()
    self._popen.wait(30)

  def read(self, path, post=None):
    """GETs (or POSTs the JSON post to) base + path; returns the bytes."""
    request = urllib.request.Request(self.base + path)
    if post is not None:
      request.data = json.dumps(post).encode()
      request.add_header('Content-Type', 'application/json')
    with urllib.request.urlopen(request, timeout=10) as response:
      return response.read()

  def get(self, path, post=None):
    """read(), parsed as JSON."""
    return json.loads(self.read(path, post))

  def wait_for(self, ready, what, timeout=120):
    """Polls ready() until it is true, while TensorBoard starts and loads."""
    deadline = time.monotonic() + timeout
    while True:
      try:
        if ready():
          return
      except (OSError, ValueError):
        pass
      assert time.monotonic() < deadline, 'TensorBoard never showed ' + what
      time.sleep(0.5)


# A process with Keras and numpy and no legacy_dnn: an import hook refuses
# it, as a machine without it would. Each job loads a .keras file (and, with
# 'weights', loads a .weights.h5 into a fresh copy of its architecture),
# predicts on the inputs of an .npz file (x, or one array per named input),
# and, with 'fit', compiles it (with 'loss', by default sparse categorical
# cross-entropy), trains one epoch on x and those targets, and reports the
# training loss before and after. Outputs go to another .npz.
KERAS_ONLY = '''
import json
import sys


class NoLegacyDnn:
  def find_spec(self, name, path=None, target=None):
    if name.split('.')[0] == 'legacy_dnn':
      raise ImportError('legacy_dnn is not installed here')


sys.meta_path.insert(0, NoLegacyDnn())
import keras
import numpy as np

for job in json.loads(sys.argv[1]):
  model = keras.saving.load_model(job['model'])
  print('backend %s, module: %s' % (keras.backend.backend(), ', '.join(
      '%s.%s' % (c.__module__, c.__name__) for c in type(model).__mro__
      if c.__module__.split('.')[0] in ('torch', 'flax'))))
  if job.get('weights'):
    model = keras.models.clone_model(model)
    model.load_weights(job['weights'])
  inputs = dict(np.load(job['inputs']))
  feed = inputs['x'] if list(inputs) == ['x'] else inputs
  outputs = model.predict(feed, batch_size=500, verbose=0)
  outputs = outputs if isinstance(outputs, list) else [outputs]
  result = {'out%d' % i: o for i, o in enumerate(outputs)}
  if job.get('fit'):
    labels = np.load(job['fit'])
    # Every output is trained towards the same targets.
    targets = labels if len(outputs) == 1 else [labels] * len(outputs)
    model.compile(optimizer='adam',
                  loss=job.get('loss', 'sparse_categorical_crossentropy'))
    total = lambda loss: np.ravel(loss)[0]
    before = total(model.evaluate(feed, targets, verbose=0))
    model.fit(feed, targets, epochs=1, batch_size=32, verbose=0)
    result['losses'] = np.array([before, total(model.evaluate(
        feed, targets, verbose=0))])
  np.savez(job['outputs'], **result)
print('loaded: %d' % len(json.loads(sys.argv[1])))
'''


def _run_jobs(code, jobs, timeout, **env):
  """The lines code prints, run on jobs (its argv[1], JSON) in a process of
  its own, legacy_dnn off its path, with env added to the environment."""
  env = dict(os.environ, **env)
  env.pop('PYTHONPATH', None)
  result = subprocess.run([sys.executable, '-c', code, json.dumps(jobs)],
                          env=env, capture_output=True, text=True,
                          timeout=timeout,
                          cwd=os.path.dirname(jobs[0]['outputs']))
  assert result.returncode == 0, result.stderr[-3000:]
  return result.stdout.splitlines()


def run_keras_only(jobs, timeout=600, backend='tensorflow'):
  """Runs KERAS_ONLY's jobs on Keras's backend (tensorflow, torch or jax);
  returns each one's outputs, {name: array}, and with backend= given, also
  the line each job printed: the backend, and the torch.nn.Module (or
  other framework classes) the loaded model is."""
  lines = _run_jobs(KERAS_ONLY, jobs, timeout, TF_CPP_MIN_LOG_LEVEL='2',
                    KERAS_BACKEND=backend)
  assert lines[-1] == 'loaded: %d' % len(jobs)
  outputs = [dict(np.load(job['outputs'])) for job in jobs]
  if backend == 'tensorflow':
    return outputs
  return outputs, [l for l in lines if l.startswith('backend ')]


# A process with onnxruntime and numpy alone: TensorFlow, Keras, onnx and
# legacy_dnn are refused. Each job runs an .onnx file on the arrays of an
# .npz file (named as its inputs) and writes its outputs to another .npz.
ONNX_ONLY = '''
import json
import sys


class Refused:
  def find_spec(self, name, path=None, target=None):
    if name.split('.')[0] in ('legacy_dnn', 'tensorflow', 'keras', 'onnx',
                              'tf2onnx'):
      raise ImportError('%s is not installed here' % name)


sys.meta_path.insert(0, Refused())
import numpy as np
import onnxruntime

for job in json.loads(sys.argv[1]):
  session = onnxruntime.InferenceSession(
      job['model'], providers=['CPUExecutionProvider'])
  names = [o.name for o in session.get_outputs()]
  outputs = session.run(names, dict(np.load(job['inputs'])))
  np.savez(job['outputs'], **dict(zip(names, outputs)))
print('ran: %d' % len(json.loads(sys.argv[1])))
print('modules: %s' % ' '.join(sorted({m.split('.')[0] for m in sys.modules
                                       if m.split('.')[0] in (
                                           'tensorflow', 'keras', 'onnx',
                                           'legacy_dnn', 'onnxruntime')})))
'''


def run_onnx_only(jobs, timeout=300):
  """Runs ONNX_ONLY's jobs; returns each one's outputs, {name: array}."""
  lines = _run_jobs(ONNX_ONLY, jobs, timeout)
  assert lines[-2:] == ['ran: %d' % len(jobs), 'modules: onnxruntime']
  return [dict(np.load(job['outputs'])) for job in jobs]


# The modules whose tests take longest, longest first, as `--durations=0`
# measured them (docs/testing.md): given to the two workers in this order
# (--no-loadscope-reorder in setup.cfg), so that no long module starts last
# while the other worker has nothing left to do. The rest follow, as
# collected.
LONGEST_FIRST = (
    'test_doc_commands.py', 'test_distributed.py', 'test_notebooks.py',
    'test_benchmark.py', 'test_sweep.py', 'test_export.py', 'test_v1.py',
    'test_keras_export.py', 'test_predict.py', 'test_resume.py',
    'test_onnx.py', 'test_regression.py', 'test_model.py', 'test_inspect.py',
    'test_resume_layers.py', 'test_foreign.py', 'test_checkpoints.py',
    'test_cli.py', 'test_api.py', 'test_lite.py', 'test_resume_bfloat16.py',
    'test_lean_import.py', 'test_training.py', 'test_kernel.py',
    'test_multistep.py', 'test_tf1_layers.py', 'test_zygote.py',
    'test_tracing.py', 'test_projector.py')


def pytest_collection_modifyitems(items):
  rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
  items.sort(key=lambda item: rank.get(os.path.basename(item.fspath),
                                       len(rank)))


def pytest_report_header():
  """Which TensorFlow the tests run on (.ci/run runs three), read from its
  package's metadata: importing it here would cost seconds."""
  for name in ('tensorflow', 'tf-nightly'):
    try:
      return 'TensorFlow %s (%s)' % (importlib.metadata.version(name), name)
    except importlib.metadata.PackageNotFoundError:
      pass
  return 'TensorFlow: neither tensorflow nor tf-nightly is installed'
