"""How fast is the model?  Predictions per second against CPython's frozen getpath and against
spawning the real interpreter, on the same generated layouts, in one run, on one core.

    .venv/bin/python bench/predictions.py [--python PATH] [--cases N] [--repeat R]
                                          [--spawns K] [--seed S] [--compiled auto|no]
                                          [--profile]

Rows (each for the Python package and, when bench/compiled.py has built the current source,
for the compiled build too):
  model predict      prefixlab.model.startup.predict.predict: exec, command line, getpath, stdlib
                     check, site, sys.path[0], trace included (compiled: in a worker process,
                     whose answers must equal the Python package's)
  model getpath      prefixlab.model.startup.getpath.run alone, on the Inputs predict would build
  frozen getpath     the interpreter's own getpath code object, run in a worker process of
                     that interpreter with our helpers (of the same build) over the same
                     filesystem values; timed inside the worker around exec() only
  spawn              the real interpreter started on the same layouts materialized on disk
                     (impl/materialize), or `python -S -c pass` when materialize is absent

Verdict: on the build prefixlab's campaigns run by default (the compiled one when a current
build is where prefixlab looks for it, else the Python package; a command of a few
predictions runs the Python package unless PREFIXLAB_COMPILED names a build): it passes when full predictions are no
slower than the frozen getpath with the same build of the helpers on the same layouts, and
above 20,000 per second.  Both builds' lines are printed.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pickle
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings

from prefixlab.impl.checks.campaign import lay_down
from prefixlab.impl.checks.frozen import FrozenCase, FrozenWorker, Oracle, discover
from prefixlab.impl.host import compiled as build_id
from prefixlab.impl.host.materialize import scratch_dir
import prefixlab.model
from prefixlab.model.world import kernel
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.startup.getpath.context import Inputs
from prefixlab.model.world import World
from prefixlab.model.startup.predict import predict
from prefixlab.model.strategies.startup import BoundCase, Case, Target, cases

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compiled  # noqa: E402  (bench/compiled.py)
import model_worker  # noqa: E402  (bench/model_worker.py)

TARGET_RATE = 20_000
ROOT = model_worker.ROOT


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
    out = []
    for case in generated:
        bound = case.at(ROOT)
        world = World(bound.layout, {p: constants for p in bound.binaries})
        inv = bound.invocation
        cwd = kernel.chdir(bound.layout, inv.cwd) or ROOT
        inputs = model_worker.getpath_inputs(bound.layout, constants, inv, ROOT)
        frozen = FrozenCase(bound.layout, cwd, inv.argv, inv.env, constants, case.features)
        out.append(Prepared(case, bound, world, frozen, inputs))
    return out


# -- the timings --------------------------------------------------------------------------------
# Every row is timed per chunk of model_worker.CHUNK cases (the frozen worker's requests are
# such chunks too); time_rounds keeps each chunk's best over the rounds.
def predict_chunks(prepared: Sequence[Prepared]) -> Callable[[], list[float]]:
    cases = [(p.world, p.bound.invocation) for p in prepared]
    return lambda: model_worker.timed_predict(cases)


def getpath_chunks(prepared: Sequence[Prepared]) -> Callable[[], list[float]]:
    runnable = [p.inputs for p in prepared if p.inputs is not None]
    return lambda: model_worker.timed_getpath(runnable)


def frozen_chunks(worker: FrozenWorker, prepared: Sequence[Prepared]
                  ) -> Callable[[], list[float]]:
    frozen = [p.frozen for p in prepared]
    chunk = model_worker.CHUNK

    def run() -> list[float]:
        return [worker.run(frozen[i:i + chunk]).seconds for i in range(0, len(frozen), chunk)]

    return run


class ModelWorker:
    """bench/model_worker.py run by ``python`` (-I -S: nothing but the model is imported)
    with ``root`` first on its path, holding the same cases (handed over as plain values in
    a pickle file); ``compiled`` says which model it must have imported.  A ``root`` made
    for the worker alone (``owned``) is removed with it."""

    def __init__(self, prepared: Sequence[Prepared], python: str, root: Path,
                 compiled: bool, owned: bool = False) -> None:
        self._owned_root = root if owned else None
        records = [model_worker.record(p.world, p.bound.invocation) for p in prepared]
        with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as f:
            pickle.dump(records, f)
            self._cases = f.name
        self._proc = subprocess.Popen(
            [python, "-I", "-S", "-B", model_worker.__file__, self._cases, str(root)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self._read()
        if ready.get("compiled") != compiled:
            self.close()
            raise RuntimeError(f"the worker imported {ready.get('model')}, not the "
                               f"{'compiled build' if compiled else 'Python package'}")

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the compiled-model worker exited")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, request: str) -> dict[str, Any]:
        assert self._proc.stdin is not None
        self._proc.stdin.write(request + "\n")
        self._proc.stdin.flush()
        return self._read()

    def chunks(self, request: str = "time") -> list[float]:
        """Seconds per chunk of cases: predict ("time") or getpath.run alone ("getpath")."""
        return [float(s) for s in self.ask(request)["chunks"]]

    def close(self) -> None:
        if self._proc.poll() is None and self._proc.stdin is not None:
            self._proc.stdin.write("quit\n")
            self._proc.stdin.close()
        self._proc.wait()
        os.unlink(self._cases)
        if self._owned_root is not None:
            shutil.rmtree(self._owned_root)


@dataclass
class Builds:
    """What is timed besides the Python package in this process: the Python package in a
    worker of the oracle's interpreter (when that is not the one running the benchmark), the
    compiled model and the frozen worker on the compiled helpers (None when there is no
    current compiled build for the oracle's ABI)."""

    frozen: FrozenWorker
    python: ModelWorker | None = None
    compiled: ModelWorker | None = None
    frozen_compiled: FrozenWorker | None = None


def time_rounds(builds: Builds, prepared: Sequence[Prepared], repeat: int) -> dict[str, Row]:
    """``repeat`` rounds, each timing every row in turn; each chunk's best over the rounds is
    kept, and a row's time is the sum of its chunks' best.  Taking turns puts the rows under
    the same load when the machine is shared; the chunks (a few milliseconds each) let a
    round that was disturbed in one place count where it was not."""
    runs: dict[str, Callable[[], list[float]]] = {
        "predict": predict_chunks(prepared),
        "getpath": getpath_chunks(prepared),
        "frozen": frozen_chunks(builds.frozen, prepared),
    }
    if builds.python is not None:  # the model on the oracle's interpreter, as the frozen code
        python = builds.python
        runs["predict"] = python.chunks
        runs["getpath"] = lambda: python.chunks("getpath")
    if builds.compiled is not None:
        worker = builds.compiled
        runs["predict compiled"] = worker.chunks
        runs["getpath compiled"] = lambda: worker.chunks("getpath")
    if builds.frozen_compiled is not None:
        runs["frozen compiled"] = frozen_chunks(builds.frozen_compiled, prepared)
    best_chunks: dict[str, list[float]] = {}
    for _ in range(repeat):
        for name, run in runs.items():
            got = run()
            known = best_chunks.get(name)
            best_chunks[name] = got if known is None else [min(a, b) for a, b in zip(known, got)]
    best = {name: sum(chunks) for name, chunks in best_chunks.items()}
    n = len(prepared)
    runnable = sum(p.inputs is not None for p in prepared)
    notes = {
        "predict": ("model predict", n, "full predict, trace included"),
        "predict compiled": ("  ... compiled", n, "the same, mypyc build, in a worker"),
        "getpath": ("model getpath", runnable, "getpath.run only, same Inputs"),
        "getpath compiled": ("  ... compiled", runnable, "the same, mypyc build, in a worker"),
        "frozen": ("frozen getpath", n, "exec() of the code object, Python helpers"),
        "frozen compiled": ("  ... compiled", n, "the same, with the compiled helpers"),
    }
    return {name: Row(notes[name][0], notes[name][1], best[name], notes[name][2])
            for name in notes if name in best}


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
    """``model x``: how many times the row's rate the (fastest) model predict rate is."""
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
    parser.add_argument("--compiled", choices=("auto", "no"), default="auto",
                        help="also time the compiled build when bench/compiled.py has built "
                        "the current source (auto, the default) or not (no)")
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
        mine = os.path.realpath(sys.executable)
        chosen = ([o for o in oracles if o.real_path == mine]
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
    # The model runs on the oracle's interpreter: here when it is the one running this
    # script, else in worker processes of it (the Python package and the compiled build).
    here = oracle.real_path == os.path.realpath(sys.executable)
    runs_on = (f"{sys.executable} ({'%d.%d.%d' % sys.version_info[:3]})" if here
               else f"{oracle.path}, in workers")
    print(f"interpreter   {oracle.name}; the model runs on {runs_on}")
    print(f"cases         {len(prepared)} (seed {args.seed}, generated and prepared in "
          f"{time.perf_counter() - start:.1f} s)")
    print(f"layout mix    {layout_mix(generated)}")

    root = compiled.root_for(None if here else oracle.path)
    why_not = "not asked for (--compiled no)" if args.compiled == "no" else (
        compiled.why_unavailable(root))
    expected = model_worker.digest([predict(p.world, p.bound.invocation) for p in prepared])
    with FrozenWorker(oracle) as worker:
        builds = Builds(worker)
        try:
            if not here:
                start_python(builds, oracle, prepared, expected)
            if not why_not:
                why_not = start_compiled(builds, oracle, prepared,
                                         sys.executable if here else oracle.path, root, expected)
            rows = time_rounds(builds, prepared, args.repeat)
        finally:
            close_compiled(builds)
    same = "the same answers as the Python package on every case (outcomes and traces)"
    print(f"compiled      {why_not or f'yes, {root}: {same}'}")
    default = default_build(root, here)
    print(f"default       the {default} build: {DEFAULT_WHY[default]}")
    spawn = time_spawn(oracle, prepared, args.spawns)
    best = max((r for k, r in rows.items() if k.startswith("predict")), key=lambda r: r.rate)
    print()
    print(table([*rows.values(), spawn], best))
    print()
    print(f"model/spawn   {best.rate / spawn.rate:.1f}   (the fastest model build)")
    verdicts = {"Python": verdict(rows["predict"], rows["frozen"], "Python")}
    if "predict compiled" in rows and "frozen compiled" in rows:
        verdicts["compiled"] = verdict(rows["predict compiled"], rows["frozen compiled"],
                                       "compiled")
    for line, _ in verdicts.values():
        print(line)
    # The like-for-like part: the model's getpath stages (their trace included) against the
    # frozen getpath, which does only that (predict also runs exec, site, sys.path[0]...).
    for build, model, frozen in (("Python", "getpath", "frozen"),
                                 ("compiled", "getpath compiled", "frozen compiled")):
        if model in rows and frozen in rows:
            print(f"{build + ' build':15}getpath stages alone: model/frozen "
                  f"{rows[model].rate / rows[frozen].rate:.2f} "
                  f"({rows[model].rate:,.0f}/s vs {rows[frozen].rate:,.0f}/s)")
    judged = default if default in verdicts else "Python"
    passed = verdicts[judged][1]
    print(f"verdict       {'PASS' if passed else 'BELOW TARGET'} (judged: the {judged} build, "
          f"{'what prefixlab campaigns run by default' if judged == default else 'the compiled rows are missing'})")
    if args.profile:
        print()
        print(profile_predict(prepared))
    return 0 if passed else 1


DEFAULT_WHY = {"compiled": "prefixlab's campaigns run it (a current build where it looks, "
                           "see prefixlab.impl.cli.launch)",
               "Python": "prefixlab's campaigns run the Python package (no current build "
                         "where it looks, or PREFIXLAB_COMPILED=0)"}


def default_build(root: Path, here: bool) -> str:
    """The build ``prefixlab conform`` runs by default ("compiled" or "Python"), as its
    start-up picks it (prefixlab.impl.cli.launch): PREFIXLAB_COMPILED when set, else the checkout's build,
    used when current.  For another interpreter (not ``here``): its build at ``root``."""
    setting = os.environ.get("PREFIXLAB_COMPILED", "")
    if setting == build_id.OFF:
        return "Python"
    if not here:
        return "Python" if compiled.why_unavailable(root) else "compiled"
    chosen = Path(setting or build_id.default_root()).resolve()
    if chosen != root.resolve():  # a build the benchmark does not time
        return "Python"
    return "Python" if build_id.why_not_usable(chosen) else "compiled"


def verdict(model: Row, frozen: Row, build: str) -> tuple[str, bool]:
    """One build's line: model vs the frozen getpath on the same helpers, and the target."""
    fast_enough = model.rate >= frozen.rate
    above = model.rate >= TARGET_RATE
    ok = fast_enough and above
    return (f"{build + ' build':15}{'PASS' if ok else 'below'}: model {model.rate:,.0f}/s "
            f"{'>=' if fast_enough else '<'} frozen {frozen.rate:,.0f}/s "
            f"(model/frozen {model.rate / frozen.rate:.2f}); "
            f"{'>=' if above else '<'} {TARGET_RATE:,}/s", ok)


def start_python(builds: Builds, oracle: Oracle, prepared: Sequence[Prepared],
                 expected: str) -> None:
    """The Python package in a worker of the oracle's interpreter, checked to answer every
    case as it does here (the model must not depend on the interpreter running it)."""
    root = Path(tempfile.mkdtemp(prefix="prefixlab-bench-"))
    (root / "prefixlab").mkdir()  # a namespace package, as installed
    (root / "prefixlab" / "model").symlink_to(Path(prefixlab.model.__file__).parent)
    builds.python = ModelWorker(prepared, oracle.path, root, compiled=False, owned=True)
    if builds.python.ask("digest")["digest"] != expected:
        raise SystemExit(f"the model answers differently on {oracle.short}: a bug to report")


def start_compiled(builds: Builds, oracle: Oracle, prepared: Sequence[Prepared],
                   python: str, root: Path, expected: str) -> str:
    """Start the compiled rows' workers (``python`` runs the model); check that the compiled
    model answers every case as the Python package does.  Returns '' or why the compiled
    rows are left out."""
    try:
        builds.compiled = ModelWorker(prepared, python, root, compiled=True)
        if builds.compiled.ask("digest")["digest"] != expected:
            close_compiled(builds)
            return "left out: its answers differ from the Python package's on these cases"
        builds.frozen_compiled = FrozenWorker(oracle, import_root=str(root))
        helpers = str(builds.frozen_compiled.info().get("helpers", ""))
        if helpers.endswith(".py"):  # another ABI: the target cannot load the extensions
            builds.frozen_compiled.close()
            builds.frozen_compiled = None
            return f"model only: {oracle.short} cannot load the compiled helpers"
    except (OSError, RuntimeError, ValueError) as error:
        close_compiled(builds)
        return f"left out: {type(error).__name__}: {error}"
    return ""


def close_compiled(builds: Builds) -> None:
    for worker in (builds.python, builds.compiled, builds.frozen_compiled):
        if worker is not None:
            worker.close()
    builds.python = builds.compiled = builds.frozen_compiled = None


if __name__ == "__main__":
    sys.exit(main())
