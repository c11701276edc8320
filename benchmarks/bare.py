"""The bare route: the least a FastAPI route that runs a named query can cost, for ``benchmarks/api.py``.

``GET /{names}?param=value`` runs the named queries (comma-separated, each
with the parameters it declares) on the embedded pyoxigraph store, on the
event loop, and answers their rows as JSON: each term's lexical value, no
reshaping, no models, no middleware. Between the raw query (no HTTP) and the
hello-world floor (no query), it shows what serving a query over HTTP costs
on this machine before the API does anything of its own.

    POLICYKG_DATA=dist/policykg.trig uvicorn bare:app --app-dir benchmarks
"""

import json
import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from policykg.api.sparql_guard import load_store
from policykg.queries import named_queries

QUERIES = named_queries()
STORE = load_store(Path(os.environ.get("POLICYKG_DATA", "dist/policykg.trig")))
app = FastAPI()


@app.get("/{names}")
async def bare(names: str, request: Request) -> Response:
    answers = []
    for name in names.split(","):
        query = QUERIES[name]
        given = {key: value for key, value in request.query_params.items() if key in query.parameters}
        solutions = STORE.query(query.text, use_default_graph_as_union=True, substitutions=query.bindings(given) or None)
        variables = [variable.value for variable in solutions.variables]
        answers.append([{variable: term.value for variable, term in zip(variables, row) if term is not None}
                        for row in solutions])
    return Response(json.dumps(answers, ensure_ascii=False).encode(), media_type="application/json")
