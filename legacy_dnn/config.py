"""The frozen TrainConfig, resolved from checked settings, and the absl
flags generated from the settings' declarations (settings.py).

The API checks its keywords with settings.check() and calls resolve(); the
scripts hold a FlagValues, call define_flags() (or define() with a settings
group) on it, parse it with cli.parse_or_exit(), and hand from_flags() to the
library, which only ever sees a TrainConfig. Either way a value meets the
same declaration.
"""

import dataclasses
import json
import os
import re
from typing import Optional, Tuple

from absl import flags

from legacy_dnn import cluster_config
from legacy_dnn import data
from legacy_dnn import precision as precision_lib
from legacy_dnn import presets
from legacy_dnn import settings as settings_lib
from legacy_dnn.errors import UserError
# The constants the settings' declarations use, where callers find them.
from legacy_dnn.settings import (  # pylint: disable=unused-import
    DEFAULT_LOGDIR, DEFAULT_MODELS_ROOT, EXAMPLES_PER_CALL, EXPORT_FORMATS,
    EXPORT_SUFFIXES, FLOPS_PER_CALL, ONNX_OPSET, ONNX_OPSETS, QUANTIZATIONS,
    SMALL_BATCH_ACTIVATIONS, SMALL_STEP_FLOPS)

# predict's default max_pixels: PIL's own Image.MAX_IMAGE_PIXELS, far more
# than any photo of a digit or a shoe needs.
MAX_IMAGE_PIXELS = 89_478_485


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


def check_dataset(config, api=None):
  """Raises UserError if config's network cannot train on its dataset.

  A head learns one kind of target: a classifier's labels, or a
  regressor's numbers.

  api: the API function whose keywords these were ('legacy_dnn.train'),
    named in the message instead of flags.
  """
  try:
    _check_dataset(config)
  except UserError as e:
    if api is None:
      raise
    raise UserError('%s: %s' % (api, re.sub(r'--(?=[a-z])', '', str(e)))
                    ) from None


def _check_dataset(config):
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


def for_variant(variant, *, api='config.for_variant', **overrides):
  """A TrainConfig for a preset, as the command line would build it.

  overrides: TrainConfig fields; those that are settings (settings.TRAIN)
    are checked as the API's keywords are, the others (how a preset builds
    its layers) are the caller's.
  api: who asks, for the message of a bad setting.
  """
  settings_lib.check(api, settings_lib.TRAIN, dict(
      {k: v for k, v in overrides.items() if k in settings_lib.TRAIN.names()},
      variant=variant))
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


def _define(fv, setting):
  """The absl flag of one declared setting, with its validator."""
  kind, name, default = setting.kind, setting.name, setting.default
  if isinstance(kind, settings_lib.Integer):
    flags.DEFINE_integer(name, default, setting.help, lower_bound=kind.low,
                         upper_bound=kind.high, flag_values=fv)
  elif isinstance(kind, settings_lib.Boolean):
    flags.DEFINE_boolean(name, default, setting.help, flag_values=fv)
  elif isinstance(kind, settings_lib.Choice):
    flags.DEFINE_enum(name, default, list(kind.choices), setting.help,
                      flag_values=fv)
  elif isinstance(kind, settings_lib.Number):
    flags.DEFINE_float(name, default, setting.help, flag_values=fv)
  elif isinstance(kind, settings_lib.Text):
    flags.DEFINE_string(name, default, setting.help, flag_values=fv)
  elif isinstance(kind, settings_lib.Items):
    flags.DEFINE_list(name, None if default is None else list(default),
                      setting.help, flag_values=fv)
  else:
    raise TypeError('%s: no flag for %r' % (name, kind))
  if getattr(kind, 'flag_message', ''):
    flags.register_validator(
        name, lambda v: v is None or _accepts(kind, v),
        message=kind.flag_message, flag_values=fv)


def _accepts(kind, flag_value):
  try:
    kind.check(_python(kind, flag_value))
  except settings_lib._Bad:  # pylint: disable=protected-access
    return False
  return True


def _python(kind, flag_value):
  """A parsed flag's value as the Python value its keyword takes."""
  if flag_value is not None and isinstance(kind, settings_lib.Items):
    return kind.from_flag(flag_value)
  return flag_value


def define(flag_values, group):
  """Defines a settings group's flags, and its rules, on flag_values."""
  for setting in group.settings:
    _define(flag_values, setting)
  for rule in group.rules:
    flags.register_multi_flags_validator(
        list(rule.names), rule.holds, message=rule.message,
        flag_values=flag_values)


def flag_settings(fv, group):
  """{name: Python value} of a settings group's parsed flags (None where
  a flag is unset and has no default), checked as the API's keywords are."""
  return {s.name: _python(s.kind, fv[s.name].value) for s in group.settings}


def define_data_flags(flag_values):
  """Defines --data_dir and --mirror, which say where IDX files come from."""
  define(flag_values, settings_lib.DATA)


def define_model_flags(flag_values):
  """Defines the flags that pick a trained model: evaluate.py, export.py.

  A model_dir's run.json describes its network; a checkpoint written by
  other TF1 code is described by --variant, --dataset and --hidden_units.
  """
  define(flag_values, settings_lib.MODEL)


def define_export_flags(flag_values):
  """Defines export.py's flags (legacy_dnn.export's keyword arguments):
  what to write, where, and how to quantize or convert it."""
  define(flag_values, settings_lib.EXPORT)


def define_sweep_flags(flag_values):
  """Defines sweep.py's own flags (legacy_dnn.sweep's keyword arguments):
  the trials, and where they go."""
  define(flag_values, settings_lib.SWEEP)


def define_flags(flag_values):
  """Defines the training flags on flag_values, with their validators."""
  define(flag_values, settings_lib.TRAIN)


# The settings that describe a foreign checkpoint's network, if given.
DESCRIBING = ('variant', 'dataset', 'hidden_units', 'filters')


def model_settings(values, given):
  """locate_model()'s keyword arguments from a model's settings.

  values: {name: value} of settings.MODEL (None: unset).
  given: the names of DESCRIBING that the caller gave.
  """
  variant = values.get('variant') or 'dropout'
  return dict(
      model_dir=values.get('model_dir'), checkpoint=values.get('checkpoint'),
      variant=variant,
      dataset=values.get('dataset') or presets.PRESETS[variant].dataset,
      hidden_units=values.get('hidden_units'), filters=values.get('filters'),
      given=[name for name in DESCRIBING if name in given])


def model_flags(fv):
  """locate_model()'s keyword arguments from define_model_flags()' flags."""
  return model_settings(flag_settings(fv, settings_lib.MODEL),
                        [name for name in DESCRIBING if fv[name].present])


def train_flag_names():
  """The names of every training setting (train.py's flags)."""
  return set(settings_lib.TRAIN.names())


def parse_settings(api, group, values):
  """A FlagValues holding checked keyword settings, for the code that still
  reads flags (sweeps.from_flags).

  Raises:
    UserError: an unknown setting or a bad value, in one line (settings.check).
  """
  checked = settings_lib.check(api, group, values)
  fv = flags.FlagValues()
  define(fv, group)
  for name, value in checked.items():
    if value is not None:
      fv[name].value = list(map(str, value)) if isinstance(
          value, tuple) else value
      fv[name].present = 1
  fv.mark_as_parsed()
  return fv


def from_settings(**values):
  """The TrainConfig that train.py builds from flags with these values:
  legacy_dnn.train's keyword arguments, checked by their declarations.

  Raises:
    UserError: an unknown setting, or a value its declaration refuses.
  """
  cfg = resolve(settings_lib.check('legacy_dnn.train', settings_lib.TRAIN,
                                   values))
  check_dataset(cfg, 'legacy_dnn.train')
  return cfg


def from_args(args):
  """The TrainConfig that train.py would build from args (no program name).

  Raises:
    flags.Error: a flag is unknown or its value invalid.
  """
  fv = flags.FlagValues()
  define_flags(fv)
  fv(['train.py'] + list(args))
  return from_flags(fv)


def from_flags(fv, described=None):
  """Builds the TrainConfig that the parsed flag_values describe.

  described: the cluster as TF_CONFIG describes it (cluster_config.from_flags).
  """
  return resolve(flag_settings(fv, settings_lib.TRAIN),
                 cluster_config.from_flags(fv, described))


def resolve(values, cluster=None):
  """The TrainConfig of checked training settings (settings.check()).

  A field takes its setting's value; where that is None, its declared
  default, then the preset's (a preset field without a setting, such as how
  the layers are built, always the preset's). The fields below whose values
  need reading are the exceptions.

  values: {name: value} of settings.TRAIN; a name left out is None.
  cluster: the task's ClusterConfig, or None to train alone.
  """
  declared = {s.name: s for s in settings_lib.TRAIN.settings}
  given = {name: values.get(name) for name in declared}
  for name, value in given.items():
    if value is None:
      given[name] = declared[name].default
  variant = given['variant']
  preset = presets.PRESETS[variant]
  fields = {}
  for field in dataclasses.fields(TrainConfig):
    value = given.get(field.name)
    if value is None and hasattr(preset, field.name):
      value = getattr(preset, field.name)
    if value is not None or field.default is dataclasses.MISSING:
      fields[field.name] = value
  hidden_units = (given['hidden_units'] if given['hidden_units'] is not None
                  else preset.hidden_units)
  filters = (given['filters'] if given['filters'] is not None
             else preset.filters)
  dataset = given['dataset'] or preset.dataset
  fields.update(
      hidden_units=hidden_units,
      filters=filters,
      dataset=dataset,
      # patience=0 trains every epoch.
      patience=(preset.patience if given['patience'] is None
                else given['patience'] or None),
      validation_size=(given['validation_size'] or
                       data.DATASETS[dataset].validation_size),
      model_dir=given['model_dir'] or default_model_dir(variant, dataset),
      warm_start_layers=(
          given['warm_start_layers'] if given['warm_start_layers'] is not None
          else presets.layer_names(dataclasses.replace(
              preset, hidden_units=hidden_units, filters=filters))[:-1]
          if given['warm_start_from'] else ()),
      classes=(tuple(sorted(given['classes']))
               if given['classes'] is not None else None),
      cluster=cluster)
  return TrainConfig(**_tuples(fields))
