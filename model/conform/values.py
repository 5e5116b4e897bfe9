"""Frozen dataclass values as JSON, exactly: for case files that carry a drawn value (the
package set of an environment case).

Only the classes named in a registry are made back, so a case file cannot name arbitrary
code.  The encoding: a dataclass is ``{"type": NAME, "fields": {...}}``, a tuple
``{"tuple": [...]}``, bytes ``{"bytes": BASE64}``; lists, dicts with string keys, strings,
numbers, booleans and null are themselves.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Mapping
from typing import Any


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__,
                "fields": {f.name: encode(getattr(value, f.name))
                           for f in dataclasses.fields(value)}}
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("only dicts with string keys can be encoded")
        return {"dict": {k: encode(v) for k, v in value.items()}}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot encode a {type(value).__name__}")


def decode(data: Any, registry: Mapping[str, type[Any]], where: str = "value") -> Any:
    """The value ``data`` encodes; ValueError naming the place of a bad part."""
    if isinstance(data, list):
        return [decode(v, registry, f"{where}[{n}]") for n, v in enumerate(data)]
    if not isinstance(data, dict):
        if data is None or isinstance(data, (str, int, float, bool)):
            return data
        raise ValueError(f"{where}: unexpected {type(data).__name__}")
    if set(data) == {"tuple"} and isinstance(data["tuple"], list):
        return tuple(decode(v, registry, f"{where}[{n}]") for n, v in enumerate(data["tuple"]))
    if set(data) == {"bytes"} and isinstance(data["bytes"], str):
        try:
            return base64.b64decode(data["bytes"], validate=True)
        except binascii.Error:
            raise ValueError(f"{where}: bad base64") from None
    if set(data) == {"dict"} and isinstance(data["dict"], dict):
        return {k: decode(v, registry, f"{where}.{k}") for k, v in data["dict"].items()}
    if set(data) == {"type", "fields"} and isinstance(data["fields"], dict):
        cls = registry.get(data["type"]) if isinstance(data["type"], str) else None
        if cls is None:
            raise ValueError(f"{where}: unknown type {data['type']!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        extra = set(data["fields"]) - names
        if extra:
            raise ValueError(f"{where}: {data['type']} has no field {sorted(extra)[0]!r}")
        values = {k: decode(v, registry, f"{where}.{k}") for k, v in data["fields"].items()}
        try:
            return cls(**values)
        except TypeError as error:
            raise ValueError(f"{where}: {error}") from None
    raise ValueError(f"{where}: not an encoded value")
