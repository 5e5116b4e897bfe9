"""The search: Hypothesis draws cases (an interpreter, a placement, system-site or not) until
one breaks a promise not yet found, shrinks it to a minimal case, and starts over with the
failures found so far set aside, until the budget is spent.

A failure is known by its *key*: the first promise it breaks (or the first field the model
got wrong) and the interpreter's version.  While a key is being shrunk only that key counts,
so the minimal case breaks the same promise on the same interpreter.  Every case runs once:
results are kept by case id, so Hypothesis' replays and the final run of the minimal example
cost nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase

from prefixlab.impl.conform.builders import wants_system_site
from prefixlab.impl.conform.runcase import Result, run_case
from prefixlab.model.conform.case import Builder, Case
from prefixlab.model.conform.placement import DEFAULT_PLACEMENTS, Base
from prefixlab.model.strategies.placements import placements

SHRINK_LIMIT = 150.0
"""Seconds one failure may spend shrinking, at most (within the budget)."""


LAYERS = ("relocated", "alias-dir", "prefix-link", "from-env", "venv-of-venv")
"""The placements that change what the base installation is, most telling first."""


@dataclass(frozen=True)
class Key:
    """What tells two failures apart.  A venv failure's key names no interpreter: the minimal
    case is tried on every other interpreter afterwards (impl/conform/campaign.py), which
    is cheaper than shrinking it once per interpreter."""

    finding: str
    """A promise id, or fidelity.FIELD."""
    version: str
    """The interpreter's X.Y.Z for an environment case; '' for a venv case."""
    verdict: str
    """builder, interpreter or fidelity."""
    cause: str = ""
    """The rule that decided the prefix in the model's prediction: one promise broken for
    two reasons (a decoy landmark, a fallback to the compiled-in PREFIX) is two failures."""
    layer: str = ""
    """The first of :data:`LAYERS` in the placement ('' when none): a relocated copy and a
    composed environment that fail alike are still two findings."""


@dataclass
class Found:
    key: Key
    result: Result
    """The minimal case's result."""
    runs: int = 0
    """Cases run while shrinking it."""
    others: dict[str, Result] = field(default_factory=dict)
    """The minimal case moved onto each other interpreter (by version), and run there."""

    @property
    def version(self) -> str:
        return ".".join(map(str, self.result.case.base.version))

    def fails_on(self) -> list[str]:
        """The versions where the minimal case breaks the same promise."""
        same = (self.key.finding, self.key.verdict)
        out = [self.version]
        out += [v for v, r in self.others.items()
                if any((k.finding, k.verdict) == same for k in keys(r))]
        return out


@dataclass
class Search:
    """What a campaign has seen so far."""

    builder: Builder
    bases: Sequence[Base]
    allowed: Sequence[str] = DEFAULT_PLACEMENTS
    fidelity: bool = True
    results: dict[str, Result] = field(default_factory=dict)
    found: dict[Key, Found] = field(default_factory=dict)
    runs: int = 0
    progress: Callable[["Search"], None] = lambda search: None
    strategy: st.SearchStrategy[Any] | None = None
    """The cases to draw, when not venv cases (the environment kind's)."""
    runner: Callable[[Any], Result] | None = None
    """How a drawn case runs, when not :func:`run_case`."""

    def cases(self) -> st.SearchStrategy[Any]:
        if self.strategy is not None:
            return self.strategy
        system = st.booleans() if wants_system_site(self.builder) else st.just(False)

        def of(base: Base) -> st.SearchStrategy[Case]:
            return st.builds(lambda p, s: Case(self.builder, base, p, s),
                             placements(base, allowed=self.allowed), system)

        return st.sampled_from(list(self.bases)).flatmap(of)

    def result(self, case: Any) -> Result:
        known = self.results.get(case.id)
        if known is None:
            known = self.results[case.id] = (
                self.runner(case) if self.runner is not None
                else run_case(case, fidelity=self.fidelity))
            self.runs += 1
            self.progress(self)
        return known


def keys(result: Result) -> list[Key]:
    """The failures of a result, by key: the first builder (or interpreter) failure, and the
    first model-fidelity one, each with the prediction's cause."""
    version = ".".join(map(str, result.case.base.version))
    out = []
    if result.case.builder.kind == "env":
        return _env_keys(result, version)
    names = result.case.placement.names
    layer = next((n for n in LAYERS if n in names), "")
    for group in (result.failures, result.fidelity):
        if group:
            out.append(Key(group[0].key, "", group[0].verdict, result.cause, layer))
    return out


def _env_keys(result: Result, version: str) -> list[Key]:
    """An environment's failures, one key per group of the spec's properties (the
    environment itself, and the venvs made from it: F-a1 and F-a2 are two findings)."""
    from prefixlab.model.builders.envspec import BY_ID

    firsts: dict[str, Key] = {}
    for finding in result.failures:
        group = BY_ID[finding.key].group if finding.key in BY_ID else ""
        firsts.setdefault(group, Key(finding.key, version, finding.verdict))
    return list(firsts.values())


class _Enough(BaseException):
    """Ends a pass: a BaseException, so Hypothesis does not take it for a failure."""


class _Failed(Exception):
    def __init__(self, key: Key, result: Result) -> None:
        super().__init__(key.finding)
        self.key, self.result = key, result


def _hypothesis_files_in_the_cache() -> None:
    """Hypothesis' own files (its constants cache) go to prefixlab's cache directory, never
    into the directory the user runs conform from (it would make ./.hypothesis)."""
    from hypothesis.configuration import set_hypothesis_home_dir

    from prefixlab.impl.host.interpreters import cache_dir

    set_hypothesis_home_dir(os.path.join(cache_dir(), "hypothesis"))


def one_pass(search: Search, *, seed: int, deadline: float,
             database: ExampleDatabase | None = None, pass_no: int = 0) -> Found | None:
    """Explore until a new key fails, and shrink it; None when the time ran out first."""
    target: list[Key] = []
    shrink_end = [deadline]
    start_runs = search.runs

    def check(case: Any) -> None:
        cached = case.id in search.results
        now = time.monotonic()
        if not cached and (now > shrink_end[0] or (not target and now > deadline)):
            if not target:
                raise _Enough
            return  # out of time while shrinking: only cases already run count
        result = search.result(case)
        new = [k for k in keys(result) if k not in search.found]
        if not target and new:
            target.append(new[0])
            shrink_end[0] = min(deadline, time.monotonic() + SHRINK_LIMIT)
        if target and target[0] in keys(result):
            raise _Failed(target[0], result)

    # Workers sharing an example database share it per configuration and pass: the key of
    # a test is its function's digest, to which this adds both.  Pass N of a later run (or
    # another worker) first replays what pass N found, so known failures are found again
    # at once, and a pass never replays, as passing, a failure an earlier pass set aside
    # (Hypothesis would delete it from the database).
    _hypothesis_files_in_the_cache()
    check._hypothesis_internal_add_digest = repr(  # type: ignore[attr-defined]
        (search.builder, tuple(search.bases), tuple(search.allowed), pass_no)).encode()
    test = settings(max_examples=10**9, deadline=None, database=database,
                    verbosity=Verbosity.quiet, report_multiple_bugs=False, print_blob=False,
                    phases=(Phase.reuse, Phase.generate, Phase.shrink) if database is not None
                    else (Phase.generate, Phase.shrink),
                    suppress_health_check=list(HealthCheck))(given(search.cases())(check))
    if database is None:
        # Hypothesis neither reads nor writes the database of a seeded run: with a shared
        # database the examples it holds are tried first and the rest is drawn at random.
        test = hypothesis_seed(seed)(test)
    try:
        test()
    except _Failed as failed:
        found = Found(failed.key, failed.result, search.runs - start_runs)
        search.found[failed.key] = found
        return found
    except _Enough:
        return None
    return None


def campaign(search: Search, *, budget: float, seed: int = 0,
             database: ExampleDatabase | None = None) -> Search:
    """Passes with seeds ``seed``, ``seed + 1``, ... until ``budget`` seconds are spent."""
    deadline = time.monotonic() + budget
    n = 0
    while time.monotonic() < deadline:
        if one_pass(search, seed=seed + n, deadline=deadline, database=database,
                    pass_no=n) is None:
            break
        n += 1
    return search
