"""``policykg validate --split``: the partition of a corpus into batches, and that it changes no result.

The split run is only usable if its rows are the whole graph's, so it is
compared with pySHACL on the whole graph (:func:`same_results`): on the built
graph, on a synthetic corpus of three plans with faults put into two of them
and into a shared vocabulary, and on every broken fixture of
``tests/fixtures/shapes/`` split as finely as it goes. The partition itself is
checked on the synthetic corpus: each plan in a batch of its own, the shared
statements in every batch, the same bytes every time.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, parse
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH

from policykg import cli
from policykg.build.partition import PartitionError, ontology_terms, partition
from policykg.build.shacl_engines import result_differences, same_results
from policykg.build.validate import (
    ValidationOutcome, ValidationRow, format_report, load_shapes, merge_rows, validate, validate_split,
)
from policykg.errors import PolicyKGError
from policykg.namespaces import ID, POL
from policykg.synthetic import SHARED_KINDS, write

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
INVALID = sorted(path.name for path in FIXTURES.glob("*-invalid.ttl"))
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PLAN_BUDGET = 20_000  # statements: one plan of the synthetic corpus (~17,900) per batch
PLAN_PREFIX = re.compile(re.escape(str(ID)) + r"[a-z-]+/(s\d{4})-")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes()


@pytest.fixture(scope="module")
def corpus(dist_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("split") / "plans-3.nq"
    write(out, 3, template=dist_dir / "policykg.trig")
    return out


@pytest.fixture(scope="module")
def faulty(corpus: Path) -> Path:
    """The corpus with faults in plans 2 and 3 and in a shared body, as N-Quads lines are edited."""
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)

    def first(test) -> int:
        return next(index for index, line in enumerate(lines) if test(line))

    # plan 2: a measure without its quote (sh:minCount); two chapters numbered 10 (the SPARQL uniqueness check)
    del lines[first(lambda line: line.startswith(f"<{ID}measure/s0002-") and f"<{POL.quote}>" in line)]
    index = first(lambda line: line.startswith(f"<{ID}chapter/s0002-11> <{POL.number}>"))
    lines[index] = lines[index].replace('"11"', '"10"')
    # plan 3: a start offset that is no integer (sh:datatype, sh:lessThanOrEquals); an item stated narrower than
    # a population, which the population's shape sees through ^skos:broader (a shared focus, one batch's value)
    index = first(lambda line: line.startswith(f"<{ID}measure/s0003-") and f"<{POL.start}>" in line)
    lines[index] = re.sub(r'"\d+"\^\^<[^>]+>', '"twelve"', lines[index])
    population = re.match(r"<([^>]+)>", lines[first(lambda line: line.startswith(f"<{ID}population/"))]).group(1)
    lines.append(f"<{ID}item/s0003-16> <{SKOS}broader> <{population}> <{ID}graph/asserted> .\n")
    # shared: a body without its English name, which every batch sees
    del lines[first(lambda line: line.startswith(f"<{ID}body/") and f"<{SKOS}prefLabel>" in line
                    and f'"@en <{ID}graph/curated>' in line)]
    out = corpus.with_name("plans-3-faulty.nq")
    out.write_text("".join(lines), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def faulty_whole(faulty: Path, shapes: Graph) -> ValidationOutcome:
    return validate(faulty, shapes, engine="pyshacl")


def assert_same(whole: ValidationOutcome, split: ValidationOutcome, *, keep_blank_nodes: bool = True) -> None:
    only_whole, only_split = result_differences(whole, split, keep_blank_nodes=keep_blank_nodes)
    assert not only_whole and not only_split, (
        f"split and whole differ\nonly whole: {only_whole}\nonly split: {only_split}\n{format_report(split)}"
    )
    assert same_results(whole, split, keep_blank_nodes=keep_blank_nodes)
    assert (whole.conforms, whole.violations, whole.warnings) == (split.conforms, split.violations, split.warnings)


def plans_in(path: Path) -> set[str]:
    """The copy prefixes (s0002 …) of the IRIs in a batch file; "real" for plan 1's own resources."""
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        prefixes = set(PLAN_PREFIX.findall(line))
        found |= prefixes
        if not prefixes and re.search(re.escape(str(ID)) + "(?!(?:" + "|".join(SHARED_KINDS) + ")/)[a-z-]+/", line):
            found.add("real")
    return found


def vocabulary_statements(path: Path) -> set[str]:
    """The lines of ``path`` (N-Quads, graph names cut) whose subject is typed with a vocabulary class."""
    _, vocabulary = ontology_terms()
    quads = list(parse(path=str(path), format=RdfFormat.N_QUADS))
    members = {quad.subject for quad in quads if quad.predicate == NamedNode(RDF_TYPE) and quad.object in vocabulary}
    return {f"{quad.triple} ." for quad in quads if quad.subject in members}


# --------------------------------------------------------------------------- the partition
def test_each_plan_is_a_batch_of_its_own_with_the_vocabularies(corpus: Path, tmp_path: Path) -> None:
    split = partition(corpus, tmp_path, batch_quads=PLAN_BUDGET)
    assert split.components == 3 and len(split.batches) == 3
    assert [plans_in(batch.path) for batch in split.batches] == [{"real"}, {"s0002"}, {"s0003"}]
    assert sum(batch.quads for batch in split.batches) + split.shared_statements == split.quads
    shared = vocabulary_statements(corpus)
    assert 0 < len(shared) <= split.shared_statements
    for batch in split.batches:
        lines = set(batch.path.read_text(encoding="utf-8").splitlines())
        assert shared <= lines, f"{batch.path.name} lacks {len(shared - lines)} vocabulary statement(s)"
        assert len(lines) <= batch.quads + split.shared_statements  # a triple in two named graphs: one line


def test_the_budget_packs_whole_groups_in_file_order(corpus: Path, tmp_path: Path) -> None:
    two = partition(corpus, tmp_path / "two", batch_quads=2 * PLAN_BUDGET)
    assert [plans_in(batch.path) for batch in two.batches] == [{"real", "s0002"}, {"s0003"}]
    assert [batch.components for batch in two.batches] == [2, 1]
    small = partition(corpus, tmp_path / "small", batch_quads=1)  # a group larger than the budget is a batch alone
    assert len(small.batches) == 3 and small.largest_component == max(batch.quads for batch in small.batches)
    with pytest.raises(PartitionError, match="at least 1"):
        partition(corpus, tmp_path / "none", batch_quads=0)


def test_the_same_file_gives_the_same_batches(corpus: Path, tmp_path: Path) -> None:
    first = partition(corpus, tmp_path / "a", batch_quads=PLAN_BUDGET)
    second = partition(corpus, tmp_path / "b", batch_quads=PLAN_BUDGET)
    assert [batch.path.read_bytes() for batch in first.batches] == [batch.path.read_bytes() for batch in second.batches]
    assert (first.quads, first.nodes, first.shared_nodes, first.components) == (
        second.quads, second.nodes, second.shared_nodes, second.components)


def test_shared_nodes_are_the_kinds_the_synthetic_copies_share(dist_dir: Path) -> None:
    """The rule (typed with a vocabulary class) and policykg.synthetic's SHARED_KINDS pick the same nodes."""
    _, vocabulary = ontology_terms()
    quads = list(parse(path=str(dist_dir / "policykg.trig"), format=RdfFormat.TRIG))
    typed = {quad.subject.value for quad in quads if quad.predicate == NamedNode(RDF_TYPE) and quad.object in vocabulary}
    kinds = re.compile(re.escape(str(ID)) + "(?:" + "|".join(SHARED_KINDS) + ")/")
    named = {node.value for quad in quads for node in (quad.subject, quad.object)
             if isinstance(node, NamedNode) and kinds.match(node.value)}
    assert typed == named and len(typed) > 100
    assert {NamedNode(str(POL.Campaign)), NamedNode(str(POL.Fund))} <= vocabulary  # sub-classes, from the ontology


def test_a_vocabulary_member_without_its_type_joins_the_plans_that_use_it(corpus: Path, tmp_path: Path) -> None:
    """Not shared, it is a node like any other: one group for all plans (slower, same results)."""
    body = f"<{ID}body/acftu>"
    edited = tmp_path / "untyped.nq"
    edited.write_text("".join(line for line in corpus.read_text(encoding="utf-8").splitlines(keepends=True)
                              if not line.startswith(f"{body} <{RDF_TYPE}>")), encoding="utf-8")
    assert edited.stat().st_size < corpus.stat().st_size
    split = partition(edited, tmp_path / "batches", batch_quads=PLAN_BUDGET)
    assert split.components == 1 and len(split.batches) == 1


def test_unreadable_files_are_project_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyKGError, match="no such file"):
        partition(tmp_path / "missing.nq", tmp_path)
    broken = tmp_path / "broken.nq"
    broken.write_text("<a> <b> .\n", encoding="utf-8")
    with pytest.raises(PolicyKGError, match="cannot be read as RDF"):
        partition(broken, tmp_path / "out")


# --------------------------------------------------------------------------- the same results
def test_split_agrees_with_the_whole_built_graph(dist_dir: Path, shapes: Graph) -> None:
    data = dist_dir / "policykg.trig"
    whole = validate(data, shapes, engine="pyshacl")
    split = validate_split(data, shapes, engine="pyshacl", jobs=1, batch_quads=1)
    assert whole.conforms and split.batches >= 1
    assert_same(whole, split)


def test_split_agrees_on_faults_in_two_plans_and_a_vocabulary(
    faulty: Path, faulty_whole: ValidationOutcome, shapes: Graph
) -> None:
    split = validate_split(faulty, shapes, engine="pyshacl", jobs=1, batch_quads=PLAN_BUDGET)
    assert split.batches == 3
    assert_same(faulty_whole, split)
    assert [row._replace(message="") for row in split.rows] == [row._replace(message="") for row in faulty_whole.rows]
    components = Counter(row.component for row in split.rows)
    assert components[SH.SPARQLConstraintComponent] == 2 and components[SH.EqualsConstraintComponent] == 1
    foci = {str(row.focus) for row in split.rows}
    assert any("/s0002-" in focus for focus in foci) and any("/s0003-" in focus for focus in foci)
    body = [row for row in split.rows if "/id/body/" in str(row.focus)]
    assert len(body) == 1  # found by all three batches, kept once


def test_split_topbraid_in_worker_processes_agrees(faulty: Path, faulty_whole: ValidationOutcome, shapes: Graph) -> None:
    split = validate_split(faulty, shapes, engine="topbraid", jobs=2, batch_quads=2 * PLAN_BUDGET)
    assert split.engine == "topbraid" and split.batches == 2
    assert_same(faulty_whole, split)


@pytest.mark.parametrize("name", INVALID)
def test_split_agrees_on_every_broken_fixture(name: str, shapes: Graph, tmp_path: Path) -> None:
    graph = Graph()
    graph.parse(FIXTURES / "base.ttl", format="turtle")
    graph.parse(FIXTURES / name, format="turtle")
    data = tmp_path / "fixture.nt"
    graph.serialize(data, format="nt", encoding="utf-8")
    whole = validate(graph, shapes, engine="pyshacl")
    split = validate_split(data, shapes, engine="pyshacl", jobs=1, batch_quads=1)  # every group a batch
    assert not whole.conforms and whole.rows
    assert_same(whole, split, keep_blank_nodes=False)


def test_merge_keeps_a_shared_result_once_and_a_batchs_own_as_often_as_found() -> None:
    shared = ValidationRow(SH.Violation, URIRef(f"{ID}body/x"), URIRef(f"{SKOS}prefLabel"), "m", URIRef("urn:s"),
                           SH.MinCountConstraintComponent)
    own = shared._replace(focus=URIRef(f"{ID}measure/1"), value=Literal(1))
    merged = merge_rows([[shared, own, own], [shared], [shared, own._replace(focus=URIRef(f"{ID}measure/2"))]])
    assert merged.count(shared) == 1 and merged.count(own) == 2 and len(merged) == 4
    assert merged == sorted(merged, key=ValidationRow.sort_key)


# --------------------------------------------------------------------------- CLI
def test_cli_split_exit_codes_and_report(dist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "--split", "--jobs", "1", "--out", str(dist_dir)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("conforms: 0 violation(s)") and "(pyshacl, 1 batch)" in captured.out
    assert "split policykg.trig" in captured.err

    broken = tmp_path / "broken.ttl"
    graph = Graph()
    graph.parse(FIXTURES / "base.ttl", format="turtle")
    graph.parse(FIXTURES / "Measure-invalid.ttl", format="turtle")
    graph.serialize(broken, format="turtle")
    assert cli.main(["validate", "--data", str(broken)]) == 1
    whole = capsys.readouterr().out.splitlines()
    assert cli.main(["validate", "--split", "--jobs", "1", "--batch-quads", "1", "--data", str(broken)]) == 1
    split = capsys.readouterr().out.splitlines()
    assert whole[0].startswith("does not conform") and whole[0].endswith(" s")
    assert split[0].split(" in ")[0] == whole[0].split(" in ")[0] and split[0].endswith("(pyshacl, 3 batches)")
    assert split[1:] == whole[1:]  # the same table

    data = ["--data", str(broken)]
    for bad, message in (([*data, "--jobs", "2"], "apply to --split only"),
                         ([*data, "--split", "--jobs", "0"], "at least 1"),
                         ([*data, "--split", "--batch-quads", "0"], "at least 1"),
                         (["--split", "--data", str(tmp_path / "missing.nq")], "no such file"),
                         (["--split", "--out", str(tmp_path)], "not built yet")):
        assert cli.main(["validate", *bad]) == 2, bad
        assert message in capsys.readouterr().err, bad
