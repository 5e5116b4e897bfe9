"""Every example in notes/ holds, for the model and for every real interpreter it applies to.

The expected values are the ones written in the notes (facts about CPython, explained there);
the test checks them against the real interpreter as well as against the model, so a note
cannot teach something that is not true.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from prefixlab.impl.checks.campaign import lay_down
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.materialize import scratch_dir
from prefixlab.impl.host.probe import probe
from prefixlab.model.world.fs import Dir, File, Layout, Node, Symlink
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.startup.predict import predict
from prefixlab.model.strategies.startup import BINARY_DATA, BoundCase, stdlib_skeleton

from conftest import in_scope_interpreters, interpreter_id

NOTES = Path(__file__).resolve().parents[1] / "notes"
BLOCK = re.compile(r"```prefixlab-example\n(.*?)```", re.S)


@dataclass(frozen=True)
class Example:
    note: str
    index: int
    text: str

    def applies_to(self, version: tuple[int, int, int]) -> bool:
        found = re.search(r'^versions = "([^"]+)"$', self.text, re.M)
        assert found, f"{self.note}: example {self.index} has no versions line"
        spec = found.group(1)
        low, _, high = spec.partition("-")
        minor = version[:2]
        if low.endswith("+"):
            return minor >= _minor(low[:-1])
        return _minor(low) <= minor <= _minor(high or low)


def _minor(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def examples() -> list[Example]:
    found = []
    for path in sorted(NOTES.glob("*.md")):
        for index, match in enumerate(BLOCK.finditer(path.read_text(encoding="utf-8"))):
            found.append(Example(path.name, index, match.group(1)))
    return found


def _bind(text: str, root: str, interp: Interpreter) -> dict[str, Any]:
    assert interp.version is not None and interp.constants is not None
    major, minor = interp.version[:2]
    for key, value in {"{X.Y}": f"{major}.{minor}", "{XY}": f"{major}{minor}",
                       "{ROOT}": root, "{PREFIX}": interp.constants.prefix}.items():
        text = text.replace(key, value)
    return tomllib.loads(text)


def _bound(data: dict[str, Any], root: str) -> BoundCase:
    """The example's layout and run as a case bound at ``root``."""
    nodes: dict[str, Node] = {}
    binaries: list[str] = []
    stdlibs: list[str] = []
    for relative, value in data["layout"].items():
        path = f"{root}/{relative}"
        if value == "binary":
            nodes[path] = File(BINARY_DATA, 0o755)
            binaries.append(path)
        elif value == "stdlib":
            nodes.update(stdlib_skeleton(path))
            stdlibs.append(path)
        elif value.startswith("-> "):
            nodes[path] = Symlink(value[3:])
        elif value.startswith("text:"):
            nodes[path] = File(value[5:].encode("utf-8"))
        elif value == "dir":
            nodes[path] = Dir()
        else:
            raise ValueError(f"notes: unknown layout value {value!r} for {relative!r}")
    run = data["run"]
    invocation = Invocation.make(run["program"], run["args"], argv0=run.get("argv0"),
                                 env=run.get("env", {}), cwd=run["cwd"])
    return BoundCase(Layout(nodes), invocation, tuple(binaries), tuple(stdlibs))


CASES = [(example, interp) for example in examples() for interp in in_scope_interpreters()
         if interp.version and example.applies_to(interp.version)]


def test_notes_have_examples() -> None:
    assert len(examples()) >= 8


@pytest.mark.real
@pytest.mark.parametrize(("example", "interp"), CASES,
                         ids=[f"{e.note}#{e.index}-{interpreter_id(i)}" for e, i in CASES])
def test_note_example(example: Example, interp: Interpreter) -> None:
    assert interp.constants is not None
    with scratch_dir() as base:
        root = f"{base}/example"
        data = _bind(example.text, root, interp)
        bound = _bound(data, root)
        world = lay_down(bound, root, interp.real_path, interp.constants)
        predicted = predict(world, bound.invocation).to_json(with_trace=False)
        observed = probe(bound.invocation).to_json(with_trace=False)
    for key, expected in data["expect"].items():
        assert observed[key] == expected, f"the real interpreter disagrees with the note on {key}"
        assert predicted[key] == expected, f"the model disagrees with the note on {key}"
