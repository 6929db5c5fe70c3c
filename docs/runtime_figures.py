"""The figures of docs/serving.md's "To ONNX", "To PyTorch" and "To JAX": each
preset trained as export_figures.py trains it (the same --root is reused),
then its ONNX file in onnxruntime and its .keras file on Keras's torch and
jax backends, against our graph on the whole test set.

  python docs/runtime_figures.py --presets=xavier,dropout,batchnorm,lenet,cnn \\
      --epochs=2 --root=/tmp/figures
  python docs/runtime_figures.py --presets=regression,wide_deep \\
      --data_dir=../shared/data --root=/tmp/figures

For each: our graph's accuracy (a regressor's MSE); for ONNX (opset 17),
torch and jax, the largest difference from our probabilities (outputs), how
often the class is ours, and examples per second of one pass over the test
set (ours: a session run in batches of 1000, as onnxruntime is run).
Needs the onnx and backends extras.
"""

import json
import os
import subprocess
import sys
import time

from absl import app
from absl import flags

DOCS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(DOCS))
sys.path.insert(0, DOCS)
# pylint: disable=g-import-not-at-top,wrong-import-position
import export_figures  # Defines --presets, --epochs, --root, ...
from legacy_dnn import cli

FLAGS = flags.FLAGS

# Loads a .keras file on the backend KERAS_BACKEND names, predicts the
# inputs of an .npz file (timed, after one warm-up batch), writes the
# outputs.
BACKEND_RUN = '''
import json, sys, time
import keras
import numpy as np
job = json.loads(sys.argv[1])
model = keras.saving.load_model(job['model'])
inputs = dict(np.load(job['inputs']))
feed = inputs['x'] if list(inputs) == ['x'] else inputs
model.predict(feed, batch_size=1000, verbose=0)
start = time.perf_counter()
outputs = model.predict(feed, batch_size=1000, verbose=0)
seconds = time.perf_counter() - start
outputs = outputs[0] if isinstance(outputs, list) else outputs
np.savez(job['outputs'], out=outputs, seconds=seconds)
'''


def on_backend(backend, path, feed, folder):
  import numpy as np
  inputs = os.path.join(folder, 'inputs.npz')
  np.savez(inputs, **feed)
  outputs = os.path.join(folder, backend + '.npz')
  env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL='2')
  subprocess.run([sys.executable, '-c', BACKEND_RUN, json.dumps(dict(
      model=path, inputs=inputs, outputs=outputs))], env=env, check=True,
                 capture_output=True)
  result = np.load(outputs)
  return result['out'], float(result['seconds'])


def measure(variant):
  import numpy as np
  from legacy_dnn import evaluation
  from legacy_dnn import keras_export
  from legacy_dnn import lite
  from legacy_dnn import onnx_export
  cfg, checkpoint, _, rows, targets, reference = export_figures.trained(
      variant)
  ours = evaluation.restore(cfg, checkpoint)
  try:
    start = time.perf_counter()
    for i in range(0, len(rows), lite.BATCH):
      ours.predict(rows[i:i + lite.BATCH])
    ours_rate = len(rows) / (time.perf_counter() - start)
  finally:
    ours.close()
  feed = lite.signature_inputs(cfg, rows)
  path = lite.write(onnx_export.convert(cfg, checkpoint),
                    os.path.join(cfg.model_dir, 'model.onnx'))
  model = onnx_export.load(path)
  outputs, onnx_rate = model.timed_run(feed)
  served = 'probabilities' if reference.ndim == 2 else 'predictions'
  got = {'onnx': (outputs[served], onnx_rate)}
  keras_path = keras_export.save(keras_export.keras_model(cfg, checkpoint),
                                 os.path.join(cfg.model_dir, 'model.keras'))
  for backend in ('torch', 'jax'):
    out, seconds = on_backend(backend, keras_path,
                              feed if cfg.inputs else {'x': rows},
                              cfg.model_dir)
    got[backend] = out, len(rows) / seconds
  if reference.ndim == 2:
    score = lambda p: '%.4f' % np.mean(p.argmax(1) == targets)
    same = lambda p: '%.2f%%' % (100 * np.mean(p.argmax(1) ==
                                               reference.argmax(1)))
  else:
    score = lambda p: '%.4f' % np.mean((p.reshape(-1) - targets) ** 2)
    same = lambda p: '—'
  cells = [variant, cfg.dataset, score(reference),
           format(round(ours_rate), ',')]
  for name in ('onnx', 'torch', 'jax'):
    out, rate = got[name]
    out = out if reference.ndim == 2 else out.reshape(-1)
    cells += ['%.1e' % np.abs(out - reference).max(), same(out), score(out),
              format(round(rate), ',')]
  return '| %s |' % ' | '.join(cells)


def main(argv):
  del argv
  cli.import_tensorflow()
  rows = [measure(variant) for variant in FLAGS.presets]
  header = ['preset', 'dataset', 'ours', 'ours examples/s']
  for name in ('ONNX', 'torch', 'jax'):
    header += ['%s max diff' % name, '%s same class' % name, name,
               '%s examples/s' % name]
  print('| %s |' % ' | '.join(header))
  print('|---' * len(header) + '|')
  print('\n'.join(rows))


if __name__ == '__main__':
  app.run(main)
