"""Reports for the terminal and for scripts: the SPEC §8 JSON shape, CSV rows and rich tables."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import Any

from vaultledger.ledger.conflicts import PendingCopy
from vaultledger.ledger.files import ReadStats
from vaultledger.ledger.usage import Sums, Usage
from vaultledger.periods import Period
from vaultledger.pricing import format_share, format_usd
from vaultledger.record import COUNT_FIELDS
from vaultledger.reports.problems import Outlier, problems_json

BREAKDOWNS = ("provider", "model", "project", "use_case")
TOTAL_FIELDS = ("calls", *COUNT_FIELDS)
CSV_FIELDS = (
    "calls", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
)
# Nine places keep a share of a billion-dollar total that is one cent apart from zero.
SHARE_PLACES = Decimal("0.000000001")
ROW_FIELDS = ("key", "calls", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
              "reasoning_tokens", "cost_usd", "unpriced_calls")


def dollars(amount: Decimal) -> float:
    """JSON carries dollars as a number; 9 decimals keep sub-cent amounts exact enough (≥ 6 required)."""
    with localcontext() as context:
        context.prec = 60  # a year of large bills must not overflow the default 28 digits
        return float(amount.quantize(Decimal("0.000000001")))


def sums_json(sums: Sums) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(sums, name) for name in TOTAL_FIELDS}
    values["cost_usd"] = dollars(sums.cost)
    values["unpriced_calls"] = sums.unpriced_calls
    return values


def report_json(
    period: Period, usage: Usage, stats: ReadStats, by: Sequence[str] = BREAKDOWNS, outliers: Sequence[Outlier] = (),
    dropped: int = 0,
    conflicts: Sequence[PendingCopy] = (),
) -> dict[str, Any]:
    """The `report --format json` document; its shape is a contract (SPEC §8). Every breakdown is
    there, and `by_X` for each further dimension in `by` (`by_day`, `by_host`, `by_attr.KEY` …)."""
    document: dict[str, Any] = {"period": _period_json(period), "totals": sums_json(usage.totals())}
    for dimension in dict.fromkeys([*BREAKDOWNS, *by]):
        document[f"by_{dimension}"] = [{"key": key, **sums_json(sums)} for key, sums in usage.by(dimension)]
    document["unpriced_models"] = usage.unpriced_models()
    document["problems"] = problems_json(stats, usage, outliers, dropped, conflicts)
    return document


def _csv_writer(buffer: io.StringIO) -> Any:
    import csv  # only for CSV: every report imports this module

    return csv.writer(buffer, lineterminator="\n")


def report_csv(usage: Usage, by: str) -> str:
    """One row per value of the `--by` dimension and nothing else (a total row would be summed with the
    data by any spreadsheet); cost as exact decimal text, share as a number: the row's fraction of the
    total cost (of the calls when nothing cost anything), 0.25 for a quarter."""
    buffer = io.StringIO()
    writer = _csv_writer(buffer)
    writer.writerow([by, *ROW_FIELDS[1:], "share"])
    total = usage.totals()
    for key, sums in usage.by(by):
        writer.writerow([key if key is not None else "", *_csv_numbers(sums), _share_number(sums, total)])
    return buffer.getvalue()


def _csv_numbers(sums: Sums) -> list[Any]:
    return [*(getattr(sums, name) for name in CSV_FIELDS), f"{sums.cost:f}", sums.unpriced_calls]


def _share_number(sums: Sums, total: Sums) -> str:
    part, whole = (sums.cost, total.cost) if total.cost else (Decimal(sums.calls), Decimal(total.calls))
    if not whole:
        return "0"
    share = (part / whole).quantize(SHARE_PLACES)
    return f"{share.normalize():f}" if share else "0"


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


def compare_rows(now: Usage, then: Usage, by: str) -> list[tuple[str | None, Sums, Sums, str]]:
    """Rows for `--compare`: every key in either period, with the change in cost as text."""
    current, previous = dict(now.by(by)), dict(then.by(by))
    keys = list(dict.fromkeys([*current, *previous]))
    return [
        (key, current.get(key, Sums()), previous.get(key, Sums()),
         change_percent(current.get(key, Sums()).cost, previous.get(key, Sums()).cost))
        for key in keys
    ]


def change_percent(now: Decimal, then: Decimal) -> str:
    if then == 0:
        return "new" if now else "—"
    return f"{(now - then) / then * 100:+.0f} %"


def compare_json(period: Period, usage: Usage, other: Period, other_usage: Usage, by: str) -> dict[str, Any]:
    return {
        "period": _period_json(period), "compare_to": _period_json(other),
        "totals": sums_json(usage.totals()), "compare_totals": sums_json(other_usage.totals()),
        f"by_{by}": [
            {"key": key, "now": sums_json(now), "then": sums_json(then), "change": change}
            for key, now, then, change in compare_rows(usage, other_usage, by)
        ],
    }


def compare_csv(usage: Usage, other_usage: Usage, by: str) -> str:
    buffer = io.StringIO()
    writer = _csv_writer(buffer)
    writer.writerow([by, "calls", "cost_usd", "compare_calls", "compare_cost_usd", "change"])
    for key, now, then, change in compare_rows(usage, other_usage, by):
        writer.writerow(["" if key is None else key, now.calls, f"{now.cost:f}", then.calls, f"{then.cost:f}", change])
    return buffer.getvalue()


def _period_json(period: Period) -> dict[str, str]:
    return {"kind": period.kind, "key": period.key, "start": period.start.isoformat(), "end": period.end.isoformat()}
