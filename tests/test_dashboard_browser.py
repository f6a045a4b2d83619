"""The dashboard as a reader sees it: Debian's Chromium, headless, driven through chromium-driver.

The page loads with no console message, its visible text (after its script ran) shows the report's
figures in light and in dark, its tables sort, nothing in the logs runs as script, and a screenshot of
each theme is taken (kept in $VAULTLEDGER_SCREENSHOTS when set). `.ci/run` installs Chromium; elsewhere,
without it, these tests are skipped with the reason (under CI=true they fail instead).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_dashboard import (
    BREAKDOWNS, HOSTILE_MODEL, NOW, expected_rows, expected_totals, page_for, report_json, usd, write_world,
)

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
CARD_PERIODS = [("--day", "2026-03-14"), ("--week", "2026-W11"), ("--month", "2026-03"), ("--quarter", "2026Q1")]


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e .[test])"
    if not CHROMIUM or not DRIVER:
        return "Chromium and its driver are not installed (apt-get install chromium chromium-driver; .ci/run does)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI must test the dashboard in a browser: {missing}")
    if missing:
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,3200", "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")  # a driver is given: selenium must never look one up online
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    yield driver
    driver.quit()


@pytest.fixture
def loaded(browser: Any, tmp_path: Path) -> tuple[Any, Path]:
    config = write_world(tmp_path)
    page = tmp_path / "costs.html"
    page.write_text(page_for(config), encoding="utf-8")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    browser.get(page.as_uri())
    return browser, config


def use_scheme(browser: Any, scheme: str) -> None:
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                            {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
    assert browser.execute_script("return matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")


def texts(elements: list[Any]) -> list[str]:
    return [element.text for element in elements]


def table_rows(browser: Any, dimension: str) -> list[list[str]]:
    rows = browser.find_elements("css selector", f"table[data-breakdown={dimension}] tbody tr")
    return [texts(row.find_elements("css selector", "td"))[:7] for row in rows]


def background_lightness(browser: Any) -> float:
    colour = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(part) for part in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])
    return (red + green + blue) / (3 * 255)


def screenshot(browser: Any, path: Path) -> None:
    browser.save_screenshot(str(path))
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    keep = os.environ.get("VAULTLEDGER_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)


def test_the_page_reads_as_the_report_in_light_and_dark(loaded: tuple[Any, Path], tmp_path: Path) -> None:
    browser, config = loaded
    assert browser.get_log("browser") == []  # no error, warning or CSP report: nothing blocked, nothing fetched
    report = report_json(config, "--month", "2026-03")
    cards = [usd(report_json(config, flag, key)["totals"]["cost_usd"]) for flag, key in CARD_PERIODS]
    seen = {}
    for scheme in ("light", "dark"):
        use_scheme(browser, scheme)
        for dimension in BREAKDOWNS:
            assert table_rows(browser, dimension) == expected_rows(report, dimension), (scheme, dimension)
        totals = browser.find_elements("css selector", "dl.totals dd")
        assert {total.get_attribute("data-field"): total.text for total in totals} == expected_totals(report)
        assert texts(browser.find_elements("css selector", ".card .spent")) == cards
        seen[scheme] = browser.execute_script("return document.body.innerText")
        screenshot(browser, tmp_path / f"dashboard-{scheme}.png")
    assert seen["light"] == seen["dark"]
    assert "What reading the logs found" in seen["light"] and "Invalid log lines (not counted): 1" in seen["light"]
    assert browser.get_log("browser") == []


def test_light_and_dark_are_different_themes(loaded: tuple[Any, Path]) -> None:
    browser, _ = loaded
    use_scheme(browser, "light")
    assert background_lightness(browser) > 0.9
    use_scheme(browser, "dark")
    assert background_lightness(browser) < 0.15
    bar = browser.find_element("css selector", ".card rect.level-over")
    assert bar.value_of_css_property("fill") != "rgb(0, 0, 0)"  # the page's colours apply inside its SVG too


def test_tables_sort_by_a_column_and_back(loaded: tuple[Any, Path]) -> None:
    browser, _ = loaded
    header = browser.find_elements("css selector", "table[data-breakdown=model] thead th")
    calls = [int(row[1].replace(",", "")) for row in table_rows(browser, "model")]
    header[1].find_element("tag name", "button").click()
    assert [int(row[1].replace(",", "")) for row in table_rows(browser, "model")] == sorted(calls, reverse=True)
    assert header[1].get_attribute("aria-sort") == "descending"
    header[1].find_element("tag name", "button").click()
    assert [int(row[1].replace(",", "")) for row in table_rows(browser, "model")] == sorted(calls)
    header[0].find_element("tag name", "button").click()
    names = [row[0] for row in table_rows(browser, "model")]
    assert names == sorted(names, key=str.casefold, reverse=True) and header[1].get_attribute("aria-sort") is None


def test_names_from_the_logs_never_run(loaded: tuple[Any, Path]) -> None:
    browser, _ = loaded
    assert browser.execute_script("return document.scripts.length") == 1
    assert browser.execute_script("return document.images.length") == 0
    assert HOSTILE_MODEL in [row[0] for row in table_rows(browser, "model")]
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 (reading it is the check)
    assert NOW.date().isoformat() in browser.find_element("css selector", "p.period").text
