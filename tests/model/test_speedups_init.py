"""The dataclasses whose __init__ is written out (for the compiled model's speed, see
bench/README.md) take the same arguments as the generated one would, set every field from
them, and give each instance its own fresh default where a field has a default_factory."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from prefixlab.model.startup.cmdline import CommandLine, StartupConfig
from prefixlab.model.startup.getpath.context import Calc, Inputs
from prefixlab.model.startup.imports import Candidate, ImportContext
from prefixlab.model.outcome import Failure, Outcome
from prefixlab.model.startup.site import SiteRun

WRITTEN_OUT = [Outcome, Failure, Calc, Inputs, Candidate, ImportContext, CommandLine,
               StartupConfig, SiteRun]


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda c: c.__name__)
def test_the_class_keeps_its_own_init(cls: type) -> None:
    assert "__init__" in vars(cls)
    assert inspect.getsourcefile(vars(cls)["__init__"]) == inspect.getsourcefile(cls)


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda c: c.__name__)
def test_the_parameters_are_the_fields_with_their_defaults(cls: type) -> None:
    parameters = list(inspect.signature(cls).parameters.values())
    fields = [f for f in dataclasses.fields(cls) if f.init]
    assert [p.name for p in parameters] == [f.name for f in fields]
    for parameter, field in zip(parameters, fields):
        assert parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        if field.default is not dataclasses.MISSING:
            assert parameter.default == field.default, field.name
        elif field.default_factory is dataclasses.MISSING:
            assert parameter.default is inspect.Parameter.empty, field.name


class _Marker:
    """A distinct value per field, to see that each lands where it belongs."""

    def __init__(self, name: str) -> None:
        self.name = name


def _required(cls: type) -> dict[str, Any]:
    return {f.name: _Marker(f.name) for f in dataclasses.fields(cls)
            if f.init and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING}


@pytest.mark.parametrize("cls", [c for c in WRITTEN_OUT if c is not Calc],
                         ids=lambda c: c.__name__)
def test_every_field_is_set_from_its_argument(cls: type) -> None:
    given = {f.name: _Marker(f.name) for f in dataclasses.fields(cls) if f.init}
    made = cls(**given)
    for name, value in given.items():
        assert getattr(made, name) is value, name
    positional = cls(*given.values())
    assert positional == made


@pytest.mark.parametrize("cls", [c for c in WRITTEN_OUT if c is not Calc],
                         ids=lambda c: c.__name__)
def test_defaults_are_the_fields_defaults_and_fresh(cls: type) -> None:
    one, two = cls(**_required(cls)), cls(**_required(cls))
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            assert getattr(one, field.name) == field.default, field.name
        elif field.default_factory is not dataclasses.MISSING:
            value = field.default_factory()
            assert getattr(one, field.name) == value, field.name
            assert type(getattr(one, field.name)) is type(value), field.name
            if isinstance(value, (list, dict, set)):
                assert getattr(one, field.name) is not getattr(two, field.name), field.name


def test_calc_sets_every_field_and_runs_post_init() -> None:
    from prefixlab.model.world.build import behaviour_for, BuildConstants
    from prefixlab.model.startup.cmdline import parse, startup_config
    from prefixlab.model.world.fs import Layout

    row = behaviour_for((3, 12, 0))
    line = parse((), row)
    inputs = Inputs(Layout({}), "/", BuildConstants((3, 12, 0), "/usr", "/usr"), row,
                    ("python3",), {}, line, startup_config(line, {}, row))
    given = {f.name: getattr(Calc(inputs), f.name) for f in dataclasses.fields(Calc) if f.init}
    given.update(program_name="p", executable="/e", home="/h", prefix="/p", zip_path="z",
                 prefix_found=2, warnings=["w"], steps=[], asked={"a"}, landmarks=None)
    made = Calc(**given)
    for name in ("program_name", "executable", "home", "prefix", "zip_path", "prefix_found"):
        assert getattr(made, name) == given[name]
    for name in ("warnings", "steps", "asked"):
        assert getattr(made, name) is given[name]
    fresh, other = Calc(inputs), Calc(inputs)
    for field in dataclasses.fields(Calc):
        if field.name == "resolver":
            continue  # __post_init__ makes one (checked below)
        if field.init and field.default is not dataclasses.MISSING:
            assert getattr(fresh, field.name) == field.default, field.name
        elif field.init and field.default_factory is not dataclasses.MISSING:
            assert getattr(fresh, field.name) == field.default_factory(), field.name
            assert getattr(fresh, field.name) is not getattr(other, field.name), field.name
    assert fresh.resolver is not None and fresh.syscalls is fresh.resolver  # __post_init__ ran
