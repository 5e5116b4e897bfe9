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

import os
import struct
from collections.abc import Iterator

from prefixlab.impl.host import filedigest
from prefixlab.impl.host.elf import Dynamic, ElfError, read_dynamic
from prefixlab.model.speedups import dataclass

StatKey = tuple[int, int, int, int, int]
"""(device, inode, size, mtime_ns, ctime_ns) of a file, through links."""

_DIGEST_FORMAT = b"prefixlab-interpreter-1"
LD_SO_CACHE = "/etc/ld.so.cache"


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
    binary: str = ""
    """Hex digest of the binary's own bytes (the same for every copy of it)."""
    missing: tuple[str, ...] = ()
    """The libpython names (DT_NEEDED) the loader finds nowhere: the binary cannot start."""
    parts: tuple[str, ...] = ()
    """Hex digest of each library's own bytes, in the order of ``libraries`` (empty when
    read back from a cache, which keeps only the whole)."""


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
    import hashlib  # here: a warm start reads the cached identity and loads no OpenSSL

    libraries, probed, missing = _search(real_path, _dynamic(real_path))
    digest = hashlib.sha256()
    digest.update(_DIGEST_FORMAT)
    own = _file_digest(real_path)
    parts = tuple(_file_digest(path) for path in libraries)
    for part in (own, *parts):
        digest.update(b"\0" + part)
    return Identity(digest.hexdigest(), libraries, probed, own.hex(), missing,
                    tuple(part.hex() for part in parts))


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
    found, probed, _missing = _search(real_path, dynamic)
    return found, probed


def _search(real_path: str, dynamic: Dynamic
            ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The libpython files the loader would load for ``dynamic``, the paths probed, and the
    libpython names found nowhere."""
    found: list[str] = []
    probed: list[str] = []
    missing: list[str] = []
    for name in dynamic.needed:
        if not os.path.basename(name).startswith("libpython"):
            continue
        for candidate in _candidates(real_path, dynamic, name):
            probed.append(candidate)
            if candidate != LD_SO_CACHE and os.path.isfile(candidate):
                found.append(candidate)
                break
        else:
            missing.append(name)
    return tuple(found), tuple(dict.fromkeys(probed)), tuple(missing)


def _candidates(real_path: str, dynamic: Dynamic, name: str) -> Iterator[str]:
    """The paths the loader tries for ``name``, in order (each looked at only when the ones
    before it hold nothing)."""
    if "/" in name:  # a NEEDED path is used as is, relative to the working directory
        yield name
        return
    origin = os.path.dirname(real_path)
    search = list(dynamic.runpath) if dynamic.runpath else list(dynamic.rpath)
    yield from (os.path.join(_expand(d, origin), name) for d in search if d)
    # ld.so.cache comes after the run path and before the default directories; the cache
    # file itself is yielded as probed, never taken for the library (ldconfig rewriting it
    # can change the answer).
    yield LD_SO_CACHE
    yield from cache_lookup(name)
    yield from (os.path.join(d, name) for d in _default_directories())


def _expand(directory: str, origin: str) -> str:
    """ld.so's $ORIGIN (and ${ORIGIN}); other tokens ($LIB, $PLATFORM) are left as written,
    which names no directory, so the search goes on as for a missing one."""
    return directory.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)


def cache_lookup(name: str, cache: str = LD_SO_CACHE) -> list[str]:
    """The paths ld.so.cache holds for the library ``name`` (its soname), for this
    machine's word size, in the cache's order; [] when there is no cache or it is in a
    format not read here.  The format is glibc's "new" one (glibc-ld.so.cache1.1, the only
    one ldconfig writes since glibc 2.32): a 48-byte header, 24-byte entries (flags, key,
    value, osversion, hwcap), string offsets from the start of the file (glibc
    sysdeps/generic/dl-cache.h struct cache_file_new, struct file_entry_new)."""
    try:
        with open(cache, "rb") as handle:
            data = handle.read(1 << 24)
    except OSError:
        return []
    magic = b"glibc-ld.so.cache1.1"
    if not data.startswith(magic) or len(data) < 48:
        return []
    (count,) = struct.unpack_from("<I", data, len(magic))
    found = []
    for i in range(min(count, (len(data) - 48) // 24)):
        flags, key, value = struct.unpack_from("<iII", data, 48 + 24 * i)
        # FLAG_ELF_LIBC6 (3) in the low byte; 64-bit entries carry FLAG_X8664_LIB64 (0x0300)
        # or FLAG_AARCH64_LIB64 (0x0a00), 32-bit ones none (ld.so's _dl_cache_check_flags).
        if flags & 0xff != 3 or not flags & 0xff00:
            continue
        if _string_at(data, key) == name:
            found.append(_string_at(data, value))
    return found


def _string_at(data: bytes, offset: int) -> str:
    end = data.find(b"\0", offset)
    return data[offset:end if end >= 0 else len(data)].decode("utf-8", "surrogateescape")


def _default_directories() -> list[str]:
    """The trusted directories (ld.so(8)), with the multiarch ones Debian's ld.so.conf adds
    first; ld.so.cache holds nothing else on the systems modelled."""
    machine = os.uname().machine  # what platform.machine() gives on POSIX, without platform
    multiarch = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu"}.get(machine)
    found = [f"/lib/{multiarch}", f"/usr/lib/{multiarch}"] if multiarch else []
    return found + ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]


def own_digest(path: str) -> str | None:
    """Hex SHA-256 of the file's own bytes (Identity.binary for a binary); None when it cannot
    be read."""
    try:
        return _file_digest(path).hex()
    except ElfError:
        return None


def _file_digest(path: str) -> bytes:
    try:
        return filedigest.sha256(path)
    except OSError as error:
        raise ElfError(f"{path}: cannot be read ({error.strerror})") from None
