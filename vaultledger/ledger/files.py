"""Daily log files: listed, read line by line (batch reading is batches.py's), every bad line counted and
located, duplicates (provider+id) counted once."""

from __future__ import annotations

import datetime as dt
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import msgspec

from vaultledger._fs import child_maker
from vaultledger.errors import InvalidRecord
from vaultledger.ledger.archived import archived_start, fully_archived
from vaultledger.record import MAX_LINE_BYTES, UsageRecord, parse_line

# YYYY-MM-DD.jsonl, or YYYY-MM-DD.HOST.jsonl where each machine of a synced folder writes its own (SPEC §2).
# Syncthing's conflict copy of a day's file (DAY.sync-conflict-….jsonl) looks like a host file: it is
# not one (ledger/conflicts.py finds conflict copies), and no HOST may start like it (settings.HOST_NAME).
LOG_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.(?!sync-conflict-)([A-Za-z0-9_-]+))?\.jsonl(\.gz)?$")
# A writer's zone and the reader's may differ by up to 26 hours, so a day's records can sit
# in the files of the two days before or after it.
NEIGHBOUR_DAYS = 2
MAX_PROBLEMS_KEPT = 1000


class LineProblem(msgspec.Struct, frozen=True):
    """One invalid line, locatable as `file:line: reason`."""

    path: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


class ReadStats(msgspec.Struct):
    """What reading saw besides good records; every summary reports these."""

    lines: int = 0
    invalid_lines: int = 0  # every located problem, stray lines and cut files included
    duplicates: int = 0  # lines that a later line of the same provider+id replaced (or voided)
    partial_lines: int = 0
    stray_lines: int = 0  # of invalid_lines: valid lines dated too far from their file's day
    truncated_files: int = 0  # files unreadable after some line (a cut .gz, a disk error)
    problems: list[LineProblem] = msgspec.field(default_factory=list)

    def add_problem(self, problem: LineProblem) -> None:
        self.invalid_lines += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)

    def counts(self) -> tuple[int, int, int, int, int, int]:
        return (self.lines, self.invalid_lines, self.duplicates, self.partial_lines, self.stray_lines,
                self.truncated_files)

    def merge(self, other: ReadStats) -> None:
        self.lines += other.lines
        self.invalid_lines += other.invalid_lines
        self.duplicates += other.duplicates
        self.partial_lines += other.partial_lines
        self.stray_lines += other.stray_lines
        self.truncated_files += other.truncated_files
        room = MAX_PROBLEMS_KEPT - len(self.problems)
        self.problems.extend(other.problems[:max(room, 0)])


def total_stats(parts: Iterable[ReadStats]) -> ReadStats:
    """The sum of many reads' stats, their problems in the order given: the counts summed at C level
    (a year's 365 merges one by one took half a millisecond of every report)."""
    parts = list(parts)
    total = ReadStats(*map(sum, zip(*map(ReadStats.counts, parts)))) if parts else ReadStats()
    for part in parts:
        if part.problems and len(total.problems) < MAX_PROBLEMS_KEPT:
            total.problems.extend(part.problems[:MAX_PROBLEMS_KEPT - len(total.problems)])
    return total


class LogFile(msgspec.Struct, frozen=True):
    day: dt.date
    path: Path
    # Name and location as listed: a warm report asks them of each file, which cost a Path more than its stat.
    name: str
    location: str
    # A plain file beside its own .gz (a late line after archiving, or an archive cut short): read from
    # where the .gz leaves off, which no cached fold of the file alone can vouch for.
    beside_archive: bool = False


def list_log_files(logs_dir: Path) -> list[LogFile]:
    """Every `YYYY-MM-DD[.HOST].jsonl[.gz]` in the logs folder, oldest first; other files are ignored
    (sync tools' conflict copies and merged copies are no log files: see ledger/conflicts.py)."""
    try:
        entries = list(os.scandir(logs_dir))  # scandir knows file from folder without a stat per entry
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    names = {entry.name for entry in entries}
    child = child_maker(logs_dir)
    for entry in entries:
        match = LOG_NAME.match(entry.name)
        if match and entry.is_file() and not _left_by_archive(entry.name, names, logs_dir):
            try:
                found.append(LogFile(dt.date.fromisoformat(match.group(1)), child(entry.name), entry.name,
                                     entry.path, not match.group(3) and entry.name + ".gz" in names))
            except ValueError:
                continue  # 2026-02-30.jsonl is no day; not ours to read
    return sorted(found, key=log_order)


def _left_by_archive(name: str, names: set[str], logs_dir: Path) -> bool:
    # An archive killed after placing the .gz leaves the plain file too; its lines count once, there.
    return name + ".gz" in names and fully_archived(logs_dir / name)


def log_order(log: LogFile) -> tuple[dt.date, str]:
    return log.day, log.name


def files_for_days(listing: Sequence[LogFile], first: dt.date, last: dt.date) -> list[LogFile]:
    """The files of a folder's listing that can hold records whose local day lies in [first, last]."""
    low, high = first - dt.timedelta(days=NEIGHBOUR_DAYS), last + dt.timedelta(days=NEIGHBOUR_DAYS)
    return [log for log in listing if low <= log.day <= high]


def open_log(path: Path) -> BinaryIO:
    """Archived days are gzip files; readers never need to care."""
    if path.name.endswith(".gz"):
        import gzip  # only for archives: about 1 ms

        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


BOM = b"\xef\xbb\xbf"  # some editors and PowerShell start a file with it
# A gzip file cut short or not gzip at all, or a disk error: the file's remaining lines are lost to
# this run, which says so as a problem instead of stopping every report.
UNREADABLE = (OSError, EOFError, zlib.error)

Reject = Callable[[UsageRecord], "str | None"]
# The reason of the problem that marks where a file became unreadable (reports name the line before it).
CUT_SHORT = "unreadable from here on"


def iter_lines(
    handle: BinaryIO, stats: ReadStats, path: Path | None = None, first: int = 1
) -> Iterator[tuple[int, bytes]]:
    """Complete lines with their 1-based numbers (the first being `first`); a last line without `\n`
    is still being written."""
    number = 0
    for number, line in enumerate(handle, start=first):
        if not line.endswith(b"\n"):
            stats.partial_lines += 1
            return
        stats.lines += 1
        if number == 1 and line.startswith(BOM):
            line = line[len(BOM):]
        if len(line) > MAX_LINE_BYTES:
            stats.add_problem(LineProblem(path or Path(str(getattr(handle, "name", "?"))), number, too_long(line)))
        elif line.strip():
            yield number, line


def too_long(line: bytes) -> str:
    return f"line is {len(line):,} bytes, over the {MAX_LINE_BYTES:,}-byte record limit"


def read_file(path: Path, stats: ReadStats, reject: Reject | None = None) -> Iterator[UsageRecord]:
    """Valid records of one file, duplicates (same provider+id) counted once, the last line winning.

    Records without an id stream straight through; those with one wait until the end of the
    file, so memory grows with the ids in one file, never with its size in bytes. `reject` may
    turn a valid record into a located problem (see `outside_window`). Lines the file's `.gz`
    already holds are its (see `archived_start`).
    """
    latest_by_id: dict[tuple[str, str], UsageRecord] = {}
    offset, first = archived_start(path)
    number = first - 1
    try:
        with open_log(path) as handle:
            if offset:
                handle.seek(offset)
            for number, line in iter_lines(handle, stats, path, first):
                try:
                    record = parse_line(line)
                except InvalidRecord as error:
                    stats.add_problem(LineProblem(path, number, str(error)))
                    continue
                reason = reject(record) if reject else None
                if reason:
                    stats.stray_lines += 1
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
        cut_short(stats, path, number + 1, error)
    yield from latest_by_id.values()


def file_day(path: Path) -> dt.date | None:
    """The day a log file is named for, if it follows YYYY-MM-DD.jsonl[.gz]."""
    match = LOG_NAME.match(path.name)
    try:
        return dt.date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


def file_host(path: Path) -> str | None:
    """The HOST of a host file (`YYYY-MM-DD.HOST.jsonl[.gz]`); None for a plain day file."""
    match = LOG_NAME.match(path.name)
    return match.group(2) if match else None


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


def cut_short(stats: ReadStats, path: Path, line: int, error: BaseException) -> None:
    stats.truncated_files += 1
    stats.add_problem(LineProblem(path, line, f"{CUT_SHORT} ({error})"))


def counted_records(
    paths: Sequence[Path], zone: dt.tzinfo, stats_by_path: dict[Path, ReadStats], ids: set[str] | None = None
) -> Iterator[UsageRecord]:
    """The records that count (SPEC §2) among log files read together: one file, or neighbours
    that share a provider+id.

    Valid lines inside their file's window; of several lines of one provider+id, the last line of
    the file of the latest day, and among files of one day (host files) the line with the latest
    `ts`, then the larger output; a void line that wins cancels the call. Every id seen, void or
    replaced, goes into `ids`, which is what neighbouring files are compared by.
    """
    for _, record in counted_records_with_files(paths, zone, stats_by_path, ids):
        yield record


def counted_records_with_files(
    paths: Sequence[Path], zone: dt.tzinfo, stats_by_path: dict[Path, ReadStats], ids: set[str] | None = None
) -> Iterator[tuple[Path, UsageRecord]]:
    """`counted_records`, each with the file whose line counts (a breakdown by host needs it)."""
    latest: dict[tuple[str, str], tuple[dt.date, Path, UsageRecord]] = {}
    for path in sorted(paths, key=_path_order):
        day = file_day(path) or dt.date.min
        stats = stats_by_path.setdefault(path, ReadStats())
        for record in read_file(path, stats, outside_window(path, zone)):
            if not record.id:
                yield path, record
                continue
            if ids is not None:
                ids.add(record.id)
            key = (record.provider, record.id)
            held = latest.get(key)
            if held is not None:
                stats.duplicates += 1
                if not _replaces(day, record, held[0], held[2]):
                    continue
                del latest[key]  # re-inserted below, so the dict keeps the order lines won in
            latest[key] = (day, path, record)
    for _, path, record in latest.values():
        if not record.void:
            yield path, record


def _path_order(path: Path) -> tuple[dt.date, str]:
    return file_day(path) or dt.date.min, path.name


def _replaces(day: dt.date, record: UsageRecord, held_day: dt.date, held: UsageRecord) -> bool:
    """Whether a line read later replaces the one held for its id: files come in day order, so a
    later day wins; two files of one day (host files) are ordered by the calls themselves."""
    if day != held_day:
        return day > held_day
    return (record.ts, record.output_tokens) >= (held.ts, held.output_tokens)
