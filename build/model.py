"""What the parse stage hands to the graph stage: plain data, no RDF.

Every object that states something carries the raw :class:`Span` (or spans)
it was read from, so the graph stage can record ``pol:quote``/``pol:start``/
``pol:end`` without going back to the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from policykg.build.text import Origin, Span


@dataclass(frozen=True)
class Reading:
    """One witness's reading at a variant site (may be empty: an omission)."""

    file: str
    span: Span  # span.quote is the raw reading; start == end for an omission
    text: str  # the cleaned reading
    chosen: bool


@dataclass(frozen=True)
class Variant:
    """A place where two or more copies of the same passage differ.

    ``site`` is the resource path of the passage's owner (``item/13``,
    ``item-part/2-3``, ``chapter/9``, ``preamble/acftu-14th-fyp``);
    ``field`` says whether the variant is in its ``title`` or ``text``.
    """

    site: str
    field: str
    number: int  # 1-based, in reading order within (site, field)
    readings: tuple[Reading, ...]
    rule: str  # which documented rule chose the reading (see build/variants.py)


@dataclass(frozen=True)
class Measure:
    """One action sentence of an item body: the unit that carries evidence."""

    item: int
    number: int  # 1-based order within the item
    text: str  # cleaned, chosen reading
    spans: tuple[Span, ...]  # first span is the measure's own provenance; more if the layout split it
    part: int | None = None  # the item part it belongs to, if any
    origins: tuple[Origin, ...] = ()  # per character of ``text``: where it was read (see text.Origin)


@dataclass
class Titled:
    """Something with a chosen title (and where every copy printed it)."""

    title: str
    title_spans: list[Span] = field(default_factory=list)


@dataclass
class ItemPart(Titled):
    """A "——" sub-part of an item: item 2's situations, item 4's principles, item 5's goals."""

    item: int = 0
    number: int = 0
    text: str | None = None
    body_spans: list[Span] = field(default_factory=list)


@dataclass
class PlanItem(Titled):
    number: int = 0
    chapter: int = 0
    text: str | None = None  # the whole body (intro and parts), None when the corpus has no body
    intro: str | None = None  # body text before the first part
    body_spans: list[Span] = field(default_factory=list)
    parts: list[ItemPart] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "copy A prints it as 1."


@dataclass
class Chapter(Titled):
    number: int = 0


@dataclass
class TableRow:
    number: int
    name: str
    target: str
    span: Span


@dataclass
class Table(Titled):
    """An indicator table (素质提升 / 精准服务 / 依法维权): rows of 具体指标 and 发展目标."""

    category: str = ""
    rows: list[TableRow] = field(default_factory=list)
    after_item: int = 0  # the last item before the table in the file


@dataclass
class Plan:
    title: str
    title_spans: list[Span]
    issued: str  # ISO date
    issued_span: Span
    preamble: str
    preamble_spans: list[Span]
    chapters: list[Chapter]
    items: list[PlanItem]
    variants: list[Variant]
    tables: list[Table]


@dataclass
class Section:
    """A section, point, heading or line of a later document (report or congress summary).

    ``key`` is the resource slug (``2022-2-1``, ``2023-1``, ``18th-3-2-4``);
    ``kind`` is ``report-section``, ``report-point`` or ``task``.
    """

    key: str
    kind: str
    number: int
    title: str | None
    text: str
    span: Span
    parent: str | None  # key of the parent section, None for the document itself
    notes: list[str] = field(default_factory=list)
    origins: tuple[Origin, ...] = ()  # per character of ``text``: where it was read (see text.Origin)


@dataclass
class LaterDocument:
    """The 2022 work report or the 18th-congress summary, as a tree of sections."""

    document: str  # resource path, e.g. "document/acftu-2022-work-report"
    sections: list[Section]


# --------------------------------------------------------------------------- extract stage
# What the extract stage hands to the graph stage (build/extract/): curated
# concepts and the links, indicators and observations read from the text, each
# with the Evidence it was read from.


@dataclass(frozen=True)
class Evidence:
    """Where a fact was read: a sentence-sized unit and the words in it.

    ``unit`` is the resource path of the unit (``measure/16-3``, ``item/16`` for
    an item title, ``task/2023-4``, ``report-point/2022-1-2``,
    ``table-row/quality-3``); ``start``/``end`` index its cleaned text;
    ``spans`` are the raw slices of the words (``file_text[start:end] == quote``).
    """

    unit: str
    start: int
    end: int
    surface: str
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Population:
    """A curated target population (a skos:Concept of the population scheme)."""

    slug: str
    label_zh: str
    label_en: str
    aliases: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()  # slugs
    note: str | None = None


@dataclass(frozen=True)
class Body:
    """A curated organisation or organ category (an org:Organization)."""

    slug: str
    label_zh: str
    label_en: str
    kind: str  # union | party | state | international | company | enterprise-category | …
    aliases: tuple[str, ...] = ()
    sub_organization_of: str | None = None  # slug


@dataclass(frozen=True)
class PopulationLink:
    population: str  # slug
    evidence: Evidence


@dataclass(frozen=True)
class BodyLink:
    body: str  # slug
    role: str  # lead | partner | supported | addressed | involved
    cue: str | None  # the cue word that gave the role (配合, 联合, 督促 …)
    evidence: Evidence


@dataclass(frozen=True)
class Programme:
    """A “…” or 《…》 name of the corpus and its class."""

    slug: str
    name: str  # as printed, without the quotation marks
    kind: str  # campaign | brand | award | platform | fund | slogan | practice | not-a-name | law | publication
    label_en: str | None
    classified_by: str  # "curated" or the rule that classified it ("rule:suffix 竞赛")


@dataclass(frozen=True)
class ProgrammeLink:
    programme: str  # slug
    action: str | None  # the verb applied to it (推动制定, 修订, 落实 …)
    evidence: Evidence


@dataclass(frozen=True)
class Indicator:
    """A quantified target of the plan (a table row part, or a target stated in an item)."""

    slug: str
    label_zh: str
    label_en: str | None
    value: Decimal  # base units
    unit: str
    comparator: str  # AtLeast | MoreThan | About | Exactly
    deadline: str | None  # ISO date
    per_year: bool
    category: str | None  # table category slug (quality | services | rights), None for text-only targets
    stated_in: tuple[int, ...]  # plan item numbers
    evidence: tuple[Evidence, ...]  # the table cell and/or the item sentence(s)


@dataclass(frozen=True)
class Observation:
    """A figure the 2022 report gives as achieved."""

    slug: str
    label_zh: str
    value: Decimal
    unit: str
    period: str  # "2022", "2021/2022" (cumulative since 2021) or "..2022-12-31" (as of)
    indicator: str | None  # indicator slug it measures
    reports_on: tuple[int, ...]  # plan items
    evidence: Evidence


@dataclass(frozen=True)
class Continuation:
    """A later task carrying a plan item forward."""

    task: str  # resource path of the task (task/2023-1, task/18th-3-2)
    item: int
    score: float
    basis: tuple[str, ...]  # what they share: "population:couriers", "programme:…", "words:…"
    decided_by: str  # "rule" or "curated"


@dataclass
class Extraction:
    """Everything the extract stage found, for the graph stage and the quality report."""

    populations: list[Population]
    bodies: list[Body]
    programmes: list[Programme]
    population_links: list[PopulationLink]
    salience: dict[tuple[int, str], str]  # (item, population slug) -> "primary" | "mentioned"
    body_links: list[BodyLink]
    programme_links: list[ProgrammeLink]
    unclassified: list[Evidence]  # quoted names no curated entry or rule classifies
    indicators: list[Indicator]
    observations: list[Observation]
    continuations: list[Continuation]
