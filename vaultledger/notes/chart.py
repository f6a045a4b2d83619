"""The Mermaid `xychart-beta` chart of a span: cost per day, averaged week by week, and the budget pace.

Averaging per day keeps a partial first or last week from reading as a dip. The colours keep at least
3:1 contrast against Obsidian's light (#ffffff) and dark (#1e1e1e) backgrounds (WCAG's floor for
graphics), so bars and line read in either theme; mermaid's own light-theme bars are nearly white.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from vaultledger.pricing import format_usd

if TYPE_CHECKING:
    from vaultledger.budgets import Budget
    from vaultledger.notes.review import SpanRow
    from vaultledger.periods import Period

BAR_COLOUR = "#3b82f6"  # 3.7:1 on #ffffff, 4.5:1 on #1e1e1e
LINE_COLOUR = "#e8590c"  # 3.6:1 on #ffffff, 4.7:1 on #1e1e1e
# Obsidian's note backgrounds, and the plot area mermaid's dark theme draws on.
BACKGROUNDS = {"light": "#ffffff", "dark": "#1e1e1e", "mermaid dark": "#333333"}
# Mermaid reads the palette from this directive; Obsidian keeps the rest of its own theme.
INIT = ('%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "'
        + BAR_COLOUR + ", " + LINE_COLOUR + '"}}}}%%')


def chart_data(rows: Sequence[SpanRow], period: Period, budgets: Sequence[Budget]) -> dict[str, Any]:
    """Labels, per-day values, the budget pace (or None) and the y-axis top, as the template writes them."""
    rates = [row.per_day for row in rows]
    pace = budget_pace(period, budgets)
    top = max([*rates, pace or Decimal(0)], default=Decimal(0))
    step = Decimal("0.01") if top >= 1 else Decimal("0.0001")
    return {
        "labels": [row.label.rsplit("-", 1)[-1] for row in rows],
        "values": [f"{rate.quantize(step)}" for rate in rates],
        "pace": [f"{pace.quantize(step)}"] * len(rows) if pace is not None else None,
        "pace_text": format_usd(pace) if pace is not None else "",
        "top": f"{(top * Decimal('1.15')).quantize(step) or 1}",
        "init": INIT,
    }


def budget_pace(period: Period, budgets: Sequence[Budget]) -> Decimal | None:
    """The all-usage budget of the period's kind spread evenly over its days, if there is one."""
    kind = f"{period.kind}ly"
    for budget in budgets:
        if budget.kind == kind and budget.scope is None:
            return budget.amount / period.num_days
    return None


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb`."""
    channels = [int(colour[index:index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two `#rrggbb` colours (1 to 21)."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
