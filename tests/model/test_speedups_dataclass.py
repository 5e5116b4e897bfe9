"""model/speedups.py's dataclass: the classes it makes behave as dataclasses' own made of the
same source, on generated classes (fields with and without defaults, default factories,
init=False, repr=False, compare=False, hash=, frozen, slots, __post_init__, a docstring or
none) and on every value class of the model."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import keyword
import pickle
import pkgutil
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import prefixlab.model
from prefixlab.model import speedups, valueclass

NAMES = st.text("abcdefgh_", min_size=1, max_size=6).filter(
    lambda n: n.isidentifier() and not keyword.iskeyword(n) and not n.startswith("__"))
VALUES = st.one_of(st.none(), st.integers(-3, 3), st.text("xy", max_size=2),
                   st.tuples(st.integers(0, 2)))
DEFAULTS = VALUES | st.builds(list)
"""A list default is refused by both (a mutable default)."""
FACTORIES: list[Callable[[], Any]] = [list, dict, set, tuple]
POSTED: list[str] = []
"""What the generated classes' __post_init__ saw."""


@st.composite
def field_specs(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["plain", "default", "field-default", "factory", "bare-field"]))
    spec: dict[str, Any] = {"kind": kind}
    if kind in ("default", "field-default"):
        spec["default"] = draw(DEFAULTS)
    if kind == "factory":
        spec["factory"] = draw(st.sampled_from(FACTORIES))
    if kind in ("field-default", "factory", "bare-field"):
        spec["init"] = draw(st.booleans()) if kind != "bare-field" else True
        spec["repr"] = draw(st.booleans())
        spec["compare"] = draw(st.booleans())
        spec["hash"] = draw(st.sampled_from([None, True, False]))
    return spec


@st.composite
def class_specs(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(NAMES, unique=True, max_size=6))
    fields = [(name, draw(field_specs())) for name in names]
    return {"fields": fields, "frozen": draw(st.booleans()), "slots": draw(st.booleans()),
            "doc": draw(st.booleans()), "post_init": draw(st.booleans()),
            "own_hash": draw(st.booleans()) and draw(st.booleans())}


def build(spec: dict[str, Any], maker: Any, field: Any, module: str = __name__) -> Any:
    """The class of ``spec`` made by ``maker`` (a dataclass decorator) with ``field``; the
    exception it raises instead, if any."""
    body: dict[str, Any] = {"__module__": module, "__qualname__": "Made",
                            "__annotations__": {}}
    for name, one in spec["fields"]:
        body["__annotations__"][name] = "int"
        kind = one["kind"]
        if kind == "default":
            body[name] = one["default"]
        elif kind != "plain":
            given: dict[str, Any] = {k: one[k] for k in ("init", "repr", "compare", "hash")}
            if kind == "field-default":
                given["default"] = one["default"]
            elif kind == "factory":
                given["default_factory"] = one["factory"]
            body[name] = field(**given)
    if spec["doc"]:
        body["__doc__"] = "A made class."
    if spec["post_init"]:
        def __post_init__(self: Any) -> None:
            POSTED.append(type(self).__module__)
        body["__post_init__"] = __post_init__
    if spec["own_hash"]:
        body["__hash__"] = lambda self: 7
    try:
        return maker(frozen=spec["frozen"], slots=spec["slots"])(type("Made", (), body))
    except (TypeError, ValueError) as error:
        return error


def arguments(cls: Any, draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments for every init field without a default, some with."""
    chosen = {}
    for parameter in inspect.signature(cls).parameters.values():
        if parameter.default is inspect.Parameter.empty or draw(st.booleans()):
            chosen[parameter.name] = draw(VALUES)
    return chosen


def outcome(function: Callable[..., Any], *args: Any) -> tuple[Any, ...]:
    """What ``function(*args)`` gives, or the type and text of what it raises."""
    try:
        return ("value", function(*args))
    except Exception as error:  # noqa: BLE001  # compared, not handled
        return ("raised", type(error), str(error))


def same_behaviour(ours: Any, theirs: Any, args: dict[str, Any]) -> None:
    assert str(inspect.signature(ours)) == str(inspect.signature(theirs))
    assert ours.__doc__ == theirs.__doc__
    assert ours.__match_args__ == theirs.__match_args__
    assert (ours.__hash__ is None) == (theirs.__hash__ is None)
    assert vars(ours).get("__slots__") == vars(theirs).get("__slots__")
    assert hasattr(ours, "__replace__") == hasattr(theirs, "__replace__")  # 3.13+
    for one in dataclasses.fields(theirs):  # class attributes: the defaults left
        assert (one.name in vars(ours)) == (one.name in vars(theirs)), one.name
        if one.name in vars(theirs) and not isinstance(vars(theirs)[one.name],
                                                       types.MemberDescriptorType):
            assert vars(ours)[one.name] == vars(theirs)[one.name]
    assert [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.hash, f.compare)
            for f in dataclasses.fields(ours)] == \
        [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.hash, f.compare)
         for f in dataclasses.fields(theirs)]
    assert dataclasses.is_dataclass(ours)
    a, b = ours(**args), theirs(**args)
    assert repr(a) == repr(b)
    assert vars(a) == vars(b) if hasattr(b, "__dict__") else True
    assert a == ours(**args) and not (a != ours(**args))
    assert (a == b) is False  # another class: NotImplemented both ways
    if theirs.__hash__ is not None:
        assert outcome(hash, a) == outcome(hash, b)
    assert dataclasses.asdict(a) == dataclasses.asdict(b)
    assert dataclasses.astuple(a) == dataclasses.astuple(b)
    assert speedups.replace(a) == a == dataclasses.replace(a)
    for one in dataclasses.fields(theirs):
        if theirs.__dataclass_params__.frozen:
            for act in (lambda x: setattr(x, one.name, 1), lambda x: delattr(x, one.name)):
                errors = []
                for instance in (a, b):
                    with pytest.raises(dataclasses.FrozenInstanceError) as caught:
                        act(instance)
                    errors.append(str(caught.value))
                assert errors[0] == errors[1]
        if not one.init:
            with pytest.raises(ValueError):
                speedups.replace(a, **{one.name: 1})
    assert copy.copy(a) == a and copy.deepcopy(a) == a


@settings(max_examples=300, deadline=None)
@given(class_specs(), st.data())
def test_a_generated_class_is_what_dataclasses_makes(spec: dict[str, Any],
                                                      data: st.DataObject) -> None:
    ours = build(spec, speedups.dataclass, speedups.field)
    theirs = build(spec, dataclasses.dataclass, dataclasses.field)
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs) and str(ours) == str(theirs)
        return
    assert not isinstance(ours, Exception), ours
    assert "__value_spec__" in vars(ours)  # made here, not handed over
    same_behaviour(ours, theirs, arguments(theirs, data.draw))


@pytest.mark.parametrize("frozen", [True, False])
@pytest.mark.parametrize("slots", [True, False])
def test_instances_pickle_as_dataclasses_do(frozen: bool, slots: bool) -> None:
    spec = {"fields": [("a", {"kind": "plain"}), ("b", {"kind": "default", "default": 2})],
            "frozen": frozen, "slots": slots, "doc": True, "post_init": False,
            "own_hash": False}
    made = build(spec, speedups.dataclass, speedups.field)
    made.__qualname__ = made.__name__ = f"Pickled_{frozen}_{slots}"
    setattr(sys.modules[__name__], made.__name__, made)
    instance = made(1)
    assert pickle.loads(pickle.dumps(instance)) == instance


def test_what_is_not_made_here_is_made_by_dataclasses() -> None:
    @speedups.dataclass(order=True)
    class Ordered:
        a: int
        b: list[int] = speedups.field(default_factory=list)

    assert "__value_spec__" not in vars(Ordered)
    assert Ordered(1) < Ordered(2) and Ordered(1).b == []

    @speedups.dataclass(frozen=True)
    class Base:
        a: int

    @speedups.dataclass(frozen=True)
    class Derived(Base):
        b: int = 0

    assert "__value_spec__" not in vars(Derived)
    assert [f.name for f in dataclasses.fields(Derived)] == ["a", "b"]

    class Mixin:
        b = 5

    @speedups.dataclass(frozen=True)
    class Inherits(Mixin):
        b: int

    @speedups.dataclass(frozen=True)
    class Described:
        b: int = property(lambda self: 1)  # type: ignore[assignment]

    for made in (Inherits, Described):
        assert "__value_spec__" not in vars(made)
    assert Inherits().b == 5  # the base's attribute, a default to dataclasses


def _model_value_classes() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(prefixlab.model.__path__, "prefixlab.model."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == info.name \
                    and "__value_spec__" in vars(value):
                found.append(value)
    return found


MODEL_CLASSES = _model_value_classes()


def test_the_model_makes_its_values_here() -> None:
    # a floor, not a count: every module of the start-up path makes its values here
    assert len(MODEL_CLASSES) >= 60


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_a_model_class_is_what_dataclasses_makes(cls: type) -> None:
    """dataclasses' own class of the same source (its own methods and attributes, the
    fields as written) has the same signature, fields, hashing, docstring and slots."""
    spec = vars(cls)["__value_spec__"]
    body = {name: value for name, value in vars(cls).items()
            if name not in spec.made and name not in (
                "__value_spec__", "__dataclass_fields__", "__dataclass_params__",
                "__dict__", "__weakref__", "__getstate__", "__setstate__")
            and not (spec.slots and name in [f.name for f in spec.fields])}
    if spec.slots:
        body.pop("__slots__", None)
    for one in spec.fields:
        if one.name in body or one.default_factory is not valueclass._NONE or not one.init \
                or not one.repr or not one.compare or one.hash is not None:
            body[one.name] = one.real()
        elif one.default is not valueclass._NONE:
            body[one.name] = one.default
    twin = dataclasses.dataclass(frozen=spec.frozen, slots=spec.slots)(
        type(cls.__name__, cls.__bases__, body))
    assert str(inspect.signature(cls)) == str(inspect.signature(twin))
    assert cls.__doc__ == twin.__doc__
    assert getattr(cls, "__match_args__") == getattr(twin, "__match_args__")
    assert (cls.__hash__ is None) == (twin.__hash__ is None)
    assert vars(cls).get("__slots__") == vars(twin).get("__slots__")
    assert [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.compare)
            for f in dataclasses.fields(cls)] == \
        [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.compare)
         for f in dataclasses.fields(twin)]
    assert getattr(cls, "__dataclass_params__").frozen == spec.frozen
