"""Totality: the model answers every generated case with an Outcome and never raises, for
every behaviour-table row (3.14 and the unconfirmed point releases included), with ordinary
and with odd build constants."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefixlab.model.build import TABLE, BuildConstants
from prefixlab.model.invocation import Invocation
from prefixlab.model.outcome import FIELDS, Outcome
from prefixlab.model.startup import World, predict
from prefixlab.model.strategies import Target, cases

ROOT = "/w"
VERSIONS = [since for since, _ in TABLE]


@st.composite
def worlds(draw: st.DrawFn) -> tuple[World, Invocation]:
    version = draw(st.sampled_from(VERSIONS))
    case = draw(cases(Target(version)))
    bound = case.at(ROOT)
    prefix = draw(st.sampled_from(["/usr", "/opt/py", ""]))
    build = BuildConstants(version, prefix, draw(st.sampled_from([prefix, "/other", ""])),
                           vpath=draw(st.sampled_from(["", "..", "."])),
                           pythonpath=draw(st.sampled_from(["", "plat", "/abs:rel"])))
    return World(bound.layout, {p: build for p in bound.binaries}), bound.invocation


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(worlds())
def test_every_case_gets_an_outcome(world_case: tuple[World, Invocation]) -> None:
    world, invocation = world_case
    outcome = predict(world, invocation)
    assert isinstance(outcome, Outcome)
    assert outcome.status in ("ok", "startup-failed", "exec-failed", "not-modelled")
    if outcome.status == "ok":
        assert all(isinstance(getattr(outcome, name), str) for name in FIELDS)
        assert outcome.error is None
    else:
        assert outcome.error is not None and outcome.error.kind
        assert all(getattr(outcome, name) is None for name in FIELDS)
    assert outcome.trace.steps, "every answer explains itself"
