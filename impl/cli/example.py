"""``prefixlab example NOTE#N --at DIR``: lay a notes example down where a reader can poke it.

The example's layout is written under DIR (which must not exist, or be empty) for one real
interpreter, its build steps are done by the real builders, and a command that runs it is
printed.  With ``--python`` the example is laid down for that interpreter, run, and its
answer compared with the note's ``[expect]``.  The layout is written in a temporary
directory beside DIR and renamed into place; a build step that fails removes it again, so
DIR never holds half an example.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from dataclasses import replace
from typing import TYPE_CHECKING

import click

from prefixlab.impl.cli.errors import EXIT_DIFFERENT, EXIT_OK
from prefixlab.model.errors import BadInput

if TYPE_CHECKING:
    from prefixlab.impl.host.interpreters import Interpreter
    from prefixlab.model.notes import Bound, Example
    from prefixlab.model.world import World


JSON_SCHEMA = 1
"""The version of --json's object."""


@click.command("example")
@click.argument("ref", metavar="NOTE#N")
@click.option("--at", "directory", required=True, metavar="DIR",
              help="Where to lay the example down (absent or an empty directory).")
@click.option("--python", "python", metavar="PY",
              help="The interpreter to lay it down for (a path, a name on PATH or a version "
                   "such as 3.12); it is then run and compared with the note.  Default: the "
                   "newest interpreter here that the example applies to, not run.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: schema, example, versions, at, python, version, "
                   "applies, commands (run, printing, explain), exercise, expected (null "
                   "for an exercise), ran, agrees and differences.")
@click.pass_context
def example_command(ctx: click.Context, ref: str, directory: str, python: str | None,
                    as_json: bool) -> None:
    """Lay the notes example NOTE#N (03#3, 03-venvs.md#3) down under DIR and print how to
    run it; with --python, also run it and compare with the note's expected values."""
    from prefixlab.impl.checks import notes as real_notes
    from prefixlab.model import notes

    def say(text: str) -> None:
        if not as_json:
            click.echo(text)

    example = real_notes.find(ref)
    interp = _interpreter(python, example)
    version = real_notes.version_of(interp)
    target = _target(directory)
    case = real_notes.bound_for(example, interp, target)
    world = _lay_down(case, interp, target)
    shown = "%d.%d.%d" % version
    say(f"Laid down notes/{example.note}#{example.index} (versions "
               f"{example.versions.text}) at {target} for {interp.path} ({shown}).")
    if not example.applies_to(version):
        say(f"Note: {shown} is not among the example's versions: its answers may "
                   "differ from the note's.")
    elif interp.constants is not None and not example.applies_to_build(interp.constants):
        say(f"Note: the example leaves out {interp.constants.flavour}'s build "
                   "(exclude): its answers may differ from the note's.")
    say("Run it:")
    say(f"  {real_notes.command_line(case)}")
    printing = real_notes.showing(case)
    if printing is not None:
        say("Run it, printing what the note is about:")
        say(f"  {real_notes.command_line(printing)}")
    say("Ask prefixlab about it:")
    say(f"  {real_notes.explain_line(case)}")
    if example.exercise:
        say("An exercise: the expected values are not shown (run with --python to "
                   "check an answer against them).")
    else:
        say("Expected (from the note):")
        for key, value in case.expect.items():
            say(f"  {key} = {value!r}")
    differences: list[str] = []
    if python is not None:
        differences = list(notes.differences(case.expect, real_notes.run_real(world, case)))
        if differences:
            say(f"{interp.path} disagrees with the note:")
            for line in differences:
                say(f"  {line}")
        else:
            say(f"{interp.path} agrees with the note on every expected value.")
    if as_json:
        _dump({"schema": JSON_SCHEMA, "example": f"{example.note}#{example.index}",
               "versions": example.versions.text, "at": target, "python": interp.path,
               "version": shown, "applies": example.applies_to(version),
               "commands": {"run": real_notes.command_line(case),
                            "printing": None if printing is None
                            else real_notes.command_line(printing),
                            "explain": real_notes.explain_line(case)},
               "exercise": example.exercise,
               "expected": None if example.exercise else dict(case.expect),
               "ran": python is not None,
               "agrees": None if python is None else not differences,
               "differences": differences})
    ctx.exit(EXIT_DIFFERENT if differences else EXIT_OK)


def _dump(data: dict[str, object]) -> None:
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=True, default=str))




def _interpreter(python: str | None, example: Example) -> Interpreter:
    """The interpreter --python names, else the newest one here the example applies to (its
    versions, builds it does not exclude; else the newest one at all)."""
    from prefixlab.impl.host import interpreters, requests

    if python is not None:
        chosen = requests.resolve(python)
        if chosen.interpreter is not None:
            return chosen.interpreter
        path = chosen.python
        if "/" not in path:  # a name found on PATH
            path = requests.which(path, os.environ.get("PATH")) or path
        if not os.path.exists(path):
            raise BadInput(f"--python {python}: {path} does not exist")
        found = interpreters.examine(path, os.path.realpath(path), "--python", True)
        if found is None or not found.in_scope or found.constants is None:
            why = found.reason if found is not None else "not a CPython interpreter binary"
            raise BadInput(f"--python {python}: cannot lay an example down for it ({why})")
        return found
    usable = [i for i in interpreters.discover() if i.in_scope and i.constants is not None]
    if not usable:
        raise BadInput("no CPython 3.8+ interpreter found here to lay the example down for "
                       "(give one with --python)")
    usable.sort(key=lambda i: i.version or (0, 0, 0))
    matching = [i for i in usable
                if i.constants is not None and example.applies_to_build(i.constants)]
    return (matching or usable)[-1]


def _target(directory: str) -> str:
    """DIR as an absolute physical path (its parent resolved); refused unless it is absent
    or an empty directory."""
    absolute = os.path.abspath(directory)
    parent = os.path.realpath(os.path.dirname(absolute))
    if not os.path.isdir(parent):
        raise BadInput(f"{directory}: its parent directory {parent} does not exist")
    target = os.path.join(parent, os.path.basename(absolute))
    if any(c in target for c in '"\\\n'):
        # The examples are TOML with the directory written into their strings.
        raise BadInput(f"{directory}: a directory whose path holds a quote, a backslash or a "
                       "newline cannot be written into an example")
    if os.path.lexists(target) and (os.path.islink(target) or not os.path.isdir(target)
                                    or os.listdir(target)):
        raise BadInput(f"{directory}: exists and is not an empty directory")
    return target


def _lay_down(case: Bound, interp: Interpreter, target: str) -> World:
    """Write the example beside ``target`` and rename it into place, then do its build
    steps there (their paths name ``target``); on any failure nothing is left."""
    from prefixlab.impl.checks import notes as real_notes

    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.prefixlab-",
                               dir=os.path.dirname(target))
    try:
        real_notes.write(_rebased(case, target, staging), interp, staging)
        if os.path.isdir(target):
            os.rmdir(target)  # empty: checked by _target
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        return real_notes.built_world(case, interp)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def _rebased(case: Bound, target: str, staging: str) -> Bound:
    """The same example with its files at ``staging`` instead of ``target`` (what they hold,
    link targets and file contents, still names ``target``)."""
    from prefixlab.model.world.fs import Layout

    def moved(path: str) -> str:
        return staging + path[len(target):] if path.startswith(target) else path

    return replace(case, root=staging,
                   layout=Layout({moved(p): node for p, node in case.layout.items()}),
                   binaries=tuple(map(moved, case.binaries)),
                   stdlibs=tuple(map(moved, case.stdlibs)), builds=())
