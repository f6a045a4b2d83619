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

from vaultledger._fs import OutsideRootError, atomic_write_bytes, resolve_within
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
    read_only: bool = False  # the note would change, but has no write bit: left as it is


@dataclass(frozen=True)
class _Snapshot:
    """The note as we read it, and how to tell whether it is still the same note."""

    data: bytes
    size: int
    mtime_ns: int
    digest: bytes
    mode: int

    @property
    def read_only(self) -> bool:
        # Mode bits, not access(): root (as CI and some sync daemons run) may write anything, but a
        # note someone made read-only is one they want left alone.
        return not self.mode & 0o222


def _snapshot_of(data: bytes, status: os.stat_result) -> _Snapshot:
    return _Snapshot(data, status.st_size, status.st_mtime_ns, hashlib.sha256(data).digest(), status.st_mode)


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


def _check_inside(path: Path, root: Path, label: str) -> None:
    try:
        resolve_within(path, root)
    except OutsideRootError as error:
        raise NoteError(f"{label}: not written, since vaultledger never writes outside the vault: {error}") from None


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
    root: Path | None = None,
) -> NoteUpdate:
    """Apply `transform` to the note's text and write the result atomically if it differs.

    A missing note is created from `create_text` (then transformed); with `create_text=None` nothing
    happens and the result has `missing=True`. `transform` may return a str or a Splice (its warnings
    are passed on). NoteError from `transform`, from reading or writing, names the note (`label`,
    default the path). If the note changes on disk meanwhile, the work is redone on the new text.
    With `root` (the vault), a note whose real file lies outside it, or that is a dangling link, is
    refused with NoteError. A note without write bits that would change is left alone (`read_only`).
    """
    label = label or str(path)
    if root is not None:
        _check_inside(path, root, label)
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
        if snapshot is not None and snapshot.read_only:
            return NoteUpdate(path, changed=False, created=False, before=before, after=before or "",
                              warnings=warnings, read_only=True)
        if dry_run or _write_unless_changed(path, after, snapshot, label):
            return NoteUpdate(path, changed=True, created=created, before=before, after=after, warnings=warnings)
    raise NoteError(f"{label}: the note kept changing while vaultledger wrote it; nothing written, try again")
