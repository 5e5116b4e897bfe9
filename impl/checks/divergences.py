"""The known-divergences file: reading it, and deciding whether a difference is a known one."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from prefixlab.model.errors import PrefixlabError

if TYPE_CHECKING:
    from prefixlab.impl.checks.campaign import CaseResult
    from prefixlab.impl.host.interpreters import Interpreter

REASONS = ("not-yet-modelled", "interpreter-bug", "probe-limit", "host", "code-not-run")


class DivergenceFileError(PrefixlabError, ValueError):
    """The known-divergences file is malformed (one line saying where)."""


@dataclass(frozen=True)
class Divergence:
    id: str
    reason: str
    versions: tuple[str, ...]
    keys: tuple[str, ...]
    rules: tuple[str, ...]
    features: tuple[str, ...]
    explanation: str
    example: str = ""
    """A replayable case file (tests/cases/...) that shows the divergence, or ''."""


@cache
def known() -> tuple[Divergence, ...]:
    text = resources.files("prefixlab.model").joinpath("known_divergences.toml").read_text()
    return parse(text, "known_divergences.toml")


def parse(text: str, name: str) -> tuple[Divergence, ...]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DivergenceFileError(f"{name}: {error}") from None
    entries = []
    for index, item in enumerate(data.get("divergence", [])):
        where = f"{name}: divergence #{index + 1}"
        try:
            entry = Divergence(item["id"], item["reason"], tuple(item["versions"]),
                               tuple(item["keys"]), tuple(item.get("rules", ())),
                               tuple(item.get("features", ())), item["explanation"],
                               item.get("example", ""))
        except KeyError as missing:
            raise DivergenceFileError(f"{where}: missing {missing}") from None
        if entry.reason not in REASONS:
            raise DivergenceFileError(f"{where}: reason {entry.reason!r} is not one of {REASONS}")
        entries.append(entry)
    return tuple(entries)


def explain_difference(difference: str, interp: Interpreter,
                       result: CaseResult | None) -> str | None:
    """The id of the known divergence that covers ``difference`` ('key: model ..., real ...')
    for this interpreter and case, or None."""
    key = difference.partition(":")[0]
    minor = "%d.%d" % interp.version[:2] if interp.version else ""
    for entry in known():
        if key not in entry.keys or minor not in entry.versions:
            continue
        if result is not None:
            if not set(entry.rules) <= set(result.rules):
                continue
            if not set(entry.features) <= set(result.case.features):
                continue
        return entry.id
    return None
