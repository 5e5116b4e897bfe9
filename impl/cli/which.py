"""``prefixlab which MODULE [invocation]``: where ``import MODULE`` would come from.

The invocation is predicted as ``predict`` does; the module is then looked up the way the
started interpreter's importlib would (prefixlab.model.startup.imports), through the predicted
sys.path.  Text output names the winner, its ``__path__``, what it shadows and the entries
skipped, then the steps that decided it; ``--json`` prints predict's object plus ``which``
(the answer) with the import steps appended to ``trace``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import click

from prefixlab.impl.render import text as rendering
from prefixlab.impl.cli.badinput import BadInput
from prefixlab.impl.cli.errors import EXIT_BAD_INPUT, EXIT_DIFFERENT, EXIT_OK
from prefixlab.impl.checks.runnable import interpreter_start
from prefixlab.impl.cli.main import (
    InvocationCommand,
    _invocation,
    dump,
    invocation_options,
)
from prefixlab.impl.host.world import world_for
from prefixlab.model.startup.imports import (
    Candidate,
    Resolution,
    context_for,
    finders_not_modelled,
    which,
)
from prefixlab.model.outcome import Outcome
from prefixlab.model.startup.predict import predict
from prefixlab.model.trace import values_json
from prefixlab.model.world import World

_MODULE = "prefixlab.which.module"


class WhichCommand(InvocationCommand):
    """Takes MODULE as the first argument that is not an option (before or after the
    invocation's options), then the invocation as predict does."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        with_value = self._value_options()
        i = 0
        while i < len(args) and args[i].startswith("-") and args[i] != "--":
            if args[i] in ("-h", "--help"):
                return super().parse_args(ctx, args)
            i += 2 if args[i] in with_value else 1
        if i < len(args) and args[i] == "--":
            i += 1
        if i >= len(args):
            raise BadInput("MODULE: missing; name the module to look up (e.g. json)")
        ctx.meta[_MODULE] = args[i]
        return super().parse_args(ctx, args[:i] + args[i + 1:])


def check_module_name(name: str) -> str:
    """A name find_spec can take: not empty, not relative, no empty part, no '/' or NUL."""
    if not name or name.startswith(".") or ".." in name or name.endswith("."):
        raise BadInput(f"MODULE {name!r}: not an absolute dotted module name")
    if "/" in name or "\0" in name:
        raise BadInput(f"MODULE {name!r}: a module name has no '/' (name the module, not "
                       "its file)")
    return name


@click.command(name="which", cls=WhichCommand, options_metavar="MODULE [OPTIONS]",
               context_settings={"allow_interspersed_args": False,
                                 "help_option_names": ["-h", "--help"]})
@invocation_options()
@click.pass_context
def which_command(ctx: click.Context, program: str, args: tuple[str, ...], argv0: str | None,
                  cwd: str | None, env_items: tuple[str, ...], unset_items: tuple[str, ...],
                  clear_env: bool, as_json: bool, no_cache: bool) -> int:
    """Where `import MODULE` would come from when PROGRAM ARG... starts: built-in and frozen
    modules first, then the predicted sys.path in order (the first regular package or module
    wins; namespace portions only when nothing else is found), with what it shadows.

    Exit status 0 when the module is found, 1 when it is not or the interpreter does not
    start, 2 for bad input or a PROGRAM that gives the interpreter a script to run first.

    Usage: prefixlab which MODULE [--json] [invocation options] PROGRAM [ARG...]"""
    name = check_module_name(str(ctx.meta.get(_MODULE, "")))
    invocation = _invocation(ctx, program, args, argv0, cwd, env_items, unset_items, clear_env)
    world = world_for(invocation, use_cache=not no_cache)
    outcome = predict(world, invocation)
    started, why = interpreter_outcome(world, outcome)
    context = context_for(world, started) if started is not None else None
    resolution = which(context, name) if context is not None else None
    if as_json:
        dump(to_json(outcome, resolution, why))
    else:
        click.echo(render(outcome, name, resolution, why), nl=False)
    return exit_status(resolution, why)


def exit_status(resolution: Resolution | None, why: str) -> int:
    """0 found; 1 not found, or no interpreter start to look in; 2 a question this command
    does not answer as asked (the chain runs a script first: name its interpreter)."""
    if resolution is None:
        return EXIT_BAD_INPUT if why else EXIT_DIFFERENT
    if resolution.found is None or resolution.error:
        return EXIT_DIFFERENT
    return EXIT_OK


def interpreter_outcome(world: World, outcome: Outcome) -> tuple[Outcome | None, str]:
    """The prediction as the interpreter the exec chain reaches receives it (a pyenv shim, a
    wrapper or env hand it the caller's arguments); else None, with the reason when the
    chain gives the interpreter something else to run first (a #! script's interpreter gets
    the script's path): the module question is about an interpreter started with the
    caller's command line.  A start that fails has no reason here (render says it)."""
    start = interpreter_start(world, outcome.invocation)
    if isinstance(start, str):
        return None, (f"{start}; `which` answers for an interpreter started with your "
                      "arguments as its command line (for a script's own start, name its "
                      "interpreter: prefixlab which MODULE INTERPRETER SCRIPT)")
    if start is None or outcome.status != "ok":
        return None, ""
    return replace(outcome, invocation=start), ""


def to_json(outcome: Outcome, resolution: Resolution | None, why: str = "") -> dict[str, Any]:
    """predict's object plus ``which`` (null without an answer) and ``why`` (null with one)."""
    data = outcome.to_json()
    data["which"] = None if resolution is None else resolution.to_json()
    if resolution is not None:
        data["why"] = None
    elif why:
        data["why"] = why
    else:
        error = outcome.error
        said = rendering.failure(error, escaped=False) if error else outcome.status
        data["why"] = f"the interpreter does not start ({said})"
    if data["which"] is not None:
        data["which"]["finders_not_modelled"] = [
            code.to_json() for code in finders_not_modelled(outcome)]
    if resolution is not None:
        data["trace"].extend({"rule": s.rule.id, "row": s.row, "detail": s.detail,
                              "values": values_json(s.values)} for s in resolution.steps)
    return data


def render(outcome: Outcome, name: str, resolution: Resolution | None, why: str = "") -> str:
    name = rendering.show(name)  # as typed: it may hold anything
    lines = [f"prefixlab which {name}: {rendering.command_line(outcome)}"]
    if resolution is None and why:
        lines.append(f"  No answer: {rendering.show(why, backslash=False)}.")
        return "\n".join(lines) + "\n"
    if resolution is None:
        error = outcome.error
        why = rendering.failure(error) if error else outcome.status
        lines.append(f"  The interpreter does not start ({why}): nothing is imported.")
        return "\n".join(lines) + "\n"
    found = resolution.found
    if resolution.error == "bad option":
        lines.append("  The interpreter does not start: -X frozen_modules or "
                     "PYTHON_FROZEN_MODULES is neither on nor off.")
    elif resolution.error == "not a package":
        lines.append(f"  not found: its parent is a module, not a package, so no finder looks "
                     f"for it (`import {name}` works only if the parent puts it in sys.modules "
                     "itself, as os does for os.path)")
    elif found is None:
        lines.append(f"  not found: no finder knows it; `import {name}` raises "
                     "ModuleNotFoundError")
    else:
        lines.append(f"  found       {_describe(found)}")
        if found.locations is not None:
            lines.append(f"  __path__    {_listed(found.locations)}")
    lines += [f"  shadowed    {_describe(c)}" for c in resolution.shadowed]
    lines += [f"  skipped     {rendering.quoted(e)} (not a directory or zip archive)"
              for e in resolution.skipped]
    for code in finders_not_modelled(outcome):
        where = rendering.show(code.file) + (f":{code.line}" if code.line else "")
        text = code.text if len(code.text) <= 60 else code.text[:57] + "..."
        what = code.known_as or f"{code.kind} {rendering.quoted(text)}"
        lines.append(f"  caveat      site runs {what} ({where}), which may add an import "
                     "finder this answer does not follow")
    lines.append("Why, step by step:")
    for n, step in enumerate(resolution.steps, 1):
        detail = rendering.show(step.detail, backslash=False)  # reprs inside: escaped
        lines.append(f" {n}. {detail}: {step.rule.summary} "
                     f"[rule {step.rule.id}]")
    return "\n".join(lines) + "\n"


def _describe(candidate: Candidate) -> str:
    where = f" (sys.path entry {rendering.quoted(candidate.entry)})" if candidate.kind not in (
        "built-in", "frozen") else ""
    if candidate.kind == "namespace":
        return f"namespace package {_listed(candidate.locations or ())}{where}"
    if candidate.kind in ("built-in", "frozen") and candidate.origin == candidate.kind:
        # find_spec's origin for these is the kind itself: say it once.
        return f"{candidate.kind} module"
    return f"{candidate.kind} {rendering.show(candidate.origin or '')}{where}"


def _listed(paths: Iterable[str]) -> str:
    """Paths as a Python list shows them, each escaped once."""
    return "[" + ", ".join(rendering.quoted(p) for p in paths) + "]"
