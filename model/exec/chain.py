"""From "execute this program" to the interpreter that finally runs, hop by hop.

Each hop is one execve.  The kernel follows ``#!`` lines (:mod:`shebang`, at most
MAX_SCRIPT_DEPTH scripts per execve) until it reaches a binary.  A known CPython binary ends the
chain.  Three other binaries are followed because their behaviour is known exactly:
``env`` (GNU coreutils: assignments, ``-i``, ``-u``, ``-S``, then an execvp), ``bash`` running a
makeWrapper wrapper (:mod:`makewrapper`) or a pyenv shim (:mod:`pyenv`), and a makeBinaryWrapper
wrapper (:mod:`binarywrapper`, read from the record compiled into it).  Anything else stops the
chain with ``not-modelled``, saying what was not understood.

Failures are named as the caller observes them: the caller's own execvp fails with an errno
(``ENOENT``, ``EACCES``, ``ENOEXEC``, ``ELOOP`` ...); once a program of the chain runs, a
failure is that program's exit status (``exit-127``, ``exit-126``, ``exit-125``, ``exit-1``,
``exit-255``) or signal (``signal-6``), which is all a caller (and the probe) can see.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from prefixlab.model.speedups import dataclass
from prefixlab.model.world import kernel
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.fs import FsView, ReadBlocks, Unreadable
from prefixlab.model.world.invocation import DEFAULT_EXEC_PATH, Invocation
from prefixlab.model.trace import Step, StepRow, rule

if TYPE_CHECKING:
    from prefixlab.model.exec import binarywrapper, pyenv

# The readers of scripts, wrappers and shims (shebang, gnuenv, makewrapper, pyenv, bashwords,
# binarywrapper: a third of the model's import time, in dataclasses and regular expressions)
# are imported by the hops that read one: an interpreter started by its own path, whose
# prediction follows no chain, never needs them.

MAX_HOPS = 16
"""User-space hops (wrappers, env, pyenv) before the model gives up on a cycle."""

R_SHEBANG = rule(
    "chain.shebang", "exec",
    "The file starts with #!: the kernel runs the interpreter named there instead, with the "
    "line's one optional argument (taken whole) and the script's path in place of argv[0].",
    "Linux fs/binfmt_script.c load_script() (BINPRM_BUF_SIZE 256 since 5.1)")
R_ENV = rule(
    "chain.env", "exec",
    "env applies its assignments and options (-i, -u, -S) and runs the named command, "
    "searching PATH as execvp does.",
    "GNU coreutils env(1) (src/env.c)")
R_SHELL_WRAPPER = rule(
    "chain.make-wrapper", "exec",
    "bash runs a makeWrapper wrapper: each line sets, unsets or extends a variable or changes "
    "directory, then exec starts the wrapped program (with -a, argv[0] is chosen).",
    "nixpkgs pkgs/build-support/setup-hooks/make-wrapper.sh makeShellWrapper; bash exec "
    "builtin")
R_BINARY_WRAPPER = rule(
    "chain.binary-wrapper", "exec",
    "A makeBinaryWrapper wrapper changes the environment and directory, sets argv[0] (unless "
    "it is inherited) and execv()s the wrapped program; read from the makeCWrapper record "
    "compiled into it.",
    "nixpkgs pkgs/by-name/ma/makeBinaryWrapper/make-binary-wrapper.sh makeCWrapper")
R_PYENV = rule(
    "chain.pyenv-shim", "exec",
    "A pyenv shim runs pyenv exec: pyenv picks the version (PYENV_VERSION, a .python-version "
    "file from the working directory up, the global version file, else system) and runs "
    "that version's command by its full path, its bin directory first on PATH.",
    "pyenv libexec/pyenv-exec, pyenv-version-name, pyenv-version-file, pyenv-which")
R_STOPPED = rule(
    "chain.not-modelled", "exec",
    "A hop of the exec chain is not modelled (an unknown binary or a script line the model "
    "does not understand): the model says so rather than guess.",
    "the exec chain stage (model/exec/chain.py): it follows #! lines (binfmt_script), GNU "
    "env, makeWrapper, makeBinaryWrapper and pyenv shims, nothing else")
R_FAILED = rule(
    "chain.exec-failed", "exec",
    "A hop of the exec chain fails: the file cannot be executed, or the wrapper stops.",
    "execve(2) errors; binfmt_script ENOEXEC and ELOOP")

_ELF = b"\x7fELF"
_OTHER_SHELLS = ("sh", "dash", "zsh", "ksh", "mksh", "ash", "busybox")


@dataclass(frozen=True)
class Arrived:
    """The chain ends at a known CPython binary."""

    invocation: Invocation
    """What the interpreter receives: the path it was executed as, argv, environment, cwd."""
    target: str
    """The binary's physical path (a key of World.builds)."""
    cwd: str
    """The physical working directory."""
    warnings: tuple[str, ...] = ()
    """Lines the programs of the chain wrote to stderr before the interpreter started."""


@dataclass(frozen=True)
class Stopped:
    status: Literal["exec-failed", "not-modelled"]
    kind: str
    message: str
    binary: str | None = None
    """For an unknown binary: its physical path (the CLI may learn it and try again)."""


@dataclass
class _Process:
    """A process about to call execve (or execvp when ``search``)."""

    program: str
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: str
    search: bool
    by: str = "caller"
    """Who makes this exec: the caller (an errno is what it sees), or env, bash or a C
    wrapper (each turns a failed exec into its own exit status)."""
    warnings: tuple[str, ...] = ()
    """Lines the chain's programs wrote to stderr so far."""


class _Stop(Exception):
    def __init__(self, stopped: Stopped, errno: bool = False) -> None:
        super().__init__(stopped.message)
        self.stopped = stopped
        self.errno = errno
        """The failure is an execve errno (its meaning depends on who called execve)."""


def _fail(kind: str, message: str) -> _Stop:
    return _Stop(Stopped("exec-failed", kind, message))


def _exec_error(errno: str, message: str) -> _Stop:
    return _Stop(Stopped("exec-failed", errno, message), errno=True)


def _after_exec(stop: _Stop, by: str) -> _Stop:
    """A failed exec made by a program of the chain, as the caller sees it: an exit status.

    env and bash exit 127 for ENOENT and 126 for any other errno (coreutils env.c; bash
    execute_cmd.c shell_execve), and run a file the kernel calls ENOEXEC with a shell
    themselves (glibc execvp, bash), which is not modelled; a makeBinaryWrapper's execv()
    returns -1 from main, exit status 255.
    """
    kind, message = stop.stopped.kind, stop.stopped.message
    if by == "c-wrapper":
        return _fail("exit-255", f"{message} (execv returns; exit status 255)")
    if kind == "ENOEXEC":
        return _unmodelled("shell", f"{message}: {by} then runs the file with a shell itself")
    status = "exit-127" if kind == "ENOENT" else "exit-126"
    return _fail(status, f"{message} ({by} exits with status {status[5:]})")


def _unmodelled(kind: str, message: str, binary: str | None = None) -> _Stop:
    return _Stop(Stopped("not-modelled", kind, message, binary))


def follow(fs: FsView, invocation: Invocation, cwd: str,
           builds: Mapping[str, BuildConstants], steps: list[StepRow]) -> Arrived | Stopped:
    """Follow ``invocation`` (program looked up as execvp does) to the interpreter it starts.

    ``cwd`` is the physical working directory; steps are appended to ``steps``.
    """
    proc = _Process(invocation.program, invocation.argv, invocation.environ, cwd, True)
    try:
        for hop in range(MAX_HOPS):
            try:
                arrived = _execve(fs, proc, builds, steps)
            except _Stop as stop:
                raise (_after_exec(stop, proc.by) if stop.errno and proc.by != "caller"
                       else stop) from None
            except ReadBlocks as blocked:  # a wrapper or pyenv reads a FIFO: it waits
                raise _Stop(Stopped("exec-failed", "hang", str(blocked))) from None
            except Unreadable as unread:
                raise _unmodelled("file", str(unread)) from None
            if isinstance(arrived, Arrived):
                if hop == 0 and arrived.invocation.argv == invocation.argv:
                    return Arrived(invocation, arrived.target, cwd)
                return arrived
            proc = arrived
    except _Stop as stop:
        steps.append(Step.of(R_FAILED if stop.stopped.status == "exec-failed" else R_STOPPED,
                             "{message}", message=stop.stopped.message))
        return stop.stopped
    steps.append(Step.of(R_STOPPED, "more than {hops} hops", hops=MAX_HOPS))
    return Stopped("not-modelled", "exec-chain", f"more than {MAX_HOPS} exec hops (a cycle?)")


# -- do the caller's arguments reach the interpreter? ------------------------------------------
_OPTION_WITH_ARGUMENT = frozenset("WX")
_OPTION_COMMAND = frozenset("cm")


def options_only(words: tuple[str, ...]) -> bool:
    """Are ``words``, read by CPython's option parser (Python/getopt.c _PyOS_GetOpt), all
    options with their arguments inside them, and no command (-c, -m, '-', a script)?
    Then what follows them is still read as the interpreter's own options."""
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("-") or word in ("-", "--"):
            return False  # a script, stdin, or the end of the options
        if word.startswith("--"):
            i += 2 if word == "--check-hash-based-pycs" else 1
            continue
        for j in range(1, len(word)):
            if word[j] in _OPTION_COMMAND:
                return False
            if word[j] in _OPTION_WITH_ARGUMENT:
                i += 0 if j + 1 < len(word) else 1  # attached, or the next word
                break
        i += 1
    return i == len(words)


def passed_on(args: tuple[str, ...], interpreter_argv: tuple[str, ...]) -> int | None:
    """How many of the caller's ``args`` (argv[1:]) the chain's programs took for their own
    (``env python3 -S``: 1), when the rest reach the interpreter (``interpreter_argv``) as
    the end of its command line, after options only (a wrapper's added flags); None when
    they do not: a script is run (a ``#!`` line's interpreter gets the script's path
    first), a command comes before them, or the chain adds arguments after them."""
    received = interpreter_argv[1:]
    for taken in range(len(args) + 1):
        rest = args[taken:]
        cut = len(received) - len(rest)
        if cut >= 0 and received[cut:] == rest and options_only(received[:cut]):
            return taken
    return None


# -- execve and execvp ---------------------------------------------------------------------------
def executable(resolver: kernel.Resolver, path: str) -> str | kernel.Errno:
    """execve(2)'s checks on ``path``: its physical file, or the errno."""
    found = resolver.lookup(path)
    if found.entry is None or found.path is None:
        return found.error or kernel.Errno.ENOENT
    if found.entry.kind != "file" or not found.entry.mode & 0o111:
        return kernel.Errno.EACCES
    return found.path


def search(resolver: kernel.Resolver, program: str, path_var: str | None) -> tuple[str, str]:
    """glibc execvp's search: (the path passed to execve, its physical file), or _Stop."""
    if "/" in program:
        found = executable(resolver, program)
        if isinstance(found, kernel.Errno):
            raise _exec_error(found.value, f"{program}: {found.value}")
        return program, found
    if not program:
        raise _exec_error("ENOENT", "an empty program name: ENOENT")
    last, got_eacces = kernel.Errno.ENOENT, False
    for entry in (DEFAULT_EXEC_PATH if path_var is None else path_var).split(":"):
        candidate = f"{entry}/{program}" if entry else program
        found = executable(resolver, candidate)
        if not isinstance(found, kernel.Errno):
            return candidate, found
        if found not in (kernel.Errno.EACCES, kernel.Errno.ENOENT, kernel.Errno.ENOTDIR):
            raise _exec_error(found.value, f"{candidate}: {found.value}")
        got_eacces = got_eacces or found is kernel.Errno.EACCES
        last = found
    errno = kernel.Errno.EACCES if got_eacces else last
    raise _exec_error(errno.value, f"{program}: {errno.value} (searched PATH)")


def _execve(fs: FsView, proc: _Process, builds: Mapping[str, BuildConstants],
            steps: list[StepRow]) -> Arrived | _Process:
    from prefixlab.model.exec import shebang

    resolver = kernel.Resolver(fs, proc.cwd)
    if proc.search:
        filename, physical = search(resolver, proc.program, proc.env.get("PATH"))
    else:
        filename = proc.program
        found = executable(resolver, filename)
        if isinstance(found, kernel.Errno):
            raise _exec_error(found.value, f"{filename}: {found.value}")
        physical = found
    argv = proc.argv
    for _depth in range(shebang.MAX_SCRIPT_DEPTH + 1):
        if physical in builds:
            # a bare name (found through an empty PATH entry) is the file in the cwd: keep
            # it that way when the final invocation is predicted for
            program = filename if "/" in filename else "./" + filename
            return Arrived(Invocation(program, argv, tuple(proc.env.items()), proc.cwd),
                           physical, proc.cwd, proc.warnings)
        data = fs.read(physical)
        if data[:2] != b"#!":
            return _binary(fs, resolver, proc, filename, physical, argv, data, steps)
        line = shebang.parse(data)
        if isinstance(line, shebang.NotAScript):
            raise _exec_error("ENOEXEC", f"{filename}: {line.why}: ENOEXEC")
        argv = line.argv(filename, argv[1:])
        steps.append(Step.of(R_SHEBANG, "{script!r}: #!{interpreter}" if line.argument is None
                             else "{script!r}: #!{interpreter} [{argument}]", script=filename,
                             interpreter=line.interpreter, argument=line.argument))
        filename = line.interpreter
        found = executable(resolver, filename)
        if isinstance(found, kernel.Errno):
            raise _exec_error(found.value, f"{filename} (interpreter of a script): {found.value}")
        physical = found
    raise _exec_error("ELOOP", f"more than {shebang.MAX_SCRIPT_DEPTH} nested #! interpreters: ELOOP")


def _binary(fs: FsView, resolver: kernel.Resolver, proc: _Process, filename: str,
            physical: str, argv: tuple[str, ...], data: bytes,
            steps: list[StepRow]) -> _Process:
    """A binary that is not a known CPython: a wrapper, env, bash, or not modelled."""
    name = physical.rpartition("/")[2]
    if data[:4] == _ELF:
        from prefixlab.model.exec import binarywrapper

        wrapper = binarywrapper.read_binary(data)
        if isinstance(wrapper, binarywrapper.Unreadable):
            raise _unmodelled("not-an-interpreter", f"{physical}: {wrapper.why}")
        if wrapper is not None:
            return _run_binary_wrapper(resolver, wrapper, proc, argv, physical, steps)
    if name == "env":
        return _run_env(resolver, proc, argv, steps)
    if name == "bash":
        return _run_bash(fs, resolver, proc, argv, steps)
    if name in _OTHER_SHELLS and len(argv) > 1:
        script = next((a for a in argv[1:] if not a.startswith("-")), argv[-1])
        text = resolver.read_file(script)
        lines = ([] if isinstance(text, kernel.Errno)
                 else text.decode("utf-8", "surrogateescape").split("\n"))
        first = next((line for line in lines[1:]
                      if line.strip() and not line.lstrip().startswith("#")), "")
        raise _unmodelled("shell", f"{script} is run by {name}, which the model does not "
                          f"follow (first line not understood: {repr(first)})")
    if data[:4] != _ELF:
        raise _exec_error("ENOEXEC", f"{filename}: neither #! nor a binary: ENOEXEC")
    raise _unmodelled("not-an-interpreter", f"{physical} is not a known CPython binary",
                      binary=physical)


# -- env -----------------------------------------------------------------------------------------
def _run_env(resolver: kernel.Resolver, proc: _Process, argv: tuple[str, ...],
             steps: list[StepRow]) -> _Process:
    """GNU env: options (getopt, stopping at the first operand), then -i, the -u names and
    the NAME=VALUE operands, in that order, then execvp of the command."""
    from prefixlab.model.exec import gnuenv

    original = proc.env
    clear, unset, chdir = False, [], None
    args = list(argv[1:])
    while args and args[0].startswith("-") and args[0] != "-":
        arg = args.pop(0)
        if arg == "--":
            break
        value = None
        if arg.startswith("--") and "=" in arg:
            arg, _, value = arg.partition("=")
        elif not arg.startswith("--") and len(arg) > 2 and arg[1] in "uSC":
            arg, value = arg[:2], arg[2:]
        if arg in ("-u", "--unset", "-S", "--split-string", "-C", "--chdir") and value is None:
            if not args:
                raise _fail("exit-125", f"env: option {arg} requires an argument")
            value = args.pop(0)
        if arg in ("-i", "--ignore-environment"):
            clear = True
        elif arg in ("-u", "--unset"):
            unset.append(value or "")
        elif arg in ("-C", "--chdir"):
            chdir = value
        elif arg in ("-S", "--split-string"):
            try:
                args[0:0] = gnuenv.split(value or "", original)
            except gnuenv.SplitError as why:
                raise _fail("exit-125", f"env: {why} (exit status 125)") from None
        elif arg in ("-v", "--debug") or arg.startswith(("--default-signal",
                                                         "--ignore-signal",
                                                         "--block-signal")):
            pass  # a trace on stderr, or signal dispositions: nothing the interpreter sees
        else:
            raise _unmodelled("env-option", f"env option {repr(arg)} is not modelled")
    if args and args[0] == "-":  # an operand '-' right after the options is -i
        args.pop(0)
        clear = True
    env = {} if clear else dict(original)
    for name in unset:
        env.pop(name, None)
    while args and "=" in args[0] and not args[0].startswith("="):
        key, _, value = args.pop(0).partition("=")
        env[key] = value
    if not args:
        raise _unmodelled("env-option", "env without a command prints the environment")
    cwd = proc.cwd
    if chdir is not None:
        found = resolver.lookup(chdir)
        if found.entry is None or found.path is None or found.entry.kind != "dir":
            raise _fail("exit-125", f"env: cannot change directory to {repr(chdir)} (exit status "
                        "125)")
        resolver.cwd = cwd = found.path
    steps.append(Step.of(R_ENV, "env runs {program!r}", program=args[0]))
    return _Process(args[0], tuple(args), env, cwd, True, "env", proc.warnings)


# -- bash ----------------------------------------------------------------------------------------
def _run_bash(fs: FsView, resolver: kernel.Resolver, proc: _Process,
              argv: tuple[str, ...], steps: list[StepRow]) -> _Process:
    from prefixlab.model.exec import makewrapper, pyenv

    args = list(argv[1:])
    nounset = False
    while args and args[0] in ("-e", "-u", "-eu", "-ue", "--"):
        nounset = nounset or "u" in args[0]
        args.pop(0)
    if not args or args[0].startswith("-"):
        raise _unmodelled("shell", f"bash started with {list(argv[1:])!r}: only `bash [-e] "
                          "SCRIPT` is modelled")
    unsafe = [name for name in proc.env if name in makewrapper.UNSAFE_ENV
              or name.startswith("BASH_FUNC_")]
    if unsafe:
        raise _unmodelled("shell", f"{unsafe[0]} is set: bash would read or do more than the "
                          "script says")
    script = args[0]
    data = resolver.read_file(script)
    if isinstance(data, kernel.Errno):
        status = "exit-127" if data is kernel.Errno.ENOENT else "exit-126"
        raise _fail(status, f"bash: {script}: {data.value}")
    text = data.decode("utf-8", "surrogateescape")
    env = _bash_startup(resolver, proc.env, proc.cwd)
    level = (makewrapper.legal_number(proc.env.get("SHLVL")) or 0) + 1
    if level >= 1000:  # variables.c adjust_shell_level, written as bash's argv[0] names it
        proc = _Process(proc.program, proc.argv, proc.env, proc.cwd, proc.search, proc.by,
                        (*proc.warnings, f"{argv[0]}: warning: shell level ({level}) too "
                         "high, resetting to 1"))
    shim = pyenv.read_shim(text)
    if shim is not None:
        return _run_shim(fs, resolver, shim, proc, env, script, tuple(args[1:]), steps)
    return _run_shell_wrapper(resolver, text, proc, env, script, tuple(args[1:]), steps,
                              nounset)


def _bash_startup(resolver: kernel.Resolver, env: Mapping[str, str], cwd: str) -> dict[str, str]:
    """What bash does to the environment it passes on, before the script runs (variables.c
    set_pwd, adjust_shell_level): PWD kept only if it is absolute and names the working
    directory, OLDPWD kept only if it names a directory, SHLVL plus one."""
    from prefixlab.model.exec import makewrapper

    out = dict(env)
    pwd = out.get("PWD")
    if not (pwd and pwd.startswith("/") and resolver.realpath(pwd) == cwd):
        out["PWD"] = cwd
    oldpwd = out.get("OLDPWD")
    if oldpwd is not None:
        entry = resolver.stat(oldpwd) if oldpwd else None
        if entry is None or entry.kind != "dir":
            del out["OLDPWD"]
    out["SHLVL"] = makewrapper.adjust_shell_level(out.get("SHLVL"), +1)
    return out


def _run_shell_wrapper(resolver: kernel.Resolver, text: str, proc: _Process,
                       env: dict[str, str], script: str, args: tuple[str, ...],
                       steps: list[StepRow], nounset: bool) -> _Process:
    from prefixlab.model.exec import bashwords, makewrapper

    wrapper = makewrapper.parse(text)
    if isinstance(wrapper, makewrapper.NotUnderstood):
        why = f" ({wrapper.why})" if wrapper.why else ""
        raise _unmodelled("shell", f"{script}: line {wrapper.line_number} is not understood"
                          f"{why}: {repr(wrapper.line)}")
    cwd = proc.cwd
    arrays: dict[str, tuple[str, ...]] = {}
    for op in wrapper.ops:
        if isinstance(op, makewrapper.DeclareArray):
            arrays[op.name] = ()
        elif isinstance(op, makewrapper.Nounset):
            nounset = op.on
        elif isinstance(op, makewrapper.Set):
            if not op.default or op.name not in env:
                env[op.name] = op.value
        elif isinstance(op, makewrapper.Unset):
            env.pop(op.name, None)
        elif isinstance(op, makewrapper.AddValue):
            env[op.name] = makewrapper.add_value(env, op)
        else:
            cwd = _cd(resolver, op.directory, env, cwd, script)
    try:
        words = bashwords.words(wrapper.exec_line, bashwords.Context(env, script, args,
                                                                      arrays, nounset))
    except bashwords.Unbound as why:
        raise _fail("exit-1", f"{script}: line {wrapper.exec_line_number}: {why} "
                    "(set -u stops the script, exit status 1)") from None
    except bashwords.Unsupported as why:
        raise _unmodelled("shell", f"{script}: line {wrapper.exec_line_number} is not "
                          f"understood ({why}): {repr(wrapper.exec_line)}") from None
    program, argv, clear = _exec_builtin(words, script, wrapper.exec_line_number)
    env = {} if clear else env
    if not clear:
        env["SHLVL"] = makewrapper.adjust_shell_level(env.get("SHLVL"), -1)
    steps.append(Step.of(R_SHELL_WRAPPER, "{script!r} execs {program!r} as argv[0] {argv0!r}",
                         script=script, program=program, argv0=argv[0]))
    return _Process(program, argv, env, cwd, False, "bash", proc.warnings)


def _exec_builtin(words: list[str], script: str, line: int) -> tuple[str, tuple[str, ...], bool]:
    """bash's exec [-cl] [-a name] command args: (command, argv, clear environment)."""
    rest = words[1:]
    name: str | None = None
    clear = False
    while rest and rest[0].startswith("-") and rest[0] != "-":
        option = rest.pop(0)
        if option == "--":
            break
        if option == "-a" and rest:
            name = rest.pop(0)
        elif option == "-c":
            clear = True
        else:
            raise _unmodelled("shell", f"{script}: line {line}: exec {option} is not modelled")
    if not rest:
        raise _unmodelled("shell", f"{script}: line {line}: exec without a command")
    if "/" not in rest[0]:
        raise _unmodelled("shell", f"{script}: line {line}: exec of {repr(rest[0])} needs bash's "
                          "PATH search, which is not modelled")
    return rest[0], (rest[0] if name is None else name, *rest[1:]), clear


def _cd(resolver: kernel.Resolver, directory: str, env: dict[str, str], cwd: str,
        script: str) -> str:
    """bash's cd DIR (logical): the directory named lexically from PWD, else DIR as given;
    PWD and OLDPWD follow.  Returns the new physical cwd."""
    if not directory.startswith("/") and env.get("CDPATH"):
        raise _unmodelled("shell", f"{script}: cd {repr(directory)} with CDPATH set")
    pwd = env.get("PWD", cwd)
    absolute = directory if directory.startswith("/") else pwd.rstrip("/") + "/" + directory
    logical = _canonical(resolver, absolute)
    place = resolver.lookup(logical) if logical is not None else None
    if place is not None and place.entry is not None and place.entry.kind == "dir":
        assert place.path is not None and logical is not None
        new_pwd, physical = logical, place.path
    else:
        plain = resolver.lookup(directory)
        if plain.entry is None or plain.path is None or plain.entry.kind != "dir":
            error = plain.error.value if plain.error else "ENOTDIR"
            raise _fail("exit-1", f"{script}: cd {repr(directory)}: {error} (bash -e stops, exit "
                        "status 1)")
        new_pwd = physical = plain.path
    env["OLDPWD"] = pwd
    env["PWD"] = new_pwd
    resolver.cwd = physical
    return physical


def _canonical(resolver: kernel.Resolver, path: str) -> str | None:
    """bash's sh_canonpath with PATH_CHECKDOTDOT|PATH_CHECKEXISTS: '.', '..' and repeated
    slashes resolved by string ('..' only after a directory); a leading '//' is kept."""
    lead = "//" if path.startswith("//") and not path.startswith("///") else "/"
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            here = lead + "/".join(parts)
            entry = resolver.stat(here)
            if entry is None or entry.kind != "dir":
                return None
            if parts:
                parts.pop()
            continue
        parts.append(part)
    result = lead + "/".join(parts)
    entry = resolver.stat(result)
    return result if entry is not None and entry.kind == "dir" else None


# -- pyenv ---------------------------------------------------------------------------------------
def _files(fs: FsView, resolver: kernel.Resolver) -> pyenv.Files:
    from prefixlab.model.exec import pyenv

    def kind(path: str) -> str | None:
        entry = resolver.stat(path)
        return None if entry is None else entry.kind

    def read(path: str) -> bytes | None:
        data = resolver.read_file(path)
        return None if isinstance(data, kernel.Errno) else data

    def children(path: str) -> tuple[str, ...]:
        real = resolver.realpath(path)
        return () if isinstance(real, kernel.Errno) else fs.children(real)

    def executable(path: str) -> bool:
        entry = resolver.stat(path)
        return entry is not None and bool(entry.mode & 0o111)

    return pyenv.Files(lambda p: kind(p) == "file", lambda p: kind(p) == "dir", read,
                       children, executable)


def _run_shim(fs: FsView, resolver: kernel.Resolver, shim: pyenv.Shim, proc: _Process,
              env: dict[str, str], script: str, args: tuple[str, ...],
              steps: list[StepRow]) -> _Process:
    from prefixlab.model.exec import makewrapper, pyenv

    command = script.rpartition("/")[2]
    root = shim.root.rstrip("/") or shim.root
    found = executable(resolver, shim.pyenv)
    if isinstance(found, kernel.Errno):
        status = "exit-127" if found is kernel.Errno.ENOENT else "exit-126"
        raise _fail(status, f"{script}: exec {shim.pyenv}: {found.value}")
    files = _files(fs, resolver)
    pwd = env["PWD"]
    env["PYENV_ROOT"] = root
    env["PYENV_DIR"] = env.get("PYENV_DIR") or pwd
    install = _install_prefix(resolver, shim.pyenv)
    path = _pyenv_path(files, install, root, env.get("PATH", ""))

    def on_path(name: str) -> str | None:
        stripped = pyenv.without_shims(path, root, env.get("HOME", ""))
        try:
            return search(resolver, name, stripped)[0]
        except _Stop:
            return None

    if env.get("PYENV_DEBUG"):
        raise _unmodelled("pyenv", "PYENV_DEBUG is set: pyenv traces itself and exports PS4")
    choice = pyenv.choose(files, root, env, pwd, command, on_path)
    if isinstance(choice, pyenv.NotFound):
        raise _fail("exit-127", f"{script}: {choice.message} (exit status 127)")
    bin_path = choice.path.rpartition("/")[0]
    env["PYENV_VERSION"] = choice.versions
    env["PATH"] = f"{bin_path}:{path}" if bin_path.startswith(root) else path
    env["_PYENV_INSTALL_PREFIX"] = install
    env["PYENV_HOOK_PATH"] = _pyenv_hook_path(files, install, root, env.get("PYENV_HOOK_PATH"))
    shim_dir = script.rpartition("/")[0] if "/" in script else script
    if shim_dir != f"{shim.root}/shims":
        # the shim exports _PYENV_SHIM_PATH; pyenv exec turns it into a per-command list
        key = "_PYENV_SHIM_PATHS_" + re.sub(r"[^A-Z0-9_]", "_",
                                            command.upper().replace("-", "_"))
        old = env.get(key)
        env[key] = shim_dir + (f":{old}" if old else "")
    env["SHLVL"] = makewrapper.adjust_shell_level(env.get("SHLVL"), -1)
    steps.append(Step.of(R_PYENV, "{script!r}: version {version} (from {origin}) runs "
                         "{program!r}", script=script, version=choice.version,
                         origin=choice.origin, program=choice.path))
    return _Process(choice.path, (choice.path, *args), env, proc.cwd, False, "bash",
                    (*proc.warnings, *choice.warnings))


def _pyenv_hook_path(files: pyenv.Files, install: str, root: str, old: str | None) -> str:
    """PYENV_HOOK_PATH as libexec/pyenv exports it."""
    parts = [old or "", f"{root}/pyenv.d"]
    if install != root:
        parts.append(f"{install}/pyenv.d")
    parts += ["/usr/etc/pyenv.d", "/usr/local/etc/pyenv.d", "/etc/pyenv.d", "/usr/lib/pyenv/hooks"]
    parts += [f"{root}/plugins/{name}/etc/pyenv.d" for name in files.children(f"{root}/plugins")
              if files.is_dir(f"{root}/plugins/{name}/etc/pyenv.d")]
    return ":".join(parts).removeprefix(":")


def _install_prefix(resolver: kernel.Resolver, pyenv_command: str) -> str:
    real = resolver.realpath(pyenv_command)
    where = pyenv_command if isinstance(real, kernel.Errno) else real
    return where.rpartition("/")[0].rpartition("/")[0]


def _pyenv_path(files: pyenv.Files, install: str, root: str, path: str) -> str:
    """PATH as libexec/pyenv leaves it: each plugins/*/bin put first (in glob order, so the
    last ends up first), under the install prefix and then PYENV_ROOT, then libexec."""
    for base in (install,) if install == root else (install, root):
        for plugin in files.children(f"{base}/plugins"):
            if files.is_dir(f"{base}/plugins/{plugin}/bin"):
                path = f"{base}/plugins/{plugin}/bin:{path}"
    return f"{install}/libexec:{path}"


# -- makeBinaryWrapper ---------------------------------------------------------------------------
def _run_binary_wrapper(resolver: kernel.Resolver, wrapper: binarywrapper.BinaryWrapper,
                        proc: _Process, argv: tuple[str, ...], physical: str,
                        steps: list[StepRow]) -> _Process:
    from prefixlab.model.exec import bashwords, binarywrapper

    try:
        plan = binarywrapper.plan(wrapper)
    except bashwords.Unsupported as why:
        raise _unmodelled("binary-wrapper", f"{physical}: {why}") from None
    env = dict(proc.env)
    cwd = proc.cwd
    for flag in plan.env_ops:
        cwd = _c_statement(resolver, flag, env, cwd, physical)
    args = (*plan.before, *argv[1:], *plan.after)
    argv0 = argv[0] if plan.argv0 is None else plan.argv0
    if plan.resolve:
        argv0 = _resolve_argv0(resolver, argv0, env.get("PATH"))
    template = ("{wrapper!r} execv()s {program!r} as argv[0] {argv0!r}" if wrapper.resolve_known
                else "{wrapper!r} execv()s {program!r} as argv[0] {argv0!r} (the record cannot "
                "tell --resolve-argv0)")
    steps.append(Step.of(R_BINARY_WRAPPER, template, wrapper=physical,
                         program=wrapper.executable, argv0=argv0,
                         resolve_known=wrapper.resolve_known))
    return _Process(wrapper.executable, (argv0, *args), env, cwd, False, "c-wrapper",
                    proc.warnings)


def _c_statement(resolver: kernel.Resolver, flag: binarywrapper.Flag, env: dict[str, str],
                 cwd: str, physical: str) -> str:
    from prefixlab.model.exec import binarywrapper

    name = flag[0]
    try:
        if name == "--set":
            env[flag[1]] = flag[2]
        elif name == "--set-default":
            env.setdefault(flag[1], flag[2])
        elif name == "--unset":
            env.pop(flag[1], None)
        elif name == "--prefix":
            env[flag[1]] = binarywrapper.set_env_prefix(env, *flag[1:])
        elif name == "--suffix":
            env[flag[1]] = binarywrapper.set_env_suffix(env, *flag[1:])
        elif name == "--chdir":
            found = resolver.lookup(flag[1])
            if found.entry is None or found.path is None or found.entry.kind != "dir":
                error = found.error.value if found.error else "ENOTDIR"
                raise _fail("signal-6", f"{physical}: chdir({repr(flag[1])}): {error} (perror, "
                            "abort(): SIGABRT)")
            resolver.cwd = cwd = found.path
    except binarywrapper.UndefinedBehaviour as why:
        raise _unmodelled("binary-wrapper", f"{physical}: {why}") from None
    return cwd


def _resolve_argv0(resolver: kernel.Resolver, argv0: str, path: str | None) -> str:
    """makeBinaryWrapper's resolve_argv0: a slash-less argv0 becomes the first PATH entry
    (strtok: empty entries skipped) where access(X_OK) succeeds (directories too, as root)."""
    if "/" in argv0 or path is None:
        return argv0
    for entry in (e for e in path.split(":") if e):
        candidate = f"{entry}/{argv0}"
        found = resolver.lookup(candidate)
        if found.entry is not None and (found.entry.kind == "dir" or found.entry.mode & 0o111):
            return candidate
    return argv0


def exec_target(fs: FsView, invocation: Invocation, cwd: str,
                resolver: kernel.Resolver | None = None) -> str | kernel.Errno:
    """execvp: a name with '/' is used as is; otherwise each PATH entry in turn ('' = cwd).
    Returns the physical path executed, or the errno execvp would report."""
    resolver = resolver or kernel.Resolver(fs, cwd)
    program = invocation.program
    if "/" in program:
        return executable(resolver, program)
    search = invocation.environ.get("PATH", DEFAULT_EXEC_PATH)
    # glibc posix/execvpe.c: EACCES is remembered and the search goes on; ENOENT and
    # ENOTDIR go on to the next entry; any other error (ELOOP) ends the search.  At the end
    # the errno is EACCES if any entry gave it, else the last one.
    last, got_eacces = kernel.Errno.ENOENT, False
    for entry in search.split(":"):
        found = executable(resolver, f"{entry}/{program}" if entry else program)
        if not isinstance(found, kernel.Errno):
            return found
        if found not in (kernel.Errno.EACCES, kernel.Errno.ENOENT, kernel.Errno.ENOTDIR):
            return found
        got_eacces = got_eacces or found is kernel.Errno.EACCES
        last = found
    return kernel.Errno.EACCES if got_eacces else last
