"""A document as `json.dumps(document, indent=2, ensure_ascii=False)` writes it, byte for byte, made by
msgspec: the json module's import and its pure-Python indenting encoder were 2-3 ms of every
`report --format json` (a warm year's report takes 60)."""

from __future__ import annotations

from typing import Any

import msgspec

_encode = msgspec.json.Encoder().encode
_INFINITY = float("inf")


def json_text(document: Any) -> str:
    """The document indented by two spaces, as json.dumps writes it: floats as Python's repr prints
    them (msgspec would print 1e-05 as 0.00001), non-ASCII text as itself. Raises TypeError or
    ValueError for what no report document holds: keys other than str, floats that are not finite
    (json.dumps would write NaN, which is no JSON), values of other types."""
    return msgspec.json.format(_encode(_json_floats(document)), indent=2).decode()


def _json_floats(value: Any) -> Any:
    if isinstance(value, float):
        if value != value or value in (_INFINITY, -_INFINITY):
            raise ValueError(f"{value!r} is no JSON number: a report's figures are all finite")
        return msgspec.Raw(float.__repr__(value).encode())
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("keys must be str: the report's documents hold no other")
        return {key: _json_floats(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_floats(item) for item in value]
    if value is None or isinstance(value, (str, int)):  # bool is an int
        return value
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
