"""The filesystem layout as a graph: containment and link edges, for cycles, aliases and Mermaid.

Nodes are paths.  An existing entry is named by its *physical* path (no link in a directory
component), so each file, directory or link has exactly one node; a path that was looked for
and is missing hangs, as one node named by the path as written, from the deepest directory of
it that exists.  Edges:

* ``contains``: a directory to an entry in it (physical parent -> child);
* ``link``: a symbolic link to what its target names, one hop (the target may be a link too);
  the edge keeps the target text verbatim, as readlink returns it.

The same graph answers "which paths lead here?" (:func:`aliases`), "can a walk go round for
ever?" (:func:`cycles`) and is drawn by :func:`to_mermaid` for ``prefixlab explain --graph``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

from prefixlab.impl.render.escape import show

from prefixlab.model.world import kernel
from prefixlab.model.world.fs import FsView, Layout, parent_of

CONTAINS = "contains"
LINK = "link"
MISSING = "missing"
"""The kind of a node that was looked for and is not there."""

MAX_ALIASES = 200
"""aliases() stops after this many names (a directory cycle has infinitely many)."""


# -- building ---------------------------------------------------------------------------------
def layout_graph(fs: FsView, paths: Iterable[str], cwd: str = "/") -> nx.DiGraph[str]:
    """The part of ``fs`` that ``paths`` touch: each path (as a program writes it, relative
    ones against the physical ``cwd``), every directory above it, every link met on the way
    and every link's target, one hop at a time until the chains end."""
    builder = _Builder(fs, cwd)
    for path in paths:
        builder.add_path(path)
    return builder.graph


def graph_of_layout(layout: Layout) -> nx.DiGraph[str]:
    """Every entry of an eager layout, with every link's target."""
    return layout_graph(layout, [path for path, _ in layout.items()])


class _Builder:
    def __init__(self, fs: FsView, cwd: str) -> None:
        self.fs = fs
        self.cwd = cwd
        self.graph: nx.DiGraph[str] = nx.DiGraph()
        self.graph.add_node("/", kind="dir")
        self._pending: list[str] = []  # link nodes whose target is still to be added

    def add_path(self, path: str) -> str:
        """Add ``path`` (and what it leads through); return its node."""
        node = self._add_one(path, self.cwd)
        self._drain()
        return node

    def _drain(self) -> None:
        while self._pending:
            link = self._pending.pop()
            target = str(self.graph.nodes[link]["target"])
            end = self._add_one(target, parent_of(link), follow=False)
            self.graph.add_edge(link, end, kind=LINK, target=target)

    def _add_one(self, path: str, base: str, *, follow: bool = False) -> str:
        """The node for ``path`` read from directory ``base``: its physical path, or a
        missing node under the deepest existing directory on the way."""
        resolver = kernel.Resolver(self.fs, base)
        found = resolver.lookup(path, follow=follow)
        self._add_links(found.links)
        if found.path is not None and found.entry is not None:
            self._add_physical(found.path)
            return found.path
        return self._add_missing(resolver, path, base)

    def _add_missing(self, resolver: kernel.Resolver, path: str, base: str) -> str:
        written = path if path.startswith("/") else posixpath.join(base, path)
        head, rest = written, ""
        while head not in ("", "/"):
            head, _, name = head.rpartition("/")
            rest = name if not rest else f"{name}/{rest}"
            where = resolver.lookup(head or "/")
            self._add_links(where.links)
            if where.path is not None and where.entry is not None and where.entry.kind == "dir":
                self._add_physical(where.path)
                node = (where.path.rstrip("/") or "") + "/" + rest
                if node not in self.graph:
                    self.graph.add_node(node, kind=MISSING, rest=rest)
                self.graph.add_edge(where.path, node, kind=CONTAINS)
                return node
        return "/"

    def _add_links(self, links: Iterable[tuple[str, str]]) -> None:
        for link, _target in links:
            self._add_physical(link)

    def _add_physical(self, path: str) -> None:
        """Add a physical path and its ancestors, with containment edges."""
        child = path
        # add_edge creates a bare parent node: a node is only complete once it has a kind.
        while child != "/" and not (child in self.graph and "kind" in self.graph.nodes[child]):
            entry = self.fs.entry(child)
            kind = entry.kind if entry is not None else MISSING
            self.graph.add_node(child, kind=kind)
            if entry is not None and entry.kind == "link":
                self.graph.nodes[child]["target"] = entry.target
                self._pending.append(child)
            parent = parent_of(child)
            self.graph.add_edge(parent, child, kind=CONTAINS)
            child = parent


# -- reading the graph ---------------------------------------------------------------------------
def node_kind(graph: nx.DiGraph[str], node: str) -> str:
    """file | dir | link | other | missing ('' for a node not described yet)."""
    return str(graph.nodes[node].get("kind", ""))


def edge_kind(graph: nx.DiGraph[str], a: str, b: str) -> str:
    return str(graph.edges[a, b].get("kind", ""))


def _out(graph: nx.DiGraph[str], node: str, kind: str) -> list[str]:
    return sorted(b for b in graph.successors(node) if edge_kind(graph, node, b) == kind)


def _in(graph: nx.DiGraph[str], node: str, kind: str) -> list[str]:
    return sorted(a for a in graph.predecessors(node) if edge_kind(graph, a, node) == kind)


# -- analysis ---------------------------------------------------------------------------------
def _edges_of(graph: nx.DiGraph[str], kind: str) -> nx.DiGraph[str]:
    sub: nx.DiGraph[str] = nx.DiGraph()
    sub.add_nodes_from(graph.nodes)
    sub.add_edges_from((a, b) for a, b in graph.edges if edge_kind(graph, a, b) == kind)
    return sub


def cycles(graph: nx.DiGraph[str], *, links_only: bool = False) -> list[list[str]]:
    """Cycles of the graph, each as its nodes in order (sorted, so that output is stable).

    ``links_only``: chains of links that come back to themselves (resolving one fails with
    ELOOP).  Otherwise also loops through directories, such as ``/a/b/up -> /a``: resolution
    works, but a walk that follows links never ends and a path can grow without limit.
    """
    sub = _edges_of(graph, LINK) if links_only else graph
    found = [_rotated(cycle) for cycle in nx.simple_cycles(sub)]
    return sorted(found)


def _rotated(cycle: list[str]) -> list[str]:
    start = cycle.index(min(cycle))
    return cycle[start:] + cycle[:start]


def link_chain(graph: nx.DiGraph[str], path: str) -> list[str]:
    """``path`` and each node its link hops lead to, in order (a cycle is listed once)."""
    chain = [path]
    while True:
        hops = _out(graph, chain[-1], LINK)
        if not hops or hops[0] in chain:
            return chain
        chain.append(hops[0])


def aliases(graph: nx.DiGraph[str], path: str) -> list[str]:
    """Other paths, among those the graph knows of, that lead to the entry ``path``: links
    whose chain ends there, and the same name under a link to one of its directories
    (``/pub/bin/python3`` for ``/opt/py/bin/python3`` when ``/pub/bin -> /opt/py/bin``).
    At most MAX_ALIASES, sorted."""
    links = _edges_of(graph, LINK)
    found: set[str] = set()
    todo = [path]
    while todo and len(found) < MAX_ALIASES:
        current = todo.pop()
        for name in _names_for(graph, links, current):
            if name != path and name not in found and len(found) < MAX_ALIASES:
                found.add(name)
                todo.append(name)
    return sorted(found)


def _names_for(graph: nx.DiGraph[str], links: nx.DiGraph[str], path: str) -> list[str]:
    names = list(nx.ancestors(links, path)) if path in links else []
    head, rest = path, ""
    while head not in ("", "/"):
        head, _, name = head.rpartition("/")
        rest = name if not rest else f"{name}/{rest}"
        directory = head or "/"
        if directory in links:
            names.extend(f"{alias.rstrip('/')}/{rest}" for alias in nx.ancestors(links, directory))
    return names


# -- Mermaid ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mark:
    """What a node means to the answer: short words shown under its name, and a style."""

    text: str
    style: str = "role"
    """role | found | missing | link"""


_STYLES = {
    "role": "fill:#fff3bf,stroke:#f08c00",
    "found": "fill:#d3f9d8,stroke:#2b8a3e,stroke-width:2px",
    "missing": "fill:#f8f9fa,stroke:#adb5bd,stroke-dasharray:4 4,color:#868e96",
    "link": "fill:#e7f5ff,stroke:#1971c2",
}


def to_mermaid(graph: nx.DiGraph[str], marks: Mapping[str, Mark] | None = None, *,
               direction: str = "LR") -> str:
    """A Mermaid flowchart of ``graph``.

    Chains of directories that nothing else touches are folded into one node labelled with
    the joined names, and the missing paths tested in one directory share one dashed node, so
    the drawing shows the branches that matter; link edges are dotted and labelled with the
    link's target text.  Node ids are n0, n1, ... in path order (m0, ... for missing groups).
    """
    marks = marks or {}
    groups = _missing_groups(graph, marks)
    grouped = {node for members in groups.values() for node in members}
    kept = _kept_nodes(graph, marks, grouped) | set(groups)
    ids = {node: f"n{i}" for i, node in enumerate(sorted(kept))}
    group_ids = {anchor: f"m{i}" for i, anchor in enumerate(sorted(groups))}
    lines = [f"flowchart {direction}"]
    for node in sorted(kept):
        lines.append(f'  {ids[node]}["{_escape(_label(graph, node, kept, marks))}"]')
    for anchor in sorted(groups):
        names = sorted(show(str(graph.nodes[n].get("rest", n))) for n in groups[anchor])
        lines.append(f'  {group_ids[anchor]}["{_escape(chr(10).join(["missing:", *names]))}"]')
    for node in sorted(kept):
        parent = _kept_parent(graph, node, kept)
        if parent is not None:
            lines.append(f"  {ids[parent]} --> {ids[node]}")
    for anchor in sorted(groups):
        lines.append(f"  {ids[anchor]} -.- {group_ids[anchor]}")
    for a, b in sorted(graph.edges):
        if edge_kind(graph, a, b) == LINK and a in kept and b in kept:
            target = str(graph.edges[a, b].get("target", ""))
            lines.append(f'  {ids[a]} -.->|"{_escape("→ " + show(target))}"| {ids[b]}')
    lines.extend(_class_lines(graph, kept, ids, marks, list(group_ids.values())))
    return "\n".join(lines) + "\n"


def _missing_groups(graph: nx.DiGraph[str], marks: Mapping[str, Mark]) -> dict[str, list[str]]:
    """Missing nodes that nothing points at nor marks, by the directory they were sought in."""
    groups: dict[str, list[str]] = {}
    for node in graph.nodes:
        if node_kind(graph, node) != MISSING or node in marks or _in(graph, node, LINK):
            continue
        parents = _in(graph, node, CONTAINS)
        if parents:
            groups.setdefault(parents[0], []).append(node)
    return groups


def _kept_nodes(graph: nx.DiGraph[str], marks: Mapping[str, Mark],
                grouped: set[str]) -> set[str]:
    kept = set()
    for node in graph.nodes:
        if node in grouped:
            continue
        children = [b for b in _out(graph, node, CONTAINS) if b not in grouped]
        if (node in marks or node_kind(graph, node) in (LINK, MISSING) or _in(graph, node, LINK)
                or len(children) != 1):
            kept.add(node)
    if "/" in kept and not _out(graph, "/", CONTAINS):
        kept.discard("/")
    return kept


def _kept_parent(graph: nx.DiGraph[str], node: str, kept: set[str]) -> str | None:
    current = node
    while True:
        parents = _in(graph, current, CONTAINS)
        if not parents:
            return None
        current = parents[0]
        if current in kept:
            return current


def _label(graph: nx.DiGraph[str], node: str, kept: set[str], marks: Mapping[str, Mark]) -> str:
    parent = _kept_parent(graph, node, kept)
    if node == "/" or parent is None or parent == "/":
        name = node
    else:
        name = node[len(parent):].lstrip("/")
    name = show(name)  # a newline in a name must not pass for one of the notes below
    kind = node_kind(graph, node)
    notes = []
    if kind == MISSING:
        notes.append("missing")
    elif kind == LINK:
        notes.append("symbolic link")
    if node in marks:
        notes.append(marks[node].text)
    return name + "".join(f"\n{note}" for note in notes)


def _class_lines(graph: nx.DiGraph[str], kept: set[str], ids: Mapping[str, str],
                 marks: Mapping[str, Mark], group_ids: list[str]) -> list[str]:
    members: dict[str, list[str]] = {"missing": list(group_ids)}
    for node in sorted(kept):
        kind = node_kind(graph, node)
        style = marks[node].style if node in marks else (
            "missing" if kind == MISSING else "link" if kind == LINK else "")
        if style:
            members.setdefault(style, []).append(ids[node])
    lines = []
    for style, nodes in sorted(members.items()):
        if nodes:
            lines.append(f"  classDef {style} {_STYLES[style]}")
            lines.append(f"  class {','.join(nodes)} {style}")
    return lines


def _escape(text: str) -> str:
    """A Mermaid label: entity codes for the characters that end or confuse a label, '\\n'
    as <br/>, and undecodable bytes (lone surrogates) as \\udcxx text."""
    out = []
    for char in text:
        code = ord(char)
        if char == "\n":
            out.append("<br/>")
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\udc{code - 0xDC00:02x}")
        elif char in '"#<>|[](){}`\\' or code < 0x20 or 0xD800 <= code <= 0xDFFF:
            out.append(f"#{code};")
        else:
            out.append(char)
    return "".join(out)
