"""Dereferenceable entities: /id/{kind}/{slug}, /ontology, /.well-known/void."""

from __future__ import annotations

from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.namespace import RDFS

from policykg.namespaces import resource


def test_resource_page_is_turtle_with_its_label(api: TestClient, dataset) -> None:
    item = resource("item", 16)
    response = api.get("/id/item/16")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    labels = {label for named in dataset.graphs() for label in named.objects(item, RDFS.label)}
    assert {label.language for label in labels} == {"zh", "en"}  # asserted and curated graphs both served
    assert set(graph.objects(item, RDFS.label)) == labels


def test_unknown_resource_is_404_json(api: TestClient) -> None:
    response = api.get("/id/item/999")
    assert response.status_code == 404 and "item/999" in response.json()["error"]
