"""Stream the records of a period with their computed cost, as CSV, JSON lines or one JSON array."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO, Any

import msgspec

from vaultledger.ledger import Ledger
from vaultledger.periods import Period
from vaultledger.record import COUNT_FIELDS

FORMATS = ("csv", "jsonl", "json")
CSV_COLUMNS = (
    "ts", "day", "provider", "model", *COUNT_FIELDS, "cost_usd", "price_source", "id", "app", "project",
    "use_case", "unit_id", "session", "service_tier", "duration_ms", "tags",
)
_json = msgspec.json.Encoder(decimal_format="number")


def export_rows(ledger: Ledger, period: Period) -> Iterator[dict[str, Any]]:
    """Every call the period's reports count, as a row with its computed cost."""
    book = ledger.book
    for day, record in ledger.records(period.start, period.end):
        priced = book.cost_of(record)
        row = msgspec.structs.asdict(record)
        row["ts"] = record.ts.isoformat()
        row["day"] = day.isoformat()
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
