"""A placement: how the base interpreter a builder is given is named and reached.

A placement is a list of filesystem operations under the case's scratch directory ROOT (every
path here is relative to ROOT; a link's text is kept verbatim), how the builder names the base
(``python``: absolute, relative to ROOT, or a bare name found on PATH), the variables the
builder runs with, and where the target goes.  Operations that need the real world (running
the builder for an outer venv, building a composed environment, compiling a binary wrapper)
are named here and carried out by the impl side.

The vocabulary, one name per way users reach an interpreter:

* ``direct``: the installation's binary by its absolute path;
* ``bare-name``: ``python3.X`` found on PATH (a directory of links prepended to PATH);
* ``exe-link``: an exe-only link in another directory, its text absolute or relative;
* ``prefix-link``: a link to the installation's prefix directory;
* ``alias-dir``: ``3.12 -> 3.12.1`` beside the installation (pyenv's and Homebrew's aliases);
* ``relocated``: the installation copied away from its compiled-in prefix (the binary copied,
  each stdlib entry linked);
* ``venv-of-venv``: the base is a venv made by the builder itself, to any depth;
* ``from-env``: the base is a composed environment (prefixlab's reference ``build env``, or a
  nixpkgs flavour);
* ``pyenv-shim``: pyenv's shim, the version chosen by PYENV_VERSION or a ``.python-version``;
* ``wrapper``: a makeWrapper script or a makeBinaryWrapper binary around the interpreter;
* ``decoy-above-link``: ``LINKDIR/../lib/pythonX.Y/os.py`` beside the exe-link (the uv#10674
  class: getpath takes that directory for a prefix);
* ``decoy-above-target``: the same landmark in the target's parent directory;
* ``target-through-link``: the target named through a link to its parent directory;
* ``target-odd-name``: a target name with spaces and non-ASCII letters;
* ``target-shell-name``: a target name holding what a shell reads inside quotes or out of
  them (a double quote, a dollar sign, a backquote, a backslash, a single quote).  Drawn only
  when named (``--placements``): the activation scripts of CPython's venv before 3.9.21,
  3.10.16, 3.11.11, 3.12.8 and 3.13.1 break on such names (gh-124651), so stdlib venv and the
  builders that copy its scripts fail venv.activate there.
"""

from __future__ import annotations

from typing import Literal, Union

from prefixlab.model.speedups import dataclass

PLACEMENTS = ("direct", "bare-name", "exe-link", "prefix-link", "alias-dir", "relocated",
              "venv-of-venv", "from-env", "pyenv-shim", "wrapper", "decoy-above-link",
              "decoy-above-target", "target-through-link", "target-odd-name",
              "target-shell-name")
"""Every placement name, in the order of the module docstring."""
OPT_IN = ("target-shell-name",)
"""The names drawn only when asked for."""
DEFAULT_PLACEMENTS = tuple(name for name in PLACEMENTS if name not in OPT_IN)
"""What a campaign draws when no names are given."""

ENV_FLAVOURS = ("reference", "nix-classic", "nix-297628", "nix-inherit-argv0",
                "nix-resolve-argv0")
"""The composed environments ``from-env`` can draw (``build env --flavor``)."""

VENV_BASE_FLAVOURS = ("reference", "nix-inherit-argv0", "nix-resolve-argv0")
"""The ones it draws by default: environments a venv can be made of.  The venvs made from
nix-classic (F-a2) and from nix-297628 with its fixed argv[0] (F-b7) are inert whatever the
builder does (their wrapper forces the interpreter back to the environment or the store
python: envspec.KNOWN_FAILURES); that is the environment's failure, judged by
``conform --kind env``, not the venv builder's."""

WrapperKind = Literal["make-wrapper", "make-binary-wrapper"]
WRAPPER_KINDS: tuple[WrapperKind, ...] = ("make-wrapper", "make-binary-wrapper")


@dataclass(frozen=True)
class Base:
    """A real interpreter, as data: what placements are made of."""

    executable: str
    """The binary's real path, e.g. /root/.pyenv/versions/3.12.1/bin/python3.12."""
    prefix: str
    """The installation's prefix (its sys.base_prefix when run directly)."""
    version: tuple[int, int, int]
    pyenv_version: str | None = None
    """Its pyenv version name when it is one of pyenv's installations (PYENV_ROOT/versions/NAME)."""
    pyenv_root: str | None = None
    libdir: str = "lib"
    """sys.platlibdir: where the stdlib is, below the prefix."""

    @property
    def xy(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def stdlib(self) -> str:
        return f"{self.prefix}/{self.libdir}/python{self.xy}"

    @property
    def label(self) -> str:
        """How reports name it: version and path."""
        return f"{'.'.join(map(str, self.version))} ({self.executable})"


# -- operations: every path relative to ROOT -----------------------------------------------------
@dataclass(frozen=True)
class MakeDir:
    path: str


@dataclass(frozen=True)
class Link:
    path: str
    text: str
    """The link's text, verbatim (absolute, or relative to the link's directory)."""


@dataclass(frozen=True)
class WriteText:
    path: str
    text: str
    executable: bool = False


@dataclass(frozen=True)
class CopyFile:
    path: str
    source: str
    """An absolute real path."""


@dataclass(frozen=True)
class LinkEntries:
    """A directory holding one absolute link per entry of ``source``: a real directory that
    imports like the original (the relocated stdlib) without copying it."""

    path: str
    source: str


@dataclass(frozen=True)
class Wrap:
    """A wrapper at ``path`` that runs ``target`` (relative to ROOT, or absolute)."""

    path: str
    kind: WrapperKind
    target: str


@dataclass(frozen=True)
class BuildVenv:
    """The builder under test, run on ``python`` with ``path`` as its target (an outer venv)."""

    path: str
    python: str


@dataclass(frozen=True)
class BuildEnv:
    """A composed environment of no packages at ``path``: ``build env`` with ``flavour``."""

    path: str
    flavour: str
    python: str


Op = Union[MakeDir, Link, WriteText, CopyFile, LinkEntries, Wrap, BuildVenv, BuildEnv]


@dataclass(frozen=True)
class Placement:
    """How the builder is given its base, and where it writes the target."""

    names: tuple[str, ...]
    """The placement names that made it, sorted as :data:`PLACEMENTS` lists them."""
    ops: tuple[Op, ...]
    python: str
    """{python}: an absolute name (``{root}/...`` for what the placement made), or a bare
    name found on PATH.  The builder runs from the directory conform was started in, so a
    relative name would mean nothing stable."""
    target: str
    """{target}, relative to ROOT (the builder is given ROOT/target)."""
    path: tuple[str, ...] = ()
    """Directories (relative to ROOT) prepended to PATH for the builder and the base."""
    env: tuple[tuple[str, str], ...] = ()
    """Variables set for the builder and the base; ``{root}`` in a value stands for ROOT."""
    outer: tuple[str, ...] = ()
    """Outer venvs (relative to ROOT) the base was reached through.  Deleting them is the
    delete-outer mutation.  A composed environment is not one: it is the base installation."""
    home_link: str | None = None
    """A link (relative to ROOT) the base's directory is reached through, for the retarget
    hazard; None when there is none."""

    @property
    def label(self) -> str:
        """The names joined with '+'; 'direct' when none was drawn (the installation's own
        binary by its absolute path, which is what a placement of no names is)."""
        return "+".join(self.names) or "direct"


def order(names: set[str] | frozenset[str]) -> tuple[str, ...]:
    return tuple(n for n in PLACEMENTS if n in names)


def parse_names(text: str) -> tuple[str, ...]:
    """``--placements a,b``: the names, checked (ValueError naming the unknown one)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in PLACEMENTS:
            raise ValueError(f"unknown placement {name!r} (known: {', '.join(PLACEMENTS)})")
    if not names:
        raise ValueError("no placement named")
    return order(set(names))
