"""A trace of every usage record the logger could not write, so `doctor` and reports can say so.

Drops are appended, a line per day and reason, to `.dropped.jsonl` in the logs folder (log-file
listings ignore it: its name is not a day's). Where that folder does not exist or cannot be written,
they go to a file for that logs folder in the user's state folder; where neither can be written (a
full disk), they are kept in memory and saved by the next drop a second later, the next record
written, or the process's exit. Nothing here ever raises into the app.

    {"day":"2026-03-14","reason":"unwritable","count":3,"detail":"[Errno 28] No space left on device",
     "at":"2026-03-14T09:12:03+00:00","logs":"/home/me/logs/llm-usage"}
"""

# Annotations are plain expressions here (no `from __future__ import annotations`): msgspec would
# compile each field's annotation string into a ForwardRef on first use, milliseconds of every run.

import atexit
import datetime as dt
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

DROPPED_NAME = ".dropped.jsonl"
REASONS = ("invalid", "too_large", "unwritable", "busy", "error")
"""invalid: the call's fields were not a valid record; too_large: its required fields alone break the
line limit; unwritable: the day's file could not be written (disk full, permissions, not a regular
file, too many open files); busy: the log was held too long and its queue of waiting records was full;
error: anything unexpected."""
RETRY_SECONDS = 1.0  # after a failed save, drops only add up in memory until this has passed
MAX_DETAIL = 200
_OPEN_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


class DroppedRecords(msgspec.Struct, frozen=True):
    """How many records could not be written, in all and by reason (one of REASONS)."""

    count: int = 0
    reasons: dict[str, int] = msgspec.field(default_factory=dict)

    def __str__(self) -> str:
        why = ", ".join(f"{reason} {count:,}" for reason, count in self.reasons.items())
        calls = "call" if self.count == 1 else "calls"
        return f"{self.count:,} {calls} could not be logged ({why}): their usage is missing from these figures"

    def warnings(self) -> list[str]:
        return [str(self)] if self.count else []


class _Entry(msgspec.Struct, kw_only=True, omit_defaults=True):
    day: dt.date
    reason: str
    count: int = 1
    detail: str = ""
    at: str = ""
    logs: str = ""


# (logs folder, day, reason) -> (count, last detail). Appended and popped item by item, each atomic
# under the GIL, so threads and a signal handler that drops while a save runs never lose a count.
_unsaved: list[tuple[tuple[str, dt.date, str], int, str]] = []
_retry_at = 0.0


def note_dropped(logs_dir: Path, day: dt.date, reason: str, detail: str = "") -> None:
    """Count one record that was not written; saved at once when the disk lets us. Never raises."""
    try:
        _unsaved.append(((os.path.abspath(logs_dir), day, reason), 1, detail[:MAX_DETAIL]))
        save_soon()
    except Exception:  # the trace of a loss must not become a crash
        pass


def save_soon() -> None:
    """Save the drops counted in memory, unless a save failed less than RETRY_SECONDS ago."""
    if _unsaved and time.monotonic() >= _retry_at:
        save_unsaved()


def save_unsaved() -> None:
    """Append every drop counted in memory; what cannot be saved anywhere stays for the next try."""
    global _retry_at
    batch: dict[tuple[str, dt.date, str], list] = {}
    try:
        while _unsaved:
            key, count, detail = _unsaved.pop()
            held = batch.setdefault(key, [0, detail])
            held[0] += count
    except IndexError:  # another thread emptied it between the test and the pop
        pass
    by_folder: dict[str, list[tuple[tuple[str, dt.date, str], int, str]]] = {}
    for key, (count, detail) in batch.items():
        by_folder.setdefault(key[0], []).append((key, count, detail))
    for logs, entries in by_folder.items():
        unsaved = _save(Path(logs), entries)
        if unsaved:
            _unsaved.extend(unsaved)
            _retry_at = time.monotonic() + RETRY_SECONDS


def _save(logs_dir: Path, entries: list[tuple[tuple[str, dt.date, str], int, str]]) -> list:
    """The entries left unsaved after trying the logs folder, then the fallback file."""
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    for path, make_folder in ((logs_dir / DROPPED_NAME, False), (fallback_path(logs_dir), True)):
        lines = [msgspec.json.encode(_Entry(day=day, reason=reason, count=count, detail=detail, at=now, logs=logs))
                 + b"\n" for (logs, day, reason), count, detail in entries]
        try:
            entries = entries[_append(path, lines, make_folder):]
        except Exception:
            continue
        if not entries:
            break
    return entries


def _append(path: Path, lines: list[bytes], make_folder: bool) -> int:
    """How many of `lines` were appended whole: a full disk may cut the write after any of them,
    and those already written must not be saved (and counted) a second time."""
    if make_folder:  # never the logs folder: a bad call should not be what creates it
        path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, _OPEN_FLAGS, 0o644)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(f"{path} is not a regular file")
        from vaultledger.capture.usage_log import ends_mid_line

        start = b"\n" if ends_mid_line(descriptor, status.st_size) else b""  # a cut save left half a line
        written = os.write(descriptor, start + b"".join(lines)) - len(start)
    finally:
        os.close(descriptor)
    whole, end = 0, 0
    for line in lines:
        end += len(line)
        if written < end - 1:  # a line that lacks only its newline gets it from the next save
            break
        whole += 1
    return whole


def fallback_path(logs_dir: Path, state_dir: Path | None = None) -> Path:
    """Where drops for `logs_dir` go when that folder cannot be written: one file per logs folder."""
    import hashlib  # only here: it costs `vaultledger log` and every report milliseconds to load

    digest = hashlib.sha256(os.path.abspath(logs_dir).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return _fallback_dir(state_dir) / f"{digest}.jsonl"


def _fallback_dir(state_dir: Path | None) -> Path:
    if state_dir is None:
        from vaultledger.settings import user_dir

        state_dir = user_dir("state")
    return state_dir / "dropped"


def dropped_records(logs_dir: Path, first: dt.date | None = None, last: dt.date | None = None,
                    state_dir: Path | None = None) -> DroppedRecords:
    """Records that could not be written into `logs_dir` for days in [first, last] (either end open)."""
    reasons: dict[str, int] = {}
    for entry in _entries(logs_dir, state_dir):
        if (first is None or entry.day >= first) and (last is None or entry.day <= last):
            reasons[entry.reason] = reasons.get(entry.reason, 0) + entry.count
    return DroppedRecords(sum(reasons.values()), dict(sorted(reasons.items())))


def _entries(logs_dir: Path, state_dir: Path | None) -> Iterator[_Entry]:
    decoder = msgspec.json.Decoder(_Entry)
    # No fallback folder, no fallback file: most runs never had one, and need not load hashlib to know.
    try:
        fallback = [fallback_path(logs_dir, state_dir)] if _fallback_dir(state_dir).is_dir() else []
    except OSError:  # a state folder that cannot be looked into holds nothing we can read
        fallback = []
    for path in (Path(logs_dir) / DROPPED_NAME, *fallback):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for line in data.split(b"\n"):
            try:
                entry = decoder.decode(line)
            except msgspec.DecodeError:
                continue  # a blank line, or half a line a full disk cut short
            if entry.count > 0:
                yield entry


def _forget_the_parents_drops() -> None:
    del _unsaved[:]  # a forked child would save (and count) them a second time


atexit.register(save_unsaved)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_the_parents_drops)
