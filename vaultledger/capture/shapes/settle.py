"""Counts a provider reported that SPEC §1 cannot hold as they are, made valid, with a note saying how.

A call that happened is billed whatever its arithmetic says, so it is never dropped: a part larger than
its whole is capped at the whole (a modality split that does not fit is dropped, leaving the whole),
and `attrs.counts_adjusted` says what was changed from what.
"""

from __future__ import annotations

from typing import Any

NOTE = "counts_adjusted"

# Modality parts that together must fit in their whole.
MODALITIES = (
    (("input_audio_tokens", "input_image_tokens", "input_video_tokens"), "input_tokens"),
    (("output_audio_tokens", "output_image_tokens"), "output_tokens"),
)
# (part, whole): a part that SPEC §1 counts inside its whole.
PARTS = (
    ("reasoning_tokens", "output_tokens"),
    ("cache_read_tokens", "input_tokens"),
    ("cache_write_1h_tokens", "cache_write_tokens"),
    ("cache_read_audio_tokens", "cache_read_tokens"),
)


def settle_counts(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with every part no larger than its whole; a note in attrs for each change."""
    for note in [*cap_parts(fields), *cap_cache_writes(fields), *drop_unfitting_modalities(fields)]:
        add_note(fields, note)
    return fields


def cap_parts(fields: dict[str, Any]) -> list[str]:
    notes = []
    for part, whole in PARTS:
        have, limit = fields.get(part, 0), fields.get(whole, 0)
        if have > limit:
            notes.append(f"{part} {have} exceed {whole} {limit}: capped at {whole}")
            fields[part] = limit
    return notes


def cap_cache_writes(fields: dict[str, Any]) -> list[str]:
    read, write, total = (fields.get(name, 0) for name in ("cache_read_tokens", "cache_write_tokens", "input_tokens"))
    if read + write <= total:
        return []
    fields["cache_write_tokens"] = total - read
    fields["cache_write_1h_tokens"] = min(fields.get("cache_write_1h_tokens", 0), total - read)
    return [f"cache_read_tokens {read} + cache_write_tokens {write} exceed input_tokens {total}: "
            f"cache writes capped at {total - read}"]


def drop_unfitting_modalities(fields: dict[str, Any]) -> list[str]:
    notes = []
    for parts, whole in MODALITIES:
        have, limit = sum(fields.get(part, 0) for part in parts), fields.get(whole, 0)
        if have > limit:
            notes.append(f"{' + '.join(parts)} {have} exceed {whole} {limit}: modality split dropped")
            fields.update(dict.fromkeys(parts, 0))
    return notes


def add_note(fields: dict[str, Any], note: str) -> None:
    """Append `note` to the record's `attrs.counts_adjusted` (one string: attrs values are scalars)."""
    attrs = dict(fields.get("attrs") or {})
    earlier = attrs.get(NOTE)
    attrs[NOTE] = f"{earlier}; {note}" if earlier else note
    fields["attrs"] = attrs
