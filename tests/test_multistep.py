"""Several steps a session call: how calls are cut, and the same bits as
one step a call."""

import re

import numpy as np
import pytest
import tensorflow as tf

from conftest import run_script, write_housing
from legacy_dnn import config
from legacy_dnn import multistep

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.


def test_calls_hold_k_consecutive_batches_and_the_rest():
  assert list(multistep.calls('abcdefg', 0, 3)) == [
      (False, list('abc')), (False, list('def')), (False, ['g'])]
  assert list(multistep.calls('ab', 40, 5)) == [(False, ['a', 'b'])]
  assert list(multistep.calls('', 0, 5)) == []


def test_a_traced_step_gets_a_call_of_its_own():
  # Global steps 11..17; every 4th is traced: 12 and 16.
  assert list(multistep.calls('abcdefg', 10, 3, trace_every=4)) == [
      (False, ['a']), (True, ['b']), (False, ['c', 'd', 'e']),
      (True, ['f']), (False, ['g'])]
  assert list(multistep.calls('ab', 0, 3, trace_every=1)) == [
      (True, ['a']), (True, ['b'])]


def test_offsets_say_where_each_batch_starts():
  batches = [np.arange(3), np.arange(2), np.arange(4)]
  assert multistep.offsets(batches).tolist() == [0, 3, 5, 9]
  assert multistep.offsets(batches).dtype == np.int32


@pytest.mark.parametrize('variant, overrides, expected', [
    ('regression', {}, 128),  # 4,096 examples in batches of 32.
    ('small', {}, 21),  # 200 a batch: ceil(4096 / 200).
    ('homl', {}, 82),
    ('deep', {}, 15),  # 635 MFLOPs a step: 15 stay under 10 GFLOPs.
    ('deep_cnn', {}, 1),  # 5.2 GFLOPs a step.
    ('cifar_cnn', {}, 1),
    ('deep', {'steps_per_call': 3}, 3),
])
def test_steps_per_call_by_default_and_by_flag(variant, overrides, expected):
  assert multistep.steps_per_call(
      config.for_variant(variant, **overrides)) == expected


def checkpoint(model_dir):
  reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(model_dir))
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()}


def printed_figures(stdout):
  """The epoch lines without their seconds, and the test figures."""
  return [re.sub(r' \([\d.]+ s\)', '', line) for line in stdout.splitlines()
          if re.match(r'Epoch: |Best model|Accuracy|Test M', line)]


# One network of each kind the loop builds again inside itself: dropout
# masks drawn from the global step, batch norm's moving averages,
# convolutions and pooling, and two named inputs with an auxiliary head and
# the scaler. Real Fashion-MNIST images (Debian's), since a convolution's
# rounding shows where its threads split the work on them but not on the
# generated images; generated housing rows.
NETWORKS = {
    'dropout': ['--hidden_units=32,32'],
    'batchnorm': ['--hidden_units=32,32'],
    'lenet': [],
    'wide_deep': [],
}


@pytest.mark.slow
@pytest.mark.parametrize('variant', sorted(NETWORKS))
def test_every_call_size_trains_the_same_bits_as_one_step_a_call(
    tmp_path, variant):
  if variant == 'wide_deep':
    data = ['--data_dir=' + write_housing(str(tmp_path / 'data'), 700)]
  else:
    data = ['--dataset=fashion_mnist', '--train_limit=700']
  runs = {}
  # One step a call builds no loop: each step is a call of the train op, as
  # TF1 code ran it. 7 steps a call leave a shorter call at each epoch's
  # end; --trace_every takes a traced step alone, through the train op
  # (tracing changes no value: test_tracing.py).
  for name, flags in (('one_a_call', ['--steps_per_call=1']),
                      ('default', []),
                      ('seven', ['--steps_per_call=7', '--trace_every=5'])):
    model_dir = str(tmp_path / name)
    result = run_script('train.py', '--variant=' + variant, '--epochs=3',
                        '--seed=3', '--model_dir=' + model_dir,
                        '--logdir=' + str(tmp_path / 'logs'), *data,
                        *NETWORKS[variant], *flags)
    assert result.returncode == 0, result.stderr
    runs[name] = printed_figures(result.stdout), checkpoint(model_dir)
  lines, tensors = runs.pop('one_a_call')
  assert len(lines) == 5
  for name, (other_lines, other_tensors) in runs.items():
    assert other_lines == lines, name
    assert sorted(other_tensors) == sorted(tensors)
    for tensor in tensors:
      np.testing.assert_array_equal(other_tensors[tensor], tensors[tensor],
                                    err_msg='%s: %s' % (name, tensor))
