"""tf.estimator of TensorFlow 1.15, which left TensorFlow in 2.16:
Estimator, EstimatorSpec, ModeKeys, RunConfig, TrainSpec, EvalSpec,
train_and_evaluate, inputs (numpy_input_fn, pandas_input_fn), export
(ServingInputReceiver, build_raw_/build_parsing_serving_input_receiver_fn,
the outputs and exporters), and the canned DNNClassifier, DNNRegressor,
LinearClassifier and LinearRegressor on tf.feature_column.

Any other name of TF 1.15's tf.estimator is a one-line NotProvidedError.
docs/tf1-code.md says how it was proven against tensorflow-estimator 2.15
and where it differs.
"""

import types

import tensorflow as tf

from legacy_dnn.tf1 import removed
from legacy_dnn.tf1.estimator import canned
from legacy_dnn.tf1.estimator import export
from legacy_dnn.tf1.estimator import feeding
from legacy_dnn.tf1.estimator.canned import DNNClassifier
from legacy_dnn.tf1.estimator.canned import DNNRegressor
from legacy_dnn.tf1.estimator.canned import LinearClassifier
from legacy_dnn.tf1.estimator.canned import LinearRegressor
from legacy_dnn.tf1.estimator.estimator import Estimator
from legacy_dnn.tf1.estimator.estimator import TrainingInterrupted
from legacy_dnn.tf1.estimator.estimator import WarmStartSettings
from legacy_dnn.tf1.estimator.estimator import add_metrics
from legacy_dnn.tf1.estimator.model_fn import EstimatorSpec
from legacy_dnn.tf1.estimator.model_fn import ModeKeys
from legacy_dnn.tf1.estimator.run_config import RunConfig
from legacy_dnn.tf1.estimator.training import EvalSpec
from legacy_dnn.tf1.estimator.training import TrainSpec
from legacy_dnn.tf1.estimator.training import train_and_evaluate

# tf.estimator.inputs, as TF 1.15 had it: a module of the two functions.
inputs = types.ModuleType(__name__ + '.inputs', feeding.__doc__)
inputs.numpy_input_fn = feeding.numpy_input_fn
inputs.pandas_input_fn = feeding.pandas_input_fn

# TF 1.15's tf.estimator also named these hooks and helpers of tf.train.
_TRAIN_ALIASES = ('CheckpointSaverHook', 'CheckpointSaverListener',
                  'FeedFnHook', 'FinalOpsHook', 'GlobalStepWaiterHook',
                  'LoggingTensorHook', 'NanLossDuringTrainingError',
                  'NanTensorHook', 'ProfilerHook', 'SecondOrStepTimer',
                  'SessionRunArgs', 'SessionRunContext', 'SessionRunHook',
                  'SessionRunValues', 'StepCounterHook', 'StopAtStepHook',
                  'SummarySaverHook')
globals().update({name: getattr(tf.compat.v1.train, name)
                  for name in _TRAIN_ALIASES})
VocabInfo = tf.compat.v1.train.VocabInfo
Exporter = export.Exporter
FinalExporter = export.FinalExporter
LatestExporter = export.LatestExporter

# What TF 1.15's tf.estimator had besides the above -> what to use.
NOT_PROVIDED = {
    'BaselineClassifier': 'a DNNClassifier with hidden_units=[] is no '
                          'baseline either; compute the class prior with '
                          'numpy',
    'BaselineRegressor': 'the labels\' mean, with numpy',
    'BoostedTreesClassifier': 'TensorFlow Decision Forests or scikit-learn\'s '
                              'HistGradientBoostingClassifier',
    'BoostedTreesRegressor': 'TensorFlow Decision Forests or scikit-learn\'s '
                             'HistGradientBoostingRegressor',
    'DNNLinearCombinedClassifier': 'an Estimator with a model_fn of its own',
    'DNNLinearCombinedRegressor': 'an Estimator with a model_fn of its own',
    'experimental': 'tf.estimator without experimental features',
    'tpu': 'CPUs and GPUs: legacy_dnn.v1 has no TPU Estimator',
    'BestExporter': 'LatestExporter or FinalExporter',
    'classifier_parse_example_spec': 'tf.feature_column.'
                                     'make_parse_example_spec',
    'regressor_parse_example_spec': 'tf.feature_column.'
                                    'make_parse_example_spec',
    'MultiHead': 'an Estimator with a model_fn of its own',
    'MultiLabelHead': 'an Estimator with a model_fn of its own',
    'LogisticRegressionHead': 'an Estimator with a model_fn of its own',
    'PoissonRegressionHead': 'an Estimator with a model_fn of its own',
    'BaselineEstimator': 'an Estimator with a model_fn of its own',
    'DNNEstimator': 'DNNClassifier, DNNRegressor, or an Estimator with a '
                    'model_fn of its own',
    'LinearEstimator': 'LinearClassifier, LinearRegressor, or an Estimator '
                       'with a model_fn of its own',
    'DNNLinearCombinedEstimator': 'an Estimator with a model_fn of its own',
    'Head': 'an Estimator with a model_fn of its own',
    'BinaryClassHead': 'DNNClassifier(n_classes=2)',
    'MultiClassHead': 'DNNClassifier(n_classes=N)',
    'RegressionHead': 'DNNRegressor',
    'keras_model_to_estimator': 'Keras 3\'s Model.fit, or the model\'s '
                                'layers in a model_fn',
}


def __getattr__(name):
  raise removed.attribute('tf.estimator', NOT_PROVIDED, name,
                          'an Estimator with a model_fn of its own',
                          tf1_names=())
