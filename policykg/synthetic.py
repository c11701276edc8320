"""A synthetic corpus of N plans shaped like the real one, for measuring growth (``policykg synth``).

Users will add provincial plans, earlier and later five-year plans and yearly
reports; this module stands in for them until they exist, so the backends,
the API and the validators can be measured at 10^4 to 10^7 triples.

How a corpus of N plans is made: plan 1 *is* the built graph, unchanged, so
every question about the real corpus still has its real answer in every
synthetic corpus. Plans 2…N are copies of it through the same ontology --
chapters, items, measures, passages, variants, links with their evidence,
indicators, observations, sources -- each under IRIs of its own
(``…/id/item/16`` becomes ``…/id/item/s0002-16``). What a plan shares with
the others is what a real second plan would share: the curated vocabularies
(populations, bodies), programmes, laws, slogans, publications and the
indicator categories. Each copy differs, by a seeded random draw, in its
title (a region's name) and its figures: indicator targets and observed
values scaled by 0.85-1.15 (kept at or under 100 where the original was, as
most are percentages), so aggregates and ratios are not N identical answers.

The evidence of a copy quotes the real words at the real offsets of the real
files: a synthetic plan's provenance points at a synthetic source IRI
(``…/id/source/s0002-001_…``) that describes the same text. That keeps every
shape of the data (and the SHACL shapes) satisfied; it is not a claim that a
second document says the same thing.

The output is N-Quads, written to a temporary file and renamed, and it is
deterministic: the same template, N and seed give the same bytes.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from pyoxigraph import RdfFormat, serialize

from policykg.api.sparql_guard import load_store
from policykg.errors import OutputError, PolicyKGError
from policykg.namespaces import ID, POL

DEFAULT_TEMPLATE = Path("dist/policykg.trig")
MAX_PLANS = 9999  # the copy prefix has four digits
# Kinds every plan shares (the curated vocabularies and named things); every other kind is per plan.
SHARED_KINDS = ("population", "body", "programme", "law", "slogan", "publication", "category", "dataset", "graph")
REGIONS = ("北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省", "上海市", "江苏省",
           "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "广西壮族自治区",
           "海南省", "重庆市", "四川省", "贵州省", "云南省", "西藏自治区", "陕西省", "甘肃省", "青海省",
           "宁夏回族自治区", "新疆维吾尔自治区")
SCALE_RANGE = (0.85, 1.15)

_PER_PLAN_IRI = re.compile("<" + re.escape(str(ID)) + "(?!(?:" + "|".join(SHARED_KINDS) + ")/)([a-z][a-z-]*)/")
_FIGURE = re.compile(r'"(-?\d+(?:\.\d+)?)"(\^\^<http://www\.w3\.org/2001/XMLSchema#decimal>)')
_FIGURE_PROPERTIES = (f"<{POL.targetValue}>", f"<{POL.value}>")
_TITLE = re.compile(r'"((?:[^"\\]|\\.)*)"@(zh|en)')
_TITLE_PROPERTY = "<http://purl.org/dc/terms/title>"
_DOCUMENT_KINDS = ("plan/", "document/")


class SyntheticError(PolicyKGError):
    """The synthetic corpus could not be made (bad N, no template)."""


@dataclass(frozen=True)
class SyntheticReport:
    path: Path
    plans: int
    quads: int
    seconds: float


@dataclass(frozen=True)
class _Template:
    """The built graph as sorted N-Quads lines, split by what a copy changes in them."""

    shared: str  # lines that name no per-plan resource (the vocabularies): written once, with plan 1
    plain: str  # lines a copy only re-prefixes, joined
    figures: tuple[str, ...]  # lines whose decimal figure a copy scales
    titles: tuple[str, ...]  # document titles a copy gives a region
    lines: int

    @property
    def per_plan(self) -> int:
        """Quads each further plan adds."""
        return self.lines - self.shared.count("\n")


def read_template(path: Path) -> _Template:
    """The built graph (TriG, N-Quads …) as a template; raises if it is missing or unreadable."""
    store = load_store(path)
    text = (serialize(store, format=RdfFormat.N_QUADS) or b"").decode()
    lines = sorted(set(text.splitlines()))
    if not lines:
        raise SyntheticError(f"{path} holds no statements to copy")
    shared, plain, figures, titles = [], [], [], []
    for line in lines:
        subject, predicate = line.split(" ", 2)[:2]
        if not _PER_PLAN_IRI.search(line):
            shared.append(line)
        elif predicate in _FIGURE_PROPERTIES and _FIGURE.search(line):
            figures.append(line)
        elif predicate == _TITLE_PROPERTY and any(kind in subject for kind in _DOCUMENT_KINDS):
            titles.append(line)
        else:
            plain.append(line)
    return _Template(_joined(shared), _joined(plain), tuple(figures), tuple(titles), len(lines))


def _joined(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def plan_prefix(plan: int) -> str:
    """The slug prefix of copy ``plan`` (2 → ``s0002-``); plan 1 is the real corpus and has none."""
    return "" if plan == 1 else f"s{plan:04d}-"


def copy_lines(template: _Template, plan: int, seed: int) -> Iterator[str]:
    """The N-Quads text of plan ``plan`` (1-based), in chunks; plan 1 is the template itself."""
    if plan == 1:
        yield template.shared
        yield template.plain
        yield from (line + "\n" for line in template.figures + template.titles)
        return
    draw = random.Random(f"policykg-synthetic:{seed}:{plan}")
    prefix = plan_prefix(plan)
    reprefix = _PER_PLAN_IRI.sub
    replacement = rf"<{ID}\1/{prefix}"
    yield reprefix(replacement, template.plain)
    for line in template.figures:
        factor = Decimal(str(round(draw.uniform(*SCALE_RANGE), 3)))
        yield reprefix(replacement, _FIGURE.sub(lambda m: _scaled(m, factor), line, count=1)) + "\n"
    region = REGIONS[draw.randrange(len(REGIONS))]
    for line in template.titles:
        yield reprefix(replacement, _TITLE.sub(lambda m: _regional(m, region, plan), line, count=1)) + "\n"


def _scaled(match: re.Match[str], factor: Decimal) -> str:
    original = Decimal(match.group(1))
    places = Decimal(1).scaleb(original.as_tuple().exponent if isinstance(original.as_tuple().exponent, int) else 0)
    value = (original * factor).quantize(places, rounding=ROUND_HALF_EVEN)
    if original <= 100:
        value = min(value, Decimal(100))
    return f'"{value}"{match.group(2)}'


def _regional(match: re.Match[str], region: str, plan: int) -> str:
    title, language = match.group(1), match.group(2)
    if language == "zh":
        return f'"{region}{title}（合成第{plan}号）"@zh'
    return f'"{title} (synthetic plan {plan})"@en'


def write(out: Path, plans: int, *, seed: int = 0, template: Path | None = None) -> SyntheticReport:
    """Write ``plans`` plans as N-Quads to ``out`` (temporary file, then rename); the report says how many quads."""
    if not 1 <= plans <= MAX_PLANS:
        raise SyntheticError(f"--plans must be between 1 and {MAX_PLANS}, not {plans}")
    started = time.perf_counter()
    source = read_template(template or DEFAULT_TEMPLATE)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as stream:
            for plan in range(1, plans + 1):
                for chunk in copy_lines(source, plan, seed):
                    stream.write(chunk)
        os.replace(temporary, out)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write {out}: {error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return SyntheticReport(out, plans, source.lines + source.per_plan * (plans - 1), time.perf_counter() - started)
