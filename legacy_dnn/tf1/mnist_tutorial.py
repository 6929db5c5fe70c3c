"""tensorflow.examples.tutorials.mnist.mnist of TensorFlow 1.15: the model
of TF 1's "TensorFlow Mechanics 101" tutorial, which fully_connected_feed.py
and programs built after it import.

inference() builds two ReLU layers and a linear one under the name scopes
hidden1, hidden2 and softmax_linear, each with tf.Variable weights (truncated
normal, stddev 1/sqrt(fan-in)) and biases (zeros), named weights and biases
as the tutorial named them; loss(), training() and evaluation() are its
sparse softmax cross-entropy, gradient descent with a global step and a
'loss' summary, and the count of top-1 hits.
"""

import math

import tensorflow as tf

NUM_CLASSES = 10
IMAGE_SIZE = 28
IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE


def _layer(scope, inputs, n_in, n_out, activation=None):
  with tf.compat.v1.name_scope(scope):
    weights = tf.Variable(
        tf.random.truncated_normal([n_in, n_out],
                                   stddev=1.0 / math.sqrt(float(n_in))),
        name='weights')
    biases = tf.Variable(tf.zeros([n_out]), name='biases')
    outputs = tf.matmul(inputs, weights) + biases
    return outputs if activation is None else activation(outputs)


def inference(images, hidden1_units, hidden2_units):
  """Logits [batch, NUM_CLASSES] of images [batch, IMAGE_PIXELS]."""
  hidden1 = _layer('hidden1', images, IMAGE_PIXELS, hidden1_units,
                   tf.nn.relu)
  hidden2 = _layer('hidden2', hidden1, hidden1_units, hidden2_units,
                   tf.nn.relu)
  return _layer('softmax_linear', hidden2, hidden2_units, NUM_CLASSES)


def loss(logits, labels):
  """The mean sparse softmax cross-entropy of logits and int labels."""
  return tf.compat.v1.losses.sparse_softmax_cross_entropy(
      labels=tf.cast(labels, tf.int64), logits=logits)


def training(loss, learning_rate):  # pylint: disable=redefined-outer-name
  """The train op: gradient descent on loss, counting steps in a
  global_step variable, with a scalar summary 'loss'."""
  tf.compat.v1.summary.scalar('loss', loss)
  optimizer = tf.compat.v1.train.GradientDescentOptimizer(learning_rate)
  global_step = tf.Variable(0, name='global_step', trainable=False)
  return optimizer.minimize(loss, global_step=global_step)


def evaluation(logits, labels):
  """How many of the batch's labels are the logits' top class (int32)."""
  correct = tf.nn.in_top_k(predictions=logits, targets=labels, k=1)
  return tf.reduce_sum(tf.cast(correct, tf.int32))
