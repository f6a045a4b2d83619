"""Years as periods: `2026`, `--year 2026` and `--this-year` on every command that takes period flags."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.cli import app
from vaultledger.cli.fast import answer_quickly
from vaultledger.cli.period_flags import PeriodFlags, UsageMistake, choose_period
from vaultledger.errors import PeriodError
from vaultledger.periods import WeekRule, weeks_overlapping, year_of
from vaultledger.periods.parse import parse_period, parse_year

runner = CliRunner()
PERIOD_COMMANDS = ("report", "export", "budget", "rollup")


def test_a_year_is_the_calendar_year_and_steps_by_years() -> None:
    year = year_of(date(2026, 7, 4))
    assert (year.kind, year.key, year.start, year.end, year.num_days) == \
        ("year", "2026", date(2026, 1, 1), date(2026, 12, 31), 365)
    assert (year.previous().key, year.next().key, year_of(date(2028, 2, 29)).num_days) == ("2025", "2027", 366)


def test_a_years_weeks_tile_it_exactly() -> None:
    year = year_of(date(2026, 1, 1))
    weeks = weeks_overlapping(year, WeekRule.iso())
    assert sum(week.days.num_days for week in weeks) == 365
    assert [week.partial for week in (weeks[0], weeks[-1])] == [True, True]  # W01 begins in 2025, W53 ends in 2027


@pytest.mark.parametrize("text", ["2026", " 2026 "])
def test_parse_year_and_parse_period_read_yyyy(text: str) -> None:
    assert parse_year(text).key == "2026"
    assert parse_period(text, WeekRule.iso()).kind == "year"


@pytest.mark.parametrize("text", ["26", "20266", "2026-", "year", "0001", "9999"])
def test_other_text_is_not_a_year(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_year(text)


def test_year_flags_choose_a_year_and_contradict_other_flags() -> None:
    today = date(2026, 3, 14)
    assert choose_period(PeriodFlags(year="2025"), today, WeekRule.iso()).key == "2025"
    assert choose_period(PeriodFlags(this_year=True), today, WeekRule.iso()).key == "2026"
    with pytest.raises(UsageMistake, match="--year and --this-year"):
        choose_period(PeriodFlags(year="2025", this_year=True), today, WeekRule.iso())


@pytest.mark.parametrize("command", PERIOD_COMMANDS)
def test_every_period_command_takes_year_and_this_year(command: str) -> None:
    params = get_command(app).commands[command].params  # type: ignore[attr-defined]
    flags = {opt for param in params for opt in param.opts}
    assert {"--year", "--this-year"} <= flags
    assert "--year" in runner.invoke(app, [command, "--help"]).output


@pytest.fixture
def logs(logs_dir: Path) -> Path:
    write_lines(logs_dir / "2025-12-31.jsonl", call(ts="2025-12-31T12:00:00Z", id="a"))
    write_lines(logs_dir / "2026-01-01.jsonl", call(ts="2026-01-01T12:00:00Z", id="b"))
    write_lines(logs_dir / "2026-06-30.jsonl", call(ts="2026-06-30T12:00:00Z", id="c"))
    return logs_dir


def test_report_and_export_of_a_year_count_only_its_days(logs: Path) -> None:
    report = json.loads(runner.invoke(app, ["report", "--year", "2026", "--format", "json"]).output)
    assert report["period"] == {"kind": "year", "key": "2026", "start": "2026-01-01", "end": "2026-12-31"}
    assert report["totals"]["calls"] == 2
    exported = runner.invoke(app, ["export", "--year", "2025", "--format", "jsonl"]).stdout.splitlines()
    assert [json.loads(line)["id"] for line in exported] == ["a"]


@pytest.mark.parametrize("args", [["report", "--year", "2026", "--format", "json"], ["report", "--year=2025"],
                                  ["report", "--this-year", "--format", "csv"]])
def test_the_fast_report_prints_what_typer_prints_for_years(args: list[str], logs: Path,
                                                            capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    by_typer = runner.invoke(app, args)
    code = answer_quickly(args)
    fast = capsys.readouterr()
    assert (code, fast.out + fast.err) == (by_typer.exit_code, by_typer.output) and code == 0


def test_a_year_that_is_not_one_is_a_one_line_error(logs: Path) -> None:
    result = runner.invoke(app, ["report", "--year", "26"])
    assert result.exit_code == 1 and "'26' is not a year; write it YYYY" in result.output
