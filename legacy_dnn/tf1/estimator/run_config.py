"""tf.estimator.RunConfig of TensorFlow 1.15, for one process.

The defaults are TF 1.15's: a summary every 100 steps, a checkpoint every
600 seconds (unless save_checkpoints_steps is given), 5 kept, the loss
logged every 100 steps. A cluster (TF_CONFIG with other tasks, or a
distribution strategy) is refused in one line: legacy_dnn.v1's Estimator
trains in the process that calls it.
"""

import json
import os

import tensorflow as tf

from legacy_dnn.tf1 import removed

_DEFAULT_CHECKPOINT_SECS = 600
# RunConfig's arguments that ask for something this Estimator does not do:
# None (their default) is the only value it takes.
_UNSUPPORTED = ('train_distribute', 'device_fn', 'protocol',
                'eval_distribute', 'experimental_distribute',
                'experimental_max_worker_delay_secs')


def _check_positive(name, value, allow_none=True, allow_zero=False):
  if value is None and allow_none:
    return
  if (isinstance(value, bool) or not isinstance(value, (int, float)) or
      value < 0 or (value == 0 and not allow_zero)):
    raise ValueError('RunConfig(%s=%r): must be a %s number%s'
                     % (name, value, 'non-negative' if allow_zero else
                        'positive', ' or None' if allow_none else ''))


def _cluster_from_tf_config():
  """Refuses a TF_CONFIG that names other tasks: one line."""
  text = os.environ.get('TF_CONFIG')
  if not text:
    return
  try:
    cluster = json.loads(text).get('cluster') or {}
  except (ValueError, AttributeError):
    raise ValueError('TF_CONFIG is not a JSON object: %r' % text) from None
  tasks = sum(len(addresses) for addresses in cluster.values())
  if tasks > 1:
    raise removed.NotProvidedError(
        'tf.estimator.RunConfig with a TF_CONFIG cluster of %d tasks' % tasks,
        'one process per Estimator (unset TF_CONFIG), or legacy_dnn\'s own '
        'ps/worker training (docs/distributed.md)')


class RunConfig:
  """Where and how an Estimator trains: model_dir, seed, checkpoints,
  summaries and logging."""

  def __init__(self, model_dir=None, tf_random_seed=None,
               save_summary_steps=100, save_checkpoints_steps=None,
               save_checkpoints_secs=None, session_config=None,
               keep_checkpoint_max=5, keep_checkpoint_every_n_hours=10000,
               log_step_count_steps=100, train_distribute=None,
               device_fn=None, protocol=None, eval_distribute=None,
               experimental_distribute=None,
               experimental_max_worker_delay_secs=None,
               session_creation_timeout_secs=7200,
               checkpoint_save_graph_def=True):
    given = dict(locals())
    for name in _UNSUPPORTED:
      if given[name] is not None:
        raise removed.NotProvidedError(
            'tf.estimator.RunConfig(%s=...)' % name,
            'RunConfig without it: legacy_dnn.v1\'s Estimator trains in one '
            'process, on its default device')
    if save_checkpoints_steps is not None and save_checkpoints_secs is not None:
      raise ValueError('RunConfig: save_checkpoints_steps and '
                       'save_checkpoints_secs cannot both be set.')
    if save_checkpoints_steps is None and save_checkpoints_secs is None:
      save_checkpoints_secs = _DEFAULT_CHECKPOINT_SECS
    _check_positive('save_summary_steps', save_summary_steps,
                    allow_zero=True)
    _check_positive('save_checkpoints_steps', save_checkpoints_steps)
    _check_positive('save_checkpoints_secs', save_checkpoints_secs,
                    allow_zero=True)
    _check_positive('keep_checkpoint_max', keep_checkpoint_max,
                    allow_zero=True)
    _check_positive('log_step_count_steps', log_step_count_steps)
    if tf_random_seed is not None and (isinstance(tf_random_seed, bool) or
                                       not isinstance(tf_random_seed, int)):
      raise ValueError('RunConfig(tf_random_seed=%r): must be an int or None'
                       % (tf_random_seed,))
    if session_config is not None and not isinstance(
        session_config, tf.compat.v1.ConfigProto):
      raise ValueError('RunConfig(session_config=%r): must be a '
                       'tf.ConfigProto' % (session_config,))
    _cluster_from_tf_config()
    self._model_dir = model_dir_path(model_dir)
    self._tf_random_seed = tf_random_seed
    self._save_summary_steps = save_summary_steps
    self._save_checkpoints_steps = save_checkpoints_steps
    self._save_checkpoints_secs = save_checkpoints_secs
    self._session_config = session_config
    self._keep_checkpoint_max = keep_checkpoint_max
    self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
    self._log_step_count_steps = log_step_count_steps
    self._session_creation_timeout_secs = session_creation_timeout_secs
    self._checkpoint_save_graph_def = checkpoint_save_graph_def

  def replace(self, **kwargs):
    """A copy with the named properties changed."""
    arguments = {name: getattr(self, name) for name in (
        'model_dir', 'tf_random_seed', 'save_summary_steps',
        'save_checkpoints_steps', 'save_checkpoints_secs', 'session_config',
        'keep_checkpoint_max', 'keep_checkpoint_every_n_hours',
        'log_step_count_steps', 'session_creation_timeout_secs',
        'checkpoint_save_graph_def')}
    unknown = sorted(set(kwargs) - set(arguments))
    if unknown:
      raise ValueError('RunConfig.replace: %s cannot be replaced'
                       % ', '.join(unknown))
    if 'save_checkpoints_steps' in kwargs and 'save_checkpoints_secs' not in kwargs:
      arguments['save_checkpoints_secs'] = None
    if 'save_checkpoints_secs' in kwargs and 'save_checkpoints_steps' not in kwargs:
      arguments['save_checkpoints_steps'] = None
    arguments.update(kwargs)
    return RunConfig(**arguments)

  model_dir = property(lambda self: self._model_dir)
  tf_random_seed = property(lambda self: self._tf_random_seed)
  save_summary_steps = property(lambda self: self._save_summary_steps)
  save_checkpoints_steps = property(lambda self: self._save_checkpoints_steps)
  save_checkpoints_secs = property(lambda self: self._save_checkpoints_secs)
  session_config = property(lambda self: self._session_config)
  keep_checkpoint_max = property(lambda self: self._keep_checkpoint_max)
  keep_checkpoint_every_n_hours = property(
      lambda self: self._keep_checkpoint_every_n_hours)
  log_step_count_steps = property(lambda self: self._log_step_count_steps)
  session_creation_timeout_secs = property(
      lambda self: self._session_creation_timeout_secs)
  checkpoint_save_graph_def = property(
      lambda self: self._checkpoint_save_graph_def)
  # One process: the chief, and its own master.
  master = evaluation_master = ''
  is_chief = True
  task_type = 'worker'
  task_id = 0
  num_ps_replicas = 0
  num_worker_replicas = 1
  global_id_in_cluster = 0
  service = None
  train_distribute = eval_distribute = device_fn = protocol = None
  cluster_spec = property(lambda self: tf.train.ClusterSpec({}))

  def __repr__(self):
    return 'RunConfig(model_dir=%r, tf_random_seed=%r, ...)' % (
        self._model_dir, self._tf_random_seed)


def model_dir_path(model_dir):
  """model_dir (a str or path-like, ~ expanded) as a str, or None."""
  if model_dir is None:
    return None
  return os.fspath(os.path.expanduser(model_dir))
