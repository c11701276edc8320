"""Named queries: headers, typed parameters bound as RDF terms, and answers on the real graph."""

from __future__ import annotations


import pytest
from pyoxigraph import QuerySolutions

from policykg.api.sparql_guard import run_query
from policykg.errors import QueryError
from policykg.queries import parse_named_query


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


# --------------------------------------------------------------------------- issue 3's questions, on the real graph
POL = "https://w3id.org/policykg/ontology#"
ID = "https://w3id.org/policykg/id/"


def test_items_serving_new_employment_form_workers_include_couriers(store, queries):
    found = rows(store, queries["items-serving-population"], population=ID + "population/new-employment-form-workers")
    items = {int(r["item_number"]) for r in found}
    assert {16, 36} <= items
    matched = {r["matched_label"] for r in found}
    assert {"新就业形态劳动者", "快递员"} <= matched  # narrower concepts come in through skos:broader*
    sixteen = [r for r in found if r["item_number"] == "16"]
    assert {r["salience"] for r in sixteen if r["matched_label"] == "新就业形态劳动者"} == {POL + "Primary"}
    for r in found:  # every row carries its evidence: the words are a slice of the named file
        assert r["words"] and r["file"] and int(r["start"]) < int(r["end"])
        assert r["words"].replace("\n", "") in r["sentence"].replace(" ", "") or r["evidence"].startswith(ID + "item/")
    primary = rows(store, queries["items-serving-population"], population=ID + "population/new-employment-form-workers",
                   salience=POL + "Primary")
    assert {int(r["item_number"]) for r in primary} <= items and 16 in {int(r["item_number"]) for r in primary}


def test_items_involving_the_human_resources_departments_by_role(store, queries):
    body = ID + "body/" + _body_slug("人社部门")
    found = rows(store, queries["items-by-body"], body=body)
    roles = {(int(r["item_number"]), r["role"].removeprefix(POL)) for r in found}
    assert (16, "SupportedRole") in roles  # 配合人社部门研究制定…
    assert (12, "PartnerRole") in roles  # 联合人力资源社会保障等部门…
    supported = rows(store, queries["items-by-body"], body=body, role=POL + "SupportedRole")
    assert {r["cue"] for r in supported} == {"配合"}


def test_rights_targets_due_at_the_end_of_2025(store, queries):
    found = rows(store, queries["indicators"], category=ID + "category/rights", due="2025-12-31")
    values = {(float(r["value"]), r["unit"]) for r in found}
    assert (80, "%") in values and (60, "%") in values  # 集体合同签订率, 集体协商质效评估
    assert all(r["table_category"] == ID + "category/rights" for r in found)
    assert all(r["deadline"] == "2025-12-31" for r in found)
    yearly = rows(store, queries["indicators"], category=ID + "category/rights")
    assert any(r["per_year"] == "true" for r in yearly)  # the training quotas are yearly, not due in 2025


def test_progress_of_2022_toward_the_targets(store, queries):
    found = {r["indicator"].removeprefix(ID + "indicator/"): r for r in rows(store, queries["indicator-progress"])}
    measured = {slug: r for slug, r in found.items() if r["observed"] is not None}
    assert measured, "no indicator has an observation"
    for r in measured.values():
        assert abs(float(r["ratio"]) - float(r["observed"]) / float(r["target"])) < 1e-9
    skilled = [r for r in measured.values() if float(r["observed"]) == 1005000]  # 技术工人疗休养 100.5万人次
    assert skilled and float(skilled[0]["target"]) == 1000000 and float(skilled[0]["ratio"]) == pytest.approx(1.005)
    assert any(r["observed"] is None for r in found.values())  # indicators without a figure keep their row


def test_later_tasks_continuing_an_item(store, queries):
    found = rows(store, queries["continuing-tasks"], item_number=16)
    tasks = {r["task"].removeprefix(ID) for r in found}
    assert "task/2023-3-2" in tasks
    assert all(0 <= float(r["score"]) <= 1 and r["basis"] for r in found)


def test_programmes_and_laws_per_chapter(store, queries):
    found = rows(store, queries["programmes-by-chapter"], chapter_number=7)
    laws = {(r["name"], r["action"]) for r in found if r["class"] == POL + "LegalInstrument"}
    assert ("《工会劳动法律监督办法》", "落实") in laws or ("工会劳动法律监督办法", "落实") in laws
    assert any(r["class"] == POL + "Practice" and "一函两书" in r["name"] for r in found)
    assert {int(r["chapter_number"]) for r in found} == {7}


def _body_slug(name: str) -> str:
    from policykg.build.extract.vocabulary import load_bodies

    return next(b.slug for b in load_bodies() if name == b.label_zh or name in b.aliases)
