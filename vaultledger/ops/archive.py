"""Compress whole past days of logs, `YYYY-MM-DD.jsonl` → `YYYY-MM-DD.jsonl.gz`, losing nothing (SPEC §2).

Per file: read it up to the size it has now, write the gzip to a temp file beside it, fsync, verify by
decompressing the temp file and comparing its sha256 with what was read, `os.replace` it to the
`.gz` name, fsync the folder, and remove the original only if it is still the file that was read
(same inode, size and mtime); if a writer added to it meanwhile, the new `.gz` is undone and the
day waits for the next run. Bytes a writer slips in between that check and the removal land in
the still-open file; they are copied to a fresh `.jsonl` so they are not lost (the logger opens a
fresh file itself once it sees its file was removed).

A line logged for a day after it was archived makes a new `.jsonl` beside the `.gz`; the next run
writes a `.gz` holding both (old lines first) and removes the `.jsonl`. The reader drops duplicate
ids within one file, so an id present in both files is counted once after that merge.

Killed between placing the `.gz` and removing the `.jsonl`, a run leaves both files, the `.gz`
ending with the `.jsonl`'s lines (`ledger.archived`): readers skip such a plain file, and the next
run only removes it (or joins just the lines added after that prefix), so no line is stored twice.
Every write step passes a kill point (`_faults.step`) for the fault suite.

Today and the two days before it are never archived, whatever the age asked for: writers in other
time zones may still be appending to them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import hashlib
import io
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from vaultledger.errors import ConfigError, VaultledgerError
from vaultledger._faults import step
from vaultledger._fs import atomic_write_bytes, sync_folder
from vaultledger.ledger.archived import archived_prefix, gz_sibling
from vaultledger.ledger.files import list_log_files

MIN_AGE_DAYS = 2
DAYS_PER_UNIT = {"d": 1, "w": 7, "m": 30}  # a month is 30 days: an age for archiving needs no calendar
GZIP_LEVEL = 6  # zlib's default: most of level 9's saving at a fraction of its time
CHUNK_BYTES = 1 << 20
TEMP_SUFFIX = ".archiving.tmp"

_AGE = re.compile(r"(\d+)\s*([dwm])", re.IGNORECASE)

Step = Callable[[str], None]


class _Skip(Exception):
    """This file is left as it is, for the reason given."""


def parse_age(text: str) -> int:
    """`90d`, `12w` or `6m` → a number of days; a month counts as 30 days."""
    match = _AGE.fullmatch(text.strip())
    if not match:
        raise ConfigError(f"{text!r} is not an age; write a number and d, w or m, e.g. 90d, 12w or 6m (m = 30 days)")
    return int(match[1]) * DAYS_PER_UNIT[match[2].lower()]


def last_archivable_day(today: dt.date, older_than_days: int) -> dt.date:
    """The newest day older than `older_than_days` days, and never within the last MIN_AGE_DAYS."""
    return today - dt.timedelta(days=max(older_than_days, MIN_AGE_DAYS) + 1)


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one `.jsonl`: "archived", "merged" (into an existing .gz), "finished" (its
    lines were already in the .gz, left there by an interrupted run: only the removal was left) or
    "skipped"."""

    path: Path
    action: str
    reason: str = ""
    bytes_in: int = 0
    bytes_out: int = 0  # size of the .gz written; 0 in a dry run


@dataclass(frozen=True)
class ArchiveResult:
    outcomes: list[FileOutcome]
    last_day: dt.date
    dry_run: bool = False

    @property
    def archived(self) -> list[FileOutcome]:
        """Files compressed (or, in a dry run, that would be), merged ones included."""
        return [outcome for outcome in self.outcomes if outcome.action in ("archived", "merged")]

    @property
    def merged(self) -> list[FileOutcome]:
        return [outcome for outcome in self.outcomes if outcome.action == "merged"]

    @property
    def finished(self) -> list[FileOutcome]:
        return [outcome for outcome in self.outcomes if outcome.action == "finished"]

    @property
    def skipped(self) -> list[FileOutcome]:
        return [outcome for outcome in self.outcomes if outcome.action == "skipped"]

    def __str__(self) -> str:
        lines = [self._summary()] if self.archived else [] if self.finished else [
            f"nothing to archive: no log day on or before {self.last_day}"]
        if self.finished:
            verb = "would remove" if self.dry_run else "removed"
            lines.append(f"{verb} {len(self.finished)} .jsonl file(s) already inside their .gz "
                         "(left by an interrupted archive)")
        if self.merged:
            lines.append(f"  {len(self.merged)} of them joined an existing .gz (lines logged after it was archived)")
        lines.extend(f"skipped {outcome.path.name}: {outcome.reason}" for outcome in self.skipped)
        return "\n".join(lines)

    def _summary(self) -> str:
        names = sorted(outcome.path.name.removesuffix(".jsonl") for outcome in self.archived)
        days = f"{len(names)} day{'s' if len(names) != 1 else ''} ({names[0]} … {names[-1]})"
        size_in = _size_text(sum(outcome.bytes_in for outcome in self.archived))
        if self.dry_run:
            return f"would archive {days}, {size_in}; nothing written (dry run)"
        return f"archived {days}: {size_in} → {_size_text(sum(o.bytes_out for o in self.archived))}"


def _size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:,.1f} KB"
    return f"{size / 1024 / 1024:,.1f} MB"


def archive_logs(logs_dir: Path, older_than_days: int, today: dt.date, *, dry_run: bool = False) -> ArchiveResult:
    """Gzip every whole `.jsonl` day older than `older_than_days` (today and 2 days back never)."""
    if older_than_days < 0:
        raise ConfigError(f"the age to archive must be 0 days or more, got {older_than_days}")
    last_day = last_archivable_day(today, older_than_days)
    logs_dir = Path(logs_dir)
    candidates = _plain_files(logs_dir, last_day)
    if dry_run:
        return ArchiveResult([archive_file(path, dry_run=True) for path in candidates], last_day, dry_run=True)
    if not candidates:  # also when there is no logs folder at all: nothing to lock
        return ArchiveResult([], last_day)
    with _archive_lock(logs_dir):
        _remove_stale_temps(logs_dir)
        step("archive: stale temp files removed")
        return ArchiveResult([archive_file(path) for path in candidates], last_day)


def _plain_files(logs_dir: Path, last_day: dt.date) -> list[Path]:
    """The `.jsonl` files of days up to `last_day`, those already inside their .gz included (readers
    skip them; archive removes them)."""
    found: set[Path] = set()
    for log in list_log_files(logs_dir):
        if log.day > last_day:
            continue
        plain = log.path.with_name(log.path.name.removesuffix(".gz"))
        if plain == log.path or plain.is_file():
            found.add(plain)
    return sorted(found, key=lambda path: path.name)


def archive_file(path: Path, *, dry_run: bool = False, on_step: Step | None = None) -> FileOutcome:
    """Archive one `YYYY-MM-DD.jsonl` into `YYYY-MM-DD.jsonl.gz` (joining an existing one).

    `on_step` is called with "verified" (the temp .gz checked, nothing replaced yet) and "removing"
    (the .gz in place and the original found unchanged): tests add lines there, as a writer might.
    Callers other than archive_logs must hold the folder's archive lock.
    """
    if path.is_symlink():
        return FileOutcome(path, "skipped", "a symbolic link; archive the file it points to instead")
    try:
        with open(path, "rb") as source:
            return _archive_source(source, path, dry_run, on_step or _no_step)
    except OSError as error:
        return FileOutcome(path, "skipped", f"cannot archive it: {error.strerror or error}")


def _archive_source(source: BinaryIO, path: Path, dry_run: bool, on_step: Step) -> FileOutcome:
    stat = os.fstat(source.fileno())
    gz_path = gz_sibling(path)
    try:
        _check_whole_lines(source, stat.st_size)
        done = archived_prefix(path, stat.st_size) if gz_path.exists() else 0
        action = "finished" if done == stat.st_size else "merged" if gz_path.exists() else "archived"
        if dry_run:
            bytes_out = 0
        elif action == "finished":
            bytes_out = _finish_removal(source, stat, path, gz_path)
        else:
            bytes_out = _archive_open_file(source, stat, path, gz_path, on_step, done)
    except _Skip as skip:
        return FileOutcome(path, "skipped", str(skip), stat.st_size)
    return FileOutcome(path, action, bytes_in=stat.st_size - done, bytes_out=bytes_out)


def _finish_removal(source: BinaryIO, stat: os.stat_result, path: Path, gz_path: Path) -> int:
    """The .gz already ends with every line of the file: remove it, as the interrupted run would have."""
    if not _unchanged(path, stat):
        raise _Skip("it grew while being archived (a writer is still using it); left for the next run")
    try:
        path.unlink()
    except OSError as error:
        raise _Skip(f"cannot remove it ({error.strerror or error}); its lines are already in {gz_path.name}") from None
    sync_folder(path.parent)
    step(f"archive: removed {path.name}")
    _rescue_late_bytes(source, stat.st_size, path)
    return gz_path.stat().st_size


def _no_step(step: str) -> None:
    pass


def _check_whole_lines(source: BinaryIO, size: int) -> None:
    if size and os.pread(source.fileno(), 1, size - 1) != b"\n":
        raise _Skip("its last line is incomplete (a writer may be mid-line); left for the next run")


def _archive_open_file(
    source: BinaryIO, stat: os.stat_result, path: Path, gz_path: Path, on_step: Step, done: int = 0
) -> int:
    """Compress, verify, replace, remove; returns the size of the .gz. Raises _Skip to leave the day.

    `done` leading bytes of the file are already the .gz's tail (an interrupted run): only the rest joins.
    """
    old_gz = gz_path.read_bytes() if gz_path.exists() else None
    temp = gz_path.with_name(f".{gz_path.name}{TEMP_SUFFIX}")
    try:
        digest = _write_gzip(temp, _joined_chunks(old_gz, gz_path, source, done, stat.st_size))
        if _gzip_sha256(temp) != digest:
            raise _Skip("the compressed copy did not match the original; nothing changed")
        _keep_metadata(temp, stat, gz_path)
        step(f"archive: temp file written for {gz_path.name}")
        on_step("verified")
        _replace_unless_grown(temp, gz_path, path, stat, old_gz)
    finally:
        temp.unlink(missing_ok=True)
    bytes_out = gz_path.stat().st_size
    on_step("removing")
    _remove_original(path, gz_path, old_gz)
    _rescue_late_bytes(source, stat.st_size, path)
    return bytes_out


def _joined_chunks(old_gz: bytes | None, gz_path: Path, source: BinaryIO, start: int, size: int) -> Iterator[bytes]:
    if old_gz is not None:
        yield from _old_gz_chunks(old_gz, gz_path)
    yield from _file_bytes(source, start, size)


def _old_gz_chunks(old_gz: bytes, gz_path: Path) -> Iterator[bytes]:
    """The lines already archived for the day; they must end with a whole line to be joined."""
    last = b"\n"
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(old_gz), mode="rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
                last = chunk[-1:]
                yield chunk
    except (OSError, EOFError, zlib.error) as error:
        raise _Skip(f"{gz_path.name} cannot be read ({error}); both files left as they are") from None
    if last != b"\n":
        raise _Skip(f"{gz_path.name} ends mid-line; both files left as they are")


def _file_bytes(source: BinaryIO, offset: int, size: int) -> Iterator[bytes]:
    """Bytes `offset` to `size` of the file as it was when opened; later appends are not ours yet."""
    while offset < size:
        chunk = os.pread(source.fileno(), min(CHUNK_BYTES, size - offset), offset)
        if not chunk:
            raise _Skip("it shrank while being read; left alone")
        offset += len(chunk)
        yield chunk


def _write_gzip(temp: Path, chunks: Iterable[bytes]) -> str:
    """Compress `chunks` into `temp`, fsynced; returns the sha256 of the uncompressed bytes."""
    digest = hashlib.sha256()
    with open(temp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0) as zipped:
            for chunk in chunks:
                digest.update(chunk)
                zipped.write(chunk)
        raw.flush()
        os.fsync(raw.fileno())
    return digest.hexdigest()


def _gzip_sha256(path: Path) -> str:
    """Read the compressed file back from disk, as a reader will, and hash what it holds."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error):
        return ""
    return digest.hexdigest()


def _keep_metadata(temp: Path, stat: os.stat_result, gz_path: Path) -> None:
    # The .gz keeps the log's mode, and its mtime says when the day's data last changed.
    os.chmod(temp, stat.st_mode & 0o7777)
    previous = gz_path.stat().st_mtime_ns if gz_path.exists() else 0
    mtime = max(stat.st_mtime_ns, previous)
    os.utime(temp, ns=(mtime, mtime))


def _replace_unless_grown(temp: Path, gz_path: Path, path: Path, stat: os.stat_result, old_gz: bytes | None) -> None:
    """Put the .gz in place; if the original changed meanwhile, put back what was there and skip."""
    os.replace(temp, gz_path)
    sync_folder(gz_path.parent)
    step(f"archive: {gz_path.name} in place")
    if not _unchanged(path, stat):
        _undo_gz(gz_path, old_gz)
        raise _Skip("it grew while being archived (a writer is still using it); left for the next run")


def _remove_original(path: Path, gz_path: Path, old_gz: bytes | None) -> None:
    # Both files at once would count the day twice, so a failed removal undoes the .gz.
    try:
        path.unlink()
    except OSError as error:
        _undo_gz(gz_path, old_gz)
        raise _Skip(f"cannot remove it ({error.strerror or error}); the .gz was undone") from None
    sync_folder(path.parent)
    step(f"archive: removed {path.name}")


def _undo_gz(gz_path: Path, old_gz: bytes | None) -> None:
    """Put back the .gz as it was before this run (none, or the earlier archive's bytes)."""
    if old_gz is None:
        gz_path.unlink()
        sync_folder(gz_path.parent)
        step(f"archive: {gz_path.name} undone")
    else:
        atomic_write_bytes(gz_path, old_gz)


def _unchanged(path: Path, stat: os.stat_result) -> bool:
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    return (now.st_ino, now.st_size, now.st_mtime_ns) == (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _rescue_late_bytes(source: BinaryIO, archived_size: int, path: Path) -> None:
    """Bytes appended between the last check and the removal: copy them to a fresh file of the day."""
    late_size = os.fstat(source.fileno()).st_size - archived_size
    if late_size <= 0:
        return
    late = os.pread(source.fileno(), late_size, archived_size)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, late)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    step(f"archive: late lines of {path.name} kept")


@contextlib.contextmanager
def _archive_lock(logs_dir: Path) -> Iterator[None]:
    """One archiver per folder: two at once could join the same late lines into a .gz twice.

    The lock is taken on the folder itself, so no lock file is left among the logs.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no flock; archiving is rare enough to run unguarded there
        yield
        return
    descriptor = os.open(logs_dir, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise VaultledgerError(f"{logs_dir}: another `vaultledger archive` is running; try again later") from None
        yield
    finally:
        os.close(descriptor)


def _remove_stale_temps(logs_dir: Path) -> None:
    # Left by an archiver that crashed; under the lock no other archiver can be writing them.
    for temp in logs_dir.glob(f".*{TEMP_SUFFIX}"):
        temp.unlink(missing_ok=True)
