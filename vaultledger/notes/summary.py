"""A span's review in words: spent against budget, the trend and the weeks that stood out, the biggest
driver, and what is not counted. Record text is escaped here, since these sentences reach the note as is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from vaultledger.budgets import BudgetStatus
from vaultledger.ledger.usage import Usage
from vaultledger.notes.escape import markdown_text
from vaultledger.notes.links import NoteLinks
from vaultledger.notes.trend import Trend, change_words, signed_percent
from vaultledger.periods import Period
from vaultledger.pricing import format_usd

if TYPE_CHECKING:
    from vaultledger.notes.review import SpanRow

NAMED_UNPRICED = 3


def summary_sentences(
    period: Period, usage: Usage, previous_usage: Usage, trend: Trend, standouts: Sequence[tuple[SpanRow, float]],
    budgets: Sequence[BudgetStatus], drivers: Mapping[str, Any], links: NoteLinks,
) -> list[str]:
    """The sentences of the summary callout, in reading order."""
    total = usage.totals()
    if not total.calls:
        return [f"No usage logged in {period.key}."]
    sentences = [spent_sentence(period, total.cost, total.calls, budgets), overs_sentence(period, budgets),
                 comparison_sentence(period, previous_usage, total.cost, links),
                 trend.sentence + standout_words(standouts),
                 driver_sentence(drivers), unpriced_sentence(usage)]
    return [sentence for sentence in sentences if sentence]


def spent_sentence(period: Period, cost: Any, calls: int, budgets: Sequence[BudgetStatus]) -> str:
    spent = f"Spent **{format_usd(cost)}** on {calls:,} call{'s' if calls != 1 else ''}"
    own = [status for status in budgets if status.period == period]
    if not own:
        return spent + "."
    main = next((status for status in own if status.budget.scope is None), own[0])
    against = f"{spent}: {main.share_text} of the {format_usd(main.amount)} {_lower_first(markdown_text(main.label))}"
    if main.level == "over":
        return f"{against}, over by {format_usd(main.over_by)}."
    if main.has_ended or main.days_left == 0:
        return against + "."
    return f"{against}, on pace for {format_usd(main.projection)}."


def overs_sentence(period: Period, budgets: Sequence[BudgetStatus]) -> str:
    """`Over budget: monthly budget (all usage) in 2025-10 and 2025-12.` for the parts of the span."""
    overs: dict[str, list[str]] = {}
    for status in budgets:
        if status.period != period and status.level == "over":
            overs.setdefault(_lower_first(markdown_text(status.label)), []).append(status.key)
    if not overs:
        return ""
    return "Over budget: " + "; ".join(f"{label} in {_and_list(keys)}" for label, keys in overs.items()) + "."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _and_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def comparison_sentence(period: Period, previous_usage: Usage, cost: Any, links: NoteLinks) -> str:
    previous = period.previous()
    before = previous_usage.totals()
    return change_words(cost, before.cost, before.calls, links.to(previous, previous.key).md) + "."


def standout_words(standouts: Sequence[tuple[SpanRow, float]]) -> str:
    """` Weeks that stood out: 2026-W13 ($0.54 a day, +37 % on the median week).`"""
    if not standouts:
        return ""
    named = [f"{row.link.md if row.link else markdown_text(row.label)} ({format_usd(row.per_day)} a day, "
             f"{signed_percent(percent)})" for row, percent in standouts]
    return " Weeks that stood out against the median week: " + ", ".join(named) + "."


def driver_sentence(drivers: Mapping[str, Any]) -> str:
    model = drivers.get("model")
    if model is None:
        return ""
    sentence = (f"The biggest driver was {markdown_text(model['label'])}: {format_usd(model['sums'].cost)}, "
                f"{model['share']} of the cost")
    project = drivers.get("project")
    if project is not None:
        sentence += (f"; by project, {markdown_text(project['label'])} "
                     f"({format_usd(project['sums'].cost)}, {project['share']})")
    return sentence + "."


def unpriced_sentence(usage: Usage) -> str:
    unpriced = usage.unpriced_models()
    if not unpriced:
        return "Every call had a price."
    calls = sum(unpriced.values())
    names = ", ".join(markdown_text(model) for model in list(unpriced)[:NAMED_UNPRICED])
    more = f" and {len(unpriced) - NAMED_UNPRICED} more" if len(unpriced) > NAMED_UNPRICED else ""
    they = "they are" if calls != 1 else "it is"
    return f"{calls:,} call{'s' if calls != 1 else ''} ({names}{more}) had no price, so {they} not in these figures."
