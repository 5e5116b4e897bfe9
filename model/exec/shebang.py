"""The kernel's ``#!`` line, as Linux's binfmt_script reads it.

Only the first BINPRM_BUF_SIZE bytes of the file are looked at.  The interpreter path runs from
the first non-blank byte after ``#!`` to the next space, tab or NUL; whatever follows (blanks
skipped, trailing blanks trimmed) is *one* optional argument, taken whole, spaces and all.
The kernel then runs ``interpreter [argument] filename argv[1:]``: argv[0] is dropped and
replaced by the filename the script was executed as (the path given to execve, not a resolved
one).  A line longer than the buffer is cut at the buffer's end, but only if the interpreter
path itself is complete (a blank or NUL follows it inside the buffer); otherwise the exec fails
with ENOEXEC rather than running a truncated path.
"""

from __future__ import annotations

from prefixlab.model.speedups import dataclass

# Linux include/uapi/linux/binfmts.h: 256 since 5.1 (6eb3c3d0a52d, it was 128 before).
BINPRM_BUF_SIZE = 256
# Linux fs/exec.c exec_binprm(): "if (depth > 5) return -ELOOP" (5.8+; earlier kernels count
# bprm->recursion_depth the same way): at most five scripts in one execve, the last
# interpreter being a binary.  Checked on this machine's kernel (tests/model/exec/test_execchain_kernel).
MAX_SCRIPT_DEPTH = 5


@dataclass(frozen=True)
class Shebang:
    """A ``#!`` line the kernel accepts."""

    interpreter: str
    """The interpreter path, verbatim (relative paths are relative to the cwd)."""
    argument: str | None
    """The single optional argument, or None."""

    def argv(self, filename: str, args: tuple[str, ...]) -> tuple[str, ...]:
        """The interpreter's argv when the script was executed as ``filename`` with argv
        ``(argv0, *args)``."""
        head = (self.interpreter,) if self.argument is None else (self.interpreter,
                                                                   self.argument)
        return (*head, filename, *args)


@dataclass(frozen=True)
class NotAScript:
    """binfmt_script declines: ENOEXEC (too short, no ``#!``, no interpreter, or a truncated
    interpreter path)."""

    why: str


def _spacetab(byte: int) -> bool:
    return byte in (0x20, 0x09)


def _next_non_spacetab(buf: bytes, first: int, last: int) -> int | None:
    for index in range(first, last + 1):
        if not _spacetab(buf[index]):
            return index
    return None


def _next_terminator(buf: bytes, first: int, last: int) -> int | None:
    for index in range(first, last + 1):
        if _spacetab(buf[index]) or buf[index] == 0:
            return index
    return None


def _c_string(raw: bytes) -> str:
    """The bytes up to the first NUL, decoded as CPython and the model decode paths."""
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def parse(head: bytes) -> Shebang | NotAScript:
    """Read the ``#!`` line from the first bytes of a file (more than the buffer is ignored).

    Follows fs/binfmt_script.c load_script() (Linux 5.1+): a file shorter than the buffer is
    padded with NULs, which end the line as a newline would.
    """
    if head[:2] != b"#!":
        return NotAScript("no #! at the start")
    buf = head[:BINPRM_BUF_SIZE].ljust(BINPRM_BUF_SIZE, b"\0")
    buf_end = BINPRM_BUF_SIZE - 1
    newline = buf.find(b"\n")
    if newline >= 0:
        i_end = newline
    else:
        start = _next_non_spacetab(buf, 2, buf_end)
        if start is None:
            return NotAScript("the #! line is blank to the end of the buffer")
        if _next_terminator(buf, start, buf_end) is None:
            return NotAScript(f"the interpreter path is longer than the {BINPRM_BUF_SIZE}-byte "
                              "buffer (the kernel will not run a truncated path)")
        i_end = buf_end
    while _spacetab(buf[i_end - 1]):
        i_end -= 1
    i_name = _next_non_spacetab(buf, 2, i_end)
    if i_name is None or i_name == i_end:
        return NotAScript("no interpreter named after #!")
    i_arg = None
    i_sep = _next_terminator(buf, i_name, i_end)
    if i_sep is not None and buf[i_sep] != 0:
        i_arg = _next_non_spacetab(buf, i_sep, i_end)
    if i_arg is None:
        return Shebang(_c_string(buf[i_name:i_end]), None)
    assert i_sep is not None
    return Shebang(_c_string(buf[i_name:i_sep]), _c_string(buf[i_arg:i_end]))
