"""A GenAI span's usage as SPEC §1 fields: the one reading shared by the live OpenTelemetry exporter
(`capture/otel.py`) and `vaultledger import otlp` (`capture/otlp.py`), so a call exported live and
imported again from a Collector's file is the same record.

Two attribute vocabularies are read. OpenTelemetry's GenAI conventions (`gen_ai.usage.input_tokens`,
`gen_ai.usage.cache_read.input_tokens`, …; OpenLLMetry writes them) and OpenInference's
(`llm.token_count.prompt`, `llm.token_count.prompt_details.cache_read`, …). Both count cache reads and
writes inside the input count and reasoning inside the output count, as SPEC §1 does; a span whose
cache counts do not fit in its input count cannot have, so its input is read as excluding them (and
`attrs.input_excluded_cache` says so).

Only usage metadata is read: the prompt and completion attributes some instrumentations record
(`gen_ai.input.messages`, `llm.input_messages.*` …) are never looked at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vaultledger.capture.shapes.hosts import provider_for_url
from vaultledger.capture.shapes.openai import SERVICE_TIERS, billed_usd
from vaultledger.capture.shapes.providers import guessed, provider_for_model
from vaultledger.capture.shapes.settle import settle_counts
from vaultledger.record import normalise_provider

# Record field -> span attributes that hold it, the current spelling first.
COUNT_KEYS: dict[str, tuple[str, ...]] = {
    "input_tokens": ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt"),
    "output_tokens": ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion"),
    "cache_read_tokens": ("gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
                          "llm.token_count.prompt_details.cache_read"),
    "cache_write_tokens": ("gen_ai.usage.cache_write.input_tokens", "gen_ai.usage.cache_creation.input_tokens",
                           "gen_ai.usage.cache_creation_input_tokens", "llm.token_count.prompt_details.cache_write"),
    "reasoning_tokens": ("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
                         "llm.token_count.completion_details.reasoning"),
    "input_audio_tokens": ("llm.token_count.prompt_details.audio",),
    "output_audio_tokens": ("llm.token_count.completion_details.audio",),
}
PROVIDER_KEYS = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
MODEL_KEYS = ("gen_ai.response.model", "llm.response.model_name", "llm.model_name", "gen_ai.request.model",
              "llm.request.model_name")
URL_KEYS = ("gen_ai.openai.api_base", "server.address", "url.full")
TIER_KEYS = ("openai.response.service_tier", "gen_ai.openai.response.service_tier")
# A cost the instrumentation already knows, in USD: a total, else the sum of both halves.
COST_TOTAL_KEYS = ("gen_ai.usage.cost", "gen_ai.usage.cost.total", "gen_ai.usage.cost_usd", "llm.cost.total")
COST_PART_KEYS = (("gen_ai.usage.cost.input", "gen_ai.usage.cost.output"), ("llm.cost.prompt", "llm.cost.completion"))
# `gen_ai.system` values of older conventions that are not today's provider names.
SYSTEM_NAMES = {"az.ai.openai": "azure.ai.openai", "az.ai.inference": "azure.ai.inference",
                "vertexai": "gcp.vertex_ai", "gemini": "gcp.gemini", "mistralai": "mistral_ai"}
# Spans that add up the calls under them (an agent's run, a tool): their usage is their children's.
AGGREGATE_OPERATIONS = frozenset({"invoke_agent", "create_agent", "execute_tool", "invoke_workflow"})
CALL_KINDS = frozenset({"LLM", "EMBEDDING"})  # OpenInference span kinds of one model call
NOT_AN_APP = "unknown_service"  # the SDK's service.name when the app set none
EXCLUDED_CACHE = "input_excluded_cache"


@dataclass(frozen=True)
class Span:
    """What is read of one finished span, whichever way it arrived (SDK object or OTLP JSON)."""

    attributes: Mapping[str, Any]
    end_ns: int
    start_ns: int = 0
    trace_id: str = ""  # 32 hex digits
    span_id: str = ""  # 16 hex digits
    resource: Mapping[str, Any] = field(default_factory=dict)


def is_model_call(attributes: Mapping[str, Any]) -> bool:
    """A span of one model call that carries usage (not an agent's or workflow's sum of its calls)."""
    if all(attributes.get(key) is None for key in (*COUNT_KEYS["input_tokens"], *COUNT_KEYS["output_tokens"])):
        return False
    if attributes.get("gen_ai.operation.name") in AGGREGATE_OPERATIONS:
        return False
    kind = attributes.get("openinference.span.kind")
    return kind is None or str(kind).upper() in CALL_KINDS


def fields_from_span(span: Span) -> dict[str, Any] | None:
    """SPEC §1 fields of a model-call span (None for any other span); no prompt or completion is read."""
    attributes = span.attributes
    if not is_model_call(attributes):
        return None
    model = first_text(attributes, MODEL_KEYS) or "unknown"
    fields: dict[str, Any] = {
        "ts": time_of(span.end_ns),
        "model": model,
        "id": first_text(attributes, ("gen_ai.response.id",)) or span_record_id(span),
        "app": app_of(span.resource),
        "session": first_text(attributes, ("gen_ai.conversation.id", "session.id")),
        "service_tier": tier_of(attributes),
        "cost_usd": cost_of(attributes),
        "attrs": {"trace_id": span.trace_id} if span.trace_id else {},
        **{name: count_of(attributes, keys) for name, keys in COUNT_KEYS.items()},
    }
    if span.start_ns and span.end_ns >= span.start_ns:
        fields["duration_ms"] = (span.end_ns - span.start_ns) // 1_000_000
    fields["provider"] = provider_of(attributes, model, fields["attrs"])
    include_cache(fields)
    return settle_counts({key: value for key, value in fields.items() if value is not None and value != {}})


def provider_of(attributes: Mapping[str, Any], model: str, attrs: dict[str, Any]) -> str:
    """The host the client called when we know it (OpenAI's SDK serves many hosts and its instrumentations
    say `openai` for all), else the span's provider name, else a flagged guess from the model."""
    for key in URL_KEYS:
        known = provider_for_url(attributes.get(key))
        if known:
            return known
    named = first_text(attributes, PROVIDER_KEYS)
    if named:
        lowered = named.strip().lower()
        return SYSTEM_NAMES.get(lowered) or normalise_provider(lowered)
    attrs.update(guessed())
    return provider_for_model(model)


def include_cache(fields: dict[str, Any]) -> None:
    """SPEC §1 counts cache inside input; a span whose cache does not fit in its input counted it outside."""
    cache = fields["cache_read_tokens"] + fields["cache_write_tokens"]
    if cache > fields["input_tokens"]:
        fields["input_tokens"] += cache
        fields["attrs"][EXCLUDED_CACHE] = True


def span_record_id(span: Span) -> str | None:
    """A span that names no response id is still one call: its trace and span ids name it for re-imports."""
    return f"otel:{span.trace_id}:{span.span_id}" if span.trace_id and span.span_id else None


def app_of(resource: Mapping[str, Any]) -> str | None:
    name = resource.get("service.name")
    return name if isinstance(name, str) and name and not name.startswith(NOT_AN_APP) else None


def tier_of(attributes: Mapping[str, Any]) -> str | None:
    tier = first_text(attributes, TIER_KEYS)
    return SERVICE_TIERS.get(tier, tier) if tier else None


def cost_of(attributes: Mapping[str, Any]) -> Decimal | None:
    """The call's cost in USD when the span carries one: a total, else an input and an output half."""
    for key in COST_TOTAL_KEYS:
        total = billed_usd(attributes.get(key))
        if total is not None:
            return total
    for input_key, output_key in COST_PART_KEYS:
        halves = billed_usd(attributes.get(input_key)), billed_usd(attributes.get(output_key))
        if halves[0] is not None and halves[1] is not None:
            return halves[0] + halves[1]
    return None


def count_of(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> int:
    """The first whole, non-negative number under `keys` (OTLP JSON writes int64 as text); else 0."""
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, int) and value >= 0:
            return value
    return 0


def first_text(attributes: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def time_of(unix_ns: int) -> dt.datetime:
    seconds, nanos = divmod(unix_ns, 1_000_000_000)
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(microsecond=nanos // 1000)
