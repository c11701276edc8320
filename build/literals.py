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
    """A character offset or count: Python string indices are never negative."""
    return Literal(value, datatype=XSD.nonNegativeInteger)


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
