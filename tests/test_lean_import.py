"""lean_import: TensorFlow imported after legacy_dnn leaves Keras 3 unloaded,
and Keras still imports and trains afterwards, in a fresh Python each."""

import subprocess
import sys

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


def run(code):
  return subprocess.run([sys.executable, '-c', code], capture_output=True,
                        text=True, timeout=300, check=False)


def test_tensorflow_comes_without_keras_and_keras_still_loads_after():
  result = run(TENSORFLOW_THEN_KERAS)
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'keras 3.' in result.stdout


def test_keras_imported_after_legacy_dnn_loads_whole_and_trains():
  result = run(KERAS_FIRST)
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'keras trained' in result.stdout


def test_install_changes_nothing_once_tensorflow_is_imported():
  # pylint: disable=g-import-not-at-top
  import tensorflow  # noqa: F401  (imported first: the case under test)
  from legacy_dnn import lean_import
  finders = list(sys.meta_path)
  lean_import.install()
  assert sys.meta_path == finders
