"""`vaultledger log`'s work, free of typer: flag values to one record, appended to the day's file.

The typer command and the fast path both call `append_from_flags`, so they write the same line and
fail with the same message.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from vaultledger.errors import InvalidRecord, VaultledgerError

LOG_COUNT_FIELDS: dict[str, str] = {
    "cache_write_1h_tokens": "Cache-write tokens written with a 1-hour TTL (part of cache writes).",
    "input_audio_tokens": "Input tokens that are audio (part of input).",
    "input_image_tokens": "Input tokens that are images (part of input).",
    "input_video_tokens": "Input tokens that are video (part of input).",
    "cache_read_audio_tokens": "Cache-read tokens that are audio (part of cache reads).",
    "output_audio_tokens": "Output tokens that are audio (part of output).",
    "output_image_tokens": "Output tokens that are images (part of output).",
    "web_search_requests": "Server-side web searches billed per request.",
}
"""The record's further counts (SPEC §1), each a `--flag-name` of `log`, with its help."""


def append_from_flags(
    fields: dict[str, Any], cost_usd: str | None, ts: str | None,
    logs: Path | None, tz: str | None, config: Path | None,
) -> Path:
    """Append the record the flags describe; returns the file written. Raises VaultledgerError."""
    from vaultledger.capture.logger import UsageLog
    from vaultledger.record import make_record
    from vaultledger.settings import resolve_settings

    settings = resolve_settings(config=config, logs=logs, tz=tz)
    record = make_record(ts=ts or _now(), cost_usd=decimal_flag(cost_usd, "--cost-usd"), **fields)
    usage_log = UsageLog(settings.logs.value, settings.timezone.value)
    try:
        return usage_log.append(record)
    except OSError as error:
        raise VaultledgerError(f"{settings.logs.value}: cannot append ({error.strerror or error})") from None
    finally:
        usage_log.close()


def decimal_flag(text: str | None, flag: str) -> Decimal | None:
    """A money flag's value as a Decimal; anything else is an InvalidRecord naming the flag."""
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidRecord(f"{flag}: {text!r} is not a number") from None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat()
