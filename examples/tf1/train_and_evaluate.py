# tf.estimator.train_and_evaluate with a model_fn of its own: a two-layer
# MNIST classifier trained to --max_steps, evaluated on the test set after
# each checkpoint, then exported for TensorFlow Serving by a FinalExporter.
# TensorFlow 1.x code, unmodified; run it with
# `python -m legacy_dnn.v1 train_and_evaluate.py [--max_steps=N]`.
import argparse
import sys

import numpy as np
import tensorflow as tf
from tensorflow.examples.tutorials.mnist import input_data

FLAGS = None


def model_fn(features, labels, mode, params):
  net = features["images"]
  for units in params["hidden_units"]:
    net = tf.layers.dense(net, units, activation=tf.nn.relu,
                          kernel_initializer=tf.glorot_uniform_initializer())
  logits = tf.layers.dense(net, 10)
  predicted_classes = tf.argmax(logits, 1)
  if mode == tf.estimator.ModeKeys.PREDICT:
    predictions = {"class_ids": predicted_classes,
                   "probabilities": tf.nn.softmax(logits)}
    return tf.estimator.EstimatorSpec(mode, predictions=predictions)

  loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
  accuracy = tf.metrics.accuracy(labels=labels,
                                 predictions=predicted_classes,
                                 name="acc_op")
  tf.summary.scalar("accuracy", accuracy[1])
  if mode == tf.estimator.ModeKeys.EVAL:
    return tf.estimator.EstimatorSpec(
        mode, loss=loss, eval_metric_ops={"accuracy": accuracy})

  optimizer = tf.train.AdamOptimizer(params["learning_rate"])
  train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())
  return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def serving_input_receiver_fn():
  images = tf.placeholder(tf.float32, [None, 784], name="images")
  return tf.estimator.export.ServingInputReceiver({"images": images},
                                                  {"images": images})


def main(_):
  mnist = input_data.read_data_sets(FLAGS.data_dir)
  train_labels = mnist.train.labels.astype(np.int32)
  test_labels = mnist.test.labels.astype(np.int32)

  config = tf.estimator.RunConfig(model_dir=FLAGS.model_dir,
                                  tf_random_seed=19,
                                  save_checkpoints_steps=FLAGS.max_steps // 2)
  estimator = tf.estimator.Estimator(
      model_fn, config=config,
      params={"hidden_units": [128, 64], "learning_rate": 0.001})

  train_spec = tf.estimator.TrainSpec(
      input_fn=tf.estimator.inputs.numpy_input_fn(
          {"images": mnist.train.images}, train_labels, batch_size=100,
          num_epochs=None, shuffle=True),
      max_steps=FLAGS.max_steps)
  eval_spec = tf.estimator.EvalSpec(
      input_fn=tf.estimator.inputs.numpy_input_fn(
          {"images": mnist.test.images}, test_labels, num_epochs=1,
          shuffle=False),
      steps=None, throttle_secs=0,
      exporters=[tf.estimator.FinalExporter("mnist",
                                            serving_input_receiver_fn)])
  metrics, exports = tf.estimator.train_and_evaluate(estimator, train_spec,
                                                     eval_spec)
  print("Test accuracy: %.4f after %d steps" % (metrics["accuracy"],
                                                metrics["global_step"]))
  print("Exported: %s" % exports[0].decode())


if __name__ == "__main__":
  parser = argparse.ArgumentParser()
  parser.add_argument("--data_dir", default="MNIST_data",
                      help="where the MNIST files are")
  parser.add_argument("--model_dir", default="mnist_estimator",
                      help="where the checkpoints go")
  parser.add_argument("--max_steps", type=int, default=2000,
                      help="global step to train to")
  FLAGS, unparsed = parser.parse_known_args()
  tf.app.run(main=main, argv=[sys.argv[0]] + unparsed)
