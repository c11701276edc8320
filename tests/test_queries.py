"""Named queries: headers, typed parameters bound as RDF terms, and answers on the real graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import QuerySolutions

from policykg.api.sparql_guard import load_store, run_query
from policykg.errors import QueryError
from policykg.queries import named_queries, parse_named_query


@pytest.fixture(scope="module")
def store(dist_dir: Path):
    return load_store(dist_dir / "policykg.trig")


@pytest.fixture(scope="module")
def queries():
    return named_queries()


def rows(store, query, **values) -> list[dict[str, str]]:
    result = run_query(store, query.text, substitutions=query.bindings({k: str(v) for k, v in values.items()}))
    assert isinstance(result, QuerySolutions)
    variables = [v.value for v in result.variables]
    return [{name: (solution[name].value if solution[name] is not None else None) for name in variables} for solution in result]


def test_every_query_has_a_header_and_runs(store, queries):
    assert {"items-by-chapter", "item-measures", "variants", "later-tasks"} <= set(queries)
    for query in queries.values():
        assert query.summary
        examples = {name: p.example for name, p in query.parameters.items() if p.required}
        assert all(v is not None for v in examples.values()), f"{query.name}: a required parameter needs an example"
        assert rows(store, query, **examples), query.name


def test_items_of_chapter_5(store, queries):
    found = rows(store, queries["items-by-chapter"], chapter=5)
    assert [int(r["number"]) for r in found] == [14, 15, 16, 17, 18]
    sixteen = found[2]
    assert sixteen["title_zh"] == "维护新就业形态劳动者合法权益"
    assert "new forms of employment" in sixteen["title_en"]
    assert sixteen["body_in_corpus"] == "true" and int(sixteen["measures"]) == 8


def test_items_without_body(store, queries):
    found = rows(store, queries["items-by-chapter"])
    assert len(found) == 46
    assert [int(r["number"]) for r in found if r["body_in_corpus"] == "false"] == list(range(38, 47))


def test_measures_of_item_16_quote_their_source(store, queries, corpus):
    found = rows(store, queries["item-measures"], item_number=16)
    assert len(found) == 8
    assert found[0]["text"] == "配合人社部门研究制定维护新就业形态劳动者劳动保障权益政策。"
    for row in found:
        assert corpus[row["file"]].text[int(row["start"]):int(row["end"])] == row["quote"]


def test_variants_query(store, queries):
    found = rows(store, queries["variants"])
    variants = {r["variant"] for r in found}
    assert len(variants) == 34
    preamble = [r for r in found if r["variant"].endswith("preamble-acftu-14th-fyp-text-1")]
    assert {(r["file"], r["reading_text"], r["chosen"]) for r in preamble} == {
        ("000_2a1e229b78a33fef.txt", "个五", "true"), ("002_b55960e92c6e2bf2.txt", "", "false")}


def test_later_tasks_of_the_congress(store, queries):
    document = "https://w3id.org/policykg/id/document/acftu-18th-congress-summary"
    found = rows(store, queries["later-tasks"], document=document)
    assert {r["document"] for r in found} == {document}
    assert sum(1 for r in found if r["task"].rsplit("/", 1)[1].count("-") == 1 and r["task"].endswith(tuple("123456789"))) == 9


def test_parameters_are_typed_and_never_pasted(queries):
    measures = queries["item-measures"]
    with pytest.raises(QueryError, match="item_number.*not a valid integer"):
        measures.bindings({"item_number": "16 } ; DROP ALL"})
    with pytest.raises(QueryError, match="required"):
        measures.bindings({})
    with pytest.raises(QueryError, match="unknown parameter nope"):
        measures.bindings({"item_number": "16", "nope": "1"})
    with pytest.raises(QueryError, match="not a valid iri"):
        queries["later-tasks"].bindings({"document": "javascript:alert(1)"})
    injected = queries["later-tasks"].bindings({"document": "https://example.org/x"})
    assert list(injected.values())[0].value == "https://example.org/x"


def test_bad_headers_are_reported(tmp_path):
    bad = tmp_path / "bad.rq"
    bad.write_text("#+ params:\n#+   x: {type: integer, description: d}\nSELECT ?x WHERE {}\n", encoding="utf-8")
    with pytest.raises(QueryError, match="bad.rq: the #\\+ header needs a summary"):
        parse_named_query(bad)
    bad.write_text("#+ summary: s\n#+ params:\n#+   y: {type: integer, description: d}\nSELECT ?x WHERE {}\n", encoding="utf-8")
    with pytest.raises(QueryError, match="parameter y is not a variable"):
        parse_named_query(bad)
    bad.write_text("#+ summary: s\n#+ params:\n#+   x: {type: datetime, description: d}\nSELECT ?x WHERE {}\n", encoding="utf-8")
    with pytest.raises(QueryError, match="type must be one of"):
        parse_named_query(bad)


def test_date_parameters_are_xsd_dates(tmp_path):
    query = tmp_path / "due.rq"
    query.write_text("#+ summary: s\n#+ params:\n#+   due: {type: date, description: d}\nSELECT ?due WHERE {}\n", encoding="utf-8")
    parameter = parse_named_query(query).parameters["due"]
    assert parameter.term("2025-12-31").datatype.value == "http://www.w3.org/2001/XMLSchema#date"
    for wrong in ("2025-13-01", "2025-1-1", "31.12.2025", "2025-12-31T00:00:00"):
        with pytest.raises(QueryError, match="not a valid date"):
            parameter.term(wrong)
