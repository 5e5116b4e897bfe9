"""The SHA-256 of a file's bytes, taken the cheapest way for its size.

A large file (an interpreter's libpython: 31 MB for pyenv's 3.13) is hashed by OpenSSL
through a read-only map, in one call: no copy into Python's memory, and the GIL released
once for the whole file.  A digest taken in a thread beside a busy one (impl/host/learner.py)
otherwise waits for the GIL after every piece it reads: 31 MB took 50-110 ms read in pieces
there, 30-40 ms mapped.  A small file is read, and hashed by CPython's own SHA-256 unless
hashlib is loaded already (loading it loads OpenSSL: milliseconds of a warm build).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing stays off a warm build's start-up (model/speedups.py)
if TYPE_CHECKING:
    from hashlib import _Hash

MAPPED = 1 << 20
"""A file larger than this is hashed through a map."""


def sha256(path: str) -> bytes:
    """The SHA-256 of the file at ``path`` (through links).  Raises OSError.  A file
    truncated while it is mapped ends the process with SIGBUS, as it ends every process
    that runs or loads it: installers replace such files by renaming, never in place."""
    with open(path, "rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAPPED:
            import hashlib

            digest = hashlib.sha256()
            if _hash_mapped(digest, handle.fileno(), size):
                return digest.digest()
        else:
            digest = new_sha256()
        while piece := handle.read(MAPPED):
            digest.update(piece)
    return digest.digest()


def _hash_mapped(digest: _Hash, fd: int, size: int) -> bool:
    """Feed the first ``size`` bytes of ``fd`` to ``digest`` through a map; False (nothing
    fed) when the file cannot be mapped, so that it is read instead."""
    import mmap

    try:
        mapped = mmap.mmap(fd, size, prot=mmap.PROT_READ)
    except (OSError, ValueError):
        return False
    with mapped:
        digest.update(mapped)
    return True


def new_sha256(data: bytes = b"") -> _Hash:
    """A SHA-256 object fed ``data``: hashlib's when it is loaded already, else CPython's own
    (``_sha2`` from 3.12, ``_sha256`` before), so that hashing a name or a small file does
    not load OpenSSL's libcrypto (milliseconds of a warm start).  The digests are the same."""
    if "hashlib" not in sys.modules:
        import importlib

        for name in ("_sha2", "_sha256"):
            try:
                made: _Hash = importlib.import_module(name).sha256(data)
                return made
            except ImportError:
                continue
    import hashlib

    return hashlib.sha256(data)
