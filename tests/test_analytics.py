"""The /graph routes (api/analytics.py): neighbourhoods, paths, centrality and GraphML/GEXF export.

Checked against the corpus facts and against the rdflib dataset of the same
build: every edge the API reports is a triple of the dataset, in the direction
it says.
"""

from __future__ import annotations

import io

import networkx as nx
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from policykg.namespaces import ID, POL

WOMEN = "population/women-workers"
ACFTU = "body/acftu"
WORKERS = "population/workers"
NEW_FORMS = "population/new-employment-form-workers"


@pytest.fixture(scope="module")
def whole(api) -> dict:
    response = api.get("/graph/export")
    assert response.status_code == 200, response.text
    return response.json()


def iri(node: str) -> URIRef:
    return ID[node]


def holds(dataset, subject: str, prop: str, obj: str) -> bool:
    return any(True for _ in dataset.quads((iri(subject), URIRef(prop), iri(obj), None)))


def label_zh(dataset, node: str) -> str | None:
    for prop in (SKOS.prefLabel, RDFS.label):
        for _, _, value, _ in dataset.quads((iri(node), prop, None, None)):
            if isinstance(value, Literal) and value.language == "zh":
                return str(value)
    return None


def undirected(graph_json: dict) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(node["id"] for node in graph_json["nodes"])
    graph.add_edges_from((edge["source"], edge["target"]) for edge in graph_json["edges"])
    return graph


# --------------------------------------------------------------------------- the whole graph
def test_the_graph_holds_every_kind_and_relation(whole):
    assert whole["node_count"] == len(whole["nodes"]) and whole["edge_count"] == len(whole["edges"])
    assert set(whole["kinds"]) == {"item", "chapter", "population", "body", "programme", "law", "slogan",
                                   "publication", "indicator", "task"}
    assert whole["kinds"]["item"] == 46 and whole["kinds"]["chapter"] == 12
    assert set(whole["relations"]) == {"chapter", "servesPopulation", "involvesBody", "leadBody", "partnerBody",
                                       "supportedBody", "addressedBody", "mentions", "statedIn", "continues",
                                       "broader", "subOrganizationOf"}
    assert whole["relations"]["chapter"] == 46  # every item sits in one chapter
    ids = {node["id"] for node in whole["nodes"]}
    assert all(edge["source"] in ids and edge["target"] in ids for edge in whole["edges"])
    for node in whole["nodes"]:
        assert node["iri"] == str(iri(node["id"])) and node["path"] == "/id/" + node["id"]
        assert node["label_zh"], node["id"]
    # isolated nodes are vocabulary entries no item names (e.g. bodies only the later documents name)
    assert {node["kind"] for node in whole["nodes"] if node["degree"] == 0} <= {"population", "body"}


def test_every_edge_is_a_triple_of_the_dataset(whole, dataset):
    for edge in whole["edges"]:
        assert holds(dataset, edge["source"], edge["property"], edge["target"]), edge
        assert (edge["role"] is not None) == (edge["relation"] in {
            "involvesBody", "leadBody", "partnerBody", "supportedBody", "addressedBody"})
        assert (edge["salience"] is not None) == (edge["relation"] == "servesPopulation")


def test_item_level_links_are_all_there(whole, dataset):
    """As many item → population edges as the dataset has item-level servesPopulation triples."""
    items = {s for s, _, _, _ in dataset.quads((None, RDF.type, POL.PlanItem, None))}
    pairs = {(s, o) for s, _, o, _ in dataset.quads((None, POL.servesPopulation, None, None)) if s in items}
    assert whole["relations"]["servesPopulation"] == len(pairs)
    broader = {(s, o) for s, _, o, _ in dataset.quads((None, SKOS.broader, None, None))
               if str(s).startswith(str(ID["population/"]))}
    assert whole["relations"]["broader"] == len(broader)


def test_graph_edges_query_filters_by_property(api):
    response = api.get("/queries/graph-edges", params={"property": str(POL.leadBody)})
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert rows and all(row["relation"] == str(POL.leadBody) and row["role"] == str(POL.LeadRole) for row in rows)


# --------------------------------------------------------------------------- neighbourhoods
def test_item_16_neighbourhood(api, dataset):
    response = api.get("/graph/neighbors/item/16")
    assert response.status_code == 200, response.text
    body = response.json()
    nodes = {node["id"]: node for node in body["nodes"]}
    assert body["centre"] == "item/16" and nodes["item/16"]["distance"] == 0
    assert {"chapter/5", NEW_FORMS, "population/couriers"} <= set(nodes)
    assert all(node["distance"] <= 1 for node in nodes.values()) and not body["truncated"]
    assert nodes[NEW_FORMS]["label_zh"] == "新就业形态劳动者" and nodes["population/couriers"]["label_zh"] == "快递员"
    edges = {(e["source"], e["relation"], e["target"]): e for e in body["edges"]}
    assert ("item/16", "chapter", "chapter/5") in edges
    assert edges[("item/16", "servesPopulation", NEW_FORMS)]["salience"] == "primary"  # named in the title
    assert ("population/couriers", "broader", NEW_FORMS) in edges  # edges among the neighbours come too
    # 配合人社部门…: the human-resources departments lead, the union supports
    assert edges[("item/16", "supportedBody", "body/human-resources-social-security-departments")]["role"] == "supported"
    assert ("task/2023-3-2", "continues", "item/16") in edges  # direction kept: the task continues the item
    for edge in body["edges"]:
        assert holds(dataset, edge["source"], edge["property"], edge["target"])
    assert body["node_count"] == len(nodes) and body["edge_count"] == len(body["edges"])


def test_more_hops_reach_further(api):
    one = {n["id"] for n in api.get("/graph/neighbors/item/16", params={"hops": 1}).json()["nodes"]}
    two = api.get("/graph/neighbors/item/16", params={"hops": 2}).json()
    assert one < {n["id"] for n in two["nodes"]}
    assert max(n["distance"] for n in two["nodes"]) == 2
    assert WORKERS in {n["id"] for n in two["nodes"]}  # couriers → new-employment-form workers → … → workers


def test_relation_filter_and_size_cap(api):
    body = api.get("/graph/neighbors/item/16", params={"relation": ["servesPopulation"]}).json()
    assert {n["kind"] for n in body["nodes"]} == {"item", "population"}
    assert {e["relation"] for e in body["edges"]} == {"servesPopulation"}
    assert body["relation_filter"] == ["servesPopulation"]
    bodies = api.get("/graph/neighbors/item/16", params={"relation": ["involvesBody"]}).json()
    # involvesBody stands for its sub-properties too (item 16 supports one body and addresses another)
    assert {e["relation"] for e in bodies["edges"]} == {"supportedBody", "addressedBody"}
    cut = api.get("/graph/neighbors/item/16", params={"hops": 2, "max_nodes": 5}).json()
    assert cut["truncated"] and cut["node_count"] == 5
    kept = {n["id"] for n in cut["nodes"]}
    assert "item/16" in kept and all(e["source"] in kept and e["target"] in kept for e in cut["edges"])


# --------------------------------------------------------------------------- paths
def test_path_from_women_workers_to_the_acftu(api, dataset, whole):
    response = api.get("/graph/path", params={"from": WOMEN, "to": ACFTU})
    assert response.status_code == 200, response.text
    path = response.json()
    route = [node["id"] for node in path["nodes"]]
    assert route[0] == WOMEN and route[-1] == ACFTU
    assert path["length"] == len(path["steps"]) == len(route) - 1 >= 2  # no item links the two directly
    assert path["length"] == nx.shortest_path_length(undirected(whole), WOMEN, ACFTU)
    assert path["shortest_paths"] >= 1
    for step, (a, b) in zip(path["steps"], zip(route, route[1:])):
        assert (step["source"], step["target"]) == (a, b)
        first = step["edges"][0]
        assert first["relation"] == step["relation"]
        assert (first["source"], first["target"]) == ((a, b) if step["direction"] == "forward" else (b, a))
        for edge in step["edges"]:  # every step is a real edge of the graph, in its real direction
            assert {edge["source"], edge["target"]} == {a, b}
            assert holds(dataset, edge["source"], edge["property"], edge["target"]), edge
    for node in path["nodes"]:
        assert node["label_zh"] == label_zh(dataset, node["id"])
    assert path["nodes"][0]["label_zh"] == "女职工" and path["nodes"][-1]["label_zh"] == "中华全国总工会"
    assert path["text"].startswith("女职工 ") and path["text"].endswith(" 中华全国总工会")
    assert path["text"].count("→") + path["text"].count("←") == path["length"]


def test_path_accepts_iris_and_walks_back(api):
    forward = api.get("/graph/path", params={"from": WOMEN, "to": ACFTU}).json()
    by_iri = api.get("/graph/path", params={"from": str(iri(WOMEN)), "to": "/id/" + ACFTU}).json()
    assert by_iri == forward
    back = api.get("/graph/path", params={"from": ACFTU, "to": WOMEN}).json()
    assert back["length"] == forward["length"] and back["nodes"][0]["id"] == ACFTU


def test_path_errors(api):
    same = api.get("/graph/path", params={"from": WOMEN, "to": WOMEN})
    assert same.status_code == 400 and "same node" in same.json()["error"]
    unknown = api.get("/graph/path", params={"from": "population/women-worker", "to": ACFTU})
    assert unknown.status_code == 404 and WOMEN in unknown.json()["close_matches"]
    by_label = api.get("/graph/path", params={"from": "population/女职工", "to": ACFTU})
    assert by_label.status_code == 404 and WOMEN in by_label.json()["close_matches"]
    # the population hierarchy alone never reaches a body
    none = api.get("/graph/path", params={"from": WOMEN, "to": ACFTU, "relation": ["broader"]})
    assert none.status_code == 404 and "no path" in none.json()["error"]
    assert api.get("/graph/path", params={"from": WOMEN}).status_code == 422
    assert api.get("/graph/path", params={"from": WOMEN, "to": ACFTU, "relation": "knows"}).status_code == 422


# --------------------------------------------------------------------------- centrality
@pytest.mark.parametrize("measure", ["degree", "betweenness", "pagerank"])
def test_workers_are_the_most_central_population(api, dataset, measure):
    """职工 is the top of the population scheme: every first-level group is skos:broader it and it is
    the plan's generic word for whom an item serves, so it leads on every measure (by far on degree:
    47 edges against 9 for the next). 新就业形态劳动者 (the subject of item 16, with six narrower
    groups) is among the ten most connected."""
    response = api.get("/graph/centrality", params={"kind": "population", "measure": measure, "limit": 10})
    assert response.status_code == 200, response.text
    body = response.json()
    entries = body["entries"]
    assert body["kind"] == "population" and body["nodes"] == 69 and len(entries) == 10
    assert entries[0]["id"] == WORKERS and entries[0]["label_zh"] == "职工"
    assert [e["rank"] for e in entries] == list(range(1, 11))
    assert all(e["kind"] == "population" for e in entries)
    assert [(-e["score"], e["id"]) for e in entries] == sorted((-e["score"], e["id"]) for e in entries)
    if measure != "pagerank":
        assert NEW_FORMS in {e["id"] for e in entries}
    workers = iri(WORKERS)
    serving = {s for s, _, _, _ in dataset.quads((None, POL.servesPopulation, workers, None))
               if any(True for _ in dataset.quads((s, RDF.type, POL.PlanItem, None)))}
    narrower = {s for s, _, _, _ in dataset.quads((None, SKOS.broader, workers, None))}
    assert entries[0]["degree"] == entries[0]["neighbours"] == len(serving) + len(narrower)


def test_centrality_of_bodies_and_items(api):
    bodies = api.get("/graph/centrality", params={"kind": "body"}).json()["entries"]
    assert bodies[0]["id"] == ACFTU  # the parent of most union bodies
    items = api.get("/graph/centrality", params={"kind": "item", "measure": "betweenness", "limit": 46}).json()
    assert len(items["entries"]) == 46 and items["nodes"] == 46
    every = api.get("/graph/centrality", params={"limit": 500}).json()
    assert every["kind"] is None and len(every["entries"]) == every["nodes"]


def test_centrality_scores_agree_with_networkx(api, whole):
    graph = undirected(whole)
    betweenness = nx.betweenness_centrality(graph)
    found = api.get("/graph/centrality", params={"measure": "betweenness", "limit": 500}).json()["entries"]
    assert all(e["score"] == pytest.approx(betweenness[e["id"]], abs=1e-9) for e in found)
    directed = nx.DiGraph()
    directed.add_nodes_from(graph)
    directed.add_edges_from((e["source"], e["target"]) for e in whole["edges"])
    pagerank = nx.pagerank(directed, tol=1e-10)
    found = api.get("/graph/centrality", params={"measure": "pagerank", "limit": 500}).json()["entries"]
    assert all(e["score"] == pytest.approx(pagerank[e["id"]], abs=1e-8) for e in found)


def test_centrality_rejects_unknown_measures_and_kinds(api):
    assert api.get("/graph/centrality", params={"measure": "closeness"}).status_code == 422
    assert api.get("/graph/centrality", params={"kind": "measure"}).status_code == 422
    assert api.get("/graph/centrality", params={"limit": 0}).status_code == 422


# --------------------------------------------------------------------------- export
@pytest.mark.parametrize("fmt, media, read", [
    ("graphml", "application/graphml+xml", nx.read_graphml),
    ("gexf", "application/gexf+xml", nx.read_gexf),
])
def test_exports_parse_back(api, whole, fmt, media, read):
    response = api.get("/graph/export", params={"format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert response.headers["content-disposition"] == f'attachment; filename="policykg-graph.{fmt}"'
    graph = read(io.BytesIO(response.content))
    assert graph.number_of_nodes() == whole["node_count"] and graph.number_of_edges() == whole["edge_count"]
    assert graph.is_directed()
    women = graph.nodes[WOMEN]
    assert women["label_zh"] == "女职工" and women["kind"] == "population"
    relations = sorted(data["relation"] for _, _, data in graph.edges(data=True))
    assert relations == sorted(e["relation"] for e in whole["edges"])

    neighbourhood = api.get("/graph/neighbors/item/16", params={"hops": 2}).json()
    exported = api.get("/graph/neighbors/item/16", params={"hops": 2, "format": fmt})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith(media)
    assert f'filename="policykg-item-16-hops2.{fmt}"' in exported.headers["content-disposition"]
    small = read(io.BytesIO(exported.content))
    assert small.number_of_nodes() == neighbourhood["node_count"]
    assert small.number_of_edges() == neighbourhood["edge_count"]
    assert int(small.nodes["item/16"]["distance"]) == 0


# --------------------------------------------------------------------------- errors and determinism
def test_unknown_node_is_404_with_close_matches(api):
    response = api.get("/graph/neighbors/population/women-worker")
    assert response.status_code == 404
    assert WOMEN in response.json()["close_matches"]
    alias = api.get("/graph/neighbors/body/全总")  # an alias (skos:altLabel) of the ACFTU
    assert alias.status_code == 404 and alias.json()["close_matches"][0] == ACFTU
    assert api.get("/graph/neighbors/item/99").status_code == 404
    assert api.get("/graph/neighbors/measure/16-1").status_code == 404  # not an entity of the network


def test_bad_parameters_are_422(api):
    assert api.get("/graph/neighbors/item/16", params={"hops": 9}).status_code == 422
    assert api.get("/graph/neighbors/item/16", params={"hops": 0}).status_code == 422
    assert api.get("/graph/neighbors/item/16", params={"format": "png"}).status_code == 422
    assert api.get("/graph/neighbors/item/16", params={"relation": "knows"}).status_code == 422
    assert api.get("/graph/neighbors/item/16", params={"max_nodes": 2001}).status_code == 422


def test_answers_are_deterministic(api):
    for url, params in [
        ("/graph/neighbors/item/16", {"hops": 2}),
        ("/graph/path", {"from": WOMEN, "to": ACFTU}),
        ("/graph/centrality", {"kind": "item", "measure": "pagerank", "limit": 46}),
        ("/graph/export", {}),
        ("/graph/export", {"format": "graphml"}),
        ("/graph/export", {"format": "gexf"}),
    ]:
        first, second = api.get(url, params=params), api.get(url, params=params)
        assert first.status_code == 200 and first.content == second.content, url
