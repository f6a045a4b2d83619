"""Gemini `generateContent` bodies (REST camelCase `usageMetadata` and the SDK's snake_case), from the
Gemini API and from Vertex AI, whose bodies add `createTime` and `usageMetadata.trafficType`.

Cached tokens are part of the prompt; tool-use prompt tokens are input on top of the prompt;
thoughts are billed as output but not counted in candidates: output = candidates + thoughts.
Audio, image and video tokens are priced apart, so the per-modality details are kept as SPEC §1's
parts (a DOCUMENT is priced as images, as genai-prices does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vaultledger.capture.shapes.body import count, drop_empty, section, text

PROVIDER = "gcp.gemini"
VERTEX = "gcp.vertex_ai"
INPUT_PARTS = {"AUDIO": "input_audio_tokens", "IMAGE": "input_image_tokens", "DOCUMENT": "input_image_tokens",
               "VIDEO": "input_video_tokens"}
OUTPUT_PARTS = {"AUDIO": "output_audio_tokens", "IMAGE": "output_image_tokens", "DOCUMENT": "output_image_tokens"}
CACHE_PARTS = {"AUDIO": "cache_read_audio_tokens"}


def matches(body: Mapping[str, Any]) -> bool:
    return bool(section(body, "usageMetadata", "usage_metadata"))


def extract(body: Mapping[str, Any], told: str | None = None) -> dict[str, Any]:
    """SPEC §1 fields, with the modality parts the body reports."""
    usage = section(body, "usageMetadata", "usage_metadata")
    thoughts = count(usage, "thoughtsTokenCount", "thoughts_token_count")
    parts: dict[str, int] = {}
    for key, names in (("promptTokensDetails", INPUT_PARTS), ("toolUsePromptTokensDetails", INPUT_PARTS),
                       ("candidatesTokensDetails", OUTPUT_PARTS), ("cacheTokensDetails", CACHE_PARTS)):
        add_modalities(parts, details(usage, key), names)
    return drop_empty({
        "provider": VERTEX if is_vertex(body, usage) else PROVIDER,
        "model": text(body, "modelVersion", "model_version"),
        "id": text(body, "responseId", "response_id"),
        "input_tokens": count(usage, "promptTokenCount", "prompt_token_count")
        + count(usage, "toolUsePromptTokenCount", "tool_use_prompt_token_count"),
        "output_tokens": count(usage, "candidatesTokenCount", "candidates_token_count") + thoughts,
        "cache_read_tokens": count(usage, "cachedContentTokenCount", "cached_content_token_count"),
        "reasoning_tokens": thoughts,
        **parts,
    })


def is_vertex(body: Mapping[str, Any], usage: Mapping[str, Any]) -> bool:
    """Vertex AI stamps `createTime` and a `trafficType`; the Gemini API sends neither."""
    return any(body.get(key) for key in ("createTime", "create_time")) or any(
        usage.get(key) for key in ("trafficType", "traffic_type"))


def details(usage: Mapping[str, Any], key: str) -> list[Any]:
    """A `…TokensDetails` list under its camelCase or snake_case name."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
    value = usage.get(key) or usage.get(snake)
    return value if isinstance(value, list) else []


def add_modalities(parts: dict[str, int], entries: list[Any], names: Mapping[str, str]) -> None:
    """Add each `{modality, tokenCount}` entry to the part its modality is priced as."""
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        name = names.get(str(entry.get("modality", "")).upper())
        if name:
            parts[name] = parts.get(name, 0) + count(entry, "tokenCount", "token_count")
