"""prefixlab's command line: predict, probe, explain, diff, interpreters.

Every command that takes an invocation takes the same arguments:
``[--argv0 ARG0] [--cwd DIR] [--env NAME=VALUE]... [--unset-env NAME]... [--clear-env]
[--json] [--no-cache] PROGRAM [ARG...]``.  Option parsing stops at PROGRAM: what follows is
the interpreter's own command line.  The exit codes of every command are in :data:`EXIT_CODES`
(shown by ``prefixlab --help``); the group's own options (``--version``, ``-q``, ``-v``,
``--color``) are read by commands through :func:`global_options`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import stat
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import click

from prefixlab.impl.cli import errors
from prefixlab.impl.cli.badinput import BadInput
from prefixlab.impl.cli.errors import DEBUG_ENV, EXIT_BAD_INPUT, EXIT_DIFFERENT, EXIT_OK
from prefixlab.model.errors import PrefixlabError

if TYPE_CHECKING:
    from rich.console import Console

    from prefixlab.impl.checks import runnable
    from prefixlab.impl.render import compare as comparing
    from prefixlab.impl.render import narrate
    from prefixlab.impl.render import text as rendering
    from prefixlab.impl.host import interpreters
    from prefixlab.impl.host import world as hostworld
    from prefixlab.model.startup import predict as startup
    from prefixlab.model.world.invocation import Invocation
    from prefixlab.model.outcome import Outcome
    from prefixlab.model.world import World
else:
    # Each command imports only what it uses (a `prefixlab build venv` must not pay for the
    # model, rich or the explanations): these modules are imported on first use.
    class _Later:
        """A module imported when one of its attributes is first asked for."""

        def __init__(self, name: str) -> None:
            self._name = name

        def __getattr__(self, attr: str) -> Any:
            return getattr(importlib.import_module(self._name), attr)

    comparing = _Later("prefixlab.impl.render.compare")
    runnable = _Later("prefixlab.impl.checks.runnable")
    narrate = _Later("prefixlab.impl.render.narrate")
    rendering = _Later("prefixlab.impl.render.text")
    interpreters = _Later("prefixlab.impl.host.interpreters")
    hostworld = _Later("prefixlab.impl.host.world")
    startup = _Later("prefixlab.model.startup.predict")

DEFAULT_ARGS: tuple[str, ...] = ()
"""The command line for explain's default interpreter (none: the prediction is for -c)."""

SITE_HELP = ("Without -S, site.py's work is modelled (venv, site-packages, the user site, .pth "
             "files); code site would run (.pth import lines, sitecustomize, usercustomize) is "
             "listed under code_not_run, never run by the model. probe, diff and explain "
             "--compare run the real interpreter, and that code with it (-S avoids site).")
_ENV_OPS = "prefixlab.env_ops"
_GLOBAL = "prefixlab.global_options"

EXIT_CODES = (
    ("predict, explain, probe", "an answer, whatever its status", "-",
     "bad input; probe of a program it must not run"),
    ("diff, explain --compare", "agree", "differ", "bad input; not comparable"),
    ("which", "the module is found", "not found, or the interpreter does not start",
     "bad input; a PROGRAM that gives the interpreter a script first"),
    ("build venv, build env", "built", "-", "refused"),
    ("build check, conform", "every promise held", "a failure found",
     "bad input, missing builder"),
    ("unwrap", "unwrapped", "-", "not a wrapped script, bad input"),
    ("fuzz-unwrap", "nothing found", "a finding", "bad input, the command cannot run"),
    ("interpreters", "the list", "-", "bad input"),
    ("example", "laid down (with --python: it agrees with the note)",
     "with --python: it disagrees", "bad input, DIR not empty, a build step failed"),
)
"""Every command's exit codes: (command, 0, 1, 2); 3 is always an internal error.  Shown by
``prefixlab --help`` and in README's "Exit codes" (tests/impl/cli/test_exit_codes.py keeps
the two and the commands in step)."""


@dataclass(frozen=True, slots=True)
class GlobalOptions:
    """The group's options, for every command (``prefixlab -q fuzz-unwrap ...``)."""

    quiet: bool = False
    """-q: no progress displays or other chatter on stderr (errors and answers stay); read by
    fuzz-unwrap, build venv (whose click-free start takes it in impl/cli/launch.py) and
    build env."""
    verbose: bool = False
    """-v: an internal error (exit 3) shows its traceback before its one line."""
    color: str = "auto"
    """--color: 'always', 'never', or 'auto' (rich on a terminal, colourless under NO_COLOR)."""


def global_options(ctx: click.Context | None = None) -> GlobalOptions:
    """The group's options as the running command sees them (the defaults, NO_COLOR
    included, outside a ``prefixlab`` command line: a command run on its own)."""
    ctx = ctx if ctx is not None else click.get_current_context(silent=True)
    found = ctx.meta.get(_GLOBAL) if ctx is not None else None
    return found if isinstance(found, GlobalOptions) else GlobalOptions()


def no_color(options: GlobalOptions) -> bool:
    """Whether rich output is colourless: --color never, or --color auto with NO_COLOR set
    to anything but the empty string (https://no-color.org); --color always overrides it."""
    if options.color == "auto":
        return bool(os.environ.get("NO_COLOR"))
    return options.color == "never"


def stderr_console() -> Console:
    """A rich Console on stderr for progress displays, as the global options ask."""
    from rich.console import Console

    options = global_options()
    return Console(stderr=True, no_color=no_color(options),
                   force_terminal=True if options.color == "always" else None)


# -- the command classes ------------------------------------------------------------------------
# Commands in their own modules, imported only when run or asked for their help: (module,
# attribute, the one-line help `prefixlab --help` lists, so that listing imports nothing).
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "which": ("prefixlab.impl.cli.which", "which_command",
              "Say where `import MODULE` would come from in the started interpreter."),
    "unwrap": ("prefixlab.impl.cli.unwrap", "unwrap_command",
               "Print the script that SCRIPT was made from by a wrapper."),
    "fuzz-unwrap": ("prefixlab.impl.cli.unwrap", "fuzz_unwrap_command",
                    "Check an unwrapper on generated wrapped scripts."),
    "build": ("prefixlab.impl.cli.build", "build_command",
              "Build environments that are correct by the model."),
    "conform": ("prefixlab.impl.cli.conform", "conform_command",
                "Check a venv builder against the venv promises on generated placements."),
    "example": ("prefixlab.impl.cli.example", "example_command",
                "Lay a notes example down under DIR and print how to run it."),
}


class Main(click.Group):
    """The group: turns every failure into one line on stderr and an exit code, and imports
    a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module, attribute, _ = LAZY_COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(formatter.width)))
            else:
                rows.append((name, LAZY_COMMANDS[name][2]))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an error it raises is reported here, where its command and the
        global options are known (click's own usage errors go on to :meth:`_run`)."""
        try:
            return super().invoke(ctx)
        except PrefixlabError as error:  # before click's: badinput.BadInput is a ClickException too
            if errors.propagates(error):
                raise
            return errors.report(error, _command_path(error, _running(ctx)))
        except click.UsageError as error:
            name = ctx.invoked_subcommand
            command = self.get_command(ctx, name) if name else None
            if error.ctx is None and command is not None:
                # click's parser raises some usage errors (`--json=1`: a flag given a value)
                # without their command's context: name the command all the same.
                error.ctx = click.Context(command, parent=ctx, info_name=name)
            raise
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:  # a bug: one line unless asked for the traceback
            if errors.propagates(error):
                raise
            if global_options(ctx).verbose:
                import traceback

                traceback.print_exc()
            return errors.report(error, _running(ctx))

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        code = self._run(args, prog_name or "prefixlab", complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, args: Sequence[str] | None, prog_name: str, complete_var: str | None,
             extra: dict[str, Any]) -> int:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False,
                                  **extra)
        except PrefixlabError as error:  # before click's: badinput.BadInput is a ClickException too
            if errors.propagates(error):
                raise
            return errors.report(error, _command_path(error, prog_name))
        except _NO_ARGS_IS_HELP as error:  # `prefixlab`, `prefixlab build`: no command
            # The help as --help shows it, on stderr (click 8.2+; 8.1 prints it and exits 0).
            click.echo(error.format_message(), err=True)
            return EXIT_BAD_INPUT
        except click.ClickException as error:  # click's usage errors
            _error_line(error)
            return EXIT_BAD_INPUT
        except click.exceptions.Abort:
            return EXIT_BAD_INPUT
        except Exception as error:  # a bug: one line unless asked for the traceback
            if errors.propagates(error):
                raise
            return errors.report(error, prog_name)
        return result if isinstance(result, int) else EXIT_OK


_NO_ARGS_IS_HELP: type[click.ClickException] | tuple[()] = getattr(
    click.exceptions, "NoArgsIsHelpError", ())


def _running(ctx: click.Context) -> str:
    """The command being run, as its error lines name it (``prefixlab predict``)."""
    name = ctx.invoked_subcommand
    return f"{ctx.command_path} {name}" if name else ctx.command_path


def _command_path(error: PrefixlabError, prog_name: str) -> str:
    """The command the error names: the one that raised it, when it recorded its context
    (impl/cli/badinput.py), else the program."""
    ctx: click.Context | None = getattr(error, "ctx", None)
    return ctx.command_path if ctx is not None else prog_name


def _error_line(error: click.ClickException) -> None:
    ctx: click.Context | None = getattr(error, "ctx", None)
    where = ctx.command_path if ctx is not None else "prefixlab"
    message = " ".join(error.format_message().split())
    hint = ""
    if isinstance(error, click.UsageError):
        hint = f" (see '{where} --help')"
    click.echo(f"{where}: {rendering.show(message)}{hint}", err=True)


class InvocationCommand(click.Command):
    """A command taking an invocation: records the order of --env and --unset-env (the last
    one for a name wins) before click groups them by option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ENV_OPS] = _env_ops(args, self._value_options())
        return super().parse_args(ctx, args)

    def _value_options(self) -> frozenset[str]:
        return frozenset(opt for p in self.params if isinstance(p, click.Option)
                         and not p.is_flag and not p.count for opt in p.opts)


def _env_ops(args: Sequence[str], with_value: frozenset[str]) -> list[tuple[str, str]]:
    """(option, value) for each --env / --unset-env before PROGRAM, in order."""
    ops: list[tuple[str, str]] = []
    i = 0
    while i < len(args) and args[i] != "--" and args[i].startswith("-"):
        name, equals, value = args[i].partition("=")
        takes = name in with_value
        if takes and not equals:
            value = args[i + 1] if i + 1 < len(args) else ""
            i += 1
        if name in ("--env", "--unset-env") and (equals or i < len(args)):
            ops.append((name, value))
        i += 1
    return ops


# -- options --------------------------------------------------------------------------------------
def invocation_options(*, program_required: bool = True) -> Callable[[Callable[..., Any]],
                                                                       Callable[..., Any]]:
    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed([
            click.option("--argv0", metavar="ARG0",
                         help="argv[0] as the interpreter receives it (default: PROGRAM as "
                              "typed)."),
            click.option("--cwd", metavar="DIR",
                         help="Working directory it runs in (default: the current one)."),
            click.option("--env", "env_items", multiple=True, metavar="NAME=VALUE",
                         help="Set a variable (applied after --clear-env, in order with "
                              "--unset-env; the last one wins)."),
            click.option("--unset-env", "unset_items", multiple=True, metavar="NAME",
                         help="Remove a variable."),
            click.option("--clear-env", is_flag=True,
                         help="Start from an empty environment instead of yours."),
            click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
            click.option("--no-cache", is_flag=True,
                         help="Learn interpreters' build constants afresh."),
            click.argument("program", required=program_required),
            click.argument("args", nargs=-1, type=click.UNPROCESSED),
        ]):
            command = option(command)
        return command
    return decorate


_CONTEXT: dict[str, Any] = {"allow_interspersed_args": False,
                            "help_option_names": ["-h", "--help"]}


def _command(group: click.Group, name: str) -> Callable[[Callable[..., Any]],
                                                         click.Command]:
    return group.command(name=name, cls=InvocationCommand, context_settings=_CONTEXT)


# -- building the invocation and the world ------------------------------------------------------
def make_invocation(program: str, args: Sequence[str], *, argv0: str | None, cwd: str | None,
                    env_ops: Sequence[tuple[str, str]], clear_env: bool,
                    base_env: Mapping[str, str] | None = None) -> Invocation:
    """The Invocation the arguments describe (BadInput naming the argument if they cannot)."""
    if program == "":
        raise BadInput("PROGRAM: empty; name the file to execute")
    env = {} if clear_env else dict(os.environ if base_env is None else base_env)
    for option, value in env_ops:
        if option == "--env":
            name, equals, text = value.partition("=")
            if not equals or not name:
                raise BadInput(f"--env {value!r}: expected NAME=VALUE")
            env[name] = text
        else:
            if not value or "=" in value:
                raise BadInput(f"--unset-env {value!r}: expected a variable NAME")
            env.pop(value, None)
    from prefixlab.model.world.invocation import Invocation

    return Invocation.make(program, list(args), argv0=argv0, env=env, cwd=_working_dir(cwd))


def _working_dir(cwd: str | None) -> str:
    try:
        here = os.getcwd()
    except OSError as error:
        raise BadInput(f"the current directory cannot be used ({error.strerror})") from None
    if cwd is None:
        return here
    if cwd == "":
        raise BadInput("--cwd '': empty; name a directory")
    where = cwd if cwd.startswith("/") else os.path.join(here, cwd)
    try:
        st = os.stat(where)
    except OSError as error:
        raise BadInput(f"--cwd {rendering.show(cwd)}: {error.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise BadInput(f"--cwd {rendering.show(cwd)}: not a directory")
    if not os.access(where, os.X_OK):
        raise BadInput(f"--cwd {rendering.show(cwd)}: permission denied (cannot enter it)")
    return where


def _default_interpreter(invocation_env: Mapping[str, str], cwd: str) -> tuple[str, str]:
    """The machine's default interpreter: (python3 as found on PATH, the sys.executable it
    reports).  Run once, in the given environment and directory, as a shell would."""
    import shutil
    import subprocess

    path = invocation_env.get("PATH", os.defpath)
    found = shutil.which("python3", path=path)
    if found is None:
        raise BadInput("no PROGRAM given and no python3 on PATH to ask for the "
                       "default interpreter")
    try:
        # -B: asking must not leave bytecode in the installation explain is about to study.
        # Contained, as every run of an interpreter: it dies with prefixlab.
        code, stdout, _ = interpreters.run_contained(
            [found, "-B", "-c", "import sys; print(sys.executable)"],
            env=invocation_env, cwd=cwd, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        raise BadInput(f"{found} cannot be run to ask for sys.executable "
                       f"({error})") from None
    answer = os.fsdecode(stdout).strip().splitlines()
    if code != 0 or not answer or not answer[-1].startswith("/"):
        raise BadInput(f"{found} did not report an absolute sys.executable "
                       f"(exit status {code})")
    return found, answer[-1]


def _default_preface(found: str, binary: str) -> str:
    code = rendering.code
    text = (f"No PROGRAM given: the machine's default interpreter is the binary that "
            f"{code('python3')} on PATH ({code(found)}) reports as sys.executable: "
            f"{code(binary)}.")
    if _is_script(found):
        text += (f" {code(found)} itself is a script (a shim such as pyenv's); this explains "
                 "the binary it ends up running (explain python3 shows the way there too).")
    return text


def _is_script(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return False


def predict(world: World, invocation: Invocation) -> Outcome:
    """The model's prediction (prefixlab.model.startup.predict.predict, imported on first use)."""
    return startup.predict(world, invocation)


def run_probe(invocation: Invocation, taken: int = 0) -> Outcome:
    """The real run (``taken``: the arguments the exec chain's own programs take)."""
    from prefixlab.impl.host.probe import probe

    return probe(invocation, taken=taken)


def may_run(world: World, invocation: Invocation) -> runnable.Verdict:
    """Whether probe, diff and explain --compare may run the invocation for real: only when
    its arguments reach a CPython interpreter as its own command line (impl/checks/runnable.py)."""
    return runnable.verdict(world, invocation)


def _not_comparable(command: str, why: str) -> int:
    """The one line saying why the program was not run; exit 2."""
    click.echo(f"prefixlab {command}: not comparable, not run: "
               f"{rendering.show(why, backslash=False)}", err=True)
    return EXIT_BAD_INPUT


def _schema() -> int:
    from prefixlab.model.outcome import SCHEMA

    return SCHEMA


# -- output ---------------------------------------------------------------------------------------
def dump(data: Mapping[str, Any]) -> None:
    """JSON on stdout.  ensure_ascii: the output is 7-bit, and undecodable bytes in paths
    (lone surrogates, from surrogateescape) are written as \\udcNN escapes, which json.loads
    turns back into the same strings (os.fsencode gives the original bytes)."""
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=True))


def _console() -> Console | None:
    """rich for a terminal (colourless under NO_COLOR); None, plain text, for a pipe or a
    file.  --color always gives rich, colours and all, anywhere; --color never plain text.
    rich is imported only when it will render (it costs more than a prediction)."""
    from prefixlab.impl.cli.fast import console_for

    return console_for(global_options().color)


def _show_result(outcome: Outcome, heading: str) -> None:
    console = _console()
    if console is None:
        click.echo(rendering.render_result_plain(outcome, heading), nl=False)
    else:
        rendering.render_result_rich(outcome, heading, console)


def _show_comparison(comparison: comparing.Comparison, *, only_differences: bool) -> None:
    console = _console()
    if console is None:
        click.echo(rendering.render_comparison_plain(comparison, only_differences=only_differences),
                   nl=False)
    else:
        rendering.render_comparison_rich(comparison, console, only_differences=only_differences)


# -- the commands ----------------------------------------------------------------------------------
def _exit_codes_help() -> str:
    """The exit-code table for the group's help (``\\b``: click keeps its lines as they are)."""
    width = max(len(row[0]) for row in EXIT_CODES)
    lines = ["\b", "Exit codes (3, for every command: prefixlab itself failed; rerun with",
             f"{DEBUG_ENV}=1 for the traceback):"]
    for command, *meanings in EXIT_CODES:
        for code, meaning in enumerate(meanings):
            if meaning != "-":
                lines.append(f"  {command:{width}}  {code}  {meaning}")
                command = ""
    return "\n".join(lines)


@click.group(name="prefixlab", cls=Main, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=SITE_HELP + "\n\n" + _exit_codes_help())
@click.version_option(None, "-V", "--version", package_name="prefixlab", prog_name="prefixlab",
                      message="%(prog)s %(version)s",
                      help="Print prefixlab's version (from its installed metadata) and exit.")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress display or other chatter on stderr (fuzz-unwrap's "
                   "progress, build's announcement of the interpreter it chose); answers, "
                   "refusals and errors are unchanged.")
@click.option("-v", "--verbose", is_flag=True,
              help="An internal error (exit 3) shows its traceback before its one line.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True,
              help="rich output: auto is rich on a terminal (colourless when NO_COLOR is set "
                   "and not empty), plain text in a pipe; always forces rich with colours "
                   "(NO_COLOR ignored); never is plain text.")
@click.pass_context
def main(ctx: click.Context, quiet: bool, verbose: bool, color: str) -> None:
    """prefixlab: an executable model of how CPython works out where it lives at start-up
    (sys.executable, sys._base_executable, the prefixes, sys.path).

    Commands that take PROGRAM [ARG...] describe one start of an interpreter: PROGRAM is the
    file executed (a bare name is looked up on the given PATH as execvp does), the ARGs are
    the interpreter's command line (with no -c, -m or script, the prediction is for -c)."""
    if quiet and verbose:
        raise BadInput("-q and -v: choose one")
    ctx.meta[_GLOBAL] = GlobalOptions(quiet=quiet, verbose=verbose, color=color)


def _invocation(ctx: click.Context, program: str, args: Sequence[str], argv0: str | None,
                cwd: str | None, env_items: Sequence[str], unset_items: Sequence[str],
                clear_env: bool) -> Invocation:
    ops = ctx.meta.get(_ENV_OPS)
    if ops is None or len(ops) != len(env_items) + len(unset_items):
        ops = [("--env", v) for v in env_items] + [("--unset-env", v) for v in unset_items]
    return make_invocation(program, args, argv0=argv0, cwd=cwd, env_ops=ops,
                           clear_env=clear_env)


@contextlib.contextmanager
def _learning(allowed: bool) -> Iterator[None]:
    """Whether binaries may be run to learn their build constants (predict --no-learn)."""
    token = interpreters.LEARNING.set(allowed)
    try:
        yield
    finally:
        interpreters.LEARNING.reset(token)


def _not_learned(world: World, outcome: Outcome) -> Outcome:
    """Under --no-learn, a CPython-looking binary left unknown says why in its reason."""
    error = outcome.error
    if error is None or error.kind != "not-an-interpreter":
        return outcome
    from prefixlab.model.exec import chain
    from prefixlab.model.world import kernel

    invocation = outcome.invocation
    cwd = kernel.realpath(world.fs, invocation.cwd)
    hop = (chain.follow(world.fs, invocation, cwd, world.builds, [])
           if isinstance(cwd, str) else None)
    binary = hop.binary if isinstance(hop, chain.Stopped) else None
    if binary is None or not hostworld.looks_like_cpython(binary):
        return outcome
    message = (f"{error.message} (--no-learn: its build constants are not cached, and it "
               "was not run to learn them)")
    return replace(outcome, error=replace(error, message=message))


@_command(main, "predict")
@click.option("--no-learn", is_flag=True,
              help="Run nothing: use only cached build constants (an interpreter binary not "
                   "learned before is then not-modelled).")
@invocation_options()
@click.pass_context
def predict_command(ctx: click.Context, no_learn: bool, program: str, args: tuple[str, ...],
                    argv0: str | None, cwd: str | None, env_items: tuple[str, ...],
                    unset_items: tuple[str, ...], clear_env: bool, as_json: bool,
                    no_cache: bool) -> int:
    """Predict what PROGRAM ARG... computes at start-up, without running it.

    To know how an interpreter binary was built, prefixlab runs it once, neutrally (-I -S,
    empty environment, cwd /), and caches its build constants; --no-learn runs nothing. Without
    -S, site's work is predicted too; code it would run is listed under code_not_run."""
    if no_learn and no_cache:
        raise BadInput("--no-learn with --no-cache: no build constants to predict with")
    invocation = _invocation(ctx, program, args, argv0, cwd, env_items, unset_items, clear_env)
    with _learning(not no_learn):
        world = hostworld.world_for(invocation, use_cache=not no_cache)
    outcome = predict(world, invocation)
    if no_learn:
        outcome = _not_learned(world, outcome)
    if as_json:
        dump(outcome.to_json())
    else:
        _show_result(outcome, f"prefixlab predict: {rendering.command_line(outcome)}")
    return EXIT_OK


@_command(main, "probe")
@invocation_options()
@click.pass_context
def probe_command(ctx: click.Context, program: str, args: tuple[str, ...], argv0: str | None,
                  cwd: str | None, env_items: tuple[str, ...], unset_items: tuple[str, ...],
                  clear_env: bool, as_json: bool, no_cache: bool) -> int:
    """Run PROGRAM ARG... for real and report what it computed (the keys of predict, without
    the trace). The command it runs is replaced by a probe: only -c command lines (or none)
    can be probed. PROGRAM is run only when the model's exec chain shows that the ARGs reach
    a CPython interpreter as its own command line (an interpreter, or a wrapper, pyenv shim
    or env passing them on); a script or another program is refused (exit 2). The probe
    runs site, .pth import lines and sitecustomize for real (-S avoids them)."""
    invocation = _invocation(ctx, program, args, argv0, cwd, env_items, unset_items, clear_env)
    check = may_run(hostworld.world_for(invocation, use_cache=not no_cache), invocation)
    if check.taken is None:
        raise BadInput(f"not run: {check.why}")
    outcome = run_probe(invocation, check.taken)
    if as_json:
        dump(outcome.to_json(with_trace=False))
    else:
        _show_result(outcome, f"prefixlab probe: {rendering.command_line(outcome)}")
    return EXIT_OK


@_command(main, "explain")
@click.option("--graph", is_flag=True,
              help="Add a Mermaid diagram of the part of the layout the answer depended on.")
@click.option("--compare", is_flag=True,
              help="Also run it for real (as probe does: site code included unless -S) and "
                   "show predicted and probed side by side.")
@invocation_options(program_required=False)
@click.pass_context
def explain_command(ctx: click.Context, graph: bool, compare: bool, program: str | None,
                    args: tuple[str, ...], argv0: str | None, cwd: str | None,
                    env_items: tuple[str, ...], unset_items: tuple[str, ...], clear_env: bool,
                    as_json: bool, no_cache: bool) -> int:
    """Explain, step by step, how PROGRAM ARG... finds itself: each step names its rule, the
    behaviour-table row (CPython version range) in force and the source it comes from.

    Without PROGRAM: the machine's default interpreter, i.e. the binary that python3's
    sys.executable names (python3 found on PATH is run once to ask). With --compare, exit
    status 1 when prediction and probe differ, 2 when PROGRAM is not run."""
    preface: list[str] = []
    if program is None:
        base = _invocation(ctx, "python3", (), argv0, cwd, env_items, unset_items, clear_env)
        found, program = _default_interpreter(base.environ, base.cwd)
        args = DEFAULT_ARGS
        preface.append(_default_preface(found, program))
    invocation = _invocation(ctx, program, args, argv0, cwd, env_items, unset_items, clear_env)
    world = hostworld.world_for(invocation, use_cache=not no_cache)
    outcome = predict(world, invocation)
    explanation = narrate.explain(outcome, world.fs, graph=graph, preface=preface)
    check = may_run(world, invocation) if compare else None
    probed = (run_probe(invocation, check.taken)
              if check is not None and check.taken is not None else None)
    comparison = comparing.compare(outcome, probed) if probed is not None else None
    if as_json:
        data = outcome.to_json()
        data["explanation"] = explanation.to_json()
        if check is not None:
            data["comparable"] = probed is not None
            data["probed"] = probed.to_json(with_trace=False) if probed is not None else None
            data["differences"] = list(comparison.differences) if comparison else None
            if probed is None:
                data["why"] = check.why
        dump(data)
    else:
        console = _console()
        if console is None:
            click.echo(rendering.render_plain(explanation), nl=False)
        else:
            rendering.render_rich(explanation, console)
        if comparison is not None:
            click.echo("\nPredicted and probed, side by side:")
            _show_comparison(comparison, only_differences=False)
    if check is not None and check.taken is None:
        return _not_comparable("explain", check.why)
    return EXIT_DIFFERENT if comparison is not None and comparison.differences else EXIT_OK


@_command(main, "diff")
@invocation_options()
@click.pass_context
def diff_command(ctx: click.Context, program: str, args: tuple[str, ...], argv0: str | None,
                 cwd: str | None, env_items: tuple[str, ...], unset_items: tuple[str, ...],
                 clear_env: bool, as_json: bool, no_cache: bool) -> int:
    """Predict and probe PROGRAM ARG..., and show the keys where they differ.

    Exit status 0 when they agree, 1 when they differ, 2 when the probe cannot run this
    command line (only -c, or no command, can be probed) or PROGRAM is not run because its
    ARGs would not reach a CPython interpreter as its command line (a script, another
    program): the prediction is then shown alone."""
    invocation = _invocation(ctx, program, args, argv0, cwd, env_items, unset_items, clear_env)
    world = hostworld.world_for(invocation, use_cache=not no_cache)
    predicted = predict(world, invocation)
    check = may_run(world, invocation)
    if check.taken is None:
        if as_json:
            dump({"schema": _schema(), "comparable": False, "why": check.why,
                  "predicted": predicted.to_json(), "probed": None})
        else:
            _show_result(predicted, f"prefixlab diff: {rendering.command_line(predicted)}")
        return _not_comparable("diff", check.why)
    probed = run_probe(invocation, check.taken)
    if probed.error is not None and probed.error.kind == "probe-unsupported":
        raise BadInput(f"cannot probe this: {probed.error.message}")
    comparison = comparing.compare(predicted, probed)
    if as_json:
        dump({**comparison.to_json(predicted, probed), "comparable": True})
    else:
        click.echo(f"prefixlab diff: {rendering.command_line(predicted)}")
        _show_comparison(comparison, only_differences=True)
    return EXIT_DIFFERENT if comparison.differences else EXIT_OK


@main.command(name="interpreters", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--no-cache", is_flag=True, help="Learn build constants afresh.")
def interpreters_command(as_json: bool, no_cache: bool) -> int:
    """List the CPython interpreters found here (pyenv, /usr/bin, /usr/local/bin, PATH,
    PREFIXLAB_PYTHONS), which are out of scope and why, and where learned build constants
    are cached."""
    found = interpreters.discover(use_cache=not no_cache)
    if as_json:
        dump({"schema": _schema(), "cache": interpreters.cache_dir(),
              "interpreters": [_interpreter_json(i) for i in found]})
        return EXIT_OK
    rows = [("", "version", "path", "found via", "")]
    for i in found:
        version = "%d.%d.%d" % i.version if i.version else "?"
        real = "" if i.real_path == i.path else f" (-> {rendering.show(i.real_path)})"
        rows.append(("✓" if i.in_scope else "✗", version, rendering.show(i.path) + real,
                     i.source, rendering.show(i.reason) if i.reason else ""))
    click.echo("\n".join(line.rstrip() for line in rendering.columns(rows, indent="")))
    in_scope = sum(i.in_scope for i in found)
    click.echo(f"{in_scope} in scope (CPython 3.8-3.14), {len(found) - in_scope} not.")
    click.echo(f"Build constants cache: {rendering.show(interpreters.cache_dir())}")
    return EXIT_OK


def _interpreter_json(interp: interpreters.Interpreter) -> dict[str, Any]:
    constants = asdict(interp.constants) if interp.constants is not None else None
    return {"path": interp.path, "real_path": interp.real_path,
            "version": "%d.%d.%d" % interp.version if interp.version else None,
            "source": interp.source, "in_scope": interp.in_scope, "reason": interp.reason,
            "constants": constants}


if __name__ == "__main__":  # pragma: no cover
    main()
