"""Observations: the figures the 2022 work report gives as achieved, and what they measure.

The review part of the report (units ``report-section/2022-{s}`` and
``report-point/2022-{s}-{p}``) states results as numbers with a measure word:
建设各级各类工匠学院279家, 全年组织技术工人100.5万人次. Each becomes an
:class:`~policykg.build.model.Observation`; the SPARQL layer compares it with
the indicator it measures. Everything here is a rule over the text; no figure
is listed by hand.

**What is a figure** (:func:`find_figures`). An Arabic number with an optional
magnitude (万, 亿) and an optional "more than" mark (多, 余), followed by a
measure word (:data:`MEASURE_WORDS`) or directly by a noun for people (30万职工
counts people: unit 人). The report writes its statistics in Arabic digits;
its Chinese numerals are names, ordinals and set phrases (二十大, 五一,
十大产业百家企业, 两节, 三年行动), so a Chinese numeral counts only before 个
(十个合作事项). Not figures: a number after 第/首 (an ordinal: 第27次, 第110届),
a number inside “…”, ‘…’ or 《…》 (part of a name: 《…50问》), and years, dates,
durations and anniversaries, which carry 年/月/日/周年/届 and no measure word.
Values are in base units (:func:`~policykg.build.extract.indicators.parse_number`:
100.5万人次 is 1005000 人次, 2.9亿多元 is 290000000 元); the measure word is kept as
printed (名 stays 名). The indicator extractor's own figure reader is not used
here: plan targets have no 余, 场次, 部, 条 or bare people nouns, the report does.

**Which unit holds it.** A section's text includes its points' text, so each
figure is read once, from the smallest report unit that holds it (figures are
identified by the raw offset they were read from).

**Period** (:func:`period_of`; the time cue nearest before the figure in its
sentence decides): 截至2022年底 / 截至目前 / 目前 → ``..2022-12-31`` (a stock
as of the end of the year); 2021年以来 / 两年来 → ``2021/2022`` (cumulative
since the first year); 全年 / 今年 / 2022年 → ``2022``. Without a cue, 累计
in the figure's clause makes it a stock (累计达2亿人次 → ``..2022-12-31``); any
other figure is one of the review year (``2022``, the year of the unit key).

**Label and evidence** are the figure's clause: the text between ，；：。！？
(outside brackets and quotes) around it; a clause holding several figures is
cut between them at the last 、/并/和/及. The words the matching reads, the
*context*, run from the start of the sentence to the end of the clause, since
the report often names the activity in one clause and counts it in the next
(组织开展技术工人疗休养活动，全年组织技术工人100.5万人次); titles in 《…》 are left
out of it (a law's title names its own subject, not what was counted).

**Slug** (:func:`slug_for`): ``{unit key}-{n}``, n the 1-based order of the
figure in its unit: ``2022-2-2-3`` is the third figure of point 2022-2-2. A
figure in a section's own text (its heading or lead, before its first point)
takes point 0 (``2022-3-0-1``), so it never reads as a point's key.

**Indicator** (:func:`match_indicator`). A candidate must have the same unit
family (:data:`UNIT_FAMILY`: 名 and 人 both count people), a value within a
factor :data:`MAGNITUDE` of the target, a one-year period if the target is a
yearly rate, and the observation's clause may not count a narrower group of people than
the target names (:class:`PopulationIndex`: 新就业形态劳动者会员 is a part of
新发展会员). Its score is the share of the indicator label's content bigrams
(:func:`content_bigrams`: character pairs once generic words, figures and
punctuation are removed) found in the observation's context; it needs at least
:data:`MIN_SHARED` shared bigrams, one of them in the figure's own clause (the
counted thing is named where it is counted), and a score of at least
:data:`MIN_INDICATOR_SCORE`. The best candidate wins unless another ties with
it; an indicator keeps only its best observation of a period (a target is not
measured twice in one year). A linked observation reports on the indicator's
``stated_in`` items.

**Plan items** otherwise (:class:`ItemIndex`): the content bigrams the context
shares with an item's title or one of its measures, counting only bigrams that
occur in at most :data:`DISTINCTIVE` plan units (rarer pairs name things; the
others are ways of speaking: 建立健全, 推进, 服务) and weighting each by its
inverse document frequency; an item scores its best unit. Items scoring at
least :data:`MIN_ITEM_SCORE` and within :data:`ITEM_TIE` of the best are kept.
Conservative: an observation may report on no item.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from policykg.build.extract.indicators import parse_number
from policykg.build.extract.lexicon import Lexicon
from policykg.build.extract.units import REPORT, TextUnit, evidence
from policykg.build.extract.vocabulary import ancestors, load_vocabulary
from policykg.build.model import Indicator, Observation, Population
from policykg.build.sources import SourceText
from policykg.build.text import SENTENCE_END, sentence_ends

REVIEW_KINDS = ("report-section", "report-point")

# --------------------------------------------------------------------------- figures

MEASURE_WORDS = ("人次", "场次", "人", "名", "家", "个", "户", "元", "项", "件", "部", "条", "%")
PEOPLE_NOUNS = ("职工", "劳动者", "农民工", "会员", "工人", "干部")  # 30万职工: a count of people
PERSON = "人"

_ARABIC = re.compile(
    r"(?<![\dA-Za-z.])(?P<number>\d+(?:\.\d+)?(?:万亿|亿|万)?)(?P<approx>多|余)?"
    rf"(?:(?P<unit>{'|'.join(map(re.escape, MEASURE_WORDS))})|(?=(?:{'|'.join(PEOPLE_NOUNS)})))"
)
_CHINESE = re.compile(r"(?P<number>[两二三四五六七八九十]+)(?P<approx>多|余)?(?P<unit>个)")
_ORDINAL_MARKS = "第首"
_NAME_MARKS = {"“": "”", "‘": "’", "《": "》"}
_BRACKETS = {"（": "）", **_NAME_MARKS}

# --------------------------------------------------------------------------- periods

_AS_OF = re.compile(r"截至(?P<year>\d{4})年底|截至目前|目前")
_SINCE = re.compile(r"(?P<year>\d{4})年以来|(?P<count>[两二三四五六七八九十]|\d+)年来")
_YEAR = re.compile(r"全年|今年|(?P<year>\d{4})年(?!以来|底|来)")
_STOCK = "累计"

# --------------------------------------------------------------------------- matching

# Words that say nothing about what was counted: scope and actor words every
# sentence uses, time and comparator words, and money words (元 already says it is money).
GENERIC_WORDS = (
    "十四五", "职工", "工会", "全国", "建设", "各级", "全总", "开展", "组织", "推动", "推进", "加强",
    "全年", "今年", "累计", "每年", "年均", "期间", "达到", "以上", "左右", "实现", "完成", "其中",
    "工作", "活动", "截至", "年底", "以来", "目前", "不少于", "至少", "超过", "资金", "经费",
)
UNIT_FAMILY = {"名": PERSON}  # measure words that count the same things as another
MAGNITUDE = Decimal(10)  # an observation more than 10 times off its target measures something else
MIN_SHARED = 2
MIN_INDICATOR_SCORE = 0.5
DISTINCTIVE = 6  # plan units (of about 290) a bigram may occur in and still name a thing
MIN_ITEM_SCORE = 15.0  # a bigram in one or two plan units weighs about 4.5-5: three such, or more common ones
ITEM_TIE = 0.9

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_TITLE = re.compile(r"《[^《》]*》")
_CLAUSE_BREAKS = "，；：" + SENTENCE_END
_LIST_BREAKS = "、并和及"


@dataclass(frozen=True)
class Figure:
    """One figure in a report unit: where it is, its value in base units, and the text around it."""

    unit: TextUnit
    start: int
    end: int
    value: Decimal
    measure: str
    approximate: bool  # 多 / 余: the value is a lower bound
    clause: tuple[int, int]  # label and evidence
    context: tuple[int, int]  # what the matching reads
    period: str

    @property
    def label(self) -> str:
        return self.unit.text[self.clause[0]:self.clause[1]]

    @property
    def context_text(self) -> str:
        return self.unit.text[self.context[0]:self.context[1]]


def _open_marks(text: str, position: int) -> list[str]:
    """The brackets and quotation marks open at ``position``, outermost first."""
    stack: list[str] = []
    for char in text[:position]:
        if stack and char == _BRACKETS[stack[-1]]:
            stack.pop()
        elif char in _BRACKETS:
            stack.append(char)
    return stack


def find_figures(text: str) -> list[tuple[int, int, Decimal, str, bool]]:
    """(start, end, value, unit, approximate) of each achievement figure of ``text``, in order."""
    found = []
    for pattern in (_ARABIC, _CHINESE):
        for match in pattern.finditer(text):
            start = match.start()
            if start > 0 and text[start - 1] in _ORDINAL_MARKS:
                continue  # 第27次, 首批
            if any(mark in _NAME_MARKS for mark in _open_marks(text, start)):
                continue  # part of a name or title
            value = parse_number(match["number"])
            if pattern is _CHINESE and value < 2:
                continue  # 一个 is the indefinite article (the pattern already leaves 一 out)
            found.append((start, match.end(), value, match["unit"] or PERSON, bool(match["approx"])))
    return sorted(found)


# --------------------------------------------------------------------------- clauses and periods

def _clause_bounds(text: str) -> list[tuple[int, int]]:
    """Clauses between ，；：。！？ at the top level (breaks inside brackets or quotes do not count)."""
    bounds, start, stack = [], 0, []
    for index, char in enumerate(text):
        if stack and char == _BRACKETS[stack[-1]]:
            stack.pop()
        elif char in _BRACKETS:
            stack.append(char)
        elif char in _CLAUSE_BREAKS and not stack:
            bounds.append((start, index))
            start = index + 1
    bounds.append((start, len(text)))
    return [(s, e) for s, e in bounds if e > s]


def _figure_clauses(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The clause of each figure; figures sharing a clause cut it at the last 、并和及 between them."""
    bounds = _clause_bounds(text)
    clauses = []
    for index, (start, end) in enumerate(spans):
        clause_start, clause_end = next((s, e) for s, e in bounds if s <= start < e)
        if index > 0 and spans[index - 1][0] >= clause_start:
            previous_end = spans[index - 1][1]
            cut = max(text.rfind(mark, previous_end, start) for mark in _LIST_BREAKS)
            clause_start = cut + 1 if cut >= 0 else clause_start
        if index + 1 < len(spans) and spans[index + 1][0] < clause_end:
            cut = max(text.rfind(mark, end, spans[index + 1][0]) for mark in _LIST_BREAKS)
            clause_end = cut if cut >= 0 else clause_end
        clauses.append(_trimmed(text, clause_start, clause_end))
    return clauses


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start] in _CLAUSE_BREAKS or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] in _CLAUSE_BREAKS or text[end - 1].isspace()):
        end -= 1
    return start, end


def _sentence_start(text: str, position: int) -> int:
    return max((end for end in sentence_ends(text) if end <= position), default=0)


def _count(numeral: str) -> int:
    return int(parse_number(numeral))


def period_of(text: str, figure_start: int, clause_start: int, review_year: int) -> str:
    """The period a figure covers, from the time cue nearest before it in its sentence (see the module doc)."""
    before_start = _sentence_start(text, figure_start)
    before = text[before_start:figure_start]
    cues: list[tuple[int, str]] = []
    for match in _AS_OF.finditer(before):
        year = int(match["year"]) if match["year"] else review_year
        cues.append((match.end(), f"..{year}-12-31"))
    for match in _SINCE.finditer(before):
        first = int(match["year"]) if match["year"] else review_year - _count(match["count"]) + 1
        cues.append((match.end(), f"{first}/{review_year}"))
    for match in _YEAR.finditer(before):
        cues.append((match.end(), match["year"] or str(review_year)))
    if cues:
        return max(cues)[1]
    if _STOCK in text[max(clause_start, before_start):figure_start]:
        return f"..{review_year}-12-31"
    return str(review_year)


def review_year(unit: TextUnit) -> int:
    """The year a review unit is about, from its key (``report-point/2022-2-2`` → 2022)."""
    return int(unit.path.split("/", 1)[1].split("-", 1)[0])


def unit_figures(unit: TextUnit) -> list[Figure]:
    """The figures of one report unit, with their clause, context and period."""
    found = find_figures(unit.text)
    clauses = _figure_clauses(unit.text, [(start, end) for start, end, *_ in found])
    year = review_year(unit)
    figures = []
    for (start, end, value, measure, approximate), clause in zip(found, clauses):
        context = (_sentence_start(unit.text, start), clause[1])
        figures.append(Figure(unit, start, end, value, measure, approximate, clause, context,
                              period_of(unit.text, start, clause[0], year)))
    return figures


def review_figures(report_units: Iterable[TextUnit]) -> list[Figure]:
    """Every figure of the review, each read once, from the smallest unit that holds it; in unit order."""
    review = [u for u in report_units if u.kind == REPORT and u.path.split("/", 1)[0] in REVIEW_KINDS]
    best: dict[tuple[str, int], Figure] = {}
    for unit in review:
        for figure in unit_figures(unit):
            where = unit.origins[figure.start]
            known = best.get(where)
            if known is None or (len(unit.text), unit.path) < (len(known.unit.text), known.unit.path):
                best[where] = figure
    return sorted(best.values(), key=lambda f: (f.unit.path, f.start))


def slug_for(unit: TextUnit, number: int) -> str:
    """``{unit key}-{n}``; a section's own figures take point 0 (``2022-3-0-1``)."""
    kind, key = unit.path.split("/", 1)
    return f"{key}-0-{number}" if kind == "report-section" else f"{key}-{number}"


# --------------------------------------------------------------------------- words

def content_bigrams(text: str) -> set[str]:
    """Adjacent Han character pairs once figures, 《…》 titles, generic words and punctuation are removed."""
    chars = list(_TITLE.sub(lambda m: " " * len(m[0]), text))
    for start, end, *_ in find_figures(text):
        chars[start:end] = " " * (end - start)
    masked = "".join(chars)
    for word in sorted(GENERIC_WORDS, key=len, reverse=True):
        masked = masked.replace(word, " " * len(word))
    return {a + b for a, b in zip(masked, masked[1:]) if _HAN.match(a) and _HAN.match(b)}


class PopulationIndex:
    """The curated groups of people, to tell when a figure counts only a part of a target's group."""

    def __init__(self, lexicon: Lexicon, populations: Sequence[Population]):
        self.lexicon = lexicon
        self.ancestors = ancestors({p.slug: p.broader for p in populations})

    @classmethod
    def curated(cls, populations_path: Path | None = None, bodies_path: Path | None = None) -> PopulationIndex:
        vocabulary = load_vocabulary(populations_path, bodies_path)
        return cls(vocabulary.lexicon, vocabulary.populations)

    def named(self, text: str) -> set[str]:
        return {match.key for match in self.lexicon.find(text, kinds=["population"])}

    def narrower(self, observation_text: str, indicator_text: str) -> bool:
        """True when the observation names a group that is neither named by the target nor above one it names.

        A root group (职工: no broader concept) narrows nothing; the target's own
        groups and their ancestors are covered.
        """
        named = self.named(indicator_text)
        covered = named | {a for slug in named for a in self.ancestors.get(slug, ())}
        return any(self.ancestors.get(slug) and slug not in covered for slug in self.named(observation_text))


@lru_cache(maxsize=1)
def _curated_populations() -> PopulationIndex:
    return PopulationIndex.curated()


# --------------------------------------------------------------------------- indicators

def family(unit: str) -> str:
    """The thing a measure word counts (名 and 人 both count people)."""
    return UNIT_FAMILY.get(unit, unit)


def compatible(figure: Figure, indicator: Indicator, populations: PopulationIndex) -> bool:
    """Unit family, order of magnitude, period kind and group must agree before words are compared."""
    if family(figure.measure) != family(indicator.unit) or indicator.value <= 0 or figure.value <= 0:
        return False
    if not 1 / MAGNITUDE <= figure.value / indicator.value <= MAGNITUDE:
        return False
    if indicator.per_year and not figure.period.isdigit():
        return False
    return not populations.narrower(figure.label, indicator.label_zh)


def indicator_score(figure: Figure, indicator: Indicator, populations: PopulationIndex) -> float:
    """The share of the indicator label's content bigrams in the figure's context; 0 when not a candidate."""
    if not compatible(figure, indicator, populations):
        return 0.0
    wanted = content_bigrams(indicator.label_zh)
    shared = wanted & content_bigrams(figure.context_text)
    if len(shared) < MIN_SHARED or not shared & content_bigrams(figure.label):
        return 0.0
    return len(shared) / len(wanted)


def match_indicator(figure: Figure, indicators: Sequence[Indicator],
                    populations: PopulationIndex) -> tuple[Indicator, float] | None:
    """The one indicator the figure measures and its score, or None (nothing above the threshold, or a tie)."""
    scored = sorted(((indicator_score(figure, i, populations), i.slug, i) for i in indicators),
                    key=lambda s: (-s[0], s[1]))
    scored = [s for s in scored if s[0] >= MIN_INDICATOR_SCORE]
    if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][2], scored[0][0]


def link_indicators(figures: Sequence[Figure], indicators: Sequence[Indicator],
                    populations: PopulationIndex) -> list[Indicator | None]:
    """Per figure, its indicator; an indicator keeps only its best figure of a period (ties keep none)."""
    matches = [match_indicator(f, indicators, populations) for f in figures]
    best: dict[tuple[str, str], list[float]] = {}
    for figure, match in zip(figures, matches):
        if match:
            best.setdefault((match[0].slug, figure.period), []).append(match[1])
    links: list[Indicator | None] = []
    for figure, match in zip(figures, matches):
        if match is None:
            links.append(None)
            continue
        scores = sorted(best[(match[0].slug, figure.period)], reverse=True)
        unique_best = match[1] == scores[0] and (len(scores) == 1 or scores[1] < scores[0])
        links.append(match[0] if unique_best else None)
    return links


# --------------------------------------------------------------------------- plan items

class ItemIndex:
    """Plan titles and measures as sets of distinctive bigrams, weighted by rarity."""

    def __init__(self, plan_units: Sequence[TextUnit]):
        units = [(u.item, content_bigrams(u.text)) for u in plan_units if u.item is not None]
        frequency = Counter(pair for _item, pairs in units for pair in pairs)
        self.weight = {pair: math.log((1 + len(units)) / (1 + count))
                       for pair, count in frequency.items() if count <= DISTINCTIVE}
        self.units = [(item, pairs & self.weight.keys()) for item, pairs in units]

    def scores(self, text: str) -> dict[int, float]:
        """Per item, the weighted distinctive bigrams its best unit shares with ``text``."""
        pairs = content_bigrams(text)
        best: dict[int, float] = {}
        for item, unit_pairs in self.units:
            score = sum(self.weight[p] for p in pairs & unit_pairs)
            if score > best.get(item, 0.0):
                best[item] = score
        return best

    def items_for(self, text: str) -> tuple[int, ...]:
        """The items ``text`` reports on: at least :data:`MIN_ITEM_SCORE`, within :data:`ITEM_TIE` of the best."""
        scores = self.scores(text)
        top = max(scores.values(), default=0.0)
        if top < MIN_ITEM_SCORE:
            return ()
        return tuple(sorted(item for item, score in scores.items() if score >= ITEM_TIE * top))


# --------------------------------------------------------------------------- API

def extract_observations(report_units: list[TextUnit], corpus: dict[str, SourceText],
                         indicators: list[Indicator], plan_units: list[TextUnit],
                         populations: PopulationIndex | None = None) -> list[Observation]:
    """Every achievement figure of the 2022 review as an Observation, linked where a rule allows; sorted by slug.

    ``populations`` defaults to the curated vocabularies (build/data/populations.yaml).
    """
    populations = _curated_populations() if populations is None else populations
    figures = review_figures(report_units)
    links = link_indicators(figures, sorted(indicators, key=lambda i: i.slug), populations)
    items = ItemIndex(plan_units)
    observations = []
    counters: Counter[str] = Counter()
    for figure, indicator in zip(figures, links):
        counters[figure.unit.path] += 1
        reports_on = tuple(sorted(indicator.stated_in)) if indicator else items.items_for(figure.context_text)
        observations.append(Observation(
            slug=slug_for(figure.unit, counters[figure.unit.path]),
            label_zh=figure.label,
            value=figure.value,
            unit=figure.measure,
            period=figure.period,
            indicator=indicator.slug if indicator else None,
            reports_on=reports_on,
            evidence=evidence(figure.unit, figure.clause[0], figure.clause[1], corpus),
        ))
    return sorted(observations, key=lambda o: o.slug)
