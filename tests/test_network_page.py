"""The network picture at /network (api/networkpage.py): inline SVG, server-side filters, text alternative.

What the page shows is checked against the named queries (graph-nodes, graph-edges) and /items,
not against the networkx graph the page is drawn from.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from policykg.namespaces import ID, POL

SVG = "{http://www.w3.org/2000/svg}"
BASE = str(ID)
BODY_RELATIONS = {str(POL[name]) for name in ("involvesBody", "leadBody", "partnerBody", "supportedBody", "addressedBody")}
ROLE_RELATION = {"lead": str(POL.leadBody), "partner": str(POL.partnerBody), "supported": str(POL.supportedBody),
                 "addressed": str(POL.addressedBody), "involved": str(POL.involvesBody)}


def picture(html: str) -> ET.Element:
    """The page's network SVG, parsed as XML (it must be well-formed)."""
    found = re.search(r'<svg xmlns="http://www\.w3\.org/2000/svg" id="network-svg".*?</svg>', html, re.S)
    assert found, "no network SVG in the page"
    return ET.fromstring(found.group(0))


def node_ids(svg: ET.Element, kind: str | None = None) -> list[str]:
    return [a.get("data-id") for a in svg.iter(f"{SVG}a")
            if "node" in a.get("class", "").split() and (kind is None or a.get("data-kind") == kind)]


def edges(svg: ET.Element) -> list[dict[str, str]]:
    return [dict(path.attrib) for path in svg.iter(f"{SVG}path") if "edge" in path.get("class", "").split()]


def short(iri: str) -> str:
    return iri.removeprefix(BASE)


@pytest.fixture(scope="module")
def graph_edges(api) -> list[dict]:
    response = api.get("/queries/graph-edges")
    assert response.status_code == 200, response.text
    return response.json()["rows"]


@pytest.fixture(scope="module")
def whole(api) -> str:
    response = api.get("/network")
    assert response.status_code == 200, response.text
    return response.text


def item_links(rows: list[dict]) -> list[tuple[str, str, str]]:
    """(item, population or body, relation IRI) of every item → population / body edge."""
    return [(short(r["source"]), short(r["target"]), r["relation"]) for r in rows
            if r["relation"] == str(POL.servesPopulation) or r["relation"] in BODY_RELATIONS]


def test_page_is_html_with_well_formed_svg(api, whole):
    response = api.get("/network")
    assert response.headers["content-type"].startswith("text/html")
    assert "<!doctype html>" in whole.lower()
    svg = picture(whole)
    assert svg.get("viewBox", "").startswith("0 0 ")
    assert svg.find(f"{SVG}title") is not None
    assert '/static/network.css' in whole and '/static/network.js' in whole
    assert "cdn" not in whole.lower()


def test_every_node_is_a_link_with_a_title(whole):
    svg = picture(whole)
    anchors = [a for a in svg.iter(f"{SVG}a") if "node" in a.get("class", "").split()]
    assert anchors
    for a in anchors:
        assert a.get("href") == "/id/" + a.get("data-id")
        assert (a.find(f"{SVG}title").text or "").strip()
        assert a.find(f"{SVG}circle") is not None and a.find(f"{SVG}text") is not None
    item_16 = next(a for a in anchors if a.get("data-id") == "item/16")
    assert item_16.find(f"{SVG}text").text == "16"
    couriers = next(a for a in anchors if a.get("data-id") == "population/couriers")
    assert couriers.find(f"{SVG}text").text == "快递员"


def test_whole_picture_has_every_item_population_and_body(api, whole):
    expected = []
    for kind in ("item", "population", "body"):
        response = api.get("/queries/graph-nodes", params={"kind": kind})
        assert response.status_code == 200, response.text
        expected += [short(row["node"]) for row in response.json()["rows"]]
    svg = picture(whole)
    shown = node_ids(svg)
    assert len(shown) == len(set(shown)) == len(expected)
    assert set(shown) == set(expected)


def test_whole_picture_has_every_item_edge(whole, graph_edges):
    svg = picture(whole)
    drawn = sorted((e["data-source"], e["data-target"], e.get("data-role", "")) for e in edges(svg))
    roles = {relation: role for role, relation in ROLE_RELATION.items()}
    expected = sorted((item, target, roles.get(relation, "")) for item, target, relation in item_links(graph_edges))
    assert drawn == expected
    # the text alternative lists the same edges
    assert len(re.findall(r'<tr data-source="', whole)) == len(expected)


def test_chapter_filter_shows_exactly_its_items_and_their_links(api, graph_edges):
    response = api.get("/network", params={"chapter": "5"})
    assert response.status_code == 200, response.text
    items = api.get("/items", params={"chapter": 5}).json()["items"]
    expected_items = {f"item/{item['number']}" for item in items}
    svg = picture(response.text)
    assert set(node_ids(svg, "item")) == expected_items
    links = [(item, target) for item, target, _ in item_links(graph_edges) if item in expected_items]
    assert set(node_ids(svg, "population")) == {t for _, t in links if t.startswith("population/")}
    assert set(node_ids(svg, "body")) == {t for _, t in links if t.startswith("body/")}
    assert sorted((e["data-source"], e["data-target"]) for e in edges(svg)) == sorted(links)
    assert all(node.get("data-chapter") == "5" for node in svg.iter(f"{SVG}a") if node.get("data-kind") == "item")
    assert 'data-filtered="true"' in response.text


def test_population_filter_includes_narrower_populations(api, graph_edges):
    response = api.get("/network", params={"population": "couriers"})
    assert response.status_code == 200, response.text
    svg = picture(response.text)
    assert "item/16" in node_ids(svg, "item")
    assert "population/couriers" in node_ids(svg, "population")
    serving = {item for item, target, _ in item_links(graph_edges) if target == "population/couriers"}
    assert set(node_ids(svg, "item")) == serving
    # a broader population brings the items of its narrower ones (couriers is one of the eight groups)
    assert any(short(r["source"]) == "population/couriers" and short(r["target"]) == "population/eight-groups"
               for r in graph_edges if r["relation"].endswith("#broader"))
    broad = picture(api.get("/network", params={"population": "eight-groups"}).text)
    assert serving <= set(node_ids(broad, "item"))
    assert {e["data-target"] for e in edges(broad) if e["data-kind"] == "population"} >= {"population/couriers"}


def test_role_filter_keeps_only_body_edges_of_that_role(api, graph_edges):
    response = api.get("/network", params={"role": "lead"})
    assert response.status_code == 200, response.text
    svg = picture(response.text)
    body_edges = [e for e in edges(svg) if e["data-kind"] == "body"]
    assert body_edges and all(e["data-role"] == "lead" and "role-lead" in e["class"].split() for e in body_edges)
    lead = {(item, target) for item, target, relation in item_links(graph_edges) if relation == str(POL.leadBody)}
    assert {(e["data-source"], e["data-target"]) for e in body_edges} == lead
    assert set(node_ids(svg, "item")) == {item for item, _ in lead}
    assert set(node_ids(svg, "body")) == {body for _, body in lead}
    # population edges carry no role; the other kinds of edge are not drawn at all
    assert all(e["data-kind"] == "population" and "data-role" not in e for e in edges(svg) if e not in body_edges)


def test_filters_combine_and_empty_values_mean_all(api, whole):
    both = picture(api.get("/network", params={"chapter": "5", "role": "addressed"}).text)
    chapter_5 = set(node_ids(picture(api.get("/network", params={"chapter": "5"}).text), "item"))
    addressed = set(node_ids(picture(api.get("/network", params={"role": "addressed"}).text), "item"))
    assert set(node_ids(both, "item")) == chapter_5 & addressed
    empty = api.get("/network", params={"chapter": "", "population": "", "role": ""})
    assert empty.status_code == 200
    assert ET.tostring(picture(empty.text)) == ET.tostring(picture(whole))


@pytest.mark.parametrize(("params", "valid"), [
    ({"chapter": "99"}, ["1", "5", "12"]),
    ({"chapter": "five"}, ["1", "5", "12"]),
    ({"population": "no-such-group"}, ["couriers", "women-workers"]),
    ({"role": "boss"}, ["lead", "partner", "supported", "addressed", "involved"]),
])
def test_invalid_filter_is_a_400_page_listing_valid_values(api, params, valid):
    response = api.get("/network", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text
    value = next(iter(params.values()))
    assert f"“{value}”" in response.text
    listed = re.findall(r'<li><a href="/network\?\w+=([^&"]+)&amp;lang=zh"><code>', response.text)
    assert set(valid) <= set(listed)
    assert 'id="network-svg"' not in response.text


def test_invalid_filter_message_in_english(api):
    response = api.get("/network", params={"chapter": "13", "lang": "en"})
    assert response.status_code == 400
    assert "Invalid filter" in response.text and "“13” is not a valid chapter." in response.text


def test_same_data_same_bytes(api, whole):
    for params in ({}, {"chapter": "5"}, {"population": "couriers", "lang": "en"}):
        first, second = api.get("/network", params=params), api.get("/network", params=params)
        assert first.content == second.content
    api.cookies.clear()  # another reader, who has chosen no language (?lang=en is remembered)
    assert api.get("/network").text == whole


def test_english_interface(api):
    response = api.get("/network", params={"lang": "en"})
    assert response.status_code == 200
    text = response.text
    assert '<html lang="en">' in text
    for words in ("Populations", "Bodies", "Chapter 5", "The links shown", "Body role", "Apply",
                  "Showing 46 items"):
        assert words in text
    assert "关系网络图" not in text
    # the corpus's labels stay Chinese, marked as such
    assert '<text x="' in text and 'lang="zh">快递员</text>' in text
    api.cookies.clear()  # another reader, who has chosen no language (?lang=en is remembered)
    chinese = api.get("/network").text
    assert '<html lang="zh">' in chinese and "人群" in chinese and "第5章" in chinese and "应用" in chinese


def test_form_works_without_javascript(whole):
    form = re.search(r'<form class="network-filters".*?</form>', whole, re.S).group(0)
    assert 'method="get"' in form and 'action="/network"' in form
    for name in ("chapter", "population", "role"):
        assert f'<label for="filter-{name}">' in form and f'<select id="filter-{name}" name="{name}">' in form
    assert '<option value="couriers">' in form
    assert '<button type="submit"' in form


def test_static_files_are_served(api):
    script = api.get("/static/network.js")
    assert script.status_code == 200 and "network-svg" in script.text
    style = api.get("/static/network.css")
    assert style.status_code == 200 and ".network-svg" in style.text
