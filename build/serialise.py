"""Stage 5: turn the validated dataset into the files of ``dist/``, byte for byte the same every run.

Why this stage is careful about order: rdflib's N-Triples output and the order
in which its TriG writer visits graphs change with ``PYTHONHASHSEED``, and
rdflib's JSON-LD writer lists values in set order. A download whose bytes
change when nothing else did defeats checksums and diffs, so every output here
is put in a canonical order by this module rather than by the library:

* ``policykg.trig`` -- the named graphs kept apart, graphs sorted by IRI;
* ``policykg.ttl`` -- the union, rdflib's Turtle (which sorts subjects and objects);
* ``policykg.nt`` -- the union, one triple per line, lines sorted;
* ``policykg.jsonld`` + ``context.jsonld`` -- the union compacted with the published
  context, nodes sorted by ``@id`` and values sorted, keys sorted;
* ``void.ttl`` -- VoID + DCAT: counts per graph, class and property, one
  distribution per data file with its media type and size (no clock time);
* ``manifest.json`` -- SHA-256 and size of every other file, written last
  (its format is :mod:`policykg.manifest`'s, which the API checks its data file against).

:func:`render_outputs` does all the work in memory; :func:`write_outputs`
only moves bytes to disk, each file as ``name.tmp`` then ``os.replace``, so a
build that fails before writing leaves the previous ``dist/`` untouched, and a
build killed while writing leaves it too, plus ``*.tmp`` files that the next
build removes (``tests/test_faults.py`` kills one).
"""

from __future__ import annotations

import fcntl
import functools
import importlib.metadata
import io
import json
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import DCAT, DCTERMS, OWL, RDF, XSD
from rdflib.plugins.serializers.trig import TrigSerializer

import policykg
from policykg import manifest
from policykg.build.graph import union_graph
from policykg.errors import OutputError
from policykg.manifest import MANIFEST, describe
from policykg.namespaces import BASE, DATASET, ID, POL, PREFIXES, VOID, bind_prefixes

TRIG = "policykg.trig"
TURTLE = "policykg.ttl"
NTRIPLES = "policykg.nt"
JSONLD = "policykg.jsonld"
CONTEXT = "context.jsonld"
VOID_FILE = "void.ttl"
sha256 = manifest.sha256  # (kept here too: callers import it with the file names)
TEMPORARY_SUFFIX = ".tmp"  # what write_outputs names a file before renaming it into place

# The URL the JSON-LD document names as its @context; the same context is
# published as ``context.jsonld`` and embedded (never fetched) when reading.
CONTEXT_URL = BASE + CONTEXT

# The data files a user downloads, described in void.ttl as DCAT distributions.
DISTRIBUTIONS: dict[str, str] = {
    TRIG: "application/trig",
    TURTLE: "text/turtle",
    NTRIPLES: "application/n-triples",
    JSONLD: "application/ld+json",
}

# DCAT names media types by their IANA registry IRI, licences by SPDX IRI.
# TODO(namespaces): these two belong in policykg/namespaces.py with the others.
IANA_MEDIA_TYPES = Namespace("https://www.iana.org/assignments/media-types/")
SPDX_LICENSES = Namespace("https://spdx.org/licenses/")

TITLE = "policykg: a knowledge graph of Chinese trade-union policy"
DESCRIPTION = (
    "The ACFTU 14th Five-Year Plan for trade-union work (2021-2025), the 2022 work report "
    "and the 18th-congress summary as RDF: chapters, items, measures, variant readings, "
    "report points and tasks; the populations each measure serves, the bodies it involves and "
    "in what role, the programmes and laws it names, the plan's indicators and the 2022 "
    "figures measured against them, and the later tasks that carry items forward. Every "
    "statement and link has character-offset provenance into the source files. "
    "Named graphs keep what the sources say (asserted), what the project wrote (curated) "
    "and what the build concluded (inferred) apart."
)


# --------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Statistics:
    """What void.ttl states about the dataset (tests compare it with counts of their own)."""

    triples: int  # distinct triples of the union
    graphs: dict[URIRef, int]  # named graph -> its own triple count
    classes: dict[URIRef, int]  # class -> distinct instances (union)
    properties: dict[URIRef, int]  # predicate -> triples (union)
    distinct_subjects: int
    distinct_objects: int


def named_graphs(dataset: Dataset) -> list[Graph]:
    """The dataset's non-empty graphs, sorted by IRI (the default graph only if it holds triples)."""
    graphs = [g for g in dataset.graphs() if len(g) and not _is_default(g)]
    default = dataset.graph(DATASET_DEFAULT_GRAPH_ID)
    return sorted(graphs, key=lambda g: str(g.identifier)) + ([default] if len(default) else [])


def _is_default(graph: Graph) -> bool:
    return graph.identifier == DATASET_DEFAULT_GRAPH_ID


def statistics(dataset: Dataset, union: Graph | None = None) -> Statistics:
    union = union_graph(dataset) if union is None else union
    classes: dict[URIRef, set] = {}
    for subject, cls in union.subject_objects(RDF.type):
        classes.setdefault(cls, set()).add(subject)
    return Statistics(
        triples=len(union),
        graphs={g.identifier: len(g) for g in named_graphs(dataset) if not _is_default(g)},
        classes={cls: len(members) for cls, members in sorted(classes.items())},
        properties=dict(sorted(Counter(union.predicates()).items())),
        distinct_subjects=len(set(union.subjects())),
        distinct_objects=len(set(union.objects())),
    )


# --------------------------------------------------------------------------- render
def render_outputs(dataset: Dataset, *, union: Graph | None = None) -> dict[str, bytes]:
    """Every file of dist/, by name, as bytes; nothing is written here.

    ``union`` may be passed by a caller that already built it (it must be ``union_graph(dataset)``).
    """
    _require_no_blank_nodes(dataset)
    union = union_graph(dataset) if union is None else union
    files = {
        TRIG: render_trig(dataset),
        TURTLE: union.serialize(format="turtle", encoding="utf-8"),
        NTRIPLES: render_ntriples(union),
        CONTEXT: render_context(),
        JSONLD: render_jsonld(union),
    }
    sizes = {name: len(files[name]) for name in DISTRIBUTIONS}
    files[VOID_FILE] = render_void(statistics(dataset, union), sizes)
    files[MANIFEST] = render_manifest(files)
    return files


def _require_no_blank_nodes(dataset: Dataset) -> None:
    """Blank-node labels are random per run, so they would make the outputs differ; the model has none."""
    for graph in named_graphs(dataset):
        for triple in graph:
            if any(isinstance(term, BNode) for term in triple):
                raise OutputError(
                    f"graph <{graph.identifier}> holds a blank node ({' '.join(t.n3() for t in triple)}); "
                    "every resource needs an IRI for the outputs to be reproducible"
                )


class _SortedTrigSerializer(TrigSerializer):
    """rdflib's TriG writer, visiting graphs in IRI order instead of the store's set order."""

    def __init__(self, store: Dataset):
        with warnings.catch_warnings():  # rdflib 7.6's TriG writer uses its own deprecated Dataset.default_context
            warnings.simplefilter("ignore", DeprecationWarning)
            super().__init__(store)
        self.contexts = named_graphs(store)


def render_trig(dataset: Dataset) -> bytes:
    """TriG of a copy that binds only the project's prefixes, whatever the caller's dataset has bound."""
    canonical = Dataset()
    bind_prefixes(canonical)
    for graph in named_graphs(dataset):
        target = canonical.graph(graph.identifier)
        target += graph
    stream = io.BytesIO()
    _SortedTrigSerializer(canonical).serialize(stream, encoding="utf-8")
    return stream.getvalue()


def render_ntriples(union: Graph) -> bytes:
    """Sorted lines; split on "\\n" only (str.splitlines would also cut at a U+2028 inside a literal)."""
    lines = union.serialize(format="nt", encoding="utf-8").decode("utf-8").split("\n")
    return "".join(f"{line}\n" for line in sorted(filter(None, lines))).encode("utf-8")


def _json_bytes(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- JSON-LD
def jsonld_context() -> dict[str, str]:
    """The published context: the project's prefixes, nothing else (so any IRI compacts the same way)."""
    return {prefix: str(namespace) for prefix, namespace in sorted(PREFIXES.items())}


def render_context() -> bytes:
    return _json_bytes({"@context": jsonld_context()})


@functools.lru_cache(maxsize=None)
def compact_iri(iri: str) -> str:
    """``prefix:local`` for the longest context namespace that is a proper prefix of ``iri``, else ``iri``.

    A local part starting with ``//`` would read as an absolute IRI in JSON-LD, so it is never compacted.
    """
    candidates = [
        (len(namespace), f"{prefix}:{iri[len(namespace):]}")
        for prefix, namespace in jsonld_context().items()
        if iri.startswith(namespace) and len(iri) > len(namespace) and not iri[len(namespace):].startswith("//")
    ]
    return max(candidates)[1] if candidates else iri


def _jsonld_value(term) -> object:
    """A JSON-LD value that reads back as exactly ``term`` (native JSON only where lossless)."""
    if isinstance(term, URIRef):
        return {"@id": compact_iri(str(term))}
    lexical = str(term)
    if term.language:
        return {"@language": term.language, "@value": lexical}
    datatype = term.datatype
    if datatype is None or datatype == XSD.string:
        return lexical
    if datatype == XSD.boolean and lexical in ("true", "false"):
        return lexical == "true"
    if datatype == XSD.integer and lexical == str(_int_or_none(lexical)):
        return int(lexical)
    return {"@type": compact_iri(str(datatype)), "@value": lexical}


def _int_or_none(lexical: str) -> int | None:
    try:
        return int(lexical)
    except ValueError:
        return None


def _sort_key(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def jsonld_document(union: Graph, context_ref: object = CONTEXT_URL) -> dict:
    """The union as a compacted JSON-LD document: one node per subject, sorted by @id."""
    nodes: dict[str, dict[str, list]] = {}
    for subject, predicate, obj in union:
        node = nodes.setdefault(compact_iri(str(subject)), {})
        if predicate == RDF.type and isinstance(obj, URIRef):
            node.setdefault("@type", []).append(compact_iri(str(obj)))
        else:
            node.setdefault(compact_iri(str(predicate)), []).append(_jsonld_value(obj))
    graph = []
    for node_id in sorted(nodes):
        node: dict[str, object] = {"@id": node_id}
        for key, values in nodes[node_id].items():
            values = sorted(values, key=_sort_key)
            node[key] = values[0] if len(values) == 1 else values
        graph.append(node)
    return {"@context": context_ref, "@graph": graph}


def render_jsonld(union: Graph) -> bytes:
    return _json_bytes(jsonld_document(union))


# --------------------------------------------------------------------------- VoID + DCAT
def _fragment(name: str) -> URIRef:
    """A part of the dataset description (class partition, distribution): ``…/dataset/policykg#name``."""
    return URIRef(f"{DATASET}#{name}")


def _curie_slug(iri: URIRef) -> str:
    return compact_iri(str(iri)).replace(":", "-")


def _license() -> URIRef:
    """The project's licence (pyproject), so the data and code licences cannot drift apart."""
    return SPDX_LICENSES[importlib.metadata.metadata("policykg")["License"]]


def void_graph(stats: Statistics, sizes: dict[str, int]) -> Graph:
    graph = Graph(bind_namespaces="none")
    bind_prefixes(graph)
    dataset = DATASET
    for triple in [
        (dataset, RDF.type, VOID.Dataset),
        (dataset, RDF.type, DCAT.Dataset),
        (dataset, DCTERMS.title, Literal(TITLE, lang="en")),
        (dataset, DCTERMS.description, Literal(DESCRIPTION, lang="en")),
        (dataset, DCTERMS.license, _license()),
        (dataset, OWL.versionInfo, Literal(policykg.__version__)),
        (dataset, VOID.uriSpace, Literal(str(ID))),
        (dataset, VOID.vocabulary, URIRef(str(POL._NS))),
        (dataset, VOID.triples, Literal(stats.triples)),
        (dataset, VOID.classes, Literal(len(stats.classes))),
        (dataset, VOID.properties, Literal(len(stats.properties))),
        (dataset, VOID.distinctSubjects, Literal(stats.distinct_subjects)),
        (dataset, VOID.distinctObjects, Literal(stats.distinct_objects)),
    ]:
        graph.add(triple)
    for name, triples in stats.graphs.items():
        # The graph's own IRI names the subset, so a query can join counts to GRAPH ?g.
        graph.add((dataset, VOID.subset, name))
        graph.add((name, RDF.type, VOID.Dataset))
        graph.add((name, VOID.triples, Literal(triples)))
    for cls, entities in stats.classes.items():
        partition = _fragment(f"class-{_curie_slug(cls)}")
        graph.add((dataset, VOID.classPartition, partition))
        graph.add((partition, VOID["class"], cls))
        graph.add((partition, VOID.entities, Literal(entities)))
    for prop, triples in stats.properties.items():
        partition = _fragment(f"property-{_curie_slug(prop)}")
        graph.add((dataset, VOID.propertyPartition, partition))
        graph.add((partition, VOID.property, prop))
        graph.add((partition, VOID.triples, Literal(triples)))
    for name, size in sizes.items():
        distribution = _fragment(f"distribution-{name}")
        graph.add((dataset, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(name)))
        graph.add((distribution, DCAT.mediaType, IANA_MEDIA_TYPES[DISTRIBUTIONS[name]]))
        graph.add((distribution, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
    return graph


def render_void(stats: Statistics, sizes: dict[str, int]) -> bytes:
    return void_graph(stats, sizes).serialize(format="turtle", encoding="utf-8")


# --------------------------------------------------------------------------- manifest + write
def render_manifest(files: dict[str, bytes]) -> bytes:
    """SHA-256 and size of every other output (the manifest cannot hash itself)."""
    entries = describe({name: data for name, data in files.items() if name != MANIFEST})
    return _json_bytes({"dataset": str(DATASET), "files": entries})


def _write_order(names: Iterable[str]) -> list[str]:
    """The manifest last: a reader that finds it knows every file it lists is in place."""
    return sorted(names, key=lambda name: (name == MANIFEST, name))


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (no lock file in dist/), for the write phase of one build.

    Two builds into the same folder then write one after the other, and the
    ``*.tmp`` files a build finds while it holds the lock are a dead build's
    (the kernel drops the lock of a killed process), never a running one's.
    """
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def leftover_temporaries(folder: Path) -> list[Path]:
    """The ``*.tmp`` files in ``folder``: what a build killed while writing left (never outputs: none ends so)."""
    return sorted(path for path in Path(folder).glob(f"*{TEMPORARY_SUFFIX}") if path.is_file())


def _write_temporary(path: Path, data: bytes) -> None:
    """Write and flush one file to the disk, so a rename never puts an unwritten file in place after a crash."""
    path.write_bytes(data)
    with path.open("rb") as written:
        os.fsync(written.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the renames themselves durable."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_outputs(files: dict[str, bytes], out_dir: Path) -> list[Path]:
    """Write every file as ``name.tmp`` in ``out_dir``, then rename them all into place.

    All temporary files are written before the first rename, so a full disk, a
    permission error or a kill while writing leaves the previous outputs as
    they were. Temporary files a killed build left behind are removed first.
    """
    out_dir = Path(out_dir)
    names = _write_order(files)
    temporaries = {name: out_dir / f"{name}{TEMPORARY_SUFFIX}" for name in names}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with _locked(out_dir):
            for leftover in leftover_temporaries(out_dir):
                leftover.unlink(missing_ok=True)
            try:
                for name in names:
                    _write_temporary(temporaries[name], files[name])
                for name in names:
                    os.replace(temporaries[name], out_dir / name)
            except OSError:
                for temporary in temporaries.values():
                    temporary.unlink(missing_ok=True)
                raise
            _sync_folder(out_dir)
    except OSError as error:
        raise OutputError(f"cannot write {out_dir}: {error}") from error
    return [out_dir / name for name in names]
