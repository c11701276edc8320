"""Stage 3b: the extract stage's findings as RDF (docs/model.md, "Links, indicators, observations").

Where each kind of triple goes, and why:

* **curated** (``id:graph/curated``) -- what the project wrote by hand: the
  population scheme, the bodies, English names of programmes and indicators,
  continuity links from the override file;
* **asserted** (``id:graph/asserted``) -- what the build read from a sentence:
  the indicator tables and their rows, indicators, observations, the named
  programmes and laws, and every measure- or task-level link with its
  statement node (a ``pol:Link``: subject, object, role or action, and the
  exact words that evidence it, with offsets);
* **inferred** (``id:graph/inferred``) -- what the build concluded: item-level
  links (derived from measure-level ones, with their salience), the
  ``pol:involvesBody`` super-property, ``skos:broaderTransitive``/``skos:narrower``,
  the ``pol:Programme`` type of its sub-classes, and rule-scored continuity.

Statement nodes are IRIs, not blank nodes: ``link/{subject}-{relation}-{object}``
(``link/measure-16-1-supported-human-resources-social-security-departments``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.namespace import ORG, RDF, RDFS, SKOS, XSD

from policykg.build.extract.units import item_of
from policykg.build.extract.vocabulary import ancestors
from policykg.build.literals import decimal, en, integer, path_iri, zh
from policykg.build.model import Evidence, Extraction, Table
from policykg.errors import PolicyKGError
from policykg.namespaces import POL, resource

Triple = tuple

# Body roles: role word -> (direct property, role individual).
ROLES: dict[str, tuple[URIRef, URIRef]] = {
    "lead": (POL.leadBody, POL.LeadRole),
    "partner": (POL.partnerBody, POL.PartnerRole),
    "supported": (POL.supportedBody, POL.SupportedRole),
    "addressed": (POL.addressedBody, POL.AddressedRole),
    "involved": (POL.involvesBody, POL.InvolvedRole),
}

SALIENCE: dict[str, URIRef] = {"primary": POL.Primary, "mentioned": POL.Mentioned}

# Programme kinds -> class; "not-a-name" makes no resource.
PROGRAMME_CLASSES: dict[str, URIRef] = {
    "campaign": POL.Campaign,
    "brand": POL.Brand,
    "award": POL.Award,
    "platform": POL.Platform,
    "fund": POL.Fund,
    "practice": POL.Practice,
    "slogan": POL.Slogan,
    "law": POL.LegalInstrument,
    "publication": POL.Publication,
}
PROGRAMME_SUBCLASSES = (POL.Campaign, POL.Brand, POL.Award, POL.Platform, POL.Fund, POL.Practice)

COMPARATORS: dict[str, URIRef] = {"AtLeast": POL.AtLeast, "MoreThan": POL.MoreThan, "About": POL.About,
                                  "Exactly": POL.Exactly}


def link_iri(subject_path: str, relation: str, obj: str, *, derived: bool = False) -> URIRef:
    """``measure/16-1`` + ``supported`` + ``hr`` → ``id/link/measure-16-1-supported-hr``.

    A link read from an item's title is ``link/item-16-title-{relation}-…``; the
    item-level link derived from measures and title (``derived``) is ``link/item-16-{relation}-…``.
    """
    if subject_path.startswith("item/") and not derived:
        relation = f"title-{relation}"
    return resource("link", f"{subject_path.replace('/', '-')}-{relation}-{obj.replace('/', '-')}")


class Provenance:
    """Evidence as pol:quote/start/end (+ passages for further spans), through the graph stage's files.

    ``files`` is graph.py's ``_SourceFiles``: it mints the pol:SourceFile and pol:Passage IRIs,
    so a passage cited here is the same resource as one cited by a measure.
    """

    def __init__(self, files):
        self.files = files

    def file_iri(self, file_name: str) -> URIRef:
        return self.files.iri(file_name)

    def passage(self, span) -> tuple[URIRef, list[Triple]]:
        return self.files.passage(span)

    def of(self, subject: URIRef, evidence: Evidence) -> Iterator[Triple]:
        if not evidence.spans:
            raise PolicyKGError(f"{evidence.unit}: “{evidence.surface}” has no raw span; it cannot be traced")
        first, *rest = evidence.spans
        yield from self.files.provenance(subject, first)
        yield from self.files.passages(subject, POL.continuedIn, rest)


# --------------------------------------------------------------------------- curated graph
def curated_link_triples(extraction: Extraction) -> Iterator[Triple]:
    """The population scheme, the bodies, English names, curated continuity."""
    scheme = POL.PopulationScheme
    for population in sorted(extraction.populations, key=lambda p: p.slug):
        iri = resource("population", population.slug)
        yield iri, RDF.type, SKOS.Concept
        yield iri, SKOS.inScheme, scheme
        yield iri, SKOS.prefLabel, zh(population.label_zh)
        yield iri, SKOS.prefLabel, en(population.label_en)
        for alias in population.aliases:
            yield iri, SKOS.altLabel, zh(alias)
        for broader in population.broader:
            yield iri, SKOS.broader, resource("population", broader)
        if not population.broader:
            yield iri, SKOS.topConceptOf, scheme
            yield scheme, SKOS.hasTopConcept, iri
        if population.note:
            yield iri, SKOS.scopeNote, en(population.note)
    for body in sorted(extraction.bodies, key=lambda b: b.slug):
        iri = resource("body", body.slug)
        yield iri, RDF.type, ORG.Organization
        yield iri, SKOS.prefLabel, zh(body.label_zh)
        yield iri, SKOS.prefLabel, en(body.label_en)
        yield iri, POL.bodyKind, Literal(body.kind)
        for alias in body.aliases:
            yield iri, SKOS.altLabel, zh(alias)
        if body.sub_organization_of:
            yield iri, ORG.subOrganizationOf, resource("body", body.sub_organization_of)
    for programme in sorted(extraction.programmes, key=lambda p: p.slug):
        if programme.label_en and programme.kind in PROGRAMME_CLASSES:
            yield resource(_programme_kind(programme.kind), programme.slug), SKOS.prefLabel, en(programme.label_en)
    for indicator in sorted(extraction.indicators, key=lambda i: i.slug):
        if indicator.label_en:
            yield resource("indicator", indicator.slug), RDFS.label, en(indicator.label_en)
    yield from _continuations(extraction, "curated")


def _programme_kind(kind: str) -> str:
    """The IRI path kind of a named thing: ``law/…``, ``publication/…``, ``slogan/…`` or ``programme/…``."""
    return kind if kind in ("law", "publication", "slogan") else "programme"


# --------------------------------------------------------------------------- asserted graph
def asserted_link_triples(extraction: Extraction, provenance: Provenance) -> Iterator[Triple]:
    yield from _programmes(extraction)
    yield from _population_links(extraction, provenance)
    yield from _body_links(extraction, provenance)
    yield from _mention_links(extraction, provenance)
    yield from _indicators(extraction, provenance)
    yield from _observations(extraction, provenance)


def _category_slug(categories: dict[str, str], category: str) -> str:
    if category not in categories:
        raise PolicyKGError(
            f"the plan has an indicator table of category “{category}”, which build/data/labels-en.yaml "
            f"does not list as category/…; known: {', '.join(sorted(categories)) or 'none'}"
        )
    return categories[category]


def table_triples(tables: list[Table], plan: URIRef, categories: dict[str, str], provenance: Provenance) -> Iterator[Triple]:
    """The indicator tables, their rows and categories (parse-stage output, asserted with or without extraction)."""
    for table in tables:
        slug = _category_slug(categories, table.category)
        category = resource("category", slug)
        yield category, RDF.type, SKOS.Concept
        yield category, SKOS.inScheme, POL.IndicatorCategoryScheme
        yield category, SKOS.prefLabel, zh(table.category)
        yield category, SKOS.topConceptOf, POL.IndicatorCategoryScheme
        yield POL.IndicatorCategoryScheme, SKOS.hasTopConcept, category
        iri = resource("table", slug)
        yield iri, RDF.type, POL.IndicatorTable
        yield iri, RDFS.label, zh(table.title)
        yield iri, POL.partOf, plan
        yield iri, POL.category, category
        if table.after_item:
            yield iri, POL.afterItem, resource("item", table.after_item)
        for span in table.title_spans:
            passage, triples = provenance.passage(span)
            yield iri, POL.titlePassage, passage
            yield from triples
        for row in table.rows:
            row_iri = resource("table-row", f"{slug}-{row.number}")
            yield row_iri, RDF.type, POL.TableRow
            yield row_iri, POL.number, integer(row.number)
            yield row_iri, RDFS.label, zh(row.name)
            yield row_iri, POL.targetText, zh(row.target)
            yield row_iri, POL.partOf, iri
            yield from provenance.files.provenance(row_iri, row.span)


def _programmes(extraction: Extraction) -> Iterator[Triple]:
    for programme in sorted(extraction.programmes, key=lambda p: p.slug):
        cls = PROGRAMME_CLASSES.get(programme.kind)
        if cls is None:
            continue  # not-a-name
        iri = resource(_programme_kind(programme.kind), programme.slug)
        yield iri, RDF.type, cls
        yield iri, SKOS.prefLabel, zh(programme.name)
        yield iri, POL.classifiedBy, Literal(programme.classified_by)


def _programme_iris(extraction: Extraction) -> dict[str, URIRef]:
    return {p.slug: resource(_programme_kind(p.kind), p.slug) for p in extraction.programmes if p.kind in PROGRAMME_CLASSES}


def _link_node(iri: URIRef, cls: URIRef, subject: URIRef, obj: URIRef, decided_by: str = "rule") -> Iterator[Triple]:
    yield iri, RDF.type, cls
    yield iri, POL.linkSubject, subject
    yield iri, POL.linkObject, obj
    yield iri, POL.decidedBy, Literal(decided_by)


def _population_links(extraction: Extraction, provenance: Provenance) -> Iterator[Triple]:
    for link in extraction.population_links:
        unit = link.evidence.unit
        subject, obj = path_iri(unit), resource("population", link.population)
        iri = link_iri(unit, "population", link.population)
        if not unit.startswith("item/"):
            yield subject, POL.servesPopulation, obj
        yield from _link_node(iri, POL.PopulationLink, subject, obj)
        yield from provenance.of(iri, link.evidence)


def _body_links(extraction: Extraction, provenance: Provenance) -> Iterator[Triple]:
    for link in extraction.body_links:
        if link.role not in ROLES:
            raise PolicyKGError(f"{link.evidence.unit}: body {link.body} has role {link.role!r}; expected one of {sorted(ROLES)}")
        prop, role = ROLES[link.role]
        unit = link.evidence.unit
        subject, obj = path_iri(unit), resource("body", link.body)
        iri = link_iri(unit, link.role, link.body)
        if not unit.startswith("item/"):  # a title's link reaches the item through the derived link
            yield subject, prop, obj
        yield from _link_node(iri, POL.BodyLink, subject, obj)
        yield iri, POL.role, role
        if link.cue:
            yield iri, POL.cue, zh(link.cue)
        yield from provenance.of(iri, link.evidence)


def _mention_links(extraction: Extraction, provenance: Provenance) -> Iterator[Triple]:
    iris = _programme_iris(extraction)
    for link in extraction.programme_links:
        if link.programme not in iris:
            continue
        unit = link.evidence.unit
        subject, obj = path_iri(unit), iris[link.programme]
        iri = link_iri(unit, "mentions", link.programme)
        if not unit.startswith("item/"):
            yield subject, POL.mentions, obj
        yield from _link_node(iri, POL.MentionLink, subject, obj)
        if link.action:
            yield iri, POL.action, zh(link.action)
        yield from provenance.of(iri, link.evidence)


def _indicators(extraction: Extraction, provenance: Provenance) -> Iterator[Triple]:
    for indicator in sorted(extraction.indicators, key=lambda i: i.slug):
        iri = resource("indicator", indicator.slug)
        yield iri, RDF.type, POL.Indicator
        yield iri, RDFS.label, zh(indicator.label_zh)
        yield iri, POL.targetValue, decimal(indicator.value)
        yield iri, POL.unit, zh(indicator.unit)
        if indicator.comparator not in COMPARATORS:
            raise PolicyKGError(f"indicator/{indicator.slug}: comparator {indicator.comparator!r} is not one of {sorted(COMPARATORS)}")
        yield iri, POL.comparator, COMPARATORS[indicator.comparator]
        if indicator.deadline:
            yield iri, POL.deadline, Literal(indicator.deadline, datatype=XSD.date)
        if indicator.per_year:
            yield iri, POL.perYear, Literal(True)
        for item in indicator.stated_in:
            yield iri, POL.statedIn, resource("item", item)
        if indicator.category:
            yield iri, POL.category, resource("category", indicator.category)
        for evidence in indicator.evidence:
            if evidence.unit.startswith("table-row/"):
                yield iri, POL.tableRow, path_iri(evidence.unit)
        if indicator.evidence:
            yield from provenance.of(iri, indicator.evidence[0])
        for evidence in indicator.evidence:
            for span in evidence.spans:
                passage, triples = provenance.passage(span)
                yield iri, POL.evidencePassage, passage
                yield from triples


def _observations(extraction: Extraction, provenance: Provenance) -> Iterator[Triple]:
    for observation in sorted(extraction.observations, key=lambda o: o.slug):
        iri = resource("observation", observation.slug)
        yield iri, RDF.type, POL.Observation
        yield iri, RDFS.label, zh(observation.label_zh)
        yield iri, POL.value, decimal(observation.value)
        yield iri, POL.unit, zh(observation.unit)
        yield iri, POL.period, Literal(observation.period)
        if observation.indicator:
            yield iri, POL.ofIndicator, resource("indicator", observation.indicator)
        for item in observation.reports_on:
            yield iri, POL.reportsOn, resource("item", item)
        yield iri, POL.reportedIn, path_iri(observation.evidence.unit)
        yield from provenance.of(iri, observation.evidence)


# --------------------------------------------------------------------------- inferred graph
def inferred_link_triples(extraction: Extraction) -> Iterator[Triple]:
    yield from _broader_closure(extraction)
    for programme in sorted(extraction.programmes, key=lambda p: p.slug):
        if PROGRAMME_CLASSES.get(programme.kind) in PROGRAMME_SUBCLASSES:
            yield resource("programme", programme.slug), RDF.type, POL.Programme
    yield from _item_population_links(extraction)
    yield from _item_body_links(extraction)
    yield from _item_mention_links(extraction)
    yield from _continuations(extraction, "rule")


def _broader_closure(extraction: Extraction) -> Iterator[Triple]:
    """skos:narrower and skos:broaderTransitive (reflexive pairs excluded), so ``skos:broaderTransitive*`` works without a reasoner."""
    parents = {p.slug: p.broader for p in extraction.populations}
    above = ancestors(parents)
    for slug in sorted(parents):
        iri = resource("population", slug)
        for broader in parents[slug]:
            yield resource("population", broader), SKOS.narrower, iri
        for ancestor in sorted(above[slug]):
            yield iri, SKOS.broaderTransitive, resource("population", ancestor)


def _item_population_links(extraction: Extraction) -> Iterator[Triple]:
    sources: dict[tuple[int, str], list[URIRef]] = defaultdict(list)
    for link in extraction.population_links:
        item = item_of(link.evidence.unit)
        if item is None:
            continue
        sources[item, link.population].append(link_iri(link.evidence.unit, "population", link.population))
    for (item, population), derived_from in sorted(sources.items()):
        subject, obj = resource("item", item), resource("population", population)
        iri = link_iri(f"item/{item}", "population", population, derived=True)
        yield subject, POL.servesPopulation, obj
        yield from _link_node(iri, POL.PopulationLink, subject, obj)
        salience = extraction.salience.get((item, population), "mentioned")
        yield iri, POL.salience, SALIENCE[salience]
        for source in derived_from:
            yield iri, POL.derivedFromLink, source


def _item_body_links(extraction: Extraction) -> Iterator[Triple]:
    sources: dict[tuple[int, str, str], list[URIRef]] = defaultdict(list)
    for link in extraction.body_links:
        subject = path_iri(link.evidence.unit)
        if not link.evidence.unit.startswith("item/"):
            yield subject, POL.involvesBody, resource("body", link.body)
        item = item_of(link.evidence.unit)
        if item is not None:
            sources[item, link.role, link.body].append(link_iri(link.evidence.unit, link.role, link.body))
    for (item, role, body), derived_from in sorted(sources.items()):
        subject, obj = resource("item", item), resource("body", body)
        prop, role_iri = ROLES[role]
        iri = link_iri(f"item/{item}", role, body, derived=True)
        yield subject, prop, obj
        yield subject, POL.involvesBody, obj
        yield from _link_node(iri, POL.BodyLink, subject, obj)
        yield iri, POL.role, role_iri
        for source in derived_from:
            yield iri, POL.derivedFromLink, source


def _item_mention_links(extraction: Extraction) -> Iterator[Triple]:
    iris = _programme_iris(extraction)
    sources: dict[tuple[int, str], list[URIRef]] = defaultdict(list)
    for link in extraction.programme_links:
        item = item_of(link.evidence.unit)
        if item is not None and link.programme in iris:
            sources[item, link.programme].append(link_iri(link.evidence.unit, "mentions", link.programme))
    for (item, programme), derived_from in sorted(sources.items()):
        subject = resource("item", item)
        iri = link_iri(f"item/{item}", "mentions", programme, derived=True)
        yield subject, POL.mentions, iris[programme]
        yield from _link_node(iri, POL.MentionLink, subject, iris[programme])
        for source in derived_from:
            yield iri, POL.derivedFromLink, source


def _continuations(extraction: Extraction, decided_by: str) -> Iterator[Triple]:
    for continuation in sorted(extraction.continuations, key=lambda c: (c.task, c.item)):
        if continuation.decided_by != decided_by:
            continue
        subject, obj = path_iri(continuation.task), resource("item", continuation.item)
        iri = link_iri(continuation.task, "continues", f"item-{continuation.item}")
        yield subject, POL.continues, obj
        yield from _link_node(iri, POL.ContinuityLink, subject, obj, decided_by)
        yield iri, POL.score, decimal(Decimal(str(round(continuation.score, 3))))
        for basis in continuation.basis:
            yield iri, POL.basis, Literal(basis)
