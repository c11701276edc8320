"""What every route depends on: the settings, the backend and the named queries (``Services``).

One ``Services`` object is made per app by :func:`policykg.api.app.create_app`
and reached through the ``ServicesDep`` alias, in the manner of the FastAPI
template's ``deps.py``. Routes run named queries through :meth:`Services.run`
and :meth:`Services.run_many`, which bind textual parameters as typed RDF
terms using each query's ``#+`` header; they never build query text.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from policykg.api.backend import Backend
from policykg.api.errors import ApiError
from policykg.api.html import wants_html
from policykg.api.results import Table
from policykg.api.settings import Settings
from policykg.queries import NamedQuery


@dataclass
class Services:
    settings: Settings
    backend: Backend
    queries: dict[str, NamedQuery]
    # Values derived once from the store (the store does not change while the app runs).
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """Where links on this server start: the configured base URL without its trailing slash ('' for paths)."""
        return self.settings.base_url.rstrip("/")

    def query(self, name: str) -> NamedQuery:
        try:
            return self.queries[name]
        except KeyError:
            raise ApiError(404, f"no named query {name!r}", close_matches=sorted(self.queries)) from None

    def bindings(self, name: str, params: dict[str, object]) -> dict:
        """Textual parameter values as RDF terms, by the query's header (None means not given)."""
        values = {key: _text(value) for key, value in params.items() if value is not None}
        return {variable.value: term for variable, term in self.query(name).bindings(values).items()}

    def run(self, name: str, **params: object) -> Table:
        """Run one named query with its parameters."""
        return self.backend.select(self.query(name).text, self.bindings(name, params))

    def run_many(self, calls: Sequence[tuple[str, dict[str, object]]]) -> list[Table]:
        """Run several named queries in one round trip to a worker."""
        return self.backend.select_many([(self.query(name).text, self.bindings(name, params)) for name, params in calls])

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value computed on first use and kept (e.g. the networkx graph, the list of ids)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def get_services(request: Request) -> Services:
    """Async, so FastAPI does not send this look-up to a worker thread of its own."""
    return request.app.state.services


class RouteCost:
    """How long a route's recent calls took (an exponential moving average), to choose where it runs.

    A route answered in a worker thread pays the trip there and back (about
    0.2-0.4 ms on the machine of docs/api.md), as much as a cheap route's
    queries; answered on the event loop it pays nothing, but holds every other
    request for as long as it runs. So a route whose calls have taken less than
    the budget (``POLICYKG_INLINE_BUDGET``) runs on the loop, and any other --
    or one not yet measured -- in a thread. The project's own queries are
    bounded by the data, so a misjudged call holds the loop once, then moves.
    """

    WEIGHT = 0.2  # of the newest call

    def __init__(self) -> None:
        self.seconds: float | None = None

    def cheap(self, budget: float) -> bool:
        return self.seconds is not None and self.seconds < budget

    @contextmanager
    def timed(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - start
            self.seconds = took if self.seconds is None else self.seconds + self.WEIGHT * (took - self.seconds)


async def run_placed(cost: RouteCost, services: Services, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, timed by ``cost``: on the event loop if its calls have been cheap and the
    store is in this process (a remote one is a network wait), else in a worker thread."""
    if services.backend.in_process and cost.cheap(services.settings.inline_budget):
        return function(*args, **kwargs)
    return await run_in_threadpool(function, *args, **kwargs)


def json_route(route: Callable[..., BaseModel] | None = None, *,
               page: Callable[[Request, BaseModel], Response] | None = None) -> Any:
    """A route that builds a pydantic model from queries, answered as JSON in at most one trip to a worker thread.

    FastAPI runs a plain ``def`` route in a worker thread, then validates and
    serialises its answer in a second one; on a route whose queries take a
    millisecond, those trips cost as much as the queries. Here the route runs,
    and its model (validated as it is built) is written to JSON, in one trip --
    or on the event loop, once its calls are known to be cheap (:class:`RouteCost`).
    The route keeps its signature (FastAPI reads it through ``__wrapped__``), so
    its parameters and its ``response_model`` still make the OpenAPI document;
    pages build on the same model by calling ``route.__wrapped__(services, …)``.

    ``page``: an HTML rendering of the same model, for a client that prefers
    ``text/html`` (a browser following a link or submitting the search box);
    the URL is the same, the answer says ``Vary: Accept``.
    """
    if route is None:
        return functools.partial(json_route, page=page)

    cost = RouteCost()

    def answer(*args: Any, **kwargs: Any) -> Response:
        with cost.timed():
            model = route(*args, **kwargs)
            return Response(model.__pydantic_serializer__.to_json(model), media_type="application/json",
                            headers={"Vary": "Accept"} if page else None)

    async def run(services: Services, *args: Any, **kwargs: Any) -> Response:
        return await run_placed(cost, services, answer, *args, services=services, **kwargs)

    if page is None:
        @functools.wraps(route)
        async def placed(*args: Any, services: Services, **kwargs: Any) -> Response:
            return await run(services, *args, **kwargs)
        return placed

    def answer_page(request: Request, *args: Any, **kwargs: Any) -> Response:
        return page(request, route(*args, **kwargs))

    @functools.wraps(route)
    async def negotiated(*args: Any, request: Request, **kwargs: Any) -> Response:
        if wants_html(request):
            return await run_in_threadpool(answer_page, request, *args, **kwargs)
        return await run(*args, **kwargs)

    signature = inspect.signature(route)
    negotiated.__signature__ = signature.replace(parameters=[  # type: ignore[attr-defined]
        *signature.parameters.values(),
        inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request)])
    return negotiated


ServicesDep = Annotated[Services, Depends(get_services)]
