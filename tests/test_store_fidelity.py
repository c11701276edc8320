"""What the API serves is what the build wrote: every statement, with its datatype, through the store.

Oxigraph (like Virtuoso) stores integer-derived datatypes such as
xsd:nonNegativeInteger as xsd:integer; a build that used them would be served
with other literals than dist/ holds, and would no longer conform to the
shapes. This checks the whole graph, so any change of a datatype, a language
tag or a value fails here. One change is allowed, because it changes no value:
Oxigraph writes an xsd:decimal in XSD 1.1's canonical form ("30"), where the
build writes XSD 1.0's ("30.0", which rdflib's Turtle writer would produce
anyway).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pyoxigraph import Literal, RdfFormat, parse

from policykg.api.sparql_guard import load_store

DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"


def key(triple) -> tuple:
    """The triple, with an xsd:decimal compared by its value."""
    obj = triple.object
    if isinstance(obj, Literal) and obj.datatype.value == DECIMAL:
        return (triple.subject, triple.predicate, ("decimal", Decimal(obj.value)))
    return (triple.subject, triple.predicate, obj)


def test_the_store_holds_exactly_the_built_statements(dist_dir: Path) -> None:
    built = {key(triple) for triple in parse(path=str(dist_dir / "policykg.nt"), format=RdfFormat.N_TRIPLES)}
    served = {key(quad.triple) for quad in load_store(dist_dir / "policykg.trig")}
    assert len(built) > 19_000
    assert served - built == set(), sorted(map(str, served - built))[:5]
    assert built - served == set(), sorted(map(str, built - served))[:5]
