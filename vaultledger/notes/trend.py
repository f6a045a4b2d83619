"""Is usage rising or falling? Week-over-week slope and first half against second half, in words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from vaultledger.pricing import format_usd

# Below this relative change per week, a line through weekly costs is called flat.
FLAT_PERCENT_PER_WEEK = 2.0
FLAT_PERCENT_HALVES = 5.0


@dataclass(frozen=True)
class Trend:
    percent_per_week: float | None
    first_half: Decimal
    second_half: Decimal

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
        return (f"second half {format_usd(self.second_half)} vs first half {format_usd(self.first_half)}: "
                + describe_change(self.second_half, self.first_half, "the first half", flat=FLAT_PERCENT_HALVES))


def trend_of(weekly: Sequence[tuple[Decimal, int]], halves: tuple[Decimal, Decimal]) -> Trend:
    """Least-squares slope of cost per day across weeks, relative to the mean, in % per week.

    Weeks are (cost, days counted); partial weeks are scaled to a daily rate so a short first
    or last week does not read as a drop.
    """
    rates = [float(cost) / days for cost, days in weekly if days]
    return Trend(_relative_slope(rates), *halves)


def _relative_slope(values: Sequence[float]) -> float | None:
    count = len(values)
    mean = sum(values) / count if count else 0.0
    if count < 3 or mean <= 0:
        return None
    mean_x = (count - 1) / 2
    covariance = sum((x - mean_x) * (y - mean) for x, y in enumerate(values))
    variance = sum((x - mean_x) ** 2 for x in range(count))
    return covariance / variance / mean * 100


def describe_change(now: Decimal, before: Decimal, against: str, flat: float = 0.5) -> str:
    """`+12 % vs …`, `−8 % vs …`, `about the same as …`, or `new since …` when before was zero."""
    if before == 0:
        return f"no cost in {against}" if now == 0 else f"up from nothing in {against}"
    percent = float((now - before) / before * 100)
    if abs(percent) < flat:
        return f"about the same as {against}"
    sign = "+" if percent > 0 else "−"  # a true minus sign reads better than a hyphen in prose
    return f"{sign}{abs(percent):.0f} % vs {against}"
