"""The 18th-congress summary (file 004): overall requirement, nine sections, sub-headings, lines, 八个要."""

from __future__ import annotations

import dataclasses
import re

import pytest

from policykg.build.model import LaterDocument, Section
from policykg.build.parse_congress import DOCUMENT, parse_congress
from policykg.build.sources import SourceText, load_corpus
from policykg.build.text import MappedText, clean_chinese
from policykg.errors import ParseError

FILE = "004_6ea1fc534c10ce2a.txt"
DECORATIVE = {"中国工会十八大精神图解", "中国工会今后五年的主要工作", "@工会干部", "请记住"}


@pytest.fixture(scope="module")
def source() -> SourceText:
    return load_corpus()[FILE]


@pytest.fixture(scope="module")
def summary(source: SourceText) -> LaterDocument:
    return parse_congress(source)


@pytest.fixture(scope="module")
def by_key(summary: LaterDocument) -> dict[str, Section]:
    return {section.key: section for section in summary.sections}


def children(summary: LaterDocument, key: str) -> list[Section]:
    return [section for section in summary.sections if section.parent == key]


def raw_outline(text: str) -> list[list[int]]:
    """Per ### (n) section, the number of lines under each #### sub-heading, counted from the raw file."""
    outline: list[list[int]] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("### ("):
            outline.append([])
            inside = True
        elif line.startswith("#### "):
            outline[-1].append(0)
        elif line.startswith("#"):
            inside = False  # any other heading ends the sections
        elif line.strip() and inside:
            outline[-1][-1] += 1
    return outline


def clean_line(source: SourceText, line: str) -> str:
    start = source.text.index(line)
    return clean_chinese(MappedText.raw(source, start, start + len(line)).delete(r"\*\*")).strip().text


def test_overall(summary: LaterDocument, by_key: dict[str, Section]) -> None:
    assert summary.document == DOCUMENT
    overall = summary.sections[0]
    assert overall.key == "18th-overall" and overall.title == "总体要求" and overall.number == 0
    assert overall.text.startswith("坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的二十大精神，")
    assert overall.text.endswith("发挥主力军作用。")


def test_nine_sections(summary: LaterDocument, by_key: dict[str, Section]) -> None:
    sections = [s for s in summary.sections if re.fullmatch(r"18th-\d+", s.key)]
    assert [s.number for s in sections] == list(range(1, 10))
    first = by_key["18th-1"]
    assert first.title == first.text == "坚持党的全面领导，引导职工群众更加紧密团结在党的周围"
    assert first.span.quote == "(一) 坚持党的全面领导, 引导职工群众更加紧密团结在党的周围"
    assert by_key["18th-5"].title == "突出抓好基层基础工作，打通服务职工群众“最后一公里”"
    assert by_key["18th-9"].title == "落实新时代全面从严治党要求，推动工会系统党的建设高质量发展"


def test_subheadings_and_lines_match_the_file(source: SourceText, summary: LaterDocument) -> None:
    outline = raw_outline(source.text)
    assert [len(section) for section in outline] == [2, 4, 4, 3, 3, 2, 4, 2, 4]
    parsed = [[len(children(summary, h.key)) for h in children(summary, f"18th-{s}")] for s in range(1, 10)]
    assert parsed == outline


def test_subheading_and_line_texts(by_key: dict[str, Section]) -> None:
    heading = by_key["18th-1-1"]
    assert heading.title == heading.text == "坚持不懈用习近平新时代中国特色社会主义思想凝心铸魂"
    line = by_key["18th-1-1-1"]
    assert line.title is None and line.parent == "18th-1-1"
    assert line.text == "巩固拓展学习贯彻习近平新时代中国特色社会主义思想主题教育成果"
    assert not line.span.quote.endswith(" ")
    assert by_key["18th-5-2-4"].text == "加强工业园（区）、乡镇（街道）、村（社区）工会、区域性行业性工会联合会建设"
    assert by_key["18th-3-4-5"].text.endswith("培育选树1000个基层协调劳动关系公共服务样板站点")


def test_eight_musts(summary: LaterDocument, by_key: dict[str, Section]) -> None:
    group = by_key["18th-eight-musts"]
    assert group.title == "八个要" and group.parent is None
    assert group.text.startswith("党的十八大以来，习近平总书记") and group.text.endswith("强调——")
    musts = children(summary, "18th-eight-musts")
    assert [m.key for m in musts] == [f"18th-eight-musts-{n}" for n in range(1, 9)]
    assert musts[0].text == ("要坚持党对工运事业和工会工作的领导，永远保持自觉接受党的领导这一优良传统，"
                             "坚定不移走中国特色社会主义工会发展道路。")
    assert all(m.text.startswith("要") and m.text.endswith("。") for m in musts)
    assert musts[0].span.quote.startswith("要**坚持")  # leading ** left out, inner ** kept


def test_spans_keys_and_clean_texts(source: SourceText, summary: LaterDocument, by_key: dict[str, Section]) -> None:
    assert len(by_key) == len(summary.sections)
    for section in summary.sections:
        span = section.span
        assert source.text[span.start:span.end] == span.quote, section.key
        assert span.quote == span.quote.strip(" *#\n"), section.key
        assert section.kind == "task"
        assert section.parent is None or section.parent in by_key
        for value in (section.text, section.title or ""):
            assert "\n" not in value and "**" not in value and "#" not in value, section.key
            assert "," not in value and "(" not in value, section.key
        assert section.text, section.key


def test_every_line_lands_in_a_section(source: SourceText, summary: LaterDocument) -> None:
    """Each text line is one section's text; each heading is a title or one of the decorative ones."""
    texts = [section.text for section in summary.sections]
    titles = {section.title for section in summary.sections}
    content_lines = [line.strip() for line in source.text.splitlines() if line.strip()]
    for line in content_lines:
        if line.startswith("#"):
            heading = re.sub(r"^#+\s*(\(\S+\)\s*)?", "", line)
            cleaned = clean_line(source, heading)
            assert {cleaned, cleaned.strip("“”")} & (titles | DECORATIVE), line  # “八个要” is titled 八个要
        else:
            assert clean_line(source, line) in texts, line
    body_lines = [line for line in content_lines if not line.startswith("#")]
    assert len(body_lines) == sum(1 for s in summary.sections if s.title is None) + 2  # + overall and intro


# --- malformed input ---------------------------------------------------------------------

def test_too_few_sections_is_an_error(source: SourceText) -> None:
    truncated = dataclasses.replace(source, text=source.text[:source.text.index("### (六)")])
    with pytest.raises(ParseError) as error:
        parse_congress(truncated)
    assert error.value.file == FILE
    assert "5 section(s)" in error.value.problem and "9" in error.value.problem


def test_section_out_of_sequence_is_an_error(source: SourceText) -> None:
    broken = dataclasses.replace(source, text=source.text.replace("### (三)", "### (四)", 1))
    with pytest.raises(ParseError) as error:
        parse_congress(broken)
    assert error.value.file == FILE
    assert error.value.line == 55 and "section (四)" in error.value.problem


def test_missing_must_is_an_error(source: SourceText) -> None:
    last = source.text.rindex("\n\n**要**")
    with pytest.raises(ParseError) as error:
        parse_congress(dataclasses.replace(source, text=source.text[:last]))
    assert error.value.file == FILE and "八个要" in error.value.problem and "7" in error.value.problem


def test_text_outside_a_subheading_is_an_error(source: SourceText) -> None:
    anchor = "### (二) 聚焦高质量发展这个首要任务, 组织职工群众建功立业、创新创造\n"
    broken = dataclasses.replace(source, text=source.text.replace(anchor, anchor + "孤立的一行\n", 1))
    with pytest.raises(ParseError) as error:
        parse_congress(broken)
    assert error.value.file == FILE and "孤立的一行" in error.value.problem and error.value.line == 26
