"""A trained network as an ONNX file, for onnxruntime, TensorRT or
OpenVINO; and onnxruntime running it, after checking a file from outside.

The file is converted by tf2onnx's Python API from the SavedModel that
export.py writes, so its inputs and outputs are the signature's: a
classifier takes `images` and gives `probabilities` and `classes`, a
regressor takes `features` (or `wide_input` and `deep_input`) and gives
`predictions` (and `aux_output`). tf2onnx, onnx and onnxruntime are the
`onnx` extra (pip install -e '.[onnx]'), not a dependency.

An ONNX file runs whatever its graph says, and onnxruntime loads custom-op
libraries and external data files that a file names. So a file is read
whole, within MAX_BYTES, and refused before onnxruntime sees it if it holds
an op outside ONNX's own domains or tensors stored in other files.
"""

import dataclasses
import logging
import os
import tempfile

import numpy as np

from legacy_dnn import config
from legacy_dnn import savedmodel
from legacy_dnn import lite
from legacy_dnn.errors import UserError

INSTALL_HINT = ("tf2onnx, onnx and onnxruntime are not installed; pip "
                "install -e '.[onnx]'")
# ONNX's own operator sets: the default domain ('' or 'ai.onnx') and its
# traditional-ML one. Anything else needs a custom-op library.
STANDARD_DOMAINS = ('', 'ai.onnx', 'ai.onnx.ml')
# Our largest export (deep_cnn) is about 13 MB; a file many times that is
# no model of ours, and is refused before it is read.
MAX_BYTES = 512 << 20


def _modules(flag):
  """onnx and onnxruntime, or a UserError naming flag and the extra."""
  try:
    # pylint: disable=g-import-not-at-top
    import onnx
    import onnxruntime
  except ImportError:
    raise UserError('%s: %s' % (flag, INSTALL_HINT)) from None
  return onnx, onnxruntime


def convert(cfg, checkpoint, opset=config.ONNX_OPSET):
  """The ONNX file's bytes of cfg's network with checkpoint's weights.

  Raises:
    UserError: the extra is missing, the opset is out of range, the
      checkpoint does not fit, or tf2onnx failed.
  """
  _modules('--format=onnx')
  if not config.ONNX_OPSETS[0] <= opset <= config.ONNX_OPSETS[1]:
    raise UserError('--opset=%d: tf2onnx converts to opsets %d to %d'
                    % ((opset,) + config.ONNX_OPSETS))
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  import tf2onnx
  from tf2onnx import tf_loader
  # tf2onnx logs each step at INFO, and sets TensorFlow's verbosity.
  tf2onnx.logging.set_level(logging.ERROR)
  with tempfile.TemporaryDirectory() as folder:
    version_dir = savedmodel.export(cfg, checkpoint, folder)
    # Our own graph, at an opset that has every op it needs: tf2onnx failing
    # on it is a bug (ours or its), and keeps its traceback.
    graph_def, inputs, outputs, renamed = tf_loader.from_saved_model(
        version_dir, None, None, savedmodel.TAG, [savedmodel.SIGNATURE],
        return_tensors_to_rename=True)
    with tf.Graph().as_default():
      model, _ = tf2onnx.convert.from_graph_def(
          graph_def, name=cfg.variant, input_names=inputs,
          output_names=outputs, opset=opset, tensors_to_rename=renamed)
  return model.SerializeToString()


def describe(model):
  """'images float32 [-1, 784] -> probabilities float32 [-1, 10], ...' of
  a loaded OnnxModel."""
  text = lambda shapes: ', '.join(
      '%s %s %s' % (name, model.dtypes[name], list(shape))
      for name, shape in shapes.items())
  return '%s -> %s' % (text(model.inputs), text(model.outputs))


@dataclasses.dataclass
class OnnxModel:
  """An ONNX file checked and loaded into onnxruntime (CPU); its inputs and
  outputs as lite.LiteModel's."""
  path: str
  size: int  # Bytes.
  opset: int
  session: object  # onnxruntime.InferenceSession.
  inputs: dict  # Name -> shape, with -1 for a free dimension.
  outputs: dict
  dtypes: dict  # Input or output name -> numpy dtype name.

  def run(self, feeds):
    """{output name: array} for {input name: float32 [n, ...]}, in calls of
    lite.BATCH examples."""
    names = list(self.outputs)
    return lite.run_in_batches(
        lambda batch: dict(zip(names, self.session.run(
            names, {k: np.asarray(v, np.float32) for k, v in batch.items()}))),
        feeds)

  def timed_run(self, feeds):
    """(run(feeds), examples per second)."""
    return lite.timed(self.run, feeds)


def _graphs(graph):
  """graph and every subgraph inside its nodes (If, Loop, Scan bodies)."""
  yield graph
  for node in graph.node:
    for attribute in node.attribute:
      for sub in [attribute.g] * attribute.HasField('g') + list(
          attribute.graphs):
        yield from _graphs(sub)


def _refusal(model, onnx):
  """Why model must not run here, or None."""
  external = onnx.TensorProto.EXTERNAL
  for entry in model.opset_import:
    if entry.domain not in STANDARD_DOMAINS:
      return 'it needs the operator set %r, not ONNX\'s own' % entry.domain
  if model.functions:
    return 'it defines functions of its own (%s)' % ', '.join(
        sorted({f.domain + '.' + f.name for f in model.functions}))
  for graph in _graphs(model.graph):
    for node in graph.node:
      if node.domain not in STANDARD_DOMAINS:
        return 'its node %r is a custom op (%s.%s)' % (
            node.name, node.domain, node.op_type)
    tensors = list(graph.initializer) + [
        a.t for n in graph.node for a in n.attribute if a.HasField('t')]
    for tensor in tensors:
      if tensor.data_location == external or tensor.external_data:
        return ('its tensor %r is stored in another file, which onnxruntime '
                'would read' % tensor.name)
  return None


def _spec(value_info, onnx):
  tensor = value_info.type.tensor_type
  dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
  shape = tuple(d.dim_value if d.HasField('dim_value') else -1
                for d in tensor.shape.dim)
  return dtype, shape


def load(path, flag='--onnx'):
  """Checks an ONNX file and loads it into onnxruntime.

  Args:
    path: the file.
    flag: what the user gave it as, for the messages.

  Raises:
    UserError: the extra is missing; the file cannot be read, is larger
      than MAX_BYTES, is no ONNX model, needs custom ops or other files, or
      onnxruntime cannot load it. One line, naming the file.
  """
  onnx, onnxruntime = _modules('%s=%s' % (flag, path))
  where = '%s=%s' % (flag, path)
  try:
    size = os.path.getsize(path)
    if size > MAX_BYTES:
      raise UserError('%s: %s bytes, more than the %s an ONNX model of ours '
                      'could need' % (where, format(size, ','),
                                      format(MAX_BYTES, ',')))
    with open(path, 'rb') as f:
      contents = f.read(MAX_BYTES + 1)
  except OSError as e:
    raise UserError('%s: cannot read: %s' % (where, e.strerror)) from None
  try:
    model = onnx.load_model_from_string(contents)
  except Exception:  # pylint: disable=broad-except
    # protobuf's DecodeError, and what a truncated file gives.
    model = None
  if model is None or not model.graph.node:
    raise UserError('%s: not an ONNX model' % where)
  refusal = _refusal(model, onnx)
  if refusal:
    raise UserError('%s: refused before it runs: %s' % (where, refusal))
  options = onnxruntime.SessionOptions()
  options.log_severity_level = 3  # Errors only.
  try:
    session = onnxruntime.InferenceSession(
        contents, options, providers=['CPUExecutionProvider'])
  except Exception as e:  # pylint: disable=broad-except
    raise UserError('%s: onnxruntime cannot load it: %s' % (
        where, str(e).strip().splitlines()[0])) from None
  specs = {v.name: _spec(v, onnx)
           for v in list(model.graph.input) + list(model.graph.output)}
  return OnnxModel(
      path, size,
      max((e.version for e in model.opset_import if e.domain in ('',
                                                                 'ai.onnx')),
          default=0),
      session, {i.name: specs[i.name][1] for i in session.get_inputs()},
      {o.name: specs[o.name][1] for o in model.graph.output},
      {name: dtype for name, (dtype, _) in specs.items()})


def check_inputs(model, expected, flag='--onnx'):
  """Raises a UserError unless model takes exactly expected: {input name:
  shape without the batch}."""
  got = {name: tuple(shape[1:]) for name, shape in model.inputs.items()}
  want = {name: tuple(shape) for name, shape in expected.items()}
  if got != want:
    show = lambda specs: ', '.join('%s [-1, %s]' % (
        n, ', '.join(str(d) for d in s)) for n, s in sorted(specs.items()))
    raise UserError('%s=%s: takes %s, not %s: not a file of this model'
                    % (flag, model.path, show(got) or 'nothing', show(want)))
