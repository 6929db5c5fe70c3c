"""A script forked from the tests' zygote (zygote.py) is the script run as a
fresh process: the same output, exit status, checkpoint bits and signals.

The rest of the suite relies on it: run_script() and the doc pages'
`python3` fork where they can.
"""

import os
import re
import signal
import socket
import subprocess
import sys

import pytest

from conftest import (Proc, forked, process_gone, run_python, run_script,
                      script_command, script_env, wait_until)
from test_training import assert_same_tensors, checkpoint_tensors
import zygote

SMALL = ('--variant=small', '--validation_size=100', '--epochs=2',
         '--batch_size=50')


def fresh(script, *args, env=None):
  return subprocess.run(script_command(script, *args), env=script_env(env),
                        capture_output=True, text=True, timeout=300)


def without_times(text):
  """text less the epoch times and the log folder's time stamp."""
  return re.sub(r'\(\d+\.\d s\)|-run-\d{14}', 'T', text)


def test_only_what_is_read_after_start_up_may_differ():
  base = {'PATH': '/bin', 'HOME': '/root', 'TF_ENABLE_ONEDNN_OPTS': '1'}
  assert zygote.differences(dict(base, PATH='/x:/bin', XDG_CACHE_HOME='/c',
                                 TF_CONFIG='{}', PWD='/w', SHLVL='2'),
                            base) == []
  assert zygote.differences(dict(base, TF_ENABLE_ONEDNN_OPTS='0',
                                 TF_CPP_MIN_LOG_LEVEL='0'), base) == [
                                     'TF_CPP_MIN_LOG_LEVEL',
                                     'TF_ENABLE_ONEDNN_OPTS']
  # A variable the zygote had and the run has not counts too.
  assert zygote.differences({'PATH': '/bin'}, base) == [
      'HOME', 'TF_ENABLE_ONEDNN_OPTS']


def test_messages_that_arrive_in_one_read_are_read_one_by_one():
  # A script that exits at once (--help): the zygote's two lines, its pid
  # and its status, reached the client in one read, which took them for one
  # message (a red .ci/run, 2026-12-07). Then one split over two reads.
  ours, zygotes = socket.socketpair()
  with ours, zygotes:
    zygotes.sendall(b'{"pid": 7}\n{"status": 0}\n{"pid":')
    buffer = bytearray()
    assert zygote._receive(ours, buffer=buffer)[0] == {'pid': 7}
    assert zygote._receive(ours, buffer=buffer)[0] == {'status': 0}
    zygotes.sendall(b' 8}\n')
    assert zygote._receive(ours, buffer=buffer)[0] == {'pid': 8}
    assert buffer == b''
    zygotes.close()
    with pytest.raises(EOFError):
      zygote._receive(ours, buffer=buffer)


@pytest.mark.slow
def test_a_forked_run_is_a_fresh_ones_bits_and_lines(tmp_path, dataset_dir):
  assert forked(script_env()) is not None
  runs = {}
  for name, run in (('forked', run_script), ('fresh', fresh)):
    runs[name] = run('train.py', '--data_dir=' + dataset_dir,
                     '--model_dir=%s' % (tmp_path / name), *SMALL,
                     '--logdir=%s' % (tmp_path / name / 'logs'))
    assert runs[name].returncode == 0, runs[name].stderr
  forked_out = runs['forked'].stdout.replace(str(tmp_path / 'forked'), 'M')
  fresh_out = runs['fresh'].stdout.replace(str(tmp_path / 'fresh'), 'M')
  assert 'Epoch: 0002 cost = ' in forked_out
  assert without_times(forked_out) == without_times(fresh_out)
  assert runs['forked'].stderr == runs['fresh'].stderr == ''
  assert_same_tensors(checkpoint_tensors(str(tmp_path / 'forked')),
                      checkpoint_tensors(str(tmp_path / 'fresh')))


@pytest.mark.slow
def test_errors_exit_as_a_fresh_process_does(tmp_path, dataset_dir):
  cases = [('train.py', '--epochs=0'),  # absl's usage error: 1.
           ('train.py', '--model_dir=%s' % (tmp_path / 'm'),  # A UserError.
            '--data_dir=%s' % (tmp_path / 'none')),
           ('predict.py',)]  # No arguments: 2.
  for args in cases:
    a, b = run_script(*args), fresh(*args)
    assert (a.returncode, a.stdout, a.stderr) == (
        b.returncode, b.stdout, b.stderr), args
    assert a.returncode != 0 and a.stderr.count('\n') == 1, a.stderr


@pytest.mark.slow
def test_what_tensorflow_reads_as_it_loads_gets_a_fresh_interpreter():
  served = forked(script_env())
  assert served.serves(script_env({'XDG_CACHE_HOME': '/x', 'TF_CONFIG': '{}'}))
  for variable, value in (('TF_CPP_MIN_LOG_LEVEL', '0'),
                          ('TF_ENABLE_ONEDNN_OPTS', '0'),
                          ('ONEDNN_MAX_CPU_ISA', 'AVX2'),
                          ('KERAS_BACKEND', 'jax')):
    env = script_env({variable: value})
    assert not served.serves(env) and forked(env) is None, variable
  # Told it anyway, the zygote refuses.
  status = zygote.start(served.socket, ['scripts/train.py'],
                        script_env({'TF_CPP_MIN_LOG_LEVEL': '0'}),
                        os.getcwd(), (0, 1, 2))
  assert status.send(None) is None


@pytest.mark.slow
def test_the_client_passes_signals_on_and_exits_as_the_script(
    tmp_path, dataset_dir):
  """`zygote.py --client`, the doc pages' python3: SIGINT reaches the
  script, which stops as train.py does, and the client's status is its."""
  served = forked(script_env())
  proc = Proc('train.py', '--data_dir=' + dataset_dir,
              '--model_dir=%s' % (tmp_path / 'm'), '--variant=small',
              '--validation_size=100', '--epochs=50', '--batch_size=5',
              '--logdir=%s' % (tmp_path / 'logs'),
              prefix=[sys.executable, '-S', zygote.__file__, '--client',
                      served.socket])
  wait_until(lambda: os.path.exists(tmp_path / 'm' / 'history.json'),
             'a first epoch')
  assert proc.pid == proc.popen.pid  # The client's: signals pass through.
  proc.send_signal(signal.SIGINT)
  code = proc.wait()
  assert 'Interrupted by SIGINT during epoch' in proc.output, proc.output
  assert code == 128 + signal.SIGINT, (code, proc.stderr)


@pytest.mark.slow
def test_a_killed_script_kills_its_client_and_a_killed_client_its_script(
    tmp_path, dataset_dir):
  """Proc's forked process: SIGKILL to the script's pid ends the client
  with the same status; SIGKILL to the client takes the script with it."""
  train = ('--data_dir=' + dataset_dir, '--variant=small', '--epochs=500',
           '--validation_size=100', '--batch_size=5')
  for target in ('script', 'client'):
    proc = Proc('train.py', '--model_dir=%s' % (tmp_path / target), *train,
                '--logdir=%s' % (tmp_path / 'logs'))
    assert proc.pid != proc.popen.pid
    wait_until(lambda: os.path.exists(tmp_path / target / 'history.json'),
               'a first epoch')
    os.kill(proc.pid if target == 'script' else proc.popen.pid,
            signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    wait_until(lambda: process_gone(proc.pid), 'the script gone', timeout=10)


CHILD_PROBE = '''
import subprocess
import sys
if sys.argv[1:] == ['child']:
  print('tensorflow loaded before the child imported anything:',
        'tensorflow' in sys.modules)
else:
  print(subprocess.run([sys.executable, __file__, 'child'],
                       capture_output=True, text=True, check=True).stdout,
        end='')
'''


@pytest.mark.slow
def test_a_forked_scripts_own_python_processes_are_forked_too(tmp_path):
  """sys.executable is the zygote's python3, so sweep.py's --parallel
  trials and the benchmark's contenders are forked too; a fresh
  interpreter's start their own."""
  probe = tmp_path / 'probe.py'
  probe.write_text(CHILD_PROBE)
  line = 'tensorflow loaded before the child imported anything: %s\n'
  assert run_python([sys.executable, str(probe)]).stdout == line % True
  assert subprocess.run([sys.executable, str(probe)], env=script_env(),
                        capture_output=True, text=True,
                        timeout=300).stdout == line % False


KERNEL_PROBE = "import sys; print('tensorflow' in sys.modules)"


@pytest.mark.slow
def test_a_jupyter_kernel_is_forked_and_is_ipykernel(tmp_path):
  """jupyter_client finds the zygote's python3 kernel spec on JUPYTER_PATH:
  its kernel is ipykernel, with TensorFlow loaded before the first cell;
  the spec a machine without the zygote finds starts a fresh one."""
  import jupyter_client  # pylint: disable=import-outside-toplevel
  assert forked(script_env()) is not None
  loaded = {}
  for name in ('forked', 'fresh'):
    manager = jupyter_client.KernelManager(kernel_name='python3')
    if name == 'fresh':  # ipykernel's own spec: sys.executable.
      manager.kernel_spec_manager = (
          jupyter_client.kernelspec.KernelSpecManager(kernel_dirs=[]))
    manager.start_kernel(cwd=str(tmp_path), env=script_env())
    client = manager.client()
    client.start_channels()
    streams = []
    try:
      client.wait_for_ready(timeout=120)
      reply = client.execute_interactive(
          KERNEL_PROBE, timeout=60, output_hook=streams.append)
      assert reply['content']['status'] == 'ok'
    finally:
      client.stop_channels()
      manager.shutdown_kernel()
    loaded[name] = ''.join(m['content']['text'] for m in streams
                           if m['msg_type'] == 'stream').strip()
  assert loaded == {'forked': 'True', 'fresh': 'False'}
