"""Usage per day and per period, read from the logs folder: the pipeline's front half in one place."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

from vaultledger.aggregate import DayFolder, GroupKey, Usage, merge_days
from vaultledger.foldcache import FileFold, FoldCache, file_signature, fingerprint
from vaultledger.periods import Period, date_range, month_of
from vaultledger.progress import no_progress
from vaultledger.pricing import PriceBook, PriceOverride, parse_price_overrides
from vaultledger.reader import (
    NEIGHBOUR_DAYS, LogFile, ReadStats, file_day, files_for_days, outside_window, read_batches, read_file,
)
from vaultledger.record import RecordFields
from vaultledger.settings import Settings

# Folding in worker processes pays off once there is this much to read.
PARALLEL_MIN_FILES = 8
PARALLEL_MIN_BYTES = 16 << 20

_ID = attrgetter("id")
_TS = attrgetter("ts")


def fold_log_file(path: Path, book: PriceBook, tz: str) -> FileFold:
    """One file's usage per local day. Batches fold whole groups at a time; a file with duplicate
    ids or with calls dated far from its own day (both rare) is folded record by record instead,
    so the last line of each id wins and every stray line is located."""
    stats = ReadStats()
    folder = DayFolder(book, tz)
    window = _day_window(path)
    seen: set[str] = set()
    for records in read_batches(path, stats):
        # Ids alone: a repeat (even under another provider, which the careful fold tells apart)
        # sends the file down the record-by-record path.
        ids = list(filter(None, map(_ID, records)))
        before = len(seen)
        seen.update(ids)
        if len(seen) != before + len(ids) or not _inside(records, window, folder.zone):
            return _fold_carefully(path, book, tz)
        folder.add_batch(records)
    return FileFold(folder.finish(), stats)


def _fold_carefully(path: Path, book: PriceBook, tz: str) -> FileFold:
    stats = ReadStats()
    folder = DayFolder(book, tz)
    folder.add_all(read_file(path, stats, outside_window(path, folder.zone)))
    return FileFold(folder.finish(), stats)


def _day_window(path: Path) -> tuple[dt.date, dt.date] | None:
    named = file_day(path)
    if named is None:
        return None
    return named - dt.timedelta(days=NEIGHBOUR_DAYS), named + dt.timedelta(days=NEIGHBOUR_DAYS)


def _inside(records: Sequence[RecordFields], window: tuple[dt.date, dt.date] | None, zone: dt.tzinfo) -> bool:
    if window is None or not records:
        return True
    first = min(map(_TS, records)).astimezone(zone).date()
    last = max(map(_TS, records)).astimezone(zone).date()
    return window[0] <= first and last <= window[1]


_worker_book: tuple[PriceBook, str] | None = None


def _start_worker(overrides: Sequence[PriceOverride], tz: str) -> None:
    global _worker_book
    _worker_book = (PriceBook(overrides, tz), tz)


def _fold_in_worker(path: Path) -> FileFold:
    assert _worker_book is not None
    return fold_log_file(path, *_worker_book)


@dataclass
class Ledger:
    """Reads the logs of one folder in one time zone and prices them with one price book.

    With a cache folder, each file's fold is kept on disk and reused while the file is unchanged.
    """

    logs_dir: Path
    tz: str
    book: PriceBook
    cache_dir: Path | None = None
    parallel: bool = True
    progress: Callable[[int], AbstractContextManager[Callable[[int], None]]] = no_progress
    file_stats: dict[Path, tuple[dt.date, ReadStats]] = field(default_factory=dict)
    _days: dict[dt.date, Usage] = field(default_factory=dict)
    _folded: set[Path] = field(default_factory=set)  # files whose days are in _days (not just their stats)
    _keys: dict[GroupKey, GroupKey] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, *, parallel: bool = True) -> Ledger:
        overrides = parse_price_overrides(list(settings.prices), settings.config_label)
        tz = settings.timezone.value
        return cls(settings.logs.value, tz, PriceBook(overrides, tz), settings.cache_dir.value, parallel)

    def usage(self, period: Period) -> Usage:
        """All usage whose local day falls in the period.

        With a cache, each whole month inside the period is kept merged too, so a year's report
        after a day of new lines reads one month's files and eleven small entries.
        """
        if self.cache_dir is None:
            return merge_days(self.days(period.start, period.end).values())
        parts = []
        for span in _split_at_months(period.start, period.end):
            if span.kind == "month":
                parts.append(self._month_usage(span))
            else:
                parts.extend(self.days(span.start, span.end).values())
        return merge_days(parts)

    def _month_usage(self, month: Period) -> Usage:
        cache = self._cache()
        files = files_for_days(self.logs_dir, month.start, month.end)
        signatures = {log.path.name: file_signature(log.path) for log in files}
        cached = cache.load_month(month.key, signatures) if cache else None
        if cached is not None:
            usage, file_stats = cached
            for path, day, stats in file_stats:
                self.file_stats.setdefault(path, (day, stats))  # their problems still count in reports
            return usage
        usage = merge_days(self.days(month.start, month.end).values())
        if cache:
            file_stats = [(log.path, *self.file_stats[log.path]) for log in files]
            cache.store_month(month.key, signatures, usage, file_stats)
        return usage

    def _cache(self) -> FoldCache | None:
        return FoldCache(self.cache_dir, fingerprint(self.tz, self.book.overrides)) if self.cache_dir else None

    def days(self, first: dt.date, last: dt.date) -> dict[dt.date, Usage]:
        """Usage per local day in [first, last]; days without calls are absent."""
        self._read_files(files_for_days(self.logs_dir, first, last))
        return {day: usage for day, usage in self._days.items() if first <= day <= last}

    @property
    def stats(self) -> ReadStats:
        """What reading every file so far has seen."""
        return self.stats_between(dt.date.min, dt.date.max)

    def stats_between(self, first: dt.date, last: dt.date) -> ReadStats:
        """Read problems of the files dated in [first, last]: the same answer however often asked."""
        total = ReadStats()
        for day, stats in sorted(self.file_stats.values(), key=lambda item: item[0]):
            if first <= day <= last:
                total.merge(stats)
        return total

    def _read_files(self, files: Sequence[LogFile]) -> None:
        # Every file is read at most once per Ledger; a file's records may belong to several days.
        pending = [log for log in files if log.path not in self._folded]
        cache = self._cache()
        signatures = {log.path: file_signature(log.path) for log in pending}
        to_fold = []
        for log in pending:
            fold = cache.load(log.path, signatures[log.path]) if cache else None
            if fold is None:
                to_fold.append(log)
            else:
                self._take(log, fold)
        for log, fold in zip(to_fold, self._fold_all(to_fold)):
            if cache:
                cache.store(log.path, signatures[log.path], fold)
            self._take(log, fold)

    def _take(self, log: LogFile, fold: FileFold) -> None:
        self.file_stats[log.path] = (log.day, fold.stats)
        self._folded.add(log.path)
        for day, usage in fold.days.items():
            mine = self._days.get(day)
            if mine is None:
                self._days[day] = usage
            else:
                mine.merge(usage)

    def _share_keys(self, fold: FileFold) -> FileFold:
        """Keys arrive from worker processes as fresh objects; one shared copy per distinct key
        keeps a big year's memory flat."""
        for usage in fold.days.values():
            usage.groups = {self._keys.setdefault(key, key): sums for key, sums in usage.groups.items()}
        return fold

    def _fold_all(self, logs: Sequence[LogFile]) -> Iterator[FileFold]:
        """Folds in file order, in worker processes when there is enough to read."""
        paths = [log.path for log in logs]
        sizes = [_size(path) for path in paths]
        with self.progress(sum(sizes)) as advance:
            if not self._worth_parallel(paths, sum(sizes)):
                for path, size in zip(paths, sizes):
                    yield fold_log_file(path, self.book, self.tz)
                    advance(size)
                return
            workers = min(os.cpu_count() or 1, 4)
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            with ProcessPoolExecutor(workers, context, _start_worker, (self.book.overrides, self.tz)) as pool:
                chunk = max(1, len(paths) // (workers * 8))
                for fold, size in zip(pool.map(_fold_in_worker, paths, chunksize=chunk), sizes):
                    yield self._share_keys(fold)
                    advance(size)

    def _worth_parallel(self, paths: Sequence[Path], total_bytes: int) -> bool:
        if not self.parallel or (os.cpu_count() or 1) < 2 or len(paths) < PARALLEL_MIN_FILES:
            return False
        return total_bytes >= PARALLEL_MIN_BYTES


def _split_at_months(first: dt.date, last: dt.date) -> list[Period]:
    """[first, last] as whole calendar months where it covers them, and ranges of days elsewhere."""
    spans: list[Period] = []
    day = first
    while day <= last:
        month = month_of(day)
        if month.start == day and month.end <= last:
            spans.append(month)
            day = month.end + dt.timedelta(days=1)
        else:
            end = min(month.end, last)
            spans.append(date_range(day, end))
            day = end + dt.timedelta(days=1)
    return spans


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
