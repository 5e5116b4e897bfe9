"""What a builder learned about an interpreter, cached, its validity resting on what the
learning read.

An entry holds its key (the request, prefixlab's own source files), the learned value (plain
data: marshal writes and reads it without importing json) and the state of every path the
learning looked at: lstat's answer (kind, mode, link target; for files size, device, inode,
mtime and ctime) and the names of every directory it listed.  On use every such path is
looked at again; any difference and the entry is not used (the caller learns afresh).  A
digest of the content seals the entry: an edited or damaged one is never used.

Listings a caller names as not part of the answer are not compared (the working directory,
which is a start's sys.path[0] and holds the environments built in it): the entries looked
up in them by name still are.

Kept free of the model and of typing: a warm build reads an entry and checks it with os
alone.  impl/builders/venv.py keeps its own copy of the same rules for build venv.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
import zlib

TYPE_CHECKING = False  # typing stays off a warm build's start-up (model/speedups.py)
if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping
    from typing import Any

    from prefixlab.impl.host.snapshot import Snapshot

_SEAL = b"prefixlab-learned\n"
VOLATILE_ENV = frozenset({"_", "OLDPWD", "SHLVL"})
"""Variables a shell changes between commands that no interpreter start reads."""


def cache_dir() -> str:
    """prefixlab's cache (platformdirs.user_cache_dir('prefixlab') on Linux: the XDG base
    directory rule, written out so that a warm build need not import platformdirs)."""
    if os.name != "posix" or sys.platform == "darwin":
        import platformdirs

        return platformdirs.user_cache_dir("prefixlab")
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not os.path.isabs(base):
        base = os.path.expanduser("~/.cache")
    return os.path.join(base, "prefixlab")


_CODE_IDENTITY: list[Any] = []


def code_identity() -> list[Any]:
    """prefixlab's own source files (folder, name, size, mtime, ctime): what was learned by
    other code (an upgrade, an edit of the model) is learned again.  Read once per process:
    the code a process runs is the code it imported, whatever happens to the files later."""
    if not _CODE_IDENTITY:
        from prefixlab import impl, model

        for top in (model.__path__[0], impl.__path__[0]):
            for folder, dirs, files in os.walk(top):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in sorted(files):
                    if name.endswith(".py"):
                        st = os.stat(os.path.join(folder, name))
                        _CODE_IDENTITY.append((os.path.relpath(folder, top), name, st.st_size,
                                               st.st_mtime_ns, st.st_ctime_ns))
    return _CODE_IDENTITY


def digest(value: Any) -> str:
    """A short name for a plain value (names only spread entries: each holds its key)."""
    data = marshal.dumps(value)
    return "%08x%08x" % (zlib.crc32(data), zlib.adler32(data))


def entry_path(kind: str, key: list[Any]) -> str:
    """Where the entry for ``key`` lives: one directory per version of prefixlab's code (a
    new version drops the others' entries when it writes its first)."""
    return os.path.join(cache_dir(), kind, digest(code_identity()), digest(key) + ".marshal")


def entry_state(path: str) -> list[Any] | None:
    """What lstat says of a path, as an entry records it (None: absent)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        return ["link", mode, os.readlink(path)]
    if stat.S_ISDIR(st.st_mode):
        return ["dir", mode]  # its listing is recorded apart when it was read
    # The ctime: a file rewritten in place with its size and mtime set back (utime) still
    # shows a new ctime, which nothing but the kernel sets.
    return ["file", mode, st.st_size, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]


def still_valid(seen: Mapping[str, Any], unlisted: Collection[str] = ()) -> bool:
    """Does every path the learning looked at still look the same?  Listings of the
    directories in ``unlisted`` are not compared."""
    for path, was in seen["entries"].items():
        if entry_state(path) != was:
            return False
    for path, names in seen["children"].items():
        if path in unlisted:
            continue
        try:
            if sorted(os.listdir(path)) != names:
                return False
        except OSError:
            if names is not None:
                return False
    return True


def _seal_digest(payload: bytes) -> bytes:
    # _blake2 directly: hashlib would add milliseconds (OpenSSL) to every warm build.
    try:
        from _blake2 import blake2b
    except ImportError:  # an interpreter built without it
        from hashlib import blake2b
    return blake2b(payload, digest_size=32).digest()


def read(path: str, key: list[Any]) -> dict[str, Any] | None:
    """The entry at ``path`` when it is whole, unedited and for ``key`` (None otherwise); its
    validity is the caller's to check (:func:`still_valid` on its "seen")."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        start = len(_SEAL) + 32
        payload = data[start:]
        if data[:len(_SEAL)] != _SEAL or data[len(_SEAL):start] != _seal_digest(payload):
            return None
        found = marshal.loads(payload)
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(found, dict) or found.get("key") != key:
        return None
    return found


def write(path: str, data: dict[str, Any]) -> None:
    """Write an entry (atomically: a reader sees the old one or the new one); an unwritable
    cache only costs learning again next time."""
    import tempfile

    payload = marshal.dumps(data)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_SEAL + _seal_digest(payload) + payload)
            os.replace(temp, path)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
        _drop_other_code_versions(os.path.dirname(path))
    except OSError:
        pass


def _drop_other_code_versions(current: str) -> None:
    """Entries learned by other versions of prefixlab's code are never used again."""
    import shutil

    parent, keep = os.path.split(current)
    for name in os.listdir(parent):
        path = os.path.join(parent, name)
        if name == keep:
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def recording_snapshot() -> Snapshot:
    """A Snapshot of / that remembers every path it was asked about (each is asked once: the
    snapshot caches) and every directory it listed; :func:`record` gives their state."""
    from prefixlab.impl.host.snapshot import Snapshot

    class Recording(Snapshot):
        def __init__(self) -> None:
            self.asked: set[str] = set()
            self.listed: set[str] = set()
            super().__init__("/")

        def _entry(self, path: str) -> Any:
            self.asked.add(path)
            return super()._entry(path)

        def _read(self, path: str) -> bytes:
            self.asked.add(path)
            return super()._read(path)

        def _children(self, path: str) -> tuple[str, ...]:
            self.listed.add(path)
            return super()._children(path)

    return Recording()


def record(fs: Snapshot, also: Iterable[str] = (), listed: Iterable[str] = ()
           ) -> dict[str, Any]:
    """The state of what the recording snapshot ``fs`` was asked about, of the paths ``also``
    names (looked at outside it) and the listings of ``listed``."""
    asked: set[str] = getattr(fs, "asked", set())
    listings: dict[str, Any] = {}
    for path in sorted(set(getattr(fs, "listed", ())).union(listed)):
        try:
            listings[path] = sorted(os.listdir(path))
        except OSError:
            listings[path] = None
    return {"entries": {p: entry_state(p) for p in sorted(asked.union(also))},
            "children": listings}
