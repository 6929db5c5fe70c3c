"""Exports a trained model: a SavedModel for TensorFlow Serving, a Keras 3
model file, a LiteRT model for phones and small boards, or an ONNX file.

  python scripts/export.py --variant=dropout --dataset=fashion_mnist \\
      --export_dir=serving/dropout
  saved_model_cli show --dir serving/dropout/1 --all
  python scripts/export.py --variant=dropout --format=keras \\
      --output=dropout.keras
  python scripts/export.py --variant=dropout --format=tflite --quantize=int8 \\
      --output=dropout-int8.tflite
  python scripts/export.py --variant=dropout --format=onnx \\
      --output=dropout.onnx

The model is the best model of a model_dir (or --checkpoint, from this
project or other TF1 code, described by --variant, --dataset,
--hidden_units and --filters), as evaluate.py picks it.

--format=savedmodel (the default) writes the next numbered version folder of
--export_dir, <export_dir>/1, 2, ..., never over an existing one. The
signature `serving_default` takes `images`, float32 [-1, 784] in [0, 1], and
returns `probabilities` (float32 [-1, 10]) and `classes` (int64 [-1]).

--format=keras writes a .keras file that keras.saving.load_model reads where
legacy_dnn is not installed: one Keras layer per layer of ours, named as our
variable scopes, ending in softmax (`probabilities`). --format=weights writes
the same model's .weights.h5.

--format=tflite converts the SavedModel with TensorFlow's own converter:
--quantize=none, float16, dynamic (int8 weights), or int8 (weights and
activations, calibrated on --calibration_examples training examples chosen
by --seed). scripts/evaluate.py --tflite=FILE scores it in LiteRT.

--format=onnx converts the SavedModel with tf2onnx (pip install -e
'.[onnx]') at --opset (17 by default), with the signature's input and output
names. scripts/evaluate.py --onnx=FILE scores it in onnxruntime.
"""

from absl import flags

from legacy_dnn import cli
from legacy_dnn import config

FLAGS = flags.FLAGS
config.define_model_flags(FLAGS)
config.define_data_flags(FLAGS)
config.define_export_flags(FLAGS)
flags.adopt_module_key_flags(config)


def main():
  from legacy_dnn import api  # pylint: disable=g-import-not-at-top
  print(api.export_from_flags(FLAGS))
  return 0


def run():
  """Parses the flags in sys.argv and runs main(), as cli.run does."""
  cli.run(main)
