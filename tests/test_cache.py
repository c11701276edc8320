"""HTTP caching of the immutable graph: ETags, conditional GET, the answer cache, CORS on cached answers."""

from __future__ import annotations

import json

from policykg.api.cache import build_tag


def test_build_tag_is_the_manifest_hash_of_the_served_file(dist_dir) -> None:
    manifest = json.loads((dist_dir / "manifest.json").read_text(encoding="utf-8"))
    assert build_tag(dist_dir / "policykg.trig") == manifest["files"]["policykg.trig"]["sha256"][:32]


def test_answers_carry_an_etag_and_a_matching_if_none_match_gets_304(api) -> None:
    first = api.get("/items/16")
    assert first.status_code == 200 and first.headers["etag"]
    again = api.get("/items/16", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    other = api.get("/items/17", headers={"If-None-Match": first.headers["etag"]})
    assert other.status_code == 200 and other.headers["etag"] != first.headers["etag"]


def test_a_cached_answer_is_the_same_bytes_and_varies_by_accept(api) -> None:
    first, second = api.get("/id/item/16"), api.get("/id/item/16")
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    jsonld = api.get("/id/item/16", headers={"Accept": "application/ld+json"})
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    assert jsonld.headers["etag"] != first.headers["etag"]


def test_cors_headers_are_added_to_cached_answers(api) -> None:
    api.get("/items")  # cached without an Origin
    response = api.get("/items", headers={"Origin": "https://example.org"})
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"


def test_errors_and_sparql_are_not_cached(api) -> None:
    assert "etag" not in api.get("/items/99").headers
    assert "etag" not in api.get("/sparql", params={"query": "ASK { ?s a pol:PlanItem }"}).headers
