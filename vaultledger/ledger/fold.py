"""Fold records into per-day usage groups, and groups into totals per period and dimension.

A day is kept as a handful of groups (one per provider, model, tier, project, use case, app and
tags combination) rather than as records, so weeks and quarters are sums of small tables and a
price is applied once per group where the price is linear in tokens.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import repeat
from operator import add, attrgetter, methodcaller

import msgspec

from vaultledger.pricing import VARIES, Price, PriceBook
from vaultledger.record import (
    Batch, RecordFields, UsageRecord, cache_read_tokens_of, cache_write_tokens_of, cost_usd_of, input_tokens_of, output_tokens_of,
    reasoning_tokens_of,
)

class GroupKey(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """What a group of calls shares; frozen and hashable, and stored as a plain array in the cache."""

    provider: str
    model: str
    service_tier: str | None
    project: str | None
    use_case: str | None
    app: str | None
    tags: tuple[str, ...]


_encode_units = msgspec.msgpack.Encoder().encode
_decode_units = msgspec.msgpack.Decoder(dict[str, list[str]]).decode
_TS = attrgetter("ts")
_DATE = methodcaller("date")
_UNKNOWN = object()
_ANY_BATCH = Batch([])  # records added one by one: nothing known about them
# A batch spanning more days than this (a file not named for a day) finds each call's day on its own.
MAX_SPLIT_DAYS = 7
# Offsets change at most twice a year, never twice within hours, so probing this often finds any change.
OFFSET_PROBE_STEP = dt.timedelta(hours=6)


class Sums(msgspec.Struct, array_like=True, gc=False):
    """Calls, tokens and the known cost of a set of calls; unpriced calls add no cost.

    The counts after `unpriced_calls` are SPEC §1's parts (1-hour cache writes, modalities) and
    web searches, in record.PART_FIELDS order; most calls carry none.
    """

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost: Decimal = Decimal(0)
    unpriced_calls: int = 0
    cache_write_1h_tokens: int = 0
    input_audio_tokens: int = 0
    input_image_tokens: int = 0
    input_video_tokens: int = 0
    cache_read_audio_tokens: int = 0
    output_audio_tokens: int = 0
    output_image_tokens: int = 0
    web_search_requests: int = 0

    def add_records(self, records: Sequence[RecordFields]) -> None:
        """Add many calls' counts at once."""
        self.calls += len(records)
        for record in records:
            self.input_tokens += record.input_tokens
            self.output_tokens += record.output_tokens
            self.cache_read_tokens += record.cache_read_tokens
            self.cache_write_tokens += record.cache_write_tokens
            self.reasoning_tokens += record.reasoning_tokens
            self.add_extras(record)

    def add_extras(self, record: RecordFields) -> None:
        """A call's parts and web searches (zero for most calls)."""
        self.cache_write_1h_tokens += record.cache_write_1h_tokens
        self.input_audio_tokens += record.input_audio_tokens
        self.input_image_tokens += record.input_image_tokens
        self.input_video_tokens += record.input_video_tokens
        self.cache_read_audio_tokens += record.cache_read_audio_tokens
        self.output_audio_tokens += record.output_audio_tokens
        self.output_image_tokens += record.output_image_tokens
        self.web_search_requests += record.web_search_requests

    def add(self, other: Sums) -> None:
        self.calls += other.calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_read_tokens += other.cache_read_tokens
        self.cache_write_tokens += other.cache_write_tokens
        self.reasoning_tokens += other.reasoning_tokens
        self.cost += other.cost
        self.unpriced_calls += other.unpriced_calls
        self.cache_write_1h_tokens += other.cache_write_1h_tokens
        self.input_audio_tokens += other.input_audio_tokens
        self.input_image_tokens += other.input_image_tokens
        self.input_video_tokens += other.input_video_tokens
        self.cache_read_audio_tokens += other.cache_read_audio_tokens
        self.output_audio_tokens += other.output_audio_tokens
        self.output_image_tokens += other.output_image_tokens
        self.web_search_requests += other.web_search_requests

    def copy(self) -> Sums:
        return msgspec.structs.replace(self)

    def as_dict(self) -> dict[str, int | Decimal]:
        return msgspec.structs.asdict(self)


class Usage:
    """Usage of one day or one period: groups of calls, and the output units per use case.

    Unit ids are only needed for cost-per-unit tables, so those read from the cache stay
    encoded until someone asks for `units`.
    """

    __slots__ = ("groups", "_units", "_encoded_units")

    def __init__(self, groups: dict[GroupKey, Sums] | None = None, units: dict[str, set[str]] | None = None) -> None:
        self.groups: dict[GroupKey, Sums] = {} if groups is None else groups
        self._units: dict[str, set[str]] = {} if units is None else units
        self._encoded_units: list[bytes] = []

    @property
    def units(self) -> dict[str, set[str]]:
        while self._encoded_units:
            for use_case, ids in _decode_units(self._encoded_units.pop()).items():
                self._units.setdefault(use_case, set()).update(ids)
        return self._units

    @units.setter
    def units(self, value: dict[str, set[str]]) -> None:
        self._units, self._encoded_units = value, []

    def add_encoded_units(self, encoded: bytes) -> None:
        self._encoded_units.append(encoded)

    def encoded_units(self) -> bytes:
        return _encode_units(self.units)  # sets as arrays, in no set order: sorting cost more than all the rest

    def merge(self, other: Usage) -> None:
        for key, sums in other.groups.items():
            mine = self.groups.get(key)
            if mine is None:
                self.groups[key] = sums.copy()
            else:
                mine.add(sums)
        self._encoded_units.extend(other._encoded_units)
        for use_case, units in other._units.items():
            self._units.setdefault(use_case, set()).update(units)

    def __getstate__(self) -> tuple[dict[GroupKey, Sums], bytes]:
        # Worker processes send folds back pickled: one msgpack blob beats thousands of strings.
        return self.groups, self.encoded_units()

    def __setstate__(self, state: tuple[dict[GroupKey, Sums], bytes]) -> None:
        self.groups, self._units, self._encoded_units = state[0], {}, [state[1]]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Usage) and self.groups == other.groups and self.units == other.units

    def __repr__(self) -> str:
        return f"Usage(groups={self.groups!r}, units={self.units!r})"

    def totals(self) -> Sums:
        total = Sums()
        for sums in self.groups.values():
            total.add(sums)
        return total

    def by(self, dimension: str) -> list[tuple[str | None, Sums]]:
        """Rows for one dimension, most expensive first (then most calls, then name)."""
        rows: dict[str | None, Sums] = {}
        for key, sums in self.groups.items():
            for value in dimension_values(key, dimension):
                rows.setdefault(value, Sums()).add(sums)
        return sorted(rows.items(), key=lambda row: (-row[1].cost, -row[1].calls, str(row[0])))

    def unpriced_models(self) -> dict[str, int]:
        """`provider/model` → unpriced calls, for the "unpriced" line every report carries."""
        counts: dict[str, int] = defaultdict(int)
        for key, sums in self.groups.items():
            if sums.unpriced_calls:
                counts[f"{key.provider}/{key.model}"] += sums.unpriced_calls
        return dict(sorted(counts.items()))

    def unknown_tier_calls(self) -> int:
        """Calls whose service_tier is none of SPEC §1's words (they are priced as standard)."""
        return sum(sums.calls for key, sums in self.groups.items() if not is_known_tier(key.service_tier))

    def cost_per_unit(self) -> list[tuple[str, int, Sums]]:
        """(use case, distinct unit ids, sums of that use case) for use cases with units."""
        by_use_case = dict(self.by("use_case"))
        return [
            (use_case, len(units), by_use_case[use_case])
            for use_case, units in sorted(self.units.items())
            if units and use_case in by_use_case
        ]

    def is_empty(self) -> bool:
        return not self.groups


# SPEC §1: the tiers, and the providers' own words for the standard one.
KNOWN_TIERS = frozenset({"standard", "batch", "flex", "priority", "default", "auto", "on_demand", ""})


def is_known_tier(tier: str | None) -> bool:
    return tier is None or tier.strip().lower() in KNOWN_TIERS


def dimension_values(key: GroupKey, dimension: str) -> Iterator[str | None]:
    """The value(s) a group has for a dimension; a group with two tags counts under both."""
    if dimension == "tag":
        yield from key.tags or (None,)
    elif dimension == "project":
        yield key.project or key.app
    elif dimension == "model":
        yield key.model
    else:
        yield getattr(key, dimension)


def group_key(record: UsageRecord) -> GroupKey:
    return GroupKey(
        record.provider,
        record.model,
        record.service_tier,
        record.project,
        record.use_case,
        record.app,
        record.tags,
    )


class DayFolder:
    """Folds records into per-local-day Usage, pricing each group as cheaply as prices allow.

    `add_batch` groups calls by (day, group) and folds each group at once, so a whole file is priced with one
    price lookup per group; `add` takes a single record and gives the same result.
    """

    def __init__(self, book: PriceBook, tz: str) -> None:
        self.book = book
        self.zone = zoneinfo.ZoneInfo(tz)
        self.days: dict[dt.date, Usage] = {}
        # Calls below a price's first tier cost tokens × base rate, so their tokens can be summed
        # per (day, group, price) and priced once at the end.
        # Keyed by the price's identity: the book hands out one object per price, and hashing a
        # price's Decimals for every group would cost more than the pricing itself.
        self._linear: dict[tuple[dt.date, GroupKey, int], tuple[Price, Sums]] = {}
        # One price per (provider, model, tier, day): looking it up costs more than a small group.
        self._day_prices: dict[tuple[str, str, str | None, dt.date], object] = {}
        # What the batch being added holds: most carry no cost_usd at all, and knowing it once
        # spares every group a scan.
        self._batch = _ANY_BATCH
        # One GroupKey per distinct key: made once, hashed fast, and shared by every day's Usage.
        self._group_keys: dict[tuple, GroupKey] = {}

    def add(self, record: UsageRecord) -> None:
        self._batch = _ANY_BATCH
        day = record.ts.astimezone(self.zone).date()
        added = Sums(1, record.input_tokens, record.output_tokens, record.cache_read_tokens,
                     record.cache_write_tokens, record.reasoning_tokens)
        added.add_extras(record)
        units = {record.unit_id} if record.unit_id else set()
        self._add_group(day, self._usage_of(day), group_key(record), [record], added, units)

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
        groups, with_id = _group_calls(records, midnight, numbers, set() if ids is None else ids)
        for (number, *fields), (members, inputs, outputs, cache_reads, cache_writes, reasoning, units) in groups.items():
            day = first_day + dt.timedelta(days=number) if number else first_day
            added = Sums(len(members), inputs, outputs, cache_reads, cache_writes, reasoning)
            if batch.has_extras:
                for member in members:
                    added.add_extras(member)
            self._add_group(day, self._usage_of(day), self._group_key(tuple(fields)), members, added, units)
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

    def _group_key(self, fields: tuple) -> GroupKey:
        key = self._group_keys.get(fields)
        if key is None:
            key = self._group_keys[fields] = GroupKey(*fields)
        return key

    def _usage_of(self, day: dt.date) -> Usage:
        usage = self.days.get(day)
        if usage is None:
            usage = self.days[day] = Usage()
        return usage

    def _add_group(
        self, day: dt.date, usage: Usage, key: GroupKey, records: Sequence[RecordFields], added: Sums, units: set[str],
    ) -> None:
        """Calls that share a local day and a group key, with their token sums and unit ids."""
        sums = usage.groups.get(key)
        if sums is None:
            sums = usage.groups[key] = added  # the usual case in a batch: a group's first calls
        else:
            sums.add(added)
        if units:
            usage.units.setdefault(key.use_case or "", set()).update(units)
        price_key = (key.provider, key.model, key.service_tier, day)
        price = self._day_prices.get(price_key, _UNKNOWN)
        if price is _UNKNOWN:
            price = self._day_prices[price_key] = self.book.price_for_day(*price_key)
        if self._batch.has_costs or price is VARIES:
            self._price_mixed(day, key, sums, records, price, added)
        elif price is None:
            sums.unpriced_calls += added.calls
        else:
            self._price_records(day, key, sums, records, price, added)  # type: ignore[arg-type]

    def finish(self) -> dict[dt.date, Usage]:
        """Apply the pending linear prices and hand over the days."""
        for (day, key, _), (price, tokens) in self._linear.items():
            self.days[day].groups[key].cost += price.linear_cost(
                tokens.input_tokens, tokens.output_tokens, tokens.cache_read_tokens, tokens.cache_write_tokens,
                calls=tokens.calls,
            )
        self._linear.clear()
        return self.days

    def _price_mixed(
        self, day: dt.date, key: GroupKey, sums: Sums, records: Sequence[RecordFields], price: object, added: Sums
    ) -> None:
        """Calls that carry their own cost_usd, or whose price changes within the day."""
        if self._batch.has_costs:
            costs = list(map(cost_usd_of, records))
            sums.cost += sum((cost for cost in costs if cost is not None), Decimal(0))
            records = [record for record in records if record.cost_usd is None]
        if not records:
            return
        if price is VARIES:
            for record in records:
                price_now = self.book.price_for(record.provider, record.model, record.ts, record.service_tier)
                self._price_records(day, key, sums, [record], price_now, None)
        else:
            whole = added if len(records) == added.calls else None
            self._price_records(day, key, sums, records, price, whole)  # type: ignore[arg-type]

    def _price_records(
        self, day: dt.date, key: GroupKey, sums: Sums, records: Sequence[RecordFields], price: Price | None,
        summed: Sums | None,
    ) -> None:
        """Price calls under one price; `summed` holds their token sums when already computed."""
        if price is None:
            sums.unpriced_calls += len(records)
            return
        tier = price.tiered_from
        if tier is not None and max(map(input_tokens_of, records)) >= tier:
            for record in records:
                if record.input_tokens >= tier:
                    sums.cost += price.cost(record.input_tokens, record.output_tokens,
                                            record.cache_read_tokens, record.cache_write_tokens)
            records, summed = [record for record in records if record.input_tokens < tier], None
        pending = self._linear.get((day, key, id(price)))
        if pending is None:
            tokens = summed.copy() if summed is not None else Sums()
            if summed is None:
                tokens.add_records(records)
            self._linear[(day, key, id(price))] = (price, tokens)
        elif summed is None:
            pending[1].add_records(records)
        else:
            pending[1].add(summed)  # only its tokens and calls are used


def _group_calls(
    records: Sequence[RecordFields], midnight: dt.datetime | None, day_numbers: Iterable[int], ids: set[str]
) -> tuple[dict[tuple, list], int]:
    """The records by (day number, provider, model, tier, project, use case, app, tags), each
    group as [records, input, output, cache read, cache write and reasoning tokens, unit ids];
    their ids go into `ids`, and how many carry one is returned too. A call's day number is
    its `day_numbers` entry, or 1 if at or after `midnight`.

    One plain loop: CPython reads a struct's field in a loop for a fraction of what a C-level
    map(attrgetter) costs per value, and a single pass touches each record once rather than
    once per field, which keeps a batch's records in cache.
    """
    groups: dict[tuple, list] = {}
    with_id = 0
    for record, number in zip(records, day_numbers):
        if midnight is not None and record.ts >= midnight:
            number = 1
        key = (number, record.provider, record.model, record.service_tier, record.project, record.use_case,
               record.app, record.tags)
        group = groups.get(key)
        if group is None:
            group = groups[key] = [[], 0, 0, 0, 0, 0, set()]
        group[0].append(record)
        group[1] += record.input_tokens
        group[2] += record.output_tokens
        group[3] += record.cache_read_tokens
        if record.cache_write_tokens:  # mostly 0: skipping beats making a new int for the same sum
            group[4] += record.cache_write_tokens
        if record.reasoning_tokens:
            group[5] += record.reasoning_tokens
        if record.unit_id:
            group[6].add(record.unit_id)
        if record.id:
            ids.add(record.id)
            with_id += 1
    return groups, with_id


def merge_days(days: Iterable[Usage]) -> Usage:
    """One Usage for many days (a new one: none of `days` is changed)."""
    total = Usage()
    for usage in days:
        total.merge(usage)
    return total
