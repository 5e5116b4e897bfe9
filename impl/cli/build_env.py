"""``prefixlab build env TARGET --python INTERPRETER --package DIR...``: its command line.

The plain spellings are parsed here without click (impl/cli/launch.py sends
``prefixlab build env ...`` to :func:`fast_main` first), so that a build starts without
importing it; everything else (help, ``--``, short options, --option, a usage error) goes to
the click command (:func:`command`; ``env_command`` is that command, made on first use),
which runs the same :func:`run`.  Errors end as every command's do (impl/cli/errors.py).

The builder is impl/builders/env.py (a composed environment in the manner of nixpkgs'
buildEnv, in the reference flavour or an emulated nixpkgs one).
"""

from __future__ import annotations

import os
import sys

from prefixlab.impl.builders.envsteps import EnvError, package_arg
from prefixlab.impl.cli import errors
from prefixlab.impl.render.escape import show
from prefixlab.model.builders.plan import CWrapper, Link, Mkdir

TYPE_CHECKING = False  # typing, click and the model's planner stay off a cached build
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

    import click

    from prefixlab.model.builders.flavours import BaseInterpreter
    from prefixlab.model.builders.plan import Operation

WHERE = "prefixlab build env"
"""The command, as its error lines name it."""
JSON_SCHEMA = 1
"""The format version of ``--json``'s object (README, "Composed environments")."""
_FLAGS = {"--ignore-collisions", "--force", "--quiet", "--json", "--no-cache"}


def plural(count: int, one: str, many: str) -> str:
    """'1 file', '0 files', '2 files'."""
    return f"{count} {one if count == 1 else many}"


def _interpreter(python: str, quiet: bool, use_cache: bool = True) -> BaseInterpreter:
    """--python as impl/host/requests.py resolves it: a path or a name on PATH as it is; a
    version request chosen among the interpreters found here (announced unless quiet), also
    when its own name on PATH cannot start (a pyenv shim of a version not selected)."""
    from prefixlab.impl.builders.env import learn_interpreter

    if "/" in python or not python:
        return learn_interpreter(python, use_cache=use_cache)
    from prefixlab.impl.host import requests

    try:
        choice = requests.resolve(python)
        if choice.interpreter is None:
            try:
                return learn_interpreter(python, use_cache=use_cache)
            except EnvError:
                request = requests.parse(python)
                if request.kind != "version":
                    raise
                choice = requests.choose_among(request)
    except requests.RequestError as error:
        raise EnvError(str(error)) from None
    line = choice.announcement()
    if line is not None and not quiet:
        sys.stderr.write(f"{show(line)}\n")
    return learn_interpreter(choice.python, use_cache=use_cache)


def _warn(message: str) -> None:
    sys.stderr.write(f"warning: {show(message, backslash=False)}\n")


def counts(ops: Sequence[Operation]) -> tuple[int, int, int, int]:
    """Links, directories, files (compiled wrappers included) and compiled wrappers."""
    links = sum(isinstance(op, Link) for op in ops)
    dirs = sum(isinstance(op, Mkdir) for op in ops)
    return links, dirs, len(ops) - links - dirs, sum(isinstance(op, CWrapper) for op in ops)


def counts_line(target: str, ops: Sequence[Operation]) -> str:
    """'TARGET: N links, N directories, N files (N compiled wrappers)'; files count the
    compiled wrappers too."""
    links, dirs, files, wrappers = counts(ops)
    return (f"{show(target)}: {plural(links, 'link', 'links')}, "
            f"{plural(dirs, 'directory', 'directories')}, "
            f"{plural(files, 'file', 'files')} "
            f"({plural(wrappers, 'compiled wrapper', 'compiled wrappers')})")


def summary_json(target: str, interpreter: Mapping[str, Any], requested: str, flavor: str,
                 ops: Sequence[Operation], warnings: list[str]) -> dict[str, object]:
    """`build env --json`'s object (schema 1; README, "Composed environments");
    ``interpreter`` as its cache entry holds it (impl/builders/env.py interpreter_json)."""
    links, dirs, files, wrappers = counts(ops)
    build = interpreter["build"]
    version = "%d.%d.%d" % tuple(build["version"][:3])
    return {"schema": JSON_SCHEMA, "target": target,
            "interpreter": {"path": interpreter["binary"],
                            "version": version + ("t" if build["abi_thread"] == "t" else ""),
                            "requested": requested},
            "flavour": flavor,
            "counts": {"links": links, "directories": dirs, "files": files,
                       "compiled_wrappers": wrappers},
            "warnings": warnings}


def run(target: str, python: str, packages: Sequence[str], *, ignore_collisions: bool = False,
        force: bool = False, flavor: str = "reference",
        options: Sequence[tuple[str, str]] = (), quiet: bool = False,
        as_json: bool = False, use_cache: bool = True) -> None:
    """Build, then print the counts line (stdout; warnings on stderr) or, with ``as_json``,
    the JSON object (stdout; warnings in it).  Raises EnvError (bad input).

    With ``use_cache``, an interpreter named by a path and the reference flavour, a plan
    made before for the same request is written when it still holds
    (impl/builders/envcache.py), and a plan made here is cached."""
    warnings: list[str] = []
    warn: Callable[[str], None] = warnings.append if as_json else _warn
    key = None
    if use_cache and "/" in python and flavor == "reference":
        from prefixlab.impl.builders import envcache

        key = envcache.plan_key(python, target, [package_arg(p) for p in packages], flavor,
                                ignore_collisions, options)
        if _build_cached(key, target, python, force, warn, warnings, as_json):
            return
    from prefixlab.impl.builders import env, envcache, learncache

    interpreter = _interpreter(python, quiet or as_json, use_cache)
    fs = learncache.recording_snapshot() if key is not None else None
    planned = env.build_env(target, interpreter, packages, flavor=flavor,
                            ignore_collisions=ignore_collisions, force=force, options=options,
                            warn=warn, fs=fs)
    learned = env.interpreter_json(interpreter)
    if key is not None and fs is not None:
        envcache.store(key, planned.ops, planned.warnings, learned, fs)
    _report(target, python, flavor, learned, planned.ops, warnings, planned.warnings, as_json)


def _build_cached(key: list[Any], target: str, python: str, force: bool,
                  warn: Callable[[str], None], warnings: list[str], as_json: bool) -> bool:
    """Write the plan cached for ``key`` and report as a planned build does; False when there
    is none that still holds."""
    from prefixlab.impl.builders import envcache, envsteps

    cached = envcache.lookup(key)
    if cached is None:
        return False
    flavor, learned = key[4], cached.interpreter
    envsteps.preflight(target, force)
    envsteps.check_apart(target, [root for root, _ in key[3]],
                         learned["given"] or learned["binary"],
                         [learned["prefix"], learned["exec_prefix"]])
    envsteps.write(cached.ops, target, flavor=flavor, force=force, warn=warn)
    _report(target, python, flavor, learned, cached.ops, warnings, cached.warnings, as_json)
    return True


def _report(target: str, python: str, flavor: str, interpreter: Mapping[str, Any],
            ops: Sequence[Operation], warnings: list[str], planned: Sequence[str],
            as_json: bool) -> None:
    absolute = os.path.abspath(target)
    if as_json:
        import json

        data = summary_json(absolute, interpreter, python, flavor, ops, [*warnings, *planned])
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=True) + "\n")
        sys.stdout.flush()
        return
    for warning in planned:
        _warn(warning)
    sys.stdout.write(counts_line(absolute, ops) + "\n")
    sys.stdout.flush()


# -- without click ------------------------------------------------------------------------------
def fast_main(args: Sequence[str]) -> int | None:
    """`prefixlab build env ARGS` without click, for the plain spellings; None when the
    arguments need click (help, --option, an unknown option, a usage error), which then
    parses them."""
    parsed = _parse_fast(list(args))
    if parsed is None:
        return None
    target, python, packages, flavor, flags = parsed
    try:
        run(target, python, packages, ignore_collisions="--ignore-collisions" in flags,
            force="--force" in flags, flavor=flavor, quiet="--quiet" in flags,
            as_json="--json" in flags, use_cache="--no-cache" not in flags)
    except Exception as error:
        if errors.propagates(error):
            raise
        return errors.report(error, WHERE)
    return errors.EXIT_OK


def _parse_fast(args: list[str]
                ) -> tuple[str, str, list[str], str, set[str]] | None:
    target: str | None = None
    python: str | None = None
    flavor = "reference"
    packages: list[str] = []
    flags: set[str] = set()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _FLAGS:
            flags.add(arg)
        elif arg == "-q":
            flags.add("--quiet")
        elif arg in ("--python", "--package", "--flavor"):
            if i + 1 >= len(args):
                return None
            i += 1
            value = args[i]
            if arg == "--python":
                python = value
            elif arg == "--package":
                packages.append(value)
            else:
                flavor = value
        elif arg.startswith(("--python=", "--package=", "--flavor=")):
            name, _, value = arg.partition("=")
            if name == "--python":
                python = value
            elif name == "--package":
                packages.append(value)
            else:
                flavor = value
        elif arg.startswith("-") or target is not None:
            return None  # help, '--', --option, a second TARGET: click says what it is
        else:
            target = arg
        i += 1
    if target is None or python is None:
        return None
    if flavor != "reference":
        from prefixlab.impl.builders.env import flavour_names

        if flavor not in flavour_names():
            return None  # click's message lists the flavours
    return target, python, packages, flavor, flags


# -- the click command --------------------------------------------------------------------------
_COMMAND: list[click.Command] = []


def command() -> click.Command:
    """The click command (help, usage errors and every spelling fast_main leaves)."""
    if _COMMAND:
        return _COMMAND[0]
    import click

    from prefixlab.impl.builders.env import flavour_names
    from prefixlab.impl.cli.badinput import BadInput

    @click.command(name="env", context_settings={"help_option_names": ["-h", "--help"]})
    @click.argument("target", type=click.Path())
    @click.option("--python", "python", required=True, metavar="INTERPRETER",
                  help="The interpreter the environment is built on (a binary, a link to one, "
                       "a venv's interpreter, a wrapper or a pyenv shim).")
    @click.option("--package", "packages", multiple=True, metavar="DIR[=PRIORITY]",
                  help="A prefix-like package tree (lib/pythonX.Y/site-packages, bin); "
                       "repeatable, in order. PRIORITY: lower wins a file collision "
                       "(default 5).")
    @click.option("--ignore-collisions", is_flag=True,
                  help="Keep the first provider of a colliding file instead of failing.")
    @click.option("--force", is_flag=True,
                  help="Replace a venv, an environment prefixlab built, a file or a link at "
                       "TARGET (atomically; any other directory is never replaced).")
    @click.option("--flavor", "flavor", default="reference", show_default=True,
                  type=click.Choice(flavour_names()),
                  help="reference: prefixlab's; the others emulate historical nixpkgs "
                       "builders.")
    @click.option("--option", "options", multiple=True, metavar="NAME=VALUE",
                  help="A flavour option (e.g. argv0-mode=inherit).")
    @click.option("--argv0-mode", type=click.Choice(["fixed", "inherit"]), default=None,
                  help="nix-297628 only: its wrappers set argv[0] to $out/bin/NAME (fixed, "
                       "the merged code) or pass the caller's (inherit, the commit "
                       "message's claim); the same as --option argv0-mode=MODE.")
    @click.option("--no-cache", is_flag=True,
                  help="Learn the interpreter and plan afresh (what was learned and planned "
                       "is cached, and used while everything it was made from looks the "
                       "same).")
    @click.option("-q", "--quiet", is_flag=True,
                  help="Do not say which interpreter a version request chose.")
    @click.option("--json", "as_json", is_flag=True,
                  help="Print one JSON object on stdout (TARGET, the interpreter, the flavour, "
                       "the counts, the warnings); stderr holds errors only.")
    def env_command(target: str, python: str, packages: tuple[str, ...],
                    ignore_collisions: bool, force: bool, flavor: str,
                    options: tuple[str, ...], argv0_mode: str | None, no_cache: bool,
                    quiet: bool, as_json: bool) -> None:
        """Build a composed environment at TARGET: INTERPRETER's own files and the packages,
        merged into one tree of links (directories only one package provides are linked
        whole), with bin entries that start INTERPRETER as the environment's own
        interpreter."""
        pairs = []
        for text in options:
            name, sep, value = text.partition("=")
            if not sep:
                raise BadInput(f"--option {text!r}: expected NAME=VALUE")
            pairs.append((name, value))
        if argv0_mode is not None:
            pairs.append(("argv0-mode", argv0_mode))
        from prefixlab.impl.cli.main import global_options  # `prefixlab -q build env`

        try:
            run(target, python, packages, ignore_collisions=ignore_collisions, force=force,
                flavor=flavor, options=pairs, quiet=quiet or global_options().quiet,
                as_json=as_json, use_cache=not no_cache)
        except EnvError as error:
            raise BadInput(str(error)) from None

    _COMMAND.append(env_command)
    return env_command


def __getattr__(name: str) -> click.Command:
    """``env_command``: the click command, made (and click imported) on first use."""
    if name == "env_command":
        return command()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
