"""A case as a shell script that runs with /bin/sh alone: it makes the placement under a new
temporary directory ROOT (mkdir, ln, printf), runs the builder's command, runs the venv's
interpreter and prints what it reports beside what was expected.

Every word that holds the case's directory is written as ``"$ROOT"`` followed by the
single-quoted rest, so names with spaces, quotes or non-ASCII letters survive; a makeWrapper
script's text too.  A makeBinaryWrapper's C text is written with ``@ROOT@`` where ROOT goes
and filled in by sed.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

from prefixlab.impl.builders import wrapgen
from prefixlab.impl.conform import builders
from prefixlab.impl.conform.stage import DROPPED
from prefixlab.model.conform.case import Case
from prefixlab.model.conform.placement import (
    BuildEnv, BuildVenv, CopyFile, Link, LinkEntries, MakeDir, Op, Wrap, WriteText)

PROBE = ("import sys; print('sys.prefix =', sys.prefix); "
         "print('sys.base_prefix =', sys.base_prefix); "
         "print('sys.exec_prefix =', sys.exec_prefix); "
         "print('sys.base_exec_prefix =', sys.base_exec_prefix); "
         "print('version =', sys.version.split()[0])")
ACTIVATE = ('. "$1/bin/activate" || exit 3; '
            'printf "VIRTUAL_ENV = %s\\n" "${VIRTUAL_ENV-unset}"; '
            'printf "PATH = %s\\n" "$PATH"; '
            'printf "command -v python = %s\\n" "$(command -v python)"; '
            'deactivate; '
            'printf "after deactivate: VIRTUAL_ENV = %s, PATH = %s\\n" '
            '"${VIRTUAL_ENV-unset}" "$PATH"')
"""venv.activate's observation (impl/checks/venvcheck.py activate), printed: bin/activate
sourced in bash, then deactivate."""
MARK = "@ROOT@"
_C_ESCAPE = r's/[\\"]/\\&/g'
_SED_ESCAPE = r's/[\\&|]/\\&/g'


def word(text: str) -> str:
    """``text`` as one shell word, ``{root}`` becoming "$ROOT"."""
    parts = text.split("{root}")
    out = []
    for n, part in enumerate(parts):
        if n:
            out.append('"$ROOT"')
        if part:
            out.append(shlex.quote(part))
    return "".join(out) or "''"


def under(path: str) -> str:
    """A placement path (relative to ROOT) as a shell word."""
    return word("{root}/" + path)


def _op(op: Op, case: Case) -> list[str]:
    at = under(op.path)
    if isinstance(op, MakeDir):
        return [f"mkdir -p {at}"]
    if isinstance(op, Link):
        return [f"ln -s {word(op.text)} {at}"]
    if isinstance(op, WriteText):
        lines = [f"printf '%s' {shlex.quote(op.text)} > {at}"]
        return lines + ([f"chmod +x {at}"] if op.executable else [])
    if isinstance(op, CopyFile):
        return [f"cp {shlex.quote(op.source)} {at}"]
    if isinstance(op, LinkEntries):
        source = shlex.quote(op.source)
        # every entry, as stage links them: the three globs are sh's way to name dotfiles
        # too; an unmatched glob stays as written, and is no entry
        return [f"mkdir -p {at}",
                f"for e in {source}/* {source}/.[!.]* {source}/..?*; do "
                f"if [ -e \"$e\" ] || [ -h \"$e\" ]; then ln -s \"$e\" {at}/; fi; done"]
    if isinstance(op, Wrap):
        target = op.target.replace("{root}", MARK)
        if op.kind == "make-wrapper":
            # ROOT spliced in as "$ROOT" (sed would read & | \ in it); bash on PATH stands for
            # nixpkgs' @shell@, as stage writes it
            text = wrapgen.shell_wrapper(op.target, ())
            shell = f"1s|{wrapgen.DEFAULT_SHELL}|$(command -v bash || echo /bin/bash)|"
            return [f"printf '%s' {word(text)} | sed \"{shell}\" > {at}", f"chmod +x {at}"]
        source = wrapgen.c_wrapper(target, ())
        # ROOT goes into a C string literal through sed's replacement: escaped for C first
        # (\\ and \"), then for sed (\\, & and the | delimiter)
        return [f"root_c=$(printf '%s' \"$ROOT\" | sed -e {shlex.quote(_C_ESCAPE)} "
                f"-e {shlex.quote(_SED_ESCAPE)})",
                f"printf '%s' {shlex.quote(source)} | sed \"s|{MARK}|$root_c|g\" "
                f"| cc -x c -o {at} -   # makeBinaryWrapper's C, needs a C compiler"]
    if isinstance(op, BuildVenv):
        return [_command(case, op.python, "{root}/" + op.path, False) + "   # an outer venv"]
    if isinstance(op, BuildEnv):
        return [f"prefixlab build env --flavor {shlex.quote(op.flavour)} --python "
                f"{word(op.python)} {at}   # a composed environment (prefixlab's build env)"]
    raise TypeError(op)


def _command(case: Case, python: str, target: str, system_site: bool) -> str:
    return builders.expand(case.builder, python=python, target=target,
                           system_site=system_site, quote=word)


def script(case: Case, *, failing: Sequence[str] = (), expected: Mapping[str, str] = {},
           observed: Mapping[str, str] = {}, remove_outer: bool = False) -> str:
    """The reproducer of ``case``: the failing promises, expected and observed values in
    comments and echo lines."""
    p = case.placement
    version = ".".join(map(str, case.base.version))
    header = [f"prefixlab conform case {case.id}: {', '.join(failing) or 'no failure'}",
              f"builder {case.builder.name}, CPython {version} ({case.base.executable}), "
              f"placement {p.label}"]
    # a comment ends at a newline: one in a name (a case file may hold any) is shown as \n
    lines = ["#!/bin/sh", *("# " + text.replace("\n", "\\n") for text in header),
             "set -u",
             'ROOT=$(mktemp -d) || exit 2',
             'echo "case directory: $ROOT"',
             "unset " + " ".join(DROPPED)]
    # PATH and the variables first: stage runs every builder with them, outer venvs' too
    if p.path:
        front = ":".join(word(d if d.startswith(("/", "{root}")) else "{root}/" + d)
                         for d in p.path)
        lines.append(f"PATH={front}:\"$PATH\"; export PATH")
    for name, value in p.env:
        lines.append(f"{name}={word(value)}; export {name}")
    for op in p.ops:
        lines += _op(op, case)
    target = "{root}/" + p.target
    # in a subshell, as conform runs it: a template's exec, cd or unset variable (set -u)
    # does not end or move the rest of the script (the ')' on a line of its own: the
    # template may end in a comment)
    lines.append(f"(set +u; {_command(case, p.python, target, case.system_site)}\n)")
    if remove_outer:
        lines += [f"rm -rf {under(outer)}   # the outer venv or environment goes"
                  for outer in p.outer]
    python = word(target + "/bin/python")
    for key, value in expected.items():
        # printf, not echo: dash's echo reads backslash escapes in the value
        lines.append(f"printf '%s\\n' {word(f'expected: {key} = {value}')}")
    lines.append(f"env -i PATH=/usr/bin:/bin HOME=\"$ROOT/home\" {python} -c "
                 f"{shlex.quote(PROBE)}")
    lines.append('echo "status: $?"')
    if "venv.activate" in failing:
        lines.append(f"env -i PATH=/usr/bin:/bin HOME=\"$ROOT/home\" bash --noprofile "
                     f"--norc -c {shlex.quote(ACTIVATE)} bash {word(target)}")
        lines.append('echo "activate status: $?"')
    for key, value in observed.items():
        lines.append(f"printf '%s\\n' "
                     f"{word(f'observed when the case was found: {key} = {value}')}")
    return "\n".join(lines) + "\n"
