# The graph of train.py, a program of two files in the idiom of TF 1's
# "TensorFlow Mechanics 101" (fully_connected_feed.py): this module builds
# it on tensorflow.examples.tutorials.mnist.mnist, and its own
# `import tensorflow` gets TF1 too when train.py runs through
# `python -m legacy_dnn.v1`.
import collections

import tensorflow as tf
from tensorflow.examples.tutorials.mnist import mnist

Graph = collections.namedtuple(
    'Graph', 'images labels logits loss train_op correct summary')


def build(batch_size, hidden1, hidden2, learning_rate):
    """Placeholders for one batch, and the ops that train and score it."""
    images = tf.placeholder(tf.float32, shape=(batch_size,
                                               mnist.IMAGE_PIXELS))
    labels = tf.placeholder(tf.int32, shape=(batch_size,))
    logits = mnist.inference(images, hidden1, hidden2)
    loss = mnist.loss(logits, labels)
    train_op = mnist.training(loss, learning_rate)
    correct = mnist.evaluation(logits, labels)
    return Graph(images, labels, logits, loss, train_op, correct,
                 tf.summary.merge_all())


def feed(graph, data_set, batch_size):
    images, labels = data_set.next_batch(batch_size)
    return {graph.images: images, graph.labels: labels}


def precision(sess, graph, data_set, batch_size):
    """The share of data_set's whole batches the graph classifies right."""
    steps = data_set.num_examples // batch_size
    correct = 0
    for _ in range(steps):
        correct += sess.run(graph.correct, feed(graph, data_set, batch_size))
    return correct / float(steps * batch_size)
