"""The historical nixpkgs builders (prefixlab.model.builders.nix): their wrappers byte for byte
against what nixpkgs' generators write (pkgs/by-name/ma/makeBinaryWrapper/make-binary-wrapper.sh
at b9b90f07, makeCWrapper; wrap-python.nix's magicalSedExpression), their sed against GNU sed,
and their known behaviours (the failures under prefixlab's ids in envspec.KNOWN_FAILURES, from
nixpkgs #66366, #88711, #297628, #302315, #302385) shown by running the real interpreters here
on environments they built."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator

import pytest
from conftest import in_scope_interpreters, interpreter_id, require_oracle

from prefixlab.impl.builders import cwrapper
from prefixlab.impl.host import interpreters
from prefixlab.impl.builders import nix as nixbuild
from prefixlab.impl.builders import wrapgen
from prefixlab.impl.host.interpreters import Interpreter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prefixlab.model.exec import binarywrapper
from prefixlab.model.world import kernel
from prefixlab.model.scripts import nixwrap
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.builders.buildenv import MergeError, Package
from prefixlab.model.builders.flavours import BaseInterpreter, EnvRequest, flavour
from prefixlab.model.strategies.packages import package_sets
from prefixlab.model.world.fs import Layout
from prefixlab.model.builders.nix import (Argv0Mode, BasePython, Flavour, NixEnvPlan, NixFlavourError,
                                         plan_env, sed_delete_lines, store_python,
                                         unwrapped_script)
from prefixlab.model.builders.plan import Copy, CWrapper, Link, Mkdir, Write, check_plan

# -- pure: a fake store ----------------------------------------------------------------------
REAL = "/nix/store/aaaa-python3-3.11.9"
OUT = "/nix/store/eeee-python3-3.11.9-env"
PKG = "/nix/store/pppp-foo-1.0"
BASE = BasePython(binary=f"{REAL}/bin/python3.11", version=(3, 11, 9),
                  stdlib=f"{REAL}/lib/python3.11", libdir=f"{REAL}/lib")
STORE_PY = f"{OUT}/.store/python3-3.11.9"


def _fs(**extra: bytes) -> Layout:
    fs = (Layout().with_file(f"{REAL}/bin/python3.11", b"\x7fELF", 0o555)
          .with_file(f"{REAL}/lib/python3.11/os.py", b"")
          .with_dir(f"{REAL}/lib/python3.11/lib-dynload")
          .with_dir(f"{REAL}/lib/python3.11/site-packages")
          .with_file(f"{REAL}/lib/libpython3.11.so.1.0", b"")
          .with_file(f"{PKG}/lib/python3.11/site-packages/foo/__init__.py", b"")
          .with_file(f"{PKG}/bin/foo", b"#! /bin/bash -e\nexec x\n", 0o555)
          .with_file(f"{PKG}/bin/.foo-wrapped", b"#!/x/python3.11\nimport os\nimport sys\n",
                     0o555)
          .with_file(f"{PKG}/bin/README", b"not a program\n", 0o444))
    for name, data in extra.items():
        fs = fs.with_file(f"{PKG}/bin/{name}", data, 0o555)
    return fs


def _plan(flavour: Flavour, fs: Layout | None = None, **options: object) -> NixEnvPlan:
    return plan_env(fs or _fs(), OUT, BASE, [Package(PKG)], flavour,
                    sitecustomize=b"# stand-in\n", **options)  # type: ignore[arg-type]


def _wrapper(plan: NixEnvPlan, path: str) -> CWrapper:
    found = [w for w in plan.wrappers if w.path == path]
    assert found, (path, [w.path for w in plan.wrappers])
    assert _op(plan, path) == found[0]  # the wrappers are operations of the plan
    return found[0]


def _op(plan: NixEnvPlan, path: str) -> object:
    return next((op for op in plan.ops if op.path == path), None)


# make-binary-wrapper.sh (b9b90f07) makeCWrapper's C for the classic env interpreter (wrapper.nix
# before #442540: --set NIX_PYTHONPREFIX, NIX_PYTHONEXECUTABLE, NIX_PYTHONPATH, PYTHONNOUSERSITE);
# the store python there is /nix/store/aaaa-python3-3.11.9, ours lives in the environment.
CLASSIC_INTERPRETER_C = """\
#include <unistd.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    putenv("NIX_PYTHONPREFIX=/nix/store/eeee-python3-3.11.9-env");
    putenv("NIX_PYTHONEXECUTABLE=/nix/store/eeee-python3-3.11.9-env/bin/python3.11");
    putenv("NIX_PYTHONPATH=/nix/store/eeee-python3-3.11.9-env/lib/python3.11/site-packages");
    putenv("PYTHONNOUSERSITE=true");
    argv[0] = "/nix/store/aaaa-python3-3.11.9/bin/python3.11";
    return execv("/nix/store/aaaa-python3-3.11.9/bin/python3.11", argv);
}"""


def test_classic_interpreter_wrapper_is_the_recorded_c_text() -> None:
    spec = _wrapper(_plan("nix-classic"), "bin/python3.11")
    assert wrapgen.c_source(spec.executable, spec.flags) == CLASSIC_INTERPRETER_C.replace(
        REAL, STORE_PY)
    # ...and the whole documented wrapper is the wrapper generator's text for those flags
    assert nixbuild.wrapper_source(spec) == wrapgen.c_wrapper(
        f"{STORE_PY}/bin/python3.11", list(spec.flags))


@pytest.mark.parametrize("flavour", ["nix-inherit-argv0", "nix-resolve-argv0"])
def test_current_interpreter_wrapper(flavour: Flavour) -> None:
    """Section 3.2: 'the same body except that argv[0] is not assigned', resolved in V3;
    no NIX_* variables (section 1.3, the python.executable branch)."""
    spec = _wrapper(_plan(flavour), "bin/python3.11")
    resolve = ['    argv[0] = resolve_argv0(argv[0]);'] if flavour == "nix-resolve-argv0" else []
    main = ["int main(int argc, char **argv) {", '    putenv("PYTHONNOUSERSITE=true");',
            *resolve, f'    return execv("{STORE_PY}/bin/python3.11", argv);', "}"]
    assert wrapgen.c_source(spec.executable, spec.flags).endswith("\n".join(main))
    read = binarywrapper.read_source(wrapgen.c_source(spec.executable, spec.flags))
    assert isinstance(read, binarywrapper.BinaryWrapper)
    meaning = binarywrapper.plan(read)
    assert meaning.argv0 is None and meaning.resolve == (flavour == "nix-resolve-argv0")


def test_argv0_of_each_flavour() -> None:
    """classic: argv[0] is the wrapped store path (section 1.3 V0); #297628: $out/bin/NAME
    (--argv0) or inherited; both without NIX_* variables."""
    def meaning(plan: NixEnvPlan, path: str) -> binarywrapper.Plan:
        spec = _wrapper(plan, path)
        read = binarywrapper.read_source(wrapgen.c_source(spec.executable, spec.flags))
        assert isinstance(read, binarywrapper.BinaryWrapper)
        return binarywrapper.plan(read)
    classic = meaning(_plan("nix-classic"), "bin/python3.11")
    assert classic.argv0 == f"{STORE_PY}/bin/python3.11"
    fixed = meaning(_plan("nix-297628"), "bin/python3.11")
    assert fixed.argv0 == f"{OUT}/bin/python3.11"
    assert [op[1] for op in fixed.env_ops] == ["PYTHONNOUSERSITE"]
    inherit = meaning(_plan("nix-297628", argv0_mode="inherit"), "bin/python3.11")
    assert inherit.argv0 is None and not inherit.resolve


def test_classic_scripts_get_nix_wrappers_and_non_executables_go() -> None:
    plan = _plan("nix-classic")
    spec = _wrapper(plan, "bin/foo")
    assert spec.executable == f"{PKG}/bin/foo"
    assert spec.flags == ("--set", "NIX_PYTHONPREFIX", OUT,
                          "--set", "NIX_PYTHONEXECUTABLE", f"{OUT}/bin/python3.11",
                          "--set", "NIX_PYTHONPATH", f"{OUT}/lib/python3.11/site-packages",
                          "--set", "PYTHONNOUSERSITE", "true")
    assert _op(plan, "bin/README") is None  # removed even though it is not executable
    assert _op(plan, "bin/.foo-wrapped") == Link("bin/.foo-wrapped", f"{PKG}/bin/.foo-wrapped")
    # the store python: a real site-packages holding only the sitecustomize
    assert _op(plan, ".store/python3-3.11.9/lib/python3.11/site-packages") == Mkdir(
        ".store/python3-3.11.9/lib/python3.11/site-packages")
    assert _op(plan, "lib/python3.11/site-packages/sitecustomize.py") == Link(
        "lib/python3.11/site-packages/sitecustomize.py",
        f"{STORE_PY}/lib/python3.11/site-packages/sitecustomize.py")


def test_classic_shell_dialect() -> None:
    """Before nixpkgs #169307 (April 2022) the classic wrappers were makeShellWrapper text;
    #123067 quotes an environment's bin/pip: '#! .../bin/bash -e', "export
    NIX_PYTHONPREFIX='...-env'", ..., 'exec "/nix/store/...-pip-21.0.1/bin/pip"  "$@"'."""
    ops = nixbuild.dialect(_plan("nix-classic").ops, "shell", "nix-classic", shell="/b/bash")
    text = next(op for op in ops if op.path == "bin/foo")
    assert isinstance(text, Write) and text.mode == 0o755
    lines = text.data.decode().split("\n")
    assert lines[0] == "#! /b/bash -e"
    assert lines[1] == f"export NIX_PYTHONPREFIX='{OUT}'"
    assert lines[-2] == f'exec "{PKG}/bin/foo"  "$@" ' and lines[-1] == ""
    assert not any(isinstance(op, CWrapper) for op in ops)
    with pytest.raises(NixFlavourError, match="nix-classic"):
        nixbuild.dialect(_plan("nix-resolve-argv0").ops, "shell", "nix-resolve-argv0")


def test_297628_unwraps_by_line_number_and_drops_hidden_files() -> None:
    plan = _plan("nix-297628")
    assert _op(plan, "bin/foo") == Write(
        "bin/foo", b"#!" + f"{OUT}/bin/python3.11".encode() + b"\nimport os\n", 0o755)
    assert _op(plan, "bin/.foo-wrapped") is None  # rm -f $out/bin/.*-wrapped
    assert _op(plan, "bin/README") is None
    assert _op(plan, ".store/python3-3.11.9/lib/python3.11/site-packages/sitecustomize.py") \
        is None  # commit 1 of #297628 removed the interpreter's sitecustomize


@pytest.mark.parametrize("flavour", ["nix-inherit-argv0", "nix-resolve-argv0"])
def test_current_relinks_by_readlink_text(flavour: Flavour) -> None:
    """Only a link whose text is python3.X is relinked; cpython's absolute bin/python link
    gets the NIX_* wrapper (section 10, F-d8); non-executables stay links."""
    plan = _plan(flavour)
    assert _op(plan, "bin/python3") == Link("bin/python3", "python3.11")
    assert _wrapper(plan, "bin/python").flags[:2] == ("--set", "NIX_PYTHONPREFIX")
    assert _op(plan, "bin/README") == Link("bin/README", f"{PKG}/bin/README")
    assert _op(plan, "bin/.foo-wrapped") == Link("bin/.foo-wrapped", f"{PKG}/bin/.foo-wrapped")


def test_make_wrapper_args_are_read_by_bash() -> None:
    """Section 10, F-a4: the strings are joined and spliced unquoted into the postBuild."""
    quoted = _plan("nix-classic", make_wrapper_args=["--set FOO 'a b'"])
    assert _wrapper(quoted, "bin/foo").flags[-3:] == ("--set", "FOO", "a b")
    split = _plan("nix-classic", make_wrapper_args=["--set", "FOO", "a b"])
    spec = _wrapper(split, "bin/foo")
    assert spec.flags[-4:] == ("--set", "FOO", "a", "b")
    assert "#error makeCWrapper: Unknown argument b" in wrapgen.c_source(spec.executable,
                                                                          spec.flags)
    user = _plan("nix-classic", permit_user_site=True)
    assert "PYTHONNOUSERSITE" not in _wrapper(user, "bin/foo").flags


def test_last_provider_wins_the_postbuild_under_ignored_collisions() -> None:
    """Section 1.3: buildEnv keeps the first provider, the postBuild's rm -f + makeWrapper the
    last one."""
    other = "/nix/store/qqqq-bar-1.0"
    fs = _fs(tool=b"#!/bin/sh\necho one\n").with_file(f"{other}/bin/tool",
                                                      b"#!/bin/sh\necho two\n", 0o555)
    plan = plan_env(fs, OUT, BASE, [Package(PKG), Package(other)], "nix-classic",
                    sitecustomize=b"", ignore_collisions=True)
    assert plan.farm.links()["bin/tool"] == f"{PKG}/bin/tool"
    assert _wrapper(plan, "bin/tool").executable == f"{other}/bin/tool"


def test_bad_inputs_are_one_line_errors() -> None:
    with pytest.raises(NixFlavourError, match="blank or shell character"):
        plan_env(_fs(), "/nix/store/e e", BASE, [Package(PKG)], "nix-classic",
                 sitecustomize=b"")
    with pytest.raises(NixFlavourError, match="makeWrapperArgs"):
        _plan("nix-classic", make_wrapper_args=["--run $(date)"])


@pytest.mark.parametrize("name", ["nix-classic", "nix-297628", "nix-inherit-argv0",
                                  "nix-resolve-argv0"])
def test_registered_as_build_env_flavours(name: Flavour) -> None:
    """`build env --flavor NAME` and in-process callers reach the same plan."""
    request = EnvRequest(OUT, BaseInterpreter(f"{REAL}/bin/python3.11", BuildConstants(
        (3, 11, 9), REAL, REAL), REAL, REAL), (Package(PKG),))
    got = flavour(name)(_fs(), request)
    assert got.ops == plan_env(_fs(), OUT, BASE, [Package(PKG)], name,
                               sitecustomize=nixbuild.SITECUSTOMIZE).ops
    inherit = dataclasses.replace(request, options=(("argv0-mode", "inherit"),))
    if name == "nix-297628":
        assert flavour(name)(_fs(), inherit).ops == plan_env(
            _fs(), OUT, BASE, [Package(PKG)], name, sitecustomize=nixbuild.SITECUSTOMIZE,
            argv0_mode="inherit").ops
    else:
        with pytest.raises(NixFlavourError, match="argv0-mode"):
            flavour(name)(_fs(), inherit)
    options = (("make-wrapper-args", "--set FOO 'a b'"), ("permit-user-site", "true"))
    flags = [op for op in flavour(name)(_fs(), dataclasses.replace(request, options=options)).ops
             if op.path == "bin/python3.11"][0]
    assert isinstance(flags, CWrapper) and flags.flags[-3:] == ("--set", "FOO", "a b")
    assert "PYTHONNOUSERSITE" not in flags.flags


# -- sed -e '1d' -e '3d' ----------------------------------------------------------------------
SED_INPUTS = [b"", b"a", b"a\n", b"a\nb", b"a\nb\nc", b"a\nb\nc\n", b"1\n2\n3\n4\n5",
              b"x\r\ny\r\nz\r\nw\r\n", b"a\n\n\n\nb\n", b"\n", b"\n\n\n", b"a\rb\nc\rd\ne\n",
              b"\x00\xff\n\x80\n\xfe"]


@pytest.mark.parametrize("data", SED_INPUTS)
def test_sed_1d_3d_is_gnu_sed(data: bytes) -> None:
    sed = shutil.which("sed")
    require_oracle(sed is not None, "no sed here")
    assert sed is not None
    real = subprocess.run([sed, "-e", "1d", "-e", "3d"], input=data, capture_output=True,
                          env={"LC_ALL": "C"}, check=True).stdout
    assert sed_delete_lines(data, (1, 3)) == real


@settings(max_examples=40, deadline=None)
@given(data=st.lists(st.sampled_from([b"a", b"\n", b"\r", b"\x00", b"\xff", b" ", b"#!"]),
                     max_size=24).map(b"".join))
def test_sed_1d_3d_is_gnu_sed_on_generated_bytes(data: bytes) -> None:
    sed = shutil.which("sed")
    require_oracle(sed is not None, "no sed here")
    assert sed is not None
    real = subprocess.run([sed, "-e", "1d", "-e", "3d"], input=data, capture_output=True,
                          env={"LC_ALL": "C"}, check=True).stdout
    assert sed_delete_lines(data, (1, 3)) == real


# which line #297628's `sed -e '1d' -e '3d'` removes for common shapes, once wrap-python.nix's
# magicalSedExpression has put its preamble before the first code line (pretalx: #302315)
SHAPES = {
    "pip console script": (b"#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nimport re\n"
                           b"import sys\nfrom foo.cli import main\n", "preamble"),
    "future import": (b"#!/usr/bin/env python\nfrom __future__ import x\nimport os\n",
                      "preamble"),
    "plain": (b"#!/usr/bin/env python\nimport sys\nprint(sys.argv)\n", b"import sys"),
    "pretalx manage.py": (b"#!/usr/bin/env python\nimport os\nimport sys\n", b"import os"),
    "continued import": (b"#!/usr/bin/env python\nimport os, \\\n    sys\nos\n",
                         b"import os, \\"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_unwrapping_removes_the_line_sed_strikes(shape: str) -> None:
    script, removed = SHAPES[shape]
    wrap = nixwrap.NixWrap(executable="/nix/store/aaaa-python3-3.11.9/bin/python3.11")
    wrapped = nixwrap.wrap_python_programs(script, wrap)
    assert wrapped is not None
    result = unwrapped_script(OUT, BASE, wrapped.text)
    pre = nixwrap.preamble(wrap)
    kept = result.split(b"\n")[1:]
    if removed == "preamble":
        assert pre not in result
        assert result == b"#!" + OUT.encode() + b"/bin/python3.11\n" + script.split(b"\n", 1)[1]
    else:
        assert pre in kept and removed not in kept


# -- real interpreters ------------------------------------------------------------------------
CLI = b'''\
import json, os, sys
def main():
    print(json.dumps({"prefix": sys.prefix, "base_prefix": sys.base_prefix,
                      "executable": sys.executable, "foo_var": os.environ.get("FOO_VAR")}))
'''
CONSOLE = b'''\
#!/usr/bin/env python3
# -*- coding: utf-8 -*-
import re
import sys
from foo.cli import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
'''
MANAGE = b'''\
#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    print("manage", os.path.basename(sys.argv[0]))
'''
SHELL_TOOL = b'#!/bin/sh\necho "FOO_VAR=${FOO_VAR-unset}"\n'


def _package(root: str, interp: Interpreter, python: str, bash: str) -> None:
    """A package built for the environment as nixpkgs builds one (wrapPythonPrograms with
    the environment's store python, wrapProgram for the shell tool)."""
    assert interp.constants is not None
    site = f"{root}/{interp.constants.stdlib_subdir}/site-packages"
    os.makedirs(f"{site}/foo")
    os.makedirs(f"{root}/bin")
    for name, data in (("__init__.py", b"X = 1\n"), ("cli.py", CLI)):
        with open(f"{site}/foo/{name}", "wb") as handle:
            handle.write(data)
    wrap = nixwrap.NixWrap(executable=python, sitedirs=(site,))
    for name, script in (("foo", CONSOLE), ("foo-manage", MANAGE)):
        wrapped = nixwrap.wrap_python_programs(
            script, nixwrap.NixWrap(python, f"{root}/bin/{name}", wrap.sitedirs))
        assert wrapped is not None
        _write(f"{root}/bin/.{name}-wrapped", wrapped.text)
        _write(f"{root}/bin/{name}", wrapgen.shell_wrapper(
            f"{root}/bin/.{name}-wrapped",
            ["--inherit-argv0", "--prefix", "PATH", ":", os.path.dirname(python),
             "--set", "PYTHONNOUSERSITE", "true"], shell=bash).encode())
    # F-b3: wrapped twice.  wrapProgram on bin/foo-twice again moves the first wrapper to
    # .foo-twice-wrapped_; a hook's wrapProgram on .foo-hooked-wrapped moves the script to
    # ..foo-hooked-wrapped-wrapped (nixpkgs make-wrapper.sh wrapProgram's hidden names)
    first = ["--inherit-argv0", "--prefix", "PATH", ":", os.path.dirname(python),
             "--set", "PYTHONNOUSERSITE", "true"]
    for name, script_at, chain in (
            ("foo-twice", ".foo-twice-wrapped",
             [(".foo-twice-wrapped_", first), ("foo-twice", ["--inherit-argv0", "--set",
                                                             "FOO_VAR", "outer"])]),
            ("foo-hooked", "..foo-hooked-wrapped-wrapped",
             [(".foo-hooked-wrapped", ["--inherit-argv0", "--set", "FOO_VAR", "hook"]),
              ("foo-hooked", first)])):
        wrapped = nixwrap.wrap_python_programs(
            CONSOLE, nixwrap.NixWrap(python, f"{root}/bin/{name}", wrap.sitedirs))
        assert wrapped is not None
        _write(f"{root}/bin/{script_at}", wrapped.text)
        inner = script_at
        for at, flags in chain:
            _write(f"{root}/bin/{at}", wrapgen.shell_wrapper(f"{root}/bin/{inner}", flags,
                                                             shell=bash).encode())
            inner = at
    # a script left unwrapped (dontWrapPythonPrograms, xonsh's case): only its #! names python
    _write(f"{root}/bin/foo-bare", f"#!{python}\nimport foo.cli\nfoo.cli.main()\n".encode())
    _write(f"{root}/bin/.foo-sh-wrapped", SHELL_TOOL)
    _write(f"{root}/bin/foo-sh", wrapgen.shell_wrapper(
        f"{root}/bin/.foo-sh-wrapped", ["--inherit-argv0", "--set", "FOO_VAR", "x"],
        shell=bash).encode())


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o755)


VARIANTS: dict[str, tuple[Flavour, Argv0Mode]] = {
    "classic": ("nix-classic", "fixed"), "297628": ("nix-297628", "fixed"),
    "297628-inherit": ("nix-297628", "inherit"), "v2": ("nix-inherit-argv0", "fixed"),
    "v3": ("nix-resolve-argv0", "fixed")}


@pytest.fixture(scope="module")
def scratch() -> Iterator[str]:
    root = tempfile.mkdtemp(prefix="prefixlab-nixflavours-")
    yield root
    shutil.rmtree(root)


_BUILT: dict[tuple[str, str], str] = {}


def _env(scratch: str, interp: Interpreter, variant: str, *, store_first: bool = False) -> str:
    """The environment ``variant`` builds of the interpreter and one package (once); with
    ``store_first``, makeWrapperArgs put the store python's bin first on PATH."""
    key = (interp.real_path, variant + ("-store-first" if store_first else ""))
    if key in _BUILT:
        return _BUILT[key]
    bash = shutil.which("bash")
    require_oracle(bash is not None, "no bash here")
    require_oracle(cwrapper.compiler() is not None, "no C compiler here")
    assert bash is not None
    flavour, mode = VARIANTS[variant]
    target = f"{scratch}/{interpreter_id(interp)}-{key[1]}"
    base = nixbuild.base_python(interp.path)
    package = f"{target}-foo"
    python = store_python(target, base)
    _package(package, interp, python, bash)
    args = [f"--prefix PATH : {os.path.dirname(python)}"] if store_first else []
    nixbuild.build(target, interp.path, [(package, 5)], flavour, argv0_mode=mode,
                   make_wrapper_args=args)
    _BUILT[key] = target
    return target


ENV = {"PATH": "/usr/bin:/bin"}
REPORT = ("import json, os, sys\ntry:\n    import foo\n    found = True\nexcept ImportError:\n"
          "    found = False\nprint(json.dumps({'prefix': sys.prefix, 'base_prefix': "
          "sys.base_prefix, 'executable': sys.executable, 'foo': found}))")


def _run(argv: list[str], *, executable: str | None = None, cwd: str = "/"
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, executable=executable, env=dict(ENV), cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def _report(argv: list[str], executable: str | None = None) -> dict[str, object]:
    done = _run(argv, executable=executable)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _upstream_site(interp: Interpreter) -> None:
    assert interp.constants is not None
    if interp.constants.flavour == "debian":
        pytest.skip("Debian's site.py reads dist-packages, not the lib/python3.X/site-packages "
                    "nixpkgs' layout has, for a prefix that is not a venv")


INTERPRETERS = in_scope_interpreters()


def _py(env: str, interp: Interpreter) -> str:
    assert interp.constants is not None
    return f"{env}/bin/python%d.%d" % interp.constants.minor


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_classic(scratch: str, interp: Interpreter) -> None:
    """Section 8, V0 column; section 10, F-a1 and F-a2."""
    env = _env(scratch, interp, "classic")
    found = _report([_py(env, interp), "-c", REPORT])
    assert found["prefix"] == env and found["foo"] is True
    assert found["base_prefix"] != env  # F-a1: looks like a venv
    assert str(found["base_prefix"]).startswith(f"{env}/.store/")
    assert found["executable"] == _py(env, interp)  # section 9 (a): NIX_PYTHONEXECUTABLE
    via_path = subprocess.run(["python3", "-c", REPORT], env={"PATH": f"{env}/bin:/usr/bin"},
                              capture_output=True, text=True, timeout=60, cwd="/")
    assert json.loads(via_path.stdout)["base_prefix"] != env  # section 8: via PATH too
    # the console script works, and looks like a venv too; the other scripts are intact
    script = _report([f"{env}/bin/foo"])
    assert script["prefix"] == env and script["base_prefix"] != env
    assert _run([f"{env}/bin/foo-manage"]).stdout.startswith("manage")
    assert _run([f"{env}/bin/foo-sh"]).stdout.strip() == "FOO_VAR=x"
    assert _report([f"{env}/bin/foo-bare"])["prefix"] == env  # NIX_PYTHONPATH + sitecustomize
    assert _report([f"{env}/bin/foo-twice"])["foo_var"] == "outer"
    assert _report([f"{env}/bin/foo-hooked"])["foo_var"] == "hook"
    # section 2: the sitecustomize pops the NIX_* variables outside a venv; the wrapper's
    # PYTHONNOUSERSITE stays and leaks to children (F-a3)
    leaks = _run([_py(env, interp), "-c", "import os; print(sorted(k for k in os.environ if "
                  "k.startswith(('NIX_', 'PYTHONNOUSERSITE'))))"])
    assert leaks.stdout.strip() == "['PYTHONNOUSERSITE']", leaks.stderr
    # F-a2: a venv made from it is inert
    venv = f"{env}-venv"
    done = _run([_py(env, interp), "-m", "venv", "--without-pip", "--system-site-packages",
                 venv])
    assert done.returncode == 0, done.stderr
    assert _report([f"{venv}/bin/python", "-c", REPORT])["prefix"] == env


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_297628(scratch: str, interp: Interpreter) -> None:
    """Section 8, V1 column; section 10, F-b1, F-b2, F-b3, F-b4, F-b6, F-b7."""
    _upstream_site(interp)
    env = _env(scratch, interp, "297628")
    found = _report([_py(env, interp), "-c", REPORT])
    assert found["prefix"] == found["base_prefix"] == env and found["foo"] is True
    via_path = subprocess.run(["python3", "-c", REPORT], env={"PATH": f"{env}/bin:/usr/bin"},
                              capture_output=True, text=True, timeout=60, cwd="/")
    assert json.loads(via_path.stdout)["base_prefix"] == env  # section 8: via PATH, OK
    assert _report([f"{env}/bin/foo"])["prefix"] == env  # the coding-line script survives
    manage = _run([f"{env}/bin/foo-manage"])
    assert manage.returncode != 0 and "NameError" in manage.stderr and "'os'" in manage.stderr
    tool = _run([f"{env}/bin/foo-sh"])
    assert tool.returncode != 0 and "SyntaxError" in tool.stderr
    assert "FOO_VAR=x" not in tool.stdout
    # F-b3: the re-wrapped script runs without the outer wrapper's variable; the script a
    # hook wrapped again is now a shell wrapper, unwrapped as if it were Python
    assert _report([f"{env}/bin/foo-twice"])["foo_var"] is None
    hooked = _run([f"{env}/bin/foo-hooked"])
    assert hooked.returncode != 0 and "SyntaxError" in hooked.stderr
    # F-b6: an unwrapped script gets neither NIX_PYTHONPATH nor a sitecustomize
    bare = _run([f"{env}/bin/foo-bare"])
    assert bare.returncode != 0 and "ModuleNotFoundError" in bare.stderr
    venv = f"{env}-venv"
    done = _run([_py(env, interp), "-m", "venv", "--without-pip", "--system-site-packages",
                 venv])
    assert done.returncode == 0, done.stderr
    assert _report([f"{venv}/bin/python", "-c", REPORT])["prefix"] == env  # F-b7


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_resolve_argv0(scratch: str, interp: Interpreter) -> None:
    """Section 8, V3 column; section 10, F-d8 and the console scripts."""
    _upstream_site(interp)
    env = _env(scratch, interp, "v3")
    found = _report([_py(env, interp), "-c", REPORT])
    assert found["prefix"] == found["base_prefix"] == env and found["foo"] is True
    via_path = subprocess.run(["python3", "-c", REPORT], env={"PATH": f"{env}/bin:/usr/bin"},
                              capture_output=True, text=True, timeout=60, cwd="/")
    assert json.loads(via_path.stdout)["prefix"] == env
    # F-d8: cpython's absolute bin/python link gets the NIX_* wrapper: venv-looking
    absolute = _report([f"{env}/bin/python", "-c", REPORT])
    assert absolute["prefix"] == env and absolute["base_prefix"] != env
    # console scripts still look like a venv; nothing is lost
    script = _report([f"{env}/bin/foo"])
    assert script["prefix"] == env and script["base_prefix"] != env
    assert _run([f"{env}/bin/foo-manage"]).stdout.startswith("manage")
    assert _run([f"{env}/bin/foo-sh"]).stdout.strip() == "FOO_VAR=x"
    assert _report([f"{env}/bin/foo-bare"])["prefix"] == env
    assert _report([f"{env}/bin/foo-twice"])["foo_var"] == "outer"
    assert _report([f"{env}/bin/foo-hooked"])["foo_var"] == "hook"
    for flag, sees in (("--system-site-packages", True), ("", False)):
        venv = f"{env}-venv{flag}"
        done = _run([_py(env, interp), "-m", "venv", "--without-pip", *filter(None, [flag]),
                     venv])
        assert done.returncode == 0, done.stderr
        inside = _report([f"{venv}/bin/python", "-c", REPORT])
        assert inside["prefix"] == venv and inside["base_prefix"] == env
        assert inside["foo"] is sees


def _bounded(variants: list[str]) -> list[object]:
    """(interpreter, variant) for every interpreter; beyond the newest upstream one, only
    with --sweep (each variant is one more environment per interpreter)."""
    upstream = sorted((i for i in INTERPRETERS if i.constants is not None
                       and i.constants.flavour == "upstream"), key=lambda i: i.version or ())
    ends = {upstream[-1].real_path} if upstream else set()
    return [pytest.param(i, v, id=f"{interpreter_id(i)}-{v}",
                         marks=[] if i.real_path in ends else [pytest.mark.sweep])
            for i in INTERPRETERS for v in variants]


@pytest.mark.real
@pytest.mark.parametrize(("interp", "variant"),
                         _bounded(["v2", "v3", "297628-inherit", "classic"]))
def test_bare_argv0_by_absolute_path(scratch: str, interp: Interpreter, variant: str) -> None:
    """Section 10, F-d1 (and F-b8): exec by absolute path with argv[0] 'python3' and a PATH
    without the environment: the inheriting wrappers start from the wrong tree and the
    environment's packages are missing; classic, which sets argv[0] itself, is immune."""
    if variant != "classic":
        _upstream_site(interp)
    env = _env(scratch, interp, variant)
    found = _report(["python3", "-c", REPORT], executable=_py(env, interp))
    if variant == "classic":
        assert found["prefix"] == env and found["foo"] is True
    else:
        assert found["prefix"] != env and found["foo"] is False
        # the same entry called by its path works (the failure is the bare argv[0])
        assert _report([_py(env, interp), "-c", REPORT])["foo"] is True


@pytest.mark.real
@pytest.mark.parametrize(("interp", "variant"), _bounded(["v2", "v3"]))
def test_directory_named_python3_on_path(scratch: str, interp: Interpreter,
                                         variant: str) -> None:
    """Section 10, F-d2: a directory named python3 earlier on PATH than the environment.
    The shell skips it and runs the environment's python3 with argv[0] 'python3';
    resolve_argv0 takes the directory (access(X_OK) accepts directories) and the environment
    is lost; V2 leaves the search to CPython, whose isxfile skips directories."""
    _upstream_site(interp)
    env = _env(scratch, interp, variant)
    decoy = f"{scratch}/decoy-{interpreter_id(interp)}"
    os.makedirs(f"{decoy}/python3", exist_ok=True)
    done = subprocess.run(["python3", "-c", REPORT], env={"PATH": f"{decoy}:{env}/bin:/usr/bin"},
                          capture_output=True, text=True, timeout=60, cwd="/")
    found = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    if variant == "v3":
        assert found.get("prefix") != env and found.get("foo") is not True, done.stderr
    else:
        assert found["prefix"] == env and found["foo"] is True


def test_297628_drops_shebang_flags() -> None:
    """Section 10, F-b5: '#!...python3.11 -u' becomes '#!$out/bin/python3.11'."""
    hidden = b"#!/nix/store/aaaa-python3-3.11.9/bin/python3.11 -u\n# c\nPRE\nimport os\n"
    assert unwrapped_script(OUT, BASE, hidden).split(b"\n")[0] == \
        f"#!{OUT}/bin/python3.11".encode()


@pytest.mark.real
@pytest.mark.parametrize(("interp", "variant"), _bounded(["classic", "297628", "v3"]))
def test_through_a_result_link(scratch: str, interp: Interpreter, variant: str) -> None:
    """Section 8, 'via result symlink' (and F-d4): started as RESULT/bin/python3.X where
    RESULT links to the environment, classic and #297628 (argv[0] fixed) report the
    environment's own path; V3's inherited argv[0] keeps RESULT (getpath resolves links of
    the last component only)."""
    if variant != "classic":
        _upstream_site(interp)
    env = _env(scratch, interp, variant)
    result = f"{env}-result"
    if not os.path.lexists(result):
        os.symlink(env, result)
    found = _report([_py(result, interp), "-c", REPORT])
    assert found["foo"] is True
    assert found["prefix"] == (result if variant == "v3" else env)


@pytest.mark.real
@pytest.mark.parametrize(("interp", "variant"),
                         _bounded(["classic", "297628", "v2", "v3"]))
def test_the_model_predicts_the_interpreter_entries(scratch: str, interp: Interpreter,
                                                    variant: str) -> None:
    """prefixlab's start-up model, run on what a flavour built, equals the probe of the real
    interpreter for bin/python3.X and bin/python (wrappers read from their embedded record,
    the stand-in sitecustomize recognised by its digest)."""
    from prefixlab.impl.host.world import world_for
    from prefixlab.impl.host.probe import probe
    from prefixlab.model.world.invocation import Invocation
    from prefixlab.model.startup.predict import predict
    env = _env(scratch, interp, variant)
    for entry in (_py(env, interp), f"{env}/bin/python"):
        invocation = Invocation.make(entry, ["-c", ""], env=dict(ENV), cwd="/")
        predicted = predict(world_for(invocation, use_cache=True), invocation)
        assert predicted.status == "ok", predicted.error
        assert predicted.comparable() == probe(invocation).comparable(), entry


@pytest.mark.real
def test_command_line(scratch: str) -> None:
    """`prefixlab build env --flavor nix-297628 --argv0-mode inherit` builds; --argv0-mode
    with another flavour is one line on stderr, exit 2, nothing written."""
    import sys
    from pathlib import Path
    found = [i for i in INTERPRETERS if i.source == "pyenv"] or list(INTERPRETERS)
    require_oracle(bool(found), "no interpreter here")
    require_oracle(cwrapper.compiler() is not None, "no C compiler here")
    prefixlab = str(Path(sys.executable).with_name("prefixlab"))
    package = f"{scratch}/cli-package"
    os.makedirs(f"{package}/bin", exist_ok=True)
    _write(f"{package}/bin/tool", SHELL_TOOL)
    common = [prefixlab, "build", "env", "--python", found[-1].path, "--package", package]
    done = subprocess.run([*common, f"{scratch}/cli-env", "--flavor", "nix-297628",
                           "--argv0-mode", "inherit"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    tool = subprocess.run([f"{scratch}/cli-env/bin/tool"], capture_output=True, text=True,
                          timeout=60, env=dict(ENV))
    assert tool.stdout.strip() == "FOO_VAR=unset"
    bad = subprocess.run([*common, f"{scratch}/cli-bad", "--flavor", "nix-classic",
                          "--argv0-mode", "inherit"], capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert "argv0-mode" in bad.stderr and not os.path.lexists(f"{scratch}/cli-bad")


# -- properties over generated package sets (pure) ---------------------------------------------
PKGS = "/nix/store/gggg-pkgs"


@st.composite
def _bound_sets(draw: st.DrawFn) -> tuple[Layout, tuple[str, ...]]:
    """A generated package set (model/strategies/packages.py) built for the environment's
    store python, on top of the fake store."""
    bound = draw(package_sets((3, 11))).bind(PKGS, f"{STORE_PY}/bin/python3.11")
    fs = _fs().merged(bound.layout)
    for wrapper in bound.wrappers:
        text = (b"\x7fELF" if wrapper.binary else wrapgen.shell_wrapper(
            wrapper.original, list(wrapper.flags), shell="/bin/bash").encode(
                "utf-8", "surrogateescape"))
        fs = fs.with_file(wrapper.path, text, 0o755)
    return fs, bound.roots


def _programs(fs: Layout, roots: tuple[str, ...]) -> dict[str, list[tuple[str, bool]]]:
    """bin name -> [(providing path, executable)] for the regular files (links followed) the
    postBuild's glob sees, in `paths` order."""
    found: dict[str, list[tuple[str, bool]]] = {}
    for root in (STORE_PY, *roots):
        listing = fs.children(f"{root}/bin") if fs.entry(f"{root}/bin") else ()
        for name in listing:
            entry = kernel.stat(fs, f"{root}/bin/{name}")
            if name.startswith(".") or entry is None or entry.kind != "file":
                continue
            found.setdefault(name, []).append((f"{root}/bin/{name}", bool(entry.mode & 0o111)))
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_bound_sets(), name=st.sampled_from(["nix-classic", "nix-297628",
                                                  "nix-inherit-argv0", "nix-resolve-argv0"]))
def test_postbuild_properties_on_generated_sets(data: tuple[Layout, tuple[str, ...]],
                                                name: Flavour) -> None:
    """Section 9's postBuild rules hold on generated package sets: every executable a package
    (or the store python) provides ends as the last provider's wrapper (or #297628's
    unwrapped script, or V2/V3's interpreter wrapper or relative link); non-executables are
    gone in classic and #297628 and stay in V2/V3; #297628 leaves no hidden file in bin; the
    plan is well formed and every wrapper wraps an executable file."""
    fs, roots = data
    try:
        plan = plan_env(fs, OUT, BASE, [Package(r) for r in roots], name, sitecustomize=b"")
    except MergeError:
        return  # a collision the generator made: builder.pl dies too
    check_plan(plan.ops)
    # the store python is not on disk in the fake store: read it through the plan
    ops = {op.path: op for op in plan.ops}
    programs = _programs(_with_store(fs, plan), roots)
    for prg, providers in programs.items():
        got = ops.get(f"bin/{prg}")
        executables = [p for p, x in providers if x]
        if name in ("nix-classic", "nix-297628"):
            # each provider's `rm -f` runs, its wrapper only if it is executable: the last
            # provider decides
            last, executable = providers[-1]
            if not executable:
                assert got is None, prg
                continue
            if isinstance(got, CWrapper):
                assert got.executable == last
            else:
                assert name == "nix-297628" and isinstance(got, Write), prg
                assert got.data.startswith(f"#!{OUT}/bin/python3.11\n".encode())
        else:
            if not any(x for _, x in providers):
                assert isinstance(got, Link), prg
                continue
            assert isinstance(got, (CWrapper, Link)), prg
            if isinstance(got, CWrapper) and prg != "python3.11":
                assert got.executable == executables[-1]
            if isinstance(got, Link):
                assert got.target == "python3.11"
            elif prg == "python3.11":
                assert got.flags[0] == "--inherit-argv0"
            else:
                assert got.flags[:2] == ("--set", "NIX_PYTHONPREFIX")
    if name == "nix-297628":
        assert not [p for p in ops if p.startswith("bin/.") and p.endswith("-wrapped")]
    for wrapper in plan.wrappers:
        entry = kernel.stat(_with_store(fs, plan), wrapper.executable)
        assert entry is not None and entry.kind == "file" and entry.mode & 0o111


def _with_store(fs: Layout, plan: NixEnvPlan) -> Layout:
    for op in plan.ops:
        if op.path.startswith(".store/"):
            path = f"{OUT}/{op.path}"
            if isinstance(op, Mkdir):
                fs = fs.with_dir(path)
            elif isinstance(op, Link):
                fs = fs.with_link(path, op.target)
            elif isinstance(op, Write):
                fs = fs.with_file(path, op.data, op.mode)
            else:
                fs = fs.with_file(path, b"\x7fELF", 0o755)
    return fs


@pytest.mark.real
@pytest.mark.parametrize(("interp", "variant"), _bounded(["v2", "v3"]))
def test_wrapper_path_puts_another_python3_first(scratch: str, interp: Interpreter,
                                                 variant: str) -> None:
    """Section 10, F-d3: makeWrapperArgs '--prefix PATH : ${python}/bin', the environment's
    python3 run through PATH: argv[0] 'python3' is looked up on the wrapper's PATH (by
    resolve_argv0 in V3, by CPython in V2), finds the store python first, and the
    environment's packages are missing; run by its path it is fine."""
    _upstream_site(interp)
    env = _env(scratch, interp, variant, store_first=True)
    done = subprocess.run(["python3", "-c", REPORT], env={"PATH": f"{env}/bin:/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=60, cwd="/")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["prefix"] != env and found["foo"] is False
    assert _report([_py(env, interp), "-c", REPORT])["foo"] is True


@pytest.mark.real
@pytest.mark.parametrize(("interp", "variant"), _bounded(["classic"]))
def test_classic_with_shell_wrappers(scratch: str, interp: Interpreter, variant: str) -> None:
    """The pre-2022 dialect behaves as the binary one (section 8, V0 column): the env's
    python looks like a venv with its packages, the console script works."""
    bash = shutil.which("bash")
    require_oracle(bash is not None, "no bash here")
    target = f"{scratch}/{interpreter_id(interp)}-classic-shell"
    base = nixbuild.base_python(interp.path)
    assert bash is not None
    _package(f"{target}-foo", interp, store_python(target, base), bash)
    built = nixbuild.build(target, interp.path, [(f"{target}-foo", 5)], "nix-classic",
                           wrapper="shell")
    assert not any(isinstance(op, CWrapper) for op in built.ops)
    with open(_py(target, interp), "rb") as handle:
        assert handle.read(2) == b"#!"
    found = _report([_py(target, interp), "-c", REPORT])
    assert found["prefix"] == target != found["base_prefix"] and found["foo"] is True
    assert _report([f"{target}/bin/foo"])["prefix"] == target


@pytest.mark.real
@pytest.mark.parametrize(("interp", "variant"), _bounded(["classic", "297628"]))
def test_isolated_venv_is_inert_too(scratch: str, interp: Interpreter, variant: str) -> None:
    """Section 8, 'same without --system-site-packages': classic's venv is inert and still
    sees the environment's packages (its sitecustomize adds them); #297628's is inert."""
    env = _env(scratch, interp, variant)
    venv = f"{env}-isolated-venv"
    done = _run([_py(env, interp), "-m", "venv", "--without-pip", venv])
    assert done.returncode == 0, done.stderr
    inside = _report([f"{venv}/bin/python", "-c", REPORT])
    assert inside["prefix"] == env
    if variant == "classic":
        assert inside["foo"] is True


@pytest.mark.real
def test_cached_wrappers_are_the_compiled_ones(scratch: str) -> None:
    """The same environment built through build env's registry (the writer compiles each
    CWrapper) and through nixbuild (copies from the cache of compiled wrappers) has the same
    bytes in every bin entry."""
    from prefixlab.impl.builders.env import build_env
    found = [i for i in INTERPRETERS if i.source == "pyenv"] or list(INTERPRETERS)
    require_oracle(bool(found), "no interpreter here")
    require_oracle(cwrapper.compiler() is not None, "no C compiler here")
    package = f"{scratch}/same-package"
    os.makedirs(f"{package}/bin", exist_ok=True)
    _write(f"{package}/bin/tool", SHELL_TOOL)
    target = f"{scratch}/same-env"

    def entries() -> dict[str, bytes]:
        out = {}
        for name in sorted(os.listdir(f"{target}/bin")):
            path = f"{target}/bin/{name}"
            if os.path.islink(path):
                out[name] = os.readlink(path).encode()
            else:
                with open(path, "rb") as handle:
                    out[name] = handle.read()
        return out
    built = nixbuild.build(target, found[-1].path, [(package, 5)], "nix-resolve-argv0")
    assert any(isinstance(op, Copy) and op.source.startswith(interpreters.cache_dir())
               for op in built.ops)
    cached = entries()
    build_env(target, found[-1].path, [package], flavor="nix-resolve-argv0", force=True)
    assert entries() == cached


F_B1 = {  # prefixlab's F-b1 (pretalx's NameError: #302315): what the unwrapped script fails with
    "IndentationError": b"#!/usr/bin/env python\nimport os, \\\n    sys\nprint(os, sys)\n",
    "SyntaxError": b'#!/usr/bin/env python\nR"""doc\nmore\n"""\nimport os\nprint(os)\n',
    "NameError": b"#!/usr/bin/env python\nimport os\nimport sys\nprint(os.sep)\n",
}


@pytest.mark.real
@pytest.mark.parametrize("error", sorted(F_B1))
def test_unwrapped_shapes_fail_with_the_known_error(scratch: str, error: str) -> None:
    """Each F-b1 shape, put through wrapPythonPrograms and #297628's line-3 unwrapping, run
    by the newest interpreter here: the error class CPython's parser gives the damaged code."""
    found = sorted(INTERPRETERS, key=lambda i: i.version or ())
    require_oracle(bool(found), "no interpreter here")
    python = found[-1].real_path
    wrapped = nixwrap.wrap_python_programs(F_B1[error], nixwrap.NixWrap(executable=python))
    assert wrapped is not None
    path = f"{scratch}/unwrapped-{error}"
    _write(path, unwrapped_script(os.path.dirname(os.path.dirname(python)), BASE,
                                  wrapped.text).split(b"\n", 1)[1])
    done = _run([python, path])
    assert done.returncode != 0 and f"{error}:" in done.stderr, done.stderr
    # the same script as wrapPythonPrograms left it runs
    _write(path, wrapped.text)
    assert _run([python, path]).returncode == 0


@pytest.mark.real
@pytest.mark.parametrize(("interp", "variant"), _bounded(["v2", "v3"]))
def test_empty_path_entry(scratch: str, interp: Interpreter, variant: str) -> None:
    """Section 10, F-d7: argv[0] 'python3', PATH ':/usr/bin:/bin', run from the environment's
    bin.  resolve_argv0's strtok skips the empty entry and takes /usr/bin's python3 (V3: the
    environment is lost).  CPython's own search (V2) takes the empty entry as the working
    directory: 3.8-3.10 find the environment; 3.11+ keep the relative 'python3' and stop
    with "error evaluating path" (NotADirectoryError reading 'python3/pybuilddir.txt', as
    prefixlab's start-up model predicts too)."""
    _upstream_site(interp)
    require_oracle(os.access("/usr/bin/python3", os.X_OK), "no /usr/bin/python3 here")
    env = _env(scratch, interp, variant)
    done = subprocess.run(["python3", "-c", REPORT], executable=_py(env, interp),
                          env={"PATH": ":/usr/bin:/bin"}, cwd=f"{env}/bin",
                          capture_output=True, text=True, timeout=60)
    if variant == "v2" and (interp.version or (0, 0, 0)) >= (3, 11, 0):
        assert done.returncode != 0 and "error evaluating path" in done.stderr, done.stderr
        return
    found = json.loads(done.stdout.strip().splitlines()[-1])
    if variant == "v2":
        assert found["prefix"] == env and found["foo"] is True
    else:
        assert found["prefix"] != env and found["foo"] is False
