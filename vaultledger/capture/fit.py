"""Fit a record into the 4 KiB line limit by cutting its free text, so its usage is never lost (SPEC §1).

A long `attrs` value, tag or session id must not cost the tokens and cost of the call it came with:
free-text fields are cut, step by step, until the line fits, and the record says which ones were cut
in `attrs.truncated` (e.g. `"attrs,session"`). Only a record whose required fields alone break the
limit (a 5 KB model name) cannot be kept; it is a bad call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from vaultledger.errors import InvalidRecord
from vaultledger.record import MAX_LINE_BYTES, UsageRecord, to_line

LONG_TEXT, SHORT_TEXT = 256, 32  # characters kept of a cut field; escapes can make a character 6 bytes
MAX_TAGS = 16
TRUNCATED = "truncated"  # the attrs key that names the fields cut
_NAMED_TEXTS = ("session", "unit_id", "app", "project", "use_case", "service_tier", "id")


class RecordTooLarge(InvalidRecord):
    """Even with every free-text field cut, the record's line is over the limit."""


def cut_to_fit(record: UsageRecord) -> tuple[bytes, UsageRecord, tuple[str, ...]]:
    """For a record whose line is over the limit: the line that fits, the record as written, and
    the fields cut. Raises RecordTooLarge when its required fields alone break the limit."""
    original, cut = record, []
    for name, shorten in _CUTS:
        changed = shorten(record)
        if changed is None:
            continue
        record = msgspec.structs.replace(record, **{name: changed})
        if name not in cut:
            cut.append(name)
        marked = _marked(record, cut)
        line = to_line(marked)
        if len(line) <= MAX_LINE_BYTES:
            return line, marked, tuple(cut)
    raise RecordTooLarge(_too_large_reason(original))


def _marked(record: UsageRecord, cut: list[str]) -> UsageRecord:
    return msgspec.structs.replace(record, attrs={**(record.attrs or {}), TRUNCATED: ",".join(cut)})


def _too_large_reason(record: UsageRecord) -> str:
    kept = {name: getattr(record, name) for name in record.__struct_fields__ if name not in _FREE_TEXT}
    name = max(kept, key=lambda field: len(msgspec.json.encode(kept[field])))
    size = len(msgspec.json.encode(kept[name]))
    return (f"{name} alone takes {size:,} bytes: the record cannot fit the {MAX_LINE_BYTES}-byte line limit "
            f"even with its free-text fields cut")


def _capped(text: str | None, limit: int) -> str | None:
    """`text` cut to `limit` characters with an ellipsis, or None when it is short enough already."""
    if text is None or len(text) <= limit:
        return None
    return text[: limit - 1] + "…"


def _attr_values(limit: int) -> Callable[[UsageRecord], Any]:
    def shorten(record: UsageRecord) -> dict[str, Any] | None:
        if not record.attrs:
            return None
        attrs = {str(_capped(key, SHORT_TEXT) or key): _capped(value, limit) or value if isinstance(value, str)
                 else value for key, value in record.attrs.items()}
        return attrs if attrs != record.attrs else None
    return shorten


def _no_attrs(record: UsageRecord) -> dict[str, Any] | None:
    return {} if record.attrs else None


def _tags(limit: int) -> Callable[[UsageRecord], Any]:
    def shorten(record: UsageRecord) -> tuple[str, ...] | None:
        tags = tuple(_capped(tag, limit) or tag for tag in record.tags[:MAX_TAGS])
        return tags if tags != record.tags else None
    return shorten


def _no_tags(record: UsageRecord) -> tuple[str, ...] | None:
    return () if record.tags else None


def _text(name: str, limit: int) -> tuple[str, Callable[[UsageRecord], Any]]:
    return name, lambda record: _capped(getattr(record, name), limit)


# Long text is cut before anything short is lost; then free attrs and tags go before the labels that
# reports group by, and the id, which deduplicates, comes last (a long id is always cut the same way).
_CUTS: tuple[tuple[str, Callable[[UsageRecord], Any]], ...] = (
    ("attrs", _attr_values(LONG_TEXT)), ("tags", _tags(LONG_TEXT)),
    *(_text(name, LONG_TEXT) for name in _NAMED_TEXTS),
    ("attrs", _no_attrs), ("tags", _no_tags),
    *(_text(name, SHORT_TEXT) for name in _NAMED_TEXTS),
)
_FREE_TEXT = frozenset(name for name, _ in _CUTS)
