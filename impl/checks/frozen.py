"""The frozen-getpath differential: the model's getpath stages against CPython's own
Modules/getpath.py, run from the code object each 3.11+ interpreter ships
(``_testinternalcapi.get_getpath_codeobject()``), on the same filesystem value.

One long-lived worker process per target interpreter (:mod:`prefixlab.impl.checks.frozen_worker`)
receives batches of cases as JSON and executes the code object with *our* helpers over the
case's layout, so a disagreement is a disagreement about the algorithm — the order of the
stages and the branches of getpath.py — never about stat() or readlink().  CPython's own
Lib/test/test_getpath.py drives the same code object the same way.

Typical use::

    oracle = discover()[0]
    with FrozenWorker(oracle) as worker:
        reports, batch = check(worker, cases, coverage=True)
        for report in reports:
            if report.differences:
                print(report.text())

Where the two sides legitimately cannot agree the comparison says so in one place
(:func:`differences`): an empty compiled-in PREFIX is None to getpath.py and '' to the model.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import prefixlab.model
from prefixlab.impl.host import interpreters
from prefixlab.model.startup import cmdline
from prefixlab.model.startup import getpath
from prefixlab.model.errors import PrefixlabError
from prefixlab.model.world.build import BuildConstants, behaviour_for
from prefixlab.model.world.fs import Dir, File, Layout, Symlink
from prefixlab.model.startup.getpath.context import Inputs, StartupFailed

WORKER_SCRIPT = Path(__file__).resolve().with_name("frozen_worker.py")
MODEL_DIR = Path(prefixlab.model.__file__).resolve().parent



# -- the oracles ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Oracle:
    """An interpreter that ships the frozen getpath code object."""

    path: str
    real_path: str
    version: tuple[int, int, int]
    constants: BuildConstants
    """Its own build constants (PREFIX, EXEC_PREFIX, PLATLIBDIR, VPATH, ABI_THREAD)."""

    @property
    def name(self) -> str:
        return f"{'%d.%d.%d' % self.version} ({self.path})"

    @property
    def short(self) -> str:
        return "%d.%d.%d" % self.version


_HAS_CODE = ("import _testinternalcapi as t\n"
             "print(hasattr(t, 'get_getpath_codeobject'))")


def has_frozen_getpath(binary: str) -> bool:
    """Does this interpreter ship the frozen getpath code object (with its test modules)?"""
    try:
        done = subprocess.run([binary, "-I", "-S", "-c", _HAS_CODE], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == "True"


@lru_cache(maxsize=1)
def discover() -> tuple[Oracle, ...]:
    """Every in-scope interpreter the shared discovery finds (prefixlab.impl.host.interpreters:
    pyenv, system, PATH, PREFIXLAB_PYTHONS) that ships the frozen getpath code object, with
    the build constants learned there."""
    oracles = [Oracle(i.path, i.real_path, i.version, i.constants)
               for i in interpreters.discover()
               if i.in_scope and i.version and i.constants and has_frozen_getpath(i.real_path)]
    return tuple(sorted(oracles, key=lambda o: (o.version, o.path)))


# -- the cases --------------------------------------------------------------------------------
@dataclass(frozen=True)
class FrozenCase:
    """What getpath is run on: a filesystem value, the process's physical cwd, argv, the
    environment and the build constants (the StartupConfig is derived from argv and env by
    the model's command-line parser, on both sides)."""

    layout: Layout
    cwd: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    build: BuildConstants
    features: tuple[str, ...] = ()
    """What the case was built from (for the layout mix)."""

    @property
    def environ(self) -> dict[str, str]:
        return dict(self.env)


def _encode_data(data: bytes) -> str:
    return "l:" + data.decode("latin-1")


def layout_json(layout: Layout) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for path, node in layout.items():
        if isinstance(node, File):
            out[path] = ["file", _encode_data(node.data), node.mode]
        elif isinstance(node, Dir):
            out[path] = ["dir", node.mode]
        elif isinstance(node, Symlink):
            out[path] = ["link", node.target]
    return out


def _config_flags(case: FrozenCase) -> cmdline.StartupConfig | None:
    row = behaviour_for(case.build.version)
    line = cmdline.parse(case.argv[1:], row)
    if line.usage_error or line.not_modelled:
        return None
    return cmdline.startup_config(line, case.environ, row)


def case_json(case: FrozenCase) -> dict[str, Any]:
    config = _config_flags(case)
    if config is None:
        raise ValueError(f"argv {case.argv!r}: getpath never runs (usage error or not modelled)")
    b = case.build
    return {
        "layout": layout_json(case.layout),
        "cwd": case.cwd,
        "argv": list(case.argv),
        "env": dict(case.env),
        "build": {"version": list(b.version), "prefix": b.prefix, "exec_prefix": b.exec_prefix,
                  "platlibdir": b.platlibdir, "vpath": b.vpath, "pythonpath": b.pythonpath,
                  "abi_thread": b.abi_thread},
        "config": {"use_environment": config.use_environment, "isolated": config.isolated,
                   "site_import": config.site_import, "safe_path": config.safe_path,
                   "pythonpath_env": config.pythonpath_env, "platlibdir": config.platlibdir},
    }


# -- results ----------------------------------------------------------------------------------
FIELDS = ("executable", "base_executable", "prefix", "exec_prefix", "base_prefix",
          "base_exec_prefix", "module_search_paths", "stdlib_dir", "platstdlib_dir",
          "isolated", "site_import", "safe_path", "home", "is_python_build")
"""Compared in this order.  home and is_python_build are PyConfig outputs sys does not show
(config->home, config->_is_python_build) but they pin down which branch was taken."""


@dataclass(frozen=True)
class GetpathResult:
    """One side's answer: the fields (None when getpath raised), warnings, the error."""

    fields: Mapping[str, object] | None
    warnings: tuple[str, ...]
    error: tuple[str, str] | None = None
    """(exception type name, or '' when the side does not record one; message)."""
    rules: tuple[str, ...] = ()
    """Model only: the rule ids that fired, in order."""


def _frozen_result(raw: Mapping[str, Any]) -> GetpathResult:
    warnings = tuple(raw.get("warnings", ()))
    if "error" in raw:
        name, message = raw["error"]
        return GetpathResult(None, warnings, (str(name), str(message)))
    config = raw["config"]
    paths = config.get("module_search_paths")
    fields: dict[str, object] = {
        "executable": config.get("executable"),
        "base_executable": config.get("base_executable"),
        "prefix": config.get("prefix"),
        "exec_prefix": config.get("exec_prefix"),
        "base_prefix": config.get("base_prefix"),
        "base_exec_prefix": config.get("base_exec_prefix"),
        "module_search_paths": None if paths is None else tuple(paths),
        "stdlib_dir": config.get("stdlib_dir"),
        "platstdlib_dir": config.get("platstdlib_dir"),
        "isolated": bool(config.get("isolated")),
        "site_import": bool(config.get("site_import")),
        "safe_path": bool(config.get("safe_path")),
        "home": config.get("home"),
        "is_python_build": bool(config.get("_is_python_build")),
    }
    return GetpathResult(fields, warnings)


_PREFIX_FIELDS = frozenset({"prefix", "exec_prefix", "base_prefix", "base_exec_prefix"})
_ERROR_NAME = re.compile(r"\b([A-Z][A-Za-z]*Error)\b")


def model_getpath(case: FrozenCase) -> GetpathResult:
    """The model's getpath stages on the case (prefixlab.model.startup.getpath.run)."""
    row = behaviour_for(case.build.version)
    env = case.environ
    line = cmdline.parse(case.argv[1:], row)
    inputs = Inputs(case.layout, case.cwd, case.build, row, case.argv, env, line,
                    cmdline.startup_config(line, env, row))
    try:
        calc = getpath.run(inputs)
    except StartupFailed as failure:
        partial = failure.calc
        named = _ERROR_NAME.search(failure.message) if failure.kind == "getpath-error" else None
        return GetpathResult(
            None, tuple(partial.warnings) if partial else (),
            (named.group(1) if named else "", f"{failure.kind}: {failure.message}"),
            tuple(rule.id for rule, *_ in partial.steps) if partial else ())
    fields: dict[str, object] = {
        "executable": calc.executable,
        "base_executable": calc.base_executable,
        "prefix": calc.prefix,
        "exec_prefix": calc.exec_prefix,
        "base_prefix": calc.base_prefix or calc.prefix,
        "base_exec_prefix": calc.base_exec_prefix or calc.exec_prefix,
        "module_search_paths": tuple(calc.module_search_paths),
        "stdlib_dir": calc.stdlib_dir or "",
        "platstdlib_dir": calc.platstdlib_dir or "",
        "isolated": bool(calc.isolated),
        "site_import": bool(calc.site_import),
        "safe_path": bool(calc.safe_path),
        "home": calc.home,
        "is_python_build": bool(calc.build_prefix),
    }
    return GetpathResult(fields, tuple(calc.warnings), None,
                         tuple(rule.id for rule, *_ in calc.steps))


def differences(model: GetpathResult, frozen: GetpathResult) -> tuple[str, ...]:
    """Readable sentences, one per disagreement ('field: model X, frozen Y')."""
    out: list[str] = []
    if model.error or frozen.error:
        if model.error and frozen.error:
            # Both failed; the exception type must agree where the model names one.
            if model.error[0] and model.error[0] != frozen.error[0]:
                out.append(f"error: model {model.error[0]} ({model.error[1]}), "
                           f"frozen {frozen.error[0]} ({frozen.error[1]})")
        elif model.error:
            out.append(f"outcome: model failed ({model.error[1]}), frozen finished "
                       f"(prefix {frozen.fields and frozen.fields.get('prefix')!r})")
        else:
            assert frozen.error is not None
            out.append(f"outcome: model finished (prefix "
                       f"{model.fields and model.fields.get('prefix')!r}), frozen raised "
                       f"{frozen.error[0]}: {frozen.error[1]}")
    else:
        assert model.fields is not None and frozen.fields is not None
        for name in FIELDS:
            mine, theirs = model.fields.get(name), frozen.fields.get(name)
            if theirs is None and mine == "" and name in _PREFIX_FIELDS:
                # An empty compiled-in PREFIX/EXEC_PREFIX reaches getpath.py as None
                # (decode_to_dict) and a build tree copies it out as None; the model's
                # BuildConstants hold ''.  Only a build configured with an empty prefix,
                # which configure never makes, can tell them apart.
                continue
            if mine != theirs:
                out.append(f"{name}: model {model.fields.get(name)!r}, "
                           f"frozen {frozen.fields.get(name)!r}")
    if model.warnings != frozen.warnings:
        out.append(f"warnings: model {list(model.warnings)!r}, frozen {list(frozen.warnings)!r}")
    return tuple(out)


def describe(case: FrozenCase) -> str:
    """The case, replayable by eye: invocation, build constants, then every node."""
    b = case.build
    lines = [
        f"argv {list(case.argv)!r}  cwd {case.cwd!r}",
        f"env {dict(case.env)!r}",
        f"build {b.version_text} PREFIX={b.prefix!r} EXEC_PREFIX={b.exec_prefix!r} "
        f"PLATLIBDIR={b.platlibdir!r} VPATH={b.vpath!r} PYTHONPATH={b.pythonpath!r} "
        f"ABI_THREAD={b.abi_thread!r}",
    ]
    for path, node in case.layout.items():
        if isinstance(node, Symlink):
            lines.append(f"  {path} -> {node.target}")
        elif isinstance(node, File):
            data = node.data if len(node.data) <= 80 else node.data[:60] + b"...(%d bytes)" % len(
                node.data)
            lines.append(f"  {path}  file {oct(node.mode)} {data!r}")
        elif not case.layout.children(path):
            lines.append(f"  {path}/  dir {oct(node.mode)}")
    return "\n".join(lines)


# -- the worker --------------------------------------------------------------------------------
class WorkerError(PrefixlabError, RuntimeError):
    """The worker died, timed out, or refused a request."""


@dataclass(frozen=True)
class Batch:
    results: tuple[GetpathResult, ...]
    seconds: float
    """Time spent inside exec() of the code object, measured in the worker."""
    lines: frozenset[int] = frozenset()
    """Lines of getpath.py that ran (when coverage was asked for)."""


class FrozenWorker:
    """A long-lived target interpreter running frozen_worker.py; one request at a time."""

    def __init__(self, oracle: Oracle, *, timeout: float = 120.0,
                 import_root: str | None = None) -> None:
        """``import_root``: a directory holding the ``prefixlab.model`` whose helpers the
        worker uses (the benchmark passes its compiled build); by default the project's
        model/ as Python source."""
        self.oracle = oracle
        self.timeout = timeout
        self._own_root = import_root is None
        if import_root is None:
            self._root = tempfile.mkdtemp(prefix="prefixlab-frozen-")
            package = os.path.join(self._root, "prefixlab")
            os.mkdir(package)  # no __init__: a namespace package, as in the editable install
            os.symlink(MODEL_DIR, os.path.join(package, "model"))
        else:
            self._root = import_root
        self._stderr: IO[bytes] = tempfile.TemporaryFile()
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._info: dict[str, Any] | None = None
        self._start()

    # -- process ------------------------------------------------------------------------------
    def _start(self) -> None:
        # -B: the target must not write its own .pyc files into the project's model/.
        self._proc = subprocess.Popen(
            [self.oracle.path, "-I", "-S", "-B", str(WORKER_SCRIPT), self._root],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        self._lines = queue.Queue()
        stdout = self._proc.stdout
        assert stdout is not None
        lines = self._lines

        def pump() -> None:
            for raw in stdout:
                lines.put(raw)
            lines.put(b"")

        threading.Thread(target=pump, daemon=True).start()

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-2000:]

    def _request(self, request: Mapping[str, Any]) -> dict[str, Any]:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            raise WorkerError(f"{self.oracle.name}: worker not running\n{self._stderr_tail()}")
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            proc.stdin.flush()
        except BrokenPipeError:
            raise WorkerError(f"{self.oracle.name}: worker died\n{self._stderr_tail()}") from None
        try:
            raw = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            self.close()
            raise WorkerError(f"{self.oracle.name}: no answer in {self.timeout} s") from None
        if not raw:
            raise WorkerError(f"{self.oracle.name}: worker exited\n{self._stderr_tail()}")
        answer: dict[str, Any] = json.loads(raw)
        if "fatal" in answer:
            raise WorkerError(f"{self.oracle.name}: {answer['fatal']}")
        return answer

    # -- API ------------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """The worker's interpreter version, the code object's names and executable lines."""
        if self._info is None:
            self._info = self._request({"op": "info"})
        return self._info

    def run(self, cases: Sequence[FrozenCase], *, coverage: bool = False,
            repeat: int = 1) -> Batch:
        """Run the frozen code object on each case (``repeat`` times, for timing)."""
        answer = self._request({"op": "run", "cases": [case_json(c) for c in cases],
                                "coverage": coverage, "repeat": repeat})
        return Batch(tuple(_frozen_result(r) for r in answer["results"]),
                     float(answer["seconds"]), frozenset(answer.get("lines", ())))

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.poll() is None and proc.stdin is not None:
                    proc.stdin.write(b'{"op": "quit"}\n')
                    proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        if self._own_root:
            shutil.rmtree(self._root, ignore_errors=True)
        self._stderr.close()

    def __enter__(self) -> FrozenWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the differential --------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    """One case run both ways."""

    case: FrozenCase
    model: GetpathResult
    frozen: GetpathResult
    differences: tuple[str, ...]

    def text(self) -> str:
        head = f"{len(self.differences)} difference(s):\n  " + "\n  ".join(self.differences)
        return f"{head}\ncase:\n{describe(self.case)}"


def check(worker: FrozenWorker, cases: Iterable[FrozenCase], *,
          coverage: bool = False) -> tuple[list[Report], Batch]:
    """Run every case on both sides; the reports (with or without differences) and the
    worker's batch (timing, coverage)."""
    batch_cases = list(cases)
    batch = worker.run(batch_cases, coverage=coverage)
    reports = []
    for case, frozen in zip(batch_cases, batch.results):
        model = model_getpath(case)
        reports.append(Report(case, model, frozen, differences(model, frozen)))
    return reports, batch


@dataclass
class Tally:
    """Running totals of a differential run (mutable: filled case by case)."""

    cases: int = 0
    failing: int = 0
    frozen_errors: dict[str, int] = field(default_factory=dict)
    rules: dict[str, int] = field(default_factory=dict)
    features: dict[str, int] = field(default_factory=dict)
    lines: set[int] = field(default_factory=set)
    started: float = field(default_factory=time.perf_counter)

    def add(self, report: Report, lines: Iterable[int] = ()) -> None:
        self.cases += 1
        self.failing += bool(report.differences)
        if report.frozen.error:
            name = report.frozen.error[0]
            self.frozen_errors[name] = self.frozen_errors.get(name, 0) + 1
        for rule in set(report.model.rules):
            self.rules[rule] = self.rules.get(rule, 0) + 1
        for feature in set(report.case.features):
            self.features[feature] = self.features.get(feature, 0) + 1
        self.lines.update(lines)

    def summary(self, all_lines: Iterable[int] = ()) -> str:
        every = set(all_lines)
        covered = f", getpath.py lines run {len(self.lines & every)}/{len(every)}" if every else ""
        errors = ", ".join(f"{k} {v}" for k, v in sorted(self.frozen_errors.items()))
        rules = ", ".join(f"{k} {v}" for k, v in sorted(self.rules.items()))
        return (f"{self.cases} cases in {time.perf_counter() - self.started:.1f} s, "
                f"{self.failing} with differences{covered}; frozen raised: {errors or 'never'}"
                f"\nrules fired (cases): {rules}")
