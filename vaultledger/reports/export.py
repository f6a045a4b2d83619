"""Stream the records of a period with their computed cost, as CSV, JSON lines or one JSON array."""

from __future__ import annotations

import csv
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
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


def write_export_file(path: Path, rows: Iterable[dict[str, Any]], fmt: str) -> int:
    """Write the export beside `path` and rename it into place, so a failed export never leaves half a
    file. A new file gets the mode the user's umask gives any new file; an existing one keeps its mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")  # the name stale-temp sweeps know
    try:
        previous_mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        previous_mode = None
    # 0o666 before the umask, as open() would create it (mkstemp would give 0o600 whatever the umask).
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            count = write_export(iter(rows), stream, fmt)
        if previous_mode is not None:
            os.chmod(temp, previous_mode)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count


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
