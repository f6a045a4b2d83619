"""Month and weekday names, ordinals, long dates and week rules in moment's own locales.

The vectors in tests/golden/locales/ were printed once by moment 2.30.1 itself
(scripts/make_moment_vectors.js); every row must come out of the Python formatter byte for byte.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest

from vaultledger.errors import ConfigError
from vaultledger.notes.locales import LOCALES, locale_named
from vaultledger.notes.moment import format_moment
from vaultledger.periods import WeekRule

GOLDEN = Path(__file__).parent / "golden" / "locales"


def _rows(name: str) -> list[dict[str, str]]:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _moment(text: str) -> date | datetime:
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


def test_the_golden_vectors_cover_every_locale_carried() -> None:
    assert {path.stem for path in GOLDEN.glob("*.tsv")} - {"week-start"} == set(LOCALES)
    assert {"de", "fr", "es", "it", "pt", "nl", "ru", "ja", "zh-cn"} <= set(LOCALES)


@pytest.mark.parametrize("name", sorted(LOCALES))
def test_every_format_prints_as_moment_prints_it(name: str) -> None:
    locale = LOCALES[name]
    wrong = [(row["date"], row["format"], row["result"], got) for row in _rows(f"{name}.tsv")
             if (got := format_moment(_moment(row["date"]), row["format"], locale=locale)) != row["result"]]
    assert wrong == []


@pytest.mark.parametrize(("fmt", "expected"), [
    ("D MMMM", "14 марта"),  # a day before the month: genitive
    ("MMMM YYYY", "март 2026"),  # the month alone: nominative
    ("Do MMMM", "14-го марта"),
    ("D MMM YYYY", "14 мар. 2026"),
    ("MMM YYYY", "март 2026"),
    ("DD-MMM-YYYY", "14-март-2026"),  # a dash is no space: nominative again
    ("LL", "14 марта 2026 г."),  # long dates decline after expansion, as in moment
    ("[В] dddd", "В субботу"),
    ("dddd", "суббота"),
])
def test_russian_declines_months_and_weekdays_by_the_format_around_them(fmt: str, expected: str) -> None:
    assert format_moment(date(2026, 3, 14), fmt, locale=LOCALES["ru"]) == expected


def test_short_months_lose_their_dot_between_dashes_in_dutch_and_spanish() -> None:
    assert format_moment(date(2026, 3, 1), "D MMM", locale=LOCALES["nl"]) == "1 mrt."
    assert format_moment(date(2026, 3, 1), "DD-MMM-YYYY", locale=LOCALES["nl"]) == "01-mrt-2026"
    assert format_moment(date(2026, 1, 1), "DD-MMM-YYYY", locale=LOCALES["es"]) == "01-ene-2026"


def test_japanese_eras_name_the_year() -> None:
    ja = LOCALES["ja"]
    assert format_moment(date(2019, 5, 1), "NNNN yo", locale=ja) == "令和 元年"
    assert format_moment(date(2019, 4, 30), "NNNN y", locale=ja) == "平成 31"
    assert format_moment(date(2019, 5, 1), "NNNN y", locale=LOCALES["de"]) == "Anno Domini 2019"


def _week_start_rows() -> list[dict[str, str]]:
    return _rows("week-start.tsv")


@pytest.mark.parametrize("name", sorted(LOCALES))
def test_obsidians_week_start_keeps_the_locales_doy(name: str) -> None:
    """Calendar and Periodic Notes call updateLocale(locale, {week: {dow}}): doy stays the locale's."""
    locale = LOCALES[name]
    rows = [row for row in _week_start_rows() if row["locale"] == name]
    assert {row["week_start"] for row in rows} == {"locale", "sunday", "monday", "tuesday", "wednesday",
                                                  "thursday", "friday", "saturday"}
    for row in rows:
        assert int(row["doy"]) == locale.doy, row
        start = WeekRule(locale.dow, locale.doy) if row["week_start"] == "locale" \
            else WeekRule.locale(row["week_start"], locale.doy)
        assert int(row["dow"]) == start.dow
        day = date.fromisoformat(row["date"])
        assert format_moment(day, "gggg-[W]ww e", start, locale) == f"{row['gggg-[W]ww']} {row['e']}", row


@pytest.mark.parametrize(("name", "chosen"), [
    ("de", "de"), ("de_DE", "de"), ("DE-de", "de"), ("en-US", "en"), ("en-GB", "en-gb"), ("zh", "zh-cn"),
    ("pt-BR", "pt-br"), ("pt-PT", "pt"), ("ru", "ru"), ("ja-JP", "ja"),
])
def test_a_locale_name_falls_back_to_its_language_as_moment_does(name: str, chosen: str) -> None:
    assert locale_named(name).name == chosen


@pytest.mark.parametrize("name", ["de-AT", "zh-TW", "fr-CA", "klingon", ""])
def test_a_locale_moment_words_differently_is_refused_not_approximated(name: str) -> None:
    with pytest.raises(ConfigError, match="not supported"):
        locale_named(name)
