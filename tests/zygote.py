"""Runs scripts/ (and TensorFlow's saved_model_cli and tensorboard, and
Jupyter kernels) in processes forked from one that has imported TensorFlow.

Each script process the tests start would spend 3-6 s importing TensorFlow
before it does what the test is about. A zygote imports it once (as
cli.import_tensorflow does, before any op runs, so no thread pool exists
yet), and for each run forks a child that becomes the script: its own pid,
argv, environment, working directory, stdin/stdout/stderr, exit status and
signals, with the script run as __main__ and the interpreter's exit
(threads joined, atexit handlers) done as python does it.

What a fork cannot give is what TensorFlow reads while it loads: the
environment the zygote started with. So a run goes through the zygote only
where its environment equals that one, but for RUN_TIME_VARIABLES, read
after start-up; anything else (TF_CPP_MIN_LOG_LEVEL=0, oneDNN off, an ISA
cap, another Keras backend) gets a fresh interpreter. The start-up itself
(its chatter hidden, --help without TensorFlow) is tested on fresh
interpreters, in test_cli.py; test_zygote.py checks a forked run against a
fresh one, output and checkpoint bits, and that a kernel jupyter_client
starts is forked (the zygote's folder is on JUPYTER_PATH, with a python3
kernel spec that runs ipykernel through the zygote's python3).

  python3 tests/zygote.py SOCKET   serves SOCKET until told 'stop'
  python3 tests/zygote.py --client SOCKET [--pid_fd=N] python3 SCRIPT ARGS...
                                   runs `python3 SCRIPT ARGS...` (or
                                   `python3 -m MODULE ARGS...`) there,
                                   passing signals on (and the script's
                                   pid written to file descriptor N)
"""

import atexit
import json
import os
import random
import runpy
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback

# Read by the scripts as they run, never while TensorFlow loads: a run whose
# environment differs from the zygote's only in these can be forked. The
# shell's own bookkeeping is among them.
RUN_TIME_VARIABLES = frozenset((
    'XDG_CACHE_HOME', 'TF_CONFIG', 'PATH', 'PWD', 'OLDPWD', 'SHLVL', '_',
    'PYTEST_CURRENT_TEST',
    # What jupyter_client gives the kernels it starts, and what ipykernel
    # sets for the processes a kernel starts (a sweep's trials): matplotlib's
    # backend is read when matplotlib is imported, which the zygote has not,
    # debugpy's variable when it is, the colours by what prints them.
    'JPY_PARENT_PID', 'JPY_SESSION_NAME', 'MPLBACKEND', 'TERM', 'CLICOLOR',
    'CLICOLOR_FORCE', 'FORCE_COLOR', 'PAGER', 'GIT_PAGER',
    'PYDEVD_USE_FRAME_EVAL'))
# The signals a --client passes on to the script it runs.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1,
             signal.SIGUSR2)


def _send(sock, message, fds=()):
  payload = json.dumps(message).encode() + b'\n'
  socket.send_fds(sock, [payload], list(fds))


def _receive(sock, want_fds=0, buffer=None):
  """One JSON line from sock, with up to want_fds file descriptors. buffer,
  a bytearray, keeps what came after that line for the next call on the
  same connection: a script that exits at once sends its pid and its status
  in one read."""
  buffer = bytearray() if buffer is None else buffer
  fds = []
  while b'\n' not in buffer:
    if want_fds and not fds:
      data, fds, _, _ = socket.recv_fds(sock, 1 << 16, want_fds)
    else:
      data = sock.recv(1 << 16)
    if not data:
      raise EOFError('the zygote closed the connection')
    buffer += data
  line, _, rest = bytes(buffer).partition(b'\n')
  buffer[:] = rest
  return json.loads(line), fds


def differences(env, zygote_env):
  """The variables, read while TensorFlow loads, whose values differ
  between env and zygote_env: a run in env can be forked where none do."""
  return sorted(name for name in set(env) | set(zygote_env)
                if name not in RUN_TIME_VARIABLES and
                env.get(name) != zygote_env.get(name))


# The zygote, its supervisors and children.


# The zygote's python3, beside its socket: the sys.executable of the scripts
# it forks, so that the processes they start (sweep.py's --parallel trials,
# the benchmark's contenders) are forked here too; the doc pages' python3
# (and, through it, their saved_model_cli); and the Jupyter kernels' (the
# kernel spec below). Anything but a script, TensorFlow's saved_model_cli,
# `-m legacy_dnn` (a sweep's --parallel trials), `-m legacy_dnn.v1` or
# `-m ipykernel_launcher` is the real one.
PYTHON = '''#!/bin/bash
if [[ $1 == *.py || $1 == */saved_model_cli || "$1 $2" == "-m legacy_dnn" ||
      "$1 $2" == "-m legacy_dnn.v1" || "$1 $2" == "-m ipykernel_launcher" ]]
then
  exec %(python)s -S %(zygote)s --client %(socket)s "$0" "$@"
fi
exec %(python)s "$@"
'''


def kernel_spec_path(path):
  """Where the zygote at path writes its Jupyter kernel spec, once it
  listens: the folder beside its socket is a JUPYTER_PATH entry whose
  python3 kernel is ipykernel's, run by the zygote's python3."""
  return os.path.join(os.path.dirname(path), 'kernels', 'python3',
                      'kernel.json')


def python_path(path):
  """The zygote at path's python3."""
  return os.path.join(os.path.dirname(path), 'python3')


def serve(path):
  started_in = dict(os.environ)
  with open(python_path(path), 'w') as f:
    f.write(PYTHON % {'python': shlex.quote(sys.executable),
                      'zygote': shlex.quote(os.path.abspath(__file__)),
                      'socket': shlex.quote(path)})
  os.chmod(python_path(path), 0o755)
  from legacy_dnn import cli  # pylint: disable=g-import-not-at-top
  cli.import_tensorflow()
  # What most scripts import next; importing runs no op.
  import legacy_dnn.training  # pylint: disable=g-import-not-at-top,unused-import
  # Supervisors are reaped as they exit.
  signal.signal(signal.SIGCHLD, signal.SIG_IGN)
  listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  listener.bind(path)
  listener.listen(16)
  # Written whole (a rename): a kernel started before it is there is a
  # fresh one, jupyter_client's own python3 spec.
  spec = kernel_spec_path(path)
  os.makedirs(os.path.dirname(spec))
  with open(spec + '.part', 'w') as f:
    json.dump({'argv': [python_path(path), '-m', 'ipykernel_launcher', '-f',
                        '{connection_file}'],
               'display_name': 'Python 3 (ipykernel)', 'language': 'python',
               'metadata': {'debugger': True}}, f)
  os.rename(spec + '.part', spec)
  print('ready', flush=True)
  while True:
    conn, _ = listener.accept()
    try:
      request, fds = _receive(conn, 3)
    except (EOFError, OSError, ValueError):
      conn.close()
      continue
    if request == 'stop':
      return
    refused = differences(request['env'], started_in)
    request['python'] = python_path(path)
    if refused:
      _send(conn, {'refused': refused})
    elif os.fork() == 0:
      listener.close()
      _supervise(conn, request, fds)
    conn.close()
    for fd in fds:
      os.close(fd)


def _supervise(conn, request, fds):
  """In a fork of the zygote: forks the script's process, tells the client
  its pid and, once it ends, its wait status. A client that goes away
  (killed, say) takes the script with it. Never returns."""
  signal.signal(signal.SIGCHLD, signal.SIG_DFL)
  child = os.fork()
  if child == 0:
    conn.close()
    _become(request, fds)
  for fd in fds:
    os.close(fd)
  try:
    _send(conn, {'pid': child})
    ended = os.pidfd_open(child)
    poller = select.poll()
    poller.register(ended, select.POLLIN)
    poller.register(conn, select.POLLIN)
    while not any(fd == ended for fd, _ in poller.poll()):
      if not _still_there(conn):
        os.kill(child, signal.SIGKILL)
        break
    _, status = os.waitpid(child, 0)
    _send(conn, {'status': status})
  finally:
    os._exit(0)  # pylint: disable=protected-access


def _still_there(conn):
  try:
    return bool(conn.recv(1, socket.MSG_PEEK))
  except OSError:
    return False


def _become(request, fds):
  """Becomes `python3 ARGV...`, in the request's environment and folder,
  on its stdin, stdout and stderr. Never returns."""
  code = 1
  try:
    for target, fd in enumerate(fds):
      os.dup2(fd, target)
      os.close(fd)
    os.chdir(request['cwd'])
    os.environ.clear()
    os.environ.update(request['env'])
    # A fresh interpreter seeds these from the OS; a fork would share the
    # zygote's state.
    random.seed()
    import numpy as np  # pylint: disable=g-import-not-at-top
    np.random.seed()
    sys.executable = request['python']
    code = _run_main(list(request['argv']))
    threading._shutdown()  # pylint: disable=protected-access
    atexit._run_exitfuncs()  # pylint: disable=protected-access
  finally:
    for stream in (sys.stdout, sys.stderr):
      try:
        stream.flush()
      except (OSError, ValueError):
        pass
    os._exit(code)  # pylint: disable=protected-access


def _run_main(argv):
  """Runs `python3 ARGV...` (SCRIPT ARGS... or -m MODULE ARGS...) as
  __main__; its exit status, as python's would be."""
  try:
    if argv[0] == '-m':
      sys.argv = argv[1:]  # run_module puts the module's path first.
      sys.path[0] = os.getcwd()
      runpy.run_module(argv[1], run_name='__main__', alter_sys=True)
    else:
      sys.argv = argv
      sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
      runpy.run_path(argv[0], run_name='__main__')
    return 0
  except SystemExit as e:
    if e.code is None:
      return 0
    if isinstance(e.code, int):
      return e.code
    print(e.code, file=sys.stderr)
    return 1
  except KeyboardInterrupt:
    # As python does: the traceback, then death by the signal itself.
    traceback.print_exc()
    sys.stderr.flush()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
    return 130
  except BaseException:  # pylint: disable=broad-except
    traceback.print_exc()
    return 1


# Clients.


class Zygote:
  """A zygote serving this process's script runs."""

  def __init__(self, env, folder=None):
    """Starts one in env, its socket in folder (a new one by default)."""
    self.env = dict(env)
    self.socket = os.path.join(folder or tempfile.mkdtemp(prefix='zygote'),
                               'socket')
    self._popen = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), self.socket],
        env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)
    self._ready = False

  def wait_until_ready(self):
    """Returns once the zygote has imported TensorFlow and listens (it
    starts in the background)."""
    if not self._ready:
      if self._popen.stdout.readline().strip() != 'ready':
        raise RuntimeError('the zygote did not start (exit status %s)'
                           % self._popen.poll())
      self._ready = True

  def serves(self, env):
    """Whether a run in env can be forked here."""
    return not differences(env, self.env)

  def run(self, argv, env, timeout, cwd=None):
    """subprocess.run(argv, env=env, capture_output=True, text=True,
    timeout=timeout, cwd=cwd) for argv = [python, SCRIPT, ARGS...] or
    [python, -m, MODULE, ARGS...], forked."""
    self.wait_until_ready()
    with tempfile.TemporaryFile('w+') as out, \
        tempfile.TemporaryFile('w+') as err, \
        open(os.devnull) as stdin:
      status = start(self.socket, argv[1:], env, cwd or os.getcwd(),
                     (stdin.fileno(), out.fileno(), err.fileno()))
      pid = status.send(None)
      assert pid is not None, 'the zygote refused %s' % argv
      try:
        code = status.send(timeout)
      except subprocess.TimeoutExpired:
        os.kill(pid, signal.SIGKILL)
        raise subprocess.TimeoutExpired(argv, timeout) from None
      finally:
        status.close()
      out.seek(0)
      err.seek(0)
      return subprocess.CompletedProcess(argv, code, out.read(), err.read())

  def close(self):
    """Stops the zygote; scripts it started run on to their end."""
    try:
      if not self._ready:
        raise OSError('not listening yet')
      with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(self.socket)
        _send(sock, 'stop')
      self._popen.wait(30)
    except (OSError, subprocess.TimeoutExpired):
      self._popen.kill()
      self._popen.wait()
    self._popen.stdout.close()
    shutil.rmtree(os.path.dirname(self.socket), ignore_errors=True)


def start(path, argv, env, cwd, fds):
  """A generator: sends the run to the zygote at path; yields the script's
  pid (None where the zygote refuses the run's environment), then, sent a
  timeout (s or None), its exit code, as subprocess.Popen.returncode gives
  it."""
  sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  with sock:
    sock.connect(path)
    _send(sock, {'argv': [str(a) for a in argv], 'env': env, 'cwd': str(cwd)},
          fds)
    buffer = bytearray()
    reply = _receive(sock, buffer=buffer)[0]
    if 'refused' in reply:
      yield None
      return
    timeout = yield reply['pid']
    sock.settimeout(timeout)
    try:
      status = _receive(sock, buffer=buffer)[0]['status']
    except socket.timeout:
      raise subprocess.TimeoutExpired(argv, timeout) from None
    yield os.waitstatus_to_exitcode(status)


def client(path, command, pid_fd=None):
  """command, `python3 SCRIPT ARGS...`, through the zygote at path, on this
  process's stdin, stdout and stderr; signals passed on. Exits as the
  script did. pid_fd: a file descriptor to write the script's pid to, then
  close."""
  argv = command[1:]
  status = start(path, argv, dict(os.environ), os.getcwd(), (0, 1, 2))
  pid = status.send(None)
  if pid is None:
    # A fresh interpreter, in this very process.
    pid = os.getpid()
  if pid_fd is not None:
    os.write(pid_fd, b'%d' % pid)
    os.close(pid_fd)
  if pid == os.getpid():
    os.execv(sys.executable, [sys.executable] + argv)
  for number in FORWARDED:
    signal.signal(number, lambda n, _: os.kill(pid, n))
  code = status.send(None)
  if code < 0:
    if -code != signal.SIGKILL:
      signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
  sys.exit(code)


if __name__ == '__main__':
  if sys.argv[1] == '--client':
    if sys.argv[3].startswith('--pid_fd='):
      client(sys.argv[2], sys.argv[4:], int(sys.argv[3].split('=')[1]))
    else:
      client(sys.argv[2], sys.argv[3:])
  else:
    serve(sys.argv[1])
