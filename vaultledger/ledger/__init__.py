"""Usage per day and per period, read from the logs folder: the pipeline's front half in one place."""

from __future__ import annotations

import datetime as dt
import gc
import heapq
import multiprocessing
import os
import sys
import zoneinfo
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import msgspec

from vaultledger.ledger.fold import DayFolder, GroupKey, Usage, merge_days
from vaultledger.ledger.cache import (
    FileFold, FoldCache, Signature, decode_fold, encode_fold, encode_ids, file_signature, fingerprint,
)
from vaultledger.periods import Period, date_range, month_of
from vaultledger.progress import no_progress
from vaultledger.pricing import PriceBook, PriceOverride, load_bundled_prices, parse_price_overrides
from vaultledger.ledger.files import (
    NEIGHBOUR_DAYS, LogFile, ReadStats, counted_records, file_day, files_for_days, list_log_files, read_batches,
)
from vaultledger.record import UsageRecord
from vaultledger.settings import Settings

# Folding in worker processes pays off once there is this much to read.
PARALLEL_MIN_FILES = 8
PARALLEL_MIN_BYTES = 16 << 20
# Files go to workers in runs of consecutive days: enough runs that the workers share the work
# evenly, few enough that most neighbours meet in one worker, which compares their ids there.
RUNS_PER_WORKER = 16


def fold_log_file(path: Path, book: PriceBook, tz: str) -> FileFold:
    """One file's usage per local day. Batches fold whole groups at a time; a file with duplicate
    ids, void lines or calls dated far from its own day (all rare) is folded record by record
    instead, by the rules every reader shares (`counted_records`)."""
    stats = ReadStats()
    folder = DayFolder(book, tz)
    window = day_window(path)
    seen: set[str] = set()
    for batch in read_batches(path, stats):
        if not batch.records:
            continue
        span = folder.day_span(batch)
        if batch.has_voids or not span_inside(span, window):
            return _fold_carefully(path, book, tz)
        before = len(seen)
        with_id = folder.add_batch(batch, span, seen)
        # Ids alone: a repeat (even under another provider, which the careful fold tells apart)
        # sends the file down the record-by-record path, and this folder is dropped.
        if len(seen) != before + with_id:
            return _fold_carefully(path, book, tz)
    return FileFold(folder.finish(), stats, encode_ids(seen), seen)


def _fold_carefully(path: Path, book: PriceBook, tz: str) -> FileFold:
    days, stats_by_path, ids = fold_jointly([path], book, tz)
    return FileFold(days, stats_by_path[path], encode_ids(ids), ids)


def fold_jointly(
    paths: Sequence[Path], book: PriceBook, tz: str
) -> tuple[dict[dt.date, Usage], dict[Path, ReadStats], set[str]]:
    """Files that may share ids folded as one: each call counted once, as SPEC §2 says."""
    folder = DayFolder(book, tz)
    stats_by_path: dict[Path, ReadStats] = {}
    ids: set[str] = set()
    folder.add_all(counted_records(paths, folder.zone, stats_by_path, ids))
    for path in paths:
        stats_by_path.setdefault(path, ReadStats())
    return folder.finish(), stats_by_path, ids


def day_window(path: Path) -> tuple[dt.date, dt.date] | None:
    named = file_day(path)
    if named is None:
        return None
    return named - dt.timedelta(days=NEIGHBOUR_DAYS), named + dt.timedelta(days=NEIGHBOUR_DAYS)


def span_inside(span: tuple[dt.date, dt.date], window: tuple[dt.date, dt.date] | None) -> bool:
    return window is None or (window[0] <= span[0] and span[1] <= window[1])


_worker_book: tuple[PriceBook, str] | None = None


def _start_worker(overrides: Sequence[PriceOverride], tz: str) -> None:
    global _worker_book
    _worker_book = (PriceBook(overrides, tz), tz)
    # Everything inherited from a forked parent is left out of collections: walking it would copy
    # every page it sits on into this process, which cost a tenth of a year's fold.
    gc.freeze()


# The ids of the last files this worker folded: files usually arrive in day order, so most
# neighbours meet here and are compared at once, sparing the parent the decoding of their ids.
_worker_recent: deque[tuple[dt.date, int, set[str]]] = deque(maxlen=2 * NEIGHBOUR_DAYS)

Verdicts = list[tuple[Path, bool]]  # (a neighbouring file, whether it shares an id with this one)
# The same from a worker, which names the file by its task number: a Path unpickled in the
# parent costs more to hash than the comparison itself.
_WorkerVerdicts = list[tuple[int, bool]]
_Task = tuple[int, Path, Signature | None]


def _fold_in_worker(task: _Task) -> tuple[bytes, _WorkerVerdicts]:
    """A file's fold, encoded, and how its ids compare with the neighbours this worker folded last.

    Pairs split between workers are compared by the parent on the ids themselves (the encoded
    fold carries them), never on hash() values, which agree between processes only under fork.
    """
    assert _worker_book is not None
    number, path, signature = task
    fold = fold_log_file(path, *_worker_book)
    return encode_fold(path, signature, fold), _compare_with_recent(number, path, fold.id_set or set())


def _fold_run_in_worker(tasks: list[_Task]) -> list[tuple[bytes, _WorkerVerdicts]]:
    return [_fold_in_worker(task) for task in tasks]


def _compare_with_recent(number: int, path: Path, ids: set[str]) -> _WorkerVerdicts:
    day = file_day(path)
    if day is None:
        return []
    margin = dt.timedelta(days=NEIGHBOUR_DAYS)
    verdicts = [
        (other, not ids.isdisjoint(theirs))
        for other_day, other, theirs in _worker_recent
        if day - margin <= other_day <= day + margin
    ]
    _worker_recent.append((day, number, ids))
    return verdicts


@dataclass(eq=False, repr=False)  # nine caches: comparing or printing them would cost megabytes
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
    start_method: str | None = None  # of worker processes; None: fork on Linux, the platform's default elsewhere
    counters: Counter[str] = field(default_factory=Counter)  # what reading cost: files folded, pairs compared
    # Where folds come from instead of the cache and workers: watch mode's folds kept current as files grow.
    folds: Callable[[Path], FileFold] | None = None
    file_stats: dict[Path, tuple[dt.date, ReadStats]] = field(default_factory=dict)
    # Each day's parts (one per file that holds calls of that day), merged only when a day is
    # asked for on its own: a period's total merges every part at once, in one pass.
    _days: dict[dt.date, list[Usage]] = field(default_factory=dict)
    _folded: set[Path] = field(default_factory=set)  # files whose days are in _days (not just their stats)
    _edge_folds: dict[Path, tuple[LogFile, FileFold]] = field(default_factory=dict)  # near the read edges
    _joined: dict[Path, frozenset[Path]] = field(default_factory=dict)  # files folded together
    _keys: dict[GroupKey, GroupKey] = field(default_factory=dict)
    _listing: list[LogFile] | None = None  # the folder's files while one question is answered
    _verdicts: dict[frozenset[Path], bool] = field(default_factory=dict)  # file pairs compared id by id
    _signatures: dict[Path, Signature | None] = field(default_factory=dict)  # each file's, when it was read

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
        with self._one_listing():
            return self._usage(period)

    @contextmanager
    def _one_listing(self) -> Iterator[None]:
        """The logs folder listed once for one question, however many ranges answering it takes."""
        if self._listing is not None:
            yield
            return
        self._listing = list_log_files(self.logs_dir)
        try:
            yield
        finally:
            self._listing = None

    def _log_files(self) -> list[LogFile]:
        return self._listing if self._listing is not None else list_log_files(self.logs_dir)

    def _usage(self, period: Period) -> Usage:
        if self.cache_dir is None:
            return merge_days(self._day_parts(period.start, period.end))
        spans = _split_at_months(period.start, period.end)
        looked_up = [self._cached_month(span) if span.kind == "month" else None for span in spans]
        # What the month caches lack is read in one go per run of such spans, so a cold year
        # starts its worker processes once rather than once a month.
        missing = [span for span, found in zip(spans, looked_up) if found is None or found.usage is None]
        for first, last in _runs_of_spans(missing):
            self._read_days(first, last)
        parts = []
        for span, found in zip(spans, looked_up):
            if found is None:
                parts.extend(self._day_parts(span.start, span.end))
            elif found.usage is None:
                parts.append(self._month_from_days(span, found))
            else:
                parts.append(found.usage)
        return merge_days(parts)

    def _cached_month(self, month: Period) -> _MonthLookup:
        """The month's merged usage from the cache, if none of its files changed since; the
        signatures it was checked against either way, taken before any of them is read."""
        cache = self._cache()
        files = self._files_for(month.start, month.end)
        signatures = {log.path.name: file_signature(log.path) for log in files}
        cached = cache.load_month(month.key, signatures) if cache else None
        if cached is None:
            return _MonthLookup(None, files, signatures)
        usage, file_stats = cached
        for path, day, stats in file_stats:
            self.file_stats.setdefault(path, (day, stats))  # their problems still count in reports
        return _MonthLookup(usage, files, signatures)

    def _month_from_days(self, month: Period, found: _MonthLookup) -> Usage:
        usage = merge_days(self._day_parts(month.start, month.end))
        cache = self._cache()
        if cache:
            file_stats = [(log.path, *self.file_stats[log.path]) for log in found.files]
            cache.store_month(month.key, found.signatures, usage, file_stats)
        return usage

    def _files_for(self, first: dt.date, last: dt.date) -> list[LogFile]:
        """Files that can hold calls of [first, last], and those that can hold a later line for
        one of those calls (a duplicate id), which decides whether it counts there."""
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        return files_for_days(self._log_files(), first - margin, last + margin)

    def joined_files(self, first: dt.date, last: dt.date) -> dict[Path, frozenset[Path]]:
        """Files of [first, last] that share record ids with a neighbour, and the group each is
        read with (for exports, which list records rather than totals)."""
        self.days(first, last)
        return dict(self._joined)

    def records(self, first: dt.date, last: dt.date) -> Iterator[tuple[dt.date, UsageRecord]]:
        """(local day, record) for every call that counts in [first, last]: exactly the calls
        `usage` sums, by the same rules (files that share ids are read together)."""
        zone = zoneinfo.ZoneInfo(self.tz)
        joined = self.joined_files(first, last)
        done: set[Path] = set()
        with self._one_listing():
            for log in files_for_days(self._log_files(), first, last):
                if log.path in done:
                    continue
                paths = sorted(joined.get(log.path, {log.path}), key=lambda path: path.name)
                done.update(paths)
                for record in counted_records(paths, zone, {}):
                    day = record.ts.astimezone(zone).date()
                    if first <= day <= last:
                        yield day, record

    def _cache(self) -> FoldCache | None:
        return FoldCache(self.cache_dir, fingerprint(self.tz, self.book.overrides)) if self.cache_dir else None

    def days(self, first: dt.date, last: dt.date) -> dict[dt.date, Usage]:
        """Usage per local day in [first, last]; days without calls are absent."""
        self._read_days(first, last)
        merged = {}
        for day, parts in self._days.items():
            if first <= day <= last:
                if len(parts) > 1:
                    parts[:] = [merge_days(parts)]
                merged[day] = parts[0]
        return merged

    def _day_parts(self, first: dt.date, last: dt.date) -> list[Usage]:
        """Every part of every local day in [first, last], unmerged."""
        self._read_days(first, last)
        return [usage for day, parts in self._days.items() if first <= day <= last for usage in parts]

    def _read_days(self, first: dt.date, last: dt.date) -> None:
        with self._one_listing():
            self._read_files(self._files_for(first, last))

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
        if not pending:
            return
        fresh = {log.path for log in pending}
        cache = self._cache()
        signatures = {log.path: file_signature(log.path) for log in pending}
        self._signatures.update(signatures)
        if cache:
            # Neighbours compared in an earlier run, both unchanged since, need no comparing again.
            for pair, shared in cache.load_verdicts(self._signatures).items():
                self._verdicts.setdefault(pair, shared)
        # The pending files cover one run of days; inside it, every neighbour of a file is read now.
        days = [log.day for log in pending]
        scan = _DuplicateScan(fresh, min(days), max(days), self._edge_folds, self._verdicts, self.counters)
        earlier = self._nearby_folds(pending)
        for log, fold in heapq.merge(earlier, self._fresh_folds(pending, signatures), key=_file_order):
            scan.add(log, fold)
        scan.finish()
        if cache:
            cache.store_verdicts(self._signatures, self._verdicts)
        groups = _connected(scan.links, self._joined)
        if groups:
            self._fold_groups_jointly(groups)

    def _fresh_folds(
        self, pending: Sequence[LogFile], signatures: dict[Path, Signature | None]
    ) -> Iterator[tuple[LogFile, FileFold]]:
        """Each pending file's fold, from the cache or folded now, in file order, taken as it comes."""
        cache = self._cache()
        cached = {log.path: cache.load(log.path, signatures[log.path]) for log in pending} if cache else {}
        if self.folds is not None:
            cached = {log.path: self.folds(log.path) for log in pending}
        folded = self._fold_all([log for log in pending if cached.get(log.path) is None], signatures)
        for log in pending:
            fold = cached.get(log.path)
            if fold is None:
                fold, encoded, verdicts = next(folded)
                for other, shared in verdicts:
                    self._verdicts[frozenset((log.path, other))] = shared
                if cache:
                    cache.store(log.path, signatures[log.path], fold, encoded)
            self._edge_folds[log.path] = (log, fold)
            self._folded.add(log.path)
            self._take(log, fold)
            yield log, fold

    def _nearby_folds(self, pending: Sequence[LogFile]) -> list[tuple[LogFile, FileFold]]:
        """Files read earlier that are close enough to a pending one to share an id with it."""
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        first, last = min(log.day for log in pending) - margin, max(log.day for log in pending) + margin
        return sorted(
            ((log, fold) for log, fold in self._edge_folds.values() if first <= log.day <= last),
            key=_file_order,
        )

    def _fold_groups_jointly(self, groups: list[frozenset[Path]]) -> None:
        """Refold files that share ids together, then rebuild the days they can hold.

        Rare, so it may read again: every other file that can hold those days is folded anew
        (or loaded from the cache), and the days are rebuilt exactly, unit ids included.
        """
        logs = {log.path: log for log in self._log_files()}
        groups = self._with_earlier_groups(groups, logs)
        joint: dict[Path, dict[dt.date, Usage]] = {}
        for group in groups:
            paths = sorted((path for path in group if path in logs), key=lambda path: (logs[path].day, path.name))
            days, stats_by_path, _ = fold_jointly(paths, self.book, self.tz)
            joint[paths[0]] = days
            for path in paths:
                joint.setdefault(path, {})
                self._joined[path] = group
                self.file_stats[path] = (logs[path].day, stats_by_path[path])
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        first = min(logs[path].day for path in joint) - margin
        last = max(logs[path].day for path in joint) + margin
        affected: dict[dt.date, list[Usage]] = {}
        for log in files_for_days(self._log_files(), first, last):
            if log.path not in self._folded:
                continue  # not read yet: it will be checked when it is
            days = joint[log.path] if log.path in joint else self._individual_fold(log).days
            for day, usage in days.items():
                if first <= day <= last:
                    affected.setdefault(day, []).append(usage)
        for day in [day for day in self._days if first <= day <= last]:
            del self._days[day]
        self._days.update(affected)

    def _with_earlier_groups(self, groups: list[frozenset[Path]], logs: dict[Path, LogFile]) -> list[frozenset[Path]]:
        """Groups joined by earlier reads whose files sit in the days being rebuilt are rebuilt too."""
        groups = list(groups)
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        while True:
            covered = frozenset().union(*groups)
            days = [logs[path].day for path in covered if path in logs]
            nearby = files_for_days(self._log_files(), min(days) - margin, max(days) + margin)
            extra = {self._joined[log.path] for log in nearby
                     if log.path in self._joined and not self._joined[log.path] <= covered}
            if not extra:
                return groups
            groups.extend(extra)

    def _individual_fold(self, log: LogFile) -> FileFold:
        if self.folds is not None:
            return self.folds(log.path)
        cache = self._cache()
        fold = cache.load(log.path, file_signature(log.path)) if cache else None
        return fold or fold_log_file(log.path, self.book, self.tz)

    def _take(self, log: LogFile, fold: FileFold) -> None:
        self.file_stats[log.path] = (log.day, fold.stats)
        for day, usage in fold.days.items():
            # The fold's own Usage is never changed: kept folds (_edge_folds) still stand for their file.
            self._days.setdefault(day, []).append(usage)

    def _share_keys(self, fold: FileFold) -> FileFold:
        """Keys arrive from worker processes as fresh objects; one shared copy per distinct key
        keeps a big year's memory flat."""
        for usage in fold.days.values():
            usage.groups = {self._keys.setdefault(key, key): sums for key, sums in usage.groups.items()}
        return fold

    def _fold_all(
        self, logs: Sequence[LogFile], signatures: dict[Path, Signature | None]
    ) -> Iterator[tuple[FileFold, bytes | None, Verdicts]]:
        """Folds in file order, in worker processes when there is enough to read; those arrive
        encoded as cache entries too."""
        paths = [log.path for log in logs]
        sizes = [_size(path) for path in paths]
        with self.progress(sum(sizes)) as advance:
            if not self._worth_parallel(paths, sum(sizes)):
                for path, size in zip(paths, sizes):
                    self.counters["files_folded"] += 1
                    yield fold_log_file(path, self.book, self.tz), None, []
                    advance(size)
                return
            workers = min(os.cpu_count() or 1, 4)
            context = multiprocessing.get_context(self.start_method or _default_start_method())
            if context.get_start_method() == "fork":
                load_bundled_prices()  # once, here: every forked worker inherits it instead of loading its own
            runs = _runs(len(paths), workers)
            tasks = [(number, path, signatures[path]) for number, path in enumerate(paths)]
            self.counters["pools_started"] += 1
            with _frozen_while_forking(), ProcessPoolExecutor(
                workers, context, _start_worker, (self.book.overrides, self.tz)
            ) as pool:
                folded = pool.map(_fold_run_in_worker, [tasks[run.start:run.stop] for run in runs])
                for (encoded, verdicts), size in zip(chain.from_iterable(folded), sizes):
                    self.counters["files_folded"] += 1
                    yield self._share_keys(decode_fold(encoded)), encoded, [(paths[other], shared) for other, shared in verdicts]
                    advance(size)

    def _worth_parallel(self, paths: Sequence[Path], total_bytes: int) -> bool:
        if not self.parallel or (os.cpu_count() or 1) < 2 or len(paths) < PARALLEL_MIN_FILES:
            return False
        return total_bytes >= PARALLEL_MIN_BYTES


def _default_start_method() -> str | None:
    """fork where it is safe and fast (Linux); elsewhere the platform's default (spawn on macOS and
    Windows, where forking a process with threads is unsafe)."""
    return "fork" if sys.platform.startswith("linux") else None


@contextmanager
def _frozen_while_forking() -> Iterator[None]:
    """What this process holds stays out of its collections while workers run: walking it would
    copy the pages forked workers share (as Python's gc docs advise), and cost a full collection
    in the middle of a cold year. Only what this call froze is unfrozen again: objects an
    embedding app froze before stay frozen."""
    if gc.get_freeze_count():
        yield  # someone else froze objects; unfreezing would undo their choice
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _runs(count: int, workers: int) -> list[range]:
    """Task numbers in runs of consecutive files, one run per hand-out to a worker: runs of
    equal length, enough of them that most neighbours meet in one worker, shrinking at the end
    so that the workers finish together."""
    length = max(1, count // (workers * RUNS_PER_WORKER))
    runs, start = [], 0
    while start < count:
        size = max(1, min(length, (count - start) // (2 * workers)))
        runs.append(range(start, start + size))
        start += size
    return runs


def _file_order(item: tuple[LogFile, FileFold]) -> tuple[dt.date, str]:
    return item[0].day, item[0].path.name


class _DuplicateScan:
    """Finds neighbouring files that hold the same record id, fed files in day order.

    Each file is checked against the files of the NEIGHBOUR_DAYS days before it: pairs already in
    `verdicts` (compared by a worker process, or by an earlier run while both files were as they
    are) are taken as found; the others compare their id sets, one set operation per pair in C,
    and join `verdicts`. Memory holds only those days. A file whose every possible
    neighbour has been seen lets go of its fold, unless it lies near the edge of what has been
    read, where a later read may still bring one.
    """

    def __init__(
        self, fresh: set[Path], first: dt.date, last: dt.date, kept: dict[Path, tuple[LogFile, FileFold]],
        verdicts: dict[frozenset[Path], bool], counters: Counter[str],
    ) -> None:
        self.fresh = fresh
        self.counters = counters
        self.kept = kept
        self.verdicts = verdicts
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        self.inner_first, self.inner_last = first + margin, last - margin
        self.links: dict[Path, set[Path]] = {}
        self._window: deque[_Seen] = deque()

    def add(self, log: LogFile, fold: FileFold) -> None:
        while self._window and self._window[0].log.day < log.day - dt.timedelta(days=NEIGHBOUR_DAYS):
            self._leave(self._window.popleft().log)
        mine = _Seen(log, fold)
        for other in self._window:
            if log.path not in self.fresh and other.log.path not in self.fresh:
                continue
            pair = frozenset((log.path, other.log.path))
            shared = self.verdicts.get(pair)
            if shared is None:
                self.counters["pairs_compared"] += 1
                shared = self.verdicts[pair] = mine.shares_an_id_with(other)
            if shared:
                self.links.setdefault(log.path, set()).add(other.log.path)
                self.links.setdefault(other.log.path, set()).add(log.path)
        self._window.append(mine)

    def _leave(self, log: LogFile) -> None:
        if self.inner_first <= log.day <= self.inner_last:
            self.kept.pop(log.path, None)  # every neighbour it can have has been seen

    def finish(self) -> None:
        while self._window:
            self._leave(self._window.popleft().log)


class _Seen:
    """A file in the scan's window; its ids are decoded only if a pair needs them."""

    __slots__ = ("log", "fold", "_ids")

    def __init__(self, log: LogFile, fold: FileFold) -> None:
        self.log, self.fold = log, fold
        self._ids: set[str] | None = None

    def shares_an_id_with(self, other: _Seen) -> bool:
        return not self.ids().isdisjoint(other.ids())

    def ids(self) -> set[str]:
        if self._ids is None:
            self._ids = self.fold.id_strings()
        return self._ids


def _connected(links: dict[Path, set[Path]], joined: dict[Path, frozenset[Path]]) -> list[frozenset[Path]]:
    """Connected groups of linked files, each grown by any group its members were joined in before."""
    groups: list[frozenset[Path]] = []
    seen: set[Path] = set()
    for start in links:
        if start in seen:
            continue
        group: set[Path] = set()
        stack = [start]
        while stack:
            path = stack.pop()
            if path in group:
                continue
            group.add(path)
            stack.extend(links.get(path, ()))
            stack.extend(joined.get(path, ()))
        seen |= group
        groups.append(frozenset(group))
    return groups


@dataclass
class _MonthLookup:
    usage: Usage | None  # None: not in the cache, or a file changed since
    files: list[LogFile]
    signatures: dict[str, Signature | None]


def _runs_of_spans(spans: Sequence[Period]) -> list[tuple[dt.date, dt.date]]:
    """Spans that follow each other without a gap, joined."""
    runs: list[tuple[dt.date, dt.date]] = []
    for span in spans:
        if runs and runs[-1][1] + dt.timedelta(days=1) == span.start:
            runs[-1] = (runs[-1][0], span.end)
        else:
            runs.append((span.start, span.end))
    return runs


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
