"""The buildEnv merge: package trees combined into one symbolic-link farm, as a pure value.

This is the algorithm of nixpkgs' ``pkgs/build-support/buildenv/builder.pl`` (its
``findFiles``; ``default.nix`` of the same folder passes the priorities), restated over the
filesystem value and independent of any Python flavour:

* packages are visited in order; a name met for the first time becomes **one link** to the
  package's entry, so a directory that only one package provides is linked whole;
* a directory provided by two packages is **exploded**: it becomes a real directory and the
  entries of both providers are merged into it, each with its own package's priority;
* a file already provided by a package with a worse priority (a *higher* number, nixpkgs'
  ``meta.priority``, default 5) is replaced; one with a better priority stays;
* two entries that are the same file (after following links) are not a collision;
* otherwise two non-directories, or a directory and a file, collide: identical files (same
  mode bits, same bytes) are allowed, anything else is a :class:`CollisionError` naming both
  sources, unless ``ignore_collisions`` (the first provider wins, with a warning);
* a file where a real directory must be (a seeded or exploded one) is a
  :class:`NotADirectoryError_`, as builder.pl's "not a directory".

Targets are the package root joined with the relative path, as builder.pl builds them
(``$target/$name``), not resolved: a package reached through a link stays reached through it.
Tests of existence, directory-ness, identity and contents follow links through the kernel's
resolver (:mod:`prefixlab.model.world.kernel`), as perl's ``-d``, ``-e``, ``abs_path`` and
``File::Compare`` do.  Every package entry is visited at most twice (once when met, once more
if its directory is later exploded), so the work is linear in the packages' sizes.

Beyond builder.pl, a :class:`Package` may restrict what it contributes (``include``: only these
subtrees, their ancestors made real directories; ``exclude``: never these), which is how a
flavour takes an interpreter's own files out of a shared prefix such as ``/usr`` without
linking the prefix; and ``real_dirs`` forces directories of the result to be real (builder.pl
seeds the parents of ``pathsToLink`` the same way; nixpkgs' Python wrapper adds an empty
``bin`` package for its ``bin``).  nixpkgs' own skip list (``nix-support``, ``info/dir``...)
is :func:`nixpkgs_skip`, passed by the flavours that emulate nixpkgs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from prefixlab.model.errors import BadInput
from prefixlab.model.speedups import dataclass, field
from prefixlab.model.world.fs import Entry, FsView
from prefixlab.model.world.kernel import Errno, Resolver
from prefixlab.model.builders.plan import Link, Mkdir, Operation
from prefixlab.model.trace import Step, rule

DEFAULT_PRIORITY = 5
"""nixpkgs buildenv/default.nix: ``priority = drv.meta.priority or 5``."""

R_LINK = rule(
    "env.link", "merge",
    "An entry that no earlier package provides becomes one link to the package's entry; a "
    "directory only one package provides is linked whole.",
    "nixpkgs pkgs/build-support/buildenv/builder.pl findFiles (new entry)")
R_EXPLODE = rule(
    "env.explode", "merge",
    "A directory that two packages provide becomes a real directory holding the entries of "
    "both, each merged with its own package's priority.",
    "nixpkgs builder.pl findFiles (both directories: findFilesInDir on each)")
R_PRIORITY = rule(
    "env.priority", "merge",
    "Of two files at one path, the one whose package has the better (lower) priority number "
    "wins; the other is shadowed.",
    "nixpkgs builder.pl findFiles (priority comparison); buildenv/default.nix meta.priority")
R_SAME_FILE = rule(
    "env.same-file", "merge",
    "Two entries that are the same file once links are followed are not a collision; a "
    "non-link entry is preferred over a link.",
    "nixpkgs builder.pl findFiles (abs_path equality)")
R_IDENTICAL = rule(
    "env.identical", "merge",
    "Two different files with the same mode bits and the same bytes are not a collision; the "
    "first provider's is kept.",
    "nixpkgs builder.pl checkCollision (checkCollisionContents, default true)")
R_IGNORED = rule(
    "env.collision-ignored", "merge",
    "With collisions ignored, of two different entries at one path the first provider's is "
    "kept, with a warning.",
    "nixpkgs builder.pl findFiles (ignoreCollisions)")
R_DANGLING = rule(
    "env.dangling", "merge",
    "A package entry that is a link to nothing is linked anyway, with a warning.",
    "nixpkgs builder.pl findFiles ('creating dangling symlink')")
R_SKIPPED = rule(
    "env.skipped", "merge",
    "An entry the flavour's skip rule or the package's include/exclude leaves out is not "
    "linked.",
    "nixpkgs builder.pl findFiles (nix-support, info/dir, share/mime...); prefixlab "
    "Package.include/exclude")


@dataclass(frozen=True)
class Package:
    """One input tree: ``root`` is an absolute path in the filesystem value (it may go through
    links; targets keep it as written)."""

    root: str
    priority: int = DEFAULT_PRIORITY
    """Lower wins (nixpkgs meta.priority)."""
    label: str = ""
    """How messages name the package (default: its root)."""
    include: tuple[str, ...] | None = None
    """Relative paths of the only subtrees this package contributes (None: all of it).  Their
    ancestors are made real directories of the result, never links to this package's."""
    exclude: frozenset[str] = frozenset()
    """Relative paths this package never contributes (nor anything below them)."""
    at: str = ""
    """Where the root lands in the result, a relative path without a leading or trailing
    slash ("": the result's root); its ancestors are made
    real directories.  A flavour uses it to place a package's site-packages where the
    interpreter's site module looks (Debian: lib/python3/dist-packages)."""

    @property
    def name(self) -> str:
        return self.label or self.root


@dataclass(frozen=True)
class FarmDir:
    """A real directory of the result."""

    priority: int = 0


@dataclass(frozen=True)
class FarmLink:
    """A link of the result to ``target`` (absolute), provided by ``packages[package]``."""

    target: str
    package: int
    priority: int


FarmEntry = FarmDir | FarmLink


@dataclass(frozen=True)
class Farm:
    """The merged tree: relative path -> real directory or link (the root, "", is not listed)."""

    entries: Mapping[str, FarmEntry]
    packages: tuple[Package, ...] = ()
    steps: tuple[Step, ...] = ()
    warnings: tuple[str, ...] = ()

    def links(self) -> dict[str, str]:
        return {rel: e.target for rel, e in self.entries.items() if isinstance(e, FarmLink)}

    def dirs(self) -> list[str]:
        return sorted(rel for rel, e in self.entries.items() if isinstance(e, FarmDir))


class MergeError(BadInput):
    """The packages cannot be merged; the message is one line naming the file(s)."""


class CollisionError(MergeError):
    def __init__(self, rel: str, first: str, second: str) -> None:
        super().__init__(f"collision between '{second}' and '{first}'")
        self.rel = rel
        self.first = first
        self.second = second


class NotADirectoryError_(MergeError):  # noqa: N801 - builtin NotADirectoryError is an OSError
    def __init__(self, rel: str, target: str) -> None:
        super().__init__(f"not a directory: '{target}' (at {rel!r} of the environment)")
        self.rel = rel
        self.target = target


class PackageError(MergeError):
    """A package tree that must not be merged: a link leaving it, an unreadable file, a
    device or fifo (the message names the file)."""


def check_package(fs: FsView, root: str,
                  readable: Callable[[str, Entry], bool] | None = None) -> int:
    """Check every entry of the package at ``root``; return how many there are.

    A link must lead (after every link is followed; lexically when it leads nowhere) to the
    package's own tree: the environment links whole directories, so a link inside one that
    leaves the package would put outside files into the environment.  Files need a read
    permission bit, directories read and search bits; devices, fifos and sockets are refused.
    ``readable`` adds the caller's own test (impl asks access(2) for the user it runs as).
    """
    resolver = Resolver(fs)
    top = resolver.realpath(root)
    if isinstance(top, Errno) or (found := fs.entry(top)) is None or found.kind != "dir":
        raise PackageError(f"{root}: not a directory")
    count = 0
    stack = [top]
    while stack:
        directory = stack.pop()
        entry = fs.entry(directory)
        if entry is not None and (entry.mode & 0o444 == 0 or entry.mode & 0o111 == 0 or (
                readable is not None and not readable(directory, entry))):
            raise PackageError(f"{directory}: a directory that cannot be read")
        for name in fs.children(directory):
            path = f"{directory}/{name}" if directory != "/" else f"/{name}"
            entry = fs.entry(path)
            count += 1
            if entry is None:
                continue
            if entry.kind == "dir":
                stack.append(path)
            elif entry.kind == "link":
                reached = resolver.lookup(path).path
                if reached is None:
                    reached = _lexical(entry.target, directory)
                if not (reached == top or reached.startswith(top.rstrip("/") + "/")):
                    raise PackageError(f"{path}: a link to {entry.target!r}, which leaves "
                                       f"the package {root}")
            elif entry.kind == "other":
                raise PackageError(f"{path}: not a regular file, directory or link")
            elif entry.mode & 0o444 == 0 or (readable is not None
                                             and not readable(path, entry)):
                raise PackageError(f"{path}: a file that cannot be read (mode "
                                   f"{entry.mode:04o})")
    return count


def _lexical(target: str, directory: str) -> str:
    """A link target made absolute and normalised by its text alone."""
    parts: list[str] = [] if target.startswith("/") else directory.strip("/").split("/")
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    return "/" + "/".join(p for p in parts if p)


def nixpkgs_skip(rel: str) -> bool:
    """builder.pl's fixed skip list (``rel`` without a leading slash)."""
    base = rel.rpartition("/")[2]
    return (rel in ("propagated-build-inputs", "nix-support")
            or rel.endswith("info/dir")
            or (rel.startswith("share/mime/") and not rel.startswith("share/mime/packages"))
            or base in ("perllocal.pod", "log"))


_REAL = ""  # the target of a real directory in the working table, as builder.pl's ""


def merge(fs: FsView, packages: Sequence[Package], *, ignore_collisions: bool = False,
          check_contents: bool = True, real_dirs: Iterable[str] = (),
          skip: Callable[[str], bool] | None = None) -> Farm:
    """Merge ``packages`` (in order) into a farm; raise CollisionError or NotADirectoryError_
    (both MergeError) where builder.pl dies."""
    return _Merger(fs, tuple(packages), ignore_collisions, check_contents, skip).run(real_dirs)


@dataclass
class _Merger:
    fs: FsView
    packages: tuple[Package, ...]
    ignore_collisions: bool
    check_contents: bool
    skip: Callable[[str], bool] | None
    table: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    """rel -> (target or _REAL, priority, package index)."""
    steps: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.resolver = Resolver(self.fs)
        # Never linked whole: the ancestors of what a package includes, and of what it
        # excludes (where that exists: a link to the directory would bring it back in).
        self.partial: list[frozenset[str]] = [
            _ancestors(p.include) | _ancestors(tuple(
                e for e in p.exclude if self.resolver.lookup(f"{p.root}/{e}",
                                                             follow=False).entry is not None))
            for p in self.packages]

    def run(self, real_dirs: Iterable[str]) -> Farm:
        self.table[""] = (_REAL, 0, -1)
        for rel in real_dirs:
            rel = rel.strip("/")
            parts = rel.split("/")
            for i in range(1, len(parts) + 1):
                self.table["/".join(parts[:i])] = (_REAL, 0, -1)
        for index, package in enumerate(self.packages):
            if not package.root.startswith("/"):
                raise MergeError(f"{package.root}: a package root must be absolute")
            found = self.resolver.stat(package.root)
            if found is None or found.kind != "dir":
                raise MergeError(f"{package.name}: not a directory")
            at = package.at
            if at:
                parts = at.split("/")
                for i in range(1, len(parts)):
                    self.table.setdefault("/".join(parts[:i]), (_REAL, 0, -1))
            self.find(at, package.root, package.priority, index)
        entries: dict[str, FarmEntry] = {}
        for rel in sorted(self.table):
            target, priority, index = self.table[rel]
            if rel == "":
                continue
            entries[rel] = (FarmDir(priority) if target == _REAL
                            else FarmLink(target, index, priority))
        return Farm(entries, self.packages, tuple(self.steps), tuple(self.warnings))

    # -- builder.pl's findFiles, restated ---------------------------------------------------
    def find(self, rel: str, target: str, priority: int, index: int) -> None:
        package = self.packages[index]
        at = package.at
        own = rel if not at else ("" if rel == at else rel[len(at) + 1:])  # root-relative
        if own and self._left_out(rel, own, package):
            self.steps.append(Step.of(R_SKIPPED, "{target}: left out", entry=rel, target=target))
            return
        old = self.table.get(rel)
        is_dir = self._is_dir(target)
        if own in self.partial[index]:  # holds an include or an exclude: never linked whole
            self._forced(rel, target, is_dir, priority, index, old)
            return
        if old is None or (priority < old[1] and old[0] != _REAL and not self._is_dir(old[0])):
            if old is not None:
                self.steps.append(Step.of(R_PRIORITY, "{entry}: {kept} (priority {kept_priority}) "
                                          "shadows {shadowed} (priority {shadowed_priority})",
                                          entry=rel, kept=target, kept_priority=priority,
                                          shadowed=old[0], shadowed_priority=old[1]))
            if self.resolver.lookup(target).entry is None:
                link = self.resolver.readlink(target)
                self.warnings.append(f"creating dangling link '{rel}' -> '{target}' -> '{link}'")
                self.steps.append(Step.of(R_DANGLING, "{entry}: {target} leads nowhere",
                                          entry=rel, target=target))
            self.table[rel] = (target, priority, index)
            return
        old_target, old_priority, old_index = old
        if old_target != _REAL:
            here, there = self.resolver.realpath(target), self.resolver.realpath(old_target)
            if not isinstance(here, Errno) and here == there:
                self.steps.append(Step.of(R_SAME_FILE, "{entry}: {target} is {first}",
                                          entry=rel, target=target, first=old_target))
                if (self._is_link(old_target) and not self._is_link(target)):
                    self.table[rel] = (target, priority, index)
                return
            if priority > old_priority and not self._is_dir(old_target):
                self.steps.append(Step.of(R_PRIORITY, "{entry}: {kept} (priority {kept_priority}) "
                                          "shadows {shadowed} (priority {shadowed_priority})",
                                          entry=rel, kept=old_target, kept_priority=old_priority,
                                          shadowed=target, shadowed_priority=priority))
                return
        if old_target == _REAL and not is_dir:
            raise NotADirectoryError_(rel, target)
        if not (is_dir and (old_target == _REAL or self._is_dir(old_target))):
            self._collide(rel, old_target, target)
            return
        if old_target != _REAL:
            if not self._contributes(rel, target, package):
                # everything in it is excluded: a directory that adds nothing does not split
                # the one already linked (beyond builder.pl, which has no exclusions)
                self.steps.append(Step.of(R_SKIPPED, "{target}: nothing in it is contributed",
                                          entry=rel, target=target))
                return
            self.steps.append(Step.of(R_EXPLODE, "{entry}: provided by {first} and {target}",
                                      entry=rel, first=old_target, target=target))
            self._walk(rel, old_target, old_priority, old_index)
        self._walk(rel, target, priority, index)
        self.table[rel] = (_REAL, priority, index)

    def _forced(self, rel: str, target: str, is_dir: bool, priority: int, index: int,
                old: tuple[str, int, int] | None) -> None:
        if not is_dir:
            raise NotADirectoryError_(rel, target)
        if rel and not self._contributes(rel, target, self.packages[index]):
            self.steps.append(Step.of(R_SKIPPED, "{target}: nothing in it is contributed",
                                      entry=rel, target=target))
            return
        if old is not None and old[0] != _REAL:
            if not self._is_dir(old[0]):
                self._collide(rel, old[0], target)
                return
            self.steps.append(Step.of(R_EXPLODE, "{entry}: provided by {first} and {target}",
                                      entry=rel, first=old[0], target=target))
            self._walk(rel, *old)
        self.table[rel] = (_REAL, priority, index)
        self._walk(rel, target, priority, index)

    def _collide(self, rel: str, first: str, target: str) -> None:
        if self.ignore_collisions:
            self.warnings.append(f"collision between '{target}' and '{first}'")
            self.steps.append(Step.of(R_IGNORED, "{entry}: {first} kept over {target}",
                                      entry=rel, first=first, target=target))
            return
        if self.check_contents and self._identical(first, target):
            self.steps.append(Step.of(R_IDENTICAL, "{entry}: {target} equals {first}",
                                      entry=rel, target=target, first=first))
            return
        raise CollisionError(rel, first, target)

    def _contributes(self, rel: str, target: str, package: Package) -> bool:
        if not package.exclude and package.include is None and self.skip is None:
            return True
        physical = self.resolver.realpath(target)
        if isinstance(physical, Errno):
            return True
        at = package.at
        for name in self.fs.children(physical):
            child = f"{rel}/{name}" if rel else name
            own = child if not at else child[len(at) + 1:]
            if not self._left_out(child, own, package):
                return True
        return False

    def _walk(self, rel: str, target: str, priority: int, index: int) -> None:
        physical = self.resolver.realpath(target)
        if isinstance(physical, Errno):
            raise MergeError(f"{target}: cannot be read ({physical.value})")
        for name in self.fs.children(physical):
            self.find(f"{rel}/{name}" if rel else name, f"{target}/{name}", priority, index)

    def _left_out(self, rel: str, own: str, package: Package) -> bool:
        """``rel`` in the result, ``own`` in the package (include/exclude are the
        package's)."""
        if self.skip is not None and self.skip(rel):
            return True
        if package.exclude and any(own == e or own.startswith(e + "/")
                                   for e in package.exclude):
            return True
        include = package.include
        if include is None:
            return False
        return not any(own == i or own.startswith(i + "/") or i.startswith(own + "/")
                       for i in include)

    def _is_dir(self, target: str) -> bool:
        found = self.resolver.stat(target)
        return found is not None and found.kind == "dir"

    def _is_link(self, target: str) -> bool:
        found = self.resolver.lookup(target, follow=False).entry
        return found is not None and found.kind == "link"

    def _identical(self, first: str, second: str) -> bool:
        a, b = self.resolver.stat(first), self.resolver.stat(second)
        if a is None or b is None or a.kind != "file" or b.kind != "file" or a.mode != b.mode:
            return False
        data_a, data_b = self.resolver.read_file(first), self.resolver.read_file(second)
        return not isinstance(data_a, Errno) and data_a == data_b


def _ancestors(include: tuple[str, ...] | None) -> frozenset[str]:
    """The strict ancestors of the given paths ("" included): real directories."""
    if not include:
        return frozenset()
    found = {""}
    for path in include:
        parts = path.strip("/").split("/")
        found.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return frozenset(found)


def farm_plan(farm: Farm, extra: Iterable[Operation] = ()) -> tuple[Operation, ...]:
    """The farm as plan operations (absolute link targets), parents first.  ``extra``
    operations are added, replacing the farm's entry at the same path (a flavour's wrappers
    over the linked bin entries); a replaced real directory takes its contents with it."""
    extras = {op.path: op for op in extra}
    dropped = [path for path, op in extras.items()
               if isinstance(farm.entries.get(path), FarmDir) and not isinstance(op, Mkdir)]
    ops: dict[str, Operation] = {}
    for rel, entry in farm.entries.items():
        if rel in extras or any(rel.startswith(d + "/") for d in dropped):
            continue
        ops[rel] = Mkdir(rel) if isinstance(entry, FarmDir) else Link(rel, entry.target)
    ops.update(extras)
    return tuple(ops[path] for path in sorted(ops))
