"""The kernel's #! rules, against this machine's kernel: what argv the interpreter receives,
the 256-byte line limit, one whole argument, and the nesting limit."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from conftest import require_oracle
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support.stubs import Seen, build_stub, run

from prefixlab.impl.builders import cwrapper
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.exec import chain
from prefixlab.model.exec import shebang
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.invocation import Invocation

FAKE = BuildConstants((3, 12, 0), "/usr", "/usr")


@pytest.fixture(scope="module")
def scratch() -> Iterator[str]:
    require_oracle(cwrapper.compiler() is not None, "no C compiler here (for the stub)")
    root = tempfile.mkdtemp(prefix="prefixlab-kernel-")
    build_stub(f"{root}/stub")
    yield root
    shutil.rmtree(root)


def _script(path: str, first_line: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(first_line + b"\nrest of the script\n")
    os.chmod(path, 0o755)


def _both(scratch: str, program: str, argv: list[str]) -> tuple[object, object]:
    model = chain.follow(Snapshot("/"), Invocation(program, tuple(argv), (), scratch),
                             scratch, {f"{scratch}/stub": FAKE}, [])
    real = run(program, argv, {}, scratch)
    return model, real


def _agree(model: object, real: object) -> None:
    if isinstance(model, chain.Stopped):
        if model.status == "not-modelled":
            return  # no claim made
        assert isinstance(real, str), (model, real)
        if real.startswith("errno:"):
            assert model.kind == real.partition(":")[2], (model, real)
        return
    assert isinstance(model, chain.Arrived) and isinstance(real, Seen), (model, real)
    assert model.invocation.argv == real.argv


LINES = st.builds(
    lambda lead, mid, arg, tail: b"#!" + lead + b"%STUB%" + mid + arg + tail,
    st.sampled_from([b"", b" ", b"\t ", b"  "]),
    st.sampled_from([b"", b" ", b"\t", b"  \t"]),
    st.sampled_from([b"", b"-x", b"a b", b"a  b\tc", b"-S x", b"x" * 300, b"\xff\xfe",
                     b"q\0r s"]),
    st.sampled_from([b"", b" ", b"\t", b"\r", b" \r"]))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(line=LINES, pad=st.integers(0, 260))
def test_shebang_lines_as_the_kernel_reads_them(scratch: str, line: bytes, pad: int) -> None:
    # pad the interpreter path with extra slashes to move its end around the 256-byte limit
    stub = ("/" * pad + scratch + "/stub").encode()
    _script(f"{scratch}/s", line.replace(b"%STUB%", stub))
    _agree(*_both(scratch, f"{scratch}/s", ["zero", "one"]))


def test_argument_taken_whole_and_argv0_replaced(scratch: str) -> None:
    _script(f"{scratch}/s1", b"#! " + f"{scratch}/stub".encode() + b"  a  b \t")
    model, real = _both(scratch, "./s1", ["ignored", "x"])
    assert isinstance(real, Seen) and real.argv == (f"{scratch}/stub", "a  b", "./s1", "x")
    _agree(model, real)


def test_nesting_limit(scratch: str) -> None:
    previous = f"{scratch}/stub"
    for depth in range(1, shebang.MAX_SCRIPT_DEPTH + 3):
        path = f"{scratch}/n{depth}"
        _script(path, f"#!{previous} arg".encode())
        model, real = _both(scratch, path, ["zero"])
        _agree(model, real)
        assert isinstance(real, Seen) == (depth <= shebang.MAX_SCRIPT_DEPTH)
        previous = path


def test_env_and_env_split(scratch: str) -> None:
    """#!/usr/bin/env NAME searches PATH; one argument is one name; -S splits."""
    env_path = shutil.which("env")
    require_oracle(env_path is not None, "no env here")
    os.makedirs(f"{scratch}/bin", exist_ok=True)
    if not os.path.exists(f"{scratch}/bin/stubname"):
        os.symlink(f"{scratch}/stub", f"{scratch}/bin/stubname")
    env = {"PATH": f"{scratch}/bin:/usr/bin:/bin"}
    for line, ok in ((b"#!%s stubname", True), (b"#!%s stubname -u", False),
                     (b"#!%s -S stubname -u  x", True), (b"#!%s -S -u PATH stubname", False),
                     (b"#!%s -S A=1 stubname", True), (b"#!%s -S -i stubname", False)):
        _script(f"{scratch}/e", line % str(env_path).encode())
        model = chain.follow(Snapshot("/"), Invocation(f"{scratch}/e", ("e", "z"),
                                 tuple(env.items()), scratch), scratch,
                                 {f"{scratch}/stub": FAKE}, [])
        real = run(f"{scratch}/e", ["e", "z"], env, scratch)
        assert isinstance(real, Seen) is ok, (line, real)
        _agree(model, real)
        if isinstance(model, chain.Arrived) and isinstance(real, Seen):
            assert model.invocation.environ == real.env


ENV_S = st.lists(st.sampled_from(list("ab _'\"\\#$c{}=\t") + ["${FOO}", "${NOPE}", "\\_",
                                                               "\\c", "\\n", "\\t", "-u FOO"]),
                 max_size=12).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(rest=ENV_S)
def test_env_split_string_as_env_reads_it(scratch: str, rest: str) -> None:
    """#!/usr/bin/env -S STUB REST: env's own -S splitting, quotes, escapes, ${NAME}."""
    env_path = shutil.which("env")
    require_oracle(env_path is not None, "no env here")
    line = f"#!{env_path} -S {scratch}/stub {rest}".encode()
    if b"\n" in line or len(line) > 250:
        return
    _script(f"{scratch}/es", line)
    env = {"FOO": "foo value", "PATH": "/usr/bin:/bin"}
    model = chain.follow(Snapshot("/"), Invocation(f"{scratch}/es", ("es", "z"),
                             tuple(env.items()), scratch), scratch,
                             {f"{scratch}/stub": FAKE}, [])
    real = run(f"{scratch}/es", ["es", "z"], env, scratch)
    event(type(model).__name__ if isinstance(model, chain.Arrived)
          else f"{model.status}: {model.kind}")
    _agree(model, real)
    if isinstance(model, chain.Arrived) and isinstance(real, Seen):
        assert model.invocation.environ == real.env
