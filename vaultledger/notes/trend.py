"""Is usage rising or falling, and against what? The comparisons a note says in words.

Every sentence is built from one verdict, so the words never disagree with each other: a trend
called steady is never followed by "+40 %", and a period after one without usage says so instead of
"up from nothing".
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from vaultledger.pricing import format_usd

# Below this relative change per week, a line through weekly costs is called flat.
FLAT_PERCENT_PER_WEEK = 2.0
FLAT_PERCENT_HALVES = 5.0
# A week whose cost per day is this far from the median week's is named as one that stood out.
STANDOUT_PERCENT = 25.0
MAX_STANDOUTS = 3


@dataclass(frozen=True)
class Trend:
    """Least-squares slope of cost per day across weeks (% of the mean per week), and the two halves."""

    percent_per_week: float | None
    first_half: Decimal
    second_half: Decimal

    @property
    def halves_percent(self) -> float | None:
        if self.first_half == 0:
            return None if self.second_half == 0 else float("inf")
        return float((self.second_half - self.first_half) / self.first_half * 100)

    @property
    def direction(self) -> str | None:
        """"rising", "falling", "steady", "slightly rising", "slightly falling", "uneven", or None."""
        if self.percent_per_week is None:
            return None
        slope = _sign(self.percent_per_week, FLAT_PERCENT_PER_WEEK)
        halves = _sign(self.halves_percent or 0.0, FLAT_PERCENT_HALVES)
        if slope == halves:
            return {1: "rising", -1: "falling", 0: "steady"}[slope]
        if slope and halves:
            return "uneven"
        return "slightly rising" if slope + halves > 0 else "slightly falling"

    @property
    def sentence(self) -> str:
        """One sentence whose verdict and figures agree: a percentage is shown only where it is past the
        line that makes it a change, so a rounded figure never contradicts the verdict."""
        direction = self.direction
        if direction is None:
            return "Too few weeks with usage to tell a trend."
        assert self.percent_per_week is not None
        flat_line = abs(self.percent_per_week) < FLAT_PERCENT_PER_WEEK
        line = "the weekly line is about flat" if flat_line else f"about {signed_percent(self.percent_per_week)} a week"
        if direction == "steady":
            return f"Steady: {line}, and {self._halves_clause()}."
        if direction in ("rising", "falling"):
            joint = "and"
        else:  # the line and the halves disagree, or one of them moved and the other did not
            joint = "though" if self._halves_flat() else "but"
        return f"{direction.capitalize()}: {line}, {joint} {self._halves_clause()}."

    def _halves_flat(self) -> bool:
        return abs(self.halves_percent or 0.0) < FLAT_PERCENT_HALVES

    def _halves_clause(self) -> str:
        first, second = format_usd(self.first_half), format_usd(self.second_half)
        percent = self.halves_percent
        if percent is None or self._halves_flat():
            return f"the second half cost about the same as the first ({second} against {first})"
        if percent == float("inf"):
            return f"the second half cost {second} where the first cost nothing"
        more = "more" if percent > 0 else "less"
        return f"the second half cost {second}, {signed_percent(abs(percent))[1:]} {more} than the first ({first})"

    # The words of earlier templates, kept for templates users copied from them.
    @property
    def slope_words(self) -> str:
        if self.percent_per_week is None:
            return "not enough weeks with usage to tell"
        if abs(self.percent_per_week) < FLAT_PERCENT_PER_WEEK:
            return "flat week over week"
        direction = "rising" if self.percent_per_week > 0 else "falling"
        return f"{direction} ~{abs(self.percent_per_week):.0f} %/week"

    @property
    def halves_words(self) -> str:
        return f"second half {format_usd(self.second_half)} vs first half {format_usd(self.first_half)}"


def _sign(percent: float, flat: float) -> int:
    if abs(percent) < flat:
        return 0
    return 1 if percent > 0 else -1


def trend_of(weekly: Sequence[tuple[Decimal, int]], halves: tuple[Decimal, Decimal]) -> Trend:
    """Weeks are (cost, days counted); partial weeks are scaled to a daily rate so a short first
    or last week does not read as a drop."""
    rates = [float(cost) / days for cost, days in weekly if days]
    return Trend(_relative_slope(rates), *halves)


def _relative_slope(values: Sequence[float]) -> float | None:
    """None below three weeks with any cost: a line through one or two points says nothing."""
    count = len(values)
    mean = sum(values) / count if count else 0.0
    if sum(1 for value in values if value > 0) < 3 or mean <= 0:
        return None
    mean_x = (count - 1) / 2
    covariance = sum((x - mean_x) * (y - mean) for x, y in enumerate(values))
    variance = sum((x - mean_x) ** 2 for x in range(count))
    return covariance / variance / mean * 100


def standouts(rates: Sequence[Decimal]) -> list[tuple[int, float]]:
    """(index, % against the median) of the weeks whose cost per day stood out, biggest first."""
    if len(rates) < 3:
        return []
    median = statistics.median(rates)
    if median <= 0:
        return []
    away = [(index, float((rate - median) / median * 100)) for index, rate in enumerate(rates)]
    notable = [(index, percent) for index, percent in away if abs(percent) >= STANDOUT_PERCENT]
    return sorted(notable, key=lambda item: -abs(item[1]))[:MAX_STANDOUTS]


def signed_percent(percent: float | Decimal) -> str:
    """`+12 %`, `−8 %` (a true minus sign reads better than a hyphen in prose), `0 %`."""
    value = float(percent)
    sign = "+" if value > 0 else "−" if value < 0 else ""
    if 0 < abs(value) < 0.5:
        return f"{sign}<1 %"  # a change, however small, never shows as 0 %
    return f"{sign}{abs(round(value))} %"


def change_words(now: Decimal, before: Decimal, before_calls: int, previous: str, relative: str = "") -> str:
    """The change against the previous period as a sentence without its full stop:
    `12 % more than last week (2026-W10), which cost $2.67`; `No usage logged in 2025Q4`."""
    named = f"{relative} ({previous})" if relative else previous
    if before_calls == 0:
        return f"No usage logged {named}" if relative else f"No usage logged in {previous}"
    if before == 0:
        return f"{named[0].upper()}{named[1:]} cost nothing: its calls were free or unpriced"
    percent = float((now - before) / before * 100)
    if abs(percent) < 0.5:
        return f"About the same as {named}, which cost {format_usd(before)}"
    more = "more" if percent > 0 else "less"
    return f"{signed_percent(abs(percent))[1:]} {more} than {named}, which cost {format_usd(before)}"
