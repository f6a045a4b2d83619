"""`vaultledger export`: records with their computed cost, to stdout or a file."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Optional

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
    from vaultledger.reports.export import FORMATS, export_rows, write_export
    from vaultledger.reports.problems import cut_files
    from vaultledger.ledger import Ledger

    if fmt not in FORMATS:
        raise fail(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}", code=2)
    with user_errors():
        settings = settings_from(config, vault, logs, tz)
        chosen = period_or_today(period, settings)
        ledger = Ledger.from_settings(settings)
        rows = export_rows(ledger, chosen)
        count = write_export(rows, sys.stdout, fmt) if output is None else _export_to_file(output, rows, fmt)
        stats = ledger.stats  # what the report of the period counts
    warn_if_no_logs(settings)
    typer.echo(f"exported {count:,} records ({chosen.kind} {chosen.key})", err=True)
    if stats.invalid_lines:
        typer.echo(f"vaultledger: warning: {stats.invalid_lines:,} invalid log lines skipped", err=True)
    for cut in cut_files(stats):
        typer.echo(f"vaultledger: warning: {cut}", err=True)


def _export_to_file(output: Path, rows: Iterable[Any], fmt: str) -> int:
    """Write beside the target and rename, so a failed export never leaves half a file."""
    import os
    import tempfile

    from vaultledger.reports.export import write_export

    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            count = write_export(rows, stream, fmt)
        os.replace(temp, output)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count
