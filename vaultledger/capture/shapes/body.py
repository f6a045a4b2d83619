"""Reading values out of provider JSON bodies: counts that may be missing or null, nested keys, times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def section(body: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """The first of `keys` holding an object (camelCase or snake_case spellings), else `{}`."""
    for key in keys:
        value = body.get(key)
        if isinstance(value, Mapping):
            return value
    return {}


def count(body: Mapping[str, Any], *keys: str) -> int:
    """The first of `keys` holding a whole number; missing or null counts as 0."""
    value = present_count(body, *keys)
    return 0 if value is None else value


def present_count(body: Mapping[str, Any], *keys: str) -> int | None:
    """Like `count`, but None when no key holds a number (unknown is not zero)."""
    for key in keys:
        value = body.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    return None


def text(body: Mapping[str, Any], *keys: str) -> str | None:
    """The first of `keys` holding a non-empty string."""
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An aware datetime from RFC 3339 text (`Z`, nanoseconds allowed) or Unix seconds; naive means UTC."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def drop_empty(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` without None values and empty attrs, so defaults and context can fill them."""
    return {key: value for key, value in fields.items() if value is not None and value != {}}
