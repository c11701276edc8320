"""Indicators: the quantified targets of the plan (docs/annotation-guidelines.md §4).

Two places state targets: the three indicator tables (素质提升 / 精准服务 /
依法维权) and the measures of the items. Both are read by the same rules:

1. **Figures.** A figure is an Arabic number with an optional multiplier
   (万, 亿) and a measure word (人次, 个, 家, 人, 名, 户, 元, % …): ``4.5万人``,
   ``30亿元``, ``80%``. A Chinese numeral counts only right after a comparator
   word (至少有一家): elsewhere the plan's Chinese numerals are set phrases
   (“四个意识”, 一个中国原则, 百人以上企业). :func:`parse_number` and
   :func:`find_figures` are public so that the observations extractor reads
   the 2022 report's figures the same way.
2. **Comparator** from the words around the number: 左右 / 约 / 近 → About;
   以上 / 不少于 / 不低于 / 至少 / 达到 → AtLeast; 逾 / 超过 / 1万多人 → MoreThan;
   a bare number → Exactly (左右 wins over 达到: 达到500家左右 is About).
   至少 / 不少于 / 逾 may stand before the verb (每年至少推树30名).
3. **Timing.** The nearest timing cue before the figure in its sentence
   decides: 每年 / 年均 → a yearly rate (a yearly word does not reach across a
   ；, since it qualifies the verb of its own clause run); 到2025年底,
   “十四五”末, “十四五”期间, 2021年完成 → a deadline at the end of that year. A
   target with no timing cue is due by the end of the plan period (2025-12-31).
4. **Not targets.** A figure inside （…） or inside a 以…为 frame
   (以25人以上非公所有制企业为重点), or a head count followed by an organisation
   noun (25人以上…企业), describes a scope, not a target. A sentence with a past
   marker (已, 累计, 以来, “十三五” …) and no future cue reports what was done.
   An item figure becomes an indicator of its own only when its sentence
   frames it as a target (a timing cue, 力争, 确保, 实现, or a comparator);
   an unframed figure may still be the item's statement of a table target.
5. **Table and text are one indicator.** Every table figure is an indicator
   (``{category}-{row}-{n}``). An item figure with the same value and unit,
   a compatible comparator (equal, or one side bare) and compatible timing,
   whose sentence contains at least half of the table figure's label (by
   character bigrams), is the same target stated again: it adds its evidence
   and its item to the table indicator. Candidates are taken best first
   (equal comparator, then the label's overlap with the figure's own clause,
   then with its sentence, then an item of the table's chapter). The plan
   restates table targets outside the table's chapter (the 职工书屋 figures of
   the 素质提升 table are item 9's), so matching is not limited to the chapter.
   The remaining framed item figures are ``item-{item}-{n}`` (same-target
   restatements in later items are merged by the same test).
6. **stated_in** is the items whose text states the target; a table figure
   that no item restates is stated in the item of the table's chapter whose
   title and text share the most character bigrams with the row name. The
   table's chapter is that of the last item printed before it
   (``Table.after_item``) or, when the table opens its file (the 素质提升 table
   tops page 3), of the item before the first item printed after it.
7. **Labels.** ``label_zh`` is the clause that states the figure, without the
   figure, its comparator words, the timing words and any （…）;
   ``label_en`` comes from ``build/data/indicators-en.yaml`` (slug → zh, en),
   whose schema is checked against the extracted indicators.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path


from policykg.build.curated import _non_english_chars, category_slugs, key_lines, mapping_key_lines, read_yaml
from policykg.build.extract.units import MEASURE, TextUnit, evidence
from policykg.build.model import Evidence, Indicator, Plan, PlanItem, Table, TableRow
from policykg.build.sources import SourceText
from policykg.build.text import MappedText, clean_chinese
from policykg.errors import PolicyKGError, SourceError
from policykg.resources import curated_file

INDICATORS_FILE = "indicators-en.yaml"
TABLE_ROW = "table-row"  # TextUnit.kind of a table's 发展目标 cell

AT_LEAST, MORE_THAN, ABOUT, EXACTLY = "AtLeast", "MoreThan", "About", "Exactly"
COMPARATORS = (AT_LEAST, MORE_THAN, ABOUT, EXACTLY)

PLAN_LAST_YEAR = 2025  # “十四五” is 2021-2025: its 期间 and 末 end with 2025
PLAN_END = f"{PLAN_LAST_YEAR}-12-31"

# --------------------------------------------------------------------------- numbers

_MULTIPLIERS = {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "千万": Decimal(10) ** 7,
                "百万": Decimal(10) ** 6, "万": Decimal(10) ** 4, "千": Decimal(1000), "百": Decimal(100)}
_ARABIC = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)(万亿|千万|百万|亿|万|千|百)?")
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_NUMERAL = "零〇一二两三四五六七八九十百千万亿"


def parse_number(text: str) -> Decimal:
    """The value of a printed number in base units: '4.5万' → 45000, '30亿' → 3000000000, '80%' → 80.

    A percentage is its number (the unit "%" says what it is). Chinese numerals
    (一万, 十五万, 两千, 二〇二五) are read too. Raises ValueError for anything else.
    """
    cleaned = text.strip().rstrip("%％").strip()
    match = _ARABIC.fullmatch(cleaned)
    if match:
        try:
            value = Decimal(match.group(1).replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern only lets decimals through
            raise ValueError(f"not a number: {text!r}") from None
        if match.group(2):
            value *= _MULTIPLIERS[match.group(2)]
        return _normalised(value)
    if cleaned and all(c in _ZH_NUMERAL for c in cleaned):
        return _normalised(Decimal(_chinese_value(cleaned, text)))
    raise ValueError(f"not a number: {text!r}")


def _normalised(value: Decimal) -> Decimal:
    """Whole numbers without a fraction part (45000, not 45000.0), so equal values print alike."""
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize()


def _chinese_value(numeral: str, original: str) -> int:
    """一万 → 10000, 十五万 → 150000, 一百零五 → 105; a digit string (二〇二五) reads digit by digit."""
    if not any(c in numeral for c in "十百千万亿"):
        return int("".join(str(_ZH_DIGITS[c]) for c in numeral))
    total = wan = section = number = 0
    for char in numeral:
        if char in _ZH_DIGITS:
            number = _ZH_DIGITS[char]
        elif char in _ZH_UNITS:
            section += (number or 1) * _ZH_UNITS[char]
            number = 0
        elif char == "万":
            wan = (section + number or 1) * 10_000
            section = number = 0
        elif char == "亿":
            total = (total + wan + section + number or 1) * 100_000_000
            wan = section = number = 0
        else:  # pragma: no cover - guarded by the caller
            raise ValueError(f"not a number: {original!r}")
    return total + wan + section + number


UNITS = ("人次", "户次", "个", "家", "人", "名", "户", "元", "%", "项", "所", "座", "场", "次", "处", "件")
_UNIT = "|".join(re.escape(u) for u in UNITS) + "|％"
_QUANTITY = re.compile(rf"(.+?)({_UNIT})")


def parse_quantity(text: str) -> tuple[Decimal, str]:
    """A number with its measure word: '30亿元' → (3000000000, '元'), '80%' → (80, '%'), '4.5万人' → (45000, '人')."""
    match = _QUANTITY.fullmatch(text.strip())
    if not match:
        raise ValueError(f"not a number with a unit ({', '.join(UNITS)}): {text!r}")
    unit = "%" if match.group(2) == "％" else match.group(2)
    return parse_number(match.group(1)), unit


# --------------------------------------------------------------------------- figures in a text


@dataclass(frozen=True)
class Figure:
    """A number with its unit in a text: ``text[start:end]`` runs from the numeral to the unit and 以上/左右."""

    start: int
    end: int
    value: Decimal
    unit: str
    comparator: str
    surface: str


_MULT = "万亿|千万|百万|亿|万"
_ARABIC_FIGURE = re.compile(rf"(?<![\d.,])(\d+(?:\.\d+)?)({_MULT})?(多)?({_UNIT})")
_CUE = r"至少|不少于|不低于|超过|逾|达到|约|近"
_CHINESE_FIGURE = re.compile(rf"(?:{_CUE})有?([一二两三四五六七八九十百千]+)({_MULT})?(多)?({_UNIT})")
_SUFFIX = re.compile(r"(?:及?以上|左右)")
_BEFORE = (  # (words right before the number, comparator); 在 of 保持在/稳定在 and 有 of 至少有 are skipped
    (("不少于", "不低于", "至少"), AT_LEAST),
    (("超过", "逾"), MORE_THAN),
    (("约", "近"), ABOUT),
    (("达到",), AT_LEAST),
)


def find_figures(text: str) -> list[Figure]:
    """Every figure of ``text``, in order, with its comparator (ordinals such as 第2次 are not figures)."""
    found: dict[int, Figure] = {}
    for pattern in (_ARABIC_FIGURE, _CHINESE_FIGURE):
        for match in pattern.finditer(text):
            start = match.start(1)
            if text[start - 1:start] == "第":
                continue
            end = match.end()
            suffix = _SUFFIX.match(text, end)
            if suffix:
                end = suffix.end()
            unit = "%" if match.group(4) == "％" else match.group(4)
            value = parse_number(match.group(1) + (match.group(2) or ""))
            comparator = MORE_THAN if match.group(3) else _comparator(text, start, end)
            found[start] = Figure(start, end, value, unit, comparator, text[start:end])
    return [found[start] for start in sorted(found)]


_BOUND_BEFORE_VERB = re.compile(r"(至少|不少于|不低于|超过|逾)[^\d，；。,;]*$")


def _comparator(text: str, start: int, end: int) -> str:
    """How the number is meant, from the word after it (左右, 以上) or before it (不少于, 逾, 达到).

    A bound word may also stand before the verb (每年至少推树30名); 达到, 约 and
    近 count only right before the number (近 also starts 近年来).
    """
    after = text[start:end]
    if after.endswith("左右"):
        return ABOUT
    if after.endswith("以上"):
        return AT_LEAST
    before = text[:start].removesuffix("有").removesuffix("在")
    for words, comparator in _BEFORE:
        if before.endswith(words):
            return comparator
    bound = _BOUND_BEFORE_VERB.search(text[clause_start(text, start):start])
    if bound:
        return AT_LEAST if bound.group(1) in ("至少", "不少于", "不低于") else MORE_THAN
    return EXACTLY


# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Timing:
    """A deadline (ISO date) or a yearly rate; ``explicit`` is False when no cue was found (deadline = plan end)."""

    deadline: str | None
    per_year: bool
    explicit: bool


_YEARLY = re.compile(r"每年|年均")
_DEADLINES = (
    re.compile(r"到(\d{4})年(?:底|末)?"),
    re.compile(r"(\d{4})年(?:底|末)?前?(?=完成|实现|达到|建成)"),
    re.compile(r"(?:到|至)?“十四五”(?:期)?末"),
    re.compile(r"“十四五”(?:期间|时期)"),
)
_CLAUSE_RUN_END = "；;"


def timing(text: str, position: int) -> Timing:
    """The timing of a figure at ``position`` of a sentence: the nearest cue before it wins."""
    cues: list[tuple[int, Timing]] = []
    run_start = max(text.rfind(mark, 0, position) for mark in _CLAUSE_RUN_END) + 1
    for match in _YEARLY.finditer(text, run_start, position):
        cues.append((match.end(), Timing(None, True, True)))
    for pattern in _DEADLINES:
        for match in pattern.finditer(text, 0, position):
            year = int(match.group(1)) if match.groups() else PLAN_LAST_YEAR
            cues.append((match.end(), Timing(f"{year:04d}-12-31", False, True)))
    if not cues:
        return Timing(PLAN_END, False, False)
    return max(cues, key=lambda cue: cue[0])[1]


# --------------------------------------------------------------------------- targets and scopes

_TARGET_FRAMING = re.compile(r"力争|确保|实现|达到|每年|年均|到\d{4}年|\d{4}年(?:底|末)?前?(?:完成|实现|建成)|“十四五”")
_PAST = re.compile(r"已经|已(?:有|达|建|经|完成)|累计|以来|“十三五”|取得了|过去")
_FUTURE = re.compile(r"到\d{4}|力争|确保|每年|年均|“十四五”|今后|将")
_ORGANISATION = re.compile(r"^[^，；。、]{0,8}?(?:企业|单位|公司|机构)")
_CLAUSE_MARKS = "，；。：！？,;:!?"


def is_scope(text: str, figure: Figure) -> bool:
    """True when the figure describes a scope (a size class, a definition), not a target."""
    before = text[:figure.start]
    if before.count("（") + before.count("(") > before.count("）") + before.count(")"):
        return True
    start = clause_start(text, figure.start)
    end = clause_end(text, figure.end)
    if text[start:start + 1] == "以" and "为" in text[figure.end:end]:
        return True
    return figure.unit == "人" and bool(_ORGANISATION.match(text[figure.end:end]))


def is_past(sentence: str) -> bool:
    """A sentence that reports what was done (a past marker, no future cue)."""
    return bool(_PAST.search(sentence)) and not _FUTURE.search(sentence)


def is_framed(text: str, figure: Figure) -> bool:
    """The sentence sets the figure as a target: a timing or target word before it, or a comparator."""
    return figure.comparator != EXACTLY or bool(_TARGET_FRAMING.search(text, 0, figure.start))


def clause_start(text: str, position: int) -> int:
    return max(text.rfind(mark, 0, position) for mark in _CLAUSE_MARKS) + 1


def clause_end(text: str, position: int) -> int:
    ends = [i for mark in _CLAUSE_MARKS if (i := text.find(mark, position)) >= 0]
    return min(ends, default=len(text))


# --------------------------------------------------------------------------- labels

_PARENTHESES = re.compile(r"（[^（）]*）|\([^()]*\)")
_FRAMING_WORDS = re.compile(
    r"力争|确保|到(?:“十四五”(?:期)?末|\d{4}年(?:底|末)?)|“十四五”(?:期间|时期|(?:期)?末)|\d{4}年(?:底|末)?前?|每年|年均|分别"
)
_TRAILING_VERB = re.compile(r"(?:(?:动态)?(?:保持在|稳定在)|达到|至少|不少于|不低于|超过|逾|约|近)(有?)$")
_BOUND_WORDS = re.compile(r"至少|不少于|不低于")
_LEADING = re.compile(r"^(?:其中|并|和|及|、)+")


def label_of(text: str, figure: Figure) -> str:
    """The clause that states the figure, without the figure, its comparator, timing words and （…）."""
    start, end = clause_start(text, figure.start), clause_end(text, figure.end)
    before = _FRAMING_WORDS.sub("", _PARENTHESES.sub("", text[start:figure.start]))
    before = _BOUND_WORDS.sub("", _TRAILING_VERB.sub(r"\1", before))
    after = _PARENTHESES.sub("", text[figure.end:end]).removeprefix("的")
    label = _LEADING.sub("", (before + after).strip(" 　、"))
    return label


def _bigrams(text: str) -> set[str]:
    """Character bigrams of the words of ``text`` (punctuation and quotation marks split words)."""
    words = re.split(r"[^\w]+", text)
    return {word[i:i + 2] for word in words for i in range(len(word) - 1)}


def containment(label: str, text: str) -> float:
    """The share of ``label``'s bigrams that occur in ``text`` (0 when the label has none)."""
    wanted = _bigrams(label)
    return len(wanted & _bigrams(text)) / len(wanted) if wanted else 0.0


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Statement:
    """One figure as a unit states it: a table cell or an item measure."""

    unit: TextUnit
    figure: Figure
    timing: Timing
    label: str
    framed: bool
    item: int | None  # the measure's item (None for a table cell)

    @property
    def clause(self) -> str:
        return self.unit.text[clause_start(self.unit.text, self.figure.start):clause_end(self.unit.text, self.figure.end)]

    @property
    def run(self) -> str:
        """The figure's sentence stretch between ；/。 marks: what the label of a matching table figure must share."""
        text = self.unit.text
        start = max(text.rfind(mark, 0, self.figure.start) for mark in "；;。") + 1
        ends = [i for mark in "；;。" if (i := text.find(mark, self.figure.end)) >= 0]
        return text[start:min(ends, default=len(text))]

    def evidence(self, corpus: dict[str, SourceText]) -> Evidence:
        """From the start of the figure's clause to the end of the figure (以上/左右 included)."""
        return evidence(self.unit, clause_start(self.unit.text, self.figure.start), self.figure.end, corpus)


def statements(unit: TextUnit, item: int | None = None) -> list[Statement]:
    """The figures of a unit that are not scopes, unless the unit reports the past."""
    if unit.kind != TABLE_ROW and is_past(unit.text):
        return []
    return [
        Statement(unit, figure, timing(unit.text, figure.start), label_of(unit.text, figure),
                  is_framed(unit.text, figure), item)
        for figure in find_figures(unit.text)
        if not is_scope(unit.text, figure)
    ]


def table_row_unit(category: str, row: TableRow, corpus: dict[str, SourceText]) -> TextUnit:
    """The row's 发展目标 cell as a unit (``table-row/quality-3``), cleaned, with per-character origins.

    ``row.span`` is the raw row (name, tab, target); the target cell is located
    in it, so every character keeps its raw offset and the evidence is exact.
    """
    source = corpus[row.span.file]
    raw = row.span.quote
    position = raw.rfind(row.target)
    if position < 0:
        raise PolicyKGError(f"table-row/{category}-{row.number}: the target cell is not in the row's raw text")
    start = row.span.start + position
    cell = clean_chinese(MappedText.raw(source, start, start + len(row.target))).strip()
    return TextUnit(f"{TABLE_ROW}/{category}-{row.number}", TABLE_ROW, cell.text, cell.origins())


# --------------------------------------------------------------------------- tables and chapters


def table_chapter(table: Table, plan: Plan) -> int:
    """The chapter the table closes: that of the last item printed before it, or before the first after it."""
    items = {item.number: item for item in plan.items}
    if table.after_item in items:
        return items[table.after_item].chapter
    file = table.title_spans[0].file if table.title_spans else None
    end = max([s.end for s in table.title_spans] + [row.span.end for row in table.rows])
    following = [
        (span.start, item.number)
        for item in plan.items
        for span in item.title_spans
        if span.file == file and span.start >= end
    ]
    if following:
        before = min(following)[1] - 1
        if before in items:
            return items[before].chapter
    raise PolicyKGError(f"the “{table.category}” table stands after no item and before no item of the plan")


def closest_item(name: str, items: list[PlanItem]) -> int:
    """The item whose title and text share the most character bigrams with ``name`` (ties: the first)."""
    wanted = _bigrams(name)
    scored = [(-len(wanted & _bigrams(f"{item.title}。{item.text or ''}")), item.number) for item in items]
    if not scored:
        raise PolicyKGError(f"no item to state the table row “{name}”")
    return min(scored)[1]


# --------------------------------------------------------------------------- matching

_MATCH_THRESHOLD = 0.5


def _compatible(anchor: Statement, other: Statement) -> bool:
    """Same value and unit, comparators equal or one bare, timing equal where both state one."""
    a, b = anchor.figure, other.figure
    if (a.value, a.unit) != (b.value, b.unit):
        return False
    if a.comparator != b.comparator and EXACTLY not in (a.comparator, b.comparator):
        return False
    if anchor.timing.explicit and other.timing.explicit:
        return (anchor.timing.per_year, anchor.timing.deadline) == (other.timing.per_year, other.timing.deadline)
    return True


def _match_score(anchor: Statement, other: Statement, chapter_items: set[int]) -> tuple | None:
    if not _compatible(anchor, other):
        return None
    in_run = containment(anchor.label, other.run)
    if in_run < _MATCH_THRESHOLD:
        return None
    return (anchor.figure.comparator == other.figure.comparator, containment(anchor.label, other.clause), in_run,
            other.item in chapter_items)


@dataclass
class _Draft:
    slug: str
    anchor: Statement
    category: str | None
    chapter_items: set[int]
    row: TableRow | None = None
    restated: list[Statement] = field(default_factory=list)


def _assign(drafts: list[_Draft], texts: list[Statement]) -> list[Statement]:
    """Give item figures to the drafts they restate, best pair first; return the figures left over."""
    pairs = []
    for d_index, draft in enumerate(drafts):
        for t_index, text in enumerate(texts):
            score = _match_score(draft.anchor, text, draft.chapter_items)
            if score is not None:
                pairs.append((score, -d_index, -t_index, d_index, t_index))
    pairs.sort(reverse=True)
    used_texts: set[int] = set()
    used_places: set[tuple[int, int | None]] = set()  # a draft takes one figure per item
    for _score, _d, _t, d_index, t_index in pairs:
        place = (d_index, texts[t_index].item)
        if t_index in used_texts or place in used_places:
            continue
        used_texts.add(t_index)
        used_places.add(place)
        drafts[d_index].restated.append(texts[t_index])
    return [text for index, text in enumerate(texts) if index not in used_texts]


def _indicator(draft: _Draft, plan_items: list[PlanItem], corpus: dict[str, SourceText]) -> Indicator:
    anchor = draft.anchor
    restated = sorted(draft.restated, key=lambda s: (s.item or 0, _unit_order(s.unit.path), s.figure.start))
    comparator = anchor.figure.comparator
    if comparator == EXACTLY:  # a bare table figure takes the comparator the item text states
        comparator = next((s.figure.comparator for s in restated if s.figure.comparator != EXACTLY), EXACTLY)
    when = anchor.timing if anchor.timing.explicit else next((s.timing for s in restated if s.timing.explicit), anchor.timing)
    if draft.row is not None and not restated:
        chapter_items = [item for item in plan_items if item.number in draft.chapter_items]
        stated_in: tuple[int, ...] = (closest_item(draft.row.name, chapter_items),)
    else:
        stated_in = tuple(sorted({s.item for s in ([anchor] + restated) if s.item is not None}))
    return Indicator(
        slug=draft.slug,
        label_zh=anchor.label,
        label_en=None,
        value=anchor.figure.value,
        unit=anchor.figure.unit,
        comparator=comparator,
        deadline=None if when.per_year else when.deadline,
        per_year=when.per_year,
        category=draft.category,
        stated_in=stated_in,
        evidence=tuple(s.evidence(corpus) for s in [anchor] + restated),
    )


def _unit_order(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path))


# --------------------------------------------------------------------------- the extractor


def extract_indicators(plan: Plan, units: list[TextUnit], corpus: dict[str, SourceText],
                       labels_path: Path | None = None) -> list[Indicator]:
    """Every target of the plan's tables and item text, one indicator per target, sorted by slug."""
    categories = category_slugs()
    drafts: list[_Draft] = []
    for table in plan.tables:
        category = categories.get(table.category)
        if category is None:
            raise PolicyKGError(f"the indicator table “{table.category}” has no category/… label in "
                                "build/data/labels-en.yaml, so it has no slug")
        chapter = table_chapter(table, plan)
        chapter_items = {item.number for item in plan.items if item.chapter == chapter}
        for row in table.rows:
            found = statements(table_row_unit(category, row, corpus))
            if not found:
                raise PolicyKGError(f"table-row/{category}-{row.number}: the row “{row.name}” states no figure")
            for n, statement in enumerate(found, start=1):
                drafts.append(_Draft(f"{category}-{row.number}-{n}", statement, category, chapter_items, row))

    texts = [s for unit in units if unit.kind == MEASURE and unit.item is not None
             for s in statements(unit, unit.item)]
    left = _assign(drafts, texts)

    # Framed figures no table states: text-only targets, later restatements merged into the first.
    text_drafts: list[_Draft] = []
    per_item: Counter[int] = Counter()
    for statement in left:
        if not statement.framed:
            continue
        if _assign(text_drafts, [statement]):
            per_item[statement.item] += 1
            text_drafts.append(_Draft(f"item-{statement.item}-{per_item[statement.item]}", statement, None, set()))

    indicators = [_indicator(d, plan.items, corpus) for d in drafts + text_drafts]
    indicators = with_english_labels(indicators, labels_path)
    return sorted(indicators, key=lambda i: i.slug)


# --------------------------------------------------------------------------- English labels

SLUG = re.compile(r"^(?:[a-z]+-\d+-\d+|item-\d+-\d+)$")
RECORD_FIELDS = ("zh", "en")


def load_indicator_labels(path: Path | None = None) -> dict[str, tuple[str, str]]:
    """Indicator slug → (zh, en) from ``indicators-en.yaml``, the whole file checked first."""
    path = curated_file(INDICATORS_FILE) if path is None else Path(path)
    name = path.name
    text, data = read_yaml(path)
    if not isinstance(data, dict) or set(data) != {"indicators"} or not isinstance(data["indicators"], dict):
        raise SourceError(name, "the top level must be a mapping with the single key 'indicators' "
                          "(slug -> {zh, en})")
    lines = key_lines(text, "indicators")
    counts = Counter(key for key, _line in mapping_key_lines(text, "indicators"))
    for slug, count in counts.items():
        if count > 1:
            raise SourceError(name, f"indicators[{slug}]: the slug appears {count} times; keep one entry", line=lines.get(slug))
    records = {}
    for slug, value in data["indicators"].items():
        problem = _record_problem(slug, value)
        if problem:
            raise SourceError(name, f"indicators[{slug}]: {problem}", line=lines.get(str(slug)))
        records[slug] = (value["zh"], value["en"])
    return records


def with_english_labels(indicators: list[Indicator], path: Path | None = None) -> list[Indicator]:
    """The indicators with ``label_en`` set; the file and the indicators must name the same slugs.

    ``zh`` must be the indicator's ``label_zh``: a changed extraction shows up
    as a stale translation instead of passing silently.
    """
    path = curated_file(INDICATORS_FILE) if path is None else Path(path)
    records = load_indicator_labels(path)
    lines = key_lines(read_yaml(path)[0], "indicators")
    out = []
    for indicator in indicators:
        if indicator.slug not in records:
            raise SourceError(path.name, f"indicators[{indicator.slug}]: the indicator “{indicator.label_zh}” has no "
                              f"entry; add `{indicator.slug}: {{zh: \"{indicator.label_zh}\", en: \"…\"}}`")
        zh, en = records[indicator.slug]
        if zh != indicator.label_zh:
            raise SourceError(path.name, f"indicators[{indicator.slug}]: zh “{zh}” is not the indicator's label "
                              f"“{indicator.label_zh}”; check the translation and update both",
                              line=lines.get(indicator.slug))
        out.append(replace(indicator, label_en=en))
    extra = sorted(set(records) - {i.slug for i in indicators})
    if extra:
        raise SourceError(path.name, f"indicators[{extra[0]}]: no indicator has this slug; remove the entry",
                          line=lines.get(extra[0]))
    return out


def _record_problem(slug: object, value: object) -> str | None:
    if not isinstance(slug, str) or not SLUG.match(slug):
        return "the slug must be {category}-{row}-{n} or item-{item}-{n}"
    if not isinstance(value, dict) or set(value) != set(RECORD_FIELDS):
        return "the value must be a mapping with exactly zh and en"
    for name in RECORD_FIELDS:
        if not isinstance(value[name], str) or not value[name].strip() or value[name] != value[name].strip():
            return f"{name!r} must be a non-empty string without surrounding white space"
    bad = _non_english_chars(value["en"])
    if bad:
        return f"'en' contains {''.join(bad)!r}: CJK, full-width or control characters do not belong in an English label"
    return None


