"""The usage record of SPEC §1: its fields, its validation, and one JSON line in and out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Any, Literal, NamedTuple, get_type_hints

import msgspec

from vaultledger.errors import InvalidRecord

SCHEMA_VERSION = 1
MAX_LINE_BYTES = 4096

# Far above any real call, far below what breaks arithmetic or the cache's integer encoding.
MAX_COUNT = 10**15
MAX_COST_USD = Decimal(10**9)
FIRST_YEAR, LAST_YEAR = 2, 9998  # a day either side must still be a date

Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
Scalar = str | int | float | bool | None

# Names people and SDKs use for a provider, mapped to the OpenTelemetry GenAI name we store.
PROVIDER_ALIASES: dict[str, str] = {
    "google": "gcp.gemini",
    "gemini": "gcp.gemini",
    "google-gla": "gcp.gemini",
    "google_genai": "gcp.gemini",
    "vertex": "gcp.vertex_ai",
    "vertex_ai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "google-vertex": "gcp.vertex_ai",
    "bedrock": "aws.bedrock",
    "aws": "aws.bedrock",
    "azure": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "mistral": "mistral_ai",
    "mistralai": "mistral_ai",
    "xai": "x_ai",
    "x-ai": "x_ai",
    "grok": "x_ai",
    "claude": "anthropic",
    "lm_studio": "lmstudio",
    "lm-studio": "lmstudio",
    "llama.cpp": "llamacpp",
    "llama_cpp": "llamacpp",
}

def normalise_provider(name: str) -> str:
    """The OpenTelemetry provider name for `name` (case-insensitive, aliases resolved)."""
    lowered = name.strip().lower()
    return PROVIDER_ALIASES.get(lowered, lowered)


# Every spelling we have seen, mapped once, so normalising a provider per record is one dict lookup.
_NORMAL_PROVIDER: dict[str, str] = {}
_NORMAL_NAMES: set[str] = set()  # spellings that are already their own normal form


def _provider_name(raw: str) -> str:
    known = _NORMAL_PROVIDER.get(raw)
    if known is None:
        if not raw.strip():
            raise ValueError("provider is empty")
        known = _NORMAL_PROVIDER[raw] = normalise_provider(raw)
        if known == raw:
            _NORMAL_NAMES.add(raw)
    return known


# gc=False: records hold only strings, numbers and flat containers, never cycles, and readers make
# millions of them; tags is a tuple and attrs optional so a record without them allocates nothing.
class RecordFields(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """The fields of a record, with every check msgspec can make in C; see UsageRecord."""

    v: int = SCHEMA_VERSION
    ts: dt.datetime
    provider: str
    model: Annotated[str, msgspec.Meta(min_length=1)]
    input_tokens: Count
    output_tokens: Count
    cache_read_tokens: Count = 0
    cache_write_tokens: Count = 0
    reasoning_tokens: Count = 0
    cache_write_1h_tokens: Count = 0
    input_audio_tokens: Count = 0
    input_image_tokens: Count = 0
    input_video_tokens: Count = 0
    cache_read_audio_tokens: Count = 0
    output_audio_tokens: Count = 0
    output_image_tokens: Count = 0
    web_search_requests: Count = 0
    cost_usd: Decimal | None = None
    id: str | None = None
    app: str | None = None
    project: str | None = None
    use_case: str | None = None
    unit_id: str | None = None
    session: str | None = None
    service_tier: str | None = None
    duration_ms: Count | None = None
    void: bool = False
    tags: tuple[str, ...] = ()
    attrs: dict[str, Scalar] | None = None


class UsageRecord(RecordFields, kw_only=True, omit_defaults=True, gc=False):
    """One LLM call. Token counts follow OpenTelemetry: input and output include their subsets."""

    def __post_init__(self) -> None:
        # msgspec turns ValueError raised here into a ValidationError naming the line.
        if self.ts.tzinfo is None:
            raise ValueError("ts has no UTC offset (write it like 2026-03-14T09:12:03+01:00)")
        if not FIRST_YEAR <= self.ts.year <= LAST_YEAR:
            raise ValueError(f"ts year {self.ts.year} is outside {FIRST_YEAR}..{LAST_YEAR}")
        if self.cache_read_tokens + self.cache_write_tokens > self.input_tokens:
            raise ValueError("cache_read_tokens + cache_write_tokens exceed input_tokens")
        if self.reasoning_tokens > self.output_tokens:
            raise ValueError("reasoning_tokens exceed output_tokens")
        if _has_parts(self):
            problem = subset_problem(self)
            if problem:
                raise ValueError(problem)
        if self.void and not self.id:
            raise ValueError("void needs the id of the call it cancels")
        if self.cost_usd is not None and not _sane_cost(self.cost_usd):
            raise ValueError(f"cost_usd must be a number from 0 to {MAX_COST_USD:,}, got {self.cost_usd}")
        if not self.model.strip():
            raise ValueError("model is empty")
        self.provider = _provider_name(self.provider)



_decoder = msgspec.json.Decoder(UsageRecord)


class Known(NamedTuple):
    """What the types of the decoder that decoded a batch guarantee of every record in it, which
    spares the checks that would otherwise find it out one record at a time."""

    no_costs: bool = False  # no cost_usd
    normal_providers: bool = False  # every provider already in its normal form
    named_models: bool = False  # no model is blank


NOTHING_KNOWN = Known()


class _BatchDecoder:
    """Decodes a JSON array of records, learning the few values the group-key fields take.

    Once learned, those fields decode as Literals: msgspec then hands out one shared str per
    value instead of a new one per record, which saves the allocation and makes grouping hash
    each value once. Fields never seen set (cost_usd, service_tier, tags) decode as that one
    value, so batches need not be scanned for them.
    A value not seen before fails that decoder, and the batch is decoded again with the plain
    types, which are always the authority on what is valid.
    """

    FIELDS = ("provider", "model", "service_tier", "project", "use_case", "app")
    MAX_VALUES = 256  # a field with more values than this stays a plain str
    MAX_RELEARNS = 64  # values trickling in forever should not cost a relearn per batch

    def __init__(self) -> None:
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
        if self._relearns < self.MAX_RELEARNS:
            self._learn(records)
        return records, NOTHING_KNOWN

    def _learn(self, records: list[RecordFields]) -> None:
        known = {name: self._known[name] | (set(map(attrgetter(name), records)) - {None}) for name in self.FIELDS}
        costs = list(map(cost_usd_of, records))
        seen = self._seen | ({"tags"} if any(map(attrgetter("tags"), records)) else set())
        if costs.count(None) != len(costs):  # a cost_usd of 0 is set too
            seen |= {"cost_usd"}
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
        # Every field declared anew rather than inherited from RecordFields: reading an inherited
        # field checks the record's class against the field's owner, a cost paid on every read.
        # The records have RecordFields' fields and checks, though not its class.
        overridden = {field[0]: field for field in fields}
        every_field = [overridden.get(info.name) or _plain_field(info) for info in msgspec.structs.fields(RecordFields)]
        literal = msgspec.defstruct("LearnedRecord", every_field, kw_only=True, omit_defaults=True, gc=False)
        types = dict(field[:2] for field in fields)
        guarantees = Known(
            no_costs="cost_usd" not in seen,
            # Literals never admit a blank provider or model (see _literal_type).
            normal_providers=types["provider"] is not _FIELD_TYPES["provider"]
            and all(normalise_provider(name) == name for name in known["provider"] if name.strip()),
            named_models=types["model"] is not _FIELD_TYPES["model"],
        )
        self._literal = (msgspec.json.Decoder(list[literal]), guarantees)  # type: ignore[valid-type]

    @staticmethod
    def _literal_type(name: str, values: frozenset[str]) -> Any:
        plain = _FIELD_TYPES[name]
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
        return (info.name, _FIELD_TYPES[info.name], info.default)
    return (info.name, _FIELD_TYPES[info.name])


_FIELD_TYPES = get_type_hints(RecordFields, include_extras=True)
_batch_decoder = _BatchDecoder()
# Field readers for working over many records at once in C (map, sum, any).
input_tokens_of = attrgetter("input_tokens")
output_tokens_of = attrgetter("output_tokens")
cache_read_tokens_of = attrgetter("cache_read_tokens")
cache_write_tokens_of = attrgetter("cache_write_tokens")
reasoning_tokens_of = attrgetter("reasoning_tokens")
cost_usd_of = attrgetter("cost_usd")
provider_of = attrgetter("provider")
ts_of = attrgetter("ts")
_MODEL = attrgetter("model")
_YEAR = attrgetter("ts.year")


# Counts that split a total into parts SPEC §1 prices apart; most records carry none of them.
PART_FIELDS = (
    "cache_write_1h_tokens", "input_audio_tokens", "input_image_tokens", "input_video_tokens",
    "cache_read_audio_tokens", "output_audio_tokens", "output_image_tokens",
)
# Every count a fold sums, in the order Sums keeps them.
COUNT_FIELDS = (
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
    *PART_FIELDS, "web_search_requests",
)


def _has_parts(record: RecordFields) -> bool:
    return bool(record.cache_write_1h_tokens or record.input_audio_tokens or record.input_image_tokens
                or record.input_video_tokens or record.cache_read_audio_tokens or record.output_audio_tokens
                or record.output_image_tokens)


def subset_problem(record: RecordFields) -> str | None:
    """Why a record's parts do not fit in their wholes (SPEC §1), or None."""
    if record.cache_write_1h_tokens > record.cache_write_tokens:
        return "cache_write_1h_tokens exceed cache_write_tokens"
    if record.cache_read_audio_tokens > record.cache_read_tokens:
        return "cache_read_audio_tokens exceed cache_read_tokens"
    if record.input_audio_tokens + record.input_image_tokens + record.input_video_tokens > record.input_tokens:
        return "input_audio_tokens + input_image_tokens + input_video_tokens exceed input_tokens"
    if record.output_audio_tokens + record.output_image_tokens > record.output_tokens:
        return "output_audio_tokens + output_image_tokens exceed output_tokens"
    return None


def _sane_cost(cost: Decimal) -> bool:
    return cost.is_finite() and 0 <= cost <= MAX_COST_USD


class Batch(NamedTuple):
    """Valid records in line order, with what folding them whole needs to know: the earliest and
    latest `ts`, and whether any has a cost_usd (most batches have none, which spares a pass over
    every group)."""

    records: list[RecordFields]
    earliest: dt.datetime | None = None
    latest: dt.datetime | None = None
    has_costs: bool = True
    has_voids: bool = True
    has_extras: bool = True  # any record with a part count or web searches (SPEC §1's optional counts)


def batch_of(records: list[RecordFields]) -> Batch:
    """A Batch of records already checked one by one."""
    if not records:
        return Batch(records)
    stamps = list(map(ts_of, records))
    return Batch(records, min(stamps), max(stamps), True, any(record.void for record in records),
                 any(_has_parts(record) or record.web_search_requests for record in records))


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
    span = _checked_span(records)
    if span is None:
        return None
    earliest, latest, has_voids, has_extras = span
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
        if has_costs and not all(_sane_cost(c) for c in costs if c is not None):
            return None
    if not known.normal_providers and not _NORMAL_NAMES.issuperset(map(provider_of, records)):
        try:
            for record in records:
                record.provider = _provider_name(record.provider)
        except ValueError:
            return None
    if not known.named_models and not all(map(str.strip, map(_MODEL, records))):
        return None
    return Batch(records, earliest, latest, has_costs, has_voids, has_extras)


def _checked_span(records: list[RecordFields]) -> tuple[dt.datetime, dt.datetime, bool, bool] | None:
    """The earliest and latest `ts` of the records, whether any is a void line and whether any
    carries a part count or web searches, if every ts
    has an offset and every call's token subsets fit in their totals (as UsageRecord checks one
    call); else None.

    A plain loop: CPython reads a struct's fields in a loop for a fraction of what a C-level
    map(attrgetter) costs per value, and one pass touches each record once.
    """
    earliest = latest = records[0].ts
    voids = extras = False
    try:
        for record in records:
            ts = record.ts
            if ts > latest:  # first: logs run mostly in time order, so most calls need this one test
                latest = ts
            elif ts < earliest:
                earliest = ts
            if (record.cache_read_tokens + record.cache_write_tokens > record.input_tokens
                    or record.reasoning_tokens > record.output_tokens):
                return None
            if record.void:
                if not record.id:
                    return None
                voids = True
            if record.web_search_requests:
                extras = True
            if _has_parts(record):
                if subset_problem(record):
                    return None
                extras = True
    except TypeError:  # a naive ts compared with an aware one
        return None
    if earliest.tzinfo is None:  # all naive: none was compared with an aware one
        return None
    return earliest, latest, voids, extras


_FIELD_NAMES = frozenset(UsageRecord.__struct_fields__)
_encoder = msgspec.json.Encoder(decimal_format="number")


def parse_line(line: bytes | str) -> UsageRecord:
    """Decode and validate one log line; raise InvalidRecord with a one-line reason."""
    try:
        return _decoder.decode(line)
    except msgspec.ValidationError as error:
        raise InvalidRecord(_readable(str(error))) from None
    except msgspec.DecodeError as error:
        raise InvalidRecord(f"not JSON ({error})") from None


def _readable(message: str) -> str:
    """msgspec says `... - at `$.input_tokens``; users read `input_tokens: ...`."""
    text, _, where = message.partition(" - at `")
    field = where.rstrip("`").removeprefix("$.").removeprefix("$")
    if text.startswith("Expected `object`"):
        return f"not a JSON object ({text.lower()})"
    return f"{field}: {text}" if field else text


def to_line(record: UsageRecord) -> bytes:
    """One `\\n`-terminated JSON line; `v` is always written so readers never have to guess."""
    body = _encoder.encode(record)
    if not body.startswith(b'{"v":'):
        body = b'{"v":%d,' % SCHEMA_VERSION + body[1:]
    return body + b"\n"


def make_record(**fields: Any) -> UsageRecord:
    """Build and validate a record from keyword fields (as the Python API and CLI receive them)."""
    if not _FIELD_NAMES.issuperset(fields):
        unknown = sorted(set(fields) - _FIELD_NAMES)[0]
        raise InvalidRecord(f"unknown field {unknown!r} (SPEC §1 lists the fields; use attrs={{...}} for others)")
    if None in fields.values() or fields.get("attrs") == {}:
        # Empty attrs would be written as "attrs":{}; absent says the same in fewer bytes.
        fields = {name: value for name, value in fields.items() if value is not None and value != {}}
    try:
        return msgspec.convert(fields, UsageRecord)
    except msgspec.ValidationError as error:
        raise InvalidRecord(_readable(str(error))) from None
