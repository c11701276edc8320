"""The indicator dashboard (``GET /dashboard``): every target of the plan against the latest 2022 figure.

One section per indicator table, in the plan's order (素质提升 quality, 精准服务
services, 依法维权 rights), then the targets stated only in an item's text. Each
section has a server-rendered inline SVG bar chart (one bar per indicator,
linked to its ``/id/indicator/…`` page; no JavaScript) and a plain HTML table of
the same figures. Everything shown comes from :func:`relations._all_indicators`
(named queries ``indicators`` and ``indicator-progress``); the English names of
the tables come from the graph (``resource-labels``). Same data, same bytes.

**Scale.** Targets are counted in different units (人, 家, 元, % …), so every bar
shows the latest observed value as a percentage of its own target (the ratio
observed / target): the target is always 100 %. The axis runs from 0 to the
largest ratio on the page, at least 100 % and at most 200 % (a longer bar is cut
there; its label still gives the real percentage).

**Status** of an indicator, from its latest observation (the one whose period
ends last):

* *no data* -- no observation of the 2022 work report is linked to it;
* *met* -- the observed value satisfies the comparator against the target:
  at least: observed ≥ target; more than: observed > target; about (左右, 约):
  observed ≥ 95 % of the target (``ABOUT_TOLERANCE``); exactly (a plain number,
  a quota such as 完成20家): observed ≥ target;
* otherwise, for a yearly target (每年): *behind* -- the yearly figure is compared
  with the yearly target directly, there is no "on track" for a year that is over;
* otherwise, for a target with a deadline: the expected share is the part of the
  plan period, 2021-01-01 to the deadline (both days counted), that has elapsed
  at the end of the observation's period (``2022`` and ``2021/2022`` end on
  2022-12-31, ``..2022-12-31`` on that day), at most 1. The indicator is *on
  track* when its ratio is at least the expected share (straight-line progress
  from nothing on 2021-01-01 to the whole target on the deadline), else *behind*
  (so a deadline that has passed without the target met is behind). The
  observation is read as the total reached by the end of its period.
"""

from __future__ import annotations

import datetime
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal, get_args

from fastapi import APIRouter, Request
from fastapi.responses import Response

from policykg.api.deps import Services, ServicesDep
from policykg.api.html import language, page, period_text, text, texts
from policykg.api.relations import BASE, CategorySlug, Indicator, _all_indicators

router = APIRouter(tags=["pages"])

Status = Literal["met", "on-track", "behind", "no-data"]
STATUSES: tuple[Status, ...] = get_args(Status)
PLAN_START = datetime.date(2021, 1, 1)
ABOUT_TOLERANCE = 0.05  # "about N" is met from (1 - 5 %) × N
TABLE_ORDER: tuple[str, ...] = get_args(CategorySlug)  # quality, services, rights: the plan's order
ITEM_ONLY = "item"  # the section key of targets stated only in an item

SECTION = "dashboard"  # the page's texts in interface-texts.yaml (status_*; comparator_* in common)

# --------------------------------------------------------------------------- chart geometry (SVG user units)
WIDTH = 400          # viewBox width; the SVG is drawn at width 100 %, so this is a phone's width at ~1×
FONT = 13            # font size of the labels (the axis: 2 less)
AXIS = 22            # height of the axis band above the first bar
ROW = 44             # height of one indicator: its label line, then its bar
BAR_TOP = 18         # the bar's offset in its row
BAR_HEIGHT = 14
VALUE_ROOM = 56      # room right of the bars for the percentage
BAR_WIDTH = WIDTH - VALUE_ROOM
MAX_SCALE = 2.0      # the axis stops at 200 %


# --------------------------------------------------------------------------- status
def period_end(period: str) -> datetime.date | None:
    """The last day of an observation's period: ``2022``, ``2021/2022`` → 2022-12-31; ``..2022-12-31`` → that day."""
    match = re.search(r"([0-9]{4})(?:-([0-9]{2})-([0-9]{2}))?$", period.strip())
    if not match:
        return None
    year, month, day = match.groups()
    return datetime.date(int(year), int(month), int(day)) if month else datetime.date(int(year), 12, 31)


def expected_share(end: datetime.date, deadline: datetime.date) -> float:
    """The part of the plan period (2021-01-01 to ``deadline``, both days counted) elapsed by ``end``, in [0, 1]."""
    total = (deadline - PLAN_START).days + 1
    if total <= 0:
        return 1.0
    return min(1.0, max(0.0, ((end - PLAN_START).days + 1) / total))


def is_met(comparator: str, observed: float, target: float) -> bool:
    """Whether ``observed`` satisfies the comparator against ``target`` (see the module docstring)."""
    if comparator == "more-than":
        return observed > target
    if comparator == "about":
        return observed >= (1 - ABOUT_TOLERANCE) * target
    return observed >= target  # at-least; exactly (a quota reached)


def status_of(indicator: Indicator) -> tuple[Status, float | None]:
    """The indicator's status and, for a target with a deadline that is not met, the expected share."""
    observation = indicator.latest_observation
    if observation is None or indicator.ratio is None:
        return "no-data", None
    if is_met(indicator.comparator, observation.value, indicator.target):
        return "met", None
    if indicator.per_year or indicator.deadline is None:
        return "behind", None
    end = period_end(observation.period)
    share = expected_share(end, indicator.deadline) if end else 1.0
    return ("on-track" if indicator.ratio >= share else "behind"), share


# --------------------------------------------------------------------------- text
def _char_width(char: str) -> float:
    """A generous advance width in em (so that a cut label never runs into its status): wide (CJK, full-width) 1,
    capitals and m, w, % .78, narrow letters and punctuation .35, others .62."""
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if char in "iljtfrI.,:;'!| ()[]":
        return 0.35
    return 0.78 if char.isupper() or char in "mwMW%" else 0.62


def text_width(text: str, size: float = FONT) -> float:
    return sum(_char_width(char) for char in text) * size


def fit(text: str, room: float, size: float = FONT) -> str:
    """``text`` cut with "…" so that it is at most ``room`` wide (estimated)."""
    if text_width(text, size) <= room:
        return text
    room -= text_width("…", size)
    width, kept = 0.0, []
    for char in text:
        width += _char_width(char) * size
        if width > room:
            break
        kept.append(char)
    return "".join(kept).rstrip() + "…"


def _decimal(value: float, separators: bool) -> str:
    """At most two decimals, trailing zeros dropped; thousands separated on request."""
    text = f"{value:,.2f}" if separators else f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(value: float, lang: str) -> str:
    """A figure for people: 亿/万 in Chinese (30亿, 4.5万), thousands separators in English (3,000,000,000)."""
    if lang == "zh":
        for size, word in ((100_000_000, "亿"), (10_000, "万")):
            if abs(value) >= size and (value * 100) % size == 0:
                return _decimal(value / size, False) + word
        return _decimal(value, False)
    return _decimal(value, True)


def quantity(value: float, unit: str, lang: str) -> str:
    figure = number(value, lang)
    return figure + unit if unit == "%" or lang == "zh" else f"{figure} {unit}"


def percent(ratio: float) -> str:
    return f"{ratio * 100:.1f}%"


def _natural(slug: str) -> list[object]:
    """quality-2-1 before quality-10-1."""
    return [int(part) if part.isdigit() else part for part in re.split(r"([0-9]+)", slug)]


# --------------------------------------------------------------------------- views
@dataclass
class Bar:
    """One indicator: its figures as text, its status, and where its bar is drawn."""

    indicator: Indicator
    href: str
    status: Status
    status_label: str
    expected: float | None
    name: str            # the label in the interface language (as printed in Chinese)
    name_short: str      # cut to fit the chart
    target: str          # "不少于80%", "at least 80%"
    deadline: str        # a date, 每年 / per year, or —
    observed: str | None
    period: str | None
    ratio: str | None
    title: str           # the tooltip: everything about the bar in one line
    y: float = 0.0
    observed_width: float = 0.0
    overflow: bool = False
    value_x: float = 0.0


@dataclass
class Section:
    key: str             # quality, services, rights, item
    heading: str
    heading_other: str | None  # the name in the other language
    bars: list[Bar]
    height: float = 0.0
    target_x: float = 0.0
    ticks: list[tuple[float, str]] = field(default_factory=list)
    counts: dict[Status, int] = field(default_factory=dict)


def _category_names(services: Services, indicators: list[Indicator]) -> dict[str, dict[str, str]]:
    """Each table's name by language (skos:prefLabel), read once from the labels around one of its indicators."""
    def compute() -> dict[str, dict[str, str]]:
        first: dict[str, Indicator] = {}
        for indicator in indicators:
            if indicator.category is not None:
                first.setdefault(indicator.category.slug, indicator)
        slugs = sorted(first)
        if not slugs:
            return {}
        tables = services.run_many([("resource-labels", {"resource": first[slug].iri}) for slug in slugs])
        names: dict[str, dict[str, str]] = {}
        for slug, table in zip(slugs, tables):
            category = BASE + "category/" + slug
            found = names.setdefault(slug, {})
            for row in table.records():
                label = row.get("label")
                if row["node"].value == category and row["property"].value.endswith("#prefLabel") and label is not None:
                    language = getattr(label, "language", None)
                    if language in ("zh", "en"):
                        found.setdefault(language, label.value)
        return names
    return services.cached("dashboard:category-names", compute)


def _bar(indicator: Indicator, lang: str, base: str) -> Bar:
    t = texts(SECTION, lang)
    status, expected = status_of(indicator)
    observation = indicator.latest_observation
    comparator = t[f"comparator_{indicator.comparator}"]
    target_figure = quantity(indicator.target, indicator.unit, lang)
    target = f"{comparator}{target_figure}" if lang == "zh" else f"{comparator} {target_figure}"
    if indicator.deadline is not None:
        deadline = indicator.deadline.isoformat()
    elif indicator.per_year:
        deadline = t["per_year"]
    else:
        deadline = "—"
    name = indicator.label_en if lang == "en" and indicator.label_en else indicator.label_zh
    status_label = t[f"status_{status}"]
    observed = quantity(observation.value, indicator.unit, lang) if observation else None
    period = period_text(observation.period, SECTION, lang) if observation else None
    ratio = percent(indicator.ratio) if indicator.ratio is not None else None
    names = indicator.label_zh + (f" ({indicator.label_en})" if indicator.label_en else "")
    parts = [names, t["tip_target"].format(target=target, deadline=deadline),
             t["tip_latest"].format(observed=observed, period=period, ratio=ratio) if observed else t["tip_none"],
             status_label]
    return Bar(indicator=indicator, href=f"{base}{indicator.path}?lang={lang}", status=status,
               status_label=status_label, expected=expected, name=name,
               name_short=fit(name, WIDTH - text_width(status_label) - 12), target=target, deadline=deadline,
               observed=observed, period=period, ratio=ratio, title=" · ".join(parts))


def scale_of(indicators: list[Indicator]) -> float:
    """The axis maximum: the largest ratio rounded up to a quarter, between 1 and ``MAX_SCALE``."""
    largest = max([indicator.ratio for indicator in indicators if indicator.ratio is not None] + [1.0])
    return min(MAX_SCALE, math.ceil(largest * 4 - 1e-9) / 4)


def _layout(section: Section, scale: float) -> None:
    unit = BAR_WIDTH / scale
    section.target_x = round(unit, 1)
    steps = [step / 2 for step in range(int(scale * 2) + 1)]
    if steps[-1] < scale:
        steps.append(scale)
    section.ticks = [(round(step * unit, 1), f"{step * 100:g}%") for step in steps]
    for index, bar in enumerate(section.bars):
        bar.y = AXIS + index * ROW
        ratio = bar.indicator.ratio
        if ratio is not None:
            bar.observed_width = round(min(max(ratio, 0.0), scale) * unit, 1)
            bar.overflow = ratio > scale
        bar.value_x = round(max(bar.observed_width, section.target_x) + 4, 1)
    section.height = AXIS + len(section.bars) * ROW
    section.counts = {status: sum(bar.status == status for bar in section.bars) for status in STATUSES}


def sections(services: Services, lang: str, base: str) -> tuple[list[Section], float]:
    """The page's sections in the plan's table order, then the targets stated only in an item; the axis maximum."""
    indicators = _all_indicators(services)
    names = _category_names(services, indicators)
    grouped: dict[str, list[Indicator]] = {}
    for indicator in indicators:
        grouped.setdefault(indicator.category.slug if indicator.category else ITEM_ONLY, []).append(indicator)
    order = [key for key in TABLE_ORDER if key in grouped]
    order += sorted(key for key in grouped if key not in TABLE_ORDER and key != ITEM_ONLY)
    order += [ITEM_ONLY] if ITEM_ONLY in grouped else []
    scale = scale_of(indicators)
    found = []
    for key in order:
        if key == ITEM_ONLY:
            heading = text(SECTION, "item_only", lang)
            heading_other = None
        else:
            category = grouped[key][0].category
            label = names.get(key, {})
            zh = label.get("zh") or (category.label_zh if category else None) or key
            en = label.get("en")
            heading, heading_other = (zh, en) if lang == "zh" or not en else (en, zh)
        bars = [_bar(indicator, lang, base) for indicator in sorted(grouped[key], key=lambda i: _natural(i.slug))]
        section = Section(key=key, heading=heading, heading_other=heading_other, bars=bars)
        _layout(section, scale)
        found.append(section)
    return found, scale


@router.get("/dashboard", response_class=Response, summary="the indicator dashboard (HTML): every target against 2022",
            description="Every indicator grouped by table, the latest observed value as a percentage of the target "
                        "(server-rendered SVG and a table), the deadline and the status (met, on track, behind, no data).")
def dashboard(request: Request, services: ServicesDep) -> Response:
    base = services.base_url
    lang = language(request)
    found, scale = sections(services, lang, base)
    bars = [bar for section in found for bar in section.bars]
    totals = {status: sum(bar.status == status for bar in bars) for status in STATUSES}
    return page(request, "dashboard.html", base=base, text_section=SECTION, sections=found, total=len(bars),
                totals=totals, status_labels={status: text(SECTION, f"status_{status}", lang) for status in STATUSES},
                statuses=STATUSES, scale=percent(scale).replace(".0%", "%"),
                about_tolerance=f"{(1 - ABOUT_TOLERANCE) * 100:g}%", plan_start=PLAN_START.isoformat(),
                width=WIDTH, font=FONT, bar_top=BAR_TOP, bar_height=BAR_HEIGHT, axis=AXIS)
