"""Counts a provider reported that SPEC §1 cannot hold as they are, made valid, with a note saying how.

A call that happened is billed whatever its arithmetic says, so it is never dropped: a part larger than
its whole is capped at the whole, and `attrs.counts_adjusted` says what was changed from what.
"""

from __future__ import annotations

from typing import Any

NOTE = "counts_adjusted"

# (part, whole): a part that SPEC §1 counts inside its whole.
PARTS = (
    ("reasoning_tokens", "output_tokens"),
    ("cache_read_tokens", "input_tokens"),
    ("cache_write_1h_tokens", "cache_write_tokens"),
    ("cache_read_audio_tokens", "cache_read_tokens"),
)


def settle_counts(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with every part no larger than its whole; a note in attrs for each cap."""
    notes = []
    for part, whole in PARTS:
        have, limit = fields.get(part, 0), fields.get(whole, 0)
        if have > limit:
            notes.append(f"{part} {have} exceed {whole} {limit}: capped at {whole}")
            fields[part] = limit
    read, write, total = fields.get("cache_read_tokens", 0), fields.get("cache_write_tokens", 0), fields.get("input_tokens", 0)
    if read + write > total:
        notes.append(f"cache_read_tokens {read} + cache_write_tokens {write} exceed input_tokens {total}: "
                     f"cache writes capped at {total - read}")
        fields["cache_write_tokens"] = total - read
        fields["cache_write_1h_tokens"] = min(fields.get("cache_write_1h_tokens", 0), total - read)
    for note in notes:
        add_note(fields, note)
    return fields


def add_note(fields: dict[str, Any], note: str) -> None:
    """Append `note` to the record's `attrs.counts_adjusted` (one string: attrs values are scalars)."""
    attrs = dict(fields.get("attrs") or {})
    earlier = attrs.get(NOTE)
    attrs[NOTE] = f"{earlier}; {note}" if earlier else note
    fields["attrs"] = attrs
