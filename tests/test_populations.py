"""build/data/populations.yaml and build/extract/populations.py: the scheme, and which sentences name which group.

Schema tests read the real file and broken copies of it; behaviour tests run
the linker over the parsed corpus (session fixtures) and check facts of the
text: item 16 names 新就业形态劳动者, 女职工 is not 职工, 职工书屋 names nobody.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policykg.build.extract.lexicon import Entry, Lexicon
from policykg.build.extract.populations import (
    LIST_WORDS,
    MENTIONED,
    PRIMARY,
    find_populations,
    item_salience,
    link_populations,
)
from policykg.build.extract.units import MEASURE, TASK, TITLE, TextUnit, later_units, plan_units
from policykg.build.extract.vocabulary import (
    POPULATIONS_FILE,
    SLUG,
    load_lexicon,
    load_populations,
    not_names,
)
from policykg.build.model import Evidence, PopulationLink
from policykg.build.text import MappedText, clean_chinese
from policykg.errors import PolicyKGError, SourceError
from policykg.resources import curated_file

REQUIRED_ZH = (
    "职工 产业工人 技术工人 高技能人才 一线职工 农民工 农民工子女 新就业形态劳动者 平台网约劳动者 "
    "快递员 外卖配送员 网约车司机 货车司机 灵活就业人员 家政服务人员 女职工 适婚职工 困难职工家庭 "
    "深度困难职工家庭 相对困难职工家庭 意外致困职工家庭 劳动模范 工匠人才 大国工匠 户外劳动者 港澳台职工 "
    "高校毕业生 伤亡职工 会员 工会干部 社会化工会工作者 集体协商指导员 劳动者 八大群体"
).split()
REQUIRED_SLUGS = {"职工": "workers", "新就业形态劳动者": "new-employment-form-workers",
                  "快递员": "couriers", "外卖配送员": "food-delivery-riders"}
REQUIRED_ALIASES = {"model-workers": "劳模", "ride-hailing-drivers": "网约出行", "truck-drivers": "网约货运"}
# concepts that stand apart from the unions' constituency (职工); everything else reaches `workers`
TOPS = {"workers", "working-class", "union-staff", "middle-income-group", "new-social-strata"}


# --------------------------------------------------------------------------- the scheme
@pytest.fixture(scope="module")
def scheme():
    return {p.slug: p for p in load_populations()}


def ancestors(scheme, slug: str) -> set[str]:
    seen, stack = set(), list(scheme[slug].broader)
    while stack:
        parent = stack.pop()
        if parent not in seen:
            seen.add(parent)
            stack.extend(scheme[parent].broader)
    return seen


def test_required_concepts_are_present_by_chinese_label(scheme):
    by_zh = {p.label_zh: p.slug for p in scheme.values()}
    missing = [zh for zh in REQUIRED_ZH if zh not in by_zh]
    assert not missing, f"no concept with zh {missing}"
    for zh, slug in REQUIRED_SLUGS.items():
        assert by_zh[zh] == slug
    for slug, alias in REQUIRED_ALIASES.items():
        assert alias in scheme[slug].aliases


def test_slugs_are_kebab_case_and_labels_are_filled(scheme):
    for slug, population in scheme.items():
        assert SLUG.match(slug), slug
        assert population.label_en.strip() and not re.search(r"[\u4e00-\u9fff]", population.label_en), slug
        if population.note is not None:
            assert not re.search(r"[\u4e00-\u9fff]", population.note), f"{slug}: the note is an English scopeNote"


def test_hierarchy_resolves_and_reaches_workers(scheme):
    for slug, population in scheme.items():
        assert set(population.broader) <= set(scheme), slug
    assert {slug for slug, p in scheme.items() if not p.broader} == TOPS
    for slug in set(scheme) - TOPS:
        assert len(ancestors(scheme, slug) & TOPS) == 1, f"{slug} sits under more than one top concept"
    assert {"new-employment-form-workers", "workers"} <= ancestors(scheme, "couriers")
    assert "workers" in ancestors(scheme, "women-workers")
    assert "workers" in ancestors(scheme, "families-in-hardship")
    assert "union-staff" in ancestors(scheme, "collective-bargaining-instructors")
    assert "workers" not in ancestors(scheme, "union-cadres")


def test_list_words_are_aliases_of_the_groups_they_stand_for():
    lexicon = load_lexicon()
    expected = {"快递": "couriers", "外卖": "food-delivery-riders", "网约出行": "ride-hailing-drivers",
                "网约货运": "truck-drivers", "家政": "domestic-workers"}
    for word, slug in expected.items():
        assert word in LIST_WORDS
        assert lexicon.entries[word].key == slug


def test_every_not_name_hides_a_group_word_and_occurs_in_the_corpus(corpus, plan, later):
    names = not_names(curated_file(POPULATIONS_FILE))
    surfaces = {s for p in load_populations() for s in (p.label_zh, *p.aliases)}
    text = "\n".join(u.text for u in plan_units(plan, corpus) + later_units(later))
    for name in names:
        assert any(s in name for s in surfaces), f"{name} contains no population name; it shadows nothing"
        assert name in text, f"{name} does not occur in the corpus"
    for example in ("职工书屋", "职工之家", "职工服务中心", "职工代表大会", "职工文化", "劳模和工匠人才创新工作室"):
        assert example in names


# --------------------------------------------------------------------------- broken copies
def broken_copy(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    text = curated_file(POPULATIONS_FILE).read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the fixture text {old!r} must occur once in the real file"
    path = tmp_path / POPULATIONS_FILE
    broken = text.replace(old, new)
    path.write_text(broken, encoding="utf-8")
    return path, broken


def slug_line(text: str, slug: str) -> int:
    return text.splitlines().index(f"  - slug: {slug}") + 1


@pytest.mark.parametrize(
    ("slug", "old", "new", "problem"),
    [
        ("couriers", "    zh: 快递员\n    en: Couriers\n", "    zh: 快递员\n", "missing 'en'"),
        ("couriers", "    aliases: [快递]\n    broader: [new-employment-form-workers, eight-groups]\n",
         "    aliases: [快递]\n    broader: [new-employment-form-workers, no-such-group]\n", "broader 'no-such-group'"),
        ("workers", "    zh: 职工\n    en: Workers\n", "    zh: 职工\n    en: Workers\n    broader: [couriers]\n",
         "its own ancestor"),
        # the second concept to claim a name is the one at fault
        ("model-workers", "    aliases: [广大职工,", "    aliases: [劳模, 广大职工,", "“劳模” is also a name of 'workers'"),
    ],
    ids=["missing-en", "unknown-broader", "cycle", "duplicate-alias"],
)
def test_a_broken_copy_is_refused_with_file_slug_and_line(tmp_path, slug, old, new, problem):
    path, text = broken_copy(tmp_path, old, new)
    with pytest.raises(SourceError) as caught:
        load_populations(path)
    error = caught.value
    assert error.file == POPULATIONS_FILE
    assert slug in error.problem
    assert problem in error.problem
    assert error.line == slug_line(text, slug)
    assert f"{POPULATIONS_FILE}, line {error.line}" in str(error)


def test_list_words_missing_from_the_lexicon_are_refused():
    lexicon = Lexicon([Entry("职工", "population", "workers", "test")])
    with pytest.raises(PolicyKGError, match="快递"):
        find_populations("快递、外卖等行业的职工", lexicon)


# --------------------------------------------------------------------------- links over the corpus
@pytest.fixture(scope="module")
def units(corpus, plan, later) -> list[TextUnit]:
    return plan_units(plan, corpus) + later_units(later)


@pytest.fixture(scope="module")
def links(units, corpus) -> list[PopulationLink]:
    return link_populations(units, load_lexicon(), corpus)


@pytest.fixture(scope="module")
def salience(links, units) -> dict[tuple[int, str], str]:
    return item_salience(links, units)


def linked(links, unit: str) -> dict[str, PopulationLink]:
    return {link.population: link for link in links if link.evidence.unit == unit}


def in_item(links, item: int) -> list[PopulationLink]:
    return [link for link in links if re.fullmatch(rf"(measure/{item}-\d+|item/{item})", link.evidence.unit)]


def unit_text(units, path: str) -> str:
    return next(u.text for u in units if u.path == path)


def occurrences(text: str, word: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(word), text)]


def overlaps(link: PopulationLink, spans: list[tuple[int, int]]) -> bool:
    return any(link.evidence.start < end and start < link.evidence.end for start, end in spans)


def test_item_16_names_new_employment_form_and_platform_workers(links, salience):
    populations = {link.population for link in in_item(links, 16) if link.evidence.unit.startswith("measure/")}
    assert {"new-employment-form-workers", "platform-workers"} <= populations
    assert salience[16, "new-employment-form-workers"] == PRIMARY


def test_industry_words_in_a_list_stand_for_their_workers(links):
    measure = linked(links, "measure/16-6")  # 快递、外卖、网约出行、网约货运、家政、保洁等灵活就业人员较多的行业
    assert {"couriers", "food-delivery-riders", "ride-hailing-drivers", "truck-drivers", "domestic-workers"} <= set(measure)
    assert measure["couriers"].evidence.surface == "快递"


def test_an_industry_word_outside_a_list_is_no_group(units):
    task = unit_text(units, "task/2023-3-2")
    clause = task[task.index("推动头部平台企业"):task.index("建立与工会")]
    assert "快递行业龙头企业" in clause
    assert [m.key for m in find_populations(clause, load_lexicon())] == []


def test_item_36_names_couriers_and_food_delivery_riders(links):
    populations = {link.population for link in in_item(links, 36)}
    assert {"couriers", "food-delivery-riders", "truck-drivers", "ride-hailing-drivers"} <= populations
    assert linked(links, "measure/36-7")["couriers"].evidence.surface == "快递员"


def test_women_workers_are_not_workers(links, salience, units):
    assert salience[18, "women-workers"] == PRIMARY
    for link in in_item(links, 18):
        if link.population == "workers":
            assert not overlaps(link, occurrences(unit_text(units, link.evidence.unit), "女职工")), link
    # 18-2 and 18-3 say 职工 only inside 女职工
    for measure in ("measure/18-2", "measure/18-3"):
        assert "women-workers" in linked(links, measure)
        assert "workers" not in linked(links, measure)


def test_families_in_hardship_are_not_workers(links, units):
    assert "families-in-hardship" in linked(links, "measure/20-2")
    for link in in_item(links, 20):
        if link.population == "workers":
            assert not overlaps(link, occurrences(unit_text(units, link.evidence.unit), "困难职工家庭")), link
    assert "workers" not in linked(links, "measure/20-2")
    types = linked(links, "measure/20-3")  # 深度困难、相对困难、意外致困等不同困难类型的困难职工家庭
    assert {"families-in-deep-hardship", "families-in-relative-hardship", "families-in-sudden-hardship"} <= set(types)


def test_names_of_things_name_nobody(links, salience):
    assert linked(links, "task/18th-3-2-2") == {}  # 工人文化宫、职工书屋、工人疗养院、服务中心
    assert linked(links, "measure/22-3") == {}  # 工会户外劳动者服务站点
    assert linked(links, "measure/10-2") == {}  # 完善合力推进产业工人队伍建设改革的工作格局
    assert salience[10, "industrial-workers"] == MENTIONED  # only 10-1 names the workforce itself
    assert "model-workers" not in linked(links, "measure/13-6")  # 劳模和工匠人才创新工作室
    measure = linked(links, "measure/15-3")  # 职工代表大会、厂务公开以及职工董事职工监事
    assert "workers" not in measure and "workers-representatives" not in measure
    assert {"employee-directors", "employee-supervisors"} <= set(measure)


def test_a_group_word_inside_a_quoted_name_is_no_link(links, units):
    measure = linked(links, "measure/13-3")  # 持续开展“最美职工”、“大国工匠”等主题宣传
    assert "“最美职工”" in unit_text(units, "measure/13-3")
    assert "workers" not in measure and "great-craftsmen" not in measure  # names of publicity campaigns
    assert "model-workers" in measure  # 做好劳模和五一劳动奖 …, outside the quotes
    assert "eight-groups" not in linked(links, "measure/36-7")  # 持续深化“八大群体”入会工作: a set phrase


def test_a_book_title_names_nobody(units):
    task = unit_text(units, "task/2023-1-1")
    title = task[task.index("《"):task.index("》") + 1]
    assert title == "《习近平关于工人阶级和工会工作论述摘编》"
    assert find_populations(title, load_lexicon()) == []
    assert [m.key for m in find_populations(title.strip("《》"), load_lexicon())] == ["working-class"]


def test_links_are_traced_to_the_raw_text(links, corpus, units):
    by_path = {u.path: u for u in units}
    names = {p.slug: {p.label_zh, *p.aliases} for p in load_populations()}
    assert links
    for link in links:
        ev = link.evidence
        assert ev.surface == by_path[ev.unit].text[ev.start:ev.end]
        assert ev.surface in names[link.population], link
        assert ev.spans
        for span in ev.spans:
            assert corpus[span.file].text[span.start:span.end] == span.quote
        cleaned = "".join(clean_chinese(MappedText.raw(corpus[s.file], s.start, s.end)).text for s in ev.spans)
        assert cleaned == ev.surface, link


def test_one_link_per_unit_and_population_at_its_first_occurrence(links, units):
    keys = [(link.evidence.unit, link.population) for link in links]
    assert len(keys) == len(set(keys))
    assert not any(link.evidence.unit.startswith("report-") for link in links)
    text = unit_text(units, "measure/17-1")  # 农民工 three times
    assert linked(links, "measure/17-1")["migrant-workers"].evidence.start == text.index("农民工")


def test_linking_is_deterministic(units, corpus, links):
    again = link_populations(list(units), load_lexicon(), corpus)
    assert again == links
    order = {u.path: i for i, u in enumerate(units)}
    positions = [(order[link.evidence.unit], link.evidence.start) for link in links]
    assert positions == sorted(positions)
    assert item_salience(again, units) == item_salience(links, units)


def test_salience_over_the_corpus(salience):
    assert set(salience.values()) == {PRIMARY, MENTIONED}
    assert salience[17, "migrant-workers"] == PRIMARY  # the title
    assert salience[11, "industrial-workers"] == PRIMARY
    assert salience[16, "couriers"] == MENTIONED  # one measure of eight
    assert all(isinstance(item, int) for item, _slug in salience)


# --------------------------------------------------------------------------- the salience rule
def fake_unit(path: str, kind: str, item: int | None) -> TextUnit:
    return TextUnit(path, kind, "职工", (("fake.txt", 0), ("fake.txt", 1)), item)


def fake_link(unit: str, population: str) -> PopulationLink:
    return PopulationLink(population, Evidence(unit, 0, 2, "职工", ()))


def test_salience_needs_the_title_or_more_than_half_of_the_measures():
    units = [fake_unit("item/1", TITLE, 1), *(fake_unit(f"measure/1-{n}", MEASURE, 1) for n in (1, 2, 3, 4)),
             fake_unit("task/2023-1", TASK, None)]
    links = [
        fake_link("item/1", "a"),                                                   # the title names it
        fake_link("measure/1-1", "b"), fake_link("measure/1-2", "b"),               # 2 of 4: not more than half
        *(fake_link(f"measure/1-{n}", "c") for n in (1, 2, 3)),                     # 3 of 4
        fake_link("measure/1-4", "d"),
        *(fake_link("task/2023-1", slug) for slug in ("a", "e")),                   # tasks have no item
    ]
    assert item_salience(links, units) == {(1, "a"): PRIMARY, (1, "b"): MENTIONED, (1, "c"): PRIMARY,
                                           (1, "d"): MENTIONED}
