"""Flat-fee plans (`[plans.NAME]`): which calls a subscription covers, and what they would have cost at
list price against its fee ("Claude Max: $812.00 of API use for $200.00 this month").

The covered calls stay in every total at list price (that is the ledger's one number); a plan only adds
a line beside them, and budgets with `exclude_plans` leave them out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

import msgspec

from vaultledger.errors import ConfigError
from vaultledger.ledger.usage import GroupKey, Sums, Usage, dimension_values
from vaultledger.periods import Period, month_of, months_overlapping, today
from vaultledger.pricing import format_usd
from vaultledger.record import normalise_provider

if TYPE_CHECKING:
    from vaultledger.settings import Settings

# What `match` may test: the dimensions a day's groups of calls keep (a `tag` matches any of a call's tags).
MATCH_KEYS = ("provider", "model", "app", "project", "use_case", "service_tier", "tag")
PLAN_KEYS = {"monthly", "match", "name"}
CENT = Decimal("0.01")


class Plan(msgspec.Struct, frozen=True):
    """A subscription: its fee per calendar month, and the calls it covers (every `match` key must
    match; a value may be a glob like "claude-*" or a list of them)."""

    key: str
    name: str
    monthly: Decimal
    match: tuple[tuple[str, tuple[str, ...]], ...]

    def covers(self, key: GroupKey) -> bool:
        return all(self._matches(key, dimension, patterns) for dimension, patterns in self.match)

    @staticmethod
    def _matches(key: GroupKey, dimension: str, patterns: tuple[str, ...]) -> bool:
        return any(value is not None and any(fnmatchcase(value, pattern) for pattern in patterns)
                   for value in dimension_values(key, dimension))

    def fee_for(self, period: Period) -> Decimal:
        """The fee over `period`: whole months at the monthly fee, part months by their share of days."""
        total = Decimal(0)
        for month in months_overlapping(period):
            days = (min(month.end, period.end) - max(month.start, period.start)).days + 1
            total += self.monthly if days == month.num_days else self.monthly * days / month.num_days
        return total.quantize(CENT)

    def covered(self, usage: Usage) -> Sums:
        """Calls, tokens and list-price cost of the calls of `usage` this plan covers."""
        return sums_where(usage, self.covers)


def sums_where(usage: Usage, wanted: Callable[[GroupKey], bool]) -> Sums:
    """The sums of the groups of `usage` whose key is `wanted`."""
    total = Sums()
    for key, sums in usage.groups.items():
        if wanted(key):
            total.add(sums)
    return total


class PlanValue(msgspec.Struct, frozen=True):
    """What one plan's covered calls of a period would have cost at list price, against its fee."""

    plan: Plan
    period: Period
    covered: Sums
    fee: Decimal
    as_of: dt.date | None = None  # today, to say "this month"

    @property
    def saved(self) -> Decimal:
        """List price minus fee: positive when the plan paid off (unpriced calls not counted)."""
        return self.covered.cost - self.fee

    def as_json(self) -> dict[str, Any]:
        """The plan's entry in `report --format json`'s `plans` (amounts in USD, as numbers)."""
        from vaultledger.reports.report import dollars

        return {"plan": self.plan.key, "name": self.plan.name, "monthly_fee_usd": dollars(self.plan.monthly),
                "fee_usd": dollars(self.fee), "calls": self.covered.calls, "cost_usd": dollars(self.covered.cost),
                "unpriced_calls": self.covered.unpriced_calls, "saved_usd": dollars(self.saved),
                "line": self.line()}

    def line(self) -> str:
        """'Claude Max: $812.00 of API use for $200.00 this month' (plus unpriced calls, if any)."""
        text = f"{self.plan.name}: {format_usd(self.covered.cost)} of API use for {format_usd(self.fee)} {self._when()}"
        if self.covered.calls:
            text += f" ({self.covered.calls:,} call{'' if self.covered.calls == 1 else 's'})"
        if self.covered.unpriced_calls:
            text += f"; {self.covered.unpriced_calls:,} unpriced calls not counted"
        return text

    def _when(self) -> str:
        if self.as_of is not None and self.period == month_of(self.as_of):
            return "this month"
        if self.period.kind in ("month", "quarter"):
            return f"in {self.period.key}"
        return f"in {self.period.key} (the monthly fee prorated by day)"


def plan_values(plans: list[Plan], period: Period, usage: Usage, as_of: dt.date | None = None) -> list[PlanValue]:
    """Each plan's value over `period` (whose usage is `usage`), in config order; `as_of` is today."""
    return [PlanValue(plan, period, plan.covered(usage), plan.fee_for(period), as_of) for plan in plans]


def plans_over(settings: Settings, period: Period | None, now: dt.datetime | None = None) -> list[PlanValue]:
    """The config's plans over `period` (default: this month in the configured zone), read from its logs."""
    from vaultledger.ledger import Ledger

    plans = parse_plans(settings.plans, settings.config_label)
    if not plans:
        return []
    as_of = today(settings.timezone.value, now)
    period = period or month_of(as_of)
    return plan_values(plans, period, Ledger.from_settings(settings).usage(period), as_of)


def parse_plans(table: Mapping[str, Any], source: str = "config") -> list[Plan]:
    """`[plans.NAME]` tables → Plan values; a bad one is a ConfigError naming the table and key."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: [plans] must hold tables like [plans.claude-max]")
    return [_plan(key, entry, source) for key, entry in table.items()]


def _plan(key: str, entry: Any, source: str) -> Plan:
    where = f"{source}: [plans.{key}]"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be a table with monthly = FEE and match = {{ ... }}")
    unknown = set(entry) - PLAN_KEYS
    if unknown:
        raise ConfigError(f"{where} has unknown key {sorted(unknown)[0]!r} (keys: {', '.join(sorted(PLAN_KEYS))})")
    fee = entry.get("monthly")
    if isinstance(fee, bool) or not isinstance(fee, int | float) or fee < 0:
        raise ConfigError(f"{where} monthly must be the fee in USD per month (a number >= 0), got {fee!r}")
    name = entry.get("name", key)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where} name must be text, got {name!r}")
    return Plan(key, name, Decimal(str(fee)), _match(entry.get("match"), where))


def _match(match: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(match, Mapping) or not match:
        raise ConfigError(f'{where} match must name the calls it covers, e.g. match = {{ provider = "anthropic", '
                          f'app = "claude-code" }} (keys: {", ".join(MATCH_KEYS)})')
    tests = []
    for dimension, wanted in match.items():
        if dimension not in MATCH_KEYS:
            raise ConfigError(f"{where} match has unknown key {dimension!r} (keys: {', '.join(MATCH_KEYS)})")
        patterns = [wanted] if isinstance(wanted, str) else wanted
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p for p in patterns):
            raise ConfigError(f"{where} match.{dimension} must be text or a list of text, got {wanted!r}")
        if dimension == "provider":
            patterns = [normalise_provider(pattern) for pattern in patterns]
        tests.append((dimension, tuple(patterns)))
    return tuple(tests)
