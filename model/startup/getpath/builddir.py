"""Stage: CHECK FOR BUILD DIRECTORY (getpath.py, 3.11+).

A ``pybuilddir.txt`` or ``Modules/Setup.local`` next to the real executable means "running
from a CPython build tree": the stdlib comes from the source tree's Lib/ and, after the search
path is built, prefix and exec_prefix are reset to the compiled-in values.
"""

from __future__ import annotations

from prefixlab.model.paths import getpath as h
from prefixlab.model.startup.getpath.context import Calc
from prefixlab.model.startup.getpath.venv import exception_name, getpath_error
from prefixlab.model.world.kernel import Errno
from prefixlab.model.trace import rule

BUILDDIR_TXT = "pybuilddir.txt"
BUILD_LANDMARK = "Modules/Setup.local"

R_BUILD_TXT = rule(
    "builddir.pybuilddir", "builddir",
    "pybuilddir.txt is next to the real executable: this is a build tree; its first line "
    "names the extension-module directory.",
    "getpath.py 'CHECK FOR BUILD DIRECTORY' (3.11+); getpath.c calculate_pybuilddir (3.8-3.10)")
R_BUILD_LANDMARK = rule(
    "builddir.setup-local", "builddir",
    "Modules/Setup.local is next to the real executable: this is a build tree.",
    "getpath.py BUILD_LANDMARK (3.11+); getpath.c search_for_prefix (3.8-3.10)")
R_BUILD_STDLIB = rule(
    "builddir.stdlib", "builddir",
    "In a build tree the stdlib is the source tree's Lib/, found by searching up for "
    "Lib/os.py from the build prefix (real executable dir + VPATH).",
    "getpath.py BUILDSTDLIB_LANDMARKS")


def check(calc: Calc) -> None:
    directory = calc.real_executable_dir
    if calc.home_was_set or not directory:
        return
    vpath = calc.inputs.build.vpath
    txt = h.joinpath(directory, BUILDDIR_TXT)
    try:
        lines = calc.readlines(txt)
    except h.TooLarge:
        raise getpath_error(calc, "MemoryError: {file!r} is 32 KiB or larger", file=txt)
    if isinstance(lines, Errno):  # getpath.py's except clause
        if exception_name(lines) not in ("FileNotFoundError", "PermissionError"):
            raise getpath_error(calc, "{exception} reading {file!r}",
                                exception=exception_name(lines), file=txt)
        if calc.isfile(h.joinpath(directory, BUILD_LANDMARK)):
            calc.build_prefix = h.joinpath(directory, vpath)
            calc.step(R_BUILD_LANDMARK, "in {directory!r}", directory=directory)
    else:
        if lines:
            calc.platstdlib_dir = h.joinpath(directory, lines[0])
        else:
            calc.platstdlib_dir = directory
        calc.build_prefix = h.joinpath(directory, vpath)
        calc.step(R_BUILD_TXT, "{file!r}: extension modules in {platstdlib_dir!r}", file=txt,
                  platstdlib_dir=calc.platstdlib_dir)
    if not calc.build_prefix:
        return
    stdlib_prefix = calc.search_up(calc.build_prefix, "Lib/os.py")
    calc.stdlib_dir = h.joinpath(stdlib_prefix or calc.build_prefix, "Lib")
    if not calc.prefix:
        calc.prefix = stdlib_prefix
    if not calc.exec_prefix:
        calc.exec_prefix = calc.build_prefix
    calc.step(R_BUILD_STDLIB, "stdlib {stdlib_dir!r}", stdlib_dir=calc.stdlib_dir)
