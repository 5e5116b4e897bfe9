"""importlib's own path arithmetic, as the import system runs it on POSIX.

The frozen bootstrap cannot import posixpath, so Lib/importlib/_bootstrap_external.py has
its replacements, and they are not posixpath's: ``_path_join`` drops empty parts and strips
every part's trailing slashes, an absolute later part does not restart the path, and
nothing is normalised.  The POSIX branch of each is the same in 3.8-3.14 but for
``_path_abspath``, which exists from 3.12 (the caller chooses by the behaviour table).
"""

from __future__ import annotations

def path_join(*parts: str) -> str:
    """_bootstrap_external._path_join (POSIX): each non-empty part with its trailing slashes
    stripped, joined with '/'."""
    return "/".join([part.rstrip("/") for part in parts if part])


def path_join2(head: str, tail: str) -> str:
    """``path_join(head, tail)`` for exactly two parts, with no tuple or list made (the
    finders join a few hundred times per prediction)."""
    if head and tail:
        return head.rstrip("/") + "/" + tail.rstrip("/")
    return (head or tail).rstrip("/")


def path_split(path: str) -> tuple[str, str]:
    """_bootstrap_external._path_split: the parts before and after the last '/' (no '/': ''
    and the path).  Unlike posixpath.split, the head keeps its trailing slashes and '/x'
    splits into '' and 'x'."""
    head, _, tail = path.rpartition("/")
    return head, tail


def path_abspath(path: str, cwd: str) -> str:
    """_bootstrap_external._path_abspath (3.12+), with ``cwd`` for ``_os.getcwd()``: an
    absolute path as it is; a relative one loses one leading './' and is joined to the
    working directory with :func:`path_join`, not normalised."""
    if path.startswith("/"):
        return path
    return path_join2(cwd, path.removeprefix("./"))
