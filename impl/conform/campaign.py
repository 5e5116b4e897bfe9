"""A whole conformance campaign: the search (in this process or sharded over ``jobs`` worker
processes by seed), then each failure found run once more with its directory kept, to explain
it from the model's trace, draw its layout and check that it reproduces."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING
from dataclasses import dataclass, field, replace

from prefixlab.impl.conform import cause as causes
from prefixlab.impl.conform.report import Reported, report_of
from prefixlab.impl.conform.runcase import Result, run_case
from prefixlab.impl.conform.search import Found, Key, Search, campaign, keys
from prefixlab.impl.host.materialize import remove_tree
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.conform.case import Builder, case_json
from prefixlab.model.conform.placement import Base
from prefixlab.model.conform.rebase import rebase

_NOT_AGAIN = ("this failure did not reproduce when the minimal case was run again (it may "
              "depend on timing or on state outside the case)")
if TYPE_CHECKING:
    from hypothesis.database import ExampleDatabase

SHARD_STRIDE = 7919
"""Worker k searches from seed + k * SHARD_STRIDE (a prime: shards never share a seed)."""


@dataclass
class Campaign:
    search: Search
    reported: list[Reported] = field(default_factory=list)
    pictures: dict[str, str] = field(default_factory=dict)
    """Case id -> SVG text of its layout (only when asked)."""
    seconds: float = 0.0


def _size(found: Found) -> tuple[int, int]:
    case = found.result.case
    return len(case.placement.ops), len(repr(case_json(case)))


def new_search(builder: Builder, bases: Sequence[Base], allowed: Sequence[str],
               fidelity: bool = True) -> Search:
    """The search for a venv builder, or for an environment builder (``--kind env``)."""
    search = Search(builder, bases, allowed, fidelity)
    if builder.kind == "env":
        from prefixlab.impl.conform import envcase

        search.strategy = envcase.strategy(builder, list(bases))
        search.runner = envcase.run_env_case
    return search


def _database(url: str | None) -> ExampleDatabase | None:
    if url is None:
        return None
    from prefixlab.impl.conform import pool

    return pool.example_database(url)


@dataclass(frozen=True)
class Shard:
    """What a worker sends back (a Search holds functions and strategies, which do not
    cross a process boundary)."""

    results: dict[str, Result]
    found: dict[Key, Found]
    runs: int


def _shard(builder: Builder, bases: Sequence[Base], allowed: Sequence[str], budget: float,
           seed: int, fidelity: bool, database: str | None = None) -> Shard:
    search = new_search(builder, bases, allowed, fidelity)
    campaign(search, budget=budget, seed=seed, database=_database(database))
    return Shard(search.results, search.found, search.runs)


def run(builder: Builder, bases: Sequence[Base], allowed: Sequence[str], *, budget: float,
        seed: int = 0, jobs: int = 1, fidelity: bool = True,
        progress: Callable[[Search], None] | None = None, pictures: bool = False,
        database: str | None = None) -> Campaign:
    """The whole campaign; ``database``: a Hypothesis example database (a directory or a
    Redis URL, impl/conform/pool.py) that workers of the same configuration share."""
    start = time.monotonic()
    search = new_search(builder, bases, allowed, fidelity)
    if progress is not None:
        search.progress = progress
    if jobs <= 1:
        campaign(search, budget=budget, seed=seed, database=_database(database))
    else:
        _sharded(search, jobs, budget, seed, database)
    outcome = Campaign(search)
    for key, found in sorted(search.found.items(), key=lambda kv: _order(kv[1])):
        if builder.kind == "venv":
            _spread(found, search)
        outcome.reported.append(_confirm(found, outcome, pictures))
    outcome.seconds = time.monotonic() - start
    return outcome


def _order(found: Found) -> tuple[int, str, tuple[int, ...]]:
    key = found.key
    return ({"builder": 0, "interpreter": 1}.get(key.verdict, 2), key.finding,
            found.result.case.base.version)


def _spread(found: Found, search: Search) -> None:
    """Try the minimal case on every other interpreter (moved onto it: the same layout)."""
    case = found.result.case
    for base in search.bases:
        if base == case.base:
            continue
        moved = rebase(case.placement, case.base, base)
        if moved is None:
            continue
        other = replace(case, base=base, placement=moved)
        result = search.results.get(other.id)
        if result is None:
            result = search.results[other.id] = run_case(other, fidelity=search.fidelity)
        found.others[".".join(map(str, base.version))] = result


def _sharded(search: Search, jobs: int, budget: float, seed: int,
             database: str | None) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = [pool.submit(_shard, search.builder, list(search.bases), list(search.allowed),
                               budget, seed + k * SHARD_STRIDE, search.fidelity, database)
                   for k in range(jobs)]
        for future in futures:
            shard = future.result()
            search.results.update(shard.results)
            search.runs += shard.runs
            for key, found in shard.found.items():
                mine = search.found.get(key)
                if mine is None or _size(found) < _size(mine):
                    search.found[key] = found
            search.progress(search)


def _confirm(found: Found, outcome: Campaign, pictures: bool) -> Reported:
    """Run the minimal case again with its directory kept: the explanation (the model's
    trace, links followed on the real disk), the picture, and whether it reproduces."""
    case = found.result.case
    if found.result.case.builder.kind == "env":
        from prefixlab.impl.conform import envcase

        again = envcase.run_env_case(case)  # type: ignore[arg-type]
        note = () if found.key in keys(again) else (_NOT_AGAIN,)
        return report_of(found, note)
    again = run_case(case, keep=True, fidelity=True)
    try:
        explanation = causes.explain(again.predicted, Snapshot("/"))
        if found.key not in keys(again):
            explanation = (_NOT_AGAIN, *explanation)
        if pictures and again.root:
            svg = picture(again)
            if svg is not None:
                outcome.pictures[case.id] = svg
    finally:
        if again.root:
            remove_tree(os.path.dirname(again.root))
    return report_of(found, tuple(e.replace(again.root, found.result.root)
                                  for e in explanation) if again.root else explanation)


def picture(result: Result) -> str | None:
    """The case's layout as SVG: the target's interpreter and pyvenv.cfg, the base as named,
    and every path the placement made (links followed), the decoys highlighted."""
    from prefixlab.impl.render import graph as graphs
    from prefixlab.impl.render import svg

    root = result.root
    paths = [os.path.join(root, result.case.placement.target, "bin", "python"),
             os.path.join(root, result.case.placement.target, "pyvenv.cfg")]
    paths += [os.path.join(root, op.path) for op in result.case.placement.ops]
    drawn = graphs.layout_graph(Snapshot("/"), paths, cwd=root)
    for node in drawn.nodes:
        if node.endswith("/os.py") and node.startswith(root):
            drawn.nodes[node][svg.HIGHLIGHT] = "decoy landmark"
    try:
        return svg.render_svg(drawn)
    except svg.GraphvizMissing:
        return None
