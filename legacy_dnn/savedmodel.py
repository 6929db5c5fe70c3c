"""A trained network as a TF1 SavedModel that TensorFlow Serving loads.

The export is an inference-only graph built afresh (no dropout, no optimizer
slots, no run state) with the checkpoint's weights, written by
tf.compat.v1.saved_model.Builder into <export_dir>/<version>/, the layout
TensorFlow Serving watches: it serves the highest numbered version.
"""

import json
import os
import re
import shutil

import tensorflow as tf

from legacy_dnn import checkpoints
from legacy_dnn import data
from legacy_dnn import heads
from legacy_dnn import model
from legacy_dnn import presets
from legacy_dnn import errors
from legacy_dnn.errors import UserError

# A classifier's signature (heads.py names a regressor's: features in, or
# the named slices of a wide & deep network, predictions out).
INPUTS = 'images'
PROBABILITIES = 'probabilities'
CLASSES = 'classes'
SIGNATURE = tf.compat.v1.saved_model.DEFAULT_SERVING_SIGNATURE_DEF_KEY
TAG = tf.compat.v1.saved_model.SERVING
# TensorFlow Serving leaves a version's assets.extra/ alone: it is for the
# files that tools beside the model read. Ours says which network and data
# the model is, so predict.py knows how to prepare an image and name its
# classes.
EXTRA_DIR = 'assets.extra'
DESCRIPTION_FILE = 'legacy_dnn.json'
_VERSION = re.compile(r'\d+')


def write_file(path, write, suffix=''):
  """checkpoints.replace_whole for the file of --output, in a folder made if
  need be: a file already there is lost only once the new one is complete.
  Returns path.

  Raises:
    UserError: path cannot be written, naming it as --output.
  """
  try:
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    checkpoints.replace_whole(path, write, suffix)
  except OSError as e:
    raise UserError('--output=%s: cannot write: %s'
                    % (path, e.strerror or e)) from None
  return path


def next_version(export_dir):
  """One more than the highest numbered folder in export_dir; 1 if none."""
  versions = [int(n) for n in os.listdir(export_dir) if _VERSION.fullmatch(n)]
  return max(versions, default=0) + 1


def inference_graph(cfg):
  """The serving graph of cfg's network, in a new graph.

  Returns:
    (graph, {input name: placeholder}, {output name: tensor}, the network's
    variables). A classifier takes images float32 [None, 784] (or
    [None, 32, 32, 3] for CIFAR-10) and gives probabilities float32
    [None, 10] and classes int64 [None]; a regressor takes raw features
    [None, 8] (or wide_input [None, 5] and deep_input [None, 6]) and gives
    predictions float32 [None, 1] (and aux_output).
  """
  head = heads.of(cfg)
  with tf.Graph().as_default() as graph:
    dataset = data.DATASETS[cfg.dataset]
    if cfg.inputs:  # Named slices of a row, each its own input.
      inputs = {name: tf.compat.v1.placeholder(
          tf.float32, [None, stop - start], name=name)
                for name, start, stop in cfg.inputs}
    else:
      inputs = {head.serving_input: tf.compat.v1.placeholder(
          tf.float32, [None] + list(dataset.input_shape),
          name=head.serving_input)}
    layer_outputs = {}
    # No training switch: batch norm always uses its moving averages.
    outputs = model.inference(list(inputs.values()), cfg, dataset.image_shape,
                              cfg.seed, training=tf.constant(False),
                              layer_outputs=layer_outputs,
                              standardized=dataset.standardize)
    served = head.serving_outputs(outputs, {
        scope: layer_outputs[scope] for scope in presets.aux_scopes(cfg)})
  return graph, inputs, served, graph.get_collection(
      tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)


def describe(cfg):
  """The serving signature of cfg's network in words: 'images float32
  [-1, 784] -> probabilities float32 [-1, 10], classes int64 [-1]'."""
  _, inputs, outputs, _ = inference_graph(cfg)

  def text(tensors):
    return ', '.join('%s %s %s' % (name, t.dtype.name, [
        -1 if d is None else d for d in t.shape.as_list()])
                     for name, t in tensors.items())

  return '%s -> %s' % (text(inputs), text(outputs))


def read_description(version_dir):
  """The {'variant', 'dataset', 'class_names'} an export of ours holds, or
  None (a SavedModel from elsewhere, or from before it was written)."""
  try:
    with open(os.path.join(version_dir, EXTRA_DIR, DESCRIPTION_FILE)) as f:
      description = json.load(f)
  except (OSError, ValueError):
    return None
  return description if isinstance(description, dict) else None


def latest_version(export_dir):
  """The version folder to load from export_dir: export_dir itself if it
  holds a saved_model.pb, else its highest numbered version; None if
  neither."""
  if os.path.isfile(os.path.join(export_dir, 'saved_model.pb')):
    return export_dir
  try:
    version = next_version(export_dir) - 1
  except OSError:
    return None
  return os.path.join(export_dir, str(version)) if version else None


def export(cfg, checkpoint, export_dir):
  """Writes cfg's network with checkpoint's weights as the next version.

  The SavedModel is built in a hidden folder beside the versions and renamed
  to its number when complete, so a half-written export never looks like a
  version, and no existing version is ever touched.

  Args:
    cfg: the TrainConfig that describes the network.
    checkpoint: a checkpoint prefix holding its variables.
    export_dir: the model's base path for TensorFlow Serving.

  Returns:
    The version folder written, <export_dir>/<N>.

  Raises:
    UserError: export_dir cannot be written, or the checkpoint does not fit.
  """
  graph, inputs, outputs, variables = inference_graph(cfg)
  checkpoints.check_shapes(checkpoint, variables)
  try:
    os.makedirs(export_dir, exist_ok=True)
    version = next_version(export_dir)
  except OSError as e:
    raise UserError('--export_dir=%s: cannot write there: %s'
                    % (export_dir, e.strerror or e)) from None
  staging = os.path.join(export_dir, '.%d.incomplete-%d' % (version,
                                                             os.getpid()))
  target = os.path.join(export_dir, str(version))
  try:
    with tf.compat.v1.Session(graph=graph) as sess:
      checkpoints.restore(sess, tf.compat.v1.train.Saver(variables),
                          checkpoint)
      builder = tf.compat.v1.saved_model.Builder(staging)
      signature = tf.compat.v1.saved_model.predict_signature_def(
          inputs=inputs, outputs=outputs)
      builder.add_meta_graph_and_variables(
          sess, [TAG], signature_def_map={SIGNATURE: signature},
          strip_default_attrs=True)
      builder.save()
    os.makedirs(os.path.join(staging, EXTRA_DIR))
    with open(os.path.join(staging, EXTRA_DIR, DESCRIPTION_FILE), 'w') as f:
      json.dump({'variant': cfg.variant, 'dataset': cfg.dataset,
                 'class_names': data.DATASETS[cfg.dataset].class_names}, f,
                indent=2)
    os.rename(staging, target)
  except (OSError, tf.errors.OpError) as e:
    raise UserError('--export_dir=%s: cannot write version %d: %s'
                    % (export_dir, version, getattr(e, 'strerror', None) or
                       errors.tensorflow_message(e))) from None
  finally:
    if os.path.exists(staging):
      shutil.rmtree(staging, ignore_errors=True)
  return target
