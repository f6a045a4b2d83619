"""Periods: week numbering against moment.js golden vectors, parsing, overlaps, local days."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultledger.errors import ConfigError, PeriodError
from vaultledger.periods import (
    MONDAY_START_DOY, Period, WeekRule, date_range, day_of, local_day, month_of, months_overlapping, quarter_of,
    quarters_overlapping, today, week_of, week_rule_for_format, weeks_overlapping,
)
from vaultledger.periods.parse import parse_day, parse_month, parse_period, parse_quarter, parse_range, parse_week

WEEKS_TSV = Path(__file__).parent / "fixtures" / "moment" / "weeks.tsv"

# The weeks.tsv columns and the rule each one is numbered by.
RULE_FOR_COLUMN = {
    "en_gggg-[W]ww": WeekRule.locale(),
    "en_monday_start_gggg-[W]ww": week_rule_for_format("gggg-[W]ww", week_start="monday"),
    "en-gb_gggg-[W]ww": WeekRule.locale("monday", 4),
    "GGGG-[W]WW": week_rule_for_format("GGGG-[W]WW"),
}


def _golden_weeks() -> list[tuple[str, str, str]]:
    with WEEKS_TSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(row["date"], column, row[column]) for row in rows for column in RULE_FOR_COLUMN]


@pytest.mark.parametrize(("day", "column", "expected"), _golden_weeks())
def test_week_of_matches_moment_golden_vector(day: str, column: str, expected: str) -> None:
    rule = RULE_FOR_COLUMN[column]
    year, number = rule.week_year_and_number(date.fromisoformat(day))
    assert f"{year:04d}-W{number:02d}" == expected
    assert week_of(date.fromisoformat(day), rule).key == expected


def test_monday_start_keeps_moments_en_doy() -> None:
    rule = week_rule_for_format("gggg-[W]ww", week_start="monday")
    assert (rule.dow, rule.doy, rule.is_iso) == (1, MONDAY_START_DOY, False) == (1, 6, False)


@pytest.mark.parametrize(
    ("day", "en", "monday", "en_gb", "iso"),
    [
        ("2024-12-29", "2025-W01", "2024-W52", "2024-W52", "2024-W52"),
        ("2021-01-03", "2021-W02", "2021-W01", "2020-W53", "2020-W53"),
        ("2027-01-01", "2027-W01", "2027-W01", "2026-W53", "2026-W53"),
        ("2026-12-31", "2027-W01", "2027-W01", "2026-W53", "2026-W53"),
    ],
)
def test_year_end_weeks_differ_between_locale_and_iso(
    day: str, en: str, monday: str, en_gb: str, iso: str
) -> None:
    rules = [WeekRule.locale(), WeekRule.locale("monday"), WeekRule.locale("monday", 4), WeekRule.iso()]
    assert [week_of(date.fromisoformat(day), rule).key for rule in rules] == [en, monday, en_gb, iso]


@pytest.mark.parametrize(
    ("fmt", "is_iso"),
    [
        ("GGGG-[W]WW", True),
        ("gggg-[W]ww", False),
        ("YYYY-[W]ww", False),
        ("GG-W", True),
        ("[Week W] gggg", False),
        ("\\WW gggg", False),
        ("YYYY-MM-DD", False),
        ("[GG] YYYY G", False),
        ("Wo [week]", True),
    ],
)
def test_week_rule_follows_the_formats_week_tokens(fmt: str, is_iso: bool) -> None:
    assert week_rule_for_format(fmt).is_iso is is_iso


def test_week_rule_rejects_unknown_weekday_and_impossible_doy() -> None:
    with pytest.raises(ConfigError, match="funday"):
        WeekRule.locale("funday")
    with pytest.raises(ConfigError, match="doy"):
        WeekRule.locale("monday", 12)


def test_weeks_in_year_counts_53_week_years() -> None:
    assert WeekRule.iso().weeks_in_year(2026) == 53
    assert WeekRule.iso().weeks_in_year(2025) == 52
    assert WeekRule.locale().weeks_in_year(2022) == 53
    assert WeekRule.locale().weeks_in_year(2026) == 52


@pytest.mark.parametrize("text", ["2026-W11", "2026W11", "2026-w11", " 2026-W11 "])
def test_parse_week_accepts_its_forms(text: str) -> None:
    week = parse_week(text, WeekRule.iso())
    assert (week.key, week.start, week.end) == ("2026-W11", date(2026, 3, 9), date(2026, 3, 15))


def test_parse_week_accepts_w53_only_in_53_week_years() -> None:
    assert parse_week("2026-W53", WeekRule.iso()).start == date(2026, 12, 28)
    with pytest.raises(PeriodError, match="2026-W01 to 2026-W52"):
        parse_week("2026-W53", WeekRule.locale())
    with pytest.raises(PeriodError, match="2026-W53 under ISO weeks"):
        parse_week("2026-W54", WeekRule.iso())
    with pytest.raises(PeriodError):
        parse_week("2026-W00", WeekRule.iso())


def test_parse_week_numbers_locale_weeks_by_the_rule() -> None:
    week = parse_week("2027-W01", WeekRule.locale())
    assert (week.start, week.end) == (date(2026, 12, 27), date(2027, 1, 2))


@pytest.mark.parametrize("text", ["2026Q1", "2026-Q1", "2026q1", "2026-q1"])
def test_parse_quarter_accepts_its_forms(text: str) -> None:
    quarter = parse_quarter(text)
    assert (quarter.kind, quarter.key, quarter.start, quarter.end) == (
        "quarter", "2026Q1", date(2026, 1, 1), date(2026, 3, 31)
    )


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "Q1 2026", "2026-1", "26Q1"])
def test_parse_quarter_rejects_other_text_naming_the_form(text: str) -> None:
    with pytest.raises(PeriodError, match="2026Q1"):
        parse_quarter(text)


def test_parse_day_and_month_reject_impossible_dates() -> None:
    assert parse_day("2026-03-14") == day_of(date(2026, 3, 14))
    assert parse_month("2026-03").end == date(2026, 3, 31)
    with pytest.raises(PeriodError, match="YYYY-MM-DD"):
        parse_day("2026-02-30")
    with pytest.raises(PeriodError, match="YYYY-MM"):
        parse_month("2026-13")


def test_parse_range_is_inclusive_and_rejects_end_before_start() -> None:
    march = parse_range("2026-03-01", "2026-03-31")
    assert (march.key, march.num_days) == ("2026-03-01..2026-03-31", 31)
    with pytest.raises(PeriodError, match="before it starts"):
        parse_range("2026-03-31", "2026-03-01")


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [
        ("2026-03-14", "day", "2026-03-14"),
        ("2026-W11", "week", "2026-W11"),
        ("2026-03", "month", "2026-03"),
        ("2026Q1", "quarter", "2026Q1"),
        ("2026-03-01..2026-03-31", "range", "2026-03-01..2026-03-31"),
    ],
)
def test_parse_period_recognises_every_form(text: str, kind: str, key: str) -> None:
    period = parse_period(text, WeekRule.iso())
    assert (period.kind, period.key) == (kind, key)


def test_previous_gives_the_same_kind_just_before() -> None:
    rule = WeekRule.iso()
    assert day_of(date(2026, 1, 1)).previous().key == "2025-12-31"
    assert week_of(date(2027, 1, 1), rule).previous().key == "2026-W52"
    assert month_of(date(2026, 3, 14)).previous().key == "2026-02"
    assert quarter_of(date(2026, 1, 5)).previous().key == "2025Q4"
    march = date_range(date(2026, 3, 1), date(2026, 3, 31))
    assert march.previous() == date_range(date(2026, 1, 29), date(2026, 2, 28))


def test_periods_of_one_kind_sort_chronologically() -> None:
    weeks = [week_of(date(2026, 1, 1) + timedelta(weeks=n), WeekRule.iso()) for n in (9, 0, 3)]
    assert [week.key for week in sorted(weeks)] == ["2026-W01", "2026-W04", "2026-W10"]


def test_weeks_overlapping_a_quarter_are_clipped_and_add_up() -> None:
    quarter = parse_quarter("2026Q1")
    overlaps = weeks_overlapping(quarter, WeekRule.locale())
    assert [o.days.key for o in overlaps][:2] == ["2026-W01", "2026-W02"]
    assert overlaps[0].partial and overlaps[-1].partial
    assert not any(o.partial for o in overlaps[1:-1])
    assert (overlaps[0].days.start, overlaps[0].week.start) == (date(2026, 1, 1), date(2025, 12, 28))
    assert overlaps[-1].days.end == date(2026, 3, 31) < overlaps[-1].week.end
    assert sum(o.days.num_days for o in overlaps) == quarter.num_days == 90
    assert [day for o in overlaps for day in o.days.days()] == list(quarter.days())


def test_weeks_overlapping_a_quarter_that_starts_on_week_start_has_no_partial_first_week() -> None:
    overlaps = weeks_overlapping(parse_quarter("2024Q1"), WeekRule.iso())  # 2024-01-01 is a Monday
    assert not overlaps[0].partial and overlaps[0].days.key == "2024-W01"


def test_months_and_quarters_overlapping_are_whole_periods() -> None:
    span = date_range(date(2026, 3, 20), date(2026, 7, 2))
    assert [m.key for m in months_overlapping(span)] == ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]
    assert [q.key for q in quarters_overlapping(span)] == ["2026Q1", "2026Q2", "2026Q3"]
    assert quarters_overlapping(span)[0] == quarter_of(date(2026, 2, 1))


WEEK_RULES = st.one_of(
    st.just(WeekRule.iso()),
    st.builds(
        lambda dow, extra: WeekRule(dow=dow, doy=dow + extra),
        st.integers(0, 6),
        st.integers(0, 6),
    ),
)


@settings(max_examples=40, deadline=None)
@given(year=st.integers(1901, 2199), rule=WEEK_RULES)
def test_weeks_tile_every_year_exactly_once(year: int, rule: WeekRule) -> None:
    year_period = date_range(date(year, 1, 1), date(year, 12, 31))
    weeks_seen: list[Period] = []
    for day in year_period.days():
        week = week_of(day, rule)
        assert week.contains(day) and week.num_days == 7
        if not weeks_seen or weeks_seen[-1] != week:
            weeks_seen.append(week)
    covered = [day for week in weeks_seen for day in week.days()]
    assert covered == sorted(set(covered))  # no day in two weeks, no gaps between weeks
    assert covered[0] <= year_period.start and covered[-1] >= year_period.end
    assert len({week.key for week in weeks_seen}) == len(weeks_seen)


@settings(max_examples=40, deadline=None)
@given(year=st.integers(1901, 2199), rule=WEEK_RULES)
def test_week_numbers_run_from_one_to_weeks_in_year(year: int, rule: WeekRule) -> None:
    first = rule.week_start_date(year, 1)
    count = rule.weeks_in_year(year)
    keys = [week_of(first + timedelta(weeks=n), rule).key for n in range(count)]
    assert keys == [f"{year:04d}-W{n:02d}" for n in range(1, count + 1)]
    assert week_of(first + timedelta(weeks=count), rule).key == f"{year + 1:04d}-W01"


def test_local_day_uses_the_time_zone_not_the_offset() -> None:
    late_utc = datetime(2026, 3, 14, 23, 30, tzinfo=timezone.utc)
    assert local_day(late_utc, "Europe/Berlin") == date(2026, 3, 15)
    assert local_day(late_utc, "America/New_York") == date(2026, 3, 14)
    assert local_day(late_utc, ZoneInfo("Asia/Tokyo")) == date(2026, 3, 15)
    assert local_day(late_utc, "UTC") == date(2026, 3, 14)


def test_local_day_refuses_naive_times_and_unknown_zones() -> None:
    with pytest.raises(PeriodError, match="offset"):
        local_day(datetime(2026, 3, 14, 12), "UTC")
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        local_day(datetime(2026, 3, 14, 12, tzinfo=timezone.utc), "Mars/Olympus")


def test_today_uses_the_given_clock() -> None:
    now = datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)
    assert today("Europe/Berlin", now=now) == date(2027, 1, 1)
    assert today("UTC", now=now) == date(2026, 12, 31)
