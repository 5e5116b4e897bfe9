"""``prefixlab build venv TARGET --python INTERPRETER``: its command line.

The plain spellings are parsed here without click (impl/cli/launch.py sends
``prefixlab build venv ...`` here first), so that a warm build starts without importing it:
a build venv must be faster than ``python -m venv``.  Everything else (help, ``--``, short
options, a usage error) goes to the click command, which runs the same :func:`run`.  Errors
end as every command's do (impl/cli/errors.py).  The builder is impl/builders/venv.py.
"""

from __future__ import annotations

import sys

from prefixlab.impl.builders.venv import Options, build_venv

TYPE_CHECKING = False  # typing stays off a warm build's start-up (model/speedups.py)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType
    from typing import Any

    import click

    from prefixlab.impl.builders.venv import Built
    from prefixlab.model.builders.venv import Source
    from prefixlab.model.trace import Step

WHERE = "prefixlab build venv"
"""The command, as its error lines name it."""
USAGE = ("prefixlab build venv TARGET --python INTERPRETER [--system-site-packages] [--copies] "
         "[--prompt P] [--stdlib-compatible] [--force] [--clear] [--upgrade] "
         "[--allow-existing] [--without-scm-ignore-files] [--no-cache] [--quiet] [--json]")
_FLAGS = {"--system-site-packages", "--copies", "--stdlib-compatible", "--force", "--no-cache",
          "--clear", "--upgrade", "--allow-existing", "--without-scm-ignore-files", "--quiet",
          "--json"}
JSON_SCHEMA = 1
"""The format version of ``--json``'s object (README, "Virtual environments")."""


EXIT_OK = 0
"""impl/cli/errors.py's EXIT_OK (held to it by tests/impl/cli/test_build_venv_start.py)."""


def _errors() -> ModuleType:
    """impl/cli/errors.py, loaded when an error or a warning is said (with it the escaping
    and its regular expressions, which a warm build that succeeds does without)."""
    from prefixlab.impl.cli import errors

    return errors


def show(text: str) -> str:
    """impl/render/escape.py's show: text of printable ASCII without a backslash is shown as
    it is, and given back without loading it."""
    if text.isascii() and text.isprintable() and "\\" not in text:
        return text
    from prefixlab.impl.render.escape import show as escaped

    return escaped(text)


class Modes:
    """How TARGET is written (--force, --clear, --upgrade, --allow-existing), whether the
    interpreter is learned afresh (--no-cache), whether the summary (and the choice of a
    version request) is said (--quiet), and whether one JSON object is printed instead
    (--json)."""

    __slots__ = ("force", "clear", "upgrade", "allow_existing", "use_cache", "quiet", "as_json")

    def __init__(self, force: bool = False, clear: bool = False, upgrade: bool = False,
                 allow_existing: bool = False, use_cache: bool = True,
                 quiet: bool = False, as_json: bool = False) -> None:
        self.force, self.clear, self.upgrade = force, clear, upgrade
        self.allow_existing, self.use_cache, self.quiet = allow_existing, use_cache, quiet
        self.as_json = as_json


class _Report:
    """What one run says besides errors: the announcement of a version request's choice,
    warnings, and, once the venv is in place, the summary (text on stderr) or the JSON
    object (stdout).  Under --json warnings go into the object: stderr holds errors only."""

    __slots__ = ("modes", "announced", "warnings", "built")

    def __init__(self, modes: Modes) -> None:
        self.modes = modes
        self.announced = False
        self.warnings: list[str] = []
        self.built: Built | None = None

    def announce(self, line: str | None) -> None:
        if line is None:
            return
        self.announced = True
        if not (self.modes.quiet or self.modes.as_json):
            sys.stderr.write(f"{show(line)}\n")

    def warn(self, message: str) -> None:
        if self.modes.as_json:
            self.warnings.append(message)
        else:
            sys.stderr.write(f"{WHERE}: warning: {_errors().one_line(message)}\n")

    def hear(self, built: Built) -> None:
        self.built = built


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
    """Build, report problems as one line on stderr, then the summary (stderr; none with
    --quiet) or the JSON object (stdout, --json); the exit status.  Without ``modes``,
    ``force`` and ``use_cache`` say how (the other modes off)."""
    if modes is None:
        modes = Modes(force=force, use_cache=use_cache)
    report = _Report(modes)
    try:
        planned = _build(target, python, options, modes, report)
    except Exception as error:
        errors = _errors()
        if errors.propagates(error):
            raise
        code: int = errors.report(error, WHERE)
        return code
    if not planned.home.verified:
        if modes.as_json:
            report.warnings.append(f"no base executable of {python} was shown to give a "
                                   f"working venv; home = {planned.home.directory} as stdlib "
                                   "venv would choose")
        else:
            sys.stderr.write(f"{WHERE}: warning: no base executable of {show(python)} was "
                             "shown to give a working venv; home = "
                             f"{show(planned.home.directory)} as stdlib venv would choose\n")
    built = report.built
    if built is None:  # build_venv replaced (tests): nothing to summarise
        return EXIT_OK
    if modes.as_json:
        import json

        sys.stdout.write(json.dumps(summary_json(built, python, options, modes,
                                                 report.warnings),
                                    indent=2, ensure_ascii=True) + "\n")
        sys.stdout.flush()
    elif not modes.quiet:
        sys.stderr.write("".join(f"{line}\n" for line in
                                 summary_lines(built, announced=report.announced)))
    return EXIT_OK


# -- the summary -------------------------------------------------------------------------------
def _version_text(source: Source) -> str:
    return "%d.%d.%d" % source.version[:3] + ("t" if source.abi_thread == "t" else "")


def _stdlib_home(built: Built) -> str:
    """The home stdlib's `python -m venv` of the same interpreter writes (its choice,
    model/builders/venv.py stdlib_home: dirname of sys._base_executable, not resolved)."""
    from prefixlab.model.builders.venv import stdlib_home  # loaded already (the planner)

    return stdlib_home(built.learned.source).directory


_DIFFERING = ("venv.home-in-venv", "venv.home-through-venv", "venv.home-rejected")
"""The rules by which the planner passes over a candidate base executable."""


def why_not_stdlib(built: Built) -> Step | None:
    """The step by which the planner passed over stdlib's choice (its first candidate,
    sys._base_executable): in a venv, through a venv, or rejected by the model's prediction
    of the built venv; None when there is none."""
    wanted = built.learned.source.base_executable
    passed = [s for s in built.plan.home.steps if s.rule.id in _DIFFERING]
    for step in passed:
        if step.values.get("candidate") == wanted:
            return step
    return passed[0] if passed else None


def summary_lines(built: Built, *, announced: bool = False) -> list[str]:
    """The text summary of a finished build (uv's: the interpreter, the target, how to
    activate), with the home written and, when stdlib's `python -m venv` would write
    another, the rule that decided.  ``announced``: the interpreter's line was said
    already (a version request's choice)."""
    from prefixlab.model.builders.venv import shell_quote  # loaded already (the planner)

    source, home = built.learned.source, built.plan.home
    lines = [] if announced else \
        [f"Using CPython {_version_text(source)} at {show(source.executable)}"]
    lines.append(f"Creating virtual environment at: {show(built.target)}")
    lines.append(f"home = {show(home.directory)}")
    stdlib = _stdlib_home(built)
    if stdlib != home.directory:
        step = why_not_stdlib(built)
        if step is None:
            why = "the planner chose another base executable"
        else:
            said = step.values["why"] if step.rule.id == "venv.home-rejected" else step.detail
            why = f"{step.rule.id}: {said} ({step.rule.source})"
        lines.append(f"  python -m venv would write home = {show(stdlib)}; not used by "
                     f"{_errors().one_line(why)}")
    lines.append(f"Activate with: source {show(shell_quote(built.target + '/bin/activate'))}")
    return lines


def summary_json(built: Built, python: str, options: Options, modes: Modes,
                 warnings: Sequence[str] = ()) -> dict[str, Any]:
    """`build venv --json`'s object (schema 1; README, "Virtual environments")."""
    from prefixlab.model.trace import values_json

    source, home = built.learned.source, built.plan.home
    stdlib = _stdlib_home(built)
    return {
        "schema": JSON_SCHEMA,
        "interpreter": {"path": source.executable, "version": _version_text(source),
                        "requested": python},
        "target": built.target,
        "home": home.directory,
        "base_executable": home.executable,
        "stdlib_home": stdlib,
        "home_differs": stdlib != home.directory,
        "home_verified": home.verified,
        "steps": [{"rule": s.rule.id, "detail": s.detail, "values": values_json(s.values)}
                  for s in built.plan.steps],
        "plan": [_entry_json(op) for op in built.written],
        "options": {"system_site_packages": options.system_site_packages,
                    "copies": options.copies, "prompt": options.prompt,
                    "stdlib_compatible": options.stdlib_compatible,
                    "scm_ignore_files": options.scm_ignore_files,
                    "force": modes.force, "clear": modes.clear, "upgrade": modes.upgrade,
                    "allow_existing": modes.allow_existing, "use_cache": modes.use_cache},
        "warnings": list(warnings),
    }


def _entry_json(op: Any) -> dict[str, Any]:
    """A planned operation as --json shows it: its path below TARGET, its kind (dir, file,
    link, copy), a link's target verbatim, the mode of a directory or file (octal text); a
    copy's source, whose mode the copy keeps."""
    if op.kind == "link":
        return {"path": op.path, "kind": "link", "target": op.target}
    if op.kind == "copy":
        import os

        try:
            mode: str | None = "%04o" % (os.stat(op.source).st_mode & 0o7777)
        except OSError:
            mode = None
        return {"path": op.path, "kind": "copy", "source": op.source, "mode": mode}
    kind = {"mkdir": "dir", "write": "file"}.get(op.kind, op.kind)
    return {"path": op.path, "kind": kind, "mode": "%04o" % op.mode}


def _build(target: str, python: str, options: Options, modes: Modes, report: _Report) -> Any:
    """Resolve --python (impl/host/requests.py: a path as it is; a name on PATH; else a
    version request chosen among the interpreters found here), then build."""
    def build(interpreter: str) -> Any:
        return build_venv(interpreter, target, options, force=modes.force,
                          use_cache=modes.use_cache, warn=report.warn, clear=modes.clear,
                          upgrade=modes.upgrade, allow_existing=modes.allow_existing,
                          on_built=report.hear)

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
    report.announce(choice.announcement())
    return build(choice.python)


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
                  use_cache="--no-cache" not in flags, quiet="--quiet" in flags,
                  as_json="--json" in flags)
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
                  help="Print no summary (the interpreter used, TARGET, home, how to "
                       "activate); errors are still printed.")
    @click.option("--json", "as_json", is_flag=True,
                  help="Print one JSON object on stdout (the interpreter, TARGET, home and "
                       "stdlib's, the decision steps, the plan, the options); stderr holds "
                       "errors only.")
    def venv_command(target: str, python: str, system_site_packages: bool, copies: bool,
                     prompt: str | None, stdlib_compatible: bool, force: bool, clear: bool,
                     upgrade: bool, allow_existing: bool, without_scm_ignore_files: bool,
                     no_cache: bool, quiet: bool, as_json: bool) -> int:
        """Build a PEP 405 venv at TARGET for INTERPRETER without running its venv module:
        the layout, bin entries, pyvenv.cfg and activation scripts of that version's
        `python -m venv --without-pip` (no pip is installed), with home chosen so that the
        venv starts (see the README).  Written atomically; an existing TARGET is left alone
        unless --force."""
        options = Options(system_site_packages, copies, prompt, stdlib_compatible,
                          not without_scm_ignore_files)
        from prefixlab.impl.cli.main import global_options  # `prefixlab -q build venv`

        modes = Modes(force, clear, upgrade, allow_existing, not no_cache,
                      quiet or global_options().quiet, as_json)
        code = run(target, python, options, modes)
        if code:
            raise SystemExit(code)
        return code

    return venv_command
