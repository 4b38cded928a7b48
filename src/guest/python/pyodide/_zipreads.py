"""Module bytes from zip archives in one call instead of about eight.

zipimport reads a member by opening the archive, seeking to the member's
local header, reading it, seeking to the data, reading it and closing the
file; each of those is a WASI call, and Wasmtime runs each filesystem call on
a thread of its own pool, tens of microseconds apiece here. The standard
library's archive (STDLIB) is read by the host itself, header and data in one
call that stays on this thread (``_pyodide_core.read_stdlib``). Any other
archive is kept open and read with one ``os.pread`` (more for a member over
64 KiB, the most one WASI read returns). What either reads is checked (the
header's signature and name, the data's CRC-32): a descriptor that user code
closed or that now names another file fails the check, and that read falls
back to zipimport's own.

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
    want = 30 + len(name) + _EXTRA_ALLOWANCE + size
    if archive == STDLIB:
        fd = None
        first = _pyodide_core.read_stdlib(offset, want)
        if first is None:
            return None
    else:
        fd = _descriptor(archive)
        first = os.pread(fd, want, offset)
    if len(first) < 30 or first[:4] != b"PK\x03\x04":
        return None
    name_size = int.from_bytes(first[26:28], "little")
    extra_size = int.from_bytes(first[28:30], "little")
    if first[30:30 + name_size] != name:
        return None
    start = 30 + name_size + extra_size
    data = first[start:start + size]
    if len(data) < size:
        # The host reads all that was asked for: a short read is the file's end.
        data = None if fd is None else _read_rest(fd, data, size, offset + start)
        if data is None:
            return None
    if method == 8:
        data = zlib.decompress(data, -15)
    if len(data) != full_size or zlib.crc32(data) != crc:
        return None
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
    """zipimport's ``_get_data``, in one read by the host (the standard
    library's archive) or of an archive kept open."""
    try:
        data = _read(archive, toc_entry)
    except (OSError, zlib.error):
        data = None
    if data is None:
        if archive in _open:
            _forget(archive)
        return read_member.zipimport_read(archive, toc_entry)
    return data
