"""The quality report (``policykg report``): counts, unclassified names, gaps."""

from __future__ import annotations

import json

import pytest

from policykg.build.quality import format_quality_report, quality_report
from policykg.cli import main


@pytest.fixture(scope="module")
def report(dataset, extraction, plan):
    return quality_report(dataset, extraction, plan)


def test_counts_match_the_extraction(report, extraction) -> None:
    assert report.entities["populations"] == len(extraction.populations)
    assert report.entities["bodies"] == len(extraction.bodies)
    assert report.entities["indicators"] == len(extraction.indicators)
    assert report.entities["observations"] == len(extraction.observations)
    assert report.entities["indicator tables"] == 3
    assert report.links_asserted["servesPopulation"] == len({(l.evidence.unit, l.population) for l in extraction.population_links
                                                             if not l.evidence.unit.startswith("item/")})
    assert report.links_inferred["servesPopulation"] == len(extraction.salience)
    assert report.links_asserted["supportedBody"] >= 1 and report.links_asserted["partnerBody"] >= 1
    assert sum(report.salience.values()) == len(extraction.salience)


def test_gaps_are_listed(report, extraction, plan) -> None:
    measured = {o.indicator for o in extraction.observations if o.indicator}
    assert set(report.indicators_without_observation) == {i.slug for i in extraction.indicators} - measured
    assert "services-5-3" not in report.indicators_without_observation  # 技术工人疗养: 100.5万人次 in 2022
    bodied = {i.number for i in plan.items if i.text is not None}
    assert set(report.items_without_population) <= bodied
    assert 16 not in report.items_without_population
    assert report.unclassified == [u for u in report.unclassified if u["name"]]  # every entry names what it lists


def test_text_and_json_say_the_same(report) -> None:
    text = format_quality_report(report)
    assert f"Indicators without an observation: {len(report.indicators_without_observation)}" in text
    assert f"Quoted names left unclassified: {len(report.unclassified)}" in text
    data = json.loads(report.to_json())
    assert data["entities"] == report.entities and data["links_inferred"] == report.links_inferred


def test_the_command_prints_it(capsys: pytest.CaptureFixture) -> None:
    assert main(["report", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["entities"]["indicators"] >= 30
    assert main(["report"]) == 0
    assert "Items (with a body) without a population link" in capsys.readouterr().out
