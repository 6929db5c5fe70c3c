"""Every setting of a run, declared once: its kind, range or choices,
default and help.

The Python API checks its keyword arguments here (check()), and names the
keyword: `legacy_dnn.train(restart='no'): restart must be True or False`.
The scripts' absl flags and docs/flags.md are generated from the same
declarations (config.define()), so a flag and its keyword cannot drift apart;
presets and the settings of a foreign checkpoint go through check() too.
Nothing here imports absl or TensorFlow.
"""

import dataclasses
import math
import numbers
import os
import re
from typing import Callable, Optional, Tuple

from legacy_dnn import data
from legacy_dnn import precision as precision_lib
from legacy_dnn import presets
from legacy_dnn.errors import UserError

DEFAULT_LOGDIR = 'tf_logs'
DEFAULT_MODELS_ROOT = 'models'
# Below these sizes, one thread per op and one op at a time are faster on
# the 2-core machines this project is measured on (docs/speed.md).
SMALL_BATCH_ACTIVATIONS = 2**18
SMALL_STEP_FLOPS = 1e8
# The default steps_per_call: steps for this many examples a session call,
# as long as a call's matmuls and convolutions stay under this many FLOPs
# (a tenth of a second, about), so that a signal or the progress bar never
# waits long (docs/speed.md).
EXAMPLES_PER_CALL = 4096
FLOPS_PER_CALL = 1e10
# export's formats that write one file, by the ending its name must have,
# and the quantizations of a LiteRT file (lite.py says what each does).
EXPORT_SUFFIXES = {'keras': '.keras', 'weights': '.weights.h5',
                   'tflite': '.tflite', 'onnx': '.onnx'}
QUANTIZATIONS = ('none', 'float16', 'dynamic', 'int8')
EXPORT_FORMATS = ('savedmodel', 'keras', 'weights', 'tflite', 'onnx')
# The ONNX opsets export converts to (tf2onnx 1.17's, from the first with
# every op our networks need in its current form), and its default.
ONNX_OPSETS = (13, 18)
ONNX_OPSET = 17


class SettingError(UserError):
  """A setting of the wrong type or out of its range; says which."""


class _Bad(Exception):
  """What a kind says of a value it refuses: 'an integer >= 1'."""


# Kinds: what a value must be. Each checks a Python value (check) and says
# how the command line writes it (flag_text); config.define() maps each to
# its absl flag. A flag's text becomes a Python value through its absl
# parser and from_flag(), then meets the same check.

@dataclasses.dataclass(frozen=True)
class Integer:
  low: Optional[int] = None
  high: Optional[int] = None

  def check(self, value):
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
        or (self.low is not None and value < self.low)
        or (self.high is not None and value > self.high)):
      raise _Bad('an integer' + _bounds(self.low, self.high))
    return int(value)


@dataclasses.dataclass(frozen=True)
class Number:
  low: Optional[float] = None
  high: Optional[float] = None
  above_low: bool = False  # low itself refused: (low, high].
  flag_message: str = ''  # What a flag's validator says (absl's words aside).

  def check(self, value):
    ok = (not isinstance(value, bool) and isinstance(value, numbers.Real)
          and math.isfinite(value))
    if ok and self.low is not None:
      ok = value > self.low if self.above_low else value >= self.low
    if ok and self.high is not None:
      ok = value <= self.high
    if not ok:
      if self.above_low and self.high is not None:
        raise _Bad('a number in (%g, %g]' % (self.low, self.high))
      if self.above_low:
        raise _Bad('a number > %g' % self.low)
      raise _Bad('a number' + _bounds(self.low, self.high))
    return float(value)


@dataclasses.dataclass(frozen=True)
class Boolean:

  def check(self, value):
    if value is True or value is False or type(value).__name__ == 'bool_':
      return bool(value)
    raise _Bad('True or False')


@dataclasses.dataclass(frozen=True)
class Text:
  path: bool = False  # A file or folder: an os.PathLike is taken too.
  prefixes: Tuple[str, ...] = ()  # What it must start with, e.g. http://.
  flag_message: str = ''

  def check(self, value):
    if self.path and isinstance(value, os.PathLike):
      value = os.fspath(value)
    if not isinstance(value, str):
      raise _Bad('a path' if self.path else 'a string')
    if self.prefixes and not value.startswith(self.prefixes):
      raise _Bad('a URL starting with ' + ' or '.join(self.prefixes))
    return value


@dataclasses.dataclass(frozen=True)
class Choice:
  choices: Tuple[str, ...]

  def check(self, value):
    if not isinstance(value, str) or value not in self.choices:
      raise _Bad('one of ' + ', '.join(self.choices))
    return value


@dataclasses.dataclass(frozen=True)
class Items:
  """A list: sizes of layers, layer names, class numbers."""
  item: Callable  # A value -> whether it may be in the list.
  expected: str  # What the list must hold, for the Python message.
  flag_message: str  # What the flag's validator says.
  to_int: bool = True  # A flag's items are numbers.
  distinct: bool = False
  nonempty: bool = False

  def check(self, value):
    if (isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple))
        or not all(self.item(v) for v in value)
        or (self.distinct and len(set(value)) != len(value))
        or (self.nonempty and not value)):
      raise _Bad(self.expected)
    return tuple(int(v) if self.to_int else v for v in value)

  def from_flag(self, items):
    """A flag's list of strings as the Python value check() takes; an item
    that is no number stays a string, for check() to refuse."""
    if not self.to_int:
      return list(items)
    return [int(v) if v.isdigit() else v for v in items]


def _bounds(low, high):
  if low is not None and high is not None:
    return ' from %s to %s' % (low, high)
  if low is not None:
    return ' >= %s' % low
  if high is not None:
    return ' <= %s' % high
  return ''


def _positive_int(v):
  return (isinstance(v, numbers.Integral) and not isinstance(v, bool)
          and v > 0)


def _class_number(v):
  return (isinstance(v, numbers.Integral) and not isinstance(v, bool)
          and 0 <= v < data.NUM_CLASSES)


def _layer_name(v):
  return isinstance(v, str) and bool(
      re.fullmatch(r'(conv|hidden)[1-9]\d*|outputs', v))


def sizes(example):
  return Items(_positive_int, 'a list of positive integers, e.g. (%s) '
               '(empty: no such layers)' % example.replace(',', ', '),
               'must be comma-separated positive integers, e.g. %s (empty: '
               'no such layers)' % example)


LAYERS = Items(_layer_name, "a list of layer names: 'conv1', ..., "
               "'hidden1', ..., 'outputs'",
               'must name layers: conv1, ..., hidden1, ..., outputs',
               to_int=False)
CLASSES = Items(_class_number, 'a list of distinct class numbers from 0 '
                'to %d' % (data.NUM_CLASSES - 1),
                'must be distinct class numbers from 0 to 9', distinct=True,
                nonempty=True)


@dataclasses.dataclass(frozen=True)
class Setting:
  """One setting: a keyword of the API and a flag of a script."""
  name: str
  kind: object
  help: str
  default: object = None  # None: the preset's, the data's, or none.


@dataclasses.dataclass(frozen=True)
class Rule:
  """A check across settings. message is written as the command line says
  it (--output ...); the API's message drops the dashes."""
  names: Tuple[str, ...]
  holds: Callable  # {name: value} -> bool.
  message: str


@dataclasses.dataclass(frozen=True)
class Group:
  """The settings one entry point takes: train, a model's, export's, ..."""
  settings: Tuple[Setting, ...]
  rules: Tuple[Rule, ...] = ()

  def __add__(self, other):
    names = {s.name for s in self.settings}
    return Group(self.settings + tuple(s for s in other.settings
                                       if s.name not in names),
                 self.rules + other.rules)

  def __getitem__(self, name):
    for setting in self.settings:
      if setting.name == name:
        return setting
    raise KeyError(name)

  def names(self):
    return [s.name for s in self.settings]


def _text(value):
  return repr(value)


def check(api, group, values):
  """values, each checked against its declaration: {name: Python value}.

  None leaves a setting at its default and is passed on as None. Lists come
  back as tuples, paths as str.

  Args:
    api: who takes them, for the message: 'legacy_dnn.train'.
    group: the Group of settings api takes.
    values: {keyword: value}.

  Raises:
    SettingError: an unknown keyword, a value of the wrong type or out of
      range, or settings that do not go together; one line naming the
      keyword.
  """
  known = {s.name: s for s in group.settings}
  checked = {}
  for name, value in values.items():
    if name not in known:
      raise SettingError('%s(%s=%s): unknown setting %s (it takes %s)' % (
          api, name, _text(value), name, ', '.join(sorted(known))))
    if value is None:
      checked[name] = None
      continue
    try:
      checked[name] = known[name].kind.check(value)
    except _Bad as bad:
      raise SettingError('%s(%s=%s): %s must be %s' % (
          api, name, _text(value), name, bad)) from None
  full = {s.name: checked.get(s.name, s.default) for s in group.settings}
  for rule in group.rules:
    if not rule.holds(full):
      raise SettingError('%s: %s' % (api, re.sub(r'--(?=[a-z])', '',
                                                  rule.message)))
  return checked


_PRESETS = sorted(presets.PRESETS)
_DATASETS = sorted(data.DATASETS)

DATA = Group((
    Setting('data_dir', Text(path=True),
            'Folder holding the four IDX files (gzipped or raw), CIFAR-10\'s '
            'archive or batches, or California housing\'s cal_housing.tgz. '
            'Default: the per-user cache (%s), then Debian\'s package folder '
            'for fashion_mnist, then a download into the cache. (cosine is '
            'generated.)' % data.cache_root()),
    Setting('mirror', Text(prefixes=('http://', 'https://'),
                           flag_message='must be an http:// or https:// URL'),
            'Base URL to download the dataset\'s files from instead of its '
            'canonical mirror; the files must still match the published MD5 '
            '(SHA-256) sums.'),
))

TRAIN = Group((
    Setting('variant', Choice(tuple(_PRESETS)),
            'Seed network to train; its preset gives every default below '
            'that says "preset".', 'dropout'),
    Setting('dataset', Choice(tuple(_DATASETS)),
            'What to train on. Default: the variant\'s (cifar10 for '
            'cifar_cnn, california_housing for regression and wide_deep, '
            'cosine for cosine, else mnist).'),
) + DATA.settings + (
    Setting('epochs', Integer(1), 'Epochs to train (preset).'),
    Setting('batch_size', Integer(1),
            'Examples per training step (preset).'),
    Setting('learning_rate', Number(0, above_low=True,
                                    flag_message='must be a positive number'),
            'Optimizer learning rate (preset).'),
    Setting('optimizer', Choice((presets.ADAM, presets.SGD)),
            'Adam or plain gradient descent (preset).'),
    Setting('keep_prob', Number(0, 1, above_low=True,
                                flag_message='must be in (0, 1]'),
            'Probability of keeping a hidden unit in training, in (0, 1]; 1 '
            'means no dropout. Evaluation always keeps every unit '
            '(preset).'),
    Setting('hidden_units', sizes('512,512'),
            'Comma-separated hidden layer sizes, e.g. 512,512 (preset).'),
    Setting('filters', sizes('32,64'),
            'Comma-separated filter counts of the convolutional blocks, e.g. '
            '32,64 (preset; only the convolutional presets have them).'),
    Setting('patience', Integer(0),
            'Stop after this many epochs without a lower validation loss; 0 '
            'never stops early (preset: 50 for homl, 0 for the lab '
            'networks).'),
    Setting('checkpoint_every', Integer(1),
            'Save a checkpoint every this many epochs (preset: 5 for homl, '
            '1 for the lab networks).'),
    Setting('seed', Integer(0),
            'Seed for initialization, shuffling and dropout.', 0),
    Setting('validation_size', Integer(1),
            'Training images held out, from the front, for validation. '
            'Default: %d. The regression datasets\' splits are fixed '
            '(california_housing: 11,610 train, 3,870 validation, 5,160 test '
            'rows; cosine: 550 and 450).' % data.VALIDATION_SIZE),
    Setting('model_dir', Text(path=True),
            'Where checkpoints, the epoch file and the best model go. '
            'Default: %s/<variant>-<dataset> (or %s/<variant>, if it holds a '
            'run on the dataset from before model_dirs named it).'
            % (DEFAULT_MODELS_ROOT, DEFAULT_MODELS_ROOT)),
    Setting('logdir', Text(path=True),
            'Root folder for TensorBoard event files; each run gets '
            '<variant>-<dataset>-run-<UTC timestamp> under it.',
            DEFAULT_LOGDIR),
    Setting('restart', Boolean(),
            'Start over instead of resuming: the old model_dir is moved '
            'aside to <model_dir>.old-<UTC timestamp>, never deleted.',
            False),
    Setting('intra_op_threads', Integer(0),
            'Threads TensorFlow may split one op (a matmul, an update) '
            'across; 0 is one per core. Default: 1 when batch_size x the '
            'widest layer is at most %d, where handing small ops to other '
            'threads costs more than it saves, else 0.'
            % SMALL_BATCH_ACTIVATIONS),
    Setting('inter_op_threads', Integer(0),
            'Ops TensorFlow may run at once (e.g. a layer\'s kernel and '
            'input gradients); 0 is one per core. Default: 1 when a step\'s '
            'matmuls are under %g FLOPs, else 0.' % SMALL_STEP_FLOPS),
    Setting('steps_per_call', Integer(1),
            'Training steps taken in one session call: a tf.while_loop '
            'trains that many batches, fed at once, so the per-call cost of '
            'TensorFlow and Python is paid once for all of them. The results '
            'are the same bit for bit whatever it is; a signal, a checkpoint '
            'or the progress bar waits for the call to end. Default: enough '
            'batches for %d examples, but no more than %g FLOPs of matmuls '
            'and convolutions a call. A cluster\'s workers take one step a '
            'call.' % (EXAMPLES_PER_CALL, FLOPS_PER_CALL)),
    Setting('trace_every', Integer(0),
            'Every this many steps, trace one training step in full into '
            'the train writer (tag step<global step>), as '
            'mnist_with_summaries.py did: TensorBoard\'s Graph tab then '
            'colours each node by its compute time or memory in that step. '
            '0 traces none. The results stay the same bit for bit.', 0),
    Setting('precision', Choice(precision_lib.PRECISIONS),
            'What matmuls and convolutions compute in: float32, or bfloat16 '
            'where the CPU multiplies it (AVX512-BF16, AMX), through '
            'oneDNN\'s mixed precision rewrite. Variables, checkpoints and '
            'exports stay float32.', precision_lib.FLOAT32),
    Setting('deterministic', Boolean(),
            'Turn on TensorFlow op determinism, so a resumed run ends '
            'bit-for-bit equal to an uninterrupted one.', True),
    Setting('warm_start_from', Text(path=True),
            'What initializes --warm_start_layers: a model_dir (its best '
            'model), a checkpoint prefix, or a folder with a checkpoint '
            'index, written here or by other TF1 code.'),
    Setting('warm_start_layers', LAYERS,
            'Layers to copy from --warm_start_from, e.g. hidden1,hidden2. '
            'Default: every hidden layer.'),
    Setting('freeze', LAYERS,
            'Layers the optimizer leaves alone, e.g. hidden1,hidden2.', ()),
    Setting('classes', CLASSES,
            'Train and evaluate on these classes only, e.g. 0,1,2,3,4; '
            'labels keep their numbers.'),
    Setting('train_limit', Integer(1),
            'Train on the first this many training examples (after '
            '--classes).'),
), (
    Rule(('warm_start_from', 'warm_start_layers'),
         lambda v: bool(v['warm_start_from'] or not v['warm_start_layers']),
         '--warm_start_layers needs --warm_start_from'),
))

MODEL = Group((
    Setting('model_dir', Text(path=True),
            'A model_dir written by scripts/train.py; its run.json says which '
            'network and dataset it holds. Default: %s/<variant>-<dataset>, '
            'as train.py picks it.' % DEFAULT_MODELS_ROOT),
    Setting('checkpoint', Text(path=True),
            'A checkpoint prefix, e.g. models/dropout-mnist/model.ckpt-8250 '
            'or the /tmp/my_model_final.ckpt of another TF1 script (or a '
            'folder with a checkpoint index). Default: the best model of '
            '--model_dir. Without a run.json beside it, --variant, --dataset '
            'and --hidden_units describe the network.'),
    Setting('variant', Choice(tuple(_PRESETS)),
            'The network of a --checkpoint without run.json; otherwise picks '
            'the default --model_dir, and must match a run.json if given.',
            'dropout'),
    Setting('dataset', Choice(tuple(_DATASETS)),
            'The test data of a --checkpoint without run.json; otherwise '
            'picks the default --model_dir, and must match a run.json if '
            'given. Default: the variant\'s (cifar10 for cifar_cnn, '
            'california_housing for regression and wide_deep, cosine for '
            'cosine, else mnist).'),
    Setting('hidden_units', sizes('512,512'),
            'Hidden layer sizes of a --checkpoint without run.json, if not '
            'the variant\'s, e.g. 300,100.'),
    Setting('filters', sizes('32,64'),
            'Filter counts of the convolutional blocks of a --checkpoint '
            'without run.json, if not the variant\'s, e.g. 32,64.'),
))


def _ends_right(v):
  return (v['output'] is None or v['format'] not in EXPORT_SUFFIXES
          or v['output'].endswith(EXPORT_SUFFIXES[v['format']]))


EXPORT = Group((
    Setting('format', Choice(EXPORT_FORMATS),
            'What to write: a SavedModel version folder under --export_dir; '
            'a Keras 3 .keras file; its .weights.h5; a LiteRT .tflite file; '
            'or an .onnx file.', 'savedmodel'),
    Setting('export_dir', Text(path=True),
            'The model\'s base path for TensorFlow Serving; each export adds '
            'the next version folder under it. Default: serving/<the '
            'model_dir\'s name>. (--format=savedmodel.)'),
    Setting('output', Text(path=True),
            'The file to write with --format=keras (.keras), weights '
            '(.weights.h5), tflite (.tflite) or onnx (.onnx); one already '
            'there is replaced once the new one is whole. Default: '
            'serving/<the model_dir\'s name>[-<quantize>]<ending>.'),
    Setting('quantize', Choice(QUANTIZATIONS),
            'With --format=tflite: none (float32), float16 weights, dynamic '
            '(int8 weights), or int8 weights and activations (calibrated on '
            '--calibration_examples).', 'none'),
    Setting('calibration_examples', Integer(1),
            'With --quantize=int8: the training examples whose activations '
            'set the int8 ranges, drawn from the run\'s own training split.',
            500),
    Setting('seed', Integer(0),
            'Seed of the choice of calibration examples.', 0),
    Setting('opset', Integer(*ONNX_OPSETS),
            'With --format=onnx: the ONNX opset to convert to.', ONNX_OPSET),
), (
    Rule(('format', 'output'),
         lambda v: v['output'] is None or v['format'] != 'savedmodel',
         '--output names the file of --format=keras, weights, tflite or '
         'onnx; a SavedModel goes to --export_dir'),
    Rule(('format', 'export_dir'),
         lambda v: v['export_dir'] is None or v['format'] == 'savedmodel',
         '--export_dir is where --format=savedmodel writes; the other '
         'formats write --output'),
    Rule(('format', 'quantize'),
         lambda v: v['quantize'] == 'none' or v['format'] == 'tflite',
         '--quantize is for --format=tflite'),
    Rule(('format', 'opset'),
         lambda v: v['opset'] == ONNX_OPSET or v['format'] == 'onnx',
         '--opset is for --format=onnx'),
    Rule(('format', 'output'), _ends_right,
         '--output must end in .keras for --format=keras, .weights.h5 for '
         'weights, .tflite for tflite and .onnx for onnx'),
))

SWEEP = Group((
    Setting('grid', Text(),
            'Parameters and their values, every combination tried: '
            '"hidden_units=256,256|512,512;learning_rate=0.001,0.01" (values '
            'split on | when any holds a comma, else on ,).'),
    Setting('random', Integer(1),
            'Number of trials drawn from --ranges, reproducibly from '
            '--seed.'),
    Setting('ranges', Text(),
            'Where --random draws: NAME=loguniform:LOW:HIGH, uniform:LOW:HIGH, '
            'LOW..HIGH (integers) or choice:A|B, separated by ;. depth and '
            'units make the hidden layers depth x units (units default: the '
            'preset\'s first layer).',
            'learning_rate=loguniform:3e-4:3e-2;depth=1..4'),
    Setting('sweep_dir', Text(path=True),
            'Where trials, logs and results.csv go. Default: '
            'sweeps/<variant>.'),
    Setting('parallel', Integer(1),
            'Trials run at once, each in a process of its own (so each '
            'one\'s thread pools are sized for its own network). With 1, '
            'trials run one after another in this process.', 1),
), (
    Rule(('grid', 'random'),
         lambda v: (v['grid'] is None) != (v['random'] is None),
         'pass exactly one of --grid and --random'),
))


# A sweep's pseudo-settings: the hidden layers as depth x units, and
# filters<N>, the filter count of the Nth convolutional block.
DEPTH, UNITS = 'depth', 'units'
FILTERS_N = re.compile(r'filters([1-9]\d*)')


def sweep_kind(name, group=TRAIN, per_run=()):
  """The kind of a setting a sweep may vary, or None if it may not."""
  if name in (DEPTH, UNITS) or FILTERS_N.fullmatch(name):
    return Integer(1)
  if name in group.names() and name not in per_run:
    return group[name].kind
  return None


def _as_text(value):
  return (','.join(map(str, value)) if isinstance(value, tuple)
          else str(value))


def check_grid(api, grid, per_run=()):
  """A sweep's grid of Python values, each checked as its keyword is, as
  sweep.py's --grid text: {'learning_rate': [0.001, 0.01]} becomes
  'learning_rate=0.001,0.01'.

  Args:
    api: who takes it, for the message.
    grid: {setting: a list of its values}; every combination is a trial.
    per_run: settings that are each trial's own (model_dir, ...).

  Raises:
    SettingError: not such a dict, a name no trial can vary, or a value its
      setting refuses; one line naming it.
  """
  if not isinstance(grid, dict) or not grid:
    raise SettingError('%s(grid=%r): grid must be a dict of settings and '
                       'their values, e.g. {\'learning_rate\': [0.001, '
                       '0.01]}' % (api, grid))
  parts = []
  for name, values in grid.items():
    kind = sweep_kind(name, per_run=per_run) if isinstance(name, str) else None
    if kind is None:
      raise SettingError('%s(grid={%r: ...}): %r is not a setting a trial '
                         'can vary (train()\'s keywords but %s; depth, '
                         'units, filters1, ...)' % (api, name, name,
                                                    ', '.join(per_run)))
    if not isinstance(values, (list, tuple, range)) or not values:
      raise SettingError('%s(grid={%r: %r}): %s needs a list of values' % (
          api, name, values, name))
    texts = []
    for value in values:
      try:
        texts.append(_as_text(kind.check(value)))
      except _Bad as bad:
        raise SettingError('%s(grid={%r: [..., %r, ...]}): %s must be %s' % (
            api, name, value, name, bad)) from None
    separator = '|' if any(',' in t for t in texts) else ','
    parts.append('%s=%s' % (name, separator.join(texts)))
  return ';'.join(parts)


def from_text(name, text):
  """A trial's parameter, recorded as its flag's text, as a Python value:
  '0.001' -> 0.001, '256,256' -> (256, 256); text of no known kind stays."""
  kind = sweep_kind(name)
  try:
    if isinstance(kind, Integer):
      return int(text)
    if isinstance(kind, Number):
      return float(text)
    if isinstance(kind, Boolean):
      return {'true': True, 'false': False}[text.lower()]
    if isinstance(kind, Items):
      return kind.check(kind.from_flag(text.split(',') if text else []))
  except (ValueError, KeyError, _Bad):
    pass
  return text
