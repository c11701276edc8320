"""Run the stages in order: load -> parse -> extract -> graph -> validate (-> OWL) -> render -> write.

Why the order matters for users: nothing touches ``out_dir`` until the graph
has been built, validated and rendered completely in memory, so a build that
fails (a changed source byte, a parse error, a SHACL violation) leaves the
previous ``dist/`` exactly as it was. Errors of the project's own types
(:class:`PolicyKGError`) pass through unchanged: they already name the file,
line or shape the user has to look at.

The CLI and the API call :func:`build` and :func:`assemble`; no stage imports
this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import ORG, RDF, SKOS

from policykg.build.graph import build_dataset, union_graph
from policykg.build.extract.run import extract
from policykg.build.model import Extraction, LaterDocument, Plan
from policykg.build.ontology_docs import add_ontology_docs
from policykg.build.parse_congress import parse_congress
from policykg.build.parse_plan import parse_plan
from policykg.build.parse_report import parse_report
from policykg.build.reason import check_consistency
from policykg.build.serialise import named_graphs, render_outputs, write_outputs
from policykg.build.sources import SourceText, load_corpus
from policykg.build.validate import require_conformance, validate
from policykg.errors import ParseError, ValidationFailed
from policykg.namespaces import GRAPH_ASSERTED, GRAPH_CURATED, GRAPH_INFERRED, POL

# The later documents and the parser that reads each (the plan's files go to parse_plan together).
LATER_PARSERS: dict[str, Callable[[SourceText], LaterDocument]] = {
    "document/acftu-2022-work-report": parse_report,
    "document/acftu-18th-congress-summary": parse_congress,
}

# What the build report counts: label -> class (instances in the union graph).
COUNTED_CLASSES: dict[str, URIRef] = {
    "chapters": POL.Chapter,
    "items": POL.PlanItem,
    "item parts": POL.ItemPart,
    "measures": POL.Measure,
    "passages": POL.Passage,
    "variants": POL.Variant,
    "readings": POL.Reading,
    "report sections": POL.ReportSection,
    "report points": POL.ReportPoint,
    "tasks": POL.Task,
    "documents": POL.Document,
    "source files": POL.SourceFile,
    "concepts": SKOS.Concept,  # the populations and the three indicator categories
    "bodies": ORG.Organization,
    "programmes": POL.Programme,
    "legal instruments": POL.LegalInstrument,
    "indicators": POL.Indicator,
    "observations": POL.Observation,
    "population links": POL.PopulationLink,
    "body links": POL.BodyLink,
    "mention links": POL.MentionLink,
    "continuity links": POL.ContinuityLink,
}

GRAPH_NAMES: dict[URIRef, str] = {GRAPH_ASSERTED: "asserted", GRAPH_CURATED: "curated", GRAPH_INFERRED: "inferred"}


@dataclass
class BuildReport:
    """What a build did: how long each stage took, what the graph holds, what was written."""

    out_dir: Path
    seconds: dict[str, float] = field(default_factory=dict)  # stage -> wall-clock seconds, in run order
    graph_triples: dict[str, int] = field(default_factory=dict)  # "asserted"/"curated"/"inferred" -> triples
    triples: int = 0  # distinct triples of the union
    counts: dict[str, int] = field(default_factory=dict)  # label of COUNTED_CLASSES (+ "items with body") -> n
    variants: int = 0  # variant readings the plan parser found
    outputs: dict[Path, int] = field(default_factory=dict)  # written file -> bytes
    owl_consistent: bool | None = None  # None when the OWL check was not asked for

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


@dataclass
class Assembled:
    """The in-memory result of the stages before validation."""

    corpus: dict[str, SourceText]
    plan: Plan
    later: list[LaterDocument]
    extraction: Extraction
    dataset: Dataset


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = time.perf_counter() - start


def _later_sources(corpus: dict[str, SourceText]) -> dict[str, SourceText]:
    """The one file of each later document, by document; a missing or doubled one is named."""
    found: dict[str, SourceText] = {}
    for document in LATER_PARSERS:
        files = [source for source in corpus.values() if source.document == document]
        if len(files) != 1:
            names = ", ".join(source.name for source in files) or "no file"
            raise ParseError("sources/manifest.csv", f"{document} needs exactly one file, the manifest gives {names}")
        found[document] = files[0]
    return found


def assemble(sources: Path | None = None, seconds: dict[str, float] | None = None) -> Assembled:
    """Load and parse the corpus and build the dataset (not yet validated)."""
    seconds = {} if seconds is None else seconds
    with _timed(seconds, "load"):
        corpus = load_corpus(sources)
    with _timed(seconds, "parse plan"):
        plan = parse_plan(corpus)
    later = []
    for document, source in _later_sources(corpus).items():
        with _timed(seconds, f"parse {document.split('/')[-1]}"):
            later.append(LATER_PARSERS[document](source))
    with _timed(seconds, "extract"):
        extraction = extract(corpus, plan, later)
    with _timed(seconds, "graph"):
        dataset = build_dataset(corpus, plan, later, extraction=extraction)
    return Assembled(corpus, plan, later, extraction, dataset)


def check(dataset: Dataset, seconds: dict[str, float], *, check_owl: bool = False) -> bool | None:
    """SHACL (and optionally OWL) checks; raise :class:`ValidationFailed` unless the graph passes."""
    with _timed(seconds, "validate"):
        outcome = validate(dataset)
    require_conformance(outcome)
    if not check_owl:
        return None
    with _timed(seconds, "owl"):
        consistency = check_consistency(dataset)
    if not consistency.consistent:
        raise ValidationFailed(f"the graph is OWL-inconsistent: {consistency.message}", 1)
    return True


def count_classes(union: Graph) -> dict[str, int]:
    """Instances per COUNTED_CLASSES label, with "items with body" right after "items"."""
    counts = {}
    for label, cls in COUNTED_CLASSES.items():
        counts[label] = len(set(union.subjects(RDF.type, cls)))
        if cls == POL.PlanItem:
            counts["items with body"] = len(set(union.subjects(POL.bodyInCorpus, Literal(True))))
    return counts


def build(out_dir: Path, *, check_owl: bool = False, sources: Path | None = None) -> BuildReport:
    """Build, validate, render and only then write ``out_dir``; ``sources`` overrides the vendored corpus."""
    report = BuildReport(Path(out_dir))
    assembled = assemble(sources, report.seconds)
    report.owl_consistent = check(assembled.dataset, report.seconds, check_owl=check_owl)
    with _timed(report.seconds, "render"):
        union = union_graph(assembled.dataset)
        files = render_outputs(assembled.dataset, union=union)
        files = add_ontology_docs(files)
    with _timed(report.seconds, "write"):
        paths = write_outputs(files, report.out_dir)
    report.outputs = {path: len(files[path.name]) for path in paths}
    graphs = named_graphs(assembled.dataset)
    report.graph_triples = {GRAPH_NAMES.get(g.identifier, str(g.identifier)): len(g) for g in graphs}
    report.triples = len(union)
    report.counts = count_classes(union)
    report.variants = len(assembled.plan.variants)
    return report
