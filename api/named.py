"""``/queries/{name}``: each ``queries/*.rq`` file as a typed REST operation, in the manner of grlc.

The file's ``#+`` header gives the operation its summary, description and
parameters (type, default, enum, example), so the OpenAPI document shows a
typed form for each query. Unlike grlc, parameter values are never pasted
into the query text: FastAPI checks their type, then they are bound as RDF
terms (pyoxigraph substitutions on the embedded store, a VALUES block on a
remote one).

An answer is JSON rows by default (``application/json``: IRIs as strings,
numbers as numbers), or the standard SPARQL results formats by ``Accept``.
"""

from __future__ import annotations

import inspect
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, Field

from policykg.api.deps import RouteCost, Services, ServicesDep, run_placed
from policykg.api.errors import ERROR_RESPONSES, ApiError
from policykg.api.negotiation import RESULT_FORMATS, choose, content_type
from policykg.api.results import SERIALISERS
from policykg.queries import DATE_PATTERN, IRI_PATTERN, NamedQuery, Parameter

# Dates arrive as text checked by pattern (pydantic's lax date would take "0" as 1970-01-01).
PYTHON_TYPES: dict[str, type] = {
    "integer": int, "decimal": Decimal, "boolean": bool, "date": str, "string": str, "iri": str,
}
PATTERNS = {"iri": IRI_PATTERN, "date": DATE_PATTERN}
JSON = "application/json"
OFFERED = [JSON, *RESULT_FORMATS]


class ParameterInfo(BaseModel):
    name: str
    type: str
    description: str
    required: bool
    default: Any = None
    example: Any = None
    enum: list[Any] = Field(default_factory=list)


class QueryInfo(BaseModel):
    name: str
    summary: str
    description: str
    path: str
    parameters: list[ParameterInfo]
    sparql: str = Field(description="the query text, header included")


class QueryResult(BaseModel):
    """A named query's answer as JSON rows (unbound variables left out of a row)."""

    query: str
    variables: list[str]
    rows: list[dict[str, Any]]
    truncated: bool = Field(description="true when the row cap cut the answer")


def query_info(named: NamedQuery) -> QueryInfo:
    return QueryInfo(
        name=named.name, summary=named.summary, description=named.description, path=f"/queries/{named.name}",
        sparql=named.text,
        parameters=[ParameterInfo(name=p.name, type=p.type, description=p.description, required=p.required,
                                  default=p.default, example=p.example, enum=list(p.enum)) for p in named.parameters.values()],
    )


router = APIRouter(tags=["named queries"])


@router.get("/queries", response_model=list[QueryInfo], summary="the named queries, their parameters and text")
def list_queries(services: ServicesDep) -> list[QueryInfo]:
    return [query_info(named) for named in services.queries.values()]


def _annotation(parameter: Parameter) -> Any:
    """The Python type FastAPI validates a parameter against (enums become Literal choices)."""
    python_type: Any = PYTHON_TYPES[parameter.type]
    if parameter.enum:
        python_type = Literal[tuple(str(value) for value in parameter.enum)]
    query = Query(
        description=parameter.description,
        examples=[parameter.example] if parameter.example is not None else None,
        pattern=None if parameter.enum else PATTERNS.get(parameter.type),
        max_length=2000 if parameter.type in ("iri", "string") else None,
        json_schema_extra={"format": "date"} if parameter.type == "date" else None,
    )
    annotation = python_type if parameter.required else python_type | None
    if parameter.type == "date":  # the pattern lets 2025-13-45 through: a 422 like any other bad value
        return Annotated[annotation, query, AfterValidator(_calendar_date)]
    return Annotated[annotation, query]


def _calendar_date(value: str | None) -> str | None:
    if value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar date (YYYY-MM-DD)") from None
    return value


def _check_names(request: Request, named: NamedQuery) -> None:
    """Refuse a parameter the query does not have: a misspelt optional one would otherwise filter nothing."""
    unknown = sorted(set(request.query_params) - set(named.parameters))
    if unknown:
        known = ", ".join(named.parameters) or "none"
        raise ApiError(422, f"unknown parameter {', '.join(unknown)} for {named.name} (its parameters: {known}; "
                            "the answer's format is chosen by the Accept header)")


def _endpoint(named: NamedQuery):
    """A route function whose signature is the query's parameters (FastAPI reads it for validation and OpenAPI)."""

    cost = RouteCost()

    def answer(services: Services, media: str, values: dict[str, Any]) -> Response:
        with cost.timed():
            table = services.run(named.name, **values)
            if media == JSON:
                body = QueryResult(query=named.name, variables=list(table.variables), rows=table.values(),
                                   truncated=table.truncated)
                return Response(body.__pydantic_serializer__.to_json(body), media_type=JSON, headers={"Vary": "Accept"})
            return Response(SERIALISERS[RESULT_FORMATS[media]](table), media_type=content_type(media),
                            headers={"Vary": "Accept"})

    async def run_named_query(request: Request, **values: Any) -> Response:
        services: Services = request.app.state.services
        _check_names(request, named)
        media = choose(request.headers.get("accept"), OFFERED)
        return await run_placed(cost, services, answer, services, media, values)

    parameters = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    parameters += [inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, annotation=_annotation(p),
                                     default=inspect.Parameter.empty if p.required else p.default)
                   for p in named.parameters.values()]
    run_named_query.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run_named_query.__name__ = "query_" + named.name.replace("-", "_")
    return run_named_query


def add_named_query_routes(app: FastAPI, queries: dict[str, NamedQuery]) -> None:
    """One ``GET /queries/{name}`` per named query (called once, when the app is made)."""
    named_router = APIRouter(tags=["named queries"])
    for named in queries.values():
        named_router.add_api_route(
            f"/queries/{named.name}", _endpoint(named), methods=["GET"], summary=named.summary,
            description=(named.description + "\n\n```sparql\n" + named.text + "\n```").strip(),
            response_model=QueryResult, responses={
                200: {"content": {media: {"schema": {"type": "string"}} for media in RESULT_FORMATS if media != JSON}},
                **ERROR_RESPONSES,
            },
        )
    app.include_router(named_router)
