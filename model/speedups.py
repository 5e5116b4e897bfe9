"""Every device the model uses for speed, in one place, each checked against its plain form.

The model is plain Python; the compiled build (mypyc, bench/compiled.py) and a warm ``build
venv`` start-up are where these pay.  Nowhere else does the model bend its style for speed:

- :class:`NamedTuple`: typing.NamedTuple's class syntax without importing typing
  (tests/model/test_speedups_namedtuple.py);
- :data:`FRESH_LIST` and :data:`FRESH_SET`: defaults of a written-out ``__init__`` that stand
  for default_factory=list / set;
- :data:`new_tuple`: a NamedTuple made with every field through ``tuple.__new__``;
- ``dataclass``, ``field`` and ``replace``: dataclasses' for the type checker and mypyc, and at
  run time the classes model/valueclass.py makes, without importing dataclasses
  (tests/model/test_speedups_dataclass.py);
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

The classes made here are what collections.namedtuple makes, as typing's are (the same
fields, defaults, methods, docstring and annotations), made without importing collections.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Final

if TYPE_CHECKING:
    def _tuplegetter(index: int, doc: str) -> Any: ...
else:
    try:  # the field descriptor namedtuple uses, without importing collections
        from _collections import _tuplegetter
    except ImportError:  # pragma: no cover - not CPython
        from _operator import itemgetter

        def _tuplegetter(index, doc):
            return property(itemgetter(index), doc=doc)

_SKIPPED = frozenset({"__annotations__", "__module__", "__qualname__", "__orig_bases__"})


class _Maker(type):
    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, object]) -> type:
        if not bases:  # NamedTuple itself
            return super().__new__(mcls, name, bases, ns)
        annotations = ns.get("__annotations__", {})
        assert isinstance(annotations, dict)
        fields = tuple(annotations)
        defaults = tuple(ns[field] for field in fields if field in ns)
        if any(field in ns for field in fields[:len(fields) - len(defaults)]):
            raise TypeError(f"{name}: a field without a default follows one with a default")
        body = _tuple_body(name, fields, defaults)
        body["__module__"] = str(ns.get("__module__"))
        body["__qualname__"] = str(ns.get("__qualname__", name))
        body["__annotations__"] = annotations
        body.update((key, value) for key, value in ns.items()
                    if key not in _SKIPPED and key not in fields)
        return type(name, (tuple,), body)


_NEW_SCOPE: Final[dict[str, Any]] = {"_new": tuple.__new__, "__builtins__": {}}
_NEW_CODES: dict[int, Any] = {}
_function: Final[Any] = type(lambda: None)  # types.FunctionType, without loading types


def _new_code(count: int) -> Any:
    """The code of ``lambda _cls, _0, ..., _n: tuple.__new__(_cls, (_0, ..., _n))`` (the same
    code for every class of ``count`` fields, its names replaced for each)."""
    code = _NEW_CODES.get(count)
    if code is None:
        listed = ", ".join(f"_{i}" for i in range(count))
        code = eval(f"lambda _cls, {listed}: _new(_cls, ({listed}{',' if count else ''}))",
                    _NEW_SCOPE).__code__
        _NEW_CODES[count] = code
    return code


def _tuple_body(name: str, fields: tuple[str, ...], defaults: tuple[object, ...]
                ) -> dict[str, object]:
    """What collections.namedtuple(name, fields, defaults=defaults) puts in its class: the
    same __new__ signature, methods and field descriptors, made here because importing
    collections costs a warm `build venv` about a millisecond."""
    for field in fields:
        if not field.isidentifier() or field.startswith("_"):
            raise ValueError(f"{name}: {field!r} cannot be a field name")
    listed = ", ".join(fields)
    # A generated signature, as namedtuple makes one: calls bind by name and default as any
    # function's do, at the cost of a call (the hot paths use new_tuple).  The code is
    # compiled once per number of fields and renamed for each class: compiling it for each
    # of the 15 classes a warm build venv makes cost 0.5 ms of its start-up.
    count = len(fields)
    code = _new_code(count).replace(co_varnames=("_cls", *fields), co_name="__new__",
                                    co_qualname=f"{name}.__new__")
    new = _function(code, _NEW_SCOPE, "__new__", defaults or None)

    def _make(cls: type, iterable: Iterable[object]) -> tuple[object, ...]:
        made: tuple[object, ...] = tuple.__new__(cls, iterable)
        if len(made) != count:
            raise TypeError(f"Expected {count} arguments, got {len(made)}")
        return made

    def _replace(self: tuple[object, ...], /, **changes: object) -> tuple[object, ...]:
        made = _make(type(self), [changes.pop(field, value)
                                  for field, value in zip(fields, self)])
        if changes:
            raise ValueError(f"Got unexpected field names: {list(changes)!r}")
        return made

    def __repr__(self: tuple[object, ...]) -> str:
        shown = ", ".join(f"{field}={value!r}" for field, value in zip(fields, self))
        return f"{type(self).__name__}({shown})"

    def _asdict(self: tuple[object, ...]) -> dict[str, object]:
        return dict(zip(fields, self))

    def __getnewargs__(self: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(self)

    body: dict[str, object] = {
        "__doc__": f"{name}({listed})", "__slots__": (), "_fields": fields,
        "_field_defaults": dict(zip(fields[count - len(defaults):], defaults)),
        "__match_args__": fields, "__new__": staticmethod(new), "_make": classmethod(_make),
        "_replace": _replace, "__repr__": __repr__, "_asdict": _asdict,
        "__getnewargs__": __getnewargs__}
    for index, field in enumerate(fields):
        body[field] = _tuplegetter(index, f"Alias for field number {index}")
    return body


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


# -- dataclasses ---------------------------------------------------------------------------------
# A module writes ``@dataclass(frozen=True)`` as usual, importing ``dataclass``, ``field`` and
# ``replace`` from here: the type checker and mypyc (which compiles them) see dataclasses' own,
# and at run time the Python package gets the classes model/valueclass.py makes.  Making a
# class through dataclasses compiles five or six generated methods, and importing it loads
# inspect (ast, dis, tokenize): about 20 ms of a cold `build venv` or a `predict` for the
# model's start-up code (bench/README.md).  valueclass makes the same methods and answers
# dataclasses' own functions (fields, replace, asdict, is_dataclass); what it does not make
# (order, kw_only, inheritance, ClassVar, a class mypyc compiled) it hands to dataclasses.
# Checked against dataclasses on generated classes and on every model class:
# tests/model/test_speedups_dataclass.py.

if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
    from dataclasses import field as field
    from dataclasses import replace as replace

    from prefixlab.model.valueclass import field_names as field_names

_MADE_IN_VALUECLASS = frozenset({"dataclass", "field", "replace", "field_names"})


def __getattr__(name: str) -> Any:
    """The dataclass names, loaded from model/valueclass.py when first imported (PEP 562):
    a warm `build venv`, which makes no dataclass, does not load it."""
    if name in _MADE_IN_VALUECLASS:
        from prefixlab.model import valueclass

        return getattr(valueclass, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
