"""An answer's footprint on the layout, drawn for ``explain --graph``: the program and the
links followed to the binary, every path probed (missing ones dashed), the landmarks found
and the directories that became the prefixes (impl/render/graph.py draws it as Mermaid)."""

from __future__ import annotations

import networkx as nx

from prefixlab.impl.render import graph as layout
from prefixlab.impl.render.lookup import exec_path, physical_cwd
from prefixlab.model.outcome import FIELDS, Outcome
from prefixlab.model.world import kernel
from prefixlab.model.world.fs import FsView


def mermaid(outcome: Outcome, fs: FsView) -> str:
    """The part of the layout the answer depended on, as Mermaid."""
    graph, marks = footprint(outcome, fs)
    return layout.to_mermaid(graph, marks)


def footprint(outcome: Outcome, fs: FsView) -> tuple[nx.DiGraph[str], dict[str, layout.Mark]]:
    """The part of the layout the answer depended on, as a graph (impl/render/graph.py), and
    what each node that matters means to the answer (the course's SVG drawings use both)."""
    cwd = physical_cwd(fs, outcome.invocation.cwd)
    paths = [outcome.invocation.program] if "/" in outcome.invocation.program else []
    used, _ = exec_path(fs, outcome.invocation)
    if used and used not in paths:
        paths.append(used)
    paths += [p.path for p in outcome.trace.probes if p.path]
    for name in FIELDS:
        value = getattr(outcome, name)
        if value:
            paths.append(value)
    return layout.layout_graph(fs, paths, cwd), _marks(outcome, fs, cwd)


_ROLES = {"prefix": "sys.prefix", "exec_prefix": "sys.exec_prefix",
          "base_prefix": "sys.base_prefix", "executable": "sys.executable",
          "base_executable": "sys._base_executable"}


def _marks(outcome: Outcome, fs: FsView, cwd: str) -> dict[str, layout.Mark]:
    resolver = kernel.Resolver(fs, cwd)

    def physical(path: str, follow: bool = True) -> str | None:
        return resolver.lookup(path, follow=follow).path

    roles: dict[str, list[str]] = {}
    styles: dict[str, str] = {}
    program = physical(outcome.invocation.program, follow=False) \
        if "/" in outcome.invocation.program else None
    if program:
        roles.setdefault(program, []).append("program run")
    for probe in outcome.trace.probes:
        if probe.helper in ("isfile", "isdir") and probe.result in ("file", "dir"):
            where = physical(probe.path)
            if where:
                stdlib_check = "/encodings/__init__.py" in probe.path
                roles.setdefault(where, []).append(
                    "found: the stdlib is importable" if stdlib_check else "landmark found")
                styles[where] = "found"
        elif probe.helper == "readlines" and probe.result.endswith("lines"):
            where = physical(probe.path)
            if where:
                roles.setdefault(where, []).append("read")
                styles[where] = "found"
    for name, label in _ROLES.items():
        value = getattr(outcome, name)
        where = physical(value, follow=name not in ("executable", "base_executable")) \
            if value else None
        if where and label not in roles.get(where, []):
            roles.setdefault(where, []).append(label)
    return {path: layout.Mark(", ".join(dict.fromkeys(words)), styles.get(path, "role"))
            for path, words in roles.items()}
