"""The sentence-sized units the extractors read, and how a match in one is traced to raw text.

Every extractor works on :class:`TextUnit` s: a measure of a plan item, an
item title, a task of a later document, a section or point of the 2022
report. A unit keeps, per character of its cleaned text, the (file, offset)
it was read from, so that any match ``unit.text[start:end]`` becomes raw
spans with :func:`evidence` -- the quote the graph records.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from policykg.build.model import Evidence, LaterDocument, Plan
from policykg.build.sources import SourceText
from policykg.build.text import MappedText, Origin, Span, clean_chinese
from policykg.errors import PolicyKGError

MEASURE = "measure"
TITLE = "title"
TASK = "task"
REPORT = "report"


@dataclass(frozen=True)
class TextUnit:
    """One sentence-sized piece of cleaned text and where each character came from."""

    path: str  # resource path: measure/16-3, item/16 (its title), task/2023-1, report-point/2022-1-2
    kind: str  # MEASURE | TITLE | TASK | REPORT
    text: str
    origins: tuple[Origin, ...]
    item: int | None = None  # the plan item of a measure or title

    def __post_init__(self) -> None:
        if len(self.origins) != len(self.text):
            raise PolicyKGError(f"{self.path}: a text unit needs one origin per character")


def plan_units(plan: Plan, corpus: dict[str, SourceText]) -> list[TextUnit]:
    """Item titles and measures, in item order (a title before its measures)."""
    units = []
    for item in sorted(plan.items, key=lambda i: i.number):
        title = _title_unit(item.number, item.title, item.title_spans, corpus)
        if title is not None:
            units.append(title)
        for measure in sorted(item.measures, key=lambda m: m.number):
            units.append(TextUnit(f"measure/{item.number}-{measure.number}", MEASURE, measure.text,
                                  measure.origins, item.number))
    return units


def later_units(later: list[LaterDocument]) -> list[TextUnit]:
    """Tasks (2023 tasks, 18th-congress lines) and the 2022 report's sections and points."""
    units = []
    for document in sorted(later, key=lambda d: d.document):
        for section in document.sections:
            kind = TASK if section.kind == "task" else REPORT
            units.append(TextUnit(f"{section.kind}/{section.key}", kind, section.text, section.origins))
    return units


def _title_unit(number: int, title: str, spans: list[Span], corpus: dict[str, SourceText]) -> TextUnit | None:
    """The title as printed in one of its places (the first whose cleaned reading holds the chosen title)."""
    for span in spans:
        cleaned = clean_chinese(MappedText.raw(corpus[span.file], span.start, span.end)).strip().strip("。")
        position = cleaned.text.find(title)
        if position >= 0:
            piece = cleaned[position:position + len(title)]
            return TextUnit(f"item/{number}", TITLE, piece.text, piece.origins(), number)
    return None


def item_of(path: str) -> int | None:
    """The plan item of a unit's resource path: ``measure/16-3`` or ``item/16`` → 16; None for a task or report unit."""
    kind, slug = path.split("/", 1)
    if kind == "measure":
        return int(slug.split("-")[0])
    if kind == "item":
        return int(slug)
    return None


def evidence(unit: TextUnit, start: int, end: int, corpus: dict[str, SourceText]) -> Evidence:
    """The Evidence for ``unit.text[start:end]``: its raw slices, one per file run and layout break."""
    if not 0 <= start < end <= len(unit.text):
        raise PolicyKGError(f"{unit.path}: no text at [{start}:{end}] (the unit has {len(unit.text)} characters)")
    spans = []
    for file_name, run in groupby(unit.origins[start:end], key=lambda origin: origin[0]):
        offsets = [offset for _file, offset in run]
        source = corpus.get(file_name)
        if source is None:
            raise PolicyKGError(f"{unit.path} was read from {file_name!r}, which is not in the corpus")
        chars = "".join(source.text[o] for o in offsets)
        spans.extend(MappedText(source, chars, offsets).spans())
    return Evidence(unit.path, start, end, unit.text[start:end], tuple(spans))
