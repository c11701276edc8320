"""Observations of the 2022 work report (build/extract/observations.py), read from the real corpus.

The facts checked here are read from the report's text (file 003), not from
the program's output: 全年组织技术工人100.5万人次 against the plan's 100万人次
技术工人疗养 target, 帮助30万职工提升学历水平 against 每年帮助30万名职工…提升学历水平,
the one 2021年以来 figure and the 截至2022年底 stocks.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest

from policykg.build.extract.indicators import extract_indicators
from policykg.build.extract.observations import (
    PERSON,
    PopulationIndex,
    extract_observations,
    family,
    find_figures,
    period_of,
    review_figures,
)
from policykg.build.extract.units import REPORT, TextUnit, later_units, plan_units
from policykg.build.model import Indicator, LaterDocument, Observation, Plan
from policykg.build.sources import SourceText

PERIODS = {"2022", "2021/2022", "..2022-12-31"}


@pytest.fixture(scope="module")
def report_units(later: list[LaterDocument]) -> list[TextUnit]:
    return [unit for unit in later_units(later) if unit.kind == REPORT]


@pytest.fixture(scope="module")
def plan_text(plan: Plan, corpus: dict[str, SourceText]) -> list[TextUnit]:
    return plan_units(plan, corpus)


@pytest.fixture(scope="module")
def indicators(plan: Plan, plan_text: list[TextUnit], corpus: dict[str, SourceText]) -> dict[str, Indicator]:
    return {i.slug: i for i in extract_indicators(plan, plan_text, corpus)}


@pytest.fixture(scope="module")
def observations(report_units: list[TextUnit], corpus: dict[str, SourceText],
                 indicators: dict[str, Indicator], plan_text: list[TextUnit]) -> list[Observation]:
    return extract_observations(report_units, corpus, list(indicators.values()), plan_text)


def one(observations: list[Observation], words: str, value: int | str) -> Observation:
    """The single observation whose label has ``words`` and whose value is ``value``."""
    found = [o for o in observations if words in o.label_zh and o.value == Decimal(value)]
    assert len(found) == 1, [(o.slug, o.label_zh, o.value) for o in observations if words in o.label_zh]
    return found[0]


def sentence_before(corpus: dict[str, SourceText], report_units: list[TextUnit], o: Observation) -> str:
    """The text of the observation's sentence up to its clause, read from its unit."""
    unit = next(u for u in report_units if u.path == o.evidence.unit)
    start = max(unit.text.rfind(mark, 0, o.evidence.start) for mark in "。！？") + 1
    return unit.text[start:o.evidence.start]


# --- the figures the brief names -------------------------------------------------------------

def test_technical_workers_rest_and_recuperation(observations, indicators) -> None:
    o = one(observations, "技术工人", 1005000)
    assert (o.unit, o.period) == ("人次", "2022")
    target = indicators[o.indicator]
    assert (target.value, target.unit) == (Decimal(1000000), "人次")
    assert "技术工人" in target.label_zh
    assert o.reports_on == target.stated_in


def test_education_upgrade(observations, indicators) -> None:
    o = one(observations, "学历", 300000)
    assert o.unit == PERSON  # 30万职工: a bare people noun counts people
    target = indicators[o.indicator]
    assert (target.value, target.per_year) == (Decimal(300000), True)
    assert "学历" in target.label_zh


def test_warmth_fund(observations, indicators) -> None:
    o = one(observations, "送温暖", 3626000000)
    assert o.unit == "元"
    target = indicators[o.indicator]
    assert (target.value, target.unit) == (Decimal(3000000000), "元")
    assert "送温暖" in target.label_zh


def test_central_hardship_fund_is_not_the_warmth_fund(observations) -> None:
    """拨付9.6亿元中央财政专项帮扶资金 shares its sentence, not its clause, with 送温暖资金."""
    o = one(observations, "帮扶资金", 960000000)
    assert o.indicator is None
    assert 20 in o.reports_on  # 健全困难职工家庭常态化帮扶机制


def test_mediation_rate_is_not_the_contract_rate(observations, indicators) -> None:
    """调解成功率82.84% has the unit and size of the 80% 集体合同签订率 target, but none of its words."""
    o = one(observations, "调解成功率", Decimal("82.84"))
    assert (o.unit, o.indicator) == ("%", None)
    assert any(i.unit == "%" and i.value == 80 for i in indicators.values())


def test_service_stations_are_not_the_best_stations(observations) -> None:
    """11.17万 stations built is over ten times the 1万 最美 stations to be named: another quantity."""
    o = one(observations, "服务站点", 111700)
    assert (o.unit, o.period, o.indicator) == ("个", "..2022-12-31", None)
    assert 22 in o.reports_on  # 打造服务职工系列品牌 (工会户外劳动者服务站点)


def test_new_members_of_one_group_do_not_measure_all_new_members(observations, indicators) -> None:
    """1037万 新就业形态劳动者 members are a part of the 4000万 新发展会员 target, not a measure of it."""
    o = one(observations, "会员", 10370000)
    assert (o.unit, o.period, o.indicator) == ("人", "2021/2022", None)
    target = next(i for i in indicators.values() if i.value == 40000000 and "会员" in i.label_zh)
    assert PopulationIndex.curated().narrower(o.label_zh, target.label_zh)
    assert 36 in o.reports_on  # 改进完善工会组织体系


# --- periods --------------------------------------------------------------------------------

def test_period_kinds_follow_the_text(observations, corpus, report_units) -> None:
    assert {o.period for o in observations} == PERIODS
    for o in observations:
        before = sentence_before(corpus, report_units, o) + o.label_zh
        if o.period == "2021/2022":
            assert "2021年以来" in before or "两年来" in before, o.slug
        elif o.period == "..2022-12-31":
            assert re.search("截至2022年底|目前|累计", before), o.slug
    since = [o for o in observations if "2021年以来" in sentence_before(corpus, report_units, o)]
    assert since and {o.period for o in since} == {"2021/2022"}
    year_end = [o for o in observations if "截至2022年底" in sentence_before(corpus, report_units, o)]
    assert {o.value for o in year_end} == {Decimal(1890000000), Decimal(111700)}
    assert {o.period for o in year_end} == {"..2022-12-31"}
    assert one(observations, "全年累计调解纠纷", 289000).period == "2022"  # 全年 wins over 累计


@pytest.mark.parametrize(("text", "period"), [
    ("截至2022年底，各级工会累计投入资金18.9亿元", "..2022-12-31"),
    ("目前，已选树大国工匠87名", "..2022-12-31"),
    ("2021年以来，全国新发展会员1037万人", "2021/2022"),
    ("两年来，帮助职工30万人", "2021/2022"),
    ("各级工会全年累计调解纠纷28.9万件", "2022"),
    ("参加学习培训职工累计达2亿人次", "..2022-12-31"),
    ("建设各级各类工匠学院279家", "2022"),
    ("截至2022年底，建成。全年组织技术工人100.5万人次", "2022"),  # a cue does not cross a sentence
])
def test_period_of(text: str, period: str) -> None:
    start = find_figures(text)[-1][0]
    clause = max(text.rfind(mark, 0, start) for mark in "，。") + 1
    assert period_of(text, start, clause, 2022) == period


# --- what is a figure ---------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "召开2022年全国工会维护劳动领域政治安全工作座谈会",
    "推动国家协调劳动关系三方召开第27次会议",
    "派员视频出席第110届国际劳工大会",
    "联合举办纪念安源路矿工人运动100周年座谈会",
    "总结回顾改革5年来取得的成效",
    "编印《产业工人队伍建设改革职工知识50问》",
    "围绕贯彻落实中国工会“十四五”发展规划",
    "掀起学习宣传贯彻党的二十大精神的热潮",
    "做好全国五一劳动奖评选表彰工作",
    "开展十大产业百家企业深化产业工人队伍建设改革专项行动",
    "以“下发一个通知、实现一次高层次的直接沟通”的方式",
    "推出首批全国工会劳动法律监督十大优秀案例",
])
def test_not_figures(text: str) -> None:
    assert find_figures(text) == []


@pytest.mark.parametrize(("text", "value", "unit", "approximate"), [
    ("全年组织技术工人100.5万人次", "1005000", "人次", False),
    ("帮助30万职工提升学历水平", "300000", "人", False),
    ("投入专项保障经费2.9亿多元", "290000000", "元", True),
    ("受众920万余人次", "9200000", "人次", True),
    ("推动确定的十个合作事项落实落地", "10", "个", False),
    ("开展普法宣讲活动2.9万场次", "29000", "场次", False),
    ("调解成功率82.84%", "82.84", "%", False),
])
def test_figures(text: str, value: str, unit: str, approximate: bool) -> None:
    [(_start, _end, found, measure, approx)] = find_figures(text)
    assert (found, measure, approx) == (Decimal(value), unit, approximate)


_MEASURE = r"(?:多|余)?(?:人次|场次|人|名|家|个|户|元|项|件|部|条|%|职工|劳动者|农民工|会员|工人|干部)"
_CHINESE = dict(zip(range(2, 11), "二三四五六七八九十"))


def printed(value: Decimal) -> list[str]:
    """The ways the report may print ``value``: as is, in 万, in 亿, or as a Chinese numeral."""
    forms = [f"{value.normalize():f}"]
    for step in (Decimal(10) ** 4, Decimal(10) ** 8):
        scaled = (value / step).normalize()
        if scaled >= 1:
            forms.append(f"{scaled:f}")
    if int(value) in _CHINESE and value == int(value):
        forms.append(_CHINESE[int(value)])
    return forms


def test_every_surface_holds_its_figure_and_no_date_or_ordinal(observations) -> None:
    for o in observations:
        surface = o.evidence.surface
        hits = [m for form in printed(o.value)
                for m in re.finditer(rf"(?<![\d.]){re.escape(form)}(?:万|亿)?{_MEASURE}", surface)]
        assert hits, (o.slug, surface)
        for match in hits:
            assert surface[max(match.start() - 1, 0)] not in "第首" or match.start() == 0, o.slug
    values = {o.value for o in observations}
    assert not values & {Decimal(2021), Decimal(2022), Decimal(27), Decimal(110), Decimal(5), Decimal(50)}
    assert not any("周年" in o.evidence.surface for o in observations)


# --- evidence, units, slugs ------------------------------------------------------------------

def test_evidence_is_exact(observations, corpus, report_units) -> None:
    texts = {u.path: u.text for u in report_units}
    for o in observations:
        e = o.evidence
        assert texts[e.unit][e.start:e.end] == e.surface == o.label_zh
        assert e.spans
        for span in e.spans:
            assert corpus[span.file].text[span.start:span.end] == span.quote


def test_each_figure_once_from_the_smallest_unit(observations, report_units) -> None:
    """Sections repeat their points' text: every figure is read from a point, once."""
    starts = Counter((s.file, s.start) for o in observations for s in o.evidence.spans[:1])
    assert max(starts.values()) == 1
    assert all(o.evidence.unit.startswith("report-point/2022-") for o in observations)
    sections = [u for u in report_units if u.path.startswith("report-section/")]
    in_sections = {f.unit.origins[f.start] for f in review_figures(sections)}
    in_points = {f.unit.origins[f.start] for f in review_figures(report_units)}
    assert in_sections == in_points and len(observations) == len(in_points)


def test_slugs(observations, report_units, corpus, indicators, plan_text) -> None:
    slugs = [o.slug for o in observations]
    assert slugs == sorted(slugs) and len(set(slugs)) == len(slugs)
    per_unit: dict[str, list[int]] = {}
    for o in observations:
        key = o.evidence.unit.split("/", 1)[1]
        assert o.slug.startswith(f"{key}-"), o.slug
        per_unit.setdefault(key, []).append(int(o.slug.rsplit("-", 1)[1]))
    for numbers in per_unit.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    again = extract_observations(list(reversed(report_units)), corpus, list(indicators.values()), plan_text)
    assert again == observations


# --- links ----------------------------------------------------------------------------------

def test_links_agree_in_unit_and_period(observations, indicators) -> None:
    linked = [o for o in observations if o.indicator]
    assert len(linked) >= 3
    per_target = Counter((o.indicator, o.period) for o in linked)
    assert max(per_target.values()) == 1
    for o in linked:
        target = indicators[o.indicator]
        assert family(o.unit) == family(target.unit), (o.slug, o.unit, target.unit)
        assert {o.unit, target.unit} <= {PERSON, "名"} or o.unit == target.unit
        assert Decimal("0.1") <= o.value / target.value <= 10
        assert not target.per_year or o.period.isdigit()
        assert o.reports_on == target.stated_in


def test_reports_on_are_plan_items(observations, plan) -> None:
    numbers = {item.number for item in plan.items}
    for o in observations:
        assert set(o.reports_on) <= numbers
    unlinked = [o for o in observations if o.indicator is None]
    assert any(o.reports_on for o in unlinked) and any(not o.reports_on for o in unlinked)


def test_narrower_group_rule(tmp_path) -> None:
    populations = tmp_path / "populations.yaml"
    populations.write_text(
        "concepts:\n"
        "  - {slug: workers, zh: 职工, en: workers}\n"
        "  - {slug: members, zh: 会员, en: members}\n"
        "  - {slug: migrant-workers, zh: 农民工, en: migrant workers, broader: [workers]}\n"
        "  - {slug: new-form-workers, zh: 新就业形态劳动者, en: new-form workers, broader: [workers]}\n",
        encoding="utf-8")
    bodies = tmp_path / "bodies.yaml"
    bodies.write_text("bodies:\n  - {slug: acftu, zh: 全总, en: ACFTU, kind: union}\n", encoding="utf-8")
    index = PopulationIndex.curated(populations, bodies)
    assert index.narrower("全国新发展新就业形态劳动者会员1037万人", "新发展会员")
    assert not index.narrower("帮助30万职工提升学历水平", "帮助职工特别是农民工提升学历水平")
    assert not index.narrower("农民工30万人", "帮助职工特别是农民工提升学历水平")
