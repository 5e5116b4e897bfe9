"""Placements staged on disk without a real builder, for the tests of stage and of the
reproducer: drawn cases over the interpreters here, and what a directory holds."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from conftest import in_scope_interpreters, require_oracle
from prefixlab.impl.conform.bases import base_of
from prefixlab.model.conform.case import Builder, Case
from prefixlab.model.conform.placement import Placement, Wrap
from prefixlab.model.strategies.placements import placements

BASES = [base_of(i) for i in in_scope_interpreters()]
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

Tree = dict[str, tuple[object, ...]]
"""Relative path -> ('dir',) | ('link', text) | ('file', executable, bytes)."""


def no_compiler_ops(p: Placement) -> bool:
    return not any(isinstance(op, Wrap) and op.kind == "make-binary-wrapper" for op in p.ops)


@st.composite
def staged_cases(draw: st.DrawFn, allowed: Sequence[str], builder: Builder) -> Case:
    """A case over an interpreter here, of the ``allowed`` placements, with no binary
    wrapper (that would need a C compiler)."""
    require_oracle(bool(BASES), "no in-scope interpreter found here")
    base = draw(st.sampled_from(BASES))
    placement = draw(placements(base, allowed=allowed).filter(no_compiler_ops))
    return Case(builder, base, placement, draw(st.booleans()))


def disk_tree(root: str, *, contents: bool = True, mark_root: bool = False) -> Tree:
    """What os.walk finds below ``root``, links not followed; with ``mark_root``, ROOT is
    written as {root} in link texts and contents."""
    tree: Tree = {}
    for where, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(where, name)
            rel = os.path.relpath(path, root)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                text = os.readlink(path)
                tree[rel] = ("link", text.replace(root, "{root}") if mark_root else text)
            elif stat.S_ISDIR(mode):
                tree[rel] = ("dir",)
            else:
                assert stat.S_ISREG(mode), path
                with open(path, "rb") as handle:
                    data = handle.read() if contents else b""
                if mark_root:
                    data = data.replace(os.fsencode(root), b"{root}")
                tree[rel] = ("file", bool(mode & stat.S_IXUSR), data)
    return tree
