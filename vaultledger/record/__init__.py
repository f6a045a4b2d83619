"""The usage record of SPEC §1: its fields, its validation, and one JSON line in and out."""

# Annotations are plain expressions here (no `from __future__ import annotations`): msgspec would
# compile each field's annotation string into a ForwardRef on first use, milliseconds of every run.

import datetime as dt
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Any

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
NORMAL_PROVIDER_SPELLINGS: set[str] = set()  # spellings that are already their own normal form


def normal_provider(raw: str) -> str:
    known = _NORMAL_PROVIDER.get(raw)
    if known is None:
        if not raw.strip():
            raise ValueError("provider is empty")
        known = _NORMAL_PROVIDER[raw] = normalise_provider(raw)
        if known == raw:
            NORMAL_PROVIDER_SPELLINGS.add(raw)
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
        # has_parts, inlined: log_usage() builds one record per call.
        if (self.cache_write_1h_tokens or self.input_audio_tokens or self.input_image_tokens or self.input_video_tokens
                or self.cache_read_audio_tokens or self.output_audio_tokens or self.output_image_tokens):
            problem = subset_problem(self)
            if problem:
                raise ValueError(problem)
        if self.void and not self.id:
            raise ValueError("void needs the id of the call it cancels")
        if self.cost_usd is not None and not sane_cost(self.cost_usd):
            raise ValueError(f"cost_usd must be a number from 0 to {MAX_COST_USD:,}, got {self.cost_usd}")
        if not self.model.strip():
            raise ValueError("model is empty")
        provider = self.provider
        if provider not in NORMAL_PROVIDER_SPELLINGS:  # most calls: already normal, nothing to set
            self.provider = normal_provider(provider)



_decoder = msgspec.json.Decoder(UsageRecord)


# Field readers for working over many records at once in C (map, sum, any).
input_tokens_of = attrgetter("input_tokens")
output_tokens_of = attrgetter("output_tokens")
cache_read_tokens_of = attrgetter("cache_read_tokens")
cache_write_tokens_of = attrgetter("cache_write_tokens")
reasoning_tokens_of = attrgetter("reasoning_tokens")
cost_usd_of = attrgetter("cost_usd")
provider_of = attrgetter("provider")
ts_of = attrgetter("ts")


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


def has_parts(record: RecordFields) -> bool:
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


def sane_cost(cost: Decimal) -> bool:
    return cost.is_finite() and 0 <= cost <= MAX_COST_USD


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


_VERSION_PREFIX = b'{"v":%d,' % SCHEMA_VERSION


def to_line(record: UsageRecord) -> bytes:
    """One `\\n`-terminated JSON line; `v` is always written so readers never have to guess."""
    body = _encoder.encode(record)
    if record.v != SCHEMA_VERSION:  # omit_defaults leaves out only the default version
        return body + b"\n"
    # Slicing and adding small bytes beats a join over a memoryview (0.4 against 0.55 µs of a log_usage()).
    return _VERSION_PREFIX + body[1:] + b"\n"


def make_record(**fields: Any) -> UsageRecord:
    """Build and validate a record from keyword fields (as the Python API and CLI receive them)."""
    return record_from(fields)


def record_from(fields: dict[str, Any]) -> UsageRecord:
    """`make_record` of a dict the caller gives up (log_usage's own keywords: no second copy).

    A None (or an empty {}) stands for a field not given. Every optional field's default is None, so
    only a conversion that failed is tried again without them: looking for them first compared each
    value with None, a twentieth of a log_usage()."""
    if not _FIELD_NAMES.issuperset(fields):
        unknown = sorted(set(fields) - _FIELD_NAMES)[0]
        raise InvalidRecord(f"unknown field {unknown!r} (SPEC §1 lists the fields; use attrs={{...}} for others)")
    try:
        record = msgspec.convert(fields, UsageRecord)
    except msgspec.ValidationError as error:
        given = {name: value for name, value in fields.items() if value is not None and value != {}}
        if len(given) == len(fields):
            raise InvalidRecord(_readable(str(error))) from None
        try:
            record = msgspec.convert(given, UsageRecord)
        except msgspec.ValidationError as again:
            raise InvalidRecord(_readable(str(again))) from None
    if record.attrs is not None and not record.attrs:
        record.attrs = None  # "attrs":{} would say what an absent attrs says, in more bytes
    return record
