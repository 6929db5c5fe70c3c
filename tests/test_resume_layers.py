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
from test_resume import test_every_interruption_landed_while_the_run_trained  # pylint: disable=unused-import
from test_resume import test_resumed_run_ends_bit_for_bit_equal  # pylint: disable=unused-import
from test_resume import test_sigterm_saves_a_checkpoint_and_exits_cleanly  # pylint: disable=unused-import

# Starts processes, clusters or tensorboard, or trains for long (setup.cfg).
pytestmark = pytest.mark.slow


@pytest.fixture(scope='module', params=['deep_cnn', 'batchnorm'])
def runs(request, tmp_path_factory):
  return interrupted_and_straight(request.param, tmp_path_factory)


def test_the_checkpoints_hold_what_must_come_back(runs):
  """What the training op updates besides the weights is in the
  checkpoint, moved from where it began, and back bit for bit: batch norm's
  moving averages, and Adam's slots of the first and last layers."""
  killed = newest_checkpoint(runs.killed_dir)
  straight = newest_checkpoint(runs.straight_dir)
  if runs.variant == 'batchnorm':
    bn = 'hidden2/batch_normalization/'
    names = {bn + 'moving_mean': 0.0, bn + 'moving_variance': 1.0,
             bn + 'beta/Adam': 0.0, 'hidden1/batch_normalization/beta/Adam_1':
             0.0}
  else:
    names = {'conv1/kernel/Adam': 0.0, 'conv3/kernel/Adam_1': 0.0,
             'hidden1/kernel/Adam_1': 0.0}
  for name, initial in names.items():
    assert np.abs(killed[name] - initial).max() > 0, name
    np.testing.assert_array_equal(killed[name], straight[name], err_msg=name)
