"""The outputs of dist/: reproducible to the byte, each format faithful to the dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from policykg.build import serialise
from policykg.build.graph import union_graph
from policykg.build.ontology_docs import ONTOLOGY_HTML, add_ontology_docs
from policykg.build.serialise import (
    CONTEXT,
    CONTEXT_URL,
    DISTRIBUTIONS,
    JSONLD,
    MANIFEST,
    NTRIPLES,
    TRIG,
    TURTLE,
    VOID_FILE,
    jsonld_context,
    render_outputs,
    sha256,
    write_outputs,
)
from policykg.errors import OutputError
from policykg.namespaces import DATASET, GRAPH_ASSERTED, GRAPH_CURATED, GRAPH_INFERRED, POL, VOID, resource

ALL_FILES = {TRIG, TURTLE, NTRIPLES, JSONLD, CONTEXT, VOID_FILE, ONTOLOGY_HTML, MANIFEST}
BUILD_IN_SUBPROCESS = (
    "import sys; from pathlib import Path; from policykg.build.pipeline import build; build(Path(sys.argv[1]))"
)


@pytest.fixture(scope="module")
def union(dataset: Dataset) -> Graph:
    return union_graph(dataset)


@pytest.fixture(scope="module")
def void(dist_dir: Path) -> Graph:
    return Graph().parse(dist_dir / VOID_FILE, format="turtle")


def read_all(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


# --------------------------------------------------------------------------- reproducibility
def test_dist_holds_exactly_the_outputs(dist_dir: Path) -> None:
    assert {path.name for path in dist_dir.iterdir()} == ALL_FILES


@pytest.mark.parametrize("seed", ["1", "2"])
def test_builds_under_other_hash_seeds_are_byte_identical(dist_dir: Path, tmp_path: Path, seed: str) -> None:
    """rdflib's set order changes with PYTHONHASHSEED; the outputs must not."""
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run([sys.executable, "-c", BUILD_IN_SUBPROCESS, str(tmp_path)], env=env, check=True, timeout=300)
    rebuilt = read_all(tmp_path)
    expected = read_all(dist_dir)
    assert rebuilt.keys() == expected.keys()
    assert [name for name in expected if rebuilt[name] != expected[name]] == []


def test_rendering_twice_in_one_process_is_identical(dataset: Dataset, dist_dir: Path) -> None:
    assert add_ontology_docs(render_outputs(dataset)) == read_all(dist_dir)


# --------------------------------------------------------------------------- formats
def test_trig_keeps_the_three_named_graphs_apart(dist_dir: Path, dataset: Dataset) -> None:
    parsed = Dataset().parse(dist_dir / TRIG, format="trig")
    graphs = {g.identifier: g for g in parsed.graphs() if len(g)}
    assert set(graphs) == {GRAPH_ASSERTED, GRAPH_CURATED, GRAPH_INFERRED}
    for name, graph in graphs.items():
        assert set(graph) == set(dataset.graph(name)), name


def test_turtle_is_the_union(dist_dir: Path, union: Graph) -> None:
    assert set(Graph().parse(dist_dir / TURTLE, format="turtle")) == set(union)


def test_ntriples_is_sorted_one_triple_per_line(dist_dir: Path, union: Graph) -> None:
    data = (dist_dir / NTRIPLES).read_bytes()
    assert data.endswith(b"\n")
    lines = data.decode("utf-8").split("\n")[:-1]
    assert lines == sorted(lines)
    assert len(lines) == len(set(lines)) == len(union)
    assert all(line.endswith(" .") for line in lines)
    assert set(Graph().parse(data=data, format="nt")) == set(union)


def test_jsonld_round_trips_with_the_embedded_context(dist_dir: Path, union: Graph) -> None:
    document = json.loads((dist_dir / JSONLD).read_text(encoding="utf-8"))
    published = json.loads((dist_dir / CONTEXT).read_text(encoding="utf-8"))
    assert document["@context"] == CONTEXT_URL
    assert published == {"@context": jsonld_context()}
    # Embed the published context instead of letting a parser fetch the URL.
    document["@context"] = published["@context"]
    parsed = Graph().parse(data=json.dumps(document), format="json-ld")
    assert set(parsed) == set(union)


def test_jsonld_is_compacted_and_sorted(dist_dir: Path) -> None:
    document = json.loads((dist_dir / JSONLD).read_text(encoding="utf-8"))
    ids = [node["@id"] for node in document["@graph"]]
    assert ids == sorted(ids)
    item = next(node for node in document["@graph"] if node["@id"] == "id:item/16")
    assert item["@type"] == "pol:PlanItem"
    assert item["pol:number"] == 16


# --------------------------------------------------------------------------- VoID + DCAT
def test_void_counts_graphs_and_the_union(void: Graph, dataset: Dataset, union: Graph) -> None:
    assert void.value(DATASET, VOID.triples).toPython() == len(union)
    subsets = set(void.objects(DATASET, VOID.subset))
    assert subsets == {GRAPH_ASSERTED, GRAPH_CURATED, GRAPH_INFERRED}
    for graph in subsets:
        assert void.value(graph, VOID.triples).toPython() == len(dataset.graph(graph)), graph


def test_void_class_and_property_partitions(void: Graph, union: Graph) -> None:
    classes = {
        void.value(p, VOID["class"]): void.value(p, VOID.entities).toPython()
        for p in void.objects(DATASET, VOID.classPartition)
    }
    expected_classes = {cls: len(set(union.subjects(RDF.type, cls))) for cls in set(union.objects(None, RDF.type))}
    assert classes == expected_classes
    assert classes[POL.PlanItem] == 46
    properties = {
        void.value(p, VOID.property): void.value(p, VOID.triples).toPython()
        for p in void.objects(DATASET, VOID.propertyPartition)
    }
    assert properties == dict(Counter(union.predicates()))


def test_void_describes_each_distribution_but_not_itself(void: Graph, dist_dir: Path) -> None:
    distributions = {
        str(void.value(d, DCTERMS.title)): (void.value(d, DCAT.byteSize).toPython(), str(void.value(d, DCAT.mediaType)))
        for d in void.objects(DATASET, DCAT.distribution)
    }
    assert set(distributions) == set(DISTRIBUTIONS)
    for name, (size, media_type) in distributions.items():
        assert size == (dist_dir / name).stat().st_size, name
        assert media_type.endswith("/" + DISTRIBUTIONS[name]), name
    assert void.value(DATASET, DCTERMS.title) is not None
    assert void.value(DATASET, DCTERMS.license) is not None
    hashes = {sha256(path.read_bytes()) for path in dist_dir.iterdir()}
    assert not {str(o) for o in void.objects()} & hashes  # hashes live in the manifest, never in void.ttl
    assert (None, DCTERMS.issued, None) not in void and (None, DCTERMS.modified, None) not in void


def test_manifest_lists_every_other_file_with_its_hash(dist_dir: Path) -> None:
    manifest = json.loads((dist_dir / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == ALL_FILES - {MANIFEST}
    for name, entry in manifest["files"].items():
        data = (dist_dir / name).read_bytes()
        assert entry == {"bytes": len(data), "sha256": sha256(data)}, name


# --------------------------------------------------------------------------- small cases
def small_dataset(*extra: tuple) -> Dataset:
    dataset = Dataset()
    asserted = dataset.graph(GRAPH_ASSERTED)
    item = resource("item", 16)
    asserted.add((item, RDF.type, POL.PlanItem))
    asserted.add((item, POL.number, Literal(16)))
    asserted.add((item, POL.text, Literal("配合人社部门\n研究“政策”。", lang="zh")))
    dataset.graph(GRAPH_CURATED).add((item, POL.text, Literal("Item sixteen", lang="en")))
    for triple in extra:
        asserted.add(triple)
    return dataset


def test_typed_literals_survive_the_jsonld_round_trip() -> None:
    subject = resource("item", 16)
    odd = [Literal("007", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer")),
           Literal("1", datatype=URIRef("http://www.w3.org/2001/XMLSchema#boolean")),
           Literal("45000.0", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal")),
           Literal("2025-12-31", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))]
    dataset = small_dataset(*[(subject, POL.value, literal) for literal in odd])
    files = render_outputs(dataset)
    document = json.loads(files[JSONLD])
    document["@context"] = jsonld_context()
    assert set(Graph().parse(data=json.dumps(document), format="json-ld")) == set(union_graph(dataset))


def test_a_blank_node_is_refused() -> None:
    with pytest.raises(OutputError, match="blank node"):
        render_outputs(small_dataset((BNode(), POL.number, Literal(1))))


def test_write_outputs_replaces_files_and_leaves_no_temporaries(tmp_path: Path) -> None:
    written = write_outputs({"a.txt": b"new", MANIFEST: b"{}"}, tmp_path)
    assert [p.name for p in written] == ["a.txt", MANIFEST]  # the manifest last
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", MANIFEST]


def test_a_failed_write_leaves_the_previous_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_bytes(b"old a")
    (tmp_path / "b.txt").write_bytes(b"old b")
    real_write = Path.write_bytes

    def fail_on_b(path: Path, data: bytes) -> int:
        if path.name.startswith("b.txt"):
            raise OSError(28, "No space left on device")
        return real_write(path, data)

    monkeypatch.setattr(Path, "write_bytes", fail_on_b)
    with pytest.raises(OutputError, match="No space left"):
        write_outputs({"a.txt": b"new a", "b.txt": b"new b"}, tmp_path)
    assert read_all(tmp_path) == {"a.txt": b"old a", "b.txt": b"old b"}


def test_compact_iri_prefers_the_longest_namespace() -> None:
    assert serialise.compact_iri(str(resource("item", 16))) == "id:item/16"
    assert serialise.compact_iri(str(POL.PlanItem)) == "pol:PlanItem"
    assert serialise.compact_iri("http://example.org/x") == "http://example.org/x"
