"""Where a training step goes: wall time against kernel time, per way of
calling the session.

  python docs/step_split.py --variant=wide_deep --data_dir=../shared/data

Builds the preset's training graph as train.py does and times its steps
three ways, interleaved in rounds of --steps steps each:
  dict      sess.run(fetches, {placeholder: batch, ...}) a step: the loop
            before multistep.py;
  callable  Session.make_callable with a feed list, a step a call: what
            train.py does with --steps_per_call=1;
  loop      model.training_loop(), --steps_per_call steps a call (default:
            train.py's own choice): what train.py does.
For each it reports the median wall time a step over the rounds, and, from
FULL_TRACE RunMetadata of --traced more calls, the kernels a step runs and
the sum of their times (the loop's control-flow kernels included): the rest
is the session call, the feed and Python, the framework overhead.
"""

import statistics
import time

from absl import app
from absl import flags
import numpy as np

from legacy_dnn import cli
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import loop
from legacy_dnn import model
from legacy_dnn import multistep
from legacy_dnn import presets
from legacy_dnn import training

FLAGS = flags.FLAGS
flags.DEFINE_enum('variant', 'wide_deep', sorted(presets.PRESETS),
                  'The preset to measure.')
flags.DEFINE_string('dataset', None, 'Its dataset, if not the preset\'s.')
flags.DEFINE_string('data_dir', None, 'Where its data is.')
flags.DEFINE_integer('steps_per_call', None,
                     'The loop\'s K; default train.py\'s.')
flags.DEFINE_integer('steps', 1000, 'Steps a round, of each way.')
flags.DEFINE_integer('rounds', 5, 'Rounds; the first is a warm-up.')
flags.DEFINE_integer('traced', 100, 'Traced calls whose kernels are summed, '
                     'after 10 more.')


def kernels(metadata):
  """(count, milliseconds) of the kernels a RunMetadata holds."""
  nodes = [n for d in metadata.step_stats.dev_stats for n in d.node_stats
           if n.node_name != '_SOURCE']
  return len(nodes), sum(n.op_end_rel_micros - n.op_start_rel_micros
                         for n in nodes) / 1e3


def main(argv):
  del argv
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  overrides = {'dataset': FLAGS.dataset} if FLAGS.dataset else {}
  cfg = config.for_variant(FLAGS.variant, data_dir=FLAGS.data_dir,
                           model_dir='unused',
                           steps_per_call=FLAGS.steps_per_call, **overrides)
  k = multistep.steps_per_call(cfg)
  dataset = data.DATASETS[cfg.dataset]
  splits = data.load(dataset, cfg.data_dir,
                     validation_size=cfg.validation_size)
  X, y = splits.train
  threads = training.use_threads(cfg)
  with tf.Graph().as_default() as graph:
    m = model.build(cfg, scaler=data.scaler(X) if dataset.standardize
                    else None, loop=True)
    init = tf.compat.v1.global_variables_initializer()
  sess = tf.compat.v1.Session(graph=graph, config=tf.compat.v1.ConfigProto(
      intra_op_parallelism_threads=threads[0],
      inter_op_parallelism_threads=threads[1]))
  sess.run(init)
  loop_trainer = multistep.Trainer(sess, m, cfg)
  step_trainer = multistep.Trainer(sess, m._replace(loop=None), cfg)
  fetches = [m.train_op, m.loss, m.metric]
  mode = loop.mode_feed(m, cfg)

  def batches(n):
    """n batches of the preset's epochs, as index arrays."""
    out, epoch = [], 0
    while len(out) < n:
      out += data.batch_indices(len(X), cfg.batch_size,
                                data.epoch_rng(0, epoch))
      epoch += 1
    return out[:n]

  def run_dict(chosen):
    for b in chosen:
      sess.run(fetches, {**model.feed(m, X[b]), m.y: y[b], **mode})

  def run_callable(chosen):
    step_trainer.train(X, y, chosen, (0.0, 0.0))

  def run_loop(chosen):
    for start in range(0, len(chosen), k):
      loop_trainer.train(X, y, chosen[start:start + k], (0.0, 0.0))

  ways = {'dict': run_dict, 'callable': run_callable, 'loop': run_loop}
  walls = {name: [] for name in ways}
  for _ in range(FLAGS.rounds):
    chosen = batches(FLAGS.steps)
    for name, run in ways.items():
      start = time.perf_counter()
      run(chosen)
      walls[name].append((time.perf_counter() - start) / len(chosen))

  options = tf.compat.v1.RunOptions(
      trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
  traced = {'dict': [], 'loop': []}
  # Each way's traced calls one after another, the first few of them a
  # warm-up: a run's first trace costs more.
  for _ in range(FLAGS.traced + 10):
    b = batches(1)[0]
    metadata = tf.compat.v1.RunMetadata()
    sess.run(fetches, {**model.feed(m, X[b]), m.y: y[b], **mode},
             options=options, run_metadata=metadata)
    traced['dict'].append(kernels(metadata))
  for _ in range(FLAGS.traced + 10):
    chosen = batches(k)
    rows = np.concatenate(chosen)
    metadata = tf.compat.v1.RunMetadata()
    sess.run(m.loop.sums, {
        m.loop.rows: X[rows], m.loop.targets: y[rows],
        m.loop.offsets: multistep.offsets(chosen),
        m.loop.sums_in: np.zeros(2), **mode},
             options=options, run_metadata=metadata)
    count, ms = kernels(metadata)
    traced['loop'].append((count / k, ms / k))
  traced = {name: values[10:] for name, values in traced.items()}
  # make_callable runs the same kernels as a dict's call.
  traced['callable'] = traced['dict']
  print('%s, batch %d, %d steps a loop call, threads %s:'
        % (FLAGS.variant, cfg.batch_size, k, threads))
  for name in ways:
    wall = 1e3 * statistics.median(walls[name][1:])
    count = statistics.median(c for c, _ in traced[name])
    kernel = statistics.median(t for _, t in traced[name])
    print('  %-8s %.3f ms a step, %d kernels summing to %.3f ms; %.3f ms '
          '(%.0f%%) outside them' % (name, wall, count, kernel,
                                     wall - kernel,
                                     100 * (wall - kernel) / wall))


if __name__ == '__main__':
  cli.set_tensorflow_environment()
  app.run(main)
