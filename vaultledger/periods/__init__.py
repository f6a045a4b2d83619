"""Periods as values: days, weeks, months, quarters, years and inclusive date ranges (SPEC §4).

Weeks are numbered the way moment.js numbers them, because Obsidian names weekly notes with moment:
either ISO weeks or a locale rule made of `dow` (the first day of the week) and `doy` (January
`7 + dow - doy` always falls in week 1). Pendulum's week start is process-global, so the rule is owned
here and passed explicitly. Plain `datetime.date` is enough for the calendar arithmetic; pendulum is
used only to find the system's time zone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec.structs import replace

from vaultledger.errors import ConfigError, PeriodError

PeriodKind = Literal["day", "week", "month", "quarter", "year", "range"]

# moment.js numbers weekdays from Sunday = 0; WeekRule.dow uses that numbering too.
WEEKDAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")

# moment's `en` locale: weeks start on Sunday, doy 6, so the week holding January 1 is week 1.
EN_DOY = 6
# Obsidian's week-start setting (Calendar / Periodic Notes) changes only moment's `dow` and keeps the
# locale's doy, so "en, Monday start" is dow 1 with doy 6: week 1 is the week holding January 2.
# weeks.tsv confirms it: 2023-01-01 (a Sunday) is 2022-W53 and 2021-12-27 is 2022-W01.
MONDAY_START_DOY = EN_DOY

_ONE_DAY = timedelta(days=1)


class WeekRule(msgspec.Struct, frozen=True):
    """How weeks are numbered: moment's `dow`/`doy` pair, or ISO 8601 (`is_iso`)."""

    dow: int
    doy: int
    is_iso: bool = False

    def __post_init__(self) -> None:
        # Week 1 holds January (7 + dow - doy), so that must be a January day. A locale's own doy
        # lies in dow..dow+6; Obsidian's "Start week on" moves dow and keeps doy, which may leave
        # that range (de with a Saturday start is dow 6, doy 4: week 1 holds January 9).
        if not 0 <= self.dow <= 6 or not 0 <= self.doy <= self.dow + 6:
            raise ConfigError(
                f"week rule dow={self.dow} doy={self.doy} is not valid: "
                "dow is 0 (Sunday) to 6, and doy lies between 0 and dow + 6"
            )

    @classmethod
    def iso(cls) -> WeekRule:
        """ISO 8601 weeks: Monday start, week 1 holds January 4 (moment's `GGGG`/`WW` tokens)."""
        return cls(dow=1, doy=4, is_iso=True)

    @classmethod
    def locale(cls, week_start: str = "sunday", doy: int = EN_DOY) -> WeekRule:
        """A moment locale rule (`gggg`/`ww` tokens): en is Sunday/6, en-gb is Monday/4."""
        return cls(dow=weekday_number(week_start), doy=doy)

    @property
    def week_start(self) -> str:
        """The first day of the week, as a lower-case English name."""
        return WEEKDAY_NAMES[self.dow]

    def week_year_and_number(self, day: date) -> tuple[int, int]:
        """The week-numbering year and the week number of `day` (moment's `gggg`/`w`, or ISO)."""
        year = day.year
        if day < _first_week_start(year, self.dow, self.doy):
            year -= 1
        elif day >= _first_week_start(year + 1, self.dow, self.doy):
            year += 1
        return year, (day - _first_week_start(year, self.dow, self.doy)).days // 7 + 1

    def weeks_in_year(self, year: int) -> int:
        """How many weeks the week-numbering `year` has under this rule (52 or 53)."""
        following = _first_week_start(year + 1, self.dow, self.doy)
        return (following - _first_week_start(year, self.dow, self.doy)).days // 7

    def week_start_date(self, week_year: int, week_number: int) -> date:
        """The first day of week `week_number` of `week_year`."""
        return _first_week_start(week_year, self.dow, self.doy) + timedelta(weeks=week_number - 1)

    def first_day_of_week(self, day: date) -> date:
        """The first day of the week holding `day`."""
        return day - timedelta(days=(moment_weekday(day) - self.dow) % 7)

    def __str__(self) -> str:
        if self.is_iso:
            return "ISO weeks"
        return f"weeks starting {self.week_start.capitalize()} (moment doy {self.doy})"


def weekday_number(name: str) -> int:
    """moment's number (Sunday = 0) for a weekday name; "locale" means Obsidian's English default."""
    wanted = name.strip().lower()
    if wanted == "locale":
        return 0
    for number, weekday in enumerate(WEEKDAY_NAMES):
        if len(wanted) >= 3 and weekday.startswith(wanted):
            return number
    raise ConfigError(f"week_start {name!r} is not a weekday; use one of {', '.join(WEEKDAY_NAMES)}")


def moment_weekday(day: date) -> int:
    """The weekday as moment numbers it: Sunday = 0 … Saturday = 6."""
    return (day.weekday() + 1) % 7


@functools.lru_cache(maxsize=4096)
def _first_week_start(year: int, dow: int, doy: int) -> date:
    """First day of week 1 of `year`: the week start on or before January (7 + dow - doy)."""
    anchor = date(year, 1, 7 + dow - doy)
    return anchor - timedelta(days=(moment_weekday(anchor) - dow) % 7)


# Bracketed text and backslash-escaped tokens print literally in moment, so they cannot number weeks.
# The escape alternatives mirror moment's tokenizer for the only tokens that matter here (W…, GG…).
_MOMENT_LITERALS = r"\[[^\[]*\]|\\(?:W[o|W]?|GG(?:GGG?)?|[\s\S])?"  # compiled on first use (re's cache)
_ISO_WEEK_TOKENS = r"GG|W"


def week_rule_for_format(
    fmt: str, week_start: str = "sunday", week_doy: int | None = None
) -> WeekRule:
    """The rule a weekly note format implies: ISO for `GGGG`/`GG`/`WW`/`W`, else the locale rule.

    `week_doy` defaults to 6 for every week start, because Obsidian changes only moment's `dow`.
    """
    if re.search(_ISO_WEEK_TOKENS, re.sub(_MOMENT_LITERALS, "", fmt)):
        return WeekRule.iso()
    return WeekRule.locale(week_start, EN_DOY if week_doy is None else week_doy)


class Period(msgspec.Struct, frozen=True):
    """An inclusive span of calendar days with a kind and a key such as "2026-W11" or "2026Q1".

    Periods of one kind sort chronologically (keys are zero-padded). Weeks carry their `rule`; it
    takes no part in comparison or hashing.
    """

    kind: PeriodKind
    key: str
    start: date
    end: date
    rule: WeekRule | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(f"period {self.key} ends ({self.end}) before it starts ({self.start})")

    def _compared(self) -> tuple[str, str, date, date]:
        return self.kind, self.key, self.start, self.end

    def __eq__(self, other: object) -> bool:
        return self._compared() == other._compared() if isinstance(other, Period) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._compared())

    def __lt__(self, other: object) -> bool:
        return self._compared() < other._compared() if isinstance(other, Period) else NotImplemented

    def __le__(self, other: object) -> bool:
        return self._compared() <= other._compared() if isinstance(other, Period) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return self._compared() > other._compared() if isinstance(other, Period) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return self._compared() >= other._compared() if isinstance(other, Period) else NotImplemented

    @property
    def num_days(self) -> int:
        """How many days the period holds, both ends included."""
        return (self.end - self.start).days + 1

    def days(self) -> Iterator[date]:
        """Every day of the period, in order."""
        for offset in range(self.num_days):
            yield self.start + timedelta(days=offset)

    def contains(self, day: date) -> bool:
        """Whether `day` lies within the period."""
        return self.start <= day <= self.end

    def overlaps(self, other: Period) -> bool:
        """Whether the two periods share at least one day."""
        return self.start <= other.end and other.start <= self.end

    def clip(self, within: Period) -> Period:
        """This period limited to the days it shares with `within` (same kind and key)."""
        if not self.overlaps(within):
            raise PeriodError(f"{self.key} does not overlap {within.key}")
        return replace(self, start=max(self.start, within.start), end=min(self.end, within.end))

    def previous(self) -> Period:
        """The period of the same kind just before this one; a range's is the same length."""
        if self.kind == "range":
            return date_range(self.start - timedelta(days=self.num_days), self.start - _ONE_DAY)
        if self.kind == "week":
            return week_of(self._week_rule().first_day_of_week(self.start) - _ONE_DAY, self._week_rule())
        return _PERIOD_OF[self.kind](self.start - _ONE_DAY)

    def next(self) -> Period:
        """The period of the same kind just after this one; a range's is the same length."""
        if self.kind == "range":
            return date_range(self.end + _ONE_DAY, self.end + timedelta(days=self.num_days))
        if self.kind == "week":
            following = self._week_rule().first_day_of_week(self.start) + timedelta(weeks=1)
            return week_of(following, self._week_rule())
        return _PERIOD_OF[self.kind](self.end + _ONE_DAY)

    def _week_rule(self) -> WeekRule:
        if self.rule is None:
            raise PeriodError(f"week {self.key} was built without a week rule; use week_of()")
        return self.rule


def plain_date(day: date) -> date:
    # datetime is a subclass of date; a period must hold plain dates so that comparisons work.
    return day.date() if isinstance(day, datetime) else day


def day_of(day: date) -> Period:
    """The day period holding `day`."""
    day = plain_date(day)
    return Period("day", day.isoformat(), day, day)


def week_of(day: date, rule: WeekRule) -> Period:
    """The week holding `day`, numbered and bounded by `rule`."""
    start = rule.first_day_of_week(plain_date(day))
    year, number = rule.week_year_and_number(start)
    return Period("week", f"{year:04d}-W{number:02d}", start, start + timedelta(days=6), rule)


def month_of(day: date) -> Period:
    """The calendar month holding `day`."""
    return _month_span(day.year, day.month, 1)


def quarter_of(day: date) -> Period:
    """The calendar quarter holding `day`, keyed like "2026Q1"."""
    quarter = (day.month - 1) // 3 + 1
    span = _month_span(day.year, 3 * quarter - 2, 3)
    return replace(span, kind="quarter", key=f"{day.year:04d}Q{quarter}")


def year_of(day: date) -> Period:
    """The calendar year holding `day`, keyed like "2026"."""
    return Period("year", f"{day.year:04d}", date(day.year, 1, 1), date(day.year, 12, 31))


def _month_span(year: int, first_month: int, months: int) -> Period:
    start = date(year, first_month, 1)
    after = _first_of_month_after(year, first_month + months - 1)
    return Period("month", f"{year:04d}-{first_month:02d}", start, after - _ONE_DAY)


def _first_of_month_after(year: int, month: int) -> date:
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


def date_range(start: date, end: date) -> Period:
    """The inclusive range of days from `start` to `end`."""
    start, end = plain_date(start), plain_date(end)
    if end < start:
        raise PeriodError(f"the range ends ({end}) before it starts ({start}); use --from <= --to")
    return Period("range", f"{start.isoformat()}..{end.isoformat()}", start, end)


_PERIOD_OF: dict[str, Callable[[date], Period]] = {
    "day": day_of,
    "month": month_of,
    "quarter": quarter_of,
    "year": year_of,
}

class WeekOverlap(msgspec.Struct, frozen=True):  # a Struct: a NamedTuple class costs 0.2 ms to make
    """One week overlapping a longer period.

    `days` is the week clipped to that period (kind "week", the week's key, only the shared days);
    `partial` says the week reaches outside the period; `week` is the whole week.
    """

    days: Period
    partial: bool

    @property
    def week(self) -> Period:
        """The whole week, unclipped."""
        assert self.days.rule is not None  # weeks_overlapping always builds weeks with a rule
        return week_of(self.days.start, self.days.rule)


def weeks_overlapping(period: Period, rule: WeekRule) -> list[WeekOverlap]:
    """Every week sharing a day with `period`, clipped to it, in order.

    The clipped weeks tile the period exactly, so per-week rows add up to the period's total.
    """
    return [
        WeekOverlap(week.clip(period), not (period.contains(week.start) and period.contains(week.end)))
        for week in _periods_from(week_of(period.start, rule), period.end)
    ]


def months_overlapping(period: Period) -> list[Period]:
    """Every whole calendar month sharing a day with `period`, in order."""
    return list(_periods_from(month_of(period.start), period.end))


def quarters_overlapping(period: Period) -> list[Period]:
    """Every whole calendar quarter sharing a day with `period`, in order."""
    return list(_periods_from(quarter_of(period.start), period.end))


def _periods_from(first: Period, last_day: date) -> Iterator[Period]:
    current = first
    while current.start <= last_day:
        yield current
        current = current.next()


TimeZoneSpec = str | tzinfo | None


def local_day(ts: datetime, tz: TimeZoneSpec) -> date:
    """The calendar day `ts` (which must carry an offset) falls on in time zone `tz`.

    Called once per log record, so zone lookups by name are cached; `None` or "local" means the
    system's zone.
    """
    if ts.tzinfo is None:
        raise PeriodError(f"time {ts.isoformat()} has no UTC offset; cannot tell its local day")
    return ts.astimezone(tz if isinstance(tz, tzinfo) else zone_named(tz)).date()


def today(tz: TimeZoneSpec, now: datetime | None = None) -> date:
    """Today's date in `tz`; `now` (offset-aware) pins the clock for tests and replays."""
    return local_day(now if now is not None else datetime.now(timezone.utc), tz)


@functools.lru_cache(maxsize=64)
def zone_named(name: str | None) -> tzinfo:
    """The time zone for an IANA name; empty, `None` or "local" is the system's zone."""
    if not name or name.strip().lower() == "local":
        return _system_zone()
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"time zone {name!r} is unknown; use an IANA name such as Europe/Berlin or UTC"
        ) from None


def _system_zone() -> tzinfo:
    from vaultledger._localzone import local_zone_name

    return ZoneInfo(local_zone_name())
