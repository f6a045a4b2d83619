"""AWS Bedrock Converse / ConverseStream bodies (boto3 returns plain dicts), and the InvokeModel bodies
of Amazon Titan models, which count tokens at the top level (`inputTextTokenCount`, and each result's
`tokenCount`; a Titan embedding has only the former).

Like Anthropic, `inputTokens` EXCLUDES cache: input = inputTokens + cacheRead + cacheWrite;
`cacheDetails` splits the writes by TTL, and 1-hour writes cost more.
The response does not name the model; the caller passes `model=` (the model id it requested).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vaultledger.capture.shapes.body import count, drop_empty, present_count, section, text

PROVIDER = "aws.bedrock"


def matches(body: Mapping[str, Any]) -> bool:
    usage = section(body, "usage")
    return "inputTokens" in usage or "outputTokens" in usage or present_count(body, "inputTextTokenCount") is not None


def extract(body: Mapping[str, Any], told: str | None = None) -> dict[str, Any]:
    """SPEC §1 fields except the model; `duration_ms` from `metrics.latencyMs`."""
    if "usage" not in body:
        return titan_fields(body)
    usage = section(body, "usage")
    cache_read = count(usage, "cacheReadInputTokens")
    cache_write = count(usage, "cacheWriteInputTokens")
    return drop_empty({
        "provider": PROVIDER,
        "id": text(section(body, "ResponseMetadata"), "RequestId"),
        "input_tokens": count(usage, "inputTokens") + cache_read + cache_write,
        "output_tokens": count(usage, "outputTokens"),
        "cache_read_tokens": cache_read,
        "cache_write_tokens": cache_write,
        "cache_write_1h_tokens": one_hour_writes(usage),
        "duration_ms": present_count(section(body, "metrics"), "latencyMs"),
    })


def one_hour_writes(usage: Mapping[str, Any]) -> int:
    entries = usage.get("cacheDetails")
    if not isinstance(entries, list):
        return 0
    return sum(count(entry, "inputTokens") for entry in entries if isinstance(entry, Mapping) and entry.get("ttl") == "1h")


def titan_fields(body: Mapping[str, Any]) -> dict[str, Any]:
    results = body.get("results")
    outputs = [count(result, "tokenCount") for result in results if isinstance(result, Mapping)] \
        if isinstance(results, list) else []
    return {"provider": PROVIDER, "input_tokens": count(body, "inputTextTokenCount"), "output_tokens": sum(outputs)}
