"""Stage 1: the 2022 work report excerpt (file 003) as a tree of sections.

The file is one newspaper column run: hard line breaks every ~15 characters
(inside words and numbers), letter-spaced runs, and no reliable paragraph
marks. Structure is therefore read from the cleaned text, where three kinds of
marker can open a unit, each only at the start of a sentence:

- a part heading ``二、…`` (no 。; it ends on the first short raw line, the
  way the newspaper sets a heading apart) opens the tasks part;
- a section heading ``（n）…。`` opens a section (review or tasks part);
- ``一是`` / ``二是`` / … opens a point of the current section (text between
  the part heading and its first section is the overall requirement, which
  has no points).

Section and point ordinals must follow one another; a marker out of sequence
is an error (the parser cannot tell a skipped point from a nested list). The
file starts inside a review section whose heading is not in the corpus; that
section gets the number before the first heading found, and no title. Every
character of the cleaned body lands in a section's text; only the part
heading itself is not a section (it is recorded in the overall task's note).
"""

from __future__ import annotations

import bisect
import re
import statistics
from dataclasses import dataclass, field

from policykg.build.model import LaterDocument, Section
from policykg.build.sources import SourceText
from policykg.build.text import SENTENCE_END, MappedText, chinese_number, clean_chinese, sentence_ends, split_sentences
from policykg.errors import ParseError

DOCUMENT = "document/acftu-2022-work-report"

_NUMERAL = "[一二三四五六七八九十]+"
_PART = re.compile(rf"({_NUMERAL})、")
_SECTION = re.compile(rf"（({_NUMERAL})）")
_POINT = re.compile(rf"({_NUMERAL})是")
_YEAR = re.compile(r"(\d{4})年")

# A sentence starts after these (a 。 closes a sentence, a ： opens a list);
# closing quotes and brackets right after them still belong to the sentence.
_SENTENCE_BREAKS = SENTENCE_END + "："
_MAX_HEADING = 80  # a section heading longer than this has lost its 。
_SHORT_LINE = 0.6  # of the median line length: the line ends a paragraph or heading
_MAX_HEADING_LINES = 4

PART, SECTION, POINT = 0, 1, 2


@dataclass
class _Marker:
    """Where a part, section or point starts in the clean text, and where its heading ends."""

    level: int
    number: int
    start: int
    body: int  # first index after the heading (== start for points and the headless section)
    headless: bool = False
    notes: list[str] = field(default_factory=list)


def _line(clean: MappedText, index: int) -> int:
    """The 1-based raw line of clean character ``index`` (or of the end of the file)."""
    raw = clean.source.text
    offset = clean.offsets[index] if index < len(clean.offsets) else len(raw)
    return raw.count("\n", 0, offset) + 1


def _quote(text: str, index: int, length: int = 24) -> str:
    excerpt = text[index:index + length]
    return f"“{excerpt}{'…' if index + length < len(text) else ''}”"


def _error(clean: MappedText, index: int, problem: str) -> ParseError:
    return ParseError(clean.source.name, problem, line=_line(clean, index))


def _ordinal(clean: MappedText, index: int, numeral: str) -> int:
    try:
        return chinese_number(numeral)
    except ValueError:
        raise _error(clean, index, f"“{numeral}” at {_quote(clean.text, index)} is not an ordinal") from None


def clean_report(source: SourceText) -> MappedText:
    """The cleaned reading of the whole file (line breaks, letter-spacing and ASCII punctuation handled)."""
    return clean_chinese(MappedText.raw(source)).strip()


def _sentence_starts(text: str) -> list[int]:
    """Indices where a sentence may start: the text start and after 。！？：(and any closing quote)."""
    return [0] + [end for end in sentence_ends(text, _SENTENCE_BREAKS) if end < len(text)]


def _part_heading_end(clean: MappedText, start: int) -> int:
    """The part heading has no 。: it ends with the first short raw line (the newspaper sets it apart)."""
    raw = clean.source.text
    lengths = [len(line.strip()) for line in raw.splitlines() if line.strip()]
    short = _SHORT_LINE * statistics.median(lengths)
    line_start = raw.rfind("\n", 0, clean.offsets[start]) + 1
    seen = 0
    while seen < _MAX_HEADING_LINES and line_start < len(raw):
        line_end = raw.find("\n", line_start)
        line_end = len(raw) if line_end < 0 else line_end
        length = len(raw[line_start:line_end].strip())
        if length:  # blank lines only separate lines; they are not short lines
            seen += 1
            if length < short:
                return bisect.bisect_left(clean.offsets, line_end)
        line_start = line_end + 1
    raise _error(clean, start, f"the part heading {_quote(clean.text, start)} does not end on a short line "
                 f"within {_MAX_HEADING_LINES} lines, so its end cannot be found")


def _section_heading_end(clean: MappedText, start: int) -> int:
    end = clean.text.find("。", start)
    if end < 0 or end - start > _MAX_HEADING:
        raise _error(clean, start, f"the section heading {_quote(clean.text, start)} has no 。 "
                     f"within {_MAX_HEADING} characters")
    return end + 1


class _Scanner:
    """Walks the sentence starts once, keeping the ordinals each marker must follow."""

    def __init__(self, clean: MappedText):
        self.clean = clean
        self.text = clean.text
        self.markers: list[_Marker] = []
        self.next_section: int | None = None  # None: unknown, the file starts mid-review
        self.next_point: int | None = None  # None: any (the headless section starts mid-way)
        self.in_section = False

    def scan(self) -> list[_Marker]:
        if not (_PART.match(self.text) or _SECTION.match(self.text)):
            self.markers.append(_Marker(SECTION, 0, 0, 0, headless=True))
            self.in_section = True
        starts = _sentence_starts(self.text)
        skip_to = 0
        index = 0
        while index < len(starts):
            start = starts[index]
            index += 1
            if start < skip_to:
                continue
            body = self._marker_at(start)
            if body > start:
                skip_to = body
                if body < len(self.text) and body not in starts:
                    bisect.insort(starts, body)  # a heading without 。 still ends a sentence
        return self.markers

    def _marker_at(self, start: int) -> int:
        """Record a marker at ``start`` if there is one; return where its heading ends."""
        if match := _PART.match(self.text, start):
            return self._part(start, match)
        if match := _SECTION.match(self.text, start):
            return self._section(start, match)
        if self.in_section and (match := _POINT.match(self.text, start)):
            self._point(start, match)
        return start

    def _part(self, start: int, match: re.Match) -> int:
        if any(marker.level == PART for marker in self.markers):
            raise _error(self.clean, start, f"a second part heading {_quote(self.text, start)}: "
                         "the file should hold the end of the review and one tasks part")
        if self.markers and self.markers[0].headless and self.next_section is None:
            raise _error(self.clean, start, "no section heading （n） before the part heading, so the section "
                         f"the file starts in ({_quote(self.text, 0)}) cannot be numbered")
        body = _part_heading_end(self.clean, start)
        self.markers.append(_Marker(PART, _ordinal(self.clean, start, match[1]), start, body))
        self.next_section, self.next_point, self.in_section = 1, None, False
        return body

    def _section(self, start: int, match: re.Match) -> int:
        number = _ordinal(self.clean, start, match[1])
        if self.next_section is not None and number != self.next_section:
            raise _error(self.clean, start, f"section （{match[1]}） where section {self.next_section} is "
                         f"expected: {_quote(self.text, start)}")
        headless = self.markers[0] if self.markers and self.markers[0].headless else None
        if self.next_section is None and headless is not None:
            if number < 2:
                raise _error(self.clean, start, f"text before section （{match[1]}） "
                             f"{_quote(self.text, 0)} belongs to no section")
            headless.number = number - 1
        body = _section_heading_end(self.clean, start)
        self.markers.append(_Marker(SECTION, number, start, body))
        self.next_section, self.next_point, self.in_section = number + 1, 1, True
        return body

    def _point(self, start: int, match: re.Match) -> None:
        number = _ordinal(self.clean, start, match[1])
        if self.next_point is not None and number != self.next_point:
            raise _error(self.clean, start, f"point {match[0]} where point {self.next_point} is expected "
                         f"(a point is missing or misnumbered): {_quote(self.text, start)}")
        self.markers.append(_Marker(POINT, number, start, start))
        self.next_point = number + 1


def _ends(markers: list[_Marker], length: int) -> list[int]:
    """Each marker's unit runs to the next marker of the same or a higher level."""
    ends = []
    for index, marker in enumerate(markers):
        later = (m.start for m in markers[index + 1:] if m.level <= marker.level)
        ends.append(next(later, length))
    return ends


def _section_title(heading: str) -> str:
    """A heading ``（二）在新的起点上…改革。`` without its ordinal and its 。."""
    return _SECTION.sub("", heading, count=1).rstrip("。")


def _point_title(text: MappedText) -> str:
    """A point's first sentence, without ``X是`` and its final punctuation."""
    first = split_sentences(text)[0].text
    return _POINT.sub("", first, count=1).rstrip(SENTENCE_END)


def _make(clean: MappedText, start: int, end: int, key: str, kind: str, number: int,
          title: str | None, parent: str | None, notes: list[str]) -> Section:
    body = clean[start:end].strip()
    if not body.text:
        raise _error(clean, start, f"{key} has no text")
    return Section(key=key, kind=kind, number=number, title=title, text=body.text, span=body.span(),
                   parent=parent, notes=list(notes), origins=body.origins())


@dataclass(frozen=True)
class _Part:
    """How one part names its units: the review of 2022 or the tasks of 2023."""

    prefix: str
    section_kind: str
    point_kind: str


def _parts(clean: MappedText, markers: list[_Marker]) -> tuple[_Part, _Part]:
    """The review and tasks parts, named by the year in the part heading (the review is the year before)."""
    part = next((marker for marker in markers if marker.level == PART), None)
    if part is None:
        raise _error(clean, len(clean.text), "no part heading “二、2023年…总体要求和主要任务”: the tasks part "
                     "that should follow the 2022 review is missing (the file may be truncated)")
    heading = clean.text[part.start:part.body]
    year = _YEAR.search(heading)
    if year is None:
        raise _error(clean, part.start, f"the part heading {_quote(heading, 0)} names no year")
    tasks_year = int(year[1])
    review = _Part(str(tasks_year - 1), "report-section", "report-point")
    return review, _Part(str(tasks_year), "task", "task")


def _overall(clean: MappedText, part: _Marker, end: int, prefix: str) -> Section:
    """The part heading's first half (总体要求) is the paragraph before the first task section."""
    heading = _PART.sub("", clean.text[part.start:part.body], count=1)
    title = heading.rsplit("和", 1)[0] if "和" in heading else heading
    note = f"title from the part heading “{clean.text[part.start:part.body]}”, which is not a section itself"
    return _make(clean, part.body, end, f"{prefix}-overall", "task", 0, title, None, [note, *part.notes])


def _document_sections(clean: MappedText, markers: list[_Marker]) -> list[Section]:
    review, tasks = _parts(clean, markers)
    ends = _ends(markers, len(clean.text))
    sections: list[Section] = []
    part, section_key = review, None
    for index, (marker, end) in enumerate(zip(markers, ends)):
        if marker.level == PART:
            part, section_key = tasks, None
            following = markers[index + 1].start if index + 1 < len(markers) else end
            sections.append(_overall(clean, marker, following, part.prefix))
        elif marker.level == SECTION:
            section_key = f"{part.prefix}-{marker.number}"
            heading = clean.text[marker.start:marker.body]
            title = None if marker.headless else _section_title(heading)
            sections.append(_make(clean, marker.start, end, section_key, part.section_kind, marker.number,
                                  title, None, marker.notes))
        else:
            text = clean[marker.start:end]
            sections.append(_make(clean, marker.start, end, f"{section_key}-{marker.number}", part.point_kind,
                                  marker.number, _point_title(text), section_key, marker.notes))
    return sections


def _annotate(clean: MappedText, markers: list[_Marker]) -> None:
    """Notes on the places where the corpus, not the report, decides a unit's extent."""
    if markers and markers[0].headless:
        markers[0].notes.append("heading not in the corpus: the file starts inside this section")
        first_point = markers[1] if len(markers) > 1 and markers[1].level == POINT else None
        if first_point is not None and first_point.number > 1:
            markers[0].notes.append(f"the corpus starts at its point {first_point.number}; "
                                    "the points before it are not in the corpus")
    for index, marker in enumerate(markers[1:], start=1):
        before = markers[index - 1]
        if marker.level == PART and before.level == POINT:
            heading = clean.text[marker.start:marker.body]
            before.notes.append(f"the last point before the part heading “{heading}”: "
                                "the paragraphs up to that heading have no point marker and stay in this point")
    last_section = next((m for m in reversed(markers) if m.level <= SECTION), None)
    if last_section is not None:
        last_section.notes.append("the file is cut off inside this section: its text ends at the end of the corpus")
    if markers and markers[-1].level == POINT:
        markers[-1].notes.append("the file is cut off: this point ends at the end of the corpus text")


def parse_report(source: SourceText) -> LaterDocument:
    """Parse the work report excerpt into review sections/points and 2023 tasks, in reading order."""
    clean = clean_report(source)
    if not clean.text:
        raise ParseError(source.name, "the file has no text")
    markers = _Scanner(clean).scan()
    _annotate(clean, markers)
    return LaterDocument(document=DOCUMENT, sections=_document_sections(clean, markers))
