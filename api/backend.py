"""Where queries run: the embedded store (default) or a remote SPARQL 1.1 server.

Both backends offer the same four calls, so every route is written once:

* :meth:`select` / :meth:`select_many` -- the project's named queries, with
  parameters bound as RDF terms (trusted text; their own worker pool);
* :meth:`protocol` -- a user's query from ``/sparql``, answered in the
  negotiated format, cut at the row cap, stopped at the time limit;
* :meth:`quads` -- the statements about one resource (entity pages).

:class:`EmbeddedBackend` runs everything in worker processes
(:mod:`policykg.api.pool`): user queries in one pool, named queries in
another, so a runaway ``/sparql`` query on every worker cannot slow the REST
routes. :class:`RemoteBackend` sends the same queries to a SPARQL 1.1 query
endpoint (Oxigraph server, Fuseki, Virtuoso) over the protocol; the remote
server must treat its default graph as the union of the named graphs
(``oxigraph serve --union-default-graph``, Fuseki's ``tdb2:unionDefaultGraph``),
as the embedded store does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol

import httpx
from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    QueryBoolean,
    parse,
    parse_query_results,
    serialize,
)

from policykg.api import worker
from policykg.api.negotiation import GRAPH_FORMATS, RESULT_FORMATS, negotiate
from policykg.api.pool import QueryPool, QueryTimeout
from policykg.api.results import SERIALISERS, Answer, Table, Term
from policykg.api.settings import Settings
from policykg.api.sparql_guard import OUTPUT_PREFIXES, QuerySyntaxError, check_query, token_spans
from policykg.errors import QueryError

Quad = tuple[Term, Term, Term, Term | None]


@dataclass(frozen=True)
class SparqlRequest:
    """The protocol parameters of one query request, from the URL or the body."""

    query: str
    default_graph_uri: list[str] = field(default_factory=list)
    named_graph_uri: list[str] = field(default_factory=list)


class BackendUnavailable(QueryError):
    """The remote SPARQL server cannot be reached or answered with a server error (HTTP 503)."""


class Backend(Protocol):
    description: str

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> Table: ...

    def select_many(self, calls: Sequence[tuple[str, Mapping[str, Term]]]) -> list[Table]: ...

    def protocol(self, request: SparqlRequest, accept: str | None) -> Answer: ...

    def quads(self, iri: str, inbound: bool = False) -> list[Quad]: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- embedded
class EmbeddedBackend:
    """pyoxigraph stores in worker processes, loaded from the built TriG file."""

    def __init__(self, settings: Settings):
        path = str(settings.data)
        worker.load_store(settings.data)  # fail now, in the starting process, if the file is bad
        self.settings = settings
        self.description = f"embedded pyoxigraph store ({settings.data})"
        self.public = QueryPool(path, settings.workers, settings.query_timeout, name="sparql")
        self.named = QueryPool(path, settings.named_workers, settings.named_timeout, name="named")

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> Table:
        return self.named.call(worker.select, query, dict(bindings or {}), self.settings.max_rows)

    def select_many(self, calls: Sequence[tuple[str, Mapping[str, Term]]]) -> list[Table]:
        calls = [(query, dict(bindings)) for query, bindings in calls]
        return self.named.call(worker.select_many, calls, self.settings.max_rows)

    def protocol(self, request: SparqlRequest, accept: str | None) -> Answer:
        check_query(request.query)  # refuse before a worker is even asked
        return self.public.call(
            worker.protocol, request.query, request.default_graph_uri, request.named_graph_uri, accept,
            self.settings.max_rows,
        )

    def quads(self, iri: str, inbound: bool = False) -> list[Quad]:
        return self.named.call(worker.quads, iri, inbound)

    def close(self) -> None:
        self.public.close()
        self.named.close()


# --------------------------------------------------------------------------- remote
RESULTS_JSON = "application/sparql-results+json"
# What the remote server is asked for: results as JSON, graphs as N-Triples (both stream and parse fast).
REMOTE_ACCEPT = f"{RESULTS_JSON}, application/n-triples;q=0.9, text/plain;q=0.1"
QUADS_QUERY = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


def bind_values(query: str, bindings: Mapping[str, Term]) -> str:
    """The query with its parameters bound by a ``VALUES`` block opening the top-level WHERE group.

    The SPARQL protocol has no other way to pass bindings. The values are
    RDF terms written in N-Triples syntax by pyoxigraph (escaped there), in a
    data block: they cannot change the query around them. Named queries use
    their parameters in the top-level group, where this binding means the
    same as pyoxigraph's substitutions (tests compare both on every query).
    """
    if not bindings:
        return query
    names = sorted(bindings)
    block = "VALUES (" + " ".join(f"?{name}" for name in names) + ") { (" + " ".join(
        str(bindings[name]) for name in names) + ") } "
    seen_where = False
    for kind, text, offset in token_spans(query):
        if kind == "name" and text.upper() == "WHERE":
            seen_where = True
        elif kind == "punct" and text == "{" and seen_where:
            return query[: offset + 1] + " " + block + query[offset + 1:]
    raise QueryError("a named query needs a WHERE { … } group to bind its parameters on a remote endpoint")


class RemoteBackend:
    """A SPARQL 1.1 query endpoint reached over HTTP (POST, form-encoded)."""

    def __init__(self, settings: Settings):
        if not settings.endpoint:
            raise QueryError("no remote endpoint given")
        self.settings = settings
        self.endpoint = settings.endpoint
        self.description = f"remote SPARQL endpoint {settings.endpoint}"
        self.client = httpx.Client(timeout=httpx.Timeout(settings.query_timeout, connect=5.0))

    def _post(self, query: str, timeout: float, default_graph: Sequence[str] = (),
              named_graphs: Sequence[str] = ()) -> httpx.Response:
        form = [("query", query)] + [("default-graph-uri", g) for g in default_graph] + [
            ("named-graph-uri", g) for g in named_graphs]
        try:
            response = self.client.post(self.endpoint, data=form, headers={"accept": REMOTE_ACCEPT},
                                        timeout=httpx.Timeout(timeout, connect=5.0))
        except httpx.TimeoutException:
            raise QueryTimeout(
                f"the remote endpoint did not answer within the {timeout:g} s limit; narrow the query"
            ) from None
        except httpx.HTTPError as error:
            raise BackendUnavailable(f"the SPARQL endpoint {self.endpoint} cannot be reached: {error}") from None
        if response.status_code >= 500:
            raise BackendUnavailable(
                f"the SPARQL endpoint {self.endpoint} answered {response.status_code}: {response.text[:300]}")
        if response.status_code >= 400:
            message = response.text.strip()[:500] or f"HTTP {response.status_code}"
            cls = QuerySyntaxError if "error at" in message or "syntax" in message.lower() else QueryError
            raise cls(f"the SPARQL endpoint refused the query: {message}")
        return response

    def _table(self, response: httpx.Response, max_rows: int) -> Table:
        media = response.headers.get("content-type", "").split(";")[0].strip()
        result_format = RESULT_FORMATS.get(media)
        if result_format is None:
            raise BackendUnavailable(f"the SPARQL endpoint answered {media or 'no content type'}, not query results")
        result = parse_query_results(response.content, format=result_format)
        if isinstance(result, QueryBoolean):
            return Table(boolean=bool(result))
        variables = tuple(variable.value for variable in result.variables)
        rows = [tuple(solution[name] for name in variables) for solution in islice(result, max_rows + 1)]
        return Table(variables, tuple(rows[:max_rows]), truncated=len(rows) > max_rows)

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> Table:
        check_query(query)
        response = self._post(bind_values(query, bindings or {}), self.settings.named_timeout)
        return self._table(response, self.settings.max_rows)

    def select_many(self, calls: Sequence[tuple[str, Mapping[str, Term]]]) -> list[Table]:
        return [self.select(query, bindings) for query, bindings in calls]

    def protocol(self, request: SparqlRequest, accept: str | None) -> Answer:
        check_query(request.query)
        response = self._post(request.query, self.settings.query_timeout,
                              request.default_graph_uri, request.named_graph_uri)
        media = response.headers.get("content-type", "").split(";")[0].strip()
        max_rows = self.settings.max_rows
        if media in GRAPH_FORMATS:
            chosen = negotiate(accept, GRAPH_FORMATS)
            if chosen is None:
                raise worker.NotAcceptable(list(GRAPH_FORMATS))
            triples = list(islice(parse(response.content, format=GRAPH_FORMATS[media]), max_rows + 1))
            kept = sorted(triples[:max_rows], key=str)
            body = serialize(kept, format=GRAPH_FORMATS[chosen], prefixes=OUTPUT_PREFIXES) or b""
            return Answer(chosen, body, truncated=len(triples) > max_rows, rows=len(kept))
        chosen = negotiate(accept, RESULT_FORMATS)
        if chosen is None:
            raise worker.NotAcceptable(list(RESULT_FORMATS))
        table = self._table(response, max_rows)
        return Answer(chosen, SERIALISERS[RESULT_FORMATS[chosen]](table), truncated=table.truncated,
                      rows=len(table.rows))

    def quads(self, iri: str, inbound: bool = False) -> list[Quad]:
        node = NamedNode(iri)
        bindings = {"o": node} if inbound else {"s": node}
        table = self.select(QUADS_QUERY, bindings)
        found = [(r.get("s", node), r["p"], r.get("o", node), r.get("g", DefaultGraph())) for r in table.records()]
        return sorted(found, key=lambda quad: tuple(map(str, quad)))

    def close(self) -> None:
        self.client.close()


def open_backend(settings: Settings) -> Backend:
    """The remote backend when an endpoint is configured, else the embedded store."""
    return RemoteBackend(settings) if settings.endpoint else EmbeddedBackend(settings)
