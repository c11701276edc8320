"""What runs inside a query worker process.

Neither pyoxigraph nor rdflib can cancel a running query from Python, and
``asyncio.wait_for`` only stops *waiting*: the query would go on using a core.
So every query runs in a worker process of a :mod:`pebble` pool
(:mod:`policykg.api.pool`), which kills the process when the time limit
passes and starts a fresh one. Each worker opens the store once, in
:func:`open_store` (its initializer), and then answers calls of the functions
below. They take and return plain, picklable data: query text, pyoxigraph
terms, :class:`~policykg.api.results.Table` and
:class:`~policykg.api.results.Answer`.

Every query is checked by :func:`~policykg.api.sparql_guard.check_query`
(size, no update, no SERVICE/LOAD) before the engine sees it, here too, so a
caller that forgot cannot make a worker fetch from the network.
"""

from __future__ import annotations

import os
import signal
from itertools import islice
from pathlib import Path

from pyoxigraph import NamedNode, Quad, QueryBoolean, QueryTriples, Store, Variable

from policykg.api.negotiation import GRAPH_FORMATS, RESULT_FORMATS, choose
from policykg.api.results import Answer, Table, Term, capped_table, graph_answer, results_answer
from policykg.api.sparql_guard import OUTPUT_PREFIXES, load_store, run_query
from policykg.errors import QueryError

_STORE: Store | None = None


def open_store(trig_path: str, nice: int = 0) -> None:
    """Initializer: load the built graph once per worker process, at niceness ``nice``.

    The niceness: a user's query may run up to the time limit on every worker,
    and on a machine with no more cores than workers it would take the cores
    the API's own routes need; raised niceness lets the kernel give those
    routes the CPU first (``benchmarks/load.py``, isolation, measures it).

    It also restores the default action of SIGTERM. pebble installs a Python
    handler, which only runs between bytecodes, so a worker inside a long
    engine call would ignore it until pebble's SIGKILL three seconds later;
    with the default action the kernel ends the worker at once. A worker
    holds nothing that needs cleaning up: the store is a read-only copy.
    """
    global _STORE
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if nice:
        os.nice(nice)
    _STORE = load_store(Path(trig_path))


def _store() -> Store:
    if _STORE is None:
        raise QueryError("the worker has no store (open_store was not run)")
    return _STORE


def select(query: str, bindings: dict[str, Term] | None = None, max_rows: int = 100_000,
           store: Store | None = None, trusted: bool = False) -> Table:
    """A SELECT or ASK query's answer, with parameters bound as RDF terms (on this worker's store by default).

    ``trusted``: the query is one of the project's own, checked when it was read.
    """
    substitutions = {Variable(name): term for name, term in (bindings or {}).items()}
    result = run_query(store if store is not None else _store(), query, substitutions=substitutions or None, trusted=trusted)
    if isinstance(result, QueryBoolean):
        return Table(boolean=bool(result))
    if isinstance(result, QueryTriples):
        raise QueryError("this call answers SELECT and ASK queries; use the protocol call for CONSTRUCT/DESCRIBE")
    return capped_table(tuple(variable.value for variable in result.variables), result, max_rows)


def select_many(calls: list[tuple[str, dict[str, Term]]], max_rows: int = 100_000,
                store: Store | None = None) -> list[Table]:
    """Several SELECT queries in one call (a relationship endpoint's parts)."""
    return [select(query, bindings, max_rows, store) for query, bindings in calls]


def protocol(
    query: str,
    default_graph: list[str],
    named_graphs: list[str],
    accept: str | None,
    max_rows: int = 100_000,
    store: Store | None = None,
) -> Answer:
    """A query of the SPARQL protocol, serialised in the negotiated format, cut at ``max_rows`` (on this worker's store by default)."""
    result = run_query(
        store if store is not None else _store(), query,
        default_graph=[NamedNode(iri) for iri in default_graph],
        named_graphs=[NamedNode(iri) for iri in named_graphs],
    )
    if isinstance(result, QueryTriples):
        return graph_answer(result, choose(accept, GRAPH_FORMATS), max_rows, OUTPUT_PREFIXES)
    media = choose(accept, RESULT_FORMATS)
    if isinstance(result, QueryBoolean):
        return results_answer(Table(boolean=bool(result)), media)
    return results_answer(capped_table(tuple(v.value for v in result.variables), result, max_rows), media)


def quads(subject_iri: str, inbound: bool = False, store: Store | None = None,
          limit: int | None = None) -> list[Quad]:
    """The quads whose subject (or, with ``inbound``, object) is one resource, at most ``limit``, in the store's order."""
    node = NamedNode(subject_iri)
    pattern = (None, None, node, None) if inbound else (node, None, None, None)
    return list(islice((store if store is not None else _store()).quads_for_pattern(*pattern), limit))
