"""The `prefixlab` program's entry point: `prefixlab build venv ...` is served without
importing click (a warm build must be faster than `python -m venv`, issue 5); everything
else, and every spelling of build venv the fast parser does not take (help, usage errors),
goes to the click command line in prefixlab.impl.cli."""

from __future__ import annotations

import sys


def main() -> None:
    args = sys.argv[1:]
    if args[:2] == ["build", "venv"]:
        from prefixlab.impl.build_venv import fast_main

        code = fast_main(args[2:])
        if code is not None:
            sys.exit(code)
    from prefixlab.impl.cli import main as click_main

    click_main()


if __name__ == "__main__":  # pragma: no cover
    main()
