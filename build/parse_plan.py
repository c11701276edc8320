"""Stage 1a: parse the plan from its three files into chapters, items, parts and measures.

The newspaper layout scrambles the plan: table-of-contents (TOC) boxes sit
between the halves of a paragraph, copy A misnumbers items 11-13 as "1." "2."
"3.", and page-break markers look like items ("4.（下转第3版）"). The parser
therefore works in three steps:

1. **classify** every line of every file: title, date, TOC marker, chapter
   heading, numbered heading, "——" part heading, table line, page-break
   marker, or a continuation paragraph;
2. **streams**: in a file that has a TOC ("目 录"), the first title-only
   occurrence of a chapter, item or part is its TOC entry and later ones are
   body headings; body headings are resolved to items *by title* against the
   TOC, not by the printed number;
3. **attach continuations** by the successor rule: a paragraph that does not
   start a unit belongs to the unit that comes *before the next unit* in that
   unit's own stream — before TOC entry n it continues TOC entry n-1, before
   body item n (or before the chapter that opens with item n) it continues
   item n-1, before a body part it continues the previous part of that item,
   and before item 1 it is the preamble. This is what joins item 10's body
   across the TOC block, even though its second half comes first in copy A.

Copies A and B are then aligned (``variants.merge``) and every item body is
split into measures (sentences) that keep raw offsets.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from policykg.build.model import Chapter, ItemPart, Measure, Plan, PlanItem, Table, TableRow, Variant
from policykg.build.sources import SourceText
from policykg.build.text import MappedText, Span, chinese_number, clean_chinese, sentence_bounds
from policykg.build.variants import Merged, TitleWitness, choose_title, merge, normalise, similarity, single
from policykg.errors import ParseError

PLAN = "plan/acftu-14th-fyp"
BASE_COPY_ROLE = "copy A"

_MARKER = re.compile(r"（[上下](?:接|转)第\s*\d+\s*版）")
_DATE = re.compile(r"^[（(]\s*(\d{4})年(\d{1,2})月(\d{1,2})日\s*[)）]$")
_TOC = re.compile(r"^目\s*录$")
_CHAPTER = re.compile(r"^([一二三四五六七八九十]{1,3})、(\S.*)$")
_NUMBERED = re.compile(r"^(?:-\s*)?(\d{1,3})[.．、]\s*(.*)$")
_PART = re.compile(r"^(?:-\s+|——)(.+)$")
_TABLE_CATEGORY = re.compile(r"“([^”]+)”指标")
_TITLE_MATCH = 0.75
_BLANK = " \r\u3000"  # similarity above which a heading names a TOC title


# --- step 1: classify lines ---------------------------------------------------------


@dataclass
class Line:
    """One non-empty line (= paragraph) of a file and what it is."""

    source: SourceText
    number_in_file: int  # 1-based line number, for error messages
    kind: str  # title, date, toc, chapter, numbered, part, table, marker, text
    raw: MappedText  # the line without surrounding white space
    number: int | None = None  # printed number (chapters, items)
    title: MappedText | None = None  # heading title, cleaned, without 。
    rest: MappedText | None = None  # text after the heading's 。, cleaned
    dangling_title: bool = False  # heading with no 。 (the layout cut it)
    stream: str = ""  # "toc" or "body" for headings
    item: int | None = None  # resolved item (numbered body headings, parts)
    part: int | None = None


def _lines(source: SourceText) -> list[Line]:
    lines = []
    offset = 0
    for number, raw_line in enumerate(source.text.split("\n"), start=1):
        stripped = raw_line.strip(_BLANK)  # tabs stay: they mark table lines
        if stripped.strip():
            lead = len(raw_line) - len(raw_line.lstrip(_BLANK))
            start = offset + lead
            lines.append(Line(source, number, "", MappedText.raw(source, start, start + len(stripped))))
        offset += len(raw_line) + 1
    return lines


def _split_heading(text: MappedText) -> tuple[MappedText, MappedText, bool]:
    """Title (up to the first 。, without it) and the rest; dangling if there is no 。."""
    end = text.find("。")
    if end < 0:
        return clean_chinese(text).strip(), MappedText.empty(text.source), True
    return clean_chinese(text[:end]).strip(), clean_chinese(text[end + 1:]).strip(), False


def classify(source: SourceText) -> list[Line]:
    lines = _lines(source)
    for index, line in enumerate(lines):
        text = line.raw.text
        if _MARKER.search(text):
            line.kind = "marker"
        elif "\t" in text:
            line.kind = "table"
        elif _TOC.match(text):
            line.kind = "toc"
        elif _DATE.match(text):
            line.kind = "date"
            if index and lines[index - 1].kind == "text":
                lines[index - 1].kind = "title"
        elif match := _CHAPTER.match(text):
            line.kind = "chapter"
            try:
                line.number = chinese_number(match.group(1))
            except ValueError:
                raise ParseError(source.name, f"chapter heading '{text[:30]}': '{match.group(1)}' is not a chapter "
                                              "number (一 to 九十九)", line.number_in_file) from None
            line.title = clean_chinese(line.raw[match.start(2):]).strip()
        elif match := _NUMBERED.match(text):
            line.kind = "numbered"
            line.number = int(match.group(1))
            line.title, line.rest, line.dangling_title = _split_heading(line.raw[match.start(2):])
        elif (match := _PART.match(text)) and _is_part_heading(text[match.start(1):]):
            line.kind = "part"
            line.title, line.rest, line.dangling_title = _split_heading(line.raw[match.start(1):])
            if not line.title.text:
                raise ParseError(source.name, f"part heading '{text[:30]}' has no title before its 。", line.number_in_file)
        else:
            line.kind = "text"
    return lines


def _is_part_heading(text: str) -> bool:
    """A "——" or bullet heading is a short clause ending in 。, possibly followed by text."""
    end = text.find("。")
    return 0 < end <= 40


# --- step 2: streams -------------------------------------------------------------------


@dataclass
class Toc:
    """The table of contents of one copy."""

    source: SourceText
    chapters: dict[int, Line] = field(default_factory=dict)
    items: dict[int, Line] = field(default_factory=dict)
    item_chapter: dict[int, int] = field(default_factory=dict)
    parts: dict[int, list[Line]] = field(default_factory=lambda: defaultdict(list))


def assign_streams(lines: list[Line]) -> Toc | None:
    """Mark headings as TOC entries or body headings; return the file's TOC, if it has one."""
    has_toc = any(line.kind == "toc" for line in lines)
    toc = Toc(lines[0].source) if has_toc and lines else None
    seen_chapters: set[int] = set()
    seen_items: set[int] = set()
    seen_parts: set[str] = set()
    chapter = item = None
    for line in lines:
        if line.kind == "chapter":
            if toc is not None and line.number not in seen_chapters:
                line.stream = "toc"
                seen_chapters.add(line.number)
                toc.chapters[line.number] = line
                chapter = line.number
            else:
                line.stream = "body"
        elif line.kind == "numbered":
            title_only = not line.rest.text
            if toc is not None and title_only and line.number in seen_items and _followed_by_toc_entry(lines, line, seen_items):
                raise ParseError(line.source.name, f"item number {line.number} appears twice in the table of contents ('{line.raw.text[:30]}')", line.number_in_file)
            if toc is not None and title_only and line.number not in seen_items:
                line.stream = "toc"
                seen_items.add(line.number)
                if line.number in toc.items:
                    raise ParseError(line.source.name, f"item number {line.number} appears twice in the table of contents", line.number_in_file)
                if chapter is None:
                    raise ParseError(line.source.name, f"table-of-contents item {line.number} comes before any chapter heading", line.number_in_file)
                toc.items[line.number] = line
                toc.item_chapter[line.number] = chapter
                line.item = item = line.number
            else:
                line.stream = "body"
        elif line.kind == "part":
            key = normalise(line.title.text)
            if toc is not None and not line.rest.text and key not in seen_parts and item is not None:
                line.stream = "toc"
                seen_parts.add(key)
                toc.parts[item].append(line)
                line.item = item
                line.part = len(toc.parts[item])
            else:
                line.stream = "body"
    return toc


def join_toc_continuations(lines: list[Line]) -> None:
    """A paragraph standing before a TOC entry finishes the previous TOC entry's title.

    (Copy B's box cuts item 31's title after "深度和"; "广度。" follows later.)
    """
    pending: list[Line] = []
    for line in lines:
        if line.kind == "text":
            pending.append(line)
            continue
        if pending and line.stream == "toc":
            before = [l for l in lines[: lines.index(pending[0])] if l.stream == "toc" and l.kind in ("numbered", "part")]
            if not before:
                raise ParseError(line.source.name, "text before the first table-of-contents entry", pending[0].number_in_file)
            entry = before[-1]
            for paragraph in pending:
                title, rest, dangling = _split_heading(paragraph.raw)
                if rest.text:
                    raise ParseError(line.source.name, f"text after a table-of-contents entry: '{rest.text[:30]}'", paragraph.number_in_file)
                entry.title = entry.title + title
                entry.dangling_title = dangling
                paragraph.kind = "toc-continuation"
        pending = []


def _followed_by_toc_entry(lines: list[Line], line: Line, seen_items: set[int]) -> bool:
    """True when the next line is a title-only item not yet listed: ``line`` stands inside the TOC.

    A title-only heading with an already listed number is normally the body
    heading of an item whose text follows in parts (item 2); inside a run of
    TOC entries it can only be a duplicated number.
    """
    following = lines[lines.index(line) + 1:lines.index(line) + 2]
    return bool(following) and following[0].kind == "numbered" and not following[0].rest.text and following[0].number not in seen_items


# --- the merged table of contents -------------------------------------------------------


@dataclass
class Outline:
    """Chapters, items and parts as the TOCs of all copies give them."""

    item_titles: dict[int, list[TitleWitness]] = field(default_factory=lambda: defaultdict(list))
    chapter_titles: dict[int, list[TitleWitness]] = field(default_factory=lambda: defaultdict(list))
    item_chapter: dict[int, int] = field(default_factory=dict)
    part_titles: dict[int, list[list[TitleWitness]]] = field(default_factory=lambda: defaultdict(list))
    toc_lines: dict[int, list[Line]] = field(default_factory=lambda: defaultdict(list))

    def resolve_item(self, title: str) -> tuple[int, float]:
        """The item whose TOC title a heading names, and how well it matches."""
        best, score = 0, 0.0
        for number, witnesses in self.item_titles.items():
            ratio = max(similarity(title, w.text.text) for w in witnesses if w.in_toc)
            if ratio > score:
                best, score = number, ratio
        return best, score

    def resolve_part(self, item: int, title: str) -> int | None:
        best, score = None, 0.0
        for index, witnesses in enumerate(self.part_titles.get(item, []), start=1):
            ratio = max(similarity(title, w.text.text) for w in witnesses)
            if ratio > score:
                best, score = index, ratio
        return best if score >= _TITLE_MATCH else None


def build_outline(tocs: list[Toc]) -> Outline:
    outline = Outline()
    for toc in tocs:
        for line in toc.items.values():
            if not line.title.text:  # (a title the layout cut is joined to its entry before this)
                raise ParseError(toc.source.name, f"table-of-contents entry '{line.raw.text[:30]}' has no title",
                                 line.number_in_file)
        for number, line in sorted(toc.chapters.items()):
            outline.chapter_titles[number].append(TitleWitness(line.title, True))
        for number, line in sorted(toc.items.items()):
            outline.item_titles[number].append(TitleWitness(line.title, True))
            outline.toc_lines[number].append(line)
            chapter = toc.item_chapter[number]
            if outline.item_chapter.setdefault(number, chapter) != chapter:
                first = outline.toc_lines[number][0]
                raise ParseError(toc.source.name, f"the table of contents puts item {number} in chapter {chapter}, but "
                                 f"{first.source.name} (line {first.number_in_file}) puts it in chapter "
                                 f"{outline.item_chapter[number]}: a chapter heading is missing or misplaced in one "
                                 "of the two tables of contents", line.number_in_file)
        for item, parts in sorted(toc.parts.items()):
            slots = outline.part_titles[item]
            for line in parts:
                index = _matching_slot(slots, line.title.text)
                if index is None:
                    slots.append([TitleWitness(line.title, True)])
                else:
                    slots[index].append(TitleWitness(line.title, True))
    _check_outline(outline, tocs)
    return outline


def _matching_slot(slots: list[list[TitleWitness]], title: str) -> int | None:
    for index, witnesses in enumerate(slots):
        if max(similarity(title, w.text.text) for w in witnesses) >= _TITLE_MATCH:
            return index
    return None


def _check_outline(outline: Outline, tocs: list[Toc]) -> None:
    where = ", ".join(t.source.name for t in tocs) or "the plan files"
    if not outline.item_titles:
        raise ParseError(where, "no table of contents found (a line '目 录' followed by numbered items)")
    items = sorted(outline.item_titles)
    missing = sorted(set(range(1, items[-1] + 1)) - set(items))
    if missing:
        raise ParseError(where, f"the table of contents has no item {', '.join(map(str, missing))}")
    chapters = sorted(outline.chapter_titles)
    missing = sorted(set(range(1, chapters[-1] + 1)) - set(chapters))
    if missing:
        raise ParseError(where, f"the table of contents has no chapter {', '.join(map(str, missing))}")
    empty = sorted(set(chapters) - set(outline.item_chapter.values()))
    if empty:
        raise ParseError(where, f"chapter {', '.join(map(str, empty))} has no items in the table of contents")


# --- step 3: body units and the successor rule ---------------------------------------------


@dataclass
class Unit:
    """A body item or part of one copy, with the paragraphs attached to it."""

    item: int
    part: int | None
    heading: Line | None
    segments: list[MappedText] = field(default_factory=list)


@dataclass
class Copy:
    """What one file says about the plan body."""

    source: SourceText
    items: dict[int, Unit] = field(default_factory=dict)
    parts: dict[int, dict[int, Unit]] = field(default_factory=lambda: defaultdict(dict))
    chapter_headings: dict[int, Line] = field(default_factory=dict)
    preamble: list[MappedText] = field(default_factory=list)
    title: Line | None = None
    date: Line | None = None
    tables: list[Table] = field(default_factory=list)
    misnumbered: dict[int, int] = field(default_factory=dict)
    # Paragraphs that continue item n are attached after the whole file is
    # read: the item may be printed later in the file (copy A prints item 10's
    # first half after its second half).
    tails: list[tuple[tuple, list[MappedText], Line]] = field(default_factory=list)


def read_copy(lines: list[Line], outline: Outline) -> Copy:
    copy = Copy(lines[0].source)
    _resolve_body_headings(lines, outline, copy)
    current_item: int | None = None
    pending: list[Line] = []
    for index, line in enumerate(lines):
        if line.kind == "text":
            pending.append(line)
            continue
        if pending:
            _attach(pending, _target_before(lines, index, outline, current_item), copy)
            pending = []
        if line.kind == "title":
            copy.title = line
        elif line.kind == "date":
            copy.date = line
        elif line.stream == "body" and line.kind == "numbered":
            current_item = line.item
            if line.item in copy.items:  # its text would be read twice into one item
                first = copy.items[line.item].heading
                raise ParseError(line.source.name, f"item {line.item} has a second heading in this file "
                                 f"('{line.raw.text[:30]}'; the first is on line {first.number_in_file}): "
                                 "a duplicated or misnumbered paragraph", line.number_in_file)
            unit = copy.items[line.item] = Unit(line.item, None, line)
            if line.rest.text:
                unit.segments.append(line.rest)
        elif line.stream == "body" and line.kind == "part":
            # _resolve_body_headings has given the part its item and number (or refused it)
            copy.parts[line.item][line.part] = Unit(line.item, line.part, line, [line.rest] if line.rest.text else [])
        elif line.stream == "body" and line.kind == "chapter":
            copy.chapter_headings[line.number] = line
    if pending:
        _attach(pending, _item_tail(current_item), copy)
    copy.tables = read_tables(lines)
    _resolve_tails(copy)
    return copy


def _resolve_body_headings(lines: list[Line], outline: Outline, copy: Copy) -> None:
    """Give every numbered body heading the item its title names; a chapter heading must name a listed chapter."""
    for line in lines:
        if line.kind == "chapter" and line.stream == "body" and line.number not in outline.chapter_titles:
            raise ParseError(line.source.name, f"chapter heading '{line.raw.text[:30]}': the table of contents has "
                             f"no chapter {line.number}", line.number_in_file)
        if line.kind != "numbered" or line.stream != "body":
            continue
        item, score = outline.resolve_item(line.title.text)
        if score < _TITLE_MATCH:
            raise ParseError(
                line.source.name,
                f"heading '{line.raw.text[:40]}' names no item of the table of contents (best match item {item}, similarity {score:.2f})",
                line.number_in_file,
            )
        if item != line.number:
            copy.misnumbered[item] = line.number
        line.item = item
    current = None
    for line in lines:
        if line.stream != "body":
            continue
        if line.kind == "numbered":
            current = line.item
        elif line.kind == "part":
            if current is None:
                raise ParseError(line.source.name, f"a '——' part heading comes before any item: {line.title.text}", line.number_in_file)
            line.item = current
            line.part = outline.resolve_part(current, line.title.text) or _next_part(lines, line)


def _next_part(lines: list[Line], line: Line) -> int:
    """Number of a part the TOC does not list: one after the item's previous body part."""
    previous = [l.part for l in lines[: lines.index(line)] if l.kind == "part" and l.stream == "body" and l.item == line.item and l.part]
    return (max(previous) if previous else 0) + 1


def _target_before(lines: list[Line], index: int, outline: Outline, current_item: int | None) -> tuple:
    """Where paragraphs standing before ``lines[index]`` belong (the successor rule)."""
    successor = lines[index]
    if successor.kind == "numbered" and successor.stream == "body":
        return _item_tail(successor.item - 1)
    if successor.kind == "part" and successor.stream == "body":
        if successor.part > 1:
            return ("part", successor.item, successor.part - 1)
        return ("intro", successor.item)
    if successor.kind == "chapter" and successor.stream == "body":
        first = min(n for n, c in outline.item_chapter.items() if c == successor.number)
        return _item_tail(first - 1)
    if successor.kind in ("table", "marker", "toc-continuation") or successor.stream == "toc":
        # skip boxes and markers: the paragraph continues what comes before the next body unit
        for later in range(index + 1, len(lines)):
            if lines[later].stream == "body" or lines[later].kind in ("title", "date"):
                return _target_before(lines, later, outline, current_item)
        return _item_tail(current_item)
    return _item_tail(None)


def _item_tail(item: int | None) -> tuple:
    return ("preamble",) if not item else ("tail", item)


def _attach(paragraphs: list[Line], target: tuple, copy: Copy) -> None:
    """Record where paragraphs go; item and part targets are resolved once the file is read."""
    texts = [clean_chinese(p.raw).strip() for p in paragraphs]
    if target[0] == "preamble":
        copy.preamble.extend(texts)
    else:
        copy.tails.append((target, texts, paragraphs[0]))


def _resolve_tails(copy: Copy) -> None:
    """Append continuation paragraphs to their units, now that every heading of the file is known."""
    for target, texts, first in copy.tails:
        kind, item = target[0], target[1]
        if kind == "tail" and copy.parts.get(item):
            unit = copy.parts[item][max(copy.parts[item])]
        elif kind == "part":
            unit = copy.parts.get(item, {}).get(target[2])
        else:  # "tail" of an item without parts, or "intro"
            unit = copy.items.get(item)
        if unit is None:
            raise ParseError(copy.source.name, f"this paragraph continues {'part ' + str(target[2]) + ' of ' if kind == 'part' else ''}item {item}, but this copy has no heading for it: '{texts[0].text[:30]}'", first.number_in_file)
        unit.segments.extend(texts)


# --- tables -----------------------------------------------------------------------------


def read_tables(lines: list[Line]) -> list[Table]:
    """Indicator tables: a title line, a header line, then numbered rows (tab-separated)."""
    tables: list[Table] = []
    current: Table | None = None
    last_item = 0
    for line in lines:
        if line.kind == "numbered" and line.stream == "body":
            last_item = line.item
        if line.kind != "table":
            current = None
            continue
        cells = [c.strip() for c in line.raw.text.split("\t")]
        cells = [c for c in cells if c]
        if current is None:
            match = _TABLE_CATEGORY.search(line.raw.text)
            if not match:
                raise ParseError(line.source.name, f"a table starts without a title naming its “…”指标 category: '{line.raw.text[:40]}'", line.number_in_file)
            title = clean_chinese(line.raw).strip()
            current = Table(title.text, [title.span()], category=match.group(1), after_item=last_item)
            tables.append(current)
            continue
        row = _NUMBERED.match(cells[0]) if cells else None
        if row and len(cells) == 2:
            name_start = line.raw.text.index(cells[0])
            current.rows.append(TableRow(int(row.group(1)), row.group(2).strip(), cells[1], line.raw[name_start:].span()))
        elif len(cells) == 2 and not current.rows:
            continue  # the header row 具体指标 / 发展目标
        else:
            raise ParseError(line.source.name, f"a table row must be 'N.name<TAB>target': '{line.raw.text[:40]}'", line.number_in_file)
    return tables


# --- assembling the plan -------------------------------------------------------------------


def _base_first(copies: list[Copy]) -> list[Copy]:
    return sorted(copies, key=lambda c: (BASE_COPY_ROLE not in c.source.role, c.source.name))


def _joined(segments: list[MappedText]) -> MappedText | None:
    segments = [s for s in segments if len(s)]
    return MappedText.join(segments) if segments else None


def _merged_passage(site: str, witnesses: list[MappedText]) -> Merged | None:
    if not witnesses:
        return None
    if len(witnesses) == 1:
        return single(witnesses[0])
    if len(witnesses) > 2:
        raise ParseError(witnesses[2].source.name, f"{site}: more than two copies carry this passage; only two-copy alignment is supported")
    return merge(site, witnesses[0], witnesses[1])


def _spans_of(merged: Merged) -> list[Span]:
    """The raw slices a passage was read from (each copy's)."""
    spans: list[Span] = []
    for text in (merged.base, merged.other):
        if text is not None:
            spans.extend(text.spans())
    return spans


def _measures(item: int, part: int | None, merged: Merged, first_number: int, sources: dict[str, SourceText]) -> list[Measure]:
    """Split a passage's chosen reading into sentences, each with its raw provenance."""
    text = merged.text
    measures = []
    for start, end in sentence_bounds(text):
        spans = tuple(_atom_spans(merged.atoms[start:end], merged, sources))
        origins = tuple((a.file, a.offset) for a in merged.atoms[start:end])
        measures.append(Measure(item, first_number + len(measures), text[start:end], spans, part, origins))
    return measures


def _atom_spans(atoms, merged: Merged, sources: dict[str, SourceText]) -> list[Span]:
    """Provenance of a sentence, in reading order.

    A sentence read from one copy is that copy's slice(s). A sentence that
    mixes copies cites the base copy's slice for the stretch both carry (a
    chosen reading of the other copy inside it is recorded by its variant)
    and the other copy's slice for the stretch only that copy carries.
    """
    def own_spans(run) -> list[Span]:
        source = sources[run[0].file]
        return MappedText(source, "".join(a.char for a in run), [a.offset for a in run]).spans()

    if len({a.file for a in atoms}) == 1:
        return own_spans(atoms)
    shared = [a.base_index for a in atoms if a.base_index is not None]
    coverage = [a for a in atoms if a.base_index is None]
    shared_spans = merged.base[min(shared):max(shared) + 1].spans() if shared else []
    coverage_spans = own_spans(coverage) if coverage else []
    if atoms[0].base_index is None:
        return coverage_spans + shared_spans
    return shared_spans + coverage_spans


def parse_plan(corpus: dict[str, SourceText]) -> Plan:
    """Parse the plan's files (those whose document is the plan) into a :class:`Plan`."""
    sources = {name: s for name, s in corpus.items() if s.document == PLAN}
    if not sources:
        raise ParseError("sources/manifest.csv", f"no file belongs to {PLAN}")
    classified = {name: classify(source) for name, source in sorted(sources.items())}
    for name, lines in classified.items():
        if not lines:
            raise ParseError(name, "the file has no text, only white space")
    tocs = [toc for lines in classified.values() if (toc := assign_streams(lines)) is not None]
    for lines in classified.values():
        join_toc_continuations(lines)
    outline = build_outline(tocs)
    copies = []
    for lines in classified.values():
        copies.append(read_copy(lines, outline))
    copies = _base_first(copies)
    base_file = copies[0].source.name
    variants: list[Variant] = []

    chapters = []
    for number in sorted(outline.chapter_titles):
        witnesses = list(outline.chapter_titles[number])
        witnesses += [TitleWitness(c.chapter_headings[number].title, False) for c in copies if number in c.chapter_headings]
        chosen, variant = choose_title(f"chapter/{number}", witnesses, base_file)
        variants += [variant] if variant else []
        chapters.append(Chapter(chosen.text.text, [w.text.span() for w in witnesses], number=number))

    items = []
    for number in sorted(outline.item_titles):
        item, item_variants = _assemble_item(number, outline, copies, base_file, sources)
        items.append(item)
        variants += item_variants

    preamble_witnesses = [p for c in copies if (p := _joined(c.preamble)) is not None]
    preamble = _merged_passage("preamble/acftu-14th-fyp", preamble_witnesses)
    if preamble is None:
        raise ParseError(base_file, "no preamble found before chapter 1")
    variants += preamble.variants

    titled = [c for c in copies if c.title is not None and c.date is not None]
    if not titled:
        raise ParseError(base_file, "no document title followed by a date line like '(2021年7月16日)'")
    date = _DATE.match(titled[0].date.raw.text)
    return Plan(
        title=clean_chinese(titled[0].title.raw).text,
        title_spans=[c.title.raw.span() for c in titled],
        issued=f"{int(date.group(1)):04d}-{int(date.group(2)):02d}-{int(date.group(3)):02d}",
        issued_span=titled[0].date.raw.span(),
        preamble=preamble.text,
        preamble_spans=_spans_of(preamble),
        chapters=chapters,
        items=items,
        variants=variants,
        tables=[table for copy in copies for table in copy.tables],
    )


def _assemble_item(number: int, outline: Outline, copies: list[Copy], base_file: str, sources: dict[str, SourceText]) -> tuple[PlanItem, list[Variant]]:
    site = f"item/{number}"
    witnesses = list(outline.item_titles[number])
    witnesses += [TitleWitness(c.items[number].heading.title, False) for c in copies if number in c.items]
    chosen, title_variant = choose_title(site, witnesses, base_file)
    variants = [title_variant] if title_variant else []
    item = PlanItem(chosen.text.text, [w.text.span() for w in witnesses], number=number, chapter=outline.item_chapter[number])
    item.notes = [f"{c.source.role} prints it as {c.misnumbered[number]}." for c in copies if number in c.misnumbered]

    carrying = [c for c in copies if number in c.items or c.parts.get(number)]
    intro_witnesses = [t for c in carrying if number in c.items and (t := _joined(c.items[number].segments)) is not None]
    intro = _merged_passage(site, intro_witnesses)
    texts: list[str] = []
    if intro is not None:
        variants += intro.variants
        item.intro = intro.text
        item.body_spans += _spans_of(intro)
        item.measures += _measures(number, None, intro, 1, sources)
        texts.append(intro.text)

    part_numbers = sorted({p for c in carrying for p in c.parts.get(number, {})})
    for part_number in part_numbers:
        part, part_merged, part_variants = _assemble_part(number, part_number, outline, carrying, base_file)
        item.parts.append(part)
        variants += part_variants
        if part_merged is not None:
            item.body_spans += part.body_spans
            item.measures += _measures(number, part_number, part_merged, len(item.measures) + 1, sources)
            texts.append(f"{part.title}。{part.text}")
    if texts:
        item.text = "\n".join(texts)
    return item, variants


def _assemble_part(item: int, number: int, outline: Outline, copies: list[Copy], base_file: str) -> tuple[ItemPart, Merged | None, list[Variant]]:
    site = f"item-part/{item}-{number}"
    slots = outline.part_titles.get(item, [])
    witnesses = list(slots[number - 1]) if number <= len(slots) else []
    units = [c.parts[item][number] for c in copies if number in c.parts.get(item, {})]
    witnesses += [TitleWitness(u.heading.title, False) for u in units]
    chosen, title_variant = choose_title(site, witnesses, base_file)
    variants = [title_variant] if title_variant else []
    body = _merged_passage(site, [t for u in units if (t := _joined(u.segments)) is not None])
    part = ItemPart(chosen.text.text, [w.text.span() for w in witnesses], item=item, number=number)
    if body is not None:
        part.text = body.text
        part.body_spans = _spans_of(body)
        variants += body.variants
    return part, body, variants
