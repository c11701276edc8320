"""Relationship endpoints (JSON, thin over named queries): items, populations, bodies, indicators, search.

Each route runs named queries of ``queries/`` (one round trip to a worker,
through :meth:`Services.run_many` where a route needs several) and reshapes
their rows into documented JSON: evidence grouped under the thing it
evidences, IRIs shortened to slugs and ``/id/…`` paths where a client wants
them. Parameters are checked by FastAPI, then bound as RDF terms by the
queries' headers; no route builds query text. Tables that do not depend on a
request (chapters, the population scheme, the bodies, every indicator) are
read once and kept (:meth:`Services.cached`): the store does not change while
the app runs.

Evidence always carries the exact words and where they stand:
``file_text[start:end] == words`` for the vendored source ``file``.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections import defaultdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, BeforeValidator, Field

from policykg.api.deps import Services, ServicesDep, json_route
from policykg.api.errors import ERROR_RESPONSES, ApiError, NotFound
from policykg.api.searchpage import search_page
from policykg.namespaces import ID, POL

router = APIRouter(tags=["relationships"])

BASE = str(ID)  # https://w3id.org/policykg/id/
ONTOLOGY = str(POL._NS)

Salience = Literal["primary", "mentioned"]
Role = Literal["lead", "partner", "supported", "addressed", "involved"]
Comparator = Literal["at-least", "more-than", "about", "exactly"]
CategorySlug = Literal["quality", "services", "rights"]
SearchKind = Literal["item", "measure", "chapter", "population", "body", "programme", "slogan", "law", "publication",
                     "indicator"]


def _iso_date(value: object) -> object:
    """Only YYYY-MM-DD (pydantic alone would also read 0 as 1970-01-01, a Unix time)."""
    if not isinstance(value, datetime.date) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", str(value)):
        raise ValueError("a date is written YYYY-MM-DD, e.g. 2025-12-31")
    return value


IsoDate = Annotated[datetime.date, BeforeValidator(_iso_date)]

SALIENCE: dict[str, Salience] = {ONTOLOGY + "Primary": "primary", ONTOLOGY + "Mentioned": "mentioned"}
ROLES: dict[str, Role] = {ONTOLOGY + name + "Role": name.lower()  # type: ignore[misc]
                          for name in ("Lead", "Partner", "Supported", "Addressed", "Involved")}
ROLE_ORDER = list(ROLES.values())
COMPARATORS: dict[str, Comparator] = {ONTOLOGY + "AtLeast": "at-least", ONTOLOGY + "MoreThan": "more-than",
                                      ONTOLOGY + "About": "about", ONTOLOGY + "Exactly": "exactly"}
# The order of result groups in /search when no group has an exact match (the short, named things first).
SEARCH_ORDER: list[str] = ["population", "body", "item", "chapter", "programme", "slogan", "law", "publication",
                           "indicator", "measure"]


# --------------------------------------------------------------------------- helpers
def path_of(iri: str) -> str:
    """The API path of a resource IRI (``…/id/item/16`` → ``/id/item/16``)."""
    return "/id/" + iri.removeprefix(BASE) if iri.startswith(BASE) else iri


def slug_of(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def _int(value: object, default: int = 0) -> int:
    return int(value) if value is not None else default  # type: ignore[arg-type]


def _split(value: object, separator: str) -> list[str]:
    return [part for part in str(value).split(separator) if part] if value else []


def _close(wanted: str, names: dict[str, str], limit: int = 5) -> list[str]:
    """Slugs whose slug or label contains ``wanted`` (or the reverse), then those like it (difflib)."""
    key = wanted.lower()
    lowered: dict[str, str] = {}
    for name, slug in names.items():
        lowered.setdefault(name.lower(), slug)
    found = [slug for name, slug in lowered.items() if key and (key in name or (name in key and len(name) > 1))]
    found += [lowered[name] for name in difflib.get_close_matches(key, list(lowered), n=limit * 3, cutoff=0.6)]
    return list(dict.fromkeys(found))[:limit]


def _snippet(text: str, words: str, width: int = 30) -> str:
    """The part of ``text`` around the first place it contains ``words`` (case ignored)."""
    if len(text) <= 2 * width + len(words):
        return text
    at = text.lower().find(words.lower())
    if at < 0:  # SPARQL's LCASE and Python's lower() can differ on rare letters
        return text[: 2 * width] + "…"
    start, end = max(0, at - width), min(len(text), at + len(words) + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


# --------------------------------------------------------------------------- shared models
class ChapterRef(BaseModel):
    number: int = Field(description="chapter number, 1-12")
    iri: str
    title_zh: str = Field(description="the chapter title as printed")
    title_en: str | None = Field(None, description="the project's English translation of the title")


class Evidence(BaseModel):
    """Where a link was read: the sentence and the exact words, with offsets into the vendored source file."""

    source: str = Field(description="IRI of the measure (or of the item, for a link read from its title) that says so")
    sentence: str = Field(description="the cleaned sentence (the measure's text, or the item's title)")
    words: str = Field(description="the exact words that evidence the link: file_text[start:end]")
    file: str = Field(description="the vendored source file (sources/{file})")
    start: int = Field(description="start offset (a Python string index into the UTF-8-decoded file)")
    end: int = Field(description="end offset (exclusive)")


def _evidence(row: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"source": row["evidence"], "sentence": row["sentence"], "words": row["words"], "file": row["file"],
            "start": row["start"], "end": row["end"], **extra}


# --------------------------------------------------------------------------- cached tables
def _plans(services: Services) -> dict[str, dict[str, Any]]:
    """The plans in the store (plans.rq), by slug, in IRI order: one for the built corpus, N for a synthetic one."""
    return services.cached("relations:plans", lambda: {slug_of(row["plan"]): row for row in services.run("plans").values()})


def _plan_iri(services: Services, plan: str | None, *, required: bool) -> str | None:
    """The IRI of the plan a request names (by slug or IRI); with none named, the store's only plan.

    In a store of several plans (a provincial plan beside the national one, or a
    synthetic corpus) item numbers repeat in each plan, so a route about one item
    (``required``) answers 400 naming the plans when none is given; a listing
    route lists every plan's items (None).
    """
    plans = _plans(services)
    if plan is None:
        if len(plans) == 1:
            return next(iter(plans.values()))["plan"]
        if required and plans:
            raise ApiError(400, f"this store holds {len(plans)} plans and item numbers repeat in each: "
                                f"say which with ?plan= (a plan's slug or IRI, see /queries/plans)",
                           close_matches=list(plans)[:5])
        return None
    slug = slug_of(plan) if plan.startswith(BASE + "plan/") else plan
    if slug not in plans:
        raise NotFound(f"no plan {plan!r}; see /queries/plans", close_matches=_close(slug, {name: name for name in plans}))
    return plans[slug]["plan"]


def _chapters(services: Services) -> dict[tuple[str, int], ChapterRef]:
    """Every plan's chapters, by (plan IRI, number)."""
    def compute() -> dict[tuple[str, int], ChapterRef]:
        return {(row["plan"], row["number"]): ChapterRef(number=row["number"], iri=row["chapter"], title_zh=row["title_zh"],
                                                         title_en=row.get("title_en"))
                for row in services.run("chapters").values()}
    return services.cached("relations:chapters", compute)


def _items_by_plan(services: Services) -> dict[str, dict[int, dict[str, Any]]]:
    """Every item's row of items-by-chapter, by plan IRI and number (plans in IRI order)."""
    def compute() -> dict[str, dict[int, dict[str, Any]]]:
        plans: dict[str, dict[int, dict[str, Any]]] = {}
        for row in services.run("items-by-chapter").values():
            plans.setdefault(row["plan"], {})[row["number"]] = row
        return plans
    return services.cached("relations:items", compute)


def _items_by_iri(services: Services) -> dict[str, dict[str, Any]]:
    """Every plan's items' rows of items-by-chapter, by item IRI: an item's own titles, whatever plan it is in."""
    return services.cached("relations:items-by-iri", lambda: {
        row["item"]: row for items in _items_by_plan(services).values() for row in items.values()})


def _item_titles(services: Services) -> dict[int, dict[str, Any]]:
    """The items of the first plan (the built corpus's only one), by number: the pages' titles for item numbers.

    The pages describe the built corpus; in a store of several plans they name an item of another plan by its
    own Chinese title (from the query that found it) and take the English title of the same number from here.
    """
    plans = _items_by_plan(services)
    return plans[min(plans)] if plans else {}


def _link_counts(services: Services) -> dict[str, dict[str, Any]]:
    """item-link-counts.rq's rows, by item IRI."""
    return services.cached("relations:link-counts",
                           lambda: {row["item"]: row for row in services.run("item-link-counts").values()})


def _populations(services: Services) -> dict[str, dict[str, Any]]:
    """The population scheme's rows (populations.rq), by slug."""
    return services.cached("relations:populations",
                           lambda: {slug_of(row["population"]): row for row in services.run("populations").values()})


def _bodies(services: Services) -> dict[str, dict[str, Any]]:
    """The bodies' rows (bodies.rq), by slug."""
    return services.cached("relations:bodies", lambda: {slug_of(row["body"]): row for row in services.run("bodies").values()})


def _names(rows: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Every slug and label (zh, en, alternative) of a table, to the slug: what close matches are looked for in."""
    names: dict[str, str] = {}
    for slug, row in rows.items():
        for name in [slug, row.get("label_zh"), row.get("label_en"), *_split(row.get("alt_labels"), "|")]:
            if name:
                names.setdefault(str(name), slug)
    return names


def _lookup(table: dict[str, dict[str, Any]], slug: str, kind: str, listing: str) -> dict[str, Any]:
    """The row of ``slug``, or a 404 naming the listing route with close matches."""
    if slug not in table:
        raise NotFound(f"no {kind} {slug!r}; see {listing}", close_matches=_close(slug, _names(table)))
    return table[slug]


def _item_entry(grouped: dict[tuple[int, str], dict[str, Any]], hit: dict[str, Any],
                items: dict[str, dict[str, Any]], **collections: Any) -> dict[str, Any]:
    """The per-item group a hit of an items-by-X query belongs to (made on its first hit).

    Keyed by number and IRI, so that in a store of several plans each plan's item is its own entry,
    with its own English title (``items``: :func:`_items_by_iri`).
    """
    number = hit["item_number"]
    return grouped.setdefault((number, hit["item"]), {
        "number": number, "iri": hit["item"], "path": path_of(hit["item"]), "title_zh": hit["item_label"],
        "title_en": items.get(hit["item"], {}).get("title_en"), **collections})


# --------------------------------------------------------------------------- /items
class ItemSummary(BaseModel):
    number: int = Field(description="item number, 1-46")
    iri: str
    plan: str = Field(description="IRI of the plan the item is in")
    path: str = Field(description="the resource's path on this server (/id/item/{number})")
    title_zh: str = Field(description="the title as the table of contents gives it")
    title_en: str | None = Field(None, description="the project's English translation of the title")
    chapter: ChapterRef
    body_in_corpus: bool = Field(description="whether the corpus carries the item's body (items 38-46: only the title)")
    measures: int = Field(description="number of measures (sentences) of the body")
    populations: int = Field(description="populations the item serves directly")
    primary_populations: int = Field(description="populations the item is about (salience primary)")
    bodies: int = Field(description="bodies the item involves, in any role")
    indicators: int = Field(description="quantified targets stated in the item")
    mentions: int = Field(description="programmes, slogans, laws and publications the item names")
    later_tasks: int = Field(description="tasks of the 2022 work report (2023) and the 18th congress that continue it")


class ItemList(BaseModel):
    count: int = Field(description="number of items listed")
    chapter: int | None = Field(None, description="the chapter filter, when one was given")
    plan: str | None = Field(None, description="IRI of the plan listed; none when the store holds several and none was asked for")
    items: list[ItemSummary]


@router.get(
    "/items", response_model=ItemList, responses=ERROR_RESPONSES, summary="the plan's 46 items in order, with counts of what they link to",
    description="Every plan item (or those of one chapter) with its chapter, titles, whether the corpus has its body, "
                "and how many measures, populations, bodies, indicators, named programmes and later tasks it links to. "
                "In a store of several plans, ?plan= lists one plan's items. Named queries: items-by-chapter, item-link-counts, "
                "chapters, plans.",
)
@json_route
def list_items(
    services: ServicesDep,
    chapter: Annotated[int | None, Query(ge=1, le=12, description="only the items of this chapter (1-12)")] = None,
    plan: Annotated[str | None, Query(max_length=2000, description="the plan (its slug or IRI, see /queries/plans); "
                                                                    "needed only in a store of several plans")] = None,
) -> ItemList:
    plan_iri = _plan_iri(services, plan, required=False)
    rows = services.run("items-by-chapter", chapter=chapter, plan=plan_iri).values()
    chapters, counts = _chapters(services), _link_counts(services)
    items = []
    for row in rows:
        count = counts.get(row["item"], {})
        items.append(ItemSummary(
            number=row["number"], iri=row["item"], plan=row["plan"], path=path_of(row["item"]), title_zh=row["title_zh"],
            title_en=row.get("title_en"), chapter=chapters[row["plan"], row["chapter"]], body_in_corpus=row["body_in_corpus"],
            measures=_int(row.get("measures")),
            **{key: _int(count.get(key)) for key in ("populations", "primary_populations", "bodies", "indicators",
                                                     "mentions", "later_tasks")},
        ))
    if chapter is not None and not items:
        raise NotFound(f"no items in chapter {chapter}",
                       close_matches=[str(n) for n in sorted({number for _, number in chapters})])
    return ItemList(count=len(items), chapter=chapter, plan=plan_iri, items=items)


class Measure(BaseModel):
    number: int = Field(description="the measure's order in the item")
    iri: str
    text: str = Field(description="the cleaned sentence")
    quote: str = Field(description="the raw slice it was read from: file_text[start:end], line breaks and all")
    file: str
    start: int
    end: int


class ItemPopulation(BaseModel):
    slug: str
    iri: str
    label_zh: str
    label_en: str | None = None
    salience: Salience = Field(description="primary: the item is about the group (its title or most of its measures "
                                           "name it); mentioned: it only names it")
    evidence: list[Evidence]


class BodyEvidence(Evidence):
    cue: str | None = Field(None, description="the cue word that gives the role (配合, 联合, 督促 …), where there is one")


class ItemBody(BaseModel):
    slug: str
    iri: str
    label_zh: str
    label_en: str | None = None
    kind: str | None = Field(None, description="union, party, state, legislature, people-organisation, international, "
                                               "company, enterprise-category, media or other")
    role: Role = Field(description="lead: a union body acts; partner: 联合/会同/与…共同; supported: 配合 X (X leads); "
                                   "addressed: the action is aimed at it (督促, 推动 X); involved: named without a cue")
    cues: list[str] = Field(description="the distinct cue words of the evidence")
    evidence: list[BodyEvidence]


class MentionEvidence(Evidence):
    action: str | None = Field(None, description="the verb the sentence applies to the name (开展, 落实, 推动制定 …)")


class ItemMention(BaseModel):
    iri: str
    path: str
    kind: str = Field(description="campaign, brand, award, platform, fund, practice, slogan, law or publication")
    name_zh: str = Field(description="the name as printed")
    name_en: str | None = None
    actions: list[str] = Field(description="the distinct actions applied to it")
    evidence: list[MentionEvidence]


class CategoryRef(BaseModel):
    slug: CategorySlug = Field(description="quality (素质提升), services (精准服务) or rights (依法维权)")
    iri: str
    label_zh: str | None = None


class LatestObservation(BaseModel):
    iri: str
    value: int | float = Field(description="the reported figure in base units")
    period: str = Field(description='"2022", "2021/2022" (since 2021) or "..2022-12-31" (as of the end of 2022)')
    quote: str = Field(description="the words of the 2022 work report that give it")


class Indicator(BaseModel):
    slug: str
    iri: str
    plan: str | None = Field(None, description="IRI of the plan that states it")
    path: str
    label_zh: str
    label_en: str | None = None
    category: CategoryRef | None = Field(None, description="the indicator table; none for a target stated only in an item")
    target: int | float = Field(description="the target value in base units (4.5万 → 45000)")
    unit: str = Field(description="the unit, in Chinese (人次, 家, %, 元 …)")
    comparator: Comparator = Field(description="how the target is meant: at least, more than, about, exactly")
    deadline: datetime.date | None = Field(None, description="the date the target is due; none for a yearly target")
    per_year: bool = Field(description="true for a yearly rate (每年)")
    stated_in: list[int] = Field(description="the numbers of the items that state it")
    quote: str = Field(description="the words that state it (its first statement)")
    latest_observation: LatestObservation | None = Field(None, description="the latest 2022 figure that measures it")
    ratio: float | None = Field(None, description="latest observed value / target value, when an observation is linked")


class Observation(BaseModel):
    iri: str
    label: str | None = Field(None, description="the clause that reports the figure")
    value: int | float = Field(description="the figure in base units")
    unit: str
    period: str
    indicator: str | None = Field(None, description="IRI of the indicator it measures, when one matches")
    quote: str = Field(description="file_text[start:end]")
    file: str
    start: int
    end: int


class LaterTask(BaseModel):
    iri: str
    path: str
    document: str = Field(description="IRI of the later document (the 2022 work report's 2023 tasks, or the 18th "
                                      "congress summary)")
    text: str
    score: float = Field(description="how strongly the task continues the item, 0-1 (1 for a curated link)")
    decided_by: str = Field(description="rule (scored by the continuity rule) or curated (build/data/continuity.yaml)")
    basis: list[str] = Field(description="what the task and the item share (population:…, body:…, programme:…, "
                                         "words) or the curator's reason")


class Reading(BaseModel):
    iri: str
    file: str
    copy_label: str | None = Field(None, description="the source file's role: copy A, copy B or page 3")
    text: str = Field(description="what the copy prints here (empty for an omission)")
    chosen: bool = Field(description="whether the graph uses this reading")
    start: int
    end: int


class Variant(BaseModel):
    iri: str
    site: str = Field(description="IRI of the item or item part whose title or text differs")
    field: str = Field(description="title or text")
    rule: str = Field(description="the rule that chose the reading: majority, dittography, foreign-script, base-copy")
    readings: list[Reading]


class ItemDetail(BaseModel):
    number: int
    iri: str
    plan: str = Field(description="IRI of the plan the item is in")
    path: str
    title_zh: str
    title_en: str | None = None
    chapter: ChapterRef
    body_in_corpus: bool
    text: str | None = Field(None, description="the cleaned body; none when the corpus lacks it")
    measures: list[Measure]
    populations: list[ItemPopulation] = Field(description="the populations it serves, primary ones first")
    bodies: list[ItemBody] = Field(description="the bodies it involves, one entry per body and role")
    mentions: list[ItemMention] = Field(description="the programmes, slogans, laws and publications it names")
    indicators: list[Indicator] = Field(description="the quantified targets stated in it, with their latest 2022 figure")
    observations: list[Observation] = Field(description="the figures the 2022 work report gives for it")
    later_tasks: list[LaterTask] = Field(description="the 2023 tasks and 18th-congress lines that continue it, best first")
    variants: list[Variant] = Field(description="where copies A and B (or the table of contents and a heading) differ")


def _all_indicators(services: Services) -> list[Indicator]:
    return services.cached("relations:indicators", lambda: _indicators(services, None, None))


def _indicators(services: Services, category: str | None, due: datetime.date | None) -> list[Indicator]:
    """indicators.rq joined with indicator-progress.rq (the latest observation), in table order."""
    category_iri = BASE + "category/" + category if category else None
    targets, progress = services.run_many([
        ("indicators", {"category": category_iri, "due": due}),
        ("indicator-progress", {"category": category_iri}),
    ])
    latest = {row["indicator"]: row for row in progress.values()}
    found = []
    for row in targets.values():
        observed = latest.get(row["indicator"], {})
        table = row.get("table_category")
        found.append(Indicator(
            slug=slug_of(row["indicator"]), iri=row["indicator"], plan=row.get("plan"), path=path_of(row["indicator"]),
            label_zh=row["label"],
            label_en=row.get("label_en"),
            category=CategoryRef(slug=slug_of(table), iri=table, label_zh=row.get("category_label")) if table else None,
            target=row["value"], unit=row["unit"], comparator=COMPARATORS[row["comparator"]],
            deadline=row.get("deadline"), per_year=bool(row.get("per_year", False)),
            stated_in=sorted({int(n) for n in _split(row.get("stated_in"), ",")}), quote=row["quote"],
            latest_observation=LatestObservation(
                iri=observed["observation"], value=observed["observed"], period=observed["period"],
                quote=observed["observation_quote"]) if observed.get("observation") else None,
            ratio=observed.get("ratio"),
        ))
    return found


def _unknown_item(number: int, known: list[int]) -> NotFound:
    if not known:
        return NotFound(f"no plan item {number}: the store holds no plan items")
    nearest = sorted(known, key=lambda n: (abs(n - number), n))[:3]
    return NotFound(f"no plan item {number}: items are numbered {min(known)} to {max(known)}",
                    close_matches=[str(n) for n in sorted(nearest)])


@router.get(
    "/items/{number}", response_model=ItemDetail, responses=ERROR_RESPONSES,
    summary="one plan item with its measures, populations, bodies, named programmes, targets, later tasks and variants",
    description="Everything the graph says about one item, each link with the words that evidence it "
                "(file_text[start:end] == words). Named queries: item-detail, item-measures, item-populations, "
                "item-bodies, item-mentions, item-observations, continuing-tasks, item-variants, indicators, "
                "indicator-progress, plans. In a store of several plans, say which plan's item with ?plan=.",
)
@json_route
def get_item(
    services: ServicesDep,
    number: Annotated[int, Path(description="the item number (1-46)")],
    plan: Annotated[str | None, Query(max_length=2000, description="the plan (its slug or IRI, see /queries/plans); "
                                                                    "needed only in a store of several plans")] = None,
) -> ItemDetail:
    plan_iri = _plan_iri(services, plan, required=True)
    known = sorted(_items_by_plan(services).get(plan_iri or "", {}))
    if number not in known:
        raise _unknown_item(number, known)
    params = {"item_number": number, "plan": plan_iri}
    detail, measures, populations, bodies, mentions, observations, tasks, variants = services.run_many([
        ("item-detail", params), ("item-measures", params), ("item-populations", params), ("item-bodies", params),
        ("item-mentions", params), ("item-observations", params), ("continuing-tasks", params),
        ("item-variants", params),
    ])
    rows = detail.values()
    if not rows:
        raise _unknown_item(number, known)
    head = rows[0]
    return ItemDetail(
        number=number, iri=head["item"], plan=head["plan"], path=path_of(head["item"]), title_zh=head["title_zh"],
        title_en=head.get("title_en"),
        chapter=ChapterRef(number=head["chapter_number"], iri=head["chapter"], title_zh=head["chapter_title_zh"],
                           title_en=head.get("chapter_title_en")),
        body_in_corpus=head["body_in_corpus"], text=head.get("text"),
        measures=[Measure(number=r["number"], iri=r["measure"], text=r["text"], quote=r["quote"], file=r["file"],
                          start=r["start"], end=r["end"]) for r in measures.values()],
        populations=_item_populations(populations.values()),
        bodies=_item_bodies(bodies.values()),
        mentions=_item_mentions(mentions.values()),
        indicators=[indicator for indicator in _all_indicators(services)
                    if number in indicator.stated_in and indicator.plan == head["plan"]],
        observations=[Observation(iri=r["observation"], label=r.get("label"), value=r["value"], unit=r["unit"],
                                  period=r["period"], indicator=r.get("indicator"), quote=r["quote"], file=r["file"],
                                  start=r["start"], end=r["end"]) for r in observations.values()],
        later_tasks=[LaterTask(iri=r["task"], path=path_of(r["task"]), document=r["document"], text=r["task_text"],
                               score=r["score"], decided_by=r["decided_by"], basis=_split(r.get("basis"), " | "))
                     for r in tasks.values()],
        variants=_item_variants(variants.values(), head["item"]),
    )


def _item_populations(rows: list[dict[str, Any]]) -> list[ItemPopulation]:
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = grouped.setdefault(row["population"], {
            "slug": slug_of(row["population"]), "iri": row["population"], "label_zh": row["label_zh"],
            "label_en": row.get("label_en"), "salience": SALIENCE[row["salience"]], "evidence": []})
        entry["evidence"].append(_evidence(row))
    return sorted((ItemPopulation(**entry) for entry in grouped.values()),
                  key=lambda p: (p.salience != "primary", p.label_en or p.label_zh))


def _item_bodies(rows: list[dict[str, Any]]) -> list[ItemBody]:
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        role = ROLES[row["role"]]
        entry = grouped.setdefault((row["body"], role), {
            "slug": slug_of(row["body"]), "iri": row["body"], "label_zh": row["label_zh"],
            "label_en": row.get("label_en"), "kind": row.get("kind"), "role": role, "cues": [], "evidence": []})
        entry["evidence"].append(_evidence(row, cue=row.get("cue")))
        if row.get("cue") and row["cue"] not in entry["cues"]:
            entry["cues"].append(row["cue"])
    return sorted((ItemBody(**entry) for entry in grouped.values()),
                  key=lambda b: (ROLE_ORDER.index(b.role), b.label_en or b.label_zh))


def _item_mentions(rows: list[dict[str, Any]]) -> list[ItemMention]:
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows:
        kind = row["class"].removeprefix(ONTOLOGY)
        entry = grouped.setdefault(row["named"], {
            "iri": row["named"], "path": path_of(row["named"]),
            "kind": "law" if kind == "LegalInstrument" else kind.lower(),
            "name_zh": row["name_zh"], "name_en": row.get("name_en"), "actions": [], "evidence": []})
        entry["evidence"].append(_evidence(row, action=row.get("action")))
        if row.get("action") and row["action"] not in entry["actions"]:
            entry["actions"].append(row["action"])
    return [ItemMention(**entry) for entry in grouped.values()]


def _item_variants(rows: list[dict[str, Any]], item: str) -> list[Variant]:
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = grouped.setdefault(row["variant"], {
            "iri": row["variant"], "site": row["site"], "field": row["field"], "rule": row["rule"], "readings": [],
            "order": (row["site"] != item, row["site"], row["field"] != "title", row["variant_number"])})
        entry["readings"].append(Reading(iri=row["reading"], file=row["file"], copy_label=row.get("copy"),
                                         text=row["reading_text"], chosen=row["chosen"], start=row["start"],
                                         end=row["end"]))
    ordered = sorted(grouped.values(), key=lambda entry: entry.pop("order"))
    return [Variant(**entry) for entry in ordered]


# --------------------------------------------------------------------------- /populations
class PopulationNode(BaseModel):
    slug: str
    iri: str
    path: str
    label_zh: str
    label_en: str | None = None
    alt_labels: list[str] = Field(description="the other names the texts use (skos:altLabel)")
    broader: list[str] = Field(description="slugs of the broader populations (a population may have two, and then "
                                           "appears under each)")
    items_direct: int = Field(description="plan items that serve this population itself")
    items_total: int = Field(description="plan items that serve it or any narrower population")
    children: list[PopulationNode] = Field(description="the narrower populations (skos:broader), nested")


class PopulationTree(BaseModel):
    concepts: int = Field(description="number of populations in the scheme")
    roots: list[PopulationNode] = Field(description="the top populations (no broader one), each with its narrower ones")


@router.get(
    "/populations", response_model=PopulationTree, responses=ERROR_RESPONSES,
    summary="the population scheme as a tree, with how many items serve each population",
    description="The SKOS hierarchy of target populations (skos:broader), top concepts first, each node with its "
                "labels and item counts (directly, and including narrower populations). A population with two broader "
                "ones (快递员 under 新就业形态劳动者 and 八大群体) appears under both. Named query: populations.",
)
@json_route
def population_tree(services: ServicesDep) -> PopulationTree:
    return services.cached("relations:population-tree", lambda: _tree(_populations(services)))


def _tree(rows: dict[str, dict[str, Any]]) -> PopulationTree:
    narrower: dict[str, list[str]] = defaultdict(list)
    broader = {slug: [slug_of(iri) for iri in _split(row.get("broader"), " ")] for slug, row in rows.items()}
    for slug, parents in broader.items():
        for parent in parents:
            narrower[parent].append(slug)

    def order(slug: str) -> tuple:
        return (-_int(rows[slug].get("all_items")), slug)

    def node(slug: str, seen: frozenset[str]) -> PopulationNode:
        row = rows[slug]
        return PopulationNode(
            slug=slug, iri=row["population"], path=path_of(row["population"]), label_zh=row["label_zh"],
            label_en=row.get("label_en"), alt_labels=sorted(_split(row.get("alt_labels"), "|")),
            broader=broader[slug], items_direct=_int(row.get("direct_items")), items_total=_int(row.get("all_items")),
            children=[node(child, seen | {child}) for child in sorted(narrower[slug], key=order)
                      if child not in seen and child in rows],
        )

    roots = sorted((slug for slug, parents in broader.items() if not any(p in rows for p in parents)), key=order)
    return PopulationTree(concepts=len(rows), roots=[node(slug, frozenset({slug})) for slug in roots])


class PopulationRef(BaseModel):
    slug: str
    iri: str
    label_zh: str
    label_en: str | None = None


class PopulationEvidence(Evidence):
    population: str = Field(description="slug of the population the sentence names (the asked one or a narrower one)")
    population_label: str = Field(description="its Chinese label")
    salience: Salience = Field(description="the salience of the item's link to that population")


class MatchedPopulation(BaseModel):
    slug: str
    label_zh: str
    salience: Salience


class PopulationItem(BaseModel):
    number: int
    iri: str
    path: str
    title_zh: str
    title_en: str | None = None
    salience: Salience = Field(description="primary when the item is about the asked population or a narrower one")
    populations: list[MatchedPopulation] = Field(description="the populations of the hierarchy the item serves")
    evidence: list[PopulationEvidence] = Field(description="what the plan says: the sentences and exact words")


class PopulationItems(BaseModel):
    population: PopulationRef
    salience: Salience | None = Field(None, description="the salience filter, when one was given")
    count: int = Field(description="number of items")
    items: list[PopulationItem]


@router.get(
    "/populations/{slug}/items", response_model=PopulationItems, responses=ERROR_RESPONSES,
    summary="the plan items that serve a population or a narrower one, with what the plan says about them",
    description="Items serving the population or any narrower one (asking for new-employment-form-workers finds "
                "couriers too), grouped per item, each with the evidencing sentences and exact words "
                "(file_text[start:end] == words). Named query: items-serving-population.",
)
@json_route
def population_items(
    services: ServicesDep,
    slug: Annotated[str, Path(description="the population's slug, e.g. couriers (see /populations)")],
    salience: Annotated[Salience | None, Query(description="only links of this salience")] = None,
) -> PopulationItems:
    row = _lookup(_populations(services), slug, "population", "/populations")
    salience_iri = {name: iri for iri, name in SALIENCE.items()}.get(salience) if salience else None
    rows = services.run("items-serving-population", population=row["population"], salience=salience_iri).values()
    items_by_iri = _items_by_iri(services)
    grouped: dict[tuple[int, str], dict[str, Any]] = {}
    for hit in rows:
        entry = _item_entry(grouped, hit, items_by_iri, populations={}, evidence=[])
        level = SALIENCE[hit["salience"]]
        matched = slug_of(hit["matched"])
        entry["populations"][matched] = MatchedPopulation(slug=matched, label_zh=hit["matched_label"], salience=level)
        entry["evidence"].append(PopulationEvidence(**_evidence(hit), population=matched,
                                                    population_label=hit["matched_label"], salience=level))
    items = [PopulationItem(
        **{**entry, "populations": list(entry["populations"].values())},
        salience="primary" if any(p.salience == "primary" for p in entry["populations"].values()) else "mentioned",
    ) for _, entry in sorted(grouped.items())]
    return PopulationItems(
        population=PopulationRef(slug=slug, iri=row["population"], label_zh=row["label_zh"], label_en=row.get("label_en")),
        salience=salience, count=len(items), items=items)


# --------------------------------------------------------------------------- /bodies
class RoleCounts(BaseModel):
    lead: int
    partner: int
    supported: int
    addressed: int
    involved: int


class BodySummary(BaseModel):
    slug: str
    iri: str
    path: str
    label_zh: str
    label_en: str | None = None
    alt_labels: list[str]
    kind: str | None = Field(None, description="union, party, state, legislature, people-organisation, international, "
                                               "company, enterprise-category, media or other")
    parent: str | None = Field(None, description="slug of the organisation it is part of (org:subOrganizationOf)")
    items: int = Field(description="items whose measures involve the body or one of its sub-organisations")
    items_by_role: RoleCounts = Field(description="the same, per role (an item can count under several roles); "
                                                  "/bodies/{slug}/items?role=… lists them")
    direct_items: int = Field(description="items that involve the body itself")


class BodyList(BaseModel):
    count: int
    bodies: list[BodySummary]


@router.get(
    "/bodies", response_model=BodyList, responses=ERROR_RESPONSES,
    summary="the bodies the texts name, with kind, parent organisation and item counts per role",
    description="Every organisation or organ category (org:Organization), most involved first. Counts include the "
                "body's sub-organisations, as /bodies/{slug}/items does. Named query: bodies.",
)
@json_route
def list_bodies(services: ServicesDep) -> BodyList:
    bodies = [BodySummary(
        slug=slug, iri=row["body"], path=path_of(row["body"]), label_zh=row["label_zh"], label_en=row.get("label_en"),
        alt_labels=sorted(_split(row.get("alt_labels"), "|")), kind=row.get("kind"),
        parent=slug_of(row["parent"]) if row.get("parent") else None, items=_int(row.get("items")),
        items_by_role=RoleCounts(**{role: _int(row.get(f"{role}_items")) for role in ROLE_ORDER}),
        direct_items=_int(row.get("direct_items")),
    ) for slug, row in _bodies(services).items()]
    bodies.sort(key=lambda body: (-body.items, body.slug))
    return BodyList(count=len(bodies), bodies=bodies)


class BodyRef(BaseModel):
    slug: str
    iri: str
    label_zh: str
    label_en: str | None = None


class BodyItemEvidence(Evidence):
    body: str = Field(description="slug of the body the sentence names (the asked one or a sub-organisation)")
    body_label: str | None = Field(None, description="its Chinese label")
    role: Role
    cue: str | None = Field(None, description="the cue word that gives the role, where there is one")


class BodyItem(BaseModel):
    number: int
    iri: str
    path: str
    title_zh: str
    title_en: str | None = None
    roles: list[Role] = Field(description="the roles the body plays in the item")
    evidence: list[BodyItemEvidence]


class BodyItems(BaseModel):
    body: BodyRef
    role: Role | None = Field(None, description="the role filter, when one was given")
    count: int
    items: list[BodyItem]


@router.get(
    "/bodies/{slug}/items", response_model=BodyItems, responses=ERROR_RESPONSES,
    summary="the plan items that involve a body or one of its sub-organisations, with role, cue and evidence",
    description="Grouped per item; each evidence gives the role, the cue word and the sentence and exact words "
                "(file_text[start:end] == words). Named query: items-by-body.",
)
@json_route
def body_items(
    services: ServicesDep,
    slug: Annotated[str, Path(description="the body's slug, e.g. acftu (see /bodies)")],
    role: Annotated[Role | None, Query(description="only this role")] = None,
) -> BodyItems:
    bodies = _bodies(services)
    row = _lookup(bodies, slug, "body", "/bodies")
    role_iri = {name: iri for iri, name in ROLES.items()}.get(role) if role else None
    rows = services.run("items-by-body", body=row["body"], role=role_iri).values()
    items_by_iri = _items_by_iri(services)
    grouped: dict[tuple[int, str], dict[str, Any]] = {}
    for hit in rows:
        entry = _item_entry(grouped, hit, items_by_iri, roles=[], evidence=[])
        hit_role = ROLES[hit["role"]]
        if hit_role not in entry["roles"]:
            entry["roles"].append(hit_role)
        named = slug_of(hit["named"])
        entry["evidence"].append(BodyItemEvidence(
            source=hit["measure"], sentence=hit["sentence"], words=hit["words"], file=hit["file"], start=hit["start"],
            end=hit["end"], body=named, body_label=bodies.get(named, {}).get("label_zh"), role=hit_role,
            cue=hit.get("cue")))
    items = [BodyItem(**{**entry, "roles": sorted(entry["roles"], key=ROLE_ORDER.index)})
             for _, entry in sorted(grouped.items())]
    return BodyItems(body=BodyRef(slug=slug, iri=row["body"], label_zh=row["label_zh"], label_en=row.get("label_en")),
                     role=role, count=len(items), items=items)


# --------------------------------------------------------------------------- /indicators
class IndicatorList(BaseModel):
    count: int
    category: CategorySlug | None = Field(None, description="the category filter, when one was given")
    due: datetime.date | None = Field(None, description="the deadline filter, when one was given")
    indicators: list[Indicator]


@router.get(
    "/indicators", response_model=IndicatorList, responses=ERROR_RESPONSES,
    summary="the plan's quantified targets with their latest 2022 figure",
    description="Every indicator (by table: quality 素质提升, services 精准服务, rights 依法维权; then those stated "
                "only in an item): target value in base units, unit, comparator, deadline or yearly rate, the items "
                "that state it, and the latest observation of the 2022 work report with the ratio observed/target "
                "where one is linked. Named queries: indicators, indicator-progress.",
)
@json_route
def list_indicators(
    services: ServicesDep,
    category: Annotated[CategorySlug | None, Query(description="only the targets of this table")] = None,
    due: Annotated[IsoDate | None, Query(description="only the targets due on this date, e.g. 2025-12-31")] = None,
) -> IndicatorList:
    found = _indicators(services, category, due)
    return IndicatorList(count=len(found), category=category, due=due, indicators=found)


# --------------------------------------------------------------------------- /search
class SearchHit(BaseModel):
    iri: str
    path: str = Field(description="the resource's path on this server (/id/{kind}/{slug})")
    label: str = Field(description="the Chinese label (for a measure, its sentence)")
    label_en: str | None = None
    field: Literal["label", "altLabel", "text"] = Field(description="what matched: a (preferred) label, an "
                                                                    "alternative label or the text")
    matched: str = Field(description="the matching value, shortened to the words around the match")
    exact: bool = Field(description="whether the matching value equals the query (case ignored)")
    item: int | None = Field(None, description="for a measure, the number of its item")


class SearchGroup(BaseModel):
    kind: SearchKind
    total: int = Field(description="how many resources of this kind match (results holds at most limit of them)")
    results: list[SearchHit]


class SearchResults(BaseModel):
    q: str
    kind: SearchKind | None = None
    limit: int
    total: int = Field(description="how many resources match, all kinds together")
    groups: list[SearchGroup] = Field(description="results by kind; a kind with an exact match comes first")


@router.get(
    "/search", response_model=SearchResults, responses=ERROR_RESPONSES,
    summary="find items, measures, populations, bodies, programmes, laws and indicators by Chinese or English words",
    description="A case-insensitive substring search over the Chinese and English labels (preferred and alternative) "
                "and texts, grouped by kind. Within a kind, exact label matches come first, then label matches, then "
                "text matches. Named query: search.",
)
@json_route(page=search_page)
def search(
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="the words to look for, e.g. 快递 or courier")],
    kind: Annotated[SearchKind | None, Query(description="only resources of this kind")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="at most this many results per kind")] = 20,
) -> SearchResults:
    words = q.strip()
    if not words:
        raise ApiError(422, "invalid request: q: the query must contain something besides white space")
    rows = services.run("search", q=words, kind=kind).values()
    best: dict[str, tuple[tuple, dict[str, Any]]] = {}
    for row in rows:
        rank = (not row["exact"], row["field"] == "text", row["field"] == "altLabel", len(str(row["matched"])))
        if row["resource"] not in best or rank < best[row["resource"]][0]:
            best[row["resource"]] = (rank, row)
    by_kind: dict[str, list[tuple[tuple, SearchHit]]] = defaultdict(list)
    for rank, row in best.values():
        item = row.get("item")
        by_kind[row["result_kind"]].append(((*rank, row["resource"]), SearchHit(
            iri=row["resource"], path=path_of(row["resource"]), label=row["label"], label_en=row.get("label_en"),
            field=row["field"], matched=_snippet(str(row["matched"]), words), exact=row["exact"],
            item=int(slug_of(item)) if item else None)))
    groups = []
    for name, hits in by_kind.items():
        if name not in SEARCH_ORDER:
            continue
        hits.sort(key=lambda pair: pair[0])
        groups.append(SearchGroup(kind=name, total=len(hits), results=[hit for _, hit in hits[:limit]]))  # type: ignore[arg-type]
    groups.sort(key=lambda group: (not group.results[0].exact, SEARCH_ORDER.index(group.kind)))
    return SearchResults(q=words, kind=kind, limit=limit, total=sum(group.total for group in groups), groups=groups)


PopulationNode.model_rebuild()
