"""Chains compose: the model of a chain of wrappers, links and #! scripts equals what really
happens, hop after hop, to a stub that reports its argv, environment and cwd."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from conftest import require_oracle
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from support.stubs import Seen, build_stub, run

from prefixlab.impl.builders import cwrapper
from prefixlab.impl.builders import wrapgen
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.exec import chain
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.strategies.wrappers import WORD, Layer, exec_chains

FAKE = BuildConstants((3, 12, 0), "/usr", "/usr")


@pytest.fixture(scope="module")
def scratch() -> Iterator[str]:
    require_oracle(cwrapper.compiler() is not None, "no C compiler here (for the stub)")
    require_oracle(shutil.which("bash") is not None, "no bash here")
    root = tempfile.mkdtemp(prefix="prefixlab-chains-")
    build_stub(f"{root}/stub")
    os.mkdir(f"{root}/d 1")
    yield root
    shutil.rmtree(root)


def build(where: str, stub: str, layers: list[Layer]) -> str:
    """Lay the chain down in ``where``; the path of its outermost file."""
    previous = stub
    bash = shutil.which("bash") or "/bin/bash"
    for n, (kind, data) in enumerate(layers):
        path = f"{where}/hop{n}"
        if kind == "link":
            os.symlink(os.path.basename(previous) if previous.startswith(where) else previous,
                       path)
        elif kind == "script":
            line = f"#!{previous}" + (f" {data[0]}" if data[0] else "")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(line + "\nnot shell text at all\n")
            os.chmod(path, 0o755)
        elif kind == "binary":
            cwrapper.compile_wrapper(wrapgen.c_wrapper(previous, list(data)), path)
        else:
            target = previous
            if kind == "wrap-program":
                # wrapProgram moves the program aside; a link there keeps the stub's path
                # (the model knows the stub by its physical path)
                target = f"{where}/.hop{n}-wrapped"
                os.symlink(previous, target)
            flags = (["--inherit-argv0"] if kind == "wrap-program" else []) + list(data)
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
                handle.write(wrapgen.shell_wrapper(target, flags, shell=bash))
            os.chmod(path, 0o755)
        previous = path
    return previous


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_chains_compose(scratch: str, data: st.DataObject) -> None:
    _chain_case(scratch, data)


@pytest.mark.sweep
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_chains_compose_long(scratch: str, data: st.DataObject) -> None:
    _chain_case(scratch, data)


def _chain_case(scratch: str, data: st.DataObject) -> None:
    where = tempfile.mkdtemp(dir=scratch)
    try:
        layers = data.draw(exec_chains(dirs=[f"{scratch}/d 1", scratch]))
        note(repr(layers))
        program = build(where, f"{scratch}/stub", layers)
        argv = [data.draw(WORD), *data.draw(st.lists(WORD, max_size=2))]
        env = {"PATH": f"{where}:/usr/bin:/bin", "FOO": "x"}
        model = chain.follow(Snapshot("/"), Invocation(program, tuple(argv),
                                 tuple(env.items()), where), where, {f"{scratch}/stub": FAKE}, [])
        real = run(program, argv, env, where)
        note(f"model: {model}\nreal: {real}")
        if isinstance(model, chain.Stopped):
            event(f"{model.status}: {model.kind}")
            assert model.status == "not-modelled" or isinstance(real, str)
            return
        event("modelled")
        assert isinstance(real, Seen), real
        assert (model.invocation.argv, model.invocation.environ, model.cwd) == (
            real.argv, real.env, real.cwd)
    finally:
        shutil.rmtree(where)
