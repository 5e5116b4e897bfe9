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
    from typing import Any

    import click

WHERE = "prefixlab build venv"
"""The command, as its error lines name it."""
USAGE = ("prefixlab build venv TARGET --python INTERPRETER [--system-site-packages] [--copies] "
         "[--prompt P] [--stdlib-compatible] [--force] [--clear] [--upgrade] "
         "[--allow-existing] [--without-scm-ignore-files] [--no-cache] [--quiet]")
_FLAGS = {"--system-site-packages", "--copies", "--stdlib-compatible", "--force", "--no-cache",
          "--clear", "--upgrade", "--allow-existing", "--without-scm-ignore-files", "--quiet"}


class Modes:
    """How TARGET is written (--force, --clear, --upgrade, --allow-existing), whether the
    interpreter is learned afresh (--no-cache) and whether the choice of a version request is
    announced (--quiet)."""

    __slots__ = ("force", "clear", "upgrade", "allow_existing", "use_cache", "quiet")

    def __init__(self, force: bool = False, clear: bool = False, upgrade: bool = False,
                 allow_existing: bool = False, use_cache: bool = True,
                 quiet: bool = False) -> None:
        self.force, self.clear, self.upgrade = force, clear, upgrade
        self.allow_existing, self.use_cache, self.quiet = allow_existing, use_cache, quiet


def fast_main(args: Sequence[str]) -> int | None:
    """`prefixlab build venv ARGS` without click, for the common spellings; None when the
    arguments need click (help, an unknown option, a usage error), which then parses them."""
    parsed = _parse_fast(list(args))
    if parsed is None:
        return None
    target, python, options, modes = parsed
    return run(target, python, options, modes)


def run(target: str, python: str, options: Options, modes: Modes | None = None, *,
        force: bool = False, use_cache: bool = True) -> int:
    """Build, report problems as one line on stderr; the exit status.  Without ``modes``,
    ``force`` and ``use_cache`` say how (the other modes off)."""
    if modes is None:
        modes = Modes(force=force, use_cache=use_cache)
    try:
        planned = _build(target, python, options, modes)
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


def _build(target: str, python: str, options: Options, modes: Modes) -> Any:
    """Resolve --python (impl/host/requests.py: a path as it is; a name on PATH; else a
    version request chosen among the interpreters found here), then build."""
    def build(interpreter: str) -> Any:
        return build_venv(interpreter, target, options, force=modes.force,
                          use_cache=modes.use_cache, warn=_warn, clear=modes.clear,
                          upgrade=modes.upgrade, allow_existing=modes.allow_existing)

    if "/" in python or not python:
        return build(python)  # a path: the resolver is not even imported
    from prefixlab.impl.builders.venv import InterpreterUnusable, check_modes

    check_modes(force=modes.force, clear=modes.clear, upgrade=modes.upgrade,
                allow_existing=modes.allow_existing)  # before a choice is announced
    from prefixlab.impl.host import requests

    choice = requests.resolve(python)
    request = requests.parse(python)
    if choice.interpreter is None and request.kind == "version":
        # A version request's own name on PATH comes first (uv and virtualenv look there
        # first); when that command cannot start (a pyenv shim of a version not selected),
        # the request is chosen among the interpreters found here, as uv moves on to the
        # next candidate when one fails to run.
        try:
            return build(python)
        except InterpreterUnusable:
            choice = requests.choose_among(request)
    _announce(choice, modes.quiet)
    return build(choice.python)


def _announce(choice: Any, quiet: bool) -> None:
    line = choice.announcement()
    if line is not None and not quiet:
        sys.stderr.write(f"{show(line)}\n")


def _warn(message: str) -> None:
    sys.stderr.write(f"{WHERE}: warning: {errors.one_line(message)}\n")


def _parse_fast(args: list[str]) -> tuple[str, str, Options, Modes] | None:
    target: str | None = None
    python: str | None = None
    prompt: str | None = None
    flags: set[str] = set()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _FLAGS:
            flags.add(arg)
        elif arg == "-q":
            flags.add("--quiet")
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
                      stdlib_compatible="--stdlib-compatible" in flags,
                      scm_ignore_files="--without-scm-ignore-files" not in flags)
    modes = Modes(force="--force" in flags, clear="--clear" in flags,
                  upgrade="--upgrade" in flags, allow_existing="--allow-existing" in flags,
                  use_cache="--no-cache" not in flags, quiet="--quiet" in flags)
    return target, python, options, modes


def command() -> click.Command:
    """The click command (help, usage errors and every spelling fast_main leaves)."""
    import click

    @click.command(name="venv", context_settings={"help_option_names": ["-h", "--help"]})
    @click.argument("target")
    @click.option("--python", "python", required=True, metavar="INTERPRETER",
                  help="The interpreter: a path or a name on PATH (a symlink, a wrapper, a "
                       "pyenv shim, an environment or another venv), or a version request "
                       "(3.12, 3.12.1, cpython3.12, python3.12) chosen among the "
                       "interpreters found here.")
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
    @click.option("--clear", is_flag=True,
                  help="stdlib venv's --clear: replace what is at TARGET as --force does "
                       "(a directory that is not a venv is refused, never emptied).")
    @click.option("--upgrade", is_flag=True,
                  help="stdlib venv's --upgrade: rewrite an existing venv's pyvenv.cfg and "
                       "bin/python* for INTERPRETER (upgraded in place); scripts, packages "
                       "and everything else are kept.")
    @click.option("--allow-existing", is_flag=True,
                  help="Write the venv into an existing directory, keeping what it holds "
                       "(python -m venv's default; uv's --allow-existing).")
    @click.option("--without-scm-ignore-files", is_flag=True,
                  help="Write no .gitignore (3.13's venv option; the versions before write "
                       "none anyway).")
    @click.option("--no-cache", is_flag=True, help="Learn the interpreter afresh.")
    @click.option("-q", "--quiet", is_flag=True,
                  help="Do not say which interpreter a version request chose.")
    def venv_command(target: str, python: str, system_site_packages: bool, copies: bool,
                     prompt: str | None, stdlib_compatible: bool, force: bool, clear: bool,
                     upgrade: bool, allow_existing: bool, without_scm_ignore_files: bool,
                     no_cache: bool, quiet: bool) -> int:
        """Build a PEP 405 venv at TARGET for INTERPRETER without running its venv module:
        the layout, bin entries, pyvenv.cfg and activation scripts of that version's
        `python -m venv --without-pip` (no pip is installed), with home chosen so that the
        venv starts (see the README).  Written atomically; an existing TARGET is left alone
        unless --force."""
        options = Options(system_site_packages, copies, prompt, stdlib_compatible,
                          not without_scm_ignore_files)
        from prefixlab.impl.cli.main import global_options  # `prefixlab -q build venv`

        modes = Modes(force, clear, upgrade, allow_existing, not no_cache,
                      quiet or global_options().quiet)
        code = run(target, python, options, modes)
        if code:
            raise SystemExit(code)
        return code

    return venv_command
