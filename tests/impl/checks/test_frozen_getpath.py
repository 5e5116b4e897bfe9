"""The model's getpath stages against CPython's own getpath.py, run from the frozen code object
of every 3.11+ interpreter here, on Hypothesis-generated layouts and invocations.

Both sides see the same filesystem value through the same helpers (prefixlab.model's), so a
difference is about the algorithm: the order of the stages and the branches of getpath.py.
Cases are built by construction: the public :func:`prefixlab.model.strategies.startup.cases` (installs,
links, venvs, ._pth files, build markers, decoys, invocations), then what only getpath can see
and a real start cannot easily reach: odd build constants (empty PREFIX, VPATH, a PYTHONPATH
macro, lib64, a free-threaded ABI), read failures (a pyvenv.cfg that is a directory, a link
loop, 32 KiB and more), argv[0] below a regular file, launcher variables, PATH and PYTHONHOME
spellings, with or without -S.

Default run: a bounded number of cases per interpreter (PREFIXLAB_FROZEN_CASES, 300);
``--sweep`` runs PREFIXLAB_FROZEN_SWEEP_CASES (10,000) per interpreter.  Each run records in
the pytest cache (key prefixlab/frozen/<interpreter>) how many cases ran, the rules the model
fired, which exceptions getpath.py raised and which of its lines ran.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from prefixlab.impl.checks.frozen import (
    FrozenCase,
    FrozenWorker,
    Oracle,
    Tally,
    check,
    discover,
)
from prefixlab.model.world import kernel
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.fs import Dir, File, Layout, LayoutError, Node, Symlink
from prefixlab.model.strategies.startup import BoundCase, Case, Target
from prefixlab.model.strategies.startup import cases as model_cases

pytestmark = pytest.mark.frozen

ORACLES = discover()
REQUIRE = os.environ.get("PREFIXLAB_REQUIRE_ORACLES", "") not in ("", "0")
CASES = int(os.environ.get("PREFIXLAB_FROZEN_CASES", "300"))
SWEEP_CASES = int(os.environ.get("PREFIXLAB_FROZEN_SWEEP_CASES", "10000"))
MISSING = ("no interpreter with _testinternalcapi.get_getpath_codeobject() (CPython 3.11+ "
           "with its test modules) was found; name one in PREFIXLAB_PYTHONS")

BaseCases = Callable[[Target], st.SearchStrategy[Case]]
"""Where the plain cases come from: model.strategies.cases, or any strategy of the same shape."""


# -- generators (by construction: every draw builds something; nothing is filtered) ----------
ROOTS = ("/w", "/home/u/lab", "/srv/x y/r")
"""Where a case's placeholder root is bound: shallow, deep, with a space."""


def _try_add(layout: Layout, path: str, node: Node) -> Layout:
    """Add a node at a free path; a path the layout cannot take (below a file or a link, or
    already used) leaves the layout as it is, so the draw still builds a valid case."""
    if layout.node(path) is not None:
        return layout
    try:
        return layout.with_node(path, node)
    except LayoutError:
        return layout


def _dirname(path: str) -> str:
    return path.rpartition("/")[0] or "/"


def _entries(bound: BoundCase) -> list[str]:
    """Paths in the layout that stand for the interpreter or a link to it."""
    out = list(bound.binaries)
    for path, node in bound.layout.items():
        if isinstance(node, Symlink) and path.rpartition("/")[2].startswith("py"):
            out.append(path)
    return out


BIG = b"home = /nowhere\n" + b"#" * (32 * 1024)
JUST_SMALL = b"#" * (32 * 1024 - 1)


def _hazards(draw: st.DrawFn, bound: BoundCase, target: Target, entries: list[str],
             features: list[str]) -> Layout:
    """Files getpath reads, in the shapes that make its reads fail or surprise; a venv whose
    executable is a chain of 39 to 41 links is added to ``entries``."""
    layout = bound.layout
    if draw(st.integers(0, 11)) == 0:
        layout = _long_chain_venv(draw, layout, bound, target, entries, features)
    # About one case in three gets a hazard: enough to reach every failure branch often,
    # few enough that most cases still run getpath.py to the end.
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 0, 1, 1, 2]))):
        base = draw(st.sampled_from(entries))
        directory = _dirname(base)
        kind = draw(st.sampled_from([
            "cfg-dir", "cfg-loop", "cfg-dangling", "cfg-big", "cfg-just-small", "cfg-nul",
            "builddir-dir", "builddir-big", "builddir-text", "setup-local-dir",
            "pth-dir", "pth-loop", "pth-big", "pth-empty",
            "pyc-landmark", "dynload-only", "zip-dir", "noexec-copy",
        ]))
        features.append(f"hazard:{kind}")
        cfg = draw(st.sampled_from([directory, _dirname(directory)])) + "/pyvenv.cfg"
        if kind == "cfg-dir":
            layout = _try_add(layout, cfg, Dir())
        elif kind == "cfg-loop":
            layout = _try_add(layout, cfg, Symlink("pyvenv.cfg"))
        elif kind == "cfg-dangling":
            layout = _try_add(layout, cfg, Symlink("missing.cfg"))
        elif kind == "cfg-big":
            layout = _try_add(layout, cfg, File(BIG))
        elif kind == "cfg-just-small":
            layout = _try_add(layout, cfg, File(b"home = " + directory.encode() + b"\n"
                                                + JUST_SMALL[:-len(directory) - 8]))
        elif kind == "cfg-nul":
            layout = _try_add(layout, cfg, File(b"home = " + directory.encode() + b"\0tail\n"))
        elif kind == "builddir-dir":
            layout = _try_add(layout, directory + "/pybuilddir.txt", Dir())
        elif kind == "builddir-big":
            layout = _try_add(layout, directory + "/pybuilddir.txt", File(BIG))
        elif kind == "builddir-text":
            text = draw(st.sampled_from([b"\n", b" \n", b"../x\nsecond\n", b"/abs/lib",
                                         b"build/lib.linux\r\n", b"a:b"]))
            layout = _try_add(layout, directory + "/pybuilddir.txt", File(text))
        elif kind == "setup-local-dir":
            layout = _try_add(layout, directory + "/Modules/Setup.local", Dir())
        elif kind == "pth-dir":
            layout = _try_add(layout, base + "._pth", Dir())
        elif kind == "pth-loop":
            layout = _try_add(layout, base + "._pth", Symlink(base.rpartition("/")[2] + "._pth"))
        elif kind == "pth-big":
            layout = _try_add(layout, base + "._pth", File(BIG))
        elif kind == "pth-empty":
            layout = _try_add(layout, base + "._pth", File(b""))
        elif kind == "pyc-landmark":
            layout = _try_add(layout, f"{_dirname(directory)}/{target.stdlib_subdir}/os.pyc", File())
        elif kind == "dynload-only":
            layout = _try_add(layout, f"{_dirname(directory)}/{target.stdlib_subdir}/lib-dynload",
                              Dir())
        elif kind == "zip-dir":
            layout = _try_add(layout, f"{_dirname(directory)}/{target.zip_name}", Dir())
        elif kind == "noexec-copy":
            layout = _try_add(layout, draw(st.sampled_from(_dirs(bound))) + "/" +
                              base.rpartition("/")[2], File(b"", 0o644))
    return layout


def _long_chain_venv(draw: st.DrawFn, layout: Layout, bound: BoundCase, target: Target,
                     entries: list[str], features: list[str]) -> Layout:
    """venv/bin/pythonX.Y -> l1 -> ... -> the binary, with a pyvenv.cfg naming the binary's
    directory: base_executable = realpath(executable) meets the 40-link limit (OSError,
    caught) or just misses it."""
    binary = draw(st.sampled_from(bound.binaries))
    links = draw(st.sampled_from([38, 39, 40, 41]))
    venv = _dirname(_dirname(binary)) + "-lv"
    if layout.node(venv) is not None:
        return layout
    chain = venv + "/chain"
    layout = layout.with_dir(chain)
    current = binary
    for i in range(links - 1):
        layout = layout.with_link(f"{chain}/l{i}", current if draw(st.booleans())
                                  else current.rpartition("/")[2] if current.startswith(chain)
                                  else current)
        current = f"{chain}/l{i}"
    exe = f"{venv}/bin/{target.exe_name}"
    layout = layout.with_link(exe, current)
    layout = layout.with_file(venv + "/pyvenv.cfg", f"home = {_dirname(binary)}\n".encode(
        "utf-8", "surrogateescape"))
    entries.append(exe)
    features.append(f"long-chain-venv:{links}")
    return layout


def _dirs(bound: BoundCase) -> list[str]:
    """Directories of the layout (where a stray file can go, what PYTHONHOME can name)."""
    return [p for p, n in bound.layout.items() if isinstance(n, Dir)] or ["/"]


def _invocation(draw: st.DrawFn, bound: BoundCase, entries: list[str], features: list[str]
                ) -> tuple[tuple[str, ...], dict[str, str]]:
    """argv and env as model.strategies wrote them, then spellings only getpath tells apart."""
    argv = list(bound.invocation.argv)
    env = dict(bound.invocation.env)
    added = len(entries) > len(bound.binaries) and entries[-1] not in _entries(bound)
    if argv and added and draw(st.booleans()):
        argv[0] = entries[-1]  # the entry the hazards added
    dirs = _dirs(bound)
    if argv and draw(st.integers(0, 5)) == 0:
        entry = draw(st.sampled_from(entries))
        argv[0] = draw(st.sampled_from([
            entry + "/", entry + "/sub", "/" + entry, entry.replace("/", "//", 2),
            "", "python3", "./" + entry.rpartition("/")[2], "../" + entry.rpartition("/")[2],
        ]))
        features.append("argv0:odd")
    if draw(st.integers(0, 40)) == 0:
        argv = []
        features.append("argv:empty")
    if "-S" in argv and draw(st.integers(0, 3)) == 0:
        argv.remove("-S")
        features.append("flag:site")
    if draw(st.integers(0, 9)) == 0:
        choice = draw(st.sampled_from(["unset", "", ":", "rel", "cwd-first", "trailing"]))
        current = env.get("PATH", "")
        env.pop("PATH", None)
        if choice != "unset":
            env["PATH"] = {"": "", ":": ":", "rel": "bin:" + current,
                           "cwd-first": ":" + current, "trailing": current + ":"}[choice]
        features.append(f"PATH:{choice}")
    if draw(st.integers(0, 9)) == 0:
        a, b = draw(st.sampled_from(dirs)), draw(st.sampled_from(dirs))
        env["PYTHONHOME"] = draw(st.sampled_from(
            [f"{a}:{b}", f"{a}:", f":{b}", ":", f"{a}/", "", "rel/home", f"{a}:{b}:{a}"]))
        features.append("env:PYTHONHOME")
    if draw(st.integers(0, 14)) == 0:
        env["__PYVENV_LAUNCHER__"] = draw(st.sampled_from(
            [*entries, "", "/fake/bin/python", "relative/python"]))
        features.append("env:__PYVENV_LAUNCHER__")
    if draw(st.integers(0, 19)) == 0:
        env["PYTHONEXECUTABLE"] = draw(st.sampled_from(["", "python3", entries[0] + "/x"]))
        features.append("env:PYTHONEXECUTABLE-odd")
    if draw(st.integers(0, 14)) == 0:
        env["PYTHONPATH"] = draw(st.sampled_from(["::", "/a//b/../c", "./x:", "~/y"]))
        features.append("env:PYTHONPATH-odd")
    return tuple(argv), env


def _build(draw: st.DrawFn, target: Target, bound: BoundCase, root: str,
           features: list[str]) -> BuildConstants:
    """Compiled-in constants: the install's own prefix, a foreign one, a missing one, none."""
    installs = [_dirname(_dirname(b)) for b in bound.binaries]
    prefixes = [*installs, "/usr/local", root + "/nowhere", ""]
    prefix = draw(st.sampled_from(prefixes))
    exec_prefix = prefix if draw(st.booleans()) else draw(st.sampled_from(prefixes))
    vpath = draw(st.sampled_from(["", "", "", "..", "../..", "src"]))
    pythonpath = draw(st.sampled_from([""] * 6 + ["plat-extra", "/abs/p:rel"]))
    if not prefix:
        features.append("build:no-PREFIX")
    if vpath:
        features.append("build:VPATH")
    if pythonpath:
        features.append("build:PYTHONPATH-macro")
    return BuildConstants(target.version, prefix, exec_prefix, target.platlibdir, vpath,
                          pythonpath, target.abi_thread)


def frozen_cases(oracle: Oracle, base: BaseCases = model_cases) -> st.SearchStrategy[FrozenCase]:
    """Cases for ``oracle``'s getpath: ``base`` builds the world, then the additions above."""
    version = oracle.version

    @st.composite
    def build(draw: st.DrawFn) -> FrozenCase:
        platlibdir = draw(st.sampled_from(["lib", "lib", "lib64"]))
        abi = draw(st.sampled_from(["", "t"])) if version >= (3, 13) else ""
        target = Target(version, platlibdir, abi)
        case = draw(base(target))
        root = draw(st.sampled_from(ROOTS))
        bound = case.at(root)
        features = list(case.features) + [f"platlibdir:{platlibdir}"] + (["abi:t"] if abi else [])
        entries = _entries(bound)
        layout = _hazards(draw, bound, target, entries, features)
        argv, env = _invocation(draw, bound, entries, features)
        constants = _build(draw, target, bound, root, features)
        cwd = kernel.chdir(layout, bound.invocation.cwd) or root
        return FrozenCase(layout, cwd, argv, tuple(sorted(env.items())), constants,
                          tuple(features))

    return build()


# -- fixtures ---------------------------------------------------------------------------------
def _id(oracle: Oracle) -> str:
    same = [o for o in ORACLES if o.short == oracle.short]
    return oracle.short if len(same) == 1 else f"{oracle.short}-{oracle.real_path}"


ORACLE_PARAMS = ([pytest.param(o, id=_id(o)) for o in ORACLES]
                 or [pytest.param(None, id="no-oracle")])


@pytest.fixture(scope="module")
def workers() -> Iterator[Callable[[Oracle], FrozenWorker]]:
    """One long-lived worker per interpreter, shared by the tests of this module."""
    started: dict[str, FrozenWorker] = {}

    def get(oracle: Oracle) -> FrozenWorker:
        if oracle.real_path not in started:
            started[oracle.real_path] = FrozenWorker(oracle)
        return started[oracle.real_path]

    yield get
    for worker in started.values():
        worker.close()


def _need(oracle: Oracle | None) -> Oracle:
    if oracle is None:
        if REQUIRE:
            pytest.fail(MISSING + " (PREFIXLAB_REQUIRE_ORACLES=1)")
        pytest.skip(MISSING)
    return oracle


def _differential(oracle: Oracle, worker: FrozenWorker, examples: int,
                  request: pytest.FixtureRequest) -> Tally:
    tally = Tally()

    @settings(max_examples=examples, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example])
    @given(frozen_cases(oracle))
    def run(case: FrozenCase) -> None:
        reports, batch = check(worker, [case], coverage=True)
        report = reports[0]
        tally.add(report, batch.lines)
        note(f"model rules: {report.model.rules}")
        assert not report.differences, report.text()

    try:
        run()
    finally:
        every = worker.info()["lines"]
        summary = tally.summary(every)
        print(f"\n[frozen getpath {oracle.name}] {summary}")
        cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
        if cache is not None:
            cache.set(f"prefixlab/frozen/{oracle.short}", {
                "interpreter": oracle.path, "cases": tally.cases, "failing": tally.failing,
                "rules": tally.rules, "frozen_errors": tally.frozen_errors,
                "features": tally.features, "lines_run": sorted(tally.lines),
                "lines_never_run": sorted(set(every) - tally.lines),
            })
    return tally


# -- tests ------------------------------------------------------------------------------------
@pytest.mark.parametrize("oracle", ORACLE_PARAMS)
def test_model_matches_frozen_getpath(oracle: Oracle | None, workers: Callable[
        [Oracle], FrozenWorker], request: pytest.FixtureRequest) -> None:
    found = _need(oracle)
    tally = _differential(found, workers(found), CASES, request)
    assert tally.cases >= min(CASES, 50)


@pytest.mark.sweep
@pytest.mark.parametrize("oracle", ORACLE_PARAMS)
def test_model_matches_frozen_getpath_sweep(oracle: Oracle | None, workers: Callable[
        [Oracle], FrozenWorker], request: pytest.FixtureRequest) -> None:
    if not request.config.getoption("sweep", default=False):
        pytest.skip("a long sweep: run with --sweep")
    found = _need(oracle)
    tally = _differential(found, workers(found), SWEEP_CASES, request)
    assert tally.cases >= SWEEP_CASES


def test_layouts_travel_to_the_worker_unchanged() -> None:
    """Any bytes, any mode, link targets verbatim, non-UTF-8 names (surrogate escapes)."""
    import json

    from prefixlab.impl.checks.frozen import layout_json
    from prefixlab.impl.checks.frozen_worker import layout_from_json

    odd = b"\xff\xfe".decode("utf-8", "surrogateescape")
    layout = (Layout()
              .with_file(f"/w/{odd}/f", bytes(range(256)), 0o4755)
              .with_file("/w/e\u00e9/cfg", b"home = /x\r\n\0tail", 0o600)
              .with_dir("/w/d", 0o700)
              .with_link("/w/l", "../w//d/./"))
    assert layout_from_json(json.loads(json.dumps(layout_json(layout)))) == layout


def test_differential_notices_a_wrong_model(workers: Callable[[Oracle], FrozenWorker],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """With the pyvenv.cfg stage removed from the model, a venv whose python is a link must
    show a difference (base_executable is then the link, not its target): the comparison
    has teeth."""
    if not ORACLES:
        _need(None)
    from prefixlab.model.startup import getpath
    from prefixlab.model.startup.getpath import venv

    oracle = ORACLES[-1]
    target = Target(oracle.version, "lib", "")
    inst, env = "/w/inst", "/w/venv"
    layout = (Layout()
              .with_file(f"{inst}/bin/{target.exe_name}", b"", 0o755)
              .with_file(f"{inst}/{target.stdlib_subdir}/os.py")
              .with_dir(f"{inst}/{target.stdlib_subdir}/lib-dynload")
              .with_link(f"{env}/bin/{target.exe_name}", f"{inst}/bin/{target.exe_name}")
              .with_file(f"{env}/pyvenv.cfg", f"home = {inst}/bin\n".encode()))
    case = FrozenCase(layout, "/w", (f"{env}/bin/{target.exe_name}", "-S", "-c", "pass"), (),
                      BuildConstants(oracle.version, "/usr/local", "/usr/local"))
    worker = workers(oracle)
    assert check(worker, [case])[0][0].differences == ()
    stages = tuple(s for s in getpath.ARRANGEMENTS["py-getpath"] if s is not venv.read_pyvenv_cfg)
    monkeypatch.setitem(getpath.ARRANGEMENTS, "py-getpath", stages)
    assert any(d.startswith("base_executable:") for d in check(worker, [case])[0][0].differences)


def test_every_frozen_interpreter_is_exercised(frozen_interpreters: list[Any]) -> None:
    """The shared discovery (tests/conftest.py, prefixlab.impl.host.interpreters) and this module's
    (prefixlab.impl.checks.frozen.discover) must not disagree: every interpreter known to ship the
    code object is one this module runs."""
    mine = {o.real_path for o in ORACLES}
    missing = [i.path for i in frozen_interpreters if os.path.realpath(i.real_path) not in mine]
    assert not missing, f"frozen getpath interpreters this module does not run: {missing}"


def test_worker_namespace_matches_code_object(workers: Callable[[Oracle], FrozenWorker]) -> None:
    """Every global the frozen code object reads before assigning it is one the worker's
    namespace provides, so a new input in a future getpath.py fails here, not as a
    NameError counted as a getpath failure."""
    if not ORACLES:
        _need(None)
    for oracle in ORACLES:
        info = workers(oracle).info()
        missing = set(info["required"]) - set(info["provided"])
        assert not missing, f"{oracle.name}: getpath.py reads globals the worker lacks: {missing}"
