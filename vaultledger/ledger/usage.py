"""What a day's or a period's calls add up to: groups of calls sharing a key, with their token sums and cost.

A day is kept as a handful of groups (one per provider, model, tier, project, use case, app and
tags combination) rather than as records, so weeks and quarters are sums of small tables.
"""

# Annotations are plain expressions here (no `from __future__ import annotations`): msgspec would
# compile each field's annotation string into a ForwardRef on first use, milliseconds of every run.

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

import msgspec
from msgspec.structs import astuple

from vaultledger.record.tiers import is_known_tier, tier_name
from vaultledger.record import RecordFields, UsageRecord

class GroupKey(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """What a group of calls shares; frozen and hashable, and stored as a plain array in the cache."""

    provider: str
    model: str
    service_tier: str | None
    project: str | None
    use_case: str | None
    app: str | None
    tags: tuple[str, ...]


# A call this big is most likely a mistake (SPEC §8's outliers): it still counts, and is named.
LARGE_CALL_TOKENS = 10**9
LARGE_CALL_COST = Decimal(1000)


class LargeCall(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """One call over LARGE_CALL_TOKENS tokens (input + output) or LARGE_CALL_COST dollars, kept
    with the day's usage so a report names it without reading the day's calls again."""

    provider: str
    id: str | None
    day: dt.date
    model: str
    tokens: int
    cost: Decimal | None

    def order(self) -> tuple[dt.date, int, str, str, str]:
        """By day, the biggest first."""
        return self.day, -self.tokens, self.provider, self.id or "", self.model


def is_large(tokens: int, cost: Decimal | None) -> bool:
    return tokens > LARGE_CALL_TOKENS or (cost is not None and cost > LARGE_CALL_COST)


_encode_units = msgspec.msgpack.Encoder().encode
_decode_units = msgspec.msgpack.Decoder(dict[str, list[str]]).decode
_decode_blobs = msgspec.msgpack.Decoder(list[bytes]).decode
class Sums(msgspec.Struct, array_like=True, gc=False):
    """Calls, tokens and the known cost of a set of calls; unpriced calls add no cost.

    The counts after `unpriced_calls` are SPEC §1's parts (1-hour cache writes, modalities) and
    web searches, in record.PART_FIELDS order; most calls carry none. `tier_fallback_calls` are the
    calls at a service tier the price data had no price for then, priced at the standard rate.
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
    tier_fallback_calls: int = 0
    guessed_provider_calls: int = 0  # calls whose provider vaultledger guessed (attrs.provider_guessed)

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

    def add(self, other: "Sums") -> None:
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
        self.tier_fallback_calls += other.tier_fallback_calls
        self.guessed_provider_calls += other.guessed_provider_calls

    def copy(self) -> "Sums":
        return msgspec.structs.replace(self)

    def as_dict(self) -> dict[str, int | Decimal]:
        return msgspec.structs.asdict(self)


class Usage:
    """Usage of one day or one period: groups of calls, and the output units per use case.

    Unit ids are only needed for cost-per-unit tables, so those read from the cache stay
    encoded until someone asks for `units`: as msgpack blobs of {use case: [ids]}, or as the cache
    entry's undecoded array of such blobs (msgspec.Raw: a year's report would copy megabytes).
    """

    __slots__ = ("groups", "_units", "_encoded_units", "large_calls")

    def __init__(self, groups: dict[GroupKey, Sums] | None = None, units: dict[str, set[str]] | None = None,
                 large_calls: list[LargeCall] | None = None) -> None:
        self.groups: dict[GroupKey, Sums] = {} if groups is None else groups
        self._units: dict[str, set[str]] = {} if units is None else units
        self._encoded_units: list[bytes | msgspec.Raw] = []
        self.large_calls: list[LargeCall] = [] if large_calls is None else large_calls

    @property
    def units(self) -> dict[str, set[str]]:
        while self._encoded_units:
            encoded = self._encoded_units.pop()
            if isinstance(encoded, msgspec.Raw):
                self._encoded_units.extend(_decode_blobs(encoded))
                continue
            for use_case, ids in _decode_units(encoded).items():
                self._units.setdefault(use_case, set()).update(ids)
        return self._units

    @units.setter
    def units(self, value: dict[str, set[str]]) -> None:
        self._units, self._encoded_units = value, []

    def add_encoded_units(self, encoded: list[bytes] | msgspec.Raw) -> None:
        if isinstance(encoded, msgspec.Raw):
            self._encoded_units.append(encoded)
        else:
            self._encoded_units.extend(encoded)

    def encoded_units(self) -> list[bytes]:
        """The unit ids as msgpack blobs of {use case: [ids]}: those still encoded pass on as they are, so
        keeping a merged span decodes no id; ids in sets are encoded in no set order (sorting them cost
        more than all the rest)."""
        blobs: list[bytes] = []
        for encoded in self._encoded_units:
            blobs.extend(_decode_blobs(encoded) if isinstance(encoded, msgspec.Raw) else (encoded,))
        return [*blobs, _encode_units(self._units)] if self._units else blobs

    def _merge_all_but_groups(self, other: "Usage") -> None:
        """Another Usage's unit ids and large calls (merge_days adds up the groups)."""
        self._encoded_units.extend(other._encoded_units)
        self.large_calls.extend(other.large_calls)
        for use_case, units in other._units.items():
            self._units.setdefault(use_case, set()).update(units)

    def __getstate__(self) -> tuple[dict[GroupKey, Sums], list[bytes], list[LargeCall]]:
        # Worker processes send folds back pickled: one msgpack blob beats thousands of strings.
        return self.groups, self.encoded_units(), self.large_calls

    def __setstate__(self, state: tuple[dict[GroupKey, Sums], list[bytes], list[LargeCall]]) -> None:
        self.groups, self._units, self._encoded_units, self.large_calls = state[0], {}, list(state[1]), state[2]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Usage) and self.groups == other.groups and self.units == other.units
                and sorted(self.large_calls, key=LargeCall.order) == sorted(other.large_calls, key=LargeCall.order))

    def __repr__(self) -> str:
        return f"Usage(groups={self.groups!r}, units={self.units!r}, large_calls={self.large_calls!r})"

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

    def tier_fallbacks(self) -> list[tuple[str, str, int]]:
        """(`provider/model`, tier, calls) for calls priced at the standard rate because the price data
        has no price for their tier at their date (SPEC §3), most calls first."""
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for key, sums in self.groups.items():
            if sums.tier_fallback_calls:
                counts[(f"{key.provider}/{key.model}", tier_name(key.service_tier))] += sums.tier_fallback_calls
        return sorted(((model, tier, calls) for (model, tier), calls in counts.items()),
                      key=lambda row: (-row[2], row[0], row[1]))

    def guessed_providers(self) -> dict[str, int]:
        """Calls per `provider/model` whose provider vaultledger guessed from the body (SPEC §1)."""
        counts: dict[str, int] = defaultdict(int)
        for key, sums in self.groups.items():
            if sums.guessed_provider_calls:
                counts[f"{key.provider}/{key.model}"] += sums.guessed_provider_calls
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

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


def merge_days(days: Iterable[Usage]) -> Usage:
    """One Usage for many days (a new one: none of `days` is changed).

    Each group's sums are gathered first and added up column by column in C: adding them one Sums at
    a time, field by field, took twice as long (a cold year merges its days into blocks after the
    workers are done, with nothing else to run alongside)."""
    total = Usage()
    gathered: dict[GroupKey, list[Sums]] = {}
    for usage in days:
        for key, sums in usage.groups.items():
            listed = gathered.get(key)
            if listed is None:
                gathered[key] = [sums]
            else:
                listed.append(sums)
        total._merge_all_but_groups(usage)
    total.groups = {key: listed[0].copy() if len(listed) == 1 else Sums(*map(sum, zip(*map(astuple, listed))))
                    for key, listed in gathered.items()}
    return total
