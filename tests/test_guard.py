"""Hard limits: `check_budget()` and `guard()` over real log files and a real config, with the clock
injected so that the fold, the listing and the lines appended since can each be pinned."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

import vaultledger
from conftest import call, write_lines
from vaultledger.budgets.guard import HardLimits, guard
from vaultledger.budgets.limits import LIST_EVERY, REFRESH_EVERY, BudgetExceeded
from vaultledger.capture.logger import UsageLog, log_record
from vaultledger.cli import app
from vaultledger.errors import ConfigError
from vaultledger.record import make_record
from vaultledger.settings import Settings, resolve_settings

NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.timezone.utc)
CONFIG = """
logs = "logs"
timezone = "UTC"
[budgets]
monthly = 100
[budgets.project.orbis]
monthly = 10
daily = 8
hard = true
[budgets.provider.anthropic]
monthly = 5
hard = true
exclude_plans = ["claude-max"]
[plans.claude-max]
monthly = 200
match = { app = "claude-code" }
"""


class Clock:
    """Seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    write_lines(tmp_path / "logs" / "2026-03-01.jsonl", call(ts="2026-03-01T09:00:00Z", project="orbis", cost_usd=2))
    write_lines(tmp_path / "logs" / "2026-03-14.jsonl", call(ts="2026-03-14T09:00:00Z", project="orbis", cost_usd=7.5))
    (tmp_path / "vaultledger.toml").write_text(CONFIG, encoding="utf-8")
    return resolve_settings(config=tmp_path / "vaultledger.toml")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def limits_of(settings: Settings, clock: Clock, now: dt.datetime = NOW) -> HardLimits:
    return HardLimits(settings, clock, lambda: now)


def spent(limits: HardLimits, **scope: str) -> dict[str, Decimal]:
    return {status.budget.label: status.spent for status in limits.check(**scope).statuses}


def append(settings: Settings, **fields: object) -> None:
    """One line through the real logger, as an app in another process would write it."""
    log = UsageLog(settings.logs.value, "UTC")
    log_record(make_record(**{**call(ts="2026-03-14T10:00:00Z"), **fields}), log)
    log.close()


def test_guard_refuses_once_the_estimate_would_cross_the_limit_naming_spent_limit_and_period(
        settings: Settings, clock: Clock) -> None:
    limits = limits_of(settings, clock)
    with guard(project="orbis", estimate_usd="0.50", limits=limits) as check:
        assert check.ok and check.tightest is not None and check.tightest.remaining == Decimal("0.5")
    with pytest.raises(BudgetExceeded) as refused:
        with guard(project="orbis", estimate_usd=0.51, limits=limits):
            pytest.fail("the call ran")
    error = refused.value
    assert (error.spent, error.limit, error.period, error.budget) == (
        Decimal("7.5"), Decimal(8), "2026-03-14", "Daily hard limit (project orbis)")
    assert str(error) == ("Daily hard limit (project orbis): $7.50 spent of $8.00 in 2026-03-14; call refused: "
                          "this call's estimate of $0.51 would cross it")


def test_a_reached_limit_refuses_even_a_call_without_estimate(settings: Settings, clock: Clock) -> None:
    limits = limits_of(settings, clock)
    append(settings, project="orbis", cost_usd=0.5)
    with pytest.raises(BudgetExceeded, match=r"\$8.00 spent of \$8.00 in 2026-03-14; call refused: it is reached"):
        with guard(project="orbis", limits=limits):
            pass


def test_lines_appended_since_the_fold_count_at_once_without_folding_again(settings: Settings, clock: Clock) -> None:
    limits = limits_of(settings, clock)
    assert spent(limits, project="orbis")["Monthly hard limit (project orbis)"] == Decimal("9.5")
    append(settings, project="orbis", cost_usd=0.25)
    append(settings, project="poetry", cost_usd=100)  # another project: no orbis limit moves
    assert spent(limits, project="orbis") == {"Monthly hard limit (project orbis)": Decimal("9.75"),
                                              "Daily hard limit (project orbis)": Decimal("7.75")}
    assert limits.watch is not None and limits.watch.folds == 1


def test_a_new_file_of_another_host_is_seen_by_the_next_listing(settings: Settings, clock: Clock) -> None:
    limits = limits_of(settings, clock)
    spent(limits, project="orbis")
    write_lines(settings.logs.value / "2026-03-14.laptop.jsonl", call(ts="2026-03-14T11:00:00Z", project="orbis",
                                                                      cost_usd=1))
    assert spent(limits, project="orbis")["Monthly hard limit (project orbis)"] == Decimal("9.5")
    clock.seconds += LIST_EVERY
    assert spent(limits, project="orbis")["Monthly hard limit (project orbis)"] == Decimal("10.5")
    assert limits.watch is not None and limits.watch.folds == 1


def test_a_partial_last_line_counts_once_its_writer_completes_it(settings: Settings, clock: Clock) -> None:
    limits = limits_of(settings, clock)
    spent(limits, project="orbis")
    path = settings.logs.value / "2026-03-14.jsonl"
    line = '{"ts":"2026-03-14T11:00:00Z","provider":"openai","model":"m","input_tokens":1,"output_tokens":1,' \
           '"project":"orbis","cost_usd":0.25}\n'
    with path.open("a") as handle:
        handle.write(line[:40])
    assert spent(limits, project="orbis")["Daily hard limit (project orbis)"] == Decimal("7.5")
    with path.open("a") as handle:
        handle.write(line[40:])
    assert spent(limits, project="orbis")["Daily hard limit (project orbis)"] == Decimal("7.75")


def test_a_fold_after_the_refresh_interval_applies_duplicates_the_tail_counted_twice(
        settings: Settings, clock: Clock) -> None:
    limits = limits_of(settings, clock)
    append(settings, project="orbis", cost_usd=0.25, id="r1")
    spent(limits, project="orbis")
    append(settings, project="orbis", cost_usd=0.25, id="r1")  # a retry logged twice: one call
    assert spent(limits, project="orbis")["Daily hard limit (project orbis)"] == Decimal("8.0")  # erring high
    clock.seconds += REFRESH_EVERY
    assert spent(limits, project="orbis")["Daily hard limit (project orbis)"] == Decimal("7.75")
    assert limits.watch is not None and limits.watch.folds == 2


def test_a_new_day_starts_a_new_daily_period(settings: Settings, clock: Clock) -> None:
    limits = limits_of(settings, clock, NOW + dt.timedelta(days=1))
    statuses = {status.budget.kind: status for status in limits.check(project="orbis").statuses}
    assert (statuses["daily"].period.key, statuses["daily"].spent) == ("2026-03-15", 0)
    assert (statuses["monthly"].period.key, statuses["monthly"].spent) == ("2026-03", Decimal("9.5"))


def test_an_archived_day_is_folded_again_not_lost(settings: Settings, clock: Clock) -> None:
    limits = limits_of(settings, clock)
    spent(limits, project="orbis")
    old = settings.logs.value / "2026-03-01.jsonl"
    (settings.logs.value / "2026-03-01.jsonl.gz").write_bytes(gzip.compress(old.read_bytes()))
    old.unlink()
    clock.seconds += LIST_EVERY
    assert spent(limits, project="orbis")["Monthly hard limit (project orbis)"] == Decimal("9.5")
    assert limits.watch is not None and limits.watch.folds == 2


def test_unpriced_calls_are_reported_by_the_check_and_the_guard_warns(settings: Settings, clock: Clock) -> None:
    limits = limits_of(settings, clock)
    append(settings, provider="acme", model="mystery-9", project="orbis")
    check = limits.check(project="orbis")
    assert check.unpriced_calls == 1 and "1 unpriced calls whose cost is not counted" in str(check.tightest)
    with pytest.warns(RuntimeWarning, match="unpriced calls whose cost is not counted"):
        with guard(project="orbis", limits=limits):
            pass


def test_a_limit_applies_to_the_calls_its_scope_names(settings: Settings, clock: Clock) -> None:
    limits = limits_of(settings, clock)
    assert spent(limits, project="poetry") == {}
    assert spent(limits, provider="anthropic") == {"Monthly hard limit (provider anthropic, without claude-max)": 0}
    assert spent(limits, app="orbis").keys() == spent(limits, project="orbis").keys()  # project defaults to app
    # Claude Code is on the plan: the anthropic limit leaves its calls out, and does not guard them.
    append(settings, provider="anthropic", model="claude-sonnet-4-5", app="claude-code", cost_usd=50)
    append(settings, provider="anthropic", model="claude-sonnet-4-5", app="notes-bot", cost_usd=2)
    assert spent(limits, provider="anthropic") == {"Monthly hard limit (provider anthropic, without claude-max)": 2}
    assert spent(limits, provider="anthropic", app="claude-code") == {}


def test_the_decorator_checks_before_every_call_sync_and_async(settings: Settings, clock: Clock) -> None:
    limits = limits_of(settings, clock)
    calls = []

    @guard(project="orbis", estimate_usd=0.25, limits=limits)
    def ask() -> str:
        append(settings, project="orbis", cost_usd=0.25)
        calls.append("sync")
        return "answer"

    @guard(project="orbis", estimate_usd=0.25, limits=limits)
    async def ask_async() -> str:
        calls.append("async")
        return "answer"

    assert ask() == "answer" and ask() == "answer"  # 7.50 -> 8.00
    with pytest.raises(BudgetExceeded):
        ask()
    with pytest.raises(BudgetExceeded):
        asyncio.run(ask_async())
    assert calls == ["sync", "sync"]


def test_the_facade_resolves_settings_as_log_usage_does(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAULTLEDGER_CONFIG", str(settings.config_path.value))
    check = vaultledger.check_budget(project="orbis", provider="openai", model="gpt-4o-mini")
    assert {status.budget.kind for status in check.statuses} == {"daily", "monthly"}  # of today, whatever it is
    with vaultledger.guard(project="orbis", estimate_usd=1) as guarded:
        assert guarded.ok
    assert issubclass(vaultledger.BudgetExceeded, vaultledger.errors.VaultledgerError)


def test_no_hard_limit_means_every_call_may_go(tmp_path: Path, clock: Clock) -> None:
    (tmp_path / "c.toml").write_text("[budgets]\nmonthly = 0\n", encoding="utf-8")
    limits = limits_of(resolve_settings(config=tmp_path / "c.toml"), clock)
    with guard(project="orbis", estimate_usd=1000, limits=limits) as check:
        assert check.ok and check.statuses == () and check.tightest is None


@pytest.mark.parametrize("estimate", [-1, "lots", float("nan")])
def test_an_estimate_must_be_an_amount(estimate: object) -> None:
    with pytest.raises(ValueError, match="estimate_usd"):
        guard(estimate_usd=estimate)  # type: ignore[arg-type]


@pytest.mark.parametrize("table,message", [
    ("[budgets.project.orbis]\nmonthly = 1\nhard = \"yes\"\n", "hard must be true or false"),
    ("[budgets]\nmonthly = 1\nhard = 1\n", "hard must be true or false"),
    ("[budgets.project.orbis]\nmonthly = 1\nhrad = true\n", "unknown key 'hrad'"),
    ("[budgets]\nmonthly = 1\nexclude_plans = true\n", "exclude_plans = true, but the config has no [plans.NAME]"),
    ("[budgets]\nmonthly = 1\nexclude_plans = [\"max\"]\n", "names 'max', which is no [plans.NAME]"),
    ("[budgets]\nmonthly = 1\nexclude_plans = \"max\"\n", "exclude_plans must be true, false or a list"),
])
def test_bad_switches_are_config_errors_naming_the_table(tmp_path: Path, clock: Clock, table: str, message: str) -> None:
    (tmp_path / "c.toml").write_text(table, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")) as raised:
        limits_of(resolve_settings(config=tmp_path / "c.toml"), clock)
    assert "c.toml" in str(raised.value)
    result = CliRunner().invoke(app, ["budget", "--config", str(tmp_path / "c.toml")])
    assert result.exit_code == 1 and message in result.output


def test_budget_marks_hard_limits(settings: Settings) -> None:
    with warnings.catch_warnings():
        result = CliRunner().invoke(app, ["budget", "--month", "2026-03", "--config", str(settings.config_path.value)])
    assert result.exit_code == 0, result.output
    assert "Monthly hard limit (project orbis)" in result.output and "Monthly budget (all usage)" in result.output
    assert "Monthly hard limit (provider anthropic, without claude-max)" in result.output
