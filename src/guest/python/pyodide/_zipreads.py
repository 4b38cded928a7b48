"""Module bytes from zip archives in one or two calls instead of about eight.

zipimport reads a member by opening the archive, seeking to the member's
local header, reading it, seeking to the data, reading it and closing the
file; each of those is a WASI call, and Wasmtime runs each filesystem call on
a thread of its own pool, tens of microseconds apiece here. The standard
library's archive (STDLIB) is read by the host itself, the header and then the
data, in calls that stay on this thread (``_pyodide_core.read_stdlib``). Any
other archive is kept open and read with one ``os.pread`` (more for a member
over 64 KiB, the most one WASI read returns). What either reads is checked (the
header's signature and name, the data's size, and for a kept descriptor the
CRC-32): a descriptor that user code closed or that now names another file
fails the check, and that read falls back to zipimport's own.

The descriptors are this interpreter's: ``close_all`` runs before a snapshot
is taken (a copy gets only its host's preopened directories), and each
interpreter opens its own again at its next read."""
import os
import zipimport
import zlib

import _pyodide_core

# The standard library's archive, which the host reads for the guest.
STDLIB = "/lib/python311.zip"

# Archive path -> (an open descriptor of it, the file's (st_dev, st_ino)).
_open = {}

# Bytes read past the name in the first read, for the local header's extra
# field (usually empty in archives Python writes).
_EXTRA_ALLOWANCE = 64


def install():
    """Routes zipimport's member reads through ``read_member``."""
    if zipimport._get_data is not read_member:
        read_member.zipimport_read = zipimport._get_data
        zipimport._get_data = read_member


def close_all():
    """Closes every archive this module holds open."""
    while _open:
        _forget(next(iter(_open)))


def _descriptor(archive):
    kept = _open.get(archive)
    if kept is None:
        fd = os.open(archive, os.O_RDONLY)
        try:
            stat = os.fstat(fd)
        except OSError:
            os.close(fd)
            raise
        kept = _open[archive] = (fd, (stat.st_dev, stat.st_ino))
    return kept[0]


def _forget(archive):
    """Drops the archive's descriptor, closing it only if it still is the
    archive's: user code may have closed it and opened another file under
    the same number."""
    fd, identity = _open.pop(archive)
    try:
        stat = os.fstat(fd)
        if (stat.st_dev, stat.st_ino) == identity:
            os.close(fd)
    except OSError:
        pass


def _read(archive, toc_entry):
    """The member's data (inflated, if it was deflated: the standard library's
    members are stored); None where anything does not match."""
    datapath, method, size, full_size, offset, _, _, crc = toc_entry
    name = datapath[len(archive) + 1:].replace(os.sep, "/").encode("utf-8")
    if size < 0 or method not in (0, 8):
        return None
    if archive == STDLIB:
        data = _read_stdlib(name, size, offset)
    else:
        data = _read_kept(archive, name, size, offset)
    if data is None:
        return None
    if method == 8:
        data = zlib.decompress(data, -15)
    # The CRC-32 tells a descriptor that no longer reads the archive; the host's
    # reads of the stdlib have none, and zipimport does not check it either
    # (2.9 % of a start importing ten modules).
    if len(data) != full_size or (archive != STDLIB and zlib.crc32(data) != crc):
        return None
    return data


def _data_start(first, name):
    """Where the data of member ``name`` starts in ``first``, the bytes from
    its local header on; None if that header is not the member's."""
    if len(first) < 30 or first[:4] != b"PK\x03\x04":
        return None
    name_size = int.from_bytes(first[26:28], "little")
    extra_size = int.from_bytes(first[28:30], "little")
    if first[30:30 + name_size] != name:
        return None
    return 30 + name_size + extra_size


def _read_stdlib(name, size, offset):
    """A member of the standard library's archive, read by the host: its
    header, then its data straight into the bytes returned (slicing the data
    out of one read copied every module once more in the sandbox)."""
    head = _pyodide_core.read_stdlib(offset, 30 + len(name) + _EXTRA_ALLOWANCE)
    start = None if head is None else _data_start(head, name)
    if start is None:
        return None
    data = _pyodide_core.read_stdlib(offset + start, size)
    return data if data is not None and len(data) == size else None


def _read_kept(archive, name, size, offset):
    """A member of another archive, through the descriptor kept for it: the
    header and the data in one read where they fit."""
    fd = _descriptor(archive)
    first = os.pread(fd, 30 + len(name) + _EXTRA_ALLOWANCE + size, offset)
    start = _data_start(first, name)
    if start is None:
        return None
    data = first[start:start + size]
    if len(data) < size:
        data = _read_rest(fd, data, size, offset + start)
    return data


def _read_rest(fd, head, size, offset):
    """``head``, the first bytes of a member that starts at ``offset``,
    completed to ``size`` bytes; None if the file ends first. A WASI read
    returns at most 64 KiB, so a larger member takes several."""
    parts = [head]
    got = len(head)
    while got < size:
        part = os.pread(fd, size - got, offset + got)
        if not part:
            return None
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def read_member(archive, toc_entry):
    """zipimport's ``_get_data``: two host reads for the standard library's
    archive (header, data), one read of a descriptor kept open for another."""
    try:
        data = _read(archive, toc_entry)
    except (OSError, zlib.error):
        data = None
    if data is None:
        if archive in _open:
            _forget(archive)
        return read_member.zipimport_read(archive, toc_entry)
    return data
