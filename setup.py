"""The build of prefixlab's wheel: pure Python, unless PREFIXLAB_MYPYC=1 asks for the model
compiled with mypyc (the modules a prediction imports, as ``make compiled`` builds them; see
bench/README.md, "The compiled build").

    pip install .                          # pure Python
    PREFIXLAB_MYPYC=1 pip install .        # the model compiled (needs a C compiler)

Everything else about the package is in pyproject.toml.  With PREFIXLAB_MYPYC=1, setuptools
first asks this file for its build requirements (the ``setup_requires`` below, before mypy
is importable), then runs it again with mypy installed in the build environment.
"""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from setuptools import setup

HERE = Path(__file__).resolve().parent
MYPY = "mypy>=1.8"
"""mypyc comes with mypy (the dev extras' requirement)."""


def compiled_extensions() -> list[Any]:
    """The model's extension modules: the model copied to build/mypyc-wheel/prefixlab/model
    (mypyc names modules after their directories, and prefixlab.model's folder is model/),
    its hot modules put through mypyc there (the list and the exclusions are
    prefixlab.impl.host.compiled's)."""
    from mypyc.build import mypycify

    names = runpy.run_path(str(HERE / "impl" / "host" / "compiled.py"))
    staging = HERE / "build" / "mypyc-wheel"
    if staging.exists():
        shutil.rmtree(staging)
    package = staging / "prefixlab" / "model"
    for path in names["sources"](HERE / "model"):
        target = package / path.relative_to(HERE / "model")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    probe = (f"import sys; sys.path.insert(0, {str(staging)!r}); import {names['ENTRY']}\n"
             f"skip = {sorted(names['NOT_COMPILED'])!r}\n"
             "print('\\n'.join(m.__file__ for n, m in sorted(sys.modules.items())\n"
             "                 if n.startswith('prefixlab.model') and n not in skip))")
    found = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True,
                           text=True, check=True).stdout.split()
    files = [str(Path(f).relative_to(staging)) for f in found if f.endswith(".py")]
    cwd = Path.cwd()
    os.chdir(staging)
    try:
        extensions = mypycify(["--explicit-package-bases", *files], opt_level="3")
    finally:
        os.chdir(cwd)
    for extension in extensions:  # mypycify's paths are relative to the staging directory;
        # setuptools wants them relative to this one
        extension.sources = [os.path.relpath(staging / s, HERE) for s in extension.sources]
        extension.include_dirs = [d if os.path.isabs(d) else str(staging / d)
                                  for d in extension.include_dirs]
    return extensions


if os.environ.get("PREFIXLAB_MYPYC", "") not in ("", "0"):
    try:
        import mypyc.build  # noqa: F401
    except ImportError:  # setuptools' first pass: it asks what the build needs
        setup(setup_requires=[MYPY])
    else:  # its own build directory: a pure build must never pick up these extensions
        setup(ext_modules=compiled_extensions(),
              options={"build": {"build_base": str(HERE / "build" / "setuptools-mypyc")}})
else:
    setup()
