"""What an explanation reads from the layout itself, beside the trace: the file execvp ran
and the links the kernel followed to it, whether a path is a link, a script's first line."""

from __future__ import annotations

from prefixlab.model.world import kernel
from prefixlab.model.world.fs import FsView
from prefixlab.model.world.invocation import DEFAULT_EXEC_PATH, Invocation


def exec_path(fs: FsView | None, inv: Invocation) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The path execvp used and the links the kernel followed from it ('' when none)."""
    if fs is None:
        return "", ()
    resolver = kernel.Resolver(fs, physical_cwd(fs, inv.cwd))
    if "/" in inv.program:
        return inv.program, resolver.lookup(inv.program).links
    for entry in inv.environ.get("PATH", DEFAULT_EXEC_PATH).split(":"):
        candidate = f"{entry}/{inv.program}" if entry else inv.program
        found = resolver.lookup(candidate)
        if found.entry is not None and found.entry.kind == "file" and found.entry.mode & 0o111:
            return candidate, found.links
    return "", ()


def physical_cwd(fs: FsView, cwd: str) -> str:
    """The working directory as getcwd() names it ('/' when it cannot be resolved)."""
    real = kernel.realpath(fs, cwd)
    return real if isinstance(real, str) else "/"


def is_link(fs: FsView | None, path: str, cwd: str) -> bool:
    if fs is None:
        return False
    entry = kernel.lookup(fs, path, physical_cwd(fs, cwd), follow=False).entry
    return entry is not None and entry.kind == "link"


def exists(fs: FsView | None, path: str) -> bool | None:
    """Does ``path`` name anything (None: no layout to look in)?"""
    if fs is None:
        return None
    return kernel.lookup(fs, path).entry is not None


def first_line(fs: FsView | None, path: str) -> str:
    """The first line of a file (at most 200 bytes read), stripped; '' if unreadable."""
    if fs is None:
        return ""
    data = kernel.read_file(fs, path)
    if isinstance(data, kernel.Errno):
        return ""
    return data[:200].split(b"\n", 1)[0].decode("utf-8", "surrogateescape").strip()
