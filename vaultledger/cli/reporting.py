"""What `vaultledger report` prints, worked out and written without typer: the typer command and the
fast path (`cli.fast`) both call `write_report`, so they cannot differ."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

import msgspec

from vaultledger.cli.period_flags import PeriodFlags
from vaultledger.cli.resolve import ledger_for, period_or_today, warn_if_no_logs, week_rule_for
from vaultledger.reports.json_text import json_text

if TYPE_CHECKING:
    from vaultledger.budgets.plans import PlanValue
    from vaultledger.ledger import Ledger
    from vaultledger.ledger.usage import Usage
    from vaultledger.periods import Period
    from vaultledger.settings import Settings

BY_CHOICES = ("provider", "model", "project", "use_case", "app", "tag", "service_tier", "day", "week", "month",
              "host")
BY_HELP = ", ".join(BY_CHOICES) + " or attr.KEY (any attrs key, e.g. attr.git_branch)."
FORMATS = ("table", "json", "csv")


def valid_by(by: str) -> bool:
    """Whether `--by` names a breakdown: one of BY_CHOICES, or `attr.KEY`."""
    from vaultledger.reports.breakdown import is_record_dimension

    return by in BY_CHOICES or is_record_dimension(by)


class ReportRequest(msgspec.Struct, frozen=True):
    period: PeriodFlags
    by: str = "provider"
    compare: str | None = None
    fmt: str = "table"


def write_report(settings: Settings, request: ReportRequest) -> None:
    """Work the report out, then print it (stdout) and its warnings (stderr); nothing is printed
    if working it out raises."""
    from vaultledger.capture.dropped import dropped_records
    from vaultledger.periods.parse import parse_period
    from vaultledger.reports.problems import find_outliers, warnings

    chosen = period_or_today(request.period, settings)
    other = parse_period(request.compare, week_rule_for(settings)) if request.compare else None
    ledger = ledger_for(settings)
    usage = _usage_by(ledger, chosen, request.by, settings)
    other_usage = _usage_by(ledger, other, request.by, settings) if other else None
    outliers = find_outliers(ledger, chosen)
    dropped = dropped_records(settings.logs.value, chosen.start, chosen.end)
    conflicts = _conflicts(settings, chosen)
    warn_if_no_logs(settings)
    if other is not None and other_usage is not None:
        _print_comparison(chosen, usage, other, other_usage, request.by, request.fmt)
    else:
        _print_report(chosen, usage, ledger, request, outliers, dropped.count, _plan_values(settings, chosen, usage),
                      conflicts)
    for warning in [*warnings(ledger.stats, outliers, usage, conflicts), *dropped.warnings()]:
        print(f"vaultledger: warning: {warning}", file=sys.stderr)


def _usage_by(ledger: Ledger, period: Period, by: str, settings: Settings) -> Usage:
    from vaultledger.reports.breakdown import TIME_UNITS, breakdown

    return breakdown(ledger, period, by, week_rule_for(settings) if by in TIME_UNITS else None)


def _plan_values(settings: Settings, period: Period, usage: Usage) -> list[PlanValue]:
    if not settings.plans:
        return []  # most configs have none: the budgets package is not even loaded
    from vaultledger.budgets.plans import parse_plans, plan_values
    from vaultledger.periods import today

    return plan_values(parse_plans(settings.plans, settings.config_label), period, usage, today(settings.timezone.value))


def _print_report(
    period: Period, usage: Usage, ledger: Ledger, request: ReportRequest, outliers: list, dropped: int,
    plans: list[PlanValue], conflicts: list,
) -> None:
    from vaultledger.reports import report

    by, fmt = request.by, request.fmt
    if fmt == "json":
        document = _json_document(period, usage, ledger, by, outliers, dropped, plans, conflicts)
        sys.stdout.write(json_text(document) + "\n")
    elif fmt == "csv":
        sys.stdout.write(report.report_csv(usage, by))
    else:
        from vaultledger.cli.tables import print_report_table

        print_report_table(period, usage, ledger.stats, by)
        for value in plans:
            print(value.line())


def report_document(settings: Settings, period: Period, by: str = "provider") -> dict[str, Any]:
    """The `report --format json` document of `period` (what the MCP server answers with)."""
    from vaultledger.capture.dropped import dropped_records
    from vaultledger.reports.problems import find_outliers

    ledger = ledger_for(settings)
    usage = _usage_by(ledger, period, by, settings)
    dropped = dropped_records(settings.logs.value, period.start, period.end).count
    return _json_document(period, usage, ledger, by, find_outliers(ledger, period), dropped,
                          _plan_values(settings, period, usage), _conflicts(settings, period))


def _conflicts(settings: Settings, period: Period) -> list:
    """Sync conflict copies of the files read for the period, not yet merged."""
    from vaultledger.ledger.conflicts import pending_copies
    from vaultledger.ledger.files import NEIGHBOUR_DAYS

    margin = dt.timedelta(days=NEIGHBOUR_DAYS)
    return pending_copies(settings.logs.value, period.start - margin, period.end + margin)


def _json_document(
    period: Period, usage: Usage, ledger: Ledger, by: str, outliers: list, dropped: int, plans: list[PlanValue],
    conflicts: list,
) -> dict[str, Any]:
    from vaultledger.reports import report

    document = report.report_json(period, usage, ledger.stats, [by], outliers, dropped, conflicts)
    document["plans"] = [value.as_json() for value in plans]
    return document


def _print_comparison(period: Period, usage: Usage, other: Period, other_usage: Usage, by: str, fmt: str) -> None:
    from vaultledger.reports import report

    if fmt == "json":
        sys.stdout.write(json_text(report.compare_json(period, usage, other, other_usage, by)) + "\n")
    elif fmt == "csv":
        sys.stdout.write(report.compare_csv(usage, other_usage, by))
    else:
        from vaultledger.cli.tables import print_comparison_table

        print_comparison_table(period, usage, other, other_usage, by)
