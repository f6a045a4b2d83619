"""Stream records from the daily log files; count and locate every bad line; dedupe by provider+id."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from vaultledger.errors import InvalidRecord
from vaultledger.record import Batch, RecordFields, UsageRecord, batch_of, parse_batch, parse_line

LOG_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})\.jsonl(\.gz)?$")
# A writer's zone and the reader's may differ by up to 26 hours, so a day's records can sit
# in the files of the two days before or after it.
NEIGHBOUR_DAYS = 2
MAX_PROBLEMS_KEPT = 1000
# Lines are decoded a few MB at a time as one JSON array: one C call instead of one per line.
BATCH_BYTES = 4 << 20


@dataclass(frozen=True)
class LineProblem:
    """One invalid line, locatable as `file:line: reason`."""

    path: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class ReadStats:
    """What reading saw besides good records; every summary reports these."""

    lines: int = 0
    invalid_lines: int = 0
    duplicates: int = 0
    partial_lines: int = 0
    problems: list[LineProblem] = field(default_factory=list)

    def add_problem(self, problem: LineProblem) -> None:
        self.invalid_lines += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)

    def merge(self, other: ReadStats) -> None:
        self.lines += other.lines
        self.invalid_lines += other.invalid_lines
        self.duplicates += other.duplicates
        self.partial_lines += other.partial_lines
        room = MAX_PROBLEMS_KEPT - len(self.problems)
        self.problems.extend(other.problems[:max(room, 0)])


@dataclass(frozen=True)
class LogFile:
    day: dt.date
    path: Path


def list_log_files(logs_dir: Path) -> list[LogFile]:
    """Every `YYYY-MM-DD.jsonl[.gz]` in the logs folder, oldest first; other files are ignored."""
    try:
        entries = list(os.scandir(logs_dir))  # scandir knows file from folder without a stat per entry
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for entry in entries:
        match = LOG_NAME.match(entry.name)
        if match and entry.is_file():
            try:
                found.append(LogFile(dt.date.fromisoformat(match.group(1)), logs_dir / entry.name))
            except ValueError:
                continue  # 2026-02-30.jsonl is no day; not ours to read
    return sorted(found, key=lambda log: (log.day, log.path.name))


def files_for_days(listing: Sequence[LogFile], first: dt.date, last: dt.date) -> list[LogFile]:
    """The files of a folder's listing that can hold records whose local day lies in [first, last]."""
    low = first - dt.timedelta(days=NEIGHBOUR_DAYS)
    high = last + dt.timedelta(days=NEIGHBOUR_DAYS)
    return [log for log in listing if low <= log.day <= high]


def open_log(path: Path) -> BinaryIO:
    """Archived days are gzip files; readers never need to care."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


BOM = b"\xef\xbb\xbf"  # some editors and PowerShell start a file with it
# A gzip file cut short or not gzip at all, or a disk error: the file's remaining lines are lost to
# this run, which says so as a problem instead of stopping every report.
UNREADABLE = (OSError, EOFError, zlib.error)

Reject = Callable[[UsageRecord], "str | None"]


def iter_lines(handle: BinaryIO, stats: ReadStats) -> Iterator[tuple[int, bytes]]:
    """Complete lines with their 1-based numbers; a last line without `\n` is still being written."""
    number = 0
    for number, line in enumerate(handle, start=1):
        if not line.endswith(b"\n"):
            stats.partial_lines += 1
            return
        stats.lines += 1
        if number == 1 and line.startswith(BOM):
            line = line[len(BOM):]
        if line.strip():
            yield number, line


def read_file(path: Path, stats: ReadStats, reject: Reject | None = None) -> Iterator[UsageRecord]:
    """Valid records of one file, duplicates (same provider+id) counted once, the last line winning.

    Records without an id stream straight through; those with one wait until the end of the
    file, so memory grows with the ids in one file, never with its size in bytes. `reject` may
    turn a valid record into a located problem (see `outside_window`).
    """
    latest_by_id: dict[tuple[str, str], UsageRecord] = {}
    number = 0
    try:
        with open_log(path) as handle:
            for number, line in iter_lines(handle, stats):
                try:
                    record = parse_line(line)
                    reason = reject(record) if reject else None
                except InvalidRecord as error:
                    reason = str(error)
                if reason:
                    stats.add_problem(LineProblem(path, number, reason))
                    continue
                if not record.id:
                    yield record
                    continue
                key = (record.provider, record.id)
                if key in latest_by_id:
                    stats.duplicates += 1
                    del latest_by_id[key]  # re-insert so the dict keeps last-line order
                latest_by_id[key] = record
    except UNREADABLE as error:
        stats.add_problem(LineProblem(path, number + 1, f"unreadable from here on ({error})"))
    yield from latest_by_id.values()


def file_day(path: Path) -> dt.date | None:
    """The day a log file is named for, if it follows YYYY-MM-DD.jsonl[.gz]."""
    match = LOG_NAME.match(path.name)
    try:
        return dt.date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


def outside_window(path: Path, zone: dt.tzinfo) -> Reject | None:
    """A check that a record's local day is within NEIGHBOUR_DAYS of its file's day.

    Writers file a record under its day in their own zone, at most a day or so from ours; a record
    further away was put there by hand or by a bug. Counting it would make a period's total depend
    on which files happened to be read, so it is reported instead (the line stays in the log).
    """
    named = file_day(path)
    if named is None:
        return None

    def reject(record: UsageRecord) -> str | None:
        day = record.ts.astimezone(zone).date()
        if abs((day - named).days) <= NEIGHBOUR_DAYS:
            return None
        return f"ts is on {day}, more than {NEIGHBOUR_DAYS} days from this file's day; move it to {day}.jsonl"

    return reject


def read_batches(path: Path, stats: ReadStats) -> Iterator[Batch]:
    """Valid records of one file in batches, in line order, duplicates NOT removed (callers check).

    A batch whose lines are all valid is decoded in one go; a batch with any bad or blank line is
    decoded line by line, so every problem is still located by its line number.
    """
    first_line = 1
    unfinished = b""  # a line cut by the batch's edge, or the file's last line still being written
    try:
        with open_log(path) as handle:
            while chunk := handle.read(BATCH_BYTES):
                text = unfinished + chunk if unfinished else chunk
                end = text.rfind(b"\n") + 1
                unfinished = text[end:]
                if not end:
                    continue
                lines = text[:end] if unfinished else text
                if first_line == 1 and lines.startswith(BOM):
                    lines = lines[len(BOM):]
                # Deleting the newlines finds them with memchr, far faster than bytes.count.
                count = len(lines) - len(lines.replace(b"\n", b""))
                stats.lines += count
                yield _decode_batch(path, lines, count, first_line, stats)
                first_line += count
        if unfinished:
            stats.partial_lines += 1
    except UNREADABLE as error:
        stats.add_problem(LineProblem(path, first_line, f"unreadable from here on ({error})"))


def _decode_batch(path: Path, lines: bytes, count: int, first_line: int, stats: ReadStats) -> Batch:
    # Lines become one JSON array; a blank line, or a line holding two objects or half of one,
    # breaks the array or its count, and sends the batch down the line-by-line path.
    # Built in a bytearray, the array costs two copies of the text rather than four.
    text = bytearray(b"[")
    text += lines
    text[-1] = ord("]")  # in place of the last newline
    batch = parse_batch(text.replace(b"\n", b","))
    if batch is not None and len(batch.records) == count:
        return batch
    records: list[RecordFields] = []
    for number, line in enumerate(io.BytesIO(lines), start=first_line):
        if not line.strip():
            continue
        try:
            records.append(parse_line(line))
        except InvalidRecord as error:
            stats.add_problem(LineProblem(path, number, str(error)))
    return batch_of(records)
