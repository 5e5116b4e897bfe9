"""From "execute this program" to the Outcome: exec, the command line, getpath, sys.path[0],
and whether the stdlib can be imported at all.

This is the model's front door: :func:`predict` is total (it returns an Outcome for every
world and invocation, never raises for a strange layout) and pure.
"""

from __future__ import annotations

from prefixlab.model.speedups import replace

from prefixlab.model.startup import cmdline
from prefixlab.model.startup import getpath
from prefixlab.model.world import kernel
from prefixlab.model.startup import schemes
from prefixlab.model.startup import site
from prefixlab.model.world import World
from prefixlab.model.world.account import Account
from prefixlab.model.world.build import Behaviour, BuildConstants, UnsupportedVersion, behaviour_for
from prefixlab.model.world.fs import FsView, Unreadable, with_prefix
from prefixlab.model.startup.getpath.context import Calc, Inputs, StartupFailed
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.outcome import Failure, Outcome, Status
from prefixlab.model.startup.sitecode import CodeNotRun
from prefixlab.model.speedups import new_tuple
from prefixlab.model.trace import Step, StepRow, Trace, rule
from prefixlab.model.exec import chain
from prefixlab.model.startup import imports

R_EXEC = rule(
    "exec.interpreter", "exec",
    "The kernel executes the program: the path (or the first match on PATH) is resolved, "
    "every link followed, and it is a known CPython binary.",
    "execve(2), execvp(3) (glibc: PATH unset means /bin:/usr/bin)")
R_EXEC_FAILED = rule(
    "exec.failed", "exec",
    "The program cannot be executed.",
    "execve(2) errors: ENOENT, EACCES, ENOTDIR, ELOOP")
R_NOT_INTERPRETER = rule(
    "exec.not-modelled", "exec",
    "The program is not a CPython binary the model knows (a script, a wrapper, or an unknown "
    "binary): following it is not modelled yet.",
    "execve(2) of a binary without known build constants; the exec chain stage "
    "(model/exec/chain.py) follows only #! lines, env, nixpkgs' wrappers and pyenv shims")
R_LIBRARY_MISSING = rule(
    "exec.library-missing", "exec",
    "The binary needs libpython as a shared library and the dynamic loader finds it nowhere "
    "(run path, ld.so.cache, default directories): ld.so writes '<argv[0]>: error while "
    "loading shared libraries: <name>: cannot open shared object file: No such file or "
    "directory' and exits with status 127 before the interpreter starts.",
    "ld.so(8) 'Rules for finding libraries'; glibc ld.so fatal_error "
    "(elf/dl-error-skeleton.c) and _dl_fatal_printf (elf/dl-printf.c, _exit(127))")
R_LIBRARY_PATH = rule(
    "exec.library-path", "exec",
    "LD_LIBRARY_PATH is set for a binary whose libpython the loader finds nowhere else: the "
    "loader searches those directories first, which the model does not follow.",
    "ld.so(8) 'Rules for finding libraries' (LD_LIBRARY_PATH before DT_RUNPATH)")
R_STDLIB_MISSING = rule(
    "startup.no-stdlib", "startup",
    "No entry of the module search path holds the encodings package: start-up fails with "
    "'failed to get the Python codec of the filesystem encoding'.",
    "Python/pylifecycle.c init_fs_encoding")


R_RUNPY_SHADOWED = rule(
    "startup.runpy-shadowed", "startup",
    "-m runs the module through runpy, which imports os, types, pkgutil, ...; a copy of one of "
    "them ahead of the stdlib's (in the working directory, sys.path[0]) is code the model "
    "does not run.",
    "Modules/main.c pymain_run_module; Lib/runpy.py imports")
R_MODULE_MISSING = rule(
    "startup.module-missing", "startup",
    "-m names a top-level module that no meta-path finder finds (built-in, frozen, then "
    "sys.path in order), or a namespace package without __main__: runpy exits with status "
    "1 and '<sys.executable>: No module named X' (for the package: 'No module named "
    "X.__main__; 'X' is a package and cannot be directly executed').",
    "Lib/runpy.py _get_module_details and _run_module_as_main (3.8-3.14)")



def predict(world: World, invocation: Invocation, *, behaviour: Behaviour | None = None,
            check_stdlib: bool = True) -> Outcome:
    """What the interpreter started by ``invocation`` computes at start-up.

    ``behaviour`` overrides the row chosen from the build's version (CPython's own tests use a
    sentinel version 9.8 so that host values cannot pass for expected ones).  With
    ``check_stdlib`` false, a layout without an importable stdlib still gets getpath's answer
    (as CPython's test_getpath sees it) instead of a failed start.
    """
    steps: list[StepRow] = []
    resolver = kernel.Resolver(world.fs, "/")
    cwd = resolver.realpath(invocation.cwd)
    if isinstance(cwd, kernel.Errno):
        return _failed(invocation, "exec-failed", "bad-cwd",
                       f"cannot chdir to {repr(invocation.cwd)}: {cwd.value}", steps)
    resolver.cwd = cwd
    target = chain.exec_target(world.fs, invocation, cwd, resolver)
    if isinstance(target, kernel.Errno):
        steps.append(Step.of(R_EXEC_FAILED, "{program!r}: {errno}", program=invocation.program,
                             errno=target.value))
        return _failed(invocation, "exec-failed", target.value,
                       f"{invocation.program}: {target.value}", steps)
    build = world.builds.get(target)
    if build is None:
        # Not a known binary: follow the exec chain (#! lines, env, wrappers, pyenv shims) to
        # the interpreter it starts; the Outcome keeps the original invocation, the trace
        # every hop.
        hop = chain.follow(world.fs, invocation, cwd, world.builds, steps)
        if isinstance(hop, chain.Stopped):
            if hop.binary == target:
                steps.append(Step.of(R_NOT_INTERPRETER, "{target!r}", target=target))
            why = world.unlearned.get(hop.binary or "")
            message = f"{hop.message} ({why})" if why else hop.message
            return _failed(invocation, hop.status, hop.kind, message, steps)
        final = predict(world, hop.invocation, behaviour=behaviour, check_stdlib=check_stdlib)
        return replace(final, invocation=invocation,
                       warnings=(*hop.warnings, *final.warnings),
                       trace=final.trace._replace(
                           step_rows=(*steps, *final.trace.step_rows)))
    if build.missing_library is not None:
        return _no_library(invocation, target, build, build.missing_library, steps)
    steps.append((R_EXEC, "{program!r} -> {target!r} (CPython {version})", "",
                  {"program": invocation.program, "target": target,
                   "version": build.version_text}))
    try:
        row = behaviour or _ROWS.get(build.version) or _row_for(build.version)
    except UnsupportedVersion as error:
        return _failed(invocation, "not-modelled", "unsupported-version", str(error), steps)
    return _start(world.fs, build, row, invocation, cwd, steps, check_stdlib, resolver,
                  world.account)


_ROWS: dict[tuple[int, int, int], Behaviour] = {}
"""behaviour_for's answers by version, kept (the table is fixed; a prediction asks once)."""


def _row_for(version: tuple[int, int, int]) -> Behaviour:
    row = _ROWS[version] = behaviour_for(version)
    return row


class _Stop(Exception):
    """Start-up ends before the program runs: the status, the failure, and what of the
    computation the Outcome still reports (control flow inside this module only)."""

    def __init__(self, status: Status, kind: str, message: str, calc: Calc | None = None, *,
                 warnings: bool = True, module_search_paths: tuple[str, ...] = (),
                 stdlib_dir: str | None = None,
                 code_not_run: tuple[CodeNotRun, ...] = ()) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.calc = status, kind, message, calc
        self.warnings = warnings
        """The lines written to stderr before the end are reported (site's NotModelled and
        runpy's refusal are the model's own stops: the real interpreter would go on)."""
        self.module_search_paths = module_search_paths
        self.stdlib_dir = stdlib_dir
        self.code_not_run = code_not_run


def _start(fs: FsView, build: BuildConstants, row: Behaviour, invocation: Invocation, cwd: str,
           steps: list[StepRow], check_stdlib: bool, resolver: kernel.Resolver,
           account: Account) -> Outcome:
    version = build.version_text
    try:
        line = _command_line(invocation, row)
        calc = _getpath(fs, build, row, invocation, cwd, line, steps, resolver)
        if check_stdlib and not _has_encodings(calc):
            calc.step(R_STDLIB_MISSING, "searched {searched!r}",
                      searched=calc.module_search_paths)
            raise _Stop("startup-failed", "stdlib-not-found", "init_fs_encoding: failed to get "
                        "the Python codec of the filesystem encoding", calc,
                        module_search_paths=tuple(calc.module_search_paths))
        # sys.path as start-up imports encodings (before site changes the list): what the
        # __path__ of packages imported then is made from.
        searched = tuple(calc.module_search_paths)
        code_not_run = _site(calc, invocation, account)
        first = getpath.searchpath.path0(calc)
        path = ((first,) if first is not None else ()) + tuple(calc.module_search_paths)
        if line.run == "m":
            _check_runpy(calc, path, line.target, searched, code_not_run)
    except _Stop as stop:
        return _stopped(invocation, stop, steps, version)
    install = schemes.for_start(calc, path)  # before the trace is taken: it adds a step
    return Outcome(
        status="ok", invocation=invocation,
        executable=calc.executable or "",
        base_executable=calc.base_executable or "",
        prefix=calc.prefix or "",
        base_prefix=calc.base_prefix or calc.prefix or "",
        exec_prefix=calc.exec_prefix or "",
        base_exec_prefix=calc.base_exec_prefix or calc.exec_prefix or "",
        path=path, warnings=tuple(calc.warnings), trace=_trace(steps, calc),
        code_not_run=code_not_run,
        module_search_paths=searched, stdlib_dir=calc.stdlib_dir,
        version=version, install=install)


def _command_line(invocation: Invocation, row: Behaviour) -> cmdline.CommandLine:
    line = cmdline.parse(invocation.argv[1:], row)
    if line.not_modelled:
        raise _Stop("not-modelled", "option", line.not_modelled)
    if line.usage_error:
        raise _Stop("startup-failed", "usage", line.usage_error)
    return line


def _getpath(fs: FsView, build: BuildConstants, row: Behaviour, invocation: Invocation,
             cwd: str, line: cmdline.CommandLine, steps: list[StepRow],
             resolver: kernel.Resolver) -> Calc:
    env = invocation.environ
    inputs = Inputs(fs, cwd, build, row, invocation.argv, env, line,
                    cmdline.startup_config(line, env, row))
    bad = _bad_frozen_modules(inputs, steps)
    if bad:
        raise _Stop("startup-failed", "bad-option", bad)
    try:
        return getpath.run(inputs, resolver)
    except StartupFailed as failure:
        raise _Stop("startup-failed", failure.kind, failure.message, failure.calc) from None
    except Unreadable as unread:
        raise _Stop("not-modelled", "file", str(unread)) from None


def _site(calc: Calc, invocation: Invocation, account: Account) -> tuple[CodeNotRun, ...]:
    """What importing site does (nothing under -S, unless a ._pth 'import site' asks for
    it even then), and the code it would run that the model does not."""
    if not calc.site_import:
        return ()
    before_site = len(calc.warnings)
    try:
        return site.main(calc, invocation.environ, account)
    except StartupFailed as failure:
        if not calc.ask("stderr_line_buffered"):  # 3.8: site's lines die in the buffer
            del calc.warnings[before_site:]
        raise _Stop("startup-failed", failure.kind, failure.message, calc) from None
    except site.NotModelled as unknown:
        raise _Stop("not-modelled", "site", str(unknown), calc, warnings=False) from None
    except Unreadable as unread:
        raise _Stop("not-modelled", "file", str(unread), calc, warnings=False) from None


def _check_runpy(calc: Calc, path: tuple[str, ...], module: str, searched: tuple[str, ...],
                 code_not_run: tuple[CodeNotRun, ...]) -> None:
    """-m: runpy's own imports must come from the stdlib, and the module must exist."""
    shadowed = _runner_shadowed(calc, path)
    if shadowed:
        raise _Stop("not-modelled", "runpy", shadowed, calc, warnings=False)
    missing = _module_missing(calc, path, module)
    if missing:
        # After start-up: site's warnings are printed, then runpy's report.
        raise _Stop("startup-failed", "module-not-found", f"{calc.executable or ''}: {missing}",
                    calc, module_search_paths=searched, stdlib_dir=calc.stdlib_dir,
                    code_not_run=code_not_run)


def _stopped(invocation: Invocation, stop: _Stop, steps: list[StepRow],
             version: str | None) -> Outcome:
    """The Outcome of a start that ended early: the one place such an Outcome is made."""
    calc = stop.calc
    return Outcome(
        status=stop.status, invocation=invocation,
        warnings=tuple(calc.warnings) if calc is not None and stop.warnings else (),
        error=Failure(stop.kind, stop.message), trace=_trace(steps, calc),
        module_search_paths=stop.module_search_paths, stdlib_dir=stop.stdlib_dir,
        code_not_run=stop.code_not_run, version=version)


def _bad_frozen_modules(inputs: Inputs, steps: list[StepRow]) -> str:
    """config_init_import (3.11+): -X frozen_modules or PYTHON_FROZEN_MODULES (3.13+) with a
    value other than on/off is fatal before getpath runs ('' when the setting is fine)."""
    if not inputs.row.frozen_stdlib or ("PYTHON_FROZEN_MODULES" not in inputs.env and not any(
            "X" in arg for arg in inputs.argv[1:])):
        return ""  # nothing to judge: no -X option, no variable (or no frozen stdlib, 3.8-3.10)
    context = imports.ImportContext(
        inputs.fs, inputs.build, inputs.row, (), inputs.cwd, None,
        imports.xoptions(inputs.argv[1:]), inputs.env, inputs.config.use_environment)
    judged: list[Step] = []
    setting = imports.frozen_modules_on(context, judged)
    steps.extend(judged)
    if setting is None:
        return "bad value for frozen_modules (expected \"on\" or \"off\")"
    return ""


def _runner_shadowed(calc: Calc, path: tuple[str, ...]) -> str:
    """Why -m would run code the model does not run ('' when it would not): a module runpy
    imports found ahead of the stdlib's copy (an os.py in the working directory)."""
    if not calc.inputs.build.builtin_modules:
        return ""  # constants made by hand: nothing to resolve names with
    odd = imports.not_from_stdlib(imports.context_of(calc, path), calc.ask("runpy_imports"),
                                  missing=False)
    if odd is None or odd[1] is None:
        return ""
    name, found = odd[0], odd[1]
    calc.step(R_RUNPY_SHADOWED, "{module} from {origin!r}", module=name, origin=found.origin)
    return f"-m would import {name} from {found.origin}, not the stdlib's copy"


def _module_missing(calc: Calc, path: tuple[str, ...], name: str) -> str:
    """runpy's report when ``name`` (-m's argument) is a top-level module that import cannot
    find, or a namespace package without a __main__ module ('' otherwise).  Dotted and
    relative names, and regular packages, are not decided here (runpy imports the parent
    package first: code the model does not run)."""
    if not name or "." in name or not calc.inputs.build.builtin_modules:
        return ""
    context = imports.context_of(calc, path)
    found = imports.which(context, name).found
    if found is None:
        report = f"No module named {name}"
    elif found.kind == "namespace" and imports.which(context, name + ".__main__").found is None:
        report = (f"No module named {name}.__main__; {repr(name)} is a package and cannot be "
                  "directly executed")
    else:
        return ""
    calc.step(R_MODULE_MISSING, "{report} (sys.path {path!r})", report=report, path=list(path))
    return report


def _has_encodings(calc: Calc) -> bool:
    """Is the encodings package importable from the search path (a directory entry holding
    encodings/__init__.py or .pyc)?  As the path finder does, an entry's listing (read once
    per prediction) is consulted first: only an entry naming encodings is looked into."""
    resolver = calc.syscalls
    for entry in calc.module_search_paths:
        names = resolver.listdir(entry or ".")  # '' is the working directory
        if names is None:
            continue  # missing, or not a directory: nothing to import encodings from
        if "encodings" not in with_prefix(names, "encodings"):
            continue
        # The path finder joins with a plain '/', and the kernel resolves the result.
        package = f"{entry}/encodings" if entry else "encodings"
        if calc.isfile(package + "/__init__.py") or calc.isfile(package + "/__init__.pyc"):
            return True
    return False


def _trace(steps: list[StepRow], calc: Calc | None) -> Trace:
    if calc is None:
        return Trace(tuple(steps))
    # The command line and the choice of arrangement always consult the row as well.
    asked = calc.asked | {"arrangement", "safe_path_option"}
    return new_tuple(Trace, (tuple(steps) + tuple(calc.steps), tuple(calc.probes),
                              tuple(sorted(asked)), calc.inputs.row.name))


def _no_library(invocation: Invocation, target: str, build: BuildConstants, name: str,
                steps: list[StepRow]) -> Outcome:
    """The loader cannot find libpython ``name`` for the CPython binary ``target``: the
    process exits 127 before ``main`` (unless LD_LIBRARY_PATH, searched first, may hold
    it: not modelled)."""
    search = invocation.environ.get("LD_LIBRARY_PATH")
    values = {"program": invocation.program, "target": target,
              "version": build.version_text, "library": name}
    if search:
        steps.append((R_LIBRARY_PATH, "{target!r} (CPython {version}): {library} and "
                      "LD_LIBRARY_PATH={value!r}", "", {**values, "value": search}))
        return _failed(invocation, "not-modelled", "library-path",
                       f"LD_LIBRARY_PATH is set and {name} is found nowhere else: where the "
                       "loader takes it from is not modelled", steps)
    argv0 = invocation.argv0
    steps.append((R_LIBRARY_MISSING, "{program!r} -> {target!r} (CPython {version}): "
                  "{library} not found, exit status 127", "", values))
    return _failed(invocation, "startup-failed", "library-not-found",
                   f"{argv0}: error while loading shared libraries: {name}: cannot open "
                   "shared object file: No such file or directory", steps)


def _failed(invocation: Invocation, status: Status, kind: str, message: str,
            steps: list[StepRow]) -> Outcome:
    """The Outcome when the interpreter is not even started (exec failed, not modelled)."""
    return _stopped(invocation, _Stop(status, kind, message), steps, None)
