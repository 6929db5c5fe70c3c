"""Where a small network's training step goes: wall time against kernel time.

  python docs/step_split.py --variant=wide_deep --data_dir=../shared/data

Builds the preset's training graph as train.py does, runs --steps steps of
its batches, and reports the median wall time of a plain sess.run step, and,
from a FULL_TRACE RunMetadata of --traced more steps, the number of kernels a
step runs and the sum of their times: the rest of the wall time is the
session call, the feed and Python (the framework overhead).
"""

import statistics
import time

from absl import app
from absl import flags

from legacy_dnn import cli
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import model
from legacy_dnn import presets
from legacy_dnn import training

FLAGS = flags.FLAGS
flags.DEFINE_enum('variant', 'wide_deep', sorted(presets.PRESETS),
                  'The preset to measure.')
flags.DEFINE_string('data_dir', None, 'Where its data is.')
flags.DEFINE_integer('steps', 2000, 'Plain steps timed.')
flags.DEFINE_integer('traced', 200, 'Traced steps whose kernels are summed.')


def main(argv):
  del argv
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  cfg = config.for_variant(FLAGS.variant, data_dir=FLAGS.data_dir,
                           model_dir='unused')
  dataset = data.DATASETS[cfg.dataset]
  splits = data.load(dataset, cfg.data_dir,
                     validation_size=cfg.validation_size)
  X, y = splits.train
  threads = training.session_threads(cfg)
  with tf.Graph().as_default() as graph:
    m = model.build(cfg, scaler=data.scaler(X) if dataset.standardize
                    else None)
    init = tf.compat.v1.global_variables_initializer()
  sess = tf.compat.v1.Session(graph=graph, config=tf.compat.v1.ConfigProto(
      intra_op_parallelism_threads=threads[0],
      inter_op_parallelism_threads=threads[1]))
  sess.run(init)
  fetches = [m.train_op, m.loss, m.accuracy]

  def batches():
    epoch = 0
    while True:
      yield from data.shuffle_batch(X, y, cfg.batch_size,
                                    data.epoch_rng(0, epoch))
      epoch += 1

  stream = batches()
  walls = []
  for _ in range(FLAGS.steps):
    X_batch, y_batch = next(stream)
    start = time.perf_counter()
    sess.run(fetches, {**model.feed(m, X_batch), m.y: y_batch})
    walls.append(time.perf_counter() - start)
  kernels, counts = [], []
  options = tf.compat.v1.RunOptions(
      trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
  for _ in range(FLAGS.traced):
    X_batch, y_batch = next(stream)
    metadata = tf.compat.v1.RunMetadata()
    sess.run(fetches, {**model.feed(m, X_batch), m.y: y_batch},
             options=options, run_metadata=metadata)
    nodes = [n for d in metadata.step_stats.dev_stats for n in d.node_stats
             if n.node_name != '_SOURCE']
    kernels.append(sum(n.op_end_rel_micros - n.op_start_rel_micros
                       for n in nodes) / 1e3)
    counts.append(len(nodes))
  wall = 1e3 * statistics.median(walls[len(walls) // 10:])
  kernel = statistics.median(kernels)
  print('%s, batch %d: %.3f ms a step (median of %d), %d kernels summing to '
        '%.3f ms (median of %d traced steps); %.3f ms (%.0f%%) outside them'
        % (FLAGS.variant, cfg.batch_size, wall, FLAGS.steps,
           statistics.median(counts), kernel, FLAGS.traced, wall - kernel,
           100 * (wall - kernel) / wall))


if __name__ == '__main__':
  cli.set_tensorflow_environment()
  app.run(main)
