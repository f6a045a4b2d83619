"""A period's usage with rows for a dimension the fold does not keep: days, weeks and months, the host
that logged each call, or any `attrs` key (`report --by attr.git_branch`).

The fold's groups hold no hosts or attrs (they would multiply the groups every cache entry keeps), so
those rows come from the calls themselves: exactly the calls reports count (`Ledger.records`), folded
per value with the fold's own pricing. The period's totals and other breakdowns stay the fold's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from vaultledger.ledger import Ledger
from vaultledger.ledger.files import file_host
from vaultledger.ledger.fold import DayFolder
from vaultledger.ledger.usage import Sums, Usage
from vaultledger.periods import Period, WeekRule, day_of, month_of, week_of
from vaultledger.record import Scalar, UsageRecord

TIME_UNITS = ("day", "week", "month")
HOST = "host"
ATTR_PREFIX = "attr."

Rows = list[tuple["str | None", Sums]]


class Breakdown(Usage):
    """The period's usage (its groups, totals and other breakdowns), with `rows` for `dimension`.
    Unit ids are left out: no report shows them, and decoding them costs."""

    def __init__(self, usage: Usage, dimension: str, rows: Rows) -> None:
        super().__init__(usage.groups, None, usage.large_calls)
        self.dimension = dimension
        self.rows = rows

    def by(self, dimension: str) -> list[tuple[str | None, Sums]]:
        return list(self.rows) if dimension == self.dimension else super().by(dimension)


def is_record_dimension(by: str) -> bool:
    """`host` or `attr.KEY`: dimensions read from the calls rather than from the fold."""
    return by == HOST or (by.startswith(ATTR_PREFIX) and len(by) > len(ATTR_PREFIX))


def breakdown(ledger: Ledger, period: Period, by: str, rule: WeekRule | None = None) -> Usage:
    """The period's usage, with rows for `by` when the fold's groups do not have them (weeks need `rule`)."""
    usage = ledger.usage(period)
    if by in TIME_UNITS:
        return Breakdown(usage, by, time_rows(ledger, period, _span_of(by, rule)))
    if is_record_dimension(by):
        return Breakdown(usage, by, record_rows(ledger, period, by))
    return usage


def _span_of(unit: str, rule: WeekRule | None) -> Callable[[dt.date], Period]:
    if unit == "week":
        if rule is None:
            raise ValueError("weeks need a week rule")
        return lambda day: week_of(day, rule)
    return day_of if unit == "day" else month_of


def time_rows(ledger: Ledger, period: Period, span_of: Callable[[dt.date], Period]) -> Rows:
    """One row per day, week or month (`span_of` a day) of the period, in time order, empty ones included."""
    days = ledger.days(period.start, period.end)
    rows: dict[str, Sums] = {}
    for day in period.days():
        sums = rows.setdefault(span_of(day).key, Sums())
        if day in days:
            sums.add(days[day].totals())
    return list(rows.items())


def record_rows(ledger: Ledger, period: Period, by: str) -> Rows:
    """One row per host or attr value (None: no host part, or no such attr), most expensive first."""
    value_of = _host_value if by == HOST else _attr_value(by[len(ATTR_PREFIX):])
    folders: dict[str | None, DayFolder] = {}
    for _, path, record in ledger.records_with_files(period.start, period.end):
        value = value_of(path, record)
        folder = folders.get(value)
        if folder is None:
            folder = folders[value] = DayFolder(ledger.book, ledger.tz)
        folder.add(record)
    rows = {value: _total(folder) for value, folder in folders.items()}
    return sorted(rows.items(), key=lambda row: (-row[1].cost, -row[1].calls, str(row[0])))


def _total(folder: DayFolder) -> Sums:
    total = Sums()
    for usage in folder.finish().values():
        total.add(usage.totals())
    return total


def _host_value(path: Path, record: UsageRecord) -> str | None:
    return file_host(path)


def _attr_value(key: str) -> Callable[[Path, UsageRecord], str | None]:
    def value(path: Path, record: UsageRecord) -> str | None:
        return None if record.attrs is None else attr_label(record.attrs.get(key))

    return value


def attr_label(value: Scalar) -> str | None:
    """An attr's value as a row key: text as it is, true/false and numbers as JSON writes them."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
