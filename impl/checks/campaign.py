"""Model against reality: generate a case, materialize it, run the real interpreter, predict,
compare; and the sharded, resumable sweeps built from that.

A shard is (interpreter, seed, number of cases).  Its summary — counts, the rules that fired,
the layout mix, every difference with its replayable case — is written atomically to
``sweeps/<interpreter>/<seed>.json`` when the shard completes; a sweep skips completed shards,
so a session can stop at any moment and the next one carries on.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given, seed, settings

from prefixlab.impl.builders import nixsite
from prefixlab.impl.checks import which as whichcheck
from prefixlab.impl.host.account import host_account
from prefixlab.impl.host.interpreters import Interpreter, discover
from prefixlab.impl.host.materialize import (Binding, materialize, remove_tree, scratch_dir,
                                             scratch_parent)
from prefixlab.impl.host.probe import PROBE_CODE, probe
from prefixlab.impl.render.escape import show
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.startup import cmdline
from prefixlab.model.world.build import BuildConstants, behaviour_for
from prefixlab.model.world.fs import Dir, File, Layout, Node, Overlay, Symlink
from prefixlab.model.outcome import Outcome
from prefixlab.model.world import World
from prefixlab.model.startup.predict import predict
from prefixlab.model.strategies.startup import (NIX_SITECUSTOMIZE, PROBE_SCRIPT, ROOT, BoundCase, Case,
                                        Target, cases, stdlib_skeleton)

SWEEP_DIR = Path(os.environ.get("PREFIXLAB_SWEEP_DIR", "sweeps"))
"""Where shard summaries go (relative to the working directory: the repo root under make)."""


@cache
def host_builds() -> dict[str, BuildConstants]:
    """Every in-scope interpreter of this machine, by real path: a case's PATH may reach
    them (/usr/bin comes before the layout's directories in some generated PATHs)."""
    return {i.real_path: i.constants for i in discover() if i.in_scope and i.constants}


def target_for(interp: Interpreter) -> Target:
    constants = _constants(interp)
    return Target(constants.version, constants.platlibdir,
                  constants.abi_thread, binary=interp.real_path)


def _constants(interp: Interpreter) -> BuildConstants:
    if interp.constants is None:
        raise ValueError(f"{interp.path}: its build constants are unknown ({interp.reason})")
    return interp.constants


@dataclass(frozen=True)
class CaseResult:
    """One case run both ways."""

    case: Case
    predicted: dict[str, Any]
    observed: dict[str, Any]
    differences: tuple[str, ...]
    rules: tuple[str, ...]
    rows: tuple[str, ...]
    fields: tuple[str, ...] = ()
    """Behaviour-table fields the prediction consulted."""
    site: bool = False
    """The command line is accepted and, as the interpreter parses it, has no -S: start-up
    imports site."""
    which: WhichCheck | None = None
    """`which` against the real importlib on this case (None: not asked)."""

    @property
    def agrees(self) -> bool:
        return not self.differences


@dataclass(frozen=True)
class WhichCheck:
    """whichcheck.STARTUP_NAMES asked of the model's `which` and of the real importlib under
    the case's own invocation."""

    compared: bool
    """Both sides answered (the predicted and the real start succeeded)."""
    unanswered: str = ""
    """When not compared: 'model' (the prediction is not a running start) or 'real' (the
    real interpreter's importlib gave no answer)."""
    names: int = 0
    """Names compared (names whose parent the real interpreter could not import are not)."""
    differences: tuple[str, ...] = ()


def lay_down(bound: BoundCase, root: str, binary: str, constants: BuildConstants) -> World:
    """Write ``bound`` at ``root`` (its binary placeholders hard-linked to ``binary``, its
    stdlib placeholders linking that build's real stdlib) and return the world a prediction
    reads: the layout mounted over a snapshot of the host, with every build known here."""
    stdlib = f"{constants.prefix}/{constants.stdlib_subdir}"
    bindings: dict[str, Binding] = {p: ("hardlink", binary) for p in bound.binaries}
    layout = _with_probe_code(bound.layout)
    pooled = [farm for farm in bound.stdlibs if _skeleton_only(layout, farm)]
    bindings.update({p: ("children-links", stdlib) for p in bound.stdlibs if p not in pooled})
    materialize(_without(layout, pooled), root, bindings=bindings)
    for farm in pooled:
        node = layout.node(farm)
        _FARMS.place(farm, stdlib, node.mode if isinstance(node, Dir) else 0o755)
    builds = dict(host_builds())
    builds.update({p: constants for p in bound.binaries})
    seen = _with_farm_links(layout, bound.stdlibs, stdlib)
    return World(Overlay(Snapshot("/"), ((root, seen),)), builds, host_account())


class _FarmPool:
    """Stdlib farms (a directory of links to each child of a real stdlib) made once and
    moved into a case with one rename, then moved back: making one costs about 200 symlink
    calls, the largest share of a case's CPU time here.  What lands on disk is the same as
    materialize's children-links binding."""

    def __init__(self) -> None:
        self.base: str | None = None
        self.free: dict[str, list[str]] = {}
        self.names: dict[str, list[str]] = {}
        self.made = 0
        """Farms made (the rest of the placements reused one)."""
        self.serial = 0

    def _pool_dir(self) -> str:
        if self.base is None:
            # Beside the scratch directories (same filesystem: rename needs it).
            self.base = tempfile.mkdtemp(prefix="prefixlab-farms-", dir=scratch_parent())
            atexit.register(remove_tree, self.base)
        return self.base

    def _beside(self, path: str) -> bool:
        """Is ``path``'s directory on the pool's filesystem?"""
        return os.stat(os.path.dirname(path)).st_dev == os.stat(self._pool_dir()).st_dev

    def _new_name(self) -> str:
        self.serial += 1
        return f"{self._pool_dir()}/farm{self.serial}"

    def place(self, path: str, source: str, mode: int) -> None:
        names = sorted(os.listdir(source))
        if self.names.get(source) != names:  # the stdlib changed: the old farms are stale
            self.names[source] = names
            self.free[source] = []
        if not self._beside(path):  # another filesystem: no rename, a farm of its own
            os.mkdir(path, 0o700)
            for name in names:
                os.symlink(os.path.join(source, name), os.path.join(path, name))
            os.chmod(path, mode)
            return
        free = self.free[source]
        if free:
            farm = free.pop()
        else:
            self.made += 1
            farm = self._new_name()
            os.mkdir(farm, 0o700)
            for name in names:
                os.symlink(os.path.join(source, name), os.path.join(farm, name))
        os.chmod(farm, mode)
        os.rename(farm, path)

    def take_back(self, path: str, source: str) -> None:
        """Move the farm at ``path`` back to the pool, unless the run changed it (then it
        goes with the case's directory)."""
        try:
            names = sorted(os.listdir(path))
        except OSError:
            return
        if names != self.names.get(source) or os.path.islink(path) or not self._beside(path):
            return
        farm = self._new_name()
        try:
            os.rename(path, farm)
        except OSError:
            return
        self.free[source].append(farm)


_FARMS = _FarmPool()


def _skeleton_only(layout: Layout, farm: str) -> bool:
    """Does the layout hold nothing at or below the stdlib placeholder ``farm`` but the
    skeleton (so that a pooled farm can stand for it)?"""
    below = {path: node for path, node in layout.items()
             if path == farm or path.startswith(farm + "/")}
    return below == stdlib_skeleton(farm)


def _without(layout: Layout, farms: list[str]) -> Layout:
    if not farms:
        return layout
    below = tuple(farm + "/" for farm in farms)
    return Layout({path: node for path, node in layout.items()
                   if path not in farms and not path.startswith(below)})


def _with_probe_code(layout: Layout) -> Layout:
    """Placeholders replaced: scripts and modules a case runs hold the probe's code, a nix
    sitecustomize prefixlab's stand-in for nixpkgs'."""
    texts = {PROBE_SCRIPT: PROBE_CODE.encode(),
             NIX_SITECUSTOMIZE: nixsite.SITECUSTOMIZE_TEXT.encode()}
    replaced = {path: File(texts[node.data], 0o644) for path, node in layout.items()
                if isinstance(node, File) and node.data in texts}
    if not replaced:
        return layout
    nodes: dict[str, Node] = dict(layout.items())
    nodes.update(replaced)
    return Layout(nodes)


def _with_farm_links(layout: Layout, farms: tuple[str, ...], source: str) -> Layout:
    """The layout as it is on disk: a stdlib placeholder holds a link to every child of the
    real stdlib (site-packages among them, which site reads) instead of the skeleton."""
    if not farms:
        return layout
    below = tuple(farm + "/" for farm in farms)
    nodes: dict[str, Node] = {path: node for path, node in layout.items()
                              if not path.startswith(below)}
    names = sorted(os.listdir(source))
    for farm in farms:
        nodes.update({f"{farm}/{name}": Symlink(f"{source}/{name}") for name in names})
    return Layout(nodes)


def run_case(case: Case, interp: Interpreter, *, timeout: float = 20.0,
             check_which: bool = False) -> CaseResult:
    """Materialize ``case`` in a scratch directory, probe and predict, compare; with
    ``check_which``, also compare `which` with the real importlib (after the probe)."""
    constants = _constants(interp)
    with scratch_dir(parent=scratch_parent()) as base:
        root = f"{base}/case"
        bound = case.at(root)
        world = lay_down(bound, root, interp.real_path, constants)
        predicted = predict(world, bound.invocation)
        observed = probe(bound.invocation, timeout=timeout)
        which = _check_which(world, predicted, bound) if check_which else None
        stdlib = f"{constants.prefix}/{constants.stdlib_subdir}"
        for farm in bound.stdlibs:
            _FARMS.take_back(farm, stdlib)
    mine, theirs = _unrooted(predicted, root), _unrooted(observed, root)
    if which is not None and which.differences:
        which = replace(which, differences=tuple(_unrooted_text(d, root)
                                                 for d in which.differences))
    return CaseResult(case, mine, theirs, tuple(differences(mine, theirs)),
                      predicted.trace.rules(), tuple(sorted({s.row for s in predicted.trace.steps
                                                             if s.row})),
                      predicted.trace.asked, _runs_site(bound, constants), which)


def _runs_site(bound: BoundCase, constants: BuildConstants) -> bool:
    """A command line the interpreter accepts, without -S as its own parser reads it (a
    cluster such as -sS counts): start-up imports site.  (A usage error, -P before 3.11,
    never gets there.)"""
    row = behaviour_for(constants.version)
    line = cmdline.parse(bound.invocation.argv[1:], row)
    return "S" not in line.flags and not line.usage_error and not line.not_modelled


def _check_which(world: World, predicted: Outcome, bound: BoundCase) -> WhichCheck:
    names = whichcheck.STARTUP_NAMES
    model = whichcheck.model_answers(world, predicted, names)
    if model is None:
        return WhichCheck(False, "model")
    # A script or -m module the case runs is asked in place: it now holds the oracle.
    code = whichcheck.oracle_code(names).encode()
    for path, node in bound.layout.items():
        if isinstance(node, File) and node.data == PROBE_SCRIPT:
            with open(path, "wb") as handle:
                handle.write(code)
    real = whichcheck.real_answers(predicted, names, scripts_hold_oracle=True)
    if real is None:
        return WhichCheck(False, "real")
    compared = sum(answer != "parent-unimportable" for answer in real.values())
    return WhichCheck(True, "", compared, tuple(whichcheck.differences(real, model)))


def _unrooted(outcome: Outcome, root: str) -> dict[str, Any]:
    """The comparable keys with the scratch root written as ROOT (stable across runs)."""
    text = json.dumps(outcome.comparable(), ensure_ascii=True)
    escaped = json.dumps(root, ensure_ascii=True)[1:-1]
    result: dict[str, Any] = json.loads(text.replace(escaped, ROOT))
    return result


def _unrooted_text(text: str, root: str) -> str:
    return text.replace(root, ROOT)


def differences(predicted: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    """Sentences naming each key where model and reality disagree."""
    out = []
    for key in sorted(set(predicted) | set(observed)):
        if predicted.get(key) != observed.get(key):
            out.append(f"{key}: model {predicted.get(key)!r}, real {observed.get(key)!r}")
    return out


# -- shards -----------------------------------------------------------------------------------
SUMMARY_FORMAT = 3
"""1: the start-up comparison; 2: also the cases run without -S (counted from each case's
command line) and the `which` check of every case; 3: a usage error is not a case without
-S, and the cases without -S whose start succeeded are counted.  A sweep runs a shard of an older format
again (same seed, so the same cases), which fills the new counts."""

_COUNTS = ("cases", "agreed", "site_cases", "site_agreed", "site_ok", "which_cases", "which_agreed",
           "which_names", "which_names_agreed", "which_no_model_ok", "which_no_real_ok")


@dataclass
class ShardSummary:
    interpreter: str
    version: str
    seed: int
    cases: int = 0
    agreed: int = 0
    site_cases: int = 0
    """Cases run without -S (on a command line the interpreter accepts)."""
    site_agreed: int = 0
    site_ok: int = 0
    """Cases run without -S where the real start succeeded (site ran to the end)."""
    which_cases: int = 0
    """Cases where `which` was compared with the real importlib (both starts succeeded)."""
    which_agreed: int = 0
    which_names: int = 0
    which_names_agreed: int = 0
    which_no_model_ok: int = 0
    """Cases the real interpreter started where the model predicted no running start (each
    is also a start-up disagreement, or a not-modelled case)."""
    which_no_real_ok: int = 0
    """Cases both sides started where the real importlib gave no answer (must be 0)."""
    which_disagreements: list[dict[str, Any]] = field(default_factory=list)
    format: int = SUMMARY_FORMAT
    statuses: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)
    features: Counter[str] = field(default_factory=Counter)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    started: float = 0.0
    """When the shard's first case began and its last one ended (``time.monotonic()``, one
    clock for every process of the machine); not written to the summary file."""
    ended: float = 0.0
    cpu: tuple[float, float] = (0.0, 0.0)
    """CPU seconds the shard used in its own process and in the processes it ran (the
    interpreters); not written to the summary file."""

    def add(self, result: CaseResult) -> None:
        self.cases += 1
        self.agreed += result.agrees
        self.statuses[str(result.observed.get("status"))] += 1
        self.rules.update(set(result.rules))
        self.rows.update(result.rows)
        self.fields.update(result.fields)
        self.features.update(set(result.case.features))
        self.site_cases += result.site
        self.site_agreed += result.site and result.agrees
        self.site_ok += result.site and result.observed.get("status") == "ok"
        if not result.agrees and len(self.disagreements) < 50:
            self.disagreements.append({"differences": list(result.differences),
                                       "case": case_to_json(result.case)})
        which = result.which
        if which is None:
            return
        if not which.compared:
            if result.observed.get("status") == "ok":
                self.which_no_model_ok += which.unanswered == "model"
                self.which_no_real_ok += which.unanswered == "real"
            return
        self.which_cases += 1
        self.which_agreed += not which.differences
        self.which_names += which.names
        self.which_names_agreed += which.names - len(which.differences)
        if which.differences and len(self.which_disagreements) < 50:
            self.which_disagreements.append({"differences": list(which.differences),
                                             "case": case_to_json(result.case)})

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": self.format, "interpreter": self.interpreter,
                                "version": self.version, "seed": self.seed,
                                "hypothesis": hypothesis.__version__}
        data.update({name: getattr(self, name) for name in _COUNTS})
        data.update({"statuses": dict(self.statuses), "rules": dict(self.rules),
                     "rows": dict(self.rows), "fields": dict(self.fields),
                     "features": dict(self.features), "disagreements": self.disagreements,
                     "which_disagreements": self.which_disagreements})
        return data


def interpreter_key(interp: Interpreter) -> str:
    digest = hashlib.sha256(interp.real_path.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    version = "%d.%d.%d" % interp.version if interp.version else "unknown"
    return f"{version}-{digest}"


GENERATION = "4-site"
"""The strategies' generation: shards of different generations hold different case mixes
(1-getpath: getpath's cases, all with -S; 2-site: site's, with and without -S, scripts,
-m and site directories; 3-site: the same with site directories in half the cases and nine
cases in ten without -S (a quarter were -S: Hypothesis favours simple values), and no -m
module outside the case's root; 4-site: -S in one case of eight outside the site cases, -P
(a usage error) before 3.11 rarer, and -m of a module that is not there in a quarter of the
-m and script runs), so each has its
own directory.  The cases of a seed also depend on Hypothesis's version (2-site's seeds draw
other cases under 6.170), so a summary records it."""


def shard_path(interp: Interpreter, shard_seed: int, directory: Path = SWEEP_DIR) -> Path:
    return directory / GENERATION / interpreter_key(interp) / f"{shard_seed}.json"


def run_shard(interp: Interpreter, shard_seed: int, count: int, *,
              directory: Path = SWEEP_DIR) -> ShardSummary:
    """Run ``count`` generated cases (deterministic for the seed) and write the summary."""
    summary = ShardSummary(interp.real_path, "%d.%d.%d" % (interp.version or (0, 0, 0)),
                           shard_seed)

    @seed(shard_seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(cases(target_for(interp)))
    def one(case: Case) -> None:
        summary.add(run_case(case, interp, check_which=True))

    before = _cpu()
    summary.started = time.monotonic()
    one()
    summary.ended = time.monotonic()
    after = _cpu()
    summary.cpu = (after[0] - before[0], after[1] - before[1])
    _write_json(shard_path(interp, shard_seed, directory), summary.to_json())
    return summary


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def sweep(interps: Iterable[Interpreter], *, total: int, shard_size: int = 125,
          directory: Path = SWEEP_DIR, log: Any = sys.stderr, jobs: int = 1
          ) -> list[ShardSummary]:
    """Bring every interpreter to ``total`` cases, skipping completed shards.  Shard by
    shard across the interpreters, so that a sweep stopped early leaves them level.

    With ``jobs`` above 1 the shards run in that many worker processes, each started once
    (prefixlab imported and the interpreters found once per worker, not per shard); a
    shard's cases and summary depend on its seed alone, not on where it ran.  Returns the
    summaries of the shards run, in order."""
    chosen = list(interps)
    pending = [(interp, 1000 + index)
               for index in range(0, (total + shard_size - 1) // shard_size)
               for interp in chosen
               if shard_format(shard_path(interp, 1000 + index, directory)) < SUMMARY_FORMAT]
    done: list[ShardSummary] = []
    with contextlib.ExitStack() as stack:
        if jobs > 1 and len(pending) > 1:
            pool = stack.enter_context(ProcessPoolExecutor(
                max_workers=min(jobs, len(pending)), initializer=_warm,
                mp_context=multiprocessing.get_context("spawn")))
            results: Iterable[ShardSummary] = pool.map(
                _shard_job, [(interp, shard_seed, shard_size, directory)
                             for interp, shard_seed in pending])
        else:
            results = (run_shard(interp, shard_seed, shard_size, directory=directory)
                       for interp, shard_seed in pending)
        for (interp, shard_seed), result in zip(pending, results):
            done.append(result)
            print(f"{show(interp.path)}: shard {shard_seed}: {result.agreed}/{result.cases} agree, "
                  f"without -S {result.site_agreed}/{result.site_cases}, which "
                  f"{result.which_agreed}/{result.which_cases}", file=log, flush=True)
    return done


def _warm() -> None:
    """A sweep worker's start: the interpreters found here, once (run_case reads them)."""
    host_builds()


def _shard_job(job: tuple[Interpreter, int, int, Path]) -> ShardSummary:
    interp, shard_seed, count, directory = job
    return run_shard(interp, shard_seed, count, directory=directory)


def shard_format(path: Path) -> int:
    """The summary format of a completed shard (0: none there)."""
    if not path.exists():
        return 0
    return int(json.loads(path.read_text(encoding="utf-8")).get("format", 1))


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".shard-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1, sort_keys=True, ensure_ascii=True)
    os.replace(temp, path)


def case_to_json(case: Case) -> dict[str, Any]:
    """A portable, replayable form of a case (bytes as latin-1 text, marked)."""
    from prefixlab.model.world.fs import Dir, File, Symlink

    nodes = []
    for path, node in case.nodes:
        if isinstance(node, File):
            nodes.append([path, "file", node.data.decode("latin-1"), node.mode])
        elif isinstance(node, Dir):
            nodes.append([path, "dir", node.mode])
        elif isinstance(node, Symlink):
            nodes.append([path, "link", node.target])
    return {"nodes": nodes, "binaries": list(case.binaries), "stdlibs": list(case.stdlibs),
            "program": case.program, "argv": list(case.argv), "env": dict(case.env),
            "cwd": case.cwd, "features": list(case.features)}


def case_from_json(data: dict[str, Any]) -> Case:
    from prefixlab.model.world.fs import Dir

    nodes: list[tuple[str, Node]] = []
    for item in data["nodes"]:
        path, kind = item[0], item[1]
        if kind == "file":
            nodes.append((path, File(item[2].encode("latin-1"), item[3])))
        elif kind == "dir":
            nodes.append((path, Dir(item[2])))
        else:
            nodes.append((path, Symlink(item[2])))
    return Case(tuple(nodes), tuple(data["binaries"]), tuple(data["stdlibs"]), data["program"],
                tuple(data["argv"]), tuple(sorted(data["env"].items())), data["cwd"],
                tuple(data.get("features", ())))


def totals(interp: Interpreter, directory: Path = SWEEP_DIR, *,
           generation: str = GENERATION) -> ShardSummary:
    """Every completed shard of ``interp`` (of one generation) added up."""
    total = ShardSummary(interp.real_path, "%d.%d.%d" % (interp.version or (0, 0, 0)), 0)
    folder = directory / generation / interpreter_key(interp)
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        # The oldest format of any shard: counts a format-1 shard lacks are not in the sums.
        total.format = min(total.format, int(data.get("format", 1)))
        for name in _COUNTS:
            setattr(total, name, getattr(total, name) + data.get(name, 0))
        for name in ("statuses", "rules", "rows", "fields", "features"):
            getattr(total, name).update(data.get(name, {}))
        total.disagreements.extend(data["disagreements"])
        total.which_disagreements.extend(data.get("which_disagreements", []))
    return total


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


def main(argv: list[str] | None = None) -> int:
    """``python -m prefixlab.impl.checks.campaign [--total N] [--shard-size N] [--jobs N]
    [VERSION...]``: bring every interpreter found here (or those whose version starts with
    one of the VERSIONs) to N generated cases, in N worker processes, then print the
    totals."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m prefixlab.impl.checks.campaign")
    # 4-site's record: 2,375 cases in shards of 125 (2,000+ without -S per interpreter).
    parser.add_argument("--total", type=int, default=2375)
    parser.add_argument("--shard-size", type=int, default=125)
    parser.add_argument("--jobs", type=int, default=_cores(),
                        help="worker processes (default: the cores this process may use)")
    parser.add_argument("versions", nargs="*")
    args = parser.parse_args(argv)
    def wanted(interp: Interpreter) -> bool:
        text = "%d.%d.%d" % (interp.version or (0, 0, 0))
        return not args.versions or any(text == v or text.startswith(v + ".")
                                        for v in args.versions)

    chosen = [i for i in discover() if i.in_scope and i.constants and wanted(i)]
    sweep(chosen, total=args.total, shard_size=args.shard_size, jobs=args.jobs)
    for interp in chosen:
        t = totals(interp)
        print(f"{show(interp.path)}: {t.agreed}/{t.cases} agree; without -S {t.site_agreed}/"
              f"{t.site_cases} ({t.site_ok} started); which {t.which_agreed}/{t.which_cases} cases, "
              f"{t.which_names_agreed}/{t.which_names} names, not compared on a running "
              f"start (model {t.which_no_model_ok}, real {t.which_no_real_ok}); "
              f"format {t.format}; "
              f"statuses {dict(t.statuses)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
