"""The item page (``/id/item/{n}`` for a browser) and the source view (``/source/{file}``)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from policykg.build.sources import load_corpus

HTML = {"Accept": "text/html"}
ALL_ITEMS = range(1, 47)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """The page's evidence spans (``.ev`` with offsets: links, and targets' boxes around links), its source
    links (``a.src``), <mark>s, <h1> and all its text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.spans: list[dict] = []
        self.sources: dict[str, str] = {}  # span id -> its source link
        self.source_links: list[str] = []
        self.marks: list[str] = []
        self.h1 = ""
        self.text: list[str] = []
        self._stack: list[tuple[str, dict | None]] = []  # open elements; the evidence ones with their record
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "a" and "src" in classes:
            self.source_links.append(attrs["href"])
            if attrs.get("data-for"):
                self.sources[attrs["data-for"]] = attrs["href"]
        if tag in VOID:
            return
        record = None
        if "ev" in classes and attrs.get("data-file"):
            record = {**attrs, "tag": tag, "classes": classes, "text": ""}
        elif tag in ("mark", "h1"):
            record = {"tag": tag, "text": ""}
        self._stack.append((tag, record))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self._stack and self._stack[-1][0] == tag, (tag, self._stack[-3:])
        _, record = self._stack.pop()
        if record is None:
            return
        if record["tag"] == "mark":
            self.marks.append(record["text"])
        elif record["tag"] == "h1":
            self.h1 = record["text"]
        else:
            self.spans.append(record)

    def handle_data(self, data):
        self.text.append(data)
        for _, record in self._stack:
            if record is not None:
                record["text"] += data

    @property
    def all_text(self) -> str:
        return "".join(self.text)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def item16(api):
    return api.get("/items/16").json()


def page_of(api, path: str, **headers) -> Page:
    response = api.get(path, headers={**HTML, **headers})
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return Page(response.text)


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def test_item_page_title_matches_the_api(api, item16):
    page = page_of(api, "/id/item/16")
    assert item16["title_zh"] == "维护新就业形态劳动者合法权益"
    assert page.h1.strip() == item16["title_zh"]
    assert item16["chapter"]["title_zh"] in page.all_text
    assert "条目正文" in page.all_text  # Chinese interface by default


def test_population_span_links_to_its_entity_and_its_source(api, item16):
    page = page_of(api, "/id/item/16")
    populations = [s for s in page.spans if "ev-population" in s["classes"]]
    assert populations
    evidence = {(e["file"], e["start"], e["end"]): (p["slug"], e["words"])
                for p in item16["populations"] for e in p["evidence"]}
    span = populations[0]
    slug, words = evidence[(span["data-file"], int(span["data-start"]), int(span["data-end"]))]
    assert span["href"].endswith(f"/id/population/{slug}")
    assert span["text"] == words
    source = api.get(local(page.sources[span["id"]]), headers=HTML)
    assert source.status_code == 200
    assert Page(source.text).marks == [words]
    # The population's page answers.
    assert api.get(local(span["href"]), headers=HTML).status_code == 200


def test_body_span_names_its_role(api, item16):
    page = page_of(api, "/id/item/16")
    roles = {(e["start"], e["end"]): b["role"] for b in item16["bodies"] for e in b["evidence"]}
    bodies = [s for s in page.spans if "ev-body" in s["classes"]]
    assert bodies
    for span in bodies:
        role = roles[(int(span["data-start"]), int(span["data-end"]))]
        assert f"ev-role-{role}" in span["classes"]
        assert "角色" in span["title"]
    english = page_of(api, "/id/item/16?lang=en")
    supported = [s for s in english.spans if "ev-role-supported" in s["classes"]]
    assert supported and "role: supported" in supported[0]["title"]
    assert "supported (they lead, the union assists)" in english.all_text  # the legend


def test_every_highlighted_span_is_the_words_at_its_offsets(api, corpus):
    checked = 0
    for number in ALL_ITEMS:
        page = page_of(api, f"/id/item/{number}")
        by_measure: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for span in page.spans:
            start, end = int(span["data-start"]), int(span["data-end"])
            assert span["text"] == corpus[span["data-file"]].text[start:end], (number, span)
            assert span["text"], (number, span)
            layer = "box" if span["tag"] == "span" else "link"
            by_measure.setdefault((span["id"].rsplit("-", 1)[0], layer), []).append((start, end))
            checked += 1
        # Never nested or overlapping (links cannot nest): within a measure, each span after the last.
        for spans in by_measure.values():
            spans.sort()
            for (_, end_a), (start_b, _) in zip(spans, spans[1:]):
                assert start_b >= end_a, (number, spans)
    assert checked > 100


def test_overlapping_spans_are_listed_not_nested(api, corpus):
    # Item 24: 省级总工会 … overlaps 市级 …: one is drawn, the other listed under the measure.
    detail = api.get("/items/24").json()
    evidence = sorted((e["start"], e["end"]) for b in detail["bodies"] for e in b["evidence"])
    overlapping = [(a, b) for a, b in zip(evidence, evidence[1:]) if b[0] < a[1]]
    assert overlapping
    response = api.get("/id/item/24", headers=HTML)
    page = Page(response.text)
    drawn = {(int(s["data-start"]), int(s["data-end"])) for s in page.spans}
    for a, b in overlapping:
        assert not (a in drawn and b in drawn)
    assert "与已高亮的词重叠" in response.text


def test_variants_side_by_side(api):
    with_variants = next(n for n in ALL_ITEMS if api.get(f"/items/{n}").json()["variants"])
    detail = api.get(f"/items/{with_variants}").json()
    response = api.get(f"/id/item/{with_variants}", headers=HTML)
    page = Page(response.text)
    assert 'id="variants"' in response.text
    labels = {r["copy_label"] for v in detail["variants"] for r in v["readings"]}
    for label in labels:
        assert f'<th scope="col">{label}</th>' in response.text
    for variant in detail["variants"]:
        for reading in variant["readings"]:
            assert any(f"start={reading['start']}&end={reading['end']}" in link for link in page.source_links)
    assert "✓ 采用" in response.text


def test_later_tasks_of_item_16(api, item16):
    assert item16["later_tasks"]
    page = page_of(api, "/id/item/16")
    for task in item16["later_tasks"]:
        assert task["text"] in page.all_text
        assert f"{task['score']:.2f}" in page.all_text
    assert "后续任务" in page.all_text


@pytest.mark.parametrize("number", range(38, 47))
def test_items_without_body_render(api, number):
    page = page_of(api, f"/id/item/{number}")
    assert "语料中只有本条目的标题" in page.all_text
    assert page.h1.strip() == api.get(f"/items/{number}").json()["title_zh"]


def test_indicators_with_progress(api):
    numbers = [n for n in ALL_ITEMS if any(i["ratio"] is not None for i in api.get(f"/items/{n}").json()["indicators"])]
    assert numbers
    response = api.get(f"/id/item/{numbers[0]}", headers=HTML)
    assert "<meter" in response.text and "目标指标与进展" in response.text
    boxes = [s for n in ALL_ITEMS for s in Page(api.get(f"/id/item/{n}", headers=HTML).text).spans
             if "ev-indicator" in s["classes"]]
    assert boxes and all(s["tag"] == "span" for s in boxes)


def test_item_still_answers_rdf(api):
    response = api.get("/id/item/16", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    assert "维护新就业形态劳动者合法权益" in response.text


def test_generic_statements_view_and_formats(api):
    response = api.get("/id/item/16?format=html&view=statements", headers=HTML)
    assert response.status_code == 200
    assert "<h2 id=\"statements\">陈述</h2>" in response.text and 'class="ev ' not in response.text
    english = api.get("/id/item/16?format=html&view=statements&lang=en", headers=HTML).text
    assert '<h2 id="statements">Statements</h2>' in english and "What points here" in english
    item = api.get("/id/item/16", headers=HTML).text
    assert "view=statements" in item and "/id/item/16?format=ttl" in item
    assert "https://w3id.org/policykg/id/item/16" in item


def test_english_interface(api, item16):
    page = page_of(api, "/id/item/16?lang=en")
    assert "Text of the item" in page.all_text
    assert "Later tasks that continue it" in page.all_text
    assert item16["title_en"] in page.all_text
    assert "条目正文" not in page.all_text


def test_source_view_marks_the_span(api, corpus):
    text = corpus["001_42e14eb1134fccac.txt"].text
    response = api.get("/source/001_42e14eb1134fccac.txt?start=1447&end=1455", headers=HTML)
    assert response.status_code == 200
    assert Page(response.text).marks == [text[1447:1455]] == ["新就业形态劳动者"]
    line = text.count("\n", 0, 1447) + 1
    assert f"<dd>{line}</dd>" in response.text
    whole = api.get("/source/001_42e14eb1134fccac.txt")
    assert whole.headers["content-type"].startswith("text/plain")
    assert whole.text == text


def test_source_view_errors(api):
    missing = api.get("/source/nope.txt?start=1&end=2", headers=HTML)
    assert missing.status_code == 404
    assert "nope.txt" in missing.text and "000_2a1e229b78a33fef.txt" in missing.text
    cases = {"start=a&end=2": ("不是整数", "not an integer"), "start=5&end=2": ("之后", "after"),
             "start=5&end=99999999": ("偏移须在 0 与", "between 0"), "start=-1&end=2": ("偏移须在 0 与", "between 0"),
             "start=5": ("缺少 end", "end is missing"), "start=1&end=2&context=-1": ("context 须在", "context must be")}
    for query, (chinese, english) in cases.items():  # in the reader's language
        for lang, message in (("zh", chinese), ("en", english)):
            response = api.get(f"/source/001_42e14eb1134fccac.txt?{query}&lang={lang}", headers=HTML)
            assert response.status_code == 400, query
            assert message in response.text, (query, lang, response.text[-800:])
    english = api.get("/source/nope.txt?lang=en")
    assert english.status_code == 404 and "the known files are" in english.text


def test_every_source_link_of_item_16_marks_its_words(api, corpus, item16):
    page = page_of(api, "/id/item/16")
    for link in page.source_links:
        query = parse_qs(urlsplit(link).query)
        file = urlsplit(link).path.rsplit("/", 1)[-1]
        start, end = int(query["start"][0]), int(query["end"][0])
        shown = Page(api.get(local(link), headers=HTML).text)
        assert shown.marks == [corpus[file].text[start:end]]
