"""The quality report: what the extract stage found, and where it found nothing.

``policykg report`` prints it; it answers the questions a curator asks before
trusting the links: how many of each entity and link there are, which quoted
names no curated entry or rule classifies, which items (with a body in the
corpus) have no population link, and which indicators no 2022 figure measures.
Counts of entities and links are read from the built dataset, so the report
describes the graph users query; the unclassified names, which never reach the
graph, come from the extraction.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from rdflib import Dataset, URIRef
from rdflib.namespace import ORG, RDF, SKOS

from policykg.build.graph import union_graph
from policykg.build.model import Extraction, Plan
from policykg.namespaces import GRAPH_ASSERTED, GRAPH_INFERRED, POL

# Entities: label -> class, counted in the union graph.
ENTITY_CLASSES: dict[str, URIRef] = {
    "populations": SKOS.Concept,  # narrowed to the population scheme below
    "bodies": ORG.Organization,
    "programmes": POL.Programme,
    "campaigns": POL.Campaign,
    "brands": POL.Brand,
    "awards": POL.Award,
    "platforms": POL.Platform,
    "funds": POL.Fund,
    "practices": POL.Practice,
    "slogans": POL.Slogan,
    "legal instruments": POL.LegalInstrument,
    "publications": POL.Publication,
    "indicator tables": POL.IndicatorTable,
    "indicators": POL.Indicator,
    "observations": POL.Observation,
}

# Link properties counted per graph (asserted: read from a sentence; inferred: derived at item level).
LINK_PROPERTIES: dict[str, URIRef] = {
    "servesPopulation": POL.servesPopulation,
    "leadBody": POL.leadBody,
    "partnerBody": POL.partnerBody,
    "supportedBody": POL.supportedBody,
    "addressedBody": POL.addressedBody,
    "involvesBody (no role cue)": POL.involvesBody,
    "mentions": POL.mentions,
    "continues": POL.continues,
    "ofIndicator": POL.ofIndicator,
    "reportsOn": POL.reportsOn,
}


@dataclass
class QualityReport:
    entities: dict[str, int] = field(default_factory=dict)
    links_asserted: dict[str, int] = field(default_factory=dict)
    links_inferred: dict[str, int] = field(default_factory=dict)
    salience: dict[str, int] = field(default_factory=dict)  # item-level population links by salience
    unclassified: list[dict] = field(default_factory=list)  # {unit, name, file, start, end}
    items_without_population: list[int] = field(default_factory=list)
    indicators_without_observation: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def quality_report(dataset: Dataset, extraction: Extraction, plan: Plan) -> QualityReport:
    union = union_graph(dataset)
    report = QualityReport()
    for label, cls in ENTITY_CLASSES.items():
        subjects = set(union.subjects(RDF.type, cls))
        if cls == SKOS.Concept:
            subjects = {s for s in subjects if (s, SKOS.inScheme, POL.PopulationScheme) in union}
        report.entities[label] = len(subjects)
    asserted, inferred = dataset.graph(GRAPH_ASSERTED), dataset.graph(GRAPH_INFERRED)
    for label, prop in LINK_PROPERTIES.items():
        report.links_asserted[label] = len(set(asserted.subject_objects(prop)))
        report.links_inferred[label] = len(set(inferred.subject_objects(prop)))
    report.salience = dict(sorted(Counter(extraction.salience.values()).items()))
    seen = set()
    for evidence in extraction.unclassified:
        span = evidence.spans[0]
        key = (evidence.unit, evidence.surface)
        if key not in seen:
            seen.add(key)
            report.unclassified.append({"unit": evidence.unit, "name": evidence.surface, "file": span.file,
                                        "start": span.start, "end": span.end})
    linked_items = {item for item, _population in extraction.salience}
    report.items_without_population = [i.number for i in sorted(plan.items, key=lambda i: i.number)
                                       if i.text is not None and i.number not in linked_items]
    measured = {o.indicator for o in extraction.observations if o.indicator}
    report.indicators_without_observation = [i.slug for i in extraction.indicators if i.slug not in measured]
    return report


def format_quality_report(report: QualityReport) -> str:
    lines = ["Entities"]
    lines += [f"  {label:<22} {n:>6,}" for label, n in report.entities.items()]
    lines.append("Links                      asserted  inferred")
    for label in report.links_asserted:
        lines.append(f"  {label:<26} {report.links_asserted[label]:>6,}  {report.links_inferred[label]:>8,}")
    lines.append("Item-level population links: " + ", ".join(f"{k} {v}" for k, v in report.salience.items()))
    lines.append(f"Quoted names left unclassified: {len(report.unclassified)}")
    lines += [f"  {u['name']}  ({u['unit']}, {u['file']}:{u['start']}-{u['end']})" for u in report.unclassified]
    lines.append(f"Items (with a body) without a population link: {len(report.items_without_population)}"
                 + (f": {', '.join(map(str, report.items_without_population))}" if report.items_without_population else ""))
    lines.append(f"Indicators without an observation: {len(report.indicators_without_observation)}"
                 + (f": {', '.join(report.indicators_without_observation)}" if report.indicators_without_observation else ""))
    return "\n".join(lines) + "\n"
