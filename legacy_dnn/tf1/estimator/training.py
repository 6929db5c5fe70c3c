"""tf.estimator.train_and_evaluate of TensorFlow 1.15, in one process (its
"local" mode): train to TrainSpec.max_steps, evaluating with EvalSpec after
each checkpoint that throttle_secs allows and after the last one, and
calling EvalSpec's exporters after each evaluation."""

import collections
import os
import time

import tensorflow as tf

from legacy_dnn.tf1.estimator import estimator as estimator_lib
from legacy_dnn.tf1.estimator import export as export_lib
from legacy_dnn.tf1.estimator.model_fn import check_hooks
from legacy_dnn.tf1.estimator.model_fn import check_steps

_log = tf.compat.v1.logging


class TrainSpec(collections.namedtuple(
    'TrainSpec', ['input_fn', 'max_steps', 'hooks', 'saving_listeners'])):
  """train_and_evaluate's training: input_fn, up to global step
  max_steps (None: until input_fn runs out)."""

  def __new__(cls, input_fn, max_steps=None, hooks=None,
              saving_listeners=None):
    if not callable(input_fn):
      raise TypeError('TrainSpec: input_fn must be callable, given: %r'
                      % (input_fn,))
    check_steps('TrainSpec', 'max_steps', max_steps)
    return super().__new__(cls, input_fn, max_steps,
                           check_hooks(hooks, 'TrainSpec'),
                           tuple(saving_listeners or ()))


class EvalSpec(collections.namedtuple(
    'EvalSpec', ['input_fn', 'steps', 'name', 'hooks', 'exporters',
                 'start_delay_secs', 'throttle_secs'])):
  """train_and_evaluate's evaluation: input_fn, steps batches of it (None:
  until it runs out), at most once every throttle_secs, then exporters."""

  def __new__(cls, input_fn, steps=100, name=None, hooks=None,
              exporters=None, start_delay_secs=120, throttle_secs=600):
    if not callable(input_fn):
      raise TypeError('EvalSpec: input_fn must be callable, given: %r'
                      % (input_fn,))
    check_steps('EvalSpec', 'steps', steps)
    if name is not None and not isinstance(name, str):
      raise TypeError('EvalSpec: name must be a string, given: %r' % (name,))
    if exporters is None:
      exporters = ()
    elif isinstance(exporters, export_lib.Exporter):
      exporters = (exporters,)
    exporters = tuple(exporters)
    for exporter in exporters:
      if not isinstance(exporter, export_lib.Exporter):
        raise TypeError('EvalSpec: exporters must be Exporter instances, '
                        'given: %r' % (exporter,))
    names = [exporter.name for exporter in exporters]
    if len(set(names)) != len(names):
      raise ValueError('EvalSpec: exporters must have unique names: %s'
                       % names)
    for name_, value in (('start_delay_secs', start_delay_secs),
                         ('throttle_secs', throttle_secs)):
      if value < 0:
        raise ValueError('EvalSpec: %s must be >= 0, given: %r'
                         % (name_, value))
    return super().__new__(cls, input_fn, steps, name,
                           check_hooks(hooks, 'EvalSpec'), exporters,
                           start_delay_secs, throttle_secs)


class _EvaluateAfterSave(tf.compat.v1.train.CheckpointSaverListener):
  """Evaluates (and exports) after a checkpoint is saved, at most once
  every throttle_secs, and after the last one; not after the first, which
  is the untrained model."""

  def __init__(self, estimator, eval_spec, max_steps):
    self._estimator = estimator
    self._eval_spec = eval_spec
    self._max_steps = max_steps
    self.eval_result = None
    self.export_results = []
    self._last_step = None
    self._last_time = None
    self._first = True

  def after_save(self, session, global_step_value):
    del session
    if self._first:
      self._first = False
      return
    if (self._last_time is not None and
        time.time() - self._last_time < self._eval_spec.throttle_secs):
      _log.info('Skip the current checkpoint eval due to throttle secs '
                '(%s secs).', self._eval_spec.throttle_secs)
      return
    self._evaluate(global_step_value)

  def end(self, session, global_step_value):
    del session
    if global_step_value != self._last_step:
      self._evaluate(global_step_value)

  def _evaluate(self, global_step_value):
    self._last_step = global_step_value
    self._last_time = time.time()
    checkpoint = self._estimator.latest_checkpoint()
    self.eval_result = self._estimator.evaluate(
        self._eval_spec.input_fn, steps=self._eval_spec.steps,
        name=self._eval_spec.name, checkpoint_path=checkpoint,
        hooks=list(self._eval_spec.hooks))
    final = bool(self._max_steps and
                 self.eval_result['global_step'] >= self._max_steps)
    self.export_results = []
    for exporter in self._eval_spec.exporters:
      path = os.path.join(self._estimator.model_dir, 'export', exporter.name)
      self.export_results.append(exporter.export(
          self._estimator, path, checkpoint, self.eval_result, final))


def train_and_evaluate(estimator, train_spec, eval_spec):
  """Trains estimator with train_spec, evaluating with eval_spec after its
  checkpoints (RunConfig's save_checkpoints_steps or _secs say when).

  Returns:
    (the last evaluation's metrics, or None; what its exporters returned).
  """
  if not isinstance(estimator, estimator_lib.Estimator):
    raise TypeError('`estimator` must have type `tf.estimator.Estimator`, '
                    'given %s' % type(estimator))
  if not isinstance(train_spec, TrainSpec):
    raise TypeError('`train_spec` must have type `tf.estimator.TrainSpec`. '
                    'Got: %s' % type(train_spec))
  if not isinstance(eval_spec, EvalSpec):
    raise TypeError('`eval_spec` must have type `tf.estimator.EvalSpec`. '
                    'Got: %s' % type(eval_spec))
  config = estimator.config
  _log.info('Start train and evaluate loop. The evaluate will happen after '
            'every checkpoint. Checkpoint frequency is determined based on '
            'RunConfig arguments: save_checkpoints_steps %s or '
            'save_checkpoints_secs %s.', config.save_checkpoints_steps,
            config.save_checkpoints_secs)
  listener = _EvaluateAfterSave(estimator, eval_spec, train_spec.max_steps)
  estimator.train(train_spec.input_fn, hooks=list(train_spec.hooks),
                  max_steps=train_spec.max_steps,
                  saving_listeners=list(train_spec.saving_listeners) +
                  [listener])
  return listener.eval_result, listener.export_results
