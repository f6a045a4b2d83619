"""Usage per day and per period, read from the logs folder: the pipeline's front half in one place."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vaultledger.aggregate import DayFolder, Usage, merge_days
from vaultledger.periods import Period
from vaultledger.pricing import PriceBook, parse_price_overrides
from vaultledger.reader import LogFile, ReadStats, files_for_days, read_file
from vaultledger.settings import Settings


@dataclass
class Ledger:
    """Reads the logs of one folder in one time zone and prices them with one price book."""

    logs_dir: Path
    tz: str
    book: PriceBook
    file_stats: dict[Path, tuple[dt.date, ReadStats]] = field(default_factory=dict)
    _days: dict[dt.date, Usage] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Ledger:
        overrides = parse_price_overrides(list(settings.prices), settings.config_label)
        return cls(settings.logs.value, settings.timezone.value, PriceBook(overrides, settings.timezone.value))

    def usage(self, period: Period) -> Usage:
        """All usage whose local day falls in the period."""
        return merge_days(self.days(period.start, period.end).values())

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

    def _read_files(self, files: Iterable[LogFile]) -> None:
        # Every file is read at most once per Ledger; a file's records may belong to several days.
        pending = [log for log in files if log.path not in self.file_stats]
        if not pending:
            return
        folder = DayFolder(self.book, self.tz)
        for log in pending:
            stats = ReadStats()
            folder.add_all(read_file(log.path, stats))
            self.file_stats[log.path] = (log.day, stats)
        for day, usage in folder.finish().items():
            self._days.setdefault(day, Usage()).merge(usage)
