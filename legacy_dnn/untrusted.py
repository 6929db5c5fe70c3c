"""Graphs we did not build, checked before any of their ops runs.

A SavedModel is a program: loading it runs its restore and init ops, and
serving it runs whatever its signature's outputs depend on, and TensorFlow's
own security policy says so. An op such as WriteFile, ReadFile, PrintV2
(which can print to a file) or PyFunc in any of them reads or writes files,
or runs code, as the user who loads it.

So a graph from outside may hold only the op types that our own exports of
every preset hold (ALLOWED_OPS; tests/test_untrusted.py builds those exports
and checks that each passes), and the ops that write a checkpoint
(SAVE_OPS), which every TF1 SavedModel's Saver holds, only where nothing that
loading or serving runs depends on them.

Which load paths run a graph we did not build (docs/security.md):
- predict.py --saved_model: the SavedModel's own graph. Checked here.
- evaluate.py, export.py, predict.py with --model_dir or --checkpoint, and
  train.py --warm_start_from: none. They build our own graph and read the
  checkpoint's tensors into it by name, after checking their shapes
  (checkpoints.check_shapes); no graph from the checkpoint's .meta file is
  imported.
"""

import collections

from legacy_dnn.errors import UserError

# What our own exports of every preset hold: the inference math, the
# placeholders and variables (resource variables, and a TF1-era export's
# reference variables), the initializers, and the Saver's restore ops with
# its string ops for a checkpoint's file names. Also what exports written
# before 2026-12-06 hold (EARLIER_EXPORT_OPS), so that they still load.
EARLIER_EXPORT_OPS = frozenset([
    # A batch norm's cond on its training flag, False in an export: the
    # batch's moments in one branch, the moving averages' updates in the
    # functions of another. Batch norms are now built as tf.layers'
    # (legacy_dnn.tf1.layers), which leave out what a constant flag rules out.
    'AssignSubVariableOp', 'If', 'Mean', 'SquaredDifference', 'Squeeze',
    'StopGradient',
])
ALLOWED_OPS = frozenset([
    'AddV2', 'ArgMax', 'Assign', 'AssignSubVariableOp', 'AssignVariableOp',
    'BiasAdd', 'ConcatV2', 'Const', 'Conv2D', 'Identity', 'If',
    'IsVariableInitialized', 'MatMul', 'MaxPool', 'Mean', 'Mul', 'NoOp',
    'Pack', 'Placeholder', 'PlaceholderWithDefault', 'RandomStandardNormal',
    'RandomUniform', 'ReadVariableOp', 'RealDiv', 'Relu', 'Reshape',
    'RestoreV2', 'Rsqrt', 'Select', 'ShardedFilename', 'Softmax',
    'SquaredDifference', 'Squeeze', 'StaticRegexFullMatch', 'StopGradient',
    'StridedSlice', 'StringJoin', 'Sub', 'VarHandleOp', 'VarIsInitializedOp',
    'VariableV2',
])
# A Saver's ops that write a checkpoint: in every SavedModel, run by nothing
# that loads or serves it.
SAVE_OPS = frozenset(['MergeV2Checkpoints', 'Save', 'SaveSlices', 'SaveV2'])
# Where a SavedModel names the ops that loading runs after the restore
# (tf.compat.v1.saved_model's constants).
INIT_OP_SIGNATURE = '__saved_model_init_op'
INIT_OP_COLLECTIONS = ('saved_model_main_op', 'legacy_init_op')
TRUST_HINT = ('pass --trust_model only if you trust where it came from: '
              'loading a model runs its graph')


class UntrustedGraphError(UserError):
  """A graph from outside holds an op that our models never run."""


def _node_name(input_name):
  """'^a/b' or 'a/b:1' -> 'a/b'."""
  return input_name.lstrip('^').split(':')[0]


def run_by_loading(meta_graph, signature_key):
  """The names of the nodes that loading meta_graph and serving its
  signature_key signature run: everything the Saver's restore op, the init
  ops and the signature's outputs depend on."""
  targets = [meta_graph.saver_def.restore_op_name,
             meta_graph.saver_def.filename_tensor_name]
  for key in (INIT_OP_SIGNATURE, signature_key):
    if key in meta_graph.signature_def:
      targets += [t.name for t in
                  meta_graph.signature_def[key].outputs.values()]
  for key in INIT_OP_COLLECTIONS:
    if key in meta_graph.collection_def:
      targets += meta_graph.collection_def[key].node_list.value
  inputs = {node.name: node.input for node in meta_graph.graph_def.node}
  seen = set()
  queue = collections.deque(_node_name(t) for t in targets if t)
  while queue:
    name = queue.popleft()
    if name in seen or name not in inputs:
      continue
    seen.add(name)
    queue.extend(_node_name(i) for i in inputs[name])
  return seen


def check_meta_graph(meta_graph, what, signature_key):
  """Raises UntrustedGraphError unless every op of meta_graph is one our
  own models hold.

  Every node of the graph and of every function in its library counts,
  whether or not anything runs it; a call of a function by its name is
  allowed, its body being checked too. A save op is allowed only where
  nothing that loading or serving runs depends on it.

  Args:
    meta_graph: a MetaGraphDef.
    what: names the graph in the message, e.g. '--saved_model=DIR'.
    signature_key: the signature that will be served.
  """
  functions = {f.signature.name for f in meta_graph.graph_def.library.function}
  nodes = [(node, '') for node in meta_graph.graph_def.node] + [
      (node, ' in function %s' % f.signature.name)
      for f in meta_graph.graph_def.library.function for node in f.node_def]
  run = None
  for node, where in nodes:
    if node.op in ALLOWED_OPS or node.op in functions:
      continue
    if node.op in SAVE_OPS and not where:
      if run is None:
        run = run_by_loading(meta_graph, signature_key)
      if node.name not in run:
        continue
      raise UntrustedGraphError(
          '%s: loading or serving it runs a %s op (node %s), which writes '
          'files; %s' % (what, node.op, node.name, TRUST_HINT))
    raise UntrustedGraphError(
        '%s: its graph holds a %s op (node %s%s), which no model of ours '
        'holds and which may read or write files or run code; %s'
        % (what, node.op, node.name, where, TRUST_HINT))
