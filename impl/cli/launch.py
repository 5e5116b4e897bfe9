"""The `prefixlab` program's entry point: `prefixlab build venv ...` is served without
importing click (a warm build must be faster than `python -m venv`); everything
else, and every spelling of build venv the fast parser does not take (help, usage errors),
goes to the click command line in prefixlab.impl.cli.main."""

from __future__ import annotations

import os
import sys


def main() -> None:
    _compiled_model()
    args = sys.argv[1:]
    quiet = args[:1] in (["-q"], ["--quiet"])  # `prefixlab -q build venv`: the group's -q
    if args[quiet:quiet + 2] == ["build", "venv"]:
        from prefixlab.impl.cli.build_venv import fast_main

        code = fast_main(args[quiet + 2:] + ["--quiet"] * quiet)
        if code is not None:
            sys.exit(code)
    from prefixlab.impl.cli.main import main as click_main

    click_main()


def _compiled_model() -> None:
    """PREFIXLAB_COMPILED=DIR: import the model from the mypyc build in DIR (``make compiled``
    writes one in build/mypyc), when it was made from the installed sources; otherwise one
    line on stderr says why, and the Python package runs.  CPython reads no PREFIXLAB_*
    variable, so the setting does not change what is predicted for the caller's environment
    (PYTHONPATH would)."""
    where = os.environ.get("PREFIXLAB_COMPILED")
    if not where:
        return
    from pathlib import Path  # only here: `build venv` starts without it

    from prefixlab.impl.host.compiled import why_not_usable

    root = Path(where).resolve()
    why = why_not_usable(root)
    if why:
        print(f"prefixlab: PREFIXLAB_COMPILED={where}: {why}; running the Python model",
              file=sys.stderr)
        return
    sys.path.insert(0, str(root))  # prefixlab is a namespace package: its model comes from here


if __name__ == "__main__":  # pragma: no cover
    main()
