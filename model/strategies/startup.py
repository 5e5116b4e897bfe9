"""Public Hypothesis strategies for start-up cases: layouts, invocations, whole cases.

Everything is generated *by construction*: an install tree is laid out, then links, venvs,
._pth files, build markers and decoys are added around it, then an invocation is written that
reaches one of its entry points in one of the ways a user or a builder would (absolute path,
relative path, bare name on PATH, a lying argv[0], ...).  Nothing is filtered, so Hypothesis
shrinks toward the plainest case: one install, the binary run by its absolute path, -c.

Paths are written under the placeholder :data:`ROOT`; :meth:`Case.at` binds it to the directory
where the case is materialized (see impl/host/materialize.py), so the same case can be
replayed anywhere.  The strategies never compute an expected value: that comes from running
the real interpreter.

Example (for your own builder's tests)::

    from hypothesis import given
    from prefixlab.model.strategies import Target, cases

    @given(cases(Target((3, 12, 1))))
    def test_my_builder(case): ...
"""

from __future__ import annotations

from prefixlab.model.speedups import dataclass, field

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from prefixlab.model.paths.posix import dirname
from prefixlab.model.strategies._checks import check_one_of, check_type, check_version
from prefixlab.model.world.build import behaviour_for
from prefixlab.model.world.fs import Dir, File, Layout, Node, Symlink
from prefixlab.model.world.invocation import Invocation

ROOT = "@ROOT@"
"""Placeholder for the directory a case is materialized in."""

BINARY_DATA = b"\x7fELF prefixlab placeholder: the interpreter binary\n"
"""Content of a binary placeholder in the model (materialized as a hard link to the real one)."""

PROBE_SCRIPT = b"# prefixlab placeholder: the probe's code\n"
"""Content of a script or module the case runs (-m or a script instead of -c): whoever
materializes the case writes the probe's code there (impl/checks/campaign.py does)."""

PROBE_MODULE = "prefixlab_probe"
"""The module name a case runs with -m."""

ABSENT_MODULE = "prefixlab_absent_module"
"""A module name no case gives a module file: -m of it shows runpy's report of a module it
cannot find (or, where a case has a directory of that name, of a namespace package without
__main__).  The real probe (impl/host/probe.py) runs -m of it as it is."""

NIX_SITECUSTOMIZE = b"# prefixlab placeholder: the nix-classic sitecustomize\n"
"""Content of a sitecustomize.py standing for nixpkgs' (the real side's stand-in text,
impl/builders/nixsite.py, is written there when the case is materialized)."""


@dataclass(frozen=True)
class Target:
    """The interpreter a generated case is for."""

    version: tuple[int, int, int]
    platlibdir: str = "lib"
    abi_thread: str = ""
    binary: str | None = None
    """The real binary's path, when cases may also execute it in place (outside the layout)."""

    @property
    def short(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"

    @property
    def exe_name(self) -> str:
        return f"python{self.short}{self.abi_thread}"

    @property
    def stdlib_subdir(self) -> str:
        return f"{self.platlibdir}/python{self.short}{self.abi_thread}"

    @property
    def zip_name(self) -> str:
        return f"{self.platlibdir}/python{self.version[0]}{self.version[1]}{self.abi_thread}.zip"


@dataclass(frozen=True)
class BoundCase:
    """A case with ROOT replaced by a real directory."""

    layout: Layout
    invocation: Invocation
    binaries: tuple[str, ...]
    stdlibs: tuple[str, ...]


@dataclass(frozen=True)
class Case:
    """A generated start-up case: a layout under ROOT and how it is run."""

    nodes: tuple[tuple[str, Node], ...]
    binaries: tuple[str, ...]
    """Paths of File placeholders that stand for the interpreter binary."""
    stdlibs: tuple[str, ...]
    """Paths of Dir placeholders that stand for the interpreter's real stdlib directory."""
    program: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    cwd: str
    features: tuple[str, ...] = ()
    """What the case was built from (for the layout mix of sweeps and benchmarks)."""

    def at(self, root: str) -> BoundCase:
        def bind(text: str) -> str:
            return text.replace(ROOT, root)

        def bind_node(node: Node) -> Node:
            if isinstance(node, Symlink):
                return Symlink(bind(node.target))
            if isinstance(node, File):
                raw = root.encode("utf-8", "surrogateescape")
                return File(node.data.replace(ROOT.encode(), raw), node.mode)
            return node

        layout = Layout({bind(p): bind_node(n) for p, n in self.nodes})
        invocation = Invocation(bind(self.program), tuple(bind(a) for a in self.argv),
                                tuple((k, bind(v)) for k, v in self.env), bind(self.cwd))
        return BoundCase(layout, invocation, tuple(bind(p) for p in self.binaries),
                         tuple(bind(p) for p in self.stdlibs))


def stdlib_skeleton(path: str) -> dict[str, Node]:
    """What the model needs to see of a real stdlib directory: its landmarks."""
    return {
        path: Dir(),
        f"{path}/os.py": File(b"# os\n"),
        f"{path}/encodings": Dir(),
        f"{path}/encodings/__init__.py": File(b"# encodings\n"),
        f"{path}/lib-dynload": Dir(),
    }


# -- building blocks ----------------------------------------------------------------------------
NAMES = ("a", "b", "opt", "x y", "pub", "\u00e9", "tools", "q")
"""Directory names: few, so that decoys and collisions are likely; one with a space, one
non-ASCII."""


@dataclass
class _Draft:
    """A case under construction (mutable only inside the composite strategy)."""

    target: Target
    nodes: dict[str, Node] = field(default_factory=dict)
    binaries: list[str] = field(default_factory=list)
    stdlibs: list[str] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    """Paths that execute the interpreter (binaries, links to them, venv pythons)."""
    dirs: list[str] = field(default_factory=lambda: [ROOT])
    features: list[str] = field(default_factory=list)
    odd: list[str] = field(default_factory=list)
    """Dangling or looping links (not entries: the kernel cannot execute them)."""
    site_env: dict[str, str] = field(default_factory=dict)
    """Environment the site features ask for (HOME, PYTHONUSERBASE, PYTHONNOUSERSITE)."""

    def add(self, path: str, node: Node) -> None:
        self.nodes[path] = node
        if isinstance(node, Dir):
            self.dirs.append(path)

    def mkdirs(self, path: str) -> None:
        parts = path[len(ROOT):].strip("/").split("/")
        for i in range(1, len(parts) + 1):
            sub = ROOT + "/" + "/".join(parts[:i])
            if sub not in self.nodes:
                self.add(sub, Dir())

    def free(self, path: str) -> bool:
        """Nothing is at or below ``path``, and no ancestor is a link or a file (a node
        there could not be laid down)."""
        if path in self.nodes or any(p.startswith(path + "/") for p in self.nodes):
            return False
        parent = path.rpartition("/")[0]
        while parent and parent != ROOT:
            if parent in self.nodes and not isinstance(self.nodes[parent], Dir):
                return False
            parent = parent.rpartition("/")[0]
        return True


def _one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in ``n`` draws; False is the simpler value, so shrinking turns the
    feature off."""
    return draw(st.integers(0, n - 1)) == n - 1


def _dir_path(draw: st.DrawFn, depth: st.SearchStrategy[int]) -> str:
    size = draw(depth)
    parts = draw(st.lists(st.sampled_from(NAMES), min_size=size, max_size=size))
    return "/".join([ROOT, *parts])


def _relative(frm: str, to: str) -> str:
    """A lexical relative path from directory ``frm`` to ``to`` (both under ROOT)."""
    a = [p for p in frm.split("/") if p]
    b = [p for p in to.split("/") if p]
    common = 0
    while common < min(len(a), len(b)) and a[common] == b[common]:
        common += 1
    up = [".."] * (len(a) - common)
    return "/".join(up + b[common:]) or "."


def _install(draw: st.DrawFn, d: _Draft) -> str:
    """An installed CPython tree: bin/pythonX.Y, the stdlib, sometimes a zip landmark."""
    t = d.target
    prefix = _dir_path(draw, st.integers(0, 2)) + "/inst"
    if not d.free(prefix):
        prefix += "2"
    d.mkdirs(prefix + "/bin")
    binary = f"{prefix}/bin/{t.exe_name}"
    d.add(binary, File(BINARY_DATA, 0o755))
    d.binaries.append(binary)
    d.entries.append(binary)
    if draw(st.booleans()):
        d.add(f"{prefix}/bin/python3", Symlink(t.exe_name))
        d.entries.append(f"{prefix}/bin/python3")
    stdlib = draw(st.sampled_from(["real"] * 6 + ["none", "decoy"]))
    d.features.append(f"stdlib:{stdlib}")
    if stdlib == "real":
        d.mkdirs(f"{prefix}/{t.platlibdir}")
        d.nodes.update(stdlib_skeleton(f"{prefix}/{t.stdlib_subdir}"))
        d.stdlibs.append(f"{prefix}/{t.stdlib_subdir}")
    elif stdlib == "decoy":
        d.mkdirs(f"{prefix}/{t.stdlib_subdir}/lib-dynload")
        d.add(f"{prefix}/{t.stdlib_subdir}/os.py", File(b"# decoy\n"))
    zip_at = draw(st.sampled_from(["none"] * 6 + ["prefix", "ancestor"]))
    if zip_at != "none":
        base = prefix if zip_at == "prefix" else dirname(prefix)
        d.mkdirs(f"{base}/{t.platlibdir}")
        d.add(f"{base}/{t.zip_name}", File(b""))
        d.features.append(f"zip:{zip_at}")
    return prefix


def _link_chain(draw: st.DrawFn, d: _Draft, target: str) -> str:
    """One or more symbolic links ending at ``target``; returns the first link's path."""
    # Long chains straddle the limits: the kernel executes 40 links, getpath's resolvers give
    # up at their 40th (3.9+), 41 cannot be executed at all.
    length = draw(st.sampled_from([39, 40, 41]) if _one_in(draw, 6)
                  else st.sampled_from([1, 1, 2, 3]))
    d.features.append(f"links:{length}")
    where = _dir_path(draw, st.integers(0, 2)) + "/pub"
    d.mkdirs(where)
    current = target
    for i in range(length):
        link = f"{where}/link{i}" if i else f"{where}/{draw(st.sampled_from(['python3', 'python', 'py']))}"
        if link in d.nodes:
            link += f"_{i}"
        absolute = draw(st.booleans())
        d.add(link, Symlink(current if absolute else _relative(where, current)))
        current = link
    d.entries.append(current)
    return current


def _dir_link(draw: st.DrawFn, d: _Draft, prefix: str) -> None:
    """A symbolic link to the install's bin (or to the install itself)."""
    to_bin = draw(st.booleans())
    target = prefix + ("/bin" if to_bin else "")
    link = ROOT + "/" + draw(st.sampled_from(["lnk", "alias", "pub2"]))
    if not d.free(link):
        return
    absolute = draw(st.booleans())
    d.add(link, Symlink(target if absolute else _relative(ROOT, target)))
    d.entries.append(f"{link}/{d.target.exe_name}" if to_bin
                     else f"{link}/bin/{d.target.exe_name}")
    d.features.append("dir-link")


HOME_LINES = (
    "home = {h}\n", "home = {h}\n", "home = {h}\n", "home={h}\n", "Home = {h}\n",
    "home =  {h}\n", "   home = {h}\n", "home\t=\t{h}\n", "home = {h}\r\n", "home = {h}",
    "\ufeffhome = {h}\n", "#home = {h}\n", "home = {h} # comment\n",
)


SYSTEM_SITE_LINES = (
    "include-system-site-packages = false\n", "include-system-site-packages = false\n",
    "include-system-site-packages = true\n", "include-system-site-packages = True\n",
    "Include-System-Site-Packages=FALSE\n", "include-system-site-packages = yes\n",
    "include-system-site-packages\n",
)


def _venv(draw: st.DrawFn, d: _Draft, prefix: str) -> str | None:
    """A venv next to the install: bin/pythonX.Y as a link or a copy, and a pyvenv.cfg.
    Returns the venv's directory (None when there was no room for it)."""
    t = d.target
    venv = _dir_path(draw, st.integers(0, 1)) + "/venv"
    if not d.free(venv):
        return None
    d.mkdirs(venv + "/bin")
    # A copy named 'python' where home has no 'python' makes getpath try python3 and
    # python3.X in home (gh-99204).
    name = draw(st.sampled_from([t.exe_name, t.exe_name, "python", "python3"]))
    exe = f"{venv}/bin/{name}"
    binary = f"{prefix}/bin/{t.exe_name}"
    kind = draw(st.sampled_from(["abs-link", "abs-link", "rel-link", "copy"]))
    d.features.append(f"venv:{kind}")
    if kind == "copy":
        d.add(exe, File(BINARY_DATA, 0o755))
        d.binaries.append(exe)
    else:
        d.add(exe, Symlink(binary if kind == "abs-link" else _relative(venv + "/bin", binary)))
    d.entries.append(exe)
    if name == t.exe_name and draw(st.booleans()):
        d.add(f"{venv}/bin/python3", Symlink(t.exe_name))
        d.entries.append(f"{venv}/bin/python3")
    homes = [prefix + "/bin", prefix + "/bin", prefix + "/bin/", prefix + "/bin/../bin",
             _relative(ROOT, prefix + "/bin"), ROOT + "/nowhere/bin", ""]
    home = draw(st.sampled_from(homes))
    lines = [draw(st.sampled_from(HOME_LINES)).format(h=home)]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(SYSTEM_SITE_LINES)))
    if _one_in(draw, 5):
        lines.append(f"home = {draw(st.sampled_from(homes))}\n")
    lines = draw(st.permutations(lines))
    where = draw(st.sampled_from(["root", "root", "root", "bin", "both", "none"]))
    d.features.append(f"cfg:{where}")
    content = "".join(lines).encode("utf-8", "surrogateescape")
    if _one_in(draw, 20):  # not UTF-8: site.py's venv() cannot read it (3.8-3.14)
        content += b"# \xff\n"
        d.features.append("cfg:undecodable")
    if where in ("root", "both"):
        d.add(f"{venv}/pyvenv.cfg", File(content))
    if where in ("bin", "both"):
        other = content if where == "bin" else f"home = {draw(st.sampled_from(homes))}\n".encode(
            "utf-8", "surrogateescape")
        d.add(f"{venv}/bin/pyvenv.cfg", File(other))
    return venv


def _pth(draw: st.DrawFn, d: _Draft) -> None:
    # Next to an entry that is itself a node (not reached through a directory link).
    base = draw(st.sampled_from([e for e in d.entries if e in d.nodes]))
    if base + "._pth" in d.nodes or not d.free(base + "._pth"):
        return
    pool = [".", "..", f"../{d.target.stdlib_subdir}", "# comment", "", "import site",
            "import os", "  spaced  # trailing", ROOT + "/abs"]
    lines = draw(st.lists(st.sampled_from(pool), max_size=4))
    d.add(base + "._pth", File("\n".join(lines).encode("utf-8", "surrogateescape")))
    d.features.append("pth")


def _build_markers(draw: st.DrawFn, d: _Draft) -> None:
    binary = draw(st.sampled_from(d.binaries))
    directory = dirname(binary)
    marker = draw(st.sampled_from(["pybuilddir", "pybuilddir-empty", "setup-local"]))
    if marker == "setup-local":
        d.mkdirs(directory + "/Modules")
        d.add(directory + "/Modules/Setup.local", File(b""))
    else:
        text = b"" if marker == "pybuilddir-empty" else b"build/lib.linux"
        d.add(directory + "/pybuilddir.txt", File(text))
    if draw(st.booleans()):
        d.mkdirs(directory + "/Lib")
        d.add(directory + "/Lib/os.py", File(b"# source tree\n"))
    d.features.append(f"build:{marker}")


def _odd_links(draw: st.DrawFn, d: _Draft) -> None:
    """A dangling link and a two-link loop; argv[0] may later point at them."""
    where = draw(st.sampled_from(d.dirs))
    dangling, loop_a, loop_b = f"{where}/dangling", f"{where}/loop_a", f"{where}/loop_b"
    if not all(d.free(p) for p in (dangling, loop_a, loop_b)):
        return
    d.add(dangling, Symlink(draw(st.sampled_from(["nowhere/python3", ROOT + "/nowhere"]))))
    d.add(loop_a, Symlink("loop_b"))
    d.add(loop_b, Symlink(loop_a))
    d.odd.extend([dangling, loop_a])
    d.features.append("odd-links")


def _decoy(draw: st.DrawFn, d: _Draft) -> None:
    """Landmarks that do not belong to any install, between the binary and the root."""
    base = draw(st.sampled_from(d.dirs))
    kind = draw(st.sampled_from(["os", "dynload"]))
    target = f"{base}/{d.target.stdlib_subdir}"
    if not d.free(target):
        return
    d.mkdirs(target if kind == "os" else target + "/lib-dynload")
    if kind == "os":
        d.add(target + "/os.py", File(b"# decoy\n"))
    d.features.append(f"decoy:{kind}")


# -- what site reads -----------------------------------------------------------------------------
def _pth_lines(draw: st.DrawFn, sitedir: str) -> list[str]:
    extra = ROOT + "/extra"
    pool = [
        extra, extra, _relative(sitedir, extra), extra + "  ", extra + "/../extra",
        ROOT + "/extra2", ROOT + "/missing", extra + "/file.txt", ROOT + "/dangling-pth",
        ".", "# " + extra, "", "   ", "import sys", "import os", "import\tsys",
        "import prefixlab_absent_module", "import prefixlab_absent_module; import sys",
        extra + "\x0c" + "more", "\ufeff" + extra, extra.upper(),
    ]
    return draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4))


def _pth_file(draw: st.DrawFn, d: _Draft, sitedir: str) -> None:
    name = draw(st.sampled_from(["a.pth", "b.pth", "z.pth", ".hidden.pth", "x y.pth"]))
    path = f"{sitedir}/{name}"
    if not d.free(path):
        return
    lines = _pth_lines(draw, sitedir)
    end = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    text = end.join(lines) + draw(st.sampled_from([end, ""]))
    data = text.encode("utf-8", "surrogateescape")
    if _one_in(draw, 8):
        data = b"\xef\xbb\xbf" + data  # a BOM
        d.features.append("pth-file:bom")
    if _one_in(draw, 25):
        data += b"\xff\n"  # not UTF-8: importing site fails
        d.features.append("pth-file:undecodable")
    d.add(path, File(data))
    d.features.append("pth-file" + (":hidden" if name.startswith(".") else ""))


def _site_dir(draw: st.DrawFn, d: _Draft, sitedir: str) -> None:
    d.mkdirs(sitedir)
    for _ in range(draw(st.integers(0, 2))):
        _pth_file(draw, d, sitedir)
    if _one_in(draw, 10) and d.free(sitedir + "/sitecustomize.py"):
        d.add(sitedir + "/sitecustomize.py", File(b"# prefixlab: does nothing\n"))
        d.features.append("sitecustomize")


def _site(draw: st.DrawFn, d: _Draft, venv: str | None) -> None:
    """Site directories with .pth files (in the venv, the user site), what their lines name,
    and the environment the user site depends on."""
    t = d.target
    d.features.append("site")
    d.mkdirs(ROOT + "/extra")
    d.add(ROOT + "/extra/file.txt", File(b"not a directory\n"))
    d.mkdirs(ROOT + "/extra2")
    if d.free(ROOT + "/dangling-pth"):
        d.add(ROOT + "/dangling-pth", Symlink("nowhere"))
    if venv is not None:
        _site_dir(draw, d, f"{venv}/{t.stdlib_subdir}/site-packages")
        d.features.append("site:venv")
        if _one_in(draw, 3):  # Debian's extra site directories (used by its site.py only)
            where = draw(st.sampled_from([f"lib/python{t.version[0]}/dist-packages",
                                          f"local/lib/python{t.short}/dist-packages"]))
            _site_dir(draw, d, f"{venv}/{where}")
            d.features.append("site:dist-packages")
    user = draw(st.sampled_from(["none", "home", "home", "userbase", "home-empty"]))
    d.features.append(f"user-site:{user}")
    if user in ("home", "home-empty"):
        d.site_env["HOME"] = ROOT + "/home"
        if user == "home":
            _site_dir(draw, d, f"{ROOT}/home/.local/lib/python{t.short}{t.abi_thread}/"
                      "site-packages")
        else:
            d.mkdirs(ROOT + "/home")
    elif user == "userbase":
        d.site_env["PYTHONUSERBASE"] = ROOT + "/ub"
        _site_dir(draw, d, f"{ROOT}/ub/lib/python{t.short}{t.abi_thread}/site-packages")
    if _one_in(draw, 6):
        d.site_env["PYTHONNOUSERSITE"] = draw(st.sampled_from(["1", ""]))
        d.features.append("env:PYTHONNOUSERSITE")
    if _one_in(draw, 8):
        _nix_sitecustomize(draw, d, venv)


def _nix_sitecustomize(draw: st.DrawFn, d: _Draft, venv: str | None) -> None:
    """nixpkgs' interpreter sitecustomize where site finds it, and its NIX_* variables."""
    sitedir = (f"{venv}/{d.target.stdlib_subdir}/site-packages" if venv is not None
               else ROOT + "/sc")
    if not d.free(sitedir + "/sitecustomize.py"):
        return
    d.mkdirs(sitedir)
    d.add(sitedir + "/sitecustomize.py", File(NIX_SITECUSTOMIZE))
    if venv is None:
        d.site_env["PYTHONPATH"] = sitedir
    parts = draw(st.lists(st.sampled_from([ROOT + "/extra", ROOT + "/extra2", ROOT + "/missing",
                                           ""]), min_size=1, max_size=3))
    d.site_env["NIX_PYTHONPATH"] = ":".join(parts)
    if draw(st.booleans()):
        d.site_env["NIX_PYTHONEXECUTABLE"] = ROOT + "/nix/bin/python3"
    if draw(st.booleans()):
        d.site_env["NIX_PYTHONPREFIX"] = ROOT + "/nixenv"
    d.features.append("nix-sitecustomize")


# -- invocations --------------------------------------------------------------------------------
def _invocation(draw: st.DrawFn, d: _Draft) -> tuple[str, tuple[str, ...], dict[str, str], str]:
    t = d.target
    entry = draw(st.sampled_from(d.entries))
    cwd = draw(st.sampled_from([ROOT, dirname(entry), *d.dirs]))
    style = draw(st.sampled_from(["absolute", "absolute", "relative", "bare"]))
    env: dict[str, str] = {}
    other_path = draw(st.sampled_from(["/usr/bin:/bin", ROOT + "/nowhere:/usr/bin", "/bin"]))
    if style == "absolute":
        program = entry
        if _one_in(draw, 5):
            program = _noisy(draw, program)
        env["PATH"] = other_path
    elif style == "relative":
        rel = _relative(cwd, entry)
        program = rel if "/" in rel else "./" + rel
        env["PATH"] = other_path
    else:
        program = entry.rpartition("/")[2]
        directory = dirname(entry)
        spelled = draw(st.sampled_from(["abs", "rel", "empty" if directory == cwd else "abs"]))
        dir_entry = {"abs": directory, "rel": _relative(cwd, directory), "empty": ""}[spelled]
        before = draw(st.sampled_from(["", ROOT + "/nowhere:", "/usr/bin:"]))
        env["PATH"] = before + dir_entry
        d.features.append(f"path-entry:{spelled}")
    d.features.append(f"program:{style}")
    argv0 = program
    if _one_in(draw, 8):
        argv0 = draw(st.sampled_from([entry, entry.rpartition("/")[2], "", t.exe_name,
                                      ROOT + "/nowhere/bin/python3", *d.entries, *d.odd]))
        d.features.append("argv0:differs")
    _environment(draw, d, env, cwd)
    # Without -S site runs: in most cases (getpath alone is the sweeps' generation 1-getpath
    # mix), and a case shrinks toward it (Hypothesis also draws the simplest value more
    # often than its share: -S as the simple value gave a quarter of the cases, not a tenth).
    with_site = "site" in d.features or not _one_in(draw, 8)
    flags = [] if with_site else ["-S"]
    # -P before 3.11 is a usage error, and PYTHONSAFEPATH is ignored: both are kept, as cases
    # (-P there in about one case in six with options: a usage error never reaches site).
    options = ["-E", "-I", "-s"]
    if behaviour_for(t.version).safe_path_option or _one_in(draw, 6):
        options.append("-P")
    flags += draw(st.lists(st.sampled_from(options), max_size=2, unique=True))
    command = ["-c", "pass"]
    # A ._pth file suppresses sys.path[0] as well (safe_path, 3.11+): -m would find nothing.
    path0 = (not ({"-I", "-P"} & set(flags)) and "PYTHONSAFEPATH" not in env
             and "pth" not in d.features)
    if path0 and _one_in(draw, 4):
        command = _script_or_module(draw, d, cwd)
    return program, (argv0, *flags, *command), env, cwd


def _inside_stdlib(d: _Draft, path: str) -> bool:
    return any(path == s or path.startswith(s + "/") for s in d.stdlibs)


def _script_or_module(draw: st.DrawFn, d: _Draft, cwd: str) -> list[str]:
    """Run a probe script (by an absolute or relative path, maybe through a link) or the probe
    module with -m from the working directory; sys.path[0] then comes from them.  Or -m of a
    module that is not there (maybe a directory of its name: a namespace package)."""
    if _one_in(draw, 4):
        return _absent_module(draw, d, cwd)
    module = f"{cwd}/{PROBE_MODULE}.py"
    # Only under ROOT: the working directory may be the host binary's own (host-binary).
    if (draw(st.booleans()) and cwd.startswith(ROOT) and d.free(module)
            and not _inside_stdlib(d, cwd)):
        d.add(module, File(PROBE_SCRIPT))
        d.features.append("run:module")
        return ["-m", PROBE_MODULE]
    d.mkdirs(ROOT + "/scripts")
    script = ROOT + "/scripts/probe.py"
    if d.free(script):
        d.add(script, File(PROBE_SCRIPT))
    run = script
    if _one_in(draw, 2) and d.free(ROOT + "/bin2/run.py"):
        d.mkdirs(ROOT + "/bin2")
        absolute = draw(st.booleans())
        d.add(ROOT + "/bin2/run.py", Symlink(script if absolute else "../scripts/probe.py"))
        run = ROOT + "/bin2/run.py"
        d.features.append("run:script-link")
    spelled = draw(st.sampled_from(["absolute", "relative"]))
    if _through_link(d, cwd):
        # A lexical relative path from a working directory reached through a link misses:
        # the kernel takes '..' from the physical directory, so the probe could not run.
        spelled = "absolute"
    d.features.append(f"run:script-{spelled}")
    return [run if spelled == "absolute" else _relative(cwd, run)]


def _through_link(d: _Draft, path: str) -> bool:
    """Is ``path``, or a directory above it, a link among the draft's nodes?"""
    while path:
        if isinstance(d.nodes.get(path), Symlink):
            return True
        path = path.rpartition("/")[0]
    return False


def _absent_module(draw: st.DrawFn, d: _Draft, cwd: str) -> list[str]:
    where = draw(st.sampled_from(["nowhere", "nowhere", "cwd", "extra"]))
    # ROOT/extra is where the site cases' .pth lines point (and their import lines name
    # ABSENT_MODULE too).
    directory = {"nowhere": None, "cwd": cwd, "extra": ROOT + "/extra"}[where]
    if (directory is not None and directory.startswith(ROOT) and not _inside_stdlib(d, directory)
            and d.free(f"{directory}/{ABSENT_MODULE}")):
        d.mkdirs(f"{directory}/{ABSENT_MODULE}")
        d.features.append(f"run:module-absent:namespace-{where}")
    else:
        d.features.append("run:module-absent")
    return ["-m", ABSENT_MODULE]


def _noisy(draw: st.DrawFn, path: str) -> str:
    """The same absolute path written with '//', '/./' or 'dir/../dir' in it."""
    head, _, tail = path.rpartition("/")
    parent, _, last = head.rpartition("/")
    return draw(st.sampled_from([
        f"{head}//{tail}", f"{head}/./{tail}", f"{parent}/{last}/../{last}/{tail}",
    ]))


def _environment(draw: st.DrawFn, d: _Draft, env: dict[str, str], cwd: str) -> None:
    if _one_in(draw, 10):
        prefix = draw(st.sampled_from(d.dirs))
        env["PYTHONHOME"] = draw(st.sampled_from(
            [prefix, prefix + "/", f"{prefix}:{prefix}", ROOT + "/nowhere", "",
             _relative(cwd, prefix)]))
        d.features.append("env:PYTHONHOME")
    if _one_in(draw, 10):
        parts = draw(st.lists(st.sampled_from(["", ".", "rel", ROOT + "/pp", "../up"]),
                              min_size=1, max_size=3))
        env["PYTHONPATH"] = ":".join(parts)
        d.features.append("env:PYTHONPATH")
    if _one_in(draw, 15):
        env["PYTHONEXECUTABLE"] = draw(st.sampled_from([*d.entries, ROOT + "/fake/bin/python"]))
        d.features.append("env:PYTHONEXECUTABLE")
    if _one_in(draw, 15):
        env["PYTHONPLATLIBDIR"] = draw(st.sampled_from(["lib64", "lib", ""]))
        d.features.append("env:PYTHONPLATLIBDIR")
    if _one_in(draw, 15):
        env["PYTHONSAFEPATH"] = "1"
    for name, value in d.site_env.items():
        env.setdefault(name, value)


def cases(target: Target) -> st.SearchStrategy[Case]:
    """A start-up case for ``target``: one or two installs and what surrounds them.

    ``target.version`` must be one the behaviour table covers (3.8-3.14).  Shrinks toward: a
    single install with its real stdlib, run by absolute path with -c (site imported).
    """
    _check_target(target)
    return _cases(target)


def _check_target(target: Target) -> None:
    check_type(Target, target, "target")
    check_version(target.version, "target.version", parts=3)
    check_type(str, target.platlibdir, "target.platlibdir")
    if not target.platlibdir or "/" in target.platlibdir:
        raise InvalidArgument(f"target.platlibdir={target.platlibdir!r}, but it must be a "
                              f"directory name, such as 'lib' or 'lib64'")
    check_one_of(target.abi_thread, "target.abi_thread", ("", "t"))
    if target.binary is not None:
        check_type(str, target.binary, "target.binary")
        if not target.binary.startswith("/"):
            raise InvalidArgument(f"target.binary={target.binary!r}, but it must be an "
                                  f"absolute path (or None)")


@st.composite
def _cases(draw: st.DrawFn, target: Target) -> Case:
    d = _Draft(target)
    prefix = _install(draw, d)
    if _one_in(draw, 5):
        _install(draw, d)
        d.features.append("second-install")
    if _one_in(draw, 3):
        _link_chain(draw, d, draw(st.sampled_from(d.binaries)))
    if _one_in(draw, 6):
        _dir_link(draw, d, prefix)
    venv = _venv(draw, d, prefix) if _one_in(draw, 2) else None
    if _one_in(draw, 2):
        _site(draw, d, venv)
    if _one_in(draw, 8):
        _pth(draw, d)
    if _one_in(draw, 12):
        _build_markers(draw, d)
    if _one_in(draw, 5):
        _decoy(draw, d)
    if _one_in(draw, 12):
        _odd_links(draw, d)
    if target.binary and _one_in(draw, 10):
        d.entries.append(target.binary)
        d.features.append("host-binary")
    program, argv, env, cwd = _invocation(draw, d)
    return Case(tuple(sorted(d.nodes.items())), tuple(d.binaries), tuple(d.stdlibs), program,
                argv, tuple(sorted(env.items())), cwd, tuple(d.features))

