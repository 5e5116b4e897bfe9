"""The far side of the benchmark's compiled rows: times ``predict`` with whatever
``prefixlab.model`` this process imports (the compiled build, put first on PYTHONPATH by
bench/compiled.py's CompiledWorker).

    python bench/model_worker.py CASEFILE

CASEFILE is a pickle of plain values (see :func:`record`): the layouts, builds and
invocations of the cases the parent timed.  Requests are lines on stdin, answers JSON lines
on stdout:

    time       -> {"seconds": S}     predict every case once, the collector paused
    digest     -> {"digest": D}      sha256 of every outcome's JSON (trace included)
    quit
"""

from __future__ import annotations

import gc
import hashlib
import json
import pickle
import sys
import time
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from prefixlab.model import kernel
from prefixlab.model.build import BuildConstants
from prefixlab.model.fs import Dir, File, Layout, Node, Symlink
from prefixlab.model.invocation import Invocation
from prefixlab.model.outcome import Outcome
from prefixlab.model.startup import World, predict

Record = tuple[tuple[tuple[str, str, Any, int], ...], dict[str, dict[str, Any]],
               tuple[str, tuple[str, ...], tuple[tuple[str, str], ...], str]]
"""(layout nodes as (path, kind, data or target, mode), builds by binary path as field
dicts, invocation as (program, argv, env, cwd))."""


def record(world: World, invocation: Invocation) -> Record:
    """A case as plain values (compiled classes do not unpickle pure ones)."""
    assert isinstance(world.fs, Layout)
    nodes: list[tuple[str, str, Any, int]] = []
    for path, node in world.fs.items():
        if isinstance(node, File):
            nodes.append((path, "file", node.data, node.mode))
        elif isinstance(node, Dir):
            nodes.append((path, "dir", None, node.mode))
        else:
            nodes.append((path, "link", node.target, 0))
    builds = {path: {f.name: getattr(constants, f.name) for f in fields(constants)}
              for path, constants in world.builds.items()}
    inv = (invocation.program, invocation.argv, invocation.env, invocation.cwd)
    return tuple(nodes), builds, inv


def rebuild(rec: Record) -> tuple[World, Invocation]:
    nodes, builds, (program, argv, env, cwd) = rec
    built: dict[str, Node] = {}
    for path, kind, payload, mode in nodes:
        built[path] = (File(payload, mode) if kind == "file" else Dir(mode) if kind == "dir"
                       else Symlink(payload))
    constants = {path: BuildConstants(**fields) for path, fields in builds.items()}
    return World(Layout(built), constants), Invocation(program, argv, env, cwd)


def digest(outcomes: Sequence[Outcome]) -> str:
    """One hash of every outcome's JSON, trace included: equal digests, equal answers."""
    text = json.dumps([o.to_json() for o in outcomes], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def main() -> int:
    with open(sys.argv[1], "rb") as f:
        cases = [rebuild(rec) for rec in pickle.load(f)]
    compiled = kernel.__file__ is not None and not kernel.__file__.endswith(".py")
    print(json.dumps({"ready": True, "compiled": compiled, "model": kernel.__file__}),
          flush=True)
    for line in sys.stdin:
        request = line.strip()
        if request == "time":
            gc.collect()
            gc.disable()
            start = time.perf_counter()
            for world, invocation in cases:
                predict(world, invocation)
            seconds = time.perf_counter() - start
            gc.enable()
            print(json.dumps({"seconds": seconds}), flush=True)
        elif request == "digest":
            print(json.dumps({"digest": digest([predict(w, i) for w, i in cases])}), flush=True)
        elif request == "quit":
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
