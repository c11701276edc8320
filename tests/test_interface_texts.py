"""The one table of interface texts (api/interface-texts.yaml): its schema, its loader's messages, t() and text()."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from policykg.api import html
from policykg.api.html import InterfaceTextError, read_texts, templates, text, texts

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")
# The section a template's unqualified t("key") reads (the page module passes it as text_section).
TEMPLATE_SECTIONS = {
    "base.html": "common", "_macros.html": "common", "resource.html": "common", "home.html": "home",
    "search.html": "search", "item.html": "item", "source.html": "source", "network.html": "network",
    "dashboard.html": "dashboard", "query.html": "query", "_entity_macros.html": "entity",
    "population.html": "entity", "body.html": "entity", "indicator.html": "entity", "mention.html": "entity",
}
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.-]+)["']\s*[,)]""")


@pytest.fixture(scope="module")
def entries() -> list[html.InterfaceText]:
    return read_texts()


def test_every_entry_has_both_languages(entries) -> None:
    assert len(entries) > 250
    for entry in entries:
        where = f"{entry.section}.{entry.key} (line {entry.line})"
        assert entry.zh.strip() and entry.en.strip(), where
        assert CJK.search(entry.zh), f"{where}: no Chinese in zh"
        assert not CJK.search(entry.en), f"{where}: Chinese in en"


def test_no_text_is_written_twice(entries) -> None:
    """A text several pages use lives once, in common; the same zh and en under two keys is flagged."""
    keys: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entry in entries:
        keys[(entry.zh, entry.en)].append(f"{entry.section}.{entry.key} (line {entry.line})")
    assert not {pair: where for pair, where in keys.items() if len(where) > 1}


def test_sections_are_the_pages(entries) -> None:
    assert {entry.section for entry in entries} == {
        "common", "home", "search", "item", "source", "entity", "resource", "network", "dashboard", "query"}


def test_every_key_the_templates_name_exists() -> None:
    """Literal keys only: t("kind_" ~ kind) and the like are checked by the page tests that render them."""
    table = html.interface_texts()
    for path in sorted((ROOT / "api" / "templates").glob("*.html")):
        section = TEMPLATE_SECTIONS[path.name]
        for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
            where, _, name = key.rpartition(".")
            assert name in table.get(where or section, {}) or name in table["common"], f"{path.name}: t({key!r})"


def test_every_key_the_modules_name_exists() -> None:
    """``text(SECTION, "key", …)`` and ``t["key"]`` of a module's texts(SECTION, …) name keys that exist."""
    table = html.interface_texts()
    for name in ("itempage", "entitypages", "networkpage", "searchpage", "dashboard", "querypage"):
        source = (ROOT / "api" / f"{name}.py").read_text(encoding="utf-8")
        sections = set(re.findall(r'^(?:SOURCE_)?SECTION = "(\w+)"', source, re.M)) or {"search"}
        for key in re.findall(r"""\bt\[["']([A-Za-z0-9_-]+)["']\]""", source):
            assert any(key in table[s] for s in sections) or key in table["common"], f"{name}.py: t[{key!r}]"


# --------------------------------------------------------------------------- the loader's messages
GOOD = "common:\n  search: {zh: 搜索, en: Search}\n"


@pytest.mark.parametrize(("body", "line", "key", "problem"), [
    ("common:\n  search: {zh: 搜索}\n", 2, "common.search", "needs exactly zh and en"),
    ("common:\n  search: {zh: 搜索, en: Search, fr: Recherche}\n", 2, "common.search", "needs exactly zh and en"),
    ("common:\n  search: {zh: '', en: Search}\n", 2, "common.search.zh", "non-empty"),
    ("common:\n  search: {zh: 搜索, en: 12}\n", 2, "common.search.en", "non-empty text"),
    ("common:\n  search: {zh: Search, en: Search}\n", 2, "common.search.zh", "no Chinese"),
    ("common:\n  search: {zh: 搜索, en: 搜索 Search}\n", 2, "common.search.en", "has Chinese"),
    (GOOD + "  other: {zh: 其他, en: Other}\n  search: {zh: 查找, en: Find}\n", 4, "common.search", "given twice"),
    (GOOD + "common:\n  other: {zh: 其他, en: Other}\n", 3, "common", "given twice (first on line 1)"),
    ("- common\n", 1, "(file)", "expected a mapping"),
    (GOOD + "item:\n  search: {zh: 查找, en: Find}\n", 4, "item.search", "common has this key too"),
    (GOOD + "item:\n  plan item: {zh: 条目, en: Item}\n", 4, "item.plan item", "a key is a word"),
    (GOOD + "item: [a, b]\n", 3, "item", "expected a mapping"),
    (GOOD + "item:\n  search: 搜索\n", 4, "item.search", "expected a mapping"),
    (GOOD + "item:\n  x: {zh: 搜索, en: Search\n", 5, "(syntax)", ""),
])
def test_a_malformed_entry_is_named_by_file_line_and_key(tmp_path: Path, body: str, line: int, key: str,
                                                         problem: str) -> None:
    file = tmp_path / "interface-texts.yaml"
    file.write_text(body, encoding="utf-8")
    with pytest.raises(InterfaceTextError) as caught:
        read_texts(file)
    message = str(caught.value)
    assert message.startswith(f"{file}, line {line}: {key}: "), message
    assert problem in message
    assert (caught.value.file, caught.value.line, caught.value.key) == (file, line, key)


def test_a_good_file_loads(tmp_path: Path) -> None:
    file = tmp_path / "interface-texts.yaml"
    file.write_text(GOOD, encoding="utf-8")
    assert read_texts(file) == [html.InterfaceText("common", "search", "搜索", "Search", 2)]


# --------------------------------------------------------------------------- t(), text(), texts()
def test_text_reads_the_section_then_common() -> None:
    assert text("item", "plan_item", "zh") == "规划条目" and text("item", "plan_item", "en") == "Plan item"
    assert text("item", "search", "en") == "Search"  # from common
    assert text("search", "results", "en", total=3) == "3 results, grouped by kind:"
    with pytest.raises(KeyError, match="interface-texts.yaml"):
        text("item", "no_such_text", "zh")


def test_texts_is_a_pages_table_in_one_language() -> None:
    chinese, english = texts("entity", "zh"), texts("entity", "en")
    assert chinese.keys() == english.keys()
    assert chinese["broader"] == "上位群体" and english["broader"] == "Broader groups"
    assert english["search"] == "Search"  # common's texts too
    with pytest.raises(KeyError):
        texts("no-such-page", "zh")


def test_t_in_a_template_follows_the_pages_language_and_section() -> None:
    template = templates.from_string(
        '{{ t("plan_item") }}|{{ t("search") }}|{{ t("entity.broader") }}|{{ t("language_name", lang=other) }}|'
        '{{ t("search.results", total=2) }}')
    assert template.render(lang="zh", other="en", text_section="item") == "规划条目|搜索|上位群体|English|2 个结果，按类别分组："
    assert template.render(lang="en", other="zh", text_section="item") == \
        "Plan item|Search|Broader groups|中文|2 results, grouped by kind:"
    with pytest.raises(KeyError, match="plan_item"):  # common has no plan_item: a page must name its section
        templates.from_string('{{ t("plan_item") }}').render(lang="zh")


def test_the_file_is_installed_with_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = project["tool"]["setuptools"]["package-data"]["policykg.api"]
    assert "*.yaml" in data and html.TEXTS_FILE.name.endswith(".yaml")
    assert html.TEXTS_FILE.parent == Path(html.__file__).parent and html.TEXTS_FILE.is_file()
