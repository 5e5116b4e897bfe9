"""makeWrapper and makeBinaryWrapper: generated texts byte-exact, and the model of a generated
wrapper equal to what really happens when bash (or the compiled C wrapper) runs it."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from conftest import require_oracle
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis.errors import InvalidArgument
from hypothesis import strategies as st
from support.stubs import Seen, build_stub, run

from prefixlab.impl.builders import cwrapper
from prefixlab.impl.builders import wrapgen
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.exec import binarywrapper
from prefixlab.model.exec import chain
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.strategies.wrappers import WORD, flag_lists

# -- the generators, against the texts nixpkgs' generators write for the same arguments ----------
# (pkgs/build-support/setup-hooks/make-wrapper.sh at c04b0dda, the 2022-2025 format;
# pkgs/by-name/ma/makeBinaryWrapper/make-binary-wrapper.sh at b9b90f07)


def test_shell_wrapper_matches_the_recorded_generator_output() -> None:
    text = wrapgen.shell_wrapper("t/orig", [
        "--set", "NIX_PYTHONPREFIX", "/nix/store/aaa-env", "--set-default", "FOO", "a b",
        "--unset", "BAR", "--prefix", "PATH", ":", "/p1:/p2", "--suffix", "XDG_DATA_DIRS",
        ":", "/s1", "--run", "echo run", "--chdir", "<scratch> y", "--add-flags", "-a -b",
        "--append-flags", "-z", "--argv0", "myname"])
    block = ("PATH=${PATH:+':'$PATH':'}\nPATH=${PATH/':''%s'':'/':'}\nPATH='%s'$PATH\n"
             "PATH=${PATH#':'}\nPATH=${PATH%%':'}\nexport PATH\n")
    assert text == (
        "#! @shell@ -e\nexport NIX_PYTHONPREFIX='/nix/store/aaa-env'\n"
        "export FOO=${FOO-'a b'}\nunset BAR\n" + block % ("/p2", "/p2") + block % ("/p1", "/p1")
        + "XDG_DATA_DIRS=${XDG_DATA_DIRS:+':'$XDG_DATA_DIRS':'}\n"
        "if [[ $XDG_DATA_DIRS != *':''/s1'':'* ]]; then\n    XDG_DATA_DIRS=$XDG_DATA_DIRS'/s1'\n"
        "fi\nXDG_DATA_DIRS=${XDG_DATA_DIRS#':'}\nXDG_DATA_DIRS=${XDG_DATA_DIRS%':'}\n"
        "export XDG_DATA_DIRS\necho run\ncd '<scratch> y'\n"
        'exec -a "myname" "t/orig"  -a -b "$@"  -z\n')


def test_shell_wrapper_without_flags_and_wrap_program() -> None:
    assert wrapgen.shell_wrapper("t/orig", []) == '#! @shell@ -e\nexec "t/orig"  "$@" \n'
    # wrapProgram t/foo ... = makeShellWrapper t/.foo-wrapped t/foo --inherit-argv0 ...
    assert wrapgen.shell_wrapper("t/.foo-wrapped", [
        "--inherit-argv0", "--prefix", "PATH", ":", "/bin2", "--set", "PYTHONNOUSERSITE",
        "true"]) == (
        "#! @shell@ -e\nPATH=${PATH:+':'$PATH':'}\nPATH=${PATH/':''/bin2'':'/':'}\n"
        "PATH='/bin2'$PATH\nPATH=${PATH#':'}\nPATH=${PATH%':'}\nexport PATH\n"
        "export PYTHONNOUSERSITE='true'\n"
        'exec -a "$0" "t/.foo-wrapped"  "$@" \n')


def test_empty_component_block() -> None:
    # make-wrapper.sh (c04b0dda) prefix/suffix: 'a::b' emits a block for the empty value
    text = wrapgen.shell_wrapper("t/o", ["--prefix", "PATH", ":", "a::b"])
    assert "PATH=${PATH/':'''':'/':'}\nPATH=''$PATH\n" in text


def test_bash_quote_is_bash() -> None:
    # ${x@Q} in the C locale, as bash 5.2 prints it (checked by hand on this machine)
    assert wrapgen.bash_quote("it's $HOME") == "'it'\\''s $HOME'"
    assert wrapgen.bash_quote("a\nb") == "$'a\\nb'"
    assert wrapgen.bash_quote("\udcff") == "$'\\377'"
    assert wrapgen.bash_quote("é") == "$'\\303\\251'"
    assert wrapgen.bash_quote("'") == "\\'"
    assert wrapgen.bash_quote("") == "''"


def test_c_wrapper_matches_the_recorded_generator_output() -> None:
    store = "/nix/store/eeee-python3-3.11.9-env"
    source = wrapgen.c_source("/nix/store/aaaa-python3-3.11.9/bin/python3.11", [
        "--set", "NIX_PYTHONPREFIX", store, "--set", "NIX_PYTHONEXECUTABLE",
        f"{store}/bin/python3.11", "--set", "NIX_PYTHONPATH",
        f"{store}/lib/python3.11/site-packages", "--set", "PYTHONNOUSERSITE", "true"])
    assert source == (
        "#include <unistd.h>\n#include <stdlib.h>\n\nint main(int argc, char **argv) {\n"
        f'    putenv("NIX_PYTHONPREFIX={store}");\n'
        f'    putenv("NIX_PYTHONEXECUTABLE={store}/bin/python3.11");\n'
        f'    putenv("NIX_PYTHONPATH={store}/lib/python3.11/site-packages");\n'
        '    putenv("PYTHONNOUSERSITE=true");\n'
        '    argv[0] = "/nix/store/aaaa-python3-3.11.9/bin/python3.11";\n'
        '    return execv("/nix/store/aaaa-python3-3.11.9/bin/python3.11", argv);\n}')


@given(flag_lists(binary=True))
def test_c_source_reads_back(flags: list[str]) -> None:
    """The model's reading of a generated C source gives back the flags' meaning."""
    source = wrapgen.c_wrapper("/t/x", flags)
    read = binarywrapper.read_source(source)
    if "#error" in source:
        assert isinstance(read, binarywrapper.Unreadable)
        return
    assert isinstance(read, binarywrapper.BinaryWrapper)
    assert binarywrapper.plan(read) == binarywrapper.plan(binarywrapper.BinaryWrapper(
        "/t/x", tuple(_grouped(flags))))


def _grouped(flags: list[str]) -> list[tuple[str, ...]]:
    out, i = [], 0
    while i < len(flags):
        n = {**binarywrapper.ARITY, "--prefix-each": 3, "--suffix-each": 3}[flags[i]]
        out.append(tuple(flags[i:i + n + 1]))
        i += n + 1
    return out


# -- model vs reality --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scratch() -> Iterator[str]:
    require_oracle(cwrapper.compiler() is not None, "no C compiler here (for the stub)")
    require_oracle(shutil.which("bash") is not None, "no bash here")
    root = tempfile.mkdtemp(prefix="prefixlab-wrap-")
    build_stub(f"{root}/stub")
    for name in ("d 1", "it's", "dol$lar"):
        os.mkdir(f"{root}/{name}")
    yield root
    shutil.rmtree(root)


def _dirs(root: str) -> list[str]:
    return [f"{root}/d 1", f"{root}/it's", f"{root}/dol$lar", root]


BASE_ENV = {"PATH": "/usr/bin:/bin", "FOO": "foo 1", "EMPTY": "", "XDG_DATA_DIRS": "a:b:a"}
FAKE = BuildConstants((3, 12, 0), "/usr", "/usr")


def _model(program: str, argv: list[str], env: dict[str, str], cwd: str,
           stub: str) -> chain.Arrived | chain.Stopped:
    fs = Snapshot("/")
    return chain.follow(fs, Invocation(program, tuple(argv), tuple(env.items()), cwd),
                            cwd, {stub: FAKE}, [])


def _compare(model: chain.Arrived | chain.Stopped, real: Seen | str) -> bool:
    """True when modelled and equal; False when not modelled; fails on a disagreement."""
    try:
        note(f"model: {model}\nreal: {real}")
    except InvalidArgument:  # outside a Hypothesis test
        pass
    if isinstance(model, chain.Stopped):
        assert model.status == "not-modelled" or isinstance(real, str), model
        return False
    assert isinstance(real, Seen), real
    assert model.invocation.argv == real.argv
    assert model.invocation.environ == real.env
    assert model.cwd == real.cwd
    assert model.warnings == real.stderr
    return True


def _shell_case(scratch: str, data: st.DataObject) -> None:
    flags = data.draw(flag_lists(dirs=_dirs(scratch)))
    args = data.draw(st.lists(WORD, max_size=2))
    wrapper = f"{scratch}/w-sh"
    with open(wrapper, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write(wrapgen.shell_wrapper(f"{scratch}/stub", flags,
                                           shell=shutil.which("bash") or "/bin/bash"))
    os.chmod(wrapper, 0o755)
    argv = ["argv-zero", *args]
    modelled = _compare(_model(wrapper, argv, BASE_ENV, scratch, f"{scratch}/stub"),
                        run(wrapper, argv, BASE_ENV, scratch))
    event("modelled" if modelled else "not modelled")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_shell_wrapper_model_equals_bash(scratch: str, data: st.DataObject) -> None:
    _shell_case(scratch, data)


@pytest.mark.sweep
@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_shell_wrapper_model_equals_bash_long(scratch: str, data: st.DataObject) -> None:
    _shell_case(scratch, data)


def _binary_case(scratch: str, data: st.DataObject) -> None:
    flags = data.draw(flag_lists(dirs=_dirs(scratch), binary=True))
    source = wrapgen.c_wrapper(f"{scratch}/stub", flags)
    note(source)
    wrapper = f"{scratch}/w-c"
    try:
        cwrapper.compile_wrapper(source, wrapper)
    except cwrapper.CompileError as error:
        # makeCWrapper does not escape '?': a value holding a trigraph (??' ??= ??( ...) makes
        # gcc warn "trigraph ignored", and -Werror turns that into a failed build (found by
        # this test; nixpkgs make-binary-wrapper.sh escapeStringLiteral)
        assert "#error" in source or re.search(r"\?\?[=/'()!<>-]", source), error
        event("does not compile")
        return
    argv = ["argv-zero", *data.draw(st.lists(WORD, max_size=2))]
    modelled = _compare(_model(wrapper, argv, BASE_ENV, scratch, f"{scratch}/stub"),
                        run(wrapper, argv, BASE_ENV, scratch))
    event("modelled" if modelled else "not modelled")


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_binary_wrapper_model_equals_compiled_wrapper(scratch: str, data: st.DataObject) -> None:
    _binary_case(scratch, data)


@pytest.mark.sweep
@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_binary_wrapper_model_equals_compiled_wrapper_long(scratch: str,
                                                           data: st.DataObject) -> None:
    _binary_case(scratch, data)


def test_compiled_record_and_resolve_argv0(scratch: str) -> None:
    """The record omits --resolve-argv0; the compiled code tells it."""
    for flags, resolve in ((["--inherit-argv0", "--resolve-argv0"], True),
                           (["--inherit-argv0"], False)):
        wrapper = f"{scratch}/w-rec"
        cwrapper.compile_wrapper(wrapgen.c_wrapper(f"{scratch}/stub", flags), wrapper)
        with open(wrapper, "rb") as handle:
            read = binarywrapper.read_binary(handle.read())
        assert isinstance(read, binarywrapper.BinaryWrapper)
        assert (("--resolve-argv0",) in read.flags) is resolve
        env = {"PATH": f"/nonexistent::{scratch}"}
        model = _model(wrapper, ["stub"], env, "/", f"{scratch}/stub")
        assert _compare(model, run(wrapper, ["stub"], env, "/"))


# -- optional: against nixpkgs' own generators ---------------------------------------------------
NIXPKGS = os.environ.get("PREFIXLAB_NIXPKGS", "")
"""A nixpkgs checkout; when set, the generators are compared with nixpkgs' scripts run by bash
(not vendored here; no Nix needed)."""
SHELL_GEN = "pkgs/build-support/setup-hooks/make-wrapper.sh"
C_GEN = "pkgs/by-name/ma/makeBinaryWrapper/make-binary-wrapper.sh"


def _need_nixpkgs(script: str) -> None:
    """Opt-in: skipped unless PREFIXLAB_NIXPKGS is set; when it is set, the script must be
    there (a missing oracle fails under PREFIXLAB_REQUIRE_ORACLES=1)."""
    if not NIXPKGS:
        pytest.skip("opt-in: set PREFIXLAB_NIXPKGS to a nixpkgs checkout")
    require_oracle(os.path.exists(f"{NIXPKGS}/{script}"),
                   f"PREFIXLAB_NIXPKGS={NIXPKGS} has no {script}")


def _nixpkgs_run(script: str, call: str, args: list[str], cwd: str) -> bytes:
    import subprocess
    program = f'die() {{ echo "$*" >&2; exit 1; }}; source "$0"; set +eu; {call} "$@"'
    done = subprocess.run([b"bash", b"-c", program.encode(), f"{NIXPKGS}/{script}".encode(),
                           *[os.fsencode(a) for a in args]], cwd=cwd, capture_output=True,
                          env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(flags=flag_lists(dirs=["/d 1", "/x"]))
def test_shell_generator_equals_nixpkgs(flags: list[str]) -> None:
    _need_nixpkgs(SHELL_GEN)
    with open(f"{NIXPKGS}/{SHELL_GEN}", encoding="utf-8") as handle:
        # --add-flag/--append-flag came later (nixpkgs #400649)
        known = re.search(r"--add-flag(?!s)", handle.read()) is not None
    assume(known or not {"--add-flag", "--append-flag"} & set(flags))
    with tempfile.TemporaryDirectory() as where:
        os.mkdir(f"{where}/t")
        with open(f"{where}/t/orig", "w") as handle:
            handle.write("")
        os.chmod(f"{where}/t/orig", 0o755)
        _nixpkgs_run(SHELL_GEN, "makeShellWrapper t/orig out", flags, where)
        with open(f"{where}/out", "rb") as handle:
            real = handle.read()
    assert real == wrapgen.shell_wrapper("t/orig", flags).encode("utf-8", "surrogateescape")


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(flags=flag_lists(dirs=["/d 1", "/x"], binary=True))
def test_c_generator_equals_nixpkgs_outside_the_helper_bodies(flags: list[str]) -> None:
    _need_nixpkgs(C_GEN)
    real = _nixpkgs_run(C_GEN, "makeDocumentedCWrapper /t/x", flags, "/").decode(
        "utf-8", "surrogateescape")
    ours = wrapgen.c_wrapper("/t/x", flags)
    # the helper definitions are ours: compare everything but them
    for helper in (wrapgen._SURROUNDED, wrapgen._PREFIX, wrapgen._SUFFIX, wrapgen._RESOLVE):
        ours = ours.replace(helper, "")
    assert _without_functions(real) == _without_functions(ours)


def _without_functions(source: str) -> str:
    """The source with every top-level function other than main() removed."""
    cut = re.sub(r"\n(?!int main)[a-z][^\n]*\([^\n]*\) \{\n.*?\n\}\n", "\n", source,
                 flags=re.S)
    return re.sub(r"\n{3,}", "\n\n", cut)


# -- the 2021 format -------------------------------------------------------------------------
_OLD_FLAGS = {"--set": 2, "--set-default": 2, "--unset": 1, "--prefix": 3, "--suffix": 3,
              "--add-flags": 1, "--argv0": 1}


def _old_flags(flags: list[str]) -> list[str]:
    """The groups of a flag list the 2021 generator knew."""
    out: list[str] = []
    for group in _grouped(flags):
        if group[0] in _OLD_FLAGS and not (group[0] == "--add-flags"
                                           and any(c in group[1] for c in "*?[")):
            out += group
    return out


def test_2021_format_text() -> None:
    # make-wrapper.sh's 2021 format: '#! $SHELL -eu', declare -a extraFlagsArray=(), set +u,
    # exec ...
    text = wrapgen.shell_wrapper_2021("/p", ["--prefix", "PATH", ":", "v"], shell="/sh")
    assert text == ("#! /sh -eu\ndeclare -a extraFlagsArray=()\n"
                    "export PATH='v'${PATH:+':'$PATH}\nset +u\n"
                    "exec '/p' \"${extraFlagsArray[@]}\" \"$@\"\n")


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_2021_shell_wrapper_model_equals_bash(scratch: str, data: st.DataObject) -> None:
    flags = _old_flags(data.draw(flag_lists(dirs=_dirs(scratch))))
    wrapper = f"{scratch}/w-2021"
    with open(wrapper, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write(wrapgen.shell_wrapper_2021(f"{scratch}/stub", flags,
                                                shell=shutil.which("bash") or "/bin/bash"))
    os.chmod(wrapper, 0o755)
    argv = ["argv-zero", *data.draw(st.lists(WORD, max_size=2))]
    modelled = _compare(_model(wrapper, argv, BASE_ENV, scratch, f"{scratch}/stub"),
                        run(wrapper, argv, BASE_ENV, scratch))
    event("modelled" if modelled else "not modelled")


@pytest.mark.parametrize("level", ["999", "1000", "abc", " 7 ", "-5", ""])
def test_shell_level_and_its_warning(scratch: str, level: str) -> None:
    """bash adds one to SHLVL (1000 or more: a warning, and 1), exec takes one away."""
    wrapper = f"{scratch}/w-level"
    with open(wrapper, "w", encoding="utf-8") as handle:
        handle.write(wrapgen.shell_wrapper(f"{scratch}/stub", [],
                                           shell=shutil.which("bash") or "/bin/bash"))
    os.chmod(wrapper, 0o755)
    env = {**BASE_ENV, "SHLVL": level}
    assert _compare(_model(wrapper, ["w"], env, scratch, f"{scratch}/stub"),
                    run(wrapper, ["w"], env, scratch))
