"""Many records at once: a JSON array decoded and checked in one pass, as parse_line checks one line.

A speed fence: the learned decoder lives here, behind parse_batch; the schema never sees it.
"""

# Annotations are plain expressions here (no `from __future__ import annotations`): msgspec would
# compile each field's annotation string into a ForwardRef on first use, milliseconds of every run.

import datetime as dt
import functools
from operator import attrgetter
from typing import Any, Literal, get_type_hints

import msgspec

from vaultledger.record import (
    FIRST_YEAR, LAST_YEAR, NORMAL_PROVIDER_SPELLINGS, PART_FIELDS, RecordFields, cost_usd_of, has_parts,
    normal_provider, normalise_provider, provider_of, sane_cost, subset_problem, ts_of,
)

class Known(msgspec.Struct, frozen=True):  # Structs: a NamedTuple class costs 0.3 ms to make
    """What the types of the decoder that decoded a batch guarantee of every record in it, which
    spares the checks that would otherwise find it out one record at a time."""

    no_costs: bool = False  # no cost_usd
    normal_providers: bool = False  # every provider already in its normal form
    named_models: bool = False  # no model is blank
    no_extras: bool = False  # no part counts and no web searches (SPEC §1's optional counts)
    no_attrs: bool = False


NOTHING_KNOWN = Known()


class _BatchDecoder:
    """Decodes a JSON array of records, learning the few values the group-key fields take.

    Once learned, those fields decode as Literals: msgspec then hands out one shared str per
    value instead of a new one per record, which saves the allocation and makes grouping hash
    each value once. Fields never seen set (cost_usd, service_tier, tags) decode as that one
    value, so batches need not be scanned for them; so do the optional counts (as 0) and attrs.
    A value not seen before fails that decoder, and the batch is decoded again with the plain
    types, which are always the authority on what is valid.
    """

    FIELDS = ("provider", "model", "service_tier", "project", "use_case", "app")
    MAX_VALUES = 256  # a field with more values than this stays a plain str
    MAX_RELEARNS = 64  # values trickling in forever should not cost a relearn per batch

    def __init__(self, learn_from: int = 512) -> None:
        # Learning makes a struct type and a decoder (about a millisecond): worth it for the batches of
        # a whole file, not for the few lines a warm run reads on from where a growing file was left.
        self.learn_from = learn_from
        self._plain = msgspec.json.Decoder(list[RecordFields])
        # The learned decoder and what it guarantees: one tuple, so a thread reading it never
        # pairs one generation's decoder with another's guarantees.
        self._literal: tuple[msgspec.json.Decoder[list[RecordFields]], Known] | None = None
        self._known: dict[str, frozenset[str]] = {name: frozenset() for name in self.FIELDS}
        self._seen: frozenset[str] = frozenset()  # of tags and cost_usd: those seen set
        self._relearns = 0

    def decode(self, text: bytes | bytearray) -> tuple[list[RecordFields], Known]:
        """The records, and what is known of all of them. Raises msgspec.ValidationError or
        msgspec.DecodeError as the plain decoder does."""
        literal = self._literal
        if literal is not None:
            try:
                return literal[0].decode(text), literal[1]
            except (msgspec.ValidationError, msgspec.DecodeError):
                if self._relearns >= self.MAX_RELEARNS:
                    self._literal = None  # values keep coming: decoding twice would cost more than it saves
        records = self._plain.decode(text)
        if self._relearns < self.MAX_RELEARNS and len(records) >= self.learn_from:
            self._learn(records)
        return records, NOTHING_KNOWN

    def _learn(self, records: list[RecordFields]) -> None:
        known = {name: self._known[name] | (set(map(attrgetter(name), records)) - {None}) for name in self.FIELDS}
        costs = list(map(cost_usd_of, records))
        seen = self._seen | ({"tags"} if any(map(attrgetter("tags"), records)) else set())
        if costs.count(None) != len(costs):  # a cost_usd of 0 is set too
            seen |= {"cost_usd"}
        if any(has_parts(record) or record.web_search_requests for record in records):
            seen |= {"extras"}
        if any(record.attrs is not None for record in records):
            seen |= {"attrs"}
        if known == self._known and seen == self._seen and self._literal is not None:
            return
        self._relearns += 1
        self._known, self._seen = known, seen
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [
            (name, self._literal_type(name, values)) if name in ("provider", "model")
            else (name, self._literal_type(name, values), None)
            for name, values in known.items()
        ]
        if "tags" not in seen:
            fields.append(("tags", tuple[()], ()))
        if "cost_usd" not in seen:
            fields.append(("cost_usd", None, None))
        if "extras" not in seen:
            fields += [(name, Literal[0], 0) for name in _EXTRA_FIELDS]
        if "attrs" not in seen:
            fields.append(("attrs", None, None))
        # Every field declared anew rather than inherited from RecordFields: reading an inherited
        # field checks the record's class against the field's owner, a cost paid on every read.
        # The records have RecordFields' fields and checks, though not its class.
        overridden = {field[0]: field for field in fields}
        every_field = [overridden.get(info.name) or _plain_field(info) for info in msgspec.structs.fields(RecordFields)]
        literal = msgspec.defstruct("LearnedRecord", every_field, kw_only=True, omit_defaults=True, gc=False)
        types = dict(field[:2] for field in fields)
        guarantees = Known(
            no_costs="cost_usd" not in seen,
            no_extras="extras" not in seen,
            no_attrs="attrs" not in seen,
            # Literals never admit a blank provider or model (see _literal_type).
            normal_providers=types["provider"] is not _field_types()["provider"]
            and all(normalise_provider(name) == name for name in known["provider"] if name.strip()),
            named_models=types["model"] is not _field_types()["model"],
        )
        self._literal = (msgspec.json.Decoder(list[literal]), guarantees)  # type: ignore[valid-type]

    @staticmethod
    def _literal_type(name: str, values: frozenset[str]) -> Any:
        plain = _field_types()[name]
        if name in ("provider", "model"):
            values = frozenset(value for value in values if value.strip())  # blanks are the plain checks' to name
            if not values or len(values) > _BatchDecoder.MAX_VALUES:
                return plain
            return Literal[tuple(sorted(values))]
        if len(values) > _BatchDecoder.MAX_VALUES:
            return plain
        return Literal[tuple(sorted(values))] | None if values else None


def _plain_field(info: msgspec.structs.FieldInfo) -> tuple[str, Any] | tuple[str, Any, Any]:
    if info.default is not msgspec.NODEFAULT:
        return (info.name, _field_types()[info.name], info.default)
    return (info.name, _field_types()[info.name])


@functools.cache
def _field_types() -> dict[str, Any]:
    """RecordFields' field types, worked out on the first batch learned (not on import: a millisecond
    of every report, whose warm runs learn nothing)."""
    return get_type_hints(RecordFields, include_extras=True)


_EXTRA_FIELDS = (*PART_FIELDS, "web_search_requests")
_batch_decoder = _BatchDecoder()
_MODEL = attrgetter("model")
_YEAR = attrgetter("ts.year")


class Batch(msgspec.Struct, frozen=True):
    """Valid records in line order, with what folding them whole needs to know: the earliest and
    latest `ts`, and whether any has a cost_usd (most batches have none, which spares a pass over
    every group)."""

    records: list[RecordFields]
    earliest: dt.datetime | None = None
    latest: dt.datetime | None = None
    has_costs: bool = True
    has_voids: bool = True
    has_extras: bool = True  # any record with a part count or web searches (SPEC §1's optional counts)
    has_attrs: bool = True  # any record with attrs (where a guessed provider is marked)
    largest_call: int | None = None  # input + output tokens of its biggest call; None: not known


def batch_of(records: list[RecordFields]) -> Batch:
    """A Batch of records already checked one by one."""
    if not records:
        return Batch(records)
    stamps = list(map(ts_of, records))
    return Batch(records, min(stamps), max(stamps), any(record.cost_usd is not None for record in records),
                 any(record.void for record in records),
                 any(has_parts(record) or record.web_search_requests for record in records),
                 any(record.attrs is not None for record in records))


def parse_batch(text: bytes | bytearray) -> Batch | None:
    """Decode a JSON array of records, checked exactly as parse_line checks one; None if any fails.

    The checks run over the whole batch at once (one loop, or in C), which is what keeps a year
    of logs fast; callers fall back to parse_line to find and name the bad lines.
    """
    try:
        records, known = _batch_decoder.decode(text)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    if not records:
        return Batch(records)
    span = _checked_span(records, known)
    if span is None:
        return None
    earliest, latest, has_voids, has_extras, has_attrs, largest = span
    # A ts's year is that of its own offset, which can differ from the instant's order near
    # a year's edge, so only batches near the allowed edges need every year checked.
    if earliest.year <= FIRST_YEAR + 1 or latest.year >= LAST_YEAR - 1:
        years = list(map(_YEAR, records))
        if min(years) < FIRST_YEAR or max(years) > LAST_YEAR:
            return None
    has_costs = False
    if not known.no_costs:
        costs = list(map(cost_usd_of, records))
        has_costs = costs.count(None) != len(costs)
        if has_costs and not all(sane_cost(c) for c in costs if c is not None):
            return None
    if not known.normal_providers and not NORMAL_PROVIDER_SPELLINGS.issuperset(map(provider_of, records)):
        try:
            for record in records:
                record.provider = normal_provider(record.provider)
        except ValueError:
            return None
    if not known.named_models and not all(map(str.strip, map(_MODEL, records))):
        return None
    return Batch(records, earliest, latest, has_costs, has_voids, has_extras, has_attrs, largest)


def _checked_span(
    records: list[RecordFields], known: Known = NOTHING_KNOWN
) -> tuple[dt.datetime, dt.datetime, bool, bool, bool, int] | None:
    """The earliest and latest `ts` of the records, whether any is a void line, whether any
    carries a part count or web searches, whether any has attrs, and the biggest call's input +
    output tokens, if every ts has an offset and every call's token subsets fit in their totals
    (as UsageRecord checks one call); else None.

    A plain loop: CPython reads a struct's fields in a loop for a fraction of what a C-level
    map(attrgetter) costs per value, and one pass touches each record once. What `known` rules
    out is not read at all: the optional counts' reads were half of the loop.
    """
    maybe_extras, maybe_attrs = not known.no_extras, not known.no_attrs
    earliest = latest = records[0].ts
    voids = extras = attrs = False
    largest = 0
    try:
        for record in records:
            ts = record.ts
            if ts > latest:  # first: logs run mostly in time order, so most calls need this one test
                latest = ts
            elif ts < earliest:
                earliest = ts
            inputs, outputs = record.input_tokens, record.output_tokens
            if inputs + outputs > largest:
                largest = inputs + outputs
            if record.cache_read_tokens + record.cache_write_tokens > inputs or record.reasoning_tokens > outputs:
                return None
            if record.void:
                if not record.id:
                    return None
                voids = True
            if maybe_attrs and record.attrs is not None:
                attrs = True
            # has_parts and web searches, inlined: a call per record cost a tenth of this loop.
            if maybe_extras and (record.cache_write_1h_tokens or record.input_audio_tokens or record.input_image_tokens
                    or record.input_video_tokens or record.cache_read_audio_tokens or record.output_audio_tokens
                    or record.output_image_tokens or record.web_search_requests):
                if subset_problem(record):
                    return None
                extras = True
    except TypeError:  # a naive ts compared with an aware one
        return None
    if earliest.tzinfo is None:  # all naive: none was compared with an aware one
        return None
    return earliest, latest, voids, extras, attrs, largest
