"""build/extract/indicators.py: the plan's quantified targets (docs/annotation-guidelines.md §4)."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from policykg.build.extract.indicators import (
    ABOUT,
    AT_LEAST,
    EXACTLY,
    INDICATORS_FILE,
    MORE_THAN,
    TABLE_ROW,
    closest_item,
    extract_indicators,
    find_figures,
    is_past,
    is_scope,
    load_indicator_labels,
    parse_number,
    parse_quantity,
    statements,
    table_chapter,
    timing,
    with_english_labels,
)
from policykg.build.extract.units import TextUnit, plan_units
from policykg.build.model import Indicator
from policykg.errors import SourceError
from policykg.resources import curated_file


@pytest.fixture(scope="module")
def units(plan, corpus) -> list[TextUnit]:
    return plan_units(plan, corpus)


@pytest.fixture(scope="module")
def indicators(plan, units, corpus) -> list[Indicator]:
    return extract_indicators(plan, units, corpus)


@pytest.fixture(scope="module")
def by_slug(indicators) -> dict[str, Indicator]:
    return {i.slug: i for i in indicators}


def _only(indicators: list[Indicator], word: str) -> Indicator:
    found = [i for i in indicators if word in i.label_zh]
    assert len(found) == 1, [i.slug for i in found]
    return found[0]


def _units_of(indicator: Indicator) -> list[str]:
    return [e.unit for e in indicator.evidence]


# --- numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("4.5万", 45000), ("3000万", 30000000), ("1.6万", 16000), ("100.5万", 1005000), ("30亿", 3000000000),
    ("80%", 80), ("12.5%", Decimal("12.5")), ("100", 100), ("1,200", 1200),
    ("一", 1), ("一万", 10000), ("十五万", 150000), ("两千", 2000), ("一百零五", 105), ("二〇二五", 2025),
])
def test_parse_number(text, value):
    parsed = parse_number(text)
    assert parsed == Decimal(value)
    assert str(parsed) == str(Decimal(value))  # 45000, not 45000.0 or 4.5E+4


@pytest.mark.parametrize("text", ["", "万人", "abc", "5万人", "4.5.1"])
def test_parse_number_refuses_what_is_not_a_number(text):
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize(("text", "quantity"), [
    ("30亿元", (3000000000, "元")), ("80%", (80, "%")), ("4.5万人", (45000, "人")),
    ("8000万人次", (80000000, "人次")), ("60万个", (600000, "个")), ("一家", (1, "家")),
])
def test_parse_quantity(text, quantity):
    assert parse_quantity(text) == (Decimal(quantity[0]), quantity[1])


def test_parse_quantity_needs_a_unit():
    with pytest.raises(ValueError):
        parse_quantity("4.5万")


@pytest.mark.parametrize(("text", "surface", "comparator"), [
    ("示范性创新工作室达到500家左右", "500家左右", ABOUT),
    ("电子职工书屋覆盖职工逾5000万人", "5000万人", MORE_THAN),
    ("各县级总工会每年培训不少于30人次", "30人次", AT_LEAST),
    ("每年至少推树30名“最美家政人”", "30名", AT_LEAST),
    ("新组建基层工会组织60万个以上", "60万个以上", AT_LEAST),
    ("各级各类创新工作室达到15万家", "15万家", AT_LEAST),
    ("全总每年重点培训100人次", "100人次", EXACTLY),
    ("各省级总工会至少有一家工人疗休养院", "一家", AT_LEAST),
    ("新增会员1万多人", "1万多人", MORE_THAN),
])
def test_find_figures_reads_the_comparator(text, surface, comparator):
    (figure,) = find_figures(text)
    assert (figure.surface, figure.comparator) == (surface, comparator)


@pytest.mark.parametrize("text", ["坚持一个中国原则", "增强“四个意识”", "第2次会议", "2035年远景目标", "今后5年"])
def test_set_phrases_ordinals_and_years_are_not_figures(text):
    assert find_figures(text) == []


# --- timing, scopes, the past ----------------------------------------------------------------


def test_timing_nearest_cue_wins_and_a_yearly_word_stops_at_a_semicolon():
    text = "“十四五”期间，各省至少有一家，每年组织500万人次，其中技术工人100万人次；建设50家"
    spots = [f.start for f in find_figures(text)]
    got = [(t.deadline, t.per_year) for t in (timing(text, s) for s in spots)]
    assert got == [("2025-12-31", False), (None, True), (None, True), ("2025-12-31", False)]


@pytest.mark.parametrize(("text", "deadline", "explicit"), [
    ("到2025年底实现100家", "2025-12-31", True),
    ("2021年完成20家", "2021-12-31", True),
    ("力争到“十四五”末达到4.5万人", "2025-12-31", True),
    ("“十四五”期间，全国建设100家", "2025-12-31", True),
    ("确保达到80%以上", "2025-12-31", False),  # no cue: due by the end of the plan period
])
def test_deadlines(text, deadline, explicit):
    (figure,) = find_figures(text)
    found = timing(text, figure.start)
    assert (found.deadline, found.per_year, found.explicit) == (deadline, False, explicit)


@pytest.mark.parametrize(("text", "scope"), [
    ("以25人以上非公所有制企业为重点，开展建会集中行动", True),
    ("确保重点企业（即已建工会的100人以上企业）集体合同签订率保持在80%以上", True),
    ("推进25人以上企业建会", True),
    ("新发展会员4000万人以上", False),
])
def test_scopes_are_not_targets(text, scope):
    figure = find_figures(text)[0]
    assert is_scope(text, figure) is scope


def _unit(text: str, kind: str = "measure", item: int = 1) -> TextUnit:
    return TextUnit(f"measure/{item}-1", kind, text, tuple(("x.txt", i) for i in range(len(text))), item)


def test_a_sentence_about_the_past_gives_no_figures():
    past = "“十三五”期间，累计新建基层工会组织60万个以上。"
    assert is_past(past)
    assert statements(_unit(past)) == []
    target = "力争到“十四五”末，全国新组建基层工会组织60万个以上。"
    assert not is_past(target)
    assert [s.figure.value for s in statements(_unit(target))] == [Decimal(600000)]


# --- the corpus ------------------------------------------------------------------------------


def test_rights_1_collective_contracts(by_slug):
    indicator = by_slug["rights-1-1"]
    assert (indicator.value, indicator.unit, indicator.comparator) == (Decimal(80), "%", AT_LEAST)
    assert (indicator.deadline, indicator.per_year, indicator.category) == ("2025-12-31", False, "rights")
    assert 24 in indicator.stated_in
    assert len(indicator.evidence) == 2
    assert indicator.evidence[0].unit == f"{TABLE_ROW}/rights-1"
    assert re.fullmatch(r"measure/24-\d+", indicator.evidence[1].unit)
    assert indicator.label_zh == "重点企业集体合同签订率"


def test_rights_2_consultation_evaluation_is_one_indicator_with_item_24(by_slug):
    indicator = by_slug["rights-2-1"]
    assert (indicator.value, indicator.unit, indicator.comparator, indicator.deadline) == (Decimal(60), "%", AT_LEAST, "2025-12-31")
    assert indicator.stated_in == (24,)
    assert len(indicator.evidence) == 2


def test_quality_3_splits_into_two(indicators, by_slug):
    assert sorted(i.slug for i in indicators if i.slug.startswith("quality-3-")) == ["quality-3-1", "quality-3-2"]
    first, second = by_slug["quality-3-1"], by_slug["quality-3-2"]
    assert (first.value, first.unit, first.comparator) == (Decimal(500), "家", ABOUT)
    assert first.label_zh == "全国示范性劳模和工匠人才创新工作室"
    assert (second.value, second.unit) == (Decimal(150000), "家")
    assert second.label_zh == "各级各类创新工作室"
    assert first.deadline == second.deadline == "2025-12-31"


def test_social_union_workers(plan, indicators):
    indicator = _only(indicators, "社会化工会工作者")
    (item,) = [i.number for i in plan.items if "社会化工会工作者" in (i.text or "")]
    assert (indicator.value, indicator.unit, indicator.comparator) == (Decimal(45000), "人", ABOUT)
    assert indicator.stated_in == (item,)
    assert indicator.category is None and indicator.slug.startswith(f"item-{item}-")


def test_item_36_organising_targets(indicators):
    found = {(i.value, i.unit): i for i in indicators if i.stated_in == (36,)}
    assert set(found) == {(Decimal(600000), "个"), (Decimal(40000000), "人")}
    for indicator in found.values():
        assert (indicator.comparator, indicator.deadline, indicator.per_year) == (AT_LEAST, "2025-12-31", False)
    assert "基层工会组织" in found[Decimal(600000), "个"].label_zh
    assert "会员" in found[Decimal(40000000), "人"].label_zh


def test_domestic_service_training_is_yearly_and_stated_in_table_and_item(indicators):
    indicator = _only(indicators, "家政服务人员")
    assert (indicator.value, indicator.unit, indicator.per_year, indicator.deadline) == (Decimal(200000), "人次", True, None)
    assert indicator.comparator == AT_LEAST  # the table's bare figure, qualified by the item's 达到
    assert indicator.category == "quality"
    assert _units_of(indicator)[0] == f"{TABLE_ROW}/quality-2"
    assert any(re.fullmatch(r"measure/14-\d+", u) for u in _units_of(indicator))


def test_text_only_targets_of_item_14_and_37(indicators):
    selection = _only(indicators, "最美家政人")
    assert (selection.value, selection.unit, selection.comparator, selection.per_year) == (Decimal(30), "名", AT_LEAST, True)
    share = _only(indicators, "劳模和一线职工代表比例")
    assert (share.value, share.unit, share.comparator, share.deadline) == (Decimal(10), "%", AT_LEAST, "2025-12-31")
    assert selection.category is share.category is None


def test_the_three_training_quotas(by_slug):
    quotas = [by_slug[f"rights-3-{n}"] for n in (1, 2, 3)]
    assert [(q.value, q.unit, q.comparator, q.per_year) for q in quotas] == [
        (Decimal(100), "人次", EXACTLY, True), (Decimal(100), "人次", AT_LEAST, True), (Decimal(30), "人次", AT_LEAST, True)]
    for quota, body in zip(quotas, ("全总", "省、市级总工会", "县级总工会")):
        assert body in quota.label_zh
        assert quota.stated_in == (24,)
        assert _units_of(quota)[0] == f"{TABLE_ROW}/rights-3"
        assert body in quota.evidence[1].surface  # each matched to its own clause of item 24
    assert "rights-3-4" not in by_slug


def test_chinese_numeral_target_in_services_5(by_slug):
    sanatoria = by_slug["services-5-1"]
    assert (sanatoria.value, sanatoria.unit, sanatoria.comparator, sanatoria.deadline) == (Decimal(1), "家", AT_LEAST, "2025-12-31")
    assert [(by_slug[s].value, by_slug[s].per_year) for s in ("services-5-2", "services-5-3")] == [
        (Decimal(5000000), True), (Decimal(1000000), True)]


def test_2021_deadlines_in_services_2(by_slug):
    assert [by_slug[f"services-2-{n}"].deadline for n in (1, 2, 3, 4)] == ["2021-12-31"] * 3 + ["2025-12-31"]
    assert by_slug["services-2-4"].value == Decimal(10000)


def test_money_in_base_units(by_slug):
    funds = by_slug["services-3-1"]
    assert (funds.value, funds.unit, funds.comparator, funds.per_year) == (Decimal(3000000000), "元", AT_LEAST, True)


def test_targets_restated_outside_the_tables_chapter_are_one_indicator(indicators):
    """The 职工书屋 figures of the 素质提升 table are item 9's: no separate item-9 indicator."""
    assert not [i.slug for i in indicators if i.slug.startswith("item-9-")]
    bookhouses = [i for i in indicators if i.slug.startswith("quality-4-")]
    assert len(bookhouses) == 3 and all(i.stated_in == (9,) for i in bookhouses)


def test_an_equal_figure_about_something_else_is_not_merged(plan, units, corpus, tmp_path):
    """Same value, unit, comparator and deadline as quality-4-1, but another thing counted: its own indicator."""
    text = "到2025年底，全国新建职工食堂达到1.6万家。"
    source = next(iter(corpus))
    stranger = TextUnit("measure/46-99", "measure", text, tuple((source, i) for i in range(len(text))), 46)
    labels = {slug: {"zh": zh, "en": en} for slug, (zh, en) in load_indicator_labels().items()}
    labels["item-46-1"] = {"zh": "全国新建职工食堂", "en": "Workers' canteens newly built nationwide"}
    found = {i.slug: i for i in extract_indicators(plan, units + [stranger], corpus, _write(tmp_path, labels))}
    assert (found["item-46-1"].value, found["item-46-1"].stated_in) == (Decimal(16000), (46,))
    assert found["quality-4-1"].stated_in == (9,)


def test_every_indicator_has_a_deadline_xor_a_yearly_rate(indicators):
    for indicator in indicators:
        assert (indicator.deadline is None) == indicator.per_year, indicator.slug
        assert indicator.deadline is None or re.fullmatch(r"\d{4}-12-31", indicator.deadline)


def test_every_evidence_quote_is_exact_and_contains_the_figure(indicators, corpus):
    for indicator in indicators:
        assert indicator.evidence, indicator.slug
        for item in indicator.evidence:
            for span in item.spans:
                assert corpus[span.file].text[span.start:span.end] == span.quote
            figure = find_figures(item.surface)[-1]
            assert item.surface.endswith(figure.surface)
            assert (figure.value, figure.unit) == (indicator.value, indicator.unit), indicator.slug
            raw = re.sub(r"\s", "", "".join(span.quote for span in item.spans))
            assert figure.surface in raw, (indicator.slug, raw)


def test_table_rows_are_all_covered(plan, indicators):
    slugs = {i.slug for i in indicators}
    categories = {"素质提升": "quality", "精准服务": "services", "依法维权": "rights"}
    assert {t.category for t in plan.tables} == set(categories)
    for table in plan.tables:
        for row in table.rows:
            numbers = sorted(int(s.rsplit("-", 1)[1]) for s in slugs if s.startswith(f"{categories[table.category]}-{row.number}-"))
            assert numbers and numbers == list(range(1, len(numbers) + 1)), (table.category, row.number)
    assert sum(1 for i in indicators if i.category) == 27
    assert sorted(s for s in slugs if s.startswith("item-")) == ["item-14-1", "item-35-1", "item-36-1", "item-36-2", "item-37-1"]


def test_table_indicators_cite_their_row_and_item_targets_cite_measures(indicators):
    for indicator in indicators:
        if indicator.category:
            row = indicator.slug.rsplit("-", 1)[0]
            assert indicator.evidence[0].unit == f"{TABLE_ROW}/{row}"
            assert all(e.unit.startswith("measure/") for e in indicator.evidence[1:])
        else:
            assert all(e.unit.startswith("measure/") for e in indicator.evidence)


def test_no_past_figures_or_scopes(plan, indicators):
    review = {i.number for i in plan.items if i.chapter == 1}
    assert not [i.slug for i in indicators if set(i.stated_in) & review]
    assert not [i.slug for i in indicators if i.unit == "人" and i.value == 25]  # 以25人以上非公所有制企业为重点


def test_table_chapters_are_derived_from_the_layout(plan):
    chapters = {t.category: table_chapter(t, plan) for t in plan.tables}
    assert chapters == {"素质提升": 4, "精准服务": 6, "依法维权": 7}
    assert any(t.after_item == 0 for t in plan.tables)  # the 素质提升 table opens page 3


def test_a_row_no_item_restates_is_stated_in_the_closest_chapter_item(plan, units, corpus):
    without_24 = [u for u in units if u.item != 24]
    indicators = {i.slug: i for i in extract_indicators(plan, without_24, corpus)}
    indicator = indicators["rights-1-1"]
    chapter_7 = [i for i in plan.items if i.chapter == 7]
    assert _units_of(indicator) == [f"{TABLE_ROW}/rights-1"]
    assert indicator.stated_in == (closest_item("集体合同签订率", chapter_7),) == (24,)
    assert closest_item("劳模选树管理", [i for i in plan.items if i.chapter == 4]) == 13


def test_sorted_and_deterministic(plan, units, corpus, indicators):
    assert [i.slug for i in indicators] == sorted(i.slug for i in indicators)
    assert extract_indicators(plan, units, corpus) == indicators


def test_every_indicator_has_an_english_label(indicators):
    for indicator in indicators:
        assert indicator.label_en and indicator.label_en.isascii(), indicator.slug


# --- indicators-en.yaml --------------------------------------------------------------------


def _write(tmp_path: Path, records: dict[str, dict[str, str]]) -> Path:
    path = tmp_path / INDICATORS_FILE
    path.write_text(yaml.safe_dump({"indicators": records}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture()
def records() -> dict[str, dict[str, str]]:
    return {slug: {"zh": zh, "en": en} for slug, (zh, en) in load_indicator_labels().items()}


def test_the_real_file_loads(records, indicators):
    assert curated_file(INDICATORS_FILE).is_file()
    assert set(records) == {i.slug for i in indicators}


def test_a_missing_entry_names_the_file_and_slug(tmp_path, records, indicators):
    del records["rights-1-1"]
    with pytest.raises(SourceError, match=r"indicators-en\.yaml.*rights-1-1"):
        with_english_labels(indicators, _write(tmp_path, records))


def test_an_entry_without_indicator_names_the_file_and_slug(tmp_path, records, indicators):
    records["rights-9-1"] = {"zh": "不存在", "en": "Does not exist"}
    with pytest.raises(SourceError, match=r"indicators-en\.yaml, line \d+: indicators\[rights-9-1\]"):
        with_english_labels(indicators, _write(tmp_path, records))


def test_a_stale_zh_names_the_file_and_slug(tmp_path, records, indicators):
    records["quality-3-1"]["zh"] = "创新工作室"
    with pytest.raises(SourceError, match=r"indicators-en\.yaml, line \d+: indicators\[quality-3-1\].*zh"):
        with_english_labels(indicators, _write(tmp_path, records))


@pytest.mark.parametrize(("change", "message"), [
    ({"en": "创新工作室"}, "CJK"),
    ({"en": " padded"}, "white space"),
    ({"extra": "x"}, "exactly zh and en"),
])
def test_bad_records_name_the_file_and_slug(tmp_path, records, change, message):
    records["quality-3-1"].update(change)
    with pytest.raises(SourceError, match=rf"indicators-en\.yaml, line \d+: indicators\[quality-3-1\].*{message}"):
        load_indicator_labels(_write(tmp_path, records))


def test_bad_slug_and_duplicate_slug(tmp_path, records):
    bad = dict(records, **{"Quality_1": {"zh": "甲", "en": "A"}})
    with pytest.raises(SourceError, match=r"indicators\[Quality_1\]: the slug must be"):
        load_indicator_labels(_write(tmp_path, bad))
    path = tmp_path / INDICATORS_FILE
    path.write_text('indicators:\n  item-1-1: {zh: "甲", en: "A"}\n  item-1-1: {zh: "乙", en: "B"}\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"indicators\[item-1-1\]: the slug appears 2 times"):
        load_indicator_labels(path)


def test_with_english_labels_sets_the_label(indicators):
    blank = [replace(i, label_en=None) for i in indicators]
    assert with_english_labels(blank) == indicators
