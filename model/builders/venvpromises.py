"""What every venv promises when its interpreter runs (PEP 405, the venv docs), as data with
pure judges: the venv mode of ``prefixlab build check`` and the judging step of ``prefixlab
conform`` (impl/checks/venvcheck.py runs the interpreters and hands over what they reported
as :class:`VenvFacts`).

Each :class:`Promise` has an id, a one-sentence statement, its source, a judge (a pure
function from the facts to a :class:`Judgement`: held or not, with the observed and expected
values by name), a ``kind`` (a ``promise`` fails the check when it does not hold; a
``hazard`` is reported and never fails it), the CPython minor versions it applies to
(``versions``: an inclusive (first, last) pair of (major, minor), None for every version) and
who answers for it (``charged``: the ``builder`` that made the venv, or the ``interpreter``
when the venv is made by the interpreter's own stdlib venv module, ``ENV/bin/python -m
venv``).  A judge whose facts were not observed returns a Judgement with ``applies=False``
("not observed"); so does :func:`judge` for a promise outside its versions.  A verdict that
does not apply is never counted as held.  The values are kept as the interpreters reported
them; escaping them for a terminal is the renderer's business.

The expected base is a real interpreter, run without -S: by default the one pyvenv.cfg's
``home`` names, else the one the caller names; its ``sys.base_prefix``,
``sys.base_exec_prefix``, version and site directories are what the venv must report and
(with ``include-system-site-packages = true``) see.

pyvenv.cfg is read here as each of its readers reads it (:data:`CFG_READERS`): getpath
(Python/pathconfig.c _Py_FindEnvConfigValue on 3.8-3.10, Modules/getpath.c readlines with
Modules/getpath.py on 3.11+), Lib/site.py venv(), pip, virtualenv and uv; the
``venv.cfg-readers`` promise asks that they agree on what the file says.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from typing import Literal

from prefixlab.model.paths import getpath
from prefixlab.model.speedups import dataclass
from prefixlab.model.startup import sitepth
from prefixlab.model.startup.getpath.venv import cfg_home, find_env_config_value
from prefixlab.model.world.build import UnsupportedVersion, behaviour_for

_PEP405 = "PEP 405 'Specification'"
_PEP405_ISOLATION = "PEP 405 'Isolation from system site-packages'"
_VENV_DOCS = "Python docs, venv 'How venvs work'"
_SITE = "CPython Lib/site.py venv() (include-system-site-packages)"

SITE_DIR_NAMES = ("site-packages", "dist-packages")
"""The last component of a site directory on sys.path (dist-packages: Debian's site.py)."""

Kind = Literal["promise", "hazard"]
Charged = Literal["builder", "interpreter"]
MinorVersion = tuple[int, int]
Versions = tuple[MinorVersion, MinorVersion]
"""An inclusive range of CPython minor versions: ((3, 8), (3, 10)) is 3.8, 3.9 and 3.10."""


# -- pyvenv.cfg as its readers read it ----------------------------------------------------------
HOME = "home"
SYSTEM_SITE = "include-system-site-packages"
VERSION = "version"
CFG_KEYS = (HOME, SYSTEM_SITE, VERSION)
"""The keys whose meaning the readers must agree on (``version``: version or version_info)."""

Reading = Mapping[str, "str | None"]
"""What one reader takes from pyvenv.cfg: for each key it reads, its value (None: absent).
include-system-site-packages is 'true' or 'false' (the reader's meaning, its default
included); home and version are the strings the reader ends up with."""


class _CfgUnreadable(ValueError):
    """A reader fails on the file (it does not decode, or is too large for it).  Private to
    the readers' callers in spirit: :func:`read_cfg_as` turns it into a value."""


def _site_lines(data: bytes) -> list[str]:
    # open(encoding='utf-8') in text mode: strict UTF-8, universal newlines (a lone '\r'
    # ends a line too), a BOM kept as U+FEFF (not whitespace, so never stripped).
    lines = sitepth.read_lines(data, "locale-text", "utf-8")
    if lines.error:
        raise _CfgUnreadable(f"not UTF-8 ({lines.error})")
    return list(lines)


def read_getpath_c(data: bytes) -> Reading:
    """getpath 3.8-3.10 (Python/pathconfig.c _Py_FindEnvConfigValue): the first line whose
    first token is exactly 'home' and second exactly '=', ending in a newline; the value
    after the one delimiter that follows '=', up to CR/LF (trailing blanks kept).  A line
    without a newline (the last, or an overlong one) ends the scan; '#' at column 0 is a
    comment.  Only home is read."""
    return {HOME: find_env_config_value(data, "home")}


def getpath_lines(data: bytes) -> list[str]:
    """Modules/getpath.c getpath_readlines (3.11+) on the file's bytes (model/paths/getpath)."""
    if len(data) >= getpath.READLINES_LIMIT:
        raise _CfgUnreadable("32 KiB or larger: getpath raises MemoryError")
    return getpath.split_lines(data)


def read_getpath_py(data: bytes) -> Reading:
    """getpath 3.11+ (Modules/getpath.py 'READ pyvenv.cfg'): the first line with a '=' whose
    key, stripped and lower-cased, is 'home'; its value stripped.  Only home is read."""
    return {HOME: cfg_home(getpath_lines(data))}


def read_site(data: bytes) -> Reading:
    """Lib/site.py venv() (3.8-3.13): every line with a '=', key stripped and lower-cased,
    value stripped; the last occurrence wins; include-system-site-packages is true when its
    value lower-cased is 'true', and when the key is absent (``system_site = "true"``)."""
    home: str | None = None
    system = "true"
    for line in _site_lines(data):
        if "=" in line:
            key, _, value = line.partition("=")
            key = key.strip().lower()
            if key == SYSTEM_SITE:
                system = value.strip().lower()
            elif key == HOME:
                home = value.strip()
    return {HOME: home, SYSTEM_SITE: "true" if system == "true" else "false"}


_PIP_SYSTEM_SITE = re.compile(r"include-system-site-packages\s*=\s*(?P<value>true|false)")


def read_pip(data: bytes) -> Reading:
    """pip (src/pip/_internal/utils/virtualenv.py _no_global_under_venv; pip 20 and 23.2): the
    file's lines (str.splitlines of the UTF-8 text); no global site-packages when any line
    *starts* with the case-sensitive regex 'include-system-site-packages\\s*=\\s*(true|false)'
    matching 'false'.  Only that key is read."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _CfgUnreadable(f"not UTF-8 ({error.reason})") from None
    for line in text.splitlines():  # open()'s universal newlines, then splitlines
        match = _PIP_SYSTEM_SITE.match(line)
        if match is not None and match.group("value") == "false":
            return {SYSTEM_SITE: "false"}
    return {SYSTEM_SITE: "true"}


def _virtualenv_pairs(data: bytes) -> list[tuple[str, str]]:
    """virtualenv's PyEnvCfg._read_values (src/virtualenv/create/pyenv_cfg.py, 21.x), one
    pair per line it keeps: Path.read_text (UTF-8, universal newlines) then str.splitlines;
    each line with a '=', key stripped (case kept; a key starting with '#' skipped), value
    stripped and one pair of matching surrounding quotes removed."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _CfgUnreadable(f"not UTF-8 ({error.reason})") from None
    pairs = []
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or key.startswith("#"):
            continue
        value = value.strip()
        if len(value) > 1 and value[0] in "'\"" and value[0] == value[-1]:
            value = value[1:-1]
        pairs.append((key, value))
    return pairs


def read_virtualenv(data: bytes) -> Reading:
    """virtualenv reads a venv's pyvenv.cfg back (creating over an existing one) into a
    table (the last occurrence of a key wins) and interprets no key itself; what the table
    holds under home, and under the version keys uv reads (the last of version and
    version_info), is its reading."""
    pairs = _virtualenv_pairs(data)
    versions = [value for key, value in pairs if key in ("version", "version_info")]
    return {HOME: dict(pairs).get("home"), VERSION: versions[-1] if versions else None}


# Rust's char::is_whitespace (Unicode White_Space), which str::trim strips.
_RUST_WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
                    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def read_uv(data: bytes) -> Reading:
    """uv (crates/uv-python/src/virtualenv.rs PyVenvConfiguration::parse, as of 0.13):
    str::lines (split on '\\n', one trailing '\\r' dropped), split at the first '=', key
    trimmed and matched case-sensitively; include-system-site-packages true when its value
    trimmed and lower-cased is 'true', and when absent; version and version_info both set
    the version, the last one wins.  uv does not read home from the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _CfgUnreadable(f"not UTF-8 ({error.reason})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    system = "true"
    version: str | None = None
    for line in lines:
        if line.endswith("\r"):
            line = line[:-1]
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key = key.strip(_RUST_WHITESPACE)
        if key == SYSTEM_SITE:
            system = "true" if value.strip(_RUST_WHITESPACE).lower() == "true" else "false"
        elif key in ("version", "version_info"):
            version = value.strip(_RUST_WHITESPACE)
    return {SYSTEM_SITE: system, VERSION: version}


CFG_READERS: Mapping[str, Callable[[bytes], Reading]] = {
    "getpath (3.8-3.10)": read_getpath_c,
    "getpath (3.11+)": read_getpath_py,
    "site.py": read_site,
    "pip": read_pip,
    "virtualenv": read_virtualenv,
    "uv": read_uv,
}
"""Every reader by name; :func:`readers_for` picks the getpath reader of one version."""


def readers_for(version: str) -> tuple[str, ...]:
    """The readers of a venv whose interpreter is ``version`` ('X.Y.Z'): its getpath's
    (the behaviour table's arrangement, model/world/build.py), then every tool's.  An
    unparsable or out-of-scope version keeps both getpath readers."""
    getpath: tuple[str, ...] = ("getpath (3.8-3.10)", "getpath (3.11+)")
    parts = version.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        try:
            arrangement = behaviour_for((int(parts[0]), int(parts[1]), int(parts[2]))).arrangement
        except UnsupportedVersion:
            pass
        else:
            getpath = (getpath[0],) if arrangement == "c-getpath" else (getpath[1],)
    return (*getpath, "site.py", "pip", "virtualenv", "uv")


def read_cfg_as(reader: str, data: bytes) -> Reading | str:
    """One reader's reading, or why it cannot read the file (a string)."""
    try:
        return CFG_READERS[reader](data)
    except _CfgUnreadable as error:
        return f"unreadable: {error}"


def parse_cfg(text: str) -> tuple[tuple[str, str], ...]:
    """pyvenv.cfg's keys (lower-cased) and values as CPython's site.py reads them: every
    line with a '=' (universal newlines), key and value stripped (Lib/site.py venv(),
    3.8-3.13)."""
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        key, sep, value = line.partition("=")
        if sep:
            out.append((key.strip().lower(), value.strip()))
    return tuple(out)


def system_site(cfg: tuple[tuple[str, str], ...]) -> bool:
    """include-system-site-packages as site.py reads it: true when its value, lower-cased, is
    'true', and when the key is absent (``system_site = "true"`` before the loop); the last
    occurrence wins (site.py assigns in file order)."""
    return dict(cfg).get(SYSTEM_SITE, "true").lower() == "true"


# -- the facts -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Start:
    """One run of an interpreter with the probe (impl/host/probe.py): started or not, and
    the sys values it reported."""

    how: str
    """The command, for reasons (e.g. 'ENV/bin/python -S')."""
    started: bool
    error: str = ""
    """Why it did not start (the probe's failure message)."""
    prefix: str = ""
    exec_prefix: str = ""
    base_prefix: str = ""
    base_exec_prefix: str = ""
    base_executable: str | None = None
    """sys._base_executable; None when the interpreter has none."""
    version: str = ""
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Activation:
    """What sourcing ENV/bin/activate in bash did, then ``deactivate`` (the observer's
    script: impl/checks/venvcheck.py ``activate``).  Variables are None when unset."""

    path_before: str
    """PATH before sourcing (the observer's clean PATH)."""
    sourced: bool
    """The script was sourced with exit status 0."""
    error: str = ""
    """Why not: the last line bash wrote on stderr, or the exit status."""
    virtual_env: str | None = None
    path: str = ""
    """PATH once activated."""
    python: str = ""
    """``command -v python`` once activated ('' when none is found)."""
    virtual_env_after: str | None = None
    """VIRTUAL_ENV after ``deactivate``."""
    path_after: str = ""
    """PATH after ``deactivate``."""
    real_paths: tuple[tuple[str, str], ...] = ()
    """Each directory named above (and ENV, ENV/bin), with its real path on disk, as the
    observer found it: a relocatable script's VIRTUAL_ENV is the same directory named
    another way."""


@dataclass(frozen=True)
class VenvFacts:
    """What the observer saw.  Every field after ``base_executable`` is optional: None means
    not observed, and the promise that needs it does not apply."""

    env: str
    """ENV as named: made absolute, not resolved."""
    system_site: bool
    """pyvenv.cfg's include-system-site-packages as site.py reads it (:func:`system_site`)."""
    plain: Start
    """ENV/bin/python without -S."""
    no_site: Start
    """ENV/bin/python -S."""
    base: Start
    """The expected base interpreter, run without -S."""
    base_executable: Start | None = None
    """sys._base_executable (of the run without -S) run with -S; None when there is none to
    run."""
    cfg: bytes | None = None
    """pyvenv.cfg's bytes, as the file holds them."""
    home_venvs: tuple[str, ...] | None = None
    """The venv roots met on the way to home: each of home and its parent (as written, and
    resolved) that holds a pyvenv.cfg file."""
    user_site: str | None = None
    """The user site directory the observer created before the venv's runs (a scratch HOME's
    ~/.local/lib/pythonX.Y/site-packages), the runs having the user site enabled (no -s, no
    PYTHONNOUSERSITE, uid == euid)."""
    base_user_site: str | None = None
    """The expected base run's own user site directory (from its environment), which is no
    site directory of the base installation."""
    base_user_site_on: bool | None = None
    """Whether the expected base, run as the venv's runs are (the same HOME, the user site
    directory made), puts the user site on its own sys.path; None when not observed.  A base
    whose wrapper disables it (nixpkgs' wrappers set PYTHONNOUSERSITE) gives venvs without
    it whatever the builder does."""
    entries: tuple[Start, ...] | None = None
    """Each interpreter entry in ENV/bin (python, python3, pythonX.Y: those that exist) run
    without -S."""
    nested: Start | None = None
    """The interpreter of a venv made with ``ENV/bin/python -m venv --without-pip``, run
    without -S (not started: the making or the run failed)."""
    after_outer_removed: Start | None = None
    """ENV/bin/python run after the caller deleted the outer venv or environment the base was
    reached through."""
    real_paths: tuple[tuple[str, str], ...] = ()
    """The real path (every link resolved) of the base prefixes and site directories the venv
    and the expected base reported, by value, as the observer found them on disk: the same
    installation named through a link to its prefix is the same base (the link's upgrade is
    a hazard of its own, venv.retarget-link)."""
    after_link_retargeted: Start | None = None
    """ENV/bin/python run after the caller retargeted the link that home goes through."""
    after_target_moved: Start | None = None
    """ENV/bin/python run after the caller moved the link's target (and the link with it)."""
    asked_system_site: bool | None = None
    """Whether the builder was asked for the base's site-packages (--system-site-packages);
    None when it is not known (a venv checked after the fact)."""
    activation: Activation | None = None
    """What sourcing ENV/bin/activate in bash did; None when not observed (the venv has no
    such script, or there is no bash)."""


Values = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Judgement:
    held: bool
    observed: Values
    expected: Values
    applies: bool = True
    """False: the facts the promise needs were not observed (held is then False too)."""


def not_observed(*what: str) -> Judgement:
    """The judgement of a promise whose facts were not observed."""
    return Judgement(False, tuple((name, "not observed") for name in what), (), applies=False)


@dataclass(frozen=True)
class Promise:
    id: str
    statement: str
    source: str
    judge: Callable[[VenvFacts], Judgement]
    kind: Kind = "promise"
    charged: Charged = "builder"
    versions: Versions | None = None
    """The CPython minor versions the promise applies to (inclusive); None: every one."""

    def applies_to(self, version: MinorVersion | None) -> bool:
        """Does the promise apply to an interpreter of this minor version (None: unknown,
        which every promise applies to)?"""
        if self.versions is None or version is None:
            return True
        first, last = self.versions
        return first <= version <= last


@dataclass(frozen=True)
class Verdict:
    promise: str
    held: bool
    observed: Values
    expected: Values
    applies: bool = True
    kind: Kind = "promise"
    charged: Charged = "builder"

    @property
    def fails(self) -> bool:
        """Does this verdict fail the check?  Only an applicable promise that did not hold
        does; hazards never do."""
        return self.applies and self.kind == "promise" and not self.held


def minor_version(version: str) -> MinorVersion | None:
    """(major, minor) of 'X.Y.Z'; None when it is not one."""
    parts = version.split(".")
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
        return int(parts[0]), int(parts[1])
    return None


# -- the judges ---------------------------------------------------------------------------------
def _start_values(start: Start) -> Values:
    return ((start.how, "started" if start.started else f"failed: {start.error}"),)


def _not_started(facts: VenvFacts, expected: Values) -> Judgement | None:
    """The judgement of a promise that needs the run without -S, when that run failed."""
    if facts.plain.started:
        return None
    return Judgement(False, _start_values(facts.plain), expected)


def judge_starts(facts: VenvFacts) -> Judgement:
    expected = ((facts.plain.how, "started"), (facts.no_site.how, "started"))
    observed = _start_values(facts.plain) + _start_values(facts.no_site)
    return Judgement(facts.plain.started and facts.no_site.started, observed, expected)


def judge_prefixes(facts: VenvFacts) -> Judgement:
    expected = (("sys.prefix", facts.env), ("sys.exec_prefix", facts.env))
    failed = _not_started(facts, expected)
    if failed is not None:
        return failed
    observed = (("sys.prefix", facts.plain.prefix), ("sys.exec_prefix", facts.plain.exec_prefix))
    return Judgement(observed == expected, observed, expected)


def same_path(a: str, b: str) -> bool:
    """Do two reported paths name the same directory, '.' and '..' components aside?  An
    interpreter run by a relative path reports them (getpath.py 3.11+ joins argv[0] to the
    working directory without normalising it: '../../root/.pyenv/versions/3.13.0/bin/python3.13'
    from /tmp/x reports base_prefix '/tmp/x/../../root/.pyenv/versions/3.13.0', while a venv
    made by it records a normalised home); the working directory is physical, so such a
    '..' undoes a real directory.  Symlinks are not resolved: a base reached through a
    linked prefix is a different spelling (pypa/virtualenv#2770)."""
    return posixpath.normpath(a) == posixpath.normpath(b)


def _same_values(observed: Values, expected: Values) -> bool:
    return len(observed) == len(expected) and all(
        o_name == e_name and (o == e or same_path(o, e))
        for (o_name, o), (e_name, e) in zip(observed, expected))


def judge_base(facts: VenvFacts) -> Judgement:
    """The venv's base is the expected base's installation: the same prefixes as reported,
    or the same installation on disk (a prefix named through a link, reported resolved: a
    stdlib venv of an exe-only link to a linked prefix falls back to the compiled-in PREFIX,
    which is that prefix resolved).  A different installation (a relocated copy's venv
    falling back to the original's PREFIX, cpython#106045) is a failure."""
    base = facts.base
    expected = (("sys.base_prefix", base.base_prefix),
                ("sys.base_exec_prefix", base.base_exec_prefix), ("version", base.version))
    failed = _not_started(facts, expected)
    if failed is not None:
        return failed
    p = facts.plain
    observed = (("sys.base_prefix", p.base_prefix), ("sys.base_exec_prefix", p.base_exec_prefix),
                ("version", p.version))
    return Judgement(_same_base(facts, observed, expected), observed, expected)


def _same_base(facts: VenvFacts, observed: Values, expected: Values) -> bool:
    """The same values as reported, or naming the same installation on disk (the observer's
    real paths)."""
    real = dict(facts.real_paths)
    resolved = tuple((name, real.get(value, value)) for name, value in observed)
    wanted = tuple((name, real.get(value, value)) for name, value in expected)
    return _same_values(observed, expected) or _same_values(resolved, wanted)


def judge_base_executable(facts: VenvFacts) -> Judgement:
    expected = (("sys._base_executable", "runs"), ("version", facts.plain.version or "?"))
    failed = _not_started(facts, expected)
    if failed is not None:
        return failed
    name = facts.plain.base_executable
    if not name:
        return Judgement(False, (("sys._base_executable", repr(name)),), expected)
    run = facts.base_executable
    if run is None or not run.started:
        why = "not run" if run is None else run.error
        return Judgement(False, (("sys._base_executable", name), ("run", f"failed: {why}")),
                         expected)
    observed = (("sys._base_executable", name), ("version", run.version))
    return Judgement(run.version == facts.plain.version, observed,
                     (("sys._base_executable", name), ("version", facts.plain.version)))


def is_site_dir(entry: str) -> bool:
    return entry.rstrip("/").rsplit("/", 1)[-1] in SITE_DIR_NAMES


def site_packages(env: str, version: str) -> str:
    """ENV's site-packages as venv lays it out: ENV/lib/pythonX.Y/site-packages (venv docs,
    'How venvs work')."""
    major, _, rest = version.partition(".")
    minor = rest.partition(".")[0]
    return f"{env}/lib/python{major}.{minor}/site-packages"


def own_site(facts: VenvFacts) -> str:
    """ENV's site-packages for the running version (:func:`site_packages`)."""
    return site_packages(facts.env, facts.plain.version)


def _inside(entry: str, directory: str) -> bool:
    return entry == directory or entry.startswith(directory.rstrip("/") + "/")


def judge_site_first(facts: VenvFacts) -> Judgement:
    failed = _not_started(facts, (("ENV site-packages", "on sys.path, first site directory"),))
    if failed is not None:
        return failed
    own = own_site(facts)
    expected = (("first site directory", own),)
    path = facts.plain.path
    sites = [p for p in path if is_site_dir(p)]
    first = sites[0] if sites else "(none)"
    observed = (("first site directory", first),)
    others = [i for i, p in enumerate(path) if is_site_dir(p) and not _inside(p, facts.env)]
    held = own in path and (not others or path.index(own) < min(others))
    return Judgement(held, observed, expected)


def base_sites(facts: VenvFacts) -> tuple[str, ...]:
    """The expected base's site directories on its own sys.path (in order), user site
    directories left out (they are the user's, judged by venv.user-site), and so are a venv
    base's own."""
    users = {facts.user_site, facts.base_user_site}
    base = facts.base
    # A base that is itself a venv (venv-of-venv) has its own site-packages first: those
    # are that venv's, not the base installation's, which is what PEP 405's "system
    # site-packages" names (and what stdlib venv links a venv-of-venv to on 3.11+).
    own = base.prefix if base.prefix and base.prefix != base.base_prefix else None
    return tuple(p for p in base.path if is_site_dir(p) and p not in users
                 and not (own is not None and _inside(p, own)))


def judge_isolation(facts: VenvFacts) -> Judgement:
    sites = base_sites(facts)
    flag = "true" if facts.system_site else "false"
    want = ", ".join(sites) if facts.system_site else "(none)"
    expected = (("include-system-site-packages", flag), ("base site directories", want))
    failed = _not_started(facts, expected)
    if failed is not None:
        return failed
    real = dict(facts.real_paths)

    def place(entry: str) -> str:  # the same directory, however it was named
        return real.get(entry, posixpath.normpath(entry))

    on_path = {place(p) for p in facts.plain.path}
    seen = [s for s in sites if place(s) in on_path]
    observed = (("include-system-site-packages", flag),
                ("base site directories", ", ".join(seen) or "(none)"))
    held = len(seen) == len(sites) if facts.system_site else not seen
    return Judgement(held, observed, expected)


def judge_system_site_asked(facts: VenvFacts) -> Judgement:
    """The builder wrote what it was asked for: pyvenv.cfg's include-system-site-packages
    (as site.py reads it) is the request, so the base's site directories are on sys.path
    only when they were asked for.  venv.isolation holds the interpreter to the file; this
    holds the builder to the request (a builder that writes true unasked passes that one)."""
    asked = facts.asked_system_site
    if asked is None:
        return not_observed("what the builder was asked for")
    want = "true" if asked else "false"
    expected = (("asked", "--system-site-packages" if asked else "no system site-packages"),
                ("include-system-site-packages", want))
    observed = (expected[0], ("include-system-site-packages",
                              "true" if facts.system_site else "false"))
    return Judgement(facts.system_site == asked, observed, expected)


def judge_activate(facts: VenvFacts) -> Judgement:
    """Lib/venv/scripts/common/activate (and virtualenv's and uv's activate): sourced, it
    exports VIRTUAL_ENV as the venv's directory and puts its bin first on PATH, so that
    ``python`` is the venv's; ``deactivate`` puts PATH back and unsets VIRTUAL_ENV.  Names
    are compared as directories (their real paths): a relocatable script finds ENV from its
    own location.  The scripts of CPython before 3.9.21, 3.10.16, 3.11.11, 3.12.8 and 3.13.1
    break on a name holding ``"``, ``$``, a backquote or a backslash (gh-124651); conform's
    odd names hold none of them, so this judges what every version promises."""
    run = facts.activation
    if run is None:
        return not_observed("bin/activate sourced in bash")
    bin_dir = posixpath.join(facts.env, "bin")
    expected = (("VIRTUAL_ENV", facts.env), ("PATH[0]", bin_dir),
                ("command -v python", posixpath.join(bin_dir, "python")),
                ("VIRTUAL_ENV after deactivate", "unset"),
                ("PATH after deactivate", run.path_before))
    if not run.sourced:
        return Judgement(False, (("sourced", run.error or "failed"),), expected)
    observed = (("VIRTUAL_ENV", "unset" if run.virtual_env is None else run.virtual_env),
                ("PATH[0]", run.path.split(":")[0]), ("command -v python", run.python),
                ("VIRTUAL_ENV after deactivate",
                 "unset" if run.virtual_env_after is None else run.virtual_env_after),
                ("PATH after deactivate", run.path_after))
    real = dict(run.real_paths)

    def same_dir(value: str | None, wanted: str) -> bool:
        return value is not None and real.get(value, value) == real.get(wanted, wanted)

    held = (same_dir(run.virtual_env, facts.env)
            and same_dir(run.path.split(":")[0], bin_dir)
            and same_dir(posixpath.dirname(run.python), bin_dir)
            and posixpath.basename(run.python) == "python"
            and run.virtual_env_after is None and run.path_after == run.path_before)
    return Judgement(held, observed, expected)


def judge_user_site(facts: VenvFacts) -> Judgement:
    """Lib/site.py venv(): without system site packages, ``ENABLE_USER_SITE = False``; with
    them, main() asks check_enableusersite() (True here: no -s, no PYTHONNOUSERSITE, uid ==
    euid) and addusersitepackages adds the user site directory when it is a directory."""
    if facts.user_site is None:
        return not_observed("user site directory")
    if facts.system_site and facts.base_user_site_on is False:
        return Judgement(False, (("the expected base's own sys.path", "no user site"),),
                         (("include-system-site-packages", "true"),), applies=False)
    flag = "true" if facts.system_site else "false"
    want = "on sys.path" if facts.system_site else "absent from sys.path"
    expected = (("include-system-site-packages", flag), (facts.user_site, want))
    failed = _not_started(facts, expected)
    if failed is not None:
        return failed
    present = facts.user_site in facts.plain.path
    observed = (("include-system-site-packages", flag),
                (facts.user_site, "on sys.path" if present else "absent from sys.path"))
    return Judgement(present == facts.system_site, observed, expected)


def judge_home_not_in_venv(facts: VenvFacts) -> Judgement:
    if facts.home_venvs is None:
        return not_observed("venvs at home")
    expected = (("venvs at home or its parent", "(none)"),)
    observed = (("venvs at home or its parent", ", ".join(facts.home_venvs) or "(none)"),)
    return Judgement(not facts.home_venvs, observed, expected)


def judge_survives_outer_removal(facts: VenvFacts) -> Judgement:
    run = facts.after_outer_removed
    if run is None:
        return not_observed("ENV/bin/python after the outer environment was removed")
    return Judgement(run.started, _start_values(run), ((run.how, "started"),))


def _still_the_base(facts: VenvFacts, run: Start | None, what: str) -> Judgement:
    """After a change the caller made: ENV/bin/python starts, runs the expected base's
    version and sees ENV's site-packages for that version."""
    if run is None:
        return not_observed(f"ENV/bin/python after {what}")
    site = site_packages(facts.env, facts.base.version)
    expected = ((run.how, "started"), ("version", facts.base.version),
                ("ENV site-packages", site))
    if not run.started:
        return Judgement(False, _start_values(run), expected)
    observed = ((run.how, "started"), ("version", run.version),
                ("ENV site-packages", site if site in run.path else "(not on sys.path)"))
    return Judgement(observed == expected, observed, expected)


def judge_retarget_link(facts: VenvFacts) -> Judgement:
    return _still_the_base(facts, facts.after_link_retargeted, "the link was retargeted")


def judge_move_target(facts: VenvFacts) -> Judgement:
    return _still_the_base(facts, facts.after_target_moved, "the target was moved")


def cfg_readings(data: bytes, version: str) -> tuple[tuple[str, Reading | str], ...]:
    """Each reader's reading of ``data`` (:func:`readers_for` the interpreter's version)."""
    return tuple((name, read_cfg_as(name, data)) for name in readers_for(version))


def cfg_disagreements(readings: tuple[tuple[str, Reading | str], ...]) -> dict[str, Values]:
    """For each key on which the readers that read it do not all agree (a reader that cannot
    read the file disagrees with every other): their readings."""
    out: dict[str, Values] = {}
    for key in CFG_KEYS:
        seen: list[tuple[str, str]] = []
        for name, reading in readings:
            if isinstance(reading, str):
                seen.append((name, reading))
            elif key in reading:
                value = reading[key]
                seen.append((name, "(absent)" if value is None else value))
        if len({value for _, value in seen}) > 1:
            out[key] = tuple(seen)
    return out


def judge_cfg_readers(facts: VenvFacts) -> Judgement:
    if facts.cfg is None:
        return not_observed("pyvenv.cfg")
    # the getpath that reads the file is the venv interpreter's (the base's when it failed)
    running = facts.plain.version if facts.plain.started else facts.base.version
    readings = cfg_readings(facts.cfg, running)
    differ = cfg_disagreements(readings)
    expected = tuple((key, "one meaning for every reader") for key in CFG_KEYS)
    observed: list[tuple[str, str]] = []
    for key in CFG_KEYS:
        if key in differ:
            observed.append((key, "; ".join(f"{name}: {value}" for name, value in differ[key])))
        else:
            observed.append((key, "one meaning for every reader"))
    return Judgement(not differ, tuple(observed), expected)


def _entry_values(run: Start) -> tuple[str, str]:
    if not run.started:
        return run.how, f"failed: {run.error}"
    return run.how, f"{run.version}, sys.prefix {run.prefix}"


def judge_bin_entries(facts: VenvFacts) -> Judgement:
    if facts.entries is None:
        return not_observed("ENV/bin interpreter entries")
    if not facts.entries:
        return Judgement(False, (("ENV/bin interpreter entries", "(none)"),),
                         (("ENV/bin interpreter entries", "python, python3 or pythonX.Y"),))
    want = f"{facts.base.version}, sys.prefix {facts.env}"
    expected = tuple((run.how, want) for run in facts.entries)
    observed = tuple(_entry_values(run) for run in facts.entries)
    return Judgement(observed == expected, observed, expected)


def judge_nested(facts: VenvFacts) -> Judgement:
    run = facts.nested
    if run is None:
        return not_observed("a venv made with ENV/bin/python -m venv")
    expected = (("sys.base_prefix", facts.base.base_prefix), ("version", facts.base.version))
    if not run.started:
        return Judgement(False, _start_values(run), expected)
    observed = (("sys.base_prefix", run.base_prefix), ("version", run.version))
    return Judgement(_same_base(facts, observed, expected), observed, expected)


_GETPATH = "CPython Modules/getpath.py 'READ pyvenv.cfg' (3.11+), getpath.c (3.8-3.10)"

PROMISES: tuple[Promise, ...] = (
    Promise("venv.starts",
            "ENV/bin/python starts, without -S and with -S.",
            f"{_PEP405}; {_VENV_DOCS}", judge_starts),
    Promise("venv.prefixes",
            "Without -S, sys.prefix and sys.exec_prefix are ENV as named (absolute, not "
            "resolved).",
            f"{_PEP405} (sys.prefix and sys.exec_prefix point at the venv)", judge_prefixes),
    Promise("venv.base",
            "sys.base_prefix, sys.base_exec_prefix and the version are the expected base "
            "installation's (paths compared with '.' and '..' components resolved "
            "lexically).",
            f"{_PEP405} (sys.base_prefix and sys.base_exec_prefix: the base installation, "
            "found from pyvenv.cfg's home)", judge_base),
    Promise("venv.base-executable",
            "sys._base_executable names an interpreter that runs, of the same version.",
            "CPython Modules/getpath.py (base_executable, from home); Lib/venv/__init__.py "
            "(a venv made from a venv uses sys._base_executable)", judge_base_executable),
    Promise("venv.site-first",
            "ENV's site-packages is on sys.path before any other site directory.",
            f"{_PEP405_ISOLATION}; {_VENV_DOCS}", judge_site_first),
    Promise("venv.isolation",
            "The base's site directories are on sys.path when include-system-site-packages "
            "is true, and absent otherwise.",
            f"{_PEP405_ISOLATION}; {_SITE}", judge_isolation),
    Promise("venv.system-site-asked",
            "pyvenv.cfg's include-system-site-packages (as site.py reads it) is what the "
            "builder was asked for: true with --system-site-packages, false without.",
            f"{_PEP405_ISOLATION}; Python docs, venv '--system-site-packages'; {_SITE}",
            judge_system_site_asked),
    Promise("venv.user-site",
            "The user site directory is on sys.path when include-system-site-packages is "
            "true (and the user site is enabled), and absent otherwise.",
            f"{_PEP405_ISOLATION} (the user site counts as system site); CPython Lib/site.py "
            "venv() (ENABLE_USER_SITE = False), _get_path (~/.local/lib/pythonX.Y/"
            "site-packages)", judge_user_site),
    Promise("venv.home-not-in-venv",
            "pyvenv.cfg's home is not a venv's directory: neither it nor its parent holds a "
            "pyvenv.cfg (a venv's home in another venv chains it to that venv).",
            f"{_GETPATH}: an interpreter is a venv's when pyvenv.cfg is in its directory or "
            "the parent; PEP 405 (home: the directory of the base installation's "
            "interpreter)", judge_home_not_in_venv),
    Promise("venv.survives-outer-removal",
            "ENV/bin/python still starts after the outer venv or environment the base was "
            "reached through is deleted.",
            f"{_PEP405} (the venv depends on its base installation only); CPython "
            "gh-128670", judge_survives_outer_removal),
    Promise("venv.retarget-link",
            "After the link home goes through is retargeted, ENV/bin/python still runs the "
            "base's version with ENV's site-packages.",
            "CPython Lib/venv/__init__.py (home is the unresolved directory of the "
            "interpreter venv ran as); gh-128670", judge_retarget_link, kind="hazard"),
    Promise("venv.move-target",
            "After the link's target is moved (and the link follows it), ENV/bin/python "
            "still runs the base's version with ENV's site-packages.",
            "CPython Modules/getpath.py (home, base_executable = realpath(executable)); "
            "pypa/virtualenv#2770 (resolved paths pin the venv to the target)",
            judge_move_target, kind="hazard"),
    Promise("venv.cfg-readers",
            "pyvenv.cfg's home, include-system-site-packages and version mean the same to "
            "getpath, site.py, pip, virtualenv and uv.",
            "CPython Python/pathconfig.c _Py_FindEnvConfigValue (3.8-3.10), Modules/getpath.c "
            "readlines and getpath.py (3.11+), Lib/site.py venv(); pip utils/virtualenv.py; "
            "virtualenv create/pyenv_cfg.py; uv crates/uv-python/src/virtualenv.rs",
            judge_cfg_readers),
    Promise("venv.bin-entries",
            "Every interpreter entry in ENV/bin (python, python3, pythonX.Y: those that "
            "exist) starts the base's version with sys.prefix ENV.",
            f"{_VENV_DOCS}; CPython Lib/venv/__init__.py setup_python (the python, python3 "
            "and pythonX.Y links)", judge_bin_entries),
    Promise("venv.activate",
            "Sourcing ENV/bin/activate in bash sets VIRTUAL_ENV to ENV and puts ENV/bin "
            "first on PATH (python is ENV/bin/python); deactivate restores PATH and unsets "
            "VIRTUAL_ENV.",
            f"{_VENV_DOCS} (activating puts the venv's bin first on PATH); CPython "
            "Lib/venv/scripts/common/activate", judge_activate),
    Promise("venv.nested-venv",
            "A venv made with ENV/bin/python -m venv --without-pip has the expected base's "
            "sys.base_prefix and version.",
            "CPython Lib/venv/__init__.py (sys._base_executable, bpo-46028 / gh-30144); "
            f"{_PEP405}", judge_nested, charged="interpreter"),
)
BY_ID: dict[str, Promise] = {p.id: p for p in PROMISES}


def judge(facts: VenvFacts) -> tuple[Verdict, ...]:
    """One verdict per promise, in :data:`PROMISES` order.  A promise outside its
    ``versions`` (for the expected base's version) does not apply."""
    out = []
    running = minor_version(facts.base.version)
    for promise in PROMISES:
        if promise.applies_to(running):
            j = promise.judge(facts)
        else:
            j = Judgement(False, (("version", facts.base.version),),
                          (("versions", _versions_text(promise.versions)),), applies=False)
        held = j.held and j.applies
        out.append(Verdict(promise.id, held, j.observed, j.expected, j.applies, promise.kind,
                           promise.charged))
    return tuple(out)


def _versions_text(versions: Versions | None) -> str:
    if versions is None:
        return "every version"
    (a, b), (c, d) = versions
    return f"{a}.{b}-{c}.{d}"


def passed(verdicts: tuple[Verdict, ...]) -> bool:
    """Every applicable promise held (hazards and verdicts that do not apply never fail)."""
    return not any(v.fails for v in verdicts)
