"""`prefixlab build check ENV` on venvs (ENV/pyvenv.cfg exists): PEP 405's promises judged by
running the venv's interpreter for real (impl/checks/venvcheck.py).

Every venv here is made by a real tool (``python -m venv``, ``prefixlab build venv``,
virtualenv, uv) from a real interpreter; what the venv must report comes from running the
real base, never from the model.  Where a venv is expected to break a promise, the reason is
a documented fact (cited at the test) about the tool or the interpreter version.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import in_scope_interpreters, interpreter_id, require_oracle

from prefixlab.impl.checks import venvcheck
from prefixlab.impl.cli.build import build_command
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.builders import venvpromises

pytestmark = pytest.mark.real

INTERPRETERS = in_scope_interpreters()
BIN = Path(sys.executable).parent
"""The project venv's bin: prefixlab, virtualenv and uv."""

CALLER_FILLED = {"venv.survives-outer-removal", "venv.retarget-link", "venv.move-target",
                 "venv.system-site-asked"}
"""The promises whose facts only a caller that changes the world or made the venv (conform)
can observe."""


def newest() -> Interpreter:
    require_oracle(bool(INTERPRETERS), "no in-scope interpreter here")
    return max(INTERPRETERS, key=lambda i: i.version or (0,))


def minor(interp: Interpreter) -> tuple[int, int]:
    assert interp.version is not None
    return interp.version[0], interp.version[1]


def check(*args: str) -> Result:
    return CliRunner().invoke(build_command, ["check", *args])


def statuses(result: Result) -> dict[str, str]:
    """promise id -> status word (held, failed, hazard, n/a), from the output lines."""
    out = {}
    for line in result.output.splitlines():
        word, _, rest = line.partition(" ")
        out[rest.strip().partition(":")[0]] = word
    return out


def as_json(result: Result) -> dict[str, object]:
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


def assert_all_held(result: Result) -> None:
    """Exit 0, every promise held but those only a caller can observe (not applicable)."""
    assert result.exit_code == 0, result.output
    want = {p.id: "n/a" if p.id in CALLER_FILLED else "held" for p in venvpromises.PROMISES}
    assert statuses(result) == want, result.output


def make(argv: list[str], scratch: Path, **environ: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, cwd=scratch, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(scratch), **environ})
    assert done.returncode == 0, done.stderr


def build(tool: str, python: str, venv: Path, scratch: Path, *, system: bool = False) -> None:
    """``venv`` made by ``tool`` from ``python`` (each tool's own spelling of 'no pip')."""
    flag = ["--system-site-packages"] if system else []
    if tool == "venv":
        make([python, "-m", "venv", "--without-pip", *flag, str(venv)], scratch)
    elif tool == "prefixlab":
        make([str(BIN / "prefixlab"), "build", "venv", str(venv), "--python", python, *flag],
             scratch)
    elif tool == "virtualenv":
        # --no-seed: no pip/setuptools/wheel (virtualenv's --without-pip)
        make([str(BIN / "virtualenv"), "-q", "--no-seed", "--no-periodic-update", "-p", python,
              *flag, str(venv)], scratch, VIRTUALENV_OVERRIDE_APP_DATA=str(scratch / "app-data"))
    else:
        make([str(BIN / "uv"), "venv", "-q", "-p", python, *flag, str(venv)], scratch,
             UV_PYTHON_DOWNLOADS="never", UV_CACHE_DIR=str(scratch / "uv-cache"))


@pytest.mark.parametrize("system", [False, True], ids=["isolated", "system-site"])
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_stdlib_venvs_hold_every_promise(interp: Interpreter, system: bool,
                                          tmp_path: Path) -> None:
    venv = tmp_path / "v"
    build("venv", interp.path, venv, tmp_path, system=system)
    assert_all_held(check(str(venv)))


@pytest.mark.parametrize("tool", ["prefixlab", "virtualenv", "uv"])
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_other_builders_venvs_hold_every_promise(interp: Interpreter, tool: str,
                                                 tmp_path: Path) -> None:
    venv = tmp_path / "v"
    build(tool, interp.path, venv, tmp_path)
    assert_all_held(check(str(venv)))


@pytest.mark.parametrize("tool", ["venv", "prefixlab", "virtualenv", "uv"])
def test_system_site_venvs_see_the_user_site(tool: str, tmp_path: Path) -> None:
    """With include-system-site-packages = true the user site directory is on sys.path
    (Lib/site.py: ENABLE_USER_SITE stays None, check_enableusersite() is True), and the
    check says so in --json."""
    venv = tmp_path / "v"
    build(tool, newest().path, venv, tmp_path, system=True)
    result = check(str(venv), "--json")
    assert result.exit_code == 0, result.output
    data = as_json(result)
    verdicts = {v["id"]: v for v in data["verdicts"]}  # type: ignore[attr-defined]
    user = verdicts["venv.user-site"]
    assert user["status"] == "held" and user["applies"] is True
    assert [pair[1] for pair in user["observed"]] == ["true", "on sys.path"]


def test_only_the_entries_that_exist_are_judged(tmp_path: Path) -> None:
    """3.8's venv made from python3 writes python and python3 but no python3.8 (its
    setup_python links 'python', 'python3' and the executable's own name); the entries
    that exist are judged, and all hold."""
    olds = [i for i in INTERPRETERS if minor(i) == (3, 8)
            and os.path.exists(os.path.join(os.path.dirname(i.path), "python3"))]
    require_oracle(bool(olds), "no CPython 3.8 with a python3 here")
    venv = tmp_path / "v"
    build("venv", os.path.join(os.path.dirname(olds[0].path), "python3"), venv, tmp_path)
    assert not os.path.lexists(venv / "bin" / "python3.8")
    result = check(str(venv), "--json")
    assert result.exit_code == 0, result.output
    verdicts = {v["id"]: v for v in as_json(result)["verdicts"]}  # type: ignore[attr-defined]
    entries = verdicts["venv.bin-entries"]
    assert entries["status"] == "held"
    assert [pair[0] for pair in entries["observed"]] == [str(venv / "bin" / "python"),
                                                         str(venv / "bin" / "python3")]


def test_json_is_one_object_with_every_verdict(tmp_path: Path) -> None:
    venv = tmp_path / "v"
    build("venv", newest().path, venv, tmp_path)
    result = check(str(venv), "--json")
    assert result.exit_code == 0, result.output
    data = as_json(result)
    assert data["schema"] == venvcheck.SCHEMA and data["passed"] is True
    assert (data["mode"], data["env"]) == ("venv", str(venv))
    assert os.path.realpath(str(data["base"])) == os.path.realpath(newest().path)
    verdicts = data["verdicts"]
    assert isinstance(verdicts, list)
    assert [v["id"] for v in verdicts] == [p.id for p in venvpromises.PROMISES]
    for v in verdicts:
        promise = venvpromises.BY_ID[v["id"]]
        assert v["kind"] == promise.kind and v["charged"] == promise.charged
        assert set(v) == {"id", "kind", "charged", "status", "held", "applies", "observed",
                          "expected"}
        assert v["applies"] is (v["id"] not in CALLER_FILLED)
        assert v["held"] is v["applies"]  # a verdict that does not apply never counts as held
    result = check(str(tmp_path), "--json")  # neither a venv nor an environment: one line
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "not an environment" in result.output, result.output


def test_a_venv_of_a_composed_environment_is_not_chained(tmp_path: Path) -> None:
    """A composed environment (prefixlab build env: ENV/bin/python, no pyvenv.cfg) is no
    venv: a venv made from it has home = ENV/bin and holds every promise."""
    env, venv = tmp_path / "env", tmp_path / "v"
    make([str(BIN / "prefixlab"), "build", "env", str(env), "--python", newest().path],
         tmp_path)
    build("venv", str(env / "bin" / "python"), venv, tmp_path)
    assert f"home = {env / 'bin'}\n" in (venv / "pyvenv.cfg").read_text()
    assert_all_held(check(str(venv)))


def test_a_venv_of_a_venv_is_chained_on_3_8_to_3_10(tmp_path: Path) -> None:
    """Lib/venv on 3.8-3.10 writes home = dirname(sys._base_executable), and there
    sys._base_executable is the venv's own python (POSIX): the inner venv's home is the outer
    venv's bin.  3.11+ take sys._base_executable from getpath (bpo-46028): the base's bin.
    Deleting the outer venv then breaks the chained inner venv only."""
    for interp in INTERPRETERS:
        scratch = tmp_path / interp_dir(interp)
        scratch.mkdir()
        outer, inner = scratch / "outer", scratch / "inner"
        build("venv", interp.path, outer, scratch)
        build("venv", str(outer / "bin" / "python"), inner, scratch)
        chained = minor(interp) <= (3, 10)
        result = check(str(inner))
        assert statuses(result)["venv.home-not-in-venv"] == ("failed" if chained else "held"), \
            result.output
        assert result.exit_code == (1 if chained else 0), result.output
        facts = observe(inner, scratch)
        shutil.rmtree(outer)
        after = venvcheck.start_env(str(inner), str(scratch / "after"))
        verdicts = by_id(dataclasses.replace(facts, after_outer_removed=after))
        assert verdicts["venv.survives-outer-removal"].held is not chained, after


def interp_dir(interp: Interpreter) -> str:
    return interpreter_id(interp)


def observe(venv: Path, scratch: Path, *, extras: bool = True) -> venvpromises.VenvFacts:
    work = scratch / "observe"
    work.mkdir(exist_ok=True)
    return venvcheck.observe(str(venv), None, str(work), user_site=extras, entries=extras,
                             nested=extras)


def by_id(facts: venvpromises.VenvFacts) -> dict[str, venvpromises.Verdict]:
    return {v.promise: v for v in venvpromises.judge(facts)}


def test_retargeting_the_link_home_goes_through_is_a_hazard(tmp_path: Path) -> None:
    """A venv made through a link (home = the link's directory) silently runs whatever the
    link names next (observed with stdlib venv and uv venv, 3.12 then 3.13; Lib/site.py
    venv() reads lib/pythonX.Y of the running version): after retargeting it to another
    version, the venv runs that version without its site-packages.  A hazard: reported, and
    the check still passes."""
    versions = {minor(i): i for i in INTERPRETERS}
    require_oracle(len(versions) >= 2, "fewer than two interpreter versions here")
    first, second = (versions[v] for v in sorted(versions)[-2:])
    links = tmp_path / "links"
    links.mkdir()
    (links / "python3").symlink_to(os.path.realpath(first.path))
    venv = tmp_path / "v"
    build("venv", str(links / "python3"), venv, tmp_path)
    facts = observe(venv, tmp_path, extras=False)
    (links / "python3").unlink()
    (links / "python3").symlink_to(os.path.realpath(second.path))
    after = venvcheck.start_env(str(venv), str(tmp_path / "after"))
    verdicts = venvpromises.judge(dataclasses.replace(facts, after_link_retargeted=after))
    retarget = next(v for v in verdicts if v.promise == "venv.retarget-link")
    assert retarget.applies and not retarget.held and retarget.kind == "hazard"
    assert venvcheck.status(retarget) == "hazard"
    assert second.version is not None
    assert ("version", "%d.%d.%d" % second.version) in retarget.observed
    assert venvcheck.passed(verdicts)
    skipped = {v.promise for v in verdicts if not v.applies}
    assert skipped == {"venv.user-site", "venv.bin-entries", "venv.nested-venv",
                       "venv.survives-outer-removal", "venv.move-target",
                       "venv.system-site-asked"}


def test_a_capitalised_false_splits_the_readers(tmp_path: Path) -> None:
    """include-system-site-packages = False: site.py lower-cases the value (isolated), pip's
    regex is case-sensitive and reads no 'false' (system site included): venv.cfg-readers
    fails while the venv itself is isolated (pip src/pip/_internal/utils/virtualenv.py,
    _INCLUDE_SYSTEM_SITE_PACKAGES_REGEX; Lib/site.py venv())."""
    venv = tmp_path / "v"
    build("venv", newest().path, venv, tmp_path)
    cfg = venv / "pyvenv.cfg"
    cfg.write_text(cfg.read_text().replace("= false", "= False"))
    result = check(str(venv))
    assert result.exit_code == 1, result.output
    got = statuses(result)
    assert got["venv.cfg-readers"] == "failed" and got["venv.isolation"] == "held", result.output
    line = next(x for x in result.output.splitlines() if "venv.cfg-readers:" in x)
    assert "pip: true" in line and "site.py: false" in line


def test_a_broken_bin_entry_fails(tmp_path: Path) -> None:
    """python3 (no other entry goes through it: venv links python and python3 to the
    versioned or base name) made a dangling link: bin-entries fails, the rest holds."""
    interp = newest()
    venv = tmp_path / "v"
    build("venv", interp.path, venv, tmp_path)
    entry = venv / "bin" / "python3"
    entry.unlink()
    entry.symlink_to(tmp_path / "nowhere")
    result = check(str(venv))
    assert result.exit_code == 1, result.output
    got = statuses(result)
    assert got["venv.bin-entries"] == "failed", result.output
    assert {i for i, word in got.items() if word == "failed"} == {"venv.bin-entries"}
    line = next(x for x in result.output.splitlines() if "venv.bin-entries:" in x)
    assert f"{entry}=failed: " in line


def test_the_base_may_be_a_bare_name_in_its_own_environment(tmp_path: Path) -> None:
    """conform names the base as a user would: a bare name found on the base's own PATH, run
    in its own working directory; and may pass in a base it already ran."""
    interp = newest()
    venv = tmp_path / "v"
    build("venv", interp.path, venv, tmp_path)
    name = os.path.basename(interp.path)
    env = {"PATH": os.path.dirname(interp.path) + ":/usr/bin:/bin", "HOME": str(tmp_path)}
    facts = venvcheck.observe(str(venv), name, str(tmp_path / "o1"), base_env=env,
                              base_cwd=str(tmp_path), user_site=False, entries=False,
                              nested=False)
    assert facts.base.how == name and facts.base.started
    assert venvpromises.passed(venvpromises.judge(facts))
    again = venvcheck.observe(str(venv), None, str(tmp_path / "o2"), base_start=facts.base)
    assert again.base == facts.base
    assert venvpromises.passed(venvpromises.judge(again))
    # a caller that ran ENV/bin/python itself (keeping the probe's outcome) passes it in:
    # not run again, and the user site (which must exist before that run) is not observed
    plain = venvcheck.start_env(str(venv), str(tmp_path / "o3"))
    given = venvcheck.observe(str(venv), None, str(tmp_path / "o3"), base_start=facts.base,
                              plain=plain, nested=False)
    assert given.plain is plain and given.user_site is None
    got = {v.promise: v for v in venvpromises.judge(given)}
    assert not got["venv.user-site"].applies and got["venv.bin-entries"].held


def test_the_base_may_be_a_pyenv_shim_or_a_relative_path(tmp_path: Path) -> None:
    """A pyenv shim on the base's PATH, selected by PYENV_VERSION (pyenv's documented
    override), and a path relative to the base's own working directory."""
    pyenv = [i for i in INTERPRETERS if i.source == "pyenv" and "/versions/" in i.path]
    require_oracle(bool(pyenv), "no pyenv interpreter here")
    interp = max(pyenv, key=lambda i: i.version or (0,))
    assert interp.version is not None
    root, _, rest = interp.path.partition("/versions/")
    shims = Path(root) / "shims"
    require_oracle(shims.is_dir(), f"no pyenv shims in {root}")
    venv = tmp_path / "v"
    build("venv", interp.path, venv, tmp_path)
    name = "python%d.%d" % interp.version[:2]
    env = {"PATH": f"{shims}:/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": root,
           "PYENV_VERSION": rest.partition("/")[0]}
    shim = venvcheck.observe(str(venv), name, str(tmp_path / "o1"), base_env=env,
                             base_cwd=str(tmp_path), user_site=False, entries=False,
                             nested=False)
    assert shim.base.started and shim.base.version == "%d.%d.%d" % interp.version
    assert venvpromises.passed(venvpromises.judge(shim))
    relative = os.path.relpath(interp.path, tmp_path)
    plain = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    rel = venvcheck.observe(str(venv), relative, str(tmp_path / "o2"), base_env=plain,
                            base_cwd=str(tmp_path), user_site=False, entries=False,
                            nested=False)
    # getpath.py (3.11+) does not normalise the joined argv[0]: the base reports '..' in its
    # prefix, the venv (made from the absolute path) the plain one: the same directory
    assert rel.base.how == relative
    assert os.path.samefile(rel.base.base_prefix, shim.base.base_prefix)
    assert venvpromises.passed(venvpromises.judge(rel))


def test_a_home_with_a_decoy_stdlib_gives_the_wrong_base(tmp_path: Path) -> None:
    """home names a directory whose bin holds a link to the base interpreter and whose lib
    holds a link to its stdlib: the venv starts, but its base_prefix is the decoy, not the
    base installation that the link in home runs (exit 1, venv.base failed)."""
    interp = newest()
    assert interp.version is not None
    xy = "python%d.%d" % interp.version[:2]
    real = Path(os.path.realpath(interp.path))
    venv = tmp_path / "v"
    make([interp.path, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    decoy = tmp_path / "decoy"
    (decoy / "bin").mkdir(parents=True)
    (decoy / "lib").mkdir()
    (decoy / "bin" / xy).symlink_to(real)
    base_prefix = subprocess.run([str(real), "-S", "-c", "import sys; print(sys.base_prefix)"],
                                 capture_output=True, text=True, env={}).stdout.strip()
    (decoy / "lib" / xy).symlink_to(Path(base_prefix) / "lib" / xy)
    cfg = venv / "pyvenv.cfg"
    lines = [f"home = {decoy / 'bin'}" if line.startswith("home") else line
             for line in cfg.read_text().splitlines()]
    cfg.write_text("\n".join(lines) + "\n")
    result = check(str(venv))
    assert result.exit_code == 1, result.output
    got = statuses(result)
    assert got["venv.base"] == "failed" and got["venv.starts"] == "held", result.output
    line = next(x for x in result.output.splitlines() if "venv.base:" in x)
    assert f"observed sys.base_prefix={decoy}," in line
    assert f"expected sys.base_prefix={base_prefix}," in line


def test_base_naming_another_interpreter_fails(tmp_path: Path) -> None:
    versions = {i.version[:2]: i for i in INTERPRETERS if i.version}
    require_oracle(len(versions) >= 2, "fewer than two interpreter versions here")
    first, second = sorted(versions)[-2:]
    venv = tmp_path / "v"
    make([versions[first].path, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    assert_all_held(check(str(venv), "--base", versions[first].path))
    result = check(str(venv), "--base", versions[second].path)
    assert result.exit_code == 1, result.output
    assert statuses(result)["venv.base"] == "failed", result.output


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    venv = tmp_path / "v"
    make([newest().path, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    result = check(str(venv), "--package", str(tmp_path))
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    cfg = venv / "pyvenv.cfg"
    cfg.write_text("".join(line + "\n" for line in cfg.read_text().splitlines()
                           if not line.startswith("home")))
    result = check(str(venv))
    assert result.exit_code == 2 and "no home key" in result.output, result.output
    result = check(str(tmp_path), "--base", newest().path)  # not a venv: --base is refused
    assert result.exit_code == 2 and "--base" in result.output, result.output


# home line variants that the readers take apart (Python/pathconfig.c _Py_FindEnvConfigValue
# for 3.8-3.10, Modules/getpath.py for 3.11+, Lib/site.py venv()); '{H}' is the home.
HOME_VARIANTS = ("home = {H}\n", "home = {H}", "home={H}\n", "home ={H}\n", "Home = {H}\n",
                 "\ufeffhome = {H}\n", "   home = {H}\n", "home\t=\t{H}\n", "home = {H}\r\n",
                 "home =  {H}\n", "home = {H}\nhome = /nonexistent\n", "home = {H} # c\n",
                 "#home = /nonexistent\nhome = {H}\n", "")
PROBE = ("import sys; print(repr((getattr(sys, '_home', None), sys.base_prefix, "
         "sys.executable, sys._base_executable)))")


@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_the_cfg_readers_read_home_as_the_real_interpreter(interp: Interpreter,
                                                            tmp_path: Path) -> None:
    """Each home line variant written into a --copies venv (so that getpath reads the
    venv's pyvenv.cfg on 3.8-3.10 too): site.py's reader gives the real sys._home, and the
    version's getpath reader gives the home getpath used, seen as sys._base_executable's
    directory (3.11+: home/<name> for an executable that is no link, gh-99204) or as
    sys.base_prefix (3.8-3.10: the prefix search starts from home; a decoy there holds a
    link to the stdlib, so a home that was used gives the decoy's prefix)."""
    xy = "python%d.%d" % minor(interp)
    real_prefix = subprocess.run([interp.path, "-S", "-c", "import sys; print(sys.base_prefix)"],
                                 capture_output=True, text=True, env={}).stdout.strip()
    decoy = tmp_path / "decoy"
    (decoy / "bin").mkdir(parents=True)
    (decoy / "lib").mkdir()
    (decoy / "lib" / xy).symlink_to(Path(real_prefix) / "lib" / xy)
    home = str(decoy / "bin")
    venv = tmp_path / "v"
    make([interp.path, "-m", "venv", "--without-pip", "--copies", str(venv)], tmp_path)
    assert interp.version is not None
    getpath = venvpromises.readers_for("%d.%d.%d" % interp.version)[0]
    for variant in HOME_VARIANTS:
        data = variant.replace("{H}", home).encode()
        (venv / "pyvenv.cfg").write_bytes(data)
        done = subprocess.run([str(venv / "bin" / "python"), "-c", PROBE], capture_output=True,
                              text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, (variant, done.stderr)
        sys_home, base_prefix, executable, base_executable = eval(done.stdout)
        site = venvpromises.read_cfg_as("site.py", data)
        used = venvpromises.read_cfg_as(getpath, data)
        assert not isinstance(site, str) and not isinstance(used, str)
        assert site["home"] == sys_home, variant
        value = used["home"]
        if getpath == "getpath (3.11+)":
            if value is None:
                assert base_executable == executable, variant
            else:
                assert os.path.dirname(base_executable) == value, variant
        else:
            took_decoy = value is not None and (value == home or value.startswith(home + " "))
            assert (base_prefix == str(decoy)) is took_decoy, (variant, value, base_prefix)


def test_a_moved_venv_fails_activate(tmp_path: Path) -> None:
    """stdlib venv writes ENV's absolute path into bin/activate (Lib/venv/__init__.py
    replace_variables, __VENV_DIR__): after the directory is renamed, activating it exports
    the old path and puts the old bin on PATH (the venv docs: venvs are not relocatable)."""
    interp = newest()
    make([interp.path, "-m", "venv", "--without-pip", str(tmp_path / "built")], tmp_path)
    (tmp_path / "built").rename(tmp_path / "moved")
    result = check(str(tmp_path / "moved"), "--json")
    verdict = next(v for v in as_json(result)["verdicts"]  # type: ignore[attr-defined]
                   if v["id"] == "venv.activate")
    assert verdict["status"] == "failed", verdict
    assert ["VIRTUAL_ENV", str(tmp_path / "built")] in verdict["observed"], verdict
    assert result.exit_code == 1


def test_a_venv_without_activate_leaves_it_unjudged(tmp_path: Path) -> None:
    """No bin/activate (none is required to use a venv): not observed, never held."""
    interp = newest()
    make([interp.path, "-m", "venv", "--without-pip", str(tmp_path / "v")], tmp_path)
    (tmp_path / "v" / "bin" / "activate").unlink()
    result = check(str(tmp_path / "v"))
    assert statuses(result)["venv.activate"] == "n/a", result.output
    assert result.exit_code == 0, result.output


def _quotes_its_templates(interp: Interpreter) -> bool:
    """Does this interpreter's own venv package quote what it puts into the activation
    scripts?  The fix of gh-124651 (CVE-2024-9287; 3.9.21, 3.10.16, 3.11.11, 3.12.8, 3.13.1,
    and backported by distributions) made Lib/venv/__init__.py quote them with shlex.quote."""
    done = subprocess.run([interp.path, "-I", "-S", "-c",
                           "import venv, sys; sys.stdout.write(open(venv.__file__).read())"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return "shlex.quote" in done.stdout


@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_a_shell_name_breaks_activate_where_venv_does_not_quote(tmp_path: Path,
                                                                interp: Interpreter) -> None:
    """A stdlib venv whose name holds a double quote and a dollar sign: its activate script
    works where the interpreter's venv package quotes (gh-124651's fix) and not elsewhere."""
    target = tmp_path / 'venv "q" $HOME'
    make([interp.path, "-m", "venv", "--without-pip", str(target)], tmp_path)
    got = statuses(check(str(target)))["venv.activate"]
    assert got == ("held" if _quotes_its_templates(interp) else "failed"), got
