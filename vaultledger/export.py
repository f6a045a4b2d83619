"""Stream the records of a period with their computed cost, as CSV, JSON lines or one JSON array."""

from __future__ import annotations

import csv
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import msgspec

from vaultledger.periods import Period
from vaultledger.pricing import PriceBook
from vaultledger.ledger import read_jointly
from vaultledger.reader import ReadStats, files_for_days, list_log_files, outside_window, read_file
from vaultledger.record import UsageRecord

FORMATS = ("csv", "jsonl", "json")
CSV_COLUMNS = (
    "ts", "day", "provider", "model", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "reasoning_tokens", "cost_usd", "price_source", "id", "app", "project",
    "use_case", "unit_id", "session", "service_tier", "duration_ms", "tags",
)
_json = msgspec.json.Encoder(decimal_format="number")


def period_records(
    logs_dir: Path, period: Period, tz: str, stats: ReadStats, joined: dict[Path, frozenset[Path]] | None = None
) -> Iterator[tuple[str, UsageRecord]]:
    """(local day, record) for every valid, deduplicated record whose local day is in the period.

    `joined` (from Ledger.joined_files) names files that share ids with a neighbour; those are
    read together, so a call logged in two files is exported once, as reports count it.
    """
    zone = zoneinfo.ZoneInfo(tz)
    joined = joined or {}
    done: set[Path] = set()
    for log in files_for_days(list_log_files(logs_dir), period.start, period.end):
        if log.path in done:
            continue
        group = joined.get(log.path)
        if group:
            paths = sorted(group, key=lambda path: path.name)
            done.update(paths)
            records = read_jointly(paths, zone, {path: stats for path in paths})
        else:
            records = read_file(log.path, stats, outside_window(log.path, zone))
        for record in records:
            day = record.ts.astimezone(zone).date()
            if period.start <= day <= period.end:
                yield day.isoformat(), record


def export_rows(
    logs_dir: Path, period: Period, tz: str, book: PriceBook, stats: ReadStats,
    joined: dict[Path, frozenset[Path]] | None = None,
) -> Iterator[dict[str, Any]]:
    for day, record in period_records(logs_dir, period, tz, stats, joined):
        priced = book.cost_of(record)
        row = msgspec.structs.asdict(record)
        row["ts"] = record.ts.isoformat()
        row["day"] = day
        row["cost_usd"] = priced.cost
        row["price_source"] = priced.source
        yield row


def write_export(rows: Iterator[dict[str, Any]], output: IO[str], fmt: str) -> int:
    """Write rows in `fmt` as they come (memory stays flat); returns how many were written."""
    writers = {"csv": _write_csv, "jsonl": _write_jsonl, "json": _write_json}
    return writers[fmt](rows, output)


def _write_csv(rows: Iterator[dict[str, Any]], output: IO[str]) -> int:
    writer = csv.DictWriter(output, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        row["tags"] = ";".join(row.get("tags") or [])
        row["cost_usd"] = "" if row["cost_usd"] is None else f"{row['cost_usd']:f}"
        writer.writerow(row)
        count += 1
    return count


def _write_jsonl(rows: Iterator[dict[str, Any]], output: IO[str]) -> int:
    count = 0
    for row in rows:
        output.write(_json.encode(row).decode() + "\n")
        count += 1
    return count


def _write_json(rows: Iterator[dict[str, Any]], output: IO[str]) -> int:
    count = 0
    output.write("[")
    for row in rows:
        output.write(("," if count else "") + "\n" + _json.encode(row).decode())
        count += 1
    output.write("\n]\n" if count else "]\n")
    return count
