"""posixpath's path arithmetic, as site.py, sysconfig and venv call it through os.path.

Pure string operations; where posixpath asks the process (``os.getcwd()``, ``$HOME``), the
answer is a parameter.  Each function matches Lib/posixpath.py, whose results for these
operations are the same in every version the model covers (3.8-3.13 compared on the same
inputs; 3.11+ normalise in C, ``posix._path_normpath``, to the same strings).  They differ
on purpose from getpath's helpers (:mod:`prefixlab.model.paths.getpath`): ``normpath('')``
is '.', not ''; a path that cancels out is '.', not ''; ``dirname('/usr')`` is '/', not '';
``join`` never normalises.
"""

from __future__ import annotations

def join(first: str, *rest: str) -> str:
    """posixpath.join: an absolute part restarts the path; a '/' is added after a non-empty
    path that does not end with one; nothing is normalised."""
    path = first
    for part in rest:
        if part.startswith("/"):
            path = part
        elif not path or path.endswith("/"):
            path += part
        else:
            path += "/" + part
    return path


def normpath(path: str) -> str:
    """posixpath.normpath: '' and a path that cancels out are '.'; exactly two leading
    slashes are kept (POSIX leaves their meaning to the implementation), three or more are
    one; a '..' above the root is dropped, a leading '..' of a relative path kept."""
    if not path:
        return "."
    if path[0] == "/" and "//" not in path and "/." not in path and path[-1] != "/":
        return path  # already normal: no '', '.' or '..' component, one leading slash
    slashes = 2 if path.startswith("//") and not path.startswith("///") else (
        1 if path.startswith("/") else 0)
    kept: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part != ".." or (not slashes and not kept) or (kept and kept[-1] == ".."):
            kept.append(part)
        elif kept:
            kept.pop()
    return "/" * slashes + "/".join(kept) or "."


def abspath(path: str, cwd: str) -> str:
    """posixpath.abspath, with ``cwd`` for ``os.getcwd()``: a relative path is joined to the
    working directory, then the whole is normalised."""
    return normpath(path if path.startswith("/") else join(cwd, path))


def dirname(path: str) -> str:
    """posixpath.dirname: everything before the last '/', its trailing slashes removed unless
    it is all slashes (so dirname('/usr') == '/', dirname('usr') == '')."""
    head = path[:path.rfind("/") + 1]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head


def basename(path: str) -> str:
    """posixpath.basename: everything after the last '/'."""
    return path[path.rfind("/") + 1:]


def expanduser(path: str, home: str | None) -> str:
    """posixpath.expanduser for a leading '~' alone or followed by '/', with ``home`` for what
    '~' stands for ($HOME when set, even empty, else the passwd entry's pw_dir; None when
    there is none, and the path is left as is).  The home loses its trailing slashes; an
    empty result is '/'.  A '~name' prefix is left as is: nothing here looks names up, and
    site.py only expands '~' itself."""
    if not path.startswith("~"):
        return path
    end = path.find("/", 1)
    if end < 0:
        end = len(path)
    if end != 1 or home is None:
        return path
    return (home.rstrip("/") + path[end:]) or "/"
