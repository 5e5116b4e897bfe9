"""The `prefixlab` command is impl/cli/prefixlab (pyproject.toml's script-files), not a
generated entry-point launcher: pip's imports re, a fifth of a warm build venv's start-up."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LAUNCHER = ROOT / "impl" / "cli" / "prefixlab"


def test_pyproject_installs_the_launcher_and_no_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["script-files"] == ["impl/cli/prefixlab"]
    assert "scripts" not in project["project"]  # two commands named prefixlab would clash


def test_the_launcher_imports_only_sys_and_launch() -> None:
    text = LAUNCHER.read_text()
    assert text.startswith("#!python\n")  # installers put the interpreter's path here
    imported = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(str(node.module))
    assert imported == {"sys", "prefixlab.impl.cli.launch"}
    assert "import command" in text  # the quick exit: launch.command, not launch.main
    assert os.access(LAUNCHER, os.X_OK)


def test_the_launcher_runs_the_command_and_passes_its_status(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(LAUNCHER), "build", "venv"],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PREFIXLAB_COMPILED": "0"})
    assert done.returncode == 2, done.stderr  # no TARGET: a usage error (README, exit codes)
    assert "Traceback" not in done.stderr and "TARGET" in done.stderr
    ok = subprocess.run([sys.executable, str(LAUNCHER), "--version"], capture_output=True,
                        text=True)
    assert ok.returncode == 0 and "prefixlab" in ok.stdout


def test_the_installed_command_is_the_launcher() -> None:
    """The project venv's prefixlab is this file with its first line rewritten (a stale
    install would still hold pip's generated launcher)."""
    installed = Path(sys.executable).parent / "prefixlab"
    lines = installed.read_text().splitlines(keepends=True)
    assert lines[0].startswith("#!") and "python" in lines[0]
    assert "".join(lines[1:]) == "".join(LAUNCHER.read_text().splitlines(keepends=True)[1:])
