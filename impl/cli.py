"""prefixlab's command line: predict, probe, explain, diff, interpreters.

Every command that takes an invocation takes the same arguments:
``[--argv0 A] [--cwd DIR] [--env NAME=VALUE]... [--unset-env NAME]... [--clear-env] PROGRAM
[ARG...]``.  Exit codes: 0 for an answer (a predicted failed start is an answer), 1 for
``diff`` with differences, 2 for bad input (one line on stderr, never a traceback).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from prefixlab.impl import interpreters
from prefixlab.impl.explain import explain as explain_text
from prefixlab.impl.explain import result_lines, side_by_side
from prefixlab.impl.graph import mermaid
from prefixlab.impl.probe import probe as run_probe
from prefixlab.impl.snapshot import Snapshot
from prefixlab.model.invocation import Invocation
from prefixlab.model.outcome import Outcome
from prefixlab.model.startup import World, exec_target, predict

CONTEXT = {"ignore_unknown_options": True, "allow_interspersed_args": False,
           "help_option_names": ["-h", "--help"]}


class BadInput(click.ClickException):
    exit_code = 2


def _invocation_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--argv0", help="argv[0] as the program receives it (default: PROGRAM as typed)."),
        click.option("--cwd", type=str, help="Working directory (default: the current one)."),
        click.option("--env", "env_items", multiple=True, metavar="NAME=VALUE",
                     help="Set a variable (after --clear-env; the last value wins)."),
        click.option("--unset-env", multiple=True, metavar="NAME", help="Remove a variable."),
        click.option("--clear-env", is_flag=True, help="Start from an empty environment."),
        click.argument("program"),
        click.argument("args", nargs=-1, type=click.UNPROCESSED),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def make_invocation(program: str, args: Sequence[str], argv0: str | None, cwd: str | None,
                    env_items: Sequence[str], unset_env: Sequence[str],
                    clear_env: bool) -> Invocation:
    env = {} if clear_env else dict(os.environ)
    for item in env_items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise BadInput(f"--env {item!r}: expected NAME=VALUE")
        env[name] = value
    for name in unset_env:
        env.pop(name, None)
    where = os.path.abspath(cwd) if cwd else os.getcwd()
    if not os.path.isdir(where):
        raise BadInput(f"--cwd {where}: not a directory")
    return Invocation.make(program, list(args), argv0=argv0, env=env, cwd=where)


def world_for(invocation: Invocation, *, use_cache: bool) -> World:
    """The host as a filesystem value, with the build constants of every interpreter found
    here and of the binary the invocation executes (learned once, cached)."""
    snapshot = Snapshot("/")
    extra: list[str] = []
    cwd = os.path.realpath(invocation.cwd)
    target = exec_target(snapshot, invocation, cwd)
    if isinstance(target, str) and _looks_like_cpython(target):
        extra.append(target)
    try:
        world = interpreters.host_world(use_cache=use_cache, extra=extra)
    except interpreters.InterpreterError as error:
        raise BadInput(str(error)) from None
    return World(snapshot, world.builds)


def _looks_like_cpython(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError:
        return False
    return magic == b"\x7fELF" and os.path.basename(path).startswith("python")


def _predict(invocation: Invocation, no_cache: bool) -> Outcome:
    return predict(world_for(invocation, use_cache=not no_cache), invocation)


def _dump(data: dict[str, Any]) -> None:
    # ensure_ascii writes undecodable bytes (surrogateescape) as \udcxx escapes.
    click.echo(json.dumps(data, indent=2, ensure_ascii=True))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main_group() -> None:
    """An executable model of how CPython finds itself at start-up.

    Until the site layer lands, `path` (sys.path) is exact with -S."""


@main_group.command(name="predict", context_settings=CONTEXT)
@_invocation_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--no-cache", is_flag=True, help="Learn build constants afresh.")
def predict_cmd(program: str, args: tuple[str, ...], argv0: str | None, cwd: str | None,
                env_items: tuple[str, ...], unset_env: tuple[str, ...], clear_env: bool,
                as_json: bool, no_cache: bool) -> None:
    """Predict what PROGRAM ARG... computes at start-up (never runs it)."""
    outcome = _predict(make_invocation(program, args, argv0, cwd, env_items, unset_env,
                                       clear_env), no_cache)
    if as_json:
        _dump(outcome.to_json())
    else:
        click.echo("\n".join(result_lines(outcome)))


@main_group.command(context_settings=CONTEXT)
@_invocation_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def probe(program: str, args: tuple[str, ...], argv0: str | None, cwd: str | None,
          env_items: tuple[str, ...], unset_env: tuple[str, ...], clear_env: bool,
          as_json: bool) -> None:
    """Run PROGRAM ARG... for real and report what it computed (same keys, no trace)."""
    outcome = run_probe(make_invocation(program, args, argv0, cwd, env_items, unset_env,
                                        clear_env))
    if as_json:
        _dump(outcome.to_json(with_trace=False))
    else:
        click.echo("\n".join(result_lines(outcome)))


@main_group.command(context_settings=CONTEXT)
@click.option("--graph", is_flag=True, help="Add a Mermaid diagram of the layout consulted.")
@click.option("--compare", is_flag=True, help="Also run it and show both side by side.")
@click.option("--no-cache", is_flag=True, help="Learn build constants afresh.")
@click.option("--argv0")
@click.option("--cwd", type=str)
@click.option("--env", "env_items", multiple=True, metavar="NAME=VALUE")
@click.option("--unset-env", multiple=True, metavar="NAME")
@click.option("--clear-env", is_flag=True)
@click.argument("program", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def explain(graph: bool, compare: bool, no_cache: bool, argv0: str | None, cwd: str | None,
            env_items: tuple[str, ...], unset_env: tuple[str, ...], clear_env: bool,
            program: str | None, args: tuple[str, ...]) -> None:
    """Explain, step by step, why PROGRAM finds the prefix it does.

    Without PROGRAM: the machine's default interpreter (the binary python3's sys.executable
    names), run with -S."""
    if program is None:
        program, args = _default_interpreter(), ("-S",)
    invocation = make_invocation(program, args, argv0, cwd, env_items, unset_env, clear_env)
    outcome = _predict(invocation, no_cache)
    click.echo(explain_text(outcome))
    if graph:
        click.echo("\n```mermaid\n" + mermaid(outcome) + "\n```")
    if compare:
        click.echo("\nPredicted and observed:\n" + side_by_side(outcome, run_probe(invocation)))


def _default_interpreter() -> str:
    try:
        found = subprocess.run(["python3", "-c", "import sys; print(sys.executable)"],
                               capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        raise BadInput(f"python3: cannot ask it for sys.executable ({error})") from None
    return found.stdout.strip()


@main_group.command(context_settings=CONTEXT)
@_invocation_options
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@click.option("--no-cache", is_flag=True, help="Learn build constants afresh.")
def diff(program: str, args: tuple[str, ...], argv0: str | None, cwd: str | None,
         env_items: tuple[str, ...], unset_env: tuple[str, ...], clear_env: bool,
         as_json: bool, no_cache: bool) -> None:
    """Predict and run PROGRAM ARG..., show where they differ (exit 1 if they do)."""
    invocation = make_invocation(program, args, argv0, cwd, env_items, unset_env, clear_env)
    predicted, observed = _predict(invocation, no_cache), run_probe(invocation)
    mine, theirs = predicted.comparable(), observed.comparable()
    keys = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
    if as_json:
        _dump({"differences": {k: {"model": mine.get(k), "real": theirs.get(k)} for k in keys}})
    else:
        click.echo(side_by_side(predicted, observed))
    if keys:
        raise SystemExit(1)


@main_group.command(name="interpreters")
@click.option("--json", "as_json", is_flag=True)
@click.option("--no-cache", is_flag=True)
def interpreters_cmd(as_json: bool, no_cache: bool) -> None:
    """List the interpreters found here, what is out of scope and why, and the cache."""
    found = interpreters.discover(use_cache=not no_cache)
    if as_json:
        _dump({"cache": interpreters.cache_dir(), "interpreters": [
            {"path": i.path, "real_path": i.real_path,
             "version": "%d.%d.%d" % i.version if i.version else None, "source": i.source,
             "in_scope": i.in_scope, "reason": i.reason} for i in found]})
        return
    for i in found:
        version = "%d.%d.%d" % i.version if i.version else "?"
        state = "in scope" if i.in_scope else f"out of scope: {i.reason}"
        click.echo(f"{version:>9}  {i.path}  ({i.source}; {state})")
    click.echo(f"build constants cache: {interpreters.cache_dir()}")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        main_group.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        message = error.format_message().replace("\n", " ")
        click.echo(f"prefixlab: {message}", err=True)
        return 2 if not isinstance(error, BadInput) else error.exit_code
    except click.exceptions.Abort:
        return 2
    except SystemExit as leaving:
        return int(leaving.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
