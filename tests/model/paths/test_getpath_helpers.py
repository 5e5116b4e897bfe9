"""CPython's path helpers (prefixlab.model.paths.getpath) judged by real interpreters.

* ``normpath`` against ``_Py_normpath`` itself, exposed as
  ``_testinternalcapi.normalize_path`` in 3.11+ test builds: an exhaustive corpus and
  Hypothesis batches, each batch sent as one JSON line to a long-lived worker per interpreter.
* The string helpers against what start-up computes from them: ``abspath`` (3.11+) and
  ``copy_absolute`` (3.8-3.10) are sys.executable for an argv[0] holding a '/' (no existence
  check, so any string is a test); ``joinpath``'s one-character-directory quirk is what a
  relative PATH entry 'a' makes of argv[0] 'python3.X'.
* ``realpath_final`` (3.11+) is sys._base_executable inside a venv whose binary is reached
  through links (getpath: ``base_executable = realpath(executable)``); ``resolve_symlinks``
  (3.8-3.10) shows in sys.prefix, searched upward from the unnormalised concatenation.
* The link limits: 3.11+ warn at 40 links, 3.9/3.10 stop with a fatal error, 3.8 has none.

Facts without an oracle here are unit-tested against CPython's sources (Modules/getpath.c
copy_absolute and resolve_symlinks for 3.8-3.10; Modules/getpath.py abspath and getpath.c
getpath_realpath for 3.11+) and examples observed on real interpreters.
"""

from __future__ import annotations

import ast
import glob
import itertools
import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.materialize import Binding, materialize, scratch_dir
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.paths import getpath as h
from prefixlab.model.world import kernel
from prefixlab.model.world.fs import Dir, File, FsView, Layout, Node, Overlay, Symlink
from prefixlab.model.startup.getpath.context import _plain_joins

from conftest import in_scope_interpreters, interpreter_id, require_oracle

TIMEOUT = 60
REAL_EXAMPLES = int(os.environ.get("PREFIXLAB_HELPER_EXAMPLES", "25"))
"""Generated cases per interpreter for the tests that start one (each start ~20-300 ms)."""
MODERN = [i for i in in_scope_interpreters() if i.version and i.version[:2] >= (3, 11)]
LEGACY = [i for i in in_scope_interpreters() if i.version and i.version[:2] <= (3, 10)]


# == normpath against _Py_normpath ==============================================================
WORKER = r"""
import json, sys, _testinternalcapi
for line in sys.stdin:
    out = []
    for path in json.loads(line):
        try:
            out.append(_testinternalcapi.normalize_path(path))
        except Exception as error:
            out.append({'error': type(error).__name__})
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
"""


@cache
def normalize_path_binaries() -> tuple[str, ...]:
    """3.11+ binaries here whose _testinternalcapi has normalize_path (found by globbing)."""
    found: dict[str, str] = {}
    for path in sorted(glob.glob("/root/.pyenv/versions/*/bin/python3.1[1-9]")
                       + glob.glob("/usr/bin/python3.1[1-9]")):
        code = "import _testinternalcapi; _testinternalcapi.normalize_path"
        try:
            done = subprocess.run([path, "-I", "-c", code], capture_output=True, env={},
                                  timeout=TIMEOUT)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            found.setdefault(os.path.realpath(path), path)
    return tuple(sorted(found.values()))


class Worker:
    """One interpreter answering normalize_path for a JSON list per line."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.process = subprocess.Popen([binary, "-I", "-c", WORKER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, encoding="ascii",
                                        env={})

    def normalize(self, paths: Sequence[str]) -> list[object]:
        assert self.process.stdin is not None and self.process.stdout is not None
        # ensure_ascii escapes lone surrogates as \udcxx; json.loads gives them back.
        self.process.stdin.write(json.dumps(list(paths), ensure_ascii=True) + "\n")
        self.process.stdin.flush()
        answer: list[object] = json.loads(self.process.stdout.readline())
        return answer

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=TIMEOUT)


@pytest.fixture(scope="module")
def workers() -> Iterator[list[Worker]]:
    binaries = normalize_path_binaries()
    require_oracle(bool(binaries), "no CPython 3.11+ here has _testinternalcapi.normalize_path")
    started = [Worker(b) for b in binaries]
    try:
        yield started
    finally:
        for worker in started:
            worker.close()


def compare_normpath(workers: list[Worker], paths: Sequence[str]) -> None:
    """Every interpreter agrees with the first (versions are reported if they differ), and
    the model agrees with them."""
    reference, *others = workers
    real = reference.normalize(paths)
    for worker in others:
        differ = [(p, a, b) for p, a, b in zip(paths, real, worker.normalize(paths)) if a != b]
        assert not differ, f"{worker.binary} differs from {reference.binary}: {differ[:5]}"
    wrong = [(p, r, h.normpath(p)) for p, r in zip(paths, real) if r != h.normpath(p)]
    assert not wrong, f"(path, _Py_normpath, model) {wrong[:10]}"


def test_normpath_exhaustively(workers: list[Worker]) -> None:
    """Every string of '/', '.' and 'a' up to 8 characters (9841), then '/', '.', 'a', 'b'
    and '\\udcff' up to 6 (19531): one batch per interpreter each."""
    compare_normpath(workers, ["".join(t) for n in range(9)
                               for t in itertools.product("/.a", repeat=n)])
    compare_normpath(workers, ["".join(t) for n in range(7)
                               for t in itertools.product("/.ab\udcff", repeat=n)])


PIECES = ["", "", ".", "..", "...", "a", "b", ".a", "a.", "é", "\udcff", "\U0001f40d", " ",
          "\\", ":", "~"]
ODD = ["", ".", "./", "//", "///", "////", "..", "../", "a/..", "a/../", "/..", "//..",
       "/./", "./.", "./..", ".//", ".//a", "//a//", "///a/b/"]


@st.composite
def path_strings(draw: st.DrawFn) -> str:
    how = draw(st.sampled_from(["chars", "pieces", "pieces", "odd", "text"]))
    if how == "chars":
        return draw(st.text(alphabet="/.ab", max_size=16))
    if how == "odd":
        return draw(st.sampled_from(ODD))
    if how == "text":
        return draw(st.text(st.characters(exclude_characters="\0"), max_size=12))
    head = draw(st.sampled_from(["", "", "/", "//", "///", "./", "../", ".//"]))
    body = "/".join(draw(st.lists(st.sampled_from(PIECES), max_size=8)))
    return head + body + draw(st.sampled_from(["", "", "/", "//", "/.", "/.."]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(path_strings(), min_size=1, max_size=60))
def test_normpath_matches_py_normpath(workers: list[Worker], batch: list[str]) -> None:
    compare_normpath(workers, batch)


def test_normpath_documented_examples() -> None:
    """Modules/getpath.py abspath (3.11+) and the helper's docstring."""
    assert h.normpath("") == ""
    assert h.normpath(".") == "."
    assert h.normpath("./") == ""
    assert h.normpath("a/..") == ""
    assert h.normpath("//a") == "//a" and h.normpath("///a") == "/a"
    assert h.normpath("../x/..") == ".."
    assert h.normpath("./i//bin/./pyX") == "i/bin/pyX"
    assert h.normpath("/a/sub/../i/bin//pyX") == "/a/i/bin/pyX"


# == joinpath, add_relfile, dirname, basename, abspath (3.11+) ==================================
def test_joinpath_and_add_relfile() -> None:
    """fileutils.c join_relfile adds SEP only after a directory longer than one character;
    getpath.c getpath_joinpath restarts at the last absolute part, skips None, normalises."""
    assert h.add_relfile("a", "b") == "ab"
    assert h.add_relfile("/", "b") == "/b"
    assert h.add_relfile("ab", "c") == "ab/c"
    assert h.add_relfile("a/", "b") == "a/b"
    assert h.add_relfile("", "b") == "b"
    assert h.joinpath("a", "b") == "ab"
    assert h.joinpath("/", "b") == "/b"
    assert h.joinpath("/usr", "lib", "os.py") == "/usr/lib/os.py"
    assert h.joinpath("/usr", "/opt", "x") == "/opt/x"
    assert h.joinpath("/usr", None, "x") == "/usr/x"
    assert h.joinpath("/usr/", "x") == "/usr/x"
    assert h.joinpath("/usr", "..", "x") == "/x"
    assert h.joinpath("", "x") == "x"
    assert h.joinpath("/usr", "") == "/usr"
    assert h.joinpath() == ""


@given(st.lists(st.one_of(st.none(), path_strings()), max_size=4))
def test_joinpath_fast_path_is_the_general_rule(parts: list[str | None]) -> None:
    """The two-part shortcut in joinpath must agree with the loop it short-cuts."""
    first = max((i for i, p in enumerate(parts) if p and p.startswith("/")), default=0)
    result = ""
    for part in parts[first:]:
        if part is not None:
            result = part if result == "" else h.add_relfile(result, part)
    assert h.joinpath(*parts) == h.normpath(result)


def _components(lead: str) -> st.SearchStrategy[str]:
    """Paths made of names, dot-led names, '.', '..' and empty components."""
    names = st.sampled_from(["a", "bc", "d.py", ".e", "..f"] * 6 + [".", "..", ""])
    return st.builds(lambda parts, tail: lead + "/".join(parts) + tail,
                     st.lists(names, min_size=1, max_size=5), st.sampled_from([""] * 8 + ["/"]))


@settings(max_examples=1000, deadline=None)
@given(st.one_of(_components("/"), _components("/"), path_strings()),
       st.lists(st.one_of(_components(""), _components(""), path_strings()), min_size=1,
                max_size=3))
def test_search_up_plain_joins_are_joinpath(start: str, landmarks: list[str]) -> None:
    """Where Calc.search_up joins by concatenation (model/startup/getpath/context.py _plain_joins),
    joinpath must give the same string for the start, each of its dirnames and each
    landmark."""
    event(f"plain: {_plain_joins(start, tuple(landmarks))}")
    if not _plain_joins(start, tuple(landmarks)):
        return
    prefix = start
    while prefix:
        for landmark in landmarks:
            assert h.joinpath(prefix, landmark) == f"{prefix}/{landmark}"
        prefix = h.dirname(prefix)


def test_dirname_and_basename() -> None:
    """getpath.c getpath_dirname/basename split at the last '/': dirname('/usr') == ''."""
    assert h.dirname("/usr") == "" and h.basename("/usr") == "usr"
    assert h.dirname("python") == "" and h.basename("python") == "python"
    assert h.dirname("/usr/bin/") == "/usr/bin" and h.basename("/usr/bin/") == ""
    assert h.dirname("a/b") == "a"
    assert h.dirname("") == "" and h.basename("") == ""


def test_abspath_documented_examples() -> None:
    """getpath.py abspath (3.11+), observed: normalise first, then prefix the cwd with no
    second normalisation."""
    cwd = "/w"
    assert h.abspath("../i/bin/pyX", cwd) == "/w/../i/bin/pyX"
    assert h.abspath("./i//bin/./pyX", cwd) == "/w/i/bin/pyX"
    assert h.abspath("/a/sub/../i/bin//pyX", cwd) == "/a/i/bin/pyX"
    assert h.abspath("x/../../i/bin/pyX", cwd) == "/w/../i/bin/pyX"
    assert h.abspath("a/..", cwd) == cwd


def test_legacy_helpers_documented_examples() -> None:
    """getpath.c copy_absolute, observed: 3.8-3.10 concatenate and strip one leading './',
    nothing else."""
    cwd = "/w"
    assert h.copy_absolute("../i/bin/pyX", cwd) == "/w/../i/bin/pyX"
    assert h.copy_absolute("./i//bin/./pyX", cwd) == "/w/i//bin/./pyX"
    assert h.copy_absolute("././x", cwd) == "/w/./x"
    assert h.copy_absolute("/a/../b", cwd) == "/a/../b"
    assert h.joinpath2("a", "python") == "a/python"  # no one-character quirk before 3.11
    assert h.joinpath2("a/", "b") == "a/b" and h.joinpath2("", "b") == "b"
    assert h.joinpath2("/x", "/y") == "/y"
    assert h.reduce("/usr/bin") == "/usr" and h.reduce("/usr") == "" and h.reduce("x") == ""


# == running real interpreters ==================================================================
@dataclass(frozen=True)
class Run:
    returncode: int
    values: dict[str, str]
    stderr: str


SHOW = ("import sys; print(ascii({'executable': sys.executable, 'prefix': sys.prefix, "
        "'base_executable': getattr(sys, '_base_executable', None)}))")


def run(binary: str, argv0: str, cwd: str, env: dict[str, str] | None = None) -> Run:
    """Execute the file ``binary`` names (a link chain is the kernel's to follow) with
    ``argv0`` as argv[0] (-S: site does not touch sys.prefix)."""
    done = subprocess.run([argv0, "-S", "-c", SHOW], executable=binary, cwd=cwd,
                          env=env or {}, capture_output=True, timeout=TIMEOUT)
    stdout = done.stdout.decode("ascii", "replace").strip()
    values = ast.literal_eval(stdout) if done.returncode == 0 and stdout else {}
    return Run(done.returncode, values, done.stderr.decode("utf-8", "replace"))


def short_name(interp: Interpreter) -> str:
    return os.path.basename(interp.real_path)


@pytest.mark.real
@pytest.mark.parametrize("interp", MODERN + LEGACY, ids=interpreter_id)
def test_one_character_path_entry(interp: Interpreter) -> None:
    """PATH='a', argv[0] 'python3.X', cwd holding both a/python3.X and apython3.X.

    Found here: 3.11+ report sys.executable 'apython3.X' (getpath.py joins the PATH entry
    with joinpath, whose _Py_add_relfile adds no '/' after a one-character directory), and
    '' when only a/python3.X exists; 3.8-3.10 report '<cwd>/a/python3.X' (joinpath then
    copy_absolute)."""
    name = short_name(interp)
    with scratch_dir() as base:
        layout = Layout().with_file(f"{base}/a/{name}", b"", 0o755)
        both = layout.with_file(f"{base}/a{name}", b"", 0o755)
        bindings: dict[str, Binding] = {p: ("hardlink", interp.real_path)
                                        for p, _ in both.items() if p.startswith(base + "/")
                                        and isinstance(both.node(p), File)}
        materialize(both, base, bindings=bindings)
        seen = run(interp.real_path, name, base, {"PATH": "a"}).values["executable"]
        if interp.version and interp.version[:2] >= (3, 11):
            assert seen == h.joinpath("a", name) == f"a{name}"
            os.unlink(f"{base}/a{name}")
            assert run(interp.real_path, name, base, {"PATH": "a"}).values["executable"] == ""
        else:
            assert seen == h.copy_absolute(h.joinpath2("a", name), base) == f"{base}/a/{name}"


@pytest.mark.real
@pytest.mark.parametrize("interp", MODERN, ids=interpreter_id)
def test_one_character_directory_in_realpath(interp: Interpreter) -> None:
    """The same quirk inside getpath_realpath: PATH='a/' makes executable 'a/python3.X' (a
    link to 'realpython3.X'); in a venv, base_executable = realpath(executable) cuts at the
    '/' and join_relfile adds nothing after 'a'.  Found here: sys._base_executable is
    'arealpython3.X' on 3.11.2 (Debian), 3.11.7, 3.12.1 and 3.13.0."""
    name = short_name(interp)
    with scratch_dir() as base:
        layout = (Layout().with_file(f"{base}/a/real{name}", b"", 0o755)
                  .with_link(f"{base}/a/{name}", f"real{name}")
                  .with_file(f"{base}/pyvenv.cfg",
                             f"home = {os.path.dirname(interp.real_path)}\n".encode()))
        materialize(layout, base, bindings={f"{base}/a/real{name}":
                                            ("hardlink", interp.real_path)})
        seen = run(interp.real_path, name, base, {"PATH": "a/"}).values
        executable = h.joinpath("a/", name)
        assert seen["executable"] == executable == f"a/{name}"
        expected = h.realpath_final(mounted(base, layout), executable, base, 40)
        assert seen["base_executable"] == expected == f"areal{name}"


ARGV0_PIECES = ["a", "b", "..", ".", "", "bin", "é", "x y"]


@st.composite
def argv0s(draw: st.DrawFn) -> str:
    """An argv[0] holding a '/' (so no PATH search): any string will do, nothing is run
    through it."""
    head = draw(st.sampled_from(["", "", "/", "./", "../", ".//", "//", "///"]))
    parts = draw(st.lists(st.sampled_from(ARGV0_PIECES), min_size=1, max_size=6))
    text = head + "/".join(parts) + draw(st.sampled_from(["", "", "/", "/.", "/.."]))
    return text if "/" in text else "./" + text


@pytest.mark.real
@pytest.mark.parametrize("interp", MODERN + LEGACY, ids=interpreter_id)
def test_executable_from_argv0(interp: Interpreter) -> None:
    """sys.executable is abspath(argv0) on 3.11+, copy_absolute(argv0) on 3.8-3.10."""
    modern = bool(interp.version and interp.version[:2] >= (3, 11))

    @settings(max_examples=REAL_EXAMPLES, deadline=None, database=None)
    @given(argv0s())
    def check(argv0: str) -> None:
        # The working directory lies deep inside the scratch directory, so that the '..'s
        # of argv0 stay inside it: getpath reads what argv0 names (a file where argv0 has a
        # directory fails start-up), and the scratch directory's neighbours are not ours.
        with scratch_dir() as base:
            cwd = os.path.join(base, *"abcdefgh")
            os.makedirs(cwd)
            seen = run(interp.real_path, argv0, cwd).values["executable"]
            expected = h.abspath(argv0, cwd) if modern else h.copy_absolute(argv0, cwd)
            assert seen == expected, f"argv0 {argv0!r} from {cwd}"

    check()


# == link chains: realpath_final (3.11+) and resolve_symlinks (3.8-3.10) ========================
ROOT = "@ROOT@"


@dataclass(frozen=True)
class Chain:
    """Links from an entry to a binary, through directory links, with '..' in relative
    targets computed physically (so the kernel reaches the binary, while a lexical reader
    may not)."""

    nodes: tuple[tuple[str, Node], ...]
    entry: str
    """The entry's path relative to ROOT, as written (it may pass a directory link)."""
    binary: str
    """The binary placeholder's physical path relative to ROOT."""

    def at(self, root: str) -> Layout:
        def bound(node: Node) -> Node:
            return Symlink(node.target.replace(ROOT, root)) if isinstance(node, Symlink) else node
        return Layout({f"{root}/{p}": bound(n) for p, n in self.nodes})


def _relative(frm: str, to: str) -> str:
    up, down = [p for p in frm.split("/") if p], [p for p in to.split("/") if p]
    while up and down and up[0] == down[0]:
        up.pop(0)
        down.pop(0)
    return "/".join([".."] * len(up) + down) or "."


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent else name


@st.composite
def chains(draw: st.DrawFn, binary_name: str, stdlib_subdir: str | None) -> Chain:
    """A chain to inst/bin/<binary_name>, with a stdlib skeleton when ``stdlib_subdir``."""
    nodes: dict[str, Node] = {}
    dirs = [""]
    for i in range(draw(st.integers(1, 4))):
        path = _join(draw(st.sampled_from(dirs)), f"p{i}")
        nodes[path] = Dir()
        dirs.append(path)
    access: dict[str, list[str]] = {d: [d] for d in dirs}
    for i in range(draw(st.integers(0, 3))):
        where, to = draw(st.sampled_from(dirs)), draw(st.sampled_from(dirs[1:]))
        target = (f"{ROOT}/{to}" if draw(st.booleans())
                  else _relative(where, to))
        nodes[_join(where, f"v{i}")] = Symlink(target)
        access[to].append(_join(where, f"v{i}"))
    binary = f"inst/bin/{binary_name}"
    nodes[binary] = File(b"binary placeholder", 0o755)
    if stdlib_subdir is not None:  # each real stdlib costs ~200 symlinks on disk
        nodes[f"inst/{stdlib_subdir}"] = Dir()
        nodes[f"inst/{stdlib_subdir}/os.py"] = File(b"# os")
        nodes[f"inst/{stdlib_subdir}/lib-dynload"] = Dir()
    next_path = binary  # what the link being written must reach, as written
    linked = [d for d in dirs if len(access[d]) > 1]  # reachable through a directory link
    for j in reversed(range(draw(st.integers(1, 4)))):
        via_link = bool(linked) and draw(st.booleans())
        home = draw(st.sampled_from(linked if via_link else dirs))
        target = (f"{ROOT}/{next_path}" if draw(st.integers(0, 3)) == 0
                  else _relative(home, next_path))
        nodes[_join(home, f"x{j}")] = Symlink(target)
        next_path = _join(draw(st.sampled_from(access[home])), f"x{j}")
    return Chain(tuple(sorted(nodes.items())), next_path, binary)



def bindings_for(layout: Layout, root: str, interp: Interpreter) -> dict[str, Binding]:
    """Every executable File placeholder becomes the real binary, every stdlib skeleton the
    real stdlib (children-links)."""
    assert interp.constants is not None
    stdlib = f"{interp.constants.prefix}/{interp.constants.stdlib_subdir}"
    found: dict[str, Binding] = {}
    for path, node in layout.items():
        if not path.startswith(root + "/"):
            continue
        if isinstance(node, File) and node.mode & 0o111:
            found[path] = ("hardlink", interp.real_path)
        elif isinstance(node, Dir) and path.endswith("/" + interp.constants.stdlib_subdir):
            found[path] = ("children-links", stdlib)
    return found


def mounted(root: str, layout: Layout) -> FsView:
    return Overlay(Snapshot("/"), ((root, layout),))


def modern_base_executable(fs: FsView, executable: str, cwd: str) -> str | None:
    """getpath.py's venv branch: base_executable = realpath(executable), unless that fails
    (OSError) or changes nothing (then a fallback this test does not judge: None)."""
    try:
        found = h.realpath_final(fs, executable, cwd, 40)
    except h.LinkLimit:
        return None
    return None if found == executable else found


def legacy_prefix(fs: FsView, executable: str, cwd: str, interp: Interpreter) -> str:
    """3.8-3.10 getpath.c: argv0_path = reduce(resolve_symlinks(program_full_path)); then
    search_for_prefix tries <dir>/lib/python3.X/os.py, reducing dir until it is empty;
    calculate_set_prefix reduces the found <dir>/lib/python3.X twice; else PREFIX."""
    assert interp.constants is not None and interp.version is not None
    limit = None if interp.version[:2] == (3, 8) else 40
    directory = h.reduce(h.resolve_symlinks(fs, executable, cwd, limit))
    while directory:
        lib = h.joinpath2(directory, interp.constants.stdlib_subdir)
        if h.isfile(fs, h.joinpath2(lib, "os.py"), cwd):
            return h.reduce(h.reduce(lib))
        directory = h.reduce(directory)
    return interp.constants.prefix


def chain_case(interp: Interpreter, with_stdlib: bool) -> st.SearchStrategy[Chain]:
    assert interp.constants is not None
    return chains(short_name(interp), interp.constants.stdlib_subdir if with_stdlib else None)


@pytest.mark.real
@pytest.mark.parametrize("interp", MODERN, ids=interpreter_id)
def test_realpath_final_is_the_venv_base_executable(interp: Interpreter) -> None:
    """In a venv (pyvenv.cfg with home), 3.11+ getpath sets base_executable to
    realpath(executable): lexical about '..' after a directory link, final component only."""
    home = os.path.dirname(interp.real_path)

    @settings(max_examples=REAL_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(chain_case(interp, with_stdlib=False), st.booleans())
    def check(chain: Chain, relative: bool) -> None:
        with scratch_dir() as base:
            root = f"{base}/r"
            layout = chain.at(root)
            entry_dir = kernel.realpath(layout, os.path.dirname(f"{root}/{chain.entry}"))
            assert isinstance(entry_dir, str)
            layout = layout.with_file(f"{entry_dir}/pyvenv.cfg", f"home = {home}\n".encode())
            materialize(layout, root, bindings=bindings_for(layout, root, interp))
            argv0 = f"./{chain.entry}" if relative else f"{root}/{chain.entry}"
            seen = run(f"{root}/{chain.entry}", argv0, root)
            assert seen.returncode == 0, seen.stderr
            executable = seen.values["executable"]
            expected = modern_base_executable(mounted(root, layout), executable, root)
            assert modern_base_executable(Snapshot("/"), executable, root) == expected
            if expected is None:
                event("realpath failed or changed nothing: fallback not judged")
                return
            event("lexical != physical" if expected != os.path.realpath(executable)
                  else "lexical == physical")
            note(f"executable {executable!r}")
            assert seen.values["base_executable"] == expected

    check()


@pytest.mark.real
@pytest.mark.parametrize("interp", LEGACY, ids=interpreter_id)
def test_resolve_symlinks_shows_in_the_legacy_prefix(interp: Interpreter) -> None:
    """3.8-3.10 resolve links by plain concatenation; the prefix found from that string is
    kept unnormalised in sys.prefix."""

    @settings(max_examples=REAL_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(chain_case(interp, with_stdlib=True))
    def check(chain: Chain) -> None:
        with scratch_dir() as base:
            root = f"{base}/r"
            layout = chain.at(root)
            materialize(layout, root, bindings=bindings_for(layout, root, interp))
            entry = f"{root}/{chain.entry}"
            seen = run(entry, entry, root)
            assert seen.returncode == 0, seen.stderr
            expected = legacy_prefix(mounted(root, layout), seen.values["executable"], root,
                                     interp)
            event("'..' kept in sys.prefix" if "/.." in expected else "plain prefix")
            assert seen.values["prefix"] == expected

    check()


def _install(root: str, interp: Interpreter, where: str) -> Layout:
    assert interp.constants is not None
    lib = f"{root}/{where}/{interp.constants.stdlib_subdir}"
    return (Layout().with_file(f"{root}/{where}/bin/{short_name(interp)}", b"", 0o755)
            .with_dir(lib).with_file(f"{lib}/os.py").with_dir(f"{lib}/lib-dynload"))


@pytest.mark.real
@pytest.mark.parametrize("interp", MODERN + LEGACY, ids=interpreter_id)
def test_lexical_and_physical_readers_disagree(interp: Interpreter) -> None:
    """getpath.c getpath_realpath (3.11+, lexical _Py_normpath), observed:
    lex/sl -> phys/d1/d2; phys/d1/d2/python -> ../../inst/bin/python3.X.
    3.11+ read the target lexically (lex/sl/../.. is root: the decoy root/inst); 3.8-3.10
    keep '<root>/lex/sl/../../inst', which the kernel resolves to phys/inst."""
    name = short_name(interp)
    with scratch_dir() as base:
        root = f"{base}/r"
        layout = (_install(root, interp, "inst").merged(_install(root, interp, "phys/inst"))
                  .with_dir(f"{root}/phys/d1/d2").with_link(f"{root}/lex/sl", "../phys/d1/d2")
                  .with_link(f"{root}/phys/d1/d2/python", f"../../inst/bin/{name}"))
        materialize(layout, root, bindings=bindings_for(layout, root, interp))
        seen = run(f"{root}/lex/sl/python", f"{root}/lex/sl/python", root)
        assert seen.returncode == 0, seen.stderr
        fs = mounted(root, layout)
        if interp in MODERN:
            real = h.realpath_final(fs, seen.values["executable"], root, 40)
            assert real == f"{root}/inst/bin/{name}"
            assert seen.values["prefix"] == h.dirname(h.dirname(real)) == f"{root}/inst"
        else:
            expected = legacy_prefix(fs, seen.values["executable"], root, interp)
            assert seen.values["prefix"] == expected == f"{root}/lex/sl/../../inst"


def _link_chain(root: str, interp: Interpreter, length: int) -> Layout:
    layout = _install(root, interp, "inst")
    for i in range(length - 1):
        layout = layout.with_link(f"{root}/c{i}", f"c{i + 1}")
    return layout.with_link(f"{root}/c{length - 1}", f"inst/bin/{short_name(interp)}")


WARNING = "Failed to find real location of"
FATAL = "maximum number of symbolic links reached"


@pytest.mark.real
@pytest.mark.parametrize("length", [39, 40, 41])
@pytest.mark.parametrize("interp", MODERN + LEGACY, ids=interpreter_id)
def test_link_limits(interp: Interpreter, length: int) -> None:
    """Linux fs/namei.c (MAXSYMLINKS 40) and getpath.c's link limits: the kernel runs 40
    links and refuses 41 (ELOOP); 3.11+ warn
    and keep the unresolved path at the 40th readlink; 3.9/3.10 stop with a fatal error;
    3.8 has no limit."""
    assert interp.version is not None and interp.constants is not None
    with scratch_dir() as base:
        root = f"{base}/r"
        layout = _link_chain(root, interp, length)
        materialize(layout, root, bindings=bindings_for(layout, root, interp))
        fs = mounted(root, layout)
        if length > kernel.MAXSYMLINKS:
            assert kernel.lookup(fs, f"{root}/c0").error is kernel.Errno.ELOOP
            with pytest.raises(OSError, match="Too many levels of symbolic links"):
                run(f"{root}/c0", f"{root}/c0", root)
            return
        seen = run(f"{root}/c0", f"{root}/c0", root)
        modern, minor = interp in MODERN, interp.version[:2]
        limit = None if minor == (3, 8) else 40
        helper = h.realpath_final if modern else h.resolve_symlinks
        try:
            resolved: str | None = helper(fs, f"{root}/c0", root, limit)
        except h.LinkLimit:
            resolved = None
        if resolved is not None:
            assert seen.returncode == 0 and seen.values["prefix"] == f"{root}/inst"
            assert WARNING not in seen.stderr and FATAL not in seen.stderr
        elif modern:
            assert seen.returncode == 0 and WARNING in seen.stderr
            assert seen.values["prefix"] == interp.constants.prefix
        else:
            assert seen.returncode != 0 and FATAL in seen.stderr
        assert (resolved is None) == (length == 40 and minor != (3, 8))


def test_realpath_final_unit() -> None:
    """Final component only, relative targets joined to the link's directory lexically, any
    readlink failure ends the walk (getpath.c getpath_realpath)."""
    layout = (Layout().with_dir("/p/d1/d2").with_link("/lex/sl", "/p/d1/d2")
              .with_link("/p/d1/d2/py", "../../x/py").with_link("/rel", "py")
              .with_link("/d/self", "self").with_link("/top", "py"))
    assert h.realpath_final(layout, "/lex/sl/py", "/", 40) == "/x/py"
    assert h.resolve_symlinks(layout, "/lex/sl/py", "/", 40) == "/lex/sl/../../x/py"
    assert h.realpath_final(layout, "/nowhere/py", "/", 40) == "/nowhere/py"
    assert h.realpath_final(layout, "/lex/sl", "/", 40) == "/p/d1/d2"
    assert h.realpath_final(layout, "rel", "/", 40) == "rel/py"  # nothing to cut: join_relfile
    with pytest.raises(h.LinkLimit):
        h.realpath_final(layout, "/d/self", "/", 40)
    with pytest.raises(h.LinkLimit):
        h.resolve_symlinks(layout, "/d/self", "/", 40)


def test_a_relative_link_in_the_root_directory_loses_the_root() -> None:
    """Read from the C (3.10 resolve_symlinks, 3.11+ getpath_realpath): cutting '/top' at its
    last '/' leaves '', and neither joinpath2 nor join_relfile puts a separator after an
    empty directory, so /top -> 'py' resolves to the *relative* 'py'.  Not checked against
    a real interpreter here (it needs a link in the real '/')."""
    layout = Layout().with_link("/top", "py")
    assert h.realpath_final(layout, "/top", "/", 40) == "py"
    assert h.resolve_symlinks(layout, "/top", "/", 40) == "py"


def test_some_interpreters_to_judge_by() -> None:
    require_oracle(bool(MODERN), "no CPython 3.11+ here")
    require_oracle(bool(LEGACY), "no CPython 3.8-3.10 here")
