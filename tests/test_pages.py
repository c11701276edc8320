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
    api.cookies.clear()  # another reader, who has chosen no language (?lang=en is remembered)
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


# --------------------------------------------------------------------------- the language follows the reader
READER_PAGES = ("/", "/id/item/16", "/id/population/couriers", "/dashboard", "/query", "/search?q=courier",
                "/id/chapter/5", "/id/item/16?view=statements")  # the last two: the generic statements page


def test_a_chosen_language_is_remembered_on_every_page(api: TestClient) -> None:
    pages = (*READER_PAGES, api.get("/indicators").json()["indicators"][0]["path"])
    chosen = api.get("/?lang=en", headers=HTML)
    cookie = chosen.headers["set-cookie"]
    assert cookie.startswith("policykg_lang=en;") and "Path=/" in cookie and "SameSite=Lax" in cookie
    assert f"Max-Age={365 * 24 * 3600}" in cookie
    for path in pages:  # no ?lang= from here on: the cookie speaks
        page = api.get(path, headers=HTML)
        assert page.status_code == 200 and '<html lang="en">' in page.text and "Skip to content" in page.text, path
        assert "set-cookie" not in page.headers, path  # nothing new to remember
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in page.headers["vary"].split(",")}, path
    assert api.get("/dashboard?lang=zh", headers=HTML).headers["set-cookie"].startswith("policykg_lang=zh;")
    for path in pages:
        page = api.get(path, headers=HTML).text
        assert '<html lang="zh">' in page and "跳到正文" in page, path


def test_lang_beats_the_cookie_and_the_cookie_beats_accept_language(api: TestClient) -> None:
    api.get("/?lang=en", headers=HTML)
    assert '<html lang="zh">' in api.get("/id/item/16?lang=zh", headers=HTML).text  # and now zh is remembered
    assert '<html lang="zh">' in api.get("/", headers={**HTML, "accept-language": "en"}).text
    api.cookies.clear()
    assert '<html lang="en">' in api.get("/", headers={**HTML, "accept-language": "en"}).text


def test_only_pages_remember_the_language(api: TestClient) -> None:
    assert "set-cookie" not in api.get("/items?lang=en").headers  # JSON for an API client
    assert "set-cookie" not in api.get("/id/item/16?lang=en", headers={"accept": "text/turtle"}).headers
    assert api.get("/?lang=zh", headers=HTML).headers["set-cookie"].startswith("policykg_lang=zh;")  # a choice
    assert "set-cookie" not in api.get("/?lang=zh", headers=HTML).headers  # … remembered once


def test_a_cached_page_is_not_served_in_another_language(api: TestClient) -> None:
    path = "/id/population/women-workers"
    english = api.get(path, headers={**HTML, "cookie": "policykg_lang=en"})
    chinese = api.get(path, headers={**HTML, "cookie": "policykg_lang=zh"})
    again = api.get(path, headers={**HTML, "cookie": "theme=dark; policykg_lang=en"})
    assert '<html lang="en">' in english.text and '<html lang="zh">' in chinese.text
    assert again.content == english.content and again.headers["etag"] == english.headers["etag"]  # one entry per language
    assert chinese.headers["etag"] != english.headers["etag"]
    stale = api.get(path, headers={**HTML, "cookie": "policykg_lang=zh", "if-none-match": english.headers["etag"]})
    assert stale.status_code == 200 and '<html lang="zh">' in stale.text


# --------------------------------------------------------------------------- the newcomer's question, from the pages alone
class Form(HTMLParser):
    """The site's search form: its action and the fields it sends besides the words typed."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.action, self.fields, self.box, self._inside = "", {}, "", False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("role") == "search":
            self.action, self._inside = attrs["action"], True
        elif tag == "input" and self._inside:
            if attrs.get("type") == "search":
                self.box = attrs["name"]
            elif attrs.get("type") == "hidden":
                self.fields[attrs["name"]] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def search(api: TestClient, page: str, words: str) -> str:
    """What typing ``words`` in the page's search box and pressing Enter gives."""
    form = Form(page)
    response = api.get(form.action, params={**form.fields, form.box: words}, headers=HTML)
    assert response.status_code == 200
    return response.text


def section(page: str, heading_id: str) -> str:
    found = re.search(rf'<section[^>]* aria-labelledby="{heading_id}"[^>]*>(.*?)</section>', page, re.S)
    assert found, f"no section #{heading_id}"
    return found.group(1)


def test_which_items_serve_couriers_and_what_the_plan_promises_them(api: TestClient) -> None:
    """home → the search box (快递员, and in English "couriers") → the population page → its items, each with the
    plan's sentence about couriers → the item's page with that sentence among its measures, and its targets."""
    home = api.get("/", headers=HTML).text
    found = links_of(section(search(api, home, "快递员"), "population")).links[0]
    english_home = api.get(next(link for link in links_of(home).links if "lang=en" in link), headers=HTML).text
    assert '<html lang="en">' in english_home
    assert links_of(section(search(api, english_home, "couriers"), "population")).links[0] == \
        found.replace("lang=zh", "lang=en")
    assert found.startswith("/id/population/")
    slug = found.split("/id/population/", 1)[1].split("?", 1)[0]
    served = api.get(f"/populations/{slug}/items").json()  # what the graph says, to compare the pages with
    assert served["count"] == len(served["items"]) > 0

    population = api.get(found, headers=HTML).text
    assert served["population"]["label_zh"] in population
    answer = section(population, "answer")  # the answer comes first: every item, by number and title
    for item in served["items"]:
        assert f'href="#item-{item["number"]}"' in answer and html.escape(item["title_zh"]) in answer
    entries = dict(re.findall(r'<li class="entity-item" id="item-(\d+)">(.*?)</li>\s*(?=<li class="entity-item"|</ol>)',
                              population, re.S))
    assert {int(n) for n in entries} == {item["number"] for item in served["items"]}
    promises = 0
    for item in served["items"]:
        entry = entries[str(item["number"])]
        assert html.escape(item["title_zh"]) in entry
        quoted = {html.unescape(re.sub(r"</?mark>", "", q))
                  for q in re.findall(r'<blockquote lang="zh"><p>(.*?)</p></blockquote>', entry, re.S)}
        assert quoted == {ev["sentence"] for ev in item["evidence"]}  # the plan's own sentence(s) about them
        item_link = next(link for link in links_of(entry).links if link.startswith(f"/id/item/{item['number']}?"))
        item_page = api.get(item_link, headers=HTML).text
        assert f'<h1 id="item-title" lang="zh">{html.escape(item["title_zh"])}</h1>' in item_page
        measures = {m["text"] for m in api.get(f"/items/{item['number']}").json()["measures"]}
        for sentence in quoted & measures:  # a promise, as the item's page shows it among its measures
            assert html.escape(sentence) in item_page
            promises += 1
        targets = api.get(f"/items/{item['number']}").json()["indicators"]
        for target in targets:  # what the plan promises in figures, on the item's page too
            assert f'href="{target["path"]}' in item_page and html.escape(target["quote"]) in item_page
    assert promises >= 1
    figures = section(population, "targets")
    expected = {ind["path"] for ind in api.get("/indicators").json()["indicators"]
                if {item["number"] for item in served["items"]} & set(ind["stated_in"])}
    assert set(re.findall(r'href="(/id/indicator/[^"?]+)\?', figures)) == expected
