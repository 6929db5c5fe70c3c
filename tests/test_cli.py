"""What every script shows a user first: --help fast, no TensorFlow chatter."""

import ast
import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest

from conftest import REPO, SCRIPTS, run_python, run_script, script_env, write_dataset
from legacy_dnn import cli
from legacy_dnn import distributed

SCRIPT_NAMES = ['train.py', 'evaluate.py', 'export.py', 'predict.py',
                'sweep.py', 'gradcheck.py', 'plot_curves.py']
# What TensorFlow 2.21 prints while it loads on a machine without a GPU,
# and what 2.16 prints besides.
CHATTER = [
    'WARNING: All log messages before absl::InitializeLog() is called are '
    'written to STDERR',
    'I0000 00:00:1795476885.261987    2335 port.cc:153] oneDNN custom '
    'operations are on. You may see slightly different numerical results due '
    'to floating-point round-off errors from different computation orders. '
    'To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.',
    'I0000 00:00:1795476885.262763    2335 cudart_stub.cc:31] Could not find '
    'cuda drivers on your machine, GPU will not be used.',
    'E0000 00:00:1795476892.986459    2383 cuda_platform.cc:52] failed call '
    'to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR '
    '(303)',
    '2026-12-03 12:15:55.435669: E external/local_xla/xla/stream_executor/'
    'cuda/cuda_fft.cc:479] Unable to register cuFFT factory: Attempting to '
    'register factory for plugin cuFFT when one has already been registered',
    '2026-12-03 12:15:55.507556: E external/local_xla/xla/stream_executor/'
    'cuda/cuda_dnn.cc:10575] Unable to register cuDNN factory: Attempting to '
    'register factory for plugin cuDNN when one has already been registered',
    '2026-12-03 12:15:55.508394: E external/local_xla/xla/stream_executor/'
    'cuda/cuda_blas.cc:1442] Unable to register cuBLAS factory: Attempting to '
    'register factory for plugin cuBLAS when one has already been registered',
]

# The same on TensorFlow 2.23 (tf-nightly 2.23.0.dev20261026): an error
# record goes on with a source-location trace, its frame and a blank line
# (the heading ended in a space when TF_CPP_MIN_LOG_LEVEL was unset).
NIGHTLY_CHATTER = [
    'WARNING: All log messages before absl::InitializeLog() is called are '
    'written to STDERR',
    'I0000 00:00:1796557187.957006    3611 port.cc:153] oneDNN custom '
    'operations are on. You may see slightly different numerical results due '
    'to floating-point round-off errors from different computation orders. '
    'To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.',
    'E0000 00:00:1796557191.853149    3611 cuda_platform.cc:57] failed call '
    'to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR '
    '(303)',
    '=== Source Location Trace: === ',
    'external/xla/xla/stream_executor/cuda/cuda_status.cc:50',
    '',
]
# What a server that cannot listen logs, on 2.21 and on 2.23.
PORT_IN_USE = [
    'E0000 00:00:1796557196.966127    3631 add_port.cc:83] Failed to add port '
    "to server: No address added out of total 1 resolved for '0.0.0.0:33889'",
    'E0000 00:00:1796557196.968712    3631 grpc_server_lib.cc:618] UNKNOWN: '
    'Could not start gRPC server',
]
NIGHTLY_PORT_IN_USE = [
    'E0000 00:00:1796557191.856204    3611 add_port.cc:83] Failed to add port '
    "to server: No address added out of total 1 resolved for '0.0.0.0:55211' "
    '(Failed to add any wildcard listeners: Error in bind for port '
    '0.0.0.0:55211: Address already in use)',
    'E0000 00:00:1796557191.858671    3611 grpc_server_lib.cc:620] UNKNOWN: '
    'Could not start gRPC server',
    '=== Source Location Trace: ===',
    'tensorflow/core/distributed_runtime/rpc/grpc_server_lib.cc:303',
    '',
]
# An error record that is no chatter, in 2.23's form: it shows whole.
NIGHTLY_REAL_ERROR = [
    'E0000 00:00:1796557191.9 3611 master_session.cc:1972] Cleanup partition '
    'error: INTERNAL: a real one',
    '=== Source Location Trace: ===',
    'tensorflow/core/distributed_runtime/master_session.cc:1972',
    'tensorflow/core/distributed_runtime/master_session.cc:1300',
    '',
]


def kept(pattern, lines):
  records = cli.LogRecords(pattern)
  return [line for line in lines if records.keep(line + '\n')]


@pytest.mark.parametrize('chatter', [CHATTER, NIGHTLY_CHATTER],
                         ids=['2.21', '2.23'])
def test_start_up_chatter_is_dropped_whole_records(chatter):
  lines = (['first'] + chatter + ['train.py: error: a real one']
           + NIGHTLY_REAL_ERROR + chatter + ['last'])
  assert kept(cli.STARTUP_CHATTER, lines) == (
      ['first', 'train.py: error: a real one'] + NIGHTLY_REAL_ERROR
      + ['last'])


@pytest.mark.parametrize('chatter', [PORT_IN_USE, NIGHTLY_PORT_IN_USE],
                         ids=['2.21', '2.23'])
def test_a_port_in_use_is_dropped_whole_records(chatter):
  lines = chatter + ['Traceback (most recent call last):', '']
  assert kept(distributed.SERVER_FAILURE, lines) == [
      'Traceback (most recent call last):', '']


def test_a_trace_continues_only_the_record_it_follows():
  # A heading, frame or blank line with no record before it is no record's
  # part, and a line that is no frame ends the trace.
  lines = ['=== Source Location Trace: ===', 'a.cc:1', '',
           NIGHTLY_CHATTER[2], NIGHTLY_CHATTER[3], 'not a frame', 'b.cc:2']
  assert kept(cli.STARTUP_CHATTER, lines) == [
      '=== Source Location Trace: ===', 'a.cc:1', '', 'not a frame',
      'b.cc:2']


@pytest.mark.parametrize('script', SCRIPT_NAMES)
def test_help_needs_no_tensorflow_and_prints_nothing_else(script):
  # Runs the script as __main__ in a process that then reports whether
  # TensorFlow was ever imported.
  probe = ('import runpy, sys\n'
           'sys.argv = [%r, "--help"]\n'
           'try:\n'
           '  runpy.run_path(sys.argv[0], run_name="__main__")\n'
           'except SystemExit:\n'
           '  pass\n'
           'print("tensorflow imported:", "tensorflow" in sys.modules)\n'
           % os.path.join(SCRIPTS, script))
  result = subprocess.run([sys.executable, '-c', probe], env=script_env(),
                          capture_output=True, text=True, timeout=120)
  assert result.stderr == ''
  assert result.stdout.splitlines()[-1] == 'tensorflow imported: False'
  # A command's script is a shell whose docstring is its command's.
  command = os.path.join(REPO, 'legacy_dnn', 'commands', script)
  with open(command if os.path.exists(command) else
            os.path.join(SCRIPTS, script)) as f:
    summary = ast.get_docstring(ast.parse(f.read())).splitlines()[0]
  assert result.stdout.splitlines()[0] == summary
  assert '--helpfull' in result.stdout


def test_chatter_pattern_is_exactly_the_known_lines():
  for line in CHATTER:
    assert cli.STARTUP_CHATTER.match(line), line
  for line in [
      'W0000 00:00:1795476931.477946    2507 port.cc:148] '
      'TF_ENABLE_ONEDNN_OPTS is not set to either 0 or 1',
      'E0000 00:00:1795476892.986459    2383 cuda_platform.cc:52] out of '
      'memory',
      'Traceback (most recent call last):',
      'train.py: error: oneDNN custom operations are on',
      '2026-12-03 12:15:55.508394: E external/local_xla/xla/stream_executor/'
      'cuda/cuda_blas.cc:1442] cuBLAS failed']:
    assert not cli.STARTUP_CHATTER.match(line), line


def test_lines_other_than_the_chatter_pass_through_in_order():
  probe = ('import os, sys\n'
           'from legacy_dnn import cli\n'
           'with cli.without_lines(cli.STARTUP_CHATTER):\n'
           '  os.write(2, b"first\\n")\n'
           '  for line in %r:\n'
           '    os.write(2, line.encode() + b"\\n")\n'
           '  print("second", file=sys.stderr)\n'
           'print("third", file=sys.stderr)\n'
           % (CHATTER + NIGHTLY_CHATTER))
  result = subprocess.run([sys.executable, '-c', probe], env=script_env(),
                          capture_output=True, text=True, timeout=60)
  assert result.stderr == 'first\nsecond\nthird\n'


# What a cluster task's TensorFlow logged, from its own thread, when its ps
# task was SIGKILLed right after a step (a CI run's failure, #19).
LOST_TASK_CHATTER = [
    'E0000 00:00:1796232872.264037    8992 master_session.cc:1972] Cleanup '
    'partition error: UNAVAILABLE: recvmsg:Connection reset by peer',
    'Additional GRPC error information from remote target '
    '/job:ps/replica:0/task:0 while calling '
    '/tensorflow.WorkerService/CleanupGraph:',
    ':UNKNOWN:Error received from peer  {grpc_status:14, '
    'grpc_message:"recvmsg:Connection reset by peer"}',
]


@pytest.mark.next_tensorflow
@pytest.mark.slow
def test_the_live_filter_drops_a_lost_tasks_chatter_as_it_comes():
  # A thread writes to fd 2, as TensorFlow's C++ threads do; what is not
  # chatter shows at once, in order, before the script ends.
  probe = ('import os, sys, threading\n'
           'from legacy_dnn import cli\n'
           'cli.import_tensorflow()\n'
           'from legacy_dnn import distributed\n'
           'cli.filter_stderr(distributed.LOST_TASK_CHATTER)\n'
           'print("before", file=sys.stderr)\n'
           'def log():\n'
           '  for line in %r:\n'
           '    os.write(2, line.encode() + b"\\n")\n'
           'thread = threading.Thread(target=log)\n'
           'thread.start()\n'
           'thread.join()\n'
           'os.write(2, b"E0000 00:00:1796232872.3 8992 master_session.cc:1972]'
           ' Cleanup partition error: INTERNAL: a real one\\n")\n'
           'cli._live_filter.sync()\n'
           'print("after", file=sys.stderr)\n'
           'cli._stop_filter()\n'
           'print("restored", file=sys.stderr)\n' % LOST_TASK_CHATTER)
  result = subprocess.run([sys.executable, '-c', probe], env=script_env(),
                          capture_output=True, text=True, timeout=60)
  assert result.returncode == 0, result.stderr
  assert result.stderr.splitlines() == [
      'before',
      'E0000 00:00:1796232872.3 8992 master_session.cc:1972] Cleanup '
      'partition error: INTERNAL: a real one',
      'after', 'restored']
  for line in LOST_TASK_CHATTER:
    assert distributed.LOST_TASK_CHATTER.match(line), line


def _short_run(tmp_path, dataset_dir, env):
  return subprocess.run(
      [sys.executable, os.path.join(SCRIPTS, 'train.py'), '--variant=homl',
       '--epochs=1', '--hidden_units=8', '--validation_size=100',
       '--data_dir=' + dataset_dir, '--model_dir=%s' % (tmp_path / 'm'),
       '--logdir=%s' % (tmp_path / 'l'), '--restart'],
      env=dict(script_env(), **env), capture_output=True, text=True,
      timeout=300)


@pytest.mark.next_tensorflow
@pytest.mark.slow
def test_a_run_is_quiet_but_real_warnings_and_the_debug_switch_show(
    tmp_path, dataset_dir):
  quiet = _short_run(tmp_path, dataset_dir, {})
  assert quiet.returncode == 0, quiet.stderr
  assert quiet.stderr == ''
  assert quiet.stdout.startswith('Data: ')
  assert '\r' not in quiet.stdout  # No progress bar into a pipe.

  # A real TensorFlow warning, printed while it loads, still shows.
  warned = _short_run(tmp_path, dataset_dir,
                      {'TF_ENABLE_ONEDNN_OPTS': 'maybe'})
  assert warned.returncode == 0, warned.stderr
  lines = warned.stderr.splitlines()
  assert lines and all(
      "port.cc:148] TF_ENABLE_ONEDNN_OPTS is not set to either '0', 'false', "
      "'1', or 'true'" in line for line in lines), warned.stderr

  # TF_CPP_MIN_LOG_LEVEL=0 gives everything back, for debugging.
  verbose = _short_run(tmp_path, dataset_dir, {'TF_CPP_MIN_LOG_LEVEL': '0'})
  assert verbose.returncode == 0, verbose.stderr
  assert 'oneDNN custom operations are on' in verbose.stderr


def test_a_bad_flag_is_one_line_without_tensorflow(tmp_path):
  result = run_script('train.py', '--keep_prob=2')
  assert result.returncode == 2
  assert result.stderr == ('train.py: error: flag --keep_prob=2.0: must be in '
                           '(0, 1] (see --help)\n')


@pytest.mark.next_tensorflow
@pytest.mark.slow
def test_progress_bar_on_a_terminal_only(tmp_path, dataset_dir):
  """A real pseudo-terminal of 100x40; the quiet run above had a pipe."""
  master, slave = pty.openpty()
  fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 100, 0, 0))
  proc = subprocess.Popen(
      [sys.executable, os.path.join(SCRIPTS, 'train.py'), '--variant=homl',
       '--epochs=2', '--hidden_units=8', '--validation_size=100',
       '--data_dir=' + dataset_dir, '--model_dir=%s' % (tmp_path / 'm'),
       '--logdir=%s' % (tmp_path / 'l')],
      env=script_env(), stdout=slave, stderr=subprocess.PIPE)
  os.close(slave)
  screen = b''
  while True:
    try:
      chunk = os.read(master, 4096)
    except OSError:  # EIO: the child closed the terminal.
      break
    if not chunk:
      break
    screen += chunk
  os.close(master)
  assert proc.wait(timeout=300) == 0, proc.stderr.read()
  text = screen.decode(errors='replace')
  bars = re.findall(r'\rEpoch (\d{4}): +\d+%\|.*?\| (\d+)/500 \[[^\]]*'
                    r'examples/s\]', text)
  assert {epoch for epoch, _ in bars} == {'0001', '0002'}, text
  # Each bar is cleared away before its epoch's line.
  assert re.search(r'\r +\rEpoch: 0001 cost = ', text), text


def test_python_m_legacy_dnn_lists_its_commands_and_refuses_others():
  listed = subprocess.run([sys.executable, '-m', 'legacy_dnn', '--help'],
                          env=script_env(), capture_output=True, text=True,
                          timeout=120)
  assert listed.returncode == 0, listed.stderr
  for name in ('train', 'evaluate', 'predict', 'export', 'sweep'):
    assert re.search(r'^  %s +\S' % name, listed.stdout, re.M), name
  unknown = subprocess.run([sys.executable, '-m', 'legacy_dnn', 'fit'],
                           env=script_env(), capture_output=True, text=True,
                           timeout=120)
  assert unknown.returncode == 2
  assert unknown.stderr == (
      "legacy-dnn: error: no command 'fit'; the commands are train, "
      'evaluate, predict, export, sweep (see --help)\n')
  bare = subprocess.run([sys.executable, '-m', 'legacy_dnn'],
                        env=script_env(), capture_output=True, text=True,
                        timeout=120)
  assert bare.returncode == 2 and bare.stderr.startswith(
      'usage: legacy-dnn COMMAND')


@pytest.mark.parametrize('name', ['train', 'evaluate', 'predict', 'export',
                                  'sweep'])
def test_a_commands_help_is_its_scripts_under_its_own_name(name):
  script = subprocess.run(
      [sys.executable, os.path.join(SCRIPTS, name + '.py'), '--help'],
      env=script_env(), capture_output=True, text=True, timeout=120)
  command = subprocess.run(
      [sys.executable, '-m', 'legacy_dnn', name, '--help'], env=script_env(),
      capture_output=True, text=True, timeout=120)
  # absl ends --help with status 1, the script and the command alike.
  assert command.returncode == script.returncode == 1, command.stderr
  assert command.stderr == ''
  renamed = script.stdout.replace(
      'python scripts/%s.py' % name, 'legacy-dnn ' + name).replace(
          '\n%s:\n' % os.path.join(SCRIPTS, name + '.py'),
          '\nlegacy-dnn %s:\n' % name)
  assert command.stdout == renamed
  assert '\nlegacy-dnn %s:\n  --' % name in command.stdout


def test_a_bad_flag_of_a_command_is_one_line_naming_the_command():
  result = subprocess.run(
      [sys.executable, '-m', 'legacy_dnn', 'export', '--format=pdf'],
      env=script_env(), capture_output=True, text=True, timeout=120)
  assert result.returncode == 2
  assert result.stderr.startswith('legacy-dnn export: error: flag '
                                  '--format=pdf: value should be one of')
  assert len(result.stderr.splitlines()) == 1
