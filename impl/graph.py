"""The part of the layout an answer depended on, as a networkx graph and a Mermaid diagram.

Nodes are paths; ``contains`` edges go from a directory to an entry in it, ``link`` edges from
a symbolic link to what its target names.  The same graph answers alias and cycle questions
(which paths reach the same file, which links loop).
"""

from __future__ import annotations

import networkx as nx


from prefixlab.model.outcome import Outcome
from prefixlab.model.trace import Probe


def layout_graph(probes: tuple[Probe, ...]) -> nx.DiGraph[str]:
    """Every path the model looked at, its ancestors, and every link it followed."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    for probe in probes:
        if not probe.path.startswith("/"):
            continue
        _add_path(graph, probe.path, probe.result)
        for link, target in probe.links:
            _add_path(graph, link, "link")
            graph.nodes[link]["kind"] = "link"
            resolved = target if target.startswith("/") else _join(link, target)
            _add_path(graph, resolved, graph.nodes.get(resolved, {}).get("kind", "?"))
            graph.add_edge(link, resolved, kind="link", target=target)
    return graph


def _join(link: str, target: str) -> str:
    return (link.rpartition("/")[0] or "") + "/" + target


def _add_path(graph: nx.DiGraph[str], path: str, kind: str) -> None:
    """Add ``path`` (and its ancestors, of unknown kind unless something was found below
    them) with what the probe said of it."""
    if path not in graph:
        graph.add_node(path, kind=kind)
    elif graph.nodes[path]["kind"] in ("?", "ENOENT", "ENOTDIR"):
        graph.nodes[path]["kind"] = kind
    parent = path.rpartition("/")[0] or "/"
    if parent != path:
        found_below = kind in ("file", "dir", "link")
        if parent not in graph:
            _add_path(graph, parent, "dir" if found_below else "?")
        elif found_below and graph.nodes[parent]["kind"] == "?":
            graph.nodes[parent]["kind"] = "dir"
        graph.add_edge(parent, path, kind="contains")


def link_cycles(graph: nx.DiGraph[str]) -> list[list[str]]:
    """Cycles made only of link edges."""
    return [list(c) for c in nx.simple_cycles(_links_only(graph))]


def aliases(graph: nx.DiGraph[str], path: str) -> set[str]:
    """Paths whose links lead to ``path``."""
    links = _links_only(graph)
    return set(nx.ancestors(links, path)) if path in links else set()


def _links_only(graph: nx.DiGraph[str]) -> nx.DiGraph[str]:
    links: nx.DiGraph[str] = nx.DiGraph()
    links.add_edges_from((a, b) for a, b, d in graph.edges(data=True) if d["kind"] == "link")
    return links


def mermaid(outcome: Outcome) -> str:
    """A Mermaid flowchart of the layout the answer depended on: every path probed (missing
    ones dashed), the links followed, and the prefixes in bold."""
    graph = layout_graph(outcome.trace.probes)
    ids = {path: f"n{i}" for i, path in enumerate(sorted(graph.nodes))}
    special = {outcome.prefix, outcome.exec_prefix, outcome.base_prefix}
    lines = ["graph LR"]
    for path in sorted(graph.nodes):
        kind = graph.nodes[path].get("kind", "?")
        label = "/" if path == "/" else path.rpartition("/")[2]
        if path != "/":
            label += {"dir": "/", "link": " (link)", "ENOENT": " (missing)",
                      "ENOTDIR": " (missing)", "ELOOP": " (loop)"}.get(kind, "")
        lines.append(f'  {ids[path]}["{_escape(label)}"]')
    for a, b, data in sorted(graph.edges(data=True)):
        arrow = "-.->|link|" if data["kind"] == "link" else "-->"
        lines.append(f"  {ids[a]} {arrow} {ids[b]}")
    for path in sorted(graph.nodes):
        if path in special:
            lines.append(f"  style {ids[path]} stroke-width:3px")
        elif graph.nodes[path].get("kind") in ("ENOENT", "ENOTDIR"):
            lines.append(f"  style {ids[path]} stroke-dasharray:4 4,color:#888")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace('"', "#quot;").encode("utf-8", "backslashreplace").decode("utf-8")
