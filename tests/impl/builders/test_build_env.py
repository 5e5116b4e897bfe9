"""`prefixlab build env` (reference flavour) on every interpreter here, and its safety rules.

The real tests build an environment from generated packages (a module, a package, a shared
namespace directory with identical __init__.py files, a pip/installer console script, a
nixpkgs-wrapped pair made by makeWrapper + wrapPythonPrograms, a makeBinaryWrapper around a
script, installer's #!/bin/sh trampoline and a symlinked script), then run the environment's
interpreter and scripts.  Expected values are the spec's properties
(model/builders/envspec.py): sys.prefix == sys.base_prefix == the environment, packages
importable, scripts byte-identical below their #! line and their wrappers' variables set, and
a venv made from the environment seeing the environment's packages with
--system-site-packages and not without.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from click.testing import CliRunner
from conftest import in_scope_interpreters, interpreter_id, require_oracle

from prefixlab.impl.cli import main as cli
from prefixlab.impl.builders import cwrapper
from prefixlab.impl.builders import wrapgen
from prefixlab.impl.builders.env import build_env, learn_interpreter, plan_env
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.scripts import nixwrap
from prefixlab.model.builders.retarget import Retargeted, retarget
from prefixlab.model.world.fs import Layout
from prefixlab.model.builders.plan import Write
from prefixlab.model.strategies.scripts import (Script, WrappedScript, nix_wrapped_scripts,
                                              python_scripts)

REPORT = ("import json, os, sys\n"
          "print(json.dumps({'prefix': sys.prefix, 'base': sys.base_prefix, "
          "'exe': sys.executable, 'foo': os.environ.get('FOO_VAR'), "
          "'gamma': os.environ.get('GAMMA_VAR'), 'path': os.environ.get('PATH', ''), "
          "'argv0': sys.argv[0], 'args': sys.argv[1:], 'where': __file__}))\n")
CONSOLE_SCRIPT = ("# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom alpha.cli import main\n"
                  "if __name__ == '__main__':\n"
                  "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                  "    sys.exit(main())\n")
# pretalx's manage.py shape: line 3 is code (#297628's `sed 3d` deleted `import os`)
MANAGE = "import os\nimport sys\nimport beta\nos.getcwd()\n" + REPORT


def version_of(interp: Interpreter) -> str:
    assert interp.version is not None
    return "%d.%d" % interp.version[:2]


def write(path: Path, text: str | bytes, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    path.chmod(mode)
    return path


def make_packages(root: Path, version: str, base: str, *, binary: bool) -> list[Path]:
    site = f"lib/python{version}/site-packages"
    alpha, beta, gamma = root / "alpha-1.0", root / "beta-2.0", root / "gamma-3.0"
    write(alpha / site / "alpha/__init__.py", "X = 1\n")
    write(alpha / site / "alpha/cli.py", "def main():\n    import beta, ns.a\n    " +
          REPORT.replace("\n", "\n    ").rstrip() + "\n    return 0\n")
    write(alpha / site / "ns/__init__.py", "")
    write(alpha / site / "ns/a.py", "A = 1\n")
    write(alpha / "bin/alpha", f"#!{base}\n" + CONSOLE_SCRIPT, 0o755)
    write(beta / site / "beta.py", "Y = 2\n")
    write(beta / site / "ns/__init__.py", "")  # identical: not a collision
    write(beta / site / "ns/b.py", "B = 2\n")
    hidden = beta / "bin/.beta-manage-wrapped"
    wrapped = nixwrap.wrap_python_programs(
        ("#!/usr/bin/env python\n" + MANAGE).encode(),
        nixwrap.NixWrap(executable=base, argv0=str(beta / "bin/beta-manage"),
                        sitedirs=(str(beta / site),)))
    assert wrapped is not None
    write(hidden, wrapped.text, 0o755)
    write(beta / "bin/beta-manage", wrapgen.shell_wrapper(
        str(hidden), ["--inherit-argv0", "--set", "FOO_VAR", "a b", "--prefix", "PATH", ":",
                      "/opt/beta/bin"], shell="/bin/bash"), 0o755)
    write(gamma / site / "gamma.py", "Z = 3\n")
    write(gamma / "bin/longtool", f"#!/bin/sh\n'''exec' '{base}' \"$0\" \"$@\"\n' '''\n"
          "import gamma\n" + REPORT, 0o755)
    write(gamma / "libexec/linked.py", f"#!{base}\nimport os\nimport gamma\n"
          "assert os.path.exists(os.path.join(os.path.dirname(os.path.realpath(__file__)), "
          "'data.txt'))\n" + REPORT, 0o755)
    write(gamma / "libexec/data.txt", "beside the real file\n")
    (gamma / "bin/linked").symlink_to("../libexec/linked.py")
    # makeWrapper around the interpreter itself: `makeWrapper python3 bin/delta --add-flags`
    main = write(gamma / "share/delta/main.py", "import gamma\n" + REPORT)
    write(gamma / "bin/delta", wrapgen.shell_wrapper(base, [
        "--set", "FOO_VAR", "d", "--add-flags", str(main)], shell="/bin/bash"), 0o755)
    if binary:
        script = write(gamma / "bin/.gamma-wrapped", f"#!{base}\nimport gamma\n" + REPORT, 0o755)
        cwrapper.compile_wrapper(wrapgen.c_wrapper(str(script), [
            "--inherit-argv0", "--set", "GAMMA_VAR", "g"]), str(gamma / "bin/gamma"))
    return [alpha, beta, gamma]


def run(program: str | Path, *args: str, env: dict[str, str] | None = None,
        cwd: Path | None = None) -> dict[str, object]:
    done = subprocess.run([str(program), *args], capture_output=True, text=True, timeout=60,
                          env=env or {"PATH": "/usr/bin:/bin"}, cwd=cwd)
    assert done.returncode == 0, f"{program}: {done.stderr}"
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


PROBE = ("import json, sys\n"
         "found = {}\n"
         "for name in sys.argv[1:]:\n"
         "    try:\n"
         "        __import__(name); found[name] = True\n"
         "    except ImportError:\n"
         "        found[name] = False\n"
         "print(json.dumps({'prefix': sys.prefix, 'base': sys.base_prefix, "
         "'exe': sys.executable, 'found': found}))\n")


@pytest.mark.real
@pytest.mark.parametrize("interp", in_scope_interpreters(), ids=interpreter_id)
def test_reference_env_on_a_real_interpreter(interp: Interpreter, tmp_path: Path) -> None:
    version = version_of(interp)
    has_cc = cwrapper.compiler() is not None
    require_oracle(has_cc, "no C compiler for the makeBinaryWrapper package")
    packages = make_packages(tmp_path / "store", version, interp.real_path, binary=has_cc)
    env = tmp_path / "env"
    build_env(str(env), interp.path, [str(p) for p in packages])
    python = env / "bin" / f"python{version}"
    mods = ("alpha", "beta", "gamma", "ns.a", "ns.b")

    # the interpreter entries: prefix == base_prefix == env, every package importable
    for entry in (python, env / "bin/python3", env / "bin/python"):
        got = run(entry, "-c", PROBE, *mods)
        assert got["prefix"] == got["base"] == str(env), entry
        assert got["found"] == {m: True for m in mods}
    via_path = run("python3", "-c", PROBE, "alpha",
                   env={"PATH": f"{env}/bin:/usr/bin:/bin"})
    assert via_path["prefix"] == via_path["base"] == str(env)
    # reached through a link to its directory: the link is the prefix (README, build env)
    link = tmp_path / "current"
    link.symlink_to(env)
    through = run(link / "bin/python3", "-c", PROBE, "alpha")
    assert through["prefix"] == through["base"] == str(link)
    assert through["found"] == {"alpha": True}

    # scripts run with the environment's interpreter, intact, with their wrappers' variables
    alpha = run(env / "bin/alpha")
    assert alpha["prefix"] == alpha["base"] == str(env)
    original = (packages[0] / "bin/alpha").read_bytes()
    copied = (env / "bin/alpha").read_bytes()
    assert copied.split(b"\n", 1) == [f"#!{python}".encode(), original.split(b"\n", 1)[1]]
    manage = run(env / "bin/beta-manage", "x y")
    assert manage["prefix"] == manage["base"] == str(env)
    assert manage["foo"] == "a b" and str(manage["path"]).startswith("/opt/beta/bin:")
    assert manage["args"] == ["x y"]
    longtool = run(env / "bin/longtool")
    assert longtool["prefix"] == str(env)
    assert (env / "bin/longtool").read_bytes().split(b"\n")[2:] == (
        packages[2] / "bin/longtool").read_bytes().split(b"\n")[2:]
    linked = run(env / "bin/linked")
    assert linked["prefix"] == linked["base"] == str(env)
    delta = run(env / "bin/delta", "z")
    assert delta["prefix"] == delta["base"] == str(env)
    assert delta["foo"] == "d" and delta["args"] == ["z"]
    if has_cc:
        gamma = run(env / "bin/gamma", "--flag")
        assert gamma["prefix"] == gamma["base"] == str(env)
        assert gamma["gamma"] == "g" and gamma["args"] == ["--flag"]

    # venvs made from the environment
    clean = {"PATH": "/usr/bin:/bin"}
    subprocess.run([str(env / "bin/python"), "-m", "venv", "--without-pip",
                    "--system-site-packages", str(tmp_path / "v")], check=True, env=clean)
    subprocess.run([str(env / "bin/python"), "-m", "venv", "--without-pip",
                    str(tmp_path / "w")], check=True, env=clean)
    for venv in ("v", "w"):
        site = tmp_path / venv / "lib" / f"python{version}" / "site-packages"
        write(site / f"{venv}mod.py", "")
    v = run(tmp_path / "v/bin/python", "-c", PROBE, "alpha", "ns.b", "vmod")
    assert v["prefix"] == str(tmp_path / "v") and v["base"] == str(env)
    assert v["found"] == {"alpha": True, "ns.b": True, "vmod": True}
    w = run(tmp_path / "w/bin/python", "-c", PROBE, "alpha", "wmod")
    assert w["prefix"] == str(tmp_path / "w") and w["base"] == str(env)
    assert w["found"] == {"alpha": False, "wmod": True}


@pytest.mark.real
def test_the_model_predicts_the_built_environment(interpreters: list[Interpreter],
                                                  tmp_path: Path) -> None:
    """The model's outcome for the environment's interpreter is the environment (it is not
    a venv to the model either)."""
    from prefixlab.impl.host.interpreters import host_world
    from prefixlab.model.world.invocation import Invocation
    from prefixlab.model.startup.predict import predict
    interp = interpreters[0]
    version = version_of(interp)
    packages = make_packages(tmp_path / "store", version, interp.real_path, binary=False)
    env = tmp_path / "env"
    build_env(str(env), interp.path, [str(p) for p in packages])
    python = str(env / "bin" / f"python{version}")
    world = host_world(extra=[python])
    outcome = predict(world, Invocation.make(python, ["-c", ""]))
    assert outcome.prefix == outcome.base_prefix == str(env)
    real = run(python, "-c", PROBE)
    assert real["prefix"] == outcome.prefix


# -- the command and its safety rules ---------------------------------------------------------
def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.main, ["build", "env", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(name="python")
def _python(interpreters: list[Interpreter]) -> str:
    return interpreters[0].path


def small_package(root: Path, version: str) -> Path:
    write(root / f"lib/python{version}/site-packages/small.py", "")
    return root


def one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_bad_inputs_are_one_line_errors_and_write_nothing(python: str, tmp_path: Path) -> None:
    version = "%d.%d" % learn_interpreter(python).build.version[:2]
    good = small_package(tmp_path / "good", version)
    target = tmp_path / "env"

    escaping = small_package(tmp_path / "escaping", version)
    (escaping / f"lib/python{version}/site-packages/passwd").symlink_to("/etc/passwd")
    code, _, err = invoke(str(target), "--python", python, "--package", str(escaping))
    one_line_error(code, err, str(escaping / f"lib/python{version}/site-packages/passwd"),
                   "leaves the package")

    unreadable = small_package(tmp_path / "unreadable", version)
    secret = write(unreadable / "share/secret", "", 0)
    code, _, err = invoke(str(target), "--python", python, "--package", str(unreadable))
    one_line_error(code, err, str(secret), "cannot be read")

    not_python = write(tmp_path / "notes.txt", "hello\n", 0o755)
    code, _, err = invoke(str(target), "--python", str(not_python), "--package", str(good))
    one_line_error(code, err, str(not_python))
    code, _, err = invoke(str(target), "--python", str(tmp_path), "--package", str(good))
    one_line_error(code, err, str(tmp_path))

    code, _, err = invoke(str(target), "--python", python, "--package", str(not_python))
    one_line_error(code, err, str(not_python), "not a directory")
    code, _, err = invoke(str(target), "--python", python, "--package", str(tmp_path / "nope"))
    one_line_error(code, err, str(tmp_path / "nope"))

    other = write(tmp_path / "other" / f"lib/python{version}/site-packages/small.py", "# x\n")
    code, _, err = invoke(str(target), "--python", python, "--package", str(good),
                          "--package", str(tmp_path / "other"))
    one_line_error(code, err, "collision", str(good), str(other.parent.parent.parent.parent))

    code, _, err = invoke(str(good / "env"), "--python", python, "--package", str(good))
    one_line_error(code, err, "TARGET is inside", str(good))
    assert not (good / "env").exists()

    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


def test_an_environment_is_not_rebuilt_from_itself(python: str, tmp_path: Path) -> None:
    """--force with the environment's own interpreter (or a package inside it) would leave
    the new environment linking into the deleted old one."""
    version = "%d.%d" % learn_interpreter(python).build.version[:2]
    target = tmp_path / "env"
    build_env(str(target), python, [str(small_package(tmp_path / "p", version))])
    before = sorted(p.name for p in target.iterdir())
    code, _, err = invoke(str(target), "--python", str(target / "bin/python3"), "--force")
    one_line_error(code, err, "inside TARGET")
    assert sorted(p.name for p in target.iterdir()) == before


def test_collisions_priorities_and_force(python: str, tmp_path: Path) -> None:
    version = "%d.%d" % learn_interpreter(python).build.version[:2]
    a = write(tmp_path / "a" / f"lib/python{version}/site-packages/m.py", "A = 1\n")
    b = write(tmp_path / "b" / f"lib/python{version}/site-packages/m.py", "B = 1\n")
    target = tmp_path / "env"
    site = target / f"lib/python{version}/site-packages/m.py"
    code, out, _ = invoke(str(target), "--python", python, "--package", str(tmp_path / "a"),
                          "--package", f"{tmp_path / 'b'}=1")
    assert code == 0 and str(target) in out
    assert os.readlink(site) == str(b)
    # an existing TARGET is never touched without --force
    code, _, err = invoke(str(target), "--python", python, "--package", str(tmp_path / "a"))
    one_line_error(code, err, "already exists")
    assert os.readlink(site) == str(b)
    code, _, err = invoke(str(target), "--python", python, "--package", str(tmp_path / "a"),
                          "--package", str(tmp_path / "b"), "--ignore-collisions", "--force")
    assert code == 0 and "collision" in err
    assert os.readlink(site) == str(a)


def test_plan_links_whole_directories_and_only_the_interpreters_own_files(
        python: str, tmp_path: Path) -> None:
    base = learn_interpreter(python)
    version = "%d.%d" % base.build.version[:2]
    pkg = small_package(tmp_path / "p", version)
    write(pkg / f"lib/python{version}/site-packages/whole/__init__.py", "")
    planned = plan_env(str(tmp_path / "env"), base, [str(pkg)])
    links = {op.path: op.target for op in planned.ops if hasattr(op, "target")}
    site = planned.farm.entries
    assert links[f"lib/python{version}/site-packages/whole"] == str(
        pkg / f"lib/python{version}/site-packages/whole")
    stdlib = f"{base.prefix}/lib/python{version}"
    for path, target in links.items():
        if target.startswith(base.prefix + "/"):
            assert (target.startswith(stdlib + "/") or target.startswith(
                f"{base.prefix}/include/") or "/libpython" in target), (path, target)
            assert "/site-packages" not in target and "/dist-packages" not in target
    assert "bin" not in links and "lib" not in links and "" not in site



@pytest.mark.real
def test_python_given_as_a_venv_interpreter_or_a_pyenv_shim(interpreters: list[Interpreter],
                                                            tmp_path: Path) -> None:
    """The environment is built on the installation the given command starts: a venv's
    interpreter means its base installation, a pyenv shim the version PYENV_VERSION picks."""
    interp = interpreters[-1]
    version = version_of(interp)
    pkg = small_package(tmp_path / "p", version)
    subprocess.run([interp.path, "-m", "venv", "--without-pip", str(tmp_path / "v")],
                   check=True, env={"PATH": "/usr/bin:/bin"})
    env = tmp_path / "env"
    build_env(str(env), str(tmp_path / "v/bin/python"), [str(pkg)])
    got = run(env / "bin/python3", "-c", PROBE, "small")
    assert got["prefix"] == got["base"] == str(env) and got["found"] == {"small": True}
    assert os.path.realpath(env / f"lib/python{version}/os.py").startswith(
        os.path.realpath(learn_interpreter(interp.path).prefix) + "/")
    shims = [i for i in interpreters if i.source == "pyenv"]
    shim = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "shims/python3"
    require_oracle(bool(shims) and shim.exists(), "no pyenv shims here")
    chosen = shims[0]
    old = os.environ.get("PYENV_VERSION")
    os.environ["PYENV_VERSION"] = "%d.%d.%d" % chosen.version  # type: ignore[str-format]
    try:
        planned = plan_env(str(tmp_path / "env2"), str(shim), [])
    finally:
        if old is None:
            del os.environ["PYENV_VERSION"]
        else:
            os.environ["PYENV_VERSION"] = old
    assert os.path.realpath(chosen.real_path) == [
        op.source for op in planned.ops if op.path == f"bin/python{version_of(chosen)}"][0]


def test_packages_for_another_version_are_reported(python: str, tmp_path: Path) -> None:
    base = learn_interpreter(python)
    other = small_package(tmp_path / "p", "2.9")
    planned = plan_env(str(tmp_path / "env"), base, [str(other)])
    assert any("lib/python2.9" in w and str(other) in w for w in planned.warnings)


# -- package scripts, shape by shape (pure, over the filesystem value) -------------------------
def retarget_in(layout: Layout, source: str, python: str = "/env/bin/python3.12"
                ) -> Retargeted:
    return retarget(layout, "bin/x", source, python)


def test_scripts_keep_every_byte_but_the_interpreter() -> None:
    body = b"# -*- coding: utf-8 -*-\r\n'''doc'''\nimport os\n"
    for line1, expected in ((b"#!/usr/bin/env python3\n", b"#!/env/bin/python3.12\n"),
                            (b"#!/nix/store/x-python3/bin/python3.12 -u\n",
                             b"#!/env/bin/python3.12 -u\n"),
                            (b"#! /usr/bin/python3\n", b"#! /env/bin/python3.12\n")):
        layout = Layout().with_file("/p/bin/x", line1 + body, 0o755)
        done = retarget_in(layout, "/p/bin/x")
        assert done.op == Write("bin/x", expected + body, 0o755)
    long_python = "/" + "d" * 130 + "/bin/python3.12"
    layout = Layout().with_file("/p/bin/x", b"#!/usr/bin/python3\n" + body, 0o755)
    done = retarget_in(layout, "/p/bin/x", long_python)
    assert isinstance(done.op, Write)
    assert done.op.data == (b"#!/bin/sh\n'''exec' '" + long_python.encode()
                            + b"' \"$0\" \"$@\"\n' '''\n" + body)


def test_wrapper_chains_keep_every_wrappers_lines() -> None:
    """wrapProgram twice (nixpkgs' `.x-wrapped` wrapped again): both wrappers' variables, in
    order, and the flags of both, inner ones first, as the chain would pass them."""
    inner = wrapgen.shell_wrapper("/p/bin/.x-wrapped", [
        "--inherit-argv0", "--set", "A", "1", "--add-flags", "--inner"], shell="/bin/bash")
    outer = wrapgen.shell_wrapper("/p/bin/.x-wrapped-wrapped", [
        "--inherit-argv0", "--set", "B", "2 3", "--append-flags", "--outer"],
        shell="/bin/bash")
    layout = (Layout().with_file("/p/bin/.x-wrapped", b"#!/py/bin/python3.12\nprint(1)\n", 0o755)
              .with_file("/p/bin/.x-wrapped-wrapped", inner.encode(), 0o755)
              .with_file("/p/bin/x", outer.encode(), 0o755))
    done = retarget_in(layout, "/p/bin/x")
    assert done.op is not None and done.step.rule.id == "env.script-wrapper"
    text = done.op.data.decode()  # type: ignore[union-attr]
    assert text == ("#! /bin/bash -e\nexport B='2 3'\nexport A='1'\n"
                    'exec "/env/bin/python3.12" "/p/bin/.x-wrapped" --inner "$@" --outer\n')
    # a wrapper around a shell tool is not Python's business: linked unchanged
    tool = wrapgen.shell_wrapper("/p/bin/.t-wrapped", ["--set", "A", "1"], shell="/bin/bash")
    layout = (layout.with_file("/p/bin/.t-wrapped", b"#!/bin/sh\necho hi\n", 0o755)
              .with_file("/p/bin/t", tool.encode(), 0o755))
    assert retarget_in(layout, "/p/bin/t").op is None
    assert retarget_in(layout.with_file("/p/bin/e", b"\x7fELF\x02\x01", 0o755), "/p/bin/e"
                       ).op is None


@settings(max_examples=300, deadline=None)
@given(python_scripts(env_options=False))
def test_generated_scripts_lose_nothing_but_their_interpreter(script: Script) -> None:
    layout = Layout().with_file("/p/bin/x", script.text, 0o755)
    done = retarget_in(layout, "/p/bin/x")
    assert done.op == Write("bin/x", script.with_interpreter(b"/env/bin/python3.12"), 0o755)


@settings(max_examples=300, deadline=None)
@given(nix_wrapped_scripts())
def test_generated_wrapped_pairs_run_the_wrapped_file_untouched(case: WrappedScript) -> None:
    wrapper = wrapgen.shell_wrapper("/p/bin/.x-wrapped", [
        "--inherit-argv0", "--set", "K", "v w", "--prefix", "PATH", ":", "/opt/bin"],
        shell="/bin/bash")
    layout = (Layout().with_file("/p/bin/.x-wrapped", case.text, 0o755)
              .with_file("/p/bin/x", wrapper.encode(), 0o755))
    done = retarget_in(layout, "/p/bin/x")
    assert isinstance(done.op, Write)
    lines = done.op.data.decode().split("\n")
    assert lines[:-2] == wrapper.split("\n")[:-2]  # every line but the exec line, verbatim
    argument = case.script.rest.strip(b" \t").decode("utf-8", "surrogateescape")
    words = ['exec "/env/bin/python3.12"', *([f"'{argument}'"] if argument else []),
             '"/p/bin/.x-wrapped"', '"$@"']
    assert lines[-2] == " ".join(words) and lines[-1] == ""


def test_a_killed_build_leaves_no_partial_environment(python: str, tmp_path: Path) -> None:
    """SIGKILL at random points of `prefixlab build env`: TARGET is absent or complete, and
    the next run removes what the killed one left beside it."""
    import random
    import signal
    import time
    version = "%d.%d" % learn_interpreter(python).build.version[:2]
    packages = []
    for i in range(150):
        root = tmp_path / "store" / f"p{i}"
        write(root / f"lib/python{version}/site-packages/m{i}.py", "")
        write(root / f"bin/t{i}", f"#!/usr/bin/python3\nprint({i})\n", 0o755)
        packages += ["--package", str(root)]
    reference = tmp_path / "reference"
    build_env(str(reference), python, [p for p in packages if p != "--package"])

    def names(top: Path) -> list[str]:
        return sorted(str(p.relative_to(top)) for p in top.rglob("*"))

    command = [str(Path(sys.executable).with_name("prefixlab")), "build", "env"]
    rng = random.Random(7)
    target = tmp_path / "env"
    for _ in range(4):
        child = subprocess.Popen([*command, str(target), "--python", python, *packages],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 1.0))
        child.send_signal(signal.SIGKILL)
        child.wait()
        if target.exists():
            assert names(target) == names(reference)
            shutil.rmtree(target)
    done = subprocess.run([*command, str(target), "--python", python, *packages],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert names(target) == names(reference)
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


def test_trampolines_in_both_quotings_and_links_to_wrappers() -> None:
    rest = b"' '''\nprint(1)\n"
    for exe in (b"/py/bin/python3", b"'/p y/bin/python3'"):  # shlex.quote quotes only if needed
        layout = Layout().with_file(
            "/p/bin/x", b"#!/bin/sh\n'''exec' " + exe + b' "$0" "$@"\n' + rest, 0o755)
        done = retarget_in(layout, "/p/bin/x")
        assert done.op == Write("bin/x", b"#!/bin/sh\n'''exec' '/env/bin/python3.12' \"$0\" "
                                b'"$@"\n' + rest, 0o755)
    wrapper = wrapgen.shell_wrapper("/p/bin/.x-wrapped", ["--set", "A", "1"], shell="/bin/bash")
    layout = (Layout().with_file("/p/bin/.x-wrapped", b"#!/py/bin/python3\nprint(1)\n", 0o755)
              .with_file("/p/libexec/x", wrapper.encode(), 0o755)
              .with_link("/p/bin/x", "../libexec/x"))
    done = retarget_in(layout, "/p/bin/x")
    assert done.step.rule.id == "env.script-wrapper" and isinstance(done.op, Write)
    assert done.op.data.endswith(b'exec "/env/bin/python3.12" "/p/bin/.x-wrapped" "$@"\n')


def test_packages_may_not_provide_files_that_change_how_the_interpreter_starts(
        python: str, tmp_path: Path) -> None:
    version = "%d.%d" % learn_interpreter(python).build.version[:2]
    for rel in ("pyvenv.cfg", "bin/pyvenv.cfg", f"bin/python{version}._pth",
                "bin/pybuilddir.txt"):
        pkg = small_package(tmp_path / rel.replace("/", "_"), version)
        bad = write(pkg / rel, "home = /usr/bin\n")
        code, _, err = invoke(str(tmp_path / "env"), "--python", python, "--package", str(pkg))
        one_line_error(code, err, str(bad), "may not provide")
    assert not (tmp_path / "env").exists()


def test_python_given_as_a_bare_name_is_found_on_path(interpreters: list[Interpreter],
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A bare --python name is looked up on PATH as the shell would (as build venv does), not
    taken as a file in the working directory."""
    interp = interpreters[-1]
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "mypython").symlink_to(interp.path)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    monkeypatch.chdir(tmp_path)
    planned = plan_env(str(tmp_path / "env"), "mypython", [])
    assert os.path.realpath(interp.path) == [
        op.source for op in planned.ops if op.path == f"bin/python{version_of(interp)}"][0]
    with pytest.raises(Exception, match="no-such-python-here: --python does not exist"):
        plan_env(str(tmp_path / "env2"), "no-such-python-here", [])
