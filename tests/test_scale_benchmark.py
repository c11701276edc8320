"""Smoke test of ``benchmarks/scale.py``: N = 1 and 2 plans, the backends that need nothing extra.

Why a smoke test: the full run (N up to 1000) takes over an hour and is
done by hand; this checks, in well under a minute, that every backend and
route yields rows, that the API and the direct route agree on every answer's
row count, that the slopes come out, and that nothing is left running or on
disk. The per-query cap is small, so rdflib's slow queries are stopped
(status "capped"), which exercises that path too.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import pytest

from policykg.localserver import descendants

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "scale.py"
BACKENDS = ("memory", "disk", "oxigraph", "rdflib")
WITH_API = ("memory", "disk", "oxigraph")

pytestmark = pytest.mark.skipif(shutil.which("oxigraph") is None,
                                reason="the Oxigraph server binary is not installed (pip install '.[test]')")


def load_scale() -> ModuleType:
    """benchmarks/scale.py as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("policykg_benchmark_scale", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def leftovers() -> list[str]:
    """Processes below this one that the benchmark starts (servers, the API, its children)."""
    found = []
    for pid in descendants(os.getpid()):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "oxigraph" in command or "app_from_env" in command or "scale.py --child" in command:
            found.append(command)
    return found


@pytest.fixture(scope="module")
def run(dist_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    scale = load_scale()
    out = tmp_path_factory.mktemp("scale")
    private = tmp_path_factory.mktemp("scale-tmp")  # the run's temporary folders go here, to be seen gone
    saved, tempfile.tempdir = tempfile.tempdir, str(private)
    running_before = set(leftovers())  # servers of other tests in this session (the live API) are not ours
    started = time.monotonic()
    try:
        code = scale.main(["--sizes", "1,2", "--runs", "3", "--backends", ",".join(BACKENDS), "--cap-seconds", "0.5",
                           "--template", str(dist_dir / "policykg.trig"), "--out", str(out)])
    finally:
        tempfile.tempdir = saved
    with (out / "scale.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    return {"code": code, "rows": rows, "out": out, "seconds": time.monotonic() - started, "scale": scale,
            "left": sorted(path.name for path in private.iterdir()), "running_before": running_before}


def test_it_finishes_quickly_and_leaves_nothing_behind(run: dict) -> None:
    assert run["code"] == 0
    assert run["seconds"] < 90, f"the smoke run took {run['seconds']:.0f} s"  # ~25 s alone on 2 cores
    assert sorted(set(leftovers()) - run["running_before"]) == []
    assert run["left"] == []


def test_every_backend_has_load_memory_and_query_rows_on_both_routes(run: dict) -> None:
    rows = run["rows"]
    queries = {label for label, _, _ in run["scale"].MEASURED} | {run["scale"].ENTITY}
    for backend in BACKENDS:
        for plans in ("1", "2"):
            mine = [r for r in rows if r["backend"] == backend and r["plans"] == plans]
            assert any(r["kind"] == "load" and r["status"] == "ok" and float(r["value"]) > 0 for r in mine), backend
            assert any(r["kind"] == "memory" and r["query"] == "holder peak RSS" and float(r["value"]) > 0 for r in mine)
            for route in ("direct", "api"):
                assert {r["query"] for r in mine if r["kind"] == "query" and r["route"] == route} == queries, \
                    (backend, plans, route)
    for r in rows:
        if r["kind"] == "query" and r["backend"] in WITH_API:
            # tiny graphs: every series fits in the cap, unless the machine is very busy
            assert r["status"] in ("ok", "capped"), r
            assert 1 <= int(r["runs"]) <= 3 and float(r["p50_ms"]) > 0
        if r["kind"] == "query" and r["backend"] == "rdflib" and r["route"] == "api":
            assert r["status"] == "n/a"
    assert any(r["backend"] == "rdflib" and r["status"] == "capped" for r in rows)  # items-by-body: seconds at N=1


def test_the_routes_and_the_backends_agree_on_row_counts(run: dict) -> None:
    counts: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
    for r in run["rows"]:
        if r["kind"] == "query" and r["rows"]:
            counts.setdefault((r["plans"], r["query"]), {})[(r["backend"], r["route"])] = int(r["rows"])
    for (plans, query), found in counts.items():
        for backend in WITH_API:
            assert found[(backend, "direct")] == found[(backend, "api")], (plans, query, backend)
        assert len(set(found.values())) == 1, (plans, query, found)  # and every backend gives the same answer
    # item 16 of one plan (benchmarks/api.py names the plan): one row at any size; the subtree's hits grow with the plans
    assert counts[("2", "item detail")][("memory", "direct")] == counts[("1", "item detail")][("memory", "direct")] == 1
    assert counts[("2", "population subtree")][("memory", "direct")] == 2 * counts[("1", "population subtree")][("memory", "direct")]
    api_rows = [r for r in run["rows"] if r["kind"] == "query" and r["route"] == "api" and r["backend"] in WITH_API]
    assert all(float(r["api_over_direct"]) > 0 for r in api_rows)


def test_slopes_are_fitted_for_each_backend(run: dict) -> None:
    slopes = {(r["backend"], r["query"], r["route"]): r for r in run["rows"] if r["kind"] == "slope"}
    for backend in BACKENDS:
        load = slopes[(backend, "load: load", "")]
        assert float(load["value"]) == pytest.approx(float(load["value"]))  # a number, not empty
        assert float(load["per_million"]) > 0
    for backend in WITH_API:
        for route in ("direct", "api"):
            assert slopes[(backend, "query: population subtree", route)]["unit"] == "exponent"


def test_an_earlier_csv_can_be_read_back_for_include(run: dict) -> None:
    measured = [r for r in run["rows"] if r["kind"] != "slope"]
    again = run["scale"].read_csv(run["out"] / "scale.csv")
    assert len(again) == len(measured)
    assert {row.backend for row in again} == set(BACKENDS)
    assert len(run["scale"].slopes(again)) == sum(1 for r in run["rows"] if r["kind"] == "slope")


def test_the_plot_is_written(run: dict) -> None:
    pytest.importorskip("matplotlib")
    svg = (run["out"] / "scale.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
