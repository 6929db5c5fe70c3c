"""lean_import: TensorFlow imported after legacy_dnn leaves Keras 3 unloaded,
and Keras still imports and trains afterwards, in a fresh Python each."""

import os
import subprocess
import sys

from conftest import REPO

# Each prints what it checked; a failed assert exits non-zero.
TENSORFLOW_THEN_KERAS = '''
import sys
import legacy_dnn
import tensorflow as tf
assert tf.reduce_sum(tf.ones([3])).numpy() == 3
loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'matplotlib'))
assert not loaded, loaded
import keras
layer = tf.keras.layers.Dense(2)
assert isinstance(keras.optimizers.get('adam'), keras.optimizers.Adam)
print('keras', keras.__version__, 'after tensorflow', tf.__version__)
'''

# keras imports tensorflow itself, while keras is half imported.
KERAS_FIRST = '''
import numpy as np
import legacy_dnn
import keras
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
model.compile(optimizer='sgd', loss='mse')
history = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=1, verbose=0)
assert np.isfinite(history.history['loss'][0])
print('keras trained')
'''


# TensorFlow's tf.lite tries `from jax import jit` as it loads. A stand-in
# jax (first on the path) says when it is imported.
TENSORFLOW_THEN_JAX = '''
import sys
import legacy_dnn
import tensorflow as tf
assert 'jax' not in sys.modules, 'tensorflow imported jax'
import jax
print('jax', jax.__file__.endswith('stand-in/jax/__init__.py'),
      'after tensorflow', tf.__version__)
'''


def run(code, env=None):
  return subprocess.run([sys.executable, '-c', code], capture_output=True,
                        text=True, timeout=300, check=False, env=env)


def test_tensorflow_comes_without_keras_and_keras_still_loads_after():
  result = run(TENSORFLOW_THEN_KERAS)
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'keras 3.' in result.stdout


def test_keras_imported_after_legacy_dnn_loads_whole_and_trains():
  result = run(KERAS_FIRST)
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'keras trained' in result.stdout


def test_tensorflow_comes_without_jax_and_jax_still_loads_after(tmp_path):
  stand_in = tmp_path / 'stand-in' / 'jax'
  stand_in.mkdir(parents=True)
  (stand_in / '__init__.py').write_text('def jit(f):\n  return f\n')
  env = dict(os.environ)
  env['PYTHONPATH'] = os.pathsep.join(
      [str(tmp_path / 'stand-in'), REPO, env.get('PYTHONPATH', '')])
  result = run(TENSORFLOW_THEN_JAX, env)
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.startswith('jax True after tensorflow')
  # Without legacy_dnn, TensorFlow itself imports it: the stand-in is seen.
  bare = run(TENSORFLOW_THEN_JAX.replace('import legacy_dnn\n', ''), env)
  assert 'tensorflow imported jax' in bare.stderr


def test_install_changes_nothing_once_tensorflow_is_imported():
  # pylint: disable=g-import-not-at-top
  import tensorflow  # noqa: F401  (imported first: the case under test)
  from legacy_dnn import lean_import
  finders = list(sys.meta_path)
  lean_import.install()
  assert sys.meta_path == finders
