"""A built environment's tree as the builder tests compare it: every entry below the root
(links not followed), the writer's build record aside."""

from __future__ import annotations

import os
from pathlib import Path

BUILD_RECORD = ".prefixlab-build"


def env_tree(root: Path) -> dict[str, str]:
    """Relative path -> 'dir', '-> TARGET' for a link, or 'MODE BYTES' for a file, with the
    root's own path in a file's bytes written as ENV (so that two roots compare)."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if rel == BUILD_RECORD:
                continue
            if os.path.islink(path):
                out[rel] = "-> " + os.readlink(path)
            elif os.path.isdir(path):
                out[rel] = "dir"
            else:
                mode = oct(os.stat(path).st_mode & 0o7777)
                text = Path(path).read_bytes().decode("latin-1").replace(str(root), "ENV")
                out[rel] = f"{mode} {text}"
    return out
