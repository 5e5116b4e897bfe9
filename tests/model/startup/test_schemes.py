"""Install locations: the model's sysconfig default scheme against documented schemes, the real
``sysconfig.get_paths()`` (through the probe) and pip's own choice, on every interpreter here.

pip is only imported where it is already importable (the interpreters' own site-packages, or
a venv made here with --system-site-packages); nothing is installed anywhere.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from collections.abc import Mapping

import pytest

from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.materialize import scratch_dir
from prefixlab.impl.host.probe import probe
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.world import kernel
from prefixlab.model.world.build import BuildConstants, behaviour_for
from prefixlab.model.world.fs import Layout
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.startup.schemes import KEYS, install_paths
from prefixlab.model.world import World
from prefixlab.model.startup.predict import predict

from conftest import in_scope_interpreters, interpreter_id, require_oracle

INTERPRETERS = list(in_scope_interpreters())


def paths(version: tuple[int, int, int], prefix: str, base_prefix: str, *,
          flavour: str = "upstream", platlibdir: str = "lib", abi_thread: str = "",
          env: Mapping[str, str] | None = None) -> dict[str, str]:
    build = BuildConstants(version=version, prefix="/usr", exec_prefix="/usr",
                           platlibdir=platlibdir, abi_thread=abi_thread,
                           abiflags=abi_thread, flavour=flavour)  # type: ignore[arg-type]
    found, _ = install_paths(build, behaviour_for(version), prefix=prefix, exec_prefix=prefix,
                             base_prefix=base_prefix, base_exec_prefix=base_prefix,
                             platlibdir=platlibdir, environ=env or {}, executable="",
                             syscalls=kernel.Resolver(Layout(), "/"))
    return found


# -- the documented schemes (Lib/sysconfig.py _INSTALL_SCHEMES, Debian's sysconfig) ----------
def test_posix_prefix_outside_a_venv() -> None:
    assert paths((3, 12, 1), "/usr", "/usr") == {
        "scheme": "posix_prefix", "purelib": "/usr/lib/python3.12/site-packages",
        "platlib": "/usr/lib/python3.12/site-packages", "scripts": "/usr/bin",
        "data": "/usr", "include": "/usr/include/python3.12"}


def test_venv_scheme_from_3_11_headers_from_the_base() -> None:
    found = paths((3, 11, 7), "/v", "/usr")
    assert found["scheme"] == "venv"  # bpo-45413
    assert found["purelib"] == "/v/lib/python3.11/site-packages"
    assert found["include"] == "/usr/include/python3.11"  # {installed_base}


def test_no_venv_scheme_before_3_11() -> None:
    found = paths((3, 10, 13), "/v", "/usr")
    assert (found["scheme"], found["scripts"]) == ("posix_prefix", "/v/bin")


def test_platlibdir_from_3_9_only() -> None:
    assert paths((3, 9, 18), "/usr", "/usr", platlibdir="lib64")["platlib"] == (
        "/usr/lib64/python3.9/site-packages")
    assert paths((3, 8, 18), "/usr", "/usr", platlibdir="lib64")["platlib"] == (
        "/usr/lib/python3.8/site-packages")
    assert paths((3, 9, 18), "/usr", "/usr", platlibdir="lib64")["purelib"] == (
        "/usr/lib/python3.9/site-packages")


def test_free_threaded_build() -> None:
    found = paths((3, 13, 0), "/usr", "/usr", abi_thread="t")
    assert found["purelib"] == "/usr/lib/python3.13t/site-packages"
    assert found["include"] == "/usr/include/python3.13t"


def test_debian_posix_local_and_deb_system() -> None:
    local = paths((3, 11, 2), "/usr", "/usr", flavour="debian")
    assert local == {"scheme": "posix_local",
                     "purelib": "/usr/local/lib/python3.11/dist-packages",
                     "platlib": "/usr/local/lib/python3.11/dist-packages",
                     "scripts": "/usr/local/bin", "data": "/usr/local",
                     "include": "/usr/include/python3.11"}
    deb = paths((3, 11, 2), "/usr", "/usr", flavour="debian",
                env={"DEB_PYTHON_INSTALL_LAYOUT": "deb"})
    assert (deb["scheme"], deb["purelib"]) == ("deb_system", "/usr/lib/python3/dist-packages")
    assert paths((3, 11, 2), "/v", "/usr", flavour="debian")["scheme"] == "venv"


def test_prefixes_are_normalised() -> None:
    assert paths((3, 12, 1), "/a/b/../c/", "/a/b/../c/")["purelib"] == (
        "/a/c/lib/python3.12/site-packages")


# -- the real interpreters ------------------------------------------------------------------
def test_some_interpreter_is_found() -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found on this machine")


def _world(interp: Interpreter) -> World:
    assert interp.constants is not None
    return World(Snapshot("/"), {interp.real_path: interp.constants})


def _check(interp: Interpreter, program: str, args: list[str],
           env: dict[str, str]) -> dict[str, str]:
    invocation = Invocation.make(program, args, env=env, cwd="/")
    predicted = predict(_world(interp), invocation)
    probed = probe(invocation)
    assert probed.install is not None, probed.error
    assert predicted.install == probed.install, predicted.trace.steps[-1:]
    return dict(probed.install)


def _venv(interp: Interpreter, where: str, *options: str) -> str:
    done = subprocess.run([interp.path, "-m", "venv", "--without-pip", *options, where],
                          capture_output=True, timeout=120, text=True, cwd="/")
    require_oracle(done.returncode == 0, f"{interp.path} -m venv failed: {done.stderr[-300:]}")
    return f"{where}/bin/python"


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
@pytest.mark.parametrize("env", [{}, {"DEB_PYTHON_INSTALL_LAYOUT": "deb"}], ids=["", "deb"])
def test_install_locations_agree_with_sysconfig(interp: Interpreter,
                                                 env: dict[str, str]) -> None:
    for args in (["-S"], [], ["-I"]):
        found = _check(interp, interp.path, args, env)
        assert set(found) == set(KEYS)
    with scratch_dir("prefixlab-schemes-") as root:
        python = _venv(interp, f"{root}/venv")
        for args in (["-S"], [], ["-E"]):
            found = _check(interp, python, args, env)
        expected = "venv" if interp.version and interp.version >= (3, 11) else "posix_prefix"
        assert found["scheme"] == expected
        assert found["purelib"].startswith(f"{root}/venv/lib/python")


PIP_CODE = r"""
import sys
try:
    from pip._internal.locations import get_scheme
except Exception:
    sys.stdout.write('PIP:None\n')
else:
    s = get_scheme('prefixlab-probe')
    sys.stdout.write('PIP:' + ascii({'purelib': s.purelib, 'platlib': s.platlib,
                                     'scripts': s.scripts, 'data': s.data}) + '\n')
"""


def _pip_scheme(python: str) -> dict[str, str] | None:
    done = subprocess.run([python, "-c", PIP_CODE], capture_output=True, timeout=120,
                          text=True, cwd="/", env={})
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("PIP:")), "PIP:None")
    found = ast.literal_eval(line[4:])
    return found if isinstance(found, dict) else None


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_pip_installs_where_predicted(interp: Interpreter) -> None:
    """pip's own answer (pip._internal.locations.get_scheme, its default install), where pip
    is importable: in the base interpreter and in a venv that sees the system site."""
    base = _pip_scheme(interp.path)
    require_oracle(base is not None, f"{interp.path}: pip is not importable")
    assert base is not None
    predicted = predict(_world(interp), Invocation.make(interp.path, [], cwd="/"))
    assert predicted.install is not None
    assert base == {k: predicted.install[k] for k in base}
    with scratch_dir("prefixlab-schemes-") as root:
        python = _venv(interp, f"{root}/venv", "--system-site-packages")
        in_venv = _pip_scheme(python)
        assert in_venv is not None
        predicted = predict(_world(interp), Invocation.make(python, [], cwd="/"))
        assert predicted.install is not None
        assert in_venv == {k: predicted.install[k] for k in in_venv}


def _build_tree(interp: Interpreter, root: str) -> str:
    """The interpreter binary in a directory that looks like a CPython build tree
    (Modules/Setup.local, Lib/ and pybuilddir.txt pointing at the real stdlib)."""
    assert interp.constants is not None
    stdlib = f"{interp.constants.prefix}/{interp.constants.stdlib_subdir}"
    tree = f"{root}/tree"
    os.makedirs(f"{tree}/Modules")
    with open(f"{tree}/Modules/Setup.local", "w") as handle:
        handle.write("# a build tree marker\n")
    with open(f"{tree}/pybuilddir.txt", "w") as handle:
        handle.write("build")
    os.symlink(stdlib, f"{tree}/Lib")
    os.symlink(f"{stdlib}/lib-dynload", f"{tree}/build")
    binary = f"{tree}/{os.path.basename(interp.real_path)}"
    try:
        os.link(interp.real_path, binary)
    except OSError:
        shutil.copy2(interp.real_path, binary)
    return binary


@pytest.mark.real
@pytest.mark.parametrize("interp", [i for i in INTERPRETERS if i.constants is not None
                                    and i.constants.flavour == "upstream"], ids=interpreter_id)
def test_include_in_a_build_tree(interp: Interpreter) -> None:
    """sysconfig in a build tree (Modules/Setup.local next to the real executable) installs
    headers from <srcdir>/Include; srcdir is '.' in these builds' Makefiles."""
    assert interp.constants is not None
    with scratch_dir("prefixlab-schemes-") as root:
        binary = _build_tree(interp, root)
        world = World(Snapshot("/"), {binary: interp.constants})
        invocation = Invocation.make(binary, ["-S"], cwd="/")
        predicted, probed = predict(world, invocation), probe(invocation)
        assert probed.status == "ok", probed.error
        assert predicted.install == probed.install
        if interp.constants.srcdir == ".":
            assert probed.install is not None
            assert probed.install["include"] == f"{root}/tree/Include"


def _debian_twins() -> list[tuple[Interpreter, Interpreter]]:
    """(upstream, Debian) interpreters of the same minor version."""
    found = [i for i in INTERPRETERS if i.constants is not None]
    return [(up, deb) for up in found for deb in found
            if up.constants and deb.constants and up.constants.flavour == "upstream"
            and deb.constants.flavour == "debian" and up.version and deb.version
            and up.version[:2] == deb.version[:2]]


@pytest.mark.real
def test_the_stdlib_imported_decides_the_scheme() -> None:
    """An upstream binary whose argv[0] is found on PATH next to Debian's python finds its
    prefix (and stdlib, and sysconfig module) there: Debian's schemes apply (found by the
    start-up sweep)."""
    twins = _debian_twins()
    require_oracle(bool(twins), "no upstream and Debian interpreters of the same version here")
    upstream, debian = twins[0]
    assert upstream.constants is not None and upstream.version is not None
    name = os.path.basename(debian.path)
    with scratch_dir("prefixlab-schemes-") as root:
        os.makedirs(f"{root}/bin")
        try:
            os.link(upstream.real_path, f"{root}/bin/{name}")
        except OSError:
            shutil.copy2(upstream.real_path, f"{root}/bin/{name}")
        world = World(Snapshot("/"), {f"{root}/bin/{name}": upstream.constants})
        invocation = Invocation.make(f"{root}/bin/{name}", ["-S", "-c", "pass"], argv0=name,
                                     env={"PATH": os.path.dirname(debian.path)}, cwd=root)
        predicted, probed = predict(world, invocation), probe(invocation)
    assert probed.status == "ok", probed.error
    assert probed.install is not None and probed.install["scheme"] == "posix_local"
    assert predicted.install == probed.install
