"""Append one JSON line per LLM call, cheaply, safely across processes, never raising into the app."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import warnings
import zoneinfo
from pathlib import Path
from typing import Any

from vaultledger.capture.context import with_context_defaults
from vaultledger.errors import InvalidRecord, VaultledgerError
from vaultledger.record import MAX_LINE_BYTES, UsageRecord, make_record, to_line
from vaultledger.capture.redact import redact_record

log = logging.getLogger("vaultledger")

# Read access too: a fresh descriptor peeks at the last byte to finish a crashed writer's line.
_OPEN_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


def daily_log_path(logs_dir: Path, day: dt.date) -> Path:
    """`LOGS/YYYY-MM-DD.jsonl` (SPEC §2)."""
    return logs_dir / f"{day.isoformat()}.jsonl"


class UsageLog:
    """Appends records to the daily files of one logs folder, bucketed by `ts` in one time zone.

    Each daily file stays open between calls: one `write()` of a whole line on an O_APPEND
    descriptor is what makes concurrent appends from many processes land as whole lines.
    """

    def __init__(self, logs_dir: Path, tz: str) -> None:
        self.logs_dir = Path(logs_dir)
        self.zone = zoneinfo.ZoneInfo(tz)
        self._descriptors: dict[Path, int] = {}
        self._paths: dict[dt.date, Path] = {}
        self._lock = threading.Lock()

    def append(self, record: UsageRecord) -> Path:
        """Write `record` as one line; raises OSError or InvalidRecord (callers decide what to do).

        Free-text fields are redacted here, so every writer (API, CLI, importers) is covered.
        """
        line = to_line(redact_record(record))
        if len(line) > MAX_LINE_BYTES:
            raise InvalidRecord(f"record is {len(line)} bytes, over the {MAX_LINE_BYTES}-byte line limit")
        day = record.ts.astimezone(self.zone).date()
        path = self._paths.get(day)
        if path is None:
            path = self._paths[day] = daily_log_path(self.logs_dir, day)
        with self._lock:
            self._write_line(path, line)
        return path

    def close(self) -> None:
        with self._lock:
            for descriptor in self._descriptors.values():
                os.close(descriptor)
            self._descriptors.clear()

    def _write_line(self, path: Path, line: bytes) -> None:
        descriptor, fresh = self._descriptor_for(path)
        if fresh and _ends_without_newline(descriptor):
            # A crashed writer left half a line; finish it so ours is not glued onto it.
            line = b"\n" + line
        written = os.write(descriptor, line)
        if written != len(line):
            os.write(descriptor, b"\n")
            raise OSError(f"short write to {path} ({written} of {len(line)} bytes)")

    def _descriptor_for(self, path: Path) -> tuple[int, bool]:
        descriptor = self._descriptors.get(path)
        if descriptor is not None:
            # A file deleted or replaced under us (archiving, a user) has no links left: writing
            # there would lose the line. fstat is the cheap check; a mere rename loses nothing.
            if os.fstat(descriptor).st_nlink > 0:
                return descriptor, False
            os.close(descriptor)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, _OPEN_FLAGS, 0o644)
        self._descriptors[path] = descriptor
        return descriptor, True


def _ends_without_newline(descriptor: int) -> bool:
    size = os.fstat(descriptor).st_size
    return size > 0 and os.pread(descriptor, 1, size - 1) != b"\n"


_SETTINGS_VARIABLES = ("VAULTLEDGER_LOGS", "VAULTLEDGER_TZ", "VAULTLEDGER_CONFIG")
# os.environ.get encodes and decodes on every call, a third of a log_usage(); on POSIX the
# mapping's own bytes dict answers the same question directly and stays in step with it.
_RAW_ENVIRON = getattr(os.environ, "_data", None) if os.name == "posix" else None
_RAW_KEYS = tuple(name.encode() for name in _SETTINGS_VARIABLES)


def _settings_inputs() -> tuple[object, ...]:
    """The environment values that decide where and how log_usage() writes."""
    if _RAW_ENVIRON is not None:
        return (_RAW_ENVIRON.get(_RAW_KEYS[0]), _RAW_ENVIRON.get(_RAW_KEYS[1]), _RAW_ENVIRON.get(_RAW_KEYS[2]))
    return tuple(os.environ.get(name) for name in _SETTINGS_VARIABLES)


class _ProcessLog:
    """The process-wide UsageLog for log_usage(), re-resolved when its settings' inputs change."""

    def __init__(self) -> None:
        self._key: tuple[object, ...] | None = None
        self._log: UsageLog | None = None
        self._lock = threading.Lock()

    def get(self) -> UsageLog:
        # Relative paths resolve against the working directory at first use, like open() would.
        key = _settings_inputs()
        usage_log = self._log
        if usage_log is not None and key == self._key:
            return usage_log
        with self._lock:
            if self._log is None or key != self._key:
                from vaultledger.settings import resolve_settings

                settings = resolve_settings()
                if self._log is not None:
                    self._log.close()
                self._log = UsageLog(settings.logs.value, settings.timezone.value)
                self._key = key
            return self._log


_process_log = _ProcessLog()
_warned: set[str] = set()


def warn_once(message: str) -> None:
    """Warn the first time (apps that route warnings into logging see it there); repeats go to debug."""
    if message in _warned:
        log.debug(message)
        return
    _warned.add(message)
    warnings.warn(message, RuntimeWarning, stacklevel=4)


def log_record(record: UsageRecord, usage_log: UsageLog | None = None) -> UsageRecord | None:
    """Append a built record; on any failure warn once and return None instead of raising."""
    try:
        (usage_log or _process_log.get()).append(record)
        return record
    except (OSError, VaultledgerError) as error:
        warn_once(f"vaultledger: usage not logged: {error}")
    except Exception as error:  # logging must never break the app that called it
        warn_once(f"vaultledger: usage not logged (unexpected {type(error).__name__}: {error})")
    return None


def log_usage(**fields: Any) -> UsageRecord | None:
    """Log one LLM call: `log_usage(provider="openai", model="gpt-4o-mini", input_tokens=1200, output_tokens=300)`.

    Any SPEC §1 field may be given; `ts` defaults to now. Returns the record written, or None
    (after one warning) when the call was invalid or the log could not be written.
    """
    try:
        fields = with_context_defaults(fields)
        usage_log = _process_log.get()
        fields.setdefault("ts", dt.datetime.now(usage_log.zone))
        record = make_record(**fields)
    except VaultledgerError as error:
        warn_once(f"vaultledger: usage not logged: {error}")
        return None
    except Exception as error:
        warn_once(f"vaultledger: usage not logged (unexpected {type(error).__name__}: {error})")
        return None
    return log_record(record, usage_log)
