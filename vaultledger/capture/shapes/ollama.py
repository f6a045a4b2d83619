"""Ollama `/api/chat` and `/api/generate` final objects (`done: true`).

Ollama leaves `prompt_eval_count` out when the whole prompt came from its KV cache. That is
unknown, not zero: the record says `input_tokens: 0` (the schema needs a number) and carries
`attrs.input_tokens_unknown = true`, so reports can tell the two apart. Local calls price at $0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vaultledger.capture.shapes.body import drop_empty, parse_timestamp, present_count, text

PROVIDER = "ollama"
NANOSECONDS_PER_MS = 1_000_000


def matches(body: Mapping[str, Any]) -> bool:
    return "usage" not in body and "done" in body and ("eval_count" in body or "total_duration" in body)


def extract(body: Mapping[str, Any], told: str | None = None) -> dict[str, Any]:
    """SPEC §1 fields; `created_at` of the final object is when the call completed."""
    prompt = present_count(body, "prompt_eval_count")
    output = present_count(body, "eval_count")
    duration = present_count(body, "total_duration")
    return drop_empty({
        "provider": PROVIDER,
        "model": text(body, "model"),
        "ts": parse_timestamp(body.get("created_at")),
        "input_tokens": prompt or 0,
        "output_tokens": output or 0,
        "duration_ms": duration // NANOSECONDS_PER_MS if duration is not None else None,
        "attrs": unknown_counts(prompt, output),
    })


def unknown_counts(prompt: int | None, output: int | None) -> dict[str, bool]:
    attrs = {}
    if prompt is None:
        attrs["input_tokens_unknown"] = True
    if output is None:
        attrs["output_tokens_unknown"] = True
    return attrs
