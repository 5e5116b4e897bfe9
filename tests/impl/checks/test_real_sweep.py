"""The model against every real CPython 3.8+ on this machine, on generated layouts.

Each case is materialized on disk (the real binary hard-linked in, the real stdlib reachable),
the real interpreter is run on it, and the prediction must agree with what it printed: the
prefixes, sys.executable, sys._base_executable, sys.path (with -S), the start-up warnings and
the status.  The expected values come only from the real interpreter.

CI runs a bounded number of cases per interpreter; ``--sweep`` runs the long, sharded,
resumable sweep (see prefixlab.impl.checks.campaign) and checks its totals.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings

from prefixlab.impl.checks import campaign
from prefixlab.impl.checks.divergences import Divergence, explain_difference, known
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.world.fs import Dir
from prefixlab.model.strategies.startup import Case, cases

from conftest import REPO, TESTS, in_scope_interpreters, interpreter_id, require_oracle

INTERPRETERS = list(in_scope_interpreters())
CI_CASES = int(os.environ.get("PREFIXLAB_REAL_CASES", "50"))
SWEEP_CASES = int(os.environ.get("PREFIXLAB_SWEEP_CASES", "2375"))
SWEEP_SITE_CASES = int(os.environ.get("PREFIXLAB_SWEEP_SITE_CASES", "2000"))
"""2,000+ agreeing cases without -S per interpreter (about 95% of generation
4-site's cases run without it)."""


_id = interpreter_id


def test_some_interpreter_is_found() -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found on this machine")
    assert INTERPRETERS


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=_id)
def test_model_agrees_with_real_interpreter(interp: Interpreter) -> None:
    target = campaign.target_for(interp)

    @settings(max_examples=CI_CASES, deadline=None, suppress_health_check=list(HealthCheck),
              database=None)
    @given(cases(target))
    def check(case: Case) -> None:
        result = campaign.run_case(case, interp)
        note(f"case: {campaign.case_to_json(case)}")
        note(f"rules: {result.rules}")
        unexplained = [d for d in result.differences
                       if explain_difference(d, interp, result) is None]
        assert not unexplained, "\n".join(unexplained)

    check()


@pytest.mark.real
def test_shards_in_worker_processes_are_the_shards_run_here(tmp_path: Path) -> None:
    """A sweep with jobs runs its shards in worker processes: each shard's summary (and file)
    is the one the same shard gives in this process (its cases depend on its seed alone)."""
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found on this machine")
    interp = INTERPRETERS[0]
    here = campaign.sweep([interp], total=6, shard_size=3, directory=tmp_path / "here",
                          log=io.StringIO())
    pooled = campaign.sweep([interp], total=6, shard_size=3, directory=tmp_path / "pooled",
                            log=io.StringIO(), jobs=2)
    assert [s.to_json() for s in pooled] == [s.to_json() for s in here]
    assert [s.seed for s in here] == [1000, 1001] and all(s.cases == 3 for s in here)
    for shard in (1000, 1001):
        assert (campaign.shard_path(interp, shard, tmp_path / "pooled").read_text()
                == campaign.shard_path(interp, shard, tmp_path / "here").read_text())
    # Completed shards are skipped: nothing is run again.
    assert campaign.sweep([interp], total=6, shard_size=3, directory=tmp_path / "pooled",
                          log=io.StringIO(), jobs=2) == []


@pytest.mark.sweep
@pytest.mark.parametrize("interp", INTERPRETERS, ids=_id)
def test_long_sweep(interp: Interpreter) -> None:
    """Bring this interpreter to SWEEP_CASES generated cases (completed shards are kept in
    sweeps/ and skipped), then require that every recorded disagreement is a known one, that
    SWEEP_SITE_CASES of them ran without -S and agreed, and that `which` agreed with the real
    importlib on every case where both starts succeeded."""
    campaign.sweep([interp], total=SWEEP_CASES, shard_size=125)
    totals = campaign.totals(interp)
    assert totals.cases >= SWEEP_CASES
    assert totals.format == campaign.SUMMARY_FORMAT  # every shard counted -S and which
    unexplained = [d for d in totals.disagreements
                   if any(explain_difference(x, interp, None) is None for x in d["differences"])]
    assert not unexplained, unexplained[:3]
    assert totals.site_agreed >= SWEEP_SITE_CASES, (totals.site_agreed, totals.site_cases)
    assert not totals.which_disagreements, totals.which_disagreements[:3]
    assert totals.which_agreed == totals.which_cases > 0
    assert totals.which_no_real_ok == 0
    assert totals.which_no_model_ok <= len(totals.disagreements)


CASES = sorted((TESTS / "cases").glob("*.json"))


def _pinned() -> list[tuple[Path, Interpreter]]:
    pinned: list[tuple[Path, Interpreter]] = []
    for path in CASES:
        low = json.loads(path.read_text(encoding="utf-8"))["versions"].rstrip("+")
        floor = tuple(int(p) for p in low.split("."))
        pinned.extend((path, i) for i in INTERPRETERS if i.version and i.version[:2] >= floor)
    return pinned


@pytest.mark.real
@pytest.mark.parametrize(("path", "interp"), _pinned(),
                         ids=lambda v: v.stem if isinstance(v, Path) else _id(v))
def test_pinned_case(path: Path, interp: Interpreter) -> None:
    """Cases a sweep once found in disagreement, replayed on every interpreter they concern
    (each file says why it is kept), `which` checked as the sweep checks it."""
    data = json.loads(path.read_text(encoding="utf-8"))
    result = campaign.run_case(campaign.case_from_json(data["case"]), interp, check_which=True)
    assert result.agrees, (data["why"], result.differences)
    assert result.which is not None and not result.which.differences, (
        data["why"], result.which.differences)


def _examples() -> list[tuple[Divergence, Interpreter]]:
    return [(entry, interp) for entry in known() if entry.example for interp in INTERPRETERS
            if interp.version and "%d.%d" % interp.version[:2] in entry.versions]


@pytest.mark.real
def test_known_divergences_still_diverge() -> None:
    """A strict expected failure: each known divergence's example must still differ on the
    keys its entry names, on every interpreter of the versions it lists, or the entry is stale
    and must go.  (One test over all entries: the file may hold none.)"""
    stale = []
    for entry, interp in _examples():
        assert isinstance(entry, Divergence)
        assert entry.example is not None
        data = json.loads((REPO / entry.example).read_text(encoding="utf-8"))
        result = campaign.run_case(campaign.case_from_json(data["case"]), interp)
        differing = {d.partition(":")[0] for d in result.differences}
        if not differing or not differing <= set(entry.keys):
            stale.append((entry.id, _id(interp), result.differences))
    assert not stale, stale


@pytest.mark.real
def test_stdlib_farms_are_complete_and_reused() -> None:
    """A pooled stdlib farm is what materialize's children-links binding writes (a link to
    every child of the real stdlib), and a second case reuses it instead of making another;
    a case on another filesystem gets the same links, made in place."""
    from prefixlab.impl.host.materialize import scratch_dir, scratch_parent
    from prefixlab.model.world.fs import File
    from prefixlab.model.strategies.startup import BINARY_DATA, ROOT, stdlib_skeleton

    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found on this machine")
    interp = INTERPRETERS[0]
    target = campaign.target_for(interp)
    constants = campaign._constants(interp)
    real = f"{constants.prefix}/{constants.stdlib_subdir}"
    stdlib = f"{ROOT}/inst/{target.stdlib_subdir}"
    binary = f"{ROOT}/inst/bin/{target.exe_name}"
    nodes = {ROOT + "/inst": Dir(), ROOT + "/inst/bin": Dir(), binary: File(BINARY_DATA, 0o755),
             f"{ROOT}/inst/{target.platlibdir}": Dir(), **stdlib_skeleton(stdlib)}
    case = Case(tuple(sorted(nodes.items())), (binary,), (stdlib,), binary,
                (binary, "-c", "pass"), (), ROOT)
    made = []
    # Twice in the campaigns' scratch parent (the pool's filesystem), then once in the
    # temporary directory (another filesystem where /dev/shm is a tmpfs: a farm of its own).
    for parent in (scratch_parent(), scratch_parent(), None):
        with scratch_dir(parent=parent) as base:
            bound = case.at(f"{base}/case")
            campaign.lay_down(bound, f"{base}/case", interp.real_path, constants)
            farm = bound.stdlibs[0]
            assert sorted(os.listdir(farm)) == sorted(os.listdir(real))
            assert all(os.readlink(f"{farm}/{name}") == f"{real}/{name}"
                       for name in os.listdir(farm))
            assert not os.path.islink(farm) and oct(os.stat(farm).st_mode & 0o777) == "0o755"
            campaign._FARMS.take_back(farm, real)
            made.append(campaign._FARMS.made)
    assert made[0] == made[1] == made[2]
