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
# Every column, most wanted first; a narrow terminal drops them from the end of DROPPABLE first, so
# that the ones it keeps show every amount whole.
COLUMNS = (
    "budget", "period", "spent", "limit", "share", "left", "projection", "status", "days left", "avg / day",
)
DROPPABLE = ("avg / day", "days left", "status", "period")
TEXT_COLUMNS = {"budget", "period", "status"}
# The budget's name wraps onto more lines, but never narrower than this.
LABEL_MIN_WIDTH = 12


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
    """Print the statuses as a rich table, then a line per budget that misses unpriced calls.

    Amounts are never cut: on a narrow terminal the less needed columns go, and the budget's name wraps.
    """
    # Off a terminal rich assumes 80 columns; output piped to a file or CI deserves full rows.
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    as_of = statuses[0].as_of if statuses else None
    rows = [budget_row(status) for status in statuses]
    shown = fitting_columns(rows, console.width)
    if shown is None:
        for status in statuses:
            console.print(budget_line(status))
        shown = []
    table = Table(title=f"Budgets on {as_of}" if as_of else "Budgets", show_edge=False)
    for column in shown:
        text = column in TEXT_COLUMNS
        table.add_column(column, justify="left" if text else "right", no_wrap=column != "budget",
                         overflow="fold", min_width=LABEL_MIN_WIDTH if column == "budget" else None)
    for row in rows:
        if "period" not in shown:  # the period still tells two months' rows apart, under the name
            row["budget"] = Text.assemble(row["budget"], " ", row["period"])
        table.add_row(*(row[column] for column in shown))
    if shown:
        console.print(table)
    for status in statuses:
        if status.unpriced_calls:
            console.print(Text(f"{status.label}: {status.unpriced_calls:,} unpriced calls are not counted "
                               "(add a [[prices]] entry)", style="yellow"))


def fitting_columns(rows: list[dict[str, Text]], width: int) -> list[str] | None:
    """The columns that fit `width` with every cell but the budget's name whole; None if none do."""
    columns = list(COLUMNS)
    for dropped in (None, *DROPPABLE):
        if dropped is not None:
            columns.remove(dropped)
        if _table_width(rows, columns) <= width:
            return columns
    return None


def budget_line(status: BudgetStatus) -> Text:
    """A budget as a sentence, for terminals too narrow for any table."""
    row = budget_row(status)
    return Text.assemble(
        row["budget"], f" {status.key}: ", row["spent"], " of ", row["limit"], " (", row["share"], "), ",
        row["left"], " left, projection ", row["projection"], " — ", row["status"])


def _table_width(rows: list[dict[str, Text]], columns: list[str]) -> int:
    # rich without outer edges: one space of padding either side of each cell, one rule between columns.
    def needed(column: str) -> int:
        if column == "budget":
            return LABEL_MIN_WIDTH
        return max([len(column), *(row[column].cell_len for row in rows)])

    return sum(needed(column) + 2 for column in columns) + len(columns) - 1


def budget_row(status: BudgetStatus) -> dict[str, Text]:
    """One table row by column; cells are Text so that project and model names never read as rich markup."""
    style = LEVEL_STYLE[status.level]
    return {
        "budget": Text(status.label),
        "period": Text(status.key),
        "spent": Text(format_usd(status.spent)),
        "limit": Text(format_usd(status.amount)),
        "share": Text(status.share_text, style=style),
        "left": remaining_cell(status),
        "days left": Text(days_left_text(status)),
        "avg / day": Text(format_usd(status.daily_average)),
        "projection": projection_cell(status),
        "status": Text(status.level, style=style),
    }


def remaining_cell(status: BudgetStatus) -> Text:
    """Budget minus spent as both are shown, so the row adds up; negative (red) when over."""
    left = status.shown_remaining
    return Text(format_usd(left), style="red" if left < 0 else "")


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
