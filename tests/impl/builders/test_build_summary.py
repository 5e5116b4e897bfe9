"""What `prefixlab build venv` and `build env` say once they are done: the text summary on
stderr (silenced by -q), the home it wrote and whether stdlib's `python -m venv` of the same
interpreter would have written another (held against a venv stdlib writes in the same
situation), `--json`'s object against the tree on disk, and the counts' plural forms.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import in_scope_interpreters, interpreter_id, require_oracle
from prefixlab.impl.cli.build_env import counts_line, plural
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.builders.buildenv import Farm
from prefixlab.model.builders.flavours import EnvPlan
from prefixlab.model.builders.plan import CWrapper, Link, Mkdir, Write
from prefixlab.model.world.build import behaviour_for

from test_build_venv import _decoy, _env, _pyenv, _some

INTERPRETERS = in_scope_interpreters()
SOME = _some(INTERPRETERS)
PROGRAM = str(Path(sys.executable).with_name("prefixlab"))


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROGRAM, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, env={**_env(), "XDG_CACHE_HOME": str(cwd / "cache")})


def _ok(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr


def _cfg_home(venv: Path) -> str:
    """The home key of VENV/pyvenv.cfg as site reads it ('home = VALUE')."""
    for line in (venv / "pyvenv.cfg").read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home":
            return value.strip()
    raise AssertionError(f"{venv}/pyvenv.cfg has no home")


def _stdlib_venv(python: str, target: Path) -> None:
    subprocess.run([python, "-m", "venv", "--without-pip", str(target)], env=_env(),
                   check=True, capture_output=True, timeout=120)


def _version(interp: Interpreter) -> str:
    assert interp.version is not None
    return "%d.%d.%d" % interp.version


def _sys_executable(python: str) -> str:
    return subprocess.run([python, "-c", "import sys; print(sys.executable)"], env=_env(),
                          check=True, capture_output=True, text=True,
                          timeout=60).stdout.strip()


# -- the text summary ----------------------------------------------------------------------------
@pytest.mark.real
@pytest.mark.parametrize("interp", SOME, ids=interpreter_id)
def test_the_summary_names_interpreter_target_home_and_activation(
        tmp_path: Path, interp: Interpreter) -> None:
    target = tmp_path / "my venv"  # a blank: the activation line must quote it
    done = _run("build", "venv", target.name, "--python", interp.path, cwd=tmp_path)
    _ok(done)
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    activate = f"source '{target}/bin/activate'"
    # From a direct base stdlib venv writes the same home: no line says it differs.
    _stdlib_venv(interp.path, tmp_path / "stdlib")
    assert _cfg_home(tmp_path / "stdlib") == _cfg_home(target)
    assert lines == [f"Using CPython {_version(interp)} at {_sys_executable(interp.path)}",
                     f"Creating virtual environment at: {target}",
                     f"home = {_cfg_home(target)}",
                     f"Activate with: {activate}"]
    # The activation line works as printed.
    shell = subprocess.run(["bash", "-c", f'{activate} && printf %s "$VIRTUAL_ENV"'],
                           capture_output=True, text=True, env=_env(), timeout=60)
    assert shell.stdout == str(target), shell.stderr


@pytest.mark.real
def test_quiet_silences_the_summary_and_errors_still_print(tmp_path: Path) -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    interp = INTERPRETERS[-1]
    minor = "%d.%d" % (interp.version or (0, 0))[:2]
    for n, args in enumerate([("build", "venv", "a", "--python", interp.path, "-q"),
                              ("build", "venv", "b", "--python", interp.path, "--quiet"),
                              ("-q", "build", "venv", "c", "--python", interp.path),
                              ("--quiet", "build", "venv", "d", "--python", minor),
                              ("build", "venv", "e", "--python", minor, "-q")]):
        done = _run(*args, cwd=tmp_path)
        _ok(done)
        assert (done.stdout, done.stderr) == ("", ""), args
    assert all((tmp_path / name / "pyvenv.cfg").is_file() for name in "abcde")
    refused = _run("build", "venv", "a", "--python", interp.path, "-q", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "already exists" in refused.stderr


@pytest.mark.real
def test_a_version_request_says_which_interpreter_once(tmp_path: Path) -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    interp = INTERPRETERS[-1]
    minor = "%d.%d" % (interp.version or (0, 0))[:2]
    done = _run("build", "venv", "v", "--python", minor, cwd=tmp_path)
    _ok(done)
    lines = done.stderr.splitlines()
    assert [line for line in lines if line.startswith("Using ")] == lines[:1]
    assert lines[0].startswith(f"Using CPython {minor}.")
    assert lines[1:] == [f"Creating virtual environment at: {tmp_path / 'v'}",
                         f"home = {_cfg_home(tmp_path / 'v')}",
                         f"Activate with: source {tmp_path / 'v'}/bin/activate"]


# -- home_differs, against stdlib venv -----------------------------------------------------------
def _base(tmp_path: Path, interp: Interpreter, case: str) -> str:
    """The --python both builders are given: the interpreter itself, an exe-only link below a
    decoy lib/pythonX.Y/os.py (uv#10674), or a venv of it (stdlib's own)."""
    if case == "direct":
        return interp.path
    if case == "decoy":
        return str(_decoy(tmp_path, interp))
    _stdlib_venv(interp.path, tmp_path / "outer")
    return str(tmp_path / "outer" / "bin" / "python")


@pytest.mark.real
@pytest.mark.parametrize("case", ["direct", "decoy", "venv-of-venv"])
@pytest.mark.parametrize("interp", [i for i in INTERPRETERS if _pyenv(i)], ids=interpreter_id)
def test_home_differs_exactly_when_stdlib_writes_another_home(
        tmp_path: Path, interp: Interpreter, case: str) -> None:
    python = _base(tmp_path, interp, case)
    _stdlib_venv(python, tmp_path / "stdlib")
    stdlib_home = _cfg_home(tmp_path / "stdlib")
    done = _run("build", "venv", "v", "--python", python, "--json", cwd=tmp_path)
    _ok(done)
    assert done.stderr == ""
    data = json.loads(done.stdout)
    ours = _cfg_home(tmp_path / "v")
    assert data["home"] == ours and data["stdlib_home"] == stdlib_home
    assert data["home_differs"] is (ours != stdlib_home)
    # The shapes that make them differ: 3.11+ search for the prefix from home, so a decoy
    # above the link fools stdlib's venv (gh-106045); 3.8-3.10 chain a venv of a venv.
    c_getpath = behaviour_for(interp.version or (0, 0, 0)).arrangement == "c-getpath"
    expected = {"direct": False, "decoy": not c_getpath, "venv-of-venv": c_getpath}[case]
    assert data["home_differs"] is expected, (ours, stdlib_home)
    # The text summary says so, on one line naming the rule that decided, exactly then.
    text = _run("build", "venv", "t", "--python", python, cwd=tmp_path)
    _ok(text)
    said = [line for line in text.stderr.splitlines() if "python -m venv would write" in line]
    if not expected:
        assert said == []
        return
    rule = {"decoy": "venv.home-rejected", "venv-of-venv": "venv.home-in-venv"}[case]
    assert len(said) == 1 and f"home = {stdlib_home};" in said[0] and rule in said[0], said
    assert rule in [step["rule"] for step in data["steps"]]


# -- --json --------------------------------------------------------------------------------------
def _on_disk(root: Path) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = {"kind": "link", "target": os.readlink(path)}
            else:
                out[rel] = {"kind": "dir" if stat.S_ISDIR(st.st_mode) else "file",
                            "mode": "%04o" % stat.S_IMODE(st.st_mode)}
    return out


@pytest.mark.real
@pytest.mark.parametrize("copies", [False, True], ids=["links", "copies"])
@pytest.mark.parametrize("interp", SOME, ids=interpreter_id)
def test_json_parses_and_its_plan_is_the_tree_on_disk(tmp_path: Path, interp: Interpreter,
                                                      copies: bool) -> None:
    flags = ["--copies"] if copies else []
    done = _run("build", "venv", "v", "--python", interp.path, "--prompt", "p", *flags,
                "--json", cwd=tmp_path)
    _ok(done)
    assert done.stderr == ""
    data = json.loads(done.stdout)
    assert data["schema"] == 1
    assert data["interpreter"] == {"path": _sys_executable(interp.path),
                                   "version": _version(interp), "requested": interp.path}
    assert data["target"] == str(tmp_path / "v")
    assert data["options"]["copies"] is copies and data["options"]["prompt"] == "p"
    assert all(isinstance(s["rule"], str) and isinstance(s["detail"], str)
               for s in data["steps"])
    disk = _on_disk(tmp_path / "v")
    planned = {entry["path"]: entry for entry in data["plan"]}
    assert len(planned) == len(data["plan"]) and set(planned) == set(disk)
    for path, entry in planned.items():
        if entry["kind"] == "copy":
            assert disk[path] == {"kind": "file", "mode": entry["mode"]}, path
            source = Path(entry["source"]).read_bytes()
            assert (tmp_path / "v" / path).read_bytes() == source
        else:
            assert disk[path] == {k: v for k, v in entry.items() if k != "path"}, path
    assert any(e["kind"] == "copy" for e in data["plan"]) is copies


# -- build env -----------------------------------------------------------------------------------
def test_plural_forms() -> None:
    assert [plural(n, "file", "files") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    one = EnvPlan((Mkdir("bin"), Link("bin/x", "/usr/bin/true"), Write("bin/y", b""),
                   CWrapper("bin/w", "/usr/bin/true")), Farm({}))
    assert counts_line("/e", one.ops) == "/e: 1 link, 1 directory, 2 files (1 compiled wrapper)"
    two = EnvPlan((Mkdir("a"), Mkdir("b"), Link("a/x", "/x"), Link("a/y", "/y"),
                   Write("f", b"")), Farm({}))
    assert counts_line("/e", two.ops) == "/e: 2 links, 2 directories, 1 file (0 compiled wrappers)"


def _counts(root: Path) -> dict[str, int]:
    """Links, directories and files below root, as a walk that follows no link sees them
    (the build record, .prefixlab-build, is the writer's, not the plan's)."""
    kinds = [entry["kind"] for path, entry in _on_disk(root).items()
             if path != ".prefixlab-build"]
    return {"links": kinds.count("link"), "directories": kinds.count("dir"),
            "files": kinds.count("file")}


@pytest.mark.real
def test_build_env_counts_and_json_match_the_tree(tmp_path: Path) -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found here")
    interp = INTERPRETERS[-1]
    minor = "%d.%d" % (interp.version or (0, 0))[:2]
    package = tmp_path / "pkg"
    (package / f"lib/python{minor}/site-packages").mkdir(parents=True)
    (package / f"lib/python{minor}/site-packages/small.py").write_text("")
    done = _run("build", "env", "e", "--python", interp.path, "--package", str(package),
                cwd=tmp_path)
    _ok(done)
    counts = _counts(tmp_path / "e")
    words = (plural(counts["links"], "link", "links"),
             plural(counts["directories"], "directory", "directories"),
             plural(counts["files"], "file", "files"))
    assert done.stdout == f"{tmp_path / 'e'}: {', '.join(words)} (0 compiled wrappers)\n"
    as_json = _run("build", "env", "j", "--python", interp.path, "--package", str(package),
                   "--json", cwd=tmp_path)
    _ok(as_json)
    assert as_json.stderr == ""
    data = json.loads(as_json.stdout)
    assert data["schema"] == 1 and data["target"] == str(tmp_path / "j")
    assert data["flavour"] == "reference" and data["warnings"] == []
    assert data["interpreter"]["version"] == _version(interp)
    assert os.path.realpath(data["interpreter"]["path"]) == interp.real_path
    assert data["counts"] == {**_counts(tmp_path / "j"), "compiled_wrappers": 0}
