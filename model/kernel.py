"""The kernel's path resolution (Linux namei), over a filesystem value.

Component by component from the root or the working directory; a symbolic link met before the
last component, or as the last one when following, is replaced by its target, read against the
link's own directory; ``..`` is taken *after* links are followed, so it leaves the physical
directory reached (unlike CPython's lexical helpers).  At most 40 links per resolution
(Linux MAXSYMLINKS); a non-directory in the middle gives ENOTDIR; a missing entry ENOENT; an
empty path ENOENT.  Searching permission is not modelled: the probes run as root.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from prefixlab.model.fs import Entry, FsView, join_physical, parent_of

MAXSYMLINKS = 40  # Linux include/linux/namei.h


class Errno(str, Enum):
    """The failures a path lookup can have here, named as in errno.h."""

    ENOENT = "ENOENT"
    ENOTDIR = "ENOTDIR"
    ELOOP = "ELOOP"
    EISDIR = "EISDIR"
    EINVAL = "EINVAL"
    EACCES = "EACCES"


_DIR = Entry("dir", 0o755)


@dataclass(frozen=True, slots=True)
class Lookup:
    """The result of resolving one path."""

    path: str | None
    """The physical path reached, or None on failure."""
    entry: Entry | None
    error: Errno | None = None
    links: tuple[tuple[str, str], ...] = ()
    """Each link followed, as (its physical path, its target), in order."""

    @property
    def ok(self) -> bool:
        return self.error is None


def lookup(fs: FsView, path: str, cwd: str = "/", *, follow: bool = True) -> Lookup:
    """Resolve ``path`` as the kernel does (``stat`` when follow, else ``lstat``).

    ``cwd`` is the process's working directory, a physical path.
    """
    if path == "":
        return Lookup(None, None, Errno.ENOENT)
    current = "/" if path.startswith("/") else cwd
    pending = [c for c in reversed(path.split("/")) if c]
    must_be_dir = path.endswith("/")
    links: list[tuple[str, str]] = []
    while pending:
        name = pending.pop()
        last = not pending
        if name == ".":
            continue
        if name == "..":
            current = parent_of(current)
            continue
        child = join_physical(current, name)
        entry = fs.entry(child)
        if entry is None:
            return Lookup(None, None, Errno.ENOENT, tuple(links))
        if entry.kind == "link" and (not last or follow or must_be_dir):
            if len(links) >= MAXSYMLINKS:
                return Lookup(None, None, Errno.ELOOP, tuple(links))
            links.append((child, entry.target))
            target = entry.target
            if target == "":
                return Lookup(None, None, Errno.ENOENT, tuple(links))
            if target.startswith("/"):
                current = "/"
            if last and target.endswith("/"):
                must_be_dir = True
            pending.extend(c for c in reversed(target.split("/")) if c)
            continue
        if last:
            if must_be_dir and entry.kind != "dir":
                return Lookup(None, None, Errno.ENOTDIR, tuple(links))
            return Lookup(child, entry, None, tuple(links))
        if entry.kind != "dir":
            return Lookup(None, None, Errno.ENOTDIR, tuple(links))
        current = child
    return Lookup(current, fs.entry(current) or _DIR, None, tuple(links))


def stat(fs: FsView, path: str, cwd: str = "/") -> Entry | None:
    """The entry ``path`` names after following every link, or None."""
    return lookup(fs, path, cwd).entry


def readlink(fs: FsView, path: str, cwd: str = "/") -> str | Errno:
    """readlink(2): the target of the link ``path`` names, or why there is none."""
    found = lookup(fs, path, cwd, follow=False)
    if found.entry is None:
        return found.error or Errno.ENOENT
    if found.entry.kind != "link":
        return Errno.EINVAL
    return found.entry.target


def read_file(fs: FsView, path: str, cwd: str = "/") -> bytes | Errno:
    """open(2) for reading then read(2) to the end: the bytes, or the errno.

    A directory opens (fopen "r" succeeds on Linux) but reading it fails with EISDIR; callers
    that treat a failed read as end of file see it as empty.
    """
    found = lookup(fs, path, cwd)
    if found.entry is None or found.path is None:
        return found.error or Errno.ENOENT
    if found.entry.kind == "dir":
        return Errno.EISDIR
    return fs.read(found.path)


def realpath(fs: FsView, path: str, cwd: str = "/") -> str | Errno:
    """The physical path of an existing file (libc realpath(3), strict)."""
    found = lookup(fs, path, cwd)
    if found.path is None:
        return found.error or Errno.ENOENT
    return found.path
