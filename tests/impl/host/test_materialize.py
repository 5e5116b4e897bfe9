"""impl.materialize: a Layout written to disk reads back as itself; bindings run for real;
bad requests fail with one line and leave nothing behind."""

from __future__ import annotations

import os
import subprocess

import pytest
from hypothesis import given

from prefixlab.impl.host.interpreters import Interpreter
from prefixlab.impl.host.materialize import (MaterializeError, materialize, remove_tree,
                                             scratch_dir, scratch_parent)
from prefixlab.impl.host.snapshot import Snapshot
from prefixlab.model.world.fs import Layout

from conftest import in_scope_interpreters, interpreter_id, require_oracle
from support.trees import SETTINGS, Tree, trees

INTERPRETERS = list(in_scope_interpreters())


def below(layout: Layout, root: str) -> Layout:
    """The layout's nodes strictly below root (Layout adds root and its ancestors itself)."""
    return Layout({p: n for p, n in layout.items() if p.startswith(root + "/")})


def fails(layout: Layout, root: str, match: str, **kwargs: object) -> str:
    """materialize must raise a one-line MaterializeError matching ``match``."""
    with pytest.raises(MaterializeError, match=match) as raised:
        materialize(layout, root, **kwargs)  # type: ignore[arg-type]
    message = str(raised.value)
    assert "\n" not in message and message
    return message


# -- round trip --------------------------------------------------------------------------------
@SETTINGS
@given(trees(max_queries=1))
def test_round_trip(tree: Tree) -> None:
    with scratch_dir() as base:
        root = f"{base}/t"
        layout = tree.layout(root)
        materialize(layout, root)
        assert below(Snapshot(root).eager(), root) == below(layout, root)
        root_entry = layout.entry(root)
        assert root_entry is not None and os.lstat(root).st_mode & 0o7777 == root_entry.mode


def test_round_trip_of_odd_names_modes_and_links() -> None:
    with scratch_dir() as base:
        root = f"{base}/t"
        layout = (Layout().with_dir(root, 0o711)
                  .with_file(f"{root}/é \n name", b"\0\xff", 0o4755)
                  .with_file(f"{root}/raw-\udcff", b"", 0o000)      # a non-UTF-8 name byte
                  .with_dir(f"{root}/ro", 0o555).with_dir(f"{root}/ro/none", 0o000)
                  .with_file(f"{root}/ro/none/f", b"deep", 0o600)
                  .with_link(f"{root}/dangling", "../../nowhere/")
                  .with_link(f"{root}/loop", "loop")
                  .with_link(f"{root}/abs", f"{root}//ro/./none/f")
                  .with_link(f"{root}/ro/none/up", "../.."))
        materialize(layout, root)
        assert below(Snapshot(root).eager(), root) == below(layout, root)
        assert os.stat(root).st_mode & 0o7777 == 0o711
        assert os.readlink(f"{root}/abs") == f"{root}//ro/./none/f"  # verbatim
    assert not os.path.exists(base)


def test_an_existing_empty_root_is_used() -> None:
    with scratch_dir() as base:
        materialize(Layout().with_file(f"{base}/f", b"x"), base)
        assert os.listdir(base) == ["f"]


def test_an_empty_layout_makes_an_empty_root() -> None:
    with scratch_dir() as base:
        materialize(Layout(), f"{base}/t")
        assert os.listdir(f"{base}/t") == []


# -- bindings ----------------------------------------------------------------------------------
def _stdlib(interp: Interpreter) -> str:
    assert interp.constants is not None
    return f"{interp.constants.prefix}/{interp.constants.stdlib_subdir}"


def _install(root: str, interp: Interpreter,
             mode: int = 0o755) -> tuple[Layout, dict[str, object]]:
    """An install tree: the binary as a placeholder File and a stdlib skeleton Dir."""
    assert interp.constants is not None
    exe = f"{root}/bin/{os.path.basename(interp.real_path)}"
    stdlib = f"{root}/{interp.constants.stdlib_subdir}"
    layout = (Layout().with_file(exe, b"placeholder", mode).with_dir(stdlib)
              .with_file(f"{stdlib}/os.py", b"# skeleton").with_dir(f"{stdlib}/lib-dynload"))
    return layout, {exe: ("hardlink", interp.real_path),
                    stdlib: ("children-links", _stdlib(interp))}


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS, ids=interpreter_id)
def test_bound_install_runs(interp: Interpreter) -> None:
    """A hard-linked real binary plus a children-links stdlib starts, imports os, and finds
    its prefix in the generated tree."""
    with scratch_dir() as base:
        root = f"{base}/inst"
        layout, bindings = _install(root, interp)
        materialize(layout, root, bindings=bindings)  # type: ignore[arg-type]
        exe = next(iter(bindings))
        assert os.path.samefile(exe, interp.real_path)  # a hard link, not a copy
        done = subprocess.run([exe, "-S", "-c", "import os, sys; print(sys.prefix)"],
                              capture_output=True, text=True, env={}, cwd="/", timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == root


@pytest.mark.real
@pytest.mark.parametrize("interp", INTERPRETERS[:1], ids=interpreter_id)
def test_bound_install_on_the_scratch_parent_runs(interp: Interpreter) -> None:
    """In the campaigns' scratch parent (a tmpfs where there is one, another filesystem than
    the interpreter's), the binary is the source's bytes and mode, hard-linked to one copy
    kept for the process: two layouts share it.  It starts and finds its prefix there."""
    parent = scratch_parent()
    seen = []
    for _ in range(2):
        with scratch_dir(parent=parent) as base:
            assert base.startswith(parent + "/")
            root = f"{base}/inst"
            layout, bindings = _install(root, interp)
            materialize(layout, root, bindings=bindings)  # type: ignore[arg-type]
            exe = next(iter(bindings))
            with open(exe, "rb") as made, open(interp.real_path, "rb") as real:
                assert made.read() == real.read()
            assert os.stat(exe).st_mode == os.stat(interp.real_path).st_mode
            done = subprocess.run([exe, "-S", "-c", "import os, sys; print(sys.prefix)"],
                                  capture_output=True, text=True, env={}, cwd="/", timeout=60)
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip() == root
            seen.append(os.stat(exe).st_ino)
    if os.stat(parent).st_dev != os.stat(interp.real_path).st_dev:
        assert seen[0] == seen[1]  # one copy, linked twice


def test_scratch_parent_is_a_writable_physical_directory() -> None:
    parent = scratch_parent()
    assert os.path.isdir(parent) and os.path.realpath(parent) == parent
    assert os.access(parent, os.W_OK | os.X_OK)
    assert not os.statvfs(parent).f_flag & os.ST_NOEXEC


def test_some_interpreter_to_bind() -> None:
    require_oracle(bool(INTERPRETERS), "no CPython 3.8+ interpreter to bind was found")


def test_children_links_are_absolute_and_skip_the_skeleton() -> None:
    with scratch_dir() as base:
        source = f"{base}/src"
        materialize(Layout().with_file(f"{source}/a.py", b"real").with_dir(f"{source}/pkg"),
                    source)
        root = f"{base}/t"
        layout = (Layout().with_dir(f"{root}/lib", 0o555).with_file(f"{root}/lib/os.py")
                  .with_dir(f"{root}/lib/encodings").with_file(f"{root}/lib/encodings/x.py"))
        materialize(layout, root, bindings={f"{root}/lib": ("children-links", source)})
        assert sorted(os.listdir(f"{root}/lib")) == ["a.py", "pkg"]
        assert os.readlink(f"{root}/lib/a.py") == f"{source}/a.py"
        assert os.stat(f"{root}/lib").st_mode & 0o777 == 0o555


def test_hardlink_with_other_mode_is_a_copy() -> None:
    """chmod through a hard link would change the source: another mode means a copy."""
    with scratch_dir() as base:
        source = f"{base}/src/bin"
        materialize(Layout().with_file(source, b"\x7fELF", 0o755), f"{base}/src")
        root = f"{base}/t"
        same, other = f"{root}/same", f"{root}/other"
        layout = Layout().with_file(same, b"", 0o755).with_file(other, b"", 0o644)
        materialize(layout, root, bindings={same: ("hardlink", source),
                                            other: ("hardlink", source)})
        assert os.path.samefile(same, source)
        assert not os.path.samefile(other, source)
        assert os.stat(other).st_mode & 0o777 == 0o644
        assert os.stat(source).st_mode & 0o777 == 0o755
        with open(other, "rb") as handle:
            assert handle.read() == b"\x7fELF"


# -- failures leave nothing behind -------------------------------------------------------------
def test_refusals() -> None:
    with scratch_dir() as base:
        root = f"{base}/t"
        os.mkdir(f"{base}/full")
        open(f"{base}/full/x", "wb").close()
        open(f"{base}/file", "wb").close()
        os.symlink(base, f"{base}/link")
        fails(Layout(), f"{base}/full", "exists and is not empty")
        fails(Layout(), f"{base}/file", "exists and is not a directory")
        fails(Layout(), f"{base}/missing/t", "not an existing physical directory")
        fails(Layout(), f"{base}/link/t", "not an existing physical directory")
        fails(Layout(), "relative", "absolute")
        fails(Layout(), f"{root}/", "no empty")
        fails(Layout().with_file(f"{base}/elsewhere"), root, "outside the materialize root")
        fails(Layout().with_file(root), root, "must be a directory")
        fails(Layout().with_link(f"{root}/l", ""), root, "empty target")
        fails(Layout().with_file(f"{root}/f"), root, "not in the layout",
              bindings={f"{root}/g": ("hardlink", "/bin/sh")})
        fails(Layout().with_dir(f"{root}/f"), root, "needs a File",
              bindings={f"{root}/f": ("hardlink", "/bin/sh")})
        fails(Layout().with_file(f"{root}/f"), root, "needs a Dir",
              bindings={f"{root}/f": ("children-links", "/usr")})
        fails(Layout().with_file(f"{root}/f"), root, "not a regular file",
              bindings={f"{root}/f": ("hardlink", f"{base}/nowhere")})
        fails(Layout().with_file(f"{root}/f"), root, "not absolute",
              bindings={f"{root}/f": ("hardlink", "bin/sh")})
        fails(Layout().with_file(f"{root}/d/f"), root, "inside the children-links",
              bindings={f"{root}/d": ("children-links", "/usr"),
                        f"{root}/d/f": ("hardlink", "/bin/sh")})
        assert sorted(os.listdir(base)) == ["file", "full", "link"]


def test_ancestors_in_the_layout_must_be_real_directories() -> None:
    with scratch_dir() as base:
        open(f"{base}/file", "wb").close()
        layout = Layout().with_file(f"{base}/file/t/x")  # the layout says 'file' is a dir
        fails(layout, f"{base}/file/t", "not an existing physical directory")


@pytest.mark.parametrize("existing", [False, True])
def test_a_failure_midway_removes_what_was_written(existing: bool) -> None:
    with scratch_dir() as base:
        root = f"{base}/t"
        if existing:
            os.mkdir(root, 0o751)
            os.chmod(root, 0o751)
        layout = (Layout().with_dir(f"{root}/ro", 0o000).with_file(f"{root}/ro/f", b"x")
                  .with_file(f"{root}/z/" + "n" * 300))  # ENAMETOOLONG, after ro/f
        message = fails(layout, root, "cannot be written")
        assert "n" * 300 in message and "File name too long" in message
        assert os.path.exists(root) == existing
        if existing:
            assert os.listdir(root) == [] and os.stat(root).st_mode & 0o777 == 0o751


def test_scratch_dir_is_physical_and_removed_even_when_locked() -> None:
    with scratch_dir("prefixlab-test-") as base:
        assert os.path.realpath(base) == base
        assert os.path.basename(base).startswith("prefixlab-test-")
        materialize(Layout().with_dir(f"{base}/t/a", 0o000).with_file(f"{base}/t/a/f"),
                    f"{base}/t")
        os.chmod(f"{base}/t", 0o000)
    assert not os.path.lexists(base)


def test_remove_tree_never_follows_links() -> None:
    with scratch_dir() as base:
        materialize(Layout().with_file(f"{base}/keep/f"), f"{base}/keep")
        os.mkdir(f"{base}/gone")
        os.symlink(f"{base}/keep", f"{base}/gone/link")
        remove_tree(f"{base}/gone")
        assert os.listdir(f"{base}/keep") == ["f"]
