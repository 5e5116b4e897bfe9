"""Behaviours of a point release that no interpreter here has, from CPython's own record.

3.11.0's getpath encoded every path it took dirname() or basename() of to UTF-8 (strict):
a path holding bytes that are not UTF-8 (decoded with surrogateescape) could not be
encoded, and start-up failed with "error evaluating path" (gh-94526; the fix, PR 97645,
is listed in Misc/NEWS.d/3.11.1.rst).  3.11.1 and later work on the str.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from prefixlab.model.world.build import BuildConstants
from prefixlab.model.world.fs import Layout
from prefixlab.model.world.invocation import Invocation
from prefixlab.model.outcome import Outcome
from prefixlab.model.world import World
from prefixlab.model.startup.predict import predict

LATIN1_NAME = b"caf\xe9".decode("utf-8", "surrogateescape")
"""'café' written in Latin-1: not UTF-8, so it reaches getpath with a surrogate."""


def _install(top: str) -> Layout:
    return (Layout()
            .with_file(f"{top}/bin/python3.11", b"", 0o755)
            .with_file(f"{top}/lib/python3.11/os.py")
            .with_file(f"{top}/lib/python3.11/encodings/__init__.py")
            .with_dir(f"{top}/lib/python3.11/lib-dynload"))


def _start(top: str, version: tuple[int, int, int]) -> Outcome:
    build = BuildConstants(version, "/usr/local", "/usr/local")
    executable = f"{top}/bin/python3.11"
    world = World(_install(top), {executable: build})
    return predict(world, Invocation.make(executable, ["-S", "-c", "pass"]))


def test_3_11_0_fails_on_a_path_that_is_not_utf8() -> None:
    outcome = _start(f"/opt/{LATIN1_NAME}", (3, 11, 0))
    assert outcome.status == "startup-failed"
    assert outcome.error is not None and outcome.error.kind == "getpath-error"
    assert "getpath.helper-utf8" in outcome.trace.rules()
    assert "path_helpers_utf8_strict" in outcome.trace.asked


def test_3_11_1_and_later_start_from_the_same_path() -> None:
    top = f"/opt/{LATIN1_NAME}"
    for version in ((3, 11, 1), (3, 11, 7)):
        outcome = _start(top, version)
        assert outcome.status == "ok", version
        assert outcome.prefix == top and outcome.executable == f"{top}/bin/python3.11"


def test_3_11_0_starts_from_a_utf8_path() -> None:
    """Only bytes that are not UTF-8 fail: 'café' in UTF-8 encodes fine."""
    outcome = _start("/opt/café", (3, 11, 0))
    assert outcome.status == "ok" and outcome.prefix == "/opt/café"


# -- 3.12.4: .pth files read as UTF-8 first ----------------------------------------------------
# gh-77102 made site.addpackage() decode a .pth file's bytes as utf-8-sig (falling back to
# the locale encoding) and split them with str.splitlines(); it landed in 3.13 (PR 117802) and
# was backported to 3.12 by PR 117917, merged 2024-04-16 and listed in Misc/NEWS.d/3.12.4.rst
# ("site module now parses .pth file with UTF-8 first").  3.12.0-3.12.3 read the file as
# locale text, split at \n, \r and \r\n only: a form feed stays inside the line.  Real 3.12.1
# shows the older reading (notes/07-site.md checks it on every interpreter here).

def _venv_with_pth(data: bytes) -> Layout:
    root = "/r"
    site = f"{root}/venv/lib/python3.12/site-packages"
    layout = (_install312(f"{root}/opt/py")
              .with_link(f"{root}/venv/bin/python", f"{root}/opt/py/bin/python3.12")
              .with_file(f"{root}/venv/pyvenv.cfg",
                         f"home = {root}/opt/py/bin\ninclude-system-site-packages = false\n"
                         .encode())
              .with_file(f"{site}/ff.pth", data)
              .with_dir(f"{root}/extra"))
    return layout


def _install312(top: str) -> Layout:
    return (Layout()
            .with_file(f"{top}/bin/python3.12", b"", 0o755)
            .with_file(f"{top}/lib/python3.12/os.py")
            .with_file(f"{top}/lib/python3.12/encodings/__init__.py")
            .with_dir(f"{top}/lib/python3.12/lib-dynload"))


def _path_after_pth(version: tuple[int, int, int], data: bytes) -> tuple[str, ...]:
    binary = "/r/opt/py/bin/python3.12"
    world = World(_venv_with_pth(data),
                  {binary: BuildConstants(version, "/usr/local", "/usr/local")})
    outcome = predict(world, Invocation.make("/r/venv/bin/python", ["-c", "pass"], cwd="/r"))
    assert outcome.status == "ok", (version, outcome.error)
    return outcome.path


def test_3_12_4_splits_a_pth_line_at_a_form_feed() -> None:
    for version in ((3, 12, 0), (3, 12, 1), (3, 12, 3)):
        assert "/r/extra" not in _path_after_pth(version, b"/r/extra\fnothing\n"), version
    for version in ((3, 12, 4), (3, 12, 8)):
        assert _path_after_pth(version, b"/r/extra\fnothing\n")[-1] == "/r/extra", version


def test_3_12_4_drops_a_byte_order_mark() -> None:
    """utf-8-sig drops a leading BOM; the locale reading keeps it as part of the first line's
    directory name, which then does not exist."""
    data = b"\xef\xbb\xbf/r/extra\n"
    assert "/r/extra" not in _path_after_pth((3, 12, 3), data)
    assert _path_after_pth((3, 12, 4), data)[-1] == "/r/extra"


PTH_CASE = '''```prefixlab-example
versions = "3.8+"
[layout]
"opt/py/bin/python{X.Y}" = "binary"
"opt/py/lib/python{X.Y}" = "stdlib"
"venv/bin/python" = "-> {ROOT}/opt/py/bin/python{X.Y}"
"venv/pyvenv.cfg" = "text:home = {ROOT}/opt/py/bin\\ninclude-system-site-packages = false\\n"
"venv/lib/python{X.Y}/site-packages/ff.pth" = "text:{ROOT}/extra\\fnothing\\n"
"extra" = "dir"
[run]
program = "{ROOT}/venv/bin/python"
args = ["-c", "pass"]
env = { PATH = "/usr/bin:/bin" }
[expect]
```
'''


@pytest.mark.real
def test_real_3_12_before_3_12_4_reads_pth_files_as_locale_text() -> None:
    """Every 3.12.0-3.12.3 here (3.12.1 from pyenv) keeps a form feed inside the line, as
    its row says; the model's 3.12.4 row, given the same files, splits it."""
    from conftest import in_scope_interpreters, require_oracle
    from prefixlab.impl.checks import notes as real_notes
    from prefixlab.impl.host.materialize import scratch_dir
    from prefixlab.model import notes

    before = [i for i in in_scope_interpreters()
              if i.version is not None and (3, 12, 0) <= i.version < (3, 12, 4)]
    require_oracle(bool(before), "no CPython 3.12.0-3.12.3 here")
    example = notes.read_note("point-releases.md", PTH_CASE)[0]
    for interp in before:
        with scratch_dir() as base:
            case = real_notes.bound_for(example, interp, f"{base}/r")
            world = real_notes.materialise(case, interp, case.root)
            observed = real_notes.run_real(world, case)
            later = World(world.fs, {**world.builds, **{
                b: replace(world.builds[b], version=(3, 12, 4)) for b in case.binaries}})
            predicted = notes.predicted(later, case)
        extra = f"{case.root}/extra"
        assert observed["status"] == "ok" and extra not in observed["path"], interp.path
        assert predicted["path"][-1] == extra
