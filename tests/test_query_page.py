"""The query page, /query: a form that runs SPARQL through the /sparql gate and shows the answer as a page.

Answers are checked against the store read directly (index look-ups, not
SPARQL), so the page is not checked against itself.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from urllib.parse import urlencode

import pytest
from pyoxigraph import NamedNode

from policykg.api import querypage
from policykg.api.sparql_guard import DEFAULT_PREFIXES
from policykg.namespaces import ID, POL, RDF

PLAN_ITEM = NamedNode(str(POL.PlanItem))
RDF_TYPE = NamedNode(str(RDF.type))


def get_page(api, status: int = 200, **params: str) -> str:
    response = api.get("/query?" + urlencode(params))
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def item_links(page: str) -> list[int]:
    """The item numbers the results table links to, in order."""
    table = page[page.index('<table class="results">'):page.index("</table>")]
    return [int(n) for n in re.findall(r'<a href="/id/item/(\d+)"', table)]


def textarea(page: str) -> str:
    """The text the form holds (a browser drops the one newline after the start tag)."""
    found = re.search(r"<textarea[^>]*>\n(.*?)</textarea>", page, re.S)
    return html.unescape(found.group(1))


def hrefs(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


def test_the_empty_page_is_a_form_that_works_without_javascript(api) -> None:
    page = get_page(api, lang="en")
    assert '<form class="query" id="query-form" action="/query" method="get">' in page
    assert '<label for="query-text" id="query-label">' in page
    assert re.search(r'<textarea id="query-text" name="query"[^>]*>', page)
    assert '<button type="submit" class="button">Run</button>' in page
    assert '<input type="hidden" name="lang" value="en">' in page
    assert 'src="/static/query.js"' in page
    # the session's build has no dist/vendor: no editor files are asked for, nothing from elsewhere
    assert "/vendor/" not in page and "data-editor" not in page
    assert not re.search(r'(?:src|href)="(?:https?:)?//[^"]*\.(?:js|css)', page)
    assert api.get("/static/query.js").status_code == 200 and api.get("/static/query.css").status_code == 200


def test_the_interface_is_chinese_by_default(api) -> None:
    page = get_page(api)
    assert '<html lang="zh">' in page and "运行" in page and "示例" in page


def test_the_named_queries_are_the_examples(api, queries) -> None:
    page = get_page(api, lang="en")
    for name, named in queries.items():
        assert f'href="/query?example={name}&amp;lang=en"' in page, name
        assert html.escape(named.summary, quote=True) in page or named.summary in html.unescape(page), name


def test_the_prefixes_are_in_the_page_for_completion(api) -> None:
    page = get_page(api)
    found = re.search(r'<script type="application/json" id="sparql-prefixes">(.*?)</script>', page, re.S)
    prefixes = json.loads(found.group(1))
    assert prefixes["pol"] == "https://w3id.org/policykg/ontology#"
    assert prefixes == DEFAULT_PREFIXES


def test_a_select_query_shows_a_table_linking_to_the_entity_pages(api) -> None:
    query = "SELECT ?item ?label WHERE { ?item a pol:PlanItem ; pol:number ?n ; rdfs:label ?label " \
            'FILTER (?n <= 5 && LANG(?label) = "zh") } ORDER BY ?n'
    page = get_page(api, query=query, lang="en")
    assert item_links(page) == [1, 2, 3, 4, 5]  # the plan numbers its items 1-46
    assert '<th scope="col">?item</th><th scope="col">?label</th>' in page
    assert "5 rows" in page
    assert '<span class="tag" title="language">@zh</span>' in page and '<span class="literal" lang="zh">' in page
    # the query stays in the form, to be changed and run again
    assert textarea(page) == query
    assert api.get("/id/item/1", headers={"accept": "text/turtle"}).status_code == 200


def test_items_serving_couriers(api, store) -> None:
    couriers = NamedNode(ID["population/couriers"])
    expected = sorted(int(q.subject.value.rsplit("/", 1)[1])
                      for q in store.quads_for_pattern(None, NamedNode(str(POL.servesPopulation)), couriers, None)
                      if next(store.quads_for_pattern(q.subject, RDF_TYPE, PLAN_ITEM, None), None))
    assert 16 in expected
    query = f"SELECT DISTINCT ?item WHERE {{ ?item a pol:PlanItem ; pol:servesPopulation <{couriers.value}> ; " \
            "pol:number ?n } ORDER BY ?n"
    assert item_links(get_page(api, query=query)) == expected


def test_an_example_runs_in_one_click_with_its_parameter_bound(api, queries) -> None:
    page = get_page(api, example="items-serving-population", lang="en")
    text = textarea(page)
    assert "VALUES ?population { <https://w3id.org/policykg/id/population/new-employment-form-workers> }" in text
    assert "#+" not in text  # the API's YAML header gives way to a one-line summary
    assert 'aria-current="page"' in page
    # couriers are a narrower population of new-employment-form workers: item 16 is among the answers
    assert 16 in item_links(page)
    # an integer parameter is bound as a plain number, and the item's measures follow
    page = get_page(api, example="item-measures", lang="en")
    assert "VALUES ?item_number { 16 }" in textarea(page)
    assert 'href="/id/measure/16-1"' in page


def test_every_example_runs(api, queries) -> None:
    for name in queries:
        page = get_page(api, example=name, lang="en")
        assert '<section class="results"' in page, name


def test_an_unknown_example_is_a_404_page(api) -> None:
    page = get_page(api, 404, example="no-such-query", lang="en")
    assert "no named query &#39;no-such-query&#39;" in page
    assert 'href="/query?example=items-by-chapter&amp;lang=en"' in page


@pytest.mark.parametrize("query, message", [
    ("DELETE WHERE { ?s ?p ?o }", "SPARQL Update is refused"),
    ("INSERT DATA { <a> <b> <c> }", "SPARQL Update is refused"),
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE (federated query) is refused"),
    ("LOAD <http://example.org/data.ttl>", "LOAD is refused"),
])
def test_refused_queries_show_their_message_with_status_400(api, query, message) -> None:
    page = get_page(api, 400, query=query, lang="en")
    assert 'role="alert"' in page and message in html.unescape(page)
    assert '<section class="results"' not in page
    assert textarea(page) == query  # the query stays in the form
    # the same message /sparql answers as JSON
    assert message in api.get("/sparql", params={"query": query}).json()["error"]


def test_a_syntax_error_shows_its_line_and_column(api) -> None:
    query = "SELECT ?x\nWHERE {\n  ?x a pol:PlanItem\n  FILTER( }"
    page = get_page(api, 400, query=query, lang="en")
    assert 'data-line="4" data-column="12"' in page
    assert "At line 4, column 12" in page
    assert "SPARQL syntax error: error at 4:12" in page
    excerpt = html.unescape(re.search(r'<pre class="excerpt"><code>(.*?)</code></pre>', page, re.S).group(1))
    assert excerpt.splitlines() == ["  FILTER( }", " " * 11 + "^"]
    assert "第 4 行，第 12 列" in get_page(api, 400, query=query, lang="zh")


def test_a_query_over_the_time_limit_is_a_503_page(api) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    page = get_page(api, 503, query=query, lang="en")
    assert "limit" in page and 'role="alert"' in page


def test_the_downloads_fetch_the_whole_answer_from_sparql(api) -> None:
    query = "SELECT ?item ?n WHERE { ?item a pol:PlanItem ; pol:number ?n FILTER (?n <= 3) } ORDER BY ?n"
    page = get_page(api, query=query, lang="en")
    links = {re.search(r"format=(\w+)", h).group(1): h for h in hrefs(page) if h.startswith("/sparql?")}
    assert set(links) == {"csv", "json"}
    assert 'download="policykg-results.csv"' in page
    answer = api.get(links["csv"])
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows == [["item", "n"]] + [[str(ID[f"item/{n}"]), str(n)] for n in (1, 2, 3)]
    answer = api.get(links["json"])
    bindings = answer.json()["results"]["bindings"]
    assert [b["item"]["value"] for b in bindings] == [str(ID[f"item/{n}"]) for n in (1, 2, 3)]


def test_ask_is_yes_or_no(api) -> None:
    assert '<p class="boolean">Yes' in get_page(api, query="ASK { ?s a pol:PlanItem }", lang="en")
    api.cookies.clear()  # another reader, who has chosen no language (?lang=en is remembered)
    assert '<p class="boolean">否' in get_page(api, query="ASK { ?s a pol:NoSuchClass }")


def test_construct_is_shown_as_turtle_with_graph_downloads(api) -> None:
    query = "CONSTRUCT { ?item a pol:PlanItem } WHERE { ?item a pol:PlanItem ; pol:number 16 }"
    page = get_page(api, query=query, lang="en")
    turtle = html.unescape(re.search(r'<pre class="turtle"[^>]*><code>(.*?)</code></pre>', page, re.S).group(1))
    assert "<https://w3id.org/policykg/id/item/16> a pol:PlanItem" in turtle
    assert "1 triple" in page
    formats = {re.search(r"format=(\w+)", h).group(1) for h in hrefs(page) if h.startswith("/sparql?")}
    assert formats == {"ttl", "json"}


def test_long_answers_are_cut_on_the_page_and_say_so(api) -> None:
    page = get_page(api, query="SELECT ?s ?p ?o WHERE { ?s ?p ?o }", lang="en")
    assert page.count('<td class="n">') == querypage.ROWS_SHOWN
    assert f"Only the first {querypage.ROWS_SHOWN} rows are shown here" in page


def test_the_editor_is_used_when_vendored(api, api_app) -> None:
    files = {name: "0" * 64 for name in querypage.EDITOR_STYLES + querypage.EDITOR_SCRIPTS}
    before = api_app.state.vendored
    api_app.state.vendored = {"codemirror": {"name": "codemirror", "version": "5.65.21", "files": files}}
    try:
        page = get_page(api, lang="en", case="editor")  # a URL of its own: answers are cached by URL
    finally:
        api_app.state.vendored = before
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == [f"/vendor/codemirror/{name}?v=5.65.21" for name in querypage.EDITOR_SCRIPTS] + ["/static/query.js"]
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert [f"/vendor/codemirror/{name}?v=5.65.21" for name in querypage.EDITOR_STYLES] == styles[1:3]
    assert 'data-editor="5.65.21"' in page and "Ctrl-Space completes a prefix" in page


def test_the_example_text_is_the_named_query_with_values(queries) -> None:
    named = queries["items-by-body"]
    text = querypage.example_text(named)
    assert text.startswith("# items-by-body: ")
    assert "VALUES ?body { <https://w3id.org/policykg/id/body/human-resources-social-security-departments> }" in text
    assert "?role" in text and "VALUES ?role" not in text  # no example declared: left unbound
    assert querypage.example_text(queries["items-by-chapter"]).count("VALUES") == 0
