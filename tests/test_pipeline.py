"""The pipeline: what a build reports, and that a failed build leaves the previous dist/ alone."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from policykg.build import pipeline
from policykg.build import validate as validate_stage
from policykg.build.pipeline import build
from policykg.build.serialise import MANIFEST
from policykg.errors import SourceError, ValidationFailed
from policykg.resources import sources_dir

REPORT_FILE = "003_3e78385779fe9d26.txt"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture
def previous_dist(dist_dir: Path, tmp_path: Path) -> Path:
    """A copy of the session's dist/ that a test may try (and fail) to overwrite."""
    return Path(shutil.copytree(dist_dir, tmp_path / "dist"))


@pytest.fixture
def sources_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(sources_dir(), tmp_path / "sources"))


# --------------------------------------------------------------------------- the report
def test_report_counts(built, plan) -> None:
    assert built.variants == len(plan.variants) > 0
    assert built.counts["chapters"] == 12
    assert built.counts["items"] == 46
    assert 0 < built.counts["items with body"] < 46
    assert built.counts["measures"] > 0 and built.counts["tasks"] > 0
    assert set(built.graph_triples) == {"asserted", "curated", "inferred"}
    assert built.triples <= sum(built.graph_triples.values())


def test_report_times_every_stage(built) -> None:
    for stage in ("load", "parse plan", "graph", "validate", "render", "write"):
        assert built.seconds[stage] >= 0, stage
    assert built.total_seconds == pytest.approx(sum(built.seconds.values()))
    assert built.owl_consistent is None


def test_report_lists_the_written_files(built) -> None:
    assert list(built.outputs)[-1].name == MANIFEST
    for path, size in built.outputs.items():
        assert path.parent == built.out_dir and path.stat().st_size == size


# --------------------------------------------------------------------------- failures
def test_an_altered_source_fails_and_leaves_dist_alone(previous_dist: Path, sources_copy: Path) -> None:
    before = snapshot(previous_dist)
    altered = sources_copy / REPORT_FILE
    altered.chmod(0o644)
    altered.write_text(altered.read_text(encoding="utf-8").replace("工会", "公会", 1), encoding="utf-8")
    with pytest.raises(SourceError) as failure:
        build(previous_dist, sources=sources_copy)
    assert REPORT_FILE in str(failure.value) and "SHA-256" in str(failure.value)
    assert snapshot(previous_dist) == before


def test_a_validation_failure_leaves_dist_alone(previous_dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(previous_dist)
    outcome = SimpleNamespace(conforms=False, violations=2, rows=[], text="")
    monkeypatch.setattr(pipeline, "validate", lambda dataset: outcome)
    monkeypatch.setattr(validate_stage, "format_report", lambda outcome: "item/16: rdfs:label missing")
    with pytest.raises(ValidationFailed) as failure:
        build(previous_dist)
    assert failure.value.violations == 2 and "item/16" in str(failure.value)
    assert snapshot(previous_dist) == before


def test_a_missing_document_is_named(sources_copy: Path) -> None:
    manifest = sources_copy / "manifest.csv"
    rows = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    manifest.write_text("".join(row for row in rows if REPORT_FILE not in row), encoding="utf-8")
    with pytest.raises(SourceError, match="acftu-2022-work-report"):
        pipeline.assemble(sources_copy)


def test_an_owl_inconsistency_fails_the_build(dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    verdict = SimpleNamespace(consistent=False, message="item/16 is both a Chapter and a PlanItem", seconds=0.1)
    monkeypatch.setattr(pipeline, "check_consistency", lambda dataset: verdict)
    seconds: dict[str, float] = {}
    with pytest.raises(ValidationFailed, match="OWL-inconsistent: item/16"):
        pipeline.check(dataset, seconds, check_owl=True)
    assert set(seconds) == {"validate", "owl"}
