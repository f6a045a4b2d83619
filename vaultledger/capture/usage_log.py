"""The daily log files of one logs folder, appended to a whole line at a time, never blocking the app."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import threading
import zoneinfo
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from vaultledger.capture import dropped
from vaultledger.capture.fit import cut_to_fit
from vaultledger.capture.redact import redact_record
from vaultledger.errors import ConfigError
from vaultledger.record import MAX_LINE_BYTES, UsageRecord, to_line

if TYPE_CHECKING:
    from vaultledger.settings import Settings

# Read access too: before appending after another writer, we peek at the file's last byte.
# O_NONBLOCK: a FIFO at a day's path must not block open() or write(); regular files ignore it.
_OPEN_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
MAX_OPEN_FILES = 4  # today and yesterday with room to spare: a 400-day backfill keeps four descriptors
LOCK_WAIT = 1.0  # seconds a thread waits for another that holds the log before queueing its record
MAX_WAITING = 1000  # records queued while the log is busy; more are dropped (and counted)


def daily_log_path(logs_dir: Path, day: dt.date, host: str | None = None) -> Path:
    """`LOGS/YYYY-MM-DD.jsonl`, or `LOGS/YYYY-MM-DD.HOST.jsonl` for a machine that writes its own files
    in a folder it shares with others (SPEC §2)."""
    return logs_dir / (f"{day.isoformat()}.{host}.jsonl" if host else f"{day.isoformat()}.jsonl")


class Appended(NamedTuple):
    """What `UsageLog.write` did with a record."""

    path: Path | None  # the file written, or None: queued, to be written by the call holding the log
    record: UsageRecord  # as written: free text cut when its line was over the limit
    cut: tuple[str, ...]  # the fields cut (see capture/fit.py), usually none


def _checked_host(host: str | None) -> str | None:
    """`host` when it may be part of a file name (SPEC §2), else a ConfigError."""
    if host is None:
        return None
    from vaultledger.settings import HOST_NAME  # settings load platformdirs: only for host files

    if not re.fullmatch(HOST_NAME, host):
        raise ConfigError(f"host {host!r} is not a host name: use letters, digits, '_' and '-' only")
    return host


class UsageLog:
    """Appends records to the daily files of one logs folder, bucketed by `ts` in one time zone; with a
    `host`, to this machine's own files of each day (`YYYY-MM-DD.HOST.jsonl`).

    Safe for threads, and for a signal handler that logs while a write is under way: what cannot
    be written at once is queued and written by the call in progress, never waited for.
    """

    def __init__(self, logs_dir: Path, tz: str, host: str | None = None) -> None:
        self.logs_dir = Path(logs_dir)
        self.zone = zoneinfo.ZoneInfo(tz)
        self.host = _checked_host(host)
        self._files = OpenFiles()
        self._paths: dict[dt.date, Path] = {}
        self._lock = threading.RLock()
        self._busy = False  # a write is under way on the thread holding the lock
        self._close_after = False
        self._waiting: deque[tuple[Path, bytes, dt.date]] = deque()

    @classmethod
    def from_settings(cls, settings: Settings) -> UsageLog:
        """The log every writer uses: the settings' folder, zone and host files (config `host_files`)."""
        return cls(settings.logs.value, settings.timezone.value, settings.host.value)

    def append(self, record: UsageRecord) -> Path:
        """Write `record` as one line now; raises OSError or InvalidRecord (callers decide what to do)."""
        path = self.write(record).path
        assert path is not None  # only a write that may be deferred is
        return path

    def write(self, record: UsageRecord, *, may_defer: bool = False) -> Appended:
        """Write `record` as one line, its free text redacted and, when over the limit, cut to fit.

        With `may_defer`, a log busy in this thread (a signal handler interrupted a write) or held by
        another thread for over LOCK_WAIT queues the line for the call holding it. Raises OSError,
        or InvalidRecord (RecordTooLarge) when even the record's required fields break the limit.
        """
        line, record, cut, path, day = self._prepare(record)
        written = self._put(path, line, day, may_defer)
        return Appended(path if written else None, record, cut)

    def offer(self, record: UsageRecord) -> UsageRecord | None:
        """`log_usage()`'s write: the record as written, or None when it was queued (see `write`)."""
        line, record, cut, path, day = self._prepare(record)
        written = self._put(path, line, day, True)
        if cut:
            from vaultledger.capture.logger import warn_limited  # the logger builds on this module

            warn_limited(f"vaultledger: a record over the {MAX_LINE_BYTES}-byte line limit was kept with "
                         f"{', '.join(cut)} cut to fit (attrs.truncated)")
        return record if written else None

    def _prepare(self, record: UsageRecord) -> tuple[bytes, UsageRecord, tuple[str, ...], Path, dt.date]:
        record = redact_record(record)
        line, cut = to_line(record), ()
        if len(line) > MAX_LINE_BYTES:
            line, record, cut = cut_to_fit(record)
        day = (record.ts if record.ts.tzinfo is self.zone else record.ts.astimezone(self.zone)).date()
        path = self._paths.get(day)
        if path is None:
            if len(self._paths) >= 64:
                self._paths.clear()
            path = self._paths[day] = daily_log_path(self.logs_dir, day, self.host)
        return line, record, cut, path, day

    def close(self) -> None:
        """Write what is queued and close the files (they reopen on the next write)."""
        if not self._lock.acquire(True, LOCK_WAIT):
            return
        try:
            if self._busy:  # a signal handler closing us mid-write: the write closes when done
                self._close_after = True
                return
            self._drain()
            self._files.close()
        finally:
            self._lock.release()

    def reset_after_fork(self) -> None:
        """In a forked child, a lock held by a thread of the parent would never be released, and
        the lines queued in the parent are the parent's to write."""
        self._lock = threading.RLock()
        self._busy = False
        self._waiting.clear()

    def _put(self, path: Path, line: bytes, day: dt.date, may_defer: bool) -> bool:
        lock = self._lock
        if not lock.acquire(False) and not lock.acquire(True, 0 if self._waiting else LOCK_WAIT):
            return self._defer(path, line, day, may_defer)
        try:
            if self._busy:
                return self._defer(path, line, day, may_defer)
            self._busy = True
            try:
                if self._waiting:
                    self._write_waiting()  # first, so that lines keep their order
                self._files.write_line(path, line)
            finally:
                if self._waiting:
                    self._write_waiting()  # lines a signal handler queued meanwhile
                self._busy = False
                if self._close_after:
                    self._close_after = False
                    self._files.close()
        finally:
            lock.release()
        if self._waiting:
            self._drain()  # a thread queued its line after our last look but before we let go
        if dropped._unsaved:
            dropped.save_soon()  # space is back: save the count of what was lost while it was not
        return True

    def _defer(self, path: Path, line: bytes, day: dt.date, may_defer: bool) -> bool:
        if not may_defer:
            raise OSError(f"{path}: the log is busy (held by another thread)")
        if len(self._waiting) >= MAX_WAITING:
            self._drop(day, "busy", "the log was busy and too many records were waiting")
            return False
        self._waiting.append((path, line, day))
        self._drain()  # the holder may have let go between our attempt and the append
        return False

    def _drain(self) -> None:
        """Write the queued lines, unless another thread holds the log or this thread is mid-write."""
        if not self._lock.acquire(False):
            return
        try:
            if self._busy or not self._waiting:
                return
            self._busy = True
            try:
                self._write_waiting()
            finally:
                self._busy = False
        finally:
            self._lock.release()

    def _write_waiting(self) -> None:
        while self._waiting:
            path, line, day = self._waiting.popleft()
            try:
                self._files.write_line(path, line)
            except Exception as error:
                self._drop(day, "unwritable", error)

    def _drop(self, day: dt.date, reason: str, error: object) -> None:
        from vaultledger.capture.logger import warn_limited  # the logger builds on this module

        warn_limited(f"vaultledger: usage not logged: {error}")
        dropped.note_dropped(self.logs_dir, day, reason, str(error))


class _OpenFile:
    __slots__ = ("descriptor", "end")

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.end: int | None = None  # the file's size after our last whole line; None: unknown


class OpenFiles:
    """A few daily files kept open, least recently used closed first.

    One `write()` of a whole line on an O_APPEND descriptor is what makes concurrent appends from
    many processes land as whole lines. A line never follows half a line: whenever a file is not as
    our last whole line left it (another writer, a crash, a full disk), its last byte is read first.
    """

    def __init__(self) -> None:
        self._files: dict[Path, _OpenFile] = {}  # least recently used first
        self._recent: Path | None = None  # the path written last, and its file
        self._recent_file: _OpenFile | None = None

    def write_line(self, path: Path, line: bytes) -> None:
        """Append `line` whole, or raise OSError; a failed or short write closes the file."""
        # The file written last is checked by identity: hashing a Path runs Python code, a tenth of the write.
        opened = self._recent_file if path is self._recent else self._file(path)
        status = os.fstat(opened.descriptor)
        if not status.st_nlink:
            # Deleted or replaced under us (archiving, a user): writing there would lose the line.
            self._forget(path)
            opened = self._file(path)
            status = os.fstat(opened.descriptor)
        size = status.st_size
        if size != opened.end and ends_mid_line(opened.descriptor, size):
            line = b"\n" + line
        opened.end = None
        try:
            written = os.write(opened.descriptor, line)
        except OSError:
            self._forget(path)
            raise
        if written != len(line):
            self._forget(path)
            raise OSError(f"short write to {path} ({written} of {len(line)} bytes; is the disk full?)")
        opened.end = size + written

    def close(self) -> None:
        for path in list(self._files):
            self._forget(path)

    def __len__(self) -> int:
        return len(self._files)

    def _file(self, path: Path) -> _OpenFile:
        opened = self._files.get(path)
        if opened is not None:
            if path is not self._recent:
                self._files[path] = self._files.pop(path)
                self._recent, self._recent_file = path, opened
            return opened
        if len(self._files) >= MAX_OPEN_FILES:
            self._forget(next(iter(self._files)))
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, _OPEN_FLAGS, 0o644)
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            raise OSError(f"{path} is not a regular file")
        opened = self._files[path] = _OpenFile(descriptor)
        self._recent, self._recent_file = path, opened
        return opened

    def _forget(self, path: Path) -> None:
        opened = self._files.pop(path, None)
        self._recent = self._recent_file = None
        if opened is not None:
            try:
                os.close(opened.descriptor)
            except OSError:
                pass


def ends_mid_line(descriptor: int, size: int) -> bool:
    """Whether a file of `size` bytes open on `descriptor` (for reading) lacks a final newline."""
    if size <= 0:
        return False
    if hasattr(os, "pread"):
        return os.pread(descriptor, 1, size - 1) != b"\n"
    os.lseek(descriptor, size - 1, os.SEEK_SET)  # Windows: O_APPEND writes still go to the end
    return os.read(descriptor, 1) != b"\n"
