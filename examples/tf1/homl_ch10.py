# Hands-On Machine Learning, chapter 10, the TensorFlow 1 way: two hidden
# layers of 300 and 100 built with tf.layers.dense under name scopes, plain
# gradient descent on mini-batches of 50, the validation accuracy written for
# TensorBoard by a FileWriter, the model saved with a Saver and restored to
# score the test set. TensorFlow 1.x code, unmodified; run it with
# `python -m legacy_dnn.v1 homl_ch10.py`.
from datetime import datetime

import numpy as np
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

mnist = input_data.read_data_sets("MNIST_data/")

n_inputs = 28 * 28
n_hidden1 = 300
n_hidden2 = 100
n_outputs = 10
learning_rate = 0.01
n_epochs = 40
batch_size = 50

now = datetime.utcnow().strftime("%Y%m%d%H%M%S")
logdir = "tf_logs/run-{}/".format(now)

tf.reset_default_graph()
X = tf.placeholder(tf.float32, shape=(None, n_inputs), name="X")
y = tf.placeholder(tf.int32, shape=(None), name="y")

with tf.name_scope("dnn"):
    hidden1 = tf.layers.dense(X, n_hidden1, name="hidden1",
                              activation=tf.nn.relu)
    hidden2 = tf.layers.dense(hidden1, n_hidden2, name="hidden2",
                              activation=tf.nn.relu)
    logits = tf.layers.dense(hidden2, n_outputs, name="outputs")

with tf.name_scope("loss"):
    xentropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                              logits=logits)
    loss = tf.reduce_mean(xentropy, name="loss")

with tf.name_scope("train"):
    optimizer = tf.train.GradientDescentOptimizer(learning_rate)
    training_op = optimizer.minimize(loss)

with tf.name_scope("eval"):
    correct = tf.nn.in_top_k(logits, y, 1)
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))

init = tf.global_variables_initializer()
saver = tf.train.Saver()
accuracy_summary = tf.summary.scalar("accuracy", accuracy)
file_writer = tf.summary.FileWriter(logdir, tf.get_default_graph())

with tf.Session() as sess:
    init.run()
    for epoch in range(n_epochs):
        for iteration in range(mnist.train.num_examples // batch_size):
            X_batch, y_batch = mnist.train.next_batch(batch_size)
            sess.run(training_op, feed_dict={X: X_batch, y: y_batch})
        acc_val, summary_str = sess.run(
            [accuracy, accuracy_summary],
            feed_dict={X: mnist.validation.images,
                       y: mnist.validation.labels})
        file_writer.add_summary(summary_str, epoch)
        print(epoch, "Validation accuracy:", acc_val)
    save_path = saver.save(sess, "./my_model_final.ckpt")
file_writer.close()

with tf.Session() as sess:
    saver.restore(sess, save_path)
    Z = logits.eval(feed_dict={X: mnist.test.images[:20]})
    y_pred = np.argmax(Z, axis=1)
    print("Predicted classes:", y_pred)
    print("Actual classes:   ", mnist.test.labels[:20])
    print("Accuracy:", accuracy.eval(feed_dict={X: mnist.test.images,
                                                y: mnist.test.labels}))
