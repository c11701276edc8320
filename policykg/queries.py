"""Named queries: each ``queries/*.rq`` file is one question with a ``#+`` YAML header.

The header says what the query answers and declares its parameters, in the
manner of grlc::

    #+ summary: The measures of one item, each with its quote and offsets
    #+ params:
    #+   item_number: {type: integer, description: "plan item number (1-46)", required: true, example: 16}

A parameter is a variable of the query (``?item_number``) that the SELECT
projects (pyoxigraph substitutes projected variables only). Its value is bound
as an RDF term (pyoxigraph ``substitutions``), never pasted into the query
text, so a value cannot change the query. The CLI and the API both read
queries through this module.

An optional parameter left out is not bound at all. A query filters on it with
``FILTER (COALESCE(?p, ?x, "") = COALESCE(?x, ""))``, which every engine the API
runs on reads alike; ``BOUND(?p)`` and a comparison with an unbound ``?p`` do not
(``tests/test_query_portability.py`` says why and checks ``queries/``).
"""

from __future__ import annotations

import re
from datetime import date
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from pyoxigraph import Literal, NamedNode, Variable

from policykg.api.sparql_guard import check_query
from policykg.errors import QueryError
from policykg.resources import data_dir

XSD = "http://www.w3.org/2001/XMLSchema#"
PARAMETER_TYPES = ("integer", "decimal", "boolean", "date", "string", "iri")

# What an ``iri`` parameter accepts: an absolute http(s) IRI in its URI form (RFC 3986: ASCII
# letters, digits, the unreserved and sub-delimiter marks, valid %-escapes; non-ASCII characters
# percent-encoded, as every IRI of this graph is). One pattern serves the check here and the
# OpenAPI document, so a client (or schemathesis) can validate before sending.
_IRI_CHAR = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})"
IRI_PATTERN = (rf"^https?://[A-Za-z0-9._~-]+(?::[0-9]{{1,5}})?(?:/{_IRI_CHAR}*)?"
               rf"(?:\?(?:{_IRI_CHAR}|\?)*)?(?:#(?:{_IRI_CHAR}|\?)*)?$")
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    description: str
    required: bool = False
    default: object = None
    example: object = None
    enum: tuple = ()

    def term(self, value: str) -> Literal | NamedNode:
        """The RDF term for a value given as text; QueryError names the parameter when it does not fit."""
        text = str(value).strip()
        if self.enum and text not in {str(v) for v in self.enum}:
            raise QueryError(f"parameter {self.name}: {text!r} is not one of {', '.join(map(str, self.enum))}")
        try:
            if self.type == "integer":
                if not re.fullmatch(r"[+-]?\d+", text):
                    raise ValueError
                return Literal(str(int(text)), datatype=NamedNode(XSD + "integer"))
            if self.type == "decimal":
                return Literal(str(Decimal(text)), datatype=NamedNode(XSD + "decimal"))
            if self.type == "boolean":
                if text.lower() not in ("true", "false"):
                    raise ValueError
                return Literal(text.lower(), datatype=NamedNode(XSD + "boolean"))
            if self.type == "date":
                date.fromisoformat(text)
                if not re.fullmatch(DATE_PATTERN, text):
                    raise ValueError
                return Literal(text, datatype=NamedNode(XSD + "date"))
            if self.type == "iri":
                if not re.fullmatch(IRI_PATTERN, text):
                    raise ValueError("an absolute http(s) IRI, non-ASCII characters percent-encoded")
                return NamedNode(text)
            return Literal(text)
        except (ValueError, InvalidOperation):
            raise QueryError(f"parameter {self.name}: {text!r} is not a valid {self.type}") from None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    summary: str
    description: str
    text: str
    parameters: dict[str, Parameter] = field(default_factory=dict)

    def bindings(self, values: dict[str, str]) -> dict[Variable, Literal | NamedNode]:
        """Substitutions for pyoxigraph from textual values; defaults fill the gaps."""
        unknown = sorted(set(values) - set(self.parameters))
        if unknown:
            known = ", ".join(self.parameters) or "none"
            raise QueryError(f"{self.name}: unknown parameter {', '.join(unknown)} (parameters: {known})")
        bound = {}
        for name, parameter in self.parameters.items():
            value = values.get(name, parameter.default)
            if value is None:
                if parameter.required:
                    raise QueryError(f"{self.name}: parameter {name} is required ({parameter.description})")
                continue
            bound[Variable(name)] = parameter.term(value)
        return bound


def read_header(text: str, origin: str) -> dict:
    """The YAML of the leading ``#+`` comment lines."""
    lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            lines.append(line[2:].removeprefix(" "))
        elif line.strip() and not line.startswith("#"):
            break
    try:
        header = yaml.safe_load("\n".join(lines)) or {}
    except yaml.YAMLError as error:
        raise QueryError(f"{origin}: the #+ header is not valid YAML: {error}") from None
    if not isinstance(header, dict):
        raise QueryError(f"{origin}: the #+ header must be a mapping (summary, description, params)")
    return header


def parse_named_query(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    try:
        check_query(text)  # once, here: a named query then runs without the per-request check
    except QueryError as problem:
        raise QueryError(f"{path.name}: {problem}") from None
    header = read_header(text, path.name)
    if not isinstance(header.get("summary"), str) or not header["summary"].strip():
        raise QueryError(f"{path.name}: the #+ header needs a summary (what the query answers)")
    params = header.get("params") or {}
    if not isinstance(params, dict):
        raise QueryError(f"{path.name}: #+ params must be a mapping of name to {{type, description, ...}}")
    parameters = {}
    for name, spec in params.items():
        if not _NAME.match(str(name)) or not isinstance(spec, dict):
            raise QueryError(f"{path.name}: parameter {name!r} needs a name like item_number and a mapping of its type, description")
        if spec.get("type") not in PARAMETER_TYPES or not spec.get("description"):
            raise QueryError(f"{path.name}: parameter {name}: type must be one of {', '.join(PARAMETER_TYPES)} and a description is required")
        if f"?{name}" not in text:
            raise QueryError(f"{path.name}: parameter {name} is not a variable (?{name}) of the query")
        extra = set(spec) - {"type", "description", "required", "default", "example", "enum"}
        if extra:
            raise QueryError(f"{path.name}: parameter {name}: unknown key(s) {', '.join(sorted(extra))}")
        parameters[name] = Parameter(
            name, spec["type"], str(spec["description"]), bool(spec.get("required", False)),
            spec.get("default"), spec.get("example"), tuple(spec.get("enum") or ()),
        )
    return NamedQuery(path.stem, header["summary"].strip(), str(header.get("description") or "").strip(), text, parameters)


def named_queries(directory: Path | None = None) -> dict[str, NamedQuery]:
    """Every named query, by name (the file stem)."""
    directory = directory or data_dir("queries")
    return {path.stem: parse_named_query(path) for path in sorted(directory.glob("*.rq"))}
