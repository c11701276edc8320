"""A bounded load test of the API on 127.0.0.1: a realistic mix under load, isolation from runaway queries, a restart.

Three sections, each against a real ``uvicorn`` server on a loopback port (what
``policykg serve`` runs), over the built graph:

1. **load** -- ``--requests`` (20,000) requests at ``--concurrency`` (32)
   keep-alive connections, spread over ``--processes`` client processes, in a
   fixed, seeded mix: entity look-ups (``/id/…``, RDF formats), the relationship
   routes (``/items/{n}``, ``/populations/{slug}/items``, ``/bodies/{slug}/items``,
   ``/indicators``, ``/search?q=``, the lists), named queries (``/queries/…``),
   small ``/sparql`` SELECTs and ASKs, a few HTML pages and a few 404s. It
   reports the statuses, p50/p99 per class of request and overall, requests per
   second, and the client's own CPU time (on 2 cores the client competes with
   the server). Stopped at ``--max-seconds`` whatever is left.
2. **isolation** -- with the answer cache off (every request runs its queries),
   p50/p99 of cheap requests (an entity look-up, ``/items/16``, a named query)
   without, then with, a runaway ``/sparql`` query in flight on every ``/sparql``
   worker (a three-way cartesian product, sent again as soon as it is stopped);
   the ratio, and that every runaway was answered 503 at the time limit.
3. **restart** -- start, SIGTERM, start again on the same build: the same bytes
   for ``/.well-known/void``, an entity, a route and a count; the worker
   processes gone after the stop; the data file's SHA-256 the manifest's.

The exit status is 1 if any request got a 5xx, no answer or another status than
its class expects (200, or 404 for the not-found class), a runaway was not
answered 503 at its limit, or the restart changed anything; else 0.

    python benchmarks/load.py                                         # a few minutes on 2 cores
    python benchmarks/load.py --requests 4000 --isolation-seconds 4   # quicker
    python benchmarks/load.py --sections isolation,restart
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from policykg.localserver import LOOPBACK, alive, api_command, descendants, free_port, running
from policykg.manifest import read_manifest, verify_file

REPO = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/policykg/id/"
SECTIONS = ("load", "isolation", "restart")
JSON = "application/json"
TURTLE = "text/turtle"
HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
RDF_ACCEPTS = [TURTLE] * 3 + ["application/ld+json", "application/n-triples"]
SEARCH_WORDS = ["快递", "工会", "女职工", "农民工", "职工", "培训", "安全", "劳动", "技能", "法律", "帮扶", "困难职工",
                "新就业形态", "全国总工会", "货车司机", "外卖", "平台", "workers", "union", "courier", "women", "skills"]
# A three-way cartesian product of the store, counted: nothing is answered before the count is done.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SMALL_SELECT = "SELECT (COUNT(?i) AS ?n) WHERE { ?i a pol:PlanItem }"

# One request: (class index, path, Accept).
Request = tuple[int, str, str]


# --------------------------------------------------------------------------- the mix
@dataclass(frozen=True)
class Kind:
    """A class of request: its share of the mix and the status it must answer."""

    name: str
    weight: int
    expect: int = 200


KINDS = [
    Kind("entity (RDF)", 26),
    Kind("item /items/{n}", 10),
    Kind("population items", 8),
    Kind("body items", 7),
    Kind("indicators", 4),
    Kind("search", 8),
    Kind("named query", 9),
    Kind("sparql SELECT/ASK", 8),
    Kind("lists", 8),
    Kind("HTML page", 6),
    Kind("not found", 6, expect=404),
]


@dataclass
class Catalogue:
    """What the mix is drawn from, read from the server itself (``/queries/resource-ids``)."""

    resources: list[str] = field(default_factory=list)  # every resource IRI
    items: list[int] = field(default_factory=list)
    populations: list[str] = field(default_factory=list)  # slugs
    bodies: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[str]:
        return [iri[len(ID):].split("/", 1)[1] for iri in self.resources if iri[len(ID):].startswith(kind + "/")]


def catalogue(base: str) -> Catalogue:
    connection = _connect(base)
    status, body = _fetch(connection, "/queries/resource-ids", JSON)
    connection.close()
    if status != 200:
        raise SystemExit(f"/queries/resource-ids answered {status}")
    found = Catalogue(resources=[row["resource"] for row in json.loads(body)["rows"]])
    found.items = sorted(int(slug) for slug in found.of_kind("item") if slug.isdigit())
    found.populations = found.of_kind("population")
    found.bodies = found.of_kind("body")
    if not (found.items and found.populations and found.bodies):
        raise SystemExit("the graph has no items, populations or bodies to ask for")
    return found


def sparql_path(query: str) -> str:
    return "/sparql?" + urlencode({"query": query})


def make_request(kind: int, pick: random.Random, known: Catalogue) -> Request:
    """One request of the class ``KINDS[kind]``, its parameters drawn with ``pick``."""
    name = KINDS[kind].name
    item = pick.choice(known.items)
    population = pick.choice(known.populations)
    body = pick.choice(known.bodies)
    if name == "entity (RDF)":
        resource_iri = pick.choice(known.resources)
        return kind, "/id/" + quote(resource_iri[len(ID):]), pick.choice(RDF_ACCEPTS)
    if name == "item /items/{n}":
        return kind, f"/items/{16 if pick.random() < 0.3 else item}", JSON
    if name == "population items":
        salience = pick.choice(["", "", "?salience=primary"])
        return kind, f"/populations/{population}/items{salience}", JSON
    if name == "body items":
        role = pick.choice(["", "", "?role=lead", "?role=involved"])
        return kind, f"/bodies/{body}/items{role}", JSON
    if name == "indicators":
        return kind, pick.choice(["/indicators", "/indicators?due=2025-12-31"]), JSON
    if name == "search":
        return kind, "/search?" + urlencode({"q": pick.choice(SEARCH_WORDS)}), JSON
    if name == "named query":
        return kind, pick.choice([
            f"/queries/item-measures?item_number={item}",
            "/queries/items-serving-population?" + urlencode({"population": f"{ID}population/{population}"}),
            "/queries/items-by-body?" + urlencode({"body": f"{ID}body/{body}"}),
            "/queries/later-tasks",
        ]), JSON
    if name == "sparql SELECT/ASK":
        return kind, sparql_path(pick.choice([
            f"SELECT ?label WHERE {{ <{ID}item/{item}> rdfs:label ?label }}",
            f"ASK {{ <{ID}population/{population}> a skos:Concept }}",
            f"SELECT ?p ?o WHERE {{ <{ID}body/{body}> ?p ?o }} LIMIT 20",
            SMALL_SELECT,
        ])), "application/sparql-results+json"
    if name == "lists":
        return kind, pick.choice(["/items", "/populations", "/bodies", "/queries", "/"]), JSON
    if name == "HTML page":
        return kind, pick.choice([
            f"/id/item/{item}", f"/id/population/{population}", f"/id/body/{body}",
            "/search?" + urlencode({"q": pick.choice(SEARCH_WORDS)}), "/",
        ]), HTML
    if name == "not found":
        return kind, *pick.choice([
            (f"/id/item/{900 + item}", TURTLE), (f"/id/population/no-such-{population}", TURTLE),
            (f"/items/{900 + item}", JSON), (f"/populations/no-such-{population}/items", JSON),
            (f"/no-such-route/{item}", JSON),
        ])
    raise ValueError(name)


def plan(count: int, known: Catalogue, seed: int) -> list[Request]:
    """``count`` requests in the mix of :data:`KINDS`, the same for the same seed and graph."""
    pick = random.Random(seed)
    kinds = pick.choices(range(len(KINDS)), weights=[kind.weight for kind in KINDS], k=count)
    return [make_request(kind, pick, known) for kind in kinds]


# --------------------------------------------------------------------------- the server
@dataclass
class Server:
    """A running API: its URL, its process, and what it has written to stderr so far."""

    base: str
    process: subprocess.Popen
    stderr: list[str]

    def errors(self, most: int = 5) -> list[str]:
        """The most frequent lines naming an error (the exception lines of its tracebacks, its log lines)."""
        lines = Counter(line.strip() for line in self.stderr
                        if line.strip() and not line.startswith((" ", "Traceback", "The above", "During")))
        return [f"{n:,} x {line[:200]}" for line, n in lines.most_common(most)]


@contextmanager
def serve(env: dict[str, str], port: int | None = None) -> Iterator[Server]:
    """The API as :func:`policykg.localserver.policykg_server` starts it, with its process and stderr lines."""
    port = port or free_port()
    base = f"http://{LOOPBACK}:{port}"
    with running(api_command(port), base + "/", env=env) as process:
        yield Server(base, process, process.log)


# --------------------------------------------------------------------------- the client
def _connect(base: str) -> http.client.HTTPConnection:
    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


def _fetch(connection: http.client.HTTPConnection, path: str, accept: str) -> tuple[int, bytes]:
    connection.request("GET", path, headers={"Accept": accept})
    response = connection.getresponse()
    return response.status, response.read()


@dataclass
class Outcome:
    """What one client process saw: per request (class, status, seconds); its CPU time and when it ended."""

    records: list[tuple[int, int, float]]
    cpu_seconds: float
    ended: float


def _connection_loop(base: str, requests: list[Request], start_at: float, deadline: float,
                     records: list[tuple[int, int, float]]) -> None:
    """One keep-alive connection working through its share; status 0 for no HTTP answer (then it reconnects)."""
    connection = _connect(base)
    time.sleep(max(0.0, start_at - time.time()))
    for kind, path, accept in requests:
        if time.time() >= deadline:
            break
        started = time.perf_counter()
        try:
            status, _ = _fetch(connection, path, accept)
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
            connection = _connect(base)
        records.append((kind, status, time.perf_counter() - started))
    connection.close()


def client_process(base: str, shares: list[list[Request]], start_at: float, deadline: float) -> Outcome:
    """A client process: one thread per connection (``shares``), all starting at ``start_at`` (wall clock)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    lists: list[list[tuple[int, int, float]]] = [[] for _ in shares]
    threads = [threading.Thread(target=_connection_loop, args=(base, share, start_at, deadline, records))
               for share, records in zip(shares, lists)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Outcome([record for records in lists for record in records], cpu, time.time())


@dataclass
class Run:
    records: list[tuple[int, int, float]]
    seconds: float  # from the common start to the last answer
    client_cpu: float


def run_plan(base: str, requests: list[Request], concurrency: int, processes: int, max_seconds: float) -> Run:
    """Send ``requests`` over ``concurrency`` connections in ``processes`` processes; stop at ``max_seconds``."""
    shares = [requests[connection::concurrency] for connection in range(concurrency)]
    processes = max(1, min(processes, concurrency))
    start_at = time.time() + 0.5  # every process connected and waiting before the first request
    deadline = start_at + max_seconds
    with ProcessPoolExecutor(processes) as clients:
        outcomes = list(clients.map(client_process, [base] * processes,
                                    [shares[index::processes] for index in range(processes)],
                                    [start_at] * processes, [deadline] * processes))
    return Run([record for outcome in outcomes for record in outcome.records],
               max(outcome.ended for outcome in outcomes) - start_at, sum(outcome.cpu_seconds for outcome in outcomes))


# --------------------------------------------------------------------------- figures
def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def latency_table(records: list[tuple[int, int, float]], names: list[str]) -> list[str]:
    header = f"{'class':22} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses"
    lines = [header, "-" * len(header)]
    rows = [(names[kind], [r for r in records if r[0] == kind]) for kind in range(len(names))]
    for name, chosen in rows + [("overall", records)]:
        if not chosen:
            continue
        times = [r[2] for r in chosen]
        statuses = ", ".join(f"{status or 'none'} x{n:,}" for status, n in sorted(Counter(r[1] for r in chosen).items()))
        lines.append(f"{name:22} {len(chosen):8,} {ms(statistics.median(times))} {ms(quantile(times, 0.99))} "
                     f"{ms(max(times))}  {statuses}")
    return lines


# --------------------------------------------------------------------------- 1. load
def section_load(args: argparse.Namespace) -> bool:
    env = {"POLICYKG_DATA": str(args.data), "POLICYKG_WORKERS": str(args.workers)}
    cache = "the server's default (2,048 answers)"
    if args.answer_cache is not None:
        env["POLICYKG_ANSWER_CACHE"] = str(args.answer_cache)
        cache = f"{args.answer_cache:,} answers" if args.answer_cache else "off"
    print(f"\n== 1. load: {args.requests:,} requests at concurrency {args.concurrency} "
          f"({args.processes} client processes, keep-alive), answer cache {cache}, {args.workers} /sparql workers")
    with serve(env) as server:
        base = server.base
        known = catalogue(base)
        print(f"mix drawn from {len(known.resources):,} resources, {len(known.items)} items, "
              f"{len(known.populations)} populations, {len(known.bodies)} bodies (seed {args.seed})")
        if args.warmup:
            run_plan(base, plan(args.warmup, known, args.seed + 1), args.concurrency, args.processes, 60)
        run = run_plan(base, plan(args.requests, known, args.seed), args.concurrency, args.processes, args.max_seconds)
    records = run.records
    statuses = Counter(status for _, status, _ in records)
    errors_5xx = sum(n for status, n in statuses.items() if status >= 500)
    no_answer = statuses.get(0, 0)
    unexpected = sum(1 for kind, status, _ in records if status not in (0, KINDS[kind].expect) and status < 500)
    cut = f" (stopped at the {args.max_seconds:g} s cap)" if len(records) < args.requests else ""
    print(f"served {len(records):,} of {args.requests:,} in {run.seconds:.1f} s{cut}: "
          f"{len(records) / run.seconds:,.0f} req/s; the client used {run.client_cpu:.1f} CPU-seconds "
          f"({run.client_cpu / run.seconds:.2f} of a core, of {os.cpu_count()})")
    print("statuses: " + ", ".join(f"{status or 'no answer'} x{n:,}" for status, n in sorted(statuses.items())))
    print(f"5xx: {errors_5xx}   no answer: {no_answer}   other unexpected statuses: {unexpected}")
    print("\n".join(latency_table(records, [kind.name for kind in KINDS])))
    if errors_5xx or no_answer:  # (a request after a 500 on the same connection often finds it closed: no answer)
        print("the server's stderr, most frequent error lines:\n  " + "\n  ".join(server.errors()))
    return errors_5xx == 0 and no_answer == 0 and unexpected == 0 and bool(records)


# --------------------------------------------------------------------------- 2. isolation
CHEAP = [("entity /id/item/16", "/id/item/16", TURTLE), ("/items/16", "/items/16", JSON),
         ("named query", "/queries/item-measures?item_number=16", JSON)]


@dataclass
class Runaway:
    status: int
    started: float  # perf_counter
    ended: float
    error: str

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class Runaways:
    """One thread per /sparql worker, each keeping a runaway query in flight: sent again as soon as it is answered."""

    def __init__(self, base: str, workers: int):
        self.base = base
        self.answers: list[Runaway] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(workers)]

    def __enter__(self) -> Runaways:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        connection = _connect(self.base)
        while not self._stop.is_set():
            started = time.perf_counter()
            try:
                status, body = _fetch(connection, sparql_path(RUNAWAY), "application/sparql-results+json")
                error = json.loads(body).get("error", "") if status != 200 else ""
            except (OSError, http.client.HTTPException, ValueError) as problem:
                status, error = 0, repr(problem)
                connection.close()
                connection = _connect(self.base)
            self.answers.append(Runaway(status, started, time.perf_counter(), error))
        connection.close()


def cheap_phase(base: str, args: argparse.Namespace) -> Run:
    requests = [(kind, path, accept) for kind, (_, path, accept) in enumerate(CHEAP)] * 100_000
    return run_plan(base, requests, args.isolation_concurrency, args.isolation_concurrency, args.isolation_seconds)


def section_isolation(args: argparse.Namespace) -> bool:
    limit = args.runaway_timeout
    print(f"\n== 2. isolation: cheap requests ({args.isolation_concurrency} connections, {args.isolation_seconds:g} s "
          f"each phase) without and with a runaway /sparql query on every one of {args.workers} workers "
          f"(limit {limit:g} s), answer cache off")
    env = {"POLICYKG_DATA": str(args.data), "POLICYKG_WORKERS": str(args.workers), "POLICYKG_ANSWER_CACHE": "0",
           "POLICYKG_QUERY_TIMEOUT": str(limit)}
    with serve(env) as server:
        base = server.base
        connection = _connect(base)
        for _ in range(3):  # the workers are up, the routes warm
            for _, path, accept in CHEAP:
                _fetch(connection, path, accept)
            _fetch(connection, sparql_path(SMALL_SELECT), JSON)
        without = cheap_phase(base, args)
        with Runaways(base, args.workers) as runaways:
            time.sleep(0.3)  # every worker is busy with one
            window = (time.perf_counter(), 0.0)
            with_runaways = cheap_phase(base, args)
            window = (window[0], time.perf_counter())
        connection.close()  # idle past the server's keep-alive by now
        connection = _connect(base)
        started = time.perf_counter()
        status, _ = _fetch(connection, sparql_path(SMALL_SELECT), JSON)
        after = (status, time.perf_counter() - started)
        connection.close()

    header = (f"{'class':20} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} | {'n':>6} {'p50 ms':>8} {'p99 ms':>8} | "
              f"{'p50 x':>6} {'p99 x':>6}")
    print(f"{'':20} {'without runaways':^24} | {'with a runaway on every worker':^24} |  ratio")
    print(header + "\n" + "-" * len(header))
    ok = True
    for kind, name in [(kind, name) for kind, (name, _, _) in enumerate(CHEAP)] + [(None, "all three")]:
        a = [r[2] for r in without.records if kind is None or r[0] == kind]
        b = [r[2] for r in with_runaways.records if kind is None or r[0] == kind]
        print(f"{name:20} {len(a):6,} {ms(statistics.median(a))} {ms(quantile(a, 0.99))} | {len(b):6,} "
              f"{ms(statistics.median(b))} {ms(quantile(b, 0.99))} | {statistics.median(b) / statistics.median(a):6.2f} "
              f"{quantile(b, 0.99) / quantile(a, 0.99):6.2f}")
    for run in (without, with_runaways):
        bad = Counter(status for _, status, _ in run.records if status != 200)
        if bad:
            ok = False
            print(f"cheap requests not answered 200: {dict(bad)}")
    print(f"cheap requests/second: {len(without.records) / without.seconds:,.0f} without, "
          f"{len(with_runaways.records) / with_runaways.seconds:,.0f} with runaways")

    answers = runaways.answers
    at_limit = [a for a in answers if a.status == 503 and "limit" in a.error and limit * 0.9 <= a.seconds <= limit + 3]
    # The share of the measured phase during which a runaway was in flight, per worker (the gaps: between an answer
    # and the next request, and a queued runaway waiting for the replacement of the killed worker to start).
    busy = sum(max(0.0, min(a.ended, window[1]) - max(a.started, window[0])) for a in answers) / (
        args.workers * (window[1] - window[0]))
    seconds = [a.seconds for a in answers]
    print(f"runaways: {len(answers)} answered, {len(at_limit)} of them 503 at the {limit:g} s limit "
          f"({min(seconds, default=0):.2f}-{max(seconds, default=0):.2f} s); a runaway was in flight "
          f"{busy:.0%} of the time on each worker")
    if answers:
        print(f"  e.g. 503 {answers[0].error!r}")
    if not answers or len(at_limit) != len(answers):
        ok = False
        print("  NOT every runaway was answered 503 at the limit: "
              + ", ".join(f"{a.status} after {a.seconds:.2f} s" for a in answers if a not in at_limit))
    print(f"after the runaways: a small /sparql SELECT answered {after[0]} in {after[1] * 1000:.0f} ms")
    return ok and after[0] == 200


# --------------------------------------------------------------------------- 3. restart
SNAPSHOT = [("/.well-known/void", TURTLE), ("/id/item/16", TURTLE), ("/items/16", JSON),
            (sparql_path("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"), JSON)]


def snapshot(base: str) -> list[tuple[int, str]]:
    connection = _connect(base)
    answers = []
    for path, accept in SNAPSHOT:
        status, body = _fetch(connection, path, accept)
        answers.append((status, hashlib.sha256(body).hexdigest()))
    connection.close()
    return answers


def section_restart(args: argparse.Namespace) -> bool:
    print("\n== 3. restart: start, stop with SIGTERM, start again on the same build")
    env = {"POLICYKG_DATA": str(args.data), "POLICYKG_WORKERS": str(args.workers)}
    started = time.monotonic()
    with serve(env) as first_server:
        up = time.monotonic() - started
        base = first_server.base
        first = snapshot(base)
        children = set(descendants(first_server.process.pid))
        stopping = time.monotonic()
    stopped = time.monotonic() - stopping
    server = first_server.process
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [pid for pid in children if alive(pid)]
    errors = "".join(first_server.stderr)
    clean = server.returncode in (0, -signal.SIGTERM) and "Traceback" not in errors and not survivors
    print(f"first start answered after {up:.1f} s; SIGTERM: exited in {stopped:.2f} s with "
          f"{'its own SIGTERM after a graceful shutdown' if server.returncode == -signal.SIGTERM else server.returncode}"
          f"; {len(children)} child processes, {len(survivors)} left after 10 s"
          + ("" if "Traceback" not in errors else "; a traceback on stderr:\n" + errors[-2000:]))
    started = time.monotonic()
    with serve(env, port=int(base.rsplit(":", 1)[1])) as second_server:  # the same port
        up = time.monotonic() - started
        second = snapshot(second_server.base)
    same = first == second and all(status == 200 for status, _ in first)
    print(f"second start answered after {up:.1f} s on the same port: "
          + ("the same status and bytes for " if same else "DIFFERENT answers for ")
          + ", ".join(path.split("?")[0] for path, _ in SNAPSHOT))
    for (path, _), (status, digest), (status2, digest2) in zip(SNAPSHOT, first, second):
        print(f"  {path.split('?')[0]:20} {status} {digest[:16]}…  {status2} {digest2[:16]}…")
    entry = verify_file(args.data)  # raises ManifestMismatch naming the file if it does not match
    recorded = (read_manifest(args.data.parent) or {}).get(args.data.name)
    matches = entry is not None and entry == recorded
    print(f"{args.data}: sha256 {entry.sha256 if entry else '(no manifest lists it)'} "
          + ("= " if matches else "NOT CHECKED against ") + str(args.data.parent / "manifest.json"))
    return clean and same and matches


# --------------------------------------------------------------------------- run
def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--data", type=Path, default=REPO / "dist" / "policykg.trig")
    options.add_argument("--sections", default=",".join(SECTIONS), help=f"which of {', '.join(SECTIONS)} to run")
    options.add_argument("--requests", type=int, default=20_000)
    options.add_argument("--concurrency", type=int, default=32, help="keep-alive connections in flight")
    options.add_argument("--processes", type=int, default=4, help="client processes the connections are spread over")
    options.add_argument("--max-seconds", type=float, default=300.0, help="the load section stops here, whatever is left")
    options.add_argument("--warmup", type=int, default=500, help="requests sent first and not counted")
    options.add_argument("--seed", type=int, default=6)
    options.add_argument("--answer-cache", type=int, default=None,
                         help="POLICYKG_ANSWER_CACHE for the load section (default: the server's; 0: off)")
    options.add_argument("--workers", type=int, default=2, help="/sparql worker processes (POLICYKG_WORKERS)")
    options.add_argument("--isolation-seconds", type=float, default=8.0, help="length of each isolation phase")
    options.add_argument("--isolation-concurrency", type=int, default=4)
    options.add_argument("--runaway-timeout", type=float, default=2.0, help="the /sparql time limit in section 2")
    args = options.parse_args(argv)
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    if unknown := set(sections) - set(SECTIONS):
        options.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    if not args.data.is_file():
        from policykg.build.pipeline import build

        print(f"{args.data} not built yet: building", file=sys.stderr)
        build(args.data.parent)
    print(f"policykg load test over {args.data} on {LOOPBACK}, {os.cpu_count()} cores")

    results = {}
    for name in sections:
        results[name] = {"load": section_load, "isolation": section_isolation, "restart": section_restart}[name](args)
    print("\n" + ", ".join(f"{name}: {'ok' if ok else 'FAILED'}" for name, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
