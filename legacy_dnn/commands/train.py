"""Trains (or resumes) one of the seed networks.

  python scripts/train.py --variant=dropout --dataset=fashion_mnist

Run the same command again to resume an interrupted run; --helpfull lists
every flag. With --ps_hosts, --worker_hosts, --job_name and --task_index it
is one task of a TensorFlow cluster, as mnist_replica.py was; without them,
the TF_CONFIG environment variable can describe the cluster instead, as
Kubeflow's TFJob does (docs/distributed.md).
"""

from absl import flags

from legacy_dnn import cli
from legacy_dnn import cluster_config
from legacy_dnn import config

FLAGS = flags.FLAGS
config.define_flags(FLAGS)
cluster_config.define_flags(FLAGS)
flags.adopt_module_key_flags(config)  # So --help lists them.
flags.adopt_module_key_flags(cluster_config)


def main():
  # pylint: disable=g-import-not-at-top
  from legacy_dnn import distributed
  from legacy_dnn import interrupts
  from legacy_dnn import tf_config
  from legacy_dnn import training
  train_config = config.from_flags(FLAGS, tf_config.place())
  cluster = train_config.cluster
  if cluster is not None:
    cli.filter_stderr(distributed.LOST_TASK_CHATTER)
  if cluster is not None and cluster.job_name == cluster_config.PS:
    with interrupts.Interrupts() as signals:
      distributed.serve(cluster, signals, train_config.deterministic)
    return 0
  result = training.train(train_config)
  if result.interrupted_by is not None:
    return 128 + result.interrupted_by
  return 0


def run():
  """Parses the flags in sys.argv and runs main(), as cli.run does."""
  cli.run(main)
