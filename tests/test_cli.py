"""``policykg`` commands, run in-process: output, refusals and exit codes (0 ok, 1 violations, 2 error)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from policykg.build import validate as validate_stage
from policykg.cli import display_width, main
from policykg.queries import parse_named_query
from policykg.resources import data_dir

LABELS = (
    "SELECT ?item ?label WHERE { ?item a pol:PlanItem ; pol:number ?n ; rdfs:label ?label "
    "FILTER(LANG(?label) = 'zh') } ORDER BY ?n LIMIT 3"
)


@pytest.fixture(scope="module")
def trig(dist_dir: Path) -> str:
    return str(dist_dir / "policykg.trig")


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------- build + validate
def test_build_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, err = run(capsys, "build", "--out", str(tmp_path))
    assert code == 0, err
    assert "variant readings found" in out
    assert "items 46" in out and "chapters 12" in out
    assert (tmp_path / "policykg.trig").is_file() and (tmp_path / "manifest.json").is_file()


def test_validate_a_built_dist(dist_dir: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, err = run(capsys, "validate", "--out", str(dist_dir))
    assert code == 0, out + err
    assert out.strip()


def test_validate_reports_violations_with_exit_1(trig: str, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate_stage, "validate", lambda dataset, engine: SimpleNamespace(conforms=False, violations=1))
    monkeypatch.setattr(validate_stage, "format_report", lambda outcome: "1 violation: item/16 has no label")
    code, out, _ = run(capsys, "validate", "--data", trig)
    assert code == 1 and "item/16 has no label" in out


def test_validate_a_missing_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(capsys, "validate", "--data", str(tmp_path / "nothing.trig"))
    assert code == 2 and "nothing.trig" in err and "Traceback" not in err


def test_validate_an_unreadable_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.trig"
    bad.write_text("<a> <b> .", encoding="utf-8")
    code, _, err = run(capsys, "validate", "--data", str(bad))
    assert code == 2 and "bad.trig" in err


# --------------------------------------------------------------------------- query
def test_query_table_is_aligned_for_chinese(trig: str, capsys: pytest.CaptureFixture) -> None:
    query = "SELECT ?label ?n WHERE { ?i a pol:Chapter ; pol:number ?n ; rdfs:label ?label } ORDER BY ?n ?label"
    code, out, err = run(capsys, "query", query, "--data", trig)
    assert code == 0, err
    header, rule, *rows, count = out.splitlines()
    assert header.split() == ["label", "n"] and count == "(24 rows)"
    assert any(display_width(row) > len(row) for row in rows)  # Chinese labels are in the table
    # The second column starts at the same terminal column in every line, whatever the labels' characters.
    starts = {display_width(line[: line.rindex(" ") + 1]) for line in [header, *rows]}
    assert len(starts) == 1 and starts == {display_width(rule[: rule.rindex(" ") + 1])}


def test_display_width() -> None:
    assert display_width("中文a") == 5 and display_width("（ａ）") == 6 and display_width("e\u0301") == 1


def test_query_csv(trig: str, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "query", LABELS, "--format", "csv", "--data", trig)
    rows = list(csv.reader(io.StringIO(out)))
    assert code == 0 and rows[0] == ["item", "label"] and len(rows) == 4
    assert rows[1][0].endswith("/id/item/1")


def test_query_json(trig: str, capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "query", LABELS, "--format", "json", "--data", trig)
    results = json.loads(out)
    assert code == 0 and results["head"]["vars"] == ["item", "label"]
    assert len(results["results"]["bindings"]) == 3


def test_query_ask_and_construct(trig: str, capsys: pytest.CaptureFixture) -> None:
    assert run(capsys, "query", "ASK { id:item\\/16 a pol:PlanItem }", "--data", trig)[1] == "true\n"
    code, out, _ = run(capsys, "query", "CONSTRUCT WHERE { <https://w3id.org/policykg/id/item/16> rdfs:label ?l }",
                       "--data", trig)
    assert code == 0 and "rdfs:label" in out and "@zh" in out


def test_query_from_an_rq_file(trig: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    query = tmp_path / "count.rq"
    query.write_text("# how many items\nSELECT (COUNT(?i) AS ?n) WHERE { ?i a pol:PlanItem }\n", encoding="utf-8")
    code, out, _ = run(capsys, "query", str(query), "--format", "csv", "--data", trig)
    assert code == 0 and out.splitlines()[1] == "46"


@pytest.mark.parametrize("path", sorted(data_dir("queries").glob("*.rq")), ids=lambda p: p.name)
def test_every_project_query_runs(path: Path, trig: str, capsys: pytest.CaptureFixture) -> None:
    named = parse_named_query(path)
    params = [f"--param={name}={p.example}" for name, p in named.parameters.items() if p.required]
    code, out, err = run(capsys, "query", str(path), "--data", trig, *params)
    assert code == 0, err
    assert "(0 rows)" not in out


def test_a_required_parameter_must_be_given(trig: str, capsys: pytest.CaptureFixture) -> None:
    path = data_dir("queries") / "item-measures.rq"
    code, _, err = run(capsys, "query", str(path), "--data", trig)
    assert code == 2 and "parameter item_number is required" in err
    code, out, _ = run(capsys, "query", str(path), "--data", trig, "--param", "item_number=16", "--format", "csv")
    assert code == 0 and len(out.splitlines()) == 9  # header + the 8 measures of item 16


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
        ("select * where { ?s ?p ?o . service silent <http://127.0.0.1:9/> { ?s ?p ?o } }", "SERVICE"),
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "read-only"),
        ("DELETE WHERE { ?s ?p ?o }", "read-only"),
        ("LOAD <http://127.0.0.1:9/data.ttl>", "LOAD"),
    ],
)
def test_query_refuses_before_running(query: str, expected: str, trig: str, capsys: pytest.CaptureFixture) -> None:
    code, out, err = run(capsys, "query", query, "--data", trig)
    assert code == 2 and expected in err and not out
    assert "Traceback" not in err


def test_words_inside_strings_and_names_are_not_refused(trig: str, capsys: pytest.CaptureFixture) -> None:
    query = 'SELECT ?service WHERE { ?service pol:number 16 FILTER(?service != "SERVICE LOAD INSERT") } # DELETE'
    code, out, err = run(capsys, "query", query, "--data", trig)
    assert code == 0, err
    assert "(1 row)" in out


def test_query_syntax_error_prints_the_parser_message(trig: str, capsys: pytest.CaptureFixture) -> None:
    code, out, err = run(capsys, "query", "SELECT ?s WHERE { ?s ?p }", "--data", trig)
    assert code == 2 and not out
    assert "syntax error" in err and "1:" in err  # the parser's position


def test_query_without_a_build_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(capsys, "query", "ASK {}", "--data", str(tmp_path / "policykg.trig"))
    assert code == 2 and "policykg build" in err


def test_unknown_command_exits_2(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["frobnicate"])
    assert exit_.value.code == 2


# --------------------------------------------------------------------------- serve + load (no server is started)
@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """What `policykg serve` hands to uvicorn, instead of serving it."""
    calls: list[dict] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: calls.append({"app": app, **options}))
    for name in ("POLICYKG_ENDPOINT", "POLICYKG_DATA", "POLICYKG_QUERY_TIMEOUT", "POLICYKG_MAX_ROWS", "POLICYKG_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    return calls


@pytest.fixture
def no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(args) -> int:
        raise AssertionError("serve built the graph")

    monkeypatch.setattr("policykg.cli.cmd_build", refuse)


def test_serve_with_an_endpoint_needs_no_build(tmp_path: Path, served: list[dict], no_build, capsys) -> None:
    from policykg.api.backend import RemoteBackend

    empty = tmp_path / "empty"
    code, _, err = run(capsys, "serve", "--endpoint", "http://127.0.0.1:9/query", "--timeout", "3", "--max-rows", "7",
                       "--workers", "1", "--out", str(empty), "--port", "8123")
    assert code == 0, err
    [call] = served
    services = call["app"].state.services
    try:
        assert isinstance(services.backend, RemoteBackend)
        settings = services.settings
        assert (settings.endpoint, settings.query_timeout, settings.max_rows, settings.workers) == (
            "http://127.0.0.1:9/query", 3.0, 7, 1)
        assert call["port"] == 8123 and call["host"] == "127.0.0.1"
        assert not empty.exists() and "remote SPARQL endpoint" in err
    finally:
        services.backend.close()


def test_serve_options_override_the_environment(served: list[dict], no_build, monkeypatch, capsys) -> None:
    monkeypatch.setenv("POLICYKG_ENDPOINT", "http://127.0.0.1:9/sparql")
    monkeypatch.setenv("POLICYKG_QUERY_TIMEOUT", "4")
    monkeypatch.setenv("POLICYKG_MAX_ROWS", "50")
    code, _, err = run(capsys, "serve", "--timeout", "2")
    assert code == 0, err
    services = served[0]["app"].state.services
    services.backend.close()
    assert services.settings.endpoint == "http://127.0.0.1:9/sparql"  # from the environment
    assert services.settings.query_timeout == 2.0 and services.settings.max_rows == 50  # option wins; env kept


def test_serve_builds_first_when_out_has_no_build(tmp_path: Path, served: list[dict], monkeypatch, capsys) -> None:
    built: list[Path] = []
    made: list = []
    monkeypatch.setattr("policykg.cli.cmd_build", lambda args: built.append(args.out) or 0)
    monkeypatch.setattr("policykg.api.app.create_app", lambda settings: made.append(settings) or "app")
    code, _, err = run(capsys, "serve", "--out", str(tmp_path), "--workers", "3")
    assert code == 0, err
    assert built == [tmp_path] and "building first" in err
    assert made[0].data == tmp_path / "policykg.trig" and made[0].workers == 3 and made[0].endpoint is None
    assert served[0]["app"] == "app"


def test_serve_a_missing_data_file_is_an_error(tmp_path: Path, served: list[dict], no_build, capsys) -> None:
    code, _, err = run(capsys, "serve", "--data", str(tmp_path / "nothing.trig"))
    assert code == 2 and "nothing.trig: no such file" in err and not served


@pytest.mark.parametrize(("argv", "env", "expected"), [
    (["--timeout", "0"], {}, "--timeout (or POLICYKG_QUERY_TIMEOUT)"),
    (["--workers", "0"], {}, "--workers (or POLICYKG_WORKERS)"),
    ([], {"POLICYKG_MAX_ROWS": "ten"}, "--max-rows (or POLICYKG_MAX_ROWS)"),
])
def test_serve_refuses_invalid_settings(argv: list[str], env: dict, expected: str, served: list[dict], no_build,
                                         monkeypatch, capsys) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, _, err = run(capsys, "serve", "--endpoint", "http://127.0.0.1:9/query", *argv)
    assert code == 2 and expected in err and "Traceback" not in err and not served


def test_load_needs_an_endpoint(trig: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("POLICYKG_ENDPOINT", raising=False)
    code, _, err = run(capsys, "load", "--data", trig)
    assert code == 2 and "--endpoint" in err


def test_load_reads_the_file_before_sending_anything(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "load", "--endpoint", "http://127.0.0.1:9/query", "--data", str(tmp_path / "no.trig"))
    assert code == 2 and "no.trig: no such file" in err and "127.0.0.1:9" not in err
