"""The far side of the frozen-getpath differential: runs inside a *target* interpreter.

Started by :mod:`prefixlab.impl.checks.frozen` as ``<python> -I -S frozen_worker.py <import-root>``,
where ``<import-root>`` holds a ``prefixlab`` package whose ``model`` is the project's model/
(so the target never needs our package installed).  It reads one JSON request per line on
stdin and answers one JSON line on stdout.

Each case runs the interpreter's *own* frozen getpath code object
(``_testinternalcapi.get_getpath_codeobject()``) in a namespace like the one
``_PyConfig_InitPathConfig`` (Modules/getpath.c) builds, except that the helper functions are
ours (prefixlab.model.paths.getpath over a Layout rebuilt from the request): the point is
to check the *algorithm* — the order of the stages and every branch of getpath.py — against
the model, not the helpers, which are judged against real interpreters elsewhere.

Only the standard library and prefixlab.model are imported here; this file must run on every
target (3.11+), under -I -S, with nothing installed.
"""

from __future__ import annotations

import base64
import builtins
import errno as errno_module
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

if __name__ == "__main__":  # pragma: no cover - only as the worker script
    # The import root comes first so that no other prefixlab on the target can shadow it.
    sys.path.insert(0, sys.argv[1])

from prefixlab.model.paths import getpath as h  # noqa: E402
from prefixlab.model.world import kernel  # noqa: E402
from prefixlab.model.world.fs import Dir, File, Layout, Node, Symlink  # noqa: E402

PROTOCOL = 1

LINK_LIMIT = 40
"""getpath.c getpath_realpath gives up at the 40th link (a C constant, not per version)."""

# What getpath.py leaves in config that the differential reads back.
RESULT_KEYS = (
    "executable", "base_executable", "prefix", "exec_prefix", "base_prefix", "base_exec_prefix",
    "module_search_paths", "stdlib_dir", "platstdlib_dir", "isolated", "site_import",
    "safe_path", "use_environment", "home", "_is_python_build",
)


# -- the layout ------------------------------------------------------------------------------
def decode_data(encoded: str) -> bytes:
    """File data travels as latin-1 text ('l:...') or base64 ('b:...')."""
    kind, _, text = encoded.partition(":")
    return text.encode("latin-1") if kind == "l" else base64.b64decode(text)


def layout_from_json(nodes: dict[str, list[Any]]) -> Layout:
    built: dict[str, Node] = {}
    for path, spec in nodes.items():
        if spec[0] == "file":
            built[path] = File(decode_data(spec[1]), int(spec[2]))
        elif spec[0] == "dir":
            built[path] = Dir(int(spec[1]))
        else:
            built[path] = Symlink(str(spec[1]))
    return Layout(built)


# -- the helpers, as getpath.c hands them to getpath.py ------------------------------------------
def _str(name: str, value: object) -> str:
    # The C helpers parse their arguments with "U": anything but a str is a TypeError there,
    # and must stay one here so that an algorithm passing None is not silently forgiven.
    if not isinstance(value, str):
        raise TypeError(f"{name}() argument must be str, not {type(value).__name__}")
    return value


def helpers(layout: Layout, cwd: str, warnings: list[str]) -> dict[str, Callable[..., Any]]:
    """getpath_methods (getpath.c) bound to one filesystem value and working directory.

    One memoising resolver per case, as the model's Calc has, so that timings compare."""
    resolver = kernel.Resolver(layout, cwd)

    def kind(path: str) -> tuple[str, int]:
        entry = resolver.stat(path)
        return (entry.kind, entry.mode) if entry is not None else ("", 0)

    def abspath(path: object) -> str:
        return h.abspath(_str("abspath", path), cwd)

    def basename(path: object) -> str:
        return h.basename(_str("basename", path))

    def dirname(path: object) -> str:
        return h.dirname(_str("dirname", path))

    def hassuffix(path: object, suffix: object) -> bool:
        return _str("hassuffix", path).endswith(_str("hassuffix", suffix))

    def isabs(path: object) -> bool:
        return _str("isabs", path).startswith("/")

    def isdir(path: object) -> bool:
        return kind(_str("isdir", path))[0] == "dir"

    def isfile(path: object) -> bool:
        return kind(_str("isfile", path))[0] == "file"

    def isxfile(path: object) -> bool:
        found, mode = kind(_str("isxfile", path))
        return found == "file" and bool(mode & 0o111)

    def joinpath(*parts: object) -> str:
        for part in parts:
            if part is not None and not isinstance(part, str):
                raise TypeError("all arguments to joinpath() must be str or None")
        return h.joinpath(*parts)  # type: ignore[arg-type]

    def readlines(path: object) -> list[str]:
        text = _str("readlines", path)
        try:
            lines = h.read_lines(resolver, text)
        except h.TooLarge:
            raise MemoryError("cannot read file larger than 32KB during initialization") from None
        if isinstance(lines, kernel.Errno):
            # PyErr_SetFromErrno(PyExc_OSError): OSError picks the subclass from errno.
            number = getattr(errno_module, lines.value)
            raise OSError(number, os.strerror(number), text)
        return lines

    def realpath(path: object) -> str:
        text = _str("realpath", path)
        try:
            return h.follow_final_links(resolver, text, LINK_LIMIT)
        except h.LinkLimit:
            raise OSError("maximum number of symbolic links reached") from None

    def warn(message: object) -> None:
        warnings.append(_str("warn", message))

    return {
        "abspath": abspath, "basename": basename, "dirname": dirname, "hassuffix": hassuffix,
        "isabs": isabs, "isdir": isdir, "isfile": isfile, "isxfile": isxfile,
        "joinpath": joinpath, "readlines": readlines, "realpath": realpath, "warn": warn,
    }


# -- one case --------------------------------------------------------------------------------
def _none_if_empty(value: str | None) -> str | None:
    """decode_to_dict: an empty compiled-in string reaches getpath.py as None."""
    return value or None


def namespace(case: dict[str, Any], layout: Layout, warnings: list[str]) -> dict[str, Any]:
    """The globals _PyConfig_InitPathConfig gives the code object (POSIX, not a framework)."""
    build = case["build"]
    flags = case["config"]
    env: dict[str, str] = case["env"]
    argv: list[str] = case["argv"]
    major, minor = build["version"][:2]
    config: dict[str, Any] = {
        "orig_argv": list(argv),
        "argv": list(argv[1:]) or [""],
        "program_name": None,
        "home": None,
        "executable": None,
        "base_executable": None,
        "prefix": None,
        "exec_prefix": None,
        "base_prefix": None,
        "base_exec_prefix": None,
        "pythonpath_env": flags["pythonpath_env"],
        "use_environment": int(flags["use_environment"]),
        # config_read: PYTHONPLATLIBDIR when used, else the compiled-in PLATLIBDIR.
        "platlibdir": flags["platlibdir"] or build["platlibdir"],
        "module_search_paths": None,
        "module_search_paths_set": 0,
        "stdlib_dir": None,
        "isolated": int(flags["isolated"]),
        "site_import": int(flags["site_import"]),
        "safe_path": int(flags["safe_path"]),
        "pathconfig_warnings": 1,
        "_is_python_build": 0,
    }
    ns: dict[str, Any] = {
        "config": config,
        "os_name": "posix",
        "WITH_NEXT_FRAMEWORK": 0,
        "PREFIX": _none_if_empty(build["prefix"]),
        "EXEC_PREFIX": _none_if_empty(build["exec_prefix"]),
        "PYTHONPATH": _none_if_empty(build["pythonpath"]),
        "VPATH": _none_if_empty(build["vpath"]),
        "PLATLIBDIR": _none_if_empty(build["platlibdir"]),
        "PYDEBUGEXT": None,
        "VERSION_MAJOR": major,
        "VERSION_MINOR": minor,
        "PYWINVER": None,
        "EXE_SUFFIX": None,
        # env_to_dict: the raw value (an empty one stays ''), None when unset.
        "ENV_PATH": env.get("PATH"),
        "ENV_PYTHONHOME": env.get("PYTHONHOME"),
        "ENV_PYTHONEXECUTABLE": env.get("PYTHONEXECUTABLE"),
        "ENV___PYVENV_LAUNCHER__": env.get("__PYVENV_LAUNCHER__"),
        "real_executable": None,
        "library": None,
        "executable_dir": None,
        "py_setpath": None,
        "ABI_THREAD": _none_if_empty(build["abi_thread"]),
        "winreg": None,
        "__builtins__": builtins,
    }
    ns.update(helpers(layout, case["cwd"], warnings))
    return ns


def result_of(ns: dict[str, Any] | None, warnings: list[str],
              error: BaseException | None) -> dict[str, Any]:
    if error is not None:
        return {"error": [type(error).__name__, str(error)], "warnings": warnings}
    assert ns is not None
    config = ns["config"]
    out = {key: config.get(key) for key in RESULT_KEYS}
    paths = out["module_search_paths"]
    out["module_search_paths"] = None if paths is None else list(paths)
    return {"config": out, "warnings": warnings}


def run_case(code: CodeType, case: dict[str, Any], repeat: int) -> tuple[dict[str, Any], float]:
    """Run one case ``repeat`` times; the result of the last run and the seconds spent in
    exec() alone (the namespace and the layout are built outside the clock)."""
    layout = layout_from_json(case["layout"])
    spent = 0.0
    result: dict[str, Any] = {}
    for _ in range(max(repeat, 1)):
        warnings: list[str] = []
        ns = namespace(case, layout, warnings)
        error: BaseException | None = None
        start = time.perf_counter()
        try:
            exec(code, ns)
        except Exception as caught:  # getpath.py's own failure is a result, not a crash
            error = caught
        spent += time.perf_counter() - start
        result = result_of(ns, warnings, error)
    return result, spent


# -- what the code object needs -----------------------------------------------------------------
_EMPTY_CASE: dict[str, Any] = {
    "build": {"version": list(sys.version_info[:3]), "prefix": "", "exec_prefix": "",
              "platlibdir": "lib", "vpath": "", "pythonpath": "", "abi_thread": ""},
    "config": {"use_environment": True, "isolated": False, "site_import": True,
               "safe_path": False, "pythonpath_env": None, "platlibdir": None},
    "env": {}, "argv": [], "cwd": "/",
}


def required_globals(code: CodeType) -> set[str]:
    """Names the module code (or a function it defines) reads before the module assigns
    them, in instruction order: what the caller's namespace must hold."""
    import dis

    stored: set[str] = set()
    needed: set[str] = set()
    for instruction in dis.get_instructions(code):
        name = instruction.argval
        if instruction.opname in ("STORE_NAME", "STORE_GLOBAL"):
            stored.add(name)
        elif instruction.opname in ("LOAD_NAME", "LOAD_GLOBAL") and name not in stored:
            needed.add(name)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            needed |= {i.argval for i in dis.get_instructions(const)
                       if i.opname == "LOAD_GLOBAL" and i.argval not in stored}
    return needed


# -- line coverage of the code object ----------------------------------------------------------
def all_lines(code: CodeType) -> set[int]:
    """Every source line the code object (and the functions it defines) can execute."""
    lines = {line for _, _, line in code.co_lines() if line is not None}
    for const in code.co_consts:
        if isinstance(const, CodeType):
            lines |= all_lines(const)
    return lines


class LineTracer:
    """sys.settrace hook recording the lines of getpath's code that ran."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.lines: set[int] = set()

    def __call__(self, frame: FrameType, event: str, arg: object) -> Any:
        if frame.f_code.co_filename != self.filename:
            return None
        if event == "line":
            self.lines.add(frame.f_lineno)
        return self


# -- the loop --------------------------------------------------------------------------------
def code_object() -> CodeType:
    import _testinternalcapi  # type: ignore[import-not-found]

    code = _testinternalcapi.get_getpath_codeobject()
    assert isinstance(code, CodeType)
    return code


def handle(code: CodeType, request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    if op == "info":
        provided = namespace(_EMPTY_CASE, Layout(), [])
        return {"protocol": PROTOCOL, "version": list(sys.version_info[:3]),
                "helpers": kernel.__file__,
                "names": sorted(code.co_names), "filename": code.co_filename,
                "lines": sorted(all_lines(code)), "required": sorted(required_globals(code)),
                "provided": sorted(set(provided) | set(dir(builtins)))}
    if op != "run":
        return {"fatal": f"unknown op {op!r}"}
    repeat = int(request.get("repeat", 1))
    tracer = LineTracer(code.co_filename) if request.get("coverage") else None
    results = []
    seconds = 0.0
    if tracer is not None:
        sys.settrace(tracer)
    # The collector paused, as the benchmark times the model (and as timeit does): a
    # collection that happens to fall inside exec() would be charged to getpath.
    gc.collect()
    gc.disable()
    try:
        for case in request["cases"]:
            result, spent = run_case(code, case, repeat)
            results.append(result)
            seconds += spent
    finally:
        gc.enable()
        if tracer is not None:
            sys.settrace(None)
    answer: dict[str, Any] = {"results": results, "seconds": seconds}
    if tracer is not None:
        answer["lines"] = sorted(tracer.lines)
    return answer


def main() -> int:
    code = code_object()
    stdout = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if request.get("op") == "quit":
            break
        try:
            answer = handle(code, request)
        except Exception as error:  # a broken request must not kill the worker silently
            answer = {"fatal": f"{type(error).__name__}: {error}"}
        stdout.write(json.dumps(answer) + "\n")
        stdout.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover - only as the worker script
    sys.exit(main())
