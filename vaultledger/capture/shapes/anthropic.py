"""Anthropic Messages API bodies, including the final message of a stream.

Anthropic's `input_tokens` EXCLUDES cache reads and writes; SPEC §1 wants all input, so
input = input_tokens + cache_creation_input_tokens + cache_read_input_tokens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from vaultledger.capture.shapes.body import count, drop_empty, section, text

PROVIDER = "anthropic"


def matches(body: Mapping[str, Any]) -> bool:
    """A Messages body: `usage` with `input_tokens`, not the OpenAI Responses API's `object: response`."""
    usage = section(body, "usage")
    if "input_tokens" not in usage or body.get("object") == "response":
        return False
    return "input_tokens_details" not in usage


def extract(body: Mapping[str, Any]) -> dict[str, Any]:
    """SPEC §1 fields from a Messages body (or `fold_stream`'s result)."""
    usage = section(body, "usage")
    return drop_empty({
        "provider": PROVIDER,
        "model": text(body, "model"),
        "id": text(body, "id"),
        "service_tier": text(usage, "service_tier"),
        **usage_fields(usage),
    })


def usage_fields(usage: Mapping[str, Any]) -> dict[str, Any]:
    """Token fields from an Anthropic `usage` object (shared with the Claude Code importer)."""
    cache_write = count(usage, "cache_creation_input_tokens")
    cache_read = count(usage, "cache_read_input_tokens")
    thinking = count(section(usage, "output_tokens_details"), "thinking_tokens")
    return {
        "input_tokens": count(usage, "input_tokens") + cache_write + cache_read,
        "output_tokens": count(usage, "output_tokens"),
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "reasoning_tokens": thinking,
        "attrs": usage_attrs(usage),
    }


def usage_attrs(usage: Mapping[str, Any]) -> dict[str, Any]:
    """What prices depend on beyond the counts: the 1-hour cache share, server tools, fast mode."""
    attrs: dict[str, Any] = {}
    one_hour = count(section(usage, "cache_creation"), "ephemeral_1h_input_tokens")
    if one_hour:
        attrs["cache_write_1h_tokens"] = one_hour
    for name, value in section(usage, "server_tool_use").items():
        if isinstance(value, int) and value:
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
