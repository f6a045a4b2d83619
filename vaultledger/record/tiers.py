"""Service tier names (SPEC §1): the providers' own words for the standard tier, and the tiers that
have prices of their own.

A tier name is kept as the record wrote it; these functions only decide how it is priced.
"""

from __future__ import annotations

STANDARD = "standard"
STANDARD_WORDS = frozenset({"standard", "default", "auto", "on_demand", ""})
"""What providers write for the standard tier (OpenAI `default`/`auto`, Bedrock `on_demand`)."""

PRICED_TIERS = frozenset({"batch", "flex", "priority", "fast"})
"""Tiers with prices of their own: SPEC §1's, and `fast` (Claude Code's fast mode, `usage.speed`, and
OpenAI's fast tier that Codex runs at), which the price data prices for some models. A call at one of
them priced at the standard rate, because the price data has no price for it then, is a tier fallback
that reports count; any other name is an unknown tier."""


def is_known_tier(service_tier: str | None) -> bool:
    """Whether SPEC §1 (or the price data) knows the tier: a standard word or a priced tier."""
    return tier_name(service_tier) in PRICED_TIERS or tier_name(service_tier) == STANDARD


def tier_name(service_tier: str | None) -> str:
    """The tier a record's `service_tier` prices at: `standard` for every word meaning it, else the
    name lower-cased (`Batch` -> `batch`; an unknown name stays itself)."""
    tier = (service_tier or "").strip().lower()
    return STANDARD if tier in STANDARD_WORDS else tier
