"""``/query``: a page to write and run SPARQL, with the named queries as examples.

* a form (``GET /query?query=…``) that works without JavaScript: a labelled
  text area and a Run button; with the vendored editor present
  (``policykg vendor``: CodeMirror 5, served from ``/vendor/``, never from a
  CDN), ``static/query.js`` turns the text area into an editor with SPARQL
  highlighting and completion of the project's prefixes (``pol:`` …), which
  also adds the ``PREFIX`` declaration the query lacks; Ctrl-Enter runs;
* the named queries (``queries/*.rq``) as examples: ``/query?example=NAME``
  fills the form with the query's text, a parameter bound to the example
  value its ``#+`` header declares by a ``VALUES`` block, and runs it (one
  click, and the text shows how the value is bound);
* the query runs through the same gate and workers as ``/sparql`` (size,
  read-only, no SERVICE/LOAD, time limit, row cap); a refused or wrong query
  shows its message on the page with the status ``/sparql`` would answer
  (400, 413, 503), a syntax error with its line and column;
* SELECT results as a table (the first :data:`ROWS_SHOWN` rows; resources of
  this graph link to their pages, ``/id/…``; literals with their language),
  ASK as yes/no, CONSTRUCT/DESCRIBE as Turtle; links download the whole
  answer from ``/sparql`` as CSV or JSON (Turtle or JSON-LD for a graph).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup
from pyoxigraph import Literal
from starlette.concurrency import run_in_threadpool

from policykg import vendor
from policykg.api.backend import top_level_group
from policykg.api.deps import ServicesDep
from policykg.api.entities import compact, local_href
from policykg.api.errors import ApiError, status_of
from policykg.api.html import language, page
from policykg.api.html import text as interface_text
from policykg.api.sparql import protocol_request
from policykg.api.sparql_guard import DEFAULT_PREFIXES
from policykg.errors import PolicyKGError
from policykg.queries import NamedQuery

router = APIRouter(tags=["pages"])

SECTION = "query"  # the page's texts in interface-texts.yaml
ROWS_SHOWN = 1000  # rows of a SELECT answer shown on the page (the downloads have them all)
TURTLE_SHOWN = 256 * 1024  # characters of a CONSTRUCT/DESCRIBE answer shown
# What the page asks the backend for: results as JSON, graphs as Turtle.
ACCEPT = "application/sparql-results+json, text/turtle"
XSD = "http://www.w3.org/2001/XMLSchema#"
PLAIN_TYPES = frozenset({XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"})
# The editor: a package of api/vendor.yaml and the files of it the page loads, in order.
EDITOR = "codemirror"
EDITOR_STYLES = ("lib/codemirror.css", "addon/hint/show-hint.css")
EDITOR_SCRIPTS = ("lib/codemirror.js", "mode/sparql/sparql.js", "addon/edit/matchbrackets.js",
                  "addon/hint/show-hint.js")
# Where a parser names the position of a syntax error: oxigraph "error at 3:14", Jena "line 3, column 14".
_POSITION = re.compile(r"error at (\d+):(\d+)|line (\d+), column (\d+)")
DEFAULT_QUERY = """\
PREFIX pol: <https://w3id.org/policykg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?item ?number ?label WHERE {
  ?item a pol:PlanItem ; pol:number ?number ; rdfs:label ?label .
  FILTER (LANG(?label) = "zh")
}
ORDER BY ?number
LIMIT 10
"""


# --------------------------------------------------------------------------- vendored files
def mount_vendor(app: FastAPI, settings) -> None:
    """Serve ``<folder of settings.data>/vendor`` at ``/vendor`` when it exists (``policykg vendor`` fills it).

    The intact packages found there are kept on ``app.state.vendored`` (name ->
    manifest): the query page loads the editor only when its files are all there.
    """
    folder = Path(settings.data).parent / "vendor"
    app.state.vendored = vendor.installed(folder)
    if folder.is_dir():
        app.mount("/vendor", StaticFiles(directory=folder), name="vendor")


def editor_assets(request: Request, base: str) -> dict[str, list[str]] | None:
    """The editor's style sheets and scripts, if vendored (each URL versioned, for caches)."""
    manifest = getattr(request.app.state, "vendored", {}).get(EDITOR)
    if manifest is None or not all(name in manifest["files"] for name in EDITOR_STYLES + EDITOR_SCRIPTS):
        return None
    url = lambda name: f"{base}/vendor/{EDITOR}/{name}?v={manifest['version']}"  # noqa: E731
    return {"styles": [url(name) for name in EDITOR_STYLES], "scripts": [url(name) for name in EDITOR_SCRIPTS],
            "version": manifest["version"]}


def script_json(value: object) -> Markup:
    """JSON to put inside ``<script type="application/json">``: ``<``, ``>`` and ``&`` escaped so no tag can close it."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


# --------------------------------------------------------------------------- examples
def example_text(named: NamedQuery) -> str:
    """The named query's text, each parameter with a declared example bound to it by a VALUES line.

    The ``#+`` header (YAML for the API) gives way to one comment line, the summary.

    Named queries use their parameters in the top-level group, where a VALUES
    block binds them as the API's substitutions do (``api/backend.py``,
    :func:`~policykg.api.backend.bind_values`); here it stands on a line of its
    own, so a reader sees the value and can change it.
    """
    lines = named.text.splitlines(keepends=True)
    header = 0
    while header < len(lines) and lines[header].startswith("#+"):
        header += 1
    text = f"# {named.name}: {' '.join(named.summary.split())}\n" + "".join(lines[header:])
    examples = {name: p.example for name, p in named.parameters.items() if p.example is not None}
    offset = top_level_group(text) if examples else None
    if offset is None:
        return text
    terms = {variable.value: term for variable, term in named.bindings({k: str(v) for k, v in examples.items()}).items()
             if variable.value in examples}
    values = "".join(f"\n  VALUES ?{name} {{ {_term_text(terms[name])} }}  # example value of ?{name}: "
                     f"{' '.join(named.parameters[name].description.split())}" for name in sorted(terms))
    return text[: offset + 1] + values + text[offset + 1:]


def _term_text(term) -> str:
    """A bound value as SPARQL text: an integer bare (``16``), anything else in N-Triples syntax."""
    if isinstance(term, Literal) and term.datatype.value == XSD + "integer" and re.fullmatch(r"-?\d+", term.value):
        return term.value
    return str(term)


def example_links(queries: dict[str, NamedQuery], base: str, lang: str) -> list[dict[str, object]]:
    return [{"name": named.name, "summary": named.summary,
             "href": f"{base}/query?" + urlencode({"example": named.name, "lang": lang}),
             "api": f"{base}/queries/{named.name}",
             "parameters": [{"name": p.name, "example": p.example, "required": p.required}
                            for p in named.parameters.values()]}
            for named in queries.values()]


# --------------------------------------------------------------------------- results
def cell(term: dict | None, base: str) -> dict[str, object] | None:
    """A term of SPARQL JSON results as the template shows it (every key present: the templates are strict)."""
    if term is None:
        return None
    kind, value = term.get("type"), term.get("value", "")
    view: dict[str, object] = {"kind": "other", "text": str(value), "href": None, "title": None, "lang": None,
                               "datatype": None}
    if kind == "uri":
        view.update(kind="iri", text=compact(value), href=local_href(base, value), title=value)
    elif kind == "bnode":
        view.update(kind="bnode", text=f"_:{value}")
    elif kind in ("literal", "typed-literal"):
        datatype = term.get("datatype")
        view.update(kind="literal", lang=term.get("xml:lang"),
                    datatype=compact(datatype) if datatype and datatype not in PLAIN_TYPES else None)
    elif kind == "triple" and isinstance(value, dict):
        parts = [cell(value.get(part), base) for part in ("subject", "predicate", "object")]
        view.update(kind="triple", text="<< " + " ".join(str(p["text"]) for p in parts if p) + " >>")
    return view


def read_answer(answer, base: str, max_rows: int) -> dict[str, object]:
    """The template's view of an :class:`~policykg.api.results.Answer` (results JSON, or Turtle)."""
    if answer.media == "text/turtle":
        text = answer.body.decode("utf-8")
        cut = len(text) > TURTLE_SHOWN
        if cut:
            text = text[: text.rfind("\n", 0, TURTLE_SHOWN) + 1]
        return {"kind": "graph", "turtle": text, "count": answer.rows, "cut": cut,
                "capped": answer.truncated, "max_rows": max_rows}
    document = json.loads(answer.body)
    if "boolean" in document:
        return {"kind": "ask", "boolean": bool(document["boolean"])}
    variables = document["head"].get("vars", [])
    bindings = document["results"]["bindings"]
    rows = [[cell(binding.get(name), base) for name in variables] for binding in bindings[:ROWS_SHOWN]]
    return {"kind": "select", "variables": variables, "rows": rows, "count": len(bindings),
            "shown": len(rows), "capped": answer.truncated, "max_rows": max_rows}


def downloads(text: str, kind: str, base: str) -> list[dict[str, str]]:
    """Links that fetch the whole answer from ``/sparql`` (``format=`` as a link cannot set Accept)."""
    formats = ([("Turtle", "ttl", "text/turtle", "ttl"), ("JSON-LD", "json", "application/ld+json", "jsonld")]
               if kind == "graph" else
               [("CSV", "csv", "text/csv", "csv"), ("JSON", "json", "application/sparql-results+json", "json")])
    return [{"name": name, "href": f"{base}/sparql?" + urlencode({"query": text, "format": fmt}),
             "media": media, "file": f"policykg-results.{suffix}"} for name, fmt, media, suffix in formats]


def error_view(problem: PolicyKGError, text: str) -> dict[str, object]:
    """The message, and for a syntax error its line and column with the line quoted."""
    message = str(problem)
    view: dict[str, object] = {"message": message, "line": None, "column": None, "excerpt": None, "caret": None}
    match = _POSITION.search(message)
    if match:
        line, column = (int(g) for g in (match.group(1, 2) if match.group(1) else match.group(3, 4)))
        view.update(line=line, column=column)
        lines = text.splitlines()
        if 1 <= line <= len(lines):
            view.update(excerpt=lines[line - 1], caret=" " * max(0, min(column - 1, len(lines[line - 1]))) + "^")
    return view


# --------------------------------------------------------------------------- the page
@router.get("/query", include_in_schema=False)
async def query_page(request: Request, services: ServicesDep) -> Response:
    base = services.base_url
    lang = language(request)
    params = request.query_params
    text = params.get("query")
    example = params.get("example")
    chosen, error, result, status, seconds = None, None, None, 200, None
    if text is None and example:
        chosen = services.queries.get(example)
        if chosen is None:
            status = 404
            error = {"message": interface_text(SECTION, "no_example", lang, name=repr(example)), "line": None,
                     "column": None, "excerpt": None, "caret": None}
        else:
            text = example_text(chosen)
    if text is not None and text.strip():
        started = time.perf_counter()
        try:
            sparql_request = protocol_request({"query": [text]})
            answer = await run_in_threadpool(services.backend.protocol, sparql_request, ACCEPT)
            result = read_answer(answer, base, services.settings.max_rows)
        except PolicyKGError as problem:
            status = problem.status if isinstance(problem, ApiError) else status_of(problem)
            error = error_view(problem, text)
        seconds = time.perf_counter() - started
    return page(
        request, "query.html", base, status, text_section=SECTION,
        query_text=text if text is not None else DEFAULT_QUERY,
        example=chosen.name if chosen else None,
        examples=example_links(services.queries, base, lang),
        result=result, error=error, seconds=seconds,
        downloads=downloads(text, result["kind"], base) if result and text else [],
        editor=editor_assets(request, base),
        prefixes=script_json(DEFAULT_PREFIXES),
        rows_shown=ROWS_SHOWN,
    )
