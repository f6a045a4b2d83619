"""Week start and locale read from the vault as the plugins read them; the config wins, and says so."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from vaultledger.errors import ConfigError, VaultError
from vaultledger.notes.moment import format_moment
from vaultledger.notes.vault import load_note_settings, note_path
from vaultledger.notes.weeks import note_weeks
from vaultledger.periods import WeekRule, week_of
from vaultledger.settings import resolve_settings


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / ".obsidian").mkdir(parents=True)
    return root


def put_json(vault: Path, relative: str, data: object) -> None:
    path = vault / ".obsidian" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def calendar(vault: Path, **settings: object) -> None:
    put_json(vault, "community-plugins.json", ["calendar"])
    put_json(vault, "plugins/calendar/data.json", {"weekStart": "locale", "localeOverride": "system-default",
                                                   **settings})


def periodic_notes_1x(vault: Path, weekly_format: str = "gggg-[W]ww", **app: object) -> None:
    put_json(vault, "community-plugins.json", ["periodic-notes"])
    put_json(vault, "plugins/periodic-notes/data.json", {"activeCalendarSet": "Default", "calendarSets": [
        {"id": "Default", "week": {"enabled": True, "format": weekly_format, "folder": ""}}]})
    put_json(vault, "app.json", app)


def weeks_for(vault: Path, config: str = "", weekly_format: str = "gggg-[W]ww"):
    path = vault.parent / "vaultledger.toml"
    path.write_text(config, encoding="utf-8")
    return note_weeks(resolve_settings(config=path, vault=vault), weekly_format, vault)


def rule_of(weeks) -> tuple[int, int]:
    return weeks.locale_rule.dow, weeks.locale_rule.doy


def test_a_vault_without_plugins_counts_weeks_as_english_moment(vault: Path) -> None:
    weeks = weeks_for(vault)
    assert (weeks.locale.name, rule_of(weeks)) == ("en", (0, 6))
    assert weeks.disagreements() == []


@pytest.mark.parametrize(("settings", "locale", "rule"), [
    ({"weekStart": "monday"}, "en", (1, 6)),  # updateLocale keeps en's doy 6
    ({"localeOverride": "de"}, "de", (1, 4)),
    ({"localeOverride": "de", "weekStart": "sunday"}, "de", (0, 4)),
    ({"localeOverride": "de", "weekStart": "saturday"}, "de", (6, 4)),  # doy below dow, as moment keeps it
    ({"localeOverride": "en-gb", "weekStart": "locale"}, "en-gb", (1, 4)),
    ({"localeOverride": "ja"}, "ja", (0, 6)),
])
def test_calendar_sets_locale_and_week_start(vault: Path, settings: dict, locale: str, rule: tuple[int, int]) -> None:
    calendar(vault, **settings)
    weeks = weeks_for(vault)
    assert (weeks.locale.name, rule_of(weeks)) == (locale, rule)
    assert "Calendar" in weeks.week_start_source or settings.get("weekStart") in (None, "locale")


def test_a_disabled_calendar_says_nothing(vault: Path) -> None:
    calendar(vault, weekStart="monday", localeOverride="de")
    put_json(vault, "community-plugins.json", [])
    assert rule_of(weeks_for(vault)) == (0, 6)


def test_periodic_notes_1x_keeps_its_week_start_in_app_json(vault: Path) -> None:
    periodic_notes_1x(vault, weekStart="monday", localeOverride="fr")
    weeks = weeks_for(vault)
    assert (weeks.locale.name, rule_of(weeks)) == ("fr", (1, 4))
    assert "app.json" in weeks.week_start_source


def test_periodic_notes_1x_locale_written_into_week_start_is_named_and_ignored(vault: Path) -> None:
    periodic_notes_1x(vault, weekStart="de")  # the Locale dropdown bug in Periodic Notes 1.x
    weeks = weeks_for(vault)
    assert rule_of(weeks) == (0, 6)
    assert weeks.vault.problems and "weekStart 'de' is not a weekday" in weeks.vault.problems[0]


def test_config_wins_and_the_disagreement_is_named(vault: Path) -> None:
    calendar(vault, weekStart="monday", localeOverride="de")
    weeks = weeks_for(vault, 'week_start = "sunday"\nlocale = "fr"\n')
    assert (weeks.locale.name, rule_of(weeks)) == ("fr", (0, 4))
    assert (weeks.obsidian_locale.name, (weeks.obsidian_rule.dow, weeks.obsidian_rule.doy)) == ("de", (1, 4))
    said = weeks.disagreements()
    assert len(said) == 2 and "config 'locale' 'fr'" in said[0] and "weeks starting Monday" in said[1]


def test_a_config_that_matches_the_vault_raises_no_warning(vault: Path) -> None:
    calendar(vault, weekStart="monday")
    assert weeks_for(vault, 'week_start = "monday"\n').disagreements() == []
    assert weeks_for(vault, 'week_start = "monday"\nweek_doy = 4\n').disagreements() != []


def test_config_locale_alone_is_obsidians_language(vault: Path) -> None:
    weeks = weeks_for(vault, 'locale = "de"\n')
    assert (weeks.locale.name, rule_of(weeks), weeks.disagreements()) == ("de", (1, 4), [])


def test_unknown_locales_are_refused_naming_where_they_came_from(vault: Path) -> None:
    with pytest.raises(ConfigError, match="config 'locale'"):
        weeks_for(vault, 'locale = "tlh"\n')
    calendar(vault, localeOverride="ko")
    with pytest.raises(VaultError, match="Calendar .* localeOverride 'ko'"):
        weeks_for(vault)


def test_week_periods_follow_iso_tokens_while_locale_tokens_keep_the_locale(vault: Path) -> None:
    periodic_notes_1x(vault, "GGGG-[W]WW")
    weeks = weeks_for(vault, weekly_format="GGGG-[W]WW")
    assert weeks.period_rule == WeekRule.iso() and rule_of(weeks) == (0, 6)
    daily = load_note_settings(vault, {"daily": {"format": "gggg/[W]ww/YYYY-MM-DD"}})["daily"]
    # moment numbers gggg/ww by the locale even beside ISO weekly notes (findings row 16).
    path = note_path(vault, daily, date(2027, 1, 2), weeks.locale_rule, weeks.locale)
    assert path == vault / "2027" / "W01" / "2027-01-02.md"


def test_a_format_mixing_week_tokens_prints_each_by_its_own_rule() -> None:
    """Periodic Notes issue #257: `gggg-[W]WW` gives the locale's week-year beside the ISO week number."""
    iso_week = week_of(date(2020, 12, 28), WeekRule.iso())
    assert format_moment(iso_week.start, "gggg-[W]WW", WeekRule.locale()) == "2021-W53"
    assert format_moment(iso_week.start, "GGGG-[W]WW", WeekRule.locale()) == "2020-W53"
