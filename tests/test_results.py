"""Our result serialisers (``api/results.py``) say exactly what pyoxigraph's own would say.

``/sparql`` writes SELECT/ASK answers itself (to stop at the row cap), so for
real queries over the built graph -- IRIs, language-tagged and typed
literals, long texts with newlines and quotes, unbound OPTIONAL variables,
blank nodes, ASK true and false -- and for edge-case values, the JSON, XML and
TSV that ``worker.protocol`` answers must parse (``pyoxigraph.parse_query_results``)
to the same solutions as pyoxigraph's ``QuerySolutions.serialize`` of the same
query on the same store. CSV drops types by the spec and pyoxigraph cannot
parse it back, so its rows are compared as text.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from pyoxigraph import BlankNode, QueryBoolean, QueryResultsFormat, Store, Triple, parse_query_results

from policykg.api import worker
from policykg.api.results import SERIALISERS, Table, to_csv, to_tsv, to_xml
from policykg.api.sparql_guard import run_query

MEDIA = {
    QueryResultsFormat.JSON: "application/sparql-results+json",
    QueryResultsFormat.XML: "application/sparql-results+xml",
    QueryResultsFormat.TSV: "text/tab-separated-values",
    QueryResultsFormat.CSV: "text/csv",
}

QUERIES = {
    # IRIs and language-tagged literals (Chinese titles, curated English ones)
    "labels": "SELECT ?item ?label WHERE { ?item a pol:PlanItem ; rdfs:label ?label } ORDER BY ?item ?label",
    # typed literals: integers, decimals, dates, booleans
    "typed": "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(DATATYPE(?o) IN (xsd:integer, xsd:decimal, xsd:date, "
             "xsd:boolean)) } ORDER BY ?s ?p ?o",
    # long texts with newlines, quotes, full-width punctuation
    "texts": "SELECT ?passage ?text WHERE { ?passage pol:text ?text } ORDER BY ?passage",
    # unbound OPTIONAL variables (most items have no lead body)
    "optional": "SELECT ?item ?number ?lead WHERE { ?item a pol:PlanItem ; pol:number ?number "
                "OPTIONAL { ?item pol:leadBody ?lead } } ORDER BY ?number ?lead",
    # aggregates (integers and decimals computed by the engine), named graphs
    "aggregates": "SELECT ?g (COUNT(*) AS ?n) (AVG(?x) AS ?mean) WHERE { GRAPH ?g { ?s ?p ?o "
                  "OPTIONAL { FILTER(isNumeric(?o)) BIND(?o AS ?x) } } } GROUP BY ?g ORDER BY ?g",
    # blank nodes made by the query, one per item
    "bnodes": "SELECT ?item ?b WHERE { ?item a pol:PlanItem BIND(BNODE(STR(?item)) AS ?b) } ORDER BY ?item",
    "empty": "SELECT ?s WHERE { ?s a pol:NoSuchClass }",
    "no_variables": "SELECT * WHERE { }",
    "ask_true": "ASK { <https://w3id.org/policykg/id/item/16> a pol:PlanItem }",
    "ask_false": "ASK { <https://w3id.org/policykg/id/item/16> a pol:Indicator }",
    # edge values the corpus lacks: control characters, white space at the ends, numbers in every
    # lexical form, triple terms (RDF 1.2), language tags with regions
    "edge_strings": r'''SELECT ?x WHERE { VALUES ?x { "a\tb" "c\nd" "e\rf" "q\"uote" "back\\slash" "<&>" "]]>"
                     "comma, \"q\"" "" " lead" "trail " "  " "\n" "a"@en-GB "b"@zh-Hans } }''',
    "edge_numbers": '''SELECT ?x WHERE { VALUES ?x { 1 -2 +3 1.5 -0.5 .5 1e3 1.0E-2 "NaN"^^xsd:double "INF"^^xsd:double
                     "01"^^xsd:integer "x"^^xsd:integer true false "1"^^xsd:boolean 5.0 "3"^^xsd:int
                     "1.5"^^xsd:float "٣"^^xsd:integer "abc"^^xsd:token } }''',
    "edge_unbound": "SELECT ?a ?b WHERE { VALUES (?a ?b) { (1 UNDEF) (UNDEF 2) (UNDEF UNDEF) (\"\" UNDEF) } }",
    "triple_terms": 'SELECT ?t WHERE { { BIND(<<( <urn:a> <urn:b> "c" )>> AS ?t) } UNION '
                    '{ BIND(TRIPLE(BNODE("x"), <urn:b>, <<( <urn:s> <urn:p> 1 )>>) AS ?t) } }',
}
RESULT_FORMATS = [QueryResultsFormat.JSON, QueryResultsFormat.XML, QueryResultsFormat.TSV]


def ours(store: Store, query: str, result_format: QueryResultsFormat) -> bytes:
    """What /sparql answers: the worker's protocol call, run here on the same store."""
    answer = worker.protocol(query, [], [], MEDIA[result_format], 100_000, store=store)
    assert answer.media == MEDIA[result_format] and not answer.truncated
    return answer.body


def theirs(store: Store, query: str, result_format: QueryResultsFormat) -> bytes:
    return run_query(store, query).serialize(format=result_format)


def solutions(body: bytes, result_format: QueryResultsFormat) -> object:
    """The parsed answer: a bool, or (variables, rows) with blank nodes renamed by first appearance."""
    result = parse_query_results(body, format=result_format)
    if isinstance(result, QueryBoolean):
        return bool(result)
    variables = [variable.value for variable in result.variables]
    names: dict[str, str] = {}

    def canonical(term):
        if isinstance(term, BlankNode):
            return ("bnode", names.setdefault(term.value, f"b{len(names)}"))
        if isinstance(term, Triple):
            return ("triple", canonical(term.subject), canonical(term.predicate), canonical(term.object))
        return term

    return variables, [tuple(canonical(solution[name]) for name in variables) for solution in result]


def csv_rows(body: bytes) -> list[list[str]]:
    """CSV rows as text. A row of one empty cell may be written as an empty line (pyoxigraph) or as
    ``""`` (ours, so that readers that skip blank lines keep the row): both are one empty cell."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    return [row or [""] for row in rows]


@pytest.mark.parametrize("result_format", RESULT_FORMATS, ids=lambda f: f.name)
@pytest.mark.parametrize("name", list(QUERIES))
def test_same_solutions_as_pyoxigraph(store: Store, name: str, result_format: QueryResultsFormat) -> None:
    query = QUERIES[name]
    expected = solutions(theirs(store, query, result_format), result_format)
    assert solutions(ours(store, query, result_format), result_format) == expected
    if name in ("labels", "optional", "texts", "typed"):
        assert expected[1], f"{name}: the query should have answers"


@pytest.mark.parametrize("name", [name for name in QUERIES if "BNODE" not in QUERIES[name]])  # labels differ per run
def test_same_csv_text_as_pyoxigraph(store: Store, name: str) -> None:
    query = QUERIES[name]
    assert csv_rows(ours(store, query, QueryResultsFormat.CSV)) == csv_rows(theirs(store, query, QueryResultsFormat.CSV))


def test_same_json_document_as_pyoxigraph(store: Store) -> None:
    """Beyond equal solutions: the same JSON objects (the same keys, no datatype on plain strings)."""
    for name in ("labels", "typed", "optional", "aggregates", "ask_true", "edge_strings", "edge_unbound"):
        query = QUERIES[name]
        assert json.loads(ours(store, query, QueryResultsFormat.JSON)) == json.loads(
            theirs(store, query, QueryResultsFormat.JSON)), name


def test_corpus_facts_survive_every_format(store: Store) -> None:
    """A spot check of what the comparisons are about: item 16's Chinese title, typed number, unbound lead."""
    query = ("SELECT ?label ?number ?lead WHERE { <https://w3id.org/policykg/id/item/16> rdfs:label ?label ; "
             'pol:number ?number OPTIONAL { <https://w3id.org/policykg/id/item/16> pol:leadBody ?lead } '
             'FILTER(LANG(?label) = "zh") }')
    for result_format in RESULT_FORMATS:
        variables, rows = solutions(ours(store, query, result_format), result_format)
        assert variables == ["label", "number", "lead"] and len(rows) == 1
        label, number, lead = rows[0]
        assert (label.value, label.language) == ("维护新就业形态劳动者合法权益", "zh")
        assert (number.value, number.datatype.value) == ("16", "http://www.w3.org/2001/XMLSchema#integer")
        assert lead is None
    assert csv_rows(ours(store, query, QueryResultsFormat.CSV)) == [
        ["label", "number", "lead"], ["维护新就业形态劳动者合法权益", "16", ""]]


# --------------------------------------------------------------------------- details of the writers
def test_xml_keeps_white_space_and_carriage_returns() -> None:
    from pyoxigraph import Literal

    table = Table(("x",), ((Literal(" a\r\nb "),), (Literal("\t"),)))
    body = to_xml(table).decode()
    assert "&#32;a&#13;\nb&#32;" in body and "<literal>&#9;</literal>" in body
    # a conformant XML parser (not only pyoxigraph's) reads the same text back
    from xml.dom.minidom import parseString

    texts = ["".join(node.data for node in literal.childNodes) for literal in
             parseString(body).getElementsByTagName("literal")]
    assert texts == [" a\r\nb ", "\t"]


def test_tsv_writes_numbers_bare_only_when_they_read_back_the_same() -> None:
    from pyoxigraph import Literal, NamedNode

    xsd = "http://www.w3.org/2001/XMLSchema#"
    cells = [Literal("16", datatype=NamedNode(xsd + "integer")), Literal("٣", datatype=NamedNode(xsd + "integer")),
             Literal("1.5", datatype=NamedNode(xsd + "decimal")), Literal("1", datatype=NamedNode(xsd + "decimal")),
             Literal("true", datatype=NamedNode(xsd + "boolean")), Literal("1", datatype=NamedNode(xsd + "boolean"))]
    lines = to_tsv(Table(("x",), tuple((cell,) for cell in cells))).decode().splitlines()
    assert lines == ["?x", "16", f'"٣"^^<{xsd}integer>', "1.5", f'"1"^^<{xsd}decimal>', "true",
                     f'"1"^^<{xsd}boolean>']


def test_csv_of_a_triple_term_and_a_boolean() -> None:
    from pyoxigraph import Literal, NamedNode

    triple = Triple(NamedNode("urn:a"), NamedNode("urn:b"), Literal("c d"))
    assert to_csv(Table(("t",), ((triple,),))) == b"t\r\nurn:a urn:b c d\r\n"
    assert to_csv(Table(boolean=False)) == b"false\r\n"


def test_every_format_has_a_serialiser() -> None:
    assert set(SERIALISERS) == set(MEDIA)
