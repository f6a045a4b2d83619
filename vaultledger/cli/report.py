"""`vaultledger report`: usage and cost for a period, as a table, JSON or CSV."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from vaultledger.cli import fail, user_errors
from vaultledger.cli.options import ConfigOpt, LogsOpt, TzOpt, VaultOpt, period_options
from vaultledger.cli.resolve import ledger_for, period_or_today, settings_from, warn_if_no_logs, week_rule_for
from vaultledger.cli.period_flags import PeriodFlags

if TYPE_CHECKING:
    from vaultledger.ledger.usage import Usage
    from vaultledger.ledger import Ledger
    from vaultledger.periods import Period
    from vaultledger.reports.problems import Outlier
    from vaultledger.settings import Settings

BY_CHOICES = ("provider", "model", "project", "use_case", "app", "tag", "service_tier", "day", "week", "month")


@period_options()
def report_command(
    period: PeriodFlags,
    by: Annotated[str, typer.Option("--by", help=", ".join(BY_CHOICES) + ".")]
    = "provider",
    compare: Annotated[Optional[str], typer.Option("--compare", help="Another period side by side, e.g. 2025Q4.",
                                                   show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    vault: VaultOpt = None, logs: LogsOpt = None, tz: TzOpt = None, config: ConfigOpt = None,
) -> None:
    """Show usage and cost for a period (default: today).

    Example: vaultledger report --quarter 2026Q1 --by model --compare 2025Q4
    """
    from vaultledger.periods.parse import parse_period
    from vaultledger.reports.problems import find_outliers, warnings

    if by not in BY_CHOICES:
        raise fail(f"--by {by!r}: choose one of {', '.join(BY_CHOICES)}", code=2)
    if fmt not in ("table", "json", "csv"):
        raise fail(f"--format {fmt!r}: choose table, json or csv", code=2)
    with user_errors():
        settings = settings_from(config, vault, logs, tz)
        chosen = period_or_today(period, settings)
        other = parse_period(compare, week_rule_for(settings)) if compare else None
        ledger = ledger_for(settings)
        usage = _usage_by(ledger, chosen, by, settings)
        other_usage = _usage_by(ledger, other, by, settings) if other else None
        outliers = find_outliers(ledger, chosen)
    warn_if_no_logs(settings)
    if other is not None and other_usage is not None:
        _print_comparison(chosen, usage, other, other_usage, by, fmt)
    else:
        _print_report(chosen, usage, ledger, by, fmt, outliers)
    for warning in warnings(ledger.stats, outliers):
        typer.echo(f"vaultledger: warning: {warning}", err=True)


def _usage_by(ledger: Ledger, period: Period, by: str, settings: Settings) -> Usage:
    from vaultledger.reports.report import TIME_UNITS, usage_by_time

    if by in TIME_UNITS:
        return usage_by_time(ledger, period, by, week_rule_for(settings))
    return ledger.usage(period)


def _print_report(period: Period, usage: Usage, ledger: Ledger, by: str, fmt: str, outliers: list[Outlier]) -> None:
    from vaultledger.reports import report

    if fmt == "json":
        document = report.report_json(period, usage, ledger.stats, [] if by in report.TIME_UNITS else [by], outliers)
        if by in report.TIME_UNITS:
            document[f"by_{by}"] = [{"key": key, **report.sums_json(sums)} for key, sums in usage.by(by)]
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        typer.echo(report.report_csv(usage, by), nl=False)
    else:
        from vaultledger.cli.tables import print_report_table

        print_report_table(period, usage, ledger.stats, by)


def _print_comparison(period: Period, usage: Usage, other: Period, other_usage: Usage, by: str, fmt: str) -> None:
    from vaultledger.reports import report

    if fmt == "json":
        typer.echo(json.dumps(report.compare_json(period, usage, other, other_usage, by), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        typer.echo(report.compare_csv(usage, other_usage, by), nl=False)
    else:
        from vaultledger.cli.tables import print_comparison_table

        print_comparison_table(period, usage, other, other_usage, by)
