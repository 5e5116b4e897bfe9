"""An environment case of a ``--cmd`` builder as a shell script that runs with /bin/sh and
coreutils alone (and a C compiler when a package has a makeBinaryWrapper): it writes the
case's package trees under a new temporary directory ROOT, runs the builder's command,
then runs the environment's interpreter entries with a probe (the prefixes, sys.executable
and each package module's import) and the packages' scripts, beside what the environment
spec expects (prefixlab.model.builders.envspec).  A maintainer can paste it into a bug
report; the case file (``prefixlab conform --replay``) stays the full check.

The package trees are those spec.check writes (prefixlab.impl.checks.spec.write_packages):
the same bound layout, shell wrappers from the same generator with bash found on PATH,
makeBinaryWrapper C text compiled with cc.  Every word that holds ROOT is written as
``"$ROOT"`` and the single-quoted rest (impl/conform/reproducer.py's convention); a file
that is not text (a NUL byte, or not UTF-8) is written from base64.
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Sequence

from prefixlab.impl.builders import wrapgen
from prefixlab.impl.conform import builders
from prefixlab.impl.conform.reproducer import _C_ESCAPE, _SED_ESCAPE, MARK, word
from prefixlab.impl.conform.stage import DROPPED
from prefixlab.model.strategies.packages import BoundWrapper
from prefixlab.model.world.fs import Dir, File, Symlink

TYPE_CHECKING = False
if TYPE_CHECKING:
    from prefixlab.impl.conform.envcase import EnvCase

ROOT = "{root}"
"""The case directory in paths and texts, written "$ROOT" in the script."""
_BOUND = "/prefixlab-case-root"
"""Where the set is bound (a layout's paths are absolute), then written as ROOT."""


def _rooted(text: str) -> str:
    return text.replace(_BOUND, ROOT)


def script(case: EnvCase, failing: Sequence[tuple[str, str, str]]) -> str:
    """The reproducer of ``case``; ``failing``: (property, its statement, the reason it
    failed when the case was found), paths under the case directory written ``{root}``."""
    bound = case.packages.bind(f"{_BOUND}/pkgs", case.base.executable)
    version = ".".join(map(str, case.base.version))
    names = ", ".join(p for p, _, _ in failing) or "no failure"
    header = [f"prefixlab conform case {case.id}: {names}",
              f"builder {case.builder.command}, CPython {version} ({case.base.executable})"]
    lines = ["#!/bin/sh", *("# " + text.replace("\n", "\\n") for text in header),
             "set -u",
             "ROOT=$(mktemp -d) || exit 2",
             'echo "case directory: $ROOT"',
             "unset " + " ".join(DROPPED),
             'mkdir -p "$ROOT/home" "$ROOT/pkgs"',
             "# the packages"]
    for path, node in bound.layout.items():
        if path.startswith(_BOUND + "/pkgs/"):
            lines += _node(_rooted(path), node)
    for wrapper in bound.wrappers:
        lines += _wrapper(wrapper)
    lines.append("# the builder")
    command = builders.expand(case.builder, python=case.base.executable,
                              target=f"{ROOT}/env",
                              packages=tuple(_rooted(r) for r in bound.roots), quote=word)
    # a subshell, as impl/conform/reproducer.py runs it (the ')' on a line of its own: the
    # template may end in a comment)
    lines.append(f"(set +u; {command}\n)")
    lines.append('echo "builder status: $?"')
    for prop, statement, reason in failing:
        lines.append(f"printf '%s\\n' {word(f'expected ({prop}): {statement}')}")
        lines.append(f"printf '%s\\n' {word(f'observed when the case was found: {reason}')}")
    run = 'env -i PATH="$ROOT/env/bin:/usr/bin:/bin" HOME="$ROOT/home"'
    lines.append("# the interpreter entries, by path")
    lines.append(f'for entry in "$ROOT"/env/bin/python*; do [ -x "$entry" ] || continue; '
                 f'echo "== $entry"; {run} "$entry" -B -c {shlex.quote(_probe(bound.modules))}; '
                 'echo "status: $?"; done')
    if bound.scripts:
        lines.append("# the packages' scripts, from the environment (each prints its marks "
                     "and ends with status 0 when it ran every line)")
    for expectation in bound.scripts:
        entry = word(f"{ROOT}/env/bin/{expectation.name}")
        lines.append(f'echo "== "{entry}; {run} {entry}; echo "status: $?"')
    return "\n".join(lines) + "\n"


def _probe(modules: Sequence[str]) -> str:
    return ("import importlib, sys\n"
            "for name in ('prefix', 'base_prefix', 'exec_prefix', 'executable'):\n"
            "    print('sys.' + name, '=', getattr(sys, name))\n"
            f"for name in {list(modules)!r}:\n"
            "    try:\n"
            "        print('import', name, '->', getattr(importlib.import_module(name), "
            "'__file__', None))\n"
            "    except Exception as error:\n"
            "        print('import', name, 'FAILED:', type(error).__name__, error)\n")


def _node(path: str, node: File | Dir | Symlink) -> list[str]:
    at = word(path)
    if isinstance(node, Dir):
        return [f"mkdir -p {at}"] + ([f"chmod {node.mode:o} {at}"] if node.mode != 0o755
                                     else [])
    if isinstance(node, Symlink):
        return [f"ln -s {word(_rooted(node.target))} {at}"]
    lines = [_write(node.data.replace(_BOUND.encode(), ROOT.encode()), at)]
    return lines + ([f"chmod {node.mode:o} {at}"] if node.mode != 0o644 else [])


def _write(data: bytes, at: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\0" not in text:
        return f"printf '%s' {word(text)} > {at}"
    encoded = base64.b64encode(data.replace(ROOT.encode(), MARK.encode())).decode("ascii")
    fill = f' | sed "s|{MARK}|$root_sed|g"' if ROOT.encode() in data else ""
    return (f"root_sed=$(printf '%s' \"$ROOT\" | sed -e {shlex.quote(_SED_ESCAPE)}); "
            f"printf '%s' {encoded} | base64 -d{fill} > {at}")


def _wrapper(wrapper: BoundWrapper) -> list[str]:
    at = word(_rooted(wrapper.path))
    if not wrapper.binary:
        # bash on PATH stands for nixpkgs' @shell@, as spec.write_packages writes it
        text = _rooted(wrapgen.shell_wrapper(wrapper.original, wrapper.flags))
        shell = f"1s|{wrapgen.DEFAULT_SHELL}|$(command -v bash || echo /bin/bash)|"
        return [f"printf '%s' {word(text)} | sed \"{shell}\" > {at}", f"chmod +x {at}"]
    source = wrapgen.c_wrapper(wrapper.original.replace(_BOUND, MARK),
                               [flag.replace(_BOUND, MARK) for flag in wrapper.flags])
    # ROOT goes into C string literals through sed's replacement: escaped for C, then sed
    return [f"root_c=$(printf '%s' \"$ROOT\" | sed -e {shlex.quote(_C_ESCAPE)} "
            f"-e {shlex.quote(_SED_ESCAPE)})",
            f"printf '%s' {shlex.quote(source)} | sed \"s|{MARK}|$root_c|g\" "
            f"| cc -x c -o {at} -   # makeBinaryWrapper's C, needs a C compiler"]

