"""``/sparql``: the SPARQL 1.1 Protocol, read-only, on whichever backend is configured.

* GET with ``query=``; POST form-encoded or ``application/sparql-query``
  (UTF-8 only; another body type answers 415);
* ``default-graph-uri`` and ``named-graph-uri`` (repeatable) are the whole
  dataset, overriding the query's ``FROM``/``FROM NAMED`` (given only one of
  them, the other part is empty); without them the query's own ``FROM``
  counts, and without that the default graph is the union of all graphs;
  relative IRIs resolve against ``https://w3id.org/policykg/id/``;
* SELECT/ASK as JSON, XML, CSV or TSV; CONSTRUCT/DESCRIBE as Turtle,
  N-Triples, JSON-LD or RDF/XML, by ``Accept`` (or ``format=``, which also
  takes the names SPARQLWrapper and other clients send);
* updates answer 400 (``update=`` or an update in ``query=``), as do
  SERVICE and LOAD, before anything runs; a syntax error answers 400 with the
  parser's line and column; a query over the time limit is stopped (its
  worker process killed) and answers 503; answers stop at the row cap, said
  in the ``X-SPARQL-MaxRows`` header (Virtuoso's name for it);
* GET without a query answers the SPARQL 1.1 Service Description.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pyoxigraph import BlankNode, Literal, NamedNode, Triple, serialize
from starlette.concurrency import run_in_threadpool

from policykg.api.backend import SparqlRequest
from policykg.api.deps import ServicesDep
from policykg.api.errors import ERROR_RESPONSES, ApiError
from policykg.api.negotiation import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    SPARQL_FORMAT_NAMES,
    choose,
    content_type,
    format_accept,
)
from policykg.api.sparql_guard import MAX_QUERY_BYTES, QueryRefused, QueryTooLarge, check_size
from policykg.errors import QueryError

router = APIRouter(tags=["sparql"])

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

_QUERY_PARAMETERS = [
    {"name": "query", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "a SPARQL 1.1 query (without it, GET answers the service description)"},
    {"name": "default-graph-uri", "in": "query", "required": False,
     "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": True,
     "description": "graphs whose merge is the default graph (else: the union of all graphs)"},
    {"name": "named-graph-uri", "in": "query", "required": False,
     "schema": {"type": "array", "items": {"type": "string"}}, "style": "form", "explode": True,
     "description": "the named graphs GRAPH ?g may range over (else: all)"},
    {"name": "format", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "a result format instead of the Accept header: json, xml, csv, tsv, ttl, nt, jsonld, rdf "
                    "(json and xml fit every query form), other common names, or a media type"},
]
_MEDIA = {"schema": {"type": "string"}}
_RESPONSES = {
    200: {"description": "the query's results in the negotiated format",
          "content": {media: _MEDIA for media in [*RESULT_FORMATS, *GRAPH_FORMATS]}},
    413: ERROR_RESPONSES[400] | {"description": "the query is over the size limit"},
    415: ERROR_RESPONSES[400] | {"description": "a POST body that is neither a form nor a query"},
    **{code: spec for code, spec in ERROR_RESPONSES.items() if code != 404},
}


class UnsupportedMedia(ApiError):
    def __init__(self, content_type: str):
        sent = f"not {content_type}" if content_type else "with its Content-Type header (this request has none)"
        super().__init__(415, f"POST a query as {FORM} or {SPARQL_QUERY}, {sent}")


def protocol_request(params: dict[str, list[str]], body_query: str | None = None) -> SparqlRequest:
    """The protocol's parameters, checked: exactly one query, no update."""
    if "update" in params:
        raise QueryRefused("SPARQL Update is refused: the graph is read-only")
    queries = ([body_query] if body_query is not None else []) + params.get("query", [])
    if len(queries) != 1:
        raise QueryError("give exactly one query (the `query` parameter, or an application/sparql-query body)")
    check_size(queries[0])
    for iri in params.get("default-graph-uri", []) + params.get("named-graph-uri", []):
        try:
            NamedNode(iri)
        except ValueError:
            raise QueryError(f"not an IRI: {iri!r} (default-graph-uri and named-graph-uri take absolute IRIs)") from None
    return SparqlRequest(queries[0], params.get("default-graph-uri", []), params.get("named-graph-uri", []))


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise QueryError(f"the {what} is not UTF-8 (byte 0x{raw[error.start]:02X} at offset {error.start}); "
                         "the SPARQL protocol takes UTF-8 text only") from None


async def read_request(request: Request) -> tuple[SparqlRequest | None, dict[str, list[str]]]:
    """GET parameters, a form body or a direct query body, as the protocol allows, and all the parameters.

    The request is None when there is no query at all (GET: the service description).
    """
    raw_query = request.scope.get("query_string", b"")
    _check_encoded_size(len(raw_query), encoded=True)
    params = _parse_form(_decode(raw_query, "query string"), "query string")
    if request.method == "GET":
        if "query" not in params and "update" not in params:
            return None, params
        return protocol_request(params), params
    media, charset = _content_type(request.headers.get("content-type", ""))
    if media == SPARQL_UPDATE or "update" in params:
        raise QueryRefused("SPARQL Update is refused: the graph is read-only")
    if media not in (FORM, SPARQL_QUERY):
        raise UnsupportedMedia(media)
    if charset not in (None, "utf-8", "utf8", "us-ascii"):
        raise QueryError(f"the request body is declared {charset}; the SPARQL protocol takes UTF-8 only")
    body = await _read_body(request, encoded=media == FORM)
    text = _decode(body, "request body")
    if media == FORM:
        for name, values in _parse_form(text, "form body").items():
            params.setdefault(name, []).extend(values)
        return protocol_request(params), params
    return protocol_request(params, body_query=text), params


def _check_encoded_size(size: int, encoded: bool) -> None:
    """Refuse a body or query string that cannot hold a query under the limit.

    Percent-encoding writes a byte in up to three, so an encoded form or URL
    may be three times the limit; the query in it is checked exactly (413 too)
    once decoded, before any worker sees it.
    """
    limit = MAX_QUERY_BYTES * 3 + 4096 if encoded else MAX_QUERY_BYTES
    if size > limit:
        raise QueryTooLarge(f"the request is {size:,} bytes; the limit for a query is {MAX_QUERY_BYTES:,} bytes")


async def _read_body(request: Request, encoded: bool) -> bytes:
    """The body, read only as far as the size limit allows (a declared Content-Length over it is refused unread)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        _check_encoded_size(int(declared), encoded)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        _check_encoded_size(size, encoded)
        chunks.append(chunk)
    return b"".join(chunks)


def _content_type(header: str) -> tuple[str, str | None]:
    """The media type of a Content-Type header (lower case) and its charset parameter, if any."""
    media, *parameters = [part.strip() for part in header.split(";")]
    charset = None
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.lower(), charset


def _parse_form(text: str, what: str) -> dict[str, list[str]]:
    try:
        return parse_qs(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as error:
        raise QueryError(f"the {what} has percent-encoded bytes that are not UTF-8 (byte {error.start})") from None


def _accept(request: Request, params: dict[str, list[str]]) -> str | None:
    """``format=`` (in the URL or the form body) wins over the Accept header (a link cannot set headers)."""
    try:
        accept = format_accept(params.get("format", []))
    except ValueError as error:
        raise ApiError(400, f"format={str(error)!r} is neither a media type nor one of "
                            f"{', '.join(sorted(SPARQL_FORMAT_NAMES))}") from None
    return accept if accept is not None else request.headers.get("accept")


@router.api_route(
    "/sparql", methods=["GET", "POST"], summary="SPARQL 1.1 query endpoint (read-only, time-limited)",
    description=__doc__, responses=_RESPONSES, response_class=Response,
    openapi_extra={"parameters": _QUERY_PARAMETERS, "requestBody": {"required": False, "content": {
        FORM: {"schema": {"type": "object", "properties": {"query": {"type": "string"}}}},
        SPARQL_QUERY: {"schema": {"type": "string"}},
    }}},
)
async def sparql_endpoint(request: Request, services: ServicesDep) -> Response:
    sparql_request, params = await read_request(request)
    accept = _accept(request, params)
    if sparql_request is None:
        return service_description(request, accept)
    answer = await run_in_threadpool(services.backend.protocol, sparql_request, accept)
    headers = {"Vary": "Accept"}
    if answer.truncated:
        headers["X-SPARQL-MaxRows"] = str(services.settings.max_rows)
    return Response(answer.body, media_type=content_type(answer.media), headers=headers)


def service_description(request: Request, accept: str | None) -> Response:
    """The SPARQL 1.1 Service Description of this endpoint (what GET /sparql without a query answers)."""
    media = choose(accept, GRAPH_FORMATS, hint=" (the service description is RDF)")
    service, dataset = BlankNode("service"), BlankNode("dataset")
    sd = lambda name: NamedNode(SD + name)  # noqa: E731
    endpoint = NamedNode(str(request.url.replace(query="")))
    triples = [
        Triple(service, RDF_TYPE, sd("Service")),
        Triple(service, sd("endpoint"), endpoint),
        Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        *(Triple(service, sd("resultFormat"), NamedNode(iri)) for iri in (
            "http://www.w3.org/ns/formats/SPARQL_Results_JSON", "http://www.w3.org/ns/formats/SPARQL_Results_XML",
            "http://www.w3.org/ns/formats/SPARQL_Results_CSV", "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
            "http://www.w3.org/ns/formats/Turtle", "http://www.w3.org/ns/formats/N-Triples",
            "http://www.w3.org/ns/formats/JSON-LD", "http://www.w3.org/ns/formats/RDF_XML")),
        Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        Triple(service, sd("defaultDataset"), dataset),
        Triple(dataset, RDF_TYPE, sd("Dataset")),
        Triple(dataset, NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
               Literal("Read-only. The default graph is the union of the named graphs; SERVICE and LOAD are refused.")),
    ]
    body = serialize(triples, format=GRAPH_FORMATS[media], prefixes={"sd": SD}) or b""
    return Response(body, media_type=content_type(media), headers={"Vary": "Accept"})

