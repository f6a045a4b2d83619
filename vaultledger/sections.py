"""What each note section shows (SPEC §7), as plain data for the templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vaultledger.budgets import Budget, statuses_on
from vaultledger.ledger import Ledger
from vaultledger.periods import Period, WeekRule
from vaultledger.aggregate import merge_days
from vaultledger.render import usage_context


def section_context(kind: str, period: Period, ledger: Ledger, budgets: list[Budget], rule: WeekRule) -> dict[str, Any]:
    builders = {"daily": daily_context}
    return builders[kind](period, ledger, budgets, rule)


def daily_context(period: Period, ledger: Ledger, budgets: list[Budget], rule: WeekRule) -> dict[str, Any]:
    day = period.start
    context = usage_context(ledger.usage(period))
    context["day"] = day.isoformat()
    context["budgets"] = statuses_on(day, budgets, lambda first, last: usage_between(ledger, first, last), rule)
    context["problems"] = problems_line(ledger, period)
    return context


def usage_between(ledger: Ledger, first: dt.date, last: dt.date):
    return merge_days(ledger.days(first, last).values())


def problems_line(ledger: Ledger, period: Period) -> str:
    """Bad lines are never silent: the note says how many its period's files had skipped."""
    stats = ledger.stats_between(period.start, period.end)
    if not stats.invalid_lines:
        return ""
    lines = "line" if stats.invalid_lines == 1 else "lines"
    return f"{stats.invalid_lines:,} invalid log {lines} skipped — run `vaultledger doctor` to see them."
