"""Every device the model uses for speed, in one place, each checked against its plain form.

The model is plain Python; the compiled build (mypyc, bench/compiled.py) and a warm ``build
venv`` start-up are where these pay.  Nowhere else does the model bend its style for speed:

- :class:`NamedTuple`: typing.NamedTuple's class syntax without importing typing
  (tests/model/test_speedups_namedtuple.py);
- :data:`FRESH_LIST` and :data:`FRESH_SET`: defaults of a written-out ``__init__`` that stand
  for default_factory=list / set;
- :data:`new_tuple`: a NamedTuple made with every field through ``tuple.__new__``;
- written-out ``__init__`` methods: a dataclass on a hot path (Outcome, Failure, Calc, Inputs,
  Candidate, ImportContext, CommandLine, StartupConfig, SiteRun) spells its ``__init__`` out,
  fields in order with their defaults, because mypyc runs a dataclass's generated
  ``__init__`` as interpreted code, several times slower (26,000 instructions to build an
  Outcome, 320 written out; bench/README.md).  Such a class says so in a comment, and
  tests/model/test_speedups_init.py checks each against the ``__init__`` dataclass would
  generate.

typing.NamedTuple's class syntax at a fraction of its start-up cost:

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

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

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


FRESH_LIST: Final[list[Any]] = []
"""A default that stands for a new empty list (compared by identity, never filled): what a
dataclass's default_factory=list does, in a written-out __init__."""
FRESH_SET: Final[set[Any]] = set()
"""The same for a new empty set."""

new_tuple: Final = tuple.__new__
"""``new_tuple(Cls, (field, ...))`` makes a NamedTuple with every field given: calling the
class runs NamedTuple's __new__ as Python code, several times the cost from the compiled
build (callgrind, bench/README.md)."""
