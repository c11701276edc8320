"""Dereferenceable entities: ``/id/{kind}/{slug}`` by content negotiation, ``/ontology``, ``/.well-known/void``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pyoxigraph import Triple, serialize
from starlette.concurrency import run_in_threadpool

from policykg.api.deps import ServicesDep
from policykg.api.errors import ApiError, NotFound
from policykg.api.negotiation import GRAPH_FORMATS, content_type, negotiate
from policykg.api.sparql_guard import OUTPUT_PREFIXES
from policykg.namespaces import resource

router = APIRouter(tags=["entities"])


@router.get("/id/{kind}/{slug}", summary="the statements about one resource", response_class=Response)
async def entity(kind: str, slug: str, request: Request, services: ServicesDep) -> Response:
    iri = str(resource(kind, slug))
    quads = await run_in_threadpool(services.backend.quads, iri)
    if not quads:
        raise NotFound(f"no resource {kind}/{slug}")
    media = negotiate(request.headers.get("accept"), GRAPH_FORMATS)
    if media is None:
        raise ApiError(406, "no acceptable format", supported=list(GRAPH_FORMATS))
    triples = sorted({Triple(s, p, o) for s, p, o, _ in quads}, key=str)
    body = serialize(triples, format=GRAPH_FORMATS[media], prefixes=OUTPUT_PREFIXES) or b""
    return Response(body, media_type=content_type(media), headers={"Vary": "Accept"})
