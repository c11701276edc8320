"""Quoted names (build/extract/programmes.py, build/data/programmes.yaml; guidelines §3).

Three groups: the curated file's schema (broken copies in tmp_path must fail
with the file, the entry and its line), the rule and action machinery on small
strings, and facts of the corpus read from the source text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policykg.build.extract.programmes import (
    NOT_A_NAME,
    QUOTE,
    TITLE,
    action_before,
    classify_by_rules,
    derived_slug,
    extract_programmes,
    load_programmes,
    quoted_names,
)
from policykg.build.extract.units import TextUnit, later_units, plan_units
from policykg.errors import SourceError
from policykg.resources import curated_file

REAL = curated_file("programmes.yaml")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def units(corpus, plan, later) -> list[TextUnit]:
    return plan_units(plan, corpus) + later_units(later)


@pytest.fixture(scope="module")
def entries():
    return load_programmes()


@pytest.fixture(scope="module")
def extraction(units, corpus, entries):
    return extract_programmes(units, corpus, entries)


def _entry(entries, printed: str):
    marks = TITLE if printed[0] == "《" else QUOTE
    matches = [e for e in entries if e.marks == marks and printed[1:-1] in e.names]
    assert len(matches) == 1, printed
    return matches[0]


def _links_of(extraction, slug: str):
    return [link for link in extraction[1] if link.programme == slug]


# --------------------------------------------------------------------------- schema
def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = REAL.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the test's anchor {old!r} must occur once in programmes.yaml"
    path = tmp_path / "programmes.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _line_of(path: Path, anchor: str) -> int:
    """The 1-based line of the entry whose slug line is ``anchor``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [n for n, line in enumerate(lines, 1) if line.strip() == anchor]
    return found[-1]


BROKEN = [
    # (old text, new text, words the message must hold, the slug line of the entry at fault)
    ("zh: “会聚良缘”\n    class: brand", "zh: “会聚良缘”\n    class: brandd",
     ["programmes[gathering-good-matches]", "class 'brandd'"], "- slug: gathering-good-matches"),
    ('    en: "Ankang Cup workplace safety competition"\n', "",
     ["programmes[ankang-cup]", "missing 'en'"], "- slug: ankang-cup"),
    ("- slug: ankang-cup", "- slug: Ankang_Cup",
     ["programmes[Ankang_Cup]", "kebab-case"], "- slug: Ankang_Cup"),
    ("- slug: ankang-cup", "- slug: name-ankang",
     ["programmes[name-ankang]", "reserved"], "- slug: name-ankang"),
    ("- slug: ankang-cup", "- slug: work-safety-month",
     ["programmes[work-safety-month]", "used twice"], "- slug: work-safety-month"),
    ("zh: “安康杯”", "zh: “安全生产月”",
     ["programmes[ankang-cup]", "“安全生产月” is also a name of 'work-safety-month'"], "- slug: ankang-cup"),
    ("zh: 《工会法》\n    class: law", "zh: 《工会法》\n    class: campaign",
     ["programmes[trade-union-law]", "does not fit"], "- slug: trade-union-law"),
    ("zh: “安康杯”", "zh: 安康杯",
     ["programmes[ankang-cup]", "wrapped in its marks"], "- slug: ankang-cup"),
    ("aliases: [“服务季”]", "aliases: [《服务季》]",
     ["programmes[new-employment-forms-warm-service-season]", "other marks"],
     "- slug: new-employment-forms-warm-service-season"),
    ('en: "Ankang Cup workplace safety competition"', 'en: "安康杯 competition"',
     ["programmes[ankang-cup]", "'en' contains"], "- slug: ankang-cup"),
]


@pytest.mark.parametrize(("old", "new", "words", "anchor"), BROKEN, ids=[w[1] for _o, _n, w, _a in BROKEN])
def test_broken_copy_names_file_entry_and_line(tmp_path, old, new, words, anchor) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(SourceError) as caught:
        load_programmes(path)
    error = caught.value
    assert error.file == "programmes.yaml"
    for word in words:
        assert word in error.problem
    assert error.line == _line_of(path, anchor)


def test_wrong_top_level_is_refused(tmp_path) -> None:
    path = tmp_path / "programmes.yaml"
    path.write_text("names:\n  - slug: a\n", encoding="utf-8")
    with pytest.raises(SourceError, match="single key 'programmes'"):
        load_programmes(path)


def test_curated_file_loads_with_labels(entries) -> None:
    assert len({e.slug for e in entries}) == len(entries)
    for entry in entries:
        assert entry.label_en or entry.kind == NOT_A_NAME, entry.slug


# --------------------------------------------------------------------------- rules and actions
@pytest.mark.parametrize(("name", "marks", "kind"), [
    ("全国五一劳动奖章", QUOTE, "award"),
    ("最美快递员", QUOTE, "award"),
    ("职工互助保障基金", QUOTE, "fund"),
    ("送清凉活动", QUOTE, "campaign"),
    ("工会宣传月", QUOTE, "campaign"),
    ("职工服务平台", QUOTE, "platform"),
    ("十三五", QUOTE, NOT_A_NAME),
    ("三个代表", QUOTE, "slogan"),
    ("劳动光荣·技能宝贵", QUOTE, "slogan"),
    ("中华人民共和国劳动合同法", TITLE, "law"),
    ("关于加强新时代工会工作的若干措施", TITLE, "law"),
    ("工人日报", TITLE, "publication"),
    ("劳动法", QUOTE, None),  # a law suffix rules 《…》 names only
    ("南粤工匠", TITLE, None),
])
def test_rules_classify_by_shape(name, marks, kind) -> None:
    ruled = classify_by_rules(name, marks)
    assert (ruled[0] if ruled else None) == kind
    if ruled:
        assert ruled[1].startswith("rule:")


def test_quoted_names_nested_and_unbalanced() -> None:
    text = "制定《关于推进“兜底建”的意见》，开展“建功‘十四五’”活动”和“未闭合"
    found = [(q.name, q.marks, q.nested) for q in quoted_names(text)]
    assert found == [
        ("关于推进“兜底建”的意见", TITLE, False),
        ("兜底建", QUOTE, True),
        ("建功‘十四五’", QUOTE, False),
        ("十四五", QUOTE, True),
    ]


@pytest.mark.parametrize(("text", "name", "action"), [
    ("进一步推动贯彻落实《意见》", "《意见》", "贯彻落实"),  # 推动 is the body cue, not the action
    ("推动和参与《工会法》修订", "《工会法》", "参与"),
    ("推动制定《甲法》、《乙法》", "《乙法》", "推动制定"),  # a 、 list shares the verb
    ("联合发布2021年“甲”、2022年“乙”", "“乙”", "发布"),  # a year may stand between
    ("每年至少推树30名“最美家政人”", "“最美家政人”", "推树"),
    ("开展全国模范职工之家建设“结对共建”", "“结对共建”", None),  # 建设 is a noun here
    ("，建设全总“工会云”", "“工会云”", "建设"),
    ("以“主题”为主题", "“主题”", None),
    ("深入开展新修改的《工会法》", "《工会法》", None),
])
def test_action_is_the_verb_right_before_the_name(text, name, action) -> None:
    names = quoted_names(text)
    previous, result = None, "not found"
    for occurrence in names:
        found = action_before(text, occurrence.start, previous)
        previous = (occurrence, found)
        if text[occurrence.start:occurrence.end] == name:
            result = found
    assert result == action


# --------------------------------------------------------------------------- corpus facts
def test_sources_print_only_curly_quotes_and_book_titles(corpus) -> None:
    """The finder reads “…”, ‘…’ and 《…》: a source with straight or corner quotes would need it extended."""
    for name, source in corpus.items():
        assert not re.search(r'["「」『』]', source.text), name
        assert source.text.count("“") == source.text.count("”"), name
        assert source.text.count("《") == source.text.count("》"), name


def test_every_quoted_name_of_the_units_is_curated(units, entries, extraction) -> None:
    curated = {(e.marks, n) for e in entries for n in e.names}
    found = {(q.marks, q.name) for unit in units for q in quoted_names(unit.text)}
    assert len(found) > 100
    assert sorted(found - curated) == []
    assert extraction[2] == []  # nothing unclassified


def test_every_curated_name_is_printed_in_the_corpus(corpus, entries) -> None:
    """Catches typos and entries for names no source prints (white space ignored: the OCR breaks lines)."""
    raw = "".join("".join(source.text.split()) for source in corpus.values())
    for entry in entries:
        for name in entry.names:
            printed = "".join(f"{entry.marks[0]}{name}{entry.marks[1]}".split())
            assert printed in raw, (entry.slug, name)


def test_rules_agree_with_curated_classes(entries) -> None:
    agreed, disagreed = 0, []
    for entry in entries:
        for name in entry.names:
            ruled = classify_by_rules(name, entry.marks)
            if ruled is None:
                continue
            if ruled[0] == entry.kind:
                agreed += 1
            else:
                disagreed.append((name, entry.kind, ruled))
    assert disagreed == []
    assert agreed >= 50  # the rules cover a good part of the curated names, so the check has teeth


def test_union_supervision_measures_is_a_law_applied_by_item_24(entries, extraction) -> None:
    entry = _entry(entries, "《工会劳动法律监督办法》")
    assert entry.kind == "law"
    [link] = [link for link in _links_of(extraction, entry.slug) if link.evidence.unit.startswith("measure/24-")]
    assert link.action == "落实"
    assert link.evidence.surface == "《工会劳动法律监督办法》"


def test_harmonious_labour_relations_opinions_are_implemented(units, entries, extraction) -> None:
    entry = _entry(entries, "《中共中央 国务院关于构建和谐劳动关系的意见》")
    assert entry.kind == "law"
    [link] = _links_of(extraction, entry.slug)
    assert link.action == "贯彻落实"
    text = {u.path: u.text for u in units}[link.evidence.unit]
    assert text[:link.evidence.start].endswith("推动贯彻落实")  # the text: 进一步推动贯彻落实《…》


def test_fourteenth_five_year_plan_is_not_a_name(units, entries, extraction) -> None:
    entry = _entry(entries, "“十四五”")
    assert entry.kind == NOT_A_NAME
    assert sum(unit.text.count("“十四五”") for unit in units) > 10
    assert entry.slug not in {p.slug for p in extraction[0]}
    assert _links_of(extraction, entry.slug) == []
    assert all(p.name != "十四五" for p in extraction[0])


def test_one_letter_two_notices_is_a_practice(entries, extraction) -> None:
    entry = _entry(entries, "“一函两书”")
    assert entry.kind == "practice"
    assert [link.evidence.unit for link in _links_of(extraction, entry.slug)] == ["measure/24-10"]


def test_most_beautiful_domestic_worker_is_an_award(entries, extraction) -> None:
    entry = _entry(entries, "“最美家政人”")
    assert entry.kind == "award"
    [link] = _links_of(extraction, entry.slug)
    assert (link.evidence.unit, link.action) == ("measure/14-3", "推树")


def test_nested_name_is_linked_without_action(units, corpus, entries) -> None:
    """The only nested name in a linking unit of the corpus is ‘十四五’ (not-a-name): a made-up task shows it."""
    entry = _entry(entries, "“兜底建”")
    outer = _entry(entries, "《关于深入推进“兜底建”工作的指导意见》")
    [source] = [u for u in units if u.path == "report-point/2022-5-2"]
    task = TextUnit("task/test-1", "task", source.text, source.origins)
    _programmes, links, _unclassified = extract_programmes([task], corpus, entries)
    [inner_link] = [link for link in links if link.programme == entry.slug]
    [outer_link] = [link for link in links if link.programme == outer.slug]
    assert inner_link.action is None and outer_link.action == "制定"
    assert outer_link.evidence.start < inner_link.evidence.start < inner_link.evidence.end < outer_link.evidence.end


def test_report_names_are_classified_but_not_linked(units, entries, extraction) -> None:
    """The 2022 report's review is read (a new name there is unclassified) but, like bodies and populations, not linked."""
    law = _entry(entries, "《公司法》")  # printed in the report only
    assert any("《公司法》" in u.text for u in units if u.kind == "report")
    assert law.slug not in {p.slug for p in extraction[0]}
    assert not [link for link in extraction[1] if link.evidence.unit.startswith("report-")]
    assert any(link.evidence.unit.startswith("task/") for link in extraction[1])


def test_evidence_is_the_name_with_its_marks(units, corpus, extraction) -> None:
    texts = {u.path: u.text for u in units}
    programmes = {p.slug: p for p in extraction[0]}
    for link in extraction[1]:
        ev = link.evidence
        assert texts[ev.unit][ev.start:ev.end] == ev.surface
        assert ev.surface[0] in "“《" and ev.surface[-1] in "”》"
        assert ev.spans
        for span in ev.spans:
            assert corpus[span.file].text[span.start:span.end] == span.quote
        programme = programmes[link.programme]
        assert programme.classified_by == "curated"


def test_links_are_one_per_unit_and_programme_and_deterministic(units, corpus, entries, extraction) -> None:
    programmes, links, _unclassified = extraction
    keys = [(link.evidence.unit, link.programme) for link in links]
    assert len(keys) == len(set(keys))
    assert [p.slug for p in programmes] == sorted({p.slug for p in programmes})
    assert {link.programme for link in links} == {p.slug for p in programmes}
    assert NOT_A_NAME not in {p.kind for p in programmes}
    assert extract_programmes(units, corpus, entries) == extraction


def test_a_name_the_file_lacks_falls_to_the_rules(units, corpus, entries) -> None:
    cup = _entry(entries, "“安康杯”")
    programmes, links, unclassified = extract_programmes(units, corpus, [e for e in entries if e is not cup])
    [programme] = [p for p in programmes if p.name == "安康杯"]
    assert programme.slug == derived_slug("安康杯", QUOTE) and programme.slug.startswith("name-")
    assert (programme.kind, programme.classified_by, programme.label_en) == ("campaign", "rule:suffix campaign", None)
    assert any(link.programme == programme.slug for link in links)
    assert unclassified == []


def test_a_report_name_neither_layer_knows_is_unclassified(units, corpus, entries) -> None:
    campaign = _entry(entries, "“学查改”")  # printed in the report only; no rule fits it
    _programmes, _links, unclassified = extract_programmes(units, corpus, [e for e in entries if e is not campaign])
    assert [(ev.unit, ev.surface) for ev in unclassified] == [
        ("report-section/2022-6", "“学查改”"), ("report-point/2022-6-1", "“学查改”")]


def test_a_name_neither_layer_knows_is_unclassified(units, corpus, entries) -> None:
    practice = _entry(entries, "“一函两书”")
    programmes, links, unclassified = extract_programmes(units, corpus, [e for e in entries if e is not practice])
    assert [ev.surface for ev in unclassified] == ["“一函两书”"]
    assert unclassified[0].unit == "measure/24-10"
    assert all(p.name != "一函两书" for p in programmes)
