"""impl/host/requests.py: what --python names.

The forms are uv's and virtualenv's documented ones (uv's ``PythonRequest::parse``;
virtualenv's "Select a Python version" guide); the chooser is checked on made-up
interpreter lists (properties: the highest matching version wins, ties of two different
interpreters are refused, the error lists the candidates) and on the interpreters found here
against what each reports as its own version.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import in_scope_interpreters, require_oracle
from prefixlab.impl.host import requests
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.world.build import BuildConstants


@pytest.mark.parametrize("text, version, free", [
    ("3", (3,), False), ("3.12", (3, 12), False), ("3.12.1", (3, 12, 1), False),
    ("312", (3, 12), False), ("38", (3, 8), False), ("310", (3, 10), False),
    ("python3.12", (3, 12), False), ("python3", (3,), False),
    ("cpython3.12", (3, 12), False), ("cp312", (3, 12), False),
    ("cpython@3.12", (3, 12), False), ("CPython3.11", (3, 11), False),
    ("3.13t", (3, 13), True), ("python3.13t", (3, 13), True),
])
def test_version_requests(text: str, version: tuple[int, ...], free: bool) -> None:
    assert requests.parse(text) == requests.Request(text, "version", version, free)


@pytest.mark.parametrize("text, kind", [
    ("python", "name"), ("pip", "name"), ("pypy3", "name"), ("python3.x", "name"),
    ("./python3", "path"), ("/usr/bin/python3", "path"), ("bin/3.12", "path"), ("", "path"),
])
def test_names_and_paths(text: str, kind: str) -> None:
    assert requests.parse(text).kind == kind


def _fake(path: str, version: tuple[int, int, int], thread: str = "") -> Interpreter:
    constants = BuildConstants(version=version, prefix="/p", exec_prefix="/p",
                               abi_thread=thread)
    return Interpreter(path, path, version, "PATH", True, "", constants)


def test_highest_patch_wins_and_out_of_scope_is_never_chosen() -> None:
    found = [_fake("/a/python3.11", (3, 11, 2)), _fake("/b/python3.11", (3, 11, 7)),
             _fake("/c/python3.12", (3, 12, 1)),
             replace(_fake("/d/python3.7", (3, 7, 16)), in_scope=False, constants=None)]
    assert requests.choose(requests.parse("3.11"), found).path == "/b/python3.11"
    assert requests.choose(requests.parse("3.11.2"), found).path == "/a/python3.11"
    assert requests.choose(requests.parse("3"), found).path == "/c/python3.12"
    with pytest.raises(requests.RequestError) as refused:
        requests.choose(requests.parse("3.7"), found)
    message = str(refused.value)
    assert "\n" not in message and "/a/python3.11" in message and "/c/python3.12" in message


def test_free_threaded_is_chosen_only_when_asked() -> None:
    found = [_fake("/a/python3.13", (3, 13, 0)), _fake("/a/python3.13t", (3, 13, 1), "t")]
    assert requests.choose(requests.parse("3.13"), found).path == "/a/python3.13"
    assert requests.choose(requests.parse("3.13t"), found).path == "/a/python3.13t"


def test_two_interpreters_of_the_best_version_are_ambiguous() -> None:
    found = [_fake("/a/python3.12", (3, 12, 1)), _fake("/b/python3.12", (3, 12, 1))]
    with pytest.raises(requests.RequestError, match="ambiguous") as refused:
        requests.choose(requests.parse("3.12"), found)
    assert "/a/python3.12" in str(refused.value) and "/b/python3.12" in str(refused.value)


@given(st.lists(st.tuples(st.integers(8, 13), st.integers(0, 20)), min_size=1, max_size=8,
                unique=True), st.integers(8, 13))
def test_the_choice_is_the_highest_match(versions: list[tuple[int, int]], minor: int) -> None:
    found = [_fake(f"/v/{m}.{p}/python", (3, m, p)) for m, p in versions]
    request = requests.parse(f"3.{minor}")
    hits = [(3, m, p) for m, p in versions if m == minor]
    if not hits:
        with pytest.raises(requests.RequestError):
            requests.choose(request, found)
        return
    assert requests.choose(request, found).version == max(hits)


def test_a_name_on_path_is_used_as_it_is(tmp_path: Path) -> None:
    program = tmp_path / "python3.12"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)

    def nothing() -> list[Interpreter]:
        raise AssertionError("a name found on PATH needs no discovery")
    chosen = requests.resolve("python3.12", env={"PATH": str(tmp_path)}, discover=nothing)
    assert chosen == requests.Choice("python3.12") and chosen.announcement() is None
    assert requests.resolve("/x/y", env={}, discover=nothing).python == "/x/y"
    with pytest.raises(requests.RequestError, match="not found on PATH"):
        requests.resolve("mypython", env={"PATH": str(tmp_path)}, discover=nothing)


def test_a_version_request_not_on_path_is_chosen_and_announced(tmp_path: Path) -> None:
    found = [_fake("/a/python3.12", (3, 12, 1))]
    chosen = requests.resolve("python3.12", env={"PATH": str(tmp_path)},
                              discover=lambda: found)
    assert chosen.python == "/a/python3.12"
    assert chosen.announcement() == "Using CPython 3.12.1 at /a/python3.12"


@pytest.mark.real
def test_requests_choose_interpreters_that_report_that_version() -> None:
    found = in_scope_interpreters()
    require_oracle(bool(found), "no CPython 3.8+ interpreter was found on this machine")
    env = {"PATH": os.defpath}
    for minor in sorted({i.version[1] for i in found if i.version}):
        chosen = requests.resolve(f"3.{minor}", env=env, discover=lambda: found)
        reported = subprocess.run(
            [chosen.python, "-I", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True, text=True, check=True, env={}).stdout.strip()
        same_minor = [i.version for i in found if i.version and i.version[1] == minor]
        assert reported == "%d.%d.%d" % max(v for v in same_minor if v is not None)
