"""Pools of case files shared between workers and machines, and Hypothesis example databases.

A conformance finding is saved as a portable case file: a JSON object with a string ``"id"``,
otherwise opaque here.  A :class:`CasePool` keeps them by id; :func:`open_pool` picks the
backend from a URL:

* a path, or ``file:///path``: a shared directory, one file ``<id>.json`` per case, each
  written to a temporary file in the same directory and renamed over the old one
  (os.replace is atomic on one filesystem: a reader sees the old case or the new one, never
  half of one), so any number of writers may share it, over NFS as well;
* ``redis://host:port/db``, ``rediss://...`` or ``unix:///path/redis.sock``: a Redis server,
  each case at ``prefixlab:cases:<id>`` and the ids in the set ``prefixlab:cases``, both
  written in one MULTI/EXEC transaction.

:func:`example_database` gives, for the same URLs, a Hypothesis example database that
workers of one configuration share, so a failure one of them found is replayed by all:
DirectoryBasedExampleDatabase for a path, hypothesis.extra.redis.RedisExampleDatabase for a
Redis URL.  The ``redis`` package is imported only for a Redis URL (``pip install
'prefixlab[redis]'``); without it such a URL is a one-line BadInput.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

from prefixlab.impl.render.escape import quoted
from prefixlab.model.errors import BadInput

if TYPE_CHECKING:
    import redis

Case = dict[str, Any]
"""A case file: a JSON object whose "id" is a string (the rest is the conform tool's)."""

SUFFIX = ".json"
KEY_PREFIX = "prefixlab:cases:"
"""A case's key on a Redis server is this and its id."""
INDEX_KEY = "prefixlab:cases"
"""The Redis set of the ids in the pool (no case key equals it: theirs go on with ':')."""
EXAMPLES_PREFIX = b"prefixlab:examples:"
"""The key prefix of the Hypothesis example database on a Redis server."""

REDIS_SCHEMES = ("redis", "rediss", "unix")
CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a Redis server to answer a connection, and then each command."""

_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:+=@,-]{0,199}")
"""A case id: a portable file name (no '/', no leading '.', which the temporary files
have, at most 200 characters), the same on every filesystem a pool may live on."""
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


class PoolError(BadInput):
    """A pool URL or a pool that cannot be used: one line naming it."""


def case_id(case: Mapping[str, Any]) -> str:
    """The id of a case file; PoolError unless it is a string usable as a file name."""
    value = case.get("id") if isinstance(case, Mapping) else None
    if not isinstance(value, str):
        raise PoolError(f"a case file needs a string \"id\", not {type(value).__name__}")
    return check_id(value)


def check_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise PoolError(f"case id {quoted(value)}: ids are 1 to 200 of A-Z a-z 0-9 _ . : + = "
                        "@ , - and do not start with '.' or '-'")
    return value


def dump_case(case: Mapping[str, Any]) -> bytes:
    """The JSON text of a case as a pool stores it: keys sorted, ASCII only (an undecodable
    byte in a path, a lone surrogate, is written \\udcXX and read back the same)."""
    try:
        text = json.dumps(case, sort_keys=True, indent=1, ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise PoolError(f"case {quoted(case_id(case))}: not JSON: {exc}") from exc
    return (text + "\n").encode("ascii")


def load_case(data: bytes, where: str) -> Case:
    try:
        case = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PoolError(f"{where}: not a JSON case file: {exc}") from exc
    if not isinstance(case, dict):
        raise PoolError(f"{where}: not a JSON case file: a {type(case).__name__}, not an object")
    return case


class CasePool(Protocol):
    """Case files by id, shared by workers that may run at the same time."""

    @property
    def url(self) -> str:
        """Where the pool is, as a URL :func:`open_pool` takes."""
        ...

    def put(self, case: Mapping[str, Any]) -> str:
        """Store ``case`` under its id, replacing a case of that id; the id."""
        ...

    def get(self, case_id: str) -> Case | None:
        """The case of that id, or None."""
        ...

    def list(self) -> builtins.list[str]:
        """The ids in the pool, sorted."""
        ...


# -- a shared directory -----------------------------------------------------------------------
class DirectoryPool:
    """A directory of ``<id>.json`` files, made when the first case is put."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"DirectoryPool({str(self.path)!r})"

    @property
    def url(self) -> str:
        return self.path.resolve().as_uri()

    def _file(self, case_id: str) -> Path:
        return self.path / (check_id(case_id) + SUFFIX)

    def put(self, case: Mapping[str, Any]) -> str:
        ident = case_id(case)
        data = dump_case(case)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.path, prefix=f".{ident}.", suffix=".tmp")
        except OSError as exc:
            raise PoolError(f"case pool {quoted(str(self.path))}: {exc.strerror}") from exc
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o644)  # mkstemp's 0600 would hide it from the other workers
            os.replace(temp, self._file(ident))
        except BaseException as exc:
            with _quietly():
                os.unlink(temp)
            if isinstance(exc, OSError):
                raise PoolError(f"case pool {quoted(str(self.path))}: cannot write "
                                f"{quoted(ident + SUFFIX)}: {exc.strerror}") from exc
            raise
        return ident

    def get(self, case_id: str) -> Case | None:
        file = self._file(case_id)
        try:
            data = file.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise PoolError(f"{quoted(str(file))}: {exc.strerror}") from exc
        return load_case(data, quoted(str(file)))

    def list(self) -> builtins.list[str]:
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise PoolError(f"case pool {quoted(str(self.path))}: {exc.strerror}") from exc
        return sorted(name[:-len(SUFFIX)] for name in names
                      if name.endswith(SUFFIX) and _ID.fullmatch(name[:-len(SUFFIX)]))


@contextmanager
def _quietly() -> Iterator[None]:
    try:
        yield
    except OSError:
        pass


# -- Redis ------------------------------------------------------------------------------------
def _redis_module(url: str) -> ModuleType:
    try:
        import redis
    except ImportError as exc:
        raise PoolError(f"{quoted(url)}: a Redis URL needs the redis package "
                        "(pip install 'prefixlab[redis]')") from exc
    return redis


def redis_client(url: str) -> redis.Redis:
    """A client of the server at ``url`` (bytes in and out), checked with a PING."""
    module = _redis_module(url)
    try:
        client: redis.Redis = module.Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT)
    except ValueError as exc:
        raise PoolError(f"{quoted(url)}: not a Redis URL: {exc}") from exc
    with _redis_errors(url):
        client.ping()
    return client


@contextmanager
def _redis_errors(url: str) -> Iterator[None]:
    """A Redis failure (no server, refused, a wrong type at a key) as a one-line PoolError."""
    module = _redis_module(url)
    try:
        yield
    except module.RedisError as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise PoolError(f"Redis at {quoted(url)}: {text}") from exc


class RedisPool:
    """Cases at ``<prefix><id>`` on a Redis server, their ids in the set ``<index>``."""

    def __init__(self, client: redis.Redis, url: str, *, prefix: str = KEY_PREFIX,
                 index: str = INDEX_KEY) -> None:
        self.client = client
        self._url = url
        self.prefix = prefix
        self.index = index

    def __repr__(self) -> str:
        return f"RedisPool({self._url!r})"

    @property
    def url(self) -> str:
        return self._url

    def put(self, case: Mapping[str, Any]) -> str:
        ident = case_id(case)
        data = dump_case(case)
        with _redis_errors(self._url):
            pipe = self.client.pipeline(transaction=True)
            pipe.set(self.prefix + ident, data)
            pipe.sadd(self.index, ident)
            pipe.execute()
        return ident

    def get(self, case_id: str) -> Case | None:
        key = self.prefix + check_id(case_id)
        with _redis_errors(self._url):
            data = self.client.get(key)
        if data is None:
            return None
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return load_case(raw, f"Redis at {quoted(self._url)}, key {quoted(key)}")

    def list(self) -> builtins.list[str]:
        with _redis_errors(self._url):
            members = self.client.smembers(self.index)
        return sorted(m.decode("utf-8", "surrogateescape") if isinstance(m, bytes) else str(m)
                      for m in members)


# -- choosing by URL --------------------------------------------------------------------------
def directory_of(url: str) -> Path | None:
    """The directory a path or ``file://`` URL names; None for a Redis URL; PoolError for
    anything else."""
    if not url or "\0" in url:
        raise PoolError(f"case pool {quoted(url)}: name a directory, a file:// URL, or a "
                        "redis://host:port/db or unix:///path/redis.sock URL")
    scheme = _SCHEME.match(url)
    if scheme is None:
        if "://" in url:
            raise PoolError(f"case pool {quoted(url)}: not a URL prefixlab reads nor a path: "
                            "use a directory, file://, redis://, rediss:// or unix://")
        return Path(url)
    name = scheme.group(1).lower()
    if name in REDIS_SCHEMES:
        _check_redis_url(url)
        return None
    if name == "file":
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or not parts.path or parts.query \
                or parts.fragment:
            raise PoolError(f"case pool {quoted(url)}: a file URL is file:///absolute/path")
        return Path(unquote(parts.path, errors="surrogateescape"))
    raise PoolError(f"case pool {quoted(url)}: unknown scheme {name!r}: use a directory, "
                    "file://, redis://, rediss:// or unix://")


def _check_redis_url(url: str) -> None:
    """What redis-py would misread or only find wrong at the first command."""
    parts = urlsplit(url)
    try:
        parts.port  # a port that is not a number in range raises ValueError
    except ValueError as exc:
        raise PoolError(f"{quoted(url)}: not a Redis URL: {exc}") from exc
    if parts.scheme.lower() == "unix":
        if not parts.path.startswith("/") or parts.netloc:
            raise PoolError(f"{quoted(url)}: a socket URL is unix:///absolute/path/redis.sock")
        return
    if not parts.hostname:
        raise PoolError(f"{quoted(url)}: no host: redis://host:port/db")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise PoolError(f"{quoted(url)}: the database is a number: redis://host:port/db")


def open_pool(url: str) -> CasePool:
    """The case pool at ``url`` (a Redis one is connected to at once)."""
    directory = directory_of(url)
    if directory is not None:
        if directory.exists() and not directory.is_dir():
            raise PoolError(f"case pool {quoted(str(directory))}: not a directory")
        return DirectoryPool(directory)
    return RedisPool(redis_client(url), url)


def example_database(url: str) -> ExampleDatabase:
    """A Hypothesis example database at ``url`` for workers of one configuration."""
    directory = directory_of(url)
    if directory is not None:
        return DirectoryBasedExampleDatabase(str(directory))
    client = redis_client(url)
    from hypothesis.extra.redis import RedisExampleDatabase
    return RedisExampleDatabase(client, key_prefix=EXAMPLES_PREFIX)
