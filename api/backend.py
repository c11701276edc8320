"""Where queries run: the embedded store (default) or a remote SPARQL 1.1 server.

Both backends offer the same four calls, so every route is written once:

* :meth:`select` / :meth:`select_many` -- the project's named queries, with
  parameters bound as RDF terms (trusted text; their own worker pool);
* :meth:`protocol` -- a user's query from ``/sparql``, answered in the
  negotiated format, cut at the row cap, stopped at the time limit;
* :meth:`quads` -- the statements about one resource (entity pages);
* :meth:`labels` -- the names of the resources an entity page links to.

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

import functools
import io
import re
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlencode

import httpx
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    parse,
    parse_query_results,
)

from policykg.api import worker
from policykg.api.negotiation import GRAPH_FORMATS, RESULT_FORMATS, choose
from policykg.api.pool import QueryPool, QueryTimeout
from policykg.api.results import Answer, Table, Term, graph_answer, results_answer
from policykg.api.settings import Settings
from policykg.api.sparql_guard import (
    DEFAULT_PREFIXES,
    OUTPUT_PREFIXES,
    QuerySyntaxError,
    check_query,
    token_spans,
)
from policykg.errors import QueryError
from policykg.manifest import verified_copy

LABELS_KEPT = 65_536  # nodes whose labels the embedded backend keeps (a few hundred bytes each)
# The project's own queries (named queries, routes, entity look-ups) are not cut at --max-rows, the cap
# of a user's /sparql answer: a cut list of ids or items would give wrong answers, not shorter ones.
# Their size is bounded by the data; the time limits still apply.
OWN_QUERY_ROWS = sys.maxsize - 1  # (islice takes at most sys.maxsize: the cap reads one row more)


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
    # Whether every call answers from memory in this process (no network): a route may then run a
    # bounded look-up on the event loop instead of sending it to a worker thread.
    in_process: bool

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> Table: ...

    def select_many(self, calls: Sequence[tuple[str, Mapping[str, Term]]]) -> list[Table]: ...

    def protocol(self, request: SparqlRequest, accept: str | None) -> Answer: ...

    def quads(self, iri: str, inbound: bool = False, limit: int | None = None) -> list[Quad]: ...

    def labels(self, nodes: Sequence[str], properties: Sequence[str]) -> list[Quad]: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- embedded
class EmbeddedBackend:
    """The built TriG file in pyoxigraph: one store in this process, copies in the /sparql workers.

    Why two places: a user's query (``/sparql``) can be written to run for
    ever, and only a process can be stopped, so those run in killable worker
    processes. The named queries, entity look-ups and relationship routes run
    the project's own reviewed query text with parameters bound as terms:
    their cost is bounded by the data (``benchmarks/api.py`` measures it), so
    they run here -- in the thread pool (pyoxigraph releases the GIL), or on
    the event loop once known to be cheap (:class:`~policykg.api.deps.RouteCost`)
    -- without the round trip to a worker, and a runaway ``/sparql`` query on
    every worker cannot slow them.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        # A file that does not match dist/manifest.json fails here, at start, before anything is loaded; every
        # process then loads the private copy of the checked bytes (see policykg.manifest), never the file by name.
        self.data = verified_copy(settings.data, owner=self)
        try:
            self.store = worker.load_store(self.data.path)  # a bad file fails here, at start, not on a request
        except QueryError as error:  # name the user's file, not the private copy
            raise QueryError(str(error).replace(str(self.data.path), str(settings.data))) from None
        self.description = f"embedded pyoxigraph store ({settings.data})"
        self.in_process = True
        self.public = QueryPool(str(self.data.path), settings.workers, settings.query_timeout, name="sparql",
                                nice=settings.worker_nice)

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> Table:
        return worker.select(query, dict(bindings or {}), OWN_QUERY_ROWS, store=self.store, trusted=True)

    def select_many(self, calls: Sequence[tuple[str, Mapping[str, Term]]]) -> list[Table]:
        return [self.select(query, bindings) for query, bindings in calls]

    def protocol(self, request: SparqlRequest, accept: str | None) -> Answer:
        check_query(request.query)  # refuse before a worker is even asked
        return self.public.call(
            worker.protocol, request.query, request.default_graph_uri, request.named_graph_uri, accept,
            self.settings.max_rows,
        )

    def quads(self, iri: str, inbound: bool = False, limit: int | None = None) -> list[Quad]:
        return worker.quads(iri, inbound, store=self.store, limit=limit)

    def labels(self, nodes: Sequence[str], properties: Sequence[str]) -> list[Quad]:
        """The ``properties`` statements (rdfs:label …) of each node, by index look-ups, kept per node.

        An entity page names every resource it links to: dozens of look-ups a
        page, mostly of the same few resources (chapters, categories, the
        ACFTU). The store does not change while the app runs, so each node's
        labels are read once and kept, at most :data:`LABELS_KEPT` nodes.
        """
        found: list[Quad] = []
        for node in nodes:
            found.extend(self._labels(node, tuple(properties)))
        return found

    @functools.lru_cache(maxsize=LABELS_KEPT)  # noqa: B019 -- one backend per app, kept for the app's life
    def _labels(self, node: str, properties: tuple[str, ...]) -> tuple[Quad, ...]:
        subject = NamedNode(node)
        return tuple(quad for name in properties
                     for quad in self.store.quads_for_pattern(subject, NamedNode(name), None, None))

    def close(self) -> None:
        self.public.close()


# --------------------------------------------------------------------------- remote
RESULTS_JSON = "application/sparql-results+json"
# What the remote server is asked for: results as JSON, graphs as N-Triples (both stream and parse fast).
REMOTE_ACCEPT = f"{RESULTS_JSON}, application/n-triples;q=0.9, text/plain;q=0.1"
QUADS_QUERY = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
CONNECT_TIMEOUT = 5.0  # seconds to open a connection (a refused one fails at once)
# 4xx answers that blame the query; any other 4xx (404, 401, 405 …) means the endpoint is misconfigured.
QUERY_STATUSES = frozenset({400, 413, 414})
# Where a parser names the position of a syntax error: oxigraph "error at 3:14", Jena "line 3, column 14".
_POSITION = re.compile(r"(?<=error at )(\d+)(?=:\d+)|(?i:(?<=line )(\d+))")


def query_form(query: str) -> tuple[str, int] | None:
    """The query form keyword (SELECT, CONSTRUCT, DESCRIBE, ASK) and its offset; None if there is none."""
    for kind, text, offset in token_spans(query):
        if kind == "name" and text.upper() in QUERY_FORMS:
            return text.upper(), offset
    return None


def top_level_group(query: str) -> int | None:
    """The offset of the ``{`` that opens the query's top-level WHERE group (the keyword WHERE is optional).

    It is the first ``{`` after WHERE; without WHERE, the first ``{`` outside
    parentheses after the query form (``SELECT (EXISTS { … } AS ?e) { … }``),
    after the template for ``CONSTRUCT { … } { … }``.
    """
    form = None
    parens = braces = 0
    template_done = False
    for kind, text, offset in token_spans(query):
        if form is None:
            if kind == "name" and text.upper() in QUERY_FORMS:
                form = text.upper()
            continue
        if kind == "name" and text.upper() == "WHERE" and braces == 0 and parens == 0:
            template_done = True  # the next { opens the group
        elif kind == "punct" and text == "(":
            parens += 1
        elif kind == "punct" and text == ")":
            parens -= 1
        elif kind == "punct" and text == "{":
            if braces == 0 and parens == 0 and (form != "CONSTRUCT" or template_done):
                return offset
            braces += 1
        elif kind == "punct" and text == "}":
            braces -= 1
            if braces == 0 and parens == 0:
                template_done = True
    return None


def bind_values(query: str, bindings: Mapping[str, Term]) -> str:
    """The query with its parameters bound by a ``VALUES`` block opening the top-level WHERE group.

    The SPARQL protocol has no other way to pass bindings. The values are
    RDF terms written in N-Triples syntax by pyoxigraph (escaped there), in a
    data block: they cannot change the query around them. Named queries use
    their parameters in the top-level group, where this binding means the
    same as pyoxigraph's substitutions: a solution joins the bound value, so
    the triple patterns, FILTERs (``COALESCE(?p, ?x, "") = COALESCE(?x, "")``),
    OPTIONALs, GROUP BY and the projection all see it (``tests/test_remote.py``
    compares both on every named query). A variable that only a subquery, a
    MINUS or a SERVICE uses would not be bound inside it; no named query does that.
    An optional parameter left out is in neither: it stays unbound. One
    difference the queries avoid: ``BOUND(?p)`` is true here but false under
    pyoxigraph's substitutions (``tests/test_query_portability.py``).
    """
    if not bindings:
        return query
    names = sorted(bindings)
    for name in names:
        if isinstance(bindings[name], BlankNode):
            raise QueryError(f"parameter {name}: a blank node cannot be bound in a VALUES block")
    block = "VALUES (" + " ".join(f"?{name}" for name in names) + ") { (" + " ".join(
        str(bindings[name]) for name in names) + ") } "
    offset = top_level_group(query)
    if offset is None:
        raise QueryError("a named query needs a WHERE { … } group to bind its parameters on a remote endpoint")
    return query[: offset + 1] + " " + block + query[offset + 1:]


def declare_prefixes(query: str) -> str:
    """The query with ``PREFIX`` lines for the project's default prefixes it uses without declaring them.

    The embedded store knows ``pol:``, ``rdfs:``, ``id:`` … without declarations
    (:data:`~policykg.api.sparql_guard.DEFAULT_PREFIXES`); a remote server does not.
    """
    declared: set[str] = set()
    used: set[str] = set()
    after_prefix = False
    for kind, text, _ in token_spans(query):
        if kind == "pname":
            (declared if after_prefix else used).add(text.split(":", 1)[0])
        after_prefix = kind == "name" and text.upper() == "PREFIX"
    missing = sorted(prefix for prefix in used - declared if prefix in DEFAULT_PREFIXES)
    return "".join(f"PREFIX {prefix}: <{DEFAULT_PREFIXES[prefix]}>\n" for prefix in missing) + query


def shift_lines(message: str, lines: int) -> str:
    """A parser's message with its line numbers moved back by the ``lines`` declared in front of the query."""
    if not lines:
        return message
    return _POSITION.sub(lambda match: str(max(1, int(match.group(0)) - lines)), message)


class _Body(io.RawIOBase):
    """A streamed response body as a binary file, read lazily by pyoxigraph's parsers.

    Reading stops with :class:`QueryTimeout` at the deadline (httpx's read
    timeout only bounds the wait for each chunk, and a server streaming rows
    never waits), and a parser that has the rows it needs stops reading: the
    connection is then closed, which is how the server learns to stop.

    The readers clear their locals in ``finally``: pyoxigraph's parsers must be
    dropped on the thread that made them, and an error's traceback keeps its
    frames' locals alive until the error is handled, on the event loop's thread.
    """

    def __init__(self, response: httpx.Response, deadline: float, limit: float, endpoint: str):
        super().__init__()
        self._chunks = response.iter_bytes()
        self._chunk = memoryview(b"")
        self._deadline = deadline
        self._limit = limit
        self._endpoint = endpoint

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            chunk = self._next_chunk()
        except BaseException:
            buffer = None  # the parser's buffer, not to be kept alive by the traceback
            raise
        size = min(len(buffer), len(chunk))
        buffer[:size] = chunk[:size]
        self._chunk = chunk[size:]
        return size

    def _next_chunk(self) -> memoryview:
        """What is left of the current chunk, else the next one; empty at the end of the body."""
        while not self._chunk:
            self._check_deadline()
            try:
                self._chunk = memoryview(next(self._chunks))
            except StopIteration:
                return memoryview(b"")
            except httpx.TimeoutException:
                raise _timeout(self._limit) from None
            except httpx.HTTPError as error:
                raise BackendUnavailable(
                    f"the SPARQL endpoint {self._endpoint} broke off its answer: {error}") from None
        self._check_deadline()
        return self._chunk

    def _check_deadline(self) -> None:
        if time.monotonic() > self._deadline:
            raise _timeout(self._limit)


def _timeout(limit: float) -> QueryTimeout:
    # The remote server may go on evaluating: closing the connection stops a streaming answer, but an
    # aggregate runs until the server's own limit (``oxigraph serve --timeout-s``), if it has one.
    return QueryTimeout(
        f"the remote endpoint did not answer within the {limit:g} s limit and the query was abandoned; "
        "narrow it (a LIMIT, fewer unbound patterns)")


class RemoteBackend:
    """A SPARQL 1.1 query endpoint reached over HTTP (POST, form-encoded).

    Every query passes the same gate as on the embedded store (size, read-only,
    no SERVICE/LOAD), so a refused query never reaches the server; the
    project's default prefixes are declared for it (a syntax error is the
    server's parser's message, its line numbers those of the query as given).
    It is not parsed here: pyoxigraph evaluates while it parses (an ASK, an
    aggregate, ORDER BY over inline data), and that would run unbounded in
    the API process. Answers are read as a stream, cut at the row cap and at
    the time limit.

    Nothing is asked of the server when the app starts: an endpoint that is
    down answers 503 until it is back, and then 200 again.
    """

    def __init__(self, settings: Settings):
        if not settings.endpoint:
            raise QueryError("no remote endpoint given")
        self.settings = settings
        self.endpoint = settings.endpoint
        self.description = f"remote SPARQL endpoint {settings.endpoint}"
        self.in_process = False
        self.client = httpx.Client(timeout=self._timeout(settings.query_timeout))

    @staticmethod
    def _timeout(limit: float) -> httpx.Timeout:
        return httpx.Timeout(limit, connect=min(limit, CONNECT_TIMEOUT))

    def prepare(self, query: str, bindings: Mapping[str, Term] | None = None) -> tuple[str, int]:
        """The text sent (checked, default prefixes declared, parameters bound) and the lines put in front."""
        check_query(query)
        text = declare_prefixes(query)
        return bind_values(text, bindings or {}), text.count("\n") - query.count("\n")

    def _send(self, query: str, limit: float, default_graph: Sequence[str] = (),
              named_graphs: Sequence[str] = ()) -> httpx.Response:
        form = urlencode([("query", query)] + [("default-graph-uri", g) for g in default_graph] + [
            ("named-graph-uri", g) for g in named_graphs])
        request = self.client.build_request(
            "POST", self.endpoint, content=form.encode("ascii"), timeout=self._timeout(limit),
            headers={"accept": REMOTE_ACCEPT, "content-type": "application/x-www-form-urlencoded"})
        for attempt in (1, 2):
            try:
                return self.client.send(request, stream=True)
            except httpx.ConnectTimeout:
                raise BackendUnavailable(f"the SPARQL endpoint {self.endpoint} cannot be reached: "
                                         f"no connection within {min(limit, CONNECT_TIMEOUT):g} s") from None
            except httpx.TimeoutException:
                raise _timeout(limit) from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
                # A kept-alive connection the server closed (it restarted, say): the query is
                # read-only, so it is sent once more on a fresh connection.
                if attempt == 2:
                    raise BackendUnavailable(f"the SPARQL endpoint {self.endpoint} cannot be reached: {error}") from None
            except httpx.HTTPError as error:
                raise BackendUnavailable(f"the SPARQL endpoint {self.endpoint} cannot be reached: {error}") from None
        raise AssertionError("unreachable")

    @contextmanager
    def _answer(self, query: str, limit: float, default_graph: Sequence[str] = (),
                named_graphs: Sequence[str] = (), shift: int = 0) -> Iterator[tuple[str, _Body]]:
        """The answer's media type and its body as a lazily read file; the connection closes after the block."""
        deadline = time.monotonic() + limit
        response = self._send(query, limit, default_graph, named_graphs)
        try:
            body = _Body(response, deadline, limit, self.endpoint)
            if response.status_code >= 400:
                self._refused(response.status_code, body.read(4096).decode("utf-8", "replace"), shift)
            yield response.headers.get("content-type", "").split(";")[0].strip().lower(), body
        finally:
            response.close()

    def _refused(self, status: int, text: str, shift: int = 0) -> None:
        message = " ".join(text.split())[:500] or f"HTTP {status}"
        if status in QUERY_STATUSES:
            message = shift_lines(message, shift)
            if "error at" in message or "syntax" in message.lower():
                raise QuerySyntaxError(f"SPARQL syntax error: {message} (from {self.endpoint})")
            raise QueryError(f"the SPARQL endpoint {self.endpoint} refused the query: {message}")
        if status >= 500 and ("timeout" in message.lower() or "cancel" in message.lower()):
            raise QueryTimeout(f"the SPARQL endpoint {self.endpoint} stopped the query at its own time limit: {message}")
        raise BackendUnavailable(f"the SPARQL endpoint {self.endpoint} answered {status}: {message}")

    def _table(self, media: str, body: _Body, max_rows: int) -> Table:
        result_format = RESULT_FORMATS.get(media)
        if result_format is None or result_format == QueryResultsFormat.CSV:
            raise BackendUnavailable(
                f"the SPARQL endpoint {self.endpoint} answered {media or 'no content type'}, not query results")
        result = solution = None
        try:
            result = parse_query_results(body, format=result_format)
            if isinstance(result, QueryBoolean):
                return Table(boolean=bool(result))
            variables = tuple(variable.value for variable in result.variables)
            rows = []
            for solution in result:  # a loop, not a comprehension: see _Body
                rows.append(tuple(solution[name] for name in variables))
                if len(rows) > max_rows:
                    break
        except (SyntaxError, ValueError) as error:
            raise BackendUnavailable(f"the SPARQL endpoint {self.endpoint} sent results that cannot be read: {error}") from None
        finally:
            result = solution = None
        return Table(variables, tuple(rows[:max_rows]), truncated=len(rows) > max_rows)

    def _triples(self, media: str, body: _Body, max_rows: int) -> list:
        parser = triple = None
        try:
            parser = parse(body, format=GRAPH_FORMATS[media])
            triples = []
            for triple in parser:  # a loop, not a comprehension: see _Body
                triples.append(triple)
                if len(triples) > max_rows:
                    break
        except (SyntaxError, ValueError) as error:
            raise BackendUnavailable(
                f"the SPARQL endpoint {self.endpoint} sent triples that cannot be read: {error}") from None
        finally:
            parser = triple = None
        return triples

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> Table:
        text, shift = self.prepare(query, bindings)
        with self._answer(text, self.settings.named_timeout, shift=shift) as (media, body):
            if media in GRAPH_FORMATS:
                raise QueryError("this call answers SELECT and ASK queries; use the protocol call for CONSTRUCT/DESCRIBE")
            return self._table(media, body, OWN_QUERY_ROWS)

    def select_many(self, calls: Sequence[tuple[str, Mapping[str, Term]]]) -> list[Table]:
        return [self.select(query, bindings) for query, bindings in calls]

    def protocol(self, request: SparqlRequest, accept: str | None) -> Answer:
        text, shift = self.prepare(request.query)
        form = query_form(text)
        graph_form = form is not None and form[0] in ("CONSTRUCT", "DESCRIBE")
        choose(accept, GRAPH_FORMATS if graph_form else RESULT_FORMATS)  # refused before the server is asked
        max_rows = self.settings.max_rows
        with self._answer(text, self.settings.query_timeout, request.default_graph_uri,
                          request.named_graph_uri, shift) as (media, body):
            if media in GRAPH_FORMATS:
                triples = self._triples(media, body, max_rows)
                return graph_answer(triples, choose(accept, GRAPH_FORMATS), max_rows, OUTPUT_PREFIXES)
            chosen = choose(accept, RESULT_FORMATS)
            table = self._table(media, body, max_rows)
        return results_answer(table, chosen)

    def quads(self, iri: str, inbound: bool = False, limit: int | None = None) -> list[Quad]:
        node = NamedNode(iri)
        bindings = {"o": node} if inbound else {"s": node}
        table = self.select(QUADS_QUERY + (f" LIMIT {int(limit)}" if limit is not None else ""), bindings)
        return [Quad(r.get("s", node), r["p"], r.get("o", node), r.get("g", DefaultGraph())) for r in table.records()]

    def labels(self, nodes: Sequence[str], properties: Sequence[str]) -> list[Quad]:
        """One query for all nodes, their IRIs written as N-Triples terms in VALUES blocks (never pasted raw)."""
        if not nodes:
            return []
        values = " ".join(str(NamedNode(node)) for node in sorted(set(nodes)))
        names = " ".join(str(NamedNode(name)) for name in properties)
        table = self.select(f"SELECT ?node ?property ?label ?graph WHERE {{ VALUES ?node {{ {values} }} "
                            f"VALUES ?property {{ {names} }} GRAPH ?graph {{ ?node ?property ?label }} }}")
        return [Quad(r["node"], r["property"], r["label"], r["graph"]) for r in table.records()]

    def close(self) -> None:
        self.client.close()


def open_backend(settings: Settings) -> Backend:
    """The remote backend when an endpoint is configured, else the embedded store."""
    return RemoteBackend(settings) if settings.endpoint else EmbeddedBackend(settings)
