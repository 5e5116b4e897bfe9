"""Start-up scenarios whose expected values come from an oracle independent of the model.

A scenario is data: a filesystem, the build constants of the interpreter binaries in it, a
command to start, and, for each CPython version that asserts something about it, the values
asserted.  :mod:`scenarios.cpython_test_getpath` holds CPython's own ``test_getpath`` POSIX
cases re-expressed this way; ``tests/model/startup/test_getpath_scenarios.py`` runs every (scenario,
version) pair through :func:`prefixlab.model.startup.predict.predict`.

The vocabulary follows what CPython's test mock can say about a filesystem (files with their
lines, executable files, directories, links) so that a transcription can be checked line by
line against the test it comes from; :meth:`Scenario.layout` turns it into a real
:class:`~prefixlab.model.world.fs.Layout`, where a path is exactly one of file, directory or link
(the mock allows a path to be an "executable file" and a link at once; the link wins here,
and the kernel's stat follows it, which answers the mock's questions the same way).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from prefixlab.model.world.build import BuildConstants, Version
from prefixlab.model.world.fs import Layout
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.world import World

SENTINEL_VERSION: Version = (9, 8, 0)
"""CPython's getpath tests build with VERSION_MAJOR=9, VERSION_MINOR=8 so that nothing of the
host interpreter can pass for an expected value (lib/python9.8, python98.zip, python9)."""

MOCK_CWD = "/Absolute"
"""The test mock's abspath() joins relative paths to /Absolute: the working directory."""


@dataclass(frozen=True)
class Build:
    """The compiled-in constants a scenario's interpreter binaries share (the mock's
    PREFIX, EXEC_PREFIX, PLATLIBDIR, VPATH, PYTHONPATH; an unset one is the empty string, as
    there)."""

    prefix: str = ""
    exec_prefix: str = ""
    platlibdir: str = "lib"
    vpath: str = ""
    pythonpath: str = ""
    """The compiled PYTHONPATH macro (the mock's PYTHONPATH global)."""

    def constants(self) -> BuildConstants:
        return BuildConstants(version=SENTINEL_VERSION, prefix=self.prefix,
                              exec_prefix=self.exec_prefix, platlibdir=self.platlibdir,
                              vpath=self.vpath, pythonpath=self.pythonpath)


@dataclass(frozen=True)
class Run:
    """What one CPython version asserts about a scenario."""

    version: Version
    """The release whose behaviour row runs the scenario (``behaviour_for(version)``)."""
    source: str
    """Which test file asserts ``expected``: version(s), file and test name."""
    expected: Mapping[str, object]
    """The asserted values, key for key as the test writes them."""

    @property
    def label(self) -> str:
        return "%d.%d.%d" % self.version


@dataclass(frozen=True)
class Scenario:
    name: str
    """The CPython test it transcribes."""
    summary: str
    """What it checks, in our words."""
    build: Build
    interpreters: tuple[str, ...]
    """Physical paths of the binaries that are this build (what the kernel may execute)."""
    program: str
    """What is executed: a path, or a bare name looked up on PATH."""
    argv0: str
    runs: tuple[Run, ...]
    executables: tuple[str, ...] = ()
    """Regular files with mode 0o755 (unless the same path is a link)."""
    files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Regular files (mode 0o644) and their lines."""
    dirs: tuple[str, ...] = ()
    links: Mapping[str, str] = field(default_factory=dict)
    """Symbolic links, target verbatim."""
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str = MOCK_CWD
    mock_notes: tuple[str, ...] = ()
    """Where CPython's mock and a real filesystem differ for this scenario, and how the
    transcription deals with it."""
    oracle: Literal["asserted", "observed"] = "asserted"
    """asserted: the expected values are copied from a CPython test's assertions.
    observed: they are what that version's own Modules/getpath.py computes when run under
    CPython's test mock on this scenario (CPython's code as the oracle, no test asserts them)."""
    not_startable: str = ""
    """Why no command can reproduce the scenario (it presets a PyConfig field that only an
    embedding application can set); such a scenario is data only, and its runs are skipped."""

    def layout(self) -> Layout:
        layout = Layout().with_dir(self.cwd)
        for path in self.dirs:
            layout = layout.with_dir(path)
        for path, lines in self.files.items():
            layout = layout.with_file(path, "".join(f"{line}\n" for line in lines).encode())
        for path in self.executables:
            if path not in self.links:
                layout = layout.with_file(path, b"\x7fELF", mode=0o755)
        for path, target in self.links.items():
            layout = layout.with_link(path, target)
        return layout

    def world(self) -> World:
        build = self.build.constants()
        return World(self.layout(), {path: build for path in self.interpreters})

    def invocation(self) -> Invocation:
        # -S: CPython's test_getpath checks getpath's own answer, before site.py runs (site
        # would make a venv the prefix in 3.8-3.13).
        return Invocation.make(self.program, ["-S"], argv0=self.argv0, env=dict(self.env),
                               cwd=self.cwd)


__all__ = ["MOCK_CWD", "SENTINEL_VERSION", "Build", "Run", "Scenario"]
