"""The members of a .tar.gz, read no further than the format promises.

A tar member's header gives its size before its data, and a gzip stream of
zeros is a thousandth of its size: so each member's size is checked before
it is read, and before the reader decompresses through it to the next.
"""

import tarfile

from legacy_dnn.errors import DataError

# More members than any dataset archive we read has (CIFAR-10's has 8).
MAX_MEMBERS = 64


def read_members(path, pick, max_member_bytes, max_total_bytes):
  """{key: bytes} of the regular files of the archive at path that pick
  names.

  Args:
    path: a .tar.gz file.
    pick: tarfile.TarInfo -> a key for a member to read, or None to skip it.
    max_member_bytes: the most a member may hold, read or skipped.
    max_total_bytes: the most all members up to the last one read may hold.

  Raises:
    DataError: naming path and the member, if one is larger than the format
      promises, or the archive has too many members, before it is read.
    tarfile.TarError, EOFError, OSError, zlib.error: the archive is not a
      readable .tar.gz; for the caller to say so.
  """
  found = {}
  total = 0
  with tarfile.open(path, 'r:gz') as archive:
    for count, member in enumerate(archive, 1):
      total += member.size
      if member.size > max_member_bytes:
        raise DataError('%s: member %s is %d bytes, more than the %d that '
                        'one of this dataset\'s holds; not read'
                        % (path, member.name, member.size, max_member_bytes))
      if total > max_total_bytes:
        raise DataError('%s: its members up to %s hold %d bytes, more than '
                        'the %d that this dataset\'s archive holds; not read'
                        % (path, member.name, total, max_total_bytes))
      if count > MAX_MEMBERS:
        raise DataError('%s: more than %d members, which no dataset\'s '
                        'archive has; not read' % (path, MAX_MEMBERS))
      key = pick(member) if member.isfile() else None
      if key is not None:
        found[key] = archive.extractfile(member).read()
  return found
