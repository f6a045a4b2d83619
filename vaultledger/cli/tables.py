"""Rich tables for the terminal: a period's report, and two periods side by side."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vaultledger.notes.escape import plain_label
from vaultledger.pricing import format_usd

if TYPE_CHECKING:
    from vaultledger.ledger.usage import Usage
    from vaultledger.periods import Period
    from vaultledger.ledger.files import ReadStats


def _console() -> Console:
    # Off a terminal rich assumes 80 columns; reports piped to a file or CI deserve full rows.
    return Console(width=None if sys.stdout.isatty() else 160)


def _label(key: object) -> str:
    # Record text is capped and shown as text: a name must not be read as rich markup.
    return escape(plain_label(key))


def print_report_table(period: Period, usage: Usage, stats: ReadStats, by: str) -> None:
    """The period's totals, one row per `by` key, then unpriced models and skipped lines."""
    from vaultledger.reports.report import report_table_rows

    console = _console()
    total = usage.totals()
    console.print(f"[bold]{period.kind} {period.key}[/] ({period.start} – {period.end}): "
                  f"[bold]{format_usd(total.cost)}[/], {total.calls:,} call{'' if total.calls == 1 else 's'}, "
                  f"{total.input_tokens:,} in / {total.output_tokens:,} out tokens")
    table = Table(show_edge=False)
    for column, justify in ((by, "left"), ("calls", "right"), ("tokens in", "right"),
                            ("tokens out", "right"), ("cost", "right"), ("share", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for key, *figures in report_table_rows(usage, by):
        table.add_row(_label(key), *figures)
    if total.calls:
        console.print(table)
    for model, calls in usage.unpriced_models().items():
        console.print(f"[yellow]unpriced:[/] {_label(model)} ({calls:,} calls) — add a \\[\\[prices]] entry")
    if stats.invalid_lines:
        console.print(f"[red]{stats.invalid_lines:,} invalid log lines skipped[/] (vaultledger doctor lists them)")


def print_comparison_table(period: Period, usage: Usage, other: Period, other_usage: Usage, by: str) -> None:
    """Both periods' totals and the change, then one row per `by` key."""
    from vaultledger.reports import report

    console = _console()
    now, then = usage.totals(), other_usage.totals()
    console.print(f"[bold]{period.key}[/] {format_usd(now.cost)} vs [bold]{other.key}[/] {format_usd(then.cost)}: "
                  f"{report.change_percent(now.cost, then.cost)}")
    table = Table(show_edge=False)
    for column in (by, f"calls {period.key}", f"cost {period.key}", f"calls {other.key}", f"cost {other.key}",
                   "change"):
        table.add_column(column, justify="left" if column == by else "right")
    for key, current, previous, change in report.compare_rows(usage, other_usage, by):
        table.add_row(_label(key), f"{current.calls:,}", format_usd(current.cost),
                      f"{previous.calls:,}", format_usd(previous.cost), change)
    console.print(table)
