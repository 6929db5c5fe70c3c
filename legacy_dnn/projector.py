"""Embeddings for TensorBoard's Projector tab, as TF1's embedding tutorial
wrote them.

A folder of its own inside a run's log folder (<run>/projector), so that
TensorBoard lists it as a run: a checkpoint of one embedding variable (a
layer's activations for N test images), metadata.tsv (label and class name
of each image), a sprite image of the N images, and projector_config.pbtxt,
written with tensorboard.plugins.projector, that ties them together.
"""

import math
import os

import numpy as np
import tensorflow as tf
from tensorboard.plugins import projector

from legacy_dnn import errors
from legacy_dnn.errors import UserError

FOLDER = 'projector'
CHECKPOINT = 'embedding.ckpt'
METADATA_FILE = 'metadata.tsv'
SPRITE_FILE = 'sprite.png'
# The Projector loads a sprite image of at most this many pixels a side.
MAX_SPRITE_SIDE = 8192


def tensor_name(layer):
  """The embedding variable's name for a layer's activations."""
  return '%s_activations' % layer


def sprite(images):
  """The images tiled row by row into a square grid: uint8 [H, W, C].

  Args:
    images: float32 [n, side, side, channels] in [0, 1].
  """
  n, side, _, channels = images.shape
  per_row = math.ceil(math.sqrt(n))
  if per_row * side > MAX_SPRITE_SIDE:
    raise ValueError('%d images of %d pixels make a sprite over %d pixels '
                     'a side' % (n, side, MAX_SPRITE_SIDE))
  grid = np.zeros((per_row * per_row, side, side, channels), np.uint8)
  grid[:n] = np.round(np.clip(images, 0, 1) * 255)
  return (grid.reshape(per_row, per_row, side, side, channels)
          .transpose(0, 2, 1, 3, 4)
          .reshape(per_row * side, per_row * side, channels))


def write(folder, layer, activations, images, labels, class_names):
  """Writes the Projector's files for one embedding into folder.

  Files of an earlier call into the same folder are replaced.

  Args:
    folder: <logdir>/<run>/projector.
    layer: the layer whose activations these are (conv1, hidden1, ...).
    activations: float32 [n, units].
    images: float32 [n, side, side, channels] in [0, 1]: the sprites.
    labels: int [n].
    class_names: the dataset's, by label.

  Raises:
    UserError: the folder cannot be written.
  """
  try:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, METADATA_FILE), 'w') as f:
      f.write('label\tclass\n')
      for label in labels:
        f.write('%d\t%s\n' % (label, class_names[label]))
    with open(os.path.join(folder, SPRITE_FILE), 'wb') as f:
      f.write(tf.io.encode_png(sprite(images)).numpy())
    name = tensor_name(layer)
    with tf.Graph().as_default() as graph:
      embedding = tf.compat.v1.get_variable(
          name, activations.shape, tf.float32,
          tf.compat.v1.zeros_initializer())
      saver = tf.compat.v1.train.Saver([embedding], save_relative_paths=True)
      with tf.compat.v1.Session(graph=graph) as sess:
        embedding.load(activations, sess)
        saver.save(sess, os.path.join(folder, CHECKPOINT),
                   write_meta_graph=False)
      # An event makes the folder a run that TensorBoard lists; there is no
      # graph in it, so the Graph tab offers only the network's.
      writer = tf.compat.v1.summary.FileWriter(folder)
      writer.add_session_log(
          tf.compat.v1.SessionLog(status=tf.compat.v1.SessionLog.START), 0)
      writer.close()
    config = projector.ProjectorConfig()
    entry = config.embeddings.add()
    entry.tensor_name = name
    entry.metadata_path = METADATA_FILE
    entry.sprite.image_path = SPRITE_FILE
    entry.sprite.single_image_dim.extend(images.shape[1:3])
    projector.visualize_embeddings(folder, config)
  except (OSError, tf.errors.OpError) as e:
    raise UserError('--projector: cannot write %s: %s' % (
        folder, getattr(e, 'strerror', None) or errors.tensorflow_message(e))
                    ) from None
