"""The venv promises (model/builders/venvpromises.py) as data, and their judges on
hand-written facts: pyvenv.cfg read as each of its readers reads it (documented cases from
CPython's sources, Python/pathconfig.c _Py_FindEnvConfigValue for 3.8-3.10, Modules/getpath.py
for 3.11+ and Lib/site.py venv(), and from runs of real interpreters, and properties of the
readers against each other), a promise that needs the venv's start fails with the reason when the
start fails, and a promise whose facts were not observed does not apply (never counted as
held)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from prefixlab.model.builders import venvpromises
from prefixlab.model.builders.venvpromises import (HOME, SYSTEM_SITE, VERSION, Activation,
                                                   Start, VenvFacts, Verdict)

H = "/opt/py/bin"
BASE = Start("/b/bin/python3", True, prefix="/b", exec_prefix="/b", base_prefix="/b",
             base_exec_prefix="/b", version="3.12.1",
             path=("/b/lib/python312.zip", "/b/lib/python3.12",
                   "/b/lib/python3.12/site-packages"))
USER_SITE = "/s/home/.local/lib/python3.12/site-packages"


def venv_run(how: str = "/v/bin/python", *, version: str = "3.12.1", prefix: str = "/v",
             system: bool = False, user: bool = False) -> Start:
    """A run of a venv's python as a correct venv at /v reports it."""
    path = ["/b/lib/python312.zip", "/b/lib/python3.12", "/v/lib/python3.12/site-packages"]
    if user:
        path.append(USER_SITE)
    if system:
        path.append("/b/lib/python3.12/site-packages")
    return Start(how, True, prefix=prefix, exec_prefix=prefix, base_prefix="/b",
                 base_exec_prefix="/b", base_executable="/b/bin/python3.12", version=version,
                 path=tuple(path))


ACTIVATED = Activation("/usr/bin:/bin", True, virtual_env="/v", path="/v/bin:/usr/bin:/bin",
                       python="/v/bin/python", virtual_env_after=None,
                       path_after="/usr/bin:/bin")
"""What stdlib's activate does for /v (Lib/venv/scripts/common/activate: VIRTUAL_ENV and
PATH exported; deactivate puts _OLD_VIRTUAL_PATH back and unsets VIRTUAL_ENV)."""


def facts(**changes: object) -> VenvFacts:
    """A correct isolated venv /v of the base /b, every optional fact observed."""
    plain = venv_run()
    base = dataclasses.replace(plain, how="/b/bin/python3.12 -S", prefix="/b",
                               exec_prefix="/b", path=())
    made = VenvFacts("/v", False, plain, dataclasses.replace(plain, how="/v/bin/python -S"),
                     BASE, base, cfg=b"home = /b/bin\ninclude-system-site-packages = false\n"
                     b"version = 3.12.1\n", home_venvs=(), user_site=USER_SITE,
                     entries=(plain, venv_run("/v/bin/python3")),
                     nested=venv_run("/s/nested/bin/python", prefix="/s/nested"),
                     after_outer_removed=plain, after_link_retargeted=plain,
                     after_target_moved=plain, asked_system_site=False,
                     activation=ACTIVATED)
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


def verdicts(f: VenvFacts) -> dict[str, Verdict]:
    return {v.promise: v for v in venvpromises.judge(f)}


# -- the promises as data -------------------------------------------------------------------------
def test_every_promise_is_documented_and_the_first_ids_are_stable() -> None:
    ids = [p.id for p in venvpromises.PROMISES]
    assert len(ids) == len(set(ids)) == 16
    assert ids[:6] == ["venv.starts", "venv.prefixes", "venv.base", "venv.base-executable",
                       "venv.site-first", "venv.isolation"]
    for promise in venvpromises.PROMISES:
        assert promise.statement.endswith(".") and promise.source
        assert promise.kind in ("promise", "hazard")
        assert promise.charged in ("builder", "interpreter")
        assert promise.versions is None or promise.versions[0] <= promise.versions[1]
    hazards = {p.id for p in venvpromises.PROMISES if p.kind == "hazard"}
    assert hazards == {"venv.retarget-link", "venv.move-target"}
    # a venv made by ENV/bin/python -m venv is the interpreter's stdlib venv acting
    assert venvpromises.BY_ID["venv.nested-venv"].charged == "interpreter"


def test_a_promise_applies_to_its_versions_only() -> None:
    ranged = dataclasses.replace(venvpromises.BY_ID["venv.starts"], versions=((3, 8), (3, 10)))
    assert ranged.applies_to((3, 8)) and ranged.applies_to((3, 10))
    assert not ranged.applies_to((3, 11)) and not ranged.applies_to((3, 7))
    assert ranged.applies_to(None)  # an unknown version: judged
    assert venvpromises.minor_version("3.10.13") == (3, 10)
    assert venvpromises.minor_version("") is None


def test_judge_leaves_a_promise_outside_its_versions_unjudged(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ranged = dataclasses.replace(venvpromises.BY_ID["venv.starts"], versions=((3, 8), (3, 10)))
    monkeypatch.setattr(venvpromises, "PROMISES", (ranged,))
    broken = facts(plain=Start("/v/bin/python", False, error="x"))
    (verdict,) = venvpromises.judge(broken)  # the base is 3.12.1
    assert not verdict.applies and not verdict.held and not verdict.fails
    assert verdict.expected == (("versions", "3.8-3.10"),)
    older = dataclasses.replace(broken, base=dataclasses.replace(BASE, version="3.9.18"))
    (verdict,) = venvpromises.judge(older)
    assert verdict.applies and verdict.fails


def test_a_correct_venv_holds_every_promise() -> None:
    got = venvpromises.judge(facts())
    assert all(v.held and v.applies for v in got), [v for v in got if not v.held]
    assert venvpromises.passed(got)


def test_unobserved_facts_make_promises_not_apply_and_never_held() -> None:
    bare = VenvFacts("/v", False, venv_run(), venv_run("/v/bin/python -S"), BASE,
                     venv_run("/b/bin/python3.12 -S", prefix="/b"))
    got = verdicts(bare)
    not_applying = {i for i, v in got.items() if not v.applies}
    assert not_applying == {"venv.user-site", "venv.home-not-in-venv",
                            "venv.survives-outer-removal", "venv.retarget-link",
                            "venv.move-target", "venv.cfg-readers", "venv.bin-entries",
                            "venv.nested-venv", "venv.system-site-asked", "venv.activate"}
    for promise in not_applying:
        assert got[promise].held is False and not got[promise].fails
        assert all(value == "not observed" for _, value in got[promise].observed)
    assert venvpromises.passed(tuple(got.values()))


def test_hazards_are_reported_and_never_fail() -> None:
    moved = Start("/v/bin/python", False, error="Fatal Python error: x")
    got = verdicts(facts(after_target_moved=moved))
    assert not got["venv.move-target"].held and got["venv.move-target"].applies
    assert not got["venv.move-target"].fails
    assert venvpromises.passed(tuple(got.values()))
    removed = verdicts(facts(after_outer_removed=moved))
    assert removed["venv.survives-outer-removal"].fails
    assert not venvpromises.passed(tuple(removed.values()))


def test_a_failed_start_fails_every_promise_with_its_reason() -> None:
    failed = Start("/v/bin/python", False, error="Fatal Python error: x")
    f = VenvFacts("/v", False, failed, failed, BASE)
    got = venvpromises.judge(f)
    judged = [v for v in got if v.applies]
    assert [v.promise for v in judged] == [p.id for p in venvpromises.PROMISES[:6]]
    for verdict in judged:
        assert not verdict.held
        assert ("/v/bin/python", "failed: Fatal Python error: x") in verdict.observed


# -- the new judges ------------------------------------------------------------------------------
def test_user_site_follows_include_system_site_packages() -> None:
    # Lib/site.py venv(): isolated -> ENABLE_USER_SITE = False; system site -> the user site
    # directory is added when it exists (the observer created it)
    assert verdicts(facts())["venv.user-site"].held
    leaked = facts(plain=venv_run(user=True))
    assert not verdicts(leaked)["venv.user-site"].held
    system = facts(system_site=True, plain=venv_run(system=True, user=True))
    assert verdicts(system)["venv.user-site"].held
    missing = facts(system_site=True, plain=venv_run(system=True))
    assert not verdicts(missing)["venv.user-site"].held


def test_the_user_site_is_not_a_base_site_directory() -> None:
    base = dataclasses.replace(BASE, path=(*BASE.path, "/root/.local/lib/python3.12/site-packages"))
    system = facts(system_site=True, base=base, plain=venv_run(system=True, user=True),
                   base_user_site="/root/.local/lib/python3.12/site-packages")
    assert verdicts(system)["venv.isolation"].held
    assert not verdicts(dataclasses.replace(system, base_user_site=None))["venv.isolation"].held


def test_base_paths_compare_with_dot_dot_resolved_lexically() -> None:
    # a base run as ../../b/bin/python3 from /x/y reports '/x/y/../../b' (getpath.py 3.11+
    # joins argv[0] to the physical working directory unnormalised)
    dotted = dataclasses.replace(BASE, base_prefix="/x/y/../../b", base_exec_prefix="/b/.",
                                 path=tuple(p.replace("/b/", "/x/y/../../b/") for p in BASE.path))
    got = verdicts(facts(base=dotted))
    assert got["venv.base"].held and got["venv.nested-venv"].held
    system = verdicts(facts(base=dotted, system_site=True, plain=venv_run(system=True, user=True)))
    assert system["venv.isolation"].held
    # a different spelling through a link is not resolved: /p is not /b
    assert not verdicts(facts(base=dataclasses.replace(BASE, base_prefix="/p")))["venv.base"].held


def test_home_in_a_venv_fails() -> None:
    got = verdicts(facts(home_venvs=("/outer",)))["venv.home-not-in-venv"]
    assert not got.held and got.observed == (("venvs at home or its parent", "/outer"),)


def test_bin_entries_each_start_the_base_in_env() -> None:
    assert verdicts(facts(entries=(venv_run(),)))["venv.bin-entries"].held
    wrong_version = venv_run("/v/bin/python3", version="3.13.0")
    assert not verdicts(facts(entries=(venv_run(), wrong_version)))["venv.bin-entries"].held
    elsewhere = venv_run("/v/bin/python3", prefix="/b")
    assert not verdicts(facts(entries=(venv_run(), elsewhere)))["venv.bin-entries"].held
    broken = Start("/v/bin/python3.12", False, error="ENOENT")
    got = verdicts(facts(entries=(venv_run(), broken)))["venv.bin-entries"]
    assert not got.held and ("/v/bin/python3.12", "failed: ENOENT") in got.observed
    assert not verdicts(facts(entries=()))["venv.bin-entries"].held


def test_a_nested_venv_has_the_base_of_env() -> None:
    other = dataclasses.replace(venv_run("/s/n/bin/python"), base_prefix="/v")
    assert not verdicts(facts(nested=other))["venv.nested-venv"].held
    failed = Start("/v/bin/python -m venv --without-pip /s/n", False, error="Error: x")
    assert not verdicts(facts(nested=failed))["venv.nested-venv"].held


def test_after_a_retarget_the_venv_must_run_the_same_base() -> None:
    # a venv whose home names a link later retargeted to another version (run on real 3.12
    # and 3.13): the venv starts, runs the other version, and its own site-packages (for the
    # version it was made for) is not on sys.path (Lib/site.py venv() builds lib/pythonX.Y
    # from the running version)
    other = Start("/v/bin/python", True, prefix="/v", exec_prefix="/v", base_prefix="/c",
                  base_exec_prefix="/c", version="3.13.0",
                  path=("/c/lib/python3.13", "/c/lib/python3.13/lib-dynload"))
    got = verdicts(facts(after_link_retargeted=other))["venv.retarget-link"]
    assert got.applies and not got.held and got.kind == "hazard"
    assert ("version", "3.13.0") in got.observed
    assert ("ENV site-packages", "(not on sys.path)") in got.observed


# -- pyvenv.cfg's readers ------------------------------------------------------------------------
def homes(data: bytes) -> dict[str, str | None]:
    out = {}
    for name in ("getpath (3.8-3.10)", "getpath (3.11+)", "site.py", "virtualenv"):
        reading = venvpromises.read_cfg_as(name, data)
        assert not isinstance(reading, str)
        out[name] = reading[HOME]
    return out


def test_home_lines_as_real_interpreters_read_them() -> None:
    # home line variants run on real 3.8-3.13 interpreters (getpath: did it use home; site:
    # sys._home), as Python/pathconfig.c _Py_FindEnvConfigValue (3.8-3.10), Modules/getpath.py
    # (3.11+) and Lib/site.py venv() read them
    c, py, site = "getpath (3.8-3.10)", "getpath (3.11+)", "site.py"
    cases: list[tuple[bytes, str | None, str | None, str | None]] = [
        (b"home = /h\n", "/h", "/h", "/h"),
        (b"home = /h", None, "/h", "/h"),  # no final newline: getpath.c stops
        (b"home=/h\n", None, "/h", "/h"),
        (b"home =/h\n", None, "/h", "/h"),
        (b"Home = /h\n", None, "/h", "/h"),
        (b"\xef\xbb\xbfhome = /h\n", None, None, None),  # a BOM is stripped nowhere
        (b"   home = /h\n", "/h", "/h", "/h"),
        (b"home\t=\t/h\n", "/h", "/h", "/h"),
        (b"home = /h\r\n", "/h", "/h", "/h"),
        (b"home =  /h\n", " /h", "/h", "/h"),  # getpath.c consumes one delimiter after '='
        (b"home = /h\nhome = /nonexistent\n", "/h", "/h", "/nonexistent"),  # first vs last
        (b"home = /h # c\n", "/h # c", "/h # c", "/h # c"),  # no comment syntax after a value
        (b"", None, None, None),
    ]
    for data, want_c, want_py, want_site in cases:
        got = homes(data)
        assert (got[c], got[py], got[site]) == (want_c, want_py, want_site), data


def test_system_site_as_site_pip_and_uv_read_it() -> None:
    def meaning(data: bytes) -> tuple[str | None, ...]:
        out = []
        for name in ("site.py", "pip", "uv"):
            reading = venvpromises.read_cfg_as(name, data)
            assert not isinstance(reading, str)
            out.append(reading[SYSTEM_SITE])
        return tuple(out)

    assert meaning(b"include-system-site-packages = false\n") == ("false",) * 3
    assert meaning(b"include-system-site-packages = true\n") == ("true",) * 3
    assert meaning(b"") == ("true",) * 3  # site.py, pip and uv: absent means true
    # site.py and uv lower-case the value; pip's regex is case-sensitive
    # (pip src/pip/_internal/utils/virtualenv.py, _INCLUDE_SYSTEM_SITE_PACKAGES_REGEX)
    assert meaning(b"include-system-site-packages = False\n") == ("false", "true", "false")
    # site.py lower-cases keys; uv matches them case-sensitively, and so does pip's regex
    assert meaning(b"Include-System-Site-Packages = false\n") == ("false", "true", "true")
    # pip's regex is anchored at the line's start only (re.match), so leading blanks hide it
    assert meaning(b"  include-system-site-packages = false\n") == ("false", "true", "false")
    # site.py: the last line wins; pip: any 'false' line wins
    assert meaning(b"include-system-site-packages = false\ninclude-system-site-packages = "
                   b"true\n") == ("true", "false", "true")


def test_virtualenv_and_uv_readings() -> None:
    # virtualenv's PyEnvCfg: case kept, '#' keys skipped, surrounding quotes removed
    reading = venvpromises.read_cfg_as("virtualenv", b'#home = /x\nhome = "/h"\n'
                                       b"version_info = 3.12.1.final.0\nversion = 3.12.1\n")
    assert reading == {HOME: "/h", VERSION: "3.12.1"}
    # uv: version and version_info both set the version, the last one wins
    reading = venvpromises.read_cfg_as("uv", b"version = 3.12.1\nversion_info = 3.12.1.final.0\n")
    assert reading == {SYSTEM_SITE: "true", VERSION: "3.12.1.final.0"}
    # strict UTF-8 (uv's read_to_string); 32 KiB is getpath.c readlines' MemoryError
    for name, data in (("uv", b"\xff"), ("getpath (3.11+)", b"x" * 32768)):
        failed = venvpromises.read_cfg_as(name, data)
        assert isinstance(failed, str) and failed.startswith("unreadable"), name


def test_the_getpath_reader_is_the_interpreter_versions() -> None:
    # the behaviour table's arrangement: getpath.c up to 3.10, getpath.py from 3.11
    assert venvpromises.readers_for("3.10.13")[0] == "getpath (3.8-3.10)"
    assert "getpath (3.11+)" not in venvpromises.readers_for("3.10.13")
    assert venvpromises.readers_for("3.11.2")[0] == "getpath (3.11+)"
    assert "getpath (3.8-3.10)" not in venvpromises.readers_for("3.11.2")
    for unknown in ("", "2.7.18", "3.99.0"):
        assert {"getpath (3.8-3.10)", "getpath (3.11+)"} <= set(venvpromises.readers_for(unknown))


def test_cfg_readers_judge_names_the_disagreeing_readers() -> None:
    ok = verdicts(facts())["venv.cfg-readers"]
    assert ok.held
    # read by the venv interpreter's getpath: getpath.c on 3.10 wants 'home = value'
    spaced = facts(cfg=b"home=/b/bin\ninclude-system-site-packages = false\n",
                   plain=venv_run(version="3.10.13"))
    got = verdicts(spaced)["venv.cfg-readers"]
    assert not got.held
    observed = dict(got.observed)
    assert "getpath (3.8-3.10): (absent)" in observed[HOME]
    assert "site.py: /b/bin" in observed[HOME]
    # the same file is read alike where getpath is getpath.py (3.11+)
    assert verdicts(dataclasses.replace(spaced, plain=venv_run()))["venv.cfg-readers"].held
    # the base's version decides when the venv's interpreter did not start
    failed = Start("/v/bin/python", False, error="x")
    older = dataclasses.replace(spaced, plain=failed,
                                base=dataclasses.replace(BASE, version="3.10.13"))
    assert not verdicts(older)["venv.cfg-readers"].held
    unreadable = verdicts(facts(cfg=b"home = /b/bin\n\xff\n"))["venv.cfg-readers"]
    assert not unreadable.held


def test_cfg_as_site_reads_it() -> None:
    # site.py: key and value stripped, the key lower-cased, lines without '=' skipped;
    # include-system-site-packages is true when its value lower-cased is 'true', and when
    # the key is absent (Lib/site.py venv(): system_site = "true" before the loop).
    cfg = venvpromises.parse_cfg("Home = /opt/py/bin \nno equals sign\n"
                                 "include-system-site-packages=TRUE\n")
    assert cfg == (("home", "/opt/py/bin"), ("include-system-site-packages", "TRUE"))
    assert venvpromises.system_site(cfg)
    assert not venvpromises.system_site((("include-system-site-packages", "yes"),))
    assert venvpromises.system_site(())


# -- properties: the readers against each other ----------------------------------------------------
_SAFE = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789/._-"), min_size=1,
                max_size=12)
_OTHER_KEYS = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz_"), min_size=1, max_size=10)


@st.composite
def canonical_cfgs(draw: st.DrawFn) -> tuple[bytes, str, bool, str]:
    """pyvenv.cfg as venv writes it: 'key = value' lines, lower-case keys and true/false, a
    final newline, plain values, in any order, with other keys between."""
    home = "/" + draw(_SAFE)
    system = draw(st.booleans())
    version = draw(st.sampled_from(["3.8.18", "3.10.13", "3.12.1", "3.13.0"]))
    version_key = draw(st.sampled_from(["version", "version_info"]))
    lines = [f"home = {home}", f"include-system-site-packages = {str(system).lower()}",
             f"{version_key} = {version}"]
    others = draw(st.lists(st.tuples(_OTHER_KEYS, _SAFE), max_size=4))
    for key, value in others:
        assume(key not in ("home", "version", "version_info"))
        lines.append(f"{key} = {value}")
    order = draw(st.permutations(lines))
    return ("".join(line + "\n" for line in order)).encode(), home, system, version


@settings(max_examples=300, deadline=None)
@given(canonical_cfgs())
def test_every_reader_agrees_on_a_canonical_cfg(case: tuple[bytes, str, bool, str]) -> None:
    data, home, system, version = case
    for name in venvpromises.CFG_READERS:
        reading = venvpromises.read_cfg_as(name, data)
        assert not isinstance(reading, str)
        want = {HOME: home, SYSTEM_SITE: "true" if system else "false", VERSION: version}
        assert {k: v for k, v in reading.items()} == {k: want[k] for k in reading}, name
    for running in ("3.8.18", "3.12.1"):
        assert venvpromises.cfg_disagreements(venvpromises.cfg_readings(data, running)) == {}


_LINE_CHARS = st.sampled_from(list("homeHOME =\t#/xyz_-\ufeff\u00e9"))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(_LINE_CHARS, max_size=16), max_size=6), st.booleans())
def test_getpath_py_and_site_agree_on_one_home_line(lines: list[str], final: bool) -> None:
    """getpath.py takes the first home line, site.py the last; both strip and lower-case the
    key alike.  With at most one home line and no '\\r' (site's universal newlines end a line
    there, getpath.c's readlines only at '\\n'), they read the same home."""
    assume(sum(1 for line in lines if "=" in line
               and line.partition("=")[0].strip().lower() == "home") <= 1)
    data = ("\n".join(lines) + ("\n" if final else "")).encode()
    py = venvpromises.read_cfg_as("getpath (3.11+)", data)
    site = venvpromises.read_cfg_as("site.py", data)
    assert not isinstance(py, str) and not isinstance(site, str)
    assert py[HOME] == site[HOME]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_OTHER_KEYS, _SAFE), max_size=5), st.booleans(),
       st.integers(0, 5), st.sampled_from([" = ", "=", " =\t"]))
def test_site_pip_and_uv_agree_on_one_lower_case_flag(others: list[tuple[str, str]],
                                                       system: bool, at: int,
                                                       equals: str) -> None:
    """One include-system-site-packages line, its key and value lower-case at the line's
    start: every reader of the key reads the same flag, whatever the spacing around '='."""
    lines = [f"{k} = {v}" for k, v in others if k != "include_system_site_packages"]
    lines.insert(min(at, len(lines)), f"include-system-site-packages{equals}"
                                      f"{str(system).lower()}")
    data = "\n".join(lines).encode()  # no final newline: these readers do not need one
    want = "true" if system else "false"
    for name in ("site.py", "pip", "uv"):
        reading = venvpromises.read_cfg_as(name, data)
        assert not isinstance(reading, str) and reading[SYSTEM_SITE] == want, name


def test_a_venv_base_s_own_site_packages_are_not_the_system_site_packages() -> None:
    # venv-of-venv: the base /o is a venv of /b; PEP 405's "system site-packages" of the
    # inner venv are the base installation's, never /o's own site-packages (stdlib venv on
    # 3.11+ links the inner venv to /b itself).
    outer = Start("/o/bin/python", True, prefix="/o", exec_prefix="/o", base_prefix="/b",
                  base_exec_prefix="/b", version="3.12.1",
                  path=("/b/lib/python312.zip", "/b/lib/python3.12",
                        "/o/lib/python3.12/site-packages"))
    system = facts(system_site=True, base=outer, plain=venv_run(system=True))
    assert verdicts(system)["venv.isolation"].held
    isolated = facts(base=outer)
    assert verdicts(isolated)["venv.isolation"].held
    # The outer venv's own site-packages leaking into the inner one still breaks isolation.
    leaky = venv_run()
    leaky = dataclasses.replace(leaky, path=leaky.path + ("/b/lib/python3.12/site-packages",))
    with_base_sites = dataclasses.replace(outer, path=outer.path + (
        "/b/lib/python3.12/site-packages",))
    assert not verdicts(facts(base=with_base_sites, plain=leaky))["venv.isolation"].held


def test_no_user_site_is_required_when_the_base_itself_runs_without_one() -> None:
    # nixpkgs' wrappers export PYTHONNOUSERSITE: the base has no user site, nor can a venv
    # that runs through it; with the base showing one, its absence is the builder's fault.
    system = dict(system_site=True, plain=venv_run(system=True))
    off = verdicts(facts(**system, base_user_site_on=False))["venv.user-site"]
    assert not off.applies and not off.fails
    on = verdicts(facts(**system, base_user_site_on=True))["venv.user-site"]
    assert on.applies and on.fails
    assert verdicts(facts(**system, base_user_site_on=None))["venv.user-site"].fails


def test_a_linked_prefix_reported_resolved_is_the_same_base() -> None:
    # /l -> /b: the expected base was named through the link /l, the venv reports /b.
    linked = dataclasses.replace(BASE, prefix="/l", exec_prefix="/l", base_prefix="/l",
                                 base_exec_prefix="/l",
                                 path=("/l/lib/python3.12", "/l/lib/python3.12/site-packages"))
    real = (("/l", "/b"), ("/b", "/b"), ("/l/lib/python3.12/site-packages",
                                         "/b/lib/python3.12/site-packages"),
            ("/b/lib/python3.12/site-packages", "/b/lib/python3.12/site-packages"))
    same = facts(base=linked, real_paths=real, system_site=True, plain=venv_run(system=True))
    assert verdicts(same)["venv.base"].held
    assert verdicts(same)["venv.isolation"].held
    # Without the observed real paths (or with another installation) it is a failure.
    assert not verdicts(facts(base=linked))["venv.base"].held
    other = (("/l", "/c"), ("/b", "/b"))
    assert not verdicts(facts(base=linked, real_paths=other))["venv.base"].held


def test_the_builder_is_held_to_what_it_was_asked_for() -> None:
    """include-system-site-packages written true when the builder was not asked for the
    base's site-packages: the interpreter obeys the file (venv.isolation holds), the builder
    broke its promise (venv.system-site-asked fails); and the other way round."""
    unasked = facts(system_site=True, plain=venv_run(system=True), asked_system_site=False)
    got = verdicts(unasked)
    assert got["venv.isolation"].held
    assert got["venv.system-site-asked"].fails
    assert ("include-system-site-packages", "false") in got["venv.system-site-asked"].expected
    ignored = facts(asked_system_site=True)
    assert verdicts(ignored)["venv.system-site-asked"].fails
    assert verdicts(facts())["venv.system-site-asked"].held
    assert not verdicts(facts(asked_system_site=None))["venv.system-site-asked"].applies


@pytest.mark.parametrize("change, why", [
    ({"virtual_env": "/staging/v"}, "VIRTUAL_ENV names where the venv was built"),
    ({"virtual_env": None}, "VIRTUAL_ENV not set"),
    ({"path": "/usr/bin:/bin:/v/bin"}, "the venv's bin appended, not prepended"),
    ({"python": "/usr/bin/python"}, "python is not the venv's"),
    ({"python": ""}, "no python on PATH"),
    ({"python": "/v/bin/python3"}, "only python3 found"),
    ({"virtual_env_after": "/v"}, "deactivate leaves VIRTUAL_ENV"),
    ({"path_after": "/v/bin:/usr/bin:/bin"}, "deactivate leaves PATH"),
    ({"sourced": False, "error": "bin/activate: line 46: `fi'"}, "does not source"),
])
def test_activate_fails_for_each_broken_step(change: dict[str, object], why: str) -> None:
    broken = dataclasses.replace(ACTIVATED, **change)  # type: ignore[arg-type]
    got = verdicts(facts(activation=broken))["venv.activate"]
    assert got.applies and got.fails, why
    if broken.sourced:
        assert ("VIRTUAL_ENV", "/v") in got.expected and got.observed != got.expected


def test_activate_compares_directories_by_real_path() -> None:
    """A relocatable script (uv venv --relocatable, virtualenv's) finds ENV from its own
    location: the same directory named through a link is ENV."""
    relocated = dataclasses.replace(
        ACTIVATED, virtual_env="/link/v", path="/link/v/bin:/usr/bin:/bin",
        python="/link/v/bin/python",
        real_paths=(("/link/v", "/v"), ("/link/v/bin", "/v/bin"), ("/v", "/v"),
                    ("/v/bin", "/v/bin")))
    assert verdicts(facts(activation=relocated))["venv.activate"].held
    elsewhere = dataclasses.replace(relocated, real_paths=(("/link/v", "/w"),
                                                           ("/link/v/bin", "/w/bin")))
    assert verdicts(facts(activation=elsewhere))["venv.activate"].fails
