"""Smoke test of ``benchmarks/api.py`` and its bare route (``benchmarks/bare.py``), on 127.0.0.1 only."""

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bare(dist_dir: Path) -> TestClient:
    """The bare app over the session's build (it reads POLICYKG_DATA when imported)."""
    os.environ["POLICYKG_DATA"] = str(dist_dir / "policykg.trig")
    try:
        return TestClient(load("bare").app)
    finally:
        del os.environ["POLICYKG_DATA"]


def test_the_bare_route_answers_a_named_querys_rows(bare: TestClient, api: TestClient) -> None:
    couriers = "https://w3id.org/policykg/id/population/couriers"
    [rows] = bare.get("/items-serving-population", params={"population": couriers}).json()
    named = api.get("/queries/items-serving-population", params={"population": couriers}).json()["rows"]
    assert [row["item"] for row in rows] == [row["item"] for row in named]
    assert "https://w3id.org/policykg/id/item/16" in {row["item"] for row in rows}


def test_the_bare_route_runs_several_queries_with_their_own_parameters(bare: TestClient, api: TestClient) -> None:
    plan = "https://w3id.org/policykg/id/plan/acftu-14th-fyp"
    detail, bodies = bare.get("/item-detail,item-bodies", params={"item_number": "16", "plan": plan}).json()
    assert detail[0]["title_zh"] == "维护新就业形态劳动者合法权益"
    assert {row["body"] for row in bodies} == {body["iri"] for body in api.get("/items/16").json()["bodies"]}
    assert "https://w3id.org/policykg/id/body/platform-enterprises" in {row["body"] for row in bodies}


def test_the_engine_written_bare_route_gives_the_same_rows(bare: TestClient) -> None:
    couriers = "https://w3id.org/policykg/id/population/couriers"
    [rows] = bare.get("/items-serving-population", params={"population": couriers}).json()
    response = bare.get("/engine/items-serving-population,plans", params={"population": couriers})
    assert response.headers["content-type"] == "application/json"
    written, plans = response.json()  # one SPARQL JSON results document per query
    assert [row["item"]["value"] for row in written["results"]["bindings"]] == [row["item"] for row in rows]
    assert [row["plan"]["value"] for row in plans["results"]["bindings"]] == [
        "https://w3id.org/policykg/id/plan/acftu-14th-fyp"]


def test_the_bare_look_up_serves_what_the_store_says_about_the_resource(bare: TestClient, api: TestClient) -> None:
    from rdflib import Graph, URIRef

    response = bare.get("/id/item/16")
    assert response.headers["content-type"].startswith("text/turtle")
    bare_graph = Graph().parse(data=response.text, format="turtle")
    api_graph = Graph().parse(data=api.get("/id/item/16").text, format="turtle")
    item = URIRef("https://w3id.org/policykg/id/item/16")
    assert set(bare_graph.triples((item, None, None))) == set(api_graph.triples((item, None, None)))
    assert len(bare_graph) < len(api_graph)  # the API adds its neighbours' labels


def test_bare_paths_carry_each_cases_parameters() -> None:
    api = load("api")
    paths = {case.name: api.bare_path(case) for case in api.CASES if case.queries}
    assert paths["items list"] == "/items-by-chapter"
    assert paths["item 16"].startswith("/item-detail,item-measures,") and "item_number=16" in paths["item 16"]
    assert paths["indicators"] == "/indicators,indicator-progress"


def test_the_benchmark_prints_every_column_and_a_verdict(dist_dir: Path, capsys: pytest.CaptureFixture) -> None:
    api = load("api")
    assert api.main(["--data", str(dist_dir / "policykg.trig"), "--only", "items list", "--requests", "4", "--rounds", "2",
                     "--seconds", "0.2", "--rdflib-runs", "1", "--concurrency", "1", "--http", "pure"]) == 0
    out = capsys.readouterr().out
    assert "HTTP floor (FastAPI hello-world)" in out and "uvicorn: h11 on asyncio (--http pure)" in out
    assert out.count("items list") == 2  # once per mode: cache off, cache on
    assert "the bare route" in out and "engine-written" in out and "x (raw + floor)" in out and "the raw query after an HTTP request" in out
    assert "of 2 cases meet their target" in out


def test_an_entity_case_is_judged_on_throughput_beside_the_bare_look_up(dist_dir: Path,
                                                                        capsys: pytest.CaptureFixture) -> None:
    api = load("api")
    assert api.main(["--data", str(dist_dir / "policykg.trig"), "--only", "entity measure", "--requests", "4",
                     "--rounds", "2", "--seconds", "0.2", "--rdflib-runs", "1", "--concurrency", "1",
                     "--http", "pure"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("entity measure")]
    assert len(lines) == 2 and all("of floor req/s; the bare look-up" in line for line in lines)
