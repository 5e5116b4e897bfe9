"""Package scripts retargeted at an environment's interpreter, structure-aware, losing nothing.

A package's ``bin`` entry is the first hop of an exec chain that ends in a Python interpreter.
In a composed environment that interpreter must be the environment's, and nothing else may
change: not a line of the Python code, not a variable its wrappers set.  Each shape is
recognised by its structure (the texts nixpkgs' generators write: make-wrapper.sh's
``#! SHELL -e`` ... ``exec "TARGET" "$@"``, the line-1 test of wrap.sh), never by line numbers
(the ``sed -e '1d' -e '3d'`` of nixpkgs #297628 deleted pretalx's ``import os``: #302315,
reverted by #302385):

* **a Python script** (line 1 names ``python``/``pypy``, directly or through ``env NAME``): a
  copy whose #! interpreter is replaced, every other byte kept (:mod:`prefixlab.model.scripts.lines`).  Through
  ``env -S PYTHON ARGS`` (:mod:`envline`), line 1 becomes ``env -S ENV_PYTHON ARGS``,
  every argument kept; an env line asking env for more (``-i``, ``-u``, ``-C``, an
  assignment, a variable) is left as it is, with a warning.  When the
  environment's interpreter path is too long for a #! line or holds a blank, the copy starts
  with installer's ``#!/bin/sh`` trampoline instead, as pip would write it;
* **installer's ``#!/bin/sh`` trampoline** (``'''exec' 'PYTHON' "$0" "$@"`` on line 2, written
  for long interpreter paths): a copy with that PYTHON replaced;
* **a makeWrapper shell wrapper** (nixpkgs' wrapped pair ``bin/foo`` + ``bin/.foo-wrapped``,
  or a chain of them): a new wrapper made of the wrapper's own lines, verbatim, followed by
  ``exec ENV_PYTHON [ARG] SCRIPT FLAGS "$@" FLAGS``: the wrapped script is run by the
  environment's interpreter *as it is* (its wrapPythonPrograms preamble, which only appends
  the package's own directories to sys.path and names the package's script in argv[0], stays);
* **a makeBinaryWrapper** whose program is a Python script: a new compiled wrapper with the
  same environment flags running ``ENV_PYTHON [ARG] SCRIPT`` (a :class:`CWrapper` op);
* a wrapper of either kind whose program is a **Python interpreter binary** (``makeWrapper
  python3 bin/foo --add-flags main.py``): the same, with the environment's interpreter in
  its place;
* **a link to a Python script**: the package's path of the link is what is run
  (``exec ENV_PYTHON LINK "$@"``), so the script still finds what lies beside its real file;
  a link to a wrapper or a trampoline is rewritten as the file it leads to (their texts name
  absolute paths);
* anything else (binaries, shell tools, scripts of other languages) is linked unchanged.

The interpreter is started by its path in the environment, with that path as its argv[0]
(no ``exec -a``), which is what makes it find the environment as its prefix.
"""

from __future__ import annotations

import re

from prefixlab.model.scripts import envline
from prefixlab.model.speedups import dataclass
from prefixlab.model.world.fs import FsView
from prefixlab.model.world.kernel import Errno, Resolver
from prefixlab.model.builders.plan import CWrapper, Operation, Write
from prefixlab.model.scripts.lines import ScriptError, first_line, parse_shebang, replace_interpreter
from prefixlab.model.trace import Step, rule

R_SCRIPT = rule(
    "env.script-copy", "scripts",
    "A Python script of a package is copied with its #! interpreter replaced by the "
    "environment's; every other byte is kept.",
    "prefixlab.model.scripts.lines.replace_interpreter; pip/installer write scripts the same way")
R_TRAMPOLINE = rule(
    "env.script-trampoline", "scripts",
    "A #! line cannot hold the interpreter path (longer than installer's 127-byte limit, or "
    "with a blank): the script starts with installer's #!/bin/sh trampoline instead.",
    "pypa/installer scripts.py _build_shebang; Linux fs/binfmt_script.c")
R_WRAPPER = rule(
    "env.script-wrapper", "scripts",
    "A makeWrapper (shell) wrapper around a Python script keeps its own lines and runs the "
    "script it wraps with the environment's interpreter, flags kept.",
    "nixpkgs pkgs/build-support/setup-hooks/make-wrapper.sh makeShellWrapper (c04b0dda); "
    "nixpkgs #302385 (unwrapping by line number reverted)")
R_BINARY = rule(
    "env.script-binary-wrapper", "scripts",
    "A makeBinaryWrapper around a Python script becomes a compiled wrapper with the same "
    "environment flags running the script with the environment's interpreter.",
    "nixpkgs make-binary-wrapper.sh makeCWrapper")
R_LINKED = rule(
    "env.script-link", "scripts",
    "A bin entry that is a link to a Python script or wrapper runs the link's path in the "
    "package with the environment's interpreter, so the script's real location is kept.",
    "prefixlab (scripts locating data beside their real file)")
R_ENV_SPLIT = rule(
    "env.script-env-split", "scripts",
    "A Python script whose line 1 is `env -S PYTHON ARGS` is copied with PYTHON replaced by "
    "the environment's interpreter, every argument and every other line kept; an env line "
    "that asks env for more (-i, -u, -C, an assignment, a variable) is left as it is.",
    "GNU coreutils env -S (src/env.c); prefixlab.model.scripts.envline")
R_KEPT = rule(
    "env.script-kept", "scripts",
    "A bin entry that does not end in a Python interpreter is linked unchanged.",
    "prefixlab")

SHEBANG_LIMIT = 127
"""installer's _build_shebang: a #! line of more than 127 bytes (or with a blank) is replaced
by the #!/bin/sh trampoline (the historical BINPRM_BUF_SIZE; Linux reads 256 since 5.1)."""

_PYTHON_NAME = re.compile(rb"\.?(python|pypy)")  # wrap.sh: grep "/\.\?\(python\|pypy\)"
# installer's _build_shebang quotes the path with shlex.quote (only when it must); distlib
# writes it as is
_TRAMPOLINE_LINE2 = re.compile(
    rb"'''exec' (?P<exe>'(?:[^']|'\"'\"')*'|[^\s'\"]+) \"\$0\" \"\$@\"(?P<end>\r?\n)")
# makeShellWrapper's exec line: exec [-a "ARGV0"] "PROGRAM" BEFORE "$@" AFTER
_EXEC = re.compile(r'exec (?:-a "[^"]*" )?"(?P<target>[^"$`\\]*)" (?P<before>.*) "\$@"(?P<after>.*)')
_MAX_CHAIN = 8


@dataclass(frozen=True)
class Retargeted:
    """What a bin entry becomes: an operation (None: keep the link) and why."""

    op: Operation | None
    step: Step
    warning: str = ""


@dataclass(frozen=True)
class _Script:
    path: str
    """The Python script's path as it is to be run (a link's path is kept)."""
    argument: str | None
    """The #! line's one argument, if any."""
    interpreter: bool = False
    """The wrapper runs a Python interpreter binary itself (``makeWrapper python3 ...
    --add-flags main.py``): there is no script path to pass."""
    args: tuple[str, ...] = ()
    """The interpreter's arguments from an ``env -S PYTHON ARGS`` line."""

    @property
    def words(self) -> list[str]:
        """What the interpreter is given before the script."""
        return ([] if self.argument is None else [self.argument]) + list(self.args)


def retarget(fs: FsView, rel: str, source: str, python: str,
             resolver: Resolver | None = None) -> Retargeted:
    """What the bin entry ``rel`` of the environment, a link to ``source`` in a package,
    becomes so that it runs with ``python`` (the environment's interpreter path)."""
    resolver = resolver or Resolver(fs)
    found = resolver.lookup(source, follow=False).entry
    if found is None:
        return Retargeted(None, Step.of(R_KEPT, "{entry}: {source} does not exist", entry=rel,
                                        source=source))
    if found.kind == "link":
        linked = _python_script(resolver, source)
        if linked is not None:
            return Retargeted(Write(rel, _sh_exec(python, linked, [], []), 0o755),
                              Step.of(R_LINKED, "{entry}: {source} is a link; run as such",
                                      entry=rel, source=source))
        # a link to a wrapper: the wrapper's text names absolute paths, so it is rewritten
        # as the file it leads to
        found = resolver.stat(source)
        if found is None:
            return Retargeted(None, Step.of(R_KEPT, "{entry}: {source} leads nowhere", entry=rel,
                                            source=source))
    data = resolver.read_file(source)
    if found.kind != "file" or isinstance(data, Errno):
        return Retargeted(None, Step.of(R_KEPT, "{entry}: {source} is not a regular file",
                                        entry=rel, source=source))
    mode = found.mode
    script = _python_script(resolver, source)
    if script is not None:
        return _copy(rel, source, data, python, mode)
    trampoline = _retrampoline(data, python)
    if trampoline is not None:
        return Retargeted(Write(rel, trampoline, mode),
                          Step.of(R_TRAMPOLINE, "{entry}: installer's trampoline, interpreter "
                                  "replaced", entry=rel))
    # The wrapper readers (makewrapper, binarywrapper) are imported where a bin entry
    # may be a wrapper: a package of Python scripts does not pay for them.
    if data.startswith(b"\x7fELF"):
        return _binary(rel, source, data, python, resolver)
    return _shell(rel, source, data, python, resolver)


def _copy(rel: str, source: str, data: bytes, python: str, mode: int) -> Retargeted:
    first, rest = first_line(data)
    through_env = envline.read(data[:512])
    if isinstance(through_env, envline.EnvPython):
        return _copy_env_split(rel, source, through_env, first, rest, python, mode)
    if len(python) + 3 > SHEBANG_LIMIT or re.search(r"[ \t\n]", python):
        text = (b"#!/bin/sh\n'''exec' " + _sh_quote(python) + b' "$0" "$@"\n' + b"' '''\n"
                + rest)
        return Retargeted(Write(rel, text, mode),
                          Step.of(R_TRAMPOLINE, "{entry}: {source} copied; the interpreter path "
                                  "does not fit a #! line", entry=rel, source=source))
    try:
        text = replace_interpreter(data, python.encode("utf-8", "surrogateescape"))
    except ScriptError as error:
        return Retargeted(None, Step.of(R_KEPT, "{entry}: {source}: {error}", entry=rel,
                                        source=source, error=str(error)),
                          f"{source}: not retargeted ({error})")
    return Retargeted(Write(rel, text, mode),
                      Step.of(R_SCRIPT, "{entry}: {source} copied, interpreter replaced",
                              entry=rel, source=source))


def _copy_env_split(rel: str, source: str, found: envline.EnvPython, first: bytes,
                    rest: bytes, python: str, mode: int) -> Retargeted:
    ending = first[len(first.rstrip(b"\r\n")):]
    line = envline.line(found, python, ending, SHEBANG_LIMIT)
    if line is not None:
        return Retargeted(Write(rel, line + rest, mode),
                          Step.of(R_ENV_SPLIT, "{entry}: {source} copied, env -S runs the "
                                  "environment's interpreter with the same arguments",
                                  entry=rel, source=source))
    text = envline.trampoline(found, python)
    if text is None:
        return Retargeted(None, Step.of(R_KEPT, "{entry}: {source}: env -S line too long",
                                        entry=rel, source=source),
                          f"{source}: not retargeted (its env -S line with the environment's "
                          "interpreter would not fit a #! line, and its arguments not a "
                          "trampoline)")
    return Retargeted(Write(rel, text + rest, mode),
                      Step.of(R_TRAMPOLINE, "{entry}: {source} copied; the interpreter path does "
                              "not fit a #! line", entry=rel, source=source))


def _python_script(resolver: Resolver, path: str) -> _Script | None:
    """The script at ``path`` (links followed), if line 1 runs a Python interpreter."""
    data = resolver.read_file(path)
    if isinstance(data, Errno):
        return None
    shebang = parse_shebang(first_line(data[:512])[0])
    if shebang is not None and shebang.env_options:
        found = envline.read(data[:512])
        if isinstance(found, envline.EnvPython):
            return _Script(path, None, args=found.args)
        return None
    if shebang is None:
        return None
    name = re.split(rb"[ \t]+", shebang.interpreter)[-1].rsplit(b"/", 1)[-1]
    if not _PYTHON_NAME.match(name):
        return None
    argument = shebang.rest.strip(b" \t")
    return _Script(path, argument.decode("utf-8", "surrogateescape") or None)


def _wrapped(resolver: Resolver, path: str) -> _Script | None:
    """What a wrapper's program is when it ends in Python: a Python script, or a Python
    interpreter binary (an ELF file named python*/pypy* that is not itself a wrapper)."""
    script = _python_script(resolver, path)
    if script is not None:
        return script
    name = path.rsplit("/", 1)[-1].encode("utf-8", "surrogateescape")
    if not _PYTHON_NAME.match(name):
        return None
    data = resolver.read_file(path)
    if isinstance(data, Errno) or not data.startswith(b"\x7fELF"):
        return None
    from prefixlab.model.exec import binarywrapper

    if binarywrapper.read_binary(data) is not None:
        return None
    return _Script(path, None, interpreter=True)


def _retrampoline(data: bytes, python: str) -> bytes | None:
    line, rest = first_line(data)
    if line.rstrip(b"\r\n") != b"#!/bin/sh":
        return None
    found = _TRAMPOLINE_LINE2.match(rest)
    if found is None:
        return None
    return (line + b"'''exec' " + _sh_quote(python) + b' "$0" "$@"' + found["end"]
            + rest[found.end():])


@dataclass(frozen=True)
class _Chain:
    line1: str
    lines: tuple[str, ...]
    before: str
    after: str
    script: _Script


def _shell_chain(resolver: Resolver, data: bytes) -> _Chain | None:
    """The makeWrapper chain starting with ``data``, down to the Python script it runs."""
    from prefixlab.model.exec import makewrapper

    lines: list[str] = []
    befores: list[str] = []
    afters: list[str] = []
    line1 = ""
    for _ in range(_MAX_CHAIN):
        try:
            text = data.decode("utf-8", "surrogateescape")
        except ValueError:
            return None
        first = text.split("\n", 1)[0]
        if not re.fullmatch(r"#! ?\S+ -eu?", first):
            return None
        parsed = makewrapper.parse(text)
        if isinstance(parsed, makewrapper.NotUnderstood):
            return None
        found = _EXEC.fullmatch(parsed.exec_line)
        if found is None:
            return None
        line1 = line1 or first
        body = text.split("\n")[1:parsed.exec_line_number - 1]
        lines.extend(body)
        # An outer wrapper's flags end up inside the inner one's: BEFORE_inner BEFORE_outer
        befores.insert(0, found["before"].strip())
        afters.append(found["after"].strip())
        target = found["target"]
        script = _wrapped(resolver, target)
        if script is not None:
            return _Chain(line1, tuple(lines), " ".join(b for b in befores if b),
                          " ".join(a for a in afters if a), script)
        next_data = resolver.read_file(target)
        if isinstance(next_data, Errno):
            return None
        data = next_data
    return None


def _shell(rel: str, source: str, data: bytes, python: str, resolver: Resolver) -> Retargeted:
    chain = _shell_chain(resolver, data)
    if chain is None:
        line = first_line(data[:512])[0]
        shebang = parse_shebang(line)
        refused = envline.read(data[:512])
        if isinstance(refused, envline.Refused):
            # `#!/usr/bin/env -S -i python3`: env would change what Python runs with
            return Retargeted(None, Step.of(R_KEPT, "{entry}: {source} {why}", entry=rel,
                                            source=source, why=refused.why),
                              f"{source}: line 1 {refused.why}; not retargeted (it runs the "
                              "python PATH gives)")
        if shebang is not None and shebang.env_options and re.search(rb"python|pypy", line):
            return Retargeted(None, Step.of(R_KEPT, "{entry}: {source} runs env with options",
                                            entry=rel, source=source),
                              f"{source}: line 1 runs env with options; not retargeted (it "
                              "runs the python PATH gives)")
        return Retargeted(None, Step.of(R_KEPT, "{entry}: {source} runs no Python script",
                                        entry=rel, source=source))
    words = [b"exec", _dq(python)]
    words += [_sh_quote(w) for w in chain.script.words]
    if not chain.script.interpreter:
        words.append(_dq(chain.script.path))
    if chain.before:
        words.append(chain.before.encode("utf-8", "surrogateescape"))
    words.append(b'"$@"')
    if chain.after:
        words.append(chain.after.encode("utf-8", "surrogateescape"))
    body = "\n".join((chain.line1, *chain.lines)).encode("utf-8", "surrogateescape")
    text = body + b"\n" + b" ".join(words) + b"\n"
    return Retargeted(Write(rel, text, 0o755),
                      Step.of(R_WRAPPER, "{entry}: {source} wraps {script}; its lines kept, the "
                              "script run by the environment's interpreter", entry=rel,
                              source=source, script=chain.script.path))


def _binary(rel: str, source: str, data: bytes, python: str, resolver: Resolver) -> Retargeted:
    from prefixlab.model.exec import binarywrapper

    found = binarywrapper.read_binary(data)
    if not isinstance(found, binarywrapper.BinaryWrapper):
        return Retargeted(None, Step.of(R_KEPT, "{entry}: {source} is a binary", entry=rel,
                                        source=source))
    script = _wrapped(resolver, found.executable)
    if script is None:
        return Retargeted(None, Step.of(R_KEPT, "{entry}: {source} wraps no Python script",
                                        entry=rel, source=source))
    planned = binarywrapper.plan(found)
    flags: list[str] = [word for op in planned.env_ops for word in op]
    for word in script.words:
        flags += ["--add-flag", word]
    if not script.interpreter:
        flags += ["--add-flag", script.path]
    for word in planned.before:
        flags += ["--add-flag", word]
    for word in planned.after:
        flags += ["--append-flag", word]
    return Retargeted(CWrapper(rel, python, tuple(flags)),
                      Step.of(R_BINARY, "{entry}: {source} wraps {script}; its flags kept, the "
                              "script run by the environment's interpreter", entry=rel,
                              source=source, script=script.path))


def _sh_exec(python: str, script: _Script, before: list[str], after: list[str]) -> bytes:
    words = [b"exec", _sh_quote(python)]
    words += [_sh_quote(w) for w in script.words]
    words.append(_sh_quote(script.path))
    words += [_sh_quote(w) for w in before]
    words.append(b'"$@"')
    words += [_sh_quote(w) for w in after]
    return b"#!/bin/sh\n" + b" ".join(words) + b"\n"


def _sh_quote(text: str) -> bytes:
    """One shell word: single quotes, a quote inside written as '\\''."""
    return b"'" + text.encode("utf-8", "surrogateescape").replace(b"'", b"'\\''") + b"'"


def _dq(text: str) -> bytes:
    """A double-quoted word as makeWrapper writes its program path (quoted singly when the
    path holds a character special inside double quotes)."""
    if re.search(r'["$`\\]', text):
        return _sh_quote(text)
    return b'"' + text.encode("utf-8", "surrogateescape") + b'"'
