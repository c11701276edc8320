"""The one gate every user-written SPARQL query passes: size, read-only, no SERVICE/LOAD.

Why a gate at all: pyoxigraph federates ``SERVICE <url>`` to any URL it is
given (so a query could make the server fetch from the network), a query of
tens of kilobytes can keep the engine busy for seconds before it even starts,
and pyoxigraph has no per-query timeout. So a query is checked *before* it is
parsed by the engine or run:

1. size: more than :data:`MAX_QUERY_BYTES` of UTF-8 is refused outright;
2. the query is cut into SPARQL tokens (:func:`tokens`): strings, IRIs,
   comments, variables and prefixed names are single tokens, so a
   ``"SERVICE"`` in a string, ``# LOAD`` in a comment, ``?service`` or
   ``ex:load`` are not keywords, while ``service`` in any letter case is;
3. a ``SERVICE`` or ``LOAD`` keyword anywhere, or any update keyword, refuses
   the query (none of them can occur in a valid read-only query);
4. shape: nesting deeper than :data:`MAX_NESTING` (brackets, or a run of
   ``!``/``-``/``+``) and more than :data:`MAX_CHAINED` OPTIONAL/MINUS/BIND
   clauses or arithmetic/path operators are refused. oxigraph's parser and
   planner recurse once per level or per chained clause, and a few kilobytes
   of ``{{{…}}}`` (2,500 levels) or 3,500 ``BIND`` clauses overflow the stack: a
   segmentation fault, which kills a worker process (or ``policykg query``)
   rather than raising an error.

Why tokens rather than rdflib's parse tree: pyoxigraph exposes no query
algebra, and rdflib's parser is a second, different grammar: it took 6.8 s
on an 89 KB query of OR-ed filters (the lexer: about 10 ms) and rejects valid
queries oxigraph accepts (rdflib 7.6 fails on
``SELECT * WHERE { ?s a pol:Plan . SERVICE <…> { … } }``). SPARQL keywords are
lexical tokens, so the token stream is exactly where a keyword can be seen.
Whatever is not refused is then parsed by oxigraph itself in
:func:`run_query`, whose syntax errors are reported as-is.

Used by the HTTP endpoint (``api/app.py``) and ``policykg query`` alike, with
:func:`load_store`, so both query the same store built the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions, QueryTriples, RdfFormat, Store

from policykg.errors import QueryError
from policykg.namespaces import ID, PREFIXES

MAX_QUERY_BYTES = 100 * 1024
# Far below where oxigraph overflows its stack (about 2,500 nested groups, 5,000 `!`, 3,500 chained
# BINDs or MINUSes, 9,000 `+` in one expression), far above what a query written by hand needs.
MAX_NESTING = 128
MAX_CHAINED = 1000

# Prefixes every query may use without declaring them (a declaration in the query wins).
DEFAULT_PREFIXES: dict[str, str] = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
# Prefixes for Turtle written from results: resource IRIs (``…/id/item/16``) would need an
# escaped slash as ``id:item\\/16``, so they stay full IRIs.
OUTPUT_PREFIXES: dict[str, str] = {prefix: ns for prefix, ns in DEFAULT_PREFIXES.items() if ns != str(ID)}
# The base relative IRIs in a query resolve against (the protocol lets the service choose it):
# the resource namespace, so ``<item/16>`` names https://w3id.org/policykg/id/item/16.
QUERY_BASE = str(ID)


# Keywords that only occur in SPARQL Update: a query containing any of them is an update.
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})
# Keywords refused wherever they stand, with the reason given to the user.
REFUSED_KEYWORDS = {
    "SERVICE": "SERVICE (federated query) is refused: queries here never fetch from other servers",
    "LOAD": "LOAD is refused: the graph is read-only and nothing is fetched",
}


class QueryRefused(QueryError):
    """The query is well-formed enough to see that it must not run here."""


class QueryTooLarge(QueryRefused):
    """The query text is over :data:`MAX_QUERY_BYTES`."""


class QuerySyntaxError(QueryError):
    """The engine's parser rejected the query; the message is the parser's."""


# SPARQL 1.1 terminals, in the order they must be tried (long strings before short,
# IRIs and prefixed names before the punctuation and names they start like).
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
              |\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
              |'(?:[^'\\\r\n]|\\.)*'
              |"(?:[^"\\\r\n]|\\.)*")
  | (?P<var>[?$][\w\u00b7]+)
  | (?P<bnode>_:[\w.\-\u00b7]*)
  | (?P<pname>(?:[^\W\d_][\w.\-\u00b7]*)?:(?:[\w.\-:%\u00b7]|\\.)*)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL,
)


def token_spans(query: str) -> Iterator[tuple[str, str, int]]:
    """``(kind, text, offset)`` for each SPARQL token, skipping white space and comments."""
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        if kind not in ("space", "comment"):
            yield kind, match.group(), match.start()


def tokens(query: str) -> Iterator[tuple[str, str]]:
    """``(kind, text)`` for each SPARQL token, skipping white space and comments."""
    return ((kind, text) for kind, text, _ in token_spans(query))


def keywords(query: str) -> Iterator[str]:
    """The bare words of the query (keywords, function names, ``a``), upper-cased."""
    return (text.upper() for kind, text in tokens(query) if kind == "name")


def check_size(query: str | bytes) -> None:
    size = len(query if isinstance(query, bytes) else query.encode("utf-8"))
    if size > MAX_QUERY_BYTES:
        raise QueryTooLarge(f"the query is {size:,} bytes; the limit is {MAX_QUERY_BYTES:,} bytes")


# Tokens that open or close a level, and the prefix operators whose runs nest like brackets (``!!!x``).
_OPENING, _CLOSING, _PREFIX_OPERATORS = frozenset("{(["), frozenset("})]"), frozenset("!-+")
# Clauses that each wrap everything before them in the query plan (a left-deep chain), and the
# binary operators of expressions and property paths (``1+1+…``, ``<p>/<p>/…``), likewise chained.
CHAINED_KEYWORDS = frozenset({"OPTIONAL", "MINUS", "BIND"})
_CHAINED_OPERATORS = frozenset("+-*/")


def check_query(query: str) -> None:
    """Raise :class:`QueryRefused` for what must not run; anything else is left to oxigraph's parser."""
    check_size(query)
    depth = run = clauses = operators = 0
    for kind, text, offset in token_spans(query):
        if kind == "name":
            word = text.upper()
            if word in REFUSED_KEYWORDS:
                raise QueryRefused(REFUSED_KEYWORDS[word])
            if word in UPDATE_KEYWORDS:
                raise QueryRefused(f"{word}: SPARQL Update is refused; the graph is read-only")
            clauses += word in CHAINED_KEYWORDS
        if kind != "punct":
            run = 0
            continue
        run = run + 1 if text in _PREFIX_OPERATORS else 0
        operators += text in _CHAINED_OPERATORS
        if text in _OPENING:
            depth += 1
        elif text in _CLOSING:
            depth = max(depth - 1, 0)
        if depth + run > MAX_NESTING:
            line, column = _position(query, offset)
            raise QueryRefused(f"the query nests more than {MAX_NESTING} levels deep at line {line}, column "
                               f"{column} (brackets {{ ( [ or a run of ! - + operators); flatten it")
    if clauses > MAX_CHAINED:
        raise QueryRefused(f"the query has {clauses:,} OPTIONAL, MINUS and BIND clauses; at most "
                           f"{MAX_CHAINED:,} are accepted")
    if operators > MAX_CHAINED:
        raise QueryRefused(f"the query has {operators:,} arithmetic or path operators (+ - * /); at most "
                           f"{MAX_CHAINED:,} are accepted")


def _position(query: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset (as oxigraph's syntax errors give them)."""
    line_start = query.rfind("\n", 0, offset) + 1
    return query.count("\n", 0, offset) + 1, offset - line_start + 1


@lru_cache(maxsize=1024)  # the named queries ask again on every request; a user's query rarely repeats
def has_dataset_clause(query: str) -> bool:
    """Whether the query names its own dataset (``FROM`` / ``FROM NAMED``; the keyword occurs nowhere else)."""
    return any(word == "FROM" for word in keywords(query))


def run_query(
    store: Store,
    query: str,
    *,
    default_graph: list[NamedNode] | None = None,
    named_graphs: list[NamedNode] | None = None,
    substitutions: dict | None = None,
    base_iri: str = QUERY_BASE,
    trusted: bool = False,
) -> QuerySolutions | QueryBoolean | QueryTriples:
    """Check, then run a query over the dataset the SPARQL 1.1 Protocol says it has.

    * graphs given here (the protocol's ``default-graph-uri`` / ``named-graph-uri``)
      are the whole dataset, overriding the query's ``FROM``: with only named
      graphs given, the default graph is empty; with only default graphs given,
      there are no named graphs;
    * else the query's own ``FROM`` / ``FROM NAMED``, if it has any;
    * else the default graph is the union of all graphs, and every graph is named.

    Relative IRIs resolve against ``base_iri`` (the service-defined base the
    protocol allows). ``trusted``: the query is one of the project's own, checked
    when it was read, so the guard is not run again. Results are lazy:
    pyoxigraph evaluates while they are iterated or serialised.
    """
    if not trusted:
        check_query(query)
    options: dict = {"prefixes": DEFAULT_PREFIXES, "base_iri": base_iri}
    if default_graph or named_graphs:
        options["default_graph"] = list(default_graph or [])
        options["named_graphs"] = list(named_graphs or [])
    elif not has_dataset_clause(query):
        options["use_default_graph_as_union"] = True
    if substitutions:
        options["substitutions"] = substitutions  # parameters bound as RDF terms, never pasted in
    try:
        return store.query(query, **options)
    except SyntaxError as error:
        raise QuerySyntaxError(f"SPARQL syntax error: {error}") from None
    except (RuntimeError, ValueError) as error:
        # e.g. a parameter that is not in the SELECT projection (pyoxigraph binds only projected variables)
        raise QueryError(f"the query could not be evaluated: {error}") from None


def rdf_format(path: Path) -> RdfFormat:
    """The RDF syntax of ``path`` by its extension (.trig, .nq, .nt, .ttl …); TriG when unknown."""
    return RdfFormat.from_extension(path.suffix.lstrip(".")) or RdfFormat.TRIG


def load_store(path: Path) -> Store:
    """The store a built file or folder holds: a file (TriG unless the extension says otherwise) is
    loaded into memory, named graphs kept; a folder is an on-disk Oxigraph store (``policykg index``),
    opened read-only, so the API and its worker processes share one copy through the page cache
    instead of holding one each (what makes 10^7 triples fit on one machine)."""
    if path.is_dir():
        try:
            return Store.read_only(str(path))
        except OSError as error:
            raise QueryError(f"{path}: not an Oxigraph store folder ({error}); make one with `policykg index`") from None
    if not path.is_file():
        raise QueryError(f"{path}: no such file; run `policykg build` first")
    store = Store()
    try:
        store.bulk_load(path=str(path), format=rdf_format(path))
    except (SyntaxError, OSError, ValueError) as error:
        raise QueryError(f"{path}: cannot be loaded: {error}") from None
    return store
