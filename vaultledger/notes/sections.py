"""What each note section shows (SPEC §7), as plain data for the templates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from vaultledger.ledger.usage import Sums, Usage, merge_days
from vaultledger.budgets import Budget, BudgetStatus, statuses_on, statuses_over
from vaultledger.ledger import Ledger
from vaultledger.periods import Period, WeekRule, weeks_overlapping
from vaultledger.pricing import format_usd
from vaultledger.notes.render import usage_context
from vaultledger.notes.trend import Trend, describe_change, trend_of

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class SpanRow:
    """One row of a per-day or per-week table."""

    label: str
    sums: Sums
    partial: bool = False
    days: int = 1


def section_context(
    kind: str, period: Period, ledger: Ledger, budgets: list[Budget], rule: WeekRule
) -> dict[str, Any]:
    builders = {"daily": daily_context, "weekly": weekly_context, "monthly": span_context,
                "quarterly": span_context, "yearly": span_context}
    return builders[kind](period, ledger, budgets, rule)


def daily_context(period: Period, ledger: Ledger, budgets: list[Budget], rule: WeekRule) -> dict[str, Any]:
    day = period.start
    context = usage_context(ledger.usage(period))
    context["day"] = day.isoformat()
    context["budgets"] = statuses_on(day, budgets, lambda first, last: usage_between(ledger, first, last), rule)
    context["problems"] = problems_line(ledger, period)
    return context


def weekly_context(period: Period, ledger: Ledger, budgets: list[Budget], rule: WeekRule) -> dict[str, Any]:
    days = ledger.days(period.start, period.end)
    usage = merge_days(days.values())
    context = usage_context(usage)
    context["period"] = period
    context["day_rows"] = [
        SpanRow(f"{WEEKDAY_NAMES[day.weekday()]} {day.isoformat()}", days.get(day, Usage()).totals())
        for day in period.days()
    ]
    context["change"] = change_against(usage.totals(), ledger.usage(period.previous()), period.previous())
    context["budgets"] = period_budgets(period, budgets, ledger, rule, {"weekly"})
    context["problems"] = problems_line(ledger, period)
    return context


def span_context(period: Period, ledger: Ledger, budgets: list[Budget], rule: WeekRule) -> dict[str, Any]:
    """Months and quarters: week rows (clipped to the period), trend, units, budgets, chart."""
    days = ledger.days(period.start, period.end)
    usage = merge_days(days.values())
    week_rows = [
        SpanRow(clipped.key, merge_days(days.get(day, Usage()) for day in clipped.days()).totals(),
                partial, clipped.num_days)
        for clipped, partial in weeks_overlapping(period, rule)
    ]
    context = usage_context(usage)
    context["period"] = period
    context["week_rows"] = week_rows
    context["trend"] = trend_of([(row.sums.cost, row.days) for row in week_rows], _halves(period, days))
    context["units"] = usage.cost_per_unit()
    context["change"] = change_against(usage.totals(), ledger.usage(period.previous()), period.previous())
    context["budgets"] = period_budgets(period, budgets, ledger, rule, {"monthly", "quarterly"})
    context["chart"] = chart_data(week_rows)
    context["problems"] = problems_line(ledger, period)
    return context


def _halves(period: Period, days: dict[dt.date, Usage]) -> tuple[Decimal, Decimal]:
    """Cost of the first and second half of the period's days (the middle day, if any, left out)."""
    all_days = list(period.days())
    half = len(all_days) // 2
    cost = lambda chosen: sum((days[d].totals().cost for d in chosen if d in days), Decimal(0))  # noqa: E731
    return cost(all_days[:half]), cost(all_days[-half:] if half else [])


def change_against(current: Sums, previous_usage: Usage, previous: Period) -> str:
    """`+12 % vs 2025Q4 ($10.00)` — the comparison people look for first."""
    before = previous_usage.totals()
    return describe_change(current.cost, before.cost, f"{previous.key} ({format_usd(before.cost)})")


def period_budgets(
    period: Period, budgets: list[Budget], ledger: Ledger, rule: WeekRule, kinds: set[str]
) -> list[BudgetStatus]:
    """Budgets of the period's own kind, as they stand on the period's last day with usage.

    That day comes from the logs, not the clock, so the same logs always give the same note,
    and a running period's projection extrapolates from the days that have been logged.
    """
    chosen = [budget for budget in budgets if budget.kind in kinds]
    as_of = max(ledger.days(period.start, period.end), default=period.start)
    return statuses_over(period, chosen, as_of, lambda first, last: usage_between(ledger, first, last))


def chart_data(rows: list[SpanRow]) -> dict[str, Any]:
    """Labels and values for a Mermaid xychart-beta bar chart of cost per week."""
    labels = [row.label.split("-")[-1] + ("*" if row.partial else "") for row in rows]
    values = [f"{row.sums.cost.quantize(Decimal('0.01'))}" for row in rows]
    top = max((row.sums.cost for row in rows), default=Decimal(0))
    return {"labels": labels, "values": values, "top": f"{(top * Decimal('1.1')).quantize(Decimal('0.01')) or 1}"}


def usage_between(ledger: Ledger, first: dt.date, last: dt.date) -> Usage:
    return merge_days(ledger.days(first, last).values())


def problems_line(ledger: Ledger, period: Period) -> str:
    """Bad lines are never silent: the note says how many its period's files had skipped."""
    stats = ledger.stats_between(period.start, period.end)
    if not stats.invalid_lines:
        return ""
    lines = "line" if stats.invalid_lines == 1 else "lines"
    return f"{stats.invalid_lines:,} invalid log {lines} skipped — run `vaultledger doctor` to see them."


__all__ = ["SpanRow", "Trend", "section_context"]
