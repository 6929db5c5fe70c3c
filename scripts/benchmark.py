"""Times the graph-mode training loop against Keras 3 and PyTorch.

  python scripts/benchmark.py --presets=deep,dropout --json=bench.json

Each contender trains each preset's network (the same layers, initializers,
optimizer and batch) on the same examples (Fashion-MNIST if installed, else
random; the regressors California housing's, else random rows) in a process
of its own, interleaved A B C A B C over --repetitions: the median
steady-state seconds per epoch (first epoch excluded), the median ratios, and
`limit`, tf.matmul and tf.nn.conv2d alone at the network's shapes
(legacy_dnn/race.py).
"""

import json
import os
import sys

from absl import flags

from legacy_dnn import cli

cli.import_tensorflow()  # bench.CONTENDERS needs it, even for --help.

# pylint: disable=g-import-not-at-top,wrong-import-position
from legacy_dnn import bench
from legacy_dnn import precision
from legacy_dnn import race

FLAGS = flags.FLAGS
flags.DEFINE_list('presets', race.BENCHMARKED, 'Presets to time.')
flags.DEFINE_list('contenders', [c for c in bench.CONTENDERS
                                 if c != 'ours_float32'],
                  'Loops to time: ours, ours_nondeterministic (op determinism '
                  'off), ours_float32 (ours at float32 whatever --precision '
                  'says; added by default with --precision=bfloat16), keras, '
                  'torch.')
flags.DEFINE_enum('precision', precision.FLOAT32, precision.PRECISIONS,
                  'What every contender computes in: bfloat16 is ours with '
                  'train.py\'s --precision=bfloat16, Keras 3 with the '
                  'mixed_bfloat16 policy, PyTorch under torch.autocast.')
flags.DEFINE_integer('repetitions', 3, 'Rounds of A B C ...', lower_bound=1)
flags.DEFINE_integer('epochs', 3, 'Epochs per run; the first is excluded.',
                     lower_bound=2)
flags.DEFINE_boolean('quick', False, 'A smoke run of about a minute per '
                     'preset: 1 repetition, 2 epochs, 5,000 random examples.')
flags.DEFINE_string('json', None, 'Also write the medians, per preset, here.')
flags.DEFINE_string('housing_dir', None, 'Folder holding cal_housing.tgz for '
                    'the regression presets. Default: the data cache, else '
                    'random rows.')
flags.DEFINE_string('child', None, 'Internal: run one contender and print '
                    'its report as JSON.')
flags.DEFINE_string('data_dir', None, 'Internal: the IDX files children read.')
flags.DEFINE_string('dataset', 'fashion_mnist', 'Internal: their dataset.')
flags.DEFINE_float('spawned_at', None, 'Internal: time.time() at spawn.')
for name, allowed in (('presets', race.BENCHMARKED),
                      ('contenders', bench.CONTENDERS)):
  flags.register_validator(
      name, lambda v, allowed=allowed: v and set(v) <= set(allowed),
      message='must be among %s' % ','.join(allowed))


def main():
  if FLAGS.child:
    report = bench.run_child(FLAGS.child, FLAGS.presets[0], FLAGS.epochs,
                             FLAGS.data_dir, FLAGS.dataset, FLAGS.spawned_at,
                             FLAGS.precision)
    print(race.REPORT_PREFIX + json.dumps(report))
    return 0
  summaries = race.race(
      [sys.executable, os.path.abspath(__file__)], FLAGS.presets,
      FLAGS.contenders, FLAGS.repetitions, FLAGS.epochs, FLAGS.precision,
      FLAGS.quick, FLAGS.housing_dir, FLAGS['contenders'].present)
  print('\n' + race.table(summaries))
  if FLAGS.json:
    race.write_json(FLAGS.json, summaries)
  return 0


if __name__ == '__main__':
  cli.run(main)
