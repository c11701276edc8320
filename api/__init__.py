"""The HTTP face of the graph: a small FastAPI app over a pyoxigraph Store.

``app.create_app(trig_path)`` loads the built ``dist/policykg.trig`` once and
serves the SPARQL 1.1 protocol (read-only) and one Turtle page per resource.
``sparql_guard`` holds the checks every user query passes first; the CLI's
``query`` command uses the same module, so both refuse the same things.
"""
