"""The kernel's path resolution (Linux namei), over a filesystem value.

Component by component from the root or the working directory; a symbolic link met before the
last component, or as the last one when following, is replaced by its target, read against the
link's own directory; ``..`` is taken *after* links are followed, so it leaves the physical
directory reached (unlike CPython's lexical helpers).  At most 40 links per resolution
(Linux MAXSYMLINKS); a non-directory in the middle gives ENOTDIR; a missing entry ENOENT; an
empty path ENOENT.  Searching permission is not modelled: the probes run as root.

:class:`Resolver` memoises the resolution of directory prefixes, which is what makes getpath's
many upward searches cheap; the module-level functions are one-shot conveniences.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Final, NamedTuple

from prefixlab.model.world.fs import (NULL_DEVICE, UNKNOWN, Entry, FsView, Layout, ReadBlocks,
                                      Unreadable, parent_of)

MAXSYMLINKS: Final = 40  # Linux include/linux/namei.h


class Errno(str, Enum):
    """The failures a path lookup can have here, named as in errno.h."""

    ENOENT = "ENOENT"
    ENOTDIR = "ENOTDIR"
    ELOOP = "ELOOP"
    EISDIR = "EISDIR"
    EINVAL = "EINVAL"
    EACCES = "EACCES"
    ENXIO = "ENXIO"


_DIR: Final = Entry("dir", 0o755)
_NO_LINKS: Final[tuple[tuple[str, str], ...]] = ()
_UNKNOWN: Final[object] = object()  # "not resolved yet", in the prefix memo


class Lookup(NamedTuple):
    """The result of resolving one path (a NamedTuple: made tens of times per prediction)."""

    path: str | None
    """The physical path reached, or None on failure."""
    entry: Entry | None
    error: Errno | None = None
    links: tuple[tuple[str, str], ...] = ()
    """Each link followed, as (its physical path, its target), in order."""


_IN_PROGRESS: Final = Lookup(None, None, Errno.ELOOP, (("", ""),) * (MAXSYMLINKS + 1))
"""Marks a directory prefix whose resolution is under way (a cycle if met again)."""
# Shared answers for the fast paths (Lookups are immutable), and NamedTuple construction
# without the Python-level __new__: the fast paths run tens of times per prediction.
_MISSING: Final = Lookup(None, None, Errno.ENOENT)
_NOT_A_DIR: Final = Lookup(None, None, Errno.ENOTDIR)
_tuple_new: Final = tuple.__new__


class Resolver:
    """Path resolution against one filesystem value and working directory, with the
    resolution of directory prefixes remembered."""

    __slots__ = ("fs", "cwd", "_dirs", "_plain_dirs", "_physical_of", "_missing", "_entries",
                 "_entry", "_listings", "memo")

    def __init__(self, fs: FsView, cwd: str = "/") -> None:
        self.fs = fs
        self.cwd = cwd
        self._physical_of: Callable[[str], object] | None = getattr(fs, "physical_entry", None)
        self._entries: dict[str, Entry] | None = (
            fs.physical_entries() if isinstance(fs, Layout) else None)
        """A layout's own table of physical entries, read directly on the fast path (a
        prediction makes a score of lookups, most of them of missing files)."""
        self._entry: Callable[[str], Entry | None] = (
            fs.entry if self._entries is None else self._entries.get)
        """fs.entry (a layout's table read directly): the component walk calls it often."""
        self._missing: dict[str, Lookup | None] = {}
        """Ancestors already found missing (or a link, None) by the physical fast path."""
        self._dirs: dict[tuple[str, str], Lookup] = {}
        self._plain_dirs: dict[str, Errno | None] = {"": None}
        """Absolute paths resolved as directories without meeting a link: None when they are
        directories all the way down, else why they are not."""
        self._listings: dict[object, tuple[Lookup, tuple[str, ...] | None]] = {}
        """opendir's answers, by path."""
        self.memo: dict[object, object] = {}
        """Values derived from this filesystem and working directory by other layers (e.g.
        the import system's finder for a sys.path entry), kept as long as the resolver: one
        prediction.  Keys are tuples whose first item names the layer."""

    def lookup(self, path: str, *, follow: bool = True) -> Lookup:
        """Resolve ``path`` (``stat`` when follow, else ``lstat``)."""
        if path == "":
            return _MISSING
        entries = self._entries
        if entries is not None:
            if path[0] != "/":
                path = self._from_cwd(entries, path)
            # A layout's keys are physical paths whose ancestors are all directories (Layout
            # checks both), so a path found there is its own resolution: no need to look for
            # '//' or '.' components first (a dot-directory such as '.venv' then needs no walk).
            entry = entries.get(path)
            if entry is not None:
                if not follow or entry.kind != "link":
                    return _tuple_new(Lookup, (path, entry, None, _NO_LINKS))
            elif path[0] == "/":
                missing = self._missing_from_layout(entries, path)
                if missing is not None:
                    return missing
        elif path[0] == "/" and "//" not in path and "/." not in path and path[-1] != "/":
            found = self._plain(path, follow)
            if found is not None:
                return found
        return self._lookup(path, self.cwd, follow, _NO_LINKS)

    def _from_cwd(self, entries: dict[str, Entry], path: str) -> str:
        """A relative path as the absolute one the kernel walks, when the working directory
        is a directory of the layout (so physical): its leading '.' and '..' components are
        taken lexically, which is exact from a physical directory ('..' is its parent).
        Returned unchanged when the working directory is not in the layout."""
        cwd = self.cwd
        known = entries.get(cwd)
        if known is None or known.kind != "dir":
            return path
        while True:
            if path.startswith("../") or path == "..":
                cwd = parent_of(cwd)
                path = path[3:]
            elif path.startswith("./") or path == ".":
                path = path[2:]
            else:
                break
        if not path:
            return cwd
        return "/" + path if cwd == "/" else cwd + "/" + path

    def _missing_from_layout(self, entries: dict[str, Entry], path: str) -> Lookup | None:
        """An absolute path (it starts with '/') a layout lacks: the answer without a walk
        when its deepest existing ancestor tells (a directory: ENOENT, a file: ENOTDIR), or
        None (a link on the way, or an empty, '.' or '..' component: resolve it the long way).

        A layout's keys are physical, so only the components below the ancestor found need a
        look; ancestors found missing are remembered (with their answer) for the next path."""
        missing = self._missing
        # Ancestors found missing on the way up; the list is made when there is one (most
        # missing paths have their parent in the layout).
        absent: list[str] | None = None
        answer: Lookup | None = _MISSING
        end = len(path)
        cut = path.rfind("/")
        while True:
            size = end - cut - 1  # path[cut + 1:end] is the component below head
            if size == 0 or (size <= 2 and path[cut + 1] == "." and path[end - 1] == "."):
                return None  # '//', a trailing '/', '.' or '..'
            if cut == 0:
                break  # in the root directory
            head = path[:cut]
            above = entries.get(head)
            if above is not None:
                kind = above.kind
                if kind == "link":
                    answer = None
                elif kind != "dir":
                    answer = _NOT_A_DIR
                break
            known = missing.get(head, _UNKNOWN)
            if known is not _UNKNOWN:
                answer = known  # type: ignore[assignment]  # a Lookup or None
                break
            if absent is None:
                absent = [head]
            else:
                absent.append(head)
            end = cut
            cut = path.rfind("/", 0, cut)
        if absent is not None:
            for head in absent:
                missing[head] = answer
        return answer

    def _plain(self, path: str, follow: bool) -> Lookup | None:
        """Fast path for an absolute path with no '.', '..' or empty component.

        Starts from the longest prefix already known to be a plain directory chain (or known
        to fail), walks forward, and gives up (None) at the first link that must be followed.
        """
        physical = self._physical_of
        if physical is not None:
            answer = self._physical(physical, path, follow)
            if answer is not UNKNOWN:
                return answer  # type: ignore[return-value]
        known = self._plain_dirs
        cut = len(path)
        while True:
            cut = path.rfind("/", 0, cut)
            head = path[:cut]
            state = known.get(head, _UNKNOWN)
            if state is None:
                break
            if state is not _UNKNOWN:
                return Lookup(None, None, state)  # type: ignore[arg-type]  # an Errno
        entry_of = self.fs.entry
        start = cut + 1
        while True:
            end = path.find("/", start)
            prefix = path if end < 0 else path[:end]
            entry = entry_of(prefix)
            if entry is None:
                if end >= 0:
                    known[prefix] = Errno.ENOENT
                return _MISSING
            if entry.kind == "link" and (end >= 0 or follow):
                return None
            if end < 0:
                return _tuple_new(Lookup, (path, entry, None, ()))
            if entry.kind != "dir":
                known[prefix] = Errno.ENOTDIR
                return _NOT_A_DIR
            known[prefix] = None
            start = end + 1

    def _physical(self, physical: Callable[[str], object], path: str,
                  follow: bool) -> Lookup | None | object:
        """Answer from a view whose entries all have directory ancestors: the path itself,
        or else its deepest existing ancestor, tells the outcome (UNKNOWN: walk instead)."""
        entry = physical(path)
        if entry is not None:
            if entry is UNKNOWN:
                return UNKNOWN
            if entry.kind == "link" and follow:  # type: ignore[attr-defined]
                return None
            return _tuple_new(Lookup, (path, entry, None, ()))
        missing = self._missing
        cut = path.rfind("/")
        absent: list[str] = []  # ancestors found missing on the way up
        answer: Lookup | None = _MISSING
        while cut > 0:
            head = path[:cut]
            if head in missing:
                answer = missing[head]
                break
            above = physical(head)
            if above is UNKNOWN:
                return UNKNOWN
            if above is not None:
                assert isinstance(above, Entry)
                if above.kind == "link":
                    answer = None
                elif above.kind != "dir":
                    answer = _NOT_A_DIR
                break
            absent.append(head)
            cut = path.rfind("/", 0, cut)
        for head in absent:
            missing[head] = answer
        return answer

    def _lookup(self, path: str, base: str, follow: bool,
                links: tuple[tuple[str, str], ...]) -> Lookup:
        cut = path.rfind("/")
        last = path[cut + 1:]
        if cut >= 0:
            where = self._directory(path[:cut] or "/", base)
            if where.links:
                links = links + where.links
                # The prefix was resolved with a fresh count; in this walk the links before
                # it count too, and the kernel stops at the limit before any later error.
                if len(links) > MAXSYMLINKS:
                    return _tuple_new(Lookup, (None, None, Errno.ELOOP, links))
            directory = where.path
            if directory is None:
                return _tuple_new(Lookup, (None, None, where.error, links))
        else:
            directory = base
        if last == "":  # a trailing slash: the directory itself, links followed
            return _tuple_new(Lookup, (directory, self._entry(directory) or _DIR, None, links))
        return self._component(directory, last, follow, links)

    def _directory(self, text: str, base: str) -> Lookup:
        """Resolve ``text`` as a directory (all links followed), memoised."""
        key = (base, text)
        found = self._dirs.get(key)
        if found is None:
            self._resolve_ancestors(text, base)
        if found is _IN_PROGRESS:
            # Resolving this prefix needs this prefix again (l -> l/x): the kernel would
            # follow links until its limit, so the answer is ELOOP.
            return _tuple_new(Lookup, (None, None, Errno.ELOOP, _NO_LINKS))
        if found is None:
            entries = self._entries
            known = entries.get(text) if entries is not None else None
            if text == "/":
                found = _tuple_new(Lookup, ("/", _DIR, None, _NO_LINKS))
            elif known is not None and known.kind == "dir":
                # A layout's keys are physical paths: a directory found there is its own
                # resolution (as in lookup), with no walk down its prefixes.
                found = _tuple_new(Lookup, (text, known, None, _NO_LINKS))
            else:
                self._dirs[key] = _IN_PROGRESS
                found = self._lookup(text, base, True, _NO_LINKS)
                if found.entry is not None and found.entry.kind != "dir":
                    found = _tuple_new(Lookup, (None, None, Errno.ENOTDIR, found.links))
            self._dirs[key] = found
        if len(found.links) > MAXSYMLINKS:
            return _tuple_new(Lookup, (None, None, Errno.ELOOP, found.links))
        return found

    def _resolve_ancestors(self, text: str, base: str) -> None:
        """Memoise the directory prefixes of ``text`` that are not yet, outermost first, so
        that resolving ``text`` finds its parent done: the walk is a loop over components,
        not a recursion per component (a path may be 2,000 components deep within Linux's
        PATH_MAX).  The prefixes are the ones _lookup would ask for, in the order it would
        finish them."""
        pending: list[str] = []
        head = text
        while True:
            cut = head.rfind("/")
            if cut <= 0:
                break
            head = head[:cut]
            if (base, head) in self._dirs:
                break
            pending.append(head)
        for head in reversed(pending):
            self._directory(head, base)

    def _component(self, directory: str, name: str, follow: bool,
                   links: tuple[tuple[str, str], ...]) -> Lookup:
        if name == ".":
            return _tuple_new(Lookup, (directory, self._entry(directory) or _DIR, None, links))
        if name == "..":
            parent = parent_of(directory)
            return _tuple_new(Lookup, (parent, self._entry(parent) or _DIR, None, links))
        child = "/" + name if directory == "/" else directory + "/" + name  # join_physical
        entry = self._entry(child)
        if entry is None:
            return _tuple_new(Lookup, (None, None, Errno.ENOENT, links))
        if entry.kind != "link" or not follow:
            return _tuple_new(Lookup, (child, entry, None, links))
        if len(links) >= MAXSYMLINKS:
            return _tuple_new(Lookup, (None, None, Errno.ELOOP, links))
        links = links + ((child, entry.target),)
        target = entry.target
        if target == "":
            return _tuple_new(Lookup, (None, None, Errno.ENOENT, links))
        return self._lookup(target, directory, True, links)

    def listdir(self, path: str) -> tuple[str, ...] | None:
        """os.listdir(path), sorted: the names in the directory ``path`` resolves to (links
        followed), or None when it is not one."""
        return self.opendir(path)[1]

    def opendir(self, path: str) -> tuple[Lookup, tuple[str, ...] | None]:
        """``path``'s lookup and, when it resolves to a directory, its names (sorted).
        Remembered by the path as written (with the working directory for a relative one):
        the stdlib check, site and the import system list the same sys.path entries."""
        key: object = path if path[:1] == "/" else ("opendir", self.cwd, path)
        known = self._listings.get(key)
        if known is None:
            found = self.lookup(path)
            is_dir = found.entry is not None and found.entry.kind == "dir"
            known = self._listings[key] = (found, self.children(found.path)
                                           if is_dir and found.path is not None else None)
        return known

    def children(self, physical: str) -> tuple[str, ...]:
        """The names in the directory at the physical path ``physical`` (a lookup's path),
        listed once per resolver: site and the import system list the same few."""
        key = ("children", physical)
        names = self.memo.get(key)
        if names is None:
            names = self.memo[key] = self.fs.children(physical)
        return names  # type: ignore[return-value]  # what was stored under this key

    # -- the system calls, as getpath and site make them ---------------------------------------
    def stat(self, path: str) -> Entry | None:
        return self.lookup(path).entry

    def readlink(self, path: str) -> str | Errno:
        """readlink(2): the target of the link ``path`` names, or why there is none."""
        found = self.lookup(path, follow=False)
        if found.entry is None:
            return found.error or Errno.ENOENT
        if found.entry.kind != "link":
            return Errno.EINVAL
        return found.entry.target

    def read_file(self, path: str) -> bytes | Errno:
        """open(2) for reading then read(2) to the end: the bytes, or the errno.

        A directory opens (fopen "r" succeeds on Linux) but reading it fails with EISDIR;
        callers that treat a failed read as end of file see it as empty.  What is neither a
        file nor a directory is never opened here: see :func:`read_special`.  Raises
        ReadBlocks for a FIFO and Unreadable for what the model does not read.
        """
        found = self.lookup(path)
        if found.entry is None or found.path is None:
            return found.error or Errno.ENOENT
        if found.entry.kind == "dir":
            return Errno.EISDIR
        if found.entry.kind == "other":
            return read_special(found.path, found.entry)
        return self.fs.read(found.path)

    def realpath(self, path: str) -> str | Errno:
        """The physical path of an existing file (libc realpath(3), strict)."""
        found = self.lookup(path)
        if found.path is None:
            return found.error or Errno.ENOENT
        return found.path


def read_special(path: str, entry: Entry) -> bytes | Errno:
    """open(2) then read(2) to the end of what is not a regular file, from what lstat told
    of it: a FIFO blocks in open until a writer comes (fifo(7): ReadBlocks); a Unix socket
    cannot be opened (open(2): ENXIO); /dev/null reads empty; any other device is not
    modelled (Unreadable: /dev/zero never ends, a terminal waits for input)."""
    special = entry.special
    if special == "fifo":
        raise ReadBlocks(path)
    if special == "socket":
        return Errno.ENXIO
    if special == NULL_DEVICE:
        return b""
    raise Unreadable(path, f"a device ({special or 'of an unknown kind'}); what reading it "
                           "gives is not modelled")


def lookup(fs: FsView, path: str, cwd: str = "/", *, follow: bool = True) -> Lookup:
    """Resolve ``path`` as the kernel does (``stat`` when follow, else ``lstat``).

    ``cwd`` is the process's working directory, a physical path.
    """
    return Resolver(fs, cwd).lookup(path, follow=follow)


def stat(fs: FsView, path: str, cwd: str = "/") -> Entry | None:
    """The entry ``path`` names after following every link, or None."""
    return Resolver(fs, cwd).stat(path)


def readlink(fs: FsView, path: str, cwd: str = "/") -> str | Errno:
    return Resolver(fs, cwd).readlink(path)


def read_file(fs: FsView, path: str, cwd: str = "/") -> bytes | Errno:
    return Resolver(fs, cwd).read_file(path)


def realpath(fs: FsView, path: str, cwd: str = "/") -> str | Errno:
    return Resolver(fs, cwd).realpath(path)


def chdir(fs: FsView, path: str, cwd: str = "/") -> str | None:
    """getcwd() after chdir(path): the physical directory reached, or None (chdir fails)."""
    found = Resolver(fs, cwd).lookup(path)
    if found.path is None or found.entry is None or found.entry.kind != "dir":
        return None
    return found.path
