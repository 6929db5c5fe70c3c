"""SIGINT and SIGTERM as a flag that long loops check between steps."""

import os
import select
import signal
import threading
import time

# How often wait() looks: Python runs signal handlers in the main thread
# only, between bytecodes, whichever thread the signal reached.
POLL_SECONDS = 0.1


class Interrupts:
  """Turns SIGINT and SIGTERM into a flag the loop checks between steps.

  A second signal of the same kind gets the default behaviour, so a user who
  presses Ctrl-C twice is not kept waiting for a checkpoint.

  One instance may span more than one training run (a sweep's trials in one
  process): a signal that comes between them, or while a run starts, is
  kept until a loop looks.

  Python lets only the main thread set signal handlers: entered in another
  thread (legacy_dnn.train called from a thread), it sets none, and the
  loop runs to its end.
  """
  SIGNALS = (signal.SIGINT, signal.SIGTERM)

  def __init__(self):
    self.signum = None
    self._previous = {}

  def _handle(self, signum, frame):
    del frame
    self.signum = signum
    signal.signal(signum, self._previous[signum])

  def wait(self):
    """Blocks until a signal comes; returns its number."""
    while self.signum is None:
      time.sleep(POLL_SECONDS)
    return self.signum

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      for s in self.SIGNALS:
        self._previous[s] = signal.signal(s, self._handle)
    return self

  def __exit__(self, *exc):
    for s, handler in self._previous.items():
      signal.signal(s, handler)
    self._previous.clear()


class Supervisor(Interrupts):
  """Interrupts for a parent that waits on child processes.

  Its handler only records the signal; the parent's loop does everything
  else (passing the signal on, reaping) in plain code, so a signal that comes
  while a child is being started, or while the loop's bookkeeping changes,
  cannot miss a child. wait_child() wakes for a child's exit and for a
  signal alike: both write to signal.set_wakeup_fd's pipe.

  Every signal is recorded, the second too: the parent passes each one on,
  and its children decide what a second one means.
  """

  def __init__(self):
    super().__init__()
    self.signals = []  # Every SIGINT or SIGTERM received, in order.
    self._returned = 0  # How many of them wait_child() has returned for.
    self._wake_read = self._wake_write = None
    self._previous_wakeup_fd = -1

  def _handle(self, signum, frame):
    del frame
    self.signals.append(signum)
    if self.signum is None:
      self.signum = signum

  def wait_child(self, pids):
    """Blocks until one of the child processes pids exits or a signal comes.

    Returns:
      The pid of an exited child, left unreaped so that its Popen.wait()
      still gets its status; or None when a signal came since the last call.
    """
    while True:
      if len(self.signals) > self._returned:
        self._returned = len(self.signals)
        return None
      for pid in pids:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
          return pid
      select.select([self._wake_read], [], [])
      while True:  # Drain; the loop above re-checks everything.
        try:
          if not os.read(self._wake_read, 512):
            break
        except BlockingIOError:
          break

  def __enter__(self):
    self._wake_read, self._wake_write = os.pipe()
    for fd in (self._wake_read, self._wake_write):
      os.set_blocking(fd, False)
    self._previous_wakeup_fd = signal.set_wakeup_fd(self._wake_write)
    # A Python handler for SIGCHLD makes a child's exit write to the pipe.
    self._previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD,
                                                   lambda *args: None)
    return super().__enter__()

  def __exit__(self, *exc):
    super().__exit__(*exc)
    signal.set_wakeup_fd(self._previous_wakeup_fd)
    os.close(self._wake_read)
    os.close(self._wake_write)
