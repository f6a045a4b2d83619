"""Reports for the terminal and for scripts: the SPEC §8 JSON shape, CSV rows and rich tables."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from vaultledger.aggregate import Sums, Usage
from vaultledger.periods import Period
from vaultledger.pricing import format_usd
from vaultledger.reader import ReadStats
from vaultledger.render import format_share

BREAKDOWNS = ("provider", "model", "project", "use_case")
TOTAL_FIELDS = (
    "calls", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
)
ROW_FIELDS = ("key", "calls", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
              "reasoning_tokens", "cost_usd", "unpriced_calls")


def dollars(amount: Decimal) -> float:
    """JSON carries dollars as a number; 9 decimals keep sub-cent amounts exact enough (≥ 6 required)."""
    return float(amount.quantize(Decimal("0.000000001")))


def sums_json(sums: Sums) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(sums, name) for name in TOTAL_FIELDS}
    values["cost_usd"] = dollars(sums.cost)
    values["unpriced_calls"] = sums.unpriced_calls
    return values


def report_json(period: Period, usage: Usage, stats: ReadStats, by: Sequence[str] = BREAKDOWNS) -> dict[str, Any]:
    """The `report --format json` document; its shape is a contract (SPEC §8)."""
    document: dict[str, Any] = {
        "period": {
            "kind": period.kind,
            "key": period.key,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "totals": sums_json(usage.totals()),
    }
    for dimension in dict.fromkeys([*BREAKDOWNS, *by]):
        document[f"by_{dimension}"] = [{"key": key, **sums_json(sums)} for key, sums in usage.by(dimension)]
    document["unpriced_models"] = usage.unpriced_models()
    document["problems"] = {"invalid_lines": stats.invalid_lines, "duplicates": stats.duplicates}
    return document


def report_csv(usage: Usage, by: str) -> str:
    """One row per value of the `--by` dimension, plus a total row; cost as exact decimal text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([by, *ROW_FIELDS[1:], "share"])
    total = usage.totals()
    for key, sums in [*usage.by(by), ("TOTAL", total)]:
        writer.writerow([key if key is not None else "", *_csv_numbers(sums), _share(sums, total)])
    return buffer.getvalue()


def _csv_numbers(sums: Sums) -> list[Any]:
    return [*(getattr(sums, name) for name in TOTAL_FIELDS), f"{sums.cost:f}", sums.unpriced_calls]


def _share(sums: Sums, total: Sums) -> str:
    return format_share(sums.cost, total.cost) if total.cost else format_share(sums.calls, total.calls)


def report_table_rows(usage: Usage, by: str) -> list[list[str]]:
    """Rows for a terminal table, most expensive first, with a share column."""
    total = usage.totals()
    rows = []
    for key, sums in usage.by(by):
        cost = format_usd(sums.cost) + (f" (+{sums.unpriced_calls} unpriced)" if sums.unpriced_calls else "")
        rows.append([
            "(none)" if key is None else str(key), f"{sums.calls:,}", f"{sums.input_tokens:,}",
            f"{sums.output_tokens:,}", cost, _share(sums, total),
        ])
    return rows
