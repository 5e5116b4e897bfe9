"""Install locations: where ``pip install`` puts files for the interpreter that started.

"pip install" here means pip's default install: not ``--user``, no ``--prefix``, ``--root``
or ``--target``, run by this interpreter (``python -m pip install NAME``).  pip 21.3+ on
3.10+ takes its directories from ``sysconfig.get_preferred_scheme('prefix')``, the default
scheme (pip ``_internal/locations/__init__.py``, ``_USE_SYSCONFIG_DEFAULT``); on 3.8/3.9 it
uses distutils, whose prefix scheme gives the same purelib, platlib, scripts and data on
upstream builds.  The headers pip installs go to its own directory (in a venv
``<prefix>/include/site/pythonX.Y/NAME``), so ``include`` here is sysconfig's.

The default scheme, per version and flavour:

* 3.8-3.10: ``posix_prefix``;
* 3.11+: ``venv`` when sys.prefix != sys.base_prefix, else ``posix_prefix`` (bpo-45413);
* Debian's patched 3.11: ``venv`` in a venv, else ``posix_local`` (``/usr/local/...``,
  dist-packages), or ``deb_system`` when DEB_PYTHON_INSTALL_LAYOUT is ``deb`` or
  ``deb_system`` (read from the process environment by sysconfig, even under -E).  What
  counts is the sysconfig module imported (the first on the search path), not the binary.

Each path is the scheme's template filled with the final prefixes and passed through
``os.path.normpath`` (sysconfig ``_expand_vars``); the prefixes are normalised first
(sysconfig's ``_PREFIX = os.path.normpath(sys.prefix)``).  When the real executable's
directory holds ``Modules/Setup`` or ``Modules/Setup.local``, sysconfig thinks it runs from
a build tree and ``include`` becomes ``<srcdir>/Include`` (posix_prefix, and Debian's own
schemes).  In a venv, site sets ``sys._home`` from pyvenv.cfg's home and sysconfig looks
there instead.  Not modelled: ``_PYTHON_PROJECT_BASE``.
"""

from __future__ import annotations

from collections.abc import Mapping

from prefixlab.model.world import kernel
from prefixlab.model.world.build import Behaviour, BuildConstants
from prefixlab.model.startup.getpath.context import Calc
# sysconfig's os.path is posixpath, not getpath's helpers; the names say which dialect.
from prefixlab.model.paths.posix import (
    dirname as posix_dirname, join as posix_join, normpath as posix_normpath)
from prefixlab.model.trace import Step, rule
from prefixlab.model.startup import imports

KEYS = ("scheme", "purelib", "platlib", "scripts", "data", "include")
"""The keys of an install mapping, in order."""

R_INSTALL_UNKNOWN = rule(
    "install.sysconfig-not-stdlib", "install",
    "The sysconfig module (or the os module it imports) the process would import is not the "
    "stdlib's copy: its code decides, and the model does not run code, so the install "
    "locations are not predicted (null).",
    "Lib/sysconfig.py imports; Lib/site.py-style shadowing")
R_SCHEME = rule(
    "install.scheme", "install",
    "pip installs into sysconfig's default scheme, filled with the final prefixes: "
    "site-packages under sys.prefix (purelib) and sys.exec_prefix (platlib), scripts in "
    "<prefix>/bin.",
    "Lib/sysconfig.py get_default_scheme / get_preferred_scheme (venv scheme 3.11+, "
    "bpo-45413); Debian's sysconfig posix_local and deb_system schemes; pip "
    "_internal/locations")

# The templates of the keys we report ({py} is pythonX.Y plus the 3.13+ free-threading 't').
_TEMPLATES: dict[str, dict[str, str]] = {
    "posix_prefix": {
        "purelib": "{base}/lib/{py}/site-packages",
        "platlib": "{platbase}/{platlibdir}/{py}/site-packages",
        "scripts": "{base}/bin",
        "data": "{base}",
    },
    "posix_local": {
        "purelib": "{base}/local/lib/{py}/dist-packages",
        "platlib": "{platbase}/local/lib/{py}/dist-packages",
        "scripts": "{base}/local/bin",
        "data": "{base}/local",
    },
    "deb_system": {
        "purelib": "{base}/lib/python3/dist-packages",
        "platlib": "{platbase}/lib/python3/dist-packages",
        "scripts": "{base}/bin",
        "data": "{base}",
    },
}
_TEMPLATES["venv"] = _TEMPLATES["posix_prefix"]  # posix_venv: same for these keys
_INCLUDE = "{installed_base}/include/python{short}{abiflags}"
_BUILD_TREE_SCHEMES = {"upstream": ("posix_prefix",),
                       "debian": ("posix_prefix", "posix_local", "deb_system")}


def default_scheme(row: Behaviour, flavour: str, prefix: str, base_prefix: str,
                   environ: Mapping[str, str]) -> str:
    """sysconfig.get_default_scheme() for this version, sysconfig flavour and prefixes."""
    in_venv = prefix != base_prefix
    if row.venv_install_scheme and in_venv:
        return "venv"
    if flavour == "debian" and not in_venv:
        layout = environ.get("DEB_PYTHON_INSTALL_LAYOUT", "posix_local")
        return "deb_system" if layout in ("deb", "deb_system") else "posix_local"
    return "posix_prefix"


def install_paths(build: BuildConstants, row: Behaviour, *, prefix: str, exec_prefix: str,
                  base_prefix: str, base_exec_prefix: str, platlibdir: str,
                  environ: Mapping[str, str], executable: str, syscalls: kernel.Resolver,
                  flavour: str | None = None,
                  sys_home: str | None = None) -> tuple[dict[str, str], Step]:
    """The install mapping (KEYS) and the step that explains it.  ``syscalls`` resolves
    paths in the process's working directory (to find a build tree next to the real
    executable, or in ``sys_home``); ``flavour`` is that of the sysconfig module imported
    (default: the build's)."""
    flavour = build.flavour if flavour is None else flavour
    scheme = default_scheme(row, flavour, prefix, base_prefix, environ)
    short = "%d.%d" % build.minor
    values = {
        "base": posix_normpath(prefix), "platbase": posix_normpath(exec_prefix),
        "installed_base": posix_normpath(base_prefix),
        "installed_platbase": posix_normpath(base_exec_prefix),
        # 3.8's scheme has no platlibdir: always lib.
        "platlibdir": platlibdir if row.has_platlibdir else "lib",
        "py": f"python{short}{build.abi_thread if row.free_threading else ''}",
        "short": short, "abiflags": build.abiflags,
    }
    paths = {"scheme": scheme}
    for key, template in _TEMPLATES[scheme].items():
        paths[key] = posix_normpath(template.format(**values))
    paths["include"] = posix_normpath(_INCLUDE.format(**values))
    srcdir = _build_tree_srcdir(build, executable, syscalls, sys_home)
    if srcdir is not None and scheme in _BUILD_TREE_SCHEMES[flavour]:
        paths["include"] = posix_normpath(f"{srcdir}/Include")
    step = Step.of(R_SCHEME, "scheme {scheme}: purelib {purelib!r}, platlib {platlib!r}, "
                   "scripts {scripts!r}", row.name, scheme=scheme, purelib=paths["purelib"],
                   platlib=paths["platlib"], scripts=paths["scripts"])
    return {key: paths[key] for key in KEYS}, step


def _build_tree_srcdir(build: BuildConstants, executable: str, syscalls: kernel.Resolver,
                       sys_home: str | None = None) -> str | None:
    """sysconfig's srcdir when it believes it runs from a build tree (is_python_build():
    Modules/Setup or Setup.local in _PROJECT_BASE, the real executable's directory).  A
    non-empty sys._home (site sets it in a venv) stands for that directory, as written:
    3.8-3.10 test it instead and take the Makefile from it, 3.11+ make it _PROJECT_BASE
    (Lib/sysconfig.py: _sys_home, is_python_build, get_makefile_filename, read in each
    interpreter here)."""
    if sys_home:
        project_base = sys_home
    else:
        real = _lenient_realpath(syscalls, executable or syscalls.cwd)
        project_base = posix_dirname(real) if executable else real
    for name in ("Setup", "Setup.local"):
        entry = syscalls.stat(posix_join(project_base, "Modules", name))
        if entry is not None and entry.kind == "file":
            # srcdir is relative to the Makefile's directory (the project base) unless absolute
            joined = posix_join(project_base, build.srcdir)
            return _lenient_realpath(syscalls, joined)
    return None


def _lenient_realpath(syscalls: kernel.Resolver, path: str) -> str:
    """os.path.realpath for what exists; the path normalised when it cannot be resolved."""
    found = syscalls.realpath(path)
    return found if isinstance(found, str) else posix_normpath(path)


def for_start(calc: Calc, path: tuple[str, ...] = ()) -> dict[str, str] | None:
    """The install mapping for a start that succeeded, from its final prefixes (the step
    goes on calc's trace); None when the sysconfig the process would import is not the
    stdlib's own (code the model does not run decides)."""
    if not _sysconfig_is_stdlib(calc, path or tuple(calc.module_search_paths)):
        return None
    inputs = calc.inputs
    prefix, exec_prefix = calc.prefix or "", calc.exec_prefix or ""
    paths, step = install_paths(
        inputs.build, inputs.row, prefix=prefix, exec_prefix=exec_prefix,
        base_prefix=calc.base_prefix or prefix,
        base_exec_prefix=calc.base_exec_prefix or exec_prefix,
        # sys.platlibdir: PYTHONPLATLIBDIR when the environment is used (3.9+), else PLATLIBDIR
        platlibdir=inputs.config.platlibdir or inputs.build.platlibdir,
        environ=inputs.env, executable=calc.executable or "", syscalls=calc.syscalls,
        flavour=_sysconfig_flavour(calc), sys_home=calc.sys_home)
    calc.asked.update(("venv_install_scheme", "has_platlibdir", "free_threading"))
    calc.steps.append(step)
    return paths


def _sysconfig_is_stdlib(calc: Calc, path: tuple[str, ...]) -> bool:
    """Do sysconfig and os (which it imports) come from the stdlib, or frozen?  A copy ahead
    of it on sys.path (sys.path[0] included: the probe's code runs after it is inserted) is
    code the model does not run."""
    if not calc.inputs.build.frozen_modules and not calc.inputs.build.builtin_modules:
        return True  # constants made by hand: nothing to resolve names with
    # Modules site already imported are taken from sys.modules, wherever a copy lies now.
    loaded = set(calc.ask("site_imports")) if calc.site_import else set()
    names = [name for name in ("sysconfig", "os") if name not in loaded]
    odd = imports.not_from_stdlib(imports.context_of(calc, path), names)
    if odd is not None:
        name, found = odd
        calc.step(R_INSTALL_UNKNOWN, "{module} from {origin!r}", module=name,
                  origin=found.origin if found else "nowhere")
        return False
    return True


def _sysconfig_flavour(calc: Calc) -> str:
    """Whose sysconfig module the process imports: the first on the search path (a package
    before a module, as FileFinder looks) decides, not the binary; a Debian one defines the
    posix_local scheme.  An upstream binary run with Debian's stdlib gets Debian's schemes.
    The build's flavour when none is found (sys.path[0] is not searched)."""
    for entry in calc.module_search_paths:
        for name in ("sysconfig/__init__.py", "sysconfig.py"):
            path = f"{entry}/{name}" if entry else name
            if calc.isfile(path):
                data = calc.read_bytes(path)
                if isinstance(data, bytes):
                    return "debian" if b"'posix_local'" in data else "upstream"
    return calc.inputs.build.flavour
