"""OWL consistency with HermiT: the ontology with a small graph, and graphs that must fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal
from rdflib.namespace import RDFS, XSD

from policykg.build.reason import check_consistency, for_hermit, ntriples
from policykg.namespaces import GRAPH_ASSERTED, POL, resource

FIXTURES = Path(__file__).parent / "fixtures" / "reason"
INCONSISTENT = sorted(FIXTURES.glob("inconsistent-*.ttl"))


def dataset_from(path: Path) -> Dataset:
    """A dataset with the fixture in its asserted graph, as the build would hand it over."""
    dataset = Dataset()
    dataset.graph(GRAPH_ASSERTED).parse(path, format="turtle")
    return dataset


def test_ontology_alone_is_consistent() -> None:
    outcome = check_consistency(Dataset())
    assert outcome.consistent, outcome.message
    assert outcome.seconds > 0


def test_small_graph_with_dates_is_consistent() -> None:
    outcome = check_consistency(dataset_from(FIXTURES / "consistent.ttl"))
    assert outcome.consistent, outcome.message


@pytest.mark.parametrize("path", INCONSISTENT, ids=lambda p: p.stem)
def test_inconsistent_graph_is_reported(path: Path) -> None:
    outcome = check_consistency(dataset_from(path))
    assert not outcome.consistent
    assert outcome.message.startswith("inconsistent")


def test_inconsistent_fixtures_exist() -> None:
    assert len(INCONSISTENT) >= 4


# --------------------------------------------------------------------------- the copy HermiT gets
def test_dates_become_midnight_date_times() -> None:
    graph = Graph()
    indicator = resource("indicator", "test")
    graph.add((indicator, POL.deadline, Literal("2025-12-31", datatype=XSD.date)))
    graph.add((indicator, RDFS.comment, Literal("2021-07-16+08:00", datatype=XSD.date, normalize=False)))
    graph.add((POL.deadline, RDFS.range, XSD.date))
    copy = for_hermit(graph)
    assert (indicator, POL.deadline, Literal("2025-12-31T00:00:00", datatype=XSD.dateTime)) in copy
    assert (indicator, RDFS.comment, Literal("2021-07-16T00:00:00+08:00", datatype=XSD.dateTime)) in copy
    assert (POL.deadline, RDFS.range, XSD.dateTime) in copy
    assert not any(XSD.date in (o, getattr(o, "datatype", None)) for o in copy.objects())
    assert len(graph) == 3, "the input graph is left alone"


def test_midnight_keeps_the_order_of_dates() -> None:
    dates = ["2021-07-16", "2021-12-31", "2025-01-01", "2025-12-31"]
    graph = Graph()
    for index, value in enumerate(dates):
        graph.add((resource("indicator", index), POL.deadline, Literal(value, datatype=XSD.date)))
    mapped = sorted(for_hermit(graph).subject_objects(POL.deadline))
    assert [o.toPython() for _, o in mapped] == sorted(o.toPython() for _, o in mapped)
    assert [str(o)[:10] for _, o in mapped] == dates


def test_ntriples_are_sorted() -> None:
    lines = ntriples(Graph().parse(FIXTURES / "consistent.ttl", format="turtle")).splitlines()
    assert lines == sorted(lines) and all(line.endswith(" .") for line in lines)
