"""A relocatable interpreter made from a pyenv one: a fresh ``main`` linked against a copy of
its libpython with ``DT_RUNPATH $ORIGIN/../lib`` (as python-build-standalone and conda
builds do), beside a link to its stdlib.  pyenv's own binaries have an absolute RUNPATH, so
this is how the tests get an interpreter whose libpython depends on where it lies."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

MAIN = b"#include <Python.h>\nint main(int argc, char **argv) { return Py_BytesMain(argc, argv); }\n"


def origin_python(prefix: str, minor: str, root: Path) -> Path | None:
    """root/bin/python<minor> built against <prefix>'s libpython<minor> (copied to root/lib),
    with root/lib/python<minor> linking to <prefix>'s stdlib; None without a C compiler or
    the headers and the library."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    library = Path(prefix) / "lib" / f"libpython{minor}.so.1.0"
    include = Path(prefix) / "include" / f"python{minor}"
    if compiler is None or not library.is_file() or not (include / "Python.h").is_file():
        return None
    (root / "bin").mkdir(parents=True)
    (root / "lib").mkdir()
    shutil.copy2(library, root / "lib" / library.name)
    (root / "lib" / f"python{minor}").symlink_to(Path(prefix) / "lib" / f"python{minor}")
    (root / "main.c").write_bytes(MAIN)
    binary = root / "bin" / f"python{minor}"
    done = subprocess.run(
        [compiler, "-o", str(binary), str(root / "main.c"), f"-I{include}",
         f"-L{root / 'lib'}", f"-l:{library.name}", "-Wl,--enable-new-dtags",
         "-Wl,-rpath,$ORIGIN/../lib"], capture_output=True, timeout=120)
    return binary if done.returncode == 0 else None
