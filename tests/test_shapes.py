"""Every SHACL shape against a valid and an invalid example.

``tests/fixtures/shapes/<Shape>-valid.ttl`` and ``<Shape>-invalid.ttl`` exist for
every NodeShape of ``shapes/`` (named by its local name). Each is validated
together with ``base.ttl`` (a small conforming plan) against *all* shapes: the
valid example must produce no result at all, and the invalid one exactly the
results its ``# expect: focus path component [severity]`` lines list (``-`` for
no path, ``^p`` for an inverse path, severity sh:Violation unless given).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.paths import InvPath

from policykg.build.validate import ValidationOutcome, format_report, load_shapes, validate
from policykg.namespaces import POL, resource

FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
BASE = FIXTURES / "base.ttl"
EXPECT = re.compile(r"^#\s*expect:\s*(.+?)\s*$", re.MULTILINE)


@cache
def shapes() -> Graph:
    return load_shapes()


def node_shapes() -> list[str]:
    """Local names of every NodeShape, e.g. ``PlanItem``."""
    return sorted(str(s).rsplit("#", 1)[-1] for s in shapes().subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef))


def fixture_graph(*names: str) -> Graph:
    graph = Graph()
    graph.parse(BASE, format="turtle")
    for name in names:
        graph.parse(FIXTURES / name, format="turtle")
    return graph


def check(*names: str) -> ValidationOutcome:
    return validate(fixture_graph(*names), shapes())


def expected_results(name: str, graph: Graph) -> set[tuple]:
    """The ``# expect:`` lines of a fixture as (focus, path, component, severity)."""
    expected = set()
    for line in EXPECT.findall((FIXTURES / name).read_text(encoding="utf-8")):
        focus, path, component, *severity = line.split()
        expand = graph.namespace_manager.expand_curie
        if path == "-":
            path_node = None
        elif path.startswith("^"):
            path_node = InvPath(expand(path[1:]))
        else:
            path_node = expand(path)
        expected.add((expand(focus), path_node, expand(component), expand(severity[0]) if severity else SH.Violation))
    return expected


def actual_results(outcome: ValidationOutcome) -> set[tuple]:
    return {(row.focus, row.path, row.component, row.severity) for row in outcome.rows}


# --------------------------------------------------------------------------- fixtures exist
def test_every_shape_has_a_valid_and_an_invalid_example() -> None:
    names = node_shapes()
    assert len(names) >= 14
    missing = [f"{n}-{kind}.ttl" for n in names for kind in ("valid", "invalid") if not (FIXTURES / f"{n}-{kind}.ttl").is_file()]
    assert not missing, f"add fixtures for: {missing}"
    stray = sorted(p.name for p in FIXTURES.glob("*.ttl") if p != BASE and p.name.rsplit("-", 1)[0] not in names)
    assert not stray, f"fixtures without a shape: {stray}"


def test_base_fixture_conforms() -> None:
    outcome = check()
    assert outcome.rows == [], format_report(outcome)


# --------------------------------------------------------------------------- per shape
@pytest.mark.parametrize("shape", node_shapes())
def test_valid_example_conforms(shape: str) -> None:
    outcome = check(f"{shape}-valid.ttl")
    assert outcome.conforms
    assert outcome.rows == [], format_report(outcome)


@pytest.mark.parametrize("shape", node_shapes())
def test_invalid_example_reports_exactly_the_expected_results(shape: str) -> None:
    name = f"{shape}-invalid.ttl"
    graph = fixture_graph(name)
    expected = expected_results(name, graph)
    assert expected, f"{name} lists no '# expect:' line"
    outcome = validate(graph, shapes())
    assert actual_results(outcome) == expected, format_report(outcome)
    assert not outcome.conforms


# --------------------------------------------------------------------------- behaviour
def test_unique_numbers_names_every_duplicate() -> None:
    outcome = check("UniqueNumbers-invalid.ttl")
    values = {row.value for row in outcome.rows}
    assert values == {
        resource("chapter", 1),
        resource("chapter", "one-again"),
        resource("item", 1),
        resource("item", "one-again"),
    }
    assert "chapter/1 and chapter/one-again both have pol:number 1" in {row.message.split(";")[0] for row in outcome.rows}


def test_missing_english_label_is_a_warning_only() -> None:
    graph = fixture_graph("Chapter-valid.ttl")
    graph.remove((resource("chapter", 12), RDFS.label, Literal("Chapter twelve", lang="en")))
    outcome = validate(graph, shapes())
    assert outcome.conforms
    assert (outcome.violations, outcome.warnings) == (0, 1)
    assert outcome.rows[0].severity == SH.Warning
    assert "labels-en.yaml" in outcome.rows[0].message


def test_rows_are_sorted_and_messages_readable() -> None:
    outcome = check("Measure-invalid.ttl")
    assert outcome.rows == sorted(outcome.rows, key=type(outcome.rows[0]).sort_key)
    assert all(row.message and "Constraint" not in row.message for row in outcome.rows)


def test_format_report_uses_compact_names() -> None:
    report = format_report(check("Chapter-invalid.ttl")) + format_report(check("UniqueNumbers-invalid.ttl"))
    lines = report.splitlines()
    assert lines[0].startswith("does not conform: 8 violation(s), 1 warning(s)")
    assert lines[1].split() == ["severity", "focus", "path", "constraint", "shape", "message"]
    assert any("id:chapter/13" in line and "pol:number" in line and "polsh:Chapter-number" in line for line in lines)
    assert any(line.startswith("Warning") for line in lines)
    assert "https://" not in report


def test_format_report_of_a_conforming_graph_is_one_line() -> None:
    assert format_report(check()).startswith("conforms: 0 violation(s), 0 warning(s)")


# --------------------------------------------------------------------------- the shapes file itself
def test_every_shape_has_a_name_and_a_description() -> None:
    graph = shapes()
    named = [s for s in set(graph.subjects(RDF.type, SH.NodeShape)) | set(graph.subjects(RDF.type, SH.PropertyShape))]
    assert named
    for shape in named:
        assert graph.value(shape, SH.name), f"{shape} has no sh:name"
        assert graph.value(shape, SH.description), f"{shape} has no sh:description"


def test_every_constraint_has_a_message() -> None:
    """Property shapes, node shapes with node-level constraints, and SPARQL constraints speak English."""
    graph = shapes()
    needs_message = set(graph.subjects(RDF.type, SH.PropertyShape)) | set(graph.objects(None, SH.sparql))
    needs_message |= {s for s in graph.subjects(RDF.type, SH.NodeShape) if (s, SH["or"], None) in graph}
    for shape in needs_message:
        messages = list(graph.objects(shape, SH.message))
        assert any(getattr(m, "language", None) == "en" for m in messages), f"{shape} has no English sh:message"


def test_sparql_constraints_run_once_per_class() -> None:
    """pySHACL runs a SPARQL constraint per focus node: such shapes must target class IRIs only."""
    graph = shapes()
    for shape in graph.subjects(SH.sparql, None):
        targets = {p for p, _ in graph.predicate_objects(shape) if str(p).startswith(str(SH)) and "target" in str(p)}
        assert targets == {SH.targetNode}, f"{shape} must use sh:targetNode only"
        assert all(str(node).startswith(str(POL)) for node in graph.objects(shape, SH.targetNode))


def test_require_conformance_raises_with_the_report() -> None:
    from policykg.build.validate import require_conformance
    from policykg.errors import ValidationFailed

    require_conformance(check("Chapter-valid.ttl"))
    with pytest.raises(ValidationFailed) as failure:
        require_conformance(check("Passage-invalid.ttl"))
    assert failure.value.violations == 4 and failure.value.exit_code == 1
    assert "id:passage/bad" in failure.value.report
