"""build/data/bodies.yaml and build/extract/bodies.py: the bodies, their schema, and their roles in the text."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from policykg.build.extract.bodies import CUES, LEAD, ROLES, link_bodies
from policykg.build.extract.lexicon import Lexicon
from policykg.build.extract.units import REPORT, TASK, TextUnit, later_units, plan_units
from policykg.build.extract.vocabulary import BODIES_FILE, load_bodies, load_lexicon
from policykg.build.model import Body, BodyLink
from policykg.build.sources import SourceText
from policykg.errors import SourceError
from policykg.resources import curated_file

# Names the guidelines (§2) and the corpus require, with the body each must mean.
REQUIRED = {
    "中华全国总工会": "acftu", "全总": "acftu",
    "各级工会": "all-level-unions",
    "省级总工会": "provincial-federations", "市级总工会": "municipal-federations", "县级总工会": "county-federations",
    "地方工会": "local-unions", "地方总工会": "local-unions", "各地工会": "local-unions",
    "产业工会": "industrial-unions", "基层工会": "grassroots-unions", "企业工会": "enterprise-unions",
    "工会小组": "union-groups", "女职工委员会": "women-workers-committees", "工会联合会": "union-federations",
    "党委": "party-committees", "政府": "governments",
    "人社部门": "human-resources-social-security-departments",
    "人力资源社会保障部门": "human-resources-social-security-departments",
    "国务院国资委": "sasac", "科技部": "ministry-of-science-and-technology", "全国人大": "npc",
    "司法行政部门": "judicial-administration-departments", "全国妇联": "acwf",
    "中央广播电视总台": "china-media-group", "国务院安委会": "state-council-work-safety-committee",
    "行业主管部门": "industry-authorities", "劳动保障监察机构": "labour-inspection-agencies",
    "国际劳工组织": "ilo", "金砖国家工会论坛": "brics-trade-union-forum",
    "二十国集团劳动会议": "g20-labour-meeting", "亚欧劳工论坛": "asia-europe-labour-forum",
    "美团": "meituan", "饿了么": "eleme", "滴滴": "didi", "京东": "jd-com",
    "平台企业": "platform-enterprises", "平台运营企业": "platform-enterprises",
}
UNION_LEVELS = ("local-unions", "provincial-federations", "municipal-federations", "county-federations",
                "industrial-unions", "national-industrial-unions", "grassroots-unions", "enterprise-unions",
                "union-groups", "women-workers-committees", "union-federations")
NOT_BODIES = ("工会", "工会组织", "工会系统", "全国工会", "中国工会")


@pytest.fixture(scope="module")
def bodies() -> list[Body]:
    return load_bodies()


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


@pytest.fixture(scope="module")
def units(corpus, plan, later) -> list[TextUnit]:
    return plan_units(plan, corpus) + later_units(later)


@pytest.fixture(scope="module")
def links(units, lexicon, corpus) -> list[BodyLink]:
    return link_bodies(units, lexicon, corpus)


def links_of(links: list[BodyLink], unit: str, body: str | None = None) -> list[BodyLink]:
    return [link for link in links if link.evidence.unit == unit and (body is None or link.body == body)]


# --- the vocabulary ------------------------------------------------------------


def test_required_names_mean_their_bodies(lexicon):
    for surface, slug in REQUIRED.items():
        entry = lexicon.entries.get(surface)
        assert entry is not None and (entry.kind, entry.key) == ("body", slug), surface


def test_the_bare_union_words_are_not_bodies(lexicon):
    for surface in NOT_BODIES:
        entry = lexicon.entries.get(surface)
        assert entry is None or entry.kind != "body", surface


def test_union_levels_are_parts_of_the_acftu(bodies):
    parent = {b.slug: b.sub_organization_of for b in bodies}
    kind = {b.slug: b.kind for b in bodies}
    for slug in UNION_LEVELS:
        assert kind[slug] == "union", slug
        chain, node = [], slug
        while node is not None:
            chain.append(node)
            node = parent[node]
        assert chain[-1] == "acftu", (slug, chain)
    assert parent["all-level-unions"] is None  # the category includes the ACFTU itself


def test_kinds_of_the_other_bodies(bodies):
    kind = {b.slug: b.kind for b in bodies}
    assert {kind[s] for s in ("meituan", "eleme", "didi", "jd-com", "netease", "vipshop")} == {"company"}
    assert kind["platform-enterprises"] == "enterprise-category"
    assert {kind[s] for s in ("ilo", "brics-trade-union-forum", "g20-labour-meeting")} == {"international"}
    assert kind["party-committees"] == "party" and kind["sasac"] == "state" and kind["npc"] == "legislature"


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = curated_file(BODIES_FILE).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / BODIES_FILE
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _slug_line(path: Path, slug: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.strip() == f"- slug: {slug}")


@pytest.mark.parametrize(("slug", "old", "new", "words"), [
    ("meituan", "en: Meituan\n    kind: company", "en: Meituan\n    kind: shop", "kind 'shop'"),
    ("sasac", "aliases: [国务院国资委, 国资委]\n    sub-organization-of: state-council",
     "aliases: [国务院国资委, 国资委]\n    sub-organization-of: cabinet", "sub-organization-of 'cabinet'"),
    ("acwf", "aliases: [全国妇联]", "aliases: [全国妇联, 全总]", "also a name of 'acftu'"),
    ("acwf", "aliases: [全国妇联]", "aliases: [全国妇联, 全国妇联]", "listed twice"),
])
def test_a_broken_copy_names_file_entry_and_line(tmp_path, slug, old, new, words):
    path = _broken_copy(tmp_path, old, new)
    with pytest.raises(SourceError) as caught:
        load_bodies(path)
    error = caught.value
    assert error.file == BODIES_FILE
    assert error.line == _slug_line(path, slug)
    assert f"bodies[{slug}]" in str(error) and words in str(error)


# --- the links -----------------------------------------------------------------


def test_supported_partner_addressed_and_lead_on_corpus_facts(links):
    (link,) = links_of(links, "measure/16-1", "human-resources-social-security-departments")
    assert (link.role, link.cue, link.evidence.surface) == ("supported", "配合", "人社部门")
    (link,) = links_of(links, "measure/16-5", "platform-enterprises")
    assert (link.role, link.cue, link.evidence.surface) == ("addressed", "督促", "平台运营企业")
    (link,) = links_of(links, "measure/36-10", "sasac")
    assert (link.role, link.cue, link.evidence.surface) == ("partner", "联合", "国务院国资委")
    (link,) = links_of(links, "measure/24-7", "acftu")
    assert (link.role, link.cue, link.evidence.surface) == ("lead", None, "全总")


def test_each_union_level_of_a_training_quota_leads_even_when_elided(links):
    """各省、市级总工会每年培训…: 省 stands for 省级总工会 (the shared rest is written once)."""
    roles = {(link.body, link.role, link.evidence.surface) for link in links_of(links, "measure/24-7")}
    assert ("provincial-federations", "lead", "省、市级总工会") in roles
    assert ("municipal-federations", "lead", "市级总工会") in roles
    assert ("county-federations", "lead", "县级总工会") in roles
    assert ("county-and-above-unions", "involved", "县级以上工会组织") in roles


def test_a_union_leads_where_its_predicate_follows_it(links):
    """各产业工会全委会委员… and 基层工会组织设置… name the union as a possessor; 实现基层工会按期换届选举 as an actor."""
    assert [link.role for link in links_of(links, "measure/37-4", "industrial-unions")] == ["involved"]
    assert [link.role for link in links_of(links, "measure/5-7", "grassroots-unions")] == ["involved"]
    assert [link.role for link in links_of(links, "measure/22-2", "all-level-unions")] == ["lead"]
    assert [link.role for link in links_of(links, "measure/35-4", "grassroots-unions")] == ["lead"]


def _read(sentence: str, lexicon: Lexicon) -> set[tuple[str, str, str | None]]:
    """The (body, role, cue) links of one made-up task sentence."""
    source = SourceText("made-up.txt", "document/made-up", "test", "", sentence)
    unit = TextUnit("task/made-up", TASK, sentence, tuple((source.name, i) for i in range(len(sentence))))
    return {(link.body, link.role, link.cue) for link in link_bodies([unit], lexicon, {source.name: source})}


@pytest.mark.parametrize(("sentence", "expected"), [
    ("各级工会积极推广", {("all-level-unions", "lead", None)}),
    ("在各级工会积极推广", {("all-level-unions", "involved", None)}),  # the object of a preposition
    ("党委每年推广", {("party-committees", "involved", None)}),  # only a union body leads
    ("鼓励各级工会积极推广", {("all-level-unions", "addressed", "鼓励")}),  # the cue wins
    ("开展“各级工会每年推广”活动", {("all-level-unions", "involved", None)}),  # part of a “…” name
    ("协助党委和政府、科技部推广", {(s, "supported", "协助") for s in ("party-committees", "governments",
                                                           "ministry-of-science-and-technology")}),
    ("推动头部平台企业推广", {("platform-enterprises", "addressed", "推动")}),  # a modifier between
    ("推动各地推广，党委要求", {("party-committees", "involved", None)}),  # a cue before a verb governs nothing
    ("与全国妇联一道推广", {("acwf", "partner", "与…一道")}),
    ("加强与全国妇联的交流", {("acwf", "involved", None)}),
    ("学习《中共中央关于工会工作的意见》", set()),  # a document title
])
def test_rules_on_made_up_sentences(lexicon, sentence, expected):
    assert _read(sentence, lexicon) == expected


def test_the_with_frame(links):
    (link,) = links_of(links, "task/2023-2-3", "ministry-of-science-and-technology")
    assert (link.role, link.cue) == ("partner", "与…联合")
    # 推动各地工会建立健全与劳动保障监察机构的联动协作机制: a joint word after 的
    (link,) = links_of(links, "measure/24-10", "labour-inspection-agencies")
    assert (link.role, link.cue) == ("partner", "与…联动")
    (link,) = links_of(links, "measure/24-10", "local-unions")
    assert (link.role, link.cue) == ("addressed", "推动")
    # 深化与国际劳工组织有关的南南合作项目: "related to" the ILO, no joint action
    assert [link.role for link in links_of(links, "measure/31-8", "ilo")] == ["involved"]


def test_a_list_shares_its_cue(units, lexicon, corpus):
    """The 2022 report is not linked, but its sentence on the platform companies shows list sharing."""
    point = next(u for u in units if u.path == "report-point/2022-3-1")
    assert link_bodies([point], lexicon, corpus) == []
    read = link_bodies([dataclasses.replace(point, kind=TASK)], lexicon, corpus)
    pushed = {(link.body, link.role, link.cue) for link in read if link.evidence.surface in ("美团", "饿了么", "滴滴", "平台企业")}
    assert pushed == {(slug, "addressed", "推动") for slug in ("meituan", "eleme", "didi", "platform-enterprises")}


def test_item_31_names_the_ilo_and_the_forums(links):
    item_31 = {link.body: link.role for link in links if link.evidence.unit.startswith("measure/31-")}
    assert "ilo" in item_31
    assert all(item_31[slug] == "involved" for slug in ("g20-labour-meeting", "brics-trade-union-forum", "asia-europe-labour-forum"))


def test_bare_union_is_never_a_body(links):
    assert not links_of(links, "measure/2-5")  # 工会面临的机遇和挑战都前所未有
    assert not links_of(links, "measure/36-1")  # …构建纵横交错、覆盖广泛的工会组织体系
    assert not {link.evidence.surface for link in links} & set(NOT_BODIES)


def test_names_inside_other_names_are_not_links(links, units, lexicon):
    assert not links_of(links, "measure/24-1")  # 《中共中央 国务院关于构建和谐劳动关系的意见》
    assert not links_of(links, "measure/34-1", "peoples-congresses")  # 产业工人大军
    assert not {link.body for link in links_of(links, "measure/37-5")} & {"peoples-congresses", "cppcc"}  # 人大代表 …
    # 加强工会小组建设，选好工会小组长: the second is a group of people, not the body
    measure = next(unit for unit in units if unit.path == "measure/35-5")
    assert [m.surface for m in lexicon.find(measure.text, kinds=("body",))] == ["工会小组"]
    assert not [link for link in links if link.evidence.unit.startswith("task/18th-8-1") and link.body == "hong-kong-macao-unions"]


def test_every_link_is_well_formed(links, units, corpus, bodies):
    text = {unit.path: unit.text for unit in units}
    kind = {b.slug: b.kind for b in bodies}
    assert links
    for link in links:
        assert link.role in ROLES and link.body in kind
        assert (link.cue is not None) == (link.role not in (LEAD, "involved")), link
        evidence = link.evidence
        assert text[evidence.unit][evidence.start:evidence.end] == evidence.surface
        assert evidence.spans
        for span in evidence.spans:
            assert corpus[span.file].text[span.start:span.end] == span.quote
        if link.role == LEAD:
            assert kind[link.body] == "union", link


def test_one_link_per_unit_body_and_role_in_a_stable_order(links, units, lexicon, corpus):
    keys = [(link.evidence.unit, link.body, link.role) for link in links]
    assert len(keys) == len(set(keys))
    assert link_bodies(units, lexicon, corpus) == links
    order = {unit.path: n for n, unit in enumerate(units)}
    positions = [(order[link.evidence.unit], link.evidence.start) for link in links]
    assert positions == sorted(positions)
    assert not [link for link in links if link.evidence.unit.startswith(("report-", "table-"))]
    assert {unit.kind for unit in units if unit.path in {link.evidence.unit for link in links}} <= {"measure", "title", TASK}
    assert REPORT not in {unit.kind for unit in units if unit.path in {link.evidence.unit for link in links}}


def test_the_cue_table_uses_the_roles():
    assert set(CUES.values()) <= set(ROLES) - {LEAD, "involved"}
