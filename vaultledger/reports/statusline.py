"""One short line for Claude Code's status line: today's spend from the ledger, this session's cost as
Claude Code reports it, and the tightest budget's share.

The session's cost comes from Claude Code's status-line JSON (`cost.total_cost_usd`) and is shown
apart: today's spend already holds whatever of this session was imported into the logs, so adding
the two would count calls twice. The line runs on every prompt, so this module imports only what
reading today's usage and the budgets needs.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal

import msgspec

from vaultledger.budgets import Budget, BudgetStatus, statuses_on
from vaultledger.ledger import Ledger
from vaultledger.ledger.usage import Sums, Usage
from vaultledger.notes.escape import plain_label
from vaultledger.periods import WeekRule, date_range
from vaultledger.pricing import format_usd

# SGR colours: a budget's level as the `budget` table colours it; the session's cost dimmed (it is
# Claude Code's own estimate, not the ledger's).
LEVEL_COLOURS = {"ok": "32", "warning": "33", "over": "1;31"}
DIM, UNPRICED_COLOUR = "2", "33"
SEPARATOR = " · "


class SessionCost(msgspec.Struct, frozen=True):
    """What Claude Code says this session cost, or why it could not be read (then `usd` is None)."""

    usd: Decimal | None = None
    problem: str | None = None


def read_session_cost(text: str) -> SessionCost:
    """`cost.total_cost_usd` of Claude Code's status-line JSON; no input or no such field is no cost."""
    if not text.strip():
        return SessionCost()
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as error:
        return SessionCost(problem=f"stdin: not Claude Code's status-line JSON ({error})")
    if not isinstance(data, dict):
        kind = type(data).__name__
        return SessionCost(problem=f"stdin: not Claude Code's status-line JSON (a {kind}, not an object)")
    cost = data.get("cost")
    value = cost.get("total_cost_usd") if isinstance(cost, dict) else None
    if value is None:
        return SessionCost()
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or not 0 <= value < Decimal("1e12"):
        return SessionCost(problem=f"stdin: cost.total_cost_usd must be a number of dollars >= 0, got {value!r}")
    return SessionCost(Decimal(value))


class DayStatus(msgspec.Struct, frozen=True):
    """Today's usage in the ledger and the budget closest to (or furthest over) its limit."""

    today: Sums
    tightest: BudgetStatus | None


def day_status(
    ledger: Ledger, budgets: Sequence[Budget], week_rule: Callable[[], WeekRule], as_of: dt.date
) -> DayStatus:
    """Today's usage, and every budget over its period holding `as_of`; `week_rule` is asked only when a
    weekly budget needs it (finding it may read the vault's settings)."""
    spans: dict[tuple[dt.date, dt.date], Usage] = {}

    def usage_of(first: dt.date, last: dt.date) -> Usage:  # budgets of one kind share their span
        if (first, last) not in spans:
            spans[first, last] = ledger.usage(date_range(first, last))
        return spans[first, last]

    today = usage_of(as_of, as_of).totals()
    if not budgets:
        return DayStatus(today, None)
    rule = week_rule() if any(budget.kind == "weekly" for budget in budgets) else WeekRule.iso()
    statuses = statuses_on(as_of, list(budgets), usage_of, rule)
    return DayStatus(today, max(statuses, key=lambda status: status.share))


def status_line(status: DayStatus, session: SessionCost, colour: bool) -> str:
    """`$3.21 today · session $0.42 · 63 % of monthly $50.00`, with ANSI colours when `colour`."""
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if colour else text

    today = f"{format_usd(status.today.cost)} today"
    if status.today.unpriced_calls:
        today += " " + paint(f"+{status.today.unpriced_calls:,} unpriced", UNPRICED_COLOUR)
    parts = [today]
    if session.usd is not None:
        parts.append(paint(f"session {format_usd(session.usd)}", DIM))
    if status.tightest is not None:
        parts.append(paint(budget_text(status.tightest), LEVEL_COLOURS[status.tightest.level]))
    return SEPARATOR.join(parts)


def budget_text(status: BudgetStatus) -> str:
    """`63 % of monthly $50.00`, or `85 % of orbis weekly $60.00` for a budget of one project, provider or model."""
    budget = status.budget
    what = budget.kind if budget.scope is None else f"{plain_label(budget.name, 30)} {budget.kind}"
    return f"{status.share_text} of {what} {format_usd(status.amount)}"
