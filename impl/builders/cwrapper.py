"""Compile makeBinaryWrapper C sources with the machine's C compiler, as nixpkgs does."""

from __future__ import annotations

import shutil
import subprocess

from prefixlab.model.errors import PrefixlabError

# make-binary-wrapper.sh makeBinaryWrapper: @cc@ -Wall -Werror -Wpedantic
# -Wno-overlength-strings -Os -x c -o WRAPPER -
FLAGS = ("-Wall", "-Werror", "-Wpedantic", "-Wno-overlength-strings", "-Os", "-x", "c")


class CompileError(PrefixlabError):
    """The compiler rejected the source (first line of its message)."""


def compiler() -> str | None:
    """The C compiler here (cc, else gcc), or None."""
    return shutil.which("cc") or shutil.which("gcc")


def compile_wrapper(source: str, output: str, *, cc: str | None = None) -> None:
    """Compile ``source`` to the executable ``output``."""
    cc = cc or compiler()
    if cc is None:
        raise CompileError("no C compiler (cc or gcc) on PATH")
    done = subprocess.run([cc, *FLAGS, "-o", output, "-"], input=source.encode("utf-8",
                          "surrogateescape"), capture_output=True, timeout=120)
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CompileError(lines[0] if lines else f"{cc} exited with {done.returncode}")
