"""Generated package trees for the builders' benchmark: prefix-like, as an installer lays a
package into its own prefix (one nixpkgs store path per package), deterministic, no collisions.

    pkg-0007/
      lib/python3.X/site-packages/bench_pkg_0007/__init__.py, core.py, data/table.txt
      lib/python3.X/site-packages/bench_pkg_0007-1.0.dist-info/METADATA, RECORD, INSTALLER,
                                                               top_level.txt
      lib/python3.X/site-packages/benchns/p0007/__init__.py      (every 5th: a PEP 420
                                                                 namespace several provide)
      bin/bench-pkg-0007                                         (every 2nd: a console script)
      share/doc/bench-pkg-0007/README                            (every 4th)

Every package provides lib/, lib/python3.X/ and site-packages/, so a merge has to split them
(buildEnv's "explode") while each package's own directories can be linked whole; bin/, share/
and benchns/ are shared by a part of the packages.  No two packages provide the same file, so
``cp -rs`` of the same trees into one directory succeeds and is a fair baseline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

VERSION = "1.0"


@dataclass(frozen=True)
class Shape:
    """Which optional parts package ``index`` has (the rule is fixed so runs compare)."""

    index: int

    @property
    def script(self) -> bool:
        return self.index % 2 == 0

    @property
    def namespace(self) -> bool:
        return self.index % 5 == 0

    @property
    def doc(self) -> bool:
        return self.index % 4 == 0


def package_name(index: int) -> str:
    return f"pkg-{index:04d}"


def files_of(index: int, minor: str) -> dict[str, tuple[bytes, int]]:
    """The files of package ``index`` for Python ``minor`` ('3.13'): relative path -> (bytes,
    mode).  Directories are implied by the paths."""
    shape = Shape(index)
    module = f"bench_pkg_{index:04d}"
    site = f"lib/python{minor}/site-packages"
    dist = f"{site}/{module}-{VERSION}.dist-info"
    texts = {
        f"{site}/{module}/__init__.py": f'"""Generated benchmark package {index}."""\nVALUE = {index}\n',
        f"{site}/{module}/core.py": f"def main() -> int:\n    print({module!r})\n    return 0\n",
        f"{site}/{module}/data/table.txt": f"{index}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {module}\nVersion: {VERSION}\n",
        f"{dist}/INSTALLER": "prefixlab-bench\n",
        f"{dist}/top_level.txt": f"{module}\n",
    }
    if shape.namespace:
        texts[f"{site}/benchns/p{index:04d}/__init__.py"] = f"VALUE = {index}\n"
    if shape.doc:
        texts[f"share/doc/bench-pkg-{index:04d}/README"] = f"package {index}\n"
    texts[f"{dist}/RECORD"] = "".join(f"{path[len(site) + 1:]},,\n" for path in sorted(texts)
                                      if path.startswith(site + "/"))
    files = {path: (text.encode(), 0o644) for path, text in texts.items()}
    if shape.script:
        script = (f"#!/usr/bin/env python3\nimport sys\nfrom {module}.core import main\n"
                  f"sys.exit(main())\n")
        files[f"bin/bench-pkg-{index:04d}"] = (script.encode(), 0o755)
    return files


def write_packages(root: str, count: int, minor: str) -> list[str]:
    """Write packages 0..count-1 under ``root`` (made if absent); return their absolute roots.
    Packages already there are kept (the trees are deterministic)."""
    roots = []
    for index in range(count):
        top = os.path.join(os.path.abspath(root), package_name(index))
        roots.append(top)
        if os.path.isdir(top):
            continue
        partial = top + ".partial"
        for rel, (data, mode) in files_of(index, minor).items():
            path = os.path.join(partial, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(data)
            os.chmod(path, mode)
        os.rename(partial, top)
    return roots


def count_entries(path: str) -> int:
    """Filesystem entries under ``path`` (directories, files and links; the root itself not
    counted; links are not followed)."""
    total = 0
    for _dirpath, dirnames, filenames in os.walk(path):
        total += len(dirnames) + len(filenames)
    return total
