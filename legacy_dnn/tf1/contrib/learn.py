"""tf.contrib.learn of TensorFlow 1.15, as far as the Estimator tutorials
used it: its MNIST reader, which is input_data's under other names
(datasets.load_dataset('mnist'), datasets.mnist.read_data_sets and
load_mnist). The rest of tf.contrib.learn (its own Estimators,
learn_runner, Experiment) is a one-line NotProvidedError naming
tf.estimator, which legacy_dnn.v1 provides.
"""

import types

from legacy_dnn.tf1 import input_data
from legacy_dnn.tf1 import removed

# tf.contrib.learn.datasets.<name> -> what to use.
_NOT_PROVIDED_DATASETS = {
    'iris': 'sklearn.datasets.load_iris()',
    'boston': 'sklearn.datasets.fetch_california_housing() (Boston\'s was '
              'withdrawn)',
    'dbpedia': 'tensorflow_datasets (tfds.load(\'dbpedia\'))',
    'text8': 'tensorflow_datasets or the file itself',
}
_REPLACEMENT = 'tf.estimator (Estimator, DNNClassifier, ...), which ' \
               'legacy_dnn.v1 provides'


def load_dataset(name, size='small', test_with_fake_data=False):
  """The dataset TF 1.15's learn.datasets named: 'mnist' is
  input_data.read_data_sets('MNIST-data')."""
  del size
  if name == 'mnist':
    if test_with_fake_data:
      raise removed.NotProvidedError(
          'tf.contrib.learn.datasets.load_dataset(test_with_fake_data=True)',
          'a few real or generated images')
    return input_data.load_mnist()
  if name in _NOT_PROVIDED_DATASETS:
    raise removed.NotProvidedError(
        'tf.contrib.learn.datasets.load_dataset(%r)' % name,
        _NOT_PROVIDED_DATASETS[name])
  raise ValueError('Name of dataset is not found: %s' % name)


def _datasets_getattr(name):
  raise removed.attribute('tf.contrib.learn.datasets',
                          _NOT_PROVIDED_DATASETS, name, _REPLACEMENT)


datasets = types.ModuleType(__name__ + '.datasets',
                            'tf.contrib.learn.datasets of TensorFlow 1.15.')
datasets.load_dataset = load_dataset
datasets.mnist = input_data
datasets.base = types.ModuleType(__name__ + '.datasets.base')
datasets.base.Datasets = input_data.Datasets
datasets.__getattr__ = _datasets_getattr

# Names TF 1.15's tf.contrib.learn had that this module does not give.
_LEARN = ('Estimator', 'DNNClassifier', 'DNNRegressor', 'LinearClassifier',
          'LinearRegressor', 'Experiment', 'RunConfig', 'learn_runner',
          'ModeKeys', 'ModelFnOps', 'infer_real_valued_columns_from_input',
          'SKCompat', 'monitors', 'preprocessing', 'python', 'utils',
          'io', 'metric_spec', 'MetricSpec', 'InputFnOps', 'ProblemType',
          'extract_pandas_data', 'read_batch_examples')


def __getattr__(name):
  raise removed.attribute('tf.contrib.learn', {}, name, _REPLACEMENT,
                          tf1_names=_LEARN + ('datasets',))
