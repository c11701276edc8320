"""Precision and recall of the extract stage against a hand annotation of 14 plan items.

``tests/fixtures/annotations/items.yaml`` was annotated from the source text by
following docs/annotation-guidelines.md, without looking at the program's
output. Each kind of fact is compared as a set of tuples per item; both
precision and recall must reach :data:`REQUIRED`. On failure the message lists
what the program missed and what it added, so a curator can tell a vocabulary
gap from a rule error.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from policykg.build.extract.units import item_of
from policykg.build.extract.vocabulary import load_bodies, load_populations
from policykg.build.model import Extraction

FIXTURE = Path(__file__).parent / "fixtures" / "annotations" / "items.yaml"
REQUIRED = 0.9
PROGRAMME_CLASSES = ("campaign", "brand", "award", "platform", "fund", "practice", "slogan")


@pytest.fixture(scope="module")
def gold() -> dict[int, dict]:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["items"]


def _names(entries) -> dict[str, str]:
    """Every Chinese name (preferred label and aliases) → slug."""
    return {name: e.slug for e in entries for name in (e.label_zh, *e.aliases)}


def _score(kind: str, gold: set, predicted: set) -> None:
    hits = gold & predicted
    precision = len(hits) / len(predicted) if predicted else 1.0
    recall = len(hits) / len(gold) if gold else 1.0
    missed = sorted(gold - predicted, key=str)
    added = sorted(predicted - gold, key=str)
    assert precision >= REQUIRED and recall >= REQUIRED, (
        f"{kind}: precision {precision:.2f}, recall {recall:.2f} (need {REQUIRED}); "
        f"missed {missed}; added {added}"
    )


def test_the_fixture_covers_at_least_twelve_items(gold) -> None:
    assert len(gold) >= 12
    for number, item in gold.items():
        assert set(item) == {"populations", "bodies", "programmes", "laws", "indicators"}, number


def test_populations(gold, extraction: Extraction) -> None:
    names = _names(load_populations())
    expected = {(n, names.get(name, f"? {name}")) for n, item in gold.items()
                for name in item["populations"]["primary"] + item["populations"]["mentioned"]}
    found = {(n, slug) for (n, slug) in extraction.salience if n in gold}
    _score("populations", expected, found)


def test_primary_populations(gold, extraction: Extraction) -> None:
    names = _names(load_populations())
    expected = {(n, names.get(name, f"? {name}")) for n, item in gold.items() for name in item["populations"]["primary"]}
    found = {(n, slug) for (n, slug), salience in extraction.salience.items() if n in gold and salience == "primary"}
    _score("primary populations", expected, found)


def test_bodies_with_roles(gold, extraction: Extraction) -> None:
    names = _names(load_bodies())
    expected = {(n, names.get(b["name"], f"? {b['name']}"), b["role"]) for n, item in gold.items() for b in item["bodies"]}
    found = {(item, link.body, link.role) for link in extraction.body_links
             if (item := item_of(link.evidence.unit)) in gold and link.evidence.unit.startswith("measure/")}
    _score("bodies", expected, found)


def test_programmes_with_classes(gold, extraction: Extraction) -> None:
    kinds = {p.slug: (p.name, p.kind) for p in extraction.programmes}
    expected = {(n, p["name"], p["class"]) for n, item in gold.items() for p in item["programmes"]
                if p["class"] in PROGRAMME_CLASSES}
    found = {(item, *kinds[link.programme]) for link in extraction.programme_links
             if (item := item_of(link.evidence.unit)) in gold and kinds[link.programme][1] in PROGRAMME_CLASSES}
    _score("programmes", expected, found)


def test_laws_with_actions(gold, extraction: Extraction) -> None:
    kinds = {p.slug: (p.name, p.kind) for p in extraction.programmes}
    expected = {(n, law["name"], law["class"], law.get("action")) for n, item in gold.items() for law in item["laws"]}
    found = {(item, *kinds[link.programme], link.action) for link in extraction.programme_links
             if (item := item_of(link.evidence.unit)) in gold and kinds[link.programme][1] in ("law", "publication")}
    _score("laws", expected, found)


def test_indicators(gold, extraction: Extraction) -> None:
    def timing(deadline, per_year) -> str:
        return "per year" if per_year else str(deadline)

    expected = {(n, Decimal(str(i["value"])), i["unit"], i["comparator"], timing(i.get("deadline"), i.get("per_year")))
                for n, item in gold.items() for i in item["indicators"]}
    found = {(n, i.value, i.unit, i.comparator, timing(i.deadline, i.per_year))
             for i in extraction.indicators for n in i.stated_in if n in gold}
    _score("indicators", expected, found)
