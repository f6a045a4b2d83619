"""SPEC §1 fields from an Anthropic `usage` object as foreign logs keep it (Claude Code's transcripts,
llm-anthropic's `token_details`): the counts of `capture.shapes.anthropic.usage_fields` plus what prices
depend on beyond them, as record fields rather than attrs.

- 1-hour cache writes (`cache_creation.ephemeral_1h_input_tokens`) become `cache_write_1h_tokens`, a
  subset of `cache_write_tokens`. When the TTL breakdown adds up to more than
  `cache_creation_input_tokens` (or that total is missing), the breakdown is taken as the truth and
  input grows with it, so the subset never exceeds its whole.
- `server_tool_use.web_search_requests` becomes `web_search_requests` (billed per search).
- `speed: "fast"` (Claude Code's fast mode) becomes service tier `fast`, since it is priced as one;
  otherwise the `service_tier` Anthropic reported is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vaultledger.capture.shapes.anthropic import usage_fields
from vaultledger.capture.shapes.body import count, section, text

FAST_SPEED = "fast"
RECORD_COUNTS = ("cache_write_1h_tokens", "web_search_requests")  # record fields, never attrs


def anthropic_record_fields(usage: Mapping[str, Any]) -> dict[str, Any]:
    """Token fields, `service_tier` and `attrs` for one Anthropic usage object."""
    fields = dict(usage_fields(usage))
    by_ttl = section(usage, "cache_creation")
    five_minutes = count(by_ttl, "ephemeral_5m_input_tokens")
    one_hour = count(by_ttl, "ephemeral_1h_input_tokens")
    missing_writes = five_minutes + one_hour - fields["cache_write_tokens"]
    if missing_writes > 0 and fields["cache_write_tokens"] >= 0:  # a negative total stays invalid
        fields["cache_write_tokens"] += missing_writes
        fields["input_tokens"] += missing_writes
    fields["cache_write_1h_tokens"] = one_hour
    fields["web_search_requests"] = count(section(usage, "server_tool_use"), "web_search_requests")
    fields["service_tier"] = service_tier(usage)
    attrs = {key: value for key, value in (fields.get("attrs") or {}).items() if key not in RECORD_COUNTS}
    fields["attrs"] = attrs or None
    return fields


def service_tier(usage: Mapping[str, Any]) -> str | None:
    """`fast` for fast-mode messages (priced apart), else the tier Anthropic reported."""
    if text(usage, "speed") == FAST_SPEED:
        return FAST_SPEED
    return text(usage, "service_tier")
