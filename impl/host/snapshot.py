"""A real directory as the model's filesystem value: lazy (read on demand, cached) or eager.

The snapshot answers for ``root`` and everything below it, with the real paths as its paths,
so a prediction about a real machine reads exactly what the interpreter would.  It never
follows links itself (lstat only): resolution is the model's job.
"""

from __future__ import annotations

import os
import stat as stat_module
from functools import lru_cache

from prefixlab.model.errors import BadInput
from prefixlab.model.world.fs import (READ_LIMIT, Dir, Entry, File, Layout, Node, Symlink,
                                      join_physical, parent_of, too_large)

TYPE_CHECKING = False  # typing stays off a cold build's start-up (model/speedups.py)
if TYPE_CHECKING:
    from typing import BinaryIO

_UNSET: object = object()
_KEPT_SIZE = 1 << 20
"""Files up to this size (1 MiB) are kept once read, ..."""
_KEPT_FILES = 256
"""... at most this many of them."""
_ABSENT_KEPT = 1 << 16
"""How many absent paths a snapshot remembers before it forgets them all."""


class SnapshotError(BadInput):
    """A snapshot that cannot be taken (with a one-line reason)."""


class Snapshot:
    """A lazy, read-only view of the real directory tree at ``root``.

    Answers are cached: a snapshot is a value taken once, not a live view; build a new one to
    see later changes.
    """

    def __init__(self, root: str = "/", *, max_read: int = READ_LIMIT) -> None:
        if not os.path.isabs(root):
            raise SnapshotError(f"{root}: a snapshot root must be absolute")
        self.root = os.path.normpath(root)
        self._max_read = max_read
        self._entries: dict[str, Entry | None] = {}
        """entry()'s answers by path (absent paths too, up to _ABSENT_KEPT of them)."""
        self._absent = 0
        self._small: dict[str, bytes] = {}
        """read()'s answers for small files, the oldest dropped first."""
        # Unbounded: a composed env of 1,000 packages lists more than 4,096 directories, and
        # a bounded cache made its planning time per package grow.
        self.children = lru_cache(maxsize=None)(self._children)

    def _inside(self, path: str) -> bool:
        return self.root == "/" or path == self.root or path.startswith(self.root + "/")

    def entry(self, path: str) -> Entry | None:
        """What lstat says of ``path``, or None when it is absent or not physical (an
        ancestor is not a directory).  Ancestors are answered first, outermost first, in a
        loop: a path may be thousands of components deep."""
        known = self._entries.get(path, _UNSET)
        if known is not _UNSET:
            return known  # type: ignore[return-value]  # an Entry or None, as stored
        pending = [path]
        head = path
        while head != self.root and head != "/":
            head = parent_of(head)
            if not self._inside(head) or head in self._entries:
                break
            pending.append(head)
        for item in reversed(pending):
            found = self._entry(item)
            if found is None:
                self._absent += 1
                if self._absent > _ABSENT_KEPT:
                    # Absent paths are what a long .pth file names by the million: forget
                    # them (they are asked again at the cost of an lstat), keep the rest.
                    self._entries = {k: v for k, v in self._entries.items() if v is not None}
                    self._absent = 1
            self._entries[item] = found
        return found

    def _entry(self, path: str) -> Entry | None:
        """lstat of ``path``, whose parent's answer is known (or outside the root)."""
        if not self._inside(path):
            return None
        if path != self.root and path != "/":
            # A physical path has only directories above it: lstat would follow a link in
            # the middle, which is the resolver's business, not the view's.
            parent = parent_of(path)
            above = self._entries.get(parent) if self._inside(parent) else Entry("dir")
            if above is None or above.kind != "dir":
                return None
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            raise SnapshotError(f"{path}: cannot be read ({error.strerror})") from error
        mode = stat_module.S_IMODE(st.st_mode)
        if stat_module.S_ISLNK(st.st_mode):
            return Entry("link", mode, os.readlink(path))
        if stat_module.S_ISDIR(st.st_mode):
            return Entry("dir", mode)
        if stat_module.S_ISREG(st.st_mode):
            return Entry("file", mode)
        # Devices, fifos and sockets are not regular files (getpath's isfile() says no); what
        # reading one does is the model's business, so lstat's word is kept, never opened.
        return Entry("other", mode, special=_special(st))

    def read(self, path: str) -> bytes:
        """The bytes of the regular file ``path``; small files are kept, large ones read
        again when asked (a snapshot must not hold many of them at once).  Raises
        Unreadable (not modelled) for one larger than the read limit, unread."""
        data = self._small.get(path)
        if data is None:
            data = self._read(path)
            if len(data) <= _KEPT_SIZE:
                if len(self._small) >= _KEPT_FILES:
                    self._small.pop(next(iter(self._small)))
                self._small[path] = data
        return data

    def _read(self, path: str) -> bytes:
        found = self.entry(path)
        if found is None or found.kind != "file":
            # Only a regular file is ever opened: a FIFO would block (the model says so).
            raise SnapshotError(f"{path}: not a regular file")
        try:
            # O_NONBLOCK: should the file have become a FIFO since lstat, open returns.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as error:
            raise SnapshotError(f"{path}: cannot be read ({error.strerror})") from error
        with open(fd, "rb", buffering=0) as handle:
            st = os.fstat(fd)
            if not stat_module.S_ISREG(st.st_mode):
                raise SnapshotError(f"{path}: not a regular file")
            if st.st_size > self._max_read:
                raise too_large(path, st.st_size)
            data = self._read_to_end(handle, st.st_size)
        if len(data) > self._max_read:
            raise too_large(path, len(data))
        return data

    def _read_to_end(self, handle: BinaryIO, size: int) -> bytes:
        """Up to one byte past the limit: what fstat said first (no buffer of the limit's
        size for a small file), then in 64 KiB pieces (a file may have grown, and procfs
        files say 0 bytes)."""
        pieces: list[bytes] = []
        total = 0
        want = size + 1 if size else 1 << 16
        while total <= self._max_read:
            piece = handle.read(min(want, self._max_read + 1 - total))
            if not piece:
                break
            pieces.append(piece)
            total += len(piece)
            want = 1 << 16
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _children(self, path: str) -> tuple[str, ...]:
        found = self.entry(path)
        if found is None or found.kind != "dir":
            return ()  # not a physical directory: listdir would follow a link
        try:
            return tuple(sorted(os.listdir(path)))
        except OSError:
            return ()

    def physical_entry(self, path: str) -> Entry | None:
        """entry() answers for physical paths only, so ancestors of an entry are directories."""
        return self.entry(path)

    def eager(self, *, limit: int = 100_000) -> Layout:
        """Everything below ``root`` as an eager Layout (at most ``limit`` entries)."""
        nodes: dict[str, Node] = {}
        top = self.entry(self.root)
        if top is not None and self.root != "/":
            nodes[self.root] = _node(self, self.root, top)
        stack = [self.root]
        while stack:
            directory = stack.pop()
            for name in self.children(directory):
                path = join_physical(directory, name)
                found = self.entry(path)
                if found is None:
                    continue
                if len(nodes) >= limit:
                    raise SnapshotError(f"{self.root}: more than {limit} entries")
                nodes[path] = _node(self, path, found)
                if found.kind == "dir":
                    stack.append(path)
        return Layout(nodes)


def _node(view: Snapshot, path: str, found: Entry) -> Node:
    if found.kind == "link":
        return Symlink(found.target)
    if found.kind == "dir":
        return Dir(found.mode)
    return File(view.read(path) if found.kind == "file" else b"", found.mode)


def _special(st: os.stat_result) -> str:
    """Entry.special for what lstat says is neither a file, a directory nor a link."""
    mode = st.st_mode
    if stat_module.S_ISFIFO(mode):
        return "fifo"
    if stat_module.S_ISSOCK(mode):
        return "socket"
    kind = "char" if stat_module.S_ISCHR(mode) else "block" if stat_module.S_ISBLK(mode) else ""
    return f"{kind} {os.major(st.st_rdev)}:{os.minor(st.st_rdev)}" if kind else ""
