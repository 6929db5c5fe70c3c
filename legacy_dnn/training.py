"""The training loop: train(config) -> loop.Result.

train() readies the run's folder and data, builds the graph, opens the
session, and runs the loop of this process's part: one process's (here), a
cluster chief's or another worker's (shares.py). Each epoch of each loop:
train on shuffled batches, then loop.end_epoch: evaluate on the validation
set, write summaries, keep the best model, checkpoint, decide whether to
stop. Every random choice is a function of (seed, epoch) or (seed, global
step), so a run that is interrupted and resumed, any number of times, ends
with the same variables as one that never stopped.
"""

import contextlib
import dataclasses
import datetime
import os
import signal
import time

import numpy as np
import tensorflow as tf

from legacy_dnn import checkpoints
from legacy_dnn import config as config_lib
from legacy_dnn import data
from legacy_dnn import distributed
from legacy_dnn import interrupts as interrupts_lib
from legacy_dnn import loop
from legacy_dnn import model
from legacy_dnn import multistep
from legacy_dnn import precision
from legacy_dnn import presets
from legacy_dnn import shapes
from legacy_dnn import shares
from legacy_dnn import summaries
from legacy_dnn.errors import UserError
from legacy_dnn.loop import (Result, Run, Timing, check_loss, is_finished,
                             progress_bar, say, should_stop_early)


def model_summary(variables, frozen=()):
  """The seed-style table of trainable variables and their sizes.

  frozen: those of the variables the optimizer leaves alone (--freeze).
  """
  rows = [(v.op.name, str(tuple(v.shape.as_list())),
           shapes.parameter_count([v])) for v in variables]
  width = max(len(r[0]) for r in rows) + 2
  lines = ['%-*s %-12s %12s' % (width, 'Variable', 'Shape', 'Parameters')]
  lines += ['%-*s %-12s %12s' % (width, name, shape, format(n, ','))
            for name, shape, n in rows]
  lines.append('Total trainable parameters: %s%s' % (
      format(shapes.parameter_count(variables), ','),
      ' (%s frozen)' % format(shapes.parameter_count(frozen), ',')
      if frozen else ''))
  return '\n'.join(lines)


def session_threads(config):
  """(intra-op, inter-op) thread counts for the run; 0 is one per core.

  The flags win. Otherwise a small network gets one thread per op and, if
  its step is tiny, one op at a time: on the 2-core machines this project is
  measured on, waking another thread costs tens of microseconds, more than
  splitting a 100x512 op or overlapping two small matmuls saves. TensorFlow's
  oneDNN matmuls already run single-threaded below the L2 cache size. The
  seed networks' steps are 2-24% faster so (docs/speed.md); big batches
  keep TensorFlow's defaults. The counts never change the results.
  """
  image_shape = data.DATASETS[config.dataset].image_shape
  widest = max(int(np.prod(image_shape)),
               shapes.widest_layer(config, image_shape))
  small_batch = (config.batch_size * widest <=
                 config_lib.SMALL_BATCH_ACTIVATIONS)
  small_step = (config.batch_size * shapes.flops_per_example(
      config, image_shape) < config_lib.SMALL_STEP_FLOPS)
  intra, inter = config.intra_op_threads, config.inter_op_threads
  return (1 if intra is None and small_batch else intra or 0,
          1 if inter is None and small_batch and small_step else inter or 0)


# The thread counts of the process's first run (use_threads): later runs in
# the process (a sweep's trials) get them too.
_process_threads = {}


def _prepare_model_dir(config, now):
  """Moves an old run aside for --restart; returns (run name, lock file,
  the epochs the run was last asked for, or None for a new run)."""
  if config.restart and os.path.isdir(config.model_dir) and os.listdir(
      config.model_dir):
    moved = checkpoints.move_aside(config.model_dir, now)
    say('--restart: moved the previous run in %s to %s'
        % (config.model_dir, moved))
  lock = checkpoints.lock(config.model_dir)
  asked = None
  try:
    record = checkpoints.read_run_record(config.model_dir)
    settings = config.settings()
    has_checkpoints = any(name.startswith(checkpoints.CHECKPOINT_PREFIX + '-')
                          for name in os.listdir(config.model_dir))
    if record is not None and has_checkpoints:
      checkpoints.check_settings(
          config.model_dir, config_lib.complete_settings(record['settings']),
          settings)
      run_name = record['run_name']
      asked = record['settings'].get('epochs')
    else:
      run_name = ((record or {}).get('run_name') or config.run_name or
                  summaries.run_name(
                      config.logdir,
                      config_lib.run_label(config.variant, config.dataset), now))
    checkpoints.write_run_record(config.model_dir, settings, run_name,
                                 config_lib.data_record(config))
  except BaseException:
    lock.close()
    raise
  return run_name, lock, asked


def interrupted_line(result, config):
  """The scripts' line for a run a signal stopped."""
  return ('Interrupted by %s during epoch %d; %s'
          % (signal.Signals(result.interrupted_by).name, result.epochs + 1,
             'saved a checkpoint in %s. Run the same command again to '
             'resume.' % config.model_dir if config.cluster is None else
             'stopped the workers and saved a checkpoint in %s. Run the same '
             'command again to rejoin the running cluster, or every command '
             'of the cluster to start it again from the checkpoint.'
             % config.model_dir))


def train(config, interrupts=None, on_interrupt=interrupted_line):
  """Trains, or resumes, the run that config describes.

  Args:
    config: a config.TrainConfig. With a cluster, this process is one of its
      workers (scripts/train.py serves a ps task itself).
    interrupts: an entered interrupts.Interrupts whose signals stop training,
      for a caller that catches SIGINT and SIGTERM beyond this run (one that
      came before training began stops it after its first step). None: the
      run catches them itself while it trains (in the main thread only).
    on_interrupt: (Result, config) -> the line said when a signal stopped
      the run; the scripts' by default. None says nothing (the caller
      reports the interrupt).

  Returns:
    A Result, with the run's history (every finished epoch's figures).

  Raises:
    errors.UserError: bad data, an unusable model_dir, a diverged loss, or a
      lost cluster task.
  """
  _check_layers(config)
  if config.deterministic:
    tf.config.experimental.enable_op_determinism()
  now = datetime.datetime.now(datetime.timezone.utc)
  cluster = config.cluster
  if cluster is None or cluster.is_chief:
    run_name, lock, asked = _prepare_model_dir(config, now)
  else:  # Only the chief writes.
    run_name, lock, asked = None, contextlib.nullcontext(), None
  with lock:
    dataset = data.DATASETS[config.dataset]
    # The images stay bytes; each batch becomes float32 as it is fed.
    splits = data.run_splits(config, pixels=True)
    if not len(splits.train[0]):
      raise UserError('--classes=%s: no training examples of those classes'
                      % ','.join(map(str, config.classes)))
    say(data.describe(dataset, splits, config.classes))
    timing = Timing(data_at=time.time())
    run_dir = run_name and os.path.join(config.logdir, run_name)
    try:
      result = _run(config, splits, run_dir, timing, interrupts, asked)
    except distributed.LOST_TASK_ERRORS as e:
      if cluster is None:
        raise
      raise distributed.lost_task_error(cluster, e, config.model_dir) from None
  if (result.interrupted_by is not None and on_interrupt is not None
      and (cluster is None or cluster.is_chief)):
    say(on_interrupt(result, config))
  return dataclasses.replace(
      result, model_dir=config.model_dir,
      history=loop.Epoch.from_records(checkpoints.read_history(
          config.model_dir, result.epochs)))


def _check_layers(config):
  config_lib.check_dataset(config)
  image_shape = data.DATASETS[config.dataset].image_shape
  for layer, shape in shapes.layer_shapes(config, image_shape):
    if min(shape) < 1:
      raise UserError(
          '--filters=%s: the %s layers of %s shrink its %s images to nothing'
          % (','.join(map(str, config.filters)), config.variant,
             config.dataset, 'x'.join(map(str, image_shape[:2]))))
  layers = presets.layer_names(config)
  for flag in ('warm_start_layers', 'freeze'):
    unknown = [l for l in getattr(config, flag) if l not in layers]
    if unknown:
      raise UserError('--%s=%s: the network has no layer %s (it has %s)'
                      % (flag, ','.join(getattr(config, flag)), unknown[0],
                         ', '.join(layers)))
  if set(config.freeze) >= set(layers):
    raise UserError('--freeze=%s leaves nothing to train'
                    % ','.join(config.freeze))


def use_threads(config):
  """The (intra-op, inter-op) thread counts of this process's sessions.

  TensorFlow sizes its pools at a process's first session and keeps them, so
  the first run's counts stay. A session runs a while loop's ops, those of
  model.training_loop(), on the process's own pools, not the session's, so
  those are set to the same counts: a convolution's results depend on its
  threads.
  """
  if 'threads' not in _process_threads:
    threads = session_threads(config)
    try:
      tf.config.threading.set_intra_op_parallelism_threads(threads[0])
      tf.config.threading.set_inter_op_parallelism_threads(threads[1])
    except RuntimeError:  # This process ran eager ops before.
      pass
    _process_threads['threads'] = threads
  return _process_threads['threads']


def _build(config, splits):
  """The run's graph, finalized: (graph, model, checkpointer, histogram op,
  init op, the distributed.Replication of a cluster's worker or None)."""
  cluster = config.cluster
  with tf.Graph().as_default() as graph, (
      distributed.device_scope(cluster) if cluster
      else contextlib.nullcontext()):
    replication = None if cluster is None else distributed.Replication(
        cluster, distributed.fingerprint(config), config.precision)
    dataset = data.DATASETS[config.dataset]
    # A cluster's workers take a step a call: each step also reads the
    # share's state from the ps tasks (shares.py).
    m = model.build(config, replication and replication.wrap_optimizer,
                    data.scaler(splits.train[0]) if dataset.standardize
                    else None, loop=(replication is None and
                                     multistep.steps_per_call(config) > 1))
    run_state = checkpoints.RunState()
    ckpt = checkpoints.Checkpointer(
        config.model_dir, run_state,
        model.layer_variables(config.warm_start_layers),
        [replication.batches, replication.open_epoch] if replication else ())
    if replication:
      replication.build(m, run_state)
    histogram_op = summaries.histograms(tf.compat.v1.trainable_variables())
    init_op = tf.compat.v1.global_variables_initializer()
    say(model_summary(tf.compat.v1.trainable_variables(),
                      model.layer_variables(config.freeze)))
    graph.finalize()
  return graph, m, ckpt, histogram_op, init_op, replication


def _run(config, splits, run_dir, timing, interrupts=None, asked=None):
  """Builds the graph and opens the session; then the loop of this
  process's part: one process's, a cluster chief's, or a follower's.

  asked: the epochs the run in model_dir was last asked for (None: new).
  """
  cluster = config.cluster
  threads = use_threads(config)
  line = precision.notice(config.precision, precision.cpu_flags())
  if line:
    say(line)
  server = distributed.start_server(cluster, threads) if cluster else None
  graph, m, ckpt, histogram_op, init_op, replication = _build(config, splits)
  timing.graph_at = time.time()
  run = Run(sess=None, model=m, ckpt=ckpt, splits=splits, config=config,
            timing=timing, histogram_op=histogram_op, run_dir=run_dir,
            replication=replication)
  if cluster is None:
    sess = tf.compat.v1.Session(graph=graph, config=precision.session_config(
        config.precision, intra_op_parallelism_threads=threads[0],
        inter_op_parallelism_threads=threads[1]))
    with sess as sess:
      return _lead(dataclasses.replace(run, sess=sess), init_op, threads,
                   interrupts, asked)
  say(distributed.describe(cluster, run.n_batches))
  if not cluster.is_chief:
    with distributed.closing(replication.join(server, graph),
                             cluster) as sess:
      return _follow(dataclasses.replace(run, sess=sess, run_dir=None))
  with distributed.closing(replication.session(server, graph),
                           cluster) as sess:
    return _lead(dataclasses.replace(run, sess=sess), init_op, threads,
                 interrupts, asked)


def _lead(run, init_op, threads, interrupts, asked=None):
  """One process's run, or a cluster chief's: restore or initialize (or
  rejoin the cluster), train, and score the best model on the test set."""
  sess, ckpt, config, replication = (run.sess, run.ckpt, run.config,
                                     run.replication)
  # A chief restarted while the ps tasks and workers went on keeps their
  # run; synchronous training has no such rejoin (its token queues start
  # with the chief), so its chief restores its checkpoint as at a start.
  rejoined = (replication is not None and
              not config.cluster.sync_replicas and replication.running(sess))
  if rejoined:
    state = shares.rejoin(run)
  else:
    state = ckpt.restore_or_initialize(sess, init_op)
  fresh = state is None
  if fresh and config.warm_start_from:
    source = ckpt.warm_start(sess, config.warm_start_from)
    say('Warm start: %s from %s%s' % (
        ','.join(config.warm_start_layers), source,
        '; frozen: ' + ','.join(config.freeze) if config.freeze else ''))
  state = state or checkpoints.INITIAL_STATE
  trained = None
  if replication is None:
    trained = _trained_by_a_cluster(ckpt, state, run.n_batches)
  elif not rejoined:
    state = shares.start(run, state)
  run.timing.session_at = time.time()
  if is_finished(state, config):
    say('This run already finished after %d epochs; evaluating its best '
        'model. Pass --restart to train it again.' % state.epoch)
    return loop.finish(run, state)
  if not fresh and not rejoined:
    extended = (asked is not None and state.epoch >= asked and
                not should_stop_early(state.wait, config.patience))
    say('%s. Continuing at epoch %d' % (
        'The run finished its %d epochs; asked for %d' % (asked, config.epochs)
        if extended else 'Training was interrupted', state.epoch + 1))
  writers = summaries.Writers(run.run_dir, state.epoch + 1,
                              sess.graph if fresh else None)
  say('Threads: intra-op %d, inter-op %d (0 is one per core)' % threads)
  say('TensorBoard logs: %s   checkpoints: %s'
      % (run.run_dir, config.model_dir))
  try:
    with (contextlib.nullcontext(interrupts) if interrupts is not None
          else interrupts_lib.Interrupts()) as interrupts:
      run = dataclasses.replace(run, writers=writers, interrupts=interrupts)
      if replication is None:
        state, signum = _train_epochs(run, state, trained)
      else:
        state, signum = shares.chief_epochs(run, state)
  finally:
    writers.close()
  if signum is None:
    return loop.finish(run, state)
  return Result(state.epoch, state.best_epoch, None, False, signum,
                run.run_dir, run.timing)


def _follow(run):
  """A cluster's worker other than the chief: its share of each epoch
  (shares.follow_chief), and its last line.

  Returns:
    A Result without test figures: the chief evaluates.
  """
  run.timing.session_at = time.time()
  with interrupts_lib.Interrupts() as interrupts:
    state, signum = shares.follow_chief(
        dataclasses.replace(run, interrupts=interrupts))
  if signum is not None:
    say('Interrupted by %s; run the same command again to rejoin the '
        'cluster' % signal.Signals(signum).name)
  return Result(state.epoch, state.best_epoch, None,
                should_stop_early(state.wait, run.config.patience), signum,
                None, run.timing)


def _trained_by_a_cluster(ckpt, state, n_batches):
  """The batches of the open epoch that a cluster's mid-epoch checkpoint
  says are trained, for one process that resumes it; None for any other
  checkpoint."""
  progress = ckpt.restored and shares.saved_progress(ckpt.restored)
  if not progress or progress[0] != state.epoch or not sum(progress[1]):
    return None
  trained = shares.trained(n_batches, progress[1])
  say('The checkpoint was saved by a cluster during epoch %d, after %d of '
      'its %d batches; this process trains the rest'
      % (state.epoch + 1, len(trained), n_batches))
  return trained


def _train_epochs(run, state, trained=None):
  """One process's epoch loop; returns (final State, signal number or
  None).

  The steps go to the session in calls of several (multistep.py); a signal
  is seen between calls.
  trained: batches of the first epoch that a cluster trained before its
  mid-epoch checkpoint; they are skipped, and a signal in that epoch stops
  training at its end (a checkpoint of ours mid-way could not say which
  batches it holds).
  """
  sess, config, interrupts = run.sess, run.config, run.interrupts
  X_train, y_train = run.splits.train
  trainer = multistep.Trainer(sess, run.model, config)
  per_call = multistep.steps_per_call(config)
  step = int(sess.run(run.model.global_step))
  first_epoch = state.epoch
  for epoch in range(state.epoch, config.epochs):
    start = time.time()
    sums = state.loss_sum, state.metric_sum
    order = data.batch_indices(len(X_train), config.batch_size,
                               data.epoch_rng(config.seed, epoch))
    skip = set(trained) if trained and epoch == first_epoch else None
    if skip is None:
      # After an interrupted epoch, skip the batches it already trained on.
      # A synchronous cluster's checkpoints (epoch ends) need not fall on
      # n_batches steps.
      skipped = min(max(0, step - epoch * run.n_batches), run.n_batches)
      batches = order[skipped:]
      done = data.examples_in_batches(len(X_train), config.batch_size,
                                      skipped)
    else:
      batches = [b for j, b in enumerate(order) if j not in skip]
      done = shares.examples(len(X_train), config.batch_size, skip)
    deferred = False
    with progress_bar(epoch + 1, len(X_train), done) as bar:
      for traced, call in multistep.calls(batches, step, per_call,
                                          config.trace_every):
        if traced:
          sums = trainer.traced(X_train, y_train, call[0], sums,
                                run.writers, step + 1)
        else:
          sums = trainer.train(X_train, y_train, call, sums)
        check_loss(sums[0], epoch + 1, config)
        step += len(call)
        if run.timing.first_step_at is None:
          run.timing.first_step_at = time.time()
        bar.update(sum(len(b) for b in call))
        if interrupts.signum is not None and skip is None:
          state = state._replace(loss_sum=sums[0], metric_sum=sums[1])
          run.ckpt.run_state.write(sess, state)
          run.save()
          return state, interrupts.signum
        if interrupts.signum is not None and not deferred:
          say('%s: epoch %d began from a cluster\'s mid-epoch checkpoint; '
              'training stops at its end'
              % (signal.Signals(interrupts.signum).name, epoch + 1))
          deferred = True

    run.timing.train_seconds.append(time.time() - start)
    state, stop_early, saved = loop.end_epoch(run, state, epoch + 1, sums,
                                              start)
    if interrupts.signum is not None:
      if not saved:  # It came during the epoch's end.
        run.save()
      return state, interrupts.signum
    if stop_early:
      break
  return state, None
