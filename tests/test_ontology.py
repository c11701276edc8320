"""The ontology file: it parses, declares exactly the POL terms, documents each, and stays OWL 2 DL-friendly."""

from __future__ import annotations

from functools import cache

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, VANN, XSD, DCTERMS

from policykg.namespaces import ONTOLOGY_IRI, POL
from policykg.resources import ontology_file

DECLARATION_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
# Namespaces whose terms OWL itself defines (no declaration needed).
BUILT_IN = (str(RDF), str(RDFS), str(OWL), str(XSD))


@cache
def ontology() -> Graph:
    return Graph().parse(ontology_file(), format="turtle")


def pol_terms() -> set[URIRef]:
    """The terms of the POL DefinedNamespace."""
    return {POL[name] for name in POL.__annotations__ if not name.startswith("_")}


def declared(graph: Graph, namespace: str | None = None) -> set[URIRef]:
    terms = {s for t in DECLARATION_TYPES for s in graph.subjects(RDF.type, t) if isinstance(s, URIRef)}
    return {t for t in terms if namespace is None or str(t).startswith(namespace)}


def types(term: URIRef) -> set[URIRef]:
    return set(ontology().objects(term, RDF.type)) & set(DECLARATION_TYPES)


def test_ontology_header() -> None:
    graph = ontology()
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in graph
    for predicate in (DCTERMS.title, DCTERMS.description, DCTERMS.license, OWL.versionInfo):
        assert graph.value(ONTOLOGY_IRI, predicate) is not None, predicate
    assert graph.value(ONTOLOGY_IRI, VANN.preferredNamespacePrefix) == Literal("pol")
    assert str(graph.value(ONTOLOGY_IRI, VANN.preferredNamespaceUri)) == str(POL._NS)


def test_declared_terms_are_the_pol_namespace() -> None:
    in_ontology = declared(ontology(), str(POL._NS))
    assert in_ontology - pol_terms() == set(), "declared in the ontology but missing from namespaces.POL"
    assert pol_terms() - in_ontology == set(), "in namespaces.POL but not declared in the ontology"


def test_no_other_pol_terms_are_used() -> None:
    used = {n for triple in ontology() for n in triple if isinstance(n, URIRef) and str(n).startswith(str(POL._NS))}
    assert used <= pol_terms()


@pytest.mark.parametrize("term", sorted(pol_terms()), ids=lambda t: str(t).rsplit("#", 1)[-1])
def test_term_is_documented(term: URIRef) -> None:
    graph = ontology()
    labels = {label.language for label in graph.objects(term, RDFS.label) if isinstance(label, Literal)}
    assert {"en", "zh"} <= labels
    assert len(list(graph.objects(term, RDFS.label))) == 2, "one label per language"
    definitions = [d for d in graph.objects(term, SKOS.definition) if isinstance(d, Literal) and d.language == "en"]
    assert len(definitions) == 1
    assert graph.value(term, RDFS.isDefinedBy) == ONTOLOGY_IRI


@pytest.mark.parametrize("term", sorted(pol_terms()), ids=lambda t: str(t).rsplit("#", 1)[-1])
def test_term_has_one_kind(term: URIRef) -> None:
    """No punning: a term is a class, one kind of property, or an individual."""
    kinds = types(term)
    assert len(kinds) == 1, kinds


def test_property_kind_matches_its_range() -> None:
    """Literal ranges make datatype properties; class ranges make object properties."""
    graph = ontology()
    for prop, range_ in graph.subject_objects(RDFS.range):
        if not str(prop).startswith(str(POL._NS)):
            continue
        literal_range = str(range_).startswith(str(XSD)) or range_ == RDF.PlainLiteral
        expected = OWL.DatatypeProperty if literal_range else OWL.ObjectProperty
        assert expected in types(prop), f"{prop} has range {range_} but is {types(prop)}"


def test_sub_properties_have_the_kind_of_their_parent() -> None:
    graph = ontology()
    for sub, parent in graph.subject_objects(RDFS.subPropertyOf):
        sub_kind = set(graph.objects(sub, RDF.type)) & set(PROPERTY_TYPES)
        parent_kind = set(graph.objects(parent, RDF.type)) & set(PROPERTY_TYPES)
        assert sub_kind == parent_kind, f"{sub} ⊑ {parent}: {sub_kind} vs {parent_kind}"


def test_external_terms_are_declared() -> None:
    """OWL 2 DL needs every class and property typed; external ones are declared too."""
    graph = ontology()
    referenced = set()
    for predicate in (RDFS.subClassOf, RDFS.domain, RDFS.range, RDFS.subPropertyOf):
        referenced |= {o for o in graph.objects(None, predicate) if isinstance(o, URIRef)}
    referenced |= {p for p, _ in graph.predicate_objects(None) if isinstance(p, URIRef)}
    external = {t for t in referenced if not str(t).startswith((str(POL._NS), *BUILT_IN))}
    missing = sorted(t for t in external if not declared(graph) & {t})
    assert not missing, f"declare with their OWL type: {missing}"


def test_core_alignments() -> None:
    from rdflib.namespace import ORG, PROV

    graph = ontology()
    for cls in (POL.Document, POL.SourceFile, POL.Passage):
        assert (cls, RDFS.subClassOf, PROV.Entity) in graph
    assert (POL.Plan, RDFS.subClassOf, POL.Document) in graph
    assert (POL.partOf, RDFS.subPropertyOf, DCTERMS.isPartOf) in graph
    assert (POL.titlePassage, RDFS.subPropertyOf, POL.passage) in graph
    assert (POL.bodyPassage, RDFS.subPropertyOf, POL.passage) in graph
    for sub in (POL.leadBody, POL.partnerBody, POL.supportedBody, POL.addressedBody):
        assert (sub, RDFS.subPropertyOf, POL.involvesBody) in graph
    assert (POL.involvesBody, RDFS.range, ORG.Organization) in graph
    assert (POL.servesPopulation, RDFS.range, SKOS.Concept) in graph
    assert (POL.deadline, RDFS.range, XSD.date) in graph
    assert (POL.PopulationScheme, RDF.type, SKOS.ConceptScheme) in graph
    for comparator in (POL.AtLeast, POL.MoreThan, POL.About, POL.Exactly):
        assert (comparator, RDF.type, POL.Comparator) in graph
