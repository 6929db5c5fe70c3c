"""Command-line flags and the frozen TrainConfig built from them.

Only ``scripts/`` hold a FlagValues; they call define_flags() on it, parse it
with parse_or_exit(), and hand from_flags() to the library, which only ever
sees a TrainConfig.
"""

import dataclasses
import json
import os
import re
import sys
from typing import Optional, Tuple

from absl import flags

from legacy_dnn import cluster_config
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
# The default --steps_per_call: steps for this many examples a session call,
# as long as a call's matmuls and convolutions stay under this many FLOPs
# (a tenth of a second, about), so that a signal or the progress bar never
# waits long (docs/speed.md).
EXAMPLES_PER_CALL = 4096
FLOPS_PER_CALL = 1e10
# predict.py's default --max_pixels: PIL's own Image.MAX_IMAGE_PIXELS, far
# more than any photo of a digit or a shoe needs.
MAX_IMAGE_PIXELS = 89_478_485
# export.py's formats that write one file, by the ending its name must have,
# and the quantizations of a LiteRT file (lite.py says what each does).
EXPORT_SUFFIXES = {'keras': '.keras', 'weights': '.weights.h5',
                   'tflite': '.tflite', 'onnx': '.onnx'}
QUANTIZATIONS = ('none', 'float16', 'dynamic', 'int8')
EXPORT_FORMATS = ('savedmodel', 'keras', 'weights', 'tflite', 'onnx')
# The ONNX opsets export.py converts to (tf2onnx 1.17's, from the first with
# every op our networks need in its current form), and its default.
ONNX_OPSETS = (13, 18)
ONNX_OPSET = 17


def _not_a_setting(default=dataclasses.MISSING, per_run=False):
  """A TrainConfig field that says where a run lives or how fast it goes,
  not what it computes: settings() leaves it out.

  per_run: where one run's files go, which a sweep gives each trial.
  """
  return dataclasses.field(default=default, metadata={
      'setting': False, 'per_run': per_run})


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """One training run, fully resolved: preset values with overrides applied."""
  variant: str
  hidden_units: Tuple[int, ...]
  kernel_init: str
  bias_init: Optional[str]
  optimizer: str
  learning_rate: float
  epochs: int
  batch_size: int
  keep_prob: float
  patience: Optional[int]
  checkpoint_every: int
  seed: int
  validation_size: int
  dataset: str
  data_dir: Optional[str] = _not_a_setting()
  mirror: Optional[str] = _not_a_setting()
  model_dir: str = _not_a_setting(per_run=True)
  logdir: str = _not_a_setting(per_run=True)
  restart: bool = _not_a_setting(False, per_run=True)
  deterministic: bool = True
  # precision.py: float32, or bfloat16 matmuls and convolutions.
  precision: str = precision_lib.FLOAT32
  # Transfer learning: layers (e.g. 'hidden1') initialized from the
  # checkpoint warm_start_from names, layers left out of the optimizer's
  # var_list.
  warm_start_from: Optional[str] = None
  warm_start_layers: Tuple[str, ...] = ()
  freeze: Tuple[str, ...] = ()
  # Train and evaluate on these classes only (labels kept), and on the first
  # train_limit training examples of them.
  classes: Optional[Tuple[int, ...]] = None
  train_limit: Optional[int] = None
  # The TensorBoard run folder under logdir; default
  # <variant>-<dataset>-run-<time>.
  run_name: Optional[str] = _not_a_setting(None)
  # TensorFlow's thread pools: threads inside one op, and ops run at once.
  # 0 is TensorFlow's default (one per core); None lets training choose.
  intra_op_threads: Optional[int] = _not_a_setting(None)
  inter_op_threads: Optional[int] = _not_a_setting(None)
  # Training steps per session call (multistep.py); None chooses.
  steps_per_call: Optional[int] = _not_a_setting(None)
  # Record every this many steps a step's full trace for TensorBoard's
  # Graph tab (compute time and memory per node); 0 records none.
  trace_every: int = _not_a_setting(0)
  # How the layers are built (presets.Preset documents them). The defaults
  # are the lab 10 networks', so a run.json from before convolutional
  # networks reads as it did.
  filters: Tuple[int, ...] = ()
  dense_block: Tuple[str, ...] = presets.Preset.dense_block
  output_block: Tuple[str, ...] = presets.Preset.output_block
  conv_block: Tuple[str, ...] = presets.Preset.conv_block
  kernel_size: int = presets.Preset.kernel_size
  conv_padding: str = presets.Preset.conv_padding
  pool_padding: str = presets.Preset.pool_padding
  conv_kernel_init: str = presets.Preset.conv_kernel_init
  conv_bias_init: Optional[str] = presets.Preset.conv_bias_init
  batch_norm_decay: float = presets.Preset.batch_norm_decay
  batch_norm_scale: bool = presets.Preset.batch_norm_scale
  head: str = presets.Preset.head
  inputs: Tuple[Tuple[str, int, int], ...] = presets.Preset.inputs
  output_name: str = presets.Preset.output_name
  loss_weights: Tuple[float, ...] = presets.Preset.loss_weights
  adam_epsilon: float = presets.Preset.adam_epsilon
  # None trains in this process alone; otherwise its task in a cluster.
  cluster: Optional[cluster_config.ClusterConfig] = _not_a_setting(None)

  def settings(self):
    """The values that define the run's results, as a JSON-ready dict.

    A model_dir records them; resuming with different settings would silently
    mix two experiments, so training compares them first. Paths and --restart
    are left out: moving a run or restarting it does not change what it is.
    So are the thread counts and traced steps, which change the speed but
    not one bit of the variables (tests/test_training.py).
    """
    return {f.name: _lists(getattr(self, f.name))
            for f in dataclasses.fields(self) if f.name in SETTINGS}


# The TrainConfig fields that settings() holds, and those a sweep gives each
# trial (scripts/sweep.py): read from the fields' metadata.
SETTINGS = tuple(f.name for f in dataclasses.fields(TrainConfig)
                 if f.metadata.get('setting', True))
PER_RUN = tuple(f.name for f in dataclasses.fields(TrainConfig)
                if f.metadata.get('per_run'))


def _lists(value):
  """value with its tuples, nested ones too, as lists: as JSON reads them."""
  return [_lists(v) for v in value] if isinstance(value, (tuple, list)) \
      else value


# What each head learns: the datasets' kinds of target.
TASKS = {presets.CLASSES: data.CLASSIFICATION,
         presets.REGRESSION: data.REGRESSION}


def check_dataset(config):
  """Raises UserError if config's network cannot train on its dataset.

  A head learns one kind of target: a classifier's labels, or a
  regressor's numbers.
  """
  dataset = data.DATASETS[config.dataset]
  task = TASKS[config.head]
  if task != dataset.task:
    fitting = sorted(v for v, p in presets.PRESETS.items()
                     if TASKS[p.head] == dataset.task)
    raise UserError(
        '--dataset=%s: %s is a %s dataset, and --variant=%s a %s network; '
        'pick a %s variant (%s)' % (config.dataset, config.dataset,
                                    dataset.task, config.variant, task,
                                    dataset.task, ', '.join(fitting)))
  if dataset.split_fixed and config.validation_size != dataset.validation_size:
    raise UserError('--validation_size=%d: %s\'s split is fixed (%d '
                    'validation rows)' % (config.validation_size,
                                          config.dataset,
                                          dataset.validation_size))
  if dataset.is_regression and config.classes is not None:
    raise UserError('--classes: %s is a regression dataset; it has no '
                    'classes' % config.dataset)
  n_features = dataset.input_shape[-1]
  for name, start, stop in config.inputs:
    if not 0 <= start < stop <= n_features:
      raise UserError('--dataset=%s: %s\'s input %s takes features %d-%d, '
                      'but a row has %d' % (config.dataset, config.variant,
                                            name, start, stop - 1, n_features))


def complete_settings(recorded):
  """A run.json's settings with the fields it predates at their defaults."""
  defaults = {f.name: _lists(f.default) for f in dataclasses.fields(TrainConfig)
              if f.default is not dataclasses.MISSING and f.name in SETTINGS}
  return {**defaults, **recorded}


def run_label(variant, dataset):
  """<variant>-<dataset>: what default model_dirs and run folders start with.

  Naming the dataset keeps a run on MNIST and one on Fashion-MNIST apart.
  """
  return '%s-%s' % (variant, dataset)


def default_model_dir(variant, dataset, root=DEFAULT_MODELS_ROOT):
  """models/<variant>-<dataset>, or the older default that holds such a run.

  Until model_dirs named their dataset, the default was models/<variant>. A
  run there on the same dataset is still found and resumed; one on another
  dataset is left alone.
  """
  new = os.path.join(root, run_label(variant, dataset))
  old = os.path.join(root, variant)
  if not os.path.exists(new):
    try:
      with open(os.path.join(old, 'run.json')) as f:
        if json.load(f)['settings']['dataset'] == dataset:
          return old
    except (OSError, ValueError, KeyError, TypeError):
      pass
  return new


def for_variant(variant, **overrides):
  """A TrainConfig for a preset, as the command line would build it."""
  preset = presets.PRESETS[variant]
  values = dataclasses.asdict(preset)
  values.update(
      variant=variant, seed=0,
      validation_size=data.DATASETS[overrides.get(
          'dataset', preset.dataset)].validation_size,
      data_dir=None, mirror=None, logdir=DEFAULT_LOGDIR)
  values.update(overrides)
  if values.get('patience') == 0:  # As --patience=0: train every epoch.
    values['patience'] = None
  values.setdefault('model_dir', default_model_dir(variant, values['dataset']))
  return TrainConfig(**_tuples(values))


def _tuples(values):
  """values with their lists, nested ones too, as tuples, as a frozen config
  wants (JSON and flags give lists)."""
  def tuples(value):
    return (tuple(tuples(v) for v in value)
            if isinstance(value, (list, tuple)) else value)
  return {k: tuples(v) for k, v in values.items()}


def data_record(config):
  """Where config's data comes from, as run.json records it: the data_dir
  made absolute, so that a later evaluate or export from another folder
  finds it, and the mirror."""
  return {'data_dir': config.data_dir and os.path.abspath(config.data_dir),
          'mirror': config.mirror}


def from_record(settings, model_dir, data_dir=None, mirror=None,
                recorded_data=None):
  """The TrainConfig of a run, from the settings its run.json recorded.

  data_dir, mirror: where to find the data now; where both are None, the
  run's own (recorded_data, run.json's "data"), if its data_dir still
  exists. A run recorded before run.json had "data" uses the default
  places, as it did.
  """
  fields = {f.name for f in dataclasses.fields(TrainConfig)}
  values = {k: v for k, v in settings.items() if k in fields}
  if data_dir is None and mirror is None and recorded_data:
    recorded_dir = recorded_data.get('data_dir')
    if recorded_dir is None or os.path.isdir(recorded_dir):
      data_dir, mirror = recorded_dir, recorded_data.get('mirror')
  values.update(model_dir=model_dir, data_dir=data_dir, mirror=mirror,
                logdir=DEFAULT_LOGDIR)
  return TrainConfig(**_tuples(values))


def _is_hidden_units(value):
  return all(v.isdigit() and int(v) > 0 for v in value)


def _is_layer_list(value):
  return all(re.fullmatch(r'(conv|hidden)[1-9]\d*|outputs', v)
             for v in value)


def _is_class_list(value):
  return bool(value) and all(
      v.isdigit() and int(v) < data.NUM_CLASSES for v in value) and len(
          set(value)) == len(value)


def _define_sizes(fv, name, example, help_text):
  """A list flag of positive integers (layer sizes), default None."""
  flags.DEFINE_list(name, None, help_text, flag_values=fv)
  flags.register_validator(
      name, lambda v: v is None or _is_hidden_units(v),
      message='must be comma-separated positive integers, e.g. %s (empty: '
      'no such layers)' % example,
      flag_values=fv)


def define_data_flags(flag_values):
  """Defines --data_dir and --mirror, which say where IDX files come from."""
  flags.DEFINE_string(
      'data_dir', None,
      'Folder holding the four IDX files (gzipped or raw), CIFAR-10\'s '
      'archive or batches, or California housing\'s cal_housing.tgz. '
      'Default: the per-user cache (%s), then Debian\'s package folder for '
      'fashion_mnist, then a download into the cache. (cosine is generated.)'
      % data.cache_root(),
      flag_values=flag_values)
  flags.DEFINE_string(
      'mirror', None,
      'Base URL to download the dataset\'s files from instead of its '
      'canonical mirror; the files must still match the published MD5 '
      '(SHA-256) sums.',
      flag_values=flag_values)
  flags.register_validator(
      'mirror', lambda v: v is None or v.startswith(('http://', 'https://')),
      message='must be an http:// or https:// URL', flag_values=flag_values)


def define_model_flags(flag_values):
  """Defines the flags that pick a trained model: evaluate.py, export.py.

  A model_dir's run.json describes its network; a checkpoint written by
  other TF1 code is described by --variant, --dataset and --hidden_units.
  """
  fv = flag_values
  flags.DEFINE_string(
      'model_dir', None,
      'A model_dir written by scripts/train.py; its run.json says which '
      'network and dataset it holds. Default: %s/<variant>-<dataset>, as '
      'train.py picks it.' % DEFAULT_MODELS_ROOT, flag_values=fv)
  flags.DEFINE_string(
      'checkpoint', None,
      'A checkpoint prefix, e.g. models/dropout-mnist/model.ckpt-8250 or '
      'the /tmp/my_model_final.ckpt of another TF1 script (or a folder with '
      'a checkpoint index). Default: the best model of --model_dir. Without '
      'a run.json beside it, --variant, --dataset and --hidden_units '
      'describe the network.', flag_values=fv)
  flags.DEFINE_enum(
      'variant', 'dropout', sorted(presets.PRESETS),
      'The network of a --checkpoint without run.json; otherwise picks the '
      'default --model_dir, and must match a run.json if given.',
      flag_values=fv)
  flags.DEFINE_enum(
      'dataset', None, sorted(data.DATASETS),
      'The test data of a --checkpoint without run.json; otherwise picks the '
      'default --model_dir, and must match a run.json if given. Default: '
      'the variant\'s (cifar10 for cifar_cnn, california_housing for '
      'regression and wide_deep, cosine for cosine, else mnist).',
      flag_values=fv)
  _define_sizes(
      fv, 'hidden_units', '512,512',
      'Hidden layer sizes of a --checkpoint without run.json, if not the '
      'variant\'s, e.g. 300,100.')
  _define_sizes(
      fv, 'filters', '32,64',
      'Filter counts of the convolutional blocks of a --checkpoint without '
      'run.json, if not the variant\'s, e.g. 32,64.')


def define_export_flags(flag_values):
  """Defines export.py's flags (legacy_dnn.export's keyword arguments):
  what to write, where, and how to quantize or convert it."""
  fv = flag_values
  flags.DEFINE_enum('format', 'savedmodel', EXPORT_FORMATS,
                    'What to write: a SavedModel version folder under '
                    '--export_dir; a Keras 3 .keras file; its .weights.h5; a '
                    'LiteRT .tflite file; or an .onnx file.', flag_values=fv)
  flags.DEFINE_string(
      'export_dir', None,
      'The model\'s base path for TensorFlow Serving; each export adds the '
      'next version folder under it. Default: serving/<the model_dir\'s '
      'name>. (--format=savedmodel.)', flag_values=fv)
  flags.DEFINE_string(
      'output', None,
      'The file to write with --format=keras (.keras), weights (.weights.h5), '
      'tflite (.tflite) or onnx (.onnx); one already there is replaced once '
      'the new one is whole. Default: serving/<the model_dir\'s '
      'name>[-<quantize>]<ending>.', flag_values=fv)
  flags.DEFINE_enum('quantize', 'none', QUANTIZATIONS,
                    'With --format=tflite: none (float32), float16 weights, '
                    'dynamic (int8 weights), or int8 weights and activations '
                    '(calibrated on --calibration_examples).', flag_values=fv)
  flags.DEFINE_integer(
      'calibration_examples', 500,
      'With --quantize=int8: the training examples whose activations set the '
      'int8 ranges, drawn from the run\'s own training split.', lower_bound=1,
      flag_values=fv)
  flags.DEFINE_integer('seed', 0, 'Seed of the choice of calibration '
                       'examples.', lower_bound=0, flag_values=fv)
  flags.DEFINE_integer('opset', ONNX_OPSET, 'With --format=onnx: the '
                       'ONNX opset to convert to.', lower_bound=ONNX_OPSETS[0],
                       upper_bound=ONNX_OPSETS[1], flag_values=fv)
  for names, check, message in (
      (['format', 'output'],
       lambda v: v['output'] is None or v['format'] != 'savedmodel',
       '--output names the file of --format=keras, weights, tflite or '
       'onnx; a SavedModel goes to --export_dir'),
      (['format', 'export_dir'],
       lambda v: v['export_dir'] is None or v['format'] == 'savedmodel',
       '--export_dir is where --format=savedmodel writes; the other '
       'formats write --output'),
      (['format', 'quantize'],
       lambda v: v['quantize'] == 'none' or v['format'] == 'tflite',
       '--quantize is for --format=tflite'),
      (['format', 'opset'],
       lambda v: v['opset'] == ONNX_OPSET or v['format'] == 'onnx',
       '--opset is for --format=onnx'),
      (['format', 'output'],
       lambda v: v['output'] is None or v['format'] not in EXPORT_SUFFIXES
       or v['output'].endswith(EXPORT_SUFFIXES[v['format']]),
       '--output must end in .keras for --format=keras, .weights.h5 for '
       'weights, .tflite for tflite and .onnx for onnx')):
    flags.register_multi_flags_validator(names, check, message=message,
                                         flag_values=fv)


def define_sweep_flags(flag_values):
  """Defines sweep.py's own flags (legacy_dnn.sweep's keyword arguments):
  the trials, and where they go."""
  fv = flag_values
  flags.DEFINE_string(
      'grid', None, 'Parameters and their values, every combination tried: '
      '"hidden_units=256,256|512,512;learning_rate=0.001,0.01" (values split '
      'on | when any holds a comma, else on ,).', flag_values=fv)
  flags.DEFINE_integer('random', None, 'Number of trials drawn from '
                       '--ranges, reproducibly from --seed.', lower_bound=1,
                       flag_values=fv)
  flags.DEFINE_string(
      'ranges', 'learning_rate=loguniform:3e-4:3e-2;depth=1..4',
      'Where --random draws: NAME=loguniform:LOW:HIGH, uniform:LOW:HIGH, '
      'LOW..HIGH (integers) or choice:A|B, separated by ;. depth and units '
      'make the hidden layers depth x units (units default: the preset\'s '
      'first layer).', flag_values=fv)
  flags.DEFINE_string('sweep_dir', None, 'Where trials, logs and results.csv '
                      'go. Default: sweeps/<variant>.', flag_values=fv)
  flags.DEFINE_integer(
      'parallel', 1, 'Trials run at once, each in a process of its own (so '
      'each one\'s thread pools are sized for its own network). With 1, '
      'trials run one after another in this process.', lower_bound=1,
      flag_values=fv)
  flags.register_multi_flags_validator(
      ['grid', 'random'],
      lambda v: (v['grid'] is None) != (v['random'] is None),
      message='pass exactly one of --grid and --random', flag_values=fv)


def _sizes(value):
  return tuple(int(v) for v in value) if value is not None else None


def model_flags(fv):
  """locate_model()'s keyword arguments from define_model_flags()' flags."""
  return dict(
      model_dir=fv.model_dir, checkpoint=fv.checkpoint, variant=fv.variant,
      dataset=fv.dataset or presets.PRESETS[fv.variant].dataset,
      hidden_units=_sizes(fv.hidden_units), filters=_sizes(fv.filters),
      given=[name for name in ('variant', 'dataset', 'hidden_units',
                               'filters') if fv[name].present])


def define_flags(flag_values):
  """Defines the training flags on flag_values, with their validators."""
  fv = flag_values
  flags.DEFINE_enum(
      'variant', 'dropout', sorted(presets.PRESETS),
      'Seed network to train; its preset gives every default below that says '
      '"preset".', flag_values=fv)
  flags.DEFINE_enum(
      'dataset', None, sorted(data.DATASETS),
      'What to train on. Default: the variant\'s (cifar10 for cifar_cnn, '
      'california_housing for regression and wide_deep, cosine for cosine, '
      'else mnist).', flag_values=fv)
  define_data_flags(fv)
  flags.DEFINE_integer(
      'epochs', None, 'Epochs to train (preset).', lower_bound=1,
      flag_values=fv)
  flags.DEFINE_integer(
      'batch_size', None, 'Examples per training step (preset).',
      lower_bound=1, flag_values=fv)
  flags.DEFINE_float(
      'learning_rate', None, 'Optimizer learning rate (preset).',
      flag_values=fv)
  flags.DEFINE_enum(
      'optimizer', None, [presets.ADAM, presets.SGD],
      'Adam or plain gradient descent (preset).', flag_values=fv)
  flags.DEFINE_float(
      'keep_prob', None,
      'Probability of keeping a hidden unit in training, in (0, 1]; 1 means '
      'no dropout. Evaluation always keeps every unit (preset).',
      flag_values=fv)
  _define_sizes(
      fv, 'hidden_units', '512,512',
      'Comma-separated hidden layer sizes, e.g. 512,512 (preset).')
  _define_sizes(
      fv, 'filters', '32,64',
      'Comma-separated filter counts of the convolutional blocks, e.g. '
      '32,64 (preset; only the convolutional presets have them).')
  flags.DEFINE_integer(
      'patience', None,
      'Stop after this many epochs without a lower validation loss; 0 never '
      'stops early (preset: 50 for homl, 0 for the lab networks).',
      lower_bound=0, flag_values=fv)
  flags.DEFINE_integer(
      'checkpoint_every', None,
      'Save a checkpoint every this many epochs (preset: 5 for homl, 1 for '
      'the lab networks).', lower_bound=1, flag_values=fv)
  flags.DEFINE_integer(
      'seed', 0, 'Seed for initialization, shuffling and dropout.',
      lower_bound=0, flag_values=fv)
  flags.DEFINE_integer(
      'validation_size', None,
      'Training images held out, from the front, for validation. Default: '
      '%d. The regression datasets\' splits are fixed (california_housing: '
      '11,610 train, 3,870 validation, 5,160 test rows; cosine: 550 and '
      '450).' % data.VALIDATION_SIZE, lower_bound=1, flag_values=fv)
  flags.DEFINE_string(
      'model_dir', None,
      'Where checkpoints, the epoch file and the best model go. Default: '
      '%s/<variant>-<dataset> (or %s/<variant>, if it holds a run on the '
      'dataset from before model_dirs named it).'
      % (DEFAULT_MODELS_ROOT, DEFAULT_MODELS_ROOT), flag_values=fv)
  flags.DEFINE_string(
      'logdir', DEFAULT_LOGDIR,
      'Root folder for TensorBoard event files; each run gets '
      '<variant>-<dataset>-run-<UTC timestamp> under it.', flag_values=fv)
  flags.DEFINE_boolean(
      'restart', False,
      'Start over instead of resuming: the old model_dir is moved aside to '
      '<model_dir>.old-<UTC timestamp>, never deleted.', flag_values=fv)
  flags.DEFINE_integer(
      'intra_op_threads', None,
      'Threads TensorFlow may split one op (a matmul, an update) across; 0 '
      'is one per core. Default: 1 when batch_size x the widest layer is at '
      'most %d, where handing small ops to other threads costs more than it '
      'saves, else 0.' % SMALL_BATCH_ACTIVATIONS, lower_bound=0,
      flag_values=fv)
  flags.DEFINE_integer(
      'inter_op_threads', None,
      'Ops TensorFlow may run at once (e.g. a layer\'s kernel and input '
      'gradients); 0 is one per core. Default: 1 when a step\'s matmuls '
      'are under %g FLOPs, else 0.' % SMALL_STEP_FLOPS, lower_bound=0,
      flag_values=fv)
  flags.DEFINE_integer(
      'steps_per_call', None,
      'Training steps taken in one session call: a tf.while_loop trains '
      'that many batches, fed at once, so the per-call cost of TensorFlow '
      'and Python is paid once for all of them. The results are the same '
      'bit for bit whatever it is; a signal, a checkpoint or the progress '
      'bar waits for the call to end. Default: enough batches for %d '
      'examples, but no more than %g FLOPs of matmuls and convolutions a '
      'call. A cluster\'s workers take one step a call.'
      % (EXAMPLES_PER_CALL, FLOPS_PER_CALL), lower_bound=1, flag_values=fv)
  flags.DEFINE_integer(
      'trace_every', 0,
      'Every this many steps, trace one training step in full into the '
      'train writer (tag step<global step>), as mnist_with_summaries.py '
      'did: TensorBoard\'s Graph tab then colours each node by its compute '
      'time or memory in that step. 0 traces none. The results stay the '
      'same bit for bit.', lower_bound=0, flag_values=fv)
  flags.DEFINE_enum(
      'precision', precision_lib.FLOAT32, precision_lib.PRECISIONS,
      'What matmuls and convolutions compute in: float32, or bfloat16 where '
      'the CPU multiplies it (AVX512-BF16, AMX), through oneDNN\'s mixed '
      'precision rewrite. Variables, checkpoints and exports stay float32.',
      flag_values=fv)
  flags.DEFINE_boolean(
      'deterministic', True,
      'Turn on TensorFlow op determinism, so a resumed run ends bit-for-bit '
      'equal to an uninterrupted one.', flag_values=fv)

  flags.DEFINE_string(
      'warm_start_from', None,
      'What initializes --warm_start_layers: a model_dir (its best model), '
      'a checkpoint prefix, or a folder with a checkpoint index, written '
      'here or by other TF1 code.', flag_values=fv)
  flags.DEFINE_list(
      'warm_start_layers', None,
      'Layers to copy from --warm_start_from, e.g. hidden1,hidden2. Default: '
      'every hidden layer.', flag_values=fv)
  flags.DEFINE_list(
      'freeze', [], 'Layers the optimizer leaves alone, e.g. hidden1,hidden2.',
      flag_values=fv)
  flags.DEFINE_list(
      'classes', None,
      'Train and evaluate on these classes only, e.g. 0,1,2,3,4; labels '
      'keep their numbers.', flag_values=fv)
  flags.DEFINE_integer(
      'train_limit', None,
      'Train on the first this many training examples (after --classes).',
      lower_bound=1, flag_values=fv)

  flags.register_validator(
      'learning_rate', lambda v: v is None or v > 0,
      message='must be a positive number', flag_values=fv)
  flags.register_validator(
      'keep_prob', lambda v: v is None or 0 < v <= 1,
      message='must be in (0, 1]', flag_values=fv)
  for name in ('warm_start_layers', 'freeze'):
    flags.register_validator(
        name, lambda v: v is None or _is_layer_list(v),
        message='must name layers: conv1, ..., hidden1, ..., outputs',
        flag_values=fv)
  flags.register_validator(
      'classes', lambda v: v is None or _is_class_list(v),
      message='must be distinct class numbers from 0 to 9', flag_values=fv)
  flags.register_multi_flags_validator(
      ['warm_start_from', 'warm_start_layers'],
      lambda v: v['warm_start_from'] or not v['warm_start_layers'],
      message='--warm_start_layers needs --warm_start_from', flag_values=fv)


def _flag_text(value):
  """A Python value as its flag's parser takes it: a list or tuple as
  comma-separated text; others as they are."""
  if isinstance(value, (list, tuple)):
    return ','.join(str(v) for v in value)
  return value


def _setting_message(error):
  """absl's message for a bad flag, in a keyword argument's words:
  "flag --epochs=0: 0 is not ..." becomes "epochs=0: 0 is not ..."."""
  message = re.sub(r'^flags .*?: ', '', str(error))  # A multi-flag check.
  message = re.sub(r'^flag --', '', message)
  return re.sub(r'--(?=[a-z])', '', message)


def parse_settings(api, defines, settings):
  """A FlagValues holding keyword settings, as if they were flags.

  One definition serves both callers: the scripts' flags, with their
  parsers, bounds and validators, check legacy_dnn's keyword arguments.

  Args:
    api: the function's name, for the messages (e.g. 'legacy_dnn.train').
    defines: the define_*_flags functions of the settings it takes.
    settings: {flag name: value}; None leaves a flag at its default.

  Raises:
    UserError: an unknown setting or a bad value, in one line.
  """
  fv = flags.FlagValues()
  for define in defines:
    define(fv)
  for name, value in settings.items():
    if name not in fv:
      raise UserError('%s: unknown setting %s= (it takes %s)' % (
          api, name, ', '.join(sorted(fv))))
    if value is None:
      continue
    try:
      fv[name].parse(_flag_text(value))
    except (flags.Error, ValueError, TypeError) as e:
      raise UserError('%s: %s' % (api, _setting_message(e))) from None
  fv.mark_as_parsed()
  try:
    fv.validate_all_flags()
  except flags.Error as e:
    raise UserError('%s: %s' % (api, _setting_message(e))) from None
  return fv


def from_settings(**settings):
  """The TrainConfig that train.py builds from flags with these values:
  legacy_dnn.train's keyword arguments, checked as the flags are.

  Raises:
    UserError: an unknown setting, or a value its flag refuses.
  """
  return from_flags(parse_settings('legacy_dnn.train', [define_flags],
                                   settings))


def train_flag_names():
  """The names of every flag define_flags() defines."""
  fv = flags.FlagValues()
  define_flags(fv)
  return set(fv)


def from_args(args):
  """The TrainConfig that train.py would build from args (no program name).

  Raises:
    flags.Error: a flag is unknown or its value invalid.
  """
  fv = flags.FlagValues()
  define_flags(fv)
  fv(['train.py'] + list(args))
  return from_flags(fv)


def parse_or_exit(argv, flag_values):
  """Parses argv into flag_values; a bad flag is one line and exit status 2.

  Suitable as absl.app.run's flags_parser, which otherwise prints a second
  line of advice and exits with status 1.
  """
  try:
    return flag_values(argv)
  except flags.Error as e:
    prog = os.path.basename(argv[0]) if argv else 'legacy_dnn'
    # absl puts every flag of a multi-flag validator, with its value, before
    # the message; ours name the flags that matter.
    message = re.sub(r'^flags .*?: (?=--)', '', str(e))
    print('%s: error: %s (see --help)' % (prog, message), file=sys.stderr)
    sys.exit(2)


def from_flags(fv, described=None):
  """Builds the TrainConfig that the parsed flag_values describe.

  A field takes its flag's value; where the flag is unset (None), or where a
  preset field has no flag (how the layers are built), the preset's. The
  fields below whose flags need reading are the exceptions.

  described: the cluster as TF_CONFIG describes it (cluster_config.from_flags).
  """
  preset = presets.PRESETS[fv.variant]
  values = {}
  for field in dataclasses.fields(TrainConfig):
    value = fv[field.name].value if field.name in fv else None
    if value is None and hasattr(preset, field.name):
      value = getattr(preset, field.name)
    if value is not None or field.default is dataclasses.MISSING:
      values[field.name] = value
  hidden_units = (tuple(int(v) for v in fv.hidden_units)
                  if fv.hidden_units is not None else preset.hidden_units)
  filters = (tuple(int(v) for v in fv.filters)
             if fv.filters is not None else preset.filters)
  dataset = fv.dataset or preset.dataset
  values.update(
      hidden_units=hidden_units,
      filters=filters,
      dataset=dataset,
      # --patience=0 trains every epoch.
      patience=preset.patience if fv.patience is None else fv.patience or None,
      validation_size=(fv.validation_size or
                       data.DATASETS[dataset].validation_size),
      model_dir=fv.model_dir or default_model_dir(fv.variant, dataset),
      warm_start_layers=(
          fv.warm_start_layers if fv.warm_start_layers is not None else
          presets.layer_names(dataclasses.replace(
              preset, hidden_units=hidden_units, filters=filters))[:-1]
          if fv.warm_start_from else ()),
      classes=(sorted(int(c) for c in fv.classes)
               if fv.classes is not None else None),
      cluster=cluster_config.from_flags(fv, described))
  return TrainConfig(**_tuples(values))
