"""The item page (``/id/item/{n}`` for a browser) and the source view (``/source/{file}``).

The item page shows, for each measure of the item, the raw ``quote`` it was
read from (``file_text[start:end]``, the exact source; the cleaned sentence
is offered beside it where it differs) with the evidence of every link
highlighted and linked to its entity: populations, bodies (one style per
role), named programmes, slogans, laws and publications, and indicators.
Then the item's variants (copy A | copy B readings side by side), its
targets with their latest figure, the 2022 figures, and the later tasks
that continue it. ``?view=statements`` gives the generic statements page.

How spans are placed (deterministic, never approximate):

* An evidence span is placed in the measure whose file and offsets contain
  it, and only if ``quote[start - m.start:end - m.start] == words`` (and the
  source file agrees); otherwise it is listed under "evidence not shown in
  the text" with the reason (read from the title, from another copy, or the
  words do not match).
* Indicators carry no offsets: an indicator is highlighted only where its
  quote occurs exactly once in the item's measures; otherwise it is listed
  as not shown.
* Links cannot nest, so overlapping links are neither nested nor split:
  entity spans (population, body, mention) are taken in order of start,
  longest first, then kind, then entity; one that overlaps a span already
  placed is not drawn in the text but listed under the measure's evidence,
  marked as overlapping, with its own source link. Targets (indicators) are
  drawn as a box (a ``span``, not a link; a small link follows it) around
  the entity links inside them, and only where no placed link crosses the
  box's edge and no other box overlaps it; otherwise they are listed the
  same way. The same entity evidenced by the same words (same kind, role,
  offsets) is shown once.

The source view shows a vendored file around ``start``/``end`` (Python string
offsets into the UTF-8 text), the span marked, with its line numbers; with
no offsets it serves the whole file as text/plain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote as url_quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from policykg.api.deps import Services, ServicesDep
from policykg.api.entities import RESOURCE_FORMATS, formats_for_page
from policykg.api.errors import NotFound
from policykg.api.html import page, render, site_context, text, texts
from policykg.api.kindpages import page_for
from policykg.api.relations import ROLE_ORDER, ItemDetail, get_item, path_of
from policykg.build.sources import SourceText, load_source, read_manifest
from policykg.resources import sources_dir

router = APIRouter(tags=["pages"])

CONTEXT = 300  # characters of the source shown each side of a span
MAX_CONTEXT = 5000
KIND_ORDER = ("population", "body", "mention", "indicator")

SECTION = "item"  # the item page's texts in interface-texts.yaml (role_full_*, document_*, comparator_* …)
SOURCE_SECTION = "source"  # the source view's


# --------------------------------------------------------------------------- the vendored sources
@lru_cache(maxsize=4)
def _corpus(directory: str) -> dict[str, SourceText]:
    """The manifest's files (hash-checked once), by name."""
    folder = Path(directory)
    return {entry.file: load_source(folder, entry) for entry in read_manifest(folder)}


def corpus() -> dict[str, SourceText]:
    return _corpus(str(sources_dir()))


def source_href(base: str, file: str, start: int, end: int) -> str:
    return f"{base}/source/{url_quote(file)}?" + urlencode({"start": start, "end": end})


# --------------------------------------------------------------------------- spans
@dataclass
class Span:
    kind: str  # population, body, mention, indicator
    css: str  # ev-population, ev-body ev-role-lead, ev-law …
    href: str
    title: str
    label: str  # the entity's name, for the evidence list
    detail: str  # role, cue, action …
    file: str
    start: int
    end: int
    words: str
    source: str  # the source view's URL
    origin: str = ""  # IRI of the measure (or the item, for its title) the evidence was read from
    ident: str = ""  # the element id when placed in the text
    placed: bool = False
    note: str = ""

    def key(self) -> tuple:
        return (self.start, -self.end, KIND_ORDER.index(self.kind), self.href, self.detail)


@dataclass
class MeasureView:
    number: int
    iri: str
    href: str
    quote: str
    text: str
    file: str
    start: int
    end: int
    source: str
    segments: list[dict[str, Any]] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)


def _label(zh: str, en: str | None, lang: str) -> str:
    if en and lang == "en":
        return f"{zh} ({en})"
    return zh


def _collect(detail: ItemDetail, base: str, lang: str) -> list[Span]:
    """Every evidence span of the item (populations, bodies, mentions), deduplicated."""
    t = texts(SECTION, lang)
    found: dict[tuple, Span] = {}

    def add(span: Span) -> None:
        found.setdefault((span.kind, span.href, span.detail, span.file, span.start, span.end), span)

    for population in detail.populations:
        name = _label(population.label_zh, population.label_en, lang)
        for e in population.evidence:
            add(Span("population", "ev-population", base + path_of(population.iri),
                     f"{t['kind_population']}{t['colon']}{name} · {t['salience']}{t['colon']}{t[population.salience]}", name,
                     t[population.salience], e.file, e.start, e.end, e.words, source_href(base, e.file, e.start, e.end),
                     e.source))
    for body in detail.bodies:
        name = _label(body.label_zh, body.label_en, lang)
        role = t[f"role_full_{body.role}"]
        for e in body.evidence:
            cue = f" · {t['cue']}{t['colon']}{e.cue}" if e.cue else ""
            add(Span("body", f"ev-body ev-role-{body.role}", base + path_of(body.iri),
                     f"{t['kind_body']}{t['colon']}{name} · {t['role']}{t['colon']}{role}{cue}", name, f"{t['role']}{t['colon']}{role}{cue}",
                     e.file, e.start, e.end, e.words, source_href(base, e.file, e.start, e.end), e.source))
    for mention in detail.mentions:
        name = _label(mention.name_zh, mention.name_en, lang)
        kind_name = t["kind_law"] if mention.kind == "law" else f"{t['kind_mention']} ({mention.kind})"
        for e in mention.evidence:
            action = f"{t['action']}{t['colon']}{e.action}" if e.action else ""
            add(Span("mention", "ev-law" if mention.kind == "law" else "ev-programme", base + mention.path,
                     f"{kind_name}: {name}" + (f" · {action}" if action else ""), name, action,
                     e.file, e.start, e.end, e.words, source_href(base, e.file, e.start, e.end), e.source))
    return list(found.values())


def _indicator_spans(detail: ItemDetail, base: str, lang: str) -> tuple[list[Span], list[Span]]:
    """Indicators found exactly once in the measures' quotes (placed), and the others (listed)."""
    t = texts(SECTION, lang)
    found, missing = [], []
    for indicator in detail.indicators:
        name = _label(indicator.label_zh, indicator.label_en, lang)
        hits = [(m, at) for m in detail.measures for at in _occurrences(m.quote, indicator.quote)]
        if len(hits) == 1:
            m, at = hits[0]
            start, end = m.start + at, m.start + at + len(indicator.quote)
            found.append(Span("indicator", "ev-indicator", base + indicator.path, f"{t['kind_indicator']}{t['colon']}{name}",
                              name, "", m.file, start, end, indicator.quote, source_href(base, m.file, start, end)))
        else:
            missing.append(Span("indicator", "ev-indicator", base + indicator.path, f"{t['kind_indicator']}{t['colon']}{name}",
                                name, "", "", 0, 0, indicator.quote, "", note=t["indicator_once"]))
    return found, missing


def _occurrences(text: str, words: str) -> list[int]:
    if not words:
        return []
    found, at = [], text.find(words)
    while at >= 0:
        found.append(at)
        at = text.find(words, at + 1)
    return found


def _place(detail: ItemDetail, spans: list[Span], base: str, lang: str) -> tuple[list[MeasureView], list[Span]]:
    """Spans sorted into their measures (checked against the quote and the file) and the text cut into segments."""
    t = texts(SECTION, lang)
    files = corpus()
    measures = [MeasureView(m.number, m.iri, base + path_of(m.iri), m.quote, m.text, m.file, m.start, m.end,
                            source_href(base, m.file, m.start, m.end)) for m in detail.measures]
    unplaced: list[Span] = []
    for span in sorted(spans, key=Span.key):
        home = next((m for m in measures if m.file == span.file and m.start <= span.start < span.end <= m.end), None)
        if home is None:
            span.note = t["from_title"] if span.origin == detail.iri else t["other_copy"]
            unplaced.append(span)
            continue
        source = files.get(span.file)
        in_quote = home.quote[span.start - home.start:span.end - home.start]
        if in_quote != span.words or source is None or source.text[span.start:span.end] != span.words:
            span.note = t["mismatch"]
            unplaced.append(span)
            continue
        home.spans.append(span)
    for m in measures:
        _segment(m, t)
    return measures, unplaced


def _segment(m: MeasureView, t: dict[str, str]) -> None:
    """Cut the measure's quote into text and spans: entity links first (greedy, never overlapping), then
    targets as boxes around them (a target is boxed only if no placed link crosses its edges)."""
    links: list[Span] = []
    boxes: list[Span] = []
    for n, span in enumerate(m.spans, start=1):
        span.ident = f"ev-{m.number}-{n}"
    for span in m.spans:
        if span.kind == "indicator":
            continue
        if links and span.start < links[-1].end:
            span.note = t["overlaps"]
            continue
        links.append(span)
    for span in m.spans:
        if span.kind != "indicator":
            continue
        crossing = any(not (p.end <= span.start or p.start >= span.end or span.start <= p.start and p.end <= span.end)
                       for p in links)
        if crossing or any(b.start < span.end and span.start < b.end for b in boxes):
            span.note = t["overlaps"]
            continue
        boxes.append(span)
    for span in (*links, *boxes):
        span.placed = True

    def cut(start: int, end: int, inside: list[Span]) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        cursor = start
        for span in inside:
            if span.start > cursor:
                parts.append({"text": m.quote[cursor - m.start:span.start - m.start], "span": None, "children": None})
            parts.append({"text": span.words, "span": span, "children": None})
            cursor = span.end
        if cursor < end:
            parts.append({"text": m.quote[cursor - m.start:end - m.start], "span": None, "children": None})
        return parts

    outer = sorted([*boxes, *(p for p in links if not any(b.start <= p.start and p.end <= b.end for b in boxes))],
                   key=lambda s: s.start)
    segments = cut(m.start, m.end, outer)
    for segment in segments:
        if segment["span"] is not None and segment["span"].kind == "indicator":
            box = segment["span"]
            segment["children"] = cut(box.start, box.end, [p for p in links if box.start <= p.start and p.end <= box.end])
    m.segments = segments


# --------------------------------------------------------------------------- the item page
def _number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"


def _document_name(iri: str, t: dict[str, str]) -> str:
    """A later document by its name in the interface language (``document_<slug>``), else its slug."""
    slug = iri.rstrip("/").rsplit("/", 1)[-1]
    return t.get(f"document_{slug}", slug)


@page_for("item")
def item_page(services: Services, request: Request, ident: str) -> bytes | None:
    slug = ident.split("/", 1)[1]
    if not slug.isascii() or not slug.isdigit() or request.query_params.get("view") == "statements":
        return None
    try:
        detail: ItemDetail = get_item.__wrapped__(services, int(slug))
    except NotFound:
        return None
    base = services.base_url
    context = site_context(request, base)
    lang = str(context["lang"])
    t = texts(SECTION, lang)
    indicator_spans, indicators_missing = _indicator_spans(detail, base, lang)
    measures, unplaced = _place(detail, _collect(detail, base, lang) + indicator_spans, base, lang)
    unplaced += indicators_missing

    copies = sorted({r.copy_label or r.file for v in detail.variants for r in v.readings})
    variants = [{
        "site": path_of(v.site).removeprefix("/id/"), "href": base + path_of(v.site), "field": v.field, "rule": v.rule,
        "cells": [[{"text": r.text, "chosen": r.chosen, "source": source_href(base, r.file, r.start, r.end)}
                   for r in v.readings if (r.copy_label or r.file) == copy] for copy in copies],
    } for v in detail.variants]

    observations = {o.iri: o for o in detail.observations}
    indicators = []
    for ind in detail.indicators:
        comparator = t[f"comparator_{ind.comparator}"]
        latest = ind.latest_observation
        observed = observations.get(latest.iri) if latest else None
        indicators.append({
            "href": base + ind.path, "name": ind.label_zh, "name_en": ind.label_en,
            "target": f"{comparator} {_number(ind.target)} {ind.unit}".strip(),
            "due": ind.deadline.isoformat() if ind.deadline else (t["per_year"] if ind.per_year else ""),
            "quote": ind.quote,
            "latest": {"value": _number(latest.value), "unit": ind.unit, "period": latest.period, "quote": latest.quote,
                       "source": source_href(base, observed.file, observed.start, observed.end) if observed else None}
            if latest else None,
            "ratio": ind.ratio, "meter": min(max(ind.ratio, 0.0), 1.0) if ind.ratio is not None else None,
            "percent": f"{ind.ratio * 100:.0f}%" if ind.ratio is not None else "",
        })

    later: dict[str, list[dict[str, Any]]] = {}
    for task in detail.later_tasks:
        later.setdefault(_document_name(task.document, t), []).append({
            "href": base + task.path, "text": task.text, "score": f"{task.score:.2f}", "value": task.score,
            "decided_by": task.decided_by, "basis": task.basis})

    legend = [("ev-population", t["kind_population"]),
              *[(f"ev-body ev-role-{role}", f"{t['kind_body']} · {t[f'role_full_{role}']}") for role in ROLE_ORDER],
              ("ev-programme", t["kind_mention"]), ("ev-law", t["kind_law"]), ("ev-indicator", t["kind_indicator"])]
    path = f"/id/{ident}"
    return render(
        "item.html", text_section=SECTION, item=detail, measures=measures, unplaced=unplaced, legend=legend,
        variants=variants, copies=copies, indicators=indicators,
        observations=[{"label": o.label or "", "value": _number(o.value), "unit": o.unit, "period": o.period,
                       "quote": o.quote, "source": source_href(base, o.file, o.start, o.end)}
                      for o in detail.observations],
        later=later,
        statements_href=f"{base}{path}?" + urlencode({"format": "html", "view": "statements", "lang": lang}),
        json_href=f"{base}/items/{detail.number}", chapter_href=f"{base}/id/chapter/{detail.chapter.number}",
        formats=formats_for_page(base, path, RESOURCE_FORMATS), **context,
    )


# --------------------------------------------------------------------------- /source/{file}
def _source_error(request: Request, base: str, status: int, message: str, known: list[str]) -> Response:
    return page(request, "source.html", base, status=status, text_section=SOURCE_SECTION, error=message,
                known=known, view=None, formats=[])


def _offset(value: str | None, name: str, lang: str) -> int | str:
    """The offset, or the message (in ``lang``) saying what is wrong with it."""
    if value is None or value == "":
        return text(SOURCE_SECTION, "missing", lang, name=name)
    try:
        return int(value, 10)
    except ValueError:
        return text(SOURCE_SECTION, "not_integer", lang, name=name, value=repr(value))


@router.get("/source/{file}", summary="a vendored source file: the whole text, or a span with its context",
            response_class=Response,
            responses={200: {"description": "the file as text/plain, or an HTML page showing the span",
                             "content": {"text/plain": {}, "text/html": {}}},
                       400: {"description": "bad offsets"}, 404: {"description": "no such source file"}})
def source(file: str, request: Request, services: ServicesDep) -> Response:
    """``/source/{file}``: the file as text/plain. ``?start=&end=``: an HTML page with the characters
    ``text[start:end]`` marked, ``context`` characters (default 300) shown each side, and their line numbers."""
    base = services.base_url
    files = corpus()
    known = sorted(files)
    lang = str(site_context(request, base)["lang"])
    t = texts(SOURCE_SECTION, lang)
    if file not in files:
        message = t["no_file"].format(file=repr(file), known=t["comma"].join(known))
        return _source_error(request, base, 404, message, known)
    content = files[file].text
    params = request.query_params
    if params.get("start") is None and params.get("end") is None:
        return Response(content, media_type="text/plain; charset=utf-8")
    start, end = _offset(params.get("start"), "start", lang), _offset(params.get("end"), "end", lang)
    context = _offset(params.get("context", str(CONTEXT)), "context", lang)
    problems = [p for p in (start, end, context) if isinstance(p, str)]
    if not problems:
        assert isinstance(start, int) and isinstance(end, int) and isinstance(context, int)
        if not 0 <= start <= len(content) or not 0 <= end <= len(content):
            problems.append(t["out_of_range"].format(length=len(content), file=file, start=start, end=end))
        elif start > end:
            problems.append(t["start_after_end"].format(start=start, end=end))
        if not 0 <= context <= MAX_CONTEXT:
            problems.append(t["context_range"].format(max=MAX_CONTEXT, context=context))
    if problems:
        return _source_error(request, base, 400, t["separator"].join(problems), [])
    assert isinstance(start, int) and isinstance(end, int) and isinstance(context, int)
    before_at = max(0, start - context)
    after_to = min(len(content), end + context)
    first_line = content.count("\n", 0, start) + 1
    last_line = content.count("\n", 0, max(start, end - 1)) + 1
    entry = files[file]
    view = {"file": file, "role": entry.role, "document": entry.document, "start": start, "end": end,
            "before": content[before_at:start], "span": content[start:end], "after": content[end:after_to],
            "clipped_before": before_at > 0, "clipped_after": after_to < len(content), "context": context,
            "first_line": first_line, "last_line": last_line, "length": len(content),
            "whole": f"{base}/source/{url_quote(file)}"}
    return page(request, "source.html", base, text_section=SOURCE_SECTION, error=None, known=known, view=view, formats=[])
