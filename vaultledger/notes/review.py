"""A month, quarter or year as a review: its weeks and months linked, what moved, the dearest days, budgets.

Everything here is computed from the logs only (never the clock), so the same logs give the same note.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from vaultledger.budgets import Budget, BudgetStatus, statuses_over
from vaultledger.ledger import Ledger
from vaultledger.ledger.usage import Sums, Usage, merge_days
from vaultledger.notes.chart import chart_data
from vaultledger.notes.escape import markdown_text
from vaultledger.notes.links import Link, NoteLinks
from vaultledger.notes.render import provider_label
from vaultledger.pricing import format_share
from vaultledger.ledger.savings import CacheSavings, cache_savings
from vaultledger.notes.savings import savings_words
from vaultledger.notes.summary import summary_sentences
from vaultledger.notes.trend import Trend, signed_percent, standouts, trend_of
from vaultledger.periods import (
    Period, WeekRule, day_of, months_overlapping, quarters_overlapping, weeks_overlapping,
)

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TOP_DAYS = 5
TOP_MOVERS = 5
# A week of three days or fewer is too short to call it a week that stood out.
MIN_STANDOUT_DAYS = 4
# The budget kinds a span's review checks: its own, and the one just below it.
REVIEWED_BUDGETS = {"month": ("monthly",), "quarter": ("quarterly", "monthly"), "year": ("quarterly",)}


@dataclass(frozen=True)
class SpanRow:
    """One row of a per-day, per-week or per-month table, linked to that period's note where there is one."""

    label: str
    sums: Sums
    partial: bool = False
    days: int = 1
    link: Link | None = None
    start: dt.date = dt.date.min

    @property
    def cell(self) -> str:
        return self.link.cell if self.link else markdown_text(self.label)

    @property
    def per_day(self) -> Decimal:
        return self.sums.cost / self.days if self.days else Decimal(0)


@dataclass(frozen=True)
class Mover:
    """A model whose cost changed most against the previous period."""

    label: str
    now: Sums
    before: Sums

    @property
    def change(self) -> Decimal:
        return self.now.cost - self.before.cost

    @property
    def percent(self) -> str:
        if not self.before.cost:
            return "new" if self.now.cost else "—"
        if not self.now.cost:
            return "stopped"
        return signed_percent(self.change / self.before.cost * 100)


def day_rows(period: Period, days: dict[dt.date, Usage], links: NoteLinks) -> list[SpanRow]:
    """A row per day of the period, each day linked to its daily note."""
    rows = []
    for day in period.days():
        label = f"{WEEKDAY_NAMES[day.weekday()]} {day.isoformat()}"
        sums = days[day].totals() if day in days else Sums()
        rows.append(SpanRow(label, sums, link=links.to(day_of(day), label)))
    return rows


def week_rows(period: Period, days: dict[dt.date, Usage], rule: WeekRule, links: NoteLinks) -> list[SpanRow]:
    """Every week overlapping the period, counting only the period's days (SPEC §4), linked to the week."""
    rows = []
    for overlap in weeks_overlapping(period, rule):
        clipped = overlap.days
        sums = merge_days(days[day] for day in clipped.days() if day in days).totals()
        rows.append(SpanRow(clipped.key, sums, overlap.partial, clipped.num_days,
                            links.to(overlap.week, clipped.key), clipped.start))
    return rows


def month_rows(period: Period, days: dict[dt.date, Usage], links: NoteLinks) -> list[SpanRow]:
    """A quarter's or year's months, linked to the monthly notes."""
    if period.kind not in ("quarter", "year"):
        return []
    rows = []
    for month in months_overlapping(period):
        sums = merge_days(days[day] for day in month.days() if day in days).totals()
        rows.append(SpanRow(month.key, sums, days=month.num_days, link=links.to(month, month.key)))
    return rows


def expensive_days(days: dict[dt.date, Usage], links: NoteLinks, limit: int = TOP_DAYS) -> list[dict[str, Any]]:
    """The dearest days, linked to their daily notes, with the model that cost most on each."""
    ranked = sorted(((usage.totals(), day) for day, usage in days.items()), key=lambda item: (-item[0].cost, item[1]))
    return [
        {"link": links.to(day_of(day), f"{WEEKDAY_NAMES[day.weekday()]} {day.isoformat()}"), "sums": sums,
         "top_model": days[day].by("model")[0][0]}
        for sums, day in ranked[:limit]
        if sums.cost > 0
    ]


def movers(usage: Usage, previous: Usage, limit: int = TOP_MOVERS) -> list[Mover]:
    """The models whose cost changed most against the previous period (none when it had no usage)."""
    if previous.is_empty():
        return []
    now, before = dict(usage.by("model")), dict(previous.by("model"))
    rows = [Mover(str(model), now.get(model, Sums()), before.get(model, Sums()))
            for model in dict.fromkeys([*now, *before])]
    moved = [row for row in rows if row.change]
    return sorted(moved, key=lambda row: (-abs(row.change), row.label))[:limit]


def budget_rows(period: Period, budgets: list[Budget], ledger: Ledger, as_of: dt.date) -> list[BudgetStatus]:
    """Budget against actual for each budget of the span's kind, and per month (or quarter) within it,
    leaving out the parts of the span no logged day has reached yet."""
    usage_of = lambda first, last: merge_days(ledger.days(first, last).values())  # noqa: E731
    kinds = REVIEWED_BUDGETS.get(period.kind, ())
    rows: list[BudgetStatus] = []
    for kind in kinds:
        chosen = [budget for budget in budgets if budget.kind == kind]
        for part in _parts_of_kind(period, kind):
            if chosen and part.start <= as_of:
                rows.extend(statuses_over(part, chosen, min(as_of, part.end), usage_of))
    return rows


def _parts_of_kind(period: Period, kind: str) -> Iterable[Period]:
    if f"{period.kind}ly" == kind:
        return [period]
    return months_overlapping(period) if kind == "monthly" else quarters_overlapping(period)


def driver_rows(usage: Usage) -> dict[str, Any]:
    """The model, provider and project that cost the most, with their share of the whole."""
    total = usage.totals()
    drivers = {}
    for dimension in ("model", "provider", "project"):
        ranked = usage.by(dimension)
        if ranked and ranked[0][0] is not None and ranked[0][1].cost > 0:
            key, sums = ranked[0]
            label = provider_label(key) if dimension == "provider" else key
            drivers[dimension] = {"label": label, "sums": sums, "share": format_share(sums.cost, total.cost)}
    return drivers


def review_context(
    period: Period, days: dict[dt.date, Usage], previous_usage: Usage, ledger: Ledger, budgets: list[Budget],
    rule: WeekRule, links: NoteLinks,
) -> dict[str, Any]:
    """What a month's, quarter's or year's section shows beyond its totals and breakdowns."""
    usage = merge_days(days.values())
    as_of = max(days, default=period.start)
    weeks = week_rows(period, days, rule, links)
    elapsed = _elapsed(weeks, as_of)
    trend = trend_of([(row.sums.cost, row.days) for row in elapsed], _halves(period, days, as_of))
    standout = [(elapsed[index], percent) for index, percent in standouts([row.per_day for row in elapsed])
                if elapsed[index].days >= MIN_STANDOUT_DAYS]
    savings: CacheSavings = cache_savings(days, ledger.book)
    reviewed = budget_rows(period, budgets, ledger, as_of)
    context: dict[str, Any] = {
        "week_rows": weeks, "month_rows": month_rows(period, days, links), "trend": trend,
        "standouts": standout, "chart": chart_data(elapsed, period, budgets),
        "movers": movers(usage, previous_usage), "expensive_days": expensive_days(days, links),
        "savings": savings, "savings_words": savings_words(savings), "budget_rows": reviewed, "drivers": driver_rows(usage),
        "previous": period.previous(),
    }
    context["summary"] = summary_sentences(period, usage, previous_usage, trend, standout, reviewed, context["drivers"],
                                           links)
    return context


def _elapsed(rows: list[SpanRow], as_of: dt.date) -> list[SpanRow]:
    """The weeks up to the last logged day, each counting only its days up to then: a running
    period's days to come would otherwise read as a drop."""
    return [replace(row, days=min(row.days, (as_of - row.start).days + 1)) for row in rows if row.start <= as_of]


def _halves(period: Period, days: dict[dt.date, Usage], as_of: dt.date) -> tuple[Decimal, Decimal]:
    """Cost of the first and second half of the days logged so far (the middle day, if any, left out)."""
    elapsed = [day for day in period.days() if day <= as_of]
    half = len(elapsed) // 2
    cost = lambda chosen: sum((days[d].totals().cost for d in chosen if d in days), Decimal(0))  # noqa: E731
    return cost(elapsed[:half]), cost(elapsed[-half:] if half else [])


__all__ = ["Mover", "SpanRow", "Trend", "day_rows", "review_context"]
