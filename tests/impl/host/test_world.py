"""The host world learns only what the answer reads: the invocation's binaries at once, an
interpreter found here only when the model asks for it (impl/host/world.py), with the same
constants discovery gives it; and the warm path's cheap stand-ins (the cache directory
without platformdirs, SHA-256 without OpenSSL) agree with what they stand in for."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from conftest import in_scope_interpreters, require_oracle

from prefixlab.impl.host import interpreters
from prefixlab.impl.host import world as hostworld
from prefixlab.model.world.invocation import Invocation


def test_cache_dir_is_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import platformdirs

    for value in (None, str(tmp_path), "relative", "  ", ""):
        if value is None:
            monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_CACHE_HOME", value)
        assert interpreters.cache_dir() == platformdirs.user_cache_dir("prefixlab")


@pytest.mark.parametrize("data", [b"", b"x", "/usr/bin/python3\udcff".encode("utf-8",
                                                                              "surrogateescape"),
                                  bytes(range(256)) * 300])
def test_sha256_is_hashlibs(data: bytes) -> None:
    assert interpreters._sha256(data) == hashlib.sha256(data).hexdigest()


def _no_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(env: object) -> None:
        raise AssertionError("discovery listed the interpreters found here")

    monkeypatch.setattr(interpreters, "candidates", refuse)


@pytest.mark.real
def test_a_plain_interpreter_is_predicted_without_discovery(
        monkeypatch: pytest.MonkeyPatch) -> None:
    found = in_scope_interpreters()
    require_oracle(bool(found), "no CPython 3.8+ interpreter here")
    interp = found[-1]
    interpreters.learn_constants(interp.path)  # cached, as a warm start has it
    _no_discovery(monkeypatch)
    invocation = Invocation.make(interp.path, ["-c", "pass"], env=dict(os.environ), cwd="/")
    world = hostworld.world_for(invocation, use_cache=True)
    from prefixlab.model.startup.predict import predict

    assert predict(world, invocation).status == "ok"
    assert world.builds[interp.real_path] == interp.constants


@pytest.mark.real
def test_host_builds_answer_as_discovery() -> None:
    """Every key of host_world().builds has the same constants in HostBuilds, asked one at a
    time; a path that is no interpreter found here is not a key."""
    expected = interpreters.host_world().builds
    require_oracle(bool(expected), "no CPython 3.8+ interpreter here")
    builds = hostworld.HostBuilds(use_cache=True)
    for binary, constants in expected.items():
        assert binary in builds and builds[binary] == constants
    for other in ("/usr/bin/env", "/nonexistent/python3", "relative"):
        assert other not in builds and builds.get(other) is None
    assert dict(hostworld.HostBuilds(use_cache=True)) == dict(expected)


@pytest.mark.real
def test_host_builds_learn_as_they_were_told_when_made(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """--no-learn: a lookup after the command's learning block still runs nothing."""
    found = in_scope_interpreters()
    require_oracle(bool(found), "no CPython 3.8+ interpreter here")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing cached
    ran: list[str] = []

    def run(binary: str, args: list[str]) -> tuple[str, str]:
        ran.append(binary)
        return "", ""

    monkeypatch.setattr(interpreters, "_run", run)
    token = interpreters.LEARNING.set(False)
    try:
        builds = hostworld.HostBuilds(use_cache=True)
    finally:
        interpreters.LEARNING.reset(token)
    assert interpreters.LEARNING.get()
    assert found[-1].real_path not in builds
    assert ran == []


def test_the_wrapper_record_is_binarywrappers() -> None:
    """looks_like_cpython skips read_binary (and its import) for a binary without the mark."""
    from prefixlab.model.exec import binarywrapper

    assert hostworld.WRAPPER_RECORD == binarywrapper.RECORD_START.encode()
