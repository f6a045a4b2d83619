"""Hard limits (`hard = true` budgets): how spending stands against each, cheap enough to ask before every call.

A check folds the ledger at most every REFRESH_EVERY seconds (the numbers `vaultledger budget` shows);
in between it adds the whole lines appended since to the recent log files, by this process or any
other, read from where the last look stopped. Those lines are counted without the ledger's duplicate
and void rules, so between two folds a limit can only look nearer, never further, than it is.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from vaultledger.budgets import Budget, BudgetStatus, statuses_on
from vaultledger.capture.usage_log import daily_log_path
from vaultledger.errors import InvalidRecord, VaultledgerError
from vaultledger.ledger import Ledger
from vaultledger.ledger.cache import FileFold, FoldCache, file_signature, fingerprint
from vaultledger.ledger.fold import fold_log_file
from vaultledger.ledger.files import NEIGHBOUR_DAYS, list_log_files
from vaultledger.ledger.usage import group_key, merge_days
from vaultledger.periods import Period, WeekRule, local_day, today
from vaultledger.pricing import PriceBook, format_usd
from vaultledger.record import parse_line

REFRESH_EVERY = 30.0  # seconds a fold is trusted: folds apply duplicates, voids and lines added to old days
LIST_EVERY = 1.0  # seconds between listings of the logs folder: a new file (another host's) is seen this late

Clock = Callable[[], float]
Now = Callable[[], dt.datetime]


class LimitStatus(BudgetStatus):
    """One hard budget over its current period: what is spent, and the calls whose cost is unknown."""

    @property
    def limit(self) -> Decimal:
        return self.amount

    @property
    def reached(self) -> bool:
        return self.spent >= self.limit

    def refuses(self, estimate: Decimal) -> bool:
        """Whether a call estimated at `estimate` must not be made: the limit is reached, or it would cross it."""
        return self.reached or self.spent + estimate > self.limit

    def __str__(self) -> str:
        text = f"{self.budget.label}: {format_usd(self.spent)} spent of {format_usd(self.limit)} in {self.period.key}"
        if self.unpriced_calls:
            text += f" (+{self.unpriced_calls:,} unpriced calls whose cost is not counted: add a [[prices]] entry)"
        return text


class BudgetExceeded(VaultledgerError):
    """A guarded call was refused: its hard limit is reached, or the call's estimate would cross it."""

    def __init__(self, status: LimitStatus, estimate: Decimal = Decimal(0)) -> None:
        self.status, self.estimate = status, estimate
        self.budget, self.spent, self.limit, self.period = status.budget.label, status.spent, status.limit, status.period.key
        why = "it is reached" if status.reached else f"this call's estimate of {format_usd(estimate)} would cross it"
        super().__init__(f"{status}; call refused: {why}")

    def __reduce__(self) -> tuple[type, tuple[LimitStatus, Decimal]]:
        return BudgetExceeded, (self.status, self.estimate)  # so it crosses process pools intact


@dataclass(frozen=True)
class LimitCheck:
    """The hard limits that apply to a call, each over its current period."""

    statuses: tuple[LimitStatus, ...]

    @property
    def ok(self) -> bool:
        """No limit is reached."""
        return not any(status.reached for status in self.statuses)

    @property
    def unpriced_calls(self) -> int:
        """Calls of unknown cost that the most-affected limit cannot count (0: every call is priced)."""
        return max((status.unpriced_calls for status in self.statuses), default=0)

    @property
    def tightest(self) -> LimitStatus | None:
        """The limit with the least left, or None when no hard limit applies."""
        return min(self.statuses, key=lambda status: status.remaining, default=None)

    def refusal(self, estimate: Decimal) -> LimitStatus | None:
        """The tightest limit that refuses a call estimated at `estimate`, if any."""
        refusing = [status for status in self.statuses if status.refuses(estimate)]
        return min(refusing, key=lambda status: status.remaining) if refusing else None


class AppendedLines:
    """The whole lines appended to some log files since the last look, read from where it stopped."""

    def __init__(self, offsets: dict[Path, int]) -> None:
        self.offsets = offsets

    def new_lines(self, paths: list[Path]) -> Iterator[bytes]:
        """New lines of `paths`; raises FileChanged when one shrank (replaced, archived)."""
        for path in paths:
            try:
                size = os.stat(path).st_size
            except FileNotFoundError:
                continue
            offset = self.offsets.get(path, 0)
            if size < offset:
                raise FileChanged(path)
            if size > offset:
                yield from self._read(path, offset, size)

    def _read(self, path: Path, offset: int, size: int) -> Iterator[bytes]:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read(size - offset)
        whole = data.rfind(b"\n") + 1  # a partial last line waits until its writer completes it
        self.offsets[path] = offset + whole
        yield from data[:whole].splitlines()


class FileChanged(Exception):
    """A log file is not as last seen (shrunk, gone, or a new file of an older day): fold again."""


class SpendWatch:
    """Spending against hard budgets right now: the last fold, plus the lines appended since."""

    def __init__(self, budgets: list[Budget], rule: WeekRule, logs_dir: Path, book: PriceBook, tz: str,
                 cache_dir: Path | None = None, clock: Clock = time.monotonic, now: Now | None = None) -> None:
        self.budgets, self.rule, self.logs_dir, self.book, self.tz = budgets, rule, logs_dir, book, tz
        self.cache_dir, self.clock, self.now = cache_dir, clock, now
        self.folds = 0  # how often the ledger was folded (tests and the benchmark read it)
        self._day: dt.date | None = None
        self._refresh_at = self._list_at = 0.0
        self._periods: list[Period] = []
        self._spent: list[Decimal] = []  # per budget: the known cost of its period so far
        self._unpriced: list[int] = []  # per budget: its period's calls whose cost is unknown
        self._lines = AppendedLines({})
        self._hot: list[Path] = []  # files of the days around today, looked at on every check

    def statuses(self) -> list[LimitStatus]:
        """Every hard budget over its period holding today (in the configured zone)."""
        moment, day = self.clock(), today(self.tz, self.now() if self.now else None)
        try:
            if day != self._day or moment >= self._refresh_at:
                self._fold(day, moment)
            elif moment >= self._list_at:
                self._relist(moment)
            self._add_new_lines()
        except FileChanged:
            self._fold(day, moment)
        return [LimitStatus(budget, period, spent, day, unpriced)
                for budget, period, spent, unpriced in zip(self.budgets, self._periods, self._spent, self._unpriced)]

    def _fold(self, day: dt.date, moment: float) -> None:
        # Each file's fold says where it stopped reading; where one cannot (an archive, a careful fold),
        # the size before folding stands in: a line appended meanwhile then counts twice, never not at all.
        offsets = self._sizes(self._window(day))
        ledger = Ledger(self.logs_dir, self.tz, self.book, self.cache_dir, parallel=False,
                        folds=self._folds_noting_ends(offsets))
        statuses = statuses_on(day, self.budgets, lambda first, last: merge_days(ledger.days(first, last).values()),
                               self.rule)
        self._periods = [status.period for status in statuses]
        self._spent = [status.spent for status in statuses]
        self._unpriced = [status.unpriced_calls for status in statuses]
        self._day, self.folds = day, self.folds + 1
        self._lines = AppendedLines(offsets)
        self._hot = self._hot_files(day, offsets)
        self._refresh_at, self._list_at = moment + REFRESH_EVERY, moment + LIST_EVERY

    def _folds_noting_ends(self, offsets: dict[Path, int]) -> Callable[[Path], FileFold]:
        """Each file's fold, from the fold cache or read now (and kept), noting in `offsets` where it stopped."""
        cache = FoldCache(self.cache_dir, fingerprint(self.tz, self.book.overrides)) if self.cache_dir else None

        def fold(path: Path) -> FileFold:
            signature = file_signature(path)
            found = cache.load(path, signature) if cache else None
            if found is None:
                found = fold_log_file(path, self.book, self.tz)
                if cache:
                    cache.store(path, signature, found)
            if found.resume is not None and path in offsets:  # the ledger also reads a little outside the window
                offsets[path] = found.resume.offset
            return found

        return fold

    def _window(self, day: dt.date) -> tuple[dt.date, dt.date]:
        """Days whose files can hold calls of the budgets' current periods."""
        margin = dt.timedelta(days=NEIGHBOUR_DAYS)
        first = min((budget.period_containing(day, self.rule).start for budget in self.budgets), default=day)
        return first - margin, day + margin

    def _sizes(self, window: tuple[dt.date, dt.date]) -> dict[Path, int]:
        sizes = {}
        for log in list_log_files(self.logs_dir):
            if window[0] <= log.day <= window[1]:
                try:
                    sizes[log.path] = os.stat(log.path).st_size
                except FileNotFoundError:
                    continue
        return sizes

    def _hot_files(self, day: dt.date, offsets: dict[Path, int]) -> list[Path]:
        # Today's file is watched before it exists: this process's first call of the day creates it.
        hot = {daily_log_path(self.logs_dir, day)}
        hot.update(path for path in offsets if abs((_file_day(path) - day).days) <= NEIGHBOUR_DAYS)
        return sorted(hot)

    def _relist(self, moment: float) -> None:
        """New files of the days around today are read from their start; any other change folds again."""
        assert self._day is not None
        sizes = self._sizes(self._window(self._day))
        hot = set(self._hot)
        for path, size in sizes.items():
            if path not in hot and size != self._lines.offsets.get(path):
                if abs((_file_day(path) - self._day).days) > NEIGHBOUR_DAYS:
                    raise FileChanged(path)
                self._hot.append(path)
        if any(path not in sizes for path in self._lines.offsets):
            raise FileChanged(next(path for path in self._lines.offsets if path not in sizes))
        self._list_at = moment + LIST_EVERY

    def _add_new_lines(self) -> None:
        for line in self._lines.new_lines(self._hot):
            try:
                record = parse_line(line)
            except InvalidRecord:
                continue  # reports count it; it costs nothing
            if record.void:
                continue  # it lowers spending: the next fold applies it
            day, key = local_day(record.ts, self.tz), group_key(record)
            cost = self.book.cost_of(record).cost
            for number, (budget, period) in enumerate(zip(self.budgets, self._periods)):
                if period.contains(day) and budget.watches(key):
                    if cost is None:
                        self._unpriced[number] += 1
                    else:
                        self._spent[number] += cost


def _file_day(path: Path) -> dt.date:
    return dt.date.fromisoformat(path.name[:10])
