"""The plan parser against facts of the corpus: outline, bodies, parts, measures, variants, bad input."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from policykg.build.curated import load_label_records
from policykg.build.parse_plan import parse_plan
from policykg.build.sources import load_corpus
from policykg.build.text import MappedText, clean_chinese
from policykg.errors import ParseError

COPY_A = "000_2a1e229b78a33fef.txt"
COPY_B = "002_b55960e92c6e2bf2.txt"
PAGE_3 = "001_42e14eb1134fccac.txt"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def plan(corpus):
    return parse_plan(corpus)


def item(plan, number):
    return plan.items[number - 1]


def with_text(corpus, name, text):
    """The corpus with one file's text replaced (hash checks do not apply to parse tests)."""
    changed = dict(corpus)
    changed[name] = replace(corpus[name], text=text)
    return changed


# --- outline -------------------------------------------------------------------------


def test_twelve_chapters_and_forty_six_items_numbered_in_order(plan):
    assert [c.number for c in plan.chapters] == list(range(1, 13))
    assert [i.number for i in plan.items] == list(range(1, 47))


def test_titles_match_the_independently_curated_table_of_contents(plan):
    """labels-en.yaml records each TOC title by hand; the parser must agree on all 58."""
    curated = load_label_records()
    for chapter in plan.chapters:
        assert chapter.title == curated[f"chapter/{chapter.number}"][0]
    for plan_item in plan.items:
        assert plan_item.title == curated[f"item/{plan_item.number}"][0], plan_item.number


def test_spot_titles(plan):
    assert item(plan, 16).title == "维护新就业形态劳动者合法权益"
    assert item(plan, 12).title == "广泛深入持久开展劳动和技能竞赛"  # copy A's TOC drops 持久; 3 of 4 witnesses have it
    assert item(plan, 21).title == "实施提升职工生活品质行动"  # the TOC, not page 3's heading 实施服务…
    assert item(plan, 31).title == "拓展工会和职工国际交流交往合作的深度和广度"  # copy B's TOC splits it
    assert plan.chapters[8].title == "深化工会和职工对外交流交往合作，为推动构建人类命运共同体作贡献"
    assert not any(i.title.endswith("。") for i in plan.items)


def test_items_belong_to_their_chapters(plan):
    by_chapter = {}
    for plan_item in plan.items:
        by_chapter.setdefault(plan_item.chapter, []).append(plan_item.number)
    assert by_chapter[1] == [1, 2]
    assert by_chapter[2] == [3, 4, 5]
    assert by_chapter[5] == [14, 15, 16, 17, 18]
    assert by_chapter[10] == list(range(33, 41))
    assert by_chapter[12] == [44, 45, 46]


def test_plan_title_and_date(plan):
    assert plan.title == "中国工运事业和工会工作“十四五”发展规划"
    assert plan.issued == "2021-07-16"


# --- bodies ---------------------------------------------------------------------------


def test_bodies_exactly_for_items_1_to_37(plan):
    assert [i.number for i in plan.items if i.text] == list(range(1, 38))
    for plan_item in plan.items[37:]:
        assert plan_item.text is None and not plan_item.measures and not plan_item.body_spans


def test_copy_a_misnumbering_is_resolved_by_title(plan):
    for number, printed in ((11, 1), (12, 2), (13, 3)):
        assert item(plan, number).text
        assert any(f"prints it as {printed}." in note for note in item(plan, number).notes)
    assert item(plan, 11).text.startswith("强化系统集成")


def test_item_10_is_joined_across_the_table_of_contents_block(plan):
    text = item(plan, 10).text
    assert text.startswith("按照政治上保证、制度上落实")
    assert "增强改革的系统性、整体性、协同性。健全产业工人队伍建设改革情况监督检查" in text
    assert text.endswith("形成一批具有部门、地方、产业和企业特色的改革成果。")


def test_split_paragraphs_are_joined(plan):
    assert "战略基点，积极加强就业创业服务" in item(plan, 2).text  # copy B, across its TOC box
    assert "服务职工“最后一公里”问题有效解决" in item(plan, 5).parts[4].text  # copy B, across its TOC box
    assert "加强职工院校和职业培训机构建设。" in item(plan, 19).text  # page 3, a column break
    assert "围绕2025年全国总成立100周年" in item(plan, 7).text  # a second paragraph of item 7


def test_no_table_of_contents_line_or_marker_leaks_into_a_body(plan):
    toc_lines = [f"{i.number}.{i.title}。" for i in plan.items] + [c.title for c in plan.chapters]
    for plan_item in plan.items:
        body = plan_item.text or ""
        for line in toc_lines:
            assert line not in body, (plan_item.number, line)
        assert "下转" not in body and "上接" not in body and "\t" not in body and "目录" not in body
        # no foreign heading: an item body never contains another item's title as a heading
        for other in plan.items:
            if other.number != plan_item.number:
                assert not re.search(rf"(^|\n){re.escape(other.title)}。", body), (plan_item.number, other.number)


def test_item_bodies_do_not_leak_into_each_other(plan):
    # the text right after each item's body in the newspaper belongs to the next item
    assert "强化系统集成" not in item(plan, 10).text
    assert "点，积极加强就业创业服务" not in item(plan, 1).text
    assert "整体性、协同性。健全产业工人队伍建设改革情况" not in item(plan, 2).text
    assert "广度" not in item(plan, 10).text


def test_parts_of_items_2_4_5(plan):
    assert [p.title for p in item(plan, 2).parts] == [
        "进入新发展阶段工会面临新形势", "贯彻新发展理念工会面临新任务", "构建新发展格局工会面临新要求"]
    assert [p.title for p in item(plan, 4).parts] == [
        "坚持党的领导", "坚持正确方向", "坚持服务大局", "坚持职工为本", "坚持改革创新", "坚持法治保障"]
    goals = item(plan, 5).parts
    assert len(goals) == 6 and goals[0].title == "工会理论武装得到新加强" and goals[5].title == "工会组织建设呈现新活力"
    assert item(plan, 5).intro.startswith("今后5年")
    assert all(p.text for i in (2, 4, 5) for p in item(plan, i).parts)
    assert "贯彻创新发展理念" in item(plan, 2).parts[1].text  # copy A's second paragraph of part 2
    assert "贯彻创新发展理念" not in item(plan, 2).parts[2].text


def test_preamble(plan):
    assert plan.preamble.startswith("“十四五”时期是我国全面建成小康社会")
    assert plan.preamble.endswith("特制定本规划。")
    assert {s.file for s in plan.preamble_spans} == {COPY_A, COPY_B}


# --- measures and provenance ------------------------------------------------------------


def test_every_span_is_the_raw_slice(plan, corpus):
    spans = list(plan.title_spans) + list(plan.preamble_spans) + [plan.issued_span]
    for titled in list(plan.chapters) + list(plan.items) + [p for i in plan.items for p in i.parts]:
        spans += titled.title_spans + list(getattr(titled, "body_spans", []))
    for plan_item in plan.items:
        for measure in plan_item.measures:
            spans += measure.spans
    for variant in plan.variants:
        spans += [r.span for r in variant.readings]
    assert len(spans) > 500
    for span in spans:
        assert corpus[span.file].text[span.start:span.end] == span.quote


def test_measures_are_sentences_of_the_item_body(plan, corpus):
    for plan_item in plan.items:
        if not plan_item.text:
            continue
        assert plan_item.measures
        assert [m.number for m in plan_item.measures] == list(range(1, len(plan_item.measures) + 1))
        for measure in plan_item.measures:
            assert measure.text in plan_item.text
            assert not re.search("[。！？]", measure.text[:-1]), measure.text  # one sentence each
    sixteen = item(plan, 16).measures
    assert sixteen[0].text == "配合人社部门研究制定维护新就业形态劳动者劳动保障权益政策。"
    assert len(sixteen) == 8


def test_single_copy_measure_quote_cleans_to_its_text(plan, corpus):
    for measure in item(plan, 16).measures + item(plan, 24).measures:
        (span,) = measure.spans
        assert clean_chinese(MappedText.raw(corpus[span.file], span.start, span.end)).text == measure.text


def test_measure_split_by_the_layout_has_two_spans(plan):
    measure = next(m for m in item(plan, 10).measures if "协同性" in m.text)
    assert len(measure.spans) == 2
    assert measure.spans[0].quote.endswith("增强改革的系统性、")
    assert measure.spans[1].quote.startswith("整体性、协同性。")


def test_parts_carry_their_measures(plan):
    four = item(plan, 4)
    assert {m.part for m in four.measures} == set(range(1, 7))
    assert four.measures[0].text.startswith("将自觉接受党的领导作为工会根本政治原则")


# --- variants -------------------------------------------------------------------------


def test_variants_record_both_readings(plan):
    assert 20 <= len(plan.variants) <= 60
    for variant in plan.variants:
        assert len(variant.readings) >= 2
        assert any(r.chosen for r in variant.readings)
        assert variant.rule in {"majority", "dittography", "foreign-script", "base-copy"}
        assert len({r.text for r in variant.readings}) >= 2


def test_known_variants(plan):
    def find(site, a_text, b_text):
        for v in plan.variants:
            texts = {r.file: r.text for r in v.readings}
            if v.site == site and texts.get(COPY_A) == a_text and texts.get(COPY_B) == b_text:
                return v
        raise AssertionError(f"no variant {site} {a_text!r}/{b_text!r}")

    preamble = find("preamble/acftu-14th-fyp", "个五", "")  # 第一个五年 vs 第一年
    assert [r.chosen for r in preamble.readings] == [True, False] and preamble.rule == "base-copy"
    doubled = find("item/11", "", "做强")  # copy B: 做大做强做强
    assert doubled.rule == "dittography" and not doubled.readings[1].chosen
    find("item/13", "辅导", "导师")  # 劳模辅导员 vs 劳模导师员
    title = next(v for v in plan.variants if v.site == "item/12" and v.field == "title")
    assert title.rule == "majority"


def test_punctuation_width_is_not_a_variant(plan):
    for variant in plan.variants:
        texts = {r.text.replace(",", "，").replace(";", "；") for r in variant.readings}
        assert len(texts) >= 2, variant


def test_chosen_text_applies_the_chosen_readings(plan):
    assert "向第二个百年奋斗目标进军的第一个五年" in plan.preamble
    assert "做大做强全国产业工人学习社区" in item(plan, 11).text


# --- bad input ------------------------------------------------------------------------


def test_duplicated_item_number_in_the_table_of_contents(corpus):
    text = corpus[COPY_A].text.replace("17.做好农民工维权服务工作。", "16.做好农民工维权服务工作。", 1)
    with pytest.raises(ParseError, match=rf"{COPY_A}, line \d+: item number 16 appears twice"):
        parse_plan(with_text(corpus, COPY_A, text))


def test_missing_chapter_heading(corpus):
    a = corpus[COPY_A].text.replace("七、构建和谐劳动关系，推动共建共治共享社会治理", "构建和谐劳动关系")
    b = corpus[COPY_B].text.replace("七、构建和谐劳动关系,推动共建共治共享社会治理", "构建和谐劳动关系")
    changed = with_text(with_text(corpus, COPY_A, a), COPY_B, b)
    with pytest.raises(ParseError) as error:
        parse_plan(changed)
    assert "chapter 7" in str(error.value) and COPY_A in str(error.value)


def test_full_width_digits_in_an_item_number_are_read_as_numbers(corpus, plan):
    text = corpus[PAGE_3].text.replace("16. 维护新就业形态劳动者合法权益。", "１６. 维护新就业形态劳动者合法权益。", 1)
    assert text != corpus[PAGE_3].text
    reparsed = parse_plan(with_text(corpus, PAGE_3, text))
    assert reparsed.items[15].text == plan.items[15].text


def test_heading_that_names_no_item(corpus):
    text = corpus[PAGE_3].text.replace("16. 维护新就业形态劳动者合法权益。", "16. 完全不同的标题内容。", 1)
    with pytest.raises(ParseError, match=rf"{PAGE_3}, line \d+: heading '16\. 完全不同的标题内容"):
        parse_plan(with_text(corpus, PAGE_3, text))


def test_truncated_copy_loses_bodies_not_silently(corpus):
    """A page-3 file cut in half: items past the cut have no body, and nothing else changes."""
    text = corpus[PAGE_3].text
    cut = text.index("24. 推动完善构建和谐劳动关系制度机制")
    reparsed = parse_plan(with_text(corpus, PAGE_3, text[:cut]))
    assert [i.number for i in reparsed.items if i.text] == list(range(1, 24))


def test_no_table_of_contents(corpus):
    changed = {n: s for n, s in corpus.items() if n not in (COPY_A, COPY_B)}
    with pytest.raises(ParseError, match="names no item|no table of contents"):
        parse_plan(changed)
