"""legacy_dnn: the classic TF1 teaching networks as graph/session programs.

  import legacy_dnn
  result = legacy_dnn.train(variant='dropout', dataset='fashion_mnist')
  legacy_dnn.evaluate(result.model_dir).accuracy

The names below are the package's face (api.py documents them); every
module may change. They load on first use (PEP 562), so `import legacy_dnn`
does not import TensorFlow.
"""

from legacy_dnn import lean_import

lean_import.install()

__all__ = ['train', 'evaluate', 'predict', 'export', 'sweep', 'load_data',
           'load', 'Model', 'Result', 'Evaluation', 'Prediction', 'Exported', 'SweepResult',
           'UserError', 'Interrupted']

_FROM = {'Result': 'results', 'Interrupted': 'results', 'UserError': 'errors',
         'Evaluation': 'scores'}


def __getattr__(name):
  if name not in __all__:
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
  import importlib  # pylint: disable=g-import-not-at-top
  module = importlib.import_module('legacy_dnn.' + _FROM.get(name, 'api'))
  return getattr(module, name)


def __dir__():
  return sorted(set(globals()) | set(__all__))
