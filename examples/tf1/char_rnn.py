# A character-level RNN that learns to write a paragraph back, one window of
# characters at a time: two stacked LSTM cells from tf.contrib.rnn run by
# tf.nn.dynamic_rnn, a fully connected layer over every time step, and
# tf.contrib.seq2seq's sequence_loss (the idiom of lab 12's long-sentence
# RNN). TensorFlow 1.x code, unmodified; run it with
# `python -m legacy_dnn.v1 char_rnn.py` (`--text=...` for another paragraph).
from __future__ import print_function

import numpy as np
import tensorflow as tf
from tensorflow.contrib import rnn

flags = tf.app.flags
flags.DEFINE_string('text', "a small net that reads one letter at a time "
                    "learns which letter comes next, and then it can "
                    "spell the whole line back.", 'The paragraph to learn.')
flags.DEFINE_integer('steps', 300, 'Training steps over all the windows.')
flags.DEFINE_integer('window', 10, 'Characters the RNN reads at a time.')
FLAGS = flags.FLAGS


def main(_):
    tf.set_random_seed(777)
    text = FLAGS.text
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    num_classes = hidden_size = len(chars)
    window = FLAGS.window

    # Each window of the text, and the same window one character later.
    data_x, data_y = [], []
    for i in range(len(text) - window):
        data_x.append([index[c] for c in text[i:i + window]])
        data_y.append([index[c] for c in text[i + 1:i + window + 1]])
    batch_size = len(data_x)

    X = tf.placeholder(tf.int32, [None, window])
    Y = tf.placeholder(tf.int32, [None, window])
    X_one_hot = tf.one_hot(X, num_classes)

    cells = rnn.MultiRNNCell(
        [rnn.BasicLSTMCell(hidden_size, state_is_tuple=True)
         for _ in range(2)], state_is_tuple=True)
    outputs, _ = tf.nn.dynamic_rnn(cells, X_one_hot, dtype=tf.float32)

    logits = tf.contrib.layers.fully_connected(
        tf.reshape(outputs, [-1, hidden_size]), num_classes,
        activation_fn=None)
    logits = tf.reshape(logits, [batch_size, window, num_classes])
    loss = tf.reduce_mean(tf.contrib.seq2seq.sequence_loss(
        logits=logits, targets=Y, weights=tf.ones([batch_size, window])))
    train = tf.train.AdamOptimizer(learning_rate=0.1).minimize(loss)
    prediction = tf.argmax(logits, axis=2)

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(FLAGS.steps):
            l, _ = sess.run([loss, train], feed_dict={X: data_x, Y: data_y})
            if step % 50 == 0 or step == FLAGS.steps - 1:
                print(step, 'loss:', l)

        # The first window whole, then each later window's last character.
        results = sess.run(prediction, feed_dict={X: data_x})
        written = ''.join(chars[i] for i in results[0])
        written += ''.join(chars[r[-1]] for r in results[1:])
        print('Written:', text[0] + written)
        correct = np.mean([a == b for a, b in zip(written, text[1:])])
        print('Accuracy:', correct)


if __name__ == '__main__':
    tf.app.run()
