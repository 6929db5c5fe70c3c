# An LSTM that predicts tomorrow's closing price from the last week of daily
# prices: each day's open, high, low, volume and close scaled to [0, 1], a
# tf.contrib.rnn.BasicLSTMCell run by tf.nn.dynamic_rnn, and a fully connected
# layer on its last output (the idiom of lab 12's stock prediction).
# TensorFlow 1.x code, unmodified; run it with
# `python -m legacy_dnn.v1 lstm_series.py --csv=prices.csv` (rows oldest
# first: open, high, low, volume, close), or without --csv on a generated
# series.
from __future__ import print_function

import numpy as np
import tensorflow as tf

flags = tf.app.flags
flags.DEFINE_string('csv', '', 'Daily prices, one row a day, oldest first: '
                    'open, high, low, volume, close. Empty: a generated '
                    'series of --days days.')
flags.DEFINE_integer('days', 500, 'Days of the generated series.')
flags.DEFINE_integer('steps', 500, 'Training steps.')
FLAGS = flags.FLAGS

seq_length = 7
data_dim = 5
hidden_dim = 10
learning_rate = 0.01


def generated_prices(days):
    """A price that swings weekly and monthly around a slow trend."""
    rng = np.random.RandomState(7)
    t = np.arange(days + 1, dtype=np.float64)
    close = (100 + 0.05 * t + 4 * np.sin(2 * np.pi * t / 30)
             + 2 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.3, t.shape))
    open_ = close[:-1]
    close = close[1:]
    high = np.maximum(open_, close) + rng.uniform(0, 1, days)
    low = np.minimum(open_, close) - rng.uniform(0, 1, days)
    volume = 1e6 + 1e5 * np.abs(close - open_) + rng.normal(0, 1e4, days)
    return np.stack([open_, high, low, volume, close], axis=1)


def min_max_scale(data):
    return (data - np.min(data, 0)) / (np.max(data, 0) - np.min(data, 0)
                                       + 1e-7)


def main(_):
    tf.set_random_seed(777)
    if FLAGS.csv:
        xy = np.loadtxt(FLAGS.csv, delimiter=',')
    else:
        xy = generated_prices(FLAGS.days)
    xy = min_max_scale(xy)
    x = xy
    y = xy[:, [-1]]  # The close.

    data_x, data_y = [], []
    for i in range(len(y) - seq_length):
        data_x.append(x[i:i + seq_length])
        data_y.append(y[i + seq_length])

    train_size = int(len(data_y) * 0.7)
    train_x, test_x = np.array(data_x[:train_size]), np.array(
        data_x[train_size:])
    train_y, test_y = np.array(data_y[:train_size]), np.array(
        data_y[train_size:])

    X = tf.placeholder(tf.float32, [None, seq_length, data_dim])
    Y = tf.placeholder(tf.float32, [None, 1])

    cell = tf.contrib.rnn.BasicLSTMCell(num_units=hidden_dim,
                                        state_is_tuple=True,
                                        activation=tf.tanh)
    outputs, _states = tf.nn.dynamic_rnn(cell, X, dtype=tf.float32)
    Y_pred = tf.contrib.layers.fully_connected(outputs[:, -1], 1,
                                               activation_fn=None)
    loss = tf.reduce_sum(tf.square(Y_pred - Y))
    train = tf.train.AdamOptimizer(learning_rate).minimize(loss)

    targets = tf.placeholder(tf.float32, [None, 1])
    predictions = tf.placeholder(tf.float32, [None, 1])
    rmse = tf.sqrt(tf.reduce_mean(tf.square(targets - predictions)))

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(FLAGS.steps):
            _, step_loss = sess.run([train, loss],
                                    feed_dict={X: train_x, Y: train_y})
            if i % 100 == 0 or i == FLAGS.steps - 1:
                print('[step: {}] loss: {}'.format(i, step_loss))

        test_predict = sess.run(Y_pred, feed_dict={X: test_x})
        print('Test RMSE: {}'.format(sess.run(
            rmse, feed_dict={targets: test_y, predictions: test_predict})))
        # What a model that learned nothing scores: always the mean close of
        # the training days.
        flat = np.full_like(test_y, np.mean(train_y))
        print('Mean-price RMSE: {}'.format(sess.run(
            rmse, feed_dict={targets: test_y, predictions: flat})))


if __name__ == '__main__':
    tf.app.run()
