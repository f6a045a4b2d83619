"""OTLP JSON trace data, as the OpenTelemetry Collector's file exporter writes it: one
`ExportTraceServiceRequest` per line (`{"resourceSpans":[{"resource":…,"scopeSpans":[{"spans":[…]}]}]}`).

Read in both spellings a JSON encoder of the OTLP protobuf may use: the Collector's (OTLP/JSON: camelCase
keys, trace and span ids as hex, 64-bit integers as text) and protobuf's own `json_format` (ids as
base64, snake_case keys with `preserving_proto_field_name`).
"""

from __future__ import annotations

import base64
import binascii
import string
from collections.abc import Iterator, Mapping
from typing import Any

from vaultledger.capture.spans import Span

HEX_DIGITS = frozenset(string.hexdigits)
TRACE_ID_BYTES, SPAN_ID_BYTES = 16, 8


class NotTraceData(ValueError):
    """A JSON line that is not an ExportTraceServiceRequest (metrics or logs, or something else)."""


def spans_of_request(request: Any) -> Iterator[Span]:
    """Every span of one ExportTraceServiceRequest, with its resource's attributes."""
    if not isinstance(request, Mapping) or not any(key in request for key in ("resourceSpans", "resource_spans")):
        kinds = ", ".join(sorted(request)[:3]) if isinstance(request, Mapping) else type(request).__name__
        raise NotTraceData(f"not OTLP trace data (found {kinds or 'an empty object'})")
    for resource_spans in items(request, "resourceSpans", "resource_spans"):
        resource = attributes_of(member(resource_spans, "resource"))
        for scope_spans in items(resource_spans, "scopeSpans", "scope_spans", "instrumentationLibrarySpans"):
            for span in items(scope_spans, "spans"):
                yield span_of(span, resource)


def span_of(span: Mapping[str, Any], resource: Mapping[str, Any]) -> Span:
    return Span(
        attributes=attributes_of(span),
        end_ns=nanos(span, "endTimeUnixNano", "end_time_unix_nano"),
        start_ns=nanos(span, "startTimeUnixNano", "start_time_unix_nano"),
        trace_id=hex_id(span.get("traceId", span.get("trace_id")), TRACE_ID_BYTES),
        span_id=hex_id(span.get("spanId", span.get("span_id")), SPAN_ID_BYTES),
        resource=resource,
    )


def attributes_of(holder: Mapping[str, Any]) -> dict[str, Any]:
    """A `KeyValue` list (`[{"key": …, "value": {"intValue": "48"}}]`) as a plain dict."""
    found: dict[str, Any] = {}
    for pair in items(holder, "attributes"):
        key = pair.get("key")
        if isinstance(key, str):
            found[key] = any_value(pair.get("value"))
    return found


def any_value(value: Any) -> Any:
    """An OTLP `AnyValue` as Python: text, bool, int, float, tuple (arrays) or dict (kvlists)."""
    if not isinstance(value, Mapping):
        return None
    for key in ("stringValue", "string_value", "boolValue", "bool_value", "doubleValue", "double_value"):
        if key in value:
            return value[key]
    for key in ("intValue", "int_value"):
        if key in value:
            return whole_number(value[key])
    for key in ("arrayValue", "array_value"):
        if key in value:
            return tuple(any_value(item) for item in items(value[key], "values"))
    for key in ("kvlistValue", "kvlist_value"):
        if key in value:
            return {pair.get("key"): any_value(pair.get("value")) for pair in items(value[key], "values")}
    return None


def whole_number(value: Any) -> int | None:
    """int64 values are JSON text in OTLP/JSON (`"48"`), plain numbers in some encoders."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def nanos(span: Mapping[str, Any], *keys: str) -> int:
    for key in keys:
        value = whole_number(span.get(key))
        if value is not None and value > 0:
            return value
    return 0


def hex_id(value: Any, size: int) -> str:
    """A trace or span id as lowercase hex: OTLP/JSON writes hex, protobuf's json_format base64."""
    if not isinstance(value, str) or not value:
        return ""
    if len(value) == 2 * size and HEX_DIGITS.issuperset(value):
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return raw.hex() if len(raw) == size else ""


def items(holder: Any, *keys: str) -> list[Mapping[str, Any]]:
    """The objects in the first list found under `keys`; anything else in it is passed over."""
    if not isinstance(holder, Mapping):
        return []
    for key in keys:
        value = holder.get(key)
        if isinstance(value, list):
            return [item for item in value if isinstance(item, Mapping)]
    return []


def member(holder: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = holder.get(key)
    return value if isinstance(value, Mapping) else {}
