"""docs/regression.md's reference figures: the sources' own Keras code, trained on
the same data and split as our presets, on this machine.

  python docs/keras_reference.py --data_dir=../shared/data

For California housing, the book's Sequential regressor and its
WideAndDeepModel (legacy_dnn/keras_book.py) are fitted on the training rows
standardized by StandardScaler's arithmetic, 20 epochs of batch 32, SGD 1e-3,
with validation_data, as the book ran them; the test MSE is the main
output's. For the exam's Q4, its net.fit(X, y, epochs=500, batch_size=100,
validation_split=0.45) runs on the whole series, once per seed, and the
final validation MSE is printed.
"""


from absl import app
from absl import flags

from legacy_dnn import cli
from legacy_dnn import data
from legacy_dnn import keras_book
from legacy_dnn import tabular

FLAGS = flags.FLAGS
flags.DEFINE_string('data_dir', None, 'Folder holding cal_housing.tgz.')
flags.DEFINE_list('seeds', ['0', '1', '2'], 'keras.utils.set_random_seed '
                  'values; housing uses the first.')


def housing(seed):
  import keras  # pylint: disable=g-import-not-at-top
  splits = data.load(data.DATASETS['california_housing'], FLAGS.data_dir)
  (X, y), (X_valid, y_valid), (X_test, y_test) = (
      splits.train, splits.validation, splits.test)
  X, X_valid, X_test = keras_book.standardized(X, X_valid, X_test)
  keras.utils.set_random_seed(seed)
  net = keras_book.sequential_regressor()
  net.fit(X, y, epochs=20, validation_data=(X_valid, y_valid), verbose=0)
  print('regression (Keras Sequential), seed %d: test MSE %.4f'
        % (seed, net.evaluate(X_test, y_test, verbose=0)), flush=True)
  keras.utils.set_random_seed(seed)
  net = keras_book.wide_and_deep()
  net.fit((X[:, :5], X[:, 2:]), (y, y), epochs=20,
          validation_data=((X_valid[:, :5], X_valid[:, 2:]),
                           (y_valid, y_valid)), verbose=0)
  main, _ = net.predict((X_test[:, :5], X_test[:, 2:]), verbose=0)
  print('wide_deep (Keras WideAndDeepModel), seed %d: test MSE %.4f'
        % (seed, float(((main[:, 0] - y_test)**2).mean())), flush=True)


def cosine(seed):
  import keras  # pylint: disable=g-import-not-at-top
  _, X, y = tabular.cosine()
  keras.utils.set_random_seed(seed)
  net = keras_book.cosine_net()
  history = net.fit(X, y, epochs=500, batch_size=100, validation_split=0.45,
                    verbose=0)
  print('cosine (the exam\'s net.fit), seed %d: train MSE %.4f, validation '
        'MSE %.4f' % (seed, history.history['loss'][-1],
                      history.history['val_loss'][-1]), flush=True)


def main(argv):
  del argv
  seeds = [int(s) for s in FLAGS.seeds]
  if FLAGS.data_dir:
    housing(seeds[0])
  for seed in seeds:
    cosine(seed)


if __name__ == '__main__':
  cli.set_tensorflow_environment()
  app.run(main)
