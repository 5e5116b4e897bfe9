"""An optional accelerated build of the model: the same source, compiled with mypyc.

    .venv/bin/python bench/compiled.py            # build (or say it is current)
    .venv/bin/python bench/compiled.py --check    # exit 1 unless a current build exists

The pure-Python package stays what prefixlab installs and what the tests run.  This build
lives apart, in ``build/mypyc/`` (a ``prefixlab/model`` package: every source file copied,
the hot modules next to their compiled extension, which the import system prefers), and is
used only by putting that directory first on ``sys.path``: the benchmark's compiled rows,
tests/test_compiled.py, which checks that it answers exactly as the pure package does, and
``prefixlab`` itself when run with ``PREFIXLAB_COMPILED=build/mypyc`` (prefixlab.impl.launch).  A stamp of the source files' hashes is written with it; a build whose stamp
no longer matches the sources is stale and is never used.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from prefixlab.impl import compiled as build_id
from prefixlab.impl.compiled import ENTRY, NOT_COMPILED

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "model"
ROOT = REPO / "build" / "mypyc"
"""What goes first on sys.path to import the compiled model."""
STAMP = ROOT / build_id.STAMP_NAME


def sources(model: Path = MODEL) -> list[Path]:
    """The files of a model package (the source files and their data)."""
    return build_id.sources(model)


def stamp(model: Path = MODEL) -> str:
    """The hash of every source file (path and bytes) and of the module list."""
    return build_id.stamp(model)


def is_current() -> bool:
    """Is there a build of exactly the current sources?"""
    return STAMP.is_file() and STAMP.read_text().strip() == stamp()


def why_unavailable() -> str:
    """'' when the compiled build can be used, else one line saying why not."""
    if not STAMP.is_file():
        return f"no compiled build in {ROOT} (run: .venv/bin/python bench/compiled.py)"
    if not is_current():
        return f"the compiled build in {ROOT} is stale (run: .venv/bin/python bench/compiled.py)"
    return ""


def closure(root: Path) -> list[str]:
    """The files of ENTRY's import closure in the copy at ``root``, minus NOT_COMPILED."""
    probe = (f"import sys, {ENTRY}\n"
             "print('\\n'.join(m.__file__ for n, m in sorted(sys.modules.items())\n"
             "                  if n.startswith('prefixlab.model') and n not in NOT))")
    done = subprocess.run([sys.executable, "-I", "-c", f"NOT = {sorted(NOT_COMPILED)!r}\n"
                           f"import sys; sys.path.insert(0, {str(root)!r})\n{probe}"],
                          capture_output=True, text=True, check=True)
    files = [Path(line).relative_to(root) for line in done.stdout.split()]
    return [str(f) for f in files if f.suffix == ".py"]


def build(model: Path = MODEL, root: Path = ROOT) -> None:
    """Copy the model into <root>/prefixlab/model and compile the hot modules there."""
    package = root / "prefixlab" / "model"
    if root.exists():
        shutil.rmtree(root)
    package.mkdir(parents=True)
    for path in sources(model):
        target = package / path.relative_to(model)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    copied = stamp(package)  # what is compiled: the copy (others may edit model/ meanwhile)
    mypyc = Path(sys.executable).with_name("mypyc")
    # Module names come from the directories (prefixlab is a namespace package).
    command = [str(mypyc), "--explicit-package-bases", *closure(root)]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"mypyc failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    (root / STAMP.name).write_text(copied + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether a current "
                        "build exists (exit 1 if not)")
    args = parser.parse_args()
    if args.check or is_current():
        why = why_unavailable()
        print(why or f"compiled build current: {ROOT}")
        return 1 if why else 0
    build()
    print(f"compiled build written: {ROOT}")
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
