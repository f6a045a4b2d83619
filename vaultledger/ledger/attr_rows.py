"""Each log file's usage by the values of one `attrs` key, kept beside the folds, so that a breakdown
by an attr (`report --by attr.KEY`) folds again only the files that changed (attrs are in no fold:
they would multiply the groups every entry keeps).

The rows of one key live in one file of the fold cache folder, `attrs-<digest of the key>.msgpack`:
for each log file (by name), the signature it had when read and its rows, (local day, value, sums) of
its own counted calls. They stand for the file only where it shares no id with a neighbour; the
caller reads such files' calls as their group counts them.
"""

# Annotations are plain expressions here (no `from __future__ import annotations`): msgspec would
# compile each field's annotation string into a ForwardRef on first use.

import datetime as dt
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import msgspec

from vaultledger._digest import text_digest
from vaultledger._fs import atomic_write_bytes
from vaultledger.ledger.cache import FoldCache, Signature
from vaultledger.ledger.files import counted_records
from vaultledger.ledger.fold import DayFolder
from vaultledger.ledger.usage import Sums
from vaultledger.pricing import PriceBook
from vaultledger.record import UsageRecord
from vaultledger.record.batch import batch_of

Rows = list[tuple[dt.date, str | None, Sums]]  # (local day, value, the sums of its calls that day)
# A file with more rows than this (an attr with a value per call, a request id) keeps none: its file of
# kept rows would grow as big as the logs, and read slower than folding the calls again.
MAX_KEPT_ROWS = 2000
ValueOf = Callable[[UsageRecord], "str | None"]


class _Kept(msgspec.Struct, array_like=True, gc=False):
    signature: tuple[int, int, int, int]
    rows: list[tuple[dt.date, str | None, Sums]]


_decode_kept = msgspec.msgpack.Decoder(dict[str, _Kept]).decode
_encode_kept = msgspec.msgpack.Encoder().encode


class KeptRows:
    """The rows of one attr key, as kept in `cache`'s folder (none kept without a cache)."""

    def __init__(self, cache: FoldCache | None, key: str) -> None:
        self.path = None if cache is None else cache.folder / f"attrs-{text_digest(key)}.msgpack"
        self._kept: dict[str, _Kept] = {}
        self._changed = False
        if self.path is not None:
            try:
                self._kept = _decode_kept(self.path.read_bytes())
            except (OSError, msgspec.DecodeError, msgspec.ValidationError):
                pass  # none kept yet, or a damaged file: every file's rows are worked out again

    def rows(self, path: Path, signature: Signature | None, work_out: Callable[[], Rows]) -> Rows:
        """The file's rows, kept for the file as `signature` says it is, else worked out (and kept)."""
        kept = self._kept.get(path.name)
        if kept is not None and signature is not None and kept.signature == signature:
            return kept.rows
        rows = work_out()
        if signature is not None and len(rows) <= MAX_KEPT_ROWS:
            self._kept[path.name] = _Kept(signature, rows)
            self._changed = True
        return rows

    def save(self) -> None:
        if self.path is None or not self._changed:
            return
        try:
            # No fsync: rows lost or emptied by a crash are worked out again.
            atomic_write_bytes(self.path, _encode_kept(self._kept), durable=False)
        except (OSError, msgspec.EncodeError):
            pass  # a read-only or full cache folder only makes the next breakdown slower
        self._changed = False


def file_rows(path: Path, tz: str, book: PriceBook, value_of: ValueOf) -> Rows:
    """The file's own counted calls (SPEC §2 applied within it), folded per value and local day with
    the fold's pricing: summed over files, the rows of folding all their calls at once."""
    by_value: dict[str | None, list[UsageRecord]] = {}
    for record in counted_records([path], zoneinfo.ZoneInfo(tz), {}):
        by_value.setdefault(value_of(record), []).append(record)
    rows: Rows = []
    for value, records in by_value.items():
        folder = DayFolder(book, tz)
        folder.add_batch(batch_of(records))
        rows.extend((day, value, usage.totals()) for day, usage in sorted(folder.finish().items()))
    return rows
