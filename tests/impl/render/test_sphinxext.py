"""The course site's drawings (impl/render/sphinxext.py) without a browser: which version an
example is drawn for, and how the footprint is folded for the page.

The expected versions come from the behaviour table's rows as notes/format.md states them
(a range is drawn for the first version of its newest row before 3.14); the folding from the
drawing's promise: every path of the footprint is still named, once.
"""

from __future__ import annotations

import re
import shutil

import networkx as nx
import pytest

from conftest import require_oracle

pytest.importorskip("sphinx", reason="the docs extra (make dev) draws the course's layouts")

from prefixlab.impl.render import sphinxext  # noqa: E402
from prefixlab.impl.render.graph import CONTAINS, LINK, MISSING, Mark  # noqa: E402
from prefixlab.model import notes  # noqa: E402


def _example(versions: str) -> notes.Example:
    text = (f'versions = "{versions}"\n[layout]\n"opt/py/bin/python{{X.Y}}" = "binary"\n'
            '"opt/py/lib/python{X.Y}" = "stdlib"\n[run]\n'
            'program = "{ROOT}/opt/py/bin/python{X.Y}"\nargs = ["-S", "-c", "pass"]\n'
            'cwd = "{ROOT}"\n[expect]\nprefix = "{ROOT}/opt/py"\n')
    return notes.read_note("t.md", f"```prefixlab-example\n{text}```\n")[0]


@pytest.mark.parametrize(("versions", "minor"), [
    ("3.8-3.10", (3, 10)), ("3.8", (3, 8)), ("3.8+", (3, 13)), ("3.11-3.12", (3, 12)),
    ("3.14+", (3, 14)), ("3.8-3.9, 3.12", (3, 12)),
])
def test_an_example_is_drawn_for_its_newest_row_before_3_14(
        versions: str, minor: tuple[int, int]) -> None:
    version = sphinxext.drawn_version(_example(versions))
    assert version[:2] == minor
    assert version in _example(versions).versions


def test_the_answer_is_the_expect_table() -> None:
    text = _example("3.8+").text
    assert "[expect]" not in sphinxext.setup_text(text)
    assert sphinxext.answer_text(text) == '[expect]\nprefix = "{ROOT}/opt/py"\n'
    assert sphinxext.setup_text(text) + sphinxext.answer_text(text) == text


def test_folding_names_every_path_once() -> None:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_node("/", kind="dir")
    for parent, child, kind in [("/", "/a", "dir"), ("/a", "/a/b", "dir"),
                                ("/a/b", "/a/b/bin", "dir"), ("/a/b/bin", "/a/b/bin/py", "file"),
                                ("/a/b", "/a/b/lib", "dir"), ("/a/b", "/a/b/link", "link")]:
        graph.add_node(child, kind=kind)
        graph.add_edge(parent, child, kind=CONTAINS)
    graph.add_edge("/a/b/link", "/a/b/bin/py", kind=LINK, target="bin/py")
    for rest in ("x.py", "y.zip", "z/os.py"):
        graph.add_node(f"/a/b/lib/{rest}", kind=MISSING, rest=rest)
        graph.add_edge("/a/b/lib", f"/a/b/lib/{rest}", kind=CONTAINS)
    drawn = sphinxext.course_graph(graph, {"/a/b/bin/py": Mark("sys.executable")})
    missing = [n for n in drawn if drawn.nodes[n].get("kind") == MISSING]
    assert len(missing) == 1
    assert drawn.nodes[missing[0]]["names"] == ["x.py", "y.zip", "z/os.py"]
    assert drawn.nodes["/a/b"]["names"] == ["/a/b"], "/, a and b fold into one node"
    assert "/" not in drawn and "/a" not in drawn
    assert drawn.edges["/a/b/link", "/a/b/bin/py"]["kind"] == LINK
    assert drawn.nodes["/a/b/bin/py"]["names"] == ["bin/py"] and "/a/b/bin" not in drawn
    assert drawn.nodes["/a/b/link"].get("names") is None, "b holds three entries: not folded"


def test_a_drawing_is_an_inline_svg_with_unique_ids() -> None:
    require_oracle(shutil.which("dot") is not None, "drawing needs Graphviz's dot")
    element, caption = sphinxext.layout_svg(_example("3.11+"), "p-")
    assert element.startswith('<svg role="img"') and element.rstrip().endswith("</svg>")
    assert "<?xml" not in element and "<!DOCTYPE" not in element
    assert 'id="p-' in element and ' id="node' not in element
    assert "3.13" in caption and notes.MODEL_ROOT in caption


def test_an_exercise_drawing_tells_nothing_of_the_answer() -> None:
    require_oracle(shutil.which("dot") is not None, "drawing needs Graphviz's dot")
    element, caption = sphinxext.question_svg(_example("3.11+"), "q-")
    answer, _ = sphinxext.layout_svg(_example("3.11+"), "a-")
    for told in ("sys.prefix", "landmark found", svg_highlight()):
        assert told in answer and told not in element
    assert "as its block writes it" in caption


def svg_highlight() -> str:
    """The colour of a highlighted node (impl/render/svg.py)."""
    from prefixlab.impl.render import svg

    found = re.search(r'color="(#[0-9a-f]+)"', svg._HIGHLIGHT_NODE)
    assert found
    return found.group(1)
