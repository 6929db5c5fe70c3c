"""Exact resume inside a precision: an MLP and a CNN at --precision=bfloat16.

The same real processes and signals as test_resume.py. On a CPU with
AVX512-BF16 or AMX the matmuls and convolutions run in bfloat16, and a
resumed run must still end with the bits of an uninterrupted one; on a CPU
without, TensorFlow leaves the graph in float32 and the run says so.
"""

import json
import os

import pytest

from legacy_dnn import checkpoints
from legacy_dnn import precision
# The tests of test_resume.py, collected here again with this module's runs.
from test_resume import interrupted_and_straight
from test_resume import test_each_resume_says_where_it_continues  # pylint: disable=unused-import
from test_resume import test_every_interruption_landed_while_the_run_trained  # pylint: disable=unused-import
from test_resume import test_resumed_run_ends_bit_for_bit_equal  # pylint: disable=unused-import
from test_resume import test_sigterm_saves_a_checkpoint_and_exits_cleanly  # pylint: disable=unused-import

# Starts processes, clusters or tensorboard, or trains for long (setup.cfg).
pytestmark = pytest.mark.slow


# lab 11's cnn: a CNN that test_resume_layers.py does not already kill and
# resume, in about 60 s against deep_cnn's 100.
@pytest.fixture(scope='module', params=['dropout', 'cnn'])
def runs(request, tmp_path_factory):
  return interrupted_and_straight(request.param, tmp_path_factory,
                                  ['--precision=bfloat16'])


def test_each_run_says_what_it_computes_and_records_bfloat16(runs):
  line = precision.notice(precision.BFLOAT16, precision.cpu_flags())
  outputs = [runs.straight_output, runs.final_output] + [
      output for _, _, output in runs.interruptions]
  assert len(outputs) == 6
  for output in outputs:
    assert line in output.splitlines()
  for model_dir in (runs.straight_dir, runs.killed_dir):
    with open(os.path.join(model_dir, checkpoints.RUN_FILE)) as f:
      assert json.load(f)['settings']['precision'] == precision.BFLOAT16
