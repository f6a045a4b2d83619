"""Budgets against real log files and a real config: current periods, named periods, the table, the CLI."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.budgets.report import budget_table, evaluate_budgets
from vaultledger.budgets import Budget, BudgetStatus, parse_budgets
from vaultledger.cli import app
from vaultledger.errors import ConfigError, PeriodError
from vaultledger.periods import WeekRule, month_of
from vaultledger.periods.parse import parse_month, parse_range, parse_week
from vaultledger.settings import Settings, resolve_settings

ISO = WeekRule.iso()
NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.timezone.utc)

BUDGETS_TOML = """
[budgets]
daily = 4
monthly = 50

[budgets.project.orbis]
quarterly = 60

[budgets.provider.claude]   # an alias: counts anthropic's calls
monthly = 100

[budgets.model."openai/gpt-4o"]
monthly = 8
"""


@pytest.fixture
def march_logs(logs_dir: Path) -> Path:
    """Known costs (cost_usd) on four days: Feb 10 $40 orbis, Mar 1 $10 orbis gpt-4o, Mar 10 $20 claude, Mar 14 $5."""
    write_lines(logs_dir / "2026-02-10.jsonl", call(ts="2026-02-10T10:00:00Z", project="orbis", cost_usd=40))
    write_lines(logs_dir / "2026-03-01.jsonl",
                call(ts="2026-03-01T10:00:00Z", model="gpt-4o", project="orbis", cost_usd=10))
    write_lines(logs_dir / "2026-03-10.jsonl",
                call(ts="2026-03-10T10:00:00Z", provider="anthropic", model="claude-sonnet-4-5", cost_usd=20))
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T10:00:00Z", cost_usd=5))
    return logs_dir


def settings_with(tmp_path: Path, toml: str, tz: str | None = None) -> Settings:
    config = tmp_path / "vaultledger.toml"
    config.write_text(toml, encoding="utf-8")
    return resolve_settings(config=config, tz=tz)


def by_label(statuses: list[BudgetStatus]) -> dict[str, BudgetStatus]:
    return {status.label: status for status in statuses}


def test_current_periods_show_spent_share_days_and_projection(march_logs: Path, tmp_path: Path) -> None:
    statuses = by_label(evaluate_budgets(settings_with(tmp_path, BUDGETS_TOML), None, ISO, now=NOW))
    monthly = statuses["Monthly budget (all usage)"]
    assert (monthly.key, monthly.spent, monthly.amount, monthly.remaining) == ("2026-03", 35, 50, 15)
    assert (monthly.share_text, monthly.level, monthly.days_left) == ("70 %", "ok", 17)
    assert monthly.daily_average == Decimal("2.5")
    assert monthly.projection == Decimal("77.5")  # $2.50 a day over 31 days
    daily = statuses["Daily budget (all usage)"]
    assert (daily.key, daily.spent, daily.level, daily.over_by, daily.projection) == ("2026-03-14", 5, "over", 1, 5)
    orbis = statuses["Quarterly budget (project orbis)"]
    assert (orbis.key, orbis.spent, orbis.level) == ("2026Q1", 50, "warning")


def test_scoped_budgets_count_only_their_calls(march_logs: Path, tmp_path: Path) -> None:
    statuses = by_label(evaluate_budgets(settings_with(tmp_path, BUDGETS_TOML), None, ISO, now=NOW))
    assert statuses["Monthly budget (provider anthropic)"].spent == 20
    gpt_4o = statuses["Monthly budget (model openai/gpt-4o)"]
    assert (gpt_4o.spent, gpt_4o.level) == (10, "over")  # gpt-4o-mini's $5 is another model


def test_named_past_month_uses_monthly_budgets_and_actual_spend(march_logs: Path, tmp_path: Path) -> None:
    settings = settings_with(tmp_path, BUDGETS_TOML)
    statuses = evaluate_budgets(settings, parse_month("2026-02"), ISO, now=NOW)
    assert {status.budget.kind for status in statuses} == {"monthly"}
    overall = by_label(statuses)["Monthly budget (all usage)"]
    assert (overall.key, overall.spent, overall.level) == ("2026-02", 40, "warning")  # 80 % is the warning line
    assert (overall.has_ended, overall.days_left, overall.projection) == (True, 0, 40)


def test_named_future_month_has_nothing_spent_or_projected(march_logs: Path, tmp_path: Path) -> None:
    statuses = evaluate_budgets(settings_with(tmp_path, BUDGETS_TOML), parse_month("2026-05"), ISO, now=NOW)
    overall = by_label(statuses)["Monthly budget (all usage)"]
    assert (overall.spent, overall.projection, overall.daily_average) == (0, 0, 0)
    assert (overall.has_started, overall.days_left, overall.level) == (False, 31, "ok")


def test_a_named_period_without_budgets_of_its_kind_says_which_exist(march_logs: Path, tmp_path: Path) -> None:
    settings = settings_with(tmp_path, BUDGETS_TOML)
    with pytest.raises(PeriodError, match=r"no weekly budget for 2026-W11: .*daily, monthly, quarterly.*--month"):
        evaluate_budgets(settings, parse_week("2026-W11", ISO), ISO, now=NOW)
    with pytest.raises(PeriodError, match="not a date range"):
        evaluate_budgets(settings, parse_range("2026-03-01", "2026-03-05"), ISO, now=NOW)


def test_no_budgets_configured_gives_no_statuses(march_logs: Path, tmp_path: Path) -> None:
    assert evaluate_budgets(settings_with(tmp_path, ""), parse_month("2026-03"), ISO, now=NOW) == []


def test_today_is_the_configured_zones_day(logs_dir: Path, tmp_path: Path) -> None:
    # 23:30 UTC on March 31 is already April 1 in Berlin, and so is the call logged at 23:10 UTC.
    write_lines(logs_dir / "2026-03-31.jsonl", call(ts="2026-03-31T23:10:00Z", cost_usd=3))
    settings = settings_with(tmp_path, "[budgets]\ndaily = 10\nmonthly = 100\n", tz="Europe/Berlin")
    now = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.timezone.utc)
    statuses = evaluate_budgets(settings, None, ISO, now=now)
    assert [(status.key, status.spent) for status in statuses] == [("2026-04-01", 3), ("2026-04", 3)]


def test_unpriced_calls_are_counted_apart(logs_dir: Path, tmp_path: Path) -> None:
    write_lines(logs_dir / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z", provider="acme", model="m1"),
                call(ts="2026-03-14T09:00:00Z", cost_usd=1))
    [status] = evaluate_budgets(settings_with(tmp_path, "[budgets]\ndaily = 10\n"), None, ISO, now=NOW)
    assert (status.spent, status.unpriced_calls) == (1, 1)


def test_custom_thresholds_and_a_zero_budget() -> None:
    budgets = parse_budgets({"alert_thresholds": [0.5, 0.9], "daily": 10, "project": {"free": {"daily": 0}}})
    march = month_of(dt.date(2026, 3, 14))
    half = BudgetStatus(budgets[0], march, Decimal(5), dt.date(2026, 3, 14))
    assert half.level == "warning"
    zero = BudgetStatus(budgets[1], march, Decimal("0.01"), dt.date(2026, 3, 14))
    assert (zero.level, zero.share_text) == ("over", "∞ %")
    assert BudgetStatus(budgets[1], march, Decimal(0), dt.date(2026, 3, 14)).level == "ok"


@pytest.mark.parametrize("table", [{"monthly": -1}, {"monthly": "ten"}, {"yearly": 5}, {"alert_thresholds": [0.8]}])
def test_malformed_budgets_are_config_errors(table: dict) -> None:
    with pytest.raises(ConfigError):
        parse_budgets(table)


def test_budget_table_shows_every_column(march_logs: Path, tmp_path: Path) -> None:
    statuses = evaluate_budgets(settings_with(tmp_path, BUDGETS_TOML), None, ISO, now=NOW)
    output = io.StringIO()
    budget_table(statuses, Console(file=output, width=220, color_system=None))
    text = output.getvalue()
    for header in ("budget", "period", "spent", "limit", "share", "left", "days left", "avg / day", "projection",
                   "status"):
        assert header in text
    monthly_row = next(line for line in text.splitlines() if "Monthly budget (all usage)" in line)
    assert monthly_row.replace("│", " ").split() == [
        "Monthly", "budget", "(all", "usage)", "2026-03", "$35.00", "$50.00", "70", "%", "$15.00", "$77.50", "ok",
        "17", "$2.50"]
    daily_row = next(line for line in text.splitlines() if "Daily budget" in line)
    assert "-$1.00" in daily_row and "│ over " in daily_row
    assert "Budgets on 2026-03-14" in text


def test_budget_table_marks_ended_periods_and_names_with_brackets(tmp_path: Path) -> None:
    budget = Budget("monthly", Decimal(50), "project", "[x]")
    status = BudgetStatus(budget, month_of(dt.date(2026, 2, 1)), Decimal(20), dt.date(2026, 3, 14), unpriced_calls=2)
    output = io.StringIO()
    budget_table([status], Console(file=output, width=220, color_system=None))
    text = output.getvalue()
    assert "project [x]" in text and "ended" in text and "$20.00 (final)" in text
    assert "2 unpriced calls are not counted" in text


def test_budget_command_fails_over_with_exit_3(logs_dir: Path, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    write_lines(logs_dir / f"{now.date()}.jsonl", call(ts=now.isoformat(), cost_usd=2))
    config = tmp_path / "vaultledger.toml"
    config.write_text("[budgets]\ndaily = 1\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["budget", "--config", str(config)]).exit_code == 0
    failed = runner.invoke(app, ["budget", "--config", str(config), "--fail-over"])
    assert failed.exit_code == 3 and "over" in failed.output
    wrong_kind = runner.invoke(app, ["budget", "--config", str(config), "--month", "2026-03"])
    assert wrong_kind.exit_code == 1 and "no monthly budget" in wrong_kind.output
