"""SPEC §1 counts from one `llm` log row: its `input_tokens`, `output_tokens` and `token_details`.

Plugins store their provider's raw counts, so the arithmetic follows the plugin:
- llm-anthropic: `input_tokens` excludes cache; `token_details` is the rest of Anthropic's usage
  object (`cache_read_input_tokens`, `cache_creation_input_tokens`, the 1-hour share, web searches),
  read as Claude Code's transcripts are (`anthropic_usage`).
- llm-gemini: `token_details` is Gemini's `usageMetadata`. Output already holds thoughts; versions
  that stored candidates only get `candidatesTokenCount + thoughtsTokenCount`. Modality details
  (`promptTokensDetails` …) give the audio, image and video shares that are priced apart.
- OpenAI (built in): Chat Completions rows keep `prompt_tokens_details.cached_tokens` and
  `completion_tokens_details.reasoning_tokens`; Responses API rows (o1/o3/o4-mini/gpt-5* since llm
  0.32) keep `input_tokens_details.cached_tokens` and `output_tokens_details.reasoning_tokens`. Either
  way cached tokens are part of input and reasoning part of output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vaultledger.capture.importers.anthropic_usage import anthropic_record_fields
from vaultledger.capture.shapes.body import count, section

ANTHROPIC_KEYS = ("cache_read_input_tokens", "cache_creation_input_tokens", "cache_creation", "server_tool_use")
GEMINI_KEYS = ("thoughtsTokenCount", "cachedContentTokenCount", "candidatesTokenCount", "promptTokensDetails")
# Gemini modality → (record field for prompt tokens, for cached prompt tokens, for output tokens).
GEMINI_MODALITIES: dict[str, tuple[str | None, str | None, str | None]] = {
    "AUDIO": ("input_audio_tokens", "cache_read_audio_tokens", "output_audio_tokens"),
    "IMAGE": ("input_image_tokens", None, "output_image_tokens"),
    "DOCUMENT": ("input_image_tokens", None, None),  # genai-prices prices document pages as images
    "VIDEO": ("input_video_tokens", None, None),
}


def token_fields(input_tokens: int, output_tokens: int, details: Mapping[str, Any]) -> dict[str, Any]:
    """Record fields (counts, and for Anthropic rows tier and attrs) of one row."""
    if any(key in details for key in ANTHROPIC_KEYS):
        return anthropic_record_fields({**details, "input_tokens": input_tokens, "output_tokens": output_tokens})
    if any(key in details for key in GEMINI_KEYS):
        return gemini_fields(input_tokens, output_tokens, details)
    return openai_fields(input_tokens, output_tokens, details)


def gemini_fields(input_tokens: int, output_tokens: int, details: Mapping[str, Any]) -> dict[str, int]:
    thoughts = count(details, "thoughtsTokenCount")
    with_thoughts = count(details, "candidatesTokenCount") + thoughts
    fields = {"input_tokens": input_tokens, "cache_read_tokens": count(details, "cachedContentTokenCount"),
              "output_tokens": max(output_tokens, with_thoughts), "reasoning_tokens": thoughts}
    for position, key in enumerate(("promptTokensDetails", "cacheTokensDetails", "candidatesTokensDetails")):
        for modality, tokens in modality_counts(details.get(key)).items():
            field = GEMINI_MODALITIES.get(modality, (None, None, None))[position]
            if field:
                fields[field] = fields.get(field, 0) + tokens
    return fields


def modality_counts(details: Any) -> dict[str, int]:
    """`[{"modality": "AUDIO", "tokenCount": 12}, …]` → {"AUDIO": 12, …}; anything else → {}."""
    counts: dict[str, int] = {}
    for item in details if isinstance(details, list) else ():
        if isinstance(item, Mapping) and isinstance(item.get("modality"), str):
            counts[item["modality"]] = counts.get(item["modality"], 0) + count(item, "tokenCount")
    return counts


def openai_fields(input_tokens: int, output_tokens: int, details: Mapping[str, Any]) -> dict[str, int]:
    prompt = section(details, "prompt_tokens_details", "input_tokens_details")
    completion = section(details, "completion_tokens_details", "output_tokens_details")
    return {"input_tokens": input_tokens, "output_tokens": output_tokens,
            "cache_read_tokens": count(prompt, "cached_tokens"),
            "reasoning_tokens": count(completion, "reasoning_tokens"),
            "input_audio_tokens": count(prompt, "audio_tokens"),
            "output_audio_tokens": count(completion, "audio_tokens")}
