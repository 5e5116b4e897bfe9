"""CPython's command line and environment flags, as start-up sees them (Python/getopt.c,
Python/initconfig.c).

Only what changes where the interpreter looks is kept: -E, -I, -s, -S, -P, the PYTHON*
variables that mirror them, and what runs (-c, -m, a script, stdin).  Options that make the
interpreter print something before user code (-v, -h, -V, ...) are reported as not modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from prefixlab.model.speedups import dataclass
from prefixlab.model.world.build import Behaviour

# Short options that take an argument, and those that are plain flags (3.8-3.13).
_WITH_ARGUMENT = frozenset("cmWX")
_FLAGS = frozenset("bBdEiIOqsSuRx")
_NOT_MODELLED = frozenset("hvV?")
_LONG_WITH_ARGUMENT = frozenset({"check-hash-based-pycs"})

RunKind = Literal["c", "m", "script", "stdin"]


@dataclass(frozen=True)
class CommandLine:
    """What the interpreter's own argument parser made of argv[1:]."""

    flags: frozenset[str]
    run: RunKind
    target: str = ""
    """The -c command, the -m module or the script path."""
    usage_error: str = ""
    """The message of a usage error (the interpreter exits with status 2)."""
    not_modelled: str = ""
    """Why this command line is outside the model, if it is."""

    # Written out for the compiled build's speed (model/speedups.py).
    def __init__(self,
                 flags: frozenset[str],
                 run: RunKind,
                 target: str = "",
                 usage_error: str = "",
                 not_modelled: str = "") -> None:
        object.__setattr__(self, "flags", flags)
        object.__setattr__(self, "run", run)
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "usage_error", usage_error)
        object.__setattr__(self, "not_modelled", not_modelled)


def parse(args: tuple[str, ...], row: Behaviour) -> CommandLine:
    """Parse the interpreter's arguments (argv[1:]) as _PyOS_GetOpt does."""
    flags: set[str] = set()
    allowed = _FLAGS | ({"P"} if row.safe_path_option else set())
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-" or not arg.startswith("-") or arg == "--":
            if arg == "--":
                i += 1
                arg = args[i] if i < len(args) else "-"
            if arg == "-":
                return CommandLine(frozenset(flags), "stdin")
            return CommandLine(frozenset(flags), "script", arg)
        if arg.startswith("--"):
            name = arg[2:].partition("=")[0]
            if name in _LONG_WITH_ARGUMENT:
                i += 1 if "=" in arg else 2
                continue
            return CommandLine(frozenset(flags), "c", not_modelled=f"option {repr(arg)}")
        j = 1
        while j < len(arg):
            opt = arg[j]
            if opt in _WITH_ARGUMENT:
                value = arg[j + 1:]
                if not value:
                    i += 1
                    if i >= len(args):
                        return CommandLine(frozenset(flags), "c",
                                           usage_error=f"Argument expected for the -{opt} option")
                    value = args[i]
                if opt in "cm":
                    return CommandLine(frozenset(flags), "c" if opt == "c" else "m", value)
                break
            if opt in _NOT_MODELLED:
                return CommandLine(frozenset(flags), "c", not_modelled=f"option -{opt}")
            if opt not in allowed:
                return CommandLine(frozenset(flags), "c", usage_error=f"Unknown option: -{opt}")
            flags.add(opt)
            j += 1
        i += 1
    return CommandLine(frozenset(flags), "stdin")


@dataclass(frozen=True)
class StartupConfig:
    """The PyConfig fields that start-up path computation reads."""

    use_environment: bool
    isolated: bool
    safe_path: bool
    site_import: bool
    user_site: bool
    path0_suppressed: bool
    """No sys.path[0]: safe_path on 3.11+ (-P, -I, PYTHONSAFEPATH); isolated on 3.8-3.10."""
    pythonpath_env: str | None
    """PYTHONPATH when the environment is used and it is not empty."""
    platlibdir: str | None
    """PYTHONPLATLIBDIR when used (3.9+), else None (the build's PLATLIBDIR applies)."""

    # Written out for the compiled build's speed (model/speedups.py).
    def __init__(self,
                 use_environment: bool,
                 isolated: bool,
                 safe_path: bool,
                 site_import: bool,
                 user_site: bool,
                 path0_suppressed: bool,
                 pythonpath_env: str | None,
                 platlibdir: str | None) -> None:
        object.__setattr__(self, "use_environment", use_environment)
        object.__setattr__(self, "isolated", isolated)
        object.__setattr__(self, "safe_path", safe_path)
        object.__setattr__(self, "site_import", site_import)
        object.__setattr__(self, "user_site", user_site)
        object.__setattr__(self, "path0_suppressed", path0_suppressed)
        object.__setattr__(self, "pythonpath_env", pythonpath_env)
        object.__setattr__(self, "platlibdir", platlibdir)


def _env_value(env: Mapping[str, str], name: str, use_environment: bool) -> str | None:
    """config_get_env: ignored under -E/-I; an empty value counts as unset."""
    if not use_environment:
        return None
    value = env.get(name)
    return value or None


_C_SPACE = " \t\n\v\f\r"
_INT_MAX = 2**31 - 1


def env_flag(value: str) -> int:
    """A flag variable's level, as config_get_env_flag (Python/initconfig.c) reads it: a
    decimal C int (white space and a sign before the digits, nothing after; strtol's
    syntax); anything else, and a negative value, counts as 1.  So PYTHONNOUSERSITE=0
    leaves the user site on, as every interpreter here shows."""
    number = value.lstrip(_C_SPACE)
    digits = number[1:] if number[:1] in ("+", "-") else number
    if not digits or not (digits.isascii() and digits.isdigit()):
        return 1
    level = int(number)
    return level if 0 <= level <= _INT_MAX else 1


def startup_config(line: CommandLine, env: Mapping[str, str], row: Behaviour) -> StartupConfig:
    isolated = "I" in line.flags
    use_environment = not isolated and "E" not in line.flags
    safe_path = row.safe_path_option and (
        "P" in line.flags or isolated
        or _env_value(env, "PYTHONSAFEPATH", use_environment) is not None
    )
    no_user_site = _env_value(env, "PYTHONNOUSERSITE", use_environment)
    user_site = not (isolated or "s" in line.flags
                     or (no_user_site is not None and env_flag(no_user_site) != 0))
    return StartupConfig(
        use_environment=use_environment,
        isolated=isolated,
        safe_path=safe_path,
        site_import="S" not in line.flags,
        user_site=user_site,
        path0_suppressed=safe_path if row.safe_path_option else isolated,
        pythonpath_env=_env_value(env, "PYTHONPATH", use_environment),
        platlibdir=(_env_value(env, "PYTHONPLATLIBDIR", use_environment)
                    if row.has_platlibdir else None),
    )
