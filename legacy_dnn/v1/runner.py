"""Runs TF1 code as written: a script (`python -m legacy_dnn.v1 SCRIPT.py`)
or a notebook's cells (`%load_ext legacy_dnn.v1`).

Inside that code, and only there, `import tensorflow as tf` gives
legacy_dnn.v1, and the TF1 modules TensorFlow 2 removed resolve:
tensorflow.examples.tutorials.mnist.input_data and .mnist,
tensorflow.contrib.layers, .framework, .rnn, .seq2seq and .learn,
tensorflow.estimator and tensorflow.nn.rnn_cell. A script's code is its own namespace and every
module or package in its folder or below (a program of several files); a
notebook's, its cells and the modules of the kernel's working folder. The redirection is an __import__ that looks at who
imports. TensorFlow's own modules, and every other module, import the real
TensorFlow.
"""

import builtins
import importlib
import os
import sys
import traceback
import types

from legacy_dnn import errors
from legacy_dnn.tf1 import removed

# The module that `import <name>` gives TF1 code.
SHIMS = {
    'tensorflow': 'legacy_dnn.v1',
    'tensorflow.compat.v1': 'legacy_dnn.v1',
    'tensorflow.contrib': 'legacy_dnn.tf1.contrib',
    'tensorflow.contrib.layers': 'legacy_dnn.tf1.contrib.layers',
    'tensorflow.contrib.framework': 'legacy_dnn.tf1.contrib.framework',
    'tensorflow.contrib.rnn': 'legacy_dnn.tf1.contrib.rnn',
    'tensorflow.contrib.seq2seq': 'legacy_dnn.tf1.contrib.seq2seq',
    'tensorflow.contrib.learn': 'legacy_dnn.tf1.contrib.learn',
    'tensorflow.contrib.learn.datasets':
        'legacy_dnn.tf1.contrib.learn:datasets',
    'tensorflow.contrib.learn.datasets.mnist': 'legacy_dnn.tf1.input_data',
    'tensorflow.estimator': 'legacy_dnn.tf1.estimator',
    'tensorflow.estimator.inputs': 'legacy_dnn.tf1.estimator:inputs',
    'tensorflow.estimator.export': 'legacy_dnn.tf1.estimator.export',
    'tensorflow.nn': 'legacy_dnn.v1:nn',
    'tensorflow.nn.rnn_cell': 'legacy_dnn.tf1.rnn_cell',
    'tensorflow.examples': 'legacy_dnn.v1:examples',
    'tensorflow.examples.tutorials': 'legacy_dnn.v1:examples.tutorials',
    'tensorflow.examples.tutorials.mnist':
        'legacy_dnn.v1:examples.tutorials.mnist',
    'tensorflow.examples.tutorials.mnist.input_data':
        'legacy_dnn.tf1.input_data',
    'tensorflow.examples.tutorials.mnist.mnist':
        'legacy_dnn.tf1.mnist_tutorial',
}
# legacy_dnn's own folder: its modules import the real TensorFlow.
_PACKAGE = os.path.join(os.path.dirname(os.path.realpath(errors.__file__)),
                        '')
# Modules TensorFlow 2 removed that are not provided: <module> -> the table
# of removed.py that says what replaced its parts.
_REMOVED_PARENTS = {'tensorflow.contrib': removed.CONTRIB,
                    'tensorflow': removed.TOP_LEVEL}


def _shim(name):
  """The module SHIMS names for name."""
  module_name, _, path = SHIMS[name].partition(':')
  module = importlib.import_module(module_name)
  for part in path.split('.') if path else ():
    module = getattr(module, part)
  return module


def _removed_module(name):
  """A NotProvidedError for `import tensorflow.contrib.slim` and the like,
  or None where name is no removed module."""
  parent, _, child = name.rpartition('.')
  while parent:
    if parent in _REMOVED_PARENTS and (parent + '.' + child) not in SHIMS:
      table = _REMOVED_PARENTS[parent]
      if child in table or parent == 'tensorflow.contrib':
        return removed.attribute(parent.replace('tensorflow', 'tf'), table,
                                 child, removed.TOP_LEVEL['contrib'])
    parent, _, child = parent.rpartition('.')
  return None


class _TF1Import:
  """builtins.__import__ for the TF1 imports of one namespace and, where
  folder is given, of every module whose file is in that folder or below
  it (a program's other files and packages); any other import goes to the
  __import__ that was there before."""

  def __init__(self, namespace, previous, folder=None):
    self.namespace = namespace
    self.previous = previous
    self.folder = folder and os.path.join(os.path.realpath(folder), '')
    self._ours = {}  # A module's __file__ -> whether it is TF1 code.

  def _is_tf1_code(self, globals):
    # pylint: disable=redefined-builtin
    if globals is self.namespace:
      return True
    path = globals.get('__file__') if self.folder and globals else None
    if not path:
      return False
    if path not in self._ours:
      real = os.path.realpath(path)
      # An environment or installed package kept in the program's folder
      # (.venv/lib/.../site-packages) is not the program's: TensorFlow's
      # own modules there must see TensorFlow; nor is this package, for a
      # script run beside it in a checkout.
      self._ours[path] = (
          real.startswith(self.folder) and not real.startswith(_PACKAGE) and
          not any(part in ('site-packages', 'dist-packages')
                  for part in real[len(self.folder):].split(os.sep)))
    return self._ours[path]

  def _tf1_module(self, name, globals):
    """What TF1 code importing name gets: a shim, a NotProvidedError raised
    for a removed module, or None where name is no TF1 import of TF1 code
    (TensorFlow's own modules, tensorflow.python..., tensorflow.keras)."""
    # pylint: disable=redefined-builtin
    if (not (name == 'tensorflow' or name.startswith('tensorflow.')) or
        not self._is_tf1_code(globals)):
      return None
    error = _removed_module(name)
    if error is not None:
      raise error
    return _shim(name) if name in SHIMS else None

  def __call__(self, name, globals=None, locals=None, fromlist=(), level=0):
    # pylint: disable=redefined-builtin
    module = None if level else self._tf1_module(name, globals)
    if module is None:
      return self.previous(name, globals, locals, fromlist, level)
    if not fromlist:
      # `import tensorflow.x.y` binds tensorflow, which must lead to x.y.
      return _shim('tensorflow')
    for attribute in fromlist:
      # Python would turn the AttributeError of `from tensorflow.contrib
      # import slim` into its own ImportError, losing the line that says
      # what replaced slim.
      try:
        getattr(module, attribute)
      except removed.NotProvidedError:
        raise
      except AttributeError:
        pass  # Python's own ImportError says it.
    return module


class _TF1ImportModule:
  """importlib.import_module, which no __import__ sees, for the same TF1
  code as tf1_import (a _TF1Import): importlib.import_module('tensorflow')
  there gives legacy_dnn.v1 too."""

  def __init__(self, tf1_import, previous):
    self.tf1_import = tf1_import
    self.previous = previous

  def __call__(self, name, package=None):
    module = None
    if not name.startswith('.'):
      caller = sys._getframe(1).f_globals  # pylint: disable=protected-access
      module = self.tf1_import._tf1_module(name, caller)  # pylint: disable=protected-access
    return self.previous(name, package) if module is None else module


def _install(namespace, folder=None):
  """Makes TF1 imports from namespace (a module's globals), and from the
  modules in folder, resolve: import statements and
  importlib.import_module."""
  builtins.__import__ = _TF1Import(namespace, builtins.__import__, folder)
  importlib.import_module = _TF1ImportModule(builtins.__import__,
                                             importlib.import_module)


def _uninstall(namespace):
  if (isinstance(builtins.__import__, _TF1Import) and
      builtins.__import__.namespace is namespace):
    if (isinstance(importlib.import_module, _TF1ImportModule) and
        importlib.import_module.tf1_import is builtins.__import__):
      importlib.import_module = importlib.import_module.previous
    builtins.__import__ = builtins.__import__.previous


def load_ipython_extension(ipython):
  """`%load_ext legacy_dnn.v1`: the cells below, and the modules in the
  kernel's working folder (the notebook's, as Jupyter starts a kernel) that
  they import, run TF1 code as written."""
  _install(ipython.user_global_ns, os.getcwd())
  print('TF1 code runs here: `import tensorflow as tf` gives legacy_dnn.v1 '
        '(tf.compat.v1, v2 behaviour off, tf.layers, tf.contrib.layers, '
        'tf.nn.rnn_cell, input_data), in these cells and in the modules of '
        'this folder they import')


def unload_ipython_extension(ipython):
  _uninstall(ipython.user_global_ns)


def _script_frames(tb, path):
  """tb from the script's first frame on: what a user's traceback shows."""
  while tb is not None and tb.tb_frame.f_code.co_filename != path:
    tb = tb.tb_next
  return tb


def _where(tb, path):
  """'SCRIPT:LINE' of the script's last frame in tb, or SCRIPT."""
  line = None
  while tb is not None:
    if tb.tb_frame.f_code.co_filename == path:
      line = tb.tb_lineno
    tb = tb.tb_next
  return path if line is None else '%s:%d' % (path, line)


def run_script(path, args):
  """Runs the TF1 script at path as __main__, with sys.argv [path] + args.

  Returns:
    Its exit status: 0, the status it exits with, or 1 for an exception,
    which is printed as Python would print it from the script's first frame
    on; a UserError (a removed API, a data file) as one line naming the
    script's line. Ctrl-C (KeyboardInterrupt) is 130 and one line.
  """
  try:
    with open(path, 'rb') as f:
      source = f.read()
  except OSError as e:
    raise errors.UserError('%s: cannot read: %s' % (path, e.strerror)) from None
  try:
    code = compile(source, path, 'exec')
  except SyntaxError as e:
    sys.stderr.write(''.join(traceback.format_exception_only(type(e), e)))
    return 1
  module = types.ModuleType('__main__')
  module.__file__ = path
  module.__builtins__ = builtins
  saved = sys.modules['__main__'], sys.argv, sys.path[0]
  sys.modules['__main__'] = module
  sys.argv = [path] + list(args)
  sys.path[0] = os.path.dirname(os.path.abspath(path))
  _install(module.__dict__, sys.path[0])
  try:
    exec(code, module.__dict__)  # pylint: disable=exec-used
    return 0
  except SystemExit as e:
    if e.code is None or isinstance(e.code, int):
      return e.code or 0
    print(e.code, file=sys.stderr)  # sys.exit('message'), as Python does.
    return 1
  except errors.UserError as e:
    print('%s: error: %s' % (_where(e.__traceback__, path), e),
          file=sys.stderr)
    return 1
  except KeyboardInterrupt as e:
    # Ctrl-C is the user's own doing: where it stopped, and a shell's status
    # for SIGINT, not a traceback.
    print('%s: interrupted%s' % (_where(e.__traceback__, path),
                                 ': %s' % e if str(e) else ''),
          file=sys.stderr)
    return 130
  except BaseException as e:  # pylint: disable=broad-except
    traceback.print_exception(type(e), e, _script_frames(e.__traceback__,
                                                         path))
    return 1
  finally:
    _uninstall(module.__dict__)
    sys.modules['__main__'], sys.argv, sys.path[0] = saved
