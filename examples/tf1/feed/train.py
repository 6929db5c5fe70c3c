# Two hidden layers fed one batch at a time, scored with in_top_k, the
# loss in TensorBoard and a checkpoint at the end: TF 1's "TensorFlow
# Mechanics 101" as a program of two files (model.py beside it builds the
# graph). TensorFlow 1.x code, unmodified; run it with
# `python -m legacy_dnn.v1 feed/train.py` beside MNIST_data/.
from __future__ import print_function

import argparse
import os
import sys
import time

import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

import model

FLAGS = None


def run_training():
    data_sets = input_data.read_data_sets(FLAGS.input_data_dir)
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        graph = model.build(FLAGS.batch_size, FLAGS.hidden1, FLAGS.hidden2,
                            FLAGS.learning_rate)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            writer = tf.summary.FileWriter(FLAGS.log_dir, sess.graph)
            sess.run(tf.global_variables_initializer())
            start = time.time()
            for step in range(FLAGS.max_steps):
                feed = model.feed(graph, data_sets.train, FLAGS.batch_size)
                _, loss = sess.run([graph.train_op, graph.loss], feed)
                if step % 100 == 0:
                    print('Step %d: loss = %.2f (%.3f sec)'
                          % (step, loss, time.time() - start))
                    writer.add_summary(sess.run(graph.summary, feed), step)
                    writer.flush()
            saver.save(sess, os.path.join(FLAGS.log_dir, 'model.ckpt'),
                       global_step=FLAGS.max_steps)
            for name in ('train', 'validation', 'test'):
                print('%s precision @ 1: %.4f' % (name.capitalize(),
                      model.precision(sess, graph, getattr(data_sets, name),
                                      FLAGS.batch_size)))


def main(_):
    # The tutorial emptied its log folder first; this one keeps what is
    # there (TensorBoard shows each run's events side by side).
    if not tf.gfile.Exists(FLAGS.log_dir):
        tf.gfile.MakeDirs(FLAGS.log_dir)
    run_training()


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--learning_rate', type=float, default=0.01)
    parser.add_argument('--max_steps', type=int, default=2000)
    parser.add_argument('--hidden1', type=int, default=128)
    parser.add_argument('--hidden2', type=int, default=32)
    parser.add_argument('--batch_size', type=int, default=100)
    parser.add_argument('--input_data_dir', default='MNIST_data')
    parser.add_argument('--log_dir', default='feed_logs')
    FLAGS, unparsed = parser.parse_known_args()
    tf.app.run(main=main, argv=[sys.argv[0]] + unparsed)
