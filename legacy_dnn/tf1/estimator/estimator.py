"""tf.estimator.Estimator of TensorFlow 1.15, on TensorFlow's own training
machinery: tf.compat.v1.train.MonitoredTrainingSession and its hooks, the
Saver, Scaffold and SavedModel builder that TF 1.15's Estimator ran on.

Each call builds a graph of its own in TF 1.15's order (the random seed of
RunConfig, the global step and its read, the input_fn on the CPU, then the
model_fn), so a model_fn's variables start where TF 1.15's started, and
model_dir holds what TF 1.15 wrote there: checkpoint, graph.pbtxt,
model.ckpt-N.*, events with loss and global_step/sec, and eval/ (or
eval_NAME/) with each evaluation's metrics.

Beyond TF 1.15: a Ctrl-C during train() saves a checkpoint of the step it
reached before it stops (TrainingInterrupted, a KeyboardInterrupt, says
which); the next train() continues from it, as from any checkpoint.
"""

import collections
import copy
import inspect
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from tensorflow.core.framework import summary_pb2  # pylint: disable=g-direct-tensorflow-import
from tensorflow.python.saved_model.model_utils import export_utils  # pylint: disable=g-direct-tensorflow-import
from tensorflow.python.training import training_util  # pylint: disable=g-direct-tensorflow-import

from legacy_dnn.tf1 import removed
from legacy_dnn.tf1.estimator import model_fn as model_fn_lib
from legacy_dnn.tf1.estimator import run_config as run_config_lib

ModeKeys = model_fn_lib.ModeKeys
_log = tf.compat.v1.logging
_MODEL_FN_ARGS = ('features', 'labels', 'mode', 'params', 'config')
# What TF 1.15's Estimators of other kinds (TPUEstimator, the distributed
# ones) took that this one does not.
_DISTRIBUTED_ARGS = ('distribute', 'train_distribute', 'eval_distribute',
                     'use_tpu', 'eval_on_tpu', 'export_to_tpu',
                     'train_batch_size', 'eval_batch_size',
                     'predict_batch_size', 'batch_axis')


class TrainingInterrupted(KeyboardInterrupt):
  """Ctrl-C stopped Estimator.train; a checkpoint of the step it reached
  was saved first. Its message says which."""


def refuse_arguments(api, arguments):
  """One line for the first of arguments (a dict of keyword arguments api
  does not take): a NotProvidedError for a distribution, TPU or
  experimental setting of TF 1.15's (TPU)Estimator, else Python's own
  TypeError."""
  for name in sorted(arguments):
    if name.startswith('experimental_') or name in _DISTRIBUTED_ARGS:
      raise removed.NotProvidedError(
          '%s(%s=...)' % (api, name),
          '%s without it: legacy_dnn.v1\'s Estimator trains in one process, '
          'on its default device' % api)
    raise TypeError('%s() got an unexpected keyword argument %r'
                    % (api, name))


def _fn_args(fn):
  """The names of fn's arguments (a functools.partial's that are left)."""
  try:
    return tuple(inspect.signature(fn).parameters)
  except (TypeError, ValueError):
    return ()


def _check_model_fn(model_fn):
  if not callable(model_fn):
    raise TypeError('model_fn must be callable, given: %r' % (model_fn,))
  args = _fn_args(model_fn)
  if 'features' not in args:
    raise ValueError('model_fn (%s) must include features argument.'
                     % model_fn)
  for name in args:
    if name not in _MODEL_FN_ARGS and name not in ('self',):
      parameter = inspect.signature(model_fn).parameters[name]
      if parameter.default is inspect.Parameter.empty and parameter.kind in (
          parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
        raise ValueError('model_fn (%s) has following not expected args: %s'
                         % (model_fn, [name]))


def _global_step_of(checkpoint):
  try:
    return int(tf.train.load_variable(checkpoint, 'global_step'))
  except (ValueError, tf.errors.NotFoundError):
    return 0


class _DatasetInitializerHook(tf.compat.v1.train.SessionRunHook):
  """Initializes the iterator of the Dataset an input_fn returned."""

  def __init__(self, iterator):
    self._iterator = iterator

  def begin(self):
    self._initializer = self._iterator.initializer

  def after_create_session(self, session, coord):
    del coord
    session.run(self._initializer)


class _SessionKeeper(tf.compat.v1.train.SessionRunHook):
  """Holds the raw session, to save a checkpoint on Ctrl-C."""
  session = None

  def after_create_session(self, session, coord):
    del coord
    self.session = session


class _StopAfterEvals(tf.compat.v1.train.SessionRunHook):
  """Stops an evaluation after num_evals batches (evaluate(steps=...))."""

  def __init__(self, num_evals):
    self._num_evals = num_evals
    self._done = 0

  def after_run(self, run_context, run_values):
    self._done += 1
    if self._done >= self._num_evals:
      run_context.request_stop()


def parse_input_fn_result(result):
  """(features, labels, hooks) of what an input_fn returned: a Dataset of
  (features, labels) or of features, or the tensors themselves."""
  hooks = []
  if isinstance(result, tf.data.Dataset):
    iterator = tf.compat.v1.data.make_initializable_iterator(result)
    hooks.append(_DatasetInitializerHook(iterator))
    result = iterator.get_next()
  if isinstance(result, (list, tuple)):
    if len(result) != 2:
      raise ValueError(
          'input_fn should return (features, labels) as a len 2 tuple.')
    return result[0], result[1], hooks
  return result, None, hooks


class Estimator:
  """A model_fn trained, evaluated, used for prediction and exported, as
  tf.estimator.Estimator did in TensorFlow 1.15.

  Args:
    model_fn: model_fn(features, labels, mode, params, config) ->
      EstimatorSpec; it may leave out all of those arguments but features.
    model_dir: where checkpoints and summaries go (or config.model_dir; a
      new temporary folder when neither is given).
    config: a RunConfig.
    params: a dict handed to model_fn (deep-copied).
    warm_start_from: a checkpoint (or folder) or WarmStartSettings whose
      variables start a model_dir that has no checkpoint yet.
  """

  def __init__(self, model_fn, model_dir=None, config=None, params=None,
               warm_start_from=None, **unsupported):
    refuse_arguments('tf.estimator.%s' % type(self).__name__, unsupported)
    _check_model_fn(model_fn)
    if config is None:
      config = run_config_lib.RunConfig()
    elif not isinstance(config, run_config_lib.RunConfig):
      raise ValueError('config must be an instance of RunConfig, but '
                       'provided %r.' % (config,))
    model_dir = run_config_lib.model_dir_path(model_dir)
    if model_dir and config.model_dir and model_dir != config.model_dir:
      raise ValueError(
          'model_dir are set both in constructor and RunConfig, but with '
          'different values. In constructor: %r, in RunConfig: %r '
          % (model_dir, config.model_dir))
    model_dir = model_dir or config.model_dir
    if not model_dir:
      model_dir = tempfile.mkdtemp()
      _log.warning('Using temporary folder as model directory: %s',
                   model_dir)
    if params is not None and 'params' not in _fn_args(model_fn):
      raise ValueError('model_fn (%s) does not include params argument, but '
                       'params (%s) is passed to Estimator.'
                       % (model_fn, params))
    self._config = config.replace(model_dir=model_dir)
    self._model_dir = model_dir
    self._model_fn = model_fn
    self._params = copy.deepcopy(params or {})
    self._warm_start = _warm_start_settings(warm_start_from)
    _log.info('Using config: %s', self._config)

  model_dir = property(lambda self: self._model_dir)
  config = property(lambda self: copy.deepcopy(self._config))
  params = property(lambda self: copy.deepcopy(self._params))
  model_fn = property(lambda self: self._call_model_fn)

  def latest_checkpoint(self):
    """The path of the newest checkpoint in model_dir, or None."""
    return tf.train.latest_checkpoint(self._model_dir)

  def get_variable_names(self):
    """The names of the variables of the newest checkpoint."""
    return [name for name, _ in tf.train.list_variables(self._checkpoint())]

  def get_variable_value(self, name):
    """A variable's value (a numpy array) from the newest checkpoint."""
    return tf.train.load_variable(self._checkpoint(), name)

  def eval_dir(self, name=None):
    """Where evaluate(name=name) writes its summaries."""
    return os.path.join(self._model_dir,
                        'eval' if not name else 'eval_' + name)

  def _checkpoint(self):
    checkpoint = self.latest_checkpoint()
    if not checkpoint:
      raise ValueError("Couldn't find trained model at %s." % self._model_dir)
    return checkpoint

  # Graph building, shared by the modes.

  def _new_graph(self):
    graph = tf.Graph()
    with graph.as_default():
      tf.compat.v1.set_random_seed(self._config.tf_random_seed)
      tf.compat.v1.train.create_global_step(graph)
    return graph

  def _call_input_fn(self, input_fn, mode):
    args = _fn_args(input_fn)
    kwargs = {}
    if 'mode' in args:
      kwargs['mode'] = mode
    if 'params' in args:
      kwargs['params'] = self.params
    if 'config' in args:
      kwargs['config'] = self.config
    with tf.compat.v1.device('/cpu:0'):
      return parse_input_fn_result(input_fn(**kwargs))

  def _call_model_fn(self, features, labels, mode, config=None):
    args = _fn_args(self._model_fn)
    kwargs = {}
    if 'labels' in args:
      kwargs['labels'] = labels
    elif labels is not None:
      raise ValueError(
          'model_fn does not take labels, but input_fn returns labels.')
    if 'mode' in args:
      kwargs['mode'] = mode
    if 'params' in args:
      kwargs['params'] = self.params
    if 'config' in args:
      kwargs['config'] = config or self.config
    _log.info('Calling model_fn.')
    spec = self._model_fn(features=features, **kwargs)
    _log.info('Done calling model_fn.')
    if not isinstance(spec, model_fn_lib.EstimatorSpec):
      raise ValueError('model_fn should return an EstimatorSpec.')
    return spec

  # Training.

  def train(self, input_fn, hooks=None, steps=None, max_steps=None,
            saving_listeners=None):
    """Trains on input_fn's batches: steps more, up to global step
    max_steps, or until input_fn runs out. Returns self."""
    if steps is not None and max_steps is not None:
      raise ValueError('Can not provide both steps and max_steps.')
    model_fn_lib.check_steps('Estimator.train', 'steps', steps)
    model_fn_lib.check_steps('Estimator.train', 'max_steps', max_steps)
    if max_steps is not None:
      checkpoint = self.latest_checkpoint()
      if checkpoint and max_steps <= _global_step_of(checkpoint):
        _log.info('Skipping training since max_steps has already saved.')
        return self
    hooks = list(model_fn_lib.check_hooks(hooks, 'Estimator.train'))
    if steps is not None or max_steps is not None:
      hooks.append(tf.compat.v1.train.StopAtStepHook(steps, max_steps))
    listeners = list(saving_listeners or [])
    loss = self._train_model(input_fn, hooks, listeners)
    _log.info('Loss for final step: %s.', loss)
    return self

  def _train_model(self, input_fn, hooks, saving_listeners):
    config = self._config
    with self._new_graph().as_default() as graph:
      global_step = tf.compat.v1.train.get_global_step(graph)
      training_util._get_or_create_global_step_read(graph)  # pylint: disable=protected-access
      features, labels, input_hooks = self._call_input_fn(input_fn,
                                                          ModeKeys.TRAIN)
      spec = self._call_model_fn(features, labels, ModeKeys.TRAIN)
      if self._warm_start and not self.latest_checkpoint():
        _log.info('Warm-starting with WarmStartSettings: %s',
                  self._warm_start)
        tf.compat.v1.train.warm_start(*self._warm_start)  # pylint: disable=not-an-iterable
      if not any(op.op.name == 'loss' for op in tf.compat.v1.get_collection(
          tf.compat.v1.GraphKeys.SUMMARIES)):
        tf.compat.v1.summary.scalar('loss', spec.loss)
      tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.LOSSES, spec.loss)
      worker_hooks = list(input_hooks) + hooks
      worker_hooks.append(tf.compat.v1.train.NanTensorHook(spec.loss))
      if config.log_step_count_steps is not None:
        worker_hooks.append(tf.compat.v1.train.LoggingTensorHook(
            {'loss': spec.loss, 'step': global_step},
            every_n_iter=config.log_step_count_steps))
      worker_hooks.extend(spec.training_hooks)
      if not (spec.scaffold.saver or tf.compat.v1.get_collection(
          tf.compat.v1.GraphKeys.SAVERS)):
        tf.compat.v1.add_to_collection(
            tf.compat.v1.GraphKeys.SAVERS,
            tf.compat.v1.train.Saver(
                sharded=True, max_to_keep=config.keep_checkpoint_max,
                keep_checkpoint_every_n_hours=(
                    config.keep_checkpoint_every_n_hours),
                defer_build=True, save_relative_paths=True))
      all_hooks = worker_hooks + list(spec.training_chief_hooks)
      saver_hooks = [hook for hook in all_hooks if isinstance(
          hook, tf.compat.v1.train.CheckpointSaverHook)]
      chief_hooks = []
      if (config.save_checkpoints_secs or config.save_checkpoints_steps) and (
          not saver_hooks):
        chief_hooks = [tf.compat.v1.train.CheckpointSaverHook(
            self._model_dir, save_secs=config.save_checkpoints_secs,
            save_steps=config.save_checkpoints_steps, scaffold=spec.scaffold,
            save_graph_def=config.checkpoint_save_graph_def)]
        saver_hooks = chief_hooks
      if saving_listeners:
        if not saver_hooks:
          raise ValueError(
              'There should be a CheckpointSaverHook to use '
              'saving_listeners. Please set one of the '
              'RunConfig.save_checkpoints_steps or '
              'RunConfig.save_checkpoints_secs.')
        for listener in saving_listeners:
          # pylint: disable=protected-access
          if listener not in saver_hooks[0]._listeners:
            saver_hooks[0]._listeners.append(listener)
      keeper = _SessionKeeper()
      with tf.compat.v1.train.MonitoredTrainingSession(
          checkpoint_dir=self._model_dir, scaffold=spec.scaffold,
          hooks=worker_hooks + [keeper],
          chief_only_hooks=tuple(chief_hooks) +
          tuple(spec.training_chief_hooks),
          save_checkpoint_secs=0,  # The hook above saves them.
          save_summaries_steps=config.save_summary_steps,
          config=config.session_config,
          max_wait_secs=config.session_creation_timeout_secs,
          log_step_count_steps=config.log_step_count_steps,
          save_graph_def=config.checkpoint_save_graph_def) as session:
        loss = None
        steps = 0
        try:
          while not session.should_stop():
            steps += 1
            _, loss = session.run([spec.train_op, spec.loss])
        except KeyboardInterrupt:
          raise self._interrupted(keeper.session, spec.scaffold.saver,
                                  global_step) from None
        if not steps:
          _log.warning('Training with estimator made no steps. Perhaps '
                       'input is empty or misspecified.')
    return loss

  def _interrupted(self, session, saver, global_step):
    """Saves the step Ctrl-C stopped at; the exception that says so."""
    if session is None or saver is None:
      return TrainingInterrupted(
          'Estimator.train interrupted before its first step')
    step = session.run(global_step)
    path = saver.save(session, os.path.join(self._model_dir, 'model.ckpt'),
                      global_step=step)
    return TrainingInterrupted(
        'Estimator.train interrupted at step %d: saved %s; train again to '
        'continue from there' % (step, path))

  # Evaluation.

  def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None,
               name=None):
    """Scores the newest checkpoint (or checkpoint_path) on input_fn's
    batches, steps of them or until it runs out; writes the metrics to
    eval_dir(name) and returns them with global_step."""
    model_fn_lib.check_steps('Estimator.evaluate', 'steps', steps)
    hooks = list(model_fn_lib.check_hooks(hooks, 'Estimator.evaluate'))
    if steps is not None:
      hooks.append(_StopAfterEvals(steps))
    if not checkpoint_path:
      checkpoint_path = self.latest_checkpoint()
      if not checkpoint_path:
        _log.info('Could not find trained model in model_dir: %s, running '
                  'initialization to evaluate.', self._model_dir)
    with self._new_graph().as_default() as graph:
      features, labels, input_hooks = self._call_input_fn(input_fn,
                                                          ModeKeys.EVAL)
      spec = self._call_model_fn(features, labels, ModeKeys.EVAL)
      metrics = dict(spec.eval_metric_ops)
      if model_fn_lib.LOSS_METRIC_KEY in metrics:
        raise ValueError('Metric with name "%s" is not allowed, because '
                         'Estimator already defines a default metric with '
                         'the same name.' % model_fn_lib.LOSS_METRIC_KEY)
      metrics[model_fn_lib.LOSS_METRIC_KEY] = tf.compat.v1.metrics.mean(
          spec.loss)
      if 'global_step' in metrics:
        raise ValueError('Metric with name `global_step` is not allowed, '
                         'because Estimator already defines a default '
                         'metric with the same name.')
      values = {key: value for key, (value, _) in metrics.items()}
      values['global_step'] = tf.compat.v1.train.get_global_step(graph)
      updates = [update for _, update in metrics.values()]
      all_hooks = input_hooks + hooks + list(spec.evaluation_hooks)
      results = _evaluate_once(checkpoint_path, spec.scaffold, updates,
                               values, all_hooks,
                               self._config.session_config)
    _write_dict_to_summary(self.eval_dir(name), results,
                           results['global_step'])
    if checkpoint_path:
      _write_checkpoint_path_to_summary(self.eval_dir(name), checkpoint_path,
                                        results['global_step'])
    return results

  # Prediction.

  def predict(self, input_fn, predict_keys=None, hooks=None,
              checkpoint_path=None, yield_single_examples=True):
    """Yields the predictions of input_fn's features, one example (a dict
    when the model_fn's predictions are one, else an array) at a time, or
    one batch at a time with yield_single_examples=False."""
    hooks = list(model_fn_lib.check_hooks(hooks, 'Estimator.predict'))
    if not checkpoint_path:
      checkpoint_path = self.latest_checkpoint()
      if not checkpoint_path:
        _log.info('Could not find trained model in model_dir: %s, running '
                  'initialization to predict.', self._model_dir)
    with self._new_graph().as_default():
      features, _, input_hooks = self._call_input_fn(input_fn,
                                                     ModeKeys.PREDICT)
      spec = self._call_model_fn(features, None, ModeKeys.PREDICT)
      predictions = _chosen(spec.predictions, predict_keys)
      with tf.compat.v1.train.MonitoredSession(
          session_creator=tf.compat.v1.train.ChiefSessionCreator(
              checkpoint_filename_with_path=checkpoint_path,
              scaffold=spec.scaffold, config=self._config.session_config),
          hooks=input_hooks + hooks + list(spec.prediction_hooks)) as session:
        while not session.should_stop():
          batch = session.run(predictions)
          if not yield_single_examples:
            yield batch
          elif not isinstance(batch, dict):
            yield from batch
          else:
            length = _batch_length(batch)
            for i in range(length):
              yield {key: value[i] for key, value in batch.items()}

  # Export.

  def export_saved_model(self, export_dir_base, serving_input_receiver_fn,
                         assets_extra=None, as_text=False,
                         checkpoint_path=None,
                         experimental_mode=ModeKeys.PREDICT):
    """Writes a SavedModel of the newest checkpoint (or checkpoint_path)
    for TensorFlow Serving to export_dir_base/<timestamp>; returns that
    folder's path (bytes, as TF 1.15)."""
    if experimental_mode != ModeKeys.PREDICT:
      raise removed.NotProvidedError(
          'Estimator.export_saved_model(experimental_mode=%r)'
          % experimental_mode, 'the default, ModeKeys.PREDICT')
    if serving_input_receiver_fn is None:
      raise ValueError('An input_receiver_fn must be defined.')
    if not checkpoint_path:
      checkpoint_path = self._checkpoint()
    export_dir = export_utils.get_timestamped_export_dir(export_dir_base)
    temp_dir = os.fsdecode(export_utils.get_temp_export_dir(export_dir))
    with self._new_graph().as_default() as graph:
      receiver = serving_input_receiver_fn()
      spec = self._call_model_fn(receiver.features, None, ModeKeys.PREDICT)
      signatures = export_utils.build_all_signature_defs(
          receiver.receiver_tensors, spec.export_outputs,
          receiver.receiver_tensors_alternatives)
      local_init = (spec.scaffold.local_init_op or
                    tf.compat.v1.train.Scaffold.default_local_init_op())
      saver = spec.scaffold.saver or tf.compat.v1.train.Saver(sharded=True)
      with tf.compat.v1.Session(config=self._config.session_config) as sess:
        saver.restore(sess, checkpoint_path)
        builder = tf.compat.v1.saved_model.Builder(temp_dir)
        builder.add_meta_graph_and_variables(
            sess, [tf.saved_model.SERVING], signature_def_map=signatures,
            assets_collection=graph.get_collection(
                tf.compat.v1.GraphKeys.ASSET_FILEPATHS),
            main_op=local_init, saver=saver, strip_default_attrs=True)
        builder.save(as_text)
    for destination, source in (assets_extra or {}).items():
      target = os.path.join(temp_dir, 'assets.extra', destination)
      os.makedirs(os.path.dirname(target), exist_ok=True)
      shutil.copyfile(source, target)
    os.rename(temp_dir, os.fsdecode(export_dir))
    return export_dir

  export_savedmodel = export_saved_model


class WarmStartSettings(collections.namedtuple('WarmStartSettings', [
    'ckpt_to_initialize_from', 'vars_to_warm_start', 'var_name_to_vocab_info',
    'var_name_to_prev_var_name'])):
  """Which variables of which checkpoint (or folder) start a model_dir that
  has none yet: tf.compat.v1.train.warm_start's arguments, as TF 1.15's
  tf.estimator.WarmStartSettings. vars_to_warm_start '.*' is every
  trainable variable."""

  def __new__(cls, ckpt_to_initialize_from, vars_to_warm_start='.*',
              var_name_to_vocab_info=None, var_name_to_prev_var_name=None):
    if not ckpt_to_initialize_from:
      raise ValueError(
          '`ckpt_to_initialize_from` MUST be set in WarmStartSettings')
    return super().__new__(cls, os.fspath(ckpt_to_initialize_from),
                           vars_to_warm_start, var_name_to_vocab_info or {},
                           var_name_to_prev_var_name or {})


def _warm_start_settings(warm_start_from):
  """The WarmStartSettings of warm_start_from (a path or settings), or
  None."""
  if warm_start_from is None:
    return None
  if isinstance(warm_start_from, (str, bytes, os.PathLike)):
    return WarmStartSettings(warm_start_from)
  if isinstance(warm_start_from, WarmStartSettings):
    return warm_start_from
  raise ValueError('warm_start_from must be a string or a '
                   'WarmStartSettings, instead got %s'
                   % type(warm_start_from))


def add_metrics(estimator, metric_fn):
  """A new Estimator like estimator whose evaluation also reports
  metric_fn's metrics: metric_fn takes any of features, labels,
  predictions, config and returns {name: (value, update_op)}."""
  # pylint: disable=protected-access
  def model_fn(features, labels, mode, config):
    spec = estimator._call_model_fn(features, labels, mode, config)
    if mode != ModeKeys.EVAL:
      return spec
    given = {'features': features, 'labels': labels,
             'predictions': spec.predictions, 'config': config}
    metrics = metric_fn(**{name: given[name] for name in _fn_args(metric_fn)
                           if name in given})
    return spec._replace(eval_metric_ops=dict(
        spec.eval_metric_ops, **model_fn_lib._metric_ops(metrics)))

  return Estimator(model_fn, model_dir=estimator.model_dir,
                   config=estimator.config,
                   warm_start_from=estimator._warm_start)


def _chosen(predictions, predict_keys):
  if not predict_keys:
    return predictions
  if not isinstance(predictions, dict):
    raise ValueError('predict_keys argument is not valid in case of '
                     'non-dict predictions.')
  chosen = {key: value for key, value in predictions.items()
            if key in predict_keys}
  if not chosen:
    raise ValueError('Expected to run at least one output from %s, provided '
                     '%s.' % (list(predictions), predict_keys))
  return chosen


def _batch_length(batch):
  length = None
  for key, value in batch.items():
    length = length or value.shape[0]
    if value.shape[0] != length:
      raise ValueError('Batch length of predictions should be same. %s has '
                       'different batch length than others.' % key)
  return length


def _evaluate_once(checkpoint_path, scaffold, updates, values, hooks,
                   session_config):
  """Runs the metrics' updates over the input from checkpoint_path (or
  fresh variables), then reads their values: the loop of TF 1.15's
  evaluation._evaluate_once."""
  eval_step = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.EVAL_STEP)
  if not eval_step:
    eval_step = [tf.compat.v1.get_local_variable(
        'eval_step', shape=[], dtype=tf.int64,
        initializer=tf.compat.v1.zeros_initializer(), trainable=False,
        collections=[tf.compat.v1.GraphKeys.LOCAL_VARIABLES,
                     tf.compat.v1.GraphKeys.EVAL_STEP])]
  updates = updates + [tf.compat.v1.assign_add(eval_step[0], 1,
                                               use_locking=True)]
  final = tf.compat.v1.train.FinalOpsHook(values)
  _log.info('Starting evaluation')
  with tf.compat.v1.train.MonitoredSession(
      session_creator=tf.compat.v1.train.ChiefSessionCreator(
          scaffold=scaffold, checkpoint_filename_with_path=checkpoint_path,
          config=session_config),
      hooks=hooks + [final]) as session:
    while not session.should_stop():
      session.run(updates)
  _log.info('Finished evaluation')
  return final.final_ops_values


def _write_dict_to_summary(output_dir, results, global_step):
  """The scalars of an evaluation, in output_dir's events at global_step."""
  _log.info('Saving dict for global step %d: %s', global_step, ', '.join(
      '%s = %s' % (key, value) for key, value in sorted(results.items())))
  summary = summary_pb2.Summary()
  for key, value in results.items():
    if value is None or key == 'global_step':
      continue
    if isinstance(value, (np.floating, float, np.integer, int)):
      summary.value.add(tag=key, simple_value=float(value))
    elif isinstance(value, bytes):
      try:
        values = summary_pb2.Summary.FromString(value).value
      except Exception:  # pylint: disable=broad-except
        _log.warning('Skipping summary for %s, cannot parse string to '
                     'Summary.', key)
        continue
      for i, one in enumerate(values):
        one.tag = '%s/%d' % (key, i)
      summary.value.extend(values)
    elif isinstance(value, np.ndarray):
      one = summary.value.add(tag=key, node_name=key)
      one.tensor.CopyFrom(tf.make_tensor_proto(value))
    else:
      _log.warning('Skipping summary for %s, must be a float, np.float32, '
                   'np.int64, np.int32 or int or a serialized string of '
                   'Summary.', key)
  writer = tf.compat.v1.summary.FileWriterCache.get(output_dir)
  writer.add_summary(summary, global_step)
  writer.flush()


def _write_checkpoint_path_to_summary(output_dir, checkpoint_path,
                                      global_step):
  summary = summary_pb2.Summary()
  summary.value.add(tag='checkpoint_path', tensor=tf.make_tensor_proto(
      checkpoint_path, dtype=tf.string))
  writer = tf.compat.v1.summary.FileWriterCache.get(output_dir)
  writer.add_summary(summary, global_step)
  writer.flush()
