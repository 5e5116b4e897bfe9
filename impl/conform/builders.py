"""The builders ``prefixlab conform`` knows by name, and command templates.

A builder is a command template run by /bin/sh from the directory conform was started in.
Its placeholders, each replaced by prefixlab with a shell-quoted value (so a template must
not quote them again):

* ``{python}``: the base interpreter as the placement names it;
* ``{target}``: where the venv goes (absolute);
* ``{system_site_packages}``: ``--system-site-packages``, or nothing at all; a template without
  it is never asked for a venv with the base's site-packages;
* ``{packages}`` (``--kind env``, where it is required): the package directories, each one
  word (a prefix-like tree: ``lib/pythonX.Y/site-packages``, ``bin``).  The environment is
  held to the reference flavour's spec (model/builders/envspec.py).

Built-in adapters name the tool by its absolute path once it is found (``uv`` and
``virtualenv`` on PATH, else beside prefixlab's own interpreter), so a case file records the
command exactly as it ran.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Mapping

from prefixlab.model.conform.case import Builder
from prefixlab.model.errors import BadInput

PLACEHOLDERS = ("python", "target", "system_site_packages", "packages")
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

VENV_ADAPTERS: dict[str, tuple[str, str]] = {
    # name: (tool, template); {tool} is the tool's absolute path
    "venv": ("", "{python} -m venv --without-pip {system_site_packages} {target}"),
    "venv-copies": ("", "{python} -m venv --copies --without-pip {system_site_packages} "
                        "{target}"),
    # --no-seed: no pip/setuptools wheels (what --without-pip is to venv);
    # --no-periodic-update: no background process left behind.
    "virtualenv": ("virtualenv", "{tool} --quiet --no-seed --no-periodic-update -p {python} "
                                 "{system_site_packages} {target}"),
    # --no-config: no uv.toml of the caller's changes the result; the python is named, so no
    # managed interpreter is downloaded.
    "uv": ("uv", "{tool} venv --quiet --no-config --python {python} {system_site_packages} "
                 "{target}"),
    "prefixlab": ("prefixlab", "{tool} build venv --python {python} {system_site_packages} "
                               "{target}"),
}


class BuilderError(BadInput):
    """An unknown builder, a tool that is not installed, or a bad template (one line)."""


def find_tool(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The tool's absolute path: on PATH, else beside this interpreter (the project venv)."""
    found = shutil.which(name, path=(environ or os.environ).get("PATH"))
    if found is None:
        beside = os.path.join(os.path.dirname(sys.executable), name)
        if os.path.isfile(beside) and os.access(beside, os.X_OK):
            found = beside
    if found is None:
        raise BuilderError(f"{name}: not found on PATH nor beside {sys.executable} "
                           f"(install it, or use --cmd)")
    return os.path.abspath(found)


def adapter(name: str, kind: str = "venv") -> Builder:
    """A built-in builder, its tool found."""
    if name not in VENV_ADAPTERS:
        raise BuilderError(f"unknown venv builder {name!r} (known: {', '.join(VENV_ADAPTERS)}; "
                           "or --cmd)")
    tool, template = VENV_ADAPTERS[name]
    if tool:
        template = template.replace("{tool}", shlex.quote(find_tool(tool)))
    return Builder(name, template, "venv")


def check_template(template: str, kind: str = "venv") -> Builder:
    """A --cmd template, checked: {python} and {target} present, no unknown placeholder, no
    placeholder inside quotes."""
    names = _FIELD.findall(template)
    for name in names:
        if name not in PLACEHOLDERS:
            raise BuilderError(f"--cmd: unknown placeholder {{{name}}} (known: "
                               + ", ".join("{" + p + "}" for p in PLACEHOLDERS) + ")")
    for needed in ("python", "target"):
        if needed not in names:
            raise BuilderError(f"--cmd: the template has no {{{needed}}}")
    if "packages" in names and kind != "env":
        raise BuilderError("--cmd: {packages} is for --kind env")
    if kind == "env" and "packages" not in names:
        raise BuilderError("--cmd: the template has no {packages} (--kind env builds an "
                           "environment of package directories)")
    if kind == "env" and "system_site_packages" in names:
        raise BuilderError("--cmd: {system_site_packages} is for --kind venv")
    for match in _FIELD.finditer(template):
        if _quoted_at(template, match.start()):
            raise BuilderError(f"--cmd: {match.group(0)} is inside quotes or after a "
                               "backslash; prefixlab shell-quotes it already, remove them")
    return Builder("cmd", template, "venv" if kind == "venv" else "env")


def _quoted_at(text: str, index: int) -> bool:
    """Whether ``index`` is inside '...' or "..." in POSIX sh, or its character escaped by a
    backslash (sh would take the backslash with the first character of the quoted value)."""
    quote = ""
    i = 0
    while i < index:
        c = text[i]
        if quote == "'":
            quote = "" if c == "'" else quote
        elif c == "\\":
            i += 1
        elif quote == '"':
            quote = "" if c == '"' else quote
        elif c in "'\"":
            quote = c
        i += 1
    return bool(quote) or i > index


def wants_system_site(builder: Builder) -> bool:
    return "{system_site_packages}" in builder.command


def expand(builder: Builder, *, python: str, target: str, system_site: bool = False,
           packages: tuple[str, ...] = (), quote: Callable[[str], str] = shlex.quote) -> str:
    """The command line for /bin/sh: each placeholder replaced, in one pass, by its value
    made one word by ``quote`` (an empty word for {system_site_packages} when not asked)."""
    values = {"python": quote(python), "target": quote(target),
              "system_site_packages": "--system-site-packages" if system_site else "",
              "packages": " ".join(quote(p) for p in packages)}
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), builder.command)
