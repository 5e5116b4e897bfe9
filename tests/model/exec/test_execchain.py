"""Exec chains on filesystem values: what the model says where it stops (documented facts and
the shapes nixpkgs and pyenv write; the real-world differentials are in
test_execchain_kernel, test_wrappers*, test_pyenv and test_execchain_real)."""

from __future__ import annotations

from prefixlab.impl.builders import wrapgen
from prefixlab.model.exec import bashwords
from prefixlab.model.exec import chain
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.fs import Layout
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.trace import RULES, Step

PY = "/opt/py/bin/python3.12"
BUILDS = {PY: BuildConstants((3, 12, 1), "/opt/py", "/opt/py")}
BASE = (Layout().with_file(PY, b"\x7fELF", 0o755).with_file("/bin/bash", b"\x7fELF", 0o755)
        .with_file("/bin/sh", b"\x7fELF", 0o755).with_file("/usr/bin/env", b"\x7fELF", 0o755))


def follow(layout: Layout, program: str, argv: tuple[str, ...] = ("x",),
           env: dict[str, str] | None = None) -> tuple[object, list[Step]]:
    steps: list[Step] = []
    got = chain.follow(layout, Invocation(program, argv, tuple((env or {}).items()), "/"),
                           "/", BUILDS, steps)
    return got, steps


def test_a_run_line_is_named() -> None:
    text = wrapgen.shell_wrapper(PY, ["--set", "A", "b", "--run", "source /etc/x"],
                                 shell="/bin/bash")
    got, steps = follow(BASE.with_file("/w", text.encode(), 0o755), "/w")
    assert isinstance(got, chain.Stopped) and got.status == "not-modelled"
    assert "line 3" in got.message and "source /etc/x" in got.message
    assert all(RULES[step.rule.id] == step.rule for step in steps)


def test_an_sh_script_is_named_by_its_first_line() -> None:
    got, _ = follow(BASE.with_file("/s", b"#!/bin/sh\n\n# c\nexec python3\n", 0o755), "/s")
    assert isinstance(got, chain.Stopped) and "exec python3" in got.message


def test_unknown_binary_and_missing_interpreter() -> None:
    got, _ = follow(BASE.with_file("/b", b"\x7fELF other", 0o755), "/b")
    assert isinstance(got, chain.Stopped) and got.kind == "not-an-interpreter"
    assert got.binary == "/b"
    got, _ = follow(BASE.with_file("/s", b"#!/no/such\n", 0o755), "/s")
    assert isinstance(got, chain.Stopped) and got.kind == "ENOENT"
    got, _ = follow(BASE.with_file("/s", b"#!/opt/py/bin/python3.12\r\n", 0o755), "/s")
    assert isinstance(got, chain.Stopped) and got.kind == "ENOENT"  # the \r is kept


def test_shebang_to_python_keeps_the_argument_whole() -> None:
    got, _ = follow(BASE.with_file("/s", b"#! /opt/py/bin/python3.12  -S -E \n", 0o755), "/s",
                    ("ignored", "a"))
    assert isinstance(got, chain.Arrived)
    assert got.invocation.argv == (PY, "-S -E", "/s", "a")


def test_env_loop_is_not_followed_forever() -> None:
    # '#!/usr/bin/env A=1 python3' gives env one argument, an assignment: env then runs the
    # script itself again, for ever
    got, _ = follow(BASE.with_file("/s", b"#!/usr/bin/env A=1 python3\n", 0o755), "/s",
                    env={"PATH": "/opt/py/bin"})
    assert isinstance(got, chain.Stopped) and got.kind == "exec-chain"


def test_wrapper_argv0_forms() -> None:
    for flags, argv0 in (([], PY), (["--argv0", "nm"], "nm"), (["--inherit-argv0"], "/w")):
        text = wrapgen.shell_wrapper(PY, flags, shell="/bin/bash")
        got, _ = follow(BASE.with_file("/w", text.encode(), 0o755), "/w", ("zero", "a"))
        assert isinstance(got, chain.Arrived) and got.invocation.argv == (argv0, "a")


def test_bash_words() -> None:
    ctx = bashwords.Context({"V": "a  b", "E": ""}, "/w", ("1", "2 3"))
    assert bashwords.words('exec -a "$0" "/t"  $V "$@" $E \'x y\' $\'\\n\'', ctx) == [
        "exec", "-a", "/w", "/t", "a", "b", "1", "2 3", "x y", "\n"]
    for unsupported in ("a `b`", "$(b)", "a *", "{a,b}", "~x", "a;b", "$1"):
        try:
            bashwords.words(unsupported, ctx)
        except bashwords.Unsupported:
            continue
        raise AssertionError(unsupported)
    assert bashwords.literal("'it'\\''s'") == "it's"
    assert bashwords.literal("$'\\303\\251\\377'") == "é\udcff"


def test_hand_written_exports_without_expansions() -> None:
    text = b"#!/bin/bash\nexport A=\"a b\"c\nexport B=x'y z'\nexec /opt/py/bin/python3.12 \"$@\"\n"
    got, _ = follow(BASE.with_file("/w", text, 0o755), "/w", ("zero", "-S"))
    assert isinstance(got, chain.Arrived)
    assert got.invocation.argv == (PY, "-S")
    assert got.invocation.environ["A"] == "a bc" and got.invocation.environ["B"] == "xy z"
    got, _ = follow(BASE.with_file("/w", b"#!/bin/bash\nexport A=$HOME\nexec /x\n", 0o755),
                    "/w")
    assert isinstance(got, chain.Stopped) and "line 2" in got.message
