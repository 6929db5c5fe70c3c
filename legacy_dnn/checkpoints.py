"""Everything a model_dir holds: checkpoints, the epoch file, the run record.

Layout of a model_dir:
  model.ckpt-<global step>.*   the last two rolling checkpoints (tf Saver)
  checkpoint                   the Saver's index of those
  model.ckpt.epoch             epochs completed, as Hands-On ML writes it
  best.ckpt.*, best_checkpoint the model with the lowest validation loss
  run.json                     the settings and TensorBoard run name
  .lock                        held by the process training in this folder

The training state that decides what happens next (epochs done, the partial
sums of an interrupted epoch, the best validation loss, the early-stopping
counter) lives in variables inside the checkpoint, so it can never disagree
with the weights; the epoch file is only ever written from it.
"""

import collections
import contextlib
import datetime
import errno
import fcntl
import glob
import json
import math
import os
import re
import shutil
import tempfile
import uuid

import tensorflow as tf

from legacy_dnn import errors
from legacy_dnn import reporting
from legacy_dnn.errors import CheckpointError

CHECKPOINT_PREFIX = 'model.ckpt'
EPOCH_FILE = CHECKPOINT_PREFIX + '.epoch'
BEST_PREFIX = 'best.ckpt'
BEST_INDEX = 'best_checkpoint'
RUN_FILE = 'run.json'
# Each finished epoch's figures, for legacy_dnn.train's Result.history: read
# back, never trusted for training (the checkpoint holds the state).
HISTORY_FILE = 'history.json'
LOCK_FILE = '.lock'
KEEP_CHECKPOINTS = 2
# Settings that may change between invocations of one run: asking for more
# epochs extends a finished run.
MUTABLE_SETTINGS = ('epochs',)

# What a save killed half-way leaves in a model_dir, among our own names
# only (a model_dir may hold a user's files too). TensorFlow's bundle writer
# writes <file>.tempstate<n> and renames it; tf.io's atomic writes (the
# checkpoint index, .meta files) use <file>.tmp<uuid hex>; a sharded Saver
# writes into <prefix>_temp/; atomic_write() below uses .<file><random>.
_OURS = r'(%s-\d+|%s|checkpoint|%s)' % (
    re.escape(CHECKPOINT_PREFIX), re.escape(BEST_PREFIX), re.escape(BEST_INDEX))
_TEMPORARY = re.compile(
    _OURS + r'(\..+\.tempstate\d+|(\.meta)?\.tmp[0-9a-f]{32}|_temp)'
    r'|\.(%s|%s|%s).+' % (re.escape(EPOCH_FILE), re.escape(RUN_FILE),
                          re.escape(HISTORY_FILE)))
# A checkpoint's other files, orphaned if a kill came before its .index.
_CHECKPOINT_PART = re.compile(_OURS + r'\.(data-\d+-of-\d+|meta)')
# What a session on TensorFlow's gRPC runtime raises when a task of its
# cluster goes away. It is not the checkpoint's fault, so a save or restore
# passes them on as they are, for the cluster code to say which task was
# lost (distributed.lost_task_error); wrapped, a restore would even skip a
# good checkpoint as unreadable.
LOST_TASK_ERRORS = (tf.errors.UnavailableError, tf.errors.AbortedError,
                    tf.errors.DeadlineExceededError)
# strerror(ENOSPC), as TensorFlow's file system writes it into its errors.
NO_SPACE = 'No space left on device'

State = collections.namedtuple('State', [
    'epoch',           # Epochs completed.
    'loss_sum',        # Sum of batch losses so far in the current epoch.
    'metric_sum',      # Sum of batch metrics (heads.py) so far in the epoch.
    'best_loss',       # Lowest validation loss seen; inf before the first.
    'best_epoch',      # The epoch (1-based) that reached it; 0 before.
    'wait',            # Epochs since best_epoch.
])
INITIAL_STATE = State(0, 0.0, 0.0, math.inf, 0, 0)
# The run_state/ variables' names: metric_sum's is accuracy_sum, its name
# from before regressors, which the checkpoints of that time hold.
_NAMES = State(*State._fields)._replace(metric_sum='accuracy_sum')
_DTYPES = State(tf.int64, tf.float64, tf.float64, tf.float64, tf.int64,
                tf.int64)


def warn(message):
  reporting.warn(message)


class RunState:
  """The State, as non-trainable variables saved with every checkpoint."""

  def __init__(self):
    with tf.compat.v1.variable_scope('run_state'):
      self.variables = State(*(
          tf.compat.v1.get_variable(
              name, [], dtype, tf.compat.v1.constant_initializer(init),
              trainable=False)
          for name, dtype, init in zip(_NAMES, _DTYPES, INITIAL_STATE)))
      self._inputs = State(*(tf.compat.v1.placeholder(d, []) for d in _DTYPES))
      self._assign = tf.group(*(
          v.assign(p) for v, p in zip(self.variables, self._inputs)))

  def read(self, sess):
    return State(*(v.item() for v in sess.run(list(self.variables))))

  def write(self, sess, state):
    sess.run(self._assign, dict(zip(self._inputs, state)))


def replace_whole(path, write, suffix=''):
  """Has write(staging) write a file beside path, named .<file><random>
  (ending in suffix, for writers that ask for one), then renames it to path:
  a reader sees the old file or the new one, never part of one.

  Raises:
    OSError: the file cannot be written; nothing is left beside path.
  """
  fd, staging = tempfile.mkstemp(dir=os.path.dirname(path) or '.',
                                 prefix='.' + os.path.basename(path),
                                 suffix=suffix)
  os.close(fd)
  try:
    write(staging)
    os.replace(staging, path)
  except BaseException:
    os.remove(staging)
    raise


def atomic_write(path, text):
  """Writes text to path so that a reader sees the old or the new file."""

  def write(staging):
    with open(staging, 'w') as f:
      f.write(text)
      f.flush()
      os.fsync(f.fileno())

  replace_whole(path, write)


def remove_orphans(model_dir):
  """Deletes what killed saves left in model_dir; returns the names removed.

  Call it only while holding the model_dir's lock, after a save: no other
  process writes there then, so every temporary file is an orphan, and so
  is a checkpoint's data file without its .index (written last).
  """
  names = os.listdir(model_dir)
  orphans = []
  for name in names:
    part = _CHECKPOINT_PART.fullmatch(name)
    if _TEMPORARY.fullmatch(name) or (part and part.group(1) + '.index'
                                      not in names):
      orphans.append(name)
  for name in orphans:
    path = os.path.join(model_dir, name)
    if os.path.isdir(path):
      shutil.rmtree(path, ignore_errors=True)
    else:
      with contextlib.suppress(FileNotFoundError):
        os.remove(path)
  return orphans


def _step_of(prefix):
  match = re.search(r'-(\d+)$', prefix)
  return int(match.group(1)) if match else -1


class Checkpointer:
  """The rolling checkpoints, the best model, and the epoch file of a run."""

  def __init__(self, model_dir, run_state, warm_start_variables=(),
               optional_variables=()):
    """Builds the Savers; call in the graph, before it is finalized.

    Args:
      model_dir: the run's folder.
      run_state: its RunState.
      warm_start_variables: variables that warm_start() will restore.
      optional_variables: saved with every checkpoint, but restored only
        from one that holds them all, shaped alike; otherwise initialized
        (a cluster's share counts, which one process's checkpoint lacks).
    """
    self.model_dir = model_dir
    self.run_state = run_state
    self.restored = None  # The prefix restore_or_initialize() restored.
    optional = {v.op.name for v in optional_variables}
    self._optional = list(optional_variables)
    self._required_saver = self._init_optional = None
    if self._optional:
      self._required_saver = tf.compat.v1.train.Saver(
          [v for v in tf.compat.v1.global_variables()
           if v.op.name not in optional])
      self._init_optional = tf.compat.v1.variables_initializer(
          self._optional)
    self._prefix = os.path.join(model_dir, CHECKPOINT_PREFIX)
    self._best_prefix = os.path.join(model_dir, BEST_PREFIX)
    self._saver = tf.compat.v1.train.Saver(
        max_to_keep=KEEP_CHECKPOINTS, save_relative_paths=True)
    self._best_saver = tf.compat.v1.train.Saver(
        max_to_keep=1, save_relative_paths=True)
    # Each saver's serialized MetaGraphDef, with the graph version it was
    # taken at: a Saver would serialize the whole graph again at every save
    # (6 of a 500-epoch cosine run's 21 s), though a training graph is
    # finalized and never changes.
    self._meta_graphs = {}
    self._warm_start_variables = list(warm_start_variables)
    self._warm_saver = (tf.compat.v1.train.Saver(self._warm_start_variables)
                        if self._warm_start_variables else None)

  def warm_start(self, sess, source_dir):
    """Copies the warm-start variables from a checkpoint.

    source_dir may be a model_dir (its best model), a checkpoint prefix, or a
    folder with a checkpoint index (its latest checkpoint): any TF1
    checkpoint that names the variables as tf.compat.v1.layers does.
    """
    prefix = resolve_prefix(source_dir, '--warm_start_from')
    check_shapes(prefix, self._warm_start_variables)
    restore(sess, self._warm_saver, prefix)
    return prefix

  def checkpoints(self):
    """Rolling checkpoint prefixes on disk, newest (highest step) first."""
    prefixes = (p[:-len('.index')] for p in
                glob.glob(glob.escape(self._prefix) + '-*.index'))
    return sorted(prefixes, key=_step_of, reverse=True)

  def save(self, sess, global_step):
    """Saves a rolling checkpoint, then the epoch file from its state."""
    try:
      self._save(self._saver, sess, self._prefix, global_step=global_step)
      atomic_write(os.path.join(self.model_dir, EPOCH_FILE),
                   '%d' % self.run_state.read(sess).epoch)
      remove_orphans(self.model_dir)
    except LOST_TASK_ERRORS:
      raise
    except (tf.errors.OpError, OSError) as e:
      raise CheckpointError('%s: cannot save a checkpoint: %s'
                            % (self.model_dir, self._why(e, sess))) from None

  def save_best(self, sess):
    try:
      self._save(self._best_saver, sess, self._best_prefix,
                 latest_filename=BEST_INDEX)
    except LOST_TASK_ERRORS:
      raise
    except (tf.errors.OpError, OSError) as e:
      raise CheckpointError('%s: cannot save the best model: %s'
                            % (self.model_dir, self._why(e, sess))) from None

  def _save(self, saver, sess, prefix, **kwargs):
    """saver.save(sess, prefix, **kwargs), its .meta file written as the
    Saver would, from the bytes of the last save while the graph has not
    changed since."""
    path = saver.save(sess, prefix, write_meta_graph=False, **kwargs)
    meta = path + '.meta'
    version, serialized = self._meta_graphs.get(saver, (None, None))
    if version != sess.graph.version:
      with sess.graph.as_default():
        saver.export_meta_graph(meta)
      with open(meta, 'rb') as f:
        self._meta_graphs[saver] = sess.graph.version, f.read()
      return

    # As tf.io writes it: <file>.tmp<uuid hex>, renamed; what a kill leaves
    # of it is an orphan remove_orphans() knows.
    staging = '%s.tmp%s' % (meta, uuid.uuid4().hex)
    try:
      with open(staging, 'wb') as f:
        f.write(serialized)
      os.replace(staging, meta)
    except BaseException:
      with contextlib.suppress(OSError):
        os.remove(staging)
      raise

  def _why(self, error, sess):
    """Why a save failed, in a few words; for a full disk, with the room a
    checkpoint takes."""
    if not (getattr(error, 'errno', None) == errno.ENOSPC or
            NO_SPACE in errors.tensorflow_message(error)):
      return errors.tensorflow_message(error)
    variables = sum(v.shape.num_elements() * v.dtype.size
                    for v in sess.graph.get_collection(
                        tf.compat.v1.GraphKeys.GLOBAL_VARIABLES))
    size = variables + sess.graph.as_graph_def().ByteSize()
    return ('no space left on device; a checkpoint of this run takes about '
            '%.1f MB, and a run keeps %d of them and the best model, with '
            'room for one more while it saves' % (size / 1e6,
                                                   KEEP_CHECKPOINTS))

  def restore_best(self, sess):
    restore(sess, self._best_saver, best_model(self.model_dir))

  def restore_or_initialize(self, sess, init_op):
    """Restores the newest readable checkpoint, or initializes the variables.

    A checkpoint that cannot be read (truncated, deleted, corrupt) is skipped
    with a warning naming it, and the one before it is used.

    Returns:
      The restored State, or None if the variables were initialized.

    Raises:
      CheckpointError: checkpoints exist but none of them can be read.
    """
    prefixes = self.checkpoints()
    for i, prefix in enumerate(prefixes):
      try:
        self._restore(sess, prefix)
      except CheckpointError as e:
        fallback = (('falling back to ' + os.path.basename(prefixes[i + 1]))
                    if i + 1 < len(prefixes) else 'no older checkpoint left')
        warn('%s; %s' % (e, fallback))
        continue
      # Oldest first, so that the Saver rotates them out as it would have.
      self._saver.recover_last_checkpoints(
          prefixes[i:i + KEEP_CHECKPOINTS][::-1])
      state = self.run_state.read(sess)
      self._check_epoch_file(state.epoch)
      self.restored = prefix
      return state
    if prefixes:
      raise CheckpointError(
          '%s: none of its checkpoints can be read (see the warnings above); '
          'pass --restart to move it aside and start over' % self.model_dir)
    sess.run(init_op)
    return None

  def _restore(self, sess, prefix):
    if not self._optional:
      restore(sess, self._saver, prefix)
      return
    try:
      shapes = dict(tf.train.list_variables(prefix))
    except (tf.errors.OpError, ValueError) as e:
      raise CheckpointError('%s: cannot restore: %s'
                            % (prefix, errors.tensorflow_message(e))) from None
    if all(shapes.get(v.op.name) == v.shape.as_list()
           for v in self._optional):
      restore(sess, self._saver, prefix)
    else:
      restore(sess, self._required_saver, prefix)
      sess.run(self._init_optional)

  def keep_existing(self):
    """Adopts the rolling checkpoints on disk without restoring one (a chief
    that rejoins a running cluster), so that saving rotates them out as the
    Saver that wrote them would have."""
    self._saver.recover_last_checkpoints(
        self.checkpoints()[:KEEP_CHECKPOINTS][::-1])

  def _check_epoch_file(self, epoch):
    path = os.path.join(self.model_dir, EPOCH_FILE)
    try:
      with open(path) as f:
        text = f.read().strip()
    except FileNotFoundError:
      return
    except (OSError, UnicodeDecodeError) as e:
      text = '<unreadable: %s>' % e
    if text != str(epoch):
      warn('%s says %r but the checkpoint holds epoch %d; using the '
           'checkpoint' % (path, text[:40], epoch))
      atomic_write(path, '%d' % epoch)


def restore(sess, saver, prefix):
  """saver.restore(sess, prefix), failing with one line naming prefix."""
  try:
    with sess.graph.as_default():  # Outside it, Saver.restore acts eagerly.
      saver.restore(sess, prefix)
  except LOST_TASK_ERRORS:
    raise
  except (tf.errors.OpError, ValueError) as e:
    raise CheckpointError('%s: cannot restore: %s'
                          % (prefix, errors.tensorflow_message(e))) from None


def check_shapes(prefix, variables):
  """Raises CheckpointError unless prefix holds each variable, shaped alike.

  Saver.restore would say the same in a page of graph dump; this names the
  checkpoint and the first variable that does not fit, and lists what the
  checkpoint holds, which is what a user needs to map other names.
  """
  try:
    shapes = dict(tf.train.list_variables(prefix))
  except (tf.errors.OpError, ValueError) as e:
    raise CheckpointError('%s: cannot read: %s'
                          % (prefix, errors.tensorflow_message(e))) from None
  held = 'it holds %s' % (', '.join(
      '%s %s' % (name, shape) for name, shape in sorted(shapes.items()))
                          or 'no variables')
  if not any(v.op.name in shapes for v in variables):
    held += ('; to map other names, see docs/foreign-checkpoints.md')
  for v in variables:
    want = v.shape.as_list()
    if v.op.name not in shapes:
      raise CheckpointError('%s: has no variable %s (the model needs shape '
                            '%s); %s' % (prefix, v.op.name, want, held))
    if shapes[v.op.name] != want:
      raise CheckpointError('%s: variable %s has shape %s, the model needs %s;'
                            ' %s' % (prefix, v.op.name, shapes[v.op.name],
                                     want, held))


def resolve_prefix(path, flag):
  """The checkpoint prefix that path names, for flag's error messages.

  path may be a checkpoint prefix, a model_dir of ours (its best model), or
  another folder with a `checkpoint` index (its latest checkpoint).
  """
  if os.path.isdir(path):
    found = (tf.train.latest_checkpoint(path, BEST_INDEX) or
             tf.train.latest_checkpoint(path))
    if found is None:
      raise CheckpointError('%s=%s: a folder with no checkpoint in it (no %s '
                            'or checkpoint index)' % (flag, path, BEST_INDEX))
    return found
  if not os.path.exists(path + '.index'):
    raise CheckpointError('%s=%s: no such checkpoint (no %s.index) or folder'
                          % (flag, path, os.path.basename(path)))
  return path


def best_model(model_dir, flag='--model_dir'):
  """The prefix of model_dir's best model; flag names model_dir in errors."""
  path = tf.train.latest_checkpoint(model_dir, BEST_INDEX)
  if path is None:
    raise CheckpointError('%s=%s: no best model (%s) in it; train with '
                          'scripts/train.py first' % (flag, model_dir,
                                                      BEST_PREFIX))
  return path


def lock(model_dir, flag='--model_dir', user='training', name=None,
         blocking=False):
  """Takes model_dir for this process; returns a file to close to release it.

  The lock is an flock, which the kernel releases when the process dies, so a
  killed run never leaves a stale lock behind. flag and user name the folder
  and its kind of owner in errors; name is the lock file's (default
  LOCK_FILE); blocking waits for the lock instead of failing.
  """
  path = os.path.join(model_dir, name or LOCK_FILE)
  try:
    os.makedirs(model_dir, exist_ok=True)
    f = open(path, 'a+')
  except OSError as e:
    raise CheckpointError('%s=%s: cannot write there: %s'
                          % (flag, model_dir, e.strerror)) from None
  try:
    fcntl.flock(f, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
  except OSError as e:
    f.seek(0)
    owner = f.read().strip() or 'unknown'
    f.close()
    if e.errno in (errno.EAGAIN, errno.EACCES):
      raise LockedError(
          '%s=%s is in use by another %s process (pid %s)'
          % (flag, model_dir, user, owner)) from None
    raise
  f.seek(0)
  f.truncate()
  f.write(str(os.getpid()))
  f.flush()
  return f


class LockedError(CheckpointError):
  """Another process holds the lock."""


def move_aside(model_dir, now):
  """Renames model_dir to <model_dir>.old-<UTC timestamp>; returns the name."""
  with lock(model_dir):
    target = '%s.old-%s' % (model_dir.rstrip('/'),
                            now.strftime('%Y%m%d%H%M%S'))
    try:
      os.rename(model_dir, target)
    except OSError as e:
      raise CheckpointError('--model_dir=%s: cannot move it aside to %s: %s'
                            % (model_dir, target, e.strerror)) from None
  return target


def read_run_record(model_dir):
  """The run.json of model_dir as a dict, or None if there is none.

  Raises:
    CheckpointError: it exists but is not a run record.
  """
  path = os.path.join(model_dir, RUN_FILE)
  try:
    with open(path) as f:
      record = json.load(f)
  except FileNotFoundError:
    return None
  except (OSError, ValueError) as e:
    raise CheckpointError('%s: unreadable (%s); pass --restart to move the '
                          'run aside and start over' % (path, e)) from None
  if not isinstance(record, dict) or not isinstance(
      record.get('settings'), dict) or 'run_name' not in record:
    raise CheckpointError('%s: not a run record; pass --restart to move the '
                          'run aside and start over' % path)
  return record


def write_run_record(model_dir, settings, run_name, data=None):
  """Writes model_dir's run.json.

  data: where the run's data came from ({'data_dir': absolute path or None,
  'mirror': URL or None}), so that evaluating, predicting and exporting the
  run need only its model_dir. It is not a setting: a run moved to another
  machine resumes on data found there.
  """
  atomic_write(os.path.join(model_dir, RUN_FILE), json.dumps(
      {'settings': settings, 'run_name': run_name, 'data': data or {},
       'created': datetime.datetime.now(datetime.timezone.utc).isoformat()},
      indent=2, sort_keys=True) + '\n')


def read_history(model_dir, through=None):
  """The epochs history.json records, as dicts in epoch order; those after
  epoch `through` (a checkpoint's) are left out: a run resumed from an
  earlier checkpoint trains them again. An unreadable file is no history."""
  try:
    with open(os.path.join(model_dir, HISTORY_FILE)) as f:
      epochs = json.load(f)['epochs']
    epochs = [e for e in epochs if isinstance(e, dict) and
              isinstance(e.get('epoch'), int)]
  except (OSError, ValueError, KeyError, TypeError):
    return []
  return sorted((e for e in epochs if through is None or e['epoch'] <= through),
                key=lambda e: e['epoch'])


def record_epoch(model_dir, figures):
  """Adds one finished epoch's figures (a dict with 'epoch') to
  history.json, in place of any record of that epoch or later ones."""
  epochs = [e for e in read_history(model_dir)
            if e['epoch'] < figures['epoch']] + [figures]
  path = os.path.join(model_dir, HISTORY_FILE)
  # An epoch a line, each by json's C encoder: indent= would take its
  # Python one, 4 of a 500-epoch cosine run's 21 s.
  text = '{"epochs": [\n%s\n]}\n' % ',\n'.join(json.dumps(e)
                                                 for e in epochs)
  try:
    atomic_write(path, text)
  except OSError as e:  # The checkpoint, saved already, is what matters.
    warn('%s: cannot write: %s' % (path, e.strerror))


def check_settings(model_dir, recorded, current):
  """Raises CheckpointError if a run in model_dir used other settings."""
  diffs = ['%s=%s (the run has %s)' % (k, current.get(k), recorded.get(k))
           for k in sorted(set(recorded) | set(current))
           if k not in MUTABLE_SETTINGS and recorded.get(k) != current.get(k)]
  if diffs:
    raise CheckpointError(
        '--model_dir=%s holds a run with other settings: %s. Pass the same '
        'flags to resume it, --restart to move it aside and start over, or '
        'another --model_dir' % (model_dir, ', '.join(diffs)))
