"""The world a prediction reads: the filesystem value, the kernel's path resolution, the
account, the invocation, and the interpreter build with its per-version behaviour table.
"""

from __future__ import annotations

from collections.abc import Mapping

from prefixlab.model.speedups import dataclass, field
from prefixlab.model.world.account import Account
from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.fs import FsView


@dataclass(frozen=True)
class World:
    """The facts a prediction reads: the filesystem, and which files are which interpreters."""

    fs: FsView
    builds: Mapping[str, BuildConstants]
    """Physical path of an interpreter binary -> its build constants."""
    account: Account = Account()
    """The user the process runs as (site.py's user site reads it)."""
    unlearned: Mapping[str, str] = field(default_factory=dict)
    """Physical path of a binary whose build could not be learned -> why (one line), told
    when the prediction stops at it."""
