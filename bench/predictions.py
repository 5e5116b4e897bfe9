"""How fast is the model?  Predictions per second against CPython's frozen getpath and against
spawning the real interpreter, on the same generated layouts, in one run, on one core.

    .venv/bin/python bench/predictions.py [--python PATH] [--cases N] [--repeat R]
                                          [--spawns K] [--seed S] [--profile]

Rows:
  model predict      prefixlab.model.startup.predict: exec, command line, getpath, stdlib
                     check, sys.path[0], trace included
  model getpath      prefixlab.model.getpath.run alone, on the Inputs predict would build
  frozen getpath     the interpreter's own getpath code object, run in a worker process of
                     that interpreter with our helpers over the same filesystem values; timed
                     inside the worker around exec() only (the baseline)
  spawn              the real interpreter started on the same layouts materialized on disk
                     (impl/materialize), or `python -S -c pass` when materialize is absent

Verdict: the model passes when full predictions are no slower than the frozen getpath on the
same layouts and above 20,000 per second.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, seed, settings

from prefixlab.impl.campaign import lay_down
from prefixlab.impl.frozen import FrozenCase, FrozenWorker, Oracle, discover, physical_cwd
from prefixlab.impl.materialize import scratch_dir
from prefixlab.model import cmdline, getpath
from prefixlab.model.build import BuildConstants, behaviour_for
from prefixlab.model.getpath.context import Inputs, StartupFailed
from prefixlab.model.startup import World, predict
from prefixlab.model.strategies import BoundCase, Case, Target, cases

TARGET_RATE = 20_000
ROOT = "/w"


@dataclass(frozen=True)
class Row:
    name: str
    count: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("inf")


# -- the cases ----------------------------------------------------------------------------------
def generate(target: Target, count: int, at_seed: int) -> list[Case]:
    """``count`` cases from the public strategies, reproducibly (no shrinking, no database)."""
    found: list[Case] = []

    @seed(at_seed)
    @settings(max_examples=count, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(cases(target))
    def collect(case: Case) -> None:
        found.append(case)

    collect()
    return found


def layout_mix(generated: Sequence[Case]) -> str:
    """How many cases have each kind of thing (a case can count in several)."""
    groups = {
        "venvs": "venv:", "link chains": "links:", "dir links": "dir-link", "._pth": "pth",
        "build dirs": "build:", "decoys": "decoy:", "zip landmarks": "zip:",
        "second installs": "second-install", "no stdlib": "stdlib:none",
        "PYTHONHOME": "env:PYTHONHOME", "PYTHONPATH": "env:PYTHONPATH",
        "PYTHONEXECUTABLE": "env:PYTHONEXECUTABLE", "bare argv0 (PATH)": "program:bare",
        "relative argv0": "program:relative", "lying argv0": "argv0:differs",
    }
    counts: Counter[str] = Counter()
    for case in generated:
        for label, prefix in groups.items():
            if any(f.startswith(prefix) for f in case.features):
                counts[label] += 1
    return ", ".join(f"{label} {counts[label]}" for label in groups)


@dataclass(frozen=True)
class Prepared:
    case: Case
    bound: BoundCase
    world: World
    frozen: FrozenCase
    inputs: Inputs | None
    """What predict hands getpath.run (None when getpath never runs for this invocation)."""


def prepare(generated: Sequence[Case], constants: BuildConstants) -> list[Prepared]:
    row = behaviour_for(constants.version)
    out = []
    for case in generated:
        bound = case.at(ROOT)
        world = World(bound.layout, {p: constants for p in bound.binaries})
        inv = bound.invocation
        cwd = physical_cwd(bound.layout, inv.cwd) or ROOT
        env = inv.environ
        line = cmdline.parse(inv.argv[1:], row)
        inputs = None
        if not (line.usage_error or line.not_modelled):
            inputs = Inputs(bound.layout, cwd, constants, row, inv.argv, env, line,
                            cmdline.startup_config(line, env, row))
        frozen = FrozenCase(bound.layout, cwd, inv.argv, inv.env, constants, case.features)
        out.append(Prepared(case, bound, world, frozen, inputs))
    return out


# -- the timings --------------------------------------------------------------------------------
def _timed(run: Callable[[], None]) -> float:
    """Seconds for one run, with the collector paused as timeit does."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    finally:
        gc.enable()


def predict_all(prepared: Sequence[Prepared]) -> Callable[[], None]:
    def run() -> None:
        for p in prepared:
            predict(p.world, p.bound.invocation)

    return run


def getpath_all(prepared: Sequence[Prepared]) -> Callable[[], None]:
    runnable = [p.inputs for p in prepared if p.inputs is not None]

    def run() -> None:
        for inputs in runnable:
            try:
                getpath.run(inputs)
            except StartupFailed:
                pass

    return run


def frozen_all(worker: FrozenWorker, prepared: Sequence[Prepared]) -> Callable[[], float]:
    frozen = [p.frozen for p in prepared]
    chunk = 500  # keeps one request's JSON small

    def run() -> float:
        return sum(worker.run(frozen[i:i + chunk]).seconds for i in range(0, len(frozen), chunk))

    return run


def time_rounds(worker: FrozenWorker, prepared: Sequence[Prepared], repeat: int
                ) -> tuple[Row, Row, Row]:
    """``repeat`` rounds, each timing the three in turn; the best of each is kept.  Taking
    turns puts the three under the same load when the machine is shared."""
    runs = {"predict": predict_all(prepared), "getpath": getpath_all(prepared)}
    frozen = frozen_all(worker, prepared)
    best = {"predict": float("inf"), "getpath": float("inf"), "frozen": float("inf")}
    for _ in range(repeat):
        for name, run in runs.items():
            best[name] = min(best[name], _timed(run))
        best["frozen"] = min(best["frozen"], frozen())
    n = len(prepared)
    runnable = sum(p.inputs is not None for p in prepared)
    return (Row("model predict", n, best["predict"], "full predict, trace included"),
            Row("model getpath", runnable, best["getpath"], "getpath.run only, same Inputs"),
            Row("frozen getpath", n, best["frozen"], "exec() of the code object, in the worker"))


def spawn_plain(oracle: Oracle, spawns: int, why: str) -> Row:
    start = time.perf_counter()
    for _ in range(spawns):
        subprocess.run([oracle.path, "-S", "-c", "pass"], check=False)
    return Row("spawn", spawns, time.perf_counter() - start, f"python -S -c pass ({why})")


def time_spawn(oracle: Oracle, prepared: Sequence[Prepared], spawns: int) -> Row:
    """Materialize each layout and start the interpreter as the case says (only the start is
    timed); if materializing fails, time `python -S -c pass` instead and say so."""
    try:
        spent = 0.0
        done = 0
        with scratch_dir() as base:
            for n, p in enumerate(prepared[:spawns]):
                root = f"{base}/case{n}"
                rebound = p.case.at(root)  # the same case, under the scratch root
                lay_down(rebound, root, oracle.real_path, oracle.constants)
                inv = rebound.invocation
                start = time.perf_counter()
                subprocess.run(list(inv.argv) or [""], executable=inv.program,
                               env=inv.environ, cwd=inv.cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)
                spent += time.perf_counter() - start
                done += 1
    except Exception as error:  # say so in the table, still measure something
        return spawn_plain(oracle, spawns, f"materialize failed: {type(error).__name__}: "
                           f"{error}")
    return Row("spawn", done, spent, "the real interpreter on the materialized layouts")


# -- the report ---------------------------------------------------------------------------------
def profile_predict(prepared: Sequence[Prepared], top: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for p in prepared:
        predict(p.world, p.bound.invocation)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def table(rows: Sequence[Row], model: Row) -> str:
    lines = [f"{'':16} {'cases':>7} {'seconds':>9} {'per second':>12} {'us/case':>9} "
             f"{'model x':>8}  note"]
    for row in rows:
        lines.append(f"{row.name:16} {row.count:7d} {row.seconds:9.3f} {row.rate:12,.0f} "
                     f"{1e6 / row.rate:9.1f} {model.rate / row.rate:8.2f}  {row.note}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="interpreter with the frozen getpath (default: the "
                        "one running this script, else the same version, else the newest)")
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (the best of "
                        "each row is kept)")
    parser.add_argument("--spawns", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="cProfile the model predict "
                        "loop and print the hot spots")
    args = parser.parse_args(argv)

    oracles = discover()
    if args.python:
        wanted = os.path.realpath(args.python)
        chosen = [o for o in oracles if o.real_path == wanted or o.path == args.python]
    else:
        # The interpreter running the model itself when it has the code object (so the two
        # getpaths run on the same binary), else one of the same version, else the newest.
        here = os.path.realpath(sys.executable)
        chosen = ([o for o in oracles if o.real_path == here]
                  or [o for o in oracles if o.version[:2] == sys.version_info[:2]]
                  or list(oracles[-1:]))
    if not chosen:
        print("no interpreter with the frozen getpath code object was found", file=sys.stderr)
        return 2
    oracle = chosen[0]
    constants = oracle.constants
    target = Target(oracle.version, constants.platlibdir, constants.abi_thread)

    start = time.perf_counter()
    generated = generate(target, args.cases, args.seed)
    prepared = prepare(generated, constants)
    print(f"interpreter   {oracle.name}; the model runs on {sys.executable} "
          f"({'%d.%d.%d' % sys.version_info[:3]})")
    print(f"cases         {len(prepared)} (seed {args.seed}, generated and prepared in "
          f"{time.perf_counter() - start:.1f} s)")
    print(f"layout mix    {layout_mix(generated)}")

    with FrozenWorker(oracle) as worker:
        model, only_getpath, frozen = time_rounds(worker, prepared, args.repeat)
    spawn = time_spawn(oracle, prepared, args.spawns)
    print()
    print(table([model, only_getpath, frozen, spawn], model))
    print()
    print(f"model/frozen  {model.rate / frozen.rate:.2f}   model/spawn  "
          f"{model.rate / spawn.rate:.1f}   (baseline: the frozen getpath of this run)")
    fast_enough = model.rate >= frozen.rate
    above = model.rate >= TARGET_RATE
    verdict = "PASS" if fast_enough and above else "BELOW TARGET"
    print(f"verdict       {verdict}: model {model.rate:,.0f}/s "
          f"{'>=' if fast_enough else '<'} frozen {frozen.rate:,.0f}/s; "
          f"{'>=' if above else '<'} {TARGET_RATE:,}/s")
    if args.profile:
        print()
        print(profile_predict(prepared))
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
