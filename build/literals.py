"""The RDF terms the graph stage writes, made in one way each (graph.py and graph_links.py share them)."""

from __future__ import annotations

from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from policykg.namespaces import resource


def zh(text: str) -> Literal:
    """Chinese text read from the sources."""
    return Literal(text, lang="zh")


def en(text: str) -> Literal:
    """The project's own English."""
    return Literal(text, lang="en")


def integer(value: int) -> Literal:
    return Literal(value, datatype=XSD.integer)


def offset(value: int) -> Literal:
    """A character offset or count, as xsd:integer (the shapes require it to be at least 0).

    Not xsd:nonNegativeInteger: Oxigraph (the embedded store and the server)
    and Virtuoso store every integer-derived datatype as xsd:integer, so a
    graph with nonNegativeInteger literals would come back from the API with
    other datatypes than dist/ holds, and no longer conform to the shapes.
    """
    if value < 0:
        raise ValueError(f"an offset is never negative, not {value}")
    return Literal(value, datatype=XSD.integer)


def string(value: str) -> Literal:
    """A plain xsd:string (RDF 1.1: a literal without datatype or language is one)."""
    return Literal(value)


def decimal(value: Decimal) -> Literal:
    """An xsd:decimal in canonical lexical form ("45000.0", "0.5"), so a parsed output equals the built graph."""
    text = format(value.normalize(), "f")
    if "." not in text:
        text += ".0"
    return Literal(text, datatype=XSD.decimal)


def path_kind(path: str) -> str:
    """``plan/acftu-14th-fyp`` → ``plan``."""
    return path.split("/", 1)[0]


def path_iri(path: str) -> URIRef:
    """The IRI of a resource path such as ``item/13`` or ``plan/acftu-14th-fyp``."""
    kind, slug = path.split("/", 1)
    return resource(kind, slug)
