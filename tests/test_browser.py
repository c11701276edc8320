"""A newcomer's path through the pages in a real headless Chromium (Debian's chromium + chromedriver).

home → chapter 5 → item 16 → the 新就业形态劳动者 page → an indicator → the
query page, running a query and following a result link; and the newcomer's
question (which items serve couriers, what does the plan promise them) from
the search box to an item's text. Each step is a
click on a link the page shows (no URL typed after the home page), checked
against the JSON API, and photographed: the screenshots are kept in
``tests/artifacts/browser/`` (git-ignored) for a person to look at.

Chromium comes from ``tests/browser/install-chromium.sh`` (run by the README's
test command). Traffic goes only to the API on 127.0.0.1: Chromium runs with
its background networking off.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).parent / "artifacts" / "browser"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="Debian's chromium and chromium-driver are not installed: run tests/browser/install-chromium.sh as root",
)


@pytest.fixture(scope="module")
def browser():
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not look for drivers on the network
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=zh-CN"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    yield driver
    driver.quit()


def api_json(base: str, path: str):
    request = urllib.request.Request(base + path, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def click_link(driver, href_part: str, within: str = "main"):
    """Follow the first link in ``within`` whose href contains ``href_part`` (as a user clicks it)."""
    from selenium.webdriver.common.by import By

    links = [a for a in driver.find_elements(By.CSS_SELECTOR, f"{within} a") if href_part in (a.get_attribute("href") or "")]
    assert links, f"no link to {href_part} on {driver.current_url}"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", links[0])
    links[0].click()


def snap(driver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_newcomer_journey(browser, live_api: str) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    item = api_json(live_api, "/items/16")
    population = api_json(live_api, "/populations/new-employment-form-workers/items")

    driver.get(live_api + "/?lang=zh")  # headless Chromium asks for English whatever --lang says
    assert "规划目录" in driver.page_source and driver.find_element(By.CSS_SELECTOR, "html").get_attribute("lang") == "zh"
    snap(driver, "1-home")

    click_link(driver, f"/id/chapter/{item['chapter']['number']}")
    assert item["chapter"]["title_zh"] in driver.find_element(By.TAG_NAME, "h1").text
    snap(driver, "2-chapter-5")

    click_link(driver, "/id/item/16")
    assert driver.find_element(By.TAG_NAME, "h1").text.strip().startswith(item["title_zh"]) or \
        item["title_zh"] in driver.find_element(By.TAG_NAME, "h1").text
    snap(driver, "3-item-16")

    click_link(driver, "/id/population/new-employment-form-workers")
    page = driver.page_source
    assert 16 in {entry["number"] for entry in population["items"]} and "/id/item/16" in page
    assert population["population"]["label_zh"] in driver.find_element(By.TAG_NAME, "h1").text
    snap(driver, "4-new-employment-form-workers")

    click_link(driver, "/id/indicator/", within="body")
    indicator_slug = driver.current_url.split("/id/indicator/", 1)[1].split("?", 1)[0]
    indicators = {entry["slug"]: entry for entry in api_json(live_api, "/indicators")["indicators"]}
    assert indicator_slug in indicators
    assert indicators[indicator_slug]["label_zh"] in driver.page_source
    snap(driver, "5-indicator")

    click_link(driver, "/query", within="header")
    editor = driver.find_element(By.CSS_SELECTOR, "form textarea[name=query]")
    query = ("PREFIX pol: <https://w3id.org/policykg/ontology#> "
             "SELECT ?item WHERE { ?item pol:servesPopulation "
             "<https://w3id.org/policykg/id/population/couriers> } ORDER BY ?item")
    # The editor (if its script loaded) mirrors the textarea; set both as a user's typing would end up.
    driver.execute_script(
        "const t = arguments[0]; t.value = arguments[1];"
        "const cm = document.querySelector('.CodeMirror'); if (cm && cm.CodeMirror) cm.CodeMirror.setValue(arguments[1]);",
        editor, query)
    snap(driver, "6-query-page")
    driver.find_element(By.CSS_SELECTOR, "#query-form button[type=submit]").click()
    from selenium.webdriver.support.ui import WebDriverWait

    # a submitted form navigates after the click returns: wait for the results page
    results = WebDriverWait(driver, 15).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "main table a[href*='/id/item/']"),
        message="the query's results have no links to items")
    snap(driver, "7-query-results")
    results[0].click()
    assert "/id/item/" in driver.current_url
    snap(driver, "8-result-followed")
    assert all((ARTIFACTS / f"{name}.png").stat().st_size > 10_000 for name in (
        "1-home", "3-item-16", "5-indicator", "7-query-results"))


def test_newcomer_asks_what_the_plan_promises_couriers(browser, live_api: str) -> None:
    """home → the search box: 快递员 → the population page, whose answer lists the items that serve couriers (as
    the JSON API has them) → an item's page, the plan's sentence about couriers among its measures; then English,
    which the next page without ?lang= keeps."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(live_api + "/?lang=zh")
    driver.find_element(By.ID, "site-search").send_keys("快递员", Keys.ENTER)
    WebDriverWait(driver, 10).until(lambda d: "/search?" in d.current_url, message="the search box did not search")
    snap(driver, "c1-search-kuaidiyuan")
    click_link(driver, "/id/population/", within="section[aria-labelledby=population]")
    slug = driver.current_url.split("/id/population/", 1)[1].split("?", 1)[0]
    served = api_json(live_api, f"/populations/{slug}/items")
    assert driver.find_element(By.TAG_NAME, "h1").text == served["population"]["label_zh"]
    answer = driver.find_element(By.CSS_SELECTOR, "section.answer").text
    for item in served["items"]:
        assert item["title_zh"] in answer
    snap(driver, "c2-population")
    first = served["items"][0]
    click_link(driver, f"/id/item/{first['number']}?", within=f"#item-{first['number']} p.whole-item")
    WebDriverWait(driver, 10).until(lambda d: f"/id/item/{first['number']}" in d.current_url)
    text = driver.find_element(By.TAG_NAME, "main").get_attribute("textContent")
    assert any(ev["sentence"] in text for ev in first["evidence"]) and first["title_zh"] in text
    snap(driver, "c3-item")
    click_link(driver, "lang=en", within="header")
    assert driver.find_element(By.CSS_SELECTOR, "html").get_attribute("lang") == "en"
    driver.get(live_api + f"/id/population/{slug}")  # typed, without ?lang=: the reader's choice holds
    assert driver.find_element(By.CSS_SELECTOR, "html").get_attribute("lang") == "en"
    assert "In short" in driver.find_element(By.CSS_SELECTOR, "section.answer").text
    snap(driver, "c4-population-english")
    driver.delete_all_cookies()


def test_pages_work_at_phone_width(browser, live_api: str) -> None:
    """At 390 px nothing overflows sideways: the page is as wide as the screen."""
    browser.set_window_size(390, 844)
    try:
        for path, name in (("/", "phone-home"), ("/id/item/16", "phone-item-16"), ("/dashboard", "phone-dashboard")):
            browser.get(live_api + path)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            viewport = browser.execute_script("return window.innerWidth")
            snap(browser, name)
            assert width <= viewport + 1, f"{path} is {width}px wide on a {viewport}px screen"
    finally:
        browser.set_window_size(1280, 900)


def test_keyboard_reaches_the_search_box_and_searches(browser, live_api: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(live_api + "/")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the skip link first
    assert browser.switch_to.active_element.get_attribute("class") == "skip"
    box = browser.find_element(By.ID, "site-search")
    box.send_keys("courier", Keys.ENTER)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda driver: "/search?" in driver.current_url)  # the form's navigation
    assert "/id/population/couriers" in browser.page_source
    snap(browser, "search-kuaidi")
