"""How the command line ends: its exit codes, the one line that reports an error, and the
switch that shows a traceback instead.

Shared by the click front end (impl/cli/main.py) and the click-free start of ``build venv``
(impl/cli/build_venv.py), so it imports neither click nor anything a warm build does not
already load.  Exit codes (every command's, in impl/cli/main.py's EXIT_CODES): 0 an answer,
1 a negative one (``diff`` found differences, ``which`` found no module, ``build check`` or
``conform`` a failure, ``fuzz-unwrap`` a finding), 2 input prefixlab cannot act on (:class:`prefixlab.model.errors.BadInput` and
:class:`~prefixlab.model.errors.NotModelled`: one line on stderr, never a traceback), 3 a
failure of prefixlab itself (one line too, unless ``PREFIXLAB_DEBUG`` is set).
"""

from __future__ import annotations

import os
import sys

from prefixlab.impl.render.escape import show
from prefixlab.model.errors import BadInput, NotModelled

EXIT_OK, EXIT_DIFFERENT, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3

DEBUG_ENV = "PREFIXLAB_DEBUG"
"""Set (to anything but the empty string): an internal error propagates, with its traceback."""


def propagates(error: BaseException) -> bool:
    """Should ``error`` propagate, traceback and all, instead of being reported?  Only an
    internal error, and only when asked for (``PREFIXLAB_DEBUG``)."""
    return bool(os.environ.get(DEBUG_ENV)) and not is_bad_input(error)


def is_bad_input(error: BaseException) -> bool:
    """An error about the input, not about prefixlab: reported as one line, exit status 2."""
    return isinstance(error, (BadInput, NotModelled))


def report(error: Exception, where: str) -> int:
    """Write the one line for ``error`` that reached the front end ``where`` (e.g.
    ``prefixlab build venv``) on stderr, and return the exit status.  Callers re-raise the
    error instead when it :func:`propagates` (a bare ``raise`` in their handler keeps the
    traceback as it was)."""
    message = one_line(str(error))
    if is_bad_input(error):
        _write(f"{where}: {message}")
        return EXIT_BAD_INPUT
    _write(f"{where}: internal error: {type(error).__name__}: {message} "
           f"(set {DEBUG_ENV}=1 for the traceback)")
    return EXIT_INTERNAL


def one_line(text: str) -> str:
    """``text`` on one line (runs of blanks and newlines become one space), with what is left
    of control characters and undecodable bytes escaped by the one escaping function (a
    message quotes its values as reprs or shown already, so its backslashes are kept)."""
    return show(" ".join(text.split()), backslash=False)


def _write(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
