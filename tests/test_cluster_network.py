"""What a cluster's servers open to the network, seen from another host:
two network namespaces joined by a veth pair play the two hosts (the tests
run as root)."""

import os
import signal
import subprocess
import sys

import pytest

from conftest import Proc

# Starts processes, clusters or tensorboard, or trains for long (setup.cfg).
pytestmark = pytest.mark.slow

PORT = 2222
# The first host's address on the link between the two.
HOST_A = '10.213.0.1'
HOST_B = '10.213.0.2'


def ip(*args):
  subprocess.run(['ip', *args], check=True, capture_output=True, text=True)


@pytest.fixture
def two_hosts():
  """Two network namespaces joined by a veth pair, each with its loopback
  up; yields their names."""
  a, b = 'ldnn%da' % os.getpid(), 'ldnn%db' % os.getpid()
  made = []
  try:
    for name in (a, b):
      ip('netns', 'add', name)
      made.append(name)
    ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b)
    for name, address in ((a, HOST_A), (b, HOST_B)):
      ip('link', 'set', name, 'netns', name)
      ip('-n', name, 'addr', 'add', address + '/30', 'dev', name)
      ip('-n', name, 'link', 'set', name, 'up')
      ip('-n', name, 'link', 'set', 'lo', 'up')
    yield a, b
  finally:
    for name in made:
      ip('netns', 'del', name)


# From the other host: run a graph on the ps task, one that reads a file
# of the host it runs on.
READ_A_FILE = """
import sys
from legacy_dnn import cli
tf = cli.import_tensorflow()
address, path = sys.argv[1:]
with tf.Graph().as_default() as graph, tf.device('/job:ps/task:0'):
  contents = tf.io.read_file(path)
# Only the ps: the cluster's worker is not there.
session_config = tf.compat.v1.ConfigProto(device_filters=['/job:ps'])
with tf.compat.v1.Session('grpc://' + address, graph=graph,
                          config=session_config) as sess:
  print(sess.run(contents).decode())
"""


def test_a_cluster_on_127_0_0_1_is_open_to_other_hosts_and_says_so(
    two_hosts, tmp_path):
  here, there = two_hosts
  secret = tmp_path / 'secret'
  secret.write_text('a file of the host that trains')
  ps = Proc('train.py', '--job_name=ps', '--ps_hosts=127.0.0.1:%d' % PORT,
            '--worker_hosts=127.0.0.1:%d' % (PORT + 1),
            prefix=['ip', 'netns', 'exec', here])
  try:
    warning = ps.wait_for_line('Warning: ')
    ps.wait_for_line('ps task 0 of 1 serving at ')
    # TensorFlow's server listens on 0.0.0.0 whatever the cluster says
    # (a ServerDef has a port but no address), so the line is true: were
    # the ps bound to 127.0.0.1, this would fail, and the line would go.
    remote = subprocess.run(
        ['ip', 'netns', 'exec', there, sys.executable, '-c', READ_A_FILE,
         '%s:%d' % (HOST_A, PORT), str(secret)],
        capture_output=True, text=True, timeout=300)
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout.splitlines()[-1] == 'a file of the host that trains'
  finally:
    ps.send_signal(signal.SIGTERM)
    assert ps.wait() == 0, ps.stderr
  assert warning == (
      'Warning: ps task 0 listens on port %d of every network interface, '
      'not only 127.0.0.1, and runs any graph sent to it, unauthenticated '
      '(TensorFlow\'s server cannot be bound to one address): keep the '
      'cluster on a trusted network, or firewall the port to the cluster\'s '
      'hosts (docs/distributed.md)' % PORT)
