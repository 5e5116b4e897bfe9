"""``prefixlab build venv TARGET --python INTERPRETER``: its command line.

The plain spellings are parsed here without click (impl/cli/launch.py sends
``prefixlab build venv ...`` here first), so that a warm build starts without importing it:
a build venv must be faster than ``python -m venv``.  Everything else (help, ``--``, short
options, a usage error) goes to the click command, which runs the same :func:`run`.  Errors
end as every command's do (impl/cli/errors.py).  The builder is impl/builders/venv.py.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from prefixlab.impl.builders.venv import Options, build_venv
from prefixlab.impl.cli import errors
from prefixlab.impl.render.escape import show

TYPE_CHECKING = False  # typing stays off a warm build's start-up (model/speedups.py)
if TYPE_CHECKING:
    import click

WHERE = "prefixlab build venv"
"""The command, as its error lines name it."""
USAGE = ("prefixlab build venv TARGET --python INTERPRETER [--system-site-packages] [--copies] "
         "[--prompt P] [--stdlib-compatible] [--force] [--no-cache]")
_FLAGS = {"--system-site-packages", "--copies", "--stdlib-compatible", "--force", "--no-cache"}


def fast_main(args: Sequence[str]) -> int | None:
    """`prefixlab build venv ARGS` without click, for the common spellings; None when the
    arguments need click (help, an unknown option, a usage error), which then parses them."""
    parsed = _parse_fast(list(args))
    if parsed is None:
        return None
    target, python, options, force, use_cache = parsed
    return run(target, python, options, force=force, use_cache=use_cache)


def run(target: str, python: str, options: Options, *, force: bool, use_cache: bool) -> int:
    """Build, report problems as one line on stderr; the exit status."""
    try:
        planned = build_venv(python, target, options, force=force, use_cache=use_cache,
                             warn=_warn)
    except Exception as error:
        if errors.propagates(error):
            raise
        return errors.report(error, WHERE)
    if not planned.home.verified:
        sys.stderr.write(f"{WHERE}: warning: no base executable of {show(python)} was shown "
                         f"to give a working venv; home = {show(planned.home.directory)} as "
                         "stdlib venv "
                         "would choose\n")
    return errors.EXIT_OK


def _warn(message: str) -> None:
    sys.stderr.write(f"{WHERE}: warning: {errors.one_line(message)}\n")


def _parse_fast(args: list[str]) -> tuple[str, str, Options, bool, bool] | None:
    target: str | None = None
    python: str | None = None
    prompt: str | None = None
    flags: set[str] = set()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _FLAGS:
            flags.add(arg)
        elif arg in ("--python", "--prompt"):
            if i + 1 >= len(args):
                return None
            i += 1
            if arg == "--python":
                python = args[i]
            else:
                prompt = args[i]
        elif arg.startswith(("--python=", "--prompt=")):
            name, _, value = arg.partition("=")
            if name == "--python":
                python = value
            else:
                prompt = value
        elif arg.startswith("-") or target is not None:
            return None  # help, '--', short options, a second TARGET: click says what it is
        else:
            target = arg
        i += 1
    if target is None or python is None:
        return None
    options = Options(system_site_packages="--system-site-packages" in flags,
                      copies="--copies" in flags, prompt=prompt,
                      stdlib_compatible="--stdlib-compatible" in flags)
    return target, python, options, "--force" in flags, "--no-cache" not in flags


def command() -> click.Command:
    """The click command (help, usage errors and every spelling fast_main leaves)."""
    import click

    @click.command(name="venv", context_settings={"help_option_names": ["-h", "--help"]})
    @click.argument("target")
    @click.option("--python", "python", required=True, metavar="INTERPRETER",
                  help="The interpreter: a path or a name on PATH (a symlink, a wrapper, a "
                       "pyenv shim, an environment or another venv).")
    @click.option("--system-site-packages", is_flag=True,
                  help="Give the venv access to the base installation's site-packages.")
    @click.option("--copies", is_flag=True, help="Copy the interpreter instead of linking it.")
    @click.option("--prompt", metavar="P", help="The prompt the activation scripts show.")
    @click.option("--stdlib-compatible", is_flag=True,
                  help="Make exactly the choices stdlib venv makes (home from "
                       "sys._base_executable as is; venv-of-venv chains on 3.8-3.10).")
    @click.option("--force", is_flag=True,
                  help="Replace a venv, an environment prefixlab built, a file or a link at "
                       "TARGET (atomically; any other directory is never replaced).")
    @click.option("--no-cache", is_flag=True, help="Learn the interpreter afresh.")
    def venv_command(target: str, python: str, system_site_packages: bool, copies: bool,
                     prompt: str | None, stdlib_compatible: bool, force: bool,
                     no_cache: bool) -> int:
        """Build a PEP 405 venv at TARGET for INTERPRETER without running its venv module:
        the layout, bin entries, pyvenv.cfg and activation scripts of that version's
        `python -m venv --without-pip` (no pip is installed), with home chosen so that the
        venv starts (see the README).  Written atomically; an existing TARGET is left alone
        unless --force."""
        options = Options(system_site_packages, copies, prompt, stdlib_compatible)
        code = run(target, python, options, force=force, use_cache=not no_cache)
        if code:
            raise SystemExit(code)
        return code

    return venv_command
