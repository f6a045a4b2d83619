"""OpenAI-shaped bodies: Chat Completions, the Responses API, and everything that copies them
(Mistral, Groq, DeepSeek, xAI's REST API, OpenRouter, Cerebras, Z.ai, HuggingFace, LiteLLM's
`ModelResponse`, OpenAI-compatible local servers).

Subsets, not sums: cached (and cache-write) tokens are part of prompt/input tokens, reasoning
tokens part of completion/output tokens — except where a host documents otherwise, and the body's
own `total_tokens` then proves it: xAI counts reasoning outside `completion_tokens`, and Gemini's
OpenAI-compatible endpoint leaves thinking out of it altogether.

The body rarely says who served it; `hosts` (the caller's base URL) and the `told` provider do.
Without them the provider is read from marks only one host leaves, else guessed from the model name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from vaultledger.capture.shapes.body import count, drop_empty, parse_timestamp, present_count, section, text
from vaultledger.capture.shapes.providers import guessed, provider_for_model
from vaultledger.capture.shapes.settle import add_note

SERVICE_TIERS = {"default": "standard", "auto": "standard"}
GEMINI_PROVIDERS = frozenset({"gcp.gemini", "gcp.vertex_ai"})
OPENROUTER_ID = re.compile(r"gen-\d{9,}-\w")


def usage_of(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """`usage`, or Groq's `x_groq.usage`: the only place a Groq stream's final chunk puts it."""
    return section(body, "usage") or section(section(body, "x_groq"), "usage")


def matches(body: Mapping[str, Any]) -> bool:
    """Chat usage (`prompt_tokens`) or Responses usage (`input_tokens` + details / `object: response`)."""
    usage = usage_of(body)
    if "prompt_tokens" in usage or "completion_tokens" in usage:
        return True
    if "input_tokens" not in usage:
        return False
    return body.get("object") == "response" or "input_tokens_details" in usage


def extract(body: Mapping[str, Any], told: str | None = None) -> dict[str, Any]:
    """SPEC §1 fields; `told` is the provider the caller named (or its base URL did), if any."""
    usage = usage_of(body)
    model = text(body, "model")
    provider, hint = (told, {}) if told else served_by(body, usage, model)
    is_chat = "prompt_tokens" in usage or "completion_tokens" in usage
    fields = drop_empty({
        "provider": provider,
        "model": model,
        "id": text(body, "id"),
        "ts": parse_timestamp(body.get("completed_at")),
        "service_tier": service_tier(body),
        "attrs": hint,
        "web_search_requests": count(section(section(body, "tool_usage"), "web_search"), "num_requests"),
        **(chat_tokens(usage, provider, model) if is_chat else responses_tokens(usage)),
    })
    if provider == "openrouter":
        apply_openrouter_billing(usage, fields)
    return fields


def chat_tokens(usage: Mapping[str, Any], provider: str, model: str | None) -> dict[str, Any]:
    """Chat Completions usage."""
    prompt, completion = section(usage, "prompt_tokens_details"), section(usage, "completion_tokens_details")
    input_tokens, cache_read, cache_write = prompt_counts(usage, prompt, provider)
    output, reasoning = completion_counts(usage, completion, provider, model)
    return {
        "input_tokens": input_tokens,
        "output_tokens": output,
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "reasoning_tokens": reasoning,
        "input_audio_tokens": count(prompt, "audio_tokens"),
        "output_audio_tokens": count(completion, "audio_tokens"),
    }


def prompt_counts(usage: Mapping[str, Any], prompt: Mapping[str, Any], provider: str) -> tuple[int, int, int]:
    """Input, cache reads and cache writes, with the fields DeepSeek, Together and LiteLLM use for caches."""
    input_tokens = count(usage, "prompt_tokens")
    cache_read = count(prompt, "cached_tokens") or count(usage, "prompt_cache_hit_tokens", "cache_read_input_tokens",
                                                         "cached_tokens")
    cache_write = count(prompt, "cache_write_tokens", "cache_creation_tokens") or count(usage, "cache_creation_input_tokens")
    if cache_read + cache_write > input_tokens >= cache_read and provider != "openrouter":
        # Older LiteLLM left Anthropic cache writes out of prompt_tokens; put them back in.
        input_tokens += cache_write
    return input_tokens, cache_read, cache_write


def completion_counts(usage: Mapping[str, Any], completion: Mapping[str, Any], provider: str,
                      model: str | None) -> tuple[int, int]:
    """Output and reasoning. Tokens `total_tokens` counts beyond prompt + completion are output the
    completion count left out: xAI's reasoning (outside by xAI's docs unless the total says otherwise),
    any host's reasoning when the total proves it, and Gemini's unreported thinking."""
    output, reasoning = count(usage, "completion_tokens"), count(completion, "reasoning_tokens")
    total = present_count(usage, "total_tokens")
    unreported = None if total is None else total - count(usage, "prompt_tokens") - output
    if reasoning and (unreported == reasoning or (provider == "x_ai" and unreported != 0)):
        return output + reasoning, reasoning
    if unreported and unreported > 0 and not reasoning and is_gemini(provider, model):
        return output + unreported, unreported
    return output, reasoning


def responses_tokens(usage: Mapping[str, Any]) -> dict[str, int]:
    """Responses API usage."""
    details = section(usage, "input_tokens_details")
    return {
        "input_tokens": count(usage, "input_tokens"),
        "output_tokens": count(usage, "output_tokens"),
        "cache_read_tokens": count(details, "cached_tokens"),
        "cache_write_tokens": count(details, "cache_write_tokens"),
        "reasoning_tokens": count(section(usage, "output_tokens_details"), "reasoning_tokens"),
    }


def is_gemini(provider: str, model: str | None) -> bool:
    return provider in GEMINI_PROVIDERS or (model or "").lower().startswith("gemini")


def served_by(body: Mapping[str, Any], usage: Mapping[str, Any], model: str | None) -> tuple[str, dict[str, bool]]:
    """The host that left its mark on the body; else a guess from the model name, OpenAI by default."""
    if "x_groq" in body:
        return "groq", {}
    if is_openrouter(body, usage):
        return "openrouter", {}
    if isinstance(body.get("time_info"), Mapping):
        return "cerebras", {}
    if body.get("system_fingerprint") == "fp_ollama":
        return "ollama", {}
    if "prompt_cache_hit_tokens" in usage:
        return "deepseek", {}
    return provider_for_model(model, default="openai"), guessed()


def is_openrouter(body: Mapping[str, Any], usage: Mapping[str, Any]) -> bool:
    """OpenRouter ids its generations `gen-<unix time>-…` and names the upstream host in `provider`;
    its usage adds `is_byok` and the billed `cost`."""
    generation = OPENROUTER_ID.match(text(body, "id") or "") is not None
    return "is_byok" in usage or (generation and ("cost" in usage or isinstance(body.get("provider"), str)))


def apply_openrouter_billing(usage: Mapping[str, Any], fields: dict[str, Any]) -> None:
    """What OpenRouter billed (`usage.cost`) is the call's cost; and where it reports the same cached
    tokens as both read and written beyond the prompt, they were read once, not also written."""
    cost = billed_usd(usage.get("cost"))
    if cost is not None:
        fields["cost_usd"] = cost
    read, write = fields.get("cache_read_tokens", 0), fields.get("cache_write_tokens", 0)
    if write and read + write > fields.get("input_tokens", 0):
        fields["cache_write_tokens"] = 0
        add_note(fields, f"cache_write_tokens {write} dropped: OpenRouter reported the {read} cached tokens "
                         "as both read and written")


def billed_usd(value: Any) -> Decimal | None:
    """A billed amount in USD as a Decimal of its decimal text (0.00183 stays 0.00183), if it is one."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def service_tier(body: Mapping[str, Any]) -> str | None:
    """OpenAI calls the standard tier `default`; SPEC §1 calls it `standard`."""
    tier = text(body, "service_tier")
    return SERVICE_TIERS.get(tier, tier) if tier else None
