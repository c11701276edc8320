"""Dereferenceable resources: every IRI of the graph answers as Linked Data clients expect.

* ``/id/{kind}/{slug}`` -- what the graph says about one resource. Turtle by
  default (and for ``*/*``), JSON-LD, N-Triples, RDF/XML, and TriG or N-Quads
  with the named graph of each statement (asserted, curated, inferred), or an
  HTML page for a browser. The statements: the resource's own (outgoing)
  ones from every graph, the incoming ones (at most :data:`MAX_INCOMING`; the
  ``X-Incoming-Truncated`` header and the page say when more exist), and the
  labels of the resources on the other end of each, so a client can name
  every link without a second request. The dataset and its named graphs
  (``id/dataset/…``, ``id/graph/…``) are described by the build's VoID file.
* ``/ontology`` -- the ontology file (Turtle as written, or JSON-LD,
  N-Triples, RDF/XML, or pyLODE's HTML documentation with an anchor per term,
  so ``/ontology#PlanItem`` lands on the class).
* ``/.well-known/void`` -- the VoID description of the dataset (RFC 8615,
  VoID section 7), with the SPARQL endpoint of this server added.

``?format=ttl|jsonld|nt|rdf|trig|nq|html`` overrides ``Accept`` (a link cannot
set a header). Every answer carries ``Vary: Accept``, a ``Content-Location``
for the representation chosen, and ``Link`` headers: ``alternate`` for each
other format, ``canonical`` and ``describes`` (RFC 6892) to the resource's IRI.
Output is sorted, so the same request gives the same bytes.

An id is checked before it is looked up: percent-encoded bytes that are not
UTF-8, more than :data:`MAX_ID_LENGTH` characters, control characters,
backslashes, dot segments (``..``, also as ``%2e%2e``) and characters an IRI
does not allow answer 400, naming the problem; an unknown id answers 404 with
the closest known ids.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path
import typing
from urllib.parse import quote, unquote_to_bytes, urlencode

from fastapi import APIRouter, FastAPI, Path as PathParameter, Query, Request
from fastapi.responses import Response
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Triple, parse, serialize
from rdflib import Graph, URIRef
from rdflib import Literal as RdflibLiteral
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from policykg.api.deps import Services, ServicesDep
from policykg.api.errors import ERROR_RESPONSES, ApiError, NotFound
from policykg.api.html import render, site_context
from policykg.api.kindpages import PAGES
from policykg.api import negotiation
from policykg.api.negotiation import FORMAT_NAMES, QUAD_FORMATS, content_type
from policykg.api.sparql_guard import OUTPUT_PREFIXES
from policykg.build.ontology_docs import ONTOLOGY_HTML, render_ontology_docs
from policykg.namespaces import DATASET, ID, ONTOLOGY_IRI, POL, PREFIXES, VOID
from policykg.resources import ontology_file

router = APIRouter(tags=["entities"])

HTML = "text/html"
# What a resource page is offered as (the first is the default, for no Accept or */*).
RESOURCE_FORMATS: dict[str, RdfFormat | None] = {
    "text/turtle": RdfFormat.TURTLE,
    "application/ld+json": RdfFormat.JSON_LD,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/trig": RdfFormat.TRIG,
    "application/n-quads": RdfFormat.N_QUADS,
    HTML: None,
}
# The ontology and the VoID file are one graph each: no quad formats.
DOCUMENT_FORMATS: dict[str, RdfFormat | None] = {
    media: rdf for media, rdf in RESOURCE_FORMATS.items() if media not in QUAD_FORMATS
}
SHORT_NAMES: dict[str, str] = {media: name for name, media in FORMAT_NAMES.items() if media in RESOURCE_FORMATS}
# What the OpenAPI document promises for an id (the server itself accepts any IRI characters, and
# answers 400 naming what is wrong, or 404 with close matches, for the rest).
KindParameter = typing.Annotated[str, PathParameter(
    description="the kind of resource: item, chapter, population, body, indicator, measure, link, …",
    json_schema_extra={"pattern": "^[a-z][a-z0-9-]*$", "maxLength": 50}, examples=["item"])]
SlugParameter = typing.Annotated[str, PathParameter(
    description="the resource's slug within its kind: 16, couriers, acftu, …",
    json_schema_extra={"pattern": "^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$", "maxLength": 149}, examples=["16"])]
ResourceFormat = typing.Literal["ttl", "jsonld", "nt", "rdf", "trig", "nq", "html"]
DocumentFormat = typing.Literal["ttl", "jsonld", "nt", "rdf", "html"]

MAX_INCOMING = 500  # incoming statements served at most (the plan itself has over a thousand)
# ?o is bound to the resource (pyoxigraph binds only projected variables, hence the GROUP BY).
COUNT_INCOMING = "SELECT ?o (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?o"
MAX_ID_LENGTH = 200  # characters of kind/slug
VOID_FILE = "void.ttl"

ID_BASE = str(ID)
POL_BASE = str(POL._NS)
RDF_TYPE = str(RDF.type)
# What names a resource (documents and the dataset have a title, not a label).
NAMES = (str(RDFS.label), str(SKOS.prefLabel), str(DCTERMS.title))
# Statements shown first on a page, in this order; the rest by predicate name.
FIRST_PREDICATES = (RDF_TYPE, str(RDFS.label), str(SKOS.prefLabel), str(DCTERMS.title), str(SKOS.altLabel))
PLAIN_DATATYPES = {"http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}
SPARQL_ENDPOINT = VOID.sparqlEndpoint
# Longest namespace first, so ``pol:`` wins over a shorter prefix of the same IRI.
_NAMESPACES = sorted(((prefix, str(ns)) for prefix, ns in PREFIXES.items() if str(ns) != ID_BASE),
                     key=lambda item: -len(item[1]))
# An id of ASCII letters, digits and ``-_~`` segments (no dot segment possible): nothing to check further.
_PLAIN_ID = re.compile(r"[A-Za-z0-9_~-]+(?:/[A-Za-z0-9_~-]+)+")
_LOCAL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")

Term = NamedNode | BlankNode | Literal
Statement = Quad  # unpacks as subject, predicate, object, graph


class _AnyPath(Convertor):
    """Like Starlette's ``path``, but line breaks too: ``%0A`` in an id reaches the check that names it."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("anypath", _AnyPath())


# --------------------------------------------------------------------------- negotiation and headers
def _media_types(formats: dict[str, RdfFormat | None]) -> dict:
    """Bodies for the OpenAPI document: JSON-LD is JSON (an array of nodes), the others text."""
    return {media: {"schema": {"type": ["array", "object"]} if media == "application/ld+json" else {"type": "string"}}
            for media in formats}


def _responses(formats: dict[str, RdfFormat | None], what: str) -> dict:
    return {200: {"description": what, "content": _media_types(formats)}, **ERROR_RESPONSES}


def choose(request: Request, offered: dict[str, RdfFormat | None], name: str | None) -> str:
    """The media type to answer in: ``?format=`` if given, else the best of ``Accept``; 406 if none fits."""
    if name is not None:
        media = FORMAT_NAMES.get(name)
        if media not in offered:
            names = ", ".join(SHORT_NAMES[m] for m in offered)
            raise ApiError(400, f"format={name!r} is not offered here; use one of {names}", supported=list(offered))
        return media
    return negotiation.choose(request.headers.get("accept"), offered, hint="; or use ?format=")


def _href(base: str, path: str) -> str:
    return base + quote(path, safe="/:@!$&'()*+,;=-._~#?")


def _uri(iri: str) -> str:
    """An IRI as a URI (percent-encoded UTF-8), as an HTTP header needs it."""
    return quote(iri, safe=":/?#[]@!$&'()*+,;=-._~%")


def representation_urls(base: str, path: str, offered: dict[str, RdfFormat | None]) -> dict[str, str]:
    """Where each offered representation of ``path`` is, by media type: the path with ``?format=`` its short name."""
    href = _href(base, path)
    return {m: f"{href}?format={SHORT_NAMES[m]}" for m in offered}


def negotiation_headers(base: str, path: str, media: str, offered: dict[str, RdfFormat | None],
                        links: list[str]) -> dict[str, str]:
    """``Vary``, ``Content-Location`` of the chosen representation, ``Link`` to the others and to ``links``."""
    urls = representation_urls(base, path, offered)
    alternates = [f'<{url}>; rel="alternate"; type="{m}"' for m, url in urls.items() if m != media]
    return {"Vary": "Accept", "Content-Location": urls[media], "Link": ", ".join([*alternates, *links])}


def formats_for_page(base: str, path: str, offered: dict[str, RdfFormat | None]) -> list[dict[str, str]]:
    labels = {"text/turtle": "Turtle", "application/ld+json": "JSON-LD", "application/n-triples": "N-Triples",
              "application/rdf+xml": "RDF/XML", "application/trig": "TriG (with named graphs)",
              "application/n-quads": "N-Quads (with named graphs)"}
    return [{"name": labels[m], "media": m, "href": url}
            for m, url in representation_urls(base, path, offered).items() if m != HTML]


def answer(request: Request, body: bytes, media: str, headers: dict[str, str]) -> Response:
    """The response; HEAD gets the headers (Content-Length included) without the body."""
    response = Response(body, media_type=content_type(media), headers=headers)
    if request.method == "HEAD":
        response.body = b""
    return response


# --------------------------------------------------------------------------- ids
def check_id(request: Request, kind: str, slug: str) -> str:
    """``kind/slug`` if it can be an id; otherwise ApiError(400) naming what is wrong with it."""
    raw = request.scope.get("raw_path")
    if raw and b"%" in raw:
        try:
            unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ApiError(400, f"the id has percent-encoded bytes that are not UTF-8 "
                                f"(byte 0x{error.object[error.start]:02X}); ids are UTF-8 text") from None
    ident = f"{kind}/{slug}"
    if len(ident) > MAX_ID_LENGTH:
        raise ApiError(400, f"the id is {len(ident):,} characters long; ids are at most {MAX_ID_LENGTH}")
    if _PLAIN_ID.fullmatch(ident):  # the common case (item/16), without the checks character by character
        return ident
    for char in ident:
        if unicodedata.category(char) == "Cc":
            raise ApiError(400, f"the id contains a control character ({_describe(char)})")
        if unicodedata.category(char) == "Cf":  # RFC 3987 bars the bidi ones; none is ever in an id
            raise ApiError(400, f"the id contains an invisible formatting character ({_describe(char)})")
    if "\\" in ident:
        raise ApiError(400, "the id contains a backslash (\\); ids use / between kind and slug")
    if any(segment in (".", "..") for segment in ident.split("/")):
        raise ApiError(400, "the id contains a dot segment (. or .., perhaps percent-encoded as %2e); "
                            "ids are kind/slug, e.g. item/16")
    for char in ident:
        if not _iri_path_char(char):
            raise ApiError(400, f"the id contains {_describe(char)}, which an IRI path does not allow")
    return ident


def _describe(char: str) -> str:
    """``' ' (U+0020 SPACE)``, or ``U+000A`` for a character that cannot be shown."""
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}" + (f" {name}" if name else "")
    return f"{char!r} ({code})" if char.isprintable() else code


def _iri_path_char(char: str) -> bool:
    """RFC 3987 ``ipchar`` or ``/``; a literal ``%`` (sent as ``%25``) is refused: no id holds an escape."""
    if char.isascii():
        return char.isalnum() or char in "-._~!$&'()*+,;=:@/"
    code = ord(char)
    return (0xA0 <= code <= 0xD7FF or 0xF900 <= code <= 0xFDCF or 0xFDF0 <= code <= 0xFFEF
            or (0x10000 <= code <= 0xEFFFD and (code & 0xFFFF) <= 0xFFFD))


@dataclass(frozen=True)
class KnownIds:
    """The ids (``kind/slug``) of every resource the server can describe."""

    ids: frozenset[str]
    by_kind: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, ids: set[str]) -> KnownIds:
        by_kind: dict[str, list[str]] = defaultdict(list)
        for ident in sorted(ids):
            by_kind[ident.split("/", 1)[0]].append(ident)
        return cls(frozenset(ids), {kind: tuple(found) for kind, found in sorted(by_kind.items())})

    def close_matches(self, ident: str, limit: int = 5) -> list[str]:
        """The known ids most like ``ident``; first the one it spells in full-width or upper-case letters."""
        target = self.folded(ident) or ident  # a known id itself, so the best match
        pool = self.by_kind.get(target.split("/", 1)[0]) or sorted(self.ids)
        return difflib.get_close_matches(target, pool, n=limit, cutoff=0.6)

    def folded(self, ident: str) -> str | None:
        """The known id ``ident`` becomes under NFKC (``１６`` -> ``16``) and lower case, if another."""
        normal = unicodedata.normalize("NFKC", ident)
        return next((c for c in (normal, normal.lower()) if c != ident and c in self.ids), None)


def known_ids(services: Services) -> KnownIds:
    def compute() -> KnownIds:
        table = services.run("resource-ids")
        ids = {row[0].value[len(ID_BASE):] for row in table.rows if isinstance(row[0], NamedNode)}
        for triple in void_triples(services) or ():
            for term in (triple.subject, triple.object):
                if isinstance(term, NamedNode) and term.value.startswith(ID_BASE):
                    ids.add(term.value[len(ID_BASE):].split("#", 1)[0])
        return KnownIds.of(ids)

    return services.cached("entity-ids", compute)


def not_found(services: Services, ident: str) -> NotFound:
    known = known_ids(services)
    kind = ident.split("/", 1)[0]
    base = services.base_url
    matches = [_href(base, f"/id/{match}") for match in known.close_matches(ident)]
    folded = known.folded(ident)
    if folded is not None:
        return NotFound(f"no resource {ident}; did you mean {folded}? (ids are written with half-width digits "
                        "and lower-case letters)", matches)
    if kind not in known.by_kind:
        return NotFound(f"no resource {ident}: there is no kind {kind!r} (kinds: {', '.join(known.by_kind)})", matches)
    return NotFound(f"no resource {ident}", matches)


# --------------------------------------------------------------------------- the statements about a resource
@dataclass
class Description:
    """What a resource page serves: its statements, the incoming ones (bounded), the labels of its neighbours."""

    iri: str
    outgoing: list[Statement]
    incoming: list[Statement]
    incoming_total: int
    labels: list[Statement]
    # Other subjects of the same document (hash IRIs: ``…/dataset/policykg#class-…``).
    attached: list[Statement] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.incoming_total > len(self.incoming)

    def statements(self) -> list[Statement]:
        return [*self.outgoing, *self.attached, *self.incoming, *self.labels]


def void_triples(services: Services) -> list[Triple] | None:
    """The triples of ``void.ttl`` next to the TriG file (read once), or None when there is none."""
    def load() -> list[Triple] | None:
        path = Path(services.settings.data).parent / VOID_FILE
        if not path.is_file():
            return None
        try:
            return sorted(parse(path=str(path), format=RdfFormat.TURTLE), key=str)
        except (SyntaxError, OSError, ValueError):
            return None

    return services.cached("void-triples", load)


@dataclass(frozen=True)
class VoidStatements:
    """The VoID file's statements about one resource: its own, its hash IRIs' (``…#class-…``), the incoming ones."""

    outgoing: list[Statement] = field(default_factory=list)
    attached: list[Statement] = field(default_factory=list)
    incoming: list[Statement] = field(default_factory=list)


def void_index(services: Services) -> dict[str, VoidStatements]:
    """The VoID file's statements by the resource they describe (built once, not scanned on every request)."""
    def build() -> dict[str, VoidStatements]:
        index: dict[str, VoidStatements] = defaultdict(VoidStatements)
        for triple in void_triples(services) or ():
            statement = Quad(triple.subject, triple.predicate, triple.object, DefaultGraph())
            subject = ""
            if isinstance(triple.subject, NamedNode):
                subject, _, fragment = triple.subject.value.partition("#")
                (index[subject].attached if fragment else index[subject].outgoing).append(statement)
            if isinstance(triple.object, NamedNode) and triple.object.value != subject:
                index[triple.object.value].incoming.append(statement)
        return dict(index)

    return services.cached("void-index", build)


def describe(services: Services, iri: str) -> Description:
    """The statements about ``iri`` from the store and, for the dataset and its graphs, the VoID file."""
    outgoing = services.backend.quads(iri)
    # At most MAX_INCOMING + 1 are read (a popular resource can have many thousands); they are counted
    # only when there are more.
    incoming = services.backend.quads(iri, inbound=True, limit=MAX_INCOMING + 1)
    incoming_total = len(incoming)
    if incoming_total > MAX_INCOMING:
        incoming_total = int(services.backend.select(COUNT_INCOMING, {"o": NamedNode(iri)}).rows[0][1].value)
    void = void_index(services).get(iri, VoidStatements())
    outgoing += void.outgoing
    attached = list(void.attached)
    incoming += void.incoming
    incoming_total += len(void.incoming)
    if len(incoming) > MAX_INCOMING:
        incoming.sort(key=_quad_key)  # the same cut every time
        del incoming[MAX_INCOMING:]
    neighbours = {term.value for term in (*(o for _, _, o, _ in outgoing), *(s for s, *_ in incoming))
                  if isinstance(term, NamedNode) and term.value != iri}
    labels = services.backend.labels(sorted(neighbours), NAMES)
    # Unsorted here: each representation orders what it shows (rdf_body, the page's Labeller).
    return Description(iri, outgoing, incoming, incoming_total, labels, attached)


def _quad_key(quad: Statement) -> tuple[str, ...]:
    return tuple(map(str, quad))


def rdf_body(statements: list[Statement], media: str, formats: dict[str, RdfFormat | None]) -> bytes:
    """The statements in an RDF format, sorted, each once; quads (graphs kept) for TriG and N-Quads, else triples.

    Sorted by the statements' N-Triples text (graph first for quads), each written once: the same
    statements give the same bytes, whatever order the store gave them in. For triples the sort keys
    are the N-Triples lines written in one call, quicker than a string per triple.
    """
    rdf_format = formats[media]
    if media in QUAD_FORMATS:
        items = [quad for _, quad in sorted({(str(q.graph_name), str(q)): q for q in statements}.items())]
        return serialize(items, format=rdf_format, prefixes=OUTPUT_PREFIXES) or b""
    triples = [quad.triple for quad in statements]
    lines = (serialize(triples, format=RdfFormat.N_TRIPLES) or b"").splitlines(keepends=True)
    assert len(lines) == len(triples), "N-Triples writes one line per triple (line breaks in literals are escaped)"
    by_line = dict(zip(lines, triples))
    if rdf_format == RdfFormat.N_TRIPLES:
        return b"".join(sorted(by_line))
    return serialize([by_line[line] for line in sorted(by_line)], format=rdf_format, prefixes=OUTPUT_PREFIXES) or b""


# --------------------------------------------------------------------------- HTML
@dataclass(frozen=True)
class TermView:
    """One RDF term as a page shows it: a label or value, where it links, its language or datatype."""

    text: str
    href: str | None = None
    ident: str | None = None  # the short id shown beside a label: item/16, pol:PlanItem
    iri: str | None = None
    lang: str | None = None
    datatype: str | None = None
    literal: bool = False


@dataclass
class StatementView:
    subject: TermView
    predicate: TermView
    object: TermView
    graphs: list[TermView]


def compact(iri: str) -> str:
    """``pol:PlanItem``, ``rdfs:label``, ``item/16`` for a resource; the IRI itself when no prefix fits."""
    if iri.startswith(ID_BASE):
        return iri[len(ID_BASE):]
    for prefix, namespace in _NAMESPACES:
        if iri.startswith(namespace) and _LOCAL_NAME.match(iri[len(namespace):]):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def local_href(base: str, iri: str) -> str | None:
    """Where this server shows ``iri``: ``/id/…`` for resources, ``/ontology#…`` for terms, else the IRI."""
    if iri.startswith(ID_BASE):
        return _href(base, "/id/" + iri[len(ID_BASE):])
    if iri.startswith(POL_BASE):
        return _href(base, "/ontology#" + iri[len(POL_BASE):])
    if iri == str(ONTOLOGY_IRI):
        return _href(base, "/ontology")
    return iri if iri.startswith(("http://", "https://")) else None  # no javascript: or data: links


def _natural(text: str) -> tuple:
    """item/5 before item/16."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text))


def _preferred(labels: dict[str, str], order: tuple[str, ...]) -> str | None:
    for lang in order:
        if lang in labels:
            return labels[lang]
    return labels[min(labels)] if labels else None


class Labeller:
    """Turns terms into :class:`TermView`: data resources by their labels (Chinese first), terms by the ontology's."""

    def __init__(self, base: str, statements: list[Statement]):
        self.base = base
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        for s, p, o, _ in sorted(statements, key=_quad_key):
            if isinstance(s, NamedNode) and p.value in NAMES and isinstance(o, Literal):
                self.labels[s.value].setdefault(o.language or "", o.value)
        self.terms = ontology_labels()

    def term(self, term: Term) -> TermView:
        if isinstance(term, Literal):
            datatype = term.datatype.value if term.datatype else ""
            return TermView(term.value, lang=term.language or None, literal=True,
                            datatype=None if datatype in PLAIN_DATATYPES or term.language else compact(datatype))
        if isinstance(term, BlankNode):
            return TermView(f"_:{term.value}")
        iri = term.value
        label = _preferred(self.labels.get(iri, {}), ("zh", "en", "")) or _preferred(self.terms.get(iri, {}),
                                                                                        ("en", "zh", ""))
        ident = compact(iri)
        return TermView(label or ident, href=local_href(self.base, iri), ident=ident if label else None, iri=iri,
                        lang=self._lang_of(iri, label))

    def predicate(self, term: NamedNode) -> TermView:
        """A property by the ontology's English label where it has one, its prefixed name otherwise."""
        iri = term.value
        label = _preferred(self.terms.get(iri, {}), ("en", ""))
        ident = compact(iri)
        return TermView(label or ident, href=local_href(self.base, iri), ident=ident if label else None, iri=iri)

    def graph(self, graph: NamedNode | DefaultGraph) -> TermView:
        if isinstance(graph, NamedNode):
            name = graph.value.removeprefix(ID_BASE + "graph/")
            return TermView(name, href=local_href(self.base, graph.value), iri=graph.value)
        return TermView("dataset description (VoID)", href=_href(self.base, "/.well-known/void"))

    def _lang_of(self, iri: str, label: str | None) -> str | None:
        for source in (self.labels.get(iri, {}), self.terms.get(iri, {})):
            for lang, text in source.items():
                if text == label:
                    return lang or None
        return None

    def statements(self, quads: list[Statement], incoming: bool = False) -> list[StatementView]:
        """One row per triple (with every graph it is in), ordered for reading."""
        graphs: dict[tuple[Term, NamedNode, Term], list] = defaultdict(list)
        for s, p, o, g in quads:
            graphs[(s, p, o)].append(g)

        def order(triple: tuple[Term, NamedNode, Term]) -> tuple:
            s, p, o = triple
            first = FIRST_PREDICATES.index(p.value) if p.value in FIRST_PREDICATES else len(FIRST_PREDICATES)
            other = s if incoming else o
            return (first, compact(p.value), _natural(str(other)), str(s), str(o))

        return [StatementView(self.term(s), self.predicate(p), self.term(o),
                              [self.graph(g) for g in sorted(graphs[(s, p, o)], key=str)])
                for s, p, o in sorted(graphs, key=order)]


def resource_page(services: Services, request: Request, description: Description, path: str,
                  offered: dict[str, RdfFormat | None], heading_note: str = "") -> bytes:
    base = services.base_url
    labeller = Labeller(base, description.statements())
    iri = description.iri
    own = [(s, p, o, g) for s, p, o, g in description.outgoing]
    names = sorted({(o.language or "", o.value) for s, p, o, _ in own
                    if p.value in NAMES and isinstance(o, Literal)},
                   key=lambda pair: ({"zh": 0, "en": 1}.get(pair[0], 2), pair))
    types = sorted({o.value for _, p, o, _ in own if p.value == RDF_TYPE and isinstance(o, NamedNode)})
    attached: dict[str, list[Statement]] = defaultdict(list)
    for statement in description.attached:
        attached[str(statement[0].value)].append(statement)
    all_incoming = _href(base, "/sparql") + "?" + urlencode(
        {"query": f"SELECT ?subject ?property ?graph WHERE {{ GRAPH ?graph {{ ?subject ?property <{iri}> }} }} "
                  "ORDER BY ?subject ?property ?graph", "format": "csv"})
    return render(
        "resource.html",
        iri=iri, ident=compact(iri), note=heading_note,
        names=[{"text": text, "lang": lang or None} for lang, text in names],
        types=[labeller.term(NamedNode(t)) for t in types],
        outgoing=labeller.statements(own),
        incoming=labeller.statements(description.incoming, incoming=True),
        incoming_total=description.incoming_total, incoming_all=all_incoming,
        attached=[(labeller.term(NamedNode(subject)), labeller.statements(statements))
                  for subject, statements in sorted(attached.items(), key=lambda item: _natural(item[0]))],
        formats=formats_for_page(base, path, offered), **site_context(request, base),
    )


# --------------------------------------------------------------------------- /id/{kind}/{slug}
RESOURCE_PATH = "/id/{kind}/{slug:anypath}"


def add_resource_routes(app: FastAPI) -> None:
    """``GET`` and ``HEAD /id/{kind}/{slug}`` on the app itself, ahead of its routers.

    The most requested route: FastAPI (0.165) matches a route of an included
    router through a layer of its own, which cost a look-up about 18 µs of
    200-290 here (in process, no HTTP); a route of the app is matched directly.
    The other routes of this module stay in :data:`router`.
    """
    app.add_api_route(RESOURCE_PATH, entity, methods=["GET"], tags=["entities"], response_class=Response,
                      summary="one resource, by content negotiation (RDF formats or HTML)",
                      responses=_responses(RESOURCE_FORMATS, "what the graph says about the resource"))
    app.add_api_route(RESOURCE_PATH, entity_head, methods=["HEAD"], include_in_schema=False, response_class=Response)


async def entity(kind: KindParameter, slug: SlugParameter, request: Request,
                 format: ResourceFormat | None = Query(None, description="a format instead of the Accept header")
                 ) -> Response:
    """The statements about one resource ``https://w3id.org/policykg/id/{kind}/{slug}``: its own, the
    incoming ones (at most 500) and the labels of its neighbours, each with its named graph in TriG and
    N-Quads; Turtle by default, an HTML page for a browser."""
    # The services from the app, not a dependency: this is the most requested route, and FastAPI's
    # solving of one more dependency costs about as much as a neighbour look-up.
    services: Services = request.app.state.services
    ident = check_id(request, kind, slug)
    media = choose(request, RESOURCE_FORMATS, format)
    if services.backend.in_process and media != HTML:
        # A few index look-ups from memory, bounded (MAX_INCOMING): quicker here than the trip to a
        # worker thread, which costs as much as the look-up itself.
        return _entity(services, request, ident, media)
    return await run_in_threadpool(_entity, services, request, ident, media)


async def entity_head(kind: str, slug: str, request: Request, format: ResourceFormat | None = Query(None)) -> Response:
    return await entity(kind, slug, request, format)


def _entity(services: Services, request: Request, ident: str, media: str) -> Response:
    known = known_ids(services)
    if ident not in known.ids:
        raise not_found(services, ident)
    iri = ID_BASE + ident
    description = describe(services, iri)
    if not description.outgoing and not description.incoming and not description.attached:
        raise not_found(services, ident)
    base = services.base_url
    path = f"/id/{ident}"
    uri = _uri(iri)
    links = [f'<{uri}>; rel="canonical"', f'<{uri}>; rel="describes"',
             f'<{_href(base, "/.well-known/void")}>; rel="{VOID.inDataset}"']
    if iri == str(DATASET):
        links.append(f'<{_href(base, "/.well-known/void")}>; rel="describedby"')
    headers = negotiation_headers(base, path, media, RESOURCE_FORMATS, links)
    if description.truncated:
        headers["X-Incoming-Truncated"] = (f"{len(description.incoming)} of {description.incoming_total} "
                                           "incoming statements served")
    if media == HTML:
        special = PAGES.get(ident.split("/", 1)[0])
        body = special(services, request, ident) if special else None
        if body is None:
            body = resource_page(services, request, description, path, RESOURCE_FORMATS)
    else:
        body = rdf_body(description.statements(), media, RESOURCE_FORMATS)
    return answer(request, body, media, headers)


# --------------------------------------------------------------------------- /ontology
@lru_cache(maxsize=1)
def ontology_triples() -> tuple[Triple, ...]:
    """The ontology's triples, blank nodes named by their first appearance in the file (stable ids)."""
    names: dict[BlankNode, BlankNode] = {}

    def stable(term):
        if isinstance(term, BlankNode):
            return names.setdefault(term, BlankNode(f"b{len(names)}"))
        return term

    triples = [Triple(stable(t.subject), t.predicate, stable(t.object))
               for t in parse(path=str(ontology_file()), format=RdfFormat.TURTLE)]
    return tuple(sorted(set(triples), key=str))


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    return Graph().parse(ontology_file(), format="turtle")


@lru_cache(maxsize=1)
def ontology_labels() -> dict[str, dict[str, str]]:
    """rdfs:label by language of each term the ontology labels (classes, properties, individuals)."""
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    graph = ontology_graph()
    for term, label in sorted(graph.subject_objects(RDFS.label)):
        if isinstance(term, URIRef) and isinstance(label, RdflibLiteral):
            labels[str(term)].setdefault(label.language or "", str(label))
    return dict(labels)


def ontology_docs(services: Services) -> bytes:
    """pyLODE's page of the ontology: ``ontology.html`` of the build (next to the TriG file, read once),
    else generated from the ontology file on first use and kept (:func:`generated_ontology_docs`)."""
    def load() -> bytes | None:
        try:
            return (Path(services.settings.data).parent / ONTOLOGY_HTML).read_bytes()
        except OSError:
            return None

    return services.cached("ontology-html", load) or generated_ontology_docs()


@lru_cache(maxsize=1)
def generated_ontology_docs() -> bytes:
    return render_ontology_docs()


def ontology_page(services: Services, base: str) -> bytes:
    """pyLODE's standalone page with a ``<nav>`` put right after ``<body>`` (a string operation on its HTML):
    a link to the site's home and one to each RDF format of ``/ontology``. pyLODE's anchors are the terms'
    local names (``/ontology#PlanItem``); see :mod:`policykg.build.ontology_docs`."""
    page = ontology_docs(services).decode("utf-8")
    links = "".join(f' <a href="{escape(f["href"])}" type="{f["media"]}">{f["name"]}</a>'
                    for f in formats_for_page(base, "/ontology", DOCUMENT_FORMATS))
    nav = (f'\n<nav id="policykg-site" aria-label="policykg" style="font-family: sans-serif; margin: 0 0 1em;'
           f' padding: 0.5em 0; border-bottom: solid 1px #ccc;"><a href="{escape(_href(base, "/"))}">policykg</a>'
           f' &#x2192; ontology &#xB7; also as{links}</nav>')
    return re.sub(r"<body\b[^>]*>", lambda body: body.group(0) + nav, page, count=1).encode("utf-8")


@router.get("/ontology", summary="the ontology (classes and properties of pol:), by content negotiation",
            response_class=Response, responses=_responses(DOCUMENT_FORMATS, "the ontology"))
async def ontology(request: Request, services: ServicesDep,
                   format: DocumentFormat | None = Query(None, description="a format instead of the Accept header")
                   ) -> Response:
    """``ontology/policykg.ttl``: Turtle as written (the default), JSON-LD, N-Triples, RDF/XML, or pyLODE's
    HTML documentation with an anchor per term (``/ontology#PlanItem``)."""
    media = choose(request, DOCUMENT_FORMATS, format)
    base = services.base_url
    if media == "text/turtle":
        body = ontology_file().read_bytes()
    elif media == HTML:
        body = await run_in_threadpool(ontology_page, services, base)
    else:
        body = serialize(list(ontology_triples()), format=DOCUMENT_FORMATS[media], prefixes=OUTPUT_PREFIXES) or b""
    links = [f'<{ONTOLOGY_IRI}>; rel="canonical"', f'<{ONTOLOGY_IRI}>; rel="describes"']
    return answer(request, body, media, negotiation_headers(base, "/ontology", media, DOCUMENT_FORMATS, links))


@router.head("/ontology", include_in_schema=False, response_class=Response)
async def ontology_head(request: Request, services: ServicesDep, format: DocumentFormat | None = Query(None)) -> Response:
    return await ontology(request, services, format)


# --------------------------------------------------------------------------- /.well-known/void
@router.get("/.well-known/void", summary="the VoID description of the dataset, by content negotiation",
            response_class=Response, responses=_responses(DOCUMENT_FORMATS, "the dataset's VoID description"))
async def void(request: Request, services: ServicesDep,
               format: DocumentFormat | None = Query(None, description="a format instead of the Accept header")
               ) -> Response:
    """The ``void.ttl`` the build wrote (counts per graph, class and property; the downloads), with
    ``void:sparqlEndpoint`` pointing at this server's ``/sparql``."""
    media = choose(request, DOCUMENT_FORMATS, format)
    triples = void_triples(services)
    if triples is None:
        raise ApiError(404, f"no {VOID_FILE} next to {services.settings.data}; "
                            "run `policykg build` to write the dataset description")
    base = services.base_url
    endpoint = (base or str(request.base_url).rstrip("/")) + "/sparql"
    statements = [Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples]
    statements.append(Quad(NamedNode(str(DATASET)), NamedNode(str(SPARQL_ENDPOINT)), NamedNode(endpoint), DefaultGraph()))
    if media == HTML:
        dataset = str(DATASET)
        description = Description(
            dataset, outgoing=[s for s in statements if s[0].value == dataset], incoming=[], incoming_total=0,
            labels=[], attached=[s for s in statements if s[0].value != dataset])
        body = await run_in_threadpool(resource_page, services, request, description, "/.well-known/void", DOCUMENT_FORMATS)
    else:
        body = rdf_body(statements, media, DOCUMENT_FORMATS)
    links = [f'<{_href(base, "/sparql")}>; rel="{SPARQL_ENDPOINT}"', f'<{DATASET}>; rel="describes"',
             f'<{_href(base, "/ontology")}>; rel="{VOID.vocabulary}"']
    return answer(request, body, media, negotiation_headers(base, "/.well-known/void", media, DOCUMENT_FORMATS, links))


@router.head("/.well-known/void", include_in_schema=False, response_class=Response)
async def void_head(request: Request, services: ServicesDep, format: DocumentFormat | None = Query(None)) -> Response:
    return await void(request, services, format)
