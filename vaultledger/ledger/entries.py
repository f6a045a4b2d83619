"""Cache entry files: read whole or mapped, and a month's fold entries packed into one file.

A cold year stores hundreds of folds. Creating a file is the dear part of storing one (0.3-0.7 ms
on some file systems, against microseconds to write its bytes), so folds of days no longer being
logged to are kept by month, as a map of log file name to entry, and only the newest days'
folds, which later runs continue and rewrite, get files of their own.
"""

from __future__ import annotations

import datetime as dt
import mmap
import os
from collections.abc import Sequence
from pathlib import Path

import msgspec

from vaultledger._fs import atomic_write_bytes
from vaultledger.ledger.files import NEIGHBOUR_DAYS, file_day

# A read of fewer files than this keeps each fold in an entry of its own: adding them to their
# month's pack would rewrite the pack.
PACK_MIN_FILES = 8

_map_entries = False


def map_span_entries() -> None:
    """Let this process read span entries mapped rather than whole: a year's settled months are 3 MB,
    mostly unit ids a report does not ask for, and only the pages decoded are read (1.5 ms of a warm
    year). A mapped entry holds a file descriptor for as long as its usage lives, so only commands
    that exit within seconds ask for it (cli.fast: report and statusline). Not on Windows, which
    cannot replace a mapped file."""
    global _map_entries
    _map_entries = os.name != "nt"


def entry_bytes(path: Path) -> bytes | mmap.mmap:
    """An entry file's bytes (mapped, where this process asked for it). Raises OSError."""
    if not _map_entries:
        return path.read_bytes()
    with path.open("rb") as handle:
        try:
            # Entries are replaced, never rewritten in place: the mapping stays whole.
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped: a miss, as any unreadable entry
            return b""


_decode_pack = msgspec.msgpack.Decoder(dict[str, msgspec.Raw]).decode
_encode_pack = msgspec.msgpack.Encoder().encode


def near_the_newest(paths: Sequence[Path]) -> list[bool]:
    """Which of these files lie near the newest day among them (or are named for no day): those a
    later run continues as they grow, or compares with a new file. Their folds are kept apart, with
    their ids' digests; the others' are packed by month, without (a later run that needs those
    compares them on their ids: digesting a year's every id cost a seventh of a cold report)."""
    days = [file_day(path) for path in paths]
    newest = max(filter(None, days), default=None)
    if newest is None:
        return [True] * len(paths)
    recent = newest - dt.timedelta(days=2 * NEIGHBOUR_DAYS)
    return [day is None or day >= recent for day in days]


def pack_name(path: Path) -> str | None:
    """The pack a log file's fold may be kept in: its month's, if it is named for a day."""
    day = file_day(path)
    return None if day is None else f"folds-{day:%Y-%m}.msgpack"


def read_pack(path: Path) -> dict[str, msgspec.Raw]:
    """The entries of a pack by log file name; empty if it is missing or damaged."""
    try:
        return _decode_pack(entry_bytes(path))
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return {}


class PackWriter:
    """Collects fold entries and writes each month's into its pack, with the entries the pack held
    for other files, once the entries arrive for another month (files come in day order) or at
    `close`: a month's entries are held at a time, never a year's. A packed file's own entry file,
    left by an earlier run, is removed once the pack is written: where both exist, the own entry is
    the younger (see FoldCache._entry)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pack: str | None = None
        self._entries: dict[str, bytes] = {}
        self._replaced: list[Path] = []

    def add(self, pack: str, log_name: str, entry: bytes, own_entry: Path) -> None:
        if pack != self._pack:
            self.close()
            self._pack = pack
        self._entries[log_name] = entry
        self._replaced.append(own_entry)

    def close(self) -> None:
        pack, entries, replaced = self._pack, self._entries, self._replaced
        self._pack, self._entries, self._replaced = None, {}, []
        if pack is None or not entries:
            return
        target = self.folder / pack
        kept = read_pack(target)
        kept.update((name, msgspec.Raw(entry)) for name, entry in entries.items())
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # No fsync: a pack lost or emptied by a crash is a miss for each of its files.
            atomic_write_bytes(target, _encode_pack(kept), durable=False)
            for path in replaced:
                path.unlink(missing_ok=True)
        except (OSError, msgspec.EncodeError):
            pass  # a read-only or full cache folder only makes the next run slower
