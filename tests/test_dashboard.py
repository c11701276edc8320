"""The indicator dashboard (GET /dashboard): charts and tables of every target against the latest 2022 figure.

The page is checked against ``/indicators`` (the JSON it is built from): every
indicator has one bar linking to its page and one table row, and the status
each row shows is recomputed here, independently, from the JSON.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET

import pytest

from policykg.api.dashboard import expected_share, period_end, status_of
from policykg.api.relations import Indicator

SVG = "{http://www.w3.org/2000/svg}"
TABLES = ["quality", "services", "rights"]


@pytest.fixture(scope="module")
def indicators(api) -> list[dict]:
    return api.get("/indicators").json()["indicators"]


@pytest.fixture(scope="module")
def html(api) -> str:
    response = api.get("/dashboard")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def svgs(html: str) -> list[ET.Element]:
    """Every inline chart, parsed as XML (a chart that is not well-formed XML fails here)."""
    found = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert found
    return [ET.fromstring(text) for text in found]


def row(html: str, slug: str) -> str:
    match = re.search(rf'<tr id="indicator-{re.escape(slug)}".*?</tr>', html, flags=re.S)
    assert match, slug
    return match.group(0)


def row_status(html: str, slug: str) -> str:
    return re.search(r'data-status="([a-z-]+)"', row(html, slug)).group(1)


def expected_status(indicator: dict) -> str:
    """The documented rule, written again from the JSON of /indicators."""
    observation = indicator["latest_observation"]
    if observation is None:
        return "no-data"
    value, target = observation["value"], indicator["target"]
    met = {"at-least": value >= target, "more-than": value > target, "about": value >= 0.95 * target,
           "exactly": value >= target}[indicator["comparator"]]
    if met:
        return "met"
    if indicator["per_year"] or indicator["deadline"] is None:
        return "behind"
    year = int(re.search(r"([0-9]{4})(-[0-9]{2}-[0-9]{2})?$", observation["period"]).group(1))
    end = datetime.date(year, 12, 31) if not observation["period"].startswith("..") else \
        datetime.date.fromisoformat(observation["period"][2:])
    deadline = datetime.date.fromisoformat(indicator["deadline"])
    start = datetime.date(2021, 1, 1)
    share = min(1.0, ((end - start).days + 1) / ((deadline - start).days + 1))
    return "on-track" if value / target >= share else "behind"


def test_page_is_plain_html_without_script(html):
    assert html.startswith("<!doctype html>")
    assert '<html lang="zh">' in html
    assert "<script" not in html
    assert "指标看板" in html and "占目标的百分比" in html  # Chinese interface by default; the scale is explained


def test_every_indicator_has_a_linked_bar_and_a_row(html, indicators):
    bars = [a for svg in svgs(html) for a in svg.iter(SVG + "a")]
    assert len(bars) == len(indicators) > 0
    hrefs = [a.get("href").split("?")[0] for a in bars]
    assert sorted(hrefs) == sorted(indicator["path"] for indicator in indicators)
    for indicator in indicators:
        assert indicator["path"].startswith("/id/indicator/")
        assert f'href="{indicator["path"]}?lang=zh"' in row(html, indicator["slug"])
    for a in bars:  # each bar names itself: a tooltip and visible text
        assert a.find(SVG + "title").text
        assert [text.text for text in a.iter(SVG + "text") if text.text]


def test_charts_are_accessible_and_scale_to_the_screen(html):
    charts = svgs(html)
    assert len(charts) == len(re.findall(r'<table class="indicators">', html))
    for svg in charts:
        assert svg.get("role") == "img"
        assert svg.get("width") == "100%"
        assert re.fullmatch(r"0 0 [0-9.]+ [0-9.]+", svg.get("viewBox"))
        labelled = svg.get("aria-labelledby").split()
        assert [svg.find(f".//*[@id='{name}']").text for name in labelled]


def test_sections_follow_the_tables(html, indicators):
    """素质提升, 精准服务, 依法维权, then the targets stated only in an item; each with its own indicators."""
    present = [t for t in TABLES if any((i["category"] or {}).get("slug") == t for i in indicators)]
    keys = present + (["item"] if any(i["category"] is None for i in indicators) else [])
    positions = [html.index(f'<h2 id="table-{key}"') for key in keys]
    assert positions == sorted(positions)
    charts = dict(zip(keys, svgs(html)))
    for key, svg in charts.items():
        slugs = {a.get("data-slug") for a in svg.iter(SVG + "a")}
        wanted = {i["slug"] for i in indicators if ((i["category"] or {}).get("slug") or "item") == key}
        assert slugs == wanted
    labels = {i["category"]["slug"]: i["category"]["label_zh"] for i in indicators if i["category"]}
    for key in present:
        assert f'<h2 id="table-{key}">{labels[key]}' in html


def test_collective_contract_target(html, indicators):
    """依法维权: 重点企业集体合同签订率 at least 80 % by the end of 2025; the 2022 report gives no figure for it."""
    [contract] = [i for i in indicators if "集体合同签订率" in i["label_zh"]]
    assert (contract["target"], contract["unit"], contract["comparator"]) == (80, "%", "at-least")
    assert contract["category"]["slug"] == "rights" and contract["deadline"] == "2025-12-31"
    text = row(html, contract["slug"])
    assert "不少于80%" in text and "2025-12-31" in text
    assert row_status(html, contract["slug"]) == expected_status(contract) == "no-data"


def test_sending_warmth_funds_are_met(html, indicators):
    """精准服务: at least 30亿元 a year raised for 送温暖; 2022: 36.26亿元, 120.9 % of the target."""
    [funds] = [i for i in indicators if "送温暖资金" in i["label_zh"]]
    assert funds["target"] == 3_000_000_000 and funds["per_year"]
    observation = funds["latest_observation"]
    assert observation["value"] == 3_626_000_000 and observation["period"] == "2022"
    text = row(html, funds["slug"])
    assert "30亿元" in text and "36.26亿元" in text and "120.9%" in text and "每年" in text
    assert row_status(html, funds["slug"]) == expected_status(funds) == "met"


def test_every_status_follows_the_rule(html, indicators):
    shown = {i["slug"]: row_status(html, i["slug"]) for i in indicators}
    assert shown == {i["slug"]: expected_status(i) for i in indicators}
    totals = {status: list(shown.values()).count(status) for status in ("met", "on-track", "behind", "no-data")}
    assert (f"共 {len(indicators)} 项指标：已达成 {totals['met']} 项，进度正常 {totals['on-track']} 项，"
            f"落后 {totals['behind']} 项，无数据 {totals['no-data']} 项。") in html


def _indicator(comparator="at-least", target=100, observed=None, period="2022", deadline="2025-12-31", per_year=False):
    observation = {"iri": "o", "value": observed, "period": period, "quote": "q"} if observed is not None else None
    return Indicator(slug="t-1", iri="i", path="/id/indicator/t-1", label_zh="测试", target=target, unit="家",
                     comparator=comparator, deadline=deadline, per_year=per_year, stated_in=[1], quote="q",
                     latest_observation=observation, ratio=observed / target if observed is not None else None)


@pytest.mark.parametrize(("kwargs", "status"), [
    ({}, "no-data"),
    ({"observed": 100}, "met"),
    ({"observed": 100, "comparator": "more-than"}, "on-track"),  # not met; 100 % ≥ the 40 % expected by 2022
    ({"observed": 101, "comparator": "more-than"}, "met"),
    ({"observed": 95, "comparator": "about"}, "met"),
    ({"observed": 94, "comparator": "about"}, "on-track"),
    ({"observed": 120, "comparator": "exactly"}, "met"),
    ({"observed": 40}, "on-track"),   # 2021-01-01 … 2022-12-31 is 730 of the 1826 days to 2025-12-31: 39.98 %
    ({"observed": 39}, "behind"),
    ({"observed": 20, "period": "..2021-12-31"}, "on-track"),  # 365/1826 = 19.99 %
    ({"observed": 19, "period": "2021/2021"}, "behind"),
    ({"observed": 99, "deadline": "2021-12-31"}, "behind"),    # the deadline has passed
    ({"observed": 99, "deadline": None, "per_year": True}, "behind"),
])
def test_status_rule(kwargs, status):
    assert status_of(_indicator(**kwargs))[0] == status


def test_period_end_and_expected_share():
    assert period_end("2022") == period_end("2021/2022") == period_end("..2022-12-31") == datetime.date(2022, 12, 31)
    assert period_end("..2022-06-30") == datetime.date(2022, 6, 30)
    assert expected_share(datetime.date(2022, 12, 31), datetime.date(2025, 12, 31)) == pytest.approx(730 / 1826)
    assert expected_share(datetime.date(2026, 12, 31), datetime.date(2025, 12, 31)) == 1.0


def test_english_interface(api, indicators):
    response = api.get("/dashboard?lang=en")
    assert response.status_code == 200
    text = response.text
    assert '<html lang="en">' in text and "Indicator dashboard" in text and "percentage of its own target" in text
    assert "no data" in text and "per year" in text and "指标看板" not in text
    for indicator in indicators:  # corpus labels as printed, with the English label beside
        block = row(text, indicator["slug"])
        assert indicator["label_zh"] in block
        assert f'href="{indicator["path"]}?lang=en"' in block
    assert len([a for svg in svgs(text) for a in svg.iter(SVG + "a")]) == len(indicators)


def test_output_is_deterministic(api):
    """Two URLs (/dashboard and ?lang=zh, cached apart) render the same bytes."""
    first, second = api.get("/dashboard"), api.get("/dashboard?lang=zh")
    assert first.content == second.content
