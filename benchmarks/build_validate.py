"""Time the full build (parse, graph, SHACL, render, write) against the 10-second target.

Runs :func:`policykg.build.pipeline.build` N times in this process, each into
a fresh temporary folder (the real ``dist/`` is never touched), and prints the
median seconds per stage, the median total against the target, and the size
of each output file. Medians, because these machines are noisy (see
shared/design/field-notes.md); the first run also pays for imports and warm-up.

    python benchmarks/build_validate.py            # 3 runs
    python benchmarks/build_validate.py -n 5 --owl # 5 runs, with the OWL reasoner
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from policykg.build.pipeline import BuildReport, build

TARGET_SECONDS = 10.0


def run_builds(runs: int, check_owl: bool) -> list[BuildReport]:
    reports = []
    for run in range(1, runs + 1):
        with tempfile.TemporaryDirectory(prefix="policykg-bench-") as folder:
            report = build(Path(folder) / "dist", check_owl=check_owl)
        print(f"run {run}/{runs}: {report.total_seconds:.2f} s", file=sys.stderr)
        reports.append(report)
    return reports


def median_seconds(reports: list[BuildReport]) -> dict[str, float]:
    stages = list(reports[0].seconds)  # run order
    return {stage: statistics.median(r.seconds.get(stage, 0.0) for r in reports) for stage in stages}


def summary(reports: list[BuildReport]) -> str:
    medians = median_seconds(reports)
    total = statistics.median(r.total_seconds for r in reports)
    width = max(map(len, medians))
    lines = [f"policykg build, median of {len(reports)} run(s)", ""]
    lines += [f"  {stage:<{width}}  {seconds:7.3f} s" for stage, seconds in medians.items()]
    verdict = "within" if total <= TARGET_SECONDS else "OVER"
    lines += ["", f"  {'total':<{width}}  {total:7.3f} s  ({verdict} the {TARGET_SECONDS:.0f} s target)"]
    lines += ["", "outputs:"]
    lines += [f"  {path.name:<16} {size:>12,} bytes" for path, size in reports[-1].outputs.items()]
    lines.append(f"  {reports[-1].triples:,} triples, {reports[-1].variants} variant readings")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=3, help="number of builds (default 3)")
    parser.add_argument("--owl", action="store_true", help="also run the OWL consistency check (HermiT)")
    args = parser.parse_args(argv)
    reports = run_builds(max(1, args.runs), args.owl)
    print(summary(reports))
    return 0 if statistics.median(r.total_seconds for r in reports) <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
