"""Continuity of later tasks with plan items: the scored rule and the curated overrides."""

from __future__ import annotations

import pytest

from policykg.build.extract.continuity import MAX_ITEMS, THRESHOLD, load_overrides
from policykg.build.model import Extraction
from policykg.errors import SourceError


def pairs(extraction: Extraction, decided_by: str | None = None) -> set[tuple[str, int]]:
    return {(c.task, c.item) for c in extraction.continuations if decided_by in (None, c.decided_by)}


def test_the_rule_links_tasks_that_restate_an_item(extraction: Extraction) -> None:
    rule = pairs(extraction, "rule")
    assert ("task/18th-7-3-3", 39) in rule  # 严格工会经费审查审计监督 / 加强工会经费审查审计监督
    assert ("task/18th-9-3", 42) in rule  # 加强工会干部队伍建设 / 深化工会干部队伍建设
    assert ("task/2023-3-2", 16) in rule  # 新就业形态劳动者权益保障 / 维护新就业形态劳动者合法权益
    assert ("task/18th-3-2-8", 18) in rule  # 女职工合法权益 / 提升女职工维权服务水平
    assert ("task/18th-8-1", 32) in rule  # 港澳台工会和劳动界交流合作


def test_the_rule_is_conservative(extraction: Extraction) -> None:
    rule = [c for c in extraction.continuations if c.decided_by == "rule"]
    assert all(THRESHOLD <= c.score <= 1 for c in rule)
    per_task: dict[str, int] = {}
    for c in rule:
        per_task[c.task] = per_task.get(c.task, 0) + 1
    assert max(per_task.values()) <= MAX_ITEMS
    tasks = {c.task for c in rule}
    assert len(tasks) < 60  # of 166 tasks: most lines are too short or too general to tie to one item


def test_every_link_says_why(extraction: Extraction) -> None:
    for c in extraction.continuations:
        assert c.basis, c
        if c.decided_by == "rule":
            assert any(b.startswith("words:") or ":" in b for b in c.basis)


def test_curated_overrides_add_and_remove(extraction: Extraction) -> None:
    adds, removes = load_overrides()
    found = pairs(extraction)
    assert set(adds) <= found
    assert not (removes & found)
    assert ("task/18th-7-4", 28) in pairs(extraction, "curated")
    assert ("task/18th-3-2-9", 41) not in found  # 援藏援疆 is not Party building


def test_a_broken_override_names_file_entry_and_line(tmp_path) -> None:
    bad = tmp_path / "continuity.yaml"
    bad.write_text("add:\n  - {task: task/2023-1, item: 99, reason: x}\nremove: []\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"continuity.yaml.*line 2.*add\[0\]: item 99"):
        load_overrides(bad, known_tasks={"task/2023-1"}, known_items=set(range(1, 47)))
    bad.write_text("add: []\nremove:\n  - {task: task/nope, item: 3, reason: x}\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"remove\[0\]: task 'task/nope'"):
        load_overrides(bad, known_tasks={"task/2023-1"}, known_items=set(range(1, 47)))
    bad.write_text("add:\n  - {task: task/2023-1, item: 3}\n", encoding="utf-8")
    with pytest.raises(SourceError, match="exactly task, item and reason"):
        load_overrides(bad)
