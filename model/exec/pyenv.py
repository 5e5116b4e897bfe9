"""pyenv shims: which interpreter ``pyenv exec`` picks for a shim's command.

A shim (written by pyenv-rehash from one template) runs ``pyenv exec NAME "$@"``.  pyenv then
chooses versions (libexec/pyenv-version-name, -version-file, -version-file-read, -latest) and
the file (pyenv-which): ``PYENV_VERSION`` if set, else the first ``.python-version`` from the
working directory upward, else ``$PYENV_ROOT/version``; each version may be ``system``, a
directory under ``versions/``, a ``python-`` prefixed name, or a prefix such as ``3.12`` meaning
the newest installed 3.12.x; versions are tried in order and then ``system`` (PATH without the
shims), and the first one whose ``bin/NAME`` is executable wins; none: "command not found",
exit 127.  ``pyenv exec`` puts that version's bin directory first on PATH and execs the file by
its full path.  Hooks (pyenv.d) are not run by the model (this machine's only exec hook is for
pip and easy_install).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from prefixlab.model.speedups import dataclass

_SHIM = re.compile(
    r'#!/usr/bin/env bash\nset -e\n\[ -n "\$PYENV_DEBUG" \] && set -x\n\n'
    r'program="\$\{0##\*/\}"\n\n'
    r'export PYENV_ROOT="(?P<root>[^"$`\\]*)"\n'
    r'SHIM_PATH=\$\{0%/\*\}\n'
    r'if \[\[ \$SHIM_PATH != "(?P<shims>[^"$`\\]*)" \]\]; then\n'
    r'  export _PYENV_SHIM_PATH="\$SHIM_PATH"\nfi\n'
    r'exec "(?P<pyenv>[^"$`\\]*)" exec "\$program" "\$@"\n?')


@dataclass(frozen=True)
class Shim:
    root: str
    """PYENV_ROOT as the shim exports it."""
    pyenv: str
    """The pyenv command the shim runs."""


def read_shim(text: str) -> Shim | None:
    m = _SHIM.fullmatch(text)
    if m is None or m["shims"] != m["root"] + "/shims":
        return None
    return Shim(m["root"], m["pyenv"])


@dataclass(frozen=True)
class Choice:
    """The file pyenv execs, and why."""

    path: str
    version: str
    """The version it belongs to ('system' for a PATH match)."""
    origin: str
    """Where the version came from: 'PYENV_VERSION', a version file's path, or 'default'."""
    versions: str
    """PYENV_VERSION as pyenv exec exports it (the names, resolved, ':'-joined)."""
    warnings: tuple[str, ...] = ()
    """What pyenv writes to stderr on the way."""


@dataclass(frozen=True)
class NotFound:
    message: str


class Files:
    """What pyenv's scripts ask of the filesystem (given by the caller, over the kernel)."""

    def __init__(self, is_file: Callable[[str], bool], is_dir: Callable[[str], bool],
                 read: Callable[[str], bytes | None], children: Callable[[str], tuple[str, ...]],
                 is_executable: Callable[[str], bool]) -> None:
        self.is_file, self.is_dir, self.read = is_file, is_dir, read
        self.children, self.is_executable = children, is_executable


def version_file(files: Files, pyenv_dir: str, pwd: str, root: str) -> str:
    """pyenv-version-file: the first .python-version from PYENV_DIR (then PWD) upward, else
    the global file (by string, each directory's last component cut in turn)."""
    for start in (pyenv_dir, pwd) if pyenv_dir != pwd else (pyenv_dir,):
        here = start
        while not re.fullmatch(r"//[^/]*", here):
            if files.is_file(f"{here}/.python-version"):
                return f"{here}/.python-version"
            if not here:
                break
            here = here.rpartition("/")[0]
    return f"{root}/version"


def read_version_file(files: Files, path: str, root: str) -> str:
    """pyenv-version-file-read: the first word of each non-comment line, ':'-joined ('' if
    the file is missing or empty); a name with a '/' (or '..') only if it stays inside
    versions/ (CVE-2022-35861)."""
    data = files.read(path)
    if not data:
        return ""
    names = []
    for line in data.decode("utf-8", "surrogateescape").split("\n"):
        words = re.split(r"[ \t\r]+", line.strip(" \t\r"))
        name = words[0][:1024] if words else ""
        if name and not name.startswith("#") and _safe(files, root, name):
            names.append(name)
    return ":".join(names)


def ignored(files: Files, path: str, root: str) -> list[str]:
    """The stderr lines pyenv-version-file-read writes for the names it refuses."""
    data = files.read(path) or b""
    lines = []
    for line in data.decode("utf-8", "surrogateescape").split("\n"):
        words = re.split(r"[ \t\r]+", line.strip(" \t\r"))
        name = words[0][:1024] if words else ""
        if name and not name.startswith("#") and not _safe(files, root, name):
            lines.append(f"pyenv: invalid version `{name}' ignored in `{path}'")
    return lines


def _safe(files: Files, root: str, name: str) -> bool:
    """is_version_safe: a plain name, or a path that is a directory below versions/ once
    '..' is taken lexically (cd, then $PWD)."""
    if name != ".." and "/" not in name:
        return True
    versions = f"{root}/versions"
    if not files.is_dir(f"{versions}/{name}"):
        return False
    parts: list[str] = []
    for part in f"{versions}/{name}".split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return ("/" + "/".join(parts)).startswith(versions + "/")


def _numeric(field: str) -> int:
    m = re.match(r"[0-9]*", field)
    return int(m[0]) if m and m[0] else 0


def latest(files: Files, root: str, prefix: str) -> str | None:
    """pyenv-latest -b: the prefix itself when installed, else the newest installed version
    starting with ``prefix.`` or ``prefix-`` (no pre-releases, dev or free-threaded ones)."""
    versions = f"{root}/versions"
    if files.is_dir(f"{versions}/{prefix}"):
        return prefix
    installed = [n for n in files.children(versions) if files.is_dir(f"{versions}/{n}")]
    suffix = ""
    if m := re.fullmatch(r"(.*[0-9])t", prefix):
        prefix, suffix = m[1], "t"
    matches = [n for n in installed
               if re.match(re.escape(prefix) + r"[-.]", n) and n.endswith(suffix)
               and not re.search(r"(-dev|-src|-latest|(a|b|rc)[0-9]+)$", n)
               and (suffix or not re.search(r"[0-9]t$", n))]
    if not matches:
        return None

    def key(name: str) -> tuple[str, int, int, int]:
        fields = name.split(".")
        fields += [""] * (4 - len(fields))
        return (fields[0], _numeric(fields[1]), _numeric(fields[2]), _numeric(fields[3]))
    return max(matches, key=key)


def version_names(files: Files, root: str, selected: str) -> list[str]:
    """pyenv-version-name -f: each name resolved ('system' kept, missing ones kept)."""
    if not selected or selected == "system":
        return ["system"]
    names = []
    for version in selected.split(":"):
        plain = version.removeprefix("python-")
        if version == "system" or files.is_dir(f"{root}/versions/{version}"):
            names.append(version)
        elif files.is_dir(f"{root}/versions/{plain}"):
            names.append(plain)
        else:
            names.append(latest(files, root, version) or latest(files, root, plain) or plain)
    return names


def which(files: Files, root: str, names: list[str], command: str,
          search_path: Callable[[str], str | None]) -> tuple[str, str] | None:
    """pyenv-which: (path, version) of the first version that has the command, then system."""
    for version in [*names, "system"]:
        if version == "system":
            found = search_path(command)
            if found is not None:
                return found, "system"
            continue
        resolved = latest(files, root, version) or version
        prefix = f"{root}/versions/{resolved}"
        if files.is_dir(prefix) and files.is_executable(f"{prefix}/bin/{command}"):
            return f"{prefix}/bin/{command}", resolved
    return None


def choose(files: Files, root: str, env: Mapping[str, str], pwd: str, command: str,
           search_path: Callable[[str], str | None]) -> Choice | NotFound:
    """What ``pyenv exec COMMAND`` runs."""
    selected = env.get("PYENV_VERSION", "")
    origin = "PYENV_VERSION"
    warnings: list[str] = []
    if not selected:
        origin = version_file(files, env.get("PYENV_DIR") or pwd, pwd, root)
        selected = read_version_file(files, origin, root)
        # the file is read twice: by pyenv exec, then by pyenv which, which does not see
        # the PYENV_VERSION pyenv exec has not exported yet
        warnings = ignored(files, origin, root) * 2
    names = version_names(files, root, selected)
    found = which(files, root, names, command, search_path)
    if found is None:
        return NotFound(f"pyenv: {command}: command not found")
    return Choice(found[0], found[1], origin, ":".join(names), tuple(warnings))


def without_shims(path: str, root: str, home: str) -> str:
    """pyenv-which's remove_from_path for the shims directory (``~`` read as $HOME)."""
    result = ":" + path.replace("~", home) + ":"
    entry = f":{root}/shims:"
    while entry in result:
        result = result.replace(entry, ":")
    return result[1:-1]
