"""`vaultledger merge`: fold sync tools' conflict copies of log files back into the logs (SPEC §2).

For each copy, the lines no file of its day holds are appended, in one write, to this machine's own
file of that day (`DAY.HOST.jsonl` with host files, else `DAY.jsonl`); then the copy is renamed with a
`.merged` suffix, which readers skip. No line is edited or deleted. Killed anywhere, the calls that
count are those before or after a copy's merge, and a re-run finds the lines already appended and
only finishes the rename.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from vaultledger._faults import step
from vaultledger._fs import sync_folder
from vaultledger.capture.usage_log import daily_log_path, ends_mid_line
from vaultledger.ledger.conflicts import MERGED_SUFFIX, PendingCopy, pending_copies

_APPEND_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class MergedCopy:
    pending: PendingCopy
    appended_to: Path
    renamed_to: Path | None  # None: left in place (it could not be read to its end)

    def describe(self, dry_run: bool = False) -> str:
        copy = self.pending.copy.path.name
        lines = len(self.pending.lines)
        will = "would be " if dry_run else ""
        added = f"{_lines(lines)} {will}appended to {self.appended_to.name}" if lines else "no line the logs lack"
        if self.pending.unfinished:
            added += " (its unfinished last line is no call and stays in it)"
        if self.renamed_to is None:
            return f"{copy}: {added}; left in place: {self.pending.error}"
        return f"{copy}: {added}; {will}renamed to {self.renamed_to.name}"


def _lines(count: int) -> str:
    return f"{count:,} line{'' if count == 1 else 's'}"


@dataclass
class MergeResult:
    logs_dir: Path
    dry_run: bool = False
    copies: list[MergedCopy] = field(default_factory=list)

    @property
    def left(self) -> list[MergedCopy]:
        """Copies that could not be read to their end: they stay for the user to look at."""
        return [merged for merged in self.copies if merged.renamed_to is None]

    def __str__(self) -> str:
        if not self.copies:
            return f"no conflict copies of log files in {self.logs_dir}"
        lines = sum(len(merged.pending.lines) for merged in self.copies)
        done = len(self.copies) - len(self.left)
        summary = (f"{'would merge' if self.dry_run else 'merged'} {done} conflict cop{'y' if done == 1 else 'ies'} "
                   f"({_lines(lines)})")
        if self.left:
            summary += f"; {len(self.left)} left in place"
        return "\n".join([*(merged.describe(self.dry_run) for merged in self.copies), summary])


def merge_conflict_copies(logs_dir: Path, host: str | None, *, dry_run: bool = False) -> MergeResult:
    """Merge every conflict copy of a log file in `logs_dir` into this machine's own files
    (`host`: the HOST of its `DAY.HOST.jsonl`, None for plain day files). Raises OSError."""
    result = MergeResult(logs_dir, dry_run)
    for pending in pending_copies(logs_dir):
        own = daily_log_path(logs_dir, pending.copy.day, host)
        if dry_run:
            renamed = None if pending.error else merged_name(pending.copy.path)
        else:
            renamed = _merge_one(pending, own)
        result.copies.append(MergedCopy(pending, own, renamed))
    return result


def _merge_one(pending: PendingCopy, own: Path) -> Path | None:
    copy = pending.copy.path
    if pending.lines:
        append_whole(own, b"".join(pending.lines))
        step(f"merge: {copy.name} appended to {own.name}")
    if pending.error:
        return None
    target = merged_name(copy)
    os.rename(copy, target)
    sync_folder(copy.parent)
    step(f"merge: {copy.name} renamed")
    return target


def merged_name(copy: Path) -> Path:
    """`NAME.merged`, or `NAME.2.merged` … when a copy of the same name was merged before (iCloud
    names the next conflict `NAME 2.jsonl` again)."""
    target = copy.with_name(copy.name + MERGED_SUFFIX)
    number = 1
    while target.exists():
        number += 1
        target = copy.with_name(f"{copy.name}.{number}{MERGED_SUFFIX}")
    return target


def append_whole(path: Path, lines: bytes) -> None:
    """Append `lines` in one write and make them durable before anything else happens; a file left
    ending in half a line by a crashed writer gets a newline first, so no line is glued to it."""
    descriptor = os.open(path, _APPEND_FLAGS, 0o644)
    try:
        if ends_mid_line(descriptor, os.fstat(descriptor).st_size):
            lines = b"\n" + lines
        written = os.write(descriptor, lines)
        if written != len(lines):
            raise OSError(f"short write to {path} ({written} of {len(lines)} bytes; is the disk full?)")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

