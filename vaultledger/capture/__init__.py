"""Capture usage where it happens: one call turns an SDK response (or its JSON body) into a record.

    response = client.messages.create(...)
    vaultledger.record_response(response, project="orbis", use_case="code")

Each provider's body shape lives in its own module with `matches(body)` and `extract(body)`;
this module only turns objects into bodies, picks the shape, and hands the record to the logger.
Only usage metadata is read: prompts and completions are never copied into a record.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["record_response", "usage_from_response"]

if TYPE_CHECKING:
    from vaultledger.capture.response import record_response, usage_from_response


def __getattr__(name: str) -> Any:
    # Lazily, so that `vaultledger log` can load capture.logger without every SDK shape.
    if name not in __all__:
        raise AttributeError(f"module 'vaultledger.capture' has no attribute {name!r}")
    value = getattr(import_module("vaultledger.capture.response"), name)
    globals()[name] = value
    return value
