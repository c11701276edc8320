"""Stage 3: turn the parse stage's plain data into an RDF dataset (docs/model.md).

Three named graphs keep what the sources say apart from what the project
wrote and what the build concluded:

* ``id:graph/asserted`` -- read from the texts: documents, source files,
  chapters, items, parts, measures, passages, variants, readings, report
  sections, points and tasks, each with its provenance;
* ``id:graph/curated`` -- the project's English labels (``build/data/labels-en.yaml``);
* ``id:graph/inferred`` -- computed from the asserted graph only: ``dcterms:hasPart``
  (inverse of the part-of properties), ``pol:inDocument`` and the ``pol:Document``
  type of the plan (``pol:Plan`` ⊑ ``pol:Document``), so SPARQL without a reasoner
  finds all three documents with ``?d a pol:Document``.

The function is deterministic: no clock, no randomness, no blank nodes; every
node is an IRI minted by :func:`policykg.namespaces.resource`. The graph stage
writes what it is given and does not repair it; the validate stage says what
is wrong (a measure without spans gets no provenance and fails its shape).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from policykg.build.curated import category_slugs, load_english_labels
from policykg.build.graph_links import Provenance, asserted_link_triples, table_triples, curated_link_triples, inferred_link_triples
from policykg.build.literals import integer, offset, path_iri, path_kind, string, zh
from policykg.build.model import Extraction, ItemPart, LaterDocument, Measure, Plan, PlanItem, Reading, Section, Variant
from policykg.build.sources import SourceText
from policykg.build.text import Span
from policykg.errors import PolicyKGError
from policykg.namespaces import GRAPH_ASSERTED, GRAPH_CURATED, GRAPH_INFERRED, ID, POL, bind_prefixes, resource

Triple = tuple[Node, Node, Node]

PLAN_KIND = "plan"
PART_KIND = "item-part"

# The class of a document by the kind of its resource path ("plan/…", "document/…").
DOCUMENT_CLASSES: dict[str, URIRef] = {PLAN_KIND: POL.Plan, "document": POL.Document}

# The class of a later document's section by Section.kind (the kind is also its IRI path).
SECTION_CLASSES: dict[str, URIRef] = {
    "report-section": POL.ReportSection,
    "report-point": POL.ReportPoint,
    "task": POL.Task,
}

# Superclasses materialised in the inferred graph (the ontology's pol:Plan ⊑ pol:Document).
SUPERCLASSES: dict[URIRef, URIRef] = {POL.Plan: POL.Document}

# Properties from a part to its whole; the inferred graph states the inverse as dcterms:hasPart.
PART_OF_PROPERTIES: tuple[URIRef, ...] = (POL.partOf, POL.chapter, POL.inItem)

# Where a resource's document is found, tried in this order: up one of these edges
# (True: follow the edge backwards, e.g. a file is the object of its document's pol:sourceFile).
UPWARD_EDGES: tuple[tuple[URIRef, bool], ...] = (
    (POL.partOf, False),
    (POL.chapter, False),
    (POL.inItem, False),
    (POL.variantOf, False),
    (POL.reading, True),
    (PROV.wasDerivedFrom, False),
    (POL.sourceFile, True),
)

# Curated English labels: documents are titled, everything else is labelled.
ENGLISH_LABEL_PROPERTY: dict[str, URIRef] = {PLAN_KIND: DCTERMS.title, "document": DCTERMS.title, "category": SKOS.prefLabel}


# --------------------------------------------------------------------------- entry point
def build_dataset(
    corpus: dict[str, SourceText],
    plan: Plan,
    later: list[LaterDocument],
    *,
    english_labels: Mapping[str, str] | None = None,
    extraction: Extraction | None = None,
) -> Dataset:
    """The dataset of docs/model.md: asserted, curated and inferred named graphs.

    ``english_labels`` (resource path → English label) defaults to the curated
    file read by ``policykg.build.curated.load_english_labels``; tests pass their own.
    """
    dataset = Dataset()
    bind_prefixes(dataset)
    asserted = dataset.graph(GRAPH_ASSERTED)
    _add(asserted, asserted_triples(corpus, plan, later))
    provenance = Provenance(_SourceFiles(corpus))
    _add(asserted, table_triples(plan.tables, path_iri(_plan_path(corpus)), category_slugs(), provenance))
    if extraction is not None:
        _add(asserted, asserted_link_triples(extraction, provenance))
    labels = load_english_labels() if english_labels is None else english_labels
    curated = dataset.graph(GRAPH_CURATED)
    _add(curated, curated_triples(asserted, labels))
    if extraction is not None:
        _add(curated, curated_link_triples(extraction))
    inferred = dataset.graph(GRAPH_INFERRED)
    _add(inferred, inferred_triples(asserted))
    if extraction is not None:
        _add(inferred, inferred_link_triples(extraction))
    return dataset


def union_graph(dataset: Dataset) -> Graph:
    """All triples of every graph of ``dataset`` in one Graph (for SHACL and OWL, which want one graph)."""
    union = Graph(bind_namespaces="none")
    bind_prefixes(union)
    for subject, predicate, obj, _graph in dataset.quads((None, None, None, None)):
        union.add((subject, predicate, obj))
    return union


def _add(graph: Graph, triples: Iterable[Triple]) -> None:
    for triple in triples:
        graph.add(triple)


# --------------------------------------------------------------------------- asserted graph
def asserted_triples(corpus: dict[str, SourceText], plan: Plan, later: list[LaterDocument]) -> Iterator[Triple]:
    """Everything the sources say, in a stable order."""
    files = _SourceFiles(corpus)
    yield from files.triples()
    plan_path = _plan_path(corpus)
    yield from _plan(plan, plan_path, files)
    for document in sorted(later, key=lambda d: d.document):
        yield from _later_document(document, files)


class _SourceFiles:
    """The corpus as pol:SourceFile resources; turns spans into provenance and passages."""

    def __init__(self, corpus: dict[str, SourceText]):
        self.corpus = corpus

    def stem(self, file_name: str) -> str:
        source = self.corpus.get(file_name)
        if source is None:
            raise PolicyKGError(
                f"a span points into {file_name!r}, which is not in the corpus "
                f"({', '.join(sorted(self.corpus))}); the parse stage and sources/manifest.csv disagree"
            )
        return source.stem

    def iri(self, file_name: str) -> URIRef:
        return resource("source", self.stem(file_name))

    def triples(self) -> Iterator[Triple]:
        for name in sorted(self.corpus):
            source = self.corpus[name]
            file = self.iri(name)
            yield file, RDF.type, POL.SourceFile
            yield file, POL.fileName, string(source.name)
            yield file, POL.sha256, string(source.sha256)
            yield file, POL.characterCount, offset(len(source.text))
            yield file, RDFS.label, Literal(source.role, lang="en")
            document = path_iri(source.document)
            yield document, RDF.type, DOCUMENT_CLASSES[path_kind(source.document)]
            yield document, POL.sourceFile, file

    def provenance(self, subject: URIRef, span: Span) -> Iterator[Triple]:
        """Where ``subject`` was read: ``file_text[start:end] == quote``."""
        yield subject, PROV.wasDerivedFrom, self.iri(span.file)
        yield subject, POL.quote, string(span.quote)
        yield subject, POL.start, offset(span.start)
        yield subject, POL.end, offset(span.end)

    def passage(self, span: Span) -> tuple[URIRef, list[Triple]]:
        """The pol:Passage of a raw slice: ``passage/{stem}-{start}-{end}``."""
        iri = resource("passage", f"{self.stem(span.file)}-{span.start}-{span.end}")
        return iri, [(iri, RDF.type, POL.Passage), *self.provenance(iri, span)]

    def passages(self, subject: URIRef, predicate: URIRef, spans: Iterable[Span]) -> Iterator[Triple]:
        """``subject predicate passage`` for each span, with the passages themselves."""
        for span in spans:
            passage, triples = self.passage(span)
            yield subject, predicate, passage
            yield from triples


def _plan_path(corpus: dict[str, SourceText]) -> str:
    """The resource path of the one plan of the corpus (``plan/acftu-14th-fyp``)."""
    plans = sorted({s.document for s in corpus.values() if path_kind(s.document) == PLAN_KIND})
    if len(plans) != 1:
        raise PolicyKGError(
            f"sources/manifest.csv must list the files of exactly one plan/… document, found {plans or 'none'}"
        )
    return plans[0]


def _plan(plan: Plan, plan_path: str, files: _SourceFiles) -> Iterator[Triple]:
    document = path_iri(plan_path)
    yield document, DCTERMS.title, zh(plan.title)
    yield document, DCTERMS.issued, Literal(plan.issued, datatype=XSD.date)
    yield from files.passages(document, POL.titlePassage, plan.title_spans)

    preamble = resource("preamble", plan_path.split("/", 1)[1])
    yield preamble, RDF.type, POL.Preamble
    yield preamble, POL.partOf, document
    yield preamble, POL.text, zh(plan.preamble)
    yield from files.passages(preamble, POL.bodyPassage, plan.preamble_spans)

    for chapter in sorted(plan.chapters, key=lambda c: c.number):
        iri = resource("chapter", chapter.number)
        yield iri, RDF.type, POL.Chapter
        yield iri, POL.number, integer(chapter.number)
        yield iri, RDFS.label, zh(chapter.title)
        yield iri, POL.partOf, document
        yield from files.passages(iri, POL.titlePassage, chapter.title_spans)

    for item in sorted(plan.items, key=lambda i: i.number):
        yield from _item(item, files)
    yield from _variants(plan.variants, files)


def _item(item: PlanItem, files: _SourceFiles) -> Iterator[Triple]:
    iri = resource("item", item.number)
    yield iri, RDF.type, POL.PlanItem
    yield iri, POL.number, integer(item.number)
    yield iri, RDFS.label, zh(item.title)
    yield iri, POL.chapter, resource("chapter", item.chapter)
    yield iri, POL.bodyInCorpus, Literal(item.text is not None)
    if item.text is not None:
        yield iri, POL.text, zh(item.text)
    yield from files.passages(iri, POL.titlePassage, item.title_spans)
    yield from files.passages(iri, POL.bodyPassage, item.body_spans)
    for part in sorted(item.parts, key=lambda p: p.number):
        yield from _part(item.number, part, files)
    for measure in sorted(item.measures, key=lambda m: m.number):
        yield from _measure(item.number, measure, files)


def _part(item: int, part: ItemPart, files: _SourceFiles) -> Iterator[Triple]:
    iri = resource(PART_KIND, f"{item}-{part.number}")
    yield iri, RDF.type, POL.ItemPart
    yield iri, POL.number, integer(part.number)
    yield iri, POL.partOf, resource("item", item)
    yield iri, RDFS.label, zh(part.title)
    if part.text is not None:
        yield iri, POL.text, zh(part.text)
    yield from files.passages(iri, POL.titlePassage, part.title_spans)
    yield from files.passages(iri, POL.bodyPassage, part.body_spans)


def _measure(item: int, measure: Measure, files: _SourceFiles) -> Iterator[Triple]:
    iri = resource("measure", f"{item}-{measure.number}")
    yield iri, RDF.type, POL.Measure
    yield iri, POL.inItem, resource("item", item)
    if measure.part is not None:
        yield iri, POL.inPart, resource(PART_KIND, f"{item}-{measure.part}")
    yield iri, POL.number, integer(measure.number)
    yield iri, POL.text, zh(measure.text)
    if measure.spans:
        yield from files.provenance(iri, measure.spans[0])
        yield from files.passages(iri, POL.continuedIn, measure.spans[1:])


# --------------------------------------------------------------------------- variants
def variant_slug(variant: Variant) -> str:
    """``item/13`` + ``text`` + 4 → ``item-13-text-4`` (a slug is one path segment)."""
    return f"{variant.site.replace('/', '-')}-{variant.field}-{variant.number}"


def reading_slugs(variant: Variant) -> list[str]:
    """The slug of each reading, in the variant's order: ``{variant slug}-{file number}``.

    A title variant can hold two readings of one file (its table of contents and
    its body heading); the second and later ones, in file order, get ``-2``, ``-3``.
    """
    base = variant_slug(variant)
    by_file: dict[str, list[int]] = {}
    for index, reading in enumerate(variant.readings):
        by_file.setdefault(_file_number(reading.file), []).append(index)
    slugs = [""] * len(variant.readings)
    for number, indices in by_file.items():
        ordered = sorted(indices, key=lambda i: (variant.readings[i].span.start, variant.readings[i].span.end, i))
        for rank, index in enumerate(ordered, start=1):
            slugs[index] = f"{base}-{number}" if rank == 1 else f"{base}-{number}-{rank}"
    return slugs


def _file_number(file_name: str) -> str:
    """``000_2a1e229b78a33fef.txt`` → ``000``."""
    return file_name[:3]


def _variants(variants: list[Variant], files: _SourceFiles) -> Iterator[Triple]:
    for variant in sorted(variants, key=lambda v: (v.site, v.field, v.number)):
        iri = resource("variant", variant_slug(variant))
        yield iri, RDF.type, POL.Variant
        yield iri, POL.variantOf, path_iri(variant.site)
        yield iri, POL.number, integer(variant.number)
        yield iri, POL.selectionRule, string(variant.rule)
        for reading, slug in zip(variant.readings, reading_slugs(variant)):
            yield from _reading(iri, resource("reading", slug), reading, files)


def _reading(variant: URIRef, iri: URIRef, reading: Reading, files: _SourceFiles) -> Iterator[Triple]:
    yield variant, POL.reading, iri
    yield iri, RDF.type, POL.Reading
    yield iri, POL.text, zh(reading.text)
    yield iri, POL.chosen, Literal(reading.chosen)
    yield from files.provenance(iri, reading.span)


# --------------------------------------------------------------------------- later documents
def _later_document(document: LaterDocument, files: _SourceFiles) -> Iterator[Triple]:
    """Report sections, points and tasks of the 2022 work report or the 18th-congress summary."""
    document_iri = path_iri(document.document)
    kinds = {section.key: section.kind for section in document.sections}
    for section in document.sections:
        yield from _section(section, document_iri, kinds, files)


def _section(section: Section, document: URIRef, kinds: dict[str, str], files: _SourceFiles) -> Iterator[Triple]:
    if section.kind not in SECTION_CLASSES:
        raise PolicyKGError(f"section {section.key!r} has kind {section.kind!r}; expected one of {sorted(SECTION_CLASSES)}")
    iri = resource(section.kind, section.key)
    yield iri, RDF.type, SECTION_CLASSES[section.kind]
    yield iri, POL.number, integer(section.number)
    if section.title is not None:
        yield iri, RDFS.label, zh(section.title)
    yield iri, POL.text, zh(section.text)
    yield iri, POL.partOf, _parent(section, document, kinds)
    yield from files.provenance(iri, section.span)


def _parent(section: Section, document: URIRef, kinds: dict[str, str]) -> URIRef:
    if section.parent is None:
        return document
    if section.parent not in kinds:
        raise PolicyKGError(f"section {section.key!r} names parent {section.parent!r}, which its document does not have")
    return resource(kinds[section.parent], section.parent)


# --------------------------------------------------------------------------- curated graph
def curated_triples(asserted: Graph, english_labels: Mapping[str, str]) -> Iterator[Triple]:
    """The project's English labels, each on a resource the sources have."""
    for path in sorted(english_labels):
        subject = path_iri(path)
        if (subject, RDF.type, None) not in asserted:
            raise PolicyKGError(
                f"build/data/labels-en.yaml labels {path!r}, which the graph does not have; "
                "correct the key or remove the entry"
            )
        predicate = ENGLISH_LABEL_PROPERTY.get(path_kind(path), RDFS.label)
        yield subject, predicate, Literal(english_labels[path], lang="en")


# --------------------------------------------------------------------------- inferred graph
def inferred_triples(asserted: Graph) -> Iterator[Triple]:
    """What the build concludes from the asserted graph alone."""
    for cls, superclass in SUPERCLASSES.items():
        for subject in sorted(asserted.subjects(RDF.type, cls)):
            yield subject, RDF.type, superclass
    for predicate in PART_OF_PROPERTIES:
        for part, whole in sorted(asserted.subject_objects(predicate)):
            yield whole, DCTERMS.hasPart, part
    documents = _documents_of(asserted)
    for subject in sorted(documents):
        yield subject, POL.inDocument, documents[subject]


def _documents_of(asserted: Graph) -> dict[URIRef, URIRef]:
    """Each resource (other than a document) → the document it belongs to."""
    is_document = {s for cls in DOCUMENT_CLASSES.values() for s in asserted.subjects(RDF.type, cls)}
    found: dict[URIRef, URIRef] = {}

    def document_of(node: URIRef, seen: frozenset[URIRef]) -> URIRef | None:
        if node in is_document:
            return node
        if node in found:
            return found[node]
        result = None
        for predicate, backwards in UPWARD_EDGES:
            ups = asserted.subjects(predicate, node) if backwards else asserted.objects(node, predicate)
            for up in sorted(u for u in ups if isinstance(u, URIRef) and u not in seen):
                result = document_of(up, seen | {node})
                if result is not None:
                    break
            if result is not None:
                found[node] = result
                break
        return result

    subjects = sorted({s for s in asserted.subjects(RDF.type, None) if isinstance(s, URIRef) and s.startswith(ID)})
    return {s: d for s in subjects if s not in is_document and (d := document_of(s, frozenset())) is not None}
