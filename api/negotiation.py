"""Content negotiation: which media types each kind of answer is offered in.

The tables are data (media type -> pyoxigraph format), not a chain of ifs, in
the manner of rdflib-endpoint. The first entry of each table is the default
for a client that sends no ``Accept`` (or ``*/*``). This module imports only
pyoxigraph and the project's errors, so the query worker processes can use it
without loading the API.
"""

from __future__ import annotations

import re

from pyoxigraph import QueryResultsFormat, RdfFormat

from policykg.errors import QueryError

# Results of SELECT/ASK.
RESULT_FORMATS: dict[str, QueryResultsFormat] = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/json": QueryResultsFormat.JSON,
    "text/csv": QueryResultsFormat.CSV,
    "text/tab-separated-values": QueryResultsFormat.TSV,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "application/xml": QueryResultsFormat.XML,
    "text/xml": QueryResultsFormat.XML,
}
# Results of CONSTRUCT/DESCRIBE.
GRAPH_FORMATS: dict[str, RdfFormat] = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/ld+json": RdfFormat.JSON_LD,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "text/plain": RdfFormat.N_TRIPLES,  # what SPARQL 1.0-era clients ask N-Triples as
}
# Entity pages also offer the quads, so the named graph of each statement is visible.
QUAD_FORMATS: dict[str, RdfFormat] = {
    "application/trig": RdfFormat.TRIG,
    "application/n-quads": RdfFormat.N_QUADS,
}
# Short names for ``?format=`` (a browser cannot set Accept from a link).
FORMAT_NAMES: dict[str, str] = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "trig": "application/trig",
    "nq": "application/n-quads",
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "html": "text/html",
}
# What ``/sparql?format=`` understands: our short names, the names other endpoints and clients
# use (SPARQLWrapper sends ``format=xml`` for every query form unless told otherwise, and
# ``format=tsv&format=text/tab-separated-values``), each as the Accept header it stands for.
# "json" and "xml" name a family: results for SELECT/ASK, RDF for CONSTRUCT/DESCRIBE.
# A value with a slash is taken as a media type (range) itself.
SPARQL_FORMAT_NAMES: dict[str, str] = {
    **FORMAT_NAMES,
    "json": "application/sparql-results+json, application/ld+json",
    "xml": "application/sparql-results+xml, application/rdf+xml",
    "srj": "application/sparql-results+json",
    "srx": "application/sparql-results+xml",
    "turtle": "text/turtle",
    "n3": "text/turtle",  # Turtle is N3 without the N3-only parts; what N3 clients read
    "ntriples": "application/n-triples",
    "n-triples": "application/n-triples",
    "json-ld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "xml-rdf": "application/rdf+xml",
}


def format_accept(values: list[str]) -> str | None:
    """The Accept header that ``format=`` values stand for; None when none is given (use the real header).

    Raises :class:`ValueError` naming the value that is neither a known name nor a media type.
    """
    ranges = []
    for value in (value.strip() for value in values):
        if not value:
            continue  # SPARQLWrapper sends an empty second value when its Accept is */*
        if "/" in value:
            if not all(_MEDIA_RANGE.fullmatch(part.split(";")[0].strip()) for part in value.split(",")):
                raise ValueError(value)
            ranges.append(value)
        elif value.lower() in SPARQL_FORMAT_NAMES:
            ranges.append(SPARQL_FORMAT_NAMES[value.lower()])
        else:
            raise ValueError(value)
    return ", ".join(ranges) or None


_MEDIA_RANGE = re.compile(r"[\w.+*-]+/[\w.+*-]+")

# Media types sent with an explicit UTF-8 charset (the others are UTF-8 by definition).
TEXT_TYPES = frozenset(
    {"text/csv", "text/tab-separated-values", "text/turtle", "application/n-triples", "text/plain", "text/html",
     "application/trig", "application/n-quads", "text/xml"}
)


def negotiate(accept: str | None, offered: list[str] | dict[str, object]) -> str | None:
    """The offered media type the ``Accept`` header likes best; None if none is acceptable.

    As RFC 9110 says: each offered type takes the quality of the most specific
    range that matches it (``text/turtle;q=0.5, */*`` gives Turtle 0.5 and the
    rest 1); the highest quality wins, ties going to the order of ``offered``.
    """
    offered = list(offered)
    if not accept or not accept.strip():
        return offered[0]
    ranges: list[tuple[str, float]] = []
    for rank in accept.split(","):
        media, *params = [part.strip() for part in rank.split(";")]
        q = next((_quality(p) for p in params if p.replace(" ", "").lower().startswith("q=")), 1.0)
        if media:
            ranges.append((media.lower(), q))
    best, best_q = None, 0.0
    for candidate in offered:
        matches = [(_specificity(media, candidate), q) for media, q in ranges]
        matches = [match for match in matches if match[0] >= 0]
        if not matches:
            continue
        q = max(matches)[1]
        if q > best_q:
            best, best_q = candidate, q
    return best


def _specificity(media: str, candidate: str) -> int:
    """2 for an exact match, 1 for ``type/*``, 0 for ``*/*``, -1 for none."""
    if media == candidate:
        return 2
    if media == "*/*":
        return 0
    if media.endswith("/*") and candidate.startswith(media[:-1]):
        return 1
    return -1


def _quality(param: str) -> float:
    try:
        return max(0.0, min(1.0, float(param.split("=", 1)[1])))
    except ValueError:
        return 0.0


def content_type(media: str) -> str:
    """The Content-Type header for a media type (UTF-8 named where the type has a charset)."""
    return f"{media}; charset=utf-8" if media in TEXT_TYPES else media


class NotAcceptable(QueryError):
    """No offered media type fits the request's Accept header (HTTP 406, listing what is offered)."""

    def __init__(self, offered: list[str], accept: str | None = None, hint: str = ""):
        self.offered = offered
        self.accept = accept
        self.hint = hint
        super().__init__(f"none of the media types in Accept ({(accept or '')[:200]}) is offered here; "
                         f"offered: {', '.join(offered)}{hint}")

    def __reduce__(self):  # raised in worker processes, so it must survive pickling
        return (NotAcceptable, (self.offered, self.accept, self.hint))


def choose(accept: str | None, offered: list[str] | dict[str, object], hint: str = "") -> str:
    """:func:`negotiate`, or :class:`NotAcceptable` when nothing offered is acceptable."""
    media = negotiate(accept, offered)
    if media is None:
        raise NotAcceptable(list(offered), accept, hint)
    return media
