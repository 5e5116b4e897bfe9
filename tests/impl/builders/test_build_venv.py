"""`prefixlab build venv`, checked against the real `python -m venv --without-pip` of every
interpreter here and by running what it built.

--stdlib-compatible must write what stdlib venv writes (same tree: names, kinds, modes, link
targets and file bytes with the venv's path substituted; same pyvenv.cfg but for command).
The default mode must give a venv that starts: sys.prefix is TARGET, sys.base_prefix the
interpreter's base, everything as the model predicts for the built venv, including where
stdlib venv goes wrong (a stdlib landmark above a symlinked executable; venv-of-venv chains
on 3.8-3.10).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import in_scope_interpreters, interpreter_id, require_oracle
from prefixlab.impl.builders import venv as bv
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.builders import venv as venvplan
from prefixlab.model.world.build import BuildConstants, behaviour_for
from prefixlab.model.world.fs import Layout
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.world import World
from prefixlab.model.startup.predict import predict
from prefixlab.model.builders.venv import Options

INTERPRETERS = in_scope_interpreters()
PROGRAM = str(Path(sys.executable).with_name("prefixlab"))
PROBE = ("import sys, json; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, "
         "sys.base_exec_prefix, sys.path]))")


@pytest.fixture(name="scratch")
def _scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # The cache goes to the scratch directory: tests learn afresh and leave no trace.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    yield tmp_path


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def tree(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry below root: kind, mode, and link target or bytes with root's path
    replaced by <V> (and pyvenv.cfg's command line left out)."""
    out: dict[str, tuple[object, ...]] = {}
    text = str(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st_ = os.lstat(path)
            if stat.S_ISLNK(st_.st_mode):
                out[rel] = ("link", os.readlink(path).replace(text, "<V>"))
            elif stat.S_ISDIR(st_.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st_.st_mode))
            else:
                data = Path(path).read_bytes().replace(text.encode(), b"<V>")
                if rel == "pyvenv.cfg":
                    data = b"".join(line for line in data.splitlines(keepends=True)
                                    if not line.startswith(b"command = "))
                out[rel] = ("file", stat.S_IMODE(st_.st_mode), data)
    return out


def stdlib_venv(python: str, target: Path, flags: Sequence[str] = (), cwd: Path | None = None
                ) -> None:
    subprocess.run([python, "-m", "venv", "--without-pip", *flags, str(target)], check=True,
                   env=_env(), cwd=cwd, capture_output=True, timeout=120)


def ours(python: str, target: Path, options: Options = Options(), cwd: Path | None = None
         ) -> venvplan.VenvPlan:
    return bv.build_venv(python, str(target), options, env=_env(),
                         cwd=str(cwd) if cwd else None)


def _flags(options: Options) -> list[str]:
    flags = []
    if options.system_site_packages:
        flags.append("--system-site-packages")
    if options.copies:
        flags.append("--copies")
    if options.prompt is not None:
        flags.append(f"--prompt={options.prompt}")
    return flags


def same_as_stdlib(scratch: Path, python: str, options: Options = Options()) -> None:
    """Both builders side by side (same venv name, so prompts agree) must write the same."""
    real, mine = scratch / "real" / "venv", scratch / "ours" / "venv"
    real.parent.mkdir(exist_ok=True)
    mine.parent.mkdir(exist_ok=True)
    stdlib_venv(python, real, _flags(options), cwd=scratch)
    compatible = Options(options.system_site_packages, options.copies, options.prompt, True)
    ours(python, mine, compatible, cwd=scratch)
    assert tree(mine) == tree(real)
    # --stdlib-compatible records stdlib's own command line (its sys.executable, -m venv,
    # its flags, the absolute TARGET), as `python -m venv` of the same interpreter wrote it.
    assert _commands(mine) == _commands(real)


def _commands(root: Path) -> list[str]:
    return [line.replace(str(root), "<V>")
            for line in (root / "pyvenv.cfg").read_text().splitlines()
            if line.startswith("command = ")]


def run_probe(python: Path | str) -> list[object]:
    import json

    done = subprocess.run([str(python), "-c", PROBE], env=_env(), capture_output=True,
                          text=True, timeout=60, cwd="/")
    assert done.returncode == 0, done.stderr[-500:]
    result: list[object] = json.loads(done.stdout)
    return result


def base_prefix_of(interp: Interpreter) -> str:
    prefix = run_probe(interp.path)[1]
    assert isinstance(prefix, str)
    return prefix


def agrees_with_model(python: Path) -> None:
    """The real start of the built venv's python is what the model predicts for it."""
    from prefixlab.impl.host.probe import probe
    from prefixlab.impl.host.world import world_for

    invocation = Invocation.make(str(python), ["-c", "pass"], env=_env(), cwd="/")
    predicted = predict(world_for(invocation, use_cache=True, host=False), invocation)
    probed = probe(invocation)
    assert predicted.comparable() == probed.comparable()


# -- stdlib-compatible: the same bytes as the real venv module ---------------------------------
@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_stdlib_compatible_matches_python_m_venv(scratch: Path, interp: Interpreter) -> None:
    same_as_stdlib(scratch, interp.path)


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_stdlib_compatible_through_a_symlink_to_the_binary(scratch: Path,
                                                           interp: Interpreter) -> None:
    links = scratch / "links"
    links.mkdir()
    (links / "py").symlink_to(interp.real_path)
    same_as_stdlib(scratch, str(links / "py"))


def _pyenv(interp: Interpreter) -> bool:
    return interp.source == "pyenv"


def _some_pyenv() -> list[Interpreter]:
    return [i for i in INTERPRETERS if _pyenv(i)]


@pytest.mark.real
@pytest.mark.parametrize("interp", [i for i in INTERPRETERS if _pyenv(i)], ids=interpreter_id)
def test_stdlib_compatible_through_a_symlinked_prefix(scratch: Path, interp: Interpreter
                                                      ) -> None:
    root = scratch / "root"
    root.symlink_to(Path(interp.real_path).parent.parent)
    same_as_stdlib(scratch, str(root / "bin" / "python3"))
    planned = ours(str(root / "bin" / "python3"), scratch / "v")  # the default mode agrees
    assert planned.home.directory == str(root / "bin")
    assert run_probe(scratch / "v" / "bin" / "python")[:2] == [str(scratch / "v"), str(root)]


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_stdlib_compatible_from_a_venv(scratch: Path, interp: Interpreter) -> None:
    outer = scratch / "outer"
    stdlib_venv(interp.path, outer)
    same_as_stdlib(scratch, str(outer / "bin" / "python"))


@pytest.mark.real
def test_stdlib_compatible_through_a_pyenv_shim_and_a_bare_name(
        scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pyenv = [i for i in INTERPRETERS if _pyenv(i)]
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    require_oracle(bool(pyenv) and (root / "shims" / "python3").exists(), "no pyenv shims")
    monkeypatch.setenv("PYENV_VERSION", Path(pyenv[-1].real_path).parent.parent.name)
    same_as_stdlib(scratch, str(root / "shims" / "python3"))
    monkeypatch.setenv("PATH", f"{root / 'shims'}:{os.environ.get('PATH', '')}")
    for side in ("real", "ours"):
        shutil.rmtree(scratch / side)
    same_as_stdlib(scratch, "python3")


def _wrapped_env(scratch: Path, interp: Interpreter, kind: str) -> Path:
    """ENV/bin/python3, an argv0-inheriting wrapper (shell or compiled) of the interpreter,
    with ENV/lib/pythonX.Y linked to its stdlib: the nixpkgs python-env shape."""
    from prefixlab.impl.builders import cwrapper
    from prefixlab.impl.builders import wrapgen

    assert interp.constants is not None
    env = scratch / f"env-{kind}"
    (env / "bin").mkdir(parents=True)
    stdlib = interp.constants.stdlib_subdir
    (env / stdlib).parent.mkdir(parents=True, exist_ok=True)
    (env / stdlib).symlink_to(f"{interp.constants.prefix}/{stdlib}")
    flags = ["--set", "PYTHONNOUSERSITE", "true", "--inherit-argv0"]
    wrapper = env / "bin" / "python3"
    if kind == "shell":
        wrapper.write_text(wrapgen.shell_wrapper(interp.real_path, flags,
                                                 shell=shutil.which("bash") or "/bin/bash"))
        wrapper.chmod(0o755)
    else:
        cwrapper.compile_wrapper(wrapgen.c_wrapper(interp.real_path, flags), str(wrapper))
    return wrapper


@pytest.mark.real
@pytest.mark.parametrize("kind", ["shell", "binary"])
@pytest.mark.parametrize("interp", [i for i in _some_pyenv() if i.version
                                    and i.version[:2] in ((3, 10), (3, 12))],
                         ids=interpreter_id)
def test_through_a_wrapper_based_environment(scratch: Path, interp: Interpreter,
                                             kind: str) -> None:
    """The venv goes through the wrapper (its home is ENV/bin), in both modes, and starts
    with ENV as its base prefix."""
    if kind == "binary":
        require_oracle(shutil.which("cc") is not None, "no C compiler for the binary wrapper")
    wrapper = _wrapped_env(scratch, interp, kind)
    same_as_stdlib(scratch, str(wrapper))
    planned = ours(str(wrapper), scratch / "v")
    assert planned.home.executable == str(wrapper)
    prefix, base_prefix, *_ = run_probe(scratch / "v" / "bin" / "python")
    assert (prefix, base_prefix) == (str(scratch / "v"), str(wrapper.parent.parent))


OPTION_CASES = [Options(copies=True), Options(system_site_packages=True),
                Options(prompt="my prompt's"), Options(prompt=".")]


def _some(interps: Sequence[Interpreter]) -> list[Interpreter]:
    """3.8 (oldest layout), 3.10 (last C getpath), 3.12, 3.13 (newest) and Debian's."""
    wanted = {(3, 8), (3, 10), (3, 12), (3, 13)}
    return [i for i in interps if i.version and (i.version[:2] in wanted or not _pyenv(i))]


@pytest.mark.real
@pytest.mark.parametrize("options", OPTION_CASES, ids=["copies", "system-site", "prompt",
                                                       "prompt-dot"])
@pytest.mark.parametrize("interp", _some(INTERPRETERS), ids=interpreter_id)
def test_stdlib_compatible_options(scratch: Path, interp: Interpreter, options: Options
                                   ) -> None:
    same_as_stdlib(scratch, interp.path, options)


@pytest.mark.real
@pytest.mark.sweep
@pytest.mark.parametrize("options", [*OPTION_CASES, Options(copies=True, system_site_packages=True,
                                                              prompt="p")],
                         ids=["copies", "system-site", "prompt", "prompt-dot", "all"])
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_stdlib_compatible_options_every_interpreter(scratch: Path, interp: Interpreter,
                                                     options: Options) -> None:
    same_as_stdlib(scratch, interp.path, options)
    links = scratch / "links"
    links.mkdir()
    (links / "py").symlink_to(interp.real_path)
    for side in ("real", "ours"):
        shutil.rmtree(scratch / side)
    same_as_stdlib(scratch, str(links / "py"), options)


@pytest.mark.real
def test_debian_python3_by_its_usual_name(scratch: Path) -> None:
    """/usr/bin/python3 -> python3.11: home /usr/bin, bin/python3 the absolute link."""
    require_oracle(os.path.exists("/usr/bin/python3.11"), "no Debian /usr/bin/python3.11")
    assert any(i.real_path.startswith("/usr/") for i in INTERPRETERS)
    same_as_stdlib(scratch, "/usr/bin/python3")
    planned = ours("/usr/bin/python3", scratch / "v")
    assert planned.home.executable == "/usr/bin/python3"
    assert run_probe(scratch / "v" / "bin" / "python")[:2] == [str(scratch / "v"), "/usr"]


# -- the default mode: a venv that starts, as the model predicts -------------------------------
@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_default_venv_starts_as_predicted(scratch: Path, interp: Interpreter) -> None:
    target = scratch / "v"
    ours(interp.path, target)
    prefix, base_prefix, *_ = run_probe(target / "bin" / "python")
    assert prefix == str(target)
    assert base_prefix == base_prefix_of(interp)
    agrees_with_model(target / "bin" / "python")


@pytest.mark.real
def test_target_through_a_symlinked_directory(scratch: Path) -> None:
    """TARGET is made absolute, not resolved (as stdlib venv does): the venv's prefix is the
    path through the link."""
    interp = INTERPRETERS[-1]
    (scratch / "physical").mkdir()
    (scratch / "link").symlink_to(scratch / "physical")
    target = scratch / "link" / "v"
    ours(interp.path, target)
    assert f"VIRTUAL_ENV={target}" in (target / "bin" / "activate").read_text().replace(
        '"', "").replace("'", "").replace("export ", "")
    prefix, base_prefix, *_ = run_probe(target / "bin" / "python")
    assert (prefix, base_prefix) == (str(target), base_prefix_of(interp))


@pytest.mark.real
@pytest.mark.parametrize("interp", _some(INTERPRETERS), ids=interpreter_id)
def test_default_copies_and_system_site(scratch: Path, interp: Interpreter) -> None:
    target = scratch / "v"
    ours(interp.path, target, Options(copies=True, system_site_packages=True))
    assert not (target / "bin" / "python").is_symlink()
    prefix, base_prefix, *_ = run_probe(target / "bin" / "python")
    assert (prefix, base_prefix) == (str(target), base_prefix_of(interp))
    agrees_with_model(target / "bin" / "python")


def _decoy(scratch: Path, interp: Interpreter) -> Path:
    """fake/bin/pythonX.Y -> the real binary, under a decoy fake/lib/pythonX.Y/os.py (the
    uv#10674 shape): the interpreter itself starts fine from there."""
    assert interp.version is not None
    minor = "%d.%d" % interp.version[:2]
    fake = scratch / "fake"
    (fake / "bin").mkdir(parents=True)
    (fake / "lib" / f"python{minor}").mkdir(parents=True)
    (fake / "lib" / f"python{minor}" / "os.py").write_text("raise SystemExit('decoy')\n")
    link = fake / "bin" / f"python{minor}"
    link.symlink_to(interp.real_path)
    return link


@pytest.mark.real
@pytest.mark.parametrize("interp", [i for i in INTERPRETERS if _pyenv(i)], ids=interpreter_id)
def test_decoy_landmark_stdlib_breaks_ours_starts(scratch: Path, interp: Interpreter) -> None:
    link = _decoy(scratch, interp)
    base = base_prefix_of(interp)
    assert run_probe(link)[1] == base  # the interpreter itself is fine through the link
    stdlib_venv(str(link), scratch / "stdlib")
    done = subprocess.run([str(scratch / "stdlib" / "bin" / "python"), "-c", PROBE],
                          env=_env(), capture_output=True, text=True, timeout=60)
    broken = done.returncode != 0 or '"' + str(scratch / "fake") in done.stdout
    # 3.8-3.10's C getpath follows the venv's bin/python links before searching for the
    # prefix, so the decoy does not fool it; 3.11+ search from home (gh-106045).
    c_getpath = behaviour_for(interp.version or (0, 0, 0)).arrangement == "c-getpath"
    assert broken != c_getpath, done.stdout + done.stderr
    planned = ours(str(link), scratch / "v")
    assert planned.home.verified
    prefix, base_prefix, *_ = run_probe(scratch / "v" / "bin" / "python")
    assert (prefix, base_prefix) == (str(scratch / "v"), base)
    rules = [step.rule.id for step in planned.steps]
    # Where stdlib's home works (3.8-3.10) it is kept; where it does not, it is rejected.
    assert (planned.home.directory == str(scratch / "fake" / "bin")) == c_getpath
    assert ("venv.home-rejected" in rules) != c_getpath and "venv.home-verified" in rules


@pytest.mark.real
@pytest.mark.parametrize("outer_flags", [(), ("--copies",)], ids=["links", "copies"])
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_venv_of_venv_points_at_the_base(scratch: Path, interp: Interpreter,
                                         outer_flags: tuple[str, ...]) -> None:
    outer = scratch / "outer"
    stdlib_venv(interp.path, outer, outer_flags)
    planned = ours(str(outer / "bin" / "python"), scratch / "inner")
    home = planned.home.directory
    assert not home.startswith(str(outer)), home
    cfg = (scratch / "inner" / "pyvenv.cfg").read_text()
    assert f"home = {home}\n" in cfg
    base = base_prefix_of(interp)
    shutil.rmtree(outer)  # the inner venv does not depend on the outer one
    prefix, base_prefix, *_ = run_probe(scratch / "inner" / "bin" / "python")
    assert (prefix, base_prefix) == (str(scratch / "inner"), base)


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_venv_of_venv_through_a_link_does_not_keep_the_link(scratch: Path,
                                                             interp: Interpreter) -> None:
    """A link elsewhere to an outer venv's python (a bare name on PATH, an alias): the link
    leads through the outer venv, so the inner venv must not point at it either."""
    outer = scratch / "outer"
    stdlib_venv(interp.path, outer)
    links = scratch / "links" / "bin"
    links.mkdir(parents=True)
    (links / "python3").symlink_to(outer / "bin" / "python")
    planned = ours(str(links / "python3"), scratch / "inner")
    assert not planned.home.directory.startswith((str(outer), str(links))), planned.home
    base = base_prefix_of(interp)
    shutil.rmtree(outer)
    prefix, base_prefix, *_ = run_probe(scratch / "inner" / "bin" / "python")
    assert (prefix, base_prefix) == (str(scratch / "inner"), base)


@pytest.mark.real
@pytest.mark.parametrize("interp", [i for i in INTERPRETERS if i.version
                                    and i.version[:2] <= (3, 10)], ids=interpreter_id)
def test_stdlib_venv_of_venv_chains_on_c_getpath(scratch: Path, interp: Interpreter) -> None:
    """The documented difference: stdlib (and --stdlib-compatible) chain to the outer venv."""
    outer = scratch / "outer"
    stdlib_venv(interp.path, outer)
    planned = ours(str(outer / "bin" / "python"), scratch / "inner",
                   Options(stdlib_compatible=True))
    assert planned.home.directory == str(outer / "bin")


# -- the cache ---------------------------------------------------------------------------------
@pytest.mark.real
def test_warm_build_uses_the_cache_and_notices_changes(scratch: Path) -> None:
    interp = INTERPRETERS[-1]
    links = scratch / "links"
    links.mkdir()
    (links / "py").symlink_to(interp.real_path)
    env, cwd = _env(), str(scratch)
    first = bv.learn(str(links / "py"), str(scratch / "v"), Options(), cwd=cwd, env=env)
    again = bv.learn(str(links / "py"), str(scratch / "v"), Options(), cwd=cwd, env=env)
    assert (first.cached, again.cached) == (False, True)
    assert again.source == first.source and again.home == first.home
    elsewhere = bv.learn(str(links / "py"), str(scratch / "w"), Options(), cwd=cwd, env=env)
    assert elsewhere.cached  # another TARGET: the same interpreter facts and home
    assert not bv.learn(str(links / "py"), str(scratch / "v"), Options(copies=True), cwd=cwd,
                        env=env).cached  # other options: learned for them
    other = INTERPRETERS[0]
    (links / "py").unlink()
    (links / "py").symlink_to(other.real_path)  # retargeted: learned again
    third = bv.learn(str(links / "py"), str(scratch / "v"), Options(), cwd=cwd, env=env)
    assert not third.cached and third.source.version == other.version


@pytest.mark.real
def test_planning_and_writing_in_process_is_fast(scratch: Path) -> None:
    """Planning and applying a symlink-mode venv from learned facts (the cache)
    takes under 2 ms.  Planning is pure CPU and held to that here (best of 15); writing is a
    dozen metadata operations whose time depends on the disk and its other users, so only a
    loose bound is checked (bench/ reports the numbers)."""
    interp = INTERPRETERS[-1]
    cwd = str(scratch)
    learned = bv.learn(interp.path, str(scratch / "v"), Options(), cwd=cwd, env=_env())
    plans, writes = [], []
    for i in range(15):
        target = str(scratch / f"v{i}")
        start = time.perf_counter()
        planned = bv.plan_for(learned, target, Options(), cwd, "prefixlab build venv")
        middle = time.perf_counter()
        bv.write(planned.operations, target, force=False)
        plans.append(middle - start)
        writes.append(time.perf_counter() - middle)
    assert min(plans) < 0.002
    assert min(writes) < 0.1


# -- the command line and bad input -------------------------------------------------------------
def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROGRAM, "build", "venv", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env={**_env(), "XDG_CACHE_HOME":
                                                     str(cwd / "cache")})


def _only_cache(scratch: Path) -> list[str]:
    return sorted(p.name for p in scratch.iterdir() if p.name != "cache")


@pytest.mark.real
def test_cli_builds_and_refuses_an_existing_target(scratch: Path) -> None:
    interp = INTERPRETERS[-1]
    done = _cli("v", "--python", interp.path, cwd=scratch)
    assert done.returncode == 0, done.stderr
    before = tree(scratch / "v")
    again = _cli("v", "--python", interp.path, "--prompt", "x", cwd=scratch)
    assert again.returncode == 2 and again.stderr.count("\n") == 1
    assert "already exists" in again.stderr and tree(scratch / "v") == before
    forced = _cli("--force", "v", "--prompt=x", "--python", interp.path, cwd=scratch)
    assert forced.returncode == 0, forced.stderr
    assert "prompt = 'x'" in (scratch / "v" / "pyvenv.cfg").read_text()
    # '--' is left to click (the fast parser takes only the plain spellings): same result.
    clicked = _cli("--python", interp.path, "--", "w", cwd=scratch)
    assert clicked.returncode == 0, clicked.stderr
    assert tree(scratch / "w")["bin/python"] == tree(scratch / "v")["bin/python"]
    refused = _cli("--python", "/bin/ls", "--", "x", cwd=scratch)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert _only_cache(scratch) == ["v", "w"]


@pytest.mark.parametrize("python, why", [
    ("/bin/ls", "not a CPython interpreter"),
    ("/nonexistent/python3", "cannot be executed"),
    ("", "empty"),
])
def test_cli_bad_interpreter_writes_nothing(scratch: Path, python: str, why: str) -> None:
    done = _cli("v", "--python", python, cwd=scratch)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and why in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert _only_cache(scratch) == []


def test_cli_usage_errors_go_through_click(scratch: Path) -> None:
    missing = _cli("v", cwd=scratch)
    assert missing.returncode == 2 and "--python" in missing.stderr
    assert missing.stderr.count("\n") == 1
    helped = _cli("--help", cwd=scratch)
    assert helped.returncode == 0 and "--stdlib-compatible" in helped.stdout
    assert _only_cache(scratch) == []


def test_the_lazy_commands_are_the_ones_named() -> None:
    import click

    from prefixlab.impl.cli import main as cli

    for name in cli.LAZY_COMMANDS:
        command = cli.main.get_command(click.Context(cli.main), name)
        assert command is not None and command.name == name


def test_cache_dir_is_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import platformdirs

    for value in (None, str(tmp_path), "relative"):
        if value is None:
            monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_CACHE_HOME", value)
        assert bv.cache_dir() == platformdirs.user_cache_dir("prefixlab")


# -- the planner on the model alone: generated placements ---------------------------------------
BASE = "/opt/py"
BUILD = BuildConstants(version=(3, 12, 1), prefix=BASE, exec_prefix=BASE, shared=False)


def _installation() -> Layout:
    lib = f"{BASE}/lib/python3.12"
    return (Layout().with_file(f"{BASE}/bin/python3.12", b"\x7fELF", 0o755)
            .with_link(f"{BASE}/bin/python3", "python3.12")
            .with_file(f"{lib}/os.py").with_file(f"{lib}/encodings/__init__.py")
            .with_dir(f"{lib}/lib-dynload").with_dir(f"{lib}/site-packages")
            .with_dir("/work"))


placements = st.lists(st.tuples(st.sampled_from(["/a", "/a/b", "/c/d/e", "/usr/local"]),
                                st.booleans(), st.booleans()), min_size=1, max_size=3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(placements, st.booleans(), st.sampled_from([(3, 9, 18), (3, 12, 1)]))
def test_model_built_venv_starts_from_any_placement(
        chain: list[tuple[str, bool, bool]], copies: bool, version: tuple[int, int, int]
        ) -> None:
    """A chain of symlinks (absolute or relative) to the base binary, each in a directory
    that may hold a decoy stdlib landmark: the planned venv, laid over the layout, starts with
    prefix TARGET and the base installation's base prefix (predicted by the model)."""
    minor = "%d.%d" % version[:2]
    build = BuildConstants(version=version, prefix=BASE, exec_prefix=BASE)
    lib = f"{BASE}/lib/python{minor}"
    layout = (Layout().with_file(f"{BASE}/bin/python{minor}", b"\x7fELF", 0o755)
              .with_file(f"{lib}/os.py").with_file(f"{lib}/encodings/__init__.py")
              .with_dir(f"{lib}/lib-dynload").with_dir("/work"))
    target_of = f"{BASE}/bin/python{minor}"
    used: set[str] = set()
    for directory, relative, decoy in chain:
        if directory in used:
            continue
        used.add(directory)
        link = f"{directory}/bin/py{len(used)}"
        pointed = os.path.relpath(target_of, f"{directory}/bin") if relative else target_of
        layout = layout.with_link(link, pointed)
        if decoy:
            layout = layout.with_file(f"{directory}/lib/python{minor}/os.py")
        target_of = link
    world = World(layout, {f"{BASE}/bin/python{minor}": build})
    invocation = Invocation.make(target_of, cwd="/work")
    outcome = predict(world, invocation)
    if outcome.status != "ok":
        return  # the interpreter itself does not start from there: nothing to build from
    source = venvplan.Source(version=version, executable=outcome.executable or "",
                             executable_real=f"{BASE}/bin/python{minor}",
                             base_executable=outcome.base_executable or "",
                             prefix=outcome.prefix or "", base_prefix=outcome.base_prefix or "",
                             base_exec_prefix=outcome.base_exec_prefix or "")
    options = Options(copies=copies)
    home = venvplan.choose_home(world, source, options, "/work/venv")
    assert home.verified
    built, _ = venvplan.built_world(world, source, options, "/work/venv", home)
    started = predict(built, Invocation.make("/work/venv/bin/python", cwd="/"))
    assert started.status == "ok"
    assert (started.prefix, started.base_prefix) == ("/work/venv", outcome.base_prefix)
