"""Stage: CALCULATE program_name and executable (getpath.py), calculate_program and
calculate_argv0_path (getpath.c, 3.8-3.10)."""

from __future__ import annotations

from prefixlab.model.paths import getpath as h
from prefixlab.model.startup.getpath.context import Calc, StartupFailed
from prefixlab.model.trace import rule

R_PROGRAM_ARGV0 = rule(
    "program_name.argv0", "executable",
    "The program name is argv[0] as the interpreter received it.",
    "getpath.py 'CALCULATE program_name' (3.11+); initconfig.c config_init_program_name (3.8-3.10)")
R_PROGRAM_DEFAULT = rule(
    "program_name.default", "executable",
    "argv[0] is empty, so the program name is the default 'python3'.",
    "getpath.py DEFAULT_PROGRAM_NAME; initconfig.c default_program_name")
R_EXE_ABSPATH = rule(
    "executable.argv0-with-slash", "executable",
    "argv[0] contains a '/', so it is the executable, made absolute against the working "
    "directory without looking at the disk.",
    "getpath.py: executable = abspath(program_name) (3.11+); getpath.c calculate_program_impl "
    "and copy_absolute (3.8-3.10)")
R_EXE_PATH_SEARCH = rule(
    "executable.path-search", "executable",
    "argv[0] has no '/', so each $PATH entry is tried in order and the first executable "
    "regular file wins.",
    "getpath.py 'Resolve names against PATH' (3.11+, done even under -E); getpath.c "
    "calculate_which (3.8-3.10)")
R_EXE_NOT_FOUND = rule(
    "executable.not-found", "executable",
    "No executable could be found, so sys.executable is empty and later searches start from "
    "the working directory.",
    "getpath.py 'if not executable' (3.11+); getpath.c calculate_program_impl last resort")
R_EXE_LAUNCHER = rule(
    "executable.launcher-variable", "executable",
    "PYTHONEXECUTABLE or __PYVENV_LAUNCHER__ is set: it becomes sys.executable and the "
    "directory venv detection starts from, while the real path is kept as the base.",
    "getpath.py ENV_PYTHONEXECUTABLE / ENV___PYVENV_LAUNCHER__ (3.11+, all POSIX, ignores -E); "
    "gh-117786 (3.13 base = real_executable or executable)")
R_ARGV0_LINKS = rule(
    "argv0_path.resolve-links", "executable",
    "The executable is a symbolic link: its chain is followed (relative targets joined to "
    "the link's directory by plain string concatenation) and its directory is where every "
    "later search starts.",
    "getpath.c calculate_argv0_path / resolve_symlinks (3.8-3.10)")
R_ARGV0_DIR = rule(
    "argv0_path.dirname", "executable",
    "The directory of the (resolved) executable is argv0_path, where the searches start.",
    "getpath.c calculate_argv0_path reduce() (3.8-3.10)")
R_ARGV0_LINK_LIMIT = rule(
    "argv0_path.link-limit", "executable",
    "Following the executable's links reached 40: start-up aborts.",
    "getpath.c resolve_symlinks 'maximum number of symbolic links reached' (3.9-3.10)")

MAXPATHLEN = 4096


def program_name(calc: Calc) -> None:
    argv0 = calc.inputs.argv[0] if calc.inputs.argv else ""
    if argv0:
        calc.program_name = argv0
        calc.step(R_PROGRAM_ARGV0, "program name = {program_name!r}", program_name=argv0)
    else:
        calc.program_name = f"python{calc.inputs.build.version[0]}"
        calc.step(R_PROGRAM_DEFAULT, "program name = {program_name!r}",
                  program_name=calc.program_name)


def executable(calc: Calc) -> None:
    """getpath.py: argv0 with a slash, else a PATH search, else empty (3.11+)."""
    name = calc.program_name
    if "/" in name:
        calc.executable = calc.abspath(name)
        calc.step(R_EXE_ABSPATH,
                  "{program_name!r} -> {executable!r} (normalised, then joined to the cwd "
                  "{cwd!r})", versioned=True, program_name=name, executable=calc.executable,
                  cwd=calc.cwd)
    else:
        env_path = calc.inputs.env.get("PATH")
        if env_path:
            for entry in env_path.split(":"):
                candidate = h.joinpath(entry, name)
                if calc.isxfile(candidate):
                    calc.executable = candidate
                    calc.step(R_EXE_PATH_SEARCH,
                              "PATH entry {entry!r} holds {executable!r}; it is kept as "
                              "joined, not made absolute", versioned=True,
                              entry=entry, executable=candidate)
                    break
    if not calc.executable:
        calc.executable = ""
        calc.executable_dir = calc.real_executable_dir = calc.abspath(".")
        calc.step(R_EXE_NOT_FOUND, "searches start from the cwd {executable_dir!r}",
                  executable_dir=calc.executable_dir)


def launcher_variables(calc: Calc) -> None:
    env = calc.inputs.env
    value = env.get("PYTHONEXECUTABLE") or env.get("__PYVENV_LAUNCHER__")
    if not value:
        return
    calc.base_executable = (calc.real_executable or calc.executable
                            if calc.ask("launcher_base_is_real") else calc.executable)
    if not calc.real_executable:
        calc.real_executable = calc.base_executable
    calc.executable = value
    calc.executable_dir = calc.dirname(value)
    calc.step(R_EXE_LAUNCHER, "sys.executable = {executable!r}; base executable "
              "{base_executable!r}", versioned=True, executable=value,
              base_executable=calc.base_executable)


# -- 3.8-3.10: Modules/getpath.c -------------------------------------------------------------
def calculate_program(calc: Calc) -> None:
    """getpath.c calculate_program: verbatim with a slash, else calculate_which, else ''; a
    relative result is made absolute by copy_absolute (one './' stripped, nothing else)."""
    name = calc.program_name
    found = ""
    if "/" in name:
        found = name
    else:
        env_path = calc.inputs.env.get("PATH")
        if env_path is not None:  # set but empty still searches: joinpath2('', name) = name
            for entry in env_path.split(":"):
                candidate = h.joinpath2(entry, name)
                if calc.isxfile(candidate):
                    found = candidate
                    calc.step(R_EXE_PATH_SEARCH, "PATH entry {entry!r} holds {executable!r}",
                              versioned=True, entry=entry, executable=candidate)
                    break
    if found and not found.startswith("/"):
        found = h.copy_absolute(found, calc.cwd)
    calc.executable = found
    if found and "/" in name:
        calc.step(R_EXE_ABSPATH, "{program_name!r} -> {executable!r} (not normalised)",
                  versioned=True, program_name=name, executable=found)
    elif not found:
        calc.step(R_EXE_NOT_FOUND, "sys.executable is ''")


def calculate_argv0_path(calc: Calc) -> None:
    """getpath.c: follow the executable's links (final component, string joins), then cut
    the last component."""
    path = calc.executable or ""
    try:
        resolved = _resolve_links(calc, path)
    except h.LinkLimit:
        calc.step(R_ARGV0_LINK_LIMIT, "{executable!r} has 40 or more links", versioned=True,
                  executable=path)
        raise StartupFailed("symlink-limit",
                            "resolve_symlinks: maximum number of symbolic links reached")
    if resolved != path:
        calc.step(R_ARGV0_LINKS, "{executable!r} -> {resolved!r}", versioned=True,
                  executable=path, resolved=resolved)
    calc.argv0_path = h.reduce(resolved)
    calc.step(R_ARGV0_DIR, "argv0_path = {argv0_path!r}", argv0_path=calc.argv0_path)


def _resolve_links(calc: Calc, path: str) -> str:
    limit = calc.ask("link_limit")
    if limit is not None:
        return h.follow_links_by_concatenation(calc.syscalls, path, limit)
    # 3.8 has no limit: a cycle loops for ever, a growing relative chain overflows MAXPATHLEN.
    seen = {path}
    while True:
        try:
            nxt = h.follow_links_by_concatenation(calc.syscalls, path, 1)
        except h.LinkLimit as moved:
            nxt = str(moved.args[0])
        if nxt == path:
            return path
        if nxt in seen:
            raise StartupFailed("hang", "the interpreter follows a symbolic link cycle for ever")
        if len(nxt) >= MAXPATHLEN:
            raise StartupFailed("path-too-long", "path configuration: path too long")
        seen.add(nxt)
        path = nxt
