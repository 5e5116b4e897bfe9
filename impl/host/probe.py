"""Run a real interpreter as an Invocation says and report what it computed at start-up.

The command the invocation runs is replaced by PROBE_CODE (or PROBE_CODE is added where
option parsing stops), so that the interpreter prints its start-up values and nothing else
changes: the file executed, argv[0], the interpreter options, the environment (exactly as
given, not merged with ours) and the working directory are the invocation's.

The file is looked up as glibc's execvp does (the model's assumption, see
prefixlab.model.world.invocation): subprocess's own PATH search differs in its error handling
(it keeps searching after ELOOP and reports the first unusual errno), so the search is done
here, one real execve per candidate, and only the errno rules are ours (glibc
posix/execvpe.c: EACCES is remembered, ENOENT/ESTALE/ENOTDIR/ENODEV/ETIMEDOUT go on to the
next entry, any other error ends the search).
"""

from __future__ import annotations

import ast
import errno
import mmap
import os
import signal
import stat
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prefixlab.impl.host.interpreters import run_contained
from prefixlab.model.world.invocation import DEFAULT_EXEC_PATH, Invocation
from prefixlab.model.outcome import Failure, Outcome

MARKER = "PREFIXLAB-PROBE:"

# Only sys: the probe must run before (and without) anything a layout may break.  ascii()
# keeps the line 7-bit whatever the child's stdout encoding; undecodable bytes in paths
# show as '\udcxx' escapes, which ast.literal_eval turns back into the same surrogates.
# The marker is also written to stderr: what comes after it (the -i prompt, -v's clean-up
# at exit) was written after start-up and is not a start-up warning.
#
# The install locations come last, from sysconfig (imported after sys's values are taken; a
# failure to import it leaves them None): its default scheme and the directories of it that
# pip's default install uses (prefixlab.model.startup.schemes).
PROBE_CODE = (
    "import sys\n"
    "_v = {"
    "'executable': sys.executable, "
    "'base_executable': getattr(sys, '_base_executable', None), "
    "'prefix': sys.prefix, 'base_prefix': sys.base_prefix, "
    "'exec_prefix': sys.exec_prefix, 'base_exec_prefix': sys.base_exec_prefix, "
    "'path': list(sys.path), "
    "'version': '%d.%d.%d' % sys.version_info[:3]}\n"
    "try:\n"
    " import sysconfig as _s\n"
    " _n = getattr(_s, 'get_default_scheme', getattr(_s, '_get_default_scheme', None))()\n"
    " _p = _s.get_paths(_n)\n"
    " _v['install'] = dict([('scheme', _n)] + [(k, _p[k]) for k in "
    "('purelib', 'platlib', 'scripts', 'data', 'include')])\n"
    "except Exception:\n"
    " _v['install'] = None\n"
    "sys.stdout.write('" + MARKER + "' + ascii(_v) + '\\n')\n"
    "sys.stdout.flush()\n"
    "sys.stderr.write('" + MARKER + "\\n')\n"
    "sys.stderr.flush()\n"
)

_VALUE_KEYS = ("executable", "base_executable", "prefix", "base_prefix", "exec_prefix",
               "base_exec_prefix")

# Where the interpreter's failure report starts; the stderr lines before it are warnings.
_REPORT_STARTS = ("Python path configuration:", "Fatal Python error", "Exception ignored",
                  "Unknown option", "Argument expected", "usage:")

# (kind, text in stderr), first match wins.  Shapes seen on 3.8-3.13 here:
#   Fatal Python error: init_fs_encoding: failed to get the Python codec of the filesystem ...
#     (3.8-3.12, after a "Python path configuration:" dump)
#   Fatal Python error: Failed to import encodings module (3.13, no dump)
#   Fatal Python error: resolve_symlinks: maximum number of symbolic links reached (3.9-3.10)
#   Exception ignored in running getpath: ... Fatal Python error: error evaluating path
#   Fatal Python error: joinpath: path configuration: path too long (3.8-3.10)
_KINDS = (
    ("stdlib-not-found", "Fatal Python error: init_fs_encoding"),
    ("stdlib-not-found", "Fatal Python error: Failed to import encodings module"),
    ("symlink-limit", "maximum number of symbolic links reached"),
    ("getpath-error", "error evaluating path"),
    ("usage", "Unknown option"),
    ("usage", "Argument expected"),
    ("path-too-long", "path too long"),
    ("site-error", "Failed to import the site module"),  # 3.8 says init_import_size
    ("bad-option", "Fatal Python error: bad value for"),
)

# glibc execvpe: these errnos send the search on to the next PATH entry.
_NEXT_ENTRY = frozenset({errno.ENOENT, errno.ESTALE, errno.ENOTDIR, errno.ENODEV,
                         errno.ETIMEDOUT})

# _PyOS_GetOpt: short options that take an argument (attached or the next word), and the
# long option that takes one.  -c and -m end option parsing.
_SHORT_WITH_ARGUMENT = frozenset("cmWX")
_LONG_WITH_ARGUMENT = frozenset({"--check-hash-based-pycs"})


class _Unsupported(Exception):
    def __init__(self, message: str, *, script: str | None = None,
                 module: str | None = None) -> None:
        super().__init__(message)
        self.script = script
        self.module = module


PROBE_MODULE = "prefixlab_probe"
"""A module of this name run with -m is taken to be a probe module (its code PROBE_CODE):
generated cases put one where -m finds it."""

ABSENT_MODULE = "prefixlab_absent_module"
"""A module name prefixlab never creates: -m of it is run as it is, to see runpy report a
module it cannot find (generated cases do)."""


def is_probe_script(path: str, cwd: str) -> bool:
    """Does ``path`` (relative to ``cwd``) hold exactly PROBE_CODE?  Such a script (written
    by prefixlab for a generated case) is run as it is: what it prints is the probe's answer."""
    # Opened without blocking and read only if it is a regular file: the script may be a
    # FIFO (open would wait for a writer) or a device (read would not end).
    try:
        fd = os.open(os.path.join(cwd, path), os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return (stat.S_ISREG(os.fstat(fd).st_mode)
                and os.read(fd, len(PROBE_CODE) + 1) == PROBE_CODE.encode())
    except OSError:
        return False
    finally:
        os.close(fd)


# -- the command line -------------------------------------------------------------------------
def probe_argv(argv: Sequence[str], *, taken: int = 0) -> tuple[str, ...]:
    """argv with the interpreter's command replaced by PROBE_CODE.

    ``taken``: how many arguments after argv[0] the exec chain's own programs take (env
    takes its command's name), kept as they are; the interpreter's command line follows.

    ``-c CMD`` (also ``-cCMD`` and ``-Sc CMD``) gets PROBE_CODE as CMD; with no command,
    ``-c PROBE_CODE`` is put where option parsing stops (before a ``-`` or ``--``, which then
    become sys.argv[1]); a command line whose last option lacks its argument is kept as it is
    (the interpreter reports the usage error).  Raises _Unsupported for -m and scripts.
    """
    if taken:
        tail = probe_argv((argv[0], *argv[1 + taken:]))
        return (argv[0], *argv[1:1 + taken], *tail[1:])
    args = list(argv[1:])
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-", "--"):
            if arg == "--" and args[i + 1:] and args[i + 1] != "-":
                raise _Unsupported(f"runs the script {args[i + 1]!r}", script=args[i + 1])
            break
        if not arg.startswith("-"):
            raise _Unsupported(f"runs the script {arg!r}", script=arg)
        if arg.startswith("--"):
            i += 2 if arg in _LONG_WITH_ARGUMENT else 1
            continue
        step = _cluster(args, i)
        if isinstance(step, list):
            return (argv[0], *step)
        i += step
    if i > len(args):  # the last option lacks its argument: a usage error as it stands
        return tuple(argv)
    return (argv[0], *args[:i], "-c", PROBE_CODE, *args[i:])


def no_bytecode(argv: Sequence[str], *, taken: int = 0) -> tuple[str, ...]:
    """argv with -B first in the interpreter's command line (after the ``taken`` arguments
    of the exec chain's own programs, as for probe_argv).

    A probe must not change what it observes: an import that writes bytecode writes it
    beside the source, into the site-packages of the installation being modelled (a run with
    -O leaves ``*.opt-1.pyc`` there).  PYTHONDONTWRITEBYTECODE is ignored under -E and -I,
    so the option it is.  -B sets config->write_bytecode = 0, that is
    sys.dont_write_bytecode, and nothing else (Python/initconfig.c, config_parse_cmdline);
    getpath and site never read it, so no probed field depends on it.  A case's own -B or
    PYTHONDONTWRITEBYTECODE says the same, and the invocation reported is the caller's."""
    return (argv[0], *argv[1:1 + taken], "-B", *argv[1 + taken:])


def _cluster(args: list[str], i: int) -> list[str] | int:
    """Read the cluster of short options args[i] (``-Sc``, ``-Wdefault``, ...): the new
    argument list if it holds -c, else how many words it uses (2 when its last option takes
    the next word)."""
    arg = args[i]
    for j in range(1, len(arg)):
        opt = arg[j]
        if opt not in _SHORT_WITH_ARGUMENT:
            continue  # a flag; unknown ones are the interpreter's to report
        attached = j + 1 < len(arg)
        if opt == "m":
            name = arg[j + 1:] if attached else (args[i + 1] if i + 1 < len(args) else "")
            raise _Unsupported("runs a module (-m)", module=name)
        if opt in "WX":
            return 1 if attached else 2
        if attached:  # -cCMD: the command is the rest of the word
            return [*args[:i], arg[:j + 1] + PROBE_CODE, *args[i + 1:]]
        if i + 1 >= len(args):
            return 2  # "Argument expected for the -c option"
        return [*args[:i + 1], PROBE_CODE, *args[i + 2:]]
    return 1


# -- running ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Run:
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    executed: str = ""
    """The file execve ran (the PATH candidate that worked)."""


def probe(invocation: Invocation, *, timeout: float = 30.0, taken: int = 0) -> Outcome:
    """What the real interpreter computed at start-up for ``invocation`` (trace empty);
    ``taken`` as for probe_argv."""
    if not invocation.argv:
        return _unsupported(invocation, "subprocess cannot pass an empty argv")
    try:
        argv = probe_argv(invocation.argv, taken=taken)
    except _Unsupported as why:
        if not (why.module in (PROBE_MODULE, ABSENT_MODULE)
                or (why.script is not None and is_probe_script(why.script, invocation.cwd))):
            return _unsupported(invocation, "the probe only runs -c, probe scripts and the "
                                f"{PROBE_MODULE} module: this command line {why}")
        argv = tuple(invocation.argv)
        module = why.module
    else:
        module = None
    argv = no_bytecode(argv, taken=taken)
    cwd_problem = _cwd_problem(invocation.cwd)
    if cwd_problem:
        return _exec_failed(invocation, "bad-cwd",
                            f"cannot chdir to {invocation.cwd!r}: {cwd_problem}")
    try:
        run = _execvp(invocation, argv, timeout)
    except ValueError as error:  # a NUL in argv or the environment: no exec can carry it
        return _unsupported(invocation, f"cannot be executed: {error}")
    if isinstance(run, OSError):
        name = errno.errorcode.get(run.errno or 0, f"errno {run.errno}")
        return _exec_failed(invocation, name, f"{invocation.program}: {name} "
                            f"({run.strerror})")
    return _outcome(invocation, run, module)


def _cwd_problem(cwd: str) -> str:
    """Why the child could not chdir to ``cwd`` (an errno name), or ''."""
    try:
        st = os.stat(cwd)
    except OSError as error:
        return errno.errorcode.get(error.errno or 0, str(error))
    if not stat.S_ISDIR(st.st_mode):
        return "ENOTDIR"
    return "" if os.access(cwd, os.X_OK) else "EACCES"


def _execvp(invocation: Invocation, argv: Sequence[str], timeout: float) -> _Run | OSError:
    """glibc execvp: a program with '/' is executed as is; otherwise each PATH entry in turn
    (PATH unset: /bin:/usr/bin; an empty entry is the cwd)."""
    program = invocation.program
    if "/" in program:
        candidates = [program]
    elif not program:
        return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
    else:
        search = invocation.environ.get("PATH", DEFAULT_EXEC_PATH)
        candidates = [f"{entry}/{program}" if entry else program
                      for entry in search.split(":")]
    failure: OSError | None = None
    eacces: OSError | None = None
    for candidate in candidates:
        try:
            return _run(candidate, argv, invocation, timeout)
        except OSError as error:
            failure = error
            if error.errno == errno.EACCES:
                eacces = error
            elif error.errno not in _NEXT_ENTRY:
                return error
    assert failure is not None
    return eacces or failure


def _run(executable: str, argv: Sequence[str], invocation: Invocation, timeout: float) -> _Run:
    # A relative executable with a '/' is resolved in the child after its chdir, as execve
    # resolves it in the exec'ing process.
    # Contained: the interpreter (and whatever it starts) is killed with its process group
    # at the time limit, and dies with prefixlab.
    try:
        code, stdout, stderr = run_contained(list(argv), executable=executable,
                                             env=invocation.environ, cwd=invocation.cwd,
                                             timeout=timeout)
    except subprocess.TimeoutExpired as expired:
        return _Run(None, _decode(expired.stdout), _decode(expired.stderr), timed_out=True,
                    executed=_in(invocation.cwd, executable))
    return _Run(code, _decode(stdout), _decode(stderr),
                executed=_in(invocation.cwd, executable))


def _in(cwd: str, path: str) -> str:
    return path if path.startswith("/") else os.path.join(cwd, path)


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", "surrogateescape")


# -- reading the result -----------------------------------------------------------------------
def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _outcome(invocation: Invocation, run: _Run, module: str | None = None) -> Outcome:
    values = _probed_values(run.stdout)
    errors = _lines(run.stderr)
    if values is not None:
        if MARKER in errors:
            errors = errors[:errors.index(MARKER)]
        return Outcome(
            status="ok", invocation=invocation,
            executable=values["executable"], base_executable=values["base_executable"],
            prefix=values["prefix"], base_prefix=values["base_prefix"],
            exec_prefix=values["exec_prefix"], base_exec_prefix=values["base_exec_prefix"],
            path=tuple(values["path"]), warnings=tuple(errors), version=values["version"],
            install=values.get("install"))
    library = _library_missing_report(run, errors)
    if library is not None:
        return Outcome(status="startup-failed", invocation=invocation,
                       warnings=tuple(errors[:-1]), error=Failure("library-not-found", library))
    missing = _module_missing_report(run, errors, module)
    if missing is not None:
        return Outcome(status="startup-failed", invocation=invocation,
                       warnings=tuple(errors[:-1]), error=Failure("module-not-found", missing))
    start = next((n for n, line in enumerate(errors) if line.startswith(_REPORT_STARTS)),
                 len(errors))
    failure = _failure(run, errors, start)
    if failure.kind == "unknown" and start == len(errors) and run.returncode:
        # No start-up report from an interpreter and a failing status: a program of the
        # exec chain (a wrapper, env, a pyenv shim) stopped first; the model names such a
        # failure by that status too (prefixlab.model.exec.chain).  When the file executed
        # is itself a CPython binary, the interpreter ran and ended without a report we
        # know (code it ran exited): a failed start, named by its status all the same.
        code = run.returncode
        kind = f"signal-{-code}" if code < 0 else f"exit-{code}"
        ran = _is_cpython_binary(run.executed)
        return Outcome(status="startup-failed" if ran else "exec-failed",
                       invocation=invocation,
                       error=Failure(kind, "\n".join(errors) or _exit_text(code)))
    return Outcome(status="startup-failed", invocation=invocation,
                   warnings=tuple(errors[:start]), error=failure)


def _is_cpython_binary(path: str) -> bool:
    """Is ``path`` an ELF file holding CPython's main entry point (Py_BytesMain, 3.8+;
    nixpkgs' binary wrappers, env and shells do not)?"""
    try:
        with open(path, "rb") as handle:
            if handle.read(4) != b"\x7fELF":
                return False
            handle.seek(0)
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return data.find(b"Py_BytesMain") >= 0
    except (OSError, ValueError):
        return False


def _library_missing_report(run: _Run, errors: list[str]) -> str | None:
    """The dynamic loader's report that it cannot find libpython, when it is the last line of
    stderr and the status is 127 ('<argv[0]>: error while loading shared libraries:
    libpython3.X.so.1.0: cannot open shared object file: ...', glibc ld.so fatal_error and
    _dl_fatal_printf's _exit(127)): the interpreter never started; None otherwise."""
    if run.returncode != 127 or not errors:
        return None
    last = errors[-1]
    return last if ": error while loading shared libraries: libpython" in last else None


def _module_missing_report(run: _Run, errors: list[str], module: str | None) -> str | None:
    """runpy's report that -m's module cannot be found (or is a package without __main__),
    when it is the last line of stderr and the status is 1 ('<sys.executable>: No module
    named X', Lib/runpy.py _run_module_as_main: sys.exit(msg)); None otherwise."""
    if module is None or run.returncode != 1 or not errors:
        return None
    last = errors[-1]
    package = (f": No module named {module}.__main__; {module!r} is a package and cannot be "
               "directly executed")
    return last if last.endswith((f": No module named {module}", package)) else None


def _probed_values(stdout: str) -> dict[str, Any] | None:
    """The dict PROBE_CODE printed, or None if it did not run (or printed nonsense)."""
    for line in _lines(stdout):
        if not line.startswith(MARKER):
            continue
        try:
            values = ast.literal_eval(line[len(MARKER):])
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
        if _well_formed(values):
            return dict(values)
        return None
    return None


def _well_formed(values: object) -> bool:
    if not isinstance(values, dict):
        return False
    if not all(isinstance(values.get(k), (str, type(None))) for k in _VALUE_KEYS):
        return False
    path = values.get("path")
    install = values.get("install")
    return (isinstance(path, list) and all(isinstance(p, str) for p in path)
            and isinstance(values.get("version"), str)
            and (install is None or (isinstance(install, dict)
                                     and all(isinstance(v, str) for v in install.values()))))


def _failure(run: _Run, errors: list[str], start: int) -> Failure:
    if run.timed_out:
        return Failure("hang", "no result before the time limit")
    text = "\n".join(errors)
    kind = next((k for k, needle in _KINDS if needle in text), "unknown")
    fatal = next((line for line in errors if line.startswith("Fatal Python error")), None)
    if fatal is not None:
        return Failure(kind, fatal)
    if start < len(errors):
        return Failure(kind, errors[start])
    if errors:
        return Failure(kind, errors[0])
    return Failure(kind, _exit_text(run.returncode))


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}, no output"
        except ValueError:
            return f"killed by signal {-code}, no output"
    return f"exit status {code}, no output and no probe result"


def _exec_failed(invocation: Invocation, kind: str, message: str) -> Outcome:
    return Outcome(status="exec-failed", invocation=invocation, error=Failure(kind, message))


def _unsupported(invocation: Invocation, message: str) -> Outcome:
    return Outcome(status="not-modelled", invocation=invocation,
                   error=Failure("probe-unsupported", message))
