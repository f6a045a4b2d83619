"""Read a note, transform its text, and write it back atomically, only if it changed (SPEC §6).

The user may be typing in Obsidian while we write. So we never write identical bytes (mtime and sync
tools stay quiet), write through a temp file beside the note, and check right before `os.replace`
that the note on disk is still the one we read; if not, we start again from the user's new text.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vaultledger._fs import atomic_write_bytes
from vaultledger.errors import NoteError
from vaultledger.notes.splice import Splice

MAX_ATTEMPTS = 5

Transform = Callable[[str], str | Splice]


@dataclass(frozen=True)
class NoteUpdate:
    """What update_note did. `missing` means: no note and no create_text, so nothing was done."""

    path: Path
    changed: bool  # the note was (or, in a dry run, would be) written
    created: bool
    before: str | None  # None when the note did not exist
    after: str  # "" when missing
    warnings: list[str] = field(default_factory=list)
    missing: bool = False


@dataclass(frozen=True)
class _Snapshot:
    """The note as we read it, and how to tell whether it is still the same note."""

    data: bytes
    size: int
    mtime_ns: int
    digest: bytes


def _snapshot_of(data: bytes, status: os.stat_result) -> _Snapshot:
    return _Snapshot(data, status.st_size, status.st_mtime_ns, hashlib.sha256(data).digest())


def _read_snapshot(path: Path, label: str) -> _Snapshot | None:
    """The note's bytes and identity, or None if there is no note (also when a parent is not a folder)."""
    try:
        with open(path, "rb") as stream:
            status = os.fstat(stream.fileno())
            data = stream.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise NoteError(f"{label}: cannot read the note: {error.strerror or error}") from error
    return _snapshot_of(data, status)


def _still_as_read(path: Path, snapshot: _Snapshot | None) -> bool:
    """True when the note on disk is exactly what we read (size, mtime_ns and content hash)."""
    try:
        current = _read_snapshot(path, str(path))
    except NoteError:
        return False
    if snapshot is None or current is None:
        return snapshot is None and current is None
    return (current.size, current.mtime_ns, current.digest) == (snapshot.size, snapshot.mtime_ns, snapshot.digest)


def _decode(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8")  # not utf-8-sig: a BOM stays in the text, and so in the note
    except UnicodeDecodeError as error:
        raise NoteError(f"{label}: not UTF-8 text (byte {error.start}); vaultledger leaves it alone") from error


# ---------------------------------------------------------------- update_note


def _prefixed(label: str, message: str) -> str:
    # Splice messages start with a line number: "12: ..." becomes "Daily/2026-03-14.md:12: ...".
    return f"{label}:{message}" if message[:1].isdigit() else f"{label}: {message}"


def _apply(transform: Transform, text: str, label: str) -> tuple[str, list[str]]:
    try:
        result = transform(text)
    except NoteError as error:
        raise NoteError(_prefixed(label, str(error))) from error
    if isinstance(result, str):
        return result, []
    return result.text, [_prefixed(label, warning) for warning in result.warnings]


def _write_unless_changed(path: Path, text: str, snapshot: _Snapshot | None, label: str) -> bool:
    try:
        data = text.encode("utf-8")
        return atomic_write_bytes(path, data, before_replace=lambda: _still_as_read(path, snapshot))
    except (OSError, UnicodeEncodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise NoteError(f"{label}: cannot write the note: {reason}") from error


def update_note(
    path: Path,
    transform: Transform,
    *,
    create_text: str | None = None,
    dry_run: bool = False,
    label: str | None = None,
) -> NoteUpdate:
    """Apply `transform` to the note's text and write the result atomically if it differs.

    A missing note is created from `create_text` (then transformed); with `create_text=None` nothing
    happens and the result has `missing=True`. `transform` may return a str or a Splice (its warnings
    are passed on). NoteError from `transform`, from reading or writing, names the note (`label`,
    default the path). If the note changes on disk meanwhile, the work is redone on the new text.
    """
    label = label or str(path)
    for _attempt in range(MAX_ATTEMPTS):
        snapshot = _read_snapshot(path, label)
        if snapshot is None and create_text is None:
            return NoteUpdate(path, changed=False, created=False, before=None, after="", missing=True)
        before = None if snapshot is None else _decode(snapshot.data, label)
        source = before if before is not None else create_text or ""
        after, warnings = _apply(transform, source, label)
        if after == before:
            return NoteUpdate(path, changed=False, created=False, before=before, after=after, warnings=warnings)
        created = before is None
        if dry_run or _write_unless_changed(path, after, snapshot, label):
            return NoteUpdate(path, changed=True, created=created, before=before, after=after, warnings=warnings)
    raise NoteError(f"{label}: the note kept changing while vaultledger wrote it; nothing written, try again")
