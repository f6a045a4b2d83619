"""Whether an imported call is already in the logs folder it is imported into: the destination decides.

`Destination` reads the destination's own log lines (the days a record can sit in) and answers
whether a call is there with the same usage, or cancelled by a `void` line. Nothing remembered
about another folder, or about this folder before it was moved or restored, can hide a call.

`ImportState` is only a speed hint, kept in one small SQLite file (`imports.sqlite3` in the cache
folder) and keyed by the destination: the files read to their end (size and mtime) and the record
ids appended, per source. Every log file the hints rely on is kept as a witness (inode and size):
when one was replaced, shrank or vanished (a restore, a deleted day), every hint for that
destination is dropped and the next run asks the destination itself.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
import sqlite3
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import TracebackType

from vaultledger.errors import InvalidRecord
from vaultledger.record import COUNT_FIELDS, UsageRecord, parse_line

STATE_FILE_NAME = "imports.sqlite3"
# A record may sit in the file of a day this far from its own (a writer in another time zone).
NEIGHBOUR_DAYS = 2
SCHEMA = """
DROP TABLE IF EXISTS records;
DROP TABLE IF EXISTS files;
CREATE TABLE IF NOT EXISTS imported (
    destination TEXT NOT NULL, source TEXT NOT NULL, record_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
    PRIMARY KEY (destination, source, record_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS read_files (
    destination TEXT NOT NULL, source TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, PRIMARY KEY (destination, source, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS witnesses (
    destination TEXT NOT NULL, source TEXT NOT NULL, name TEXT NOT NULL, inode INTEGER NOT NULL,
    size INTEGER NOT NULL, PRIMARY KEY (destination, source, name)
) WITHOUT ROWID;
"""
HINT_TABLES = ("imported", "read_files", "witnesses")
FILE_BITS = 24  # a destination's log files are numbered in this many bits of a held line
FILE_MASK = (1 << FILE_BITS) - 1


def usage_fingerprint(record: UsageRecord) -> str:
    """What decides a record's cost: model, service tier and counts. Session or project changes don't re-import."""
    cost = None if record.cost_usd is None else format(Decimal(record.cost_usd).normalize(), "f")
    key = (record.provider, record.model, record.service_tier, *(getattr(record, name) for name in COUNT_FIELDS), cost)
    return hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()


class Destination:
    """The calls a logs folder already holds, read a few days at a time as imports ask about them.

    Kept small, as an import holds every call of the days it touches (a long transcript's thousands):
    a call is known by a 64-bit hash of provider and id, and each of its lines by one int packing
    the line's usage fingerprint, the file holding it and whether it has any count above 0.
    """

    def __init__(self, logs_dir: Path, zone: dt.tzinfo) -> None:
        self.logs_dir = Path(logs_dir)
        self.zone = zone
        self._days: set[dt.date] = set()
        self._files: list[Path] = []
        self._file_numbers: dict[Path, int] = {}
        self._held: dict[int, int | list[int]] = {}  # call → its line, or lines once usage differed
        self._voided: dict[int, Path] = {}

    def find(self, record: UsageRecord, fingerprint: str) -> tuple[Path | None, bool]:
        """(the file holding this call with this usage or a void line for it, whether its id is there at all)."""
        if not record.id:
            return None, False
        self._read_around(record.ts.astimezone(self.zone).date())
        call = _call_key(record)
        if call in self._voided:
            return self._voided[call], True
        lines = self._lines_of(call)
        wanted = int(fingerprint, 16)
        for line in lines:
            if line >> (FILE_BITS + 1) == wanted:
                return self._files[(line >> 1) & FILE_MASK], True
        return None, bool(lines)

    def holds_usage(self, record: UsageRecord) -> bool:
        """Whether a line of this call with some count above 0 is there (ask `find` first)."""
        return any(line & 1 for line in self._lines_of(_call_key(record)))

    def add(self, record: UsageRecord, fingerprint: str, path: Path) -> None:
        """A line this run appended (a call may come twice, e.g. in two transcripts of one session)."""
        if record.id:
            self._hold(record, fingerprint, path)

    def _lines_of(self, call: int) -> list[int]:
        lines = self._held.get(call)
        return [] if lines is None else [lines] if isinstance(lines, int) else lines

    def _hold(self, record: UsageRecord, fingerprint: str, path: Path) -> None:
        number = self._file_numbers.get(path)
        if number is None:
            number = self._file_numbers[path] = len(self._files)
            self._files.append(path)
        usage = any(getattr(record, name) for name in COUNT_FIELDS)
        line = int(fingerprint, 16) << (FILE_BITS + 1) | (number & FILE_MASK) << 1 | usage
        call = _call_key(record)
        known = self._held.get(call)
        if known is None or known == line:
            self._held[call] = line
        elif isinstance(known, int):
            self._held[call] = [known, line]
        elif line not in known:
            known.append(line)

    def _read_around(self, day: dt.date) -> None:
        for offset in range(-NEIGHBOUR_DAYS, NEIGHBOUR_DAYS + 1):
            near = day + dt.timedelta(days=offset)
            if near not in self._days:
                self._days.add(near)
                for path in self._files_of(near):
                    self._read_file(path)

    def _files_of(self, day: dt.date) -> list[Path]:
        # DAY.jsonl, DAY.HOST.jsonl and their archives; a sync tool's conflict copy may be read too,
        # which is harmless: its lines are the same calls.
        try:
            candidates = sorted(self.logs_dir.glob(f"{day.isoformat()}.*"))
        except OSError:
            return []
        return [path for path in candidates if path.name.endswith((".jsonl", ".jsonl.gz")) and path.is_file()]

    def _read_file(self, path: Path) -> None:
        for line in _lines(path):
            if b'"id"' not in line:
                continue  # a call without an id cannot be one an importer wrote
            try:
                record = parse_line(line)
            except InvalidRecord:
                continue
            if record.id and record.void:
                self._voided.setdefault(_call_key(record), path)
            elif record.id:
                self._hold(record, usage_fingerprint(record), path)


def _call_key(record: UsageRecord) -> int:
    """A call's provider and id as a 64-bit number (far smaller than the strings; no collision in
    any ledger a person keeps)."""
    digest = hashlib.blake2b(f"{record.provider}\0{record.id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _lines(path: Path) -> Iterator[bytes]:
    """Complete lines of a log file, plain or gzip; a file cut short gives the lines before the cut."""
    try:
        with (gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")) as handle:
            for line in handle:
                if line.endswith(b"\n"):
                    yield line
    except (OSError, EOFError, zlib.error):
        return


class ImportState:
    """Speed hints for one source (`claude-code`, `codex`, `llm`), valid for one destination at a time.

    Until `bind` names the destination, no hint is given: every file is read and every call is
    checked against the destination.
    """

    def __init__(self, state_dir: Path, source: str) -> None:
        self.source = source
        self.path = Path(state_dir) / STATE_FILE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.executescript(SCHEMA)
        self.destination: Path | None = None
        self.read_only = False
        self._witnesses: set[Path] = set()

    def bind(self, logs_dir: Path, *, read_only: bool = False) -> None:
        """Give hints for imports into `logs_dir`, after checking the files they rely on are as they were.

        `read_only` (a dry run): hints are read but never written, and hints that no longer hold are
        not given rather than dropped."""
        self.destination = Path(logs_dir).absolute()
        self.read_only = read_only
        if not self._witnesses_hold():
            if read_only:
                self.destination = None
                return
            self._db.execute("BEGIN")
            for table in HINT_TABLES:
                self._db.execute(f"DELETE FROM {table} WHERE destination = ? AND source = ?", self._key())
            self._db.commit()

    def _key(self) -> tuple[str, str]:
        return str(self.destination), self.source

    def _witnesses_hold(self) -> bool:
        rows = self._db.execute("SELECT name, inode, size FROM witnesses WHERE destination = ? AND source = ?",
                                self._key()).fetchall()
        assert self.destination is not None
        return all(_still_holds(self.destination / name, inode, size) for name, inode, size in rows)

    def fingerprint_of(self, record_id: str) -> str | None:
        if self.destination is None:
            return None
        row = self._db.execute("SELECT fingerprint FROM imported WHERE destination = ? AND source = ? AND "
                               "record_id = ?", (*self._key(), record_id)).fetchone()
        return row[0] if row else None

    def remember(self, record_id: str, fingerprint: str, log_file: Path | None = None) -> None:
        """`record_id` is in the destination with this usage, in `log_file` (kept as a witness)."""
        if self.destination is None or self.read_only:
            return
        self._db.execute("INSERT OR REPLACE INTO imported VALUES (?, ?, ?, ?)", (*self._key(), record_id, fingerprint))
        if log_file is not None:
            self._witnesses.add(log_file)

    def file_unchanged(self, path: Path, stat: os.stat_result) -> bool:
        """True when `path` was read to its end into this destination and has the same size and mtime now."""
        if self.destination is None:
            return False
        row = self._db.execute("SELECT size, mtime_ns FROM read_files WHERE destination = ? AND source = ? AND "
                               "path = ?", (*self._key(), str(path))).fetchone()
        return row == (stat.st_size, stat.st_mtime_ns)

    def remember_file(self, path: Path, stat: os.stat_result) -> None:
        """Call after every record of `path` was appended, with the stat taken before reading it."""
        if self.destination is None or self.read_only:
            return
        self._db.execute("INSERT OR REPLACE INTO read_files VALUES (?, ?, ?, ?, ?)",
                         (*self._key(), str(path), stat.st_size, stat.st_mtime_ns))

    def commit(self) -> None:
        """Make the hints so far durable; the witnesses first, so no hint outlives the files it names."""
        if self.read_only:
            return
        for log_file in self._witnesses:
            try:
                stat = os.stat(log_file)
            except OSError:
                continue  # archived or removed since: the next bind decides
            self._db.execute("INSERT OR REPLACE INTO witnesses VALUES (?, ?, ?, ?, ?)",
                             (*self._key(), log_file.name, stat.st_ino, stat.st_size))
        self._witnesses.clear()
        self._db.commit()

    def close(self) -> None:
        self.commit()
        self._db.close()

    def __enter__(self) -> ImportState:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _still_holds(log_file: Path, inode: int, size: int) -> bool:
    """A witness holds while its file is the same one, no shorter (logs only grow), or archived."""
    try:
        stat = os.stat(log_file)
    except FileNotFoundError:
        return log_file.with_name(log_file.name + ".gz").is_file()
    except OSError:
        return False
    return stat.st_ino == inode and stat.st_size >= size
