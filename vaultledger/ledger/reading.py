"""Every log file's fold, each file read at most once; files that share ids with a neighbour are
folded together (SPEC §2), and each local day is kept as the parts its files hold."""

from __future__ import annotations

import datetime as dt
import heapq
import zoneinfo
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import msgspec

from vaultledger.ledger.cache import FileFold, FoldCache, Signature, file_signature
from vaultledger.ledger.duplicates import DuplicateScan, connected_groups
from vaultledger.ledger.files import (
    NEIGHBOUR_DAYS, LogFile, ReadStats, counted_records_with_files, files_for_days, total_stats,
)
from vaultledger.ledger.fold import fold_jointly
from vaultledger.ledger.sources import FoldSource
from vaultledger.ledger.usage import Usage, merge_days
from vaultledger.record import UsageRecord

Verdicts = list[tuple[Path, bool]]  # (a neighbouring file, whether it shares an id with this one)


class FoldedFiles(msgspec.Struct, eq=False):  # caches: comparing or printing them would cost megabytes
    """What a Ledger has read: each file's stats, each day's parts, and which files were joined."""

    source: FoldSource
    listing: Callable[[], list[LogFile]]  # the logs folder's files
    file_stats: dict[Path, tuple[dt.date, ReadStats]] = {}
    # Of files whose days a valid cached span covers: exact, joins and all, so they outrank what a read
    # of the file alone or of part of its joined files finds (SpanCache.lookup fills it).
    kept_stats: dict[Path, tuple[dt.date, ReadStats]] = {}
    # Each day's parts (one per file that holds calls of that day), merged only when a day is
    # asked for on its own: a period's total merges every part at once, in one pass.
    days: dict[dt.date, list[Usage]] = {}
    joined: dict[Path, frozenset[Path]] = {}  # files folded together
    # Each file's own days as read (a report by host sums them); a joined file's stand for it alone.
    file_days: dict[Path, dict[dt.date, Usage]] = {}
    _folded: set[Path] = set()  # files whose days are in `days` (not just their stats)
    _edge_folds: dict[Path, tuple[LogFile, FileFold]] = {}  # near the read edges
    _verdicts: dict[frozenset[Path], bool] = {}  # file pairs compared id by id
    signatures: dict[Path, Signature | None] = {}  # each file's, when it was read
    # Spans of days merged during a read, between the folds as they arrived (taken by the Ledger).
    merged: dict[tuple[dt.date, dt.date], Usage] = {}
    beside_archive: set[Path] = set()  # plain files read from where their .gz leaves off

    def __repr__(self) -> str:
        return f"<FoldedFiles: {len(self.file_stats)} files read>"

    def stats_between(self, first: dt.date, last: dt.date) -> ReadStats:
        in_order = sorted({**self.file_stats, **self.kept_stats}.values(), key=lambda item: item[0])
        return total_stats(stats for day, stats in in_order if first <= day <= last)

    def records(self, first: dt.date, last: dt.date) -> Iterator[tuple[dt.date, UsageRecord]]:
        """(local day, record) of every call that counts in [first, last], once those days were read."""
        return ((day, record) for day, _, record in self.records_with_files(first, last))

    def records_with_files(
        self, first: dt.date, last: dt.date, within: set[Path] | None = None
    ) -> Iterator[tuple[dt.date, Path, UsageRecord]]:
        """`records`, each with the file whose line counts; of the files `within` (and their joined ones) only."""
        zone = zoneinfo.ZoneInfo(self.source.tz)
        done: set[Path] = set()
        for log in files_for_days(self.listing(), first, last):
            if log.path in done or (within is not None and log.path not in within):
                continue
            paths = sorted(self.joined.get(log.path, {log.path}), key=lambda path: path.name)
            done.update(paths)
            for path, record in counted_records_with_files(paths, zone, {}):
                day = record.ts.astimezone(zone).date()
                if first <= day <= last:
                    yield day, path, record

    def read(self, files: Sequence[LogFile], merge: Sequence[tuple[dt.date, dt.date]] = ()) -> None:
        """Fold the files not read yet; files that share ids with a neighbour are folded with it. Each
        span of days in `merge` is merged (into `merged`) as soon as every file that can hold its calls
        is read: a cold year merges its blocks of days while workers still fold, not after the last."""
        # Every file is read at most once per Ledger; a file's records may belong to several days.
        pending = [log for log in files if log.path not in self._folded]
        if not pending:
            return
        cache = self.source.cache()
        signatures = {log.path: file_signature(log.location) for log in pending}
        self.signatures.update(signatures)
        self.beside_archive.update(log.path for log in pending if log.beside_archive)
        if cache:
            # Neighbours compared in an earlier run, both unchanged since, need no comparing again.
            self._verdicts = {**cache.verdicts.load(self.signatures), **self._verdicts}
        # The pending files cover one run of days; inside it, every neighbour of a file is read now.
        scan = DuplicateScan(pending, self._edge_folds, self._verdicts, self.source.counters,
                             zoneinfo.ZoneInfo(self.source.tz), self.signatures)
        earlier = self._nearby_folds(pending)
        merging = _MergedAsRead(merge, self.days, self.merged)
        for log, fold in heapq.merge(earlier, self._fresh_folds(pending, signatures, cache), key=_file_order):
            scan.add(log, fold)
            merging.read_up_to(log.day)
        scan.finish()
        if cache:
            self.source.keep_continued(cache)  # now that the scan has found which neighbours they are clear of
            cache.flush()
            cache.verdicts.store(self.signatures, self._verdicts, self.source.grown | newest_day_files(self.listing()))
        groups = connected_groups(scan.links, self.joined)
        if groups:
            self._fold_groups_jointly(groups)

    def _fresh_folds(
        self, pending: Sequence[LogFile], signatures: dict[Path, Signature | None], cache: FoldCache | None
    ) -> Iterator[tuple[LogFile, FileFold]]:
        """Each pending file's fold, from the cache or folded now, in file order, taken as it comes."""
        cached = self.source.known_folds(pending, signatures)
        folded = self.source.fold_all([log for log in pending if cached.get(log.path) is None], signatures)
        for log in pending:
            fold = cached.get(log.path)
            if fold is None:
                fold, encoded, verdicts, packed = next(folded)
                for other, shared in verdicts:
                    self._verdicts[frozenset((log.path, other))] = shared
                if cache and not log.beside_archive:
                    cache.store(log.path, signatures[log.path], fold, encoded, packed)
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
        logs = {log.path: log for log in self.listing()}
        groups = _with_earlier_groups(groups, self.joined, logs, self.listing())
        joint: dict[Path, dict[dt.date, Usage]] = {}
        for group in groups:
            paths = sorted((path for path in group if path in logs), key=lambda path: (logs[path].day, path.name))
            days, stats_by_path, _ = fold_jointly(paths, self.source.book, self.source.tz)
            joint[paths[0]] = days
            for path in paths:
                joint.setdefault(path, {})
                self.joined[path] = group
                self.file_stats[path] = (logs[path].day, stats_by_path[path])
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        first = min(logs[path].day for path in joint) - margin
        last = max(logs[path].day for path in joint) + margin
        affected: dict[dt.date, list[Usage]] = {}
        for log in files_for_days(self.listing(), first, last):
            if log.path not in self._folded:
                continue  # not read yet: it will be checked when it is
            days = joint[log.path] if log.path in joint else self.source.fold(log).days
            for day, usage in days.items():
                if first <= day <= last:
                    affected.setdefault(day, []).append(usage)
        for day in [day for day in self.days if first <= day <= last]:
            del self.days[day]
        self.days.update(affected)
        for span in [span for span in self.merged if span[0] <= last and first <= span[1]]:
            del self.merged[span]  # merged before the join

    def _take(self, log: LogFile, fold: FileFold) -> None:
        self.file_stats[log.path] = (log.day, fold.stats)
        self.file_days[log.path] = fold.days
        for day, usage in fold.days.items():
            # The fold's own Usage is never changed: kept folds (_edge_folds) still stand for their file.
            self.days.setdefault(day, []).append(usage)


class _MergedAsRead:
    """Spans of days merged as soon as every file that can hold their calls is read, in the pauses
    between folds arriving from workers rather than after the last one."""

    def __init__(self, spans: Sequence[tuple[dt.date, dt.date]], days: dict[dt.date, list[Usage]],
                 merged: dict[tuple[dt.date, dt.date], Usage]) -> None:
        self.waiting = deque(sorted(spans, key=lambda span: span[1]))
        self.days, self.merged = days, merged

    def read_up_to(self, day: dt.date) -> None:
        """Files come in day order: once one is past a span's last day by more than a file's window,
        every part of the span's days has been taken."""
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        while self.waiting and self.waiting[0][1] + margin < day:
            first, last = self.waiting.popleft()
            # In the order Ledger._day_parts lists them: a Decimal sum is exact only up to its precision.
            self.merged[(first, last)] = merge_days([usage for part_day, parts in self.days.items()
                                                    if first <= part_day <= last for usage in parts])


def _with_earlier_groups(
    groups: list[frozenset[Path]], joined: dict[Path, frozenset[Path]], logs: dict[Path, LogFile],
    listing: Sequence[LogFile],
) -> list[frozenset[Path]]:
    """Groups joined by earlier reads whose files sit in the days being rebuilt are rebuilt too
    (`logs`: the listing by path)."""
    groups = list(groups)
    margin = dt.timedelta(days=NEIGHBOUR_DAYS)
    while True:
        covered = frozenset().union(*groups)
        days = [logs[path].day for path in covered if path in logs]
        nearby = files_for_days(listing, min(days) - margin, max(days) + margin)
        extra = {joined[log.path] for log in nearby if log.path in joined and not joined[log.path] <= covered}
        if not extra:
            return groups
        groups.extend(extra)


def parts_by_file(
    read: FoldedFiles, listing: Sequence[LogFile], first: dt.date, last: dt.date
) -> tuple[dict[Path, list[Usage]], set[Path]]:
    """Each read file's own parts of [first, last], and apart the files folded with a neighbour (see
    Ledger.by_file)."""
    parts: dict[Path, list[Usage]] = {}
    joined: set[Path] = set()
    for log in files_for_days(listing, first, last):
        if log.path in read.joined:
            joined.add(log.path)
            continue
        parts[log.path] = _own_parts(read, log.path, first, last)
    return parts, joined


def parts_of_files(read: FoldedFiles, paths: list[Path], first: dt.date, last: dt.date) -> list[Usage] | None:
    """These read files' own usage of [first, last], a part per day; None where one of them was folded
    with a neighbour (its part then stands for no file alone)."""
    if any(path in read.joined for path in paths):
        return None
    return [usage for path in paths for usage in _own_parts(read, path, first, last)]


def _own_parts(read: FoldedFiles, path: Path, first: dt.date, last: dt.date) -> list[Usage]:
    return [usage for day, usage in read.file_days.get(path, {}).items() if first <= day <= last]


def newest_day_files(listing: Sequence[LogFile]) -> set[Path]:
    """The files of a listing's newest day: being logged to, even when they were read whole."""
    return {log.path for log in listing if log.day == listing[-1].day} if listing else set()


def _file_order(item: tuple[LogFile, FileFold]) -> tuple[dt.date, str]:
    return item[0].day, item[0].path.name
