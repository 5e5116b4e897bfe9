"""Argument checks for the public strategies, in Hypothesis' own style.

A wrong argument raises :class:`hypothesis.errors.InvalidArgument` when the strategy is made,
not at the first draw, naming the argument, its value and what would be valid (as
hypothesis/strategies/_internal/ipaddress.py does).  The messages follow Hypothesis'
(``hypothesis.internal.validation.check_type``); that module is not public API, so the few
checks needed are written here.

Hypothesis draws text partly from the string literals of the code under test (its local
constants), so a literal made only of characters a strategy's text may hold changes what that
strategy draws for a seed: the messages here are built from words, not from such literals.
"""

from __future__ import annotations

from collections.abc import Collection

from hypothesis.errors import InvalidArgument


def check_type(typ: type | tuple[type, ...], arg: object, name: str) -> None:
    """``arg`` is an instance of ``typ`` (bool is not taken for int)."""
    if isinstance(arg, typ) and not (isinstance(arg, bool) and bool not in _types(typ)):
        return
    expected = " or ".join(t.__name__ for t in _types(typ))
    raise InvalidArgument(f"Expected {expected} but got {name}={arg!r} "
                          f"(type={type(arg).__name__})")


def _types(typ: type | tuple[type, ...]) -> tuple[type, ...]:
    return typ if isinstance(typ, tuple) else (typ,)


def check_at_least(value: object, name: str, least: int) -> None:
    """``value`` is an int no smaller than ``least``."""
    check_type(int, value, name)
    assert isinstance(value, int)  # for mypy
    if value < least:
        raise InvalidArgument(f"{name}={value!r}, but {name} must be at least {least}")


def check_one_of(value: object, name: str, valid: Collection[object]) -> None:
    """``value`` is one of ``valid``."""
    if value not in valid:
        raise InvalidArgument(f"{name}={value!r}, but only one of {tuple(valid)!r} is "
                              f"valid")


def check_strings(values: object, name: str) -> None:
    """``values`` is a non-empty list or tuple of strings (a lone string is refused: it would
    be taken character by character)."""
    check_type((list, tuple), values, name)
    assert isinstance(values, (list, tuple))  # for mypy
    if not values:
        raise InvalidArgument(f"{name}={values!r}, but at least one value is needed")
    for index, value in enumerate(values):
        check_type(str, value, f"{name}[{index}]")


def check_version(version: object, name: str, *, parts: int) -> None:
    """``version`` is a tuple of ``parts`` ints naming a CPython the model covers (its
    behaviour table's rows, 3.8-3.14)."""
    from prefixlab.model.world.build import TABLE, in_scope

    example = (3, 12, 1)[:parts]
    if not (isinstance(version, tuple) and len(version) == parts
            and all(type(part) is int for part in version)):
        raise InvalidArgument(f"{name}={version!r}, but a version is {parts} ints, such as "
                              f"{example!r}")
    if not in_scope((*version, 0, 0)[:3]):
        first, last = TABLE[0][0], TABLE[-1][0]
        raise InvalidArgument(f"{name}={version!r}, but only CPython {first[0]}.{first[1]} "
                              f"to {last[0]}.{last[1]} is modelled")
