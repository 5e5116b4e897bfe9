"""A CPython binary whose libpython the dynamic loader finds nowhere (BuildConstants.
missing_library) never starts: ld.so writes '<argv[0]>: error while loading shared
libraries: <name>: cannot open shared object file: No such file or directory' and exits with
status 127 (ld.so(8); glibc's fatal_error names the library and _dl_argv[0]).  The real
copies are checked in tests/impl/host/test_venv_copies.py; these are the model's values."""

from __future__ import annotations

from prefixlab.model.startup.predict import predict
from prefixlab.model.world import World
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.fs import Layout
from prefixlab.model.world.invocation import Invocation

COPY = "/env/bin/python"
NAME = "libpython3.12.so.1.0"
BUILD = BuildConstants(version=(3, 12, 1), prefix="/opt/py", exec_prefix="/opt/py",
                       shared=True, missing_library=NAME)
LAYOUT = (Layout({})
          .with_file(COPY, b"\x7fELF copied binary", 0o755)
          .with_file("/usr/bin/env", b"\x7fELF env", 0o755)
          .with_file("/env/pyvenv.cfg", b"home = /opt/py/bin\n"))
WORLD = World(LAYOUT, {COPY: BUILD})


def test_the_loader_failure_is_predicted() -> None:
    outcome = predict(WORLD, Invocation.make(COPY, ["-c", "pass"], env={}, cwd="/"))
    assert outcome.status == "startup-failed" and outcome.error is not None
    assert outcome.error.kind == "library-not-found"
    assert outcome.error.message == (f"{COPY}: error while loading shared libraries: {NAME}: "
                                     "cannot open shared object file: No such file or "
                                     "directory")
    assert outcome.prefix is None and outcome.path == () and outcome.install is None
    assert [step.rule.id for step in outcome.trace.steps] == ["exec.library-missing"]


def test_the_message_names_argv0() -> None:
    outcome = predict(WORLD, Invocation.make(COPY, argv0="myname", env={}, cwd="/"))
    assert outcome.error is not None
    assert outcome.error.message.startswith(f"myname: error while loading shared libraries: "
                                            f"{NAME}:")


def test_through_env_the_failure_is_the_copy_s() -> None:
    """env's execvp succeeds; the process it became exits 127: the same failure."""
    outcome = predict(WORLD, Invocation.make("/usr/bin/env", [COPY], env={}, cwd="/"))
    assert outcome.status == "startup-failed" and outcome.error is not None
    assert outcome.error.kind == "library-not-found"
    assert [step.rule.id for step in outcome.trace.steps] == ["chain.env",
                                                              "exec.library-missing"]


def test_ld_library_path_is_not_guessed() -> None:
    """LD_LIBRARY_PATH comes before the run path in the loader's search: not modelled."""
    outcome = predict(WORLD, Invocation.make(COPY, env={"LD_LIBRARY_PATH": "/opt/py/lib"},
                                             cwd="/"))
    assert outcome.status == "not-modelled" and outcome.error is not None
    assert outcome.error.kind == "library-path"
    empty = predict(WORLD, Invocation.make(COPY, env={"LD_LIBRARY_PATH": ""}, cwd="/"))
    assert empty.status == "startup-failed"  # an empty value names no directory


def test_a_build_that_loads_starts() -> None:
    loads = World(LAYOUT, {COPY: BuildConstants(version=(3, 12, 1), prefix="/opt/py",
                                                exec_prefix="/opt/py", shared=True)})
    outcome = predict(loads, Invocation.make(COPY, env={}, cwd="/"))
    assert not (outcome.error is not None and outcome.error.kind == "library-not-found")
    assert outcome.trace.steps[0].rule.id == "exec.interpreter"
