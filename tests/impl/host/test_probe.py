"""The probe against layouts built by hand, whose start-up values are known by construction
(an install is where its binary and stdlib were put) or documented in
CPython's sources (named in each test: Modules/getpath.c for 3.8-3.10, Modules/getpath.py
and getpath.c for 3.11+) and observed on real 3.8-3.13 interpreters.

Each layout: <tmp>/inst/bin/python3.X (a hard link to, or copy of, a real binary) and
<tmp>/inst/lib/python3.X/ holding links to the real stdlib's children, so the interpreter
finds its landmarks (os.py, lib-dynload) under <tmp>/inst.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import in_scope_interpreters, interpreter_id

from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.probe import PROBE_CODE, probe, probe_argv
from prefixlab.model.world.invocation import Invocation

INTERPRETERS = in_scope_interpreters()


@dataclass(frozen=True)
class Install:
    root: str
    """The temporary directory (physical)."""
    inst: str
    name: str
    """The binary's file name, python3.X."""
    interp: Interpreter

    @property
    def binary(self) -> str:
        return f"{self.inst}/bin/{self.name}"

    @property
    def short(self) -> str:
        assert self.interp.version
        return "%d%d" % self.interp.version[:2]


def _install(interp: Interpreter, root: str, inst_name: str = "inst") -> Install:
    constants = interp.constants
    assert constants is not None and interp.version is not None
    name = os.path.basename(interp.real_path)
    inst = f"{root}/{inst_name}"
    os.makedirs(f"{inst}/bin")
    try:
        os.link(interp.real_path, f"{inst}/bin/{name}")
    except OSError:
        shutil.copy2(interp.real_path, f"{inst}/bin/{name}")
    short = "%d.%d" % interp.version[:2]
    real_stdlib = f"{constants.prefix}/{constants.stdlib_subdir}"
    stdlib = f"{inst}/{constants.platlibdir}/python{short}{constants.abi_thread}"
    os.makedirs(stdlib)
    for child in os.listdir(real_stdlib):
        os.symlink(f"{real_stdlib}/{child}", f"{stdlib}/{child}")
    return Install(root, inst, name, interp)


@pytest.fixture(scope="module", params=INTERPRETERS, ids=interpreter_id)
def install(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Install:
    """One install per interpreter, shared by this module's tests (which only add to it,
    each in its own scratch directory)."""
    interp: Interpreter = request.param
    return _install(interp, os.path.realpath(tmp_path_factory.mktemp("probe")))


def _scratch(install: Install, prefix: str = "t") -> str:
    """A new directory beside inst/ (so '../inst' reaches the install)."""
    return tempfile.mkdtemp(prefix=prefix, dir=install.root)


def _at_least(install: Install, minor: int) -> bool:
    assert install.interp.version is not None
    return install.interp.version[:2] >= (3, minor)


# -- by construction --------------------------------------------------------------------------
@pytest.mark.real
def test_absolute_start(install: Install) -> None:
    out = probe(Invocation.make(install.binary, ["-S"], cwd=install.root))
    inst, version = install.inst, install.interp.version
    assert out.status == "ok", out
    assert version is not None and out.version == "%d.%d.%d" % version
    assert out.executable == out.base_executable == install.binary
    assert out.prefix == out.base_prefix == out.exec_prefix == out.base_exec_prefix == inst
    stdlib = f"{inst}/lib/python{install.short[0]}.{install.short[1:]}"
    # sys.path with -S -c: '' (Modules/main.c pymain_run_python) then zip, stdlib,
    # lib-dynload (getpath)
    assert out.path == ("", f"{inst}/lib/python{install.short}.zip", stdlib,
                        f"{stdlib}/lib-dynload")
    assert out.warnings == () and out.error is None and out.trace.steps == ()


@pytest.mark.real
def test_relative_argv0_from_a_subdirectory(install: Install) -> None:
    """getpath.c copy_absolute (3.8-3.10), getpath.py abspath (3.11+): '../i/bin/pyX' from
    sub/ gives '/…/sub/../i/bin/pyX' and prefix '/…/sub/../i'
    on every version (3.8-3.10 never normalise; 3.11+ normalise before joining the cwd)."""
    sub = _scratch(install, "sub")
    relative = f"../inst/bin/{install.name}"
    out = probe(Invocation.make(relative, ["-S"], cwd=sub))
    assert out.status == "ok", out
    assert out.executable == f"{sub}/{relative}"
    assert out.prefix == out.exec_prefix == f"{sub}/../inst"


@pytest.mark.real
def test_dot_and_double_slash_in_argv0(install: Install) -> None:
    """getpath.c copy_absolute, getpath.py abspath: './i//bin/./pyX' is kept verbatim (after
    the cwd) by 3.8-3.10, normalised by 3.11+."""
    out = probe(Invocation.make(f"./inst//bin/./{install.name}", ["-S"], cwd=install.root))
    assert out.status == "ok", out
    if _at_least(install, 11):
        assert out.executable == install.binary
    else:
        assert out.executable == f"{install.root}/inst//bin/./{install.name}"


@pytest.mark.real
def test_relative_path_entry(install: Install) -> None:
    """getpath.py's PATH search (not made absolute, 3.11+), getpath.c calculate_which then
    copy_absolute (3.8-3.10): a relative PATH hit stays relative on 3.11+ (and so does the
    prefix); 3.8-3.10 make it absolute."""
    out = probe(Invocation.make(install.name, ["-S"], env={"PATH": "inst/bin"},
                                cwd=install.root))
    assert out.status == "ok", out
    if _at_least(install, 11):
        assert (out.executable, out.prefix) == (f"inst/bin/{install.name}", "inst")
    else:
        assert (out.executable, out.prefix) == (install.binary, install.inst)


@pytest.mark.real
def test_non_utf8_directory_names_round_trip(install: Install) -> None:
    weird = _scratch(install, os.fsdecode(b"caf\xe9-\xff"))
    assert "\udce9" in weird  # an undecodable byte, held as a surrogate escape
    other = _install(install.interp, weird)
    out = probe(Invocation.make(other.binary, ["-S"], cwd=weird))
    assert out.status == "ok", out
    assert out.executable == other.binary and out.prefix == other.inst
    assert f"{other.inst}/lib/python{install.short}.zip" in out.path


@pytest.mark.real
def test_40_links(install: Install) -> None:
    """getpath.c resolve_symlinks (3.9-3.10), getpath_realpath (3.11+), calculate_argv0_path
    (3.8): a chain of 40 links (the kernel executes it) is fine on 3.8, fatal on 3.9-3.10,
    a warning on 3.11+ (which then falls back to the compiled prefix)."""
    chain = _scratch(install, "chain")
    target = f"../inst/bin/{install.name}"
    for n in range(40):
        os.symlink(target, f"{chain}/l{n}")
        target = f"l{n}"
    out = probe(Invocation.make(f"{chain}/l39", ["-S"], cwd=install.root))
    if not _at_least(install, 9):
        assert out.status == "ok" and out.warnings == ()
        assert out.prefix == f"{chain}/../inst"  # links joined by string concatenation
    elif not _at_least(install, 11):
        assert out.status == "startup-failed" and out.error is not None
        assert out.error.kind == "symlink-limit" and out.version is None
        assert out.error.message.startswith("Fatal Python error: ")
    else:
        assert out.status == "ok"
        assert out.warnings == (f"Failed to find real location of {chain}/l39",)


# -- failed starts ----------------------------------------------------------------------------
@pytest.mark.real
def test_missing_stdlib(install: Install) -> None:
    """getpath.py's prefix search (3.11+) and getpath.c's (3.8-3.10), then
    Python/pylifecycle.c: no stdlib -> the path configuration dump, then init_fs_encoding is
    fatal (3.8-3.12); 3.13 fails earlier, importing encodings, without the dump (seen here)."""
    out = probe(Invocation.make(install.binary, ["-S"], env={"PYTHONHOME": "/nonexistent"}))
    assert out.status == "startup-failed" and out.error is not None, out
    assert out.error.kind == "stdlib-not-found"
    if _at_least(install, 13):
        assert out.error.message == "Fatal Python error: Failed to import encodings module"
    else:
        assert out.error.message.startswith("Fatal Python error: init_fs_encoding")
    assert out.warnings == ()  # the dump is part of the failure report
    assert out.prefix is None and out.path == () and out.version is None


@pytest.mark.real
def test_warnings_before_a_failed_start(install: Install) -> None:
    """3.11+ warn about a 40-link chain and go on (getpath.py: "Failed to find real
    location of ..." after getpath_realpath's OSError); with no stdlib the start then
    fails, and the warning is kept apart from the failure report.  3.9-3.10 abort at the
    40th link instead, and 3.8 (no limit) just fails for want of a stdlib, without warning."""
    chain = _scratch(install, "chain")
    link = f"{chain}/l0"
    os.symlink(install.binary, link)
    for n in range(1, 40):
        os.symlink(f"l{n - 1}", f"{chain}/l{n}")
        link = f"{chain}/l{n}"
    out = probe(Invocation.make(link, ["-S"], env={"PYTHONHOME": "/nonexistent"}))
    assert out.status == "startup-failed" and out.error is not None, out
    if _at_least(install, 11):
        assert out.error.kind == "stdlib-not-found"
        assert out.warnings == (f"Failed to find real location of {link}",)
    elif _at_least(install, 9):
        assert out.error.kind == "symlink-limit"
        assert out.warnings == ()
    else:
        assert out.error.kind == "stdlib-not-found"
        assert out.warnings == ()


@pytest.mark.real
def test_usage_errors(install: Install) -> None:
    for args, message in ((["-Z"], "Unknown option: -Z"),
                          (["-S", "-c"], "Argument expected for the -c option")):
        out = probe(Invocation.make(install.binary, args))
        assert out.status == "startup-failed" and out.error is not None, out
        assert (out.error.kind, out.error.message) == ("usage", message)
        assert out.warnings == ()


@pytest.mark.real
def test_command_forms(install: Install) -> None:
    """-c CMD, -cCMD, -Sc CMD and no command at all all start the same interpreter; what
    is written to stderr after the probe ran (-i's prompt) is not a start-up warning."""
    expected = probe(Invocation.make(install.binary, ["-S"]))
    for args in (["-S", "-c", "raise SystemExit(3)"], ["-ScX"], ["-S", "-c", "pass", "arg"],
                 ["-S", "-"], ["-S", "--"], ["-S", "-W", "default"], ["-SWdefault"],
                 ["-S", "-i"]):
        out = probe(Invocation.make(install.binary, args))
        assert (out.status, out.executable, out.path, out.warnings) == (
            expected.status, expected.executable, expected.path, ()), args


@pytest.mark.real
def test_path_search_is_execvp(install: Install) -> None:
    """glibc execvp: ENOENT and ENOTDIR entries are skipped, EACCES is remembered, a
    link loop ends the search (subprocess's own search would go on to the next entry)."""
    root, name = _scratch(install), install.name
    os.mkdir(f"{root}/loops")
    os.symlink(name, f"{root}/loops/{name}")
    Path(f"{root}/file").write_text("")
    os.mkdir(f"{root}/noexec")
    Path(f"{root}/noexec/{name}").write_text("")
    found = probe(Invocation.make(
        name, ["-S"], env={"PATH": f"/nonexistent:{root}/file:{root}/noexec:{install.inst}/bin"}))
    assert found.status == "ok" and found.prefix == install.inst, found
    denied = probe(Invocation.make(name, ["-S"], env={"PATH": f"{root}/noexec:/nonexistent"}))
    assert denied.error is not None and denied.error.kind == "EACCES"
    looped = probe(Invocation.make(name, ["-S"],
                                   env={"PATH": f"{root}/loops:{install.inst}/bin"}))
    assert looped.status == "exec-failed" and looped.error is not None
    assert looped.error.kind == "ELOOP"


@pytest.mark.real
def test_path_unset_means_bin_and_usr_bin(install: Install) -> None:
    out = probe(Invocation.make(install.name, ["-S"], env={}))
    on_default_path = any(os.access(f"{d}/{install.name}", os.X_OK) for d in ("/bin", "/usr/bin"))
    if on_default_path:
        assert out.status == "ok", out
    else:
        assert out.status == "exec-failed" and out.error is not None
        assert out.error.kind == "ENOENT"


# -- without an interpreter -------------------------------------------------------------------
def test_exec_failures(tmp_path: Path) -> None:
    root = os.path.realpath(tmp_path)
    Path(f"{root}/plain").write_text("")
    os.symlink("loop", f"{root}/loop")
    cases = {f"{root}/missing": "ENOENT", f"{root}/plain": "EACCES",
             f"{root}/plain/python3": "ENOTDIR", f"{root}/loop": "ELOOP", root: "EACCES"}
    for program, kind in cases.items():
        out = probe(Invocation.make(program, ["-S"]))
        assert out.status == "exec-failed" and out.error is not None, program
        assert out.error.kind == kind, (program, out.error)
        assert out.version is None and out.warnings == ()


def test_bad_cwd(tmp_path: Path) -> None:
    out = probe(Invocation.make("/bin/true", [], cwd=f"{tmp_path}/missing"))
    assert out.status == "exec-failed" and out.error is not None
    assert out.error.kind == "bad-cwd"


def test_not_python_at_all(tmp_path: Path) -> None:
    true = shutil.which("true")
    if true is None:
        pytest.skip("no true(1) here")
    out = probe(Invocation.make(true, []))
    assert out.status == "startup-failed" and out.error is not None
    assert out.error.kind == "unknown" and "exit status 0" in out.error.message


def test_hang_is_reported(tmp_path: Path) -> None:
    slow = tmp_path / "python3"
    slow.write_text("#!/bin/sh\nexec sleep 5\n")
    slow.chmod(0o755)
    out = probe(Invocation.make(str(slow), ["-S"], env={"PATH": "/usr/bin:/bin"}), timeout=0.3)
    assert out.status == "startup-failed" and out.error is not None
    assert out.error.kind == "hang"


@pytest.mark.parametrize("args", [["-m", "json.tool"], ["script.py"], ["-S", "--", "x.py"],
                                  ["-Sm", "json"]])
def test_module_and_script_are_not_probed(args: list[str]) -> None:
    out = probe(Invocation.make("/nonexistent/python3", args))
    assert out.status == "not-modelled" and out.error is not None
    assert out.error.kind == "probe-unsupported"


def test_unrunnable_invocations_are_reported() -> None:
    for invocation in (Invocation("/bin/true", ()),
                       Invocation.make("/bin/true", ["-W", "a\0b"]),
                       Invocation.make("/bin/true", [], env={"A": "a\0b"})):
        out = probe(invocation)
        assert out.status == "not-modelled" and out.error is not None
        assert out.error.kind == "probe-unsupported" and "\n" not in out.error.message


def test_probe_argv_forms() -> None:
    P = PROBE_CODE
    assert probe_argv(("py",)) == ("py", "-c", P)
    assert probe_argv(("py", "-S", "-c", "x", "a")) == ("py", "-S", "-c", P, "a")
    assert probe_argv(("py", "-Sc", "x")) == ("py", "-Sc", P)
    assert probe_argv(("py", "-Scx")) == ("py", "-Sc" + P)
    assert probe_argv(("py", "-X", "utf8", "-I")) == ("py", "-X", "utf8", "-I", "-c", P)
    assert probe_argv(("py", "-Xutf8")) == ("py", "-Xutf8", "-c", P)
    assert probe_argv(("py", "-S", "-")) == ("py", "-S", "-c", P, "-")
    assert probe_argv(("py", "--", "-")) == ("py", "-c", P, "--", "-")
    assert probe_argv(("py", "-c")) == ("py", "-c")  # usage error kept
    assert probe_argv(("py", "-W")) == ("py", "-W")
    assert probe_argv(("py", "--check-hash-based-pycs", "always")) == (
        "py", "--check-hash-based-pycs", "always", "-c", P)
