"""The commands' shared error: input prefixlab cannot act on, one line, exit 2.

Its own module so that commands loaded without impl/cli/main.py (build env, unwrap) raise the same
error without importing the whole CLI.
"""

from __future__ import annotations

import click

EXIT_OK, EXIT_DIFFERENT, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class BadInput(click.ClickException):
    """Input prefixlab cannot act on: one line, exit 2."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # Name the command in the error line, as click's own usage errors do.
        self.ctx = click.get_current_context(silent=True)
