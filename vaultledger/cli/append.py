"""`vaultledger log`'s work, free of typer: flag values to one record, appended to the day's file.

The typer command and the fast path both call `append_from_flags` and `cut_notice`, so they write the
same line, fail with the same one-line message and exit code, and warn alike about a record cut to fit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaultledger.errors import InvalidRecord, VaultledgerError

if TYPE_CHECKING:
    from vaultledger.capture.usage_log import Appended

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
) -> Appended:
    """Append the record the flags describe, whole or not at all. Raises VaultledgerError.

    A record that could not be written is also counted as dropped (capture/dropped.py): a script
    that ignores the exit code still leaves a trace `doctor` shows.
    """
    from vaultledger.capture.dropped import note_dropped
    from vaultledger.capture.usage_log import UsageLog
    from vaultledger.record import make_record
    from vaultledger.settings import resolve_settings

    settings = resolve_settings(config=config, logs=logs, tz=tz)
    record = make_record(ts=ts or _now(), cost_usd=decimal_flag(cost_usd, "--cost-usd"), **fields)
    usage_log = UsageLog.from_settings(settings)
    try:
        return usage_log.write(record)
    except OSError as error:
        note_dropped(settings.logs.value, record.ts.astimezone(usage_log.zone).date(), "unwritable", str(error))
        raise VaultledgerError(f"{settings.logs.value}: cannot append ({error.strerror or error})") from None
    finally:
        usage_log.close()


def notices(appended: Appended, service_tier: str | None) -> list[str]:
    """Warnings about a record that was written: free text cut to fit the line limit, a tier SPEC §1
    does not name (kept as written, priced as standard)."""
    from vaultledger.record.tiers import is_known_tier

    found = []
    if appended.cut:
        found.append(f"the record was over the 4 KiB line limit: kept with {', '.join(appended.cut)} cut "
                     "(attrs.truncated)")
    if not is_known_tier(service_tier):
        found.append(f"service tier {service_tier!r} is not one SPEC §1 names (standard, batch, flex, priority, "
                     "fast): kept as written, priced at the standard rate")
    return found


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
