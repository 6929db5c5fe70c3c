"""Archives and gzipped files read no further than their format promises:
archives.py, and the IDX, California housing and CIFAR-10 readers."""

import gzip
import io
import tarfile
import zlib

import numpy as np
import pytest

from conftest import idx_bytes
from legacy_dnn import archives
from legacy_dnn import cifar
from legacy_dnn import data
from legacy_dnn import tabular
from legacy_dnn.errors import DataError


def gzip_of(parts, cut=None):
  """One gzip member of the byte strings in parts, compressed as they come;
  with cut, only that fraction of the compressed bytes."""
  compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip member.
  packed = b''.join(compressor.compress(p) for p in parts) + compressor.flush()
  return packed[:int(len(packed) * cut)] if cut else packed


def zeros(megabytes):
  return (bytes(1 << 20) for _ in range(megabytes))


def test_an_idx_stream_past_its_header_is_refused_unread(tmp_path):
  # Five labels, then 200 MB more; the stream is cut three quarters of the
  # way, so a reader that went on would fail on the cut, not name the rest.
  path = tmp_path / 'labels.gz'
  path.write_bytes(gzip_of([idx_bytes(np.arange(5), data.IDX_LABELS_MAGIC)]
                           + list(zeros(200)), cut=0.75))
  with pytest.raises(DataError, match=r'labels.gz: trailing data: more than '
                     r'the 13 bytes the header promises$'):
    data.read_idx(str(path), data.IDX_LABELS_MAGIC)


def test_an_idx_header_promising_more_than_its_gzip_can_hold(tmp_path):
  header = idx_bytes(np.zeros(0), data.IDX_LABELS_MAGIC)[:4] + (
      10**9).to_bytes(4, 'big')
  path = tmp_path / 'labels.gz'
  path.write_bytes(gzip.compress(header + bytes(100)))
  size = path.stat().st_size
  with pytest.raises(DataError, match=r'labels.gz: the header promises '
                     r'1000000008 bytes, more than %d bytes of gzip data can '
                     r'hold$' % size):
    data.read_idx(str(path), data.IDX_LABELS_MAGIC)
  # What it can hold is read: 1032 to 1 is deflate's best.
  whole = idx_bytes(np.zeros(2_000_000), data.IDX_LABELS_MAGIC)
  path.write_bytes(gzip.compress(whole, 9))
  assert len(whole) > 1000 * path.stat().st_size
  assert len(data.read_idx(str(path), data.IDX_LABELS_MAGIC)) == 2_000_000


def tar_gz(members):
  """A .tar.gz of {name: bytes, or a size}. A size writes that member's
  header and then cuts the archive short: a reader that went on to read the
  member's data would fail on the cut."""
  buffer = io.BytesIO()
  with tarfile.open(fileobj=buffer, mode='w') as archive:
    for name, contents in members.items():
      info = tarfile.TarInfo(name)
      if isinstance(contents, int):
        info.size = contents
        return gzip_of([buffer.getvalue(), info.tobuf(), bytes(4096)])
      info.size = len(contents)
      archive.addfile(info, io.BytesIO(contents))
  return gzip_of([buffer.getvalue()])


def test_a_housing_member_a_thousand_times_the_real_one_is_refused_unread(
    tmp_path):
  path = tmp_path / tabular.HOUSING_ARCHIVE
  path.write_bytes(tar_gz({tabular.HOUSING_MEMBER: 1000 * 4_664_640}))
  with pytest.raises(DataError, match=r'%s: member %s is 4664640000 bytes, '
                     r'more than the 67108864 that one of this dataset\'s '
                     r'holds; not read$' % (path, tabular.HOUSING_MEMBER)):
    tabular.read_housing_archive(str(path))


def test_a_cifar_batch_larger_than_10000_records_is_refused_unread(tmp_path):
  path = tmp_path / cifar.ARCHIVE
  path.write_bytes(tar_gz({cifar.FOLDER + '/data_batch_1.bin':
                           10_001 * cifar.RECORD_BYTES}))
  with pytest.raises(DataError, match=r'member %s/data_batch_1.bin is '
                     r'30733073 bytes, more than the 30730000 that one of '
                     r'this dataset\'s holds; not read$' % cifar.FOLDER):
    cifar.read(str(path))


def test_read_members_bounds_the_total_and_the_count(tmp_path):
  path = str(tmp_path / 'a.tar.gz')
  pick = lambda m: m.name
  with open(path, 'wb') as f:
    f.write(tar_gz({'a': bytes(60), 'b': bytes(60), 'c': bytes(60)}))
  assert archives.read_members(path, pick, 60, 180) == {
      'a': bytes(60), 'b': bytes(60), 'c': bytes(60)}
  with pytest.raises(DataError, match=r'a.tar.gz: its members up to c hold '
                     r'180 bytes, more than the 179 that this dataset\'s '
                     r'archive holds; not read$'):
    archives.read_members(path, pick, 60, 179)
  with open(path, 'wb') as f:
    f.write(tar_gz({'m%d' % i: b'' for i in range(archives.MAX_MEMBERS + 1)}))
  with pytest.raises(DataError, match=r'more than 64 members, which no '
                     r'dataset\'s archive has; not read$'):
    archives.read_members(path, pick, 0, 0)
