"""The Python package's dataclasses: what dataclasses makes of the same source, made without
importing it (model/speedups.py says why; import ``dataclass``, ``field`` and ``replace`` from
there, where the type checker and mypyc see dataclasses' own).

For the options the model uses (frozen, slots; a field's default, default_factory, init,
repr, compare and hash; __post_init__) a class gets what dataclasses gives it, as in
CPython 3.11-3.13's Lib/dataclasses.py: the same ``__init__`` text (compiled once per class),
``__repr__`` with its recursion guard, ``__eq__`` and ``__hash__`` over the same tuples of
fields, the frozen ``__setattr__`` and ``__delattr__``, ``__match_args__``, and with slots a
new class with ``__slots__`` (and ``__getstate__``/``__setstate__`` when frozen).  A method
the class defines itself is kept, as dataclasses keeps it.  What only dataclasses' own
functions and introspection read -- ``__dataclass_fields__``, ``__dataclass_params__``, and
the docstring of a class without one (its signature, through inspect) -- is made by
dataclasses on first use, from a class of the same fields, so ``dataclasses.fields``,
``replace``, ``asdict`` and ``is_dataclass`` answer as for its own classes.  Anything else
(order, unsafe_hash, kw_only, a dataclass base, a ClassVar, InitVar or KW_ONLY annotation,
a class mypyc compiled) is handed to dataclasses whole.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing stays off the start-up (model/speedups.py)
if TYPE_CHECKING:
    from typing import Any, Final


class _NoneGiven:
    """The mark of an argument not given (dataclasses.MISSING's part here)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<none given>"


_NONE: Final = _NoneGiven()


class _Factory:
    """The default of an __init__ parameter whose field has a default_factory (what
    dataclasses' signature shows as ``<factory>``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_HAS_FACTORY: Final = _Factory()


class _Field:
    """What :func:`field` gives: dataclasses.field's arguments, until the class is made."""

    __slots__ = ("default", "default_factory", "init", "repr", "hash", "compare", "metadata",
                 "kw_only", "name")

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool,
                 hash: bool | None, compare: bool, metadata: Any, kw_only: Any) -> None:
        self.default, self.default_factory, self.init, self.repr = default, default_factory, init, repr
        self.hash, self.compare, self.metadata, self.kw_only = hash, compare, metadata, kw_only
        self.name = ""

    def real(self) -> Any:
        """The same field made by dataclasses.field."""
        import dataclasses

        given = {"init": self.init, "repr": self.repr, "hash": self.hash,
                 "compare": self.compare, "metadata": self.metadata}
        if self.default is not _NONE:
            given["default"] = self.default
        if self.default_factory is not _NONE:
            given["default_factory"] = self.default_factory
        if self.kw_only is not _NONE:
            given["kw_only"] = self.kw_only
        return dataclasses.field(**given)


class _Spec:
    """How a class was made here: its fields in order and its options (read by
    :func:`replace` and by the parts dataclasses makes on first use)."""

    __slots__ = ("cls", "fields", "frozen", "slots", "annotations", "made")

    def __init__(self, cls: type, fields: tuple[_Field, ...], frozen: bool, slots: bool,
                 annotations: dict[str, Any], made: tuple[str, ...]) -> None:
        self.cls, self.fields, self.frozen, self.slots = cls, fields, frozen, slots
        self.annotations, self.made = annotations, made
        """The attributes set here (methods and the parts made on first use)."""

    def twin(self) -> type:
        """The class dataclasses makes of the same fields and options (no methods of its
        own): where __dataclass_fields__ and __dataclass_params__ come from."""
        import dataclasses

        body: dict[str, Any] = {"__annotations__": dict(self.annotations),
                                "__module__": self.cls.__module__,
                                "__qualname__": self.cls.__qualname__}
        for one in self.fields:
            body[one.name] = one.real()
        made: type = dataclasses.dataclass(frozen=self.frozen, slots=self.slots)(
            type(self.cls.__name__, (), body))
        return made


class _OnFirstUse:
    """A class attribute made by dataclasses the first time it is read (then stored in the
    class in its place): __dataclass_fields__, __dataclass_params__, and the docstring of a
    class without one (its signature, which dataclasses takes from inspect)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        cls = owner if owner is not None else type(instance)
        spec: _Spec = cls.__dict__["__value_spec__"]
        if self.name == "__doc__":
            import inspect

            value: Any = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
        else:
            value = getattr(spec.twin(), self.name)
        type.__setattr__(cls, self.name, value)
        return value


_UNSUPPORTED = ("ClassVar", "InitVar", "KW_ONLY")
"""Annotations whose fields dataclasses treats apart: such a class is made by dataclasses."""
_PARAMS = {"init": True, "repr": True, "eq": True, "order": False, "unsafe_hash": False,
           "match_args": True, "kw_only": False, "weakref_slot": False}
"""The options made here at their defaults only (frozen and slots, either way)."""


def _make_value_class(cls: type, params: dict[str, Any]) -> type:
    fields = _own_fields(cls, params)
    if fields is None:
        return _by_dataclasses(cls, params)
    frozen, slots = bool(params.get("frozen")), bool(params.get("slots"))
    annotations = cls.__dict__.get("__annotations__", {})
    names = tuple(one.name for one in fields)
    for one in fields:  # the class attributes dataclasses leaves
        if isinstance(cls.__dict__.get(one.name), _Field):
            if one.default is _NONE:
                delattr(cls, one.name)
            else:
                setattr(cls, one.name, one.default)
    owner: list[Any] = [cls]  # the class made in the end (another one with slots)
    made = [name for name, make in (("__init__", lambda: _init(cls, fields, frozen, slots)),
                                    ("__repr__", lambda: _repr(fields)),
                                    ("__eq__", lambda: _eq(fields)))
            if _add(cls, name, make)]
    if _set_hash(cls, fields, frozen):
        made.append("__hash__")
    if frozen:
        made += _frozen(cls, names, owner)
    if "__match_args__" not in cls.__dict__:
        setattr(cls, "__match_args__", tuple(one.name for one in fields if one.init))
        made.append("__match_args__")
    if _REPLACE_METHOD:  # 3.13: copy.replace() calls it
        setattr(cls, "__replace__", _replace_method)
        made.append("__replace__")
    for name in ("__dataclass_fields__", "__dataclass_params__"):
        setattr(cls, name, _OnFirstUse(name))
    if not cls.__dict__.get("__doc__"):
        setattr(cls, "__doc__", _OnFirstUse("__doc__"))
        made.append("__doc__")
    if slots:
        cls = _with_slots(cls, names, frozen)
        owner[0] = cls
    setattr(cls, "__value_spec__",
            _Spec(cls, fields, frozen, slots, dict(annotations), tuple(made)))
    if getattr(cls, "__abstractmethods__", None):
        import abc

        abc.update_abstractmethods(cls)
    return cls


_REPLACE_METHOD: Final = sys.version_info >= (3, 13)
"""dataclasses gives every class ``__replace__`` from 3.13 on (copy.replace)."""


def _replace_method(self: Any, /, **changes: Any) -> Any:
    return replace(self, **changes)


def _own_fields(cls: type, params: dict[str, Any]) -> tuple[_Field, ...] | None:
    """The class's fields, or None when dataclasses must make the class: an option, a field
    or a base made here is not, or the class is refused (a mutable default, fields out of
    order), which dataclasses says in its own words, as its version words it."""
    if "__mypyc_attrs__" in cls.__dict__:  # compiled by mypyc: its dataclass support
        return None
    if any(params.get(name, default) != default for name, default in _PARAMS.items()) or \
            set(params) - set(_PARAMS) - {"frozen", "slots"}:
        return None
    if any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:]):
        return None
    fields: list[_Field] = []
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if not isinstance(annotation, str) or any(word in annotation for word in _UNSUPPORTED):
            return None
        value = cls.__dict__.get(name, _NONE)
        if value is _NONE and hasattr(cls, name):
            return None  # a default inherited from a base class
        if not isinstance(value, _Field) and hasattr(type(value), "__get__"):
            return None  # a descriptor: dataclasses takes what it gives the class
        if type(value).__name__ == "Field" and type(value).__module__ == "dataclasses":
            return None
        one = value if isinstance(value, _Field) else \
            _Field(value, _NONE, True, True, None, True, None, _NONE)
        if one.kw_only is not _NONE:
            return None
        if one.default is not _NONE and type(one.default).__hash__ is None:
            return None  # a mutable default: dataclasses refuses it in its own words
        one.name = name
        fields.append(one)
    defaults = [one.default is not _NONE or one.default_factory is not _NONE
                for one in fields if one.init]
    if any(given and not then for given, then in zip(defaults, defaults[1:])):
        return None  # a field without a default after one with: dataclasses refuses it
    return tuple(fields)


def _by_dataclasses(cls: type, params: dict[str, Any]) -> type:
    """The class made by dataclasses, fields given by :func:`field` made its own first."""
    import dataclasses

    for name, value in list(cls.__dict__.items()):
        if isinstance(value, _Field):
            setattr(cls, name, value.real())
    made: type = dataclasses.dataclass(cls, **params)
    return made


def _add(cls: type, name: str, make: Any) -> bool:
    """Set the method ``make()`` gives unless the class defines its own; whether it did."""
    if name in cls.__dict__:
        return False
    method = make()
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    method.__module__ = cls.__module__
    setattr(cls, name, method)
    return True


def _init(cls: type, fields: tuple[_Field, ...], frozen: bool, slots: bool) -> Any:
    """__init__ as dataclasses writes it (the same text, compiled once)."""
    scope: dict[str, Any] = {"__dataclass_builtins_object__": object,
                             "_HAS_DEFAULT_FACTORY": _HAS_FACTORY}
    parameters, lines = ["self"], []
    for one in fields:
        default = f"_dflt_{one.name}"
        if one.default_factory is not _NONE:
            scope[default] = one.default_factory
            if one.init:
                parameters.append(f"{one.name}=_HAS_DEFAULT_FACTORY")
                value = f"{default}() if {one.name} is _HAS_DEFAULT_FACTORY else {one.name}"
            else:
                value = f"{default}()"
        elif one.init:
            if one.default is not _NONE:
                scope[default] = one.default
                parameters.append(f"{one.name}={default}")
            else:
                parameters.append(one.name)
            value = one.name
        elif slots and one.default is not _NONE:  # no class attribute to read it from
            scope[default] = one.default
            value = default
        else:
            continue  # read from the class attribute that holds its default, if any
        lines.append(f"__dataclass_builtins_object__.__setattr__(self,{one.name!r},{value})"
                     if frozen else f"self.{one.name}={value}")
    if hasattr(cls, "__post_init__"):
        lines.append("self.__post_init__()")
    text = f"def __init__({', '.join(parameters)}):\n" + \
        "".join(f" {line}\n" for line in lines or ["pass"])
    local: dict[str, Any] = {}
    exec(text, scope, local)  # noqa: S102  # the text dataclasses generates, of field names
    made = local["__init__"]
    made.__annotations__ = {**{one.name: cls.__dict__["__annotations__"][one.name]
                               for one in fields if one.init}, "return": None}
    return made


def _repr(fields: tuple[_Field, ...]) -> Any:
    import _thread

    shown = tuple(one.name for one in fields if one.repr)
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = (id(self), _thread.get_ident())
        if key in running:
            return "..."
        running.add(key)
        try:
            inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        finally:
            running.discard(key)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _values(names: tuple[str, ...]) -> Any:
    """A function giving the tuple of the named attributes (dataclasses' ``(self.a,self.b,)``)."""
    if len(names) > 1:
        from operator import attrgetter

        return attrgetter(*names)
    if names:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return lambda obj: ()


def _eq(fields: tuple[_Field, ...]) -> Any:
    values = _values(tuple(one.name for one in fields if one.compare))

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _set_hash(cls: type, fields: tuple[_Field, ...], frozen: bool) -> bool:
    """dataclasses' rule for eq=True, unsafe_hash=False: a frozen class is hashed by its
    compared fields, another one is unhashable; a __hash__ of the class's own is kept.
    Whether __hash__ was set."""
    own = cls.__dict__.get("__hash__", _NONE)
    explicit = not (own is _NONE or (own is None and "__eq__" in cls.__dict__))
    if explicit:
        return False
    if not frozen:
        setattr(cls, "__hash__", None)
        return True
    values = _values(tuple(one.name for one in fields
                           if (one.compare if one.hash is None else one.hash)))

    def __hash__(self: Any) -> int:
        return hash(values(self))

    __hash__.__qualname__ = f"{cls.__qualname__}.__hash__"
    __hash__.__module__ = cls.__module__
    setattr(cls, "__hash__", __hash__)
    return True


def _frozen(cls: type, names: tuple[str, ...], owner: list[Any]) -> list[str]:
    fields = frozenset(names)

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is owner[0] or name in fields:
            raise _frozen_error(f"cannot assign to field {name!r}")
        super(owner[0], self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is owner[0] or name in fields:
            raise _frozen_error(f"cannot delete field {name!r}")
        super(owner[0], self).__delattr__(name)

    for method in (__setattr__, __delattr__):
        if method.__name__ in cls.__dict__:
            raise TypeError(f"Cannot overwrite attribute {method.__name__} in class "
                            f"{cls.__name__}")
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        method.__module__ = cls.__module__
        setattr(cls, method.__name__, method)
    return ["__setattr__", "__delattr__"]


def _frozen_error(message: str) -> Exception:
    """dataclasses' own FrozenInstanceError (loaded when a frozen field is written: an error
    of the caller's, never on a path that must start fast)."""
    import dataclasses

    return dataclasses.FrozenInstanceError(message)


def _with_slots(cls: type, names: tuple[str, ...], frozen: bool) -> type:
    """The class again with __slots__ for its fields (dataclasses' slots=True)."""
    body = dict(cls.__dict__)
    inherited = {slot for base in cls.__mro__[1:-1]
                 for slot in _slots_of(base)}
    body["__slots__"] = tuple(name for name in names if name not in inherited)
    for name in names:
        body.pop(name, None)
    body.pop("__dict__", None)
    body.pop("__weakref__", None)
    made = type(cls)(cls.__name__, cls.__bases__, body)
    made.__qualname__ = cls.__qualname__
    if frozen:
        def __getstate__(self: Any) -> list[Any]:
            return [getattr(self, name) for name in names]

        def __setstate__(self: Any, state: list[Any]) -> None:
            for name, value in zip(names, state):
                object.__setattr__(self, name, value)

        for method in (__getstate__, __setstate__):
            if method.__name__ not in body:
                setattr(made, method.__name__, method)
    return made


def _slots_of(cls: type) -> tuple[str, ...]:
    slots = cls.__dict__.get("__slots__", ())
    return (slots,) if isinstance(slots, str) else tuple(slots)


def dataclass(cls: type | None = None, /, **params: Any) -> Any:
    def wrap(cls: type) -> type:
        return _make_value_class(cls, params)

    return wrap if cls is None else wrap(cls)

def field(*, default: Any = _NONE, default_factory: Any = _NONE, init: bool = True,
          repr: bool = True, hash: bool | None = None, compare: bool = True,
          metadata: Any = None, kw_only: Any = _NONE) -> Any:
    if default is not _NONE and default_factory is not _NONE:
        raise ValueError("cannot specify both default and default_factory")
    return _Field(default, default_factory, init, repr, hash, compare, metadata, kw_only)

def replace(obj: Any, /, **changes: Any) -> Any:
    spec = getattr(type(obj), "__value_spec__", None)
    if spec is None or spec.cls is not type(obj):
        import dataclasses

        return dataclasses.replace(obj, **changes)
    for one in spec.fields:
        if not one.init:
            if one.name in changes:
                raise ValueError(f"field {one.name} is declared with init=False, it "
                                 "cannot be specified with replace()")
        elif one.name not in changes:
            changes[one.name] = getattr(obj, one.name)
    return obj.__class__(**changes)


def field_names(cls: type) -> tuple[str, ...]:
    """The names of a dataclass's fields in order (dataclasses.fields' names), read without
    importing dataclasses when the class was made here."""
    spec = cls.__dict__.get("__value_spec__")
    if isinstance(spec, _Spec):
        return tuple(one.name for one in spec.fields)
    import dataclasses

    return tuple(one.name for one in dataclasses.fields(cls))
