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
    monkeypatch.setattr(validate_stage, "validate", lambda dataset: SimpleNamespace(conforms=False, violations=1))
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
