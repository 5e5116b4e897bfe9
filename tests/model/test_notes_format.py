"""prefixlab.model.notes on values: version specs, the rows they reach, blocks read."""

from __future__ import annotations

from dataclasses import replace

import pytest

from prefixlab.model import notes
from prefixlab.model.builders.plan import CWrapper
from prefixlab.model.exec import binarywrapper
from support.example_blocks import FLAGS


def names(spec: str) -> list[str]:
    return [name for name, _ in notes.rows(notes.Versions.parse(spec))]


def test_a_point_release_spec_reaches_its_row_and_later() -> None:
    assert notes.rows(notes.Versions.parse("3.12.4+")) == [
        ("3.12.4", (3, 12, 4)), ("3.13", (3, 13, 0)), ("3.14", (3, 14, 0))]


def test_a_range_ending_at_a_point_release_stops_before_the_next_row() -> None:
    assert names("3.12-3.12.3") == ["3.12", "3.12.2"]
    assert names("3.8-3.10")[-1] == "3.10.14"


def test_a_minor_alone_is_every_release_of_it() -> None:
    assert names("3.11") == ["3.11.0", "3.11.1", "3.11", "3.11.8"]
    assert (3, 11, 99) in notes.Versions.parse("3.11")
    assert (3, 12, 0) not in notes.Versions.parse("3.11")


def test_comma_joined_ranges_leave_a_gap() -> None:
    reached = names("3.8-3.10, 3.11.1+")
    assert "3.11.0" not in reached and "3.11.1" in reached and reached[-1] == "3.14"
    assert notes.rows(notes.Versions.parse("3.8-3.10, 3.11.1+"))[6] == ("3.11.1", (3, 11, 1))


def test_a_row_is_run_as_the_first_version_the_spec_allows() -> None:
    """3.11.5+ starts inside row 3.11 (3.11.2-3.11.7): that row is checked as 3.11.5."""
    assert notes.rows(notes.Versions.parse("3.11.5+"))[0] == ("3.11", (3, 11, 5))


@pytest.mark.parametrize("spec", ["3.8 and up", "3.10-3.8", "3", "3.x+"])
def test_a_bad_spec_is_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        notes.Versions.parse(spec)


EXERCISE = '''Some text.

```prefixlab-exercise
versions = "3.8+"
[layout]
"opt/py/bin/python{X.Y}" = "binary"
"opt/py/lib/python{X.Y}" = "stdlib"
[run]
program = "{ROOT}/opt/py/bin/python{X.Y}"
args = ["-S", "-c", "pass"]
[expect]
prefix = "{ROOT}/opt/py"
```

```prefixlab-example
versions = "3.8+"
exercise = true
[layout]
"lonely/python{X.Y}" = "binary"
[run]
program = "{ROOT}/lonely/python{X.Y}"
args = ["-S", "-c", "pass"]
[expect]
prefix = "{PREFIX}"
```
'''


def test_both_exercise_forms_are_read_and_hold_on_the_model() -> None:
    found = notes.read_note("09-x.md", EXERCISE)
    assert [(e.index, e.line, e.exercise) for e in found] == [(0, 3, True), (1, 15, True)]
    for example in found:
        for _, version in notes.rows(example.versions):
            assert notes.check_on_model(example, version) == [], (example.name, version)


def test_the_model_world_has_an_installation_at_the_compiled_in_prefix() -> None:
    example = notes.read_note("09-x.md", EXERCISE)[1]
    case = notes.bound(example, root=notes.MODEL_ROOT, version=(3, 14, 0),
                       prefix=notes.MODEL_PREFIX)
    answer = notes.predicted(notes.model_world(case, (3, 14, 0)), case)
    assert answer["status"] == "ok" and answer["prefix"] == notes.MODEL_PREFIX


EXCLUDING = '''```prefixlab-example
versions = "3.11+"
exclude = ["debian"]
[layout]
"opt/py/bin/python{X.Y}" = "binary"
"opt/py/lib/python{X.Y}" = "stdlib"
[run]
program = "{ROOT}/opt/py/bin/python{X.Y}"
args = ["-S", "-c", "pass"]
[expect]
prefix = "{ROOT}/opt/py"
```
'''


def test_an_example_may_leave_out_debians_build() -> None:
    """Debian's 3.11.2 is a 3.11 whose site.py differs: `exclude = ["debian"]` leaves it
    out of the real interpreters that check the example; upstream builds and the model's
    rows (upstream builds) still check it."""
    example = notes.read_note("09-x.md", EXCLUDING)[0]
    upstream = notes.constants((3, 11, 2))
    debian = replace(upstream, flavour="debian")
    assert example.applies_to_build(upstream) and not example.applies_to_build(debian)
    assert not example.applies_to_build(notes.constants((3, 10, 0)))
    assert notes.rows(example.versions)[0] == ("3.11.0", (3, 11, 0))
    plain = notes.read_note("09-x.md", EXCLUDING.replace('exclude = ["debian"]\n', ""))[0]
    assert plain.applies_to_build(debian)


@pytest.mark.parametrize("value", ['["upstream"]', '"debian"', '["fedora"]'])
def test_exclude_names_builds_it_knows(value: str) -> None:
    with pytest.raises(notes.ExampleError) as raised:
        notes.read_note("09-x.md", EXCLUDING.replace('["debian"]', value))
    assert "exclude" in str(raised.value) and "\n" not in str(raised.value)


REPLACED_LANDMARK = '''```prefixlab-example
versions = "3.8+"
[layout]
"opt/py/lib/python{X.Y}/os.py" = "text:# mine\\n"
"opt/py/lib/python{X.Y}" = "stdlib"
"opt/py/bin/python{X.Y}" = "binary"
[run]
program = "{ROOT}/opt/py/bin/python{X.Y}"
args = ["-S", "-c", "pass"]
[expect]
prefix = "{ROOT}/opt/py"
```
'''


def test_a_file_the_layout_puts_inside_a_stdlib_is_its_own() -> None:
    """Whatever the order of the keys, a layout file inside a stdlib entry replaces the
    stand-in of the real entry of that name (the real side writes it so: it replaces the
    link)."""
    example = notes.read_note("09-x.md", REPLACED_LANDMARK)[0]
    case = notes.bound(example, root=notes.MODEL_ROOT, version=(3, 12, 0),
                       prefix=notes.MODEL_PREFIX)
    world = notes.model_world(case, (3, 12, 0))
    landmark = f"{notes.MODEL_ROOT}/opt/py/lib/python3.12/os.py"
    assert world.fs.read(landmark) == b"# mine\n"
    assert notes.check_on_model(example, (3, 12, 0)) == []




def test_flags_are_the_models_startup_config() -> None:
    """sys.flags as the interpreter sets them from its command line and environment (-I
    implies -E, -s and, from 3.11, -P); a wrapper's -S and PYTHONNOUSERSITE count; a ._pth
    file makes the start isolated and without site, and leaves the user site flag alone
    (getpath.py 3.11+ sets isolated, use_environment, site_import and safe_path only)."""
    for example in notes.read_note("09-x.md", FLAGS):
        for _, version in notes.rows(example.versions):
            assert notes.check_on_model(example, version) == [], (example.name, version)
    wrong = FLAGS.replace("no_site = 0, safe_path", "no_site = 1, safe_path")
    assert notes.check_on_model(notes.read_note("09-x.md", wrong)[0], (3, 12, 0)) == [
        "flags: expected {'isolated': 1, 'ignore_environment': 1, 'no_user_site': 1, "
        "'no_site': 1, 'safe_path': 1}, got {'isolated': 1, 'ignore_environment': 1, "
        "'no_user_site': 1, 'no_site': 0, 'safe_path': 1}"]


@pytest.mark.parametrize(("old", "new"), [
    ("no_site = 0,", "optimize = 0,"),
    ("versions = \"3.11+\"", "versions = \"3.10+\""),
    ("args = [\"-I\", \"-c\", \"pass\"]", "args = [\"-I\", \"app.py\"]"),
])
def test_flags_it_cannot_compare_are_refused(old: str, new: str) -> None:
    with pytest.raises(notes.ExampleError) as raised:
        notes.read_note("09-x.md", FLAGS.replace(old, new, 1))
    message = str(raised.value)
    assert message.startswith("notes/09-x.md#0 (line 1): flags") and "\n" not in message, message


NIX_ENV = '''```prefixlab-example
versions = "3.8+"
[layout]
"opt/py/bin/python{X.Y}" = "binary"
"opt/py/lib/python{X.Y}" = "stdlib"
[[build]]
builder = "prefixlab-env"
flavor = "nix-297628"
argv0-mode = "inherit"
python = "{ROOT}/opt/py/bin/python{X.Y}"
dir = "{ROOT}/env"
[run]
program = "{ROOT}/env/bin/python{X.Y}"
args = ["-c", "pass"]
env = { PATH = "/usr/bin:/bin" }
[expect]
executable = "{ROOT}/env/bin/python{X.Y}"
prefix = "{ROOT}/env"
base_prefix = "{ROOT}/env"
```
'''


def test_a_nix_flavour_is_built_on_the_model() -> None:
    """#297628's wrapper passes an inherited argv[0]: the environment starts as itself."""
    example = notes.read_note("09-x.md", NIX_ENV)[0]
    for _, version in notes.rows(example.versions):
        assert notes.check_on_model(example, version) == [], version
    case = notes.bound(example, root=notes.MODEL_ROOT, version=(3, 12, 4),
                       prefix=notes.MODEL_PREFIX)
    world = notes.with_builds(notes.model_world(case, (3, 12, 4)), case)
    store = f"{notes.MODEL_ROOT}/env/.store/python3-3.12.4"
    wrapper = binarywrapper.read_binary(world.fs.read(f"{notes.MODEL_ROOT}/env/bin/python3.12"))
    assert wrapper == binarywrapper.BinaryWrapper(
        f"{store}/bin/python3.12", (("--inherit-argv0",), ("--set", "PYTHONNOUSERSITE", "true")))
    assert world.builds[f"{store}/bin/python3.12"].version == (3, 12, 4)


@pytest.mark.parametrize("flags", [
    ("--argv0", "/a b/it's", "--set", "K", "v\nw", "--inherit-argv0", "--resolve-argv0"),
    ("--prefix", "PATH", ":", "/x", "--add-flags", "-s -S"),
])
def test_a_wrapper_is_seen_as_the_flags_it_was_made_with(flags: tuple[str, ...]) -> None:
    data = notes.wrapper_binary(CWrapper("bin/w", "/store/bin/python3.12", flags))
    found = binarywrapper.read_binary(data)
    assert isinstance(found, binarywrapper.BinaryWrapper)
    words: list[str] = []
    for flag in found.flags:
        words.extend(flag)
    assert found.executable == "/store/bin/python3.12" and words == list(flags), found


@pytest.mark.parametrize(("old", "new"), [
    ('flavor = "nix-297628"', 'flavor = "nix-2024"'),
    ('builder = "prefixlab-env"', 'builder = "venv"'),
    ('flavor = "nix-297628"', 'flavor = "nix-classic"'),
    ('argv0-mode = "inherit"', 'argv0-mode = "resolve"'),
])
def test_a_flavour_it_cannot_build_is_refused(old: str, new: str) -> None:
    with pytest.raises(notes.ExampleError) as raised:
        notes.read_note("09-x.md", NIX_ENV.replace(old, new))
    message = str(raised.value)
    assert message.startswith("notes/09-x.md#0 (line 1): [[build]] ") and "\n" not in message
