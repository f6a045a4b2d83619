"""Fold records into per-day usage groups: one file's batches at a time, or record by record.

A price is applied once per group where the price is linear in tokens (see GroupPricer).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from collections.abc import Iterable, Sequence
from functools import partial
from itertools import repeat
from operator import add, attrgetter, methodcaller
from pathlib import Path

from msgspec.structs import astuple

from vaultledger.ledger.cache import FileFold, Resume
from vaultledger.ledger.ids import digests_of, extended_ids, id_digests
from vaultledger.ledger.batches import ReadPosition, read_batches, start_position
from vaultledger.ledger.files import NEIGHBOUR_DAYS, ReadStats, counted_records, file_day
from vaultledger.ledger.usage import (
    LARGE_CALL_COST, GroupKey, LargeCall, Sums, Usage, group_key, is_large, merge_days,
)
from vaultledger.ledger.groups import GroupCalls, group_calls
from vaultledger.ledger.pricer import GroupPricer, LaterPricer, Members, price_groups
from vaultledger.pricing import PriceBook
from vaultledger.record import RecordFields, UsageRecord
from vaultledger.record.batch import Batch

_TS = attrgetter("ts")
_INPUT = attrgetter("input_tokens")
_OUTPUT = attrgetter("output_tokens")
_DATE = methodcaller("date")
_ANY_BATCH = Batch([])  # records added one by one: nothing known about them
# A batch spanning more days than this (a file not named for a day) finds each call's day on its own.
MAX_SPLIT_DAYS = 7
HEAD_BYTES = 128  # enough to tell a replaced file from an appended one
# Offsets change at most twice a year, never twice within hours, so probing this often finds any change.
OFFSET_PROBE_STEP = dt.timedelta(hours=6)


class DayFolder:
    """Folds records into per-local-day Usage, pricing each group as cheaply as prices allow.

    `add_batch` groups calls by (day, group) and folds each group at once, so a whole file is priced with one
    price lookup per group; `add` takes a single record and gives the same result.
    """

    def __init__(self, book: PriceBook, tz: str, pricer: GroupPricer | LaterPricer | None = None) -> None:
        self.book = book
        self.zone = zoneinfo.ZoneInfo(tz)
        self.days: dict[dt.date, Usage] = {}
        self.pricer = pricer or GroupPricer(book)
        # What the batch being added holds: most carry no cost_usd at all, and knowing it once
        # spares every group a scan.
        self._batch = _ANY_BATCH
        # One GroupKey per distinct key: made once, hashed fast, and shared by every day's Usage.
        self._group_keys: dict[tuple, GroupKey] = {}
        self.large_from = candidate_tokens(book)

    def add(self, record: UsageRecord) -> None:
        self._batch = _ANY_BATCH
        day = record.ts.astimezone(self.zone).date()
        added = Sums(1, record.input_tokens, record.output_tokens, record.cache_read_tokens,
                     record.cache_write_tokens, record.reasoning_tokens)
        added.add_extras(record)
        units = {record.unit_id} if record.unit_id else set()
        self._add_group(day, self.usage_of(day), group_key(record), partial(list, (record,)), added, units,
                        record.input_tokens)
        if record.input_tokens + record.output_tokens > self.large_from or record.cost_usd is not None:
            _keep_large(self, [record])
        if record.attrs is not None:
            _count_guessed(self, [record])

    def add_all(self, records: Iterable[UsageRecord]) -> None:
        for record in records:
            self.add(record)

    def day_span(self, batch: Batch) -> tuple[dt.date, dt.date]:
        """The first and last local day of a non-empty batch."""
        assert batch.earliest is not None and batch.latest is not None
        return batch.earliest.astimezone(self.zone).date(), batch.latest.astimezone(self.zone).date()

    def add_batch(
        self, batch: Batch, span: tuple[dt.date, dt.date] | None = None, ids: set[str] | None = None
    ) -> int:
        """Many records at once: grouped by (day, key) in one pass over the records, then each
        group priced whole. Returns how many records carry an id; those ids are added to `ids`.

        `span` is the batch's `day_span` when the caller has computed it already.
        """
        records = batch.records
        if not records:
            return 0
        self._batch = batch
        first_day, last_day = span or self.day_span(batch)
        midnight: dt.datetime | None
        numbers: Iterable[int]
        if first_day == last_day:  # the usual file: every call on one local day
            midnight, numbers = None, repeat(0)
        else:
            midnight, numbers = self._day_numbers(batch, first_day, last_day)
        groups, with_id = group_calls(records, midnight, numbers, set() if ids is None else ids)
        largest = batch.largest_call
        if largest is None:
            largest = max(map(add, map(_INPUT, records), map(_OUTPUT, records)))
        members = GroupCalls(records, midnight, numbers)
        for group, (calls, inputs, outputs, cache_reads, cache_writes, reasoning, units) in groups.items():
            day = first_day + dt.timedelta(days=group[0]) if group[0] else first_day
            added = Sums(calls, inputs, outputs, cache_reads, cache_writes, reasoning)
            of_group = partial(members.of, group)
            if batch.has_extras:
                for member in of_group():
                    added.add_extras(member)
            self._add_group(day, self.usage_of(day), self.key_of(group[1:]), of_group, added, units, largest)
        if batch.has_costs or largest > self.large_from:
            _keep_large(self, records)  # rare: a batch with a call that may be an outlier
        if batch.has_attrs:
            _count_guessed(self, records)
        return with_id

    def _day_numbers(
        self, batch: Batch, first_day: dt.date, last_day: dt.date
    ) -> tuple[dt.datetime | None, Iterable[int]]:
        """Each record's local day, as days after `first_day`: for a batch over two days (the
        usual case where writers' offsets differ from ours), the midnight between them, which the
        fold compares each `ts` with as it goes; else a number per record."""
        midnights = self._midnights(batch, first_day, last_day)
        if midnights is not None and len(midnights) == 1:
            return midnights[0], repeat(0)
        stamps = list(map(_TS, batch.records))
        if midnights is None:
            # The zone's offset changes within the batch: each call's day is found on its own.
            days = map(_DATE, map(methodcaller("astimezone", self.zone), stamps))
            return None, [(day - first_day).days for day in days]
        numbers: list[int] = list(map(midnights[0].__le__, stamps))  # bools count as 0 and 1
        for midnight in midnights[1:]:
            numbers = list(map(add, numbers, map(midnight.__le__, stamps)))
        return None, numbers

    def _midnights(self, batch: Batch, first_day: dt.date, last_day: dt.date) -> list[dt.datetime] | None:
        """The local midnights after first_day up to last_day, to compare each `ts` with rather
        than converting every `ts`; None where the zone's offset changes within the batch,
        since local days then need not follow the order of instants."""
        assert batch.earliest is not None and batch.latest is not None
        if (last_day - first_day).days > MAX_SPLIT_DAYS:
            return None
        offset = batch.earliest.astimezone(self.zone).utcoffset()
        probe = batch.earliest
        while probe < batch.latest:
            probe = min(probe + OFFSET_PROBE_STEP, batch.latest)
            if probe.astimezone(self.zone).utcoffset() != offset:
                return None
        assert offset is not None
        zone, writer = dt.timezone(offset), batch.earliest.tzinfo
        # Written in the writer's offset (one shared tzinfo object per offset), a midnight
        # compares with most calls field by field, without working out either's UTC time.
        return [
            dt.datetime.combine(first_day + dt.timedelta(days=number), dt.time(0), zone).astimezone(writer)
            for number in range(1, (last_day - first_day).days + 1)
        ]

    def key_of(self, fields: tuple) -> GroupKey:
        key = self._group_keys.get(fields)
        if key is None:
            key = self._group_keys[fields] = GroupKey(*fields)
        return key

    def usage_of(self, day: dt.date) -> Usage:
        usage = self.days.get(day)
        if usage is None:
            usage = self.days[day] = Usage()
        return usage

    def _add_group(
        self, day: dt.date, usage: Usage, key: GroupKey, members: Members, added: Sums, units: set[str], largest: int,
    ) -> None:
        """Calls that share a local day and a group key: their sums, unit ids and a bound on their input tokens."""
        sums = usage.groups.get(key)
        if sums is None:
            sums = usage.groups[key] = added  # the usual case in a batch: a group's first calls
        else:
            sums.add(added)
        if units:
            usage.units.setdefault(key.use_case or "", set()).update(units)
        self.pricer.price(day, key, sums, members, added, self._batch.has_costs, largest)

    def finish(self) -> dict[dt.date, Usage]:
        """Apply the pending linear prices and hand over the days."""
        self.pricer.finish(self.days)
        return self.days


def _count_guessed(folder: DayFolder, records: Sequence[RecordFields]) -> None:
    """Count the calls whose provider capture guessed (attrs.provider_guessed) in their groups."""
    for record in records:
        if record.attrs and record.attrs.get("provider_guessed"):
            key = folder.key_of((record.provider, record.model, record.service_tier, record.project,
                                   record.use_case, record.app, record.tags))
            folder.usage_of(record.ts.astimezone(folder.zone).date()).groups[key].guessed_provider_calls += 1


def _keep_large(folder: DayFolder, records: Sequence[RecordFields]) -> None:
    """Keep the calls over LargeCall's limits with their day's usage (SPEC §8's outliers)."""
    if isinstance(folder.pricer, LaterPricer):
        folder.pricer.needs_calls = True  # telling them takes their prices
        return
    for record in records:
        tokens = record.input_tokens + record.output_tokens
        if tokens <= folder.large_from and record.cost_usd is None:
            continue
        cost = folder.book.cost_of(record).cost  # type: ignore[arg-type]
        if is_large(tokens, cost):
            day = record.ts.astimezone(folder.zone).date()
            folder.usage_of(day).large_calls.append(LargeCall(record.provider, record.id, day, record.model, tokens, cost))


def candidate_tokens(book: PriceBook) -> int:
    """Calls above this many tokens are priced one by one to see whether they are large (LargeCall).
    No bundled price reaches $1,000 per million tokens, so under a million tokens only an override that
    dear (or a call's own cost_usd) can make a call cost $1,000."""
    rates = (value for override in book.overrides for value in astuple(override) if isinstance(value, Decimal))
    return 0 if max(rates, default=Decimal(0)) >= LARGE_CALL_COST else 10**6


def fold_log_file(path: Path, book: PriceBook, tz: str) -> FileFold:
    """One file's usage per local day. Batches fold whole groups at a time; a file with duplicate
    ids, void lines or calls dated far from its own day (all rare) is folded record by record
    instead, by the rules every reader shares (`counted_records`)."""
    stats = ReadStats()
    folder = DayFolder(book, tz)
    position = start_position(path)
    seen: set[str] = set()
    if not _fold_on(path, folder, position, seen, stats):
        return _fold_carefully(path, book, tz)
    return FileFold(folder.finish(), stats, seen, _resume_at(path, position, stats))


def fold_unpriced(path: Path, book: PriceBook, tz: str) -> tuple[FileFold, int] | None:
    """`fold_log_file`'s fold without its costs, made where the price data is not loaded yet (a worker
    forked while its parent loads it), and the bound on its calls `price_unpriced` needs. None where
    only a fold with prices will do: the careful fold, calls with a cost_usd of their own or that
    may be large (SPEC §8's outliers), all rare. `book` is asked for its overrides only."""
    stats = ReadStats()
    pricer = LaterPricer()
    folder = DayFolder(book, tz, pricer)
    position = start_position(path)
    seen: set[str] = set()
    if not _fold_on(path, folder, position, seen, stats) or pricer.needs_calls:
        return None
    return FileFold(folder.finish(), stats, seen, _resume_at(path, position, stats)), pricer.largest


def price_unpriced(fold: FileFold, largest: int, book: PriceBook) -> FileFold | None:
    """A fold from `fold_unpriced` (`largest`: the bound it came with), priced: exactly the fold
    `fold_log_file` makes. None where the file must be folded again with prices (a price that changes
    within a day, or tiers its calls may reach); `fold` is used up either way."""
    return fold if price_groups(fold.days, book, largest) else None


def continue_fold(path: Path, fold: FileFold, book: PriceBook, tz: str, once: bool = False) -> FileFold | None:
    """`fold`, made when `path` was shorter, continued with the complete lines appended since: the
    same fold `fold_log_file` would make now, reading only the new lines. None where only a whole
    fold will do (the file was replaced or cut, or what arrived needs the careful fold). `fold` is
    used up: its id set grows, and its stats learn of a half-written line. With `once` (a fold from
    the cache, continued once by a command), ids it holds encoded stay so: the new ones are checked
    against the old ones' digests, which are decoded only where a digest matches (decoding them was
    0.7 ms of a warm report's 50). Watch mode, continuing a fold again and again, keeps the set."""
    resume = fold.resume
    if resume is None or not fold.has_ids:  # without its ids, a new line's could not be told apart
        return None
    head = file_head(path)
    if not head.startswith(resume.head) or _size(path) < resume.offset:
        return None
    folder = DayFolder(book, tz)
    position = ReadPosition(resume.offset, resume.line)
    stats = ReadStats()
    by_digest = once and fold.id_set is None and bool(fold.encoded_digests)
    ids = set() if by_digest else fold.id_strings()
    # The digests of the ids it had stay valid: only the new ids' are worked out (if it had any).
    digests = fold.encoded_digests if fold.encoded_digests or not ids else None
    fresh: list[str] = []
    listed = fresh if digests is not None else None  # without kept digests, all are digested on store
    if not _fold_on(path, folder, position, ids, stats, listed) or stats.truncated_files:
        return None
    if not stats.lines:
        fold.stats.partial_lines = stats.partial_lines  # no complete line arrived: the same fold
        return fold
    encoded_ids = None
    if by_digest:
        known = fold.digest_array()
        if known is None or not set(digests_of(fresh)).isdisjoint(known):
            old = fold.id_strings()  # a digest it has: the ids themselves decide
            if not old.isdisjoint(ids):
                return None
            ids |= old
        else:
            ids, encoded_ids = None, extended_ids(fold.ids, fresh)  # type: ignore[assignment]
    new = folder.finish()
    days = {day: merge_days([usage for usage in (fold.days.get(day), new.get(day)) if usage is not None])
            for day in fold.days.keys() | new.keys()}
    total = ReadStats()
    total.merge(fold.stats)
    total.partial_lines = 0  # the half line it saw has been read again, whole or still half
    total.merge(stats)
    # The neighbours the fold was clear of need only the new ids compared (duplicates.Seen).
    return FileFold(days, total, ids, _resume_at(path, position, stats), encoded_ids,
                    encoded_digests=None if digests is None else digests + id_digests(fresh),
                    gained_ids=None if listed is None else fresh,
                    clear_before={} if listed is None else dict(fold.clear_of))


def _fold_on(
    path: Path, folder: DayFolder, position: ReadPosition, ids: set[str], stats: ReadStats,
    fresh: list[str] | None = None,
) -> bool:
    """Fold the complete lines after `position` batch by batch; False where the careful fold must
    decide (a void line, a line outside the file's window, an id seen before). The ids folded are
    added to `ids`, and listed in `fresh` too when given."""
    window = day_window(path)
    for batch in read_batches(path, stats, position):
        if not batch.records:
            continue
        span = folder.day_span(batch)
        if batch.has_voids or not span_inside(span, window):
            return False
        before = len(ids)
        with_id = folder.add_batch(batch, span, ids)
        # Ids alone: a repeat (even under another provider, which the careful fold tells apart)
        # sends the file down the record-by-record path, and this folder is dropped.
        if len(ids) != before + with_id:
            return False
        if fresh is not None and with_id:
            fresh.extend(record.id for record in batch.records if record.id)
    return True


def _resume_at(path: Path, position: ReadPosition, stats: ReadStats) -> Resume | None:
    if path.name.endswith(".gz") or stats.truncated_files:
        return None  # an archive does not grow; a cut file is read whole again
    return Resume(position.offset, position.line, file_head(path))


def file_head(path: Path) -> bytes:
    """The first bytes of a file: if they change, the file was replaced rather than appended to."""
    try:
        with path.open("rb") as handle:
            return handle.read(HEAD_BYTES)
    except OSError:
        return b""


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _fold_carefully(path: Path, book: PriceBook, tz: str) -> FileFold:
    days, stats_by_path, ids = fold_jointly([path], book, tz)
    return FileFold(days, stats_by_path[path], ids)


def fold_jointly(
    paths: Sequence[Path], book: PriceBook, tz: str
) -> tuple[dict[dt.date, Usage], dict[Path, ReadStats], set[str]]:
    """Files that may share ids folded as one: each call counted once, as SPEC §2 says."""
    folder = DayFolder(book, tz)
    stats_by_path: dict[Path, ReadStats] = {}
    ids: set[str] = set()
    folder.add_all(counted_records(paths, folder.zone, stats_by_path, ids))
    for path in paths:
        stats_by_path.setdefault(path, ReadStats())
    return folder.finish(), stats_by_path, ids


def day_window(path: Path) -> tuple[dt.date, dt.date] | None:
    named = file_day(path)
    if named is None:
        return None
    return named - dt.timedelta(days=NEIGHBOUR_DAYS), named + dt.timedelta(days=NEIGHBOUR_DAYS)


def span_inside(span: tuple[dt.date, dt.date], window: tuple[dt.date, dt.date] | None) -> bool:
    return window is None or (window[0] <= span[0] and span[1] <= window[1])
