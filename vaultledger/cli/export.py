"""`vaultledger export`: records with their computed cost, to stdout or a file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from vaultledger.cli import fail, user_errors
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt, VaultOpt, period_options
from vaultledger.cli.resolve import period_or_today, settings_from, warn_if_no_logs
from vaultledger.cli.period_flags import PeriodFlags


@period_options()
def export_command(
    period: PeriodFlags,
    fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or json.")] = "csv",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (default stdout).")] = None,
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Export records with their computed cost and price source (default: today).

    Example: vaultledger export --quarter 2026Q1 --format csv --output q1.csv
    """
    from vaultledger.reports.export import FORMATS, export_rows, write_export, write_export_file
    from vaultledger.reports.problems import cut_files
    from vaultledger.ledger import Ledger

    if fmt not in FORMATS:
        raise fail(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}", code=2)
    with user_errors():
        settings = settings_from(config, vault, logs, tz)
        chosen = period_or_today(period, settings)
        ledger = Ledger.from_settings(settings)
        rows = export_rows(ledger, chosen)
        count = write_export(rows, sys.stdout, fmt) if output is None else write_export_file(output, rows, fmt)
        stats = ledger.stats  # what the report of the period counts
    warn_if_no_logs(settings)
    typer.echo(f"exported {count:,} records ({chosen.kind} {chosen.key})", err=True)
    if stats.invalid_lines:
        typer.echo(f"vaultledger: warning: {stats.invalid_lines:,} invalid log lines skipped", err=True)
    for cut in cut_files(stats):
        typer.echo(f"vaultledger: warning: {cut}", err=True)
