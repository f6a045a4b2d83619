"""Questions the period totals cannot answer: what one task cost (a `unit_id` or a `session`), the most
expensive calls and days, and cost per output unit. Calls are the ones reports count, priced by the
same book, so a task's cost is the sum of its rows in `vaultledger export`."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vaultledger.ledger import Ledger
from vaultledger.ledger.usage import Sums, Usage
from vaultledger.periods import Period
from vaultledger.record import COUNT_FIELDS, UsageRecord
from vaultledger.reports.report import dollars, sums_json

CALL_FIELDS = ("provider", "model", "app", "project", "use_case", "unit_id", "session", "id", "service_tier")


@dataclass(frozen=True)
class PricedCall:
    """One call that counts, with its local day and its cost (None: unpriced)."""

    day: dt.date
    record: UsageRecord
    cost: Decimal | None

    def as_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"ts": self.record.ts.isoformat(), "day": self.day.isoformat()}
        row.update({name: getattr(self.record, name) for name in CALL_FIELDS})
        row.update({name: getattr(self.record, name) for name in COUNT_FIELDS})
        row["cost_usd"] = None if self.cost is None else dollars(self.cost)
        return row


def priced_calls(ledger: Ledger, period: Period) -> Iterator[PricedCall]:
    """Every call the period's reports count, with its cost."""
    for day, record in ledger.records(period.start, period.end):
        yield PricedCall(day, record, ledger.book.cost_of(record).cost)


def add_call(sums: Sums, call: PricedCall) -> None:
    sums.add_records([call.record])
    if call.cost is None:
        sums.unpriced_calls += 1
    else:
        sums.cost += call.cost


@dataclass
class TaskCost:
    """The calls of one task (a unit_id or a session) within a period."""

    what: str
    period: Period
    totals: Sums = field(default_factory=Sums)
    by_model: dict[str, Sums] = field(default_factory=dict)
    first: dt.datetime | None = None
    last: dt.datetime | None = None

    def add(self, call: PricedCall) -> None:
        add_call(self.totals, call)
        add_call(self.by_model.setdefault(f"{call.record.provider}/{call.record.model}", Sums()), call)
        self.first = min(self.first or call.record.ts, call.record.ts)
        self.last = max(self.last or call.record.ts, call.record.ts)

    def as_json(self) -> dict[str, Any]:
        models = sorted(self.by_model.items(), key=lambda item: (-item[1].cost, item[0]))
        return {
            "task": self.what, "searched": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
            "totals": sums_json(self.totals), "first_call": self.first.isoformat() if self.first else None,
            "last_call": self.last.isoformat() if self.last else None,
            "by_model": [{"key": key, **sums_json(sums)} for key, sums in models],
        }


def task_cost(ledger: Ledger, period: Period, *, unit_id: str | None = None, session: str | None = None) -> TaskCost:
    """The calls within `period` whose unit_id (or session) is the one named."""
    if (unit_id is None) == (session is None):
        raise ValueError("name a unit_id or a session, not both")
    field_name, value = ("unit_id", unit_id) if unit_id is not None else ("session", session)
    task = TaskCost(f"{field_name} {value}", period)
    for call in priced_calls(ledger, period):
        if getattr(call.record, field_name) == value:
            task.add(call)
    return task


def top_calls(ledger: Ledger, period: Period, limit: int) -> tuple[list[PricedCall], int]:
    """The `limit` most expensive priced calls of the period, and how many calls had no price."""
    unpriced = 0

    def priced() -> Iterator[PricedCall]:
        nonlocal unpriced
        for call in priced_calls(ledger, period):
            if call.cost is None:
                unpriced += 1
            else:
                yield call

    found = heapq.nlargest(limit, priced(), key=lambda call: (call.cost, call.record.ts))
    return found, unpriced


def top_days(ledger: Ledger, period: Period, limit: int) -> list[tuple[dt.date, Sums]]:
    """The `limit` days of the period that cost most, with their totals."""
    days = [(day, usage.totals()) for day, usage in ledger.days(period.start, period.end).items()]
    return heapq.nlargest(limit, days, key=lambda item: (item[1].cost, item[0]))


@dataclass(frozen=True)
class UnitCost:
    """Cost per output unit of one use case: its cost over its distinct unit ids."""

    use_case: str
    units: int
    sums: Sums

    @property
    def per_unit(self) -> Decimal:
        return self.sums.cost / self.units

    def as_json(self) -> dict[str, Any]:
        return {"use_case": self.use_case, "units": self.units, "cost_per_unit_usd": dollars(self.per_unit),
                **sums_json(self.sums)}


def cost_per_unit(usage: Usage, use_case: str | None = None) -> list[UnitCost]:
    """Cost per unit of each use case with units (or of the one named), as the quarterly note shows it."""
    return [UnitCost(name, units, sums) for name, units, sums in usage.cost_per_unit()
            if use_case is None or name == use_case]
