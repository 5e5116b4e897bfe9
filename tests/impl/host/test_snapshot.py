"""impl.snapshot against the layout it was taken of.

A generated layout (the strategy of test_kernel_resolver) is materialized; then the original
Layout, a lazy ``Snapshot(root)`` and ``Snapshot(root).eager()`` must answer entry, read and
children identically for every path in the layout, for the physical paths the queries reach,
and for absent ones; and the kernel resolver must give identical lookups over all three
(each mounted at root over the real '/').
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from hypothesis import given

from prefixlab.impl.host.materialize import materialize, scratch_dir
from prefixlab.impl.host.snapshot import Snapshot, SnapshotError
from prefixlab.model.world import kernel
from prefixlab.model.world.fs import NULL_DEVICE, Entry, FsView, Layout, Overlay, Unreadable

from support.trees import SETTINGS, Tree, materialized, trees


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


def physical_paths(tree: Tree, root: str, layout: Layout, fs: FsView) -> list[str]:
    """The layout's paths at or below root, where the queries lead, and some absent paths."""
    paths = {p for p, _ in layout.items() if _inside(p, root)} | {root}
    resolver = kernel.Resolver(fs, tree.cwd_at(root))
    for query in tree.queries_at(root):
        for follow in (True, False):
            found = resolver.lookup(query, follow=follow).path
            if found is not None and _inside(found, root):
                paths.add(found)
    for path in list(paths):
        paths.add(f"{path}/zz")  # absent; below a file or link, nothing physical is
    return sorted(paths)


def check_views(layout: Layout, views: dict[str, FsView], path: str) -> None:
    entry = layout.entry(path)
    for name, view in views.items():
        assert view.entry(path) == entry, f"{name}.entry({path!r})"
        physical = getattr(view, "physical_entry", view.entry)  # optional in FsView
        assert physical(path) == entry, f"{name}.physical_entry({path!r})"
        assert view.children(path) == layout.children(path), f"{name}.children({path!r})"
        if entry is not None and entry.kind == "file":
            assert view.read(path) == layout.read(path), f"{name}.read({path!r})"


def check_lookups(tree: Tree, root: str, views: dict[str, FsView]) -> None:
    cwd = tree.cwd_at(root)
    mounted = {n: kernel.Resolver(Overlay(Snapshot("/"), ((root, v),)), cwd)
               for n, v in views.items()}
    for query in tree.queries_at(root):
        for follow in (True, False):
            answers = {n: r.lookup(query, follow=follow) for n, r in mounted.items()}
            assert len(set(answers.values())) == 1, f"lookup({query!r}, {follow}): {answers}"


@SETTINGS
@given(trees())
def test_snapshot_answers_as_the_layout(tree: Tree) -> None:
    with materialized(tree) as (root, layout, fs):
        lazy = Snapshot(root)
        views: dict[str, FsView] = {"layout": layout, "lazy": lazy, "eager": lazy.eager()}
        fresh: dict[str, FsView] = {"lazy": Snapshot(root), "eager": Snapshot(root).eager()}
        for path in physical_paths(tree, root, layout, fs):
            check_views(layout, views, path)
            check_views(layout, fresh, path)
        check_lookups(tree, root, views)


def test_eager_snapshot_is_the_layout_below_root() -> None:
    """The eager snapshot is exactly the layout (ancestors are added by Layout either way)."""
    with scratch_dir() as base:
        root = f"{base}/t"
        layout = (Layout().with_dir(f"{root}/d", 0o555).with_file(f"{root}/d/f", b"x", 0o600)
                  .with_link(f"{root}/l", "d/../nowhere").with_dir(f"{root}/z", 0o000))
        materialize(layout, root)
        assert Snapshot(root).eager() == layout


def test_snapshot_outside_root_is_absent() -> None:
    with scratch_dir() as base:
        root = f"{base}/t"
        materialize(Layout().with_file(f"{root}/f"), root)
        lazy = Snapshot(root)
        assert lazy.entry(base) is None
        assert lazy.entry(f"{base}/tt") is None  # a sibling sharing root's name as a prefix
        assert lazy.entry(f"{root}/f") is not None


def test_snapshot_rejects_relative_roots() -> None:
    with pytest.raises(SnapshotError, match="must be absolute"):
        Snapshot("relative/dir")


@pytest.mark.parametrize(("mode", "empty"), [(0o755, True), (0o700, True), (0o700, False)])
def test_eager_keeps_the_root(mode: int, empty: bool) -> None:
    """eager() records root itself, not only the entries below it: an empty root used to be
    absent from the eager layout, and a non-empty one to get Layout's default Dir(0o755)
    (found by this module, fixed in f2e7a42)."""
    with scratch_dir() as base:
        root = f"{base}/t"
        layout = Layout().with_dir(root, mode)
        materialize(layout if empty else layout.with_file(f"{root}/f"), root)
        lazy = Snapshot(root)
        found = lazy.entry(root)
        assert found is not None and found.mode == mode
        assert lazy.eager().entry(root) == found


def test_snapshot_never_follows_links() -> None:
    """Below a link there is nothing physical: entry('l/f') must not answer for 'd/f',
    children('l') must not list d, entry('loop/x') must not raise ELOOP (all three did
    before f2e7a42, because lstat and listdir follow links in directory components)."""
    with scratch_dir() as base:
        root = f"{base}/t"
        layout = (Layout().with_file(f"{root}/d/f").with_link(f"{root}/l", "d")
                  .with_link(f"{root}/loop", "loop"))
        materialize(layout, root)
        lazy = Snapshot(root)
        assert lazy.children(f"{root}/l") == layout.children(f"{root}/l") == ()
        assert lazy.entry(f"{root}/l/f") is None
        assert lazy.entry(f"{root}/loop/x") is None


def test_special_files_are_recorded_never_opened(tmp_path: Path) -> None:
    """lstat's word for a FIFO, a socket and a device; reading one is refused (a FIFO would
    block the snapshot)."""
    os.mkfifo(tmp_path / "fifo")
    holder = socket.socket(socket.AF_UNIX)
    holder.bind(str(tmp_path / "sock"))
    try:
        snap = Snapshot(str(tmp_path))
        assert snap.entry(f"{tmp_path}/fifo") == Entry("other", 0o666 & ~_umask(),
                                                       special="fifo")
        found = snap.entry(f"{tmp_path}/sock")
        assert found is not None and found.special == "socket"
        with pytest.raises(SnapshotError):
            snap.read(f"{tmp_path}/fifo")
        null = Snapshot("/dev").entry("/dev/null")
        assert null is not None and null.special == NULL_DEVICE
    finally:
        holder.close()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_read_refuses_a_file_over_the_limit_unread(tmp_path: Path) -> None:
    big = tmp_path / "big"
    with open(big, "wb") as handle:
        handle.truncate(101)
    with pytest.raises(Unreadable, match="101 bytes"):
        Snapshot(str(tmp_path), max_read=100).read(str(big))
