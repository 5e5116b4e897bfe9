"""The click commands' bad-input error: one line naming the command, exit 2.

Its own module so that commands loaded without impl/cli/main.py (build env, unwrap) raise the same
error without importing the whole CLI.
"""

from __future__ import annotations

import click

from prefixlab.impl.cli.errors import EXIT_BAD_INPUT
from prefixlab.model import errors


class BadInput(errors.BadInput, click.ClickException):
    """Input prefixlab cannot act on: one line, exit 2.  A ClickException too, so that a
    command run on its own (click's standalone mode, CliRunner) still exits 2."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # Name the command in the error line, as click's own usage errors do.
        self.ctx = click.get_current_context(silent=True)
