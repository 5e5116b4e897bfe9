"""typing.NamedTuple's class syntax at a fraction of its start-up cost.

A warm `prefixlab build venv` must start faster than `python -m venv` (bench/builders.py
times both), and importing typing (with re behind it) and building classes through
typing.NamedTuple was a fifth of its instructions.  Modules on that path write
``class Step(NamedTuple): ...`` as usual, but import NamedTuple from here at run time and
from typing for the type checker::

    TYPE_CHECKING = False
    if TYPE_CHECKING:
        from typing import NamedTuple
    else:
        from prefixlab.model.speedups import NamedTuple

The classes made here are collections.namedtuple classes, as typing's are: the same fields,
defaults, methods, docstring and annotations.
"""

from __future__ import annotations

from collections import namedtuple

_SKIPPED = frozenset({"__annotations__", "__module__", "__qualname__", "__orig_bases__"})


class _Maker(type):
    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, object]) -> type:
        if not bases:  # NamedTuple itself
            return super().__new__(mcls, name, bases, ns)
        annotations = ns.get("__annotations__", {})
        assert isinstance(annotations, dict)
        fields = tuple(annotations)
        defaults = [ns[field] for field in fields if field in ns]
        if any(field in ns for field in fields[:len(fields) - len(defaults)]):
            raise TypeError(f"{name}: a field without a default follows one with a default")
        cls: type = namedtuple(name, fields, defaults=defaults,  # type: ignore[misc]
                               module=str(ns.get("__module__")))
        cls.__qualname__ = str(ns.get("__qualname__", name))
        cls.__annotations__ = annotations
        for key, value in ns.items():
            if key not in _SKIPPED and key not in fields:
                setattr(cls, key, value)
        return cls


class NamedTuple(metaclass=_Maker):
    """Subclass this as typing.NamedTuple (fields, then fields with defaults, then methods)."""
