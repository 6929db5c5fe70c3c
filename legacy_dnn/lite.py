"""A trained network as a LiteRT (TensorFlow Lite) model, and LiteRT running
it.

The model is converted by TensorFlow's own tf.lite.TFLiteConverter from the
SavedModel that export.py writes, signature and all: a classifier takes
`images` and gives `probabilities` and `classes`, a regressor takes
`features` (or `wide_input` and `deep_input`) and gives `predictions` (and
`aux_output`). Inputs and outputs stay float32 whatever the quantization:

  none      float32 weights and arithmetic
  float16   float16 weights, float32 arithmetic
  dynamic   int8 weights, activations quantized as they come
  int8      int8 weights and activations, calibrated on training examples

The file runs in LiteRT's Python interpreter (the ai-edge-litert package,
the `lite` extra); tf.lite.Interpreter is deprecated in its favour.
"""

import dataclasses
import os
import re
import tempfile
import time
import warnings

import numpy as np
import tensorflow as tf
# The error the converter raises for what it cannot convert; TensorFlow
# exports no public name for it.
from tensorflow.lite.python import convert_phase

from legacy_dnn import cli
from legacy_dnn import savedmodel
from legacy_dnn import heads
from legacy_dnn.errors import UserError

# What LiteRT prints to stderr as it makes its CPU delegate: for a caller to
# hide (cli.without_lines).
LITERT_CHATTER = re.compile(r'INFO: Created TensorFlow Lite XNNPACK delegate')
# What the converter prints to stderr as it calibrates for int8 (its C++
# side), and the warning its calibrator's own tf.lite.Interpreter gives.
CONVERTER_CHATTER = re.compile(r'fully_quantize: \d+, inference_type: ')
_CALIBRATOR_WARNING = r'\s*Warning: tf\.lite\.Interpreter is deprecated'
INSTALL_HINT = ("LiteRT's Python interpreter is not installed; pip install "
                "-e '.[lite]' (the ai-edge-litert package)")
# Examples a LiteRT call takes at once.
BATCH = 1000


def convert(cfg, checkpoint, quantize, calibration_rows=None):
  """The .tflite bytes of cfg's network with checkpoint's weights.

  Args:
    cfg: the TrainConfig that describes the network.
    checkpoint: a checkpoint prefix holding its variables.
    quantize: one of config.QUANTIZATIONS.
    calibration_rows: for int8, float32 [n, ...] rows as the network takes
      them (images, or raw features), one calibration example each.

  Raises:
    UserError: the checkpoint does not fit, or the converter failed.
  """
  with tempfile.TemporaryDirectory() as folder:
    version_dir = savedmodel.export(cfg, checkpoint, folder)
    converter = tf.lite.TFLiteConverter.from_saved_model(
        version_dir, signature_keys=[savedmodel.SIGNATURE])
    if quantize != 'none':
      converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == 'float16':
      converter.target_spec.supported_types = [tf.float16]
    if quantize == 'int8':
      converter.representative_dataset = lambda: (
          signature_inputs(cfg, row[None]) for row in calibration_rows)
      converter.target_spec.supported_ops = [
          tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    try:
      with cli.without_lines(CONVERTER_CHATTER), warnings.catch_warnings():
        warnings.filterwarnings('ignore', _CALIBRATOR_WARNING, UserWarning)
        return converter.convert()
    except convert_phase.ConverterError as e:
      # What the converter says it cannot do (an op, a quantization) is one
      # line, its cause chained; anything else is a bug, with its traceback.
      raise UserError('%s: TensorFlow\'s converter failed: %s'
                      % (checkpoint, str(e).strip().splitlines()[0])) from e


def signature_inputs(cfg, rows):
  """{signature input name: float32 array} of rows (images, or raw feature
  rows, sliced into a network's named inputs)."""
  if cfg.inputs:
    return {name: rows[:, start:stop] for name, start, stop in cfg.inputs}
  return {heads.of(cfg).serving_input: rows}


def write(contents, path):
  """Writes contents to path whole, replacing a file there only once the
  new one is written; returns path.

  Raises:
    UserError: path cannot be written.
  """
  def write_bytes(staging):
    with open(staging, 'wb') as f:
      f.write(contents)

  return savedmodel.write_file(path, write_bytes)


def calibration_rows(train_rows, n, seed):
  """n of the training split's rows, drawn without replacement from seed."""
  rng = np.random.default_rng(seed)
  return train_rows[rng.choice(len(train_rows), min(n, len(train_rows)),
                               replace=False)]


@dataclasses.dataclass
class LiteModel:
  """A .tflite file loaded into LiteRT's interpreter."""
  path: str
  size: int  # Bytes.
  runner: object  # Its serving_default SignatureRunner.
  inputs: dict  # Signature input name -> shape, with -1 for the batch.
  outputs: dict  # Signature output name -> shape.

  def run(self, feeds):
    """{output name: array} for {input name: float32 [n, ...]}, in calls of
    BATCH examples."""
    return run_in_batches(lambda batch: self.runner(**batch), feeds)

  def timed_run(self, feeds):
    """(run(feeds), examples per second)."""
    return timed(self.run, feeds)


def run_in_batches(call, feeds):
  """call's {output name: array} for all of feeds ({input name: array [n,
  ...]}), calling it on BATCH examples at a time: a runtime's one call."""
  n = len(next(iter(feeds.values())))
  parts = [call({k: v[start:start + BATCH] for k, v in feeds.items()})
           for start in range(0, n, BATCH)]
  return {name: np.concatenate([p[name] for p in parts])
          for name in parts[0]}


def timed(run, feeds):
  """(run(feeds), examples per second)."""
  start = time.perf_counter()
  result = run(feeds)
  seconds = time.perf_counter() - start
  return result, len(next(iter(feeds.values()))) / max(seconds, 1e-9)


def load(path):
  """Loads a .tflite file of ours (or any with one signature) into LiteRT.

  Raises:
    UserError: LiteRT is not installed, the file is not a LiteRT model with
      a serving_default signature, or it holds an op LiteRT has no kernel
      for; the message names the file.
  """
  try:
    # pylint: disable=g-import-not-at-top
    from ai_edge_litert import interpreter as litert
  except ImportError:
    raise UserError('--tflite=%s: %s' % (path, INSTALL_HINT)) from None
  first_line = lambda e: str(e).strip().splitlines()[0]
  try:
    size = os.path.getsize(path)
    interpreter = litert.Interpreter(model_path=path)
  except (OSError, ValueError, RuntimeError) as e:
    raise UserError('--tflite=%s: not a LiteRT model (%s)'
                    % (path, first_line(e))) from None
  try:
    # Before anything runs: an op that LiteRT has no kernel for (a custom
    # op, such as a file write) fails here.
    interpreter.allocate_tensors()
  except RuntimeError as e:
    raise UserError('--tflite=%s: LiteRT cannot prepare it: %s'
                    % (path, first_line(e))) from None
  try:
    runner = interpreter.get_signature_runner(savedmodel.SIGNATURE)
  except ValueError:
    raise UserError('--tflite=%s: has no %r signature (it has %s)' % (
        path, savedmodel.SIGNATURE,
        ', '.join(interpreter.get_signature_list()) or 'none')) from None
  shape = lambda d: tuple(int(s) for s in d['shape_signature'])
  return LiteModel(
      path, size, runner,
      {k: shape(d) for k, d in runner.get_input_details().items()},
      {k: tuple(int(s) for s in d['shape'])
       for k, d in runner.get_output_details().items()})

