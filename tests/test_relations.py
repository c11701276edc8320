"""The relationship endpoints (/items, /populations, /bodies, /indicators, /search) on the real build.

Corpus facts are asserted through the routes, and every piece of evidence is
checked against the vendored source: ``file_text[start:end] == words``.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from rdflib import RDF

from policykg.namespaces import POL
from policykg.resources import data_dir

ID = "https://w3id.org/policykg/id/"


@pytest.fixture(scope="module")
def client(api) -> TestClient:
    return api


def get(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, (url, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith(("application/json", "application/sparql-results+json"))
    return response.json()


def assert_error(client: TestClient, url: str, status: int, **params: Any) -> dict:
    response = client.get(url, params=params)
    assert response.status_code == status, (url, params, response.status_code, response.text[:300])
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    return body


def assert_quotes_source(corpus, evidence: list[dict], key: str = "words") -> None:
    assert evidence
    for e in evidence:
        assert corpus[e["file"]].text[e["start"]:e["end"]] == e[key], e


# --------------------------------------------------------------------------- /items
def test_the_46_items_in_order(client, dataset):
    body = get(client, "/items")
    numbers = [item["number"] for item in body["items"]]
    assert body["count"] == 46 and numbers == list(range(1, 47))
    in_graph = {s for s, _, _, _ in dataset.quads((None, RDF.type, POL.PlanItem, None))}
    assert len(in_graph) == 46 and {item["iri"] for item in body["items"]} == {str(s) for s in in_graph}
    sixteen = body["items"][15]
    assert sixteen["title_zh"] == "维护新就业形态劳动者合法权益"
    assert sixteen["chapter"]["number"] == 5 and sixteen["chapter"]["title_zh"].startswith("高举维护职工合法权益旗帜")
    assert sixteen["path"] == "/id/item/16" and sixteen["measures"] == 8
    assert sixteen["populations"] >= 10 and sixteen["primary_populations"] == 1 and sixteen["bodies"] == 2
    assert [item["number"] for item in body["items"] if not item["body_in_corpus"]] == list(range(38, 47))
    assert all(item["measures"] == 0 for item in body["items"] if not item["body_in_corpus"])
    assert body["items"][23]["indicators"] == 5  # item 24 states the 依法维权 targets


def test_items_of_one_chapter(client):
    body = get(client, "/items", chapter=5)
    assert body["chapter"] == 5 and [item["number"] for item in body["items"]] == [14, 15, 16, 17, 18]
    assert {item["chapter"]["number"] for item in body["items"]} == {5}


@pytest.mark.parametrize("chapter", ["0", "13", "-1", "five", "5.5"])
def test_a_bad_chapter_is_422(client, chapter):
    body = assert_error(client, "/items", 422, chapter=chapter)
    assert body["detail"][0]["loc"][-1] == "chapter"


def test_item_16_in_full(client, corpus):
    item = get(client, "/items/16")
    assert item["title_zh"] == "维护新就业形态劳动者合法权益" and "new forms of employment" in item["title_en"]
    assert item["chapter"]["number"] == 5 and item["body_in_corpus"] and item["text"].startswith("配合人社部门")
    # measures: the exact quote of each is the slice of its file
    assert [m["number"] for m in item["measures"]] == list(range(1, 9))
    assert item["measures"][0]["text"] == "配合人社部门研究制定维护新就业形态劳动者劳动保障权益政策。"
    assert_quotes_source(corpus, item["measures"], key="quote")
    # populations: new-employment-form workers primary (first), couriers and riders named in measure 6
    populations = {p["slug"]: p for p in item["populations"]}
    assert item["populations"][0]["slug"] == "new-employment-form-workers"
    assert populations["new-employment-form-workers"]["salience"] == "primary"
    assert populations["couriers"]["salience"] == "mentioned"
    assert populations["food-delivery-riders"]["salience"] == "mentioned"
    assert populations["couriers"]["evidence"][0]["words"] == "快递"
    assert populations["couriers"]["evidence"][0]["source"] == ID + "measure/16-6"
    for population in item["populations"]:
        assert_quotes_source(corpus, population["evidence"])
    # bodies: 配合人社部门 (supported), 督促平台运营企业 (addressed)
    roles = {(b["slug"], b["role"]): b for b in item["bodies"]}
    assert roles[("human-resources-social-security-departments", "supported")]["cues"] == ["配合"]
    assert "督促" in roles[("platform-enterprises", "addressed")]["cues"]
    for body in item["bodies"]:
        assert_quotes_source(corpus, body["evidence"])
    # later tasks: the 2023 task on new-employment-form workers, and the 18th congress lines
    tasks = {t["path"]: t for t in item["later_tasks"]}
    assert "/id/task/2023-3-2" in tasks and any(path.startswith("/id/task/18th-") for path in tasks)
    assert all(0 <= t["score"] <= 1 and t["basis"] and t["text"] for t in item["later_tasks"])
    assert tasks["/id/task/2023-3-2"]["document"] == ID + "document/acftu-2022-work-report"
    assert item["indicators"] == [] and item["variants"] == []


def test_item_detail_links_targets_names_figures_and_variants(client, corpus):
    twenty_four = get(client, "/items/24")
    contract = {i["slug"]: i for i in twenty_four["indicators"]}["rights-1-1"]
    assert (contract["target"], contract["unit"], contract["comparator"], contract["deadline"]) == (80, "%", "at-least", "2025-12-31")
    nineteen = {i["slug"]: i for i in get(client, "/items/19")["indicators"]}
    sanatorium = nineteen["services-5-3"]  # 技术工人疗休养 100万人次 a year; 2022: 100.5万
    assert sanatorium["per_year"] and sanatorium["deadline"] is None
    assert sanatorium["latest_observation"]["value"] == 1005000 and sanatorium["ratio"] == pytest.approx(1.005)

    thirteen = get(client, "/items/13")
    mentions = {m["name_zh"]: m for m in thirteen["mentions"]}
    assert mentions["大国工匠"]["kind"] == "award" and mentions["劳模进校园"]["kind"] == "campaign"
    for mention in thirteen["mentions"]:
        assert_quotes_source(corpus, mention["evidence"])
    assert thirteen["variants"], "item 13's copies A and B differ"
    for variant in thirteen["variants"]:
        copies = {r["copy_label"] for r in variant["readings"]}
        assert {"copy A (newspaper pages 1-2)", "copy B (newspaper pages 1-2)"} <= copies
        assert any(r["chosen"] for r in variant["readings"]) and variant["field"] in ("title", "text")

    seventeen = get(client, "/items/17")
    assert any(o["indicator"] == ID + "indicator/quality-2-1" for o in seventeen["observations"])
    assert_quotes_source(corpus, seventeen["observations"], key="quote")

    forty = get(client, "/items/40")  # title only: no body, no measures
    assert not forty["body_in_corpus"] and forty["text"] is None and forty["measures"] == []


@pytest.mark.parametrize("number, nearest", [(47, "46"), (0, "1"), (-3, "1"), (10**30, "46")])
def test_an_unknown_item_is_404_with_close_matches(client, number, nearest):
    body = assert_error(client, f"/items/{number}", 404)
    assert nearest in body["close_matches"] and "1 to 46" in body["error"]


@pytest.mark.parametrize("number", ["sixteen", "16.5", "1e1", "16a"])
def test_a_non_integer_item_is_422(client, number):
    assert_error(client, f"/items/{number}", 422)


# --------------------------------------------------------------------------- /populations
def _nodes(nodes: list[dict]):
    for node in nodes:
        yield node
        yield from _nodes(node["children"])


def test_the_population_tree(client):
    tree = get(client, "/populations")
    scheme = yaml.safe_load((data_dir("build/data") / "populations.yaml").read_text(encoding="utf-8"))
    assert tree["concepts"] == len(scheme["concepts"])
    nodes = list(_nodes(tree["roots"]))
    assert {n["slug"] for n in nodes} == {c["slug"] for c in scheme["concepts"]}
    assert {r["slug"] for r in tree["roots"]} >= {"workers", "working-class"}
    assert all(not r["broader"] for r in tree["roots"])
    workers = next(r for r in tree["roots"] if r["slug"] == "workers")
    new_forms = next(c for c in workers["children"] if c["slug"] == "new-employment-form-workers")
    assert new_forms["label_zh"] == "新就业形态劳动者" and "couriers" in {c["slug"] for c in new_forms["children"]}
    couriers = [n for n in nodes if n["slug"] == "couriers"]
    assert len(couriers) == 2  # under 新就业形态劳动者 and under 八大群体
    assert couriers[0]["label_zh"] == "快递员" and "快递" in couriers[0]["alt_labels"]
    assert set(couriers[0]["broader"]) == {"new-employment-form-workers", "eight-groups"}
    for node in nodes:
        assert node["items_total"] >= node["items_direct"] >= 0
        assert all(node["slug"] in child["broader"] for child in node["children"])
    assert new_forms["items_total"] >= 2 and workers["items_total"] >= workers["items_direct"] > 0


def test_items_serving_new_employment_form_workers_include_couriers(client, corpus):
    body = get(client, "/populations/new-employment-form-workers/items")
    assert body["population"]["label_zh"] == "新就业形态劳动者"
    items = {item["number"]: item for item in body["items"]}
    assert {16, 36} <= set(items) and body["count"] == len(items)
    assert [item["number"] for item in body["items"]] == sorted(items)
    assert items[16]["salience"] == "primary" and items[16]["title_en"]
    evidence = [e for item in body["items"] for e in item["evidence"]]
    assert_quotes_source(corpus, evidence)
    couriers = [e for e in evidence if e["population"] == "couriers"]
    assert couriers and any("快递员" in e["sentence"] for e in couriers)  # narrower groups are included
    assert {"new-employment-form-workers", "couriers"} <= {p["slug"] for item in body["items"] for p in item["populations"]}
    primary = get(client, "/populations/new-employment-form-workers/items", salience="primary")
    assert primary["salience"] == "primary" and 16 in {item["number"] for item in primary["items"]}
    assert {e["salience"] for item in primary["items"] for e in item["evidence"]} == {"primary"}
    assert {item["number"] for item in primary["items"]} <= set(items)


def test_population_counts_match_the_items_listed(client):
    nodes = {n["slug"]: n for n in _nodes(get(client, "/populations")["roots"])}
    for slug in ("couriers", "women-workers", "new-employment-form-workers", "industrial-workers"):
        assert nodes[slug]["items_total"] == get(client, f"/populations/{slug}/items")["count"], slug


def test_an_unknown_population_is_404_with_close_matches(client):
    assert "couriers" in assert_error(client, "/populations/courier/items", 404)["close_matches"]
    assert "couriers" in assert_error(client, "/populations/快递员/items", 404)["close_matches"]  # a label, not a slug
    assert assert_error(client, "/populations/zzzz/items", 404)["close_matches"] == []


def test_a_bad_salience_is_422(client):
    assert_error(client, "/populations/couriers/items", 422, salience="Primary")


def test_which_items_serve_couriers_and_what_the_plan_promises_them(client):
    """The competency question answered three ways: SPARQL, the named query, the REST route."""
    couriers = ID + "population/couriers"
    sparql = f"""
        PREFIX pol: <https://w3id.org/policykg/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT DISTINCT ?number ?promise WHERE {{
          ?population skos:broader* <{couriers}> .
          ?item a pol:PlanItem ; pol:number ?number ; pol:servesPopulation ?population .
          ?measure pol:inItem ?item ; pol:servesPopulation ?population ; pol:text ?promise .
        }}"""
    bindings = get(client, "/sparql", query=sparql)["results"]["bindings"]
    by_sparql = {int(b["number"]["value"]) for b in bindings}
    promises_sparql = {b["promise"]["value"] for b in bindings}

    named = get(client, "/queries/items-serving-population", population=couriers)
    by_named = {row["item_number"] for row in named["rows"]}

    rest = get(client, "/populations/couriers/items")
    by_rest = {item["number"] for item in rest["items"]}
    promises_rest = {e["sentence"] for item in rest["items"] for e in item["evidence"]}

    assert by_sparql == by_named == by_rest and {16, 36} <= by_rest
    assert promises_rest == promises_sparql
    assert any("快递" in promise and "权益保障机制" in promise for promise in promises_rest)  # item 16, measure 6


# --------------------------------------------------------------------------- /bodies
def test_the_bodies(client):
    body = get(client, "/bodies")
    bodies = {b["slug"]: b for b in body["bodies"]}
    assert body["count"] == len(bodies) == len(yaml.safe_load(
        (data_dir("build/data") / "bodies.yaml").read_text(encoding="utf-8"))["bodies"])
    acftu = bodies["acftu"]
    assert acftu["label_zh"] == "中华全国总工会" and acftu["kind"] == "union" and acftu["parent"] is None
    assert "全总" in acftu["alt_labels"] and acftu["items_by_role"]["lead"] >= 1
    assert bodies["provincial-federations"]["parent"] == "acftu"
    assert bodies["human-resources-social-security-departments"]["items_by_role"]["supported"] >= 1
    counts = [b["items"] for b in body["bodies"]]
    assert counts == sorted(counts, reverse=True)


def test_items_led_by_the_acftu_system(client, corpus):
    body = get(client, "/bodies/acftu/items", role="lead")
    assert body["role"] == "lead" and body["items"], "the ACFTU (or its parts) leads somewhere"
    evidence = [e for item in body["items"] for e in item["evidence"]]
    assert {e["role"] for e in evidence} == {"lead"}
    assert_quotes_source(corpus, evidence)
    twenty_four = next(item for item in body["items"] if item["number"] == 24)
    assert any(e["body"] == "acftu" and e["words"] == "全总" for e in twenty_four["evidence"])  # 全总每年重点培训100人次
    bodies = {b["slug"]: b for b in get(client, "/bodies")["bodies"]}
    assert bodies["acftu"]["items_by_role"]["lead"] == body["count"]
    assert bodies["acftu"]["items"] == get(client, "/bodies/acftu/items")["count"]


def test_items_supporting_the_human_resources_departments(client):
    body = get(client, "/bodies/human-resources-social-security-departments/items", role="supported")
    sixteen = next(item for item in body["items"] if item["number"] == 16)
    assert sixteen["roles"] == ["supported"] and sixteen["evidence"][0]["cue"] == "配合"
    assert sixteen["evidence"][0]["words"] == "人社部门"


def test_unknown_body_and_bad_role(client):
    assert "acftu" in assert_error(client, "/bodies/acftuu/items", 404)["close_matches"]
    assert "acftu" in assert_error(client, "/bodies/全总/items", 404)["close_matches"]
    assert_error(client, "/bodies/acftu/items", 422, role="boss")


# --------------------------------------------------------------------------- /indicators
def test_the_indicators(client, dataset):
    body = get(client, "/indicators")
    in_graph = {s for s, _, _, _ in dataset.quads((None, RDF.type, POL.Indicator, None))}
    assert body["count"] == len(body["indicators"]) == len(in_graph)
    indicators = {i["slug"]: i for i in body["indicators"]}
    english = yaml.safe_load((data_dir("build/data") / "indicators-en.yaml").read_text(encoding="utf-8"))["indicators"]
    contract = indicators["rights-1-1"]  # 重点企业集体合同签订率 动态保持在80%以上
    assert contract["label_zh"] == english["rights-1-1"]["zh"] == "重点企业集体合同签订率"
    assert contract["label_en"] == english["rights-1-1"]["en"]
    assert (contract["target"], contract["unit"], contract["comparator"]) == (80, "%", "at-least")
    assert contract["deadline"] == "2025-12-31" and not contract["per_year"]
    assert contract["category"]["slug"] == "rights" and contract["stated_in"] == [24]
    for indicator in body["indicators"]:
        assert (indicator["deadline"] is None) == indicator["per_year"], indicator["slug"]
        if indicator["latest_observation"]:
            observed = indicator["latest_observation"]["value"]
            assert indicator["ratio"] == pytest.approx(observed / indicator["target"])
        else:
            assert indicator["ratio"] is None
    assert any(i["latest_observation"] for i in body["indicators"])
    assert {i["category"]["slug"] for i in body["indicators"] if i["category"]} == {"quality", "services", "rights"}


def test_indicators_by_category_and_deadline(client):
    rights = get(client, "/indicators", category="rights", due="2025-12-31")
    assert rights["category"] == "rights" and rights["due"] == "2025-12-31"
    assert {i["slug"] for i in rights["indicators"]} == {"rights-1-1", "rights-2-1"}  # 80% and 60%
    assert all(i["category"]["slug"] == "rights" and i["deadline"] == "2025-12-31" for i in rights["indicators"])
    services = get(client, "/indicators", category="services")
    assert services["count"] > 0 and {i["category"]["slug"] for i in services["indicators"]} == {"services"}
    assert get(client, "/indicators", due="1999-01-01")["indicators"] == []


@pytest.mark.parametrize("params", [{"category": "wages"}, {"due": "2025-13-01"}, {"due": "end of 2025"}])
def test_bad_indicator_filters_are_422(client, params):
    assert_error(client, "/indicators", 422, **params)


# --------------------------------------------------------------------------- /search
def _group(body: dict, kind: str) -> list[dict]:
    return next((g["results"] for g in body["groups"] if g["kind"] == kind), [])


def test_search_couriers_in_chinese_and_english(client):
    chinese = get(client, "/search", q="快递")
    assert chinese["groups"][0]["kind"] == "population"  # the exact label match comes first
    top = chinese["groups"][0]["results"][0]
    assert top["path"] == "/id/population/couriers" and top["exact"] and top["label"] == "快递员"
    assert "/id/item/16" in {hit["path"] for hit in _group(chinese, "item")}
    assert all("快递" in hit["matched"] for hit in _group(chinese, "measure"))
    assert {hit["item"] for hit in _group(chinese, "measure")} >= {16}
    english = get(client, "/search", q="courier")
    assert "/id/population/couriers" in {hit["path"] for hit in _group(english, "population")}
    assert get(client, "/search", q="COURIERS")["groups"][0]["results"][0]["exact"]


def test_search_women_workers(client):
    body = get(client, "/search", q="女职工")
    population = _group(body, "population")
    assert population[0]["path"] == "/id/population/women-workers" and population[0]["exact"]
    assert "/id/item/18" in {hit["path"] for hit in _group(body, "item")}  # 提升女职工维权服务水平
    assert "/id/body/women-workers-committees" in {hit["path"] for hit in _group(body, "body")}
    assert body["total"] == sum(group["total"] for group in body["groups"])


def test_search_kind_and_limit(client):
    only = get(client, "/search", q="职工", kind="measure", limit=3)
    assert [g["kind"] for g in only["groups"]] == ["measure"]
    assert len(only["groups"][0]["results"]) == 3 < only["groups"][0]["total"]
    laws = get(client, "/search", q="法", kind="law")
    assert laws["groups"] and all(hit["path"].startswith("/id/law/") for hit in laws["groups"][0]["results"])
    assert get(client, "/search", q="zzzzqqq")["groups"] == []


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "x" * 101}, {"q": "快递", "kind": "people"},
                                    {"q": "快递", "limit": 0}, {"q": "快递", "limit": 101}])
def test_bad_search_requests_are_422(client, params):
    assert_error(client, "/search", 422, **params)


def test_search_text_is_data_not_query(client):
    body = get(client, "/search", q='"} } SELECT * WHERE { ?s ?p ?o } #')
    assert body["groups"] == []


# --------------------------------------------------------------------------- OpenAPI
def test_the_routes_are_documented(client):
    document = client.get("/openapi.json").json()
    for path in ("/items", "/items/{number}", "/populations", "/populations/{slug}/items", "/bodies",
                 "/bodies/{slug}/items", "/indicators", "/search"):
        operation = document["paths"][path]["get"]
        assert operation["summary"] and operation["description"], path
        assert {"200", "404", "422"} <= set(operation["responses"]), path
        assert "$ref" in str(operation["responses"]["200"]["content"]["application/json"]["schema"]), path
        assert "relationships" in operation["tags"]


# --------------------------------------------------------------------------- injection through REST
INJECTIONS = [
    '快递" ) } SELECT * WHERE { ?s ?p ?o } #',
    "快递' . ?s ?p ?o } #",
    "} UNION { ?s ?p ?o",
    "\\u0022) } DROP ALL #",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_a_string_parameter_cannot_change_the_query(api, text: str) -> None:
    """The value is bound as one literal: a search for query syntax finds nothing and runs nothing else."""
    response = api.get("/search", params={"q": text})
    assert response.status_code == 200
    assert response.json()["total"] == 0
    rows = api.get("/queries/search", params={"q": text}).json()["rows"]
    assert rows == []


@pytest.mark.parametrize("value", [
    "https://w3id.org/policykg/id/population/couriers> } ?s ?p ?o {",
    "https://w3id.org/policykg/id/population/couriers>%20UNION",
    'https://w3id.org/policykg/id/population/couriers" .',
])
def test_an_iri_parameter_must_be_one_iri(api, value: str) -> None:
    response = api.get("/queries/items-serving-population", params={"population": value})
    assert response.status_code in (400, 422) and "population" in response.json()["error"]
