"""`vaultledger watch`: watchdog -> debounce -> incremental update of today's note (SPEC §8, issue 4).

Three layers, each testable on its own:
- `TailedLog` reads one log file incrementally: only the bytes appended since the last read, and a
  line only once its `\\n` arrived. A shrunk or replaced file is read again from its start.
- `LiveLedger` is a Ledger whose files around today live in memory (fed by TailedLogs, folded
  incrementally) while older days come from disk, each file read again only when it changed.
- `Watcher` drives them: watchdog events wake a blocking wait, a short quiet window turns a burst of
  appends into one update, the weekly section is throttled, and local midnight turns the page.

The logs folder is created when it is missing at start (as the logger would on its first line), so
there is always a folder to watch; if it is deleted while watching, it is created and watched again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO, cast

from watchdog.events import EVENT_TYPE_CLOSED_NO_WRITE, EVENT_TYPE_OPENED, FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from vaultledger.aggregate import DayFolder, Usage
from vaultledger.errors import ConfigError, InvalidRecord, VaultledgerError
from vaultledger.ledger import Ledger
from vaultledger.periods import Period, day_of, week_of, zone_named
from vaultledger.pricing import format_usd
from vaultledger.reader import LOG_NAME, NEIGHBOUR_DAYS, LineProblem, LogFile, ReadStats, list_log_files, read_file
from vaultledger.record import UsageRecord, parse_line
from vaultledger.rollup import NOTE_KIND_FOR_PERIOD, Rollup, RollupResult, open_vault
from vaultledger.settings import Settings

QUIET_WINDOW = 0.1  # seconds without events before an update: one write per burst
# ...but a steady stream still updates this often. 0.5 s put the median latency of a 50 lines/s stream
# at ~265 ms, over the 250 ms target; 0.3 s keeps it under ~155 ms at every rate (scripts/bench_watch.py).
MAX_DELAY = 0.3
WEEKLY_EVERY = 60.0  # the weekly section is rewritten at most this often
# The wait for midnight is cut into pieces this long: a suspended laptop's monotonic clock stops, so a
# single long wait could oversleep midnight by the time it was suspended.
LONGEST_SLEEP = 300.0
HEAD_BYTES = 128  # a file whose first bytes changed was replaced in place, not appended to
PROBLEMS_SHOWN_PER_FILE = 5
ERROR_REPEAT_EVERY = 60.0  # a note that cannot be written fails on every update; say so once a minute
# Files in `.obsidian/` whose change can move a note (SPEC §5); workspace.json and friends are noise.
VAULT_SETTINGS_FILES = (
    "daily-notes.json", "core-plugins.json", "community-plugins.json", "plugins/periodic-notes/data.json",
)
IGNORED_EVENTS = frozenset({EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE})  # our own reads cause these
ONE_DAY = dt.timedelta(days=1)

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


# ---------------------------------------------------------------- time


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def seconds_until_midnight(now: dt.datetime, zone: dt.tzinfo) -> float:
    """Seconds from `now` to the next local midnight in `zone`, counted in real (UTC) seconds."""
    local = now.astimezone(zone)
    midnight = dt.datetime.combine(local.date() + ONE_DAY, dt.time(), tzinfo=zone)
    # Subtract in UTC: aware datetimes sharing a tzinfo subtract as wall clocks, wrong across DST.
    return max((midnight.astimezone(dt.timezone.utc) - now.astimezone(dt.timezone.utc)).total_seconds(), 0.0)


# ---------------------------------------------------------------- the watcher


def _wake_pair() -> tuple[socket.socket, socket.socket]:
    # A socket pair rather than a threading.Event: a signal handler may write to it without taking a
    # lock, and select() on it works on every platform.
    receiving, sending = socket.socketpair()
    receiving.setblocking(False)
    sending.setblocking(False)
    return receiving, sending


class _EventSink(FileSystemEventHandler):
    """Runs on watchdog's thread: only tells the watcher which paths moved, never reads anything."""

    def __init__(self, on_path: Callable[[Path], None]) -> None:
        self._on_path = on_path

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in IGNORED_EVENTS:
            return
        for raw in (event.src_path, event.dest_path):
            if raw:
                self._on_path(Path(os.fsdecode(raw)))


class Watcher:
    """Keeps today's daily section (and, throttled, this week's) current while apps append log lines.

    `run()` blocks until `stop()`; between events it sleeps in one `select()` that only times out for
    midnight. Counters (`updates`, `note_writes`, `wakeups`) are there for tests and the benchmark.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        quiet: bool = False,
        force: bool = False,
        now: Callable[[], dt.datetime] | None = None,
        quiet_window: float = QUIET_WINDOW,
        max_delay: float = MAX_DELAY,
        weekly_every: float = WEEKLY_EVERY,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.settings = settings
        self.vault = open_vault(settings, force=force)
        self.logs_dir = settings.logs.value
        self.zone = zone_named(settings.timezone.value)
        self.quiet, self.quiet_window, self.max_delay, self.weekly_every = quiet, quiet_window, max_delay, weekly_every
        self._clock = now or utc_now
        self._out, self._err = out, err
        self.ledger = cast(LiveLedger, LiveLedger.from_settings(settings))
        self.rollup = self._new_rollup()
        self._settings_seen = self._vault_settings_signature()
        self.day = self._today()
        self.ledger.watch_around(self.day)
        self.ready = threading.Event()  # set once the observer runs and the first update is done
        self.updates = self.note_writes = self.wakeups = 0
        self._lock = threading.Lock()  # guards the event times, shared with watchdog's thread
        self._first_event: float | None = None
        self._last_event = 0.0
        self._weekly_days: set[dt.date] = set()
        self._weekly_at = -math.inf
        self._stopping = False
        self._said: set[str] = set()  # warnings already shown
        self._problems_shown: dict[Path, int] = {}
        self._errors_logged_at: dict[str, float] = {}
        self._wake_recv, self._wake_send = _wake_pair()
        self._observer: BaseObserver = Observer()
        self._sink = _EventSink(self._saw)
        self._logs_watch: ObservedWatch | None = None
        self._logs_identity: tuple[int, int] | None = None

    # -- running and stopping

    def run(self) -> None:
        """Watch until `stop()`; errors of one update are logged and the next update tries again."""
        try:
            self._start_observer()
            self._say(f"watching {self.logs_dir} for {self.vault} (Ctrl-C to stop)")
            self._update(force=True)
            self.ready.set()
            while not self._stopping:
                self._wait(self._seconds_to_next_deadline())
                if not self._stopping:
                    self._tick()
            self._flush()
        finally:
            self._close()

    def stop(self) -> None:
        """Ask `run()` to return; safe from signal handlers and other threads (no locks taken)."""
        self._stopping = True
        self._poke()

    def _poke(self) -> None:
        with contextlib.suppress(OSError):  # a full socket buffer already means "wake up"
            self._wake_send.send(b"\0")

    def _wait(self, timeout: float) -> None:
        readable, _, _ = select.select([self._wake_recv], [], [], timeout)
        self.wakeups += 1
        if readable:
            with contextlib.suppress(OSError):
                while self._wake_recv.recv(4096):
                    pass

    def _close(self) -> None:
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join(timeout=2)
        self._wake_recv.close()
        self._wake_send.close()

    def _flush(self) -> None:
        """Stopping: what is still waiting for its quiet window or its weekly slot is written now."""
        if self._first_event is not None:
            self._update()
        if self._weekly_days:
            self._weekly_at = -math.inf
            self._guarded(lambda: self._roll(self._due_weeks()))

    # -- watchdog

    def _start_observer(self) -> None:
        try:
            self._arm_logs_watch()
        except OSError as error:  # e.g. no permission, or the system's inotify watch limit reached
            raise ConfigError(f"{self.logs_dir}: cannot create or watch the logs folder ({error})") from None
        obsidian = self.vault / ".obsidian"
        try:
            if obsidian.is_dir():
                self._observer.schedule(self._sink, str(obsidian), recursive=True)
        except OSError as error:  # every update re-checks the settings files anyway, so this only costs speed
            self._log(f"warning: cannot watch {obsidian} ({error}); vault setting changes show with the next log line")
        self._observer.start()

    def _arm_logs_watch(self) -> None:
        """Create the logs folder if needed and (re)start watching it."""
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        if self._logs_watch is not None:
            with contextlib.suppress(KeyError, OSError):
                self._observer.unschedule(self._logs_watch)
        self._logs_watch = self._observer.schedule(self._sink, str(self.logs_dir), recursive=False)
        status = os.stat(self.logs_dir)
        self._logs_identity = (status.st_dev, status.st_ino)

    def _check_logs_folder(self) -> None:
        # A deleted (or deleted and re-made) folder silences its inotify watch: watch the new one.
        status = _stat_or_none(self.logs_dir)
        if status is None or (status.st_dev, status.st_ino) != self._logs_identity:
            self._arm_logs_watch()
            self._mark_event()

    def _saw(self, path: Path) -> None:
        """Called on watchdog's thread for every path an event names."""
        if path == self.logs_dir or (path.parent == self.logs_dir and LOG_NAME.match(path.name)):
            self._mark_event()
        elif self._is_vault_settings_file(path):
            self._mark_event()

    def _is_vault_settings_file(self, path: Path) -> bool:
        try:
            relative = path.relative_to(self.vault / ".obsidian").as_posix()
        except ValueError:
            return False
        return relative in VAULT_SETTINGS_FILES

    def _mark_event(self) -> None:
        with self._lock:
            first = self._first_event is None
            self._last_event = time.monotonic()
            if first:
                self._first_event = self._last_event
        if first:  # later events of the burst only move the quiet window; no need to wake again
            self._poke()

    # -- deciding when

    def _seconds_to_next_deadline(self) -> float:
        to_midnight = max(seconds_until_midnight(self._clock(), self.zone), 0.05)
        deadlines = [time.monotonic() + min(to_midnight, LONGEST_SLEEP)]
        update_at = self._update_deadline()
        if update_at is not None:
            deadlines.append(update_at)
        if self._weekly_days:
            deadlines.append(self._weekly_at + self.weekly_every)
        return max(min(deadlines) - time.monotonic(), 0.0)

    def _update_deadline(self) -> float | None:
        with self._lock:
            if self._first_event is None:
                return None
            return min(self._last_event + self.quiet_window, self._first_event + self.max_delay)

    def _tick(self) -> None:
        self._guarded(self._check_logs_folder)
        self._guarded(self._turn_page_at_midnight)
        update_at = self._update_deadline()
        if update_at is not None and time.monotonic() >= update_at:
            self._update()
        elif self._weekly_days and time.monotonic() >= self._weekly_at + self.weekly_every:
            self._guarded(lambda: self._roll(self._due_weeks()))

    # -- updating

    def _update(self, *, force: bool = False) -> None:
        """Read the new lines, reload the vault's settings if they changed, and roll what they touched."""
        with self._lock:
            self._first_event = None

        def work() -> None:
            refresh = self.ledger.refresh()
            moved = self._reload_note_settings()
            self._warn_invalid_lines()
            if refresh.changed or moved or force:
                shown = self._days_to_show(refresh.touched)
                self._weekly_days.update(shown)
                self._roll([day_of(day) for day in shown] + self._due_weeks())

        self._guarded(work)

    def _days_to_show(self, touched: set[dt.date]) -> list[dt.date]:
        # Today always; yesterday too when late lines for it arrived after midnight.
        return sorted({self.day} | {day for day in touched if self.day - ONE_DAY <= day <= self.day})

    def _due_weeks(self) -> list[Period]:
        if not self._weekly_days or time.monotonic() < self._weekly_at + self.weekly_every:
            return []
        # Taken before anything can fail, so a failing week cannot become a deadline that is always due.
        days, self._weekly_days = sorted(self._weekly_days), set()
        self._weekly_at = time.monotonic()
        rule = self.rollup.week_rule
        return list(dict.fromkeys(week_of(day, rule) for day in days))

    def _turn_page_at_midnight(self) -> None:
        """A new local day: it becomes today, and yesterday (and its week) get their final numbers."""
        day = self._today()
        if day == self.day:
            return
        yesterday, self.day = self.day, day
        self.ledger.watch_around(day)
        self.ledger.refresh()
        rule = self.rollup.week_rule
        self._weekly_days = {other for other in self._weekly_days if week_of(other, rule) != week_of(yesterday, rule)}
        self._roll(list(dict.fromkeys([day_of(yesterday), week_of(yesterday, rule), day_of(day)])))

    def _roll(self, periods: list[Period]) -> None:
        enabled = [p for p in periods if self.rollup.note_settings[NOTE_KIND_FOR_PERIOD[p.kind]].enabled]
        if not enabled:
            return
        self.rollup.now = self._clock().astimezone(self.zone)  # for {{time}} in a note made from a template
        result = self.rollup.run(enabled)
        self.updates += 1
        self.note_writes += len(result.changed)
        self._warn_invalid_lines()
        self._report(result)
        self._alert_budgets()

    def _alert_budgets(self) -> None:
        """A budget crossing a threshold is told once, on the desktop too while watching."""
        if not self.rollup.budgets:
            return
        from vaultledger.aggregate import merge_days
        from vaultledger.alerts import send_budget_alerts
        from vaultledger.budgets import statuses_on

        usage_of = lambda first, last: merge_days(self.ledger.days(first, last).values())  # noqa: E731
        statuses = statuses_on(self.day, self.rollup.budgets, usage_of, self.rollup.week_rule)
        for message in send_budget_alerts(statuses, self.settings, desktop=True):
            self._log(message)

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as error:  # noqa: BLE001 - one failed update must not end the watch
            self._log_error(error)

    # -- vault settings

    def _new_rollup(self) -> Rollup:
        return Rollup(self.settings, self.vault, self.ledger, create=True)

    def _vault_settings_signature(self) -> tuple[Signature | None, ...]:
        obsidian = self.vault / ".obsidian"
        return tuple(
            None if (status := _stat_or_none(obsidian / name)) is None else _signature(status)
            for name in VAULT_SETTINGS_FILES
        )

    def _reload_note_settings(self) -> bool:
        """Re-read the vault's note settings when one of their files changed; True if a note moved."""
        signature = self._vault_settings_signature()
        if signature == self._settings_seen:
            return False
        self._settings_seen = signature
        try:
            fresh = self._new_rollup()
        except VaultledgerError as error:  # half-written JSON, say: keep the old settings until it is fixed
            self._log_error(error)
            return False
        moved = fresh.note_settings != self.rollup.note_settings
        self.rollup = fresh
        return moved

    # -- output

    def _report(self, result: RollupResult) -> None:
        for error in result.errors:
            self._log_error(error)
        for warning in result.warnings:
            self._warn_once(warning)
        if not self.quiet:
            total = self.ledger.usage(day_of(self.day)).totals()
            calls = f"{total.calls:,} call{'s' if total.calls != 1 else ''}"
            unpriced = f"  ({total.unpriced_calls:,} unpriced)" if total.unpriced_calls else ""
            clock = self._clock().astimezone(self.zone).strftime("%H:%M:%S")
            status = f"{clock}  today {calls}  {format_usd(total.cost)}{unpriced}"
            print(status, file=self._out or sys.stdout, flush=True)

    def _warn_invalid_lines(self) -> None:
        # An app writing nothing but bad lines must not flood the terminal: a few per file, then one note.
        problems, read_errors = self.ledger.take_problems()
        for message in read_errors:
            self._warn_once(message)
        for problem in problems:
            shown = self._problems_shown.get(problem.path, 0)
            if shown < PROBLEMS_SHOWN_PER_FILE:
                if self._warn_once(f"{problem} (line skipped)"):
                    self._problems_shown[problem.path] = shown + 1
            elif shown == PROBLEMS_SHOWN_PER_FILE:
                self._warn_once(f"{problem.path}: more invalid lines; the note counts them, "
                                "`vaultledger doctor` lists them")
                self._problems_shown[problem.path] = shown + 1

    def _warn_once(self, message: str) -> bool:
        # After a truncated file is read again, its old problems would come back: say each only once.
        if message in self._said:
            return False
        self._said.add(message)
        self._log(f"warning: {message}")
        return True

    def _log_error(self, error: BaseException | str) -> None:
        text = str(error) if isinstance(error, (str, VaultledgerError)) else f"{type(error).__name__}: {error}"
        if time.monotonic() - self._errors_logged_at.get(text, -math.inf) >= ERROR_REPEAT_EVERY:
            self._errors_logged_at[text] = time.monotonic()
            self._log(f"error: {text}")

    def _log(self, message: str) -> None:
        stamp = self._clock().astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{stamp} vaultledger: {message}", file=self._err or sys.stderr, flush=True)

    def _say(self, message: str) -> None:
        if not self.quiet:
            print(f"vaultledger: {message}", file=self._err or sys.stderr, flush=True)

    def _today(self) -> dt.date:
        return self._clock().astimezone(self.zone).date()


# ---------------------------------------------------------------- the command's entry point


def watch_forever(
    settings: Settings,
    *,
    quiet: bool = False,
    force: bool = False,
    stop: threading.Event | None = None,
    now: Callable[[], dt.datetime] | None = None,
) -> None:
    """Keep today's note (and this week's) live until Ctrl-C, SIGTERM or `stop` is set; then return.

    Raises VaultledgerError only for problems at start (no vault, logs folder impossible to create).
    """
    try:
        watcher = Watcher(settings, quiet=quiet, force=force, now=now)
        if stop is not None:
            def stop_when_asked() -> None:
                stop.wait()
                watcher.stop()

            threading.Thread(target=stop_when_asked, name="vaultledger-stop", daemon=True).start()
        with _stopping_on_signals(watcher):
            watcher.run()
    except KeyboardInterrupt:
        pass  # Ctrl-C before our handler was installed, or a second one while stopping: no traceback


@contextlib.contextmanager
def _stopping_on_signals(watcher: Watcher) -> Iterator[None]:
    """Ctrl-C and SIGTERM ask the watcher to stop; a second one interrupts whatever it is doing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping = False

    def handler(signum: int, frame: object) -> None:
        nonlocal stopping
        if stopping:
            raise KeyboardInterrupt
        stopping = True
        watcher.stop()

    wanted = [signal.SIGINT, signal.SIGTERM]
    previous = {signum: signal.signal(signum, handler) for signum in wanted}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
