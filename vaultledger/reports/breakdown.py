"""A period's usage with rows for a dimension the fold does not keep: days, weeks and months, the host
that logged each call, or any `attrs` key (`report --by attr.git_branch`).

The fold's groups hold no hosts or attrs (they would multiply the groups every cache entry keeps). Rows
by host sum each file's fold by the file's host; rows by an attr sum each file's rows by its values,
kept beside the folds (ledger/attr_rows.py). Files that share ids with a neighbour count as their
group's fold does, which no one file's stands for: their calls are read (exactly the calls reports
count, `Ledger.records_with_files`) and folded per value with the fold's own pricing. The period's
totals and other breakdowns stay the fold's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from pathlib import Path

from vaultledger.ledger import Ledger
from vaultledger.ledger.files import file_host
from vaultledger.ledger.fold import DayFolder
from vaultledger.ledger.usage import Sums, Usage
from vaultledger.periods import Period, WeekRule, day_of, month_of, week_of
from vaultledger.record import RecordFields, Scalar, UsageRecord
from vaultledger.record.batch import batch_of

TIME_UNITS = ("day", "week", "month")
HOST = "host"
ATTR_PREFIX = "attr."

Rows = list[tuple["str | None", Sums]]
FOLD_EVERY = 10_000  # calls held before they are folded: a few days' worth, in batches the fold is fast at


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
    rows = host_rows(ledger, period) if by == HOST else attr_rows(ledger, period, by[len(ATTR_PREFIX):])
    return sorted(rows.items(), key=lambda row: (-row[1].cost, -row[1].calls, str(row[0])))


def attr_rows(ledger: Ledger, period: Period, key: str) -> dict[str | None, Sums]:
    """Each value's usage: every file's rows by the attr, kept beside the folds and worked out again only
    for files that changed (folding a year's calls again took seconds); the calls themselves of files
    that share ids with a neighbour."""
    from vaultledger.ledger.attr_rows import KeptRows, file_rows  # here: every report imports this module

    def label(record: UsageRecord) -> str | None:
        return None if record.attrs is None else attr_label(record.attrs.get(key))

    files, joined = ledger.by_file(period.start, period.end)
    kept = KeptRows(ledger.fold_cache(), key)
    rows: dict[str | None, Sums] = {}
    for path in files:
        work_out = partial(file_rows, path, ledger.tz, ledger.book, label)
        for day, value, sums in kept.rows(path, ledger.read_signature(path), work_out):
            if period.start <= day <= period.end:
                rows.setdefault(value, Sums()).add(sums)
    kept.save()
    return _with_calls_of(joined, rows, ledger, period, _attr_value(key))


def host_rows(ledger: Ledger, period: Period) -> dict[str | None, Sums]:
    """Each host's usage: the folds of its files, summed, which a warm cache holds (reading a year's
    calls again took seconds); the calls themselves only of files that share ids with a neighbour."""
    parts, joined = ledger.by_file(period.start, period.end)
    rows: dict[str | None, Sums] = {}
    for path, usages in parts.items():
        sums = rows.setdefault(file_host(path), Sums())
        for usage in usages:
            sums.add(usage.totals())
    return _with_calls_of(joined, rows, ledger, period, _host_value())


def _with_calls_of(joined: set[Path], rows: dict[str | None, Sums], ledger: Ledger, period: Period,
                   value_of: Callable[[Path, UsageRecord], str | None]) -> dict[str | None, Sums]:
    """`rows` with the calls of the files that share ids with a neighbour added, as their group counts them."""
    if joined:
        for value, sums in _rows_of_calls(ledger, period, value_of, joined).items():
            rows.setdefault(value, Sums()).add(sums)
    return rows


def _rows_of_calls(ledger: Ledger, period: Period, value_of: Callable[[Path, UsageRecord], str | None],
                   within: set[Path] | None = None) -> dict[str | None, Sums]:
    """Each value's usage, folded from the calls that count (of the files `within` only, where given)."""
    folders: dict[str | None, DayFolder] = {}
    waiting: dict[str | None, list[RecordFields]] = {}
    held = 0
    for _, path, record in ledger.records_with_files(period.start, period.end, within):
        waiting.setdefault(value_of(path, record), []).append(record)
        held += 1
        if held == FOLD_EVERY:
            _fold_waiting(ledger, waiting, folders)
            held = 0
    _fold_waiting(ledger, waiting, folders)
    return {value: _total(folder) for value, folder in folders.items()}


def _fold_waiting(ledger: Ledger, waiting: dict[str | None, list[RecordFields]],
                  folders: dict[str | None, DayFolder]) -> None:
    """Fold each value's calls a batch at a time: the fold's fast path, and memory bounded by FOLD_EVERY."""
    for value, records in waiting.items():
        folder = folders.get(value)
        if folder is None:
            folder = folders[value] = DayFolder(ledger.book, ledger.tz)
        folder.add_batch(batch_of(records))
    waiting.clear()


def _total(folder: DayFolder) -> Sums:
    total = Sums()
    for usage in folder.finish().values():
        total.add(usage.totals())
    return total


def _host_value() -> Callable[[Path, UsageRecord], str | None]:
    hosts: dict[Path, str | None] = {}  # one file holds many calls

    def value(path: Path, record: UsageRecord) -> str | None:
        host = hosts.get(path, path)
        if host is path:
            host = hosts[path] = file_host(path)
        return host  # type: ignore[return-value]

    return value


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
