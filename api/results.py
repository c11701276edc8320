"""Query results as plain data, and their four standard serialisations.

Why not pyoxigraph's own result serialiser: it writes the whole lazy result,
and a public endpoint must stop at a row cap. So a worker reads at most
``max_rows + 1`` solutions into a :class:`Table` and this module writes the
SPARQL 1.1 JSON, XML, CSV and TSV result formats from it. Tests check that the
output equals pyoxigraph's for every uncapped result. Imports only pyoxigraph
(the workers use it).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape, quoteattr

from collections.abc import Iterable
from itertools import islice

from pyoxigraph import BlankNode, Literal, NamedNode, QueryResultsFormat, Triple, serialize

from policykg.api.negotiation import GRAPH_FORMATS, RESULT_FORMATS

Term = NamedNode | BlankNode | Literal | Triple

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
INTEGER_TYPES = frozenset(XSD + name for name in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "negativeInteger",
    "nonPositiveInteger", "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte",
))
NUMBER_TYPES = frozenset({XSD + "decimal", XSD + "double", XSD + "float"})


@dataclass(frozen=True)
class Table:
    """The solutions of a SELECT query (or the answer of an ASK: ``boolean``)."""

    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Term | None, ...], ...] = ()
    truncated: bool = False  # more rows existed than the cap let through
    boolean: bool | None = None

    def records(self) -> list[dict[str, Term]]:
        """One dict per row, unbound variables left out."""
        return [{name: term for name, term in zip(self.variables, row) if term is not None} for row in self.rows]

    def values(self) -> list[dict[str, object]]:
        """Rows as JSON-ready Python values (IRIs as strings, typed literals as numbers/booleans)."""
        names = self.variables
        return [{name: python_value(term) for name, term in zip(names, row) if term is not None} for row in self.rows]


@dataclass(frozen=True)
class Answer:
    """A serialised answer of the SPARQL protocol: body bytes in one media type."""

    media: str
    body: bytes
    truncated: bool = False
    rows: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def python_value(term: Term) -> object:
    """A term as a JSON value: IRIs as strings, numbers as int/float, booleans as bool, text as str."""
    kind = type(term)  # by exact type, IRIs and text first: a route converts thousands of terms a request
    if kind is NamedNode or kind is BlankNode:
        return term.value
    if kind is Literal:
        datatype = term.datatype.value
        if datatype == XSD_STRING or datatype == RDF_LANG_STRING:
            return term.value
        try:
            if datatype in INTEGER_TYPES:
                return int(term.value)
            if datatype in NUMBER_TYPES:
                number = Decimal(term.value)
                return int(number) if number == number.to_integral_value() and datatype == XSD + "decimal" else float(number)
        except (ValueError, InvalidOperation):
            return term.value
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    return str(term)


# --------------------------------------------------------------------------- serialisers
def _json_term(term: Term) -> dict[str, object]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {
        "subject": _json_term(term.subject), "predicate": _json_term(term.predicate), "object": _json_term(term.object)}}


def to_json(table: Table) -> bytes:
    if table.boolean is not None:
        document: dict[str, object] = {"head": {}, "boolean": table.boolean}
    else:
        bindings = [{name: _json_term(term) for name, term in zip(table.variables, row) if term is not None}
                    for row in table.rows]
        document = {"head": {"vars": list(table.variables)}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_XML_SPACE = " \t\n\r"


def _xml_text(text: str) -> str:
    """Element text, escaped so that every parser reads back exactly ``text``.

    ``&``, ``<`` and ``>`` as usual; a carriage return anywhere, and white space
    at either end, as character references: an XML parser turns a literal CR
    into LF, and some SPARQL result parsers (pyoxigraph's among them) trim
    the white space around text, which a reference survives.
    """
    start = len(text) - len(text.lstrip(_XML_SPACE))
    end = max(start, len(text.rstrip(_XML_SPACE)))
    refs = lambda part: "".join(f"&#{ord(c)};" for c in part)  # noqa: E731
    return refs(text[:start]) + escape(text[start:end], {"\r": "&#13;"}) + refs(text[end:])


def _xml_term(term: Term) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{_xml_text(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{_xml_text(term.value)}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{_xml_text(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{_xml_text(term.value)}</literal>"
        return f"<literal>{_xml_text(term.value)}</literal>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject><predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>")


def to_xml(table: Table) -> bytes:
    parts = ['<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
    if table.boolean is not None:
        parts.append(f"</head><boolean>{'true' if table.boolean else 'false'}</boolean></sparql>")
        return "".join(parts).encode("utf-8")
    parts.extend(f"<variable name={quoteattr(name)}/>" for name in table.variables)
    parts.append("</head><results>")
    for row in table.rows:
        parts.append("<result>")
        parts.extend(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>"
                     for name, term in zip(table.variables, row) if term is not None)
        parts.append("</result>")
    parts.append("</results></sparql>")
    return "".join(parts).encode("utf-8")


def _csv_cell(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (NamedNode, Literal)):
        return term.value
    # a triple term (RDF 1.2): its three cells joined by spaces, as pyoxigraph writes it
    return " ".join(_csv_cell(part) for part in (term.subject, term.predicate, term.object))


def to_csv(table: Table) -> bytes:
    if table.boolean is not None:
        return b"true\r\n" if table.boolean else b"false\r\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.variables)
    writer.writerows([_csv_cell(term) for term in row] for row in table.rows)
    return out.getvalue().encode("utf-8")


def _tsv_cell(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, Triple):  # RDF 1.2 triple term syntax (str() of a Triple leaves out the brackets)
        return "<<( " + " ".join(_tsv_cell(part) for part in (term.subject, term.predicate, term.object)) + " )>>"
    if isinstance(term, Literal):
        if _plain_number(term):
            return term.value
        if term.datatype.value == XSD + "boolean" and term.value in ("true", "false"):
            return term.value
    return str(term)  # N-Triples syntax, as the TSV format asks


_TURTLE_INTEGER = re.compile(r"[+-]?[0-9]+")
_TURTLE_DECIMAL = re.compile(r"[+-]?[0-9]*\.[0-9]+")


def _plain_number(term: Literal) -> bool:
    """Whether a numeric literal may be written bare in TSV (its lexical form reads back as the same literal)."""
    datatype = term.datatype.value
    if datatype == XSD + "integer":
        return _TURTLE_INTEGER.fullmatch(term.value) is not None
    if datatype == XSD + "decimal":
        return _TURTLE_DECIMAL.fullmatch(term.value) is not None
    return False


def to_tsv(table: Table) -> bytes:
    if table.boolean is not None:
        return b"true\n" if table.boolean else b"false\n"
    lines = ["\t".join(f"?{name}" for name in table.variables)]
    lines.extend("\t".join(_tsv_cell(term) for term in row) for row in table.rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


SERIALISERS = {
    QueryResultsFormat.JSON: to_json,
    QueryResultsFormat.XML: to_xml,
    QueryResultsFormat.CSV: to_csv,
    QueryResultsFormat.TSV: to_tsv,
}


# --------------------------------------------------------------------------- capped answers
def capped_table(variables: tuple[str, ...], solutions: Iterable, max_rows: int) -> Table:
    """At most ``max_rows`` solutions as a Table; ``truncated`` when there were more."""
    rows = [tuple(solution) for solution in islice(solutions, max_rows + 1)]  # a solution iterates in ``variables`` order
    return Table(variables, tuple(rows[:max_rows]), truncated=len(rows) > max_rows)


def results_answer(table: Table, media: str) -> Answer:
    """A Table written in one of :data:`RESULT_FORMATS`."""
    return Answer(media, SERIALISERS[RESULT_FORMATS[media]](table), truncated=table.truncated, rows=len(table.rows))


def graph_answer(triples: Iterable[Triple], media: str, max_rows: int, prefixes: dict[str, str]) -> Answer:
    """At most ``max_rows`` triples, sorted (engines do not keep an order), written in one of :data:`GRAPH_FORMATS`."""
    found = list(islice(triples, max_rows + 1))
    kept = sorted(found[:max_rows], key=str)
    body = serialize(kept, format=GRAPH_FORMATS[media], prefixes=prefixes) or b""
    return Answer(media, body, truncated=len(found) > max_rows, rows=len(kept))
