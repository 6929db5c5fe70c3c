"""Exact resume of the convolutional and batch-normalized networks.

The same real processes and signals as test_resume.py, in a module of its own
so that pytest-xdist runs it beside that one. Dropout on feature maps, and
batch norm's moving averages, which the training op updates, must come back
bit for bit: every tensor of the last checkpoint, Adam's slots included.
"""

import numpy as np
import pytest

# The tests of test_resume.py, collected here again with this module's runs.
from test_resume import interrupted_and_straight, newest_checkpoint
from test_resume import test_each_resume_says_where_it_continues  # pylint: disable=unused-import
from test_resume import test_resumed_run_ends_bit_for_bit_equal  # pylint: disable=unused-import
from test_resume import test_sigterm_saves_a_checkpoint_and_exits_cleanly  # pylint: disable=unused-import


@pytest.fixture(scope='module', params=['deep_cnn', 'batchnorm'])
def runs(request, tmp_path_factory):
  return interrupted_and_straight(request.param, tmp_path_factory)


def test_the_checkpoints_hold_what_must_come_back(runs):
  tensors = newest_checkpoint(runs.killed_dir)
  if runs.variant == 'batchnorm':
    averages = tensors['hidden2/batch_normalization/moving_mean']
    assert np.abs(averages).max() > 0  # Updated with the training op.
    assert 'hidden2/batch_normalization/beta/Adam' in tensors
  else:
    assert 'conv3/kernel/Adam_1' in tensors
