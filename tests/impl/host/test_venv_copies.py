"""Venvs whose interpreter is a copy, not a link (``python -m venv --copies``, ``virtualenv
--copies``, and uv's venv for comparison), built on every in-scope interpreter and on a
build of each pyenv version whose RUNPATH is ``$ORIGIN/../lib`` (tests/support/relocatable.py,
as python-build-standalone and conda builds are): prediction and probe agree on every key
the diff command compares (impl/render/compare.py).

venv copies the binary and not libpython, so the $ORIGIN build's copy cannot start: the
dynamic loader finds no ``ENV/lib/libpythonX.Y.so.1.0``, writes "error while loading shared
libraries" and exits with status 127 (ld.so(8)); which copies start is what the real
interpreter does, never assumed here.  Only the probe's outcome is the expected value.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import in_scope_interpreters, interpreter_id, require_oracle
from support.relocatable import origin_python

from prefixlab.impl.checks import runnable
from prefixlab.impl.host import world as hostworld
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.probe import probe
from prefixlab.impl.render.compare import compare
from prefixlab.model.outcome import Outcome
from prefixlab.model.startup.predict import predict
from prefixlab.model.world.invocation import Invocation

INTERPRETERS = list(in_scope_interpreters())
TOOLS = Path(sys.executable).parent
"""The project venv's bin directory (virtualenv and uv are development dependencies)."""


def _run(args: list[str], where: Path) -> None:
    tools = where / ".tools"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tools), "UV_CACHE_DIR": str(tools / "uv"),
           "UV_PYTHON_DOWNLOADS": "never", "UV_NO_CONFIG": "1",
           "VIRTUALENV_OVERRIDE_APP_DATA": str(tools / "virtualenv")}
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=where,
                          timeout=300)
    assert done.returncode == 0, f"{args}: {done.stderr[-2000:]}"


def _venvs(python: str, root: Path) -> list[Path]:
    """The venvs made from ``python`` under ``root``: venv --copies always, virtualenv
    --copies and uv venv when they are installed in the project venv (uv's link mode is
    for packages: its interpreter is a symbolic link whatever the mode)."""
    made = [root / "venv"]
    _run([python, "-m", "venv", "--copies", "--without-pip", str(made[0])], root)
    virtualenv, uv = TOOLS / "virtualenv", TOOLS / "uv"
    if virtualenv.is_file():
        made.append(root / "virtualenv")
        _run([str(virtualenv), "--copies", "--no-seed", "-p", python, str(made[-1])], root)
    if uv.is_file():
        made.append(root / "uv")
        _run([str(uv), "venv", "-q", "--link-mode", "copy", "--python", python, str(made[-1])],
             root)
    return made


def _diff(program: str, cwd: str) -> tuple[Outcome, Outcome]:
    """What ``prefixlab diff --clear-env PROGRAM`` compares: the prediction in the host
    world built for it, and the probe (run only when its arguments reach CPython)."""
    invocation = Invocation.make(program, [], env={}, cwd=cwd)
    world = hostworld.world_for(invocation, use_cache=True)
    predicted = predict(world, invocation)
    verdict = runnable.verdict(world, invocation)
    assert verdict.taken is not None, (program, verdict.why, predicted.error)
    return predicted, probe(invocation, taken=verdict.taken)


def _check(env: Path) -> Outcome:
    program = str(env / "bin" / "python")
    predicted, probed = _diff(program, str(env))
    assert predicted.status != "not-modelled", predicted.error
    comparison = compare(predicted, probed)
    assert not comparison.differences, (program, [
        (key, predicted.comparable().get(key), probed.comparable().get(key))
        for key in comparison.differences])
    return probed


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_copied_venvs_predict_as_probed(interp: Interpreter, tmp_path: Path) -> None:
    for env in _venvs(interp.path, tmp_path):
        probed = _check(env)
        # The interpreter's own RUNPATH (absolute for pyenv) or a static build: it starts.
        assert probed.status == "ok", (env, probed.error)


def _origin_build(interp: Interpreter, root: Path) -> Path:
    assert interp.constants is not None
    version = interp.constants.version
    built = origin_python(interp.constants.prefix, "%d.%d" % version[:2], root)
    require_oracle(built is not None, "a C compiler and the interpreter's headers and "
                   "libpython")
    assert built is not None
    return built


PYENV = [i for i in INTERPRETERS if i.source == "pyenv" and i.constants is not None
         and i.constants.shared]


@pytest.mark.real
@pytest.mark.parametrize("interp", PYENV, ids=interpreter_id)
def test_copied_venvs_of_an_origin_build_predict_as_probed(
        interp: Interpreter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The venv --copies copy of a $ORIGIN build fails to start unless the loader finds a
    libpython of that name elsewhere (Debian's libpython3.11 in /usr/lib for 3.11): the
    prediction says which, as the probe does.  The cache starts empty: the copy is known
    through the interpreter its pyvenv.cfg names, learned first."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    built = _origin_build(interp, tmp_path / "build")
    (tmp_path / "envs").mkdir()
    outcomes = {env.name: _check(env) for env in _venvs(str(built), tmp_path / "envs")}
    for name, probed in outcomes.items():
        if name != "venv":  # virtualenv copies libpython beside, uv links: both start
            assert probed.status == "ok", (name, probed.error)
    copy = tmp_path / "envs" / "venv" / "bin" / "python"
    name = next((tmp_path / "build" / "lib").glob("libpython*.so.1.0")).name
    elsewhere = _loader_finds_elsewhere(copy, name)
    venv = outcomes["venv"]
    if elsewhere:
        assert venv.status == "ok"
    else:
        assert venv.status == "startup-failed" and venv.error is not None
        assert venv.error.kind == "library-not-found"
        assert f"{copy}: error while loading shared libraries: {name}" in venv.error.message


def _loader_finds_elsewhere(binary: Path, name: str) -> bool:
    """Does ldd (the loader itself) resolve ``name`` for ``binary``?"""
    require_oracle(shutil.which("ldd") is not None, "ldd")
    done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, env={},
                          timeout=60)
    for line in done.stdout.splitlines():
        words = line.split()
        if words[:2] == [name, "=>"]:
            return words[2:4] != ["not", "found"]
    return False


@pytest.mark.real
@pytest.mark.parametrize("interp", PYENV[-1:], ids=interpreter_id)
def test_the_failure_through_env_and_with_library_path(
        interp: Interpreter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same copy started by env (the status is the copy's own: env's execvp succeeded)
    agrees with the probe; with LD_LIBRARY_PATH set, which the loader reads first, the
    model says not-modelled rather than guess."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    built = _origin_build(interp, tmp_path / "build")
    env = tmp_path / "env"
    _run([str(built), "-m", "venv", "--copies", "--without-pip", str(env)], tmp_path)
    copy = str(env / "bin" / "python")
    name = next((tmp_path / "build" / "lib").glob("libpython*.so.1.0")).name
    if _loader_finds_elsewhere(Path(copy), name):
        pytest.skip("the loader finds this libpython in a system directory")
    through = Invocation.make("/usr/bin/env", [copy], env={}, cwd=str(tmp_path))
    world = hostworld.world_for(through, use_cache=True)
    predicted = predict(world, through)
    verdict = runnable.verdict(world, through)
    assert verdict.taken is not None, verdict.why
    probed = probe(through, taken=verdict.taken)
    assert probed.status == "startup-failed"
    assert not compare(predicted, probed).differences
    library = Invocation.make(copy, [], env={"LD_LIBRARY_PATH": str(tmp_path / "build" /
                                                                         "lib")},
                              cwd=str(tmp_path))
    assert predict(hostworld.world_for(library, use_cache=True), library).status == \
        "not-modelled"
