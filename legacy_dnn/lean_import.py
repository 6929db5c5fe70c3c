"""Import TensorFlow without the Keras 3 it loads for itself.

TensorFlow's __init__ ends by importing keras.src.optimizers "so that any
function/method that needs to happen at load time will trigger" (b/196254385:
Keras optimizers registering themselves for SavedModels of Keras models). It
catches the ImportError if Keras cannot be imported. Importing it pulls in all
of Keras 3, and through Keras matplotlib and IPython: on a 2-core AMD EPYC, 68
MB of resident memory and about 2.5 s of a 10 s `import tensorflow`. Graph and
session code uses none of it.

TensorFlow's tf.lite also tries `from jax import jit` as it loads (for
TFLiteConverter.experimental_from_jax). Where JAX is installed (the
`backends` extra) that loads all of JAX, and jaxlib initializes absl's C++
logging, after which TensorFlow's own warnings reach stderr whatever
TF_CPP_MIN_LOG_LEVEL says (a converter's "Ignored output_format", a decoder's
"Local rendezvous is aborting"): JAX is halted the same way.

install() puts a finder first on sys.meta_path that wraps TensorFlow's own
loader: while tensorflow/__init__.py runs, and only then, those imports are
halted (None in sys.modules, which Python answers with ModuleNotFoundError).
Afterwards Keras and JAX import as ever: `import keras`, tf.keras and the
Keras export load it, and its optimizers register then. Under
TF_USE_LEGACY_KERAS TensorFlow loads tf_keras instead, which is left alone.
"""

import importlib.abc
import importlib.machinery
import sys

TENSORFLOW = 'tensorflow'
KERAS_LOADED_BY_TENSORFLOW = 'keras.src.optimizers'
JAX = 'jax'
HALTED = (KERAS_LOADED_BY_TENSORFLOW, JAX)


class _Loader(importlib.abc.Loader):
  """TensorFlow's loader, with Keras and JAX halted while it executes the
  package."""

  def __init__(self, loader):
    self._loader = loader

  def create_module(self, spec):
    return self._loader.create_module(spec)

  def exec_module(self, module):
    halted = [name for name in HALTED if name not in sys.modules]
    for name in halted:
      sys.modules[name] = None
    try:
      self._loader.exec_module(module)
    finally:
      for name in halted:
        if sys.modules.get(name, 0) is None:
          del sys.modules[name]

  def __getattr__(self, name):
    # get_resource_reader, is_package, get_data, ...: the file loader's own.
    return getattr(self._loader, name)


class _Finder(importlib.abc.MetaPathFinder):
  """Finds tensorflow as Python would, and hands back its spec with the loader
  wrapped."""

  def find_spec(self, fullname, path, target=None):
    if fullname != TENSORFLOW:
      return None
    spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
    if spec is not None and spec.loader is not None:
      spec.loader = _Loader(spec.loader)
    return spec


def install():
  """Halts Keras and JAX at the coming `import tensorflow`; nothing where
  TensorFlow is imported already, or install() ran before."""
  if TENSORFLOW in sys.modules:
    return
  if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _Finder())
