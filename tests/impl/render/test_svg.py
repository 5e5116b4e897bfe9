"""svg: the layout graph as DOT text (our own writer) and as SVG drawn by Graphviz's `dot`.

The quoting is checked two ways: against a small scanner written here from Graphviz's rules
for a quoted string (lib/cgraph/scan.l: ``\\"`` is a quote, ``\\\\`` stays two characters, a
backslash before a newline is dropped), and against `dot` itself: ``dot -Tjson`` gives each
node's name and the lines it actually draws (the text operations of ``_ldraw_``, after the
escString and entity decoding), which must be the names as text output shows them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import require_oracle
from prefixlab.impl.render import graph as layout_graph
from prefixlab.impl.render import svg
from prefixlab.model.errors import BadInput
from prefixlab.model.world.fs import Layout

SVG_NS = "{http://www.w3.org/2000/svg}"
ODD = ["with space", 'say "hi"', "back\\slash", "new\nline", "é ü 日本", "a&amp;b", "<tag>",
       "trail\\", "x\udcffy", "tab\there", "\\\"", "noncharacter\uffff"]
"""Names a drawing must keep: spaces, quotes, backslashes (one before a quote, one at the
end), a newline, non-ASCII, an entity, markup, an undecodable byte, a control character."""


def needs_dot() -> str:
    found = shutil.which("dot")
    require_oracle(found is not None, "Graphviz's `dot` is not installed (apt-get install "
                   "graphviz)")
    assert found is not None
    return found


def scan_dot_string(text: str) -> tuple[str, str]:
    """Read one quoted DOT string at the start of ``text`` as Graphviz's scanner does; the
    value and the rest of the text."""
    assert text[0] == '"', text
    out: list[str] = []
    i = 1
    while True:
        char = text[i]
        if char == '"':
            return "".join(out), text[i + 1:]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in '"\\\n':
            nxt = text[i + 1]
            out.append({'"': '"', "\\": "\\\\", "\n": ""}[nxt])
            i += 2
            continue
        out.append(char)
        i += 1


names = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
"""Any text, lone surrogates (undecodable bytes) and controls included."""


@given(names)
def test_a_dot_string_of_shown_text_reads_back_exactly(name: str) -> None:
    value = svg.shown(name)
    quoted = svg.dot_string(value)
    assert scan_dot_string(quoted + " rest") == (value, " rest")


@given(st.text(st.sampled_from('ab"\\\n é'), max_size=10))
def test_a_dot_string_reads_back_or_is_refused(value: str) -> None:
    try:
        quoted = svg.dot_string(value)
    except ValueError:
        # Refused only when the scanner could not give it back: an odd run of backslashes
        # before a quote, a newline or the end.
        stripped = value.rstrip("\\")
        run = len(value) - len(stripped)
        assert run % 2 == 1 or any(
            (len(part) - len(part.rstrip("\\"))) % 2 == 1
            for sep in '"\n' for part in value.split(sep)[:-1])
        return
    assert scan_dot_string(quoted) == (value, "")


@given(names)
def test_shown_text_is_one_line_of_xml_characters(name: str) -> None:
    value = svg.shown(name)
    assert "\n" not in value
    assert all(ch in "\t\n\r" or 0x20 <= ord(ch) < 0xD800 or 0xE000 <= ord(ch) < 0xFFFE
               or ord(ch) >= 0x10000 for ch in value)
    value.encode("utf-8")  # no lone surrogate left


def dot_json(text: str) -> dict[str, Any]:
    done = subprocess.run([needs_dot(), "-Tjson"], input=text.encode("utf-8"),
                          capture_output=True, timeout=60, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def drawn_text(obj: dict[str, Any]) -> list[str]:
    return [op["text"] for op in obj.get("_ldraw_", []) if op["op"] == "T"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(st.characters(codec=None, exclude_categories=(),
                                      exclude_characters="/\0"), min_size=1, max_size=8)
                .filter(lambda s: s not in (".", "..")), min_size=1, max_size=5, unique=True),
       st.text(max_size=6))
def test_dot_draws_every_name_as_shown(components: list[str], target: str) -> None:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_node("/", kind="dir")
    for name in components:
        graph.add_node("/" + name, kind="file")
        graph.add_edge("/", "/" + name, kind="contains")
    link = "/" + components[0]
    graph.nodes[link].update(kind="link", target=target, highlight=target or True)
    if len(components) > 1:
        graph.add_edge(link, "/" + components[1], kind="link", target=target)
    out = dot_json(svg.to_dot(graph))
    objects = {obj["name"]: obj for obj in out["objects"]}
    want = {svg.shown(node).replace("&", "&amp;"): node for node in graph.nodes}
    assert set(objects) == set(want)
    for name, node in want.items():
        assert drawn_text(objects[name]) == svg.node_lines(graph, node)
        assert drawn_text(objects[name])[0] == svg.shown(node.rpartition("/")[2] or "/")
    for edge in out.get("edges", []):
        tail = want[out["objects"][edge["tail"]]["name"]]
        head = want[out["objects"][edge["head"]]["name"]]
        kind = graph.edges[tail, head]["kind"]
        assert drawn_text(edge) == (["→ " + svg.shown(target)] if kind == "link" else [])
        assert (edge.get("style") == "dashed") == (kind == "link")


def symlinked_layout() -> Layout:
    layout = (Layout()
              .with_file("/opt/py/bin/python3.12", b"", 0o755)
              .with_link("/opt/py/bin/python3", "python3.12")
              .with_file("/opt/py/lib/python3.12/os.py", b"")
              .with_link("/venv/bin/python", "/opt/py/bin/python3")
              .with_link("/venv/lib", "../opt/py/lib")
              .with_file("/venv/pyvenv.cfg", b"home = /opt/py/bin\n"))
    for name in ODD:
        layout = layout.with_file(f"/odd/{name}", b"")
    return layout.with_link("/odd/link \"to\" é", "../venv/bin/python\\ \n")


def svg_of(text: str) -> ET.Element:
    return ET.fromstring(text)


def test_svg_of_a_symlinked_layout_names_every_node() -> None:
    needs_dot()
    graph = layout_graph.layout_graph(symlinked_layout(), [
        "/venv/bin/python", "/venv/lib/python3.12/os.py", "/venv/pyvenv.cfg",
        "/venv/lib/python3.12/missing.py", "/odd/link \"to\" é", *(f"/odd/{n}" for n in ODD)])
    graph.nodes["/venv/pyvenv.cfg"]["highlight"] = "decoy"
    root = svg_of(svg.render_svg(graph))
    groups = {g.findtext(f"{SVG_NS}title"): g for g in root.iter(f"{SVG_NS}g")
              if g.get("class") in ("node", "edge")}
    nodes = {title: g for title, g in groups.items() if g.get("class") == "node"}
    # Every node is drawn, titled by its full path as shown and labelled by its name.
    assert set(nodes) == {svg.shown(node) for node in graph.nodes}
    for node in graph.nodes:
        texts = [t.text for t in nodes[svg.shown(node)].iter(f"{SVG_NS}text")]
        assert texts == svg.node_lines(graph, node)
    for name in ODD:
        assert svg.shown(name) in [t.text for t in nodes[svg.shown(f"/odd/{name}")]
                                   .iter(f"{SVG_NS}text")]
    assert [t.text for t in nodes["/opt/py/lib/python3.12/missing.py"].iter(f"{SVG_NS}text")] \
        == ["missing.py", "missing"]
    # Link edges: dashed, labelled by the link's text as readlink returns it (shown).
    link_edges = [g for g in groups.values() if g.get("class") == "edge"
                  and any(p.get("stroke-dasharray") for p in g.iter(f"{SVG_NS}path"))]
    labels = sorted(t.text or "" for g in link_edges for t in g.iter(f"{SVG_NS}text"))
    assert labels == sorted("→ " + svg.shown(target) for target in [
        "python3.12", "/opt/py/bin/python3", "../opt/py/lib", "../venv/bin/python\\ \n"])
    # The highlighted node is drawn in the highlight colour, with its note.
    decoy = nodes["/venv/pyvenv.cfg"]
    assert [t.text for t in decoy.iter(f"{SVG_NS}text")] == ["pyvenv.cfg", "decoy"]
    assert any(p.get("stroke") == "#c92a2a" for p in decoy.iter(f"{SVG_NS}polygon"))
    plain = nodes["/opt/py/lib/python3.12/os.py"]
    assert not any(p.get("stroke") == "#c92a2a" for p in plain.iter(f"{SVG_NS}polygon"))


def test_node_kinds_are_drawn_distinctly() -> None:
    layout = Layout().with_file("/d/f", b"").with_link("/d/l", "f")
    graph = layout_graph.layout_graph(layout, ["/d/l", "/d/gone"])
    text = svg.to_dot(graph)
    shapes = {}
    for line in text.splitlines():
        if "->" not in line and "shape=" in line:
            name, _ = scan_dot_string(line.strip())
            shapes[name] = line.split("shape=")[1].split(",")[0]
    assert shapes == {"/": "folder", "/d": "folder", "/d/f": "note", "/d/l": "cds",
                      "/d/gone": "box"}
    assert '"/d/gone" [label="gone\\nmissing", shape=box, style=dashed' in text


def test_highlight_argument_marks_nodes_without_attributes() -> None:
    graph = layout_graph.graph_of_layout(Layout().with_file("/a/b", b""))
    text = svg.to_dot(graph, highlight={"/a/b": "failing path", "/a": True})
    assert '"/a/b" [label="b\\nfailing path"' in text
    assert sum("#c92a2a" in line for line in text.splitlines()) == 2


def test_a_missing_dot_is_one_line_saying_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    graph = layout_graph.graph_of_layout(Layout().with_file("/a", b""))
    with pytest.raises(BadInput) as caught:
        svg.render_svg(graph)
    assert isinstance(caught.value, svg.GraphvizMissing)
    message = str(caught.value)
    assert "\n" not in message and "apt-get install graphviz" in message


def test_dot_failure_is_reported() -> None:
    needs_dot()
    with pytest.raises(svg.GraphvizFailed, match="exit status"):
        svg.dot_to_svg("digraph { a -> }")
