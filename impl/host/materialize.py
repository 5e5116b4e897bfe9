"""Write a filesystem value (a :class:`~prefixlab.model.world.fs.Layout`) onto the real disk.

The layout's paths are the real paths to write: every node at or below ``root`` is created;
nodes above ``root`` (the ancestors a Layout adds by itself) must already exist on disk as
real directories.  Order matters: directories, then files, then symbolic links (written
verbatim, so they may dangle or loop), then directory modes last, deepest first, so that a
read-only directory does not block writing what is inside it.

*Bindings* stand a real object in for a model placeholder, so a generated install tree runs:

* ``("hardlink", source)``: the layout has a File there; write a hard link to ``source`` (a
  copy when the link is impossible, or when the layout asks for other permission bits: a hard
  link shares the inode, so chmod would change the real interpreter too).  Across
  filesystems, in the scratch parent's (:func:`scratch_parent`), the link goes to a copy of
  ``source`` made there once per process.
* ``("children-links", source)``: the layout has a Dir there (a skeleton the model reads);
  write a real directory holding one absolute symbolic link per entry of ``source`` instead,
  which makes a real stdlib importable without copying it.  The skeleton is not written.

Any failure removes what was written and raises :class:`MaterializeError` (one line).
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import functools
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from prefixlab.model.errors import BadInput
from prefixlab.model.world.fs import Dir, File, Layout, LayoutError, Node, check_physical

Binding = tuple[Literal["hardlink", "children-links"], str]
"""How a layout path is bound to a real source: the kind, and the source's absolute path."""

# A hard link fails across devices (EXDEV), on filesystems without links (EPERM, ENOTSUP)
# and at the link-count limit (EMLINK); a copy works in all those cases.
_COPY_INSTEAD = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP})


class MaterializeError(BadInput):
    """A layout that cannot be written where asked (a one-line reason)."""


def _below(path: str, root: str) -> bool:
    """Is ``path`` the physical path ``root`` or inside it?"""
    return path == root or root == "/" or path.startswith(root + "/")


@dataclass
class _Plan:
    """What to write, checked before anything is written."""

    root: str
    dirs: list[tuple[str, int]] = field(default_factory=list)
    files: list[tuple[str, File]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    hardlinks: list[tuple[str, str, int]] = field(default_factory=list)
    farms: list[tuple[str, str]] = field(default_factory=list)
    root_mode: int | None = None


def _check_root(root: str) -> str:
    try:
        check_physical(root)
    except LayoutError as error:
        raise MaterializeError(f"materialize root {error}") from None
    if root == "/":
        raise MaterializeError("'/': cannot materialize over the root directory")
    parent = os.path.dirname(root)
    # The layout names real paths: the ancestors must be real directories, not links to them.
    if not os.path.isdir(parent) or os.path.realpath(parent) != parent:
        raise MaterializeError(f"{root}: its parent {parent} is not an existing physical "
                               "directory")
    if os.path.lexists(root):
        if os.path.islink(root) or not os.path.isdir(root):
            raise MaterializeError(f"{root}: exists and is not a directory")
        if os.listdir(root):
            raise MaterializeError(f"{root}: exists and is not empty")
    return root


def _check_binding(path: str, node: Node | None, binding: Binding) -> None:
    kind, source = binding
    if node is None:
        raise MaterializeError(f"{path}: bound to {source} but not in the layout")
    if not os.path.isabs(source):
        raise MaterializeError(f"{path}: binding source {source!r} is not absolute")
    if kind == "hardlink":
        if not isinstance(node, File):
            raise MaterializeError(f"{path}: a hardlink binding needs a File in the layout")
        if not os.path.isfile(source):
            raise MaterializeError(f"{path}: hardlink source {source} is not a regular file")
    elif kind == "children-links":
        if not isinstance(node, Dir):
            raise MaterializeError(f"{path}: a children-links binding needs a Dir in the layout")
        if not os.path.isdir(source):
            raise MaterializeError(f"{path}: children-links source {source} is not a directory")
    else:
        raise MaterializeError(f"{path}: unknown binding kind {kind!r}")


def _plan(layout: Layout, root: str, bindings: Mapping[str, Binding]) -> _Plan:
    plan = _Plan(_check_root(root))
    for path, binding in bindings.items():
        if not _below(path, root) or path == root:
            raise MaterializeError(f"{path}: a bound path must be inside {root}")
        _check_binding(path, layout.node(path), binding)
    farms = sorted(p for p, b in bindings.items() if b[0] == "children-links")
    for path, node in layout.items():
        if not _below(path, root):
            _check_outside(path, node, root)
        elif any(path.startswith(f + "/") for f in farms):
            if path in bindings:
                raise MaterializeError(f"{path}: bound inside the children-links dir "
                                       f"{next(f for f in farms if path.startswith(f + '/'))}")
        else:
            _add(plan, path, node, bindings.get(path))
    return plan


def _check_outside(path: str, node: Node, root: str) -> None:
    """A node outside root must be one of root's ancestors, already a directory on disk."""
    if not root.startswith(path + "/"):
        raise MaterializeError(f"{path}: outside the materialize root {root}")
    if not isinstance(node, Dir) or not os.path.isdir(path) or os.path.islink(path):
        raise MaterializeError(f"{path}: above the materialize root {root}, the layout has a "
                               "directory that is not a real directory on disk")


def _add(plan: _Plan, path: str, node: Node, binding: Binding | None) -> None:
    if isinstance(node, Dir):
        if path == plan.root:
            plan.root_mode = node.mode
        else:
            plan.dirs.append((path, node.mode))
        if binding is not None:
            plan.farms.append((path, binding[1]))
    elif path == plan.root:
        raise MaterializeError(f"{path}: the materialize root must be a directory in the layout")
    elif isinstance(node, File):
        if binding is not None:
            plan.hardlinks.append((path, binding[1], node.mode))
        else:
            plan.files.append((path, node))
    else:
        if node.target == "":
            raise MaterializeError(f"{path}: a symbolic link with an empty target cannot exist")
        plan.links.append((path, node.target))


# -- writing ----------------------------------------------------------------------------------
def _write_file(path: str, node: File) -> None:
    with open(path, "xb") as handle:
        handle.write(node.data)
    os.chmod(path, node.mode)


def _hardlink(path: str, source: str, mode: int) -> None:
    real = os.path.realpath(source)
    if stat.S_IMODE(os.stat(real).st_mode) == mode:
        try:
            os.link(real, path)
            return
        except OSError as error:
            if error.errno not in _COPY_INSTEAD:
                raise
            if error.errno == errno.EXDEV and _link_to_copy(real, path):
                return
    shutil.copy2(real, path)
    os.chmod(path, mode)


class _Copies:
    """Copies of hard-link sources kept on another filesystem (a tmpfs scratch), one per
    source and device for the life of the process: a layout on that filesystem gets a hard
    link to the copy instead of a copy of its own (a 7 MB static interpreter copied per case
    costs more than the case's other writes together).  The file seen at the layout's path
    is the same either way: the source's bytes and permission bits, a name of its own."""

    def __init__(self) -> None:
        self.dirs: dict[int, str] = {}
        self.copies: dict[tuple[int, str, tuple[int, int, int, int]], str] = {}

    def link(self, real: str, path: str) -> bool:
        st = os.stat(real)
        device = os.stat(os.path.dirname(path)).st_dev
        key = (device, real, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
        copy = self.copies.get(key)
        if copy is None:
            folder = self._folder(device)
            if folder is None:
                return False
            copy = os.path.join(folder, f"{len(self.copies)}-{os.path.basename(real)}")
            shutil.copy2(real, copy)
            self.copies[key] = copy
        try:
            os.link(copy, path)
        except OSError as error:
            if error.errno not in _COPY_INSTEAD:
                raise
            return False
        return True

    def _folder(self, device: int) -> str | None:
        """A directory for copies on ``device``: in the scratch parent, when it is there."""
        if device not in self.dirs:
            parent = scratch_parent()
            if os.stat(parent).st_dev != device:
                return None
            made = tempfile.mkdtemp(prefix="prefixlab-copies-", dir=parent)
            atexit.register(remove_tree, made)
            self.dirs[device] = made
        return self.dirs[device]


_COPIES = _Copies()


def _link_to_copy(real: str, path: str) -> bool:
    """A hard link at ``path`` to this process's copy of ``real`` on path's filesystem
    (made on first use); False when there can be none (path is not on the scratch
    parent's filesystem, or that filesystem has no hard links)."""
    return _COPIES.link(real, path)


def _link_children(path: str, source: str) -> None:
    for name in sorted(os.listdir(source)):
        os.symlink(os.path.join(source, name), os.path.join(path, name))


def _write(plan: _Plan) -> None:
    for path, _ in plan.dirs:
        os.mkdir(path, 0o700)
    for path, node in plan.files:
        _write_file(path, node)
    for path, source, mode in plan.hardlinks:
        _hardlink(path, source, mode)
    for path, target in plan.links:
        os.symlink(target, path)
    for path, source in plan.farms:
        _link_children(path, source)
    # Deepest first: as root permissions never block us, but a non-root caller could not
    # chmod inside a directory already made 0o000.
    for path, mode in sorted(plan.dirs, key=lambda item: item[0].count("/"), reverse=True):
        os.chmod(path, mode)
    if plan.root_mode is not None:
        os.chmod(plan.root, plan.root_mode)


def materialize(layout: Layout, root: str, *, bindings: Mapping[str, Binding] = {}) -> None:
    """Write every node of ``layout`` at or below ``root`` (see the module docstring)."""
    plan = _plan(layout, root, bindings)
    # None: materialize makes root; else root's mode, restored if writing fails.
    kept = None if not os.path.lexists(root) else stat.S_IMODE(os.lstat(root).st_mode)
    try:
        if kept is None:
            os.mkdir(root, 0o700)
        _write(plan)
    except OSError as error:
        _undo(root, kept)
        where = error.filename2 or error.filename or root  # link/symlink: the new path
        raise MaterializeError(f"{where}: cannot be written "
                               f"({error.strerror or type(error).__name__})") from None
    except BaseException:
        _undo(root, kept)
        raise


def _undo(root: str, kept: int | None) -> None:
    """Remove what materialize wrote: root itself if it made it, else root's contents."""
    if kept is None:
        remove_tree(root)
        return
    with contextlib.suppress(OSError):
        os.chmod(root, 0o700)
        for name in os.listdir(root):
            remove_tree(os.path.join(root, name))
        os.chmod(root, kept)


def remove_tree(path: str) -> None:
    """Remove ``path`` and everything below it, even directories without permissions.

    Links are removed, never followed (a children-links farm points at a real stdlib).
    """
    if not os.path.lexists(path):
        return
    if os.path.islink(path) or not os.path.isdir(path):
        os.unlink(path)
        return
    # Top-down, each directory is opened up before os.walk lists it.
    os.chmod(path, 0o700)
    for directory, subdirs, _ in os.walk(path, followlinks=False):
        for name in subdirs:
            child = os.path.join(directory, name)
            if not os.path.islink(child):
                os.chmod(child, 0o700)
    shutil.rmtree(path)


SHM = "/dev/shm"
"""The tmpfs every Linux system mounts for POSIX shared memory."""


@functools.cache
def scratch_parent() -> str:
    """Where the campaigns make their scratch directories: ``$PREFIXLAB_SCRATCH`` when set;
    else the tmpfs at /dev/shm when it is a physical directory this process may write and
    execute files from; else the temporary directory (``$TMPDIR``, /tmp).

    A campaign case makes and removes a few hundred entries: on a tmpfs that is memory
    work, on a journalled disk a few milliseconds per directory removed.  What a case sees
    does not depend on the filesystem: its layout names the same links, files, modes and
    binaries (hard links, see ``_Copies``), and the scratch root is written as ROOT in what
    is compared (it is read by the model and the real interpreter alike)."""
    chosen = os.environ.get("PREFIXLAB_SCRATCH")
    if chosen:
        return os.path.realpath(chosen)
    try:
        usable = (os.path.realpath(SHM) == SHM and os.path.isdir(SHM)
                  and os.access(SHM, os.W_OK | os.X_OK)
                  and not os.statvfs(SHM).f_flag & os.ST_NOEXEC)
    except OSError:
        usable = False
    return SHM if usable else os.path.realpath(tempfile.gettempdir())


@contextlib.contextmanager
def scratch_dir(prefix: str = "prefixlab-", *, parent: str | None = None) -> Iterator[str]:
    """A fresh, empty temporary directory, named by its physical path, removed afterwards
    (in ``parent``; default: the temporary directory)."""
    made = tempfile.mkdtemp(prefix=prefix, dir=parent)
    path = os.path.realpath(made)
    try:
        yield path
    finally:
        remove_tree(path)
