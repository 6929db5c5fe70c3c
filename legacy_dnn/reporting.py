"""Where what a run reports goes: reporter objects, as Keras's callbacks.

The library never prints. Training, evaluation and sweeps hand their lines,
epochs and warnings to the current reporter:

  Reporter   keeps them to itself (warnings go to Python's warnings
             module): legacy_dnn.train(verbose=0);
  Printer    prints lines on stdout and warnings on stderr, with a progress
             bar on a terminal (TERMINAL: the scripts), also in a Jupyter
             kernel (KERNEL: the API's verbose=1) or never (NONE: verbose=2).

The current reporter is a context variable set for the length of a call
(reporting_to), so that a train() in one thread never changes another's;
where none is set, a Printer for the terminal, as the scripts want.
"""

import contextlib
import contextvars
import sys
import warnings

# Where a Printer's progress bars go (loop.progress_bar).
TERMINAL, KERNEL, NONE = 'terminal', 'kernel', 'none'


class Reporter:
  """Receives what a run reports, and shows none of it."""

  progress = NONE  # Where its progress bars go: TERMINAL, KERNEL or NONE.

  def on_line(self, text):
    """A line of the run's account: its data, network, resume, the end."""

  def on_epoch_end(self, epoch, line):
    """An epoch ended.

    Args:
      epoch: its figures, a results.Epoch.
      line: the line the scripts print for it.
    """
    del epoch
    self.on_line(line)

  def on_warning(self, text):
    """Something the user should know that does not stop the run."""
    warnings.warn(text, UserWarning, stacklevel=3)


class Printer(Reporter):
  """Prints a run's lines as they come, even into a pipe."""

  def __init__(self, progress=TERMINAL):
    self.progress = progress

  def on_line(self, text):
    print(text, flush=True)

  def on_warning(self, text):
    print('warning: %s' % text, file=sys.stderr, flush=True)


_current = contextvars.ContextVar('reporter', default=Printer())


def current():
  """The reporter of this call (this thread's, this context's)."""
  return _current.get()


@contextlib.contextmanager
def reporting_to(reporter):
  """Makes reporter the current one inside the with block."""
  token = _current.set(reporter)
  try:
    yield reporter
  finally:
    _current.reset(token)


def for_verbose(verbose):
  """The API's reporter for verbose: 0 silent, 1 lines and a progress bar
  (a widget in Jupyter), 2 lines alone."""
  if verbose == 0:
    return Reporter()
  return Printer(KERNEL if verbose == 1 else NONE)


def say(text):
  """Reports a line to the current reporter."""
  current().on_line(text)


def warn(text):
  """Reports a warning to the current reporter."""
  current().on_warning(text)
