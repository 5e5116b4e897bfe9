"""The course site's Sphinx extension (docs/conf.py): examples as boxes, with their layout drawn.

A ```` ```prefixlab-example ```` block of a note (TOML: ``versions``, ``[layout]``, ``[run]``,
``[expect]``; notes/README.md) becomes a box holding the example's text and, under it, the
layout graph of its answer, the graph ``prefixlab explain --graph`` draws
(impl/render/footprint.py, impl/render/graph.py), drawn as inline SVG by Graphviz's ``dot``
(impl/render/svg.py) when the site is built: the page needs no script and no network to show
it.  An *exercise* (a block with an ``exercise`` key) shows its layout and run, and keeps its
answer (``[expect]`` and the ``answer`` text) in a ``<details>`` element that opens on a click.

The drawing is the model's prediction for the example, bound at ``ROOT = /ex`` for one
CPython version the example applies to (the newest of 3.8 to 3.13 in its range; a layout's
``binary`` is an interpreter of that version built with ``PREFIX = /usr/local``, whose
standard library is present there, as the real interpreter's is when the tests run the
example).  The model, not a real interpreter, answers: the build stays the same on every
machine, and tests/test_notes.py checks that model and interpreters agree on each example.

``{prefixlab-layout} NOTE#N`` draws the layout of example N (from 0) of notes/NOTE.md again
elsewhere, without its box.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import networkx as nx
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.writers.html5 import HTML5Translator

from prefixlab.impl.render import footprint, svg
from prefixlab.impl.render.graph import CONTAINS, LINK, MISSING, Mark, edge_kind, node_kind
from prefixlab.model.outcome import Outcome
from prefixlab.model.startup.predict import predict
from prefixlab.model.strategies.startup import BINARY_DATA, stdlib_skeleton
from prefixlab.model.world import World
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.fs import Dir, File, Layout, Node, Symlink
from prefixlab.model.world.invocation import Invocation

ROOT = "/ex"
"""Where a drawn example is laid out ({ROOT})."""
PREFIX = "/usr/local"
"""The drawn interpreter's compiled-in prefix ({PREFIX})."""
DRAWN_MINORS = tuple((3, minor) for minor in range(8, 15))
"""The versions a drawing may be made for; the newest in the example's range below 3.14 is
taken (3.14's row is modelled from source, not run here), 3.14 only when nothing else fits."""

BLOCK = re.compile(r"^```prefixlab-example\n(.*?)^```", re.S | re.M)
"""A note's example blocks, as tests/test_notes.py finds them."""


class ExampleError(ValueError):
    """An example block that cannot be read or drawn (the build reports it where it is)."""


# -- the example --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    """One prefixlab-example block, as written."""

    text: str
    data: Mapping[str, Any]

    @classmethod
    def parse(cls, text: str) -> Example:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ExampleError(f"not TOML: {exc}") from exc
        for table in ("layout", "run"):
            if not isinstance(data.get(table), dict):
                raise ExampleError(f"no [{table}] table")
        if not isinstance(data.get("versions"), str):
            raise ExampleError('no versions = "..." line')
        return cls(text, data)

    @property
    def versions(self) -> str:
        return str(self.data["versions"])

    @property
    def is_exercise(self) -> bool:
        return bool(self.data.get("exercise"))

    def drawable(self) -> list[tuple[int, int, int]]:
        """For each of DRAWN_MINORS the example applies to, its first version in the ranges
        ("3.8+", "3.8-3.10", "3.12", "3.12.4+", "3.8-3.10, 3.11.1-3.12.3")."""
        ranges = []
        for part in self.versions.split(","):
            low, dash, high = part.strip().partition("-")
            try:
                if low.endswith("+"):
                    ranges.append((_version(low[:-1], 0), (3, 99, 99)))
                else:
                    ranges.append((_version(low, 0), _version(high if dash else low, 99)))
            except ValueError as exc:
                raise ExampleError(f"versions = {self.versions!r}: not a range") from exc
        found = []
        for major, minor in DRAWN_MINORS:
            firsts = [max(start, (major, minor, 0)) for start, end in ranges
                      if max(start, (major, minor, 0)) <= end]
            firsts = [v for v in firsts if v[:2] == (major, minor)]
            if firsts:
                found.append(min(firsts))
        return found

    def drawn_version(self) -> tuple[int, int, int]:
        """The version a drawing is made for: the newest minor below 3.14 in the range."""
        versions = self.drawable()
        if not versions:
            raise ExampleError(f"versions = {self.versions!r}: no version 3.8 to 3.14 in it")
        below = [v for v in versions if v < (3, 14, 0)]
        return (below or versions)[-1]

    def setup_text(self) -> str:
        """The block's text before ``[expect]`` (what an exercise shows before its answer)."""
        head, _, _ = self.text.partition("\n[expect]")
        return head.rstrip("\n") + "\n"

    def answer_text(self) -> str:
        """``[expect]`` to the end: the answer."""
        _, mark, tail = self.text.partition("\n[expect]")
        return (mark.lstrip("\n") + tail).rstrip("\n") + "\n" if mark else ""


def _version(text: str, patch: int) -> tuple[int, int, int]:
    """"3.12" (``patch`` standing for the missing part) or "3.12.4" as a version tuple."""
    parts = [int(part) for part in text.strip().split(".")]
    if len(parts) == 2:
        parts.append(patch)
    if len(parts) != 3:
        raise ValueError(text)
    return parts[0], parts[1], parts[2]


def _bind(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for key, text in names.items():
            value = value.replace(key, text)
        return value
    if isinstance(value, list):
        return [_bind(item, names) for item in value]
    if isinstance(value, dict):
        return {_bind(k, names): _bind(v, names) for k, v in value.items()}
    return value


def predicted(example: Example) -> tuple[Outcome, Layout, tuple[int, int, int]]:
    """The model's answer for ``example`` bound at ROOT, the layout it read, and the version."""
    version = example.drawn_version()
    major, minor = version[:2]
    names = {"{X.Y}": f"{major}.{minor}", "{XY}": f"{major}{minor}", "{ROOT}": ROOT,
             "{PREFIX}": PREFIX}
    data = _bind(dict(example.data), names)
    nodes_: dict[str, Node] = dict(stdlib_skeleton(f"{PREFIX}/lib/python{major}.{minor}"))
    binaries = []
    for relative, value in data["layout"].items():
        path = f"{ROOT}/{relative}"
        if value == "binary":
            nodes_[path] = File(BINARY_DATA, 0o755)
            binaries.append(path)
        elif value == "stdlib":
            nodes_.update(stdlib_skeleton(path))
        elif isinstance(value, str) and value.startswith("-> "):
            nodes_[path] = Symlink(value[3:])
        elif isinstance(value, str) and value.startswith("text:"):
            nodes_[path] = File(value[5:].encode("utf-8"))
        elif value == "dir":
            nodes_[path] = Dir()
        else:
            raise ExampleError(f"layout value {value!r} for {relative!r}: not one of binary, "
                               f"stdlib, dir, '-> TARGET', 'text:CONTENT'")
    run = data["run"]
    try:
        invocation = Invocation.make(run["program"], run.get("args", []),
                                     argv0=run.get("argv0"), env=run.get("env", {}),
                                     cwd=run.get("cwd", ROOT))
    except KeyError as exc:
        raise ExampleError(f"[run] has no {exc.args[0]}") from exc
    layout = Layout(nodes_)
    build = BuildConstants(version=version, prefix=PREFIX, exec_prefix=PREFIX)
    outcome = predict(World(layout, {path: build for path in binaries}), invocation)
    return outcome, layout, version


# -- the drawing --------------------------------------------------------------------------------
def course_graph(graph: nx.DiGraph[str], marks: Mapping[str, Mark]) -> nx.DiGraph[str]:
    """The footprint as the course draws it: the missing paths tested in one directory (and
    neither marked nor a link's target) folded into one node that lists them."""
    drawn: nx.DiGraph[str] = graph.copy()
    groups: dict[str, list[str]] = {}
    for node in sorted(graph.nodes):
        if node_kind(graph, node) != MISSING or node in marks:
            continue
        if any(edge_kind(graph, a, node) == LINK for a in graph.predecessors(node)):
            continue
        parents = [a for a in graph.predecessors(node) if edge_kind(graph, a, node) == CONTAINS]
        if parents:
            groups.setdefault(parents[0], []).append(node)
    for parent, members in groups.items():
        if len(members) < 2:
            continue
        names = [str(graph.nodes[m].get("rest", m.rpartition("/")[2])) for m in members]
        drawn.remove_nodes_from(members)
        group = f"{parent.rstrip('/')}/ (missing: {len(members)} paths tested)"
        drawn.add_node(group, kind=MISSING, names=names)
        drawn.add_edge(parent, group, kind=CONTAINS)
    _fold_chains(drawn, marks)
    return drawn


def _fold_chains(graph: nx.DiGraph[str], marks: Mapping[str, Mark]) -> None:
    """Fold each directory that holds only one drawn entry, and means nothing of its own (no
    mark, no link to or from it), into that entry: ``/`` and ``ex`` and ``opt`` become one
    node ``/ex/opt``, as the Mermaid drawing does."""
    def label(node: str) -> str:
        names = graph.nodes[node].get("names")
        if names and len(names) == 1:
            return str(names[0])
        return node if node == "/" else node.rstrip("/").rpartition("/")[2]

    changed = True
    while changed:
        changed = False
        for node in sorted(graph.nodes):
            if node_kind(graph, node) != "dir" or node in marks:
                continue
            if any(edge_kind(graph, node, b) != CONTAINS for b in graph.successors(node)):
                continue
            ins = list(graph.predecessors(node))
            if any(edge_kind(graph, a, node) != CONTAINS for a in ins):
                continue
            children = list(graph.successors(node))
            if len(children) != 1 or len(graph.nodes[children[0]].get("names", ())) > 1:
                continue
            child = children[0]
            joined = label(node).rstrip("/") + "/" + label(child)
            graph.nodes[child]["names"] = [joined]
            for parent in ins:
                graph.add_edge(parent, child, **graph.edges[parent, node])
            graph.remove_node(node)
            changed = True
            break


def layout_svg(example: Example, prefix: str) -> tuple[str, str]:
    """The example's layout graph as an inline ``<svg>`` element (its ids prefixed with
    ``prefix``, unique on the page), and a caption saying what it was drawn for."""
    outcome, layout, version = predicted(example)
    graph, marks = footprint.footprint(outcome, layout)
    drawn = course_graph(graph, marks)
    document = svg.render_svg(drawn, direction="TB",
                              highlight={node: mark.text for node, mark in marks.items()})
    start = document.find("<svg")
    if start < 0:
        raise ExampleError("dot wrote no <svg> element")
    element = re.sub(r'\bid="', f'id="{prefix}', document[start:])
    element = re.sub(r'(xlink:href|href)="#', rf'\1="#{prefix}', element)
    element = re.sub(r"<!--.*?-->\n?", "", element, flags=re.S)
    caption = (f"The layout the answer depended on, as the model predicts it for CPython "
               f"{'.'.join(map(str, version))} with ROOT = {ROOT}; in red, what each part "
               f"became (status: {outcome.status}).")
    return element, caption


# -- docutils nodes -----------------------------------------------------------------------------
class details(nodes.General, nodes.Element):
    """A ``<details>`` element: closed until the reader opens it."""


class summary(nodes.General, nodes.TextElement):
    """The ``<summary>`` of a :class:`details`: the part that is clicked."""


def _visit_details(self: HTML5Translator, node: details) -> None:
    self.body.append(self.starttag(node, "details", CLASS="prefixlab-answer"))


def _depart_details(self: HTML5Translator, node: details) -> None:
    self.body.append("</details>\n")


def _visit_summary(self: HTML5Translator, node: summary) -> None:
    self.body.append(self.starttag(node, "summary", ""))


def _depart_summary(self: HTML5Translator, node: summary) -> None:
    self.body.append("</summary>\n")


def _figure(element: str, caption: str) -> nodes.raw:
    markup = (f'<figure class="prefixlab-layout">\n{element}\n'
              f"<figcaption>{html.escape(caption)}</figcaption>\n</figure>\n")
    return nodes.raw("", markup, format="html")


def _code(text: str) -> nodes.literal_block:
    block = nodes.literal_block(text, text)
    block["language"] = "toml"
    return block


# -- directives ---------------------------------------------------------------------------------
class ExampleDirective(SphinxDirective):
    """```` ```prefixlab-example ```` (MyST's ``myst_fence_as_directive``): the box."""

    has_content = True
    counter: ClassVar[str] = "prefixlab_examples"
    """The number of examples read so far in the document (temp_data: cleared after each)."""

    def run(self) -> list[nodes.Node]:
        text = "\n".join(self.content) + "\n"
        try:
            example = Example.parse(text)
        except ExampleError as exc:
            raise self.error(f"prefixlab-example: {exc}") from exc
        index = self._next_index()
        kind = "Exercise" if example.is_exercise else "Example"
        box = nodes.container(classes=["prefixlab-example",
                                       "prefixlab-exercise" if example.is_exercise else "plain"])
        box["ids"].append(f"example-{index}")
        title = nodes.paragraph(classes=["prefixlab-example-title"])
        title += nodes.strong(text=f"{kind} {index + 1}")
        title += nodes.Text(f" · CPython {example.versions}")
        box += title
        question = example.data.get("question")
        if isinstance(question, str) and question:
            box += nodes.paragraph(text=question, classes=["prefixlab-question"])
        try:
            element, caption = layout_svg(example, f"{self.env.docname}-{index}-".replace("/", "-"))
        except (ExampleError, svg.GraphvizMissing, svg.GraphvizFailed) as exc:
            raise self.error(f"prefixlab-example {index}: cannot draw it: {exc}") from exc
        if example.is_exercise:
            box += _code(example.setup_text())
            box += _figure(element, caption)
            answer = details()
            answer += summary(text="Show the answer")
            explanation = example.data.get("answer")
            if isinstance(explanation, str) and explanation:
                answer += nodes.paragraph(text=explanation)
            if example.answer_text():
                answer += _code(example.answer_text())
            box += answer
        else:
            box += _code(example.text)
            box += _figure(element, caption)
        return [box]

    def _next_index(self) -> int:
        value = self.env.temp_data.get(self.counter)
        index = value if isinstance(value, int) else 0
        self.env.temp_data[self.counter] = index + 1
        return index


class LayoutDirective(SphinxDirective):
    """``{prefixlab-layout} NOTE#N``: the layout of example N of notes/NOTE.md, drawn here."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        note, _, number = self.arguments[0].partition("#")
        path = Path(self.env.srcdir) / f"{note.removesuffix('.md')}.md"
        try:
            text = path.read_text(encoding="utf-8")
            example = Example.parse(list(_blocks(text))[int(number)])
            element, caption = layout_svg(example, f"{note}-{number}-layout-".replace("/", "-"))
        except (OSError, ValueError, IndexError, svg.GraphvizMissing,
                svg.GraphvizFailed) as exc:
            raise self.error(f"prefixlab-layout {self.arguments[0]}: {exc}") from exc
        self.env.note_dependency(str(path))
        return [_figure(element, caption)]


def _blocks(text: str) -> Iterator[str]:
    for match in BLOCK.finditer(text):
        yield match.group(1)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(details, html=(_visit_details, _depart_details))
    app.add_node(summary, html=(_visit_summary, _depart_summary))
    app.add_directive("prefixlab-example", ExampleDirective)
    app.add_directive("prefixlab-layout", LayoutDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
