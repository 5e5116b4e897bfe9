"""What a builder learned about an interpreter, cached, its validity resting on what the
learning read.

An entry holds its key (the request), the learned value (plain data: marshal writes and
reads it without importing json), the files of the prefixlab modules that learned it, and
the state of every path the learning looked at: lstat's answer (kind, mode, link target;
for files size, device, inode, mtime and ctime) and the names of every directory it
listed.  On use every such path is
looked at again; any difference and the entry is not used (the caller learns afresh).  A
digest of the content seals the entry: an edited or damaged one is never used.

Listings a caller names as not part of the answer are not compared (the working directory,
which is a start's sys.path[0] and holds the environments built in it): the entries looked
up in them by name still are.

The code is judged the same way, by what the learning ran: the files of the prefixlab
modules imported when it finished.  In a checkout where other modules are being edited (or
an installation upgraded in part), an entry stays valid until one of those changes.

Kept free of the model and of typing: a warm build reads an entry and checks it with os
alone.  (build venv's cache, impl/builders/venv.py, follows the same rules for paths and
for the code.)
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

_SEAL = b"prefixlab-learned-2\n"
"""An entry's first line; then the seal (a digest of the rest) and the marshalled value,
compressed (a plan of 1,000 packages would take megabytes, an eighth of that so)."""
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


def code_state() -> dict[str, Any]:
    """The files of prefixlab's modules this process has imported, by path (size, inode,
    mtime, ctime; links followed: an editable install links them): the code a learning ran.
    An entry is used only while they are unchanged; an edit of a module the learning did
    not run (another command's, the notes) leaves it valid."""
    found: dict[str, Any] = {}
    for name, module in list(sys.modules.items()):
        if name == "prefixlab" or name.startswith("prefixlab."):
            path = getattr(module, "__file__", None)
            if isinstance(path, str):
                found[path] = _file_state(path)
    return found


def code_unchanged(code: Mapping[str, Any]) -> bool:
    return all(_file_state(path) == was for path, was in code.items())


def _file_state(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]


def digest(value: Any) -> str:
    """A short name for a plain value (names only spread entries: each holds its key).
    Marshal's format 2: from 3 on, the bytes of equal values differ with how often each
    object is referenced (a back-reference flag) and whether a string is interned, so a key
    built twice could name two entries."""
    data = marshal.dumps(value, 2)
    return "%08x%08x" % (zlib.crc32(data), zlib.adler32(data))


def entry_path(kind: str, key: list[Any]) -> str:
    """Where the entry for ``key`` lives (a learning for the same key replaces it)."""
    return os.path.join(cache_dir(), kind, digest(key) + ".marshal")


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


def still_valid(seen: Mapping[str, Any], unlisted: Collection[str] = (),
                moved: list[tuple[str, list[Any]]] | None = None) -> bool:
    """Does every path the learning looked at still look the same?  Listings of the
    directories in ``unlisted`` are not compared.  A file whose ctime alone moved is
    compared by its content: a hard link made to it or removed elsewhere (a materialised
    layout linking the interpreter binary) moves the ctime of the file itself.  Such files
    are added to ``moved`` with the state they had before their bytes were read (the caller
    may record it: :func:`refresh`)."""
    digests = seen.get("digests", {})
    for path, was in seen["entries"].items():
        now = entry_state(path)
        if now != was:
            if not (now is not None and was is not None and now[0] == was[0] == "file"
                    and now[:6] == was[:6] and digests.get(path) is not None
                    and content_digest(path) == digests[path]):
                return False
            if moved is not None:
                moved.append((path, now))
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


def content_digest(path: str) -> bytes | None:
    """A digest of the bytes of the regular file ``path`` (None: it cannot be read)."""
    try:
        from _blake2 import blake2b
    except ImportError:  # an interpreter built without it
        from hashlib import blake2b
    hasher = blake2b(digest_size=32)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        while chunk := os.read(fd, 1 << 20):
            hasher.update(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return hasher.digest()


def seal_digest(payload: bytes) -> bytes:
    # _blake2 directly: hashlib would add milliseconds (OpenSSL) to every warm build.
    try:
        from _blake2 import blake2b
    except ImportError:  # an interpreter built without it
        from hashlib import blake2b
    return blake2b(payload, digest_size=32).digest()


def read(path: str, key: list[Any]) -> dict[str, Any] | None:
    """The entry at ``path`` when it is whole, unedited, for ``key`` and learned by the code
    this process runs (None otherwise); its validity is the caller's to check
    (:func:`still_valid` on its "seen")."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        start = len(_SEAL) + 32
        payload = data[start:]
        if data[:len(_SEAL)] != _SEAL or data[len(_SEAL):start] != seal_digest(payload):
            return None
        found = marshal.loads(zlib.decompress(payload))
    except (OSError, ValueError, EOFError, TypeError, zlib.error):
        return None
    if not isinstance(found, dict) or found.get("key") != key:
        return None
    code = found.get("code")
    if not isinstance(code, dict) or not code_unchanged(code):
        return None
    return found


def write(path: str, data: dict[str, Any]) -> None:
    """Write an entry (atomically: a reader sees the old one or the new one), with the code
    this process has run (unless ``data`` names it); an unwritable cache only costs learning
    again next time."""
    payload = zlib.compress(marshal.dumps({"code": code_state(), **data}), 1)
    directory, name = os.path.split(path)
    temp = os.path.join(directory, f".{name}.{os.getpid()}.tmp")
    try:
        os.makedirs(directory, exist_ok=True)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_SEAL + seal_digest(payload) + payload)
            os.replace(temp, path)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
    except OSError:
        pass


def prune(kind: str, keep: int) -> None:
    """Keep the ``keep`` entries of ``kind`` written or used last (by modification time: a
    caller marks a use with :func:`touch`) and remove the others; entries made per TARGET
    would otherwise pile up without end."""
    directory = os.path.join(cache_dir(), kind)
    try:
        names = [name for name in os.listdir(directory) if name.endswith(".marshal")]
    except OSError:
        return
    if len(names) <= keep:
        return
    stamped = []
    for name in names:
        path = os.path.join(directory, name)
        try:
            stamped.append((os.stat(path).st_mtime_ns, path))
        except OSError:
            continue
    for _, path in sorted(stamped)[:max(0, len(stamped) - keep)]:
        try:
            os.unlink(path)
        except OSError:
            pass


def touch(path: str) -> None:
    """Mark the entry at ``path`` as used now (:func:`prune` keeps the latest)."""
    try:
        os.utime(path)
    except OSError:
        pass


def refresh(path: str, found: dict[str, Any], moved: list[tuple[str, list[Any]]]) -> None:
    """Record the new states of the files of ``moved`` (their bytes found the same) in the
    entry ``found`` read from ``path``, so that the next use need not read them again (a
    state taken before the bytes were read: a change since shows as another state)."""
    entries = found["seen"]["entries"]
    for item, state in moved:
        entries[item] = state
    write(path, found)


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


def record(fs: Snapshot, also: Iterable[str] = (), listed: Iterable[str] = (), *,
           digests: bool = True) -> dict[str, Any]:
    """The state of what the recording snapshot ``fs`` was asked about, of the paths ``also``
    names (looked at outside it) and the listings of ``listed``.  Without ``digests`` no
    file is read: a file whose ctime alone moves then fails the entry, as any change does."""
    asked: set[str] = getattr(fs, "asked", set())
    listings: dict[str, Any] = {}
    for path in sorted(set(getattr(fs, "listed", ())).union(listed)):
        try:
            listings[path] = sorted(os.listdir(path))
        except OSError:
            listings[path] = None
    entries = {p: entry_state(p) for p in sorted(asked.union(also))}
    sealed = {p: content_digest(p) for p, state in entries.items()
              if digests and state is not None and state[0] == "file"}
    return {"entries": entries, "children": listings, "digests": sealed}
