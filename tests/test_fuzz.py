"""Property tests (hypothesis): the parsers and guards take any input and fail only in the project's own words.

* ``build.text``: cleaning deletes or maps characters one to one, so every
  character keeps the raw offset it was read from and every span quotes the
  raw file; the sentence splitter and the numeral reader stay in bounds;
* the plan, report and congress parsers, given arbitrary text or the lines of
  a real or miniature file shuffled, dropped and repeated, return or raise
  :class:`SourceError` (:class:`ParseError` is one): never another exception;
* ``api.sparql_guard``: the lexer covers any string, the guard raises only
  :class:`QueryError`, words in strings, comments and IRIs are never keywords,
  and SERVICE/LOAD/updates are refused in any letter case;
* ``api.entities.check_id``: any id is accepted clean or refused with a 400;
* ``api.negotiation``: any Accept header picks an offered type or none, and
  over HTTP never gives a 5xx.

Example counts are bounded (``max_examples`` below, no deadline) so the file
runs in seconds; ``derandomize`` keeps a failure reproducible run to run.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import replace
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import Store

from policykg.api.entities import MAX_ID_LENGTH, check_id
from policykg.api.errors import ApiError
from policykg.api.negotiation import (
    GRAPH_FORMATS,
    QUAD_FORMATS,
    RESULT_FORMATS,
    NotAcceptable,
    choose,
    format_accept,
    negotiate,
)
from policykg.api.sparql_guard import QueryRefused, check_query, run_query, token_spans
from policykg.build.parse_congress import parse_congress
from policykg.build.parse_plan import PLAN, parse_plan
from policykg.build.parse_report import parse_report
from policykg.build.sources import SourceText, load_corpus
from policykg.build.text import (
    FULL_WIDTH_PUNCTUATION,
    MappedText,
    chinese_number,
    clean_chinese,
    sentence_bounds,
    split_sentences,
)
from policykg.errors import QueryError, SourceError

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
FEW = settings(FUZZ, max_examples=60)  # for the slower parsers and the HTTP round trips

# Text like the corpus: Chinese, ASCII words and numbers, the OCR's ASCII and full-width punctuation,
# white space of every kind, markdown and heading marks; plus anything at all.
CORPUS_CHARS = ("工会职工规划维护权益快递员一二三四五六七八九十目录指标年月日版接转" "0123456789 abc"
                "。，；：！？（）“”《》、—-#*\t\n\r\u3000 ,;:()?!.%")
corpus_text = st.one_of(st.text(alphabet=CORPUS_CHARS, max_size=120), st.text(max_size=60))


def source(text: str, name: str = "fuzz.txt", document: str = PLAN, role: str = "copy A") -> SourceText:
    return SourceText(name, document, role, "0" * 64, text)


# =========================================================================== build.text
@FUZZ
@given(corpus_text)
def test_cleaning_keeps_every_character_traceable(text: str) -> None:
    raw = source(text)
    clean = clean_chinese(MappedText.raw(raw))
    assert len(clean.offsets) == len(clean.text)
    assert list(clean.offsets) == sorted(set(clean.offsets))  # deletes, never inserts or reorders
    assert "\n" not in clean.text and "\r" not in clean.text
    for char, offset in zip(clean.text, clean.offsets):
        original = text[offset]
        assert char in (original, original.translate(FULL_WIDTH_PUNCTUATION)) or (original.isspace() and char == " ")
    for span in clean.spans():
        assert text[span.start:span.end] == span.quote and span.start < span.end
    stripped = clean.strip()
    assert stripped.text == clean.text.strip()


@FUZZ
@given(corpus_text, st.integers(0, 130), st.integers(0, 130))
def test_slices_and_joins_keep_their_offsets(text: str, start: int, end: int) -> None:
    raw = MappedText.raw(source(text))
    piece = raw[start:end]
    assert piece.text == text[start:end] and all(text[o] == c for c, o in zip(piece.text, piece.offsets))
    joined = MappedText.join([raw[:start], raw[end:]]) if len(text) else raw
    assert all(text[o] == c for c, o in zip(joined.text, joined.offsets))
    if piece.text:
        span = piece.span()
        assert text[span.start:span.end] == span.quote
    else:
        with pytest.raises(ValueError):
            piece.span()


@FUZZ
@given(corpus_text)
def test_sentences_are_stripped_and_in_order(text: str) -> None:
    bounds = sentence_bounds(text)
    previous_end = 0
    for start, end in bounds:
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip() != ""
        previous_end = end
    assert [s.text for s in split_sentences(MappedText.raw(source(text)))] == [text[a:b] for a, b in bounds]


NUMERALS = {n: ("" if n < 20 else "一二三四五六七八九"[n // 10 - 1]) + ("十" if n >= 10 else "")
            + ("" if n % 10 == 0 else "一二三四五六七八九"[n % 10 - 1]) for n in range(1, 100)}


@FUZZ
@given(st.one_of(st.sampled_from(sorted(NUMERALS.items())), st.tuples(st.none(), st.text(max_size=6))))
def test_chinese_numerals_read_or_raise_value_error(case: tuple[int | None, str]) -> None:
    expected, numeral = case
    if expected is not None:
        assert chinese_number(numeral) == expected
        return
    try:
        value = chinese_number(numeral)
    except ValueError:
        return
    assert NUMERALS[value] == numeral  # anything read is the canonical spelling of its value


# =========================================================================== the parsers
MINI_PLAN = """标题规划
(2021年7月16日)
目 录
一、第一章
1.第一条标题。
2.第二条标题。
——部分一标题。
二、第二章
3.第三条标题。
这是前言。特制定本规划。
一、第一章
1.第一条标题。正文一。
2.第二条标题。
——部分一标题。内容二。
（下转第2版）
二、第二章
3.第三条标题。正文三。更多。
“甲”指标\t
具体指标\t发展目标
1.指标名\t到2025年达到5个。""".split("\n")
EXTRA_LINES = ["目 录", "一、", "十十、x", "四、第四章", "1.", "1.第一条标题", "16.", "３．第三条标题。", "——", "——。",
               "- 1.x。", " - 部分。", "\t", "1.\t", "“乙”指标\tx", "(2021年7月16日)", "（上接第2版）", "。", ""]


def _stray_line(pool: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(pool), st.sampled_from(EXTRA_LINES), st.text(alphabet=CORPUS_CHARS, max_size=20))


def _lines_of(pool: list[str]) -> st.SearchStrategy[str]:
    """Files made of the lines of ``pool`` dropped, repeated and reordered, with stray lines among them."""
    return st.lists(_stray_line(pool), max_size=40).map("\n".join)


def _edited(lines: list[str]) -> st.SearchStrategy[str]:
    """``lines`` with a few edits (a line dropped, repeated, moved, cut short or replaced): mostly the same
    document, so the parser gets past its first checks and the damage is met deep inside."""
    edit = st.tuples(st.sampled_from(["drop", "repeat", "move", "cut", "replace"]), st.integers(0, len(lines) - 1),
                     st.integers(0, len(lines) - 1), _stray_line(lines))

    def apply(edits: list[tuple[str, int, int, str]]) -> str:
        result = list(lines)
        for operation, i, j, stray in edits:
            i, j = i % max(len(result), 1), j % max(len(result), 1)
            if not result:
                result = [stray]
            elif operation == "drop":
                del result[i]
            elif operation == "repeat":
                result.insert(j, result[i])
            elif operation == "move":
                result.insert(j, result.pop(i))
            elif operation == "cut":
                result[i] = result[i][: j % (len(result[i]) + 1)]
            else:
                result[i] = stray
        return "\n".join(result)

    return st.lists(edit, min_size=1, max_size=4).map(apply)


def _parses_or_says_where(parse, *args) -> None:
    try:
        parse(*args)
    except SourceError as error:
        assert error.file and str(error).startswith(error.file)


def test_the_miniature_plan_parses() -> None:
    """The control: the miniature the plan fuzzing starts from is a plan (so mutations reach deep)."""
    plan = parse_plan({"a.txt": source("\n".join(MINI_PLAN), "a.txt")})
    assert [i.title for i in plan.items] == ["第一条标题", "第二条标题", "第三条标题"] and plan.tables[0].rows


@FUZZ
@given(st.one_of(_edited(MINI_PLAN), _lines_of(MINI_PLAN), corpus_text), st.one_of(st.none(), _edited(MINI_PLAN)))
def test_plan_parser_raises_only_parse_errors(first: str, second: str | None) -> None:
    corpus = {"a.txt": source(first, "a.txt")}
    if second is not None:
        corpus["b.txt"] = source(second, "b.txt", role="copy B")
    _parses_or_says_where(parse_plan, corpus)


@pytest.fixture(scope="module")
def real() -> dict[str, SourceText]:
    return load_corpus()


def _real_lines(name: str) -> list[str]:
    return load_corpus()[name].text.split("\n")


COPY_A = "000_2a1e229b78a33fef.txt"
PAGE_3 = "001_42e14eb1134fccac.txt"
COPY_B = "002_b55960e92c6e2bf2.txt"
REPORT = "003_3e78385779fe9d26.txt"
CONGRESS = "004_6ea1fc534c10ce2a.txt"


@FEW
@given(st.sampled_from([COPY_A, PAGE_3, COPY_B]), st.data())
def test_plan_parser_with_an_edited_copy(real: dict[str, SourceText], name: str, data: st.DataObject) -> None:
    text = data.draw(_edited(real[name].text.split("\n")))
    _parses_or_says_where(parse_plan, {**real, name: replace(real[name], text=text)})


@FUZZ
@given(st.one_of(_edited(_real_lines(REPORT)), _lines_of(_real_lines(REPORT)), corpus_text))
def test_report_parser_raises_only_parse_errors(real: dict[str, SourceText], text: str) -> None:
    _parses_or_says_where(parse_report, replace(real[REPORT], text=text))


@FUZZ
@given(st.one_of(_edited(_real_lines(CONGRESS)), _lines_of(_real_lines(CONGRESS)), corpus_text))
def test_congress_parser_raises_only_parse_errors(real: dict[str, SourceText], text: str) -> None:
    _parses_or_says_where(parse_congress, replace(real[CONGRESS], text=text))


# =========================================================================== api.sparql_guard
SPARQL_CHARS = string.printable + "工会“”《》\u00a0\u2028"
sparql_text = st.one_of(st.text(alphabet=SPARQL_CHARS, max_size=200), st.text(max_size=100))
TOKEN_KINDS = {"iri", "string", "var", "bnode", "pname", "lang", "number", "name", "punct"}


@FUZZ
@given(sparql_text)
def test_the_lexer_covers_any_string(query: str) -> None:
    end = 0
    for kind, text, offset in token_spans(query):
        assert kind in TOKEN_KINDS and text and offset >= end
        assert query[offset:offset + len(text)] == text
        assert query[end:offset].strip() == "" or "#" in query[end:offset]  # only space and comments skipped
        end = offset + len(text)


@FUZZ
@given(sparql_text)
def test_the_guard_raises_only_query_errors(query: str) -> None:
    try:
        check_query(query)
    except QueryError:
        pass


@FUZZ
@given(sparql_text)
def test_running_any_text_on_a_store_raises_only_query_errors(query: str) -> None:
    """Checked then run on an empty store: a syntax error, a refusal, or an answer; never another exception."""
    try:
        result = run_query(Store(), query)
        if hasattr(result, "__iter__"):
            list(result)
    except QueryError:
        pass


REFUSED_WORDS = ["SERVICE", "LOAD", "INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"]
no_break = st.text(alphabet=st.characters(blacklist_characters='"\\\n\r'), max_size=40)


@FUZZ
@given(no_break, st.sampled_from(REFUSED_WORDS))
def test_words_in_strings_comments_and_iris_are_not_keywords(text: str, word: str) -> None:
    check_query(f'SELECT * WHERE {{ ?s ?p "{text} {word}" }} # {text} {word}')
    check_query(f"ASK {{ <http://example.org/{quote(text)}/{word}> ?p ?o . ?{word.lower()} ?p pol:{word} }}")


@FUZZ
@given(st.sampled_from(REFUSED_WORDS), st.lists(st.booleans(), min_size=7, max_size=7), no_break)
def test_refused_keywords_in_any_letter_case(word: str, upper: list[bool], text: str) -> None:
    spelt = "".join(c.upper() if u else c.lower() for c, u in zip(word, upper + [True] * len(word)))
    with pytest.raises(QueryRefused, match=word if word in ("SERVICE", "LOAD") else f"^{word}: SPARQL Update"):
        check_query(f'SELECT * WHERE {{ ?s ?p "{text}" }} {spelt} <http://127.0.0.1:9/>')


# =========================================================================== api.entities.check_id
def _request(raw_path: bytes) -> SimpleNamespace:
    """What check_id reads of a request: its raw path."""
    return SimpleNamespace(scope={"raw_path": raw_path})


ID_CHARS = string.ascii_letters + string.digits + "-._~%/\\ \t\n:@!$&'()*+,;=<>\"{}|^`#?工\u202e\u200b\u00ad\x00\x7f"
identifier = st.one_of(st.text(alphabet=ID_CHARS, max_size=30), st.text(max_size=30), st.text(min_size=195, max_size=210))


@FUZZ
@given(identifier, identifier)
def test_check_id_accepts_clean_ids_or_answers_400(kind: str, slug: str) -> None:
    raw = ("/id/" + quote(kind, safe="") + "/" + quote(slug, safe="/")).encode("ascii")
    try:
        ident = check_id(_request(raw), kind, slug)
    except ApiError as error:
        assert error.status == 400 and str(error).startswith("the id ")
        return
    assert ident == f"{kind}/{slug}" and len(ident) <= MAX_ID_LENGTH
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in ident)
    assert "\\" not in ident and not {".", ".."} & set(ident.split("/"))
    assert not set(ident) & set(" <>\"{}|^`#?%")


@FUZZ
@given(st.binary(max_size=12))
def test_check_id_refuses_percent_encoded_bytes_that_are_not_utf8(data: bytes) -> None:
    raw = b"/id/item/" + "".join(f"%{b:02X}" for b in data).encode("ascii")
    slug = data.decode("utf-8", errors="replace")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        with pytest.raises(ApiError, match="not UTF-8"):
            check_id(_request(raw), "item", slug)
        return
    try:
        check_id(_request(raw), "item", slug)
    except ApiError as error:
        assert error.status == 400 and "not UTF-8" not in str(error)


# =========================================================================== api.negotiation
TABLES = [list(RESULT_FORMATS), list(GRAPH_FORMATS), [*GRAPH_FORMATS, *QUAD_FORMATS, "text/html"]]
MEDIA = [m for table in TABLES for m in table] + ["*/*", "text/*", "application/*", "image/png", "text/TURTLE"]
accept_range = st.tuples(st.sampled_from(MEDIA), st.one_of(
    st.just(""), st.floats(allow_nan=True, allow_infinity=True).map(lambda q: f";q={q}"),
    st.text(alphabet=";=q .,0123456789abc", max_size=8)))
accept_header = st.one_of(
    st.lists(accept_range, max_size=5).map(lambda ranges: ", ".join(m + p for m, p in ranges)),
    st.text(alphabet=string.printable, max_size=80), st.text(max_size=40), st.none())


@FUZZ
@given(accept_header, st.sampled_from(TABLES))
def test_negotiation_picks_an_offered_type_or_none(accept: str | None, offered: list[str]) -> None:
    media = negotiate(accept, offered)
    assert media is None or media in offered
    try:
        chosen = choose(accept, offered)
    except NotAcceptable as error:
        assert media is None and error.offered == offered and all(m in str(error) for m in offered)
    else:
        assert chosen == media
    if accept and re.fullmatch(r"\s*\*/\*\s*", accept):
        assert media == offered[0]


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(["json", "xml", "csv", "ttl", "n3", "text/csv", ""]), st.text(max_size=12)),
                max_size=3))
def test_format_names_map_to_an_accept_header_or_value_error(values: list[str]) -> None:
    try:
        accept = format_accept(values)
    except ValueError as error:
        assert str(error) in [v.strip() for v in values]
        return
    assert accept is None or negotiate(accept, [*RESULT_FORMATS, *GRAPH_FORMATS]) is not None


@FEW
@given(st.text(alphabet=string.printable.replace("\r", "").replace("\n", ""), max_size=80))
def test_any_accept_header_over_http_is_answered_without_a_5xx(api, accept: str) -> None:
    for path in ("/sparql?query=ASK%20%7B%7D", "/id/item/16", "/queries/item-measures?item_number=16"):
        response = api.get(path, headers={"accept": accept})
        assert response.status_code in (200, 406), (path, accept, response.status_code, response.text[:200])
        if response.status_code == 406:
            assert response.json()["supported"]
