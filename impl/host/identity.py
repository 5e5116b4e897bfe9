"""Which interpreter a binary is, by content: a digest of the binary and of the libpython the
dynamic loader would give it, read from the disk without running anything.

The digest covers libpython because the binary alone does not tell: pyenv's 3.12.1 and
3.13.0 executables are both 17,600 bytes of the same ``main`` (Programs/python.c); the
version, the compiled-in PREFIX and everything getpath takes from the build are in
libpython.  The library is found as ld.so(8) finds a DT_NEEDED name: DT_RPATH (only without
DT_RUNPATH), then DT_RUNPATH, ``$ORIGIN`` standing for the directory of the binary's real
path, then the default directories.  LD_LIBRARY_PATH is not read: the constants are learned
with an empty environment (impl/host/interpreters.py) and the digest names what was learned.

Digesting reads the files in full, so :func:`stat_key` is the cheap check that decides
when to digest again: it holds the inode's change time, which no rewrite in place can set
back (utime sets atime and mtime only).
"""

from __future__ import annotations

import hashlib
import os
import platform
from dataclasses import dataclass

from prefixlab.impl.host.elf import Dynamic, ElfError, read_dynamic

StatKey = tuple[int, int, int, int, int]
"""(device, inode, size, mtime_ns, ctime_ns) of a file, through links."""

_CHUNK = 1 << 20
_DIGEST_FORMAT = b"prefixlab-interpreter-1"


@dataclass(frozen=True)
class Identity:
    """An interpreter binary's content digest and what it was computed from."""

    digest: str
    """Hex digest of the binary and of the libpython(s) it loads."""
    libraries: tuple[str, ...]
    """The libpython files digested, as found (empty for a static build)."""
    probed: tuple[str, ...]
    """Every path looked at to find them (a library appearing or changing at one of these
    could change which file the loader picks)."""


def stat_key(path: str) -> StatKey | None:
    """The cheap identity of the file at ``path`` (None if absent)."""
    try:
        return key_of(os.stat(path))
    except OSError:
        return None


def key_of(st: os.stat_result) -> StatKey:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def identify(real_path: str) -> Identity:
    """The content identity of the interpreter binary at ``real_path`` (resolved).  Raises
    ElfError when the file cannot be read; a binary that is not 64-bit little-endian ELF is
    identified by its own bytes alone."""
    if not os.path.isfile(real_path):  # opening a FIFO would wait for a writer
        raise ElfError(f"{real_path}: not a regular file")
    libraries, probed = _libpythons(real_path, _dynamic(real_path))
    digest = hashlib.sha256()
    digest.update(_DIGEST_FORMAT)
    for path in (real_path, *libraries):
        digest.update(b"\0" + _file_digest(path))
    return Identity(digest.hexdigest(), libraries, probed)


def library_search(real_path: str) -> tuple[str, ...]:
    """Every path looked at to find the binary's libpython, and the files found resolved
    (what a cache that trusts the binary must watch as well); no file is digested."""
    if not os.path.isfile(real_path):
        return ()
    libraries, probed = _libpythons(real_path, _dynamic(real_path))
    return probed + tuple(os.path.realpath(p) for p in libraries)


def _dynamic(real_path: str) -> Dynamic:
    try:
        return read_dynamic(real_path)
    except ElfError:
        # Not an ELF file this reader parses (another class, byte order): its own bytes are
        # all there is to digest (a file that cannot be read fails in _file_digest).
        return Dynamic()


def _libpythons(real_path: str, dynamic: Dynamic) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The libpython files the loader would load for ``dynamic``, and the paths probed."""
    found: list[str] = []
    probed: list[str] = []
    for name in dynamic.needed:
        if not os.path.basename(name).startswith("libpython"):
            continue
        for candidate in _candidates(real_path, dynamic, name):
            probed.append(candidate)
            if os.path.isfile(candidate):
                found.append(candidate)
                break
    return tuple(found), tuple(probed)


def _candidates(real_path: str, dynamic: Dynamic, name: str) -> list[str]:
    if "/" in name:  # a NEEDED path is used as is, relative to the working directory
        return [name]
    origin = os.path.dirname(real_path)
    search = list(dynamic.runpath) if dynamic.runpath else list(dynamic.rpath)
    directories = [_expand(d, origin) for d in search if d] + _default_directories()
    return [os.path.join(d, name) for d in directories]


def _expand(directory: str, origin: str) -> str:
    """ld.so's $ORIGIN (and ${ORIGIN}); other tokens ($LIB, $PLATFORM) are left as written,
    which names no directory, so the search goes on as for a missing one."""
    return directory.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)


def _default_directories() -> list[str]:
    """The trusted directories (ld.so(8)), with the multiarch ones Debian's ld.so.conf adds
    first; ld.so.cache holds nothing else on the systems modelled."""
    machine = platform.machine()
    multiarch = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu"}.get(machine)
    found = [f"/lib/{multiarch}", f"/usr/lib/{multiarch}"] if multiarch else []
    return found + ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]


def _file_digest(path: str) -> bytes:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as error:
        raise ElfError(f"{path}: cannot be read ({error.strerror})") from None
    return digest.digest()

