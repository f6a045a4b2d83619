"""moment.js formatting: every golden row of weeks.tsv and formats.tsv, plus moment's odd corners."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from vaultledger.notes.moment import format_moment
from vaultledger.periods import WeekRule, week_rule_for_format

MOMENT_FIXTURES = Path(__file__).parent / "fixtures" / "moment"


def _rows(name: str) -> list[dict[str, str]]:
    with (MOMENT_FIXTURES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


# weeks.tsv: column -> (format, rule the Obsidian setup behind the column uses).
WEEK_COLUMNS = {
    "en_gggg-[W]ww": ("gggg-[W]ww", WeekRule.locale()),
    "en_monday_start_gggg-[W]ww": ("gggg-[W]ww", week_rule_for_format("gggg-[W]ww", "monday")),
    "en-gb_gggg-[W]ww": ("gggg-[W]ww", WeekRule.locale("monday", 4)),
    "GGGG-[W]WW": ("GGGG-[W]WW", WeekRule.locale()),  # ISO tokens ignore the locale rule
}


@pytest.mark.parametrize(
    ("day", "column", "expected"),
    [(row["date"], column, row[column]) for row in _rows("weeks.tsv") for column in WEEK_COLUMNS],
)
def test_week_formats_match_moment(day: str, column: str, expected: str) -> None:
    fmt, rule = WEEK_COLUMNS[column]
    assert format_moment(date.fromisoformat(day), fmt, rule) == expected


@pytest.mark.parametrize(
    ("day", "fmt", "expected"),
    [(row["date"], row["format"], row["result"]) for row in _rows("formats.tsv")],
)
def test_formats_match_moment(day: str, fmt: str, expected: str) -> None:
    assert format_moment(date.fromisoformat(day), fmt) == expected


AFTERNOON = datetime(2026, 3, 14, 15, 4, 5, 678_000)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("H HH h hh m mm s ss A a", "15 15 3 03 4 04 5 05 PM pm"),
        ("k kk S SS SSS SSSS", "15 15 6 67 678 6780"),
        ("hmm Hmmss", "304 150405"),
        ("E e d do dd ddd DDD DDDo DDDD", "6 6 6 6th Sa Sat 73 73rd 073"),
        ("Mo Qo Do wo Wo", "3rd 1st 14th 11th 11th"),
        ("LT, LL", "3:04 PM, March 14, 2026"),
        ("llll", "Sat, Mar 14, 2026 3:04 PM"),
        ("Y YYY YYYYY YYYYYY", "2026 262026 02026 +002026"),
        ("y yo N NNNN", "2026 2026th AD Anno Domini"),
        ("ggggg GGGGG", "02026 02026"),
    ],
)
def test_time_and_rare_tokens_match_moment(fmt: str, expected: str) -> None:
    assert format_moment(AFTERNOON, fmt) == expected


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("[Journal]/YYYY", "Journal/2026"),
        ("[a]b] YYYY", "a]b 2026"),  # moment's bracket match is greedy up to the next "["
        ("[] YYYY", " 2026"),
        ("\\YYYY", "YYYY"),  # a backslash escapes a whole token
        ("\\\\", ""),
        ("[LT] \\LT", "LT LT"),
        ("w| W|", "w| W|"),  # moment's `w[o|w]?` treats "|" as part of the token
        ("Bonjour YY", "Bonjour 26"),  # letters that are no token print as themselves
        ("ü 📅 YYYY", "ü 📅 2026"),
        ("YYYY\nMM", "202603"),  # JavaScript's `.` skips line breaks, so moment drops them
    ],
)
def test_literals_and_escapes_behave_like_moment(fmt: str, expected: str) -> None:
    assert format_moment(AFTERNOON, fmt) == expected


def test_locale_weekday_follows_the_week_rule() -> None:
    sunday = date(2026, 3, 15)
    assert format_moment(sunday, "e", WeekRule.locale()) == "0"
    assert format_moment(sunday, "e", WeekRule.locale("monday")) == "6"
    assert format_moment(sunday, "E", WeekRule.locale()) == "7"


def test_aware_datetimes_keep_their_wall_clock_and_offset() -> None:
    berlin = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 14, 23, 30, tzinfo=berlin)
    assert format_moment(moment, "YYYY-MM-DD HH:mm Z ZZ") == "2026-03-14 23:30 +01:00 +0100"
    assert format_moment(moment, "X x") == "1773527400 1773527400000"


def test_empty_format_is_momentss_default_format() -> None:
    moment = datetime(2026, 3, 14, 9, 5, 0, tzinfo=timezone.utc)
    assert format_moment(moment, "") == "2026-03-14T09:05:00+00:00"
