"""Stage: READ pyvenv.cfg (getpath.py), calculate_read_pyenv (getpath.c, 3.8-3.10).

getpath only takes ``home`` from pyvenv.cfg, as the directory its prefix search starts from;
making sys.prefix the venv is site.py's job before 3.14.
"""

from __future__ import annotations

from collections.abc import Iterator

from prefixlab.model.paths import getpath as h
from prefixlab.model.world import kernel
from prefixlab.model.startup.getpath.context import Calc, StartupFailed
from prefixlab.model.trace import rule

VENV_LANDMARK = "pyvenv.cfg"

R_CFG_SKIPPED_HOME = rule(
    "venv.skipped-home", "venv",
    "home is already set (PYTHONHOME), so pyvenv.cfg is not read.",
    "getpath.py 'READ pyvenv.cfg' condition 'if not home' (3.11-3.13)")
R_CFG_FOUND = rule(
    "venv.cfg-found", "venv",
    "A pyvenv.cfg was read.",
    "getpath.py: the executable directory's parent first, then the directory itself (3.11+); "
    "getpath.c calculate_open_pyenv: the resolved directory first, then its parent (3.8-3.10)")
R_CFG_NONE = rule(
    "venv.no-cfg", "venv",
    "No pyvenv.cfg next to the executable or one level up: not a venv as far as getpath knows.",
    "getpath.py / getpath.c calculate_open_pyenv")
R_CFG_HOME = rule(
    "venv.home-key", "venv",
    "pyvenv.cfg has a home key: the prefix search will start from that directory instead of "
    "the executable's.",
    "getpath.py 'home' key, first match wins, key case-folded (3.11+); pathconfig.c "
    "_Py_FindEnvConfigValue, exact 'home = value' tokens with a final newline (3.8-3.10)")
R_CFG_HOME_IGNORED = rule(
    "venv.home-key-ignored", "venv",
    "PYTHONHOME is set, so pyvenv.cfg's home key is ignored, though the venv is still "
    "detected.",
    "getpath.py 'if home: break' (3.14, gh-126985, PR 127968)")
R_CFG_NO_HOME = rule(
    "venv.no-home-key", "venv",
    "pyvenv.cfg has no usable home key, so getpath ignores it.",
    "getpath.py 'else: venv_prefix = None' (3.11-3.13); _Py_FindEnvConfigValue (3.8-3.10)")
R_BASE_REALPATH = rule(
    "base_executable.realpath", "venv",
    "In a venv, the base executable is where the executable's symbolic link chain ends.",
    "getpath.py base_executable = realpath(executable) (3.11+, bpo-46028)")
R_BASE_HOME = rule(
    "base_executable.home", "venv",
    "In a venv whose executable is not a link, the base executable is home/<its name>.",
    "getpath.py joinpath(executable_dir, basename(executable)) (3.11+)")
R_BASE_FALLBACK = rule(
    "base_executable.fallback-name", "venv",
    "home/<name> does not exist, so python3 and then python3.X in home are tried.",
    "getpath.py gh-99204 (3.11.1+)")
R_GETPATH_ERROR = rule(
    "getpath.error", "venv",
    "getpath.py raised an exception it does not catch: start-up fails with "
    "'error evaluating path'.",
    "getpath.c _PyConfig_InitPathConfig 'error evaluating path' (3.11+)")

_EXCEPTION_OF = {
    kernel.Errno.ENOENT: "FileNotFoundError",
    kernel.Errno.ENOTDIR: "NotADirectoryError",
    kernel.Errno.ELOOP: "OSError",
    kernel.Errno.EINVAL: "OSError",
}


def exception_name(error: kernel.Errno) -> str:
    """The OSError subclass CPython raises for an errno (PyErr_SetFromErrno)."""
    return _EXCEPTION_OF.get(error, "OSError")


def getpath_error(calc: Calc, template: str, **values: object) -> StartupFailed:
    """The failure, recorded as a step (``template`` over ``values``, as Calc.step)."""
    calc.step(R_GETPATH_ERROR, template, versioned=False, **values)

    return StartupFailed("getpath-error", "error evaluating path: " + template.format(**values))


def _read_cfg(calc: Calc, path: str) -> list[str] | None:
    """readlines, returning None where getpath.py's except clause catches the error."""
    caught = {"FileNotFoundError"}
    if calc.ask("venv_cfg_permission_error_caught"):
        caught.add("PermissionError")
    try:
        lines = calc.readlines(path)
    except h.TooLarge:
        raise getpath_error(calc, "MemoryError: {file!r} is 32 KiB or larger", file=path)
    if isinstance(lines, kernel.Errno):
        if exception_name(lines) in caught:
            return None
        raise getpath_error(calc, "{exception} reading {file!r}",
                            exception=exception_name(lines), file=path)
    return lines


def read_pyvenv_cfg(calc: Calc) -> None:
    """getpath.py (3.11+): the parent of the executable's directory first, then the
    directory; the first ``home`` key (case-folded, stripped) wins."""
    if calc.home and calc.ask("home_disables_venv"):
        calc.step(R_CFG_SKIPPED_HOME, "home = {home!r}", versioned=True, home=calc.home)
        return
    exe_dir = calc.executable_dir or calc.dirname(calc.executable or "")
    lines: list[str] | None = None
    for candidate_dir in (calc.dirname(exe_dir), exe_dir):
        path = h.joinpath(candidate_dir, VENV_LANDMARK)
        lines = _read_cfg(calc, path)
        if lines is not None:
            calc.venv_prefix = candidate_dir
            calc.step(R_CFG_FOUND, "{file!r} ({lines} lines)", versioned=True, file=path,
                      lines=len(lines))
            break
    if lines is None:
        calc.step(R_CFG_NONE, "looked in {parent!r} and {directory!r}",
                  parent=h.dirname(exe_dir), directory=exe_dir)
        return
    home = cfg_home(lines)
    if home is not None:
        if calc.home:  # only reachable where PYTHONHOME no longer skips the file (3.14)
            calc.step(R_CFG_HOME_IGNORED,
                      "home = {home!r} ignored; PYTHONHOME gives {pythonhome!r}",
                      versioned=True, home=home, pythonhome=calc.home)
            return
        _use_home(calc, home)
        return
    if not calc.ask("venv_without_home"):
        calc.venv_prefix = None
    calc.step(R_CFG_NO_HOME, "no 'home = ...' line", versioned=True)


def cfg_home(lines: list[str]) -> str | None:
    """getpath.py's home (3.11+): the value, stripped, of the first line with a '=' whose key,
    stripped and lower-cased, is 'home'; None when there is none."""
    for line in lines:
        key, had_equ, value = line.partition("=")
        if had_equ and key.strip().lower() == "home":
            return value.strip()
    return None


def _use_home(calc: Calc, value: str) -> None:
    calc.executable_dir = calc.real_executable_dir = value
    calc.step(R_CFG_HOME, "home = {home!r}: searches start there", versioned=True, home=value)
    if calc.base_executable:
        return
    executable = calc.executable or ""
    try:
        resolved = calc.realpath(executable)
        if resolved != executable:
            calc.base_executable = resolved
            calc.step(R_BASE_REALPATH, "{executable!r} -> {base_executable!r}",
                      executable=executable, base_executable=resolved)
    except h.LinkLimit:
        pass
    if calc.base_executable:
        return
    calc.base_executable = h.joinpath(value, calc.basename(executable))
    calc.step(R_BASE_HOME, "base executable {base_executable!r}",
              base_executable=calc.base_executable)
    if not calc.ask("base_executable_fallback_names") or calc.isfile(calc.base_executable):
        return
    major, minor = calc.inputs.build.version[:2]
    for name in (f"python{major}", f"python{major}.{minor}"):
        if name == calc.basename(executable):
            continue
        candidate = h.joinpath(value, name)
        if calc.isfile(candidate):
            calc.base_executable = candidate
            calc.step(R_BASE_FALLBACK, "{base_executable!r} exists", versioned=True,
                      base_executable=candidate)
            return


# -- 3.8-3.10: Modules/getpath.c + Python/pathconfig.c ---------------------------------------
def calculate_read_pyenv(calc: Calc) -> None:
    """getpath.c calculate_open_pyenv + _Py_FindEnvConfigValue: argv0_path/pyvenv.cfg, else
    its parent's; a ``home`` value replaces argv0_path."""
    data: bytes | None = None
    parent = (h.reduce(h.reduce(h.joinpath2(calc.argv0_path, VENV_LANDMARK)))
              if calc.ask("venv_cfg_parent_of_file") else h.reduce(calc.argv0_path))
    for directory in (calc.argv0_path, parent):
        path = h.joinpath2(directory, VENV_LANDMARK)
        read = calc.read_bytes(path)
        if read is kernel.Errno.EISDIR:
            data = b""  # fopen("r") on a directory succeeds; fgets then fails at once
        elif not isinstance(read, kernel.Errno):
            data = read
        if data is not None:
            calc.step(R_CFG_FOUND, "{file!r}", versioned=True, file=path)
            break
    if data is None:
        calc.step(R_CFG_NONE, "looked in {directory!r} and its parent",
                  directory=calc.argv0_path)
        return
    value = find_env_config_value(data, "home")
    if value is None:
        calc.step(R_CFG_NO_HOME, "no line reads exactly 'home = value' with a newline",
                  versioned=True)
        return
    calc.argv0_path = value
    calc.step(R_CFG_HOME, "home = {home!r}: argv0_path is now that directory", versioned=True,
              home=value)


FGETS_LIMIT = 2 * 4096 - 1  # fgets(buffer, MAXPATHLEN * 2 + 1 - 1) keeps 8190 chars + NUL


def find_env_config_value(data: bytes, key: str) -> str | None:
    """pathconfig.c _Py_FindEnvConfigValue (3.8-3.10), on the file's bytes."""
    for raw in _fgets_lines(data):
        if not raw.endswith(b"\n"):
            return None  # overlong line, a NUL, or a last line without newline: stop
        if raw.startswith(b"#"):
            continue
        text = raw.decode("utf-8", "surrogateescape")
        first, rest = _wcstok(text, " \t\r\n")
        if first != key:
            continue
        equals, rest = _wcstok(rest, " \t")
        if equals != "=":
            continue
        value, _ = _wcstok(rest, "\r\n")
        if value is not None:
            return value
    return None


def _fgets_lines(data: bytes) -> Iterator[bytes]:
    """What successive fgets calls return, cut at a NUL as strlen would see them; one at a
    time, as C reads them (the file may be megabytes of lines)."""
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos, pos + FGETS_LIMIT - 1)
        stop = pos + FGETS_LIMIT - 1 if end < 0 else end + 1
        chunk = data[pos:stop]
        yield chunk.split(b"\0", 1)[0]
        pos = stop


def _wcstok(text: str | None, delims: str) -> tuple[str | None, str | None]:
    """wcstok: skip leading delimiters, take up to the next one, consume that one."""
    if text is None:
        return None, None
    start = 0
    while start < len(text) and text[start] in delims:
        start += 1
    if start == len(text):
        return None, None
    end = start
    while end < len(text) and text[end] not in delims:
        end += 1
    return text[start:end], text[end + 1:]


R_VENV_PREFIX = rule(
    "venv.prefix-switch", "venv",
    "The directory holding pyvenv.cfg becomes sys.prefix and sys.exec_prefix; the prefixes "
    "found by the search become base_prefix and base_exec_prefix.",
    "getpath.py 'For a venv, update the main prefix/exec_prefix' (3.14, gh-126985)")


def apply_venv_prefix(calc: Calc) -> None:
    """3.14: getpath itself makes sys.prefix the venv (before, site.py does)."""
    if not calc.ask("venv_prefix_in_getpath") or not calc.venv_prefix:
        return
    calc.base_prefix = calc.base_prefix or calc.prefix
    calc.base_exec_prefix = calc.base_exec_prefix or calc.exec_prefix
    calc.prefix = calc.exec_prefix = calc.venv_prefix
    calc.step(R_VENV_PREFIX, "prefix = {prefix!r}, base_prefix = {base_prefix!r}",
              versioned=True, prefix=calc.venv_prefix, base_prefix=calc.base_prefix)
