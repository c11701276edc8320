"""``/sparql`` is a standard SPARQL 1.1 Protocol endpoint: the W3C test suite, real clients, negotiation, datasets.

* The W3C SPARQL 1.1 Protocol tests (``tests/w3c/protocol/manifest.ttl``,
  vendored) are read with rdflib and each ``ht:Request`` is sent as written
  (method, path, headers, body bytes in the declared encoding) to a live
  server whose store holds the suite's data files as the named graphs the
  tests name. The update tests that expect success are skipped (the endpoint
  is read-only); every other test, the ``bad_update_*`` ones included, runs.
* SPARQLWrapper and rdflib's ``SPARQLStore`` work unchanged against the live
  endpoint over the real build, and read real facts of the corpus.
* Content negotiation (q-values, ``format=``, 406), the RDF formats of
  CONSTRUCT/DESCRIBE, and ``default-graph-uri`` / ``named-graph-uri`` on the
  real graphs.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from pyoxigraph import Dataset as OxDataset
from pyoxigraph import (
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse,
    parse_query_results,
    serialize,
)
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

# SPARQLWrapper and rdflib's JSON-LD parser still build ConjunctiveGraphs.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

W3C = Path(__file__).parent / "w3c" / "protocol"
MANIFEST = W3C / "manifest.ttl"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")

POL = "https://w3id.org/policykg/ontology#"
ITEM_16 = "https://w3id.org/policykg/id/item/16"
ITEM_16_ZH = "维护新就业形态劳动者合法权益"
ITEM_16_EN = "Safeguarding the lawful rights and interests of workers in new forms of employment"
GRAPH = "https://w3id.org/policykg/id/graph/"

BOOLEAN_TYPES = {"application/sparql-results+json": QueryResultsFormat.JSON,
                 "application/sparql-results+xml": QueryResultsFormat.XML}
TABULAR_TYPES = {**BOOLEAN_TYPES, "text/csv": QueryResultsFormat.CSV,
                 "text/tab-separated-values": QueryResultsFormat.TSV}
# The manifest's "RDF" format: RDF/XML, Turtle, N-Triples (or RDFa, which we do not serve).
RDF_TYPES = {"application/rdf+xml": "xml", "text/turtle": "turtle", "application/n-triples": "nt"}


# --------------------------------------------------------------------------- the manifest, as data
@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]  # expected status classes: "2", "3", "4"
    format: str | None = None  # "boolean", "tabular", "RDF"
    boolean: bool | None = None

    @property
    def is_update(self) -> bool:
        content_type = self.headers.get("content-type", "")
        form = (self.body or b"").decode("utf-8", "replace") if "urlencoded" in content_type else ""
        return ("application/sparql-update" in content_type or form.startswith("update=")
                or "?update=" in self.path or "&update=" in self.path)


@dataclass
class ProtocolTest:
    id: str
    name: str
    requests: list[HttpRequest]
    graphs: dict[str, Path] = field(default_factory=dict)  # graph IRI -> data file

    @property
    def skip_reason(self) -> str | None:
        """Update tests that expect the update to succeed do not apply to a read-only endpoint."""
        if any(r.is_update and ("2" in r.statuses or "3" in r.statuses) for r in self.requests):
            return "read-only endpoint"
        return None


def _list(graph: Graph, head) -> list:
    return list(Collection(graph, head)) if head is not None else []


def read_manifest(path: Path = MANIFEST) -> list[ProtocolTest]:
    graph = Graph().parse(path, format="turtle")
    manifest = graph.value(predicate=RDF.type, object=MF.Manifest)
    tests = []
    for entry in _list(graph, graph.value(manifest, MF.entries)):
        requests = []
        action = graph.value(entry, MF.action)
        for request in _list(graph, graph.value(action, HT.requests)):
            headers = {str(graph.value(h, HT.fieldName)).lower(): str(graph.value(h, HT.fieldValue))
                       for h in _list(graph, graph.value(request, HT.headers))}
            body_node = graph.value(request, HT.body)
            body = None
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(body_node, CNT.chars)).encode(encoding)
            response = graph.value(request, HT.resp)
            statuses = {str(s).rsplit("StatusCode", 1)[1][0] for s in graph.objects(response, MF.expectedStatus)}
            expected_boolean = graph.value(response, MF.expectedBoolean)
            expected_format = graph.value(response, MF.expectedFormat)
            requests.append(HttpRequest(
                method=str(graph.value(request, HT.methodName)), path=str(graph.value(request, HT.absolutePath)),
                headers=headers, body=body, statuses=statuses,
                format=str(expected_format) if expected_format is not None else None,
                boolean=expected_boolean.toPython() if isinstance(expected_boolean, Literal) else None,
            ))
        graphs = {}
        for data in graph.objects(entry, UT.graphData):
            file_iri = str(graph.value(data, UT.graph))
            graphs[str(graph.value(data, RDFS.label))] = path.parent / file_iri.rsplit("/", 1)[-1]
        local_name = str(entry).rsplit("#", 1)[-1]
        tests.append(ProtocolTest(local_name, str(graph.value(entry, MF.name)), requests, graphs))
    return tests


PROTOCOL_TESTS = read_manifest()


def test_the_manifest_is_read_whole() -> None:
    """34 entries, each with its requests and expectations, so none is silently dropped or misread."""
    assert len(PROTOCOL_TESTS) == 34 and len({t.id for t in PROTOCOL_TESTS}) == 34
    by_id = {t.id: t for t in PROTOCOL_TESTS}
    assert all(t.requests and all(r.statuses for r in t.requests) for t in PROTOCOL_TESTS)
    assert sum(t.skip_reason is not None for t in PROTOCOL_TESTS) == 7  # the update_* tests
    assert all(t.id.startswith("update_") == (t.skip_reason is not None) for t in PROTOCOL_TESTS)
    full = by_id["query_dataset_full"]
    assert set(full.graphs) == {f"http://kasei.us/2009/09/sparql/data/data{n}.rdf" for n in (1, 2, 3)}
    assert full.requests[0].boolean is True and full.requests[0].format == "boolean"
    assert by_id["bad_query_non_utf8"].requests[0].body == "ASK {}".encode("utf-16")
    assert by_id["bad_query_method"].requests[0].method == "PUT"


# --------------------------------------------------------------------------- the suite against a live server
@pytest.fixture(scope="module")
def protocol_endpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A live server over a TriG file of the suite's data files, each the named graph the tests call it."""
    from servers import policykg_server

    graphs: dict[str, Path] = {}
    for test in PROTOCOL_TESTS:
        graphs.update(test.graphs)
    assert len(graphs) == 3
    dataset = OxDataset()
    for iri, path in graphs.items():
        for triple in parse(path=str(path), format=RdfFormat.N_TRIPLES):
            dataset.add(Quad(triple.subject, triple.predicate, triple.object, NamedNode(iri)))
    trig = tmp_path_factory.mktemp("w3c-protocol") / "protocol.trig"
    trig.write_bytes(serialize(dataset, format=RdfFormat.TRIG))
    env = {"POLICYKG_DATA": str(trig), "POLICYKG_QUERY_TIMEOUT": "3", "POLICYKG_WORKERS": "1"}
    with policykg_server(env) as base:
        yield base + "/sparql"


def _media(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def check_response(request: HttpRequest, response: httpx.Response) -> None:
    where = f"{request.method} {request.path}: {response.status_code} {response.text[:300]!r}"
    assert str(response.status_code)[0] in request.statuses, where
    if response.status_code >= 400:
        assert "error" in response.json(), where  # our errors are JSON with a message
        return
    media = _media(response)
    if request.format == "boolean":
        assert media in BOOLEAN_TYPES, where
        result = parse_query_results(response.content, format=BOOLEAN_TYPES[media])
        assert isinstance(result, QueryBoolean), where
        if request.boolean is not None:
            assert bool(result) is request.boolean, where
    elif request.format == "tabular":
        assert media in TABULAR_TYPES, where
        if media == "text/csv":
            assert list(csv.reader(io.StringIO(response.text)))[0], where
        else:
            assert isinstance(parse_query_results(response.content, format=TABULAR_TYPES[media]), QuerySolutions)
    elif request.format == "RDF":
        assert media in RDF_TYPES, where
        Graph().parse(data=response.content, format=RDF_TYPES[media])


# The manifest only asks for a 4xx; these are the exact statuses this endpoint answers.
EXACT_STATUS = {
    "bad_query_method": 405,  # PUT
    "bad_multiple_queries": 400,
    "bad_query_wrong_media_type": 415,
    "bad_query_missing_form_type": 415,
    "bad_query_missing_direct_type": 415,
    "bad_query_non_utf8": 400,
    "bad_query_syntax": 400,
    "bad_update_get": 400,  # updates are refused however they come: the endpoint is read-only
    "bad_multiple_updates": 400,
    "bad_update_wrong_media_type": 415,
    "bad_update_missing_form_type": 415,
    "bad_update_non_utf8": 400,
    "bad_update_syntax": 400,
    "bad_update_dataset_conflict": 400,
}


@pytest.mark.parametrize("test", PROTOCOL_TESTS, ids=[t.id for t in PROTOCOL_TESTS])
def test_w3c_protocol(test: ProtocolTest, protocol_endpoint: str) -> None:
    if test.skip_reason:
        pytest.skip(test.skip_reason)
    with httpx.Client(timeout=10.0) as client:
        for request in test.requests:
            # The manifest's paths start with /sparql/; ours is /sparql (the manifest says to replace the prefix).
            assert request.path.startswith("/sparql/")
            url = protocol_endpoint + request.path[len("/sparql/"):]
            response = client.request(request.method, url, headers=request.headers, content=request.body)
            check_response(request, response)
            if test.id in EXACT_STATUS:
                assert response.status_code == EXACT_STATUS[test.id], response.text


def test_every_bad_test_has_an_exact_status() -> None:
    assert set(EXACT_STATUS) == {t.id for t in PROTOCOL_TESTS if t.id.startswith("bad_")}


def test_w3c_results_carry_the_expected_answers(protocol_endpoint: str) -> None:
    """Beyond the manifest's checks: the SELECT and CONSTRUCT tests' actual answers."""
    direct = {"content-type": "application/sparql-query"}
    select = httpx.post(protocol_endpoint, content="SELECT (1 AS ?value) {}", headers=direct)
    assert select.json()["results"]["bindings"] == [
        {"value": {"type": "literal", "value": "1", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]
    construct = httpx.post(protocol_endpoint, content="CONSTRUCT { <s> <p> 1 } WHERE {}",
                           headers={**direct, "accept": "application/n-triples"})
    # relative IRIs resolve against the service's base (the resource namespace)
    assert construct.text.strip() == ("<https://w3id.org/policykg/id/s> <https://w3id.org/policykg/id/p> "
                                      '"1"^^<http://www.w3.org/2001/XMLSchema#integer> .')
    # only named-graph-uri given: the default graph is empty, GRAPH ?g sees only those graphs
    data = "http://kasei.us/2009/09/sparql/data/"
    names = httpx.post(protocol_endpoint + f"?named-graph-uri={data}data2.rdf", headers=direct,
                       content="SELECT ?g (COUNT(*) AS ?n) { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } } GROUP BY ?g")
    rows = {(b.get("g", {}).get("value"), b["n"]["value"]) for b in names.json()["results"]["bindings"]}
    assert rows == {(data + "data2.rdf", "1")}
    # no protocol dataset: the query's FROM counts (not the union of all graphs)
    from_clause = httpx.post(protocol_endpoint, headers=direct,
                             content=f"SELECT ?s FROM <{data}data3.rdf> {{ ?s a ?type }}")
    assert [b["s"]["value"] for b in from_clause.json()["results"]["bindings"]] == [data + "data3.rdf"]


# --------------------------------------------------------------------------- standard clients, real corpus
PLAN_ITEMS = f"PREFIX pol: <{POL}> SELECT (COUNT(?item) AS ?n) WHERE {{ ?item a pol:PlanItem }}"
ITEM_LABEL = f'SELECT ?label WHERE {{ <{ITEM_16}> <http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(LANG(?label) = "zh") }}'


def _wrapper(live_api: str, query: str, return_format: str, method: str | None = None):
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(live_api + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(return_format)
    if method:
        client.setMethod(method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # SPARQLWrapper warns about its own format choices
        return client.query().convert()


def test_sparqlwrapper_select_json(live_api: str) -> None:
    from SPARQLWrapper import JSON

    result = _wrapper(live_api, PLAN_ITEMS, JSON)
    assert result["results"]["bindings"][0]["n"]["value"] == "46"
    label = _wrapper(live_api, ITEM_LABEL, JSON)["results"]["bindings"]
    assert label == [{"label": {"type": "literal", "value": ITEM_16_ZH, "xml:lang": "zh"}}]


def test_sparqlwrapper_select_and_ask_xml(live_api: str) -> None:
    from SPARQLWrapper import XML

    document = _wrapper(live_api, ITEM_LABEL, XML)  # an xml.dom.minidom Document
    literal = document.getElementsByTagName("literal")[0]
    assert literal.getAttribute("xml:lang") == "zh" and literal.firstChild.data == ITEM_16_ZH
    ask = _wrapper(live_api, f"ASK {{ <{ITEM_16}> a <{POL}PlanItem> }}", XML)
    assert ask.getElementsByTagName("boolean")[0].firstChild.data == "true"
    ask_false = _wrapper(live_api, f"ASK {{ <{ITEM_16}> a <{POL}Indicator> }}", XML)
    assert ask_false.getElementsByTagName("boolean")[0].firstChild.data == "false"


def test_sparqlwrapper_ask_json(live_api: str) -> None:
    from SPARQLWrapper import JSON

    assert _wrapper(live_api, f"ASK {{ <{ITEM_16}> a <{POL}PlanItem> }}", JSON)["boolean"] is True


@pytest.mark.parametrize("return_format", ["xml", "rdf+xml", "turtle", "n3", "json-ld", "rdf"])
def test_sparqlwrapper_construct_to_rdflib(live_api: str, return_format: str) -> None:
    """Every return format SPARQLWrapper offers for graphs (``xml``, its default, sends format=xml)."""
    query = f"CONSTRUCT WHERE {{ <{ITEM_16}> ?p ?o }}"
    result = _wrapper(live_api, query, return_format)
    if isinstance(result, bytes):  # SPARQLWrapper hands Turtle/N3 back as text
        result = Graph().parse(data=result, format="turtle")
    labels = set(result.objects(URIRef(ITEM_16), URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
    assert Literal(ITEM_16_ZH, lang="zh") in labels and Literal(ITEM_16_EN, lang="en") in labels
    assert (URIRef(ITEM_16), RDF.type, URIRef(POL + "PlanItem")) in result


def test_sparqlwrapper_post(live_api: str) -> None:
    from SPARQLWrapper import JSON, POST, TSV

    result = _wrapper(live_api, PLAN_ITEMS, JSON, POST)
    assert result["results"]["bindings"][0]["n"]["value"] == "46"
    tsv = _wrapper(live_api, PLAN_ITEMS, TSV, POST)
    assert tsv.decode().splitlines() == ["?n", "46"]


def test_rdflib_sparqlstore(live_api: str) -> None:
    from rdflib import ConjunctiveGraph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # ConjunctiveGraph
        graph = ConjunctiveGraph(store=SPARQLStore(query_endpoint=live_api + "/sparql"))
        rows = list(graph.query(PLAN_ITEMS))
        assert [int(row[0]) for row in rows] == [46]
        labels = set(graph.objects(URIRef(ITEM_16), URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
        assert labels == {Literal(ITEM_16_ZH, lang="zh"), Literal(ITEM_16_EN, lang="en")}
        triples = list(graph.triples((URIRef(ITEM_16), RDF.type, None)))
        assert (URIRef(ITEM_16), RDF.type, URIRef(POL + "PlanItem")) in triples
        assert {str(g.identifier) for g in graph.contexts()} == {GRAPH + n for n in ("asserted", "inferred", "curated")}
        assert graph.query(f"ASK {{ <{ITEM_16}> a <{POL}PlanItem> }}").askAnswer is True
        constructed = graph.query(f"CONSTRUCT WHERE {{ <{ITEM_16}> ?p ?o }}").graph
        assert (URIRef(ITEM_16), RDF.type, URIRef(POL + "PlanItem")) in constructed


def test_rdflib_sparqlstore_json_results(live_api: str) -> None:
    from rdflib import Graph as RdflibGraph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = RdflibGraph(store=SPARQLStore(query_endpoint=live_api + "/sparql", returnFormat="json"))
    assert [row[0] for row in graph.query(ITEM_LABEL)] == [Literal(ITEM_16_ZH, lang="zh")]


# --------------------------------------------------------------------------- negotiation and datasets (TestClient)
SELECT_ITEMS = f"PREFIX pol: <{POL}> SELECT ?item WHERE {{ ?item a pol:PlanItem }} ORDER BY ?item LIMIT 3"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/sparql-results+json;q=0.1, text/tab-separated-values;q=0.9", "text/tab-separated-values"),
        ("text/*", "text/csv"),
        ("*/*", "application/sparql-results+json"),
        ("application/json", "application/json"),
        ("application/xml;q=0.9, text/csv;q=0", "application/xml"),
    ],
)
def test_accept_with_q_values(api, accept: str, expected: str) -> None:
    response = api.get("/sparql", params={"query": SELECT_ITEMS}, headers={"accept": accept})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == expected
    assert "Accept" in response.headers["vary"]
    parsed_format = {"text/csv": None, "text/tab-separated-values": QueryResultsFormat.TSV,
                     "application/json": QueryResultsFormat.JSON}.get(expected, TABULAR_TYPES.get(expected))
    if parsed_format is not None:
        assert len(list(parse_query_results(response.content, format=parsed_format))) == 3


@pytest.mark.parametrize(
    ("format_name", "media"),
    [("tsv", "text/tab-separated-values"), ("csv", "text/csv"), ("xml", "application/sparql-results+xml"),
     ("json", "application/sparql-results+json"), ("text/tab-separated-values", "text/tab-separated-values")],
)
def test_format_parameter(api, format_name: str, media: str) -> None:
    response = api.get("/sparql", params={"query": SELECT_ITEMS, "format": format_name},
                       headers={"accept": "application/sparql-results+json"})  # format= wins
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
    if media == "text/tab-separated-values":
        lines = response.text.splitlines()
        assert lines[0] == "?item" and lines[1] == "<https://w3id.org/policykg/id/item/1>" and len(lines) == 4


def test_format_parameter_in_a_form_body(api) -> None:
    response = api.post("/sparql", data={"query": SELECT_ITEMS, "format": "csv"})
    assert response.status_code == 200 and response.text.splitlines()[0] == "item"


def test_unknown_format_parameter_is_400(api) -> None:
    response = api.get("/sparql", params={"query": SELECT_ITEMS, "format": "excel"})
    assert response.status_code == 400 and "excel" in response.json()["error"]


@pytest.mark.parametrize(("query", "accept"), [(SELECT_ITEMS, "image/png"), (SELECT_ITEMS, "text/turtle"),
                                                (f"CONSTRUCT WHERE {{ <{ITEM_16}> ?p ?o }}", "text/csv")])
def test_nothing_acceptable_is_406_listing_the_supported_types(api, query: str, accept: str) -> None:
    response = api.get("/sparql", params={"query": query}, headers={"accept": accept})
    assert response.status_code == 406 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    expected = "text/turtle" if query.startswith("CONSTRUCT") else "application/sparql-results+json"
    assert body["error"] and expected in body["supported"] and accept not in body["supported"]


@pytest.mark.parametrize(("media", "rdflib_format"), list(RDF_TYPES.items()) + [("application/ld+json", "json-ld")])
@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_graph_results_parse_with_rdflib(api, media: str, rdflib_format: str, form: str) -> None:
    query = f"CONSTRUCT WHERE {{ <{ITEM_16}> ?p ?o }}" if form == "CONSTRUCT" else f"DESCRIBE <{ITEM_16}>"
    response = api.get("/sparql", params={"query": query}, headers={"accept": media})
    assert response.status_code == 200 and response.headers["content-type"].split(";")[0] == media
    graph = Graph().parse(data=response.content, format=rdflib_format)
    assert (URIRef(ITEM_16), URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal(ITEM_16_ZH, lang="zh")) in graph
    assert (URIRef(ITEM_16), URIRef(POL + "number"), Literal(16)) in graph


def _labels(api, item: str = ITEM_16, **params) -> set[tuple[str, str]]:
    query = f"SELECT ?label WHERE {{ <{item}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
    response = api.get("/sparql", params={"query": query, **params})
    assert response.status_code == 200, response.text
    return {(b["label"]["value"], b["label"].get("xml:lang")) for b in response.json()["results"]["bindings"]}


def test_default_graph_uri_restricts_the_default_graph(api) -> None:
    """Item titles are in Chinese in the asserted graph; their English translations are curated."""
    assert _labels(api) == {(ITEM_16_ZH, "zh"), (ITEM_16_EN, "en")}
    assert _labels(api, **{"default-graph-uri": GRAPH + "curated"}) == {(ITEM_16_EN, "en")}
    assert _labels(api, **{"default-graph-uri": GRAPH + "asserted"}) == {(ITEM_16_ZH, "zh")}
    both = {"default-graph-uri": [GRAPH + "asserted", GRAPH + "curated"]}
    assert _labels(api, **both) == {(ITEM_16_ZH, "zh"), (ITEM_16_EN, "en")}
    languages = api.get("/sparql", params={
        "query": "SELECT DISTINCT (LANG(?l) AS ?lang) WHERE { ?s rdfs:label ?l } ORDER BY ?lang",
        "default-graph-uri": GRAPH + "curated"}).json()["results"]["bindings"]
    assert "zh" not in {b["lang"]["value"] for b in languages}


def test_named_graph_uri_restricts_graph_variables(api) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"

    def graphs(**params) -> list[str]:
        response = api.get("/sparql", params={"query": query, **params})
        assert response.status_code == 200, response.text
        return [b["g"]["value"] for b in response.json()["results"]["bindings"]]

    assert graphs() == [GRAPH + "asserted", GRAPH + "curated", GRAPH + "inferred"]
    assert graphs(**{"named-graph-uri": GRAPH + "inferred"}) == [GRAPH + "inferred"]
    assert graphs(**{"named-graph-uri": [GRAPH + "curated", GRAPH + "asserted"]}) == [GRAPH + "asserted",
                                                                                       GRAPH + "curated"]
    # given only named graphs, the protocol's dataset has an empty default graph
    assert _labels(api, **{"named-graph-uri": GRAPH + "curated"}) == set()


def test_a_bad_graph_iri_is_400(api) -> None:
    response = api.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"})
    assert response.status_code == 400 and "not an IRI" in response.json()["error"]


def test_relative_iris_resolve_against_the_resource_namespace(api) -> None:
    response = api.get("/sparql", params={"query": "ASK { <item/16> a pol:PlanItem }"})
    assert response.json()["boolean"] is True


def test_service_description(api) -> None:
    response = api.get("/sparql", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = graph.value(predicate=RDF.type, object=sd.Service)
    assert service is not None and graph.value(service, sd.endpoint) == URIRef("http://testserver/sparql")
    assert sd.SPARQL11Query in set(graph.objects(service, sd.supportedLanguage))


def test_errors_are_json_everywhere(api) -> None:
    for response in (api.put("/sparql", params={"query": "ASK {}"}),
                     api.post("/sparql", content=b"ASK {}", headers={"content-type": "application/sparql-query; charset=latin-1"}),
                     api.post("/sparql", content="ASK {}".encode("utf-16"),
                              headers={"content-type": "application/sparql-query"})):
        assert 400 <= response.status_code < 500 and json.loads(response.text)["error"]
