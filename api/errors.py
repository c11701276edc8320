"""Every error the API answers, as JSON ``{"error": message, ...}`` with a 4xx or 503 status.

One table maps the project's exception types to statuses (the most specific
class first); the handlers installed by :func:`install_handlers` turn those
exceptions, FastAPI's parameter validation errors and Starlette's HTTP errors
(unknown route, wrong method) into the same body, so a client parses one
shape. Anything unexpected is logged and answered 500 with the same body: a
bug, which the tests (schemathesis among them) look for.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from policykg.api.backend import BackendUnavailable
from policykg.api.pool import QueryTimeout, WorkerCrashed
from policykg.api.negotiation import NotAcceptable
from policykg.api.sparql_guard import QueryRefused, QueryTooLarge
from policykg.errors import PolicyKGError, QueryError

log = logging.getLogger("policykg.api")


class ErrorBody(BaseModel):
    """What every error response carries."""

    error: str = Field(description="what went wrong, in words a user can act on")
    detail: list[dict] | None = Field(None, description="per-parameter problems, for a malformed request")
    supported: list[str] | None = Field(None, description="the media types offered, for a 406")
    close_matches: list[str] | None = Field(None, description="resources with a similar id, for a 404")


class ApiError(PolicyKGError):
    """An error a route raises on purpose, with its status and optional extra fields."""

    def __init__(self, status: int, message: str, **extra: object):
        self.status = status
        self.extra = extra
        super().__init__(message)


class NotFound(ApiError):
    def __init__(self, message: str, close_matches: list[str] | None = None):
        super().__init__(404, message, close_matches=close_matches or [])


# Which exception becomes which status (the most specific class listed first).
STATUS: list[tuple[type[Exception], int]] = [
    (QueryTimeout, 503),
    (WorkerCrashed, 503),
    (BackendUnavailable, 503),
    (NotAcceptable, 406),
    (QueryTooLarge, 413),
    (QueryRefused, 400),
    (QueryError, 400),
]

# The responses every route may give besides its success, for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict] = {
    400: {"model": ErrorBody, "description": "a malformed request or query"},
    404: {"model": ErrorBody, "description": "no such resource (with close matches)"},
    406: {"model": ErrorBody, "description": "no acceptable media type"},
    422: {"model": ErrorBody, "description": "a parameter of the wrong type or value"},
    503: {"model": ErrorBody, "description": "the query ran past the time limit, or the store is unavailable"},
}


def error_response(status: int, message: str, headers: dict[str, str] | None = None, **extra: object) -> JSONResponse:
    body = {"error": message, **{key: value for key, value in extra.items() if value is not None}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(problem: Exception) -> int:
    return next((code for kind, code in STATUS if isinstance(problem, kind)), 400)


async def _policykg_error(request: Request, problem: PolicyKGError) -> JSONResponse:
    if isinstance(problem, ApiError):
        return error_response(problem.status, str(problem), **problem.extra)
    status = status_of(problem)
    extra = {"supported": problem.offered} if isinstance(problem, NotAcceptable) else {}
    headers = {"Retry-After": "5"} if status == 503 else None
    return error_response(status, str(problem), headers=headers, **extra)


async def _validation_error(request: Request, problem: RequestValidationError) -> JSONResponse:
    details = [{"loc": list(map(str, e.get("loc", ()))), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
               for e in problem.errors()]
    where = "; ".join(f"{'.'.join(d['loc'][1:]) or d['loc'][0]}: {d['msg']}" for d in details)
    return error_response(422, f"invalid request: {where}", detail=details)


async def _http_error(request: Request, problem: StarletteHTTPException) -> JSONResponse:
    message = problem.detail if isinstance(problem.detail, str) else "error"
    if problem.status_code == 404 and message == "Not Found":
        message = f"no route {request.url.path}; see /docs for the API"
    return error_response(problem.status_code, message, headers=getattr(problem, "headers", None))


async def _unexpected(request: Request, problem: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, f"internal error ({type(problem).__name__}); this is a bug, please report it")


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PolicyKGError, _policykg_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
