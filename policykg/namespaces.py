"""Every IRI and prefix the project uses, declared once.

No other module spells an IRI: it imports a namespace from here, and builds
resource IRIs with :func:`resource`. ``POL`` is a ``DefinedNamespace`` with
``_fail = True``, so a typo in a term fails at import time; a test checks that
its terms and the classes/properties of ``ontology/policykg.ttl`` are the same
set.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, TIME, XSD, DefinedNamespace, ORG

BASE = "https://w3id.org/policykg/"
ONTOLOGY_IRI = URIRef(BASE + "ontology")
ID = Namespace(BASE + "id/")
OA = Namespace("http://www.w3.org/ns/oa#")
VOID = Namespace("http://rdfs.org/ns/void#")


class POL(DefinedNamespace):
    """The policykg ontology (``ontology/policykg.ttl``)."""

    _NS = Namespace(BASE + "ontology#")
    _fail = True

    # classes
    Document: URIRef
    Plan: URIRef
    SourceFile: URIRef
    Chapter: URIRef
    PlanItem: URIRef
    ItemPart: URIRef
    Preamble: URIRef
    Measure: URIRef
    Passage: URIRef
    Variant: URIRef
    Reading: URIRef
    Task: URIRef
    ReportSection: URIRef
    ReportPoint: URIRef
    Indicator: URIRef
    Observation: URIRef
    Programme: URIRef
    LegalInstrument: URIRef
    Comparator: URIRef
    Campaign: URIRef
    Brand: URIRef
    Award: URIRef
    Platform: URIRef
    Fund: URIRef
    Practice: URIRef
    Slogan: URIRef
    Publication: URIRef
    IndicatorTable: URIRef
    TableRow: URIRef
    Link: URIRef
    PopulationLink: URIRef
    BodyLink: URIRef
    MentionLink: URIRef
    ContinuityLink: URIRef
    BodyRole: URIRef
    Salience: URIRef
    # individuals
    PopulationScheme: URIRef
    AtLeast: URIRef
    MoreThan: URIRef
    About: URIRef
    Exactly: URIRef
    IndicatorCategoryScheme: URIRef
    LeadRole: URIRef
    PartnerRole: URIRef
    SupportedRole: URIRef
    AddressedRole: URIRef
    InvolvedRole: URIRef
    Primary: URIRef
    Mentioned: URIRef
    # structure
    number: URIRef
    partOf: URIRef
    chapter: URIRef
    inItem: URIRef
    inPart: URIRef
    inDocument: URIRef
    text: URIRef
    bodyInCorpus: URIRef
    sourceFile: URIRef
    sha256: URIRef
    fileName: URIRef
    characterCount: URIRef
    # provenance
    quote: URIRef
    start: URIRef
    end: URIRef
    passage: URIRef
    titlePassage: URIRef
    bodyPassage: URIRef
    continuedIn: URIRef
    # variant readings
    variantOf: URIRef
    reading: URIRef
    chosen: URIRef
    selectionRule: URIRef
    # links (core vocabulary; populated from issue 3 on)
    servesPopulation: URIRef
    involvesBody: URIRef
    leadBody: URIRef
    partnerBody: URIRef
    supportedBody: URIRef
    addressedBody: URIRef
    mentions: URIRef
    continues: URIRef
    # statement nodes of links, tables, curated entities
    linkSubject: URIRef
    linkObject: URIRef
    role: URIRef
    salience: URIRef
    cue: URIRef
    action: URIRef
    score: URIRef
    basis: URIRef
    decidedBy: URIRef
    derivedFromLink: URIRef
    classifiedBy: URIRef
    bodyKind: URIRef
    evidencePassage: URIRef
    tableRow: URIRef
    targetText: URIRef
    afterItem: URIRef
    reportedIn: URIRef
    # indicators and observations (core vocabulary)
    targetValue: URIRef
    unit: URIRef
    comparator: URIRef
    deadline: URIRef
    perYear: URIRef
    statedIn: URIRef
    category: URIRef
    ofIndicator: URIRef
    value: URIRef
    period: URIRef
    reportsOn: URIRef


PREFIXES: dict[str, Namespace | str] = {
    "pol": str(POL._NS),
    "id": ID,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "org": ORG,
    "prov": PROV,
    "dcterms": DCTERMS,
    "dcat": DCAT,
    "oa": OA,
    "time": TIME,
    "void": VOID,
    "sh": SH,
}

# Named graphs: what the sources say, what the project wrote, what the build concluded.
GRAPH_ASSERTED = ID["graph/asserted"]
GRAPH_CURATED = ID["graph/curated"]
GRAPH_INFERRED = ID["graph/inferred"]
DATASET = ID["dataset/policykg"]


def resource(kind: str, slug: str | int) -> URIRef:
    """The IRI of a resource: ``https://w3id.org/policykg/id/{kind}/{slug}``."""
    return ID[f"{kind}/{slug}"]


def bind_prefixes(graph) -> None:
    """Bind the project's prefixes on an rdflib Graph or Dataset (replacing rdflib's defaults)."""
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True, replace=True)


def sparql_prologue() -> str:
    """PREFIX lines for every project prefix, for queries written without them."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
