"""Stage: CALCULATE base_executable, real_executable AND executable_dir (getpath.py, 3.11+)."""

from __future__ import annotations

from prefixlab.model.paths import getpath as h
from prefixlab.model.startup.getpath.context import Calc
from prefixlab.model.trace import rule

R_BASE_IS_EXE = rule(
    "base_executable.same", "base_executable",
    "Not a venv (for getpath): the base executable is the executable itself.",
    "getpath.py 'if not base_executable' (3.11+); pathconfig.c copies executable (3.8-3.10)")
R_REAL_EXE = rule(
    "real_executable.realpath", "base_executable",
    "The real executable is the base executable with its final-component link chain "
    "followed; its directory is where build and ._pth markers are looked for and, unless "
    "pyvenv.cfg gave a home, where the prefix search starts.",
    "getpath.py real_executable = realpath(real_executable); getpath.c getpath_realpath "
    "(lexical joins, 40 links)")
R_REAL_EXE_FAILED = rule(
    "real_executable.link-limit", "base_executable",
    "Following the links reached 40: a warning, and the unresolved path is kept.",
    "getpath.py 'Failed to find real location of ...' (3.11+; only if the file exists)")


def calculate(calc: Calc) -> None:
    if not calc.base_executable:
        calc.base_executable = calc.executable or calc.real_executable or ""
        calc.step(R_BASE_IS_EXE, "base executable = {base_executable!r}",
                  base_executable=calc.base_executable)
    if not calc.real_executable:
        calc.real_executable = calc.base_executable
    if calc.real_executable:
        try:
            resolved = calc.realpath(calc.real_executable)
            calc.step(R_REAL_EXE, "{executable!r} -> {real_executable!r}",
                      executable=calc.real_executable, real_executable=resolved)
            calc.real_executable = resolved
        except h.LinkLimit:
            if calc.isfile(calc.real_executable):
                named = (calc.real_executable if calc.ask("realpath_warning_names_real")
                         else calc.base_executable)
                calc.warn(f"Failed to find real location of {named}")
                calc.step(R_REAL_EXE_FAILED, "{real_executable!r} kept", versioned=True,
                          real_executable=calc.real_executable)
    if not calc.executable_dir and calc.real_executable:
        calc.executable_dir = calc.real_executable_dir = calc.dirname(calc.real_executable)
    if not calc.real_executable_dir and calc.real_executable:
        calc.real_executable_dir = calc.dirname(calc.real_executable)
