"""`vaultledger budget`: how spending stands against the configured budgets, as values and as a table."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from vaultledger.ledger.usage import Usage, merge_days
from vaultledger.budgets import (
    BUDGET_KIND_OF_PERIOD,
    PERIOD_KINDS,
    Budget,
    BudgetStatus,
    budgets_from,
    statuses_on,
    statuses_over,
)
from vaultledger.errors import PeriodError
from vaultledger.ledger import Ledger
from vaultledger.periods import Period, WeekRule, today
from vaultledger.pricing import format_usd
from vaultledger.settings import Settings

LEVEL_STYLE = {"ok": "green", "warning": "yellow", "over": "bold red"}
# The flag that names a period of each budget kind, for "try --month" hints.
PERIOD_FLAG = {"daily": "--day", "weekly": "--week", "monthly": "--month", "quarterly": "--quarter"}
COLUMNS = (
    "budget", "period", "spent", "budget", "share", "remaining", "days left", "avg / day", "projection", "status",
)
TEXT_COLUMNS = {0, 1, len(COLUMNS) - 1}


def evaluate_budgets(
    settings: Settings, period: Period | None, rule: WeekRule, now: dt.datetime | None = None
) -> list[BudgetStatus]:
    """Every budget over its period holding today (in the configured zone), or, when `period` is
    named, the budgets of that period's kind over it. No budgets configured → [].

    Raises PeriodError when budgets exist but none is of the named period's kind.
    """
    budgets = budgets_from(settings)
    if not budgets:
        return []
    as_of = today(settings.timezone.value, now)
    usage_of = ledger_usage_of(Ledger.from_settings(settings))
    if period is None:
        return statuses_on(as_of, budgets, usage_of, rule)
    statuses = statuses_over(period, budgets, as_of, usage_of)
    if not statuses:
        raise PeriodError(no_budget_of_kind(period, budgets, settings.config_label))
    return statuses


def ledger_usage_of(ledger: Ledger) -> Callable[[dt.date, dt.date], Usage]:
    """`usage_of(first, last)` over one ledger, which reads each log file once however often asked."""
    return lambda first, last: merge_days(ledger.days(first, last).values())


def no_budget_of_kind(period: Period, budgets: list[Budget], source: str) -> str:
    """Why a named period has no budget, and which flags would find one."""
    kinds = [kind for kind in PERIOD_KINDS if any(budget.kind == kind for budget in budgets)]
    hint = f"[budgets] in {source} sets {', '.join(kinds)} budgets; try {' or '.join(PERIOD_FLAG[k] for k in kinds)}"
    wanted = BUDGET_KIND_OF_PERIOD.get(period.kind)
    if wanted is None:
        return f"budgets run over a day, week, month or quarter, not a date range ({period.key}); {hint}"
    return f"no {wanted} budget for {period.key}: {hint}"


def budget_table(statuses: list[BudgetStatus], console: Console | None = None) -> None:
    """Print the statuses as a rich table, then a line per budget that misses unpriced calls."""
    # Off a terminal rich assumes 80 columns; output piped to a file or CI deserves full rows.
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    as_of = statuses[0].as_of if statuses else None
    table = Table(title=f"Budgets on {as_of}" if as_of else "Budgets", show_edge=False)
    for number, column in enumerate(COLUMNS):
        table.add_column(column, justify="left" if number in TEXT_COLUMNS else "right")
    for status in statuses:
        table.add_row(*budget_row(status))
    console.print(table)
    for status in statuses:
        if status.unpriced_calls:
            console.print(Text(f"{status.label}: {status.unpriced_calls:,} unpriced calls are not counted "
                               "(add a [[prices]] entry)", style="yellow"))


def budget_row(status: BudgetStatus) -> tuple[Text, ...]:
    """One table row; cells are Text so that project and model names never read as rich markup."""
    style = LEVEL_STYLE[status.level]
    return (
        Text(status.label),
        Text(status.key),
        Text(format_usd(status.spent)),
        Text(format_usd(status.amount)),
        Text(status.share_text, style=style),
        remaining_cell(status),
        Text(days_left_text(status)),
        Text(format_usd(status.daily_average)),
        projection_cell(status),
        Text(status.level, style=style),
    )


def remaining_cell(status: BudgetStatus) -> Text:
    if status.over_by:
        return Text(f"-{format_usd(status.over_by)}", style="red")
    return Text(format_usd(status.remaining))


def days_left_text(status: BudgetStatus) -> str:
    if status.has_ended:
        return "ended"
    if not status.has_started:
        return f"{status.days_left} (not started)"
    return str(status.days_left)


def projection_cell(status: BudgetStatus) -> Text:
    if status.has_ended:
        return Text(f"{format_usd(status.projection)} (final)")
    style = "red" if status.projection > status.amount else ""
    return Text(format_usd(status.projection), style=style)
