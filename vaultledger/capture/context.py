"""Defaults for every record logged inside a `with vaultledger.capture.context(...)` block."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from typing import Any

_defaults: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "vaultledger_defaults", default={}
)
active_defaults = _defaults.get  # the defaults in force here: empty outside any context block


@contextlib.contextmanager
def context(**fields: Any) -> Iterator[Mapping[str, Any]]:
    """Attribute a whole job with one line: `with context(project="orbis", use_case="code"):`.

    Nested blocks add to (and override) the outer ones; tags accumulate. Works across threads
    started inside the block only when they copy the context (contextvars semantics).
    """
    outer = _defaults.get()
    merged = {**outer, **{k: v for k, v in fields.items() if v is not None}}
    if "tags" in outer and "tags" in fields:
        merged["tags"] = [*outer["tags"], *fields["tags"]]
    token = _defaults.set(merged)
    try:
        yield merged
    finally:
        _defaults.reset(token)


def with_context_defaults(fields: Mapping[str, Any]) -> dict[str, Any]:
    """`fields` with the active context's defaults filled in where the caller gave nothing.

    Outside any context a dict is returned as it is (log_usage's own keyword dict, which it may
    change); other mappings are copied."""
    defaults = _defaults.get()
    if not defaults:
        return fields if type(fields) is dict else dict(fields)
    combined = dict(defaults)
    combined.update({k: v for k, v in fields.items() if v is not None})
    if "tags" in defaults and fields.get("tags"):
        combined["tags"] = [*defaults["tags"], *fields["tags"]]
    return combined
