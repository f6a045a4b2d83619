"""Gemini `generateContent` bodies (REST camelCase `usageMetadata` and the SDK's snake_case).

Cached tokens are part of the prompt; tool-use prompt tokens are input on top of the prompt;
thoughts are billed as output but not counted in candidates: output = candidates + thoughts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vaultledger.capture.shapes.body import count, drop_empty, section, text

PROVIDER = "gcp.gemini"


def matches(body: Mapping[str, Any]) -> bool:
    return bool(section(body, "usageMetadata", "usage_metadata"))


def extract(body: Mapping[str, Any]) -> dict[str, Any]:
    """SPEC §1 fields; Vertex AI bodies look the same, so pass `provider="gcp.vertex_ai"` for them."""
    usage = section(body, "usageMetadata", "usage_metadata")
    thoughts = count(usage, "thoughtsTokenCount", "thoughts_token_count")
    return drop_empty({
        "provider": PROVIDER,
        "model": text(body, "modelVersion", "model_version"),
        "id": text(body, "responseId", "response_id"),
        "input_tokens": count(usage, "promptTokenCount", "prompt_token_count")
        + count(usage, "toolUsePromptTokenCount", "tool_use_prompt_token_count"),
        "output_tokens": count(usage, "candidatesTokenCount", "candidates_token_count") + thoughts,
        "cache_read_tokens": count(usage, "cachedContentTokenCount", "cached_content_token_count"),
        "reasoning_tokens": thoughts,
    })
