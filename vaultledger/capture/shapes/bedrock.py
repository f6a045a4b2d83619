"""AWS Bedrock Converse / ConverseStream bodies (boto3 returns plain dicts).

Like Anthropic, `inputTokens` EXCLUDES cache: input = inputTokens + cacheRead + cacheWrite.
The response does not name the model; the caller passes `model=` (the model id it requested).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vaultledger.capture.shapes.body import count, drop_empty, present_count, section, text

PROVIDER = "aws.bedrock"


def matches(body: Mapping[str, Any]) -> bool:
    usage = section(body, "usage")
    return "inputTokens" in usage or "outputTokens" in usage


def extract(body: Mapping[str, Any]) -> dict[str, Any]:
    """SPEC §1 fields except the model; `duration_ms` from `metrics.latencyMs`."""
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
        "duration_ms": present_count(section(body, "metrics"), "latencyMs"),
    })
