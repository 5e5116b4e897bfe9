"""The buildEnv merge (model/builders/buildenv.py) on generated package trees.

Expected values come from properties and from a sequential oracle of builder.pl's rules for one
path (nixpkgs pkgs/build-support/buildenv/builder.pl, its findFiles): a first
provider is kept, a better (lower) priority replaces a file, a worse one is shadowed, equal
priorities collide unless the files are identical (same mode and bytes) or collisions are
ignored (the first wins).  The farm is then read back through the kernel's resolver and must
show every file the oracle keeps, and nothing else; on disk, it must read as `cp -rs` of the
winners does, with fewer entries.
"""

from __future__ import annotations

import os
import random
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prefixlab.impl.builders import writer
from prefixlab.model.builders.buildenv import (CollisionError, Farm, FarmDir, MergeError,
                                      NotADirectoryError_, Package, PackageError,
                                      check_package, farm_plan, merge)
from prefixlab.model.world.fs import Layout
from prefixlab.model.world.kernel import Resolver
from prefixlab.model.builders.plan import check_plan

DIRS = ("a", "b", "ns")
FILES = ("f", "g", "h.py")  # never a directory name: kinds agree across packages

FileSpec = tuple[bytes, int]
Tree = dict[str, FileSpec]


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    paths = draw(st.lists(
        st.tuples(st.lists(st.sampled_from(DIRS), max_size=3), st.sampled_from(FILES)),
        min_size=1, max_size=6))
    tree: Tree = {}
    for dirs, name in paths:
        rel = "/".join([*dirs, name])
        tree[rel] = (draw(st.sampled_from([b"1", b"2"])), draw(st.sampled_from([0o644, 0o755])))
    return tree


packages_st = st.lists(st.tuples(trees(), st.integers(min_value=0, max_value=2)),
                       min_size=1, max_size=5)


def layout_of(specs: Sequence[tuple[Tree, int]]) -> tuple[Layout, list[Package]]:
    layout = Layout()
    packages = []
    for i, (tree, priority) in enumerate(specs):
        root = f"/p{i}"
        layout = layout.with_dir(root)
        for rel, (data, mode) in tree.items():
            layout = layout.with_file(f"{root}/{rel}", data, mode)
        packages.append(Package(root, priority))
    return layout, packages


def oracle(specs: Sequence[tuple[Tree, int]], ignore: bool
           ) -> tuple[dict[str, FileSpec], list[tuple[str, int, int]]]:
    """builder.pl's rules for each file path, fold over the providers in order: the files
    kept, and the collisions (path, first provider, second provider)."""
    kept: dict[str, tuple[int, int]] = {}  # rel -> (package index, priority)
    collisions = []
    for i, (tree, priority) in enumerate(specs):
        for rel, spec in tree.items():
            old = kept.get(rel)
            if old is None or priority < old[1]:
                kept[rel] = (i, priority)
            elif priority == old[1] and specs[old[0]][0][rel] != spec and not ignore:
                collisions.append((rel, old[0], i))
    return {rel: specs[i][0][rel] for rel, (i, _) in kept.items()}, collisions


def read_back(layout: Layout, farm: Farm, out: str = "/out") -> dict[str, FileSpec]:
    """Every file reachable below ``out`` once the farm is laid there, links followed."""
    view = layout.with_dir(out)
    for rel, entry in farm.entries.items():
        path = f"{out}/{rel}"
        view = view.with_dir(path) if isinstance(entry, FarmDir) else view.with_link(
            path, entry.target)
    resolver = Resolver(view)
    found: dict[str, FileSpec] = {}
    stack = [""]
    while stack:
        rel = stack.pop()
        physical = resolver.realpath(f"{out}/{rel}" if rel else out)
        assert isinstance(physical, str)
        for name in view.children(physical):
            child = f"{rel}/{name}" if rel else name
            seen = resolver.stat(f"{out}/{child}")
            assert seen is not None, child
            if seen.kind == "dir":
                stack.append(child)
            else:
                data = resolver.read_file(f"{out}/{child}")
                assert isinstance(data, bytes)
                found[child] = (data, seen.mode)
    return found


def provided_dirs(tree: Tree) -> set[str]:
    return {"/".join(rel.split("/")[:i]) for rel in tree for i in range(1, rel.count("/") + 1)}


@settings(max_examples=200, deadline=None)
@given(packages_st, st.booleans())
def test_merge_shows_exactly_the_winning_files(specs: list[tuple[Tree, int]],
                                               ignore: bool) -> None:
    layout, packages = layout_of(specs)
    expected, collisions = oracle(specs, ignore)
    if collisions:
        with pytest.raises(CollisionError) as caught:
            merge(layout, packages, ignore_collisions=ignore)
        error = caught.value
        # the error names both sources: two providers of one path, with different files
        first, second = error.first, error.second
        i, j = int(first.split("/")[1][1:]), int(second.split("/")[1][1:])
        assert first == f"/p{i}/{error.rel}" and second == f"/p{j}/{error.rel}"
        assert i < j and specs[i][0][error.rel] != specs[j][0][error.rel]
        assert first in str(error) and second in str(error)
        return
    farm = merge(layout, packages, ignore_collisions=ignore)
    assert read_back(layout, farm) == expected
    check_plan(farm_plan(farm))


@settings(max_examples=200, deadline=None)
@given(packages_st)
def test_directories_are_exploded_only_where_several_packages_provide_them(
        specs: list[tuple[Tree, int]]) -> None:
    layout, packages = layout_of(specs)
    try:
        farm = merge(layout, packages, ignore_collisions=True)
    except MergeError:
        raise AssertionError("ignore_collisions never fails on agreeing kinds") from None
    providers: dict[str, int] = {}
    for tree, _ in specs:
        for rel in provided_dirs(tree):
            providers[rel] = providers.get(rel, 0) + 1
    for rel, entry in farm.entries.items():
        if isinstance(entry, FarmDir):
            assert providers.get(rel, 0) >= 2, rel
        elif rel in providers:
            assert providers[rel] == 1, rel  # a directory one package provides: one link
    # never below a link, and never more entries than a copy of every path (cp -rs)
    union = set().union(*(set(t) | provided_dirs(t) for t, _ in specs))
    assert len(farm.entries) <= len(union)
    for rel in farm.entries:
        parent = rel.rpartition("/")[0]
        assert not parent or isinstance(farm.entries[parent], FarmDir)


def test_identical_files_are_not_a_collision_and_different_ones_name_both() -> None:
    layout = (Layout().with_file("/a/lib/ns/__init__.py", b"", 0o644)
              .with_file("/b/lib/ns/__init__.py", b"", 0o644)
              .with_file("/a/lib/ns/x.py", b"x").with_file("/b/lib/ns/y.py", b"y"))
    farm = merge(layout, [Package("/a"), Package("/b")])
    assert farm.links()["lib/ns/__init__.py"] == "/a/lib/ns/__init__.py"
    assert "env.identical" in [s.rule.id for s in farm.steps]
    # same bytes, other mode bits: builder.pl's checkCollision compares the mode too
    changed = layout.with_file("/b/lib/ns/__init__.py", b"", 0o755)
    with pytest.raises(CollisionError, match="'/b/lib/ns/__init__.py' and '/a/lib/ns/__init__.py'"):
        merge(changed, [Package("/a"), Package("/b")])


def test_priority_and_ignore_collisions() -> None:
    layout = Layout().with_file("/a/bin/x", b"a", 0o755).with_file("/b/bin/x", b"b", 0o755)
    assert merge(layout, [Package("/a"), Package("/b", 1)]).links()["bin/x"] == "/b/bin/x"
    assert merge(layout, [Package("/a", 1), Package("/b")]).links()["bin/x"] == "/a/bin/x"
    ignored = merge(layout, [Package("/a"), Package("/b")], ignore_collisions=True)
    assert ignored.links()["bin/x"] == "/a/bin/x" and ignored.warnings


def test_a_file_where_a_real_directory_must_be() -> None:
    layout = Layout().with_file("/a/bin", b"not a dir")
    with pytest.raises(NotADirectoryError_, match="/a/bin"):
        merge(layout, [Package("/a")], real_dirs=["bin"])
    # a file and a directory at one path collide
    both = Layout().with_file("/a/x/y", b"1").with_file("/b/x", b"2")
    with pytest.raises(CollisionError):
        merge(both, [Package("/a"), Package("/b")])


def test_same_file_through_links_is_kept_once_preferring_the_non_link() -> None:
    layout = (Layout().with_file("/real/bin/x", b"1", 0o755)
              .with_link("/a/bin/x", "/real/bin/x").with_dir("/b/bin")
              .with_file("/b/bin/x", b"other", 0o755))
    layout = layout.with_link("/b/bin/x", "/real/bin/x").with_file("/c/bin/x", b"1", 0o755)
    farm = merge(layout, [Package("/a"), Package("/real")])
    assert farm.links()["bin/x"] == "/real/bin/x"
    assert "env.same-file" in [s.rule.id for s in farm.steps]


def test_include_exclude_and_at() -> None:
    layout = (Layout().with_file("/usr/lib/python3.11/os.py", b"")
              .with_file("/usr/lib/python3.11/site-packages/pip.py", b"")
              .with_file("/usr/lib/python3/dist-packages/apt.py", b"")
              .with_file("/usr/lib/libc.so", b"")
              .with_file("/p/lib/python3.11/site-packages/m.py", b""))
    usr = Package("/usr", include=("lib/python3.11",),
                  exclude=frozenset({"lib/python3.11/site-packages"}))
    site = Package("/p/lib/python3.11/site-packages", at="lib/python3/dist-packages")
    farm = merge(layout, [usr, site], real_dirs=["bin"])
    # /usr/lib/python3.11 holds an excluded site-packages: split, never linked whole
    assert farm.links() == {"lib/python3.11/os.py": "/usr/lib/python3.11/os.py",
                            "lib/python3/dist-packages": "/p/lib/python3.11/site-packages"}
    assert isinstance(farm.entries["lib"], FarmDir)  # never a link to /usr/lib
    # excluded means absent even when the directory is exploded
    farm = merge(layout, [usr, Package("/p")])
    assert "lib/python3.11/site-packages/pip.py" not in farm.entries
    assert farm.links()["lib/python3.11/site-packages"] == "/p/lib/python3.11/site-packages"


def test_merge_work_is_linear_in_the_packages() -> None:
    """Adding packages that share every directory costs each one its own entries only."""
    def calls(n: int) -> int:
        layout = Layout()
        for i in range(n):
            layout = layout.with_file(f"/p{i}/lib/python3.11/site-packages/m{i}/__init__.py")
            layout = layout.with_file(f"/p{i}/bin/s{i}", b"", 0o755)
        counted = CountingView(layout)
        merge(counted, [Package(f"/p{i}") for i in range(n)])
        return counted.count
    small, large = calls(20), calls(200)
    assert large <= 12 * small  # 10x the packages, not 100x the work


class CountingView:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.count = 0

    def entry(self, path: str):  # type: ignore[no-untyped-def]
        self.count += 1
        return self.layout.entry(path)

    def read(self, path: str) -> bytes:
        self.count += 1
        return self.layout.read(path)

    def children(self, path: str) -> tuple[str, ...]:
        self.count += 1
        return self.layout.children(path)


def test_check_package_refuses_links_leaving_the_package_and_unreadable_files() -> None:
    base = Layout().with_file("/p/lib/m.py", b"").with_file("/etc/passwd", b"x")
    assert check_package(base.with_link("/p/lib/ok", "m.py"), "/p") == 3
    assert check_package(base.with_link("/p/lib/dangling", "nothing"), "/p") == 3
    for link in ("/etc/passwd", "../../etc/passwd", "../../nowhere", "/etc"):
        with pytest.raises(PackageError, match="/p/lib/bad: a link"):
            check_package(base.with_link("/p/lib/bad", link), "/p")
    with pytest.raises(PackageError, match="/p/lib/secret: a file that cannot be read"):
        check_package(base.with_file("/p/lib/secret", b"", 0), "/p")
    with pytest.raises(PackageError, match="/p/lib: a directory that cannot be read"):
        check_package(base.with_dir("/p/lib", 0o600), "/p")
    with pytest.raises(PackageError, match="not a directory"):
        check_package(base, "/etc/passwd")


def test_on_disk_the_farm_reads_as_cp_rs_with_fewer_entries(tmp_path: Path) -> None:
    """Written by the writer, the farm shows the same files with the same bytes as `cp -rs`
    of the same trees (identical files only, so cp's overwriting order does not matter), and it
    creates fewer filesystem entries."""
    rng = random.Random(5)
    roots = []
    for i in range(30):
        root = tmp_path / f"pkg{i}"
        made = [f"lib/python3.11/site-packages/mod{i}/__init__.py",
                 f"lib/python3.11/site-packages/mod{i}/sub/x.py", f"bin/tool{i}",
                 f"share/doc/pkg{i}/README"]
        if rng.random() < 0.5:
            made.append("lib/python3.11/site-packages/ns/__init__.py")  # identical in all
        for rel in made:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"" if rel.endswith("ns/__init__.py") else rel.encode())
        roots.append(str(root))
    from prefixlab.impl.host.snapshot import Snapshot
    farm = merge(Snapshot(str(tmp_path)), [Package(r) for r in roots])
    writer.apply(farm_plan(farm), str(tmp_path / "env"))
    copied = tmp_path / "cp"
    copied.mkdir()
    subprocess.run(["cp", "-rs", "--remove-destination", *[f"{r}/." for r in roots], str(copied)], check=True)

    def files(top: Path) -> dict[str, bytes]:
        out = {}
        for dirpath, _, names in os.walk(top, followlinks=True):
            for name in names:
                path = Path(dirpath) / name
                out[str(path.relative_to(top))] = path.read_bytes()
        return out

    def entries(top: Path) -> int:
        return sum(len(d) + len(f) for _, d, f in os.walk(top))

    assert files(tmp_path / "env") == files(copied)
    assert entries(tmp_path / "env") < entries(copied)


def test_check_package_asks_the_callers_access_test() -> None:
    """impl passes access(2): a file the user cannot read is refused even with read bits."""
    base = Layout().with_file("/p/lib/m.py", b"").with_file("/p/lib/other.py", b"")
    assert check_package(base, "/p", lambda path, entry: True) == 3
    with pytest.raises(PackageError, match="/p/lib/other.py: a file that cannot be read"):
        check_package(base, "/p", lambda path, entry: not path.endswith("other.py"))
    with pytest.raises(PackageError, match="/p/lib: a directory that cannot be read"):
        check_package(base, "/p", lambda path, entry: path != "/p/lib")


def test_a_directory_that_contributes_nothing_does_not_split_a_linked_one() -> None:
    layout = (Layout().with_file("/usr/lib/python3.11/os.py", b"")
              .with_file("/p/lib/python3.11/site-packages/m.py", b""))
    site = "lib/python3.11/site-packages"
    farm = merge(layout, [Package("/usr", include=("lib/python3.11",)),
                          Package("/p", exclude=frozenset({site})),
                          Package(f"/p/{site}", at="lib/python3/dist-packages")])
    assert farm.links() == {"lib/python3.11": "/usr/lib/python3.11",
                            "lib/python3/dist-packages": f"/p/{site}"}


def test_an_excluded_path_is_not_brought_back_by_a_link_to_its_directory() -> None:
    layout = (Layout().with_file("/usr/lib/python3.11/os.py", b"")
              .with_file("/usr/lib/python3.11/dist-packages/apt.py", b""))
    farm = merge(layout, [Package("/usr", include=("lib/python3.11",),
                                  exclude=frozenset({"lib/python3.11/dist-packages",
                                                     "lib/python3.11/site-packages"}))])
    assert farm.links() == {"lib/python3.11/os.py": "/usr/lib/python3.11/os.py"}
