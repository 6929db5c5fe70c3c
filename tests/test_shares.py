"""The share bookkeeping of shares.py, without TensorFlow's runtime."""

import pytest

from conftest import error_lines, run_script
from legacy_dnn import shares


def test_shares_cover_the_epoch_once():
  assert [list(shares.share(7, i, 3)) for i in range(3)] == [
      [0, 3, 6], [1, 4], [2, 5]]
  assert shares.shares(7, 3) == [3, 2, 2]


def test_trained_and_prefix_counts_convert_between_one_process_and_shares():
  # One process's first 5 batches are the first 3, 2 of two shares.
  assert shares.prefix_counts(5, 2) == [3, 2]
  assert shares.trained(10, [3, 2]) == [0, 1, 2, 3, 4]
  # A cluster's counts need not be a prefix.
  assert shares.trained(10, [4, 1]) == [0, 1, 2, 4, 6]


def test_a_share_stalls_after_the_timeout_without_progress():
  stalls = shares.Stalls(2.0)
  sizes = [3, 3]
  assert stalls.update([0, 0], sizes, 0.0) == []
  assert stalls.update([1, 0], sizes, 1.5) == []
  # Share 1 has not moved since t = 0; share 0 moved at 1.5.
  assert stalls.update([1, 0], sizes, 2.0) == [1]
  assert stalls.update([1, 1], sizes, 3.0) == []
  assert stalls.update([1, 1], sizes, 4.0) == [0]
  # A finished share never stalls.
  assert stalls.update([3, 1], sizes, 9.0) == [1]


def test_a_zero_timeout_never_gives_up():
  stalls = shares.Stalls(0)
  stalls.update([0], [5], 0.0)
  assert stalls.update([0], [5], 1e9) == []


@pytest.mark.parametrize('flags, message', [
    (['--job_name=worker', '--ps_hosts=127.0.0.1:2222',
      '--worker_hosts=127.0.0.1:2223', '--sync_replicas',
      '--worker_timeout=5'],
     '--worker_timeout=5: with --sync_replicas the chief cannot train a lost '
     'worker\'s share'),
    (['--worker_timeout=5'], '--worker_timeout needs a cluster'),
])
def test_bad_worker_timeouts_are_one_line(flags, message):
  result = run_script('train.py', *flags)
  assert result.returncode == 2
  (line,) = error_lines(result.stderr)
  assert line.startswith('train.py: error: ' + message), line
