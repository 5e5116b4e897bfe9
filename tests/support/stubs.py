"""Test support: a stub program that reports what it was started with, and running it.

The stub is compiled with the machine's C compiler (an oracle: tests skip without one, fail
under PREFIXLAB_REQUIRE_ORACLES=1).  It prints its argv, environment and working directory,
each string hex-encoded so that newlines and non-UTF-8 bytes survive.
"""

from __future__ import annotations

import errno
import os
import subprocess
from dataclasses import dataclass

from prefixlab.impl.builders import cwrapper

STUB_C = r"""
#include <stdio.h>
#include <unistd.h>
extern char **environ;
static void put(char kind, const char *s) {
    putchar(kind);
    for (; *s; s++) printf("%02x", (unsigned char)*s);
    putchar('\n');
}
int main(int argc, char **argv) {
    char cwd[4096];
    for (int i = 0; i < argc; i++) put('A', argv[i]);
    for (char **e = environ; *e; e++) put('E', *e);
    put('C', getcwd(cwd, sizeof cwd) ? cwd : "?");
    return 0;
}
"""


@dataclass(frozen=True)
class Seen:
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: str
    stderr: tuple[str, ...] = ()
    """What the chain before the stub wrote to stderr, by line."""


def build_stub(path: str) -> None:
    cwrapper.compile_wrapper(STUB_C, path)


def _text(hexed: str) -> str:
    return bytes.fromhex(hexed).decode("utf-8", "surrogateescape")


def run(program: str, argv: list[str], env: dict[str, str], cwd: str) -> Seen | str:
    """Run ``program`` (execve, no PATH search): the stub's report, or on failure stderr (or
    ``errno:NAME`` when the execve itself failed)."""
    try:
        done = subprocess.run([os.fsencode(a) for a in argv], executable=os.fsencode(program),
                              env={os.fsencode(k): os.fsencode(v) for k, v in env.items()},
                              cwd=cwd, capture_output=True, timeout=30)
    except OSError as error:
        return "errno:" + errno.errorcode.get(error.errno or 0, "?")
    if done.returncode != 0 or not done.stdout:
        return done.stderr.decode("utf-8", "replace") or f"exit {done.returncode}"
    lines = done.stdout.decode("ascii").splitlines()
    argv_seen = tuple(_text(line[1:]) for line in lines if line[0] == "A")
    env_seen = dict(_text(line[1:]).partition("=")[::2] for line in lines if line[0] == "E")
    cwd_seen = next(_text(line[1:]) for line in lines if line[0] == "C")
    errors = done.stderr.decode("utf-8", "surrogateescape").split("\n")
    return Seen(argv_seen, env_seen, cwd_seen, tuple(errors[:-1] if errors[-1] == "" else
                                                     errors))
