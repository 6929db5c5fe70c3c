# Deeper and wider: four hidden layers of 512 with Xavier weights, and
# dropout between them, fed a keep probability of 0.7 while training and 1
# when testing: lab 10's fourth and fifth steps. TensorFlow 1.x code,
# unmodified; run it with `python -m legacy_dnn.v1 deep_dropout.py`
# (`--keep_prob=1` trains the deep network without dropout).
import random

import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

flags = tf.app.flags
flags.DEFINE_float('keep_prob', 0.7, 'Probability of keeping a unit while '
                   'training; 1 turns dropout off.')
flags.DEFINE_integer('epochs', 15, 'Passes over the training images.')
FLAGS = flags.FLAGS


def layer(name, inputs, n_in, n_out, keep_prob):
    W = tf.get_variable(name, shape=[n_in, n_out],
                        initializer=tf.contrib.layers.xavier_initializer())
    b = tf.Variable(tf.random_normal([n_out]))
    L = tf.nn.relu(tf.matmul(inputs, W) + b)
    return tf.nn.dropout(L, keep_prob=keep_prob)


def main(_):
    tf.set_random_seed(777)
    mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)
    batch_size = 100

    X = tf.placeholder(tf.float32, [None, 784])
    Y = tf.placeholder(tf.float32, [None, 10])
    keep_prob = tf.placeholder(tf.float32)

    L1 = layer("W1", X, 784, 512, keep_prob)
    L2 = layer("W2", L1, 512, 512, keep_prob)
    L3 = layer("W3", L2, 512, 512, keep_prob)
    L4 = layer("W4", L3, 512, 512, keep_prob)
    W5 = tf.get_variable("W5", shape=[512, 10],
                         initializer=tf.contrib.layers.xavier_initializer())
    b5 = tf.Variable(tf.random_normal([10]))
    hypothesis = tf.matmul(L4, W5) + b5

    cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(
        logits=hypothesis, labels=Y))
    optimizer = tf.train.AdamOptimizer(learning_rate=0.001).minimize(cost)

    sess = tf.Session()
    sess.run(tf.global_variables_initializer())

    for epoch in range(FLAGS.epochs):
        avg_cost = 0
        total_batch = int(mnist.train.num_examples / batch_size)
        for i in range(total_batch):
            batch_xs, batch_ys = mnist.train.next_batch(batch_size)
            feed_dict = {X: batch_xs, Y: batch_ys, keep_prob: FLAGS.keep_prob}
            c, _ = sess.run([cost, optimizer], feed_dict=feed_dict)
            avg_cost += c / total_batch
        print('Epoch:', '%04d' % (epoch + 1), 'cost =',
              '{:.9f}'.format(avg_cost))

    print('Learning Finished!')

    correct_prediction = tf.equal(tf.argmax(hypothesis, 1), tf.argmax(Y, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    print('Accuracy:', sess.run(accuracy, feed_dict={
          X: mnist.test.images, Y: mnist.test.labels, keep_prob: 1}))

    r = random.randint(0, mnist.test.num_examples - 1)
    print("Label: ", sess.run(tf.argmax(mnist.test.labels[r:r + 1], 1)))
    print("Prediction: ", sess.run(tf.argmax(hypothesis, 1), feed_dict={
          X: mnist.test.images[r:r + 1], keep_prob: 1}))


if __name__ == '__main__':
    tf.app.run()
