"""xAI's native API bodies (the `xai-sdk` gRPC responses, as JSON): `usage` with `prompt_text_tokens`.

xAI counts reasoning OUTSIDE `completion_tokens` (total = prompt + completion + reasoning), and bills it
as output: output = completion_tokens + reasoning_tokens. `cached_prompt_text_tokens` are cache reads,
part of the prompt. After server-side tools ran, the cached count can exceed the prompt count; there is
no documented rule for that, so the settle step caps it and says so in the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vaultledger.capture.shapes.body import count, drop_empty, section, text

PROVIDER = "x_ai"
# Fields only the native API's usage has.
NATIVE_FIELDS = ("prompt_text_tokens", "cached_prompt_text_tokens")


def matches(body: Mapping[str, Any]) -> bool:
    usage = section(body, "usage")
    return any(name in usage for name in NATIVE_FIELDS)


def extract(body: Mapping[str, Any], told: str | None = None) -> dict[str, Any]:
    """SPEC §1 fields of a chat completion from xAI's native API."""
    usage = section(body, "usage")
    reasoning = count(usage, "reasoning_tokens")
    return drop_empty({
        "provider": PROVIDER,
        "model": text(body, "model"),
        "id": text(body, "id"),
        "input_tokens": count(usage, "prompt_tokens"),
        "output_tokens": count(usage, "completion_tokens") + reasoning,
        "cache_read_tokens": count(usage, "cached_prompt_text_tokens"),
        "reasoning_tokens": reasoning,
    })
