"""Quoted names: every “…” and 《…》 name of a unit, its class and the action the text applies to it.

docs/annotation-guidelines.md §3. Two layers classify a name:

1. **curated** -- ``build/data/programmes.yaml`` lists every name this corpus
   quotes, with a slug, a class and an English label (:func:`load_programmes`);
2. **rules** -- the shape of the name (:func:`classify_by_rules`: suffixes such
   as …行动 → campaign, …奖 → award, 《…法》 → law; the “N个…” formulas; a
   two-clause motto). They classify names the curated file does not list, so
   new text is not left bare; the tests check that they agree with the curated
   class wherever both apply.

A name neither layer classifies is returned as *unclassified* (the quality
report lists them). A ``not-a-name`` (“十四五”) is classified but makes no
programme and no link.

Marks. The corpus prints only “…” (nested ‘…’) and 《…》; there are no straight
quotes and no 「…」. ‘…’ counts as “…”, 〈…〉 as 《…》 (their nested forms). A
name nested in another (“兜底建” in 《关于深入推进“兜底建”工作的指导意见》)
is found too; it takes no action, since the verb before it belongs to the
enclosing title.

Which units link. Every unit is read and every name classified (an unknown
name in the 2022 report is reported as unclassified too), but only plan
measures, item titles and later tasks make links and programmes: like the
population and body links, the report's review of past work is not linked
(the SHACL shapes take a pol:Measure, pol:PlanItem or pol:Task as a link's
subject). :data:`LINKED_KINDS` is the one place to change that.

Evidence. A link's evidence is the name **with its marks** (“一函两书”,
《工会法》): the marks say which kind of name it is (“大国工匠” the award is not
《大国工匠》 the series), and the quote still reads as the text printed it.

Slugs. A curated name has its curated slug. A name only a rule classifies gets
``name-`` + the first 10 hex digits of the SHA-256 of the name with its
normalised marks (``“…”`` or ``《…》``, UTF-8): stable across builds, and the
curated file may not use the ``name-`` prefix, so the two cannot collide.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


from policykg.build.curated import _non_english_chars, read_yaml, sequence_lines
from policykg.build.extract.units import MEASURE, TASK, TITLE, TextUnit, evidence
from policykg.build.model import Evidence, Programme, ProgrammeLink
from policykg.build.sources import SourceText
from policykg.errors import SourceError
from policykg.resources import curated_file

PROGRAMMES_FILE = "programmes.yaml"
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DERIVED_SLUG_PREFIX = "name-"
CURATED = "curated"
LINKED_KINDS = (MEASURE, TITLE, TASK)  # the unit kinds that make links (see the module docstring)

# The two families of marks: “…” names and 《…》 names. Each opening mark, its
# closing mark and its family; ‘…’ and 〈…〉 are the nested forms.
QUOTE, TITLE = "“”", "《》"
MARKS: dict[str, tuple[str, str]] = {"“": ("”", QUOTE), "‘": ("’", QUOTE), "《": ("》", TITLE), "〈": ("〉", TITLE)}
CLOSERS = {close for close, _family in MARKS.values()}

NOT_A_NAME = "not-a-name"
QUOTE_KINDS = ("campaign", "brand", "award", "platform", "fund", "slogan", "practice", NOT_A_NAME)
TITLE_KINDS = ("law", "publication")
KINDS = {QUOTE: QUOTE_KINDS, TITLE: TITLE_KINDS}

FIELDS = {"slug": True, "zh": True, "class": True, "en": False, "aliases": False, "note": False}


# --------------------------------------------------------------------------- curated layer
@dataclass(frozen=True)
class ProgrammeEntry:
    """One entry of ``programmes.yaml``: a name (without its marks), its class and English label."""

    slug: str
    name: str
    marks: str  # QUOTE or TITLE
    kind: str
    label_en: str | None
    aliases: tuple[str, ...] = ()  # without marks, same family as ``name``
    note: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def load_programmes(path: Path | None = None) -> list[ProgrammeEntry]:
    """The curated names, in file order; the whole file is checked before anything is returned.

    Any problem raises :class:`SourceError` naming the file, the entry (its slug,
    or its index when the slug is unusable) and the entry's line.
    """
    path = curated_file(PROGRAMMES_FILE) if path is None else Path(path)
    name = path.name
    text, data = read_yaml(path)
    if not isinstance(data, dict) or set(data) != {"programmes"}:
        found = sorted(map(str, data)) if isinstance(data, dict) else type(data).__name__
        raise SourceError(name, f"the top level must be a mapping with the single key 'programmes' (found {found})")
    records = data["programmes"]
    if not isinstance(records, list) or not records:
        raise SourceError(name, "'programmes' must be a non-empty list of entries")
    lines = sequence_lines(text, "programmes")

    entries: list[ProgrammeEntry] = []
    slugs: dict[str, int] = {}
    owners: dict[tuple[str, str], str] = {}  # (marks, name) -> slug
    for index, record in enumerate(records):
        line = lines[index] if index < len(lines) else None
        slug = record.get("slug") if isinstance(record, dict) else None
        where = f"programmes[{slug}]" if isinstance(slug, str) and slug else f"programmes[{index}]"
        problem = _entry_problem(record)
        if problem:
            raise SourceError(name, f"{where}: {problem}", line=line)
        if slug in slugs:
            raise SourceError(name, f"{where}: the slug is used twice (first in the entry at line {lines[slugs[slug]]}); "
                              "slugs are IRIs and must be unique", line=line)
        slugs[slug] = index
        marks, zh = split_marks(record["zh"])
        aliases = tuple(split_marks(alias)[1] for alias in record.get("aliases") or ())
        for surface in (zh, *aliases):
            owner = owners.get((marks, surface))
            if owner is not None:
                shown = f"{marks[0]}{surface}{marks[1]}"
                raise SourceError(name, f"{where}: the name {shown} is also a name of {owner!r}; "
                                  "a name can mean one thing only", line=line)
            owners[(marks, surface)] = slug
        entries.append(ProgrammeEntry(slug, zh, marks, record["class"], record.get("en"), aliases, record.get("note")))
    return entries


def split_marks(printed: str) -> tuple[str, str]:
    """``“一函两书”`` → ``(QUOTE, "一函两书")``; a string not wrapped in one pair of marks raises ValueError."""
    if len(printed) >= 3 and printed[0] in MARKS and printed[-1] == MARKS[printed[0]][0]:
        close, family = MARKS[printed[0]]
        inner = printed[1:-1]
        if inner == inner.strip() and close not in inner:
            return family, inner
    raise ValueError(printed)


def _entry_problem(record: object) -> str | None:
    """What is wrong with one entry, or None."""
    if not isinstance(record, dict):
        return f"each entry is a mapping with {', '.join(f for f, required in FIELDS.items() if required)}"
    missing = [f for f, required in FIELDS.items() if required and f not in record]
    if missing:
        return f"missing {', '.join(map(repr, missing))}"
    extra = sorted(str(f) for f in record if f not in FIELDS)
    if extra:
        return f"unexpected {', '.join(map(repr, extra))} (allowed: {', '.join(FIELDS)})"
    slug = record["slug"]
    if not isinstance(slug, str) or not SLUG.match(slug):
        return f"slug {slug!r} must be English kebab-case (a-z, 0-9, single '-')"
    if slug.startswith(DERIVED_SLUG_PREFIX):
        return f"slug {slug!r}: the prefix {DERIVED_SLUG_PREFIX!r} is reserved for names only a rule classifies"
    problem = _printed_name_problem("zh", record["zh"])
    if problem:
        return problem
    marks, _zh = split_marks(record["zh"])
    kind = record["class"]
    if kind not in QUOTE_KINDS + TITLE_KINDS:
        return f"class {kind!r} is not one of {', '.join(QUOTE_KINDS + TITLE_KINDS)}"
    if kind not in KINDS[marks]:
        return (f"class {kind!r} does not fit a {marks[0]}…{marks[1]} name; "
                f"a {marks[0]}…{marks[1]} name is one of {', '.join(KINDS[marks])}")
    en = record.get("en")
    if en is None and kind != NOT_A_NAME:
        return f"missing 'en': every name but a {NOT_A_NAME} needs our English label"
    if en is not None:
        if not isinstance(en, str) or not en.strip() or en != en.strip():
            return f"'en' must be a non-empty English label without surrounding spaces (got {en!r})"
        bad = _non_english_chars(en)
        if bad:
            return (f"'en' contains {''.join(bad)!r}: CJK, full-width or control characters "
                    "do not belong in an English label")
    aliases = record.get("aliases")
    if aliases is not None:
        if not isinstance(aliases, list) or not aliases:
            return "'aliases' must be a non-empty list of names with their marks"
        for alias in aliases:
            problem = _printed_name_problem("an alias", alias)
            if problem:
                return problem
            if split_marks(alias)[0] != marks:
                return f"the alias {alias} has other marks than 'zh' {record['zh']}; an alias is the same kind of name"
        if len(set(aliases)) != len(aliases):
            return "an alias is listed twice"
        if record["zh"] in aliases:
            return f"the alias {record['zh']} repeats 'zh'"
    note = record.get("note")
    if note is not None and (not isinstance(note, str) or not note.strip()):
        return "'note' must be a non-empty string"
    return None


def _printed_name_problem(field: str, value: object) -> str | None:
    """Why ``value`` is not a name printed with its marks (“…” or 《…》), or None."""
    if not isinstance(value, str):
        return f"{field} must be a string, the name with its marks (got {value!r})"
    try:
        _marks, inner = split_marks(value)
    except ValueError:
        return f"{field} {value!r} must be one name wrapped in its marks: “…” or 《…》"
    if value[0] not in "“《":
        return f"{field} {value!r}: write the outer marks “…” or 《…》 (‘…’ and 〈…〉 are for nested names)"
    if any(c.isspace() and c != " " for c in inner) or "  " in inner:
        return f"{field} {value!r}: a name may hold single spaces only (no line breaks, tabs or double spaces)"
    return None


# --------------------------------------------------------------------------- rule layer
@dataclass(frozen=True)
class Rule:
    """Names of one family with this suffix (or prefix, or shape) are of this class."""

    name: str  # recorded as "rule:<name>"
    marks: str
    kind: str
    suffixes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    min_length: int = 1


# Suffix and prefix rules: the longest matching suffix wins, then a prefix, then
# the shapes (in order). Why each: these are the head nouns of such names in
# Chinese union texts (…行动 is an action, …基金 a fund, 《…法》 a law).
SUFFIX_RULES: tuple[Rule, ...] = (
    Rule("suffix campaign", QUOTE, "campaign",
         suffixes=("活动", "行动", "竞赛", "大赛", "工程", "计划", "项目", "杯", "进校园", "进企业")),
    # A campaign named after its period: 安全生产月, 宪法宣传周, 服务季, 县级工会加强年.
    Rule("suffix period", QUOTE, "campaign", suffixes=("月", "周", "季", "年"), min_length=3),
    Rule("suffix award", QUOTE, "award", suffixes=("奖", "奖章", "称号", "年度人物", "标兵")),
    Rule("suffix fund", QUOTE, "fund", suffixes=("基金",)),
    Rule("suffix platform", QUOTE, "platform",
         suffixes=("平台", "网站", "App", "APP", "云", "服务号", "公众号", "社区")),
    Rule("suffix practice", QUOTE, "practice", suffixes=("工作法", "机制", "模式")),
    Rule("suffix law", TITLE, "law",
         suffixes=("法", "条例", "办法", "规定", "意见", "纲要", "决定", "规划", "通知", "细则", "准则", "方案", "规则")),
    Rule("suffix publication", TITLE, "publication",
         suffixes=("报", "杂志", "期刊", "周刊", "摘编", "汇编", "选编", "文集", "问答", "读本", "报告", "年鉴")),
)
PREFIX_RULES: tuple[Rule, ...] = (
    Rule("prefix 最美", QUOTE, "award", prefixes=("最美",)),  # “最美…” selections
    Rule("prefix 关于", TITLE, "law", prefixes=("关于",)),  # 《关于…》 is how normative documents are titled
)
SHAPE_RULES: tuple[Rule, ...] = (
    # A five-year period: “十四五”, “八五”, “十三五”.
    Rule("shape five-year period", QUOTE, NOT_A_NAME, pattern=re.compile(r"^[一二三四五六七八九十]{1,2}五$")),
    # A numbered political formula: “两个维护”, “四个意识”, “五个坚决”.
    Rule("shape numbered formula", QUOTE, "slogan", pattern=re.compile(r"^[一两二三四五六七八九十]个\w+$")),
    # A two-clause motto joined by ·, a space or ——: “中国梦·劳动美”, “匠心逐梦 强国有我”.
    Rule("shape motto", QUOTE, "slogan", pattern=re.compile(r"^\w{2,}(?:[·• ]|——)\w{2,}")),
)


def classify_by_rules(name: str, marks: str) -> tuple[str, str] | None:
    """``(class, "rule:<which>")`` for a name of family ``marks``, or None when no rule applies."""
    best: tuple[int, Rule] | None = None
    for rule in SUFFIX_RULES:
        if rule.marks != marks or len(name) < rule.min_length:
            continue
        for suffix in rule.suffixes:
            if name.endswith(suffix) and len(name) > len(suffix) and (best is None or len(suffix) > best[0]):
                best = (len(suffix), rule)
    if best is not None:
        return best[1].kind, f"rule:{best[1].name}"
    for rule in PREFIX_RULES:
        if rule.marks == marks and any(name.startswith(p) and len(name) > len(p) for p in rule.prefixes):
            return rule.kind, f"rule:{rule.name}"
    for rule in SHAPE_RULES:
        if rule.marks == marks and rule.pattern is not None and rule.pattern.search(name):
            return rule.kind, f"rule:{rule.name}"
    return None


def derived_slug(name: str, marks: str) -> str:
    """The slug of a name only a rule classifies: ``name-`` + 10 hex of SHA-256 of the marked name."""
    return DERIVED_SLUG_PREFIX + hashlib.sha256(f"{marks[0]}{name}{marks[1]}".encode()).hexdigest()[:10]


# --------------------------------------------------------------------------- finding names
@dataclass(frozen=True)
class QuotedName:
    """One quoted name in a unit's text: ``text[start:end]`` includes the marks."""

    start: int
    end: int
    name: str  # without marks, runs of white space as one space
    marks: str  # QUOTE or TITLE
    nested: bool  # inside another quoted name


def quoted_names(text: str) -> list[QuotedName]:
    """Every balanced “…”/‘…’/《…》/〈…〉 name of ``text``, in order of the opening mark.

    A closing mark that does not close the innermost open name is ignored, and
    so is an opening mark never closed: half a pair names nothing.
    """
    found: list[QuotedName] = []
    stack: list[tuple[int, str, str]] = []  # (start, expected closer, family)
    for position, char in enumerate(text):
        if char in MARKS:
            close, family = MARKS[char]
            stack.append((position, close, family))
        elif char in CLOSERS and stack and stack[-1][1] == char:
            start, _close, family = stack.pop()
            name = " ".join(text[start + 1:position].split())
            if name:
                found.append(QuotedName(start, position + 1, name, family, nested=bool(stack)))
    return sorted(found, key=lambda q: q.start)


# --------------------------------------------------------------------------- actions
# The verbs an action may be: the longest of these printed right before the
# opening mark. Adverbs before the verb (深入, 广泛, 持续, 进一步 …) are not part of
# the action, and neither is a 推动 before another verb (进一步推动贯彻落实 → 贯彻落实):
# that is the push cue of guidelines §2, which gives a body its role. 推动制定 is
# the exception the guidelines list as one action: a union cannot enact a law,
# only press for one. 修改 is left out on purpose: in this corpus it governs a
# law's implementing measures (修改《工会法》实施办法), not the law.
ACTIONS: tuple[str, ...] = (
    # carrying out
    "开展", "举办", "办好", "实施", "推进", "深化", "启动", "推行", "做好", "做实", "加强",
    # building
    "打造", "搭建", "建设", "构建", "建立", "完善", "健全", "推动",
    # norms and documents
    "制定", "推动制定", "修订", "参与", "落实", "贯彻", "贯彻落实", "宣传", "宣传贯彻", "学习宣传", "印发",
    # published works
    "出版", "编印", "推出", "推广", "发布",
    # using
    "运用", "借助", "发挥", "用好", "管好用好",
    # honours
    "评选表彰", "表彰", "推树",
    # formulas
    "做到", "拥护", "牢记", "增强", "坚定", "领悟", "唱响", "叫响",
)
# Verbs that are also nouns (职工之家建设“结对共建”, 主题宣传): they count only at
# the start of a clause or after an adverb, where they cannot be a noun.
NOUN_VERBS = ("建设", "宣传")
ADVERBS = ("深入", "广泛", "积极", "大力", "持续", "继续", "进一步", "全面", "扎实", "加快", "认真")
_CLAUSE_START = re.compile(r"(?:^|[，。；：、！？（）“”《》\s])$")
# What may stand between the verb and the name without changing what the verb
# governs: a year (2022年, 2022年度), a head count (30名), a national scope.
_FILLER = re.compile(r"(?:\d{4}年度?|\d+名|全国|全总)$")


def action_before(text: str, start: int, previous: tuple[QuotedName, str | None] | None = None) -> str | None:
    """The action the text applies to the name opening at ``start``, or None.

    ``previous`` is the last top-level name before it and its action: a name
    that follows it after only 、 shares its verb (推动制定《A》、《B》).
    """
    end = start
    while match := _FILLER.search(text, 0, end):
        end = match.start()
    if previous is not None and end >= 1 and text[end - 1] == "、" and previous[0].end == end - 1:
        return previous[1]
    verbs = [verb for verb in ACTIONS if text.endswith(verb, 0, end)]
    if not verbs:
        return None
    verb = max(verbs, key=len)
    head = end - len(verb)
    if verb in NOUN_VERBS and not (_CLAUSE_START.search(text, 0, head) or text.endswith(ADVERBS, 0, head)):
        return None
    return verb


# --------------------------------------------------------------------------- extraction
def extract_programmes(
    units: Sequence[TextUnit], corpus: dict[str, SourceText], curated: Sequence[ProgrammeEntry] | None = None
) -> tuple[list[Programme], list[ProgrammeLink], list[Evidence]]:
    """The named things of ``units``: (programmes, links, unclassified occurrences).

    * programmes: each linked name once (not-a-names make none), sorted by slug;
    * links: one per (unit, programme) for units of :data:`LINKED_KINDS`, in unit
      order; its evidence is the first occurrence in the unit that has an
      action, else the first occurrence;
    * unclassified: every occurrence, in any unit, that no curated entry or
      rule classifies, in unit order.
    """
    entries = load_programmes() if curated is None else list(curated)
    by_name = {(entry.marks, surface): entry for entry in entries for surface in entry.names}

    programmes: dict[str, Programme] = {}
    links: list[ProgrammeLink] = []
    unclassified: list[Evidence] = []
    for unit in units:
        chosen: dict[str, tuple[QuotedName, str | None]] = {}
        previous: tuple[QuotedName, str | None] | None = None
        for occurrence in quoted_names(unit.text):
            action = None if occurrence.nested else action_before(unit.text, occurrence.start, previous)
            if not occurrence.nested:
                previous = (occurrence, action)
            programme = _classify(occurrence, by_name)
            if programme is None:
                unclassified.append(evidence(unit, occurrence.start, occurrence.end, corpus))
                continue
            if programme.kind == NOT_A_NAME or unit.kind not in LINKED_KINDS:
                continue
            known = programmes.setdefault(programme.slug, programme)
            if known != programme:  # two names, one slug: only a broken curated list can do this
                raise SourceError(PROGRAMMES_FILE, f"the slug {programme.slug!r} stands for {known.name} and {programme.name}")
            if programme.slug not in chosen or (chosen[programme.slug][1] is None and action is not None):
                chosen[programme.slug] = (occurrence, action)
        for slug, (occurrence, action) in sorted(chosen.items(), key=lambda kv: kv[1][0].start):
            links.append(ProgrammeLink(slug, action, evidence(unit, occurrence.start, occurrence.end, corpus)))
    return sorted(programmes.values(), key=lambda p: p.slug), links, unclassified


def _classify(occurrence: QuotedName, by_name: dict[tuple[str, str], ProgrammeEntry]) -> Programme | None:
    """The programme an occurrence names: the curated entry, else a rule, else None."""
    entry = by_name.get((occurrence.marks, occurrence.name))
    if entry is not None:
        return Programme(entry.slug, entry.name, entry.kind, entry.label_en, CURATED)
    ruled = classify_by_rules(occurrence.name, occurrence.marks)
    if ruled is None:
        return None
    kind, rule = ruled
    return Programme(derived_slug(occurrence.name, occurrence.marks), occurrence.name, kind, None, rule)
