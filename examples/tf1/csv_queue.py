# Linear regression on a CSV file read by TF1's input pipeline: a filename
# queue, a TextLineReader, decode_csv and tf.train.batch, run by queue runner
# threads under a Coordinator (the idiom of lab 4's file-queue regression).
# TensorFlow 1.x code, unmodified; run it with
# `python -m legacy_dnn.v1 csv_queue.py --csv=scores.csv`: rows of numbers,
# the last column the one to predict.
from __future__ import print_function

import tensorflow as tf

flags = tf.app.flags
flags.DEFINE_string('csv', 'scores.csv', 'Rows of features, then the target.')
flags.DEFINE_integer('columns', 4, 'Numbers a row, the target included.')
flags.DEFINE_integer('steps', 2001, 'Training steps of one batch each.')
flags.DEFINE_float('learning_rate', 0.1, 'Gradient descent step size.')
FLAGS = flags.FLAGS


def main(_):
    tf.set_random_seed(777)
    filename_queue = tf.train.string_input_producer(
        [FLAGS.csv], shuffle=False, name='filename_queue')
    reader = tf.TextLineReader()
    key, value = reader.read(filename_queue)
    record_defaults = [[0.]] * FLAGS.columns
    xy = tf.decode_csv(value, record_defaults=record_defaults)
    x_batch, y_batch = tf.train.batch([xy[0:-1], xy[-1:]], batch_size=10)

    features = FLAGS.columns - 1
    X = tf.placeholder(tf.float32, shape=[None, features])
    Y = tf.placeholder(tf.float32, shape=[None, 1])
    W = tf.Variable(tf.random_normal([features, 1]), name='weight')
    b = tf.Variable(tf.random_normal([1]), name='bias')
    hypothesis = tf.matmul(X, W) + b
    cost = tf.reduce_mean(tf.square(hypothesis - Y))
    train = tf.train.GradientDescentOptimizer(
        learning_rate=FLAGS.learning_rate).minimize(cost)

    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    coord = tf.train.Coordinator()
    threads = tf.train.start_queue_runners(sess=sess, coord=coord)
    for step in range(FLAGS.steps):
        xs, ys = sess.run([x_batch, y_batch])
        cost_val, _ = sess.run([cost, train], feed_dict={X: xs, Y: ys})
        if step % 500 == 0:
            print(step, 'Cost:', cost_val)
    coord.request_stop()
    coord.join(threads)

    weights, bias = sess.run([W, b])
    print('Weights:', ' '.join('%.3f' % w for w in weights[:, 0]))
    print('Bias: %.3f' % bias[0])


if __name__ == '__main__':
    tf.app.run()
