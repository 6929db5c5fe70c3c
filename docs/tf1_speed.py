"""How fast an unmodified TF1 script runs through legacy_dnn.v1, against the
same script on TensorFlow's own tf.compat.v1.layers and RNN cells (tf-keras,
with TF_USE_LEGACY_KERAS=1), on the same machine in the same run; or, with
--against=onednn, against itself with oneDNN on (TF_ENABLE_ONEDNN_OPTS=1)
where the first way leaves it to TensorFlow, as the runner does.

  python3 docs/tf1_speed.py [--rounds=2] [--train=5000]
      [--against=tf-keras|onednn] SCRIPT.py ...

Each round runs every script once each way, one process at a time and
alternating, in a folder whose MNIST_data/ holds generated images (5,000 for
validation, as read_data_sets holds out, and --train more), and prints each
process's wall time and the ratio of the medians, ours / tf-keras's. Both
ways run the same runner and the same input_data; only tf.layers and the
cells differ.
Needs tf-keras (pip install -e '.[test]').
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tests'))

# The reference: the same runner, with tf.layers and the RNN cells
# (tf.nn.rnn_cell, tf.contrib.rnn's) TensorFlow's own.
REFERENCE = '''
import sys
import tensorflow as tf
import legacy_dnn.v1
from legacy_dnn.tf1.contrib import rnn as contrib_rnn
from legacy_dnn.v1 import runner
legacy_dnn.v1.layers = tf.compat.v1.layers
legacy_dnn.v1.nn.rnn_cell = tf.compat.v1.nn.rnn_cell
for name in legacy_dnn.tf1.rnn_cell.TF1_NAMES:
  setattr(contrib_rnn, name, getattr(tf.compat.v1.nn.rnn_cell, name))
sys.exit(runner.run_script(sys.argv[1], []))
'''


def run(way, script, folder):
  """Seconds of one process running script the way named: 'ours',
  'tf-keras' (both with oneDNN as this process's environment has it),
  'ours, TF default' or 'ours, oneDNN on'."""
  env = dict(os.environ)
  if way == 'ours, TF default':
    env.pop('TF_ENABLE_ONEDNN_OPTS', None)
  elif way == 'ours, oneDNN on':
    env['TF_ENABLE_ONEDNN_OPTS'] = '1'
  if way == 'tf-keras':
    env['TF_USE_LEGACY_KERAS'] = '1'
    command = [sys.executable, '-c', REFERENCE, script]
  else:
    command = [sys.executable, '-m', 'legacy_dnn.v1', script]
  started = time.monotonic()
  result = subprocess.run(command, cwd=folder, env=env, capture_output=True,
                          text=True)
  seconds = time.monotonic() - started
  if result.returncode != 0:
    sys.exit('%s (%s) failed:\n%s' % (script, way, result.stderr[-2000:]))
  return seconds


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('scripts', nargs='+')
  parser.add_argument('--rounds', type=int, default=2)
  parser.add_argument('--train', type=int, default=5000,
                      help='training images besides the 5,000 held out')
  parser.add_argument('--against', choices=('tf-keras', 'onednn'),
                      default='tf-keras',
                      help='the second way: TensorFlow\'s own layers and '
                      'cells, or ours with oneDNN on')
  args = parser.parse_args()
  ways = (('ours', 'tf-keras') if args.against == 'tf-keras' else
          ('ours, TF default', 'ours, oneDNN on'))
  from conftest import write_dataset  # pylint: disable=import-outside-toplevel
  with tempfile.TemporaryDirectory() as folder:
    write_dataset(os.path.join(folder, 'MNIST_data'),
                  n_train=5000 + args.train, n_test=1000)
    print('| script | %s (s) | %s (s) | %s / %s |' % (ways * 2))
    print('|---|---|---|---|')
    for script in args.scripts:
      times = {way: [] for way in ways}
      for _ in range(args.rounds):
        for way in ways:
          seconds = run(way, os.path.abspath(script), folder)
          times[way].append(seconds)
      first, second = (statistics.median(times[w]) for w in ways)
      print('| %s | %s | %s | %.3f |' % (
          os.path.basename(script),
          ', '.join('%.1f' % t for t in times[ways[0]]),
          ', '.join('%.1f' % t for t in times[ways[1]]), first / second))


if __name__ == '__main__':
  main()
