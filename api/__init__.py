"""The HTTP face of the graph: one FastAPI app (``app.create_app(settings)``), see docs/api.md.

Routers: ``sparql`` (the SPARQL 1.1 Protocol), ``named`` (named queries as
REST), ``relations`` (items, populations, bodies, indicators, search),
``entities`` (dereferenceable resources), ``analytics`` (networkx). Queries
run through ``backend`` (the embedded store, with user queries in the
killable workers of ``pool``/``worker``, or a remote SPARQL server);
``sparql_guard`` holds the checks every user query passes first, shared with
the CLI's ``query`` command.
"""
