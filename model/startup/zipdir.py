"""The member names of a zip archive, read from its central directory as zipimport does.

zipimport (Lib/zipimport.py _read_directory) looks for the end-of-central-directory record
in the last 22 bytes (or, failing that, in the last 64 KiB + 22 bytes, for an archive with a
comment), then walks the central directory.  Anything it cannot read makes the entry "not a
Zip file", and the path finder goes on to the next hook.  Only the names matter here.
"""

from __future__ import annotations

import struct

_END = b"PK\x05\x06"
_ENTRY = b"PK\x01\x02"
_END_SIZE = 22
_MAX_COMMENT = 1 << 16
_ENTRY_SIZE = 46


def zip_names(data: bytes) -> frozenset[str] | None:
    """The names in the archive (directories end with '/'), or None if it is not one."""
    end = _end_record(data)
    if end is None:
        return None
    count, size, offset = struct.unpack("<HII", data[end + 10:end + 20])
    # Data before the archive (a self-extracting stub) shifts every offset (zipimport's
    # arc_offset).
    shift = end - size - offset
    if shift < 0:
        return None
    position = offset + shift
    names: set[str] = set()
    for _ in range(count):
        header = data[position:position + _ENTRY_SIZE]
        if len(header) < _ENTRY_SIZE or header[:4] != _ENTRY:
            return None
        flags = struct.unpack("<H", header[8:10])[0]
        name_size, extra_size, comment_size = struct.unpack("<HHH", header[28:34])
        raw = data[position + _ENTRY_SIZE:position + _ENTRY_SIZE + name_size]
        # Bit 11: the name is UTF-8; else zipimport decodes it as cp437.
        names.add(raw.decode("utf-8" if flags & 0x800 else "cp437", "replace"))
        position += _ENTRY_SIZE + name_size + extra_size + comment_size
    return frozenset(names)


def _end_record(data: bytes) -> int | None:
    if len(data) < _END_SIZE:
        return None
    if data[-_END_SIZE:-_END_SIZE + 4] == _END:
        return len(data) - _END_SIZE
    start = max(0, len(data) - _MAX_COMMENT - _END_SIZE)
    found = data.rfind(_END, start)
    if found < 0 or found + _END_SIZE > len(data):
        return None
    return found
