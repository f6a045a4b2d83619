"""What the sections show, read back as a Markdown reader reads them: checks a golden file written by the code
under test could not fake. One callout per budget block, cost first, no `0 %` for spending, money that adds
up as shown, links that lead somewhere, and words that agree with the figures."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.gfm import gfm_plugin
from typer.testing import CliRunner

from conftest import write_lines
from vaultledger.cli import app
from vaultledger.notes.chart import BACKGROUNDS, contrast
from vaultledger.pricing import format_usd

runner = CliRunner()
READER = MarkdownIt("commonmark").use(gfm_plugin)
PERIODIC_NOTES = {
    "daily": {"enabled": True, "format": "YYYY/MM/YYYY-MM-DD", "folder": "Journal/Daily"},
    "weekly": {"enabled": True, "format": "GGGG-[W]WW", "folder": "Journal/Weekly"},
    "monthly": {"enabled": True, "format": "YYYY-MM", "folder": "Journal/Monthly"},
    "quarterly": {"enabled": True, "format": "YYYY-[Q]Q", "folder": "Journal/Quarterly"},
}
# (provider, model, input, output, cache read): known prices, a local model, and one nobody prices.
MODELS = [
    ("anthropic", "claude-sonnet-4-5-20250929", 6000, 700, 2000),
    ("openai", "gpt-4o-mini", 1800, 350, 0),
    ("gcp.gemini", "gemini-2.5-flash", 4000, 600, 0),
    ("ollama", "llama3.1:8b", 1200, 500, 0),
    ("acme", "mystery-1", 900, 200, 0),
]
NUMBER = re.compile(r"^\**(?:[-+−]?<?\$?[\d,]+(?:\.\d+)?(?: %)?|<1 %|—)\**$")
WIKILINK = re.compile(r"\[\[([^\[\]|\\]+?)(?:\\?\|[^\[\]]*)?\]\]")
CODE_SPAN = re.compile(r"`[^`\n]*`")


# ---------------------------------------------------------------- a vault and its logs


def write_usage(logs: Path, first: dt.date, last: dt.date, busier_from: dt.date | None = None) -> None:
    """A few calls a day from every model, more of them from `busier_from` on; projects and units too."""
    day, serial = first, 0
    while day <= last:
        calls = 3 + (day.toordinal() % 4) + (4 if busier_from and day >= busier_from else 0)
        records = []
        for number in range(calls):
            provider, model, tokens_in, tokens_out, cached = MODELS[(day.toordinal() + number) % len(MODELS)]
            serial += 1
            records.append({
                "v": 1, "ts": f"{day.isoformat()}T{8 + number:02d}:00:00Z", "provider": provider, "model": model,
                "input_tokens": tokens_in + 37 * number, "output_tokens": tokens_out, "cache_read_tokens": cached,
                "id": f"r{serial}", "project": ("orbis", "poetry")[number % 2], "use_case": ("code", "poem")[number % 2],
                "unit_id": f"u{serial // 3}"})
        write_lines(logs / f"{day.isoformat()}.jsonl", *records)
        day += dt.timedelta(days=1)


@pytest.fixture
def journal(tmp_path: Path, vault: Path, logs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A vault with Periodic Notes (daily notes in dated subfolders) and a config with budgets set tight."""
    plugin = vault / ".obsidian" / "plugins" / "periodic-notes"
    plugin.mkdir(parents=True)
    (plugin / "data.json").write_text(json.dumps(PERIODIC_NOTES))
    (vault / ".obsidian" / "community-plugins.json").write_text('["periodic-notes"]')  # enabled
    config = tmp_path / "vaultledger.toml"
    config.write_text("properties = true\n[budgets]\ndaily = 0.02\nweekly = 0.12\nmonthly = 0.45\nquarterly = 2\n"
                      "[budgets.project.poetry]\nmonthly = 0.2\n")
    monkeypatch.setenv("VAULTLEDGER_CONFIG", str(config))
    write_usage(logs_dir, dt.date(2026, 1, 1), dt.date(2026, 3, 31), busier_from=dt.date(2026, 3, 16))
    return vault


def rollup(*args: str) -> str:
    result = runner.invoke(app, ["rollup", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def block_of(note: Path, kind: str) -> str:
    text = note.read_text(encoding="utf-8")
    return text.split(f"%% vaultledger:begin {kind} %%\n", 1)[1].split(f"%% vaultledger:end {kind} %%", 1)[0]


# ---------------------------------------------------------------- reading Markdown back


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    in_callout: bool

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]


def tables(markdown: str) -> Iterator[Table]:
    tokens = READER.parse(markdown)
    depth, table, row = 0, None, None
    for token in tokens:
        if token.type == "blockquote_open":
            depth += 1
        elif token.type == "blockquote_close":
            depth -= 1
        elif token.type == "table_open":
            table = Table([], [], depth > 0)
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and row is not None:
            row.append(token.content)
        elif token.type == "tr_close":
            assert table is not None and row is not None
            (table.rows if table.header else table.header).extend([row] if table.header else row)
            row = None
        elif token.type == "table_close":
            assert table is not None
            yield table
            table = None


def callouts(markdown: str) -> list[list[str]]:
    """Each top-level blockquote as its source lines (without `> `)."""
    found: list[list[str]] = []
    current: list[str] | None = None
    for line in markdown.split("\n"):
        if line.startswith(">"):
            if current is None:
                current = []
                found.append(current)
            current.append(line[1:].removeprefix(" "))
        else:
            current = None
    return found


def properties(note: Path) -> dict[str, str]:
    head = note.read_text(encoding="utf-8").split("---\n")[1]
    return dict(line.split(": ", 1) for line in head.strip().split("\n"))


def money(cell: str) -> Decimal:
    return Decimal(cell.strip("*").replace("$", "").replace(",", "").lstrip("<"))


def first_numeric_column(table: Table) -> str | None:
    for index, name in enumerate(table.header):
        cells = [row[index] for row in table.rows]
        if index and cells and all(NUMBER.match(cell.strip()) or not cell.strip() for cell in cells):
            return name
    return None


# ---------------------------------------------------------------- the checks


def test_one_callout_holds_every_budget_and_takes_the_worst_level(journal: Path) -> None:
    rollup("--day", "2026-03-20")
    block = block_of(journal / "Journal/Daily/2026/03/2026-03-20.md", "daily")
    for lines in callouts(block):
        assert re.match(r"\[!\w+\]", lines[0]), lines  # every quote is a callout, begun on its first line
        assert not any("[!" in line for line in lines[1:]), lines  # and no second callout inside it
    [budget] = [lines for lines in callouts(block) if "budget" in lines[0].lower()]
    budget_table = next(table for table in tables("\n".join(budget)))
    assert len(budget_table.rows) == 5  # daily, weekly, monthly, quarterly and the project's monthly one
    used = [Decimal(cell.split()[0]) for cell in budget_table.column("Used") if cell[0].isdigit()]
    assert max(used) > 100 and budget[0].startswith("[!danger] Over budget: ")


def test_cost_is_the_first_numeric_column_of_every_table(journal: Path) -> None:
    rollup()
    notes = sorted(journal.rglob("*.md"))
    assert len(notes) > 100
    seen = 0
    for note in notes:
        for table in tables(note.read_text(encoding="utf-8")):
            assert first_numeric_column(table) in ("Cost", "Spent"), (note, table.header)
            seen += 1
    assert seen > 400


def test_a_share_of_spending_never_shows_as_0_percent(journal: Path, logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-20.jsonl",
                {"v": 1, "ts": "2026-03-20T23:00:00Z", "provider": "acme", "model": "tiny", "input_tokens": 1,
                 "output_tokens": 1, "cost_usd": 0.0000015},
                {"v": 1, "ts": "2026-03-20T23:30:00Z", "provider": "acme", "model": "dear", "input_tokens": 1,
                 "output_tokens": 1, "cost_usd": 50})
    rollup("--day", "2026-03-20")
    rollup("--quarter", "2026Q1")
    shares = 0
    for note in (journal / "Journal/Daily/2026/03/2026-03-20.md", journal / "Journal/Quarterly/2026-Q1.md"):
        for table in tables(note.read_text(encoding="utf-8")):
            for name, cost_name in (("Share", "Cost"), ("Used", "Spent")):
                if name in table.header:
                    for share, cost in zip(table.column(name), table.column(cost_name)):
                        assert share != "0 %" or money(cost) == 0, (note.name, table.header)
                        shares += 1
    assert shares > 20
    assert "| tiny | $0.0000015 | <1 % |" in (journal / "Journal/Daily/2026/03/2026-03-20.md").read_text()


def test_money_left_is_the_limit_minus_the_spending_as_shown(journal: Path) -> None:
    rollup()
    checked = 0
    for note in journal.rglob("*.md"):
        for table in tables(note.read_text(encoding="utf-8")):
            if "Left" in table.header:
                for spent, limit, left in zip(table.column("Spent"), table.column("Limit"), table.column("Left")):
                    assert left == format_usd(money(limit) - money(spent)), (note.name, spent, limit, left)
                    checked += 1
    assert checked > 100


def test_every_link_leads_to_a_note_after_the_nightly_run_and_after_explicit_rollups(journal: Path) -> None:
    rollup()
    for args in (["--week", "2026-W12"], ["--quarter", "2026Q1"], ["--day", "2026-02-03"]):
        assert "updated" not in rollup(*args), args  # the nightly run's links are the explicit runs' links
    links = 0
    for note in journal.rglob("*.md"):
        for target in WIKILINK.findall(CODE_SPAN.sub("", note.read_text(encoding="utf-8"))):
            assert (journal / f"{target}.md").is_file(), (note, target)
            links += 1
    assert links > 400
    day = (journal / "Journal/Daily/2026/03/2026-03-20.md").read_text()
    assert ("Part of [[Journal/Weekly/2026-W12|2026-W12]] · [[Journal/Monthly/2026-03|2026-03]] · "
            "[[Journal/Quarterly/2026-Q1|2026Q1]]") in day
    week = (journal / "Journal/Weekly/2026-W12.md").read_text()
    assert "| [[Journal/Daily/2026/03/2026-03-16\\|Mon 2026-03-16]] |" in week


def test_a_note_links_no_kind_of_note_the_vault_does_not_write(vault: Path, logs_dir: Path) -> None:
    write_usage(logs_dir, dt.date(2026, 3, 10), dt.date(2026, 3, 12))
    config = vault.parent / "vaultledger.toml"
    config.write_text("[notes.weekly]\nenabled = false\n[notes.quarterly]\nenabled = false\n")
    rollup("--config", str(config))
    assert not (vault / "2026-W11.md").exists()
    assert "[[" not in CODE_SPAN.sub("", (vault / "2026-03-11.md").read_text())


def test_a_period_after_one_without_usage_says_so(journal: Path) -> None:
    rollup("--quarter", "2026Q1")
    rollup("--week", "2026-W01")
    quarter = (journal / "Journal/Quarterly/2026-Q1.md").read_text()
    assert "> - No usage logged in 2025Q4.\n" in quarter and "nothing" not in quarter
    week = (journal / "Journal/Weekly/2026-W01.md").read_text()
    assert "\nNo usage logged last week (2025-W52).\n" in week


def test_the_change_against_last_week_is_said_in_words(journal: Path) -> None:
    rollup("--week", "2026-W12")
    rollup("--week", "2026-W11")
    week = (journal / "Journal/Weekly/2026-W12.md").read_text()
    now_cost, then_cost = (properties(journal / f"Journal/Weekly/{key}.md")["llm_cost_usd"]
                           for key in ("2026-W12", "2026-W11"))
    percent = round((Decimal(now_cost) - Decimal(then_cost)) / Decimal(then_cost) * 100)
    assert percent > 0 and (f"\n{percent} % more than last week ([[Journal/Weekly/2026-W11|2026-W11]]), "
                            f"which cost {format_usd(Decimal(then_cost))}.\n") in week


def test_the_review_names_the_busy_weeks_and_the_chart_shows_cost_per_day(journal: Path) -> None:
    rollup("--quarter", "2026Q1")
    quarter = block_of(journal / "Journal/Quarterly/2026-Q1.md", "quarterly")
    summary = callouts(quarter)[0]
    assert summary[0] == "[!summary] 2026Q1 in brief"
    assert re.search(r"^- Rising: about \+\d+ % a week, and the second half cost \$[\d.]+, \d+ % more", "\n".join(
        summary), re.M)
    assert "[[Journal/Weekly/2026-W13|2026-W13]]" in "\n".join(summary)  # a busy week stood out
    weeks = next(table for table in tables(quarter) if table.header[0] == "Week")
    chart = re.search(r'bar \[(.*)\]\n    line \[(.*)\]', quarter)
    assert chart is not None
    bars = [Decimal(value) for value in chart.group(1).split(", ")]
    for row, bar in zip(weeks.rows, bars):
        days = int(row[weeks.header.index("Days")])
        assert abs(bar - money(row[1]) / days) < Decimal("0.01"), row  # per day: a short week is no dip
    assert {Decimal(value) for value in chart.group(2).split(", ")} == {(Decimal(2) / 90).quantize(bars[0])}


def test_the_chart_colours_keep_3_to_1_contrast_on_light_and_dark_backgrounds(journal: Path) -> None:
    rollup("--quarter", "2026Q1")
    init = re.search(r'"plotColorPalette": "([^"]+)"', (journal / "Journal/Quarterly/2026-Q1.md").read_text())
    assert init is not None
    for colour in init.group(1).split(", "):
        for name, background in BACKGROUNDS.items():
            assert contrast(colour, background) >= 3, (colour, name)


def test_providers_read_as_people_name_them(journal: Path) -> None:
    rollup("--day", "2026-03-20")
    providers = next(table for table in tables((journal / "Journal/Daily/2026/03/2026-03-20.md").read_text())
                     if table.header[0] == "Provider")
    assert {row[0] for row in providers.rows} == {"Anthropic", "OpenAI", "Gemini", "Ollama", "acme"}
    assert providers.in_callout  # the breakdowns sit folded away


def test_one_kind_of_note_sums_to_the_quarter(journal: Path) -> None:
    """What a Bases or Dataview sum over `llm_period` sees: the days add up to the quarter, once."""
    rollup()
    by_period: dict[str, list[Decimal]] = {}
    for note in journal.rglob("*.md"):
        values = properties(note)
        by_period.setdefault(values["llm_period"], []).append(Decimal(values["llm_cost_usd"]))
    assert set(by_period) == {"day", "week", "month", "quarter"}
    [quarter] = by_period["quarter"]
    assert abs(sum(by_period["day"]) - quarter) < Decimal("0.0001")
    assert abs(sum(by_period["month"]) - quarter) < Decimal("0.0001")
