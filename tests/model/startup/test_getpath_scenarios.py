"""CPython's own test_getpath POSIX cases, run through the model, one test per (scenario,
CPython version that asserts it); then cases no CPython test covers, checked against what
each version's own getpath.py computes on them.

The data (layouts, builds, commands, expected values with their sources) lives in
:mod:`scenarios.cpython_test_getpath` (values asserted by CPython's tests) and
:mod:`scenarios.cpython_getpath_observed` (values observed by running CPython's getpath.py).  Each run starts the scenario's command with
:func:`~prefixlab.model.startup.predict.predict` under the behaviour row of that version
(``behaviour_for``), with the stdlib check off: the tests' layouts hold only landmarks, and
CPython's test checks getpath's answer, not whether start-up could import encodings.

Keys CPython's tests assert that are not in an Outcome come from the same getpath run:
``build_prefix`` and ``_is_python_build`` (set to 1 exactly when a build tree was detected),
and ``module_search_paths_set`` (getpath.py sets it to 1 whenever it computes the path, which
it always does for a command-line start).

A run the model gets wrong is listed in KNOWN_MODEL_BUGS as a strict xfail with the reason;
nothing is weakened: the assertion is the full expected dict.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from prefixlab.model.startup import cmdline
from prefixlab.model.startup import getpath
from prefixlab.model.world import kernel
from prefixlab.model.world.build import Behaviour, behaviour_for
from prefixlab.model.startup.getpath.context import Calc, Inputs
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.outcome import Outcome
from prefixlab.model.world import World
from prefixlab.model.exec.chain import exec_target
from prefixlab.model.startup.predict import predict

from scenarios import Run, Scenario
from scenarios import cpython_getpath_observed, cpython_test_getpath

SCENARIOS: tuple[Scenario, ...] = (cpython_test_getpath.SCENARIOS
                                   + cpython_getpath_observed.SCENARIOS)

OUTCOME_KEYS = ("executable", "base_executable", "prefix", "exec_prefix", "base_prefix",
                "base_exec_prefix", "stdlib_dir")

KNOWN_MODEL_BUGS: dict[tuple[str, str], str] = {
    # Fixed: 3.14 PYTHONHOME + venv home key, 3.14 PYTHONPATH macro from base_prefix,
    # 3.11.0-3.11.1 landmark replacing a build tree's stdlib (all found by these scenarios).
}
"""(scenario name, version label) -> why the model fails it (strict xfail)."""


def _getpath_calc(world: World, invocation: Invocation, row: Behaviour) -> Calc:
    """The getpath computation predict() runs, for the values an Outcome does not carry."""
    cwd = kernel.realpath(world.fs, invocation.cwd, "/")
    assert isinstance(cwd, str), cwd
    target = exec_target(world.fs, invocation, cwd)
    assert isinstance(target, str), target
    line = cmdline.parse(invocation.argv[1:], row)
    env = invocation.environ
    inputs = Inputs(world.fs, cwd, world.builds[target], row, invocation.argv, env, line,
                    cmdline.startup_config(line, env, row))
    return getpath.run(inputs)


def observe(scenario: Scenario, run: Run) -> dict[str, Any]:
    """The model's values for every key the run's expectation names."""
    world = scenario.world()
    invocation = scenario.invocation()
    row = behaviour_for(run.version)
    outcome: Outcome = predict(world, invocation, behaviour=row, check_stdlib=False)
    assert outcome.status == "ok", (outcome.status, outcome.error)
    calc: Calc | None = None
    observed: dict[str, Any] = {}
    for key in run.expected:
        if key in OUTCOME_KEYS:
            observed[key] = getattr(outcome, key)
        elif key == "module_search_paths":
            observed[key] = list(outcome.module_search_paths)
        elif key == "module_search_paths_set":
            observed[key] = 1
        elif key in ("build_prefix", "_is_python_build"):
            calc = calc or _getpath_calc(world, invocation, row)
            if key == "build_prefix":
                observed[key] = calc.build_prefix
            else:
                observed[key] = 1 if calc.build_prefix else None
        else:
            raise AssertionError(f"{scenario.name}: no model value for the asserted key {key!r}")
    return observed


def _params() -> Iterator[Any]:
    for scenario in SCENARIOS:
        for run in scenario.runs:
            marks: list[pytest.MarkDecorator] = []
            if scenario.not_startable:
                continue  # an embedder-only PyConfig input: see test_unstartable_are_explained
            bug = KNOWN_MODEL_BUGS.get((scenario.name, run.label))
            if bug:
                marks.append(pytest.mark.xfail(strict=True, reason=bug))
            yield pytest.param(scenario, run, id=f"{scenario.name}-{run.label}", marks=marks)


@pytest.mark.parametrize(("scenario", "run"), list(_params()))
def test_cpython_getpath_scenario(scenario: Scenario, run: Run) -> None:
    assert observe(scenario, run) == dict(run.expected), run.source


def test_every_run_cites_its_source() -> None:
    for scenario in SCENARIOS:
        assert scenario.runs, scenario.name
        for run in scenario.runs:
            assert scenario.name in run.source and run.label[:4] in run.source, run
            if scenario.oracle == "asserted":
                assert "Lib/test/test_getpath.py" in run.source, run
                assert run.source.endswith(f"::{scenario.name}"), run
            else:
                assert run.source.startswith("observed: ") and "Modules/getpath.py" in run.source


def test_known_bugs_name_existing_runs() -> None:
    runs = {(s.name, r.label) for s in SCENARIOS for r in s.runs}
    assert set(KNOWN_MODEL_BUGS) <= runs


def test_transcribed_layouts_are_startable() -> None:
    """Every startable scenario's command reaches one of its interpreter binaries."""
    for scenario in SCENARIOS:
        if scenario.not_startable:
            continue
        world = scenario.world()
        invocation = scenario.invocation()
        target = exec_target(world.fs, invocation, scenario.cwd)
        assert target in scenario.interpreters, (scenario.name, target)


def test_unstartable_are_explained() -> None:
    """Scenarios a command line cannot start (embedder-only PyConfig inputs) are kept as data
    with the reason, and there are few of them."""
    unstartable = [s for s in SCENARIOS if s.not_startable]
    assert all("PyConfig" in s.not_startable for s in unstartable)
    assert len(unstartable) <= 2
