"""Dereferenceable entities: /id/{kind}/{slug}, /ontology, /.well-known/void."""

from __future__ import annotations

import asyncio
import random
import re
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from policykg.api.entities import MAX_INCOMING
from policykg.namespaces import DATASET, GRAPH_ASSERTED, GRAPH_CURATED, GRAPH_INFERRED, POL, VOID, resource

ITEM = resource("item", 16)
NEW_FORMS = resource("population", "new-employment-form-workers")
COURIERS = resource("population", "couriers")
# media type -> (?format= name, rdflib parser, carries named graphs)
RDF_FORMATS = {
    "text/turtle": ("ttl", "turtle", False),
    "application/ld+json": ("jsonld", "json-ld", False),
    "application/n-triples": ("nt", "nt", False),
    "application/rdf+xml": ("rdf", "xml", False),
    "application/trig": ("trig", "trig", True),
    "application/n-quads": ("nq", "nquads", True),
}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def parse(response, media: str) -> Dataset:
    """The body as an rdflib Dataset (triple formats land in its default graph)."""
    _, parser, _ = RDF_FORMATS[media]
    data = Dataset()
    data.parse(data=response.content, format=parser)
    return data


def links(response) -> list[tuple[str, dict[str, str]]]:
    """The Link header as (target, {param: value})."""
    found = []
    for part in re.findall(r'<[^>]*>[^<]*', response.headers.get("link", "")):
        target = part[1:part.index(">")]
        params = dict(re.findall(r';\s*([a-z]+)="([^"]*)"', part))
        found.append((target, params))
    return found


def quads_about(data: Dataset, subject: URIRef) -> set[tuple]:
    return {(p, o, g.identifier) for g in data.graphs() for p, o in g.predicate_objects(subject)}


# --------------------------------------------------------------------------- formats
def test_resource_page_is_turtle_with_its_label(api: TestClient, dataset) -> None:
    response = api.get("/id/item/16")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    labels = {label for named in dataset.graphs() for label in named.objects(ITEM, RDFS.label)}
    assert {label.language for label in labels} == {"zh", "en"}  # asserted and curated graphs both served
    assert set(graph.objects(ITEM, RDFS.label)) == labels


@pytest.mark.parametrize("media", list(RDF_FORMATS))
def test_item_16_in_every_rdf_format(api: TestClient, dataset, media: str) -> None:
    response = api.get("/id/item/16", headers={"accept": media})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
    served = parse(response, media)
    labels = {label for g in served.graphs() for label in g.objects(ITEM, RDFS.label)}
    assert {(str(label), label.language) for label in labels} == {
        (str(label), label.language) for g in dataset.graphs() for label in g.objects(ITEM, RDFS.label)}
    assert {label.language for label in labels} == {"zh", "en"}
    numbers = {n for g in served.graphs() for n in g.objects(ITEM, POL.number)}
    assert numbers == {Literal(16)}
    # every outgoing statement of the item, and the labels of what it links to (the chapter's, a population's)
    triples = {(p, o) for g in served.graphs() for p, o in g.predicate_objects(ITEM)}
    assert triples == {(p, o) for g in dataset.graphs() for p, o in g.predicate_objects(ITEM)}
    chapter_labels = {label.language for g in served.graphs() for label in g.objects(resource("chapter", 5), RDFS.label)}
    courier_labels = {label.language for g in served.graphs() for label in g.objects(COURIERS, SKOS.prefLabel)}
    assert chapter_labels == {"zh", "en"} and "zh" in courier_labels


@pytest.mark.parametrize("media", ["application/trig", "application/n-quads"])
def test_quads_keep_the_named_graph_of_each_statement(api: TestClient, dataset, media: str) -> None:
    served = parse(api.get("/id/item/16", headers={"accept": media}), media)
    assert quads_about(served, ITEM) == quads_about(dataset, ITEM)
    graphs = {(p, o): g for p, o, g in quads_about(served, ITEM)}
    english = next(o for p, o, _ in quads_about(served, ITEM) if p == RDFS.label and o.language == "en")
    chinese = next(o for p, o, _ in quads_about(served, ITEM) if p == RDFS.label and o.language == "zh")
    assert graphs[(RDFS.label, english)] == GRAPH_CURATED  # the project's translation
    assert graphs[(RDFS.label, chinese)] == GRAPH_ASSERTED  # what the source says
    assert graphs[(POL.servesPopulation, COURIERS)] == GRAPH_INFERRED  # item-level links are derived
    assert graphs[(POL.chapter, resource("chapter", 5))] == GRAPH_ASSERTED


@pytest.mark.parametrize("media", list(RDF_FORMATS) + ["text/html"])
def test_format_parameter_overrides_accept(api: TestClient, media: str) -> None:
    name = RDF_FORMATS[media][0] if media in RDF_FORMATS else "html"
    response = api.get(f"/id/item/16?format={name}", headers={"accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
    assert response.headers["content-location"] == f"/id/item/16?format={name}"


def test_unknown_format_parameter_is_refused(api: TestClient) -> None:
    response = api.get("/id/item/16?format=json")
    assert response.status_code == 422 and "error" in response.json()


@pytest.mark.parametrize(("accept", "media"), [
    (None, "text/turtle"), ("*/*", "text/turtle"), (BROWSER, "text/html"),
    ("application/ld+json;q=0.5, application/n-triples", "application/n-triples"),
    ("application/*", "application/ld+json"),
])
def test_negotiation(api: TestClient, accept: str | None, media: str) -> None:
    headers = {"accept": accept} if accept is not None else {}
    response = api.get("/id/item/16", headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media


def test_unacceptable_media_type_is_406_with_the_supported_ones(api: TestClient) -> None:
    response = api.get("/id/item/16", headers={"accept": "image/png"})
    assert response.status_code == 406
    body = response.json()
    assert "error" in body and {"text/turtle", "application/ld+json", "application/trig", "text/html"} <= set(
        body["supported"])


def test_link_vary_and_content_location_headers(api: TestClient) -> None:
    response = api.get("/id/item/16", headers={"accept": "application/ld+json"})
    assert "Accept" in response.headers["vary"]
    assert response.headers["content-location"] == "/id/item/16?format=jsonld"
    found = links(response)
    alternates = {params["type"]: target for target, params in found if params.get("rel") == "alternate"}
    assert alternates == {media: f"/id/item/16?format={name}"
                          for media, (name, _, _) in {**RDF_FORMATS, "text/html": ("html", "", False)}.items()
                          if media != "application/ld+json"}
    assert (str(ITEM), {"rel": "canonical"}) in found
    assert (str(ITEM), {"rel": "describes"}) in found
    assert ("/.well-known/void", {"rel": str(VOID.inDataset)}) in found


def test_head_answers_the_headers_without_a_body(api: TestClient) -> None:
    for path in ("/id/item/16", "/id/item/16?format=html", "/ontology", "/.well-known/void"):
        get, head = api.get(path), api.head(path)
        assert head.status_code == 200 and head.content == b""
        for name in ("content-type", "link", "vary", "content-location"):
            assert head.headers[name] == get.headers[name]
        assert int(head.headers["content-length"]) == len(get.content)
    assert api.head("/id/item/99").status_code == 404


@pytest.mark.parametrize("query", ["", "?format=jsonld", "?format=trig", "?format=nq", "?format=rdf", "?format=html"])
def test_output_is_deterministic(api: TestClient, query: str) -> None:
    for path in ("/id/item/16", "/id/population/new-employment-form-workers", "/ontology", "/.well-known/void"):
        if path.startswith("/ontology") or path.startswith("/.well"):
            if query in ("?format=trig", "?format=nq"):
                continue
        first, second = api.get(path + query), api.get(path + query)
        assert first.status_code == 200 and first.content == second.content


@pytest.mark.parametrize("media", ["text/turtle", "application/n-triples", "application/ld+json",
                                   "application/rdf+xml", "application/trig", "application/n-quads"])
def test_rdf_body_sorts_and_dedupes_whatever_order_the_store_gives(api_app, media: str) -> None:
    """The determinism above holds only if the body is sorted: the store gives one order every time."""
    from policykg.api.entities import RESOURCE_FORMATS, describe, rdf_body

    statements = describe(api_app.state.services, str(ITEM)).statements()
    shuffled = list(statements)
    random.Random(16).shuffle(shuffled)
    body = rdf_body(statements, media, RESOURCE_FORMATS)
    assert rdf_body(shuffled + shuffled[:7], media, RESOURCE_FORMATS) == body
    if media == "application/n-triples":
        lines = body.decode().splitlines()
        assert lines == sorted(set(lines)) and len(lines) == len({str(q.triple) for q in statements})


# --------------------------------------------------------------------------- HTML
def test_statements_view_of_item_16(api: TestClient, dataset) -> None:
    """The generic statements view (the item's own page is tested in test_item_page.py)."""
    response = api.get("/id/item/16?view=statements&lang=en", headers={"accept": BROWSER})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    zh = next(str(o) for g in dataset.graphs() for o in g.objects(ITEM, RDFS.label) if o.language == "zh")
    en = next(str(o) for g in dataset.graphs() for o in g.objects(ITEM, RDFS.label) if o.language == "en")
    assert re.search(r"<title>[^<]*" + re.escape(zh), page)
    assert f'<h1 lang="zh">{zh}</h1>' in page and f'lang="en">{en}<' in page
    assert 'href="/id/chapter/5"' in page
    assert re.search(r'href="/id/population/couriers"', page)
    assert 'href="/ontology#PlanItem"' in page  # its type, by the ontology's label
    assert ">serves population<" in page  # predicates by the ontology's label ...
    assert "rdfs:label" in page  # ... or by prefixed name
    for graph in ("asserted", "curated", "inferred"):
        assert f'href="/id/graph/{graph}">{graph}</a>' in page
    assert '<span class="tag" title="language">@zh</span>' in page
    assert 'xsd:integer' in page  # pol:number 16 with its datatype
    for name in ("ttl", "jsonld", "nt", "rdf", "trig", "nq"):
        assert f'href="/id/item/16?format={name}"' in page
    assert "What points here" in page and 'href="/id/chapter/5"' in page.split("What points here", 1)[1]


def test_population_statements_view_shows_the_items_serving_it(api: TestClient) -> None:
    """The generic statements view (a population's own page is tested in test_entity_pages.py)."""
    page = api.get("/id/population/new-employment-form-workers?view=statements&lang=en", headers={"accept": "text/html"}).text
    incoming = page.split("What points here", 1)[1]
    assert 'href="/id/item/16"' in incoming and 'href="/id/item/36"' in incoming
    turtle = Graph().parse(data=api.get("/id/population/new-employment-form-workers").text, format="turtle")
    serving = set(turtle.subjects(POL.servesPopulation, NEW_FORMS))
    assert ITEM in serving and resource("item", 36) in serving
    assert any(label.language == "zh" for label in turtle.objects(ITEM, RDFS.label))  # neighbours are named


def test_html_escapes_and_is_well_formed_enough(api: TestClient) -> None:
    page = api.get("/id/item/16?format=html").text
    assert page.startswith("<!doctype html>") and '<html lang="zh">' in page  # the corpus's language by default
    english = api.get("/id/item/16?format=html&lang=en").text
    assert '<html lang="en">' in english and 'href="/id/item/16?format=html&amp;lang=zh"' in english
    assert "<script" not in page and page.count("<table") == page.count("</table>")


# --------------------------------------------------------------------------- incoming statements, bounded
def test_incoming_statements_are_bounded_and_the_cut_is_said(api: TestClient) -> None:
    plan = resource("plan", "acftu-14th-fyp")
    response = api.get("/id/plan/acftu-14th-fyp?format=nq")
    data = parse(response, "application/n-quads")
    incoming = [(s, p, g.identifier) for g in data.graphs() for s, p in g.subject_predicates(plan)]
    assert len(incoming) == MAX_INCOMING
    total = api.get("/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p <{plan}> }} }}"})
    count = int(total.json()["results"]["bindings"][0]["n"]["value"])
    assert count > MAX_INCOMING
    assert response.headers["x-incoming-truncated"] == f"{MAX_INCOMING} of {count} incoming statements served"
    page = api.get("/id/plan/acftu-14th-fyp?format=html&lang=en").text
    assert f"Showing {MAX_INCOMING} of {count} incoming statements" in page
    small = api.get("/id/item/16")
    assert "x-incoming-truncated" not in small.headers


# --------------------------------------------------------------------------- unknown and bad ids
def test_unknown_resource_is_404_json(api: TestClient) -> None:
    response = api.get("/id/item/999")
    assert response.status_code == 404 and "item/999" in response.json()["error"]


@pytest.mark.parametrize(("path", "expected"), [
    ("/id/item/99", "/id/item/9"),
    ("/id/population/courier", "/id/population/couriers"),
    ("/id/populaton/couriers", "/id/population/couriers"),
    ("/id/item/16/", "/id/item/16"),
])
def test_unknown_ids_answer_close_matches(api: TestClient, path: str, expected: str) -> None:
    response = api.get(path)
    assert response.status_code == 404 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"].startswith("no resource") and expected in body["close_matches"]
    if path == "/id/item/99":
        assert all(match.startswith("/id/item/") for match in body["close_matches"])
    if "populaton" in path:
        assert "no kind 'populaton'" in body["error"]


@pytest.mark.parametrize(("path", "problem"), [
    ("/id/item/%2e%2e/%2e%2e/etc/passwd", "dot segment"),
    ("/id/%2E%2E/item", "dot segment"),
    ("/id/item/a%5Cb", "backslash"),
    ("/id/item/a\\b", "backslash"),
    ("/id/item/a%00b", "control character (U+0000"),
    ("/id/item/a%0Ab", "control character (U+000A"),
    ("/id/item/a%7Fb", "control character (U+007F"),
    ("/id/item/%FF%FE", "not UTF-8"),
    ("/id/item/%C3", "not UTF-8"),
    ("/id/item/" + "x" * 200, "at most 200"),
    ("/id/item/a%20b", "U+0020 SPACE"),
    ("/id/item/a%3Cb%3E", "U+003C LESS-THAN SIGN"),
    ("/id/item/a%22b", "U+0022 QUOTATION MARK"),
    ("/id/item/a%7Bb%7D", "U+007B"),
    ("/id/item/a%60b", "U+0060 GRAVE ACCENT"),
    ("/id/item/a%25zz", "U+0025 PERCENT SIGN"),
    ("/id/item/a%23b", "U+0023 NUMBER SIGN"),
    ("/id/item/%EE%80%80", "U+E000"),  # private use: not in an IRI path
])
def test_bad_ids_are_refused_with_the_reason(api: TestClient, path: str, problem: str) -> None:
    response = api.get(path)
    assert response.status_code == 400, response.text
    assert problem in response.json()["error"]


def test_an_iri_may_hold_chinese_but_no_such_id_exists(api: TestClient) -> None:
    response = api.get("/id/population/快递员")
    assert response.status_code == 404 and "close_matches" in response.json()


def _raw_get(app, raw_path: bytes) -> tuple[int, bytes]:
    """Call the app with a path no HTTP client library would send (``..`` kept as is)."""
    messages: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        messages.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": unquote(raw_path.decode("ascii")), "raw_path": raw_path, "root_path": "", "query_string": b"",
             "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")


@pytest.mark.parametrize("raw", [b"/id/item/../../etc/passwd", b"/id/item/./16", b"/id/../id/item/16"])
def test_literal_dot_segments_are_refused(api, api_app, raw: bytes) -> None:
    status, body = _raw_get(api_app, raw)
    assert status in (400, 404) and b'"error"' in body
    if raw.startswith(b"/id/item/"):
        assert status == 400 and b"dot segment" in body


# --------------------------------------------------------------------------- the dataset and its graphs
@pytest.mark.parametrize("name", ["asserted", "curated", "inferred"])
def test_graph_iris_dereference_to_their_void_description(api: TestClient, name: str) -> None:
    response = api.get(f"/id/graph/{name}")
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    iri = resource("graph", name)
    assert (iri, RDF.type, VOID.Dataset) in graph and (DATASET, VOID.subset, iri) in graph
    counted = api.get("/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"})
    assert graph.value(iri, VOID.triples).toPython() == int(counted.json()["results"]["bindings"][0]["n"]["value"])


def test_dataset_iri_dereferences(api: TestClient) -> None:
    response = api.get("/id/dataset/policykg")
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    assert (DATASET, RDF.type, VOID.Dataset) in graph and len(list(graph.objects(DATASET, VOID.classPartition))) > 10
    assert ("/.well-known/void", {"rel": "describedby"}) in links(response)
    page = api.get("/id/dataset/policykg?format=html").text
    assert "void:classPartition" in page or "classPartition" in page


# --------------------------------------------------------------------------- /ontology
def test_ontology_turtle(api: TestClient) -> None:
    response = api.get("/ontology")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    assert (POL.PlanItem, RDF.type, OWL.Class) in graph
    assert (URIRef("https://w3id.org/policykg/ontology"), RDF.type, OWL.Ontology) in graph
    assert response.headers["content-location"] == "/ontology?format=ttl" and "Accept" in response.headers["vary"]


@pytest.mark.parametrize("media", ["application/ld+json", "application/n-triples", "application/rdf+xml"])
def test_ontology_in_other_formats_is_the_same_graph(api: TestClient, media: str) -> None:
    turtle = Graph().parse(data=api.get("/ontology").text, format="turtle")
    response = api.get("/ontology", headers={"accept": media})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
    other = Graph().parse(data=response.content, format=RDF_FORMATS[media][1])
    assert isomorphic(turtle, other)


def test_ontology_page_lists_classes_and_properties(api: TestClient) -> None:
    response = api.get("/ontology", headers={"accept": BROWSER})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text  # pyLODE's page (tests/test_ontology_docs.py checks it in full)
    assert 'id="PlanItem"' in page and "plan item" in page and "<code>https://w3id.org/policykg/ontology#PlanItem</code>" in page
    assert 'id="servesPopulation"' in page and 'id="classes"' in page and 'id="objectproperties"' in page
    assert "规划条目" in page
    # /ontology#… is the same document: every term a page links to has its anchor here
    item_page = api.get("/id/item/16?format=html").text
    for anchor in set(re.findall(r'href="/ontology#([A-Za-z]+)"', item_page)):
        assert f'id="{anchor}"' in page


def test_ontology_refuses_quads(api: TestClient) -> None:
    response = api.get("/ontology", headers={"accept": "application/trig"})
    assert response.status_code == 406 and "text/turtle" in response.json()["supported"]


# --------------------------------------------------------------------------- /.well-known/void
def test_void_states_the_stores_triple_count(api: TestClient) -> None:
    response = api.get("/.well-known/void")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    distinct = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"
    answer = api.get("/sparql", params={"query": distinct}).json()
    assert graph.value(DATASET, VOID.triples).toPython() == int(answer["results"]["bindings"][0]["n"]["value"])
    quads = api.get("/").json()["quads"]
    assert sum(graph.value(g, VOID.triples).toPython() for g in graph.objects(DATASET, VOID.subset)) == quads
    endpoint = graph.value(DATASET, VOID.sparqlEndpoint)
    assert endpoint is not None and str(endpoint).endswith("/sparql")
    assert ("/sparql", {"rel": str(VOID.sparqlEndpoint)}) in links(response)
    assert (str(DATASET), {"rel": "describes"}) in links(response)


@pytest.mark.parametrize("media", ["application/ld+json", "application/n-triples", "application/rdf+xml", "text/html"])
def test_void_by_negotiation(api: TestClient, media: str) -> None:
    response = api.get("/.well-known/void", headers={"accept": media})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
    if media == "text/html":
        assert "void:triples" in response.text and 'href="/id/graph/asserted"' in response.text
    else:
        graph = Graph().parse(data=response.content, format=RDF_FORMATS[media][1])
        assert (DATASET, RDF.type, VOID.Dataset) in graph


def test_void_missing_is_404_saying_to_rebuild(dist_dir, tmp_path) -> None:
    import shutil

    from policykg.api.app import create_app
    from policykg.api.settings import Settings

    shutil.copy(dist_dir / "policykg.trig", tmp_path / "policykg.trig")
    app = create_app(Settings(data=tmp_path / "policykg.trig", workers=1))
    with TestClient(app) as client:
        response = client.get("/.well-known/void")
        assert response.status_code == 404 and "policykg build" in response.json()["error"]
        assert client.get("/id/item/16").status_code == 200  # resources do not need the VoID file
        assert client.get("/id/graph/asserted").status_code == 404
