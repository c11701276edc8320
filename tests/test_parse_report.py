"""The 2022 work report excerpt (file 003): sections, points and 2023 tasks, read from the real corpus."""

from __future__ import annotations

import re

import dataclasses

import pytest

from policykg.build.model import LaterDocument, Section
from policykg.build.parse_report import DOCUMENT, clean_report, parse_report
from policykg.build.text import chinese_number
from policykg.build.sources import SourceText, load_corpus
from policykg.errors import ParseError

FILE = "003_3e78385779fe9d26.txt"


@pytest.fixture(scope="module")
def source() -> SourceText:
    return load_corpus()[FILE]


@pytest.fixture(scope="module")
def report(source: SourceText) -> LaterDocument:
    return parse_report(source)


@pytest.fixture(scope="module")
def by_key(report: LaterDocument) -> dict[str, Section]:
    return {section.key: section for section in report.sections}


def children(report: LaterDocument, key: str) -> list[Section]:
    return [section for section in report.sections if section.parent == key]


def modified(source: SourceText, old: str, new: str) -> SourceText:
    assert source.text.count(old) == 1, old
    return dataclasses.replace(source, text=source.text.replace(old, new))


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


# --- structure ---------------------------------------------------------------------------

def test_document_and_reading_order(report: LaterDocument) -> None:
    assert report.document == DOCUMENT
    keys = [section.key for section in report.sections]
    assert keys[:3] == ["2022-1", "2022-1-2", "2022-1-3"]
    assert keys.index("2022-6-3") < keys.index("2023-overall") < keys.index("2023-1")
    assert keys[-2:] == ["2023-4", "2023-4-1"]


def test_review_sections(report: LaterDocument, by_key: dict[str, Section]) -> None:
    top = [section.key for section in report.sections if section.kind == "report-section"]
    assert top == [f"2022-{n}" for n in range(1, 7)]
    assert by_key["2022-2"].title == "在新的起点上谋划推进产业工人队伍建设改革"
    assert by_key["2022-3"].title == "以新就业形态劳动者群体为重点深化维权服务"
    assert by_key["2022-4"].title == "以更大力度坚决维护劳动领域政治安全"
    assert by_key["2022-5"].title == "整体推进工会改革创新发展"
    assert by_key["2022-6"].title == "深入推进工会系统党的建设高质量发展"
    for n in range(2, 7):
        section = by_key[f"2022-{n}"]
        assert section.number == n and section.parent is None
        assert section.text.startswith("（") and section.title in section.text


def test_headless_first_section(report: LaterDocument, by_key: dict[str, Section]) -> None:
    first = by_key["2022-1"]
    assert first.title is None
    assert "heading not in the corpus: the file starts inside this section" in first.notes
    points = children(report, "2022-1")
    assert [p.number for p in points] == [2, 3]
    assert points[0].title == "掀起学习宣传贯彻党的二十大精神的热潮"
    assert first.text == "".join(p.text for p in points)
    assert (first.span.start, first.span.end) == (points[0].span.start, points[-1].span.end)


def test_review_points(report: LaterDocument, by_key: dict[str, Section]) -> None:
    for n in range(2, 7):
        points = children(report, f"2022-{n}")
        assert [p.key for p in points] == [f"2022-{n}-{i}" for i in (1, 2, 3)]
        assert all(p.kind == "report-point" for p in points)
    assert by_key["2022-2-1"].title == "多措并举深化改革"
    assert by_key["2022-2-3"].title == "叫响做实大国工匠品牌"
    assert by_key["2022-5-3"].title == "加强理论研究"


def test_letter_spaced_point_is_found(by_key: dict[str, Section]) -> None:
    point = by_key["2022-4-2"]
    assert point.title == "深化长效机制建设"
    assert point.text.startswith("二是深化长效机制建设。召开2022年全国工会")
    assert "二 是" in point.span.quote  # the raw slice keeps the letter-spacing


def test_numbers_split_by_line_breaks_are_rejoined(by_key: dict[str, Section]) -> None:
    text = by_key["2022-2-2"].text
    assert "100.5万人次" in text
    assert "帮助30万职工提升学历水平" in text
    assert "30\n万" in by_key["2022-2-2"].span.quote
    assert "知识50问" in by_key["2022-2-1"].text
    assert "调解成功率82.84%" in by_key["2022-4-3"].text


def test_unmarked_paragraphs_stay_in_last_review_point(by_key: dict[str, Section]) -> None:
    point = by_key["2022-6-3"]
    assert "服务国家总体外交大局" in point.text
    assert point.text.endswith("依法全面履行审查审计监督职责。")
    assert any("no point marker" in note for note in point.notes)


def test_2023_overall_and_tasks(report: LaterDocument, by_key: dict[str, Section]) -> None:
    overall = by_key["2023-overall"]
    assert (overall.kind, overall.number, overall.parent) == ("task", 0, None)
    assert overall.title == "2023年工会工作总体要求"
    assert overall.text.startswith("2023年是全面贯彻落实党的二十大精神的开局之年")
    assert overall.text.endswith("团结奋斗的磅礴力量。")
    sections = [s for s in report.sections if s.kind == "task" and s.parent is None and s.number]
    assert [s.key for s in sections] == ["2023-1", "2023-2", "2023-3", "2023-4"]
    assert [s.title for s in sections] == [
        "深入学习宣传贯彻党的二十大精神，坚定拥护“两个确立”、坚决做到“两个维护”",
        "围绕推动高质量发展、实现经济运行整体好转，持之以恒深化产业工人队伍建设改革",
        "扎实做好疫情防控新形势下的维权服务工作，努力解决职工群众的急难愁盼问题",
        "加强职工队伍风险隐患排查化解，切实维护劳动领域政治安全",
    ]
    assert [len(children(report, s.key)) for s in sections] == [3, 3, 3, 1]
    assert by_key["2023-1-2"].title == "加强工会组织党的建设"
    assert by_key["2023-3-1"].title == "突出维护职工劳动经济权益"
    assert by_key["2023-3-1"].parent == "2023-3"


def test_file_is_cut_off_at_the_end(source: SourceText, by_key: dict[str, Section]) -> None:
    last = by_key["2023-4-1"]
    assert last.text.endswith("扎实开展年度专项排查化解工作。")
    assert last.span.end == len(source.text.rstrip())
    assert any("cut off" in note for note in last.notes)
    assert any("cut off" in note for note in by_key["2023-4"].notes)


# --- invariants --------------------------------------------------------------------------

def test_spans_are_raw_slices(source: SourceText, report: LaterDocument) -> None:
    for section in report.sections:
        span = section.span
        assert span.file == FILE
        assert source.text[span.start:span.end] == span.quote, section.key
        assert span.quote == span.quote.strip(), section.key


def test_points_lie_inside_their_section(report: LaterDocument, by_key: dict[str, Section]) -> None:
    for section in report.sections:
        if section.parent is not None:
            parent = by_key[section.parent]
            assert parent.span.start <= section.span.start < section.span.end <= parent.span.end
            assert section.text in parent.text


def test_keys_unique_and_parents_known(report: LaterDocument, by_key: dict[str, Section]) -> None:
    assert len(by_key) == len(report.sections)
    for section in report.sections:
        assert section.parent is None or section.parent in by_key
        assert section.kind in {"report-section", "report-point", "task"}
        assert section.key.startswith("2022-") == section.kind.startswith("report-")


def test_clean_texts(report: LaterDocument) -> None:
    for section in report.sections:
        for value in (section.text, section.title or ""):
            # the only white space left is a lone space between two Chinese phrases ("喜迎二十大 建功新时代")
            assert not re.search(r"\s(?<! )|(?<![\u4e00-\u9fff]) |\s(?![\u4e00-\u9fff])", value), section.key
            assert "**" not in value and "," not in value and "(" not in value, section.key
        assert section.text, section.key
        assert section.title is None or not section.title.endswith("。"), section.key


def test_every_character_lands_in_a_section(source: SourceText, report: LaterDocument) -> None:
    """Cleaning only drops white space, and the top-level texts tile the clean body but for the part heading."""
    clean = clean_report(source).text
    assert sum(not char.isspace() for char in clean) == sum(not char.isspace() for char in source.text)
    top = [s for s in report.sections if s.parent is None]
    heading = "二、2023年工会工作总体要求和主要任务"
    assert clean.count(heading) == 1
    assert "".join(s.text for s in top) == clean.replace(heading, "")
    overall = next(s for s in top if s.key == "2023-overall")
    assert any(heading in note for note in overall.notes)  # the one heading that is no section is recorded
    for section in top:
        points = children(report, section.key)
        if points:
            assert section.text.endswith("".join(p.text for p in points)), section.key


def test_chinese_number() -> None:
    assert [chinese_number(n) for n in ("一", "九", "十", "十二", "二十", "九十九")] == [1, 9, 10, 12, 20, 99]
    with pytest.raises(ValueError):
        chinese_number("十十")


# --- malformed input ---------------------------------------------------------------------

def test_missing_tasks_part_is_an_error(source: SourceText) -> None:
    truncated = dataclasses.replace(source, text=source.text[:source.text.index("二、2023年")])
    with pytest.raises(ParseError) as error:
        parse_report(truncated)
    assert error.value.file == FILE
    assert "二、2023年" in error.value.problem
    assert error.value.line == truncated.text.count("\n") + 1


def test_point_out_of_sequence_is_an_error(source: SourceText) -> None:
    broken = modified(source, "三是叫响做实", "四是叫响做实")
    with pytest.raises(ParseError) as error:
        parse_report(broken)
    assert error.value.file == FILE
    assert "四是叫响做实" in error.value.problem
    assert error.value.line == line_of(broken.text, "四是叫响做实")


def test_section_out_of_sequence_is_an_error(source: SourceText) -> None:
    broken = modified(source, "（三）以新就业", "（四）以新就业")
    with pytest.raises(ParseError) as error:
        parse_report(broken)
    assert error.value.file == FILE and "（四）" in error.value.problem
    assert error.value.line == line_of(broken.text, "（四）以新就业")


def test_unterminated_section_heading_is_an_error(source: SourceText) -> None:
    text = source.text[:source.text.index("（四）加强职工队伍")] + "（四）加强职工队伍风险隐患排查"
    with pytest.raises(ParseError) as error:
        parse_report(dataclasses.replace(source, text=text))
    assert error.value.file == FILE and "has no 。" in error.value.problem


def test_part_heading_without_an_end_is_an_error(source: SourceText) -> None:
    """Run into the next line, the heading has no short line to end on: refuse rather than guess."""
    broken = modified(source, "\n和主要任务\n", "和主要任务")
    with pytest.raises(ParseError) as error:
        parse_report(broken)
    assert error.value.file == FILE and "does not end on a short line" in error.value.problem
    assert error.value.line == line_of(broken.text, "二、2023年")
