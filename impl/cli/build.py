"""`prefixlab build`: the reference builder's commands (venv, env), one module each."""

from __future__ import annotations

import click


@click.group(name="build", context_settings={"help_option_names": ["-h", "--help"]})
def build_command() -> None:
    """Build environments that are correct by the model (planned, then written atomically)."""


from prefixlab.impl.cli.build_env import env_command  # noqa: E402

build_command.add_command(env_command)

from prefixlab.impl.cli.build_venv import command as venv_command  # noqa: E402

build_command.add_command(venv_command())

from prefixlab.impl.checks.spec import check_command  # noqa: E402

build_command.add_command(check_command)
