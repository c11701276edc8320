"""Bad input (issue 6): every way a user can send something wrong, answered with the exact status and a message.

Organised by surface, each a table of cases:

* ``/sparql``: malformed queries (line and column), updates however they are
  sent, SERVICE (to a loopback listener that counts connections, and to other
  IRIs, refused by reading the query, never tried), LOAD, a 1 MB query, deep
  nesting, long chains, a cartesian product (stopped at the time limit), a
  huge LIMIT (answered, cut at the row cap), wrong Accept, wrong or missing
  content type, bodies that are not UTF-8;
* ``/id/{kind}/{slug}``: unknown ids (404 with close matches), dot segments
  hidden in percent-encoding, invisible characters, bytes that are not UTF-8,
  10 kB ids, unknown kinds;
* ``/queries/{name}``: values of the wrong type or outside the enum, missing
  or misspelt parameters, injection attempts (refused, or bound as one literal:
  the store is unchanged and no extra row appears);
* the build: sources that are not UTF-8 (GBK, UTF-16), full-width digits in
  item numbers (accepted, offsets kept), a duplicated item, missing or broken
  chapter headings: each a :class:`SourceError`/:class:`ParseError` naming the
  file and line, and ``policykg build`` exits 2 with it and leaves ``dist/``
  as it was.

Cases already covered elsewhere are not repeated here: the W3C protocol's bad
requests (``test_sparql_protocol.py``), the first refusals and the 413 just
over the limit (``test_query_limits.py``), the id checks of
``test_entities.py`` and the parser cases of ``test_parse_plan.py``.
Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from policykg.api.app import create_app
from policykg.api.settings import Settings
from policykg.api.sparql_guard import MAX_CHAINED, MAX_NESTING
from policykg.build import sources as sources_module
from policykg.build.parse_plan import parse_plan
from policykg.build.sources import MANIFEST, SourceText, load_corpus
from policykg.cli import main
from policykg.errors import ParseError, SourceError
from policykg.resources import sources_dir
from test_query_limits import ConnectionCounter

COPY_A = "000_2a1e229b78a33fef.txt"
PAGE_3 = "001_42e14eb1134fccac.txt"
COPY_B = "002_b55960e92c6e2bf2.txt"
TIME_LIMIT = 1.0
ROW_CAP = 50
JSON_RESULTS = "application/sparql-results+json"
SPARQL_QUERY = {"content-type": "application/sparql-query"}
POL = "https://w3id.org/policykg/ontology#"
ID = "https://w3id.org/policykg/id/"


# =========================================================================== /sparql
@pytest.fixture(scope="module")
def limited(dist_dir: Path) -> Iterator[TestClient]:
    """Its own app: one worker, a 1 s limit and a 50-row cap (the session's shared app is never disturbed)."""
    settings = Settings(data=dist_dir / "policykg.trig", query_timeout=TIME_LIMIT, workers=1, max_rows=ROW_CAP)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def worker_calls(limited: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries the app hands to its /sparql worker pool: a refused query must never be among them."""
    pool = limited.app.state.services.backend.public
    calls: list[str] = []
    original = pool.call

    def recording(function, *args, **kwargs):
        calls.append(args[0] if args else "")
        return original(function, *args, **kwargs)

    monkeypatch.setattr(pool, "call", recording)
    return calls


@pytest.fixture
def listener() -> Iterator[ConnectionCounter]:
    """A loopback listener that counts connections (``test_query_limits.py`` checks that it does count)."""
    counter = ConnectionCounter()
    yield counter
    counter.close()


def _send(client: TestClient, how: str, query: str, **extra):
    """One query sent the way ``how`` names: GET, a POST form, or a direct POST body."""
    if how == "get":
        return client.get("/sparql", params={"query": query}, **extra)
    if how == "form":
        return client.post("/sparql", data={"query": query}, **extra)
    return client.post("/sparql", content=query.encode("utf-8"), headers=SPARQL_QUERY, **extra)


MALFORMED = [
    pytest.param("SELECT ?s WHERE {\n  ?s ?p ?o\n} ORDER BY", "3:11", id="order-by-without-condition"),
    pytest.param('ASK {\n  ?s ?p "unterminated\n}', "2:22", id="unterminated-string"),
]


@pytest.mark.parametrize(("query", "where"), MALFORMED)
@pytest.mark.parametrize("how", ["get", "form", "direct"])
def test_a_malformed_query_names_line_and_column(limited: TestClient, how: str, query: str, where: str) -> None:
    response = _send(limited, how, query)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"SPARQL syntax error: error at {where}:")


UPDATE = "DELETE WHERE { ?s ?p ?o }"
UPDATES = [
    pytest.param("GET", {"params": {"query": UPDATE}}, "DELETE: SPARQL Update is refused", id="get-query"),
    pytest.param("GET", {"params": {"update": "CLEAR ALL"}}, "SPARQL Update is refused", id="get-update"),
    pytest.param("POST", {"data": {"query": "DROP ALL"}}, "DROP: SPARQL Update is refused", id="form-query"),
    pytest.param("POST", {"data": {"update": UPDATE}}, "SPARQL Update is refused", id="form-update"),
    pytest.param("POST", {"content": UPDATE, "headers": {"content-type": "application/sparql-update"}},
                 "SPARQL Update is refused", id="sparql-update-body"),
    pytest.param("POST", {"content": "PREFIX x: <urn:x#>\nwith <urn:g> delete { ?s ?p ?o } where { ?s ?p ?o }",
                          "headers": SPARQL_QUERY}, "WITH: SPARQL Update is refused", id="lower-case-with"),
    pytest.param("GET", {"params": {"query": "ASK {} ; INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
                 "INSERT: SPARQL Update is refused", id="query-then-update"),
]


@pytest.mark.parametrize(("method", "request_args", "message"), UPDATES)
def test_updates_are_refused_unrun(limited: TestClient, worker_calls: list[str], method: str,
                                   request_args: dict, message: str) -> None:
    response = limited.request(method, "/sparql", **request_args)
    assert response.status_code == 400 and response.headers["content-type"].startswith("application/json")
    assert message in response.json()["error"] and "read-only" in response.json()["error"]
    assert worker_calls == []


SERVICE_REFUSED = "SERVICE (federated query) is refused: queries here never fetch from other servers"


def _loopback_services(port: int) -> list[tuple[str, str]]:
    endpoint = f"http://127.0.0.1:{port}/sparql"
    return [
        ("get", f"SELECT * WHERE {{ service <{endpoint}> {{ ?s ?p ?o }} }}"),
        ("form", f"SELECT * WHERE {{ SERVICE SILENT <{endpoint}> {{ ?s ?p ?o }} }}"),
        ("direct", f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ {{ SeRvIcE <{endpoint}> {{ ?s ?q ?r }} }} }} }}"),
        ("direct", f"PREFIX remote: <http://127.0.0.1:{port}/>\nSELECT * WHERE {{ SERVICE remote:sparql {{ ?s ?p ?o }} }}"),
        ("get", f"SELECT * WHERE {{ VALUES ?endpoint {{ <{endpoint}> }} SERVICE ?endpoint {{ ?s ?p ?o }} }}"),
        ("form", f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE # a comment\n<{endpoint}> {{ ?s ?p ?o }} }} }} }}"),
    ]


def test_service_to_a_loopback_listener_never_connects(limited: TestClient, worker_calls: list[str],
                                                       listener: ConnectionCounter) -> None:
    """Every spelling of SERVICE is refused before a worker is asked, so nothing ever connects to the listener."""
    for how, query in _loopback_services(listener.port):
        response = _send(limited, how, query)
        assert response.status_code == 400, (query, response.text)
        assert response.json()["error"] == SERVICE_REFUSED
    time.sleep(0.2)  # time enough for a connection, had one been attempted
    assert listener.connections == 0 and worker_calls == []


@pytest.mark.parametrize("endpoint", [
    pytest.param("http://example.org/sparql", id="example-org"),
    pytest.param("https://query.wikidata.org/sparql", id="wikidata"),
    pytest.param("http://169.254.169.254/latest/meta-data/", id="cloud-metadata"),
    pytest.param("file:///etc/passwd", id="file"),
    pytest.param("http://[::1]:8000/sparql", id="ipv6-loopback"),
])
def test_service_to_other_iris_is_refused_by_reading_the_query(limited: TestClient, worker_calls: list[str],
                                                               endpoint: str) -> None:
    """Never tried: the guard reads the query, so the refusal comes before any worker (or network) sees it."""
    response = limited.get("/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}"})
    assert response.status_code == 400 and response.json()["error"] == SERVICE_REFUSED
    assert worker_calls == []


@pytest.mark.parametrize("query", [
    pytest.param("LOAD <http://127.0.0.1:9/data.ttl>", id="load"),
    pytest.param("load silent <file:///etc/passwd> into graph <urn:g>", id="load-silent-into"),
])
def test_load_is_refused(limited: TestClient, worker_calls: list[str], query: str) -> None:
    response = limited.post("/sparql", content=query, headers=SPARQL_QUERY)
    assert response.status_code == 400
    assert response.json()["error"] == "LOAD is refused: the graph is read-only and nothing is fetched"
    assert worker_calls == []


MEGABYTE = 1024 * 1024


@pytest.mark.parametrize("how", ["form", "direct"])
def test_a_1_mb_query_is_413_unread(limited: TestClient, worker_calls: list[str], how: str) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * MEGABYTE
    response = _send(limited, how, query)
    assert response.status_code == 413
    assert re.fullmatch(r"the request is 1,0\d\d,\d{3} bytes; the limit for a query is 102,400 bytes",
                        response.json()["error"]), response.json()["error"]
    assert worker_calls == []


def _nested(levels: int) -> str:
    return "SELECT * WHERE " + "{ " * levels + "?s ?p ?o" + " }" * levels + " LIMIT 1"


SHAPES = [
    pytest.param(_nested(500), r"the query nests more than 128 levels deep at line 1, column 272 ", id="500-groups"),
    pytest.param("ASK {\n  FILTER(" + "(" * 5000 + "true" + ")" * 5000 + ")\n}",
                 r"nests more than 128 levels deep at line 2, column 136 ", id="5000-parentheses"),
    pytest.param("ASK { FILTER(" + "!" * 5000 + "true) }", r"nests more than 128 levels deep", id="5000-nots"),
    pytest.param("SELECT * WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(3500)) + " }",
                 r"the query has 3,500 OPTIONAL, MINUS and BIND clauses; at most 1,000 are accepted", id="3500-binds"),
    pytest.param("SELECT * WHERE { ?s " + "/".join([f"<{POL}chapter>"] * 2000) + " ?o }",
                 r"2,000 arithmetic or path operators \(\+ - \* /\); at most 1,000", id="2000-step-path"),
]


@pytest.mark.parametrize(("query", "message"), SHAPES)
def test_queries_that_would_overflow_the_engine_are_refused(limited: TestClient, worker_calls: list[str],
                                                            query: str, message: str) -> None:
    """Each of these (all under 100 KB) crashes oxigraph with a stack overflow if it runs (measured: a
    worker dies, ``policykg query`` segfaults); refused, with where and why, before a worker sees it."""
    response = limited.post("/sparql", content=query, headers=SPARQL_QUERY)
    assert response.status_code == 400
    assert re.search(message, response.json()["error"]), response.json()["error"]
    assert worker_calls == []


def test_policykg_query_refuses_them_too(dist_dir: Path, capsys: pytest.CaptureFixture) -> None:
    """The command line runs queries in its own process: 3,000 nested groups used to end it with SIGSEGV."""
    code = main(["query", _nested(3000), "--data", str(dist_dir / "policykg.trig")])
    assert code == 2
    assert capsys.readouterr().err.startswith(
        "policykg query: the query nests more than 128 levels deep at line 1, column 272 ")


def test_nesting_up_to_the_limit_still_runs(limited: TestClient) -> None:
    """The control for the refusals above: 128 levels are a query like any other, 129 are not."""
    assert MAX_NESTING == 128 and MAX_CHAINED == 1000
    response = limited.get("/sparql", params={"query": _nested(MAX_NESTING)})
    assert response.status_code == 200 and len(response.json()["results"]["bindings"]) == 1
    assert limited.get("/sparql", params={"query": _nested(MAX_NESTING + 1)}).status_code == 400
    binds = "SELECT * WHERE { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(MAX_CHAINED)) + " } LIMIT 1"
    assert limited.post("/sparql", content=binds, headers=SPARQL_QUERY).status_code == 200


def test_a_cartesian_product_is_stopped_at_the_time_limit(limited: TestClient) -> None:
    """Sorting the cube of the graph cannot stream: it runs until the worker is killed at the limit."""
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
    started = time.monotonic()
    response = limited.get("/sparql", params={"query": query})
    elapsed = time.monotonic() - started
    assert response.status_code == 503 and response.headers["retry-after"]
    assert response.json()["error"].startswith(f"the query ran longer than the {TIME_LIMIT:g} s limit and was stopped")
    assert TIME_LIMIT * 0.9 <= elapsed <= TIME_LIMIT + 3, f"answered after {elapsed:.2f} s"
    # the worker killed was replaced: the next query is answered
    assert limited.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True


def test_a_huge_limit_is_answered_and_cut_at_the_row_cap(limited: TestClient) -> None:
    response = limited.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1000000000000000000"})
    assert response.status_code == 200 and response.headers["x-sparql-maxrows"] == str(ROW_CAP)
    assert len(response.json()["results"]["bindings"]) == ROW_CAP


@pytest.mark.parametrize("clause", ["LIMIT", "OFFSET"])
def test_a_limit_past_64_bits_is_a_syntax_error_naming_the_column(limited: TestClient, clause: str) -> None:
    query = f"SELECT * WHERE {{ ?s ?p ?o }} {clause} {10 ** 30}"
    response = limited.get("/sparql", params={"query": query})
    assert response.status_code == 400
    column = len(query) + 1  # oxigraph points just past the number it cannot hold
    assert response.json()["error"].startswith(f"SPARQL syntax error: error at 1:{column}:")
    assert f"query {clause.lower()} should be a non negative integer" in response.json()["error"]


ACCEPTS = [
    pytest.param("ASK {}", "image/png", JSON_RESULTS, id="select-as-png"),
    pytest.param("ASK {}", "text/turtle", "text/csv", id="ask-as-turtle"),
    pytest.param("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", JSON_RESULTS, "text/turtle", id="construct-as-results"),
    pytest.param("DESCRIBE <https://w3id.org/policykg/id/item/16>", "text/csv;q=1, application/json", "text/turtle",
                 id="describe-as-csv"),
]


@pytest.mark.parametrize(("query", "accept", "offered"), ACCEPTS)
def test_an_unacceptable_accept_is_406_naming_what_is_offered(limited: TestClient, query: str, accept: str,
                                                              offered: str) -> None:
    response = limited.get("/sparql", params={"query": query}, headers={"accept": accept})
    assert response.status_code == 406
    body = response.json()
    assert offered in body["supported"] and accept not in body["supported"]
    assert body["error"].startswith(f"none of the media types in Accept ({accept}) is offered here; offered: ")
    assert offered in body["error"]


def test_an_unknown_format_name_is_400(limited: TestClient) -> None:
    response = limited.get("/sparql", params={"query": "ASK {}", "format": "pdf"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("format='pdf' is neither a media type nor one of ")


BODIES = [
    pytest.param({"content": "ASK {}", "headers": {"content-type": "text/plain"}}, 415,
                 "POST a query as application/x-www-form-urlencoded or application/sparql-query, not text/plain",
                 id="text-plain"),
    pytest.param({"content": '{"query": "ASK {}"}', "headers": {"content-type": "application/json"}}, 415,
                 "POST a query as application/x-www-form-urlencoded or application/sparql-query, not application/json",
                 id="json"),
    pytest.param({"content": b"ASK {}"}, 415,
                 "POST a query as application/x-www-form-urlencoded or application/sparql-query, with its "
                 "Content-Type header (this request has none)", id="no-content-type"),
    pytest.param({"content": 'ASK { ?s ?p "工会" }'.encode("gbk"), "headers": SPARQL_QUERY}, 400,
                 "the request body is not UTF-8 (byte 0xB9 at offset 13); the SPARQL protocol takes UTF-8 text only",
                 id="gbk-body"),
    pytest.param({"content": "ASK {}".encode("utf-16"), "headers": SPARQL_QUERY}, 400,
                 "the request body is not UTF-8 (byte 0xFF at offset 0); the SPARQL protocol takes UTF-8 text only",
                 id="utf-16-body"),
    pytest.param({"content": b"query=ASK%20%7B%7D%20%23%FF", "headers": {"content-type": "application/x-www-form-urlencoded"}},
                 400, "the form body has percent-encoded bytes that are not UTF-8", id="form-percent-ff"),
    pytest.param({"content": b"ASK {}", "headers": {"content-type": "application/sparql-query; charset=latin1"}},
                 400, "the request body is declared latin1; the SPARQL protocol takes UTF-8 only", id="declared-latin1"),
]


@pytest.mark.parametrize(("request_args", "status", "message"), BODIES)
def test_bad_post_bodies(limited: TestClient, worker_calls: list[str], request_args: dict, status: int,
                         message: str) -> None:
    response = limited.post("/sparql", **request_args)
    assert response.status_code == status
    assert response.json()["error"].startswith(message), response.json()["error"]
    assert worker_calls == []


def test_a_query_string_that_is_not_utf8(limited: TestClient) -> None:
    response = limited.get("/sparql?query=ASK%20%7B%7D%20%23%C3%28")
    assert response.status_code == 400
    assert response.json()["error"].startswith("the query string has percent-encoded bytes that are not UTF-8")


def test_a_graph_parameter_that_is_not_an_iri(limited: TestClient) -> None:
    response = limited.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"})
    assert response.status_code == 400
    assert response.json()["error"] == ("not an IRI: 'not an iri' (default-graph-uri and named-graph-uri take "
                                        "absolute IRIs)")


# =========================================================================== /id/{kind}/{slug}
UNKNOWN_IDS = [
    pytest.param("/id/body/acftuu", "no resource body/acftuu", "/id/body/acftu", id="misspelt-slug"),
    pytest.param("/id/item/%EF%BC%91%EF%BC%96", "no resource item/１６; did you mean item/16?", "/id/item/16",
                 id="full-width-digits"),
    pytest.param("/id/Population/Couriers", "no resource Population/Couriers; did you mean population/couriers?",
                 "/id/population/couriers", id="upper-case"),
    pytest.param("/id/nosuchkind/16", "no resource nosuchkind/16: there is no kind 'nosuchkind' (kinds: body, ", None,
                 id="unknown-kind"),
    pytest.param("/id/item/%F0%9F%98%80", "no resource item/😀", None, id="emoji"),
]


@pytest.mark.parametrize(("path", "message", "first_match"), UNKNOWN_IDS)
def test_unknown_ids_are_404_with_close_matches(api: TestClient, path: str, message: str,
                                                first_match: str | None) -> None:
    response = api.get(path)
    assert response.status_code == 404
    body = response.json()
    assert body["error"].startswith(message), body["error"]
    if first_match is not None:
        assert body["close_matches"][0] == first_match
    if "no kind" in message:
        assert "item, " in body["error"] and "population, " in body["error"]


BAD_IDS = [
    pytest.param("/id/item/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "the id contains a dot segment", id="encoded-dot-dot-slash"),
    pytest.param("/id/%2e%2e%2fid/item/16", "the id contains a dot segment", id="encoded-dot-dot-slash-in-kind"),
    pytest.param("/id/item/16%2f%2e%2e", "the id contains a dot segment", id="trailing-encoded-dot-dot"),
    pytest.param("/id/item/%E2%80%AE61", "invisible formatting character (U+202E RIGHT-TO-LEFT OVERRIDE)",
                 id="right-to-left-override"),
    pytest.param("/id/item/1%E2%80%8B6", "invisible formatting character (U+200B ZERO WIDTH SPACE)", id="zero-width-space"),
    pytest.param("/id/item/%EF%BB%BF16", "invisible formatting character (U+FEFF ZERO WIDTH NO-BREAK SPACE)",
                 id="byte-order-mark"),
    pytest.param("/id/item/16%09", "control character (U+0009", id="tab"),
    pytest.param("/id/item/%ff", "percent-encoded bytes that are not UTF-8 (byte 0xFF)", id="percent-ff"),
    pytest.param("/id/item/%C0%AF", "percent-encoded bytes that are not UTF-8 (byte 0xC0)", id="overlong-slash"),
    pytest.param("/id/item/%ED%A0%80", "percent-encoded bytes that are not UTF-8 (byte 0xED)", id="surrogate"),
    pytest.param("/id/item/" + "a" * 10_000, "the id is 10,005 characters long; ids are at most 200", id="10-kB-ascii"),
    pytest.param("/id/item/" + "%E5%B7%A5" * 3_400, "the id is 3,405 characters long; ids are at most 200",
                 id="10-kB-utf8"),
    pytest.param("/id/item/16%7C%7Cx", "'|' (U+007C VERTICAL LINE), which an IRI path does not allow", id="pipe"),
]


@pytest.mark.parametrize(("path", "message"), BAD_IDS)
def test_bad_ids_are_400_naming_the_problem(api: TestClient, path: str, message: str) -> None:
    response = api.get(path)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]


# =========================================================================== /queries/{name}
PARAMETERS = [
    pytest.param("item-measures", {"item_number": "abc"}, "item_number: Input should be a valid integer",
                 id="integer-abc"),
    pytest.param("item-measures", {"item_number": "16.5"}, "item_number: Input should be a valid integer",
                 id="integer-fraction"),
    pytest.param("item-measures", {"item_number": "9" * 5000}, "item_number: Unable to parse input string as an "
                 "integer, exceeded maximum size", id="integer-5000-digits"),
    pytest.param("item-measures", {}, "item_number: Field required", id="missing-required"),
    pytest.param("item-measures", {"item": "16"}, "item_number: Field required", id="misspelt-required"),
    pytest.param("indicators", {"categry": f"{ID}category/rights"},
                 "unknown parameter categry for indicators (its parameters: category, due;", id="misspelt-optional"),
    pytest.param("items-by-body", {"body": f"{ID}body/acftu", "role": "boss"},
                 f"role: Input should be '{POL}LeadRole', '{POL}PartnerRole'", id="out-of-enum-iri"),
    pytest.param("search", {"q": "快递", "kind": "planet"}, "kind: Input should be 'item', 'measure'",
                 id="out-of-enum-string"),
    pytest.param("indicators", {"due": "2025-13-45"}, "due: Value error, '2025-13-45' is not a calendar date",
                 id="impossible-date"),
    pytest.param("indicators", {"due": "31/12/2025"}, "due: String should match pattern", id="date-format"),
    pytest.param("items-serving-population", {"population": "couriers"}, "population: String should match pattern",
                 id="relative-iri"),
]


@pytest.mark.parametrize(("name", "params", "message"), PARAMETERS)
def test_bad_parameters_are_422_naming_the_parameter(api: TestClient, name: str, params: dict, message: str) -> None:
    response = api.get(f"/queries/{name}", params=params)
    assert response.status_code == 422, response.text
    assert message in response.json()["error"], response.json()["error"]


# (query, parameters, the parameter a 422 must name, or None where the value is bound and matches nothing)
INJECTIONS = [
    pytest.param("item-measures", {"item_number": "16 } ; DROP ALL #"}, "item_number", id="integer-drop-all"),
    pytest.param("search", {"q": '"> . ?s ?p ?o'}, None, id="string-close-and-widen"),
    pytest.param("search", {"q": '快递" } UNION { ?resource ?p ?label } #'}, None, id="string-union"),
    pytest.param("search", {"q": "\x00"}, None, id="string-nul"),
    pytest.param("items-serving-population", {"population": f'{ID}population/couriers"> . ?s ?p ?o'}, "population",
                 id="iri-close-and-widen"),
    pytest.param("indicators", {"due": '2025-12-31"^^<urn:x> } #'}, "due", id="date-drop-out"),
    pytest.param("search", {"q": "快递", "kind": "item } ; CLEAR ALL #"}, "kind", id="enum-clear-all"),
]


def _quads(api: TestClient) -> tuple[int, int]:
    """Quads in the in-process store (named queries run there) and as /sparql's worker counts them."""
    counted = api.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"})
    return len(api.app.state.services.backend.store), int(counted.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(("name", "params", "refused"), INJECTIONS)
def test_injection_is_refused_or_bound_as_one_literal(api: TestClient, name: str, params: dict,
                                                      refused: str | None) -> None:
    before = _quads(api)
    response = api.get(f"/queries/{name}", params=params)
    if refused is not None:
        assert response.status_code == 422 and response.json()["error"].startswith(f"invalid request: {refused}: ")
    else:  # the text is one literal: nothing matches it, no row is added
        assert response.status_code == 200 and response.json()["rows"] == []
    assert _quads(api) == before and before[0] == before[1] > 0
    # the query still answers as before for an honest value
    assert len(api.get("/queries/item-measures", params={"item_number": 16}).json()["rows"]) == 8


# =========================================================================== the build
@pytest.fixture(scope="module")
def corpus() -> dict[str, SourceText]:
    return load_corpus()


def _with(corpus: dict[str, SourceText], name: str, text: str) -> dict[str, SourceText]:
    """The corpus with one file's text replaced (the parse stage's input; hashes are the load stage's business)."""
    assert text != corpus[name].text, "the change did not apply"
    return {**corpus, name: replace(corpus[name], text=text)}


def _line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


# Each damage: (the file changed, its new text, the file and line the error must name).
Damage = tuple[str, str, str, int]


def _duplicated_item_16(corpus: dict[str, SourceText]) -> Damage:
    """Page 3 with item 16's paragraph (heading and text) printed twice: its text would be read twice."""
    text = corpus[PAGE_3].text
    start = text.index("16. 维护新就业形态劳动者合法权益。")
    end = text.index("\n", start)
    changed = text[:end] + "\n" + text[start:end] + text[end:]
    return PAGE_3, changed, PAGE_3, _line_of(text, "16. 维护新就业形态劳动者合法权益。") + 1


def _chapter_7_missing_in_copy_a(corpus: dict[str, SourceText]) -> Damage:
    """Copy A's table of contents without chapter 7's heading: its items fall into chapter 6 there, and
    copy B's entry for item 23 (read second) disagrees."""
    heading = "七、构建和谐劳动关系，推动共建共治共享社会治理\n"
    text = corpus[COPY_A].text.replace(heading, "", 1)
    return COPY_A, text, COPY_B, _line_of(corpus[COPY_B].text, "- 23.")


def _chapter_without_items(corpus: dict[str, SourceText]) -> Damage:
    """Page 3's body heading of chapter 5 renumbered 十三: a chapter the table of contents does not have."""
    text = corpus[PAGE_3].text
    heading = "五、高举维护职工合法权益旗帜"
    return PAGE_3, text.replace(heading, "十三、高举维护职工合法权益旗帜", 1), PAGE_3, _line_of(text, heading)


def _chapter_numeral_not_a_number(corpus: dict[str, SourceText]) -> Damage:
    text = corpus[PAGE_3].text
    heading = "五、高举维护职工合法权益旗帜"
    return PAGE_3, text.replace(heading, "五五、高举维护职工合法权益旗帜", 1), PAGE_3, _line_of(text, heading)


def _toc_entry_without_title(corpus: dict[str, SourceText]) -> Damage:
    """Copy A's table-of-contents entry for item 17 cut after its number (no continuation follows)."""
    text = corpus[COPY_A].text
    entry = "17.做好农民工维权服务工作。"
    return COPY_A, text.replace(entry, "17.", 1), COPY_A, _line_of(text, entry)


PARSE_ERRORS = [
    pytest.param(_toc_entry_without_title, r"^table-of-contents entry '17\.' has no title$", id="toc-entry-without-title"),
    pytest.param(_duplicated_item_16, r"item 16 has a second heading in this file \('16\. 维护新就业形态劳动者合法权益。配合人社"
                 r"部门研究制定维'; the first is on line 17\): a duplicated or misnumbered paragraph", id="duplicated-item"),
    pytest.param(_chapter_7_missing_in_copy_a, rf"the table of contents puts item 23 in chapter 7, but {COPY_A} \(line "
                 r"\d+\) puts it in chapter 6: a chapter heading is missing or misplaced", id="chapter-missing-in-one-copy"),
    pytest.param(_chapter_without_items, r"chapter heading '十三、高举维护职工合法权益旗帜.*': the table of contents has no "
                 r"chapter 13$", id="chapter-without-items"),
    pytest.param(_chapter_numeral_not_a_number, r"chapter heading '五五、.*': '五五' is not a chapter number",
                 id="chapter-numeral"),
]


@pytest.mark.parametrize(("damage", "message"), PARSE_ERRORS)
def test_parse_errors_name_file_and_line(corpus: dict[str, SourceText], damage, message: str) -> None:
    name, text, where, line = damage(corpus)
    with pytest.raises(ParseError) as failure:
        parse_plan(_with(corpus, name, text))
    error = failure.value
    assert (error.file, error.line) == (where, line), str(error)
    assert re.search(message, error.problem), error.problem
    assert str(error).startswith(f"{where}, line {line}: ")


def test_a_plan_file_of_white_space_is_a_parse_error(corpus: dict[str, SourceText]) -> None:
    with pytest.raises(ParseError, match=rf"^{PAGE_3}: the file has no text, only white space$"):
        parse_plan(_with(corpus, PAGE_3, " \n\u3000\n"))


def test_full_width_digits_in_item_numbers_are_read_and_the_source_kept(corpus: dict[str, SourceText]) -> None:
    """"１７．" in copy A's table of contents and "１．" in page 3's indicator table read as 17 and 1; the
    source text is not rewritten (no NFKC), so every span still quotes the raw file."""
    plan = parse_plan(corpus)
    toc = corpus[COPY_A].text.replace("17.做好农民工维权服务工作。", "１７．做好农民工维权服务工作。", 1)
    table = corpus[PAGE_3].text.replace("1.劳模选树管理\t", "１.劳模选树管理\t", 1)
    changed = _with(_with(corpus, COPY_A, toc), PAGE_3, table)
    reparsed = parse_plan(changed)
    assert [(i.number, i.title, i.chapter) for i in reparsed.items] == [(i.number, i.title, i.chapter) for i in plan.items]
    seventeen = reparsed.items[16]
    assert seventeen.title == "做好农民工维权服务工作" and seventeen.text == plan.items[16].text
    for span in seventeen.title_spans + [m for s in seventeen.measures for m in s.spans]:
        assert changed[span.file].text[span.start:span.end] == span.quote
    row = next(r for t in reparsed.tables for r in t.rows if r.name == "劳模选树管理")
    assert row.number == 1 and row.span.quote.startswith("１.劳模选树管理\t")
    assert changed[PAGE_3].text[row.span.start:row.span.end] == row.span.quote


# ---- the same through `policykg build`: exit 2, the message, dist/ untouched
def _gbk(corpus: dict[str, SourceText]) -> tuple[str, bytes, str]:
    data = corpus[COPY_B].text.encode("gb18030")
    return COPY_B, data, (rf"{COPY_B}, line 3: not valid UTF-8 \(byte 0x[0-9a-f]{{2}} at byte offset \d+\); it decodes "
                          r"as GB18030/GBK, a Chinese legacy encoding: re-save it as UTF-8 \(e\.g\. iconv -f GB18030")


def _utf16(corpus: dict[str, SourceText]) -> tuple[str, bytes, str]:
    data = corpus[PAGE_3].text.encode("utf-16")
    return PAGE_3, data, (rf"{PAGE_3}, line 1: not valid UTF-8 \(byte 0xff at byte offset 0\); it starts with a "
                          r"UTF-16 byte-order mark: re-save it as UTF-8")


def _latin1_byte(corpus: dict[str, SourceText]) -> tuple[str, bytes, str]:
    """One Latin-1 "é" (0xE9) in an otherwise UTF-8 file, on line 40: not taken for GBK."""
    lines = corpus[PAGE_3].text.encode("utf-8").split(b"\n")
    lines[39] += b" caf\xe9"
    offset = len(b"\n".join(lines[:40])) - 1
    return PAGE_3, b"\n".join(lines), (rf"{PAGE_3}, line 40: not valid UTF-8 \(byte 0xe9 at byte offset {offset}\); "
                                       "the corpus must be vendored byte-identical from the UTF-8 originals")


def _as_bytes(damage):
    def damaged(corpus: dict[str, SourceText]) -> tuple[str, bytes, str]:
        name, text, where, line = damage(corpus)
        return name, text.encode("utf-8"), rf"{where}, line {line}: "
    damaged.__name__ = damage.__name__
    return damaged


BUILD_FAILURES = [
    pytest.param(_gbk, SourceError, id="gbk-source"),
    pytest.param(_utf16, SourceError, id="utf-16-source"),
    pytest.param(_latin1_byte, SourceError, id="latin-1-byte"),
    pytest.param(_as_bytes(_duplicated_item_16), ParseError, id="duplicated-item"),
    pytest.param(_as_bytes(_chapter_without_items), ParseError, id="chapter-without-items"),
]


@pytest.fixture
def previous_dist(dist_dir: Path, tmp_path: Path) -> Path:
    """A copy of the session's build that a failing build must leave exactly as it is."""
    return Path(shutil.copytree(dist_dir, tmp_path / "dist"))


def _sources_with(tmp_path: Path, name: str, data: bytes) -> Path:
    """A copy of sources/ with one file replaced and the manifest's SHA-256 updated: the hash check passes,
    so what fails is what the file holds."""
    folder = Path(shutil.copytree(sources_dir(), tmp_path / "sources"))
    (folder / name).chmod(0o644)
    (folder / name).write_bytes(data)
    manifest = folder / MANIFEST
    manifest.chmod(0o644)
    old = hashlib.sha256((sources_dir() / name).read_bytes()).hexdigest()
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(old, hashlib.sha256(data).hexdigest()),
                        encoding="utf-8")
    return folder


@pytest.mark.parametrize(("damage", "error_type"), BUILD_FAILURES)
def test_policykg_build_exits_2_naming_file_and_line(corpus: dict[str, SourceText], damage, error_type: type,
                                                     previous_dist: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    name, data, message = damage(corpus)
    folder = _sources_with(tmp_path, name, data)
    with pytest.raises(error_type, match="^" + message):  # the stage raises the project's own type...
        load_corpus(folder) if error_type is SourceError else parse_plan(load_corpus(folder))
    before = {path.name: path.read_bytes() for path in previous_dist.iterdir()}
    monkeypatch.setattr(sources_module, "sources_dir", lambda: folder)  # the build reads the damaged copy
    code = main(["build", "--out", str(previous_dist)])
    err = capsys.readouterr().err
    assert code == 2 and re.match("policykg build: " + message, err), err  # ...and the CLI prints it, exit 2
    assert "Traceback" not in err
    assert {path.name: path.read_bytes() for path in previous_dist.iterdir()} == before
