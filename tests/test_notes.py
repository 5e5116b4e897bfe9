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

from prefixlab.impl.interpreters import Interpreter
from prefixlab.impl.materialize import materialize, scratch_dir
from prefixlab.impl.probe import probe
from prefixlab.impl.snapshot import Snapshot
from prefixlab.model.fs import File, Layout, Node, Overlay, Symlink
from prefixlab.model.invocation import Invocation
from prefixlab.model.startup import World, predict
from prefixlab.model.strategies import BINARY_DATA, stdlib_skeleton

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


def _layout(spec: dict[str, str], root: str, interp: Interpreter) -> tuple[Layout, dict[str, Any]]:
    assert interp.constants is not None
    nodes: dict[str, Node] = {}
    bindings: dict[str, Any] = {}
    stdlib = f"{interp.constants.prefix}/{interp.constants.stdlib_subdir}"
    for relative, value in spec.items():
        path = f"{root}/{relative}"
        if value == "binary":
            nodes[path] = File(BINARY_DATA, 0o755)
            bindings[path] = ("hardlink", interp.real_path)
        elif value == "stdlib":
            nodes.update(stdlib_skeleton(path))
            bindings[path] = ("children-links", stdlib)
        elif value.startswith("-> "):
            nodes[path] = Symlink(value[3:])
        elif value.startswith("text:"):
            nodes[path] = File(value[5:].encode("utf-8"))
        else:
            raise ValueError(f"notes: unknown layout value {value!r} for {relative!r}")
    return Layout(nodes), bindings


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
        layout, bindings = _layout(data["layout"], root, interp)
        materialize(layout, root, bindings=bindings)
        run = data["run"]
        invocation = Invocation.make(run["program"], run["args"], argv0=run.get("argv0"),
                                     env=run.get("env", {}), cwd=run["cwd"])
        builds = {p: interp.constants for p, b in bindings.items() if b[0] == "hardlink"}
        builds[interp.real_path] = interp.constants
        world = World(Overlay(Snapshot("/"), ((root, layout),)), builds)
        predicted = predict(world, invocation).to_json(with_trace=False)
        observed = probe(invocation).to_json(with_trace=False)
    for key, expected in data["expect"].items():
        assert observed[key] == expected, f"the real interpreter disagrees with the note on {key}"
        assert predicted[key] == expected, f"the model disagrees with the note on {key}"
