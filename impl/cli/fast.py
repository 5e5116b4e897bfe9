"""The click-free start of ``prefixlab predict`` and ``prefixlab explain``: their plain
spellings (``predict [--json] [--no-cache] PROGRAM [ARG...]``, ``explain [--json]
[--no-cache] [--graph] PROGRAM [ARG...]``) are answered without importing click, which
costs a warm prediction as much as a third of its time (impl/cli/launch.py calls
:func:`fast_main` first).

It answers exactly as the click command does (impl/cli/main.py: ``predict_command``,
``explain_command``), byte for byte: the same invocation, world, prediction, explanation and
rendering, written as ``click.echo`` writes (which is called for the rare text it would
change: an ANSI sequence to strip, a stream with an ASCII encoding to re-wrap).  Any other
spelling (the group's options, help, other options, no PROGRAM, a PROGRAM that looks like
an option) and any error before the answer is written return None, with nothing printed:
the click command line then runs the command from the start and reports it as it always
does.  tests/impl/cli/test_fast.py holds the two to the same output.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from prefixlab.impl.render.narrate import Explanation
    from prefixlab.model.outcome import Outcome

FLAGS = {"predict": frozenset({"--json", "--no-cache"}),
         "explain": frozenset({"--json", "--no-cache", "--graph"})}
"""The options each command takes here (flags only; any other goes to click)."""

_COMPLETE_VAR = "_PREFIXLAB_COMPLETE"
"""click's shell-completion switch for the program prefixlab: click's business."""


def fast_main(args: list[str]) -> int | None:
    """Answer ``prefixlab ARGS`` when it is a plain predict or explain, and return the exit
    status; None, having printed nothing, for click to handle it."""
    parsed = parse(args)
    if parsed is None or os.environ.get(_COMPLETE_VAR) is not None or sys.stdout is None:
        return None
    command, flags, program, rest = parsed
    try:
        try:
            answer = _answer(command, flags, program, rest)
        except Exception:  # noqa: BLE001  # click's command reports it, from the start
            return None
        try:
            _show(command, flags, *answer)
        except Exception as error:  # as Main.invoke reports an error of a command
            from prefixlab.impl.cli import errors

            if errors.propagates(error):
                raise
            return errors.report(error, f"prefixlab {command}")
    except (EOFError, KeyboardInterrupt):  # as click's main: a blank line, then Abort (2)
        sys.stderr.write("\n")
        sys.stderr.flush()
        return 2
    return 0


def parse(args: list[str]) -> tuple[str, frozenset[str], str, list[str]] | None:
    """(command, flags given, PROGRAM, ARGs) for a spelling taken here, else None."""
    if not args or args[0] not in FLAGS:
        return None
    allowed = FLAGS[args[0]]
    flags: set[str] = set()
    for i, word in enumerate(args[1:], 1):
        if word in allowed:
            flags.add(word)
        elif word.startswith("-") or not word:
            return None  # another option, --, -h, or an empty PROGRAM: click's
        else:
            return args[0], frozenset(flags), word, args[i + 1:]
    return None  # no PROGRAM


def console_for(color: str) -> Console | None:
    """rich for a terminal (colourless under NO_COLOR), None (plain text) for a pipe or a
    file; --color always gives rich anywhere, --color never plain text.  rich is imported
    only when it will render.  (impl/cli/main.py's commands use it too.)"""
    if color == "never" or (color == "auto" and not sys.stdout.isatty()):
        return None
    from rich.console import Console

    if color == "auto":
        no_color = bool(os.environ.get("NO_COLOR"))
    else:
        no_color = color == "never"
    return Console(highlight=False, no_color=no_color,
                   force_terminal=True if color == "always" else None)


def _answer(command: str, flags: frozenset[str], program: str,
            rest: list[str]) -> tuple[Outcome, Explanation | None]:
    """The prediction (and for explain the explanation) the command shows."""
    from prefixlab.impl.host import world as hostworld
    from prefixlab.model.startup.predict import predict
    from prefixlab.model.world.invocation import Invocation

    invocation = Invocation.make(program, list(rest), argv0=None, env=dict(os.environ),
                                 cwd=os.getcwd())
    world = hostworld.world_for(invocation, use_cache="--no-cache" not in flags)
    outcome = predict(world, invocation)
    if command == "predict":
        return outcome, None
    from prefixlab.impl.render import narrate

    return outcome, narrate.explain(outcome, world.fs, graph="--graph" in flags, preface=[])


def _show(command: str, flags: frozenset[str], outcome: Outcome,
          explanation: Explanation | None) -> None:
    """Print the answer as the click command does (main.py: dump, _show_result and
    explain_command's rendering)."""
    import json

    from prefixlab.impl.render import text as rendering

    if "--json" in flags:
        data = outcome.to_json()
        if explanation is not None:
            data["explanation"] = explanation.to_json()
        echo(json.dumps(data, indent=2, ensure_ascii=True) + "\n")
        return
    console = console_for("auto")
    if explanation is None:
        heading = f"prefixlab predict: {rendering.command_line(outcome)}"
        if console is None:
            echo(rendering.render_result_plain(outcome, heading))
        else:
            rendering.render_result_rich(outcome, heading, console)
    elif console is None:
        echo(rendering.render_plain(explanation))
    else:
        rendering.render_rich(explanation, console)


def echo(text: str) -> None:
    """Write ``text`` to stdout as ``click.echo(text, nl=False)`` does: as it is, unless click
    would change it (ANSI sequences stripped off a stream that is not a terminal, a stream
    with an ASCII encoding re-wrapped), when click writes it itself."""
    stream = sys.stdout
    encoding = getattr(stream, "encoding", None) or "ascii"
    if "\x1b" in text or _is_ascii(encoding):
        import click

        click.echo(text, nl=False)
        return
    stream.write(text)
    stream.flush()


def _is_ascii(encoding: str) -> bool:
    import codecs

    try:
        return codecs.lookup(encoding).name == "ascii"
    except LookupError:
        return False
