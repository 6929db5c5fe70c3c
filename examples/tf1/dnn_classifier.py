# A premade tf.estimator.DNNClassifier on four numeric feature columns, in
# the manner of TF 1's "Premade Estimators" tutorial: three kinds of flower
# told apart by their sepal and petal sizes, input functions that return a
# tf.data.Dataset, then predictions for three new flowers. The flowers are
# drawn here, around iris-like means, rather than downloaded. TensorFlow
# 1.x code, unmodified; run it with
# `python -m legacy_dnn.v1 dnn_classifier.py [--train_steps=N]`.
from __future__ import absolute_import
from __future__ import division
from __future__ import print_function

import argparse

import numpy as np
import tensorflow as tf

CSV_COLUMN_NAMES = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth"]
SPECIES = ["Setosa", "Versicolor", "Virginica"]
MEANS = [[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]]

parser = argparse.ArgumentParser()
parser.add_argument("--batch_size", default=100, type=int, help="batch size")
parser.add_argument("--train_steps", default=1000, type=int,
                    help="number of training steps")
parser.add_argument("--model_dir", default="flowers_model",
                    help="where the checkpoints go")


def load_data(n_train=600, n_test=150, seed=7):
  """(train_x, train_y), (test_x, test_y): dicts of float32 columns, int
  labels."""
  rng = np.random.RandomState(seed)

  def draw(n):
    labels = rng.randint(len(SPECIES), size=n)
    sizes = np.asarray(MEANS)[labels] + rng.normal(scale=0.3, size=(n, 4))
    return ({name: sizes[:, i].astype(np.float32)
             for i, name in enumerate(CSV_COLUMN_NAMES)},
            labels.astype(np.int32))
  return draw(n_train), draw(n_test)


def train_input_fn(features, labels, batch_size):
  dataset = tf.data.Dataset.from_tensor_slices((dict(features), labels))
  return dataset.shuffle(1000, seed=1).repeat().batch(batch_size)


def eval_input_fn(features, labels, batch_size):
  inputs = dict(features) if labels is None else (dict(features), labels)
  return tf.data.Dataset.from_tensor_slices(inputs).batch(batch_size)


def main(argv):
  args = parser.parse_args(argv[1:])
  (train_x, train_y), (test_x, test_y) = load_data()

  my_feature_columns = [tf.feature_column.numeric_column(key=key)
                        for key in CSV_COLUMN_NAMES]
  classifier = tf.estimator.DNNClassifier(
      feature_columns=my_feature_columns, hidden_units=[10, 10], n_classes=3,
      model_dir=args.model_dir,
      config=tf.estimator.RunConfig(tf_random_seed=1))

  classifier.train(
      input_fn=lambda: train_input_fn(train_x, train_y, args.batch_size),
      steps=args.train_steps)

  eval_result = classifier.evaluate(
      input_fn=lambda: eval_input_fn(test_x, test_y, args.batch_size))
  print("\nTest set accuracy: {accuracy:0.3f}\n".format(**eval_result))

  expected = ["Setosa", "Versicolor", "Virginica"]
  predict_x = {"SepalLength": [5.1, 5.9, 6.9], "SepalWidth": [3.3, 3.0, 3.1],
               "PetalLength": [1.7, 4.2, 5.4], "PetalWidth": [0.5, 1.5, 2.1]}
  predictions = classifier.predict(
      input_fn=lambda: eval_input_fn(predict_x, None, args.batch_size))
  for pred_dict, expec in zip(predictions, expected):
    class_id = pred_dict["class_ids"][0]
    probability = pred_dict["probabilities"][class_id]
    print('Prediction is "{}" ({:.1f}%), expected "{}"'.format(
        SPECIES[class_id], 100 * probability, expec))


if __name__ == "__main__":
  tf.logging.set_verbosity(tf.logging.INFO)
  tf.app.run(main)
