"""Cohere bodies (v2 chat: `usage.billed_units`; v1 chat and embed: `meta.billed_units`).

`billed_units` are what Cohere charges. `usage.tokens` counts every token the model saw (system
prompt and tool plumbing included) and `usage.cached_tokens` can exceed the billed input, so neither
is the bill. Cohere's chat responses do not name the model: the caller passes `model=`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vaultledger.capture.shapes.body import count, drop_empty, section, text

PROVIDER = "cohere"


def billed_units(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return section(section(body, "usage"), "billed_units") or section(section(body, "meta"), "billed_units")


def matches(body: Mapping[str, Any]) -> bool:
    return bool(billed_units(body))


def extract(body: Mapping[str, Any], told: str | None = None) -> dict[str, Any]:
    """SPEC §1 fields except the model, which the response leaves out."""
    billed = billed_units(body)
    return drop_empty({
        "provider": PROVIDER,
        "model": text(body, "model"),
        "id": text(body, "id", "response_id", "generation_id"),
        "input_tokens": count(billed, "input_tokens"),
        "output_tokens": count(billed, "output_tokens"),
    })
