"""The `prefixlab` program's entry point: `prefixlab build venv ...` is served without
importing click (a warm build must be faster than `python -m venv`); everything
else, and every spelling of build venv the fast parser does not take (help, usage errors),
goes to the click command line in prefixlab.impl.cli.main."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing stays off the command's start-up (model/speedups.py)
if TYPE_CHECKING:
    from typing import NoReturn


def command() -> None:
    """The `prefixlab` command (impl/cli/prefixlab): :func:`main`, except that a click-free
    command ends without the interpreter's teardown when that loses nothing (:func:`leave`)."""
    main(quick_exit=True)


def main(*, quick_exit: bool = False) -> None:
    """Run ``prefixlab`` with sys.argv; every exit is SystemExit unless ``quick_exit``."""
    args = sys.argv[1:]
    quiet = args[:1] in (["-q"], ["--quiet"])  # `prefixlab -q build venv`: the group's -q
    _compiled_model(few=not set(args[quiet:quiet + 1]) & MANY_PREDICTIONS)
    if args[quiet:quiet + 2] == ["build", "venv"]:
        from prefixlab.impl.cli.build_venv import fast_main

        code = fast_main(args[quiet + 2:] + ["--quiet"] * quiet)
        if code is not None:
            _finish(code, quick_exit)
    if args[quiet:quiet + 2] == ["build", "env"]:  # the same for build env
        from prefixlab.impl.cli.build_env import fast_main as env_fast_main

        code = env_fast_main(args[quiet + 2:] + ["--quiet"] * quiet)
        if code is not None:
            _finish(code, quick_exit)
    if args[:1] in (["predict"], ["explain"]):  # their plain spellings, click-free too
        from prefixlab.impl.cli.fast import fast_main as answer_main

        code = answer_main(args)
        if code is not None:
            _finish(code, quick_exit)
    from prefixlab.impl.cli.main import main as click_main

    click_main()


def _finish(code: int, quick: bool) -> NoReturn:
    if quick:
        leave(code)
    sys.exit(code)


def leave(code: int) -> NoReturn:
    """Exit with ``code`` once a click-free command is done.  When no other thread is
    running, the interpreter's teardown (freeing every module and object, about 2 ms of a
    20 ms warm build venv) is skipped: what is registered to run at exit runs here (a cold
    build's learner run not taken is killed), the output is flushed, and every file the
    command wrote is closed already.  Otherwise, or when a flush fails (a closed pipe), the
    ordinary exit, which reports it as Python does."""
    import atexit

    threading = sys.modules.get("threading")
    run_at_exit = getattr(atexit, "_run_exitfuncs", None)  # CPython's; 3.8-3.13
    if run_at_exit is None or (threading is not None and threading.active_count() > 1):
        sys.exit(code)
    run_at_exit()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001  # the ordinary exit reports it
        sys.exit(code)
    os._exit(code)


MANY_PREDICTIONS = frozenset({"conform"})
"""The commands that make predictions by the hundred (a campaign's cases, in its workers):
they take the checkout's compiled build by default.  Every other command makes one to a few
dozen, and loading the build (a 3.7 MB shared library, and dataclasses with inspect for its
native classes, which the Python package makes without: model/speedups.py) costs it more
than the faster predictions save: 9-13 ms of a 32 ms warm predict, explain, diff or which,
about 3 ms of a 14 ms warm build venv (bench/README.md).  They take a build only when
PREFIXLAB_COMPILED names it."""


def _compiled_model(*, few: bool = False) -> None:
    """Run the model from its mypyc build when there is a current one: the checkout's
    build/mypyc (``make compiled``, ``make test``), or PREFIXLAB_COMPILED=DIR; the Python
    package otherwise, and with PREFIXLAB_COMPILED=0.  A command that makes ``few``
    predictions (all but :data:`MANY_PREDICTIONS`) takes the checkout's build only when
    PREFIXLAB_COMPILED names it.  A build made from other sources than the installed ones
    (stale) is not used: one line on stderr says so and how to rebuild.  The check is a
    stat() of each source file (prefixlab.impl.host.compiled).  CPython reads no
    PREFIXLAB_* variable, so the setting does not change what is predicted for the caller's
    environment (PYTHONPATH would)."""
    where = os.environ.get("PREFIXLAB_COMPILED", "")
    if where == "0" or (few and not where):
        return
    from prefixlab.impl.host import compiled

    root = os.path.abspath(where) if where else compiled.default_root()
    why = compiled.why_not_usable(root)
    if why.startswith("no compiled build") and not where:
        return  # nothing built: the Python package, silently
    if why:
        named = f"PREFIXLAB_COMPILED={where}" if where else f"compiled model in {root}"
        print(f"prefixlab: {named}: {why}; running the Python model", file=sys.stderr)
        return
    sys.path.insert(0, root)  # prefixlab is a namespace package: its model comes from here


if __name__ == "__main__":  # pragma: no cover
    main()
