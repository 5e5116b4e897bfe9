"""CPython's own path helpers, as getpath uses them.

These are *string* operations, lexical where CPython is lexical, plus the queries getpath makes
through ``stat``/``readlink``/``fopen`` (answered by :mod:`prefixlab.model.world.kernel`).  Two
families:

* 3.11+ (Modules/getpath.c helpers for getpath.py, Python/fileutils.c): ``normpath`` is
  ``_Py_normpath``, ``joinpath`` restarts at the last absolute part, joins with
  ``_Py_add_relfile`` and normalises; ``abspath`` normalises *before* prefixing the cwd;
  ``realpath`` follows only the final component, joining relative targets lexically.
* 3.8-3.10 (Modules/getpath.c): ``joinpath2`` and ``reduce`` are plain concatenation and
  truncation, ``copy_absolute`` strips one leading ``./``; nothing is normalised and ``..`` is
  left for the kernel to resolve physically.
"""

from __future__ import annotations

from typing import Final

from prefixlab.model.errors import PrefixlabError
from prefixlab.model.world import kernel
from prefixlab.model.world.fs import FsView, Unreadable

SEP: Final = "/"


# -- string helpers (3.11+) ---------------------------------------------------------------
def normpath(path: str) -> str:
    """``_Py_normpath`` on POSIX (fileutils.c, 3.11+).

    Unlike ``posixpath.normpath``: '' stays '', a path that cancels out becomes '' (not '.'),
    a leading './' is dropped, exactly two leading slashes are kept.
    """
    if path in ("", "."):
        return path
    if ("//" not in path and "/." not in path and path[-1] != "/"
            and not path.startswith(("./", "//"))):
        # Nothing to normalise (the common case): no empty, '.' or '..' component but the
        # first, and a first '..' (or dot-name) is kept as it is.
        return path
    if path.startswith("./"):
        root, rest = "", path[2:]
    elif path.startswith("//") and path[2:3] != "/":
        root, rest = "//", path[2:]
    elif path.startswith("/"):
        root, rest = "/", path
    else:
        root, rest = "", path
    kept: list[str] = []
    for part in rest.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if kept and kept[-1] != "..":
                kept.pop()
            elif not root:
                kept.append("..")
            continue
        kept.append(part)
    return root + "/".join(kept)


def add_relfile(directory: str, relfile: str) -> str:
    """``_Py_add_relfile`` / ``join_relfile``: the separator is only added after a directory
    longer than one character (a quirk: 'a' + 'b' gives 'ab')."""
    if directory == "":
        return relfile
    if len(directory) > 1 and not directory.endswith(SEP):
        return directory + SEP + relfile
    return directory + relfile


def joinpath(*parts: str | None) -> str:
    """getpath.c ``getpath_joinpath``: restart at the last absolute part, skip None, join each
    part onto a non-empty result with ``add_relfile``, then ``normpath`` the whole."""
    if len(parts) == 2:
        head, tail = parts
        if (head and tail and len(head) > 1 and head[0] == SEP and tail[0] != SEP
                and head[-1] != SEP):
            # The common case, same result: an absolute directory and a relative name,
            # usually with nothing for normpath to do (its own first test, inlined).
            joined = f"{head}/{tail}"  # one string built, not two concatenations
            if "//" in joined or "/." in joined or joined[-1] == SEP:
                return normpath(joined)
            return joined
    first = 0
    for i, part in enumerate(parts):
        if part is not None and part.startswith(SEP):
            first = i
    result = ""
    for part in parts[first:]:
        if part is None:
            continue
        result = part if result == "" else add_relfile(result, part)
    return normpath(result)


def dirname(path: str) -> str:
    """getpath.c ``getpath_dirname`` (3.11+): everything before the last '/', or '' (so
    dirname('/usr') == '', where posixpath's is '/')."""
    cut = path.rfind(SEP)  # a slice, not rpartition's three strings and a tuple
    return path[:cut] if cut > 0 else ""


def basename(path: str) -> str:
    """getpath.c ``getpath_basename`` (3.11+): everything after the last '/'."""
    return path[path.rfind(SEP) + 1:]


def abspath(path: str, cwd: str) -> str:
    """getpath.c ``getpath_abspath``: ``_Py_abspath(_Py_normpath(path))``.

    An empty or '.' result is the cwd; a relative one is appended to the cwd with no second
    normalisation, so a leading '..' survives.
    """
    norm = normpath(path)
    if norm in ("", "."):
        return cwd
    if norm.startswith(SEP):
        return norm
    return cwd + SEP + norm


# -- string helpers (3.8-3.10) ------------------------------------------------------------
def reduce(path: str) -> str:
    """getpath.c ``reduce``: cut at the last '/' ('' when there is none)."""
    return dirname(path)


def joinpath2(path: str, path2: str) -> str:
    """getpath.c ``joinpath2``/``joinpath``: an absolute path2 replaces; otherwise a '/' is
    added after a non-empty path that does not end with one."""
    if path2.startswith(SEP):
        return path2
    if path and not path.endswith(SEP):
        return path + SEP + path2
    return path + path2


def copy_absolute(path: str, cwd: str) -> str:
    """getpath.c ``copy_absolute``: cwd + '/' + path, minus exactly one leading './'."""
    if path.startswith(SEP):
        return path
    if path.startswith("./"):
        path = path[2:]
    return joinpath2(cwd, path)


# -- filesystem queries -------------------------------------------------------------------
def isfile(fs: FsView, path: str, cwd: str) -> bool:
    """stat() succeeds and names a regular file (links followed in every component)."""
    entry = kernel.stat(fs, path, cwd)
    return entry is not None and entry.kind == "file"


def isdir(fs: FsView, path: str, cwd: str) -> bool:
    entry = kernel.stat(fs, path, cwd)
    return entry is not None and entry.kind == "dir"


def isxfile(fs: FsView, path: str, cwd: str) -> bool:
    """A regular file with any execute bit (root needs one too)."""
    entry = kernel.stat(fs, path, cwd)
    return entry is not None and entry.kind == "file" and bool(entry.mode & 0o111)


class TooLarge(PrefixlabError):
    """getpath's readlines refuses files of 32 KiB or more (MemoryError)."""


READLINES_LIMIT: Final = 32 * 1024


def readlines(fs: FsView, path: str, cwd: str) -> list[str] | kernel.Errno:
    """getpath.c ``getpath_readlines`` (3.11+); see :func:`read_lines`."""
    return read_lines(kernel.Resolver(fs, cwd), path)


def read_lines(resolver: kernel.Resolver, path: str) -> list[str] | kernel.Errno:
    """getpath.c ``getpath_readlines`` (3.11+).

    An fopen failure is returned as its errno (getpath.py sees the OSError it maps to; a
    value, not an exception, because most files getpath opens do not exist); a directory
    opens and reads as empty; 32 KiB or more raises :class:`TooLarge`; bytes decode as UTF-8
    with surrogateescape; text stops at a NUL; lines split on '\\n' with every trailing
    '\\r'/'\\n' removed; a last line without a newline is kept when not empty.
    """
    try:
        data = resolver.read_file(path)
    except Unreadable as unread:
        if unread.size is None:
            raise  # a device: what it gives is not modelled
        raise TooLarge(path) from None  # over the model's read limit, so over 32 KiB
    if isinstance(data, kernel.Errno):
        return [] if data is kernel.Errno.EISDIR else data
    if not data:
        return []
    if len(data) >= READLINES_LIMIT:
        raise TooLarge(path)
    return split_lines(data)


def split_lines(data: bytes) -> list[str]:
    """getpath_readlines' lines of a file's bytes (under READLINES_LIMIT): UTF-8 with
    surrogateescape, text up to a NUL, split on '\\n' with every trailing '\\r'/'\\n'
    removed, a last line without a newline kept when not empty."""
    text = data.decode("utf-8", "surrogateescape").split("\0", 1)[0]
    lines = text.split("\n")
    tail = lines.pop()
    result = [line.rstrip("\r\n") for line in lines]
    if tail:
        result.append(tail)
    return result


class LinkLimit(PrefixlabError):
    """More links than the resolver allows ('maximum number of symbolic links reached')."""


def realpath_final(fs: FsView, path: str, cwd: str, limit: int | None) -> str:
    """getpath.c ``getpath_realpath``; see :func:`follow_final_links`."""
    return follow_final_links(kernel.Resolver(fs, cwd), path, limit)


def follow_final_links(resolver: kernel.Resolver, path: str, limit: int | None) -> str:
    """getpath.c ``getpath_realpath`` (3.11+, HAVE_READLINK): follow only the final
    component; a relative target replaces the last component lexically (``add_relfile`` then
    ``normpath``); any readlink failure ends the loop.  Raises :class:`LinkLimit` at the
    ``limit``-th link followed."""
    followed = 0
    while True:
        target = resolver.readlink(path)
        if isinstance(target, kernel.Errno):
            return path
        if target.startswith(SEP):
            path = target
        else:
            head, sep, _ = path.rpartition(SEP)
            path = normpath(add_relfile(head if sep else path, target))
        followed += 1
        if limit is not None and followed >= limit:
            raise LinkLimit(path)


def resolve_symlinks(fs: FsView, path: str, cwd: str, limit: int | None) -> str:
    """getpath.c ``resolve_symlinks``; see :func:`follow_links_by_concatenation`."""
    return follow_links_by_concatenation(kernel.Resolver(fs, cwd), path, limit)


def follow_links_by_concatenation(resolver: kernel.Resolver, path: str,
                                  limit: int | None) -> str:
    """getpath.c ``resolve_symlinks`` (3.9-3.10; 3.8 inline in calculate_argv0_path, no
    limit): an absolute target replaces; a relative one replaces the last component by plain
    concatenation (``reduce`` then ``joinpath2``), never normalised."""
    followed = 0
    while True:
        target = resolver.readlink(path)
        if isinstance(target, kernel.Errno):
            return path
        path = target if target.startswith(SEP) else joinpath2(reduce(path), target)
        followed += 1
        if limit is not None and followed >= limit:
            raise LinkLimit(path)
