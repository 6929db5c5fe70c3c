"""Interrupts and Supervisor with real signals and real child processes."""

import os
import signal
import subprocess
import sys

from legacy_dnn import interrupts

# A child that exits with 143 on SIGTERM, once it has said it is ready.
CHILD = ('import signal, sys; '
         'signal.signal(signal.SIGTERM, lambda *a: sys.exit(143)); '
         'print("ready", flush=True); signal.pause()')


def ready_child():
  child = subprocess.Popen([sys.executable, '-c', CHILD],
                           stdout=subprocess.PIPE, text=True)
  assert child.stdout.readline() == 'ready\n'
  return child


def test_interrupts_turns_the_first_signal_into_a_flag():
  with interrupts.Interrupts() as caught:
    os.kill(os.getpid(), signal.SIGTERM)
    assert caught.wait() == signal.SIGTERM
    # The second one would get the default behaviour.
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
  assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_a_signal_while_a_child_starts_is_returned_with_the_child_known():
  """The signal lands after Popen, before the caller has recorded the child:
  the supervisor's handler only records it, and wait_child returns it."""
  with interrupts.Supervisor() as supervisor:
    child = ready_child()
    os.kill(os.getpid(), signal.SIGTERM)
    assert supervisor.wait_child([child.pid]) is None
    assert supervisor.signum == signal.SIGTERM
    child.send_signal(signal.SIGTERM)
    assert supervisor.wait_child([child.pid]) == child.pid
    assert child.wait() == 143  # Left unreaped until Popen.wait().
    child.stdout.close()
  assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
  assert signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL


def test_every_signal_is_returned_once():
  with interrupts.Supervisor() as supervisor:
    child = ready_child()
    os.kill(os.getpid(), signal.SIGINT)
    assert supervisor.wait_child([child.pid]) is None
    os.kill(os.getpid(), signal.SIGTERM)  # Still caught: not the default.
    assert supervisor.wait_child([child.pid]) is None
    assert supervisor.signals == [signal.SIGINT, signal.SIGTERM]
    assert supervisor.signum == signal.SIGINT
    child.kill()
    assert supervisor.wait_child([child.pid]) == child.pid
    assert child.wait() == -signal.SIGKILL
    child.stdout.close()


def test_wait_child_wakes_for_the_child_that_exits():
  with interrupts.Supervisor() as supervisor:
    children = [ready_child() for _ in range(2)]
    children[1].send_signal(signal.SIGTERM)  # From elsewhere, in effect.
    pids = [c.pid for c in children]
    assert supervisor.wait_child(pids) == children[1].pid
    assert children[1].wait() == 143
    children[0].send_signal(signal.SIGTERM)
    assert supervisor.wait_child(pids[:1]) == children[0].pid
    assert children[0].wait() == 143
    assert supervisor.signum is None
    for c in children:
      c.stdout.close()
