"""What the parse stage hands to the graph stage: plain data, no RDF.

Every object that states something carries the raw :class:`Span` (or spans)
it was read from, so the graph stage can record ``pol:quote``/``pol:start``/
``pol:end`` without going back to the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policykg.build.text import Span


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


@dataclass
class LaterDocument:
    """The 2022 work report or the 18th-congress summary, as a tree of sections."""

    document: str  # resource path, e.g. "document/acftu-2022-work-report"
    sections: list[Section]
