"""The one period a command's flags name: explicit forms (--day, --week …) or shortcuts (--today …)."""

from __future__ import annotations

import datetime as dt
import re

import msgspec

from vaultledger.errors import PeriodError
from vaultledger.periods import Period, WeekRule, date_range, day_of, month_of, quarter_of, week_of, year_of
from vaultledger.periods.parse import parse_day, parse_month, parse_quarter, parse_range, parse_week, parse_year

_LAST = r"^\s*(\d+)\s*([dwm])\s*$"  # compiled on first use (re's cache): --last is rare


class PeriodFlags(msgspec.Struct, frozen=True):
    """What the user typed; at most one of these may be given."""

    day: str | None = None
    week: str | None = None
    month: str | None = None
    quarter: str | None = None
    year: str | None = None
    start: str | None = None
    end: str | None = None
    today: bool = False
    yesterday: bool = False
    this_week: bool = False
    last_week: bool = False
    this_month: bool = False
    this_quarter: bool = False
    this_year: bool = False
    last: str | None = None

    def named(self) -> list[str]:
        """The flags given, spelled as on the command line."""
        given = []
        # The names alone: msgspec.structs.fields would evaluate every field's annotation (30 compiles).
        for field in self.__struct_fields__:
            if getattr(self, field) and field != "end":
                name = "from/--to" if field == "start" else field.replace("_", "-")
                given.append(f"--{name}")
        if self.end and not self.start:
            given.append("--from/--to")
        return given


class UsageMistake(PeriodError):
    """Flags that contradict each other: exit 2, like any other misuse of the command line."""


def names_weeks(flags: PeriodFlags) -> bool:
    """Whether the flags need the week rule (a week, this or last week, or the last N weeks)."""
    last_weeks = bool(flags.last) and flags.last.strip().lower().endswith("w")
    return bool(flags.week or flags.this_week or flags.last_week or last_weeks)


def choose_period(flags: PeriodFlags, today: dt.date, rule: WeekRule) -> Period | None:
    """The period the flags name, or None when they name none."""
    named = flags.named()
    if len(named) > 1:
        raise UsageMistake(f"name one period, not {' and '.join(named)}")
    if not named:
        return None
    if flags.start or flags.end:
        if not (flags.start and flags.end):
            raise UsageMistake("--from and --to go together")
        return parse_range(flags.start, flags.end)
    return _explicit(flags, rule) or _shortcut(flags, today, rule)


def _explicit(flags: PeriodFlags, rule: WeekRule) -> Period | None:
    if flags.day:
        return parse_day(flags.day)
    if flags.week:
        return parse_week(flags.week, rule)
    if flags.month:
        return parse_month(flags.month)
    if flags.quarter:
        return parse_quarter(flags.quarter)
    if flags.year:
        return parse_year(flags.year)
    return None


def _shortcut(flags: PeriodFlags, today: dt.date, rule: WeekRule) -> Period:
    if flags.last:
        return last_span(flags.last, today)
    choices = {
        "today": lambda: day_of(today),
        "yesterday": lambda: day_of(today - dt.timedelta(days=1)),
        "this_week": lambda: week_of(today, rule),
        "last_week": lambda: week_of(today, rule).previous(),
        "this_month": lambda: month_of(today),
        "this_quarter": lambda: quarter_of(today),
        "this_year": lambda: year_of(today),
    }
    chosen = next(name for name in choices if getattr(flags, name))
    return choices[chosen]()


def last_span(text: str, today: dt.date) -> Period:
    """`--last 7d` (today and the 6 days before), `--last 4w` (28 days), `--last 3m` (since the same day 3 months ago)."""
    match = re.match(_LAST, text, re.IGNORECASE)
    if not match or int(match[1]) < 1:
        raise PeriodError(f"--last {text!r}: write a count and d, w or m, e.g. 7d, 4w, 3m")
    count, unit = int(match[1]), match[2].lower()
    if unit == "m":
        year, month = divmod(today.year * 12 + today.month - 1 - count, 12)
        first = _same_day_in(year, month + 1, today.day) + dt.timedelta(days=1)
    else:
        first = today - dt.timedelta(days=count * (7 if unit == "w" else 1) - 1)
    return date_range(first, today)


def _same_day_in(year: int, month: int, day: int) -> dt.date:
    """The same day of month, or the month's last day when it is shorter (Mar 31 → Feb 28)."""
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    return min(dt.date(year, month, 1) + dt.timedelta(days=day - 1), next_month - dt.timedelta(days=1))
