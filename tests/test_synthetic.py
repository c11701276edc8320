"""The synthetic corpus (``policykg synth``) and the on-disk store (``policykg index``)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pyoxigraph import NamedNode, RdfFormat, serialize
from rdflib import Dataset

from policykg.api.app import create_app
from policykg.api.settings import Settings
from policykg.api.sparql_guard import load_store
from policykg.build.validate import validate
from policykg.cli import main
from policykg.errors import QueryError
from policykg.namespaces import ID, POL
from policykg.ondisk import index
from policykg.synthetic import SyntheticError, write

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def trig(dist_dir: Path) -> Path:
    return dist_dir / "policykg.trig"


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory, trig: Path) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "plans-3.nq"
    write(out, 3, template=trig)
    return out


def count(store) -> int:
    return int(next(iter(store.query(COUNT, use_default_graph_as_union=False)))["n"].value)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_figures(tmp_path: Path, trig: Path, three: Path) -> None:
    again, other = tmp_path / "again.nq", tmp_path / "other.nq"
    write(again, 3, template=trig)
    write(other, 3, seed=1, template=trig)
    assert digest(again) == digest(three)
    assert digest(other) != digest(three)


def test_plan_one_is_the_built_graph_unchanged(tmp_path: Path, trig: Path) -> None:
    out = tmp_path / "one.nq"
    report = write(out, 1, template=trig)
    built = load_store(trig)
    assert sorted(out.read_text(encoding="utf-8").splitlines()) == sorted(
        (serialize(built, format=RdfFormat.N_QUADS) or b"").decode().splitlines())
    assert report.quads == len(built)


def test_each_plan_adds_its_own_resources_and_shares_the_vocabularies(three: Path, trig: Path) -> None:
    built, grown = load_store(trig), load_store(three)
    assert len(set(three.read_text(encoding="utf-8").splitlines())) == count(grown)  # no quad written twice
    per_plan = count(grown) - count(built)
    assert per_plan % 2 == 0 and per_plan / 2 > 0.9 * count(built)  # two copies, nearly all of the graph each
    item = grown.query("SELECT ?label WHERE { ?item pol:number 16 ; a pol:PlanItem ; rdfs:label ?label "
                       "FILTER (LANG(?label) = 'zh') }", prefixes={"pol": str(POL), "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
                       use_default_graph_as_union=True)
    assert [row["label"].value for row in item] == ["维护新就业形态劳动者合法权益"] * 3
    served = grown.query(f"SELECT DISTINCT ?item WHERE {{ ?item pol:servesPopulation <{ID}population/new-employment-form-workers> }}",
                         prefixes={"pol": str(POL)}, use_default_graph_as_union=True)
    items = {row["item"].value.rsplit("/", 1)[1] for row in served}
    assert "16" in items and "s0002-16" in items and "s0003-16" in items
    assert not list(grown.quads_for_pattern(NamedNode(f"{ID}population/s0002-new-employment-form-workers"), None, None))


def test_copies_differ_in_title_and_figures_within_the_stated_range(three: Path, trig: Path) -> None:
    grown = load_store(three)
    query = (f"SELECT ?indicator ?value WHERE {{ ?indicator <{POL.targetValue}> ?value }}")
    values = {row["indicator"].value.rsplit("/", 1)[1]: Decimal(row["value"].value)
              for row in grown.query(query, use_default_graph_as_union=True)}
    originals = {slug: value for slug, value in values.items() if not slug.startswith("s0")}
    assert originals and any(values[f"s0002-{slug}"] != value for slug, value in originals.items())
    for slug, value in originals.items():
        copy = values[f"s0002-{slug}"]
        assert value * Decimal("0.84") <= copy <= value * Decimal("1.16")
        if value <= 100:
            assert copy <= 100
    titles = [row["title"].value for row in grown.query(
        f"SELECT ?title WHERE {{ <{ID}plan/s0002-acftu-14th-fyp> <http://purl.org/dc/terms/title> ?title }}",
        use_default_graph_as_union=True)]
    assert any(title.endswith("（合成第2号）") for title in titles)


def test_the_synthetic_corpus_conforms_to_the_shapes(three: Path) -> None:
    dataset = Dataset()
    dataset.parse(three, format="nquads")
    outcome = validate(dataset)
    assert outcome.conforms, outcome.rows[:5]


def test_bad_plan_counts_are_refused(tmp_path: Path, trig: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SyntheticError, match="between 1 and 9999, not 0"):
        write(tmp_path / "none.nq", 0, template=trig)
    assert main(["synth", "--plans", "10000", "--out", str(tmp_path / "x.nq"), "--template", str(trig)]) == 2
    assert "policykg synth: --plans must be between 1 and 9999, not 10000" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_index_makes_a_read_only_store_with_every_quad(tmp_path: Path, three: Path) -> None:
    folder = tmp_path / "store"
    report = index(three, folder)
    opened = load_store(folder)
    assert report.quads == count(opened) == count(load_store(three))
    index(three, folder)  # replaces the folder; nothing else is left beside it
    assert sorted(path.name for path in tmp_path.iterdir()) == ["store"]
    with pytest.raises(RuntimeError, match="read-write"):
        opened.update("INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }")


def test_a_folder_that_is_not_a_store_names_the_command_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="not an Oxigraph store folder .*policykg index"):
        load_store(tmp_path)


def test_the_api_serves_an_on_disk_store(tmp_path: Path, three: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "store"
    assert main(["index", str(three), "--to", str(folder)]) == 0
    assert "serve it with: policykg serve --data" in capsys.readouterr().out
    with TestClient(create_app(Settings(data=folder, workers=1))) as client:
        item = client.get("/items/16?plan=acftu-14th-fyp")
        assert item.status_code == 200, item.text
        assert client.get("/items/16?plan=acftu-14th-fyp", headers={"if-none-match": item.headers["etag"]}).status_code == 304
        answer = client.post("/sparql", data={"query": COUNT}, headers={"accept": "application/sparql-results+json"})
        assert answer.status_code == 200
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == count(load_store(folder))


def test_population_and_body_routes_list_each_plans_item_on_its_own(tmp_path: Path, three: Path) -> None:
    """/populations/{slug}/items and /bodies/{slug}/items group hits by item IRI, not by number."""
    with TestClient(create_app(Settings(data=three, answer_cache=0, workers=1))) as client:
        served = client.get("/populations/couriers/items").json()["items"]
        involved = client.get("/bodies/platform-enterprises/items").json()["items"]
    for items in (served, involved):
        paths = [item["path"] for item in items]
        assert len(paths) == len(set(paths))
        assert {"/id/item/16", "/id/item/s0002-16", "/id/item/s0003-16"} <= set(paths)
        assert [item["number"] for item in items] == sorted(item["number"] for item in items)


PLAN = ID + "plan/"


def test_items_found_by_population_or_body_carry_their_own_plans_english_title(three: Path, tmp_path: Path) -> None:
    """In a store of several plans an item's English title is its own, not that of the same number in plan 1."""
    store = load_store(three)
    renamed = ID + "item/s0002-16"
    store.update(f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        DELETE {{ GRAPH ?g {{ <{renamed}> rdfs:label ?old }} }} INSERT {{ GRAPH ?g {{ <{renamed}> rdfs:label "Plan two's item 16"@en }} }}
        WHERE {{ GRAPH ?g {{ <{renamed}> rdfs:label ?old FILTER(LANG(?old) = "en") }} }}""")
    changed = tmp_path / "plans-3-renamed.nq"
    changed.write_bytes(serialize(store, format=RdfFormat.N_QUADS))
    with TestClient(create_app(Settings(data=changed, answer_cache=0, workers=1))) as client:
        served = client.get("/populations/new-employment-form-workers/items").json()["items"]
        involved = client.get("/bodies/platform-enterprises/items").json()["items"]
    for found in (served, involved):
        titles = {item["iri"]: item["title_en"] for item in found if item["number"] == 16}
        assert titles[renamed] == "Plan two's item 16"
        assert titles[ID + "item/16"] == titles[ID + "item/s0003-16"] != "Plan two's item 16"


def test_item_routes_are_scoped_by_plan(three: Path) -> None:
    """Item numbers repeat in each plan: /items lists every plan's items, ?plan= one plan's; /items/{n} needs ?plan=."""
    with TestClient(create_app(Settings(data=three, answer_cache=0, workers=1))) as client:
        plans = client.get("/queries/plans").json()["rows"]
        listed = client.get("/items").json()
        second = client.get("/items", params={"plan": "s0002-acftu-14th-fyp"}).json()
        by_iri = client.get("/items", params={"plan": PLAN + "s0003-acftu-14th-fyp", "chapter": 5}).json()
        ambiguous = client.get("/items/16")
        unknown = client.get("/items", params={"plan": "acftu-15th-fyp"})
        first_16 = client.get("/items/16", params={"plan": "acftu-14th-fyp"}).json()
        second_16 = client.get("/items/16", params={"plan": "s0002-acftu-14th-fyp"}).json()
    assert [(row["plan"], row["chapters"], row["items"]) for row in plans] == [
        (PLAN + "acftu-14th-fyp", 12, 46), (PLAN + "s0002-acftu-14th-fyp", 12, 46), (PLAN + "s0003-acftu-14th-fyp", 12, 46)]
    assert listed["count"] == 138 and listed["plan"] is None
    assert {item["plan"] for item in listed["items"]} == {row["plan"] for row in plans}
    assert second["count"] == 46 and second["plan"] == PLAN + "s0002-acftu-14th-fyp"
    assert [item["path"] for item in second["items"]][15] == "/id/item/s0002-16"
    assert second["items"][15]["chapter"]["iri"] == ID + "chapter/s0002-5"
    assert [item["number"] for item in by_iri["items"]] == [14, 15, 16, 17, 18]
    assert {item["plan"] for item in by_iri["items"]} == {PLAN + "s0003-acftu-14th-fyp"}
    assert ambiguous.status_code == 400
    assert ambiguous.json()["error"].startswith("this store holds 3 plans and item numbers repeat in each: say which with ?plan=")
    assert ambiguous.json()["close_matches"] == ["acftu-14th-fyp", "s0002-acftu-14th-fyp", "s0003-acftu-14th-fyp"]
    assert unknown.status_code == 404 and "acftu-14th-fyp" in unknown.json()["close_matches"]
    assert first_16["iri"] == ID + "item/16" and second_16["iri"] == ID + "item/s0002-16"
    assert second_16["title_zh"] == first_16["title_zh"] == "维护新就业形态劳动者合法权益"
    assert second_16["chapter"]["iri"] == ID + "chapter/s0002-5"
    # each plan's item has its own measures, links and targets, never the other plan's
    for detail, prefix in ((first_16, ID + "measure/16-"), (second_16, ID + "measure/s0002-16-")):
        assert detail["measures"] and all(m["iri"].startswith(prefix) for m in detail["measures"])
        assert all(indicator["plan"] == detail["plan"] for indicator in detail["indicators"])
    assert len(second_16["measures"]) == len(first_16["measures"])
    assert len(second_16["populations"]) == len(first_16["populations"])
    assert [body["slug"] for body in second_16["bodies"]] == [body["slug"] for body in first_16["bodies"]]
