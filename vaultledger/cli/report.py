"""`vaultledger report`: usage and cost for a period, as a table, JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from vaultledger.cli import fail, user_errors
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt, VaultOpt, period_options
from vaultledger.cli.period_flags import PeriodFlags
from vaultledger.cli.reporting import BY_CHOICES, BY_HELP, FORMATS, ReportRequest, valid_by, write_report
from vaultledger.cli.resolve import settings_from


@period_options()
def report_command(
    period: PeriodFlags,
    by: Annotated[str, typer.Option("--by", help=BY_HELP)] = "provider",
    compare: Annotated[Optional[str], typer.Option("--compare", help="Another period side by side, e.g. 2025Q4.",
                                                   show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Show usage and cost for a period (default: today).

    Example: vaultledger report --quarter 2026Q1 --by model --compare 2025Q4

    Example: vaultledger report --month 2026-03 --by attr.git_branch
    """
    if not valid_by(by):
        raise fail(f"--by {by!r}: choose one of {', '.join(BY_CHOICES)}, or attr.KEY", code=2)
    if fmt not in FORMATS:
        raise fail(f"--format {fmt!r}: choose table, json or csv", code=2)
    with user_errors():
        write_report(settings_from(config, vault, logs, tz), ReportRequest(period, by, compare, fmt))
