"""Stage: UPDATE pythonpath (sys.path) and the POSIX build-tree prefix quirk (getpath.py);
calculate_zip_path and calculate_module_search_path (getpath.c, 3.8-3.10); sys.path[0]
(Modules/main.c pymain_run_python, Python/pathconfig.c _PyPathConfig_ComputeSysPath0)."""

from __future__ import annotations

from prefixlab.model.paths import getpath as h
from prefixlab.model.world import kernel
from prefixlab.model.startup.getpath.context import Calc
from prefixlab.model.startup.getpath.prefix import platlibdir_c, stdlib_subdir, zip_landmark
from prefixlab.model.trace import rule

R_PYTHONPATH = rule(
    "searchpath.pythonpath", "searchpath",
    "PYTHONPATH entries come first (made absolute against the cwd on 3.11+, kept raw on "
    "3.8-3.10).",
    "getpath.py 'First add entries from the process environment'; getpath.c "
    "calculate_module_search_path")
R_ZIP_ENTRY = rule(
    "searchpath.zip", "searchpath",
    "The stdlib zip entry lib/pythonXY.zip is always listed, whether it exists or not.",
    "getpath.py 'Then add the default zip file' (gh-99370: from prefix in venvs, 3.11.1+); "
    "getpath.c calculate_zip_path")
R_STDLIB_ENTRY = rule(
    "searchpath.stdlib", "searchpath",
    "Then the stdlib directory and the extension-module directory (lib-dynload).",
    "getpath.py 'Then add stdlib_dir and platstdlib_dir'")
R_BUILD_RESET = rule(
    "searchpath.build-prefix-reset", "searchpath",
    "In a build tree, sys.prefix and sys.exec_prefix are reset to the compiled-in values "
    "after the path is built.",
    "getpath.py 'POSIX prefix/exec_prefix QUIRKS'; getpath.c calculate_set_prefix")
R_PATH0_C = rule(
    "path0.command", "searchpath",
    "For -c (and stdin), sys.path[0] is '' (the current directory, looked up at each import).",
    "Modules/main.c pymain_run_python / pathconfig.c _PyPathConfig_ComputeSysPath0")
R_PATH0_M = rule(
    "path0.module", "searchpath",
    "For -m, sys.path[0] is the working directory (getcwd, physical).",
    "pathconfig.c _PyPathConfig_ComputeSysPath0 (-m)")
R_PATH0_SCRIPT = rule(
    "path0.script", "searchpath",
    "For a script, sys.path[0] is the directory of the script's real path (every link "
    "resolved).",
    "pathconfig.c _PyPathConfig_ComputeSysPath0 (realpath of the script)")
R_PATH0_NONE = rule(
    "path0.suppressed", "searchpath",
    "No sys.path[0]: -P, -I or PYTHONSAFEPATH (3.11+), or -I (3.8-3.10).",
    "initconfig.c safe_path (3.11+, gh-57684); main.c '!config->isolated' (3.8-3.10)")


def build(calc: Calc) -> None:
    """getpath.py 3.11+."""
    paths: list[str] = []
    pythonpath_env = calc.inputs.config.pythonpath_env
    if calc.use_environment and pythonpath_env:
        paths.extend(calc.abspath(p) for p in pythonpath_env.split(":"))
        calc.step(R_PYTHONPATH, "{entries} entries", versioned=True, entries=len(paths))
    zip_lm = zip_landmark(calc)
    build_constants = calc.inputs.build
    zip_from_prefix = bool(calc.build_prefix) or (
        calc.venv_prefix is not None and not calc.ask("venv_zip_from_prefix"))
    zip_base = build_constants.prefix if zip_from_prefix else (calc.base_prefix or calc.prefix)
    paths.append(h.joinpath(zip_base, zip_lm))
    calc.step(R_ZIP_ENTRY, "{entry}", versioned=True, entry=paths[-1])
    if build_constants.pythonpath:
        # Joined to the base prefix: in 3.14 prefix is already the venv here (PR 126987).
        base = calc.base_prefix or calc.prefix
        paths.extend(h.joinpath(base, p) for p in build_constants.pythonpath.split(":"))
    base_prefix = calc.base_prefix or calc.prefix
    base_exec_prefix = calc.base_exec_prefix or calc.exec_prefix
    if not calc.stdlib_dir and base_prefix:
        calc.stdlib_dir = h.joinpath(base_prefix, stdlib_subdir(calc))
    if not calc.platstdlib_dir and base_exec_prefix:
        calc.platstdlib_dir = h.joinpath(base_exec_prefix, stdlib_subdir(calc) + "/lib-dynload")
    if calc.stdlib_dir:
        paths.append(calc.stdlib_dir)
    if calc.platstdlib_dir:
        paths.append(calc.platstdlib_dir)
    calc.step(R_STDLIB_ENTRY, "{stdlib_dir!r}, {platstdlib_dir!r}", stdlib_dir=calc.stdlib_dir,
              platstdlib_dir=calc.platstdlib_dir)
    calc.module_search_paths = paths
    if calc.build_prefix:
        _reset_build_prefixes(calc)


def _reset_build_prefixes(calc: Calc) -> None:
    build = calc.inputs.build
    if calc.ask("venv_prefix_in_getpath") and calc.venv_prefix:
        calc.base_prefix = build.prefix
        calc.base_exec_prefix = build.exec_prefix or build.prefix
    else:
        calc.prefix = build.prefix
        calc.exec_prefix = build.exec_prefix or calc.prefix
    calc.step(R_BUILD_RESET, "prefix {prefix!r}, exec_prefix {exec_prefix!r}",
              prefix=build.prefix, exec_prefix=build.exec_prefix)


# -- 3.8-3.10: Modules/getpath.c -------------------------------------------------------------
def build_c(calc: Calc) -> None:
    """calculate_zip_path + calculate_module_search_path: one ':'-joined string, split again
    by pathconfig.c (so an entry holding ':' is cut in two, and empty entries stay '')."""
    build = calc.inputs.build
    major, minor = build.version[:2]
    zip_name = h.joinpath2(platlibdir_c(calc), f"python{major}{minor}.zip")
    stdlib = calc.prefix or ""
    if calc.prefix_found > 0:
        calc.zip_path = h.joinpath2(h.reduce(h.reduce(stdlib)), zip_name)
    else:
        calc.zip_path = h.joinpath2(build.prefix, zip_name)
    parts: list[str] = []
    pythonpath_env = calc.inputs.config.pythonpath_env
    if pythonpath_env:
        parts.append(pythonpath_env)
        calc.step(R_PYTHONPATH, "{pythonpath!r}", versioned=True, pythonpath=pythonpath_env)
    parts.append(calc.zip_path)
    calc.step(R_ZIP_ENTRY, "{entry}", versioned=True, entry=calc.zip_path)
    parts.append(_with_macro_entries(stdlib, build.pythonpath))
    parts.append(calc.exec_prefix or "")
    # getpath.c's exec_prefix is, at this point, the lib-dynload directory itself.
    calc.step(R_STDLIB_ENTRY, "{stdlib_dir!r}, {platstdlib_dir!r}", stdlib_dir=stdlib,
              platstdlib_dir=calc.exec_prefix)
    calc.module_search_paths = ":".join(parts).split(":")


def _with_macro_entries(prefix: str, macro: str) -> str:
    """The compiled PYTHONPATH macro, relative entries prefixed with the stdlib directory
    (the macro is empty on every normal build, which leaves just the directory)."""
    out = []
    for entry in macro.split(":"):
        if entry.startswith("/"):
            out.append(entry)
        elif entry and prefix and not prefix.endswith("/"):
            out.append(prefix + "/" + entry)
        else:
            out.append(prefix + entry)
    return ":".join(out)


# -- sys.path[0] -------------------------------------------------------------------------------
def path0(calc: Calc) -> str | None:
    """What main.c inserts at sys.path[0] (after site), or None."""
    line = calc.inputs.cmdline
    if calc.inputs.config.path0_suppressed or calc.safe_path:
        calc.step(R_PATH0_NONE, "", versioned=True)
        return None
    if line.run == "m":
        calc.step(R_PATH0_M, "{cwd}", cwd=calc.cwd)
        return calc.cwd
    if line.run == "script":
        resolved = kernel.realpath(calc.inputs.fs, line.target, calc.cwd)
        if isinstance(resolved, kernel.Errno):
            resolved = h.abspath(line.target, calc.cwd)
        directory = h.dirname(resolved) or "/"
        calc.step(R_PATH0_SCRIPT, "{script!r} -> {directory!r}", script=line.target,
                  directory=directory)
        return directory
    calc.step(R_PATH0_C, "{path0!r}", path0="")
    return ""
