"""Split a data file into batches of statements that SHACL can validate one by one (``validate --split``).

Why: neither engine validates a large corpus whole. pySHACL's time grows
faster than the graph (over 400 s at 1.8·10^6 quads) and TopBraid's heap with
it (7.2 GB at 1.8·10^6, ~70 GB at 1.8·10^7). But a corpus is many documents
that point at each other only through the curated vocabularies, and the
shapes look at one document at a time. So the statements are cut into
connected groups of documents, packed into batches of about ``batch_quads``
statements, and each batch gets the vocabularies too; the batches are then
validated in parallel processes and their results merged
(:func:`policykg.build.validate.validate_split`), with the same rows as the
whole graph gives.

What is *shared*, i.e. never joins two documents (every IRI of these kinds):

- a member of a curated vocabulary: a node typed (``rdf:type``, in the data)
  with one of :data:`VOCABULARY_CLASSES` or a sub-class of one in the
  ontology -- populations and indicator categories (``skos:Concept``) and
  their schemes, bodies (``org:Organization``), programmes (and campaigns,
  brands, awards …), laws, slogans, publications. These are the kinds
  :data:`policykg.synthetic.SHARED_KINDS` copies once for every plan, and the
  targets of the shapes ``polsh:Concept``, ``polsh:Organization`` and
  ``polsh:NamedThing``;
- a term: every IRI the ontology declares (classes, properties and
  individuals such as ``pol:LeadRole`` or ``pol:PopulationScheme``), every
  class (an object of ``rdf:type``) and every property (a predicate), should
  it appear as a node.

Not the ``…/id/graph/curated`` named graph: besides the vocabularies it holds
each document's English labels and curated links, and taking its subjects as
shared would copy every plan's items into every batch. Blank nodes are never
shared (no other file can name them). A node is typed by the data, not by
its IRI, so a misspelt IRI cannot make a document's node shared; the other
way round, a vocabulary member whose type is missing only joins the documents
that use it into one (larger) group: slower, still the same results.

What a batch holds: the statements of its groups (every statement whose
subject is one of their nodes) plus every statement whose subject is shared
(the vocabularies and terms, in every batch, whatever their object). So a
shared node has all its own statements in every batch, and a node that is
not shared has all its own statements, and every statement that points at
it, in its one batch; a statement from a shared node to a document's node
(none in the corpus: the vocabularies do not point into documents) is in
every batch, where it can only fail the same way everywhere: a constraint of
a vocabulary's shape on such a value is ``sh:class`` of a vocabulary class,
which a node not shared never has. (Putting such a statement in the
document's batch alone would make the vocabulary's own shape see different
values in different batches: a ``skos:broader`` to an item found missing in
all the others.)

What this assumes of the shapes (``shapes/``; the agreement tests in
``tests/test_partition.py`` check it on the corpus, on a synthetic corpus
with faults in several plans and on every broken fixture):

- a constraint on a document's node reads only paths through that document
  and into the vocabularies (``sh:class`` of a linked concept, its
  ``skos:inScheme``): all in its batch;
- a constraint on a shared node reads its own statements (in every batch),
  or an inverse path whose every value is a result of its own
  (``polsh:Concept-narrower``: ``sh:equals`` of ``^skos:broader``); none
  counts incoming links across documents (an ``sh:maxCount`` on an inverse
  path to a body would need them all);
- the two SPARQL constraints, which focus on a class (``pol:Chapter``,
  ``pol:PlanItem``, ``pol:Variant``), join only within a document: numbers
  are unique per document (``pol:partOf``), readings per variant.

So a result about a document's node comes from its one batch, and a result
about a shared node comes from every batch identically; the merge
(:func:`policykg.build.validate.merge_rows`) keeps each distinct row as often
as the batch that found it most often (a multiset maximum, not a sum).

How, in bounded memory: two streaming passes with pyoxigraph's parser (the
reader of ``policykg query`` and ``load_store``: :func:`rdf_format`), never an
rdflib graph of the whole file. Pass 1 numbers the nodes and keeps two 32-bit
integers per statement (its subject and object) and the typing statements;
the connected components of the graph of non-shared nodes are then found by
SciPy's ``connected_components`` (compiled, linear; what a union-find over
the same edges computes); components are packed in the order their first node
appears, next-fit, into batches of at most ``batch_quads`` statements of
their own (a larger component is a batch alone). Pass 2 reads the file again
and writes each statement as N-Triples to its batch (``batch-0001.nt`` …), the
shared ones to all. Same file, same budget: the same bytes.
"""

from __future__ import annotations

import time
from array import array
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, parse

from policykg.errors import PolicyKGError
from policykg.resources import ontology_file

RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_SUBCLASS = NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
_POL = "https://w3id.org/policykg/ontology#"
# The classes of the curated vocabularies; their sub-classes in the ontology are added.
VOCABULARY_CLASSES = (
    NamedNode("http://www.w3.org/2004/02/skos/core#Concept"),
    NamedNode("http://www.w3.org/2004/02/skos/core#ConceptScheme"),
    NamedNode("http://www.w3.org/ns/org#Organization"),
    NamedNode(_POL + "Programme"),
    NamedNode(_POL + "LegalInstrument"),
    NamedNode(_POL + "Slogan"),
    NamedNode(_POL + "Publication"),
)
DEFAULT_BATCH_QUADS = 200_000
_FLUSH_CHARS = 1 << 18  # a batch's buffered N-Triples text is written out past this size


class PartitionError(PolicyKGError):
    """The data file cannot be split (unreadable, changed while read, bad budget)."""


@dataclass(frozen=True)
class Batch:
    """One file to validate: its own statements plus the shared ones."""

    path: Path  # N-Triples
    quads: int  # statements of its own components (the shared ones come on top)
    components: int


@dataclass(frozen=True)
class Partition:
    batches: tuple[Batch, ...]
    quads: int  # statements read
    nodes: int  # distinct IRIs and blank nodes in subject or object position
    shared_nodes: int
    shared_statements: int  # distinct triples written to every batch (those of shared subjects)
    components: int
    largest_component: int  # statements of the largest component
    seconds: float


@cache
def ontology_terms() -> tuple[frozenset[NamedNode], frozenset[NamedNode]]:
    """Every IRI the ontology declares, and the vocabulary classes with their sub-classes."""
    declared: set[NamedNode] = set()
    parents: dict[NamedNode, set[NamedNode]] = {}
    for triple in parse(path=str(ontology_file()), format=RdfFormat.TURTLE):
        if isinstance(triple.subject, NamedNode):
            declared.add(triple.subject)
            if triple.predicate == RDFS_SUBCLASS and isinstance(triple.object, NamedNode):
                parents.setdefault(triple.subject, set()).add(triple.object)
    vocabulary = set(VOCABULARY_CLASSES)
    grew = True
    while grew:
        grew = False
        for cls, supers in parents.items():
            if cls not in vocabulary and supers & vocabulary:
                vocabulary.add(cls)
                grew = True
    return frozenset(declared), frozenset(vocabulary)


def _quads(path: Path):
    """The file's statements, streamed (the format by extension, as ``policykg validate --data`` reads it)."""
    from policykg.api.sparql_guard import rdf_format
    from policykg.build.shacl_engines import data_suffix

    data_suffix(path)  # a clear error for a missing file or an extension validate does not read
    return parse(path=str(path), format=rdf_format(path))


def _read_error(path: Path, error: Exception) -> PartitionError:
    return PartitionError(f"{path}: cannot be read as RDF: {error}")


def partition(data: Path, folder: Path, *, batch_quads: int = DEFAULT_BATCH_QUADS) -> Partition:
    """Split ``data`` into N-Triples batch files in ``folder`` (see the module docstring)."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if batch_quads < 1:
        raise PartitionError(f"the batch size must be at least 1 statement, not {batch_quads}")
    started = time.perf_counter()
    declared, vocabulary = ontology_terms()

    # pass 1: number the nodes; keep each statement's subject and object (-1: a literal)
    ids: dict = {}
    subjects, objects = array("i"), array("i")
    classes: set[int] = set()
    members: set[int] = set()
    predicates: set[NamedNode] = set()
    try:
        for quad in _quads(data):
            node = quad.subject
            subject = ids.get(node)
            if subject is None:
                subject = ids[node] = len(ids)
            subjects.append(subject)
            node = quad.object
            if type(node) is Literal:
                objects.append(-1)
            else:
                obj = ids.get(node)
                if obj is None:
                    obj = ids[node] = len(ids)
                objects.append(obj)
            predicate = quad.predicate
            predicates.add(predicate)
            if predicate == RDF_TYPE and type(node) is NamedNode:
                classes.add(obj)
                if node in vocabulary and type(quad.subject) is NamedNode:
                    members.add(subject)
    except (SyntaxError, ValueError, OSError) as error:
        raise _read_error(data, error) from None
    count = len(subjects)
    shared = np.zeros(len(ids), dtype=bool)
    terms = [ids[term] for term in (*declared, *predicates) if term in ids]
    shared[np.fromiter((*classes, *members, *terms), dtype=np.int64)] = True
    nodes = len(ids)
    del ids, classes, members

    # components of the graph of non-shared nodes; each statement goes with its subject (if not shared)
    s = np.frombuffer(subjects, dtype=np.int32)
    o = np.frombuffer(objects, dtype=np.int32)
    local_s = ~shared[s]
    local_o = o >= 0
    local_o[local_o] = ~shared[o[local_o]]
    edge = local_s & local_o
    graph = coo_matrix((np.ones(int(edge.sum()), dtype=np.int8), (s[edge], o[edge])), shape=(nodes, nodes))
    del edge
    n_components, label = connected_components(graph, directed=False)
    del graph
    anchor = np.where(local_s, s, -1).astype(np.int32)  # a statement of a shared subject goes to every batch
    del s, o, local_s, local_o, subjects, objects
    anchored = anchor >= 0
    quad_component = np.full(count, -1, dtype=np.int32)
    quad_component[anchored] = label[anchor[anchored]]
    del anchor
    sizes = np.bincount(quad_component[anchored], minlength=n_components)  # 0: shared, or only pointed at
    first_node = np.full(n_components, nodes, dtype=np.int64)
    np.minimum.at(first_node, label, np.arange(nodes))
    del label

    # next-fit packing, in the order the components' first nodes appear
    batch_of_component = np.full(n_components, -1, dtype=np.int32)
    batch_sizes: list[int] = []
    batch_components: list[int] = []
    for component in np.argsort(first_node, kind="stable").tolist():
        size = int(sizes[component])
        if size == 0:  # a shared node, or a node only shared ones point at: in every batch already
            continue
        if not batch_sizes or (batch_sizes[-1] and batch_sizes[-1] + size > batch_quads):
            batch_sizes.append(0)
            batch_components.append(0)
        batch_of_component[component] = len(batch_sizes) - 1
        batch_sizes[-1] += size
        batch_components[-1] += 1
    if not batch_sizes:  # nothing but shared statements (or nothing at all): one batch of those
        batch_sizes, batch_components = [0], [0]
    quad_batch = np.full(count, -1, dtype=np.int32)
    quad_batch[anchored] = batch_of_component[quad_component[anchored]]
    del quad_component, anchored
    largest = int(sizes.max()) if n_components else 0
    used_components = int((sizes > 0).sum())
    del sizes, first_node, batch_of_component

    # pass 2: write every statement to its batch, the shared ones to all
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"batch-{index + 1:04d}.nt" for index in range(len(batch_sizes))]
    for path in paths:
        path.write_bytes(b"")
    buffers: list[list[str]] = [[] for _ in paths]
    buffered = [0] * len(paths)
    shared_lines: dict[str, None] = {}
    batch_of = memoryview(quad_batch)  # indexing gives Python ints
    seen = 0
    try:
        for seen, quad in enumerate(_quads(data), start=1):
            if seen > count:
                break
            batch = batch_of[seen - 1]
            line = f"{quad.subject} {quad.predicate} {quad.object} .\n"
            if batch < 0:
                shared_lines[line] = None
                continue
            buffers[batch].append(line)
            buffered[batch] += len(line)
            if buffered[batch] > _FLUSH_CHARS:
                _append(paths[batch], buffers[batch])
                buffers[batch], buffered[batch] = [], 0
    except (SyntaxError, ValueError, OSError) as error:
        raise _read_error(data, error) from None
    if seen != count:
        raise PartitionError(f"{data} changed while it was being split ({count:,} statements, then more or fewer): "
                             "split it again once it is written")
    shared_text = "".join(shared_lines)
    for path, buffer in zip(paths, buffers):
        _append(path, [*buffer, shared_text])
    batches = tuple(Batch(path, quads, components) for path, quads, components in zip(paths, batch_sizes, batch_components))
    return Partition(batches, count, nodes, int(shared.sum()), len(shared_lines), used_components, largest,
                     time.perf_counter() - started)


def _append(path: Path, lines: list[str]) -> None:
    try:
        with path.open("a", encoding="utf-8", newline="\n") as handle:
            handle.writelines(lines)
    except OSError as error:
        raise PartitionError(f"cannot write the batch {path}: {error} (is the temporary folder's disk full?)") from None


__all__ = ["Batch", "Partition", "PartitionError", "VOCABULARY_CLASSES", "DEFAULT_BATCH_QUADS", "ontology_terms",
           "partition"]
