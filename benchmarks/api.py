"""Latency and throughput of the API's relationship endpoints against the raw engines, in one run.

For each case (a relationship endpoint or an entity look-up) it measures, on
the real graph and only on 127.0.0.1:

* the API over HTTP (uvicorn, embedded store): p50/p99 of sequential requests
  and requests/second with ``--concurrency`` keep-alive clients;
* the same named queries on raw pyoxigraph, in this process (no HTTP);
* the same queries on rdflib's in-memory SPARQL (``--rdflib-runs`` each);
* the HTTP floor: a FastAPI hello-world under the same uvicorn.

and checks the targets of issue 4: each endpoint's p50 within 1.2 x (raw
pyoxigraph p50 + floor p50); an entity look-up's requests/second at least a
third of the floor's. Medians and ratios, as the machines are noisy.

    python benchmarks/api.py                       # about two minutes
    python benchmarks/api.py --requests 100 --seconds 2 --rdflib-runs 3   # quicker
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pyoxigraph import Variable

from policykg.api.sparql_guard import load_store
from policykg.localserver import LOOPBACK, free_port, policykg_server, running
from policykg.queries import named_queries

REPO = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/policykg/id/"
LATENCY_TARGET = 1.2  # endpoint p50 <= 1.2 x (raw pyoxigraph p50 + floor p50)
THROUGHPUT_TARGET = 1 / 3  # entity look-up req/s >= floor req/s / 3


@dataclass(frozen=True)
class Case:
    """One endpoint and the named queries (with parameters) it runs."""

    name: str
    path: str
    queries: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    entity: bool = False  # a cheap look-up, judged on throughput


PLAN = "acftu-14th-fyp"  # named, so that the cases run on a store of several plans too (policykg synth)
ITEM = {"item_number": "16", "plan": ID + "plan/" + PLAN}
# Each relationship route and the named queries it runs per request (see api/relations.py; tables that
# do not depend on the request, such as the chapters or all indicators, are computed once and cached).
CASES = [
    Case("items list", "/items", [("items-by-chapter", {})]),
    Case("item 16", f"/items/16?plan={PLAN}", [(name, ITEM) for name in (
        "item-detail", "item-measures", "item-populations", "item-bodies", "item-mentions", "item-observations",
        "continuing-tasks", "item-variants")]),
    Case("population subtree items", "/populations/new-employment-form-workers/items", [
        ("items-serving-population", {"population": ID + "population/new-employment-form-workers"}),
    ]),
    Case("body items", "/bodies/acftu/items", [("items-by-body", {"body": ID + "body/acftu"})]),
    Case("indicators", "/indicators", [("indicators", {}), ("indicator-progress", {})]),
    Case("search 快递", "/search?q=%E5%BF%AB%E9%80%92", [("search", {"q": "快递"})]),
    Case("named query", "/queries/items-serving-population?population=" + ID + "population/couriers", [
        ("items-serving-population", {"population": ID + "population/couriers"}),
    ]),
    Case("entity item/16 (Turtle)", "/id/item/16", entity=True),
    Case("entity population (Turtle)", "/id/population/couriers", entity=True),
]


# --------------------------------------------------------------------------- HTTP client
def _get(connection: http.client.HTTPConnection, path: str, accept: str) -> int:
    connection.request("GET", path, headers={"Accept": accept})
    response = connection.getresponse()
    response.read()
    return response.status


def latencies(base: str, path: str, requests: int, accept: str = "application/json") -> list[float]:
    """Seconds per request, sequential, one keep-alive connection (after five warm-up requests)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    for _ in range(5):
        _get(connection, path, accept)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        status = _get(connection, path, accept)
        times.append(time.perf_counter() - start)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    connection.close()
    return times


def _client(base: str, path: str, seconds: float, accept: str) -> int:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    done, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        if _get(connection, path, accept) == 200:
            done += 1
    connection.close()
    return done


def throughput(base: str, path: str, seconds: float, concurrency: int, accept: str = "application/json") -> float:
    """Requests/second with ``concurrency`` client processes for ``seconds``."""
    with ProcessPoolExecutor(concurrency) as clients:
        counts = list(clients.map(_client, [base] * concurrency, [path] * concurrency,
                                  [seconds] * concurrency, [accept] * concurrency))
    return sum(counts) / seconds


# --------------------------------------------------------------------------- engines
def raw_pyoxigraph(store, calls: list[tuple[str, dict]], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for text, bindings in calls:
            substitutions = {Variable(name): term for name, term in bindings.items()}
            list(store.query(text, use_default_graph_as_union=True, substitutions=substitutions or None))
        times.append(time.perf_counter() - start)
    return times


def raw_rdflib(dataset, calls: list[tuple[str, dict]], runs: int) -> list[float]:
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    def rdflib_term(term):
        if hasattr(term, "datatype"):
            if term.language:
                return Literal(term.value, lang=term.language)
            return Literal(term.value, datatype=URIRef(term.datatype.value)) if term.datatype.value != str(XSD.string) \
                else Literal(term.value)
        return URIRef(term.value)

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for text, bindings in calls:
            list(dataset.query(text, initBindings={name: rdflib_term(t) for name, t in bindings.items()}))
        times.append(time.perf_counter() - start)
    return times


# The server twice: every request computed (what a first visit costs), then as deployed, with the
# answer cache of api/cache.py (the store is immutable between builds, so a repeated GET is served
# from memory with an ETag).
MODES = [
    ("answer cache off: every request runs its queries", {"POLICYKG_ANSWER_CACHE": "0"}),
    ("answer cache on (the default): repeated requests", {}),
]


def quantile(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f}"


# --------------------------------------------------------------------------- run
def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    options.add_argument("--data", type=Path, default=REPO / "dist" / "policykg.trig")
    options.add_argument("--requests", type=int, default=300, help="sequential requests per case (latency)")
    options.add_argument("--seconds", type=float, default=3.0, help="seconds of concurrent load per case")
    options.add_argument("--concurrency", type=int, default=4)
    options.add_argument("--rdflib-runs", type=int, default=5)
    options.add_argument("--only", default="", help="run only the cases whose name contains this")
    args = options.parse_args(argv)
    if not args.data.is_file():
        from policykg.build.pipeline import build

        print(f"{args.data} not built yet: building", file=sys.stderr)
        build(args.data.parent)

    queries = named_queries()
    store = load_store(args.data)
    print(f"graph: {len(store):,} quads from {args.data}")
    from rdflib import Dataset

    dataset = Dataset(default_union=True)
    dataset.parse(args.data, format="trig")

    cases = [case for case in CASES if args.only in case.name]
    engines = {}
    for case in cases:
        calls = [(queries[name].text, {v.value: t for v, t in queries[name].bindings(params).items()})
                 for name, params in case.queries]
        raw = statistics.median(raw_pyoxigraph(store, calls, args.requests)) if calls else 0.0
        slow = statistics.median(raw_rdflib(dataset, calls, args.rdflib_runs)) if calls else 0.0
        engines[case.name] = (raw, slow, bool(calls))

    hello_port = free_port()
    hello = [sys.executable, "-m", "uvicorn", "hello:app", "--app-dir", str(REPO / "benchmarks"),
             "--host", LOOPBACK, "--port", str(hello_port), "--log-level", "warning"]
    with running(hello, f"http://{LOOPBACK}:{hello_port}/"):
        floor_base = f"http://{LOOPBACK}:{hello_port}"
        floor_times = latencies(floor_base, "/", args.requests)
        floor_p50 = statistics.median(floor_times)
        floor_rps = throughput(floor_base, "/", args.seconds, args.concurrency)
    print(f"HTTP floor (FastAPI hello-world): p50 {ms(floor_p50)} ms, p99 {ms(quantile(floor_times, 0.99))} ms, "
          f"{floor_rps:,.0f} req/s at concurrency {args.concurrency}")

    failures = 0
    for title, env in MODES:
        print(f"\n{title}")
        header = (f"{'case':28} {'API p50':>8} {'API p99':>8} {'req/s':>7} {'oxigraph':>8} {'rdflib':>9} "
                  f"{'target':>8}  verdict")
        print(header + "\n" + "-" * len(header) + "   (times in ms)")
        with policykg_server({"POLICYKG_DATA": str(args.data), **env}) as api:
            for case in cases:
                accept = "text/turtle" if case.entity else "application/json"
                times = latencies(api, case.path, args.requests, accept)
                rps = throughput(api, case.path, args.seconds, args.concurrency, accept)
                p50 = statistics.median(times)
                raw, slow, has_queries = engines[case.name]
                if case.entity:
                    ok = rps >= floor_rps * THROUGHPUT_TARGET
                    target, verdict = f"{floor_rps * THROUGHPUT_TARGET:,.0f}/s", f"{rps / floor_rps:.2f} of floor req/s"
                else:
                    limit = LATENCY_TARGET * (raw + floor_p50)
                    ok = p50 <= limit
                    target, verdict = ms(limit), f"{p50 / (raw + floor_p50):.2f} x (raw + floor)"
                failures += not ok
                print(f"{case.name:28} {ms(p50)} {ms(quantile(times, 0.99))} {rps:7.0f} "
                      f"{ms(raw) if has_queries else '       -'} {ms(slow) + ' ' if has_queries else '        - '}"
                      f"{target:>8}  {'ok  ' if ok else 'MISS'} {verdict}")
    cases = cases * len(MODES)
    print(f"\n{len(cases) - failures} of {len(cases)} cases meet their target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
