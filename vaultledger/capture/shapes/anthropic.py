"""Anthropic Messages API bodies, including the final message of a stream.

Anthropic's `input_tokens` EXCLUDES cache reads and writes; SPEC §1 wants all input, so
input = input_tokens + cache_creation_input_tokens + cache_read_input_tokens.
The same body comes back from Claude on Bedrock and on Vertex AI; their message ids say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from vaultledger.capture.shapes.body import count, drop_empty, section, text
from vaultledger.capture.shapes.providers import guessed, provider_for_model

PROVIDER = "anthropic"
# Message id prefixes of the clouds that serve Claude through the Messages API.
ID_PREFIXES = (("msg_bdrk_", "aws.bedrock"), ("msg_vrtx_", "gcp.vertex_ai"))


def matches(body: Mapping[str, Any]) -> bool:
    """A Messages body: `usage` with `input_tokens`, not the OpenAI Responses API's `object: response`."""
    usage = section(body, "usage")
    if "input_tokens" not in usage or body.get("object") == "response":
        return False
    return "input_tokens_details" not in usage


def extract(body: Mapping[str, Any], told: str | None = None) -> dict[str, Any]:
    """SPEC §1 fields from a Messages body (or `fold_stream`'s result)."""
    usage = section(body, "usage")
    model, message_id = text(body, "model"), text(body, "id")
    provider, hint = served_by(message_id, model)
    fields = usage_fields(usage)
    return drop_empty({
        "provider": provider,
        "model": model,
        "id": message_id,
        "service_tier": text(usage, "service_tier"),
        **fields,
        "attrs": {**fields["attrs"], **hint},
    })


def served_by(message_id: str | None, model: str | None) -> tuple[str, dict[str, bool]]:
    """The provider and, when it is only a guess from a non-Claude model name, `provider_guessed`.

    Anthropic-compatible endpoints (MiniMax, Z.ai, DeepSeek, Kimi …) answer in this shape too."""
    for prefix, provider in ID_PREFIXES:
        if message_id and message_id.startswith(prefix):
            return provider, {}
    if not model or model.lower().startswith("claude"):
        return PROVIDER, {}
    return provider_for_model(model, default=PROVIDER), guessed()


def usage_fields(usage: Mapping[str, Any]) -> dict[str, Any]:
    """Token fields from an Anthropic `usage` object (shared with the Claude Code importer)."""
    ttl = section(usage, "cache_creation")
    one_hour = count(ttl, "ephemeral_1h_input_tokens")
    cache_write = count(usage, "cache_creation_input_tokens") or count(ttl, "ephemeral_5m_input_tokens") + one_hour
    cache_read = count(usage, "cache_read_input_tokens")
    return {
        "input_tokens": count(usage, "input_tokens") + cache_write + cache_read,
        "output_tokens": count(usage, "output_tokens"),
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "cache_write_1h_tokens": one_hour,
        "reasoning_tokens": count(section(usage, "output_tokens_details"), "thinking_tokens"),
        "web_search_requests": count(section(usage, "server_tool_use"), "web_search_requests"),
        "attrs": usage_attrs(usage),
    }


def usage_attrs(usage: Mapping[str, Any]) -> dict[str, Any]:
    """What else the call used: server tools not billed per request (web fetches …), fast mode."""
    attrs: dict[str, Any] = {}
    for name, value in section(usage, "server_tool_use").items():
        if name != "web_search_requests" and isinstance(value, int) and value:
            attrs[name] = value
    speed = text(usage, "speed")
    if speed and speed != "standard":
        attrs["speed"] = speed
    return attrs


def is_stream(events: Iterable[Mapping[str, Any]]) -> bool:
    """Raw stream events start with `message_start`."""
    return any(event.get("type") == "message_start" for event in events)


def fold_stream(events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The final message of a raw event stream: `message_start`'s message, usage updated by each
    `message_delta` (whose counts are cumulative)."""
    message: dict[str, Any] = {}
    usage: dict[str, Any] = {}
    for event in events:
        kind = event.get("type")
        if kind == "message_start":
            message = dict(section(event, "message"))
            usage = dict(section(message, "usage"))
        elif kind == "message_delta":
            usage.update({k: v for k, v in section(event, "usage").items() if v is not None})
    return {**message, "type": "message", "usage": usage}
