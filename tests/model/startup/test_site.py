"""The site layer against real interpreters: site-packages, .pth files, the user site,
include-system-site-packages, nixpkgs' sitecustomize, and code the model does not run.

Expected values come from the real interpreters (prefixlab diff: predicted == probed), and from
what CPython's site.py documents (tested through the model's own outcome where a rule is a
documented fact, never a copied output)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from prefixlab.impl.builders import nixsite
from prefixlab.impl.cli.main import main
from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.model.startup import sitecode
from prefixlab.model.startup import sitepth
from conftest import in_scope_interpreters, interpreter_id, require_oracle

INTERPRETERS = in_scope_interpreters()


def diff(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(main, ["diff", "--json", *args], catch_exceptions=False)
    data: dict[str, object] = json.loads(result.stdout)
    assert result.exit_code in (0, 1), result.output
    return data


def x_y(interp: Interpreter) -> str:
    assert interp.version is not None
    return "%d.%d" % interp.version[:2]


def site_packages(base: Path, interp: Interpreter) -> Path:
    path = base / "lib" / f"python{x_y(interp)}" / "site-packages"
    path.mkdir(parents=True)
    return path


def venv(root: Path, interp: Interpreter, cfg: str) -> Path:
    (root / "venv" / "bin").mkdir(parents=True)
    (root / "venv" / "bin" / "python").symlink_to(interp.real_path)
    (root / "venv" / "pyvenv.cfg").write_text(
        f"home = {os.path.dirname(interp.real_path)}\n{cfg}")
    return root / "venv"


def agree(data: dict[str, object]) -> None:
    assert data["equal"] is True, data["differences"]


def test_interpreters_are_here() -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter was found on this machine")


# -- venv site-packages, .pth files and include-system-site-packages ------------------------------
PTH = (
    "# a comment\n"
    "{extra}\n"
    "{extra}/../extra\n"          # the same directory once normalised: added once
    "{missing}\n"                  # does not exist: skipped
    "relative-dir\n"               # relative to the site directory
    "import sys\n"                 # code: listed, not run
    "{extra2}\x0cstuff\n"          # a form feed: 3.13 splits the line there (str.splitlines)
    "\n"
)


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
@pytest.mark.parametrize("system_site", ["true", "false", "TRUE", "yes"])
def test_venv_site_packages_and_pth_lines(interp: Interpreter, system_site: str,
                                          tmp_path: Path) -> None:
    root = venv(tmp_path, interp, f"include-system-site-packages = {system_site}\n")
    sp = site_packages(root, interp)
    (sp / "relative-dir").mkdir()
    for name in ("extra", "extra2"):
        (tmp_path / name).mkdir()
    (sp / "a.pth").write_text(PTH.format(extra=tmp_path / "extra", extra2=tmp_path / "extra2",
                                         missing=tmp_path / "missing"))
    (sp / ".hidden.pth").write_text(f"{tmp_path / 'extra2'}\n")  # skipped by 3.13 (gh-113659)
    (sp / "b.pth").write_bytes(b"\xef\xbb\xbf" + str(tmp_path / "extra").encode() + b"\r\n")
    data = diff("--cwd", str(tmp_path), "--clear-env", "venv/bin/python", "-c", "pass")
    agree(data)
    predicted = data["predicted"]
    assert isinstance(predicted, dict)
    path = predicted["path"]
    assert str(sp) in path and path.count(str(tmp_path / "extra")) == 1
    # Only the exact value 'true' keeps the base installation's site-packages (site.py venv()).
    base_dirs = [p for p in path if p.endswith("-packages") and not p.startswith(str(tmp_path))]
    assert bool(base_dirs) == (system_site.lower() == "true")


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_failing_import_line_and_undecodable_pth(interp: Interpreter, tmp_path: Path) -> None:
    root = venv(tmp_path, interp, "")
    sp = site_packages(root, interp)
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    (sp / "a.pth").write_text(f"{tmp_path / 'before'}\nimport prefixlab_absent_module\n"
                              f"{tmp_path / 'after'}\n")
    data = diff("--cwd", str(tmp_path), "--clear-env", "venv/bin/python", "-c", "pass")
    agree(data)
    predicted = data["predicted"]
    assert isinstance(predicted, dict)
    assert str(tmp_path / "before") in predicted["path"]
    assert str(tmp_path / "after") not in predicted["path"]  # the rest of the file is ignored
    (sp / "b.pth").write_bytes(b"\xff\n")
    data = diff("--cwd", str(tmp_path), "--clear-env", "venv/bin/python", "-c", "pass")
    agree(data)
    assert isinstance(data["predicted"], dict) and data["predicted"]["status"] == "startup-failed"


# -- the user site --------------------------------------------------------------------------------
@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
@pytest.mark.parametrize("how", ["HOME", "PYTHONUSERBASE", "-s", "PYTHONNOUSERSITE", "-E"])
def test_user_site(interp: Interpreter, how: str, tmp_path: Path) -> None:
    base = tmp_path / ("home/.local" if how != "PYTHONUSERBASE" else "ub")
    user = site_packages(base, interp)
    (tmp_path / "from-user-pth").mkdir()
    (user / "u.pth").write_text(f"{tmp_path / 'from-user-pth'}\n")
    env = ["--env", f"HOME={tmp_path / 'home'}"]
    args = ["-c", "pass"]
    if how == "PYTHONUSERBASE":
        env += ["--env", f"PYTHONUSERBASE={base}"]
    elif how == "-s":
        args = ["-s", *args]
    elif how == "PYTHONNOUSERSITE":
        env += ["--env", "PYTHONNOUSERSITE=1"]
    elif how == "-E":  # -E ignores PYTHONNOUSERSITE, but site reads PYTHONUSERBASE anyway
        env += ["--env", "PYTHONNOUSERSITE=1", "--env", f"PYTHONUSERBASE={base}"]
        args = ["-E", *args]
    data = diff("--cwd", str(tmp_path), "--clear-env", *env, interp.real_path, *args)
    agree(data)
    predicted = data["predicted"]
    assert isinstance(predicted, dict)
    enabled = how in ("HOME", "PYTHONUSERBASE", "-E")
    assert (str(user) in predicted["path"]) == enabled
    assert (str(tmp_path / "from-user-pth") in predicted["path"]) == enabled


# -- nixpkgs' sitecustomize (our stand-in, recognised by digest) ------------------------------------
def test_stand_in_digest_is_the_one_recognised() -> None:
    assert nixsite.digest() == sitecode.NIX_STAND_IN_SHA256
    code = sitecode.customize("sitecustomize", "/x/sitecustomize.py",
                              nixsite.SITECUSTOMIZE_TEXT.encode())
    assert code.known_as == sitecode.NIX_SITECUSTOMIZE and code.may_change == ()
    other = sitecode.customize("sitecustomize", "/x/sitecustomize.py", b"import os\n")
    assert other.known_as == "" and "prefix" in other.may_change


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
@pytest.mark.parametrize("in_venv", [False, True])
def test_nix_sitecustomize(interp: Interpreter, in_venv: bool, tmp_path: Path) -> None:
    (tmp_path / "sc").mkdir()
    (tmp_path / "sc" / "sitecustomize.py").write_text(nixsite.SITECUSTOMIZE_TEXT)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    (tmp_path / "a" / "x.pth").write_text(f"{tmp_path / 'b'}\n")
    nix_path = ":".join(str(tmp_path / p) for p in ("a", "missing", "a", "b"))
    env = ["--env", f"PYTHONPATH={tmp_path / 'sc'}", "--env", f"NIX_PYTHONPATH={nix_path}",
           "--env", "NIX_PYTHONEXECUTABLE=/nix/store/env/bin/python3",
           "--env", f"NIX_PYTHONPREFIX={tmp_path / 'env'}"]
    program = str(venv(tmp_path, interp, "") / "bin" / "python") if in_venv else interp.real_path
    data = diff("--cwd", str(tmp_path), "--clear-env", *env, program, "-c", "pass")
    agree(data)
    predicted = data["predicted"]
    assert isinstance(predicted, dict)
    # nixpkgs #66366: outside a venv the prefix moves and base_prefix does not.
    assert (predicted["prefix"] == str(tmp_path / "env")) != in_venv
    assert predicted["base_prefix"] != str(tmp_path / "env")
    assert str(tmp_path / "b") in predicted["path"]


# -- pure facts -----------------------------------------------------------------------------------
def test_locale_encoding_of_common_environments() -> None:
    # PEP 538/540: the C and POSIX locales read UTF-8; PYTHONUTF8=0 with LC_ALL=C keeps ASCII.
    assert sitepth.locale_encoding({}, True) == "utf-8"
    assert sitepth.locale_encoding({"LANG": "en_US.UTF-8"}, True) == "utf-8"
    assert sitepth.locale_encoding({"LC_ALL": "C", "PYTHONUTF8": "0"}, True) == "ascii"
    assert sitepth.locale_encoding({"LC_ALL": "C", "PYTHONUTF8": "0"}, False) == "utf-8"
    assert sitepth.locale_encoding({"LANG": "de_DE.ISO-8859-1"}, True) is None


def test_pth_readers_split_as_their_versions_do() -> None:
    data = b"\xef\xbb\xbfa\x0cb\rc\r\nd"
    old = sitepth.read_lines(data, "locale-text", "utf-8").lines
    new = sitepth.read_lines(data, "utf8-sig-bytes", "utf-8").lines
    assert old == ("\ufeffa\x0cb\n", "c\n", "d")   # TextIOWrapper: \r, \r\n, \n only
    assert new == ("a", "b", "c", "d")              # str.splitlines, BOM dropped


# -- start-up options the import system reads ------------------------------------------------------
@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
@pytest.mark.parametrize("setting", [("-X", "frozen_modules=bogus"), ("env", "bogus"),
                                     ("-X", "frozen_modules=off")])
def test_frozen_modules_setting(interp: Interpreter, setting: tuple[str, str],
                                tmp_path: Path) -> None:
    """A bad value is fatal from 3.11 (-X) and 3.13 (PYTHON_FROZEN_MODULES), ignored before;
    'off' makes site's modules come from sys.path."""
    how, value = setting
    args = ["-X", value, "-c", "pass"] if how == "-X" else ["-c", "pass"]
    env = ["--env", f"PYTHON_FROZEN_MODULES={value}"] if how == "env" else []
    agree(diff("--cwd", str(tmp_path), "--clear-env", *env, interp.real_path, *args))


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
@pytest.mark.parametrize("dash_s", [False, True])
def test_os_in_the_working_directory_and_sysconfig(interp: Interpreter, dash_s: bool,
                                                   tmp_path: Path) -> None:
    """An os.py in the working directory ('' is sys.path[0] for -c): without -S site has already
    imported the real os (3.8-3.10; frozen from 3.11), so sysconfig works; with -S on 3.8-3.10
    sysconfig gets the copy, and the install locations are not predicted (null), as the real
    interpreter cannot report them."""
    (tmp_path / "os.py").write_text("# not the stdlib's os\n")
    args = ["-S", "-c", "pass"] if dash_s else ["-c", "pass"]
    data = diff("--cwd", str(tmp_path), "--clear-env", interp.real_path, *args)
    agree(data)
    predicted = data["predicted"]
    assert isinstance(predicted, dict) and interp.version is not None
    assert (predicted["install"] is None) == (dash_s and interp.version < (3, 11))


ENV_FLAG_VALUES = ["0", "1", "abc", "-2", " 0", "\t+0", "00", "0x1", "2", " ", "0 ", "-0",
                   "99999999999", "2147483647", "2147483648"]
"""PYTHONNOUSERSITE values: CPython reads the variable as a number (a C int, leading white
space and a sign allowed, nothing after the digits), not as 'set or not'."""


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_pythonnousersite_is_read_as_a_number(interp: Interpreter) -> None:
    import subprocess

    from prefixlab.model.startup import cmdline
    from prefixlab.model.world.build import behaviour_for

    assert interp.version is not None
    row = behaviour_for(interp.version)
    line = cmdline.parse(("-S", "-c", "pass"), row)
    for value in ENV_FLAG_VALUES:
        done = subprocess.run([interp.real_path, "-S", "-c",
                               "import sys; print(sys.flags.no_user_site)"],
                              env={"PYTHONNOUSERSITE": value}, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        real_off = done.stdout.strip() != "0"
        predicted = cmdline.startup_config(line, {"PYTHONNOUSERSITE": value}, row)
        assert (not predicted.user_site) == real_off, (value, real_off)
