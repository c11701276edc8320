"""Which groups of people each sentence names, and which groups each plan item is about.

A population link says: this unit (a measure, an item title, a later task)
names this group (docs/annotation-guidelines.md §1). The groups and all their
names are curated in ``build/data/populations.yaml``; this module only decides
which occurrences of those names count. Three rules, each general:

* **The longest name wins.** Names are found with the shared leftmost-longest
  :class:`~policykg.build.extract.lexicon.Lexicon`, which also holds the bodies
  and the *not-names* (职工书屋, 劳模和工匠人才创新工作室, 职工代表大会 …). So 女职工
  is a link to 女职工 and never to 职工, 困难职工家庭 is no 职工 link, and a group
  word inside the name of a facility, body, event or programme is shadowed by
  that name and links nothing. Where a phrase is both a description and a
  standing name (产业工人队伍建设改革, the brand 关爱农民工子女, the programme
  困难职工帮扶, the station network 户外劳动者服务站点), the guideline's strict reading
  is taken: it is the name of a thing, as 职工服务中心 is.
* **A quoted name is a name.** A group word inside “…” or 《…》 belongs to the
  name of a campaign, brand, award, slogan or law (“最美职工”, “大国工匠”进校园,
  《关于…产业工人队伍建设改革…的意见》); §3 links those names, not this module.
  This holds when the quoted text is nothing but a group word: “大国工匠”等主题宣传
  names a publicity campaign, “八大群体” a set phrase (§3 ``not-a-name``).
* **Industry words count only in a list.** 快递, 外卖, 网约出行, 家政 … stand for
  their workers where the text enumerates groups or industries (快递、外卖、
  网约出行、网约货运、家政、保洁等灵活就业人员较多的行业), but not in 快递行业龙头企业.
  They are curated as aliases (so the lexicon knows what they stand for), and
  :data:`LIST_WORDS` restricts them to members of a 、-list. The same holds for
  the type words of hardship (深度困难、相对困难、意外致困等…困难职工家庭).

One link per (unit, population), the first occurrence; the item-level
salience follows the guideline: a population is *primary* for an item when
its title names it or more than half of its measures do (a majority, not one
passing mention in a long item), otherwise *mentioned*. A link names a
concept, not its ancestors; the hierarchy is applied when querying.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from policykg.build.extract.lexicon import Lexicon, Match
from policykg.build.extract.units import MEASURE, REPORT, TITLE, TextUnit, evidence
from policykg.build.model import PopulationLink
from policykg.build.sources import SourceText
from policykg.errors import PolicyKGError

POPULATION = "population"
PRIMARY = "primary"
MENTIONED = "mentioned"

LIST_WORDS = frozenset({
    # industry words (guidelines §1: 快递 → 快递员, 外卖 → 外卖配送员, …)
    "快递", "外卖", "网约出行", "网约车", "网约货运", "货运", "家政", "保洁",
    # a form of employment named in a list of groups (农民工、灵活就业、新就业形态劳动者)
    "灵活就业",
    # the types of families in hardship (深度困难、相对困难、意外致困等不同困难类型的困难职工家庭)
    "深度困难", "相对困难", "意外致困",
})
LIST_MARK = "、"
LIST_END = "、等和及与"  # what may follow the last member of a 、-list
QUOTES = {"“": "”", "《": "》"}


def find_populations(text: str, lexicon: Lexicon) -> list[Match]:
    """The population names in ``text`` that count as naming a group, in text order.

    Exposed so that every reader of population names (links, observations)
    applies the same rules.
    """
    _check_list_words(lexicon)
    quoted = _quoted_spans(text)
    found = []
    for match in lexicon.find(text, kinds=[POPULATION]):
        if any(start <= match.start and match.end <= end for start, end in quoted):
            continue
        if match.surface in LIST_WORDS and not _list_member(text, match.start, match.end):
            continue
        found.append(match)
    return found


def link_populations(units: list[TextUnit], lexicon: Lexicon, corpus: dict[str, SourceText]) -> list[PopulationLink]:
    """One link per (unit, population), at its first occurrence; units in the given order, report units skipped."""
    links = []
    for unit in units:
        if unit.kind == REPORT:
            continue
        seen: set[str] = set()
        for match in find_populations(unit.text, lexicon):
            if match.key in seen:
                continue
            seen.add(match.key)
            links.append(PopulationLink(match.key, evidence(unit, match.start, match.end, corpus)))
    return links


def item_salience(links: Iterable[PopulationLink], units: list[TextUnit]) -> dict[tuple[int, str], str]:
    """(item, population) → "primary" or "mentioned", for every pair with a measure- or title-level link.

    Primary: the item's title names the population, or more than half of the
    item's measures do. Tasks have no item and do not count.
    """
    item_of = {u.path: (u.kind, u.item) for u in units if u.kind in (MEASURE, TITLE) and u.item is not None}
    measures_per_item: dict[int, int] = defaultdict(int)
    for kind, item in item_of.values():
        if kind == MEASURE:
            measures_per_item[item] += 1
    in_title: set[tuple[int, str]] = set()
    measures_naming: dict[tuple[int, str], set[str]] = defaultdict(set)
    for link in links:
        located = item_of.get(link.evidence.unit)
        if located is None:
            continue
        kind, item = located
        if kind == TITLE:
            in_title.add((item, link.population))
        else:
            measures_naming[item, link.population].add(link.evidence.unit)
    salience = {}
    for key in sorted(in_title | set(measures_naming)):
        item, _population = key
        majority = 2 * len(measures_naming.get(key, ())) > measures_per_item[item]
        salience[key] = PRIMARY if key in in_title or majority else MENTIONED
    return salience


# --------------------------------------------------------------------------- rules
def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each “…” and 《…》, marks excluded; an unclosed mark quotes nothing."""
    spans = []
    position = 0
    while position < len(text):
        close = QUOTES.get(text[position])
        if close is None:
            position += 1
            continue
        end = text.find(close, position + 1)
        if end < 0:
            position += 1
            continue
        spans.append((position + 1, end))
        position = end + 1
    return spans


def _list_member(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` is a member of a 、-list: 、 follows it, or 、 precedes it and the list ends or goes on after it."""
    after = text[end] if end < len(text) else ""
    before = text[start - 1] if start > 0 else ""
    return after == LIST_MARK or (before == LIST_MARK and after != "" and after in LIST_END)


def _check_list_words(lexicon: Lexicon) -> None:
    """Every list word must be a population alias, or the rule silently does nothing."""
    missing = sorted(w for w in LIST_WORDS if w not in lexicon or lexicon.entries[w].kind != POPULATION)
    if missing:
        raise PolicyKGError(
            f"build/extract/populations.py: the list words {', '.join(missing)} are not population names; "
            "add each as an alias of its group in build/data/populations.yaml"
        )
