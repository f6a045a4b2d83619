"""Everything the dashboard shows, gathered from one ledger: the same sums `report --format json` prints.

Kept apart from the HTML so a test can hold the figures next to the report's, and so "now" is a
plain argument (`as_of`) rather than the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vaultledger.budgets import Budget, BudgetStatus, statuses_on
from vaultledger.capture.dropped import dropped_records
from vaultledger.ledger import Ledger
from vaultledger.ledger.usage import Sums
from vaultledger.periods import Period, WeekRule, date_range, day_of, month_of, quarter_of, week_of
from vaultledger.budgets.plans import Plan, plan_values
from vaultledger.ledger.savings import CacheSavings, cache_savings
from vaultledger.reports.problems import find_outliers, problems_json

DIMENSIONS = ("provider", "model", "project", "use_case", "app")
# The cards at the top: the current periods, each with the budgets that run over that kind of period.
CARD_KINDS = (("Today", "daily"), ("This week", "weekly"), ("This month", "monthly"), ("This quarter", "quarterly"))


@dataclass(frozen=True)
class PeriodCard:
    """A current period (today, this week …): what it cost so far, and its budgets."""

    title: str
    kind: str  # the kind of budget that runs over this period: daily, weekly, monthly or quarterly
    period: Period
    totals: Sums
    budgets: list[BudgetStatus] = field(default_factory=list)


@dataclass(frozen=True)
class DailyCosts:
    """Cost per day of the period, one series per provider (most expensive provider first)."""

    days: list[dt.date]
    by_provider: list[tuple[str, list[Decimal]]]


@dataclass(frozen=True)
class DashboardData:
    period: Period
    as_of: dt.date
    totals: Sums
    breakdowns: dict[str, list[tuple[str | None, Sums]]]
    daily: DailyCosts
    cards: list[PeriodCard]
    units: list[tuple[str, int, Sums]]
    unpriced: dict[str, int]
    savings: CacheSavings
    problems: dict[str, Any]
    plans: list[str] = field(default_factory=list)  # what each flat-fee plan was worth at list price


def gather_dashboard(
    ledger: Ledger, period: Period, budgets: Sequence[Budget], rule: WeekRule, as_of: dt.date,
    plans: Sequence[Plan] = (),
) -> DashboardData:
    """The period's figures, and the current periods' (as of `as_of`) against `budgets`."""
    usage = ledger.usage(period)
    # Read problems now, before the cards read other days: then they are those `report` sees.
    dropped = dropped_records(ledger.logs_dir, period.start, period.end).count
    problems = problems_json(ledger.stats, usage, find_outliers(ledger, period), dropped)
    return DashboardData(
        period=period,
        as_of=as_of,
        totals=usage.totals(),
        breakdowns={dimension: usage.by(dimension) for dimension in DIMENSIONS},
        daily=daily_costs(ledger, period, [str(key) for key, _ in usage.by("provider")]),
        cards=period_cards(ledger, budgets, rule, as_of),
        units=usage.cost_per_unit(),
        unpriced=usage.unpriced_models(),
        savings=cache_savings(ledger.days(period.start, period.end), ledger.book),
        problems=problems,
        plans=[value.line() for value in plan_values(list(plans), period, usage, as_of)],
    )


def daily_costs(ledger: Ledger, period: Period, providers: list[str]) -> DailyCosts:
    """Every day of the period (days without calls at 0), its cost split by provider."""
    days = ledger.days(period.start, period.end)
    costs: dict[str, list[Decimal]] = {provider: [] for provider in providers}
    every_day = list(period.days())
    for day in every_day:
        by_provider = dict(days[day].by("provider")) if day in days else {}
        for provider in providers:
            costs[provider].append(by_provider.get(provider, Sums()).cost)
    return DailyCosts(every_day, list(costs.items()))


def period_cards(ledger: Ledger, budgets: Sequence[Budget], rule: WeekRule, as_of: dt.date) -> list[PeriodCard]:
    """Today, this week, this month and this quarter: each period's totals (as `report` counts them),
    and every budget of its kind as it stands on `as_of`."""
    statuses = statuses_on(as_of, list(budgets), lambda first, last: ledger.usage(date_range(first, last)), rule)
    periods = {"daily": day_of(as_of), "weekly": week_of(as_of, rule), "monthly": month_of(as_of),
               "quarterly": quarter_of(as_of)}
    return [PeriodCard(title, kind, periods[kind], ledger.usage(periods[kind]).totals(),
                       [status for status in statuses if status.budget.kind == kind])
            for title, kind in CARD_KINDS]
