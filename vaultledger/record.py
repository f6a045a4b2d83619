"""The usage record of SPEC §1: its fields, its validation, and one JSON line in and out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from vaultledger.errors import InvalidRecord

SCHEMA_VERSION = 1
MAX_LINE_BYTES = 4096

Count = Annotated[int, msgspec.Meta(ge=0)]
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

SUBSET_RULES = (
    ("cache_read_tokens + cache_write_tokens", "input_tokens"),
    ("reasoning_tokens", "output_tokens"),
)


def normalise_provider(name: str) -> str:
    """The OpenTelemetry provider name for `name` (case-insensitive, aliases resolved)."""
    lowered = name.strip().lower()
    return PROVIDER_ALIASES.get(lowered, lowered)


class UsageRecord(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One LLM call. Token counts follow OpenTelemetry: input and output include their subsets."""

    v: int = SCHEMA_VERSION
    ts: dt.datetime
    provider: str
    model: str
    input_tokens: Count
    output_tokens: Count
    cache_read_tokens: Count = 0
    cache_write_tokens: Count = 0
    reasoning_tokens: Count = 0
    cost_usd: Decimal | None = None
    id: str | None = None
    app: str | None = None
    project: str | None = None
    use_case: str | None = None
    unit_id: str | None = None
    session: str | None = None
    service_tier: str | None = None
    duration_ms: Count | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    attrs: dict[str, Scalar] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        # msgspec turns ValueError raised here into a ValidationError naming the line.
        if self.ts.tzinfo is None:
            raise ValueError("ts has no UTC offset (write it like 2026-03-14T09:12:03+01:00)")
        if not self.provider.strip():
            raise ValueError("provider is empty")
        if not self.model.strip():
            raise ValueError("model is empty")
        if self.cache_read_tokens + self.cache_write_tokens > self.input_tokens:
            raise ValueError("cache_read_tokens + cache_write_tokens exceed input_tokens")
        if self.reasoning_tokens > self.output_tokens:
            raise ValueError("reasoning_tokens exceed output_tokens")
        if self.cost_usd is not None and not (self.cost_usd.is_finite() and self.cost_usd >= 0):
            raise ValueError(f"cost_usd must be a finite number >= 0, got {self.cost_usd}")
        self.provider = normalise_provider(self.provider)

    @property
    def project_or_app(self) -> str | None:
        """Reports attribute spend to `project`, falling back to `app` (SPEC §1)."""
        return self.project or self.app


_decoder = msgspec.json.Decoder(UsageRecord)
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
    if None in fields.values():
        fields = {name: value for name, value in fields.items() if value is not None}
    try:
        return msgspec.convert(fields, UsageRecord)
    except msgspec.ValidationError as error:
        raise InvalidRecord(_readable(str(error))) from None


def line_fits(line: bytes) -> bool:
    """SPEC §1 caps a line at 4 KiB so one write() stays a single atomic append."""
    return len(line) <= MAX_LINE_BYTES
