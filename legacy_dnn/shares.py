"""How a cluster's workers share out an epoch, and keep it whole when one is
lost or the chief restarts.

The model (docs/distributed.md, "A cluster that never stalls"):
  shares     An epoch's fixed order, from (seed, epoch), is shared out:
             share i is batches i, i + W, i + 2W, ... and worker i owns it.
             The ps counts each share's trained batches (cluster/batches),
             in the step that trains them, so a restarted worker takes up
             its share where it stopped.
  take-over  The chief watches the counts. A share that gains no batch for
             --worker_timeout seconds is given up on: the chief trains the
             rest of it, and owns that worker's share of later epochs until
             the worker comes back; it then joins at the next epoch.
  stop       A chief stopped by SIGINT or SIGTERM asks the workers to stop
             after their current step, waits until they have, and saves a
             mid-epoch checkpoint that holds the counts (and the epoch they
             belong to, cluster/open_epoch): a cluster restarted from it
             trains only the batches not yet trained.
  rejoin     A chief restarted while the ps tasks live finds the run there,
             keeps it as it is (no restore, no initialization) and goes on
             with the open epoch.
Every batch of an epoch is trained exactly once, whoever trains it, and the
ps's global step says so. The order of updates is not fixed: asynchronous
workers interleave as they come, and a take-over changes who trains what.
"""

import itertools
import time

import tensorflow as tf

from legacy_dnn import data
from legacy_dnn import loop
from legacy_dnn import model

say = loop.say

# How often waiting workers look at the shared variables.
POLL_SECONDS = 0.01
# The one line the chief prints when it has waited this long at the epoch's
# end for the others.
WAIT_NOTICE_SECONDS = 10.0
# A worker that neither stops for the chief nor trains a batch in this long
# counts as stopped: it is dead, or stuck in a step that will not land.
SETTLE_SECONDS = 10.0

# How a share's training ended.
DONE = 'done'  # Every batch of it is trained.
ENDED = 'ended'  # The chief had ended the epoch already (a worker joined late).
SIGNALED = 'signaled'  # This process caught SIGINT or SIGTERM.
PAUSED = 'paused'  # The chief stops the cluster to save.
TAKEN = 'taken'  # The chief gave up on this worker and took the share.


def share(n_batches, task, num_workers):
  """The batches of an epoch worker `task` trains: i, i + W, i + 2W, ..."""
  return range(task, n_batches, num_workers)


def shares(n_batches, num_workers):
  """How many batches of an epoch each worker trains."""
  return [len(share(n_batches, i, num_workers)) for i in range(num_workers)]


def trained(n_batches, counts):
  """The batches (indices in the epoch's order) that counts say are trained:
  the first counts[i] of each share i."""
  workers = len(counts)
  return sorted(j for i, c in enumerate(counts)
                for j in share(n_batches, i, workers)[:int(c)])


def prefix_counts(n_trained, num_workers):
  """Counts per share of an epoch whose first n_trained batches are trained
  (what one process's mid-epoch checkpoint holds)."""
  return [len(share(n_trained, i, num_workers)) for i in range(num_workers)]


def examples(n_examples, batch_size, batches):
  """Examples in the given batches (indices) of an epoch."""
  return sum(data.examples_in_batches(n_examples, batch_size, j + 1) -
             data.examples_in_batches(n_examples, batch_size, j)
             for j in batches)


class Stalls:
  """Which unfinished shares have gained no batch for `timeout` seconds.

  Pure bookkeeping: update() takes the counts the ps holds and a clock
  reading. A timeout of 0 never gives up.
  """

  def __init__(self, timeout):
    self.timeout = timeout
    self._counts = None
    self._since = None

  def update(self, counts, sizes, now):
    """The shares stalled as of now, given their counts and sizes."""
    counts = [int(c) for c in counts]
    if self._counts is None:
      self._since = [now] * len(counts)
    else:
      self._since = [now if c != old else since for c, old, since in
                     zip(counts, self._counts, self._since)]
    self._counts = counts
    if not self.timeout:
      return []
    return [i for i, (c, n, since) in enumerate(zip(counts, sizes,
                                                    self._since))
            if c < n and now - since >= self.timeout]


def saved_progress(prefix):
  """(epoch, counts) a cluster's checkpoint holds, or None for one
  without them (one process's, or an older version's)."""
  reader = tf.train.load_checkpoint(prefix)
  names = reader.get_variable_to_shape_map()
  if 'cluster/batches' not in names or 'cluster/open_epoch' not in names:
    return None
  return (int(reader.get_tensor('cluster/open_epoch')),
          [int(c) for c in reader.get_tensor('cluster/batches')])


def train_share(run, epoch, index):
  """Trains what is left of share `index` of epoch (0-based).

  Returns:
    DONE, SIGNALED, PAUSED or TAKEN.
  """
  sess, m, config, replication = (run.sess, run.model, run.config,
                                  run.replication)
  X_train, y_train = run.splits.train
  workers = replication.cluster.num_workers
  me = replication.cluster.task_index
  done = int(replication.done(sess)[index])
  mine = share(run.n_batches, index, workers)
  batches = itertools.islice(
      data.shuffle_batch(X_train, y_train, config.batch_size,
                         data.epoch_rng(config.seed, epoch)),
      mine.start + done * mine.step, mine.stop, mine.step)
  feed = loop.mode_feed(m, config)
  if index != me:
    feed[replication.share] = index
  with loop.progress_bar(
      epoch + 1, examples(len(X_train), config.batch_size, mine),
      examples(len(X_train), config.batch_size, mine[:done])) as bar:
    for X_batch, y_batch in batches:
      _, loss, (pause, owner) = sess.run(replication.step_fetches, {
          **model.feed(m, X_batch), m.y: y_batch, **feed})
      loop.check_loss(loss, epoch + 1, config)
      if run.timing.first_step_at is None:
        run.timing.first_step_at = time.time()
      bar.update(len(X_batch))
      if run.interrupts.signum is not None:
        return SIGNALED
      if pause and not replication.cluster.is_chief:
        return PAUSED
      if owner != me:
        return TAKEN
  return DONE


def wait(run, ready):
  """A worker polls until ready() is true or a signal comes; False if one
  came. It acknowledges a stop the chief asks for, so the chief need not
  wait for it."""
  sess, replication = run.sess, run.replication
  while not ready():
    if run.interrupts.signum is not None:
      return False
    if replication.paused(sess):
      replication.acknowledge(sess)
    replication.top_up(sess)
    time.sleep(POLL_SECONDS)
  return True


def _waiting_line(counts, sizes):
  left = [(i, n - int(d)) for i, (n, d) in enumerate(zip(sizes, counts))
          if d < n]
  return ('Waiting for %s to finish the epoch (%s)'
          % (', '.join('worker %d' % i for i, _ in left),
             ', '.join('%d batches left' % n for _, n in left)))


def chief_trains(run, epoch):
  """The chief's part of epoch (0-based): its own share, the shares it owns,
  and those it takes over, until every share is trained.

  Returns:
    DONE, or SIGNALED.
  """
  sess, replication = run.sess, run.replication
  workers = replication.cluster.num_workers
  me = replication.cluster.task_index
  n_batches = run.n_batches
  sizes = shares(n_batches, workers)
  stalls = Stalls(replication.cluster.worker_timeout)
  waiting_since = None
  while True:
    counts = replication.done(sess)
    if int(sum(counts)) >= n_batches:
      return DONE
    if run.interrupts.signum is not None:
      return SIGNALED
    owners = replication.owners(sess)
    for i in stalls.update(counts, sizes, time.monotonic()):
      if owners[i] != me:
        replication.give_up(sess, i)
        owners[i] = me
        say('Gave up on worker %d: no batch of its share for %g s '
            '(--worker_timeout). Worker %d (the chief) trains the %d batches '
            'left of it in epoch %d; worker %d joins at the next epoch if it '
            'comes back' % (i, stalls.timeout, me, sizes[i] - int(counts[i]),
                            epoch + 1, i))
    mine = [i for i in range(workers) if owners[i] == me and
            counts[i] < sizes[i]]
    if mine:
      outcome = train_share(run, epoch, mine[0])
      if outcome == SIGNALED:
        return outcome
      waiting_since = None
      continue
    now = time.monotonic()
    if waiting_since is None:
      waiting_since = now
    elif now - waiting_since > WAIT_NOTICE_SECONDS:
      say(_waiting_line(counts, sizes))
      waiting_since = float('inf')
    replication.top_up(sess)
    time.sleep(POLL_SECONDS)


def stop_workers(run):
  """The chief stops the workers after their current steps, so that the
  checkpoint it saves next holds one moment of the run: the counts and the
  weights agree. Waits for each worker whose share is open to say it has
  stopped, or to train nothing for SETTLE_SECONDS."""
  sess, replication = run.sess, run.replication
  replication.stop_workers(sess)
  workers = replication.cluster.num_workers
  sizes = shares(run.n_batches, workers)
  stalls = Stalls(SETTLE_SECONDS)
  while True:
    counts = replication.done(sess)
    owners = replication.owners(sess)
    acknowledged = replication.acknowledged(sess)
    settled = set(stalls.update(counts, sizes, time.monotonic()))
    me = replication.cluster.task_index
    running = [i for i in range(workers)
               if counts[i] < sizes[i] and owners[i] != me and
               not acknowledged[owners[i]] and i not in settled]
    if not running:
      return
    time.sleep(POLL_SECONDS)


def start(run, state):
  """The chief's start on ps tasks it restored or initialized: opens the
  epoch the run is at, inside it where the checkpoint says how far it got.

  Returns:
    The State to go on from.
  """
  sess, replication, ckpt, n_batches = (run.sess, run.replication, run.ckpt,
                                        run.n_batches)
  workers = replication.cluster.num_workers
  counts = None
  progress = ckpt.restored and saved_progress(ckpt.restored)
  partial = state.loss_sum or state.metric_sum
  if progress and progress[0] == state.epoch and len(progress[1]) == workers:
    counts = progress[1]
  elif partial and not progress and not replication.cluster.sync_replicas:
    # One process's mid-epoch checkpoint: its first batches are trained.
    done = int(sess.run(tf.compat.v1.train.get_global_step())) - (
        state.epoch * n_batches)
    if 0 < done < n_batches:
      counts = prefix_counts(done, workers)
  if counts is not None and sum(counts):
    say('The checkpoint was saved during epoch %d, after %d of its %d '
        'batches; the cluster trains the rest' % (state.epoch + 1,
                                                  sum(counts), n_batches))
  elif partial:
    say('The checkpoint was saved during epoch %d; a cluster trains it from '
        'its first batch' % (state.epoch + 1))
    state = state._replace(loss_sum=0.0, metric_sum=0.0)
    ckpt.run_state.write(sess, state)
    counts = None
  replication.start(sess, state.epoch, counts)
  return state


def rejoin(run):
  """A restarted chief's start on ps tasks that still hold the run.

  Nothing is restored or initialized. Workers it had stopped go on; an epoch
  it had ended but not opened the next of is saved (again, the same state)
  and the next one opened.

  Returns:
    The State the ps tasks hold.
  """
  sess, replication, ckpt = run.sess, run.replication, run.ckpt
  state = ckpt.run_state.read(sess)
  epoch = int(sess.run(replication.open_epoch))
  ckpt.keep_existing()
  counts = replication.done(sess)
  say('Rejoined the running cluster: its ps tasks hold the run at epoch %d '
      '(%d of its %d batches trained); nothing is restored or initialized'
      % (state.epoch + 1, sum(counts) if epoch == state.epoch else 0,
         run.n_batches))
  if epoch < state.epoch:  # The epoch ended; the next was not opened.
    run.save()
    if state.best_epoch == state.epoch:
      ckpt.save_best(sess)
    replication.open(sess, state.epoch)
  if replication.paused(sess):
    replication.resume(sess)
  return state


def chief_epochs(run, state):
  """The chief's epoch loop in a cluster; returns (State, signal or None).

  A signal mid-epoch stops the workers and saves a mid-epoch checkpoint; one
  during an epoch's end saves it and opens no next epoch.
  """
  ckpt, interrupts = run.ckpt, run.interrupts
  for epoch in range(state.epoch, run.config.epochs):
    start = time.time()
    if chief_trains(run, epoch) == SIGNALED:
      stop_workers(run)
      state = ckpt.run_state.read(run.sess)
      run.save()
      return state, interrupts.signum
    run.timing.train_seconds.append(time.time() - start)
    sums = ckpt.run_state.read(run.sess)
    state, stop_early, saved = loop.end_epoch(
        run, state, epoch + 1, (sums.loss_sum, sums.metric_sum), start)
    if interrupts.signum is not None:
      if not saved:
        run.save()
      return state, interrupts.signum
    run.replication.open(run.sess, epoch + 1)
    if stop_early:
      break
  return state, None


def follow_chief(run):
  """A non-chief worker's loop: its share of each epoch the chief opens.

  Returns:
    (the State the run ended at, as the ps holds it, signal or None).
  """
  sess, replication = run.sess, run.replication
  task = replication.cluster.task_index

  def opened_after(epoch):
    return lambda: int(sess.run(replication.open_epoch)) > epoch

  while True:
    state = run.ckpt.run_state.read(sess)
    epoch = int(sess.run(replication.open_epoch))
    if loop.is_finished(state, run.config):
      say('Worker %d: the run finished after %d epochs; the chief '
          '(worker 0) evaluates it' % (task, state.epoch))
      return state, None
    start = time.time()
    if state.epoch > epoch:  # The chief ended it and opens the next.
      outcome = ENDED
    elif replication.come_back(sess):
      say('Worker %d: the chief gave up on me and took over my share of '
          'epoch %d; I join at epoch %d' % (task, epoch + 1, epoch + 2))
      outcome = TAKEN
    elif replication.paused(sess):
      outcome = PAUSED
    elif replication.owners(sess)[task] != task:
      outcome = TAKEN
    else:
      outcome = train_share(run, epoch, task)
    if outcome == PAUSED:
      replication.acknowledge(sess)
      say('Worker %d: the chief stopped the cluster during epoch %d to save '
          'a checkpoint; waiting for it to come back' % (task, epoch + 1))
      ready = lambda: (not replication.paused(sess) or  # pylint: disable=g-long-lambda
                       opened_after(epoch)())
    else:
      if outcome == TAKEN and replication.come_back(sess):
        say('Worker %d: the chief took over the rest of my share of epoch '
            '%d; I join at epoch %d' % (task, epoch + 1, epoch + 2))
      ready = opened_after(epoch)
    if outcome == SIGNALED or not wait(run, ready):
      return state, run.interrupts.signum
    if outcome == DONE:
      say('Worker %d: epoch %d done (%.1f s)'
          % (task, epoch + 1, time.time() - start))
