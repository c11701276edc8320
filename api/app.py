"""A deliberately small Linked Data API over the built graph.

``create_app(trig_path)`` loads ``dist/policykg.trig`` into an in-memory
pyoxigraph Store once, at start-up (pyoxigraph's own TriG parser: seconds for
a million triples, where rdflib needs minutes), and serves:

* ``GET/POST /sparql`` -- the SPARQL 1.1 protocol, read-only, union default graph;
* ``GET /id/{kind}/{slug}`` -- the triples of one resource, from all graphs;
* ``GET /`` -- an index with counts and links.

Each resource is one ``APIRouter`` (``sparql``, ``resources``, ``index``), so
the full API of a later issue adds routers rather than growing handlers.
Content negotiation is a table of media type -> pyoxigraph format. Queries
pass :mod:`policykg.api.sparql_guard` first (size, no update/SERVICE/LOAD).
Queries run in a worker thread: pyoxigraph releases the GIL, so one slow
query does not stall the event loop or cheaper requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from pyoxigraph import NamedNode, QueryResultsFormat, QueryTriples, RdfFormat, Store, serialize
from starlette.concurrency import run_in_threadpool

import policykg
from policykg.api.sparql_guard import (
    OUTPUT_PREFIXES,
    QueryRefused,
    QueryTooLarge,
    check_size,
    load_store,
    run_query,
)
from policykg.errors import QueryError
from policykg.namespaces import resource

# Media type -> serialiser, first entry is the default. Results of SELECT/ASK:
RESULT_FORMATS: dict[str, QueryResultsFormat] = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/json": QueryResultsFormat.JSON,
    "text/csv": QueryResultsFormat.CSV,
    "text/tab-separated-values": QueryResultsFormat.TSV,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "application/xml": QueryResultsFormat.XML,
}
# ... and of CONSTRUCT/DESCRIBE and resource pages:
GRAPH_FORMATS: dict[str, RdfFormat] = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/ld+json": RdfFormat.JSON_LD,
    "application/rdf+xml": RdfFormat.RDF_XML,
}
# The character set each served media type is sent with (the RDF ones are UTF-8 by definition).
TEXT_TYPES = frozenset({"text/csv", "text/tab-separated-values", "text/turtle", "application/n-triples"})

# Which exception becomes which HTTP status (the most specific class listed first).
ERROR_STATUS: list[tuple[type[Exception], int]] = [(QueryTooLarge, 413), (QueryRefused, 400), (QueryError, 400)]

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"


# --------------------------------------------------------------------------- shared
def get_store(request: Request) -> Store:
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]


def error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def negotiate(accept: str | None, offered: dict[str, object]) -> str | None:
    """The offered media type the Accept header likes best (first offered wins ties; None if none is acceptable)."""
    if not accept:
        return next(iter(offered))
    best, best_q = None, 0.0
    for rank in accept.split(","):
        media, *params = [part.strip() for part in rank.split(";")]
        q = next((_float(p[2:]) for p in params if p.startswith("q=")), 1.0)
        matches = [m for m in offered if media in (m, "*/*") or (media.endswith("/*") and m.startswith(media[:-1]))]
        if matches and q > best_q:
            best, best_q = matches[0], q
    return best


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def _media_response(body: bytes, media: str) -> Response:
    charset = "; charset=utf-8" if media in TEXT_TYPES else ""
    return Response(body, media_type=f"{media}{charset}")


# --------------------------------------------------------------------------- /sparql
sparql = APIRouter(tags=["sparql"])


@dataclass(frozen=True)
class SparqlRequest:
    """The protocol parameters of one query request, from the URL or the body."""

    query: str
    default_graph_uri: list[str] = field(default_factory=list)
    named_graph_uri: list[str] = field(default_factory=list)


class UnsupportedMedia(Exception):
    """A POST body that is neither a form nor a query (HTTP 415)."""

    def __init__(self, content_type: str):
        super().__init__(f"POST a query as {FORM} or {SPARQL_QUERY}, not {content_type or 'no content type'}")


def _protocol_request(params: dict[str, list[str]], body_query: str | None = None) -> SparqlRequest:
    if "update" in params:
        raise QueryRefused("SPARQL Update is refused; the graph is read-only")
    queries = ([body_query] if body_query is not None else []) + params.get("query", [])
    if len(queries) != 1:
        raise QueryError("give exactly one query (the `query` parameter, or an application/sparql-query body)")
    return SparqlRequest(
        query=queries[0],
        default_graph_uri=params.get("default-graph-uri", []),
        named_graph_uri=params.get("named-graph-uri", []),
    )


async def _read_request(request: Request) -> SparqlRequest:
    """GET parameters, a form body or a direct query body, as the SPARQL protocol allows."""
    params = parse_qs(request.url.query, keep_blank_values=True)
    if request.method == "GET":
        return _protocol_request(params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in (FORM, SPARQL_QUERY):
        raise UnsupportedMedia(content_type)
    body = await request.body()
    check_size(body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise QueryError("the request body is not UTF-8") from None
    if content_type == FORM:
        for name, values in parse_qs(text, keep_blank_values=True).items():
            params.setdefault(name, []).extend(values)
        return _protocol_request(params)
    return _protocol_request(params, body_query=text)


def _graphs(iris: list[str]) -> list[NamedNode]:
    try:
        return [NamedNode(iri) for iri in iris]
    except ValueError as problem:
        raise QueryError(f"not an IRI: {problem}") from None


def _execute(store: Store, req: SparqlRequest, accept: str | None) -> Response:
    """Run the query and serialise it in the negotiated format (runs in a worker thread)."""
    result = run_query(
        store, req.query, default_graph=_graphs(req.default_graph_uri), named_graphs=_graphs(req.named_graph_uri)
    )
    offered = GRAPH_FORMATS if isinstance(result, QueryTriples) else RESULT_FORMATS
    media = negotiate(accept, offered)
    if media is None:
        return error(406, "no acceptable format", supported=list(offered))
    if isinstance(result, QueryTriples):
        body = serialize(result, format=GRAPH_FORMATS[media], prefixes=OUTPUT_PREFIXES) or b""
    else:
        body = result.serialize(format=RESULT_FORMATS[media])
    return _media_response(body, media)


@sparql.api_route("/sparql", methods=["GET", "POST"], summary="SPARQL 1.1 query endpoint (read-only)")
async def sparql_endpoint(request: Request, store: StoreDep) -> Response:
    try:
        req = await _read_request(request)
        return await run_in_threadpool(_execute, store, req, request.headers.get("accept"))
    except UnsupportedMedia as problem:
        return error(415, str(problem))
    except QueryError as problem:
        return error(next(code for kind, code in ERROR_STATUS if isinstance(problem, kind)), str(problem))


# --------------------------------------------------------------------------- /id/{kind}/{slug}
resources = APIRouter(tags=["resources"])


@resources.get("/id/{kind}/{slug}", summary="the triples of one resource (all graphs)")
def resource_page(kind: str, slug: str, request: Request, store: StoreDep) -> Response:
    iri = str(resource(kind, slug))
    try:
        subject = NamedNode(iri)
    except ValueError:
        return error(404, f"no resource {kind}/{slug}")
    triples = sorted({quad.triple for quad in store.quads_for_pattern(subject, None, None, None)}, key=str)
    if not triples:
        return error(404, f"no resource {kind}/{slug}", iri=iri)
    media = negotiate(request.headers.get("accept"), GRAPH_FORMATS)
    if media is None:
        return error(406, "no acceptable format", supported=list(GRAPH_FORMATS))
    return _media_response(serialize(triples, format=GRAPH_FORMATS[media], prefixes=OUTPUT_PREFIXES) or b"", media)


# --------------------------------------------------------------------------- /
index = APIRouter(tags=["index"])


class Index(BaseModel):
    name: str
    version: str
    quads: int
    graphs: dict[str, int]
    classes: dict[str, int]
    links: dict[str, str]


COUNT_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
COUNT_CLASSES = (
    "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(STRSTARTS(STR(?c), STR(pol:))) } "
    "GROUP BY ?c ORDER BY ?c"
)


def _counts(store: Store, query: str) -> dict[str, int]:
    return {row[0].value: int(row[1].value) for row in run_query(store, query)}


def build_index(store: Store) -> Index:
    """Counted once at start-up: the store does not change while the app runs."""
    return Index(
        name="policykg",
        version=policykg.__version__,
        quads=len(store),
        graphs=_counts(store, COUNT_GRAPHS),
        classes=_counts(store, COUNT_CLASSES),
        links={"sparql": "/sparql", "resource": "/id/{kind}/{slug}", "example": "/id/item/16", "docs": "/docs"},
    )


@index.get("/", response_model=Index, summary="what this server holds and where to look")
def home(request: Request) -> Index:
    return request.app.state.index


# --------------------------------------------------------------------------- app
def create_app(trig_path: Path) -> FastAPI:
    """The app over one built TriG file (loaded now, so a bad file fails at start, not on a request)."""
    app = FastAPI(title="policykg", version=policykg.__version__, description=__doc__.split("\n\n")[0])
    app.state.store = load_store(Path(trig_path))
    app.state.index = build_index(app.state.store)
    for router in (index, sparql, resources):
        app.include_router(router)
    return app
