"""What every script in scripts/ does around its main(): quiet TensorFlow,
one-line errors.

A script defines its flags on absl's FLAGS and calls cli.run(main); main()
takes no arguments and returns an exit status. Scripts import the modules
that need TensorFlow inside main(), so that --help and a bad flag answer
without TensorFlow's few seconds of start-up.
"""

import contextlib
import logging
import os
import re
import sys
import tempfile
import threading

from absl import app
from absl import flags
from absl import logging as absl_logging

from legacy_dnn import errors

# What TensorFlow's C++ side prints while it loads on a machine without a GPU.
# Its logging is not set up yet then, so TF_CPP_MIN_LOG_LEVEL cannot hide
# these: absl's notice (once per shared library), oneDNN's and CUDA's
# notices, and the "error" of looking for a GPU driver that is not there;
# older TensorFlows (2.16, for one) also "fail" to register CUDA's FFT, DNN
# and BLAS plugins a second time.
STARTUP_CHATTER = re.compile(
    r'WARNING: All log messages before absl::InitializeLog\(\) is called '
    r'are written to STDERR$'
    r'|[IE]\d{4} [\d:.]+ +\d+ (port\.cc:\d+\] oneDNN custom operations are on'
    r'|cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine'
    r'|cuda_(platform|executor)\.cc:\d+\] failed call to cuInit)'
    r'|\d{4}-\d\d-\d\d [\d:.]+: E \S+/cuda_(fft|dnn|blas)\.cc:\d+\] '
    r'Unable to register cu(FFT|DNN|BLAS) factory: ')
LOG_LEVEL_VARIABLE = 'TF_CPP_MIN_LOG_LEVEL'
# The default: TensorFlow's C++ INFO and WARNING lines hidden, ERROR shown.
QUIET_LOG_LEVEL = '2'
# Asks for every line TensorFlow logs, the start-up chatter included.
VERBOSE_LOG_LEVEL = '0'
# TensorFlow runs its CPU matmuls and convolutions through oneDNN by default
# only where the CPU has AVX-512 VNNI or BF16, AVX-VNNI or AMX. Elsewhere (an
# AMD EPYC before Zen 4, an older Xeon) Eigen's matmuls split their inner
# dimension across threads, so the thread counts change the last bits of the
# results; with oneDNN they do not (tests/test_train_script.py). So it is on
# unless the user says otherwise.
ONEDNN_VARIABLE = 'TF_ENABLE_ONEDNN_OPTS'
ONEDNN_ON = '1'


# The first line of a record that TensorFlow's C++ side logs: absl's form
# (`E0000 00:00:1796557191.853149    3611 add_port.cc:83] ...`) and the
# older one of TSL's logger (`2026-12-03 12:15:55.435669: E path.cc:479] ...`).
LOG_RECORD_START = re.compile(r'[IWEF]\d{4} [\d:.]+ +\d+ \S+:\d+\] '
                              r'|\d{4}-\d\d-\d\d [\d:.]+: [IWEF] \S+:\d+\] ')
# What continues an error record from TensorFlow 2.23 on: a heading, one
# `file:line` frame a line, then a blank line.
TRACE_START = re.compile(r'=== Source Location Trace: ===\s*$')
TRACE_FRAME = re.compile(r'\S+:\d+\s*$')


class LogRecords:
  """Decides, line by line, what to drop from what TensorFlow writes to fd 2.

  A log record is its first line and the source-location trace that may
  continue it; a record whose first line matches pattern is dropped whole,
  and any other record is kept whole. A line outside a record is dropped
  when it matches pattern itself. The decision is made at a record's first
  line, so lines can be copied as they come.
  """

  def __init__(self, pattern):
    self._pattern = pattern
    self._in_record = False
    self._in_trace = False
    self._drop = False

  def keep(self, line):
    """Whether to show line (one line of text, its newline included or not)."""
    if self._in_trace and TRACE_FRAME.match(line):
      return not self._drop
    if self._in_trace and not line.strip():
      self._in_record = self._in_trace = False
      return not self._drop
    if self._in_record and not self._in_trace and TRACE_START.match(line):
      self._in_trace = True
      return not self._drop
    self._in_record = bool(LOG_RECORD_START.match(line))
    self._in_trace = False
    self._drop = bool(self._pattern.match(line))
    return not self._drop


@contextlib.contextmanager
def without_lines(pattern):
  """Drops the log records matching pattern (LogRecords) from what is
  written to fd 2 inside.

  The file descriptor itself is redirected, since TensorFlow's C++ code
  writes to it directly; everything else is replayed to stderr afterwards,
  so a real warning or error still shows, in order.
  """
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as capture:
    os.dup2(capture.fileno(), 2)
    try:
      yield
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      capture.seek(0)
      records = LogRecords(pattern)
      for line in capture.read().decode(errors='replace').splitlines(True):
        if records.keep(line):
          sys.stderr.write(line)
      sys.stderr.flush()


class _LiveFilter:
  """Copies what is written to fd 2 to the real stderr as it comes, less
  the log records that match a pattern (LogRecords). A thread copies;
  sync() waits for it."""

  # Written through the pipe by sync(); the thread notes it, never copies it.
  _MARK = b'\0legacy_dnn sync\0\n'

  def __init__(self, pattern):
    self._records = LogRecords(pattern)
    self._synced = threading.Condition()
    self._marks = 0
    sys.stderr.flush()
    self.saved = os.dup(2)
    read, write = os.pipe()
    os.dup2(write, 2)
    os.close(write)
    self._thread = threading.Thread(target=self._copy, args=(read,),
                                    daemon=True, name='stderr filter')
    self._thread.start()

  def _copy(self, read):
    with os.fdopen(read, 'rb') as pipe:
      for line in pipe:
        if line == self._MARK:
          with self._synced:
            self._marks += 1
            self._synced.notify_all()
        elif self._records.keep(line.decode(errors='replace')):
          # A stderr that is gone must not stop the copying: a full pipe
          # would block every writer.
          with contextlib.suppress(OSError):
            os.write(self.saved, line)

  def sync(self, timeout=10.0):
    """Returns once every line written to fd 2 before the call is copied."""
    sys.stderr.flush()
    with self._synced:
      target = self._marks + 1
      os.write(2, self._MARK)
      self._synced.wait_for(lambda: self._marks >= target, timeout)

  def stop(self):
    """Copies what is left and points fd 2 at the real stderr again."""
    self.sync()
    os.dup2(self.saved, 2)
    os.close(self.saved)


_live_filter = None


def filter_stderr(pattern):
  """From now until the script ends, drops the log records matching
  pattern (LogRecords) from fd 2 as they are written; the rest still show
  at once.

  For what TensorFlow's C++ side logs from its own threads while a script
  runs (without_lines() holds everything back until it ends). cli.run stops
  it before the script exits.
  """
  global _live_filter
  if _live_filter is None:
    _live_filter = _LiveFilter(pattern)


def _stop_filter():
  global _live_filter
  if _live_filter is not None:
    _live_filter.stop()
    _live_filter = None


def set_tensorflow_environment(onednn=True):
  """The variables TensorFlow reads as it loads, where the user has not set
  them: its C++ INFO and WARNING lines hidden, and oneDNN on (onednn) or
  left to TensorFlow, which turns it on for some CPUs only."""
  os.environ.setdefault(LOG_LEVEL_VARIABLE, QUIET_LOG_LEVEL)
  if onednn:
    os.environ.setdefault(ONEDNN_VARIABLE, ONEDNN_ON)


def import_tensorflow(onednn=True):
  """Imports TensorFlow and finds its devices, without its start-up chatter.

  TF_CPP_MIN_LOG_LEVEL=0 in the environment shows all of TensorFlow's
  logging as TensorFlow prints it, for debugging; unset, it becomes 2.
  TF_ENABLE_ONEDNN_OPTS, unset, becomes 1 where onednn is true (the
  project's own networks); else TensorFlow decides (TF1 code, which the
  runner runs as TensorFlow would).
  Python-side INFO lines and deprecation warnings (one per Saver call) are
  hidden either way.

  Returns:
    The tensorflow module.
  """
  # Before the import, which logs too (Keras 3 has matplotlib build its font
  # cache, for one, at INFO).
  absl_logging.set_verbosity(absl_logging.WARNING)
  set_tensorflow_environment(onednn)
  quiet = (contextlib.nullcontext()
           if os.environ[LOG_LEVEL_VARIABLE] == VERBOSE_LOG_LEVEL
           else without_lines(STARTUP_CHATTER))
  with quiet:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    # The first look for a GPU is what prints the cuInit line.
    tf.config.list_physical_devices('GPU')
  tf.get_logger().setLevel(logging.ERROR)
  return tf


def parse_or_exit(argv, flag_values):
  """Parses argv into flag_values; a bad flag is one line and exit status 2.

  Suitable as absl.app.run's flags_parser, which otherwise prints a second
  line of advice and exits with status 1.
  """
  try:
    return flag_values(argv)
  except flags.Error as e:
    prog = os.path.basename(argv[0]) if argv else 'legacy_dnn'
    # absl puts every flag of a multi-flag validator, with its value, before
    # the message; ours name the flags that matter.
    message = re.sub(r'^flags .*?: (?=--)', '', str(e))
    print('%s: error: %s (see --help)' % (prog, message), file=sys.stderr)
    sys.exit(2)


def run(main, usage=None):
  """absl.app.run(main) with a one-line flag error and one-line UserErrors.

  usage: for a script that takes arguments besides its flags, how to give
  them (e.g. 'FILE [FILE ...]'); main then takes the list of them, which may
  not be empty.
  """
  prog = os.path.basename(sys.argv[0])

  def wrapped(argv):
    if usage is None and len(argv) > 1:
      raise app.UsageError('Too many command-line arguments: %s' % argv[1:])
    if usage is not None and len(argv) < 2:
      print('%s: error: no arguments; usage: %s [flags] %s (see --help)'
            % (prog, prog, usage), file=sys.stderr)
      return 2
    import_tensorflow()
    try:
      return main() if usage is None else main(argv[1:])
    except errors.UserError as e:
      print('%s: error: %s' % (prog, e), file=sys.stderr)
      if isinstance(e, errors.LostTaskError):
        # At once: deleting the session would wait for the lost task. Lines
        # TensorFlow logs after this one are of the same loss, and are
        # dropped with the filter's pipe.
        sys.stdout.flush()
        if _live_filter is not None:
          _live_filter.sync()
        sys.stderr.flush()
        os._exit(1)  # pylint: disable=protected-access
      return 1
    finally:
      _stop_filter()

  app.run(wrapped,
          flags_parser=lambda argv: parse_or_exit(argv, flags.FLAGS))
