"""The course site's Sphinx extension (docs/conf.py): examples as boxes, with their layout drawn.

A ```` ```prefixlab-example ```` block of a note (the format: prefixlab.model.notes) becomes a
box holding the example's text and, under it, the layout graph of its answer, the graph
``prefixlab explain --graph`` draws (impl/render/footprint.py, impl/render/graph.py), drawn
as inline SVG by Graphviz's ``dot`` (impl/render/svg.py) when the site is built: the page
needs no script and no network to show it.  An *exercise* (a ``prefixlab-exercise`` block,
or one with ``exercise = true``) shows its layout and run, with a drawing of the layout as
written, and keeps its answer, the ``[expect]`` table and the drawing of the answer, in a
``<details>`` element that opens on a click.

The drawing is the model's answer for the example in the model's world of values
(prefixlab.model.notes: ROOT ``/home/reader/example``, an interpreter built for
``/usr/local`` whose standard library is there, the build steps done as the model plans
them), for the first version of the newest behaviour-table row below 3.14 the example applies
to (3.14's rows are modelled from source, not run here; a 3.14-only example is drawn as
3.14).  It is the same on every machine; tests/test_notes.py checks that the model and the
real interpreters agree with each example.

``{prefixlab-layout} NOTE#N`` draws the layout of example N (from 0) of notes/NOTE.md again
elsewhere, without its box.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import networkx as nx
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.writers.html5 import HTML5Translator

from prefixlab.impl.checks.notes import find
from prefixlab.impl.render import footprint, svg
from prefixlab.impl.render.graph import (CONTAINS, LINK, MISSING, Mark, edge_kind,
                                         graph_of_layout, node_kind)
from prefixlab.model import notes
from prefixlab.model.errors import PrefixlabError
from prefixlab.model.outcome import Outcome
from prefixlab.model.startup.predict import predict
from prefixlab.model.world.build import Version
from prefixlab.model.world.fs import FsView

NEWEST_RUN = (3, 14, 0)
"""Rows from here on are modelled from source alone (no such interpreter runs here): an
example is drawn for one of them only when it applies to no earlier row."""


# -- the example ----------------------------------------------------------------------------------
def drawn_version(example: notes.Example) -> Version:
    """The version an example is drawn for: the first version of the newest row before
    3.14 that it applies to (of the newest row, when it applies to 3.14 on only)."""
    firsts = [version for _, version in notes.rows(example.versions)]
    if not firsts:
        raise notes.ExampleError(f"{example.where()}: versions {example.versions.text!r} "
                                 "reach no row of the behaviour table")
    run_here = [v for v in firsts if v < NEWEST_RUN]
    return (run_here or firsts)[-1]


def predicted(example: notes.Example) -> tuple[Outcome, FsView, Version]:
    """The model's answer for ``example`` in the model's world, the filesystem it read, and
    the version it was predicted as."""
    version = drawn_version(example)
    case = notes.bound(example, root=notes.MODEL_ROOT, version=version,
                       prefix=notes.MODEL_PREFIX)
    world = notes.with_builds(notes.model_world(case, version), case)
    return predict(world, case.invocation), world.fs, version


def setup_text(text: str) -> str:
    """A block's text before ``[expect]``: what an exercise shows before its answer."""
    head, _, _ = text.partition("\n[expect]")
    return head.rstrip("\n") + "\n"


def answer_text(text: str) -> str:
    """A block's ``[expect]`` table to the end: an exercise's answer."""
    _, mark, tail = text.partition("\n[expect]")
    return (mark.lstrip("\n") + tail).rstrip("\n") + "\n" if mark else ""


# -- the drawing --------------------------------------------------------------------------------
def course_graph(graph: nx.DiGraph[str], marks: Mapping[str, Mark]) -> nx.DiGraph[str]:
    """The footprint as the course draws it: the missing paths tested in one directory (and
    neither marked nor a link's target) folded into one node that lists them, and chains of
    directories that mean nothing of their own folded into one node (:func:`_fold_chains`).
    Every path of ``graph`` is still named in the drawing, once."""
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
        data = graph.nodes[node]
        if data.get("names") and len(data["names"]) == 1:
            return str(data["names"][0])
        if "rest" in data:
            return str(data["rest"])
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


def layout_svg(example: notes.Example, prefix: str) -> tuple[str, str]:
    """The layout graph of the example's answer (its footprint, what each part became
    highlighted) as an inline ``<svg>`` element, its ids prefixed with ``prefix`` (unique on
    the page), and a caption saying what it was drawn for."""
    outcome, fs, version = predicted(example)
    graph, marks = footprint.footprint(outcome, fs)
    element = _inline(svg.render_svg(course_graph(graph, marks), direction="TB",
                                     highlight={node: m.text for node, m in marks.items()}),
                      prefix, f"The layout {example.name}'s answer depended on")
    caption = (f"The layout the answer depended on, as the model predicts it for CPython "
               f"{'.'.join(map(str, version))} with ROOT = {notes.MODEL_ROOT}; in red, what "
               f"each part became (status: {outcome.status}).")
    return element, caption


def question_svg(example: notes.Example, prefix: str) -> tuple[str, str]:
    """An exercise's layout as its block writes it, nothing of the answer in it (no
    prediction, no highlight): an inline ``<svg>`` and its caption."""
    case = notes.bound(example, root=notes.MODEL_ROOT, version=drawn_version(example),
                       prefix=notes.MODEL_PREFIX)
    element = _inline(svg.render_svg(course_graph(graph_of_layout(case.layout), {}),
                                     direction="TB"),
                      prefix, f"The layout of {example.name}")
    caption = (f"The exercise's layout as its block writes it, before any build step or run "
               f"(ROOT = {notes.MODEL_ROOT}).")
    return element, caption


def _inline(document: str, prefix: str, label: str) -> str:
    """dot's SVG document as an element for an HTML page: no XML prolog or comments, ids
    prefixed, labelled for assistive technology."""
    start = document.find("<svg")
    if start < 0:
        raise ValueError("dot wrote no <svg> element")
    element = re.sub(r'\bid="', f'id="{prefix}', document[start:])
    element = re.sub(r'(xlink:href|href)="#', rf'\1="#{prefix}', element)
    element = re.sub(r"<!--.*?-->\n?", "", element, flags=re.S)
    return element.replace("<svg", f'<svg role="img" aria-label="{html.escape(label)}"', 1)


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
        index = self._next_index()
        example = self._example(index)
        kind = "Exercise" if example.exercise else "Example"
        box = nodes.container(classes=["prefixlab-example",
                                       "prefixlab-exercise" if example.exercise else "plain"])
        box["ids"].append(f"example-{index}")
        title = nodes.paragraph(classes=["prefixlab-example-title"])
        title += nodes.strong(text=f"{kind} {index + 1}")
        title += nodes.Text(f" · CPython {example.versions.text}")
        box += title
        prefix = f"{self.env.docname}-{index}-".replace("/", "-")
        try:
            element, caption = layout_svg(example, prefix)
            if example.exercise:
                question = question_svg(example, prefix + "q-")
        except (PrefixlabError, ValueError) as exc:
            raise self.error(f"{example.where()}: cannot draw it: {exc}") from exc
        if example.exercise:
            # The answer's drawing highlights what each part became: it is part of the answer.
            box += _code(setup_text(example.text))
            box += _figure(*question)
            answer = details()
            answer += summary(text="Show the answer")
            answer += _code(answer_text(example.text))
            answer += _figure(element, caption)
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

    def _example(self, index: int) -> notes.Example:
        """This block, read by prefixlab.model.notes from the whole note (so that its name and
        line are the note's)."""
        path = Path(self.env.doc2path(self.env.docname))
        text = "\n".join(self.content) + "\n"
        try:
            found = notes.read_note(path.name, path.read_text(encoding="utf-8"))
        except (OSError, PrefixlabError) as exc:
            raise self.error(str(exc)) from exc
        if index >= len(found) or found[index].text.strip() != text.strip():
            raise self.error(f"{path.name}: example block {index} of the page is not block "
                             f"{index} as prefixlab.model.notes reads the note (a block inside "
                             "another fence?)")
        return found[index]


class ExerciseDirective(ExampleDirective):
    """```` ```prefixlab-exercise ````: an example whose answer is hidden until clicked (the
    exercise flag comes from the block's fence, read by prefixlab.model.notes)."""


class LayoutDirective(SphinxDirective):
    """``{prefixlab-layout} NOTE#N``: the layout of example N of notes/NOTE.md, drawn here."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        ref = self.arguments[0]
        try:
            example = find(ref, Path(self.env.srcdir))
            element, caption = layout_svg(example, re.sub(r"[^\w-]", "-", ref) + "-")
        except (PrefixlabError, ValueError) as exc:
            raise self.error(f"prefixlab-layout {ref}: {exc}") from exc
        self.env.note_dependency(str(Path(self.env.srcdir) / example.note))
        return [_figure(element, caption)]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(details, html=(_visit_details, _depart_details))
    app.add_node(summary, html=(_visit_summary, _depart_summary))
    app.add_directive("prefixlab-example", ExampleDirective)
    app.add_directive("prefixlab-exercise", ExerciseDirective)
    app.add_directive("prefixlab-layout", LayoutDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
