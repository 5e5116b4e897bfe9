"""``prefixlab build env TARGET --python INTERPRETER --package DIR...``: its command line.

The builder is impl/builders/env.py (a composed environment in the manner of nixpkgs'
buildEnv, in the reference flavour or an emulated nixpkgs one).
"""

from __future__ import annotations

import os
import sys

import click

from prefixlab.impl.builders.env import (EnvError, build_env, flavour_names, learn_interpreter,
                                         summary)
from prefixlab.impl.cli.badinput import BadInput
from prefixlab.impl.render.escape import show
from prefixlab.model.builders.flavours import BaseInterpreter, EnvPlan
from prefixlab.model.builders.plan import CWrapper


JSON_SCHEMA = 1
"""The format version of ``--json``'s object (README, "Composed environments")."""


def plural(count: int, one: str, many: str) -> str:
    """'1 file', '0 files', '2 files'."""
    return f"{count} {one if count == 1 else many}"


def _interpreter(python: str, quiet: bool) -> BaseInterpreter:
    """--python as impl/host/requests.py resolves it: a path or a name on PATH as it is; a
    version request chosen among the interpreters found here (announced unless quiet), also
    when its own name on PATH cannot start (a pyenv shim of a version not selected)."""
    if "/" in python or not python:
        return learn_interpreter(python)
    from prefixlab.impl.host import requests

    try:
        choice = requests.resolve(python)
        if choice.interpreter is None:
            try:
                return learn_interpreter(python)
            except EnvError:
                request = requests.parse(python)
                if request.kind != "version":
                    raise
                choice = requests.choose_among(request)
    except requests.RequestError as error:
        raise BadInput(str(error)) from None
    line = choice.announcement()
    if line is not None and not quiet:
        click.echo(show(line), err=True)
    return learn_interpreter(choice.python)


def _warn(message: str) -> None:
    click.echo(f"warning: {show(message, backslash=False)}", err=True)


def counts_line(target: str, planned: EnvPlan) -> str:
    """'TARGET: N links, N directories, N files (N compiled wrappers)'; files count the
    compiled wrappers too."""
    counts = summary(planned)
    wrappers = sum(isinstance(op, CWrapper) for op in planned.ops)
    return (f"{show(target)}: {plural(counts.links, 'link', 'links')}, "
            f"{plural(counts.dirs, 'directory', 'directories')}, "
            f"{plural(counts.files, 'file', 'files')} "
            f"({plural(wrappers, 'compiled wrapper', 'compiled wrappers')})")


def summary_json(target: str, interpreter: BaseInterpreter, requested: str, flavor: str,
                 planned: EnvPlan, warnings: list[str]) -> dict[str, object]:
    """`build env --json`'s object (schema 1; README, "Composed environments")."""
    counts = summary(planned)
    version = "%d.%d.%d" % interpreter.build.version[:3]
    return {"schema": JSON_SCHEMA, "target": target,
            "interpreter": {"path": interpreter.binary,
                            "version": version + ("t" if interpreter.build.abi_thread == "t"
                                                  else ""),
                            "requested": requested},
            "flavour": flavor,
            "counts": {"links": counts.links, "directories": counts.dirs,
                       "files": counts.files,
                       "compiled_wrappers": sum(isinstance(op, CWrapper)
                                                for op in planned.ops)},
            "warnings": warnings}


@click.command(name="env", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("target", type=click.Path())
@click.option("--python", "python", required=True, metavar="INTERPRETER",
              help="The interpreter the environment is built on (a binary, a link to one, a "
                   "venv's interpreter, a wrapper or a pyenv shim).")
@click.option("--package", "packages", multiple=True, metavar="DIR[=PRIORITY]",
              help="A prefix-like package tree (lib/pythonX.Y/site-packages, bin); repeatable, "
                   "in order. PRIORITY: lower wins a file collision (default 5).")
@click.option("--ignore-collisions", is_flag=True,
              help="Keep the first provider of a colliding file instead of failing.")
@click.option("--force", is_flag=True,
              help="Replace a venv, an environment prefixlab built, a file or a link at TARGET "
                   "(atomically; any other directory is never replaced).")
@click.option("--flavor", "flavor", default="reference", show_default=True,
              type=click.Choice(flavour_names()),
              help="reference: prefixlab's; the others emulate historical nixpkgs builders.")
@click.option("--option", "options", multiple=True, metavar="NAME=VALUE",
              help="A flavour option (e.g. argv0-mode=inherit).")
@click.option("--argv0-mode", type=click.Choice(["fixed", "inherit"]), default=None,
              help="nix-297628 only: its wrappers set argv[0] to $out/bin/NAME (fixed, the "
                   "merged code) or pass the caller's (inherit, the commit message's claim); "
                   "the same as --option argv0-mode=MODE.")
@click.option("-q", "--quiet", is_flag=True,
              help="Do not say which interpreter a version request chose.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object on stdout (TARGET, the interpreter, the flavour, the "
                   "counts, the warnings); stderr holds errors only.")
def env_command(target: str, python: str, packages: tuple[str, ...], ignore_collisions: bool,
                force: bool, flavor: str, options: tuple[str, ...],
                argv0_mode: str | None, quiet: bool, as_json: bool) -> None:
    """Build a composed environment at TARGET: INTERPRETER's own files and the packages,
    merged into one tree of links (directories only one package provides are linked whole),
    with bin entries that start INTERPRETER as the environment's own interpreter."""
    pairs = []
    for text in options:
        name, sep, value = text.partition("=")
        if not sep:
            raise BadInput(f"--option {text!r}: expected NAME=VALUE")
        pairs.append((name, value))
    if argv0_mode is not None:
        pairs.append(("argv0-mode", argv0_mode))
    warnings: list[str] = []
    warn = warnings.append if as_json else _warn
    try:
        from prefixlab.impl.cli.main import global_options  # `prefixlab -q build env`

        interpreter = _interpreter(python, quiet or global_options().quiet or as_json)
        planned = build_env(target, interpreter, packages, flavor=flavor,
                            ignore_collisions=ignore_collisions, force=force, options=pairs,
                            warn=warn)
    except EnvError as error:
        raise BadInput(str(error)) from None
    absolute = os.path.abspath(target)
    if as_json:
        from prefixlab.impl.cli.main import dump

        dump(summary_json(absolute, interpreter, python, flavor, planned,
                          [*warnings, *planned.warnings]))
        return
    for warning in planned.warnings:
        click.echo(f"warning: {show(warning, backslash=False)}", err=True)
    click.echo(counts_line(absolute, planned))
    sys.stdout.flush()
