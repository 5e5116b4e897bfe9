"""``prefixlab build env TARGET --python INTERPRETER --package DIR...``: its command line.

The builder is impl/builders/env.py (a composed environment in the manner of nixpkgs'
buildEnv, in the reference flavour or an emulated nixpkgs one).
"""

from __future__ import annotations

import os
import sys

import click

from prefixlab.impl.builders.env import EnvError, build_env, flavour_names, summary
from prefixlab.impl.cli.badinput import BadInput
from prefixlab.impl.render.escape import show
from prefixlab.model.builders.plan import CWrapper


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
def env_command(target: str, python: str, packages: tuple[str, ...], ignore_collisions: bool,
                force: bool, flavor: str, options: tuple[str, ...],
                argv0_mode: str | None) -> None:
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
        planned = build_env(target, python, packages, flavor=flavor,
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
