"""Sync tools' conflict copies of log files: found, never counted, never silently ignored (SPEC §2).

When two machines change one file of a synced logs folder before they sync, Syncthing, Dropbox and
iCloud keep one version under the file's name and the other beside it under a new name. A copy's lines
are not counted: most are in the original too, and counting both would count them twice. What a copy
holds that the files of its day lack is what `doctor` and reports name, and what `vaultledger merge`
appends (ops/merge.py). A byte-identical line is the same call, so lines are compared by their bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from pathlib import Path

import msgspec

from vaultledger.ledger.files import BOM, LOG_NAME, UNREADABLE, LogFile, list_log_files, open_log

MERGED_SUFFIX = ".merged"  # a merged copy keeps its lines under this name; no reader reads it
# Each tool's mark in a copy's name; with the marks taken out, what is left is the log file's name.
# Syncthing marks before the last extension, so a `.jsonl.gz` copy is `DAY.jsonl.sync-conflict-….gz`.
# Patterns with their flags, compiled on first use by re's cache: most folders hold no copy at all.
_MARKS = (
    # Syncthing: 2026-03-14.sync-conflict-20260314-101112-ABCDEF7.jsonl (older versions: no device id)
    (r"\.sync-conflict-\d{8}-\d{6}(?:-[A-Za-z0-9]+)?(?=\.)", 0),
    # Dropbox: 2026-03-14 (Anna's conflicted copy 2026-03-14).jsonl, with one level of nested brackets
    (r" \((?:[^()]|\([^()]*\))*conflicted copy(?:[^()]|\([^()]*\))*\)(?=\.)", re.IGNORECASE),
    # iCloud: 2026-03-14 2.jsonl
    (r" \d+(?=\.)", 0),
)


def conflict_original(name: str) -> str | None:
    """The log file name a conflict copy's `name` is a copy of, or None when it is no such copy."""
    if " " not in name and ".sync-conflict-" not in name:
        return None  # every mark holds one of these; most names are log files, looked at every report
    if name.endswith(MERGED_SUFFIX) or LOG_NAME.match(name):
        return None
    original = name
    for mark, flags in _MARKS:
        original = re.sub(mark, "", original, flags=flags)
    return original if original != name and LOG_NAME.match(original) else None


class ConflictCopy(msgspec.Struct, frozen=True):
    path: Path
    original: str  # the name of the log file it is a copy of
    day: dt.date


def list_conflict_copies(logs_dir: Path) -> list[ConflictCopy]:
    """Every conflict copy of a log file in the folder, by day and name; merged ones are not."""
    try:
        entries = list(os.scandir(logs_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    copies = []
    for entry in entries:  # the name first: a report looks at every file of the folder
        name = entry.name
        original = conflict_original(name)
        match = LOG_NAME.match(original) if original else None
        if original and match and entry.is_file():
            try:
                copies.append(ConflictCopy(logs_dir / name, original, dt.date.fromisoformat(match.group(1))))
            except ValueError:
                continue  # a copy of 2026-02-30.jsonl, which is no log file either
    return sorted(copies, key=lambda copy: (copy.day, copy.path.name))


class PendingCopy(msgspec.Struct, frozen=True):
    """A conflict copy and what merging it would append."""

    copy: ConflictCopy
    lines: tuple[bytes, ...]  # complete lines that no file of its day (nor an earlier copy of it) holds
    unfinished: bool  # it ends with half a line, which is not a call and is not merged
    error: str | None  # it could not be read to its end (a cut .gz): it stays where it is


def pending_copies(logs_dir: Path, first: dt.date = dt.date.min, last: dt.date = dt.date.max) -> list[PendingCopy]:
    """The conflict copies of the days [first, last], each with the lines a merge would append,
    in the order a merge takes them (a line two copies hold is appended once, from the first)."""
    copies = [copy for copy in list_conflict_copies(logs_dir) if first <= copy.day <= last]
    if not copies:
        return []
    listing = list_log_files(logs_dir)
    known: dict[dt.date, set[bytes]] = {}
    pending = []
    for copy in copies:
        seen = known.get(copy.day)
        if seen is None:
            seen = known[copy.day] = day_lines(listing, copy.day)
        lines, unfinished, error = read_lines(copy.path)
        fresh = []
        for line in lines:
            if line_key(line) not in seen:
                seen.add(line_key(line))
                fresh.append(line)
        pending.append(PendingCopy(copy, tuple(fresh), unfinished, error))
    return pending


def day_lines(listing: Sequence[LogFile], day: dt.date) -> set[bytes]:
    """Every complete line of the log files of `day`, as `line_key` has it."""
    lines: set[bytes] = set()
    for log in listing:
        if log.day == day:
            lines.update(map(line_key, read_lines(log.path)[0]))
    return lines


def line_key(line: bytes) -> bytes:
    """A line as compared: its bytes without the line ending (a CRLF copy holds the same calls)."""
    return line.rstrip(b"\r\n")


def read_lines(path: Path) -> tuple[list[bytes], bool, str | None]:
    """A file's complete, non-blank lines (each ending in `\\n`), whether it ends with half a line,
    and why it could not be read to its end, if it could not."""
    lines: list[bytes] = []
    number = 0
    try:
        with open_log(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    return lines, True, None
                if number == 1 and line.startswith(BOM):
                    line = line[len(BOM):]
                if line.strip():
                    lines.append(line)
    except UNREADABLE as error:
        return lines, False, f"unreadable after line {number:,} ({error})"
    return lines, False, None
