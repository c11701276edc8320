"""The policykg API: one FastAPI app for Linked Data clients and plain REST users alike.

``create_app(settings)`` opens the backend (the embedded store in worker
processes, or a remote SPARQL server) and mounts one router per resource:

* ``/sparql`` -- the SPARQL 1.1 Protocol, read-only and time-limited (``sparql.py``);
* ``/queries/{name}`` -- each named query as a typed REST operation (``named.py``);
* ``/items``, ``/populations``, ``/bodies``, ``/indicators``, ``/search`` -- relationships as JSON (``relations.py``);
* ``/id/{kind}/{slug}``, ``/ontology``, ``/.well-known/void`` -- dereferenceable resources (``entities.py``);
* ``/graph/...`` -- networkx analytics and GraphML/GEXF export (``analytics.py``);
* ``/`` -- what the server holds and where to look.

Errors are JSON ``{"error": ...}`` with a 4xx (or 503 for a stopped query or
an unreachable store); CORS is open for GET.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

import policykg
from policykg.api import analytics, dashboard, entities, entitypages, itempage, networkpage, querypage, relations, sparql
from policykg.api.backend import EmbeddedBackend, open_backend
from policykg.api.cache import AnswerCache, build_tag
from policykg.api.deps import Services, ServicesDep
from policykg.api.errors import install_handlers
from policykg.api.html import STATIC, LanguageCookie, page, wants_html
from policykg.api.named import add_named_query_routes
from policykg.api.named import router as named_router
from policykg.api.settings import Settings
from policykg.queries import named_queries

index = APIRouter(tags=["index"])


class Index(BaseModel):
    name: str
    version: str
    backend: str
    quads: int
    graphs: dict[str, int]
    classes: dict[str, int]
    links: dict[str, str]


COUNT_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
COUNT_CLASSES = (
    "PREFIX pol: <https://w3id.org/policykg/ontology#> "
    "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(STRSTARTS(STR(?c), STR(pol:))) } "
    "GROUP BY ?c ORDER BY ?c"
)
LINKS = {
    "sparql": "/sparql", "queries": "/queries", "items": "/items", "populations": "/populations",
    "bodies": "/bodies", "indicators": "/indicators", "search": "/search?q=快递", "resource": "/id/{kind}/{slug}",
    "example": "/id/item/16", "ontology": "/ontology", "void": "/.well-known/void", "graph": "/graph/centrality",
    "docs": "/docs", "openapi": "/openapi.json",
}


def build_index(services: Services) -> Index:
    """Counted once: the store does not change while the app runs."""
    graphs, classes = services.backend.select_many([(COUNT_GRAPHS, {}), (COUNT_CLASSES, {})])
    graph_counts = {row[0].value: int(row[1].value) for row in graphs.rows}
    return Index(
        name="policykg", version=policykg.__version__, backend=services.backend.description,
        quads=sum(graph_counts.values()), graphs=graph_counts,
        classes={row[0].value: int(row[1].value) for row in classes.rows}, links=LINKS,
    )


@index.get("/", response_model=Index, summary="what this server holds and where to look",
           description="JSON for API clients; a browser (Accept: text/html) gets the home page: the plan's outline, "
                       "what the graph counts and where to start.")
def home(services: ServicesDep, request: Request) -> Index | Response:
    found = services.cached("index", lambda: build_index(services))
    if wants_html(request):
        return home_page(request, services, found)
    return found


def home_page(request: Request, services: Services, found: Index) -> Response:
    """The plan as a document: its chapters and items (both languages), the counts, the ways in."""
    first_plan = next(iter(relations._plans(services)), None)  # the built corpus's only plan (the first of several)
    items = relations.list_items.__wrapped__(services, None, first_plan).items
    chapters: dict[int, dict] = {}
    for item in items:
        chapter = chapters.setdefault(item.chapter.number, {"chapter": item.chapter, "items": [],
                                                            "path": relations.path_of(item.chapter.iri)})
        chapter["items"].append(item)
    counts = {
        "plan_items": len(items), "chapters": len(chapters),
        "populations": len(relations._populations(services)), "bodies": len(relations._bodies(services)),
        "indicators": len(relations._all_indicators(services)), "quads": found.quads,
    }
    return page(request, "home.html", services.base_url, text_section="home",
                chapters=[chapters[number] for number in sorted(chapters)], counts=counts)


def create_app(settings: Settings | Path | str | None = None) -> FastAPI:
    """The app over a built TriG file or a remote endpoint; a bad file or setting fails here, not on a request."""
    if settings is None:
        settings = Settings()
    elif not isinstance(settings, Settings):
        settings = Settings(data=Path(settings))
    queries = named_queries()
    backend = open_backend(settings)
    services = Services(settings=settings, backend=backend, queries=queries)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        backend.close()

    app = FastAPI(title="policykg", version=policykg.__version__, description=__doc__, lifespan=lifespan)
    app.state.services = services
    install_handlers(app)
    if isinstance(backend, EmbeddedBackend) and settings.answer_cache:  # inside CORS: its headers are per request
        app.add_middleware(AnswerCache, tag=build_tag(settings.data), max_entries=settings.answer_cache)
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"], allow_headers=["*"],
                       expose_headers=["Link", "Vary", "ETag", "Content-Location", "X-SPARQL-MaxRows", "X-Incoming-Truncated"])
    app.add_middleware(LanguageCookie)  # outermost: ?lang= is remembered, and no cached answer holds a Set-Cookie
    # Most requested first: Starlette tries the routes in order, and the named queries add one each.
    entities.add_resource_routes(app)
    for router in (index, entities.router, relations.router, sparql.router, named_router):
        app.include_router(router)
    add_named_query_routes(app, queries)
    app.include_router(analytics.router)
    # Pages for people (the entity pages of item, population … register themselves in kindpages).
    for module in (itempage, entitypages, dashboard, networkpage, querypage):
        app.include_router(module.router)
    querypage.mount_vendor(app, settings)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def app_from_env() -> FastAPI:
    """The app from ``POLICYKG_*`` environment variables (``uvicorn --factory policykg.api.app:app_from_env``)."""
    return create_app(Settings())
