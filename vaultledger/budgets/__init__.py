"""Budgets from the config and how spending stands against them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from vaultledger.budgets.plans import Plan, parse_plans, sums_where
from vaultledger.ledger.usage import GroupKey, Sums, Usage, dimension_values
from vaultledger.errors import ConfigError
from vaultledger.periods import Period, WeekRule, day_of, month_of, quarter_of, week_of
from vaultledger.pricing import format_share, format_usd
from vaultledger.record import normalise_provider

if TYPE_CHECKING:
    from vaultledger.settings import Settings

PERIOD_KINDS = ("daily", "weekly", "monthly", "quarterly")
SCOPES = ("project", "provider", "model")
# Switches a budget table may carry beside its amounts; each applies to that table's amounts only.
SWITCHES = ("hard", "exclude_plans")
DEFAULT_WARN_AT = Decimal("0.8")
DEFAULT_DANGER_AT = Decimal("1.0")
# The budget kind that runs over each kind of period; a date range has none.
BUDGET_KIND_OF_PERIOD = {"day": "daily", "week": "weekly", "month": "monthly", "quarter": "quarterly"}
CENTI_CENT = Decimal("0.0001")

UsageOf = Callable[[dt.date, dt.date], Usage]


class Budget(msgspec.Struct, frozen=True):
    """An amount in USD for one kind of period, over all usage or one project/provider/model.

    A `hard` budget is a limit: `vaultledger.guard()` refuses calls once it is reached. Calls that one
    of `excluded` (flat-fee plans) covers do not count against it.
    """

    kind: str
    amount: Decimal
    scope: str | None = None
    name: str | None = None
    warn_at: Decimal = DEFAULT_WARN_AT
    danger_at: Decimal = DEFAULT_DANGER_AT
    hard: bool = False
    excluded: tuple[Plan, ...] = ()

    @property
    def label(self) -> str:
        what = f"{self.scope} {self.name}" if self.scope else "all usage"
        if self.excluded:
            what += ", without " + ", ".join(plan.key for plan in self.excluded)
        return f"{self.kind.capitalize()} {'hard limit' if self.hard else 'budget'} ({what})"

    def period_containing(self, day: dt.date, rule: WeekRule) -> Period:
        return {
            "daily": lambda: day_of(day),
            "weekly": lambda: week_of(day, rule),
            "monthly": lambda: month_of(day),
            "quarterly": lambda: quarter_of(day),
        }[self.kind]()

    def spent(self, usage: Usage) -> Decimal:
        """Known cost of the usage this budget watches."""
        return self.watched(usage).cost

    def watched(self, usage: Usage) -> Sums:
        """Calls, tokens and known cost of the usage this budget watches."""
        return sums_where(usage, self.watches)

    def watches(self, key: GroupKey) -> bool:
        """Whether calls of this group count against the budget."""
        if self.excluded and any(plan.covers(key) for plan in self.excluded):
            return False
        if self.scope is None:
            return True
        if self.scope == "model":
            return self.name in (f"{key.provider}/{key.model}", key.model)
        return self.name in dimension_values(key, self.scope)


class BudgetStatus(msgspec.Struct, frozen=True):
    """How one budget stands over one period on day `as_of` (before, within or after the period).

    `spent` counts the period's days up to `as_of`; unpriced calls add no cost, so they are counted
    apart in `unpriced_calls` and every view can say so.
    """

    budget: Budget
    period: Period
    spent: Decimal
    as_of: dt.date
    unpriced_calls: int = 0

    @property
    def amount(self) -> Decimal:
        return self.budget.amount

    @property
    def label(self) -> str:
        return self.budget.label

    @property
    def key(self) -> str:
        """The period's key, e.g. "2026-03" or "2026Q1"."""
        return self.period.key

    @property
    def share(self) -> Decimal:
        """Spent / amount; infinite when a zero budget has any spending."""
        if self.amount:
            return self.spent / self.amount
        return Decimal("Infinity") if self.spent else Decimal(0)

    @property
    def share_text(self) -> str:
        """`86 %`; `<1 %` for spending too small to round to a whole percent, never `0 %`."""
        if self.share.is_infinite():
            return "∞ %"
        if not self.amount:
            return "0 %"
        return format_share(self.spent, self.amount)

    @property
    def remaining(self) -> Decimal:
        return max(self.amount - self.spent, Decimal(0))

    @property
    def shown_remaining(self) -> Decimal:
        """Budget minus spent as both are shown (negative when over), so the figures add up on screen."""
        return shown_usd(self.amount) - shown_usd(self.spent)

    @property
    def over_by(self) -> Decimal:
        return max(self.spent - self.amount, Decimal(0))

    @property
    def has_started(self) -> bool:
        return self.as_of >= self.period.start

    @property
    def has_ended(self) -> bool:
        """The period lies wholly before `as_of`: its spending is final."""
        return self.as_of > self.period.end

    @property
    def days_elapsed(self) -> int:
        """Days of the period up to and including `as_of`."""
        if not self.has_started:
            return 0
        return (min(self.as_of, self.period.end) - self.period.start).days + 1

    @property
    def days_left(self) -> int:
        """Days of the period after `as_of` (today itself is counted as elapsed)."""
        return self.period.num_days - self.days_elapsed

    @property
    def daily_average(self) -> Decimal:
        if not self.days_elapsed:
            return Decimal(0)
        return (self.spent / self.days_elapsed).quantize(CENTI_CENT)

    @property
    def projection(self) -> Decimal:
        """Spend at the end of the period if the average so far holds; the actual spend once it is over."""
        if not self.has_started:
            return Decimal(0)
        if self.days_left == 0:
            return self.spent
        return (self.spent / self.days_elapsed * self.period.num_days).quantize(CENTI_CENT)

    @property
    def level(self) -> str:
        """"over" above the danger threshold, "warning" at or above the warning one, else "ok"."""
        if self.share > self.budget.danger_at:
            return "over"
        if self.share >= self.budget.warn_at and self.spent > 0:
            return "warning"
        return "ok"


def shown_usd(amount: Decimal) -> Decimal:
    """The amount as `format_usd` shows it: whole cents from one cent up."""
    shown = format_usd(amount).lstrip("<").replace("$", "").replace(",", "")
    return Decimal(shown)


def budgets_from(settings: Settings) -> list[Budget]:
    """The config's budgets, with the plans their `exclude_plans` leaves out: what every command uses."""
    plans = parse_plans(settings.plans, settings.config_label)
    return parse_budgets(settings.budgets, settings.config_label, plans)


def parse_budgets(table: Mapping[str, Any], source: str = "config", plans: Sequence[Plan] = ()) -> list[Budget]:
    """`[budgets]` → Budget values; `[budgets.project.NAME]`, `.provider.NAME`, `.model."p/m"` scoped.

    Each table may say `hard = true` (its amounts are limits) and `exclude_plans = true` (or a list of
    plan names: calls those `[plans.NAME]` cover do not count), for its own amounts only.
    """
    thresholds = _thresholds(table, source)
    budgets = _amounts(table, None, None, thresholds, plans, "[budgets]", source)
    for scope in SCOPES:
        scoped = table.get(scope, {})
        if not isinstance(scoped, Mapping):
            raise ConfigError(f"{source}: [budgets.{scope}] must hold tables like [budgets.{scope}.NAME]")
        for name, amounts in scoped.items():
            where = f"[budgets.{scope}.{name}]"
            if not isinstance(amounts, Mapping):
                raise ConfigError(f"{source}: {where} must be a table of amounts")
            unknown = set(amounts) - set(PERIOD_KINDS) - set(SWITCHES)
            if unknown:
                raise ConfigError(f"{source}: {where} has unknown key {sorted(unknown)[0]!r} "
                                  f"(amounts are {', '.join(PERIOD_KINDS)}; switches {', '.join(SWITCHES)})")
            label = normalise_provider(name) if scope == "provider" else name
            budgets.extend(_amounts(amounts, scope, label, thresholds, plans, where, source))
    unknown = set(table) - set(PERIOD_KINDS) - set(SCOPES) - set(SWITCHES) - {"warn_at", "alert_thresholds"}
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
    table: Mapping[str, Any], scope: str | None, name: str | None, thresholds: tuple[Decimal, Decimal],
    plans: Sequence[Plan], where: str, source: str,
) -> list[Budget]:
    hard = table.get("hard", False)
    if not isinstance(hard, bool):
        raise ConfigError(f"{source}: {where} hard must be true or false, got {hard!r}")
    excluded = _excluded_plans(table.get("exclude_plans", False), plans, where, source)
    return [
        Budget(kind, _decimal(table[kind], kind, source), scope, name, *thresholds, hard, excluded)
        for kind in PERIOD_KINDS
        if kind in table
    ]


def _excluded_plans(value: Any, plans: Sequence[Plan], where: str, source: str) -> tuple[Plan, ...]:
    """`exclude_plans = true` (every plan) or a list of plan names → the plans left out."""
    if value is False:
        return ()
    if value is True:
        if not plans:
            raise ConfigError(f"{source}: {where} exclude_plans = true, but the config has no [plans.NAME]")
        return tuple(plans)
    by_key = {plan.key: plan for plan in plans}
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ConfigError(f"{source}: {where} exclude_plans must be true, false or a list of plan names")
    missing = [name for name in value if name not in by_key]
    if missing:
        raise ConfigError(f"{source}: {where} exclude_plans names {missing[0]!r}, which is no [plans.NAME] "
                          f"(plans: {', '.join(by_key) or 'none'})")
    return tuple(by_key[name] for name in value)


def _decimal(value: Any, key: str, source: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{source}: budgets '{key}' must be a number >= 0, got {value!r}")
    return Decimal(str(value))


def status_of(budget: Budget, period: Period, as_of: dt.date, usage_of: UsageOf) -> BudgetStatus:
    """How `budget` stands over `period` on `as_of`: the period's spending up to that day.

    `usage_of(first, last)` returns the Usage of those days; a period that has not begun has none.
    """
    if as_of < period.start:
        return BudgetStatus(budget, period, Decimal(0), as_of)
    watched = budget.watched(usage_of(period.start, min(as_of, period.end)))
    return BudgetStatus(budget, period, watched.cost, as_of, watched.unpriced_calls)


def statuses_on(day: dt.date, budgets: list[Budget], usage_of: UsageOf, rule: WeekRule) -> list[BudgetStatus]:
    """How every budget stands on `day`, each over its own period holding `day`."""
    return [status_of(budget, budget.period_containing(day, rule), day, usage_of) for budget in budgets]


def statuses_over(period: Period, budgets: list[Budget], as_of: dt.date, usage_of: UsageOf) -> list[BudgetStatus]:
    """The budgets of `period`'s kind (monthly ones for a month, …) evaluated over it on `as_of`."""
    kind = BUDGET_KIND_OF_PERIOD.get(period.kind)
    return [status_of(budget, period, as_of, usage_of) for budget in budgets if budget.kind == kind]
