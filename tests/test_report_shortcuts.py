"""Report shortcuts, --by time, and --compare side by side."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.errors import PeriodError
from vaultledger.cli.period_flags import PeriodFlags, UsageMistake, choose_period, last_span
from vaultledger.periods import WeekRule

runner = CliRunner()
TODAY = dt.date(2026, 3, 18)  # a Wednesday
ISO = WeekRule.iso()


@pytest.mark.parametrize("flags,start,end", [
    (PeriodFlags(today=True), "2026-03-18", "2026-03-18"),
    (PeriodFlags(yesterday=True), "2026-03-17", "2026-03-17"),
    (PeriodFlags(this_week=True), "2026-03-16", "2026-03-22"),
    (PeriodFlags(last_week=True), "2026-03-09", "2026-03-15"),
    (PeriodFlags(this_month=True), "2026-03-01", "2026-03-31"),
    (PeriodFlags(this_quarter=True), "2026-01-01", "2026-03-31"),
    (PeriodFlags(last="7d"), "2026-03-12", "2026-03-18"),
    (PeriodFlags(last="2w"), "2026-03-05", "2026-03-18"),
    (PeriodFlags(last="1m"), "2026-02-19", "2026-03-18"),
    (PeriodFlags(quarter="2026-Q1"), "2026-01-01", "2026-03-31"),
])
def test_shortcuts_name_the_expected_days(flags: PeriodFlags, start: str, end: str) -> None:
    period = choose_period(flags, TODAY, ISO)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


def test_last_months_end_of_month() -> None:
    assert last_span("1m", dt.date(2026, 3, 31)).start == dt.date(2026, 3, 1)


def test_two_periods_or_a_bad_last_are_refused() -> None:
    with pytest.raises(UsageMistake, match="--today and --last"):
        choose_period(PeriodFlags(today=True, last="7d"), TODAY, ISO)
    with pytest.raises(PeriodError):
        choose_period(PeriodFlags(last="7y"), TODAY, ISO)
    assert choose_period(PeriodFlags(), TODAY, ISO) is None


@pytest.fixture
def two_quarters(logs_dir: Path) -> Path:
    write_lines(logs_dir / "2025-12-10.jsonl", call(ts="2025-12-10T09:00:00Z"), call(ts="2025-12-10T10:00:00Z"))
    write_lines(logs_dir / "2026-02-10.jsonl", call(ts="2026-02-10T09:00:00Z"),
                call(ts="2026-02-10T09:30:00Z", provider="anthropic", model="claude-haiku-4-5", input_tokens=1000,
                     output_tokens=100))
    write_lines(logs_dir / "2026-02-12.jsonl", call(ts="2026-02-12T09:00:00Z"))
    return logs_dir


def test_compare_shows_both_periods_and_the_change(two_quarters: Path) -> None:
    result = runner.invoke(app, ["report", "--quarter", "2026Q1", "--compare", "2025Q4", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["compare_to"]["key"] == "2025Q4"
    rows = {row["key"]: row for row in document["by_provider"]}
    assert rows["openai"]["change"] == "+0 %" and rows["anthropic"]["change"] == "new"
    table = runner.invoke(app, ["report", "--quarter", "2026Q1", "--compare", "2025Q4"]).output
    assert "2025Q4" in table and "new" in table


def test_by_day_lists_every_day_in_order(two_quarters: Path) -> None:
    result = runner.invoke(app, ["report", "--from", "2026-02-10", "--to", "2026-02-12", "--by", "day",
                                 "--format", "json"])
    rows = json.loads(result.output)["by_day"]
    assert [(row["key"], row["calls"]) for row in rows] == [("2026-02-10", 2), ("2026-02-11", 0), ("2026-02-12", 1)]
    csv_text = runner.invoke(app, ["report", "--month", "2026-02", "--by", "week", "--format", "csv"]).output
    assert csv_text.splitlines()[0].startswith("week,calls")


def test_by_tag_and_app(logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z", tags=["a", "b"], app="bot"))
    result = runner.invoke(app, ["report", "--day", "2026-03-14", "--by", "tag", "--format", "json"])
    assert [row["key"] for row in json.loads(result.output)["by_tag"]] == ["a", "b"]


def test_contradictory_flags_exit_2(logs_dir: Path) -> None:
    assert runner.invoke(app, ["report", "--today", "--last", "7d"]).exit_code == 2
    assert runner.invoke(app, ["report", "--from", "2026-03-01"]).exit_code == 2
