"""The filesystem value: the files, directories and symbolic links the model may look at.

A layout is built by construction (``Layout().with_file(...).with_link(...)``) and read
through :class:`FsView`, a small read-only interface that an eager :class:`Layout`, an
:class:`Overlay` and impl's lazy snapshot of a real directory all provide.  Paths given to an
``FsView`` are *physical*: absolute, without ``.``, ``..``, ``//`` or a trailing ``/``, and
without a symbolic link in any directory component.  Turning a path as a program writes it into
a physical one is the job of the resolvers (:mod:`prefixlab.model.world.kernel` and
:mod:`prefixlab.model.paths.getpath`), never of the view.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping
from typing import Final, Literal, Protocol

from prefixlab.model.errors import BadInput, NotModelled
from prefixlab.model.speedups import dataclass

Kind = Literal["file", "dir", "link", "other"]
"""other: a device, fifo or socket (not a regular file for isfile); Entry.special says which."""

READ_LIMIT: Final = 64 * 1024 * 1024
"""The largest regular file the model reads (64 MiB); a larger one is not modelled."""

NULL_DEVICE: Final = "char 1:3"
"""/dev/null's Entry.special: Linux's memory devices are major 1, null is minor 3
(Documentation/admin-guide/devices.txt); reading it gives end of file at once."""


@dataclass(frozen=True, slots=True)
class Entry:
    """What ``lstat`` tells of one directory entry."""

    kind: Kind
    mode: int = 0o755
    """Permission bits (``0o7777`` at most)."""
    target: str = ""
    """A symbolic link's target, verbatim; empty for other kinds."""
    special: str = ""
    """For kind 'other', what it is: 'fifo', 'socket', 'char MAJOR:MINOR' or
    'block MAJOR:MINOR' (what reading it does depends on it); empty for other kinds."""


class ReadBlocks(NotModelled):
    """Reading the file would block for ever: open(2) of a FIFO for reading waits for a
    writer (fifo(7)), and nothing at start-up writes to it.  Start-up's readers turn it
    into the `hang` answer; elsewhere (a builder reading a package file) it is a thing the
    model does not follow, reported in one line."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: a FIFO; opening it for reading waits for a writer")
        self.path = path


class Unreadable(NotModelled):
    """A file the model does not read: larger than READ_LIMIT, or a device whose content it
    does not know (/dev/zero never ends)."""

    def __init__(self, path: str, why: str, size: int | None = None) -> None:
        super().__init__(f"{path}: {why}")
        self.path = path
        self.size = size
        """A regular file's size (over READ_LIMIT); None for a device."""


def too_large(path: str, size: int) -> Unreadable:
    """The Unreadable for a regular file of ``size`` bytes over READ_LIMIT."""
    return Unreadable(path, f"{size} bytes, more than the {READ_LIMIT} bytes "
                            "(64 MiB) the model reads", size)


class FsView(Protocol):
    """Read-only access to a filesystem by physical path."""

    def entry(self, path: str) -> Entry | None:
        """The entry at ``path`` without following a final link, or None if absent."""

    def read(self, path: str) -> bytes:
        """The bytes of the regular file at ``path`` (which must be a file); raises
        Unreadable when it is larger than READ_LIMIT."""

    def children(self, path: str) -> tuple[str, ...]:
        """Sorted names in the directory at ``path`` (which must be a directory)."""


@dataclass(frozen=True, slots=True)
class File:
    """A regular file."""

    data: bytes = b""
    mode: int = 0o644


@dataclass(frozen=True, slots=True)
class Dir:
    """A directory; its contents are the layout's paths below it."""

    mode: int = 0o755


@dataclass(frozen=True, slots=True)
class Symlink:
    """A symbolic link; ``target`` is stored verbatim, as readlink returns it."""

    target: str


Node = File | Dir | Symlink

_ROOT_ENTRY = Entry("dir", 0o755)

UNKNOWN: object = object()
"""physical_entry's answer when the view cannot vouch for the path's ancestors."""


class LayoutError(BadInput, ValueError):
    """A layout that cannot exist: a bad path, or an entry below a non-directory."""


def check_physical(path: str) -> str:
    """Return ``path`` if it is a physical path, else raise LayoutError saying why."""
    if not path.startswith("/"):
        raise LayoutError(f"{repr(path)}: layout paths are absolute")
    if path == "/":
        return path
    parts = path[1:].split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise LayoutError(f"{repr(path)}: layout paths have no empty, '.' or '..' component")
        if "\0" in part:
            raise LayoutError(f"{repr(path)}: a path cannot hold a NUL character")
    return path


def parent_of(path: str) -> str:
    """The physical parent of a physical path ('/' is its own parent)."""
    cut = path.rfind("/")
    return path[:cut] if cut > 0 else "/"


def with_prefix(listing: tuple[str, ...], prefix: str) -> tuple[str, ...]:
    """The names of a sorted listing (FsView.children) that start with ``prefix``: they lie
    together, so one bisection finds them (most listings hold none)."""
    start = end = bisect_left(listing, prefix)
    while end < len(listing) and listing[end].startswith(prefix):
        end += 1
    return listing[start:end]


def join_physical(directory: str, name: str) -> str:
    """A child's physical path."""
    return "/" + name if directory == "/" else directory + "/" + name


def _entry_of(node: Node) -> Entry:
    if isinstance(node, File):
        return Entry("file", node.mode)
    if isinstance(node, Dir):
        return Entry("dir", node.mode)
    return Entry("link", 0o777, node.target)


class Layout:
    """An eager, immutable filesystem value.

    Every ``with_*`` method returns a new layout; missing parent directories are created
    (mode 0o755), so any sequence of additions builds a layout that can exist.
    """

    __slots__ = ("_nodes", "_children", "_entries")

    def __init__(self, nodes: Mapping[str, Node] | None = None) -> None:
        self._nodes: dict[str, Node] = {}
        self._children: dict[str, set[str]] = {"/": set()}
        self._entries: dict[str, Entry] = {"/": _ROOT_ENTRY}
        for path, node in sorted((nodes or {}).items()):
            self._add(path, node)

    # -- construction -------------------------------------------------------------------
    def _add(self, path: str, node: Node) -> None:
        check_physical(path)
        if path == "/":
            if not isinstance(node, Dir):
                raise LayoutError("'/': the root is a directory")
            return
        parent = parent_of(path)
        if parent != "/" and parent not in self._children:
            self._add_parents(path)
        old = self._nodes.get(path)
        if old is not None and (isinstance(old, Dir) != isinstance(node, Dir)):
            if isinstance(old, Dir) and self._children.get(path):
                raise LayoutError(f"{repr(path)}: cannot replace a non-empty directory")
        self._nodes[path] = node
        self._entries[path] = _entry_of(node)
        self._children[parent].add(path.rpartition("/")[2])
        if isinstance(node, Dir):
            self._children.setdefault(path, set())
        else:
            self._children.pop(path, None)

    def _add_parents(self, path: str) -> None:
        """Create the missing directories above ``path``, outermost first, in a loop (a
        path may be thousands of components deep)."""
        missing: list[str] = []
        parent = parent_of(path)
        while parent != "/" and parent not in self._children:
            existing = self._nodes.get(parent)
            if existing is not None:
                below = missing[-1] if missing else path
                raise LayoutError(f"{repr(below)}: its parent is a "
                                  f"{_entry_of(existing).kind}, not a dir")
            missing.append(parent)
            parent = parent_of(parent)
        for directory in reversed(missing):
            self._add(directory, Dir())

    def _copy(self) -> Layout:
        new = Layout.__new__(Layout)
        new._nodes = dict(self._nodes)
        new._entries = dict(self._entries)
        new._children = {k: set(v) for k, v in self._children.items()}
        return new

    def with_node(self, path: str, node: Node) -> Layout:
        new = self._copy()
        new._add(path, node)
        return new

    def with_file(self, path: str, data: bytes = b"", mode: int = 0o644) -> Layout:
        return self.with_node(path, File(data, mode))

    def with_dir(self, path: str, mode: int = 0o755) -> Layout:
        return self.with_node(path, Dir(mode))

    def with_link(self, path: str, target: str) -> Layout:
        return self.with_node(path, Symlink(target))

    def merged(self, other: Layout) -> Layout:
        """This layout with every node of ``other`` added (other wins on a clash)."""
        new = self._copy()
        for path, node in other.items():
            new._add(path, node)
        return new

    # -- reading --------------------------------------------------------------------------
    def entry(self, path: str) -> Entry | None:
        return self._entries.get(path)

    def read(self, path: str) -> bytes:
        node = self._nodes.get(path)
        if not isinstance(node, File):
            raise LayoutError(f"{repr(path)}: not a regular file")
        if len(node.data) > READ_LIMIT:
            raise too_large(path, len(node.data))
        return node.data

    def children(self, path: str) -> tuple[str, ...]:
        return tuple(sorted(self._children.get(path, ())))

    def physical_entry(self, path: str) -> Entry | None:
        """Like entry(); a layout also promises that every ancestor of an entry is a
        directory (it is built so), which lets the resolver skip walking prefixes."""
        return self._entries.get(path)

    def physical_entries(self) -> dict[str, Entry]:
        """Every entry by physical path (the root included), with physical_entry's promise;
        the resolver reads it directly.  Callers must not change it."""
        return self._entries

    def node(self, path: str) -> Node | None:
        return Dir() if path == "/" else self._nodes.get(path)

    def items(self) -> Iterator[tuple[str, Node]]:
        """Every (path, node) except the root, parents before children."""
        return iter(sorted(self._nodes.items()))

    def __len__(self) -> int:
        return len(self._nodes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Layout) and self._nodes == other._nodes

    def __hash__(self) -> int:
        return hash(frozenset(self._nodes.items()))

    def __repr__(self) -> str:
        return f"Layout({repr(dict(self.items()))})"


@dataclass(frozen=True)
class Overlay:
    """A base view with other views mounted over some directories.

    A mount answers for its mount point and everything below it; ``children`` of a directory
    above a mount point come from the base.  Used to place a generated layout on top of a
    snapshot of the host, so that compiled-in prefixes outside the layout are seen as they are.
    """

    base: FsView
    mounts: tuple[tuple[str, FsView], ...] = ()

    def _view(self, path: str) -> FsView:
        for point, view in self.mounts:
            if path == point or path.startswith(point + "/") or point == "/":
                return view
        return self.base

    def entry(self, path: str) -> Entry | None:
        return self._view(path).entry(path)

    def physical_entry(self, path: str) -> Entry | None | object:
        """The mount's physical_entry where it has one, else UNKNOWN."""
        view = self._view(path)
        known = getattr(view, "physical_entry", None)
        return UNKNOWN if known is None else known(path)

    def read(self, path: str) -> bytes:
        return self._view(path).read(path)

    def children(self, path: str) -> tuple[str, ...]:
        return self._view(path).children(path)
