"""Push a built TriG file to a SPARQL server and check that it arrived (``policykg load``).

Each graph of the file is sent with the SPARQL 1.1 Graph Store HTTP Protocol:
one ``PUT <store>?graph=<IRI>`` per named graph (``?default`` for triples in
the default graph, if the file has any), which *replaces* that graph on the
server, so loading a new build twice leaves one copy. The body is N-Triples
written by pyoxigraph. Then the triples of every graph are counted through the
SPARQL query endpoint (the one ``POLICYKG_ENDPOINT`` names) and compared with
the file: a graph that did not arrive whole is an error, not a warning.

Where the Graph Store endpoint is: Oxigraph serves it at ``/store`` beside
``/query``, so :func:`store_url` derives ``…/store`` from ``…/query`` (and,
as a guess, from ``…/sparql``). Other servers put it elsewhere, so pass it
explicitly: Fuseki ``http://host:3030/DATASET/data``, Virtuoso
``http://host:8890/sparql-graph-crud`` (``-auth`` for the authenticated one).

Limits: graphs on the server that the file does not have are left as they
are (and listed); a blank node shared by two graphs would arrive as two
(each PUT is its own document); the built graph has no blank nodes. Every
failure is a :class:`GraphStoreError` naming the URL and the graph.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    RdfFormat,
    parse,
    parse_query_results,
    serialize,
)

from policykg.api.sparql_guard import load_store
from policykg.errors import PolicyKGError

N_TRIPLES = "application/n-triples"
RESULTS_JSON = "application/sparql-results+json"
COUNT_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
DEFAULT_LABEL = "the default graph"
STORE_HINT = ("pass the Graph Store Protocol endpoint with --store (Oxigraph: …/store, "
              "Fuseki: …/DATASET/data, Virtuoso: …/sparql-graph-crud)")


class GraphStoreError(PolicyKGError):
    """A graph could not be stored or did not arrive whole (exit code 2)."""


@dataclass(frozen=True)
class GraphLoad:
    graph: str | None  # the graph's IRI; None for the default graph
    triples: int  # in the file
    on_server: int  # counted through the query endpoint after the PUT
    status: int  # the store's answer to the PUT (201 created, 204 replaced, or 200)

    @property
    def label(self) -> str:
        return self.graph or DEFAULT_LABEL


@dataclass(frozen=True)
class LoadReport:
    source: Path
    endpoint: str
    store: str
    graphs: tuple[GraphLoad, ...]
    others: dict[str, int]  # graphs on the server the file does not have, left as they are
    seconds: float

    @property
    def triples(self) -> int:
        return sum(graph.triples for graph in self.graphs)


def store_url(endpoint: str) -> str:
    """The Graph Store endpoint beside a query endpoint, the Oxigraph way (…/query → …/store).

    …/sparql → …/store is a guess (Oxigraph answers /query only, many others
    /sparql); any other path raises :class:`GraphStoreError` asking for ``--store``.
    """
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise GraphStoreError(f"{endpoint!r} is not an http(s) URL of a SPARQL query endpoint")
    head, _, last = parts.path.rstrip("/").rpartition("/")
    if last not in ("query", "sparql"):
        raise GraphStoreError(f"cannot tell the Graph Store URL from {endpoint}: {STORE_HINT}")
    return urlunsplit((parts.scheme, parts.netloc, f"{head}/store", "", ""))


def graph_params(graph: str | None) -> dict[str, str]:
    """Indirect graph identification of the protocol: ``?graph=IRI``, or ``?default``."""
    return {"graph": graph} if graph is not None else {"default": ""}


def put_graph(client: httpx.Client, store: str, graph: str | None, body: bytes) -> int:
    """PUT one graph (N-Triples), replacing it on the server; the HTTP status."""
    target = DEFAULT_LABEL if graph is None else f"graph <{graph}>"
    try:
        response = client.put(store, params=graph_params(graph), content=body, headers={"content-type": N_TRIPLES})
    except httpx.HTTPError as error:
        raise GraphStoreError(f"cannot PUT {target} to {store}: {_describe(error)}") from None
    if response.status_code >= 400:
        hint = f"; {STORE_HINT}" if response.status_code in (404, 405) else ""
        raise GraphStoreError(
            f"{store} answered {response.status_code} to the PUT of {target}: {_text(response)}{hint}")
    return response.status_code


def count_graphs(client: httpx.Client, endpoint: str) -> dict[str, int]:
    """Triples per named graph, counted by the server's query endpoint."""
    try:
        response = client.post(endpoint, data={"query": COUNT_GRAPHS}, headers={"accept": RESULTS_JSON})
    except httpx.HTTPError as error:
        raise GraphStoreError(f"cannot count the graphs at {endpoint}: {_describe(error)}") from None
    if response.status_code >= 400:
        raise GraphStoreError(
            f"{endpoint} answered {response.status_code} to the query counting the graphs: {_text(response)}")
    try:
        result = parse_query_results(response.content, format=QueryResultsFormat.JSON)
        if isinstance(result, QueryBoolean):
            raise SyntaxError("a boolean instead of solutions")
        return {solution["g"].value: int(solution["n"].value) for solution in result}
    except (SyntaxError, ValueError, TypeError, AttributeError) as error:
        raise GraphStoreError(
            f"{endpoint} did not answer the count query with SPARQL JSON results ({error}); "
            "is --endpoint the query endpoint?") from None


def count_default_graph(client: httpx.Client, store: str) -> int:
    """Triples in the server's default graph, read back with a Graph Store GET.

    (A query cannot count them where the default graph is the union of the named graphs.)
    """
    try:
        response = client.get(store, params=graph_params(None), headers={"accept": N_TRIPLES})
    except httpx.HTTPError as error:
        raise GraphStoreError(f"cannot read {DEFAULT_LABEL} back from {store}: {_describe(error)}") from None
    if response.status_code >= 400:
        raise GraphStoreError(f"{store} answered {response.status_code} to the GET of {DEFAULT_LABEL}: {_text(response)}")
    try:
        return sum(1 for _ in parse(response.content, format=RdfFormat.N_TRIPLES))
    except SyntaxError as error:
        raise GraphStoreError(f"{store} answered the GET of {DEFAULT_LABEL} with no N-Triples: {error}") from None


def load(path: Path, endpoint: str, store: str | None = None, *, timeout: float = 60.0,
         client: httpx.Client | None = None) -> LoadReport:
    """PUT every graph of ``path`` to ``store`` (default: :func:`store_url`), then check the counts at ``endpoint``."""
    started = time.perf_counter()
    store = store or store_url(endpoint)
    dataset = load_store(path)  # the file is read (and checked) before anything is sent
    graphs: list[str | None] = sorted(graph.value for graph in dataset.named_graphs())
    if any(True for _ in dataset.quads_for_pattern(None, None, None, DefaultGraph())):
        graphs.insert(0, None)
    if not graphs:
        raise GraphStoreError(f"{path} holds no triples; nothing to load")
    own_client = client is None
    client = client or httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)))
    try:
        sent: dict[str | None, tuple[int, int]] = {}
        for graph in graphs:
            name = DefaultGraph() if graph is None else NamedNode(graph)
            triples = sorted({quad.triple for quad in dataset.quads_for_pattern(None, None, None, name)}, key=str)
            body = serialize(triples, format=RdfFormat.N_TRIPLES) or b""
            sent[graph] = (len(triples), put_graph(client, store, graph, body))
        counted = count_graphs(client, endpoint)
        loads = []
        for graph, (triples, status) in sent.items():
            on_server = count_default_graph(client, store) if graph is None else counted.get(graph, 0)
            if on_server != triples:
                target = DEFAULT_LABEL if graph is None else f"graph <{graph}>"
                raise GraphStoreError(
                    f"{target}: {triples:,} triples in {path} but {on_server:,} counted at {endpoint} "
                    f"after the PUT to {store}")
            loads.append(GraphLoad(graph, triples, on_server, status))
    finally:
        if own_client:
            client.close()
    others = {graph: n for graph, n in sorted(counted.items()) if graph not in sent}
    return LoadReport(path, endpoint, store, tuple(loads), others, time.perf_counter() - started)


def format_report(report: LoadReport) -> str:
    """What ``policykg load`` prints: one line per graph with its verified count."""
    width = max(len(graph.label) for graph in report.graphs)
    lines = [f"Loaded {report.source} into {report.store} in {report.seconds:.2f} s "
             f"(counts checked at {report.endpoint})"]
    lines += [f"  {graph.label:<{width}}  {graph.triples:>9,} triples ({'new' if graph.status == 201 else 'replaced'})"
              for graph in report.graphs]
    lines.append(f"  {len(report.graphs)} graph{'s' if len(report.graphs) != 1 else ''}, "
                 f"{report.triples:,} triples, every count matches")
    if report.others:
        lines.append("  also on the server, not in the file (left as they are): "
                     + ", ".join(f"<{graph}> {n:,}" for graph, n in report.others.items()))
    return "\n".join(lines) + "\n"


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.ConnectError):
        return f"the server cannot be reached ({error})"
    if isinstance(error, httpx.TimeoutException):
        return f"no answer in time ({type(error).__name__})"
    return f"{type(error).__name__}: {error}"


def _text(response: httpx.Response) -> str:
    return " ".join(response.text.split())[:300] or "(no message)"
