"""``predict`` through a makeWrapper wrapper (with and without --inherit-argv0), a
makeBinaryWrapper wrapper and a pyenv shim equals the probe of the real interpreter, on every
interpreter here."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from conftest import in_scope_interpreters, interpreter_id, require_oracle

from prefixlab.impl.builders import cwrapper
from prefixlab.impl.builders import wrapgen
from prefixlab.impl.host.world import world_for
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.probe import probe
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.startup.predict import predict

FLAGS = ["--set", "PYTHONNOUSERSITE", "true", "--prefix", "PATH", ":", "/nonexistent/bin"]
VARIANTS = ["shell", "shell-inherit", "binary", "binary-inherit", "binary-resolve"]


@pytest.fixture(scope="module")
def scratch() -> Iterator[str]:
    root = tempfile.mkdtemp(prefix="prefixlab-chain-")
    yield root
    shutil.rmtree(root)


def _env_tree(scratch: str, interp: Interpreter, variant: str) -> str:
    """ENV/bin/python3 wrapping the interpreter; ENV/lib/pythonX.Y links to its stdlib, so
    an inherited argv[0] finds a prefix too (the nixpkgs python-env shape)."""
    assert interp.constants is not None
    env = f"{scratch}/{interpreter_id(interp)}-{variant}"
    os.makedirs(f"{env}/bin", exist_ok=True)
    stdlib = interp.constants.stdlib_subdir
    os.makedirs(os.path.dirname(f"{env}/{stdlib}"), exist_ok=True)
    if not os.path.lexists(f"{env}/{stdlib}"):
        os.symlink(f"{interp.constants.prefix}/{stdlib}", f"{env}/{stdlib}")
    flags = list(FLAGS)
    if variant.endswith("inherit"):
        flags.append("--inherit-argv0")
    if variant.endswith("resolve"):
        flags += ["--inherit-argv0", "--resolve-argv0"]
    wrapper = f"{env}/bin/python3"
    if variant.startswith("shell"):
        with open(wrapper, "w", encoding="utf-8") as handle:
            handle.write(wrapgen.shell_wrapper(interp.real_path, flags,
                                               shell=shutil.which("bash") or "/bin/bash"))
        os.chmod(wrapper, 0o755)
    else:
        cwrapper.compile_wrapper(wrapgen.c_wrapper(interp.real_path, flags), wrapper)
    return wrapper


def _agree(invocation: Invocation) -> None:
    predicted = predict(world_for(invocation, use_cache=True), invocation)
    probed = probe(invocation)
    assert predicted.status != "not-modelled", predicted.error
    assert predicted.comparable() == probed.comparable(), [s.rule.id for s in
                                                           predicted.trace.steps]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("interp", in_scope_interpreters(), ids=interpreter_id)
def test_wrapped_interpreter(scratch: str, interp: Interpreter, variant: str) -> None:
    require_oracle(shutil.which("bash") is not None, "no bash here")
    require_oracle(cwrapper.compiler() is not None, "no C compiler here")
    wrapper = _env_tree(scratch, interp, variant)
    env = {"PATH": f"{os.path.dirname(wrapper)}:/usr/bin:/bin"}
    _agree(Invocation.make(wrapper, ["-S"], env=env, cwd=scratch))
    # by name through PATH: a shell wrapper's $0 is the path found, a binary wrapper's
    # inherited argv[0] stays bare (CPython, or resolve_argv0, searches PATH again)
    _agree(Invocation.make("python3", ["-S"], env=env, cwd=scratch))


def _pyenv_versions() -> list[Interpreter]:
    return [i for i in in_scope_interpreters() if i.source == "pyenv"]


@pytest.mark.parametrize("interp", _pyenv_versions(), ids=interpreter_id)
def test_pyenv_shim(scratch: str, interp: Interpreter) -> None:
    shims = os.path.expanduser("~/.pyenv/shims")
    require_oracle(os.path.exists(f"{shims}/python3"), "no pyenv shims here")
    version = os.path.basename(os.path.dirname(os.path.dirname(interp.real_path)))
    env = {"PATH": f"{shims}:/usr/bin:/bin", "PYENV_VERSION": version,
           "HOME": os.path.expanduser("~")}
    minor = "python%d.%d" % (interp.version or (0, 0, 0))[:2]
    for name in ("python3", minor):
        _agree(Invocation.make(name, ["-S"], env=env, cwd=scratch))


def test_pyenv_system_and_unselected(scratch: str) -> None:
    shims = os.path.expanduser("~/.pyenv/shims")
    require_oracle(os.path.exists(f"{shims}/python3"), "no pyenv shims here")
    env = {"PATH": f"{shims}:/usr/bin:/bin", "PYENV_VERSION": "system",
           "HOME": os.path.expanduser("~")}
    _agree(Invocation.make("python3", ["-S"], env=env, cwd=scratch))


def test_cli_predict_and_diff_through_a_wrapper(scratch: str) -> None:
    """`prefixlab predict ENV/bin/python3` on a wrapper, end to end (and `diff` agrees)."""
    import json
    import subprocess
    import sys
    from pathlib import Path
    found = [i for i in in_scope_interpreters() if i.source == "pyenv"] or list(
        in_scope_interpreters())
    require_oracle(bool(found), "no interpreter here")
    require_oracle(shutil.which("bash") is not None, "no bash here")
    wrapper = _env_tree(scratch, found[-1], "shell-inherit")
    prefixlab = str(Path(sys.executable).with_name("prefixlab"))
    common = ["--clear-env", "--env", "PATH=/usr/bin:/bin", "--cwd", scratch, wrapper, "-S"]
    done = subprocess.run([prefixlab, "predict", "--json", *common], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "ok"
    assert data["invocation"]["program"] == wrapper  # the original invocation is kept
    rules = [step["rule"] for step in data["trace"]]
    assert rules[:3] == ["chain.shebang", "chain.make-wrapper", "exec.interpreter"]
    assert data["executable"] == wrapper  # --inherit-argv0: argv[0] is the wrapper's path
    diff = subprocess.run([prefixlab, "diff", *common], capture_output=True, text=True,
                          timeout=300)
    assert diff.returncode == 0, diff.stdout + diff.stderr


def test_failing_chains_fail_alike(scratch: str) -> None:
    """A chain that stops before the interpreter: the model names the exit status of the
    program that stops (env, bash, pyenv, a C wrapper), as the probe sees it."""
    require_oracle(shutil.which("bash") is not None, "no bash here")
    require_oracle(cwrapper.compiler() is not None, "no C compiler here")
    env_path = shutil.which("env") or "/usr/bin/env"
    bash = shutil.which("bash") or "/bin/bash"
    where = f"{scratch}/failing"
    os.makedirs(where, exist_ok=True)
    with open(f"{where}/plain", "w") as handle:
        handle.write("not executable\n")
    cases = {
        "missing": wrapgen.shell_wrapper(f"{where}/nonexistent", [], shell=bash),
        "not-executable": wrapgen.shell_wrapper(f"{where}/plain", [], shell=bash),
        "cd": wrapgen.shell_wrapper(f"{where}/plain", ["--chdir", f"{where}/nope"], shell=bash),
        "env-split": f"#!{env_path} -S python3 \\q\n",
        "env-missing": f"#!{env_path} no-such-command-here\n",
    }
    for name, text in cases.items():
        with open(f"{where}/{name}", "w") as handle:
            handle.write(text)
        os.chmod(f"{where}/{name}", 0o755)
    for name, flags in (("c-missing", []), ("c-chdir", ["--chdir", f"{where}/nope"])):
        cwrapper.compile_wrapper(wrapgen.c_wrapper(f"{where}/nonexistent", flags),
                                 f"{where}/{name}")
        cases[name] = ""
    expected = {"missing": "exit-127", "not-executable": "exit-126", "cd": "exit-1",
                "env-split": "exit-125", "env-missing": "exit-127", "c-missing": "exit-255",
                "c-chdir": "signal-6"}
    for name in cases:
        invocation = Invocation.make(f"{where}/{name}", ["-S"], env={"PATH": "/usr/bin:/bin"},
                                     cwd=where)
        predicted = predict(world_for(invocation, use_cache=True), invocation)
        probed = probe(invocation)
        assert predicted.error is not None and predicted.error.kind == expected[name], (
            name, predicted.error)
        assert predicted.comparable() == probed.comparable(), (name, probed.error)
