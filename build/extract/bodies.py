"""Link the bodies a sentence names, each with the role the sentence gives it.

docs/annotation-guidelines.md §2: a body link says that a sentence names an
organisation (or organ category) of ``build/data/bodies.yaml`` and gives it a
role. The names are found by the shared leftmost-longest
:class:`~policykg.build.extract.lexicon.Lexicon`; the role is read from the
words around the name:

- a **cue** right before the name governs it: 联合 / 会同 / 协同 X is a partner,
  配合 / 协助 X is supported, 督促 / 推动 / 指导 … X is addressed (asked to act);
  与 X 共同 / 一道 … is a partner too;
- a union body **followed by its predicate** and not governed by a preposition
  is the actor: lead (全总每年重点培训…, 各级工会坚持…, 实现基层工会按期换届选举);
- anything else is involved.

A cue, and the actor's position, is shared by a list of names joined by 、 和 及
与 (推动美团、饿了么、滴滴等平台企业 …: all four addressed); clauses end at
，；：。！？. The cue wins over the actor's position. An elided name counts:
各省、市级总工会 names 省级总工会 and 市级总工会. Names inside a 《…》 title are the
title of a document (the law extractor's business), not a body link; a body
inside a “…” name (“工会+法院+检察院+人社+司法”) is involved, never an actor.

The word lists are data at the top of this module, not rules in the code: the
guidelines' table lists the cues with a "…", and a reviewer extends a list
here without touching the matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from policykg.build.extract.lexicon import Lexicon
from policykg.build.extract.units import MEASURE, TASK, TITLE, TextUnit, evidence
from policykg.build.extract.vocabulary import load_bodies
from policykg.build.model import Body, BodyLink
from policykg.build.sources import SourceText
from policykg.errors import PolicyKGError

LEAD = "lead"
PARTNER = "partner"
SUPPORTED = "supported"
ADDRESSED = "addressed"
INVOLVED = "involved"
ROLES = (LEAD, PARTNER, SUPPORTED, ADDRESSED, INVOLVED)

# The kinds of unit a body link is read from: the plan's measures and item
# titles, and the later documents' tasks (the 2022 report's review of past
# work is not linked: it reports, it does not assign roles).
LINKED_UNITS = (MEASURE, TITLE, TASK)

# Cue word -> role, for a cue right before a name (§2 table). 带动 (drive others
# to act) is an addressing cue of the same family as 推动 and 促进.
CUES: dict[str, str] = {
    "联合": PARTNER, "会同": PARTNER, "协同": PARTNER,
    "配合": SUPPORTED, "协助": SUPPORTED,
    "督促": ADDRESSED, "推动": ADDRESSED, "促进": ADDRESSED, "指导": ADDRESSED, "引导": ADDRESSED,
    "支持": ADDRESSED, "鼓励": ADDRESSED, "争取": ADDRESSED, "建议": ADDRESSED, "动员": ADDRESSED,
    "要求": ADDRESSED, "带动": ADDRESSED,
}

# 与 X [的] <joint word>: X acts together with the unions (与有关部门共同主办, 与科技部联合实施,
# 加强与司法行政部门沟通协作, 建立健全与劳动保障监察机构的联动协作机制). Without a joint
# word (与重点国家工会的对话交流, 与国际劳工组织有关的…) 与 is no cue.
WITH = "与"
JOINT_WORDS = ("共同", "一道", "联合", "协同", "协作", "合作", "联动", "沟通协作", "协调协同")

# Words that may stand between a cue (or the start of a clause) and the name it
# governs without breaking the link: 推动头部平台企业, 各省级总工会每年…, 各县级总工会….
MODIFIERS = ("各", "头部", "有关", "相关")

# What may stand between two names of one list: a joiner, optionally after 等
# (美团、饿了么、滴滴等平台企业) and before a modifier.
JOINERS = ("以及", "、与", "、和", "、", "和", "及", "与", "等")

# How the predicate of a union body that acts begins: adverbs of time,
# frequency, obligation and manner, and the verbs the corpus gives the unions.
# The body is the actor of that predicate whether it opens the clause
# (全总每年重点培训…) or an embedded one (普遍实现基层工会按期换届选举); a body
# followed by a noun (基层工会组织设置…, 各产业工会全委会委员…) is a possessor.
PREDICATE_STARTS = (
    "每年", "年均", "全年", "累计", "至少", "按期", "均", "都", "必须", "要", "应", "将", "已", "可",
    "积极", "带头", "迅即", "认真", "切实", "主动", "率先", "重点",
    "坚持", "开展", "加强", "筹集", "投入", "通过", "盯紧", "落实", "培训", "建立", "制定",
    "举办", "召开", "负责", "牵头",
)

# Prepositions that make the body their object, not an actor (在全总和各级工会深入…, 向各级工会赋能).
PREPOSITIONS = ("在", "对", "向", "与", "同", "把", "将", "为", "从", "于", "以")

CLAUSE_BREAK = re.compile(r"[，；：。！？]")
TITLE_SPAN = re.compile(r"《[^《》]*》")
QUOTED_NAME = re.compile(r"“[^“”]*”")
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")  # the written part of an elision (省 of 省、市级总工会)
_CUES_LONGEST_FIRST = sorted(CUES, key=len, reverse=True)
_JOINT_LONGEST_FIRST = sorted(JOINT_WORDS, key=len, reverse=True)
_PREDICATE_OR_CUE = PREDICATE_STARTS + tuple(CUES)


@dataclass(frozen=True)
class _Name:
    """One body name in a unit: ``text[start:end]`` (an elided name spans its whole coordination)."""

    start: int
    end: int
    body: str


def link_bodies(units: list[TextUnit], lexicon: Lexicon, corpus: dict[str, SourceText],
                bodies: Iterable[Body] | None = None) -> list[BodyLink]:
    """The body links of the measures, titles and tasks among ``units``, in unit and text order.

    One link per (unit, body, role), with the evidence of its first mention in
    that role. ``bodies`` (default: ``build/data/bodies.yaml``) gives each body
    its kind; only union bodies can lead.
    """
    kinds = {body.slug: body.kind for body in (load_bodies() if bodies is None else bodies)}
    links: list[BodyLink] = []
    for unit in units:
        if unit.kind not in LINKED_UNITS:
            continue
        seen: set[tuple[str, str]] = set()
        for name, role, cue in _roles(unit.text, _names(unit.text, lexicon, kinds, unit.path), kinds):
            if (name.body, role) in seen:
                continue
            seen.add((name.body, role))
            links.append(BodyLink(name.body, role, cue, evidence(unit, name.start, name.end, corpus)))
    return links


# --------------------------------------------------------------------------- finding the names
def _names(text: str, lexicon: Lexicon, kinds: dict[str, str], where: str) -> list[_Name]:
    """The body names of ``text`` outside 《…》 titles, elided ones included, by position."""
    titles = [m.span() for m in TITLE_SPAN.finditer(text)]
    names = []
    for match in lexicon.find(text, kinds=("body",)):
        if match.key not in kinds:
            raise PolicyKGError(f"{where}: the lexicon names body {match.key!r}, which bodies.yaml does not have")
        if any(start <= match.start < end for start, end in titles):
            continue
        elided = _elided(text, match.start, match.surface, match.key, lexicon)
        if elided is not None:
            names.append(elided)
        names.append(_Name(match.start, match.end, match.key))
    return sorted(names, key=lambda n: (n.start, n.end))


def _elided(text: str, start: int, surface: str, key: str, lexicon: Lexicon) -> _Name | None:
    """The body an elision before ``surface`` names: 省、市级总工会 also names 省级总工会.

    ``P、`` right before a name ``QR`` (Q one or two characters, R the shared
    rest) names ``PR`` when that is a body name of its own.
    """
    if start < 2 or text[start - 1] != "、":
        return None
    for size in (1, 2):
        rest = surface[size:]
        first = start - 1 - size
        if first < 0 or len(rest) < 2:
            continue
        prefix = text[first:start - 1]
        entry = lexicon.entries.get(prefix + rest)
        if _HAN.match(prefix) and entry is not None and entry.kind == "body" and entry.key != key:
            return _Name(first, start + len(surface), entry.key)
    return None


# --------------------------------------------------------------------------- giving the roles
def _roles(text: str, names: list[_Name], kinds: dict[str, str]) -> list[tuple[_Name, str, str | None]]:
    """Each name with its role and cue, list by list within each clause."""
    result = []
    quoted = [m.span() for m in QUOTED_NAME.finditer(text)]
    for group in _lists(text, names):
        clause_start, clause_end = _clause(text, group[0].start)
        before = text[clause_start:group[0].start]
        after = text[group[-1].end:clause_end]
        role, cue = _cue(before, after)
        for name in group:
            if any(start <= name.start < end for start, end in quoted):
                result.append((name, INVOLVED, None))  # part of a “…” name: the name's bearer, never an actor
            elif role is not None:
                result.append((name, role, cue))
            elif kinds[name.body] == "union" and _acts(before, after):
                result.append((name, LEAD, None))
            else:
                result.append((name, INVOLVED, None))
    return result


def _lists(text: str, names: list[_Name]) -> list[list[_Name]]:
    """Names that share a cue: neighbours in one clause joined by 、 和 及 与 (or overlapping, for elisions)."""
    groups: list[list[_Name]] = []
    for name in names:
        if groups:
            previous = groups[-1][-1]
            gap = text[previous.end:name.start] if name.start >= previous.end else ""
            if name.start < previous.end or _is_joiner(gap):
                groups[-1].append(name)
                continue
        groups.append([name])
    return groups


def _is_joiner(gap: str) -> bool:
    rest = _strip_modifiers(gap)
    return rest in JOINERS or (rest.startswith("等") and rest[1:] in JOINERS)


def _clause(text: str, position: int) -> tuple[int, int]:
    """The clause (between two of ，；：。！？) that holds ``position``."""
    start = 0
    for brk in CLAUSE_BREAK.finditer(text):
        if brk.start() < position:
            start = brk.end()
        else:
            return start, brk.start()
    return start, len(text)


def _cue(before: str, after: str) -> tuple[str | None, str | None]:
    """The role a cue right before the list (or a 与…共同 frame around it) gives, and the cue."""
    governed = _strip_modifiers(before)
    for cue in _CUES_LONGEST_FIRST:
        if governed.endswith(cue):
            return CUES[cue], cue
    if governed.endswith(WITH):
        joined = after.removeprefix("的")
        for joint in _JOINT_LONGEST_FIRST:
            if joined.startswith(joint):
                return PARTNER, f"{WITH}…{joint}"
    return None, None


def _acts(before: str, after: str) -> bool:
    """Whether a list is an actor: its predicate follows it and no preposition governs it."""
    if _strip_modifiers(before).endswith(PREPOSITIONS):
        return False
    return after.startswith(_PREDICATE_OR_CUE)


def _strip_modifiers(text: str) -> str:
    """``text`` without the modifiers at its end (各, 头部 …), which do not break a cue's hold."""
    changed = True
    while changed:
        changed = False
        for modifier in MODIFIERS:
            if text.endswith(modifier):
                text = text[:-len(modifier)]
                changed = True
    return text
