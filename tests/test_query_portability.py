"""The named queries mean the same on every engine the API runs them on, with or without their optional parameters.

A parameter reaches a query in one of two ways: pyoxigraph's substitutions on the
embedded store, or a VALUES block opening the WHERE group on a remote server
(``api/backend.py``). An optional parameter the caller leaves out is in neither:
the variable is simply unbound. Three forms that read well give wrong answers
(measured; docs/operations.md, "Growth"):

* ``FILTER (COALESCE(?x = ?p, ?p != ?p, true))``, the queries' first idiom: correct
  SPARQL 1.1, but Virtuoso 7.2.5 evaluates ``?x = ?p`` with ``?p`` unbound to false,
  not to an error, so every row was dropped (indicators, indicator-progress,
  graph-edges, graph-nodes and search answered nothing without their parameter);
* ``FILTER (!BOUND(?p) || ?x = ?p)``, the textbook form: pyoxigraph 0.5 evaluates
  ``BOUND(?p)`` to false under substitutions even when ``?p`` is given, so on the
  embedded store a given parameter would filter nothing;
* ``STR(?q)`` of a string parameter, and a plain non-ASCII literal written in the
  query: Virtuoso 7.2.5 holds a plain literal of the query text (or of its VALUES
  block) as a narrow string; ``STR("快递")`` is ``"??"``, so search found no Chinese
  word, and ``CONCAT`` with ``"…"`` garbled graph-nodes' labels.

CI has no Virtuoso, so the lint tests below keep those forms out of ``queries/``
(each message says why), and the behaviour tests check on the real graph,
through both ways of binding (and, in ``tests/test_remote.py``, on an Oxigraph
server), that an omitted optional parameter filters nothing and a given one
filters. The form the queries use instead compares terms, never an unbound
variable: ``FILTER (COALESCE(?p, ?x, "") = COALESCE(?x, ""))``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

import pytest
import rdflib
from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions, Store, Variable

from policykg.api.backend import bind_values
from policykg.api.sparql_guard import run_query, token_spans
from policykg.queries import NamedQuery, parse_named_query

ID = "https://w3id.org/policykg/id/"
POL = "https://w3id.org/policykg/ontology#"
COMPARISONS = {"=", "!=", "<", ">", "<=", ">="}

COALESCE_IDIOM = (
    "uses the optional-parameter idiom COALESCE(?x = ?p, ?p != ?p, true): Virtuoso 7.2.5 evaluates a comparison "
    "with an unbound variable to false, not to an error, so the filter drops every row when the parameter is "
    'left out. Write FILTER (COALESCE(?p, ?x, "") = COALESCE(?x, "")) (see queries/indicators.rq)')
COMPARED = (
    "compares the optional parameter ?{name} directly ({context}): when it is left out it is unbound, and "
    "engines disagree on a comparison with an unbound variable (an error in SPARQL 1.1, false on Virtuoso 7.2.5). "
    'Compare COALESCE(?{name}, ?x, "") = COALESCE(?x, "") instead, or use ?{name} in a triple pattern')
BOUND = (
    "tests BOUND(?{name}): pyoxigraph evaluates BOUND() of a variable given by substitutions (how the embedded "
    "store binds parameters) to false, so the parameter would filter nothing there. "
    'Write FILTER (COALESCE(?{name}, ?x, "") = COALESCE(?x, ""))')
STR_OF_STRING = (
    "applies STR() to the string parameter ?{name}: Virtuoso 7.2.5 turns every non-ASCII character of STR() of a "
    "plain literal given in the query or its VALUES block into \"?\" (STR(\"快递\") is \"??\"). A string parameter "
    "is a plain literal already: use ?{name} itself")
PLAIN_NON_ASCII = (
    "writes the plain literal {text} with non-ASCII characters: Virtuoso 7.2.5 holds it as a narrow string "
    '(STR() gives "?" for each such character, CONCAT garbles the data it is joined to). Write it typed, '
    '{text}^^xsd:string (the same RDF term), or with a language tag')


def portability_problems(query: NamedQuery) -> list[str]:
    """What in a named query's text is known to be answered differently by the engines the API runs on."""
    problems = []
    spans = list(token_spans(query.text))  # comments (the #+ header) left out
    body = " ".join(text for _, text, _ in spans)
    if re.search(r"\?(\w+)\s*!=\s*\?\1\b", body):
        problems.append(COALESCE_IDIOM)
    for index, (kind, text, _) in enumerate(spans):
        before = spans[index - 1][1] if index else ""
        after = spans[index + 1][1] if index + 1 < len(spans) else ""
        if kind == "var":
            parameter = query.parameters.get(text[1:])
            if parameter is None:
                continue
            if not parameter.required and (before in COMPARISONS or after in COMPARISONS or after.upper() == "IN"):
                context = f"{before} ?{parameter.name}" if before in COMPARISONS else f"?{parameter.name} {after}"
                problems.append(COMPARED.format(name=parameter.name, context=context))
            inside = before == "(" and index >= 2 and after == ")"
            function = spans[index - 2][1].upper() if inside else ""
            if function == "BOUND":
                problems.append(BOUND.format(name=parameter.name))
            if function == "STR" and parameter.type == "string":
                problems.append(STR_OF_STRING.format(name=parameter.name))
        elif kind == "string" and not text.isascii() and after != "^^" and not after.startswith("@"):
            problems.append(PLAIN_NON_ASCII.format(text=text))
    return list(dict.fromkeys(problems))  # each once, in the order found


def test_no_named_query_uses_a_form_the_engines_answer_differently(queries) -> None:
    found = {name: problems for name, query in queries.items() if (problems := portability_problems(query))}
    assert not found, "\n".join(f"queries/{name}.rq {problem}" for name, problems in found.items()
                                for problem in problems)


def _header(params: str) -> str:
    return f"#+ summary: s\n#+ params:\n{params}"


@pytest.mark.parametrize(("params", "where", "expected"), [
    ("#+   p: {type: iri, description: d}\n", "?s ?x ?o FILTER (COALESCE(?x = ?p, ?p != ?p, true))", ["uses the optional-parameter idiom"]),
    ("#+   p: {type: iri, description: d}\n", "?s ?x ?o FILTER (!BOUND(?p) || ?x = ?p)", ["tests BOUND(?p)", "compares"]),
    ("#+   p: {type: iri, description: d}\n", "?s ?x ?o FILTER (?p IN (?x))", ["compares"]),
    ("#+   q: {type: string, description: d, required: true}\n",
     "?s ?x ?o FILTER (CONTAINS(LCASE(STR(?o)), LCASE(STR(?q))))", ["applies STR()"]),
    ("#+   q: {type: string, description: d, required: true}\n", '?s ?x ?o BIND (CONCAT(?o, "…") AS ?q2)',
     ["writes the plain literal \"…\""]),
])
def test_the_lint_finds_each_form(tmp_path, params: str, where: str, expected: list[str]) -> None:
    """Each form that gave a wrong answer is found (the lint above would otherwise pass by finding nothing)."""
    variable = re.search(r"^#\+\s+(\w+):", params, re.MULTILINE).group(1)
    path = tmp_path / "q.rq"
    path.write_text(_header(params) + f"SELECT ?s ?{variable} WHERE {{ {where} }}\n", encoding="utf-8")
    problems = portability_problems(parse_named_query(path))
    for start in expected:
        assert any(problem.startswith(start) for problem in problems), (start, problems)


@pytest.mark.parametrize("where", [
    '?s ?x ?o FILTER (COALESCE(?p, ?x, "") = COALESCE(?x, ""))',  # the idiom the queries use
    '?s ?p ?o',  # an optional parameter in a triple pattern
    '?s ?x ?o FILTER (?o = "…"^^xsd:string || ?o = "快递"@zh || CONTAINS(LCASE(STR(?o)), "x"))',
])
def test_the_lint_passes_the_portable_forms(tmp_path, where: str) -> None:
    path = tmp_path / "q.rq"
    path.write_text(_header("#+   p: {type: iri, description: d}\n") + f"SELECT ?s ?p WHERE {{ {where} }}\n",
                    encoding="utf-8")
    assert portability_problems(parse_named_query(path)) == []


# --------------------------------------------------------------------------- the idiom's meaning
IDIOM = 'SELECT ?s ?p WHERE { ?s <urn:kind> ?k OPTIONAL { ?s <urn:x> ?x } FILTER (COALESCE(?p, ?x, "") = COALESCE(?x, "")) }'
# a and b have an ?x, c has none (as an indicator without a table has no ?table_category)
TRIPLES = [("urn:a", "urn:kind", "k"), ("urn:a", "urn:x", "urn:one"), ("urn:b", "urn:kind", "k"),
           ("urn:b", "urn:x", "urn:two"), ("urn:c", "urn:kind", "k")]


@pytest.mark.parametrize(("value", "expected"), [(None, {"a", "b", "c"}), ("urn:one", {"a"}), ("urn:three", set())])
def test_the_idiom_filters_only_when_the_parameter_is_given(value: str | None, expected: set[str]) -> None:
    """Left out: every row, c (no ?x) too; given: the rows whose ?x it is. The same by each way of binding it."""
    store, graph = Store(), rdflib.Graph()
    for s, p, o in TRIPLES:
        obj = NamedNode(o) if o.startswith("urn:") else Literal(o)
        store.add(Quad(NamedNode(s), NamedNode(p), obj))
        graph.add((rdflib.URIRef(s), rdflib.URIRef(p), rdflib.URIRef(o) if o.startswith("urn:") else rdflib.Literal(o)))
    given = {"p": NamedNode(value)} if value else {}
    answers = {
        "pyoxigraph substitutions": store.query(IDIOM, substitutions={Variable(k): v for k, v in given.items()} or None),
        "pyoxigraph VALUES block": store.query(bind_values(IDIOM, given)),
        "rdflib initBindings": graph.query(IDIOM, initBindings={"p": rdflib.URIRef(value)} if value else {}),
        "rdflib VALUES block": graph.query(bind_values(IDIOM, given)),
    }
    found = {how: {str(row[0]).strip("<>").removeprefix("urn:") for row in rows} for how, rows in answers.items()}
    assert found == dict.fromkeys(answers, expected)


# --------------------------------------------------------------------------- on the real graph
# Each optional parameter and the column its value is compared with (a new optional parameter must be added here).
FILTERED_COLUMN = {
    ("graph-edges", "property"): "relation",
    ("graph-nodes", "kind"): "node_kind",
    ("indicator-progress", "category"): "table_category",
    ("indicators", "category"): "table_category",
    ("indicators", "due"): "deadline",
    ("items-by-body", "role"): "role",
    ("items-by-chapter", "chapter"): "chapter",
    ("items-serving-population", "salience"): "salience",
    ("later-tasks", "document"): "document",
    ("programmes-by-chapter", "chapter_number"): "chapter_number",
    ("search", "kind"): "result_kind",
    # ?plan is bound by a triple pattern (?item pol:inDocument ?plan), the portable way for a parameter whose
    # column is never unbound: the parameter is its own column.
    **{(name, "plan"): "plan" for name in (
        "chapters", "continuing-tasks", "item-bodies", "item-detail", "item-measures", "item-mentions",
        "item-observations", "item-populations", "item-variants", "items-by-chapter")},
}
# Facts of the real graph the checks below rest on: rows with the parameter left out, and the rows whose
# compared column is unbound (kept then, dropped whenever the parameter is given).
OMITTED = {
    ("indicators", "category"): (32, 5),  # 32 indicators; 5 stated only in an item's text have no table
    ("indicators", "due"): (32, 12),  # 12 yearly targets (pol:perYear) have no deadline
    ("indicator-progress", "category"): (32, 5),
    ("graph-edges", "property"): (459, 0),
    ("search", "kind"): (6, 0),  # 快递: the texts of items 16 and 36 and of 2 measures, couriers' label and altLabel
    ("graph-nodes", "kind"): (321, 0),
}

Run = Callable[[NamedQuery, dict[str, str]], tuple[tuple[str, ...], list[tuple]]]


def embedded_run(store: Store, how: str) -> Run:
    """A named query on the embedded store, its parameters bound by substitutions or by the remote VALUES block."""

    def run(query: NamedQuery, values: dict[str, str]) -> tuple[tuple[str, ...], list[tuple]]:
        bindings = query.bindings(values)
        if how == "substitutions":
            result = run_query(store, query.text, substitutions=bindings or None)
        else:
            result = run_query(store, bind_values(query.text, {v.value: t for v, t in bindings.items()}))
        assert isinstance(result, QuerySolutions)
        variables = tuple(v.value for v in result.variables)
        return variables, [tuple(solution[name] for name in variables) for solution in result]

    return run


def _concatenated(query: NamedQuery) -> dict[str, str]:
    """The variables bound by GROUP_CONCAT and their separators: the parts come in storage order, compared sorted."""
    found = {}
    for match in re.finditer(r"GROUP_CONCAT\s*\(((?:[^()]|\([^()]*\))*)\)\s+AS\s+\?(\w+)", query.text, re.IGNORECASE):
        separator = re.search(r';\s*separator\s*=\s*"([^"]*)"', match.group(1), re.IGNORECASE)
        found[match.group(2)] = separator.group(1) if separator else " "
    return found


def partition(run: Run, query: NamedQuery, parameter: str, required: dict[str, str]) -> tuple[Counter, Counter, int]:
    """The rows with ``parameter`` left out, the rows of every value it can take put together, and the unbound rows.

    The rows are compared without the parameter's own column (it is projected: empty when left out).
    The values are the enum's, else those the compared column takes in the answer without the parameter.
    """
    column = FILTERED_COLUMN[(query.name, parameter)]
    variables, rows = run(query, required)
    concatenated = _concatenated(query)

    def key(variables: tuple[str, ...], row: tuple) -> tuple:
        cells = []
        for name, term in zip(variables, row):
            if name == parameter:
                continue
            text = None if term is None else str(term)
            if name in concatenated and isinstance(term, Literal):
                text = "\n".join(sorted(term.value.split(concatenated[name])))
            cells.append(text)
        return tuple(cells)

    position = variables.index(column)
    enum = query.parameters[parameter].enum
    values = [str(v) for v in enum] or sorted({row[position].value for row in rows if row[position] is not None})
    omitted = Counter(key(variables, row) for row in rows)
    unbound = sum(1 for row in rows if row[position] is None)
    given: Counter = Counter()
    for value in values:
        given_variables, given_rows = run(query, required | {parameter: value})
        for row in given_rows:
            assert row[given_variables.index(column)] is not None, f"{query.name}: ?{parameter} kept a row without ?{column}"
            assert row[given_variables.index(parameter)] is not None, f"{query.name}: ?{parameter} is not projected"
        given += Counter(key(given_variables, row) for row in given_rows)
    unbound_rows = Counter(key(variables, row) for row in rows if row[position] is None)
    return omitted, given + unbound_rows, unbound


def optional_parameters(queries: dict[str, NamedQuery]) -> Iterable[tuple[str, str]]:
    return sorted((name, key) for name, query in queries.items()
                  for key, parameter in query.parameters.items() if not parameter.required)


def check_optional_parameter(run: Run, query: NamedQuery, parameter: str) -> None:
    """Left out, the parameter filters nothing; given each value in turn, it keeps exactly that value's rows."""
    required = {key: str(p.example) for key, p in query.parameters.items() if p.required}  # search: q=快递
    omitted, by_value, unbound = partition(run, query, parameter, required)
    assert omitted, f"{query.name}: nothing without ?{parameter}"
    assert omitted == by_value, (
        f"{query.name}: the rows without ?{parameter} are not the rows of its values put together "
        f"({sum(omitted.values())} rows left out, {sum(by_value.values())} with each value)")
    if (query.name, parameter) in OMITTED:
        assert (sum(omitted.values()), unbound) == OMITTED[(query.name, parameter)]


def test_every_optional_parameter_is_listed(queries) -> None:
    assert set(optional_parameters(queries)) == set(FILTERED_COLUMN)


@pytest.mark.parametrize("how", ["substitutions", "VALUES"])
@pytest.mark.parametrize(("name", "parameter"), sorted(FILTERED_COLUMN))
def test_an_optional_parameter_filters_only_when_given(store, queries, how: str, name: str, parameter: str) -> None:
    check_optional_parameter(embedded_run(store, how), queries[name], parameter)


def test_given_parameters_filter_on_the_real_graph(store, queries) -> None:
    """A spot check with numbers from the graph: each filter keeps fewer rows than the answer without it."""
    run = embedded_run(store, "substitutions")

    def count(name: str, **values: str) -> int:
        return len(run(queries[name], values)[1])

    assert count("indicators") == 32
    assert count("indicators", category=ID + "category/rights") == 5
    assert count("indicators", due="2025-12-31") == 17
    assert count("indicators", category=ID + "category/rights", due="2025-12-31") == 2
    assert count("indicator-progress", category=ID + "category/services") == 14
    assert count("graph-edges", property=POL + "leadBody") == 9
    assert count("graph-nodes", kind="task") == 39 and count("graph-nodes") == 321
    assert count("search", q="快递") == 6 and count("search", q="快递", kind="population") == 2
