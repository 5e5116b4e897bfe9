"""Placements of a base interpreter (:mod:`prefixlab.model.conform.placement`), drawn.

:func:`placements` draws one :class:`Placement` of a :class:`Base`, combining only the names
it is allowed.  A placement is layered, each layer optional and drawn from what is allowed:

1. the installation: the real one, or ``relocated`` (a copy away from its compiled-in prefix),
   reached through ``prefix-link`` or ``alias-dir``;
2. ``from-env``: a composed environment built from it;
3. ``venv-of-venv``: venvs the builder makes from it, one inside the next's base, to any depth;
4. how the builder names it: ``direct`` (an absolute path), ``bare-name``, ``exe-link``,
   ``wrapper`` or ``pyenv-shim`` (the real pyenv installation only);
5. ``decoy-above-link`` (with an exe-link or a bare name), and the target's modifiers.

Shrinking goes toward the real installation named by its absolute path and a target called
``venv`` in ROOT: the simplest placement, ``direct``.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from prefixlab.model.conform.placement import (
    DEFAULT_PLACEMENTS, ENV_FLAVOURS, PLACEMENTS, VENV_BASE_FLAVOURS, WRAPPER_KINDS, Base,
    BuildEnv, BuildVenv, CopyFile, Link, LinkEntries, MakeDir, Op, Placement, WriteText, Wrap,
    order)
from prefixlab.model.strategies._checks import check_type

ROOT = "{root}"
"""Stands for the case's scratch directory in names and link texts."""

ODD_NAMES = ("my venv", "vénv", "env with  two spaces", "ünï cödé env", "tab\tvenv")
"""Target names of ``target-odd-name``: spaces, non-ASCII letters, a tab."""
SHELL_NAMES = ('venv "q"', "venv $HOME", "venv `true`", "back\\slash venv", "it's venv")
"""Target names of ``target-shell-name``: each holds one character a shell gives a meaning
to inside double quotes or out of quotes (the command run by the backquote does nothing)."""

_INSTALLS = ("relocated", "prefix-link", "alias-dir")
_ACCESS = ("direct", "bare-name", "exe-link", "wrapper", "pyenv-shim")
_NAMES = ("python3", "python{xy}", "python")
"""The names a link to the interpreter gets."""


class _Draft:
    """The placement being drawn: its operations, and where the interpreter is so far."""

    def __init__(self, base: Base) -> None:
        self.base = base
        self.ops: list[Op] = []
        self.names: set[str] = set()
        self.exe = base.executable
        """The interpreter so far: absolute (real), or relative to ROOT."""
        self.path: list[str] = []
        self.env: list[tuple[str, str]] = []
        self.outer: list[str] = []
        self.home_link: str | None = None

    def named(self, path: str) -> str:
        """An absolute name for ``path`` (relative paths are below ROOT)."""
        return path if path.startswith("/") else f"{ROOT}/{path}"


def _check(allowed: Collection[str], max_depth: int) -> frozenset[str]:
    unknown = sorted(set(allowed) - set(PLACEMENTS))
    if unknown:
        raise InvalidArgument(f"placements: unknown placement names {unknown}")
    if not allowed:
        raise InvalidArgument("placements: allowed must name at least one placement")
    check_type(int, max_depth, "max_depth")
    if not 1 <= max_depth <= 8:
        raise InvalidArgument(f"placements: max_depth={max_depth!r} must be 1..8")
    return frozenset(allowed)


def placements(base: Base, *, allowed: Collection[str] = DEFAULT_PLACEMENTS,
               max_depth: int = 2, env_flavours: Collection[str] = VENV_BASE_FLAVOURS
               ) -> st.SearchStrategy[Placement]:
    """Placements of ``base`` made only of the ``allowed`` names (``venv-of-venv`` up to
    ``max_depth`` outer venvs; ``from-env`` among ``env_flavours``, by default the
    environments a venv can be made of)."""
    names = _check(allowed, max_depth)
    unknown = sorted(set(env_flavours) - set(ENV_FLAVOURS))
    if unknown:
        raise InvalidArgument(f"placements: unknown env_flavours {unknown} (known: "
                              f"{', '.join(ENV_FLAVOURS)})")
    flavours = tuple(f for f in ENV_FLAVOURS if f in env_flavours)
    if "from-env" in names and not flavours:
        raise InvalidArgument("placements: from-env allowed with no environment flavour")
    return _placement(base, names, max_depth, flavours)


@st.composite
def _placement(draw: st.DrawFn, base: Base, allowed: frozenset[str], max_depth: int,
               flavours: tuple[str, ...]) -> Placement:
    draft = _Draft(base)
    _install(draw, draft, allowed)
    if "from-env" in allowed and draw(st.booleans()):
        flavour = draw(st.sampled_from(flavours))
        draft.ops.append(BuildEnv("env", flavour, draft.named(draft.exe)))
        # The environment is the venv's base installation by design (home = ENV/bin), not an
        # outer layer: deleting it is deleting the base, so it is not in ``outer``.
        draft.exe, draft.names = f"env/bin/python{base.xy}", draft.names | {"from-env"}
    if "venv-of-venv" in allowed and draw(st.booleans()):
        for depth in range(draw(st.integers(1, max_depth))):
            where = f"outer{depth + 1}"
            draft.ops.append(BuildVenv(where, draft.named(draft.exe)))
            draft.exe = f"{where}/bin/python"
            draft.outer.append(where)
        draft.names.add("venv-of-venv")
    python = _access(draw, draft, allowed)
    target = _target(draw, draft, allowed)
    return Placement(order(draft.names), tuple(draft.ops), python, target, tuple(draft.path),
                     tuple(draft.env), tuple(draft.outer), draft.home_link)


def _install(draw: st.DrawFn, draft: _Draft, allowed: frozenset[str]) -> None:
    base = draft.base
    kinds = [k for k in _INSTALLS if k in allowed]
    if not kinds or not draw(st.booleans()):
        return
    prefix = base.prefix
    exe_name = posixpath.basename(base.executable)
    if "relocated" in kinds and draw(st.booleans()):
        prefix = f"inst/{'.'.join(map(str, base.version))}"
        draft.ops += [MakeDir(f"{prefix}/bin"), CopyFile(f"{prefix}/bin/{exe_name}",
                                                          base.executable),
                      MakeDir(f"{prefix}/{base.libdir}"),
                      LinkEntries(f"{prefix}/{base.libdir}/python{base.xy}", base.stdlib)]
        draft.names.add("relocated")
        draft.exe = f"{prefix}/bin/{exe_name}"
    links = [k for k in ("prefix-link", "alias-dir") if k in kinds]
    if not links or not draw(st.booleans()):
        return
    kind = draw(st.sampled_from(links))
    text = prefix if prefix.startswith("/") else draft.named(prefix)
    if kind == "prefix-link":
        draft.ops.append(MakeDir("opt"))
        draft.ops.append(Link("opt/python", text))
        draft.home_link = "opt/python"
    else:
        full = ".".join(map(str, base.version))
        draft.ops.append(MakeDir("versions"))
        draft.ops.append(Link(f"versions/{full}", text))
        draft.ops.append(Link(f"versions/{base.xy}", full))
        draft.home_link = f"versions/{base.xy}"
    draft.names.add(kind)
    draft.exe = f"{draft.home_link}/bin/{exe_name}"


def _access(draw: st.DrawFn, draft: _Draft, allowed: frozenset[str]) -> str:
    base = draft.base
    real = draft.exe == base.executable
    kinds = [k for k in _ACCESS if k in allowed
             and (k != "pyenv-shim" or (real and base.pyenv_version and base.pyenv_root))]
    kind = draw(st.sampled_from(kinds)) if kinds else "direct"
    name = draw(st.sampled_from(_NAMES)).format(xy=base.xy)
    if kind == "direct":
        if kinds:
            draft.names.add("direct")
        return draft.named(draft.exe)
    if kind == "pyenv-shim":
        return _pyenv_shim(draw, draft)
    if kind == "wrapper":
        wrap_kind = draw(st.sampled_from(WRAPPER_KINDS))
        draft.ops += [MakeDir("wrap/bin"), Wrap(f"wrap/bin/{name}", wrap_kind,
                                                draft.named(draft.exe))]
        draft.names.add("wrapper")
        return draft.named(f"wrap/bin/{name}")
    # exe-link or bare-name: a link to the interpreter in a directory of its own
    link_dir = "links/bin"
    # Drawn whether or not it can apply: a draw that depends on an earlier layer shifts
    # every later choice when the shrinker drops that layer, so the layer stays.
    relative = draw(st.booleans()) and not draft.exe.startswith("/")
    text = posixpath.relpath(draft.exe, link_dir) if relative else draft.named(draft.exe)
    draft.ops += [MakeDir(link_dir), Link(f"{link_dir}/{name}", text)]
    if "decoy-above-link" in allowed and draw(st.booleans()):
        draft.ops += [MakeDir(f"links/{base.libdir}/python{base.xy}"),
                      WriteText(f"links/{base.libdir}/python{base.xy}/os.py", DECOY)]
        draft.names.add("decoy-above-link")
    draft.names.add(kind)
    if kind == "bare-name":
        draft.path.append(link_dir)
        return name
    return draft.named(f"{link_dir}/{name}")


DECOY = "raise ImportError('prefixlab decoy: not a standard library')\n"
"""A decoy landmark: getpath takes its directory's parent for a prefix; importing it fails
loudly."""


def _pyenv_shim(draw: st.DrawFn, draft: _Draft) -> str:
    base = draft.base
    assert base.pyenv_root is not None and base.pyenv_version is not None
    draft.names.add("pyenv-shim")
    if draw(st.booleans()):
        draft.ops += [MakeDir("project"), WriteText("project/.python-version",
                                                    base.pyenv_version + "\n")]
        draft.env.append(("PYENV_DIR", f"{ROOT}/project"))
    else:
        draft.env.append(("PYENV_VERSION", base.pyenv_version))
    return f"{base.pyenv_root}/shims/python{base.xy}"


def _target(draw: st.DrawFn, draft: _Draft, allowed: frozenset[str]) -> str:
    name = "venv"
    kinds: list[tuple[str, tuple[str, ...]]] = [
        (kind, names) for kind, names in (("target-odd-name", ODD_NAMES),
                                          ("target-shell-name", SHELL_NAMES))
        if kind in allowed]
    if bool(kinds) and draw(st.booleans()):
        kind, names = draw(st.sampled_from(kinds))
        name = draw(st.sampled_from(names))
        draft.names.add(kind)
    parent = ""
    if "target-through-link" in allowed and draw(st.booleans()):
        draft.ops += [MakeDir("real-parent"), Link("through", "real-parent")]
        parent = "through"
        draft.names.add("target-through-link")
    if "decoy-above-target" in allowed and draw(st.booleans()):
        where = f"{parent}/" if parent else ""
        lib = f"{where}{draft.base.libdir}/python{draft.base.xy}"
        draft.ops += [MakeDir(lib), WriteText(f"{lib}/os.py", DECOY)]
        draft.names.add("decoy-above-target")
    return f"{parent}/{name}" if parent else name
