"""model/speedups.py must behave as typing.NamedTuple for the classes written with it."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from prefixlab.model import speedups


def _make(base: Any) -> Any:
    class Point(base):  # type: ignore[misc]
        """A point."""

        x: int
        y: int = 2
        label: str = "p"

        def norm(self) -> int:
            return int(self.x + self.y)

    return Point


def test_same_behaviour_as_typing() -> None:
    ours, theirs = _make(speedups.NamedTuple), _make(typing.NamedTuple)
    for cls in (ours, theirs):
        assert cls._fields == ("x", "y", "label")
        assert cls._field_defaults == {"y": 2, "label": "p"}
        point = cls(1)
        assert point == (1, 2, "p") and point.norm() == 3
        assert point._replace(y=5).y == 5
        assert repr(point) == "Point(x=1, y=2, label='p')"
        assert cls.__doc__ == "A point."
        assert cls.__qualname__.endswith("Point") and "test_speedups_namedtuple" in cls.__module__
        with pytest.raises(AttributeError):
            point.x = 3
    assert set(ours.__annotations__) == set(theirs.__annotations__)


def test_default_before_plain_field_is_refused() -> None:
    with pytest.raises(TypeError):
        class Bad(speedups.NamedTuple):  # noqa: F841
            a: int = 1
            b: int


class Pickled(speedups.NamedTuple):
    """Module level, so that pickle finds it."""

    name: str
    size: int = 0


def _outcome(call: Any) -> tuple[str, object]:
    try:
        return "ok", call()
    except Exception as error:  # noqa: BLE001  # the kind of error is the outcome
        return type(error).__name__, None


def test_methods_answer_as_namedtuples() -> None:
    """Every method collections.namedtuple gives, with good and bad arguments alike: the
    classes are made without collections, so each is compared with typing's."""
    ours, theirs = _make(speedups.NamedTuple), _make(typing.NamedTuple)
    calls = [lambda cls: cls(1, 3, "q"), lambda cls: cls(x=4, label="z"),
             lambda cls: cls(), lambda cls: cls(1, 2, 3, 4), lambda cls: cls(1, z=2),
             lambda cls: cls._make([5, 6, "r"]), lambda cls: cls._make([5]),
             lambda cls: cls(1)._replace(label="t", x=0), lambda cls: cls(1)._replace(w=1),
             lambda cls: cls(7)._asdict(), lambda cls: cls(7).__getnewargs__(),
             lambda cls: cls.__match_args__, lambda cls: cls.__new__.__defaults__,
             lambda cls: [cls.x.__doc__, cls.label.__doc__], lambda cls: cls.__slots__,
             lambda cls: hash(cls(1)) == hash((1, 2, "p"))]
    for call in calls:
        mine, typings = _outcome(lambda: call(ours)), _outcome(lambda: call(theirs))
        assert mine == typings
        assert type(mine[1]) is not ours or repr(mine[1]) == repr(typings[1]).replace(
            theirs.__qualname__, ours.__qualname__)


def test_pickles_and_copies() -> None:
    import copy
    import pickle

    value = Pickled("a", 3)
    for again in (pickle.loads(pickle.dumps(value)), copy.copy(value), copy.deepcopy(value)):
        assert again == value and type(again) is Pickled
    assert Pickled._fields == ("name", "size") and Pickled._field_defaults == {"size": 0}
    assert Pickled.__doc__ == "Module level, so that pickle finds it."


def test_no_docstring_is_namedtuples() -> None:
    class Plain(speedups.NamedTuple):
        a: int
        b: str

    assert Plain.__doc__ == "Plain(a, b)"
    assert Plain(1, "x") == (1, "x") and repr(Plain(1, "x")) == "Plain(a=1, b='x')"
