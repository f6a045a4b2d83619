"""The ledger a running watch renders from: log files around today read incrementally, in memory.

- `TailedLog` reads one log file incrementally: only the bytes appended since the last read, and a
  line only once its `\\n` arrived. A shrunk or replaced file is read again from its start.
- `LiveLedger` is a Ledger whose files around today live in memory (fed by TailedLogs, folded
  incrementally) while older days come from disk, each file read again only when it changed.

The watcher uses only LiveLedger's public face: `from_settings`, `watch_around(day)`, `refresh()`,
`days(first, last)`, `usage(period)`, `stats_between(first, last)` and `take_problems()`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from vaultledger.aggregate import DayFolder, Usage
from vaultledger.errors import InvalidRecord
from vaultledger.ledger import Ledger
from vaultledger.reader import NEIGHBOUR_DAYS, LineProblem, LogFile, ReadStats, list_log_files, read_file
from vaultledger.record import UsageRecord, parse_line

HEAD_BYTES = 128  # a file whose first bytes changed was replaced in place, not appended to

Signature = tuple[int, int, int, int]  # device, inode, size, mtime_ns


def _signature(status: os.stat_result) -> Signature:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


# ---------------------------------------------------------------- one file, read incrementally


@dataclass
class TailUpdate:
    """What one poll of a TailedLog found."""

    new: list[UsageRecord] = field(default_factory=list)
    refold: bool = False  # earlier records changed (reset, deletion, a repeated id): fold them all again
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.refold or bool(self.new) or bool(self.problems)


@dataclass
class TailedLog:
    """One `YYYY-MM-DD.jsonl` kept in memory: records without id in order, those with one by provider+id."""

    path: Path
    day: dt.date
    stats: ReadStats = field(default_factory=ReadStats)
    plain: list[UsageRecord] = field(default_factory=list)
    by_id: dict[tuple[str, str], UsageRecord] = field(default_factory=dict)
    _offset: int = 0  # bytes of complete lines read so far
    _lines: int = 0  # complete lines read so far, to number problems like `file:line`
    _head: bytes = b""
    _seen: Signature | None = None

    @property
    def records(self) -> Iterator[UsageRecord]:
        yield from self.plain
        yield from self.by_id.values()

    def poll(self) -> TailUpdate:
        """Read what was appended since the last poll; a file that vanished forgets its records."""
        status = _stat_or_none(self.path)
        if status is None:
            return self._vanished()
        if _signature(status) == self._seen:
            return TailUpdate()
        try:
            with open(self.path, "rb") as handle:
                return self._read(handle, os.fstat(handle.fileno()))
        except FileNotFoundError:
            return self._vanished()

    def _read(self, handle: BinaryIO, status: os.stat_result) -> TailUpdate:
        update = TailUpdate()
        if self._rewritten(handle, status):
            self._forget()
            update.refold = True
        handle.seek(self._offset)
        data = handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        # A last line without its `\n` is still being written: wait for it, never call it invalid.
        self.stats.partial_lines = 1 if len(complete) < len(data) else 0
        self._remember_head(complete)
        self._offset += len(complete)
        self._seen = _signature(status)
        self._parse(complete, update)
        return update

    def _rewritten(self, handle: BinaryIO, status: os.stat_result) -> bool:
        """Truncated, replaced by another file, or rewritten in place: what we read is gone."""
        if self._seen is None:
            return False
        if self._seen[:2] != (status.st_dev, status.st_ino) or status.st_size < self._offset:
            return True
        handle.seek(0)
        return handle.read(len(self._head)) != self._head

    def _remember_head(self, complete: bytes) -> None:
        # The head only grows while it still holds every byte read so far.
        if len(self._head) < HEAD_BYTES and len(self._head) == self._offset:
            self._head = (self._head + complete)[:HEAD_BYTES]

    def _parse(self, complete: bytes, update: TailUpdate) -> None:
        for raw in complete.split(b"\n")[:-1]:
            self._lines += 1
            self.stats.lines += 1
            if not raw.strip():
                continue
            try:
                record = parse_line(raw)
            except InvalidRecord as error:
                problem = LineProblem(self.path, self._lines, str(error))
                self.stats.add_problem(problem)
                update.problems.append(problem)
                continue
            update.refold |= self._keep(record)
            update.new.append(record)

    def _keep(self, record: UsageRecord) -> bool:
        """Store a record; True when it replaced an earlier line with the same provider+id (last wins)."""
        if record.id is None:
            self.plain.append(record)
            return False
        key = (record.provider, record.id)
        repeated = key in self.by_id
        if repeated:
            self.stats.duplicates += 1
            del self.by_id[key]  # re-insert so the dict keeps last-line order, as the reader does
        self.by_id[key] = record
        return repeated

    def _vanished(self) -> TailUpdate:
        known = self._seen is not None
        self._forget()
        return TailUpdate(refold=known)

    def _forget(self) -> None:
        self.plain, self.by_id, self.stats = [], {}, ReadStats()
        self._offset = self._lines = 0
        self._head, self._seen = b"", None


# ---------------------------------------------------------------- the ledger a running watch renders from


@dataclass
class Refresh:
    """What changed in the logs since the last refresh."""

    changed: bool = False
    touched: set[dt.date] = field(default_factory=set)  # local days whose usage may have changed


@dataclass
class _DiskFile:
    signature: Signature
    days: dict[dt.date, Usage]


@dataclass
class LiveLedger(Ledger):
    """A Ledger for a running watch: the files of the days around `today` are read incrementally and kept
    in memory; other files are read whole from disk, again only when their size, time or inode changed.

    Within one update (between two `refresh()` calls) every answer comes from one snapshot, memoised.
    """

    today: dt.date = dt.date.min
    tails: dict[Path, TailedLog] = field(default_factory=dict)
    new_problems: list[LineProblem] = field(default_factory=list)
    read_errors: list[str] = field(default_factory=list)  # files that could not be read, for the watcher to tell
    _folds: dict[Path, dict[dt.date, Usage]] = field(default_factory=dict)
    _disk: dict[Path, _DiskFile] = field(default_factory=dict)
    _listing: list[LogFile] | None = None
    _memo: dict[tuple[dt.date, dt.date], dict[dt.date, Usage]] = field(default_factory=dict)

    def watch_around(self, today: dt.date) -> None:
        """Keep the files that can hold today's records in memory; let the others go to disk."""
        self.today = today
        for path in [path for path, tail in self.tails.items() if not self._in_window(tail.day)]:
            self._drop(path)

    def refresh(self) -> Refresh:
        """Read what the logs folder gained: appended lines of today's files, changed or new other files."""
        self._memo.clear()
        before = {log.path for log in self._listing or []}
        self._listing = list_log_files(self.logs_dir)
        now = {log.path for log in self._listing}
        result = Refresh(changed=now != before)
        for path in before - now:
            result.touched.update(self._folds.get(path, {}))
            self._drop(path)
        self._follow_new_tails()
        for tail in list(self.tails.values()):
            self._poll(tail, result)
        self._check_disk_files(result)
        return result

    def days(self, first: dt.date, last: dt.date) -> dict[dt.date, Usage]:
        """Usage per local day in [first, last], as of the last refresh."""
        if self._listing is None:
            self.refresh()
        key = (first, last)
        if key not in self._memo:
            self._memo[key] = self._merge_days(first, last)
        return dict(self._memo[key])

    def _day_parts(self, first: dt.date, last: dt.date) -> list[Usage]:
        return list(self.days(first, last).values())  # each day is one part here, merged from this snapshot

    def stats_between(self, first: dt.date, last: dt.date) -> ReadStats:
        for log in self._listing or []:
            if first <= log.day <= last:
                self._file_days(log)  # make sure the file was read, so its problems count
        return super().stats_between(first, last)

    def take_problems(self) -> tuple[list[LineProblem], list[str]]:
        """Invalid lines and unreadable files found since the last call (each line is read only once)."""
        problems, errors = self.new_problems, self.read_errors
        self.new_problems, self.read_errors = [], []
        return problems, errors

    # -- internals

    def _in_window(self, day: dt.date) -> bool:
        return abs((day - self.today).days) <= NEIGHBOUR_DAYS

    def _follow_new_tails(self) -> None:
        for log in self._listing or []:
            if log.path not in self.tails and not log.path.name.endswith(".gz") and self._in_window(log.day):
                self._disk.pop(log.path, None)
                self.tails[log.path] = TailedLog(log.path, log.day)

    def _poll(self, tail: TailedLog, result: Refresh) -> None:
        try:
            update = tail.poll()
        except OSError as error:  # unreadable for now (permissions, I/O): keep what we had, try again later
            self.read_errors.append(f"{tail.path}: cannot read ({error.strerror or error})")
            return
        if not update.changed:
            return
        result.changed = True
        self.new_problems.extend(update.problems)
        self.file_stats[tail.path] = (tail.day, tail.stats)
        if update.refold:
            result.touched.update(self._folds.get(tail.path, {}))
            self._folds[tail.path] = self._fold(tail.records)
            result.touched.update(self._folds[tail.path])
            return
        added = self._fold(update.new)
        mine = self._folds.setdefault(tail.path, {})
        for day, usage in added.items():
            mine.setdefault(day, Usage()).merge(usage)
        result.touched.update(added)

    def _check_disk_files(self, result: Refresh) -> None:
        for path, cached in list(self._disk.items()):
            status = _stat_or_none(path)
            if status is None or _signature(status) != cached.signature:
                result.changed = True
                result.touched.update(cached.days)
                self._disk.pop(path)

    def _drop(self, path: Path) -> None:
        self.tails.pop(path, None)
        self._folds.pop(path, None)
        self._disk.pop(path, None)
        self.file_stats.pop(path, None)

    def _merge_days(self, first: dt.date, last: dt.date) -> dict[dt.date, Usage]:
        low, high = first - dt.timedelta(days=NEIGHBOUR_DAYS), last + dt.timedelta(days=NEIGHBOUR_DAYS)
        merged: dict[dt.date, Usage] = {}
        for log in self._listing or []:
            if low <= log.day <= high:
                for day, usage in self._file_days(log).items():
                    if first <= day <= last:
                        merged.setdefault(day, Usage()).merge(usage)
        return merged

    def _file_days(self, log: LogFile) -> dict[dt.date, Usage]:
        if log.path in self.tails:
            return self._folds.get(log.path, {})
        cached = self._disk.get(log.path)
        if cached is None:
            cached = self._read_from_disk(log)
        return cached.days

    def _read_from_disk(self, log: LogFile) -> _DiskFile:
        stats = ReadStats()
        try:
            signature = _signature(os.stat(log.path))
            days = self._fold(read_file(log.path, stats))
        except FileNotFoundError:
            return _DiskFile((0, 0, -1, 0), {})  # gone since the listing; the next refresh notices
        except (OSError, EOFError) as error:  # EOFError: a truncated .gz
            self.read_errors.append(f"{log.path}: cannot read ({getattr(error, 'strerror', None) or error})")
            return _DiskFile((0, 0, -1, 0), {})
        self._disk[log.path] = cached = _DiskFile(signature, days)
        self.file_stats[log.path] = (log.day, stats)
        self.new_problems.extend(stats.problems)
        return cached

    def _fold(self, records: Iterable[UsageRecord]) -> dict[dt.date, Usage]:
        folder = DayFolder(self.book, self.tz)
        folder.add_all(records)
        return folder.finish()
