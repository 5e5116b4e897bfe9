"""The layout graph (impl/render/graph.py) as Graphviz DOT text, and as SVG drawn by `dot`.

:func:`to_dot` is our own writer, so that what a name may hold cannot break the drawing:

* a node's id is its path as text output shows it (:func:`~prefixlab.impl.render.escape.show`:
  a newline as ``\\n``, an undecodable byte as ``\\xNN``), so the SVG's ``<title>`` of a node
  (the tooltip a browser shows) is the full path;
* its label is its last component (the part still missing, for a missing path), escaped the
  same way, with notes under it ("symbolic link", "missing", the reason it is highlighted);
* directories are folders, files notes, links arrows (``cds``), missing paths dashed boxes;
  containment edges are grey, link edges dashed and labelled, as in the Mermaid drawing,
  "→ " and the link's text as readlink returns it (shown);
* a node or edge whose ``highlight`` attribute is set (True, or words saying why: "decoy",
  "failing path") is drawn in red; a text ``highlight`` is shown as a note.

The quoting follows Graphviz's own reading of a DOT file (lib/cgraph/scan.l, lib/common/
labels.c): inside a quoted string only ``\\"`` and a backslash before a newline are read by
the scanner (``\\\\`` is kept as two characters); a label is then an *escString*, in which
``\\\\`` is a backslash and ``\\n`` a line break, and whose character entities (``&amp;``,
``&eacute;``) are decoded (labels.c, make_label: htmlEntityUTF8).  :func:`render_svg` runs
the local ``dot -Tsvg`` on it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping

import networkx as nx

from prefixlab.impl.render.escape import show
from prefixlab.impl.render.graph import CONTAINS, LINK, MISSING, edge_kind, node_kind
from prefixlab.model.errors import BadInput, PrefixlabError

HIGHLIGHT = "highlight"
"""The node or edge attribute that draws it in the highlight colour (its text, if a text, is
shown as a note on a node)."""

DOT_TIMEOUT = 60.0
"""Seconds `dot` may take; a layout graph of a few thousand nodes takes well under one."""

INSTALL_HINT = "apt-get install graphviz"

_SHAPES = {
    "dir": 'shape=folder, style=filled, fillcolor="#f1f3f5"',
    "file": 'shape=note, style=filled, fillcolor="#ffffff"',
    LINK: 'shape=cds, style=filled, fillcolor="#e7f5ff", color="#1971c2"',
    MISSING: 'shape=box, style=dashed, color="#adb5bd", fontcolor="#868e96"',
    "other": 'shape=diamond, style=filled, fillcolor="#fff3bf"',
}
_UNKNOWN_SHAPE = "shape=box"
_HIGHLIGHT_NODE = 'color="#c92a2a", fillcolor="#ffe3e3", fontcolor="#c92a2a", penwidth=2.5'
_HIGHLIGHT_EDGE = 'color="#c92a2a", fontcolor="#c92a2a", penwidth=2.5'
_CONTAINS_EDGE = 'color="#868e96", arrowhead=none'
_LINK_EDGE = 'style=dashed, color="#1971c2", fontcolor="#1971c2"'

_NOT_XML = re.compile("[\ufffe\uffff]")
"""Characters XML 1.0 forbids that show() leaves as they are (it escapes the controls and
lone surrogates): written \\uXXXX like show()'s own escapes, so the SVG stays well formed."""


class GraphvizMissing(BadInput):
    """The `dot` program is not installed."""


class GraphvizFailed(PrefixlabError):
    """`dot` failed or ran out of time on a DOT text we wrote."""


# -- quoting ----------------------------------------------------------------------------------
def shown(text: str) -> str:
    """A name or link text as the drawing shows it: escaped by show() (one line, no raw
    control character or undecodable byte), and no character XML cannot hold."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", show(text))


def dot_string(value: str) -> str:
    """``value`` as a DOT quoted string that Graphviz's scanner reads back as exactly
    ``value``: ``"`` is written ``\\"``; a backslash is kept as it is, which is exact as long
    as no odd run of backslashes stands before a ``"``, a newline or the end (ValueError
    otherwise: the scanner cannot read such a value back)."""
    if re.search(r'(?<!\\)(?:\\\\)*\\(?:"|\n|$)', value):
        raise ValueError(f"{value!r}: a DOT string cannot end a run of backslashes this way")
    return '"' + value.replace('"', '\\"') + '"'


def node_id(node: str) -> str:
    """The DOT id of a graph node: its path as shown, with '&' written '&amp;' (the SVG
    writer passes an entity in a title through, so a name holding '&amp;' would show as
    '&'); quoted by :func:`dot_string`."""
    return dot_string(shown(node).replace("&", "&amp;"))


def label_string(lines: list[str]) -> str:
    """A label of the given lines (each shown already: no newline in it) as a quoted DOT
    escString: '&' as '&amp;' (entities are decoded in labels), a backslash as '\\\\', the
    lines joined by '\\n'."""
    escaped = [line.replace("&", "&amp;").replace("\\", "\\\\") for line in lines]
    return dot_string("\\n".join(escaped))


# -- the DOT text -----------------------------------------------------------------------------
def node_lines(graph: nx.DiGraph[str], node: str, mark: object = None) -> list[str]:
    """What a node's label says, line by line: its name, then notes (``mark``: why it is
    highlighted, if a text; by default the node's ``highlight`` attribute)."""
    data = graph.nodes[node]
    if mark is None:
        mark = data.get(HIGHLIGHT)
    kind = node_kind(graph, node)
    if "names" in data:
        # A node that stands for several (the course's drawings, impl/render/sphinxext.py:
        # the missing paths tested in one directory, a chain of directories): a line each.
        lines = [shown(str(name)) for name in data["names"]]
    else:
        if kind == MISSING and "rest" in data:
            name = str(data["rest"])
        elif node == "/" or "/" not in node.rstrip("/"):
            name = node
        else:
            name = node.rstrip("/").rpartition("/")[2]
        lines = [shown(name)]
    if kind == LINK:
        lines.append("symbolic link")
    elif kind == MISSING:
        lines.append("missing")
    if isinstance(mark, str) and mark:
        lines.append(shown(mark))
    return lines


def to_dot(graph: nx.DiGraph[str], *, direction: str = "LR",
           highlight: Mapping[str, str | bool] | None = None) -> str:
    """Graphviz DOT text drawing ``graph`` (nodes and edges in sorted order, so that the same
    graph gives the same text).  ``highlight`` adds highlighted nodes to those whose
    ``highlight`` attribute is set, each with True or a note saying why."""
    if direction not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"direction {direction!r}: one of LR, RL, TB, BT")
    extra = dict(highlight or {})
    lines = ["digraph layout {",
             f"  graph [rankdir={direction}, charset=\"UTF-8\"];",
             '  node [fontname="DejaVu Sans", fontsize=11];',
             '  edge [fontname="DejaVu Sans", fontsize=9];']
    for node in sorted(graph.nodes):
        mark = extra.get(node, graph.nodes[node].get(HIGHLIGHT))
        attrs = [f"label={label_string(node_lines(graph, node, mark))}",
                 _SHAPES.get(node_kind(graph, node), _UNKNOWN_SHAPE)]
        if mark:
            attrs.append(_HIGHLIGHT_NODE)
        lines.append(f"  {node_id(node)} [{', '.join(attrs)}];")
    for a, b in sorted(graph.edges):
        data = graph.edges[a, b]
        kind = edge_kind(graph, a, b)
        attrs = []
        if kind == LINK:
            target = "→ " + shown(str(data.get("target", "")))
            attrs += [f"label={label_string([target])}", _LINK_EDGE]
        elif kind == CONTAINS:
            attrs.append(_CONTAINS_EDGE)
        if data.get(HIGHLIGHT):
            attrs.append(_HIGHLIGHT_EDGE)
        tail = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {node_id(a)} -> {node_id(b)}{tail};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- SVG --------------------------------------------------------------------------------------
def dot_program() -> str:
    """The path of the local `dot`; GraphvizMissing (one line saying how to install it)."""
    found = shutil.which("dot")
    if found is None:
        raise GraphvizMissing(f"drawing SVG needs Graphviz's `dot`, which is not on PATH: "
                              f"install it ({INSTALL_HINT})")
    return found


def render_svg(graph: nx.DiGraph[str], *, direction: str = "LR",
               highlight: Mapping[str, str | bool] | None = None,
               timeout: float = DOT_TIMEOUT) -> str:
    """``graph`` drawn as SVG by the local ``dot -Tsvg`` (no network: the DOT text names no
    image or file for it to load)."""
    return dot_to_svg(to_dot(graph, direction=direction, highlight=highlight), timeout=timeout)


def dot_to_svg(text: str, *, timeout: float = DOT_TIMEOUT) -> str:
    """Run ``dot -Tsvg`` on a DOT text; the SVG document."""
    program = dot_program()
    try:
        done = subprocess.run([program, "-Tsvg"], input=text.encode("utf-8"),
                              capture_output=True, timeout=timeout, cwd="/")
    except subprocess.TimeoutExpired as exc:
        raise GraphvizFailed(f"{program} -Tsvg: no answer in {timeout:g} s") from exc
    except OSError as exc:
        raise GraphvizFailed(f"{program} -Tsvg: cannot run it: {exc.strerror}") from exc
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphvizFailed(f"{program} -Tsvg: exit status {done.returncode}"
                             + (f": {show(why[0])}" if why else ""))
    return done.stdout.decode("utf-8")
