"""What `vaultledger mcp`'s tools answer, without the MCP SDK: each answer is a JSON-ready dict built from
the same library calls as the CLI (`report --format json`, `budget`, `prices`, `export`), so the numbers agree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaultledger.cli.period_flags import PeriodFlags, choose_period
from vaultledger.cli.resolve import settings_from, week_rule_for
from vaultledger.errors import PeriodError, PriceError
from vaultledger.periods import Period, today
from vaultledger.periods.parse import parse_period
from vaultledger.settings import Settings

if TYPE_CHECKING:
    from vaultledger.budgets import BudgetStatus

WORDS_HELP = ("today, yesterday, this_week, last_week, this_month, last_month, this_quarter, last_quarter, "
              "last 7d / last 4w / last 3m (today and the days before)")
PERIOD_HELP = (
    f"A period, as calendar days in the configured time zone: {WORDS_HELP}; or a day 2026-03-14, a week "
    "2026-W11 (numbered as the user's weekly notes), a month 2026-03, a quarter 2026Q1, or a range "
    "2026-03-01..2026-03-31 (both ends included)."
)
_WORDS = {"today", "yesterday", "this_week", "last_week", "this_month", "this_quarter"}
MAX_ROWS = 100


@dataclass(frozen=True)
class CostTools:
    """The tools' answers over the settings the server was started with (resolved again on every call,
    so an edited config or new log lines count at once)."""

    config: Path | None = None
    vault: Path | None = None
    logs: Path | None = None
    tz: str | None = None
    now: dt.datetime | None = None  # pins "today" for tests

    def settings(self) -> Settings:
        return settings_from(self.config, self.vault, self.logs, self.tz)

    def period(self, text: str, settings: Settings) -> Period:
        """A period from the words PERIOD_HELP lists."""
        words = text.strip().lower().replace(" ", "_").replace("-", "_")
        day, rule = today(settings.timezone.value, self.now), week_rule_for(settings)
        if words in _WORDS:
            return choose_period(PeriodFlags(**{words: True}), day, rule)  # type: ignore[return-value]
        if words in ("last_month", "last_quarter"):
            return choose_period(PeriodFlags(**{"this_" + words[5:]: True}), day, rule).previous()  # type: ignore[union-attr]
        if words.startswith("last_") and words[5:].rstrip("dwm").isdigit():
            return choose_period(PeriodFlags(last=words[5:]), day, rule)  # type: ignore[return-value]
        try:
            return parse_period(text, rule)
        except PeriodError as error:
            raise PeriodError(f"{error}; or one of {WORDS_HELP}") from None

    def cost_report(self, period: str = "today", by: str = "provider") -> dict[str, Any]:
        from vaultledger.cli.reporting import BY_CHOICES, report_document

        if by not in BY_CHOICES:
            raise PeriodError(f"by must be one of {', '.join(BY_CHOICES)}, not {by!r}")
        settings = self.settings()
        return report_document(settings, self.period(period, settings), by)

    def budget_status(self, period: str | None = None) -> dict[str, Any]:
        from vaultledger.budgets.plans import plans_over
        from vaultledger.budgets.report import evaluate_budgets

        settings = self.settings()
        chosen = self.period(period, settings) if period else None
        statuses = evaluate_budgets(settings, chosen, week_rule_for(settings), self.now)
        return {"as_of": today(settings.timezone.value, self.now).isoformat(),
                "budgets": [_status_json(status) for status in statuses],
                "plans": [value.as_json() for value in plans_over(settings, chosen, self.now)]}

    def estimate(self, model: str, input_tokens: int, output_tokens: int, cache_read_tokens: int = 0,
                 cache_write_tokens: int = 0, reasoning_tokens: int = 0, service_tier: str | None = None,
                 ) -> dict[str, Any]:
        from vaultledger.ledger import Ledger
        from vaultledger.pricing import parse_model_ref
        from vaultledger.pricing.price import describe_rates
        from vaultledger.reports.report import dollars

        settings = self.settings()
        provider, name = parse_model_ref(model)
        moment = self.now or dt.datetime.now(dt.timezone.utc)
        estimate = Ledger.from_settings(settings).book.estimate(
            provider, name, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, ts=moment,
            service_tier=service_tier, reasoning_tokens=reasoning_tokens)
        if estimate.price is None or estimate.cost is None:
            raise PriceError(f"no price known for {model} ({estimate.source}); add a [[prices]] entry to the config")
        return {"model": model, "cost_usd": dollars(estimate.cost), "price_source": estimate.price.source,
                "rates": describe_rates(estimate.price), "input_tokens": input_tokens, "output_tokens": output_tokens,
                "cache_read_tokens": cache_read_tokens, "cache_write_tokens": cache_write_tokens}

    def task_cost(self, unit_id: str | None = None, session: str | None = None, period: str = "last 30d",
                  ) -> dict[str, Any]:
        from vaultledger.ledger import Ledger
        from vaultledger.reports.queries import task_cost

        if (unit_id is None) == (session is None):
            raise PeriodError("name a unit_id or a session (one of them)")
        settings = self.settings()
        chosen = self.period(period, settings)
        return task_cost(Ledger.from_settings(settings), chosen, unit_id=unit_id, session=session).as_json()

    def unit_costs(self, use_case: str | None = None, period: str = "this_month") -> dict[str, Any]:
        from vaultledger.ledger import Ledger
        from vaultledger.reports.queries import cost_per_unit

        settings = self.settings()
        chosen = self.period(period, settings)
        rows = cost_per_unit(Ledger.from_settings(settings).usage(chosen), use_case)
        return {"period": _period_json(chosen), "use_cases": [row.as_json() for row in rows]}

    def top_spending(self, period: str = "this_month", limit: int = 10) -> dict[str, Any]:
        from vaultledger.ledger import Ledger
        from vaultledger.reports.queries import top_calls, top_days
        from vaultledger.reports.report import sums_json

        settings = self.settings()
        chosen, limit = self.period(period, settings), max(1, min(limit, MAX_ROWS))
        ledger = Ledger.from_settings(settings)
        calls, unpriced = top_calls(ledger, chosen, limit)
        return {"period": _period_json(chosen), "calls": [call.as_json() for call in calls],
                "days": [{"day": day.isoformat(), **sums_json(sums)} for day, sums in top_days(ledger, chosen, limit)],
                "unpriced_calls": unpriced}


def _period_json(period: Period) -> dict[str, str]:
    return {"kind": period.kind, "key": period.key, "start": period.start.isoformat(), "end": period.end.isoformat()}


def _status_json(status: BudgetStatus) -> dict[str, Any]:
    from vaultledger.reports.report import dollars

    budget = status.budget
    return {
        "budget": status.label, "kind": budget.kind, "scope": budget.scope, "name": budget.name, "hard": budget.hard,
        "period": _period_json(status.period), "spent_usd": dollars(status.spent), "budget_usd": dollars(status.amount),
        "share": None if status.share.is_infinite() else float(status.share), "remaining_usd": dollars(status.remaining),
        "over_by_usd": dollars(status.over_by), "days_left": status.days_left,
        "daily_average_usd": dollars(status.daily_average), "projection_usd": dollars(status.projection),
        "level": status.level, "unpriced_calls": status.unpriced_calls,
    }
