"""What each note section shows (SPEC §7), as plain data for the templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vaultledger.budgets import Budget, BudgetStatus, statuses_on, statuses_over
from vaultledger.ledger import Ledger
from vaultledger.ledger.usage import Sums, Usage, merge_days
from vaultledger.notes.links import NO_LINKS, Link, NoteLinks
from vaultledger.notes.render import usage_context
from vaultledger.notes.review import SpanRow, day_rows, review_context
from vaultledger.notes.trend import Trend, change_words
from vaultledger.periods import Period, WeekRule, month_of, quarter_of, week_of

BUDGET_CALLOUT = {"over": "danger", "warning": "warning", "ok": "success"}


def section_context(
    kind: str, period: Period, ledger: Ledger, budgets: list[Budget], rule: WeekRule, links: NoteLinks = NO_LINKS
) -> dict[str, Any]:
    builders = {"daily": daily_context, "weekly": weekly_context}
    return builders.get(kind, span_context)(period, ledger, budgets, rule, links)


def daily_context(
    period: Period, ledger: Ledger, budgets: list[Budget], rule: WeekRule, links: NoteLinks = NO_LINKS
) -> dict[str, Any]:
    day = period.start
    context = usage_context(ledger.usage(period))
    context["day"] = day.isoformat()
    context["budgets"] = statuses_on(day, budgets, lambda first, last: usage_between(ledger, first, last), rule)
    context["budget_callout"] = budget_callout(context["budgets"])
    context["up_links"] = up_links(day, rule, links)
    context["problems"] = problems_line(ledger, period)
    return context


def up_links(day: dt.date, rule: WeekRule, links: NoteLinks) -> list[Link]:
    """The day's week, month and quarter notes, those that exist."""
    found = [links.to(week_of(day, rule), week_of(day, rule).key), links.to(month_of(day), month_of(day).key),
             links.to(quarter_of(day), quarter_of(day).key)]
    return [link for link in found if link.target]


def weekly_context(
    period: Period, ledger: Ledger, budgets: list[Budget], rule: WeekRule, links: NoteLinks = NO_LINKS
) -> dict[str, Any]:
    days = ledger.days(period.start, period.end)
    usage = merge_days(days.values())
    context = usage_context(usage)
    context["period"] = period
    context["day_rows"] = day_rows(period, days, links)
    context["change"] = change_against(usage.totals(), ledger.usage(period.previous()), period.previous(), links,
                                       "last week")
    context["budgets"] = period_budgets(period, budgets, ledger, {"weekly"})
    context["budget_callout"] = budget_callout(context["budgets"])
    context["problems"] = problems_line(ledger, period)
    return context


def span_context(
    period: Period, ledger: Ledger, budgets: list[Budget], rule: WeekRule, links: NoteLinks = NO_LINKS
) -> dict[str, Any]:
    """Months, quarters and years, as a review: summary, months, weeks, chart, movers, days, budgets."""
    days = ledger.days(period.start, period.end)
    usage = merge_days(days.values())
    previous = period.previous()
    previous_usage = ledger.usage(previous)
    context = usage_context(usage)
    context["period"] = period
    context["change"] = change_against(usage.totals(), previous_usage, previous, links)
    context["budgets"] = period_budgets(period, budgets, ledger, {f"{period.kind}ly"})
    context["units"] = sorted(usage.cost_per_unit(), key=lambda unit: (-unit[2].cost, unit[0]))
    context["problems"] = problems_line(ledger, period)
    context.update(review_context(period, days, previous_usage, ledger, budgets, rule, links))
    return context


def change_against(
    current: Sums, previous_usage: Usage, previous: Period, links: NoteLinks = NO_LINKS, relative: str = ""
) -> str:
    """`12 % more than 2025Q4, which cost $10.00`, linked to the previous period's note where it exists."""
    before = previous_usage.totals()
    label = links.to(previous, previous.key).md
    return change_words(current.cost, before.cost, before.calls, label, relative)


def period_budgets(period: Period, budgets: list[Budget], ledger: Ledger, kinds: set[str]) -> list[BudgetStatus]:
    """Budgets of the period's own kind, as they stand on the period's last day with usage.

    That day comes from the logs, not the clock, so the same logs always give the same note,
    and a running period's projection extrapolates from the days that have been logged.
    """
    chosen = [budget for budget in budgets if budget.kind in kinds]
    as_of = max(ledger.days(period.start, period.end), default=period.start)
    return statuses_over(period, chosen, as_of, lambda first, last: usage_between(ledger, first, last))


def budget_callout(statuses: list[BudgetStatus]) -> dict[str, Any]:
    """One callout for every budget (SPEC §7): its type is the worst level, its title names the worst."""
    if not statuses:
        return {}
    worst = max(statuses, key=lambda status: (("ok", "warning", "over").index(status.level), status.share))
    level = worst.level
    flagged = [status for status in statuses if status.level == level]
    if level == "over":
        title = f"Over budget: {worst.label} at {worst.share_text}"
        if len(flagged) > 1:
            title += f", and {len(flagged) - 1} more"
    elif level == "warning":
        title = f"Budget nearly used: {worst.label} at {worst.share_text}"
    else:
        title = f"Budgets on track (highest: {worst.label} at {worst.share_text})"
    return {"type": BUDGET_CALLOUT[level], "title": title, "folded": level == "ok"}


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
