"""Generated filesystem trees for the kernel-resolver and snapshot tests: nested
directories, files with odd modes, links with absolute and relative targets, ``..`` through
directory links, dangling links, loops and chains around Linux's 40-link limit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from prefixlab.impl.host.materialize import materialize, scratch_dir
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.world.fs import Dir, File, FsView, Layout, Node, Overlay, Symlink

ROOT = "@ROOT@"
"""Placeholder for the directory a generated tree is materialized in."""

DIR_MODES = st.sampled_from([0o755, 0o755, 0o700, 0o555, 0o1777, 0o000])
FILE_MODES = st.sampled_from([0o644, 0o644, 0o755, 0o600, 0o000, 0o4755])
CHAIN_LENGTHS = st.sampled_from([0, 0, 0, 1, 2, 20, 39, 40, 41, 45])
EXAMPLES = int(os.environ.get("PREFIXLAB_KERNEL_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# -- the generated trees ------------------------------------------------------------------------
@dataclass(frozen=True)
class Tree:
    """A generated layout below ROOT, a working directory in it, and paths to ask about."""

    nodes: tuple[tuple[str, Node], ...]
    """Relative paths ('' is the root) and nodes; link targets may hold ROOT."""
    cwd: str
    """The working directory, a relative path of a directory ('' is the root)."""
    queries: tuple[str, ...]
    """Paths to resolve (absolute ones hold ROOT)."""

    def layout(self, root: str) -> Layout:
        def bound(node: Node) -> Node:
            return Symlink(node.target.replace(ROOT, root)) if isinstance(node, Symlink) else node
        return Layout({_under(root, rel): bound(node) for rel, node in self.nodes})

    def cwd_at(self, root: str) -> str:
        return _under(root, self.cwd)

    def queries_at(self, root: str) -> tuple[str, ...]:
        return tuple(q.replace(ROOT, root) for q in self.queries)


def _under(root: str, rel: str) -> str:
    return root if rel == "" else f"{root}/{rel}"


def _join(parent: str, name: str) -> str:
    return name if parent == "" else f"{parent}/{name}"


def _relative(frm: str, to: str) -> str:
    """A relative path from directory ``frm`` to ``to`` (both relative to ROOT), lexically."""
    up = [p for p in frm.split("/") if p]
    down = [p for p in to.split("/") if p]
    while up and down and up[0] == down[0]:
        up.pop(0)
        down.pop(0)
    return "/".join([".."] * len(up) + down) or "."


def _spelled(draw: st.DrawFn, parts: list[str]) -> str:
    """Components joined with '/' or '//', maybe with a '.' inserted or a trailing '/'."""
    text = ""
    for i, part in enumerate(parts):
        if i:
            text += draw(st.sampled_from(["/", "/", "/", "//", "/./"]))
        text += part
    if parts and draw(st.integers(0, 4)) == 0:
        text += draw(st.sampled_from(["/", "/.", "//"]))
    return text


@st.composite
def _path_text(draw: st.DrawFn, names: list[str], paths: list[str], here: str) -> str:
    """A path as a program might write it: into the tree from ``here`` or from ROOT."""
    how = draw(st.sampled_from(["random", "random", "to-node", "abs-node", "abs-random", "odd"]))
    if how == "odd":
        return draw(st.sampled_from(["", ".", "..", "./", "../", "/", "//", "/..", ROOT,
                                     ROOT + "/", ROOT + "//", ROOT + "/..", ROOT + "/.",
                                     "../../../../../../..", "zz"]))
    if how in ("to-node", "abs-node"):
        to = draw(st.sampled_from(paths))
        parts = (_relative(here, to) if how == "to-node" else to).split("/")
        text = _spelled(draw, [p for p in parts if p])
        return f"{ROOT}/{text}" if how == "abs-node" else (text or ".")
    pool = names + ["..", "..", ".", "zz"]
    parts = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4))
    text = _spelled(draw, parts)
    return f"{ROOT}/{text}" if how == "abs-random" else text


@st.composite
def trees(draw: st.DrawFn, max_queries: int = 25) -> Tree:
    """A tree built by construction (no filtering), so shrinking removes nodes."""
    nodes: dict[str, Node] = {"": Dir(0o755)}
    dirs = [""]
    for i in range(draw(st.integers(0, 5))):
        # Names that start with dots are names, not '.' or '..' ('.venv', '..d').
        path = _join(draw(st.sampled_from(dirs)), draw(st.sampled_from(["d", "d", ".d", "..d"]))
                     + str(i))
        nodes[path] = Dir(draw(DIR_MODES))
        dirs.append(path)
    for i in range(draw(st.integers(0, 4))):
        path = _join(draw(st.sampled_from(dirs)), f"f{i}")
        nodes[path] = File(draw(st.binary(max_size=8)), draw(FILE_MODES))
    link_count = draw(st.integers(0, 6))
    link_paths = [_join(draw(st.sampled_from(dirs)), f"l{i}") for i in range(link_count)]
    names = sorted({p.rpartition("/")[2] for p in list(nodes) + link_paths if p})
    paths = [p for p in nodes if p] + link_paths or [""]
    for path in link_paths:
        here = path.rpartition("/")[0]
        target = draw(_path_text(names, paths, here)) or "zz"  # an empty target cannot exist
        nodes[path] = Symlink(target)
    _chain(draw, nodes, dirs, names, paths)
    cwd = draw(st.sampled_from(dirs))
    names = sorted({p.rpartition("/")[2] for p in nodes if p})
    paths = [p for p in nodes if p] or [""]
    queries = draw(st.lists(_path_text(names, paths, cwd), min_size=1, max_size=max_queries))
    return Tree(tuple(sorted(nodes.items())), cwd, tuple(queries))


def _chain(draw: st.DrawFn, nodes: dict[str, Node], dirs: list[str], names: list[str],
           paths: list[str]) -> None:
    """A chain of links c0 -> c1 -> ... -> (some target), near Linux's 40-link limit."""
    length = draw(CHAIN_LENGTHS)
    if not length:
        return
    where = draw(st.sampled_from(dirs))
    spelling = draw(st.sampled_from(["name", "absolute", "dotdot"]))
    for i in range(length - 1):
        nxt = _join(where, f"c{i + 1}")
        if spelling == "absolute":
            target = f"{ROOT}/{nxt}"
        elif spelling == "dotdot" and where:
            target = f"../{where.rpartition('/')[2]}/c{i + 1}"
        else:
            target = f"c{i + 1}"
        nodes[_join(where, f"c{i}")] = Symlink(target)
    last = draw(_path_text(names, paths, where)) or "zz"
    nodes[_join(where, f"c{length - 1}")] = Symlink(last)


@contextmanager
def materialized(tree: Tree) -> Iterator[tuple[str, Layout, FsView]]:
    """The tree on disk: its root, its layout, and the layout mounted over the real '/'."""
    with scratch_dir() as base:
        root = f"{base}/t"
        layout = tree.layout(root)
        materialize(layout, root)
        yield root, layout, Overlay(Snapshot("/"), ((root, layout),))
