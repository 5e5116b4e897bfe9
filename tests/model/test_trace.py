"""The trace: steps record their values by name, and their detail is the template filled in.

Generated cases for both getpath arrangements check every recorded step: its template names
only values it recorded, its detail is ``template.format(**values)``, and its values convert
to JSON by the one documented conversion (model/trace.py: json_value).
"""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings

from prefixlab.model.outcome import Outcome
from prefixlab.model.startup import cmdline
from prefixlab.model.startup.getpath import prefix
from prefixlab.model.startup.getpath.context import Calc, Inputs
from prefixlab.model.startup.predict import predict
from prefixlab.model.strategies.startup import Case, Target, cases
from prefixlab.model.trace import RULES, Joined, Step, Trace, json_value, values_json
from prefixlab.model.world import World
from prefixlab.model.world.build import BuildConstants, behaviour_for
from prefixlab.model.world.fs import Layout


def fields(template: str) -> set[str]:
    """The value names a str.format template refers to."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def generated(case: Case, version: tuple[int, int, int]) -> Outcome:
    bound = case.at("/r")
    build = BuildConstants(version=version, prefix="/usr/local", exec_prefix="/usr/local")
    return predict(World(bound.layout, {b: build for b in bound.binaries}), bound.invocation)


@pytest.mark.parametrize("version", [(3, 8, 18), (3, 10, 13), (3, 12, 1), (3, 14, 0)],
                         ids=lambda v: "%d.%d" % v[:2])
def test_every_step_is_its_template_filled_with_its_values(version: tuple[int, int, int]) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cases(Target(version)))
    def check(case: Case) -> None:
        outcome = generated(case, version)
        for step in outcome.trace.steps:
            assert RULES[step.rule.id] is step.rule
            assert fields(step.template) <= set(step.values), step
            assert step.detail == step.template.format(**step.values)
        shown = outcome.to_json()["trace"]
        assert [s["rule"] for s in shown] == list(outcome.trace.rules())
        assert [s["detail"] for s in shown] == [s.detail for s in outcome.trace.steps]
        json.dumps(shown)  # every value converts

    check()


def test_a_list_recorded_is_the_list_as_it_was() -> None:
    """Calc.step copies lists: what a step found does not change when the list grows."""
    row = behaviour_for((3, 12, 1))
    line = cmdline.parse((), row)
    build = BuildConstants((3, 12, 1), "/usr", "/usr")
    calc = Calc(Inputs(Layout(), "/", build, row, ("python3",), {}, line,
                       cmdline.startup_config(line, {}, row)))
    paths = ["/a"]
    calc.step(prefix.R_SEARCH_FAILED, "{searched!r}", versioned=True, searched=paths)
    paths.append("/b")
    (step,) = Trace(tuple(calc.steps)).steps
    assert step.detail == "['/a']" and step.row == row.name


def test_joined_values_show_on_one_line_and_stay_a_sequence() -> None:
    searched = Joined(["/a", "/b"])
    step = Step.of(prefix.R_SEARCH_FAILED, "tested {searched:r} for {landmark}",
                   searched=searched, landmark="os.py")
    assert step.detail == "tested '/a', '/b' for os.py"
    assert f"{Joined(['x', 'y'])}" == "x, y"
    assert values_json(step.values) == {"searched": ["/a", "/b"], "landmark": "os.py"}


def test_the_json_conversion() -> None:
    from prefixlab.model.world.kernel import Errno

    assert json_value(None) is None and json_value(True) is True and json_value(3) == 3
    assert json_value(Errno.ENOENT) == "ENOENT" and type(json_value(Errno.ENOENT)) is str
    assert json_value(("a", ["b", None])) == ["a", ["b", None]]
    assert json_value({"k": ("v",)}) == {"k": ["v"]}
