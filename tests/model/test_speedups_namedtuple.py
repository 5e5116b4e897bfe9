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
