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
TRAIN = 'train'
VALIDATION = 'validation'


def run_name(logdir, variant, now):
  """A new run folder name in the seed's form, <variant>-run-<UTC timestamp>.

  Two runs started in the same second get -2, -3, ... so that they never
  share event files.
  """
  name = base = '%s-run-%s' % (variant, now.strftime('%Y%m%d%H%M%S'))
  suffix = 1
  while os.path.exists(os.path.join(logdir, name)):
    suffix += 1
    name = '%s-%d' % (base, suffix)
  return name


def histograms(variables):
  """One merged summary op holding a histogram per variable."""
  with tf.name_scope('summaries'):
    return tf.compat.v1.summary.merge(
        [tf.compat.v1.summary.histogram(v.op.name, v) for v in variables])


class Writers:
  """The train/ and validation/ FileWriters of one run."""

  def __init__(self, run_dir, graph=None, resume_step=None):
    """Opens the writers.

    Args:
      run_dir: <logdir>/<run name>.
      graph: written once to the train writer; pass it on a fresh start only.
      resume_step: the first step this process will write, when resuming.
    """
    self.run_dir = run_dir
    for split in (TRAIN, VALIDATION):
      try:
        os.makedirs(os.path.join(run_dir, split), exist_ok=True)
      except OSError as e:
        raise UserError('--logdir: cannot create %s: %s'
                        % (os.path.join(run_dir, split), e.strerror)) from None
    self._writers = {
        TRAIN: tf.compat.v1.summary.FileWriter(
            os.path.join(run_dir, TRAIN), graph),
        VALIDATION: tf.compat.v1.summary.FileWriter(
            os.path.join(run_dir, VALIDATION)),
    }
    if resume_step is not None:
      for writer in self._writers.values():
        writer.add_session_log(
            tf.compat.v1.SessionLog(status=tf.compat.v1.SessionLog.START),
            resume_step)

  def scalars(self, split, step, loss, accuracy):
    summary = tf.compat.v1.Summary(value=[
        tf.compat.v1.Summary.Value(tag=LOSS, simple_value=loss),
        tf.compat.v1.Summary.Value(tag=ACCURACY, simple_value=accuracy)])
    self._writers[split].add_summary(summary, step)

  def add_summary(self, split, serialized, step):
    self._writers[split].add_summary(serialized, step)

  def flush(self):
    for writer in self._writers.values():
      writer.flush()

  def close(self):
    for writer in self._writers.values():
      writer.close()
