"""Pages for populations, bodies, indicators and named things (programmes, slogans, laws, publications).

A browser asking ``/id/population/couriers`` (``Accept: text/html`` or
``?format=html``) gets a page that answers "which items serve couriers, and
what does the plan promise them" without SPARQL: what the resource is (its
type and the ontology's definition of it, its labels), its place in the
hierarchy (the broader chains and the narrower groups of a population; the
parent and sub-organisations of a body), and every plan item that serves or
involves it, each with the sentences that say so and the exact words marked
(``<mark>``), linked to the source file at their offsets.

Registered kinds (:func:`policykg.api.kindpages.page_for`): ``population``,
``body``, ``indicator``, ``programme``, ``law``, ``slogan``, ``publication``.
Other clients still get Turtle, JSON-LD … from the same URL (api/entities.py).

``?view=statements`` on any of these pages gives the generic page instead
(every statement about the resource and its named graph); each page links it.

The pages build on the JSON routes' models (api/relations.py), so a page and
``/populations/{slug}/items``, ``/bodies/{slug}/items``, ``/indicators`` say
the same thing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from pyoxigraph import Literal, NamedNode
from rdflib import URIRef
from rdflib.namespace import RDFS, SKOS

from policykg.api import relations
from policykg.api.deps import Services
from policykg.api.entities import (RESOURCE_FORMATS, _href, compact, describe, formats_for_page,
                                   ontology_graph, ontology_labels)
from policykg.api.html import language, period_text, render, site_context, texts
from policykg.api.kindpages import page_for
from policykg.namespaces import ID, POL

router = APIRouter(tags=["pages"])

ID_BASE = str(ID)
POL_BASE = str(POL._NS)
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PREF_LABEL, ALT_LABEL = str(SKOS.prefLabel), str(SKOS.altLabel)
LABELS = (str(RDFS.label), PREF_LABEL, "http://purl.org/dc/terms/title")
STATEMENTS_VIEW = "statements"  # ?view=statements: the generic page

SECTION = "entity"  # these pages' texts in interface-texts.yaml (role_*, body_kind_*, comparator_* …)
MENTION_KINDS = ("programme", "law", "slogan", "publication")


def _pick(t: dict[str, str], prefix: str, key: str | None) -> str:
    """The text ``prefix + key`` (a role, a kind of body …), else the key itself: a value the table does not know
    is shown as the graph has it."""
    if key is None:
        return ""
    return t.get(prefix + key, key)


# --------------------------------------------------------------------------- evidence: sentences with marked words
@dataclass
class Span:
    """Exact words of one evidence, where they stand in the sentence (``at``) and in the source file."""

    words: str
    at: int | None
    href: str
    details: list[str] = field(default_factory=list)


@dataclass
class Sentence:
    """A sentence shown once per item, its evidence words marked: ``lines`` (one unless marks overlap) of segments."""

    text: str
    lines: list[list[tuple[str, bool]]]
    spans: list[Span]


def _measure_starts(services: Services) -> dict[str, int]:
    """Each measure's start offset in its file: where evidence words stand within the measure's sentence."""
    def compute() -> dict[str, int]:
        numbers = sorted(relations._item_titles(services))
        tables = services.run_many([("item-measures", {"item_number": n}) for n in numbers])
        return {row["measure"]: row["start"] for table in tables for row in table.values()}
    return services.cached("entitypages:measure-starts", compute)


def locate(sentence: str, words: str, hint: int | None) -> int | None:
    """Where ``words`` stand in ``sentence``: at ``hint`` if they are there, else the occurrence nearest to it."""
    if not words:
        return None
    if hint is not None and 0 <= hint and sentence[hint:hint + len(words)] == words:
        return hint
    found, at = [], sentence.find(words)
    while at >= 0:
        found.append(at)
        at = sentence.find(words, at + 1)
    if not found:
        return None
    return min(found, key=lambda position: (abs(position - (hint or 0)), position))


def _lines(sentence: str, spans: list[Span]) -> list[list[tuple[str, bool]]]:
    """The sentence as segments (text, marked); spans that overlap go on another copy of the sentence."""
    placed = sorted({(s.at, s.at + len(s.words)) for s in spans if s.at is not None})
    rows: list[list[tuple[int, int]]] = []
    for start, end in placed:
        for row in rows:
            if row[-1][1] <= start:
                row.append((start, end))
                break
        else:
            rows.append([(start, end)])
    lines = []
    for row in rows or [[]]:
        segments, cursor = [], 0
        for start, end in row:
            if start > cursor:
                segments.append((sentence[cursor:start], False))
            segments.append((sentence[start:end], True))
            cursor = end
        if cursor < len(sentence):
            segments.append((sentence[cursor:], False))
        lines.append(segments)
    return lines


def source_href(base: str, file: str, start: int, end: int) -> str:
    return f"{base}/source/{quote(file)}?" + urlencode({"start": start, "end": end})


def sentences(services: Services, base: str, evidence: list[Any], details: Any) -> list[Sentence]:
    """Evidence grouped by sentence (first appearance first), each span located in the sentence and described."""
    starts = _measure_starts(services)
    grouped: dict[tuple[str, str], list[Span]] = {}
    for ev in evidence:
        measure_start = starts.get(ev.source)
        hint = ev.start - measure_start if measure_start is not None else None
        span = Span(ev.words, locate(ev.sentence, ev.words, hint), source_href(base, ev.file, ev.start, ev.end),
                    details(ev))
        spans = grouped.setdefault((ev.source, ev.sentence), [])
        same = next((s for s in spans if s.at == span.at and s.words == span.words and s.href == span.href), None)
        if same is None:
            spans.append(span)
        else:
            same.details += [d for d in span.details if d not in same.details]
    return [Sentence(text, _lines(text, spans), sorted(spans, key=lambda s: (s.at is None, s.at or 0)))
            for (_, text), spans in grouped.items()]


def _item_view(base: str, lang: str, number: int, title_zh: str, title_en: str | None, **extra: Any) -> dict[str, Any]:
    return {"number": number, "href": f"{base}/id/item/{number}?lang={lang}", "title_zh": title_zh,
            "title_en": title_en, **extra}


# --------------------------------------------------------------------------- the parts every page has
def _type_view(iri: str, lang: str) -> dict[str, Any]:
    """A class by the ontology's label in ``lang`` and its definition (the ontology's are in English)."""
    names = ontology_labels().get(iri, {})
    graph = ontology_graph()
    definitions = [str(o) for predicate in (SKOS.definition, RDFS.comment)
                   for o in sorted(graph.objects(URIRef(iri), predicate))]
    href = "/ontology#" + iri[len(POL_BASE):] if iri.startswith(POL_BASE) else None
    return {"label": names.get(lang) or names.get("en") or compact(iri), "curie": compact(iri), "href": href,
            "definition": definitions[0] if definitions else None}


def _common(services: Services, request: Request, ident: str) -> dict[str, Any]:
    base = services.base_url
    lang = language(request)
    path = f"/id/{ident}"
    return {"text_section": SECTION, "ident": ident, "iri": ID_BASE + ident, "kind": ident.split("/", 1)[0],
            "formats": formats_for_page(base, path, RESOURCE_FORMATS),
            "statements_href": _href(base, path) + "?" + urlencode({"view": STATEMENTS_VIEW, "lang": lang}),
            **site_context(request, base)}


def _generic_wanted(request: Request) -> bool:
    return request.query_params.get("view") == STATEMENTS_VIEW


# --------------------------------------------------------------------------- population
def _chains(slug: str, broader: dict[str, list[str]], seen: frozenset[str] = frozenset()) -> list[list[str]]:
    """Every path from a top population down to ``slug`` (a population may have two broader ones)."""
    parents = [p for p in broader.get(slug, []) if p in broader and p not in seen]
    if not parents:
        return [[slug]]
    return [chain + [slug] for parent in parents for chain in _chains(parent, broader, seen | {slug})]


def _find(nodes: list[relations.PopulationNode], slug: str) -> relations.PopulationNode | None:
    for node in nodes:
        if node.slug == slug:
            return node
        found = _find(node.children, slug)
        if found is not None:
            return found
    return None


def _population_node(node: relations.PopulationNode, base: str, lang: str) -> dict[str, Any]:
    return {"slug": node.slug, "href": f"{base}{node.path}?lang={lang}", "label_zh": node.label_zh,
            "label_en": node.label_en, "items_total": node.items_total,
            "children": [_population_node(child, base, lang) for child in node.children]}


@page_for("population")
def population_page(services: Services, request: Request, ident: str) -> bytes | None:
    slug = ident.split("/", 1)[1]
    rows = relations._populations(services)
    if _generic_wanted(request) or slug not in rows:
        return None
    context = _common(services, request, ident)
    base, lang = context["base"], context["lang"]
    t = texts(SECTION, lang)
    row = rows[slug]
    tree = relations.population_tree.__wrapped__(services)
    node = _find(tree.roots, slug)
    broader = {key: [relations.slug_of(iri) for iri in relations._split(r.get("broader"), " ")]
               for key, r in rows.items()}

    def ref(key: str) -> dict[str, Any]:
        r = rows[key]
        return {"slug": key, "href": f"{base}/id/population/{key}?lang={lang}", "label_zh": r["label_zh"],
                "label_en": r.get("label_en")}

    served = relations.population_items.__wrapped__(services, slug, None)

    def details(ev: relations.PopulationEvidence) -> list[str]:
        matched = rows.get(ev.population, {})
        name = ev.population_label + (f" ({matched['label_en']})" if lang == "en" and matched.get("label_en") else "")
        return [f"{t['matched']}{t['colon']}{name}", f"{t['salience']}{t['colon']}{t[ev.salience]}"]

    items = [_item_view(base, lang, item.number, item.title_zh, item.title_en, salience=item.salience,
                        matched=[{**ref(p.slug), "salience": p.salience, "is_self": p.slug == slug}
                                 for p in item.populations if p.slug in rows],
                        sentences=sentences(services, base, item.evidence, details))
             for item in served.items]
    direct = node.items_direct if node else relations._int(row.get("direct_items"))
    label = row["label_zh"] if lang == "zh" else (row.get("label_en") or row["label_zh"])
    # What the plan promises them in figures: the targets stated in the items that serve them.
    numbers = {item.number for item in served.items}
    targets = [{"href": f"{base}{indicator.path}?lang={lang}", "label_zh": indicator.label_zh,
                "label_en": indicator.label_en, "quote": indicator.quote,
                "items": sorted(numbers.intersection(indicator.stated_in))}
               for indicator in relations._all_indicators(services) if numbers.intersection(indicator.stated_in)]
    # The broader groups: what the plan sets for one of them as a whole concerns this group too.
    broader_groups = [{**ref(key), "items_total": relations._int(rows[key].get("all_items"))}
                      for key in broader.get(slug, []) if key in rows]
    return render(
        "population.html", **context, label=label, broader_groups=broader_groups,
        label_zh=row["label_zh"], label_en=row.get("label_en"),
        alt_labels=sorted(relations._split(row.get("alt_labels"), "|")),
        type=_type_view(POL_BASE + "PopulationScheme", lang),
        broader=[ref(p) for p in broader.get(slug, []) if p in rows],
        chains=[[ref(key) for key in chain[:-1]] for chain in _chains(slug, broader) if len(chain) > 1],
        narrower=[_population_node(child, base, lang) for child in node.children] if node else [],
        summary=t["serving_total"].format(total=served.count, label=label, direct=direct),
        items=items, targets=targets,
    )


# --------------------------------------------------------------------------- body
def _body_tree(slug: str, children: dict[str, list[str]], bodies: dict[str, dict[str, Any]], base: str, lang: str,
               seen: frozenset[str]) -> list[dict[str, Any]]:
    return [{"slug": child, "href": f"{base}/id/body/{child}?lang={lang}", "label_zh": bodies[child]["label_zh"],
             "label_en": bodies[child].get("label_en"),
             "children": _body_tree(child, children, bodies, base, lang, seen | {child})}
            for child in sorted(children.get(slug, []), key=lambda c: (bodies[c].get("label_en") or c))
            if child not in seen]


@page_for("body")
def body_page(services: Services, request: Request, ident: str) -> bytes | None:
    slug = ident.split("/", 1)[1]
    bodies = relations._bodies(services)
    if _generic_wanted(request) or slug not in bodies:
        return None
    context = _common(services, request, ident)
    base, lang = context["base"], context["lang"]
    t = texts(SECTION, lang)
    summary = next(b for b in relations.list_bodies.__wrapped__(services).bodies if b.slug == slug)

    def ref(key: str) -> dict[str, Any]:
        return {"slug": key, "href": f"{base}/id/body/{key}?lang={lang}", "label_zh": bodies[key]["label_zh"],
                "label_en": bodies[key].get("label_en")}

    parents, seen = [], {slug}
    parent = summary.parent
    while parent and parent in bodies and parent not in seen:
        parents.insert(0, ref(parent))
        seen.add(parent)
        parent = relations.slug_of(bodies[parent]["parent"]) if bodies[parent].get("parent") else None
    children: dict[str, list[str]] = defaultdict(list)
    for key, r in bodies.items():
        if r.get("parent"):
            children[relations.slug_of(r["parent"])].append(key)

    involved = relations.body_items.__wrapped__(services, slug, None)

    def details(ev: relations.BodyItemEvidence) -> list[str]:
        found = [f"{t['role']}{t['colon']}{_pick(t, 'role_', ev.role)}" + (f" ({t['cue']} {ev.cue})" if ev.cue else "")]
        if ev.body != slug:
            named = bodies.get(ev.body, {})
            name = ev.body_label or ev.body
            if lang == "en" and named.get("label_en"):
                name += f" ({named['label_en']})"
            found.append(f"{t['named_body']}{t['colon']}{name}")
        return found

    items = [_item_view(base, lang, item.number, item.title_zh, item.title_en,
                        roles=[_pick(t, "role_", role) for role in item.roles],
                        sentences=sentences(services, base, item.evidence, details))
             for item in involved.items]
    label = summary.label_zh if lang == "zh" else (summary.label_en or summary.label_zh)
    return render(
        "body.html", **context,
        label_zh=summary.label_zh, label_en=summary.label_en, alt_labels=summary.alt_labels,
        body_kind=_pick(t, "body_kind_", summary.kind),
        parents=parents, children=_body_tree(slug, children, bodies, base, lang, frozenset({slug})),
        roles=[{"name": _pick(t, "role_", role), "count": getattr(summary.items_by_role, role)}
               for role in relations.ROLE_ORDER],
        summary=t["involving_total"].format(total=summary.items, label=label, direct=summary.direct_items),
        items=items,
    )


# --------------------------------------------------------------------------- indicator
def number_text(value: float) -> str:
    """600000 → 600,000; 1.5 → 1.5."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def _source_of(services: Services, iri: str) -> dict[str, Any] | None:
    """The file and offsets a resource was read from (prov:wasDerivedFrom, pol:start, pol:end), when it says."""
    values: dict[str, Any] = {}
    for _, predicate, obj, _ in services.backend.quads(iri):
        values[predicate.value] = obj
    origin, start, end = (values.get("http://www.w3.org/ns/prov#wasDerivedFrom"), values.get(POL_BASE + "start"),
                          values.get(POL_BASE + "end"))
    if not isinstance(origin, NamedNode) or not isinstance(start, Literal) or not isinstance(end, Literal):
        return None
    names = [o.value for _, p, o, _ in services.backend.quads(origin.value) if p.value == POL_BASE + "fileName"]
    if not names:
        return None
    return {"file": names[0], "start": int(start.value), "end": int(end.value)}


@page_for("indicator")
def indicator_page(services: Services, request: Request, ident: str) -> bytes | None:
    slug = ident.split("/", 1)[1]
    found = next((i for i in relations._all_indicators(services) if i.slug == slug), None)
    if _generic_wanted(request) or found is None:
        return None
    context = _common(services, request, ident)
    base, lang = context["base"], context["lang"]
    titles = relations._item_titles(services)
    origin = _source_of(services, found.iri)
    observed = found.latest_observation
    ratio = found.ratio
    return render(
        "indicator.html", **context,
        label_zh=found.label_zh, label_en=found.label_en, type=_type_view(POL_BASE + "Indicator", lang),
        category=found.category, comparator=_pick(texts(SECTION, lang), "comparator_", found.comparator),
        comparator_key=found.comparator, target=number_text(found.target), unit=found.unit,
        deadline=found.deadline.isoformat() if found.deadline else None, per_year=found.per_year,
        quote=found.quote,
        quote_href=source_href(base, origin["file"], origin["start"], origin["end"]) if origin else None,
        stated_in=[_item_view(base, lang, n, titles[n]["title_zh"], titles[n].get("title_en"))
                   for n in found.stated_in if n in titles],
        observation={"value": number_text(observed.value), "period": period_text(observed.period, SECTION, lang),
                     "raw_period": observed.period, "quote": observed.quote,
                     "href": f"{base}/id/{observed.iri[len(ID_BASE):]}?lang={lang}"} if observed else None,
        ratio=ratio, percent=f"{ratio * 100:.1f}%" if ratio is not None and math.isfinite(ratio) else None,
        meter=min(max(ratio, 0.0), 1.0) if ratio is not None and math.isfinite(ratio) else None,
        dashboard_href=f"{base}/dashboard?lang={lang}",
    )


# --------------------------------------------------------------------------- programmes, laws, slogans, publications
def _mentions_by_name(services: Services) -> dict[str, list[tuple[int, relations.ItemMention]]]:
    """Every item's mentions (item-mentions.rq, all items in one trip), by the named thing's IRI: (number, mention)."""
    def compute() -> dict[str, list[tuple[int, relations.ItemMention]]]:
        numbers = sorted(relations._item_titles(services))
        tables = services.run_many([("item-mentions", {"item_number": n}) for n in numbers])
        index: dict[str, list[tuple[int, relations.ItemMention]]] = defaultdict(list)
        for number, table in zip(numbers, tables):
            for mention in relations._item_mentions(table.values()):
                index[mention.iri].append((number, mention))
        return dict(index)
    return services.cached("entitypages:mentions", compute)


@page_for(*MENTION_KINDS)
def mention_page(services: Services, request: Request, ident: str) -> bytes | None:
    if _generic_wanted(request):
        return None
    context = _common(services, request, ident)
    base, lang = context["base"], context["lang"]
    t = texts(SECTION, lang)
    iri = context["iri"]
    description = describe(services, iri)
    names: dict[str, str] = {}
    alt_labels, types, classified = [], [], []
    for _, predicate, obj, _ in description.outgoing:
        if predicate.value in (PREF_LABEL, *LABELS) and isinstance(obj, Literal):
            names.setdefault(obj.language or "", obj.value)
        elif predicate.value == ALT_LABEL and isinstance(obj, Literal):
            alt_labels.append(obj.value)
        elif predicate.value == RDF_TYPE and isinstance(obj, NamedNode):
            types.append(obj.value)
        elif predicate.value == POL_BASE + "classifiedBy" and isinstance(obj, Literal):
            classified.append(obj.value)
    if not names:
        return None
    label_zh = names.get("zh") or names.get("") or next(iter(names.values()))
    label_en = names.get("en")
    # The most specific type first (pol:Campaign before pol:Programme).
    types.sort(key=lambda typ: (typ == POL_BASE + "Programme", typ))
    titles = relations._item_titles(services)

    def details(ev: relations.MentionEvidence) -> list[str]:
        return [f"{t['action']}{t['colon']}{ev.action}"] if ev.action else []

    items = [_item_view(base, lang, number, titles.get(number, {}).get("title_zh", str(number)),
                        titles.get(number, {}).get("title_en"), actions=mention.actions,
                        sentences=sentences(services, base, mention.evidence, details))
             for number, mention in sorted(_mentions_by_name(services).get(iri, []), key=lambda pair: pair[0])]
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for s, p, o, _ in description.labels:
        if p.value in LABELS and isinstance(o, Literal):
            labels[s.value].setdefault(o.language or "", o.value)
    tasks = sorted({s.value for s, p, _, _ in description.incoming
                    if p.value == POL_BASE + "mentions" and s.value.startswith(ID_BASE + "task/")})
    later = [{"ident": task[len(ID_BASE):], "href": f"{base}/id/{task[len(ID_BASE):]}?lang={lang}",
              "label": labels.get(task, {}).get("zh")} for task in tasks]
    label = label_zh if lang == "zh" else (label_en or label_zh)
    return render(
        "mention.html", **context,
        label_zh=label_zh, label_en=label_en, alt_labels=sorted(set(alt_labels)),
        types=[_type_view(typ, lang) for typ in types], classified=sorted(set(classified)),
        summary=t["mention_total"].format(total=len(items), label=label), items=items, later=later,
    )
