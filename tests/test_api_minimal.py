"""The minimal HTTP API: SPARQL protocol basics, refusals, resource pages."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph

from policykg.api.negotiation import RESULT_FORMATS, negotiate
from policykg.api.sparql_guard import MAX_QUERY_BYTES, QueryRefused, QueryTooLarge, check_query
from policykg.namespaces import POL, resource

ITEMS = "SELECT ?item ?n WHERE { ?item a pol:PlanItem ; pol:number ?n } ORDER BY ?n LIMIT 2"


@pytest.fixture(scope="module")
def client(api) -> TestClient:
    return api


def test_select_json_by_default(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": ITEMS})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    bindings = response.json()["results"]["bindings"]
    assert [b["item"]["value"] for b in bindings] == [str(resource("item", 1)), str(resource("item", 2))]


def test_select_csv_by_accept(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": ITEMS}, headers={"accept": "text/csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.text)))[0] == ["item", "n"]


def test_post_form_and_direct_body(client: TestClient) -> None:
    form = client.post("/sparql", data={"query": "ASK { ?s a pol:PlanItem }"})
    direct = client.post("/sparql", content="ASK { ?s a pol:PlanItem }",
                         headers={"content-type": "application/sparql-query"})
    assert form.json()["boolean"] is True and direct.json()["boolean"] is True


def test_construct_turtle(client: TestClient) -> None:
    query = f"CONSTRUCT WHERE {{ <{resource('item', 16)}> ?p ?o }}"
    response = client.get("/sparql", params={"query": query}, headers={"accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    assert (resource("item", 16), POL.number, None) in graph


@pytest.mark.parametrize(
    "query",
    ["INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DELETE WHERE { ?s ?p ?o }", "LOAD <http://127.0.0.1:9/x.ttl>",
     "CLEAR ALL"],
)
def test_updates_are_refused(client: TestClient, query: str) -> None:
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 400 and "error" in response.json()
    assert client.get("/sparql", params={"query": "ASK { <urn:a> <urn:b> <urn:c> }"}).json()["boolean"] is False


def test_update_parameter_is_not_a_query(client: TestClient) -> None:
    assert client.post("/sparql", data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}).status_code == 400


def test_service_is_refused(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"})
    assert response.status_code == 400 and "SERVICE" in response.json()["error"]


def test_syntax_error_is_400_with_the_parser_message(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p }"})
    assert response.status_code == 400 and "syntax error" in response.json()["error"]


def test_oversized_query_is_413(client: TestClient) -> None:
    query = "SELECT * WHERE { ?s ?p ?o }" + " " * MAX_QUERY_BYTES
    response = client.post("/sparql", content=query, headers={"content-type": "application/sparql-query"})
    assert response.status_code == 413


def test_unsupported_body_is_415(client: TestClient) -> None:
    response = client.post("/sparql", content="ASK {}", headers={"content-type": "text/plain"})
    assert response.status_code == 415


def test_index_counts_and_links(client: TestClient, built) -> None:
    index = client.get("/").json()
    assert index["quads"] == sum(built.graph_triples.values())
    assert index["classes"][str(POL.PlanItem)] == 46
    assert index["links"]["sparql"] == "/sparql"


# --------------------------------------------------------------------------- the guard (shared with the CLI)
@pytest.mark.parametrize(
    "query",
    [
        "select * where { ?s ?p ?o . sErViCe <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o FILTER(?s<?o)SERVICE<http://127.0.0.1:9/>{?s ?p ?o} }",
        "SELECT * WHERE { ?s a <urn:x>.SERVICE <http://127.0.0.1:9/> {} }",
        "# comment\nWITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "PREFIX p: <urn:p#> SELECT * {} ; LOAD <http://127.0.0.1:9/x>",
    ],
)
def test_guard_refuses(query: str) -> None:
    with pytest.raises(QueryRefused):
        check_query(query)


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?service WHERE { ?service ?p "SERVICE <http://x/>" } # SERVICE LOAD',
        "PREFIX service: <urn:s#> SELECT * WHERE { ?s service:load ?o ; a service:Insert }",
        "SELECT * WHERE { ?s ?p '''multi\nline INSERT DELETE''' }",
        "PREFIX pol: <urn:p#> SELECT * WHERE { ?s a pol:Plan.SERVICE }",  # one prefixed name, as oxigraph reads it
    ],
)
def test_guard_lets_words_in_strings_comments_and_names_pass(query: str) -> None:
    check_query(query)


def test_guard_caps_the_size_before_looking_inside() -> None:
    with pytest.raises(QueryTooLarge):
        check_query("ASK {}" + "#" * MAX_QUERY_BYTES)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("text/csv", "text/csv"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/sparql-results+json"),
        ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
        ("image/png", None),
        ("text/csv;q=0", None),
    ],
)
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, RESULT_FORMATS) == expected
