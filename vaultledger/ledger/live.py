"""Watch mode's read side: folds kept current as log files grow, fed to the same Ledger.

A live fold is the fold `fold_log_file` makes, continued: the bytes appended since the last read
go through the same batch decoder and the same DayFolder, so a growing file costs only its new
lines. Whatever the fast fold cannot continue (a repeated id, a void line, a stray line, a file
replaced or cut) is folded again whole, by the same rules. `LiveLedger` answers each question
with a fresh `Ledger` over these folds, so window, duplicate and void rules are the nightly
rollup's own: a live note and the nightly note are the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from vaultledger.ledger import Ledger
from vaultledger.ledger.cache import FileFold, Signature, file_signature
from vaultledger.ledger.files import NEIGHBOUR_DAYS, LineProblem, ReadStats, file_day, list_log_files
from vaultledger.ledger.fold import continue_fold, fold_log_file
from vaultledger.ledger.usage import Usage
from vaultledger.periods import Period
from vaultledger.pricing import PriceBook, parse_price_overrides
from vaultledger.settings import Settings

# Files this far from today are let go: a week's note needs its days and their neighbours.
KEEP_DAYS = 10


class LiveFolds:
    """The fold of each log file as it is now, reading only what was appended since last asked."""

    def __init__(self, book: PriceBook, tz: str) -> None:
        self.book, self.tz = book, tz
        self._files: dict[Path, tuple[Signature, FileFold]] = {}
        self.counters: Counter[str] = Counter()  # folds continued with new lines, and folds made whole

    def fold(self, path: Path) -> FileFold:
        signature = file_signature(path)
        held = self._files.get(path)
        if signature is None:
            self._files.pop(path, None)
            return FileFold({}, ReadStats())
        if held is not None and held[0] == signature:
            return held[1]
        fold = None
        if held is not None and held[0][3] == signature[3]:  # the same file (inode), perhaps grown
            fold = continue_fold(path, held[1], self.book, self.tz)
        self.counters["continued" if fold is not None else "whole"] += 1
        if fold is None:
            fold = fold_log_file(path, self.book, self.tz)
        self._files[path] = (signature, fold)
        return fold

    def held(self, path: Path) -> FileFold | None:
        """The fold last handed out for `path`, without reading (None if it was never asked for)."""
        held = self._files.get(path)
        return held[1] if held else None

    def let_go(self, keep: set[Path]) -> None:
        for path in [path for path in self._files if path not in keep]:
            del self._files[path]


@dataclass
class Refresh:
    """What one refresh found: whether anything changed, and which days' numbers may differ."""

    changed: bool = False
    touched: set[dt.date] = field(default_factory=set)


class LiveLedger:
    """The ledger a running watch asks: each refresh reads what the logs folder gained and answers
    from a fresh `Ledger` over the live folds until the next refresh."""

    def __init__(self, logs_dir: Path, tz: str, book: PriceBook) -> None:
        self.logs_dir, self.tz, self.book = logs_dir, tz, book
        self.today = dt.date.today()
        self.folds = LiveFolds(book, tz)
        self._ledger = self._new_ledger()
        self._signatures: dict[Path, Signature | None] = {}
        self._problems: list[LineProblem] = []
        self._errors: list[str] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveLedger:
        tz = settings.timezone.value
        overrides = parse_price_overrides(list(settings.prices), settings.config_label)
        return cls(settings.logs.value, tz, PriceBook(overrides, tz))

    def watch_around(self, today: dt.date) -> None:
        self.today = today

    def refresh(self) -> Refresh:
        """Read what changed in the logs folder. `touched` holds every day whose numbers may have
        moved: the days the changed files held before and hold now, and the days of the files
        they share ids with (a later line of an id changes the day of its earlier one)."""
        listing = list_log_files(self.logs_dir)
        now = {log.path: file_signature(log.location) for log in listing}
        changed = [path for path in now.keys() | self._signatures.keys()
                   if now.get(path) != self._signatures.get(path)]
        self._signatures = now
        if not changed:
            return Refresh()
        before = {path: self.folds.held(path) for path in changed}
        self._ledger = self._new_ledger()
        touched: set[dt.date] = set()
        moved = False
        for path in changed:
            after = self.folds.fold(path) if path in now else None
            if after is not None and after is before[path]:
                continue  # only a half-written line arrived: nothing counts differently yet
            moved = True
            for fold in (before[path], after):
                touched.update(fold.days if fold else ())
            if after is not None:
                self._problems.extend(after.stats.problems)
        if not moved:
            return Refresh()
        days = [day for path in changed if (day := file_day(path)) is not None]
        if days:
            joined = self._ledger.joined_files(min(days), max(days))
            for path in changed:
                for other in joined.get(path, frozenset()) - {path}:
                    touched.update(self.folds.fold(other).days)
        keep_from, keep_to = self.today - dt.timedelta(days=KEEP_DAYS), self.today + dt.timedelta(days=NEIGHBOUR_DAYS)
        self.folds.let_go({log.path for log in listing if keep_from <= log.day <= keep_to})
        return Refresh(True, touched)

    def days(self, first: dt.date, last: dt.date) -> dict[dt.date, Usage]:
        return self._ledger.days(first, last)

    def usage(self, period: Period) -> Usage:
        return self._ledger.usage(period)

    def stats_between(self, first: dt.date, last: dt.date) -> ReadStats:
        return self._ledger.stats_between(first, last)

    def take_problems(self) -> tuple[list[LineProblem], list[str]]:
        """Invalid lines and unreadable files found since the last call."""
        problems, errors = self._problems, self._errors
        self._problems, self._errors = [], []
        return problems, errors

    def _new_ledger(self) -> Ledger:
        return Ledger(self.logs_dir, self.tz, self.book, parallel=False, folds=self.folds.fold)
