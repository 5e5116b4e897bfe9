"""What every venv promises when its interpreter runs (PEP 405, the venv docs), as data with
pure judges: the venv mode of ``prefixlab build check`` (impl/checks/venvcheck.py runs the
interpreters and hands over what they reported as :class:`VenvFacts`).

Each :class:`Promise` has an id, a one-sentence statement, its source and a judge, a pure
function from the facts to a :class:`Judgement` (held or not, with the observed and expected
values by name).  The values are kept as the interpreters reported them; escaping them for
a terminal is the renderer's business.

The expected base is a real interpreter, run without -S: by default the one pyvenv.cfg's
``home`` names, else the one the caller names; its ``sys.base_prefix``,
``sys.base_exec_prefix``, version and site directories are what the venv must report and
(with ``include-system-site-packages = true``) see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

_PEP405 = "PEP 405 'Specification'"
_PEP405_ISOLATION = "PEP 405 'Isolation from system site-packages'"
_VENV_DOCS = "Python docs, venv 'How venvs work'"
_SITE = "CPython Lib/site.py venv() (include-system-site-packages)"

SITE_DIR_NAMES = ("site-packages", "dist-packages")
"""The last component of a site directory on sys.path (dist-packages: Debian's site.py)."""


def parse_cfg(text: str) -> tuple[tuple[str, str], ...]:
    """pyvenv.cfg's keys (lower-cased) and values as CPython's site.py reads them: every
    line with a '=', key and value stripped (Lib/site.py venv(), 3.8-3.13)."""
    out = []
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out.append((key.strip().lower(), value.strip()))
    return tuple(out)


def system_site(cfg: Sequence[tuple[str, str]]) -> bool:
    """include-system-site-packages as site.py reads it: true exactly when its value,
    lower-cased, is 'true' (the last occurrence wins: site.py assigns in file order)."""
    return dict(cfg).get("include-system-site-packages", "").lower() == "true"


@dataclass(frozen=True)
class Start:
    """One run of an interpreter with the probe (impl/host/probe.py): started or not, and
    the sys values it reported."""

    how: str
    """The command, for reasons (e.g. 'ENV/bin/python -S')."""
    started: bool
    error: str = ""
    """Why it did not start (the probe's failure message)."""
    prefix: str = ""
    exec_prefix: str = ""
    base_prefix: str = ""
    base_exec_prefix: str = ""
    base_executable: str | None = None
    """sys._base_executable; None when the interpreter has none."""
    version: str = ""
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class VenvFacts:
    env: str
    """ENV as named: made absolute, not resolved."""
    system_site: bool
    """pyvenv.cfg's include-system-site-packages (:func:`system_site`)."""
    plain: Start
    """ENV/bin/python without -S."""
    no_site: Start
    """ENV/bin/python -S."""
    base: Start
    """The expected base interpreter, run without -S."""
    base_executable: Start | None = None
    """sys._base_executable (of the run without -S) run with -S; None when there is none to
    run."""


Values = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Judgement:
    held: bool
    observed: Values
    expected: Values


@dataclass(frozen=True)
class Promise:
    id: str
    statement: str
    source: str
    judge: Callable[[VenvFacts], Judgement]


@dataclass(frozen=True)
class Verdict:
    promise: str
    held: bool
    observed: Values
    expected: Values


# -- the judges ---------------------------------------------------------------------------------
def _start_values(start: Start) -> Values:
    return ((start.how, "started" if start.started else f"failed: {start.error}"),)


def _not_started(facts: VenvFacts, expected: Values) -> Judgement | None:
    """The judgement of a promise that needs the run without -S, when that run failed."""
    if facts.plain.started:
        return None
    return Judgement(False, _start_values(facts.plain), expected)


def judge_starts(facts: VenvFacts) -> Judgement:
    expected = ((facts.plain.how, "started"), (facts.no_site.how, "started"))
    observed = _start_values(facts.plain) + _start_values(facts.no_site)
    return Judgement(facts.plain.started and facts.no_site.started, observed, expected)


def judge_prefixes(facts: VenvFacts) -> Judgement:
    expected = (("sys.prefix", facts.env), ("sys.exec_prefix", facts.env))
    failed = _not_started(facts, expected)
    if failed is not None:
        return failed
    observed = (("sys.prefix", facts.plain.prefix), ("sys.exec_prefix", facts.plain.exec_prefix))
    return Judgement(observed == expected, observed, expected)


def judge_base(facts: VenvFacts) -> Judgement:
    base = facts.base
    expected = (("sys.base_prefix", base.base_prefix),
                ("sys.base_exec_prefix", base.base_exec_prefix), ("version", base.version))
    failed = _not_started(facts, expected)
    if failed is not None:
        return failed
    p = facts.plain
    observed = (("sys.base_prefix", p.base_prefix), ("sys.base_exec_prefix", p.base_exec_prefix),
                ("version", p.version))
    return Judgement(observed == expected, observed, expected)


def judge_base_executable(facts: VenvFacts) -> Judgement:
    expected = (("sys._base_executable", "runs"), ("version", facts.plain.version or "?"))
    failed = _not_started(facts, expected)
    if failed is not None:
        return failed
    name = facts.plain.base_executable
    if not name:
        return Judgement(False, (("sys._base_executable", repr(name)),), expected)
    run = facts.base_executable
    if run is None or not run.started:
        why = "not run" if run is None else run.error
        return Judgement(False, (("sys._base_executable", name), ("run", f"failed: {why}")),
                         expected)
    observed = (("sys._base_executable", name), ("version", run.version))
    return Judgement(run.version == facts.plain.version, observed,
                     (("sys._base_executable", name), ("version", facts.plain.version)))


def is_site_dir(entry: str) -> bool:
    return entry.rstrip("/").rsplit("/", 1)[-1] in SITE_DIR_NAMES


def own_site(facts: VenvFacts) -> str:
    """ENV's site-packages as venv lays it out: ENV/lib/pythonX.Y/site-packages (X.Y the
    running version; venv docs, 'How venvs work')."""
    major, _, rest = facts.plain.version.partition(".")
    minor = rest.partition(".")[0]
    return f"{facts.env}/lib/python{major}.{minor}/site-packages"


def _inside(entry: str, directory: str) -> bool:
    return entry == directory or entry.startswith(directory.rstrip("/") + "/")


def judge_site_first(facts: VenvFacts) -> Judgement:
    failed = _not_started(facts, (("ENV site-packages", "on sys.path, first site directory"),))
    if failed is not None:
        return failed
    own = own_site(facts)
    expected = (("first site directory", own),)
    path = facts.plain.path
    sites = [p for p in path if is_site_dir(p)]
    first = sites[0] if sites else "(none)"
    observed = (("first site directory", first),)
    others = [i for i, p in enumerate(path) if is_site_dir(p) and not _inside(p, facts.env)]
    held = own in path and (not others or path.index(own) < min(others))
    return Judgement(held, observed, expected)


def base_sites(facts: VenvFacts) -> tuple[str, ...]:
    """The expected base's site directories on its own sys.path (in order)."""
    return tuple(p for p in facts.base.path if is_site_dir(p))


def judge_isolation(facts: VenvFacts) -> Judgement:
    sites = base_sites(facts)
    flag = "true" if facts.system_site else "false"
    want = ", ".join(sites) if facts.system_site else "(none)"
    expected = (("include-system-site-packages", flag), ("base site directories", want))
    failed = _not_started(facts, expected)
    if failed is not None:
        return failed
    seen = [s for s in sites if s in facts.plain.path]
    observed = (("include-system-site-packages", flag),
                ("base site directories", ", ".join(seen) or "(none)"))
    held = len(seen) == len(sites) if facts.system_site else not seen
    return Judgement(held, observed, expected)


PROMISES: tuple[Promise, ...] = (
    Promise("venv.starts",
            "ENV/bin/python starts, without -S and with -S.",
            f"{_PEP405}; {_VENV_DOCS}", judge_starts),
    Promise("venv.prefixes",
            "Without -S, sys.prefix and sys.exec_prefix are ENV as named (absolute, not "
            "resolved).",
            f"{_PEP405} (sys.prefix and sys.exec_prefix point at the venv)", judge_prefixes),
    Promise("venv.base",
            "sys.base_prefix, sys.base_exec_prefix and the version are the expected base "
            "installation's.",
            f"{_PEP405} (sys.base_prefix and sys.base_exec_prefix: the base installation, "
            "found from pyvenv.cfg's home)", judge_base),
    Promise("venv.base-executable",
            "sys._base_executable names an interpreter that runs, of the same version.",
            "CPython Modules/getpath.py (base_executable, from home); Lib/venv/__init__.py "
            "(a venv made from a venv uses sys._base_executable)", judge_base_executable),
    Promise("venv.site-first",
            "ENV's site-packages is on sys.path before any other site directory.",
            f"{_PEP405_ISOLATION}; {_VENV_DOCS}", judge_site_first),
    Promise("venv.isolation",
            "The base's site directories are on sys.path when include-system-site-packages "
            "is true, and absent otherwise.",
            f"{_PEP405_ISOLATION}; {_SITE}", judge_isolation),
)
BY_ID: dict[str, Promise] = {p.id: p for p in PROMISES}


def judge(facts: VenvFacts) -> tuple[Verdict, ...]:
    """One verdict per promise, in :data:`PROMISES` order."""
    out = []
    for promise in PROMISES:
        j = promise.judge(facts)
        out.append(Verdict(promise.id, j.held, j.observed, j.expected))
    return tuple(out)
