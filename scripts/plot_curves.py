"""Draws each run's train and validation loss and accuracy per epoch.

  python scripts/plot_curves.py --logdir=tf_logs --out=curves.png

Reads the event files with TensorBoard's own reader: the picture to answer
"is this overfitting?" without starting TensorBoard.
"""

import fnmatch
import os
import sys

from absl import flags

from legacy_dnn import cli
from legacy_dnn import config
from legacy_dnn import errors
from legacy_dnn import plots

FLAGS = flags.FLAGS
flags.DEFINE_string('logdir', config.DEFAULT_LOGDIR,
                    'The folder that scripts/train.py wrote runs into.')
flags.DEFINE_string('runs', '*', 'Which runs to draw: a shell pattern on run '
                    'names, e.g. "dropout-*".')
flags.DEFINE_string('out', 'learning_curves.png', 'The PNG to write.')
flags.register_validator('out', lambda v: v.endswith('.png'),
                         message='must name a .png file')


def main():
  from legacy_dnn import summaries  # pylint: disable=g-import-not-at-top
  runs = fnmatch.filter(summaries.find_runs(FLAGS.logdir), FLAGS.runs)
  if not runs:
    raise errors.UserError(
        '--logdir=%s: no runs%s (folders with train/ or validation/ event '
        'files)' % (FLAGS.logdir, '' if FLAGS.runs == '*'
                    else ' matching --runs=%s' % FLAGS.runs))
  curves = {run: summaries.read_curves(os.path.join(FLAGS.logdir, run))
            for run in runs}
  for run in runs:
    for split, tags in curves[run].items():
      if summaries.LOSS not in tags:
        # TensorBoard's reader stops quietly at a bad record: a file still
        # being written ends in one.
        print('warning: %s: no loss values could be read (a corrupt or '
              'truncated event file?)' % os.path.join(FLAGS.logdir, run, split),
              file=sys.stderr)
  try:
    size = plots.learning_curves(FLAGS.out, curves)
  except OSError as e:
    raise errors.UserError('--out=%s: cannot write: %s'
                           % (FLAGS.out, e.strerror)) from None
  for run in runs:
    validation = curves[run].get(summaries.VALIDATION, {})
    steps, losses = validation.get(summaries.LOSS, ([], []))
    best = (' best validation loss %.6f at epoch %d'
            % min(zip(losses, steps)) if losses else '')
    print('%s: %d epochs;%s' % (run, len(steps), best))
  print('Wrote %s (%dx%d)' % ((FLAGS.out,) + size))
  return 0


if __name__ == '__main__':
  cli.run(main)
