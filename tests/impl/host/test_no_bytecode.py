"""Real runs prefixlab makes write no bytecode: the installations they run are what is
modelled, and a stray ``__pycache__/*.opt-1.pyc`` (a run with -O) changes them.
PYTHONDONTWRITEBYTECODE is ignored under -E and -I, so the runs add -B, which CPython
documents as "Python won't try to write .pyc files on the import of source modules" (it sets
sys.dont_write_bytecode; Doc/using/cmdline.rst, Python/initconfig.c config->write_bytecode).

Observed without touching an installation: a user site directory in a scratch HOME holds a
.pth whose import line site runs, so a run that writes bytecode leaves
``__pycache__/prefixlab_trap.*.pyc`` there.  The learner runs without site, so its command
line is checked instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import in_scope_interpreters, require_oracle

from prefixlab.impl.checks import spec as speccheck
from prefixlab.impl.checks import which as whichcheck
from prefixlab.impl.host import interpreters
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.probe import probe
from prefixlab.model.world.invocation import Invocation

pytestmark = pytest.mark.real


def newest() -> Interpreter:
    found = [i for i in in_scope_interpreters() if i.version and i.version[:2] >= (3, 11)]
    require_oracle(bool(found), "no CPython 3.11+ interpreter here")
    return found[-1]


def trap(home: Path, interp: Interpreter) -> Path:
    """A user site in ``home`` whose .pth imports a module of its own; the site dir."""
    assert interp.version is not None
    major, minor = interp.version[:2]
    site = home / ".local" / "lib" / f"python{major}.{minor}" / "site-packages"
    site.mkdir(parents=True)
    (site / "trap.pth").write_text("import prefixlab_trap\n")
    (site / "prefixlab_trap.py").write_text("TRAPPED = True\n")
    return site


def written(site: Path) -> list[str]:
    return sorted(p.name for p in site.rglob("*.pyc"))


def invocation(interp: Interpreter, home: Path, *args: str) -> Invocation:
    return Invocation.make(interp.path, args, env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
                           cwd=str(home))


@pytest.mark.parametrize("args", [("-c", "pass"), ("-E", "-c", "pass"), ()],
                         ids=["-c", "-E", "no-command"])
def test_probe_writes_no_bytecode(tmp_path: Path, args: tuple[str, ...]) -> None:
    interp = newest()
    site = trap(tmp_path, interp)
    asked = invocation(interp, tmp_path, *args)
    outcome = probe(asked)
    assert outcome.status == "ok", outcome.error
    assert str(site) in outcome.path  # site ran the user site's .pth
    assert written(site) == []
    assert outcome.invocation == asked  # -B is not part of the case reported


def test_which_check_writes_no_bytecode(tmp_path: Path) -> None:
    interp = newest()
    site = trap(tmp_path, interp)
    outcome = probe(invocation(interp, tmp_path, "-E", "-c", "pass"))
    answers = whichcheck.real_answers(outcome, ["prefixlab_trap"])
    assert answers is not None and answers["prefixlab_trap"][0] == str(
        site / "prefixlab_trap.py")
    assert written(site) == []


def test_spec_check_writes_no_bytecode(tmp_path: Path) -> None:
    interp = newest()
    site = trap(tmp_path / "home", interp)
    speccheck.base_of(interp.path, str(tmp_path))
    assert written(site) == []


def test_the_learner_asks_for_no_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def run(binary: str, args: list[str]) -> tuple[str, str]:
        seen.append(args)
        return "", "no output"

    monkeypatch.setattr(interpreters, "_run", run)
    with pytest.raises(interpreters.InterpreterError):
        interpreters._run_learner("/nonexistent/python3", "/nonexistent/python3")
    assert seen and all("-B" in args[1:args.index("-c")] for args in seen)


def test_spec_script_runs_write_no_bytecode(tmp_path: Path) -> None:
    """A script's #! line decides its options (-O here), so the option cannot be added; its
    environment says PYTHONDONTWRITEBYTECODE instead (honoured without -E or -I)."""
    from prefixlab.model.builders.envspec import ScriptExpectation

    interp = newest()
    site = trap(tmp_path / "home", interp)
    (tmp_path / "env" / "bin").mkdir(parents=True)
    script = tmp_path / "env" / "bin" / "foo"
    script.write_text(f"#!{interp.path} -O\nimport sys\n")
    script.chmod(0o755)
    expected = ScriptExpectation("foo", "t", 0, True, options=("O",))
    ((_, run),) = speccheck.observe_scripts(str(tmp_path / "env"), [expected], str(tmp_path))
    assert run.status == 0, run.error
    assert written(site) == []
