"""The site's own pages: layout, language switch, the home page and the search page (HTML by negotiation)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # what a browser sends


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if attrs.get("id"):
            self.ids.add(attrs["id"])


def links_of(page: str) -> Links:
    parser = Links()
    parser.feed(page)
    return parser


def test_home_is_the_plan_outline_for_a_browser(api: TestClient) -> None:
    page = api.get("/", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["vary"]
    items = api.get("/items").json()["items"]
    links = links_of(page.text).links
    for item in items:  # every item, in order, with both titles
        assert f"{item['path']}?lang=zh" in links
        assert item["title_zh"] in page.text
        if item["title_en"]:
            assert item["title_en"] in html.unescape(page.text)
    order = [int(re.search(r"/id/item/(\d+)", link).group(1)) for link in links if re.match(r"/id/item/\d+\?", link)]
    assert order == sorted(order) and len(order) == len(items) == 46
    chapters = {item["chapter"]["number"] for item in items}
    assert {f"chapter-{n}" for n in chapters} <= links_of(page.text).ids and len(chapters) == 12
    for entry in ("/dashboard?lang=zh", "/query?lang=zh", "/ontology", "/network?lang=zh"):
        assert entry in links
    counts = {"populations": len(api.get("/populations").json()["roots"]) > 0,
              "indicators": api.get("/indicators").json()["count"]}
    assert f"{counts['indicators']} 个指标" in page.text


def test_home_stays_json_for_api_clients(api: TestClient) -> None:
    for accept in (None, "application/json", "*/*", "application/json, text/html"):
        response = api.get("/", headers={"accept": accept} if accept else {})
        assert response.headers["content-type"] == "application/json" and response.json()["name"] == "policykg"


def test_language_switch(api: TestClient) -> None:
    chinese = api.get("/", headers=HTML).text
    english = api.get("/?lang=en", headers=HTML).text
    assert '<html lang="zh">' in chinese and "规划目录" in chinese
    assert '<html lang="en">' in english and "The plan, chapter by chapter" in english
    assert 'href="/?lang=en"' in chinese and 'href="/?lang=zh"' in english
    browser_prefers_english = api.get("/", headers={**HTML, "accept-language": "en-GB,en;q=0.9,zh;q=0.5"}).text
    assert '<html lang="en">' in browser_prefers_english


def test_every_page_has_the_search_box_and_a_skip_link(api: TestClient) -> None:
    for path in ("/", "/id/item/16", "/id/chapter/5", "/search?q=courier"):
        page = api.get(path, headers=HTML).text
        assert '<form class="search" role="search" action="/search"' in page, path
        assert '<label class="visually-hidden" for="site-search">' in page
        assert '<a class="skip" href="#main">' in page and '<main id="main">' in page


def test_search_page_groups_results_by_kind(api: TestClient) -> None:
    page = api.get("/search", params={"q": "快递"}, headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    found = api.get("/search", params={"q": "快递"}).json()
    links = links_of(page.text).links
    for group in found["groups"]:
        assert f'<h2 id="{group["kind"]}">' in page.text
        for hit in group["results"]:
            assert f"{hit['path']}?lang=zh" in links
    assert [g["kind"] for g in found["groups"]][0] == "population"  # an exact name first: 快递员's other name
    assert "/id/population/couriers?lang=zh" in links and "/id/item/16?lang=zh" in links
    assert 'value="快递"' in page.text  # the box keeps the words


def test_search_page_in_english_and_with_nothing_found(api: TestClient) -> None:
    page = api.get("/search", params={"q": "courier", "lang": "en"}, headers=HTML).text
    assert "Populations" in page and "/id/population/couriers?lang=en" in page
    nothing = api.get("/search", params={"q": "zzqqxx"}, headers=HTML)
    assert nothing.status_code == 200 and "没有找到结果" in nothing.text


@pytest.mark.parametrize("path", ["/", "/search?q=快递"])
def test_same_url_json_and_html_are_cached_apart(api: TestClient, path: str) -> None:
    first_html = api.get(path, headers=HTML)
    json_answer = api.get(path, headers={"accept": "application/json"})
    second_html = api.get(path, headers=HTML)
    assert json_answer.headers["content-type"] == "application/json"
    assert first_html.text == second_html.text and second_html.headers["content-type"].startswith("text/html")


def test_static_stylesheet_is_served(api: TestClient) -> None:
    css = api.get("/static/site.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media (max-width: 40rem)" in css.text
