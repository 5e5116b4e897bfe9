"""The environment spec as properties: what a composed environment and the venvs made from it
must do when the real interpreter runs them.

A property is a named, documented value (:class:`Property`: id, statement, source).  Checking
is pure: the impl side (impl/checks/spec.py) builds an environment, runs the real
interpreters and scripts with a clean environment and hands over what they printed
(:class:`EnvObservation`); :func:`check_env` compares it with the environment's description
(:class:`EnvDescription`: its path, its packages' modules and scripts, its flavour) and returns
one :class:`Verdict` per property with a one-line reason.  A property without an observation
is left out of the answer rather than guessed (a quick check may skip the venvs).

Three groups (what README.md promises of ``prefixlab build env``):

* **env**: run as ``ENV/bin/python*`` (by absolute path and by name on PATH) the interpreter
  has ``sys.prefix == sys.base_prefix == ENV`` (ENV made absolute, not resolved);
  ``sys.executable`` is inside ``ENV/bin``; every package module imports; every package script
  runs with the environment's interpreter (its ``sys.prefix`` and ``sys.base_prefix`` are ENV),
  sees the packages, runs every line (markers), keeps the options of its ``#!`` line and the
  variables its own wrappers set; reached through a symbolic link to ENV's directory, the
  interpreter reports the prefix the builder documents (:data:`THROUGH_LINK`);
* **venv from env**: ``ENV/bin/python -m venv --system-site-packages V`` gives
  ``sys.prefix == V``, ``sys.base_prefix == ENV`` and sees V's and ENV's packages; without the
  flag only V's;
* **PEP 405** (any venv; PEP 405 'Specification' and the PyPA specification "Python Virtual
  Environments", pypa/packaging.python.org source/specifications/virtual-environments.rst): a
  ``pyvenv.cfg`` with ``home`` beside or above the executable; ``sys.prefix``/``exec_prefix``
  the venv, ``base_prefix``/``base_exec_prefix`` the base installation; the venv's own
  site-packages on ``sys.path`` ahead of any system one; system site-packages exactly when
  ``include-system-site-packages`` is true.

:data:`KNOWN_FAILURES` lists what each historical nixpkgs flavour is known to fail, under
prefixlab's ids for the known failures (F-a1, F-b1, ...: ``a`` the classic wrapper.nix, ``b``
nixpkgs #297628, ``d`` the argv0-preserving wrapper of #442540 and #462090), each with the
nixpkgs file, pull request or issue it comes from.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from prefixlab.model.speedups import dataclass

# -- the properties ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Property:
    id: str
    group: Literal["env", "venv-from-env", "pep405"]
    statement: str
    source: str


_NIX_PYTHON = "nixpkgs pkgs/development/interpreters/python/"
"""The folder of nixpkgs' Python interpreters: wrapper.nix (python.buildEnv), sitecustomize.py,
tests.nix and tests/test_environments/test_python.py."""
_README = "README.md, prefixlab build env"
"""What the command promises (its section of README.md)."""
_README_SCRIPTS = f"{_README} (package scripts)"
PROPERTIES: tuple[Property, ...] = (
    Property("env.prefix", "env",
             "Every interpreter entry ENV/bin/python* (run by absolute path, and by name with "
             "ENV/bin first on PATH) reports sys.prefix == sys.base_prefix == sys.exec_prefix "
             "== ENV, ENV as written (absolute, not resolved).",
             f"{_README}; {_NIX_PYTHON}tests/test_environments/test_python.py (nixenv: "
             f"sys.prefix == ENV); F-a1: {_NIX_PYTHON}sitecustomize.py leaves sys.base_prefix, "
             f"nixpkgs #66366; F-d8: {_NIX_PYTHON}wrapper.nix after #442540 (readlink test)"),
    Property("env.executable", "env",
             "sys.executable of every interpreter entry is inside ENV/bin, so that programs "
             "re-running sys.executable stay in the environment.",
             f"{_NIX_PYTHON}tests/test_environments/test_python.py "
             "(sys.executable == INTERPRETER)"),
    Property("env.imports", "env",
             "Every module the packages provide imports in the environment's interpreter.",
             _README),
    Property("env.scripts.interpreter", "env",
             "Every package script written in Python runs with the environment's interpreter: "
             "inside it sys.prefix == sys.base_prefix == ENV.",
             f"{_README_SCRIPTS}; F-d8: {_NIX_PYTHON}wrapper.nix (scripts keep the NIX_* "
             "wrapper), nixpkgs #66366; F-b6: nixpkgs #301444 (xonsh, dontWrapPythonPrograms)"),
    Property("env.scripts.packages", "env",
             "Inside every package script written in Python, every package module imports.",
             f"{_README_SCRIPTS}; F-b6: nixpkgs #301444"),
    Property("env.scripts.intact", "env",
             "Every package script exits 0 having run every line: it prints all its markers in "
             "order, and its docstring and __future__ imports are the package's.",
             f"{_README_SCRIPTS}; F-b1: nixpkgs #302315 (pretalx), reverted by #302385; "
             f"F-b2, F-b3: {_NIX_PYTHON}wrapper.nix of #297628 (review on wrapper.nix:48)"),
    Property("env.scripts.options", "env",
             "A Python script whose #! line passes interpreter options runs with them in effect "
             "(-O, -E, -s, -B, -u).",
             f"F-b5: {_NIX_PYTHON}wrapper.nix of #297628 (writes #!$out/bin/python3.X); "
             "Linux fs/binfmt_script.c (one argument after the interpreter)"),
    Property("env.scripts.wrapper-env", "env",
             "Every variable a package's own wrapper sets has that value when the wrapped "
             "program runs in the environment.",
             f"{_README_SCRIPTS}; F-b2, F-b4: {_NIX_PYTHON}wrapper.nix of #297628, which "
             "drops the package's makeWrapper wrapper"),
    Property("env.through-link", "env",
             "Reached through a symbolic link L to ENV's directory, L/bin/python* reports "
             "sys.prefix == sys.base_prefix == the prefix the builder documents (THROUGH_LINK).",
             f"{_README} (TARGET's path); CPython Modules/getpath.c getpath_realpath (3.11+, "
             "as prior releases) resolves a linked file, never a directory of its path; "
             "F-d4: nixpkgs #448141"),
    Property("venv-from-env.system-site", "venv-from-env",
             "ENV/bin/python -m venv --system-site-packages V: V/bin/python has "
             "sys.prefix == V, sys.base_prefix == ENV, and V's and ENV's packages import.",
             f"{_README}; discourse.nixos.org/t/24766; nixpkgs #297628, #442540; F-a2: nixpkgs "
             f"#88711; F-b7: {_NIX_PYTHON}wrapper.nix of #297628 (--argv0 $out/bin/NAME)"),
    Property("venv-from-env.isolated", "venv-from-env",
             "ENV/bin/python -m venv V: V/bin/python has sys.prefix == V, "
             "sys.base_prefix == ENV, V's packages import and ENV's do not.",
             f"{_README}; PEP 405 'Isolation from system site-packages'; nixpkgs #442540"),
    Property("pep405.marker", "pep405",
             "V/pyvenv.cfg exists beside or one level above the executable and has a home key "
             "naming an existing directory.",
             "PEP 405 'Specification'; PyPA spec virtual-environments.rst"),
    Property("pep405.prefixes", "pep405",
             "In the venv, sys.prefix == sys.exec_prefix == V and sys.base_prefix == "
             "sys.base_exec_prefix == the base installation.",
             "PEP 405 'Specification' (sys.prefix / sys.base_prefix)"),
    Property("pep405.site-packages", "pep405",
             "The venv's own site-packages is on sys.path, ahead of any system site directory, "
             "and a module installed there imports.",
             "PEP 405 'Isolation from system site-packages'"),
    Property("pep405.isolation", "pep405",
             "The base installation's site-packages is on sys.path (after the venv's) exactly "
             "when include-system-site-packages is true.",
             "PEP 405 'Isolation from system site-packages'; PyPA spec "
             "virtual-environments.rst"),
)
BY_ID: dict[str, Property] = {p.id: p for p in PROPERTIES}

ThroughLink = Literal["as-reached", "resolved"]
THROUGH_LINK: ThroughLink = "as-reached"
"""What the reference flavour documents (model/builders/reference.py, 'The environment's path'; README
'build env'): reached through a link L to its
directory, the environment's prefix is L, the path as the caller wrote it (CPython does not
resolve the directories of its executable's path: Modules/getpath.c getpath_realpath, "only
resolves a symlinked file, and does not resolve any path segments").  "resolved" would be
ENV's own path."""

# -- what the real interpreter printed ----------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """What the probe printed from inside one running interpreter."""

    executable: str
    prefix: str
    base_prefix: str
    exec_prefix: str
    base_exec_prefix: str
    path: tuple[str, ...] = ()
    imports: tuple[tuple[str, str], ...] = ()
    """(module, '' when it imported, else the error's one line)."""
    flags: tuple[tuple[str, int], ...] = ()
    """sys.flags fields (optimize, ignore_environment, no_user_site, dont_write_bytecode) and
    write_through (sys.stdout's, which -u turns on)."""
    doc: str | None = None
    """A script's __doc__."""
    futures: tuple[str, ...] = ()
    """The __future__ features a script's globals hold."""


@dataclass(frozen=True)
class Run:
    """One program run: how it was started, its exit status, what it reported."""

    how: str
    status: int
    report: Report | None = None
    marks: tuple[int, ...] = ()
    """The markers a package script printed, in order."""
    environ: tuple[tuple[str, str], ...] = ()
    """Variables the program reported (a script's wrapper variables)."""
    error: str = ""
    """The last line of its standard error, for reasons."""


@dataclass(frozen=True)
class VenvObservation:
    path: str
    base: str
    """The base installation the venv must report (ENV for a venv made from ENV)."""
    system_site: bool
    created: Run
    """The command that made the venv."""
    cfg: tuple[tuple[str, str], ...] = ()
    """pyvenv.cfg's keys and values (lower-cased keys); empty when absent."""
    cfg_home_is_dir: bool = False
    run: Run | None = None
    """V/bin/python running the probe."""
    own_module: str = ""
    """A module written into the venv's own site-packages."""
    base_modules: tuple[str, ...] = ()
    """Modules only the base installation's site-packages provides."""
    own_site: str = ""
    """The venv's site-packages directory (as V is written)."""
    base_sites: tuple[str, ...] = ()
    """The base installation's site directories (as the base is written)."""


@dataclass(frozen=True)
class EnvObservation:
    entries: tuple[Run, ...] = ()
    """Interpreter entries run with the probe (absolute path, and by name on PATH)."""
    scripts: tuple[tuple[str, Run], ...] = ()
    """(script name, its run)."""
    through_link: tuple[Run, ...] = ()
    link: str = ""
    venvs: tuple[VenvObservation, ...] = ()


# -- what the environment should be -------------------------------------------------------------


@dataclass(frozen=True)
class ScriptExpectation:
    name: str
    """bin/NAME in the environment."""
    tag: str
    """The tag its markers carry (a link's is its target's)."""
    marks: int
    """A complete run prints markers 1..marks."""
    python: bool
    """Its code is Python run by the environment's interpreter (it reports sys values)."""
    kind: str = ""
    wrapper_env: tuple[tuple[str, str], ...] = ()
    options: tuple[str, ...] = ()
    """Single-letter interpreter options of its #! line (e.g. ('O',))."""
    doc: str | None = None
    futures: tuple[str, ...] = ()
    probes: tuple[str, ...] = ()
    """The modules its probe tries to import ('' = all the environment's)."""
    check_doc: bool = True
    """False for installer's trampoline, whose docstring is its exec line (a builder rewrites
    the interpreter path in it)."""


@dataclass(frozen=True)
class EnvDescription:
    path: str
    """ENV made absolute, not resolved."""
    real_path: str = ""
    """ENV with links resolved ('' = path)."""
    modules: tuple[str, ...] = ()
    scripts: tuple[ScriptExpectation, ...] = ()
    flavour: str = "reference"
    through_link: ThroughLink = THROUGH_LINK


@dataclass(frozen=True)
class Verdict:
    property: str
    ok: bool
    reason: str


# -- checking -----------------------------------------------------------------------------------
def _prefixes(report: Report) -> str:
    return (f"prefix={report.prefix} base_prefix={report.base_prefix} "
            f"exec_prefix={report.exec_prefix}")


def _why_not_started(run: Run) -> str:
    return f"{run.how}: exit {run.status}, no report" + (f" ({run.error})" if run.error else "")


def _all(pid: str, failures: Iterable[str], ok_reason: str) -> Verdict:
    first = next(iter(failures), None)
    return Verdict(pid, first is None, ok_reason if first is None else first)


def check_prefix(runs: Sequence[Run], expected: str, pid: str = "env.prefix") -> Verdict:
    def bad() -> Iterable[str]:
        for run in runs:
            r = run.report
            if r is None:
                yield _why_not_started(run)
            elif not (r.prefix == r.base_prefix == r.exec_prefix == expected):
                yield f"{run.how}: {_prefixes(r)}, expected all {expected}"
    return _all(pid, bad(), f"{len(runs)} runs: prefix == base_prefix == {expected}")


def check_executable(runs: Sequence[Run], env: str) -> Verdict:
    def bad() -> Iterable[str]:
        for run in runs:
            if run.report is not None and not run.report.executable.startswith(env + "/bin/"):
                yield f"{run.how}: sys.executable {run.report.executable} is not in {env}/bin"
    return _all("env.executable", bad(), f"sys.executable in {env}/bin")


def _failed_imports(report: Report, names: Iterable[str]) -> list[str]:
    got = dict(report.imports)
    return [f"{n} ({got[n]})" if n in got else f"{n} (not tried)"
            for n in names if got.get(n, "not tried") != ""]


def check_imports(runs: Sequence[Run], modules: Sequence[str]) -> Verdict:
    def bad() -> Iterable[str]:
        for run in runs:
            if run.report is None:
                yield _why_not_started(run)
                continue
            missing = _failed_imports(run.report, modules)
            if missing:
                yield f"{run.how}: cannot import {', '.join(missing[:3])}"
    return _all("env.imports", bad(), f"{len(modules)} modules import")


def _script_runs(desc: EnvDescription, obs: EnvObservation
                 ) -> list[tuple[ScriptExpectation, Run | None]]:
    runs = dict(obs.scripts)
    return [(s, runs.get(s.name)) for s in desc.scripts]


def _unreported(script: ScriptExpectation, run: Run | None) -> str:
    """Why a Python script gave no report: not run at all, or how its start failed."""
    return f"bin/{script.name}: " + ("not run" if run is None else _why_not_started(run))


def check_scripts_interpreter(desc: EnvDescription, obs: EnvObservation) -> Verdict:
    def bad() -> Iterable[str]:
        for script, run in _script_runs(desc, obs):
            if not script.python:
                continue
            if run is None or run.report is None:
                yield _unreported(script, run)
            elif not run.report.prefix == run.report.base_prefix == desc.path:
                yield f"bin/{script.name}: {_prefixes(run.report)}, expected {desc.path}"
    n = sum(s.python for s in desc.scripts)
    return _all("env.scripts.interpreter", bad(), f"{n} Python scripts run with the env")


def check_scripts_packages(desc: EnvDescription, obs: EnvObservation) -> Verdict:
    def bad() -> Iterable[str]:
        for script, run in _script_runs(desc, obs):
            if not script.python:
                continue
            if run is None or run.report is None:
                yield _unreported(script, run)
                continue
            missing = _failed_imports(run.report, script.probes or desc.modules)
            if missing:
                yield f"bin/{script.name}: cannot import {', '.join(missing[:3])}"
    return _all("env.scripts.packages", bad(), "every Python script sees every package")


def check_scripts_intact(desc: EnvDescription, obs: EnvObservation) -> Verdict:
    def bad() -> Iterable[str]:
        for script, run in _script_runs(desc, obs):
            where = f"bin/{script.name}"
            if run is None:
                yield f"{where}: not run"
            elif run.status != 0:
                yield f"{where}: exit {run.status}" + (f" ({run.error})" if run.error else "")
            elif run.marks != tuple(range(1, script.marks + 1)):
                yield f"{where}: markers {list(run.marks)}, expected 1..{script.marks}"
            elif script.python and run.report is None:
                yield f"{where}: no report"
            elif script.python and script.check_doc and run.report is not None and \
                    run.report.doc not in (script.doc, compiled_doc_313(script.doc)):
                yield f"{where}: __doc__ {run.report.doc!r}, expected {script.doc!r}"
            elif script.python and run.report is not None and \
                    sorted(run.report.futures) != sorted(script.futures):
                yield f"{where}: __future__ {list(run.report.futures)}, expected " \
                      f"{list(script.futures)}"
    return _all("env.scripts.intact", bad(), f"{len(desc.scripts)} scripts ran every line")


OPTION_FLAGS: Mapping[str, str] = {"O": "optimize", "E": "ignore_environment",
                                   "s": "no_user_site", "B": "dont_write_bytecode",
                                   "u": "write_through"}
"""Single-letter options a #! line may pass, and the flag each turns on (CPython's
Modules/main.c usage text; -u: sys.stdout is write-through).  PYTHONNOUSERSITE, which
nixpkgs' wrappers set, also turns no_user_site on: -s alone cannot show a dropped option
behind such a wrapper (-O, -B and -u can)."""


def check_scripts_options(desc: EnvDescription, obs: EnvObservation) -> Verdict:
    def bad() -> Iterable[str]:
        for script, run in _script_runs(desc, obs):
            if not script.python or not script.options:
                continue
            if run is None or run.report is None:
                yield _unreported(script, run)
                continue
            flags = dict(run.report.flags)
            off = [o for o in script.options if not flags.get(OPTION_FLAGS[o], 0)]
            if off:
                yield f"bin/{script.name}: #! option(s) -{''.join(off)} not in effect"
    return _all("env.scripts.options", bad(), "#! options in effect")


def check_scripts_wrapper_env(desc: EnvDescription, obs: EnvObservation) -> Verdict:
    def bad() -> Iterable[str]:
        for script, run in _script_runs(desc, obs):
            if not script.wrapper_env:
                continue
            got = dict(run.environ) if run is not None else {}
            for name, value in script.wrapper_env:
                if got.get(name) != value:
                    seen = got.get(name, "unset" if run is not None and run.marks
                                   else "not reported")
                    yield f"bin/{script.name}: {name}={seen!r}, its wrapper sets {value!r}"
    return _all("env.scripts.wrapper-env", bad(), "wrapper variables kept")


def expected_through_link(desc: EnvDescription, link: str) -> str:
    return link if desc.through_link == "as-reached" else (desc.real_path or desc.path)


def check_through_link(desc: EnvDescription, obs: EnvObservation) -> Verdict:
    expected = expected_through_link(desc, obs.link)
    verdict = check_prefix(obs.through_link, expected, "env.through-link")
    note = f" (documented: {desc.through_link})"
    return Verdict(verdict.property, verdict.ok, verdict.reason + note)


# -- venvs ----------------------------------------------------------------------------------------
def _venv_report(v: VenvObservation) -> str | Report:
    if v.created.status != 0:
        return f"making {v.path}: exit {v.created.status} ({v.created.error})"
    if v.run is None or v.run.report is None:
        return f"{v.path}/bin/python: " + ("not run" if v.run is None
                                            else _why_not_started(v.run))
    return v.run.report


def venv_problems(v: VenvObservation) -> dict[str, str]:
    """The PEP 405 properties (and the venv-from-env one matching its flag) a venv fails,
    with their reasons."""
    out: dict[str, str] = {}
    cfg = dict(v.cfg)
    if not v.cfg:
        out["pep405.marker"] = f"{v.path}/pyvenv.cfg: missing"
    elif not cfg.get("home") or not v.cfg_home_is_dir:
        out["pep405.marker"] = f"{v.path}/pyvenv.cfg: home {cfg.get('home')!r} is not a directory"
    report = _venv_report(v)
    flag_id = "venv-from-env.system-site" if v.system_site else "venv-from-env.isolated"
    if isinstance(report, str):
        for pid in ("pep405.prefixes", "pep405.site-packages", "pep405.isolation", flag_id):
            out[pid] = report
        return out
    if not (report.prefix == report.exec_prefix == v.path
            and report.base_prefix == report.base_exec_prefix == v.base):
        out["pep405.prefixes"] = (f"{v.path}: {_prefixes(report)} base_exec_prefix="
                                  f"{report.base_exec_prefix}, expected {v.path} / {v.base}")
    path = list(report.path)
    own_missing = _failed_imports(report, [v.own_module]) if v.own_module else []
    sites = [i for i, p in enumerate(path) if p in v.base_sites]
    if v.own_site not in path:
        out["pep405.site-packages"] = f"{v.path}: {v.own_site} not on sys.path"
    elif sites and min(sites) < path.index(v.own_site):
        out["pep405.site-packages"] = f"{v.path}: a system site directory precedes {v.own_site}"
    elif own_missing:
        out["pep405.site-packages"] = f"{v.path}: cannot import {own_missing[0]}"
    if bool(sites) != v.system_site:
        out["pep405.isolation"] = (f"{v.path}: system site directories "
                                   f"{'absent' if v.system_site else 'present'} with "
                                   f"include-system-site-packages {str(v.system_site).lower()}")
    base_missing = _failed_imports(report, v.base_modules)
    wrong = [p for p in ("pep405.prefixes", "pep405.site-packages") if p in out]
    if wrong:
        out[flag_id] = out[wrong[0]]
    elif v.system_site and base_missing:
        out[flag_id] = f"{v.path}: cannot import the base's {', '.join(base_missing[:3])}"
    elif not v.system_site and len(base_missing) != len(v.base_modules):
        seen = sorted(set(v.base_modules) - {m.split(" ")[0] for m in base_missing})
        out[flag_id] = f"{v.path}: the base's {', '.join(seen[:3])} import without the flag"
    return out


def check_venvs(venvs: Sequence[VenvObservation], *, from_env: bool = True) -> list[Verdict]:
    """Verdicts for the PEP 405 properties over every venv, and (``from_env``) for the
    venv-from-env property of each flag observed."""
    ids = ["pep405.marker", "pep405.prefixes", "pep405.site-packages", "pep405.isolation"]
    if from_env:
        ids += ["venv-from-env.system-site"] * any(v.system_site for v in venvs)
        ids += ["venv-from-env.isolated"] * any(not v.system_site for v in venvs)
    problems = [venv_problems(v) for v in venvs]
    return [_all(pid, (p[pid] for p in problems if pid in p), f"{len(venvs)} venv(s) conform")
            for pid in ids]


def check_env(desc: EnvDescription, obs: EnvObservation) -> list[Verdict]:
    """A verdict for every property the observation covers."""
    out: list[Verdict] = []
    if obs.entries:
        out.append(check_prefix(obs.entries, desc.path))
        out.append(check_executable(obs.entries, desc.path))
        out.append(check_imports(obs.entries, desc.modules))
    if obs.scripts or (desc.scripts and obs.entries):
        out += [check_scripts_interpreter(desc, obs), check_scripts_packages(desc, obs),
                check_scripts_intact(desc, obs), check_scripts_options(desc, obs),
                check_scripts_wrapper_env(desc, obs)]
    if obs.through_link:
        out.append(check_through_link(desc, obs))
    if obs.venvs:
        out += check_venvs(obs.venvs)
    return out


def failed(verdicts: Iterable[Verdict]) -> frozenset[str]:
    return frozenset(v.property for v in verdicts if not v.ok)


# -- scripts: markers and the probe ---------------------------------------------------------------
MARK = "PREFIXLAB-SPEC-MARK"
REPORT = "PREFIXLAB-SPEC-REPORT"
ENVIRON = "PREFIXLAB-SPEC-ENV"

PROBE_SOURCE = r"""
import sys, os, json, importlib
def _t(n):
    try:
        importlib.import_module(n)
        return ''
    except BaseException as e:
        return ('%s: %s' % (type(e).__name__, e)).splitlines()[0] if str(e) else type(e).__name__
_g = _globals
_fl = [(k, int(getattr(sys.flags, k))) for k in ('optimize', 'ignore_environment', 'no_user_site', 'dont_write_bytecode')]
_fl.append(('write_through', int(getattr(sys.stdout, 'write_through', False))))
_fu = sorted(k for k, v in _g.items() if type(v).__name__ == '_Feature')
print(REPORT_TAG + ' ' + json.dumps(dict(executable=sys.executable, prefix=sys.prefix, base_prefix=sys.base_prefix, exec_prefix=sys.exec_prefix, base_exec_prefix=sys.base_exec_prefix, path=sys.path, imports=[(n, _t(n)) for n in _names], flags=_fl, doc=_g.get('__doc__'), futures=_fu, environ=[(k, os.environ[k]) for k in _vars if k in os.environ])))
sys.stdout.flush()
""".replace("REPORT_TAG", repr(REPORT))
"""What a probe runs: print sys values, import results, flags, the script's docstring and
futures and the wrapper variables as one JSON line.  ``_names``, ``_vars`` and ``_globals``
are given by the caller."""


def probe_line(names: Sequence[str], variables: Sequence[str]) -> str:
    """One physical line of Python (ASCII) that runs the probe inside a script."""
    return (f"exec(compile({PROBE_SOURCE!r}, '<prefixlab-probe>', 'exec'), "
            f"{{'_names': {list(names)!r}, '_vars': {list(variables)!r}, "
            f"'_globals': globals()}})")


def mark_line(tag: str, n: int) -> str:
    return f"print({f'{MARK} {tag} {n}'!r})"


_MARK_RE = re.compile(rf"^{MARK} (\S+) (\d+)\r?$")


def parse_output(stdout: str, tag: str) -> tuple[tuple[int, ...], Report | None,
                                                 tuple[tuple[str, str], ...]]:
    """Markers of ``tag``, the probe's report and the environment lines, from a run's output."""
    import json  # pure: parsing text
    marks: list[int] = []
    report: Report | None = None
    environ: list[tuple[str, str]] = []
    for line in stdout.splitlines():
        m = _MARK_RE.match(line)
        if m and m.group(1) == tag:
            marks.append(int(m.group(2)))
        elif line.startswith(REPORT + " "):
            data = json.loads(line[len(REPORT) + 1:])
            report = Report(data["executable"], data["prefix"], data["base_prefix"],
                            data["exec_prefix"], data["base_exec_prefix"], tuple(data["path"]),
                            tuple((a, b) for a, b in data["imports"]),
                            tuple((a, int(b)) for a, b in data["flags"]), data["doc"],
                            tuple(data["futures"]))
            environ += [(a, b) for a, b in data["environ"]]
        elif line.startswith(ENVIRON + " ") and "=" in line:
            name, _, value = line[len(ENVIRON) + 1:].partition("=")
            environ.append((name, value))
    return tuple(marks), report, tuple(environ)


@dataclass(frozen=True)
class ScriptShape:
    """What the original source of a Python script promises (read with ast, pure)."""

    doc: str | None
    futures: tuple[str, ...]
    first_statement: int | None
    """0-based line index of the first top-level statement that is neither the docstring nor
    a __future__ import and starts its line; None if there is none."""


def compiled_doc_313(doc: str | None) -> str | None:
    """A docstring as 3.13+ compiles it (gh-81283, Python/compile.c _PyCompile_CleanDoc): tabs
    expanded, the first line's leading spaces removed, and from each later line at most the
    common indentation of the later lines that are not blank.  The scripts' check accepts the
    source's docstring or this form, since the observation does not carry the version and no
    builder rewrites a docstring into exactly this shape."""
    if doc is None:
        return None
    lines = doc.expandtabs().split("\n")
    later = [line for line in lines[1:] if line.strip(" ")]
    margin = min((len(line) - len(line.lstrip(" ")) for line in later), default=0)
    cleaned = [lines[0].lstrip(" ")]
    for line in lines[1:]:
        drop = min(margin, len(line) - len(line.lstrip(" ")))
        cleaned.append(line[drop:])
    return "\n".join(cleaned)


def script_shape(source: bytes) -> ScriptShape:
    tree = ast.parse(source)
    doc = ast.get_docstring(tree, clean=False)
    futures: list[str] = []
    first: int | None = None
    body = list(tree.body)
    for i, node in enumerate(body):
        if i == 0 and doc is not None and isinstance(node, ast.Expr):
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            futures += [a.asname or a.name for a in node.names]
            continue
        if first is None and node.col_offset == 0 and \
                (i == 0 or body[i - 1].end_lineno != node.lineno):
            first = node.lineno - 1
    return ScriptShape(doc, tuple(sorted(set(futures))), first)


# -- the historical flavours' known failures ----------------------------------------------------
Case = Literal["plain-set", "pretalx-script", "shell-tool", "flagged-script", "wrapper-var",
               "bare-script", "double-wrap", "installer-trampoline", "linked-binary-wrapper"]
"""Minimal package sets (model.envpackage_strategies.minimal_set); the last two are shapes
the generated sets found the reference flavour mishandling, kept as fixed cases."""


@dataclass(frozen=True)
class KnownFailure:
    id: str
    """prefixlab's id for the known failure (F-a1, F-b1, ...; the letter names the nixpkgs
    version, see the module docstring)."""
    flavour: str
    """'nix-classic', 'nix-297628/fixed', 'nix-297628/inherit', 'nix-inherit-argv0',
    'nix-resolve-argv0'."""
    case: Case
    """The minimal package set that shows it (impl.speccheck builds each)."""
    properties: frozenset[str]
    summary: str


def _k(id: str, flavour: str, case: Case, props: Iterable[str], summary: str) -> KnownFailure:
    return KnownFailure(id, flavour, case, frozenset(props), summary)


_INERT = ("venv-from-env.system-site", "venv-from-env.isolated", "pep405.prefixes",
          "pep405.site-packages", "pep405.isolation")
_ALL_ARGV0 = ("nix-297628/fixed", "nix-297628/inherit")
_V23 = ("nix-inherit-argv0", "nix-resolve-argv0")

KNOWN_FAILURES: tuple[KnownFailure, ...] = (
    _k("F-a1", "nix-classic", "plain-set", ("env.prefix", "env.scripts.interpreter"),
       "the env's interpreter and its scripts look like a venv: sitecustomize moves "
       "sys.prefix to ENV, sys.base_prefix stays the store python (#66366)"),
    _k("F-a2", "nix-classic", "plain-set", _INERT,
       "a venv made from the env is inert: V/bin/python links to the NIX_* wrapper, which "
       "forces argv[0] back to the store python (#88711)"),
    *(_k("F-b1", f, "pretalx-script", ("env.scripts.intact",),
         "sed '3d' deletes the script's first code line when the preamble is on line 2 "
         "(pretalx manage.py, #302315)") for f in _ALL_ARGV0),
    *(_k("F-b2", f, "shell-tool", ("env.scripts.intact", "env.scripts.wrapper-env"),
         "a wrapped shell tool's .NAME-wrapped is not Python: the unwrapped file is a "
         "SyntaxError and its wrapper's variables are gone") for f in _ALL_ARGV0),
    *(_k("F-b4", f, "wrapper-var", ("env.scripts.wrapper-env",),
         "unwrapping drops the package wrapper: its --set variables are lost")
      for f in _ALL_ARGV0),
    *(_k("F-b3", f, "double-wrap", ("env.scripts.wrapper-env",),
         "wrapProgram run twice: .NAME-wrapped is still the script, so unwrapping it drops "
         "both wrappers' variables (the outer one's silently)") for f in _ALL_ARGV0),
    *(_k("F-b5", f, "flagged-script", ("env.scripts.options",),
         "the unwrapped script's #! line is '#!$out/bin/python3.X': its option is dropped")
      for f in _ALL_ARGV0),
    *(_k("F-b6", f, "bare-script", ("env.scripts.interpreter", "env.scripts.packages"),
         "a script without .NAME-wrapped (dontWrapPythonPrograms, xonsh #301444) keeps its "
         "store python #! and gets neither NIX_PYTHONPATH nor a sitecustomize")
      for f in _ALL_ARGV0),
    _k("F-b7", "nix-297628/fixed", "plain-set", _INERT,
       "with --argv0 $out/bin/python3.X a venv made from the env is inert, as F-a2"),
    *(_k("F-d8", f, "plain-set", ("env.prefix", "env.scripts.interpreter"),
         "bin/python (an absolute link in the store python) and every script go through "
         "the NIX_* wrapper and look like a venv") for f in _V23),
)
"""Each historical flavour's known failures, one minimal case each.  For F-b1 the line that
sed deletes is the script's first marker (put where its first statement starts), so the run
shows a missing marker where pretalx showed a NameError.  F-a3/F-a4 (variables
leaking to children, makeWrapperArgs word splitting), F-d1-F-d3 and
F-d5-F-d7 (odd invocations: a bare argv[0] with another PATH, a directory on PATH, binfmt
layers) are outside the properties above; F-d4 (through a link) is a failure only against
THROUGH_LINK == 'resolved' (see :func:`through_link_failures`)."""

FLAVOURS = ("nix-classic", "nix-297628/fixed", "nix-297628/inherit", "nix-inherit-argv0",
            "nix-resolve-argv0")


def through_link_failures(flavour: str, documented: ThroughLink = THROUGH_LINK) -> bool:
    """Does ``flavour`` fail env.through-link against the documented behaviour?  The check
    runs every L/bin/python* entry.  Classic always fails (F-a1: base_prefix is the store
    python); V2/V3 fail through their bin/python, which the NIX_* wrapper starts from the
    store path (F-d8); a fixed argv[0] (#297628 fixed) reports ENV itself (the wrapper's
    ``--argv0`` names ENV's path, whatever link the caller went through); an inherited one
    reports the link (F-d4), a failure only against 'resolved'."""
    if flavour in ("nix-classic", "nix-inherit-argv0", "nix-resolve-argv0"):
        return True
    fixed = flavour == "nix-297628/fixed"
    return fixed if documented == "as-reached" else not fixed


def expected_failures(flavour: str, case: Case, *, venvs: bool, link: bool,
                      documented: ThroughLink = THROUGH_LINK) -> frozenset[str]:
    """The properties ``flavour`` is known to fail on ``case`` (only those observed: venv
    properties when ``venvs``, env.through-link when ``link``)."""
    out: set[str] = set()
    for known in KNOWN_FAILURES:
        if known.flavour == flavour and known.case in (case, "plain-set"):
            out |= known.properties
    if not venvs:
        out -= {p.id for p in PROPERTIES if p.group != "env"}
    if link and through_link_failures(flavour, documented):
        out.add("env.through-link")
    return frozenset(out)
