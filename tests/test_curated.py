"""build/curated.py and build/data/labels-en.yaml: the English labels and their schema."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from policykg.build.curated import LABELS_FILE, load_english_labels, load_label_records
from policykg.errors import SourceError
from policykg.resources import curated_file, sources_dir

COPY_A = "000_2a1e229b78a33fef.txt"
COPY_B = "002_b55960e92c6e2bf2.txt"
CHINESE_NUMERALS = "一 二 三 四 五 六 七 八 九 十 十一 十二".split()


@pytest.fixture(scope="module")
def records() -> dict[str, tuple[str, str]]:
    return load_label_records()


def write_labels(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "labels-en.yaml"
    path.write_text("labels:\n" + body, encoding="utf-8")
    return path


GOOD_ENTRY = '  item/1: {zh: "指导思想", en: "Guiding thought"}\n'


# --- the real file -------------------------------------------------------------


def test_real_file_passes_the_schema(records):
    assert curated_file(LABELS_FILE).is_file()
    assert records  # loading validated every entry
    english = load_english_labels()
    assert english == {key: en for key, (_zh, en) in records.items()}


def test_real_file_covers_the_plan_chapters_items_and_documents(records):
    assert {key for key in records if key.startswith("chapter/")} == {f"chapter/{n}" for n in range(1, 13)}
    assert {key for key in records if key.startswith("item/")} == {f"item/{n}" for n in range(1, 47)}
    assert {key for key in records if key.startswith(("plan/", "document/"))} == {
        "plan/acftu-14th-fyp",
        "document/acftu-2022-work-report",
        "document/acftu-18th-congress-summary",
    }
    assert len(records) == 12 + 46 + 3 + 3


def test_real_file_names_each_indicator_table_category(records, plan):
    """The category labels are keyed by the category word of each table's title."""
    categories = {zh for key, (zh, _en) in records.items() if key.startswith("category/")}
    assert categories == {table.category for table in plan.tables} == {"素质提升", "精准服务", "依法维权"}


def test_english_labels_are_sentence_case(records):
    for key, (_zh, en) in records.items():
        assert en[0].isupper(), key
        assert "  " not in en, key


def _toc_lines(name: str) -> set[str]:
    """The lines of a copy, normalised: no list dashes, full-width commas, no white space."""
    text = (sources_dir() / name).read_text(encoding="utf-8")
    lines = set()
    for line in text.splitlines():
        line = re.sub(r"^\s*-\s*", "", line)
        line = re.sub(r"\s+", "", unicodedata.normalize("NFC", line)).replace(",", "，")
        if line:
            lines.add(line)
    return lines


def test_chinese_titles_are_the_table_of_contents_wording(records):
    lines = _toc_lines(COPY_A) | _toc_lines(COPY_B)
    for n in range(1, 13):
        zh = records[f"chapter/{n}"][0]
        assert f"{CHINESE_NUMERALS[n - 1]}、{zh}" in lines, f"chapter/{n}: {zh}"
    for n in range(1, 47):
        zh = records[f"item/{n}"][0]
        if n == 31:  # copy B breaks this title over two lines; copy A prints it whole
            assert f"{n}.{zh}。" in _toc_lines(COPY_A)
            continue
        assert f"{n}.{zh}。" in lines, f"item/{n}: {zh}"


def test_chinese_titles_use_full_width_punctuation(records):
    for key, (zh, _en) in records.items():
        assert not re.search(r"[,;:!?]", zh), key
        assert not zh.endswith("。"), key


def test_where_the_copies_differ(records):
    # chapter 9: copy A's wording (copy B leaves out 交往)
    assert records["chapter/9"][0] == "深化工会和职工对外交流交往合作，为推动构建人类命运共同体作贡献"
    # item 12: copy B's wording, with 持久
    assert records["item/12"][0] == "广泛深入持久开展劳动和技能竞赛"


def test_spot_checks(records):
    zh, en = records["item/16"]
    assert zh == "维护新就业形态劳动者合法权益"
    assert "new forms of employment" in en
    assert "reform of the industrial workforce" in records["item/10"][1]
    assert (
        "the spirit of model workers, the spirit of labour and the spirit of craftsmanship"
        in records["item/13"][1]
    )
    assert "smart trade unions" in records["chapter/8"][1]
    assert records["plan/acftu-14th-fyp"][0] == "中国工运事业和工会工作“十四五”发展规划"
    assert "14th Five-Year Plan" in records["plan/acftu-14th-fyp"][1]


# --- the schema ----------------------------------------------------------------


def test_a_good_fixture_loads(tmp_path):
    path = write_labels(tmp_path, GOOD_ENTRY)
    assert load_english_labels(path) == {"item/1": "Guiding thought"}
    assert load_label_records(path) == {"item/1": ("指导思想", "Guiding thought")}


@pytest.mark.parametrize(
    ("entry", "key", "problem"),
    [
        pytest.param('  Item 7: {zh: "以理想信念教育职工", en: "Educating workers"}\n', "Item 7", "resource path", id="bad-key"),
        pytest.param('  section/7: {zh: "以理想信念教育职工", en: "Educating workers"}\n', "section/7", "resource path", id="unknown-kind"),
        pytest.param('  item/7: {zh: "以理想信念教育职工"}\n', "item/7", "missing 'en'", id="missing-en"),
        pytest.param('  item/7: {zh: "以理想信念教育职工", en: "Educating workers", fr: "x"}\n', "item/7", "unexpected 'fr'", id="extra-field"),
        pytest.param('  item/7: {zh: "以理想信念教育职工", en: "以理想信念 workers"}\n', "item/7", "CJK", id="cjk-en"),
        pytest.param('  item/7: {zh: "以理想信念教育职工", en: "Educating workers，in ideals"}\n', "item/7", "CJK", id="full-width-comma-en"),
        pytest.param('  item/7: {zh: "以理想信念教育职工", en: "Educating workers."}\n', "item/7", "trailing full stop", id="trailing-period"),
        pytest.param('  item/7: {zh: "以理想信念教育职工。", en: "Educating workers"}\n', "item/7", "trailing full stop", id="trailing-zh-stop"),
        pytest.param('  item/7: {zh: "", en: "Educating workers"}\n', "item/7", "non-empty string", id="empty-zh"),
        pytest.param('  item/7: {zh: "以理想信念教育职工", en: 7}\n', "item/7", "non-empty string", id="non-string-en"),
        pytest.param('  item/7: "Educating workers"\n', "item/7", "mapping", id="bare-string"),
        pytest.param(GOOD_ENTRY, "item/1", "more than once", id="duplicate-key"),
    ],
)
def test_a_bad_entry_raises_source_error_naming_the_key(tmp_path, entry, key, problem):
    path = write_labels(tmp_path, GOOD_ENTRY + entry)
    with pytest.raises(SourceError) as caught:
        load_label_records(path)
    error = caught.value
    assert error.file == "labels-en.yaml"
    assert repr(key) in error.problem
    assert problem in error.problem
    assert error.line == 3  # the bad entry is the second under `labels:`
    with pytest.raises(SourceError):
        load_english_labels(path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("- item/1\n", "single key 'labels'", id="a-list"),
        pytest.param("names:\n" + GOOD_ENTRY, "single key 'labels'", id="wrong-top-key"),
        pytest.param("labels:\n" + GOOD_ENTRY + "extra: 1\n", "single key 'labels'", id="extra-top-key"),
        pytest.param("labels: []\n", "non-empty mapping", id="labels-a-list"),
        pytest.param("labels:\n  item/1: {zh: [\n", "not valid YAML", id="broken-yaml"),
    ],
)
def test_a_bad_file_raises_source_error(tmp_path, text, problem):
    path = tmp_path / "labels-en.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        load_label_records(path)
    assert caught.value.file == "labels-en.yaml"
    assert problem in caught.value.problem


def test_a_missing_file_raises_source_error(tmp_path):
    with pytest.raises(SourceError, match="file not found"):
        load_label_records(tmp_path / "labels-en.yaml")
