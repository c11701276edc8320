"""Session fixtures shared by the test modules: the corpus, its parse, the dataset, one full build.

Why session scope: a full build (parse, graph, SHACL, render, write) takes
seconds; tests that need ``dist/`` share one build into a temporary folder
instead of each building (or touching the real ``dist/``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset

from policykg.build.model import Extraction, LaterDocument, Plan
from policykg.build.sources import SourceText, load_corpus

REPORT = "document/acftu-2022-work-report"
CONGRESS = "document/acftu-18th-congress-summary"


@pytest.fixture(scope="session")
def corpus() -> dict[str, SourceText]:
    return load_corpus()


@pytest.fixture(scope="session")
def plan(corpus: dict[str, SourceText]) -> Plan:
    from policykg.build.parse_plan import parse_plan

    return parse_plan(corpus)


@pytest.fixture(scope="session")
def later(corpus: dict[str, SourceText]) -> list[LaterDocument]:
    from policykg.build.parse_congress import parse_congress
    from policykg.build.parse_report import parse_report

    by_document = {source.document: source for source in corpus.values()}
    return [parse_report(by_document[REPORT]), parse_congress(by_document[CONGRESS])]


@pytest.fixture(scope="session")
def extraction(corpus: dict[str, SourceText], plan: Plan, later: list[LaterDocument]) -> Extraction:
    """What the extract stage finds in the corpus; read-only."""
    from policykg.build.extract.run import extract

    return extract(corpus, plan, later)


@pytest.fixture(scope="session")
def dataset(corpus: dict[str, SourceText], plan: Plan, later: list[LaterDocument], extraction: Extraction) -> Dataset:
    """The built dataset, extracted facts included; treat it as read-only (it is shared by the whole session)."""
    from policykg.build.graph import build_dataset

    return build_dataset(corpus, plan, later, extraction=extraction)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory):
    """One full build (:func:`policykg.build.pipeline.build`) into a temporary dist/; its BuildReport."""
    from policykg.build.pipeline import build

    return build(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def dist_dir(built) -> Path:
    """The folder of the session's build; read-only, copy it before changing anything."""
    return built.out_dir


@pytest.fixture(scope="session")
def api_app(dist_dir: Path):
    """The API over the session's build (embedded store in worker processes), shared by the API tests."""
    from policykg.api.app import create_app
    from policykg.api.settings import Settings

    return create_app(Settings(data=dist_dir / "policykg.trig", query_timeout=3.0))


@pytest.fixture(scope="session")
def api(api_app):
    """A TestClient over :func:`api_app`; the worker pools stop when the session ends."""
    from fastapi.testclient import TestClient

    with TestClient(api_app) as client:
        yield client


@pytest.fixture(scope="session")
def live_api(dist_dir: Path):
    """The API served by uvicorn on 127.0.0.1 (a real HTTP endpoint); its base URL."""
    from servers import policykg_server

    env = {"POLICYKG_DATA": str(dist_dir / "policykg.trig"), "POLICYKG_QUERY_TIMEOUT": "3"}
    with policykg_server(env) as base:
        yield base


@pytest.fixture(scope="session")
def store(dist_dir: Path):
    """The session's build in an in-memory pyoxigraph store (what ``policykg query`` uses)."""
    from policykg.api.sparql_guard import load_store

    return load_store(dist_dir / "policykg.trig")


@pytest.fixture(scope="session")
def queries():
    """The named queries of ``queries/``, by name."""
    from policykg.queries import named_queries

    return named_queries()


@pytest.fixture(autouse=True)
def new_reader(request: pytest.FixtureRequest):
    """Each test that uses the session's client starts, and leaves, as a reader who has chosen no
    language: the client keeps the cookie a ``?lang=`` sets, as a browser does."""
    client = request.getfixturevalue("api") if "api" in request.fixturenames else None
    if client is not None:
        client.cookies.clear()
    yield
    if client is not None:
        client.cookies.clear()
