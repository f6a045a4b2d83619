"""`log_usage()`: one JSON line per LLM call, appended through the process's UsageLog.

The logger never raises into the app, never blocks it, and never reports a record as written unless
one `write()` of its whole line returned its full length; every record it cannot write is counted
(`capture/dropped.py`) where `doctor` and reports can show it.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import re
import sys
import threading
import time
import warnings
from collections import deque
from typing import Any

from vaultledger.capture import dropped
from vaultledger.capture.context import active_defaults, with_context_defaults
from vaultledger.capture.fit import RecordTooLarge
from vaultledger.capture.usage_log import Appended, UsageLog, daily_log_path, ends_mid_line
from vaultledger.errors import VaultledgerError
from vaultledger.record import UsageRecord, record_from

__all__ = ["Appended", "UsageLog", "daily_log_path", "ends_mid_line", "log_record", "log_usage", "not_logged",
           "warn_limited", "warn_once"]

log = logging.getLogger("vaultledger")

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


class _WaitingLog:
    """Stands in for the process log while this thread resolves its settings and a signal handler
    logs meanwhile: records wait here, and the call that was resolving writes them."""

    zone = dt.timezone.utc

    def __init__(self) -> None:
        self.records: deque[UsageRecord] = deque()

    def offer(self, record: UsageRecord) -> None:
        self.records.append(record)
        return None


class _ProcessLog:
    """The process-wide UsageLog for log_usage(), re-resolved when its settings' inputs change.

    Settings are resolved outside any lock, which is held only to swap logs: a log_usage() from a
    signal handler that interrupted the first one must not wait for it (nor import a half-imported
    module), so it is handed the waiting log instead.
    """

    def __init__(self) -> None:
        self._current: tuple[tuple[object, ...], UsageLog] | None = None
        self._lock = threading.RLock()
        self._resolving: set[int] = set()  # threads resolving settings right now
        self._waiting = _WaitingLog()

    def get(self) -> UsageLog:
        current = self._current
        if current is not None and _RAW_ENVIRON is not None:
            # Unchanged variables are the very objects the log was resolved with: three lookups, no tuple.
            known = current[0]
            if (_RAW_ENVIRON.get(_RAW_KEYS[0]) is known[0] and _RAW_ENVIRON.get(_RAW_KEYS[1]) is known[1]
                    and _RAW_ENVIRON.get(_RAW_KEYS[2]) is known[2]):
                return current[1]
        # Relative paths resolve against the working directory at first use, like open() would.
        key = _settings_inputs()
        if current is not None and current[0] == key:
            return current[1]
        me = threading.get_ident()
        if me in self._resolving:
            return self._waiting  # type: ignore[return-value]  # it offers like a UsageLog
        self._resolving.add(me)
        try:
            fresh = self._resolve(key)
        finally:
            self._resolving.discard(me)
        while self._waiting.records:
            record = self._waiting.records.popleft()
            log_record(record, fresh)
        return fresh

    def _resolve(self, key: tuple[object, ...]) -> UsageLog:
        from vaultledger.settings import resolve_settings

        settings = resolve_settings()
        fresh = UsageLog.from_settings(settings)
        with self._lock:
            current = self._current
            if current is not None and current[0] == key:
                return current[1]
            self._current = (key, fresh)
        if current is not None:
            current[1].close()
        return fresh

    def close(self) -> None:
        current = self._current
        if current is not None:
            current[1].close()

    def reset_after_fork(self) -> None:
        self._lock = threading.RLock()
        self._resolving = set()
        self._waiting.records.clear()
        if self._current is not None:
            self._current[1].reset_after_fork()


_process_log = _ProcessLog()
atexit.register(_process_log.close)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_process_log.reset_after_fork)

WARN_EVERY = 60.0  # seconds between two warnings about the same problem; repeats are counted meanwhile
_warned: set[str] = set()  # problems warned about in this process (a test may empty it to see them again)
_last_warning: dict[str, tuple[float, int]] = {}  # problem -> (when warned, repeats held back since)
_NUMBERS = re.compile(r"\d[\d,]*")


def warn_limited(message: str, clock: Any = time.monotonic) -> None:
    """Warn about a problem at most once per WARN_EVERY seconds, saying how often it recurred
    meanwhile; repeats go to the debug log. Never raises, even where warnings are errors."""
    try:
        problem = _NUMBERS.sub("#", message)  # "record is 5,123 bytes" and "... 6,001 bytes" are one problem
        now = clock()
        last, held = _last_warning.get(problem, (now, 0))
        if problem in _warned and now - last < WARN_EVERY:
            _last_warning[problem] = (last, held + 1)
            log.debug(message)
            return
        if len(_last_warning) > 1000:
            _last_warning.clear()
        _warned.add(problem)
        _last_warning[problem] = (now, 0)
        _emit(f"{message} ({held:,} more like it since the last warning)" if held else message)
    except Exception:
        pass


warn_once = warn_limited  # the name capture/response.py knew it by


def _emit(message: str) -> None:
    try:
        warnings.warn(message, RuntimeWarning, stacklevel=_app_frame_level())
    except Exception:  # warnings are errors here (-W error, pytest's filterwarnings): say it through logging
        try:
            log.warning(message)
        except Exception:
            pass


def _app_frame_level() -> int:
    """The stacklevel that points a warning at the app's call, past vaultledger's own frames."""
    level, frame = 2, sys._getframe(2)  # the frame that called _emit is stacklevel 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith("vaultledger"):
        level, frame = level + 1, frame.f_back
    return level


def not_logged(error: BaseException, usage_log: UsageLog | None = None, record: UsageRecord | None = None,
               counted: bool = True) -> None:
    """Warn (rate-limited) that a call was not logged and, when `counted`, count it as dropped in the
    logs folder (capture/dropped.py). Returns None; never raises."""
    if isinstance(error, (VaultledgerError, OSError)):
        warn_limited(f"vaultledger: usage not logged: {error}")
    else:
        warn_limited(f"vaultledger: usage not logged (unexpected {type(error).__name__}: {error})")
    if not counted:
        return None
    try:
        usage_log = usage_log or _process_log.get()
        when = record.ts if record is not None else dt.datetime.now(usage_log.zone)
        dropped.note_dropped(usage_log.logs_dir, when.astimezone(usage_log.zone).date(), _reason(error), str(error))
    except Exception:
        pass  # not even the settings resolve: the warning is the only trace we can leave
    return None


def _reason(error: BaseException) -> str:
    if isinstance(error, RecordTooLarge):
        return "too_large"
    if isinstance(error, VaultledgerError):
        return "invalid"
    return "unwritable" if isinstance(error, OSError) else "error"


def log_record(record: UsageRecord, usage_log: UsageLog | None = None) -> UsageRecord | None:
    """Append a built record; the record as written, or None (with a rate-limited warning) when it
    was not written: dropped and counted, or queued for the interrupted call to write."""
    try:
        return (usage_log or _process_log.get()).offer(record)
    except Exception as error:  # logging must never break the app that called it
        return not_logged(error, usage_log, record)


def log_usage(**fields: Any) -> UsageRecord | None:
    """Log one LLM call: `log_usage(provider="openai", model="gpt-4o-mini", input_tokens=1200, output_tokens=300)`.

    Any SPEC §1 field may be given; `ts` defaults to now. Returns the record as written (free text cut
    when its line was over 4 KiB), or None: when the call was invalid or its line could not be written
    (warned about at most once a minute per problem, and counted in `capture/dropped.py`), or when it
    was queued because this call interrupted another one (a signal handler) or another thread held the
    log too long; the call holding the log writes a queued line before it returns. Never raises.
    """
    usage_log = None
    try:
        usage_log = _process_log.get()
        if active_defaults():  # outside a context block (most calls) the keywords are the fields
            fields = with_context_defaults(fields)
        if "ts" not in fields:
            fields["ts"] = dt.datetime.now(usage_log.zone)
        record = record_from(fields)
    except Exception as error:
        return not_logged(error, usage_log)
    try:
        return usage_log.offer(record)  # log_record's work, one call less on the hot path
    except Exception as error:
        return not_logged(error, usage_log, record)
