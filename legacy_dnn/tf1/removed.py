"""What TensorFlow 2 took away and legacy_dnn.v1 does not give back: one
line that names the API and what replaced it, never a deep AttributeError.
"""

import difflib

from legacy_dnn import errors

# Where to read what is and is not provided.
GUIDE = 'docs/tf1-code.md'

# tf.<name> -> what replaced it.
TOP_LEVEL = {
    'contrib': 'the parts legacy_dnn.v1 provides: tf.contrib.layers, '
               'tf.contrib.framework.arg_scope, tf.contrib.rnn, '
               'tf.contrib.seq2seq.sequence_loss and '
               'tf.contrib.learn.datasets',
}
# tf.contrib.<name> -> what replaced it.
CONTRIB = {
    'slim': 'tf.contrib.layers and tf.contrib.framework.arg_scope of '
            'legacy_dnn.v1, which hold slim\'s fully_connected, batch_norm, '
            'dropout and flatten (tf-slim 1.1 fails on TensorFlow 2.21)',
    'keras': 'Keras 3 (import keras)',
    'data': 'tf.data',
    'distribute': 'tf.distribute',
    'metrics': 'tf.metrics (tf.compat.v1.metrics)',
    'losses': 'tf.losses (tf.compat.v1.losses)',
    'summary': 'tf.summary (tf.compat.v1.summary)',
    'training': 'tf.train',
    'lite': 'tf.lite',
    'image': 'tf.image',
    'opt': 'tf.train\'s optimizers',
    'quantize': 'tf.lite\'s converter',
    'eager': 'TensorFlow 2\'s eager mode, which is its default: run the '
             'script with plain python (tfe.Variable is tf.Variable, '
             'tfe.GradientTape tf.GradientTape, tfe.Iterator iter() of a '
             'tf.data.Dataset); legacy_dnn.v1 runs graphs and sessions, as '
             'TF1 did',
    'factorization': 'scikit-learn (sklearn.cluster.KMeans, '
                     'sklearn.mixture.GaussianMixture); TensorFlow 2 has no '
                     'k-means or WALS of its own',
    'tensor_forest': 'scikit-learn\'s RandomForestClassifier, or '
                     'TensorFlow Decision Forests',
    'tensorboard': 'the tensorboard package (tensorboard.plugins.projector)',
}


class NotProvidedError(errors.UserError, AttributeError):
  """A TF1 API that TensorFlow 2 removed and legacy_dnn.v1 does not provide.

  An AttributeError, for hasattr() and getattr(..., default); a UserError,
  which the runner prints as one line. The runner's import hook raises it
  for `from tensorflow.contrib import slim` too, where Python would turn an
  AttributeError into its own ImportError.
  """

  def __init__(self, api, replacement):
    super().__init__('%s is not available on TensorFlow 2 and legacy_dnn.v1 '
                     'does not provide it; use %s' % (api, replacement))


def attribute(module_name, table, name, provided, tf1_names=None):
  """NotProvidedError for <module_name>.<name>, or AttributeError when
  name is no TF1 API of that module (a typo, say).

  tf1_names, where given, is every name the module had in TF 1.15 besides
  table's: any other name is an AttributeError that offers the closest of
  those, as Python offers one for a typo.
  """
  if name.startswith('__'):
    # Python's own probes (__path__, __wrapped__, ...) get the usual answer.
    return AttributeError('module %r has no attribute %r'
                          % (module_name, name))
  if tf1_names is not None and name not in table and name not in tf1_names:
    close = difflib.get_close_matches(name, sorted(set(tf1_names) |
                                                   set(table)), n=1)
    return AttributeError('module %r has no attribute %r%s' % (
        module_name, name, '; did you mean %r?' % close[0] if close else ''))
  return NotProvidedError('%s.%s' % (module_name, name),
                          table.get(name, provided))
