"""--precision: float32, or bfloat16 matmuls and convolutions through
oneDNN's auto mixed precision.

The bfloat16 path is a Grappler rewrite of each session's graph,
RewriterConfig.auto_mixed_precision_onednn_bfloat16: it casts what matmuls,
convolutions and their gradients read to bfloat16 and leaves the variables
float32, so checkpoints, summaries and exports stay float32 and a bfloat16
run resumes, evaluates, exports and warm-starts as any other. The graph
itself is the same at both precisions.

TensorFlow rewrites only where oneDNN has bfloat16 instructions (AVX512-BF16,
AMX). On other CPUs it leaves the graph as it is, with no word: on an AMD
EPYC with AVX2 alone a matmul gave float32's bits with the rewrite on. So a
bfloat16 run there computes float32, at float32's speed, and says so.
"""

import os

FLOAT32, BFLOAT16 = 'float32', 'bfloat16'
PRECISIONS = (FLOAT32, BFLOAT16)
# /proc/cpuinfo's names of the instructions oneDNN multiplies bfloat16 with.
BFLOAT16_CPU_FLAGS = ('avx512_bf16', 'amx_bf16')
CPUINFO = '/proc/cpuinfo'


def cpu_flags(path=CPUINFO):
  """The instruction-set flags of this machine's first CPU; empty where
  path cannot be read (a system without /proc)."""
  try:
    with open(path) as f:
      for line in f:
        name, _, value = line.partition(':')
        if name.strip() == 'flags':
          return frozenset(value.split())
  except OSError:
    pass
  return frozenset()


def session_config(precision, **fields):
  """A new tf.compat.v1.ConfigProto of fields, with oneDNN's bfloat16
  rewrite on for precision BFLOAT16."""
  # Imported here: config.py reads this module's names before TensorFlow is.
  # pylint: disable=g-import-not-at-top
  import tensorflow as tf
  from tensorflow.core.protobuf import rewriter_config_pb2
  proto = tf.compat.v1.ConfigProto(**fields)
  if precision == BFLOAT16:
    proto.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = (
        rewriter_config_pb2.RewriterConfig.ON)
  return proto


def _onednn_off(environ):
  return environ.get('TF_ENABLE_ONEDNN_OPTS', '').strip() in ('0', 'false')


def computes_bfloat16(precision, flags, environ=None):
  """Whether a run at precision really multiplies in bfloat16 here: asked
  for, oneDNN on, and the CPU has its bfloat16 instructions (flags:
  cpu_flags()). What scripts/benchmark.py's limit then measures too."""
  environ = os.environ if environ is None else environ
  return (precision == BFLOAT16 and not _onednn_off(environ) and
          any(f in flags for f in BFLOAT16_CPU_FLAGS))


def notice(precision, flags, environ=None):
  """The line a run at precision prints before its first epoch: what it
  will really compute. None for float32.

  flags: cpu_flags(). environ: default os.environ (TF_ENABLE_ONEDNN_OPTS).
  """
  if precision != BFLOAT16:
    return None
  environ = os.environ if environ is None else environ
  if _onednn_off(environ):
    return ('--precision=bfloat16: oneDNN is off (TF_ENABLE_ONEDNN_OPTS=%s), '
            'and the bfloat16 rewrite is oneDNN\'s: this run computes in '
            'float32' % environ['TF_ENABLE_ONEDNN_OPTS'])
  found = [f for f in BFLOAT16_CPU_FLAGS if f in flags]
  if not found:
    return ('--precision=bfloat16: this CPU has no AVX512-BF16 or AMX (%s), '
            'and TensorFlow does not rewrite the graph for it: this run '
            'computes in float32, at float32\'s speed, with float32\'s results'
            % CPUINFO)
  return ('Precision: bfloat16 matmuls and convolutions (%s); variables, '
          'checkpoints and summaries stay float32' % ', '.join(found))
