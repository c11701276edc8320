"""Stage 1: the 18th-congress infographic summary (file 004) as a tree of tasks.

The file is markdown-ish: ``#``…``####`` headings, bullet lines that end with
two spaces, and ``**要**`` bold leads. It is read as blocks (a heading and the
lines under it) and each block is classified by what it is, not by its text:

- ``### (n) …``: one of the nine sections; its ordinal must follow the last;
- ``#### …``: a sub-heading of the current section; each line under it is a task;
- a ``###`` heading with lines under it, before the first section: the overall
  requirement (its heading is the title);
- a run of other headings whose last one has lines under it: an intro sentence
  and the ``**要**…`` paragraphs; the group's title is the heading that names
  their count ("“八个要”", checked against the paragraphs);
- any other heading (``#``/``##`` titles, ``### @工会干部``) has nothing under
  it of its own and is decoration.

A line that fits none of these is an error, so no text is dropped silently.
Texts and titles are the cleaned reading; spans leave out the markdown markers
at their ends (inner ``**`` can remain in a quote).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from policykg.build.model import LaterDocument, Section
from policykg.build.text import chinese_number
from policykg.build.sources import SourceText
from policykg.build.text import MappedText, Span, clean_chinese
from policykg.errors import ParseError

DOCUMENT = "document/acftu-18th-congress-summary"
PREFIX = "18th"
GROUP_SLUG = "eight-musts"  # the model's slug for the "八个要"
SECTION_COUNT = 9  # the summary's main work has nine sections (一)…(九)

_HEADING = re.compile(r"(#{1,6})[ \t]+")
_SECTION_MARKER = re.compile(r"[（(]\s*([一二三四五六七八九十]+)\s*[)）]\s*")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_QUOTES = "“”\"'‘’"


@dataclass(frozen=True)
class _Line:
    """One non-blank raw line: its content (markdown markers at the ends excluded) as clean text."""

    number: int  # 1-based line in the raw file
    level: int  # heading level, 0 for a text line
    clean: MappedText
    bold_lead: str | None = None  # "要" for a line opening with **要**


@dataclass
class _Block:
    """A heading and the text lines under it, up to the next heading."""

    heading: _Line
    lines: list[_Line] = field(default_factory=list)


def _read_lines(source: SourceText) -> list[_Line]:
    """Every non-blank line, with heading marks, ``**`` and edge white space left out of its text."""
    lines = []
    offset = 0
    for number, raw_line in enumerate(source.text.splitlines(keepends=True), start=1):
        start = offset
        offset += len(raw_line)
        content = raw_line.strip()
        if not content:
            continue
        start += len(raw_line) - len(raw_line.lstrip())
        end = start + len(content)
        level = 0
        if heading := _HEADING.match(content):
            level = len(heading[1])
            start += heading.end()
        bold = _BOLD.match(content) if level == 0 else None
        text = clean_chinese(MappedText.raw(source, start, end).delete(r"\*\*")).strip()
        lines.append(_Line(number, level, text, bold[1] if bold else None))
    return lines


def _blocks(source: SourceText, lines: list[_Line]) -> list[_Block]:
    blocks: list[_Block] = []
    for line in lines:
        if line.level:
            blocks.append(_Block(line))
        elif not blocks:
            raise ParseError(source.name, f"text before the first heading: “{line.clean.text[:30]}”",
                             line=line.number)
        else:
            blocks[-1].lines.append(line)
    return blocks


def _task(key: str, number: int, title: str | None, text: MappedText, parent: str | None,
          notes: list[str] | None = None, span: Span | None = None) -> Section:
    """A task whose span is its text's, unless the text is only part of what was read (a heading)."""
    return Section(key=key, kind="task", number=number, title=title, text=text.text,
                   span=span or text.span(), parent=parent, notes=notes or [], origins=text.origins())


def _joined(lines: list[_Line]) -> MappedText:
    """Several raw lines read as one paragraph (their span runs from the first to the last)."""
    return MappedText.join([line.clean for line in lines])


class _Reader:
    """Classifies the blocks in order, keeping the current section and sub-heading."""

    def __init__(self, source: SourceText):
        self.source = source
        self.sections: list[Section] = []
        self.section: int = 0  # number of the current section, 0 before the first
        self.section_open = False  # False once a heading outside the sections closes the last one
        self.subheadings = 0
        self.pending: list[_Line] = []  # headings with nothing under them yet
        self.has_overall = False
        self.has_group = False

    def error(self, line: _Line, problem: str) -> ParseError:
        return ParseError(self.source.name, problem, line=line.number)

    def read(self, blocks: list[_Block]) -> list[Section]:
        for block in blocks:
            self.block(block)
        self.finish(blocks)
        return self.sections

    def block(self, block: _Block) -> None:
        heading = block.heading
        marker = _SECTION_MARKER.match(heading.clean.text) if heading.level == 3 else None
        if marker:
            self.open_section(heading, marker, block.lines)
        elif heading.level == 4:
            self.subheading(heading, block.lines)
        elif block.lines and heading.level == 3 and not self.section and not self.has_overall:
            self.overall(heading, block.lines)
        elif block.lines:
            self.group([*self.pending, heading], block.lines)
        else:
            self.section_open = self.section_open and heading.level > 3
            self.pending.append(heading)
            return
        self.pending = []

    def open_section(self, heading: _Line, marker: re.Match, lines: list[_Line]) -> None:
        try:
            number = chinese_number(marker[1])
        except ValueError:
            raise self.error(heading, f"“{marker[0]}” is not a section ordinal") from None
        if number != self.section + 1:
            raise self.error(heading, f"section ({marker[1]}) where section {self.section + 1} is expected: "
                             f"“{heading.clean.text}”")
        if lines:
            raise self.error(lines[0], f"text directly under the section heading, outside any sub-heading: "
                             f"“{lines[0].clean.text[:30]}”")
        self.section, self.section_open, self.subheadings = number, True, 0
        title = heading.clean[marker.end():].strip()
        # the span is the heading line content, ordinal included
        self.sections.append(_task(f"{PREFIX}-{number}", number, title.text, title, None,
                                   span=heading.clean.span()))

    def subheading(self, heading: _Line, lines: list[_Line]) -> None:
        if not self.section_open:
            raise self.error(heading, f"sub-heading “{heading.clean.text}” outside any section")
        self.subheadings += 1
        parent = f"{PREFIX}-{self.section}"
        key = f"{parent}-{self.subheadings}"
        self.sections.append(_task(key, self.subheadings, heading.clean.text, heading.clean, parent))
        for number, line in enumerate(lines, start=1):
            self.sections.append(_task(f"{key}-{number}", number, None, line.clean, key))

    def overall(self, heading: _Line, lines: list[_Line]) -> None:
        self.has_overall = True
        self.sections.append(_task(f"{PREFIX}-overall", 0, heading.clean.text, _joined(lines), None))

    def group(self, headings: list[_Line], lines: list[_Line]) -> None:
        """An intro sentence and the bold-lead paragraphs, titled by the heading that counts them."""
        first = next((i for i, line in enumerate(lines) if line.bold_lead is not None), None)
        if first is None:
            raise self.error(lines[0], f"text under “{headings[-1].clean.text}” that is neither a task "
                             f"nor a **…** paragraph: “{lines[0].clean.text[:30]}”")
        if first == 0:
            raise self.error(lines[0], "the **…** paragraphs must follow an intro sentence")
        intro, items = lines[:first], lines[first:]
        stray = next((line for line in items if line.bold_lead is None), None)
        if stray is not None:
            raise self.error(stray, f"a paragraph among the **…** paragraphs that does not open with one: "
                             f"“{stray.clean.text[:30]}”")
        if self.has_group:
            raise self.error(headings[-1], "a second group of **…** paragraphs")
        self.has_group = True
        lead = items[0].bold_lead
        if any(item.bold_lead != lead for item in items):
            raise self.error(items[0], f"the **…** paragraphs do not all open with **{lead}**")
        title, notes = self.group_title(headings, lead, len(items))
        key = f"{PREFIX}-{GROUP_SLUG}"
        self.section_open = False
        self.sections.append(_task(key, 0, title, _joined(intro), None, notes))
        for number, item in enumerate(items, start=1):
            self.sections.append(_task(f"{key}-{number}", number, None, item.clean, key))

    def group_title(self, headings: list[_Line], lead: str, count: int) -> tuple[str | None, list[str]]:
        """The heading "N个<lead>" among ``headings``; its N must be the number of paragraphs."""
        pattern = re.compile(rf"([一二三四五六七八九十]+)个{re.escape(lead)}")
        for heading in headings:
            name = heading.clean.text.strip(_QUOTES)
            match = pattern.fullmatch(name)
            if match is None:
                continue
            try:
                announced = chinese_number(match[1])
            except ValueError:
                continue  # not a count: not the group's title
            if announced != count:
                raise self.error(heading, f"the heading “{heading.clean.text}” announces {match[1]} "
                                 f"paragraphs but {count} open with **{lead}** (the file may be truncated)")
            return name, []
        return None, [f"no heading names the group of {count} **{lead}** paragraphs"]

    def finish(self, blocks: list[_Block]) -> None:
        last = blocks[-1].heading if blocks else None
        if self.section != SECTION_COUNT:
            problem = f"{self.section} section(s) (一)… found, the summary has {SECTION_COUNT}"
            raise ParseError(self.source.name, f"{problem}: the file may be truncated",
                             line=last.number if last else None)
        if not self.has_overall:
            raise ParseError(self.source.name, "no overall requirement (a ### heading with a paragraph "
                             "before section (一))", line=1)
        if not self.has_group:
            raise ParseError(self.source.name, "no intro and **要** paragraphs after the sections "
                             "(the “八个要”)", line=last.number if last else None)


def parse_congress(source: SourceText) -> LaterDocument:
    """Parse the congress summary into the overall task, sections, sub-headings, lines and the 八个要."""
    lines = _read_lines(source)
    if not lines:
        raise ParseError(source.name, "the file has no text")
    sections = _Reader(source).read(_blocks(source, lines))
    return LaterDocument(document=DOCUMENT, sections=sections)
