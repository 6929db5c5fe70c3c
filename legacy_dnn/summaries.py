"""TensorBoard event files: one run folder with train/ and validation/ writers.

Both writers use the same tags, so TensorBoard overlays the two curves; the
step is the epoch (1-based). A resumed run writes into its original folder,
and first logs SessionLog.START at the step it resumes from: TensorBoard then
drops the points of the old process at or after that step, which the resumed
run is about to redo.
"""

import os

import tensorflow as tf

from legacy_dnn.errors import UserError

LOSS = 'loss'
ACCURACY = 'accuracy'
# A regressor with an auxiliary head: each head's MSE, as Keras names them.
HEAD_LOSS = '%s_loss'
TRAIN = 'train'
VALIDATION = 'validation'


def head_loss_tag(scope):
  """main_output_loss, aux_output_loss: Keras's names for each head's loss."""
  return HEAD_LOSS % scope


def trace_tag(step):
  """The tag of the trace of the step that made the global step `step`."""
  return 'step%d' % step


def run_name(logdir, label, now):
  """A new run folder name in the seed's form, <label>-run-<UTC timestamp>.

  Two runs started in the same second get -2, -3, ... so that they never
  share event files.
  """
  name = base = '%s-run-%s' % (label, now.strftime('%Y%m%d%H%M%S'))
  suffix = 1
  while os.path.exists(os.path.join(logdir, name)):
    suffix += 1
    name = '%s-%d' % (base, suffix)
  return name


def histograms(variables):
  """One merged summary op: a histogram per variable, tagged by its name.

  The raw op takes the tag as given; tf.compat.v1.summary.histogram would
  derive it from a name scope, which the variable already holds, and tag
  `hidden1/kernel_1`.
  """
  with tf.name_scope('histograms'):
    return tf.compat.v1.summary.merge([
        tf.raw_ops.HistogramSummary(tag=v.op.name, values=v)
        for v in variables])


class Writers:
  """The train/ and validation/ FileWriters of one run."""

  def __init__(self, run_dir, first_step, graph=None):
    """Opens the writers.

    Args:
      run_dir: <logdir>/<run name>.
      first_step: the first step this process will write. It is logged as
        SessionLog.START, and it names the event files together with the pid:
        TensorFlow names them by the second they were opened, and a process
        that resumes within the same second would otherwise overwrite them.
      graph: written once to the train writer; pass it on a fresh start only.
    """
    self.run_dir = run_dir
    suffix = '.e%06d.%d' % (first_step, os.getpid())
    self._writers = {}
    for split in (TRAIN, VALIDATION):
      folder = os.path.join(run_dir, split)
      try:
        os.makedirs(folder, exist_ok=True)
      except OSError as e:
        raise UserError('--logdir: cannot create %s: %s'
                        % (folder, e.strerror)) from None
      self._writers[split] = tf.compat.v1.summary.FileWriter(
          folder, graph if split == TRAIN else None, filename_suffix=suffix)
      self._writers[split].add_session_log(
          tf.compat.v1.SessionLog(status=tf.compat.v1.SessionLog.START),
          first_step)

  def scalars(self, split, step, loss, accuracy=None, head_losses=None):
    """Writes one epoch's figures: the loss, a classifier's accuracy, and
    the MSE of each head of a regressor that has several ({scope: MSE})."""
    values = [tf.compat.v1.Summary.Value(tag=LOSS, simple_value=loss)]
    if accuracy is not None:
      values.append(tf.compat.v1.Summary.Value(tag=ACCURACY,
                                               simple_value=accuracy))
    for scope, value in (head_losses or {}).items():
      values.append(tf.compat.v1.Summary.Value(tag=head_loss_tag(scope),
                                               simple_value=value))
    self._writers[split].add_summary(tf.compat.v1.Summary(value=values), step)

  def add_summary(self, split, serialized, step):
    self._writers[split].add_summary(serialized, step)

  def trace(self, run_metadata, step):
    """Adds a traced training step to the train writer, tagged
    step<global step>: TensorBoard's Graph tab lists it under "Session
    runs"."""
    self._writers[TRAIN].add_run_metadata(run_metadata, trace_tag(step),
                                          step)

  def flush(self):
    for writer in self._writers.values():
      writer.flush()

  def close(self):
    for writer in self._writers.values():
      writer.close()


def find_runs(logdir):
  """Run folders under logdir (those with a train/ or validation/ folder)."""
  runs = []
  for root, dirs, _ in os.walk(logdir):
    if TRAIN in dirs or VALIDATION in dirs:
      runs.append(os.path.relpath(root, logdir))
      dirs[:] = []
  return sorted(runs)


def read_curves(run_dir):
  """{split: {tag: (steps, values)}} of a run, via TensorBoard's reader.

  The reader applies SessionLog.START as TensorBoard does, so epochs redone
  after a resume appear once.
  """
  # Imported here: TensorBoard's reader brings boto3 and fsspec (10 MB, 0.2 s)
  # that training, which only writes, has no use for.
  # pylint: disable=g-import-not-at-top
  from tensorboard.backend.event_processing import event_accumulator
  curves = {}
  for split in (TRAIN, VALIDATION):
    folder = os.path.join(run_dir, split)
    if not os.path.isdir(folder):
      continue
    accumulator = event_accumulator.EventAccumulator(
        folder, size_guidance={event_accumulator.SCALARS: 0})
    accumulator.Reload()
    curves[split] = {}
    for tag in accumulator.Tags()['scalars']:
      if tag in (LOSS, ACCURACY) or tag.endswith(HEAD_LOSS % ''):
        events = accumulator.Scalars(tag)
        curves[split][tag] = ([e.step for e in events],
                              [e.value for e in events])
  return curves
