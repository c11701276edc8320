"""The graph stage: a small hand-made plan (always), and the real corpus (once the parsers import)."""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import replace

import pytest
from rdflib import BNode, Dataset, Graph, Literal
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from policykg.build.graph import build_dataset, reading_slugs, union_graph, variant_slug
from policykg.build.graph_links import PROGRAMME_CLASSES
from policykg.build.model import Chapter, ItemPart, LaterDocument, Measure, Plan, PlanItem, Reading, Section, Variant
from policykg.build.reason import check_consistency
from policykg.build.sources import SourceText
from policykg.build.text import Span
from policykg.build.validate import format_report, validate
from policykg.errors import PolicyKGError
from policykg.namespaces import GRAPH_ASSERTED, GRAPH_CURATED, GRAPH_INFERRED, ID, POL, resource
from policykg.resources import ontology_file

# --------------------------------------------------------------------------- a small plan
COPY_A = "000_test.txt"
COPY_B = "002_test.txt"
REPORT = "003_test.txt"
TEXTS = {
    COPY_A: "测试规划\n(2021年7月16日)\n目 录\n1.第一条标题\n序言文字。\n一、第一章标题\n1.第一条标题。\n第一句正文。第二句\n正文。\n2.第二条标题。\n",
    COPY_B: "测试规划\n1.第一条题\n序言文字。\n1.第一条题。\n第一句正文。第二句正文。\n",
    REPORT: "（一）第一部分。一是第一点。\n2023年总体要求。一是任务。\n",
}
LABELS = {
    "plan/test-plan": "Test plan",
    "document/test-report": "Test report",
    "chapter/1": "Chapter one",
    "item/1": "Item one",
    "item/2": "Item two",
}


def source(name: str) -> SourceText:
    document = "document/test-report" if name == REPORT else "plan/test-plan"
    text = TEXTS[name]
    return SourceText(name, document, f"role of {name}", hashlib.sha256(text.encode()).hexdigest(), text)


def span(name: str, quote: str, occurrence: int = 1) -> Span:
    """The ``occurrence``-th place ``quote`` stands in file ``name``."""
    start = -1
    for _ in range(occurrence):
        start = TEXTS[name].index(quote, start + 1)
    return Span(name, start, start + len(quote), quote)


def small_corpus() -> dict[str, SourceText]:
    return {name: source(name) for name in (COPY_A, COPY_B, REPORT)}


def small_plan() -> Plan:
    first = span(COPY_A, "第一句正文。")
    second_a, second_b = span(COPY_A, "第二句"), span(COPY_A, "正文。", 2)
    item_1 = PlanItem(
        title="第一条标题",
        title_spans=[span(COPY_A, "第一条标题"), span(COPY_A, "第一条标题", 2), span(COPY_B, "第一条题")],
        number=1,
        chapter=1,
        text="第一句正文。第二句正文。",
        body_spans=[span(COPY_A, "第一句正文。第二句\n正文。")],
        parts=[ItemPart(title="第一分项", title_spans=[span(COPY_A, "第一条标题")], item=1, number=1, text="第一句正文。", body_spans=[first])],
        measures=[
            Measure(item=1, number=1, text="第一句正文。", spans=(first,), part=1),
            Measure(item=1, number=2, text="第二句正文。", spans=(second_a, second_b)),
        ],
    )
    item_2 = PlanItem(title="第二条标题", title_spans=[span(COPY_A, "第二条标题")], number=2, chapter=1)
    title_variant = Variant(
        site="item/1",
        field="title",
        number=1,
        readings=(
            Reading(COPY_A, span(COPY_A, "第一条标题"), "第一条标题", True),
            Reading(COPY_B, span(COPY_B, "第一条题"), "第一条题", False),
            Reading(COPY_A, span(COPY_A, "第一条标题", 2), "第一条标题", True),
        ),
        rule="majority",
    )
    omission = Span(COPY_B, TEXTS[COPY_B].index("第一句"), TEXTS[COPY_B].index("第一句"), "")
    text_variant = Variant(
        site="item/1",
        field="text",
        number=1,
        readings=(Reading(COPY_A, span(COPY_A, "第一句"), "第一句", True), Reading(COPY_B, omission, "", False)),
        rule="base-copy",
    )
    return Plan(
        title="测试规划",
        title_spans=[span(COPY_A, "测试规划"), span(COPY_B, "测试规划")],
        issued="2021-07-16",
        issued_span=span(COPY_A, "2021年7月16日"),
        preamble="序言文字。",
        preamble_spans=[span(COPY_A, "序言文字。"), span(COPY_B, "序言文字。")],
        chapters=[Chapter(title="第一章标题", title_spans=[span(COPY_A, "第一章标题")], number=1)],
        items=[item_1, item_2],
        variants=[text_variant, title_variant],
        tables=[],
    )


def small_report() -> LaterDocument:
    def section(key, kind, number, title, quote, parent):
        return Section(key, kind, number, title, quote, span(REPORT, quote), parent)

    return LaterDocument(
        "document/test-report",
        [
            section("2022-1", "report-section", 1, "第一部分", "（一）第一部分。一是第一点。", None),
            section("2022-1-1", "report-point", 1, None, "一是第一点。", "2022-1"),
            section("2023-overall", "task", 0, "总体要求", "2023年总体要求。", None),
            section("2023-1", "task", 1, None, "一是任务。", "2023-overall"),
        ],
    )


@pytest.fixture(scope="module")
def small() -> Dataset:
    return build_dataset(small_corpus(), small_plan(), [small_report()], english_labels=LABELS)


def sorted_nquads(dataset: Dataset) -> list[str]:
    return sorted(" ".join(node.n3() for node in quad) for quad in dataset.quads((None, None, None, None)))


# --------------------------------------------------------------------------- structure
def test_three_named_graphs(small: Dataset) -> None:
    graphs = {g.identifier: len(g) for g in small.graphs() if len(g)}
    assert set(graphs) == {GRAPH_ASSERTED, GRAPH_CURATED, GRAPH_INFERRED}


def test_resources_and_classes(small: Dataset) -> None:
    asserted = small.graph(GRAPH_ASSERTED)
    expected = {
        ("plan", "test-plan"): POL.Plan,
        ("document", "test-report"): POL.Document,
        ("source", "000_test"): POL.SourceFile,
        ("preamble", "test-plan"): POL.Preamble,
        ("chapter", 1): POL.Chapter,
        ("item", 1): POL.PlanItem,
        ("item", 2): POL.PlanItem,
        ("item-part", "1-1"): POL.ItemPart,
        ("measure", "1-1"): POL.Measure,
        ("measure", "1-2"): POL.Measure,
        ("passage", f"000_test-{span(COPY_A, '测试规划').start}-{span(COPY_A, '测试规划').end}"): POL.Passage,
        ("variant", "item-1-title-1"): POL.Variant,
        ("variant", "item-1-text-1"): POL.Variant,
        ("reading", "item-1-title-1-000"): POL.Reading,
        ("reading", "item-1-title-1-000-2"): POL.Reading,
        ("reading", "item-1-title-1-002"): POL.Reading,
        ("reading", "item-1-text-1-002"): POL.Reading,
        ("report-section", "2022-1"): POL.ReportSection,
        ("report-point", "2022-1-1"): POL.ReportPoint,
        ("task", "2023-overall"): POL.Task,
        ("task", "2023-1"): POL.Task,
    }
    for (kind, slug), cls in expected.items():
        assert (resource(kind, slug), RDF.type, cls) in asserted, f"{kind}/{slug}"


def test_literals_have_the_model_datatypes(small: Dataset) -> None:
    g = small.graph(GRAPH_ASSERTED)
    plan, item = resource("plan", "test-plan"), resource("item", 1)
    assert g.value(plan, DCTERMS.issued) == Literal("2021-07-16", datatype=XSD.date)
    assert g.value(plan, DCTERMS.title) == Literal("测试规划", lang="zh")
    assert g.value(item, POL.number).datatype == XSD.integer
    assert g.value(item, RDFS.label) == Literal("第一条标题", lang="zh")
    assert g.value(item, POL.bodyInCorpus) == Literal(True)
    assert g.value(item, POL.text).language == "zh"
    measure = resource("measure", "1-1")
    assert g.value(measure, POL.start).datatype == XSD.integer
    assert g.value(measure, POL.quote).datatype is None and g.value(measure, POL.quote).language is None
    assert g.value(resource("source", "000_test"), RDFS.label).language == "en"
    assert g.value(resource("source", "000_test"), POL.characterCount) == Literal(len(TEXTS[COPY_A]), datatype=XSD.integer)


def test_item_without_body_has_no_text(small: Dataset) -> None:
    g = small.graph(GRAPH_ASSERTED)
    item = resource("item", 2)
    assert g.value(item, POL.bodyInCorpus) == Literal(False)
    assert g.value(item, POL.text) is None
    assert g.value(item, POL.bodyPassage) is None


def test_provenance_quotes_the_source(small: Dataset) -> None:
    g = small.graph(GRAPH_ASSERTED)
    corpus = small_corpus()
    by_file = {resource("source", s.stem): s.text for s in corpus.values()}
    quoted = list(g.subjects(POL.quote, None))
    assert len(quoted) > 10
    for subject in quoted:
        text = by_file[g.value(subject, PROV.wasDerivedFrom)]
        start, end = g.value(subject, POL.start).toPython(), g.value(subject, POL.end).toPython()
        assert text[start:end] == str(g.value(subject, POL.quote)), subject


def test_split_measure_continues_in_a_passage(small: Dataset) -> None:
    g = small.graph(GRAPH_ASSERTED)
    measure = resource("measure", "1-2")
    rest = span(COPY_A, "正文。", 2)
    assert g.value(measure, POL.quote) == Literal("第二句")
    assert g.value(measure, POL.continuedIn) == resource("passage", f"000_test-{rest.start}-{rest.end}")
    assert g.value(resource("measure", "1-1"), POL.inPart) == resource("item-part", "1-1")


def test_variant_and_reading_slugs() -> None:
    title_variant = small_plan().variants[1]
    assert variant_slug(title_variant) == "item-1-title-1"
    assert reading_slugs(title_variant) == ["item-1-title-1-000", "item-1-title-1-002", "item-1-title-1-000-2"]


def test_omitted_reading(small: Dataset) -> None:
    g = small.graph(GRAPH_ASSERTED)
    reading = resource("reading", "item-1-text-1-002")
    assert g.value(reading, POL.text) == Literal("", lang="zh")
    assert g.value(reading, POL.quote) == Literal("")
    assert g.value(reading, POL.start) == g.value(reading, POL.end)
    assert g.value(reading, POL.chosen) == Literal(False)


def test_later_document_parents(small: Dataset) -> None:
    g = small.graph(GRAPH_ASSERTED)
    report = resource("document", "test-report")
    assert g.value(resource("report-section", "2022-1"), POL.partOf) == report
    assert g.value(resource("report-point", "2022-1-1"), POL.partOf) == resource("report-section", "2022-1")
    assert g.value(resource("task", "2023-1"), POL.partOf) == resource("task", "2023-overall")
    assert g.value(resource("task", "2023-overall"), POL.number) == Literal(0, datatype=XSD.integer)


# --------------------------------------------------------------------------- curated and inferred
def test_english_labels_are_curated_only(small: Dataset) -> None:
    curated, asserted = small.graph(GRAPH_CURATED), small.graph(GRAPH_ASSERTED)
    assert curated.value(resource("item", 1), RDFS.label) == Literal("Item one", lang="en")
    assert curated.value(resource("plan", "test-plan"), DCTERMS.title) == Literal("Test plan", lang="en")
    assert all(o.language == "en" for o in curated.objects())
    english_in_asserted = {s for s, o in asserted.subject_objects(RDFS.label) if o.language == "en"}
    assert english_in_asserted == set(asserted.subjects(RDF.type, POL.SourceFile)), "only a file's role is English"


def test_label_for_a_missing_resource_is_an_error() -> None:
    with pytest.raises(PolicyKGError, match="item/99"):
        build_dataset(small_corpus(), small_plan(), [small_report()], english_labels={**LABELS, "item/99": "Nothing"})


def test_span_into_an_unknown_file_is_an_error() -> None:
    plan = small_plan()
    plan.title_spans.append(Span("999_missing.txt", 0, 1, "x"))
    with pytest.raises(PolicyKGError, match="999_missing.txt"):
        build_dataset(small_corpus(), plan, [], english_labels={})


def test_inferred_has_part(small: Dataset) -> None:
    inferred = small.graph(GRAPH_INFERRED)
    pairs = [
        (resource("plan", "test-plan"), resource("chapter", 1)),
        (resource("plan", "test-plan"), resource("preamble", "test-plan")),
        (resource("chapter", 1), resource("item", 1)),
        (resource("item", 1), resource("measure", "1-1")),
        (resource("item", 1), resource("item-part", "1-1")),
        (resource("report-section", "2022-1"), resource("report-point", "2022-1-1")),
        (resource("document", "test-report"), resource("task", "2023-overall")),
    ]
    for whole, part in pairs:
        assert (whole, DCTERMS.hasPart, part) in inferred
    assert (resource("plan", "test-plan"), RDF.type, POL.Document) in inferred
    assert not set(inferred) & set(small.graph(GRAPH_ASSERTED))


def test_every_resource_is_in_one_document(small: Dataset) -> None:
    asserted, inferred = small.graph(GRAPH_ASSERTED), small.graph(GRAPH_INFERRED)
    documents = set(asserted.subjects(RDF.type, POL.Plan)) | set(asserted.subjects(RDF.type, POL.Document))
    for subject in set(asserted.subjects(RDF.type, None)) - documents:
        assert len(list(inferred.objects(subject, POL.inDocument))) == 1, subject
    plan, report = resource("plan", "test-plan"), resource("document", "test-report")
    assert inferred.value(resource("reading", "item-1-title-1-002"), POL.inDocument) == plan
    assert inferred.value(resource("source", "002_test"), POL.inDocument) == plan
    assert inferred.value(resource("task", "2023-1"), POL.inDocument) == report


# --------------------------------------------------------------------------- properties of the whole
def test_no_blank_nodes_and_only_project_iris(small: Dataset) -> None:
    for s, p, o, _g in small.quads((None, None, None, None)):
        assert not isinstance(s, BNode) and not isinstance(o, BNode)
        assert str(s).startswith(str(ID))


def test_deterministic_whatever_the_input_order(small: Dataset) -> None:
    plan = small_plan()
    shuffled = replace(plan, items=plan.items[::-1], variants=plan.variants[::-1], chapters=plan.chapters[::-1])
    report = small_report()
    corpus = dict(reversed(list(small_corpus().items())))
    again = build_dataset(corpus, shuffled, [replace(report, sections=report.sections[::-1])], english_labels=LABELS)
    assert sorted_nquads(again) == sorted_nquads(small)


def test_small_graph_conforms_to_the_shapes(small: Dataset) -> None:
    outcome = validate(small)
    assert outcome.conforms and outcome.rows == [], format_report(outcome)


def test_every_term_used_is_declared_in_the_ontology(small: Dataset) -> None:
    ontology = Graph().parse(ontology_file(), format="turtle")
    union = union_graph(small)
    declared_properties = {s for t in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty) for s in ontology.subjects(RDF.type, t)}
    used_properties = set(union.predicates()) - {RDF.type, RDFS.label}
    assert used_properties <= declared_properties, used_properties - declared_properties
    classes = set(ontology.subjects(RDF.type, OWL.Class))
    assert set(union.objects(None, RDF.type)) <= classes


# --------------------------------------------------------------------------- the real corpus
PARSERS = ("policykg.build.parse_plan", "policykg.build.parse_report", "policykg.build.parse_congress")


def _import_parsers():
    try:
        return [importlib.import_module(name) for name in PARSERS]
    except ImportError as error:  # the parse stage is written by others; skip until it lands
        pytest.skip(f"parse stage not importable yet ({error}); real-graph tests run once it lands")


@pytest.fixture(scope="session")
def real(dataset: Dataset) -> Dataset:
    """The session's dataset of the real corpus, extracted facts included (tests/conftest.py)."""
    return dataset


def test_real_graph_conforms(real: Dataset) -> None:
    outcome = validate(real)
    assert outcome.conforms and outcome.rows == [], format_report(outcome)


def test_real_graph_is_consistent(real: Dataset) -> None:
    outcome = check_consistency(real)
    assert outcome.consistent, outcome.message


def test_real_graph_has_the_plan_outline(real: Dataset) -> None:
    g = real.graph(GRAPH_ASSERTED)
    numbers = lambda cls: sorted(g.value(s, POL.number).toPython() for s in g.subjects(RDF.type, cls))  # noqa: E731
    assert numbers(POL.Chapter) == list(range(1, 13))
    assert numbers(POL.PlanItem) == list(range(1, 47))
    for n in range(1, 47):
        assert (resource("item", n), RDF.type, POL.PlanItem) in g


def test_real_quotes_are_slices_of_their_files(real: Dataset, corpus: dict[str, SourceText]) -> None:
    g = real.graph(GRAPH_ASSERTED)
    texts = {resource("source", s.stem): s.text for s in corpus.values()}
    quoted = list(g.subjects(POL.quote, None))
    assert len(quoted) > 500
    wrong = [
        s for s in quoted
        if texts[g.value(s, PROV.wasDerivedFrom)][g.value(s, POL.start).toPython():g.value(s, POL.end).toPython()] != str(g.value(s, POL.quote))
    ]
    assert not wrong, wrong[:5]


def test_real_resources_are_each_in_one_document(real: Dataset) -> None:
    asserted, inferred = real.graph(GRAPH_ASSERTED), real.graph(GRAPH_INFERRED)
    documents = set(asserted.subjects(RDF.type, POL.Plan)) | set(asserted.subjects(RDF.type, POL.Document))
    assert len(documents) == 3
    # Named things the texts mention (programmes, laws, category concepts) belong to no one document.
    mentioned = {s for cls in (*PROGRAMME_CLASSES.values(), SKOS.Concept) for s in asserted.subjects(RDF.type, cls)}
    read = set(asserted.subjects(RDF.type, None)) - documents - mentioned
    lonely = [s for s in read if len(set(inferred.objects(s, POL.inDocument))) != 1]
    assert not lonely, lonely[:5]


def test_real_graph_has_no_blank_nodes(real: Dataset) -> None:
    assert not any(isinstance(n, BNode) for quad in real.quads((None, None, None, None)) for n in quad[:3])


def test_real_build_is_deterministic(real: Dataset, corpus: dict[str, SourceText]) -> None:
    parse_plan, parse_report, parse_congress = _import_parsers()
    by_document = {s.document: s for s in corpus.values()}
    later = [
        parse_congress.parse_congress(by_document["document/acftu-18th-congress-summary"]),
        parse_report.parse_report(by_document["document/acftu-2022-work-report"]),
    ]
    from policykg.build.extract.run import extract

    plan = parse_plan.parse_plan(corpus)
    again = build_dataset(corpus, plan, later, extraction=extract(corpus, plan, later))
    assert sorted_nquads(again) == sorted_nquads(real)
