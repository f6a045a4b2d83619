"""Per-log-file fold results kept on disk, so a warm run re-reads only the files that changed.

An entry is valid only for the exact file it was made from (size, mtime, ctime, inode) and for the
exact pricing and time zone it was made with (the folder's fingerprint); anything else is a miss.
Deleting the cache never changes a result, it only costs the time to fold again.
"""

# Annotations are plain expressions here (no `from __future__ import annotations`): msgspec would
# compile each field's annotation string into a ForwardRef on first use, milliseconds of every run.

import datetime as dt
import os
from array import array
from collections.abc import Mapping, Sequence
from pathlib import Path

import msgspec
from msgspec.structs import astuple

from vaultledger._digest import text_digest
from vaultledger import __version__
from vaultledger.ledger.usage import GroupKey, LargeCall, Sums, Usage
from vaultledger._fs import atomic_write_bytes
from vaultledger.ledger.entries import PackWriter, entry_bytes, pack_name, read_pack
from vaultledger.ledger.verdicts import Signature, VerdictCache
from vaultledger.pricing import GENAI_PRICES_VERSION, PriceOverride
from vaultledger.ledger.files import LineProblem, ReadStats
from vaultledger.ledger.ids import decode_ids, digest_numbers, encode_ids, id_digests

# 11: digests and resume points of folds, large calls, tier fallbacks, guessed providers, every unit priced.
# 12: unit ids as a list of blobs, so merged spans are kept without decoding them.
# 13: that list as one undecoded value (msgspec.Raw), read only when unit ids are asked for; verdicts
#     on pairs of files kept by month.
# 14: packed folds keep no ids (None): a later run that must compare one reads its file again.
# 15: a span's unit ids as one bin, skipped in one step (see _CachedMonth).
# 16: a fold keeps the neighbouring files its ids were found to share none with (FileFold.clear_of).
CACHE_FORMAT = 16

Counts = tuple[int, int, int, int, int, int]  # ReadStats.counts()


class _CachedDay(msgspec.Struct, array_like=True, gc=False):
    day: dt.date
    groups: list[tuple[GroupKey, Sums]]
    units: msgspec.Raw  # an array of msgpack blobs of {use case: [unit ids]}, decoded only if asked for
    large_calls: list[LargeCall] = []


class _CachedFold(msgspec.Struct, gc=False):
    path: str
    signature: Signature | None  # None only in transit from a worker: never stored
    days: list[_CachedDay]
    stats: Counts
    problems: list[tuple[str, int, str]]
    ids: bytes | None = b""  # None: not kept (see FileFold.ids_kept)
    digests: bytes = b""
    resume: tuple[int, int, bytes] | None = None
    clear_of: dict[str, Signature] = {}


class _CachedFileStats(msgspec.Struct, array_like=True, gc=False):
    path: str
    day: dt.date
    stats: Counts
    problems: list[tuple[str, int, str]]


class _CachedMonth(msgspec.Struct, gc=False):
    """A whole month merged, valid while every file that can hold its days is unchanged."""

    month: str
    signatures: dict[str, Signature | None]
    groups: list[tuple[GroupKey, Sums]]
    # The array of unit-id blobs wrapped in one bin, decoded as a view: a settled year's 3 MB are then
    # passed over in one step, where skipping its 700 blobs touched every page of a mapped entry.
    units: memoryview
    files: list[_CachedFileStats]
    large_calls: list[LargeCall] = []


_decode_month = msgspec.msgpack.Decoder(_CachedMonth).decode
_decode_entry = msgspec.msgpack.Decoder(_CachedFold).decode
_encode_entry = msgspec.msgpack.Encoder().encode


class Resume(msgspec.Struct, frozen=True):  # a Struct: a NamedTuple class costs 0.3 ms to make
    """Where a fold of a growing file stopped: the end of its last complete line, the number of the
    next line, and the file's first bytes then (a file whose first bytes changed was replaced)."""

    offset: int
    line: int
    head: bytes


class FileFold(msgspec.Struct):
    """What one log file contributes: usage per local day, what reading it saw, the record ids it
    holds (to find the same id in a neighbouring file), and where a later read may go on from."""

    days: dict[dt.date, Usage]
    stats: ReadStats
    # The ids themselves, where this process folded the file; encoded only when cached or sent.
    id_set: set[str] | None = None
    resume: Resume | None = None  # None: the file must be folded whole again when it changes
    encoded_ids: bytes | None = None  # msgpack of the ids
    encoded_digests: bytes | None = None  # id_digests of the ids
    # False for a fold kept without its ids (an old day's, packed): the few later runs that must
    # compare it with a neighbour read its file again for them (duplicates.counted_ids).
    ids_kept: bool = True
    # Neighbouring files (by name, as they were then) that hold none of its ids: found by a scan
    # (duplicates.py), kept with the fold, valid while the neighbour is unchanged.
    clear_of: dict[str, Signature] = {}
    # Of a fold continued with new lines: the ids they brought, and the neighbours the fold it went on
    # from was clear of. Only those ids need comparing with such a neighbour (a day's whole set did,
    # on every run, which made a warm report's time grow with the size of the day being logged to).
    gained_ids: list[str] | None = None
    clear_before: dict[str, Signature] = {}

    def __eq__(self, other: object) -> bool:  # the ids as encoded, not as a set this process may lack
        if not isinstance(other, FileFold):
            return NotImplemented
        return ((self.days, self.stats, self.resume, self.encoded_ids, self.encoded_digests, self.ids_kept)
                == (other.days, other.stats, other.resume, other.encoded_ids, other.encoded_digests, other.ids_kept))

    @property
    def has_ids(self) -> bool:
        """Whether the fold holds its ids (`id_strings` answers without reading the file again)."""
        return self.ids_kept or self.id_set is not None

    def __repr__(self) -> str:  # the ids would be megabytes
        return f"FileFold(days={self.days!r}, stats={self.stats!r}, resume={self.resume!r})"

    @property
    def ids(self) -> bytes:
        if self.encoded_ids is None:
            self.encoded_ids = encode_ids(self.id_set) if self.id_set else b""
        return self.encoded_ids

    @property
    def digests(self) -> bytes:
        if self.encoded_digests is None:
            self.encoded_digests = id_digests(self.id_set or ())
        return self.encoded_digests

    def id_strings(self) -> set[str]:
        if not self.has_ids:
            raise LookupError("a fold kept without its ids: read them from its file (duplicates.counted_ids)")
        if self.id_set is None:
            self.id_set = decode_ids(self.ids) if self.ids else set()
        return self.id_set

    def digest_set(self) -> set[int] | None:
        """The ids' digests; None where a fold came without them (from a worker, with no cache)."""
        digests = self.digest_array()
        return None if digests is None else set(digests)

    def digest_array(self) -> "array[int] | None":
        """The ids' digests as they are stored, for a set to be checked against without making a
        second set; None where a fold came without them."""
        if not self.has_ids or (self.encoded_digests == b"" and self.ids):
            return None
        return digest_numbers(self.digests)


def file_signature(path: Path | str) -> Signature | None:
    """Changes whenever the file is appended to, rewritten, replaced or touched."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def fingerprint(tz: str, overrides: Sequence[PriceOverride]) -> str:
    """Everything besides the file itself that decides a fold's numbers."""
    material = repr((CACHE_FORMAT, __version__, GENAI_PRICES_VERSION, tz, sorted(map(repr, overrides))))
    return text_digest(material)


class FoldCache:
    """Fold results under `cache_dir/folds/<fingerprint>/`: `<log file name>.msgpack` each, or in
    their month's pack (`folds-YYYY-MM.msgpack`, see entries.py) when stored `packed`."""

    def __init__(self, cache_dir: Path, print_: str) -> None:
        self.folder = cache_dir / "folds" / print_
        self.verdicts = VerdictCache(self.folder)
        self._packs = PackWriter(self.folder)
        self._last_pack: tuple[str, dict[str, msgspec.Raw]] = ("", {})  # the pack read last

    def holds_nothing(self) -> bool:
        """Whether nothing was ever kept here (no folder yet: a first run, new prices or a new zone),
        so that a cold run need not look for an entry per file (half a millisecond a month of files)."""
        return not self.folder.is_dir()

    def load(self, path: Path, signature: Signature | None) -> FileFold | None:
        entry = self._entry(path, signature, grown=False) if signature is not None else None
        return None if entry is None else _fold_from_entry(entry)

    def load_or_grown(self, path: Path, signature: Signature | None) -> tuple[FileFold | None, bool]:
        """The file's fold and True if kept for the file as it is; else, with False, the fold of a
        file that has only grown since (same inode, no shorter than where the fold stopped), to be
        continued with `continue_fold`, or None."""
        entry = self._entry(path, signature, grown=True) if signature is not None else None
        return (None, False) if entry is None else (_fold_from_entry(entry), entry.signature == signature)

    def _entry(self, path: Path, signature: Signature, grown: bool) -> _CachedFold | None:
        """The entry kept for the file as it is, in its own file or its month's pack; with `grown`, else
        the newest entry kept for it if the file has only grown since. The newest is its own file's
        where there is one: packing a fold removes the file's own entry, so an own entry is younger
        than the pack's (whose older resume point, in a file edited in place, could lie)."""
        own, packed = self._own_entry(path), None
        if own is None or own.signature != signature:
            packed = self._packed_entry(path)
            if packed is not None and packed.signature == signature:
                return packed
        newest = own or packed
        if newest is None or not (newest.signature == signature or (grown and _grown_into(newest, signature))):
            return None
        return newest

    def _own_entry(self, path: Path) -> _CachedFold | None:
        try:
            entry = _decode_entry((self.folder / f"{path.name}.msgpack").read_bytes())
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None  # a missing, old or damaged entry is just a miss
        return entry if entry.path == str(path) else None

    def _packed_entry(self, path: Path) -> _CachedFold | None:
        pack = pack_name(path)
        raw = self._pack(pack).get(path.name) if pack else None
        try:
            entry = None if raw is None else _decode_entry(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        return entry if entry is not None and entry.path == str(path) else None

    def _pack(self, name: str) -> dict[str, msgspec.Raw]:
        if self._last_pack[0] != name:
            self._last_pack = (name, read_pack(self.folder / name))
        return self._last_pack[1]

    def store(self, path: Path, signature: Signature | None, fold: FileFold, encoded: bytes | None = None,
              packed: bool = False) -> None:
        """Keep a fold; `encoded` is its encode_fold(path, signature, fold, keep_ids=not packed) when
        already made. A fold stored `packed` goes into its month's pack without its ids, written by
        `flush` (or once a fold of another month is stored packed): folds are stored so in day order,
        a month at a time."""
        if signature is None:
            return
        pack = pack_name(path) if packed else None
        try:
            # No fsync: an entry lost or emptied by a crash is a miss, folded again.
            entry = encoded or encode_fold(path, signature, fold, keep_ids=not packed)
            if pack is not None:
                self._packs.add(pack, path.name, entry, self.folder / f"{path.name}.msgpack")
                self._last_pack = ("", {})
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.folder / f"{path.name}.msgpack", entry, durable=False)
        except (OSError, OverflowError, msgspec.EncodeError):
            pass  # a read-only or full cache folder only makes the next run slower

    def flush(self) -> None:
        """Write the folds stored packed and not written yet."""
        self._packs.close()
        self._last_pack = ("", {})

    def load_month(
        self, month: str, signatures: dict[str, Signature | None], paths: Mapping[str, Path] | None = None
    ) -> tuple[Usage, list[tuple[Path, dt.date, ReadStats]]] | None:
        """The merged usage of a month and its files' read stats, if no file changed since. `paths` are
        the files as listed now, by name: entries are matched by name (as their signatures are), so a
        logs folder reached by another path (a symlink, a moved vault) keeps its entries."""
        try:
            entry = _decode_month(entry_bytes(self.folder / f"month-{month}.msgpack"))
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None
        if entry.signatures != signatures or None in signatures.values():
            return None
        usage = Usage(dict(entry.groups), large_calls=entry.large_calls)
        usage.add_encoded_units(msgspec.Raw(entry.units))
        known = paths or {}
        # A settled year lists some 340 files here on every warm run: the name is cut off by hand
        # (str(path) joined it with os.sep) and a file without problems skips the problem list.
        files = [(known.get(item.path.rpartition(os.sep)[2]) or Path(item.path), item.day,
                  _stats(item.stats, item.problems) if item.problems else ReadStats(*item.stats))
                 for item in entry.files]
        return usage, files

    def store_month(
        self, month: str, signatures: dict[str, Signature | None], usage: Usage,
        files: list[tuple[Path, dt.date, ReadStats]],
    ) -> None:
        if None in signatures.values():
            return
        cached_files = [_CachedFileStats(str(path), day, *_plain_stats(stats)) for path, day, stats in files]
        entry = _CachedMonth(month, signatures, list(usage.groups.items()), memoryview(_raw_units(usage)),
                             cached_files, usage.large_calls)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.folder / f"month-{month}.msgpack", _encode_entry(entry), durable=False)
        except (OSError, OverflowError, msgspec.EncodeError):
            pass


def _grown_into(entry: _CachedFold, signature: Signature) -> bool:
    """Whether the file the entry was made from has only grown since: the same inode, no shorter than
    where its fold stopped (continue_fold checks its first bytes too)."""
    return (entry.signature is not None and entry.resume is not None and entry.signature[3] == signature[3]
            and signature[0] >= entry.resume[0])


def _plain_stats(stats: ReadStats) -> tuple[Counts, list[tuple[str, int, str]]]:
    return stats.counts(), [(str(problem.path), problem.line, problem.reason) for problem in stats.problems]


def _stats(counts: Counts, problems: list[tuple[str, int, str]]) -> ReadStats:
    return ReadStats(*counts, [LineProblem(Path(path), line, reason) for path, line, reason in problems])


def encode_fold(path: Path, signature: Signature | None, fold: FileFold, keep_ids: bool = True) -> bytes:
    """A fold as a cache entry: also how worker processes send folds back, which both beats
    pickling and lets the entry be stored as it arrived. An entry made without `keep_ids` holds
    neither the ids nor their digests: a year's ids were two thirds of its packed entries, which
    only a rare later run needs (one comparing an old file with a new or edited neighbour)."""
    return _encode_entry(_entry_from_fold(path, signature, fold, keep_ids))


def decode_fold(encoded: bytes) -> FileFold:
    return _fold_from_entry(_decode_entry(encoded))


def _entry_from_fold(path: Path, signature: Signature | None, fold: FileFold, keep_ids: bool) -> _CachedFold:
    days = [
        _CachedDay(day, list(usage.groups.items()), _raw_units(usage), usage.large_calls)
        for day, usage in sorted(fold.days.items())
    ]
    kept = keep_ids and fold.has_ids
    return _CachedFold(str(path), signature, days, *_plain_stats(fold.stats), fold.ids if kept else None,
                       fold.digests if kept else b"", astuple(fold.resume) if fold.resume else None,
                       fold.clear_of if kept else {})


def _raw_units(usage: Usage) -> msgspec.Raw:
    return msgspec.Raw(_encode_entry(usage.encoded_units()))


def _fold_from_entry(entry: _CachedFold) -> FileFold:
    days = {}
    for cached in entry.days:
        usage = Usage(dict(cached.groups), large_calls=cached.large_calls)
        # A copy of its own: the Raw would otherwise keep the whole entry alive, ids included (a cold
        # year's folds held that way took 160 MB at 5M calls instead of 90).
        usage.add_encoded_units(cached.units.copy())
        days[cached.day] = usage
    resume = Resume(*entry.resume) if entry.resume else None
    return FileFold(days, _stats(entry.stats, entry.problems), None, resume, entry.ids or b"", entry.digests,
                    ids_kept=entry.ids is not None, clear_of=entry.clear_of)
