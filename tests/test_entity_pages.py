"""Pages of populations, bodies, indicators and named things (api/entitypages.py), checked against the JSON routes."""

from __future__ import annotations

import html
import re
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph

from policykg.api.entitypages import SECTION, _lines, Span, locate, number_text
from policykg.api.html import period_text
from policykg.namespaces import POL, resource

HTML = {"accept": "text/html"}
MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def page(api: TestClient, path: str) -> str:
    response = api.get(path, headers=HTML)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def item_blocks(text: str) -> dict[int, str]:
    """The HTML of each item entry of a page, by item number."""
    parts = re.split(r'<li class="entity-item" id="item-(\d+)">', text)
    return {int(number): block for number, block in zip(parts[1::2], parts[2::2])}


def marks(block: str) -> list[str]:
    return [html.unescape(found) for found in MARK.findall(block)]


def tree_nodes(nodes: list[dict]):
    for node in nodes:
        yield node
        yield from tree_nodes(node["children"])


@pytest.fixture(scope="module")
def tree(api: TestClient) -> dict[str, dict]:
    return {node["slug"]: node for node in tree_nodes(api.get("/populations").json()["roots"])}


# --------------------------------------------------------------------------- populations
def test_population_page_lists_items_with_marked_evidence(api: TestClient, tree: dict[str, dict]) -> None:
    slug = "new-employment-form-workers"
    data = api.get(f"/populations/{slug}/items").json()
    text = page(api, f"/id/population/{slug}")
    blocks = item_blocks(text)
    assert 16 in blocks and 'href="/id/item/16?lang=zh"' in text
    assert set(blocks) == {item["number"] for item in data["items"]}
    for item in data["items"]:
        block = blocks[item["number"]]
        assert item["title_zh"] in block
        # every evidence sentence is shown, its exact words marked: the marks are the JSON's words
        assert set(marks(block)) == {ev["words"] for ev in item["evidence"]}
        for ev in item["evidence"]:
            assert ev["words"] in ev["sentence"]
            assert f'/source/{ev["file"]}?start={ev["start"]}&amp;end={ev["end"]}' in block
        for matched in item["populations"]:  # which group of the hierarchy each hit matched
            assert f'href="/id/population/{matched["slug"]}?lang=zh"' in block
    # the count "including narrower groups", and the direct count of the tree
    node = tree[slug]
    assert f"共 {data['count']} 项条目" in text and f"其中 {node['items_direct']} 项直接提及" in text
    # couriers appear among the narrower groups (the hierarchy section)
    hierarchy = text.split('id="narrower"', 1)[1].split('id="items"', 1)[0]
    assert 'href="/id/population/couriers?lang=zh"' in hierarchy and "快递员" in hierarchy
    for child in node["children"]:
        assert f'href="/id/population/{child["slug"]}?lang=zh"' in hierarchy


def test_marked_sentences_are_the_sentences(api: TestClient) -> None:
    """Removing the marks gives back the sentence as the JSON has it."""
    data = api.get("/populations/new-employment-form-workers/items").json()
    text = page(api, "/id/population/new-employment-form-workers")
    quoted = {html.unescape(re.sub(r"</?mark>", "", q))
              for q in re.findall(r'<blockquote lang="zh"><p>(.*?)</p></blockquote>', text, re.S)}
    assert {ev["sentence"] for item in data["items"] for ev in item["evidence"]} == quoted


def test_couriers_page_shows_broader_groups_and_items(api: TestClient, tree: dict[str, dict]) -> None:
    data = api.get("/populations/couriers/items").json()
    numbers = {item["number"] for item in data["items"]}
    assert numbers == {16, 36}  # checked against the JSON above; the page must agree with it
    text = page(api, "/id/population/couriers")
    assert '<h1 lang="zh">快递员</h1>' in text
    assert set(item_blocks(text)) == numbers
    broader = tree["couriers"]["broader"]
    assert len(broader) == 2  # 新就业形态劳动者 and 八大群体
    crumbs = text.split('id="broader"', 1)[1].split('id="narrower"', 1)[0]
    assert crumbs.count('<nav class="breadcrumb"') == 2
    for parent in broader:
        assert f'href="/id/population/{parent}?lang=zh"' in crumbs
    assert "快递" in text.split('id="what"', 1)[1].split('id="hierarchy"', 1)[0]  # its alternative label
    for item in data["items"]:
        assert set(marks(item_blocks(text)[item["number"]])) == {ev["words"] for ev in item["evidence"]}


def test_english_interface(api: TestClient) -> None:
    text = page(api, "/id/population/couriers?lang=en")
    assert '<html lang="en">' in text and "Broader groups" in text and "including narrower groups" in text
    assert "上位群体" not in text
    assert '<p class="altname" lang="en">Couriers</p>' in text
    api.cookies.clear()  # another reader, who has chosen no language (?lang=en is remembered)
    assert "上位群体" in page(api, "/id/population/couriers")


# --------------------------------------------------------------------------- bodies
def test_body_page_with_roles(api: TestClient) -> None:
    summary = next(b for b in api.get("/bodies").json()["bodies"] if b["slug"] == "acftu")
    data = api.get("/bodies/acftu/items").json()
    text = page(api, "/id/body/acftu?lang=en")
    assert '<h1 lang="zh">中华全国总工会</h1>' in text and "All-China Federation of Trade Unions" in text
    blocks = item_blocks(text)
    assert set(blocks) == {item["number"] for item in data["items"]} and len(blocks) == summary["items"]
    roles = {"lead": "lead", "addressed": "addressed (urged or pressed)", "involved": "involved"}
    for item in data["items"]:
        block = blocks[item["number"]]
        assert set(marks(block)) == {ev["words"] for ev in item["evidence"]}
        for role in item["roles"]:
            if role in roles:
                assert f'<span class="badge">{html.escape(roles[role])}</span>' in block
    for role, count in summary["items_by_role"].items():
        assert f"<td>{count}</td>" in text
    # sub-organisations: those whose parent is the ACFTU
    children = [b for b in api.get("/bodies").json()["bodies"] if b["parent"] == "acftu"]
    section = text.split('id="children"', 1)[1].split('id="items"', 1)[0]
    assert children and all(f'href="/id/body/{b["slug"]}?lang=en"' in section for b in children)


def test_sub_organisation_names_its_parent(api: TestClient) -> None:
    child = next(b for b in api.get("/bodies").json()["bodies"] if b["parent"] == "acftu")
    text = page(api, f"/id/body/{child['slug']}")
    parent = text.split('id="parent"', 1)[1].split('id="children"', 1)[0]
    assert 'href="/id/body/acftu?lang=zh"' in parent


# --------------------------------------------------------------------------- indicators
def test_indicator_page_matches_the_json(api: TestClient) -> None:
    indicators = api.get("/indicators").json()["indicators"]
    observed = next(i for i in indicators if i["ratio"] is not None)
    text = page(api, observed["path"])
    assert f'<h1 lang="zh">{html.escape(observed["label_zh"])}</h1>' in text
    assert f'<strong class="value">{number_text(observed["target"])}</strong>' in text
    assert f'data-comparator="{observed["comparator"]}"' in text
    assert html.escape(observed["quote"]) in text
    for number in observed["stated_in"]:
        assert f'href="/id/item/{number}?lang=zh"' in text
    latest = observed["latest_observation"]
    assert f'data-period="{latest["period"]}"' in text and period_text(latest["period"], SECTION, "zh") in text
    assert f'{observed["ratio"] * 100:.1f}%' in text and "<meter" in text
    assert 'href="/dashboard?lang=zh"' in text
    # a target with a deadline and no observation
    due = next(i for i in indicators if i["deadline"] and i["latest_observation"] is None)
    text = page(api, f"{due['path']}?lang=en")
    assert f'<time datetime="{due["deadline"]}">' in text and "gives no figure" in text
    assert f'<strong class="value">{number_text(due["target"])}</strong>' in text


# --------------------------------------------------------------------------- programmes, laws …
@pytest.mark.parametrize("kind", ["programme", "law", "slogan", "publication"])
def test_named_thing_pages(api: TestClient, kind: str) -> None:
    ids = [row["resource"] for row in api.get("/queries/resource-ids").json()["rows"]
           if f"/id/{kind}/" in row["resource"]]
    assert ids, f"no {kind} in the graph"
    iri = ids[0]
    path = "/id/" + iri.split("/id/", 1)[1]
    turtle = Graph().parse(data=api.get(path, headers={"accept": "text/turtle"}).text, format="turtle")
    items = {int(str(s).rsplit("/", 1)[1]) for s in turtle.subjects(POL.mentions, None)
             if "/id/item/" in str(s)}
    text = page(api, path)
    blocks = item_blocks(text)
    assert set(blocks) == items
    for number in items:  # the item's own JSON gives the same evidence words
        mention = next(m for m in api.get(f"/items/{number}").json()["mentions"] if m["iri"] == iri)
        assert set(marks(blocks[number])) == {ev["words"] for ev in mention["evidence"]}


def test_law_page(api: TestClient) -> None:
    text = page(api, "/id/law/trade-union-law?lang=en")
    assert '<h1 lang="zh">工会法</h1>' in text and "Trade Union Law" in text
    assert 'href="/ontology#LegalInstrument"' in text and "book-title marks" in text  # what it is
    assert 23 in item_blocks(text) and "<mark>" in text


# --------------------------------------------------------------------------- what stays as it was
def test_unknown_slug_is_404(api: TestClient) -> None:
    for path in ("/id/population/no-such-group", "/id/body/no-such-body", "/id/indicator/none-9",
                 "/id/programme/no-such-programme"):
        assert api.get(path, headers=HTML).status_code == 404


def test_turtle_still_served(api: TestClient) -> None:
    response = api.get("/id/population/couriers", headers={"accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    assert (resource("item", 16), POL.servesPopulation, resource("population", "couriers")) in graph


def test_generic_view_on_request(api: TestClient) -> None:
    text = page(api, "/id/population/couriers")
    assert 'href="/id/population/couriers?view=statements&amp;lang=zh"' in text
    assert 'href="/id/population/couriers?format=ttl"' in text
    assert "<code>https://w3id.org/policykg/id/population/couriers</code>" in text
    generic = page(api, "/id/population/couriers?view=statements")
    assert "指向此资源的陈述" in generic and 'class="entity-item"' not in generic
    assert "What points here" in page(api, "/id/population/couriers?view=statements&lang=en")


def test_pages_are_deterministic(api: TestClient) -> None:
    for path in ("/id/population/workers", "/id/body/acftu", "/id/programme/ankang-cup"):
        assert api.get(path, headers=HTML).content == api.get(path, headers=HTML).content


# --------------------------------------------------------------------------- helpers
def test_locate_prefers_the_offset_then_the_nearest() -> None:
    sentence = "职工与职工家属"
    assert locate(sentence, "职工", 3) == 3
    assert locate(sentence, "职工", 4) == 3 and locate(sentence, "职工", None) == 0
    assert locate(sentence, "农民工", 0) is None


def test_overlapping_marks_go_on_separate_lines() -> None:
    spans = [Span("新就业形态劳动者", 0, ""), Span("劳动者", 5, ""), Span("快递员", 9, "")]
    lines = _lines("新就业形态劳动者、快递员", spans)
    assert len(lines) == 2
    assert Counter(text for line in lines for text, marked in line if marked) == Counter(
        ["新就业形态劳动者", "劳动者", "快递员"])
    assert all("".join(text for text, _ in line) == "新就业形态劳动者、快递员" for line in lines)


def test_population_page_lists_the_targets_of_the_items_serving_it(api) -> None:
    """What the plan promises them in figures: every indicator stated in an item that serves the group."""
    served = {item["number"] for item in api.get("/populations/new-employment-form-workers/items").json()["items"]}
    expected = {ind["path"] for ind in api.get("/indicators").json()["indicators"] if served & set(ind["stated_in"])}
    page = api.get("/id/population/new-employment-form-workers", headers={"accept": "text/html"}).text
    section = page.split('id="targets"', 1)[1]
    shown = set(re.findall(r'href="(/id/indicator/[^"?]+)\?lang=zh"', section))
    assert expected and shown == expected
