"""The bare routes: the least a FastAPI route can cost for what the API answers, for ``benchmarks/api.py``.

* ``GET /{names}?param=value`` runs the named queries (comma-separated, each
  with the parameters it declares) on the embedded pyoxigraph store, on the
  event loop, and answers their rows as JSON: each term's lexical value, no
  reshaping, no models, no middleware.
* ``GET /engine/{names}?param=value``: the same queries, each answer written
  by pyoxigraph's own SPARQL JSON results writer (in Rust: no Python per row
  or term), joined in a JSON array. The least any route can do with the rows.
* ``GET /id/{kind}/{slug}``: a bare entity look-up: the resource's outgoing
  and incoming statements, as the store gives them, written as Turtle by
  pyoxigraph; no neighbour labels, no sort, no negotiation or headers.

Between the raw query (no HTTP) and the hello-world floor (no query), they
show what serving a query over HTTP costs on this machine before the API does
anything of its own.

    POLICYKG_DATA=dist/policykg.trig uvicorn bare:app --app-dir benchmarks
"""

import json
import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pyoxigraph import NamedNode, QueryResultsFormat, RdfFormat, serialize

from policykg.api.sparql_guard import load_store
from policykg.namespaces import ID
from policykg.queries import named_queries

QUERIES = named_queries()
STORE = load_store(Path(os.environ.get("POLICYKG_DATA", "dist/policykg.trig")))
app = FastAPI()


def _solutions(name: str, request: Request):
    query = QUERIES[name]
    given = {key: value for key, value in request.query_params.items() if key in query.parameters}
    return STORE.query(query.text, use_default_graph_as_union=True, substitutions=query.bindings(given) or None)


@app.get("/id/{kind}/{slug}")
async def bare_entity(kind: str, slug: str) -> Response:
    node = NamedNode(f"{ID}{kind}/{slug}")
    triples = [quad.triple for quad in STORE.quads_for_pattern(node, None, None, None)]
    triples += [quad.triple for quad in STORE.quads_for_pattern(None, None, node, None)]
    return Response(serialize(triples, format=RdfFormat.TURTLE), media_type="text/turtle")


@app.get("/engine/{names}")
async def engine(names: str, request: Request) -> Response:
    answers = [_solutions(name, request).serialize(format=QueryResultsFormat.JSON) for name in names.split(",")]
    return Response(b"[" + b",".join(answers) + b"]", media_type="application/json")


@app.get("/{names}")
async def bare(names: str, request: Request) -> Response:
    answers = []
    for name in names.split(","):
        solutions = _solutions(name, request)
        variables = [variable.value for variable in solutions.variables]
        answers.append([{variable: term.value for variable, term in zip(variables, row) if term is not None}
                        for row in solutions])
    return Response(json.dumps(answers, ensure_ascii=False).encode(), media_type="application/json")
