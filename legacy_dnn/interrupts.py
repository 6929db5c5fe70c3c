"""SIGINT and SIGTERM as a flag that long loops check between steps."""

import signal
import time

# How often wait() looks: Python runs signal handlers in the main thread
# only, between bytecodes, whichever thread the signal reached.
POLL_SECONDS = 0.1


class Interrupts:
  """Turns SIGINT and SIGTERM into a flag the loop checks between steps.

  A second signal of the same kind gets the default behaviour, so a user who
  presses Ctrl-C twice is not kept waiting for a checkpoint.
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
    for s in self.SIGNALS:
      self._previous[s] = signal.signal(s, self._handle)
    return self

  def __exit__(self, *exc):
    for s, handler in self._previous.items():
      signal.signal(s, handler)
