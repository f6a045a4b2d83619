"""A LiteLLM `CustomLogger` that logs one record per call from LiteLLM's standard logging payload.

    import litellm, vaultledger.litellm
    litellm.callbacks = [vaultledger.litellm.VaultledgerLogger(app="mybot")]

LiteLLM hands every callback a `standard_logging_object` with the call's usage in OpenAI's form
(`metadata.usage_object`), whatever the provider: `prompt_tokens` holds every input token, cache reads
(`prompt_tokens_details.cached_tokens`) and writes (`cache_creation_input_tokens`) included, as SPEC §1
counts them; `completion_tokens` holds reasoning. The payload also carries the prompt (`messages`) and
the response text (`response`): neither is read. Sync and async calls, streamed or not, come through
the success callbacks once each; a failed call is logged only when the provider billed usage for it.
Like `log_usage()`, the logger never raises into LiteLLM and never blocks it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

try:
    from litellm.integrations.custom_logger import CustomLogger
except ImportError as error:  # the optional extra is not installed
    raise ImportError("vaultledger.litellm needs LiteLLM: pip install 'vaultledger[litellm]'") from error

from vaultledger.capture.context import with_context_defaults
from vaultledger.capture.logger import UsageLog, log_record, not_logged
from vaultledger.capture.shapes.body import count, parse_timestamp, section, text
from vaultledger.capture.shapes.hosts import provider_for_url
from vaultledger.capture.shapes.openai import SERVICE_TIERS, billed_usd
from vaultledger.capture.shapes.providers import guessed, provider_for_model
from vaultledger.capture.shapes.settle import settle_counts
from vaultledger.errors import InvalidRecord
from vaultledger.record import UsageRecord, make_record, normalise_provider

__all__ = ["VaultledgerLogger", "install", "record_of_payload"]

# LiteLLM's `custom_llm_provider` names that are not OpenTelemetry's or genai-prices' provider names.
LITELLM_PROVIDERS = {
    "together_ai": "together", "fireworks_ai": "fireworks", "ollama_chat": "ollama", "cohere_chat": "cohere",
    "text-completion-openai": "openai", "azure_ai": "azure.ai.inference", "hosted_vllm": "vllm",
    "vertex_ai_beta": "gcp.vertex_ai", "anthropic_text": "anthropic", "codestral": "mistral_ai",
    "text-completion-codestral": "mistral_ai", "bedrock_converse": "aws.bedrock",
}


class VaultledgerLogger(CustomLogger):  # type: ignore[misc]  # LiteLLM ships no type hints for it
    """Logs each LiteLLM call as a SPEC §1 record; keyword fields (`app`, `project`, `use_case`, `tags` …)
    fill every record. `cost_from_litellm=True` records LiteLLM's own price as the call's `cost_usd`
    (it then overrides vaultledger's prices); by default it is used only for calls without token counts
    (images, speech), which tokens could not price."""

    def __init__(self, *, usage_log: UsageLog | None = None, cost_from_litellm: bool = False, **fields: Any) -> None:
        super().__init__()
        self.usage_log = usage_log
        self.cost_from_litellm = cost_from_litellm
        self.fields = {key: value for key, value in fields.items() if value is not None}

    def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.log_call(kwargs, response_obj)

    def log_failure_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.log_call(kwargs, response_obj)

    async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.log_call(kwargs, response_obj)  # one append, never waiting on a lock: fine inside the event loop

    async def async_log_failure_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.log_call(kwargs, response_obj)

    def log_call(self, kwargs: Any, response_obj: Any) -> UsageRecord | None:
        """The record logged for one callback, or None (nothing billed, or not logged: warned and counted)."""
        try:
            payload = kwargs.get("standard_logging_object") if isinstance(kwargs, Mapping) else None
            record = record_of_payload(payload, response_obj, self.fields, self.cost_from_litellm)
        except Exception as error:  # a surprising payload must never break the app's LiteLLM call
            return not_logged(error, self.usage_log)
        return None if record is None else log_record(record, self.usage_log)


def record_of_payload(payload: Any, response_obj: Any = None, given: Mapping[str, Any] | None = None,
                      cost_from_litellm: bool = False) -> UsageRecord | None:
    """The record for one standard logging payload; None for a call nothing was billed for."""
    if not isinstance(payload, Mapping):
        raise InvalidRecord("LiteLLM passed no standard_logging_object: is this LiteLLM release supported?")
    if payload.get("cache_hit") is True:
        return None  # answered from LiteLLM's own cache: no provider saw the call
    usage = section(section(payload, "metadata"), "usage_object")
    counts = usage_counts(usage, payload)
    cost = billed_usd(payload.get("response_cost"))
    if payload.get("status") == "failure" and not (counts["input_tokens"] or counts["output_tokens"] or cost):
        return None
    fields = {**call_fields(payload, response_obj), **counts}
    if cost is not None and (cost_from_litellm or not (counts["input_tokens"] or counts["output_tokens"])):
        fields["cost_usd"] = cost
    merged = settle_counts({key: value for key, value in fields.items() if value is not None and value != {}})
    given = dict(given or {})
    if merged.get("tags") and given.get("tags"):
        given["tags"] = [*merged["tags"], *given["tags"]]
    if merged.get("attrs") and given.get("attrs"):
        given["attrs"] = {**merged["attrs"], **given["attrs"]}
    return make_record(**with_context_defaults({**merged, **given}))


def call_fields(payload: Mapping[str, Any], response_obj: Any) -> dict[str, Any]:
    """Everything but the counts: provider, model, id, time, tier, tags."""
    response_model = getattr(response_obj, "model", None)
    model = response_model if isinstance(response_model, str) and response_model else text(payload, "model")
    attrs: dict[str, Any] = {}
    if payload.get("status") == "failure":
        attrs["status"] = "failure"
    started = parse_timestamp(payload.get("startTime"))
    ended = parse_timestamp(payload.get("endTime"))
    tags = [tag for tag in payload.get("request_tags") or () if isinstance(tag, str)]
    return {
        "provider": provider_of(payload, model, attrs),
        "model": model,
        "id": text(payload, "id"),
        "ts": ended or dt.datetime.now(dt.timezone.utc),
        "duration_ms": int((ended - started).total_seconds() * 1000) if started and ended and ended >= started else None,
        "session": text(payload, "session_id"),
        "service_tier": tier_of(payload),
        "tags": tags or None,
        "attrs": attrs,
    }


def usage_counts(usage: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, int]:
    """SPEC §1 counts from LiteLLM's OpenAI-form usage (cache and reasoning already inside the totals)."""
    prompt, completion = section(usage, "prompt_tokens_details"), section(usage, "completion_tokens_details")
    return {
        "input_tokens": count(usage, "prompt_tokens") or count(payload, "prompt_tokens"),
        "output_tokens": count(usage, "completion_tokens") or count(payload, "completion_tokens"),
        "cache_read_tokens": count(prompt, "cached_tokens") or count(usage, "cache_read_input_tokens"),
        "cache_write_tokens": (count(usage, "cache_creation_input_tokens")
                               or count(prompt, "cache_creation_tokens", "cache_write_tokens")),
        "cache_write_1h_tokens": count(section(prompt, "cache_creation_token_details"), "ephemeral_1h_input_tokens"),
        "reasoning_tokens": count(completion, "reasoning_tokens"),
        "input_audio_tokens": count(prompt, "audio_tokens"),
        "input_image_tokens": count(prompt, "image_tokens"),
        "output_audio_tokens": count(completion, "audio_tokens"),
        "output_image_tokens": count(completion, "image_tokens"),
        "web_search_requests": count(section(usage, "server_tool_use"), "web_search_requests"),
    }


def provider_of(payload: Mapping[str, Any], model: str | None, attrs: dict[str, Any]) -> str:
    """The host LiteLLM called when we know it, else LiteLLM's provider name, else a flagged guess."""
    known = provider_for_url(text(payload, "api_base"))
    if known:
        return known
    named = text(payload, "custom_llm_provider")
    if named:
        lowered = named.strip().lower()
        return LITELLM_PROVIDERS.get(lowered) or normalise_provider(lowered)
    attrs.update(guessed())
    return provider_for_model(model)


def tier_of(payload: Mapping[str, Any]) -> str | None:
    usage = section(section(payload, "metadata"), "usage_object")
    tier = text(usage, "service_tier") or text(section(payload, "cost_breakdown"), "service_tier")
    return SERVICE_TIERS.get(tier, tier) if tier else None


def install(*, usage_log: UsageLog | None = None, cost_from_litellm: bool = False, **fields: Any) -> VaultledgerLogger:
    """Add a VaultledgerLogger to `litellm.callbacks` and return it."""
    import litellm

    logger = VaultledgerLogger(usage_log=usage_log, cost_from_litellm=cost_from_litellm, **fields)
    litellm.callbacks = [*(litellm.callbacks or []), logger]
    return logger

