"""The getpath stages, in CPython's order and with CPython's names.

Two arrangements of the same stages: 3.11+ run the frozen Modules/getpath.py (program name,
executable, home, pyvenv.cfg, base/real executable, ._pth, build directory, prefixes, search
path); 3.8-3.10 run Modules/getpath.c, which follows the executable's links *before* reading
pyvenv.cfg and searches for the stdlib directory itself rather than the prefix.
"""

from __future__ import annotations

from collections.abc import Callable

from prefixlab.model.world.build import Arrangement
from prefixlab.model.startup.getpath import (
    base_executable,
    builddir,
    executable,
    home,
    prefix,
    pth,
    searchpath,
    venv,
)
from prefixlab.model.startup.getpath.context import Calc, Inputs, StartupFailed
from prefixlab.model.world.kernel import Resolver


def _warn_home_c(calc: Calc) -> None:
    """getpath.c calculate_path: one hint after both searches if either failed."""
    if calc.prefix_found == 0 or calc.exec_prefix_found == 0:
        calc.warn(prefix.WARN_HOME)


Stage = Callable[[Calc], None]

ARRANGEMENTS: dict[Arrangement, tuple[Stage, ...]] = {
    "py-getpath": (
        executable.program_name,
        executable.executable,
        executable.launcher_variables,
        home.home,
        venv.read_pyvenv_cfg,
        base_executable.calculate,
        pth.detect,
        builddir.check,
        prefix.calculate,
        venv.apply_venv_prefix,
        searchpath.build,
        pth.apply,
    ),
    "c-getpath": (
        executable.program_name,
        executable.calculate_program,
        executable.calculate_argv0_path,
        home.home,
        venv.calculate_read_pyenv,
        prefix.search_for_prefix,
        prefix.search_for_exec_prefix,
        _warn_home_c,
        searchpath.build_c,
        prefix.set_prefixes_c,
    ),
}


def run(inputs: Inputs, resolver: Resolver | None = None) -> Calc:
    """Run every stage of the row's arrangement; raises StartupFailed (with the partial
    calculation attached as ``calc``) when start-up would abort.  ``resolver`` may be one
    already used on the same filesystem value (its memory of resolved prefixes is kept)."""
    calc = Calc(inputs, use_environment=inputs.config.use_environment,
                isolated=inputs.config.isolated, site_import=inputs.config.site_import,
                safe_path=inputs.config.safe_path, resolver=resolver)
    for stage in ARRANGEMENTS[inputs.row.arrangement]:
        try:
            stage(calc)
        except StartupFailed as failure:
            failure.calc = calc
            raise
    if inputs.row.arrangement == "c-getpath":
        calc.base_executable = calc.executable
    return calc


__all__ = ["ARRANGEMENTS", "Calc", "Inputs", "StartupFailed", "run"]
