"""The named queries behind the relationship endpoints, on the real graph (store level, no HTTP).

Every query is also run the way a remote backend binds parameters (a VALUES
block opening the top-level WHERE group) and must answer the same.
"""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from pyoxigraph import QuerySolutions

from policykg.api.backend import bind_values
from policykg.api.sparql_guard import run_query
from policykg.resources import data_dir

POL = "https://w3id.org/policykg/ontology#"
ID = "https://w3id.org/policykg/id/"
NEW_QUERIES = ["chapters", "item-link-counts", "item-detail", "item-populations", "item-bodies", "item-mentions",
               "item-variants", "item-observations", "populations", "bodies", "search"]


def rows(store, query, **values) -> list[dict[str, str | None]]:
    result = run_query(store, query.text, substitutions=query.bindings({k: str(v) for k, v in values.items()}))
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return [{name: (s[name].value if s[name] is not None else None) for name in names} for s in result]


def test_the_new_queries_are_there_with_examples(queries):
    assert set(NEW_QUERIES) <= set(queries)
    for name in NEW_QUERIES:
        query = queries[name]
        assert query.summary and query.description, name
        assert all(p.example is not None for p in query.parameters.values() if p.required), name


@pytest.mark.parametrize("name, values", [
    ("item-detail", {"item_number": "16"}), ("item-populations", {"item_number": "16"}),
    ("item-bodies", {"item_number": "37"}), ("item-mentions", {"item_number": "13"}),
    ("item-variants", {"item_number": "2"}), ("item-observations", {"item_number": "17"}),
    ("search", {"q": "快递"}), ("search", {"q": "Courier", "kind": "population"}), ("populations", {}),
])
def test_values_binding_answers_like_substitutions(store, queries, name, values):
    """What a remote SPARQL server is sent (VALUES block) means what the embedded store is given (substitutions)."""
    query = queries[name]
    bindings = query.bindings(values)
    substituted = run_query(store, query.text, substitutions=bindings)
    valued = run_query(store, bind_values(query.text, {v.value: t for v, t in bindings.items()}))

    def solutions(result):
        names = [v.value for v in result.variables]
        return Counter(tuple(str(s[n]) if s[n] is not None else None for n in names) for s in result)

    expected = solutions(substituted)
    assert expected and solutions(valued) == expected


def test_chapters(store, queries):
    found = rows(store, queries["chapters"])
    assert [int(r["number"]) for r in found] == list(range(1, 13))
    assert sum(int(r["items"]) for r in found) == 46
    assert all(r["title_zh"] and r["title_en"] for r in found)
    assert int(found[4]["items"]) == 5  # chapter 5: items 14-18


def test_item_link_counts(store, queries):
    found = {int(r["number"]): r for r in rows(store, queries["item-link-counts"])}
    assert sorted(found) == list(range(1, 47))
    sixteen = found[16]
    assert int(sixteen["populations"]) >= 10 and int(sixteen["primary_populations"]) == 1
    assert int(sixteen["bodies"]) == 2 and int(sixteen["later_tasks"]) >= 2
    assert int(found[24]["indicators"]) == 5  # the 依法维权 targets are stated in item 24


def test_item_detail(store, queries):
    (sixteen,) = rows(store, queries["item-detail"], item_number=16)
    assert sixteen["title_zh"] == "维护新就业形态劳动者合法权益" and int(sixteen["chapter_number"]) == 5
    assert sixteen["text"].startswith("配合人社部门") and sixteen["body_in_corpus"] == "true"
    (forty,) = rows(store, queries["item-detail"], item_number=40)
    assert forty["body_in_corpus"] == "false" and forty["text"] is None
    assert rows(store, queries["item-detail"], item_number=47) == []


def test_item_populations_carry_their_evidence(store, queries, corpus):
    found = rows(store, queries["item-populations"], item_number=16)
    salience = {r["population"].removeprefix(ID + "population/"): r["salience"].removeprefix(POL) for r in found}
    assert salience["new-employment-form-workers"] == "Primary"
    assert salience["couriers"] == "Mentioned" and salience["food-delivery-riders"] == "Mentioned"
    for r in found:
        assert corpus[r["file"]].text[int(r["start"]):int(r["end"])] == r["words"]
    title = [r for r in found if r["evidence"] == ID + "item/16"]
    assert title and title[0]["sentence"] == "维护新就业形态劳动者合法权益"  # read from the title


def test_item_bodies_include_title_links(store, queries, corpus):
    found = rows(store, queries["item-bodies"], item_number=37)
    assert any(r["evidence"] == ID + "item/37" and r["role"] == POL + "InvolvedRole" for r in found)
    sixteen = rows(store, queries["item-bodies"], item_number=16)
    assert {(r["body"].removeprefix(ID + "body/"), r["role"].removeprefix(POL), r["cue"]) for r in sixteen} >= {
        ("human-resources-social-security-departments", "SupportedRole", "配合"),
        ("platform-enterprises", "AddressedRole", "督促")}
    for r in found + sixteen:
        assert corpus[r["file"]].text[int(r["start"]):int(r["end"])] == r["words"]


def test_item_mentions(store, queries):
    found = rows(store, queries["item-mentions"], item_number=13)
    named = {(r["name_zh"], r["class"].removeprefix(POL)) for r in found}
    assert ("大国工匠", "Award") in named and ("劳模进校园", "Campaign") in named
    assert len({r["named"] for r in found}) == len(named)  # one class per name (not also pol:Programme)


def test_item_variants_read_copy_a_against_copy_b(store, queries):
    found = rows(store, queries["item-variants"], item_number=13)
    copies = {r["copy"] for r in found}
    assert {"copy A (newspaper pages 1-2)", "copy B (newspaper pages 1-2)"} <= copies
    assert {r["field"] for r in found} <= {"title", "text"}
    by_variant: dict[str, list] = {}
    for r in found:
        by_variant.setdefault(r["variant"], []).append(r)
    assert all(len(readings) >= 2 and any(x["chosen"] == "true" for x in readings) for readings in by_variant.values())
    parts = rows(store, queries["item-variants"], item_number=2)
    assert any(r["site"].startswith(ID + "item-part/2-") for r in parts)  # variants inside the item's parts


def test_item_observations(store, queries):
    found = rows(store, queries["item-observations"], item_number=17)
    assert any(r["indicator"] == ID + "indicator/quality-2-1" and float(r["value"]) == 300000 for r in found)


def test_populations_cover_the_scheme(store, queries):
    scheme = yaml.safe_load((data_dir("build/data") / "populations.yaml").read_text(encoding="utf-8"))
    slugs = {c["slug"] for c in scheme["concepts"]}
    found = {r["population"].removeprefix(ID + "population/"): r for r in rows(store, queries["populations"])}
    assert set(found) == slugs
    couriers = found["couriers"]
    assert set(couriers["broader"].split()) == {ID + "population/new-employment-form-workers", ID + "population/eight-groups"}
    assert "快递" in couriers["alt_labels"].split("|")
    for r in found.values():
        assert int(r["all_items"] or 0) >= int(r["direct_items"] or 0)
    assert int(found["new-employment-form-workers"]["all_items"]) >= 2


def test_bodies_count_items_by_role(store, queries):
    found = {r["body"].removeprefix(ID + "body/"): r for r in rows(store, queries["bodies"])}
    acftu = found["acftu"]
    assert acftu["label_zh"] == "中华全国总工会" and acftu["kind"] == "union" and acftu["parent"] is None
    assert int(acftu["lead_items"]) >= 1 and int(acftu["items"]) >= int(acftu["direct_items"])
    assert found["provincial-federations"]["parent"] == ID + "body/acftu"
    lead = rows(store, queries["items-by-body"], body=ID + "body/acftu", role=POL + "LeadRole")
    assert int(acftu["lead_items"]) == len({r["item_number"] for r in lead})  # counted as items-by-body lists them


@pytest.mark.parametrize("q, kind, resource", [
    ("快递", "population", "population/couriers"), ("快递", "item", "item/16"), ("COURIER", "population", "population/couriers"),
    ("女职工", "population", "population/women-workers"), ("女职工", "item", "item/18"),
    ("工会法", "law", "law/trade-union-law"), ("集体合同签订率", "indicator", "indicator/rights-1-1"),
    ("全总", "body", "body/acftu"),
])
def test_search_finds(store, queries, q, kind, resource):
    found = rows(store, queries["search"], q=q, kind=kind)
    assert ID + resource in {r["resource"] for r in found}
    assert {r["result_kind"] for r in found} == {kind}


def test_search_puts_exact_matches_first_and_binds_text_as_data(store, queries):
    found = rows(store, queries["search"], q="快递")
    assert found[0]["exact"] == "true" and found[0]["resource"] == ID + "population/couriers"
    assert rows(store, queries["search"], q='") } SELECT * WHERE { ?s ?p ?o } #') == []
