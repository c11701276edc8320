"""The ontology's documentation: pyLODE's page (build stage ``ontology.html``), served at /ontology to browsers."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from policykg.api.deps import Services
from policykg.api.entities import ontology_docs
from policykg.api.settings import Settings
from policykg.build.ontology_docs import ONTOLOGY_HTML, add_ontology_docs, render_ontology_docs
from policykg.build.serialise import MANIFEST, sha256, write_outputs
from policykg.namespaces import POL
from policykg.resources import ontology_file

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
POL_BASE = str(POL._NS)
PYLODE_MARKS = ('<div id="pylode">', "https://github.com/rdflib/pyLODE")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ontology_file(), format="turtle")


@pytest.fixture(scope="module")
def docs() -> bytes:
    return render_ontology_docs()


@pytest.fixture(scope="module")
def page(api: TestClient) -> str:
    response = api.get("/ontology", headers={"accept": BROWSER})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    return response.text


def schema_terms(ontology: Graph) -> list[URIRef]:
    """Every class, object property and datatype property of the pol: namespace."""
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    return sorted({s for kind in kinds for s in ontology.subjects(RDF.type, kind)
                   if isinstance(s, URIRef) and str(s).startswith(POL_BASE)})


def test_browser_gets_pylodes_page_with_the_sites_navigation(page: str) -> None:
    assert all(mark in page for mark in PYLODE_MARKS)
    nav = re.search(r"<body>\s*<nav id=\"policykg-site\"[^>]*>(.*?)</nav>", page, re.S)
    assert nav is not None, "the site's <nav> right after <body>"
    assert '<a href="/">policykg</a>' in nav.group(1)
    for name in ("ttl", "jsonld", "nt", "rdf"):
        assert f'href="/ontology?format={name}"' in nav.group(1)


def test_page_lists_every_class_and_property(page: str, ontology: Graph) -> None:
    terms = schema_terms(ontology)
    assert len(terms) > 50 and URIRef(POL_BASE + "PlanItem") in terms
    for term in terms:
        local = str(term)[len(POL_BASE):]
        labels = [str(label) for label in ontology.objects(term, RDFS.label)]
        assert f'id="{local}"' in page, f"no anchor for pol:{local}"
        assert any(label in page for label in labels) or local in page, f"pol:{local} is not listed"
        assert f"<code>{term}</code>" in page


def test_every_pol_term_has_an_anchor(page: str, ontology: Graph) -> None:
    """/ontology#PlanItem lands on the class; individuals (which pyLODE does not document) on their class."""
    terms = {str(s) for s in ontology.subjects() if isinstance(s, URIRef) and str(s).startswith(POL_BASE)}
    for term in terms:
        assert f'id="{term[len(POL_BASE):]}"' in page
    assert re.search(r'<div class="property entity" id="PlanItem">\s*<h3>plan item', page)
    assert re.search(r'id="BodyRole">(<span id="[A-Za-z]+"></span>)*<span id="LeadRole"></span>', page)


def test_metadata_is_the_ontologys(docs: bytes) -> None:
    """pyLODE would merge the concept schemes' titles into the ontology's; it is given the ontology's alone."""
    html = docs.decode("utf-8")
    metadata = html[html.index('id="metadata"'):html.index("<h2>Metadata</h2>")]
    assert "policykg ontology" in metadata and "population scheme" not in metadata
    assert "<code>https://w3id.org/policykg/ontology</code>" in html


def test_union_members_keep_the_lists_order(docs: bytes) -> None:
    html = docs.decode("utf-8")
    i = html.index('id="servesPopulation"')
    domain = html[i:html.index("</tr>", html.index(">Domain<", i))]
    assert re.findall(r'<a href="#(\w+)">', domain) == ["PlanItem", "Measure", "Task"]


def test_documentation_is_deterministic(docs: bytes) -> None:
    assert render_ontology_docs() == docs
    # another process, another hash seed: the same bytes
    code = "import sys; from policykg.build.ontology_docs import render_ontology_docs as r; sys.stdout.buffer.write(r())"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True, timeout=120)
    assert other.stdout == docs


def test_rendering_leaves_logging_as_it_was() -> None:
    root = logging.getLogger()
    before = (root.handlers[:], root.level)
    render_ontology_docs()
    assert (root.handlers, root.level) == before


def test_build_stage_writes_ontology_html_and_lists_it(dist_dir: Path, tmp_path: Path, docs: bytes) -> None:
    files = {path.name: path.read_bytes() for path in sorted(dist_dir.iterdir()) if path.is_file()}
    files.pop(ONTOLOGY_HTML, None)
    before = {name: entry for name, entry in json.loads(files[MANIFEST])["files"].items() if name != ONTOLOGY_HTML}
    written = write_outputs(add_ontology_docs(files), tmp_path)
    assert tmp_path / ONTOLOGY_HTML in written and written[-1].name == MANIFEST
    assert (tmp_path / ONTOLOGY_HTML).read_bytes() == docs
    manifest = json.loads((tmp_path / MANIFEST).read_bytes())["files"]
    assert manifest[ONTOLOGY_HTML] == {"bytes": len(docs), "sha256": sha256(docs)}
    assert {name: entry for name, entry in manifest.items() if name != ONTOLOGY_HTML} == before


def test_api_serves_the_builds_file_else_generates_it(tmp_path: Path, docs: bytes) -> None:
    def services() -> Services:
        return Services(settings=Settings(data=tmp_path / "policykg.trig"), backend=None, queries={})

    assert ontology_docs(services()) == docs  # no ontology.html next to the data: generated
    (tmp_path / ONTOLOGY_HTML).write_bytes(b"<html><body>the build's page</body></html>")
    assert ontology_docs(services()) == b"<html><body>the build's page</body></html>"


def test_turtle_is_still_the_ontology_file(api: TestClient) -> None:
    response = api.get("/ontology", headers={"accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    assert response.content == ontology_file().read_bytes()
    assert "Accept" in response.headers["vary"]


def test_html_is_deterministic_over_http(api: TestClient, page: str) -> None:
    assert api.get("/ontology?format=html").text == page


def test_labels_in_two_languages_are_set_apart(docs: bytes, ontology: Graph) -> None:
    """pyLODE runs a term's labels together ("plan item规划条目"); the page separates them ("plan item · 规划条目")."""
    html = docs.decode("utf-8")
    contents = html[html.index('id="toc"'):]
    both = 0
    for term in schema_terms(ontology):
        labels = {label.language: str(label) for label in ontology.objects(term, RDFS.label)}
        if {"en", "zh"} <= labels.keys():
            both += 1
            assert labels["en"] + labels["zh"] not in html and labels["zh"] + labels["en"] not in html, term
            local = str(term)[len(POL_BASE):]
            shown = re.search(rf'<a href="#{local}">([^<]+)</a>', contents).group(1)
            assert sorted(shown.split(" · ")) == sorted([labels["en"], labels["zh"]]), shown
    assert both > 50
    plan_item = {label.language: str(label) for label in ontology.objects(POL.PlanItem, RDFS.label)}
    assert re.search(rf'id="PlanItem">\s*<h3>{plan_item["en"]} · {plan_item["zh"]}\s', html)
    title = {label.language: str(label) for label in ontology.objects(URIRef(POL_BASE.rstrip("#")), DCTERMS.title)}
    assert f"<h1>{title['en']} · {title['zh']}</h1>" in html
