"""The accelerated build of the model: the same source, compiled with mypyc.

    .venv/bin/python bench/compiled.py            # build (or say it is current)
    .venv/bin/python bench/compiled.py --if-possible   # the same; no C compiler: exit 0
    .venv/bin/python bench/compiled.py --check    # exit 1 unless a current build exists
    .venv/bin/python bench/compiled.py --python /path/to/python3.12   # for another ABI

The build lives apart, in ``build/mypyc/`` (a ``prefixlab/model`` package: every source file
copied, the hot modules next to their compiled extension, which the import system prefers),
with a stamp of the sources' hashes (``SOURCES``) and the list of their sizes and times
(``FILES``, for the cheap check at start-up).  ``prefixlab`` runs it by default whenever it
was made from the installed sources (prefixlab.impl.host.compiled, prefixlab.impl.cli.launch);
a stale build is never used.  ``make test`` and ``make bench`` run this script first
(``--if-possible``: without a C compiler the build is left out, in one line), ``make compiled``
alone; it rebuilds only when the sources changed, in a directory beside the build that then
takes its place, one build at a time.  The Python package stays what the test suite imports;
tests/impl/host/test_compiled.py checks that the build answers exactly as it does.

Extensions load only in interpreters of the ABI they were built for.  ``--python`` builds for
another interpreter's in ``build/mypyc-SOABI``, with mypyc run from a venv made from that
interpreter (``build/tools-SOABI``, holding this venv's mypy version; the interpreter itself is
never installed into).  ``predictions.py --python`` then times that build.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

from mypy import version as mypy_version

from prefixlab.impl.host import compiled as build_id
from prefixlab.impl.host.compiled import ENTRY, NOT_COMPILED

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "model"
ROOT = REPO / "build" / "mypyc"
"""What goes first on sys.path to import the compiled model."""
def is_current(root: Path = ROOT) -> bool:
    """Is there a build of exactly the current sources at ``root``?"""
    built = root / build_id.STAMP_NAME
    return built.is_file() and built.read_text().strip() == build_id.stamp(MODEL)


def why_unavailable(root: Path = ROOT) -> str:
    """'' when the compiled build at ``root`` can be used, else one line saying why not."""
    how = "run: .venv/bin/python bench/compiled.py" + (
        "" if root == ROOT else " --python INTERPRETER")
    if not (root / build_id.STAMP_NAME).is_file():
        return f"no compiled build in {root} ({how})"
    if not is_current(root):
        return f"the compiled build in {root} is stale ({how})"
    return ""


# -- other interpreters --------------------------------------------------------------------------
HERE_SOABI = str(sysconfig.get_config_var("SOABI"))
"""The ABI of this venv's interpreter, for which build/mypyc is made."""


def soabi(python: str) -> str:
    """An interpreter's extension-module ABI tag (e.g. cpython-312-x86_64-linux-gnu)."""
    done = subprocess.run([python, "-I", "-S", "-c",
                           "import sysconfig; print(sysconfig.get_config_var('SOABI'))"],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def root_for(python: str | None) -> Path:
    """Where the build for ``python``'s ABI lives: build/mypyc for this venv's own (None),
    build/mypyc-SOABI for another's."""
    tag = HERE_SOABI if python is None else soabi(python)
    return ROOT if tag == HERE_SOABI else REPO / "build" / f"mypyc-{tag}"


def tools_for(python: str | None) -> Path:
    """The interpreter that runs mypyc for ``python``'s ABI: this venv's for its own; for
    another, a venv made from it (build/tools-SOABI) holding this venv's mypy version.  The
    interpreter itself is never installed into: its site-packages are part of what is
    modelled."""
    if python is None or soabi(python) == HERE_SOABI:
        return Path(sys.executable)
    tools = REPO / "build" / f"tools-{soabi(python)}"
    interpreter = tools / "bin" / "python"
    # mypyc builds its extensions with setuptools, which venvs no longer hold (3.12+).
    wanted = [f"mypy=={mypy_version.__version__}", "setuptools"]
    done = tools / "INSTALLED"
    if not done.is_file() or done.read_text().split() != wanted:
        subprocess.run([python, "-m", "venv", "--clear", str(tools)], check=True)
        subprocess.run([str(interpreter), "-m", "pip", "install", "-q",
                        "--disable-pip-version-check", *wanted], check=True)
        done.write_text(" ".join(wanted) + "\n")
    return interpreter


def closure(root: Path, tools: Path) -> list[str]:
    """The files of ENTRY's import closure in the copy at ``root``, minus NOT_COMPILED."""
    probe = (f"import sys, {ENTRY}\n"
             "print('\\n'.join(m.__file__ for n, m in sorted(sys.modules.items())\n"
             "                  if n.startswith('prefixlab.model') and n not in NOT))")
    done = subprocess.run([str(tools), "-I", "-c", f"NOT = {sorted(NOT_COMPILED)!r}\n"
                           f"import sys; sys.path.insert(0, {str(root)!r})\n{probe}"],
                          capture_output=True, text=True, check=True)
    files = [Path(line).relative_to(root) for line in done.stdout.split()]
    return [str(f) for f in files if f.suffix == ".py"]


def c_compiler_name() -> str:
    """The C compiler mypyc's extensions are built with: CC, else the interpreter's."""
    command = os.environ.get("CC") or str(sysconfig.get_config_var("CC") or "cc")
    return (command.split() or ["cc"])[0]


def c_compiler() -> str | None:
    """The C compiler's path, if it is on PATH; None otherwise."""
    return shutil.which(c_compiler_name())


def suffix_of(tools: Path) -> str:
    """The extension suffix (ABI) of the interpreter ``tools``."""
    if tools == Path(sys.executable):
        return build_id.extension_suffix()
    done = subprocess.run([str(tools), "-I", "-S", "-c", "import importlib.machinery as m; "
                           "print(m.EXTENSION_SUFFIXES[0])"],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """One build of ``root`` at a time (make test, make bench and make compiled may run
    together on a shared checkout); the next one finds it current."""
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.with_name(f".{root.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build(model: Path = MODEL, root: Path = ROOT, tools: Path | None = None) -> None:
    """Copy the model into <root>/prefixlab/model and compile the hot modules there, with
    the mypyc next to ``tools`` (this venv's by default).  The build is made beside ``root``
    and then put in its place, so a prefixlab starting meanwhile sees the old build (which it
    finds stale) or none, never half of one."""
    tools = tools or Path(sys.executable)
    # Recorded before copying: a file changed after this has a newer time, so the check at
    # start-up hashes the sources and finds them equal to the copy or not (never wrong).
    files = build_id.file_stats(str(model), time.time_ns())
    staging = root.with_name(f".{root.name}.new-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    package = staging / "prefixlab" / "model"
    package.mkdir(parents=True)
    for path in build_id.sources(model):
        target = package / path.relative_to(model)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    copied = build_id.stamp(package)  # what is compiled: the copy (others may edit model/ meanwhile)
    mypyc = tools.with_name("mypyc")
    # Module names come from the directories (prefixlab is a namespace package).
    command = [str(mypyc), "--explicit-package-bases", *closure(staging, tools)]
    done = subprocess.run(command, cwd=staging, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise SystemExit(f"mypyc failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    build_id.write_files(str(staging), str(model), suffix_of(tools), files)
    (staging / build_id.STAMP_NAME).write_text(copied + "\n")
    old = root.with_name(f".{root.name}.old-{os.getpid()}")
    if root.exists():
        os.rename(root, old)
    os.rename(staging, root)
    shutil.rmtree(old, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether a current "
                        "build exists (exit 1 if not)")
    parser.add_argument("--if-possible", action="store_true", help="without a C compiler, "
                        "say so in one line and exit 0 (the set-up of make test)")
    parser.add_argument("--python", help="build for this interpreter's ABI (in "
                        "build/mypyc-SOABI, with a tools venv made from it in "
                        "build/tools-SOABI; default: this venv's, in build/mypyc)")
    args = parser.parse_args()
    root = root_for(args.python)
    if args.check or is_current(root):
        why = why_unavailable(root)
        print(why or f"compiled build current: {root}")
        return 1 if why else 0
    if c_compiler() is None:
        print(f"compiled build left out: no C compiler ({c_compiler_name()} is not on PATH); "
              "prefixlab runs the Python package")
        return 0 if args.if_possible else 1
    with locked(root):
        if is_current(root):  # made by another build while this one waited
            print(f"compiled build current: {root}")
            return 0
        start = time.monotonic()
        build(root=root, tools=tools_for(args.python))
    print(f"compiled build written: {root} ({time.monotonic() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
