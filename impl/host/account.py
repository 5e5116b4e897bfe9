"""The account this process runs as, as site.py would see it in a child interpreter."""

from __future__ import annotations

import os
import pwd

from prefixlab.model.world.account import Account


def host_account() -> Account:
    """The real and effective ids of this process and the passwd home of its real uid (the
    children prefixlab runs inherit them)."""
    try:
        home: str | None = pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        home = None
    return Account(os.getuid(), os.geteuid(), os.getgid(), os.getegid(), home)
