"""`vaultledger dashboard`: one self-contained HTML page of a period's costs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vaultledger.cli import fail, user_errors
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt, VaultOpt, period_options
from vaultledger.cli.period_flags import PeriodFlags
from vaultledger.cli.resolve import chosen_period, ledger_for, settings_from, warn_if_no_logs, week_rule_for


@period_options()
def dashboard_command(
    period: PeriodFlags,
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path("costs.html"),
    open_page: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Write one HTML page of costs (default: the last 30 days) that works offline: today, this week,
    month and quarter against the budgets, cost per day by provider, sortable tables by model, project,
    use case and app, cost per output unit, unpriced calls and cache savings.

    Example: vaultledger dashboard --this-quarter -o costs.html --open
    """
    from vaultledger.reports.dashboard import dashboard_html, write_dashboard

    with user_errors():
        settings = settings_from(config, vault, logs, tz)
        html = dashboard_html(settings, ledger_for(settings), chosen_period(period, settings), week_rule_for(settings))
    warn_if_no_logs(settings)
    try:
        write_dashboard(output, html)
    except OSError as error:
        raise fail(f"{output}: cannot write the dashboard ({error.strerror or error})") from None
    typer.echo(f"wrote {output}")
    if open_page:
        import webbrowser

        if not webbrowser.open(output.resolve().as_uri()):
            typer.echo(f"vaultledger: no browser found to open {output}", err=True)
