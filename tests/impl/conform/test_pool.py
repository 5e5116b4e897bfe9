"""pool: case files shared through a directory or a Redis server, and Hypothesis example
databases at the same URLs.

The Redis side runs against a real redis-server this module starts on a unix socket in a
temporary directory (no port, nothing saved: ``--save '' --appendonly no``), stopped after
the module's tests.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import time
import unittest
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

from conftest import in_scope_interpreters, require_oracle
from prefixlab.impl.conform import pool
from prefixlab.impl.render.escape import show
from prefixlab.model.errors import BadInput

try:
    import redis
except ImportError:  # the redis extra is not installed: the Redis tests skip (or fail in CI)
    redis = None  # type: ignore[assignment]


def case(ident: str, **fields: Any) -> dict[str, Any]:
    return {"id": ident, **fields}


# -- a real redis-server ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The unix:// URL of a redis-server running for this module's tests."""
    program = shutil.which("redis-server")
    require_oracle(program is not None,
                   "redis-server is not installed (apt-get install redis-server)")
    require_oracle(redis is not None, "the redis package is not installed "
                   "(pip install 'prefixlab[redis]', part of the dev extras)")
    assert program is not None
    # A short directory of its own: a socket path has at most 107 bytes.
    where = Path(tmp_path_factory.mktemp("redis"))
    sock = where / "redis.sock"
    server = subprocess.Popen(
        [program, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(where), "--daemonize", "no",
         "--logfile", str(where / "redis.log")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"unix://{sock}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if server.poll() is not None:
                log = (where / "redis.log").read_text(errors="replace") \
                    if (where / "redis.log").exists() else ""
                pytest.fail(f"redis-server exited with {server.returncode}: {log[-2000:]}")
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not answer within 20 s")
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The server, emptied for each test."""
    redis.Redis.from_url(redis_server).flushall()
    return redis_server


# -- choosing a backend by URL ----------------------------------------------------------------
def test_paths_and_file_urls_are_directories(tmp_path: Path) -> None:
    assert isinstance(pool.open_pool(str(tmp_path)), pool.DirectoryPool)
    by_uri = pool.open_pool(tmp_path.as_uri())
    assert isinstance(by_uri, pool.DirectoryPool) and by_uri.path == tmp_path
    assert pool.open_pool(by_uri.url).url == by_uri.url
    spaced = tmp_path / "a b é"
    assert pool.directory_of(spaced.as_uri()) == spaced
    assert pool.directory_of("file://localhost/srv/cases") == Path("/srv/cases")
    assert pool.directory_of("relative/cases") == Path("relative/cases")
    assert pool.directory_of("redis://localhost:6379/0") is None
    assert pool.directory_of("unix:///run/redis/redis.sock") is None


@pytest.mark.parametrize("url", [
    "", "http://example.org/cases", "s3://bucket/cases", "file://otherhost/cases",
    "file:///cases?x=1", "redis://", "redis://localhost:notaport/0",
    "redis://localhost:99999/0", "redis://localhost:6379/zero", "unix://relative/redis.sock",
    "with\nnewline://x",
])
def test_bad_urls_are_one_line_naming_them(url: str) -> None:
    with pytest.raises(BadInput) as caught:
        pool.open_pool(url)
    message = str(caught.value)
    assert "\n" not in message
    assert show(url) in message if url else "''" in message


def test_a_file_is_not_a_pool(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(pool.PoolError, match="not a directory"):
        pool.open_pool(str(tmp_path / "f"))


def test_a_redis_server_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    require_oracle(redis is not None, "the redis package is not installed")
    url = f"unix://{tmp_path}/nobody.sock"
    with pytest.raises(pool.PoolError) as caught:
        pool.open_pool(url)
    assert "\n" not in str(caught.value) and url in str(caught.value)


def test_without_the_redis_package_a_redis_url_is_one_line(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sys
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis now raises ImportError
    with pytest.raises(BadInput) as caught:
        pool.open_pool("redis://localhost:6379/0")
    assert "\n" not in str(caught.value) and "prefixlab[redis]" in str(caught.value)
    with pytest.raises(BadInput, match="redis package"):
        pool.example_database("unix:///run/redis.sock")
    # A directory pool needs no redis package.
    assert pool.open_pool(str(tmp_path)).list() == []


# -- case ids and contents --------------------------------------------------------------------
@pytest.mark.parametrize("bad", [
    {"no": "id"}, {"id": 3}, {"id": ""}, {"id": "../escape"}, {"id": "a/b"}, {"id": ".hidden"},
    {"id": "x" * 201}, {"id": "new\nline"}, {"id": "-flag"},
])
def test_ids_must_be_portable_file_names(tmp_path: Path, bad: dict[str, Any]) -> None:
    with pytest.raises(pool.PoolError):
        pool.DirectoryPool(tmp_path).put(bad)
    assert list(tmp_path.iterdir()) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec=None, exclude_categories=())),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=10)
ids = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.:+=@,-]{0,30}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(ids, st.dictionaries(st.text(max_size=8).filter(lambda k: k != "id"), json_values,
                            max_size=4))
def test_directory_pool_gives_back_what_was_put(ident: str, rest: dict[str, Any]) -> None:
    import tempfile
    with tempfile.TemporaryDirectory() as where:
        cases = pool.DirectoryPool(Path(where) / "pool")
        value = {"id": ident, **rest}
        assert cases.put(value) == ident
        assert cases.get(ident) == value
        assert cases.list() == [ident]
        assert json.loads((Path(where) / "pool" / f"{ident}.json").read_bytes()) == value
        assert cases.get(ident + "x") is None


def test_put_replaces_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    cases = pool.DirectoryPool(tmp_path)
    cases.put(case("c1", verdict="fail"))
    cases.put(case("c1", verdict="pass"))
    cases.put(case("c2"))
    assert cases.get("c1") == case("c1", verdict="pass")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c1.json", "c2.json"]
    assert cases.list() == ["c1", "c2"]
    assert (tmp_path / "c1.json").stat().st_mode & 0o777 == 0o644


def test_a_corrupt_case_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1]")
    for ident in ("bad", "list"):
        with pytest.raises(pool.PoolError) as caught:
            pool.DirectoryPool(tmp_path).get(ident)
        assert "\n" not in str(caught.value) and f"{ident}.json" in str(caught.value)


# -- concurrent writers on a directory --------------------------------------------------------
WRITERS = 6
ROUNDS = 60
SHARED_IDS = 5


def _writer(where: str, worker: int) -> None:
    cases = pool.DirectoryPool(where)
    for n in range(ROUNDS):
        # Big enough that a torn write would be seen: many kilobytes per file.
        body = [f"{worker}-{n}-{i}" for i in range(400)]
        cases.put(case(f"shared-{n % SHARED_IDS}", worker=worker, n=n, body=body))
        cases.put(case(f"own-{worker}-{n}", worker=worker, n=n))


def _reader(where: str, stop: Any, bad: Any) -> None:
    cases = pool.DirectoryPool(where)
    while not stop.is_set():
        for ident in cases.list():
            try:
                got = cases.get(ident)
            except pool.PoolError as exc:
                bad.put(str(exc))
                return
            if got is None or got["id"] != ident or (
                    ident.startswith("shared-")
                    and got["body"] != [f"{got['worker']}-{got['n']}-{i}" for i in range(400)]):
                bad.put(f"{ident}: {str(got)[:200]}")
                return


def test_concurrent_writers_never_tear_a_case(tmp_path: Path) -> None:
    where = str(tmp_path / "pool")
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    bad = context.Queue()
    readers = [context.Process(target=_reader, args=(where, stop, bad)) for _ in range(2)]
    writers = [context.Process(target=_writer, args=(where, w)) for w in range(WRITERS)]
    for process in readers + writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
        assert process.exitcode == 0
    stop.set()
    for process in readers:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert bad.empty(), bad.get()
    cases = pool.DirectoryPool(where)
    expected = {f"shared-{i}" for i in range(SHARED_IDS)} | {
        f"own-{w}-{n}" for w in range(WRITERS) for n in range(ROUNDS)}
    assert set(cases.list()) == expected
    assert [p for p in os.listdir(where) if not p.endswith(".json")] == []
    for i in range(SHARED_IDS):
        got = cases.get(f"shared-{i}")
        assert got is not None and got["n"] % SHARED_IDS == i


# -- Redis ------------------------------------------------------------------------------------
def test_redis_pool_round_trip(redis_url: str) -> None:
    cases = pool.open_pool(redis_url)
    assert isinstance(cases, pool.RedisPool) and cases.url == redis_url
    assert cases.list() == []
    odd = case("c1", path="/opt/x\udcff/é", nested={"a": [1, 2.5, None, True]})
    assert cases.put(odd) == "c1"
    cases.put(case("c0"))
    assert cases.get("c1") == odd
    assert cases.list() == ["c0", "c1"]
    assert cases.get("nothing") is None
    # The layout on the server: one key per case under the prefix, and the set of ids.
    client = redis.Redis.from_url(redis_url)
    assert json.loads(client.get("prefixlab:cases:c1") or b"") == json.loads(json.dumps(odd))
    assert client.smembers("prefixlab:cases") == {b"c0", b"c1"}
    cases.put(case("c1", verdict="pass"))
    assert pool.open_pool(redis_url).get("c1") == case("c1", verdict="pass")
    with pytest.raises(pool.PoolError):
        cases.put(case("../x"))


def test_redis_pool_by_db_number(redis_url: str) -> None:
    # unix:// takes the database as ?db=N; two databases are two pools.
    one = pool.open_pool(redis_url + "?db=1")
    one.put(case("only-in-1"))
    assert pool.open_pool(redis_url).list() == []
    assert pool.open_pool(redis_url + "?db=1").list() == ["only-in-1"]


def test_redis_wrong_type_at_the_index_is_one_line(redis_url: str) -> None:
    redis.Redis.from_url(redis_url).set("prefixlab:cases", b"not a set")
    with pytest.raises(pool.PoolError) as caught:
        pool.open_pool(redis_url).list()
    assert "\n" not in str(caught.value) and redis_url in str(caught.value)


def _redis_writer(url: str, worker: int) -> None:
    cases = pool.open_pool(url)
    for n in range(40):
        cases.put(case(f"w{worker}-{n}", worker=worker))
        cases.put(case("shared", worker=worker, n=n))


def test_redis_pool_with_concurrent_writers(redis_url: str) -> None:
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_redis_writer, args=(redis_url, w)) for w in range(4)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=60)
        assert process.exitcode == 0
    cases = pool.open_pool(redis_url)
    assert set(cases.list()) == {"shared"} | {f"w{w}-{n}" for w in range(4) for n in range(40)}
    shared = cases.get("shared")
    assert shared is not None and shared["n"] == 39


# -- Hypothesis example databases -------------------------------------------------------------
def test_example_database_for_a_directory(tmp_path: Path) -> None:
    database = pool.example_database(str(tmp_path / "examples"))
    assert isinstance(database, DirectoryBasedExampleDatabase)
    database.save(b"key", b"value")
    assert list(pool.example_database((tmp_path / "examples").as_uri()).fetch(b"key")) == [
        b"value"]


def _failing_test(database: ExampleDatabase, phases: list[Phase], seen: list[int]) -> Any:
    # The same source each time, so Hypothesis gives both tests one database key.
    @settings(database=database, phases=phases, max_examples=300, deadline=None)
    @given(st.integers())
    def prop(n: int) -> None:
        seen.append(n)
        assert n < 1000

    return prop


def test_redis_example_database_saves_and_replays_a_failure(redis_url: str) -> None:
    database = pool.example_database(redis_url)
    assert type(database).__name__ == "RedisExampleDatabase"
    first: list[int] = []
    with pytest.raises(AssertionError):
        _failing_test(database, [Phase.generate, Phase.shrink], first)()
    assert 1000 in first  # shrunk to the least failing value
    client = redis.Redis.from_url(redis_url)
    keys = client.keys(b"prefixlab:examples:*")
    assert keys, "nothing was saved on the server"
    # Another worker (a new connection, a new database object) replays it from the server
    # alone: the reuse phase runs only saved examples, so a failure here came from Redis.
    again: list[int] = []
    with pytest.raises(AssertionError):
        _failing_test(pool.example_database(redis_url), [Phase.reuse], again)()
    assert again and again[0] == 1000 and all(n >= 1000 for n in again)
    # With the server emptied, the same reuse-only run has nothing to replay (Hypothesis
    # then skips the test, which would otherwise fail).
    client.flushall()
    empty: list[int] = []
    with pytest.raises(unittest.SkipTest, match="no test cases"):
        _failing_test(pool.example_database(redis_url), [Phase.reuse], empty)()
    assert empty == []


# -- prefixlab conform pooling through a real server -----------------------------------------------
BROKEN_BUILDER = ("{python} -m venv --without-pip {system_site_packages} {target}; "
                  "rm {target}/pyvenv.cfg")
"""A builder that deletes pyvenv.cfg: what it makes is no venv (PEP 405: the marker file)."""


@pytest.mark.real
def test_conform_puts_its_case_files_into_a_redis_pool(redis_url: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from prefixlab.impl.cli.main import main

    python = next((i.path for i in in_scope_interpreters()), None)
    require_oracle(python is not None, "no in-scope interpreter here")
    assert python is not None
    result = CliRunner().invoke(main, [
        "conform", "--cmd", BROKEN_BUILDER, "--python", python, "--placements", "direct",
        "--budget", "60", "--pool", redis_url, "--database", redis_url, "--json",
        "--report", str(tmp_path / "report")])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    ids = sorted(case["id"] for case in data["failures"])
    assert ids and pool.open_pool(redis_url).list() == ids
    shared = pool.open_pool(redis_url).get(ids[0])
    assert shared is not None and shared["builder"]["command"] == BROKEN_BUILDER
    # Hypothesis kept the failing example in the same server for the next worker.
    keys = redis.Redis.from_url(redis_url).keys(pool.EXAMPLES_PREFIX + b"*")
    assert keys
