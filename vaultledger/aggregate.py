"""Fold records into per-day usage groups, and groups into totals per period and dimension.

A day is kept as a handful of groups (one per provider, model, tier, project, use case, app and
tags combination) rather than as records, so weeks and quarters are sums of small tables and a
price is applied once per group where the price is linear in tokens.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from vaultledger.pricing import Price, PriceBook
from vaultledger.record import UsageRecord

DIMENSIONS = ("provider", "model", "project", "use_case", "app", "tag", "service_tier")
TOKEN_FIELDS = (
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
)


class GroupKey(NamedTuple):
    provider: str
    model: str
    service_tier: str | None
    project: str | None
    use_case: str | None
    app: str | None
    tags: tuple[str, ...]


class Sums:
    """Calls, tokens and the known cost of a set of calls; unpriced calls add no cost."""

    __slots__ = ("calls", *TOKEN_FIELDS, "cost", "unpriced_calls")

    def __init__(self) -> None:
        self.calls = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_read_tokens = 0
        self.cache_write_tokens = 0
        self.reasoning_tokens = 0
        self.cost = Decimal(0)
        self.unpriced_calls = 0

    def add_record(self, record: UsageRecord) -> None:
        self.calls += 1
        self.input_tokens += record.input_tokens
        self.output_tokens += record.output_tokens
        self.cache_read_tokens += record.cache_read_tokens
        self.cache_write_tokens += record.cache_write_tokens
        self.reasoning_tokens += record.reasoning_tokens

    def add(self, other: Sums) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def copy(self) -> Sums:
        twin = Sums()
        twin.add(self)
        return twin

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def priced_calls(self) -> int:
        return self.calls - self.unpriced_calls

    def as_dict(self) -> dict[str, int | Decimal]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_dict(cls, values: Mapping[str, int | Decimal | str]) -> Sums:
        sums = cls()
        for name in cls.__slots__:
            value = values.get(name, 0)
            setattr(sums, name, Decimal(value) if name == "cost" else int(value))
        return sums

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sums) and self.as_dict() == other.as_dict()

    def __repr__(self) -> str:
        return f"Sums({self.as_dict()})"


@dataclass
class Usage:
    """Usage of one day or one period: groups of calls, and the output units per use case."""

    groups: dict[GroupKey, Sums] = field(default_factory=dict)
    units: dict[str, set[str]] = field(default_factory=dict)

    def merge(self, other: Usage) -> None:
        for key, sums in other.groups.items():
            mine = self.groups.get(key)
            if mine is None:
                self.groups[key] = sums.copy()
            else:
                mine.add(sums)
        for use_case, units in other.units.items():
            self.units.setdefault(use_case, set()).update(units)

    def totals(self) -> Sums:
        total = Sums()
        for sums in self.groups.values():
            total.add(sums)
        return total

    def by(self, dimension: str) -> list[tuple[str | None, Sums]]:
        """Rows for one dimension, most expensive first (then most calls, then name)."""
        rows: dict[str | None, Sums] = {}
        for key, sums in self.groups.items():
            for value in dimension_values(key, dimension):
                rows.setdefault(value, Sums()).add(sums)
        return sorted(rows.items(), key=lambda row: (-row[1].cost, -row[1].calls, str(row[0])))

    def unpriced_models(self) -> dict[str, int]:
        """`provider/model` → unpriced calls, for the "unpriced" line every report carries."""
        counts: dict[str, int] = defaultdict(int)
        for key, sums in self.groups.items():
            if sums.unpriced_calls:
                counts[f"{key.provider}/{key.model}"] += sums.unpriced_calls
        return dict(sorted(counts.items()))

    def cost_per_unit(self) -> list[tuple[str, int, Sums]]:
        """(use case, distinct unit ids, sums of that use case) for use cases with units."""
        by_use_case = dict(self.by("use_case"))
        return [
            (use_case, len(units), by_use_case[use_case])
            for use_case, units in sorted(self.units.items())
            if units and use_case in by_use_case
        ]

    def is_empty(self) -> bool:
        return not self.groups


def dimension_values(key: GroupKey, dimension: str) -> Iterator[str | None]:
    """The value(s) a group has for a dimension; a group with two tags counts under both."""
    if dimension == "tag":
        yield from key.tags or (None,)
    elif dimension == "project":
        yield key.project or key.app
    elif dimension == "model":
        yield key.model
    else:
        yield getattr(key, dimension)


def group_key(record: UsageRecord) -> GroupKey:
    return GroupKey(
        record.provider,
        record.model,
        record.service_tier,
        record.project,
        record.use_case,
        record.app,
        tuple(record.tags),
    )


class DayFolder:
    """Folds records into per-local-day Usage, pricing each group as cheaply as prices allow."""

    def __init__(self, book: PriceBook, tz: str) -> None:
        self.book = book
        self.zone = zoneinfo.ZoneInfo(tz)
        self.days: dict[dt.date, Usage] = {}
        # Calls below a price's first tier cost tokens × base rate, so their tokens can be summed
        # per (day, group, price) and priced once at the end.
        self._linear: dict[tuple[dt.date, GroupKey, Price], Sums] = {}

    def add(self, record: UsageRecord) -> None:
        day = record.ts.astimezone(self.zone).date()
        usage = self.days.get(day)
        if usage is None:
            usage = self.days[day] = Usage()
        key = group_key(record)
        sums = usage.groups.get(key)
        if sums is None:
            sums = usage.groups[key] = Sums()
        sums.add_record(record)
        if record.unit_id is not None:
            usage.units.setdefault(record.use_case or "", set()).add(record.unit_id)
        self._price(record, day, key, sums)

    def add_all(self, records: Iterable[UsageRecord]) -> None:
        for record in records:
            self.add(record)

    def finish(self) -> dict[dt.date, Usage]:
        """Apply the pending linear prices and hand over the days."""
        for (day, key, price), tokens in self._linear.items():
            self.days[day].groups[key].cost += price.linear_cost(
                tokens.input_tokens, tokens.output_tokens, tokens.cache_read_tokens, tokens.cache_write_tokens,
                calls=tokens.calls,
            )
        self._linear.clear()
        return self.days

    def _price(self, record: UsageRecord, day: dt.date, key: GroupKey, sums: Sums) -> None:
        if record.cost_usd is not None:
            sums.cost += record.cost_usd
            return
        price = self.book.price_for(record.provider, record.model, record.ts, record.service_tier)
        if price is None:
            sums.unpriced_calls += 1
        elif price.tiered_from is None or record.input_tokens < price.tiered_from:
            pending = self._linear.get((day, key, price))
            if pending is None:
                pending = self._linear[(day, key, price)] = Sums()
            pending.add_record(record)
        else:
            sums.cost += price.cost(
                record.input_tokens, record.output_tokens, record.cache_read_tokens, record.cache_write_tokens
            )


def merge_days(days: Iterable[Usage]) -> Usage:
    total = Usage()
    for usage in days:
        total.merge(usage)
    return total
