"""`vaultledger dashboard`: one offline HTML page whose figures are the report's, pinned by golden files
(page and chart), read back with an HTML parser, written by the real CLI and by the nightly run.

The browser half (Chromium: console, visible text in light and dark, sorting, a screenshot) is in
test_dashboard_browser.py; it reuses this file's world and expectations.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.budgets import parse_budgets
from vaultledger.cli import app
from vaultledger.ledger import Ledger
from vaultledger.notes.escape import plain_label
from vaultledger.periods import WeekRule
from vaultledger.periods.parse import parse_month
from vaultledger.pricing import PriceBook, format_usd, parse_price_overrides
from vaultledger.ledger.savings import cache_savings
from vaultledger.reports.dashboard import content_security_policy, dashboard_html, render_dashboard
from vaultledger.reports.dashboard_data import gather_dashboard
from vaultledger.reports.svg import StackedBars, nice_top, stacked_bar_svg
from vaultledger.settings import resolve_settings

runner = CliRunner()
GOLDEN = Path(__file__).parent / "golden" / "dashboard"
NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.timezone.utc)
HOSTILE_MODEL = '<script>alert("model")</script>'
HOSTILE_PROJECT = '"><img src=x onerror=alert(1)>'
CONFIG = """
timezone = "UTC"
logs = "logs"

[[prices]]
provider = "openai"
model = "gpt-4o*"
input = 2.5
output = 10
cache_read = 1.25

[[prices]]
provider = "anthropic"
model = "claude-*"
input = 3
output = 15
cache_read = 0.3
cache_write = 3.75
cache_write_1h = 6

[budgets]
daily = 0.6
monthly = 5

[budgets.project.orbis]
weekly = 0.05
quarterly = 100
"""
COUNT_COLUMNS = ("calls", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
BREAKDOWNS = ("provider", "model", "project", "use_case", "app")


def write_world(root: Path) -> Path:
    """A config and a month of logs with every kind of figure the page shows; returns the config."""
    logs = root / "logs"
    write_lines(logs / "2026-02-20.jsonl", call(ts="2026-02-20T10:00:00Z", model="gpt-4o", cost_usd=2))
    write_lines(logs / "2026-03-02.jsonl",
                call(ts="2026-03-02T09:00:00Z", model="gpt-4o", input_tokens=1200, cache_read_tokens=200,
                     output_tokens=300, app="poet", project="poetry", use_case="poem", unit_id="p1", id="o1"))
    claude = dict(provider="anthropic", model="claude-sonnet-4-5", app="claude-code", project="orbis", use_case="code")
    write_lines(logs / "2026-03-09.jsonl",
                call(ts="2026-03-09T09:00:00Z", input_tokens=50_000, cache_read_tokens=40_000, cache_write_tokens=5000,
                     cache_write_1h_tokens=1000, output_tokens=800, unit_id="c1", id="a1", **claude))
    write_lines(logs / "2026-03-13.jsonl",
                call(ts="2026-03-13T22:00:00Z", input_tokens=9000, cache_read_tokens=8000, output_tokens=120,
                     unit_id="c2", id="a2", **claude))
    write_lines(logs / "2026-03-14.jsonl",
                call(ts="2026-03-14T08:00:00Z", provider="mistral", model="mystery-9", app="poet", project="poetry"),
                call(ts="2026-03-14T09:00:00Z", model="gpt-4o", cost_usd=0.5, app="poet", use_case="poem",
                     unit_id="p2"),
                call(ts="2026-03-14T10:00:00Z", provider="acme", model=HOSTILE_MODEL, project=HOSTILE_PROJECT,
                     app="</style><b>app</b>"),
                call(ts="2026-03-14T11:00:00Z", model="gpt-4o", input_tokens=20, output_tokens=5, id="o3"),
                call(ts="2026-03-14T11:30:00Z", model="gpt-4o", input_tokens=10, output_tokens=5, id="o3"),
                "not json")
    config = root / "vaultledger.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def page_for(config: Path, period: str = "2026-03", now: dt.datetime = NOW) -> str:
    settings = resolve_settings(config=config)
    return dashboard_html(settings, Ledger.from_settings(settings, parallel=False), parse_month(period),
                          WeekRule.iso(), now)


def report_json(config: Path, *flags: str) -> dict:
    """`report --format json --by app` through the real CLI: every breakdown the page shows."""
    result = runner.invoke(app, ["report", *flags, "--format", "json", "--by", "app", "--config", str(config)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def usd(value: float) -> str:
    return format_usd(Decimal(str(value)))


def expected_rows(report: dict, dimension: str) -> list[list[str]]:
    """What each row of a breakdown table must read: key, counts, cost (and its unpriced calls)."""
    rows = []
    for row in report[f"by_{dimension}"]:
        cost = usd(row["cost_usd"]) + (f" +{row['unpriced_calls']:,} unpriced" if row["unpriced_calls"] else "")
        rows.append([plain_label(row["key"]), *(f"{row[field]:,}" for field in COUNT_COLUMNS), cost])
    return rows


def expected_totals(report: dict) -> dict[str, str]:
    totals = report["totals"]
    shown = {field: f"{totals[field]:,}" for field in (*COUNT_COLUMNS, "reasoning_tokens", "unpriced_calls")}
    return {**shown, "cost_usd": usd(totals["cost_usd"])}


class PageReader(HTMLParser):
    """The text of each breakdown table's cells, of the totals, and every script and external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.totals: dict[str, str] = {}
        self.scripts = 0
        self.references: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._total: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.scripts += tag == "script"
        self.references += [f"{tag} {name}={value}" for name, value in attrs
                            if name in ("src", "href", "srcset", "action", "poster", "data") or name.startswith("on")]
        if tag == "table" and found.get("data-breakdown"):
            self._table = found["data-breakdown"]
            self.tables[self._table] = []
        elif tag == "tbody" and self._table:
            self.tables[self._table] = []  # rows start here: the header row is not one
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag == "td" and self._table:
            self._cell = []
        elif tag == "dd":
            self._total = found.get("data-field")
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._table and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "dd" and self._total:
            self.totals[self._total] = "".join(self._cell or [])
            self._cell = self._total = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    return reader


def test_the_page_equals_its_golden(tmp_path: Path) -> None:
    """Same logs, config and "now" → the same bytes; regenerate with VAULTLEDGER_WRITE_GOLDEN=1 and review."""
    page = page_for(write_world(tmp_path))
    golden = GOLDEN / "march-2026.html"
    if os.environ.get("VAULTLEDGER_WRITE_GOLDEN"):
        golden.write_text(page, encoding="utf-8")
    assert page == golden.read_text(encoding="utf-8")
    assert page == page_for(tmp_path / "vaultledger.toml")


def test_the_chart_equals_its_golden() -> None:
    chart = StackedBars(["2026-03-12", "2026-03-13", "2026-03-14"],
                        [("anthropic", [Decimal("1.5"), Decimal(0), Decimal("0.25")]),
                         ("open<ai>", [Decimal("0.5"), Decimal(0), Decimal("0.0045")])],
                        "Cost per day", format_usd)
    svg = stacked_bar_svg(chart)
    golden = GOLDEN / "chart.svg"
    if os.environ.get("VAULTLEDGER_WRITE_GOLDEN"):
        golden.write_text(svg + "\n", encoding="utf-8")
    assert svg + "\n" == golden.read_text(encoding="utf-8")
    assert svg.count("<rect ") == 4 and "open&lt;ai&gt;" in svg and "<ai>" not in svg


@pytest.mark.parametrize("value,top", [("0", "1"), ("0.004", "0.005"), ("1", "1"), ("1.01", "2"), ("2.5", "5"),
                                       ("7", "10"), ("1234", "2000")])
def test_the_chart_top_is_a_round_number_at_or_above_the_largest_day(value: str, top: str) -> None:
    assert nice_top(Decimal(value)) == Decimal(top)


def test_every_figure_on_the_page_is_the_reports(tmp_path: Path) -> None:
    config = write_world(tmp_path)
    page = read_page(page_for(config))
    report = report_json(config, "--month", "2026-03")
    for dimension in BREAKDOWNS:
        assert [row[:7] for row in page.tables[dimension]] == expected_rows(report, dimension), dimension
    assert page.totals == expected_totals(report)
    assert report["totals"]["unpriced_calls"] == 2 and report["problems"]["invalid_lines"] == 1


def test_the_cards_show_today_this_week_month_and_quarter_as_the_report_counts_them(tmp_path: Path) -> None:
    config = write_world(tmp_path)
    settings = resolve_settings(config=config)
    data = gather_dashboard(Ledger.from_settings(settings, parallel=False), parse_month("2026-03"),
                            parse_budgets(settings.budgets), WeekRule.iso(), NOW.date())
    flags = [("--day", "2026-03-14"), ("--week", "2026-W11"), ("--month", "2026-03"), ("--quarter", "2026Q1")]
    for card, (flag, key) in zip(data.cards, flags, strict=True):
        assert card.period.key == key
        assert float(card.totals.cost) == pytest.approx(report_json(config, flag, key)["totals"]["cost_usd"], abs=1e-9)
    weekly = data.cards[1].budgets[0]
    assert (weekly.budget.name, weekly.level) == ("orbis", "over")  # a $0.05 budget; the 03-09 call alone is more
    assert data.cards[0].budgets[0].level == "warning"  # $0.50 of $0.60 today
    assert [status.budget.kind for status in data.cards[3].budgets] == ["quarterly"]


def test_the_page_fetches_nothing_and_runs_only_its_own_script(tmp_path: Path) -> None:
    html = page_for(write_world(tmp_path))
    page = read_page(html)
    assert page.references == [] and page.scripts == 1
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg\")|@import|url\(", html)
    style = re.search(r"<style>(.*?)</style>", html, re.S)[1]
    script = re.search(r"<script>(.*?)</script>", html, re.S)[1]
    policy = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)[1])
    assert policy == content_security_policy(style, script)
    assert policy.startswith("default-src 'none'; ") and "unsafe" not in policy


def test_names_from_the_logs_stay_text(tmp_path: Path) -> None:
    html = page_for(write_world(tmp_path))
    assert HOSTILE_MODEL not in html and "<img" not in html and "<b>app" not in html
    assert "&lt;script&gt;alert(&#34;model&#34;)&lt;/script&gt;" in html
    assert HOSTILE_MODEL in [row[0] for row in read_page(html).tables["model"]]


def test_cache_savings_are_worth_reads_at_the_input_rate_less_the_writes_premium(tmp_path: Path) -> None:
    book = PriceBook(parse_price_overrides([{"provider": "anthropic", "model": "claude-*", "input": 3, "output": 15,
                                             "cache_read": 0.3, "cache_write": 3.75, "cache_write_1h": 6}], "test"))
    write_lines(tmp_path / "logs" / "2026-03-09.jsonl",
                call(ts="2026-03-09T09:00:00Z", provider="anthropic", model="claude-sonnet-4-5", input_tokens=3_000_000,
                     cache_read_tokens=1_000_000, cache_write_tokens=1_000_000, cache_write_1h_tokens=400_000),
                call(ts="2026-03-09T10:00:00Z", provider="acme", model="unknown", input_tokens=10, cache_read_tokens=5))
    days = Ledger(tmp_path / "logs", "UTC", book, parallel=False).days(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    savings = cache_savings(days, book)
    assert savings.saved_on_reads == Decimal("2.7")  # 1M × ($3 − $0.30) / M
    assert savings.paid_for_writes == Decimal("0.45") + Decimal("1.2")  # 600k × $0.75 + 400k × $3, per M
    assert savings.net == Decimal("1.05") and savings.calls_not_valued == 1
    assert savings.read_tokens == 1_000_005


def test_the_cli_writes_the_page_and_says_where(tmp_path: Path) -> None:
    config = write_world(tmp_path)
    target = tmp_path / "site" / "costs.html"
    result = runner.invoke(app, ["dashboard", "--month", "2026-03", "-o", str(target), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {target}\n"
    page = read_page(target.read_text(encoding="utf-8"))
    assert page.totals == expected_totals(report_json(config, "--month", "2026-03"))
    assert [path.name for path in target.parent.iterdir()] == ["costs.html"]  # no temp file left beside it


def test_with_no_period_the_page_shows_the_last_30_days(tmp_path: Path) -> None:
    settings = resolve_settings(config=write_world(tmp_path))
    default = dashboard_html(settings, Ledger.from_settings(settings, parallel=False), None, WeekRule.iso(), NOW)
    assert '"period.start">2026-02-13</span> to <span data-field="period.end">2026-03-14' in default
    assert read_page(default).totals["calls"] == "8"  # Feb 20 … Mar 14; the repeated id counts once


def test_a_page_that_cannot_be_written_is_a_one_line_error(tmp_path: Path) -> None:
    config = write_world(tmp_path)
    (tmp_path / "blocker").write_text("a file, not a folder")
    result = runner.invoke(app, ["dashboard", "-o", str(tmp_path / "blocker" / "costs.html"), "--config", str(config)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"vaultledger: {tmp_path / 'blocker' / 'costs.html'}: cannot write the dashboard")


def test_an_empty_logs_folder_gives_a_page_of_zeros(tmp_path: Path) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text('timezone = "UTC"\nlogs = "logs"\n', encoding="utf-8")
    (tmp_path / "logs").mkdir()
    html = page_for(config)
    assert read_page(html).totals["cost_usd"] == "$0.00"
    assert "No cache reads or writes in this period." in html and "Every call in this period is priced." in html
    assert html.count("no daily budget set") == 1 and "<rect class=\"series" not in html


def test_the_nightly_run_writes_the_page_the_config_names(tmp_path: Path, vault: Path) -> None:
    """The nightly run knows only the clock: the page shows the last 30 days up to today."""
    config = write_world(tmp_path)
    config.write_text(CONFIG + '\n[dashboard]\npath = "site/costs.html"\n', encoding="utf-8")
    today = dt.datetime.now(dt.timezone.utc).date()
    write_lines(tmp_path / "logs" / f"{today}.jsonl", call(ts=f"{today}T00:00:00Z", model="gpt-4o", cost_usd=3))
    assert runner.invoke(app, ["rollup", "--config", str(config)]).exit_code == 0
    page = read_page((tmp_path / "site" / "costs.html").read_text(encoding="utf-8"))
    assert page.totals == expected_totals(report_json(config, "--last", "30d"))
    assert page.totals["cost_usd"].startswith("$3.")
    config.write_text(CONFIG, encoding="utf-8")  # no [dashboard]: no page
    (tmp_path / "site" / "costs.html").unlink()
    assert runner.invoke(app, ["rollup", "--config", str(config)]).exit_code == 0
    assert not (tmp_path / "site").joinpath("costs.html").exists()


@pytest.mark.parametrize("table", ['path = 3', 'path = ""', 'path = "a.html"\nopen = true', 'pth = "a.html"'])
def test_a_wrong_dashboard_table_is_a_config_error(tmp_path: Path, table: str) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text(f'timezone = "UTC"\n[dashboard]\n{table}\n', encoding="utf-8")
    result = runner.invoke(app, ["report", "--config", str(config)])
    assert result.exit_code == 1
    assert "config [dashboard] takes one key, path = \"costs.html\"" in result.stderr


def test_budget_bars_stop_at_full_and_say_the_real_share(tmp_path: Path) -> None:
    html = page_for(write_world(tmp_path))
    bars = re.findall(r'aria-valuenow="([\d.]+)"><rect class="track" width="100" height="6"/>'
                      r'<rect class="level-(\w+)" width="([\d.]+)"', html)
    assert ("over", "100") in [(level, width) for _, level, width in bars]
    assert any(float(now) > 100 for now, _, _ in bars)


@pytest.mark.skipif(os.name == "nt", reason="the stand-in browser is a shell script")
def test_open_shows_the_written_page_in_the_users_browser(tmp_path: Path) -> None:
    """`--open` hands the file's URL to the browser $BROWSER names (here a script that notes it)."""
    config = write_world(tmp_path)
    browser = tmp_path / "browser"
    browser.write_text(f"#!/bin/sh\necho \"$1\" > {tmp_path / 'opened'}\n")
    browser.chmod(0o755)
    target = tmp_path / "costs.html"
    done = subprocess.run([sys.executable, "-m", "vaultledger", "dashboard", "--month", "2026-03", "-o", str(target),
                           "--open", "--config", str(config)], env={**os.environ, "BROWSER": str(browser)},
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"wrote {target}\n", "")
    assert (tmp_path / "opened").read_text() == target.as_uri() + "\n"
