"""The limits of ``/sparql`` are real: measured, not assumed.

* a runaway query answers 503 at the time limit, and its worker really stops
  using a core (CPU time of this process's descendants, read from /proc);
* the row cap cuts every format and says so in ``X-SPARQL-MaxRows``;
* syntax errors say where; updates, SERVICE and LOAD are refused before any
  worker is asked (and SERVICE never connects anywhere); oversized queries
  answer 413.

Each test module app here is its own (short time limit, tiny row cap), so the
session's shared app is never disturbed.
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import QueryResultsFormat, RdfFormat, parse, parse_query_results

from policykg.api.app import create_app
from policykg.api.pool import QueryPool
from policykg.api.settings import Settings
from policykg.api.sparql_guard import MAX_QUERY_BYTES
from policykg.errors import QueryError
from policykg.localserver import descendants

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "PREFIX pol: <https://w3id.org/policykg/ontology#> SELECT (COUNT(?i) AS ?n) WHERE { ?i a pol:PlanItem }"
LIMIT = 1.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def slow_app(dist_dir: Path) -> Iterator[TestClient]:
    """One worker and a 1 s limit: a runaway query occupies the only worker until it is killed."""
    with TestClient(create_app(Settings(data=dist_dir / "policykg.trig", query_timeout=LIMIT, workers=1))) as client:
        yield client


@pytest.fixture(scope="module")
def capped(dist_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data=dist_dir / "policykg.trig", query_timeout=5.0, max_rows=5))) as client:
        yield client


# --------------------------------------------------------------------------- CPU time of descendants
def descendant_cpu_seconds(root: int | None = None) -> float:
    """utime + stime of every live descendant of ``root`` (this process): the fork server, its workers, servers."""
    total = 0
    for pid in descendants(os.getpid() if root is None else root):
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                stat = handle.read().decode("utf-8", "replace")
        except OSError:  # the process ended while we looked
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / CLOCK_TICKS


def test_cpu_measure_sees_a_busy_child() -> None:
    """The measure itself works: a child that burns 0.5 s of CPU (however long that takes) shows up."""
    import subprocess
    import sys

    spin = "import time\nwhile time.process_time() < 0.5: pass\nprint('done', flush=True)\ntime.sleep(30)"
    before = descendant_cpu_seconds()
    child = subprocess.Popen([sys.executable, "-c", spin], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "done"
        assert descendant_cpu_seconds() - before >= 0.45
    finally:
        child.kill()
        child.wait()


def test_runaway_query_is_stopped_and_stops_using_a_core(slow_app: TestClient) -> None:
    assert slow_app.get("/sparql", params={"query": CHEAP}).status_code == 200  # the worker is up

    outcome: dict = {}

    def run() -> None:
        started = time.monotonic()
        outcome["response"] = slow_app.get("/sparql", params={"query": RUNAWAY})
        outcome["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.25)
    busy_start = descendant_cpu_seconds()
    time.sleep(0.6)
    busy = descendant_cpu_seconds() - busy_start
    thread.join(timeout=15)
    assert not thread.is_alive(), "the runaway query was never answered"
    # (the control: the measure sees the worker burning while the query runs; on a loaded machine it gets less)
    assert busy >= 0.1, f"while the query ran, its worker used {busy:.2f} core-seconds in 0.6 s (expected ~0.6)"

    response, elapsed = outcome["response"], outcome["elapsed"]
    assert response.status_code == 503 and response.headers["content-type"].startswith("application/json")
    assert "limit" in response.json()["error"] and response.headers.get("retry-after")
    assert LIMIT * 0.9 <= elapsed <= LIMIT + 2.5, f"answered after {elapsed:.2f} s with a {LIMIT:g} s limit"

    # A cheap query right after is answered (by the worker started in place of the killed one).
    started = time.monotonic()
    cheap = slow_app.get("/sparql", params={"query": CHEAP})
    assert cheap.status_code == 200, cheap.text
    assert cheap.json()["results"]["bindings"][0]["n"]["value"] == "46"
    assert time.monotonic() - started < 5

    # Nothing goes on burning a core: over the next second the descendants are idle.
    idle_start = descendant_cpu_seconds()
    time.sleep(1.0)
    idle = descendant_cpu_seconds() - idle_start
    assert idle < 0.15, f"{idle:.2f} core-seconds used in the second after the query was stopped"


# --------------------------------------------------------------------------- the row cap
ALL = "SELECT * WHERE { ?s ?p ?o }"


def _rows(response, media: str) -> int:
    if media == "text/csv":
        return len(list(csv.reader(io.StringIO(response.text)))) - 1
    formats = {"application/sparql-results+json": QueryResultsFormat.JSON,
               "application/sparql-results+xml": QueryResultsFormat.XML,
               "text/tab-separated-values": QueryResultsFormat.TSV}
    return len(list(parse_query_results(response.content, format=formats[media])))


def test_sparql_workers_yield_the_cpu_to_the_apis_own_routes(dist_dir: Path) -> None:
    """The /sparql workers run niced (10 by default), also a worker started again after a runaway was killed."""
    assert Settings().worker_nice == 10
    base = os.nice(0)
    pool = QueryPool(str(dist_dir / "policykg.trig"), 1, LIMIT, name="test", nice=7)
    try:
        assert pool.call(os.nice, 0) == min(19, base + 7)
        with pytest.raises(QueryError, match="ran longer than"):
            pool.call(time.sleep, 5)
        assert pool.call(os.nice, 0) == min(19, base + 7)  # the replacement worker
    finally:
        pool.close()


@pytest.mark.parametrize("media", ["application/sparql-results+json", "text/csv", "text/tab-separated-values",
                                   "application/sparql-results+xml"])
def test_row_cap_in_every_result_format(capped: TestClient, media: str) -> None:
    response = capped.get("/sparql", params={"query": ALL}, headers={"accept": media})
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    assert response.headers["x-sparql-maxrows"] == "5"
    assert _rows(response, media) == 5


@pytest.mark.parametrize("media", ["application/n-triples", "text/turtle"])
def test_row_cap_on_construct(capped: TestClient, media: str) -> None:
    response = capped.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"accept": media})
    assert response.status_code == 200 and response.headers["x-sparql-maxrows"] == "5"
    assert len(list(parse(response.content, format=RdfFormat.from_media_type(media)))) == 5


@pytest.mark.parametrize("limit", [3, 5])
def test_small_answers_are_not_flagged(capped: TestClient, limit: int) -> None:
    response = capped.get("/sparql", params={"query": f"{ALL} LIMIT {limit}"})
    assert response.status_code == 200 and "x-sparql-maxrows" not in response.headers
    assert len(response.json()["results"]["bindings"]) == limit
    ask = capped.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert ask.json()["boolean"] is True and "x-sparql-maxrows" not in ask.headers


# --------------------------------------------------------------------------- syntax errors
def test_syntax_error_says_where(capped: TestClient) -> None:
    response = capped.get("/sparql", params={"query": "SELECT ?s\nWHERE { ?s ?p }"})
    assert response.status_code == 400
    message = response.json()["error"]
    assert re.search(r"\b2:\d+", message), message  # line 2, and a column


# --------------------------------------------------------------------------- refusals before any worker
class ConnectionCounter:
    """A loopback listener that only counts the connections made to it."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.socket.close()


@pytest.fixture
def listener() -> Iterator[ConnectionCounter]:
    counter = ConnectionCounter()
    yield counter
    counter.close()


@pytest.fixture
def worker_calls(capped: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every call the app schedules on its /sparql worker pool, recorded."""
    pool = capped.app.state.services.backend.public
    calls: list[tuple] = []
    original = pool.call

    def counting(function, *args, **kwargs):
        calls.append((function.__name__, args[:1]))
        return original(function, *args, **kwargs)

    monkeypatch.setattr(pool, "call", counting)
    return calls


def _refusals(port: int) -> list[tuple[str, dict]]:
    insert = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    service = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    return [
        ("GET", {"params": {"update": insert}}),
        ("GET", {"params": {"query": insert}}),
        ("POST", {"content": insert, "headers": {"content-type": "application/sparql-update"}}),
        ("POST", {"data": {"update": insert}}),
        ("POST", {"data": {"query": insert}}),
        ("GET", {"params": {"query": service}}),
        ("POST", {"content": service, "headers": {"content-type": "application/sparql-query"}}),
        ("GET", {"params": {"query": f"SELECT * WHERE {{ ?s ?p ?o }} ; LOAD <http://127.0.0.1:{port}/x.ttl>"}}),
        ("POST", {"data": {"update": f"LOAD <http://127.0.0.1:{port}/x.ttl>"}}),
    ]


def test_updates_service_and_load_are_refused_before_any_worker(capped: TestClient, worker_calls: list,
                                                              listener: ConnectionCounter) -> None:
    for method, kwargs in _refusals(listener.port):
        response = capped.request(method, "/sparql", **kwargs)
        assert 400 <= response.status_code < 500, (method, kwargs, response.text)
        message = response.json()["error"]
        assert re.search(r"read-only|SERVICE|LOAD", message), message
    time.sleep(0.2)
    assert worker_calls == [], "a refused query reached a worker"
    assert listener.connections == 0, "SERVICE or LOAD connected to the listener"
    # The control: an accepted query does reach the worker, and nothing was inserted.
    check = capped.get("/sparql", params={"query": "ASK { <urn:a> <urn:b> <urn:c> }"})
    assert check.json()["boolean"] is False and len(worker_calls) == 1


def test_the_listener_counts_connections(listener: ConnectionCounter) -> None:
    """The control for ``connections == 0``: a real connection is counted."""
    with socket.create_connection(("127.0.0.1", listener.port), timeout=2):
        pass
    deadline = time.monotonic() + 2
    while listener.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert listener.connections == 1


# --------------------------------------------------------------------------- size
@pytest.mark.parametrize("how", ["direct", "form"])
def test_oversized_query_is_413(capped: TestClient, worker_calls: list, how: str) -> None:
    # (A GET URL that long is refused by HTTP clients and servers before it gets here: httpx stops at 64 KB.)
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * MAX_QUERY_BYTES
    if how == "direct":
        response = capped.post("/sparql", content=query, headers={"content-type": "application/sparql-query"})
    else:
        response = capped.post("/sparql", data={"query": query})
    assert response.status_code == 413 and "limit" in response.json()["error"]
    assert worker_calls == []
    just_under = "ASK {} #" + "x" * (MAX_QUERY_BYTES - 20)
    assert capped.post("/sparql", content=just_under,
                       headers={"content-type": "application/sparql-query"}).status_code == 200


def test_the_limit_is_on_the_query_not_its_encoding(capped: TestClient) -> None:
    """90 KB of UTF-8 is 270 KB percent-encoded in a form: under the limit, so answered."""
    query = "ASK {} #" + "工" * 30_000
    assert len(query.encode("utf-8")) < MAX_QUERY_BYTES
    response = capped.post("/sparql", data={"query": query})
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_the_row_cap_is_for_user_queries_not_the_projects_own(dist_dir) -> None:
    """With --max-rows 10 a user's /sparql answer is cut, but the routes' own queries are not."""
    from policykg.api.app import create_app
    from policykg.api.settings import Settings

    with TestClient(create_app(Settings(data=dist_dir / "policykg.trig", max_rows=10, answer_cache=0))) as client:
        assert client.get("/items").json()["count"] == 46
        assert client.get("/id/item/16", headers={"accept": "text/turtle"}).status_code == 200
        cut = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o }"})
        assert len(cut.json()["results"]["bindings"]) == 10 and cut.headers["x-sparql-maxrows"] == "10"
