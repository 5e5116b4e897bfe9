"""Where site.py looks: the site-packages directories of a prefix and the user site.

Pure string computations, as site.py makes them with os.path (posixpath) functions: nothing
here touches the filesystem value.  Which directories exist is decided by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prefixlab.model.paths.posix import expanduser as posix_expanduser, join as posix_join
from prefixlab.model.world.account import Account
from prefixlab.model.world.build import Behaviour, BuildConstants


def _version_dir(build: BuildConstants, row: Behaviour) -> str:
    """pythonX.Y, with the free-threaded 't' in 3.13+ (Lib/site.py getsitepackages)."""
    thread = build.abi_thread if row.free_threading else ""
    return f"python{build.version[0]}.{build.version[1]}{thread}"


def libdirs(build: BuildConstants, row: Behaviour, platlibdir: str) -> list[str]:
    """[sys.platlibdir] plus 'lib' when it differs (3.9+, bpo-1294959); 3.8 only 'lib'."""
    if not row.has_platlibdir:
        return ["lib"]
    return [platlibdir] if platlibdir == "lib" else [platlibdir, "lib"]


def site_packages(prefixes: Sequence[str], build: BuildConstants, row: Behaviour,
                  platlibdir: str, *, in_venv: bool) -> list[str]:
    """site.getsitepackages(prefixes): empty and repeated prefixes are skipped.

    Debian's site.py (its python3.X package) replaces site-packages by dist-packages: in a
    virtual environment lib/pythonX.Y/site-packages first, then local/lib/pythonX.Y/
    dist-packages, lib/python3/dist-packages and <libdir>/pythonX.Y/dist-packages.
    ``in_venv`` is Debian's test, sys.base_prefix != sys.prefix at the time of the call.
    """
    found: list[str] = []
    seen: set[str] = set()
    version = _version_dir(build, row)
    for prefix in prefixes:
        if not prefix or prefix in seen:
            continue
        seen.add(prefix)
        if build.flavour == "debian":
            found.extend(_debian(prefix, build, row, platlibdir, in_venv))
        else:
            found.extend(posix_join(prefix, libdir, version, "site-packages")
                         for libdir in libdirs(build, row, platlibdir))
    return found


def _debian(prefix: str, build: BuildConstants, row: Behaviour, platlibdir: str,
            in_venv: bool) -> list[str]:
    # Debian's python3.11 3.11.2-6 site.py getsitepackages (read from /usr/lib/python3.11).
    version = f"python{build.version[0]}.{build.version[1]}"
    found = [posix_join(prefix, "lib", version, "site-packages")] if in_venv else []
    found.append(posix_join(prefix, "local/lib", version, "dist-packages"))
    found.append(posix_join(prefix, "lib", f"python{build.version[0]}", "dist-packages"))
    found.extend(posix_join(prefix, libdir, version, "dist-packages")
                 for libdir in libdirs(build, row, platlibdir))
    return found


def expanduser_home(env: Mapping[str, str], account: Account) -> str | None:
    """What posixpath.expanduser puts for '~': HOME if set (even empty), else the passwd
    home of the real uid; None when there is none (the path keeps its '~')."""
    if "HOME" in env:
        return env["HOME"]
    return account.home


def user_base(env: Mapping[str, str], account: Account) -> str:
    """site._getuserbase(): PYTHONUSERBASE when non-empty (read from os.environ, so -E does
    not hide it), else expanduser('~/.local')."""
    if env.get("PYTHONUSERBASE"):
        return env["PYTHONUSERBASE"]
    return posix_expanduser("~/.local", expanduser_home(env, account))


def user_site(base: str, build: BuildConstants, row: Behaviour) -> str:
    """site._get_path(userbase) on POSIX (not a macOS framework build)."""
    return f"{base}/lib/{_version_dir(build, row)}/site-packages"
