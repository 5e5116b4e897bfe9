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
from prefixlab.model.builders.flavours import BaseInterpreter
from prefixlab.model.builders.plan import CWrapper


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
def env_command(target: str, python: str, packages: tuple[str, ...], ignore_collisions: bool,
                force: bool, flavor: str, options: tuple[str, ...],
                argv0_mode: str | None, quiet: bool) -> None:
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
    try:
        from prefixlab.impl.cli.main import global_options  # `prefixlab -q build env`

        interpreter = _interpreter(python, quiet or global_options().quiet)
        planned = build_env(target, interpreter, packages, flavor=flavor,
                            ignore_collisions=ignore_collisions, force=force, options=pairs,
                            warn=_warn)
    except EnvError as error:
        raise BadInput(str(error)) from None
    for warning in planned.warnings:
        click.echo(f"warning: {show(warning, backslash=False)}", err=True)
    counts = summary(planned)
    wrappers = sum(isinstance(op, CWrapper) for op in planned.ops)
    click.echo(f"{show(os.path.abspath(target))}: {counts.links} links, {counts.dirs} directories, "
               f"{counts.files} files ({wrappers} compiled wrappers)")
    sys.stdout.flush()
