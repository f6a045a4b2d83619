"""OpenAI-shaped bodies: Chat Completions, the Responses API, and everything that copies them
(Mistral, Groq, DeepSeek, xAI, LiteLLM's `ModelResponse`, OpenAI-compatible local servers).

Subsets, not sums: cached (and cache-write) tokens are part of prompt/input tokens, reasoning
tokens part of completion/output tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vaultledger.capture.shapes.body import count, drop_empty, parse_timestamp, section, text
from vaultledger.capture.shapes.providers import provider_for_model

SERVICE_TIERS = {"default": "standard", "auto": "standard"}


def matches(body: Mapping[str, Any]) -> bool:
    """Chat usage (`prompt_tokens`) or Responses usage (`input_tokens` + details / `object: response`)."""
    usage = section(body, "usage")
    if "prompt_tokens" in usage or "completion_tokens" in usage:
        return True
    if "input_tokens" not in usage:
        return False
    return body.get("object") == "response" or "input_tokens_details" in usage


def extract(body: Mapping[str, Any]) -> dict[str, Any]:
    """SPEC §1 fields; the provider comes from the body's hints or the model name (default openai)."""
    usage = section(body, "usage")
    tokens = chat_tokens(usage) if "prompt_tokens" in usage or "completion_tokens" in usage else responses_tokens(usage)
    model = text(body, "model")
    return drop_empty({
        "provider": provider_of(body, model),
        "model": model,
        "id": text(body, "id"),
        "ts": parse_timestamp(body.get("completed_at")),
        "service_tier": service_tier(body),
        **tokens,
    })


def chat_tokens(usage: Mapping[str, Any]) -> dict[str, int]:
    """Chat Completions usage, with the fields DeepSeek and LiteLLM add for caches."""
    prompt = section(usage, "prompt_tokens_details")
    input_tokens = count(usage, "prompt_tokens")
    cache_read = count(prompt, "cached_tokens") or count(usage, "prompt_cache_hit_tokens", "cache_read_input_tokens")
    cache_write = count(prompt, "cache_write_tokens", "cache_creation_tokens") or count(usage, "cache_creation_input_tokens")
    if cache_read + cache_write > input_tokens >= cache_read:
        # Older LiteLLM left Anthropic cache writes out of prompt_tokens; put them back in.
        input_tokens += cache_write
    return {
        "input_tokens": input_tokens,
        "output_tokens": count(usage, "completion_tokens"),
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "reasoning_tokens": count(section(usage, "completion_tokens_details"), "reasoning_tokens"),
    }


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


def provider_of(body: Mapping[str, Any], model: str | None) -> str:
    """Groq marks its bodies with `x_groq`; otherwise the model name decides, OpenAI by default."""
    if "x_groq" in body:
        return "groq"
    return provider_for_model(model, default="openai")


def service_tier(body: Mapping[str, Any]) -> str | None:
    """OpenAI calls the standard tier `default`; SPEC §1 calls it `standard`."""
    tier = text(body, "service_tier")
    return SERVICE_TIERS.get(tier, tier) if tier else None
