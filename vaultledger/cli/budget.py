"""`vaultledger budget`: how spending stands against the config's budgets."""

from __future__ import annotations

from typing import Annotated

import typer

from vaultledger.cli import user_errors
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt, VaultOpt, period_options
from vaultledger.cli.resolve import chosen_period, settings_from, warn_if_no_logs, week_rule_for
from vaultledger.cli.period_flags import PeriodFlags


@period_options(ranges=False, last=False)
def budget_command(
    period: PeriodFlags,
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
    fail_over: Annotated[bool, typer.Option("--fail-over", help="Exit 3 when any budget is over.")] = False,
) -> None:
    """Show how spending stands against the budgets in the config.

    Example: vaultledger budget --month 2026-03
    """
    from vaultledger.budgets.plans import plans_over
    from vaultledger.budgets.report import budget_table, evaluate_budgets

    with user_errors():
        settings = settings_from(config, vault, logs, tz)
        statuses = evaluate_budgets(settings, chosen_period(period, settings), week_rule_for(settings))
        plans = plans_over(settings, chosen_period(period, settings))
    warn_if_no_logs(settings)
    if statuses:
        budget_table(statuses)
    elif not plans:
        typer.echo("no budgets configured: add a [budgets] table to the config (see README)")
    for plan in plans:  # flat-fee plans: what their calls would have cost at list price
        typer.echo(plan.line())
    if fail_over and any(status.level == "over" for status in statuses):
        raise typer.Exit(3)
