"""Totality: the model answers every generated case with an Outcome and never raises, for
every behaviour-table row (3.14 and the unconfirmed point releases included), with ordinary
and with odd build constants."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefixlab.model.world.build import TABLE, BuildConstants
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.outcome import FIELDS, Outcome
from prefixlab.model.world import World
from prefixlab.model.startup.predict import predict
from prefixlab.model.world import kernel
from prefixlab.model.strategies import startup as strategies
from prefixlab.model.world.fs import Layout, Symlink
from prefixlab.model.strategies.startup import Target, cases

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



@settings(max_examples=200, deadline=None)
@given(st.data(), st.sampled_from(["inst/bin", "/w/inst/bin"]))
def test_a_probe_script_can_be_reached_from_a_linked_cwd(data: st.DataObject,
                                                         target: str) -> None:
    """The generator names the probe script so that the kernel finds it from the working
    directory, also when that directory is reached through a link (a lexical '../scripts'
    from it misses: the kernel takes '..' from the physical directory, so the real run could
    not start the probe and nothing would be compared)."""
    draft = strategies._Draft(Target(VERSIONS[-1]))
    here = strategies.ROOT  # the placeholder the generator writes; bound to ROOT below
    draft.mkdirs(f"{here}/inst/bin")
    draft.add(f"{here}/lnk", Symlink(target.replace("/w", here)))
    command = strategies._script_or_module(data.draw, draft, f"{here}/lnk")
    if command[0] == "-m":
        return  # a module run from the working directory: no script to name

    def bind(text: str) -> str:
        return text.replace(here, ROOT)

    layout = Layout({bind(path): Symlink(bind(node.target)) if isinstance(node, Symlink)
                     else node for path, node in draft.nodes.items()})
    physical = kernel.chdir(layout, f"{ROOT}/lnk")
    assert physical == f"{ROOT}/inst/bin"
    found = kernel.lookup(layout, bind(command[-1]), physical)
    assert found.entry is not None and found.entry.kind == "file", (command, found)
