"""The far side of the benchmark's worker rows: times ``predict`` with whatever
``prefixlab.model`` this process imports: the compiled build, or the Python package under
another interpreter than the benchmark's (bench/predictions.py's ModelWorker).

    python bench/model_worker.py CASEFILE [ROOT]

ROOT, when given, goes first on sys.path: a directory holding ``prefixlab/model`` (the
worker needs nothing else, so it can run with -I -S on an interpreter under test).

CASEFILE is a pickle of plain values (see :func:`record`): the layouts, builds and
invocations of the cases the parent timed.  Requests are lines on stdin, answers JSON lines
on stdout:

    time       -> {"seconds": S, "chunks": [s, ...]}   predict every case once, the
                                     collector paused, timed per chunk of CHUNK cases
    getpath    -> {"seconds": S, "chunks": [s, ...]}   getpath.run alone, on the Inputs
                                     predict would build
    digest     -> {"digest": D}      sha256 of every outcome's JSON (trace included)
    outcomes   -> {"outcomes": [...]}  every outcome's JSON (trace included)
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

if __name__ == "__main__" and len(sys.argv) > 2:
    sys.path.insert(0, sys.argv[2])  # before the first prefixlab import

from prefixlab.model.startup import cmdline
from prefixlab.model.startup import getpath
from prefixlab.model.world import kernel
from prefixlab.model.world.build import BuildConstants, behaviour_for
from prefixlab.model.world.fs import Dir, File, Layout, Node, Symlink
from prefixlab.model.startup.getpath.context import Inputs, StartupFailed
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.outcome import Outcome
from prefixlab.model.world import World
from prefixlab.model.startup.predict import predict

ROOT = "/w"
"""Where bench/predictions.py binds the cases."""

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
    constants = {path: _shared(fields) for path, fields in builds.items()}
    return World(Layout(built), constants), Invocation(program, argv, env, cwd)


_BUILDS: dict[str, BuildConstants] = {}


def _shared(fields: dict[str, Any]) -> BuildConstants:
    """One BuildConstants per distinct build, as in the parent (prepare() hands every case
    of an interpreter the same object) and in real use (learned once per interpreter): the
    model keeps per-build indexes by identity, which a copy per case would rebuild."""
    key = repr(sorted(fields.items()))
    known = _BUILDS.get(key)
    if known is None:
        known = _BUILDS[key] = BuildConstants(**fields)
    return known


def getpath_inputs(layout: Layout, constants: BuildConstants, invocation: Invocation,
                   cwd: str) -> Inputs | None:
    """The Inputs predict hands getpath.run (None when getpath never runs: a usage error
    or an option the model leaves out); ``cwd`` stands in when the case's has no directory."""
    row = behaviour_for(constants.version)
    env = invocation.environ
    line = cmdline.parse(invocation.argv[1:], row)
    if line.usage_error or line.not_modelled:
        return None
    return Inputs(layout, kernel.chdir(layout, invocation.cwd) or cwd, constants, row,
                  invocation.argv, env, line, cmdline.startup_config(line, env, row))


CHUNK = 25
"""Cases per timed chunk.  Each chunk is timed on its own, and the benchmark keeps each
chunk's best over its rounds: on a shared machine a millisecond or two (less than a
scheduler's time slice) is far likelier to run undisturbed in one of the rounds than a whole
pass of the cases (bench/README.md)."""


def timed_predict(cases: Sequence[tuple[World, Invocation]]) -> list[float]:
    """Seconds per chunk of ``predict`` over ``cases``, the collector paused as timeit does."""
    gc.collect()
    gc.disable()
    try:
        seconds = []
        for at in range(0, len(cases), CHUNK):
            chunk = cases[at:at + CHUNK]
            start = time.perf_counter()
            for world, invocation in chunk:
                predict(world, invocation)
            seconds.append(time.perf_counter() - start)
        return seconds
    finally:
        gc.enable()


def timed_getpath(inputs: Sequence[Inputs]) -> list[float]:
    """Seconds per chunk of ``getpath.run`` alone over ``inputs``, as timed_predict."""
    gc.collect()
    gc.disable()
    try:
        seconds = []
        for at in range(0, len(inputs), CHUNK):
            chunk = inputs[at:at + CHUNK]
            start = time.perf_counter()
            for one in chunk:
                try:
                    getpath.run(one)
                except StartupFailed:
                    pass
            seconds.append(time.perf_counter() - start)
        return seconds
    finally:
        gc.enable()


def digest(outcomes: Sequence[Outcome]) -> str:
    """One hash of every outcome's JSON, trace included: equal digests, equal answers."""
    text = json.dumps([o.to_json() for o in outcomes], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def main() -> int:
    with open(sys.argv[1], "rb") as f:
        cases = [rebuild(rec) for rec in pickle.load(f)]
    inputs = []
    for world, invocation in cases:
        assert isinstance(world.fs, Layout)
        build = world.builds[next(iter(world.builds))]  # the cases have one build
        found = getpath_inputs(world.fs, build, invocation, ROOT)
        if found is not None:
            inputs.append(found)
    compiled = kernel.__file__ is not None and not kernel.__file__.endswith(".py")
    print(json.dumps({"ready": True, "compiled": compiled, "model": kernel.__file__}),
          flush=True)

    for line in sys.stdin:
        request = line.strip()
        if request == "time":
            chunks = timed_predict(cases)
            print(json.dumps({"seconds": sum(chunks), "chunks": chunks}), flush=True)
        elif request == "getpath":
            chunks = timed_getpath(inputs)
            print(json.dumps({"seconds": sum(chunks), "chunks": chunks, "cases": len(inputs)}),
                  flush=True)
        elif request == "digest":
            print(json.dumps({"digest": digest([predict(w, i) for w, i in cases])}), flush=True)
        elif request == "outcomes":
            print(json.dumps({"outcomes": [predict(w, i).to_json() for w, i in cases]}),
                  flush=True)
        elif request == "quit":
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
