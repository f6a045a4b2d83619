"""Usage per day and per period, read from the logs folder: the pipeline's front half in one place."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path

from vaultledger.ledger.cache import FileFold, FoldCache, Signature, fingerprint
from vaultledger.ledger.files import NEIGHBOUR_DAYS, LogFile, ReadStats, files_for_days, list_log_files
from vaultledger.ledger.reading import FoldedFiles, parts_by_file, parts_of_files
from vaultledger.ledger.sources import FoldSource
from vaultledger.ledger.spans import SpanCache
from vaultledger.ledger.usage import Usage, merge_days
from vaultledger.periods import Period
from vaultledger.pricing import PriceBook, parse_price_overrides
from vaultledger.progress import no_progress
from vaultledger.record import UsageRecord
from vaultledger.settings import Settings


class Ledger:
    """Reads the logs of one folder in one time zone and prices them with one price book.

    With a cache folder, each file's fold is kept on disk and reused while the file is unchanged.
    `folds` replaces the cache and workers as where folds come from (watch mode's, kept current as
    files grow); `start_method` is that of worker processes (None: fork on Linux where no other thread
    runs, forkserver where one does, the platform's default elsewhere); `counters` say what reading
    cost (files folded, pairs compared).
    """

    def __init__(
        self, logs_dir: Path, tz: str, book: PriceBook, cache_dir: Path | None = None, parallel: bool = True,
        progress: Callable[[int], AbstractContextManager[Callable[[int], None]]] = no_progress,
        start_method: str | None = None, counters: Counter[str] | None = None,
        folds: Callable[[Path], FileFold] | None = None,
    ) -> None:
        self.logs_dir, self.tz, self.book, self.cache_dir = logs_dir, tz, book, cache_dir
        self.parallel, self.progress, self.start_method, self.folds = parallel, progress, start_method, folds
        self.counters: Counter[str] = Counter() if counters is None else counters
        self._listing: list[LogFile] | None = None  # the folder's files while one question is answered
        # Each period's answer: a Ledger reads every file once, so asking again (a report's outliers) costs nothing.
        self._answers: dict[tuple[dt.date, dt.date], Usage] = {}
        source = FoldSource(self.book, self.tz, self.fold_cache, self.parallel, self.start_method, self.progress,
                            self.counters, self.folds)
        self._read = FoldedFiles(source, self._log_files)

    @classmethod
    def from_settings(cls, settings: Settings, *, parallel: bool = True) -> Ledger:
        overrides = parse_price_overrides(list(settings.prices), settings.config_label)
        tz = settings.timezone.value
        return cls(settings.logs.value, tz, PriceBook(overrides, tz), settings.cache_dir.value, parallel)

    def usage(self, period: Period) -> Usage:
        """All usage whose local day falls in the period.

        With a cache, each whole month inside the period is kept merged too, so a year's report
        after a day of new lines reads one month's files and eleven small entries. The answer is
        shared by later askers: it must not be changed.
        """
        key = (period.start, period.end)
        if key not in self._answers:
            with self._one_listing():
                self._answers[key] = self._usage(period)
        return self._answers[key]

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
        cache = self.fold_cache()
        assert cache is not None
        listing = self._log_files()
        return SpanCache(cache, self._files_for, self._read.file_stats, self._read.kept_stats, self._read_days,
                         self._day_parts, self._merged_days, listing[-1].day if listing else None, self._read.signatures,
                         self._read.source.grown, read_files=self._read.read,
                         file_parts=partial(parts_of_files, self._read)).usage(period)

    def _files_for(self, first: dt.date, last: dt.date) -> list[LogFile]:
        """Files that can hold calls of [first, last], and those that can hold a later line for
        one of those calls (a duplicate id), which decides whether it counts there."""
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        return files_for_days(self._log_files(), first - margin, last + margin)

    def joined_files(self, first: dt.date, last: dt.date) -> dict[Path, frozenset[Path]]:
        """Files of [first, last] that share record ids with a neighbour, and the group each is
        read with (for exports, which list records rather than totals)."""
        self.days(first, last)
        return dict(self._read.joined)

    def records(self, first: dt.date, last: dt.date) -> Iterator[tuple[dt.date, UsageRecord]]:
        """(local day, record) for every call that counts in [first, last]: exactly the calls
        `usage` sums, by the same rules (files that share ids are read together)."""
        self.days(first, last)
        with self._one_listing():
            yield from self._read.records(first, last)

    def records_with_files(
        self, first: dt.date, last: dt.date, within: set[Path] | None = None
    ) -> Iterator[tuple[dt.date, Path, UsageRecord]]:
        """`records`, each with the log file whose line counts (its host, for a breakdown by host); of
        the files `within` only, where given (with the files each is folded together with)."""
        self.days(first, last)
        with self._one_listing():
            yield from self._read.records_with_files(first, last, within)

    def by_file(self, first: dt.date, last: dt.date) -> tuple[dict[Path, list[Usage]], set[Path]]:
        """Each file's own usage of [first, last] (a part per local day), and apart the files that share
        ids with a neighbour: those count as their group's fold does, which no one file's stands for
        (their calls: `records_with_files(first, last, within=...)`). Together, exactly `usage`."""
        self.days(first, last)
        with self._one_listing():
            return parts_by_file(self._read, self._log_files(), first, last)

    def fold_cache(self) -> FoldCache | None:
        return FoldCache(self.cache_dir, fingerprint(self.tz, self.book.overrides)) if self.cache_dir else None

    def read_signature(self, path: Path) -> Signature | None:
        """The file's signature as this ledger took it before reading it, for a result kept for the file
        alone (None: not read, gone, or a plain file read from where its .gz leaves off)."""
        return None if path in self._read.beside_archive else self._read.signatures.get(path)

    def days(self, first: dt.date, last: dt.date) -> dict[dt.date, Usage]:
        """Usage per local day in [first, last]; days without calls are absent."""
        self._read_days(first, last)
        merged = {}
        for day, parts in self._read.days.items():
            if first <= day <= last:
                if len(parts) > 1:
                    parts[:] = [merge_days(parts)]
                merged[day] = parts[0]
        return merged

    def _day_parts(self, first: dt.date, last: dt.date) -> list[Usage]:
        """Every part of every local day in [first, last], unmerged."""
        self._read_days(first, last)
        return [usage for day, parts in self._read.days.items() if first <= day <= last for usage in parts]

    def _merged_days(self, first: dt.date, last: dt.date) -> Usage:
        self._read_days(first, last)  # merged as it was read, where the read was told to (FoldedFiles.read)
        return self._read.merged.pop((first, last), None) or merge_days(self._day_parts(first, last))

    def _read_days(self, first: dt.date, last: dt.date, merge: Sequence[tuple[dt.date, dt.date]] = ()) -> None:
        with self._one_listing():
            self._read.read(self._files_for(first, last), merge)

    @property
    def stats(self) -> ReadStats:
        """What reading every file so far has seen."""
        return self.stats_between(dt.date.min, dt.date.max)

    def stats_between(self, first: dt.date, last: dt.date) -> ReadStats:
        """Read problems of the files dated in [first, last]: the same answer however often asked."""
        return self._read.stats_between(first, last)
