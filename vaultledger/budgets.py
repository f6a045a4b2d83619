"""Budgets from the config and how spending stands against them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from vaultledger.aggregate import Usage, dimension_values
from vaultledger.errors import ConfigError
from vaultledger.periods import Period, WeekRule, day_of, month_of, quarter_of, week_of
from vaultledger.record import normalise_provider

PERIOD_KINDS = ("daily", "weekly", "monthly", "quarterly")
SCOPES = ("project", "provider", "model")
DEFAULT_WARN_AT = Decimal("0.8")
DEFAULT_DANGER_AT = Decimal("1.0")
PERIOD_NOUN = {"daily": "today", "weekly": "this week", "monthly": "this month", "quarterly": "this quarter"}


@dataclass(frozen=True)
class Budget:
    """An amount in USD for one kind of period, over all usage or one project/provider/model."""

    kind: str
    amount: Decimal
    scope: str | None = None
    name: str | None = None
    warn_at: Decimal = DEFAULT_WARN_AT
    danger_at: Decimal = DEFAULT_DANGER_AT

    @property
    def label(self) -> str:
        what = f"{self.scope} {self.name}" if self.scope else "all usage"
        return f"{self.kind.capitalize()} budget ({what})"

    def period_containing(self, day: dt.date, rule: WeekRule) -> Period:
        return {
            "daily": lambda: day_of(day),
            "weekly": lambda: week_of(day, rule),
            "monthly": lambda: month_of(day),
            "quarterly": lambda: quarter_of(day),
        }[self.kind]()

    def spent(self, usage: Usage) -> Decimal:
        """Known cost of the usage this budget watches."""
        if self.scope is None:
            return usage.totals().cost
        total = Decimal(0)
        for key, sums in usage.groups.items():
            values = [f"{key.provider}/{key.model}", key.model] if self.scope == "model" else list(
                dimension_values(key, self.scope)
            )
            if self.name in values:
                total += sums.cost
        return total


@dataclass(frozen=True)
class BudgetStatus:
    budget: Budget
    period: Period
    spent: Decimal
    as_of: dt.date

    @property
    def amount(self) -> Decimal:
        return self.budget.amount

    @property
    def label(self) -> str:
        return self.budget.label

    @property
    def share(self) -> Decimal:
        return self.spent / self.amount if self.amount else Decimal(0)

    @property
    def share_text(self) -> str:
        return f"{(self.share * 100).quantize(Decimal(1)):,} %"

    @property
    def remaining(self) -> Decimal:
        return max(self.amount - self.spent, Decimal(0))

    @property
    def over_by(self) -> Decimal:
        return max(self.spent - self.amount, Decimal(0))

    @property
    def days_elapsed(self) -> int:
        last = min(self.as_of, self.period.end)
        return max((last - self.period.start).days + 1, 1)

    @property
    def days_left(self) -> int:
        return max((self.period.end - max(self.as_of, self.period.start)).days, 0)

    @property
    def daily_average(self) -> Decimal:
        return self.spent / self.days_elapsed

    @property
    def projection(self) -> Decimal:
        """Spend at the end of the period if the average so far holds."""
        return (self.daily_average * self.period.num_days).quantize(Decimal("0.0001"))

    @property
    def level(self) -> str:
        if self.share > self.budget.danger_at:
            return "over"
        if self.share >= self.budget.warn_at:
            return "warning"
        return "ok"


def parse_budgets(table: Mapping[str, Any], source: str = "config") -> list[Budget]:
    """`[budgets]` → Budget values; `[budgets.project.NAME]`, `.provider.NAME`, `.model."p/m"` scoped."""
    warn_at, danger_at = _thresholds(table, source)
    budgets = _amounts(table, None, None, warn_at, danger_at, source)
    for scope in SCOPES:
        scoped = table.get(scope, {})
        if not isinstance(scoped, Mapping):
            raise ConfigError(f"{source}: [budgets.{scope}] must hold tables like [budgets.{scope}.NAME]")
        for name, amounts in scoped.items():
            if not isinstance(amounts, Mapping):
                raise ConfigError(f"{source}: [budgets.{scope}.{name}] must be a table of amounts")
            label = normalise_provider(name) if scope == "provider" else name
            budgets.extend(_amounts(amounts, scope, label, warn_at, danger_at, source))
    unknown = set(table) - set(PERIOD_KINDS) - set(SCOPES) - {"warn_at", "alert_thresholds"}
    if unknown:
        raise ConfigError(f"{source}: [budgets] has unknown key {sorted(unknown)[0]!r}")
    return budgets


def _thresholds(table: Mapping[str, Any], source: str) -> tuple[Decimal, Decimal]:
    thresholds = table.get("alert_thresholds")
    if thresholds is None:
        return DEFAULT_WARN_AT, DEFAULT_DANGER_AT
    if not isinstance(thresholds, list) or len(thresholds) != 2:
        raise ConfigError(f"{source}: budgets.alert_thresholds must be two numbers like [0.8, 1.0]")
    warn_at, danger_at = (_decimal(value, "alert_thresholds", source) for value in thresholds)
    return warn_at, danger_at


def _amounts(
    table: Mapping[str, Any], scope: str | None, name: str | None, warn_at: Decimal, danger_at: Decimal, source: str
) -> list[Budget]:
    return [
        Budget(kind, _decimal(table[kind], kind, source), scope, name, warn_at, danger_at)
        for kind in PERIOD_KINDS
        if kind in table
    ]


def _decimal(value: Any, key: str, source: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{source}: budgets '{key}' must be a number >= 0, got {value!r}")
    return Decimal(str(value))


def statuses_on(day: dt.date, budgets: list[Budget], usage_of: Any, rule: WeekRule) -> list[BudgetStatus]:
    """How every budget stands on `day`: spending from its period's start up to and including `day`.

    `usage_of(first, last)` returns the Usage of those days.
    """
    statuses = []
    for budget in budgets:
        period = budget.period_containing(day, rule)
        spent = budget.spent(usage_of(period.start, min(day, period.end)))
        statuses.append(BudgetStatus(budget, period, spent, day))
    return statuses
