"""Flat-fee plans: which calls `[plans.NAME]` covers, its fee over any period, what `report`, `budget`
and the notes show, and budgets that leave plan-covered calls out (`exclude_plans`)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import call, write_lines
from vaultledger.budgets import budgets_from
from vaultledger.budgets.plans import parse_plans, plan_values
from vaultledger.budgets.report import evaluate_budgets
from vaultledger.cli import app
from vaultledger.errors import ConfigError
from vaultledger.ledger import Ledger
from vaultledger.ledger.usage import GroupKey
from vaultledger.periods import WeekRule, day_of, month_of
from vaultledger.periods.parse import parse_month, parse_quarter, parse_range, parse_week
from vaultledger.settings import resolve_settings

MAX = {"claude-max": {"name": "Claude Max", "monthly": 200, "match": {"provider": "claude", "app": "claude-code"}}}
CONFIG = """
timezone = "UTC"
[budgets]
monthly = 50
exclude_plans = true
[budgets.provider.anthropic]
monthly = 40
[plans.claude-max]
name = "Claude Max"
monthly = 200
match = { provider = "anthropic", app = "claude-code" }
"""


def key(provider: str = "anthropic", model: str = "claude-sonnet-4-5", app: str | None = "claude-code",
        project: str | None = None, tags: tuple[str, ...] = ()) -> GroupKey:
    return GroupKey(provider, model, None, project, None, app, tags)


def test_a_plan_covers_the_calls_every_match_key_names() -> None:
    [plan] = parse_plans(MAX)
    assert plan.covers(key()) and plan.key == "claude-max" and plan.name == "Claude Max"
    assert not plan.covers(key(app="notes-bot")) and not plan.covers(key(provider="openai"))
    assert not plan.covers(key(app=None))
    [globbed] = parse_plans({"p": {"monthly": 20, "match": {"model": ["gpt-5*", "o3"], "tag": "chatgpt"}}})
    assert globbed.covers(key("openai", "gpt-5-mini", None, tags=("x", "chatgpt")))
    assert not globbed.covers(key("openai", "gpt-4o", None, tags=("chatgpt",)))
    [by_project] = parse_plans({"p": {"monthly": 1, "match": {"project": "orbis"}}})
    assert by_project.covers(key(app="orbis"))  # a call's project defaults to its app, as in reports


@pytest.mark.parametrize("period,fee", [
    (parse_month("2026-03"), "200.00"),
    (parse_quarter("2026Q1"), "600.00"),
    (day_of(dt.date(2026, 3, 14)), "6.45"),  # 200 / 31
    (day_of(dt.date(2026, 2, 14)), "7.14"),  # 200 / 28
    (parse_week("2026-W09", WeekRule.iso()), "49.31"),  # Feb 23-28 and Mar 1: 6 × 200/28 + 200/31
    (parse_range("2026-01-15", "2026-03-31"), "509.68"),  # 17/31 of January, then two whole months
])
def test_the_fee_is_whole_months_plus_days_of_part_months(period, fee: str) -> None:
    [plan] = parse_plans(MAX)
    assert plan.fee_for(period) == Decimal(fee)


@pytest.mark.parametrize("table,message", [
    ({"max": "200"}, "must be a table with monthly = FEE"),
    ({"max": {"match": {"app": "x"}}}, "monthly must be the fee in USD per month"),
    ({"max": {"monthly": -1, "match": {"app": "x"}}}, "monthly must be the fee"),
    ({"max": {"monthly": True, "match": {"app": "x"}}}, "monthly must be the fee"),
    ({"max": {"monthly": "200", "match": {"app": "x"}}}, "monthly must be the fee"),
    ({"max": {"monthly": 200}}, "match must name the calls it covers"),
    ({"max": {"monthly": 200, "match": {}}}, "match must name the calls it covers"),
    ({"max": {"monthly": 200, "match": "claude-code"}}, "match must name the calls it covers"),
    ({"max": {"monthly": 200, "match": {"colour": "red"}}}, "match has unknown key 'colour'"),
    ({"max": {"monthly": 200, "match": {"app": 7}}}, "match.app must be text or a list of text"),
    ({"max": {"monthly": 200, "match": {"app": []}}}, "match.app must be text or a list of text"),
    ({"max": {"monthly": 200, "match": {"app": [""]}}}, "match.app must be text or a list of text"),
    ({"max": {"monthly": 200, "match": {"app": "x"}, "fee": 3}}, "unknown key 'fee'"),
    ({"max": {"monthly": 200, "match": {"app": "x"}, "name": ""}}, "name must be text"),
])
def test_a_bad_plan_is_a_config_error_naming_its_table(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=f"cfg.toml: \\[plans.max\\] .*{message}"):
        parse_plans(table, "cfg.toml")


def test_every_command_refuses_a_bad_plan_and_doctor_lists_it(tmp_path: Path) -> None:
    config = tmp_path / "vaultledger.toml"
    config.write_text("[plans.max]\nmonthly = 200\nmatch = { colour = \"red\" }\n", encoding="utf-8")
    for command in (["report"], ["budget"], ["doctor"]):
        result = CliRunner().invoke(app, [*command, "--config", str(config)])
        assert result.exit_code == 1 and "[plans.max] match has unknown key 'colour'" in result.output, command


@pytest.fixture
def config(logs_dir: Path, tmp_path: Path) -> Path:
    """March: Claude Code on the plan ($8.25 at list price), a notes bot on the API ($3), a mystery model."""
    write_lines(logs_dir / "2026-03-02.jsonl",
                call(ts="2026-03-02T10:00:00Z", provider="anthropic", model="claude-sonnet-4-5", app="claude-code",
                     input_tokens=1_000_000, output_tokens=100_000),
                call(ts="2026-03-02T11:00:00Z", provider="anthropic", model="claude-sonnet-4-5", app="notes-bot",
                     cost_usd=3),
                call(ts="2026-03-02T12:00:00Z", provider="anthropic", model="claude-mystery", app="claude-code"))
    path = tmp_path / "vaultledger.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_report_shows_what_plan_calls_would_have_cost_against_the_fee(config: Path) -> None:
    result = CliRunner().invoke(app, ["report", "--month", "2026-03", "--format", "json", "--config", str(config)])
    document = json.loads(result.stdout)
    assert document["plans"] == [{
        "plan": "claude-max", "name": "Claude Max", "monthly_fee_usd": 200.0, "fee_usd": 200.0, "calls": 2,
        "cost_usd": 8.25, "unpriced_calls": 1, "saved_usd": -191.75,
        "line": "Claude Max: $8.25 of API use for $200.00 in 2026-03 (2 calls); 1 unpriced calls not counted"}]
    assert document["totals"]["cost_usd"] == 11.25  # plan calls stay in the totals at list price
    table = CliRunner().invoke(app, ["report", "--month", "2026-03", "--config", str(config)]).stdout
    assert "Claude Max: $8.25 of API use for $200.00 in 2026-03 (2 calls)" in table


def test_a_report_without_plans_says_so_with_an_empty_list(logs_dir: Path) -> None:
    write_lines(logs_dir / "2026-03-02.jsonl", call(ts="2026-03-02T10:00:00Z"))
    result = CliRunner().invoke(app, ["report", "--month", "2026-03", "--format", "json"])
    assert json.loads(result.stdout)["plans"] == []


def test_this_months_plan_line_says_this_month(config: Path, logs_dir: Path) -> None:
    today = dt.datetime.now(dt.timezone.utc)
    write_lines(logs_dir / f"{today.date()}.jsonl", call(ts=today.isoformat(), provider="anthropic",
                                                         model="claude-sonnet-4-5", app="claude-code", cost_usd=812))
    result = CliRunner().invoke(app, ["budget", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "Claude Max: $812.00 of API use for $200.00 this month (1 call)" in result.output


def test_a_budget_can_leave_plan_covered_calls_out(config: Path) -> None:
    settings = resolve_settings(config=config)
    statuses = evaluate_budgets(settings, parse_month("2026-03"), WeekRule.iso())
    spent = {status.label: (status.spent, status.unpriced_calls) for status in statuses}
    assert spent == {"Monthly budget (all usage, without claude-max)": (Decimal(3), 0),
                     "Monthly budget (provider anthropic)": (Decimal("11.25"), 1)}
    result = CliRunner().invoke(app, ["budget", "--month", "2026-03", "--config", str(config)])
    assert "Monthly budget (all usage, without claude-max)" in result.output
    assert "Claude Max: $8.25 of API use for $200.00 in 2026-03 (2 calls)" in result.output


def test_notes_count_budgets_without_the_plan_as_budget_does(config: Path, vault: Path) -> None:
    result = CliRunner().invoke(app, ["rollup", "--day", "2026-03-02", "--config", str(config)])
    assert result.exit_code == 0, result.output
    note = (vault / "2026-03-02.md").read_text(encoding="utf-8")
    assert "| Monthly budget (all usage, without claude-max) | $3.00 | $50.00 |" in note


def test_plan_values_over_a_ledger_match_the_covered_groups(config: Path) -> None:
    settings = resolve_settings(config=config)
    period = month_of(dt.date(2026, 3, 2))
    [value] = plan_values(parse_plans(settings.plans), period, Ledger.from_settings(settings).usage(period))
    assert (value.covered.calls, value.covered.cost, value.covered.unpriced_calls, value.fee) == (
        2, Decimal("8.25"), 1, Decimal(200))
    assert [budget.excluded for budget in budgets_from(settings)][0][0].key == "claude-max"


def test_monthly_notes_say_what_the_plan_was_worth(config: Path, vault: Path) -> None:
    from conftest import enable_periodic_notes

    enable_periodic_notes(vault, "monthly")
    result = CliRunner().invoke(app, ["rollup", "--month", "2026-03", "--config", str(config)])
    assert result.exit_code == 0, result.output
    note = (vault / "2026-03.md").read_text(encoding="utf-8")
    assert "> [!info] Flat-fee plans at list price" in note
    assert "Claude Max: \\$8.25 of API use for \\$200.00 in 2026-03 (2 calls); 1 unpriced calls not counted" in note
    assert CliRunner().invoke(app, ["rollup", "--day", "2026-03-02", "--config", str(config)]).exit_code == 0
    daily = (vault / "2026-03-02.md").read_text(encoding="utf-8")
    assert "Flat-fee plans" not in daily, "a day is charged no fee: plans show on months, quarters and years"


def test_the_dashboard_says_what_the_plan_was_worth(config: Path, tmp_path: Path) -> None:
    page = tmp_path / "costs.html"
    result = CliRunner().invoke(app, ["dashboard", "--month", "2026-03", "-o", str(page), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "<li>Claude Max: $8.25 of API use for $200.00 in 2026-03 (2 calls); 1 unpriced calls not counted</li>" in (
        page.read_text(encoding="utf-8"))
