"""Build stage: ``ontology.html``, pyLODE's documentation of ``ontology/policykg.ttl``, byte for byte the same every run.

The API serves this page to browsers at ``/ontology`` (the RDF formats stay the
ontology file itself). pyLODE (the OntPub profile) writes the page; this module
only makes its output reproducible and its anchors the terms' local names:

* **Order.** rdflib's default store iterates triples in hash order, which
  changes with ``PYTHONHASHSEED``, so pyLODE would list a class's domains and
  ranges in a different order each run. pyLODE is given the ontology parsed
  into rdflib's ``SimpleMemory`` store, whose indexes are insertion-ordered
  dicts: the page follows the order of the Turtle file. The schema.org JSON-LD
  block in ``<head>`` is built by pyLODE in a graph of its own; it is re-written
  with its nodes sorted by ``@id`` and its keys sorted.
* **Anchors.** pyLODE makes an element's id from its label ("plan item" ->
  ``planitem``) unless another link named it first, so ids would depend on
  order. Every ``pol:`` term is given its local name up front (through
  ``OntPub.fids``, which pyLODE consults before making one), so
  ``/ontology#PlanItem`` lands on the class, as the resource pages link it.
* **What pyLODE misreads.** pyLODE takes every ``skos:ConceptScheme`` for the
  document's own metadata (title, IRI); the ontology's two concept schemes
  (pol:PopulationScheme, pol:IndicatorCategoryScheme) are given to it without
  that type. OntPub documents no individuals: each ``pol:`` term without an
  element of its own gets an empty ``<span id="…">`` inside the element of its
  class (``/ontology#LeadRole`` lands on pol:BodyRole, ``#PopulationScheme`` on
  skos:ConceptScheme).
* **Order of unions.** pyLODE collects the members of an ``owl:unionOf`` in a
  set of HTML elements (order by memory address); they are put back in the
  order of the RDF list.
* **Labels in two languages.** pyLODE writes all of a term's labels as one run
  of text ("plan item规划条目" in headings, the table of contents and links);
  each such run is given a separator, "plan item · 规划条目", in the order
  pyLODE wrote them.
* **Side effects.** Importing pyLODE calls ``logging.basicConfig(level=DEBUG)``
  (in ``pylode.profiles.supermodel.loader``) and its ``logging.info`` calls add
  a root handler when there is none; the root logger is put back as it was.
  pyLODE also caches its background ontologies as a pickle in its own package
  folder (a warning and no cache when that folder is read-only).

The page has no clock time in it; pyLODE's version is in it (its logo links the
release), so a different pyLODE may give different bytes.
"""

from __future__ import annotations

import html as html_text
import itertools
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from policykg.build.serialise import MANIFEST, render_manifest
from policykg.errors import OutputError
from policykg.namespaces import POL
from policykg.resources import ontology_file

ONTOLOGY_HTML = "ontology.html"

# Ids pyLODE gives its own elements (sections, table of contents, logo; the namespace list uses the
# prefixes); a pol: local name may not take one.
PYLODE_IDS = frozenset({
    "content", "metadata", "classes", "properties", "objectproperties", "datatypeproperties",
    "annotationproperties", "functionalproperties", "namespaces", "legend", "toc", "pylode", "p", "y",
    "version", "profile", "schema.org",
})
_SCHEMA_ORG = re.compile(r'(<script id="schema\.org" type="application/ld\+json">)(.*?)(</script>)', re.S)
# A union or intersection class as pyLODE writes it: member spans joined by "or"/"and" spans.
_MEMBER = r'<span>(?:(?!<span|</span>).)*</span>'
_SET_CLASS = re.compile(rf'{_MEMBER}(?:\s*<span class="cardinality">(?:or|and|,)</span>\s*{_MEMBER})+', re.S)
_MEMBER_SPAN = re.compile(_MEMBER, re.S)
_HREF = re.compile(r'<a href="([^"]*)"')
_TEXT_NODE = re.compile(r">([^<>]+)<")
LABEL_SEPARATOR = " · "
LABEL_PREDICATES = (RDFS.label, SKOS.prefLabel, DCTERMS.title)  # what pyLODE names a term or the ontology by


@contextmanager
def _root_logger_kept() -> Iterator[None]:
    """The root logger's handlers and level as they were before, and no DEBUG output meanwhile: importing
    pyLODE calls ``logging.basicConfig(level=DEBUG)``, and its ``logging.info(…)`` calls add a handler when
    the root logger has none (a NullHandler stands in for the time of the call)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers[:] = handlers or [logging.NullHandler()]
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def ontology_anchors(graph: Graph) -> dict[str, str]:
    """IRI -> element id for every ``pol:`` term the ontology describes: its local name."""
    base = str(POL._NS)
    anchors = {str(s): str(s)[len(base):] for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(base)}
    anchors.pop(base, None)
    taken = sorted(set(anchors.values()) & (PYLODE_IDS | {prefix for prefix, _ in graph.namespaces()}))
    if taken:
        raise OutputError(f"pol: terms {', '.join(taken)} have the local name of an element pyLODE writes; "
                          "their anchors would clash")
    return dict(sorted(anchors.items()))


def _canonical_schema_org(html: str) -> str:
    """The schema.org JSON-LD block with its nodes sorted by ``@id`` and its keys sorted (pyLODE's is in hash order)."""
    def canonical(match: re.Match) -> str:
        data = json.loads(match.group(2))
        if isinstance(data, list):
            data = sorted(data, key=lambda node: json.dumps(node, sort_keys=True, ensure_ascii=False))
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False).replace("</", "<\\/")
        return match.group(1) + "\n" + text + "\n\t" + match.group(3)

    return _SCHEMA_ORG.sub(canonical, html, count=1)


def _set_class_orders(graph: Graph, anchors: dict[str, str]) -> dict[frozenset[str], tuple[str, ...]]:
    """Links of the members of each union or intersection class (``#PlanItem``, …) -> their order in the RDF list."""
    orders: dict[frozenset[str], tuple[str, ...]] = {}
    for predicate in (OWL.unionOf, OWL.intersectionOf):
        for members in graph.objects(None, predicate):
            hrefs = tuple("#" + anchors[str(m)] if str(m) in anchors else str(m) for m in graph.items(members))
            orders.setdefault(frozenset(hrefs), hrefs)
    return orders


def _ordered_set_classes(html: str, orders: dict[frozenset[str], tuple[str, ...]]) -> str:
    """Union and intersection members in the order of the ontology's list (pyLODE collects them in a set of
    HTML elements, so its order changes from run to run); members it cannot match are sorted by their HTML."""
    def reorder(match: re.Match) -> str:
        group = match.group(0)
        spans = list(_MEMBER_SPAN.finditer(group))
        texts = [span.group(0) for span in spans]
        hrefs = [link.group(1) if (link := _HREF.search(text)) else text for text in texts]
        order = orders.get(frozenset(hrefs))
        if order is not None and len(set(hrefs)) == len(hrefs):
            members = [text for _, text in sorted(zip(hrefs, texts), key=lambda pair: order.index(pair[0]))]
        else:
            members = sorted(texts)
        pieces, last = [], 0
        for span, member in zip(spans, members):
            pieces += [group[last:span.start()], member]
            last = span.end()
        return "".join(pieces) + group[last:]

    return _SET_CLASS.sub(reorder, html)


def _with_aliases(html: str, anchors: dict[str, str], types: dict[str, list[str]], fids: dict[str, str]) -> str:
    """An empty ``<span id="…">`` for each ``pol:`` term pyLODE gives no element (OntPub documents no
    individuals), inside the element of its class (``#LeadRole`` lands on pol:BodyRole), else the metadata."""
    aliases: dict[str, list[str]] = {}
    for iri, anchor in anchors.items():
        if f'id="{anchor}"' in html:
            continue
        elements = [fids[t] for t in types.get(iri, []) if t in fids and f'<div class="property entity" id="{fids[t]}">' in html]
        aliases.setdefault(elements[0] if elements else "metadata", []).append(anchor)
    for target, names in sorted(aliases.items()):
        opening = re.search(rf'<div class="[^"]*" id="{re.escape(target)}">', html)
        if opening is None:
            raise OutputError(f"pyLODE's page has no element #{target} for the anchors {', '.join(names)}")
        spans = "".join(f'<span id="{name}"></span>' for name in sorted(names))
        html = html[:opening.end()] + spans + html[opening.end():]
    return html


def _label_runs(graph: Graph) -> dict[str, str]:
    """Each run of one term's labels as pyLODE writes it, in any order ("plan item规划条目", HTML-escaped) -> the
    same labels with a separator ("plan item · 规划条目")."""
    runs: dict[str, str] = {}
    for predicate in LABEL_PREDICATES:
        for subject in sorted(set(graph.subjects(predicate, None)), key=str):
            labels = sorted(html_text.escape(str(o), quote=False) for o in graph.objects(subject, predicate)
                            if isinstance(o, Literal))
            if 2 <= len(labels) <= 3:  # a label per language; more would be a list, not a name
                for order in itertools.permutations(labels):
                    runs.setdefault("".join(order), LABEL_SEPARATOR.join(order))
    return runs


def _separated_labels(html: str, runs: dict[str, str]) -> str:
    """Every text node that is exactly a run of a term's labels (around it only white space) separated."""
    def separate(match: re.Match) -> str:
        text = match.group(1)
        core = text.strip()
        return f">{text.replace(core, runs[core], 1)}<" if core in runs else match.group(0)

    return _TEXT_NODE.sub(separate, html)


def render_ontology_docs(ontology: Path | None = None) -> bytes:
    """pyLODE's HTML page of the ontology (``ontology/policykg.ttl`` unless ``ontology`` is given), UTF-8."""
    source = Path(ontology) if ontology is not None else ontology_file()
    graph = Graph(store="SimpleMemory", bind_namespaces="core").parse(source, format="turtle")  # file order
    anchors = ontology_anchors(graph)
    types = {iri: [str(t) for t in graph.objects(URIRef(iri), RDF.type) if t != OWL.NamedIndividual] for iri in anchors}
    for scheme in list(graph.subjects(RDF.type, SKOS.ConceptScheme)):
        if (scheme, RDF.type, OWL.Ontology) not in graph:
            graph.remove((scheme, RDF.type, SKOS.ConceptScheme))  # or pyLODE takes it for the ontology
    with _root_logger_kept():
        try:
            from pylode import OntPub
        except ImportError as error:
            raise OutputError(f"the ontology documentation needs pyLODE (pip install pylode): {error}") from error
        publisher = OntPub(ontology=graph)  # adds pyLODE's inferences to ``graph``
        publisher.fids.update(anchors)
        html = publisher.make_html()
    html = _ordered_set_classes(html, _set_class_orders(graph, anchors))
    html = _with_aliases(html, anchors, types, publisher.fids)
    html = _separated_labels(html, _label_runs(graph))
    return _canonical_schema_org(html).encode("utf-8")


def add_ontology_docs(files: dict[str, bytes], ontology: Path | None = None) -> dict[str, bytes]:
    """``files`` (the outputs of :func:`policykg.build.serialise.render_outputs`) with ``ontology.html``
    added and the manifest re-rendered to list it; nothing is written here."""
    files = dict(files)
    files[ONTOLOGY_HTML] = render_ontology_docs(ontology)
    if MANIFEST in files:
        files[MANIFEST] = render_manifest(files)
    return files
